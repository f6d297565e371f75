//! Issue 17, item 1: files. Uploads by the GraphQL multipart request spec over real HTTP,
//! downloads at `/files/{id}` for those who may read the subject (404 for anyone else), one
//! stored copy per content, refusals (too large, forbidden type, declared type not the content's)
//! that store nothing, thumbnails of images, and S3-compatible storage when `TEST_S3_ENDPOINT`
//! names a server.

use entity::{audit_event, blob, blob_chunk, file};
use fupin_market::config::S3Config;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    harness::TestApp,
    world::{CREATE_PRODUCER, VILLAGE, World, producer_input},
};

const UPLOAD: &str = "mutation($input: UploadFileInput!) { uploadFile(input: $input) {
    file { id name contentType size sha256 purpose url thumbnailUrl uploadedBy { username } }
    errors { field code message } } }";
const PRODUCER_FILES: &str =
    "query($id: ID!) { node(id: $id) { ... on Producer { files { id name sha256 purpose } } } }";

/// A multipart body by the GraphQL multipart request spec: `operations`, `map`, then the file.
fn multipart(
    query: &str,
    variables: Value,
    name: &str,
    content_type: Option<&str>,
    bytes: &[u8],
) -> (String, Vec<u8>) {
    let boundary = "----fupin-test-boundary-7e1c";
    let operations = json!({ "query": query, "variables": variables }).to_string();
    let map = json!({ "0": ["variables.input.file"] }).to_string();
    let mut body = Vec::new();
    for (field, value) in [("operations", operations), ("map", map)] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{name}\"\r\n"
        )
        .as_bytes(),
    );
    if let Some(content_type) = content_type {
        body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn send_upload(
    app: &TestApp,
    token: Option<&str>,
    subject: &str,
    purpose: &str,
    name: &str,
    content_type: Option<&str>,
    bytes: &[u8],
) -> reqwest::Response {
    let variables = json!({ "input": { "file": null, "subjectId": subject, "purpose": purpose } });
    let (header, body) = multipart(UPLOAD, variables, name, content_type, bytes);
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", header)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("upload")
}

/// The `uploadFile` payload of an upload answered with 200.
pub(crate) async fn upload(
    app: &TestApp,
    token: Option<&str>,
    subject: &str,
    purpose: &str,
    name: &str,
    content_type: Option<&str>,
    bytes: &[u8],
) -> Value {
    let response = send_upload(app, token, subject, purpose, name, content_type, bytes).await;
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["uploadFile"].clone()
}

fn uploaded_id(payload: &Value) -> String {
    payload["file"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no file: {payload}"))
        .to_owned()
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("download")
}

/// A PDF-looking file of `size` bytes (the type is sniffed from its first bytes).
pub(crate) fn pdf(size: usize, seed: u8) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut x = u32::from(seed) + 1;
    while bytes.len() < size {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        bytes.push((x >> 16) as u8);
    }
    bytes
}

pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    })
    .write_to(&mut out, image::ImageFormat::Png)
    .expect("png");
    out.into_inner()
}

fn hex_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn error_fields(payload: &Value) -> Vec<(String, String)> {
    payload["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    let field = e["field"]
                        .as_array()
                        .map(|f| {
                            f.iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(".")
                        })
                        .unwrap_or_default();
                    (field, e["code"].as_str().unwrap_or_default().to_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn stored(app: &TestApp) -> (u64, u64, u64) {
    let db = app.db();
    (
        file::Entity::find().count(db).await.expect("files"),
        blob::Entity::find().count(db).await.expect("blobs"),
        blob_chunk::Entity::find().count(db).await.expect("chunks"),
    )
}

#[tokio::test]
async fn an_upload_downloads_as_sent_and_identical_content_is_stored_once() {
    let w = World::build().await;
    let app = &w.app;
    let bytes = pdf(600 * 1024, 1);
    let first = upload(
        app,
        w.producer_admin.token(),
        &w.producer_id,
        "LICENCE",
        "营业执照.pdf",
        Some("application/pdf"),
        &bytes,
    )
    .await;
    assert_eq!(first["errors"], json!([]), "{first}");
    let sha = hex_sha256(&bytes);
    assert_eq!(first["file"]["contentType"], "application/pdf");
    assert_eq!(first["file"]["size"], json!(bytes.len()));
    assert_eq!(first["file"]["sha256"], json!(sha));
    assert_eq!(first["file"]["name"], "营业执照.pdf");
    assert_eq!(first["file"]["purpose"], "LICENCE");
    assert_eq!(first["file"]["thumbnailUrl"], Value::Null);
    assert_eq!(first["file"]["uploadedBy"]["username"], "coop.admin");
    let url = first["file"]["url"].as_str().expect("url").to_owned();
    assert_eq!(url, format!("/files/{}", uploaded_id(&first)));

    // The clerk of the same producer downloads it: the same bytes, typed, sized and tagged.
    let response = get(app, w.producer_clerk.token(), &url).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["content-length"], bytes.len().to_string().as_str());
    assert_eq!(headers["etag"], format!("\"{sha}\"").as_str());
    assert_eq!(headers["cache-control"], "private");
    let downloaded = response.bytes().await.expect("body");
    assert!(
        downloaded[..] == bytes[..],
        "the download differs from the upload"
    );
    let again = app
        .client
        .get(app.url(&url))
        .bearer_auth(w.producer_clerk.token().expect("token"))
        .header("if-none-match", format!("\"{sha}\""))
        .send()
        .await
        .expect("conditional");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // The county officer attaches the same bytes under another name: a second file, one blob.
    let second = upload(
        app,
        w.officer.token(),
        &w.producer_id,
        "COMMITMENT_LETTER",
        "承诺书.pdf",
        None,
        &bytes,
    )
    .await;
    assert_eq!(second["errors"], json!([]), "{second}");
    assert_eq!(second["file"]["sha256"], json!(sha));
    assert_ne!(uploaded_id(&second), uploaded_id(&first));
    // 600 KB in 256 KB chunks: three rows, once.
    assert_eq!(stored(app).await, (2, 1, 3));

    let listed = app
        .gql(
            w.producer_admin.token(),
            PRODUCER_FILES,
            json!({ "id": w.producer_id }),
        )
        .await;
    let names: Vec<&str> = listed["data"]["node"]["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(names, ["营业执照.pdf", "承诺书.pdf"]);
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("file.upload"))
        .count(app.db())
        .await
        .expect("audit");
    assert_eq!(audited, 2);

    // Removed by a member: gone from the list and from downloads.
    let removed = app
        .gql(
            w.producer_admin.token(),
            "mutation($id: ID!) { removeFile(input: {fileId: $id}) { fileId errors { code } } }",
            json!({ "id": uploaded_id(&second) }),
        )
        .await;
    assert_eq!(
        removed["data"]["removeFile"]["errors"],
        json!([]),
        "{removed}"
    );
    let gone = get(
        app,
        w.producer_admin.token(),
        second["file"]["url"].as_str().expect("url"),
    )
    .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(stored(app).await, (1, 1, 3));
}

#[tokio::test]
async fn refused_uploads_name_the_field_and_store_nothing() {
    let w = World::build_with(|settings| settings.file_max_bytes = 64 * 1024).await;
    let app = &w.app;
    let token = w.producer_admin.token();
    let subject = w.producer_id.as_str();

    let too_large = upload(
        app,
        token,
        subject,
        "LICENCE",
        "big.pdf",
        None,
        &pdf(100 * 1024, 2),
    )
    .await;
    assert_eq!(
        error_fields(&too_large),
        [("input.file".into(), "FILE_TOO_LARGE".into())]
    );
    assert_eq!(too_large["file"], Value::Null);

    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00program".to_vec();
    let forbidden = upload(app, token, subject, "LICENCE", "licence.pdf", None, &exe).await;
    assert_eq!(
        error_fields(&forbidden),
        [("input.file".into(), "FORBIDDEN_FILE_TYPE".into())]
    );

    // A PNG sent as a PDF, and an executable sent as a PNG.
    let png_as_pdf = upload(
        app,
        token,
        subject,
        "LICENCE",
        "licence.pdf",
        Some("application/pdf"),
        &png(20, 20),
    )
    .await;
    assert_eq!(
        error_fields(&png_as_pdf),
        [("input.file".into(), "FILE_TYPE_MISMATCH".into())]
    );
    let exe_as_png = upload(
        app,
        token,
        subject,
        "LICENCE",
        "photo.png",
        Some("image/png"),
        &exe,
    )
    .await;
    assert_eq!(
        error_fields(&exe_as_png),
        [("input.file".into(), "FILE_TYPE_MISMATCH".into())]
    );

    // A producer takes no invoices.
    let purpose = upload(app, token, subject, "INVOICE", "a.pdf", None, &pdf(1000, 3)).await;
    assert_eq!(
        error_fields(&purpose),
        [("input.purpose".into(), "INVALID".into())]
    );

    // Far over the cap, the transport cuts the request off.
    let cut = send_upload(
        app,
        token,
        subject,
        "LICENCE",
        "huge.pdf",
        None,
        &pdf(200 * 1024, 4),
    )
    .await;
    assert_eq!(cut.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = cut.json().await.expect("JSON");
    assert_eq!(body["errors"][0]["extensions"]["code"], "FILE_TOO_LARGE");

    // Uploads need a token (a form posted cross-site carries none).
    let anonymous = send_upload(app, None, subject, "LICENCE", "a.pdf", None, &pdf(1000, 5)).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Someone with nothing to do with the producer learns nothing of it.
    let outsider = send_upload(
        app,
        w.outsider.token(),
        subject,
        "LICENCE",
        "a.pdf",
        None,
        &pdf(1000, 6),
    )
    .await;
    let body: Value = outsider.json().await.expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body}"
    );
    // A buyer may see the (verified) producer, but not attach to it.
    let buyer = send_upload(
        app,
        w.buyer_admin.token(),
        subject,
        "LICENCE",
        "a.pdf",
        None,
        &pdf(1000, 7),
    )
    .await;
    let body: Value = buyer.json().await.expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body}"
    );

    assert_eq!(stored(app).await, (0, 0, 0));
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("file.upload"))
        .count(app.db())
        .await
        .expect("audit");
    assert_eq!(audited, 0);
}

#[tokio::test]
async fn downloads_are_for_the_subjects_members_and_officers_only() {
    let w = World::build().await;
    let app = &w.app;
    let uploaded = upload(
        app,
        w.producer_clerk.token(),
        &w.producer_id,
        "LICENCE",
        "licence.pdf",
        Some("application/pdf"),
        &pdf(4000, 8),
    )
    .await;
    let url = uploaded["file"]["url"].as_str().expect("url").to_owned();
    for (who, session) in [
        ("admin", &w.producer_admin),
        ("officer", &w.officer),
        ("auditor", &w.auditor),
        ("platform admin", &w.admin),
    ] {
        let response = get(app, session.token(), &url).await;
        assert_eq!(response.status(), StatusCode::OK, "{who}");
    }
    for (who, session) in [
        ("outsider", &w.outsider),
        ("buyer", &w.buyer_admin),
        ("other county's officer", &w.other_officer),
    ] {
        let response = get(app, session.token(), &url).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{who}");
        let listed = app
            .gql(
                session.token(),
                PRODUCER_FILES,
                json!({ "id": w.producer_id }),
            )
            .await;
        assert_eq!(
            listed["data"]["node"]["files"],
            json!([]),
            "{who}: {listed}"
        );
    }
    // Unknown and malformed IDs answer alike; no token is a 401.
    let unknown = format!(
        "/files/{}",
        fupin_market::ids::NodeKind::File
            .id(uuid::Uuid::now_v7())
            .as_str()
    );
    assert_eq!(
        get(app, w.officer.token(), &unknown).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(app, w.officer.token(), "/files/nonsense")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(app, None, &url).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn images_get_a_thumbnail_and_certifications_take_evidence() {
    let w = World::build().await;
    let app = &w.app;
    let photo = png(800, 400);
    let uploaded = upload(
        app,
        w.producer_admin.token(),
        &w.producer_id,
        "OTHER",
        "基地.png",
        Some("image/png"),
        &photo,
    )
    .await;
    assert_eq!(uploaded["errors"], json!([]), "{uploaded}");
    assert_eq!(uploaded["file"]["contentType"], "image/png");
    let thumb_url = uploaded["file"]["thumbnailUrl"]
        .as_str()
        .expect("thumbnail")
        .to_owned();
    let response = get(app, w.officer.token(), &thumb_url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    let thumb = response.bytes().await.expect("thumbnail bytes");
    let decoded = image::load_from_memory(&thumb).expect("a PNG");
    assert_eq!((decoded.width(), decoded.height()), (256, 128));
    assert_eq!(
        get(app, w.outsider.token(), &thumb_url).await.status(),
        StatusCode::NOT_FOUND
    );

    // Evidence for a certification: the applicant producer attaches; its readers list it.
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let applied = app
        .gql(
            w.producer_admin.token(),
            "mutation($input: ApplyCertificationInput!) { applyCertification(input: $input) { certification { id } errors { code } } }",
            json!({ "input": { "productId": product, "evidence": "带动贫困户 12 户，收购协议见附件" } }),
        )
        .await;
    let certification = applied["data"]["applyCertification"]["certification"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{applied}"))
        .to_owned();
    let evidence = upload(
        app,
        w.producer_clerk.token(),
        &certification,
        "CERTIFICATION_EVIDENCE",
        "收购协议.pdf",
        None,
        &pdf(3000, 9),
    )
    .await;
    assert_eq!(evidence["errors"], json!([]), "{evidence}");
    // Only the applicant attaches evidence, even an officer over it does not.
    let by_officer = send_upload(
        app,
        w.officer.token(),
        &certification,
        "CERTIFICATION_EVIDENCE",
        "x.pdf",
        None,
        &pdf(3000, 10),
    )
    .await;
    let body: Value = by_officer.json().await.expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    let listed = app
        .gql(
            w.officer.token(),
            "query($id: ID!) { node(id: $id) { ... on Certification { files { name purpose } } } }",
            json!({ "id": certification }),
        )
        .await;
    assert_eq!(
        listed["data"]["node"]["files"],
        json!([{ "name": "收购协议.pdf", "purpose": "CERTIFICATION_EVIDENCE" }]),
        "{listed}"
    );
    let url = evidence["file"]["url"].as_str().expect("url");
    assert_eq!(
        get(app, w.officer.token(), url).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(app, w.other_officer.token(), url).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// With `TEST_S3_ENDPOINT` (and `TEST_S3_BUCKET`, `TEST_S3_ACCESS_KEY_ID`,
/// `TEST_S3_SECRET_ACCESS_KEY`, `TEST_S3_REGION`; `.ci/run` starts moto's server), files go to
/// S3: a 6 MB upload (two multipart parts) downloads as sent, and nothing enters `blob_chunks`.
#[tokio::test]
async fn files_round_trip_through_s3_when_configured() {
    let Ok(endpoint) = std::env::var("TEST_S3_ENDPOINT") else {
        eprintln!("TEST_S3_ENDPOINT unset: the S3 round trip is skipped");
        return;
    };
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let config = S3Config {
        endpoint: Some(endpoint),
        bucket: env("TEST_S3_BUCKET", "fupin-test"),
        region: env("TEST_S3_REGION", "us-east-1"),
        access_key_id: env("TEST_S3_ACCESS_KEY_ID", "test"),
        secret_access_key: env("TEST_S3_SECRET_ACCESS_KEY", "test"),
    };
    let w = World::build_with(move |settings| settings.s3 = Some(config)).await;
    let app = &w.app;
    // Unique per run: the bucket outlives the test's database.
    let bytes = pdf(6 * 1024 * 1024 + 17, uuid::Uuid::now_v7().as_bytes()[15]);
    let mut bytes = bytes;
    bytes.extend_from_slice(uuid::Uuid::now_v7().as_bytes());
    let uploaded = upload(
        app,
        w.producer_admin.token(),
        &w.producer_id,
        "LICENCE",
        "licence.pdf",
        Some("application/pdf"),
        &bytes,
    )
    .await;
    assert_eq!(uploaded["errors"], json!([]), "{uploaded}");
    let response = get(
        app,
        w.officer.token(),
        uploaded["file"]["url"].as_str().expect("url"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-length"],
        bytes.len().to_string().as_str()
    );
    let downloaded = response.bytes().await.expect("body");
    assert!(
        downloaded[..] == bytes[..],
        "the S3 download differs from the upload"
    );
    let row = blob::Entity::find_by_id(hex_sha256(&bytes))
        .one(app.db())
        .await
        .expect("blob")
        .expect("a blob row");
    assert_eq!(row.backend, "S3");
    assert_eq!(stored(app).await.2, 0);
    // The same bytes again: stored once.
    let again = upload(
        app,
        w.producer_admin.token(),
        &w.producer_id,
        "OTHER",
        "copy.pdf",
        None,
        &bytes,
    )
    .await;
    assert_eq!(again["errors"], json!([]), "{again}");
    assert_eq!(stored(app).await, (2, 1, 0));
}

/// Inspection photos go on a shipment (either party attaches, whoever may read the order sees
/// them) and inspection reports on a lot (its producer attaches).
#[tokio::test]
async fn inspection_photos_attach_to_shipments_and_reports_to_lots() {
    let w = World::build().await;
    let app = &w.app;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let placed = app
        .gql(
            w.buyer_admin.token(),
            "mutation($p: ID!) { placeOrder(input: {lines: [{productId: $p, quantity: 2}], idempotencyKey: \"files-ship\"}) { orders { id } } }",
            json!({ "p": product }),
        )
        .await;
    let order = placed["data"]["placeOrder"]["orders"][0]["id"].clone();
    for (who, mutation) in [
        (&w.producer_clerk, "confirmOrder"),
        (&w.producer_clerk, "shipOrder"),
    ] {
        crate::live::step(
            app,
            who.token(),
            mutation,
            order.as_str().unwrap_or_default(),
        )
        .await;
    }
    let shipments = app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { shipments { id } } }",
            json!({ "id": order }),
        )
        .await;
    let shipment = shipments["data"]["order"]["shipments"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{shipments}"))
        .to_owned();
    let photo = upload(
        app,
        w.buyer_admin.token(),
        &shipment,
        "INSPECTION_PHOTO",
        "破损.png",
        Some("image/png"),
        &png(64, 48),
    )
    .await;
    assert_eq!(photo["errors"], json!([]), "{photo}");
    let id = uploaded_id(&photo);
    let listed = "query($id: ID!) { node(id: $id) { ... on Shipment { files { id purpose } } } }";
    let seen = app
        .gql(w.producer_admin.token(), listed, json!({ "id": shipment }))
        .await;
    assert_eq!(
        seen["data"]["node"]["files"],
        json!([{ "id": id, "purpose": "INSPECTION_PHOTO" }])
    );
    let path = format!("/files/{id}");
    assert_eq!(
        get(app, w.producer_admin.token(), &path).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(app, w.outsider.token(), &path).await.status(),
        StatusCode::NOT_FOUND
    );
    let stranger = upload(
        app,
        w.outsider.token(),
        &shipment,
        "INSPECTION_PHOTO",
        "x.png",
        Some("image/png"),
        &png(8, 8),
    )
    .await;
    assert_eq!(stranger["file"], Value::Null, "{stranger}");

    let recorded = app
        .gql(
            w.producer_clerk.token(),
            "mutation($p: ID!) { recordLot(input: {productId: $p, producedOn: \"2026-10-20\", quantity: 10,
                originVillageCode: \"130126204207\", inspectionResult: NOT_INSPECTED}) { lot { id } errors { code } } }",
            json!({ "p": product }),
        )
        .await;
    let lot = recorded["data"]["recordLot"]["lot"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{recorded}"))
        .to_owned();
    let report = upload(
        app,
        w.producer_clerk.token(),
        &lot,
        "INSPECTION_REPORT",
        "检测报告.pdf",
        Some("application/pdf"),
        &pdf(2048, 3),
    )
    .await;
    assert_eq!(report["errors"], json!([]), "{report}");
    let wrong = upload(
        app,
        w.producer_clerk.token(),
        &lot,
        "INVOICE",
        "发票.pdf",
        Some("application/pdf"),
        &pdf(2048, 4),
    )
    .await;
    assert_eq!(wrong["errors"][0]["code"], "INVALID", "{wrong}");
}

/// Issue 18, item 2: a producer awaiting verification brings its licence and commitment letter,
/// and the county officer reviewing it sees them in the list of producers to verify, downloads
/// them, then verifies; an officer of another county sees neither producer nor files.
#[tokio::test]
async fn a_producer_awaiting_verification_shows_its_documents_to_the_reviewer() {
    let w = World::build().await;
    let app = &w.app;
    let applicant = app.register("new.coop", None).await;
    let created = app
        .gql(
            applicant.token(),
            CREATE_PRODUCER,
            json!({ "input": producer_input(None, "灵寿县新兴杂粮合作社", VILLAGE) }),
        )
        .await;
    let producer = created["data"]["createProducer"]["producer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let applicant = app.login("new.coop", crate::harness::PASSWORD).await;
    for (purpose, name, seed) in [
        ("LICENCE", "营业执照.pdf", 21),
        ("COMMITMENT_LETTER", "承诺书.pdf", 22),
    ] {
        let uploaded = upload(
            app,
            applicant.token(),
            &producer,
            purpose,
            name,
            None,
            &pdf(2500, seed),
        )
        .await;
        assert_eq!(uploaded["errors"], json!([]), "{uploaded}");
    }
    let pending = "{ producers(filter: {verificationStatus: PENDING}, first: 20) {
        nodes { id name files { name purpose url } } } }";
    let listed = app.gql(w.officer.token(), pending, json!({})).await;
    let nodes = listed["data"]["producers"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"));
    let entry = nodes
        .iter()
        .find(|n| n["id"] == producer.as_str())
        .unwrap_or_else(|| panic!("{listed}"));
    let purposes: Vec<&str> = entry["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["purpose"].as_str().expect("purpose"))
        .collect();
    assert_eq!(purposes, ["LICENCE", "COMMITMENT_LETTER"], "{entry}");
    let url = entry["files"][0]["url"].as_str().expect("url");
    let licence = get(app, w.officer.token(), url).await;
    assert_eq!(licence.status(), StatusCode::OK);
    assert_eq!(
        licence.bytes().await.expect("bytes").as_ref(),
        pdf(2500, 21).as_slice()
    );
    // Another county's officer neither lists this producer nor downloads its licence.
    let elsewhere = app.gql(w.other_officer.token(), pending, json!({})).await;
    let other_nodes = elsewhere["data"]["producers"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{elsewhere}"));
    assert!(
        other_nodes.iter().all(|n| n["id"] != producer.as_str()),
        "{elsewhere}"
    );
    assert_eq!(
        get(app, w.other_officer.token(), url).await.status(),
        StatusCode::NOT_FOUND
    );
    let verified = app
        .gql(
            w.officer.token(),
            "mutation($id: ID!) { verifyProducer(input: {producerId: $id}) { producer { verificationStatus } errors { code } } }",
            json!({ "id": producer }),
        )
        .await;
    assert_eq!(
        verified["data"]["verifyProducer"]["producer"]["verificationStatus"], "VERIFIED",
        "{verified}"
    );
}
