//! GraphiQL from the binary: the page a browser gets at `GET /graphql` and its scripts and
//! styles at `/graphiql/{version}/{file}` (`assets/graphiql/`, unmodified from npm), so it works
//! where public CDNs are unreachable (政务外网). The page runs no inline script; its
//! Content-Security-Policy allows scripts, styles and connections to this origin only.

use std::{io::Write as _, sync::OnceLock};

use axum::{
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use flate2::{Compression, write::GzEncoder};

/// In the assets' path, so a new version is never mixed with a cached old one.
const VERSION: &str = "3.8.3";

/// Scripts, styles and connections from this origin only (GraphiQL sets element styles, hence
/// `'unsafe-inline'` for styles alone; its icons are `data:` URLs).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    gzipped: OnceLock<Vec<u8>>,
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!("../../assets/graphiql/", $name)),
            gzipped: OnceLock::new(),
        }
    };
}

static ASSETS: [Asset; 6] = [
    asset!("graphiql.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql.min.css", "text/css; charset=utf-8"),
    asset!("react.production.min.js", "text/javascript; charset=utf-8"),
    asset!(
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("init.js", "text/javascript; charset=utf-8"),
    asset!("page.css", "text/css; charset=utf-8"),
];

/// The page: GraphiQL's scripts and ours, in order, all from this origin.
pub fn page() -> Response {
    let base = format!("/graphiql/{VERSION}");
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>fupin-market · GraphiQL</title>\
         <link rel=\"stylesheet\" href=\"{base}/graphiql.min.css\">\
         <link rel=\"stylesheet\" href=\"{base}/page.css\"></head>\
         <body><div id=\"graphiql\">正在加载 GraphiQL… Loading…</div>\
         <script src=\"{base}/react.production.min.js\"></script>\
         <script src=\"{base}/react-dom.production.min.js\"></script>\
         <script src=\"{base}/graphiql.min.js\"></script>\
         <script src=\"{base}/init.js\"></script></body></html>"
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::best());
    // Writing into a Vec cannot fail; on the impossible error the asset goes uncompressed.
    if encoder.write_all(bytes).is_err() {
        return Vec::new();
    }
    encoder.finish().unwrap_or_default()
}

/// `GET /graphiql/{version}/{file}`: an asset, gzipped once when the client takes gzip; kept
/// by browsers for a year (the version is in the path).
pub async fn asset(Path((version, name)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS
        .iter()
        .find(|a| a.name == name)
        .filter(|_| version == VERSION)
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let takes_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let gzipped = takes_gzip
        .then(|| asset.gzipped.get_or_init(|| gzip(asset.bytes)))
        .filter(|g| !g.is_empty());
    let mut response = match gzipped {
        Some(body) => {
            let mut response = body.clone().into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            response
        }
        None => asset.bytes.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_embedded_and_compresses() {
        for asset in &ASSETS {
            assert!(!asset.bytes.is_empty(), "{}", asset.name);
        }
        let compressed = gzip(ASSETS[0].bytes);
        assert!(!compressed.is_empty() && compressed.len() < ASSETS[0].bytes.len() / 2);
    }
}
