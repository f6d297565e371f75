//! The periodic scan: flag published products in stock that nobody ordered for the configured
//! number of days, close warnings that no longer hold; once per period across instances
//! (`crate::jobs`).

use chrono::{DateTime, Utc};
use entity::{
    product::{self, ProductStatus},
    unsold_alert::{self, UnsoldKind, UnsoldStatus},
};
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, EntityTrait, ExprTrait, QueryFilter,
    TransactionTrait,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use super::alerts::flagged;
use crate::{
    error::AppResult,
    ids::new_uuid,
    jobs,
    state::Services,
    webhooks::outbox::{self, EventKind},
};

pub const JOB: &str = "unsold-scan";
const INSERT_CHUNK: usize = 500;

/// What one call did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanOutcome {
    /// False when another instance had already claimed this period.
    pub ran: bool,
    pub flagged: Vec<Uuid>,
    pub closed: u64,
}

/// Scans once for the period containing `now`, unless that period was claimed already.
pub async fn run(services: &Services, now: DateTime<Utc>) -> AppResult<ScanOutcome> {
    let settings = &services.settings;
    let period = jobs::period_of(now, settings.unsold_scan_interval);
    let txn = services.db.begin().await?;
    if !jobs::claim(&txn, JOB, &period, now).await? {
        return Ok(ScanOutcome::default());
    }
    let closed = close_stale(&txn, now).await?;
    let cutoff = now - chrono::Duration::days(settings.unsold_after_days);
    let alerts: Vec<unsold_alert::Model> = stuck_products(&txn, cutoff)
        .await?
        .iter()
        .map(|p| no_sales_alert(p, now))
        .collect();
    for chunk in alerts.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().cloned().map(unsold_alert::ActiveModel::from);
        unsold_alert::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    jobs::record_affected(&txn, JOB, &period, alerts.len() as u64 + closed).await?;
    if outbox::anyone_listens(&txn, EventKind::UnsoldWarning).await? {
        for alert in &alerts {
            outbox::enqueue(&txn, &settings.webhooks, outbox::unsold_warning(alert)).await?;
        }
    }
    txn.commit().await?;
    services.bus.publish(alerts.iter().map(flagged));
    Ok(ScanOutcome {
        ran: true,
        flagged: alerts.iter().map(|a| a.id).collect(),
        closed,
    })
}

/// Published products in stock, not ordered since `cutoff`, without an open no-sales warning.
async fn stuck_products(
    txn: &DatabaseTransaction,
    cutoff: DateTime<Utc>,
) -> AppResult<Vec<product::Model>> {
    let open_no_sales = Query::select()
        .expr(Expr::val(1))
        .from(unsold_alert::Entity)
        .and_where(
            Expr::col((unsold_alert::Entity, unsold_alert::Column::ProductId))
                .equals((product::Entity, product::Column::Id)),
        )
        .and_where(unsold_alert::Column::Kind.eq(UnsoldKind::NoSales))
        .and_where(unsold_alert::Column::Status.eq(UnsoldStatus::Open))
        .to_owned();
    let unordered = Condition::any()
        .add(product::Column::LastOrderedAt.lt(cutoff))
        .add(
            Condition::all()
                .add(product::Column::LastOrderedAt.is_null())
                .add(product::Column::CreatedAt.lt(cutoff)),
        );
    Ok(product::Entity::find()
        .filter(product::Column::Status.eq(ProductStatus::Published))
        .filter(product::Column::Stock.gt(0))
        .filter(unordered)
        .filter(Expr::exists(open_no_sales).not())
        .all(txn)
        .await?)
}

/// The scan's warning for a product nobody ordered lately.
fn no_sales_alert(p: &product::Model, now: DateTime<Utc>) -> unsold_alert::Model {
    unsold_alert::Model {
        id: new_uuid(),
        product_id: p.id,
        producer_org_id: p.producer_org_id,
        region_code: p.region_code.clone(),
        kind: UnsoldKind::NoSales,
        status: UnsoldStatus::Open,
        stock: p.stock,
        reported_quantity: None,
        until: None,
        note: None,
        last_ordered_at: p.last_ordered_at,
        reported_by: None,
        created_at: now,
        closed_at: None,
    }
}

/// Resolves warnings whose product sold out, left the catalogue or (for the scan's own) was
/// ordered since; expires reports whose date has passed.
async fn close_stale(txn: &DatabaseTransaction, now: DateTime<Utc>) -> AppResult<u64> {
    let moved_on = Query::select()
        .expr(Expr::val(1))
        .from(product::Entity)
        .and_where(
            Expr::col((product::Entity, product::Column::Id))
                .equals((unsold_alert::Entity, unsold_alert::Column::ProductId)),
        )
        .cond_where(
            Condition::any()
                .add(product::Column::Stock.lte(0))
                .add(product::Column::Status.ne(ProductStatus::Published))
                .add(
                    Condition::all()
                        .add(
                            Expr::col((unsold_alert::Entity, unsold_alert::Column::Kind))
                                .eq(UnsoldKind::NoSales),
                        )
                        // Ordered since the flag: compared with the order time the flag saw,
                        // not with the clock of whichever instance flagged it.
                        .add(product::Column::LastOrderedAt.is_not_null())
                        .add(
                            Condition::any()
                                .add(
                                    Expr::col((
                                        unsold_alert::Entity,
                                        unsold_alert::Column::LastOrderedAt,
                                    ))
                                    .is_null(),
                                )
                                .add(
                                    Expr::col((product::Entity, product::Column::LastOrderedAt))
                                        .gt(Expr::col((
                                            unsold_alert::Entity,
                                            unsold_alert::Column::LastOrderedAt,
                                        ))),
                                ),
                        ),
                ),
        )
        .to_owned();
    let resolved = unsold_alert::Entity::update_many()
        .col_expr(
            unsold_alert::Column::Status,
            Expr::value(UnsoldStatus::Resolved),
        )
        .col_expr(unsold_alert::Column::ClosedAt, Expr::value(Some(now)))
        .filter(unsold_alert::Column::Status.eq(UnsoldStatus::Open))
        .filter(Expr::exists(moved_on))
        .exec(txn)
        .await?
        .rows_affected;
    let expired = unsold_alert::Entity::update_many()
        .col_expr(
            unsold_alert::Column::Status,
            Expr::value(UnsoldStatus::Expired),
        )
        .col_expr(unsold_alert::Column::ClosedAt, Expr::value(Some(now)))
        .filter(unsold_alert::Column::Status.eq(UnsoldStatus::Open))
        .filter(unsold_alert::Column::Kind.eq(UnsoldKind::Reported))
        .filter(unsold_alert::Column::Until.lt(now.date_naive()))
        .exec(txn)
        .await?
        .rows_affected;
    Ok(resolved + expired)
}

/// Runs the scan on every instance, checking each minute (or each period, if shorter); the
/// claim keeps it to once per period.
pub fn spawn(services: Services) -> Option<tokio::task::JoinHandle<()>> {
    let interval = services.settings.unsold_scan_interval;
    jobs::spawn_every(
        services,
        interval,
        "unsold-produce scan",
        |services, now| async move {
            let o = run(&services, now).await?;
            Ok(o.ran
                .then(|| format!("flagged {}, closed {}", o.flagged.len(), o.closed)))
        },
    )
}
