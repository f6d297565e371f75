//! Subscriptions over `graphql-transport-ws` (issue 5): the protocol's close codes for bad or
//! expired tokens, order events for the parties only, ledger running totals for the region's
//! staff, and unsold-produce warnings in the viewer's scope.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    harness::{TestApp, error_code},
    world::{COUNTY, OTHER_COUNTY, World},
    ws::WsClient,
};

pub const ORDER_EVENTS: &str =
    "subscription { orderEvents { fromStatus toStatus at order { id status total } } }";
const LEDGER_TALLY: &str = "subscription($code: String!) { ledgerTally(regionCode: $code) {
    regionCode amount quantity entries change } }";
const UNSOLD: &str = "subscription($code: String) { unsoldAlerts(regionCode: $code) {
    id kind status reportedQuantity product { name } region { code } } }";
const QUIET: Duration = Duration::from_millis(700);

/// Places an order of `quantity` of `product` as the world's buyer; returns the order's ID.
pub async fn place(
    app: &TestApp,
    token: Option<&str>,
    product: &str,
    quantity: i64,
    key: &str,
) -> String {
    let body = app
        .gql(
            token,
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id } errors { code message } } }",
            json!({ "input": { "lines": [{ "productId": product, "quantity": quantity }], "idempotencyKey": key } }),
        )
        .await;
    assert_eq!(body["data"]["placeOrder"]["errors"], json!([]), "{body}");
    body["data"]["placeOrder"]["orders"][0]["id"]
        .as_str()
        .expect("order id")
        .to_owned()
}

/// Moves an order one step (a receipt accepts every line in full); returns the new status.
pub async fn step(app: &TestApp, token: Option<&str>, mutation: &str, order: &str) -> Value {
    let input = if mutation == "receiveOrder" {
        "ReceiveOrderInput"
    } else if mutation == "shipOrder" {
        "ShipOrderInput"
    } else {
        "OrderIdInput"
    };
    let body = app
        .gql(
            token,
            &format!("mutation($input: {input}!) {{ {mutation}(input: $input) {{ order {{ status }} errors {{ code message }} }} }}"),
            json!({ "input": app.order_step_input(token, mutation, order).await }),
        )
        .await;
    assert_eq!(body["data"][mutation]["errors"], json!([]), "{body}");
    body["data"][mutation]["order"]["status"].clone()
}

#[tokio::test]
async fn a_socket_without_a_valid_token_is_closed_with_4403() {
    let app = TestApp::spawn().await;
    let mut missing = WsClient::open(&app.base).await;
    missing.send(json!({ "type": "connection_init" })).await;
    missing.expect_close(4403).await;

    let mut forged = WsClient::open(&app.base).await;
    forged
        .send(json!({ "type": "connection_init", "payload": { "authorization": "Bearer not.a.token" } }))
        .await;
    forged.expect_close(4403).await;

    // Subscribing before the handshake is 4401, as the protocol says.
    let mut hasty = WsClient::open(&app.base).await;
    hasty.subscribe("1", ORDER_EVENTS, json!({})).await;
    hasty.expect_close(4401).await;

    // Another subprotocol is refused before the upgrade.
    let refused = app
        .client
        .get(app.url("/graphql/ws"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", "graphql-ws")
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn the_socket_closes_when_its_token_expires() {
    let app = TestApp::spawn_with(|s| s.access_token_ttl = Duration::from_secs(2)).await;
    let user = app.register("short.lived", None).await;
    let mut socket = WsClient::signed_in(&app.base, &user.access_token).await;
    let started = std::time::Instant::now();
    let reason = socket.expect_close(4403).await;
    assert!(reason.contains("expired"), "{reason}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "closed at expiry, not later"
    );
}

#[tokio::test]
async fn order_events_reach_both_parties_and_nobody_else() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let other_buyer = w
        .app
        .register("school.buyer", Some(("灵寿县第一中学食堂", "BUYER")))
        .await;
    let mut producer = WsClient::signed_in(&w.app.base, &w.producer_clerk.access_token).await;
    let mut buyer = WsClient::signed_in(&w.app.base, &w.buyer_admin.access_token).await;
    let mut stranger = WsClient::signed_in(&w.app.base, &other_buyer.access_token).await;
    for socket in [&mut producer, &mut buyer, &mut stranger] {
        socket.subscribe("orders", ORDER_EVENTS, json!({})).await;
    }
    // Nothing to wait on for the subscription itself: give the server a moment to start it.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let order = place(&w.app, w.buyer_admin.token(), &product, 3, "live-order-1").await;
    step(&w.app, w.producer_clerk.token(), "confirmOrder", &order).await;
    step(&w.app, w.producer_clerk.token(), "shipOrder", &order).await;

    for socket in [&mut producer, &mut buyer] {
        let mut seen = Vec::new();
        for _ in 0..3 {
            let data = socket.next_data("orders").await;
            let event = &data["data"]["orderEvents"];
            assert_eq!(event["order"]["id"], order.as_str());
            assert_eq!(event["order"]["total"], "135.00");
            seen.push((event["fromStatus"].clone(), event["toStatus"].clone()));
        }
        assert_eq!(
            seen,
            [
                (Value::Null, json!("PLACED")),
                (json!("PLACED"), json!("CONFIRMED")),
                (json!("CONFIRMED"), json!("SHIPPED")),
            ],
            "in commit order"
        );
    }
    stranger.expect_silence(QUIET).await;

    // Without an organisation there is nothing to follow.
    let mut outsider = WsClient::signed_in(&w.app.base, &w.outsider.access_token).await;
    outsider.subscribe("orders", ORDER_EVENTS, json!({})).await;
    assert_eq!(outsider.next_error_code("orders").await, "FORBIDDEN");
}

#[tokio::test]
async fn ledger_tallies_run_as_receipts_land_for_the_regions_staff() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let mut county = WsClient::signed_in(&w.app.base, &w.officer.access_token).await;
    county
        .subscribe("tally", LEDGER_TALLY, json!({ "code": COUNTY }))
        .await;
    let first = county.next_data("tally").await;
    assert_eq!(
        first["data"]["ledgerTally"],
        json!({ "regionCode": COUNTY, "amount": "0.00", "quantity": 0, "entries": 0, "change": "0.00" })
    );
    let mut elsewhere = WsClient::signed_in(&w.app.base, &w.other_officer.access_token).await;
    elsewhere
        .subscribe("tally", LEDGER_TALLY, json!({ "code": COUNTY }))
        .await;
    assert_eq!(elsewhere.next_error_code("tally").await, "FORBIDDEN");
    let mut own = WsClient::signed_in(&w.app.base, &w.other_officer.access_token).await;
    own.subscribe("tally", LEDGER_TALLY, json!({ "code": OTHER_COUNTY }))
        .await;
    own.next_data("tally").await;

    for (quantity, key) in [(2, "tally-order-1"), (5, "tally-order-2")] {
        let order = place(&w.app, w.buyer_admin.token(), &product, quantity, key).await;
        step(&w.app, w.producer_clerk.token(), "confirmOrder", &order).await;
        step(&w.app, w.producer_clerk.token(), "shipOrder", &order).await;
        step(&w.app, w.buyer_admin.token(), "receiveOrder", &order).await;
    }
    let after_first = county.next_data("tally").await;
    assert_eq!(
        after_first["data"]["ledgerTally"],
        json!({ "regionCode": COUNTY, "amount": "90.00", "quantity": 2, "entries": 1, "change": "90.00" })
    );
    let after_second = county.next_data("tally").await;
    assert_eq!(
        after_second["data"]["ledgerTally"]["amount"], "315.00",
        "90.00 + 5 × 45.00"
    );
    own.expect_silence(QUIET).await;

    // A late subscriber starts from the totals so far.
    let mut late = WsClient::signed_in(&w.app.base, &w.auditor.access_token).await;
    late.subscribe("tally", LEDGER_TALLY, json!({ "code": "13" }))
        .await;
    let now = late.next_data("tally").await;
    assert_eq!(now["data"]["ledgerTally"]["amount"], "315.00");
    assert_eq!(now["data"]["ledgerTally"]["entries"], 2);
}

#[tokio::test]
async fn reported_surplus_reaches_officers_of_the_region_only() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let mut county = WsClient::signed_in(&w.app.base, &w.officer.access_token).await;
    county.subscribe("unsold", UNSOLD, json!({})).await;
    let mut elsewhere = WsClient::signed_in(&w.app.base, &w.other_officer.access_token).await;
    elsewhere.subscribe("unsold", UNSOLD, json!({})).await;
    let mut buyer = WsClient::signed_in(&w.app.base, &w.buyer_admin.access_token).await;
    buyer
        .subscribe("unsold", UNSOLD, json!({ "code": "13" }))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let until = (chrono::Utc::now().date_naive() + chrono::Days::new(20)).to_string();
    let reported = w
        .app
        .gql(
            w.producer_clerk.token(),
            "mutation($input: ReportUnsoldInput!) { reportUnsold(input: $input) {
                alert { id kind status reportedQuantity } errors { field code message } } }",
            json!({ "input": { "productId": product, "quantity": 800, "until": until, "note": "今年丰收, 库存积压" } }),
        )
        .await;
    let alert = &reported["data"]["reportUnsold"]["alert"];
    assert_eq!(alert["kind"], "REPORTED", "{reported}");
    for socket in [&mut county, &mut buyer] {
        let data = socket.next_data("unsold").await;
        let got = &data["data"]["unsoldAlerts"];
        assert_eq!(got["id"], alert["id"]);
        assert_eq!(got["reportedQuantity"], 800);
        assert_eq!(got["product"]["name"], "灵寿红薯 5kg装");
        assert_eq!(got["region"]["code"], crate::world::VILLAGE);
    }
    elsewhere.expect_silence(QUIET).await;

    // Only the producer's own members report, with a quantity and a date ahead.
    let bad = w
        .app
        .gql(
            w.producer_clerk.token(),
            "mutation($input: ReportUnsoldInput!) { reportUnsold(input: $input) { errors { field code } } }",
            json!({ "input": { "productId": product, "quantity": 0, "until": "2020-01-01" } }),
        )
        .await;
    assert_eq!(
        bad["data"]["reportUnsold"]["errors"],
        json!([
            { "field": ["input", "quantity"], "code": "INVALID" },
            { "field": ["input", "until"], "code": "INVALID" },
        ])
    );
    let foreign = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: ReportUnsoldInput!) { reportUnsold(input: $input) { errors { code } } }",
            json!({ "input": { "productId": product, "quantity": 5, "until": until } }),
        )
        .await;
    assert_eq!(error_code(&foreign), "FORBIDDEN");
}
