//! Child IDs must belong to their parent (issue 13, item 2): a receipt, a refund, a basket under
//! an agreement and a purchase drive name parts by ID; a part of another object, an unknown one,
//! a repeated one (and, for a receipt, a missing line) refuse the whole request by field, and
//! nothing is written: order state, stock and the ledger stay as they were.

use serde_json::{Value, json};

use crate::{
    live::step,
    world::{COUNTY, World},
};

const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
    orders { id lines { nodes { id productName } } } errors { field code message } } }";
const RECEIVE: &str = "mutation($input: ReceiveOrderInput!) { receiveOrder(input: $input) {
    order { status } errors { field code message } } }";
const REFUND: &str = "mutation($input: RefundOrderInput!) { refundOrder(input: $input) {
    order { status } errors { field code message } } }";
const STATE: &str = "query($id: ID!) { order(id: $id) { status lines { nodes { acceptedQuantity refundedQuantity } } } }";

fn unknown_line() -> String {
    fupin_market::ids::NodeKind::OrderLine
        .id(fupin_market::ids::new_uuid())
        .0
}

/// Places an order of these products (one producer: one order) and ships it; returns the
/// order's ID and its line IDs in product order.
async fn shipped(w: &World, products: &[&str], key: &str) -> (String, Vec<String>) {
    let lines: Vec<Value> = products
        .iter()
        .map(|p| json!({ "productId": p, "quantity": 5 }))
        .collect();
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            json!({ "input": { "lines": lines, "idempotencyKey": key } }),
        )
        .await;
    let order = &placed["data"]["placeOrder"]["orders"][0];
    let id = order["id"].as_str().expect("order").to_owned();
    let line_ids = order["lines"]["nodes"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["id"].as_str().expect("line").to_owned())
        .collect();
    for (mutation, status) in [("confirmOrder", "CONFIRMED"), ("shipOrder", "SHIPPED")] {
        let moved = step(&w.app, w.producer_clerk.token(), mutation, &id).await;
        assert_eq!(moved, status, "{mutation}");
    }
    (id, line_ids)
}

/// What a refused request must leave untouched: the order, the stock and the ledger's tip.
async fn snapshot(w: &World, order: &str, products: &[&str]) -> Value {
    let state = w
        .app
        .gql(w.buyer_admin.token(), STATE, json!({ "id": order }))
        .await;
    let mut stock = Vec::new();
    for product in products {
        let body = w
            .app
            .gql(
                w.producer_clerk.token(),
                "query($id: ID!) { product(id: $id) { stock } }",
                json!({ "id": product }),
            )
            .await;
        stock.push(body["data"]["product"]["stock"].clone());
    }
    let ledger = w
        .app
        .gql(
            w.auditor.token(),
            "{ ledgerEntries(last: 1) { totalCount nodes { seq hash } } }",
            json!({}),
        )
        .await;
    json!({ "order": state["data"]["order"], "stock": stock, "ledger": ledger["data"] })
}

#[tokio::test]
async fn a_receipt_names_each_line_of_its_order_exactly_once() {
    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let noodles = w.published_product("灵寿红薯粉条", "20.50").await;
    let products = [potatoes.as_str(), noodles.as_str()];
    let (order, lines) = shipped(&w, &products, "parts-order-1").await;
    let (_, other_lines) = shipped(&w, &[&potatoes], "parts-order-2").await;
    let before = snapshot(&w, &order, &products).await;
    let accept = |ids: &[&str]| -> Value {
        json!({ "input": { "orderId": order, "accepted":
            ids.iter().map(|l| json!({ "lineId": l, "acceptedQuantity": 5 })).collect::<Vec<_>>() } })
    };
    let unknown = unknown_line();
    let cases: [(&str, Value, Value, &str); 5] = [
        (
            "a line of another order",
            accept(&[&lines[0], &lines[1], &other_lines[0]]),
            json!(["input", "accepted", "2", "lineId"]),
            "NOT_FOUND",
        ),
        (
            "an unknown line",
            accept(&[&lines[0], &unknown, &lines[1]]),
            json!(["input", "accepted", "1", "lineId"]),
            "NOT_FOUND",
        ),
        (
            "a repeated line",
            accept(&[&lines[0], &lines[0], &lines[1]]),
            json!(["input", "accepted", "1", "lineId"]),
            "DUPLICATE",
        ),
        (
            "a missing line",
            accept(&[&lines[1]]),
            json!(["input", "accepted"]),
            "INVALID",
        ),
        // Nothing is accepted unnamed, not even by naming nothing.
        (
            "no line at all",
            accept(&[]),
            json!(["input", "accepted"]),
            "INVALID",
        ),
    ];
    // A receipt without its inspection is not a receipt: the field is required.
    let bare = w
        .app
        .post(
            w.buyer_admin.token(),
            RECEIVE,
            json!({ "input": { "orderId": order } }),
        )
        .await;
    assert_eq!(bare.status(), reqwest::StatusCode::BAD_REQUEST);
    for (what, input, field, code) in cases {
        let body = w.app.gql(w.buyer_admin.token(), RECEIVE, input).await;
        let payload = &body["data"]["receiveOrder"];
        assert_eq!(payload["order"], Value::Null, "{what}: {body}");
        assert_eq!(payload["errors"][0]["field"], field, "{what}: {body}");
        assert_eq!(payload["errors"][0]["code"], code, "{what}: {body}");
        assert_eq!(
            snapshot(&w, &order, &products).await,
            before,
            "{what}: nothing written"
        );
    }
    // The foreign line's answer says nothing about the other order: same as an unknown one.
    let foreign = w
        .app
        .gql(
            w.buyer_admin.token(),
            RECEIVE,
            accept(&[&lines[0], &lines[1], &other_lines[0]]),
        )
        .await;
    let unknown = w
        .app
        .gql(
            w.buyer_admin.token(),
            RECEIVE,
            accept(&[&lines[0], &lines[1], &unknown]),
        )
        .await;
    assert_eq!(foreign, unknown);

    // Naming every line once goes through; 0 rejects a line.
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            RECEIVE,
            json!({ "input": { "orderId": order, "accepted": [
                { "lineId": lines[1], "acceptedQuantity": 0 },
                { "lineId": lines[0], "acceptedQuantity": 4 }] } }),
        )
        .await;
    assert_eq!(body["data"]["receiveOrder"]["errors"], json!([]), "{body}");
    let state = w
        .app
        .gql(w.buyer_admin.token(), STATE, json!({ "id": order }))
        .await;
    assert_eq!(state["data"]["order"]["status"], "RECEIVED");
    let accepted: Vec<Value> = state["data"]["order"]["lines"]["nodes"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["acceptedQuantity"].clone())
        .collect();
    assert_eq!(accepted, [json!(4), json!(0)]);
}

#[tokio::test]
async fn a_refund_names_only_lines_of_its_order_once() {
    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let noodles = w.published_product("灵寿红薯粉条", "20.50").await;
    let products = [potatoes.as_str(), noodles.as_str()];
    let (order, lines) = shipped(&w, &products, "parts-refund-1").await;
    let (other, other_lines) = shipped(&w, &[&potatoes], "parts-refund-2").await;
    for id in [&order, &other] {
        let received = step(&w.app, w.buyer_admin.token(), "receiveOrder", id).await;
        assert_eq!(received, "RECEIVED");
    }
    let before = snapshot(&w, &order, &products).await;
    let refund = |named: &[(&str, i64)]| -> Value {
        json!({ "input": { "orderId": order, "reason": "质量问题退货", "lines":
            named.iter().map(|(l, q)| json!({ "lineId": l, "quantity": q })).collect::<Vec<_>>() } })
    };
    let unknown = unknown_line();
    let cases: [(&str, Value, Value, &str); 3] = [
        (
            "a line of another order",
            refund(&[(&lines[0], 1), (&other_lines[0], 1)]),
            json!(["input", "lines", "1", "lineId"]),
            "NOT_FOUND",
        ),
        (
            "an unknown line",
            refund(&[(&unknown, 1)]),
            json!(["input", "lines", "0", "lineId"]),
            "NOT_FOUND",
        ),
        (
            "a repeated line",
            refund(&[(&lines[1], 1), (&lines[1], 1)]),
            json!(["input", "lines", "1", "lineId"]),
            "DUPLICATE",
        ),
    ];
    for (what, input, field, code) in cases {
        let body = w.app.gql(w.producer_clerk.token(), REFUND, input).await;
        let payload = &body["data"]["refundOrder"];
        assert_eq!(payload["order"], Value::Null, "{what}: {body}");
        assert_eq!(payload["errors"][0]["field"], field, "{what}: {body}");
        assert_eq!(payload["errors"][0]["code"], code, "{what}: {body}");
        assert_eq!(
            snapshot(&w, &order, &products).await,
            before,
            "{what}: nothing written"
        );
    }
    // A refund may name a subset: the lines not named are not refunded.
    let body = w
        .app
        .gql(w.producer_clerk.token(), REFUND, refund(&[(&lines[0], 2)]))
        .await;
    assert_eq!(body["data"]["refundOrder"]["errors"], json!([]), "{body}");
    let state = w
        .app
        .gql(w.buyer_admin.token(), STATE, json!({ "id": order }))
        .await;
    let refunded: Vec<Value> = state["data"]["order"]["lines"]["nodes"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["refundedQuantity"].clone())
        .collect();
    assert_eq!(refunded, [json!(2), json!(0)]);
}

#[tokio::test]
async fn a_drive_names_each_flagged_product_once() {
    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let until = (chrono::Utc::now() + chrono::Duration::days(30))
        .date_naive()
        .to_string();
    let reported = w
        .app
        .gql(
            w.producer_clerk.token(),
            "mutation($input: ReportUnsoldInput!) { reportUnsold(input: $input) { errors { code message } } }",
            json!({ "input": { "productId": potatoes, "quantity": 500, "until": until } }),
        )
        .await;
    assert_eq!(
        reported["data"]["reportUnsold"]["errors"],
        json!([]),
        "{reported}"
    );
    let today = chrono::Utc::now().date_naive();
    let drive = |ids: Vec<&str>| {
        json!({ "input": { "name": "灵寿红薯集中采购", "regionCode": COUNTY,
            "startsOn": today.to_string(), "endsOn": (today + chrono::Duration::days(10)).to_string(),
            "productIds": ids } })
    };
    let create =
        "mutation($input: CreatePurchaseDriveInput!) { createPurchaseDrive(input: $input) {
        drive { id } errors { field code } } }";
    let twice = w
        .app
        .gql(w.officer.token(), create, drive(vec![&potatoes, &potatoes]))
        .await;
    assert_eq!(
        twice["data"]["createPurchaseDrive"]["errors"],
        json!([{ "field": ["input", "productIds", "1"], "code": "DUPLICATE" }]),
        "{twice}"
    );
    let drives = w
        .app
        .gql(None, "{ purchaseDrives { totalCount } }", json!({}))
        .await;
    assert_eq!(drives["data"]["purchaseDrives"]["totalCount"], 0);
    let once = w
        .app
        .gql(w.officer.token(), create, drive(vec![&potatoes]))
        .await;
    assert_eq!(
        once["data"]["createPurchaseDrive"]["errors"],
        json!([]),
        "{once}"
    );
}
