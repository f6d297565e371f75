//! Issue 16, item 5: fairs (产销对接大会). An officer creates a fair, producers register as
//! exhibitors and are approved, buyers order at the fair from approved exhibitors while it runs,
//! exhibitors report on-site sales that the organising officer accepts into the ledger, and the
//! fair's report sums what the ledger holds for it. Bad input is refused with a code naming the
//! field, and nothing is written.

use chrono::{Days, NaiveDate, Utc};
use entity::{
    fair, fair_exhibitor, fair_sales_line, fair_sales_report,
    ledger_entry::{self, LedgerChannel, Purpose},
    order,
};
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};
use serde_json::{Value, json};

use crate::{
    harness::{PASSWORD, Session},
    world::{
        COUNTY, CREATE_PRODUCER, CREATE_PRODUCT, OTHER_COUNTY, World, producer_input, product_input,
    },
};

const CREATE: &str = "mutation($input: CreateFairInput!) { createFair(input: $input) {
    fair { id name startsOn endsOn target venueRegion { code } organiser { id } }
    errors { field code message } } }";
const REGISTER: &str = "mutation($input: RegisterForFairInput!) { registerForFair(input: $input) {
    exhibitor { status producer { id } } errors { field code message } } }";
const REVIEW: &str = "mutation($input: ReviewExhibitorInput!) { reviewExhibitor(input: $input) {
    exhibitor { status reason producer { id } } errors { field code message } } }";
const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
    orders { id fairId } errors { field code message } } }";
const REPORT_SALES: &str =
    "mutation($input: ReportFairSalesInput!) { reportFairSales(input: $input) {
    report { id status amount quantity lines { quantity amount soldOn product { id } } }
    errors { field code message } } }";
const REVIEW_SALES: &str =
    "mutation($input: ReviewFairSalesInput!) { reviewFairSales(input: $input) {
    report { id status reason } errors { field code message } } }";
const FAIR_REPORT: &str = "query($id: ID!) { fairReport(fairId: $id) {
    fair { id } amount quantity orders onSiteAmount target percent
    byExhibitor { producer { id } amount quantity }
    byOriginCounty { countyCode county { name } amount quantity }
    byCategory { category amount quantity } } }";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn day(offset: i64) -> String {
    let today = today();
    let shifted = if offset >= 0 {
        today.checked_add_days(Days::new(offset.unsigned_abs()))
    } else {
        today.checked_sub_days(Days::new(offset.unsigned_abs()))
    };
    shifted.expect("a day").to_string()
}

async fn call(w: &World, who: &Session, query: &str, field: &str, input: Value) -> Value {
    let body = w
        .app
        .gql(who.token(), query, json!({ "input": input }))
        .await;
    assert!(body["data"][field].is_object(), "{field}: {body}");
    body["data"][field].clone()
}

/// Calls and expects no errors.
async fn ok(w: &World, who: &Session, query: &str, field: &str, input: Value) -> Value {
    let payload = call(w, who, query, field, input).await;
    assert_eq!(payload["errors"], json!([]), "{field}: {payload}");
    payload
}

/// The (field path, code) of each error of a payload.
fn errors(payload: &Value) -> Vec<(String, String)> {
    payload["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{payload}"))
        .iter()
        .map(|e| {
            let path: Vec<&str> = e["field"]
                .as_array()
                .map(|f| f.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            (
                path.join("."),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Rows in the fair tables and orders: what a refused mutation must leave alone.
async fn rows(w: &World) -> [u64; 5] {
    let db = w.app.db();
    [
        fair::Entity::find().count(db).await.expect("fairs"),
        fair_exhibitor::Entity::find()
            .count(db)
            .await
            .expect("exhibitors"),
        fair_sales_report::Entity::find()
            .count(db)
            .await
            .expect("reports"),
        fair_sales_line::Entity::find()
            .count(db)
            .await
            .expect("lines"),
        order::Entity::find().count(db).await.expect("orders"),
    ]
}

fn fair_input(w: &World, starts: i64, ends: i64) -> Value {
    json!({ "name": "灵寿县消费扶贫产销对接大会", "venueRegionCode": COUNTY,
            "startsOn": day(starts), "endsOn": day(ends), "organiserId": w.buyer_id,
            "target": "1000.00" })
}

async fn create_fair(w: &World, starts: i64, ends: i64) -> String {
    let created = ok(
        w,
        &w.officer,
        CREATE,
        "createFair",
        fair_input(w, starts, ends),
    )
    .await;
    created["fair"]["id"].as_str().expect("fair id").to_owned()
}

/// The world's producer registers (by its clerk) and the officer approves it.
async fn exhibit(w: &World, who: &Session, producer: &str, fair: &str) {
    ok(
        w,
        who,
        REGISTER,
        "registerForFair",
        json!({ "fairId": fair }),
    )
    .await;
    let approved = ok(
        w,
        &w.officer,
        REVIEW,
        "reviewExhibitor",
        json!({ "fairId": fair, "producerId": producer, "approve": true }),
    )
    .await;
    assert_eq!(approved["exhibitor"]["status"], "APPROVED");
}

/// A second verified producer, in 阳原县, with a published product (10.00, fruit).
async fn second_producer(w: &World) -> (Session, String, String) {
    let session = w.app.register("yangyuan.coop", None).await;
    let created = ok(
        w,
        &session,
        CREATE_PRODUCER,
        "createProducer",
        producer_input(None, "阳原县杏果种植专业合作社", OTHER_COUNTY),
    )
    .await;
    let producer = created["producer"]["id"]
        .as_str()
        .expect("producer")
        .to_owned();
    let verified = w
        .app
        .gql(
            w.admin.token(),
            "mutation($id: ID!) { verifyProducer(input: {producerId: $id}) { errors { code } } }",
            json!({ "id": producer }),
        )
        .await;
    assert_eq!(verified["data"]["verifyProducer"]["errors"], json!([]));
    // The PRODUCER role arrives with the next token.
    let session = w.app.login("yangyuan.coop", PASSWORD).await;
    let mut input = product_input(&producer, "阳原鲜杏 2kg装", "10.00");
    input["category"] = json!("FRUIT");
    let product = ok(w, &session, CREATE_PRODUCT, "createProduct", input).await["product"]["id"]
        .as_str()
        .expect("product")
        .to_owned();
    let published = w
        .app
        .gql(
            session.token(),
            "mutation($id: ID!) { publishProduct(input: {id: $id}) { errors { code message } } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(
        published["data"]["publishProduct"]["errors"],
        json!([]),
        "{published}"
    );
    (session, producer, product)
}

fn order_input(product: &str, quantity: i64, fair: Option<&str>, key: &str) -> Value {
    json!({ "lines": [{ "productId": product, "quantity": quantity }], "fairId": fair,
            "idempotencyKey": key })
}

fn sales(fair: &str, product: &str, quantity: i64, amount: &str, sold_on: &str) -> Value {
    json!({ "fairId": fair, "lines": [{ "productId": product, "quantity": quantity,
            "amount": amount, "soldOn": sold_on }] })
}

#[tokio::test]
async fn a_fair_tallies_its_orders_and_accepted_on_site_sales_to_the_fen() {
    let w = World::build().await;
    let sweet_potatoes = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let (yangyuan, yangyuan_id, apricots) = second_producer(&w).await;
    let fair = create_fair(&w, -1, 1).await;
    exhibit(&w, &w.producer_clerk, &w.producer_id, &fair).await;
    exhibit(&w, &yangyuan, &yangyuan_id, &fair).await;

    // Ordered at the fair: 2 × 45.00; ordered elsewhere: not the fair's.
    let placed = ok(
        &w,
        &w.buyer_admin,
        PLACE,
        "placeOrder",
        order_input(&sweet_potatoes, 2, Some(&fair), "fair-order-1"),
    )
    .await;
    assert_eq!(placed["orders"][0]["fairId"], fair.as_str());
    let at_fair = placed["orders"][0]["id"]
        .as_str()
        .expect("order")
        .to_owned();
    let elsewhere = ok(
        &w,
        &w.buyer_admin,
        PLACE,
        "placeOrder",
        order_input(&sweet_potatoes, 1, None, "not-at-the-fair"),
    )
    .await;
    assert_eq!(elsewhere["orders"][0]["fairId"], Value::Null);
    for order in [
        &at_fair,
        elsewhere["orders"][0]["id"].as_str().expect("order"),
    ] {
        for (who, mutation) in [
            (&w.producer_clerk, "confirmOrder"),
            (&w.producer_clerk, "shipOrder"),
            (&w.buyer_admin, "receiveOrder"),
        ] {
            crate::live::step(&w.app, who.token(), mutation, order).await;
        }
    }

    // On site, 阳原 sold 3 boxes for 25.00 in all.
    let reported = ok(
        &w,
        &yangyuan,
        REPORT_SALES,
        "reportFairSales",
        sales(&fair, &apricots, 3, "25.00", &day(0)),
    )
    .await;
    assert_eq!(reported["report"]["status"], "PENDING");
    assert_eq!(reported["report"]["amount"], "25.00");
    let report = reported["report"]["id"]
        .as_str()
        .expect("report")
        .to_owned();
    // A rejection needs a reason; an acceptance does not.
    let refused = call(
        &w,
        &w.officer,
        REVIEW_SALES,
        "reviewFairSales",
        json!({ "reportId": report, "accept": false }),
    )
    .await;
    assert_eq!(
        errors(&refused),
        [("input.reason".to_owned(), "INVALID".to_owned())]
    );
    let accepted = ok(
        &w,
        &w.officer,
        REVIEW_SALES,
        "reviewFairSales",
        json!({ "reportId": report, "accept": true }),
    )
    .await;
    assert_eq!(accepted["report"]["status"], "ACCEPTED");
    let again = call(
        &w,
        &w.officer,
        REVIEW_SALES,
        "reviewFairSales",
        json!({ "reportId": report, "accept": true }),
    )
    .await;
    assert_eq!(
        errors(&again),
        [("input.reportId".to_owned(), "INVALID_STATE".to_owned())]
    );

    // In the ledger: the receipt at the fair and the on-site sale carry the fair (the latter with
    // the organiser as its buying side, for personal use); the other receipt does not.
    let entries = ledger_entry::Entity::find()
        .order_by_asc(ledger_entry::Column::Seq)
        .all(w.app.db())
        .await
        .expect("entries");
    let fair_uuid = fupin_market::ids::decode(&fair).expect("fair id").1;
    let organiser = fupin_market::ids::decode(&w.buyer_id).expect("buyer id").1;
    let summary: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.channel,
                e.fair_id == Some(fair_uuid),
                e.report_line_id.is_some(),
                e.amount_fen,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (LedgerChannel::Fair, true, false, 9000),
            (LedgerChannel::Order, false, false, 4500),
            (LedgerChannel::Fair, true, true, 2500),
        ]
    );
    assert_eq!(entries[2].purpose, Purpose::Personal);
    assert_eq!(entries[2].buyer_org_id, organiser);
    assert_eq!(entries[2].buyer_region_code, COUNTY);

    let body = w
        .app
        .gql(w.officer.token(), FAIR_REPORT, json!({ "id": fair }))
        .await;
    let r = &body["data"]["fairReport"];
    assert_eq!(r["amount"], "115.00", "{body}");
    assert_eq!(r["quantity"], 5);
    assert_eq!(r["orders"], 1);
    assert_eq!(r["onSiteAmount"], "25.00");
    assert_eq!(r["target"], "1000.00");
    assert_eq!(r["percent"], 11);
    assert_eq!(
        r["byExhibitor"],
        json!([
            { "producer": { "id": w.producer_id }, "amount": "90.00", "quantity": 2 },
            { "producer": { "id": yangyuan_id }, "amount": "25.00", "quantity": 3 },
        ])
    );
    assert_eq!(
        r["byOriginCounty"],
        json!([
            { "countyCode": COUNTY, "county": { "name": "灵寿县" }, "amount": "90.00", "quantity": 2 },
            { "countyCode": OTHER_COUNTY, "county": { "name": "阳原县" }, "amount": "25.00", "quantity": 3 },
        ])
    );
    assert_eq!(
        r["byCategory"],
        json!([
            { "category": "GRAIN_OIL", "amount": "90.00", "quantity": 2 },
            { "category": "FRUIT", "amount": "25.00", "quantity": 3 },
        ])
    );
    // The report is the officials' and the organiser's: not an exhibitor's.
    let hidden = w
        .app
        .gql(yangyuan.token(), FAIR_REPORT, json!({ "id": fair }))
        .await;
    assert_eq!(crate::harness::error_code(&hidden), "FORBIDDEN");
    let organiser = w
        .app
        .gql(w.buyer_admin.token(), FAIR_REPORT, json!({ "id": fair }))
        .await;
    assert_eq!(organiser["data"]["fairReport"]["amount"], "115.00");
}

#[tokio::test]
async fn fairs_are_created_in_scope_with_dates_in_order() {
    let w = World::build().await;
    let before = rows(&w).await;
    let outside = call(
        &w,
        &w.other_officer,
        CREATE,
        "createFair",
        fair_input(&w, 0, 2),
    )
    .await;
    assert_eq!(
        errors(&outside),
        [(
            "input.venueRegionCode".to_owned(),
            "OUT_OF_SCOPE".to_owned()
        )]
    );
    let mut reversed = fair_input(&w, 3, 1);
    reversed["target"] = json!("-1.00");
    let reversed = call(&w, &w.officer, CREATE, "createFair", reversed).await;
    assert_eq!(
        errors(&reversed),
        [
            ("input.endsOn".to_owned(), "INVALID".to_owned()),
            ("input.target".to_owned(), "INVALID".to_owned())
        ]
    );
    let mut unknown = fair_input(&w, 0, 1);
    unknown["venueRegionCode"] = json!("139999");
    let unknown = call(&w, &w.officer, CREATE, "createFair", unknown).await;
    assert_eq!(
        errors(&unknown),
        [("input.venueRegionCode".to_owned(), "NOT_FOUND".to_owned())]
    );
    assert_eq!(rows(&w).await, before, "nothing written");

    let fair = create_fair(&w, 0, 2).await;
    let listed = w
        .app
        .gql(
            None,
            "query($on: Date) { fairs(filter: {regionCode: \"1301\", activeOn: $on}) { totalCount nodes { id venueRegion { code } } } }",
            json!({ "on": day(1) }),
        )
        .await;
    assert_eq!(listed["data"]["fairs"]["totalCount"], 1);
    assert_eq!(listed["data"]["fairs"]["nodes"][0]["id"], fair.as_str());
    // An ended fair takes no more exhibitors.
    let ended = create_fair(&w, -5, -1).await;
    let late = call(
        &w,
        &w.producer_clerk,
        REGISTER,
        "registerForFair",
        json!({ "fairId": ended }),
    )
    .await;
    assert_eq!(
        errors(&late),
        [("input.fairId".to_owned(), "INVALID_STATE".to_owned())]
    );
    // Another county's officer does not review this fair's exhibitors.
    ok(
        &w,
        &w.producer_clerk,
        REGISTER,
        "registerForFair",
        json!({ "fairId": fair }),
    )
    .await;
    let twice = call(
        &w,
        &w.producer_clerk,
        REGISTER,
        "registerForFair",
        json!({ "fairId": fair }),
    )
    .await;
    assert_eq!(
        errors(&twice),
        [("input.fairId".to_owned(), "DUPLICATE".to_owned())]
    );
    let stranger = call(
        &w,
        &w.other_officer,
        REVIEW,
        "reviewExhibitor",
        json!({ "fairId": fair, "producerId": w.producer_id, "approve": true }),
    )
    .await;
    assert_eq!(
        errors(&stranger),
        [("input.fairId".to_owned(), "OUT_OF_SCOPE".to_owned())]
    );
    let pending = w
        .app
        .gql(
            None,
            "query($id: ID!) { fair(id: $id) { exhibitors { status } } }",
            json!({ "id": fair }),
        )
        .await;
    // The public sees approved exhibitors only.
    assert_eq!(pending["data"]["fair"]["exhibitors"], json!([]));
}

#[tokio::test]
async fn orders_name_a_fair_only_while_it_runs_and_only_for_approved_exhibitors() {
    let w = World::build().await;
    let sweet_potatoes = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let (yangyuan, _, apricots) = second_producer(&w).await;
    let running = create_fair(&w, 0, 1).await;
    let coming = create_fair(&w, 1, 2).await;
    exhibit(&w, &w.producer_clerk, &w.producer_id, &running).await;
    exhibit(&w, &w.producer_clerk, &w.producer_id, &coming).await;
    // 阳原 registered but is not approved.
    ok(
        &w,
        &yangyuan,
        REGISTER,
        "registerForFair",
        json!({ "fairId": running }),
    )
    .await;
    let before = rows(&w).await;

    let mixed = call(
        &w,
        &w.buyer_admin,
        PLACE,
        "placeOrder",
        json!({ "lines": [{ "productId": sweet_potatoes, "quantity": 1 },
                          { "productId": apricots, "quantity": 1 }],
                "fairId": running, "idempotencyKey": "fair-mixed" }),
    )
    .await;
    assert_eq!(
        errors(&mixed),
        [("input.lines.1".to_owned(), "INVALID".to_owned())]
    );
    let early = call(
        &w,
        &w.buyer_admin,
        PLACE,
        "placeOrder",
        order_input(&sweet_potatoes, 1, Some(&coming), "fair-early"),
    )
    .await;
    assert_eq!(
        errors(&early),
        [("input.fairId".to_owned(), "INVALID_STATE".to_owned())]
    );
    assert_eq!(rows(&w).await, before, "nothing written");
    let stock = w
        .app
        .gql(
            None,
            "query($id: ID!) { product(id: $id) { stock } }",
            json!({ "id": sweet_potatoes }),
        )
        .await;
    assert_eq!(stock["data"]["product"]["stock"], 100, "no stock reserved");

    // The same key at another fair is another request.
    ok(
        &w,
        &w.buyer_admin,
        PLACE,
        "placeOrder",
        order_input(&sweet_potatoes, 1, Some(&running), "fair-key"),
    )
    .await;
    let reused = call(
        &w,
        &w.buyer_admin,
        PLACE,
        "placeOrder",
        order_input(&sweet_potatoes, 1, None, "fair-key"),
    )
    .await;
    assert_eq!(errors(&reused)[0].1, "IDEMPOTENCY_KEY_REUSED");
}

#[tokio::test]
async fn on_site_reports_come_from_approved_exhibitors_for_days_of_the_fair_once() {
    let w = World::build().await;
    let sweet_potatoes = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let (yangyuan, _, apricots) = second_producer(&w).await;
    let fair = create_fair(&w, -1, 1).await;
    exhibit(&w, &w.producer_clerk, &w.producer_id, &fair).await;
    ok(
        &w,
        &yangyuan,
        REGISTER,
        "registerForFair",
        json!({ "fairId": fair }),
    )
    .await;
    let before = rows(&w).await;

    let cases = [
        // Registered, not approved.
        (
            &yangyuan,
            sales(&fair, &apricots, 1, "5.00", &day(0)),
            "input.fairId",
            "INVALID_STATE",
        ),
        // Before the fair.
        (
            &w.producer_clerk,
            sales(&fair, &sweet_potatoes, 1, "5.00", &day(-2)),
            "input.lines.0.soldOn",
            "INVALID",
        ),
        // A day of the fair still to come.
        (
            &w.producer_clerk,
            sales(&fair, &sweet_potatoes, 1, "5.00", &day(1)),
            "input.lines.0.soldOn",
            "INVALID",
        ),
        (
            &w.producer_clerk,
            sales(&fair, &sweet_potatoes, 1, "-5.00", &day(0)),
            "input.lines.0.amount",
            "INVALID",
        ),
        (
            &w.producer_clerk,
            sales(&fair, &sweet_potatoes, -1, "5.00", &day(0)),
            "input.lines.0.quantity",
            "INVALID",
        ),
        // Another producer's product.
        (
            &w.producer_clerk,
            sales(&fair, &apricots, 1, "5.00", &day(0)),
            "input.lines.0.productId",
            "NOT_FOUND",
        ),
    ];
    for (who, input, field, code) in cases {
        let refused = call(&w, who, REPORT_SALES, "reportFairSales", input.clone()).await;
        assert_eq!(
            errors(&refused),
            [(field.to_owned(), code.to_owned())],
            "{input}"
        );
    }
    assert_eq!(rows(&w).await, before, "nothing written");

    let first = ok(
        &w,
        &w.producer_clerk,
        REPORT_SALES,
        "reportFairSales",
        sales(&fair, &sweet_potatoes, 2, "80.00", &day(-1)),
    )
    .await;
    let after_first = rows(&w).await;
    let twice = call(
        &w,
        &w.producer_admin,
        REPORT_SALES,
        "reportFairSales",
        sales(&fair, &sweet_potatoes, 1, "40.00", &day(0)),
    )
    .await;
    assert_eq!(
        errors(&twice),
        [("input.fairId".to_owned(), "DUPLICATE".to_owned())]
    );
    assert_eq!(rows(&w).await, after_first, "nothing written");
    // Rejected (with a reason), the exhibitor may report again.
    let report = first["report"]["id"].as_str().expect("report");
    let rejected = ok(
        &w,
        &w.officer,
        REVIEW_SALES,
        "reviewFairSales",
        json!({ "reportId": report, "accept": false, "reason": "数量与现场记录不符" }),
    )
    .await;
    assert_eq!(rejected["report"]["status"], "REJECTED");
    ok(
        &w,
        &w.producer_clerk,
        REPORT_SALES,
        "reportFairSales",
        sales(&fair, &sweet_potatoes, 1, "40.00", &day(0)),
    )
    .await;
    // The exhibitor sees its own reports; another producer sees none.
    let seen = async |who: &Session| {
        w.app
            .gql(
                who.token(),
                "query($id: ID!) { fair(id: $id) { salesReports { status } } }",
                json!({ "id": fair }),
            )
            .await
    };
    let own = seen(&w.producer_clerk).await;
    assert_eq!(
        own["data"]["fair"]["salesReports"],
        json!([{ "status": "PENDING" }, { "status": "REJECTED" }])
    );
    let other = seen(&yangyuan).await;
    assert_eq!(other["data"]["fair"]["salesReports"], json!([]));
}
