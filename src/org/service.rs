//! Membership rules: an organisation's admin (or a platform admin) adds members; a user belongs
//! to at most one organisation.

use chrono::Utc;
use entity::{
    api_name::ApiName,
    membership::{self, MemberRole},
    organization, user,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select, Set,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Change},
    auth::{ClientInfo, Role, Viewer, accounts::normalize_username},
    error::{AppError, AppResult, ErrorCode, UserError, is_unique_violation},
    state::Services,
};

/// The viewer's own membership, if any.
pub async fn membership_of(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
) -> AppResult<Option<membership::Model>> {
    Ok(membership::Entity::find_by_id(user_id).one(conn).await?)
}

/// Whether the viewer may manage the organisation's members.
async fn can_manage(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    organization_id: Uuid,
) -> AppResult<bool> {
    if viewer.is_admin() {
        return Ok(true);
    }
    Ok(membership_of(conn, viewer.user_id)
        .await?
        .is_some_and(|m| m.organization_id == organization_id && m.role == MemberRole::Admin))
}

/// Whether the viewer may see who belongs to the organisation: its members and platform staff.
pub async fn can_see_members(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    organization_id: Uuid,
) -> AppResult<bool> {
    if viewer.is_admin() || viewer.has(Role::Officer) || viewer.has(Role::Auditor) {
        return Ok(true);
    }
    Ok(membership_of(conn, viewer.user_id)
        .await?
        .is_some_and(|m| m.organization_id == organization_id))
}

/// Members of an organisation, for paging.
pub fn members_query(organization_id: Uuid) -> Select<membership::Entity> {
    membership::Entity::find().filter(membership::Column::OrganizationId.eq(organization_id))
}

/// Adds an existing account, by username, to an organisation.
pub async fn add_member(
    services: &Services,
    viewer: &Viewer,
    client: &ClientInfo,
    organization_id: Uuid,
    username: &str,
    role: MemberRole,
) -> AppResult<membership::Model> {
    let db = &services.db;
    let organization = crate::auth::visibility::require_visible(
        db,
        viewer,
        organization::Entity::find_by_id(organization_id),
        crate::auth::visibility::Sight::organizations,
        "organization",
    )
    .await?;
    if !can_manage(db, viewer, organization.id).await? {
        return Err(AppError::Forbidden(
            "only the organisation's admins add members",
        ));
    }
    let member = user::Entity::find()
        .filter(user::Column::Username.eq(normalize_username(username)))
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::user(UserError::on(
                "username",
                ErrorCode::NotFound,
                "no account has this username",
            ))
        })?;
    let already = || {
        AppError::user(UserError::on(
            "username",
            ErrorCode::Duplicate,
            "this user already belongs to an organisation",
        ))
    };
    if membership_of(db, member.id).await?.is_some() {
        return Err(already());
    }
    let txn = db.begin().await?;
    let membership = membership::ActiveModel {
        user_id: Set(member.id),
        organization_id: Set(organization.id),
        role: Set(role),
        added_by: Set(Some(viewer.user_id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            already()
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        Some(viewer),
        Some(client),
        Change {
            action: "addMember",
            target_type: "Organization",
            target_id: Some(organization.id),
            summary: json!({ "user": member.username, "role": role.api_name() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(membership)
}
