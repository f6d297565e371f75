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
    let html = page.text().await.expect("html");
    assert!(html.contains("graphiql"), "GraphiQL page expected");
    assert!(html.contains("/graphql/ws"));
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
