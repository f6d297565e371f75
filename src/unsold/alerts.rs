//! Who sees which warnings, and producers' own reports of a surplus.

use chrono::{NaiveDate, Utc};
use entity::{
    product::{self, ProductStatus},
    unsold_alert::{self, UnsoldKind, UnsoldStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Change},
    auth::{ClientInfo, Role, Viewer, scope},
    error::{AppError, AppResult, Checks, ErrorCode},
    ids::new_uuid,
    live::events::{Event, UnsoldFlagged},
    org::members::require_member,
    region::regions::subtree,
    state::Services,
};

/// Longest a reported surplus may be announced for.
const MAX_REPORT_DAYS: i64 = 366;

/// Which warnings a viewer sees: buyers all of them (they are there to be bought), staff their
/// region subtrees, a producer its own.
#[derive(Clone, Debug)]
pub struct AlertReach {
    everywhere: bool,
    regions: Vec<String>,
    producer: Option<Uuid>,
}

impl AlertReach {
    pub async fn of(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Self> {
        let staff = scope::reading(conn, viewer).await?;
        let organization = crate::org::service::membership_of(conn, viewer.user_id)
            .await?
            .map(|m| m.organization_id);
        Ok(Self::from_parts(
            &staff,
            viewer.has(Role::Buyer),
            viewer.has(Role::Producer),
            organization,
        ))
    }

    /// The reach of a viewer with this staff scope, these roles and this organisation.
    pub fn from_parts(
        staff: &scope::Scope,
        buyer: bool,
        producer: bool,
        organization: Option<Uuid>,
    ) -> Self {
        Self {
            everywhere: staff.is_nationwide() || buyer,
            regions: staff.regions().to_vec(),
            producer: organization.filter(|_| producer),
        }
    }

    pub fn allows(&self, region_code: &str, producer_org_id: Uuid) -> bool {
        self.everywhere
            || self
                .regions
                .iter()
                .any(|r| region_code.starts_with(r.as_str()))
            || self.producer == Some(producer_org_id)
    }

    pub fn condition(&self) -> AppResult<Condition> {
        if self.everywhere {
            return Ok(Condition::all());
        }
        let mut any = Condition::any();
        for code in &self.regions {
            any = any.add(subtree(unsold_alert::Column::RegionCode, code));
        }
        if let Some(producer) = self.producer {
            any = any.add(unsold_alert::Column::ProducerOrgId.eq(producer));
        }
        if any.is_empty() {
            return Err(AppError::Forbidden(
                "unsold-produce warnings are for buyers, staff and the producers concerned",
            ));
        }
        Ok(any)
    }
}

/// A producer's report of a surplus.
#[derive(Clone, Debug)]
pub struct SurplusReport {
    pub product_id: Uuid,
    pub quantity: i64,
    pub until: NaiveDate,
    pub note: Option<String>,
}

/// Records a producer's report; an open report for the same product is replaced by the new one.
pub async fn report(
    services: &Services,
    viewer: &Viewer,
    client: &ClientInfo,
    report: SurplusReport,
) -> AppResult<unsold_alert::Model> {
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
    let db = &services.db;
    let product = crate::auth::visibility::require_visible(
        db,
        viewer,
        product::Entity::find_by_id(report.product_id),
        crate::auth::visibility::Sight::products,
        "product",
    )
    .await?;
    require_member(db, viewer, product.producer_org_id, false).await?;
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
        reported_by: Set(Some(viewer.user_id)),
        created_at: Set(now),
        closed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(viewer),
        Some(client),
        Change {
            action: "reportUnsold",
            target_type: "Product",
            target_id: Some(product.id),
            summary: json!({ "quantity": report.quantity, "until": report.until }),
        },
    )
    .await?;
    txn.commit().await?;
    services.bus.publish([flagged(&alert)]);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_covers_subtrees_and_own_products() {
        let producer = Uuid::now_v7();
        let reach = AlertReach {
            everywhere: false,
            regions: vec!["130126".into()],
            producer: Some(producer),
        };
        assert!(reach.allows("130126204207", Uuid::now_v7()));
        assert!(!reach.allows("130727100200", Uuid::now_v7()));
        assert!(reach.allows("130727100200", producer));
        let nobody = AlertReach {
            everywhere: false,
            regions: Vec::new(),
            producer: None,
        };
        assert!(nobody.condition().is_err());
    }
}
