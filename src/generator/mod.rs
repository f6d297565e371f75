//! `generate`: a realistic data set for load tests, on the real division tree, deterministic
//! given a seed. Poor counties away from the eastern provinces, each paired with an eastern city
//! (东西部协作); producers in their villages with products, price histories and certifications;
//! buyers mostly in the helping cities, buying again and again from the producers they know;
//! a year of orders to 2026-11-23 and the hash-chained ledger of every receipt, with its rollups.
//!
//! Rows are written in one transaction, in batched multi-row inserts, so a failed run leaves
//! the database as it was. Every account's password is [`PASSWORD`].

// Synthetic data: sizes and offsets are small by construction, so plain casts read best.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod scale;
mod world;

use std::{path::PathBuf, time::Instant};

use anyhow::{Context, bail};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Iterable,
    PaginatorTrait, Statement, TransactionTrait,
};

pub use scale::{Scale, ScaleName};

/// The password of every generated account (`bench-admin`, `bench-officer-<county>`,
/// `bench-p00000`…, `bench-b0000`…).
pub const PASSWORD: &str = "fupin-bench";

pub struct Options {
    pub scale: Scale,
    pub seed: u64,
    /// The `china-division` tables; `None` uses the embedded demo subset (enough for `tiny`).
    pub divisions: Option<PathBuf>,
}

/// What was written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub counties: usize,
    pub villages: usize,
    pub producers: usize,
    pub products: usize,
    pub certifications: usize,
    pub price_changes: usize,
    pub buyers: usize,
    pub users: usize,
    pub orders: usize,
    pub order_lines: usize,
    pub ledger_entries: usize,
    pub ledger_tallies: usize,
    pub county_tallies: usize,
    /// The ledger's tip: the same seed gives the same hash.
    pub last_hash: String,
}

/// Fills an empty database (regions may be there already) and returns what it wrote.
pub async fn generate(
    db: &DatabaseConnection,
    options: &Options,
) -> anyhow::Result<(Report, u128)> {
    let started = Instant::now();
    if entity::product::Entity::find().count(db).await? > 0
        || entity::order::Entity::find().count(db).await? > 0
    {
        bail!("the database already holds products or orders: generate into an empty one");
    }
    match &options.divisions {
        Some(dir) => crate::region::import::import_dir(db, dir, None).await,
        None => crate::region::import::import_embedded(db).await,
    }
    .map_err(crate::error::AppError::into_anyhow)
    .context("importing the division tree")?;
    let password_hash = crate::auth::password::hash(PASSWORD.to_owned())
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    let txn = db.begin().await?;
    let report = world::build(&txn, options, password_hash).await?;
    migration::backfill_reputation(&txn).await?;
    txn.commit().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok((report, started.elapsed().as_millis()))
}

/// Inserts rows in multi-row statements, as many per statement as stays under both databases'
/// parameter limits.
async fn insert_all<A>(conn: &impl ConnectionTrait, rows: Vec<A>) -> anyhow::Result<()>
where
    A: ActiveModelTrait + Send,
{
    let columns = <A::Entity as EntityTrait>::Column::iter().count().max(1);
    let per_statement = (30_000 / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

async fn execute(conn: &impl ConnectionTrait, sql: &str) -> anyhow::Result<()> {
    let backend = conn.get_database_backend();
    conn.execute_raw(Statement::from_string(backend, sql))
        .await?;
    Ok(())
}
