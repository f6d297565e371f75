//! Redis as the service uses it, when `REDIS_URL` is set: shared events and rate limits.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Redis as the service uses it: a client (pub/sub opens its own connection from it) and one
/// shared command connection.
#[derive(Clone)]
pub struct RedisLink {
    pub client: redis::Client,
    pub manager: ConnectionManager,
}

/// A Redis handle that connects on first use and reconnects by itself, so an unreachable Redis
/// degrades the service instead of stopping it.
pub fn connect(url: &str) -> redis::RedisResult<RedisLink> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(1)))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_secs(2));
    let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
    Ok(RedisLink { client, manager })
}
