//! Issue 17, item 2: shipments. An order ships in parts with waybills; the lines show what
//! shipped and what is outstanding; each shipment is received and inspected on its own, what is
//! accepted entering the ledger then; the order is RECEIVED after the last. Shipping more than
//! ordered (alone or concurrently) is refused, nothing written; goods rejected at inspection go
//! back into stock once; a refund after two shipments splits over their sales.

use std::collections::HashMap;

use chrono::{Days, Utc};
use entity::ledger_entry::{self, LedgerEntryKind};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{harness::Session, world::World};

const SHIP: &str = "mutation($input: ShipOrderInput!) { shipOrder(input: $input) {
    order { status availableTransitions } errors { field code message } } }";
const RECEIVE: &str = "mutation($input: ReceiveShipmentInput!) { receiveShipment(input: $input) {
    shipment { number orderId receivedAt inspection { result report }
        lines { lineId quantity acceptedQuantity rejectedQuantity } }
    errors { field code message } } }";
const RETURNED: &str =
    "mutation($id: ID!) { confirmRejectedGoodsReturned(input: {shipmentId: $id}) {
    shipment { rejectedGoodsReturnedAt } errors { code message } } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) { status account { accepted dueOn }
    lines(first: 10) { nodes { id quantity shippedQuantity outstandingQuantity acceptedQuantity } }
    shipments { id number carrier waybillNo expectedArrival shippedAt receivedAt
        inspection { result report } rejectedGoodsReturnedAt
        lines { lineId quantity acceptedQuantity rejectedQuantity } }
    events { toStatus note } } }";
const STOCK: &str = "query($id: ID!) { product(id: $id) { stock } }";

/// Places and confirms an order of `quantities` of the products; returns it and its line IDs.
async fn confirmed(w: &World, lines: &[(&str, i64)], key: &str) -> (String, Vec<String>) {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(p, q)| json!({ "productId": p, "quantity": q }))
        .collect();
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id } errors { code } } }",
            json!({ "input": { "lines": lines, "idempotencyKey": key } }),
        )
        .await;
    let order = placed["data"]["placeOrder"]["orders"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{placed}"))
        .to_owned();
    let confirmed = w
        .app
        .gql(
            w.producer_clerk.token(),
            "mutation($id: ID!) { confirmOrder(input: {orderId: $id}) { errors { code } } }",
            json!({ "id": order }),
        )
        .await;
    assert_eq!(confirmed["data"]["confirmOrder"]["errors"], json!([]));
    let lines = order_of(w, &order).await["lines"]["nodes"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["id"].as_str().expect("line id").to_owned())
        .collect();
    (order, lines)
}

async fn order_of(w: &World, order: &str) -> Value {
    let body = w
        .app
        .gql(w.buyer_admin.token(), ORDER, json!({ "id": order }))
        .await;
    assert!(body["data"]["order"].is_object(), "{body}");
    body["data"]["order"].clone()
}

async fn ship(w: &World, input: Value) -> Value {
    let body = w
        .app
        .gql(w.producer_clerk.token(), SHIP, json!({ "input": input }))
        .await;
    body["data"]["shipOrder"].clone()
}

async fn receive(w: &World, who: &Session, input: Value) -> Value {
    let body = w
        .app
        .gql(who.token(), RECEIVE, json!({ "input": input }))
        .await;
    assert!(body["data"]["receiveShipment"].is_object(), "{body}");
    body["data"]["receiveShipment"].clone()
}

async fn stock(w: &World, product: &str) -> i64 {
    let body = w
        .app
        .gql(w.producer_clerk.token(), STOCK, json!({ "id": product }))
        .await;
    body["data"]["product"]["stock"].as_i64().expect("stock")
}

fn in_days(days: u64) -> String {
    Utc::now()
        .date_naive()
        .checked_add_days(Days::new(days))
        .expect("a date")
        .to_string()
}

fn column(lines: &Value, field: &str) -> Vec<Value> {
    lines["nodes"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l[field].clone())
        .collect()
}

async fn ledger_total(w: &World) -> (i64, String) {
    let body = w
        .app
        .gql(
            w.auditor.token(),
            "{ ledgerEntries(first: 50) { totalCount nodes { amount } } }",
            json!({}),
        )
        .await;
    let entries = &body["data"]["ledgerEntries"];
    let fen: i64 = entries["nodes"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            fupin_market::graphql::scalars::Money::parse(e["amount"].as_str().expect("amount"))
                .expect("money")
                .fen()
        })
        .sum();
    (
        entries["totalCount"].as_i64().expect("count"),
        format!("{}.{:02}", fen / 100, fen % 100),
    )
}

/// Ships 6 + 4 of 10 红薯 and 3 of 3 粉条 in two shipments, receives them one by one.
async fn shipped_in_two(w: &World, key: &str) -> (String, Vec<String>, Vec<String>) {
    let potatoes = w.published_product("灵寿红薯 5kg装", "12.34").await;
    let noodles = w.published_product("红薯粉条 1kg", "8.05").await;
    let (order, lines) = confirmed(w, &[(&potatoes, 10), (&noodles, 3)], key).await;
    let first = ship(
        w,
        json!({ "orderId": order, "carrier": "顺丰速运", "waybillNo": "SF1234567890",
                "expectedArrival": in_days(2), "lines": [{ "lineId": lines[0], "quantity": 6 }] }),
    )
    .await;
    assert_eq!(first["errors"], json!([]), "{first}");
    assert_eq!(first["order"]["status"], "SHIPPED");
    assert_eq!(
        first["order"]["availableTransitions"],
        json!(["SHIP"]),
        "the rest is outstanding: {first}"
    );
    let second = ship(
        w,
        json!({ "orderId": order, "carrier": "EMS", "waybillNo": "EMS-0000001",
                "expectedArrival": in_days(3) }),
    )
    .await;
    assert_eq!(second["errors"], json!([]), "the rest: {second}");
    assert_eq!(second["order"]["availableTransitions"], json!([]));
    (order, lines, vec![potatoes, noodles])
}

#[tokio::test]
async fn an_order_ships_in_two_parts_and_is_received_after_the_last() {
    let w = World::build().await;
    let (order, lines, _) = shipped_in_two(&w, "ship-two-1").await;
    let shown = order_of(&w, &order).await;
    assert_eq!(
        column(&shown["lines"], "shippedQuantity"),
        [json!(10), json!(3)]
    );
    assert_eq!(
        column(&shown["lines"], "outstandingQuantity"),
        [json!(0), json!(0)]
    );
    let shipments = shown["shipments"].as_array().expect("shipments");
    assert_eq!(shipments.len(), 2);
    assert_eq!(shipments[0]["number"], 1);
    assert_eq!(shipments[0]["carrier"], "顺丰速运");
    assert_eq!(shipments[0]["waybillNo"], "SF1234567890");
    assert_eq!(shipments[0]["expectedArrival"], in_days(2));
    assert_eq!(
        shipments[0]["lines"],
        json!([{ "lineId": lines[0], "quantity": 6, "acceptedQuantity": null, "rejectedQuantity": null }])
    );
    assert_eq!(shipments[1]["lines"].as_array().map(Vec::len), Some(2));
    assert_eq!(shipments[1]["inspection"], Value::Null);
    // Nothing more to ship.
    let more = ship(&w, json!({ "orderId": order })).await;
    assert_eq!(more["errors"][0]["code"], "INVALID_STATE", "{more}");
    // receiveOrder no longer fits an order shipped in parts.
    let whole = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: ReceiveOrderInput!) { receiveOrder(input: $input) { errors { code message } } }",
            json!({ "input": { "orderId": order, "accepted": [
                { "lineId": lines[0], "acceptedQuantity": 10 }, { "lineId": lines[1], "acceptedQuantity": 3 }] } }),
        )
        .await;
    assert_eq!(
        whole["data"]["receiveOrder"]["errors"][0]["code"], "INVALID_STATE",
        "{whole}"
    );

    // The first shipment: 5 of 6 accepted.
    let first_id = shipments[0]["id"].clone();
    let first = receive(
        &w,
        &w.buyer_admin,
        json!({ "shipmentId": first_id, "inspectionReport": "一箱破损",
                "accepted": [{ "lineId": lines[0], "acceptedQuantity": 5 }] }),
    )
    .await;
    assert_eq!(first["errors"], json!([]), "{first}");
    let received = &first["shipment"];
    assert_eq!(received["inspection"]["result"], "PARTIAL");
    assert_eq!(received["inspection"]["report"], "一箱破损");
    assert_eq!(received["lines"][0]["rejectedQuantity"], 1);
    assert_eq!(received["orderId"], json!(order));
    assert_eq!(
        order_of(&w, &order).await["status"],
        "SHIPPED",
        "a shipment is still on its way"
    );
    assert_eq!(ledger_total(&w).await, (1, "61.70".to_owned()));
    // Received twice: refused.
    let again = receive(
        &w,
        &w.buyer_admin,
        json!({ "shipmentId": first_id, "inspectionReport": "",
                "accepted": [{ "lineId": lines[0], "acceptedQuantity": 5 }] }),
    )
    .await;
    assert_eq!(again["errors"][0]["code"], "INVALID_STATE", "{again}");

    // The second: more than it carried is refused, nothing written.
    let second_id = shipments[1]["id"].clone();
    let too_many = receive(
        &w,
        &w.buyer_admin,
        json!({ "shipmentId": second_id, "inspectionReport": "好",
                "accepted": [{ "lineId": lines[0], "acceptedQuantity": 5 },
                             { "lineId": lines[1], "acceptedQuantity": 3 }] }),
    )
    .await;
    assert_eq!(
        too_many["errors"][0]["field"],
        json!(["input", "accepted", "0", "acceptedQuantity"]),
        "{too_many}"
    );
    assert_eq!(ledger_total(&w).await.0, 1, "nothing written");
    let last = receive(
        &w,
        &w.buyer_admin,
        json!({ "shipmentId": second_id, "inspectionReport": "合格", "invoiceNo": "No.0042",
                "accepted": [{ "lineId": lines[0], "acceptedQuantity": 4 },
                             { "lineId": lines[1], "acceptedQuantity": 2 }] }),
    )
    .await;
    assert_eq!(last["errors"], json!([]), "{last}");
    let order_now = &order_of(&w, &order).await;
    assert_eq!(order_now["status"], "RECEIVED");
    assert_eq!(order_now["account"]["dueOn"], in_days(30));
    // 9 × 12.34 + 2 × 8.05 = 111.06 + 16.10 = 127.16, over three sale entries.
    assert_eq!(order_now["account"]["accepted"], "127.16");
    assert_eq!(ledger_total(&w).await, (3, "127.16".to_owned()));
    let shown = order_of(&w, &order).await;
    assert_eq!(
        column(&shown["lines"], "acceptedQuantity"),
        [json!(9), json!(2)]
    );
    let notes: Vec<&str> = shown["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["note"].as_str())
        .collect();
    assert!(
        notes.contains(&"shipment 1: 顺丰速运 SF1234567890")
            && notes.contains(&"shipment 2 received: 6 of 7 accepted"),
        "{notes:?}"
    );
}

#[tokio::test]
async fn shipping_more_than_ordered_is_refused_and_writes_nothing() {
    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (order, lines) = confirmed(&w, &[(&potatoes, 5)], "ship-over-1").await;
    let over = ship(
        &w,
        json!({ "orderId": order, "lines": [{ "lineId": lines[0], "quantity": 6 }] }),
    )
    .await;
    assert_eq!(
        over["errors"][0]["field"],
        json!(["input", "lines", "0", "quantity"]),
        "{over}"
    );
    assert_eq!(over["errors"][0]["code"], "INVALID");
    let bad = ship(
        &w,
        json!({ "orderId": order, "carrier": "<b>", "waybillNo": "单号 1" }),
    )
    .await;
    let fields: Vec<Value> = bad["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(
        fields,
        [json!(["input", "carrier"]), json!(["input", "waybillNo"])],
        "{bad}"
    );
    let shown = order_of(&w, &order).await;
    assert_eq!(shown["status"], "CONFIRMED");
    assert_eq!(shown["shipments"], json!([]));
    assert_eq!(column(&shown["lines"], "shippedQuantity"), [json!(0)]);
    // Self-delivery: no carrier, no waybill.
    let own = ship(
        &w,
        json!({ "orderId": order, "lines": [{ "lineId": lines[0], "quantity": 5 }] }),
    )
    .await;
    assert_eq!(own["errors"], json!([]), "{own}");
    assert_eq!(
        order_of(&w, &order).await["events"]
            .as_array()
            .and_then(|e| e.last())
            .map(|e| e["note"].clone()),
        Some(json!("shipment 1: self-delivery"))
    );
}

#[tokio::test]
async fn concurrent_shipments_cannot_ship_more_than_was_ordered() {
    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (order, lines) = confirmed(&w, &[(&potatoes, 10)], "ship-race-1").await;
    let input = json!({ "orderId": order, "lines": [{ "lineId": lines[0], "quantity": 6 }] });
    let attempts = (0..4).map(|_| ship(&w, input.clone()));
    let results = futures_util::future::join_all(attempts).await;
    let shipped = results.iter().filter(|r| r["errors"] == json!([])).count();
    assert_eq!(shipped, 1, "{results:?}");
    for refused in results.iter().filter(|r| r["errors"] != json!([])) {
        assert_eq!(
            refused["errors"][0]["field"],
            json!(["input", "lines", "0", "quantity"]),
            "{refused}"
        );
    }
    let shown = order_of(&w, &order).await;
    assert_eq!(column(&shown["lines"], "shippedQuantity"), [json!(6)]);
    assert_eq!(shown["shipments"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn only_the_orders_buyer_receives_its_shipments() {
    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (order, lines) = confirmed(&w, &[(&potatoes, 4)], "ship-foreign-1").await;
    assert_eq!(
        ship(&w, json!({ "orderId": order })).await["errors"],
        json!([])
    );
    let shipment = order_of(&w, &order).await["shipments"][0]["id"].clone();
    let input = json!({ "shipmentId": shipment, "inspectionReport": "",
                        "accepted": [{ "lineId": lines[0], "acceptedQuantity": 4 }] });
    // Another buyer unit: it may not even see the shipment.
    let other = w
        .app
        .register("other.canteen", Some(("其他单位食堂", "BUYER")))
        .await;
    let org = w
        .app
        .gql(other.token(), "{ me { organization { id } } }", json!({}))
        .await["data"]["me"]["organization"]["id"]
        .clone();
    let created = w
        .app
        .gql(
            other.token(),
            crate::world::CREATE_BUYER,
            json!({ "input": { "organizationId": org, "name": "其他单位食堂", "kind": "CANTEEN",
                "regionCode": "4406", "contactName": "陈采购", "contactPhone": "0757-83000000" } }),
        )
        .await;
    assert!(
        created["data"]["createBuyer"]["buyer"].is_object(),
        "{created}"
    );
    let other = w.app.login("other.canteen", crate::harness::PASSWORD).await;
    let foreign = w
        .app
        .gql(other.token(), RECEIVE, json!({ "input": input }))
        .await;
    assert!(
        foreign["data"]["receiveShipment"]["shipment"].is_null(),
        "{foreign}"
    );
    assert_eq!(
        crate::harness::error_code(&foreign),
        "NOT_FOUND",
        "another unit's shipment answers like an unknown one: {foreign}"
    );
    let node = w
        .app
        .gql(
            other.token(),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": shipment }),
        )
        .await;
    assert_eq!(node["data"]["node"], Value::Null);
    let own = w
        .app
        .gql(
            w.producer_clerk.token(),
            "query($id: ID!) { node(id: $id) { ... on Shipment { number } } }",
            json!({ "id": shipment }),
        )
        .await;
    assert_eq!(own["data"]["node"]["number"], 1, "{own}");
    let shown = order_of(&w, &order).await;
    assert_eq!(shown["status"], "SHIPPED");
    assert_eq!(shown["shipments"][0]["receivedAt"], Value::Null);
    assert_eq!(ledger_total(&w).await.0, 0);
}

#[tokio::test]
async fn rejected_goods_go_back_into_stock_once() {
    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let before = stock(&w, &potatoes).await;
    let (order, lines) = confirmed(&w, &[(&potatoes, 8)], "ship-restock-1").await;
    assert_eq!(
        ship(&w, json!({ "orderId": order })).await["errors"],
        json!([])
    );
    let shipment = order_of(&w, &order).await["shipments"][0]["id"].clone();
    let early = w
        .app
        .gql(
            w.producer_clerk.token(),
            RETURNED,
            json!({ "id": shipment }),
        )
        .await;
    assert_eq!(
        early["data"]["confirmRejectedGoodsReturned"]["errors"][0]["code"], "INVALID_STATE",
        "not received yet: {early}"
    );
    // receiveOrder still receives an order shipped whole.
    let received = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: ReceiveOrderInput!) { receiveOrder(input: $input) { order { status } errors { code } } }",
            json!({ "input": { "orderId": order, "accepted": [{ "lineId": lines[0], "acceptedQuantity": 5 }] } }),
        )
        .await;
    assert_eq!(
        received["data"]["receiveOrder"]["order"]["status"], "RECEIVED",
        "{received}"
    );
    assert_eq!(stock(&w, &potatoes).await, before - 8);
    let by_buyer = w
        .app
        .gql(w.buyer_admin.token(), RETURNED, json!({ "id": shipment }))
        .await;
    assert!(
        by_buyer["data"]["confirmRejectedGoodsReturned"]["shipment"].is_null(),
        "{by_buyer}"
    );
    let back = w
        .app
        .gql(
            w.producer_clerk.token(),
            RETURNED,
            json!({ "id": shipment }),
        )
        .await;
    let payload = &back["data"]["confirmRejectedGoodsReturned"];
    assert_eq!(payload["errors"], json!([]), "{back}");
    assert!(payload["shipment"]["rejectedGoodsReturnedAt"].is_string());
    assert_eq!(stock(&w, &potatoes).await, before - 5, "3 rejected, back");
    let twice = w
        .app
        .gql(
            w.producer_clerk.token(),
            RETURNED,
            json!({ "id": shipment }),
        )
        .await;
    assert_eq!(
        twice["data"]["confirmRejectedGoodsReturned"]["errors"][0]["code"],
        "INVALID_STATE"
    );
    assert_eq!(stock(&w, &potatoes).await, before - 5, "once");
    let shown = order_of(&w, &order).await;
    assert_eq!(
        shown["shipments"][0]["inspection"],
        json!({ "result": "PARTIAL", "report": null })
    );
    assert_eq!(
        shown["events"]
            .as_array()
            .and_then(|e| e.last())
            .map(|e| e["note"].clone()),
        Some(json!("shipment 1: rejected goods back in stock"))
    );
    let audited = w
        .app
        .gql(
            w.auditor.token(),
            "{ auditEvents(filter: {action: \"confirmRejectedGoodsReturned\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(audited["data"]["auditEvents"]["totalCount"], 1, "{audited}");
}

#[tokio::test]
async fn a_refund_after_two_shipments_splits_over_their_sales() {
    let w = World::build().await;
    let (order, lines, _) = shipped_in_two(&w, "ship-refund-1").await;
    let shipments = order_of(&w, &order).await["shipments"].clone();
    for (shipment, accepted) in [
        (
            &shipments[0],
            json!([{ "lineId": lines[0], "acceptedQuantity": 6 }]),
        ),
        (
            &shipments[1],
            json!([{ "lineId": lines[0], "acceptedQuantity": 4 }, { "lineId": lines[1], "acceptedQuantity": 3 }]),
        ),
    ] {
        let done = receive(
            &w,
            &w.buyer_admin,
            json!({ "shipmentId": shipment["id"], "inspectionReport": "合格", "accepted": accepted }),
        )
        .await;
        assert_eq!(done["errors"], json!([]), "{done}");
    }
    // Two refunds of the potatoes: 4, then 5 (more than either sale alone has left).
    for quantity in [4, 5] {
        let refunded = w
            .app
            .gql(
                w.producer_clerk.token(),
                "mutation($input: RefundOrderInput!) { refundOrder(input: $input) { errors { code message } } }",
                json!({ "input": { "orderId": order, "reason": "质量问题",
                                   "lines": [{ "lineId": lines[0], "quantity": quantity }] } }),
            )
            .await;
        assert_eq!(
            refunded["data"]["refundOrder"]["errors"],
            json!([]),
            "{refunded}"
        );
    }
    let entries = ledger_entry::Entity::find()
        .all(w.app.db())
        .await
        .expect("entries");
    let sales: HashMap<_, _> = entries
        .iter()
        .filter(|e| e.kind == LedgerEntryKind::Sale)
        .map(|e| (e.id, e.quantity))
        .collect();
    let mut refunded: HashMap<_, i64> = HashMap::new();
    for refund in entries.iter().filter(|e| e.kind == LedgerEntryKind::Refund) {
        let sale = refund.refund_of.expect("a refund points at its sale");
        assert!(sales[&sale] >= -refund.quantity, "{refund:?}");
        *refunded.entry(sale).or_default() -= refund.quantity;
    }
    assert_eq!(refunded.values().sum::<i64>(), 9);
    for (sale, quantity) in &refunded {
        assert!(
            *quantity <= sales[sale],
            "never more of a sale than it sold"
        );
    }
    let refunds = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::Kind.eq(LedgerEntryKind::Refund))
        .count(w.app.db())
        .await
        .expect("count");
    assert!(refunds >= 3, "the second refund took from both sales");
    // 10 × 12.34 + 3 × 8.05 − 9 × 12.34 = 12.34 + 24.15 = 36.49.
    assert_eq!(ledger_total(&w).await.1, "36.49");
    let verified = w
        .app
        .gql(
            w.auditor.token(),
            "{ verifyLedger { intact checked } }",
            json!({}),
        )
        .await;
    assert_eq!(
        verified["data"]["verifyLedger"]["intact"], true,
        "{verified}"
    );
}

/// Orders shipped before shipments existed get one shipment covering every line when the
/// migration runs (received ones marked received, with what was accepted); others get none.
#[tokio::test]
async fn the_migration_gives_shipped_orders_one_shipment_each() {
    use migration::{Migrator, MigratorTrait};

    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (shipped, _) = confirmed(&w, &[(&potatoes, 4)], "ship-legacy-1").await;
    assert_eq!(
        ship(&w, json!({ "orderId": shipped })).await["errors"],
        json!([])
    );
    let (received, lines) = confirmed(&w, &[(&potatoes, 5)], "ship-legacy-2").await;
    assert_eq!(
        ship(&w, json!({ "orderId": received })).await["errors"],
        json!([])
    );
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: ReceiveOrderInput!) { receiveOrder(input: $input) { errors { code } } }",
            json!({ "input": { "orderId": received, "accepted": [{ "lineId": lines[0], "acceptedQuantity": 3 }] } }),
        )
        .await;
    assert_eq!(body["data"]["receiveOrder"]["errors"], json!([]), "{body}");
    let (open, _) = confirmed(&w, &[(&potatoes, 2)], "ship-legacy-3").await;
    // Back to before shipments, and up again over these orders.
    let migrations = Migrator::migrations();
    let position = migrations
        .iter()
        .position(|m| m.name() == "m20261205_000002_shipments")
        .expect("the shipments migration");
    let steps = u32::try_from(migrations.len() - position).unwrap_or(u32::MAX);
    Migrator::down(w.app.db(), Some(steps)).await.expect("down");
    Migrator::up(w.app.db(), None).await.expect("up");

    let one = order_of(&w, &shipped).await;
    assert_eq!(column(&one["lines"], "shippedQuantity"), [json!(4)]);
    assert_eq!(one["shipments"].as_array().map(Vec::len), Some(1), "{one}");
    assert_eq!(one["shipments"][0]["number"], 1);
    assert_eq!(one["shipments"][0]["receivedAt"], Value::Null);
    assert_eq!(one["shipments"][0]["lines"][0]["quantity"], 4);
    let two = order_of(&w, &received).await;
    assert!(two["shipments"][0]["receivedAt"].is_string(), "{two}");
    assert_eq!(
        two["shipments"][0]["lines"][0],
        json!({ "lineId": lines[0], "quantity": 5, "acceptedQuantity": 3, "rejectedQuantity": 2 })
    );
    assert_eq!(two["shipments"][0]["inspection"]["result"], "PARTIAL");
    let none = order_of(&w, &open).await;
    assert_eq!(none["shipments"], json!([]));
    assert_eq!(column(&none["lines"], "outstandingQuantity"), [json!(2)]);
    // The migrated shipment is received like any other.
    let whole = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: ReceiveOrderInput!) { receiveOrder(input: $input) { order { status } errors { code } } }",
            json!({ "input": { "orderId": shipped, "accepted": [{ "lineId": one["lines"]["nodes"][0]["id"], "acceptedQuantity": 4 }] } }),
        )
        .await;
    assert_eq!(
        whole["data"]["receiveOrder"]["order"]["status"], "RECEIVED",
        "{whole}"
    );
}

/// An order shipped with no shipment recorded (generated history) is received whole: it gets
/// its one shipment then.
#[tokio::test]
async fn an_order_shipped_without_shipment_rows_is_received_whole() {
    use sea_orm::ConnectionTrait;

    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (order, lines) = confirmed(&w, &[(&potatoes, 3)], "ship-generated-1").await;
    assert_eq!(
        ship(&w, json!({ "orderId": order })).await["errors"],
        json!([])
    );
    let db = w.app.db();
    for statement in ["DELETE FROM shipment_lines", "DELETE FROM shipments"] {
        db.execute_unprepared(statement)
            .await
            .expect("as generated");
    }
    assert_eq!(order_of(&w, &order).await["shipments"], json!([]));
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: ReceiveOrderInput!) { receiveOrder(input: $input) { order { status } errors { code } } }",
            json!({ "input": { "orderId": order, "accepted": [{ "lineId": lines[0], "acceptedQuantity": 3 }] } }),
        )
        .await;
    assert_eq!(
        body["data"]["receiveOrder"]["order"]["status"], "RECEIVED",
        "{body}"
    );
    let shown = order_of(&w, &order).await;
    assert_eq!(column(&shown["lines"], "shippedQuantity"), [json!(3)]);
    assert_eq!(shown["shipments"][0]["lines"][0]["acceptedQuantity"], 3);
    assert_eq!(ledger_total(&w).await, (1, "30.00".to_owned()));
}

/// Issue 18, item 3: a shipment line names the lot its goods come from; the buyer reads the
/// lot's trace code on the shipment and anyone traces it. A lot of another product, of another
/// producer, failed at inspection, or with too little left is refused on its field, nothing
/// written.
#[tokio::test]
async fn a_shipment_names_its_lot_and_the_buyer_traces_what_arrived() {
    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let noodles = w.published_product("灵寿红薯粉条", "20.00").await;
    let record = |product: &str, quantity: i64, result: &str| {
        let inspected = if result == "NOT_INSPECTED" {
            json!({})
        } else {
            json!({ "inspectedOn": "2026-10-22", "inspectionBody": "灵寿县农产品质量安全检测站" })
        };
        let mut input = json!({ "productId": product, "producedOn": "2026-10-20", "quantity": quantity,
                                "originVillageCode": crate::world::VILLAGE, "inspectionResult": result });
        for (k, v) in inspected.as_object().expect("object") {
            input[k] = v.clone();
        }
        input
    };
    let mut lots = Vec::new();
    for input in [
        record(&potatoes, 5, "QUALIFIED"),
        record(&noodles, 50, "QUALIFIED"),
        record(&potatoes, 50, "UNQUALIFIED"),
    ] {
        let body = w
            .app
            .gql(
                w.producer_clerk.token(),
                "mutation($input: RecordLotInput!) { recordLot(input: $input) { lot { id traceCode } errors { code message } } }",
                json!({ "input": input }),
            )
            .await;
        let lot = body["data"]["recordLot"]["lot"].clone();
        assert!(lot.is_object(), "{body}");
        lots.push(lot);
    }
    let (small, other_product, unfit) = (&lots[0], &lots[1], &lots[2]);
    let (order, lines) = confirmed(&w, &[(&potatoes, 8)], "lot-order").await;
    let unknown_lot = fupin_market::ids::NodeKind::Lot.id(uuid::Uuid::now_v7()).0;
    let line = |lot: &Value, quantity: i64| json!({ "lineId": lines[0], "quantity": quantity, "lotId": lot });
    for (lot, quantity, field, code) in [
        (other_product["id"].clone(), 3, "lotId", "INVALID"),
        (unfit["id"].clone(), 3, "lotId", "INVALID"),
        (json!(unknown_lot), 3, "lotId", "NOT_FOUND"),
        (small["id"].clone(), 6, "quantity", "INVALID"),
    ] {
        let body = ship(
            &w,
            json!({ "orderId": order, "lines": [line(&lot, quantity)] }),
        )
        .await;
        assert_eq!(
            body["errors"],
            json!([{ "field": ["input", "lines", "0", field], "code": code,
                     "message": body["errors"][0]["message"] }]),
            "{lot}: {body}"
        );
    }
    assert_eq!(
        order_of(&w, &order).await["shipments"],
        json!([]),
        "nothing written"
    );

    // Five from the lot, then three more without one.
    let shipped = ship(
        &w,
        json!({ "orderId": order, "lines": [line(&small["id"], 5)] }),
    )
    .await;
    assert_eq!(shipped["errors"], json!([]), "{shipped}");
    let shipped = ship(
        &w,
        json!({ "orderId": order, "lines": [{ "lineId": lines[0], "quantity": 3 }] }),
    )
    .await;
    assert_eq!(shipped["errors"], json!([]), "{shipped}");
    let seen = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { shipments { lines { quantity lot { traceCode shippedQuantity } } } } }",
            json!({ "id": order }),
        )
        .await;
    let code = small["traceCode"].as_str().expect("code");
    assert_eq!(
        seen["data"]["order"]["shipments"],
        json!([
            { "lines": [{ "quantity": 5, "lot": { "traceCode": code, "shippedQuantity": 5 } }] },
            { "lines": [{ "quantity": 3, "lot": null }] }
        ]),
        "{seen}"
    );
    let traced = w
        .app
        .gql(
            None,
            "query($c: String!) { traceCode(code: $c) { productName inspection { result } } }",
            json!({ "c": code }),
        )
        .await;
    assert_eq!(
        traced["data"]["traceCode"],
        json!({ "productName": "灵寿红薯 5kg装", "inspection": { "result": "QUALIFIED" } })
    );
    // The lot is spent: another order cannot ship from it.
    let (again, again_lines) = confirmed(&w, &[(&potatoes, 1)], "lot-order-2").await;
    let body = ship(&w, json!({ "orderId": again, "lines": [{ "lineId": again_lines[0], "quantity": 1, "lotId": small["id"] }] })).await;
    assert_eq!(
        body["errors"][0]["field"],
        json!(["input", "lines", "0", "quantity"]),
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("0 left"),
        "{body}"
    );
}
