//! The benchmark's data generator (`fupin-market generate`): the same seed gives the same
//! world, and what it writes holds to the ledger's own rules (an intact chain, rollups that
//! add up to the entries).

use fupin_market::generator::{self, Options, PASSWORD, Report, ScaleName};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::harness::TestApp;

async fn generated(seed: u64) -> (TestApp, Report) {
    let app = TestApp::spawn().await;
    let options = Options {
        scale: ScaleName::Tiny.scale(),
        seed,
        divisions: None,
    };
    let (report, _) = generator::generate(app.db(), &options)
        .await
        .expect("generate");
    (app, report)
}

/// Parses a `Money` string ("12.30") into fen.
fn fen(money: &Value) -> i64 {
    let text = money.as_str().unwrap_or_else(|| panic!("money: {money}"));
    let (yuan, cents) = text.split_once('.').unwrap_or((text, "0"));
    let sign = if yuan.starts_with('-') { -1 } else { 1 };
    let yuan: i64 = yuan.trim_start_matches('-').parse().expect("yuan");
    sign * (yuan * 100 + format!("{cents:0<2}").parse::<i64>().expect("fen"))
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let backend = app.db().get_database_backend();
    let row = app
        .db()
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<i64>(0).expect("integer")
}

#[tokio::test]
async fn the_same_seed_generates_the_same_world_and_another_seed_another() {
    let (first, report) = generated(7).await;
    let (_second, again) = generated(7).await;
    assert_eq!(report, again);
    let (_third, other) = generated(8).await;
    assert_ne!(report.last_hash, other.last_hash);

    assert_eq!(report.counties, 5);
    assert_eq!(report.producers, 60);
    assert_eq!(report.products, 300);
    assert_eq!(report.orders, 400);
    assert!(report.ledger_entries > 400, "{report:?}");
    assert_eq!(
        scalar(&first, "SELECT COUNT(*) FROM ledger_entries").await,
        report.ledger_entries as i64
    );

    // Filling a database twice would mix two worlds.
    let refused = generator::generate(
        first.db(),
        &Options {
            scale: ScaleName::Tiny.scale(),
            seed: 7,
            divisions: None,
        },
    )
    .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn a_generated_ledger_verifies_and_its_rollups_add_up() {
    let (app, report) = generated(11).await;
    let admin = app.login("bench-admin", PASSWORD).await;
    let verified = app
        .gql(
            admin.token(),
            "query { verifyLedger { intact checked reason } }",
            json!({}),
        )
        .await;
    assert_eq!(
        verified["data"]["verifyLedger"]["intact"],
        json!(true),
        "{verified}"
    );
    assert_eq!(
        verified["data"]["verifyLedger"]["checked"],
        json!(report.ledger_entries)
    );

    let entries_total = scalar(
        &app,
        "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM ledger_entries",
    )
    .await;
    let summary = |group_by: &'static str| {
        let app = &app;
        let token = admin.token().map(str::to_owned);
        async move {
            let body = app
                .gql(
                    token.as_deref(),
                    &format!("query {{ ledgerSummary(groupBy: [{group_by}]) {{ total groups {{ keys {{ value }} amount entries }} }} }}"),
                    json!({}),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
            body["data"]["ledgerSummary"].clone()
        }
    };
    // By county and by kind × month come from the county rollup; county × category from the
    // fine one; both agree with the entries themselves.
    let by_county = summary("COUNTY").await;
    let by_county_category = summary("COUNTY, CATEGORY").await;
    let by_kind_month = summary("BUYER_KIND, MONTH").await;
    for found in [&by_county, &by_county_category, &by_kind_month] {
        assert_eq!(fen(&found["total"]), entries_total);
    }
    let counties = by_county["groups"].as_array().expect("groups");
    assert_eq!(counties.len(), report.counties);
    for county in counties {
        let code = county["keys"][0]["value"].clone();
        let (amount, entries) = by_county_category["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .filter(|g| g["keys"][0]["value"] == code)
            .fold((0, 0), |(a, e), g| {
                (
                    a + fen(&g["amount"]),
                    e + g["entries"].as_i64().expect("entries"),
                )
            });
        assert_eq!(amount, fen(&county["amount"]), "county {code}");
        assert_eq!(
            entries,
            county["entries"].as_i64().expect("entries"),
            "county {code}"
        );
    }
}
