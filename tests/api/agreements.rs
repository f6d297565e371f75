//! Directed procurement agreements: proposed by the buyer, accepted by the producer; orders
//! under them use the agreed price and never pass the agreed volume.

use serde_json::{Value, json};

use crate::world::World;

const PROPOSE: &str = "mutation($input: ProposeAgreementInput!) { proposeAgreement(input: $input) {
    agreement { id status price totalQuantity } errors { code field } } }";
const AGREEMENT: &str =
    "query { agreements { nodes { status orderedQuantity deliveredQuantity } } }";

fn order_under(agreement: &Value, product: &str, quantity: i64, key: &str) -> Value {
    json!({ "input": { "agreementId": agreement, "idempotencyKey": key,
                       "lines": [{ "productId": product, "quantity": quantity }] } })
}

const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
    orders { id total agreementId lines { nodes { price } } } errors { code field } } }";

async fn active_agreement(w: &World, product: &str, total: i64) -> Value {
    let proposed = w
        .app
        .gql(
            w.buyer_admin.token(),
            PROPOSE,
            json!({ "input": { "productId": product, "price": "40.00", "totalQuantity": total,
                               "startsOn": "2026-01-01", "endsOn": "2027-12-31", "rhythm": "每周一、四配送" } }),
        )
        .await;
    let agreement = proposed["data"]["proposeAgreement"]["agreement"].clone();
    assert_eq!(agreement["status"], "PROPOSED", "{proposed}");
    let accepted = w
        .app
        .gql(
            w.producer_admin.token(),
            "mutation($id: ID!) { acceptAgreement(input: {agreementId: $id}) { agreement { status } errors { code } } }",
            json!({ "id": agreement["id"] }),
        )
        .await;
    assert_eq!(
        accepted["data"]["acceptAgreement"]["agreement"]["status"],
        "ACTIVE"
    );
    agreement["id"].clone()
}

#[tokio::test]
async fn orders_under_an_agreement_use_its_price_and_count_toward_it() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let other = w.published_product("灵寿红薯粉条", "20.00").await;
    let agreement = active_agreement(&w, &product, 20).await;

    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            order_under(&agreement, &product, 15, "agreement-order-1"),
        )
        .await;
    let order = &placed["data"]["placeOrder"]["orders"][0];
    assert_eq!(
        order["total"], "600.00",
        "15 × the agreed 40.00, not the catalogue's 45.00"
    );
    assert_eq!(order["lines"]["nodes"][0]["price"], "40.00");
    assert_eq!(order["agreementId"], agreement);

    let over = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            order_under(&agreement, &product, 6, "agreement-order-2"),
        )
        .await;
    assert_eq!(
        over["data"]["placeOrder"]["errors"][0]["code"],
        "AGREEMENT_EXCEEDED"
    );
    let wrong = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            order_under(&agreement, &other, 1, "agreement-order-3"),
        )
        .await;
    assert_eq!(wrong["data"]["placeOrder"]["errors"][0]["code"], "INVALID");

    let id = order["id"].clone();
    for (token, mutation) in [
        (w.producer_clerk.token(), "confirmOrder"),
        (w.producer_clerk.token(), "shipOrder"),
        (w.buyer_admin.token(), "receiveOrder"),
    ] {
        crate::live::step(&w.app, token, mutation, id.as_str().expect("order id")).await;
    }
    let progress = w
        .app
        .gql(w.producer_admin.token(), AGREEMENT, json!({}))
        .await;
    assert_eq!(
        progress["data"]["agreements"]["nodes"][0],
        json!({ "status": "ACTIVE", "orderedQuantity": 15, "deliveredQuantity": 15 })
    );

    let second = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            order_under(&agreement, &product, 5, "agreement-order-4"),
        )
        .await;
    let cancelled = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($id: ID!) { cancelOrder(input: {orderId: $id, reason: \"改期\"}) { errors { code } } }",
            json!({ "id": second["data"]["placeOrder"]["orders"][0]["id"] }),
        )
        .await;
    assert_eq!(cancelled["data"]["cancelOrder"]["errors"], json!([]));
    let after_cancel = w.app.gql(w.buyer_admin.token(), AGREEMENT, json!({})).await;
    assert_eq!(
        after_cancel["data"]["agreements"]["nodes"][0]["orderedQuantity"], 15,
        "a cancelled order gives its quantity back"
    );

    let ended = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($id: ID!) { terminateAgreement(input: {agreementId: $id, reason: \"食堂改由区统一配送\"}) { agreement { status terminateReason } errors { code } } }",
            json!({ "id": agreement }),
        )
        .await;
    assert_eq!(
        ended["data"]["terminateAgreement"]["agreement"]["status"],
        "TERMINATED"
    );
    let late = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            order_under(&agreement, &product, 1, "agreement-order-5"),
        )
        .await;
    assert_eq!(
        late["data"]["placeOrder"]["errors"][0]["code"],
        "INVALID_STATE"
    );
    let stranger = w
        .app
        .gql(w.outsider.token(), "mutation($id: ID!) { terminateAgreement(input: {agreementId: $id, reason: \"无关\"}) { errors { code } } }", json!({ "id": agreement }))
        .await;
    assert_eq!(crate::harness::error_code(&stranger), "FORBIDDEN");
}

#[tokio::test]
async fn concurrent_orders_never_pass_the_agreed_volume() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let agreement = active_agreement(&w, &product, 20).await;
    let keys: Vec<String> = (0..10).map(|i| format!("agreement-race-{i:02}")).collect();
    let results = futures_util::future::join_all(keys.iter().map(|k| {
        w.app.gql(
            w.buyer_admin.token(),
            PLACE,
            order_under(&agreement, &product, 3, k),
        )
    }))
    .await;
    let placed = results
        .iter()
        .filter(|b| b["data"]["placeOrder"]["orders"][0]["id"].is_string())
        .count();
    assert_eq!(placed, 6, "6 × 3 fits in 20; a seventh would not");
    assert!(
        results
            .iter()
            .filter(|b| !b["data"]["placeOrder"]["errors"]
                .as_array()
                .is_none_or(Vec::is_empty))
            .all(|b| b["data"]["placeOrder"]["errors"][0]["code"] == "AGREEMENT_EXCEEDED")
    );
    let progress = w.app.gql(w.buyer_admin.token(), AGREEMENT, json!({})).await;
    assert_eq!(
        progress["data"]["agreements"]["nodes"][0]["orderedQuantity"],
        18
    );
}
