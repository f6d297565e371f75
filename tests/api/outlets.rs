//! Outlets (flow 9): a supermarket registers its poverty-product zone, the county officer
//! approves it; the supermarket reports a month's sales (by form or spreadsheet), the officer
//! accepts them into the ledger or rejects them with a reason; corrections net out.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::{
    harness::{Session, error_code},
    world::{CITY, COUNTY, CREATE_BUYER, World},
};

const REGISTER: &str = "mutation($input: RegisterOutletInput!) { registerOutlet(input: $input) {
    outlet { id status kind name opensOn closesOn region { code } operator { name } } errors { field code message } } }";
const REVIEW: &str = "mutation($input: ReviewOutletInput!) { reviewOutlet(input: $input) {
    outlet { id status reviewReason } errors { field code message } } }";
const REPORT: &str = "mutation($input: ReportOutletSalesInput!) { reportOutletSales(input: $input) {
    report { id status period kind totals { lines reportedQuantity reportedAmount countedQuantity countedAmount }
      lines(first: 100) { nodes { id rowNo reportedQuantity amount soldOn certified alreadyCountedQuantity countedQuantity countedAmount product { id } } } }
    errors { field code message } } }";
const REVIEW_REPORT: &str = "mutation($input: ReviewOutletReportInput!) { reviewOutletReport(input: $input) {
    report { id status reviewReason kind totals { countedQuantity countedAmount }
      lines(first: 100) { nodes { id reportedQuantity amount certified alreadyCountedQuantity countedQuantity countedAmount } } }
    errors { field code message } } }";
const CORRECT: &str = "mutation($input: CorrectOutletReportInput!) { correctOutletReport(input: $input) {
    report { id status kind correctsReportId lines(first: 100) { nodes { id reportedQuantity amount } } } errors { field code message } } }";

/// The world plus a supermarket in 灵寿县, a city officer of 石家庄市, and two products of the
/// world's producer (the first certified).
struct Scene {
    w: World,
    mart: Session,
    mart_id: String,
    city_officer: Session,
    certified: String,
    plain: String,
}

async fn scene() -> Scene {
    let w = World::build_with(|s| s.certification_notice_days = 0).await;
    let mart = w
        .app
        .register("mart.admin", Some(("北国超市灵寿店", "BUYER")))
        .await;
    let org = w
        .app
        .gql(mart.token(), "{ me { organization { id } } }", json!({}))
        .await;
    let created = w
        .app
        .gql(
            mart.token(),
            CREATE_BUYER,
            json!({ "input": {
                "organizationId": org["data"]["me"]["organization"]["id"], "name": "北国超市灵寿店",
                "kind": "SUPERMARKET", "regionCode": COUNTY, "contactName": "王店长", "contactPhone": "0311-82000000" } }),
        )
        .await;
    let mart_id = created["data"]["createBuyer"]["buyer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let city = w.app.register("city.officer", None).await;
    let granted = w
        .app
        .gql(
            w.admin.token(),
            "mutation($input: RoleGrantInput!) { grantRole(input: $input) { errors { code } } }",
            json!({ "input": { "userId": city.user_id, "role": "OFFICER", "regionCode": CITY } }),
        )
        .await;
    assert_eq!(granted["data"]["grantRole"]["errors"], json!([]));
    let city_officer = w.app.login("city.officer", crate::harness::PASSWORD).await;
    let certified = w.published_product("灵寿红薯 5kg装", "45.00").await;
    certify(&w, &certified).await;
    let plain = w.published_product("灵寿小米 2kg装", "30.00").await;
    Scene {
        w,
        mart,
        mart_id,
        city_officer,
        certified,
        plain,
    }
}

async fn certify(w: &World, product: &str) {
    let applied = w
        .app
        .gql(
            w.producer_clerk.token(),
            "mutation($id: ID!) { applyCertification(input: {productId: $id,
                evidence: \"订单收购社员红薯, 带动建档立卡贫困户86户\"}) { certification { id } errors { code } } }",
            json!({ "id": product }),
        )
        .await;
    let id = applied["data"]["applyCertification"]["certification"]["id"].clone();
    for officer in [&w.officer, &w.officer2] {
        let body = w
            .app
            .gql(
                officer.token(),
                "mutation($id: ID!) { reviewCertification(input: {certificationId: $id, decision: APPROVE, comment: \"同意\"}) { errors { code message } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(
            body["data"]["reviewCertification"]["errors"],
            json!([]),
            "{body}"
        );
    }
}

fn payload<'a>(body: &'a Value, name: &str) -> &'a Value {
    &body["data"][name]
}

/// Registers an outlet as the supermarket; returns its ID.
async fn register(s: &Scene, name: &str, region: &str) -> String {
    let body = s
        .w
        .app
        .gql(
            s.mart.token(),
            REGISTER,
            json!({ "input": { "kind": "ZONE", "name": name, "regionCode": region, "opensOn": "2026-01-01" } }),
        )
        .await;
    let outlet = &payload(&body, "registerOutlet")["outlet"];
    assert_eq!(outlet["status"], "PENDING", "{body}");
    outlet["id"].as_str().expect("outlet id").to_owned()
}

async fn review(
    s: &Scene,
    token: Option<&str>,
    outlet: &str,
    decision: &str,
    reason: Option<&str>,
) -> Value {
    s.w.app
        .gql(
            token,
            REVIEW,
            json!({ "input": { "outletId": outlet, "decision": decision, "reason": reason } }),
        )
        .await
}

/// An approved outlet of the supermarket in 灵寿县.
async fn approved_outlet(s: &Scene) -> String {
    let id = register(s, "北国超市消费扶贫专区", COUNTY).await;
    let body = review(s, s.w.officer.token(), &id, "APPROVE", None).await;
    assert_eq!(
        payload(&body, "reviewOutlet")["outlet"]["status"],
        "APPROVED",
        "{body}"
    );
    id
}

async fn report(s: &Scene, outlet: &str, period: &str, lines: Value) -> Value {
    let body =
        s.w.app
            .gql(
                s.mart.token(),
                REPORT,
                json!({ "input": { "outletId": outlet, "period": period, "lines": lines } }),
            )
            .await;
    payload(&body, "reportOutletSales").clone()
}

async fn review_report(
    s: &Scene,
    token: Option<&str>,
    report: &str,
    decision: &str,
    reason: Option<&str>,
) -> Value {
    let body =
        s.w.app
            .gql(
                token,
                REVIEW_REPORT,
                json!({ "input": { "reportId": report, "decision": decision, "reason": reason } }),
            )
            .await;
    payload(&body, "reviewOutletReport").clone()
}

async fn count(s: &Scene, table: &str) -> i64 {
    let db = s.w.app.db();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

/// (field path joined by '/', code) of each error.
fn errors(payload: &Value) -> Vec<(String, String)> {
    payload["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{payload}"))
        .iter()
        .map(|e| {
            let field = e["field"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .map(|p| p.as_str().unwrap_or_default().to_owned())
                        .collect::<Vec<_>>()
                        .join("/")
                })
                .unwrap_or_default();
            (field, e["code"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn err(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

#[tokio::test]
async fn an_outlet_is_approved_only_by_an_officer_over_its_region() {
    let s = scene().await;
    // Only a buyer organisation operates an outlet.
    let by_producer = s
        .w
        .app
        .gql(
            s.w.producer_admin.token(),
            REGISTER,
            json!({ "input": { "kind": "COUNTER", "name": "合作社专柜", "regionCode": COUNTY, "opensOn": "2026-01-01" } }),
        )
        .await;
    assert_eq!(error_code(&by_producer), "FORBIDDEN", "{by_producer}");
    let bad = s
        .w
        .app
        .gql(
            s.mart.token(),
            REGISTER,
            json!({ "input": { "kind": "ZONE", "name": "专区", "regionCode": "13", "opensOn": "2026-06-01", "closesOn": "2026-05-01" } }),
        )
        .await;
    assert_eq!(
        errors(payload(&bad, "registerOutlet")),
        [err("input/closesOn", "INVALID")]
    );
    assert_eq!(count(&s, "outlets").await, 0);

    let zone = register(&s, "北国超市消费扶贫专区", COUNTY).await;
    // Pending outlets are not public.
    let listed =
        s.w.app
            .gql(
                s.w.outsider.token(),
                "{ outlets(first: 10) { totalCount } }",
                json!({}),
            )
            .await;
    assert_eq!(listed["data"]["outlets"]["totalCount"], 0);
    // An officer of another county does not even see it; the operator may not decide.
    let foreign = review(&s, s.w.other_officer.token(), &zone, "APPROVE", None).await;
    assert_eq!(error_code(&foreign), "NOT_FOUND", "{foreign}");
    let own = review(&s, s.mart.token(), &zone, "APPROVE", None).await;
    assert_eq!(error_code(&own), "FORBIDDEN", "{own}");
    // A rejection needs its reason.
    let bare = review(&s, s.w.officer.token(), &zone, "REJECT", None).await;
    assert_eq!(
        errors(payload(&bare, "reviewOutlet")),
        [err("input/reason", "INVALID")]
    );
    // The city officer over 灵寿县 approves.
    let approved = review(&s, s.city_officer.token(), &zone, "APPROVE", None).await;
    assert_eq!(
        payload(&approved, "reviewOutlet")["outlet"]["status"],
        "APPROVED"
    );
    let again = review(&s, s.w.officer.token(), &zone, "REJECT", Some("重复")).await;
    assert_eq!(
        errors(payload(&again, "reviewOutlet")),
        [err("", "INVALID_STATE")]
    );

    let shop = register(&s, "扶贫产品专卖店", COUNTY).await;
    let rejected = review(&s, s.w.officer.token(), &shop, "REJECT", Some("无营业执照")).await;
    let outlet = &payload(&rejected, "reviewOutlet")["outlet"];
    assert_eq!(outlet["status"], "REJECTED");
    assert_eq!(outlet["reviewReason"], "无营业执照");

    // Approved outlets are listed to anyone signed in; the operator sees its own.
    let public =
        s.w.app
            .gql(
                s.w.outsider.token(),
                "{ outlets(first: 10) { nodes { id status } } }",
                json!({}),
            )
            .await;
    assert_eq!(
        public["data"]["outlets"]["nodes"],
        json!([{ "id": zone, "status": "APPROVED" }])
    );
    let own =
        s.w.app
            .gql(
                s.mart.token(),
                "{ outlets(first: 10) { totalCount } }",
                json!({}),
            )
            .await;
    assert_eq!(own["data"]["outlets"]["totalCount"], 2);
    let audited = count(
        &s,
        "audit_events WHERE action IN ('registerOutlet', 'reviewOutlet')",
    )
    .await;
    assert_eq!(audited, 4);

    let closed = s
        .w
        .app
        .gql(
            s.mart.token(),
            "mutation($id: ID!) { closeOutlet(input: {outletId: $id, closesOn: \"2026-09-30\"}) { outlet { closesOn } errors { code } } }",
            json!({ "id": zone }),
        )
        .await;
    assert_eq!(
        closed["data"]["closeOutlet"]["outlet"]["closesOn"],
        "2026-09-30"
    );
    // No sales are taken after it closed.
    let late = report(
        &s,
        &zone,
        "2026-10",
        json!([{ "productId": s.certified, "quantity": 1, "amount": "45.00" }]),
    )
    .await;
    assert_eq!(errors(&late), [err("input/period", "INVALID")]);
    assert!(!s.mart_id.is_empty());
}

#[tokio::test]
async fn a_report_is_accepted_rejected_with_reason_and_corrected_to_the_fen() {
    let s = scene().await;
    let outlet = approved_outlet(&s).await;
    let lines = json!([
        { "productId": s.certified, "quantity": 10, "amount": "450.00", "soldOn": "2026-06-12" },
        { "productId": s.plain, "quantity": 3, "amount": "90.10" },
    ]);
    let first = report(&s, &outlet, "2026-06", lines.clone()).await;
    assert_eq!(first["errors"], json!([]), "{first}");
    let rep = &first["report"];
    assert_eq!(rep["status"], "SUBMITTED");
    assert_eq!(rep["totals"]["reportedAmount"], "540.10");
    let got = &rep["lines"]["nodes"];
    // Certified only from today: in June neither product was.
    assert_eq!(got[0]["certified"], false);
    assert_eq!(got[1]["certified"], false);
    assert_eq!(got[1]["soldOn"], "2026-06-30");
    let id = rep["id"].as_str().expect("id").to_owned();

    // Out of scope, and without a reason, nothing changes.
    let foreign =
        s.w.app
            .gql(
                s.w.other_officer.token(),
                REVIEW_REPORT,
                json!({ "input": { "reportId": id, "decision": "ACCEPT" } }),
            )
            .await;
    assert!(
        matches!(error_code(&foreign), "FORBIDDEN" | "NOT_FOUND"),
        "{foreign}"
    );
    let bare = review_report(&s, s.w.officer.token(), &id, "REJECT", Some(" ")).await;
    assert_eq!(errors(&bare), [err("input/reason", "INVALID")]);
    let rejected = review_report(
        &s,
        s.w.officer.token(),
        &id,
        "REJECT",
        Some("金额与小票不符"),
    )
    .await;
    assert_eq!(rejected["report"]["status"], "REJECTED");
    assert_eq!(rejected["report"]["reviewReason"], "金额与小票不符");
    assert_eq!(count(&s, "ledger_entries").await, 0);

    // A rejected report leaves the period open.
    let second = report(&s, &outlet, "2026-06", lines.clone()).await;
    let id = second["report"]["id"]
        .as_str()
        .expect("second report")
        .to_owned();
    let twice = report(&s, &outlet, "2026-06", lines.clone()).await;
    assert_eq!(errors(&twice), [err("input/period", "DUPLICATE")]);
    let accepted = review_report(&s, s.w.officer.token(), &id, "ACCEPT", None).await;
    assert_eq!(accepted["report"]["status"], "ACCEPTED", "{accepted}");
    assert_eq!(accepted["report"]["totals"]["countedAmount"], "540.10");
    let again = review_report(&s, s.w.officer.token(), &id, "ACCEPT", None).await;
    assert_eq!(errors(&again), [err("", "INVALID_STATE")]);
    assert_ledger_total(&s, 13, "540.10").await;

    // A correction reduces the second line to nothing and the first by 2 units.
    let line_ids: Vec<String> = accepted["report"]["lines"]["nodes"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["id"].as_str().expect("line id").to_owned())
        .collect();
    let too_much = s
        .w
        .app
        .gql(
            s.mart.token(),
            CORRECT,
            json!({ "input": { "reportId": id, "lines": [{ "lineId": line_ids[0], "quantity": 11, "amount": "-1.00" }] } }),
        )
        .await;
    assert_eq!(
        errors(payload(&too_much, "correctOutletReport")),
        [
            err("input/lines/0/quantity", "INVALID"),
            err("input/lines/0/amount", "INVALID")
        ]
    );
    let price_only = s
        .w
        .app
        .gql(
            s.mart.token(),
            CORRECT,
            json!({ "input": { "reportId": id, "lines": [{ "lineId": line_ids[0], "quantity": 10, "amount": "400.00" }] } }),
        )
        .await;
    assert_eq!(
        errors(payload(&price_only, "correctOutletReport")),
        [err("input/lines/0/amount", "INVALID")]
    );
    assert_eq!(count(&s, "outlet_reports").await, 2);
    let corrected =
        s.w.app
            .gql(
                s.mart.token(),
                CORRECT,
                json!({ "input": { "reportId": id, "lines": [
                { "lineId": line_ids[0], "quantity": 8, "amount": "360.00" },
                { "lineId": line_ids[1], "quantity": 0, "amount": "0" } ] } }),
            )
            .await;
    let correction = &payload(&corrected, "correctOutletReport")["report"];
    assert_eq!(correction["kind"], "CORRECTION", "{corrected}");
    assert_eq!(correction["correctsReportId"], id);
    let correction_id = correction["id"].as_str().expect("correction").to_owned();
    let done = review_report(&s, s.city_officer.token(), &correction_id, "ACCEPT", None).await;
    assert_eq!(done["report"]["status"], "ACCEPTED", "{done}");
    assert_eq!(done["report"]["totals"]["countedQuantity"], -5);
    assert_eq!(done["report"]["totals"]["countedAmount"], "-180.10");
    assert_ledger_total(&s, 8, "360.00").await;
}

/// Parses a `Money` string into fen.
fn fen(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let fen: i64 = digits.parse().unwrap_or(0);
    if negative { -fen } else { fen }
}

/// The ledger's OUTLET entries sum to `quantity` and `amount`, and so does the summary's
/// OUTLET channel group.
async fn assert_ledger_total(s: &Scene, quantity: i64, amount: &str) {
    let entries = s
        .w
        .app
        .gql(
            s.w.officer.token(),
            "{ ledgerEntries(first: 100, filter: {channels: [OUTLET]}) { nodes { quantity amount channel purpose } } }",
            json!({}),
        )
        .await;
    let nodes = entries["data"]["ledgerEntries"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{entries}"))
        .clone();
    assert!(
        nodes
            .iter()
            .all(|n| n["channel"] == "OUTLET" && n["purpose"] == "PERSONAL"),
        "{entries}"
    );
    let total_quantity: i64 = nodes
        .iter()
        .map(|n| n["quantity"].as_i64().unwrap_or(0))
        .sum();
    let total_fen: i64 = nodes
        .iter()
        .map(|n| fen(n["amount"].as_str().unwrap_or("0")))
        .sum();
    assert_eq!(
        (total_quantity, total_fen),
        (quantity, fen(amount)),
        "{entries}"
    );
    let summary = s
        .w
        .app
        .gql(
            s.w.officer.token(),
            "{ ledgerSummary(groupBy: [CHANNEL]) { groups { keys { value } amount quantity } } }",
            json!({}),
        )
        .await;
    let groups = summary["data"]["ledgerSummary"]["groups"]
        .as_array()
        .unwrap_or_else(|| panic!("{summary}"))
        .clone();
    let outlet = groups
        .iter()
        .find(|g| g["keys"][0]["value"] == "OUTLET")
        .unwrap_or_else(|| panic!("no OUTLET group: {summary}"));
    assert_eq!(outlet["amount"], amount, "{summary}");
    assert_eq!(outlet["quantity"], quantity, "{summary}");
}

#[tokio::test]
async fn every_bad_report_is_refused_by_field_and_writes_nothing() {
    let s = scene().await;
    let pending = register(&s, "待审专区", COUNTY).await;
    let one = |product: &str, quantity: i64, amount: &str| json!([{ "productId": product, "quantity": quantity, "amount": amount }]);
    let not_yet = report(&s, &pending, "2026-06", one(&s.certified, 1, "45.00")).await;
    assert_eq!(errors(&not_yet), [err("input/outletId", "INVALID_STATE")]);

    let outlet = approved_outlet(&s).await;
    for (period, field) in [
        ("2025-12", "input/period"),
        ("2099-01", "input/period"),
        ("2026-6", "input/period"),
    ] {
        let outside = report(&s, &outlet, period, one(&s.certified, 1, "45.00")).await;
        assert_eq!(errors(&outside), [err(field, "INVALID")], "{period}");
    }
    let negative = report(
        &s,
        &outlet,
        "2026-06",
        json!([
            { "productId": s.certified, "quantity": 2, "amount": "90.00" },
            { "productId": s.certified, "quantity": -2, "amount": "-90.00", "soldOn": "2026-07-01" },
        ]),
    )
    .await;
    assert_eq!(
        errors(&negative),
        [
            err("input/lines/1/quantity", "INVALID"),
            err("input/lines/1/amount", "INVALID"),
            err("input/lines/1/soldOn", "INVALID"),
        ]
    );
    let unknown = report(&s, &outlet, "2026-06", one(&s.w.producer_id, 1, "1.00")).await;
    assert_eq!(
        errors(&unknown),
        [err("input/lines/0/productId", "INVALID")]
    );

    let suspended = s
        .w
        .app
        .gql(
            s.w.officer.token(),
            "mutation($input: ProducerStandingInput!) { suspendProducer(input: $input) { errors { code } } }",
            json!({ "input": { "producerId": s.w.producer_id, "reason": "列入经营异常名录" } }),
        )
        .await;
    assert_eq!(suspended["data"]["suspendProducer"]["errors"], json!([]));
    let of_suspended = report(&s, &outlet, "2026-06", one(&s.certified, 1, "45.00")).await;
    assert_eq!(
        errors(&of_suspended),
        [err("input/lines/0/productId", "NOT_IN_GOOD_STANDING")]
    );
    assert_eq!(count(&s, "outlet_reports").await, 0);
    assert_eq!(count(&s, "outlet_report_lines").await, 0);
    assert_eq!(
        count(&s, "audit_events WHERE action = 'reportOutletSales'").await,
        0
    );
}

#[tokio::test]
async fn units_bought_through_orders_are_not_counted_again() {
    let s = scene().await;
    let outlet = approved_outlet(&s).await;
    // The supermarket bought 4 boxes through the platform: they are in the ledger already.
    crate::tallies::buy(&s.w, &s.mart, &s.certified, 4, "mart-order-1").await;
    let today = chrono::Utc::now().date_naive();
    let period = today.format("%Y-%m").to_string();
    let sold_on = today.format("%Y-%m-%d").to_string();
    let lines = json!([
        { "productId": s.certified, "quantity": 3, "amount": "150.00", "soldOn": sold_on },
        { "productId": s.certified, "quantity": 7, "amount": "350.00", "soldOn": sold_on },
    ]);
    let submitted = report(&s, &outlet, &period, lines).await;
    let id = submitted["report"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{submitted}"))
        .to_owned();
    let accepted = review_report(&s, s.w.officer.token(), &id, "ACCEPT", None).await;
    let nodes = &accepted["report"]["lines"]["nodes"];
    // The first line is wholly the ordered boxes; the second's first box too.
    assert_eq!(nodes[0]["certified"], true);
    assert_eq!(nodes[0]["alreadyCountedQuantity"], 3);
    assert_eq!(nodes[0]["countedQuantity"], 0);
    assert_eq!(nodes[0]["countedAmount"], "0.00");
    assert_eq!(nodes[1]["alreadyCountedQuantity"], 1);
    assert_eq!(nodes[1]["countedQuantity"], 6);
    assert_eq!(nodes[1]["countedAmount"], "300.00");
    // The order's entry stays ORDER; the outlet adds only the 6 boxes beyond it.
    assert_ledger_total(&s, 6, "300.00").await;
}

#[tokio::test]
async fn two_reports_accepted_at_once_do_not_both_use_the_same_ordered_units() {
    let s = scene().await;
    let first = approved_outlet(&s).await;
    let second = register(&s, "北国超市扶贫馆", COUNTY).await;
    review(&s, s.w.officer.token(), &second, "APPROVE", None).await;
    // 4 boxes bought through the platform: only one of the two reports may net them out.
    crate::tallies::buy(&s.w, &s.mart, &s.certified, 4, "mart-order-both").await;
    let today = chrono::Utc::now().date_naive();
    let period = today.format("%Y-%m").to_string();
    let sold_on = today.format("%Y-%m-%d").to_string();
    let mut ids = Vec::new();
    for outlet in [&first, &second] {
        let lines = json!([{ "productId": s.certified, "quantity": 4, "amount": "200.00", "soldOn": sold_on }]);
        let submitted = report(&s, outlet, &period, lines).await;
        ids.push(
            submitted["report"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{submitted}"))
                .to_owned(),
        );
    }
    let (a, b) = tokio::join!(
        review_report(&s, s.w.officer.token(), &ids[0], "ACCEPT", None),
        review_report(&s, s.w.officer.token(), &ids[1], "ACCEPT", None)
    );
    let counted: Vec<i64> = [&a, &b]
        .iter()
        .map(|r| {
            r["report"]["lines"]["nodes"][0]["countedQuantity"]
                .as_i64()
                .unwrap_or(-1)
        })
        .collect();
    assert_eq!(counted.iter().sum::<i64>(), 4, "{a} {b}");
    assert_ledger_total(&s, 4, "200.00").await;
}

const CSV_TYPE: &str = "text/csv";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn import(
    s: &Scene,
    outlet: &str,
    period: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response =
        s.w.app
            .client
            .post(s.w.app.url("/imports/outlet-sales"))
            .query(&[("outletId", outlet), ("period", period)])
            .header("content-type", content_type)
            .bearer_auth(&s.mart.access_token)
            .body(body)
            .send()
            .await
            .expect("import");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in (0u32..).zip(rows) {
        for (c, cell) in (0u16..).zip(row) {
            // Numbers as number cells, as a spreadsheet program writes them.
            match cell.parse::<f64>() {
                Ok(n) if r > 0 && c > 0 => sheet.write_number(r, c, n).map(|_| ()),
                _ => sheet.write_string(r, c, *cell).map(|_| ()),
            }
            .expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

#[tokio::test]
async fn a_spreadsheet_imports_all_or_nothing_naming_row_and_column() {
    let s = scene().await;
    let outlet = approved_outlet(&s).await;
    let template =
        s.w.app
            .client
            .get(s.w.app.url("/imports/outlet-sales/template.csv"))
            .send()
            .await
            .expect("template")
            .text()
            .await
            .expect("text");
    assert!(
        template.contains("商品编号,数量,金额(元),销售日期"),
        "{template}"
    );

    let wrong_header = format!("商品编号,数目,金额(元)\n{},1,45.00\n", s.certified);
    let (status, body) = import(&s, &outlet, "2026-06", CSV_TYPE, wrong_header.into_bytes()).await;
    assert_eq!(status, 422);
    assert_eq!(
        errors(&body),
        [
            err("file/header/数目", "INVALID"),
            err("file/header/数量", "INVALID")
        ]
    );
    let broken = format!(
        "商品编号,数量,金额(元),销售日期\n{c},2,90.00,2026-06-03\n{c},2,90.001,2026-06-03\n{c},0,1.00,2026-07-01\n",
        c = s.certified
    );
    let (status, body) = import(&s, &outlet, "2026-06", CSV_TYPE, broken.into_bytes()).await;
    assert_eq!(status, 422);
    assert_eq!(
        errors(&body),
        [
            err("file/row/3/金额(元)", "INVALID"),
            err("file/row/4/数量", "INVALID")
        ]
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("row 3, column 金额(元)")
    );
    // Rows that parse but break a rule are named the same way (the sale date outside the month).
    let outside = format!(
        "商品编号,数量,金额(元),销售日期\n{c},2,90.00,2026-06-03\n{c},1,45.00,2026-07-01\n",
        c = s.certified
    );
    let (status, body) = import(&s, &outlet, "2026-06", CSV_TYPE, outside.into_bytes()).await;
    assert_eq!(status, 422);
    assert_eq!(errors(&body), [err("file/row/3/销售日期", "INVALID")]);
    assert_eq!(count(&s, "outlet_reports").await, 0);
    assert_eq!(count(&s, "outlet_report_lines").await, 0);

    let good = format!(
        "\u{feff}商品编号,数量,金额(元),销售日期\n{c},2,90.00,2026-06-03\n{p},5,150.5,\n",
        c = s.certified,
        p = s.plain
    );
    let (status, body) = import(&s, &outlet, "2026-06", CSV_TYPE, good.into_bytes()).await;
    assert_eq!((status, &body["errors"]), (200, &json!([])), "{body}");
    assert_eq!(body["report"]["lines"], 2);
    assert_eq!(body["report"]["source"], "CSV");

    let bad_xlsx = xlsx(&[
        vec!["商品编号", "数量", "金额(元)"],
        vec![&s.certified, "2", "90"],
        vec![&s.certified, "1", "0.333"],
    ]);
    let (status, body) = import(&s, &outlet, "2026-07", XLSX_TYPE, bad_xlsx).await;
    assert_eq!(status, 422);
    assert_eq!(errors(&body), [err("file/row/3/金额(元)", "INVALID")]);
    let book = xlsx(&[
        vec!["商品编号", "数量", "金额(元)", "销售日期"],
        vec![&s.certified, "2", "90", "2026-07-09"],
        vec![&s.plain, "3", "90.1", ""],
    ]);
    let (status, body) = import(&s, &outlet, "2026-07", XLSX_TYPE, book).await;
    assert_eq!((status, &body["errors"]), (200, &json!([])), "{body}");
    assert_eq!(body["report"]["source"], "XLSX");
    let id = body["report"]["id"].as_str().expect("id");
    let read = s
        .w
        .app
        .gql(
            s.w.officer.token(),
            "query($id: ID!) { outletReport(id: $id) { totals { lines reportedQuantity reportedAmount } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        read["data"]["outletReport"]["totals"],
        json!({ "lines": 2, "reportedQuantity": 5, "reportedAmount": "180.10" })
    );
    // A stranger neither reads nor imports.
    let hidden =
        s.w.app
            .gql(
                s.w.outsider.token(),
                "query($id: ID!) { outletReport(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
    assert_eq!(hidden["data"]["outletReport"], Value::Null);
}
