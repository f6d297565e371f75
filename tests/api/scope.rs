//! Nobody sees more than their scope (issue 13, item 6): `node`/`nodes` show exactly what the
//! lists show, for every `Node` type and every kind of viewer; a foreign ID answers exactly like
//! an unknown one wherever existence is private; the audit trail is read region by region; and
//! failed sign-ins are audited without the password.

use std::collections::BTreeSet;

use fupin_market::ids::{self, NodeKind};
use serde_json::{Value, json};

use crate::{
    harness::{PASSWORD, Session},
    world::{CREATE_BUYER, CREATE_PRODUCER, OTHER_COUNTY, VILLAGE, World, producer_input},
};

/// Everything the tests below look at, built through the API on top of the test world.
struct Scene {
    w: World,
    /// Admin of an unverified producer in 阳原县 (another organisation than the world's).
    other_coop: Session,
    other_org: String,
    other_producer: String,
    /// A buyer unit in 佛山.
    foshan: Session,
    published: String,
    draft: String,
    order: String,
    agreement: String,
    certification: String,
    alert: String,
    drive: String,
    pairing: String,
    producer_org: String,
    buyer_org: String,
}

async fn org_of(w: &World, session: &Session) -> String {
    let body = w
        .app
        .gql(session.token(), "{ me { organization { id } } }", json!({}))
        .await;
    body["data"]["me"]["organization"]["id"]
        .as_str()
        .expect("organization")
        .to_owned()
}

fn data<'a>(body: &'a Value, field: &str) -> &'a Value {
    let payload = &body["data"][field];
    assert_eq!(payload["errors"], json!([]), "{field}: {body}");
    payload
}

impl Scene {
    async fn build() -> Scene {
        let w = World::build().await;
        let app = &w.app;
        let other_coop = app
            .register(
                "yangyuan.coop",
                Some(("阳原县杏果种植专业合作社", "PRODUCER")),
            )
            .await;
        let other_org = org_of(&w, &other_coop).await;
        let created = app
            .gql(
                other_coop.token(),
                CREATE_PRODUCER,
                json!({ "input": producer_input(Some(json!(other_org)), "阳原县杏果种植专业合作社", OTHER_COUNTY) }),
            )
            .await;
        let other_producer = data(&created, "createProducer")["producer"]["id"]
            .as_str()
            .expect("producer")
            .to_owned();

        let foshan = app
            .register("foshan.canteen", Some(("佛山市禅城区机关食堂", "BUYER")))
            .await;
        let foshan_org = org_of(&w, &foshan).await;
        let buyer = app
            .gql(
                foshan.token(),
                CREATE_BUYER,
                json!({ "input": { "organizationId": foshan_org, "name": "佛山市禅城区机关食堂",
                    "kind": "CANTEEN", "regionCode": "4406", "contactName": "陈采购", "contactPhone": "0757-83000000" } }),
            )
            .await;
        data(&buyer, "createBuyer");
        // Sign in again: the token now carries the BUYER role.
        let foshan = app.login("foshan.canteen", PASSWORD).await;

        let published = w.published_product("灵寿红薯 5kg装", "45.00").await;
        let draft = w.draft_product("灵寿红薯(未上架)", "45.00").await;
        let placed = app
            .gql(
                w.buyer_admin.token(),
                "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id } errors { code } } }",
                json!({ "input": { "lines": [{ "productId": published, "quantity": 2 }], "idempotencyKey": "scope-order-1" } }),
            )
            .await;
        let order = data(&placed, "placeOrder")["orders"][0]["id"]
            .as_str()
            .expect("order")
            .to_owned();
        let today = chrono::Utc::now().date_naive();
        let proposed = app
            .gql(
                w.buyer_admin.token(),
                "mutation($input: ProposeAgreementInput!) { proposeAgreement(input: $input) { agreement { id } errors { code } } }",
                json!({ "input": { "productId": published, "price": "40.00", "totalQuantity": 100,
                    "startsOn": today.to_string(), "endsOn": (today + chrono::Duration::days(90)).to_string(), "rhythm": "每周一配送" } }),
            )
            .await;
        let agreement = data(&proposed, "proposeAgreement")["agreement"]["id"]
            .as_str()
            .expect("agreement")
            .to_owned();
        let applied = app
            .gql(
                w.producer_clerk.token(),
                "mutation($id: ID!) { applyCertification(input: {productId: $id,
                    evidence: \"订单收购社员红薯, 带动建档立卡贫困户86户, 户均增收3200元\"}) { certification { id } errors { code } } }",
                json!({ "id": published }),
            )
            .await;
        let certification = data(&applied, "applyCertification")["certification"]["id"]
            .as_str()
            .expect("certification")
            .to_owned();
        let reported = app
            .gql(
                w.producer_clerk.token(),
                "mutation($input: ReportUnsoldInput!) { reportUnsold(input: $input) { alert { id } errors { code } } }",
                json!({ "input": { "productId": published, "quantity": 500,
                    "until": (today + chrono::Duration::days(30)).to_string() } }),
            )
            .await;
        let alert = data(&reported, "reportUnsold")["alert"]["id"]
            .as_str()
            .expect("alert")
            .to_owned();
        let started = app
            .gql(
                w.officer.token(),
                "mutation($input: CreatePurchaseDriveInput!) { createPurchaseDrive(input: $input) { drive { id } errors { code } } }",
                json!({ "input": { "name": "灵寿红薯集中采购", "regionCode": "130126",
                    "startsOn": today.to_string(), "endsOn": (today + chrono::Duration::days(10)).to_string() } }),
            )
            .await;
        let drive = data(&started, "createPurchaseDrive")["drive"]["id"]
            .as_str()
            .expect("drive")
            .to_owned();
        let paired = app
            .gql(
                w.admin.token(),
                "mutation($input: CreatePairingInput!) { createPairing(input: $input) { pairing { id } errors { code } } }",
                json!({ "input": { "helperRegionCode": "4406", "helpedRegionCode": "130126",
                    "kind": "EAST_WEST", "startsOn": "2021-01-01" } }),
            )
            .await;
        let pairing = data(&paired, "createPairing")["pairing"]["id"]
            .as_str()
            .expect("pairing")
            .to_owned();
        let producer_org = org_of(&w, &w.producer_admin).await;
        let buyer_org = org_of(&w, &w.buyer_admin).await;
        Scene {
            w,
            other_coop,
            other_org,
            other_producer,
            foshan,
            published,
            draft,
            order,
            agreement,
            certification,
            alert,
            drive,
            pairing,
            producer_org,
            buyer_org,
        }
    }

    /// Every kind of viewer, by name.
    fn actors(&self) -> Vec<(&'static str, Option<&str>)> {
        let w = &self.w;
        vec![
            ("anonymous", None),
            ("user without organisation", w.outsider.token()),
            ("buyer member", w.buyer_admin.token()),
            ("buyer member in 佛山", self.foshan.token()),
            ("producer member", w.producer_clerk.token()),
            (
                "producer member of another organisation",
                self.other_coop.token(),
            ),
            // The officer of 阳原县: the world's producer and products are outside their region.
            ("officer out of scope", w.other_officer.token()),
            ("officer in scope", w.officer.token()),
            ("auditor", w.auditor.token()),
            ("admin", w.admin.token()),
        ]
    }
}

/// The IDs found at `path` (a `/`-separated walk; arrays are flattened) in a query's answer,
/// none when the query is refused.
async fn ids_in(w: &World, token: Option<&str>, query: &str, path: &str) -> BTreeSet<String> {
    let body = w.app.gql(token, query, json!({})).await;
    let mut found = BTreeSet::new();
    let mut values = vec![&body["data"]];
    for step in path.split('/') {
        let mut next = Vec::new();
        for value in values {
            match &value[step] {
                Value::Array(items) => next.extend(items.iter()),
                Value::Null => {}
                other => next.push(other),
            }
        }
        values = next;
    }
    for value in values {
        if let Some(id) = value.as_str() {
            found.insert(id.to_owned());
        }
    }
    found
}

/// The same object's ID as another type (a producer's or buyer's organisation).
fn as_kind(id: &str, kind: NodeKind) -> String {
    let (_, uuid) = ids::decode(id).expect("a UUID-keyed ID");
    kind.id(uuid).0
}

/// What the lists show this viewer of `kind`.
async fn listed(s: &Scene, token: Option<&str>, kind: NodeKind) -> BTreeSet<String> {
    let w = &s.w;
    match kind {
        NodeKind::User => {
            let mut all = ids_in(
                w,
                token,
                "{ users(first: 100) { nodes { id } } }",
                "users/nodes/id",
            )
            .await;
            all.extend(ids_in(w, token, "{ me { id } }", "me/id").await);
            all.extend(
                ids_in(
                    w,
                    token,
                    "{ me { organization { members(first: 100) { nodes { user { id } } } } } }",
                    "me/organization/members/nodes/user/id",
                )
                .await,
            );
            all
        }
        NodeKind::Organization => {
            // An organisation is listed through its producer or buyer profile, or as the
            // viewer's own.
            let mut all: BTreeSet<String> = listed_boxed(s, token, NodeKind::Producer)
                .await
                .iter()
                .chain(listed_boxed(s, token, NodeKind::Buyer).await.iter())
                .map(|id| as_kind(id, NodeKind::Organization))
                .collect();
            all.extend(
                ids_in(
                    w,
                    token,
                    "{ me { organization { id } } }",
                    "me/organization/id",
                )
                .await,
            );
            all
        }
        NodeKind::Region => {
            ids_in(w, token, "{ region(code: \"130126\") { id } }", "region/id").await
        }
        NodeKind::Pairing => {
            ids_in(
                w,
                token,
                "{ region(code: \"130126\") { pairedWith { id } } }",
                "region/pairedWith/id",
            )
            .await
        }
        NodeKind::Producer => {
            ids_in(
                w,
                token,
                "{ producers(first: 100) { nodes { id } } }",
                "producers/nodes/id",
            )
            .await
        }
        NodeKind::Buyer => {
            ids_in(
                w,
                token,
                "{ buyers(first: 100) { nodes { id } } }",
                "buyers/nodes/id",
            )
            .await
        }
        NodeKind::Product => {
            let mut all = ids_in(
                w,
                token,
                "{ products(first: 100) { nodes { id } } }",
                "products/nodes/id",
            )
            .await;
            for producer in [&w.producer_id, &s.other_producer] {
                let query = format!(
                    "{{ products(first: 100, filter: {{producerId: \"{producer}\", includeUnlisted: true}}) {{ nodes {{ id }} }} }}"
                );
                all.extend(ids_in(w, token, &query, "products/nodes/id").await);
            }
            all
        }
        NodeKind::Certification => {
            ids_in(
                w,
                token,
                "{ certifications(first: 100) { nodes { id } } }",
                "certifications/nodes/id",
            )
            .await
        }
        NodeKind::Order => {
            ids_in(
                w,
                token,
                "{ orders(first: 100) { nodes { id } } }",
                "orders/nodes/id",
            )
            .await
        }
        NodeKind::Shipment => {
            ids_in(
                w,
                token,
                "{ orders(first: 100) { nodes { shipments { id } } } }",
                "orders/nodes/shipments/id",
            )
            .await
        }
        NodeKind::UnsoldAlert => {
            ids_in(
                w,
                token,
                "{ unsoldAlerts(first: 100) { nodes { id } } }",
                "unsoldAlerts/nodes/id",
            )
            .await
        }
        NodeKind::PurchaseDrive => {
            ids_in(
                w,
                token,
                "{ purchaseDrives(first: 100) { nodes { id } } }",
                "purchaseDrives/nodes/id",
            )
            .await
        }
        NodeKind::Fair => {
            ids_in(
                w,
                token,
                "{ fairs(first: 100) { nodes { id } } }",
                "fairs/nodes/id",
            )
            .await
        }
        NodeKind::OrderLine
        | NodeKind::FairSalesReport
        | NodeKind::LedgerEntry
        | NodeKind::Agreement
        | NodeKind::UnitLink
        | NodeKind::TaskAllocation
        | NodeKind::ClosedPeriod
        | NodeKind::Demand
        | NodeKind::Quote
        | NodeKind::OutletReportLine
        | NodeKind::Payment
        | NodeKind::Lot
        | NodeKind::File
        | NodeKind::ReturnRequest
        | NodeKind::Invoice
        | NodeKind::QualityMarkCertificate
        | NodeKind::WebhookEndpoint
        | NodeKind::WebhookDelivery => BTreeSet::new(),
        NodeKind::Outlet => {
            ids_in(
                w,
                token,
                "{ outlets(first: 100) { nodes { id } } }",
                "outlets/nodes/id",
            )
            .await
        }
        NodeKind::OutletReport => {
            ids_in(
                w,
                token,
                "{ outletReports(first: 100) { nodes { id } } }",
                "outletReports/nodes/id",
            )
            .await
        }
        NodeKind::RedWarning => {
            ids_in(
                w,
                token,
                "{ redWarnings(first: 100) { nodes { id } } }",
                "redWarnings/nodes/id",
            )
            .await
        }
    }
}

/// `listed`, boxed for the recursion of organisations through their profiles.
fn listed_boxed<'a>(
    s: &'a Scene,
    token: Option<&'a str>,
    kind: NodeKind,
) -> std::pin::Pin<Box<dyn Future<Output = BTreeSet<String>> + 'a>> {
    Box::pin(listed(s, token, kind))
}

#[tokio::test]
async fn node_shows_exactly_what_the_lists_show_for_every_type_and_viewer() {
    let s = Scene::build().await;
    let w = &s.w;
    let objects: Vec<(NodeKind, &str, String)> = vec![
        (
            NodeKind::User,
            "a producer's clerk",
            w.producer_clerk.user_id.clone(),
        ),
        (
            NodeKind::User,
            "a buyer's admin",
            w.buyer_admin.user_id.clone(),
        ),
        (NodeKind::User, "an officer", w.officer.user_id.clone()),
        (
            NodeKind::Organization,
            "a verified producer's",
            s.producer_org.clone(),
        ),
        (
            NodeKind::Organization,
            "an unverified producer's",
            s.other_org.clone(),
        ),
        (NodeKind::Organization, "a buyer's", s.buyer_org.clone()),
        (
            NodeKind::Region,
            "a county",
            NodeKind::Region.keyed("130126").0,
        ),
        (NodeKind::Pairing, "a pairing", s.pairing.clone()),
        (
            NodeKind::Producer,
            "a verified producer",
            w.producer_id.clone(),
        ),
        (
            NodeKind::Producer,
            "an unverified producer",
            s.other_producer.clone(),
        ),
        (NodeKind::Buyer, "a buyer", w.buyer_id.clone()),
        (
            NodeKind::Product,
            "a published product",
            s.published.clone(),
        ),
        (NodeKind::Product, "a draft", s.draft.clone()),
        (
            NodeKind::Certification,
            "an application",
            s.certification.clone(),
        ),
        (NodeKind::Order, "an order", s.order.clone()),
        (NodeKind::UnsoldAlert, "a warning", s.alert.clone()),
        (NodeKind::PurchaseDrive, "a drive", s.drive.clone()),
    ];
    let all_ids: Vec<&str> = objects.iter().map(|(_, _, id)| id.as_str()).collect();
    let mut visible: Vec<(&str, Vec<&str>)> = Vec::new();
    for (actor, token) in s.actors() {
        let mut sees = Vec::new();
        let batch = w
            .app
            .gql(
                token,
                "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                json!({ "ids": all_ids }),
            )
            .await;
        for (index, (kind, what, id)) in objects.iter().enumerate() {
            let one = w
                .app
                .gql(
                    token,
                    "query($id: ID!) { node(id: $id) { id } }",
                    json!({ "id": id }),
                )
                .await;
            let by_node = !one["data"]["node"].is_null();
            let in_list = listed(&s, token, *kind).await.contains(id);
            assert_eq!(
                by_node,
                in_list,
                "{what} ({}) for the {actor}: node says {by_node}, the list says {in_list}",
                kind.name()
            );
            assert_eq!(
                batch["data"]["nodes"][index].is_null(),
                !by_node,
                "nodes and node agree on {what} for the {actor}"
            );
            if by_node {
                sees.push(*what);
            }
        }
        visible.push((actor, sees));
    }
    let sees = |actor: &str| {
        visible
            .iter()
            .find(|(a, _)| *a == actor)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    assert_eq!(sees("admin").len(), objects.len(), "admins see everything");
    assert_eq!(
        sees("anonymous"),
        [
            "a verified producer's",
            "a county",
            "a pairing",
            "a verified producer",
            "a published product",
            "a drive"
        ],
        "the public sees what is published"
    );
    assert!(
        sees("officer in scope").contains(&"an application")
            && !sees("officer out of scope").contains(&"an application"),
        "certifications by region"
    );
    // The case reported: an unverified producer, with its licence number, for nobody outside.
    let anonymous = w
        .app
        .gql(
            None,
            "query($id: ID!) { node(id: $id) { ... on Producer { licenceNo } } }",
            json!({ "id": s.other_producer }),
        )
        .await;
    assert_eq!(anonymous["data"]["node"], Value::Null);
    let staff = w
        .app
        .gql(
            w.other_officer.token(),
            "query($id: ID!) { node(id: $id) { ... on Producer { licenceNo } } }",
            json!({ "id": s.other_producer }),
        )
        .await;
    assert_eq!(
        staff["data"]["node"]["licenceNo"], "93130126MA0109Y098",
        "the officer of its county sees it"
    );
}

/// The whole answer, which must not differ between a foreign and an unknown ID.
async fn answer(w: &World, token: Option<&str>, document: &str, input: Value) -> Value {
    w.app.gql(token, document, json!({ "input": input })).await
}

fn unknown(kind: NodeKind) -> String {
    kind.id(ids::new_uuid()).0
}

#[tokio::test]
async fn a_foreign_id_answers_exactly_like_an_unknown_one() {
    let s = Scene::build().await;
    let w = &s.w;
    let order_doc = |m: &str, t: &str| {
        format!(
            "mutation($input: {t}!) {{ {m}(input: $input) {{ order {{ id }} errors {{ field code message }} }} }}"
        )
    };
    let agreement_doc = |m: &str, t: &str| {
        format!(
            "mutation($input: {t}!) {{ {m}(input: $input) {{ agreement {{ id }} errors {{ field code message }} }} }}"
        )
    };
    let unknown_order = unknown(NodeKind::Order);
    let unknown_agreement = unknown(NodeKind::Agreement);
    let unknown_product = unknown(NodeKind::Product);
    let unknown_producer = unknown(NodeKind::Producer);
    let unknown_certification = unknown(NodeKind::Certification);
    let unknown_organization = unknown(NodeKind::Organization);
    let today = chrono::Utc::now().date_naive();
    // (what, who asks, document, input with the foreign ID, the same with an unknown one)
    let cases: Vec<(&str, Option<&str>, String, Value, Value)> = vec![
        (
            "cancelOrder of another organisation's order",
            s.other_coop.token(),
            order_doc("cancelOrder", "CancelOrderInput"),
            json!({ "orderId": s.order, "reason": "不要了" }),
            json!({ "orderId": unknown_order, "reason": "不要了" }),
        ),
        (
            "cancelOrder by a buyer of another unit",
            s.foshan.token(),
            order_doc("cancelOrder", "CancelOrderInput"),
            json!({ "orderId": s.order, "reason": "不要了" }),
            json!({ "orderId": unknown_order, "reason": "不要了" }),
        ),
        (
            "confirmOrder",
            s.other_coop.token(),
            order_doc("confirmOrder", "OrderIdInput"),
            json!({ "orderId": s.order }),
            json!({ "orderId": unknown_order }),
        ),
        (
            "rateOrder",
            s.foshan.token(),
            order_doc("rateOrder", "RateOrderInput"),
            json!({ "orderId": s.order, "rating": 5 }),
            json!({ "orderId": unknown_order, "rating": 5 }),
        ),
        (
            "refundOrder",
            s.other_coop.token(),
            order_doc("refundOrder", "RefundOrderInput"),
            json!({ "orderId": s.order, "reason": "退货" }),
            json!({ "orderId": unknown_order, "reason": "退货" }),
        ),
        (
            "acceptAgreement",
            s.other_coop.token(),
            agreement_doc("acceptAgreement", "AgreementIdInput"),
            json!({ "agreementId": s.agreement }),
            json!({ "agreementId": unknown_agreement }),
        ),
        (
            "terminateAgreement",
            s.foshan.token(),
            agreement_doc("terminateAgreement", "TerminateAgreementInput"),
            json!({ "agreementId": s.agreement, "reason": "无关" }),
            json!({ "agreementId": unknown_agreement, "reason": "无关" }),
        ),
        (
            "placeOrder under another buyer's agreement",
            s.foshan.token(),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id } errors { field code message } } }".to_owned(),
            json!({ "lines": [{ "productId": s.published, "quantity": 1 }], "agreementId": s.agreement, "idempotencyKey": "scope-foreign-1" }),
            json!({ "lines": [{ "productId": s.published, "quantity": 1 }], "agreementId": unknown_agreement, "idempotencyKey": "scope-foreign-2" }),
        ),
        (
            "placeOrder of a draft",
            s.foshan.token(),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orders { id } errors { field code message } } }".to_owned(),
            json!({ "lines": [{ "productId": s.draft, "quantity": 1 }], "idempotencyKey": "scope-foreign-3" }),
            json!({ "lines": [{ "productId": unknown_product, "quantity": 1 }], "idempotencyKey": "scope-foreign-4" }),
        ),
        (
            "proposeAgreement for a draft",
            s.foshan.token(),
            agreement_doc("proposeAgreement", "ProposeAgreementInput"),
            json!({ "productId": s.draft, "price": "40.00", "totalQuantity": 10, "startsOn": today.to_string(), "endsOn": today.to_string(), "rhythm": "每周" }),
            json!({ "productId": unknown_product, "price": "40.00", "totalQuantity": 10, "startsOn": today.to_string(), "endsOn": today.to_string(), "rhythm": "每周" }),
        ),
        (
            "updateProduct of another producer's draft",
            s.other_coop.token(),
            "mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { id } errors { field code message } } }".to_owned(),
            json!({ "id": s.draft, "name": "改名" }),
            json!({ "id": unknown_product, "name": "改名" }),
        ),
        (
            "applyCertification for another producer's draft",
            s.other_coop.token(),
            "mutation($input: ApplyCertificationInput!) { applyCertification(input: $input) { certification { id } errors { field code message } } }".to_owned(),
            json!({ "productId": s.draft, "evidence": "带动建档立卡贫困户86户务工" }),
            json!({ "productId": unknown_product, "evidence": "带动建档立卡贫困户86户务工" }),
        ),
        (
            "reportUnsold for another producer's draft",
            s.other_coop.token(),
            "mutation($input: ReportUnsoldInput!) { reportUnsold(input: $input) { alert { id } errors { field code message } } }".to_owned(),
            json!({ "productId": s.draft, "quantity": 10, "until": today.to_string() }),
            json!({ "productId": unknown_product, "quantity": 10, "until": today.to_string() }),
        ),
        (
            "verifyProducer of an unverified producer outside the region",
            w.officer.token(),
            "mutation($input: ProducerStandingInput!) { verifyProducer(input: $input) { producer { id } errors { field code message } } }".to_owned(),
            json!({ "producerId": s.other_producer }),
            json!({ "producerId": unknown_producer }),
        ),
        (
            "updateProducer of an unverified producer",
            w.producer_admin.token(),
            "mutation($input: UpdateProducerInput!) { updateProducer(input: $input) { producer { id } errors { field code message } } }".to_owned(),
            json!({ "id": s.other_producer, "contactName": "李四" }),
            json!({ "id": unknown_producer, "contactName": "李四" }),
        ),
        (
            "reviewCertification outside the region",
            w.other_officer.token(),
            "mutation($input: ReviewCertificationInput!) { reviewCertification(input: $input) { certification { id } errors { field code message } } }".to_owned(),
            json!({ "certificationId": s.certification, "decision": "APPROVE" }),
            json!({ "certificationId": unknown_certification, "decision": "APPROVE" }),
        ),
        (
            "addMember to an unverified producer's organisation",
            w.buyer_admin.token(),
            "mutation($input: AddMemberInput!) { addMember(input: $input) { errors { field code message } } }".to_owned(),
            json!({ "organizationId": s.other_org, "username": "outsider" }),
            json!({ "organizationId": unknown_organization, "username": "outsider" }),
        ),
    ];
    for (what, token, document, foreign, unknown) in cases {
        let foreign = answer(w, token, &document, foreign).await;
        let unknown = answer(w, token, &document, unknown).await;
        assert_eq!(foreign, unknown, "{what}");
        let code = foreign["errors"][0]["extensions"]["code"]
            .as_str()
            .or_else(|| {
                foreign["data"]
                    .as_object()
                    .and_then(|d| d.values().next())
                    .and_then(|p| p["errors"][0]["code"].as_str())
            });
        assert_eq!(code, Some("NOT_FOUND"), "{what}: {foreign}");
    }
    // Whoever may see a thing but not change it is told so.
    let seen = answer(
        w,
        w.other_officer.token(),
        "mutation($input: ProducerStandingInput!) { suspendProducer(input: $input) { producer { id } errors { code } } }",
        json!({ "producerId": w.producer_id, "reason": "列入经营异常名录" }),
    )
    .await;
    assert_eq!(
        seen["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{seen}"
    );
}

const TRAIL: &str =
    "{ auditEvents(first: 100) { totalCount nodes { action regionCode ip actor { username } } } }";

fn regions_in(body: &Value) -> Vec<Option<String>> {
    body["data"]["auditEvents"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("auditEvents: {body}"))
        .iter()
        .map(|e| e["regionCode"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_audit_trail_is_read_region_by_region() {
    let s = Scene::build().await;
    let w = &s.w;
    let everything = regions_in(&w.app.gql(w.admin.token(), TRAIL, json!({})).await);
    assert!(
        everything.iter().any(|r| r.as_deref() == Some("4406")),
        "佛山's events are on record: {everything:?}"
    );
    assert!(
        everything.iter().any(Option::is_none),
        "and nationwide ones"
    );
    for (who, token, region) in [
        ("the auditor of 河北", w.auditor.token(), "13"),
        ("the officer of 灵寿", w.officer.token(), "130126"),
        ("the officer of 阳原", w.other_officer.token(), OTHER_COUNTY),
    ] {
        let body = w.app.gql(token, TRAIL, json!({})).await;
        let seen = regions_in(&body);
        assert!(!seen.is_empty(), "{who} reads their region's trail: {body}");
        for code in &seen {
            assert!(
                code.as_deref().is_some_and(|c| c.starts_with(region)),
                "{who} read an event of {code:?}: {body}"
            );
        }
        let expected = everything
            .iter()
            .filter(|r| r.as_deref().is_some_and(|c| c.starts_with(region)))
            .count();
        assert_eq!(
            seen.len(),
            expected,
            "{who} reads all of their region's trail"
        );
    }
    // Events are placed where their actor acts: the producer's in its village, 佛山's in 佛山.
    let county = w.app.gql(w.officer.token(), TRAIL, json!({})).await;
    let actors: BTreeSet<&str> = county["data"]["auditEvents"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["actor"]["username"].as_str())
        .collect();
    assert!(actors.contains("coop.clerk"), "{actors:?}");
    assert!(!actors.contains("foshan.canteen"), "{actors:?}");
    assert!(
        regions_in(&county)
            .iter()
            .any(|r| r.as_deref() == Some(VILLAGE)),
        "{county}"
    );
    // Buyers and producers do not read the trail at all.
    let buyer = w.app.gql(w.buyer_admin.token(), TRAIL, json!({})).await;
    assert_eq!(buyer["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn failed_sign_ins_are_audited_without_the_password() {
    let s = Scene::build().await;
    let w = &s.w;
    let attempt = |username: &'static str, password: &'static str| async move {
        w.app
            .gql(
                None,
                "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { accessToken errors { code } } }",
                json!({ "u": username, "p": password }),
            )
            .await
    };
    let wrong = attempt("coop.clerk", "not-the-secret-Xy7").await;
    assert_eq!(
        wrong["data"]["login"]["errors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    attempt("nobody.here", "not-the-secret-Xy7").await;
    let query = "{ auditEvents(filter: {action: \"loginFailed\"}) { totalCount nodes { summary ip regionCode actor { username } targetType } } }";
    let body = w.app.gql(w.admin.token(), query, json!({})).await;
    let events = &body["data"]["auditEvents"];
    assert_eq!(events["totalCount"], 2, "{body}");
    let mut seen = Vec::new();
    for event in events["nodes"].as_array().expect("events") {
        let summary: Value =
            serde_json::from_str(event["summary"].as_str().expect("summary")).expect("JSON");
        assert!(
            !event.to_string().contains("not-the-secret"),
            "never the password: {event}"
        );
        assert!(event["ip"].is_string(), "the client address: {event}");
        assert_eq!(event["actor"], Value::Null);
        seen.push((
            summary["username"].clone(),
            summary["reason"].clone(),
            event["regionCode"].clone(),
        ));
    }
    seen.sort_by_key(|(u, _, _)| u.to_string());
    assert_eq!(
        seen,
        [
            (json!("coop.clerk"), json!("WRONG_PASSWORD"), json!(VILLAGE)),
            (json!("nobody.here"), json!("UNKNOWN_USERNAME"), Value::Null),
        ]
    );
    // The county's officers see attempts on their region's accounts.
    let county = w.app.gql(w.officer.token(), query, json!({})).await;
    assert_eq!(county["data"]["auditEvents"]["totalCount"], 1, "{county}");
    // A successful sign-in afterwards still works: the limits are unchanged.
    w.app.login("coop.clerk", PASSWORD).await;
}
