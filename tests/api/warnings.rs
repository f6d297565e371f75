//! Issue 15, item 5: red warnings (红色预警). The periodic check flags units with a target and
//! regions with a task that are behind their pace by more than the margin, once per period;
//! keeps their figures current, closes them on catch-up, and delivers them to the officers over
//! them and to the unit itself, by query and subscription.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use fupin_market::reporting::warnings;
use serde_json::{Value, json};

use crate::{
    consent::{declare, unit, year},
    harness::{Session, error_code},
    tallies::buy,
    tasks::allocated,
    world::{COUNTY, OTHER_COUNTY, World},
    ws::WsClient,
};

const WARNINGS: &str = "query($filter: RedWarningFilter) { redWarnings(filter: $filter, first: 20) {
    totalCount nodes { id subject status year target pace bought shortfall marginBp buyer { id } region { code } } } }";
const LIVE: &str = "subscription($code: String) { redWarnings(regionCode: $code) {
    id subject status target pace bought shortfall marginBp buyer { id } region { code } } }";
const QUIET: Duration = Duration::from_millis(700);

async fn seen(w: &World, who: &Session, filter: Value) -> Value {
    let body = w
        .app
        .gql(who.token(), WARNINGS, json!({ "filter": filter }))
        .await;
    assert!(body["data"]["redWarnings"].is_object(), "{body}");
    body["data"]["redWarnings"].clone()
}

#[tokio::test]
async fn warnings_open_update_and_close_and_reach_only_those_responsible() {
    // No background check here: the test runs each period itself.
    let w = World::build_with(|s| s.red_warning_interval = Duration::ZERO).await;
    let services = &w.app.state.services;
    let product = w.published_product("灵寿红薯礼盒", "100.00").await;
    let y = year();
    let mut units = Vec::new();
    for (name, bought) in [("warn.lagging", 1), ("warn.steady", 9)] {
        let (admin, id) = unit(&w, name, &format!("灵寿县{name}"), "AGENCY", COUNTY, None).await;
        declare(
            &w,
            &admin,
            json!({ "buyerId": id, "year": y, "canteen": "OWN_CANTEEN",
                    "canteenBudget": "10000.00", "reservedSharePercent": 10 }),
        )
        .await;
        buy(&w, &admin, &product, bought, name).await;
        units.push((admin, id));
    }
    let [(lagging, lagging_id), (steady, _)]: [(Session, String); 2] =
        units.try_into().unwrap_or_else(|_| unreachable!());
    for (code, amount) in [(COUNTY, "500.00"), (OTHER_COUNTY, "100.00")] {
        allocated(
            &w,
            &w.admin,
            json!({ "regionCode": "13", "year": y, "toRegionCode": code, "amount": amount }),
        )
        .await;
    }

    // The lagging unit's system hears of its warning by webhook too.
    let (hook_url, hook) = crate::webhooks::Receiver::start(&[]).await;
    crate::webhooks::endpoint(&w, lagging.token(), &hook_url, json!(["RED_WARNING"])).await;

    let mut county = WsClient::signed_in(&w.app.base, &w.officer.access_token).await;
    county.subscribe("red", LIVE, json!({})).await;
    let mut unit_socket = WsClient::signed_in(&w.app.base, &lagging.access_token).await;
    unit_socket.subscribe("red", LIVE, json!({})).await;
    let mut elsewhere = WsClient::signed_in(&w.app.base, &w.other_officer.access_token).await;
    elsewhere
        .subscribe("red", LIVE, json!({ "code": OTHER_COUNTY }))
        .await;
    let mut stranger = WsClient::signed_in(&w.app.base, &w.buyer_admin.access_token).await;
    stranger.subscribe("red", LIVE, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // On 31 December the pace is the whole target: the lagging unit (100 of 1000) and 阳原县
    // (nothing of 100) are more than 20% behind; the steady unit (900) and 灵寿县 are not.
    let now = Utc.from_utc_datetime(
        &NaiveDate::from_ymd_opt(y, 12, 31)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("time"),
    );
    let first = warnings::run(services, now).await.expect("check");
    assert!(first.ran);
    assert_eq!(
        (first.opened.len(), first.updated.len(), first.closed.len()),
        (2, 0, 0)
    );
    let again = warnings::run(services, now).await.expect("check");
    assert!(!again.ran, "once per period");
    let heard = hook.wait_for(1).await;
    assert_eq!(heard[0].kind, "RED_WARNING");
    assert_eq!(heard[0].json()["data"]["buyerId"], lagging_id.as_str());
    assert_eq!(heard[0].json()["data"]["status"], "OPEN");

    for socket in [&mut county, &mut unit_socket] {
        let data = socket.next_data("red").await;
        let got = &data["data"]["redWarnings"];
        assert_eq!(got["subject"], "BUYER", "{data}");
        assert_eq!(got["buyer"]["id"], lagging_id.as_str());
        assert_eq!(got["status"], "OPEN");
        assert_eq!(got["target"], "1000.00");
        assert_eq!(got["pace"], "1000.00");
        assert_eq!(got["bought"], "100.00");
        assert_eq!(got["shortfall"], "900.00");
        assert_eq!(got["marginBp"], 2000);
        assert_eq!(got["region"]["code"], COUNTY);
    }
    let data = elsewhere.next_data("red").await;
    let got = &data["data"]["redWarnings"];
    assert_eq!(got["subject"], "REGION", "{data}");
    assert_eq!(got["region"]["code"], OTHER_COUNTY);
    assert_eq!(got["buyer"], Value::Null);
    assert_eq!(got["bought"], "0.00");
    stranger.expect_silence(QUIET).await;
    county.expect_silence(QUIET).await;

    // Read by the officers over each place and the unit itself, nobody else.
    let officer = seen(&w, &w.officer, json!({})).await;
    assert_eq!(officer["totalCount"], 1, "{officer}");
    assert_eq!(officer["nodes"][0]["buyer"]["id"], lagging_id.as_str());
    assert_eq!(officer["nodes"][0]["year"], y);
    let other = seen(&w, &w.other_officer, json!({})).await;
    assert_eq!(other["totalCount"], 1, "{other}");
    assert_eq!(other["nodes"][0]["subject"], "REGION");
    assert_eq!(seen(&w, &w.auditor, json!({})).await["totalCount"], 2);
    assert_eq!(
        seen(&w, &w.auditor, json!({ "regionCode": OTHER_COUNTY })).await["totalCount"],
        1
    );
    assert_eq!(
        seen(&w, &w.auditor, json!({ "year": y - 1 })).await["totalCount"],
        0
    );
    assert_eq!(seen(&w, &lagging, json!({})).await["totalCount"], 1);
    assert_eq!(seen(&w, &steady, json!({})).await["totalCount"], 0);
    assert_eq!(seen(&w, &w.buyer_admin, json!({})).await["totalCount"], 0);
    let refused = w.app.gql(w.outsider.token(), WARNINGS, json!({})).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    // `node` applies the same rule.
    let id = officer["nodes"][0]["id"].clone();
    for (who, visible) in [
        (&w.officer, true),
        (&lagging, true),
        (&w.auditor, true),
        (&w.other_officer, false),
        (&steady, false),
        (&w.buyer_admin, false),
    ] {
        let body = w
            .app
            .gql(
                who.token(),
                "query($id: ID!) { node(id: $id) { id ... on RedWarning { subject } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(body["data"]["node"]["id"] == id, visible, "{body}");
    }

    // Still behind after buying more: the same warning, its figures updated.
    buy(&w, &lagging, &product, 2, "warn-more").await;
    let next = warnings::run(services, now + chrono::Duration::seconds(1))
        .await
        .expect("check");
    assert!(next.ran);
    assert_eq!(
        (next.opened.len(), next.updated.len(), next.closed.len()),
        (0, 1, 0)
    );
    let data = county.next_data("red").await;
    assert_eq!(data["data"]["redWarnings"]["bought"], "300.00", "{data}");
    assert_eq!(data["data"]["redWarnings"]["shortfall"], "700.00");
    assert_eq!(data["data"]["redWarnings"]["id"], officer["nodes"][0]["id"]);
    let officer = seen(&w, &w.officer, json!({})).await;
    assert_eq!(
        officer["totalCount"], 1,
        "at most one open warning per unit and year"
    );
    assert_eq!(officer["nodes"][0]["bought"], "300.00");

    // Caught up to within the margin (800 of a 1000 pace): closed.
    buy(&w, &lagging, &product, 5, "warn-caught-up").await;
    let last = warnings::run(services, now + chrono::Duration::seconds(2))
        .await
        .expect("check");
    assert_eq!(
        (last.opened.len(), last.updated.len(), last.closed.len()),
        (0, 0, 1)
    );
    let data = unit_socket.next_data("red").await;
    let data = if data["data"]["redWarnings"]["status"] == "OPEN" {
        unit_socket.next_data("red").await
    } else {
        data
    };
    assert_eq!(data["data"]["redWarnings"]["status"], "CLOSED", "{data}");
    assert_eq!(seen(&w, &w.officer, json!({})).await["totalCount"], 0);
    let closed = seen(&w, &w.officer, json!({ "status": "CLOSED" })).await;
    assert_eq!(closed["totalCount"], 1, "{closed}");
    assert_eq!(
        closed["nodes"][0]["bought"], "800.00",
        "closed with the figures it caught up with"
    );
    assert_eq!(closed["nodes"][0]["shortfall"], "200.00");
    assert_eq!(
        seen(&w, &w.other_officer, json!({})).await["totalCount"],
        1,
        "阳原县 is still behind"
    );
}

#[tokio::test]
async fn a_subscription_to_red_warnings_needs_someone_they_could_concern() {
    let w = World::build().await;
    let mut socket = WsClient::signed_in(&w.app.base, &w.outsider.access_token).await;
    socket.subscribe("red", LIVE, json!({})).await;
    assert_eq!(socket.next_error_code("red").await, "FORBIDDEN");
}
