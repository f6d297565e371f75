//! GraphQL over HTTP: what the transport answers to well- and ill-formed requests.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, error_code};

async fn body(response: reqwest::Response) -> (StatusCode, String, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, content_type, body)
}

#[tokio::test]
async fn answers_in_the_media_type_the_client_accepts() {
    let app = TestApp::spawn().await;
    for (accept, expected) in [
        (
            "application/graphql-response+json",
            "application/graphql-response+json",
        ),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("accept", accept)
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("request");
        let (status, content_type, body) = body(response).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            content_type.starts_with(expected),
            "{accept} → {content_type}"
        );
        assert_eq!(body, json!({ "data": { "__typename": "Query" } }));
    }
    let refused = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "text/xml")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn refuses_bodies_that_are_not_json() {
    let app = TestApp::spawn().await;
    // A text/plain body is what a cross-site form can send: it must never execute.
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body(r#"{"query":"mutation { logout(input: {refreshToken: \"x\"}) { revoked } }"}"#)
        .send()
        .await
        .expect("request");
    let (status, _, body) = body(response).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    insta::assert_json_snapshot!("unsupported_media_type", body);
}

#[tokio::test]
async fn malformed_and_batched_bodies_are_bad_requests() {
    let app = TestApp::spawn().await;
    for raw in [
        r#"{ "query": "#,
        r#"[{"query":"{ __typename }"},{"query":"{ __typename }"}]"#,
        r#"{"variables":{}}"#,
        r#"{"query":"{ __typename }","variables":[1]}"#,
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("request");
        let (status, _, body) = body(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{raw}");
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{raw}");
    }
}

#[tokio::test]
async fn parse_and_validation_errors_are_400_without_data() {
    let app = TestApp::spawn().await;
    for query in [
        "{",
        "{ noSuchField }",
        "query($id: ID!) { node(id: $id) { id } }",
    ] {
        let response = app.post(None, query, json!({})).await;
        let (status, _, body) = body(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(body.get("data").is_none(), "{query}: {body}");
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}");
    }
    // The legacy media type answers 200 for the same request, as the spec says.
    let legacy = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/json")
        .json(&json!({ "query": "{ noSuchField }" }))
        .send()
        .await
        .expect("request");
    assert_eq!(legacy.status(), StatusCode::OK);
}

#[tokio::test]
async fn get_serves_queries_but_never_mutations() {
    let app = TestApp::spawn().await;
    let query = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ __typename }")])
        .send()
        .await
        .expect("request");
    assert_eq!(query.status(), StatusCode::OK);

    let mutation = app
        .client
        .get(app.url("/graphql"))
        .query(&[(
            "query",
            "mutation { logout(input: {refreshToken: \"x\"}) { revoked } }",
        )])
        .send()
        .await
        .expect("request");
    assert_eq!(mutation.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        mutation
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("POST")
    );

    let put = app
        .client
        .put(app.url("/graphql"))
        .send()
        .await
        .expect("request");
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_browser_gets_graphiql() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), StatusCode::OK);
    // Issue 19, item 1: everything from this origin, nothing inline, a strict policy.
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("CSP")
        .to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(
        !policy.contains("unsafe-eval") && !policy.contains("script-src 'self' 'unsafe-inline'")
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("graphiql"), "GraphiQL page expected");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no outside host: {html}"
    );
    assert!(!html.contains("<script>"), "no inline script");
    let sources: Vec<&str> = html
        .split("src=\"")
        .skip(1)
        .chain(html.split("href=\"").skip(1))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(sources.len(), 6, "{sources:?}");
    for source in &sources {
        assert!(source.starts_with("/graphiql/"), "{source}");
        let asset = app
            .client
            .get(app.url(source))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("asset");
        assert_eq!(asset.status(), StatusCode::OK, "{source}");
        let content_type = asset.headers()["content-type"]
            .to_str()
            .expect("type")
            .to_owned();
        assert!(
            content_type.starts_with("text/javascript") || content_type.starts_with("text/css"),
            "{source}: {content_type}"
        );
        assert!(!asset.bytes().await.expect("bytes").is_empty());
    }
    // The subscription endpoint is wired in our script.
    let init = sources
        .iter()
        .find(|s| s.ends_with("init.js"))
        .expect("init.js");
    let script = app.client.get(app.url(init)).send().await.expect("init");
    assert!(script.text().await.expect("text").contains("/graphql/ws"));
    let missing = app
        .client
        .get(app.url("/graphiql/0.0.0/graphiql.min.js"))
        .send()
        .await
        .expect("asset");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_refused() {
    let app = TestApp::spawn().await;
    let padding = "a".repeat(1024 * 1024 + 1);
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"query":"{{ __typename }}","variables":{{"pad":"{padding}"}}}}"#
        ))
        .send()
        .await
        .expect("request");
    let (status, _, body) = body(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_request_over_the_time_limit_gets_a_timeout_code() {
    // One millisecond is less than any sign-in takes (argon2id is slow on purpose).
    let app =
        TestApp::spawn_with(|s| s.request_timeout = std::time::Duration::from_millis(1)).await;
    let response = app
        .post(
            None,
            "mutation { login(input: {username: \"nobody\", password: \"Nobody-knows-1\"}) { accessToken } }",
            json!({}),
        )
        .await;
    let (status, _, body) = body(response).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(error_code(&body), "TIMEOUT");
}

/// Issue 19, item 4: automatic persisted queries (Apollo's protocol). A hash alone is unknown
/// until the text comes with it once; a hash that is not the text's is refused and keeps
/// nothing; a mutation sent by hash over GET is still refused; malformed extensions are 400.
#[tokio::test]
async fn persisted_queries_are_kept_by_hash_once_the_text_matches() {
    let app = TestApp::spawn().await;
    let query = "query Kinds { __type(name: \"ProductCategory\") { name } }";
    let hash = fupin_market::http::persisted::hash_of(query);
    let extensions = |hash: &str| json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let by_get = |hash: &str| {
        let ext = extensions(hash).to_string();
        app.client
            .get(app.url("/graphql"))
            .query(&[("extensions", ext.as_str())])
            .send()
    };
    let (status, _, unknown) = body(by_get(&hash).await.expect("get")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        error_code(&unknown),
        "PERSISTED_QUERY_NOT_FOUND",
        "{unknown}"
    );
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");

    // The wrong text for the hash: refused, nothing kept.
    let wrong = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }", "extensions": extensions(&hash) }))
        .send()
        .await
        .expect("post");
    let (status, _, refused) = body(wrong).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&refused), "PERSISTED_QUERY_HASH_MISMATCH");
    let (_, _, still) = body(by_get(&hash).await.expect("get")).await;
    assert_eq!(error_code(&still), "PERSISTED_QUERY_NOT_FOUND");

    // The text with its hash, then the hash alone, by GET.
    let sent = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "extensions": extensions(&hash) }))
        .send()
        .await
        .expect("post");
    let (_, _, answered) = body(sent).await;
    let expected = json!({ "data": { "__type": { "name": "ProductCategory" } } });
    assert_eq!(answered, expected);
    let (status, _, again) = body(by_get(&hash).await.expect("get")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, expected);

    // A mutation kept by hash is still not for GET.
    let mutation = "mutation { logout(input: {refreshToken: \"x\"}) { errors { code } } }";
    let mutation_hash = fupin_market::http::persisted::hash_of(mutation);
    app.client
        .post(app.url("/graphql"))
        .json(&json!({ "query": mutation, "extensions": extensions(&mutation_hash) }))
        .send()
        .await
        .expect("post");
    let refused = by_get(&mutation_hash).await.expect("get");
    assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);

    for bad in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": hash.to_uppercase() } }),
        json!({ "persistedQuery": "yes" }),
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "extensions": bad }))
            .send()
            .await
            .expect("post");
        let (status, _, refused) = body(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{bad}");
    }
}

/// Issue 19, item 4: an anonymous GET answered in full may be cached (public, a minute, a
/// strong ETag that `If-None-Match` turns into 304); an answer with errors, any POST and any
/// authenticated answer is `no-store`.
#[tokio::test]
async fn anonymous_gets_are_cacheable_and_nothing_authenticated_is() {
    let app = TestApp::spawn().await;
    let get = |query: &str, token: Option<&str>, etag: Option<&str>| {
        let mut request = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", query)]);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        request.send()
    };
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let query = "{ products(first: 5) { totalCount } }";
    let first = get(query, None, None).await.expect("get");
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        header(&first, "cache-control").as_deref(),
        Some("public, max-age=60")
    );
    let etag = header(&first, "etag").expect("an ETag");
    assert!(header(&first, "vary").is_some_and(|v| v.contains("Authorization")));
    let same = get(query, None, None).await.expect("get");
    assert_eq!(
        header(&same, "etag").as_deref(),
        Some(etag.as_str()),
        "stable"
    );
    let unchanged = get(query, None, Some(&etag)).await.expect("get");
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(unchanged.bytes().await.expect("body").len(), 0);
    let stale = get(query, None, Some("\"other\"")).await.expect("get");
    assert_eq!(stale.status(), StatusCode::OK);

    // Errors are not kept.
    let unknown = get(
        "{ traceCode(code: \"FP0000000000000000\") { productName } }",
        None,
        None,
    )
    .await
    .expect("get");
    assert_eq!(
        header(&unknown, "cache-control").as_deref(),
        Some("no-store")
    );
    assert!(header(&unknown, "etag").is_none());

    // Signed in: never cacheable, by GET or POST.
    let session = app.register("cache.user", None).await;
    let mine = get(query, session.token(), None).await.expect("get");
    assert_eq!(mine.status(), StatusCode::OK);
    assert_eq!(header(&mine, "cache-control").as_deref(), Some("no-store"));
    assert!(header(&mine, "etag").is_none());
    let posted = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("post");
    assert_eq!(
        header(&posted, "cache-control").as_deref(),
        Some("no-store")
    );
}
