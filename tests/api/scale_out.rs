//! Several instances (issue 5): two server processes on one database and one Redis share order
//! events and rate limits; Redis stopped mid-test degrades them without breaking them, and when
//! it is back events cross again. Every request counts against per-user and per-address limits.
//! A database that goes away answers `UNAVAILABLE` and recovers without a restart.

use std::{
    net::TcpListener as StdListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fupin_market::{
    db::{self, PoolOptions},
    rate_limit::Quota,
    server,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    harness::{JWT_SECRET, TestApp, error_code},
    live::{ORDER_EVENTS, place, step},
    world::World,
    ws::WsClient,
};

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A redis-server of the test's own, so the test can stop and restart it.
struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    async fn start() -> RedisServer {
        let mut server = RedisServer {
            port: free_port(),
            child: None,
        };
        server.restart().await;
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        self.child = Some(child);
        for _ in 0..100 {
            if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await
                && stream.write_all(b"PING\r\n").await.is_ok()
            {
                let mut reply = [0u8; 7];
                if stream.read(&mut reply).await.is_ok_and(|n| n > 0) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start");
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The server binary, started as its own process on the test's database.
struct Instance {
    base: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Instance {
    async fn start(app: &TestApp, redis_url: &str, user_per_minute: u32) -> Instance {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_fupin-market"))
            .arg("serve")
            .envs(app.database_env())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("DATA_DIR", dir.path())
            .env(
                "JWT_SECRET",
                std::str::from_utf8(JWT_SECRET).expect("utf-8"),
            )
            .env("REDIS_URL", redis_url)
            .env("NO_DEMO", "true")
            .env("UNSOLD_SCAN_INTERVAL_SECS", "0")
            .env("RATE_LIMIT_IP_PER_MINUTE", "0")
            .env("RATE_LIMIT_USER_PER_MINUTE", user_per_minute.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("server binary");
        let instance = Instance {
            base: format!("http://127.0.0.1:{port}"),
            child,
            _dir: dir,
        };
        for _ in 0..300 {
            if app
                .client
                .get(format!("{}/healthz", instance.base))
                .send()
                .await
                .is_ok()
            {
                return instance;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server process did not start");
    }

    async fn ready(&self, app: &TestApp) -> Value {
        app.client
            .get(format!("{}/readyz", self.base))
            .send()
            .await
            .expect("readyz")
            .json()
            .await
            .expect("JSON")
    }

    /// Waits until Redis answers this instance and its event listener is connected.
    async fn wait_shared(&self, app: &TestApp) {
        for _ in 0..150 {
            let ready = self.ready(app).await;
            if ready["redis"] == "ok" && ready["events"] == "shared" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} never shared events through Redis", self.base);
    }

    async fn post(&self, app: &TestApp, token: Option<&str>, query: &str) -> reqwest::Response {
        let mut request = app
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn two_processes_share_events_and_limits_and_ride_out_redis_restarting() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let mut redis = RedisServer::start().await;
    let a = Instance::start(&w.app, &redis.url(), 20).await;
    let b = Instance::start(&w.app, &redis.url(), 20).await;
    a.wait_shared(&w.app).await;
    b.wait_shared(&w.app).await;
    let via_a = w.app.pointed_at(&a.base);

    // Subscribed on B; the order is placed, confirmed and shipped through A.
    let mut on_b = WsClient::signed_in(&b.base, &w.producer_clerk.access_token).await;
    on_b.subscribe("orders", ORDER_EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let order = place(&via_a, w.buyer_admin.token(), &product, 2, "scale-order-1").await;
    step(&via_a, w.producer_clerk.token(), "confirmOrder", &order).await;
    step(&via_a, w.producer_clerk.token(), "shipOrder", &order).await;
    for expected in ["PLACED", "CONFIRMED", "SHIPPED"] {
        let data = on_b.next_data("orders").await;
        assert_eq!(data["data"]["orderEvents"]["toStatus"], expected);
        assert_eq!(data["data"]["orderEvents"]["order"]["id"], order.as_str());
    }

    // The limit counted on A applies on B.
    let me = "{ me { id } }";
    for _ in 0..20 {
        assert_eq!(a.post(&w.app, w.outsider.token(), me).await.status(), 200);
    }
    let refused = b.post(&w.app, w.outsider.token(), me).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().get("retry-after").is_some());
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert!(body["errors"][0]["extensions"]["retryAfter"].as_u64() >= Some(1));

    // Redis stops: both keep answering, A's own subscribers still get A's events.
    redis.stop();
    let mut on_a = WsClient::signed_in(&a.base, &w.buyer_admin.access_token).await;
    on_a.subscribe("orders", ORDER_EVENTS, json!({})).await;
    let answered = a.post(&w.app, w.buyer_admin.token(), me).await;
    assert_eq!(answered.status(), 200, "limits fall back in-process");
    assert_eq!(
        b.post(&w.app, w.buyer_admin.token(), me).await.status(),
        200
    );
    let ready = a.ready(&w.app).await;
    assert_eq!(ready["redis"], "degraded", "{ready}");
    assert_eq!(ready["status"], "ready");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = place(&via_a, w.buyer_admin.token(), &product, 1, "scale-order-2").await;
    let data = on_a.next_data("orders").await;
    assert_eq!(data["data"]["orderEvents"]["order"]["id"], second.as_str());

    // Redis is back: the instances reconnect by themselves and events cross again.
    redis.restart().await;
    a.wait_shared(&w.app).await;
    b.wait_shared(&w.app).await;
    step(&via_a, w.producer_clerk.token(), "confirmOrder", &second).await;
    loop {
        let data = on_b.next_data("orders").await;
        let event = &data["data"]["orderEvents"];
        // The PLACED of the outage may or may not have crossed; the confirmation must.
        if event["order"]["id"] == second.as_str() && event["toStatus"] == "CONFIRMED" {
            break;
        }
        assert_eq!(event["toStatus"], "PLACED", "{event}");
    }
}

#[tokio::test]
async fn every_request_counts_against_its_users_and_its_addresss_quota() {
    let app = TestApp::spawn_with(|s| {
        s.request_quota_user = Some(Quota::per_minute(4));
        s.request_quota_ip = Some(Quota::per_minute(12));
    })
    .await;
    let user = app.register("busy.user", None).await;
    let me = "{ me { username } }";
    for _ in 0..4 {
        let body = app.gql(user.token(), me, json!({})).await;
        assert_eq!(body["data"]["me"]["username"], "busy.user");
    }
    let refused = app.post(user.token(), me, json!({})).await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=15).contains(&retry_after), "{retry_after}");
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert_eq!(
        body["errors"][0]["extensions"]["retryAfter"].as_u64(),
        Some(retry_after)
    );
    // Anonymous requests from the address go on until the address's own quota is spent.
    let mut answered = 0;
    loop {
        let response = app.post(None, "{ __typename }", json!({})).await;
        if response.status() == 429 {
            break;
        }
        assert_eq!(response.status(), 200);
        answered += 1;
        assert!(answered < 20, "the address quota never applied");
    }
    // 12 per address: the registration, the user's 5 and these.
    assert_eq!(answered, 12 - 1 - 5);
}

/// A TCP proxy in front of PostgreSQL that the test can cut and restore, as a database
/// restart looks to the server: connections drop and new ones are refused for a while.
struct Proxy {
    port: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let mut proxy = Proxy {
            port: free_port(),
            task: None,
        };
        proxy.restore(upstream).await;
        proxy
    }

    async fn restore(&mut self, upstream: String) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("proxy port");
        self.task = Some(tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                connections.spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        }));
    }

    /// Drops every connection and refuses new ones.
    fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[tokio::test]
async fn a_database_that_goes_away_is_unavailable_then_recovers_without_a_restart() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        // SQLite is a file inside the process: it cannot go away like a server.
        return;
    };
    let app = TestApp::spawn().await;
    let user = app.register("patient.user", None).await;
    let schema = app
        .database_env()
        .into_iter()
        .find(|(k, _)| *k == "DATABASE_SCHEMA")
        .map(|(_, v)| v)
        .expect("schema");
    let parsed = reqwest::Url::parse(&url).expect("URL");
    let upstream = format!(
        "{}:{}",
        parsed.host_str().unwrap_or("127.0.0.1"),
        parsed.port().unwrap_or(5432)
    );
    let mut proxy = Proxy::start(upstream.clone()).await;
    let mut via = parsed.clone();
    via.set_host(Some("127.0.0.1")).expect("host");
    via.set_port(Some(proxy.port)).expect("port");
    let options = PoolOptions {
        max_connections: Some(4),
        schema: Some(schema),
    };
    let conn = db::connect(via.as_str(), options)
        .await
        .expect("through the proxy");
    let state = server::build_state(conn, None, crate::harness::test_settings());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(server::serve_until(listener, state, std::future::pending()));
    let instance = app.pointed_at(&base);
    let me = "{ me { username } }";
    let body = instance.gql(user.token(), me, json!({})).await;
    assert_eq!(body["data"]["me"]["username"], "patient.user");

    proxy.cut();
    let down = instance.post(user.token(), me, json!({})).await;
    assert_eq!(down.status(), 503);
    assert!(down.headers().get("retry-after").is_some());
    let body: Value = down.json().await.expect("JSON");
    assert_eq!(error_code(&body), "UNAVAILABLE", "{body}");
    assert!(!body.to_string().contains("5432"), "no internals: {body}");

    proxy.restore(upstream).await;
    let mut recovered = false;
    for _ in 0..20 {
        let response = instance.post(user.token(), me, json!({})).await;
        if response.status() == 200 {
            let body: Value = response.json().await.expect("JSON");
            assert_eq!(body["data"]["me"]["username"], "patient.user");
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "the server reconnects by itself");
}

/// Issue 16: a need posted through one instance reaches a producer subscribed on another.
#[tokio::test]
async fn a_need_posted_on_one_instance_reaches_a_producer_watching_another() {
    let w = World::build().await;
    w.published_product("灵寿小米 5kg装", "45.00").await;
    let redis = RedisServer::start().await;
    let a = Instance::start(&w.app, &redis.url(), 0).await;
    let b = Instance::start(&w.app, &redis.url(), 0).await;
    a.wait_shared(&w.app).await;
    b.wait_shared(&w.app).await;
    let mut on_b = WsClient::signed_in(&b.base, &w.producer_clerk.access_token).await;
    on_b.subscribe(
        "needs",
        "subscription { demandPosted { id spec } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let today = chrono::Utc::now().date_naive();
    let posted = w
        .app
        .pointed_at(&a.base)
        .gql(
            w.buyer_admin.token(),
            "mutation($input: PostDemandInput!) { postDemand(input: $input) { demand { id } errors { code } } }",
            json!({ "input": {
                "category": "GRAIN_OIL", "spec": "小米, 跨实例", "quantity": 10, "unit": "箱",
                "rhythm": "ONCE", "regionCode": "1301", "startsOn": today.to_string(),
                "endsOn": (today + chrono::Duration::days(10)).to_string() } }),
        )
        .await;
    assert_eq!(
        posted["data"]["postDemand"]["errors"],
        json!([]),
        "{posted}"
    );
    let data = on_b.next_data("needs").await;
    assert_eq!(
        data["data"]["demandPosted"]["id"],
        posted["data"]["postDemand"]["demand"]["id"]
    );
    assert_eq!(data["data"]["demandPosted"]["spec"], "小米, 跨实例");
}
