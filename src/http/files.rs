//! `GET /files/{id}` and `GET /files/{id}/thumbnail`: a file's bytes, streamed from storage a
//! chunk at a time, with the usual bearer token, to those who may read the subject it is
//! attached to; anyone else gets 404, as for an unknown ID. `ETag` is the content's SHA-256
//! (`If-None-Match` answers 304), `Cache-Control: private`.

use std::net::SocketAddr;

use axum::{
    body::Body,
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    AppState,
    exports::{admitted_viewer, app_error},
};
use crate::{
    error::AppError,
    files::files,
    ids::{self, NodeKind},
};

pub async fn download(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers_in: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    serve(app, peer, &headers_in, &id, false).await
}

pub async fn thumbnail(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers_in: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    serve(app, peer, &headers_in, &id, true).await
}

async fn serve(
    app: AppState,
    peer: SocketAddr,
    headers_in: &HeaderMap,
    id: &str,
    thumbnail: bool,
) -> Response {
    let viewer = match admitted_viewer(&app, peer, headers_in).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let Some((NodeKind::File, id)) = ids::decode(id) else {
        return app_error(AppError::NotFound("not_found.file"));
    };
    let found = match files::download(&app.services, Some(&viewer), id, thumbnail).await {
        Ok(found) => found,
        Err(error) => return app_error(error),
    };
    let etag = format!("\"{}\"", found.sha256);
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let unchanged = headers_in
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    if let Ok(value) = HeaderValue::from_str(&found.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(found.size));
    if let Ok(value) = HeaderValue::from_str(&disposition(&found.name, thumbnail)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    (StatusCode::OK, headers, Body::from_stream(found.body)).into_response()
}

/// `inline` with the name percent-encoded (RFC 6266 / 8187), so no name can break the header.
fn disposition(name: &str, thumbnail: bool) -> String {
    let mut encoded = String::new();
    if thumbnail {
        encoded.push_str("thumbnail-");
    }
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("inline; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_encoded() {
        assert_eq!(
            disposition("营业执照 1.pdf", false),
            "inline; filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%201.pdf"
        );
        assert_eq!(
            disposition("a\";b.png", true),
            "inline; filename*=UTF-8''thumbnail-a%22%3Bb.png"
        );
    }
}
