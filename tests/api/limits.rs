//! Query limits: depth, complexity, aliases, root mutations, and a complexity weight on every
//! connection.

use async_graphql::Request;
use fupin_market::config::QueryLimits;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, error_code};

async fn refused(app: &TestApp, query: &str) -> Value {
    let response = app.post(None, query, json!({})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
    let body: Value = response.json().await.expect("body");
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    body
}

#[tokio::test]
async fn deep_queries_are_refused() {
    let app = TestApp::spawn().await;
    let mut query = String::from("{ __schema { types { ");
    let depth = 14;
    for _ in 0..depth {
        query.push_str("fields { type { ");
    }
    query.push_str("name");
    query.push_str(&" } }".repeat(depth));
    query.push_str(" } } }");
    let body = refused(&app, &query).await;
    insta::assert_json_snapshot!("too_deep", body);
}

#[tokio::test]
async fn expensive_queries_are_refused_before_running() {
    let app = TestApp::spawn().await;
    let query = "{ users(first: 100) { nodes { organization { members(first: 100) {
        nodes { user { username } } } } } } }";
    refused(&app, query).await;
}

#[tokio::test]
async fn too_many_aliases_are_refused() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    refused(&app, &format!("{{ {aliases} }}")).await;
    let fine: String = (0..30).map(|i| format!("a{i}: __typename ")).collect();
    let ok = app.gql(None, &format!("{{ {fine} }}"), json!({})).await;
    assert_eq!(ok["data"]["a29"], "Query");
}

#[tokio::test]
async fn too_many_root_mutations_are_refused() {
    let app = TestApp::spawn().await;
    let fields: String = (0..6)
        .map(|i| format!("m{i}: logout(input: {{refreshToken: \"x\"}}) {{ revoked }} "))
        .collect();
    refused(&app, &format!("mutation {{ {fields} }}")).await;
}

/// Finds every field whose type is a `…Connection`, checks it pages like one, and that asking
/// for 100 nodes costs more than a small budget, on `Query` and through a fragment on `node`.
#[tokio::test]
async fn every_connection_field_has_a_complexity_weight() {
    let introspection = fupin_market::graphql::build(None, &QueryLimits::default())
        .execute(
            "{ __schema { types { name kind interfaces { name } fields {
            name type { name kind ofType { name kind ofType { name } } }
            args { name defaultValue type { kind } } } } } }",
        )
        .await;
    assert!(
        introspection.errors.is_empty(),
        "{:?}",
        introspection.errors
    );
    let schema = introspection.data.into_json().expect("json");
    let budget = QueryLimits {
        max_complexity: 150,
        ..QueryLimits::default()
    };
    let strict = fupin_market::graphql::build(None, &budget);
    let mut checked = 0;
    for ty in schema["__schema"]["types"].as_array().expect("types") {
        let Some(fields) = ty["fields"].as_array() else {
            continue;
        };
        let type_name = ty["name"].as_str().unwrap_or_default();
        let is_node = ty["interfaces"]
            .as_array()
            .is_some_and(|i| i.iter().any(|i| i["name"] == "Node"));
        for field in fields {
            let returned = &field["type"];
            let name = returned["name"]
                .as_str()
                .or_else(|| returned["ofType"]["name"].as_str())
                .unwrap_or_default();
            if !name.ends_with("Connection") {
                continue;
            }
            let args: Vec<&Value> = field["args"].as_array().into_iter().flatten().collect();
            for paging in ["first", "after", "last", "before"] {
                assert!(
                    args.iter().any(|a| a["name"] == paging),
                    "{type_name}.{} lacks `{paging}`",
                    field["name"]
                );
            }
            let required_other_args = args
                .iter()
                .any(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null());
            assert!(
                !required_other_args,
                "{type_name}.{}: extend this test for required arguments",
                field["name"]
            );
            let selection = format!(
                "{}(first: 100) {{ nodes {{ __typename }} }}",
                field["name"].as_str().unwrap_or_default()
            );
            let query = if type_name == "Query" {
                format!("{{ {selection} }}")
            } else if is_node {
                format!("{{ node(id: \"x\") {{ ... on {type_name} {{ {selection} }} }} }}")
            } else {
                panic!(
                    "{type_name}.{} is neither on Query nor on a Node type",
                    field["name"]
                );
            };
            let response = strict.execute(Request::new(query.clone())).await;
            let complained = response
                .errors
                .iter()
                .any(|e| e.message.contains("too complex") || e.message.contains("would cost"));
            assert!(
                complained,
                "{type_name}.{} carries no complexity weight",
                field["name"]
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "found only {checked} connection fields");
}
