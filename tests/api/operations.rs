//! Running it: health, readiness, metrics, and nested fields batched by DataLoaders.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, on_redis};

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["database"], "ok");
    assert_eq!(
        body["redis"],
        if on_redis() { "ok" } else { "not_configured" }
    );
}

#[tokio::test]
async fn metrics_count_requests_by_operation() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        app.client
            .post(app.url("/graphql"))
            .json(&json!({ "query": "query Probe { __typename }", "operationName": "Probe" }))
            .send()
            .await
            .expect("request");
    }
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains(r#"fupin_graphql_requests_total{operation="Probe",status="200"} 3"#),
        "{text}"
    );
    assert!(text.contains("fupin_graphql_request_duration_seconds_bucket"));
    assert!(text.contains("fupin_db_pool_connections"));
}

#[tokio::test]
async fn nested_fields_cost_a_constant_number_of_queries() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for i in 0..24 {
        let org = format!("合作社{i}");
        app.register(&format!("producer{i}"), Some((&org, "PRODUCER")))
            .await;
    }
    let query = "{ users(first: 50) { totalCount nodes { username roles membershipRole
        organization { name } grants { role } } } }";
    let before = app.metric("fupin_db_queries_total").await;
    let body = app.gql(admin.token(), query, json!({})).await;
    let after = app.metric("fupin_db_queries_total").await;
    assert_eq!(body["data"]["users"]["totalCount"], 25);
    let orgs = body["data"]["users"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|u| u["organization"]["name"].is_string())
        .count();
    assert_eq!(orgs, 24);
    // Page + count + one batch each for memberships, organisations and grants (a batch may split
    // under load), where one query per user and field would be 75 or more.
    let queries = after - before;
    assert!(queries <= 10.0, "{queries} queries for 25 users");
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish() {
    let (app, stop, server) = TestApp::spawn_stoppable().await;
    app.register("late.worker", None).await;
    let in_flight = {
        let request = app.client.post(app.url("/graphql")).json(&json!({
            "query": "mutation { login(input: {username: \"late.worker\", password: \"Lingshou-sweet-potato-2026\"}) { accessToken } }"
        }));
        tokio::spawn(request.send())
    };
    // Let the request reach the password check (argon2id takes tens of milliseconds).
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    stop.send(()).expect("server running");
    let response = in_flight
        .await
        .expect("task")
        .expect("answered, not dropped");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert!(body["data"]["login"]["accessToken"].is_string(), "{body}");
    server.await.expect("task").expect("clean shutdown");
    let after = app.client.get(app.url("/healthz")).send().await;
    assert!(after.is_err(), "the server no longer accepts connections");
}

#[tokio::test]
async fn login_limits_are_shared_across_instances_through_redis() {
    if !on_redis() {
        return; // needs TEST_REDIS_URL; .ci/run sets it
    }
    let prefix = format!("shared:{}:", uuid::Uuid::now_v7().simple());
    let configure = |s: &mut fupin_market::config::Settings| {
        s.redis_prefix = prefix.clone();
        s.login_quota_account = fupin_market::rate_limit::Quota::per_minute(2);
    };
    let a = TestApp::spawn_with(configure).await;
    let b = TestApp::spawn_with(configure).await;
    let login = "mutation { login(input: {username: \"shared.user\", password: \"Wrong-password-99\"}) { errors { code } } }";
    for _ in 0..2 {
        let body = a.gql(None, login, json!({})).await;
        assert_eq!(
            body["data"]["login"]["errors"][0]["code"],
            "INVALID_CREDENTIALS"
        );
    }
    let on_b = b.post(None, login, json!({})).await;
    assert_eq!(
        on_b.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "counted on A, refused on B"
    );
}
