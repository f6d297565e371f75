//! Webhooks (issue 19): real HTTP receivers on loopback (a good one, a failing one, a slow one,
//! a dead address), signatures checked as a receiver would, order kept per order, the outbox
//! written with its event, the delivery log, manual redelivery, and an endpoint disabled after
//! failing for its whole window with its owner warned.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use chrono::Datelike;
use entity::{webhook_attempt, webhook_delivery};
use hmac::{Hmac, Mac};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{
    harness::error_code,
    live::{place, step},
    world::World,
    ws::WsClient,
};

/// What a receiver got: headers of interest and the body.
#[derive(Clone, Debug)]
pub struct Got {
    pub event_id: String,
    pub kind: String,
    delivery_id: String,
    attempt: String,
    signature: String,
    body: String,
}

impl Got {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

/// How a receiver answers its next calls: (status, delay); 200 at once when the script ends.
#[derive(Clone, Default)]
pub struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    script: Arc<Mutex<VecDeque<(u16, Duration)>>>,
}

impl Receiver {
    /// Starts a receiver on 127.0.0.1; its URL and handle.
    pub async fn start(script: &[(u16, Duration)]) -> (String, Receiver) {
        let receiver = Receiver {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            ..Receiver::default()
        };
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address: SocketAddr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{address}/hook"), receiver)
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits until `n` requests came (or fails after 20 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Got> {
        for _ in 0..400 {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{} of {n} requests came: {:?}",
            self.got().len(),
            self.got()
        );
    }
}

async fn receive(
    State(receiver): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::http::StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    receiver.got.lock().expect("lock").push(Got {
        event_id: header("fupin-event-id"),
        kind: header("fupin-event-kind"),
        delivery_id: header("fupin-delivery-id"),
        attempt: header("fupin-delivery-attempt"),
        signature: header("fupin-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let next = receiver.script.lock().expect("lock").pop_front();
    let (status, delay) = next.unwrap_or((200, Duration::ZERO));
    tokio::time::sleep(delay).await;
    axum::http::StatusCode::from_u16(status).expect("status")
}

/// Checks a delivery's signature as the receiver's guide says: HMAC-SHA256 of `t.body` under
/// the secret, and a timestamp within five minutes.
fn verify(secret: &str, got: &Got) -> bool {
    let Some((t, v1)) = got
        .signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let Ok(timestamp) = t.parse::<i64>() else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - timestamp).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{}", got.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == v1
}

/// A world whose dispatcher looks every 50 ms, retries after 100 ms (doubling), waits 1 s
/// for an answer and gives up after `give_up`.
async fn world(give_up: Duration) -> World {
    World::build_with(|s| {
        s.webhooks.poll_interval = Duration::from_millis(50);
        s.webhooks.retry_base = Duration::from_millis(100);
        s.webhooks.retry_cap = Duration::from_millis(400);
        s.webhooks.timeout = Duration::from_secs(1);
        s.webhooks.give_up_after = give_up;
    })
    .await
}

const CREATE: &str = "mutation($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
        endpoint { id url eventKinds status } secret errors { field code message } } }";

/// Registers an endpoint as `token`'s organisation; (endpoint ID, secret).
pub async fn endpoint(w: &World, token: Option<&str>, url: &str, kinds: Value) -> (String, String) {
    let body = w
        .app
        .gql(
            token,
            CREATE,
            json!({ "input": { "url": url, "eventKinds": kinds, "description": "ERP" } }),
        )
        .await;
    let made = &body["data"]["createWebhookEndpoint"];
    assert_eq!(made["errors"], json!([]), "{body}");
    (
        made["endpoint"]["id"].as_str().expect("id").to_owned(),
        made["secret"].as_str().expect("secret").to_owned(),
    )
}

const DELIVERIES: &str =
    "query($endpoint: ID) { webhookDeliveries(endpointId: $endpoint, first: 50) {
    nodes { id eventId kind status attempts lastStatusCode lastError
            attemptLog { number statusCode error } } } }";

async fn deliveries(w: &World, token: Option<&str>, endpoint: &str) -> Vec<Value> {
    let body = w
        .app
        .gql(token, DELIVERIES, json!({ "endpoint": endpoint }))
        .await;
    body["data"]["webhookDeliveries"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

/// Waits until the endpoint's deliveries all left PENDING.
async fn settled(w: &World, token: Option<&str>, endpoint: &str) -> Vec<Value> {
    for _ in 0..400 {
        let found = deliveries(w, token, endpoint).await;
        if !found.is_empty() && found.iter().all(|d| d["status"] != "PENDING") {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still pending: {:?}", deliveries(w, token, endpoint).await);
}

fn to_statuses(got: &[Got]) -> Vec<String> {
    got.iter()
        .map(|g| {
            g.json()["data"]["toStatus"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn both_parties_receive_each_order_change_signed_and_in_order() {
    let w = world(Duration::from_secs(30)).await;
    let (buyer_url, buyer_hook) = Receiver::start(&[]).await;
    let (producer_url, producer_hook) = Receiver::start(&[]).await;
    let (buyer_endpoint, buyer_secret) = endpoint(
        &w,
        w.buyer_admin.token(),
        &buyer_url,
        json!(["ORDER_CHANGED"]),
    )
    .await;
    let (_, producer_secret) = endpoint(
        &w,
        w.producer_admin.token(),
        &producer_url,
        json!(["ORDER_CHANGED", "UNSOLD_WARNING"]),
    )
    .await;

    let product = w.published_product("灵寿红薯", "8.50").await;
    let order = place(
        &w.app,
        w.buyer_admin.token(),
        &product,
        3,
        "webhook-order-1",
    )
    .await;
    step(&w.app, w.producer_clerk.token(), "confirmOrder", &order).await;
    step(&w.app, w.producer_clerk.token(), "shipOrder", &order).await;
    step(&w.app, w.buyer_admin.token(), "receiveOrder", &order).await;

    let expected = ["PLACED", "CONFIRMED", "SHIPPED", "RECEIVED"];
    let to_buyer = buyer_hook.wait_for(4).await;
    let to_producer = producer_hook.wait_for(4).await;
    assert_eq!(to_statuses(&to_buyer), expected);
    assert_eq!(to_statuses(&to_producer), expected);
    for (got, secret) in to_buyer
        .iter()
        .map(|g| (g, &buyer_secret))
        .chain(to_producer.iter().map(|g| (g, &producer_secret)))
    {
        assert!(verify(secret, got), "bad signature: {got:?}");
        assert!(!verify("whsec_wrong", got));
        let body = got.json();
        assert_eq!(body["id"], got.event_id.as_str());
        assert_eq!(body["kind"], "ORDER_CHANGED");
        assert_eq!(got.kind, "ORDER_CHANGED");
        assert_eq!(body["data"]["orderId"], order.as_str());
        assert_eq!(body["data"]["totalAmount"], "25.50");
        assert_eq!(got.attempt, "1");
    }
    // One event, one ID, whichever party hears it; the other party's secret does not verify.
    for (a, b) in to_buyer.iter().zip(&to_producer) {
        assert_eq!(a.event_id, b.event_id);
        assert_ne!(a.delivery_id, b.delivery_id);
    }
    assert!(!verify(&producer_secret, &to_buyer[0]));

    // The producer hears of its unsold produce too; the buyer did not subscribe.
    let until = (chrono::Utc::now().date_naive() + chrono::Days::new(20)).to_string();
    let reported = w
        .app
        .gql(
            w.producer_clerk.token(),
            "mutation($input: ReportUnsoldInput!) { reportUnsold(input: $input) { alert { id } errors { code } } }",
            json!({ "input": { "productId": product, "quantity": 800, "until": until } }),
        )
        .await;
    let alert = reported["data"]["reportUnsold"]["alert"]["id"].clone();
    let to_producer = producer_hook.wait_for(5).await;
    assert_eq!(to_producer[4].kind, "UNSOLD_WARNING");
    assert_eq!(to_producer[4].json()["data"]["alertId"], alert);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(buyer_hook.got().len(), 4);

    // The log: four deliveries, each delivered on its first attempt with a 200.
    let log = settled(&w, w.buyer_admin.token(), &buyer_endpoint).await;
    assert_eq!(log.len(), 4, "{log:?}");
    for delivery in &log {
        assert_eq!(delivery["status"], "DELIVERED");
        assert_eq!(
            delivery["attemptLog"],
            json!([{ "number": 1, "statusCode": 200, "error": null }])
        );
    }
    // Another organisation's admin sees none of it; a plain member may not look.
    let outsider = deliveries(&w, w.producer_admin.token(), &buyer_endpoint).await;
    assert!(outsider.is_empty(), "{outsider:?}");
    let member = w
        .app
        .gql(
            w.producer_clerk.token(),
            "{ webhookEndpoints { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&member), "FORBIDDEN", "{member}");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_and_holds_later_events_back() {
    let w = world(Duration::from_secs(30)).await;
    let quick = Duration::ZERO;
    let (url, hook) = Receiver::start(&[(500, quick), (503, quick)]).await;
    let (endpoint_id, _) =
        endpoint(&w, w.buyer_admin.token(), &url, json!(["ORDER_CHANGED"])).await;
    let product = w.published_product("灵寿小米", "12.00").await;
    let order = place(
        &w.app,
        w.buyer_admin.token(),
        &product,
        1,
        "webhook-order-2",
    )
    .await;
    step(&w.app, w.producer_clerk.token(), "confirmOrder", &order).await;

    let got = hook.wait_for(4).await;
    // The confirmation waited for the placing to get through: order kept per order.
    assert_eq!(
        to_statuses(&got),
        ["PLACED", "PLACED", "PLACED", "CONFIRMED"]
    );
    assert_eq!(
        got.iter().map(|g| g.attempt.as_str()).collect::<Vec<_>>(),
        ["1", "2", "3", "1"]
    );
    assert_eq!(got[0].event_id, got[2].event_id);
    let log = settled(&w, w.buyer_admin.token(), &endpoint_id).await;
    let placed = log
        .iter()
        .find(|d| d["attempts"] == 3)
        .unwrap_or_else(|| panic!("{log:?}"));
    assert_eq!(placed["status"], "DELIVERED");
    let codes: Vec<Value> = placed["attemptLog"]
        .as_array()
        .expect("log")
        .iter()
        .map(|a| a["statusCode"].clone())
        .collect();
    assert_eq!(codes, [json!(500), json!(503), json!(200)]);
    assert_eq!(placed["attemptLog"][0]["error"], "HTTP 500");
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_gets_the_same_event_again() {
    let w = world(Duration::from_secs(30)).await;
    // Takes the first delivery in but answers after the 1 s the dispatcher waits.
    let (url, hook) = Receiver::start(&[(200, Duration::from_millis(1500))]).await;
    let (endpoint_id, _) =
        endpoint(&w, w.buyer_admin.token(), &url, json!(["ORDER_CHANGED"])).await;
    let product = w.published_product("阜平大枣", "30.00").await;
    place(
        &w.app,
        w.buyer_admin.token(),
        &product,
        1,
        "webhook-order-3",
    )
    .await;

    let got = hook.wait_for(2).await;
    // A duplicate, as any receiver must expect: the same event and delivery IDs again.
    assert_eq!(got[0].event_id, got[1].event_id);
    assert_eq!(got[0].delivery_id, got[1].delivery_id);
    assert_eq!(got[0].body, got[1].body);
    assert_eq!(
        (got[0].attempt.as_str(), got[1].attempt.as_str()),
        ("1", "2")
    );
    let log = settled(&w, w.buyer_admin.token(), &endpoint_id).await;
    assert_eq!(log[0]["status"], "DELIVERED");
    let first = &log[0]["attemptLog"][0];
    assert_eq!(first["statusCode"], Value::Null);
    assert!(
        first["error"]
            .as_str()
            .unwrap_or_default()
            .contains("no answer"),
        "{first}"
    );
}

#[tokio::test]
async fn a_dead_receiver_disables_its_endpoint_and_warns_the_owner_then_redelivery_works() {
    let w = world(Duration::from_millis(1500)).await;
    // An address where nothing listens.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        drop(listener);
        format!("http://{address}/hook")
    };
    let (endpoint_id, _) =
        endpoint(&w, w.buyer_admin.token(), &dead, json!(["ORDER_CHANGED"])).await;
    let mut owner = WsClient::signed_in(&w.app.base, w.buyer_admin.token().expect("token")).await;
    owner
        .subscribe(
            "off",
            "subscription { webhookEndpointDisabled { id status disabledReason } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let product = w.published_product("曲阳核桃", "40.00").await;
    place(
        &w.app,
        w.buyer_admin.token(),
        &product,
        1,
        "webhook-order-4",
    )
    .await;

    let warned = owner.next_data("off").await;
    let disabled = &warned["data"]["webhookEndpointDisabled"];
    assert_eq!(disabled["id"], endpoint_id.as_str());
    assert_eq!(disabled["status"], "DISABLED");
    // In Chinese: the socket asked for no language.
    assert!(
        disabled["disabledReason"]
            .as_str()
            .is_some_and(|r| r.contains("重试")),
        "{warned}"
    );
    let log = settled(&w, w.buyer_admin.token(), &endpoint_id).await;
    assert_eq!(log[0]["status"], "FAILED");
    assert!(
        log[0]["attempts"].as_i64().unwrap_or_default() >= 2,
        "{log:?}"
    );

    // Events while it is disabled are not recorded for it; a redelivery waits for enabling.
    let redeliver = "mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) {
        delivery { status eventId } errors { code } } }";
    let refused = w
        .app
        .gql(
            w.buyer_admin.token(),
            redeliver,
            json!({ "id": log[0]["id"] }),
        )
        .await;
    assert_eq!(
        refused["data"]["redeliverWebhook"]["errors"][0]["code"],
        "INVALID_STATE"
    );

    // The owner fixes the receiver, enables the endpoint and asks for what failed again.
    let (url, hook) = Receiver::start(&[]).await;
    let updated = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) {
                endpoint { status url disabledReason } errors { code } } }",
            json!({ "input": { "id": endpoint_id, "url": url, "enabled": true } }),
        )
        .await;
    let endpoint_now = &updated["data"]["updateWebhookEndpoint"]["endpoint"];
    assert_eq!(endpoint_now["status"], "ACTIVE", "{updated}");
    assert_eq!(endpoint_now["disabledReason"], Value::Null);
    let again = w
        .app
        .gql(
            w.buyer_admin.token(),
            redeliver,
            json!({ "id": log[0]["id"] }),
        )
        .await;
    assert_eq!(
        again["data"]["redeliverWebhook"]["delivery"]["status"], "PENDING",
        "{again}"
    );
    let got = hook.wait_for(1).await;
    assert_eq!(got[0].event_id, log[0]["eventId"].as_str().expect("event"));
    assert_eq!(to_statuses(&got), ["PLACED"]);
    let log = settled(&w, w.buyer_admin.token(), &endpoint_id).await;
    assert_eq!(log[0]["status"], "DELIVERED");

    // A ping reaches it too, whatever it subscribed to.
    let ping = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($id: ID!) { pingWebhookEndpoint(input: {id: $id}) { delivery { kind } errors { code } } }",
            json!({ "id": endpoint_id }),
        )
        .await;
    assert_eq!(
        ping["data"]["pingWebhookEndpoint"]["delivery"]["kind"],
        "PING"
    );
    assert_eq!(hook.wait_for(2).await[1].kind, "PING");
}

#[tokio::test]
async fn deliveries_are_written_with_their_event_and_survive_until_sent() {
    // No dispatcher on this instance: deliveries wait in the outbox, as after a crash.
    let w = World::build_with(|s| s.webhooks.poll_interval = Duration::ZERO).await;
    let (url, hook) = Receiver::start(&[]).await;
    let (endpoint_id, _) =
        endpoint(&w, w.buyer_admin.token(), &url, json!(["ORDER_CHANGED"])).await;
    let product = w.published_product("行唐大枣", "20.00").await;
    let order = place(
        &w.app,
        w.buyer_admin.token(),
        &product,
        1,
        "webhook-order-5",
    )
    .await;
    // A step refused (the buyer may not confirm) writes no delivery.
    let refused = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: OrderIdInput!) { confirmOrder(input: $input) { errors { code } } }",
            json!({ "input": { "orderId": order } }),
        )
        .await;
    assert!(refused.to_string().contains("FORBIDDEN"), "{refused}");
    let waiting = deliveries(&w, w.buyer_admin.token(), &endpoint_id).await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0]["status"], "PENDING");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(hook.got().is_empty());

    // Another dispatcher (another instance, or this one restarted) sends what waited.
    let settings = fupin_market::config::WebhookSettings::default();
    let client = fupin_market::webhooks::dispatch::shared_client(&settings).expect("client");
    let sent = fupin_market::webhooks::dispatch::run_once(
        &w.app.state.services,
        &client,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| e.message())
    .expect("dispatch");
    assert_eq!(sent, 1);
    assert_eq!(to_statuses(&hook.wait_for(1).await), ["PLACED"]);
    assert_eq!(
        deliveries(&w, w.buyer_admin.token(), &endpoint_id).await[0]["status"],
        "DELIVERED"
    );

    // The log keeps delivered and failed deliveries for WEBHOOK_KEEP_DAYS (30), pending ones
    // until they are sent: age both past it and prune.
    step(&w.app, w.producer_clerk.token(), "confirmOrder", &order).await;
    let long_ago = chrono::Utc::now() - chrono::Duration::days(31);
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(long_ago),
        )
        .exec(w.app.db())
        .await
        .expect("aged");
    let services = &w.app.state.services;
    let pruned = fupin_market::webhooks::dispatch::prune(services, chrono::Utc::now())
        .await
        .map_err(|e| e.message())
        .expect("prune");
    assert_eq!(pruned, 1);
    let left = deliveries(&w, w.buyer_admin.token(), &endpoint_id).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["status"], "PENDING");
    let attempts = webhook_attempt::Entity::find()
        .count(w.app.db())
        .await
        .expect("count");
    assert_eq!(attempts, 0, "the pruned delivery's attempts go with it");
}

#[tokio::test]
async fn organisations_in_a_region_hear_that_its_period_closed() {
    let w = world(Duration::from_secs(30)).await;
    // The producer lies in the county; the buyer, a city canteen, above it.
    let (url, hook) = Receiver::start(&[]).await;
    endpoint(&w, w.producer_admin.token(), &url, json!(["PERIOD_CLOSED"])).await;
    let (elsewhere_url, elsewhere) = Receiver::start(&[]).await;
    endpoint(
        &w,
        w.buyer_admin.token(),
        &elsewhere_url,
        json!(["PERIOD_CLOSED"]),
    )
    .await;
    let last_month =
        chrono::Utc::now().date_naive().with_day(1).expect("first") - chrono::Days::new(1);
    let label = last_month.format("%Y-%m").to_string();
    let closed = w
        .app
        .gql(
            w.officer.token(),
            "mutation($input: ClosePeriodInput!) { closePeriod(input: $input) { closedPeriod { id } errors { code message } } }",
            json!({ "input": { "regionCode": crate::world::COUNTY, "period": label } }),
        )
        .await;
    let id = closed["data"]["closePeriod"]["closedPeriod"]["id"].clone();
    assert!(id.is_string(), "{closed}");
    let got = hook.wait_for(1).await;
    assert_eq!(got[0].kind, "PERIOD_CLOSED");
    let data = &got[0].json()["data"];
    assert_eq!(data["closedPeriodId"], id);
    assert_eq!(data["regionCode"], crate::world::COUNTY);
    assert_eq!(data["period"], label.as_str());
    // The city's canteen is not in the county.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(elsewhere.got().is_empty());
}

#[tokio::test]
async fn bad_endpoints_are_refused_by_field_and_nothing_is_written() {
    let w = World::build_with(|s| s.webhooks.production = true).await;
    let long = format!("https://hooks.example.com/{}", "a".repeat(2048));
    for (url, kinds) in [
        ("ftp://hooks.example.com/x", json!(["ORDER_CHANGED"])),
        ("javascript:alert(1)", json!(["ORDER_CHANGED"])),
        ("http://hooks.example.com/x", json!(["ORDER_CHANGED"])),
        ("https://127.0.0.1/x", json!(["ORDER_CHANGED"])),
        ("https://10.0.0.8/x", json!(["ORDER_CHANGED"])),
        ("https://169.254.169.254/latest", json!(["ORDER_CHANGED"])),
        ("https://[::1]/x", json!(["ORDER_CHANGED"])),
        ("https://erp.local/x", json!(["ORDER_CHANGED"])),
        (
            "https://user:pw@hooks.example.com/x",
            json!(["ORDER_CHANGED"]),
        ),
        (long.as_str(), json!(["ORDER_CHANGED"])),
    ] {
        let body = w
            .app
            .gql(
                w.buyer_admin.token(),
                CREATE,
                json!({ "input": { "url": url, "eventKinds": kinds } }),
            )
            .await;
        let errors = &body["data"]["createWebhookEndpoint"]["errors"];
        assert_eq!(errors[0]["field"], json!(["input", "url"]), "{url}: {body}");
        assert_eq!(errors[0]["code"], "INVALID");
    }
    for kinds in [
        json!([]),
        json!(["PING"]),
        json!(["RED_WARNING", "RED_WARNING"]),
    ] {
        let body = w
            .app
            .gql(
                w.buyer_admin.token(),
                CREATE,
                json!({ "input": { "url": "https://hooks.example.com/x", "eventKinds": kinds } }),
            )
            .await;
        let errors = &body["data"]["createWebhookEndpoint"]["errors"];
        assert_eq!(errors[0]["field"], json!(["input", "eventKinds"]), "{body}");
    }
    let listed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "{ webhookEndpoints { id } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["data"]["webhookEndpoints"], json!([]), "{listed}");

    // A public HTTPS endpoint is taken; a plain member, an outsider and anyone else's admin
    // cannot touch it.
    let (id, secret) = endpoint(
        &w,
        w.buyer_admin.token(),
        "https://hooks.example.com/fupin",
        json!(["ORDER_CHANGED", "RED_WARNING", "PERIOD_CLOSED"]),
    )
    .await;
    assert!(secret.starts_with("whsec_") && secret.len() > 40);
    let rotate =
        "mutation($id: ID!) { rotateWebhookSecret(input: {id: $id}) { secret errors { code } } }";
    let by_other = w
        .app
        .gql(w.producer_admin.token(), rotate, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&by_other), "NOT_FOUND", "{by_other}");
    let by_outsider = w
        .app
        .gql(w.outsider.token(), rotate, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&by_outsider), "FORBIDDEN", "{by_outsider}");
    let rotated = w
        .app
        .gql(w.buyer_admin.token(), rotate, json!({ "id": id }))
        .await;
    let new_secret = rotated["data"]["rotateWebhookSecret"]["secret"]
        .as_str()
        .expect("secret");
    assert_ne!(new_secret, secret);
    let deleted = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { deletedId errors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        deleted["data"]["deleteWebhookEndpoint"]["deletedId"],
        id.as_str()
    );
    let listed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "{ webhookEndpoints { id } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["data"]["webhookEndpoints"], json!([]));
    // In Chinese by default, like every message.
    let zh = reqwest::Client::new()
        .post(w.app.url("/graphql"))
        .bearer_auth(w.buyer_admin.token().expect("token"))
        .json(&json!({ "query": CREATE, "variables": { "input": { "url": "ftp://x", "eventKinds": ["ORDER_CHANGED"] } } }))
        .send()
        .await
        .expect("request")
        .json::<Value>()
        .await
        .expect("body");
    let message = zh["data"]["createWebhookEndpoint"]["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("回调地址"), "{message}");
}
