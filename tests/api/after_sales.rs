//! Issue 17, items 4 and 5: after-sales and invoices. The buyer asks for accepted goods back
//! (lines, quantities, reason) within the window; the producer accepts or rejects with a
//! reason; a rejection is escalated once to the county officer, who decides; the outcome is the
//! ledger's negative entry; returned goods go back into stock once the producer confirms they
//! arrived. Invoices stay within what was accepted less refunded. Every refusal writes nothing.

use serde_json::{Value, json};

use crate::{harness::Session, world::World};

const REQUEST: &str = "mutation($input: RequestReturnInput!) { requestReturn(input: $input) {
    request { id status kind lines { quantity } } errors { field code message } } }";
const ACCEPT: &str = "mutation($id: ID!) { acceptReturn(input: {requestId: $id}) {
    request { status } errors { field code } } }";
const REJECT: &str =
    "mutation($id: ID!, $r: String!) { rejectReturn(input: {requestId: $id, reason: $r}) {
    request { status answerReason } errors { field code } } }";
const ESCALATE: &str =
    "mutation($id: ID!, $r: String!) { escalateReturn(input: {requestId: $id, reason: $r}) {
    request { status } errors { field code } } }";
const DECIDE: &str = "mutation($id: ID!, $f: Boolean!, $r: String!) { decideReturn(input: {requestId: $id, inFavourOfBuyer: $f, reason: $r}) {
    request { status decisionReason } errors { field code } } }";
const ARRIVED: &str = "mutation($id: ID!) { confirmReturnArrived(input: {requestId: $id}) {
    request { status goodsArrivedAt } errors { field code } } }";
const INVOICE: &str = "mutation($input: IssueInvoiceInput!) { issueInvoice(input: $input) {
    invoice { number kind amount } errors { field code message } } }";

/// A received order of 10 boxes at 10.00 of which 8 were accepted; its ID and its line's.
async fn received(w: &World, product: &str, key: &str) -> (String, String) {
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($p: ID!, $k: String!) { placeOrder(input: {lines: [{productId: $p, quantity: 10}], idempotencyKey: $k}) {
                orders { id lines { nodes { id } } } errors { code } } }",
            json!({ "p": product, "k": key }),
        )
        .await;
    let order = placed["data"]["placeOrder"]["orders"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{placed}"))
        .to_owned();
    let line = placed["data"]["placeOrder"]["orders"][0]["lines"]["nodes"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for mutation in ["confirmOrder", "shipOrder"] {
        crate::live::step(&w.app, w.producer_clerk.token(), mutation, &order).await;
    }
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: ReceiveOrderInput!) { receiveOrder(input: $input) { errors { code } } }",
            json!({ "input": { "orderId": order, "accepted": [{ "lineId": line, "acceptedQuantity": 8 }] } }),
        )
        .await;
    assert_eq!(body["data"]["receiveOrder"]["errors"], json!([]), "{body}");
    (order, line)
}

async fn ask(
    w: &World,
    who: &Session,
    order: &str,
    line: &str,
    kind: &str,
    quantity: i64,
) -> Value {
    let body = w
        .app
        .gql(
            who.token(),
            REQUEST,
            json!({ "input": { "orderId": order, "kind": kind, "reason": "到货部分腐烂",
                               "lines": [{ "lineId": line, "quantity": quantity }] } }),
        )
        .await;
    body["data"]["requestReturn"].clone()
}

async fn call(w: &World, who: &Session, query: &str, variables: Value) -> Value {
    let body = w.app.gql(who.token(), query, variables).await;
    body["data"]
        .as_object()
        .and_then(|d| d.values().next().cloned())
        .unwrap_or_else(|| panic!("{body}"))
}

fn codes(payload: &Value) -> Vec<(String, String)> {
    payload["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{payload}"))
        .iter()
        .map(|e| {
            let field = e["field"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .unwrap_or_default();
            (field, e["code"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn code(field: &str, code: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), code.to_owned())]
}

async fn account(w: &World, order: &str) -> Value {
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { account { accepted refunded invoiced amountDue }
               returnRequests { status } invoices { number } } }",
            json!({ "id": order }),
        )
        .await;
    body["data"]["order"].clone()
}

async fn stock(w: &World, product: &str) -> i64 {
    let body = w
        .app
        .gql(
            w.producer_clerk.token(),
            "query($id: ID!) { node(id: $id) { ... on Product { stock } } }",
            json!({ "id": product }),
        )
        .await;
    body["data"]["node"]["stock"].as_i64().unwrap_or(-1)
}

async fn ledger_total(w: &World, order: &str) -> i64 {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let id = fupin_market::ids::decode(order)
        .map(|(_, u)| u)
        .expect("an order ID");
    entity::ledger_entry::Entity::find()
        .filter(entity::ledger_entry::Column::OrderId.eq(id))
        .all(w.app.db())
        .await
        .expect("entries")
        .iter()
        .map(|e| e.amount_fen)
        .sum()
}

async fn requests(w: &World) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::return_request::Entity::find()
        .count(w.app.db())
        .await
        .expect("count")
}

#[tokio::test]
async fn a_rejected_return_escalated_and_upheld_is_refunded_and_restocked_once() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (order, line) = received(&w, &product, "after-sales-1").await;
    let stock_before = stock(&w, &product).await;

    // More than accepted, someone else's order, no reason: refused, nothing written.
    let over = ask(&w, &w.buyer_admin, &order, &line, "RETURN", 9).await;
    assert_eq!(codes(&over), code("input.lines.0.quantity", "INVALID"));
    let stranger = w
        .app
        .gql(
            w.outsider.token(),
            REQUEST,
            json!({ "input": {
        "orderId": order, "kind": "RETURN", "reason": "到货部分腐烂",
        "lines": [{ "lineId": line, "quantity": 1 }] } }),
        )
        .await;
    assert!(
        stranger["data"]["requestReturn"]["request"].is_null(),
        "{stranger}"
    );
    assert_eq!(requests(&w).await, 0);

    let asked = ask(&w, &w.buyer_admin, &order, &line, "RETURN", 3).await;
    assert_eq!(asked["errors"], json!([]), "{asked}");
    assert_eq!(asked["request"]["status"], "REQUESTED");
    let id = asked["request"]["id"].as_str().expect("id").to_owned();
    // The open request holds its 3: at most 5 more may be asked for.
    let held = ask(&w, &w.buyer_admin, &order, &line, "REFUND_ONLY", 6).await;
    assert_eq!(codes(&held), code("input.lines.0.quantity", "INVALID"));

    let no_reason = call(&w, &w.producer_clerk, REJECT, json!({ "id": id, "r": " " })).await;
    assert_eq!(codes(&no_reason), code("input.reason", "INVALID"));
    let rejected = call(
        &w,
        &w.producer_clerk,
        REJECT,
        json!({ "id": id, "r": "签收时未提出异议" }),
    )
    .await;
    assert_eq!(rejected["request"]["status"], "REJECTED", "{rejected}");
    let escalated = call(
        &w,
        &w.buyer_admin,
        ESCALATE,
        json!({ "id": id, "r": "有验货照片为证" }),
    )
    .await;
    assert_eq!(escalated["request"]["status"], "ESCALATED", "{escalated}");
    let twice = call(
        &w,
        &w.buyer_admin,
        ESCALATE,
        json!({ "id": id, "r": "再次申请" }),
    )
    .await;
    assert_eq!(codes(&twice), code("input.requestId", "INVALID_STATE"));

    // An officer of another county may not decide; the producer's county officer does.
    let elsewhere = w
        .app
        .gql(
            w.other_officer.token(),
            DECIDE,
            json!({ "id": id, "f": true, "r": "支持退货" }),
        )
        .await;
    assert!(
        elsewhere["data"]["decideReturn"]["request"].is_null(),
        "{elsewhere}"
    );
    assert_eq!(
        ledger_total(&w, &order).await,
        8_000,
        "nothing refunded yet"
    );
    let upheld = call(
        &w,
        &w.officer,
        DECIDE,
        json!({ "id": id, "f": true, "r": "照片显示腐烂, 支持退货" }),
    )
    .await;
    assert_eq!(upheld["request"]["status"], "UPHELD", "{upheld}");
    assert_eq!(
        ledger_total(&w, &order).await,
        5_000,
        "ledger = accepted - refunded"
    );
    let after = account(&w, &order).await;
    assert_eq!(after["account"]["accepted"], "80.00");
    assert_eq!(after["account"]["refunded"], "30.00");
    assert_eq!(after["account"]["amountDue"], "50.00");

    // The goods came back: into stock once.
    let arrived = call(&w, &w.producer_clerk, ARRIVED, json!({ "id": id })).await;
    assert!(
        arrived["request"]["goodsArrivedAt"].is_string(),
        "{arrived}"
    );
    assert_eq!(stock(&w, &product).await, stock_before + 3);
    let again = call(&w, &w.producer_clerk, ARRIVED, json!({ "id": id })).await;
    assert_eq!(codes(&again), code("input.requestId", "INVALID_STATE"));
    assert_eq!(stock(&w, &product).await, stock_before + 3);

    // Money only, accepted by the producer: refunded, and no goods to confirm.
    let money = ask(&w, &w.buyer_admin, &order, &line, "REFUND_ONLY", 2).await;
    let money_id = money["request"]["id"].as_str().expect("id").to_owned();
    let accepted = call(&w, &w.producer_clerk, ACCEPT, json!({ "id": money_id })).await;
    assert_eq!(accepted["request"]["status"], "ACCEPTED", "{accepted}");
    assert_eq!(ledger_total(&w, &order).await, 3_000);
    let nothing_back = call(&w, &w.producer_clerk, ARRIVED, json!({ "id": money_id })).await;
    assert_eq!(
        codes(&nothing_back),
        code("input.requestId", "INVALID_STATE")
    );
    let verified = w
        .app
        .gql(w.auditor.token(), "{ verifyLedger { intact } }", json!({}))
        .await;
    assert_eq!(verified["data"]["verifyLedger"]["intact"], true);
}

#[tokio::test]
async fn invoices_stay_within_what_was_accepted_and_a_number_is_used_once() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (order, _) = received(&w, &product, "after-sales-invoice").await;
    let today = chrono::Utc::now().date_naive().to_string();
    let issue = |number: &str, amount: &str| {
        json!({ "input": { "orderId": order, "number": number, "kind": "SPECIAL",
                           "amount": amount, "issuedOn": today } })
    };
    let over = call(&w, &w.producer_clerk, INVOICE, issue("No-0001", "80.01")).await;
    assert_eq!(codes(&over), code("input.amount", "INVALID"));
    let first = call(&w, &w.producer_clerk, INVOICE, issue("No-0001", "50.00")).await;
    assert_eq!(
        first["invoice"],
        json!({ "number": "No-0001", "kind": "SPECIAL", "amount": "50.00" })
    );
    let duplicate = call(&w, &w.producer_clerk, INVOICE, issue("No-0001", "10.00")).await;
    assert_eq!(codes(&duplicate), code("input.number", "DUPLICATE"));
    let rest = call(&w, &w.producer_clerk, INVOICE, issue("No-0002", "30.01")).await;
    assert_eq!(
        codes(&rest),
        code("input.amount", "INVALID"),
        "only 30.00 is left"
    );
    let by_buyer = w
        .app
        .gql(w.buyer_admin.token(), INVOICE, issue("No-0003", "1.00"))
        .await;
    assert!(
        by_buyer["data"]["issueInvoice"]["invoice"].is_null(),
        "{by_buyer}"
    );
    let seen = account(&w, &order).await;
    assert_eq!(seen["account"]["invoiced"], "50.00");
    assert_eq!(seen["invoices"], json!([{ "number": "No-0001" }]));
}

#[tokio::test]
async fn a_request_after_the_window_is_refused() {
    use sea_orm::{ConnectionTrait, Statement};
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (order, line) = received(&w, &product, "after-sales-late").await;
    let id = fupin_market::ids::decode(&order)
        .map(|(_, u)| u)
        .expect("id");
    let backend = w.app.db().get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "UPDATE shipments SET received_at = received_at - INTERVAL '16 days' WHERE order_id = $1"
        }
        _ => {
            "UPDATE shipments SET received_at = strftime('%Y-%m-%dT%H:%M:%fZ', received_at, '-16 days') WHERE order_id = ?"
        }
    };
    w.app
        .db()
        .execute_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
        .await
        .expect("backdate");
    let late = ask(&w, &w.buyer_admin, &order, &line, "RETURN", 1).await;
    assert_eq!(codes(&late), code("input.orderId", "OUTSIDE_PERIOD"));
    assert_eq!(requests(&w).await, 0);
}
