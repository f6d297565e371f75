//! Who belongs where: plain look-ups of memberships, which every rule and visibility check
//! reads (a leaf: it imports nothing of the domains).

use entity::membership;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{auth::Viewer, error::AppResult};

/// The viewer's own membership, if any.
pub async fn membership_of(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
) -> AppResult<Option<membership::Model>> {
    Ok(membership::Entity::find_by_id(user_id).one(conn).await?)
}

/// The viewer's membership of `organization_id`, if any.
pub async fn membership_in(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    organization_id: Uuid,
) -> AppResult<Option<membership::Model>> {
    Ok(membership_of(conn, viewer.user_id)
        .await?
        .filter(|m| m.organization_id == organization_id))
}
