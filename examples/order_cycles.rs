//! Order-cycle load (issue 6), against a running server on a generated world (`fupin-market
//! generate`; `bench/run.sh` sets that up and runs this):
//! 1. cycles: `--buyers` buyer units, each its own client loop, place an order for a product of
//!    the first producers and walk it through confirm (producer) → ship (producer) → receive
//!    (buyer) for `--seconds`; reports complete cycles per second and latencies;
//! 2. oversell: every buyer at once orders one unit at a time of one product holding
//!    `--last-units`, until refused; exactly that many units must be sold and none beyond.
//!
//! Prints one JSON object on stdout; the report reads it.

// A benchmark client, not a request path: failing loudly on a broken run is what it should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};

const PASSWORD: &str = "fupin-bench";

struct Args {
    url: String,
    buyers: usize,
    producers: usize,
    seconds: u64,
    last_units: i64,
}

fn args() -> Args {
    let mut args = Args {
        url: "http://127.0.0.1:18090".into(),
        buyers: 32,
        producers: 8,
        seconds: 20,
        last_units: 200,
    };
    let mut it = std::env::args().skip(1);
    while let (Some(flag), Some(value)) = (it.next(), it.next()) {
        let number = || {
            value
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("{flag} wants a number"))
        };
        match flag.as_str() {
            "--url" => args.url = value.clone(),
            "--buyers" => args.buyers = number() as usize,
            "--producers" => args.producers = number() as usize,
            "--seconds" => args.seconds = number(),
            "--last-units" => args.last_units = number() as i64,
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    url: String,
}

impl Api {
    async fn call(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Result<Value, String> {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        if !status.is_success() || body.get("errors").is_some() {
            return Err(format!("{status}: {}", body["errors"]));
        }
        Ok(body["data"].clone())
    }

    /// Signs in, waiting out the sign-in throttle (it guards every address, the bench's too).
    async fn login(&self, username: &str) -> String {
        let mut attempts = 0;
        let data = loop {
            let result = self
                .call(
                    None,
                    "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { accessToken } }",
                    json!({ "u": username, "p": PASSWORD }),
                )
                .await;
            match result {
                Err(e) if e.contains("RATE_LIMITED") && attempts < 120 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                other => break other.unwrap_or_else(|e| panic!("login {username}: {e}")),
            }
        };
        data["login"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("login {username} refused"))
            .to_owned()
    }
}

/// A product on sale and the token of its producer's member.
#[derive(Clone)]
struct Offer {
    product: String,
    producer_token: Arc<String>,
}

const PRODUCTS: &str = "query($id: ID!) { node(id: $id) { ... on Producer { products(first: 20) { nodes { id stock } } } } }";
const ME: &str = "{ me { organization { id producer { id inGoodStanding } } } }";
const PLACE: &str = "mutation($p: ID!, $q: Int!, $k: String!) { placeOrder(input: {lines: [{productId: $p, quantity: $q}], idempotencyKey: $k}) { orders { id lines(first: 10) { nodes { id quantity } } } errors { code message } } }";
const CONFIRM: &str = "mutation($o: ID!) { confirmOrder(input: {orderId: $o}) { order { status } errors { code message } } }";
const SHIP: &str = "mutation($o: ID!) { shipOrder(input: {orderId: $o}) { order { status } errors { code message } } }";
const RECEIVE: &str = "mutation($o: ID!, $a: [AcceptedLineInput!]!) { receiveOrder(input: {orderId: $o, accepted: $a}) { order { status } errors { code message } } }";
const STOCK: &str = "query($id: ID!) { product(id: $id) { stock } }";
const ADJUST: &str = "mutation($p: ID!, $d: Int!) { adjustStock(input: {productId: $p, delta: $d, reason: \"盘点\"}) { product { stock } errors { code message } } }";

/// The listed products of the first producers in good standing, with their tokens.
async fn offers(api: &Api, producers: usize) -> Vec<Offer> {
    let mut offers = Vec::new();
    let mut index = 0;
    while offers.len() < producers * 3 && index < producers * 10 {
        let token = api.login(&format!("bench-p{index:05}")).await;
        index += 1;
        let me = api.call(Some(&token), ME, json!({})).await.expect("me");
        let producer = &me["me"]["organization"]["producer"];
        if producer["inGoodStanding"] != json!(true) {
            continue;
        }
        let found = api
            .call(Some(&token), PRODUCTS, json!({ "id": producer["id"] }))
            .await
            .expect("products");
        let token = Arc::new(token);
        for node in found["node"]["products"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .take(3)
        {
            offers.push(Offer {
                product: node["id"].as_str().unwrap_or_default().to_owned(),
                producer_token: token.clone(),
            });
        }
    }
    offers
}

fn step_errors(data: &Value, field: &str) -> Option<String> {
    let errors = &data[field]["errors"];
    errors
        .as_array()
        .filter(|e| !e.is_empty())
        .map(|_| errors.to_string())
}

async fn stock(api: &Api, token: &str, product: &str) -> i64 {
    let data = api
        .call(Some(token), STOCK, json!({ "id": product }))
        .await
        .expect("stock");
    data["product"]["stock"]
        .as_i64()
        .expect("stock is a number")
}

/// Sets a product's stock, as its producer would after a count.
async fn set_stock(api: &Api, offer: &Offer, to: i64) {
    let now = stock(api, &offer.producer_token, &offer.product).await;
    if now == to {
        return;
    }
    let data = api
        .call(
            Some(&offer.producer_token),
            ADJUST,
            json!({ "p": offer.product, "d": to - now }),
        )
        .await
        .expect("adjustStock");
    assert!(
        step_errors(&data, "adjustStock").is_none(),
        "adjustStock: {data}"
    );
}

#[derive(Default)]
struct Tally {
    cycles: Vec<Duration>,
    steps: [Vec<Duration>; 4],
    failures: Vec<String>,
    units: i64,
}

async fn one_cycle(
    api: &Api,
    buyer: &str,
    offer: &Offer,
    quantity: i64,
    serial: u64,
    tally: &mut Tally,
) {
    let started = Instant::now();
    // Unique across runs too: a run on a database an earlier run used must not replay its orders.
    let key = format!("cycle-{}-{serial:012}", run_id());
    let mut at = Instant::now();
    let placed = match api
        .call(
            Some(buyer),
            PLACE,
            json!({ "p": offer.product, "q": quantity, "k": key }),
        )
        .await
    {
        Ok(data) => data,
        Err(e) => return tally.failures.push(format!("placeOrder: {e}")),
    };
    if let Some(e) = step_errors(&placed, "placeOrder") {
        return tally.failures.push(format!("placeOrder: {e}"));
    }
    tally.steps[0].push(at.elapsed());
    tally.units += quantity;
    let Some(order) = placed["placeOrder"]["orders"][0]["id"]
        .as_str()
        .map(str::to_owned)
    else {
        return tally.failures.push("placeOrder: no order".into());
    };
    let steps = [
        (CONFIRM, "confirmOrder", offer.producer_token.as_str()),
        (SHIP, "shipOrder", offer.producer_token.as_str()),
        (RECEIVE, "receiveOrder", buyer),
    ];
    // The receipt names every line, accepted in full.
    let accepted: Vec<Value> = placed["placeOrder"]["orders"][0]["lines"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|line| json!({ "lineId": line["id"], "acceptedQuantity": line["quantity"] }))
        .collect();
    for (i, (query, field, token)) in steps.into_iter().enumerate() {
        at = Instant::now();
        let variables = json!({ "o": order, "a": accepted });
        match api.call(Some(token), query, variables).await {
            Ok(data) if step_errors(&data, field).is_none() => {
                tally.steps[i + 1].push(at.elapsed());
            }
            Ok(data) => {
                return tally
                    .failures
                    .push(format!("{field}: {}", data[field]["errors"]));
            }
            Err(e) => return tally.failures.push(format!("{field}: {e}")),
        }
    }
    tally.cycles.push(started.elapsed());
}

/// This run's identity: the time it started, in milliseconds.
fn run_id() -> u128 {
    static STARTED: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    *STARTED.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    })
}

fn percentiles(mut samples: Vec<Duration>) -> Value {
    samples.sort();
    let at = |q: f64| {
        samples
            .get(((samples.len().max(1) - 1) as f64 * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    json!({ "count": samples.len(), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0) })
}

#[tokio::main]
async fn main() {
    let args = args();
    let api = Api {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(args.buyers * 2)
            .build()
            .expect("client"),
        url: args.url.clone(),
    };
    let offers = Arc::new(offers(&api, args.producers).await);
    assert!(
        !offers.is_empty(),
        "no producer with listed products among the first ones"
    );
    for offer in offers.iter() {
        set_stock(&api, offer, 1_000_000).await;
    }
    let mut buyers = Vec::new();
    for i in 0..args.buyers {
        buyers.push(api.login(&format!("bench-b{i:04}")).await);
    }

    // 1. Cycles.
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let serial = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for (i, buyer) in buyers.iter().cloned().enumerate() {
        let (api, offers, serial) = (api.clone(), offers.clone(), serial.clone());
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut n = i;
            while Instant::now() < deadline {
                let offer = &offers[n % offers.len()];
                let quantity = 1 + (n % 5) as i64;
                let s = serial.fetch_add(1, Ordering::Relaxed);
                one_cycle(&api, &buyer, offer, quantity, s, &mut tally).await;
                n += 7;
            }
            tally
        }));
    }
    let mut all = Tally::default();
    for worker in workers {
        let tally = worker.await.expect("worker");
        all.cycles.extend(tally.cycles);
        for (into, from) in all.steps.iter_mut().zip(tally.steps) {
            into.extend(from);
        }
        all.failures.extend(tally.failures);
        all.units += tally.units;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut stock_after = 0;
    for offer in offers.iter() {
        stock_after += stock(&api, &offer.producer_token, &offer.product).await;
    }
    let stock_before = 1_000_000 * offers.len() as i64;

    // 2. Oversell: many buyers race for the last units of one product.
    let last = offers[0].clone();
    set_stock(&api, &last, args.last_units).await;
    let sold = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let mut racers = Vec::new();
    for buyer in buyers.clone() {
        let (api, last, sold, refused, serial) = (
            api.clone(),
            last.clone(),
            sold.clone(),
            refused.clone(),
            serial.clone(),
        );
        racers.push(tokio::spawn(async move {
            loop {
                let s = serial.fetch_add(1, Ordering::Relaxed);
                let key = format!("race-{}-{s:012}", run_id());
                let data = api
                    .call(
                        Some(&buyer),
                        PLACE,
                        json!({ "p": last.product, "q": 1, "k": key }),
                    )
                    .await;
                match data {
                    Ok(d) if step_errors(&d, "placeOrder").is_none() => {
                        sold.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
        }));
    }
    for racer in racers {
        racer.await.expect("racer");
    }
    let left = stock(&api, &last.producer_token, &last.product).await;
    let sold = sold.load(Ordering::Relaxed) as i64;

    let mut failures = all.failures.clone();
    failures.sort();
    failures.dedup();
    failures.truncate(5);
    let report = json!({
        "buyers": args.buyers,
        "products": offers.len(),
        "seconds": elapsed,
        "cycles": all.cycles.len(),
        "cycles_per_second": all.cycles.len() as f64 / elapsed,
        "failed_cycles": all.failures.len(),
        "failure_examples": failures,
        "cycle": percentiles(all.cycles),
        "place": percentiles(all.steps[0].clone()),
        "confirm": percentiles(all.steps[1].clone()),
        "ship": percentiles(all.steps[2].clone()),
        "receive": percentiles(all.steps[3].clone()),
        "stock_consistent": stock_before - stock_after == all.units,
        "race": { "units": args.last_units, "sold": sold, "left": left, "oversold": (sold - args.last_units).max(0) + (-left).max(0) },
    });
    println!("{report}");
}
