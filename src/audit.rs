//! The audit trail: every change records who made it, acting as what, to which thing, and when,
//! in the same transaction as the change itself.
//!
//! Each event carries the region it concerns, so `auditEvents` shows officers and auditors only
//! their region's trail (the ledger's reach): the region of the organisation the actor acts for
//! (a buyer's or producer's member acts in their unit's region); for staff, admins and
//! anonymous callers (failed sign-ins), the region of the thing changed (an organisation, the
//! organisation of a user, a product, a certification's county, a drive, a region). Events with
//! neither (e.g. an admin adding a pairing) have none and are read by nationwide staff only.

use chrono::Utc;
use entity::{
    audit_event, certification, fair, membership, organization, product, purchase_drive, user,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QuerySelect, RelationTrait, Set,
};
use uuid::Uuid;

use crate::{
    auth::{ClientInfo, Viewer, scope::Scope},
    error::AppResult,
    ids::new_uuid,
    region::subtree,
};

/// One audited change.
pub struct Change<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<Uuid>,
    pub summary: serde_json::Value,
}

pub async fn record(
    conn: &impl ConnectionTrait,
    actor: Option<&Viewer>,
    client: Option<&ClientInfo>,
    change: Change<'_>,
) -> AppResult<()> {
    let region_code = region_of(conn, actor.map(|v| v.user_id), &change).await?;
    audit_event::ActiveModel {
        id: Set(new_uuid()),
        actor_id: Set(actor.map(|v| v.user_id)),
        actor_roles: Set(actor.map(Viewer::roles_label).unwrap_or_default()),
        action: Set(change.action.to_owned()),
        target_type: Set(change.target_type.to_owned()),
        target_id: Set(change.target_id),
        summary: Set(change.summary.to_string()),
        ip: Set(client.map(|c| c.ip.to_string())),
        created_at: Set(Utc::now()),
        region_code: Set(region_code),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The events staff with this reading scope may see: their regions' (all when nationwide).
pub fn visible(scope: &Scope) -> Condition {
    if scope.is_nationwide() {
        return Condition::all();
    }
    let mut any = Condition::any();
    for code in scope.regions() {
        any = any.add(subtree(audit_event::Column::RegionCode, code));
    }
    if any.is_empty() {
        // No grant: nothing (a condition no row meets).
        any = any.add(audit_event::Column::Id.is_null());
    }
    any
}

/// The region of the organisation a user acts for.
async fn region_of_user(conn: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Option<String>> {
    let found: Option<Option<String>> = membership::Entity::find()
        .select_only()
        .column(organization::Column::RegionCode)
        .join(
            JoinType::InnerJoin,
            membership::Relation::Organization.def(),
        )
        .filter(membership::Column::UserId.eq(user_id))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(found.flatten())
}

/// Which region an event concerns (see the module comment).
async fn region_of(
    conn: &impl ConnectionTrait,
    actor: Option<Uuid>,
    change: &Change<'_>,
) -> AppResult<Option<String>> {
    if let Some(actor) = actor
        && let Some(code) = region_of_user(conn, actor).await?
    {
        return Ok(Some(code));
    }
    let from_summary = |key: &str| change.summary[key].as_str().map(str::to_owned);
    let Some(id) = change.target_id else {
        return Ok(match change.target_type {
            "Region" => from_summary("code"),
            _ => None,
        });
    };
    Ok(match change.target_type {
        "Organization" | "Producer" | "Buyer" => organization::Entity::find_by_id(id)
            .one(conn)
            .await?
            .and_then(|o| o.region_code),
        "User" => match user::Entity::find_by_id(id).one(conn).await? {
            Some(u) => region_of_user(conn, u.id).await?,
            None => None,
        },
        "Product" => product::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|p| p.region_code),
        "Certification" => certification::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|c| c.county_code),
        "PurchaseDrive" => purchase_drive::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|d| d.region_code),
        "Fair" => fair::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|f| f.venue_region_code),
        "ProcurementPolicy" | "Region" | "TaskAllocation" | "ClosedPeriod" => {
            from_summary("region").or_else(|| from_summary("code"))
        }
        _ => None,
    })
}
