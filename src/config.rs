//! Settings the running service reads; the CLI fills them from flags and the environment.

use std::time::Duration;

use crate::rate_limit::Quota;

/// Limits that keep one request from taking the server down.
#[derive(Clone, Debug)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_mutations: usize,
    /// Under `__schema`/`__type`, bounded by the schema: the standard introspection query of
    /// GraphQL tooling nests 15 deep and costs about 310,000 by our estimate, which grows with
    /// the schema (a test runs it): the limit leaves room for the schema to double.
    pub max_introspection_depth: usize,
    pub max_introspection_complexity: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 5_000,
            max_aliases: 30,
            max_root_mutations: 5,
            max_introspection_depth: 20,
            max_introspection_complexity: 700_000,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// HS256 key for access tokens.
    pub jwt_secret: Vec<u8>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub request_timeout: Duration,
    pub body_limit: usize,
    pub query_limits: QueryLimits,
    /// Login attempts for one account, and from one client address.
    pub login_quota_account: Quota,
    pub login_quota_ip: Quota,
    /// Prefix of every Redis key, so several deployments (or tests) can share one Redis.
    pub redis_prefix: String,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted load balancer).
    pub trust_forwarded_for: bool,
    /// Days a county-approved certification is publicly noticed (公示) before it takes effect.
    pub certification_notice_days: u32,
    /// Days a certificate is valid once in effect.
    pub certification_validity_days: u32,
    /// Requests of one signed-in user, and from one client address, across instances
    /// (`None`: unlimited).
    pub request_quota_user: Option<Quota>,
    pub request_quota_ip: Option<Quota>,
    /// Days in stock without an order before a published product is flagged as unsold.
    pub unsold_after_days: i64,
    /// How often the unsold-produce scan runs (zero: never).
    pub unsold_scan_interval: Duration,
    /// The thresholds of the auditors' flags (`reporting::flags`).
    pub audit_flags: FlagThresholds,
    /// How far behind its pro-rata pace a unit or region falls before a red warning (红色预警),
    /// in basis points of the pace: 2000 flags those that bought less than 80% of it.
    pub red_warning_margin_bp: i32,
    /// How often the red-warning check runs (zero: never).
    pub red_warning_interval: Duration,
    /// How often the overdue-payment check runs (zero: never).
    pub overdue_check_interval: Duration,
    /// How often quality-mark certificates are checked for expiry (zero: never).
    pub quality_mark_check_interval: Duration,
    /// The largest file `uploadFile` takes, in bytes (`FILE_MAX_BYTES`).
    pub file_max_bytes: u64,
    /// S3-compatible object storage for files; `None` keeps them in the database.
    pub s3: Option<S3Config>,
    pub webhooks: WebhookSettings,
}

/// How webhooks are checked and sent (`WEBHOOK_*`).
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// In production (`APP_ENV=production`) endpoints are HTTPS on public addresses only.
    pub production: bool,
    /// How long an endpoint has to answer a delivery.
    pub timeout: Duration,
    /// The wait after the first failed attempt; each later one doubles it, up to `retry_cap`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// How long a delivery is retried before it fails for good and its endpoint is disabled.
    pub give_up_after: Duration,
    /// How often this instance looks for due deliveries (zero: it sends none).
    pub poll_interval: Duration,
    /// How long delivered and failed deliveries stay in the log.
    pub keep_for: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            production: false,
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(30),
            retry_cap: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
            poll_interval: Duration::from_secs(1),
            keep_for: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// Where files go when they go to S3-compatible object storage (`S3_*`).
#[derive(Clone)]
pub struct S3Config {
    /// `http://127.0.0.1:9000` for a local server; unset for AWS itself.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// When the auditors' flags (`auditFlags`, 防止数字脱贫) fire. One place for every threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagThresholds {
    /// FAST_RECEIPT: an order received within this many minutes of being placed.
    pub fast_receipt_minutes: i64,
    /// PRICE_ABOVE_MEDIAN: a line priced at or above this percentage of the comparable median
    /// (150 = 1.5×).
    pub price_ratio_percent: i64,
    /// PRICE_ABOVE_MEDIAN: fewer comparable products (of other producers) than this make no
    /// median.
    pub price_min_comparable: usize,
    /// DEADLINE_BUNCHING: more than this percentage of a unit's half-year purchases in the last
    /// `deadline_days` days of the half-year.
    pub bunching_share_percent: i64,
    /// DEADLINE_BUNCHING and LATE_LINK: how many days before a half-year's end (6-30, 12-31,
    /// the day itself included) count as "just before the deadline".
    pub deadline_days: i64,
}

impl Default for FlagThresholds {
    fn default() -> Self {
        Self {
            fast_receipt_minutes: 30,
            price_ratio_percent: 150,
            price_min_comparable: 3,
            bunching_share_percent: 50,
            deadline_days: 15,
        }
    }
}

impl Settings {
    pub fn new(jwt_secret: Vec<u8>) -> Self {
        Self {
            jwt_secret,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            query_limits: QueryLimits::default(),
            login_quota_account: Quota::per_minute(5),
            login_quota_ip: Quota::per_minute(30),
            redis_prefix: "fupin:".to_owned(),
            trust_forwarded_for: false,
            certification_notice_days: 7,
            certification_validity_days: 730,
            request_quota_user: Some(Quota::per_minute(600)),
            request_quota_ip: Some(Quota::per_minute(3000)),
            unsold_after_days: 30,
            unsold_scan_interval: Duration::from_secs(3600),
            audit_flags: FlagThresholds::default(),
            red_warning_margin_bp: 2000,
            red_warning_interval: Duration::from_secs(3600),
            overdue_check_interval: Duration::from_secs(3600),
            quality_mark_check_interval: Duration::from_secs(3600),
            file_max_bytes: 20 * 1024 * 1024,
            s3: None,
            webhooks: WebhookSettings::default(),
        }
    }
}
