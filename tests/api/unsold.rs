//! Unsold-produce warnings and purchase drives (issue 5): the periodic scan flags products not
//! ordered for N days, runs once per period however many instances race for it, and closes
//! warnings that no longer hold; officers start drives and orders during a drive are tallied.

use chrono::{Duration as Days, Utc};
use entity::product;
use fupin_market::{state::Services, unsold::scan};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::{
    harness::error_code,
    live::{place, step},
    world::{COUNTY, OTHER_COUNTY, World},
};

const ALERTS: &str =
    "query($filter: UnsoldAlertFilter) { unsoldAlerts(filter: $filter, first: 20) {
    totalCount nodes { id kind status stock product { id name } } } }";
const CREATE_DRIVE: &str = "mutation($input: CreatePurchaseDriveInput!) { createPurchaseDrive(input: $input) {
    drive { id name startsOn endsOn region { code } products { id } tally { orders quantity amount } }
    errors { field code message } } }";
const DRIVE: &str = "query($id: ID!) { node(id: $id) { ... on PurchaseDrive { tally { orders quantity amount } } } }";

/// Backdates a product as if it had been listed `days` ago and never ordered.
async fn age(w: &World, product_id: &str, days: i64) {
    let (_, id) = fupin_market::ids::decode(product_id).expect("product ID");
    product::Entity::update_many()
        .col_expr(
            product::Column::CreatedAt,
            Expr::value(Utc::now() - Days::days(days)),
        )
        .filter(product::Column::Id.eq(id))
        .exec(w.app.db())
        .await
        .expect("backdate");
}

fn services(w: &World) -> &Services {
    &w.app.state.services
}

#[tokio::test]
async fn the_scan_flags_stale_stock_once_per_period_and_closes_what_sold() {
    let w = World::build().await;
    let stale = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let fresh = w.published_product("灵寿红薯粉条", "20.50").await;
    let draft = w.draft_product("灵寿小米", "30.00").await;
    age(&w, &stale, 45).await;
    age(&w, &draft, 45).await;

    // A period after the current one, which the server's own background scan has claimed.
    let now = Utc::now() + Days::days(1);
    // Two instances racing for the same period: exactly one scans.
    let other = Services::new(
        w.app.db().clone(),
        None,
        services(&w).settings.as_ref().clone(),
    );
    let (a, b) = tokio::join!(scan::run(services(&w), now), scan::run(&other, now));
    let (a, b) = (a.expect("scan a"), b.expect("scan b"));
    assert!(a.ran != b.ran, "one instance ran the period: {a:?} {b:?}");
    let ran = if a.ran { a } else { b };
    assert_eq!(ran.flagged.len(), 1, "only the published, stale product");
    let again = scan::run(services(&w), now).await.expect("scan");
    assert!(!again.ran, "the period is done");

    let listed = w.app.gql(w.officer.token(), ALERTS, json!({})).await;
    let alerts = &listed["data"]["unsoldAlerts"];
    assert_eq!(alerts["totalCount"], 1, "{listed}");
    assert_eq!(alerts["nodes"][0]["product"]["id"], stale.as_str());
    assert_eq!(alerts["nodes"][0]["kind"], "NO_SALES");
    assert_eq!(alerts["nodes"][0]["stock"], 100);
    let elsewhere = w.app.gql(w.other_officer.token(), ALERTS, json!({})).await;
    assert_eq!(elsewhere["data"]["unsoldAlerts"]["totalCount"], 0);
    let buyers = w.app.gql(w.buyer_admin.token(), ALERTS, json!({})).await;
    assert_eq!(
        buyers["data"]["unsoldAlerts"]["totalCount"], 1,
        "buyers see every warning: they are there to be bought"
    );
    let anonymous = w.app.gql(None, ALERTS, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    // Ordered again: the next period's scan resolves it, and flags nothing new.
    let order = place(&w.app, w.buyer_admin.token(), &stale, 2, "unsold-order-1").await;
    step(&w.app, w.producer_clerk.token(), "confirmOrder", &order).await;
    let next = scan::run(
        services(&w),
        now + services(&w).settings.unsold_scan_interval,
    )
    .await
    .expect("scan");
    assert!(next.ran);
    assert_eq!((next.flagged.len(), next.closed), (0, 1));
    let resolved = w
        .app
        .gql(
            w.officer.token(),
            ALERTS,
            json!({ "filter": { "statuses": ["RESOLVED"] } }),
        )
        .await;
    assert_eq!(resolved["data"]["unsoldAlerts"]["totalCount"], 1);
    let _ = fresh;
}

#[tokio::test]
async fn a_drive_lists_flagged_products_and_tallies_its_orders() {
    let w = World::build().await;
    let stale = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let fresh = w.published_product("灵寿红薯粉条", "20.50").await;
    age(&w, &stale, 45).await;
    let scanned = scan::run(services(&w), Utc::now() + Days::days(1))
        .await
        .expect("scan");
    assert_eq!(scanned.flagged.len(), 1);
    let today = Utc::now().date_naive();
    let input = |products: Value, region: &str| {
        json!({ "input": {
            "name": "灵寿红薯集中采购周", "regionCode": region,
            "startsOn": today.to_string(), "endsOn": (today + Days::days(7)).to_string(),
            "productIds": products } })
    };

    let not_flagged = w
        .app
        .gql(
            w.officer.token(),
            CREATE_DRIVE,
            input(json!([fresh]), COUNTY),
        )
        .await;
    assert_eq!(
        not_flagged["data"]["createPurchaseDrive"]["errors"][0]["field"],
        json!(["input", "productIds", "0"]),
        "{not_flagged}"
    );
    let outside = w
        .app
        .gql(
            w.other_officer.token(),
            CREATE_DRIVE,
            input(Value::Null, COUNTY),
        )
        .await;
    assert_eq!(error_code(&outside), "FORBIDDEN");
    let producers = w
        .app
        .gql(
            w.producer_admin.token(),
            CREATE_DRIVE,
            input(Value::Null, COUNTY),
        )
        .await;
    assert_eq!(error_code(&producers), "FORBIDDEN");
    let empty = w
        .app
        .gql(
            w.other_officer.token(),
            CREATE_DRIVE,
            input(Value::Null, OTHER_COUNTY),
        )
        .await;
    assert_eq!(
        empty["data"]["createPurchaseDrive"]["errors"][0]["code"], "INVALID_STATE",
        "nothing flagged there"
    );

    let created = w
        .app
        .gql(w.officer.token(), CREATE_DRIVE, input(Value::Null, COUNTY))
        .await;
    let drive = &created["data"]["createPurchaseDrive"]["drive"];
    assert_eq!(drive["products"], json!([{ "id": stale }]), "{created}");
    assert_eq!(drive["region"]["code"], COUNTY);
    let id = drive["id"].as_str().expect("drive id").to_owned();
    let overlapping = w
        .app
        .gql(
            w.officer.token(),
            CREATE_DRIVE,
            input(json!([stale]), COUNTY),
        )
        .await;
    assert_eq!(
        overlapping["data"]["createPurchaseDrive"]["errors"][0]["code"], "INVALID_STATE",
        "a product is in one drive at a time"
    );

    // Orders during the drive count for it; a cancelled one stops counting; others never do.
    let kept = place(&w.app, w.buyer_admin.token(), &stale, 4, "drive-order-1").await;
    let dropped = place(&w.app, w.buyer_admin.token(), &stale, 3, "drive-order-2").await;
    place(&w.app, w.buyer_admin.token(), &fresh, 9, "drive-order-3").await;
    let tally = w.app.gql(None, DRIVE, json!({ "id": id })).await;
    assert_eq!(
        tally["data"]["node"]["tally"],
        json!({ "orders": 2, "quantity": 7, "amount": "315.00" })
    );
    let cancelled = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($id: ID!) { cancelOrder(input: {orderId: $id, reason: \"重复下单\"}) { errors { code } } }",
            json!({ "id": dropped }),
        )
        .await;
    assert_eq!(cancelled["data"]["cancelOrder"]["errors"], json!([]));
    let tally = w.app.gql(None, DRIVE, json!({ "id": id })).await;
    assert_eq!(
        tally["data"]["node"]["tally"],
        json!({ "orders": 1, "quantity": 4, "amount": "180.00" })
    );
    let listed = w
        .app
        .gql(
            None,
            "query($day: Date) { purchaseDrives(filter: {regionCode: \"13\", activeOn: $day}) { totalCount nodes { name } } }",
            json!({ "day": today.to_string() }),
        )
        .await;
    assert_eq!(
        listed["data"]["purchaseDrives"]["totalCount"], 1,
        "{listed}"
    );
    let _ = kept;
}
