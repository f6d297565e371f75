//! A fair's report, read off the ledger: the entries carrying the fair (receipts of orders placed
//! at it, refunds of those, and accepted on-site sales), summed in SQL, with one grouped query per
//! breakdown (by exhibitor, by origin county, by category). Nothing is loaded row by row.

use entity::{fair, ledger_entry, product::ProductCategory};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, Order},
};
use uuid::Uuid;

use crate::{
    auth::{Viewer, scope},
    error::{AppError, AppResult},
    ledger::progress,
    org::membership::membership_of,
};

/// The whole fair.
#[derive(Clone, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct Totals {
    pub amount_fen: i64,
    pub quantity: i64,
    /// Orders placed at the fair with a receipt in the ledger.
    pub orders: i64,
    /// Of `amount_fen`, what exhibitors reported sold on site (accepted reports).
    pub on_site_fen: i64,
}

/// One group of a breakdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group<K> {
    pub key: K,
    pub amount_fen: i64,
    pub quantity: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FairReport {
    pub fair: fair::Model,
    pub totals: Totals,
    /// Whole percent of the target reached; `None` without a (positive) target.
    pub percent: Option<i32>,
    pub by_exhibitor: Vec<Group<Uuid>>,
    pub by_county: Vec<Group<String>>,
    pub by_category: Vec<Group<ProductCategory>>,
}

/// Staff reading over the venue, and members of the organiser, read a fair's report.
pub async fn may_read(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    fair: &fair::Model,
) -> AppResult<bool> {
    if scope::reading(conn, viewer)
        .await?
        .covers(&fair.venue_region_code)
    {
        return Ok(true);
    }
    Ok(membership_of(conn, viewer.user_id)
        .await?
        .is_some_and(|m| m.organization_id == fair.organiser_org_id))
}

/// The ledger entries carrying the fair.
fn of_fair(fair: Uuid) -> Condition {
    Condition::all().add(ledger_entry::Column::FairId.eq(fair))
}

/// Entries of on-site sales: a report line behind them, no order.
const ON_SITE: &str = "ledger_entries.report_line_id IS NOT NULL";

fn sum(expr: &str) -> Expr {
    Expr::cust(format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)"))
}

async fn totals(conn: &impl ConnectionTrait, fair: Uuid) -> AppResult<Totals> {
    let found = ledger_entry::Entity::find()
        .select_only()
        .expr_as(sum("ledger_entries.amount_fen"), "amount_fen")
        .expr_as(sum("ledger_entries.quantity"), "quantity")
        .expr_as(
            Expr::cust("COUNT(DISTINCT ledger_entries.order_id)"),
            "orders",
        )
        .expr_as(
            sum(&format!(
                "CASE WHEN {ON_SITE} THEN ledger_entries.amount_fen ELSE 0 END"
            )),
            "on_site_fen",
        )
        .filter(of_fair(fair))
        .into_model::<Totals>()
        .one(conn)
        .await?;
    Ok(found.unwrap_or_default())
}

/// Sums by one column, largest amount first (ties by key, so the order is stable).
async fn grouped<K>(
    conn: &impl ConnectionTrait,
    fair: Uuid,
    column: ledger_entry::Column,
) -> AppResult<Vec<Group<K>>>
where
    K: sea_orm::TryGetable,
{
    let rows: Vec<(K, i64, i64)> = ledger_entry::Entity::find()
        .select_only()
        .column(column)
        .expr_as(sum("ledger_entries.amount_fen"), "amount_fen")
        .expr_as(sum("ledger_entries.quantity"), "quantity")
        .filter(of_fair(fair))
        .group_by(column)
        .order_by(Expr::cust("2"), Order::Desc)
        .order_by_asc(column)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(key, amount_fen, quantity)| Group {
            key,
            amount_fen,
            quantity,
        })
        .collect())
}

/// The fair's report, for a viewer who may read it.
pub async fn report(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    fair: fair::Model,
) -> AppResult<FairReport> {
    if !may_read(conn, viewer, &fair).await? {
        return Err(AppError::Forbidden(
            "forbidden.fair_s_report_officers_region_organiser",
        ));
    }
    let totals = totals(conn, fair.id).await?;
    Ok(FairReport {
        percent: progress::percent(fair.target_fen, totals.amount_fen),
        by_exhibitor: grouped(conn, fair.id, ledger_entry::Column::ProducerOrgId).await?,
        by_county: grouped(conn, fair.id, ledger_entry::Column::CountyCode).await?,
        by_category: grouped(conn, fair.id, ledger_entry::Column::Category).await?,
        totals,
        fair,
    })
}
