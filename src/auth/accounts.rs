//! Account rules: registration (with the organisation the user will act for, if asked), sign-in
//! with its rate limits and trail of refused attempts, refresh-token rotation and sign-out, a
//! user's roles, platform role grants and the bootstrap admin.

use chrono::{DateTime, Utc};
use entity::{
    api_name::ApiName,
    membership::{self, MemberRole},
    organization::{self, OrganizationKind},
    refresh_token, role_grant,
    role_grant::PlatformRole,
    user::{self, UserStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::{Caller, ClientInfo, Role, Viewer, password, tokens};
use crate::{
    audit::{self, Change},
    error::{AppError, AppResult, ErrorCode, UserError, is_unique_violation},
    ids::new_uuid,
    rate_limit::RetryAfter,
    state::Services,
};

/// A signed-in session: the user and a fresh pair of tokens.
pub struct Session {
    pub user: user::Model,
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
}

pub struct NewOrganization {
    pub name: String,
    pub kind: OrganizationKind,
}

pub struct Registration {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub organization: Option<NewOrganization>,
}

/// Usernames are case-insensitive: stored lower-cased.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

fn validate_registration(r: &Registration) -> AppResult<()> {
    let mut errors = Vec::new();
    let username = normalize_username(&r.username);
    let length = username.chars().count();
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '-');
    if !(3..=32).contains(&length)
        || !username.chars().all(allowed)
        || !username.chars().next().is_some_and(char::is_alphanumeric)
    {
        errors.push(UserError::on(
            "username",
            ErrorCode::Invalid,
            msg!("accounts.username_has_3_32_letters_digits"),
        ));
    }
    if let Some(reason) = password::weakness(&r.password, &username) {
        errors.push(UserError::on("password", ErrorCode::WeakPassword, reason));
    }
    if !(1..=50).contains(&r.display_name.trim().chars().count()) {
        errors.push(UserError::on(
            "displayName",
            ErrorCode::Invalid,
            msg!("accounts.display_name_has_1_50_characters"),
        ));
    }
    if let Some(phone) = &r.phone {
        let ok = (5..=20).contains(&phone.len())
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
        if !ok {
            errors.push(UserError::on(
                "phone",
                ErrorCode::Invalid,
                msg!("accounts.not_phone_number"),
            ));
        }
    }
    if let Some(org) = &r.organization
        && !(2..=100).contains(&org.name.trim().chars().count())
    {
        errors.push(UserError {
            field: Some(vec!["input".into(), "organization".into(), "name".into()]),
            code: ErrorCode::Invalid,
            message: msg!("accounts.organisation_name_has_2_100_characters"),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::User(errors))
    }
}

fn duplicate_username() -> AppError {
    AppError::user(UserError::on(
        "username",
        ErrorCode::Duplicate,
        msg!("accounts.username_taken"),
    ))
}

/// Creates an account (and, when asked, the organisation it will act for, with the new user as
/// its admin) and signs it in.
pub async fn register(
    services: &Services,
    registration: Registration,
    client: &ClientInfo,
) -> AppResult<Session> {
    validate_registration(&registration)?;
    let username = normalize_username(&registration.username);
    let db = &services.db;
    if user::Entity::find()
        .filter(user::Column::Username.eq(&username))
        .one(db)
        .await?
        .is_some()
    {
        return Err(duplicate_username());
    }
    let password_hash = password::hash(registration.password).await?;
    let now = Utc::now();

    let txn = db.begin().await?;
    let user = user::ActiveModel {
        id: Set(new_uuid()),
        username: Set(username),
        display_name: Set(registration.display_name.trim().to_owned()),
        phone: Set(registration.phone.map(|p| p.trim().to_owned())),
        password_hash: Set(password_hash),
        status: Set(UserStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            duplicate_username()
        } else {
            e.into()
        }
    })?;
    let mut roles = Vec::new();
    if let Some(org) = registration.organization {
        roles.push(found_organization(&txn, &user, org).await?);
    }
    let actor = Viewer {
        user_id: user.id,
        roles: roles.clone(),
    };
    Caller::new(services, &actor, *client)
        .audit(
            &txn,
            Change {
                action: "register",
                target_type: "User",
                target_id: Some(user.id),
                summary: json!({ "username": user.username }),
            },
        )
        .await?;
    let session = open_session(services, &txn, user, roles, None).await?;
    txn.commit().await?;
    Ok(session)
}

/// Creates the organisation a new user registers with, the user its admin; returns the role
/// its kind gives.
async fn found_organization(
    conn: &impl ConnectionTrait,
    founder: &user::Model,
    org: NewOrganization,
) -> AppResult<Role> {
    let organization = organization::ActiveModel {
        id: Set(new_uuid()),
        kind: Set(org.kind),
        name: Set(org.name.trim().to_owned()),
        region_code: Set(None),
        created_by: Set(Some(founder.id)),
        created_at: Set(founder.created_at),
    }
    .insert(conn)
    .await?;
    membership::ActiveModel {
        user_id: Set(founder.id),
        organization_id: Set(organization.id),
        role: Set(MemberRole::Admin),
        added_by: Set(None),
        created_at: Set(founder.created_at),
    }
    .insert(conn)
    .await?;
    Ok(role_of_kind(organization.kind))
}

fn rate_limited(RetryAfter(retry_after): RetryAfter) -> AppError {
    AppError::RateLimited { retry_after }
}

/// Signs in with username and password. Attempts are limited per account and per client address.
pub async fn login(
    services: &Services,
    username: &str,
    password_attempt: String,
    client: &ClientInfo,
) -> AppResult<Session> {
    let username = normalize_username(username);
    let settings = &services.settings;
    let limiter = &services.limiter;
    limiter
        .check(&format!("login:ip:{}", client.ip), settings.login_quota_ip)
        .await
        .map_err(rate_limited)?;
    limiter
        .check(
            &format!("login:user:{username}"),
            settings.login_quota_account,
        )
        .await
        .map_err(rate_limited)?;

    let db = &services.db;
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(&username))
        .one(db)
        .await?;
    let stored = found.as_ref().map(|u| u.password_hash.clone());
    if !password::verify(password_attempt, stored).await? {
        let reason = if found.is_some() {
            "WRONG_PASSWORD"
        } else {
            "UNKNOWN_USERNAME"
        };
        record_failed_login(db, client, &username, found.as_ref(), reason).await?;
        return Err(AppError::user(UserError::new(
            ErrorCode::InvalidCredentials,
            msg!("accounts.wrong_username_password"),
        )));
    }
    let user = found.ok_or(AppError::Unauthenticated)?;
    if user.status == UserStatus::Disabled {
        record_failed_login(db, client, &username, Some(&user), "ACCOUNT_DISABLED").await?;
        return Err(AppError::user(UserError::new(
            ErrorCode::AccountDisabled,
            msg!("accounts.account_disabled"),
        )));
    }
    let roles = roles_of(db, user.id).await?;
    let txn = db.begin().await?;
    let actor = Viewer {
        user_id: user.id,
        roles: roles.clone(),
    };
    record_session_event(&txn, &actor, Some(client), "login").await?;
    let session = open_session(services, &txn, user, roles, None).await?;
    txn.commit().await?;
    Ok(session)
}

/// Longest username kept in a failed sign-in's record (what was typed may be anything).
const MAX_RECORDED_USERNAME: usize = 64;

/// Audits a refused sign-in: the username tried, the client address and why; never the
/// password. Attempts refused by the rate limits are not recorded, so a flood cannot grow the
/// trail faster than the limits allow sign-ins.
async fn record_failed_login(
    conn: &impl ConnectionTrait,
    client: &ClientInfo,
    username: &str,
    account: Option<&user::Model>,
    reason: &str,
) -> AppResult<()> {
    let tried: String = username.chars().take(MAX_RECORDED_USERNAME).collect();
    audit::record(
        conn,
        None,
        Some(client),
        Change {
            action: "loginFailed",
            target_type: "User",
            target_id: account.map(|u| u.id),
            summary: json!({ "username": tried, "reason": reason }),
        },
    )
    .await
}

async fn record_session_event(
    conn: &impl ConnectionTrait,
    actor: &Viewer,
    client: Option<&ClientInfo>,
    action: &str,
) -> AppResult<()> {
    audit::record(
        conn,
        Some(actor),
        client,
        Change {
            action,
            target_type: "User",
            target_id: Some(actor.user_id),
            summary: json!({}),
        },
    )
    .await
}

fn invalid_refresh_token() -> AppError {
    AppError::user(UserError::on(
        "refreshToken",
        ErrorCode::InvalidToken,
        msg!("accounts.refresh_token_not_valid_sign_again"),
    ))
}

/// Trades a refresh token for a new pair. Each token works once: presenting one that was
/// already rotated means someone else holds a copy, so the whole family is revoked.
pub async fn refresh(services: &Services, presented: &str) -> AppResult<Session> {
    let db = &services.db;
    let hash = tokens::hash_refresh_token(presented);
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(db)
        .await?
    else {
        return Err(invalid_refresh_token());
    };
    let now = Utc::now();
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(invalid_refresh_token());
    }
    let txn = db.begin().await?;
    // Claim the token atomically: of two concurrent uses, exactly one wins.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RotatedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::RotatedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        revoke_family(&txn, token.family_id, now).await?;
        txn.commit().await?;
        tracing::warn!(user = %token.user_id, "refresh token reused; family revoked");
        return Err(invalid_refresh_token());
    }
    let user = user::Entity::find_by_id(token.user_id)
        .one(&txn)
        .await?
        .ok_or_else(invalid_refresh_token)?;
    if user.status == UserStatus::Disabled {
        return Err(invalid_refresh_token());
    }
    let roles = roles_of(&txn, user.id).await?;
    let actor = Viewer {
        user_id: user.id,
        roles: roles.clone(),
    };
    record_session_event(&txn, &actor, None, "refreshToken").await?;
    let session = open_session(services, &txn, user, roles, Some(token.family_id)).await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends the session the refresh token belongs to.
pub async fn logout(services: &Services, presented: &str) -> AppResult<()> {
    let hash = tokens::hash_refresh_token(presented);
    let token = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&services.db)
        .await?
        .ok_or_else(invalid_refresh_token)?;
    let txn = services.db.begin().await?;
    revoke_family(&txn, token.family_id, Utc::now()).await?;
    let actor = Viewer {
        user_id: token.user_id,
        roles: Vec::new(),
    };
    record_session_event(&txn, &actor, None, "logout").await?;
    txn.commit().await?;
    Ok(())
}

async fn revoke_family(
    conn: &impl ConnectionTrait,
    family: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

async fn open_session(
    services: &Services,
    conn: &impl ConnectionTrait,
    user: user::Model,
    roles: Vec<Role>,
    family: Option<Uuid>,
) -> AppResult<Session> {
    let (refresh_token, hash) = tokens::new_refresh_token();
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(services.settings.refresh_token_ttl)
        .map_err(AppError::internal)?;
    refresh_token::ActiveModel {
        id: Set(new_uuid()),
        user_id: Set(user.id),
        family_id: Set(family.unwrap_or_else(new_uuid)),
        token_hash: Set(hash),
        expires_at: Set(now + ttl),
        created_at: Set(now),
        rotated_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    let (access_token, access_token_expires_at) = services.tokens.issue(user.id, roles)?;
    Ok(Session {
        user,
        access_token,
        access_token_expires_at,
        refresh_token,
    })
}

pub fn role_of_kind(kind: OrganizationKind) -> Role {
    match kind {
        OrganizationKind::Producer => Role::Producer,
        OrganizationKind::Buyer => Role::Buyer,
    }
}

pub fn role_of_grant(role: PlatformRole) -> Role {
    match role {
        PlatformRole::Admin => Role::Admin,
        PlatformRole::Officer => Role::Officer,
        PlatformRole::Auditor => Role::Auditor,
    }
}

/// A user's current roles, from grants and membership.
pub async fn roles_of(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Vec<Role>> {
    let grants = role_grant::Entity::find()
        .filter(role_grant::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let mut roles: Vec<Role> = grants.iter().map(|g| role_of_grant(g.role)).collect();
    if let Some((_, Some(org))) = membership::Entity::find_by_id(user_id)
        .find_also_related(organization::Entity)
        .one(conn)
        .await?
    {
        roles.push(role_of_kind(org.kind));
    }
    roles.sort_by_key(|r| *r as u8);
    roles.dedup();
    Ok(roles)
}

/// A division code: 2 (province), 4 (city), 6 (county), 9 (township) or 12 (village) digits.
pub fn is_division_code(code: &str) -> bool {
    matches!(code.len(), 2 | 4 | 6 | 9 | 12) && code.bytes().all(|b| b.is_ascii_digit())
}

/// The region a grant is scoped to (empty: nationwide): a division code, required for officers.
fn grant_region(role: PlatformRole, region_code: Option<String>) -> AppResult<String> {
    let region_code = region_code.unwrap_or_default();
    if !region_code.is_empty() && !is_division_code(&region_code) {
        return Err(AppError::user(UserError::on(
            "regionCode",
            ErrorCode::Invalid,
            msg!("accounts.not_division_code_2_4_6"),
        )));
    }
    if role == PlatformRole::Officer && region_code.is_empty() {
        return Err(AppError::user(UserError::on(
            "regionCode",
            ErrorCode::Invalid,
            msg!("accounts.officer_scoped_region"),
        )));
    }
    Ok(region_code)
}

/// Gives a platform role to a user (admins only). Officers need a region; admins and auditors
/// may be nationwide.
pub async fn grant_role(
    caller: Caller<'_>,
    user_id: Uuid,
    role: PlatformRole,
    region_code: Option<String>,
) -> AppResult<role_grant::Model> {
    if !caller.viewer.is_admin() {
        return Err(AppError::Forbidden(
            "forbidden.only_platform_admins_grant_roles",
        ));
    }
    let region_code = grant_region(role, region_code)?;
    let db = caller.db();
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("not_found.user"))?;
    let txn = db.begin().await?;
    let grant = role_grant::ActiveModel {
        id: Set(new_uuid()),
        user_id: Set(user_id),
        role: Set(role),
        region_code: Set(region_code),
        granted_by: Set(Some(caller.viewer.user_id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::user(UserError::new(
                ErrorCode::Duplicate,
                msg!("accounts.user_already_holds_role_here"),
            ))
        } else {
            e.into()
        }
    })?;
    caller
        .audit(
            &txn,
            Change {
                action: "grantRole",
                target_type: "User",
                target_id: Some(user_id),
                summary: json!({ "role": role.api_name(), "regionCode": grant.region_code }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(grant)
}

/// Takes a platform role back (admins only; an admin cannot drop their own admin role, so the
/// platform is never left without one by accident).
pub async fn revoke_role(
    caller: Caller<'_>,
    user_id: Uuid,
    role: PlatformRole,
    region_code: Option<String>,
) -> AppResult<()> {
    if !caller.viewer.is_admin() {
        return Err(AppError::Forbidden(
            "forbidden.only_platform_admins_revoke_roles",
        ));
    }
    if user_id == caller.viewer.user_id && role == PlatformRole::Admin {
        return Err(AppError::user(UserError::new(
            ErrorCode::Invalid,
            msg!("accounts.you_cannot_revoke_your_own_admin"),
        )));
    }
    let region_code = region_code.unwrap_or_default();
    let txn = caller.db().begin().await?;
    let removed = role_grant::Entity::delete_many()
        .filter(role_grant::Column::UserId.eq(user_id))
        .filter(role_grant::Column::Role.eq(role))
        .filter(role_grant::Column::RegionCode.eq(&region_code))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(AppError::user(UserError::new(
            ErrorCode::Invalid,
            msg!("accounts.user_does_not_hold_role_here"),
        )));
    }
    caller
        .audit(
            &txn,
            Change {
                action: "revokeRole",
                target_type: "User",
                target_id: Some(user_id),
                summary: json!({ "role": role.api_name(), "regionCode": region_code }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Creates a platform admin (for `create-admin` and the demo data); no-op if the name exists.
pub async fn ensure_admin(
    db: &DatabaseConnection,
    username: &str,
    password_plain: &str,
    display_name: &str,
) -> AppResult<user::Model> {
    let username = normalize_username(username);
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::Username.eq(&username))
        .one(db)
        .await?
    {
        return Ok(existing);
    }
    password::check_policy(password_plain, &username)?;
    let hash = password::hash(password_plain.to_owned()).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let admin = user::ActiveModel {
        id: Set(new_uuid()),
        username: Set(username),
        display_name: Set(display_name.to_owned()),
        phone: Set(None),
        password_hash: Set(hash),
        status: Set(UserStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    role_grant::ActiveModel {
        id: Set(new_uuid()),
        user_id: Set(admin.id),
        role: Set(PlatformRole::Admin),
        region_code: Set(String::new()),
        granted_by: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        None,
        None,
        Change {
            action: "createAdmin",
            target_type: "User",
            target_id: Some(admin.id),
            summary: json!({ "username": admin.username }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(admin)
}

#[cfg(test)]
mod tests {
    use entity::organization::OrganizationKind;

    use entity::role_grant::PlatformRole;

    use super::{NewOrganization, Registration, grant_region, validate_registration};
    use crate::error::AppError;

    fn registration(username: &str) -> Registration {
        Registration {
            username: username.into(),
            password: "Correct-Horse-42".into(),
            display_name: "王芳".into(),
            phone: None,
            organization: None,
        }
    }

    fn fields(r: &Registration) -> Vec<String> {
        match validate_registration(r) {
            Ok(()) => Vec::new(),
            Err(AppError::User(errors)) => errors
                .into_iter()
                .filter_map(|e| e.field.and_then(|f| f.last().cloned()))
                .collect(),
            Err(other) => panic!("not a user error: {other:?}"),
        }
    }

    #[test]
    fn a_username_is_three_to_thirty_two_plain_characters() {
        assert!(fields(&registration("wang.fang")).is_empty());
        assert_eq!(fields(&registration("wf")), ["username"]);
        assert_eq!(fields(&registration("_wang")), ["username"]);
        assert_eq!(fields(&registration("wang fang")), ["username"]);
    }

    #[test]
    fn every_field_is_checked_at_once() {
        let mut r = registration("wang.fang");
        r.display_name = "  ".into();
        r.phone = Some("call me".into());
        r.organization = Some(NewOrganization {
            name: "x".into(),
            kind: OrganizationKind::Buyer,
        });
        assert_eq!(fields(&r), ["displayName", "phone", "name"]);
    }

    #[test]
    fn officers_are_scoped_to_a_division() {
        assert_eq!(
            grant_region(PlatformRole::Admin, None).ok(),
            Some(String::new())
        );
        assert!(grant_region(PlatformRole::Officer, None).is_err());
        assert!(grant_region(PlatformRole::Officer, Some("13012".into())).is_err());
        assert_eq!(
            grant_region(PlatformRole::Auditor, Some("130126".into())).ok(),
            Some("130126".into())
        );
    }
}
