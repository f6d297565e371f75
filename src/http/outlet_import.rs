//! `POST /imports/outlet-sales?outletId=…&period=YYYY-MM`: an outlet's monthly sales from a
//! spreadsheet, the file itself as the body (`text/csv`, or the XLSX media type; XLSX is also
//! recognised by its first bytes). The same sign-in and quotas as `/graphql`; the same rules as
//! `reportOutletSales`, all or nothing. It answers like a mutation payload: 200 with
//! `{"report": {…}, "errors": []}`, or 422 with `{"report": null, "errors": [UserError…]}` naming
//! `["file", "header", column]` or `["file", "row", N, column]` (at most 100 errors).
//! `GET /imports/outlet-sales/template.csv` is the template.
//!
//! A plain endpoint rather than a GraphQL `Upload`: our `/graphql` handler takes JSON only
//! (415 otherwise, per the GraphQL-over-HTTP spec and to keep CSRF shut), and the multipart
//! request spec would reopen exactly that path for one mutation.

use std::net::SocketAddr;

use axum::{
    body::Bytes,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use entity::{api_name::ApiName, outlet_report::ReportSource};
use serde_json::json;

use super::{
    AppState,
    exports::{admitted_viewer, app_error},
    graphql::client_ip,
};
use crate::{
    auth::{Caller, ClientInfo},
    error::{AppError, UserError},
    ids::{self, NodeKind},
    trade::{
        outlet_reports::{self, Locator, ReportInput},
        report_import::{self, Format},
    },
};

/// Largest file taken (a 20,000-row CSV is about 1.5 MB).
pub const MAX_FILE: usize = 8 * 1024 * 1024;

fn params(pairs: &[(String, String)]) -> Result<(uuid::Uuid, String), AppError> {
    let [outlet, period] = super::named_params(pairs, ["outletId", "period"])?;
    let (Some(outlet), Some(period)) = (outlet, period) else {
        return Err(AppError::BadInput(msg!(
            "http.give_outletid_outlet_id_period_yyyy"
        )));
    };
    let outlet = ids::expect(&async_graphql::ID(outlet), NodeKind::Outlet, "outletId")?;
    Ok((outlet, period))
}

fn refused(errors: &[UserError]) -> Response {
    let errors: Vec<_> = errors
        .iter()
        .map(|e| json!({ "field": e.field, "code": e.code.as_str(), "message": e.message }))
        .collect();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({ "report": null, "errors": errors }).to_string(),
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
    let (outlet_id, period) = match params(&pairs) {
        Ok(found) => found,
        Err(error) => return app_error(error),
    };
    let content_type = headers_in
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let format = report_import::sniff(content_type, &body);
    let lines = match report_import::parse(format, &body) {
        Ok(lines) => lines,
        Err(errors) => return refused(&errors),
    };
    let client = ClientInfo {
        ip: client_ip(
            &headers_in,
            Some(peer),
            app.services.settings.trust_forwarded_for,
        ),
    };
    let caller = Caller::new(&app.services, &viewer, client);
    let input = ReportInput {
        outlet_id,
        period,
        lines,
        source: match format {
            Format::Csv => ReportSource::Csv,
            Format::Xlsx => ReportSource::Xlsx,
        },
    };
    match outlet_reports::submit(caller, input, Locator::Sheet).await {
        Ok((report, lines)) => (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            json!({
                "report": {
                    "id": NodeKind::OutletReport.id(report.id).0,
                    "period": report.period,
                    "status": report.status.api_name(),
                    "source": report.source.api_name(),
                    "lines": lines,
                },
                "errors": [],
            })
            .to_string(),
        )
            .into_response(),
        Err(AppError::User(errors)) => refused(&errors),
        Err(other) => app_error(other),
    }
}

/// The template: the headers and an example row, as CSV.
pub async fn template() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"outlet-sales.csv\"",
            ),
        ],
        report_import::template_csv(),
    )
        .into_response()
}
