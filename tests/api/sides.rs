//! Issue 15, items 1 and 2: both sides of every sale. Entries and rollups carry the buyer's
//! place and the pairing a sale counts toward; officials read a region's figures from the
//! origin side (what its producers sold), the consumption side (what its units bought) or both
//! (each sale once); households reached count each producer's once.

use serde_json::{Value, json};

use crate::{
    consent::unit,
    harness::{PASSWORD, Session},
    tallies::buy,
    world::{COUNTY, World},
};

const SUMMARY: &str = "query($g: [LedgerDimension!]!, $f: LedgerSummaryFilter) {
    ledgerSummary(groupBy: $g, filter: $f) { view total householdsReached
      groups { keys { value } amount entries householdsReached } } }";
const PAIRING: &str = "mutation($input: CreatePairingInput!) {
    createPairing(input: $input) { pairing { id kind } errors { code } } }";

/// 禅城区, 佛山市, Guangdong: the eastern buyer's district.
const EAST_DISTRICT: &str = "440604";

struct Sides {
    w: World,
    /// An officer of Guangdong (the consumption side).
    east_officer: Session,
}

/// Guangdong helps 灵寿县 (east-west). A Guangdong canteen buys 30.00 (paired); the world's
/// 石家庄 canteen 20.00 and a school inside 灵寿县 10.00 (in-province, no pairing). All three
/// buy from the world's producer in 灵寿县, which links 86 poor households.
async fn sides() -> Sides {
    let w = World::build().await;
    let paired = w
        .app
        .gql(
            w.admin.token(),
            PAIRING,
            json!({ "input": { "helperRegionCode": "44", "helpedRegionCode": COUNTY,
                               "kind": "EAST_WEST", "startsOn": "2020-01-01" } }),
        )
        .await;
    assert_eq!(
        paired["data"]["createPairing"]["errors"],
        json!([]),
        "{paired}"
    );
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (east, _) = unit(
        &w,
        "east.canteen",
        "佛山市禅城区机关食堂",
        "CANTEEN",
        EAST_DISTRICT,
        None,
    )
    .await;
    let (school, _) = unit(
        &w,
        "county.school",
        "灵寿县第一中学",
        "SCHOOL",
        COUNTY,
        None,
    )
    .await;
    buy(&w, &east, &product, 3, "sides-east").await;
    buy(&w, &w.buyer_admin, &product, 2, "sides-city").await;
    buy(&w, &school, &product, 1, "sides-school").await;
    let east_officer = w.app.register("guangdong.officer", None).await;
    let granted = w
        .app
        .gql(
            w.admin.token(),
            "mutation($input: RoleGrantInput!) { grantRole(input: $input) { errors { code } } }",
            json!({ "input": { "userId": east_officer.user_id, "role": "OFFICER", "regionCode": "44" } }),
        )
        .await;
    assert_eq!(granted["data"]["grantRole"]["errors"], json!([]));
    let east_officer = w.app.login("guangdong.officer", PASSWORD).await;
    Sides { w, east_officer }
}

async fn summary(w: &World, who: &Session, group_by: Value, filter: Value) -> Value {
    let body = w
        .app
        .gql(who.token(), SUMMARY, json!({ "g": group_by, "f": filter }))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["ledgerSummary"].clone()
}

/// Each group's first key and amount.
fn amounts(found: &Value) -> Vec<(String, String)> {
    found["groups"]
        .as_array()
        .unwrap_or_else(|| panic!("{found}"))
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
}

#[tokio::test]
async fn the_east_and_the_west_report_the_same_sales_to_the_fen() {
    let Sides { w, east_officer } = sides().await;
    // The east: what Guangdong's units bought, by the origin's province and county.
    let east = summary(
        &w,
        &east_officer,
        json!(["PROVINCE"]),
        json!({ "view": "BUYER" }),
    )
    .await;
    assert_eq!(east["view"], "BUYER");
    assert_eq!(amounts(&east), [("13".to_owned(), "30.00".to_owned())]);
    // The east's own staff see nothing from the origin side: Guangdong sells nothing here.
    let east_sales = summary(&w, &east_officer, json!([]), json!({ "view": "ORIGIN" })).await;
    assert_eq!(east_sales["total"], "0.00");
    // The west: what 灵寿县's producers sold, by the buyer's province.
    let west = summary(
        &w,
        &w.officer,
        json!(["BUYER_PROVINCE"]),
        json!({ "view": "ORIGIN" }),
    )
    .await;
    assert_eq!(west["view"], "ORIGIN");
    assert_eq!(
        amounts(&west),
        [
            ("13".to_owned(), "30.00".to_owned()),
            ("44".to_owned(), "30.00".to_owned())
        ]
    );
    // The same sales, by the pairing they count toward.
    let kinds = summary(&w, &w.admin, json!(["PAIRING_KIND"]), json!({})).await;
    assert_eq!(
        amounts(&kinds),
        [
            ("NONE".to_owned(), "30.00".to_owned()),
            ("EAST_WEST".to_owned(), "30.00".to_owned())
        ]
    );
    // The fine rollups (a producer filter forces them) agree with the county ones.
    let fine = summary(
        &w,
        &w.officer,
        json!(["BUYER_COUNTY"]),
        json!({ "view": "ORIGIN", "producerId": w.producer_id }),
    )
    .await;
    let coarse = summary(
        &w,
        &w.officer,
        json!(["BUYER_COUNTY"]),
        json!({ "view": "ORIGIN" }),
    )
    .await;
    assert_eq!(amounts(&fine), amounts(&coarse));
    assert_eq!(
        amounts(&coarse),
        [
            (EAST_DISTRICT.to_owned(), "30.00".to_owned()),
            ("1301".to_owned(), "20.00".to_owned()),
            (COUNTY.to_owned(), "10.00".to_owned()),
        ],
        "a buyer registered at a city has its city for a county"
    );
}

#[tokio::test]
async fn a_sale_with_both_sides_in_scope_counts_once() {
    let Sides { w, .. } = sides().await;
    let total = |view: &'static str, who: &'static str| {
        let w = &w;
        async move {
            let session = match who {
                "county" => &w.officer,
                _ => &w.auditor,
            };
            summary(w, session, json!([]), json!({ "view": view })).await["total"].clone()
        }
    };
    // 灵寿县: its producer sold 60.00; its school bought 10.00 of that.
    assert_eq!(total("ORIGIN", "county").await, "60.00");
    assert_eq!(total("BUYER", "county").await, "10.00");
    assert_eq!(
        total("BOTH", "county").await,
        "60.00",
        "the school's purchase once"
    );
    // Hebei (the auditor's province): sold 60.00, bought 30.00, in all 60.00.
    assert_eq!(total("ORIGIN", "hebei").await, "60.00");
    assert_eq!(total("BUYER", "hebei").await, "30.00");
    assert_eq!(total("BOTH", "hebei").await, "60.00");
    // The default view is both, and says so.
    let default = summary(&w, &w.officer, json!(["MONTH"]), json!({})).await;
    assert_eq!(
        (default["view"].clone(), default["total"].clone()),
        (json!("BOTH"), json!("60.00"))
    );
    // A region filter follows the view too: Guangdong's purchases, read by the admin.
    let guangdong = summary(
        &w,
        &w.admin,
        json!([]),
        json!({ "regionCode": "44", "view": "BUYER" }),
    )
    .await;
    assert_eq!(guangdong["total"], "30.00");
    let from_guangdong = summary(
        &w,
        &w.admin,
        json!([]),
        json!({ "regionCode": "44", "view": "ORIGIN" }),
    )
    .await;
    assert_eq!(from_guangdong["total"], "0.00");
    // An officer of another county sees none of it.
    assert_eq!(
        summary(&w, &w.other_officer, json!([]), json!({})).await["total"],
        "0.00"
    );
}

#[tokio::test]
async fn entries_record_both_places_and_the_pairing() {
    let Sides { w, east_officer } = sides().await;
    let body = w
        .app
        .gql(
            east_officer.token(),
            "{ ledgerEntries(first: 10, filter: {view: BUYER}) { totalCount nodes {
                buyerRegionCode buyerCountyCode countyCode producerKind paired pairingKind amount } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["ledgerEntries"],
        json!({ "totalCount": 1, "nodes": [{
            "buyerRegionCode": EAST_DISTRICT, "buyerCountyCode": EAST_DISTRICT, "countyCode": COUNTY,
            "producerKind": "COOPERATIVE", "paired": true, "pairingKind": "EAST_WEST", "amount": "30.00" }] }),
        "{body}"
    );
    let intact = w
        .app
        .gql(
            w.auditor.token(),
            "{ verifyLedger { intact checked } }",
            json!({}),
        )
        .await;
    assert_eq!(
        intact["data"]["verifyLedger"],
        json!({ "intact": true, "checked": 3 })
    );
}

#[tokio::test]
async fn households_reached_count_each_producer_once() {
    let Sides { w, .. } = sides().await;
    let found = summary(&w, &w.admin, json!(["BUYER_PROVINCE"]), json!({})).await;
    // Three sales by one producer linking 86 households: 86, not 258.
    assert_eq!(found["householdsReached"], 86, "{found}");
    let groups = found["groups"]
        .as_array()
        .unwrap_or_else(|| panic!("{found}"));
    let entries: i64 = groups
        .iter()
        .map(|g| g["entries"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(entries, 3);
    for group in groups {
        assert_eq!(group["householdsReached"], 86, "{group}");
    }
    // Guangdong's view reaches the same producer's households.
    let east = summary(&w, &w.officer, json!([]), json!({ "view": "BUYER" })).await;
    assert_eq!(east["householdsReached"], 86);
}

#[tokio::test]
async fn enterprise_adoption_is_a_pairing_kind() {
    let w = World::build().await;
    let made = w
        .app
        .gql(
            w.admin.token(),
            PAIRING,
            json!({ "input": { "helperBuyerId": w.buyer_id, "helpedRegionCode": COUNTY,
                               "kind": "ENTERPRISE_ADOPTION", "startsOn": "2020-01-01" } }),
        )
        .await;
    assert_eq!(made["data"]["createPairing"]["errors"], json!([]), "{made}");
    assert_eq!(
        made["data"]["createPairing"]["pairing"]["kind"],
        "ENTERPRISE_ADOPTION"
    );
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    buy(&w, &w.buyer_admin, &product, 1, "adoption").await;
    let kinds = summary(&w, &w.admin, json!(["PAIRING_KIND"]), json!({})).await;
    assert_eq!(
        amounts(&kinds),
        [("ENTERPRISE_ADOPTION".to_owned(), "10.00".to_owned())]
    );
}
