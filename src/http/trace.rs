//! `GET /trace/{code}`: the page a scanned trace code opens (plain HTML, nothing fetched from
//! elsewhere), and `GET /trace/{code}.svg` / `.png`: the QR code to print on the goods, which
//! encodes that page's address. All public, as `traceCode` is; anonymous quotas apply.

use std::{fmt::Write as _, net::SocketAddr};

use axum::{
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use entity::{lot::InspectionResult, product::QualityMark, region::PovertyStatus};
use image::{ImageFormat, Luma};
use qrcode::{QrCode, render::svg};

use super::{
    AppState,
    exports::app_error,
    graphql::{admit, client_ip},
};
use crate::{
    auth::ClientInfo,
    catalogue::lots::{self, Trace},
    error::{AppError, ErrorCode},
};

/// What the path asks for.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    Page,
    Svg,
    Png,
}

fn wanted(file: &str) -> (&str, Wanted) {
    if let Some(code) = file.strip_suffix(".svg") {
        (code, Wanted::Svg)
    } else if let Some(code) = file.strip_suffix(".png") {
        (code, Wanted::Png)
    } else {
        (file, Wanted::Page)
    }
}

pub async fn trace(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let client = ClientInfo {
        ip: client_ip(
            &headers,
            Some(peer),
            app.services.settings.trust_forwarded_for,
        ),
    };
    if let Err(refusal) = admit(&app.services, None, &client).await {
        return refusal.into_json_response();
    }
    let (code, wanted) = wanted(&file);
    let found = match lots::trace(&app.services.db, code).await {
        Ok(found) => found,
        // A page that is not there: 404, as for any unknown address.
        Err(AppError::User(errors)) if errors.iter().all(|e| e.code == ErrorCode::NotFound) => {
            return app_error(AppError::NotFound("not_found.trace_code"));
        }
        Err(error) => return app_error(error),
    };
    let address = format!("{}/trace/{}", base_url(&headers), found.lot.trace_code);
    let made = match wanted {
        Wanted::Page => Ok((
            "text/html; charset=utf-8",
            page(&found, &address).into_bytes(),
        )),
        Wanted::Svg => qr_svg(&address).map(|svg| ("image/svg+xml", svg.into_bytes())),
        Wanted::Png => qr_png(&address).map(|png| ("image/png", png)),
    };
    match made {
        Ok((content_type, body)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type),
                // Public facts that change rarely (a certification may lapse): a day is fine.
                (header::CACHE_CONTROL, "public, max-age=3600"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
                ),
            ],
            body,
        )
            .into_response(),
        Err(error) => app_error(error),
    }
}

/// The address the QR code encodes: the configured public address, else the request's host.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

fn qr(address: &str) -> Result<QrCode, AppError> {
    QrCode::new(address.as_bytes()).map_err(|e| AppError::internal(anyhow::anyhow!("QR: {e}")))
}

fn qr_svg(address: &str) -> Result<String, AppError> {
    Ok(qr(address)?
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build())
}

fn qr_png(address: &str) -> Result<Vec<u8>, AppError> {
    let image = qr(address)?
        .render::<Luma<u8>>()
        .min_dimensions(240, 240)
        .build();
    let mut png = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut png, ImageFormat::Png)
        .map_err(|e| AppError::internal(anyhow::anyhow!("PNG: {e}")))?;
    Ok(png.into_inner())
}

/// Text for HTML: the five characters that could open markup, escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn inspection_label(result: InspectionResult) -> &'static str {
    match result {
        InspectionResult::Qualified => "合格",
        InspectionResult::Unqualified => "不合格",
        InspectionResult::NotInspected => "未检测",
    }
}

fn poverty_label(status: PovertyStatus) -> &'static str {
    match status {
        PovertyStatus::NotPoor => "非贫困地区",
        PovertyStatus::Poor => "贫困地区",
        PovertyStatus::DeepPoverty => "深度贫困地区",
        PovertyStatus::Exited => "已脱贫摘帽",
    }
}

fn mark_label(mark: QualityMark) -> &'static str {
    match mark {
        QualityMark::GreenFood => "绿色食品",
        QualityMark::Organic => "有机产品",
        QualityMark::GeographicalIndication => "地理标志",
        QualityMark::RegionalBrand => "区域公用品牌",
    }
}

/// The page: each fact a row of a table, in Chinese.
fn page(found: &Trace, address: &str) -> String {
    let lot = &found.lot;
    let certified = found.certified_on(Utc::now().date_naive());
    let mut rows: Vec<(&str, String)> = vec![
        ("追溯码", lot.trace_code.clone()),
        (
            "产品",
            format!("{}（{}）", found.product.name, found.product.spec),
        ),
        ("生产者", found.producer_name.clone()),
        ("生产者所在地", found.producer_region.name.clone()),
        (
            "产地",
            format!(
                "{}（{}）",
                found.origin_village.name,
                poverty_label(found.origin_village.poverty_status)
            ),
        ),
        ("生产/采收日期", lot.produced_on.to_string()),
        (
            "批次数量",
            format!("{} {}", lot.quantity, found.product.unit),
        ),
        (
            "扶贫产品认定",
            if certified { "已认定" } else { "未认定" }.to_owned(),
        ),
        (
            "产地检测",
            inspection_label(lot.inspection_result).to_owned(),
        ),
    ];
    let marks = QualityMark::from_mask(found.product.quality_marks);
    if !marks.is_empty() {
        let labels: Vec<&str> = marks.into_iter().map(mark_label).collect();
        rows.push(("质量标志", labels.join("、")));
    }
    if let Some(on) = lot.inspected_on {
        rows.push(("检测日期", on.to_string()));
    }
    if let Some(body) = &lot.inspection_body {
        rows.push(("检测机构", body.clone()));
    }
    let mut html = String::from(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>产品追溯</title>\
         <style>body{font-family:sans-serif;margin:1em}td{padding:.3em .8em;border-bottom:1px solid #ddd}</style>\
         </head><body><h1>产品追溯</h1><table>",
    );
    for (label, value) in rows {
        let _ = write!(
            html,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            escape(label),
            escape(&value)
        );
    }
    let _ = write!(
        html,
        "</table><p><img alt=\"追溯二维码\" src=\"/trace/{}.svg\" width=\"160\"></p><p>{}</p></body></html>",
        escape(&lot.trace_code),
        escape(address)
    );
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_names_the_code_and_what_to_make_of_it() {
        assert_eq!(wanted("FP0123.svg"), ("FP0123", Wanted::Svg));
        assert_eq!(wanted("FP0123.png"), ("FP0123", Wanted::Png));
        assert_eq!(wanted("FP0123"), ("FP0123", Wanted::Page));
    }

    #[test]
    fn markup_in_a_name_is_shown_as_text() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn a_host_header_cannot_inject_into_the_encoded_address() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "example.org:8080".parse().expect("host"));
        assert_eq!(base_url(&headers), "http://example.org:8080");
        headers.insert(header::HOST, "evil/\"><x".parse().expect("host"));
        assert_eq!(base_url(&headers), "http://127.0.0.1:8080");
    }

    #[test]
    fn qr_images_are_made() {
        let svg = qr_svg("http://127.0.0.1:8080/trace/FP0123456789ABCDEF").expect("svg");
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"), "{svg}");
        let png = qr_png("http://127.0.0.1:8080/trace/FP0123456789ABCDEF").expect("png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
