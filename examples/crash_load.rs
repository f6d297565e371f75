//! Crash test (issue 13, item 8): `tests/crash/run.sh` runs this against a server on PostgreSQL,
//! kills the server with SIGKILL in the middle of the load, restarts it and runs the check.
//!
//! - `load`: buyers walk orders through place → confirm → ship → receive (some in part), refund
//!   some and cancel some, on a generated world (`fupin-market generate --scale tiny`). Every
//!   `placeOrder` is written to the journal before it is sent and again when its answer comes,
//!   so the check knows which requests were in flight when the server died. The load ends by
//!   itself once the server stops answering (or after `--seconds`).
//! - `check`: after the restart, replays every journaled `placeOrder` with its idempotency key
//!   (an answered one must return the same orders; an unanswered one must settle on one answer),
//!   finishes every order the load left open (none may be stuck), then checks the database:
//!   the chain verifies, ledger total = accepted − refunded to the fen, each accepted line has
//!   exactly one sale entry, every order's status is its last recorded transition, stock moved
//!   by exactly the units ordered, one idempotency record per key.
//!
//! Prints one JSON object with the figures; exits non-zero when a check fails.

// A benchmark client, not a request path: failing loudly on a broken run is what it should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::{
    collections::{BTreeMap, HashMap},
    io::{BufRead, Write},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use serde_json::{Value, json};

const PASSWORD: &str = "fupin-bench";
const OFFER_STOCK: i64 = 1_000_000;

const ME: &str = "{ me { organization { producer { id inGoodStanding } } } }";
const PRODUCTS: &str = "query($id: ID!) { node(id: $id) { ... on Producer { products(first: 20) { nodes { id stock } } } } }";
const PLACE: &str = "mutation($p: ID!, $q: Int!, $k: String!) { placeOrder(input: {lines: [{productId: $p, quantity: $q}], idempotencyKey: $k}) { orders { id lines(first: 10) { nodes { id quantity } } } errors { code message } } }";
const ORDER: &str =
    "query($o: ID!) { order(id: $o) { status lines(first: 10) { nodes { id quantity } } } }";
const CONFIRM: &str =
    "mutation($o: ID!) { confirmOrder(input: {orderId: $o}) { errors { code message } } }";
const SHIP: &str =
    "mutation($o: ID!) { shipOrder(input: {orderId: $o}) { errors { code message } } }";
const RECEIVE: &str = "mutation($o: ID!, $a: [AcceptedLineInput!]!) { receiveOrder(input: {orderId: $o, accepted: $a}) { errors { code message } } }";
const CANCEL: &str = "mutation($o: ID!) { cancelOrder(input: {orderId: $o, reason: \"不需要了\"}) { errors { code message } } }";
const REFUND: &str = "mutation($o: ID!, $l: ID!) { refundOrder(input: {orderId: $o, lines: [{lineId: $l, quantity: 1}], reason: \"破损\"}) { errors { code message } } }";
const STOCK: &str = "query($id: ID!) { product(id: $id) { stock } }";
const ADJUST: &str = "mutation($p: ID!, $d: Int!) { adjustStock(input: {productId: $p, delta: $d, reason: \"盘点\"}) { errors { code message } } }";
const VERIFY: &str = "{ verifyLedger { intact checked } }";

#[derive(Debug)]
enum CallError {
    /// The server did not answer: the outcome is unknown.
    Transport(String),
    /// The server answered with errors.
    Refused(String),
}

#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    url: String,
}

impl Api {
    fn new(url: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("http client");
        Self {
            client,
            url: url.to_owned(),
        }
    }

    async fn call(&self, token: &str, query: &str, variables: Value) -> Result<Value, CallError> {
        let response = self
            .client
            .post(format!("{}/graphql", self.url))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| CallError::Transport(e.to_string()))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| CallError::Transport(e.to_string()))?;
        if !status.is_success() || body.get("errors").is_some() {
            return Err(CallError::Refused(format!("{status}: {}", body["errors"])));
        }
        // A payload's own `errors` are refusals too.
        let data = body["data"].clone();
        if let Some(payload) = data.as_object().and_then(|o| o.values().next())
            && payload["errors"].as_array().is_some_and(|e| !e.is_empty())
        {
            return Err(CallError::Refused(payload["errors"].to_string()));
        }
        Ok(data)
    }

    /// Signs in, waiting out the sign-in throttle.
    async fn login(&self, username: &str) -> String {
        for _ in 0..240 {
            let response = self
                .client
                .post(format!("{}/graphql", self.url))
                .json(&json!({
                    "query": "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { accessToken } }",
                    "variables": { "u": username, "p": PASSWORD },
                }))
                .send()
                .await;
            if let Ok(response) = response
                && let Ok(body) = response.json::<Value>().await
                && let Some(token) = body["data"]["login"]["accessToken"].as_str()
            {
                return token.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("could not sign in as {username}");
    }
}

/// Appends lines to the journal, each flushed at once: the load's record must survive the
/// server's death (the driver itself is not killed).
#[derive(Clone)]
struct Journal(Arc<Mutex<std::fs::File>>);

impl Journal {
    fn write(&self, record: &Value) {
        let mut file = self.0.lock().expect("journal lock");
        writeln!(file, "{record}").expect("journal write");
        file.flush().expect("journal flush");
    }
}

fn flag(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn number(name: &str, default: u64) -> u64 {
    flag(name).map_or(default, |v| v.parse().expect("a number"))
}

#[tokio::main]
async fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let url = flag("--url").unwrap_or_else(|| "http://127.0.0.1:18095".into());
    let journal = flag("--journal").unwrap_or_else(|| "crash-journal.jsonl".into());
    match mode.as_str() {
        "load" => load(&url, &journal).await,
        "check" => std::process::exit(check(&url, &journal).await),
        _ => panic!("usage: crash_load load|check --url URL --journal FILE [--buyers N]"),
    }
}

// ---- load ----------------------------------------------------------------------------------

async fn load(url: &str, journal_path: &str) {
    let api = Api::new(url);
    let buyers = number("--buyers", 8) as usize;
    let seconds = number("--seconds", 60);
    let journal = Journal(Arc::new(Mutex::new(
        std::fs::File::create(journal_path).expect("journal file"),
    )));

    // Offers: the first three products of the first producers in good standing.
    let mut producers = Vec::new();
    let mut offers: Vec<(String, usize)> = Vec::new();
    for index in 0..40 {
        if offers.len() >= 6 {
            break;
        }
        let token = api.login(&format!("bench-p{index:05}")).await;
        let me = api.call(&token, ME, json!({})).await.expect("me");
        let producer = &me["me"]["organization"]["producer"];
        if producer["inGoodStanding"] != json!(true) {
            continue;
        }
        let found = api
            .call(&token, PRODUCTS, json!({ "id": producer["id"] }))
            .await
            .expect("products");
        producers.push(token);
        for node in found["node"]["products"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .take(3)
        {
            let id = node["id"].as_str().expect("product id").to_owned();
            let now = node["stock"].as_i64().expect("stock");
            api.call(
                &producers[producers.len() - 1],
                ADJUST,
                json!({ "p": id, "d": OFFER_STOCK - now }),
            )
            .await
            .expect("adjustStock");
            journal.write(
                &json!({ "offer": id, "stock": OFFER_STOCK, "producer": producers.len() - 1 }),
            );
            offers.push((id, producers.len() - 1));
        }
    }
    assert!(!offers.is_empty(), "no products to order");
    let mut buyer_tokens = Vec::new();
    for i in 0..buyers {
        buyer_tokens.push(api.login(&format!("bench-b{i:04}")).await);
    }
    let started = chrono::Utc::now().to_rfc3339();
    journal.write(&json!({ "buyers": buyers, "producers": producers.len(), "started": started }));

    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let producers = Arc::new(producers);
    let offers = Arc::new(offers);
    let down = Arc::new(AtomicBool::new(false));
    let serial = Arc::new(AtomicU64::new(0));
    let cycles = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for (b, token) in buyer_tokens.into_iter().enumerate() {
        let (api, journal, producers, offers, down, serial, cycles) = (
            api.clone(),
            journal.clone(),
            producers.clone(),
            offers.clone(),
            down.clone(),
            serial.clone(),
            cycles.clone(),
        );
        workers.push(tokio::spawn(async move {
            while !down.load(Ordering::Relaxed) && Instant::now() < deadline {
                let n = serial.fetch_add(1, Ordering::Relaxed);
                let (product, p) = &offers[(n as usize * 7 + b) % offers.len()];
                let key = format!("crash-{run}-{n:08}");
                let quantity = 1 + (n % 5) as i64;
                journal.write(
                    &json!({ "send": key, "buyer": b, "product": product, "quantity": quantity }),
                );
                let placed = api
                    .call(
                        &token,
                        PLACE,
                        json!({ "p": product, "q": quantity, "k": key }),
                    )
                    .await;
                let order = match placed {
                    Ok(data) => {
                        journal.write(
                            &json!({ "answer": key, "orders": order_ids(&data["placeOrder"]) }),
                        );
                        data["placeOrder"]["orders"][0].clone()
                    }
                    Err(CallError::Transport(e)) => {
                        journal.write(&json!({ "unanswered": key, "error": e }));
                        down.store(true, Ordering::Relaxed);
                        break;
                    }
                    Err(CallError::Refused(e)) => {
                        journal.write(&json!({ "refused": key, "error": e }));
                        continue;
                    }
                };
                let producer = &producers[*p];
                match walk(&api, &token, producer, &order, n).await {
                    Ok(()) => {
                        cycles.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(CallError::Transport(_)) => {
                        down.store(true, Ordering::Relaxed);
                        break;
                    }
                    // A refusal mid-walk leaves the order for the check to finish.
                    Err(CallError::Refused(e)) => {
                        journal.write(&json!({ "walk": key, "error": e }));
                    }
                }
            }
        }));
    }
    for worker in workers {
        worker.await.expect("worker");
    }
    journal.write(&json!({ "cycles": cycles.load(Ordering::Relaxed), "server_down": down.load(Ordering::Relaxed) }));
    println!(
        "{}",
        json!({ "cycles": cycles.load(Ordering::Relaxed), "placed": serial.load(Ordering::Relaxed), "server_down": down.load(Ordering::Relaxed) })
    );
}

fn order_ids(payload: &Value) -> Vec<String> {
    payload["orders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_str().map(str::to_owned))
        .collect()
}

/// One order's life after placing: every 10th cancelled, the rest confirmed, shipped and
/// received (every 3rd with one unit of its line rejected), every 4th of those refunded a unit
/// by the producer.
async fn walk(
    api: &Api,
    buyer: &str,
    producer: &str,
    order: &Value,
    n: u64,
) -> Result<(), CallError> {
    let id = order["id"].as_str().unwrap_or_default();
    if n % 10 == 9 {
        return api.call(buyer, CANCEL, json!({ "o": id })).await.map(drop);
    }
    api.call(producer, CONFIRM, json!({ "o": id })).await?;
    api.call(producer, SHIP, json!({ "o": id })).await?;
    api.call(
        buyer,
        RECEIVE,
        json!({ "o": id, "a": acceptance(order, n) }),
    )
    .await?;
    if n.is_multiple_of(4) {
        let line = order["lines"]["nodes"][0]["id"]
            .as_str()
            .unwrap_or_default();
        api.call(producer, REFUND, json!({ "o": id, "l": line }))
            .await?;
    }
    Ok(())
}

/// Names every line: in full, or (every 3rd order) one unit short.
fn acceptance(order: &Value, n: u64) -> Value {
    let lines = order["lines"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Value::Array(
        lines
            .iter()
            .map(|line| {
                let quantity = line["quantity"].as_i64().unwrap_or(0);
                let short = i64::from(n.is_multiple_of(3) && quantity > 1);
                json!({ "lineId": line["id"], "acceptedQuantity": quantity - short })
            })
            .collect(),
    )
}

// ---- check ---------------------------------------------------------------------------------

#[derive(Default)]
struct Sent {
    buyer: usize,
    product: String,
    quantity: i64,
    answer: Option<Vec<String>>,
}

struct Report {
    figures: BTreeMap<&'static str, Value>,
    failures: Vec<String>,
}

impl Report {
    fn expect(&mut self, ok: bool, what: String) {
        if !ok {
            self.failures.push(what);
        }
    }
}

async fn check(url: &str, journal_path: &str) -> i32 {
    let api = Api::new(url);
    let file = std::fs::File::open(journal_path).expect("journal");
    let mut sent: BTreeMap<String, Sent> = BTreeMap::new();
    let mut offers: Vec<(String, i64)> = Vec::new();
    let (mut buyers, mut producers, mut started) = (0, 0, String::new());
    for line in std::io::BufReader::new(file).lines() {
        let record: Value = serde_json::from_str(&line.expect("journal line")).expect("json");
        if let Some(key) = record["send"].as_str() {
            sent.insert(
                key.to_owned(),
                Sent {
                    buyer: record["buyer"].as_u64().unwrap_or(0) as usize,
                    product: record["product"].as_str().unwrap_or_default().to_owned(),
                    quantity: record["quantity"].as_i64().unwrap_or(0),
                    answer: None,
                },
            );
        } else if let Some(key) = record["answer"].as_str() {
            if let Some(s) = sent.get_mut(key) {
                s.answer = serde_json::from_value(record["orders"].clone()).ok();
            }
        } else if let Some(offer) = record["offer"].as_str() {
            offers.push((offer.to_owned(), record["stock"].as_i64().unwrap_or(0)));
        } else if record.get("buyers").is_some() {
            buyers = record["buyers"].as_u64().unwrap_or(0) as usize;
            producers = record["producers"].as_u64().unwrap_or(0) as usize;
            started = record["started"].as_str().unwrap_or_default().to_owned();
        }
    }
    let mut report = Report {
        figures: BTreeMap::new(),
        failures: Vec::new(),
    };
    let answered = sent.values().filter(|s| s.answer.is_some()).count();
    report
        .figures
        .insert("placed_answered_before_crash", json!(answered));
    report
        .figures
        .insert("placed_in_flight_at_crash", json!(sent.len() - answered));

    let mut buyer_tokens = Vec::new();
    for i in 0..buyers {
        buyer_tokens.push(api.login(&format!("bench-b{i:04}")).await);
    }
    let mut producer_tokens = Vec::new();
    let mut index = 0;
    while producer_tokens.len() < producers && index < 40 {
        let token = api.login(&format!("bench-p{index:05}")).await;
        index += 1;
        let me = api.call(&token, ME, json!({})).await.expect("me");
        if me["me"]["organization"]["producer"]["inGoodStanding"] == json!(true) {
            producer_tokens.push(token);
        }
    }
    let admin = api.login("bench-admin").await;

    // 1. Replays: same key, same request → the first result.
    let (mut same, mut settled) = (0, 0);
    let mut orders: Vec<(String, usize, String)> = Vec::new();
    for (key, s) in &sent {
        let token = &buyer_tokens[s.buyer];
        let variables = json!({ "p": s.product, "q": s.quantity, "k": key });
        let replay = match api.call(token, PLACE, variables.clone()).await {
            Ok(data) => order_ids(&data["placeOrder"]),
            Err(e) => {
                report.failures.push(format!("replay of {key}: {e:?}"));
                continue;
            }
        };
        match &s.answer {
            Some(first) => {
                report.expect(
                    *first == replay,
                    format!("replay of {key} gave {replay:?}, first {first:?}"),
                );
                same += usize::from(*first == replay);
            }
            None => {
                // Unanswered before the crash: whatever it is now, it must stay so.
                let again = api
                    .call(token, PLACE, variables)
                    .await
                    .map(|d| order_ids(&d["placeOrder"]))
                    .unwrap_or_default();
                report.expect(
                    again == replay && !replay.is_empty(),
                    format!("in-flight {key} answered {replay:?} then {again:?}"),
                );
                settled += usize::from(again == replay);
            }
        }
        for id in replay {
            orders.push((id, s.buyer, s.product.clone()));
        }
    }
    report.figures.insert("replays_same_result", json!(same));
    report
        .figures
        .insert("in_flight_replays_settled", json!(settled));

    // 2. Nothing stuck: every open order can be walked to its end.
    let producer_of: HashMap<String, usize> = producer_offers(journal_path);
    let mut finished = 0;
    for (id, buyer, product) in &orders {
        let buyer = &buyer_tokens[*buyer];
        let Some(producer) = producer_of
            .get(product)
            .and_then(|p| producer_tokens.get(*p))
        else {
            report.failures.push(format!("no producer for {product}"));
            continue;
        };
        match finish(&api, buyer, producer, id).await {
            Ok(true) => finished += 1,
            Ok(false) => {}
            Err(e) => report.failures.push(format!("order {id} stuck: {e:?}")),
        }
    }
    report
        .figures
        .insert("open_orders_finished_after_restart", json!(finished));

    // 3. The chain.
    match api.call(&admin, VERIFY, json!({})).await {
        Ok(data) => {
            report.expect(
                data["verifyLedger"]["intact"] == json!(true),
                format!("verifyLedger: {}", data["verifyLedger"]),
            );
            report.figures.insert(
                "ledger_entries_verified",
                data["verifyLedger"]["checked"].clone(),
            );
        }
        Err(e) => report.failures.push(format!("verifyLedger: {e:?}")),
    }

    // 4. The database's own account of it.
    let database = std::env::var("DATABASE_URL").expect("DATABASE_URL for the check");
    let started = chrono::DateTime::parse_from_rfc3339(&started).expect("the load's start time");
    database_checks(
        &database,
        &api,
        &buyer_tokens[0],
        &offers,
        started,
        &mut report,
    )
    .await;

    report
        .figures
        .insert("failures", json!(report.failures.len()));
    report.figures.insert(
        "failure_examples",
        json!(report.failures.iter().take(10).collect::<Vec<_>>()),
    );
    println!("{}", json!(report.figures));
    i32::from(!report.failures.is_empty())
}

/// Product → index of its producer among the load's producers, from the journal.
fn producer_offers(journal_path: &str) -> HashMap<String, usize> {
    let text = std::fs::read_to_string(journal_path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|r| {
            Some((
                r["offer"].as_str()?.to_owned(),
                r["producer"].as_u64()? as usize,
            ))
        })
        .collect()
}

/// Walks an order to its end from wherever it is; `true` when there was anything to do.
async fn finish(api: &Api, buyer: &str, producer: &str, id: &str) -> Result<bool, CallError> {
    let data = api.call(buyer, ORDER, json!({ "o": id })).await?;
    let order = &data["order"];
    let status = order["status"].as_str().unwrap_or_default().to_owned();
    let steps: &[&str] = match status.as_str() {
        "PLACED" => &["confirm", "ship", "receive"],
        "CONFIRMED" => &["ship", "receive"],
        "SHIPPED" => &["receive"],
        _ => return Ok(false),
    };
    for step in steps {
        match *step {
            "confirm" => api.call(producer, CONFIRM, json!({ "o": id })).await?,
            "ship" => api.call(producer, SHIP, json!({ "o": id })).await?,
            _ => {
                api.call(
                    buyer,
                    RECEIVE,
                    json!({ "o": id, "a": acceptance(order, 1) }),
                )
                .await?
            }
        };
    }
    Ok(true)
}

async fn scalar(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<Option<i64>>(0)
        .expect("a number")
        .unwrap_or(0)
}

async fn database_checks(
    url: &str,
    api: &Api,
    token: &str,
    offers: &[(String, i64)],
    started: chrono::DateTime<chrono::FixedOffset>,
    report: &mut Report,
) {
    // The load's orders; generated ones before it have their own history.
    let run = format!("o.placed_at >= '{}'", started.to_rfc3339());
    let db = Database::connect(url).await.expect("database");
    let ledger = scalar(&db, "SELECT SUM(amount_fen)::bigint FROM ledger_entries").await;
    let accepted = scalar(
        &db,
        "SELECT SUM(l.price_fen * l.accepted_quantity)::bigint FROM order_lines l \
         JOIN orders o ON o.id = l.order_id WHERE o.status IN ('RECEIVED', 'SETTLED')",
    )
    .await;
    let refunded = scalar(
        &db,
        "SELECT SUM(l.price_fen * l.refunded_quantity)::bigint FROM order_lines l",
    )
    .await;
    report.figures.insert("ledger_total_fen", json!(ledger));
    report.figures.insert("accepted_fen", json!(accepted));
    report.figures.insert("refunded_fen", json!(refunded));
    report.expect(
        ledger == accepted - refunded,
        format!("ledger {ledger} ≠ accepted {accepted} − refunded {refunded}"),
    );
    let checks = [
        (
            "accepted lines without exactly one sale entry",
            "SELECT COUNT(*) FROM order_lines l JOIN orders o ON o.id = l.order_id \
             WHERE o.status IN ('RECEIVED', 'SETTLED') AND l.accepted_quantity > 0 AND \
             (SELECT COUNT(*) FROM ledger_entries e WHERE e.order_line_id = l.id AND e.kind = 'SALE') <> 1"
                .to_owned(),
        ),
        (
            "sale entries of orders not received",
            "SELECT COUNT(*) FROM ledger_entries e JOIN orders o ON o.id = e.order_id \
             WHERE o.status NOT IN ('RECEIVED', 'SETTLED')"
                .to_owned(),
        ),
        (
            "orders of the load whose status is not their last transition",
            format!(
                "SELECT COUNT(*) FROM orders o WHERE {run} AND o.status <> (SELECT ev.to_status \
                 FROM order_events ev WHERE ev.order_id = o.id ORDER BY ev.at DESC, ev.id DESC LIMIT 1)"
            ),
        ),
        (
            "orders of the load with no recorded transition",
            format!(
                "SELECT COUNT(*) FROM orders o WHERE {run} AND NOT EXISTS \
                 (SELECT 1 FROM order_events ev WHERE ev.order_id = o.id)"
            ),
        ),
        (
            "orders of the load still open after the check finished them",
            format!(
                "SELECT COUNT(*) FROM orders o WHERE {run} AND o.status IN ('PLACED', 'CONFIRMED', 'SHIPPED')"
            ),
        ),
        (
            "idempotency keys recorded twice",
            "SELECT COUNT(*) FROM (SELECT organization_id, user_id, key FROM idempotency_keys \
             GROUP BY 1, 2, 3 HAVING COUNT(*) > 1) twice"
                .to_owned(),
        ),
        (
            "ledger head not at the last entry",
            "SELECT COUNT(*) FROM ledger_head h WHERE h.seq <> COALESCE((SELECT MAX(seq) FROM ledger_entries), 0)"
                .to_owned(),
        ),
    ];
    for (what, sql) in checks {
        let count = scalar(&db, &sql).await;
        report.expect(count == 0, format!("{what}: {count}"));
    }
    // Stock: each offer moved by exactly the units of its orders that were not cancelled
    // since the load set it (only the load orders these products).
    let mut consistent = 0;
    for (product, start) in offers {
        let data = api
            .call(token, STOCK, json!({ "id": product }))
            .await
            .expect("stock");
        let now = data["product"]["stock"].as_i64().unwrap_or(-1);
        let uuid = product_uuid(product);
        let ordered = scalar(
            &db,
            &format!(
                "SELECT SUM(l.quantity)::bigint FROM order_lines l JOIN orders o ON o.id = l.order_id \
                 WHERE l.product_id = '{uuid}' AND o.status <> 'CANCELLED' AND o.placed_at >= \
                 (SELECT MAX(adjusted_at) FROM stock_adjustments WHERE product_id = '{uuid}')"
            ),
        )
        .await;
        report.expect(
            now == start - ordered,
            format!("stock of {product}: {now}, set to {start}, {ordered} ordered since"),
        );
        consistent += usize::from(now == start - ordered);
    }
    report
        .figures
        .insert("offers_with_consistent_stock", json!(consistent));
}

/// The UUID inside an opaque ID (`base64url("Product:uuid")`).
fn product_uuid(id: &str) -> String {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .expect("an opaque ID");
    let text = String::from_utf8(bytes).expect("utf-8");
    let uuid = text.split_once(':').map(|(_, u)| u).unwrap_or_default();
    // Only a UUID goes into the SQL above.
    uuid::Uuid::parse_str(uuid).expect("a UUID").to_string()
}
