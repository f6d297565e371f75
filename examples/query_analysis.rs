//! How long the server takes to accept or refuse the worst documents we could think of (issue
//! 13): each goes through `schema.execute` (our checks, async-graphql's parsing and validation,
//! and execution for what is accepted), without a database. Prints the median of a few runs per
//! shape and the slowest refusal.
//!
//! `cargo build --release --example query_analysis && ./target/release/examples/query_analysis`
//! `--unguarded` also runs the fan-out against async-graphql's stock limits alone (what the
//! server did before), on levels small enough to finish.

// A benchmark client, not a request path: failing loudly on a broken run is what it should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::time::{Duration, Instant};

use async_graphql::{Request, Schema, Variables};
use fupin_market::{
    config::QueryLimits,
    graphql::{
        self, AppSchema, Mutation, Query,
        limits::{self, MAX_DOCUMENT_BYTES, MAX_TOKENS, scan},
    },
    live::subscriptions_api::LiveSubscription,
};

/// The largest document that fits in the default body limit, with room for the JSON around it.
/// The text limits refuse such a document unread; shapes "at the caps" are as large as they
/// let through.
const BODY: usize = 1_000_000;

struct Shape {
    name: String,
    query: String,
    variables: serde_json::Value,
    operation: Option<String>,
}

fn shape(name: impl Into<String>, query: String) -> Shape {
    Shape {
        name: name.into(),
        query,
        variables: serde_json::json!({}),
        operation: None,
    }
}

/// `levels` fragments, each spreading the next `width` times (the document is 4 × 11).
fn fan_out(width: usize, levels: usize) -> String {
    fan_out_to(width, levels, "__typename")
}

/// The same with `leaf` in the last fragment.
fn fan_out_to(width: usize, levels: usize, leaf: &str) -> String {
    let mut query = String::from("query { ...F0 }");
    for i in 0..levels {
        let body = if i + 1 == levels {
            leaf.to_owned()
        } else {
            format!("...F{} ", i + 1).repeat(width)
        };
        query.push_str(&format!("\nfragment F{i} on Query {{ {body} }}"));
    }
    query
}

/// `text` repeated as often as fits in `BODY` with `head` and `tail` around it.
fn fill(head: &str, text: impl Fn(usize) -> String, tail: &str) -> String {
    let mut query = String::from(head);
    let mut i = 0;
    loop {
        let next = text(i);
        if query.len() + next.len() + tail.len() > BODY {
            break;
        }
        query.push_str(&next);
        i += 1;
    }
    query.push_str(tail);
    query
}

/// `text` repeated as often as the document stays within the text limits (bytes and tokens),
/// so that it is parsed and analysed rather than refused unread.
fn at_caps(head: &str, text: impl Fn(usize) -> String, tail: &str) -> String {
    let mut query = String::from(head);
    let mut tokens = scan(head).tokens + scan(tail).tokens;
    let mut i = 0;
    loop {
        let next = text(i);
        let more = scan(&next).tokens;
        if query.len() + next.len() + tail.len() > MAX_DOCUMENT_BYTES || tokens + more > MAX_TOKENS
        {
            break;
        }
        query.push_str(&next);
        tokens += more;
        i += 1;
    }
    query.push_str(tail);
    query
}

fn n_times(head: &str, n: usize, text: impl Fn(usize) -> String, tail: &str) -> String {
    let mut query = String::from(head);
    for i in 0..n {
        query.push_str(&text(i));
    }
    query.push_str(tail);
    query
}

fn shapes() -> Vec<Shape> {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/fixtures");
    let read = |file: &str| {
        std::fs::read_to_string(format!("{fixtures}/{file}")).expect("introspection fixture")
    };
    let full_type = read("graphql-js-16.graphql")
        .split_once("fragment FullType")
        .map(|(_, rest)| format!("fragment FullType{rest}"))
        .expect("FullType");
    let operations = |i| format!("query Q{i} {{ __typename }} ");
    vec![
        // Refused before parsing.
        shape("aliases, 1 MiB", fill("{ ", |i| format!("a{i}: __typename "), "}")),
        shape(
            "deep list [[[…]]], 1 MiB",
            format!("{{ node(id: {}1{}) {{ id }} }}", "[".repeat(BODY / 2 - 20), "]".repeat(BODY / 2 - 20)),
        ),
        shape(
            "deep list [[[…]]], 64 KB",
            format!("{{ node(id: {}1{}) {{ id }} }}", "[".repeat(32_000), "]".repeat(32_000)),
        ),
        shape(
            "deep selections, 65",
            n_times("{ ", 64, |_| "node(id: 1) { ".into(), &"}".repeat(65)),
        ),
        shape("tokens: `a` × 15,001", n_times("{ ", 15_001, |_| "a ".into(), "}")),
        // Fan-outs of fragment spreads.
        shape("fan-out 4 × 11 (the issue's)", fan_out(4, 11)),
        shape("fan-out 4 × 14", fan_out(4, 14)),
        shape("fan-out 4 × 40", fan_out(4, 40)),
        shape("fan-out 2 × 64", fan_out(2, 64)),
        shape("fan-out 2 × 65 (fragment nesting)", fan_out(2, 65)),
        shape("fan-out 1,000 × 3", fan_out(1000, 3)),
        shape(
            "fragment cycle",
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }".into(),
        ),
        shape(
            "3,000 IDs spread 4 × 8",
            fan_out_to(4, 8, &format!("nodes(ids: [{}]) {{ id }}", "\"x\" ".repeat(3_000))),
        ),
        shape(
            "operations × one fan-out fragment",
            at_caps(&fan_out(4, 6).replacen("query { ...F0 }", "", 1), |i| format!(" query Q{i} {{ ...F0 }}"), ""),
        ),
        // As large as the text limits let through: parsed, analysed, validated.
        shape("aliases at the caps", at_caps("{ ", |i| format!("a{i}: __typename "), "}")),
        shape("`__typename` at the caps", at_caps("{ ", |_| "__typename ".into(), "}")),
        shape("unknown fields at the caps", at_caps("{ ", |_| "a ".into(), "}")),
        shape("unclosed at the caps", at_caps("{ ", |_| "a ".into(), "")),
        shape(
            "one fragment spread at the caps",
            at_caps("{ ", |_| "...F ".into(), "} fragment F on Query { __typename }"),
        ),
        shape(
            "fragments at the caps",
            at_caps("{ ...F }", |i| format!(" fragment F{i} on Query {{ __typename }}"), " fragment F on Query { __typename }"),
        ),
        shape(
            "connections at the caps",
            at_caps("{ ", |_| "products(first: 100) { totalCount } ".into(), "}"),
        ),
        shape("operations at the caps", at_caps("", operations, "")),
        Shape {
            operation: Some("Q7".into()),
            ..shape("operations at the caps, one named", at_caps("", operations, ""))
        },
        shape(
            "IDs at the caps",
            at_caps("{ nodes(ids: [", |_| "\"x\" ".into(), "]) { id } }"),
        ),
        shape(
            "order lines at the caps",
            at_caps(
                "mutation { placeOrder(input: {idempotencyKey: \"k\", lines: [",
                |_| "{productId: \"x\", quantity: 1} ".into(),
                "]}) { errors { code } } }",
            ),
        ),
        shape(
            "long strings at the caps",
            at_caps("{ ", |i| format!("a{i}: node(id: \"{}\") {{ id }} ", "x".repeat(40_000)), "}"),
        ),
        shape(
            "escaped string at the caps",
            at_caps("{ node(id: \"", |_| "\\u00e9".into(), "\") { id } }"),
        ),
        shape(
            "one comment at the caps",
            format!("{{ __typename }} #{}", "x".repeat(MAX_DOCUMENT_BYTES - 20)),
        ),
        shape("comments at the caps", at_caps("{ __typename }", |_| "\n#".into(), "")),
        shape("arguments at the caps", at_caps("{ products(", |i| format!("a{i}: {i} "), ") { totalCount } }")),
        shape(
            "directives at the caps",
            at_caps("{ __typename ", |_| "@skip(if: false) ".into(), "}"),
        ),
        shape("variables at the caps", at_caps("query(", |i| format!("$v{i}: Int "), ") { __typename }")),
        // Introspection.
        shape(
            "introspection nested 43 deep",
            n_times("{ __schema { types { ", 20, |_| "fields { type { ".into(), &format!("name {} }} }} }}", "} } ".repeat(20))),
        ),
        shape(
            "introspection, types × fields⁵",
            "{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } } }".into(),
        ),
        shape(
            "introspection + expensive fields",
            format!(
                "query Mix {{ __schema {{ types {{ ...FullType }} }} users(first: 100) {{ nodes {{ organization {{ members(first: 100) {{ nodes {{ id }} }} }} }} }} }} {full_type}"
            ),
        ),
        Shape {
            variables: serde_json::json!({ "ids": vec!["x"; 100] }),
            ..shape(
                "nodes(ids: 100) × members(first: 100)",
                "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Organization { members(first: 100) { nodes { id } } } } }".into(),
            )
        },
        shape("standard introspection, graphql-js 16", read("graphql-js-16.graphql")),
        shape(
            "standard introspection, graphql-js 16 inputValueDeprecation",
            read("graphql-js-16-input-value-deprecation.graphql"),
        ),
        shape("standard introspection, graphql-core 3", read("graphql-core-3.graphql")),
    ]
}

struct Outcome {
    median: Duration,
    refused: bool,
    answer: String,
}

async fn measure(schema: &AppSchema, shape: &Shape, runs: usize) -> Outcome {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let mut request = Request::new(shape.query.clone())
            .variables(Variables::from_json(shape.variables.clone()));
        if let Some(name) = &shape.operation {
            request = request.operation_name(name.clone());
        }
        let started = Instant::now();
        let response = schema.execute(request).await;
        times.push(started.elapsed());
        let slow = started.elapsed() > Duration::from_secs(5);
        last = Some(response);
        if slow {
            break;
        }
    }
    times.sort();
    let response = last.expect("one run");
    let refused = response.data == async_graphql::Value::Null && !response.errors.is_empty();
    let answer = match response.errors.first() {
        Some(error) => {
            let code = error
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .map_or_else(
                    || "-".into(),
                    |c| c.to_string().trim_matches('"').to_owned(),
                );
            let line = error.message.lines().next().unwrap_or_default();
            let message: String = line.chars().take(70).collect();
            format!("{code}: {message}")
        }
        None => "data".into(),
    };
    Outcome {
        median: times[times.len() / 2],
        refused,
        answer,
    }
}

fn stock_schema(limits: &QueryLimits) -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), LiveSubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(10)
        .extension(graphql::input::InputStrings)
        .finish()
}

#[tokio::main]
async fn main() {
    let unguarded = std::env::args().any(|a| a == "--unguarded");
    let limits = QueryLimits::default();
    let schema = graphql::build(None, &limits);
    println!("| shape | bytes | median | answer |");
    println!("| --- | ---: | ---: | --- |");
    let mut slowest: Option<(Duration, String)> = None;
    for shape in shapes() {
        let outcome = measure(&schema, &shape, 5).await;
        println!(
            "| {} | {} | {:.2} ms | {} |",
            shape.name,
            shape.query.len(),
            outcome.median.as_secs_f64() * 1000.0,
            outcome.answer
        );
        if outcome.refused && slowest.as_ref().is_none_or(|(d, _)| outcome.median > *d) {
            slowest = Some((outcome.median, shape.name.clone()));
        }
    }
    if let Some((time, name)) = slowest {
        println!(
            "\nslowest refusal: {name}, {:.2} ms",
            time.as_secs_f64() * 1000.0
        );
    }
    let schema_shape = limits::SchemaShape::from_sdl(&graphql::sdl());
    for shape_ in shapes().iter().filter(|s| s.name.starts_with("standard")) {
        let document = async_graphql::parser::parse_query(&shape_.query).expect("fixture");
        let analysis =
            limits::analyse(&schema_shape, &document, &Variables::default()).expect("analysis");
        let summary = analysis.operations[0];
        println!(
            "{}: {} tokens, introspection cost {} (of {}), depth {} (of {})",
            shape_.name,
            scan(&shape_.query).tokens,
            summary.introspection_cost,
            limits.max_introspection_complexity,
            summary.introspection_depth,
            limits.max_introspection_depth
        );
    }
    if unguarded {
        println!("\nasync-graphql's stock limits alone (before):\n");
        println!("| shape | bytes | median | answer |");
        println!("| --- | ---: | ---: | --- |");
        let stock = stock_schema(&limits);
        for levels in [7, 8, 9, 10, 11] {
            let shape = shape(format!("fan-out 4 × {levels}"), fan_out(4, levels));
            let outcome = measure(&stock, &shape, 3).await;
            println!(
                "| {} | {} | {:.2} ms | {} |",
                shape.name,
                shape.query.len(),
                outcome.median.as_secs_f64() * 1000.0,
                outcome.answer
            );
        }
    }
}
