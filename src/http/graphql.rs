//! GraphQL over HTTP, following the spec rather than async-graphql-axum's stock handler: content
//! negotiation between `application/graphql-response+json` and `application/json`, 400 for
//! requests that never reach execution, 405 for mutations over GET, 415 for a body that is not
//! JSON, 401 for a bad token, 429 with `Retry-After`, 413 past the body limit, and no batching.
//! File uploads come as `multipart/form-data` by the GraphQL multipart request spec, signed in
//! only, each file spooled to a temporary file as it arrives (`multipart`).

use std::{net::SocketAddr, time::Instant};

use async_graphql::{
    ServerError, Value, Variables,
    parser::{parse_query, types::OperationType},
};
use axum::{
    body::Bytes,
    extract::{ConnectInfo, Query, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde_json::{Map, json};

use super::{AppState, persisted::Lookup};
use crate::{
    auth::{ClientInfo, Viewer},
    error::ErrorCode,
    graphql::limits,
    loaders,
    rate_limit::RetryAfter,
    state::Services,
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type a response is written in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Media {
    GraphqlResponse,
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => GRAPHQL_RESPONSE_JSON,
            Media::Json => JSON,
        }
    }
}

/// The parameters of a GraphQL request, checked for type.
struct Params {
    /// Absent only when a persisted query's hash stands for it.
    query: Option<String>,
    variables: Option<Map<String, serde_json::Value>>,
    operation_name: Option<String>,
    /// `extensions.persistedQuery.sha256Hash`.
    persisted: Option<String>,
}

/// Parameters with their query text, sent or found by its hash.
struct Resolved {
    query: String,
    variables: Option<Map<String, serde_json::Value>>,
    operation_name: Option<String>,
}

/// How long a shared cache may keep an anonymous GET answer.
const PUBLIC_MAX_AGE_SECS: u32 = 60;

/// The query text of `params`: sent, or kept from an earlier request by its hash (Apollo's
/// automatic persisted queries). A hash that is not the text's is refused, nothing kept.
fn resolve(app: &AppState, params: Params, media: Media) -> Result<Resolved, Refusal> {
    let query = match params.persisted {
        None => params
            .query
            .ok_or_else(|| Refusal::bad_request(msg!("http.request_has_no_query")))?,
        Some(hash) => match app.persisted.resolve(&hash, params.query) {
            Lookup::Query(query) => query,
            Lookup::Mismatch => {
                return Err(Refusal::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::PersistedQueryHashMismatch,
                    msg!("http.extensions_persistedquery_sha256hash_not_sha_256"),
                ));
            }
            // Apollo clients look for this message, then send the text with the hash.
            Lookup::NotFound => {
                let status = match media {
                    Media::Json => StatusCode::OK,
                    Media::GraphqlResponse => StatusCode::BAD_REQUEST,
                };
                return Err(Refusal::new(
                    status,
                    ErrorCode::PersistedQueryNotFound,
                    // Apollo clients look for this exact message, in any language.
                    "PersistedQueryNotFound",
                ));
            }
        },
    };
    Ok(Resolved {
        query,
        variables: params.variables,
        operation_name: params.operation_name,
    })
}

/// Cache headers: an anonymous GET answered in full may be kept by shared caches for a minute,
/// with a strong `ETag` (`If-None-Match` then answers 304); everything else is `no-store`, so no
/// cache ever keeps an authenticated answer.
async fn with_cache_headers(
    response: Response,
    public: bool,
    if_none_match: Option<HeaderValue>,
) -> Response {
    let (mut parts, body) = response.into_parts();
    if !public || parts.status != StatusCode::OK {
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // `shape` writes `errors` only when there are some; an answer with errors is not kept.
    let cacheable = !bytes.windows(9).any(|w| w == b"\"errors\":");
    let headers = &mut parts.headers;
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization"),
    );
    if !cacheable {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let etag = format!("\"{}\"", super::persisted::hash_of_bytes(&bytes));
    let control = format!("public, max-age={PUBLIC_MAX_AGE_SECS}");
    if let (Ok(etag), Ok(control)) = (
        HeaderValue::from_str(&etag),
        HeaderValue::from_str(&control),
    ) {
        headers.insert(header::ETAG, etag.clone());
        headers.insert(header::CACHE_CONTROL, control);
        if if_none_match.is_some_and(|wanted| wanted == etag) {
            parts.status = StatusCode::NOT_MODIFIED;
            headers.remove(header::CONTENT_TYPE);
            return Response::from_parts(parts, axum::body::Body::empty());
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// A request refused before execution.
pub(crate) struct Refusal {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    headers: Vec<(header::HeaderName, HeaderValue)>,
    retry_after: Option<u64>,
}

impl Refusal {
    pub(super) fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
            retry_after: None,
        }
    }

    fn rate_limited(RetryAfter(seconds): RetryAfter) -> Self {
        let mut refusal = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            msg!("http.too_many_requests_retry_s", seconds = seconds),
        );
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            refusal.headers.push((header::RETRY_AFTER, value));
        }
        refusal.retry_after = Some(seconds);
        refusal
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::BadUserInput, message)
    }

    fn with_header(mut self, name: header::HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    pub(crate) fn into_json_response(self) -> Response {
        self.into_response(Media::Json)
    }

    fn into_response(self, media: Media) -> Response {
        let mut extensions = json!({ "code": self.code.as_str() });
        if let Some(seconds) = self.retry_after {
            extensions["retryAfter"] = json!(seconds);
        }
        let body = json!({
            "errors": [{ "message": self.message, "extensions": extensions }]
        });
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, media.content_type())],
            body.to_string(),
        )
            .into_response();
        response.headers_mut().extend(self.headers);
        response
    }
}

/// `GET /graphql`: GraphiQL for a browser, otherwise a query (never a mutation).
pub async fn get(State(app): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, _) = request.into_parts();
    let wants_html = accepts(&parts.headers, "text/html");
    let raw = parts.uri.query().unwrap_or_default();
    if wants_html && raw.is_empty() {
        return super::explorer::page();
    }
    let media = match negotiate(&parts.headers) {
        Ok(media) => media,
        Err(refusal) => return refusal.into_response(Media::Json),
    };
    let params = match params_from_query(&parts).and_then(|p| resolve(&app, p, media)) {
        Ok(params) => params,
        Err(refusal) => return refusal.into_response(media),
    };
    // Too deep a document is left to the schema to refuse, unparsed here.
    if limits::check_text(&params.query).is_ok()
        && let Ok(document) = parse_query(&params.query)
    {
        let operation = document.operations.iter().find(|(name, _)| {
            params
                .operation_name
                .as_deref()
                .is_none_or(|wanted| name.map(async_graphql::Name::as_str) == Some(wanted))
        });
        if let Some((_, op)) = operation
            && op.node.ty != OperationType::Query
        {
            return Refusal::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::BadUserInput,
                msg!("http.only_queries_may_sent_get_send"),
            )
            .with_header(header::ALLOW, "POST")
            .into_response(media);
        }
    }
    let public = !parts.headers.contains_key(header::AUTHORIZATION);
    let if_none_match = parts.headers.get(header::IF_NONE_MATCH).cloned();
    let response = execute(app, parts, params, media, started).await;
    with_cache_headers(response, public, if_none_match).await
}

/// `POST /graphql` with a JSON body.
pub async fn post(State(app): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let media = match negotiate(&parts.headers) {
        Ok(media) => media,
        Err(refusal) => return refusal.into_response(Media::Json),
    };
    if is_multipart(&parts.headers) {
        return multipart(app, parts, body, media, started).await;
    }
    if let Err(refusal) = check_content_type(&parts.headers) {
        return refusal.into_response(media);
    }
    let limit = app.services.settings.body_limit;
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadUserInput,
            msg!("http.request_body_exceeds_bytes", limit = limit),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large().into_response(media);
    }
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return too_large().into_response(media);
    };
    let params = match params_from_body(&bytes).and_then(|p| resolve(&app, p, media)) {
        Ok(params) => params,
        Err(refusal) => return refusal.into_response(media),
    };
    let response = execute(app, parts, params, media, started).await;
    with_cache_headers(response, false, None).await
}

async fn execute(
    app: AppState,
    parts: Parts,
    params: Resolved,
    media: Media,
    started: Instant,
) -> Response {
    let operation = app
        .metrics
        .operation_label(params.operation_name.as_deref());
    let response = match authenticate(&app, &parts.headers) {
        Ok(viewer) => {
            let client = client_info(&parts, app.services.settings.trust_forwarded_for);
            match admit(&app.services, viewer.as_ref(), &client).await {
                Ok(()) => run(&app, client, params, viewer, media).await,
                Err(refusal) => refusal.into_response(media),
            }
        }
        Err(refusal) => refusal.into_response(media),
    };
    app.metrics
        .observe_request(operation, response.status().as_u16(), started.elapsed());
    response
}

/// Counts a request against its user's and its address's quotas (shared across instances
/// through Redis); refused with 429 and `Retry-After` past either.
pub(crate) async fn admit(
    services: &Services,
    viewer: Option<&Viewer>,
    client: &ClientInfo,
) -> Result<(), Refusal> {
    let settings = &services.settings;
    if let Some(quota) = settings.request_quota_ip {
        services
            .limiter
            .check(&format!("req:ip:{}", client.ip), quota)
            .await
            .map_err(Refusal::rate_limited)?;
    }
    if let (Some(quota), Some(viewer)) = (settings.request_quota_user, viewer) {
        services
            .limiter
            .check(&format!("req:user:{}", viewer.user_id), quota)
            .await
            .map_err(Refusal::rate_limited)?;
    }
    Ok(())
}

/// At most this many files in one request.
const MAX_FILES: usize = 5;

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.essence_str() == "multipart/form-data")
}

/// A GraphQL multipart request (file uploads). A web page may post a form cross-site without a
/// preflight, but not with an `Authorization` header: uploads are for signed-in callers only,
/// checked (and counted against the quotas) before anything is read. Each file is spooled to a
/// temporary file as it arrives; one over twice `FILE_MAX_BYTES` is cut off with 413
/// `FILE_TOO_LARGE` (up to that, `uploadFile` refuses it on its field).
async fn multipart(
    app: AppState,
    parts: Parts,
    body: axum::body::Body,
    media: Media,
    started: Instant,
) -> Response {
    use futures_util::TryStreamExt;
    let response = async {
        let viewer = match authenticate(&app, &parts.headers) {
            Ok(Some(viewer)) => viewer,
            Ok(None) => {
                return Refusal::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::Unauthenticated,
                    msg!("http.file_uploads_need_authorization_bearer_access"),
                )
                .into_response(media);
            }
            Err(refusal) => return refusal.into_response(media),
        };
        let client = client_info(&parts, app.services.settings.trust_forwarded_for);
        if let Err(refusal) = admit(&app.services, Some(&viewer), &client).await {
            return refusal.into_response(media);
        }
        let cap = app.services.settings.file_max_bytes;
        let per_file = usize::try_from(cap.saturating_mul(2)).unwrap_or(usize::MAX);
        let options = async_graphql::http::MultipartOptions::default()
            .max_file_size(per_file)
            .max_num_files(MAX_FILES);
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let reader = body
            .into_data_stream()
            .map_err(std::io::Error::other)
            .into_async_read();
        match async_graphql::http::receive_body(content_type, reader, options).await {
            Ok(request) => run_request(&app, client, request, Some(viewer), media).await,
            Err(async_graphql::ParseRequestError::PayloadTooLarge) => Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::FileTooLarge,
                msg!("http.file_exceeds_bytes", cap = cap),
            )
            .into_response(media),
            Err(error) => {
                Refusal::bad_request(msg!("http.multipart_request_cannot_read", error = error))
                    .into_response(media)
            }
        }
    }
    .await;
    app.metrics.observe_request(
        app.metrics.operation_label(None),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

async fn run(
    app: &AppState,
    client: ClientInfo,
    params: Resolved,
    viewer: Option<Viewer>,
    media: Media,
) -> Response {
    let mut request = async_graphql::Request::new(params.query);
    if let Some(variables) = params.variables {
        request = request.variables(Variables::from_json(serde_json::Value::Object(variables)));
    }
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    run_request(app, client, request, viewer, media).await
}

async fn run_request(
    app: &AppState,
    client: ClientInfo,
    request: async_graphql::Request,
    viewer: Option<Viewer>,
    media: Media,
) -> Response {
    let services = &app.services;
    let mut request = request
        .data(client)
        .data(loaders::loaders(services.db.clone()));
    if let Some(viewer) = viewer {
        request = request.data(viewer);
    }
    let timeout = services.settings.request_timeout;
    match tokio::time::timeout(timeout, app.schema.execute(request)).await {
        Ok(response) => shape(response, media),
        Err(_) => Refusal::new(
            StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::Timeout,
            msg!(
                "http.request_took_longer_than_s",
                timeout = timeout.as_secs()
            ),
        )
        .into_response(media),
    }
}

/// Writes an execution result: codes on every error, the status the media type calls for.
fn shape(response: async_graphql::Response, media: Media) -> Response {
    // Parse and validation errors carry no path and leave no data: the request never ran.
    let never_ran = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let errors: Vec<ServerError> = response.errors.into_iter().map(with_code).collect();
    let retry_after = errors
        .iter()
        .filter(|e| code_of(e) == Some(ErrorCode::RateLimited.as_str().to_owned()))
        .filter_map(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("retryAfter"))
                .and_then(|v| match v {
                    Value::Number(n) => n.as_u64(),
                    _ => None,
                })
        })
        .max();
    let unavailable = errors
        .iter()
        .any(|e| code_of(e).as_deref() == Some(ErrorCode::Unavailable.as_str()));
    let status = if retry_after.is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else if unavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else if never_ran && media == Media::GraphqlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };

    let mut body = Map::new();
    if !never_ran {
        body.insert("data".into(), json_of(&response.data));
    }
    if !errors.is_empty() {
        body.insert(
            "errors".into(),
            serde_json::to_value(&errors).unwrap_or_default(),
        );
    }
    if !response.extensions.is_empty() {
        body.insert(
            "extensions".into(),
            serde_json::to_value(&response.extensions).unwrap_or_default(),
        );
    }
    let mut http = (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        serde_json::Value::Object(body).to_string(),
    )
        .into_response();
    if let Some(seconds) = retry_after.or(unavailable.then_some(1))
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        http.headers_mut().insert(header::RETRY_AFTER, value);
    }
    http
}

fn json_of(value: &Value) -> serde_json::Value {
    value.clone().into_json().unwrap_or(serde_json::Value::Null)
}

fn code_of(error: &ServerError) -> Option<String> {
    match error.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code.clone()),
        Value::Enum(code) => Some(code.to_string()),
        _ => None,
    }
}

/// Errors our resolvers raise carry a code already; the engine's own (parse, validation,
/// coercion, limits) get one here.
fn with_code(mut error: ServerError) -> ServerError {
    if code_of(&error).is_some() {
        return error;
    }
    let code = if error.message.starts_with("Query is too complex")
        || error.message.starts_with("Query is nested too deep")
    {
        ErrorCode::QueryTooComplex
    } else {
        ErrorCode::BadUserInput
    };
    // The engine writes in English; Chinese readers get it introduced in their language.
    error.message = msg!("graphql.request_invalid", detail = error.message);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
    error
}

/// `None` without an `Authorization` header; a header that does not hold a valid token is a 401,
/// never a silent downgrade to anonymous.
pub(super) fn authenticate(app: &AppState, headers: &HeaderMap) -> Result<Option<Viewer>, Refusal> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let refuse = |message: String| {
        Refusal::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            message,
        )
        .with_header(header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#)
    };
    let text = value
        .to_str()
        .map_err(|_| refuse(msg!("http.unreadable_authorization_header")))?;
    let token = match text.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(refuse(msg!("http.use_authorization_bearer_access_token"))),
    };
    let claims = app
        .services
        .tokens
        .verify(token)
        .ok_or_else(|| refuse(msg!("http.access_token_invalid_expired")))?;
    Ok(Some(Viewer {
        user_id: claims.sub,
        roles: claims.roles,
    }))
}

pub(crate) fn client_info(parts: &Parts, trust_forwarded_for: bool) -> ClientInfo {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    ClientInfo {
        ip: client_ip(&parts.headers, peer, trust_forwarded_for),
    }
}

/// The client's address: the peer's, or the first `X-Forwarded-For` hop behind a trusted proxy.
pub(crate) fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_forwarded_for: bool,
) -> std::net::IpAddr {
    let forwarded = trust_forwarded_for
        .then(|| headers.get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.trim().parse().ok());
    forwarded
        .or(peer.map(|p| p.ip()))
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
}

fn media_types(headers: &HeaderMap) -> Option<Vec<String>> {
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    Some(
        accept
            .split(',')
            .map(|part| {
                part.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|m| !m.is_empty())
            .collect(),
    )
}

fn accepts(headers: &HeaderMap, wanted: &str) -> bool {
    media_types(headers).is_some_and(|types| types.iter().any(|t| t == wanted))
}

/// The first acceptable media type in `Accept`; none given means `application/json`.
fn negotiate(headers: &HeaderMap) -> Result<Media, Refusal> {
    let Some(types) = media_types(headers) else {
        return Ok(Media::Json);
    };
    if types.is_empty() {
        return Ok(Media::Json);
    }
    for media in &types {
        match media.as_str() {
            "application/graphql-response+json" => return Ok(Media::GraphqlResponse),
            "application/json" | "application/*" | "*/*" => return Ok(Media::Json),
            _ => {}
        }
    }
    Err(Refusal::new(
        StatusCode::NOT_ACCEPTABLE,
        ErrorCode::BadUserInput,
        msg!("http.accept_application_graphql_response_json_application"),
    ))
}

/// Only JSON bodies: a `text/plain` body would let any web page post mutations cross-site.
fn check_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    let unsupported = || {
        Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadUserInput,
            msg!("http.send_request_content_type_application_json"),
        )
    };
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unsupported)?;
    let mime: mime::Mime = value.parse().map_err(|_| unsupported())?;
    let charset_ok = mime
        .get_param(mime::CHARSET)
        .is_none_or(|c| c.as_str().eq_ignore_ascii_case("utf-8"));
    if mime.essence_str() == "application/json" && charset_ok {
        Ok(())
    } else {
        Err(unsupported())
    }
}

fn params_from_body(bytes: &Bytes) -> Result<Params, Refusal> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Refusal::bad_request(msg!("http.body_not_valid_json", e = e)))?;
    match value {
        serde_json::Value::Object(map) => params_from_map(map),
        serde_json::Value::Array(_) => Err(Refusal::bad_request(msg!(
            "http.batched_requests_not_supported_send_one"
        ))),
        _ => Err(Refusal::bad_request(msg!("http.body_must_json_object"))),
    }
}

fn params_from_query(parts: &Parts) -> Result<Params, Refusal> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map_err(|_| Refusal::bad_request(msg!("http.query_string_cannot_read")))?;
    let mut map = Map::new();
    for (key, value) in pairs {
        let value = match key.as_str() {
            // Sent as JSON text inside the query string.
            "variables" | "extensions" => serde_json::from_str(&value).map_err(|_| {
                Refusal::bad_request(msg!("http.must_json_encoded_object", key = key))
            })?,
            _ => serde_json::Value::String(value),
        };
        map.insert(key, value);
    }
    params_from_map(map)
}

fn params_from_map(mut map: Map<String, serde_json::Value>) -> Result<Params, Refusal> {
    use serde_json::Value as J;
    let query = match map.remove("query") {
        Some(J::String(query)) => Some(query),
        None | Some(J::Null) => None,
        Some(_) => return Err(Refusal::bad_request(msg!("http.query_must_string"))),
    };
    let variables = match map.remove("variables") {
        None | Some(J::Null) => None,
        Some(J::Object(variables)) => Some(variables),
        Some(_) => return Err(Refusal::bad_request(msg!("http.variables_must_object"))),
    };
    let operation_name = match map.remove("operationName") {
        None | Some(J::Null) => None,
        Some(J::String(name)) => Some(name),
        Some(_) => return Err(Refusal::bad_request(msg!("http.operationname_must_string"))),
    };
    let persisted = match map.remove("extensions") {
        None | Some(J::Null) => None,
        Some(J::Object(mut extensions)) => persisted_hash(extensions.remove("persistedQuery"))?,
        Some(_) => return Err(Refusal::bad_request(msg!("http.extensions_must_object"))),
    };
    if query.is_none() && persisted.is_none() {
        return Err(Refusal::bad_request(msg!("http.request_has_no_query")));
    }
    Ok(Params {
        query,
        variables,
        operation_name,
        persisted,
    })
}

/// `extensions.persistedQuery`: `{version: 1, sha256Hash: <64 lowercase hex>}`.
fn persisted_hash(value: Option<serde_json::Value>) -> Result<Option<String>, Refusal> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let version = value.get("version").and_then(serde_json::Value::as_i64);
    let hash = value.get("sha256Hash").and_then(serde_json::Value::as_str);
    match (version, hash) {
        (Some(1), Some(hash)) if super::persisted::is_hash(hash) => Ok(Some(hash.to_owned())),
        _ => Err(Refusal::bad_request(msg!(
            "http.extensions_persistedquery_must_version_1_sha256hash"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn negotiation_follows_the_accept_header() {
        assert_eq!(negotiate(&headers(&[])).ok(), Some(Media::Json));
        let both = headers(&[(
            header::ACCEPT,
            "application/graphql-response+json, application/json",
        )]);
        assert_eq!(negotiate(&both).ok(), Some(Media::GraphqlResponse));
        assert_eq!(
            negotiate(&headers(&[(header::ACCEPT, "*/*")])).ok(),
            Some(Media::Json)
        );
        assert!(negotiate(&headers(&[(header::ACCEPT, "text/xml")])).is_err());
    }

    #[test]
    fn only_json_bodies_in_utf8_are_read() {
        let ok = headers(&[(header::CONTENT_TYPE, "application/json; charset=UTF-8")]);
        assert!(check_content_type(&ok).is_ok());
        for bad in [
            "text/plain",
            "application/json; charset=latin1",
            "multipart/form-data",
        ] {
            let h = headers(&[(header::CONTENT_TYPE, bad)]);
            assert!(check_content_type(&h).is_err(), "{bad} must be refused");
        }
        assert!(check_content_type(&headers(&[])).is_err());
    }

    #[test]
    fn parameters_are_type_checked() {
        let parse = |body: &'static str| params_from_body(&Bytes::from_static(body.as_bytes()));
        assert!(parse(r#"{"query":"{ __typename }"}"#).is_ok());
        for bad in [
            r#"[{"query":"{ __typename }"}]"#,
            r#"{"query":1}"#,
            r#"{"qeury":"{ __typename }"}"#,
            r#"{"query":"{ a }","variables":"x"}"#,
            r#"{"query":"{ a }","operationName":false}"#,
            r#"{"query":"{ a }","extensions":[1]}"#,
            r#"{ "not json"#,
        ] {
            let refused = parse(bad).err().map(|r| r.status);
            assert_eq!(refused, Some(StatusCode::BAD_REQUEST), "{bad}");
        }
    }
}
