//! `POST /imports/catalogue?producerId=…&dryRun=true|false`: a producer's products from a
//! spreadsheet, the file itself as the body (CSV or XLSX, told apart by its content type or first
//! bytes). The same sign-in and quotas as `/graphql`. Members of the producer may import, and
//! officers whose scope covers it. `dryRun` defaults to `true`: nothing is written.
//!
//! It answers 200 with `{"dryRun", "created", "updated", "unchanged", "rows": [{row, sku,
//! action, changes}], "errors": []}` (`rows` lists at most the first 1,000; the counts are
//! exact), or 422 with the same shape, zero counts and every problem found in `errors` as
//! `{row, column, code, message, field: ["file", "row", N, column]}`; then nothing is written.
//! `GET /imports/catalogue/template.csv` is the template.

use std::net::SocketAddr;

use axum::{
    body::Bytes,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{
    AppState,
    exports::{admitted_viewer, app_error},
    graphql::client_ip,
};
use crate::{
    auth::{Caller, ClientInfo},
    catalogue::import::{self, Outcome, RowError},
    error::AppError,
    ids::{self, NodeKind},
    trade::report_import,
};

/// Largest file taken (a 10,000-row CSV is about 1 MB).
pub const MAX_FILE: usize = 16 * 1024 * 1024;

fn params(pairs: &[(String, String)]) -> Result<(uuid::Uuid, bool), AppError> {
    let [producer, dry_run] = super::named_params(pairs, ["producerId", "dryRun"])?;
    let Some(producer) = producer else {
        return Err(AppError::BadInput(msg!("http.give_producerid_producer_id")));
    };
    let dry_run = match dry_run.as_deref() {
        None | Some("true") => true,
        Some("false") => false,
        Some(_) => {
            return Err(AppError::BadInput(msg!("http.dryrun_true_false")));
        }
    };
    let producer = ids::expect(
        &async_graphql::ID(producer),
        NodeKind::Producer,
        "producerId",
    )?;
    Ok((producer, dry_run))
}

fn answer(status: StatusCode, dry_run: bool, outcome: &Outcome, errors: &[RowError]) -> Response {
    let rows: Vec<_> = outcome
        .rows
        .iter()
        .map(|r| {
            json!({
                "row": r.row,
                "sku": r.sku,
                "action": r.action.as_str(),
                "changes": r.changes,
            })
        })
        .collect();
    let errors: Vec<_> = errors.iter().map(RowError::to_json).collect();
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({
            "dryRun": dry_run,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "rows": rows,
            "errors": errors,
        })
        .to_string(),
    )
        .into_response()
}

pub async fn import(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers_in: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    let viewer = match admitted_viewer(&app, peer, &headers_in).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let (producer_id, dry_run) = match params(&pairs) {
        Ok(found) => found,
        Err(error) => return app_error(error),
    };
    let client = ClientInfo {
        ip: client_ip(
            &headers_in,
            Some(peer),
            app.services.settings.trust_forwarded_for,
        ),
    };
    let caller = Caller::new(&app.services, &viewer, client);
    let content_type = headers_in
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let format = report_import::sniff(content_type, &body);
    // Parsing is CPU work: off the async workers.
    let parsed = crate::i18n::spawn_blocking(move || import::parse(format, &body)).await;
    let rows = match parsed {
        Ok(Ok(rows)) => rows,
        Ok(Err(errors)) => {
            // Whoever may not import for the producer learns that first, not the file's faults.
            if let Err(error) = import::import(caller, producer_id, Vec::new(), true).await {
                return app_error(error);
            }
            return answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                dry_run,
                &Outcome::default(),
                &errors,
            );
        }
        Err(join) => return app_error(AppError::internal(join)),
    };
    match import::import(caller, producer_id, rows, dry_run).await {
        Ok(outcome) => answer(StatusCode::OK, dry_run, &outcome, &[]),
        // A rule refusing a product (a SKU taken by a concurrent import): refused like a file.
        Err(AppError::User(errors)) => {
            let errors: Vec<RowError> = errors
                .into_iter()
                .map(|e| RowError {
                    row: 0,
                    column: e.field.map(|f| f.join(".")).unwrap_or_default(),
                    code: e.code.as_str(),
                    message: e.message,
                })
                .collect();
            answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                dry_run,
                &Outcome::default(),
                &errors,
            )
        }
        Err(other) => app_error(other),
    }
}

/// The template: the headers, an example row and a comment line, as CSV.
pub async fn template() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"catalogue.csv\"",
            ),
        ],
        import::template_csv(),
    )
        .into_response()
}
