//! Opening the database (SQLite by default, PostgreSQL when the URL says so) and migrating it.

use std::{path::Path, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
    TransactionTrait,
};

/// Where `cargo run` keeps its data when nothing is configured.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}/fupin.db?mode=rwc", data_dir.display())
}

#[derive(Clone, Debug, Default)]
pub struct PoolOptions {
    pub max_connections: Option<u32>,
    /// PostgreSQL schema to work in (tests use one per test).
    pub schema: Option<String>,
}

pub async fn connect(url: &str, options: PoolOptions) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // A ping on every checkout is one more round trip per query outside a transaction;
        // only connections idle long enough to have been dropped are checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One connection serialises writers: SQLite has no row locks, and a larger pool turns
        // concurrent writes into "database is locked" errors.
        opts.max_connections(1).min_connections(1);
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    } else {
        opts.max_connections(options.max_connections.unwrap_or(16))
            .min_connections(1);
        if let Some(schema) = &options.schema {
            opts.set_schema_search_path(schema.clone());
        }
    }
    Database::connect(opts).await
}

/// A fixed key for the PostgreSQL advisory lock that serialises migrations across instances.
const MIGRATION_LOCK_KEY: i64 = 0x6675_7069_6e6d_6967; // "fupinmig"

/// Applies pending migrations. On PostgreSQL several instances may start at once: they take a
/// transaction-scoped advisory lock and migrate inside that transaction, one after another.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [MIGRATION_LOCK_KEY.into()],
            ))
            .await?;
            match Migrator::up(&txn, None).await {
                Ok(()) => txn.commit().await,
                Err(error) => {
                    // Release the lock now: other instances are waiting on it.
                    txn.rollback().await.ok();
                    Err(error)
                }
            }
        }
        _ => Migrator::up(db, None).await,
    }
}

/// The URL with any password masked, for log lines and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/fupin"),
            "postgres://app:***@db:5432/fupin"
        );
        assert_eq!(
            redact_url("postgres://root@127.0.0.1/test"),
            "postgres://root@127.0.0.1/test"
        );
        assert_eq!(
            redact_url("sqlite://./data/fupin.db?mode=rwc"),
            "sqlite://./data/fupin.db?mode=rwc"
        );
    }
}
