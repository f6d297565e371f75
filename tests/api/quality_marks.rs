//! Issue 18, item 2: quality marks are certificates an officer checks. A submitted mark shows
//! nowhere and filters nothing until an officer over the product's place verifies it; rejected
//! ones never show; the periodic check warns the producer 30 days before expiry (once) and takes
//! the mark off the product after it. Bad certificates are refused with their field, nothing
//! written.

use std::time::Duration;

use chrono::{Days, Utc};
use entity::quality_mark_certificate;
use fupin_market::catalogue::quality_marks;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::{harness::Session, world::World, ws::WsClient};

const SUBMIT: &str =
    "mutation($input: SubmitQualityMarkInput!) { submitQualityMark(input: $input) {
    certificate { id mark issuingBody certificateNumber issuedOn validUntil status }
    errors { field code message } } }";
const VERIFY: &str = "mutation($id: ID!) { verifyQualityMark(input: {certificateId: $id}) {
    certificate { status reviewedAt } errors { field code message } } }";
const REJECT: &str =
    "mutation($id: ID!, $r: String!) { rejectQualityMark(input: {certificateId: $id, reason: $r}) {
    certificate { status rejectionReason } errors { field code message } } }";
const MARKS: &str = "query($id: ID!) { product(id: $id) { qualityMarks } }";

fn day(offset: i64) -> String {
    let today = Utc::now().date_naive();
    let shifted = if offset >= 0 {
        today.checked_add_days(Days::new(offset.unsigned_abs()))
    } else {
        today.checked_sub_days(Days::new(offset.unsigned_abs()))
    };
    shifted.expect("a date").to_string()
}

fn certificate(product: &str, mark: &str, number: &str) -> Value {
    json!({ "productId": product, "mark": mark, "issuingBody": "中国绿色食品发展中心",
            "certificateNumber": number, "issuedOn": day(-100), "validUntil": day(900) })
}

async fn submit(w: &World, who: &Session, input: Value) -> Value {
    let body = w
        .app
        .gql(who.token(), SUBMIT, json!({ "input": input }))
        .await;
    body["data"]["submitQualityMark"].clone()
}

/// Submits and verifies a mark (the producer's clerk, then `officer`): the certificate's ID.
pub(crate) async fn verified_mark(
    w: &World,
    producer: &Session,
    officer: &Session,
    product: &str,
    mark: &str,
) -> String {
    let number = format!("LB-{mark}-{}", &product[product.len() - 6..]);
    let submitted = submit(w, producer, certificate(product, mark, &number)).await;
    let id = submitted["certificate"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{submitted}"))
        .to_owned();
    let verified = w
        .app
        .gql(officer.token(), VERIFY, json!({ "id": id }))
        .await;
    assert_eq!(
        verified["data"]["verifyQualityMark"]["certificate"]["status"], "VERIFIED",
        "{verified}"
    );
    id
}

async fn marks_of(w: &World, product: &str) -> Value {
    let body = w.app.gql(None, MARKS, json!({ "id": product })).await;
    body["data"]["product"]["qualityMarks"].clone()
}

async fn filtered(w: &World, marks: Value) -> Vec<String> {
    let body = w
        .app
        .gql(
            None,
            "query($m: [QualityMark!]) { products(filter: {qualityMarks: $m}) { nodes { id } } }",
            json!({ "m": marks }),
        )
        .await;
    body["data"]["products"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .filter_map(|n| n["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_mark_shows_and_filters_only_once_an_officer_verified_it() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    assert_eq!(marks_of(&w, &product).await, json!([]));

    let submitted = submit(
        &w,
        &w.producer_clerk,
        certificate(&product, "GREEN_FOOD", "LB-15-2312"),
    )
    .await;
    assert_eq!(submitted["errors"], json!([]), "{submitted}");
    assert_eq!(submitted["certificate"]["status"], "SUBMITTED");
    let id = submitted["certificate"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Submitted is not verified: no mark, no match.
    assert_eq!(marks_of(&w, &product).await, json!([]));
    assert!(filtered(&w, json!(["GREEN_FOOD"])).await.is_empty());
    // A second certificate of the same mark cannot wait beside it.
    let again = submit(
        &w,
        &w.producer_clerk,
        certificate(&product, "GREEN_FOOD", "LB-15-9999"),
    )
    .await;
    assert_eq!(again["errors"][0]["code"], "DUPLICATE", "{again}");
    assert_eq!(again["errors"][0]["field"], json!(["input", "mark"]));

    // The producer cannot verify its own; another county's officer cannot either.
    let own = w
        .app
        .gql(w.producer_admin.token(), VERIFY, json!({ "id": id }))
        .await;
    assert_eq!(crate::harness::error_code(&own), "FORBIDDEN", "{own}");
    let elsewhere = w
        .app
        .gql(w.other_officer.token(), VERIFY, json!({ "id": id }))
        .await;
    let code = elsewhere["data"]["verifyQualityMark"]["errors"][0]["code"].clone();
    assert!(
        code == "NOT_FOUND" || crate::harness::error_code(&elsewhere) == "NOT_FOUND",
        "{elsewhere}"
    );
    assert_eq!(marks_of(&w, &product).await, json!([]));

    // The producer attaches the certificate's scan; the county officer sees it with the
    // certificate, verifies it: the mark shows and filters.
    let scan = crate::files::pdf(3000, 31);
    let uploaded = crate::files::upload(
        &w.app,
        w.producer_clerk.token(),
        &id,
        "CERTIFICATE",
        "绿色食品证书.pdf",
        None,
        &scan,
    )
    .await;
    assert_eq!(uploaded["errors"], json!([]), "{uploaded}");
    let listed = w
        .app
        .gql(
            w.officer.token(),
            "{ qualityMarkCertificates(filter: {status: SUBMITTED}) { id mark product { name } files { name purpose } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["qualityMarkCertificates"],
        json!([{ "id": id, "mark": "GREEN_FOOD", "product": { "name": "灵寿红薯 5kg装" },
                 "files": [{ "name": "绿色食品证书.pdf", "purpose": "CERTIFICATE" }] }]),
        "{listed}"
    );
    let elsewhere_list = w
        .app
        .gql(
            w.other_officer.token(),
            "{ qualityMarkCertificates { id } }",
            json!({}),
        )
        .await;
    assert_eq!(elsewhere_list["data"]["qualityMarkCertificates"], json!([]));
    let verified = w
        .app
        .gql(w.officer.token(), VERIFY, json!({ "id": id }))
        .await;
    assert_eq!(
        verified["data"]["verifyQualityMark"]["errors"],
        json!([]),
        "{verified}"
    );
    assert_eq!(marks_of(&w, &product).await, json!(["GREEN_FOOD"]));
    assert_eq!(
        filtered(&w, json!(["GREEN_FOOD"])).await,
        vec![product.clone()]
    );
    assert!(
        filtered(&w, json!(["GREEN_FOOD", "ORGANIC"]))
            .await
            .is_empty()
    );
    // Once reviewed, it is not reviewed again.
    let twice = w
        .app
        .gql(w.officer2.token(), VERIFY, json!({ "id": id }))
        .await;
    assert_eq!(
        twice["data"]["verifyQualityMark"]["errors"][0]["code"], "INVALID_STATE",
        "{twice}"
    );

    // A rejected certificate never shows; the reason reaches the producer.
    let organic = submit(
        &w,
        &w.producer_clerk,
        certificate(&product, "ORGANIC", "OF-2026-01"),
    )
    .await;
    let organic_id = organic["certificate"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let rejected = w
        .app
        .gql(
            w.officer.token(),
            REJECT,
            json!({ "id": organic_id, "r": "证书编号与认证机构记录不符" }),
        )
        .await;
    assert_eq!(
        rejected["data"]["rejectQualityMark"]["certificate"],
        json!({ "status": "REJECTED", "rejectionReason": "证书编号与认证机构记录不符" }),
        "{rejected}"
    );
    assert_eq!(marks_of(&w, &product).await, json!(["GREEN_FOOD"]));
    let mine = w
        .app
        .gql(
            w.producer_admin.token(),
            "query($id: ID!) { product(id: $id) { qualityMarkCertificates { mark status rejectionReason } } }",
            json!({ "id": product }),
        )
        .await;
    let certificates = mine["data"]["product"]["qualityMarkCertificates"]
        .as_array()
        .unwrap_or_else(|| panic!("{mine}"));
    assert_eq!(certificates.len(), 2);
    // Buyers and the public see the marks, not the certificates.
    let public = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { product(id: $id) { qualityMarkCertificates { id } } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(
        public["data"]["product"]["qualityMarkCertificates"],
        json!([])
    );

    // The trace record of a lot of the product names the verified mark only.
    let lot = w
        .app
        .gql(
            w.producer_clerk.token(),
            "mutation($input: RecordLotInput!) { recordLot(input: $input) { lot { traceCode } errors { code } } }",
            json!({ "input": { "productId": product, "producedOn": day(-3), "quantity": 100,
                    "originVillageCode": crate::world::VILLAGE, "inspectionResult": "NOT_INSPECTED" } }),
        )
        .await;
    let code = lot["data"]["recordLot"]["lot"]["traceCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{lot}"));
    let traced = w
        .app
        .gql(
            None,
            "query($c: String!) { traceCode(code: $c) { qualityMarks } }",
            json!({ "c": code }),
        )
        .await;
    assert_eq!(
        traced["data"]["traceCode"]["qualityMarks"],
        json!(["GREEN_FOOD"])
    );
}

#[tokio::test]
async fn bad_certificates_name_their_field_and_write_nothing() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let mut expiry_before_issue = certificate(&product, "ORGANIC", "OF-1");
    expiry_before_issue["issuedOn"] = json!(day(-10));
    expiry_before_issue["validUntil"] = json!(day(-20));
    let mut expired = certificate(&product, "ORGANIC", "OF-2");
    expired["issuedOn"] = json!(day(-400));
    expired["validUntil"] = json!(day(-1));
    let mut future_issue = certificate(&product, "ORGANIC", "OF-3");
    future_issue["issuedOn"] = json!(day(5));
    let mut blank_body = certificate(&product, "ORGANIC", "OF-4");
    blank_body["issuingBody"] = json!("  ");
    let mut long_number = certificate(&product, "ORGANIC", &"9".repeat(65));
    long_number["validUntil"] = json!(day(900));
    let cases = [
        (expiry_before_issue, "validUntil", "INVALID"),
        (expired, "validUntil", "INVALID"),
        (future_issue, "issuedOn", "INVALID"),
        (blank_body, "issuingBody", "INVALID"),
        (long_number, "certificateNumber", "INVALID"),
    ];
    for (input, field, code) in cases {
        let answer = submit(&w, &w.producer_clerk, input.clone()).await;
        assert_eq!(answer["certificate"], Value::Null, "{input}");
        assert_eq!(answer["errors"][0]["code"], code, "{input}: {answer}");
        assert_eq!(
            answer["errors"][0]["field"],
            json!(["input", field]),
            "{input}"
        );
    }
    // Another producer's product, an unknown product: not found for this producer.
    // Another producer's (listed, so visible) product is not its to certify; an unknown one
    // does not exist.
    let (other, _) = crate::catalogue::producer_in(&w, "yangyuan", "130727").await;
    let unknown = fupin_market::ids::NodeKind::Product
        .id(uuid::Uuid::now_v7())
        .0;
    for (who, id, code) in [
        (&other, product.as_str(), "FORBIDDEN"),
        (&w.producer_clerk, unknown.as_str(), "NOT_FOUND"),
    ] {
        let input = json!({ "input": certificate(id, "ORGANIC", "OF-6") });
        let body = w.app.gql(who.token(), SUBMIT, input).await;
        assert_eq!(crate::harness::error_code(&body), code, "{body}");
    }
    // A rejection needs a reason.
    let ok = submit(
        &w,
        &w.producer_clerk,
        certificate(&product, "ORGANIC", "OF-7"),
    )
    .await;
    let id = ok["certificate"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{ok}"));
    let reasonless = w
        .app
        .gql(w.officer.token(), REJECT, json!({ "id": id, "r": " " }))
        .await;
    assert_eq!(
        reasonless["data"]["rejectQualityMark"]["errors"][0]["field"],
        json!(["input", "reason"]),
        "{reasonless}"
    );
    let stored = quality_mark_certificate::Entity::find()
        .count(w.app.db())
        .await
        .expect("count");
    assert_eq!(stored, 1, "only the one good certificate is stored");
    assert_eq!(marks_of(&w, &product).await, json!([]));
}

#[tokio::test]
async fn the_producer_is_warned_thirty_days_before_expiry_and_the_mark_drops_after() {
    const LIVE: &str = "subscription { qualityMarkExpiring { certificate { id mark status } validUntil expired } }";
    const QUIET: Duration = Duration::from_millis(700);
    let w = World::build_with(|s| s.quality_mark_check_interval = Duration::ZERO).await;
    let services = &w.app.state.services;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let id = verified_mark(
        &w,
        &w.producer_clerk,
        &w.officer,
        &product,
        "GEOGRAPHICAL_INDICATION",
    )
    .await;
    assert_eq!(
        marks_of(&w, &product).await,
        json!(["GEOGRAPHICAL_INDICATION"])
    );
    let mut following = Vec::new();
    for who in [&w.producer_admin, &w.officer] {
        let mut socket = WsClient::signed_in(&w.app.base, &who.access_token).await;
        socket.subscribe("marks", LIVE, json!({})).await;
        following.push(socket);
    }
    let mut others = Vec::new();
    for who in [&w.buyer_admin, &w.other_officer] {
        let mut socket = WsClient::signed_in(&w.app.base, &who.access_token).await;
        socket.subscribe("marks", LIVE, json!({})).await;
        others.push(socket);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Valid for 900 more days: today and 871 days on, nothing to say.
    let valid_until = Utc::now().date_naive() + Days::new(900);
    let now = Utc::now();
    let at = |days: u64, s: i64| {
        now + chrono::Duration::days(days as i64) + chrono::Duration::seconds(s)
    };
    let quiet = quality_marks::run(services, at(0, 0)).await.expect("check");
    assert_eq!(
        quiet.map(|r| (r.warned.len(), r.expired.len())),
        Some((0, 0))
    );
    let early = quality_marks::run(services, at(869, 1))
        .await
        .expect("check");
    assert_eq!(
        early.map(|r| r.warned.len()),
        Some(0),
        "31 days before: not yet"
    );

    // 30 days before: warned once, the mark still shows.
    let warned = quality_marks::run(services, at(870, 2))
        .await
        .expect("check")
        .expect("claimed");
    assert_eq!(warned.warned.len(), 1);
    assert_eq!(
        quality_marks::run(services, at(870, 2))
            .await
            .expect("check"),
        None,
        "once per period"
    );
    for socket in &mut following {
        let data = socket.next_data("marks").await;
        assert_eq!(
            data["data"]["qualityMarkExpiring"],
            json!({ "certificate": { "id": id, "mark": "GEOGRAPHICAL_INDICATION", "status": "VERIFIED" },
                    "validUntil": valid_until.to_string(), "expired": false })
        );
    }
    for socket in &mut others {
        socket.expect_silence(QUIET).await;
    }
    let later = quality_marks::run(services, at(880, 3))
        .await
        .expect("check")
        .expect("claimed");
    assert!(later.warned.is_empty(), "warned once only");
    assert_eq!(
        marks_of(&w, &product).await,
        json!(["GEOGRAPHICAL_INDICATION"])
    );

    // The day after its last valid day: expired once, the mark taken off.
    let on_last_day = quality_marks::run(services, at(900, 4))
        .await
        .expect("check")
        .expect("claimed");
    assert!(on_last_day.expired.is_empty(), "valid through its last day");
    let after = quality_marks::run(services, at(901, 5))
        .await
        .expect("check")
        .expect("claimed");
    assert_eq!(after.expired.len(), 1);
    assert_eq!(marks_of(&w, &product).await, json!([]));
    assert!(
        filtered(&w, json!(["GEOGRAPHICAL_INDICATION"]))
            .await
            .is_empty()
    );
    for socket in &mut following {
        let data = socket.next_data("marks").await;
        assert_eq!(data["data"]["qualityMarkExpiring"]["expired"], true);
    }
    let again = quality_marks::run(services, at(902, 6))
        .await
        .expect("check")
        .expect("claimed");
    assert!(again.expired.is_empty() && again.warned.is_empty());
}
