//! Producers' own reports of a surplus (`reportUnsold`), and the event a new warning sends;
//! who sees which warnings is in `reach`.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    product::{self, ProductStatus},
    unsold_alert::{self, UnsoldKind, UnsoldStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};
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
    check(&report, Utc::now().date_naive())?;
    let product = reported_product(caller, report.product_id).await?;
    let now = Utc::now();
    let txn = caller.db().begin().await?;
    close_open_report(&txn, product.id, now).await?;
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
    let notice = crate::webhooks::outbox::unsold_warning(&alert);
    crate::webhooks::outbox::enqueue(&txn, &caller.services.settings.webhooks, notice).await?;
    txn.commit().await?;
    caller.services.bus.publish([flagged(&alert)]);
    Ok(alert)
}

/// A report names a positive quantity, until a day within the next year.
fn check(report: &SurplusReport, today: NaiveDate) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .require(
            (1..=1_000_000_000).contains(&report.quantity),
            "quantity",
            ErrorCode::Invalid,
            msg!("alerts.report_positive_quantity"),
        )
        .require(
            report.until >= today && (report.until - today).num_days() <= MAX_REPORT_DAYS,
            "until",
            ErrorCode::Invalid,
            msg!(
                "alerts.until_between_today_days_from_now",
                max_report_days = MAX_REPORT_DAYS
            ),
        )
        .length(report.note.as_deref().unwrap_or_default(), "note", 0, 500);
    checks.finish()
}

/// The product reported: visible to the caller, of their producer, and published.
async fn reported_product(caller: Caller<'_>, id: Uuid) -> AppResult<product::Model> {
    let db = caller.db();
    let product = crate::auth::visibility::require_visible(
        db,
        caller.viewer,
        product::Entity::find_by_id(id),
        crate::auth::visibility::Sight::products,
        "not_found.product",
    )
    .await?;
    require_member(db, caller.viewer, product.producer_org_id, false).await?;
    if product.status != ProductStatus::Published {
        return Err(AppError::field(
            "productId",
            ErrorCode::InvalidState,
            msg!("alerts.only_published_products_can_reported_unsold"),
        ));
    }
    Ok(product)
}

/// Resolves the product's open report, which the new one replaces.
async fn close_open_report(
    conn: &impl ConnectionTrait,
    product: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    unsold_alert::Entity::update_many()
        .col_expr(
            unsold_alert::Column::Status,
            sea_orm::sea_query::Expr::value(UnsoldStatus::Resolved),
        )
        .col_expr(
            unsold_alert::Column::ClosedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(unsold_alert::Column::ProductId.eq(product))
        .filter(unsold_alert::Column::Kind.eq(UnsoldKind::Reported))
        .filter(unsold_alert::Column::Status.eq(UnsoldStatus::Open))
        .exec(conn)
        .await?;
    Ok(())
}

pub fn flagged(alert: &unsold_alert::Model) -> Event {
    Event::UnsoldFlagged(UnsoldFlagged {
        alert_id: alert.id,
        product_id: alert.product_id,
        producer_org_id: alert.producer_org_id,
        region_code: alert.region_code.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_positive_and_within_a_year() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).expect("day");
        let report = |quantity, days| SurplusReport {
            product_id: Uuid::now_v7(),
            quantity,
            until: today + chrono::Duration::days(days),
            note: None,
        };
        assert!(check(&report(10, 0), today).is_ok());
        assert!(check(&report(10, MAX_REPORT_DAYS), today).is_ok());
        assert!(check(&report(0, 5), today).is_err());
        assert!(check(&report(10, -1), today).is_err());
        assert!(check(&report(10, MAX_REPORT_DAYS + 1), today).is_err());
    }
}
