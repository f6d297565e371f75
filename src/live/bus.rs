//! The event bus. Every instance delivers its own events to its own subscribers at once; with
//! Redis configured it also publishes them on one channel and forwards what other instances
//! publish there. Redis down: local delivery goes on, the listener retries until Redis is back.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::{Stream, StreamExt, stream};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use super::events::Event;

/// Events a slow subscriber may fall behind by before it skips ahead.
const LOCAL_CAPACITY: usize = 4096;
/// Events waiting for Redis before new ones are dropped (they were delivered locally anyway).
const OUTBOX_CAPACITY: usize = 10_000;
const RETRY_MAX: Duration = Duration::from_secs(2);

#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: Uuid,
    event: Event,
}

#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<Arc<Event>>,
    outbox: Option<mpsc::Sender<Arc<Event>>>,
    /// Whether this instance is receiving other instances' events right now.
    listening: Arc<AtomicBool>,
}

impl EventBus {
    /// One instance, no Redis.
    pub fn local() -> Self {
        Self {
            local: broadcast::channel(LOCAL_CAPACITY).0,
            outbox: None,
            listening: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Shared through Redis pub/sub on `channel`: a publisher task (keeps this instance's
    /// events in order) and a listener task on a connection of its own that reconnects.
    pub fn redis(client: redis::Client, publisher: ConnectionManager, channel: String) -> Self {
        let bus = Self::local();
        let origin = Uuid::now_v7();
        let (outbox, queued) = mpsc::channel(OUTBOX_CAPACITY);
        tokio::spawn(publish_loop(queued, publisher, channel.clone(), origin));
        tokio::spawn(listen_loop(
            client,
            channel,
            origin,
            bus.local.clone(),
            bus.listening.clone(),
        ));
        Self {
            outbox: Some(outbox),
            ..bus
        }
    }

    /// Publishes events of a committed transaction (call after commit, never before).
    pub fn publish(&self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            let event = Arc::new(event);
            // No subscriber on this instance is not an error.
            let _ = self.local.send(event.clone());
            if let Some(outbox) = &self.outbox
                && outbox.try_send(event).is_err()
            {
                tracing::warn!("event outbox full: an event reaches this instance only");
            }
        }
    }

    /// Events from now on, this instance's and (with Redis) every other's. A subscriber that
    /// falls too far behind skips what it missed rather than holding the others up.
    pub fn subscribe(&self) -> impl Stream<Item = Arc<Event>> + Send + 'static + use<> {
        stream::unfold(self.local.subscribe(), |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => return Some((event, receiver)),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a subscriber fell behind and skipped events");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }

    /// `None` without Redis; otherwise whether the cross-instance listener is connected.
    pub fn shared_status(&self) -> Option<bool> {
        self.outbox
            .as_ref()
            .map(|_| self.listening.load(Ordering::Relaxed))
    }
}

async fn publish_loop(
    mut queued: mpsc::Receiver<Arc<Event>>,
    mut redis: ConnectionManager,
    channel: String,
    origin: Uuid,
) {
    let mut failing = false;
    while let Some(event) = queued.recv().await {
        let envelope = Envelope {
            origin,
            event: (*event).clone(),
        };
        let Ok(payload) = serde_json::to_string(&envelope) else {
            continue;
        };
        let mut sent = publish(&mut redis, &channel, &payload).await;
        if sent.is_err() && !failing {
            // The first command after Redis restarts finds the old connection broken; the
            // manager reconnects, so one retry saves the event.
            tokio::time::sleep(Duration::from_millis(100)).await;
            sent = publish(&mut redis, &channel, &payload).await;
        }
        match sent {
            Ok(_) if failing => {
                failing = false;
                tracing::info!("publishing events to Redis again");
            }
            Ok(_) => {}
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "cannot publish to Redis: events stay on this instance");
            }
            Err(_) => {}
        }
    }
}

async fn publish(
    redis: &mut ConnectionManager,
    channel: &str,
    payload: &str,
) -> redis::RedisResult<i64> {
    redis::cmd("PUBLISH")
        .arg(channel)
        .arg(payload)
        .query_async(redis)
        .await
}

async fn listen_loop(
    client: redis::Client,
    channel: String,
    origin: Uuid,
    local: broadcast::Sender<Arc<Event>>,
    listening: Arc<AtomicBool>,
) {
    let mut delay = Duration::from_millis(100);
    loop {
        match subscribe(&client, &channel).await {
            Ok(mut pubsub) => {
                delay = Duration::from_millis(100);
                listening.store(true, Ordering::Relaxed);
                tracing::info!("listening for other instances' events on Redis");
                let mut messages = pubsub.on_message();
                while let Some(message) = messages.next().await {
                    let Ok(payload) = message.get_payload::<String>() else {
                        continue;
                    };
                    match serde_json::from_str::<Envelope>(&payload) {
                        Ok(envelope) if envelope.origin != origin => {
                            let _ = local.send(Arc::new(envelope.event));
                        }
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "unreadable event on the bus"),
                    }
                }
                listening.store(false, Ordering::Relaxed);
                tracing::warn!("lost the Redis event subscription; reconnecting");
            }
            Err(error) => {
                listening.store(false, Ordering::Relaxed);
                tracing::debug!(%error, "Redis event subscription unavailable");
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(RETRY_MAX);
    }
}

async fn subscribe(
    client: &redis::Client,
    channel: &str,
) -> redis::RedisResult<redis::aio::PubSub> {
    let connect = client.get_async_pubsub();
    let mut pubsub = tokio::time::timeout(Duration::from_secs(2), connect)
        .await
        .map_err(|_| {
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut))
        })??;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::events::UnsoldFlagged;

    fn flagged() -> Event {
        Event::UnsoldFlagged(UnsoldFlagged {
            alert_id: Uuid::now_v7(),
            product_id: Uuid::now_v7(),
            producer_org_id: Uuid::now_v7(),
            region_code: "130126".into(),
        })
    }

    #[tokio::test]
    async fn local_subscribers_get_what_is_published_after_they_subscribe() {
        let bus = EventBus::local();
        let before = flagged();
        bus.publish([before]);
        let mut events = Box::pin(bus.subscribe());
        let after = flagged();
        bus.publish([after.clone()]);
        let got = events.next().await.expect("an event");
        assert_eq!(*got, after);
        assert_eq!(bus.shared_status(), None);
    }
}
