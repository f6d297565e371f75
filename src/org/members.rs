//! Who acts for an organisation: shared checks for the producer and buyer rules.

use entity::membership::{self, MemberRole};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    auth::Viewer,
    error::{AppError, AppResult},
};

/// The viewer's membership of `organization_id`, if any.
pub async fn membership_in(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    organization_id: Uuid,
) -> AppResult<Option<membership::Model>> {
    Ok(super::service::membership_of(conn, viewer.user_id)
        .await?
        .filter(|m| m.organization_id == organization_id))
}

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
            "only the organisation's admins may do this",
        )),
        None => Err(AppError::Forbidden("you do not act for this organisation")),
    }
}

/// A phone number as people write them.
pub fn is_phone(phone: &str) -> bool {
    (5..=20).contains(&phone.len())
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
}
