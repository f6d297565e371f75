//! Issue 13, item 1: a link that moves one unit's purchases into another unit's count
//! (contractor, shared canteen, canteen, union, staff below a unit) counts nothing until the other
//! side confirms it, is audited, and is revocable by either side; an own canteen registered below
//! a unit counts toward it once confirmed.

use chrono::{Datelike, Utc};
use serde_json::{Value, json};

use crate::{
    harness::{Session, TestApp, error_code},
    tallies::buy,
    world::{CITY, COUNTY, CREATE_BUYER, World},
};

const TARGET: &str = "mutation($input: SetProcurementTargetInput!) { setProcurementTarget(input: $input) {
    declaration { target unitLink { id kind status awaiting { id } } } errors { field code message } } }";
const PROGRESS: &str = "query($b: ID!, $y: Int!) { targetProgress(buyerId: $b, year: $y) {
    target purchased percent countedBuyers { id } } }";
const CONFIRM: &str = "mutation($id: ID!) { confirmUnitLink(input: {id: $id}) {
    unitLink { status confirmedAt confirmedBy { id } } errors { field code message } } }";
const REVOKE: &str =
    "mutation($id: ID!, $r: String!) { revokeUnitLink(input: {id: $id, reason: $r}) {
    unitLink { status revokedAt revokeReason } errors { field code message } } }";
const LINKS: &str = "query($id: ID!) { node(id: $id) { ... on Buyer { unitLinks {
    id kind status year revokeReason unit { id } countedBuyer { id } awaiting { id } } } } }";

pub(crate) fn year() -> i32 {
    Utc::now().year()
}

/// A new buying unit registered by its own admin: its admin and its Buyer ID.
pub(crate) async fn unit(
    w: &World,
    username: &str,
    name: &str,
    kind: &str,
    region: &str,
    parent: Option<&str>,
) -> (Session, String) {
    let session = w.app.register(username, Some((name, "BUYER"))).await;
    let org = w
        .app
        .gql(session.token(), "{ me { organization { id } } }", json!({}))
        .await;
    let created = w
        .app
        .gql(
            session.token(),
            CREATE_BUYER,
            json!({ "input": {
                "organizationId": org["data"]["me"]["organization"]["id"], "name": name, "kind": kind,
                "regionCode": region, "parentId": parent, "contactName": "负责人", "contactPhone": "0311-80000000" } }),
        )
        .await;
    let id = created["data"]["createBuyer"]["buyer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createBuyer: {created}"))
        .to_owned();
    (session, id)
}

pub(crate) async fn declare(w: &World, who: &Session, input: Value) -> Value {
    let body = w
        .app
        .gql(who.token(), TARGET, json!({ "input": input }))
        .await;
    let payload = &body["data"]["setProcurementTarget"];
    assert_eq!(payload["errors"], json!([]), "{body}");
    payload["declaration"].clone()
}

async fn progress(app: &TestApp, who: &Session, buyer: &str, year: i32) -> Value {
    let body = app
        .gql(who.token(), PROGRESS, json!({ "b": buyer, "y": year }))
        .await;
    assert!(
        body["data"]["targetProgress"].is_object(),
        "targetProgress: {body}"
    );
    body["data"]["targetProgress"].clone()
}

async fn purchased(w: &World, who: &Session, buyer: &str) -> String {
    progress(&w.app, who, buyer, year()).await["purchased"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The links naming `buyer`, as `who` sees them.
pub(crate) async fn links(w: &World, who: &Session, buyer: &str) -> Vec<Value> {
    let body = w.app.gql(who.token(), LINKS, json!({ "id": buyer })).await;
    body["data"]["node"]["unitLinks"]
        .as_array()
        .unwrap_or_else(|| panic!("unitLinks: {body}"))
        .clone()
}

async fn audited(w: &World, action: &str) -> usize {
    let body = w
        .app
        .gql(
            w.admin.token(),
            "query($a: String!) { auditEvents(filter: {action: $a}, first: 100) { nodes { action } } }",
            json!({ "a": action }),
        )
        .await;
    body["data"]["auditEvents"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("auditEvents: {body}"))
        .len()
}

async fn confirm(w: &World, who: &Session, link: &Value) -> Value {
    w.app.gql(who.token(), CONFIRM, json!({ "id": link })).await
}

/// The issue's case: a newly registered unit names an existing canteen as its `OUTSOURCED`
/// contractor. Before the fix the canteen's purchases made it 204% done.
#[tokio::test]
async fn a_contractor_counts_only_once_it_confirms_and_until_it_revokes() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "51.00").await;
    buy(&w, &w.buyer_admin, &product, 20, "consent-canteen").await;
    let (newcomer, newcomer_id) =
        unit(&w, "new.unit", "石家庄市新设事务中心", "AGENCY", CITY, None).await;
    let declared = declare(
        &w,
        &newcomer,
        json!({ "buyerId": newcomer_id, "year": year(), "canteen": "OUTSOURCED", "canteenBudget": "5000.00",
                "reservedSharePercent": 10, "contractorId": w.buyer_id }),
    )
    .await;
    assert_eq!(declared["target"], "500.00");
    let link = &declared["unitLink"];
    assert_eq!(link["kind"], "CONTRACTOR");
    assert_eq!(link["status"], "PENDING");
    assert_eq!(
        link["awaiting"]["id"],
        w.buyer_id.as_str(),
        "the contractor confirms"
    );
    let link_id = link["id"].clone();

    let before = progress(&w.app, &newcomer, &newcomer_id, year()).await;
    assert_eq!(before["purchased"], "0.00", "{before}");
    assert_eq!(before["percent"], 0);
    assert_eq!(before["countedBuyers"], json!([{ "id": newcomer_id }]));
    let canteen_reads = w
        .app
        .gql(
            w.buyer_admin.token(),
            PROGRESS,
            json!({ "b": newcomer_id, "y": year() }),
        )
        .await;
    assert_eq!(error_code(&canteen_reads), "FORBIDDEN", "not linked yet");

    // Neither the declaring side nor a third party can confirm; nothing is written.
    let (stranger, _) = unit(
        &w,
        "stranger.unit",
        "灵寿县第一中学",
        "SCHOOL",
        COUNTY,
        None,
    )
    .await;
    for (who, code) in [
        (&newcomer, "FORBIDDEN"),
        (&stranger, "NOT_FOUND"),
        (&w.other_officer, "NOT_FOUND"),
        (&w.officer, "NOT_FOUND"),
        (&w.auditor, "FORBIDDEN"),
        (&w.producer_admin, "FORBIDDEN"),
        (&w.outsider, "FORBIDDEN"),
    ] {
        let refused = confirm(&w, who, &link_id).await;
        assert_eq!(error_code(&refused), code, "{refused}");
        assert_eq!(refused["data"]["confirmUnitLink"], Value::Null);
    }
    assert_eq!(audited(&w, "confirmUnitLink").await, 0);
    assert_eq!(audited(&w, "proposeUnitLink").await, 1);
    let seen = links(&w, &w.buyer_admin, &w.buyer_id).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["status"], "PENDING");
    assert_eq!(seen[0]["countedBuyer"]["id"], w.buyer_id.as_str());
    assert_eq!(purchased(&w, &newcomer, &newcomer_id).await, "0.00");

    // The contractor consents: its purchases count, and its people may read the figure.
    let confirmed = confirm(&w, &w.buyer_admin, &link_id).await;
    let done = &confirmed["data"]["confirmUnitLink"];
    assert_eq!(done["errors"], json!([]), "{confirmed}");
    assert_eq!(done["unitLink"]["status"], "CONFIRMED");
    assert!(done["unitLink"]["confirmedAt"].is_string());
    assert_eq!(
        done["unitLink"]["confirmedBy"]["id"],
        w.buyer_admin.user_id.as_str()
    );
    assert_eq!(audited(&w, "confirmUnitLink").await, 1);
    let after = progress(&w.app, &newcomer, &newcomer_id, year()).await;
    assert_eq!(after["purchased"], "1020.00");
    assert_eq!(after["percent"], 204);
    assert_eq!(after["countedBuyers"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        progress(&w.app, &w.buyer_admin, &newcomer_id, year()).await["purchased"],
        "1020.00",
        "the contractor's members read the unit they buy for"
    );
    let again = confirm(&w, &w.buyer_admin, &link_id).await;
    assert_eq!(
        again["data"]["confirmUnitLink"]["errors"][0]["code"],
        "INVALID_STATE"
    );

    // A reason is required; a refused revocation changes nothing.
    let short = w
        .app
        .gql(
            w.buyer_admin.token(),
            REVOKE,
            json!({ "id": link_id, "r": "x" }),
        )
        .await;
    assert_eq!(
        short["data"]["revokeUnitLink"]["errors"][0]["field"],
        json!(["input", "reason"])
    );
    let by_stranger = w
        .app
        .gql(
            stranger.token(),
            REVOKE,
            json!({ "id": link_id, "r": "不认识" }),
        )
        .await;
    assert_eq!(error_code(&by_stranger), "NOT_FOUND");
    assert_eq!(purchased(&w, &newcomer, &newcomer_id).await, "1020.00");

    // Either side revokes; it stops counting at once.
    let revoked = w
        .app
        .gql(
            w.buyer_admin.token(),
            REVOKE,
            json!({ "id": link_id, "r": "承包合同已终止" }),
        )
        .await;
    let revoked = &revoked["data"]["revokeUnitLink"];
    assert_eq!(revoked["errors"], json!([]));
    assert_eq!(revoked["unitLink"]["status"], "REVOKED");
    assert_eq!(revoked["unitLink"]["revokeReason"], "承包合同已终止");
    assert_eq!(audited(&w, "revokeUnitLink").await, 1);
    assert_eq!(purchased(&w, &newcomer, &newcomer_id).await, "0.00");
    let late = confirm(&w, &w.buyer_admin, &link_id).await;
    assert_eq!(
        late["data"]["confirmUnitLink"]["errors"][0]["code"],
        "INVALID_STATE"
    );
    let canteen_reads = w
        .app
        .gql(
            w.buyer_admin.token(),
            PROGRESS,
            json!({ "b": newcomer_id, "y": year() }),
        )
        .await;
    assert_eq!(error_code(&canteen_reads), "FORBIDDEN");

    // Declaring again asks again: consent is never carried over from a revoked link.
    let redeclared = declare(
        &w,
        &newcomer,
        json!({ "buyerId": newcomer_id, "year": year(), "canteen": "OUTSOURCED", "canteenBudget": "5000.00",
                "reservedSharePercent": 10, "contractorId": w.buyer_id }),
    )
    .await;
    assert_eq!(redeclared["unitLink"]["status"], "PENDING");
    assert_ne!(redeclared["unitLink"]["id"], link_id);
    assert_eq!(purchased(&w, &newcomer, &newcomer_id).await, "0.00");
}

#[tokio::test]
async fn a_shared_canteen_counts_once_its_unit_confirms() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "30.00").await;
    declare(
        &w,
        &w.buyer_admin,
        json!({ "buyerId": w.buyer_id, "year": year(), "canteen": "OWN_CANTEEN", "canteenBudget": "10000.00",
                "reservedSharePercent": 10 }),
    )
    .await;
    let (sharing, sharing_id) =
        unit(&w, "archive.admin", "石家庄市档案馆", "AGENCY", CITY, None).await;
    let declared = declare(
        &w,
        &sharing,
        json!({ "buyerId": sharing_id, "year": year(), "canteen": "SHARES_CANTEEN", "sharesCanteenOfId": w.buyer_id }),
    )
    .await;
    let link = declared["unitLink"].clone();
    assert_eq!(link["kind"], "SHARED_CANTEEN");
    assert_eq!(link["status"], "PENDING");
    assert_eq!(
        link["awaiting"]["id"],
        w.buyer_id.as_str(),
        "the host confirms"
    );
    buy(&w, &sharing, &product, 10, "consent-shared-1").await;
    buy(&w, &w.buyer_admin, &product, 2, "consent-shared-2").await;
    assert_eq!(purchased(&w, &w.buyer_admin, &w.buyer_id).await, "60.00");

    let own = confirm(&w, &sharing, &link["id"]).await;
    assert_eq!(
        error_code(&own),
        "FORBIDDEN",
        "the declaring side cannot confirm"
    );
    assert_eq!(purchased(&w, &w.buyer_admin, &w.buyer_id).await, "60.00");
    let confirmed = confirm(&w, &w.buyer_admin, &link["id"]).await;
    assert_eq!(confirmed["data"]["confirmUnitLink"]["errors"], json!([]));
    assert_eq!(purchased(&w, &w.buyer_admin, &w.buyer_id).await, "360.00");
    assert_eq!(
        purchased(&w, &sharing, &w.buyer_id).await,
        "360.00",
        "the sharing unit's people read the figure they count toward"
    );

    // The sharing side ends it too.
    let revoked = w
        .app
        .gql(
            sharing.token(),
            REVOKE,
            json!({ "id": link["id"], "r": "自建食堂" }),
        )
        .await;
    assert_eq!(revoked["data"]["revokeUnitLink"]["errors"], json!([]));
    assert_eq!(purchased(&w, &w.buyer_admin, &w.buyer_id).await, "60.00");

    // A new declaration replaces the link it no longer names.
    let again = declare(
        &w,
        &sharing,
        json!({ "buyerId": sharing_id, "year": year(), "canteen": "SHARES_CANTEEN", "sharesCanteenOfId": w.buyer_id }),
    )
    .await;
    assert_eq!(again["unitLink"]["status"], "PENDING");
    let exempt = declare(
        &w,
        &sharing,
        json!({ "buyerId": sharing_id, "year": year(), "canteen": "NO_CANTEEN" }),
    )
    .await;
    assert_eq!(exempt["unitLink"], Value::Null);
    let seen = links(&w, &sharing, &sharing_id).await;
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|l| l["status"] == "REVOKED"), "{seen:?}");
    assert!(
        seen.iter()
            .any(|l| l["revokeReason"] == "replaced by a new declaration"),
        "{seen:?}"
    );
}

/// An agency with its own canteen, union, staff and a subsidiary registered below it.
#[tokio::test]
async fn units_below_a_unit_count_by_kind_once_it_confirms() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (agency, agency_id) = unit(
        &w,
        "agency.admin",
        "灵寿县农业农村局",
        "AGENCY",
        COUNTY,
        None,
    )
    .await;
    let own_canteen = json!({ "buyerId": agency_id, "year": year(), "canteen": "OWN_CANTEEN",
                              "canteenBudget": "10000.00", "reservedSharePercent": 10 });
    declare(&w, &agency, own_canteen.clone()).await;
    let below = [
        ("agency.canteen", "灵寿县农业农村局机关食堂", "CANTEEN", 10),
        (
            "agency.union",
            "灵寿县农业农村局工会",
            "SOCIAL_ORGANIZATION",
            2,
        ),
        ("agency.staff", "灵寿县农业农村局职工王某", "INDIVIDUAL", 3),
        (
            "agency.firm",
            "灵寿县农发投资有限公司",
            "STATE_ENTERPRISE",
            4,
        ),
    ];
    let mut units = Vec::new();
    for (username, name, kind, quantity) in below {
        let (session, id) = unit(&w, username, name, kind, COUNTY, Some(&agency_id)).await;
        buy(
            &w,
            &session,
            &product,
            quantity,
            &format!("consent-{username}"),
        )
        .await;
        units.push((session, id));
    }
    buy(&w, &agency, &product, 1, "consent-agency").await;
    let [
        (canteen, canteen_id),
        (_union, union_id),
        (_staff, _),
        (firm, firm_id),
    ] = <[(Session, String); 4]>::try_from(units).unwrap_or_else(|_| unreachable!());

    assert_eq!(
        purchased(&w, &agency, &agency_id).await,
        "10.00",
        "nothing below counts yet"
    );
    let canteen_reads = w
        .app
        .gql(
            canteen.token(),
            PROGRESS,
            json!({ "b": agency_id, "y": year() }),
        )
        .await;
    assert_eq!(error_code(&canteen_reads), "FORBIDDEN");
    let pending = links(&w, &agency, &agency_id).await;
    let mut kinds: Vec<&str> = pending
        .iter()
        .map(|l| l["kind"].as_str().unwrap_or_default())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["CANTEEN", "STAFF", "SUBUNIT", "UNION"]);
    assert!(
        pending
            .iter()
            .all(|l| l["status"] == "PENDING" && l["awaiting"]["id"] == agency_id.as_str())
    );
    let link_of = |kind: &str| {
        pending
            .iter()
            .find(|l| l["kind"] == kind)
            .map(|l| l["id"].clone())
            .unwrap_or_default()
    };

    // The canteen cannot vouch for itself; an officer elsewhere cannot either.
    let own = confirm(&w, &canteen, &link_of("CANTEEN")).await;
    assert_eq!(error_code(&own), "FORBIDDEN");
    let elsewhere = confirm(&w, &w.other_officer, &link_of("STAFF")).await;
    assert_eq!(error_code(&elsewhere), "NOT_FOUND");
    assert_eq!(purchased(&w, &agency, &agency_id).await, "10.00");

    // The agency confirms three; the county's officer, whose region covers both, the fourth.
    for kind in ["CANTEEN", "UNION", "SUBUNIT"] {
        let done = confirm(&w, &agency, &link_of(kind)).await;
        assert_eq!(
            done["data"]["confirmUnitLink"]["errors"],
            json!([]),
            "{kind}: {done}"
        );
    }
    let by_officer = confirm(&w, &w.officer, &link_of("STAFF")).await;
    assert_eq!(
        by_officer["data"]["confirmUnitLink"]["errors"],
        json!([]),
        "{by_officer}"
    );

    // 10 own + 100 canteen + 20 union + 30 staff; the subsidiary is its own budget unit.
    let now = progress(&w.app, &agency, &agency_id, year()).await;
    assert_eq!(now["purchased"], "160.00", "{now}");
    assert_eq!(now["percent"], 16);
    assert_eq!(now["countedBuyers"].as_array().map(Vec::len), Some(4));
    assert!(
        !now["countedBuyers"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|b| b["id"] == firm_id.as_str())
    );
    assert_eq!(
        purchased(&w, &canteen, &agency_id).await,
        "160.00",
        "the canteen's people read the unit they buy for"
    );

    // The canteen counts only while the agency declares its own canteen.
    declare(
        &w,
        &agency,
        json!({ "buyerId": agency_id, "year": year(), "canteen": "NO_CANTEEN" }),
    )
    .await;
    assert_eq!(purchased(&w, &agency, &agency_id).await, "60.00");
    declare(&w, &agency, own_canteen).await;
    assert_eq!(purchased(&w, &agency, &agency_id).await, "160.00");

    // One unit's purchases count toward one other unit: the canteen cannot also be another
    // unit's contractor, and the refusal writes nothing.
    let (other, other_id) = unit(&w, "other.agency", "灵寿县水利局", "AGENCY", COUNTY, None).await;
    let declared = declare(
        &w,
        &other,
        json!({ "buyerId": other_id, "year": year(), "canteen": "OUTSOURCED", "canteenBudget": "1000.00",
                "reservedSharePercent": 10, "contractorId": canteen_id }),
    )
    .await;
    let twice = confirm(&w, &canteen, &declared["unitLink"]["id"]).await;
    assert_eq!(
        twice["data"]["confirmUnitLink"]["errors"][0]["code"], "INVALID_STATE",
        "{twice}"
    );
    assert_eq!(purchased(&w, &other, &other_id).await, "0.00");
    let still = links(&w, &other, &other_id).await;
    assert_eq!(still[0]["status"], "PENDING");

    // A confirmed subsidiary that re-registers as a union asks again.
    let changed = w
        .app
        .gql(
            firm.token(),
            "mutation($id: ID!) { updateBuyer(input: {id: $id, kind: SOCIAL_ORGANIZATION}) { errors { code } } }",
            json!({ "id": firm_id }),
        )
        .await;
    assert_eq!(
        changed["data"]["updateBuyer"]["errors"],
        json!([]),
        "{changed}"
    );
    assert_eq!(purchased(&w, &agency, &agency_id).await, "160.00");
    let firm_links = links(&w, &firm, &firm_id).await;
    let status_of = |kind: &str| {
        firm_links
            .iter()
            .find(|l| l["kind"] == kind)
            .map(|l| l["status"].clone())
            .unwrap_or_default()
    };
    assert_eq!(status_of("SUBUNIT"), "REVOKED");
    assert_eq!(status_of("UNION"), "PENDING");

    // The agency disowns its union: it stops counting and no longer shows the agency as parent.
    let union_link = link_of("UNION");
    let disowned = w
        .app
        .gql(
            agency.token(),
            REVOKE,
            json!({ "id": union_link, "r": "非本单位工会" }),
        )
        .await;
    assert_eq!(disowned["data"]["revokeUnitLink"]["errors"], json!([]));
    assert_eq!(purchased(&w, &agency, &agency_id).await, "140.00");
    let parent = w
        .app
        .gql(
            agency.token(),
            "query($id: ID!) { node(id: $id) { ... on Buyer { parent { id } } } }",
            json!({ "id": union_id }),
        )
        .await;
    assert_eq!(parent["data"]["node"]["parent"], Value::Null);
}

/// The demo world's arrangements are agreed ones: created confirmed, and counted.
#[tokio::test]
async fn the_demo_worlds_declared_arrangements_are_confirmed_and_count() {
    let app = TestApp::spawn().await;
    assert!(
        fupin_market::demo::seed(&app.state.services)
            .await
            .expect("demo world")
    );
    let password = fupin_market::demo::DEMO_PASSWORD;
    let id_of = async |who: &Session, name: &str| {
        let body = app
            .gql(
                who.token(),
                "query($t: String!) { buyers(filter: {text: $t}, first: 10) { nodes { id name } } }",
                json!({ "t": name }),
            )
            .await;
        body["data"]["buyers"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|b| b["name"] == name)
            .map_or_else(
                || panic!("{name}: {body}"),
                |b| b["id"].as_str().unwrap_or_default().to_owned(),
            )
    };
    let counted = |progress: &Value| -> Vec<String> {
        let mut ids: Vec<String> = progress["countedBuyers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| b["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        ids.sort();
        ids
    };

    // 石家庄: the bureau's own canteen (a unit below it) and the unit sharing it count.
    let jiguan = app.login("sjz-jiguan", password).await;
    let bureau = id_of(&jiguan, "石家庄市机关事务管理局").await;
    let canteen = id_of(&jiguan, "石家庄市机关事务管理局机关食堂").await;
    let sharing = id_of(&jiguan, "石家庄市乡村振兴局").await;
    let mut expected = vec![bureau.clone(), canteen, sharing];
    expected.sort();
    let seen = progress(&app, &jiguan, &bureau, 2026).await;
    assert_eq!(counted(&seen), expected);
    let from_canteen = app.login("sjz-canteen", password).await;
    assert_eq!(
        counted(&progress(&app, &from_canteen, &bureau, 2026).await),
        expected,
        "the canteen's buyer reads the bureau's progress"
    );

    // 佛山: the hospital's contractor and its union count.
    let hospital_admin = app.login("nanhai-hospital", password).await;
    let hospital = id_of(&hospital_admin, "佛山市南海区第二人民医院").await;
    let contractor = id_of(&hospital_admin, "佛山市粤膳团餐管理有限公司").await;
    let union = id_of(&hospital_admin, "佛山市南海区第二人民医院工会委员会").await;
    let mut expected = vec![hospital.clone(), contractor, union];
    expected.sort();
    assert_eq!(
        counted(&progress(&app, &hospital_admin, &hospital, 2026).await),
        expected
    );
    let body = app
        .gql(hospital_admin.token(), LINKS, json!({ "id": hospital }))
        .await;
    let statuses: Vec<&Value> = body["data"]["node"]["unitLinks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| &l["status"])
        .collect();
    assert_eq!(statuses.len(), 2, "{body}");
    assert!(statuses.iter().all(|s| *s == "CONFIRMED"), "{body}");

    // A subsidiary with its own budget does not count toward its group.
    let group_admin = app.login("jinong-purchasing", password).await;
    let group = id_of(&group_admin, "河北冀农发展投资集团有限公司").await;
    assert_eq!(
        counted(&progress(&app, &group_admin, &group, 2026).await),
        [group]
    );
}
