//! The audit trail: every change records who made it, acting as what, to which thing, and when,
//! in the same transaction as the change itself.

use chrono::Utc;
use entity::audit_event;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

use crate::{
    auth::{ClientInfo, Viewer},
    error::AppResult,
    ids::new_uuid,
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
    }
    .insert(conn)
    .await?;
    Ok(())
}
