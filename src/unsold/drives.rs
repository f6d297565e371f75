//! Purchase drives (集中采购): an officer lists flagged products of their region subtree for a
//! period; lines ordered of those products during the period carry the drive, so its tally is a
//! sum over its own lines.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entity::{
    order::{self, OrderStatus},
    order_line, purchase_drive, purchase_drive_product,
    unsold_alert::{self, UnsoldStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, JoinType, QueryFilter, QuerySelect, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::Change,
    auth::{Caller, scope},
    error::{AppError, AppResult, Checks, ErrorCode, UserError},
    ids::new_uuid,
    region::regions::subtree,
};

const MAX_DRIVE_DAYS: i64 = 366;
const MAX_PRODUCTS: usize = 500;

#[derive(Clone, Debug)]
pub struct DrivePlan {
    pub name: String,
    pub region_code: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub note: Option<String>,
    /// Flagged products to list; all open warnings of the subtree when empty.
    pub product_ids: Vec<Uuid>,
}

fn check(plan: &DrivePlan, today: NaiveDate) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .length(&plan.name, "name", 2, 100)
        .length(plan.note.as_deref().unwrap_or_default(), "note", 0, 1000)
        .require(
            plan.starts_on >= today,
            "startsOn",
            ErrorCode::Invalid,
            msg!("drives.drive_starts_today_later"),
        )
        .require(
            plan.ends_on >= plan.starts_on
                && (plan.ends_on - plan.starts_on).num_days() < MAX_DRIVE_DAYS,
            "endsOn",
            ErrorCode::Invalid,
            msg!(
                "drives.drive_ends_after_start_within_days",
                max_drive_days = MAX_DRIVE_DAYS
            ),
        )
        .require(
            plan.product_ids.len() <= MAX_PRODUCTS,
            "productIds",
            ErrorCode::Invalid,
            msg!(
                "drives.drive_lists_most_products",
                max_products = MAX_PRODUCTS
            ),
        );
    checks.finish()
}

/// Starts a drive over the open warnings of a region subtree the officer acts in.
pub async fn create(caller: Caller<'_>, plan: DrivePlan) -> AppResult<purchase_drive::Model> {
    let today = Utc::now().date_naive();
    check(&plan, today)?;
    let db = caller.db();
    let region = crate::region::regions::require(
        db,
        &plan.region_code,
        "regionCode",
        &entity::region::RegionLevel::ALL,
    )
    .await?;
    scope::require_acting_over(db, caller.viewer, &region.code).await?;
    let flagged = open_warnings(db, &region.code, &plan.product_ids).await?;
    // A product is in one drive at a time: a line is tallied for exactly one.
    let busy = running_between(db, flagged.keys(), plan.starts_on, plan.ends_on).await?;
    check_named(&plan.product_ids, &flagged, &busy)?;
    let listed: Vec<(Uuid, Uuid)> = flagged
        .into_iter()
        .filter(|(product, _)| !busy.contains_key(product))
        .collect();
    if listed.is_empty() {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("drives.no_flagged_product_region_free_drive"),
        ));
    }
    let txn = db.begin().await?;
    let drive = insert_drive(&txn, caller, &plan, &region.code, &listed).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "createPurchaseDrive",
                target_type: "PurchaseDrive",
                target_id: Some(drive.id),
                summary: json!({ "region": region.code, "products": listed.len(),
                    "startsOn": plan.starts_on, "endsOn": plan.ends_on }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(drive)
}

/// The open warning of each flagged product of the subtree (of `named` only, when given).
async fn open_warnings(
    conn: &impl ConnectionTrait,
    region: &str,
    named: &[Uuid],
) -> AppResult<HashMap<Uuid, Uuid>> {
    let mut open = unsold_alert::Entity::find()
        .filter(unsold_alert::Column::Status.eq(UnsoldStatus::Open))
        .filter(subtree(unsold_alert::Column::RegionCode, region));
    if !named.is_empty() {
        open = open.filter(unsold_alert::Column::ProductId.is_in(named.to_vec()));
    }
    let mut flagged: HashMap<Uuid, Uuid> = HashMap::new();
    for alert in open.all(conn).await? {
        flagged.entry(alert.product_id).or_insert(alert.id);
    }
    Ok(flagged)
}

/// Each named product must be one of the region's flagged ones, named once, and free: none
/// is dropped silently.
fn check_named(
    named: &[Uuid],
    flagged: &HashMap<Uuid, Uuid>,
    busy: &HashMap<Uuid, Uuid>,
) -> AppResult<()> {
    let mut problems = Checks::default();
    let mut seen = std::collections::HashSet::new();
    for (index, product) in named.iter().enumerate() {
        let at = Some(vec!["input".into(), "productIds".into(), index.to_string()]);
        if !seen.insert(*product) {
            problems.push(UserError {
                field: at,
                code: ErrorCode::Duplicate,
                message: msg!("drives.each_product_once"),
            });
        } else if !flagged.contains_key(product) {
            problems.push(UserError {
                field: at,
                code: ErrorCode::InvalidState,
                message: msg!("drives.product_has_no_open_unsold_produce"),
            });
        } else if busy.contains_key(product) {
            problems.push(UserError {
                field: at,
                code: ErrorCode::InvalidState,
                message: msg!("drives.product_another_drive_during_period"),
            });
        }
    }
    problems.finish()
}

/// Writes the drive and the (product, warning) pairs it lists.
async fn insert_drive(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    plan: &DrivePlan,
    region: &str,
    listed: &[(Uuid, Uuid)],
) -> AppResult<purchase_drive::Model> {
    let drive = purchase_drive::ActiveModel {
        id: Set(new_uuid()),
        name: Set(plan.name.trim().to_owned()),
        region_code: Set(region.to_owned()),
        starts_on: Set(plan.starts_on),
        ends_on: Set(plan.ends_on),
        note: Set(plan
            .note
            .as_ref()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())),
        created_by: Set(caller.viewer.user_id),
        created_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    let rows = listed
        .iter()
        .map(|(product, alert)| purchase_drive_product::ActiveModel {
            drive_id: Set(drive.id),
            product_id: Set(*product),
            alert_id: Set(Some(*alert)),
        });
    purchase_drive_product::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(drive)
}

/// The drive each of these products is in over any day of `from..=to`.
async fn running_between<'a>(
    conn: &impl ConnectionTrait,
    products: impl IntoIterator<Item = &'a Uuid>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<HashMap<Uuid, Uuid>> {
    let products: Vec<Uuid> = products.into_iter().copied().collect();
    if products.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, Uuid)> = purchase_drive_product::Entity::find()
        .select_only()
        .column(purchase_drive_product::Column::ProductId)
        .column(purchase_drive_product::Column::DriveId)
        .join(
            JoinType::InnerJoin,
            purchase_drive_product::Entity::belongs_to(purchase_drive::Entity)
                .from(purchase_drive_product::Column::DriveId)
                .to(purchase_drive::Column::Id)
                .into(),
        )
        .filter(purchase_drive_product::Column::ProductId.is_in(products))
        .filter(purchase_drive::Column::StartsOn.lte(to))
        .filter(purchase_drive::Column::EndsOn.gte(from))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The drive running today for each of these products, for the lines of a new order.
pub async fn running_for<'a>(
    conn: &impl ConnectionTrait,
    products: impl IntoIterator<Item = &'a Uuid>,
    day: NaiveDate,
) -> AppResult<HashMap<Uuid, Uuid>> {
    running_between(conn, products, day, day).await
}

/// What a drive has brought in so far: orders not cancelled, lines of its products.
#[derive(Clone, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct DriveTally {
    pub orders: i64,
    pub quantity: i64,
    pub amount_fen: i64,
}

pub async fn tally(conn: &impl ConnectionTrait, drive: Uuid) -> AppResult<DriveTally> {
    let found = order_line::Entity::find()
        .select_only()
        .expr_as(Expr::cust("COUNT(DISTINCT order_lines.order_id)"), "orders")
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(order_lines.quantity), 0) AS BIGINT)"),
            "quantity",
        )
        .expr_as(
            Expr::cust(
                "CAST(COALESCE(SUM(order_lines.quantity * order_lines.price_fen), 0) AS BIGINT)",
            ),
            "amount_fen",
        )
        .join(
            JoinType::InnerJoin,
            order_line::Entity::belongs_to(order::Entity)
                .from(order_line::Column::OrderId)
                .to(order::Column::Id)
                .into(),
        )
        .filter(order_line::Column::PurchaseDriveId.eq(drive))
        .filter(order::Column::Status.ne(OrderStatus::Cancelled))
        .into_model::<DriveTally>()
        .one(conn)
        .await?;
    Ok(found.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_products_are_flagged_free_and_once_each() {
        let (free, busy_one, unflagged) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let flagged = HashMap::from([(free, Uuid::now_v7()), (busy_one, Uuid::now_v7())]);
        let busy = HashMap::from([(busy_one, Uuid::now_v7())]);
        assert!(check_named(&[free], &flagged, &busy).is_ok());
        let refused = check_named(&[free, free, unflagged, busy_one], &flagged, &busy);
        let Err(AppError::User(errors)) = refused else {
            panic!("expected a refusal");
        };
        let at = |i: &str| {
            Some(vec![
                "input".to_owned(),
                "productIds".to_owned(),
                i.to_owned(),
            ])
        };
        assert_eq!(
            errors
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect::<Vec<_>>(),
            [
                (at("1"), ErrorCode::Duplicate),
                (at("2"), ErrorCode::InvalidState),
                (at("3"), ErrorCode::InvalidState),
            ]
        );
    }
}
