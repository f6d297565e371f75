//! The HTTP surface: `/graphql` (GraphQL over HTTP), `/healthz`, `/readyz`, `/metrics`, the
//! exports and imports, `/files/{id}` (downloads), and the public trace pages (`/trace/{code}`).

pub mod catalogue_import;
pub mod explorer;
pub mod exports;
pub mod files;
pub mod graphql;
pub mod health;
pub mod metrics;
pub mod outlet_import;
pub mod period_export;
pub mod persisted;
pub mod trace;
pub mod ws;

use std::sync::Arc;

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tower_http::{catch_panic::CatchPanicLayer, trace::TraceLayer};

use crate::{graphql::AppSchema, i18n, state::Services};

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub schema: AppSchema,
    pub metrics: Arc<metrics::Metrics>,
    /// Query texts by hash (automatic persisted queries), this instance's.
    pub persisted: persisted::PersistedQueries,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(crate::http::ws::upgrade))
        .route("/graphiql/{version}/{file}", get(explorer::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/files/{id}", get(files::download))
        .route("/files/{id}/thumbnail", get(files::thumbnail))
        .route("/exports/ledger.csv", get(exports::ledger_csv))
        .route("/exports/ledger.xlsx", get(exports::ledger_xlsx))
        .route(
            "/exports/closed-period.xlsx",
            get(period_export::closed_period_xlsx),
        )
        .route(
            "/imports/outlet-sales",
            post(outlet_import::import).layer(DefaultBodyLimit::max(outlet_import::MAX_FILE)),
        )
        .route(
            "/imports/catalogue",
            post(catalogue_import::import).layer(DefaultBodyLimit::max(catalogue_import::MAX_FILE)),
        )
        .route(
            "/imports/catalogue/template.csv",
            get(catalogue_import::template),
        )
        .route("/trace/{file}", get(trace::trace))
        .route(
            "/imports/outlet-sales/template.csv",
            get(outlet_import::template),
        )
        .layer(CatchPanicLayer::custom(panic_response))
        // Around the panic catcher, so that every answer, a panic's too, is in the language asked.
        .layer(axum::middleware::from_fn(speak_the_readers_language))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Middleware: the whole request, from the first refusal to the last resolver, speaks the
/// language its `Accept-Language` asks for; the answer says which (`Content-Language`).
async fn speak_the_readers_language(request: Request, next: Next) -> Response {
    let locale = i18n::Locale::of_headers(request.headers());
    let mut response = i18n::scope(locale, next.run(request)).await;
    response.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(locale.tag()),
    );
    response
}

/// A panic is a bug; the client still gets a coded error and not a dropped connection.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({
            "errors": [{ "message": msg!("error.internal"), "extensions": { "code": "INTERNAL" } }]
        })
        .to_string(),
    )
        .into_response()
}

/// The query parameters an import takes, by name: each at most once (a value cut at 200
/// characters), no other; `BAD_USER_INPUT` otherwise. Absent ones are `None`.
pub(crate) fn named_params<const N: usize>(
    pairs: &[(String, String)],
    names: [&str; N],
) -> Result<[Option<String>; N], crate::error::AppError> {
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    for (name, value) in pairs {
        let Some(slot) = names.iter().position(|n| n == name) else {
            let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            return Err(crate::error::AppError::BadInput(msg!(
                "http.parameters",
                value0 = listed.join(" and ")
            )));
        };
        if found[slot]
            .replace(value.chars().take(200).collect())
            .is_some()
        {
            return Err(crate::error::AppError::BadInput(msg!(
                "http.given_twice",
                name = name
            )));
        }
    }
    Ok(found)
}
