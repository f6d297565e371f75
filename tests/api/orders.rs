//! Orders (DOMAIN.md flow 4 up to receipt): baskets split per producer, stock reserved without
//! oversell under concurrency, idempotent retries, and the state machine.

use serde_json::{Value, json};

use crate::{harness::error_code, world::World};

const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
    orders { id status total producer { name } lines { nodes { id productName price quantity } } }
    errors { field code message } } }";

const STOCK: &str = "query($id: ID!) { product(id: $id) { stock } }";

fn basket(lines: &[(&str, i64)], key: &str) -> Value {
    json!({ "input": {
        "lines": lines.iter().map(|(p, q)| json!({ "productId": p, "quantity": q })).collect::<Vec<_>>(),
        "idempotencyKey": key,
    } })
}

async fn stock(w: &World, product: &str) -> i64 {
    let body = w
        .app
        .gql(w.producer_clerk.token(), STOCK, json!({ "id": product }))
        .await;
    body["data"]["product"]["stock"].as_i64().expect("stock")
}

async fn transition(w: &World, token: Option<&str>, mutation: &str, input: Value) -> Value {
    let query = format!(
        "mutation($input: {}Input!) {{ {mutation}(input: $input) {{ order {{ status availableTransitions }} errors {{ code message }} }} }}",
        match mutation {
            "cancelOrder" => "CancelOrder",
            "receiveOrder" => "ReceiveOrder",
            "shipOrder" => "ShipOrder",
            _ => "OrderId",
        }
    );
    let body = w.app.gql(token, &query, json!({ "input": input })).await;
    body["data"][mutation].clone()
}

#[tokio::test]
async fn an_order_goes_from_placed_to_received_with_every_step_recorded() {
    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let noodles = w.published_product("灵寿红薯粉条", "20.50").await;
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            basket(&[(&potatoes, 10), (&noodles, 4)], "order-0001"),
        )
        .await;
    let payload = &placed["data"]["placeOrder"];
    assert_eq!(payload["errors"], json!([]), "{placed}");
    let order = &payload["orders"][0];
    assert_eq!(order["status"], "PLACED");
    assert_eq!(order["total"], "532.00", "10 × 45.00 + 4 × 20.50");
    assert_eq!(stock(&w, &potatoes).await, 90, "reserved at ordering");
    let id = order["id"].clone();

    // The price is frozen: a later change does not touch the order.
    w.app
        .gql(
            w.producer_admin.token(),
            "mutation($id: ID!) { updateProduct(input: {id: $id, price: \"60.00\"}) { errors { code } } }",
            json!({ "id": potatoes }),
        )
        .await;

    let refused = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($id: ID!) { confirmOrder(input: {orderId: $id}) { errors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "buyers do not confirm");

    let confirmed = transition(
        &w,
        w.producer_clerk.token(),
        "confirmOrder",
        json!({ "orderId": id }),
    )
    .await;
    assert_eq!(
        confirmed["order"],
        json!({ "status": "CONFIRMED", "availableTransitions": ["SHIP"] })
    );
    let early = transition(
        &w,
        w.producer_clerk.token(),
        "confirmOrder",
        json!({ "orderId": id }),
    )
    .await;
    assert_eq!(
        early["errors"][0]["code"], "INVALID_STATE",
        "an illegal move is an error, not a no-op"
    );
    let shipped = transition(
        &w,
        w.producer_clerk.token(),
        "shipOrder",
        json!({ "orderId": id }),
    )
    .await;
    assert_eq!(shipped["order"]["status"], "SHIPPED");
    let late_cancel = transition(
        &w,
        w.buyer_admin.token(),
        "cancelOrder",
        json!({ "orderId": id, "reason": "不要了" }),
    )
    .await;
    assert_eq!(late_cancel["errors"][0]["code"], "INVALID_STATE");

    let lines = order["lines"]["nodes"].as_array().expect("lines");
    let potato_line = lines
        .iter()
        .find(|l| l["productName"] == "灵寿红薯 5kg装")
        .expect("line");
    assert_eq!(potato_line["price"], "45.00");
    let noodle_line = lines
        .iter()
        .find(|l| l["productName"] == "灵寿红薯粉条")
        .expect("line");
    // A receipt names every line once.
    let received = transition(
        &w,
        w.buyer_admin.token(),
        "receiveOrder",
        json!({ "orderId": id, "invoiceNo": "13012600123", "accepted": [
            { "lineId": potato_line["id"], "acceptedQuantity": 8 },
            { "lineId": noodle_line["id"], "acceptedQuantity": 4 }] }),
    )
    .await;
    assert_eq!(
        received["order"],
        json!({ "status": "RECEIVED", "availableTransitions": ["SETTLE", "RATE"] })
    );

    let seen = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { invoiceNo lines { nodes { productName acceptedQuantity } }
                events { fromStatus toStatus actor { username } } } }",
            json!({ "id": id }),
        )
        .await;
    let order = &seen["data"]["order"];
    assert_eq!(order["invoiceNo"], "13012600123");
    let accepted: Vec<(String, i64)> = order["lines"]["nodes"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["productName"].as_str().unwrap_or_default().to_owned(),
                l["acceptedQuantity"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert!(accepted.contains(&("灵寿红薯 5kg装".to_owned(), 8)));
    assert!(accepted.contains(&("灵寿红薯粉条".to_owned(), 4)));
    let steps: Vec<(Value, Value, Value)> = order["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["fromStatus"].clone(),
                e["toStatus"].clone(),
                e["actor"]["username"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (Value::Null, json!("PLACED"), json!("canteen.admin")),
            (json!("PLACED"), json!("CONFIRMED"), json!("coop.clerk")),
            (json!("CONFIRMED"), json!("SHIPPED"), json!("coop.clerk")),
            (json!("SHIPPED"), json!("RECEIVED"), json!("canteen.admin")),
        ]
    );
    // Strangers see nothing of it.
    let hidden = w
        .app
        .gql(
            w.outsider.token(),
            "query($id: ID!) { order(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(hidden["data"]["order"], Value::Null);
}

#[tokio::test]
async fn cancelling_releases_the_stock() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            basket(&[(&product, 30)], "order-cancel-1"),
        )
        .await;
    let id = placed["data"]["placeOrder"]["orders"][0]["id"].clone();
    assert_eq!(stock(&w, &product).await, 70);
    let unreasoned = transition(
        &w,
        w.producer_clerk.token(),
        "cancelOrder",
        json!({ "orderId": id, "reason": " " }),
    )
    .await;
    assert_eq!(unreasoned["errors"][0]["code"], "INVALID");
    let cancelled = transition(
        &w,
        w.producer_clerk.token(),
        "cancelOrder",
        json!({ "orderId": id, "reason": "产地暴雨, 无法按期发货" }),
    )
    .await;
    assert_eq!(cancelled["order"]["status"], "CANCELLED");
    assert_eq!(stock(&w, &product).await, 100);
}

#[tokio::test]
async fn fifty_buyers_racing_for_the_last_ten_units_buy_exactly_ten() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯(最后一批)", "45.00").await;
    w.app
        .gql(
            w.producer_clerk.token(),
            "mutation($id: ID!) { adjustStock(input: {productId: $id, delta: -90, reason: \"只剩最后十箱\"}) { errors { code } } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(stock(&w, &product).await, 10);
    let attempts = (0..50).map(|i| {
        let variables = basket(&[(&product, 1)], &format!("race-order-{i:04}"));
        w.app.gql(w.buyer_admin.token(), PLACE, variables)
    });
    let results = futures_util::future::join_all(attempts).await;
    let placed = results
        .iter()
        .filter(|b| {
            b["data"]["placeOrder"]["orders"]
                .as_array()
                .is_some_and(|o| o.len() == 1)
        })
        .count();
    let refused: Vec<&Value> = results
        .iter()
        .filter_map(|b| {
            b["data"]["placeOrder"]["errors"]
                .as_array()
                .and_then(|e| e.first())
        })
        .collect();
    assert_eq!(placed, 10, "exactly the stock is sold");
    assert_eq!(refused.len(), 40);
    assert!(
        refused.iter().all(|e| e["code"] == "INSUFFICIENT_STOCK"),
        "{refused:?}"
    );
    assert_eq!(stock(&w, &product).await, 0, "never negative");
    let orders = w
        .app
        .gql(
            w.buyer_admin.token(),
            "{ orders { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(orders["data"]["orders"]["totalCount"], 10);

    // The ten are shipped and received at once: ten ledger entries, no more, no fewer.
    let ids: Vec<Value> = results
        .iter()
        .filter_map(|b| {
            b["data"]["placeOrder"]["orders"][0]["id"]
                .as_str()
                .map(|s| json!(s))
        })
        .collect();
    for id in &ids {
        transition(
            &w,
            w.producer_clerk.token(),
            "confirmOrder",
            json!({ "orderId": id }),
        )
        .await;
        transition(
            &w,
            w.producer_clerk.token(),
            "shipOrder",
            json!({ "orderId": id }),
        )
        .await;
    }
    let mut inputs = Vec::new();
    for id in &ids {
        inputs.push(
            w.app
                .order_step_input(
                    w.buyer_admin.token(),
                    "receiveOrder",
                    id.as_str().expect("order id"),
                )
                .await,
        );
    }
    let receipts = inputs
        .into_iter()
        .map(|input| transition(&w, w.buyer_admin.token(), "receiveOrder", input));
    futures_util::future::join_all(receipts).await;
    let ledger = w
        .app
        .gql(
            w.auditor.token(),
            "{ ledgerEntries { totalCount } verifyLedger { intact checked } }",
            json!({}),
        )
        .await;
    assert_eq!(ledger["data"]["ledgerEntries"]["totalCount"], 10);
    assert_eq!(
        ledger["data"]["verifyLedger"],
        json!({ "intact": true, "checked": 10 })
    );
}

#[tokio::test]
async fn retries_with_one_idempotency_key_create_one_order() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let retries = (0..8).map(|_| {
        w.app.gql(
            w.buyer_admin.token(),
            PLACE,
            basket(&[(&product, 5)], "same-key-0001"),
        )
    });
    let results = futures_util::future::join_all(retries).await;
    let ids: Vec<&Value> = results
        .iter()
        .map(|b| &b["data"]["placeOrder"]["orders"][0]["id"])
        .collect();
    assert!(ids[0].is_string(), "{:?}", results[0]);
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every retry answers with the first order"
    );
    assert_eq!(stock(&w, &product).await, 95, "reserved once");
    let orders = w
        .app
        .gql(
            w.buyer_admin.token(),
            "{ orders { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(orders["data"]["orders"]["totalCount"], 1);
    let reused = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            basket(&[(&product, 6)], "same-key-0001"),
        )
        .await;
    assert_eq!(
        reused["data"]["placeOrder"]["errors"][0]["code"],
        "IDEMPOTENCY_KEY_REUSED"
    );
}

#[tokio::test]
async fn only_listed_products_in_their_minimum_quantity_can_be_ordered() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let draft = w.draft_product("灵寿红薯(未上架)", "45.00").await;
    let refused = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            basket(&[(&product, 1), (&draft, 1)], "order-draft-1"),
        )
        .await;
    let errors = &refused["data"]["placeOrder"]["errors"];
    assert_eq!(errors[0]["field"], json!(["input", "lines", "1"]));
    assert_eq!(
        errors[0]["code"], "NOT_FOUND",
        "an unlisted product is private: it answers like an unknown one"
    );
    assert_eq!(
        stock(&w, &product).await,
        100,
        "nothing reserved when any line fails"
    );
    let zero = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            basket(&[(&product, 0)], "order-zero-1"),
        )
        .await;
    assert_eq!(zero["data"]["placeOrder"]["errors"][0]["code"], "INVALID");
    w.app
        .gql(
            w.producer_admin.token(),
            "mutation($id: ID!) { updateProduct(input: {id: $id, minOrderQuantity: 5}) { errors { code } } }",
            json!({ "id": product }),
        )
        .await;
    let below = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            basket(&[(&product, 4)], "order-below-1"),
        )
        .await;
    assert_eq!(below["data"]["placeOrder"]["errors"][0]["code"], "INVALID");
    let too_many = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            basket(&[(&product, 101)], "order-many-1"),
        )
        .await;
    assert_eq!(
        too_many["data"]["placeOrder"]["errors"][0]["code"],
        "INSUFFICIENT_STOCK"
    );
    let mut fractional = basket(&[(&product, 1)], "order-frac-1");
    fractional["input"]["lines"][0]["quantity"] = json!(1.5);
    let fractional = w.app.post(w.buyer_admin.token(), PLACE, fractional).await;
    assert_eq!(
        fractional.status(),
        reqwest::StatusCode::BAD_REQUEST,
        "a fractional quantity never runs"
    );
    let unknown = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            basket(&[(&w.producer_id, 1)], "order-unknown-1"),
        )
        .await;
    assert_eq!(
        error_code(&unknown),
        "BAD_USER_INPUT",
        "a producer ID is no product ID"
    );
    let nothing = w
        .app
        .gql(
            w.buyer_admin.token(),
            "{ orders { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        nothing["data"]["orders"]["totalCount"], 0,
        "nothing written"
    );

    w.app
        .gql(
            w.officer.token(),
            "mutation($id: ID!) { suspendProducer(input: {producerId: $id, reason: \"列入经营异常名录\"}) { errors { code } } }",
            json!({ "id": w.producer_id }),
        )
        .await;
    let suspended = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            basket(&[(&product, 1)], "order-susp-1"),
        )
        .await;
    assert_eq!(
        suspended["data"]["placeOrder"]["errors"][0]["code"], "NOT_FOUND",
        "a suspended producer's products leave the catalogue"
    );
    let not_a_buyer = w
        .app
        .gql(
            w.producer_admin.token(),
            PLACE,
            basket(&[(&product, 1)], "order-prod-1"),
        )
        .await;
    assert_eq!(error_code(&not_a_buyer), "FORBIDDEN");
}
