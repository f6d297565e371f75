//! What officials report: ledger totals by area, buyer, kind, category and month, and each
//! buyer's progress to its target.

use chrono::{Datelike, Utc};
use serde_json::{Value, json};

use crate::{
    harness::{Session, error_code},
    world::{CREATE_BUYER, World},
};

/// Places, ships and receives one order of `quantity` as `buyer`.
pub async fn buy(w: &World, buyer: &Session, product: &str, quantity: i64, key: &str) {
    let placed = w
        .app
        .gql(
            buyer.token(),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id } errors { code } } }",
            json!({ "input": { "lines": [{ "productId": product, "quantity": quantity }], "idempotencyKey": key } }),
        )
        .await;
    let id = placed["data"]["placeOrder"]["orders"][0]["id"].clone();
    assert!(id.is_string(), "{placed}");
    for (token, mutation) in [
        (w.producer_clerk.token(), "confirmOrder"),
        (w.producer_clerk.token(), "shipOrder"),
        (buyer.token(), "receiveOrder"),
    ] {
        crate::live::step(&w.app, token, mutation, id.as_str().expect("order id")).await;
    }
}

const SUMMARY: &str = "query($g: [LedgerDimension!]!, $f: LedgerSummaryFilter) { ledgerSummary(groupBy: $g, filter: $f) {
    total groups { keys { dimension value label } amount quantity entries } } }";

fn groups(body: &Value) -> Vec<(Vec<String>, String)> {
    body["data"]["ledgerSummary"]["groups"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|g| {
            let keys = g["keys"]
                .as_array()
                .expect("keys")
                .iter()
                .map(|k| k["label"].as_str().unwrap_or_default().to_owned())
                .collect();
            (keys, g["amount"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn totals_roll_up_the_region_tree_and_split_by_any_two_dimensions() {
    let w = World::build().await;
    let local = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let dear = w.published_product("灵寿红薯礼盒", "100.00").await;
    buy(&w, &w.buyer_admin, &local, 10, "tally-order-1").await;
    buy(&w, &w.buyer_admin, &dear, 2, "tally-order-2").await;

    let by_county = w
        .app
        .gql(w.auditor.token(), SUMMARY, json!({ "g": ["COUNTY"] }))
        .await;
    assert_eq!(
        groups(&by_county),
        [(vec!["灵寿县".to_owned()], "650.00".to_owned())]
    );
    assert_eq!(by_county["data"]["ledgerSummary"]["total"], "650.00");
    let by_village = w
        .app
        .gql(w.auditor.token(), SUMMARY, json!({ "g": ["VILLAGE"] }))
        .await;
    assert_eq!(groups(&by_village)[0].0, ["青廉村民委员会"]);

    let two = w
        .app
        .gql(
            w.auditor.token(),
            SUMMARY,
            json!({ "g": ["BUYER_KIND", "MONTH"] }),
        )
        .await;
    let month = format!("{:04}-{:02}", Utc::now().year(), Utc::now().month());
    assert_eq!(
        groups(&two),
        [(vec!["CANTEEN".to_owned(), month], "650.00".to_owned())]
    );
    let by_product_category = w
        .app
        .gql(
            w.auditor.token(),
            SUMMARY,
            json!({ "g": ["CATEGORY", "PRODUCER"] }),
        )
        .await;
    assert_eq!(
        groups(&by_product_category)[0].0,
        ["GRAIN_OIL", "灵寿县青廉红薯种植专业合作社"]
    );

    let elsewhere = w
        .app
        .gql(
            w.auditor.token(),
            SUMMARY,
            json!({ "g": ["COUNTY"], "f": { "regionCode": "130727" } }),
        )
        .await;
    assert_eq!(elsewhere["data"]["ledgerSummary"]["groups"], json!([]));
    let certified = w
        .app
        .gql(
            w.auditor.token(),
            SUMMARY,
            json!({ "g": [], "f": { "certifiedOnly": true } }),
        )
        .await;
    assert_eq!(certified["data"]["ledgerSummary"]["total"], "0.00");

    // The other county's officer sees nothing; the buyer sees its own; strangers nothing.
    let other = w
        .app
        .gql(w.other_officer.token(), SUMMARY, json!({ "g": [] }))
        .await;
    assert_eq!(other["data"]["ledgerSummary"]["total"], "0.00");
    let own = w
        .app
        .gql(w.buyer_admin.token(), SUMMARY, json!({ "g": [] }))
        .await;
    assert_eq!(own["data"]["ledgerSummary"]["total"], "650.00");
    let stranger = w
        .app
        .gql(w.outsider.token(), SUMMARY, json!({ "g": [] }))
        .await;
    assert_eq!(error_code(&stranger), "FORBIDDEN");
    let three = w
        .app
        .gql(
            w.auditor.token(),
            SUMMARY,
            json!({ "g": ["COUNTY", "MONTH", "BUYER"] }),
        )
        .await;
    assert_eq!(error_code(&three), "BAD_USER_INPUT");

    // Refunds come off the totals, even for a question asked (and kept) before.
    let before = w
        .app
        .gql(w.auditor.token(), SUMMARY, json!({ "g": [] }))
        .await;
    assert_eq!(before["data"]["ledgerSummary"]["total"], "650.00");
    let order = w
        .app
        .gql(
            w.buyer_admin.token(),
            "{ orders(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let refund = w
        .app
        .gql(
            w.producer_clerk.token(),
            "mutation($id: ID!) { refundOrder(input: {orderId: $id, reason: \"质量问题\"}) { errors { code } } }",
            json!({ "id": order["data"]["orders"]["nodes"][0]["id"] }),
        )
        .await;
    assert_eq!(refund["data"]["refundOrder"]["errors"], json!([]));
    let after = w
        .app
        .gql(w.auditor.token(), SUMMARY, json!({ "g": [] }))
        .await;
    let total = after["data"]["ledgerSummary"]["total"]
        .as_str()
        .expect("total");
    assert!(
        total == "450.00" || total == "200.00",
        "one of the two orders refunded: {total}"
    );
}

#[tokio::test]
async fn a_buyers_progress_counts_its_union_and_staff() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "50.00").await;
    let year = Utc::now().year();
    let declared = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: SetProcurementTargetInput!) { setProcurementTarget(input: $input) { errors { code } } }",
            json!({ "input": { "buyerId": w.buyer_id, "year": year, "canteen": "OWN_CANTEEN",
                               "canteenBudget": "10000.00", "reservedSharePercent": 10 } }),
        )
        .await;
    assert_eq!(
        declared["data"]["setProcurementTarget"]["errors"],
        json!([])
    );
    buy(&w, &w.buyer_admin, &product, 4, "progress-1").await;

    // The unit's trade union buys too, and counts.
    let union = w
        .app
        .register(
            "canteen.union",
            Some(("石家庄市机关事务管理局工会", "BUYER")),
        )
        .await;
    let org = w
        .app
        .gql(union.token(), "{ me { organization { id } } }", json!({}))
        .await;
    let created = w
        .app
        .gql(
            union.token(),
            CREATE_BUYER,
            json!({ "input": { "organizationId": org["data"]["me"]["organization"]["id"], "name": "石家庄市机关事务管理局工会",
                               "kind": "SOCIAL_ORGANIZATION", "regionCode": "1301", "parentId": w.buyer_id,
                               "contactName": "工会主席", "contactPhone": "0311-86000001" } }),
        )
        .await;
    assert_eq!(
        created["data"]["createBuyer"]["errors"],
        json!([]),
        "{created}"
    );
    // Naming the parent only proposes the link; the unit's admin confirms it (issue 13).
    let links = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($id: ID!) { node(id: $id) { ... on Buyer { unitLinks(status: PENDING) { id kind } } } }",
            json!({ "id": w.buyer_id }),
        )
        .await;
    let link = &links["data"]["node"]["unitLinks"][0];
    assert_eq!(link["kind"], "UNION", "{links}");
    let confirmed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($id: ID!) { confirmUnitLink(input: {id: $id}) { unitLink { status } errors { code } } }",
            json!({ "id": link["id"] }),
        )
        .await;
    assert_eq!(
        confirmed["data"]["confirmUnitLink"]["unitLink"]["status"], "CONFIRMED",
        "{confirmed}"
    );
    buy(&w, &union, &product, 6, "progress-2").await;

    // An unrelated unit does not count.
    let (stranger, _) = other_buyer(&w).await;
    buy(&w, &stranger, &product, 1, "progress-3").await;

    let progress = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($b: ID!, $y: Int!) { targetProgress(buyerId: $b, year: $y) { target purchased remaining percent countedBuyers { name } } }",
            json!({ "b": w.buyer_id, "y": year }),
        )
        .await;
    let progress = &progress["data"]["targetProgress"];
    assert_eq!(progress["target"], "1000.00");
    assert_eq!(
        progress["purchased"], "500.00",
        "200.00 by the canteen + 300.00 by its union"
    );
    assert_eq!(progress["remaining"], "500.00");
    assert_eq!(progress["percent"], 50);
    assert_eq!(progress["countedBuyers"].as_array().map(Vec::len), Some(2));
    let denied = w
        .app
        .gql(
            w.outsider.token(),
            "query($b: ID!, $y: Int!) { targetProgress(buyerId: $b, year: $y) { purchased } }",
            json!({ "b": w.buyer_id, "y": year }),
        )
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");
}

async fn other_buyer(w: &World) -> (Session, String) {
    let session = w
        .app
        .register("school.buyer", Some(("灵寿县第一中学", "BUYER")))
        .await;
    let org = w
        .app
        .gql(session.token(), "{ me { organization { id } } }", json!({}))
        .await;
    let created = w
        .app
        .gql(
            session.token(),
            CREATE_BUYER,
            json!({ "input": { "organizationId": org["data"]["me"]["organization"]["id"], "name": "灵寿县第一中学",
                               "kind": "SCHOOL", "regionCode": "130126", "contactName": "校长", "contactPhone": "0311-82000000" } }),
        )
        .await;
    let id = created["data"]["createBuyer"]["buyer"]["id"]
        .as_str()
        .expect("buyer")
        .to_owned();
    (session, id)
}
