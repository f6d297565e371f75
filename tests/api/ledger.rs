//! The ledger: written at receipt with the status of that day, append-only at the database,
//! and verifiable by auditors down to the first altered entry.

use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::{Value, json};

use crate::{harness::error_code, world::World};

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

const ENTRIES: &str = "{ ledgerEntries { totalCount nodes { seq kind quantity amount countyCode countyStatus villageStatus
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
    assert_eq!(entry["region"]["code"], crate::world::VILLAGE);
    assert_eq!(entry["poorHouseholdsLinked"], 86);
    assert_eq!(entry["buyerKind"], "Canteen");
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

async fn tamper(w: &World, statement: &str) {
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
