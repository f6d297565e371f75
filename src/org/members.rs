//! Who acts for an organisation: membership rules (an organisation's admin, or a platform admin,
//! adds members; a user belongs to at most one organisation) and the checks the producer and
//! buyer rules share.

use chrono::Utc;
use entity::{
    api_name::ApiName,
    membership::{self, MemberRole},
    organization::{self, OrganizationKind},
    user,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select, Set,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

pub use super::membership::{membership_in, membership_of};
use crate::{
    audit::Change,
    auth::{Caller, Role, Viewer, accounts::normalize_username, scope},
    error::{AppError, AppResult, ErrorCode, UserError, is_unique_violation},
    ids::new_uuid,
};

/// Refuses unless the viewer acts for the organisation (as its admin when `admin_only`).
pub async fn require_member(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    organization_id: Uuid,
    admin_only: bool,
) -> AppResult<()> {
    match membership_in(conn, viewer, organization_id).await? {
        Some(m) if !admin_only || m.role == MemberRole::Admin => Ok(()),
        Some(_) => Err(AppError::Forbidden(
            "forbidden.only_organisation_s_admins_may_do",
        )),
        None => Err(AppError::Forbidden("forbidden.you_do_not_act_organisation")),
    }
}

/// A phone number as people write them.
pub fn is_phone(phone: &str) -> bool {
    (5..=20).contains(&phone.len())
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
}

/// Who a producer or buyer registration is for, decided before anything is written.
pub struct Registrant {
    /// The existing organisation it completes, if any.
    existing: Option<organization::Model>,
    /// Whether the registering user joins the new organisation as its admin (not staff acting
    /// on someone's behalf, nor a user who already acts for one).
    joins: bool,
}

/// Checks a registration of a `kind` organisation: completing an existing one needs its admin
/// (or a platform admin) and `profile_exists` false; creating one is refused to a user who
/// already acts for an organisation; staff create on a unit's behalf inside their region only.
pub async fn registrant(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    organization_id: Option<Uuid>,
    kind: OrganizationKind,
    region_code: &str,
    profile_exists: impl AsyncFnOnce(Uuid) -> AppResult<bool>,
) -> AppResult<Registrant> {
    if viewer.has(Role::Auditor) && !viewer.is_admin() {
        return Err(AppError::Forbidden(
            "forbidden.auditors_read_they_do_not_register",
        ));
    }
    let own = membership_of(conn, viewer.user_id).await?;
    let staff = viewer.is_admin() || viewer.has(Role::Officer);
    let Some(id) = organization_id else {
        if own.is_some() && !staff {
            return Err(AppError::state(
                ErrorCode::InvalidState,
                msg!("members.you_already_act_organisation_pass_organizationid"),
            ));
        }
        if staff && own.is_none() {
            scope::require_acting_over(conn, viewer, region_code).await?;
        }
        return Ok(Registrant {
            existing: None,
            joins: own.is_none() && !staff,
        });
    };
    let org = crate::auth::visibility::require_visible(
        conn,
        viewer,
        organization::Entity::find_by_id(id),
        crate::auth::visibility::Sight::organizations,
        "not_found.organization",
    )
    .await?;
    if org.kind != kind {
        return Err(AppError::field(
            "organizationId",
            ErrorCode::Invalid,
            msg!("members.organisation_not", kind = kind.api_name()),
        ));
    }
    if !viewer.is_admin() {
        require_member(conn, viewer, id, true).await?;
    }
    if profile_exists(id).await? {
        return Err(AppError::field(
            "organizationId",
            ErrorCode::Duplicate,
            msg!("members.organisation_registered_already"),
        ));
    }
    Ok(Registrant {
        existing: Some(org),
        joins: false,
    })
}

impl Registrant {
    /// Writes the organisation (renamed and placed, or created with its first admin).
    pub async fn save(
        self,
        conn: &impl ConnectionTrait,
        viewer: &Viewer,
        kind: OrganizationKind,
        name: &str,
        region_code: &str,
    ) -> AppResult<organization::Model> {
        let now = Utc::now();
        if let Some(org) = self.existing {
            let mut active: organization::ActiveModel = org.into();
            active.name = Set(name.trim().to_owned());
            active.region_code = Set(Some(region_code.to_owned()));
            return Ok(active.update(conn).await?);
        }
        let org = organization::ActiveModel {
            id: Set(new_uuid()),
            kind: Set(kind),
            name: Set(name.trim().to_owned()),
            region_code: Set(Some(region_code.to_owned())),
            created_by: Set(Some(viewer.user_id)),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
        if self.joins {
            membership::ActiveModel {
                user_id: Set(viewer.user_id),
                organization_id: Set(org.id),
                role: Set(MemberRole::Admin),
                added_by: Set(None),
                created_at: Set(now),
            }
            .insert(conn)
            .await?;
        }
        Ok(org)
    }
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

/// The account a username names.
async fn find_account(conn: &impl ConnectionTrait, username: &str) -> AppResult<user::Model> {
    user::Entity::find()
        .filter(user::Column::Username.eq(normalize_username(username)))
        .one(conn)
        .await?
        .ok_or_else(|| {
            AppError::user(UserError::on(
                "username",
                ErrorCode::NotFound,
                msg!("members.no_account_has_username"),
            ))
        })
}

fn already_member() -> AppError {
    AppError::user(UserError::on(
        "username",
        ErrorCode::Duplicate,
        msg!("members.user_already_belongs_organisation"),
    ))
}

/// Adds an existing account, by username, to an organisation.
pub async fn add_member(
    caller: Caller<'_>,
    organization_id: Uuid,
    username: &str,
    role: MemberRole,
) -> AppResult<membership::Model> {
    let db = caller.db();
    let organization = crate::auth::visibility::require_visible(
        db,
        caller.viewer,
        organization::Entity::find_by_id(organization_id),
        crate::auth::visibility::Sight::organizations,
        "not_found.organization",
    )
    .await?;
    if !can_manage(db, caller.viewer, organization.id).await? {
        return Err(AppError::Forbidden(
            "forbidden.only_organisation_s_admins_add_members",
        ));
    }
    let member = find_account(db, username).await?;
    if membership_of(db, member.id).await?.is_some() {
        return Err(already_member());
    }
    let txn = db.begin().await?;
    let membership = membership::ActiveModel {
        user_id: Set(member.id),
        organization_id: Set(organization.id),
        role: Set(role),
        added_by: Set(Some(caller.viewer.user_id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            already_member()
        } else {
            e.into()
        }
    })?;
    caller
        .audit(
            &txn,
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
