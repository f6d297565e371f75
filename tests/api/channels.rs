//! Issue 16, items 2 and 4: every ledger entry carries its channel (an order placed here, an
//! outlet's or a fair's accepted report) and its purpose; summaries group and filter by both.
//! Reported sales enter the same chain and rollups, count in their regions, and count toward no
//! unit's own target; a correction is a negative entry like a refund.

use chrono::Utc;
use entity::ledger_entry::Purpose;
use fupin_market::{
    ids,
    ledger::reported::{ReportedSale, Venue, record_reported_sales},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    consent::{declare, year},
    tallies::buy,
    world::{CITY, World},
};

const SUMMARY: &str = "query($g: [LedgerDimension!]!, $f: LedgerSummaryFilter) {
    ledgerSummary(groupBy: $g, filter: $f) { total groups { keys { value } amount entries } } }";
const ENTRIES: &str = "query($f: LedgerFilter) { ledgerEntries(filter: $f, first: 50) {
    nodes { kind channel purpose orderId amount quantity } } }";
const PROGRESS: &str =
    "query($b: ID!, $y: Int!) { targetProgress(buyerId: $b, year: $y) { purchased } }";

async fn summary(w: &World, group_by: &[&str], filter: Value) -> Value {
    let body = w
        .app
        .gql(
            w.officer.token(),
            SUMMARY,
            json!({ "g": group_by, "f": filter }),
        )
        .await;
    assert!(body["data"]["ledgerSummary"].is_object(), "{body}");
    body["data"]["ledgerSummary"].clone()
}

/// Each group's first key and amount, in the order given.
fn amounts(summary: &Value) -> Vec<(String, String)> {
    summary["groups"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .map(|g| {
                    (
                        g["keys"][0]["value"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        g["amount"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn orders_state_their_purpose_or_take_their_buyers_and_summaries_group_by_it() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    buy(&w, &w.buyer_admin, &product, 2, "purpose-default").await;
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id purpose } errors { code } } }",
            json!({ "input": { "lines": [{ "productId": product, "quantity": 1 }],
                               "purpose": "UNION_WELFARE", "idempotencyKey": "purpose-welfare" } }),
        )
        .await;
    let order = &placed["data"]["placeOrder"]["orders"][0];
    assert_eq!(order["purpose"], "UNION_WELFARE", "{placed}");
    for (token, mutation) in [
        (w.producer_clerk.token(), "confirmOrder"),
        (w.producer_clerk.token(), "shipOrder"),
        (w.buyer_admin.token(), "receiveOrder"),
    ] {
        crate::live::step(
            &w.app,
            token,
            mutation,
            order["id"].as_str().unwrap_or_default(),
        )
        .await;
    }

    let by_purpose = summary(&w, &["PURPOSE"], json!({})).await;
    assert_eq!(
        amounts(&by_purpose),
        pairs(&[("CANTEEN_SUPPLY", "20.00"), ("UNION_WELFARE", "10.00")])
    );
    let by_channel = summary(&w, &["CHANNEL"], json!({})).await;
    assert_eq!(amounts(&by_channel), pairs(&[("ORDER", "30.00")]));
    let welfare = summary(&w, &[], json!({ "purposes": ["UNION_WELFARE"] })).await;
    assert_eq!(welfare["total"], "10.00");

    let entries = w
        .app
        .gql(
            w.officer.token(),
            ENTRIES,
            json!({ "f": { "purposes": ["UNION_WELFARE"] } }),
        )
        .await;
    let nodes = entries["data"]["ledgerEntries"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(nodes.len(), 1, "{entries}");
    assert_eq!(nodes[0]["channel"], "ORDER");
    assert_eq!(nodes[0]["orderId"], order["id"]);
}

fn uuid_of(id: &str) -> Uuid {
    ids::decode(id).map(|(_, uuid)| uuid).unwrap_or_default()
}

async fn tip(w: &World) -> i64 {
    use sea_orm::EntityTrait;
    entity::ledger_head::Entity::find_by_id(1)
        .one(w.app.db())
        .await
        .ok()
        .flatten()
        .map_or(0, |head| head.seq)
}

#[tokio::test]
async fn reported_sales_count_in_their_regions_and_toward_no_target() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    declare(
        &w,
        &w.buyer_admin,
        json!({ "buyerId": w.buyer_id, "year": year(), "canteen": "OWN_CANTEEN",
                "canteenBudget": "10000.00", "reservedSharePercent": 10 }),
    )
    .await;
    buy(&w, &w.buyer_admin, &product, 2, "reported-order").await;
    let line = Uuid::now_v7();
    let sale = ReportedSale {
        venue: Venue::Outlet(Uuid::now_v7()),
        report_line_id: line,
        answering_org_id: uuid_of(&w.buyer_id),
        place_code: CITY.to_owned(),
        product_id: uuid_of(&product),
        quantity: 4,
        amount_fen: 4_000,
        sold_on: Utc::now().date_naive(),
        purpose: Purpose::Personal,
    };

    // Bad sales are refused whole: nothing enters the chain.
    let before = tip(&w).await;
    let mixed = ReportedSale {
        amount_fen: -4_000,
        ..sale.clone()
    };
    assert!(
        record_reported_sales(w.app.db(), &[sale.clone(), mixed])
            .await
            .is_err()
    );
    let orphan = ReportedSale {
        report_line_id: Uuid::now_v7(),
        quantity: -1,
        amount_fen: -1_000,
        ..sale.clone()
    };
    assert!(record_reported_sales(w.app.db(), &[orphan]).await.is_err());
    assert_eq!(tip(&w).await, before);

    let recorded = record_reported_sales(w.app.db(), std::slice::from_ref(&sale))
        .await
        .unwrap_or_default();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].order_id, None);
    assert_eq!(recorded[0].buyer_region_code, CITY);
    let correction = ReportedSale {
        quantity: -1,
        amount_fen: -1_000,
        ..sale
    };
    let corrected = record_reported_sales(w.app.db(), &[correction])
        .await
        .unwrap_or_default();
    assert_eq!(corrected.len(), 1);
    assert_eq!(corrected[0].refund_of, Some(recorded[0].id));

    let by_channel = summary(&w, &["CHANNEL"], json!({})).await;
    assert_eq!(
        amounts(&by_channel),
        pairs(&[("OUTLET", "30.00"), ("ORDER", "20.00")])
    );
    // The county rollups hold every channel: a county total matches the fine one.
    let counties = summary(&w, &["COUNTY"], json!({})).await;
    assert_eq!(amounts(&counties), pairs(&[("130126", "50.00")]));
    let outlet = w
        .app
        .gql(
            w.officer.token(),
            ENTRIES,
            json!({ "f": { "channels": ["OUTLET"] } }),
        )
        .await;
    let nodes = outlet["data"]["ledgerEntries"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let seen: Vec<(&str, &str, &Value)> = nodes
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap_or_default(),
                n["amount"].as_str().unwrap_or_default(),
                &n["orderId"],
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("SALE", "40.00", &Value::Null),
            ("REFUND", "-10.00", &Value::Null)
        ],
        "{outlet}"
    );

    // The canteen's target counts only what it bought, not what it answers for at its outlet.
    let progress = w
        .app
        .gql(
            w.buyer_admin.token(),
            PROGRESS,
            json!({ "b": w.buyer_id, "y": year() }),
        )
        .await;
    assert_eq!(
        progress["data"]["targetProgress"]["purchased"], "20.00",
        "{progress}"
    );
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
    assert_eq!(verified["data"]["verifyLedger"]["checked"], 3);
}

/// The format before channels has no place for a sale without an order: going down refuses and
/// leaves the channels in place.
#[tokio::test]
async fn the_channels_migration_will_not_go_down_over_reported_sales() {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ActiveModelTrait, ConnectionTrait};

    let (conn, _store) = crate::harness::fresh_database().await;
    Migrator::up(&conn, None).await.expect("up");
    let entry = entity::ledger_entry::Model {
        id: Uuid::now_v7(),
        seq: 1,
        kind: entity::ledger_entry::LedgerEntryKind::Sale,
        refund_of: None,
        channel: entity::ledger_entry::LedgerChannel::Outlet,
        order_id: None,
        order_line_id: None,
        report_line_id: Some(Uuid::now_v7()),
        outlet_id: Some(Uuid::now_v7()),
        fair_id: None,
        purpose: Purpose::Personal,
        buyer_org_id: Uuid::now_v7(),
        buyer_kind: entity::buyer::BuyerKind::Supermarket,
        buyer_region_code: CITY.into(),
        buyer_province_code: "13".into(),
        buyer_city_code: Some(CITY.into()),
        buyer_county_code: None,
        producer_org_id: Uuid::now_v7(),
        producer_kind: None,
        product_id: Uuid::now_v7(),
        product_name: "灵寿红薯".into(),
        category: entity::product::ProductCategory::GrainOil,
        quantity: 1,
        amount_fen: 100,
        region_code: "130126".into(),
        province_code: "13".into(),
        city_code: "1301".into(),
        county_code: "130126".into(),
        township_code: None,
        village_code: None,
        province_status: entity::region::PovertyStatus::NotPoor,
        city_status: entity::region::PovertyStatus::NotPoor,
        county_status: entity::region::PovertyStatus::Poor,
        township_status: None,
        village_status: None,
        certified: false,
        poor_households_linked: 0,
        paired: false,
        pairing_id: None,
        pairing_kind: None,
        reporting_year: 2026,
        occurred_on: Utc::now().date_naive(),
        recorded_at: Utc::now(),
        prev_hash: migration::GENESIS.into(),
        hash: "0".repeat(64),
    };
    entity::ledger_entry::ActiveModel::from(entry)
        .insert(&conn)
        .await
        .expect("insert");
    let migrations = Migrator::migrations();
    let position = migrations
        .iter()
        .position(|m| m.name() == "m20261204_000014_ledger_channels")
        .expect("the channels migration");
    let steps = u32::try_from(migrations.len() - position).unwrap_or(u32::MAX);
    let refused = Migrator::down(&conn, Some(steps)).await;
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("reported sales"), "{message}");
    let channels = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM ledger_entries WHERE channel = 'OUTLET'",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|row| row.try_get::<i64>("", "n").ok());
    assert_eq!(channels, Some(1));
}

/// A report accepted whole appends its lines in one call: more than a statement's worth of rows
/// (and of PostgreSQL's bind parameters) lands in order, each fact looked up once.
#[tokio::test]
async fn a_report_of_many_lines_enters_the_chain_whole() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let today = Utc::now().date_naive();
    let sales: Vec<ReportedSale> = (0..1_200)
        .map(|i| ReportedSale {
            venue: Venue::Fair(Uuid::nil()),
            report_line_id: Uuid::now_v7(),
            answering_org_id: uuid_of(&w.buyer_id),
            place_code: CITY.to_owned(),
            product_id: uuid_of(&product),
            quantity: 1,
            amount_fen: 100 + i % 7,
            sold_on: today,
            purpose: Purpose::Personal,
        })
        .collect();
    let expected: i64 = sales.iter().map(|s| s.amount_fen).sum();
    let recorded = record_reported_sales(w.app.db(), &sales)
        .await
        .unwrap_or_default();
    assert_eq!(recorded.len(), 1_200);
    assert!(recorded.windows(2).all(|p| p[1].seq == p[0].seq + 1));
    let by_channel = summary(&w, &["CHANNEL"], json!({})).await;
    assert_eq!(
        amounts(&by_channel),
        pairs(&[("FAIR", &format!("{}.{:02}", expected / 100, expected % 100))])
    );
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
    assert_eq!(verified["data"]["verifyLedger"]["checked"], 1_200);
}
