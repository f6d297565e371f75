//! Query limits: depth, complexity, aliases, root mutations, and a complexity weight on every
//! connection; documents built to be slow to analyse are refused fast; the standard
//! introspection query of GraphQL tooling passes.
//!
//! The fixtures are the exact introspection documents of the libraries front-end tools use:
//! graphql-js 16.15 `getIntrospectionQuery()` with and without `{ inputValueDeprecation: true }`
//! (`node -e "process.stdout.write(require('graphql').getIntrospectionQuery())"`) and
//! graphql-core 3.2 `get_introspection_query()`.

use std::time::{Duration, Instant};

use async_graphql::Request;
use fupin_market::config::QueryLimits;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    harness::{TestApp, error_code},
    world::World,
};

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
            let response = fupin_market::i18n::scope(
                fupin_market::i18n::Locale::En,
                strict.execute(Request::new(query.clone())),
            )
            .await;
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

/// `levels` fragments, each spreading the next four times: 4^(levels - 1) leaves once inlined.
fn fan_out(levels: usize) -> String {
    let mut query = String::from("{ ...F0 }");
    for i in 0..levels {
        let body = if i + 1 == levels {
            "__typename".to_owned()
        } else {
            format!("...F{} ", i + 1).repeat(4)
        };
        query.push_str(&format!(" fragment F{i} on Query {{ {body} }}"));
    }
    query
}

/// The document (11 levels) took 6–9 s of a debug build's CPU before it was refused;
/// each level more multiplied that by four. Now every fragment is summarised once. The bound
/// is loose on purpose (a debug build on a busy machine): the benchmark has the real figures.
#[tokio::test]
async fn a_fan_out_of_fragment_spreads_is_refused_at_once() {
    let app = TestApp::spawn().await;
    for levels in [11, 14, 40] {
        let query = fan_out(levels);
        let started = Instant::now();
        let body = refused(&app, &query).await;
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "{levels} levels took {took:?}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("inlined"), "{message}");
    }
    // Small enough, it runs.
    let fine = app.gql(None, &fan_out(4), json!({})).await;
    assert_eq!(fine["data"]["__typename"], "Query", "{fine}");
}

#[tokio::test]
async fn hostile_shapes_are_refused_with_a_reason() {
    let app = TestApp::spawn().await;
    let cases: Vec<(String, &str)> = vec![
        (
            format!(
                "{{ node(id: {}1{}) {{ id }} }}",
                "[".repeat(20_000),
                "]".repeat(20_000)
            ),
            "brackets",
        ),
        (format!("{{ {}}}", "a ".repeat(15_000)), "tokens"),
        (
            format!("{{ __typename }} #{}", "x".repeat(200_000)),
            "bytes",
        ),
        (
            format!(
                "{{ {}__typename{} }}",
                "__schema { ".repeat(70),
                " }".repeat(70)
            ),
            "brackets",
        ),
        (
            format!(
                "{{ products({}) {{ totalCount }} }}",
                (0..33).map(|i| format!("a{i}: 1 ")).collect::<String>()
            ),
            "arguments",
        ),
        (
            format!("{{ __typename {} }}", "@skip(if: false) ".repeat(11)),
            "directives",
        ),
        (
            format!(
                "query({}) {{ __typename }}",
                (0..101).map(|i| format!("$v{i}: Int ")).collect::<String>()
            ),
            "variables",
        ),
        (
            "{ __schema { types { fields { type { fields { type { fields { type { fields {
                type { fields { name } } } } } } } } } } } }"
                .into(),
            "introspection would cost",
        ),
    ];
    for (query, reason) in cases {
        let started = Instant::now();
        let body = refused(&app, &query).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(reason), "{reason}: {message}");
    }
    let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { __typename ...A }";
    let response = app.post(None, cycle, json!({})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("body");
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

/// `PlaceOrderPayload.orders` is a list, not a connection: any field named `orders` was priced
/// as a page of 20, so this selection cost 5,084 and was refused (now 259).
#[tokio::test]
async fn a_placed_orders_lines_are_not_taken_for_pages_of_orders() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
                orders { id total producer { name }
                    lines(first: 50) { nodes { id productName price quantity } } }
                errors { code message } } }",
            json!({ "input": {
                "lines": [{ "productId": product, "quantity": 3 }],
                "idempotencyKey": "limits-orders-lines",
            } }),
        )
        .await;
    assert!(placed["errors"].is_null(), "{placed}");
    let payload = &placed["data"]["placeOrder"];
    assert_eq!(payload["errors"], json!([]), "{placed}");
    let lines = &payload["orders"][0]["lines"]["nodes"];
    assert_eq!(lines[0]["productName"], "灵寿红薯 5kg装", "{placed}");
    assert_eq!(lines[0]["quantity"], 3);
    assert_eq!(lines.as_array().map(Vec::len), Some(1));
}

/// What GraphiQL, GraphQL Code Generator, Apollo's tools, Insomnia and schemathesis send.
#[tokio::test]
async fn the_standard_introspection_queries_pass() {
    let app = TestApp::spawn().await;
    for fixture in [
        include_str!("fixtures/graphql-js-16.graphql"),
        include_str!("fixtures/graphql-js-16-input-value-deprecation.graphql"),
        include_str!("fixtures/graphql-core-3.graphql"),
    ] {
        let body = app.gql(None, fixture, json!({})).await;
        assert!(body["errors"].is_null(), "{body}");
        let schema = &body["data"]["__schema"];
        assert_eq!(schema["queryType"]["name"], "Query");
        let types = schema["types"].as_array().expect("types");
        assert!(
            types.iter().any(|t| t["name"] == "PlaceOrderPayload"),
            "{schema}"
        );
    }
}

/// Introspection's own budget covers introspection only: expensive fields beside it are
/// priced as ever.
#[tokio::test]
async fn introspection_does_not_launder_an_expensive_query() {
    let app = TestApp::spawn().await;
    let standard = include_str!("fixtures/graphql-js-16.graphql");
    let fragments = standard
        .split_once("fragment FullType")
        .map(|(_, rest)| format!("fragment FullType{rest}"))
        .expect("fragments");
    let mixed = format!(
        "query Mixed {{ __schema {{ types {{ ...FullType }} }}
           users(first: 100) {{ nodes {{ organization {{ members(first: 100) {{ nodes {{ id }} }} }} }} }} }}
         {fragments}"
    );
    let body = refused(&app, &mixed).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("the query would cost"), "{message}");
}
