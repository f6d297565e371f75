//! Who may call each mutation of the registry and the catalogue: every mutation, tried by every
//! role. A table per area names, for each mutation, a valid input (so that the only reason to
//! fail is who is asking) and the actors allowed; everyone else must be refused (top-level
//! `UNAUTHENTICATED` when anonymous, `FORBIDDEN` when signed in) with nothing written.

use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::{
    harness::{Session, error_code},
    world::{COUNTY, CREATE_PRODUCER, OTHER_COUNTY, VILLAGE, World, producer_input, product_input},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Actor {
    Anonymous,
    Outsider,
    BuyerAdmin,
    ProducerClerk,
    ProducerAdmin,
    OtherOfficer,
    Officer,
    Auditor,
    Admin,
}

use Actor::*;

const EVERYONE: [Actor; 9] = [
    Anonymous,
    Outsider,
    BuyerAdmin,
    ProducerClerk,
    ProducerAdmin,
    OtherOfficer,
    Officer,
    Auditor,
    Admin,
];

impl Actor {
    fn session(self, w: &World) -> Option<&Session> {
        match self {
            Anonymous => None,
            Outsider => Some(&w.outsider),
            BuyerAdmin => Some(&w.buyer_admin),
            ProducerClerk => Some(&w.producer_clerk),
            ProducerAdmin => Some(&w.producer_admin),
            OtherOfficer => Some(&w.other_officer),
            Officer => Some(&w.officer),
            Auditor => Some(&w.auditor),
            Admin => Some(&w.admin),
        }
    }

    fn token(self, w: &World) -> Option<&str> {
        self.session(w).map(|s| s.access_token.as_str())
    }
}

/// What an actor's call must come to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// A top-level `UNAUTHENTICATED` / `FORBIDDEN` (`NOT_FOUND` when the actor may not even see
    /// the target: existence is private), and nothing written.
    Refused,
    /// Empty payload `errors`, and one audit event more.
    Done,
    /// Allowed to ask, but the request fails for another reason than permission: this payload
    /// error code, and nothing written.
    Fails(&'static str),
    /// Not checked here (see the test named in the case's comment).
    Unchecked,
}

struct Case {
    mutation: &'static str,
    input_type: &'static str,
    /// The input every actor sends, unless `inputs` names another for it.
    input: Value,
    /// Per-actor inputs: a fresh target for each allowed actor of a one-shot action.
    inputs: Vec<(Actor, Value)>,
    /// Actors not named here must be refused.
    allowed: Vec<(Actor, Outcome)>,
    /// A query (run as the platform admin) whose answer no refused call may change.
    probe: Option<(&'static str, Value)>,
}

impl Case {
    fn new(mutation: &'static str, input_type: &'static str, input: Value) -> Self {
        Self {
            mutation,
            input_type,
            input,
            inputs: Vec::new(),
            allowed: Vec::new(),
            probe: None,
        }
    }

    fn allow(mut self, actor: Actor, outcome: Outcome) -> Self {
        self.allowed.push((actor, outcome));
        self
    }

    fn with_input(mut self, actor: Actor, input: Value) -> Self {
        self.inputs.push((actor, input));
        self
    }

    fn probe(mut self, query: &'static str, variables: Value) -> Self {
        self.probe = Some((query, variables));
        self
    }

    fn outcome(&self, actor: Actor) -> Outcome {
        self.allowed
            .iter()
            .find(|(a, _)| *a == actor)
            .map_or(Outcome::Refused, |(_, o)| *o)
    }

    fn input_for(&self, actor: Actor) -> Value {
        self.inputs
            .iter()
            .find(|(a, _)| *a == actor)
            .map_or_else(|| self.input.clone(), |(_, i)| i.clone())
    }
}

/// Rows in every table a mutation of this area may write: equal before and after means nothing
/// was written (updates leave an audit event in the same transaction, so they count too).
pub async fn row_counts(db: &DatabaseConnection) -> Vec<(&'static str, u64)> {
    macro_rules! counts {
        ($($table:ident),*) => {
            vec![$((
                stringify!($table),
                entity::$table::Entity::find().count(db).await.expect("count"),
            )),*]
        };
    }
    counts!(
        audit_event,
        region,
        region_status,
        pairing,
        organization,
        membership,
        producer,
        buyer,
        procurement_declaration,
        procurement_policy,
        product,
        price_change,
        stock_adjustment,
        certification,
        certification_review,
        role_grant
    )
}

fn audit_events(counts: &[(&'static str, u64)]) -> u64 {
    counts
        .iter()
        .find(|(t, _)| *t == "audit_event")
        .map_or(0, |(_, n)| *n)
}

async fn probe(w: &World, case: &Case) -> Value {
    match &case.probe {
        Some((query, variables)) => w.app.gql(w.admin.token(), query, variables.clone()).await,
        None => Value::Null,
    }
}

/// Tries the case's mutation as every actor: the refused ones first, while the target is still in
/// a state where the call would succeed, then the allowed ones in the order given.
async fn sweep(w: &World, case: &Case) {
    let document = format!(
        "mutation($input: {}!) {{ {}(input: $input) {{ errors {{ field code message }} }} }}",
        case.input_type, case.mutation
    );
    let refused = EVERYONE
        .into_iter()
        .filter(|a| case.outcome(*a) == Outcome::Refused);
    let allowed = case.allowed.iter().map(|(a, _)| *a);
    for actor in refused.chain(allowed) {
        let outcome = case.outcome(actor);
        if outcome == Outcome::Unchecked {
            continue;
        }
        let what = format!("{} by {actor:?}", case.mutation);
        let before = row_counts(w.app.db()).await;
        let seen_before = probe(w, case).await;
        let body = w
            .app
            .gql(
                actor.token(w),
                &document,
                json!({ "input": case.input_for(actor) }),
            )
            .await;
        let after = row_counts(w.app.db()).await;
        let payload = &body["data"][case.mutation];
        match outcome {
            Outcome::Refused => {
                let code = error_code(&body);
                if actor == Anonymous {
                    assert_eq!(code, "UNAUTHENTICATED", "{what}: {body}");
                } else {
                    assert!(["FORBIDDEN", "NOT_FOUND"].contains(&code), "{what}: {body}");
                }
                assert_eq!(*payload, Value::Null, "{what}: {body}");
                assert_eq!(after, before, "{what} wrote something");
                assert_eq!(probe(w, case).await, seen_before, "{what} changed it");
            }
            Outcome::Done => {
                assert_eq!(body["errors"], Value::Null, "{what}: {body}");
                assert_eq!(payload["errors"], json!([]), "{what}: {body}");
                assert_eq!(
                    audit_events(&after),
                    audit_events(&before) + 1,
                    "{what} left no audit event"
                );
            }
            Outcome::Fails(code) => {
                assert_eq!(body["errors"], Value::Null, "{what}: {body}");
                assert_eq!(payload["errors"][0]["code"], code, "{what}: {body}");
                assert_eq!(after, before, "{what} wrote something");
            }
            Outcome::Unchecked => unreachable!(),
        }
    }
}

const REGION_PROBE: &str = "query($code: String!) { region(code: $code) {
    code povertyStatus exitYear statusHistory { status } pairedWith { id } } }";
const PRODUCER_PROBE: &str = "query($id: ID!) { node(id: $id) { ... on Producer {
    name contact { name phone } verificationStatus creditStatus creditReason
    products(includeUnlisted: true) { totalCount } } } }";
const BUYER_PROBE: &str = "query($id: ID!) { node(id: $id) { ... on Buyer {
    name kind contact { name phone } declarations { year reservedSharePercent canteenBudget } } } }";
const PRODUCT_PROBE: &str = "query($id: ID!) { node(id: $id) { ... on Product {
    name price stock status listed certification { id } } } }";
const CERTIFICATION_PROBE: &str = "query($id: ID!) { node(id: $id) { ... on Certification {
    status certificateNo revokeReason reviews { stage decision } } } }";

/// A pending producer in 青廉村, registered by the platform admin on a household's behalf.
async fn pending_producer(w: &World, name: &str) -> String {
    let body = w
        .app
        .gql(
            w.admin.token(),
            CREATE_PRODUCER,
            json!({ "input": producer_input(None, name, VILLAGE) }),
        )
        .await;
    body["data"]["createProducer"]["producer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createProducer: {body}"))
        .to_owned()
}

/// The ID of a product's latest certification application.
async fn certification_of(w: &World, product: &str) -> String {
    let body = w
        .app
        .gql(
            w.admin.token(),
            "query($id: ID!) { product(id: $id) { certification { id } } }",
            json!({ "id": product }),
        )
        .await;
    body["data"]["product"]["certification"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no certification: {body}"))
        .to_owned()
}

fn buyer_input(name: &str) -> Value {
    json!({ "name": name, "kind": "SCHOOL", "regionCode": COUNTY,
            "contactName": "刘采购", "contactPhone": "0311-82000001" })
}

#[tokio::test]
async fn region_policy_and_buyer_mutations_by_every_role() {
    let w = World::build().await;
    let cases = [
        Case::new(
            "createRegion",
            "CreateRegionInput",
            json!({ "code": "130126999", "name": "灵寿县新设开发区" }),
        )
        .allow(Admin, Outcome::Done)
        .probe(REGION_PROBE, json!({ "code": "130126999" })),
        // 灵寿县: its officers and the platform admin; 阳原县's officer is outside.
        Case::new(
            "updateRegionStatus",
            "UpdateRegionStatusInput",
            json!({ "code": COUNTY, "status": "POOR", "effectiveFrom": "2026-01-01" }),
        )
        .allow(Officer, Outcome::Done)
        .allow(Admin, Outcome::Done)
        .probe(REGION_PROBE, json!({ "code": COUNTY })),
        // 阳原县: the other way round.
        Case::new(
            "updateRegionStatus",
            "UpdateRegionStatusInput",
            json!({ "code": OTHER_COUNTY, "status": "EXITED", "exitYear": 2020 }),
        )
        .allow(OtherOfficer, Outcome::Done)
        .allow(Admin, Outcome::Done)
        .probe(REGION_PROBE, json!({ "code": OTHER_COUNTY })),
        Case::new(
            "createPairing",
            "CreatePairingInput",
            json!({ "helperRegionCode": "4406", "helpedRegionCode": COUNTY,
                    "kind": "EAST_WEST", "startsOn": "2026-01-01" }),
        )
        .allow(Admin, Outcome::Done)
        .probe(REGION_PROBE, json!({ "code": COUNTY })),
        Case::new(
            "setProcurementPolicy",
            "SetProcurementPolicyInput",
            json!({ "regionCode": "44", "year": 2026, "minReservedSharePercent": 15 }),
        )
        .allow(Admin, Outcome::Done),
        Case::new(
            "updateBuyer",
            "UpdateBuyerInput",
            json!({ "id": w.buyer_id, "contactName": "王采购", "contactPhone": "0311-86000009" }),
        )
        .allow(BuyerAdmin, Outcome::Done)
        .allow(Admin, Outcome::Done)
        .probe(BUYER_PROBE, json!({ "id": w.buyer_id })),
        Case::new(
            "setProcurementTarget",
            "SetProcurementTargetInput",
            json!({ "buyerId": w.buyer_id, "year": 2026, "canteen": "OWN_CANTEEN",
                    "canteenBudget": "1200000.00", "reservedSharePercent": 15 }),
        )
        .allow(BuyerAdmin, Outcome::Done)
        .allow(Admin, Outcome::Done)
        .probe(BUYER_PROBE, json!({ "id": w.buyer_id })),
        // Last: whoever registers a buyer unit without an organisation becomes its admin, which
        // would change the other cases' answers. Anyone signed in may register one; a user who
        // already acts for an organisation must pass its ID instead.
        Case::new(
            "createBuyer",
            "CreateBuyerInput",
            buyer_input("灵寿县第一中学食堂"),
        )
        .allow(Outsider, Outcome::Done)
        .allow(BuyerAdmin, Outcome::Fails("INVALID_STATE"))
        .allow(ProducerClerk, Outcome::Fails("INVALID_STATE"))
        .allow(ProducerAdmin, Outcome::Fails("INVALID_STATE"))
        // Officers register units on a unit's behalf, inside their region only; auditors never
        // register anything.
        .allow(Officer, Outcome::Done)
        .allow(Admin, Outcome::Done),
    ];
    for case in &cases {
        sweep(&w, case).await;
    }
}

#[tokio::test]
async fn producer_mutations_by_every_role() {
    let w = World::build().await;
    // Verify, suspend and reinstate succeed once per producer: each allowed actor acts on a
    // producer of its own (the refused ones try the officer's first, before it changes).
    let first = pending_producer(&w, "灵寿县青廉村红薯家庭农场").await;
    let second = pending_producer(&w, "灵寿县青廉村扶贫车间").await;
    let standing = |id: &str, reason: Option<&str>| json!({ "producerId": id, "reason": reason });
    let cases = [
        // The producer's ADMIN members and the platform admin; a MEMBER (the clerk) may not.
        Case::new(
            "updateProducer",
            "UpdateProducerInput",
            json!({ "id": w.producer_id, "contactName": "李会计", "poorHouseholdsLinked": 90 }),
        )
        .allow(ProducerAdmin, Outcome::Done)
        .allow(Admin, Outcome::Done)
        .probe(PRODUCER_PROBE, json!({ "id": w.producer_id })),
        // Officers over the producer's region and the platform admin.
        Case::new(
            "verifyProducer",
            "ProducerStandingInput",
            standing(&first, None),
        )
        .with_input(Admin, standing(&second, None))
        .allow(Officer, Outcome::Done)
        .allow(Admin, Outcome::Done)
        .probe(PRODUCER_PROBE, json!({ "id": first })),
        Case::new(
            "suspendProducer",
            "ProducerStandingInput",
            standing(&first, Some("列入经营异常名录")),
        )
        .with_input(Admin, standing(&second, Some("列入经营异常名录")))
        .allow(Officer, Outcome::Done)
        .allow(Admin, Outcome::Done)
        .probe(PRODUCER_PROBE, json!({ "id": first })),
        Case::new(
            "reinstateProducer",
            "ProducerStandingInput",
            standing(&first, Some("已移出经营异常名录")),
        )
        .with_input(Admin, standing(&second, Some("已移出经营异常名录")))
        .allow(Officer, Outcome::Done)
        .allow(Admin, Outcome::Done)
        .probe(PRODUCER_PROBE, json!({ "id": first })),
        // Last, as registering makes the outsider a member. Anyone signed in may register a
        // producer: a user with no organisation creates one (becoming its admin); officers and
        // admins register one on a household's behalf, within their region (青廉村 is outside
        // 阳原县's officer's). A user who already acts for an organisation must pass its ID.
        Case::new(
            "createProducer",
            "CreateProducerInput",
            producer_input(None, "灵寿县青廉村食用菌合作社", VILLAGE),
        )
        .allow(Outsider, Outcome::Done)
        .allow(BuyerAdmin, Outcome::Fails("INVALID_STATE"))
        .allow(ProducerClerk, Outcome::Fails("INVALID_STATE"))
        .allow(ProducerAdmin, Outcome::Fails("INVALID_STATE"))
        .allow(Officer, Outcome::Done)
        // Auditors never register anything (checked on its own below as well).
        .allow(Admin, Outcome::Done),
    ];
    for case in &cases {
        sweep(&w, case).await;
    }
}

#[tokio::test]
async fn catalogue_and_certification_mutations_by_every_role() {
    let w = World::build().await;
    let draft = w.draft_product("灵寿红薯 5kg装", "45.00").await;
    // Publishing, withdrawing and applying succeed once per product, so the clerk and the
    // producer's admin each get a product of their own.
    let to_publish = [
        w.draft_product("灵寿小米 2.5kg装", "38.00").await,
        w.draft_product("灵寿核桃 1kg装", "52.00").await,
    ];
    let to_certify = [
        w.draft_product("青廉红薯粉条 1kg装", "26.00").await,
        w.draft_product("青廉红薯干 500g装", "18.00").await,
    ];
    let id = |id: &str| json!({ "id": id });
    let evidence = |product: &str| {
        json!({ "productId": product,
                "evidence": "吸纳建档立卡贫困户23户务工, 按保护价收购贫困户红薯, 年分红10%" })
    };
    // Products: members of the producer (ADMIN or MEMBER) only; the platform admin is no member.
    let products = [
        Case::new(
            "createProduct",
            "CreateProductInput",
            product_input(&w.producer_id, "灵寿红薯 10斤装", "39.90"),
        )
        .allow(ProducerClerk, Outcome::Done)
        .allow(ProducerAdmin, Outcome::Done)
        .probe(PRODUCER_PROBE, json!({ "id": w.producer_id })),
        Case::new(
            "updateProduct",
            "UpdateProductInput",
            json!({ "id": draft, "name": "灵寿红薯 5kg礼盒装", "price": "49.00" }),
        )
        .allow(ProducerClerk, Outcome::Done)
        .allow(ProducerAdmin, Outcome::Done)
        .probe(PRODUCT_PROBE, id(&draft)),
        Case::new(
            "adjustStock",
            "AdjustStockInput",
            json!({ "productId": draft, "delta": 20, "reason": "新收获入库" }),
        )
        .allow(ProducerClerk, Outcome::Done)
        .allow(ProducerAdmin, Outcome::Done)
        .probe(PRODUCT_PROBE, id(&draft)),
        Case::new("publishProduct", "ProductIdInput", id(&to_publish[0]))
            .with_input(ProducerAdmin, id(&to_publish[1]))
            .allow(ProducerClerk, Outcome::Done)
            .allow(ProducerAdmin, Outcome::Done)
            .probe(PRODUCT_PROBE, id(&to_publish[0])),
        Case::new("unpublishProduct", "ProductIdInput", id(&to_publish[0]))
            .with_input(ProducerAdmin, id(&to_publish[1]))
            .allow(ProducerClerk, Outcome::Done)
            .allow(ProducerAdmin, Outcome::Done)
            .probe(PRODUCT_PROBE, id(&to_publish[0])),
        Case::new(
            "applyCertification",
            "ApplyCertificationInput",
            evidence(&to_certify[0]),
        )
        .with_input(ProducerAdmin, evidence(&to_certify[1]))
        .allow(ProducerClerk, Outcome::Done)
        .allow(ProducerAdmin, Outcome::Done)
        .probe(PRODUCT_PROBE, id(&to_certify[0])),
    ];
    for case in &products {
        sweep(&w, case).await;
    }

    // Each application is reviewed once per stage, and the county decision needs another
    // reviewer than the first: the officer gives the first review of the clerk's application and
    // the admin decides it; the admin gives the first review of the other and the officer
    // decides it. So both allowed actors act at both stages, each on a target of its own.
    let [mine, theirs] = [
        certification_of(&w, &to_certify[0]).await,
        certification_of(&w, &to_certify[1]).await,
    ];
    let review = |cert: &str| json!({ "certificationId": cert, "decision": "APPROVE" });
    let revoke = |cert: &str| json!({ "certificationId": cert, "reason": "抽检发现带贫数据不实" });
    let certifications = [
        // First review: officers whose region covers the producer, and the platform admin.
        Case::new(
            "reviewCertification",
            "ReviewCertificationInput",
            review(&mine),
        )
        .with_input(Admin, review(&theirs))
        .allow(Officer, Outcome::Done)
        .allow(Admin, Outcome::Done)
        .probe(CERTIFICATION_PROBE, id(&mine)),
        // County decision: officers over the county (another than the first reviewer), admins.
        Case::new(
            "reviewCertification",
            "ReviewCertificationInput",
            review(&mine),
        )
        .with_input(Officer, review(&theirs))
        .allow(Officer, Outcome::Done)
        .allow(Admin, Outcome::Done)
        .probe(CERTIFICATION_PROBE, id(&mine)),
        // Revocation of a certificate in notice: officers over its county, and admins.
        Case::new(
            "revokeCertification",
            "RevokeCertificationInput",
            revoke(&mine),
        )
        .with_input(Admin, revoke(&theirs))
        .allow(Officer, Outcome::Done)
        .allow(Admin, Outcome::Done)
        .probe(CERTIFICATION_PROBE, id(&mine)),
    ];
    for case in &certifications {
        sweep(&w, case).await;
    }
    let revoked = w
        .app
        .gql(w.admin.token(), CERTIFICATION_PROBE, id(&theirs))
        .await;
    assert_eq!(revoked["data"]["node"]["status"], "REVOKED", "{revoked}");
}

/// Auditors read; they never write. `createProducer` and `createBuyer` are open to anyone signed
/// in but an auditor: once, an auditor calling them became the new organisation's ADMIN.
#[tokio::test]
async fn an_auditor_may_not_register_a_producer_or_a_buyer() {
    let w = World::build().await;
    let cases = [
        Case::new(
            "createProducer",
            "CreateProducerInput",
            producer_input(None, "灵寿县青廉村食用菌合作社", VILLAGE),
        ),
        Case::new(
            "createBuyer",
            "CreateBuyerInput",
            buyer_input("灵寿县第一中学食堂"),
        ),
    ];
    for case in cases {
        // Every other actor of these cases is covered by the tables above.
        let only_the_auditor = EVERYONE
            .into_iter()
            .filter(|a| *a != Auditor)
            .fold(case, |case, a| case.allow(a, Outcome::Unchecked));
        sweep(&w, &only_the_auditor).await;
    }
}
