//! Issue 15, item 7: flags for auditors (防止数字脱贫). Each kind is raised by a scenario built
//! through the API (timestamps the API cannot set are back-dated in the database) and not by its
//! near miss; staff see only their regions, others are refused, and reading flags writes
//! nothing, the ledger least of all.

use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::{order, order::OrderStatus, order_event, unit_link};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    authorization::row_counts,
    consent::{declare, unit, year},
    harness::{PASSWORD, Session, error_code},
    world::{
        CITY, COUNTY, CREATE_BUYER, CREATE_PRODUCER, CREATE_PRODUCT, World, producer_input,
        product_input,
    },
};

const FLAGS: &str = "query($f: AuditFlagFilter, $first: Int, $after: String) {
  auditFlags(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor }
    nodes { kind on summary orderId buyer { id } producer { id }
      evidence {
        __typename
        ... on SharedMemberEvidence { orders amount people { phone sameAccount
            buyerSide { role name userId } producerSide { role name userId } } }
        ... on FastReceiptEvidence { placedAt shippedAt receivedAt minutes thresholdMinutes amount }
        ... on PriceAboveMedianEvidence { orderLineId productName price median ratio thresholdRatio comparableProducts }
        ... on DeadlineBunchingEvidence { halfYearStart deadline windowStart total late sharePercent thresholdPercent orders lateOrders }
        ... on LateLinkEvidence { unitLinkId linkKind status deadline daysBefore byConfirmation proposedAt countedBuyer { id } }
      } } } }";

/// The cheapest selection, for refusals.
const COUNT: &str = "query($f: AuditFlagFilter, $first: Int, $after: String) {
  auditFlags(filter: $f, first: $first, after: $after) { totalCount } }";

async fn flags(w: &World, who: &Session, filter: Value) -> Value {
    let body = w
        .app
        .gql(who.token(), FLAGS, json!({ "f": filter, "first": 50 }))
        .await;
    assert!(body["data"]["auditFlags"].is_object(), "auditFlags: {body}");
    body["data"]["auditFlags"].clone()
}

fn nodes(page: &Value) -> Vec<Value> {
    page["nodes"].as_array().expect("nodes").clone()
}

fn uuid_of(id: &str) -> Uuid {
    fupin_market::ids::decode(id).expect("an ID").1
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// Places an order of `quantity` as `buyer`; returns its ID.
async fn place(w: &World, buyer: &Session, lines: &[(&str, i64)], key: &str) -> String {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(p, q)| json!({ "productId": p, "quantity": q }))
        .collect();
    let placed = w
        .app
        .gql(
            buyer.token(),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id } errors { code message } } }",
            json!({ "input": { "lines": lines, "idempotencyKey": format!("audit-flags-{key}") } }),
        )
        .await;
    placed["data"]["placeOrder"]["orders"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("placeOrder: {placed}"))
        .to_owned()
}

/// Places, confirms, ships and receives an order; returns its ID.
async fn bought(w: &World, buyer: &Session, product: &str, quantity: i64, key: &str) -> String {
    let id = place(w, buyer, &[(product, quantity)], key).await;
    for (token, mutation) in [
        (w.producer_clerk.token(), "confirmOrder"),
        (w.producer_clerk.token(), "shipOrder"),
        (buyer.token(), "receiveOrder"),
    ] {
        crate::live::step(&w.app, token, mutation, &id).await;
    }
    id
}

/// Moves an order's history: placed at `placed`, confirmed and shipped an hour and two after,
/// received at `received` (the API stamps every step with the time it is made).
async fn backdate(w: &World, id: &str, placed: DateTime<Utc>, received: DateTime<Utc>) {
    let db = w.app.db();
    let id = uuid_of(id);
    order::Entity::update_many()
        .col_expr(order::Column::PlacedAt, Expr::value(placed))
        .filter(order::Column::Id.eq(id))
        .exec(db)
        .await
        .expect("back-date the order");
    for (status, at) in [
        (OrderStatus::Placed, placed),
        (OrderStatus::Confirmed, placed + Duration::hours(1)),
        (OrderStatus::Shipped, placed + Duration::hours(2)),
        (OrderStatus::Received, received),
    ] {
        order_event::Entity::update_many()
            .col_expr(order_event::Column::At, Expr::value(at))
            .filter(order_event::Column::OrderId.eq(id))
            .filter(order_event::Column::ToStatus.eq(status))
            .exec(db)
            .await
            .expect("back-date the history");
    }
}

async fn received_at(w: &World, id: &str) -> DateTime<Utc> {
    order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(uuid_of(id)))
        .filter(order_event::Column::ToStatus.eq(OrderStatus::Received))
        .one(w.app.db())
        .await
        .expect("history")
        .expect("received")
        .at
}

async fn ok(w: &World, who: &Session, query: &str, variables: Value, field: &str) -> Value {
    let body = w.app.gql(who.token(), query, variables).await;
    assert_eq!(body["data"][field]["errors"], json!([]), "{field}: {body}");
    body["data"][field].clone()
}

/// A verified producer of another account in `region`, with a published product at `price` of
/// the same category, unit and spec as the world's products.
async fn rival(w: &World, username: &str, region: &str, price: &str) -> (String, String) {
    let session = w.app.register(username, None).await;
    let created = ok(
        w,
        &session,
        CREATE_PRODUCER,
        json!({ "input": producer_input(None, &format!("{username}合作社"), region) }),
        "createProducer",
    )
    .await;
    let producer = created["producer"]["id"]
        .as_str()
        .expect("producer")
        .to_owned();
    ok(
        w,
        &w.admin,
        "mutation($id: ID!) { verifyProducer(input: {producerId: $id}) { errors { code } } }",
        json!({ "id": producer }),
        "verifyProducer",
    )
    .await;
    let session = w.app.login(username, PASSWORD).await;
    let product = ok(
        w,
        &session,
        CREATE_PRODUCT,
        json!({ "input": product_input(&producer, &format!("{username}小米"), price) }),
        "createProduct",
    )
    .await["product"]["id"]
        .as_str()
        .expect("product")
        .to_owned();
    ok(
        w,
        &session,
        "mutation($id: ID!) { publishProduct(input: {id: $id}) { errors { code } } }",
        json!({ "id": product }),
        "publishProduct",
    )
    .await;
    (producer, product)
}

#[tokio::test]
async fn a_buyer_sharing_a_phone_with_its_producer_is_flagged_and_strangers_are_not() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "51.00").await;
    // A member of the new unit registered the producer's contact phone, written differently.
    let registered = w
        .app
        .gql(
            None,
            "mutation($input: RegisterInput!) { register(input: $input) { user { id } errors { code message } } }",
            json!({ "input": { "username": "cousin.buyer", "password": PASSWORD, "displayName": "张国强",
                "phone": "+86 137 0602 8104", "organization": { "name": "灵寿县某局", "kind": "BUYER" } } }),
        )
        .await;
    assert_eq!(
        registered["data"]["register"]["errors"],
        json!([]),
        "{registered}"
    );
    let cousin_user = registered["data"]["register"]["user"]["id"].clone();
    let cousin = w.app.login("cousin.buyer", PASSWORD).await;
    let org = w
        .app
        .gql(cousin.token(), "{ me { organization { id } } }", json!({}))
        .await;
    let cousin_buyer = ok(
        &w,
        &cousin,
        CREATE_BUYER,
        json!({ "input": { "organizationId": org["data"]["me"]["organization"]["id"], "name": "灵寿县某局",
            "kind": "AGENCY", "regionCode": COUNTY, "contactName": "办公室", "contactPhone": "0311-82000000" } }),
        "createBuyer",
    )
    .await["buyer"]["id"]
        .as_str()
        .expect("buyer")
        .to_owned();
    let cousin = w.app.login("cousin.buyer", PASSWORD).await;
    place(&w, &cousin, &[(&product, 3)], "shared-1").await;
    // Near misses: the world's canteen trades with the producer but shares nobody; a unit whose
    // contact phone is the producer's never trades with it.
    place(&w, &w.buyer_admin, &[(&product, 2)], "shared-2").await;
    let (_, twin) = unit(&w, "twin.unit", "石家庄市另一单位", "AGENCY", CITY, None).await;
    ok(
        &w,
        &w.admin,
        "mutation($input: UpdateBuyerInput!) { updateBuyer(input: $input) { errors { code message } } }",
        json!({ "input": { "id": twin, "contactPhone": "13706028104" } }),
        "updateBuyer",
    )
    .await;

    let page = flags(&w, &w.auditor, json!({ "kinds": ["SHARED_MEMBER"] })).await;
    assert_eq!(page["totalCount"], 1, "{page}");
    let flag = &nodes(&page)[0];
    assert_eq!(flag["kind"], "SHARED_MEMBER");
    assert_eq!(flag["buyer"]["id"], cousin_buyer.as_str());
    assert_eq!(flag["producer"]["id"], w.producer_id.as_str());
    assert_eq!(flag["on"], Utc::now().date_naive().to_string());
    let evidence = &flag["evidence"];
    assert_eq!(evidence["__typename"], "SharedMemberEvidence");
    assert_eq!(evidence["orders"], 1);
    assert_eq!(evidence["amount"], "153.00");
    let person = &evidence["people"][0];
    assert_eq!(person["phone"], "13706028104");
    assert_eq!(person["sameAccount"], false);
    assert_eq!(person["buyerSide"]["role"], "MEMBER");
    assert_eq!(person["buyerSide"]["userId"], cousin_user);
    assert_eq!(person["producerSide"]["role"], "CONTACT");
    assert_eq!(person["producerSide"]["name"], "张国强");
    assert!(
        flag["summary"].as_str().unwrap().contains("13706028104"),
        "{flag}"
    );
    // Filters by party narrow it; another producer's flags are none.
    let by_buyer = flags(
        &w,
        &w.auditor,
        json!({ "kinds": ["SHARED_MEMBER"], "buyerId": w.buyer_id }),
    )
    .await;
    assert_eq!(by_buyer["totalCount"], 0);
}

#[tokio::test]
async fn an_order_received_minutes_after_it_was_placed_is_flagged() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "51.00").await;
    let instant = bought(&w, &w.buyer_admin, &product, 2, "fast-1").await;
    let slow = bought(&w, &w.buyer_admin, &product, 2, "fast-2").await;
    let edge = bought(&w, &w.buyer_admin, &product, 2, "fast-3").await;
    // The near miss took 31 minutes; the edge 29 (the API stamps steps with the time made).
    let at = received_at(&w, &slow).await;
    backdate(&w, &slow, at - Duration::minutes(31), at).await;
    let at = received_at(&w, &edge).await;
    backdate(&w, &edge, at - Duration::minutes(29), at).await;
    // Put the edge's shipment back inside its minutes.
    order_event::Entity::update_many()
        .col_expr(
            order_event::Column::At,
            Expr::value(at - Duration::minutes(5)),
        )
        .filter(order_event::Column::OrderId.eq(uuid_of(&edge)))
        .filter(order_event::Column::ToStatus.eq(OrderStatus::Shipped))
        .exec(w.app.db())
        .await
        .unwrap();

    let page = flags(&w, &w.officer, json!({ "kinds": ["FAST_RECEIPT"] })).await;
    let found = nodes(&page);
    let ids: Vec<&str> = found
        .iter()
        .map(|f| f["orderId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{page}");
    assert!(ids.contains(&instant.as_str()) && ids.contains(&edge.as_str()));
    assert!(!ids.contains(&slow.as_str()), "31 minutes is not within 30");
    let edge_flag = found
        .iter()
        .find(|f| f["orderId"] == edge.as_str())
        .unwrap();
    let evidence = &edge_flag["evidence"];
    assert_eq!(evidence["__typename"], "FastReceiptEvidence");
    assert_eq!(evidence["minutes"], 29);
    assert_eq!(evidence["thresholdMinutes"], 30);
    assert_eq!(evidence["amount"], "102.00");
    assert!(evidence["shippedAt"].is_string());
    assert_eq!(edge_flag["buyer"]["id"], w.buyer_id.as_str());
    assert_eq!(edge_flag["producer"]["id"], w.producer_id.as_str());
    let instant_flag = found
        .iter()
        .find(|f| f["orderId"] == instant.as_str())
        .unwrap();
    assert_eq!(instant_flag["evidence"]["minutes"], 0);
}

/// The thresholds are settings: with 40 minutes, a receipt 31 minutes after placing is fast.
#[tokio::test]
async fn the_thresholds_come_from_the_settings() {
    let w = World::build_with(|s| s.audit_flags.fast_receipt_minutes = 40).await;
    let product = w.published_product("灵寿红薯 5kg装", "51.00").await;
    let within = bought(&w, &w.buyer_admin, &product, 1, "settings-1").await;
    let beyond = bought(&w, &w.buyer_admin, &product, 1, "settings-2").await;
    for (id, minutes) in [(&within, 31), (&beyond, 41)] {
        let at = received_at(&w, id).await;
        backdate(&w, id, at - Duration::minutes(minutes), at).await;
    }
    let page = flags(&w, &w.auditor, json!({ "kinds": ["FAST_RECEIPT"] })).await;
    assert_eq!(page["totalCount"], 1, "{page}");
    let flag = &nodes(&page)[0];
    assert_eq!(flag["orderId"], within.as_str());
    assert_eq!(flag["evidence"]["minutes"], 31);
    assert_eq!(flag["evidence"]["thresholdMinutes"], 40);
}

#[tokio::test]
async fn a_line_far_above_the_comparable_median_of_its_day_is_flagged() {
    let w = World::build().await;
    let mut rivals = Vec::new();
    for (name, price) in [
        ("rival.a", "10.00"),
        ("rival.b", "12.00"),
        ("rival.c", "14.00"),
    ] {
        rivals.push(rival(&w, name, crate::world::VILLAGE, price).await);
    }
    // The world's producer: one product at 1.5 times the median, one just under.
    let dear = w.published_product("青廉小米 5kg装", "18.00").await;
    let near = w.published_product("青廉小米 精品", "17.99").await;
    let order = place(&w, &w.buyer_admin, &[(&dear, 1), (&near, 1)], "price-1").await;
    // After the order, a rival raises its price: the median of the day of the order stands.
    let session = w.app.login("rival.a", PASSWORD).await;
    ok(
        &w,
        &session,
        "mutation($input: UpdateProductInput!) { updateProduct(input: $input) { errors { code message } } }",
        json!({ "input": { "id": rivals[0].1, "price": "30.00" } }),
        "updateProduct",
    )
    .await;

    let page = flags(&w, &w.auditor, json!({ "kinds": ["PRICE_ABOVE_MEDIAN"] })).await;
    assert_eq!(page["totalCount"], 1, "{page}");
    let flag = &nodes(&page)[0];
    assert_eq!(flag["orderId"], order.as_str());
    assert_eq!(flag["producer"]["id"], w.producer_id.as_str());
    let evidence = &flag["evidence"];
    assert_eq!(evidence["__typename"], "PriceAboveMedianEvidence");
    assert_eq!(evidence["productName"], "青廉小米 5kg装");
    assert_eq!(evidence["price"], "18.00");
    assert_eq!(evidence["median"], "12.00");
    assert_eq!(evidence["ratio"], 1.5);
    assert_eq!(evidence["thresholdRatio"], 1.5);
    assert_eq!(evidence["comparableProducts"], 3);

    // An order placed now meets the new median (14.00): 18.00 is under 1.5 times it.
    place(&w, &w.buyer_admin, &[(&dear, 1)], "price-2").await;
    let page = flags(&w, &w.auditor, json!({ "kinds": ["PRICE_ABOVE_MEDIAN"] })).await;
    assert_eq!(page["totalCount"], 1, "{page}");
}

#[tokio::test]
async fn purchases_bunched_before_a_deadline_are_flagged_and_an_even_half_is_not() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "51.00").await;
    let late = bought(&w, &w.buyer_admin, &product, 6, "bunch-1").await;
    let early = bought(&w, &w.buyer_admin, &product, 2, "bunch-2").await;
    backdate(&w, &late, utc(2026, 6, 19, 9, 0), utc(2026, 6, 20, 10, 0)).await;
    backdate(&w, &early, utc(2026, 3, 9, 9, 0), utc(2026, 3, 10, 10, 0)).await;
    // The near miss: exactly half in the last fifteen days (more than half flags).
    let (even, even_id) = unit(&w, "even.unit", "石家庄市均衡单位", "AGENCY", CITY, None).await;
    let a = bought(&w, &even, &product, 2, "bunch-3").await;
    let b = bought(&w, &even, &product, 2, "bunch-4").await;
    backdate(&w, &a, utc(2026, 6, 15, 9, 0), utc(2026, 6, 16, 0, 0)).await;
    backdate(&w, &b, utc(2026, 2, 1, 9, 0), utc(2026, 2, 2, 10, 0)).await;
    // Received on 6-15: the day before the window.
    let (before, _) = unit(&w, "before.unit", "石家庄市提前单位", "AGENCY", CITY, None).await;
    let c = bought(&w, &before, &product, 2, "bunch-5").await;
    backdate(&w, &c, utc(2026, 6, 14, 9, 0), utc(2026, 6, 15, 23, 59)).await;

    let window =
        json!({ "kinds": ["DEADLINE_BUNCHING"], "from": "2026-01-01", "to": "2026-12-31" });
    let page = flags(&w, &w.auditor, window.clone()).await;
    assert_eq!(page["totalCount"], 1, "{page}");
    let flag = &nodes(&page)[0];
    assert_eq!(flag["on"], "2026-06-30");
    assert_eq!(flag["buyer"]["id"], w.buyer_id.as_str());
    assert_eq!(flag["producer"], Value::Null);
    let evidence = &flag["evidence"];
    assert_eq!(
        evidence,
        &json!({ "__typename": "DeadlineBunchingEvidence", "halfYearStart": "2026-01-01",
            "deadline": "2026-06-30", "windowStart": "2026-06-16", "total": "408.00", "late": "306.00",
            "sharePercent": 75, "thresholdPercent": 50, "orders": 2, "lateOrders": 1 })
    );
    // A window that ends before the deadline holds no flag dated on it.
    let cut = flags(
        &w,
        &w.auditor,
        json!({ "kinds": ["DEADLINE_BUNCHING"], "from": "2026-01-01", "to": "2026-06-29" }),
    )
    .await;
    assert_eq!(cut["totalCount"], 0);
    let even_only = flags(
        &w,
        &w.auditor,
        json!({ "kinds": ["DEADLINE_BUNCHING"], "from": "2026-01-01", "to": "2026-12-31", "buyerId": even_id }),
    )
    .await;
    assert_eq!(even_only["totalCount"], 0);
}

#[tokio::test]
async fn a_contractor_link_made_just_before_a_deadline_is_flagged() {
    let w = World::build().await;
    let mut links = Vec::new();
    for (username, name) in [
        ("late.unit", "石家庄市临期单位"),
        ("early.unit", "石家庄市早定单位"),
        ("slow.unit", "石家庄市迟确认单位"),
    ] {
        let (session, id) = unit(&w, username, name, "AGENCY", CITY, None).await;
        let declared = declare(
            &w,
            &session,
            json!({ "buyerId": id, "year": year(), "canteen": "OUTSOURCED", "canteenBudget": "5000.00",
                    "reservedSharePercent": 10, "contractorId": w.buyer_id }),
        )
        .await;
        assert_eq!(declared["unitLink"]["kind"], "CONTRACTOR");
        links.push((id, declared["unitLink"]["id"].as_str().unwrap().to_owned()));
    }
    // The third is proposed in May and confirmed by the contractor two days before 6-30.
    let confirmed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($id: ID!) { confirmUnitLink(input: {id: $id}) { errors { code } } }",
            json!({ "id": links[2].1 }),
        )
        .await;
    assert_eq!(
        confirmed["data"]["confirmUnitLink"]["errors"],
        json!([]),
        "{confirmed}"
    );
    unit_link::Entity::update_many()
        .col_expr(
            unit_link::Column::ConfirmedAt,
            Expr::value(utc(2026, 6, 28, 15, 0)),
        )
        .filter(unit_link::Column::Id.eq(uuid_of(&links[2].1)))
        .exec(w.app.db())
        .await
        .unwrap();
    // Ten days before 6-30, and the near miss twenty.
    for ((_, link), at) in links.iter().zip([
        utc(2026, 6, 20, 9, 0),
        utc(2026, 6, 10, 9, 0),
        utc(2026, 5, 1, 9, 0),
    ]) {
        unit_link::Entity::update_many()
            .col_expr(unit_link::Column::ProposedAt, Expr::value(at))
            .filter(unit_link::Column::Id.eq(uuid_of(link)))
            .exec(w.app.db())
            .await
            .unwrap();
    }
    let page = flags(
        &w,
        &w.officer,
        json!({ "kinds": ["LATE_LINK"], "from": "2026-01-01", "to": "2026-12-31" }),
    )
    .await;
    // The officer of 灵寿县 covers neither unit (both in the city): nothing.
    assert_eq!(page["totalCount"], 0, "{page}");
    let page = flags(
        &w,
        &w.auditor,
        json!({ "kinds": ["LATE_LINK"], "from": "2026-01-01", "to": "2026-12-31" }),
    )
    .await;
    assert_eq!(page["totalCount"], 2, "{page}");
    let late_confirmed = &nodes(&page)[0];
    assert_eq!(late_confirmed["on"], "2026-06-28");
    assert_eq!(late_confirmed["buyer"]["id"], links[2].0.as_str());
    assert_eq!(late_confirmed["evidence"]["byConfirmation"], true);
    assert_eq!(late_confirmed["evidence"]["daysBefore"], 2);
    assert_eq!(late_confirmed["evidence"]["status"], "CONFIRMED");
    let flag = &nodes(&page)[1];
    assert_eq!(flag["on"], "2026-06-20");
    assert_eq!(flag["evidence"]["byConfirmation"], false);
    assert_eq!(flag["buyer"]["id"], links[0].0.as_str());
    let evidence = &flag["evidence"];
    assert_eq!(evidence["__typename"], "LateLinkEvidence");
    assert_eq!(evidence["unitLinkId"], links[0].1.as_str());
    assert_eq!(evidence["linkKind"], "CONTRACTOR");
    assert_eq!(evidence["status"], "PENDING");
    assert_eq!(evidence["deadline"], "2026-06-30");
    assert_eq!(evidence["daysBefore"], 10);
    assert_eq!(evidence["countedBuyer"]["id"], w.buyer_id.as_str());
}

#[tokio::test]
async fn flags_are_for_staff_in_scope_page_in_one_order_and_write_nothing() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "51.00").await;
    let mut orders = Vec::new();
    for i in 0..3 {
        orders.push(bought(&w, &w.buyer_admin, &product, 1, &format!("scope-{i}")).await);
    }
    let tip = "{ ledgerEntries(last: 1) { totalCount nodes { seq hash } } verifyLedger { intact checked } }";
    let ledger_before = w.app.gql(w.auditor.token(), tip, json!({})).await;
    assert_eq!(
        ledger_before["data"]["verifyLedger"]["intact"], true,
        "{ledger_before}"
    );
    let rows_before = row_counts(w.app.db()).await;

    let filter = json!({ "kinds": ["FAST_RECEIPT"] });
    // The producer's county officer, the province's auditor and the admin see the three.
    for who in [&w.officer, &w.auditor, &w.admin] {
        assert_eq!(flags(&w, who, filter.clone()).await["totalCount"], 3);
    }
    // Another county's officer sees none; asking for a region narrows.
    assert_eq!(
        flags(&w, &w.other_officer, filter.clone()).await["totalCount"],
        0
    );
    let elsewhere = flags(
        &w,
        &w.auditor,
        json!({ "kinds": ["FAST_RECEIPT"], "regionCode": "1307" }),
    )
    .await;
    assert_eq!(elsewhere["totalCount"], 0);
    let city = flags(
        &w,
        &w.auditor,
        json!({ "kinds": ["FAST_RECEIPT"], "regionCode": CITY }),
    )
    .await;
    assert_eq!(city["totalCount"], 3, "the buyer is in the city");
    // Buyers, producers and people with no role are refused; so is nobody.
    for who in [&w.buyer_admin, &w.producer_admin, &w.outsider] {
        let refused = w.app.gql(who.token(), COUNT, json!({})).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    }
    let anonymous = w.app.gql(None, COUNT, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    // Pages of one keep one order and cover everything once.
    let all = flags(&w, &w.auditor, filter.clone()).await;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = w
            .app
            .gql(
                w.auditor.token(),
                FLAGS,
                json!({ "f": filter, "first": 1, "after": after }),
            )
            .await;
        let page = &body["data"]["auditFlags"];
        seen.extend(nodes(page).iter().map(|n| n["orderId"].clone()));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let every: Vec<Value> = nodes(&all).iter().map(|n| n["orderId"].clone()).collect();
    assert_eq!(seen, every);
    for order in &orders {
        assert!(every.contains(&json!(order)));
    }

    // Bad input is refused with a code.
    for (filter, first, after) in [
        (
            json!({ "from": "2026-02-01", "to": "2026-01-01" }),
            10,
            Value::Null,
        ),
        (
            json!({ "from": "2020-01-01", "to": "2026-01-01" }),
            10,
            Value::Null,
        ),
        (json!({ "regionCode": "13x" }), 10, Value::Null),
        (json!({ "buyerId": w.producer_id }), 10, Value::Null),
        (json!({}), 101, Value::Null),
        (json!({}), 10, json!("not-a-cursor")),
    ] {
        let refused = w
            .app
            .gql(
                w.auditor.token(),
                COUNT,
                json!({ "f": filter, "first": first, "after": after }),
            )
            .await;
        assert_eq!(
            error_code(&refused),
            "BAD_USER_INPUT",
            "{filter}: {refused}"
        );
    }

    // Reading flags wrote nothing: every table, the ledger's tip and its verification as before.
    assert_eq!(row_counts(w.app.db()).await, rows_before);
    let ledger_after = w.app.gql(w.auditor.token(), tip, json!({})).await;
    assert_eq!(ledger_after, ledger_before);
}

/// Over the benchmark generator's world (a year of orders): every flag holds to its rule, the
/// pages come newest first and cover the flags once, and the kinds add up to the whole.
#[tokio::test]
async fn over_a_generated_world_every_flag_holds_to_its_rule() {
    use fupin_market::generator::{self, Options, ScaleName};
    let app = crate::harness::TestApp::spawn().await;
    let options = Options {
        scale: ScaleName::Tiny.scale(),
        seed: 15,
        divisions: None,
    };
    generator::generate(app.db(), &options)
        .await
        .expect("generate");
    let admin = app.admin().await;
    let rows_before = row_counts(app.db()).await;
    let mut all = Vec::new();
    let mut after = Value::Null;
    let total = loop {
        let body = app
            .gql(
                admin.token(),
                FLAGS,
                json!({ "f": {}, "first": 50, "after": after }),
            )
            .await;
        let page = &body["data"]["auditFlags"];
        assert!(page.is_object(), "{body}");
        all.extend(nodes(page));
        if page["pageInfo"]["hasNextPage"] != true {
            break page["totalCount"].as_u64().unwrap() as usize;
        }
        after = page["pageInfo"]["endCursor"].clone();
    };
    assert_eq!(all.len(), total);
    let mut by_kind = 0;
    for kind in [
        "SHARED_MEMBER",
        "FAST_RECEIPT",
        "PRICE_ABOVE_MEDIAN",
        "DEADLINE_BUNCHING",
        "LATE_LINK",
    ] {
        let page = app
            .gql(
                admin.token(),
                COUNT,
                json!({ "f": { "kinds": [kind] }, "first": 1 }),
            )
            .await;
        let n = page["data"]["auditFlags"]["totalCount"].as_u64().unwrap() as usize;
        assert_eq!(
            n,
            all.iter().filter(|f| f["kind"] == kind).count(),
            "{kind}"
        );
        by_kind += n;
    }
    assert_eq!(by_kind, total);
    let days: Vec<&str> = all.iter().map(|f| f["on"].as_str().unwrap()).collect();
    assert!(days.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let fen = |v: &Value| -> i64 {
        let (y, f) = v.as_str().unwrap().split_once('.').unwrap();
        y.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap()
    };
    for flag in &all {
        let e = &flag["evidence"];
        match flag["kind"].as_str().unwrap() {
            "FAST_RECEIPT" => assert!(e["minutes"].as_i64() <= e["thresholdMinutes"].as_i64()),
            "PRICE_ABOVE_MEDIAN" => {
                assert!(e["comparableProducts"].as_i64().unwrap() >= 3, "{flag}");
                assert!(fen(&e["price"]) * 2 >= fen(&e["median"]) * 3, "{flag}");
            }
            "DEADLINE_BUNCHING" => {
                assert!(fen(&e["late"]) * 2 > fen(&e["total"]), "{flag}");
                assert!(e["lateOrders"].as_i64() <= e["orders"].as_i64());
            }
            "SHARED_MEMBER" => assert!(!e["people"].as_array().unwrap().is_empty()),
            "LATE_LINK" => assert!(e["daysBefore"].as_i64().unwrap() < 15),
            other => panic!("unknown kind {other}"),
        }
    }
    assert_eq!(row_counts(app.db()).await, rows_before);
    // The generator prices some products well above their peers.
    assert!(all.iter().any(|f| f["kind"] == "PRICE_ABOVE_MEDIAN"));
}
