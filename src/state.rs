//! What every request can reach: the database, token issuer, rate limiter, event bus and
//! settings.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    auth::tokens::TokenIssuer, config::Settings, files::storage::Storage,
    ledger::cache::SummaryCache, live::EventBus, rate_limit::RateLimiter, redis_link::RedisLink,
};

/// The service layer's handles, shared by resolvers (as schema data) and HTTP handlers.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub tokens: TokenIssuer,
    pub limiter: RateLimiter,
    pub redis: Option<redis::aio::ConnectionManager>,
    pub bus: EventBus,
    /// Ledger summaries at the current tip.
    pub summaries: SummaryCache,
    pub settings: Arc<Settings>,
    /// Where files' bytes are stored.
    pub files: Storage,
    /// Wakes this instance's webhook dispatcher when a delivery is due now.
    pub webhooks_due: Arc<tokio::sync::Notify>,
}

impl Services {
    /// With Redis, events and rate limits are shared across instances (the bus starts its
    /// tasks, so call this inside the runtime).
    pub fn new(db: DatabaseConnection, redis: Option<RedisLink>, settings: Settings) -> Self {
        let manager = redis.as_ref().map(|r| r.manager.clone());
        let bus = match redis {
            Some(link) => EventBus::redis(
                link.client,
                link.manager,
                format!("{}events", settings.redis_prefix),
            ),
            None => EventBus::local(),
        };
        Self {
            tokens: TokenIssuer::new(&settings.jwt_secret, settings.access_token_ttl),
            limiter: RateLimiter::new(manager.clone(), &settings.redis_prefix),
            db,
            redis: manager,
            bus,
            summaries: SummaryCache::default(),
            files: Storage::configured(settings.s3.as_ref()),
            webhooks_due: Arc::default(),
            settings: Arc::new(settings),
        }
    }
}
