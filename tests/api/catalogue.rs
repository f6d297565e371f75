//! DOMAIN.md flows 1–3 through the API: a producer lists and keeps products current; the county
//! certifies them; a buyer searches the catalogue and sees 同等条件下优先 at work.

use serde_json::{Value, json};

use crate::{
    harness::{PASSWORD, Session, TestApp},
    world::{CREATE_PRODUCER, CREATE_PRODUCT, World, producer_input, product_input},
};

const PRODUCT: &str = "query($id: ID!) { product(id: $id) { name price stock status listed certified
    priceHistory { price } certification { status certificateNo validFrom validUntil noticeUntil } } }";

async fn mutate(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
    field: &str,
) -> Value {
    let body = app.gql(token, query, variables).await;
    let payload = body["data"][field].clone();
    assert_eq!(payload["errors"], json!([]), "{field}: {body}");
    payload
}

#[tokio::test]
async fn a_producer_lists_a_product_and_keeps_it_current() {
    let w = World::build().await;
    let app = &w.app;
    let id = w.draft_product("灵寿红薯 5kg装", "45.00").await;
    // A draft is the producer's business only.
    let public = app.gql(None, PRODUCT, json!({ "id": id })).await;
    assert_eq!(public["data"]["product"], Value::Null);
    let own = app
        .gql(w.producer_clerk.token(), PRODUCT, json!({ "id": id }))
        .await;
    assert_eq!(own["data"]["product"]["status"], "DRAFT");

    mutate(
        app,
        w.producer_clerk.token(),
        "mutation($id: ID!) { publishProduct(input: {id: $id}) { errors { code } } }",
        json!({ "id": id }),
        "publishProduct",
    )
    .await;
    mutate(
        app,
        w.producer_admin.token(),
        "mutation($id: ID!) { updateProduct(input: {id: $id, price: \"48.50\"}) { errors { code } } }",
        json!({ "id": id }),
        "updateProduct",
    )
    .await;
    for (delta, reason) in [(50, "新收获入库"), (-30, "破损出库")] {
        mutate(
            app,
            w.producer_clerk.token(),
            "mutation($id: ID!, $d: Int!, $r: String!) { adjustStock(input: {productId: $id, delta: $d, reason: $r}) { errors { code } } }",
            json!({ "id": id, "d": delta, "r": reason }),
            "adjustStock",
        )
        .await;
    }
    let seen = app.gql(None, PRODUCT, json!({ "id": id })).await;
    let product = &seen["data"]["product"];
    assert_eq!(product["listed"], true);
    assert_eq!(product["price"], "48.50");
    assert_eq!(product["stock"], 120);
    assert_eq!(
        product["priceHistory"],
        json!([{ "price": "48.50" }, { "price": "45.00" }])
    );

    mutate(
        app,
        w.producer_admin.token(),
        "mutation($id: ID!) { unpublishProduct(input: {id: $id}) { errors { code } } }",
        json!({ "id": id }),
        "unpublishProduct",
    )
    .await;
    let withdrawn = app.gql(None, PRODUCT, json!({ "id": id })).await;
    assert_eq!(withdrawn["data"]["product"], Value::Null);
}

const REVIEW: &str = "mutation($id: ID!, $d: ReviewDecision!, $c: String) {
    reviewCertification(input: {certificationId: $id, decision: $d, comment: $c}) {
      certification { status certificateNo reviews { stage decision reviewer { username } } } errors { code message } } }";

async fn certify(w: &World, product: &str) -> (String, Value) {
    let applied = mutate(
        &w.app,
        w.producer_clerk.token(),
        "mutation($id: ID!) { applyCertification(input: {productId: $id,
            evidence: \"订单收购社员红薯, 带动建档立卡贫困户86户, 户均增收3200元\"}) { certification { id status } errors { code } } }",
        json!({ "id": product }),
        "applyCertification",
    )
    .await;
    assert_eq!(applied["certification"]["status"], "SUBMITTED");
    let id = applied["certification"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let first = mutate(
        &w.app,
        w.officer.token(),
        REVIEW,
        json!({ "id": id, "d": "APPROVE", "c": "乡镇初审通过" }),
        "reviewCertification",
    )
    .await;
    assert_eq!(first["certification"]["status"], "FIRST_APPROVED");
    let decided = mutate(
        &w.app,
        w.officer2.token(),
        REVIEW,
        json!({ "id": id, "d": "APPROVE" }),
        "reviewCertification",
    )
    .await;
    (id, decided["certification"].clone())
}

#[tokio::test]
async fn an_approval_is_publicly_noticed_before_it_counts() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let (_, certification) = certify(&w, &product).await;
    assert_eq!(certification["status"], "IN_PUBLIC_NOTICE");
    assert!(
        certification["certificateNo"]
            .as_str()
            .is_some_and(|n| n.starts_with("FP-130126-"))
    );
    // Whoever reviews is responsible: both decisions name their reviewer.
    assert_eq!(
        certification["reviews"],
        json!([
            { "stage": "FIRST", "decision": "APPROVE", "reviewer": { "username": "county.officer" } },
            { "stage": "COUNTY", "decision": "APPROVE", "reviewer": { "username": "county.officer2" } },
        ])
    );
    let seen = w.app.gql(None, PRODUCT, json!({ "id": product })).await;
    assert_eq!(
        seen["data"]["product"]["certified"], false,
        "not before the notice ends"
    );
    let certified = w
        .app
        .gql(
            None,
            "{ products(filter: {certifiedOnly: true}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(certified["data"]["products"]["totalCount"], 0);
    let by_status = |statuses: Value| {
        w.app.gql(
            w.officer.token(),
            "query($s: [CertificationStatus!]) { certifications(filter: {statuses: $s}) { totalCount } }",
            json!({ "s": statuses }),
        )
    };
    assert_eq!(
        by_status(json!(["IN_PUBLIC_NOTICE"])).await["data"]["certifications"]["totalCount"],
        1
    );
    assert_eq!(
        by_status(json!(["CERTIFIED", "EXPIRED"])).await["data"]["certifications"]["totalCount"],
        0
    );
    // Another county's officer does not see the application.
    let elsewhere = w
        .app
        .gql(
            w.other_officer.token(),
            "{ certifications { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(elsewhere["data"]["certifications"]["totalCount"], 0);
}

#[tokio::test]
async fn a_certificate_counts_until_revoked() {
    let w = World::build_with(|s| s.certification_notice_days = 0).await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let (id, certification) = certify(&w, &product).await;
    assert_eq!(certification["status"], "CERTIFIED");
    let seen = w.app.gql(None, PRODUCT, json!({ "id": product })).await;
    assert_eq!(seen["data"]["product"]["certified"], true);
    let valid_until = seen["data"]["product"]["certification"]["validUntil"]
        .as_str()
        .expect("validity");
    assert!(
        valid_until
            > seen["data"]["product"]["certification"]["validFrom"]
                .as_str()
                .expect("from")
    );
    let certified = w
        .app
        .gql(
            None,
            "{ products(filter: {certifiedOnly: true}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(certified["data"]["products"]["totalCount"], 1);

    let revoked = mutate(
        &w.app,
        w.officer.token(),
        "mutation($id: ID!) { revokeCertification(input: {certificationId: $id, reason: \"抽检不合格\"}) {
            certification { status revokeReason } errors { code } } }",
        json!({ "id": id }),
        "revokeCertification",
    )
    .await;
    assert_eq!(
        revoked["certification"],
        json!({ "status": "REVOKED", "revokeReason": "抽检不合格" })
    );
    let after = w.app.gql(None, PRODUCT, json!({ "id": product })).await;
    assert_eq!(after["data"]["product"]["certified"], false);
}

#[tokio::test]
async fn a_suspended_producer_leaves_the_catalogue_until_reinstated() {
    let w = World::build().await;
    w.published_product("灵寿红薯 5kg装", "45.00").await;
    let count = || w.app.gql(None, "{ products { totalCount } }", json!({}));
    assert_eq!(count().await["data"]["products"]["totalCount"], 1);
    let standing =
        "mutation($id: ID!, $r: String) { suspendProducer(input: {producerId: $id, reason: $r}) {
        producer { creditStatus inGoodStanding creditReason } errors { code } } }";
    let suspended = mutate(
        &w.app,
        w.officer.token(),
        standing,
        json!({ "id": w.producer_id, "r": "列入经营异常名录" }),
        "suspendProducer",
    )
    .await;
    assert_eq!(suspended["producer"]["inGoodStanding"], false);
    assert_eq!(count().await["data"]["products"]["totalCount"], 0);
    mutate(
        &w.app,
        w.officer2.token(),
        &standing.replace("suspendProducer", "reinstateProducer"),
        json!({ "id": w.producer_id, "r": "已移出经营异常名录" }),
        "reinstateProducer",
    )
    .await;
    assert_eq!(count().await["data"]["products"]["totalCount"], 1);
}

/// Registers a user who creates, and so administers, a producer in `region`, verified by the admin.
pub(crate) async fn producer_in(w: &World, username: &str, region: &str) -> (Session, String) {
    let app = &w.app;
    let session = app.register(username, None).await;
    let created = mutate(
        app,
        session.token(),
        CREATE_PRODUCER,
        json!({ "input": producer_input(None, &format!("{username}合作社"), region) }),
        "createProducer",
    )
    .await;
    let id = created["producer"]["id"]
        .as_str()
        .expect("producer")
        .to_owned();
    mutate(
        app,
        w.admin.token(),
        "mutation($id: ID!) { verifyProducer(input: {producerId: $id}) { errors { code } } }",
        json!({ "id": id }),
        "verifyProducer",
    )
    .await;
    // The PRODUCER role arrives with the next token.
    (app.login(username, PASSWORD).await, id)
}

pub(crate) async fn publish(w: &World, session: &Session, input: Value) -> String {
    let created = mutate(
        &w.app,
        session.token(),
        CREATE_PRODUCT,
        json!({ "input": input }),
        "createProduct",
    )
    .await;
    let id = created["product"]["id"].as_str().expect("id").to_owned();
    mutate(
        &w.app,
        session.token(),
        "mutation($id: ID!) { publishProduct(input: {id: $id}) { errors { code } } }",
        json!({ "id": id }),
        "publishProduct",
    )
    .await;
    id
}

async fn set_status(w: &World, code: &str, status: &str) {
    mutate(
        &w.app,
        w.admin.token(),
        "mutation($c: String!, $s: PovertyStatus!) { updateRegionStatus(input: {code: $c, status: $s, effectiveFrom: \"2014-01-01\"}) { errors { code } } }",
        json!({ "c": code, "s": status }),
        "updateRegionStatus",
    )
    .await;
}

#[tokio::test]
async fn buyers_see_paired_then_poorer_then_certified_offers_first() {
    let w = World::build_with(|s| s.certification_notice_days = 0).await;
    // 顺平 (130636) is not poor but paired with the buyer's city; 阳原 (130727) is in deep
    // poverty; 灵寿 (130126), the world's producer, is poor.
    set_status(&w, "130727", "DEEP_POVERTY").await;
    set_status(&w, "130126", "POOR").await;
    mutate(
        &w.app,
        w.admin.token(),
        "mutation { createPairing(input: {helperRegionCode: \"1301\", helpedRegionCode: \"130636\", kind: DESIGNATED, startsOn: \"2020-01-01\"}) { errors { code } } }",
        json!({}),
        "createPairing",
    )
    .await;
    let (shunping, shunping_id) = producer_in(&w, "shunping", "130636").await;
    let (yangyuan, yangyuan_id) = producer_in(&w, "yangyuan", "130727").await;
    let expensive = |producer: &str, name: &str, price: &str| product_input(producer, name, price);
    publish(&w, &shunping, expensive(&shunping_id, "顺平红薯", "60.00")).await;
    publish(&w, &yangyuan, expensive(&yangyuan_id, "阳原红薯", "55.00")).await;
    let cheap = w.published_product("灵寿红薯(未认定)", "30.00").await;
    let certified = w.published_product("灵寿红薯(已认定)", "50.00").await;
    certify(&w, &certified).await;
    assert!(!cheap.is_empty());

    let names = |body: &Value| -> Vec<String> {
        body["data"]["products"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let buyer = w
        .app
        .gql(
            w.buyer_admin.token(),
            "{ products { nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        names(&buyer),
        [
            "顺平红薯",
            "阳原红薯",
            "灵寿红薯(已认定)",
            "灵寿红薯(未认定)"
        ]
    );
    // Without pairings (anonymous), by price the cheap one leads; PRIORITY can be asked for.
    let by_price = w
        .app
        .gql(
            None,
            "{ products(sort: PRICE_ASC) { nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(names(&by_price)[0], "灵寿红薯(未认定)");
    let anonymous = w
        .app
        .gql(
            None,
            "{ products(sort: PRIORITY) { nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        names(&anonymous),
        [
            "阳原红薯",
            "灵寿红薯(已认定)",
            "灵寿红薯(未认定)",
            "顺平红薯"
        ]
    );

    // Keyset pages of one walk the same order without gaps or repeats.
    let mut walked = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = w
            .app
            .gql(
                w.buyer_admin.token(),
                "query($a: String) { products(first: 1, after: $a) { pageInfo { hasNextPage endCursor } nodes { name } } }",
                json!({ "a": after }),
            )
            .await;
        walked.extend(names(&page));
        let info = &page["data"]["products"]["pageInfo"];
        if info["hasNextPage"] != true {
            break;
        }
        after = info["endCursor"].clone();
    }
    assert_eq!(walked, names(&buyer));
}

#[tokio::test]
async fn the_catalogue_filters_by_what_buyers_ask() {
    let w = World::build().await;
    let (yangyuan, yangyuan_id) = producer_in(&w, "yangyuan", "130727").await;
    let millet = product_input(&yangyuan_id, "阳原小米", "35.00");
    let millet = publish(&w, &yangyuan, millet).await;
    for mark in ["ORGANIC", "GEOGRAPHICAL_INDICATION"] {
        crate::quality_marks::verified_mark(&w, &yangyuan, &w.other_officer, &millet, mark).await;
    }
    let mut donkey = product_input(&yangyuan_id, "阳原驴肉", "120.00");
    donkey["category"] = json!("MEAT");
    publish(&w, &yangyuan, donkey).await;
    w.published_product("灵寿红薯", "45.00").await;
    w.draft_product("灵寿红薯粉条(未上架)", "20.00").await;

    let cases = [
        (json!({ "text": "红薯" }), vec!["灵寿红薯"]),
        (json!({ "categories": ["MEAT"] }), vec!["阳原驴肉"]),
        (
            json!({ "regionCode": "130727" }),
            vec!["阳原小米", "阳原驴肉"],
        ),
        (json!({ "regionCode": "130126100" }), vec![]),
        (json!({ "regionCode": "130126204" }), vec!["灵寿红薯"]),
        (
            json!({ "minPrice": "40", "maxPrice": "100.00" }),
            vec!["灵寿红薯"],
        ),
        (json!({ "qualityMarks": ["ORGANIC"] }), vec!["阳原小米"]),
        (
            json!({ "qualityMarks": ["ORGANIC", "REGIONAL_BRAND"] }),
            vec![],
        ),
        (
            json!({ "producerId": yangyuan_id }),
            vec!["阳原小米", "阳原驴肉"],
        ),
    ];
    for (filter, expected) in cases {
        let body = w
            .app
            .gql(None, "query($f: ProductFilterInput) { products(filter: $f, sort: PRICE_ASC) { totalCount nodes { name } } }", json!({ "f": filter }))
            .await;
        let mut names: Vec<&str> = body["data"]["products"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("filter {filter}: {body}"))
            .iter()
            .filter_map(|n| n["name"].as_str())
            .collect();
        names.sort();
        assert_eq!(names, expected, "filter {filter}");
        assert_eq!(
            body["data"]["products"]["totalCount"],
            expected.len(),
            "filter {filter}"
        );
    }
    let malformed = w
        .app
        .gql(
            None,
            "{ products(filter: {regionCode: \"13012620\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(crate::harness::error_code(&malformed), "BAD_USER_INPUT");
    // Drafts only for the producer's own people.
    let own = w
        .app
        .gql(
            w.producer_clerk.token(),
            "query($p: ID!) { products(filter: {producerId: $p, includeUnlisted: true}) { totalCount } }",
            json!({ "p": w.producer_id }),
        )
        .await;
    assert_eq!(own["data"]["products"]["totalCount"], 2);
    let refused = w
        .app
        .gql(
            w.buyer_admin.token(),
            "query($p: ID!) { products(filter: {producerId: $p, includeUnlisted: true}) { totalCount } }",
            json!({ "p": w.producer_id }),
        )
        .await;
    assert_eq!(crate::harness::error_code(&refused), "FORBIDDEN");
}

#[tokio::test]
async fn a_price_far_above_comparable_products_is_flagged() {
    let w = World::build().await;
    for (name, price) in [
        ("红薯A", "40.00"),
        ("红薯B", "42.00"),
        ("红薯C", "44.00"),
        ("红薯D", "46.00"),
    ] {
        w.published_product(name, price).await;
    }
    let dear = w.published_product("红薯礼盒", "90.00").await;
    let body = w
        .app
        .gql(
            None,
            "query($id: ID!) { product(id: $id) { priceFlag { comparableMedian percentAbove } } }",
            json!({ "id": dear }),
        )
        .await;
    assert_eq!(
        body["data"]["product"]["priceFlag"],
        json!({ "comparableMedian": "44.00", "percentAbove": 104 })
    );
    mutate(
        &w.app,
        w.producer_admin.token(),
        "mutation($id: ID!) { updateProduct(input: {id: $id, price: \"50.00\"}) { errors { code } } }",
        json!({ "id": dear }),
        "updateProduct",
    )
    .await;
    let after = w
        .app
        .gql(
            None,
            "query($id: ID!) { product(id: $id) { priceFlag { percentAbove } } }",
            json!({ "id": dear }),
        )
        .await;
    assert_eq!(after["data"]["product"]["priceFlag"], Value::Null);
}

#[tokio::test]
async fn a_catalogue_page_costs_a_bounded_number_of_statements() {
    let app = TestApp::spawn().await;
    assert!(
        fupin_market::demo::seed(&app.state.services)
            .await
            .expect("demo world")
    );
    let query = "{ products(first: 100) { nodes { name price spec unit stock qualityMarks certified priceFlag { percentAbove }
        producer { name kind region { code name povertyStatus } }
        region { code name povertyStatus }
        certification { status certificateNo validUntil } } } }";
    let before = app.metric("fupin_db_queries_total").await;
    let body = app.gql(None, query, json!({})).await;
    let after = app.metric("fupin_db_queries_total").await;
    assert_eq!(
        body["data"]["products"]["nodes"].as_array().map(Vec::len),
        Some(100)
    );
    let statements = after - before;
    // Page, producers (joined with their organisations), regions, certifications.
    assert_eq!(statements, 4.0, "statements for a page of 100");

    // A signed-in buyer costs three more: its membership, its buyer entry, its pairings.
    let buyer = app
        .login("sjz-canteen", fupin_market::demo::DEMO_PASSWORD)
        .await;
    let before = app.metric("fupin_db_queries_total").await;
    let body = app.gql(buyer.token(), query, json!({})).await;
    let after = app.metric("fupin_db_queries_total").await;
    assert_eq!(
        body["data"]["products"]["nodes"].as_array().map(Vec::len),
        Some(100)
    );
    assert_eq!(after - before, 7.0, "statements for a buyer's page of 100");
}
