//! What every request can reach: the database, token issuer, rate limiter and settings.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{auth::tokens::TokenIssuer, config::Settings, rate_limit::RateLimiter};

/// The service layer's handles, shared by resolvers (as schema data) and HTTP handlers.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub tokens: TokenIssuer,
    pub limiter: RateLimiter,
    pub redis: Option<redis::aio::ConnectionManager>,
    pub settings: Arc<Settings>,
}

impl Services {
    pub fn new(
        db: DatabaseConnection,
        redis: Option<redis::aio::ConnectionManager>,
        settings: Settings,
    ) -> Self {
        Self {
            tokens: TokenIssuer::new(&settings.jwt_secret, settings.access_token_ttl),
            limiter: RateLimiter::new(redis.clone(), &settings.redis_prefix),
            db,
            redis,
            settings: Arc::new(settings),
        }
    }
}
