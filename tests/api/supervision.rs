//! Issue 15, item 3: a supervising department (主管预算单位) reads the orders, ledger entries and
//! target progress of the units below it by confirmed links (down the tree), and its group's
//! roll-up; a pending or revoked link grants nothing, and reading never lets it act.

use serde_json::{Value, json};

use crate::{
    consent::{declare, links, unit, year},
    harness::{Session, error_code},
    tallies::buy,
    world::{COUNTY, World},
};

const ORDERS: &str = "{ orders(first: 100) { totalCount nodes { id } } }";
const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";
const ENTRIES: &str = "{ ledgerEntries(first: 100) { totalCount } }";
const SUMMARY: &str = "{ ledgerSummary(groupBy: [BUYER]) { total } }";
const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }";
const PROGRESS: &str = "query($b: ID!, $y: Int!) { targetProgress(buyerId: $b, year: $y) {
    buyer { id } target purchased } }";
const GROUP: &str = "query($b: ID!, $y: Int!) { groupProgress(buyerId: $b, year: $y) {
    year own { buyer { id } target purchased percent }
    subordinates { buyer { id } target purchased remaining percent }
    target purchased remaining percent } }";
const CONFIRM: &str =
    "mutation($id: ID!) { confirmUnitLink(input: {id: $id}) { errors { code } } }";
const REVOKE: &str = "mutation($id: ID!) { revokeUnitLink(input: {id: $id, reason: \"不再隶属\"}) {
    errors { code } } }";

struct Group {
    w: World,
    agency: Session,
    agency_id: String,
    bureau: Session,
    bureau_id: String,
    school_id: String,
    stranger: Session,
    /// The bureau's order still awaiting the producer.
    open_order: String,
}

/// An agency; a bureau below it; a school below the bureau; a stranger agency. The agency buys
/// 10.00, the bureau 30.00 (and places one more order), the school 20.00. Links still pending.
async fn group() -> Group {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "10.00").await;
    let (agency, agency_id) = unit(&w, "sup.agency", "灵寿县教育局", "AGENCY", COUNTY, None).await;
    let (bureau, bureau_id) = unit(
        &w,
        "sup.bureau",
        "灵寿县教育服务中心",
        "AGENCY",
        COUNTY,
        Some(&agency_id),
    )
    .await;
    let (school, school_id) = unit(
        &w,
        "sup.school",
        "灵寿县第一中学",
        "SCHOOL",
        COUNTY,
        Some(&bureau_id),
    )
    .await;
    let (stranger, _) = unit(&w, "sup.stranger", "灵寿县水利局", "AGENCY", COUNTY, None).await;
    for (who, id) in [(&agency, &agency_id), (&bureau, &bureau_id)] {
        declare(
            &w,
            who,
            json!({ "buyerId": id, "year": year(), "canteen": "OWN_CANTEEN",
                    "canteenBudget": "10000.00", "reservedSharePercent": 10 }),
        )
        .await;
    }
    buy(&w, &agency, &product, 1, "sup-agency").await;
    buy(&w, &bureau, &product, 3, "sup-bureau").await;
    buy(&w, &school, &product, 2, "sup-school").await;
    let placed = w
        .app
        .gql(
            bureau.token(),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id } errors { code } } }",
            json!({ "input": { "lines": [{ "productId": product, "quantity": 1 }], "idempotencyKey": "sup-open" } }),
        )
        .await;
    let open_order = placed["data"]["placeOrder"]["orders"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("placeOrder: {placed}"))
        .to_owned();
    Group {
        w,
        agency,
        agency_id,
        bureau,
        bureau_id,
        school_id,
        stranger,
        open_order,
    }
}

impl Group {
    async fn query(&self, who: &Session, query: &str, variables: Value) -> Value {
        self.w.app.gql(who.token(), query, variables).await
    }

    async fn orders_seen(&self, who: &Session) -> i64 {
        let body = self.query(who, ORDERS, json!({})).await;
        body["data"]["orders"]["totalCount"]
            .as_i64()
            .unwrap_or_else(|| panic!("orders: {body}"))
    }

    async fn entries_seen(&self, who: &Session) -> i64 {
        let body = self.query(who, ENTRIES, json!({})).await;
        body["data"]["ledgerEntries"]["totalCount"]
            .as_i64()
            .unwrap_or_else(|| panic!("ledgerEntries: {body}"))
    }

    /// Whether `node` and `nodes` both show the bureau's open order (they must agree).
    async fn sees_order(&self, who: &Session) -> bool {
        let one = self
            .query(who, NODE, json!({ "id": self.open_order }))
            .await;
        let many = self
            .query(who, NODES, json!({ "ids": [self.open_order] }))
            .await;
        let seen = one["data"]["node"]["id"] == self.open_order.as_str();
        assert_eq!(
            many["data"]["nodes"][0]["id"] == self.open_order.as_str(),
            seen,
            "{one} {many}"
        );
        seen
    }

    async fn summary_total(&self, who: &Session) -> String {
        let body = self.query(who, SUMMARY, json!({})).await;
        body["data"]["ledgerSummary"]["total"]
            .as_str()
            .unwrap_or_else(|| panic!("ledgerSummary: {body}"))
            .to_owned()
    }

    async fn progress(&self, who: &Session, buyer: &str) -> Value {
        self.query(who, PROGRESS, json!({ "b": buyer, "y": year() }))
            .await
    }

    async fn group_progress(&self, who: &Session) -> Value {
        self.query(who, GROUP, json!({ "b": self.agency_id, "y": year() }))
            .await
    }

    /// The pending or confirmed parent link naming `parent` as the unit.
    async fn link_below(&self, who: &Session, parent: &str) -> Value {
        links(&self.w, who, parent)
            .await
            .into_iter()
            .find(|l| l["unit"]["id"] == parent && l["status"] != "REVOKED")
            .map_or_else(|| panic!("no link below {parent}"), |l| l["id"].clone())
    }

    async fn link(&self, who: &Session, mutation: &str, query: &str, parent: &str) {
        let link = self.link_below(who, parent).await;
        let body = self.query(who, query, json!({ "id": link })).await;
        assert_eq!(body["data"][mutation]["errors"], json!([]), "{body}");
    }

    /// The agency sees only its own figures, and the roll-up holds only them.
    async fn agency_sees_only_itself(&self) {
        assert_eq!(self.orders_seen(&self.agency).await, 1);
        assert!(!self.sees_order(&self.agency).await);
        assert_eq!(self.entries_seen(&self.agency).await, 1);
        assert_eq!(self.summary_total(&self.agency).await, "10.00");
        for below in [&self.bureau_id, &self.school_id] {
            let refused = self.progress(&self.agency, below).await;
            assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
        }
        let alone = self.group_progress(&self.agency).await;
        let alone = &alone["data"]["groupProgress"];
        assert_eq!(alone["subordinates"], json!([]), "{alone}");
        assert_eq!(alone["own"]["purchased"], "10.00");
        assert_eq!(alone["purchased"], "10.00");
        assert_eq!(alone["target"], "1000.00");
        assert_eq!(alone["percent"], 1);
    }

    /// Nobody but the bureau may move its order, whatever the agency can read.
    async fn agency_cannot_act(&self) {
        let id = &self.open_order;
        for (mutation, input, args) in [
            ("confirmOrder", "OrderIdInput", json!({ "orderId": id })),
            (
                "cancelOrder",
                "CancelOrderInput",
                json!({ "orderId": id, "reason": "上级单位撤销" }),
            ),
            (
                "receiveOrder",
                "ReceiveOrderInput",
                json!({ "orderId": id, "accepted": [] }),
            ),
        ] {
            let body = self
                .query(
                    &self.agency,
                    &format!("mutation($input: {input}!) {{ {mutation}(input: $input) {{ order {{ status }} errors {{ code }} }} }}"),
                    json!({ "input": args }),
                )
                .await;
            assert!(
                ["NOT_FOUND", "FORBIDDEN"].contains(&error_code(&body)),
                "{mutation}: {body}"
            );
        }
        let status = self
            .query(
                &self.bureau,
                "query($id: ID!) { order(id: $id) { status } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(status["data"]["order"]["status"], "PLACED", "{status}");
    }
}

#[tokio::test]
async fn a_supervising_department_reads_its_confirmed_units_and_only_while_confirmed() {
    let g = group().await;
    g.agency_sees_only_itself().await;

    g.link(&g.agency, "confirmUnitLink", CONFIRM, &g.agency_id)
        .await;
    g.link(&g.bureau, "confirmUnitLink", CONFIRM, &g.bureau_id)
        .await;

    // Its own order, the bureau's two and the school's one, down the tree.
    assert_eq!(g.orders_seen(&g.agency).await, 4);
    assert!(g.sees_order(&g.agency).await);
    assert_eq!(g.entries_seen(&g.agency).await, 3);
    assert_eq!(g.summary_total(&g.agency).await, "60.00");
    // The bureau supervises the school only.
    assert_eq!(g.orders_seen(&g.bureau).await, 3);
    assert_eq!(g.entries_seen(&g.bureau).await, 2);
    let bureau = g.progress(&g.agency, &g.bureau_id).await;
    assert_eq!(
        bureau["data"]["targetProgress"]["purchased"], "30.00",
        "{bureau}"
    );
    assert_eq!(bureau["data"]["targetProgress"]["target"], "1000.00");
    let school = g.progress(&g.agency, &g.school_id).await;
    assert_eq!(
        school["data"]["targetProgress"]["purchased"], "20.00",
        "{school}"
    );
    let up = g.progress(&g.bureau, &g.agency_id).await;
    assert_eq!(
        error_code(&up),
        "FORBIDDEN",
        "supervision reads down, not up"
    );

    let body = g.group_progress(&g.agency).await;
    let rollup = &body["data"]["groupProgress"];
    assert_eq!(rollup["year"], year(), "{body}");
    assert_eq!(rollup["own"]["buyer"]["id"], g.agency_id.as_str());
    assert_eq!(rollup["own"]["purchased"], "10.00");
    let mut subordinates: Vec<(String, String, Value)> = rollup["subordinates"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|s| {
            (
                s["buyer"]["id"].as_str().unwrap_or_default().to_owned(),
                s["purchased"].as_str().unwrap_or_default().to_owned(),
                s["target"].clone(),
            )
        })
        .collect();
    subordinates.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = vec![
        (g.bureau_id.clone(), "30.00".to_owned(), json!("1000.00")),
        (g.school_id.clone(), "20.00".to_owned(), Value::Null),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(subordinates, expected);
    assert_eq!(rollup["purchased"], "60.00");
    assert_eq!(rollup["target"], "2000.00");
    assert_eq!(rollup["remaining"], "1940.00");
    assert_eq!(rollup["percent"], 3);

    g.agency_cannot_act().await;

    // A stranger unit sees nothing of the group.
    assert_eq!(g.orders_seen(&g.stranger).await, 0);
    assert!(!g.sees_order(&g.stranger).await);
    assert_eq!(g.entries_seen(&g.stranger).await, 0);
    assert_eq!(g.summary_total(&g.stranger).await, "0.00");
    let refused = g.progress(&g.stranger, &g.bureau_id).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let refused = g.group_progress(&g.stranger).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let refused = g
        .query(&g.bureau, GROUP, json!({ "b": g.agency_id, "y": year() }))
        .await;
    assert_eq!(
        error_code(&refused),
        "FORBIDDEN",
        "the roll-up is the department's"
    );

    // Revoking the bureau's link ends the agency's sight of the whole branch.
    g.link(&g.agency, "revokeUnitLink", REVOKE, &g.agency_id)
        .await;
    g.agency_sees_only_itself().await;
    assert_eq!(
        g.orders_seen(&g.bureau).await,
        3,
        "the bureau still supervises the school"
    );
}

/// A canteen below the department counts toward the department's own target and is also one of
/// its subordinates: the group's total counts its purchases once.
#[tokio::test]
async fn a_group_counts_a_purchase_once_however_many_figures_show_it() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "12.50").await;
    let (agency, agency_id) = unit(&w, "grp.agency", "灵寿县民政局", "AGENCY", COUNTY, None).await;
    declare(
        &w,
        &agency,
        json!({ "buyerId": agency_id, "year": year(), "canteen": "OWN_CANTEEN",
                "canteenBudget": "1000.00", "reservedSharePercent": 10 }),
    )
    .await;
    let (canteen, canteen_id) = unit(
        &w,
        "grp.canteen",
        "灵寿县民政局机关食堂",
        "CANTEEN",
        COUNTY,
        Some(&agency_id),
    )
    .await;
    buy(&w, &agency, &product, 1, "grp-agency").await;
    buy(&w, &canteen, &product, 3, "grp-canteen").await;
    let link = links(&w, &agency, &agency_id)
        .await
        .into_iter()
        .find(|l| l["kind"] == "CANTEEN")
        .map_or_else(|| panic!("no canteen link"), |l| l["id"].clone());
    let done = w
        .app
        .gql(agency.token(), CONFIRM, json!({ "id": link }))
        .await;
    assert_eq!(
        done["data"]["confirmUnitLink"]["errors"],
        json!([]),
        "{done}"
    );

    let body = w
        .app
        .gql(
            agency.token(),
            GROUP,
            json!({ "b": agency_id, "y": year() }),
        )
        .await;
    let rollup = &body["data"]["groupProgress"];
    assert_eq!(rollup["own"]["purchased"], "50.00", "{body}");
    assert_eq!(
        rollup["subordinates"][0]["buyer"]["id"],
        canteen_id.as_str()
    );
    assert_eq!(rollup["subordinates"][0]["purchased"], "37.50");
    assert_eq!(rollup["purchased"], "50.00", "not 87.50");
    assert_eq!(rollup["target"], "100.00");
    assert_eq!(rollup["remaining"], "50.00");
    assert_eq!(rollup["percent"], 50);
}
