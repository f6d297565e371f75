//! Prometheus metrics: requests and latency by GraphQL operation, database queries, pool use.

use std::{
    collections::HashSet,
    sync::{Mutex, atomic::AtomicU64},
    time::Duration,
};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};
use sea_orm::{DatabaseConnection, DbBackend};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

type HistogramFamily = Family<OperationLabels, Histogram, fn() -> Histogram>;

/// Most distinct operation names kept as labels; the rest count as `other` so a client cannot
/// grow the series without bound.
const MAX_OPERATION_LABELS: usize = 500;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    db_queries: Counter<u64, AtomicU64>,
    db_failed_queries: Counter<u64, AtomicU64>,
    pool: Family<PoolLabels, Gauge>,
    operations: Mutex<HashSet<String>>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("fupin");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let db_queries = Counter::default();
        let db_failed_queries = Counter::default();
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "graphql_requests",
            "GraphQL requests by operation and HTTP status",
            requests.clone(),
        );
        registry.register(
            "graphql_request_duration_seconds",
            "GraphQL request latency by operation",
            latency.clone(),
        );
        registry.register("db_queries", "SQL statements executed", db_queries.clone());
        registry.register(
            "db_failed_queries",
            "SQL statements that returned an error",
            db_failed_queries.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections by state",
            pool.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            db_queries,
            db_failed_queries,
            pool,
            operations: Mutex::default(),
        }
    }
}

impl Metrics {
    /// The label for an operation name: bounded in length, alphabet and count.
    pub fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".to_owned();
        };
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return "other".to_owned();
        }
        let mut seen = self
            .operations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.contains(name) || seen.len() < MAX_OPERATION_LABELS {
            seen.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".to_owned()
        }
    }

    pub fn observe_request(&self, operation: String, status: u16, elapsed: Duration) {
        self.latency
            .get_or_create(&OperationLabels {
                operation: operation.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels { operation, status })
            .inc();
    }

    pub fn observe_query(&self, failed: bool) {
        self.db_queries.inc();
        if failed {
            self.db_failed_queries.inc();
        }
    }

    /// The text exposition, with pool gauges read now.
    pub fn render(&self, db: &DatabaseConnection) -> String {
        let (size, idle) = match db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (
                    pool.size(),
                    u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                )
            }
            DbBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                (
                    pool.size(),
                    u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                )
            }
            _ => (0, 0),
        };
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(idle));
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(size.saturating_sub(idle)));
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            tracing::error!("metrics encoding failed");
        }
        text
    }
}
