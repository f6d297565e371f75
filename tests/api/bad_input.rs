//! Bad input to the registry and catalogue mutations: each is refused with a clear code (a
//! `UserError` in the payload, on the offending field where there is one, or a top-level
//! `BAD_USER_INPUT` when the request cannot even run), and nothing is written.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    authorization::row_counts,
    world::{
        COUNTY, CREATE_BUYER, CREATE_PRODUCER, CREATE_PRODUCT, World, producer_input, product_input,
    },
};

const UPDATE_REGION_STATUS: &str = "mutation($input: UpdateRegionStatusInput!) {
    updateRegionStatus(input: $input) { region { code } errors { field code message } } }";
const CREATE_PAIRING: &str = "mutation($input: CreatePairingInput!) {
    createPairing(input: $input) { pairing { id } errors { field code message } } }";
const ADJUST_STOCK: &str = "mutation($input: AdjustStockInput!) {
    adjustStock(input: $input) { product { stock } errors { field code message } } }";
const PUBLISH: &str = "mutation($input: ProductIdInput!) {
    publishProduct(input: $input) { product { status } errors { field code message } } }";
const APPLY: &str = "mutation($input: ApplyCertificationInput!) {
    applyCertification(input: $input) { certification { id status } errors { field code message } } }";
const REVIEW: &str = "mutation($input: ReviewCertificationInput!) {
    reviewCertification(input: $input) { certification { status } errors { field code message } } }";
const SUSPEND: &str = "mutation($input: ProducerStandingInput!) {
    suspendProducer(input: $input) { producer { creditStatus } errors { field code message } } }";
const SET_TARGET: &str = "mutation($input: SetProcurementTargetInput!) {
    setProcurementTarget(input: $input) { declaration { target } errors { field code message } } }";
const SET_POLICY: &str = "mutation($input: SetProcurementPolicyInput!) {
    setProcurementPolicy(input: $input) { policy { minReservedSharePercent } errors { field code message } } }";
const PRODUCT: &str = "query($id: ID!) { product(id: $id) { stock status
    certification { status reviews { stage decision } } } }";

const EVIDENCE: &str = "吸纳建档立卡贫困户23户务工, 按保护价收购贫困户红薯, 年分红10%";

/// Runs a mutation that must succeed; returns its payload.
async fn succeeds(w: &World, token: Option<&str>, query: &str, field: &str, input: Value) -> Value {
    let body = w.app.gql(token, query, json!({ "input": input })).await;
    let payload = body["data"][field].clone();
    assert_eq!(payload["errors"], json!([]), "{field}: {body}");
    payload
}

/// Runs a mutation that must fail with exactly one `UserError` of `code` (on `input.<on>`, or on
/// no field), writing nothing; returns the error.
async fn refused(
    w: &World,
    token: Option<&str>,
    query: &str,
    field: &str,
    input: Value,
    (code, on): (&str, Option<&str>),
) -> Value {
    let before = row_counts(w.app.db()).await;
    let body = w.app.gql(token, query, json!({ "input": input })).await;
    assert_eq!(body["errors"], Value::Null, "{field}: {body}");
    let errors = &body["data"][field]["errors"];
    let path = on.map(|on| json!(["input", on]));
    assert_eq!(errors.as_array().map(Vec::len), Some(1), "{field}: {body}");
    assert_eq!(errors[0]["code"], code, "{field}: {body}");
    assert_eq!(
        errors[0]["field"],
        path.unwrap_or(Value::Null),
        "{field}: {body}"
    );
    assert_eq!(
        row_counts(w.app.db()).await,
        before,
        "{field} wrote something"
    );
    errors[0].clone()
}

/// A request the server must refuse before running it: 400 and a top-level `BAD_USER_INPUT`.
async fn never_runs(w: &World, token: Option<&str>, query: &str, input: Value) {
    never_runs_with(w, token, query, json!({ "input": input })).await;
}

async fn never_runs_with(w: &World, token: Option<&str>, query: &str, variables: Value) {
    let before = row_counts(w.app.db()).await;
    let response = w.app.post(token, query, variables).await;
    let status = response.status();
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        crate::harness::error_code(&body),
        "BAD_USER_INPUT",
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(row_counts(w.app.db()).await, before, "wrote something");
}

async fn apply(w: &World, product: &str) {
    succeeds(
        w,
        w.producer_clerk.token(),
        APPLY,
        "applyCertification",
        json!({ "productId": product, "evidence": EVIDENCE }),
    )
    .await;
}

async fn certification_id(w: &World, product: &str) -> String {
    let body = w
        .app
        .gql(
            w.admin.token(),
            "query($id: ID!) { product(id: $id) { certification { id } } }",
            json!({ "id": product }),
        )
        .await;
    body["data"]["product"]["certification"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no certification: {body}"))
        .to_owned()
}

async fn product(w: &World, id: &str) -> Value {
    let body = w
        .app
        .gql(w.admin.token(), PRODUCT, json!({ "id": id }))
        .await;
    body["data"]["product"].clone()
}

#[tokio::test]
async fn create_product_refuses_a_negative_price_or_stock_on_its_field() {
    let w = World::build().await;
    let mut input = product_input(&w.producer_id, "灵寿红薯 5kg装", "-5.00");
    refused(
        &w,
        w.producer_clerk.token(),
        CREATE_PRODUCT,
        "createProduct",
        input.clone(),
        ("INVALID", Some("price")),
    )
    .await;
    input["price"] = json!("45.00");
    input["stock"] = json!(-1);
    refused(
        &w,
        w.producer_clerk.token(),
        CREATE_PRODUCT,
        "createProduct",
        input,
        ("INVALID", Some("stock")),
    )
    .await;
}

#[tokio::test]
async fn create_product_with_a_price_of_three_decimals_never_runs() {
    let w = World::build().await;
    // The Money scalar takes at most two decimals: no silent rounding of "12.345".
    let input = product_input(&w.producer_id, "灵寿红薯 5kg装", "12.345");
    never_runs(&w, w.producer_clerk.token(), CREATE_PRODUCT, input).await;
}

#[tokio::test]
async fn create_product_in_an_unknown_category_never_runs() {
    let w = World::build().await;
    let mut input = product_input(&w.producer_id, "灵寿红薯 5kg装", "12.34");
    input["category"] = json!("CARS");
    never_runs(&w, w.producer_clerk.token(), CREATE_PRODUCT, input).await;
}

#[tokio::test]
async fn region_codes_must_exist_and_be_of_the_right_level() {
    let w = World::build().await;
    // A producer sits in a county, township or village that exists.
    refused(
        &w,
        w.outsider.token(),
        CREATE_PRODUCER,
        "createProducer",
        producer_input(None, "灵寿县青廉村红薯家庭农场", "139999"),
        ("NOT_FOUND", Some("regionCode")),
    )
    .await;
    refused(
        &w,
        w.outsider.token(),
        CREATE_PRODUCER,
        "createProducer",
        producer_input(None, "灵寿县青廉村红薯家庭农场", "1301"),
        ("WRONG_REGION_LEVEL", Some("regionCode")),
    )
    .await;
    // Poverty status belongs to counties and villages, not to a township (灵寿镇).
    refused(
        &w,
        w.officer.token(),
        UPDATE_REGION_STATUS,
        "updateRegionStatus",
        json!({ "code": "130126100", "status": "POOR" }),
        ("WRONG_REGION_LEVEL", Some("code")),
    )
    .await;
    // The helped side of a pairing is a county or village, not a city (石家庄市).
    refused(
        &w,
        w.admin.token(),
        CREATE_PAIRING,
        "createPairing",
        json!({ "helperRegionCode": "4406", "helpedRegionCode": "1301",
                "kind": "EAST_WEST", "startsOn": "2026-01-01" }),
        ("WRONG_REGION_LEVEL", Some("helpedRegionCode")),
    )
    .await;
}

#[tokio::test]
async fn an_exited_region_needs_its_exit_year() {
    let w = World::build().await;
    refused(
        &w,
        w.officer.token(),
        UPDATE_REGION_STATUS,
        "updateRegionStatus",
        json!({ "code": COUNTY, "status": "EXITED" }),
        ("INVALID", Some("exitYear")),
    )
    .await;
}

#[tokio::test]
async fn stock_never_goes_below_zero() {
    let w = World::build().await;
    let id = w.draft_product("灵寿红薯 5kg装", "45.00").await;
    assert_eq!(product(&w, &id).await["stock"], 100);
    refused(
        &w,
        w.producer_clerk.token(),
        ADJUST_STOCK,
        "adjustStock",
        json!({ "productId": id, "delta": -101, "reason": "破损出库" }),
        ("INSUFFICIENT_STOCK", Some("delta")),
    )
    .await;
    assert_eq!(product(&w, &id).await["stock"], 100);
}

#[tokio::test]
async fn a_suspended_producer_cannot_apply_for_certification() {
    let w = World::build().await;
    let id = w.draft_product("灵寿红薯 5kg装", "45.00").await;
    succeeds(
        &w,
        w.officer.token(),
        SUSPEND,
        "suspendProducer",
        json!({ "producerId": w.producer_id, "reason": "列入经营异常名录" }),
    )
    .await;
    refused(
        &w,
        w.producer_clerk.token(),
        APPLY,
        "applyCertification",
        json!({ "productId": id, "evidence": EVIDENCE }),
        ("NOT_IN_GOOD_STANDING", None),
    )
    .await;
    assert_eq!(product(&w, &id).await["certification"], Value::Null);
}

#[tokio::test]
async fn each_review_stage_is_decided_once_and_the_county_by_another_officer() {
    let w = World::build().await;
    let id = w.draft_product("灵寿红薯 5kg装", "45.00").await;
    apply(&w, &id).await;
    let cert = certification_id(&w, &id).await;
    let approve = json!({ "certificationId": cert, "decision": "APPROVE" });
    succeeds(
        &w,
        w.officer.token(),
        REVIEW,
        "reviewCertification",
        approve.clone(),
    )
    .await;
    // The same officer now would be the county decision: it needs someone else.
    let error = refused(
        &w,
        w.officer.token(),
        REVIEW,
        "reviewCertification",
        approve.clone(),
        ("INVALID_STATE", None),
    )
    .await;
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("reviewer other than the first")),
        "{error}"
    );
    succeeds(
        &w,
        w.officer2.token(),
        REVIEW,
        "reviewCertification",
        approve.clone(),
    )
    .await;
    // Both stages are decided: there is no third review, whoever asks.
    refused(
        &w,
        w.admin.token(),
        REVIEW,
        "reviewCertification",
        approve,
        ("INVALID_STATE", None),
    )
    .await;
    let certification = &product(&w, &id).await["certification"];
    assert_eq!(
        certification["status"], "IN_PUBLIC_NOTICE",
        "{certification}"
    );
    assert_eq!(
        certification["reviews"],
        json!([{ "stage": "FIRST", "decision": "APPROVE" },
               { "stage": "COUNTY", "decision": "APPROVE" }])
    );
}

#[tokio::test]
async fn a_rejection_needs_its_reason() {
    let w = World::build().await;
    let id = w.draft_product("灵寿红薯 5kg装", "45.00").await;
    apply(&w, &id).await;
    let cert = certification_id(&w, &id).await;
    for comment in [Value::Null, json!("   ")] {
        refused(
            &w,
            w.officer.token(),
            REVIEW,
            "reviewCertification",
            json!({ "certificationId": cert, "decision": "REJECT", "comment": comment }),
            ("INVALID", Some("comment")),
        )
        .await;
    }
    let certification = &product(&w, &id).await["certification"];
    assert_eq!(certification["status"], "SUBMITTED", "{certification}");
    assert_eq!(certification["reviews"], json!([]));
}

#[tokio::test]
async fn a_reserved_share_below_the_policy_is_refused() {
    let w = World::build().await;
    let declare = |buyer: &str, percent: i32| {
        json!({ "buyerId": buyer, "year": 2026, "canteen": "OWN_CANTEEN",
                "canteenBudget": "1000000.00", "reservedSharePercent": percent })
    };
    // The national rule from 2021 on: at least 10%.
    refused(
        &w,
        w.buyer_admin.token(),
        SET_TARGET,
        "setProcurementTarget",
        declare(&w.buyer_id, 5),
        ("BELOW_POLICY_MINIMUM", Some("reservedSharePercent")),
    )
    .await;

    // A province may ask more: 广东省 asks 30% in 2026, so a 佛山市 canteen's 20% is refused.
    let canteen = w
        .app
        .register(
            "foshan.canteen",
            Some(("佛山市机关事务管理局机关食堂", "BUYER")),
        )
        .await;
    let org = w
        .app
        .gql(canteen.token(), "{ me { organization { id } } }", json!({}))
        .await;
    let created = succeeds(
        &w,
        canteen.token(),
        CREATE_BUYER,
        "createBuyer",
        json!({ "organizationId": org["data"]["me"]["organization"]["id"],
                "name": "佛山市机关事务管理局机关食堂", "kind": "CANTEEN", "regionCode": "4406",
                "contactName": "陈采购", "contactPhone": "0757-83000000" }),
    )
    .await;
    let foshan = created["buyer"]["id"]
        .as_str()
        .expect("buyer id")
        .to_owned();
    succeeds(
        &w,
        w.admin.token(),
        SET_POLICY,
        "setProcurementPolicy",
        json!({ "regionCode": "44", "year": 2026, "minReservedSharePercent": 30 }),
    )
    .await;
    refused(
        &w,
        canteen.token(),
        SET_TARGET,
        "setProcurementTarget",
        declare(&foshan, 20),
        ("BELOW_POLICY_MINIMUM", Some("reservedSharePercent")),
    )
    .await;
    // The policy is what refused it: 30% is accepted.
    let declared = succeeds(
        &w,
        canteen.token(),
        SET_TARGET,
        "setProcurementTarget",
        declare(&foshan, 30),
    )
    .await;
    assert_eq!(declared["declaration"]["target"], "300000.00");
}

#[tokio::test]
async fn a_unit_running_its_own_canteen_declares_its_budget() {
    let w = World::build().await;
    refused(
        &w,
        w.buyer_admin.token(),
        SET_TARGET,
        "setProcurementTarget",
        json!({ "buyerId": w.buyer_id, "year": 2026, "canteen": "OWN_CANTEEN",
                "reservedSharePercent": 15 }),
        ("INVALID", Some("canteenBudget")),
    )
    .await;
}

#[tokio::test]
async fn publishing_twice_is_an_invalid_state() {
    let w = World::build().await;
    let id = w.published_product("灵寿红薯 5kg装", "45.00").await;
    refused(
        &w,
        w.producer_clerk.token(),
        PUBLISH,
        "publishProduct",
        json!({ "id": id }),
        ("INVALID_STATE", None),
    )
    .await;
    assert_eq!(product(&w, &id).await["status"], "PUBLISHED");
}

// Issue 13, item 5: no input reaches a panic, a 500 or `INTERNAL`. One test per class.

const USERS: &str = "query($text: String) { users(filter: {text: $text}) { nodes { username } } }";
const PRODUCERS: &str =
    "query($text: String) { producers(filter: {text: $text}) { totalCount nodes { name } } }";
const BUYERS: &str =
    "query($text: String) { buyers(filter: {text: $text}) { totalCount nodes { name } } }";
const REGIONS: &str =
    "query($text: String) { regions(filter: {text: $text}) { totalCount nodes { name } } }";
const PRODUCTS: &str =
    "query($text: String) { products(filter: {text: $text}) { totalCount nodes { name } } }";

/// A request that must run and answer one top-level `BAD_USER_INPUT`, writing nothing.
async fn bad_user_input(w: &World, token: Option<&str>, query: &str, variables: Value) {
    let before = row_counts(w.app.db()).await;
    let body = w.app.gql(token, query, variables).await;
    assert_eq!(
        crate::harness::error_code(&body),
        "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(row_counts(w.app.db()).await, before, "wrote something");
}

#[tokio::test]
async fn arithmetic_on_client_numbers_never_overflows() {
    let w = World::build().await;
    let id = w.draft_product("灵寿红薯 5kg装", "45.00").await;
    // `i64::MIN.abs()` panicked: HTTP 500.
    for delta in [i64::MIN, i64::MAX, -1_000_000_001] {
        refused(
            &w,
            w.producer_clerk.token(),
            ADJUST_STOCK,
            "adjustStock",
            json!({ "productId": id, "delta": delta, "reason": "盘点调整" }),
            ("INVALID", Some("delta")),
        )
        .await;
    }
    assert_eq!(product(&w, &id).await["stock"], 100);
}

#[tokio::test]
async fn cursors_are_checked_as_strictly_as_arguments() {
    let w = World::build().await;
    let cursor = |values: Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(values.to_string())
    };
    let uuid = "0190f0a0-b1c2-7d3e-8f9a-0b1c2d3e4f50";
    // Each decodes, has the right number of values, and holds the wrong type (or a NUL).
    let forged = [
        (
            "query($c: String) { regions(after: $c) { nodes { code } } }",
            cursor(json!([{ "u": uuid }])),
        ),
        (
            "query($c: String) { regions(after: $c) { nodes { code } } }",
            cursor(json!([{ "s": "13\u{0}" }])),
        ),
        (
            "query($c: String) { producers(after: $c) { nodes { name } } }",
            cursor(json!([{ "s": "x" }])),
        ),
        (
            "query($c: String) { products(sort: PRICE_ASC, after: $c) { nodes { name } } }",
            cursor(json!([{ "u": uuid }, { "i": 1 }])),
        ),
        (
            "query($c: String) { products(sort: NEWEST, last: 5, before: $c) { nodes { name } } }",
            cursor(json!([{ "t": "2026-01-01T00:00:00Z" }])),
        ),
        (
            "query($c: String) { users(after: $c) { nodes { username } } }",
            cursor(json!([{ "i": i64::MIN }])),
        ),
        (
            "query($c: String) { ledgerEntries(after: $c) { nodes { seq } } }",
            cursor(json!([{ "u": uuid }])),
        ),
    ];
    for (query, forged) in forged {
        bad_user_input(&w, w.admin.token(), query, json!({ "c": forged })).await;
    }
    // A cursor the server issued still pages.
    let first = w
        .app
        .gql(
            None,
            "{ regions(first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let end = first["data"]["regions"]["pageInfo"]["endCursor"].clone();
    let next = w
        .app
        .gql(
            None,
            "query($c: String) { regions(first: 1, after: $c) { nodes { code } } }",
            json!({ "c": end }),
        )
        .await;
    assert_eq!(next["errors"], Value::Null, "{next}");
    assert_eq!(next["data"]["regions"]["nodes"][0]["code"], "44", "{next}");
}

#[tokio::test]
async fn control_characters_are_refused_in_every_string() {
    let w = World::build().await;
    // A product's name (PostgreSQL cannot store a NUL: INTERNAL there, stored on SQLite).
    let mut input = product_input(&w.producer_id, "灵寿红薯\u{0}5kg装", "45.00");
    never_runs(&w, w.producer_clerk.token(), CREATE_PRODUCT, input.clone()).await;
    input["spec"] = json!("5kg\u{1b}[31m");
    input["name"] = json!("灵寿红薯 5kg装");
    never_runs(&w, w.producer_clerk.token(), CREATE_PRODUCT, input).await;
    // A search filter, a username, and a literal in the document itself.
    for (query, variables) in [
        (PRODUCTS, json!({ "text": "红薯\u{0}" })),
        (USERS, json!({ "text": "\u{85}" })),
        (
            "mutation($u: String!) { login(input: {username: $u, password: \"x\"}) { errors { code } } }",
            json!({ "u": "coop.admin\u{0}" }),
        ),
        (
            "{ products(filter: {text: \"\\u0000\"}) { totalCount } }",
            json!({}),
        ),
        ("{ region(code: \"13\\u0007\") { name } }", json!({})),
    ] {
        let response = w.app.post(None, query, variables).await;
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            crate::harness::error_code(&body),
            "BAD_USER_INPUT",
            "{body}"
        );
    }
    // IDs are opaque, but what they hold is checked too.
    use base64::Engine;
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("Region:13\u{0}");
    let body = w
        .app
        .gql(
            None,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["data"]["node"], Value::Null, "{body}");
    assert_eq!(body["errors"], Value::Null, "{body}");
    // Tabs and line breaks are text, kept as sent.
    let id = w.draft_product("灵寿红薯 5kg装", "45.00").await;
    succeeds(
        &w,
        w.producer_clerk.token(),
        ADJUST_STOCK,
        "adjustStock",
        json!({ "productId": id, "delta": 5, "reason": "盘点\t调整\r\n第二行" }),
    )
    .await;
}

#[tokio::test]
async fn every_string_and_filter_has_a_length_cap() {
    let w = World::build().await;
    // 100,000 characters in `filter.text` was `INTERNAL` on SQLite (LIKE pattern too complex).
    let huge = "红".repeat(100_000);
    for query in [USERS, PRODUCERS, BUYERS, REGIONS, PRODUCTS] {
        never_runs_with(&w, w.admin.token(), query, json!({ "text": huge })).await;
    }
    // Past the filter's own cap, refused when it runs.
    let long = "薯".repeat(101);
    for query in [USERS, PRODUCERS, BUYERS, REGIONS, PRODUCTS] {
        bad_user_input(&w, w.admin.token(), query, json!({ "text": long })).await;
    }
    let body = w
        .app
        .gql(None, PRODUCTS, json!({ "text": "薯".repeat(100) }))
        .await;
    assert_eq!(
        body["errors"],
        Value::Null,
        "100 characters are fine: {body}"
    );
    // Any string past 4,000 characters, wherever it goes.
    let mut input = product_input(&w.producer_id, "灵寿红薯 5kg装", "45.00");
    input["originStatement"] = json!("x".repeat(4_001));
    never_runs(&w, w.producer_clerk.token(), CREATE_PRODUCT, input).await;
}

#[tokio::test]
async fn wildcards_in_text_filters_are_taken_literally() {
    let w = World::build().await;
    w.published_product("灵寿红薯 5kg装", "45.00").await;
    let count = |body: &Value, field: &str| {
        body["data"][field]["nodes"]
            .as_array()
            .map_or_else(|| panic!("{field}: {body}"), Vec::len)
    };
    for (query, field) in [
        (USERS, "users"),
        (PRODUCERS, "producers"),
        (BUYERS, "buyers"),
        (REGIONS, "regions"),
        (PRODUCTS, "products"),
    ] {
        // Each list has something to show, and nothing whose name holds `%` or `_`.
        let all = w.app.gql(w.admin.token(), query, json!({})).await;
        assert!(count(&all, field) > 0, "{field}: {all}");
        for text in ["%", "_", "%_%", "\\"] {
            let body = w
                .app
                .gql(w.admin.token(), query, json!({ "text": text }))
                .await;
            assert_eq!(count(&body, field), 0, "{field} matched {text:?}: {body}");
        }
    }
    // `.` is a character like any other: `n.a` finds `canteen.admin`; `n_a` finds nothing.
    let dot = w
        .app
        .gql(w.admin.token(), USERS, json!({ "text": "n.a" }))
        .await;
    assert_eq!(
        dot["data"]["users"]["nodes"][0]["username"], "canteen.admin",
        "{dot}"
    );
    let underscore = w
        .app
        .gql(w.admin.token(), USERS, json!({ "text": "n_a" }))
        .await;
    assert_eq!(count(&underscore, "users"), 0, "{underscore}");
}

#[tokio::test]
async fn dates_times_and_amounts_are_parsed_strictly() {
    let w = World::build().await;
    let date = "query($d: Date) { verifyLedger(from: $d) { checked } }";
    for bad in [
        "26-01-01",
        "2026-1-1",
        "2026-02-30",
        " 2026-01-01",
        "+2026-01-01",
    ] {
        never_runs_with(&w, w.admin.token(), date, json!({ "d": bad })).await;
    }
    let body = w
        .app
        .gql(w.admin.token(), date, json!({ "d": "2026-01-01" }))
        .await;
    assert_eq!(body["errors"], Value::Null, "{body}");
    // Amounts: no padding, sign or leading zeros.
    for bad in [" 45.00", "45.00 ", "+45", "045.00"] {
        let input = product_input(&w.producer_id, "灵寿红薯 5kg装", bad);
        never_runs(&w, w.producer_clerk.token(), CREATE_PRODUCT, input).await;
    }
}
