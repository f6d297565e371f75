//! Issue 15, item 6: closing a region's reporting period freezes its totals and ranking at the
//! ledger's tip, signed and audited; entries dated inside it that arrive later are adjustments of
//! the next open period; anyone reading the region can recompute it; the report exports as XLSX
//! with the columns officials use.
//!
//! Receipts are dated the day they are received, so to close a month that is over the tests move
//! the scene's entries into last month and re-chain them (as a ledger migration would), then
//! close it.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use entity::{closed_period, closed_period_rank, closed_period_total, ledger_entry, ledger_head};
use migration::GENESIS;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::{Value, json};

use crate::{
    authorization::row_counts,
    consent::{declare, unit},
    harness::{Session, error_code},
    ledger::tamper,
    live::{place, step},
    world::{COUNTY, World},
};

const CLOSE: &str = "mutation($input: ClosePeriodInput!) { closePeriod(input: $input) {
    closedPeriod { id period kind firstDay lastDay tipSeq tipHash amount signature closedBy { id } }
    errors { field code message } } }";
const REPORT: &str = "query($r: String!, $p: String!) { periodReport(regionCode: $r, period: $p) {
    period kind closed closedPeriod { id } tipSeq
    total { amount quantity entries }
    totals { dimension key amount quantity entries }
    ranking { rank unitName reservedShareBp target purchased doneBp buyer { id } }
    adjustments { entry { seq amount kind occurredOn } adjusts { period tipSeq } } } }";
const VERIFY: &str = "query($id: ID!) { verifyClosedPeriod(id: $id) {
    matches chainIntact checked firstMismatchSeq reason totalsMatch rankingMatch signatureMatch } }";

struct Scene {
    w: World,
    /// Last month, into which the scene's sales are moved.
    month: NaiveDate,
    label: String,
    school_id: String,
    agency_id: String,
    /// The school's order.
    school_order: String,
}

fn last_month() -> NaiveDate {
    let today = Utc::now().date_naive();
    let first = today.with_day(1).expect("first of the month");
    let previous = first - Duration::days(1);
    previous.with_day(15).expect("the 15th")
}

/// Places, ships and receives an order as `buyer`; returns its ID.
async fn bought(w: &World, buyer: &Session, product: &str, quantity: i64, key: &str) -> String {
    let order = place(&w.app, buyer.token(), product, quantity, key).await;
    for (token, mutation) in [
        (w.producer_clerk.token(), "confirmOrder"),
        (w.producer_clerk.token(), "shipOrder"),
        (buyer.token(), "receiveOrder"),
    ] {
        step(&w.app, token, mutation, &order).await;
    }
    order
}

/// Moves the entries from `from_seq` on to `day` and re-chains them and the tip.
async fn redate(w: &World, from_seq: i64, day: NaiveDate) {
    let db = w.app.db();
    let entries = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::Seq.gte(from_seq))
        .order_by_asc(ledger_entry::Column::Seq)
        .all(db)
        .await
        .expect("entries");
    let mut prev = if from_seq == 1 {
        GENESIS.to_owned()
    } else {
        ledger_entry::Entity::find()
            .filter(ledger_entry::Column::Seq.eq(from_seq - 1))
            .one(db)
            .await
            .expect("entry")
            .expect("the previous entry")
            .hash
    };
    for mut entry in entries {
        entry.occurred_on = day;
        entry.reporting_year = day.year();
        entry.prev_hash = prev.clone();
        entry.hash = fupin_market::ledger::entries::hash_of(&entry);
        prev = entry.hash.clone();
        tamper(
            w,
            &format!(
                "UPDATE ledger_entries SET occurred_on = '{day}', reporting_year = {}, prev_hash = '{}', hash = '{}' WHERE seq = {}",
                day.year(),
                entry.prev_hash,
                entry.hash,
                entry.seq
            ),
        )
        .await;
    }
    let mut head: ledger_head::ActiveModel = ledger_head::Entity::find_by_id(1)
        .one(db)
        .await
        .expect("head")
        .expect("a head")
        .into();
    head.last_hash = Set(prev);
    head.update(db).await.expect("tip");
}

/// Two units of 灵寿县 with targets of 1000.00 (10% of 10000.00) for last month's year, and
/// three sales from 灵寿县's producer last month: the school 180.00, the agency 90.00 and the
/// city's canteen (located outside the county) 450.00.
async fn scene() -> Scene {
    let w = World::build().await;
    let month = last_month();
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let (school, school_id) = unit(&w, "p.school", "灵寿县第一中学", "SCHOOL", COUNTY, None).await;
    let (agency, agency_id) = unit(&w, "p.agency", "灵寿县教育局", "AGENCY", COUNTY, None).await;
    for (who, id) in [(&school, &school_id), (&agency, &agency_id)] {
        declare(
            &w,
            who,
            json!({ "buyerId": id, "year": month.year(), "canteen": "OWN_CANTEEN",
                    "canteenBudget": "10000.00", "reservedSharePercent": 10 }),
        )
        .await;
    }
    let school_order = bought(&w, &school, &product, 4, "period-school").await;
    bought(&w, &agency, &product, 2, "period-agency").await;
    bought(&w, &w.buyer_admin, &product, 10, "period-canteen").await;
    redate(&w, 1, month).await;
    Scene {
        label: format!("{:04}-{:02}", month.year(), month.month()),
        w,
        month,
        school_id,
        agency_id,
        school_order,
    }
}

impl Scene {
    async fn close(&self, who: &Session, region: &str, period: &str) -> Value {
        self.w
            .app
            .gql(
                who.token(),
                CLOSE,
                json!({ "input": { "regionCode": region, "period": period } }),
            )
            .await
    }

    async fn report(&self, who: &Session, period: &str) -> Value {
        let body = self
            .w
            .app
            .gql(who.token(), REPORT, json!({ "r": COUNTY, "p": period }))
            .await;
        assert!(body["data"]["periodReport"].is_object(), "{body}");
        body["data"]["periodReport"].clone()
    }

    /// Closes last month for 灵寿县 as its officer; returns the closed period.
    async fn closed(&self) -> Value {
        let body = self.close(&self.w.officer, COUNTY, &self.label).await;
        let payload = &body["data"]["closePeriod"];
        assert_eq!(payload["errors"], json!([]), "{body}");
        payload["closedPeriod"].clone()
    }

    async fn stored(&self) -> (u64, u64, u64) {
        let db = self.w.app.db();
        (
            closed_period::Entity::find()
                .count(db)
                .await
                .expect("count"),
            closed_period_total::Entity::find()
                .count(db)
                .await
                .expect("count"),
            closed_period_rank::Entity::find()
                .count(db)
                .await
                .expect("count"),
        )
    }
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

fn total(dimension: &str, key: &str, amount: &str, quantity: i64, entries: i64) -> Value {
    json!({ "dimension": dimension, "key": key, "amount": amount, "quantity": quantity, "entries": entries })
}

#[tokio::test]
async fn a_closed_month_freezes_its_totals_and_ranking_signed_and_audited() {
    let s = scene().await;
    let live = s.report(&s.w.auditor, &s.label).await;
    assert_eq!(live["closed"], false);
    let closed = s.closed().await;
    assert_eq!(closed["period"], s.label.as_str());
    assert_eq!(closed["kind"], "MONTH");
    assert_eq!(closed["tipSeq"], 3);
    assert_eq!(closed["amount"], "720.00");
    assert_eq!(closed["closedBy"]["id"], s.w.officer.user_id.as_str());
    assert_eq!(closed["signature"].as_str().map(str::len), Some(64));
    assert_eq!(
        closed["firstDay"],
        format!("{}-01", s.label).as_str(),
        "{closed}"
    );

    let report = s.report(&s.w.auditor, &s.label).await;
    assert_eq!(report["closed"], true);
    assert_eq!(report["closedPeriod"]["id"], closed["id"]);
    assert_eq!(
        report["total"],
        json!({ "amount": "720.00", "quantity": 16, "entries": 3 })
    );
    assert_eq!(
        report["totals"],
        json!([
            total("ORIGIN_COUNTY", COUNTY, "720.00", 16, 3),
            total("BUYER_KIND", "AGENCY", "90.00", 2, 1),
            total("BUYER_KIND", "CANTEEN", "450.00", 10, 1),
            total("BUYER_KIND", "SCHOOL", "180.00", 4, 1),
            total("CATEGORY", "GRAIN_OIL", "720.00", 16, 3),
            total("MONTH", &s.label, "720.00", 16, 3),
        ])
    );
    assert_eq!(
        report["ranking"],
        json!([
            { "rank": 1, "unitName": "灵寿县第一中学", "reservedShareBp": 1000, "target": "1000.00",
              "purchased": "180.00", "doneBp": 1800, "buyer": { "id": s.school_id } },
            { "rank": 2, "unitName": "灵寿县教育局", "reservedShareBp": 1000, "target": "1000.00",
              "purchased": "90.00", "doneBp": 900, "buyer": { "id": s.agency_id } },
        ])
    );
    // The live report before closing had the same figures.
    assert_eq!(live["totals"], report["totals"]);
    assert_eq!(live["ranking"], report["ranking"]);
    assert_eq!(audited(&s.w, "closePeriod").await, 1);

    let listed =
        s.w.app
            .gql(
                s.w.auditor.token(),
                "query($y: Int) { closedPeriods(regionCode: \"13\", year: $y) { id period } }",
                json!({ "y": s.month.year() }),
            )
            .await;
    assert_eq!(
        listed["data"]["closedPeriods"],
        json!([{ "id": closed["id"], "period": s.label }])
    );
    let by_id =
        s.w.app
            .gql(
                s.w.auditor.token(),
                "query($id: ID!) { closedPeriod(id: $id) { period report { total { amount } } } }",
                json!({ "id": closed["id"] }),
            )
            .await;
    assert_eq!(
        by_id["data"]["closedPeriod"]["report"]["total"]["amount"],
        "720.00"
    );
    let elsewhere =
        s.w.app
            .gql(
                s.w.other_officer.token(),
                "query($id: ID!) { closedPeriod(id: $id) { id } }",
                json!({ "id": closed["id"] }),
            )
            .await;
    assert_eq!(
        elsewhere["data"]["closedPeriod"],
        Value::Null,
        "{elsewhere}"
    );
    let refused =
        s.w.app
            .gql(
                s.w.other_officer.token(),
                REPORT,
                json!({ "r": COUNTY, "p": s.label }),
            )
            .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}

#[tokio::test]
async fn bad_closings_are_refused_with_clear_codes_and_write_nothing() {
    let s = scene().await;
    let db = s.w.app.db();
    let before = (row_counts(db).await, s.stored().await);
    let code = |body: &Value| body["data"]["closePeriod"]["errors"][0]["code"].clone();

    let malformed = s.close(&s.w.officer, COUNTY, "2026-13").await;
    assert_eq!(code(&malformed), "INVALID", "{malformed}");
    assert_eq!(
        malformed["data"]["closePeriod"]["errors"][0]["field"],
        json!(["input", "period"])
    );
    let today = Utc::now().date_naive();
    let current = format!("{:04}-{:02}", today.year(), today.month());
    let open = s.close(&s.w.officer, COUNTY, &current).await;
    assert_eq!(code(&open), "PERIOD_NOT_OVER", "{open}");
    let year = s
        .close(&s.w.officer, COUNTY, &today.year().to_string())
        .await;
    assert_eq!(code(&year), "PERIOD_NOT_OVER", "{year}");
    let outside = s.close(&s.w.other_officer, COUNTY, &s.label).await;
    assert_eq!(error_code(&outside), "FORBIDDEN", "{outside}");
    let buyer = s.close(&s.w.buyer_admin, COUNTY, &s.label).await;
    assert_eq!(error_code(&buyer), "FORBIDDEN", "{buyer}");
    let unknown = s.close(&s.w.admin, "999999", &s.label).await;
    assert_eq!(code(&unknown), "NOT_FOUND", "{unknown}");
    assert_eq!(
        (row_counts(db).await, s.stored().await),
        before,
        "nothing written"
    );

    s.closed().await;
    let after_first = (row_counts(db).await, s.stored().await);
    let twice = s.close(&s.w.officer2, COUNTY, &s.label).await;
    assert_eq!(code(&twice), "ALREADY_CLOSED", "{twice}");
    assert_eq!(
        (row_counts(db).await, s.stored().await),
        after_first,
        "nothing written"
    );
    assert_eq!(audited(&s.w, "closePeriod").await, 1);

    let report = |period: &str, region: &str| {
        s.w.app.gql(
            s.w.auditor.token(),
            REPORT,
            json!({ "r": region, "p": period }),
        )
    };
    assert_eq!(
        error_code(&report("2026-H3", COUNTY).await),
        "BAD_USER_INPUT"
    );
    assert_eq!(error_code(&report(&s.label, "139999").await), "NOT_FOUND");
}

#[tokio::test]
async fn a_refund_after_closing_adjusts_the_next_open_period_and_verification_catches_tampering() {
    let s = scene().await;
    let closed = s.closed().await;
    let frozen = s.report(&s.w.auditor, &s.label).await;
    let refunded = s
        .w
        .app
        .gql(
            s.w.producer_clerk.token(),
            "mutation($input: RefundOrderInput!) { refundOrder(input: $input) { errors { code } } }",
            json!({ "input": { "orderId": s.school_order, "reason": "整批退回", "lines": [] } }),
        )
        .await;
    assert_eq!(
        refunded["data"]["refundOrder"]["errors"],
        json!([]),
        "{refunded}"
    );
    // The refund is dated inside the closed month, recorded after it closed.
    redate(&s.w, 4, s.month).await;

    let again = s.report(&s.w.auditor, &s.label).await;
    assert_eq!(again, frozen, "the closed report never changes");
    let next = s.month + Duration::days(20);
    let next_label = format!("{:04}-{:02}", next.year(), next.month());
    let open = s.report(&s.w.auditor, &next_label).await;
    assert_eq!(open["closed"], false);
    assert_eq!(open["tipSeq"], 4);
    assert_eq!(open["total"]["amount"], "0.00");
    assert_eq!(
        open["adjustments"],
        json!([{
            "entry": { "seq": 4, "amount": "-180.00", "kind": "REFUND", "occurredOn": s.month.to_string() },
            "adjusts": { "period": s.label, "tipSeq": 3 },
        }])
    );
    // Auditors see it flagged (REFUND_AFTER_CLOSE), with the close it came after; the officer
    // of another county does not.
    let flags = |who: &Session| {
        let app = &s.w.app;
        let token = who.token().map(str::to_owned);
        async move {
            app.gql(
                token.as_deref(),
                "{ auditFlags(filter: {kinds: [REFUND_AFTER_CLOSE]}) { totalCount nodes { kind evidence {
                    ... on RefundAfterCloseEvidence { refundSeq amount period tipSeq saleOn } } } } }",
                json!({}),
            )
            .await["data"]["auditFlags"]
                .clone()
        }
    };
    assert_eq!(
        flags(&s.w.auditor).await,
        json!({ "totalCount": 1, "nodes": [{ "kind": "REFUND_AFTER_CLOSE", "evidence": {
            "refundSeq": 4, "amount": "-180.00", "period": s.label, "tipSeq": 3,
            "saleOn": s.month.to_string() } }] })
    );
    assert_eq!(flags(&s.w.other_officer).await["totalCount"], 0);
    // The refund still counts live in its own month, which is not the closed report.
    let verified =
        s.w.app
            .gql(s.w.auditor.token(), VERIFY, json!({ "id": closed["id"] }))
            .await;
    assert_eq!(
        verified["data"]["verifyClosedPeriod"],
        json!({ "matches": true, "chainIntact": true, "checked": 3, "firstMismatchSeq": null,
                "reason": null, "totalsMatch": true, "rankingMatch": true, "signatureMatch": true }),
        "{verified}"
    );

    // Someone with database access inflates the agency's sale (数字脱贫).
    tamper(
        &s.w,
        "UPDATE ledger_entries SET amount_fen = amount_fen * 10 WHERE seq = 2",
    )
    .await;
    let found =
        s.w.app
            .gql(s.w.auditor.token(), VERIFY, json!({ "id": closed["id"] }))
            .await;
    assert_eq!(
        found["data"]["verifyClosedPeriod"],
        json!({ "matches": false, "chainIntact": false, "checked": 1, "firstMismatchSeq": 2,
                "reason": "its content does not match its hash", "totalsMatch": false,
                "rankingMatch": false, "signatureMatch": true }),
        "{found}"
    );
    // A frozen figure altered in place breaks the signature.
    s.w.app
        .db()
        .execute_unprepared("UPDATE closed_periods SET amount_fen = 1")
        .await
        .expect("alter");
    let resigned =
        s.w.app
            .gql(s.w.auditor.token(), VERIFY, json!({ "id": closed["id"] }))
            .await;
    assert_eq!(
        resigned["data"]["verifyClosedPeriod"]["signatureMatch"],
        false
    );
}

#[tokio::test]
async fn a_closed_report_exports_as_xlsx_with_the_columns_officials_use() {
    use calamine::Reader;
    let s = scene().await;
    let closed = s.closed().await;
    let id = closed["id"].as_str().expect("id");
    let get = |token: Option<String>| {
        let mut request =
            s.w.app
                .client
                .get(s.w.app.url(&format!("/exports/closed-period.xlsx?id={id}")));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let response = get(s.w.auditor.token().map(str::to_owned))
        .await
        .expect("response");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let bytes = response.bytes().await.expect("bytes");
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("a workbook");
    let ranking = book.worksheet_range("排名").expect("ranking sheet");
    let text = |s: &str| calamine::Data::String(s.to_owned());
    let rows: Vec<Vec<calamine::Data>> = ranking.rows().map(<[calamine::Data]>::to_vec).collect();
    assert_eq!(
        rows,
        vec![
            vec![
                text("单位"),
                text("预留份额"),
                text("采购金额(元)"),
                text("完成率"),
                text("排名")
            ],
            vec![
                text("灵寿县第一中学"),
                text("10.00%"),
                text("180.00"),
                text("18.00%"),
                calamine::Data::Float(1.0)
            ],
            vec![
                text("灵寿县教育局"),
                text("10.00%"),
                text("90.00"),
                text("9.00%"),
                calamine::Data::Float(2.0)
            ],
        ]
    );
    let totals = book.worksheet_range("合计").expect("totals sheet");
    assert_eq!(totals.get((0, 0)), Some(&text("维度")));
    assert_eq!(totals.get((1, 0)), Some(&text("合计")));
    assert_eq!(totals.get((1, 2)), Some(&text("720.00")));

    let anonymous = get(None).await.expect("response");
    assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
    let elsewhere = get(s.w.other_officer.token().map(str::to_owned))
        .await
        .expect("response");
    assert_eq!(elsewhere.status(), reqwest::StatusCode::NOT_FOUND);
}

/// The report for a year of a large ledger, timed (issue 15: under 5 s for ~1,000,000 entries
/// on PostgreSQL): `PERIODS_BENCH_URL=postgres://… cargo test --test api periods::bench --
/// --ignored --nocapture`, against a database holding such a year (bench/RESULTS.md).
#[tokio::test]
#[ignore = "needs PERIODS_BENCH_URL, a database with a generated year"]
async fn bench_a_year_of_entries_is_reported_in_seconds() {
    use fupin_market::reporting::periods;
    let url = std::env::var("PERIODS_BENCH_URL").expect("PERIODS_BENCH_URL");
    let year = std::env::var("PERIODS_BENCH_YEAR").unwrap_or_else(|_| "2025".into());
    let db = sea_orm::Database::connect(url).await.expect("connect");
    let head = ledger_head::Entity::find_by_id(1)
        .one(&db)
        .await
        .expect("head")
        .expect("a head");
    let period = periods::parse_period(&year).expect("a year");
    for region in ["13", "1301"] {
        let started = std::time::Instant::now();
        let report = periods::compute(&db, region, &period, head.seq, &head.last_hash)
            .await
            .expect("report");
        let elapsed = started.elapsed();
        println!(
            "region {region}, {year}: {} entries, {} rows, {} ranked in {elapsed:?}",
            report.total.entries,
            report.totals.len(),
            report.ranking.len()
        );
        assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");
    }
}
