//! Issue 18, item 4: producers' track record in public. Ratings of 5 and 3 average 4.0 over 2;
//! a first shipment four days after confirmation is late; an escalated after-sales request makes
//! the order disputed; the registry sorts by each, across pages, ties by ID.

use entity::{order::OrderStatus, order_event, producer};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};
use serde_json::{Value, json};

use crate::{harness::Session, world::World};

const REPUTATION: &str = "query($id: ID!) { node(id: $id) { ... on Producer { reputation {
    ratingAverage ratingCount onTimeShipmentRate shippedOrders disputeRate receivedOrders } } } }";

/// Places, confirms (the confirmation `days_ago`), ships and receives one box of `product`.
async fn received_order(
    w: &World,
    producer: &Session,
    product: &str,
    key: &str,
    days_ago: i64,
) -> (String, String) {
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($p: ID!, $k: String!) { placeOrder(input: {lines: [{productId: $p, quantity: 2}], idempotencyKey: $k}) {
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
    crate::live::step(&w.app, producer.token(), "confirmOrder", &order).await;
    if days_ago > 0 {
        let (_, id) = fupin_market::ids::decode(&order).expect("order ID");
        order_event::Entity::update_many()
            .col_expr(
                order_event::Column::At,
                Expr::value(chrono::Utc::now() - chrono::Duration::days(days_ago)),
            )
            .filter(order_event::Column::OrderId.eq(id))
            .filter(order_event::Column::ToStatus.eq(OrderStatus::Confirmed))
            .exec(w.app.db())
            .await
            .expect("backdate");
    }
    crate::live::step(&w.app, producer.token(), "shipOrder", &order).await;
    crate::live::step(&w.app, w.buyer_admin.token(), "receiveOrder", &order).await;
    (order, line)
}

async fn rate(w: &World, order: &str, rating: i32) -> Value {
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($id: ID!, $r: Int!) { rateOrder(input: {orderId: $id, rating: $r}) { errors { field code } } }",
            json!({ "id": order, "r": rating }),
        )
        .await;
    body["data"]["rateOrder"]["errors"].clone()
}

async fn reputation(w: &World, producer: &str) -> Value {
    let body = w.app.gql(None, REPUTATION, json!({ "id": producer })).await;
    body["data"]["node"]["reputation"].clone()
}

/// Every producer's ID in `sort` order, one page of `first` at a time.
async fn walk(w: &World, sort: &str, first: i64) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = w
            .app
            .gql(
                None,
                &format!(
                    "query($a: String, $n: Int) {{ producers(sort: {sort}, first: $n, after: $a) {{
                    nodes {{ id }} pageInfo {{ hasNextPage endCursor }} }} }}"
                ),
                json!({ "a": after, "n": first }),
            )
            .await;
        let producers = &page["data"]["producers"];
        for node in producers["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"))
        {
            ids.push(node["id"].as_str().expect("id").to_owned());
        }
        if producers["pageInfo"]["hasNextPage"] != true {
            return ids;
        }
        after = producers["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn ratings_punctuality_and_disputes_make_a_public_record_the_registry_sorts_by() {
    let w = World::build().await;
    let (yangyuan, yangyuan_id) = crate::catalogue::producer_in(&w, "yangyuan", "130727").await;
    let (_, quiet_id) = crate::catalogue::producer_in(&w, "quiet", "130727").await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let millet = crate::world::product_input(&yangyuan_id, "阳原小米", "35.00");
    let millet = crate::catalogue::publish(&w, &yangyuan, millet).await;
    let empty = json!({ "ratingAverage": null, "ratingCount": 0, "onTimeShipmentRate": null,
                        "shippedOrders": 0, "disputeRate": null, "receivedOrders": 0 });
    assert_eq!(reputation(&w, &w.producer_id).await, empty);

    let (first, _) = received_order(&w, &w.producer_clerk, &potatoes, "reputation-1", 0).await;
    let (late, _) = received_order(&w, &w.producer_clerk, &potatoes, "reputation-2", 4).await;
    let (disputed, line) =
        received_order(&w, &w.producer_clerk, &potatoes, "reputation-3", 0).await;
    assert_eq!(rate(&w, &first, 5).await, json!([]));
    assert_eq!(rate(&w, &late, 3).await, json!([]));
    // Out of range and twice are refused, counting nothing.
    assert_eq!(
        rate(&w, &disputed, 6).await,
        json!([{ "field": ["input", "rating"], "code": "INVALID" }])
    );
    let again = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($id: ID!) { rateOrder(input: {orderId: $id, rating: 1}) { errors { code } } }",
            json!({ "id": first }),
        )
        .await;
    assert_ne!(again["data"]["rateOrder"]["errors"], json!([]), "{again}");

    // A request rejected by the producer and escalated by the buyer: a dispute, counted once
    // even when a second request on the order is escalated too.
    for round in 0..2 {
        let asked = w
            .app
            .gql(
                w.buyer_admin.token(),
                "mutation($input: RequestReturnInput!) { requestReturn(input: $input) { request { id } errors { code message } } }",
                json!({ "input": { "orderId": disputed, "kind": "REFUND_ONLY", "reason": "到货部分腐烂",
                                   "lines": [{ "lineId": line, "quantity": 1 }] } }),
            )
            .await;
        let request = asked["data"]["requestReturn"]["request"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("round {round}: {asked}"))
            .to_owned();
        for (who, mutation) in [
            (&w.producer_clerk, "rejectReturn"),
            (&w.buyer_admin, "escalateReturn"),
        ] {
            let body = w
                .app
                .gql(
                    who.token(),
                    &format!("mutation($id: ID!) {{ {mutation}(input: {{requestId: $id, reason: \"质量没有问题\"}}) {{ errors {{ code }} }} }}"),
                    json!({ "id": request }),
                )
                .await;
            assert_eq!(body["data"][mutation]["errors"], json!([]), "{body}");
        }
    }
    assert_eq!(
        reputation(&w, &w.producer_id).await,
        json!({ "ratingAverage": 4.0, "ratingCount": 2, "onTimeShipmentRate": 2.0 / 3.0,
                "shippedOrders": 3, "disputeRate": 1.0 / 3.0, "receivedOrders": 3 })
    );

    // 阳原: one order, on time, rated 5, undisputed.
    let (theirs, _) = received_order(&w, &yangyuan, &millet, "reputation-4", 0).await;
    assert_eq!(rate(&w, &theirs, 5).await, json!([]));
    let quiet = quiet_id.as_str();
    let (lingshou, yang) = (w.producer_id.as_str(), yangyuan_id.as_str());
    for (sort, leading) in [
        ("RATING", [yang, lingshou]),
        ("ON_TIME", [yang, lingshou]),
        ("FEWEST_DISPUTES", [yang, lingshou]),
    ] {
        for first in [1, 2, 10] {
            let order = walk(&w, sort, first).await;
            assert_eq!(order.len(), 3, "{sort}: {order:?}");
            assert_eq!(&order[..2], leading, "{sort} by {first}");
            assert_eq!(
                order[2], quiet,
                "{sort}: a producer with no record comes last"
            );
        }
    }

    // The tallies kept as orders moved equal those recomputed from the orders (the migration's
    // and the generator's backfill).
    let kept = producer::Entity::find()
        .order_by_asc(producer::Column::OrganizationId)
        .all(w.app.db())
        .await
        .expect("producers");
    producer::Entity::update_many()
        .col_expr(producer::Column::RatingSum, Expr::value(0))
        .col_expr(producer::Column::RatingCount, Expr::value(0))
        .col_expr(producer::Column::ShippedOrders, Expr::value(0))
        .col_expr(producer::Column::ShippedOnTime, Expr::value(0))
        .col_expr(producer::Column::ReceivedOrders, Expr::value(0))
        .col_expr(producer::Column::DisputedOrders, Expr::value(0))
        .exec(w.app.db())
        .await
        .expect("reset");
    migration::backfill_reputation(w.app.db())
        .await
        .expect("backfill");
    let recomputed = producer::Entity::find()
        .order_by_asc(producer::Column::OrganizationId)
        .all(w.app.db())
        .await
        .expect("producers");
    assert_eq!(recomputed, kept);
}
