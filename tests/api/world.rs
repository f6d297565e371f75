//! A small world built through the API: the demo division tree, officers of two counties, an
//! auditor, a verified producer in 灵寿县 with an admin and a clerk, a buyer in 石家庄市, and a
//! user with no organisation.

use serde_json::{Value, json};

use crate::harness::{PASSWORD, Session, TestApp};

/// 青廉村, a village of 灵寿县 (130126).
pub const VILLAGE: &str = "130126204207";
pub const COUNTY: &str = "130126";
/// 阳原县, another county.
pub const OTHER_COUNTY: &str = "130727";
/// 石家庄市.
pub const CITY: &str = "1301";

pub struct World {
    pub app: TestApp,
    pub admin: Session,
    /// Officers of 灵寿县: the first reviewer and the county decider.
    pub officer: Session,
    pub officer2: Session,
    /// Officer of 阳原县: outside the producer's region.
    pub other_officer: Session,
    pub auditor: Session,
    pub producer_admin: Session,
    pub producer_clerk: Session,
    pub producer_id: String,
    pub buyer_admin: Session,
    pub buyer_id: String,
    pub outsider: Session,
}

impl World {
    pub async fn build() -> World {
        Self::build_with(|_| {}).await
    }

    pub async fn build_with(configure: impl FnOnce(&mut fupin_market::config::Settings)) -> World {
        let app = TestApp::spawn_with(configure).await;
        fupin_market::region::import::import_embedded(app.db())
            .await
            .expect("regions");
        let admin = app.admin().await;
        let staff = [
            ("county.officer", "OFFICER", Some(COUNTY)),
            ("county.officer2", "OFFICER", Some(COUNTY)),
            ("other.officer", "OFFICER", Some(OTHER_COUNTY)),
            ("hebei.auditor", "AUDITOR", Some("13")),
        ];
        let mut sessions = Vec::new();
        for (name, role, region) in staff {
            let session = app.register(name, None).await;
            let granted = app
                .gql(
                    admin.token(),
                    "mutation($input: RoleGrantInput!) { grantRole(input: $input) { errors { code } } }",
                    json!({ "input": { "userId": session.user_id, "role": role, "regionCode": region } }),
                )
                .await;
            assert_eq!(granted["data"]["grantRole"]["errors"], json!([]));
            sessions.push(app.login(name, PASSWORD).await);
        }
        let [officer, officer2, other_officer, auditor]: [Session; 4] =
            sessions.try_into().unwrap_or_else(|_| unreachable!());

        let producer_admin = app
            .register(
                "coop.admin",
                Some(("灵寿县青廉红薯种植专业合作社", "PRODUCER")),
            )
            .await;
        let org = app
            .gql(
                producer_admin.token(),
                "{ me { organization { id } } }",
                json!({}),
            )
            .await;
        let org_id = org["data"]["me"]["organization"]["id"].clone();
        let created = app
            .gql(
                producer_admin.token(),
                CREATE_PRODUCER,
                json!({ "input": producer_input(Some(org_id), "灵寿县青廉红薯种植专业合作社", VILLAGE) }),
            )
            .await;
        let producer_id = created["data"]["createProducer"]["producer"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createProducer: {created}"))
            .to_owned();
        let verified = app
            .gql(
                officer.token(),
                "mutation($id: ID!) { verifyProducer(input: {producerId: $id}) { errors { code } } }",
                json!({ "id": producer_id }),
            )
            .await;
        assert_eq!(
            verified["data"]["verifyProducer"]["errors"],
            json!([]),
            "{verified}"
        );
        app.register("coop.clerk", None).await;
        let added = app
            .gql(
                producer_admin.token(),
                "mutation($org: ID!) { addMember(input: {organizationId: $org, username: \"coop.clerk\"}) { errors { code } } }",
                json!({ "org": org["data"]["me"]["organization"]["id"] }),
            )
            .await;
        assert_eq!(added["data"]["addMember"]["errors"], json!([]));
        let producer_clerk = app.login("coop.clerk", PASSWORD).await;

        let buyer_admin = app
            .register(
                "canteen.admin",
                Some(("石家庄市机关事务管理局机关食堂", "BUYER")),
            )
            .await;
        let org = app
            .gql(
                buyer_admin.token(),
                "{ me { organization { id } } }",
                json!({}),
            )
            .await;
        let buyer = app
            .gql(
                buyer_admin.token(),
                CREATE_BUYER,
                json!({ "input": {
                    "organizationId": org["data"]["me"]["organization"]["id"], "name": "石家庄市机关事务管理局机关食堂",
                    "kind": "CANTEEN", "regionCode": CITY, "contactName": "刘采购", "contactPhone": "0311-86000000" } }),
            )
            .await;
        let buyer_id = buyer["data"]["createBuyer"]["buyer"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createBuyer: {buyer}"))
            .to_owned();
        let outsider = app.register("outsider", None).await;
        World {
            app,
            admin,
            officer,
            officer2,
            other_officer,
            auditor,
            producer_admin,
            producer_clerk,
            producer_id,
            buyer_admin,
            buyer_id,
            outsider,
        }
    }

    /// A published product of the world's producer; returns its ID.
    pub async fn published_product(&self, name: &str, price: &str) -> String {
        let id = self.draft_product(name, price).await;
        let published = self
            .app
            .gql(
                self.producer_clerk.token(),
                "mutation($id: ID!) { publishProduct(input: {id: $id}) { errors { code message } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(
            published["data"]["publishProduct"]["errors"],
            json!([]),
            "{published}"
        );
        id
    }

    pub async fn draft_product(&self, name: &str, price: &str) -> String {
        let created = self
            .app
            .gql(
                self.producer_clerk.token(),
                CREATE_PRODUCT,
                json!({ "input": product_input(&self.producer_id, name, price) }),
            )
            .await;
        created["data"]["createProduct"]["product"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createProduct: {created}"))
            .to_owned()
    }
}

pub const CREATE_PRODUCER: &str = "mutation($input: CreateProducerInput!) { createProducer(input: $input) {
    producer { id name verificationStatus creditStatus region { code } } errors { field code message } } }";

pub const CREATE_BUYER: &str = "mutation($input: CreateBuyerInput!) { createBuyer(input: $input) {
    buyer { id name } errors { field code message } } }";

pub const CREATE_PRODUCT: &str =
    "mutation($input: CreateProductInput!) { createProduct(input: $input) {
    product { id name price stock status listed } errors { field code message } } }";

pub fn producer_input(organization_id: Option<Value>, name: &str, region: &str) -> Value {
    json!({
        "organizationId": organization_id, "name": name, "kind": "COOPERATIVE", "regionCode": region,
        "licenceNo": "93130126MA0109Y098", "contactName": "张国强", "contactPhone": "13706028104",
        "linkageModes": ["BUSINESS_INCOME", "WAGE"], "poorHouseholdsLinked": 86, "profitSharePercent": 10
    })
}

pub fn product_input(producer_id: &str, name: &str, price: &str) -> Value {
    json!({
        "producerId": producer_id, "name": name, "category": "GRAIN_OIL", "spec": "5kg/箱", "unit": "箱",
        "price": price, "minOrderQuantity": 1, "stock": 100,
        "originStatement": "青廉村社员种植, 合作社按订单保护价收购"
    })
}
