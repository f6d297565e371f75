//! Needs and quotes (供需对接, issue 16): a canteen posts a need, producers quote, an accepted
//! quote becomes an order or an agreement; needs fill, close and expire; producers paired with
//! the buyer see its needs first and hear of new ones live; every bad input is refused with
//! its code and nothing written.

use std::time::Duration;

use chrono::{Duration as Days, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    harness::Session,
    world::{CREATE_BUYER, CREATE_PRODUCER, CREATE_PRODUCT, World, producer_input},
    ws::WsClient,
};

const POST: &str = "mutation($input: PostDemandInput!) { postDemand(input: $input) {
    demand { id status quantity acceptedQuantity priceCeiling } errors { field code message } } }";
const RESPOND: &str = "mutation($input: RespondToDemandInput!) { respondToDemand(input: $input) {
    quote { id status price quantity } errors { field code message } } }";
const ACCEPT: &str = "mutation($input: AcceptQuoteInput!) { acceptQuote(input: $input) {
    quote { id status acceptedAs agreementId orderId } errors { field code message } } }";
const DECLINE: &str = "mutation($input: DeclineQuoteInput!) { declineQuote(input: $input) {
    quote { id status declineReason } errors { field code message } } }";
const CLOSE: &str = "mutation($id: ID!) { closeDemand(input: {demandId: $id}) {
    demand { id status } errors { field code message } } }";
const DEMANDS: &str = "query($filter: DemandFilterInput, $first: Int, $after: String) {
    demands(filter: $filter, first: $first, after: $after) {
        nodes { id status spec acceptedQuantity buyer { name } } pageInfo { endCursor hasNextPage } } }";
const DEMAND_POSTED: &str = "subscription { demandPosted { id spec category } }";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn date(days: i64) -> String {
    (today() + Days::days(days)).to_string()
}

fn need(spec: &str) -> Value {
    json!({
        "category": "GRAIN_OIL", "spec": spec, "quantity": 30, "unit": "箱", "rhythm": "WEEKLY",
        "regionCode": "1301", "startsOn": date(0), "endsOn": date(30), "priceCeiling": "50.00",
        "certifiedOnly": false
    })
}

fn offer(demand: &str, product: &str, price: &str, quantity: i64) -> Value {
    json!({ "demandId": demand, "productId": product, "price": price, "quantity": quantity,
            "deliveryFrom": date(1), "deliveryTo": date(7), "note": "每周二送达" })
}

async fn post(w: &World, token: Option<&str>, input: Value) -> String {
    let body = w.app.gql(token, POST, json!({ "input": input })).await;
    assert_eq!(body["data"]["postDemand"]["errors"], json!([]), "{body}");
    body["data"]["postDemand"]["demand"]["id"]
        .as_str()
        .expect("demand id")
        .to_owned()
}

async fn quote(w: &World, session: &Session, input: Value) -> String {
    let body = w
        .app
        .gql(session.token(), RESPOND, json!({ "input": input }))
        .await;
    assert_eq!(
        body["data"]["respondToDemand"]["errors"],
        json!([]),
        "{body}"
    );
    assert_eq!(
        body["data"]["respondToDemand"]["quote"]["status"],
        "PENDING"
    );
    body["data"]["respondToDemand"]["quote"]["id"]
        .as_str()
        .expect("quote id")
        .to_owned()
}

/// The code and field of a payload's first error.
fn refusal(body: &Value, mutation: &str) -> (String, Value) {
    let error = &body["data"][mutation]["errors"][0];
    (
        error["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error: {body}"))
            .to_owned(),
        error["field"].clone(),
    )
}

async fn quotes_written(w: &World) -> u64 {
    entity::quote::Entity::find()
        .count(w.app.db())
        .await
        .expect("count")
}

async fn demands_written(w: &World) -> u64 {
    entity::demand::Entity::find()
        .count(w.app.db())
        .await
        .expect("count")
}

async fn audited(w: &World, action: &str) -> u64 {
    entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Action.eq(action))
        .count(w.app.db())
        .await
        .expect("count")
}

async fn ids(w: &World, token: Option<&str>, filter: Value) -> Vec<String> {
    let body = w
        .app
        .gql(token, DEMANDS, json!({ "filter": filter, "first": 50 }))
        .await;
    body["data"]["demands"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("demands: {body}"))
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_owned())
        .collect()
}

/// A second verified producer, in 阳原县 (130727), verified by that county's officer.
async fn second_producer(w: &World) -> Session {
    let admin = w
        .app
        .register("yy.coop", Some(("阳原县杂粮合作社", "PRODUCER")))
        .await;
    let org = w
        .app
        .gql(admin.token(), "{ me { organization { id } } }", json!({}))
        .await;
    let created = w
        .app
        .gql(
            admin.token(),
            CREATE_PRODUCER,
            json!({ "input": producer_input(Some(org["data"]["me"]["organization"]["id"].clone()), "阳原县杂粮合作社", "130727") }),
        )
        .await;
    let id = created["data"]["createProducer"]["producer"]["id"].clone();
    let verified = w
        .app
        .gql(
            w.other_officer.token(),
            "mutation($id: ID!) { verifyProducer(input: {producerId: $id}) { errors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        verified["data"]["verifyProducer"]["errors"],
        json!([]),
        "{verified}"
    );
    admin
}

/// A second buyer, in 张家口市 (1307).
async fn second_buyer(w: &World) -> Session {
    let admin = w
        .app
        .register("zjk.canteen", Some(("张家口市第一医院食堂", "BUYER")))
        .await;
    let org = w
        .app
        .gql(admin.token(), "{ me { organization { id } } }", json!({}))
        .await;
    let created = w
        .app
        .gql(
            admin.token(),
            CREATE_BUYER,
            json!({ "input": { "organizationId": org["data"]["me"]["organization"]["id"],
                "name": "张家口市第一医院食堂", "kind": "HOSPITAL", "regionCode": "1307",
                "contactName": "王采购", "contactPhone": "0313-8000000" } }),
        )
        .await;
    assert_eq!(
        created["data"]["createBuyer"]["errors"],
        json!([]),
        "{created}"
    );
    admin
}

#[tokio::test]
async fn a_need_is_quoted_accepted_as_order_and_as_agreement_declined_and_filled() {
    let w = World::build().await;
    let product = w.published_product("灵寿小米 5kg装", "45.00").await;
    let demand = post(&w, w.buyer_admin.token(), need("小米, 一级, 5kg箱装")).await;
    assert_eq!(audited(&w, "postDemand").await, 1);

    // The producer sees the need, with its own product among the suggestions.
    let seen = w
        .app
        .gql(
            w.producer_clerk.token(),
            "query($id: ID!) { demand(id: $id) { status spec priceCeiling buyer { name }
                suggestions(first: 5) { nodes { id price } } } }",
            json!({ "id": demand }),
        )
        .await;
    assert_eq!(seen["data"]["demand"]["status"], "OPEN", "{seen}");
    assert_eq!(seen["data"]["demand"]["priceCeiling"], "50.00");
    assert_eq!(
        seen["data"]["demand"]["suggestions"]["nodes"][0]["id"],
        product.as_str()
    );

    // Accepted as an order: at the quoted price, stock reserved, the need counts it.
    let first = quote(&w, &w.producer_clerk, offer(&demand, &product, "40.00", 10)).await;
    let accepted = w
        .app
        .gql(
            w.buyer_admin.token(),
            ACCEPT,
            json!({ "input": { "quoteId": first, "as": "ORDER" } }),
        )
        .await;
    let accepted = &accepted["data"]["acceptQuote"];
    assert_eq!(accepted["errors"], json!([]), "{accepted}");
    assert_eq!(accepted["quote"]["status"], "ACCEPTED");
    assert_eq!(accepted["quote"]["acceptedAs"], "ORDER");
    let order = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { order(id: $id) { total status agreementId } }",
            json!({ "id": accepted["quote"]["orderId"] }),
        )
        .await;
    assert_eq!(
        order["data"]["order"]["total"], "400.00",
        "10 × the quoted 40.00: {order}"
    );
    assert_eq!(order["data"]["order"]["status"], "PLACED");
    assert_eq!(
        order["data"]["order"]["agreementId"],
        accepted["quote"]["agreementId"]
    );
    let stock = w
        .app
        .gql(
            None,
            "query($id: ID!) { product(id: $id) { stock } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(stock["data"]["product"]["stock"], 90);

    // Declined with a reason (none is refused).
    let second = quote(&w, &w.producer_clerk, offer(&demand, &product, "48.00", 10)).await;
    let reasonless = w
        .app
        .gql(
            w.buyer_admin.token(),
            DECLINE,
            json!({ "input": { "quoteId": second, "reason": " " } }),
        )
        .await;
    assert_eq!(
        refusal(&reasonless, "declineQuote"),
        ("INVALID".to_owned(), json!(["input", "reason"]))
    );
    let declined = w
        .app
        .gql(
            w.buyer_admin.token(),
            DECLINE,
            json!({ "input": { "quoteId": second, "reason": "价格高于其他报价" } }),
        )
        .await;
    assert_eq!(
        declined["data"]["declineQuote"]["quote"]["status"], "DECLINED",
        "{declined}"
    );
    assert_eq!(
        declined["data"]["declineQuote"]["quote"]["declineReason"],
        "价格高于其他报价"
    );

    // Accepted as an agreement: active, at the quoted price, and it fills the need.
    let third = quote(&w, &w.producer_clerk, offer(&demand, &product, "42.00", 20)).await;
    let agreed = w
        .app
        .gql(
            w.buyer_admin.token(),
            ACCEPT,
            json!({ "input": { "quoteId": third, "as": "AGREEMENT" } }),
        )
        .await;
    assert_eq!(
        agreed["data"]["acceptQuote"]["quote"]["acceptedAs"], "AGREEMENT",
        "{agreed}"
    );
    assert_eq!(
        agreed["data"]["acceptQuote"]["quote"]["orderId"],
        Value::Null
    );
    let agreements = w
        .app
        .gql(
            w.producer_admin.token(),
            "{ agreements { nodes { id status price totalQuantity startsOn endsOn } } }",
            json!({}),
        )
        .await;
    let agreement = agreements["data"]["agreements"]["nodes"]
        .as_array()
        .expect("agreements")
        .iter()
        .find(|a| a["id"] == agreed["data"]["acceptQuote"]["quote"]["agreementId"])
        .cloned()
        .unwrap_or_else(|| panic!("agreement listed: {agreements}"));
    assert_eq!(agreement["status"], "ACTIVE");
    assert_eq!(agreement["price"], "42.00");
    assert_eq!(agreement["totalQuantity"], 20);
    assert_eq!(agreement["startsOn"], date(1).as_str());

    let filled = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { demand(id: $id) { status acceptedQuantity quotes { nodes { status } } } }",
            json!({ "id": demand }),
        )
        .await;
    assert_eq!(filled["data"]["demand"]["status"], "FILLED", "{filled}");
    assert_eq!(filled["data"]["demand"]["acceptedQuantity"], 30);
    assert_eq!(
        filled["data"]["demand"]["quotes"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(audited(&w, "acceptQuote").await, 2);
    assert_eq!(audited(&w, "declineQuote").await, 1);

    // A filled need: no more quotes, no acceptance twice; nothing written.
    let quotes_before = quotes_written(&w).await;
    let again = w
        .app
        .gql(
            w.buyer_admin.token(),
            ACCEPT,
            json!({ "input": { "quoteId": third, "as": "ORDER" } }),
        )
        .await;
    assert_eq!(
        refusal(&again, "acceptQuote"),
        ("INVALID_STATE".to_owned(), json!(["input", "quoteId"]))
    );
    let late = w
        .app
        .gql(
            w.producer_clerk.token(),
            RESPOND,
            json!({ "input": offer(&demand, &product, "40.00", 5) }),
        )
        .await;
    assert_eq!(
        refusal(&late, "respondToDemand"),
        ("INVALID_STATE".to_owned(), json!(["input", "demandId"]))
    );
    assert_eq!(quotes_written(&w).await, quotes_before);
    assert_eq!(audited(&w, "acceptQuote").await, 2);
    // A filled need is out of the producers' list, still in the buyer's own.
    assert!(
        !ids(&w, w.producer_clerk.token(), json!({}))
            .await
            .contains(&demand)
    );
    assert!(
        ids(&w, w.buyer_admin.token(), json!({ "mine": true }))
            .await
            .contains(&demand)
    );
}

#[tokio::test]
async fn producers_see_needs_of_buyers_paired_with_their_area_first() {
    let w = World::build().await;
    let paired_buyer = second_buyer(&w).await;
    let other_producer = second_producer(&w).await;
    // 张家口市 helps 灵寿县 (the world's producer), not 阳原县.
    let paired = w
        .app
        .gql(
            w.admin.token(),
            "mutation { createPairing(input: {helperRegionCode: \"1307\", helpedRegionCode: \"130126\", kind: IN_PROVINCE, startsOn: \"2020-01-01\"}) { errors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        paired["data"]["createPairing"]["errors"],
        json!([]),
        "{paired}"
    );
    // The paired buyer posts first, so newest-first alone would put it last.
    let from_paired = post(&w, paired_buyer.token(), need("张家口需求: 小米")).await;
    let from_other = post(&w, w.buyer_admin.token(), need("石家庄需求: 小米")).await;

    let for_paired = ids(&w, w.producer_clerk.token(), json!({})).await;
    assert_eq!(for_paired, [from_paired.clone(), from_other.clone()]);
    let for_unpaired = ids(&w, other_producer.token(), json!({})).await;
    assert_eq!(for_unpaired, [from_other.clone(), from_paired.clone()]);

    // Pages follow the same order through their cursors.
    let page = w
        .app
        .gql(w.producer_clerk.token(), DEMANDS, json!({ "first": 1 }))
        .await;
    assert_eq!(
        page["data"]["demands"]["nodes"][0]["id"],
        from_paired.as_str()
    );
    let next = w
        .app
        .gql(
            w.producer_clerk.token(),
            DEMANDS,
            json!({ "first": 1, "after": page["data"]["demands"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        next["data"]["demands"]["nodes"][0]["id"],
        from_other.as_str(),
        "{next}"
    );
    assert_eq!(next["data"]["demands"]["pageInfo"]["hasNextPage"], false);

    // Filters: category, delivery region, mine.
    assert!(
        ids(
            &w,
            w.producer_clerk.token(),
            json!({ "categories": ["FRUIT"] })
        )
        .await
        .is_empty()
    );
    assert_eq!(
        ids(
            &w,
            w.producer_clerk.token(),
            json!({ "regionCode": "1301" })
        )
        .await
        .len(),
        2
    );
    assert!(
        ids(
            &w,
            w.producer_clerk.token(),
            json!({ "regionCode": "1307" })
        )
        .await
        .is_empty()
    );
    assert_eq!(
        ids(&w, paired_buyer.token(), json!({ "mine": true })).await,
        [from_paired.as_str()]
    );

    // A closed need leaves the producers' list; its buyer still sees it, as CLOSED.
    let closed = w
        .app
        .gql(paired_buyer.token(), CLOSE, json!({ "id": from_paired }))
        .await;
    assert_eq!(
        closed["data"]["closeDemand"]["demand"]["status"], "CLOSED",
        "{closed}"
    );
    assert_eq!(
        ids(&w, w.producer_clerk.token(), json!({})).await,
        [from_other.as_str()]
    );
    assert_eq!(
        ids(&w, paired_buyer.token(), json!({ "statuses": ["CLOSED"] })).await,
        [from_paired.as_str()]
    );
    // Another buyer may not close it, nor see it.
    let foreign = w
        .app
        .gql(w.buyer_admin.token(), CLOSE, json!({ "id": from_other }))
        .await;
    assert_eq!(foreign["data"]["closeDemand"]["demand"]["status"], "CLOSED");
    let not_theirs = w
        .app
        .gql(w.buyer_admin.token(), CLOSE, json!({ "id": from_paired }))
        .await;
    assert_eq!(
        crate::harness::error_code(&not_theirs),
        "NOT_FOUND",
        "{not_theirs}"
    );
}

#[tokio::test]
async fn a_need_expires_after_its_period_and_then_takes_no_quote_nor_acceptance() {
    let w = World::build().await;
    let product = w.published_product("灵寿小米 5kg装", "45.00").await;
    let demand = post(&w, w.buyer_admin.token(), need("小米")).await;
    let pending = quote(&w, &w.producer_clerk, offer(&demand, &product, "40.00", 5)).await;
    // Time passes: the period ended yesterday.
    let (_, key) = fupin_market::ids::decode(&demand).expect("id");
    entity::demand::Entity::update_many()
        .col_expr(
            entity::demand::Column::StartsOn,
            sea_orm::sea_query::Expr::value(today() - Days::days(40)),
        )
        .col_expr(
            entity::demand::Column::EndsOn,
            sea_orm::sea_query::Expr::value(today() - Days::days(1)),
        )
        .filter(entity::demand::Column::Id.eq(key))
        .exec(w.app.db())
        .await
        .expect("backdate");

    let mine = w
        .app
        .gql(
            w.buyer_admin.token(),
            DEMANDS,
            json!({ "filter": { "statuses": ["EXPIRED"] } }),
        )
        .await;
    assert_eq!(
        mine["data"]["demands"]["nodes"][0]["status"], "EXPIRED",
        "{mine}"
    );
    assert!(
        ids(&w, w.producer_clerk.token(), json!({}))
            .await
            .is_empty()
    );

    let accepted = w
        .app
        .gql(
            w.buyer_admin.token(),
            ACCEPT,
            json!({ "input": { "quoteId": pending, "as": "ORDER" } }),
        )
        .await;
    assert_eq!(
        refusal(&accepted, "acceptQuote").0,
        "INVALID_STATE",
        "{accepted}"
    );
    let before = quotes_written(&w).await;
    let late = w
        .app
        .gql(
            w.producer_clerk.token(),
            RESPOND,
            json!({ "input": offer(&demand, &product, "40.00", 5) }),
        )
        .await;
    assert!(
        late["data"]["respondToDemand"]["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e["code"] == "INVALID_STATE" && e["field"] == json!(["input", "demandId"])),
        "{late}"
    );
    assert_eq!(quotes_written(&w).await, before);
    let stock = w
        .app
        .gql(
            None,
            "query($id: ID!) { product(id: $id) { stock } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(
        stock["data"]["product"]["stock"], 100,
        "no order was placed"
    );
}

#[tokio::test]
async fn bad_needs_are_refused_with_their_field_and_nothing_is_written() {
    let w = World::build().await;
    let cases = [
        ("quantity", json!(0), "INVALID", "quantity"),
        ("startsOn", json!(date(-1)), "INVALID", "startsOn"),
        ("endsOn", json!(date(-0)), "INVALID", "endsOn"),
        ("priceCeiling", json!("0"), "INVALID", "priceCeiling"),
        ("spec", json!("菜".repeat(501)), "INVALID", "spec"),
        ("unit", json!(""), "INVALID", "unit"),
        ("regionCode", json!("999999"), "NOT_FOUND", "regionCode"),
    ];
    for (field, value, code, named) in cases {
        let mut input = need("小米");
        input[field] = value;
        if field == "endsOn" {
            input["startsOn"] = json!(date(5));
        }
        let body = w
            .app
            .gql(w.buyer_admin.token(), POST, json!({ "input": input }))
            .await;
        assert_eq!(
            refusal(&body, "postDemand"),
            (code.to_owned(), json!(["input", named])),
            "{field}: {body}"
        );
    }
    // Only buyers post needs.
    let body = w
        .app
        .gql(
            w.producer_admin.token(),
            POST,
            json!({ "input": need("小米") }),
        )
        .await;
    assert_eq!(crate::harness::error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(demands_written(&w).await, 0);
    assert_eq!(audited(&w, "postDemand").await, 0);
}

#[tokio::test]
async fn bad_quotes_are_refused_with_their_code_and_nothing_is_written() {
    let w = World::build().await;
    let product = w.published_product("灵寿小米 5kg装", "45.00").await;
    let draft = w.draft_product("灵寿小米 10kg装", "80.00").await;
    let demand = post(&w, w.buyer_admin.token(), need("小米")).await;
    let mut certified = need("认证小米");
    certified["certifiedOnly"] = json!(true);
    let certified = post(&w, w.buyer_admin.token(), certified).await;
    let mut fruit = need("苹果");
    fruit["category"] = json!("FRUIT");
    let fruit = post(&w, w.buyer_admin.token(), fruit).await;
    let closed = post(&w, w.buyer_admin.token(), need("已关闭")).await;
    w.app
        .gql(w.buyer_admin.token(), CLOSE, json!({ "id": closed }))
        .await;

    let with = |changes: Value| {
        let mut input = offer(&demand, &product, "40.00", 10);
        for (k, v) in changes.as_object().expect("changes") {
            input[k] = v.clone();
        }
        input
    };
    let cases = [
        (with(json!({ "price": "50.01" })), "ABOVE_CEILING", "price"),
        (with(json!({ "price": "0" })), "INVALID", "price"),
        (with(json!({ "quantity": 0 })), "INVALID", "quantity"),
        (with(json!({ "quantity": -3 })), "INVALID", "quantity"),
        (with(json!({ "quantity": 31 })), "INVALID", "quantity"),
        (
            with(json!({ "deliveryFrom": date(-1) })),
            "OUTSIDE_PERIOD",
            "deliveryFrom",
        ),
        (
            with(json!({ "deliveryTo": date(31) })),
            "OUTSIDE_PERIOD",
            "deliveryTo",
        ),
        (
            with(json!({ "deliveryFrom": date(5), "deliveryTo": date(4) })),
            "INVALID",
            "deliveryTo",
        ),
        (with(json!({ "note": "备".repeat(501) })), "INVALID", "note"),
        (
            with(json!({ "demandId": closed })),
            "INVALID_STATE",
            "demandId",
        ),
        (
            with(json!({ "demandId": certified })),
            "NOT_CERTIFIED",
            "productId",
        ),
        (with(json!({ "demandId": fruit })), "INVALID", "productId"),
        (
            with(json!({ "productId": draft })),
            "NOT_IN_GOOD_STANDING",
            "productId",
        ),
    ];
    for (input, code, field) in cases {
        let body = w
            .app
            .gql(
                w.producer_clerk.token(),
                RESPOND,
                json!({ "input": input.clone() }),
            )
            .await;
        assert_eq!(
            refusal(&body, "respondToDemand"),
            (code.to_owned(), json!(["input", field])),
            "{input}: {body}"
        );
    }
    // Another producer's product is not the quoting producer's.
    let other = second_producer(&w).await;
    let body = w
        .app
        .gql(other.token(), RESPOND, json!({ "input": with(json!({})) }))
        .await;
    assert_eq!(
        refusal(&body, "respondToDemand"),
        ("NOT_FOUND".to_owned(), json!(["input", "productId"])),
        "{body}"
    );
    // A suspended producer may not quote.
    let suspended = w
        .app
        .gql(
            w.officer.token(),
            "mutation($id: ID!) { suspendProducer(input: {producerId: $id, reason: \"列入经营异常名录\"}) { errors { code message } } }",
            json!({ "id": w.producer_id }),
        )
        .await;
    assert_eq!(
        suspended["data"]["suspendProducer"]["errors"],
        json!([]),
        "{suspended}"
    );
    let body = w
        .app
        .gql(
            w.producer_clerk.token(),
            RESPOND,
            json!({ "input": with(json!({})) }),
        )
        .await;
    assert_eq!(
        refusal(&body, "respondToDemand").0,
        "NOT_IN_GOOD_STANDING",
        "{body}"
    );
    // Buyers do not quote.
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            RESPOND,
            json!({ "input": with(json!({})) }),
        )
        .await;
    assert_eq!(crate::harness::error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(quotes_written(&w).await, 0);
    assert_eq!(audited(&w, "respondToDemand").await, 0);
}

#[tokio::test]
async fn accepting_is_the_buyers_and_an_order_short_of_stock_writes_nothing() {
    let w = World::build().await;
    let product = w.published_product("灵寿小米 5kg装", "45.00").await;
    let mut big = need("小米, 大量");
    big["quantity"] = json!(500);
    let demand = post(&w, w.buyer_admin.token(), big).await;
    // 200 wanted, 100 in stock.
    let pending = quote(
        &w,
        &w.producer_clerk,
        offer(&demand, &product, "40.00", 200),
    )
    .await;
    let producer_tries = w
        .app
        .gql(
            w.producer_admin.token(),
            ACCEPT,
            json!({ "input": { "quoteId": pending, "as": "ORDER" } }),
        )
        .await;
    assert_eq!(
        crate::harness::error_code(&producer_tries),
        "FORBIDDEN",
        "{producer_tries}"
    );
    let short = w
        .app
        .gql(
            w.buyer_admin.token(),
            ACCEPT,
            json!({ "input": { "quoteId": pending, "as": "ORDER" } }),
        )
        .await;
    assert_eq!(
        refusal(&short, "acceptQuote"),
        ("INSUFFICIENT_STOCK".to_owned(), json!(["input", "quoteId"])),
        "{short}"
    );
    // Nothing stuck: the quote is pending, the need counts nothing, no agreement, no order.
    let after = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { demand(id: $id) { status acceptedQuantity quotes { nodes { status } } } }",
            json!({ "id": demand }),
        )
        .await;
    assert_eq!(after["data"]["demand"]["acceptedQuantity"], 0, "{after}");
    assert_eq!(
        after["data"]["demand"]["quotes"]["nodes"][0]["status"],
        "PENDING"
    );
    let agreements = entity::agreement::Entity::find()
        .count(w.app.db())
        .await
        .expect("count");
    assert_eq!(agreements, 0);
    assert_eq!(audited(&w, "acceptQuote").await, 0);
    // As an agreement it goes through: no stock is reserved for one.
    let agreed = w
        .app
        .gql(
            w.buyer_admin.token(),
            ACCEPT,
            json!({ "input": { "quoteId": pending, "as": "AGREEMENT" } }),
        )
        .await;
    assert_eq!(
        agreed["data"]["acceptQuote"]["quote"]["status"], "ACCEPTED",
        "{agreed}"
    );
}

#[tokio::test]
async fn new_needs_reach_producers_of_their_category_and_nobody_else() {
    let w = World::build().await;
    w.published_product("灵寿小米 5kg装", "45.00").await;
    // The second producer lists fruit only.
    let other = second_producer(&w).await;
    let producers = w
        .app
        .gql(other.token(), "{ me { organization { id } } }", json!({}))
        .await;
    let org = producers["data"]["me"]["organization"]["id"]
        .as_str()
        .expect("org");
    let (_, key) = fupin_market::ids::decode(org).expect("id");
    let producer_id = fupin_market::ids::NodeKind::Producer.id(key).0;
    let mut apples = crate::world::product_input(&producer_id, "阳原苹果", "30.00");
    apples["category"] = json!("FRUIT");
    let created = w
        .app
        .gql(other.token(), CREATE_PRODUCT, json!({ "input": apples }))
        .await;
    let apple = created["data"]["createProduct"]["product"]["id"].clone();
    let published = w
        .app
        .gql(
            other.token(),
            "mutation($id: ID!) { publishProduct(input: {id: $id}) { errors { code } } }",
            json!({ "id": apple }),
        )
        .await;
    assert_eq!(
        published["data"]["publishProduct"]["errors"],
        json!([]),
        "{published}"
    );

    let mut grain = WsClient::signed_in(&w.app.base, &w.producer_clerk.access_token).await;
    let mut fruit = WsClient::signed_in(&w.app.base, &other.access_token).await;
    grain.subscribe("needs", DEMAND_POSTED, json!({})).await;
    fruit.subscribe("needs", DEMAND_POSTED, json!({})).await;
    let mut buyer = WsClient::signed_in(&w.app.base, &w.buyer_admin.access_token).await;
    buyer.subscribe("needs", DEMAND_POSTED, json!({})).await;
    assert_eq!(buyer.next_error_code("needs").await, "FORBIDDEN");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let demand = post(&w, w.buyer_admin.token(), need("小米, 每周配送")).await;
    let data = grain.next_data("needs").await;
    assert_eq!(
        data["data"]["demandPosted"]["id"],
        demand.as_str(),
        "{data}"
    );
    assert_eq!(data["data"]["demandPosted"]["category"], "GRAIN_OIL");
    fruit.expect_silence(Duration::from_millis(700)).await;
}
