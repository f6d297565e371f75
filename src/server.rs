//! Assembling the service from its parts, and serving it until SIGTERM.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::{
    config::Settings,
    graphql,
    http::{self, AppState, metrics::Metrics},
    state::Services,
};

/// Wires database, Redis and settings into the state every handler shares.
pub fn build_state(
    mut db: DatabaseConnection,
    redis: Option<RedisLink>,
    settings: Settings,
) -> AppState {
    let metrics = Arc::new(Metrics::default());
    let observer = metrics.clone();
    db.set_metric_callback(move |info| observer.observe_query(info.failed));
    let services = Services::new(db, redis, settings);
    let schema = graphql::build(Some(services.clone()), &services.settings.query_limits);
    AppState {
        services,
        schema,
        metrics,
    }
}

/// Redis as the service uses it: a client (pub/sub opens its own connection from it) and one
/// shared command connection.
#[derive(Clone)]
pub struct RedisLink {
    pub client: redis::Client,
    pub manager: ConnectionManager,
}

/// A Redis handle that connects on first use and reconnects by itself, so an unreachable Redis
/// degrades the service instead of stopping it.
pub fn connect_redis(url: &str) -> redis::RedisResult<RedisLink> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(1)))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_secs(2));
    let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
    Ok(RedisLink { client, manager })
}

/// Serves until SIGTERM or Ctrl-C; requests in flight finish first.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    serve_until(listener, state, shutdown_signal()).await
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve_until(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let jobs = crate::unsold::scan::spawn(state.services.clone());
    let app = http::router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    if let Some(jobs) = jobs {
        jobs.abort();
    }
    served
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
