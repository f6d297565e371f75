//! Issue 15, item 4: tasks allocated down the region tree (任务分解), each level's allocation
//! against what its units bought and its producers sold, and `targetRanking` with the pace.

use chrono::{Datelike, NaiveDate};
use entity::task_allocation;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::{
    consent::{declare, links, unit, year},
    harness::{PASSWORD, Session, error_code},
    tallies::buy,
    world::{CITY, COUNTY, OTHER_COUNTY, World},
};

const ALLOCATE: &str = "mutation($input: AllocateTaskInput!) { allocateTask(input: $input) {
    allocation { id year amount region { code } toRegion { code } toBuyer { id } }
    errors { field code message } } }";
const REPORT: &str = "query($code: String!, $year: Int!) { taskAllocations(regionCode: $code, year: $year) {
    region { code } year held allocated bought sold percentDone
    recipients { allocation { amount toRegion { code } toBuyer { id } } bought sold percentDone } } }";
const RANKING: &str =
    "query($code: String!, $year: Int!, $level: RegionLevel, $kind: BuyerKind, $on: Date) {
    targetRanking(regionCode: $code, year: $year, level: $level, unitKind: $kind, on: $on) {
      year on level unitKind ranked
      rows { rank name regionCode buyerId target bought percentDone pace behindPace } } }";

/// A user granted `role` over `region` by the admin, signed in.
pub(crate) async fn staff(w: &World, username: &str, role: &str, region: &str) -> Session {
    let session = w.app.register(username, None).await;
    let granted = w
        .app
        .gql(
            w.admin.token(),
            "mutation($input: RoleGrantInput!) { grantRole(input: $input) { errors { code } } }",
            json!({ "input": { "userId": session.user_id, "role": role, "regionCode": region } }),
        )
        .await;
    assert_eq!(
        granted["data"]["grantRole"]["errors"],
        json!([]),
        "{granted}"
    );
    w.app.login(username, PASSWORD).await
}

pub(crate) async fn allocate(w: &World, who: &Session, input: Value) -> Value {
    let body = w
        .app
        .gql(who.token(), ALLOCATE, json!({ "input": input }))
        .await;
    assert!(body["data"]["allocateTask"].is_object(), "{body}");
    body["data"]["allocateTask"].clone()
}

/// Allocates and expects it to succeed.
pub(crate) async fn allocated(w: &World, who: &Session, input: Value) -> Value {
    let payload = allocate(w, who, input).await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    payload["allocation"].clone()
}

fn errors(payload: &Value) -> Vec<(String, String)> {
    payload["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{payload}"))
        .iter()
        .map(|e| {
            (
                e["field"][1].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn rows(w: &World) -> u64 {
    task_allocation::Entity::find()
        .count(w.app.db())
        .await
        .expect("count")
}

async fn report(w: &World, who: &Session, code: &str) -> Value {
    w.app
        .gql(who.token(), REPORT, json!({ "code": code, "year": year() }))
        .await
}

#[tokio::test]
async fn tasks_go_down_two_levels_and_what_does_not_fit_is_refused_with_nothing_written() {
    let w = World::build().await;
    let city = staff(&w, "city.officer", "OFFICER", CITY).await;
    let (_, dept) = unit(&w, "task.dept", "灵寿县农业农村局", "AGENCY", COUNTY, None).await;
    let y = year();

    // The top of the chain: an admin allocates from the province without a ceiling.
    let to_city = allocated(
        &w,
        &w.admin,
        json!({ "regionCode": "13", "year": y, "toRegionCode": CITY, "amount": "1000.00" }),
    )
    .await;
    assert_eq!(to_city["amount"], "1000.00");
    assert_eq!(to_city["region"]["code"], "13");
    assert_eq!(to_city["toRegion"]["code"], CITY);
    // The city hands 600 to the county; the county 200 to a department located in it.
    allocated(
        &w,
        &city,
        json!({ "regionCode": CITY, "year": y, "toRegionCode": COUNTY, "amount": "600.00" }),
    )
    .await;
    let to_dept = allocated(
        &w,
        &w.officer,
        json!({ "regionCode": COUNTY, "year": y, "toBuyerId": dept, "amount": "200.00" }),
    )
    .await;
    assert_eq!(to_dept["toBuyer"]["id"], dept.as_str());
    assert_eq!(to_dept["toRegion"], Value::Null);
    assert_eq!(rows(&w).await, 3);

    let refused = [
        // More than the city holds (1000, 600 given): 500 more does not fit.
        (
            &city,
            json!({ "regionCode": CITY, "year": y, "toRegionCode": "130125", "amount": "400.01" }),
            ("amount", "OVER_ALLOCATED"),
        ),
        // Cutting the county below what it already handed on.
        (
            &city,
            json!({ "regionCode": CITY, "year": y, "toRegionCode": COUNTY, "amount": "199.99" }),
            ("amount", "OVER_ALLOCATED"),
        ),
        // A county holding nothing from above: officers allocate only what they were handed.
        (
            &w.other_officer,
            json!({ "regionCode": OTHER_COUNTY, "year": y, "toRegionCode": "130727100", "amount": "1.00" }),
            ("amount", "OVER_ALLOCATED"),
        ),
        // 阳原县 is not below 石家庄市; the department is not located in 阳原县 either.
        (
            &city,
            json!({ "regionCode": CITY, "year": y, "toRegionCode": OTHER_COUNTY, "amount": "1.00" }),
            ("toRegionCode", "OUT_OF_SCOPE"),
        ),
        (
            &w.admin,
            json!({ "regionCode": OTHER_COUNTY, "year": y, "toBuyerId": dept, "amount": "1.00" }),
            ("toBuyerId", "OUT_OF_SCOPE"),
        ),
        (
            &city,
            json!({ "regionCode": CITY, "year": y, "toRegionCode": CITY, "amount": "1.00" }),
            ("toRegionCode", "OUT_OF_SCOPE"),
        ),
        (
            &city,
            json!({ "regionCode": CITY, "year": y, "toRegionCode": "130199", "amount": "1.00" }),
            ("toRegionCode", "NOT_FOUND"),
        ),
        (
            &city,
            json!({ "regionCode": "1399", "year": y, "toRegionCode": COUNTY, "amount": "1.00" }),
            ("regionCode", "NOT_FOUND"),
        ),
        (
            &city,
            json!({ "regionCode": CITY, "year": y, "toRegionCode": COUNTY, "amount": "0.00" }),
            ("amount", "INVALID"),
        ),
        (
            &city,
            json!({ "regionCode": CITY, "year": y, "toRegionCode": COUNTY, "amount": "-5.00" }),
            ("amount", "INVALID"),
        ),
        (
            &city,
            json!({ "regionCode": CITY, "year": 2018, "toRegionCode": COUNTY, "amount": "1.00" }),
            ("year", "INVALID"),
        ),
        (
            &city,
            json!({ "regionCode": CITY, "year": y, "toRegionCode": COUNTY, "toBuyerId": dept, "amount": "1.00" }),
            ("toRegionCode", "INVALID"),
        ),
    ];
    for (who, input, expected) in refused {
        let payload = allocate(&w, who, input.clone()).await;
        assert_eq!(
            errors(&payload),
            [(expected.0.to_owned(), expected.1.to_owned())],
            "{input}: {payload}"
        );
        assert_eq!(payload["allocation"], Value::Null);
    }
    // Outside the officer's own scope: refused before anything is looked at.
    let body = w
        .app
        .gql(
            w.officer.token(),
            ALLOCATE,
            json!({ "input": { "regionCode": CITY, "year": y, "toRegionCode": "130125", "amount": "1.00" } }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            ALLOCATE,
            json!({ "input": { "regionCode": CITY, "year": y, "toRegionCode": "130125", "amount": "1.00" } }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(rows(&w).await, 3, "nothing written");
    let before = report(&w, &city, CITY).await;
    assert_eq!(
        before["data"]["taskAllocations"]["allocated"], "600.00",
        "{before}"
    );

    // Allocating again to the same recipient replaces the amount (audited twice).
    allocated(
        &w,
        &city,
        json!({ "regionCode": CITY, "year": y, "toRegionCode": COUNTY, "amount": "700.00" }),
    )
    .await;
    allocated(
        &w,
        &city,
        json!({ "regionCode": CITY, "year": y, "toRegionCode": "130125", "amount": "300.00" }),
    )
    .await;
    assert_eq!(rows(&w).await, 4);
    let after = report(&w, &city, CITY).await;
    let after = &after["data"]["taskAllocations"];
    assert_eq!(after["held"], "1000.00", "{after}");
    assert_eq!(after["allocated"], "1000.00");
    let audited = w
        .app
        .gql(
            w.admin.token(),
            "{ auditEvents(filter: {action: \"allocateTask\"}, first: 100) { nodes { action } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        audited["data"]["auditEvents"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(5),
        "{audited}"
    );
    // The county officer reads the county's report, not the city's.
    let county = report(&w, &w.officer, COUNTY).await;
    assert_eq!(
        county["data"]["taskAllocations"]["held"], "700.00",
        "{county}"
    );
    let refused = report(&w, &w.officer, CITY).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}

#[tokio::test]
async fn each_level_reads_its_task_against_what_its_units_bought_and_its_producers_sold() {
    let w = World::build().await;
    let city = staff(&w, "city.reader", "OFFICER", CITY).await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (dept_admin, dept) = unit(&w, "fig.dept", "石家庄市教育局", "AGENCY", CITY, None).await;
    let (school, _) = unit(
        &w,
        "fig.school",
        "灵寿县第二中学",
        "SCHOOL",
        COUNTY,
        Some(&dept),
    )
    .await;
    let (hospital, _) = unit(&w, "fig.hospital", "灵寿县医院", "HOSPITAL", COUNTY, None).await;
    let y = year();
    allocated(
        &w,
        &w.admin,
        json!({ "regionCode": "13", "year": y, "toRegionCode": CITY, "amount": "1000.00" }),
    )
    .await;
    for input in [
        json!({ "regionCode": CITY, "year": y, "toRegionCode": COUNTY, "amount": "500.00" }),
        json!({ "regionCode": CITY, "year": y, "toBuyerId": dept, "amount": "300.00" }),
    ] {
        allocated(&w, &city, input).await;
    }
    buy(&w, &hospital, &product, 10, "fig-hospital").await;
    buy(&w, &school, &product, 2, "fig-school").await;
    buy(&w, &dept_admin, &product, 3, "fig-dept").await;
    buy(&w, &w.buyer_admin, &product, 1, "fig-canteen").await;

    let body = report(&w, &city, CITY).await;
    let r = &body["data"]["taskAllocations"];
    assert_eq!(r["region"]["code"], CITY, "{body}");
    assert_eq!(r["year"], y);
    assert_eq!(r["held"], "1000.00");
    assert_eq!(r["allocated"], "800.00");
    assert_eq!(r["bought"], "160.00");
    assert_eq!(r["sold"], "160.00");
    assert_eq!(r["percentDone"], 16);
    let county = &r["recipients"][0];
    assert_eq!(county["allocation"]["toRegion"]["code"], COUNTY, "{body}");
    assert_eq!(county["bought"], "120.00", "the hospital and the school");
    assert_eq!(county["sold"], "160.00");
    assert_eq!(county["percentDone"], 24);
    let department = &r["recipients"][1];
    assert_eq!(department["allocation"]["toBuyer"]["id"], dept.as_str());
    assert_eq!(
        department["bought"], "30.00",
        "the school's link is pending"
    );
    assert_eq!(department["sold"], Value::Null);
    assert_eq!(department["percentDone"], 10);

    // Once the department confirms the school below it, the school counts for it too.
    let link = links(&w, &dept_admin, &dept)
        .await
        .into_iter()
        .find(|l| l["unit"]["id"] == dept.as_str())
        .map_or_else(
            || panic!("no link below the department"),
            |l| l["id"].clone(),
        );
    let done = w
        .app
        .gql(
            dept_admin.token(),
            "mutation($id: ID!) { confirmUnitLink(input: {id: $id}) { errors { code } } }",
            json!({ "id": link }),
        )
        .await;
    assert_eq!(
        done["data"]["confirmUnitLink"]["errors"],
        json!([]),
        "{done}"
    );
    let body = report(&w, &city, CITY).await;
    let department = &body["data"]["taskAllocations"]["recipients"][1];
    assert_eq!(department["bought"], "50.00", "{body}");
    assert_eq!(department["percentDone"], 16);

    // The county's own view: what it holds and bought; nothing handed down yet.
    let body = report(&w, &w.officer, COUNTY).await;
    let r = &body["data"]["taskAllocations"];
    assert_eq!(r["held"], "500.00", "{body}");
    assert_eq!(r["allocated"], "0.00");
    assert_eq!(r["bought"], "120.00");
    assert_eq!(r["recipients"], json!([]));
    let other = report(&w, &w.other_officer, OTHER_COUNTY).await;
    let r = &other["data"]["taskAllocations"];
    assert_eq!(
        (r["held"].clone(), r["bought"].clone()),
        (Value::Null, json!("0.00")),
        "{other}"
    );
}

/// The pace the ranking should show: target × days elapsed on `on` / days in the year.
fn pace(target_fen: i64, on: NaiveDate) -> String {
    let days = NaiveDate::from_ymd_opt(on.year(), 12, 31)
        .expect("day")
        .ordinal();
    let fen = target_fen * i64::from(on.ordinal()) / i64::from(days);
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[tokio::test]
async fn a_ranking_orders_units_and_regions_by_share_done_with_the_pace_of_the_day() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let y = year();
    let mut units = Vec::new();
    for (name, kind, bought) in [
        ("rank.ahead", "AGENCY", 20),
        ("rank.behind", "AGENCY", 3),
        ("rank.school", "SCHOOL", 5),
        ("rank.undeclared", "HOSPITAL", 7),
    ] {
        let (admin, id) = unit(&w, name, &format!("灵寿县{name}"), kind, COUNTY, None).await;
        if kind != "HOSPITAL" {
            declare(
                &w,
                &admin,
                json!({ "buyerId": id, "year": y, "canteen": "OWN_CANTEEN",
                        "canteenBudget": "10000.00", "reservedSharePercent": 10 }),
            )
            .await;
        }
        buy(&w, &admin, &product, bought, name).await;
        units.push(id);
    }
    let on = NaiveDate::from_ymd_opt(y, 7, 1).expect("day");
    let body = w
        .app
        .gql(
            w.officer.token(),
            RANKING,
            json!({ "code": COUNTY, "year": y, "on": on.to_string() }),
        )
        .await;
    let ranking = &body["data"]["targetRanking"];
    assert_eq!(ranking["on"], on.to_string(), "{body}");
    assert_eq!(ranking["level"], Value::Null);
    let rows = ranking["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let order: Vec<&str> = rows
        .iter()
        .map(|r| r["buyerId"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(order, [units[0].as_str(), &units[2], &units[1], &units[3]]);
    let ranks: Vec<i64> = rows
        .iter()
        .map(|r| r["rank"].as_i64().unwrap_or_default())
        .collect();
    assert_eq!(ranks, [1, 2, 3, 4]);
    let first = &rows[0];
    assert_eq!(first["name"], "灵寿县rank.ahead");
    assert_eq!(first["target"], "1000.00");
    assert_eq!(first["bought"], "200.00");
    assert_eq!(first["percentDone"], 20);
    assert_eq!(first["pace"], pace(100_000, on));
    assert_eq!(first["behindPace"], true);
    assert_eq!(rows[3]["target"], Value::Null);
    assert_eq!(rows[3]["pace"], Value::Null);
    assert_eq!(rows[3]["behindPace"], false);
    // Early in the year the same purchases are ahead of the pace.
    let january = NaiveDate::from_ymd_opt(y, 1, 10).expect("day");
    let body = w
        .app
        .gql(
            w.officer.token(),
            RANKING,
            json!({ "code": COUNTY, "year": y, "on": january.to_string() }),
        )
        .await;
    let first = &body["data"]["targetRanking"]["rows"][0];
    assert_eq!(first["pace"], pace(100_000, january), "{body}");
    assert_eq!(first["behindPace"], false);

    // One kind only.
    let body = w
        .app
        .gql(
            w.officer.token(),
            RANKING,
            json!({ "code": COUNTY, "year": y, "kind": "SCHOOL", "on": on.to_string() }),
        )
        .await;
    let rows = &body["data"]["targetRanking"]["rows"];
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["data"]["targetRanking"]["ranked"], 1);
    assert_eq!(rows[0]["buyerId"], units[2].as_str());
    assert_eq!(body["data"]["targetRanking"]["unitKind"], "SCHOOL");

    // Regions of a level by their allocated task: the county with a task first.
    allocated(
        &w,
        &w.admin,
        json!({ "regionCode": CITY, "year": y, "toRegionCode": COUNTY, "amount": "700.00" }),
    )
    .await;
    allocated(
        &w,
        &w.admin,
        json!({ "regionCode": CITY, "year": y, "toRegionCode": "130125", "amount": "100.00" }),
    )
    .await;
    let city = staff(&w, "rank.city", "OFFICER", CITY).await;
    let body = w
        .app
        .gql(
            city.token(),
            RANKING,
            json!({ "code": CITY, "year": y, "level": "COUNTY", "on": on.to_string() }),
        )
        .await;
    let rows = body["data"]["targetRanking"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone();
    assert_eq!(rows[0]["regionCode"], COUNTY, "{body}");
    assert_eq!(rows[0]["name"], "灵寿县");
    assert_eq!(rows[0]["target"], "700.00");
    assert_eq!(rows[0]["bought"], "350.00");
    assert_eq!(rows[0]["percentDone"], 50);
    assert_eq!(rows[0]["pace"], pace(70_000, on));
    assert_eq!(rows[1]["regionCode"], "130125");
    assert_eq!(rows[1]["bought"], "0.00");
    assert_eq!(rows[1]["behindPace"], true);
    assert_eq!(
        rows[2]["target"],
        Value::Null,
        "counties without a task follow"
    );
    assert!(rows.len() > 20, "every county of the city");
    let top = w
        .app
        .gql(
            city.token(),
            "query($y: Int!) { targetRanking(regionCode: \"1301\", year: $y, level: COUNTY, first: 2) {
                ranked rows { rank regionCode } } }",
            json!({ "y": y }),
        )
        .await;
    let top = &top["data"]["targetRanking"];
    assert_eq!(top["ranked"], rows.len(), "{top}");
    assert_eq!(
        top["rows"],
        json!([{ "rank": 1, "regionCode": COUNTY }, { "rank": 2, "regionCode": "130125" }])
    );

    // Nothing to rank, a level and a kind at once, or another's region: refused.
    for (variables, code) in [
        (
            json!({ "code": COUNTY, "year": y, "level": "CITY" }),
            "NO_UNITS",
        ),
        (
            json!({ "code": COUNTY, "year": y, "kind": "ARMY_UNIT" }),
            "NO_UNITS",
        ),
        (json!({ "code": OTHER_COUNTY, "year": y }), "NO_UNITS"),
    ] {
        let body = w.app.gql(w.admin.token(), RANKING, variables.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{variables}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["userErrors"][0]["code"], code,
            "{body}"
        );
    }
    let both = w
        .app
        .gql(
            w.admin.token(),
            RANKING,
            json!({ "code": COUNTY, "year": y, "level": "COUNTY", "kind": "SCHOOL" }),
        )
        .await;
    assert_eq!(error_code(&both), "BAD_USER_INPUT", "{both}");
    let outside = w
        .app
        .gql(
            w.other_officer.token(),
            RANKING,
            json!({ "code": COUNTY, "year": y }),
        )
        .await;
    assert_eq!(error_code(&outside), "FORBIDDEN", "{outside}");
    let buyer = w
        .app
        .gql(
            w.buyer_admin.token(),
            RANKING,
            json!({ "code": COUNTY, "year": y }),
        )
        .await;
    assert_eq!(error_code(&buyer), "FORBIDDEN", "{buyer}");
}

#[tokio::test]
async fn concurrent_allocations_never_pass_what_the_region_holds() {
    let w = World::build().await;
    let city = staff(&w, "race.city", "OFFICER", CITY).await;
    let y = year();
    allocated(
        &w,
        &w.admin,
        json!({ "regionCode": "13", "year": y, "toRegionCode": CITY, "amount": "1000.00" }),
    )
    .await;
    let counties = ["130102", "130104", "130105", "130107", "130108", "130109"];
    let results = futures_util::future::join_all(counties.iter().map(|code| {
        allocate(
            &w,
            &city,
            json!({ "regionCode": CITY, "year": y, "toRegionCode": code, "amount": "300.00" }),
        )
    }))
    .await;
    let passed = results.iter().filter(|p| p["errors"] == json!([])).count();
    let refused: Vec<Vec<(String, String)>> = results
        .iter()
        .filter(|p| p["errors"] != json!([]))
        .map(errors)
        .collect();
    assert_eq!(passed, 3, "{results:?}");
    assert!(
        refused
            .iter()
            .all(|e| e == &[("amount".to_owned(), "OVER_ALLOCATED".to_owned())]),
        "{refused:?}"
    );
    let body = report(&w, &city, CITY).await;
    assert_eq!(
        body["data"]["taskAllocations"]["allocated"], "900.00",
        "{body}"
    );
}
