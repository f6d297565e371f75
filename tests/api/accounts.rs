//! Registration, sign-in, tokens, roles: `register`, `login`, `refreshToken`, `logout`, `me`,
//! `grantRole`, `revokeRole`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use entity::audit_event;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::harness::{JWT_SECRET, PASSWORD, TestApp, error_code};

const ME: &str = "{ me { username displayName roles organization { name kind } membershipRole } }";

#[tokio::test]
async fn a_registered_user_is_signed_in_and_audited() {
    let app = TestApp::spawn().await;
    let session = app.register("Zhang_Wei", None).await;
    let body = app.gql(session.token(), ME, json!({})).await;
    assert_eq!(
        body["data"]["me"]["username"], "zhang_wei",
        "usernames are case-insensitive"
    );
    assert_eq!(body["data"]["me"]["roles"], json!([]));

    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("register"))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn me_is_null_without_a_token() {
    let app = TestApp::spawn().await;
    let body = app.gql(None, ME, json!({})).await;
    assert_eq!(body["data"]["me"], Value::Null);
}

async fn register_errors(app: &TestApp, input: Value) -> Value {
    let body = app
        .gql(
            None,
            "mutation($input: RegisterInput!) { register(input: $input) {
                accessToken errors { field code message } } }",
            json!({ "input": input }),
        )
        .await;
    assert_eq!(body["data"]["register"]["accessToken"], Value::Null);
    body["data"]["register"]["errors"].clone()
}

#[tokio::test]
async fn duplicate_usernames_are_refused_whatever_their_case() {
    let app = TestApp::spawn().await;
    app.register("li.na", None).await;
    let errors = register_errors(
        &app,
        json!({ "username": "LI.NA", "password": PASSWORD, "displayName": "Li Na" }),
    )
    .await;
    assert_eq!(errors[0]["code"], "DUPLICATE");
    assert_eq!(errors[0]["field"], json!(["input", "username"]));
}

#[tokio::test]
async fn weak_passwords_and_bad_fields_are_named() {
    let app = TestApp::spawn().await;
    let errors = register_errors(
        &app,
        json!({ "username": "x", "password": "password123", "displayName": " " }),
    )
    .await;
    let fields: Vec<&Value> = errors
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| &e["field"])
        .collect();
    assert!(fields.contains(&&json!(["input", "username"])));
    assert!(fields.contains(&&json!(["input", "password"])));
    assert!(fields.contains(&&json!(["input", "displayName"])));
    assert!(
        errors
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e["code"] == "WEAK_PASSWORD")
    );
}

#[tokio::test]
async fn login_checks_the_password() {
    let app = TestApp::spawn().await;
    app.register("wang.fang", None).await;
    let wrong = app
        .gql(
            None,
            r#"mutation { login(input: {username: "wang.fang", password: "Not-the-password-1"}) {
                accessToken errors { code } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        wrong["data"]["login"]["errors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    assert_eq!(wrong["data"]["login"]["accessToken"], Value::Null);
    let unknown = app
        .gql(
            None,
            r#"mutation { login(input: {username: "nobody", password: "Not-the-password-1"}) {
                errors { code } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        unknown["data"]["login"]["errors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    let session = app.login("WANG.FANG", PASSWORD).await;
    let me = app.gql(session.token(), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["username"], "wang.fang");
    let sign_ins = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("login"))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(
        sign_ins, 1,
        "successful sign-ins are audited, failed ones are rate-limited"
    );
}

const LOGIN: &str = "mutation($u: String!) { login(input: {username: $u, password: \"Wrong-password-99\"}) { errors { code } } }";

#[tokio::test]
async fn login_attempts_are_limited_per_account() {
    let app = TestApp::spawn_with(|s| {
        s.login_quota_account = fupin_market::rate_limit::Quota::per_minute(3);
    })
    .await;
    app.register("liu.yang", None).await;
    for _ in 0..3 {
        let body = app.gql(None, LOGIN, json!({ "u": "liu.yang" })).await;
        assert_eq!(
            body["data"]["login"]["errors"][0]["code"],
            "INVALID_CREDENTIALS"
        );
    }
    let response = app.post(None, LOGIN, json!({ "u": "liu.yang" })).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After header");
    assert!((1..=20).contains(&retry_after), "retry after {retry_after}");
    let body: Value = response.json().await.expect("body");
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert_eq!(
        body["errors"][0]["extensions"]["retryAfter"],
        json!(retry_after)
    );
    // Another account is not affected.
    let other = app.gql(None, LOGIN, json!({ "u": "someone.else" })).await;
    assert_eq!(
        other["data"]["login"]["errors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
}

#[tokio::test]
async fn login_attempts_are_limited_per_address() {
    let app =
        TestApp::spawn_with(|s| s.login_quota_ip = fupin_market::rate_limit::Quota::per_minute(4))
            .await;
    for n in 0..4 {
        let body = app
            .gql(None, LOGIN, json!({ "u": format!("guess{n}") }))
            .await;
        assert_eq!(
            body["data"]["login"]["errors"][0]["code"],
            "INVALID_CREDENTIALS"
        );
    }
    let response = app.post(None, LOGIN, json!({ "u": "guess-next" })).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

fn forge(header: &Value, claims: &Value, secret: Option<&[u8]>) -> String {
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    match secret {
        Some(secret) => {
            let key = jsonwebtoken::EncodingKey::from_secret(secret);
            jsonwebtoken::encode(
                &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
                claims,
                &key,
            )
            .expect("encode")
        }
        None => format!("{}.{}.", encode(header), encode(claims)),
    }
}

#[tokio::test]
async fn bad_expired_tampered_and_unsigned_tokens_get_401() {
    let app = TestApp::spawn().await;
    let session = app.register("chen.jie", None).await;
    let now = chrono::Utc::now().timestamp();
    let sub = fupin_market::ids::decode(&session.user_id).expect("id").1;
    let admin_claims = json!({ "sub": sub, "iat": now, "exp": now + 600, "roles": ["ADMIN"] });
    let mut tampered: Vec<String> = session.access_token.split('.').map(str::to_owned).collect();
    tampered[1] = URL_SAFE_NO_PAD.encode(admin_claims.to_string());

    let cases = [
        ("garbage", "not-a-token".to_owned()),
        (
            "expired",
            forge(
                &json!({}),
                &json!({ "sub": sub, "iat": now - 7200, "exp": now - 3600, "roles": [] }),
                Some(JWT_SECRET),
            ),
        ),
        (
            "foreign key",
            forge(
                &json!({}),
                &admin_claims,
                Some(b"somebody-elses-secret-key-0123456789"),
            ),
        ),
        ("tampered", tampered.join(".")),
        (
            "alg none",
            forge(&json!({ "alg": "none", "typ": "JWT" }), &admin_claims, None),
        ),
    ];
    for (name, token) in cases {
        let response = app.post(Some(&token), ME, json!({})).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert!(
            response.headers().contains_key("www-authenticate"),
            "{name}"
        );
        let body: Value = response.json().await.expect("body");
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{name}");
    }
    let wrong_scheme = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", format!("Basic {}", session.access_token))
        .json(&json!({ "query": ME }))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_scheme.status(), StatusCode::UNAUTHORIZED);
}

const REFRESH: &str = "mutation($t: String!) { refreshToken(input: {refreshToken: $t}) {
    accessToken refreshToken errors { code field } } }";

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let first = app.register("zhao.lei", None).await;
    let rotated = app
        .gql(None, REFRESH, json!({ "t": first.refresh_token }))
        .await;
    let second = rotated["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .expect("new token")
        .to_owned();
    let access = rotated["data"]["refreshToken"]["accessToken"]
        .as_str()
        .expect("access")
        .to_owned();
    assert_ne!(second, first.refresh_token);
    let me = app.gql(Some(&access), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["username"], "zhao.lei");

    // The old token again: someone copied it. Refused, and the new one dies with it.
    let reused = app
        .gql(None, REFRESH, json!({ "t": first.refresh_token }))
        .await;
    assert_eq!(
        reused["data"]["refreshToken"]["errors"][0]["code"],
        "INVALID_TOKEN"
    );
    let after = app.gql(None, REFRESH, json!({ "t": second })).await;
    assert_eq!(
        after["data"]["refreshToken"]["errors"][0]["code"],
        "INVALID_TOKEN"
    );
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_succeed_once() {
    let app = TestApp::spawn().await;
    let session = app.register("sun.li", None).await;
    let attempts = (0..8).map(|_| app.gql(None, REFRESH, json!({ "t": session.refresh_token })));
    let results = futures_util::future::join_all(attempts).await;
    let successes = results
        .iter()
        .filter(|b| b["data"]["refreshToken"]["accessToken"].is_string())
        .count();
    assert_eq!(successes, 1);
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let app = TestApp::spawn().await;
    let session = app.register("zhou.min", None).await;
    let body = app
        .gql(
            None,
            "mutation($t: String!) { logout(input: {refreshToken: $t}) { revoked errors { code } } }",
            json!({ "t": session.refresh_token }),
        )
        .await;
    assert_eq!(body["data"]["logout"]["revoked"], true);
    let refused = app
        .gql(None, REFRESH, json!({ "t": session.refresh_token }))
        .await;
    assert_eq!(
        refused["data"]["refreshToken"]["errors"][0]["code"],
        "INVALID_TOKEN"
    );
    let unknown = app
        .gql(
            None,
            "mutation { logout(input: {refreshToken: \"never-issued\"}) { revoked errors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(unknown["data"]["logout"]["revoked"], false);
}

const USERS: &str = "{ users(first: 10) { totalCount nodes { username } } }";

#[tokio::test]
async fn guards_tell_anonymous_from_forbidden() {
    let app = TestApp::spawn().await;
    let anonymous = app.gql(None, USERS, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let buyer = app
        .register("buyer.one", Some(("邯郸市第一中学食堂", "BUYER")))
        .await;
    let forbidden = app.gql(buyer.token(), USERS, json!({})).await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN");
    let admin = app.admin().await;
    let listed = app.gql(admin.token(), USERS, json!({})).await;
    assert_eq!(listed["data"]["users"]["totalCount"], 2);
}

const GRANT: &str = "mutation($input: RoleGrantInput!) { grantRole(input: $input) {
    user { grants { role regionCode } } errors { code field } } }";

#[tokio::test]
async fn admins_grant_scoped_roles_that_take_effect_at_next_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let officer = app.register("wang.officer", None).await;
    let granted = app
        .gql(
            admin.token(),
            GRANT,
            json!({ "input": { "userId": officer.user_id, "role": "OFFICER", "regionCode": "130126" } }),
        )
        .await;
    assert_eq!(
        granted["data"]["grantRole"]["user"]["grants"],
        json!([{ "role": "OFFICER", "regionCode": "130126" }])
    );
    let again = app
        .gql(
            admin.token(),
            GRANT,
            json!({ "input": { "userId": officer.user_id, "role": "OFFICER", "regionCode": "130126" } }),
        )
        .await;
    assert_eq!(again["data"]["grantRole"]["errors"][0]["code"], "DUPLICATE");
    let unscoped = app
        .gql(
            admin.token(),
            GRANT,
            json!({ "input": { "userId": officer.user_id, "role": "OFFICER" } }),
        )
        .await;
    assert_eq!(
        unscoped["data"]["grantRole"]["errors"][0]["field"],
        json!(["input", "regionCode"])
    );

    let relogin = app.login("wang.officer", PASSWORD).await;
    let me = app.gql(relogin.token(), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["roles"], json!(["OFFICER"]));

    let self_grant = app
        .gql(
            relogin.token(),
            GRANT,
            json!({ "input": { "userId": officer.user_id, "role": "ADMIN" } }),
        )
        .await;
    assert_eq!(error_code(&self_grant), "FORBIDDEN");

    let revoked = app
        .gql(
            admin.token(),
            "mutation($input: RoleGrantInput!) { revokeRole(input: $input) { user { grants { role } } errors { code } } }",
            json!({ "input": { "userId": officer.user_id, "role": "OFFICER", "regionCode": "130126" } }),
        )
        .await;
    assert_eq!(revoked["data"]["revokeRole"]["user"]["grants"], json!([]));
}
