//! Organisations and members: registration with an organisation, `addMember`, `members`, `node`.

use serde_json::{Value, json};

use crate::harness::{Session, TestApp, error_code};

const ADD: &str = "mutation($input: AddMemberInput!) { addMember(input: $input) {
    member { role user { username } } errors { code field message } } }";

async fn organization_id(app: &TestApp, session: &Session) -> String {
    let body = app
        .gql(session.token(), "{ me { organization { id } } }", json!({}))
        .await;
    body["data"]["me"]["organization"]["id"]
        .as_str()
        .expect("organization")
        .to_owned()
}

#[tokio::test]
async fn registering_with_an_organisation_makes_you_its_admin() {
    let app = TestApp::spawn().await;
    let coop = app
        .register(
            "qinglian",
            Some(("灵寿县青廉红薯种植专业合作社", "PRODUCER")),
        )
        .await;
    let body = app
        .gql(
            coop.token(),
            "{ me { roles membershipRole organization { name kind } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["me"],
        json!({ "roles": ["PRODUCER"], "membershipRole": "ADMIN",
                "organization": { "name": "灵寿县青廉红薯种植专业合作社", "kind": "PRODUCER" } })
    );
}

#[tokio::test]
async fn an_organisation_admin_adds_members_and_pages_through_them() {
    let app = TestApp::spawn().await;
    let coop = app
        .register("qinglian", Some(("青廉合作社", "PRODUCER")))
        .await;
    let org = organization_id(&app, &coop).await;
    for name in ["member.a", "member.b"] {
        app.register(name, None).await;
        let body = app
            .gql(
                coop.token(),
                ADD,
                json!({ "input": { "organizationId": org, "username": name } }),
            )
            .await;
        assert_eq!(body["data"]["addMember"]["errors"], json!([]), "{body}");
        assert_eq!(body["data"]["addMember"]["member"]["role"], "MEMBER");
    }
    let page = |after: Value| {
        app.gql(
            coop.token(),
            "query($id: ID!, $after: String) { node(id: $id) { ... on Organization {
                members(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
                  edges { cursor node { user { username } } } } } } }",
            json!({ "id": org, "after": after }),
        )
    };
    let first = page(Value::Null).await;
    let members = &first["data"]["node"]["members"];
    assert_eq!(members["totalCount"], 3);
    assert_eq!(members["pageInfo"]["hasNextPage"], true);
    assert_eq!(members["edges"].as_array().map(Vec::len), Some(2));
    let second = page(members["pageInfo"]["endCursor"].clone()).await;
    let rest = &second["data"]["node"]["members"];
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest["edges"].as_array().map(Vec::len), Some(1));
    let mut seen: Vec<String> = [members, rest]
        .iter()
        .flat_map(|m| m["edges"].as_array().cloned().unwrap_or_default())
        .map(|e| {
            e["node"]["user"]["username"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    seen.sort();
    assert_eq!(seen, ["member.a", "member.b", "qinglian"]);

    // The new member sees the organisation's roster but may not add anyone.
    let member = app.login("member.a", crate::harness::PASSWORD).await;
    app.register("member.c", None).await;
    let refused = app
        .gql(
            member.token(),
            ADD,
            json!({ "input": { "organizationId": org, "username": "member.c" } }),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}

#[tokio::test]
async fn add_member_reports_unknown_and_taken_users() {
    let app = TestApp::spawn().await;
    let coop = app
        .register("coop.admin", Some(("红薯合作社", "PRODUCER")))
        .await;
    let org = organization_id(&app, &coop).await;
    let unknown = app
        .gql(
            coop.token(),
            ADD,
            json!({ "input": { "organizationId": org, "username": "ghost" } }),
        )
        .await;
    assert_eq!(
        unknown["data"]["addMember"]["errors"][0]["code"],
        "NOT_FOUND"
    );
    app.register("canteen.admin", Some(("县一中食堂", "BUYER")))
        .await;
    let taken = app
        .gql(
            coop.token(),
            ADD,
            json!({ "input": { "organizationId": org, "username": "canteen.admin" } }),
        )
        .await;
    assert_eq!(taken["data"]["addMember"]["errors"][0]["code"], "DUPLICATE");
    let outsider = app
        .register("outsider", Some(("另一合作社", "PRODUCER")))
        .await;
    app.register("newbie", None).await;
    let foreign = app
        .gql(
            outsider.token(),
            ADD,
            json!({ "input": { "organizationId": org, "username": "newbie" } }),
        )
        .await;
    assert_eq!(
        error_code(&foreign),
        "NOT_FOUND",
        "an organisation with no verified profile is private"
    );
    let bad_id = app
        .gql(
            coop.token(),
            ADD,
            json!({ "input": { "organizationId": "nonsense", "username": "newbie" } }),
        )
        .await;
    assert_eq!(error_code(&bad_id), "BAD_USER_INPUT");
}

#[tokio::test]
async fn users_are_visible_only_to_themselves_their_organisation_and_staff() {
    let app = TestApp::spawn().await;
    let coop = app
        .register("coop.lead", Some(("合作社甲", "PRODUCER")))
        .await;
    let stranger = app.register("stranger", None).await;
    let query = "query($id: ID!) { node(id: $id) { id ... on User { username } } }";
    let own = app
        .gql(coop.token(), query, json!({ "id": coop.user_id }))
        .await;
    assert_eq!(own["data"]["node"]["username"], "coop.lead");
    let hidden = app
        .gql(stranger.token(), query, json!({ "id": coop.user_id }))
        .await;
    assert_eq!(hidden["data"]["node"], Value::Null);
    let anonymous = app.gql(None, query, json!({ "id": coop.user_id })).await;
    assert_eq!(anonymous["data"]["node"], Value::Null);
    let admin = app.admin().await;
    let staff = app
        .gql(
            admin.token(),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [coop.user_id, stranger.user_id, "bogus"] }),
        )
        .await;
    assert_eq!(staff["data"]["nodes"][0]["id"], coop.user_id);
    assert_eq!(staff["data"]["nodes"][1]["id"], stranger.user_id);
    assert_eq!(staff["data"]["nodes"][2], Value::Null);
}
