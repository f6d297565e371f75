//! Red warnings (红色预警): a periodic check flags buyer units with a declared target and
//! regions with an allocated task that are behind their pro-rata pace by more than the
//! configured margin (`RED_WARNING_MARGIN_BP`), records each warning with its figures, keeps
//! them current while the subject stays behind and closes them when it catches up. Like the
//! unsold scan, every instance runs the loop and a claim row per period (`job_runs`) makes the
//! check run once per period; each change goes out on the event bus after commit.
//!
//! Warnings of a year close when the year is over (the check judges the current year only).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::red_warning::{self, RedWarningStatus, WarningSubject};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, Set, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    allocations, purchases,
    ranking::{self, far_behind, pace},
};
use crate::{
    error::AppResult,
    ids::new_uuid,
    jobs,
    live::events::{Event, RedWarningChanged},
    state::Services,
    webhooks::outbox::{self, EventKind},
};

pub const JOB: &str = "red-warning-check";
const INSERT_CHUNK: usize = 500;

/// What one call did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckOutcome {
    /// False when another instance had already claimed this period.
    pub ran: bool,
    pub opened: Vec<Uuid>,
    pub updated: Vec<Uuid>,
    pub closed: Vec<Uuid>,
}

/// A subject behind its pace by more than the margin, with the figures on the day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub buyer: Option<Uuid>,
    pub region_code: String,
    pub target_fen: i64,
    pub pace_fen: i64,
    pub bought_fen: i64,
}

impl Finding {
    pub fn subject_key(&self) -> String {
        subject_key(self.buyer, &self.region_code)
    }

    pub fn shortfall_fen(&self) -> i64 {
        (self.pace_fen - self.bought_fen).max(0)
    }
}

fn subject_key(buyer: Option<Uuid>, region_code: &str) -> String {
    match buyer {
        Some(id) => format!("B:{}", id.simple()),
        None => format!("R:{region_code}"),
    }
}

/// The figures on `on` of every subject among `standings` with a target.
pub fn measure(
    standings: impl IntoIterator<Item = ranking::Standing>,
    year: i32,
    on: NaiveDate,
) -> Vec<Finding> {
    standings
        .into_iter()
        .filter_map(|s| {
            let target_fen = s.target_fen.filter(|t| *t > 0)?;
            Some(Finding {
                buyer: s.buyer,
                region_code: s.region_code,
                target_fen,
                pace_fen: pace(target_fen, year, on),
                bought_fen: s.bought_fen,
            })
        })
        .collect()
}

/// Whether a subject's figures call for a warning: behind its pace by more than `margin_bp`.
pub fn warned(figures: &Finding, margin_bp: i32) -> bool {
    far_behind(figures.bought_fen, figures.pace_fen, margin_bp)
}

/// Checks once for the period containing `now`, unless that period was claimed already.
pub async fn run(services: &Services, now: DateTime<Utc>) -> AppResult<CheckOutcome> {
    let settings = &services.settings;
    let period = jobs::period_of(now, settings.red_warning_interval);
    let txn = services.db.begin().await?;
    if !jobs::claim(&txn, JOB, &period, now).await? {
        return Ok(CheckOutcome::default());
    }
    let (year, on) = (now.year(), now.date_naive());
    let mut standings = ranking::unit_standings(&txn, None, year, "", None).await?;
    standings.retain(|s| s.target_fen.is_some_and(|t| t > 0));
    standings.extend(region_standings(&txn, year).await?);
    let measured = measure(standings, year, on);
    let outcome = apply(&txn, &measured, year, now, settings.red_warning_margin_bp).await?;
    let affected = outcome.opened.len() + outcome.updated.len() + outcome.closed.len();
    jobs::record_affected(&txn, JOB, &period, affected as u64).await?;
    let changed: Vec<Uuid> = outcome
        .opened
        .iter()
        .chain(&outcome.updated)
        .chain(&outcome.closed)
        .copied()
        .collect();
    let rows = load_many(&txn, &changed).await?;
    if outbox::anyone_listens(&txn, EventKind::RedWarning).await? {
        for row in &rows {
            outbox::enqueue(&txn, &settings.webhooks, outbox::red_warning(row)).await?;
        }
    }
    txn.commit().await?;
    services.bus.publish(rows.iter().map(|w| {
        Event::RedWarningChanged(RedWarningChanged {
            warning_id: w.id,
            buyer_id: w.buyer_id,
            region_code: w.region_code.clone(),
        })
    }));
    Ok(outcome)
}

/// Every region holding a task for `year`, against what the units located in it bought.
async fn region_standings(
    conn: &impl ConnectionTrait,
    year: i32,
) -> AppResult<Vec<ranking::Standing>> {
    let held = allocations::held_within(conn, year, "").await?;
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let places = purchases::bought_by_place(conn, None, year, "").await?;
    let mut lengths: Vec<usize> = held.keys().map(String::len).collect();
    lengths.sort_unstable();
    lengths.dedup();
    let by_length: HashMap<usize, HashMap<String, i64>> = lengths
        .into_iter()
        .map(|n| (n, purchases::by_prefix(&places, n)))
        .collect();
    Ok(held
        .into_iter()
        .map(|(code, target)| ranking::Standing {
            buyer: None,
            name: String::new(),
            bought_fen: by_length
                .get(&code.len())
                .and_then(|sums| sums.get(&code))
                .copied()
                .unwrap_or(0),
            target_fen: Some(target),
            region_code: code,
        })
        .collect())
}

fn set_figures(row: &mut red_warning::ActiveModel, figures: &Finding, margin_bp: i32) {
    row.target_fen = Set(figures.target_fen);
    row.pace_fen = Set(figures.pace_fen);
    row.bought_fen = Set(figures.bought_fen);
    row.shortfall_fen = Set(figures.shortfall_fen());
    row.margin_bp = Set(margin_bp);
}

/// Opens, updates and closes warnings so the open ones are exactly the `measured` subjects
/// that are [`warned`] (for `year`); a warning closes with the figures it caught up with.
async fn apply(
    txn: &DatabaseTransaction,
    measured: &[Finding],
    year: i32,
    now: DateTime<Utc>,
    margin_bp: i32,
) -> AppResult<CheckOutcome> {
    let found: Vec<&Finding> = measured.iter().filter(|f| warned(f, margin_bp)).collect();
    let open: HashMap<(String, i32), red_warning::Model> = red_warning::Entity::find()
        .filter(red_warning::Column::Status.eq(RedWarningStatus::Open))
        .all(txn)
        .await?
        .into_iter()
        .map(|w| ((w.subject_key.clone(), w.year), w))
        .collect();
    let mut outcome = CheckOutcome {
        ran: true,
        ..CheckOutcome::default()
    };
    let mut fresh = Vec::new();
    let mut still = std::collections::HashSet::new();
    for finding in found.iter().copied() {
        let key = (finding.subject_key(), year);
        match open.get(&key) {
            Some(warning) => {
                still.insert(warning.id);
                let same = warning.target_fen == finding.target_fen
                    && warning.pace_fen == finding.pace_fen
                    && warning.bought_fen == finding.bought_fen
                    && warning.margin_bp == margin_bp;
                if !same {
                    let mut row = warning.clone().into_active_model();
                    set_figures(&mut row, finding, margin_bp);
                    row.updated_at = Set(now);
                    row.update(txn).await?;
                    outcome.updated.push(warning.id);
                }
            }
            None => {
                let warning = opened(finding, year, now, margin_bp);
                outcome.opened.push(warning.id);
                fresh.push(warning);
            }
        }
    }
    for chunk in fresh.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().cloned().map(red_warning::ActiveModel::from);
        red_warning::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    let figures: HashMap<String, &Finding> =
        measured.iter().map(|f| (f.subject_key(), f)).collect();
    let mut caught_up: Vec<&red_warning::Model> =
        open.values().filter(|w| !still.contains(&w.id)).collect();
    caught_up.sort_by_key(|w| w.id);
    // Those with figures this year close with them, one by one (few catch up per period);
    // the rest (a past year, a target withdrawn) close as they stand, together.
    let mut as_they_stand = Vec::new();
    for warning in &caught_up {
        match figures
            .get(&warning.subject_key)
            .filter(|_| warning.year == year)
        {
            Some(current) => {
                let mut row = (*warning).clone().into_active_model();
                set_figures(&mut row, current, margin_bp);
                row.status = Set(RedWarningStatus::Closed);
                row.closed_at = Set(Some(now));
                row.updated_at = Set(now);
                row.update(txn).await?;
            }
            None => as_they_stand.push(warning.id),
        }
    }
    for chunk in as_they_stand.chunks(INSERT_CHUNK) {
        red_warning::Entity::update_many()
            .col_expr(
                red_warning::Column::Status,
                Expr::value(RedWarningStatus::Closed),
            )
            .col_expr(red_warning::Column::ClosedAt, Expr::value(Some(now)))
            .col_expr(red_warning::Column::UpdatedAt, Expr::value(now))
            .filter(red_warning::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    outcome.closed = caught_up.iter().map(|w| w.id).collect();
    Ok(outcome)
}

fn opened(finding: &Finding, year: i32, now: DateTime<Utc>, margin_bp: i32) -> red_warning::Model {
    red_warning::Model {
        id: new_uuid(),
        subject_kind: if finding.buyer.is_some() {
            WarningSubject::Buyer
        } else {
            WarningSubject::Region
        },
        subject_key: finding.subject_key(),
        buyer_id: finding.buyer,
        region_code: finding.region_code.clone(),
        year,
        target_fen: finding.target_fen,
        pace_fen: finding.pace_fen,
        bought_fen: finding.bought_fen,
        shortfall_fen: finding.shortfall_fen(),
        margin_bp,
        status: RedWarningStatus::Open,
        opened_at: now,
        updated_at: now,
        closed_at: None,
    }
}

async fn load_many(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> AppResult<Vec<red_warning::Model>> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(INSERT_CHUNK) {
        rows.extend(
            red_warning::Entity::find()
                .filter(red_warning::Column::Id.is_in(chunk.to_vec()))
                .all(conn)
                .await?,
        );
    }
    Ok(rows)
}

/// Runs the check on every instance, each minute (or each period, if shorter); the claim keeps
/// it to once per period.
pub fn spawn(services: Services) -> Option<tokio::task::JoinHandle<()>> {
    let interval = services.settings.red_warning_interval;
    jobs::spawn_every(
        services,
        interval,
        "red-warning check",
        |services, now| async move {
            let o = run(&services, now).await?;
            Ok(o.ran.then(|| {
                format!(
                    "opened {}, updated {}, closed {}",
                    o.opened.len(),
                    o.updated.len(),
                    o.closed.len()
                )
            }))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("a day")
    }

    fn standing(buyer: Option<Uuid>, target: Option<i64>, bought: i64) -> ranking::Standing {
        ranking::Standing {
            buyer,
            name: String::new(),
            region_code: "130126".into(),
            target_fen: target,
            bought_fen: bought,
        }
    }

    #[test]
    fn only_subjects_with_a_target_and_far_behind_are_warned() {
        let unit = Uuid::now_v7();
        // 31 Dec: the pace is the whole target.
        let measured = measure(
            [
                standing(Some(unit), Some(10_000), 7_999),
                standing(Some(Uuid::now_v7()), Some(10_000), 8_000),
                standing(Some(Uuid::now_v7()), None, 0),
                standing(None, Some(1_000), 0),
            ],
            2026,
            day(12, 31),
        );
        assert_eq!(measured.len(), 3, "those with a target");
        let found: Vec<&Finding> = measured.iter().filter(|f| warned(f, 2000)).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].buyer, Some(unit));
        assert_eq!(found[0].shortfall_fen(), 2_001);
        assert_eq!(found[0].subject_key(), format!("B:{}", unit.simple()));
        assert_eq!(found[1].subject_key(), "R:130126");
        assert_eq!(found[1].pace_fen, 1_000);
    }
}
