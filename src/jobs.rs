//! Periodic jobs run once per period across instances (the unsold scan, the red-warning check):
//! every instance runs the loop, and a claim row per job and period (its primary key decides the
//! race, in the job's own transaction) makes the work happen once, and again if a claimed run
//! failed and rolled back.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::job_run;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, OnConflict},
};

use crate::{error::AppResult, state::Services};

/// Runs `check` every `interval` (at least once a minute, so a claim missed by one instance is
/// taken by the next tick) until aborted; `None` when the interval is zero: this instance runs
/// no such check. `check` reports what it did, or `None` when another instance had the period.
pub fn spawn_every<F, Fut>(
    services: Services,
    interval: Duration,
    name: &'static str,
    check: F,
) -> Option<tokio::task::JoinHandle<()>>
where
    F: Fn(Services, DateTime<Utc>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = AppResult<Option<String>>> + Send,
{
    if interval.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval.min(Duration::from_secs(60)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticker.tick().await;
            match check(services.clone(), Utc::now()).await {
                Ok(Some(outcome)) => tracing::info!(job = name, %outcome, "periodic check"),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(job = name, error = %error.message(), "periodic check failed");
                }
            }
        }
    }))
}

/// The period `now` falls in, named by its length and index.
pub fn period_of(now: DateTime<Utc>, interval: Duration) -> String {
    let seconds = i64::try_from(std::cmp::max(interval.as_secs(), 1)).unwrap_or(i64::MAX);
    format!("{seconds}s#{}", now.timestamp().div_euclid(seconds))
}

/// Claims `period` of `job` for this instance; false when another claimed it first.
pub async fn claim(
    txn: &DatabaseTransaction,
    job: &str,
    period: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let claim = job_run::ActiveModel {
        job: Set(job.to_owned()),
        period: Set(period.to_owned()),
        started_at: Set(now),
        affected: Set(0),
    };
    let claimed = job_run::Entity::insert(claim)
        .on_conflict(
            OnConflict::columns([job_run::Column::Job, job_run::Column::Period])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(claimed != 0)
}

/// Records on the claim how many rows the run changed.
pub async fn record_affected(
    txn: &DatabaseTransaction,
    job: &str,
    period: &str,
    affected: u64,
) -> AppResult<()> {
    job_run::Entity::update_many()
        .col_expr(
            job_run::Column::Affected,
            Expr::value(i32::try_from(affected).unwrap_or(i32::MAX)),
        )
        .filter(job_run::Column::Job.eq(job))
        .filter(job_run::Column::Period.eq(period))
        .exec(txn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_named_by_length_and_index() {
        let at = DateTime::from_timestamp(7_200, 0).expect("time");
        let hour = Duration::from_secs(3600);
        assert_eq!(period_of(at, hour), "3600s#2");
        assert_eq!(
            period_of(at + chrono::Duration::seconds(3599), hour),
            "3600s#2"
        );
        assert_eq!(
            period_of(at + chrono::Duration::seconds(3600), hour),
            "3600s#3"
        );
    }
}
