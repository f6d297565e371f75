//! The contract front-ends are written against, pinned by snapshots: one response for each kind
//! of error (top-level with its code, or in a payload with its field path) and a few
//! representative answers. IDs and times vary per run and are redacted; everything else is
//! compared byte for byte, so any change to codes, messages or shapes shows up in review.

use serde_json::{Map, Value, json};

use crate::world::World;

const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
    orders { id status total paymentTerms buyer { name } producer { name }
             lines { nodes { productName price quantity amount } } availableTransitions }
    errors { field code message } } }";

/// Replaces what differs between runs (IDs, tokens, times) by a placeholder naming it.
fn redact(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, v)| {
                    let volatile = key == "id"
                        || key.ends_with("Id")
                        || key.ends_with("At")
                        || key.ends_with("Token");
                    let v = if volatile && !v.is_null() && !v.is_array() {
                        Value::String(format!("[{key}]"))
                    } else {
                        redact(v)
                    };
                    (key, v)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

/// The status and body of a request, whatever the status.
async fn answer(w: &World, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
    let response = w.app.post(token, query, variables).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn each_kind_of_error_answers_as_documented() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let basket = |quantity: i64, key: &str| json!({ "input": { "lines": [{ "productId": product, "quantity": quantity }], "idempotencyKey": key } });
    // A well-formed Order ID (simple UUID hex) that names no order.
    let unknown_order = "T3JkZXI6MDE5MzAwMDAwMDAwNzAwMDgwMDAwMDAwMDAwMGFiY2Q";
    let ship = "mutation($id: ID!) { shipOrder(input: {orderId: $id}) { order { status } errors { field code message } } }";
    let placed = w
        .app
        .gql(w.buyer_admin.token(), PLACE, basket(2, "contract-1"))
        .await;
    let order = placed["data"]["placeOrder"]["orders"][0]["id"].clone();

    let mut cases = Map::new();
    let mut case = |name: &str, (status, body): (u16, Value)| {
        cases.insert(
            name.to_owned(),
            json!({ "status": status, "body": redact(body) }),
        );
    };
    case(
        "unauthenticated",
        answer(&w, None, PLACE, basket(1, "contract-2")).await,
    );
    case(
        "forbidden_by_role",
        answer(&w, w.producer_admin.token(), PLACE, basket(1, "contract-3")).await,
    );
    case(
        "invalid_input_in_payload",
        answer(&w, w.buyer_admin.token(), PLACE, basket(0, "contract-4")).await,
    );
    case(
        "malformed_id",
        answer(
            &w,
            w.producer_admin.token(),
            ship,
            json!({ "id": "not-an-id" }),
        )
        .await,
    );
    case(
        "unknown_id",
        answer(
            &w,
            w.producer_admin.token(),
            ship,
            json!({ "id": unknown_order }),
        )
        .await,
    );
    case(
        "invalid_state",
        answer(&w, w.producer_admin.token(), ship, json!({ "id": order })).await,
    );
    case(
        "not_in_schema",
        answer(
            &w,
            w.buyer_admin.token(),
            "{ orders { nodes { secret } } }",
            json!({}),
        )
        .await,
    );
    case(
        "wrong_variable_type",
        answer(
            &w,
            w.buyer_admin.token(),
            PLACE,
            json!({ "input": { "lines": "many" } }),
        )
        .await,
    );
    insta::assert_json_snapshot!("error_contract", Value::Object(cases));
}

#[tokio::test]
async fn representative_answers_keep_their_shape() {
    let w = World::build().await;
    let potatoes = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let noodles = w.published_product("灵寿红薯粉条", "20.50").await;
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            PLACE,
            json!({ "input": {
                "lines": [{ "productId": potatoes, "quantity": 10 }, { "productId": noodles, "quantity": 4 }],
                "idempotencyKey": "contract-answer",
            } }),
        )
        .await;
    insta::assert_json_snapshot!("place_order", redact(placed));

    let catalogue = w
        .app
        .gql(
            None,
            "{ products(first: 5, sort: PRIORITY) { totalCount
                 nodes { name price unit stock status producer { name } region { name level } }
                 pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    insta::assert_json_snapshot!("catalogue_page", redact(catalogue));
}
