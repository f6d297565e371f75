//! Rate limits with GCRA (the generic cell rate algorithm): one timestamp per key, so a check is
//! one atomic step. Shared across instances through a Redis Lua script when Redis is configured;
//! in-process otherwise, and as the fallback while Redis is unreachable.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use redis::{Script, aio::ConnectionManager};

/// `burst` requests at once, refilled evenly over `period`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Quota {
    pub burst: u32,
    pub period: Duration,
}

impl Quota {
    pub fn per_minute(burst: u32) -> Self {
        Self {
            burst,
            period: Duration::from_secs(60),
        }
    }

    /// Time between two requests at the sustained rate.
    fn interval(self) -> Duration {
        self.period / self.burst.max(1)
    }
}

/// Refused: try again after this many seconds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

const GCRA_SCRIPT: &str = r#"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
if now < allow_at then return allow_at - now end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
return 0
"#;

/// After Redis fails, how long to limit in-process before trying Redis again: a down Redis
/// costs one failed call per interval, not one per request.
const REDIS_RETRY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct RateLimiter {
    redis: Option<ConnectionManager>,
    prefix: String,
    script: Arc<Script>,
    local: Arc<Mutex<HashMap<String, Instant>>>,
    /// Until when Redis is skipped, after a failure.
    redis_down_until: Arc<Mutex<Option<Instant>>>,
}

impl RateLimiter {
    pub fn new(redis: Option<ConnectionManager>, prefix: &str) -> Self {
        Self {
            redis,
            prefix: format!("{prefix}rl:"),
            script: Arc::new(Script::new(GCRA_SCRIPT)),
            local: Arc::default(),
            redis_down_until: Arc::default(),
        }
    }

    /// Counts one request against `key`.
    pub async fn check(&self, key: &str, quota: Quota) -> Result<(), RetryAfter> {
        if let Some(redis) = &self.redis
            && self.redis_worth_trying()
        {
            match self.check_redis(redis.clone(), key, quota).await {
                Ok(result) => {
                    self.mark_redis(true);
                    return result;
                }
                Err(error) => {
                    if self.mark_redis(false) {
                        tracing::warn!(%error, "Redis rate limits unavailable: limiting in-process");
                    }
                }
            }
        }
        self.check_local(key, quota, Instant::now())
    }

    fn redis_worth_trying(&self) -> bool {
        let down = self
            .redis_down_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        down.is_none_or(|until| Instant::now() >= until)
    }

    /// Records whether Redis answered; true when this call changed the state to down.
    fn mark_redis(&self, up: bool) -> bool {
        let mut down = self
            .redis_down_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let was_down = down.is_some();
        if up {
            if was_down {
                tracing::info!("Redis rate limits available again");
            }
            *down = None;
            false
        } else {
            *down = Some(Instant::now() + REDIS_RETRY);
            !was_down
        }
    }

    async fn check_redis(
        &self,
        mut redis: ConnectionManager,
        key: &str,
        quota: Quota,
    ) -> redis::RedisResult<Result<(), RetryAfter>> {
        let wait_ms: u64 = self
            .script
            .key(format!("{}{key}", self.prefix))
            .arg(u64::try_from(quota.interval().as_millis()).unwrap_or(u64::MAX))
            .arg(quota.burst)
            .invoke_async(&mut redis)
            .await?;
        Ok(if wait_ms == 0 {
            Ok(())
        } else {
            Err(RetryAfter(wait_ms.div_ceil(1000).max(1)))
        })
    }

    fn check_local(&self, key: &str, quota: Quota, now: Instant) -> Result<(), RetryAfter> {
        let mut tats = self
            .local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if tats.len() > 100_000 {
            // Keys whose theoretical arrival time has passed carry no state worth keeping.
            tats.retain(|_, tat| *tat > now);
        }
        let interval = quota.interval();
        let tat = tats.get(key).copied().filter(|t| *t > now).unwrap_or(now);
        let new_tat = tat + interval;
        let allow_at = new_tat.checked_sub(interval * quota.burst).unwrap_or(now);
        if now < allow_at {
            let wait = allow_at - now;
            // Whole seconds, rounded up, at least one.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(RetryAfter(seconds.max(1)));
        }
        tats.insert(key.to_owned(), new_tat);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_refuses_until_refilled() {
        let limiter = RateLimiter::new(None, "t:");
        let quota = Quota::per_minute(3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_local("k", quota, start), Ok(()));
        }
        let refused = limiter.check_local("k", quota, start);
        assert_eq!(refused, Err(RetryAfter(20)));
        assert_eq!(limiter.check_local("other", quota, start), Ok(()));
        let later = start + Duration::from_secs(20);
        assert_eq!(limiter.check_local("k", quota, later), Ok(()));
        assert!(limiter.check_local("k", quota, later).is_err());
    }
}
