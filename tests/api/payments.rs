//! Issue 17, item 3: payments. A pay-first order ships only once paid; a received
//! pay-after-delivery order is due 30 days later (one 15-day extension); the buyer records
//! payments (partial ones too), the producer confirms or rejects them; `amountDue` is accepted
//! less refunded less paid, to the fen; overdue orders are listed for the parties and the
//! officers over either side; every refusal writes nothing.

use chrono::{Days, Utc};
use serde_json::{Value, json};

use crate::{
    harness::{Session, error_code},
    world::World,
};

const ACCOUNT: &str = "query($id: ID!) { order(id: $id) { status
    account { ordered accepted refunded paid awaitingConfirmation amountDue dueOn dueExtended }
    payments { amount status reference rejectReason } } }";
const RECORD: &str = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
    payment { id status amount } errors { field code message } } }";
const CONFIRM: &str = "mutation($id: ID!) { confirmPayment(input: {paymentId: $id}) {
    payment { status } errors { code } } }";
const REJECT: &str =
    "mutation($id: ID!, $r: String!) { rejectPayment(input: {paymentId: $id, reason: $r}) {
    payment { status rejectReason } errors { field code } } }";
const EXTEND: &str = "mutation($id: ID!) { requestPaymentExtension(input: {orderId: $id}) {
    order { account { dueOn dueExtended } } errors { code } } }";
const OVERDUE: &str = "{ overduePayments(first: 20) { nodes { id account { amountDue } } } }";

async fn place(w: &World, product: &str, quantity: i64, terms: &str, key: &str) -> String {
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id } errors { code } } }",
            json!({ "input": { "lines": [{ "productId": product, "quantity": quantity }],
                               "paymentTerms": terms, "idempotencyKey": key } }),
        )
        .await;
    placed["data"]["placeOrder"]["orders"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{placed}"))
        .to_owned()
}

async fn account(w: &World, order: &str) -> Value {
    let body = w
        .app
        .gql(w.buyer_admin.token(), ACCOUNT, json!({ "id": order }))
        .await;
    assert!(body["data"]["order"].is_object(), "{body}");
    body["data"]["order"].clone()
}

async fn record(
    w: &World,
    who: &Session,
    order: &str,
    amount: &str,
    reference: &str,
    on: &str,
) -> Value {
    let body = w
        .app
        .gql(
            who.token(),
            RECORD,
            json!({ "input": { "orderId": order, "amount": amount, "method": "BANK_TRANSFER",
                               "reference": reference, "paidOn": on } }),
        )
        .await;
    body["data"]["recordPayment"].clone()
}

fn codes(payload: &Value) -> Vec<(String, String)> {
    payload["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"]
                            .as_array()
                            .map(|f| {
                                f.iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(".")
                            })
                            .unwrap_or_default(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn today() -> String {
    Utc::now().date_naive().to_string()
}

async fn step(w: &World, who: &Session, mutation: &str, order: &str, input: Value) -> Value {
    let input_type = if mutation == "receiveOrder" {
        "ReceiveOrderInput"
    } else if mutation == "shipOrder" {
        "ShipOrderInput"
    } else {
        "OrderIdInput"
    };
    let body = w
        .app
        .gql(
            who.token(),
            &format!("mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ order {{ status }} errors {{ code message }} }} }}"),
            json!({ "input": input }),
        )
        .await;
    let _ = order;
    body["data"][mutation].clone()
}

#[tokio::test]
async fn a_partly_accepted_order_is_paid_in_parts_and_settles_once_nothing_is_due() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let order = place(&w, &product, 2, "PAY_AFTER_DELIVERY", "pay-after").await;
    for mutation in ["confirmOrder", "shipOrder"] {
        crate::live::step(&w.app, w.producer_clerk.token(), mutation, &order).await;
    }
    let lines = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { lines { nodes { id } } } }",
            json!({ "id": order }),
        )
        .await;
    let line = lines["data"]["order"]["lines"]["nodes"][0]["id"].clone();
    let received = step(
        &w,
        &w.buyer_admin,
        "receiveOrder",
        &order,
        json!({ "orderId": order, "accepted": [{ "lineId": line, "acceptedQuantity": 1 }] }),
    )
    .await;
    assert_eq!(received["errors"], json!([]), "{received}");

    let due_on = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(30))
        .map(|d| d.to_string());
    let found = account(&w, &order).await;
    assert_eq!(
        found["account"],
        json!({ "ordered": "20.00", "accepted": "10.00", "refunded": "0.00", "paid": "0.00",
                "awaitingConfirmation": "0.00", "amountDue": "10.00", "dueOn": due_on,
                "dueExtended": false })
    );

    let first = record(&w, &w.buyer_admin, &order, "4.00", "BOC-0001", &today()).await;
    assert_eq!(first["errors"], json!([]), "{first}");
    let first_id = first["payment"]["id"].clone();
    // Refusals: more than is open (awaiting confirmation counts), a reference claimed already,
    // a date in the future, nothing; each writes nothing.
    let over = record(&w, &w.buyer_admin, &order, "6.01", "BOC-0002", &today()).await;
    assert_eq!(codes(&over), [("input.amount".into(), "OVERPAID".into())]);
    let twice = record(&w, &w.buyer_admin, &order, "1.00", "BOC-0001", &today()).await;
    assert_eq!(
        codes(&twice),
        [("input.reference".into(), "DUPLICATE".into())]
    );
    let tomorrow = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(1))
        .map(|d| d.to_string())
        .unwrap_or_default();
    let future = record(&w, &w.buyer_admin, &order, "1.00", "BOC-0003", &tomorrow).await;
    assert_eq!(codes(&future), [("input.paidOn".into(), "INVALID".into())]);
    let zero = record(&w, &w.buyer_admin, &order, "0.00", "BOC-0004", &today()).await;
    assert_eq!(codes(&zero), [("input.amount".into(), "INVALID".into())]);
    let found = account(&w, &order).await;
    assert_eq!(found["payments"].as_array().map(Vec::len), Some(1));
    assert_eq!(found["account"]["awaitingConfirmation"], "4.00");

    // The producer confirms; only then is less due. Settling with money due is refused.
    let confirmed = w
        .app
        .gql(w.producer_clerk.token(), CONFIRM, json!({ "id": first_id }))
        .await;
    assert_eq!(
        confirmed["data"]["confirmPayment"]["payment"]["status"],
        "CONFIRMED"
    );
    let again = w
        .app
        .gql(w.producer_clerk.token(), CONFIRM, json!({ "id": first_id }))
        .await;
    assert_eq!(
        codes(&again["data"]["confirmPayment"]),
        [(String::new(), "INVALID_STATE".into())]
    );
    assert_eq!(account(&w, &order).await["account"]["amountDue"], "6.00");
    let unpaid = step(
        &w,
        &w.buyer_admin,
        "settleOrder",
        &order,
        json!({ "orderId": order }),
    )
    .await;
    assert_eq!(codes(&unpaid), [(String::new(), "UNPAID".into())]);

    // A rejected payment frees its reference for the corrected one.
    let second = record(&w, &w.buyer_admin, &order, "6.00", "BOC-0002", &today()).await;
    let second_id = second["payment"]["id"].clone();
    let no_reason = w
        .app
        .gql(
            w.producer_clerk.token(),
            REJECT,
            json!({ "id": second_id, "r": " " }),
        )
        .await;
    assert_eq!(
        codes(&no_reason["data"]["rejectPayment"]),
        [("input.reason".into(), "INVALID".into())]
    );
    let rejected = w
        .app
        .gql(
            w.producer_clerk.token(),
            REJECT,
            json!({ "id": second_id, "r": "未到账" }),
        )
        .await;
    assert_eq!(
        rejected["data"]["rejectPayment"]["payment"],
        json!({ "status": "REJECTED", "rejectReason": "未到账" })
    );
    let corrected = record(&w, &w.buyer_admin, &order, "6.00", "BOC-0002", &today()).await;
    assert_eq!(corrected["errors"], json!([]), "{corrected}");
    w.app
        .gql(
            w.producer_clerk.token(),
            CONFIRM,
            json!({ "id": corrected["payment"]["id"] }),
        )
        .await;
    let found = account(&w, &order).await;
    assert_eq!(found["account"]["paid"], "10.00");
    assert_eq!(found["account"]["amountDue"], "0.00");
    let settled = step(
        &w,
        &w.buyer_admin,
        "settleOrder",
        &order,
        json!({ "orderId": order }),
    )
    .await;
    assert_eq!(settled["order"]["status"], "SETTLED", "{settled}");
    // The history names the amounts the settlement closed on.
    let history = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { events { toStatus note } } }",
            json!({ "id": order }),
        )
        .await;
    let last = history["data"]["order"]["events"]
        .as_array()
        .and_then(|e| e.last().cloned())
        .unwrap_or_default();
    let expected = format!(
        "settled: accepted {}, refunded {}, paid 10.00",
        found["account"]["accepted"].as_str().unwrap_or_default(),
        found["account"]["refunded"].as_str().unwrap_or_default()
    );
    assert_eq!(last, json!({ "toStatus": "SETTLED", "note": expected }));
}

#[tokio::test]
async fn a_pay_first_order_ships_only_once_paid_and_strangers_cannot_pay_it() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let order = place(&w, &product, 3, "PAY_FIRST", "pay-first").await;
    crate::live::step(&w.app, w.producer_clerk.token(), "confirmOrder", &order).await;
    let early = step(
        &w,
        &w.producer_clerk,
        "shipOrder",
        &order,
        json!({ "orderId": order }),
    )
    .await;
    assert_eq!(codes(&early), [(String::new(), "UNPAID".into())]);
    assert_eq!(account(&w, &order).await["status"], "CONFIRMED");

    // Another buying unit's payment on this order: it answers like an unknown order.
    let (stranger, _) = crate::consent::unit(
        &w,
        "other.canteen",
        "石家庄市第二机关食堂",
        "CANTEEN",
        crate::world::CITY,
        None,
    )
    .await;
    let foreign = w
        .app
        .gql(
            stranger.token(),
            RECORD,
            json!({ "input": { "orderId": order, "amount": "30.00", "method": "BANK_TRANSFER",
                               "reference": "ICBC-9", "paidOn": today() } }),
        )
        .await;
    assert_eq!(error_code(&foreign), "NOT_FOUND", "{foreign}");

    let paid = record(&w, &w.buyer_admin, &order, "30.00", "ICBC-1", &today()).await;
    assert_eq!(paid["errors"], json!([]), "{paid}");
    // Recorded is not paid: the producer has not confirmed the money arrived.
    let still = step(
        &w,
        &w.producer_clerk,
        "shipOrder",
        &order,
        json!({ "orderId": order }),
    )
    .await;
    assert_eq!(codes(&still), [(String::new(), "UNPAID".into())]);
    w.app
        .gql(
            w.producer_clerk.token(),
            CONFIRM,
            json!({ "id": paid["payment"]["id"] }),
        )
        .await;
    let shipped = step(
        &w,
        &w.producer_clerk,
        "shipOrder",
        &order,
        json!({ "orderId": order }),
    )
    .await;
    assert_eq!(shipped["order"]["status"], "SHIPPED", "{shipped}");
    // A pay-first order has no due date to extend.
    let extend = w
        .app
        .gql(w.buyer_admin.token(), EXTEND, json!({ "id": order }))
        .await;
    assert_eq!(
        codes(&extend["data"]["requestPaymentExtension"]),
        [(String::new(), "INVALID_STATE".into())]
    );
}

#[tokio::test]
async fn overdue_orders_are_listed_for_their_parties_and_officers_and_extended_once() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let order = place(&w, &product, 1, "PAY_AFTER_DELIVERY", "overdue-order").await;
    for (who, mutation) in [
        (&w.producer_clerk, "confirmOrder"),
        (&w.producer_clerk, "shipOrder"),
        (&w.buyer_admin, "receiveOrder"),
    ] {
        crate::live::step(&w.app, who.token(), mutation, &order).await;
    }
    let extended = w
        .app
        .gql(w.buyer_admin.token(), EXTEND, json!({ "id": order }))
        .await;
    let due_on = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(45))
        .map(|d| d.to_string());
    assert_eq!(
        extended["data"]["requestPaymentExtension"]["order"]["account"],
        json!({ "dueOn": due_on, "dueExtended": true })
    );
    let twice = w
        .app
        .gql(w.buyer_admin.token(), EXTEND, json!({ "id": order }))
        .await;
    assert_eq!(
        codes(&twice["data"]["requestPaymentExtension"]),
        [(String::new(), "INVALID_STATE".into())]
    );
    assert_eq!(
        account(&w, &order).await["account"]["dueOn"],
        json!(due_on),
        "a refused extension changes nothing"
    );

    // Time passes: the due date is behind us (set in the database; the clock is not ours).
    set_due_on(&w, &order, "2026-01-31").await;
    let listed = |body: Value| -> Vec<(String, String)> {
        body["data"]["overduePayments"]["nodes"]
            .as_array()
            .map(|nodes| {
                nodes
                    .iter()
                    .map(|n| {
                        (
                            n["id"].as_str().unwrap_or_default().to_owned(),
                            n["account"]["amountDue"]
                                .as_str()
                                .unwrap_or_default()
                                .to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let expected = vec![(order.clone(), "10.00".to_owned())];
    for who in [&w.producer_admin, &w.buyer_admin, &w.officer] {
        let body = w.app.gql(who.token(), OVERDUE, json!({})).await;
        assert_eq!(listed(body), expected);
    }
    for who in [&w.other_officer, &w.outsider] {
        let body = w.app.gql(who.token(), OVERDUE, json!({})).await;
        assert_eq!(listed(body), Vec::new());
    }
    // Paid in full, it is no longer overdue.
    let paid = record(&w, &w.buyer_admin, &order, "10.00", "CCB-1", &today()).await;
    w.app
        .gql(
            w.producer_clerk.token(),
            CONFIRM,
            json!({ "id": paid["payment"]["id"] }),
        )
        .await;
    let body = w.app.gql(w.officer.token(), OVERDUE, json!({})).await;
    assert_eq!(listed(body), Vec::new());
}

/// Moves an order's due date (the clock is not ours to move).
async fn set_due_on(w: &World, order: &str, day: &str) {
    use sea_orm::{ConnectionTrait, Statement};
    let id = fupin_market::ids::decode(order)
        .map(|(_, u)| u)
        .unwrap_or_default();
    let backend = w.app.db().get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE orders SET due_on = CAST($1 AS DATE) WHERE id = $2",
        _ => "UPDATE orders SET due_on = ? WHERE id = ?",
    };
    let changed = w
        .app
        .db()
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [day.into(), id.into()],
        ))
        .await
        .expect("due date");
    assert_eq!(changed.rows_affected(), 1);
}

#[tokio::test]
async fn an_overdue_payment_is_warned_once_per_due_date_to_those_who_follow_it_up() {
    use std::time::Duration;

    use fupin_market::procurement::overdue;

    use crate::ws::WsClient;

    const LIVE: &str = "subscription { paymentOverdue { order { id } dueOn amountDue } }";
    const QUIET: Duration = Duration::from_millis(700);
    // No background check: the test runs each period itself, at times of its own.
    let w = World::build_with(|s| s.overdue_check_interval = Duration::ZERO).await;
    let services = &w.app.state.services;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let order = place(&w, &product, 2, "PAY_AFTER_DELIVERY", "warned-order").await;
    for (who, mutation) in [
        (&w.producer_clerk, "confirmOrder"),
        (&w.producer_clerk, "shipOrder"),
        (&w.buyer_admin, "receiveOrder"),
    ] {
        crate::live::step(&w.app, who.token(), mutation, &order).await;
    }
    let mut following = Vec::new();
    for who in [&w.buyer_admin, &w.producer_admin, &w.officer] {
        let mut socket = WsClient::signed_in(&w.app.base, &who.access_token).await;
        socket.subscribe("due", LIVE, json!({})).await;
        following.push(socket);
    }
    let mut others = Vec::new();
    for who in [&w.other_officer, &w.outsider] {
        let mut socket = WsClient::signed_in(&w.app.base, &who.access_token).await;
        socket.subscribe("due", LIVE, json!({})).await;
        others.push(socket);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Utc::now() + chrono::Duration::days(400);
    let at = |s: i64| start + chrono::Duration::seconds(s);

    // Not yet due: nothing to warn.
    let early = overdue::run(services, Utc::now()).await.expect("check");
    assert_eq!(early.unwrap_or_default(), Vec::<uuid::Uuid>::new());

    set_due_on(&w, &order, "2026-01-31").await;
    let id = fupin_market::ids::decode(&order).map(|(_, u)| u);
    let first = overdue::run(services, at(0)).await.expect("check");
    assert_eq!(first.map(|v| v.into_iter().next()), Some(id));
    assert_eq!(
        overdue::run(services, at(0)).await.expect("check"),
        None,
        "once per period"
    );
    for socket in &mut following {
        let data = socket.next_data("due").await;
        assert_eq!(
            data["data"]["paymentOverdue"],
            json!({ "order": { "id": order }, "dueOn": "2026-01-31", "amountDue": "20.00" })
        );
    }
    for socket in &mut others {
        socket.expect_silence(QUIET).await;
    }

    // A later period warns nothing new for the same due date; a new due date warns again.
    let later = overdue::run(services, at(1)).await.expect("check");
    assert_eq!(later, Some(Vec::new()));
    set_due_on(&w, &order, "2026-02-15").await;
    let again = overdue::run(services, at(2)).await.expect("check");
    assert_eq!(again.map(|v| v.len()), Some(1));
    for socket in &mut following {
        let data = socket.next_data("due").await;
        assert_eq!(data["data"]["paymentOverdue"]["dueOn"], "2026-02-15");
    }

    // Paid in full, there is nothing to warn about.
    let paid = record(&w, &w.buyer_admin, &order, "20.00", "ICBC-9", &today()).await;
    w.app
        .gql(
            w.producer_clerk.token(),
            CONFIRM,
            json!({ "id": paid["payment"]["id"] }),
        )
        .await;
    set_due_on(&w, &order, "2026-03-01").await;
    let settled = overdue::run(services, at(3)).await.expect("check");
    assert_eq!(settled, Some(Vec::new()));
    for socket in &mut following {
        socket.expect_silence(QUIET).await;
    }
}
