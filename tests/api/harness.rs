//! One test harness: each test gets the real router on a fresh database (a temporary SQLite file,
//! or its own PostgreSQL schema when `TEST_DATABASE_URL` is set) and, when `TEST_REDIS_URL` is
//! set, Redis under a key prefix of its own. Requests go over real HTTP.

use std::time::Duration;

use fupin_market::{
    config::Settings,
    db::{self, PoolOptions},
    http::AppState,
    redis_link, server,
};
use reqwest::{Response, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use uuid::Uuid;

pub const JWT_SECRET: &[u8] = b"integration-test-secret-0123456789abcdef";
pub const PASSWORD: &str = "Lingshou-sweet-potato-2026";

/// Where a test's database lives, removed when the test ends (even when it fails).
pub enum Store {
    /// Owned by another `TestApp`.
    Borrowed,
    Sqlite(tempfile::TempDir),
    Postgres {
        url: String,
        schema: String,
    },
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Store::Postgres { url, schema } = self {
            let (url, schema) = (url.clone(), schema.clone());
            // A runtime of its own: drop may run while the test's runtime is shutting down.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    if let Ok(db) = db::connect(&url, PoolOptions::default()).await {
                        // Never wait forever on a connection a failed test left behind.
                        let _ = db
                            .execute_unprepared(&format!(
                                "SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                            ))
                            .await;
                    }
                });
            });
            let _ = dropped.join();
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    _store: Store,
}

pub fn test_settings() -> Settings {
    Settings::new(JWT_SECRET.to_vec())
}

pub fn on_redis() -> bool {
    std::env::var("TEST_REDIS_URL").is_ok()
}

/// A fresh, empty database (no migrations applied) and what removes it.
pub async fn fresh_database() -> (DatabaseConnection, Store) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) => {
            let schema = format!("test_{}", Uuid::now_v7().simple());
            let admin = db::connect(&url, PoolOptions::default())
                .await
                .expect("PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                .await
                .expect("create schema");
            admin.close().await.ok();
            let options = PoolOptions {
                max_connections: Some(8),
                schema: Some(schema.clone()),
            };
            let conn = db::connect(&url, options)
                .await
                .expect("connect to test schema");
            (conn, Store::Postgres { url, schema })
        }
        Err(_) => {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = db::default_sqlite_url(dir.path());
            let conn = db::connect(&url, PoolOptions::default())
                .await
                .expect("SQLite");
            (conn, Store::Sqlite(dir))
        }
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        Self::start(configure, std::future::pending()).await.0
    }

    /// An app on a database that `prepare` fills before the migrations run (it may apply some
    /// of them itself, to write data as an older version did).
    pub async fn spawn_after(prepare: impl AsyncFnOnce(&DatabaseConnection)) -> Self {
        let (conn, store) = fresh_database().await;
        prepare(&conn).await;
        Self::start_on(conn, store, |_| {}, std::future::pending())
            .await
            .0
    }

    /// An app whose server stops when the returned sender fires; the handle ends with it.
    pub async fn spawn_stoppable() -> (
        Self,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ) {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (app, server) = Self::start(|_| {}, async {
            let _ = stopped.await;
        })
        .await;
        (app, stop, server)
    }

    async fn start(
        configure: impl FnOnce(&mut Settings),
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> (Self, tokio::task::JoinHandle<std::io::Result<()>>) {
        let (conn, store) = fresh_database().await;
        Self::start_on(conn, store, configure, shutdown).await
    }

    async fn start_on(
        conn: DatabaseConnection,
        store: Store,
        configure: impl FnOnce(&mut Settings),
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> (Self, tokio::task::JoinHandle<std::io::Result<()>>) {
        db::migrate(&conn).await.expect("migrations");
        let mut settings = test_settings();
        settings.redis_prefix = format!("test:{}:", Uuid::now_v7().simple());
        configure(&mut settings);
        let redis = std::env::var("TEST_REDIS_URL")
            .ok()
            .map(|url| redis_link::connect(&url).expect("TEST_REDIS_URL"));
        let state = server::build_state(conn, redis, settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let server = tokio::spawn(server::serve_until(listener, state.clone(), shutdown));
        // The tests read English messages; `languages.rs` covers Chinese, the default.
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_static("en"),
        );
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .default_headers(headers)
            .build()
            .expect("client");
        let app = Self {
            base,
            client,
            state,
            _store: store,
        };
        (app, server)
    }

    /// How another process reaches this app's database: `DATABASE_URL` and, on PostgreSQL,
    /// `DATABASE_SCHEMA`.
    pub fn database_env(&self) -> Vec<(&'static str, String)> {
        match &self._store {
            Store::Sqlite(dir) => vec![("DATABASE_URL", db::default_sqlite_url(dir.path()))],
            Store::Postgres { url, schema } => vec![
                ("DATABASE_URL", url.clone()),
                ("DATABASE_SCHEMA", schema.clone()),
            ],
            Store::Borrowed => Vec::new(),
        }
    }

    /// The same database and state, with requests sent to another server at `base`.
    pub fn pointed_at(&self, base: &str) -> TestApp {
        TestApp {
            base: base.to_owned(),
            client: self.client.clone(),
            state: self.state.clone(),
            _store: Store::Borrowed,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.services.db
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a GraphQL request as a front-end would.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Response {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// Runs a GraphQL request that must be answered with 200, returning the body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = self.post(token, query, variables).await;
        let status = response.status();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(status, StatusCode::OK, "unexpected status; body: {body}");
        assert_messages_rendered(&body);
        body
    }

    /// The input of an order step taking `{orderId}`; a receipt names every line, accepted in
    /// full (a receipt accepts nothing it does not name).
    pub async fn order_step_input(
        &self,
        token: Option<&str>,
        mutation: &str,
        order: &str,
    ) -> Value {
        if mutation != "receiveOrder" {
            return json!({ "orderId": order });
        }
        let body = self
            .gql(
                token,
                "query($id: ID!) { order(id: $id) { lines(first: 100) { nodes { id quantity } } } }",
                json!({ "id": order }),
            )
            .await;
        let accepted: Vec<Value> = body["data"]["order"]["lines"]["nodes"]
            .as_array()
            .expect("the order's lines")
            .iter()
            .map(|line| json!({ "lineId": line["id"], "acceptedQuantity": line["quantity"] }))
            .collect();
        json!({ "orderId": order, "accepted": accepted })
    }

    /// Registers an account (optionally with an organisation) and returns its session.
    pub async fn register(&self, username: &str, organization: Option<(&str, &str)>) -> Session {
        let organization = organization.map(|(name, kind)| json!({ "name": name, "kind": kind }));
        let body = self
            .gql(
                None,
                "mutation($input: RegisterInput!) { register(input: $input) {
                    accessToken refreshToken user { id } errors { code message field } } }",
                json!({ "input": {
                    "username": username, "password": PASSWORD,
                    "displayName": username, "organization": organization } }),
            )
            .await;
        let payload = &body["data"]["register"];
        assert_eq!(
            payload["errors"],
            json!([]),
            "registration of {username} failed"
        );
        Session::from_payload(payload)
    }

    /// A platform admin, created directly (there is no public way to become one).
    pub async fn admin(&self) -> Session {
        fupin_market::auth::accounts::ensure_admin(self.db(), "root-admin", PASSWORD, "扶贫办")
            .await
            .expect("admin");
        self.login("root-admin", PASSWORD).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Session {
        let body = self
            .gql(
                None,
                "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) {
                    accessToken refreshToken user { id } errors { code message } } }",
                json!({ "u": username, "p": password }),
            )
            .await;
        let payload = &body["data"]["login"];
        assert_eq!(payload["errors"], json!([]), "login of {username} failed");
        Session::from_payload(payload)
    }

    /// Current value of a counter in `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|line| {
                let (key, value) = line.rsplit_once(' ')?;
                (key == name).then(|| value.parse().ok()).flatten()
            })
            .unwrap_or(0.0)
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub user_id: String,
}

impl Session {
    fn from_payload(payload: &Value) -> Self {
        Self {
            access_token: payload["accessToken"]
                .as_str()
                .expect("accessToken")
                .to_owned(),
            refresh_token: payload["refreshToken"]
                .as_str()
                .expect("refreshToken")
                .to_owned(),
            user_id: payload["user"]["id"].as_str().expect("user id").to_owned(),
        }
    }

    pub fn token(&self) -> Option<&str> {
        Some(&self.access_token)
    }
}

/// The `extensions.code` of the first top-level error.
/// Every `message` in an answer, with the `code` beside it or in its `extensions`, sorted.
pub fn messages_in(body: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![body];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(message)) = map.get("message") {
                    let code = map
                        .get("code")
                        .or_else(|| map.get("extensions").and_then(|e| e.get("code")))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    found.push((code.to_owned(), message.clone()));
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    found.sort();
    found
}

/// Every `message` in an answer is text from the catalogue with its placeholders filled, never
/// a bare catalogue key (which is what a key missing from the catalogue would show).
pub fn assert_messages_rendered(body: &Value) {
    for (_, message) in messages_in(body) {
        let bare_key = message.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty()
                && a.chars()
                    .chain(b.chars())
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
        assert!(!bare_key, "a message key, not its text: {message}");
        assert!(!message.contains("%{"), "a placeholder unfilled: {message}");
    }
}

pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}
