//! The command line: `serve` (default), `migrate`, `seed-demo`, `export-schema`, `create-admin`.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD};
use clap::{Parser, Subcommand, ValueEnum};
use rand::RngCore;

use crate::{
    config::{FlagThresholds, S3Config, Settings},
    db, demo,
    error::AppError,
    generator, graphql,
    rate_limit::Quota,
    redis_link, server,
    state::Services,
};

#[derive(Parser, Debug)]
#[command(
    name = "fupin-market",
    version,
    about = "消费扶贫 marketplace GraphQL API"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    options: Options,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API (the default).
    Serve {
        /// Do not load demo data into an empty database.
        #[arg(long, env = "NO_DEMO", value_parser = clap::builder::BoolishValueParser::new())]
        no_demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Load the demo world into an empty database (does nothing otherwise).
    SeedDemo,
    /// Fill an empty database with a generated world for load tests (deterministic per seed).
    Generate {
        #[arg(long, value_enum, default_value = "large")]
        scale: generator::ScaleName,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// The `china-division` tables; an empty value uses the embedded demo subset.
        #[arg(long, default_value = "../shared/data/divisions")]
        divisions: PathBuf,
    },
    /// Load the national division tree from the gzipped CSV tables of `china-division`.
    ImportRegions {
        /// Folder holding provinces/cities/areas/streets/villages `.csv.gz`.
        #[arg(long, default_value = "../shared/data/divisions")]
        from: PathBuf,
        /// Only this province (two-digit code, e.g. 13 for 河北).
        #[arg(long)]
        province: Option<String>,
    },
    /// Write the GraphQL schema (SDL).
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        out: PathBuf,
    },
    /// Create a platform admin account.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "Platform admin")]
        display_name: String,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum AppEnv {
    Development,
    Production,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
struct Options {
    /// Address to listen on.
    #[arg(
        long,
        env = "BIND_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    bind_addr: SocketAddr,
    /// `postgres://…` or `sqlite://…`; SQLite in the data directory when unset.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Redis for shared rate limits and events across instances (optional).
    #[arg(long, env = "REDIS_URL", global = true, hide_env_values = true)]
    redis_url: Option<String>,
    /// HS256 key for access tokens; required in production.
    #[arg(long, env = "JWT_SECRET", global = true, hide_env_values = true)]
    jwt_secret: Option<String>,
    #[arg(
        long,
        env = "APP_ENV",
        value_enum,
        default_value = "development",
        global = true
    )]
    app_env: AppEnv,
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,
    /// Where the default SQLite database and the development JWT key live.
    #[arg(long, env = "DATA_DIR", default_value = "./data", global = true)]
    data_dir: PathBuf,
    /// Seconds one request may run.
    #[arg(
        long,
        env = "REQUEST_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    request_timeout_secs: u64,
    /// Read the client address from `X-Forwarded-For` (behind a trusted load balancer only).
    #[arg(long, env = "TRUST_FORWARDED_FOR", global = true)]
    trust_forwarded_for: bool,
    /// PostgreSQL schema to work in (the search path), when not `public`.
    #[arg(long, env = "DATABASE_SCHEMA", global = true)]
    database_schema: Option<String>,
    /// Requests per minute of one signed-in user (0: unlimited).
    #[arg(
        long,
        env = "RATE_LIMIT_USER_PER_MINUTE",
        default_value_t = 600,
        global = true
    )]
    rate_limit_user_per_minute: u32,
    /// Requests per minute from one client address (0: unlimited).
    #[arg(
        long,
        env = "RATE_LIMIT_IP_PER_MINUTE",
        default_value_t = 3000,
        global = true
    )]
    rate_limit_ip_per_minute: u32,
    /// Days in stock without an order before a product is flagged as unsold.
    #[arg(long, env = "UNSOLD_AFTER_DAYS", default_value_t = 30, global = true)]
    unsold_after_days: u32,
    /// Seconds between unsold-produce scans (0: no scans on this instance).
    #[arg(
        long,
        env = "UNSOLD_SCAN_INTERVAL_SECS",
        default_value_t = 3600,
        global = true
    )]
    unsold_scan_interval_secs: u64,
    /// Audit flags: an order received within this many minutes of being placed (FAST_RECEIPT).
    #[arg(
        long,
        env = "FLAG_FAST_RECEIPT_MINUTES",
        default_value_t = 30,
        global = true
    )]
    flag_fast_receipt_minutes: u32,
    /// Audit flags: a line at or above this percentage of the comparable median
    /// (PRICE_ABOVE_MEDIAN).
    #[arg(
        long,
        env = "FLAG_PRICE_RATIO_PERCENT",
        default_value_t = 150,
        global = true
    )]
    flag_price_ratio_percent: u32,
    /// Audit flags: comparable products of other producers needed for a median.
    #[arg(
        long,
        env = "FLAG_PRICE_MIN_COMPARABLE",
        default_value_t = 3,
        global = true
    )]
    flag_price_min_comparable: u32,
    /// Audit flags: more than this percentage of a unit's half-year purchases just before its
    /// end (DEADLINE_BUNCHING).
    #[arg(
        long,
        env = "FLAG_BUNCHING_SHARE_PERCENT",
        default_value_t = 50,
        global = true
    )]
    flag_bunching_share_percent: u32,
    /// Audit flags: the days before a half-year's end that count as "just before" (its last day
    /// included; DEADLINE_BUNCHING, LATE_LINK).
    #[arg(long, env = "FLAG_DEADLINE_DAYS", default_value_t = 15, global = true)]
    flag_deadline_days: u32,
    /// How far behind its pro-rata pace a unit or region may fall before a red warning, in
    /// basis points of the pace (2000: bought less than 80% of it).
    #[arg(
        long,
        env = "RED_WARNING_MARGIN_BP",
        default_value_t = 2000,
        value_parser = clap::value_parser!(i32).range(0..=10_000),
        global = true
    )]
    red_warning_margin_bp: i32,
    /// Seconds between red-warning checks (0: no checks on this instance).
    #[arg(
        long,
        env = "RED_WARNING_INTERVAL_SECS",
        default_value_t = 3600,
        global = true
    )]
    red_warning_interval_secs: u64,
    /// Seconds between overdue-payment checks (0: no checks on this instance).
    #[arg(
        long,
        env = "OVERDUE_CHECK_INTERVAL_SECS",
        default_value_t = 3600,
        global = true
    )]
    overdue_check_interval_secs: u64,
    /// Seconds between checks of quality-mark certificates near or past their expiry (0: no
    /// checks on this instance).
    #[arg(
        long,
        env = "QUALITY_MARK_CHECK_INTERVAL_SECS",
        default_value_t = 3600,
        global = true
    )]
    quality_mark_check_interval_secs: u64,
    /// The largest file an upload may be, in bytes.
    /// Seconds an endpoint has to answer a webhook delivery.
    #[arg(
        long,
        env = "WEBHOOK_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    webhook_timeout_secs: u64,
    /// Seconds before the first retry of a failed webhook delivery (doubling, up to an hour).
    #[arg(
        long,
        env = "WEBHOOK_RETRY_BASE_SECS",
        default_value_t = 30,
        global = true
    )]
    webhook_retry_base_secs: u64,
    /// Seconds a webhook delivery is retried before it fails and its endpoint is disabled.
    #[arg(
        long,
        env = "WEBHOOK_GIVE_UP_AFTER_SECS",
        default_value_t = 86_400,
        global = true
    )]
    webhook_give_up_after_secs: u64,
    /// Milliseconds between looks for due webhook deliveries (0: this instance sends none).
    #[arg(long, env = "WEBHOOK_POLL_MS", default_value_t = 1000, global = true)]
    webhook_poll_ms: u64,
    /// Days delivered and failed webhook deliveries stay in the delivery log.
    #[arg(long, env = "WEBHOOK_KEEP_DAYS", default_value_t = 30, global = true)]
    webhook_keep_days: u64,
    #[arg(long, env = "FILE_MAX_BYTES", default_value_t = 20 * 1024 * 1024, global = true)]
    file_max_bytes: u64,
    /// S3-compatible object storage for files (with `S3_BUCKET`); unset keeps them in the
    /// database. E.g. `http://127.0.0.1:9000`; leave it unset for AWS itself.
    #[arg(long, env = "S3_ENDPOINT", global = true)]
    s3_endpoint: Option<String>,
    /// The bucket files go to: setting it turns object storage on.
    #[arg(long, env = "S3_BUCKET", global = true)]
    s3_bucket: Option<String>,
    #[arg(long, env = "S3_REGION", default_value = "us-east-1", global = true)]
    s3_region: String,
    #[arg(long, env = "S3_ACCESS_KEY_ID", global = true, hide_env_values = true)]
    s3_access_key_id: Option<String>,
    #[arg(
        long,
        env = "S3_SECRET_ACCESS_KEY",
        global = true,
        hide_env_values = true
    )]
    s3_secret_access_key: Option<String>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.options.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One clear line, not a panic trace.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let options = cli.options;
    match cli.command.unwrap_or(Command::Serve { no_demo: false }) {
        Command::ExportSchema { out } => {
            std::fs::write(&out, graphql::sdl())
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("wrote {}", out.display());
            Ok(())
        }
        Command::Migrate => {
            open_database(&options).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::SeedDemo => {
            let services = services(&options).await?;
            if demo::seed(&services).await.map_err(AppError::into_anyhow)? {
                println!(
                    "demo world loaded; every demo account's password is {} (local use only)",
                    demo::DEMO_PASSWORD
                );
            } else {
                println!("the database has accounts already: demo data not loaded");
            }
            Ok(())
        }
        Command::Generate {
            scale,
            seed,
            divisions,
        } => {
            let db = open_database(&options).await?;
            let options = generator::Options {
                scale: scale.scale(),
                seed,
                divisions: (!divisions.as_os_str().is_empty()).then_some(divisions),
            };
            let (report, millis) = generator::generate(&db, &options).await?;
            println!(
                "generated in {:.1} s: {} counties, {} villages, {} producers, {} products ({} certifications, {} prices), {} buyers, {} users, {} orders ({} lines), {} ledger entries ({} tallies, {} county tallies), ledger tip {}; every account's password is {}",
                millis as f64 / 1000.0,
                report.counties,
                report.villages,
                report.producers,
                report.products,
                report.certifications,
                report.price_changes,
                report.buyers,
                report.users,
                report.orders,
                report.order_lines,
                report.ledger_entries,
                report.ledger_tallies,
                report.county_tallies,
                report.last_hash,
                generator::PASSWORD
            );
            Ok(())
        }
        Command::ImportRegions { from, province } => {
            let db = open_database(&options).await?;
            let report = crate::region::import::import_dir(&db, &from, province.as_deref())
                .await
                .map_err(AppError::into_anyhow)?;
            let [provinces, cities, counties, townships, villages] = report.rows;
            println!(
                "imported {} regions in {:.1} s: {provinces} provinces, {cities} cities, {counties} counties, {townships} townships, {villages} villages",
                report.total(),
                report.millis as f64 / 1000.0
            );
            Ok(())
        }
        Command::CreateAdmin {
            username,
            password,
            display_name,
        } => {
            let db = open_database(&options).await?;
            let admin =
                crate::auth::accounts::ensure_admin(&db, &username, &password, &display_name)
                    .await
                    .map_err(AppError::into_anyhow)?;
            println!("admin {} ready", admin.username);
            Ok(())
        }
        Command::Serve { no_demo } => serve(&options, no_demo).await,
    }
}

async fn serve(options: &Options, no_demo: bool) -> anyhow::Result<()> {
    let db = open_database(options).await?;
    let settings = settings(options)?;
    let redis = match &options.redis_url {
        Some(url) => Some(redis_link::connect(url).context("REDIS_URL is not a Redis URL")?),
        None => None,
    };
    let services = Services::new(db, None, settings.clone());
    let sqlite = options
        .database_url
        .as_deref()
        .is_none_or(|u| u.starts_with("sqlite:"));
    if sqlite && !no_demo && demo::is_empty(&services.db).await.unwrap_or(false) {
        demo::seed(&services)
            .await
            .map_err(AppError::into_anyhow)
            .context("loading demo data")?;
        tracing::info!(
            password = demo::DEMO_PASSWORD,
            "demo world loaded: see README.md for the accounts"
        );
    }
    let listener = tokio::net::TcpListener::bind(options.bind_addr)
        .await
        .with_context(|| format!("cannot listen on {}", options.bind_addr))?;
    let address = listener.local_addr()?;
    let state = server::build_state(services.db.clone(), redis, settings);
    println!("fupin-market listening on http://{address}  (GraphiQL: http://{address}/graphql)");
    server::serve(listener, state).await?;
    Ok(())
}

async fn open_database(options: &Options) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let url = match &options.database_url {
        Some(url) => url.clone(),
        None => {
            std::fs::create_dir_all(&options.data_dir).with_context(|| {
                format!(
                    "cannot create the data directory {}",
                    options.data_dir.display()
                )
            })?;
            db::default_sqlite_url(&options.data_dir)
        }
    };
    let shown = db::redact_url(&url);
    let pool = db::PoolOptions {
        schema: options.database_schema.clone(),
        ..db::PoolOptions::default()
    };
    let connection = db::connect(&url, pool)
        .await
        .with_context(|| format!("cannot open the database at {shown}"))?;
    db::migrate(&connection)
        .await
        .with_context(|| format!("cannot migrate the database at {shown}"))?;
    tracing::info!(database = %shown, "database ready");
    Ok(connection)
}

/// Services for one-off commands: no Redis (they publish nothing and limit nothing).
async fn services(options: &Options) -> anyhow::Result<Services> {
    let db = open_database(options).await?;
    Ok(Services::new(db, None, settings(options)?))
}

fn settings(options: &Options) -> anyhow::Result<Settings> {
    let per_minute = |n: u32| (n > 0).then(|| Quota::per_minute(n));
    let mut settings = Settings::new(jwt_secret(options)?);
    settings.request_timeout = Duration::from_secs(options.request_timeout_secs.max(1));
    settings.trust_forwarded_for = options.trust_forwarded_for;
    settings.request_quota_user = per_minute(options.rate_limit_user_per_minute);
    settings.request_quota_ip = per_minute(options.rate_limit_ip_per_minute);
    settings.unsold_after_days = i64::from(options.unsold_after_days);
    settings.unsold_scan_interval = Duration::from_secs(options.unsold_scan_interval_secs);
    settings.audit_flags = FlagThresholds {
        fast_receipt_minutes: i64::from(options.flag_fast_receipt_minutes),
        price_ratio_percent: i64::from(options.flag_price_ratio_percent),
        price_min_comparable: usize::try_from(options.flag_price_min_comparable.max(1))
            .unwrap_or(1),
        bunching_share_percent: i64::from(options.flag_bunching_share_percent),
        deadline_days: i64::from(options.flag_deadline_days.max(1)),
    };
    settings.red_warning_margin_bp = options.red_warning_margin_bp;
    settings.red_warning_interval = Duration::from_secs(options.red_warning_interval_secs);
    settings.overdue_check_interval = Duration::from_secs(options.overdue_check_interval_secs);
    settings.quality_mark_check_interval =
        Duration::from_secs(options.quality_mark_check_interval_secs);
    settings.file_max_bytes = options.file_max_bytes.max(1);
    settings.webhooks = crate::config::WebhookSettings {
        production: options.app_env == AppEnv::Production,
        timeout: Duration::from_secs(options.webhook_timeout_secs.max(1)),
        retry_base: Duration::from_secs(options.webhook_retry_base_secs.max(1)),
        give_up_after: Duration::from_secs(options.webhook_give_up_after_secs.max(1)),
        poll_interval: Duration::from_millis(options.webhook_poll_ms),
        keep_for: Duration::from_secs(options.webhook_keep_days.max(1) * 24 * 3600),
        ..Default::default()
    };
    if let Some(bucket) = &options.s3_bucket {
        let (Some(key), Some(secret)) = (&options.s3_access_key_id, &options.s3_secret_access_key)
        else {
            bail!("S3_BUCKET needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY");
        };
        let config = S3Config {
            endpoint: options.s3_endpoint.clone(),
            bucket: bucket.clone(),
            region: options.s3_region.clone(),
            access_key_id: key.clone(),
            secret_access_key: secret.clone(),
        };
        crate::files::storage::Storage::s3(&config).context("S3 settings")?;
        settings.s3 = Some(config);
    }
    Ok(settings)
}

/// The configured key; in development a generated one kept in the data directory.
fn jwt_secret(options: &Options) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &options.jwt_secret {
        if secret.len() < 32 {
            bail!("JWT_SECRET must have at least 32 characters");
        }
        return Ok(secret.as_bytes().to_vec());
    }
    if options.app_env == AppEnv::Production {
        bail!("JWT_SECRET is required when APP_ENV=production");
    }
    let path = options.data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = STANDARD.encode(bytes);
    std::fs::create_dir_all(&options.data_dir)?;
    std::fs::write(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::warn!(path = %path.display(), "JWT_SECRET not set: generated a development key; set JWT_SECRET in production");
    Ok(secret.into_bytes())
}
