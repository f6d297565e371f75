//! The dispatcher: every instance looks for due deliveries, takes each under a lease (so two
//! instances never send one at once), sends it signed, logs the attempt, and on failure retries
//! with exponential backoff until the delivery's window closes; then the delivery fails and its
//! endpoint is disabled, its owner warned. Deliveries sharing an ordering key (an order's ID) go
//! one at a time, oldest first.

use std::{net::SocketAddr, time::Duration};

use chrono::{DateTime, Utc};
use entity::{
    webhook_attempt,
    webhook_delivery::{self, DeliveryStatus},
    webhook_endpoint::{self, EndpointStatus},
};
use futures_util::future::join_all;
use hmac::{Hmac, Mac};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait,
    sea_query::{Alias, Expr, ExprTrait, Query},
};
use sha2::Sha256;
use url::Url;

use super::endpoints::{DISABLED_FAILING, is_public, remove_deliveries};
use crate::{
    config::WebhookSettings,
    error::AppResult,
    ids::new_uuid,
    live::events::{Event, WebhookEndpointDisabled},
    state::Services,
};

/// Deliveries taken per look.
const BATCH: usize = 16;
/// How often an instance removes deliveries past `WEBHOOK_KEEP_DAYS`.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// What the log keeps of an error.
const MAX_ERROR_CHARS: usize = 500;

/// Runs the dispatcher until aborted; `None` when `WEBHOOK_POLL_MS` is zero.
pub fn spawn(services: Services) -> Option<tokio::task::JoinHandle<()>> {
    let poll = services.settings.webhooks.poll_interval;
    if poll.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let client = match shared_client(&services.settings.webhooks) {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "no HTTP client for webhooks: none will be sent");
                return;
            }
        };
        let mut pruned_at: Option<std::time::Instant> = None;
        loop {
            if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                pruned_at = Some(std::time::Instant::now());
                match prune(&services, Utc::now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deliveries = n, "old webhook deliveries removed"),
                    Err(error) => {
                        tracing::warn!(error = %error.message(), "webhook log pruning failed");
                    }
                }
            }
            let sent = match run_once(&services, &client, Utc::now()).await {
                Ok(sent) => sent,
                Err(error) => {
                    tracing::warn!(error = %error.message(), "webhook dispatch failed");
                    0
                }
            };
            if sent < BATCH {
                tokio::select! {
                    () = tokio::time::sleep(poll) => {}
                    () = services.webhooks_due.notified() => {}
                }
            }
        }
    }))
}

/// One HTTP client for every endpoint (outside production, where addresses are not pinned):
/// no redirects followed, the settings' timeout.
pub fn shared_client(settings: &WebhookSettings) -> reqwest_tls::Result<reqwest_tls::Client> {
    client_builder(settings).build()
}

fn client_builder(settings: &WebhookSettings) -> reqwest_tls::ClientBuilder {
    // TLS through ring, as for S3 (see `files::storage`); installing twice is harmless.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest_tls::Client::builder()
        .redirect(reqwest_tls::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .user_agent(concat!("fupin-market-webhooks/", env!("CARGO_PKG_VERSION")))
}

/// Sends what is due at `now`; how many deliveries it took.
pub async fn run_once(
    services: &Services,
    client: &reqwest_tls::Client,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let settings = &services.settings.webhooks;
    let mut claimed = Vec::new();
    for (delivery, endpoint) in due(services, now).await? {
        if claim(services, &delivery, now, settings).await? {
            claimed.push((delivery, endpoint));
        }
    }
    let sent = join_all(claimed.iter().map(|(delivery, endpoint)| {
        let number = delivery.attempts + 1;
        send(client, settings, endpoint, delivery, number)
    }))
    .await;
    let count = claimed.len();
    for ((delivery, endpoint), outcome) in claimed.into_iter().zip(sent) {
        record(services, delivery, endpoint, outcome).await?;
    }
    Ok(count)
}

/// Removes delivered and failed deliveries older than the settings keep, with their attempts;
/// pending ones stay whatever their age. How many went.
pub async fn prune(services: &Services, now: DateTime<Utc>) -> AppResult<u64> {
    use webhook_delivery::Column as D;
    let before = now - services.settings.webhooks.keep_for;
    let old = Condition::all()
        .add(D::Status.is_in([DeliveryStatus::Delivered, DeliveryStatus::Failed]))
        .add(D::CreatedAt.lt(before));
    let txn = services.db.begin().await?;
    let removed = remove_deliveries(&txn, old).await?;
    txn.commit().await?;
    Ok(removed)
}

/// Due deliveries of active endpoints, unleased, each the oldest waiting of its ordering key.
async fn due(
    services: &Services,
    now: DateTime<Utc>,
) -> AppResult<Vec<(webhook_delivery::Model, webhook_endpoint::Model)>> {
    use webhook_delivery::Column as D;
    let earlier = Alias::new("earlier");
    let waiting_before = Query::select()
        .expr(Expr::val(1))
        .from_as(webhook_delivery::Entity, earlier.clone())
        .and_where(
            Expr::col((earlier.clone(), D::EndpointId))
                .equals((webhook_delivery::Entity, D::EndpointId)),
        )
        .and_where(
            Expr::col((earlier.clone(), D::OrderingKey))
                .equals((webhook_delivery::Entity, D::OrderingKey)),
        )
        .and_where(Expr::col((earlier.clone(), D::Status)).eq("PENDING"))
        .cond_where(
            Condition::any()
                .add(
                    Expr::col((earlier.clone(), D::CreatedAt))
                        .lt(Expr::col((webhook_delivery::Entity, D::CreatedAt))),
                )
                .add(
                    Condition::all()
                        .add(
                            Expr::col((earlier.clone(), D::CreatedAt))
                                .eq(Expr::col((webhook_delivery::Entity, D::CreatedAt))),
                        )
                        .add(
                            Expr::col((earlier.clone(), D::Id))
                                .lt(Expr::col((webhook_delivery::Entity, D::Id))),
                        ),
                ),
        )
        .to_owned();
    let rows = webhook_delivery::Entity::find()
        .find_also_related(webhook_endpoint::Entity)
        .filter(D::Status.eq(DeliveryStatus::Pending))
        .filter(D::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(D::LeaseUntil.is_null())
                .add(D::LeaseUntil.lt(now)),
        )
        .filter(webhook_endpoint::Column::Status.eq(EndpointStatus::Active))
        .filter(
            Condition::any()
                .add(D::OrderingKey.eq(""))
                .add(Expr::exists(waiting_before).not()),
        )
        .order_by_asc(D::NextAttemptAt)
        .limit(BATCH as u64)
        .all(&services.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(d, e)| e.map(|e| (d, e)))
        .collect())
}

/// Takes a delivery for one attempt; false when another instance took it first.
async fn claim(
    services: &Services,
    delivery: &webhook_delivery::Model,
    now: DateTime<Utc>,
    settings: &WebhookSettings,
) -> AppResult<bool> {
    use webhook_delivery::Column as D;
    let lease = now + settings.timeout * 2 + Duration::from_secs(30);
    let taken = webhook_delivery::Entity::update_many()
        .col_expr(D::LeaseUntil, Expr::value(lease))
        .filter(D::Id.eq(delivery.id))
        .filter(D::Status.eq(DeliveryStatus::Pending))
        .filter(D::Attempts.eq(delivery.attempts))
        .filter(
            Condition::any()
                .add(D::LeaseUntil.is_null())
                .add(D::LeaseUntil.lt(now)),
        )
        .exec(&services.db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// What one attempt came to.
#[derive(Debug)]
pub struct Outcome {
    pub at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration: Duration,
}

impl Outcome {
    pub fn delivered(&self) -> bool {
        self.error.is_none() && self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the endpoint's secret>`, as
/// Stripe signs: the receiver recomputes it and refuses stale timestamps (replays).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={digest}")
}

/// The wait after the `attempts`-th failed attempt: the base doubled each time, capped, spread by
/// `jitter` (0 to 1) over ±20 % so failed endpoints are not hit by every instance at once.
pub fn backoff(settings: &WebhookSettings, attempts: i32, jitter: f64) -> Duration {
    let doublings = std::cmp::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 30);
    let plain = settings
        .retry_base
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(settings.retry_cap);
    plain.mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0))
}

async fn send(
    shared: &reqwest_tls::Client,
    settings: &WebhookSettings,
    endpoint: &webhook_endpoint::Model,
    delivery: &webhook_delivery::Model,
    number: i32,
) -> Outcome {
    let at = Utc::now();
    let started = std::time::Instant::now();
    let answer = async {
        let url = Url::parse(&endpoint.url).map_err(|e| format!("bad URL: {e}"))?;
        let pinned;
        let client = if settings.production {
            pinned = pinned_client(settings, &url).await?;
            &pinned
        } else {
            shared
        };
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header("fupin-event-id", delivery.event_id.to_string())
            .header("fupin-event-kind", &delivery.kind)
            .header("fupin-delivery-id", delivery.id.to_string())
            .header("fupin-delivery-attempt", number.to_string())
            .header(
                "fupin-signature",
                signature(&endpoint.secret, at.timestamp(), &delivery.payload),
            )
            .body(delivery.payload.clone())
            .send()
            .await
            .map_err(|e| describe(&e, settings))?;
        Ok::<u16, String>(response.status().as_u16())
    }
    .await;
    let (status_code, error) = match answer {
        Ok(code) if (200..300).contains(&code) => (Some(code), None),
        Ok(code) => (Some(code), Some(format!("HTTP {code}"))),
        Err(error) => (None, Some(error)),
    };
    Outcome {
        at,
        status_code,
        error,
        duration: started.elapsed(),
    }
}

/// In production: the endpoint's name resolved here, every address checked public, and the
/// connection pinned to them, so a name cannot be re-pointed inside the network meanwhile.
async fn pinned_client(
    settings: &WebhookSettings,
    url: &Url,
) -> Result<reqwest_tls::Client, String> {
    let host = url.host_str().ok_or("no host")?.to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    if addresses.is_empty() || addresses.iter().any(|a| !is_public(a.ip())) {
        return Err(format!("{host} resolves to a private address"));
    }
    client_builder(settings)
        .resolve_to_addrs(&host, &addresses)
        .build()
        .map_err(|e| e.to_string())
}

fn describe(error: &reqwest_tls::Error, settings: &WebhookSettings) -> String {
    if error.is_timeout() {
        format!("no answer within {} s", settings.timeout.as_secs_f64())
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        error.to_string()
    }
}

/// Logs the attempt and moves the delivery on: delivered, due again later, or failed for good
/// (then the endpoint is disabled and its owner warned).
async fn record(
    services: &Services,
    delivery: webhook_delivery::Model,
    endpoint: webhook_endpoint::Model,
    outcome: Outcome,
) -> AppResult<()> {
    let settings = &services.settings.webhooks;
    let number = delivery.attempts + 1;
    let error = outcome
        .error
        .as_ref()
        .map(|e| e.chars().take(MAX_ERROR_CHARS).collect::<String>());
    let txn = services.db.begin().await?;
    webhook_attempt::ActiveModel {
        id: Set(new_uuid()),
        delivery_id: Set(delivery.id),
        number: Set(number),
        attempted_at: Set(outcome.at),
        status_code: Set(outcome.status_code.map(i32::from)),
        error: Set(error.clone()),
        duration_ms: Set(i32::try_from(outcome.duration.as_millis()).unwrap_or(i32::MAX)),
    }
    .insert(&txn)
    .await?;
    let now = Utc::now();
    let give_up_at = delivery.give_up_at;
    let mut next = webhook_delivery::ActiveModel::from(delivery);
    next.attempts = Set(number);
    next.lease_until = Set(None);
    next.last_status_code = Set(outcome.status_code.map(i32::from));
    next.last_error = Set(error);
    let mut disabled = false;
    if outcome.delivered() {
        next.status = Set(DeliveryStatus::Delivered);
        next.delivered_at = Set(Some(outcome.at));
    } else if now >= give_up_at {
        next.status = Set(DeliveryStatus::Failed);
        disabled = disable(&txn, &endpoint, now).await?;
    } else {
        let wait = backoff(settings, number, rand::rng().random::<f64>());
        next.next_attempt_at = Set(std::cmp::min(now + wait, give_up_at));
    }
    next.update(&txn).await?;
    txn.commit().await?;
    if disabled {
        tracing::warn!(endpoint = %endpoint.id, url = %endpoint.url, "webhook endpoint disabled: its deliveries kept failing");
        services
            .bus
            .publish([Event::WebhookEndpointDisabled(WebhookEndpointDisabled {
                endpoint_id: endpoint.id,
                organization_id: endpoint.organization_id,
            })]);
    }
    Ok(())
}

/// Disables an endpoint whose delivery failed for good; false if it was disabled already.
async fn disable(
    txn: &sea_orm::DatabaseTransaction,
    endpoint: &webhook_endpoint::Model,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    use webhook_endpoint::Column as E;
    let changed = webhook_endpoint::Entity::update_many()
        .col_expr(E::Status, Expr::value("DISABLED"))
        .col_expr(E::DisabledReason, Expr::value(DISABLED_FAILING))
        .col_expr(E::DisabledAt, Expr::value(now))
        .col_expr(E::UpdatedAt, Expr::value(now))
        .filter(E::Id.eq(endpoint.id))
        .filter(E::Status.eq(EndpointStatus::Active))
        .exec(txn)
        .await?;
    Ok(changed.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_stripe_style_hmac_sha256() {
        // HMAC-SHA256("key", "1700000000.{}"), computed independently with Python's hmac.
        let signed = signature("key", 1_700_000_000, "{}");
        assert_eq!(
            signed,
            "t=1700000000,v1=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
        assert_ne!(signed, signature("key", 1_700_000_001, "{}"));
        assert_ne!(signed, signature("other", 1_700_000_000, "{}"));
        assert_eq!(signed, signature("key", 1_700_000_000, "{}"));
    }

    #[test]
    fn backoff_doubles_to_its_cap_within_its_jitter() {
        let settings = WebhookSettings::default();
        assert_eq!(backoff(&settings, 1, 0.5), Duration::from_secs(30));
        assert_eq!(backoff(&settings, 2, 0.5), Duration::from_secs(60));
        assert_eq!(backoff(&settings, 5, 0.5), Duration::from_secs(480));
        assert_eq!(backoff(&settings, 40, 0.5), Duration::from_secs(3600));
        assert_eq!(backoff(&settings, 1, 0.0), Duration::from_secs(24));
        assert_eq!(backoff(&settings, 1, 1.0), Duration::from_secs(36));
        // A day of retries is about 30 attempts: 30 s doubling to an hour, then hourly.
        let (mut waited, mut attempts) = (Duration::ZERO, 0);
        while waited < settings.give_up_after {
            attempts += 1;
            waited += backoff(&settings, attempts, 0.5);
        }
        assert!((25..35).contains(&attempts), "{attempts}");
    }
}
