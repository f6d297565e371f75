//! The ledger: written at receipt with the status of that day, append-only at the database,
//! and verifiable by auditors down to the first altered entry.

use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::{Value, json};

use crate::{
    harness::{Session, error_code},
    world::World,
};

/// Places, confirms, ships and receives an order of `quantity`, accepting `accepted`.
async fn received_order(
    w: &World,
    product: &str,
    quantity: i64,
    accepted: i64,
    key: &str,
) -> Value {
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id lines { nodes { id } } } errors { code } } }",
            json!({ "input": { "lines": [{ "productId": product, "quantity": quantity }], "idempotencyKey": key } }),
        )
        .await;
    let order = placed["data"]["placeOrder"]["orders"][0].clone();
    let id = order["id"].clone();
    for (token, mutation) in [
        (w.producer_clerk.token(), "confirmOrder"),
        (w.producer_clerk.token(), "shipOrder"),
    ] {
        let body = w
            .app
            .gql(token, &format!("mutation($id: ID!) {{ {mutation}(input: {{orderId: $id}}) {{ errors {{ code }} }} }}"), json!({ "id": id }))
            .await;
        assert_eq!(body["data"][mutation]["errors"], json!([]), "{body}");
    }
    let line = order["lines"]["nodes"][0]["id"].clone();
    let received = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($id: ID!, $line: ID!, $n: Int!) { receiveOrder(input: {orderId: $id, accepted: [{lineId: $line, acceptedQuantity: $n}]}) { errors { code } } }",
            json!({ "id": id, "line": line, "n": accepted }),
        )
        .await;
    assert_eq!(
        received["data"]["receiveOrder"]["errors"],
        json!([]),
        "{received}"
    );
    id
}

const ENTRIES: &str = "{ ledgerEntries { totalCount nodes { seq kind quantity amount countyCode provinceStatus cityStatus countyStatus townshipStatus villageStatus
    certified paired poorHouseholdsLinked buyerKind category reportingYear region { code } prevHash hash } } }";

const VERIFY: &str = "{ verifyLedger { intact checked reason firstMismatch { seq } } }";

#[tokio::test]
async fn a_receipt_lands_in_the_ledger_as_the_day_classified_it() {
    let w = World::build().await;
    w.app
        .gql(
            w.officer.token(),
            "mutation { updateRegionStatus(input: {code: \"130126\", status: DEEP_POVERTY, effectiveFrom: \"2014-01-01\"}) { errors { code } } }",
            json!({}),
        )
        .await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    received_order(&w, &product, 10, 8, "ledger-order-1").await;
    let body = w.app.gql(w.auditor.token(), ENTRIES, json!({})).await;
    let entries = &body["data"]["ledgerEntries"];
    assert_eq!(entries["totalCount"], 1, "one entry per accepted line");
    let entry = &entries["nodes"][0];
    assert_eq!(entry["seq"], 1);
    assert_eq!(entry["kind"], "SALE");
    assert_eq!(
        entry["quantity"], 8,
        "what was accepted, not what was ordered"
    );
    assert_eq!(entry["amount"], "360.00");
    assert_eq!(entry["countyCode"], "130126");
    assert_eq!(entry["countyStatus"], "DEEP_POVERTY");
    assert_eq!(entry["villageStatus"], "NOT_POOR");
    assert_eq!(entry["townshipStatus"], "NOT_POOR");
    assert_eq!(
        (entry["provinceStatus"].clone(), entry["cityStatus"].clone()),
        (json!("NOT_POOR"), json!("NOT_POOR"))
    );
    assert_eq!(entry["region"]["code"], crate::world::VILLAGE);
    assert_eq!(entry["poorHouseholdsLinked"], 86);
    assert_eq!(entry["buyerKind"], "CANTEEN", "the API's value, not Rust's");
    assert_eq!(entry["category"], "GRAIN_OIL");
    assert_eq!(entry["certified"], false);
    assert_eq!(entry["paired"], false);
    assert_eq!(entry["prevHash"], "0".repeat(64));

    // Later changes of status do not rewrite history.
    w.app
        .gql(
            w.officer.token(),
            "mutation { updateRegionStatus(input: {code: \"130126\", status: EXITED, exitYear: 2020}) { errors { code } } }",
            json!({}),
        )
        .await;
    let again = w.app.gql(w.auditor.token(), ENTRIES, json!({})).await;
    assert_eq!(
        again["data"]["ledgerEntries"]["nodes"][0]["countyStatus"],
        "DEEP_POVERTY"
    );

    // The buyer sees its own purchases; a user acting for no one sees nothing.
    let own = w
        .app
        .gql(
            w.buyer_admin.token(),
            "{ ledgerEntries { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(own["data"]["ledgerEntries"]["totalCount"], 1);
    let stranger = w
        .app
        .gql(
            w.outsider.token(),
            "{ ledgerEntries { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&stranger), "FORBIDDEN");
    let elsewhere = w
        .app
        .gql(
            w.other_officer.token(),
            "{ ledgerEntries { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        elsewhere["data"]["ledgerEntries"]["totalCount"], 0,
        "another county's officer"
    );
}

#[tokio::test]
async fn the_database_refuses_to_edit_or_delete_entries() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    received_order(&w, &product, 2, 2, "ledger-order-2").await;
    let db = w.app.db();
    for statement in [
        "UPDATE ledger_entries SET amount_fen = 1",
        "DELETE FROM ledger_entries",
    ] {
        let refused = db.execute_unprepared(statement).await;
        assert!(refused.is_err(), "{statement} must be refused");
    }
    let body = w.app.gql(w.auditor.token(), VERIFY, json!({})).await;
    assert_eq!(
        body["data"]["verifyLedger"],
        json!({ "intact": true, "checked": 1, "reason": null, "firstMismatch": null })
    );
}

pub(crate) async fn tamper(w: &World, statement: &str) {
    let db = w.app.db();
    let (off, on) = match db.get_database_backend() {
        DbBackend::Postgres => (
            "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only".to_owned(),
            "ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only".to_owned(),
        ),
        _ => (
            "DROP TRIGGER IF EXISTS ledger_entries_no_UPDATE; DROP TRIGGER IF EXISTS ledger_entries_no_DELETE".to_owned(),
            String::new(),
        ),
    };
    db.execute_unprepared(&off).await.expect("disable triggers");
    db.execute_unprepared(statement).await.expect("tamper");
    if !on.is_empty() {
        db.execute_unprepared(&on).await.expect("enable triggers");
    }
}

#[tokio::test]
async fn verification_names_the_first_altered_entry() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    for i in 0..3 {
        received_order(&w, &product, 2, 2, &format!("ledger-order-t{i}")).await;
    }
    let intact = w.app.gql(w.auditor.token(), VERIFY, json!({})).await;
    assert_eq!(intact["data"]["verifyLedger"]["checked"], 3);
    // Someone with database access inflates the second sale (数字脱贫).
    tamper(
        &w,
        "UPDATE ledger_entries SET amount_fen = amount_fen * 10 WHERE seq = 2",
    )
    .await;
    let found = w.app.gql(w.auditor.token(), VERIFY, json!({})).await;
    assert_eq!(
        found["data"]["verifyLedger"],
        json!({ "intact": false, "checked": 1, "reason": "its content does not match its hash", "firstMismatch": { "seq": 2 } })
    );
    let buyer = w.app.gql(w.buyer_admin.token(), VERIFY, json!({})).await;
    assert_eq!(error_code(&buyer), "FORBIDDEN");
}

#[tokio::test]
async fn a_deleted_entry_breaks_the_chain() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    for i in 0..3 {
        received_order(&w, &product, 1, 1, &format!("ledger-order-d{i}")).await;
    }
    tamper(&w, "DELETE FROM ledger_entries WHERE seq = 3").await;
    let tail = w.app.gql(w.auditor.token(), VERIFY, json!({})).await;
    assert_eq!(tail["data"]["verifyLedger"]["intact"], false);
    assert_eq!(
        tail["data"]["verifyLedger"]["reason"],
        "entries at the end of the chain are missing"
    );
    tamper(&w, "DELETE FROM ledger_entries WHERE seq = 1").await;
    let head = w.app.gql(w.auditor.token(), VERIFY, json!({})).await;
    assert_eq!(head["data"]["verifyLedger"]["firstMismatch"]["seq"], 2);
}

#[tokio::test]
async fn concurrent_receipts_keep_one_unbroken_chain() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let keys: Vec<String> = (0..8).map(|i| format!("ledger-conc-{i}")).collect();
    let orders = futures_util::future::join_all(
        keys.iter()
            .map(|key| received_order(&w, &product, 1, 1, key)),
    )
    .await;
    assert_eq!(orders.len(), 8);
    let body = w.app.gql(w.auditor.token(), VERIFY, json!({})).await;
    assert_eq!(
        body["data"]["verifyLedger"],
        json!({ "intact": true, "checked": 8, "reason": null, "firstMismatch": null })
    );
    let audit = w
        .app
        .gql(w.auditor.token(), "{ auditEvents(filter: {action: \"receiveOrder\"}) { totalCount nodes { actor { username } actorRoles } } }", json!({}))
        .await;
    assert_eq!(audit["data"]["auditEvents"]["totalCount"], 8);
    assert_eq!(
        audit["data"]["auditEvents"]["nodes"][0]["actor"]["username"],
        "canteen.admin"
    );
    let denied = w
        .app
        .gql(
            w.buyer_admin.token(),
            "{ auditEvents { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
}

#[tokio::test]
async fn a_refund_is_a_new_negative_entry_pointing_at_the_sale() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let id = received_order(&w, &product, 10, 10, "ledger-refund-1").await;
    let line = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { lines { nodes { id } } } }",
            json!({ "id": id }),
        )
        .await["data"]["order"]["lines"]["nodes"][0]["id"]
        .clone();
    let refund = "mutation($input: RefundOrderInput!) { refundOrder(input: $input) {
        order { lines { nodes { refundedQuantity } } availableTransitions } errors { code field } } }";
    let too_much = w
        .app
        .gql(w.producer_clerk.token(), refund, json!({ "input": { "orderId": id, "reason": "质量问题", "lines": [{ "lineId": line, "quantity": 11 }] } }))
        .await;
    assert_eq!(
        too_much["data"]["refundOrder"]["errors"][0]["code"],
        "INVALID"
    );
    let partial = w
        .app
        .gql(w.producer_clerk.token(), refund, json!({ "input": { "orderId": id, "reason": "三箱破损", "lines": [{ "lineId": line, "quantity": 3 }] } }))
        .await;
    assert_eq!(
        partial["data"]["refundOrder"]["order"]["lines"]["nodes"][0]["refundedQuantity"],
        3
    );
    let by_buyer = w
        .app
        .gql(
            w.buyer_admin.token(),
            refund,
            json!({ "input": { "orderId": id, "reason": "想退" } }),
        )
        .await;
    assert_eq!(error_code(&by_buyer), "FORBIDDEN");

    let entries = w
        .app
        .gql(
            w.auditor.token(),
            "{ ledgerEntries { nodes { id seq kind quantity amount countyStatus } } }",
            json!({}),
        )
        .await;
    let nodes = entries["data"]["ledgerEntries"]["nodes"]
        .as_array()
        .expect("entries")
        .clone();
    assert_eq!(nodes.len(), 2);
    assert_eq!(
        (nodes[0]["kind"].clone(), nodes[0]["amount"].clone()),
        (json!("SALE"), json!("450.00"))
    );
    assert_eq!(
        (
            nodes[1]["kind"].clone(),
            nodes[1]["quantity"].clone(),
            nodes[1]["amount"].clone()
        ),
        (json!("REFUND"), json!(-3), json!("-135.00"))
    );
    let rest = w
        .app
        .gql(
            w.producer_clerk.token(),
            refund,
            json!({ "input": { "orderId": id, "reason": "剩余全部退货" } }),
        )
        .await;
    assert_eq!(
        rest["data"]["refundOrder"]["order"]["lines"]["nodes"][0]["refundedQuantity"],
        10
    );
    let nothing = w
        .app
        .gql(
            w.producer_clerk.token(),
            refund,
            json!({ "input": { "orderId": id, "reason": "再退一次" } }),
        )
        .await;
    assert_eq!(
        nothing["data"]["refundOrder"]["errors"][0]["code"],
        "INVALID_STATE"
    );
    let verified = w.app.gql(w.auditor.token(), VERIFY, json!({})).await;
    assert_eq!(verified["data"]["verifyLedger"]["checked"], 3);
    assert_eq!(verified["data"]["verifyLedger"]["intact"], true);

    // Everything accepted was refunded: nothing is due, so it settles unpaid. Then settle and
    // rate, once each.
    let due = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { account { amountDue } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        due["data"]["order"]["account"]["amountDue"], "0.00",
        "{due}"
    );
    let settle = w
        .app
        .gql(w.buyer_admin.token(), "mutation($id: ID!) { settleOrder(input: {orderId: $id}) { order { status availableTransitions } errors { code } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        settle["data"]["settleOrder"]["order"],
        json!({ "status": "SETTLED", "availableTransitions": ["RATE"] })
    );
    let rate = "mutation($id: ID!, $r: Int!) { rateOrder(input: {orderId: $id, rating: $r, comment: \"准时, 品质好\"}) { order { rating } errors { code } } }";
    let rated = w
        .app
        .gql(w.buyer_admin.token(), rate, json!({ "id": id, "r": 5 }))
        .await;
    assert_eq!(rated["data"]["rateOrder"]["order"]["rating"], 5);
    let again = w
        .app
        .gql(w.buyer_admin.token(), rate, json!({ "id": id, "r": 1 }))
        .await;
    assert_eq!(
        again["data"]["rateOrder"]["errors"][0]["code"],
        "INVALID_STATE"
    );
}

/// A small deterministic generator: the run is random-looking but the same every time.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[tokio::test]
async fn the_ledger_equals_accepted_goods_minus_refunds_after_a_random_run() {
    use entity::{ledger_entry, order_line};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    // A long run by two users: no per-user quota in its way.
    let w = World::build_with(|s| {
        s.request_quota_user = None;
        s.request_quota_ip = None;
    })
    .await;
    let mut products = Vec::new();
    for (name, price) in [("红薯A", "45.00"), ("红薯B", "12.35"), ("红薯C", "7.99")] {
        let id = w.published_product(name, price).await;
        w.app
            .gql(
                w.producer_clerk.token(),
                "mutation($id: ID!) { adjustStock(input: {productId: $id, delta: 100000, reason: \"入库\"}) { errors { code } } }",
                json!({ "id": id }),
            )
            .await;
        products.push(id);
    }
    let mut rng = Lcg(20261123);
    let step = |mutation: &'static str, token: Option<String>, input: Value| {
        let w = &w;
        async move {
            let body = w
                .app
                .gql(token.as_deref(), &format!("mutation($input: {}Input!) {{ {}(input: $input) {{ errors {{ code }} }} }}", input_type(mutation), mutation), json!({ "input": input }))
                .await;
            assert_eq!(
                body["data"][mutation]["errors"],
                json!([]),
                "{mutation}: {body}"
            );
        }
    };
    let buyer = || w.buyer_admin.token().map(str::to_owned);
    let producer = || w.producer_clerk.token().map(str::to_owned);
    let mut received = Vec::new();
    for n in 0..200 {
        let mut lines = Vec::new();
        for product in &products {
            if rng.below(2) == 0 {
                lines.push(json!({ "productId": product, "quantity": 1 + rng.below(20) }));
            }
        }
        let lines = if lines.is_empty() {
            vec![json!({ "productId": products[0], "quantity": 1 })]
        } else {
            lines
        };
        let placed = w
            .app
            .gql(
                w.buyer_admin.token(),
                "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id lines { nodes { id quantity } } } errors { code } } }",
                json!({ "input": { "lines": lines, "idempotencyKey": format!("random-run-{n:05}") } }),
            )
            .await;
        let order = placed["data"]["placeOrder"]["orders"][0].clone();
        let id = order["id"].clone();
        match rng.below(10) {
            0 => {
                step(
                    "cancelOrder",
                    buyer(),
                    json!({ "orderId": id, "reason": "计划变更" }),
                )
                .await;
            }
            1 => {
                step("confirmOrder", producer(), json!({ "orderId": id })).await;
                step(
                    "cancelOrder",
                    buyer(),
                    json!({ "orderId": id, "reason": "计划变更" }),
                )
                .await;
            }
            2 => step("confirmOrder", producer(), json!({ "orderId": id })).await,
            _ => {
                step("confirmOrder", producer(), json!({ "orderId": id })).await;
                ship_and_receive(&w, &order, &mut rng).await;
                match rng.below(6) {
                    0 => {
                        step(
                            "refundOrder",
                            producer(),
                            json!({ "orderId": id, "reason": "售后退货" }),
                        )
                        .await;
                    }
                    1 | 2 => after_sales(&w, &id, &mut rng).await,
                    _ => {}
                }
                // Nothing, part or all of what is due is paid and confirmed.
                let share = rng.below(3);
                if share > 0 {
                    pay(&w, &id, share, n).await;
                }
                received.push(id);
            }
        }
    }
    let db = w.app.db();
    let entries = ledger_entry::Entity::find().all(db).await.expect("entries");
    let ledger_total: i64 = entries.iter().map(|e| e.amount_fen).sum();
    let lines = order_line::Entity::find()
        .filter(order_line::Column::AcceptedQuantity.is_not_null())
        .all(db)
        .await
        .expect("lines");
    let expected: i64 = lines
        .iter()
        .map(|l| (l.accepted_quantity.unwrap_or(0) - l.refunded_quantity) * l.price_fen)
        .sum();
    assert!(
        lines.len() > 200,
        "a run of substance: {} received lines",
        lines.len()
    );
    assert_eq!(ledger_total, expected, "every yuan once");
    let tallied: i64 = entity::ledger_tally::Entity::find()
        .all(db)
        .await
        .expect("tallies")
        .iter()
        .map(|t| t.amount_fen)
        .sum();
    assert_eq!(
        tallied, ledger_total,
        "the maintained rollups agree with the entries"
    );
    let summary = w
        .app
        .gql(
            w.auditor.token(),
            "{ ledgerSummary(groupBy: [COUNTY]) { total } }",
            json!({}),
        )
        .await;
    let reported = fupin_market::graphql::scalars::Money::parse(
        summary["data"]["ledgerSummary"]["total"]
            .as_str()
            .expect("total"),
    );
    assert_eq!(
        reported.map(fupin_market::graphql::scalars::Money::fen),
        Some(ledger_total)
    );
    let sales = entries.iter().filter(|e| e.quantity > 0).count();
    let accepted_shipment_lines = entity::shipment_line::Entity::find()
        .filter(entity::shipment_line::Column::AcceptedQuantity.gt(0))
        .count(db)
        .await
        .expect("shipment lines");
    assert_eq!(
        sales as u64, accepted_shipment_lines,
        "one sale per accepted shipment line"
    );
    assert!(
        accepted_shipment_lines > lines.len() as u64,
        "some orders came in several shipments"
    );
    let verified = w.app.gql(w.auditor.token(), VERIFY, json!({})).await;
    assert_eq!(verified["data"]["verifyLedger"]["intact"], true);
    assert_eq!(verified["data"]["verifyLedger"]["checked"], entries.len());
    amounts_due_agree(&w, &received).await;
    let returns = entity::return_request::Entity::find()
        .all(db)
        .await
        .expect("requests");
    assert!(
        returns.iter().filter(|r| r.status.refunded()).count() > 10
            && returns
                .iter()
                .any(|r| r.status == entity::return_request::ReturnStatus::Dismissed),
        "after-sales of substance: {} requests",
        returns.len()
    );
}

/// Ships the order whole or, when a line allows, in two parts (half of each line of two or
/// more, then the rest), and receives each shipment accepting a random part of every line.
async fn ship_and_receive(w: &World, order: &Value, rng: &mut Lcg) {
    let gql = |token: Option<&str>, query: &'static str, variables: Value| {
        let token = token.map(str::to_owned);
        async move {
            let body = w.app.gql(token.as_deref(), query, variables).await;
            let payload = body["data"]
                .as_object()
                .and_then(|d| d.values().next().cloned())
                .unwrap_or_default();
            assert_eq!(payload["errors"], json!([]), "{body}");
        }
    };
    const SHIP: &str =
        "mutation($input: ShipOrderInput!) { shipOrder(input: $input) { errors { code } } }";
    let halves: Vec<Value> = order["lines"]["nodes"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| {
            let quantity = l["quantity"].as_u64().unwrap_or(1);
            (quantity >= 2).then(|| json!({ "lineId": l["id"], "quantity": quantity / 2 }))
        })
        .collect();
    let id = &order["id"];
    if !halves.is_empty() && rng.below(2) == 0 {
        let input = json!({ "orderId": id, "carrier": "顺丰速运", "waybillNo": "SF1000200030", "lines": halves });
        gql(w.producer_clerk.token(), SHIP, json!({ "input": input })).await;
    }
    gql(
        w.producer_clerk.token(),
        SHIP,
        json!({ "input": { "orderId": id } }),
    )
    .await;
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { shipments { id lines { lineId quantity } } } }",
            json!({ "id": id }),
        )
        .await;
    let shipments = body["data"]["order"]["shipments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!shipments.is_empty(), "{body}");
    for shipment in shipments {
        let accepted: Vec<Value> = shipment["lines"]
            .as_array()
            .expect("shipment lines")
            .iter()
            .map(|l| {
                let quantity = l["quantity"].as_u64().unwrap_or(1);
                json!({ "lineId": l["lineId"], "acceptedQuantity": quantity - rng.below(quantity + 1) / 2 })
            })
            .collect();
        gql(
            w.buyer_admin.token(),
            "mutation($input: ReceiveShipmentInput!) { receiveShipment(input: $input) { errors { code } } }",
            json!({ "input": { "shipmentId": shipment["id"], "accepted": accepted, "inspectionReport": "外观完好, 抽检合格" } }),
        )
        .await;
    }
}

/// The buyer asks for part of a line back; the producer accepts, or rejects and the county
/// officer decides either way after the buyer escalates.
async fn after_sales(w: &World, order: &Value, rng: &mut Lcg) {
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { lines { nodes { id acceptedQuantity refundedQuantity } } } }",
            json!({ "id": order }),
        )
        .await;
    let open: Vec<(Value, u64)> = body["data"]["order"]["lines"]["nodes"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| {
            let left = l["acceptedQuantity"]
                .as_u64()
                .unwrap_or(0)
                .saturating_sub(l["refundedQuantity"].as_u64().unwrap_or(0));
            (left > 0).then(|| (l["id"].clone(), left))
        })
        .collect();
    let Some((line, left)) = open.first().cloned() else {
        return;
    };
    let kind = if rng.below(2) == 0 {
        "RETURN"
    } else {
        "REFUND_ONLY"
    };
    let asked = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: RequestReturnInput!) { requestReturn(input: $input) { request { id } errors { code } } }",
            json!({ "input": { "orderId": order, "kind": kind, "reason": "质量问题",
                               "lines": [{ "lineId": line, "quantity": 1 + rng.below(left) }] } }),
        )
        .await;
    let id = asked["data"]["requestReturn"]["request"]["id"].clone();
    assert!(id.is_string(), "{asked}");
    let run = |who: &Session, query: &'static str, variables: Value| {
        let token = who.token().map(str::to_owned);
        async move {
            let body = w.app.gql(token.as_deref(), query, variables).await;
            let payload = body["data"]
                .as_object()
                .and_then(|d| d.values().next().cloned())
                .unwrap_or_default();
            assert_eq!(payload["errors"], json!([]), "{body}");
        }
    };
    if rng.below(2) == 0 {
        run(
            &w.producer_clerk,
            "mutation($id: ID!) { acceptReturn(input: {requestId: $id}) { errors { code } } }",
            json!({ "id": id }),
        )
        .await;
        return;
    }
    run(&w.producer_clerk, "mutation($id: ID!) { rejectReturn(input: {requestId: $id, reason: \"不同意\"}) { errors { code } } }", json!({ "id": id })).await;
    run(&w.buyer_admin, "mutation($id: ID!) { escalateReturn(input: {requestId: $id, reason: \"申请裁决\"}) { errors { code } } }", json!({ "id": id })).await;
    run(
        &w.officer,
        "mutation($id: ID!, $f: Boolean!) { decideReturn(input: {requestId: $id, inFavourOfBuyer: $f, reason: \"核实\"}) { errors { code } } }",
        json!({ "id": id, "f": rng.below(2) == 0 }),
    )
    .await;
}

/// Pays `share` halves (1: half, 2: all) of what the order owes, and confirms it.
async fn pay(w: &World, order: &Value, share: u64, n: u64) {
    let due = due_of(w, order).await["amountDue"]
        .as_str()
        .and_then(fupin_market::graphql::scalars::Money::parse)
        .map_or(0, fupin_market::graphql::scalars::Money::fen);
    let amount = due * i64::try_from(share).unwrap_or(0) / 2;
    if amount <= 0 {
        return;
    }
    let recorded = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id } errors { code } } }",
            json!({ "input": { "orderId": order, "amount": fupin_market::text::yuan(amount),
                               "method": "BANK_TRANSFER", "reference": format!("RUN-{n:05}"),
                               "paidOn": chrono::Utc::now().date_naive().to_string() } }),
        )
        .await;
    assert_eq!(
        recorded["data"]["recordPayment"]["errors"],
        json!([]),
        "{recorded}"
    );
    let confirmed = w
        .app
        .gql(
            w.producer_clerk.token(),
            "mutation($id: ID!) { confirmPayment(input: {paymentId: $id}) { errors { code } } }",
            json!({ "id": recorded["data"]["recordPayment"]["payment"]["id"] }),
        )
        .await;
    assert_eq!(
        confirmed["data"]["confirmPayment"]["errors"],
        json!([]),
        "{confirmed}"
    );
}

async fn due_of(w: &World, order: &Value) -> Value {
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { account { accepted refunded paid amountDue } } }",
            json!({ "id": order }),
        )
        .await;
    body["data"]["order"]["account"].clone()
}

/// Every received order's `amountDue` is what it accepted, less refunds, less confirmed
/// payments, to the fen, counted from the stored lines and payments.
async fn amounts_due_agree(w: &World, orders: &[Value]) {
    use entity::{order_line, payment};
    use fupin_market::{graphql::scalars::Money, ids};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let fen = |v: &Value| v.as_str().and_then(Money::parse).map(Money::fen);
    let mut paid_orders = 0;
    for order in orders {
        let id = ids::decode(order.as_str().unwrap_or_default())
            .map(|(_, u)| u)
            .expect("an order ID");
        let lines = order_line::Entity::find()
            .filter(order_line::Column::OrderId.eq(id))
            .all(w.app.db())
            .await
            .expect("lines");
        let accepted: i64 = lines
            .iter()
            .map(|l| (l.accepted_quantity.unwrap_or(0) - l.refunded_quantity) * l.price_fen)
            .sum();
        let paid: i64 = payment::Entity::find()
            .filter(payment::Column::OrderId.eq(id))
            .filter(payment::Column::Status.eq(payment::PaymentStatus::Confirmed))
            .all(w.app.db())
            .await
            .expect("payments")
            .iter()
            .map(|p| p.amount_fen)
            .sum();
        paid_orders += usize::from(paid > 0);
        let account = due_of(w, order).await;
        assert_eq!(fen(&account["paid"]), Some(paid), "{order}");
        assert_eq!(
            fen(&account["amountDue"]),
            Some(accepted - paid),
            "{order}: {account}"
        );
    }
    assert!(
        paid_orders > 20,
        "a run of substance: {paid_orders} orders paid"
    );
}

fn input_type(mutation: &str) -> &'static str {
    match mutation {
        "cancelOrder" => "CancelOrder",
        "receiveOrder" => "ReceiveOrder",
        "refundOrder" => "RefundOrder",
        _ => "OrderId",
    }
}
