//! Live-update benchmark (issue 5), against two running instances sharing PostgreSQL and Redis
//! with the demo world loaded (`bench/live.sh` sets that up and runs this):
//! 1. event latency: a producer subscribed on instance B while a buyer places, the producer
//!    confirms and the buyer cancels orders through instance A; latency is the subscriber's
//!    clock minus the event's `at` (written in the committing transaction, millisecond
//!    precision), so it includes the commit and the hop through Redis;
//! 2. idle subscribers: N sockets on B, each signed in and subscribed to `orderEvents`, then
//!    B's resident memory from /proc.

// A benchmark client, not a request path: failing loudly on a broken run is what it should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

const PASSWORD: &str = "fupin-demo-2026";

struct Args {
    a: String,
    b: String,
    b_pid: Option<u32>,
    events: usize,
    idle: usize,
}

fn args() -> Args {
    let mut args = Args {
        a: "http://127.0.0.1:18081".into(),
        b: "http://127.0.0.1:18082".into(),
        b_pid: None,
        events: 1000,
        idle: 10_000,
    };
    let mut it = std::env::args().skip(1);
    while let (Some(flag), Some(value)) = (it.next(), it.next()) {
        match flag.as_str() {
            "--a" => args.a = value,
            "--b" => args.b = value,
            "--b-pid" => args.b_pid = value.parse().ok(),
            "--events" => args.events = value.parse().unwrap_or(1000),
            "--idle" => args.idle = value.parse().unwrap_or(10_000),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

async fn gql(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON")
}

async fn login(client: &reqwest::Client, base: &str, username: &str) -> String {
    let body = gql(
        client,
        base,
        None,
        "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { accessToken } }",
        json!({ "u": username, "p": PASSWORD }),
    )
    .await;
    body["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("login {username}: {body}"))
        .to_owned()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn subscribe(base: &str, token: &str, query: &str) -> Socket {
    let url = format!("{}/graphql/ws", base.replacen("http", "ws", 1));
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = connect_async(request).await.expect("websocket");
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .expect("init");
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.contains("connection_ack") => break,
            Some(Ok(_)) => continue,
            other => panic!("no ack: {other:?}"),
        }
    }
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": query } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .expect("subscribe");
    socket
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

#[tokio::main]
async fn main() {
    let args = args();
    let http = reqwest::Client::new();
    let producer = login(&http, &args.a, "qinglian-clerk").await;
    let buyer = login(&http, &args.a, "sjz-canteen").await;
    let found = gql(&http, &args.a, None,
        "{ products(first: 50, filter: {text: \"红薯\", regionCode: \"130126\"}) { nodes { id stock minOrderQuantity producer { name } } } }",
        json!({})).await;
    let product = found["data"]["products"]["nodes"]
        .as_array()
        .and_then(|n| {
            n.iter().find(|p| {
                p["producer"]["name"]
                    .as_str()
                    .is_some_and(|s| s.contains("青廉"))
            })
        })
        .cloned()
        .expect("a 青廉 product");
    let quantity = product["minOrderQuantity"].as_i64().unwrap_or(1);

    // 1. Latency across instances.
    let mut watcher = subscribe(
        &args.b,
        &producer,
        "subscription { orderEvents { toStatus at } }",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cycles = args.events.div_ceil(3);
    let expected = cycles * 3;
    let collector = tokio::spawn(async move {
        let mut latencies = Vec::with_capacity(expected);
        while latencies.len() < expected {
            match tokio::time::timeout(Duration::from_secs(30), watcher.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    let received = chrono::Utc::now();
                    let value: Value = serde_json::from_str(&text).expect("JSON");
                    if let Some(at) = value["payload"]["data"]["orderEvents"]["at"].as_str() {
                        let at = chrono::DateTime::parse_from_rfc3339(at).expect("at");
                        latencies.push(
                            (received - at.with_timezone(&chrono::Utc))
                                .num_microseconds()
                                .unwrap_or(0) as f64
                                / 1000.0,
                        );
                    }
                }
                Ok(Some(Ok(_))) => {}
                _ => break,
            }
        }
        latencies
    });
    let started = Instant::now();
    for cycle in 0..cycles {
        let placed = gql(&http, &args.a, Some(&buyer),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id } errors { code message } } }",
            json!({ "input": { "lines": [{ "productId": product["id"], "quantity": quantity }],
                "idempotencyKey": format!("live-bench-{}-{cycle}", std::process::id()) } })).await;
        let order = placed["data"]["placeOrder"]["orders"][0]["id"].clone();
        assert!(order.is_string(), "placeOrder: {placed}");
        gql(
            &http,
            &args.a,
            Some(&producer),
            "mutation($id: ID!) { confirmOrder(input: {orderId: $id}) { errors { code } } }",
            json!({ "id": order }),
        )
        .await;
        gql(&http, &args.a, Some(&buyer), "mutation($id: ID!) { cancelOrder(input: {orderId: $id, reason: \"benchmark\"}) { errors { code } } }", json!({ "id": order })).await;
    }
    let mut latencies = collector.await.expect("collector");
    latencies.sort_by(f64::total_cmp);
    println!(
        "event latency A→B over {} of {expected} events ({cycles} place/confirm/cancel cycles in {:.1} s): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        started.elapsed().as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0),
    );

    // 2. Idle subscribers on B.
    let before = args.b_pid.and_then(rss_mib);
    let mut sockets = Vec::with_capacity(args.idle);
    let opened = Instant::now();
    let mut batch = futures_util::stream::iter(0..args.idle)
        .map(|_| subscribe(&args.b, &buyer, "subscription { orderEvents { toStatus } }"))
        .buffer_unordered(200);
    while let Some(socket) = batch.next().await {
        sockets.push(socket);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = args.b_pid.and_then(rss_mib);
    println!(
        "idle subscribers on B: {} sockets open and subscribed in {:.1} s; B's RSS {} MiB before, {} MiB with them",
        sockets.len(),
        opened.elapsed().as_secs_f64(),
        before.map_or("?".into(), |m| format!("{m:.1}")),
        after.map_or("?".into(), |m| format!("{m:.1}")),
    );
}
