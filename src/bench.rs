//! `bench-ledger-summary`: fills an empty PostgreSQL ledger with generated entries and times
//! `ledgerSummary` by county for a year over them. For a scratch database only: the generated
//! entries are not hash-chained.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sea_orm::{Condition, ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::ledger::summary::{self, LedgerDimension, SummaryFilter};

pub struct Report {
    pub entries: i64,
    pub tallies: i64,
    pub generate: Duration,
    pub runs: Vec<Duration>,
    pub groups: usize,
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

pub async fn ledger_summary(
    db: &DatabaseConnection,
    entries: i64,
    runs: usize,
) -> anyhow::Result<Report> {
    if db.get_database_backend() != DbBackend::Postgres {
        bail!("the ledger benchmark runs on PostgreSQL (set DATABASE_URL)");
    }
    if scalar(db, "SELECT COUNT(*)::bigint FROM ledger_entries").await? > 0 {
        bail!("the ledger is not empty: run the benchmark on a scratch database");
    }
    crate::region::import::import_embedded(db)
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    let started = Instant::now();
    // 500 buyers each buying again and again from ~20 producers; each producer sits in one
    // village and sells one category, as real ones mostly do.
    let script = format!(
        "CREATE TEMP TABLE bench_buyers AS
           SELECT n, gen_random_uuid() AS id, (ARRAY['AGENCY','SCHOOL','HOSPITAL','CANTEEN','SUPERMARKET'])[1 + n % 5] AS kind
           FROM generate_series(0, 499) n;
         CREATE TEMP TABLE bench_producers AS
           WITH v AS (SELECT array_agg(code ORDER BY code) AS codes FROM regions WHERE level = 'VILLAGE')
           SELECT n, gen_random_uuid() AS id, v.codes[1 + n % array_length(v.codes, 1)] AS region,
                  (ARRAY['GrainOil','Vegetables','Fruit','Meat','PoultryEggs','Aquatic','EdibleFungi','HerbalMedicine','Tea','ProcessedFood','Handicrafts','RuralTourism','LabourServices'])[1 + n % 13] AS category,
                  n % 3 = 0 AS certified
           FROM generate_series(0, 1999) n, v;
         INSERT INTO ledger_entries (id, seq, kind, order_id, order_line_id, buyer_org_id, buyer_kind, producer_org_id,
             product_id, product_name, category, quantity, amount_fen, region_code, province_code, city_code, county_code,
             township_code, village_code, province_status, city_status, county_status, township_status, village_status,
             certified, poor_households_linked, paired, reporting_year, occurred_on, recorded_at, prev_hash, hash)
           SELECT gen_random_uuid(), g, 'SALE', gen_random_uuid(), gen_random_uuid(), b.id, b.kind, p.id,
             gen_random_uuid(), 'bench', p.category, 1 + g % 20, (1 + g % 20) * 4500, p.region,
             substr(p.region, 1, 2), substr(p.region, 1, 4), substr(p.region, 1, 6), substr(p.region, 1, 9), p.region,
             'NOT_POOR', 'NOT_POOR', 'POOR', 'NOT_POOR', 'NOT_POOR', p.certified, 10, g % 7 = 0, 2026,
             DATE '2026-01-01' + (g % 365), now(), '', ''
           FROM generate_series(1, {entries}) g
           JOIN bench_buyers b ON b.n = g % 500
           JOIN bench_producers p ON p.n = (b.n * 7 + (g / 500) % 20) % 2000;
         INSERT INTO ledger_tallies (id, month, region_code, buyer_org_id, buyer_kind, producer_org_id, category,
             certified, paired, amount_fen, quantity, entries)
           SELECT gen_random_uuid(), to_char(occurred_on, 'YYYY-MM'), region_code, buyer_org_id, buyer_kind,
             producer_org_id, category, certified, paired, SUM(amount_fen), SUM(quantity), COUNT(*)
           FROM ledger_entries GROUP BY 2, 3, 4, 5, 6, 7, 8, 9;
         UPDATE ledger_head SET seq = {entries};
         ANALYZE ledger_entries; ANALYZE ledger_tallies;"
    );
    db.execute_unprepared(&script)
        .await
        .context("generating the ledger")?;
    let generate = started.elapsed();
    let (from, to) = summary::year_months(2026);
    let filter = SummaryFilter {
        from_month: Some(from),
        to_month: Some(to),
        ..SummaryFilter::default()
    };
    let mut timings = Vec::with_capacity(runs);
    let mut groups = 0;
    for _ in 0..runs {
        let run = Instant::now();
        groups = summary::summarize(db, &[LedgerDimension::County], &filter, Condition::all())
            .await
            .map_err(crate::error::AppError::into_anyhow)?
            .len();
        timings.push(run.elapsed());
    }
    timings.sort();
    Ok(Report {
        entries: scalar(db, "SELECT COUNT(*)::bigint FROM ledger_entries").await?,
        tallies: scalar(db, "SELECT COUNT(*)::bigint FROM ledger_tallies").await?,
        generate,
        runs: timings,
        groups,
    })
}
