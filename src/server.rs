//! Assembling the service from its parts, and serving it until SIGTERM.

use std::{net::SocketAddr, sync::Arc};

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::{
    config::Settings,
    graphql,
    http::{self, AppState, metrics::Metrics},
    redis_link::RedisLink,
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
        persisted: crate::http::persisted::PersistedQueries::default(),
    }
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
    let warnings = crate::reporting::warnings::spawn(state.services.clone());
    let overdue = crate::procurement::overdue::spawn(state.services.clone());
    let marks = crate::catalogue::quality_marks::spawn(state.services.clone());
    let webhooks = crate::webhooks::dispatch::spawn(state.services.clone());
    let app = http::router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    for job in [jobs, warnings, overdue, marks, webhooks]
        .into_iter()
        .flatten()
    {
        job.abort();
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
