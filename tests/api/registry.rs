//! Regions, poverty status history, pairings, buyers' yearly declarations.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::{
    harness::{TestApp, error_code},
    world::{COUNTY, World},
};

#[tokio::test]
async fn the_division_tree_is_browsed_by_parent_code_and_subtree() {
    let app = TestApp::spawn().await;
    let report = fupin_market::region::import::import_embedded(app.db())
        .await
        .expect("import");
    let again = fupin_market::region::import::import_embedded(app.db())
        .await
        .expect("re-import");
    assert_eq!(report.rows, again.rows, "importing twice changes nothing");

    let provinces = app
        .gql(
            None,
            "{ regions { totalCount nodes { code name level } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        provinces["data"]["regions"]["nodes"],
        json!([
            { "code": "13", "name": "河北省", "level": "PROVINCE" },
            { "code": "44", "name": "广东省", "level": "PROVINCE" },
        ])
    );
    let village = app
        .gql(
            None,
            "{ region(code: \"130126204207\") { name level path { code level } parent { code } } }",
            json!({}),
        )
        .await;
    let path: Vec<&Value> = village["data"]["region"]["path"]
        .as_array()
        .expect("path")
        .iter()
        .map(|r| &r["code"])
        .collect();
    assert_eq!(
        path,
        [
            &json!("13"),
            &json!("1301"),
            &json!("130126"),
            &json!("130126204"),
            &json!("130126204207")
        ]
    );
    assert_eq!(village["data"]["region"]["parent"]["code"], "130126204");

    let villages = app
        .gql(
            None,
            "{ regions(filter: {within: \"130126\", level: VILLAGE}) { totalCount } }",
            json!({}),
        )
        .await;
    let expected = report.rows[4] as u64;
    let in_county = villages["data"]["regions"]["totalCount"]
        .as_u64()
        .expect("count");
    assert!(
        in_county > 100 && in_county < expected,
        "{in_county} of {expected} villages in 灵寿县"
    );
    let children = app
        .gql(
            None,
            "{ region(code: \"130126\") { children(first: 100) { totalCount nodes { level } } } }",
            json!({}),
        )
        .await;
    let townships = &children["data"]["region"]["children"];
    assert!(townships["totalCount"].as_u64().is_some_and(|n| n >= 10));
    assert!(
        townships["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .all(|n| n["level"] == "TOWNSHIP")
    );
}

#[tokio::test]
async fn a_sale_is_classified_by_the_status_its_region_had_that_day() {
    let w = World::build().await;
    for (status, year, from) in [
        ("POOR", Value::Null, "2014-01-01"),
        ("EXITED", json!(2020), "2020-05-01"),
    ] {
        let body = w
            .app
            .gql(
                w.officer.token(),
                "mutation($s: PovertyStatus!, $y: Int, $f: Date) { updateRegionStatus(input: {code: \"130126\", status: $s, exitYear: $y, effectiveFrom: $f}) {
                    region { povertyStatus exitYear } errors { code field } } }",
                json!({ "s": status, "y": year, "f": from }),
            )
            .await;
        assert_eq!(
            body["data"]["updateRegionStatus"]["errors"],
            json!([]),
            "{body}"
        );
    }
    let history = w
        .app
        .gql(None, "{ region(code: \"130126\") { povertyStatus exitYear statusHistory { status effectiveFrom } } }", json!({}))
        .await;
    assert_eq!(history["data"]["region"]["povertyStatus"], "EXITED");
    assert_eq!(
        history["data"]["region"]["statusHistory"],
        json!([{ "status": "EXITED", "effectiveFrom": "2020-05-01" }, { "status": "POOR", "effectiveFrom": "2014-01-01" }])
    );
    // What a receipt classifies its entries by: every level's status on the day of the sale.
    let on = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
    let db = w.app.db();
    let county_on = |d| async move {
        let statuses = fupin_market::region::regions::chain_statuses_on(db, COUNTY, on(d))
            .await
            .expect("statuses");
        assert!(statuses.contains_key(&2), "the province is classified too");
        format!("{:?}", statuses[&COUNTY.len()])
    };
    assert_eq!(county_on("2019-12-31").await, "Poor");
    assert_eq!(county_on("2020-05-01").await, "Exited");
}

#[tokio::test]
async fn pairings_show_on_both_sides() {
    let w = World::build().await;
    let created = w
        .app
        .gql(
            w.admin.token(),
            "mutation { createPairing(input: {helperRegionCode: \"4406\", helpedRegionCode: \"440825\", kind: IN_PROVINCE, startsOn: \"2016-01-01\"}) {
                pairing { kind helperRegion { name } helpedRegion { name } } errors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        created["data"]["createPairing"]["pairing"],
        json!({ "kind": "IN_PROVINCE", "helperRegion": { "name": "佛山市" }, "helpedRegion": { "name": "徐闻县" } })
    );
    for code in ["4406", "440825"] {
        let seen = w
            .app
            .gql(
                None,
                "query($c: String!) { region(code: $c) { pairedWith { kind } } }",
                json!({ "c": code }),
            )
            .await;
        assert_eq!(
            seen["data"]["region"]["pairedWith"],
            json!([{ "kind": "IN_PROVINCE" }]),
            "{code}"
        );
    }
}

const TARGET: &str = "mutation($input: SetProcurementTargetInput!) { setProcurementTarget(input: $input) {
    declaration { year canteen canteenBudget reservedSharePercent target contractor { name } sharesCanteenOf { name } }
    errors { field code message } } }";

#[tokio::test]
async fn a_buyer_declares_its_year_and_only_its_people_see_it() {
    let w = World::build().await;
    let declared = w
        .app
        .gql(
            w.buyer_admin.token(),
            TARGET,
            json!({ "input": { "buyerId": w.buyer_id, "year": 2026, "canteen": "OWN_CANTEEN",
                               "canteenBudget": "2800000.00", "reservedSharePercent": 15 } }),
        )
        .await;
    assert_eq!(
        declared["data"]["setProcurementTarget"]["declaration"],
        json!({ "year": 2026, "canteen": "OWN_CANTEEN", "canteenBudget": "2800000.00", "reservedSharePercent": 15,
                "target": "420000.00", "contractor": null, "sharesCanteenOf": null })
    );
    let query =
        "query($id: ID!) { node(id: $id) { ... on Buyer { declaration(year: 2026) { target } } } }";
    let own = w
        .app
        .gql(w.buyer_admin.token(), query, json!({ "id": w.buyer_id }))
        .await;
    assert_eq!(own["data"]["node"]["declaration"]["target"], "420000.00");
    let auditor = w
        .app
        .gql(w.auditor.token(), query, json!({ "id": w.buyer_id }))
        .await;
    assert_eq!(
        auditor["data"]["node"]["declaration"]["target"], "420000.00",
        "the province's auditor reads it"
    );
    for stranger in [&w.outsider, &w.producer_admin] {
        let hidden = w
            .app
            .gql(stranger.token(), query, json!({ "id": w.buyer_id }))
            .await;
        assert_eq!(hidden["data"]["node"]["declaration"], Value::Null);
    }
}

#[tokio::test]
async fn exempt_shared_and_outsourced_canteens_declare_what_applies() {
    let w = World::build().await;
    // A contractor unit and a unit sharing the first one's canteen, both created by the admin.
    let create = |name: &str, kind: &str| {
        w.app.gql(
            w.admin.token(),
            "mutation($input: CreateBuyerInput!) { createBuyer(input: $input) { buyer { id } errors { code } } }",
            json!({ "input": { "name": name, "kind": kind, "regionCode": "1301", "contactName": "王", "contactPhone": "0311-1234567" } }),
        )
    };
    let contractor = create("石家庄味美餐饮管理有限公司", "PRIVATE_ENTERPRISE").await;
    let contractor = contractor["data"]["createBuyer"]["buyer"]["id"].clone();
    let sharing = create("石家庄市档案馆", "AGENCY").await;
    let sharing = sharing["data"]["createBuyer"]["buyer"]["id"].clone();

    let outsourced = w
        .app
        .gql(
            w.buyer_admin.token(),
            TARGET,
            json!({ "input": { "buyerId": w.buyer_id, "year": 2026, "canteen": "OUTSOURCED", "canteenBudget": "1000000",
                               "reservedSharePercent": 10, "contractorId": contractor } }),
        )
        .await;
    let declaration = &outsourced["data"]["setProcurementTarget"]["declaration"];
    assert_eq!(declaration["target"], "100000.00");
    assert_eq!(
        declaration["contractor"]["name"],
        "石家庄味美餐饮管理有限公司"
    );

    let shared = w
        .app
        .gql(
            w.admin.token(),
            TARGET,
            json!({ "input": { "buyerId": sharing, "year": 2026, "canteen": "SHARES_CANTEEN", "sharesCanteenOfId": w.buyer_id } }),
        )
        .await;
    assert_eq!(
        shared["data"]["setProcurementTarget"]["declaration"]["target"],
        "0.00"
    );
    let none = w
        .app
        .gql(
            w.admin.token(),
            TARGET,
            json!({ "input": { "buyerId": contractor, "year": 2026, "canteen": "NO_CANTEEN" } }),
        )
        .await;
    assert_eq!(
        none["data"]["setProcurementTarget"]["declaration"]["canteen"],
        "NO_CANTEEN"
    );
    let missing = w
        .app
        .gql(
            w.admin.token(),
            TARGET,
            json!({ "input": { "buyerId": sharing, "year": 2026, "canteen": "SHARES_CANTEEN" } }),
        )
        .await;
    assert_eq!(
        missing["data"]["setProcurementTarget"]["errors"][0]["field"],
        json!(["input", "sharesCanteenOfId"])
    );
    let bad_id = w
        .app
        .gql(
            w.admin.token(),
            TARGET,
            json!({ "input": { "buyerId": "nope", "year": 2026, "canteen": "NO_CANTEEN" } }),
        )
        .await;
    assert_eq!(error_code(&bad_id), "BAD_USER_INPUT");
}
