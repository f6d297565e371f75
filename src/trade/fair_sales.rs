//! On-site sales at a fair (现场销售): an approved exhibitor reports what it sold of its own
//! products on the fair's days, one live report per exhibitor and fair (a rejected one may be
//! reported again); the organising officer accepts it, and its lines enter the ledger with the
//! fair's organiser as the buyer side (`enter_ledger`), or rejects it with a reason.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use entity::{
    fair, fair_sales_line,
    fair_sales_report::{self, SalesReportStatus},
    ledger_entry::{self, Purpose},
    product,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::fairs;
use crate::{
    audit::Change,
    auth::{Caller, Viewer, scope},
    error::{AppError, AppResult, Checks, ErrorCode, UserError, is_unique_violation},
    ids::new_uuid,
    ledger::reported::{ReportedSale, Venue, record_reported_sales},
    live::events::{Event, LedgerAppended},
    org::membership::membership_of,
};

const MAX_LINES: usize = 200;
const MAX_QUANTITY: i64 = 10_000_000;
/// 100 million yuan in one line is beyond any stall.
const MAX_AMOUNT_FEN: i64 = 10_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalesLine {
    pub product_id: Uuid,
    pub quantity: i64,
    pub amount_fen: i64,
    pub sold_on: NaiveDate,
}

#[derive(Clone, Debug)]
pub struct SalesReport {
    pub fair_id: Uuid,
    pub lines: Vec<SalesLine>,
}

fn line_error(index: usize, field: &str, code: ErrorCode, message: String) -> UserError {
    UserError {
        field: Some(vec![
            "input".into(),
            "lines".into(),
            index.to_string(),
            field.into(),
        ]),
        code,
        message,
    }
}

/// Checks that need only the fair: a line per (product, day), positive quantity and amount,
/// sold on a day of the fair that has come.
fn check_lines(lines: &[SalesLine], fair: &fair::Model, today: NaiveDate) -> Checks {
    let mut checks = Checks::default();
    checks.require(
        (1..=MAX_LINES).contains(&lines.len()),
        "lines",
        ErrorCode::Invalid,
        msg!("fair_sales.report_has_1_lines", max_lines = MAX_LINES),
    );
    let mut seen = HashSet::new();
    for (index, line) in lines.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            checks.push(line_error(
                index,
                "quantity",
                ErrorCode::Invalid,
                msg!("fair_sales.quantity_must_positive"),
            ));
        }
        if !(1..=MAX_AMOUNT_FEN).contains(&line.amount_fen) {
            checks.push(line_error(
                index,
                "amount",
                ErrorCode::Invalid,
                msg!("fair_sales.amount_must_positive"),
            ));
        }
        if !fair.runs_on(line.sold_on) || line.sold_on > today {
            checks.push(line_error(
                index,
                "soldOn",
                ErrorCode::Invalid,
                msg!("fair_sales.sales_reported_days_fair_up_today"),
            ));
        }
        if !seen.insert((line.product_id, line.sold_on)) {
            checks.push(line_error(
                index,
                "productId",
                ErrorCode::Duplicate,
                msg!("fair_sales.one_line_per_product_day"),
            ));
        }
    }
    checks
}

/// Each line's product exists and is the exhibitor's own.
fn check_products(
    lines: &[SalesLine],
    products: &HashMap<Uuid, product::Model>,
    exhibitor: Uuid,
    problems: &mut Checks,
) {
    for (index, line) in lines.iter().enumerate() {
        if products
            .get(&line.product_id)
            .is_none_or(|p| p.producer_org_id != exhibitor)
        {
            problems.push(line_error(
                index,
                "productId",
                ErrorCode::NotFound,
                msg!("fair_sales.no_product_yours_has_id"),
            ));
        }
    }
}

/// The report's quantity and amount, refused when they overflow.
fn sums(lines: &[SalesLine]) -> AppResult<(i64, i64)> {
    lines
        .iter()
        .try_fold((0i64, 0i64), |(q, a), line| {
            Some((
                q.checked_add(line.quantity)?,
                a.checked_add(line.amount_fen)?,
            ))
        })
        .ok_or_else(|| {
            AppError::field(
                "lines",
                ErrorCode::Invalid,
                msg!("fair_sales.report_too_large"),
            )
        })
}

/// The live (pending or accepted) report of an exhibitor at a fair, if any.
async fn live_report(
    conn: &impl ConnectionTrait,
    fair_id: Uuid,
    producer: Uuid,
) -> AppResult<Option<fair_sales_report::Model>> {
    Ok(fair_sales_report::Entity::find()
        .filter(fair_sales_report::Column::FairId.eq(fair_id))
        .filter(fair_sales_report::Column::ProducerOrgId.eq(producer))
        .filter(fair_sales_report::Column::Status.ne(SalesReportStatus::Rejected))
        .one(conn)
        .await?)
}

fn already_reported() -> AppError {
    AppError::field(
        "fairId",
        ErrorCode::Duplicate,
        msg!("fair_sales.you_already_reported_your_sales_fair"),
    )
}

/// An approved exhibitor in good standing reports its on-site sales.
pub async fn report(caller: Caller<'_>, input: SalesReport) -> AppResult<fair_sales_report::Model> {
    let db = caller.db();
    let producer = fairs::producer_of(db, caller.viewer).await?;
    let fair = fairs::load(db, input.fair_id, "fairId").await?;
    let mut problems = check_lines(&input.lines, &fair, Utc::now().date_naive());
    problems
        .require(
            fairs::is_approved(db, fair.id, producer.organization_id).await?,
            "fairId",
            ErrorCode::InvalidState,
            msg!("fair_sales.you_not_approved_exhibitor_fair"),
        )
        .require(
            producer.in_good_standing(),
            "fairId",
            ErrorCode::NotInGoodStanding,
            msg!("fair_sales.suspended_producer_reports_no_sales"),
        );
    let products: HashMap<Uuid, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(input.lines.iter().map(|l| l.product_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    check_products(
        &input.lines,
        &products,
        producer.organization_id,
        &mut problems,
    );
    problems.finish()?;
    let (quantity, amount_fen) = sums(&input.lines)?;
    if live_report(db, fair.id, producer.organization_id)
        .await?
        .is_some()
    {
        return Err(already_reported());
    }
    let txn = db.begin().await?;
    let inserted = fair_sales_report::ActiveModel {
        id: Set(new_uuid()),
        fair_id: Set(fair.id),
        producer_org_id: Set(producer.organization_id),
        status: Set(SalesReportStatus::Pending),
        amount_fen: Set(amount_fen),
        quantity: Set(quantity),
        reason: Set(None),
        reported_by: Set(caller.viewer.user_id),
        reported_at: Set(Utc::now()),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
    }
    .insert(&txn)
    .await;
    let report = match inserted {
        Ok(report) => report,
        // A concurrent report won the unique index.
        Err(error) if is_unique_violation(&error) => return Err(already_reported()),
        Err(error) => return Err(error.into()),
    };
    let rows = input.lines.iter().map(|line| fair_sales_line::ActiveModel {
        id: Set(new_uuid()),
        report_id: Set(report.id),
        product_id: Set(line.product_id),
        quantity: Set(line.quantity),
        amount_fen: Set(line.amount_fen),
        sold_on: Set(line.sold_on),
    });
    fair_sales_line::Entity::insert_many(rows)
        .exec_without_returning(&txn)
        .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "reportFairSales",
                target_type: "Fair",
                target_id: Some(fair.id),
                summary: json!({ "report": report.id, "producer": producer.organization_id,
                    "lines": input.lines.len(), "amountFen": amount_fen }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(report)
}

/// A report's lines, in the order reported.
pub async fn lines_of(
    conn: &impl ConnectionTrait,
    report: Uuid,
) -> AppResult<Vec<fair_sales_line::Model>> {
    Ok(fair_sales_line::Entity::find()
        .filter(fair_sales_line::Column::ReportId.eq(report))
        .order_by_asc(fair_sales_line::Column::Id)
        .all(conn)
        .await?)
}

/// A fair's sales reports the viewer may see: all to staff reading over the venue and to the
/// organiser's members; its own to an exhibitor's member. Newest first.
pub async fn reports_seen(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    fair: &fair::Model,
) -> AppResult<Vec<fair_sales_report::Model>> {
    let membership = membership_of(conn, viewer.user_id).await?;
    let everything = scope::reading(conn, viewer)
        .await?
        .covers(&fair.venue_region_code)
        || membership
            .as_ref()
            .is_some_and(|m| m.organization_id == fair.organiser_org_id);
    let mut select =
        fair_sales_report::Entity::find().filter(fair_sales_report::Column::FairId.eq(fair.id));
    if !everything {
        let Some(own) = membership else {
            return Ok(Vec::new());
        };
        select = select.filter(fair_sales_report::Column::ProducerOrgId.eq(own.organization_id));
    }
    Ok(select
        .order_by_desc(fair_sales_report::Column::Id)
        .limit(fairs::MAX_EXHIBITORS)
        .all(conn)
        .await?)
}

#[derive(Clone, Debug)]
pub struct SalesReview {
    pub report_id: Uuid,
    pub accept: bool,
    pub reason: Option<String>,
}

/// The organising officer accepts a pending report (its lines enter the ledger) or rejects it
/// with a reason.
pub async fn review(
    caller: Caller<'_>,
    review: SalesReview,
) -> AppResult<fair_sales_report::Model> {
    let reason = review
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let mut checks = Checks::default();
    checks
        .require(
            review.accept || reason.is_some(),
            "reason",
            ErrorCode::Invalid,
            msg!("fair_sales.say_why_report_rejected"),
        )
        .length(reason.as_deref().unwrap_or_default(), "reason", 0, 500);
    checks.finish()?;
    let db = caller.db();
    let report = fair_sales_report::Entity::find_by_id(review.report_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "reportId",
                ErrorCode::NotFound,
                msg!("fair_sales.no_sales_report_has_id"),
            )
        })?;
    let fair = fairs::load(db, report.fair_id, "reportId").await?;
    fairs::require_organising(db, caller.viewer, &fair, "reportId").await?;
    let status = if review.accept {
        SalesReportStatus::Accepted
    } else {
        SalesReportStatus::Rejected
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    // Conditional on still pending: a report enters the ledger once however often it is accepted.
    let moved = fair_sales_report::Entity::update_many()
        .col_expr(fair_sales_report::Column::Status, Expr::value(status))
        .col_expr(
            fair_sales_report::Column::Reason,
            Expr::value(reason.clone()),
        )
        .col_expr(
            fair_sales_report::Column::ReviewedBy,
            Expr::value(Some(caller.viewer.user_id)),
        )
        .col_expr(
            fair_sales_report::Column::ReviewedAt,
            Expr::value(Some(now)),
        )
        .filter(fair_sales_report::Column::Id.eq(report.id))
        .filter(fair_sales_report::Column::Status.eq(SalesReportStatus::Pending))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::field(
            "reportId",
            ErrorCode::InvalidState,
            msg!("fair_sales.report_was_already_reviewed"),
        ));
    }
    let mut entries = Vec::new();
    if review.accept {
        let lines = lines_of(&txn, report.id).await?;
        entries = enter_ledger(&txn, &fair, &lines).await?;
    }
    caller
        .audit(
            &txn,
            Change {
                action: "reviewFairSales",
                target_type: "Fair",
                target_id: Some(fair.id),
                summary: json!({ "report": report.id, "accept": review.accept, "reason": reason,
                    "entries": entries.len() }),
            },
        )
        .await?;
    let reviewed = fair_sales_report::Entity::find_by_id(report.id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("sales report vanished")))?;
    txn.commit().await?;
    if !entries.is_empty() {
        // Running tallies (`ledgerTally`) see on-site sales as they see receipts.
        caller
            .services
            .bus
            .publish([Event::LedgerAppended(LedgerAppended::new(&entries))]);
    }
    Ok(reviewed)
}

/// Accepted on-site sales enter the ledger in the review's transaction: one entry per line, the
/// fair's organiser answering as the buyer side at the venue, sold to visitors for their own use.
pub async fn enter_ledger(
    txn: &DatabaseTransaction,
    fair: &fair::Model,
    lines: &[fair_sales_line::Model],
) -> AppResult<Vec<ledger_entry::Model>> {
    let sales: Vec<ReportedSale> = lines
        .iter()
        .map(|line| ReportedSale {
            venue: Venue::Fair(fair.id),
            report_line_id: line.id,
            answering_org_id: fair.organiser_org_id,
            place_code: fair.venue_region_code.clone(),
            product_id: line.product_id,
            quantity: line.quantity,
            amount_fen: line.amount_fen,
            sold_on: line.sold_on,
            purpose: Purpose::Personal,
        })
        .collect();
    record_reported_sales(txn, &sales).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fair() -> fair::Model {
        fair::Model {
            id: Uuid::now_v7(),
            name: "产销对接大会".into(),
            venue_region_code: "130126".into(),
            starts_on: day("2026-12-01"),
            ends_on: day("2026-12-03"),
            organiser_org_id: Uuid::now_v7(),
            target_fen: None,
            created_by: Uuid::now_v7(),
            created_at: Utc::now(),
        }
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap_or_default()
    }

    fn line(product: Uuid, quantity: i64, amount_fen: i64, sold_on: &str) -> SalesLine {
        SalesLine {
            product_id: product,
            quantity,
            amount_fen,
            sold_on: day(sold_on),
        }
    }

    fn fields(checks: Checks) -> Vec<(String, ErrorCode)> {
        match checks.finish() {
            Err(AppError::User(errors)) => errors
                .into_iter()
                .map(|e| (e.field.unwrap_or_default().join("."), e.code))
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn lines_are_positive_on_days_of_the_fair_up_to_today() {
        let (p, q) = (Uuid::now_v7(), Uuid::now_v7());
        let today = day("2026-12-02");
        let good = [
            line(p, 3, 1500, "2026-12-01"),
            line(p, 1, 500, "2026-12-02"),
        ];
        assert!(check_lines(&good, &fair(), today).finish().is_ok());
        let bad = [
            line(p, 0, 100, "2026-12-01"),
            line(q, 1, -5, "2026-11-30"),
            line(q, 1, 5, "2026-12-03"),
            line(p, 1, 5, "2026-12-01"),
        ];
        assert_eq!(
            fields(check_lines(&bad, &fair(), today)),
            [
                ("input.lines.0.quantity".to_owned(), ErrorCode::Invalid),
                ("input.lines.1.amount".to_owned(), ErrorCode::Invalid),
                ("input.lines.1.soldOn".to_owned(), ErrorCode::Invalid),
                ("input.lines.2.soldOn".to_owned(), ErrorCode::Invalid),
                ("input.lines.3.productId".to_owned(), ErrorCode::Duplicate),
            ]
        );
        assert_eq!(
            fields(check_lines(&[], &fair(), today)),
            [("input.lines".to_owned(), ErrorCode::Invalid)]
        );
    }

    #[test]
    fn sums_refuse_to_overflow() {
        let p = Uuid::now_v7();
        assert_eq!(
            sums(&[line(p, 2, 300, "2026-12-01"), line(p, 1, 200, "2026-12-02")]).ok(),
            Some((3, 500))
        );
        assert!(
            sums(&[
                line(p, 1, i64::MAX, "2026-12-01"),
                line(p, 1, 1, "2026-12-01")
            ])
            .is_err()
        );
    }
}
