//! Who sees which warnings, and producers' own reports of a surplus.

use chrono::{NaiveDate, Utc};
use entity::{
    product::{self, ProductStatus},
    unsold_alert::{self, UnsoldKind, UnsoldStatus},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

pub use super::reach::AlertReach;
use crate::{
    audit::Change,
    auth::Caller,
    error::{AppError, AppResult, Checks, ErrorCode},
    ids::new_uuid,
    live::events::{Event, UnsoldFlagged},
    org::members::require_member,
};

/// Longest a reported surplus may be announced for.
const MAX_REPORT_DAYS: i64 = 366;

/// A producer's report of a surplus.
#[derive(Clone, Debug)]
pub struct SurplusReport {
    pub product_id: Uuid,
    pub quantity: i64,
    pub until: NaiveDate,
    pub note: Option<String>,
}

/// Records a producer's report; an open report for the same product is replaced by the new one.
pub async fn report(caller: Caller<'_>, report: SurplusReport) -> AppResult<unsold_alert::Model> {
    let today = Utc::now().date_naive();
    let mut checks = Checks::default();
    checks
        .require(
            (1..=1_000_000_000).contains(&report.quantity),
            "quantity",
            ErrorCode::Invalid,
            "report a positive quantity",
        )
        .require(
            report.until >= today && (report.until - today).num_days() <= MAX_REPORT_DAYS,
            "until",
            ErrorCode::Invalid,
            format!("`until` is between today and {MAX_REPORT_DAYS} days from now"),
        )
        .length(report.note.as_deref().unwrap_or_default(), "note", 0, 500);
    checks.finish()?;
    let db = caller.db();
    let product = crate::auth::visibility::require_visible(
        db,
        caller.viewer,
        product::Entity::find_by_id(report.product_id),
        crate::auth::visibility::Sight::products,
        "product",
    )
    .await?;
    require_member(db, caller.viewer, product.producer_org_id, false).await?;
    if product.status != ProductStatus::Published {
        return Err(AppError::field(
            "productId",
            ErrorCode::InvalidState,
            "only published products can be reported as unsold",
        ));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    unsold_alert::Entity::update_many()
        .col_expr(
            unsold_alert::Column::Status,
            sea_orm::sea_query::Expr::value(UnsoldStatus::Resolved),
        )
        .col_expr(
            unsold_alert::Column::ClosedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(unsold_alert::Column::ProductId.eq(product.id))
        .filter(unsold_alert::Column::Kind.eq(UnsoldKind::Reported))
        .filter(unsold_alert::Column::Status.eq(UnsoldStatus::Open))
        .exec(&txn)
        .await?;
    let alert = unsold_alert::ActiveModel {
        id: Set(new_uuid()),
        product_id: Set(product.id),
        producer_org_id: Set(product.producer_org_id),
        region_code: Set(product.region_code.clone()),
        kind: Set(UnsoldKind::Reported),
        status: Set(UnsoldStatus::Open),
        stock: Set(product.stock),
        reported_quantity: Set(Some(report.quantity)),
        until: Set(Some(report.until)),
        note: Set(report
            .note
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())),
        last_ordered_at: Set(product.last_ordered_at),
        reported_by: Set(Some(caller.viewer.user_id)),
        created_at: Set(now),
        closed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "reportUnsold",
                target_type: "Product",
                target_id: Some(product.id),
                summary: json!({ "quantity": report.quantity, "until": report.until }),
            },
        )
        .await?;
    txn.commit().await?;
    caller.services.bus.publish([flagged(&alert)]);
    Ok(alert)
}

pub fn flagged(alert: &unsold_alert::Model) -> Event {
    Event::UnsoldFlagged(UnsoldFlagged {
        alert_id: alert.id,
        product_id: alert.product_id,
        producer_org_id: alert.producer_org_id,
        region_code: alert.region_code.clone(),
    })
}
