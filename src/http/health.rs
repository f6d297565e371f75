//! `/healthz` (the process answers) and `/readyz` (its dependencies answer).

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use super::AppState;

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers. Redis is optional: without it the service still works on
/// one instance, so an unreachable Redis reports `degraded` and does not take the instance out.
pub async fn readyz(State(app): State<AppState>) -> impl IntoResponse {
    let services = &app.services;
    let database = matches!(
        tokio::time::timeout(Duration::from_secs(2), services.db.ping()).await,
        Ok(Ok(()))
    );
    let redis = match services.redis.clone() {
        None => "not_configured",
        Some(mut conn) => {
            let command = redis::cmd("PING");
            let ping = command.query_async::<String>(&mut conn);
            match tokio::time::timeout(Duration::from_secs(1), ping).await {
                Ok(Ok(_)) => "ok",
                _ => "degraded",
            }
        }
    };
    let events = match services.bus.shared_status() {
        None => "local",
        Some(true) => "shared",
        Some(false) => "local_only",
    };
    let status = if database {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if database { "ready" } else { "unavailable" },
        "database": if database { "ok" } else { "down" },
        "redis": redis,
        "events": events,
    });
    (status, Json(body))
}

pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(&app.services.db),
    )
}
