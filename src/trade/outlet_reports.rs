//! Outlet sales reports (flow 9): an outlet's operator reports a month's sales of products from
//! the catalogue; a county or city officer over the outlet's region accepts them into the ledger
//! or rejects them with a reason. Off-platform sales reach the ledger only this way.
//!
//! **Counted once.** A sale already recorded through an order must not be counted again: when
//! the operator bought the same product through orders on this platform (its ledger entries as
//! the buyer, up to the period's last day), the units it resells at its outlets are, first,
//! those units. Each line therefore counts only the quantity beyond what those orders delivered
//! minus what earlier accepted lines already matched against them ([`split`]); its amount is
//! counted pro rata, in whole fen rounded down (`floor(amount × counted / reported)`): the
//! rounding never counts a fen that was not reported, and a line wholly counted keeps its amount
//! exactly.
//!
//! **Corrections** reduce accepted lines (never raise them: a larger figure is a new report's
//! business). A correction is itself reviewed; on acceptance each line's counted figures are
//! recomputed (the correction takes the counted part first, then the part matched to orders)
//! and the difference enters the ledger as negative entries, like a refund, so that a line
//! corrected to zero nets out to the fen.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Months, NaiveDate, Utc};
use entity::{
    api_name::ApiName,
    ledger_entry, organization, outlet,
    outlet::OutletStatus,
    outlet_report::{self, OutletReportKind, OutletReportStatus, ReportSource},
    outlet_report_line, producer, product,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::outlets::{self, operator_of, require_deciding_over};
use crate::{
    audit::Change,
    auth::{Caller, Viewer, visibility::Sight},
    error::{AppError, AppResult, ErrorCode, UserError, is_unique_violation},
    ids::new_uuid,
};

/// Most lines one report may hold (a spreadsheet of a large supermarket's month).
pub const MAX_LINES: usize = 20_000;
/// Most errors returned for one report: enough to fix a file, not a flood.
pub const MAX_ERRORS: usize = 100;

/// A spreadsheet's headers (see `report_import`).
pub const PRODUCT: &str = "商品编号";
pub const QUANTITY: &str = "数量";
pub const AMOUNT: &str = "金额(元)";
pub const SOLD_ON: &str = "销售日期";

/// The header naming a column.
pub fn header_of(column: Column) -> &'static str {
    match column {
        Column::Product => PRODUCT,
        Column::Quantity => QUANTITY,
        Column::Amount => AMOUNT,
        Column::SoldOn => SOLD_ON,
    }
}

/// A column of a report line, named in errors.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Column {
    Product,
    Quantity,
    Amount,
    SoldOn,
}

/// Where a line's problem is shown: a form's `input.lines.N.field`, or a spreadsheet's row and
/// column.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Locator {
    Form,
    Sheet,
}

impl Locator {
    /// The error about line `index` (0-based), column `column`.
    pub fn error(
        self,
        index: usize,
        column: Column,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> UserError {
        let message = message.into();
        match self {
            Locator::Form => UserError {
                field: Some(vec![
                    "input".into(),
                    "lines".into(),
                    index.to_string(),
                    match column {
                        Column::Product => "productId",
                        Column::Quantity => "quantity",
                        Column::Amount => "amount",
                        Column::SoldOn => "soldOn",
                    }
                    .into(),
                ]),
                code,
                message,
            },
            Locator::Sheet => {
                // The header is the sheet's first row, so data row `index` is row `index + 2`.
                let row = index + 2;
                let header = header_of(column);
                UserError {
                    field: Some(vec![
                        "file".into(),
                        "row".into(),
                        row.to_string(),
                        header.into(),
                    ]),
                    code,
                    message: msg!(
                        "import.row_column",
                        row = row,
                        column = header,
                        message = message
                    ),
                }
            }
        }
    }
}

/// One reported line, as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineInput {
    pub product_id: Uuid,
    pub quantity: i64,
    pub amount_fen: i64,
    pub sold_on: Option<NaiveDate>,
}

/// A report as submitted.
#[derive(Clone, Debug)]
pub struct ReportInput {
    pub outlet_id: Uuid,
    pub period: String,
    pub lines: Vec<LineInput>,
    pub source: ReportSource,
}

/// The first and last day of a `YYYY-MM` month.
pub fn period_days(period: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (year, month) = period.split_once('-')?;
    if year.len() != 4
        || month.len() != 2
        || !(year.bytes().chain(month.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)?;
    let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
    Some((first, last))
}

/// The days a report for `period` may cover at `outlet`: the month within the outlet's open
/// dates, up to today.
pub fn open_days(
    outlet: &outlet::Model,
    period: &str,
    today: NaiveDate,
) -> AppResult<(NaiveDate, NaiveDate)> {
    let Some((first, last)) = period_days(period) else {
        return Err(AppError::field(
            "period",
            ErrorCode::Invalid,
            msg!("outlet_reports.period_month_yyyy_mm"),
        ));
    };
    if first > today {
        return Err(AppError::field(
            "period",
            ErrorCode::Invalid,
            msg!("outlet_reports.has_not_begun", period = period),
        ));
    }
    let from = first.max(outlet.opens_on);
    let to = outlet.closes_on.map_or(last, |c| c.min(last)).min(today);
    if from > to {
        return Err(AppError::field(
            "period",
            ErrorCode::Invalid,
            msg!(
                "outlet_reports.outside_outlet_s_open_dates",
                period = period,
                opens_on = outlet.opens_on,
                value2 = outlet
                    .closes_on
                    .map_or_else(|| "open".to_owned(), |c| c.to_string())
            ),
        ));
    }
    Ok((from, to))
}

/// Checks of each line that need no database; every problem, each named by its line and column.
pub fn check_lines(
    lines: &[LineInput],
    days: (NaiveDate, NaiveDate),
    locator: Locator,
) -> Vec<UserError> {
    let mut errors = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if line.quantity <= 0 {
            errors.push(locator.error(
                index,
                Column::Quantity,
                ErrorCode::Invalid,
                msg!("outlet_reports.quantity_sold_positive"),
            ));
        }
        if line.amount_fen <= 0 {
            errors.push(locator.error(
                index,
                Column::Amount,
                ErrorCode::Invalid,
                msg!("outlet_reports.amount_sold_positive"),
            ));
        }
        if let Some(day) = line.sold_on
            && !(days.0..=days.1).contains(&day)
        {
            errors.push(locator.error(
                index,
                Column::SoldOn,
                ErrorCode::Invalid,
                msg!(
                    "outlet_reports.sale_report_falls_between",
                    value0 = days.0,
                    value1 = days.1
                ),
            ));
        }
    }
    errors
}

/// How a reported line splits between units already counted through the operator's orders and
/// units counted now.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub already_counted: i64,
    pub counted_quantity: i64,
    pub counted_amount_fen: i64,
}

/// The counting rule: of `quantity` units sold for `amount_fen`, the first `allowance` units
/// (what the operator's orders delivered and earlier accepted lines did not already match) were
/// counted when the orders were received; the rest count now, with the amount pro rata in whole
/// fen rounded down.
pub fn split(quantity: i64, amount_fen: i64, allowance: i64) -> Split {
    let already_counted = allowance.clamp(0, quantity.max(0));
    let counted_quantity = quantity - already_counted;
    let counted_amount_fen = if quantity <= 0 {
        0
    } else {
        let exact = i128::from(amount_fen) * i128::from(counted_quantity) / i128::from(quantity);
        i64::try_from(exact).unwrap_or(amount_fen)
    };
    Split {
        already_counted,
        counted_quantity,
        counted_amount_fen,
    }
}

/// Splits every line of a report in order, each product's allowance used up by its earlier lines.
pub fn split_lines(lines: &[(Uuid, i64, i64)], mut allowance: HashMap<Uuid, i64>) -> Vec<Split> {
    lines
        .iter()
        .map(|&(product, quantity, amount)| {
            let left = allowance.entry(product).or_insert(0);
            let s = split(quantity, amount, *left);
            *left -= s.already_counted;
            s
        })
        .collect()
}

/// A correction of line `(quantity, amount, already_counted)` to `(new_quantity, new_amount)`:
/// the counted part goes first, then the part matched to orders.
pub fn corrected(already_counted: i64, new_quantity: i64, new_amount: i64) -> Split {
    split(new_quantity, new_amount, already_counted.min(new_quantity))
}

/// The report and its outlet, if the viewer may see the report (`Sight::outlet_reports`: the
/// operator's members and staff reading over the outlet's region).
pub async fn load_visible(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<(outlet_report::Model, outlet::Model)> {
    let sight = Sight::of(conn, Some(viewer)).await?;
    let report = outlet_report::Entity::find_by_id(id)
        .filter(sight.outlet_reports())
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.outlet_report"))?;
    let found = outlet::Entity::find_by_id(report.outlet_id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.outlet_report"))?;
    Ok((report, found))
}

/// The approved outlet the viewer operates, for a report.
async fn reporting_outlet(caller: Caller<'_>, outlet_id: Uuid) -> AppResult<outlet::Model> {
    let db = caller.db();
    let found = outlets::load_visible(db, caller.viewer, outlet_id)
        .await
        .map_err(|_| {
            AppError::field(
                "outletId",
                ErrorCode::NotFound,
                msg!("outlet_reports.no_outlet_has_id"),
            )
        })?;
    if operator_of(db, caller.viewer).await? != found.operator_org_id {
        return Err(AppError::Forbidden(
            "forbidden.only_outlet_s_operator_reports_sales",
        ));
    }
    if found.status != OutletStatus::Approved {
        return Err(AppError::field(
            "outletId",
            ErrorCode::InvalidState,
            msg!("outlet_reports.outlet_not_approved_yet_no_sales"),
        ));
    }
    Ok(found)
}

/// The products named and their producers, checked line by line.
async fn check_products(
    conn: &impl ConnectionTrait,
    lines: &[LineInput],
    locator: Locator,
) -> AppResult<(HashMap<Uuid, product::Model>, Vec<UserError>)> {
    let ids: Vec<Uuid> = lines
        .iter()
        .map(|l| l.product_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut products = HashMap::new();
    for chunk in ids.chunks(1000) {
        for p in product::Entity::find()
            .filter(product::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            products.insert(p.id, p);
        }
    }
    let producer_ids: Vec<Uuid> = products
        .values()
        .map(|p| p.producer_org_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut standing = HashMap::new();
    for chunk in producer_ids.chunks(1000) {
        for p in producer::Entity::find()
            .filter(producer::Column::OrganizationId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            standing.insert(p.organization_id, p.in_good_standing());
        }
    }
    let mut errors = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        match products.get(&line.product_id) {
            None => errors.push(locator.error(
                index,
                Column::Product,
                ErrorCode::NotFound,
                msg!("outlet_reports.no_product_has_id"),
            )),
            Some(p) if !standing.get(&p.producer_org_id).copied().unwrap_or(false) => {
                errors.push(locator.error(
                    index,
                    Column::Product,
                    ErrorCode::NotInGoodStanding,
                    msg!(
                        "outlet_reports.producer_suspended_unverified",
                        name = p.name
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok((products, errors))
}

fn refuse(mut errors: Vec<UserError>) -> AppResult<()> {
    if errors.is_empty() {
        return Ok(());
    }
    errors.truncate(MAX_ERRORS);
    Err(AppError::User(errors))
}

async fn live_report_exists(
    conn: &impl ConnectionTrait,
    outlet_id: Uuid,
    period: &str,
) -> AppResult<bool> {
    Ok(outlet_report::Entity::find()
        .filter(outlet_report::Column::OutletId.eq(outlet_id))
        .filter(outlet_report::Column::Period.eq(period))
        .filter(outlet_report::Column::Kind.eq(OutletReportKind::Sales))
        .filter(outlet_report::Column::Status.ne(OutletReportStatus::Rejected))
        .one(conn)
        .await?
        .is_some())
}

fn duplicate_period(period: &str) -> AppError {
    AppError::field(
        "period",
        ErrorCode::Duplicate,
        msg!(
            "outlet_reports.outlet_already_has_report_reject_report",
            period = period
        ),
    )
}

/// `reportOutletSales` (and the spreadsheet import): validates everything, then writes the
/// report and its lines in one transaction, or nothing.
pub async fn submit(
    caller: Caller<'_>,
    input: ReportInput,
    locator: Locator,
) -> AppResult<(outlet_report::Model, usize)> {
    let db = caller.db();
    let found = reporting_outlet(caller, input.outlet_id).await?;
    let days = open_days(&found, &input.period, Utc::now().date_naive())?;
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        return Err(AppError::field(
            "lines",
            ErrorCode::Invalid,
            msg!("outlet_reports.report_holds_1_lines", max_lines = MAX_LINES),
        ));
    }
    let mut errors = check_lines(&input.lines, days, locator);
    let (products, product_errors) = check_products(db, &input.lines, locator).await?;
    errors.extend(product_errors);
    errors.sort_by_key(|e| {
        e.field
            .as_ref()
            .and_then(|f| f.get(2))
            .and_then(|n| n.parse::<usize>().ok())
    });
    refuse(errors)?;
    if live_report_exists(db, found.id, &input.period).await? {
        return Err(duplicate_period(&input.period));
    }
    let txn = db.begin().await?;
    let report = insert_report(&txn, caller, &found, &input, OutletReportKind::Sales, None).await?;
    let rows = sale_rows(&txn, &found, &report, &input.lines, days.1, &products).await?;
    insert_lines(&txn, rows).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "reportOutletSales",
                target_type: "OutletReport",
                target_id: Some(report.id),
                summary: json!({
                    "outlet": found.id, "period": input.period, "lines": input.lines.len(),
                    "source": input.source.api_name(),
                    "quantity": input.lines.iter().map(|l| l.quantity).sum::<i64>(),
                    "amountFen": input.lines.iter().map(|l| l.amount_fen).sum::<i64>(),
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok((report, input.lines.len()))
}

async fn insert_report(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    found: &outlet::Model,
    input: &ReportInput,
    kind: OutletReportKind,
    corrects: Option<Uuid>,
) -> AppResult<outlet_report::Model> {
    outlet_report::ActiveModel {
        id: Set(new_uuid()),
        outlet_id: Set(found.id),
        period: Set(input.period.clone()),
        kind: Set(kind),
        corrects_report_id: Set(corrects),
        status: Set(OutletReportStatus::Submitted),
        source: Set(input.source),
        review_reason: Set(None),
        submitted_by: Set(caller.viewer.user_id),
        submitted_at: Set(Utc::now()),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
    }
    .insert(txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            match kind {
                OutletReportKind::Sales => duplicate_period(&input.period),
                OutletReportKind::Correction => open_correction(),
            }
        } else {
            e.into()
        }
    })
}

/// The report's lines with their day, certification on that day and their split (a preview
/// until acceptance recomputes it).
async fn sale_rows(
    conn: &impl ConnectionTrait,
    found: &outlet::Model,
    report: &outlet_report::Model,
    lines: &[LineInput],
    last_day: NaiveDate,
    products: &HashMap<Uuid, product::Model>,
) -> AppResult<Vec<outlet_report_line::ActiveModel>> {
    let keys: Vec<(Uuid, i64, i64)> = lines
        .iter()
        .map(|l| (l.product_id, l.quantity, l.amount_fen))
        .collect();
    let allowance = allowances(conn, found.operator_org_id, &keys, last_day, report.id).await?;
    let splits = split_lines(&keys, allowance);
    let mut rows = Vec::with_capacity(lines.len());
    for (index, (line, s)) in lines.iter().zip(splits).enumerate() {
        let Some(p) = products.get(&line.product_id) else {
            return Err(AppError::internal(anyhow::anyhow!("product checked above")));
        };
        let sold_on = line.sold_on.unwrap_or(last_day);
        rows.push(outlet_report_line::ActiveModel {
            id: Set(new_uuid()),
            report_id: Set(report.id),
            row_no: Set(i32::try_from(index + 1).unwrap_or(i32::MAX)),
            product_id: Set(p.id),
            producer_org_id: Set(p.producer_org_id),
            quantity: Set(line.quantity),
            amount_fen: Set(line.amount_fen),
            sold_on: Set(sold_on),
            certified: Set(p.certified_on(sold_on)),
            corrects_line_id: Set(None),
            already_counted_quantity: Set(s.already_counted),
            counted_quantity: Set(s.counted_quantity),
            counted_amount_fen: Set(s.counted_amount_fen),
        });
    }
    Ok(rows)
}

async fn insert_lines(
    txn: &DatabaseTransaction,
    rows: Vec<outlet_report_line::ActiveModel>,
) -> AppResult<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(500).collect();
        outlet_report_line::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Per product: units the operator received through its orders up to `last_day`, less what
/// lines of its other accepted sales reports already matched against them.
async fn allowances(
    conn: &impl ConnectionTrait,
    operator: Uuid,
    keys: &[(Uuid, i64, i64)],
    last_day: NaiveDate,
    this_report: Uuid,
) -> AppResult<HashMap<Uuid, i64>> {
    let products: Vec<Uuid> = keys
        .iter()
        .map(|k| k.0)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut allowance = HashMap::new();
    for chunk in products.chunks(1000) {
        let received: Vec<(Uuid, i64)> = ledger_entry::Entity::find()
            .select_only()
            .column(ledger_entry::Column::ProductId)
            .expr(Expr::cust(
                "CAST(COALESCE(SUM(ledger_entries.quantity), 0) AS BIGINT)",
            ))
            .filter(ordered_entries())
            .filter(ledger_entry::Column::BuyerOrgId.eq(operator))
            .filter(ledger_entry::Column::ProductId.is_in(chunk.iter().copied()))
            .filter(ledger_entry::Column::OccurredOn.lte(last_day))
            .group_by(ledger_entry::Column::ProductId)
            .into_tuple()
            .all(conn)
            .await?;
        for (product_id, quantity) in received {
            allowance.insert(product_id, quantity.max(0));
        }
        let matched: Vec<(Uuid, i64)> = outlet_report_line::Entity::find()
            .select_only()
            .column(outlet_report_line::Column::ProductId)
            .expr(Expr::cust(
                "CAST(COALESCE(SUM(outlet_report_lines.already_counted_quantity), 0) AS BIGINT)",
            ))
            .inner_join_on_report()
            .filter(outlet_report::Column::Kind.eq(OutletReportKind::Sales))
            .filter(outlet_report::Column::Status.eq(OutletReportStatus::Accepted))
            .filter(outlet_report::Column::Id.ne(this_report))
            .filter(
                outlet_report::Column::OutletId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(outlet::Column::Id)
                        .from(outlet::Entity)
                        .and_where(outlet::Column::OperatorOrgId.eq(operator))
                        .to_owned(),
                ),
            )
            .filter(outlet_report_line::Column::ProductId.is_in(chunk.iter().copied()))
            .group_by(outlet_report_line::Column::ProductId)
            .into_tuple()
            .all(conn)
            .await?;
        for (product_id, used) in matched {
            let left = allowance.entry(product_id).or_insert(0);
            *left = (*left - used).max(0);
        }
    }
    Ok(allowance)
}

/// Ledger entries that came from orders on this platform (not from reports).
fn ordered_entries() -> Condition {
    super::ledger_link::ordered_entries()
}

trait JoinReport {
    fn inner_join_on_report(self) -> Self;
}

impl JoinReport for sea_orm::Select<outlet_report_line::Entity> {
    fn inner_join_on_report(self) -> Self {
        self.join(
            sea_orm::JoinType::InnerJoin,
            outlet_report_line::Entity::belongs_to(outlet_report::Entity)
                .from(outlet_report_line::Column::ReportId)
                .to(outlet_report::Column::Id)
                .into(),
        )
    }
}

fn open_correction() -> AppError {
    AppError::field(
        "reportId",
        ErrorCode::Duplicate,
        msg!("outlet_reports.correction_report_already_waiting_review"),
    )
}

/// `reviewOutletReport`: accepts a submitted report (its counted lines enter the ledger) or
/// rejects it with a reason.
pub async fn review(
    caller: Caller<'_>,
    id: Uuid,
    accept: bool,
    reason: Option<String>,
) -> AppResult<outlet_report::Model> {
    let db = caller.db();
    let (report, found) = load_visible(db, caller.viewer, id).await?;
    require_deciding_over(db, caller.viewer, &found.region_code).await?;
    let reason = outlets::decision_reason(accept, reason)?;
    let status = if accept {
        OutletReportStatus::Accepted
    } else {
        OutletReportStatus::Rejected
    };
    let txn = db.begin().await?;
    let changed = outlet_report::Entity::update_many()
        .col_expr(outlet_report::Column::Status, Expr::value(status))
        .col_expr(
            outlet_report::Column::ReviewReason,
            Expr::value(reason.clone()),
        )
        .col_expr(
            outlet_report::Column::ReviewedBy,
            Expr::value(caller.viewer.user_id),
        )
        .col_expr(outlet_report::Column::ReviewedAt, Expr::value(Utc::now()))
        .filter(outlet_report::Column::Id.eq(id))
        .filter(outlet_report::Column::Status.eq(OutletReportStatus::Submitted))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("outlet_reports.only_submitted_report_reviewed"),
        ));
    }
    let entered = if accept {
        match report.kind {
            OutletReportKind::Sales => accept_sales(&txn, &found, &report).await?,
            OutletReportKind::Correction => accept_correction(&txn, &found, &report).await?,
        }
    } else {
        Vec::new()
    };
    caller
        .audit(
            &txn,
            Change {
                action: "reviewOutletReport",
                target_type: "OutletReport",
                target_id: Some(id),
                summary: json!({
                    "decision": status.api_name(), "reason": reason, "kind": report.kind.api_name(),
                    "ledgerEntries": entered.len(),
                }),
            },
        )
        .await?;
    txn.commit().await?;
    super::ledger_link::after_commit(caller.services, &entered);
    let (report, _) = load_visible(db, caller.viewer, id).await?;
    Ok(report)
}

async fn lines_of(
    conn: &impl ConnectionTrait,
    report: Uuid,
) -> AppResult<Vec<outlet_report_line::Model>> {
    Ok(outlet_report_line::Entity::find()
        .filter(outlet_report_line::Column::ReportId.eq(report))
        .order_by_asc(outlet_report_line::Column::RowNo)
        .all(conn)
        .await?)
}

/// Recomputes the split against the orders and reports accepted by now, saves it, and records
/// the counted lines in the ledger. Returns the entries written.
async fn accept_sales(
    txn: &DatabaseTransaction,
    found: &outlet::Model,
    report: &outlet_report::Model,
) -> AppResult<Vec<ledger_entry::Model>> {
    // One operator's acceptances run one after another, so each sees the allowance the one
    // before it used (PostgreSQL; SQLite serialises writers already).
    organization::Entity::find_by_id(found.operator_org_id)
        .lock_exclusive()
        .one(txn)
        .await?;
    let lines = lines_of(txn, report.id).await?;
    let last_day = period_days(&report.period).map_or_else(|| Utc::now().date_naive(), |d| d.1);
    let keys: Vec<(Uuid, i64, i64)> = lines
        .iter()
        .map(|l| (l.product_id, l.quantity, l.amount_fen))
        .collect();
    let allowance = allowances(txn, found.operator_org_id, &keys, last_day, report.id).await?;
    let splits = split_lines(&keys, allowance);
    let mut sales = Vec::new();
    for (line, s) in lines.iter().zip(splits) {
        let unchanged = line.already_counted_quantity == s.already_counted
            && line.counted_quantity == s.counted_quantity
            && line.counted_amount_fen == s.counted_amount_fen;
        if !unchanged {
            save_split(txn, line.id, None, s).await?;
        }
        if s.counted_quantity > 0 {
            sales.push(super::ledger_link::Sale {
                outlet: found.id,
                line_id: line.id,
                operator: found.operator_org_id,
                place_code: found.region_code.clone(),
                product_id: line.product_id,
                quantity: s.counted_quantity,
                amount_fen: s.counted_amount_fen,
                sold_on: line.sold_on,
            });
        }
    }
    super::ledger_link::record(txn, &sales).await
}

async fn save_split(
    txn: &DatabaseTransaction,
    line: Uuid,
    figures: Option<(i64, i64)>,
    s: Split,
) -> AppResult<()> {
    let mut update = outlet_report_line::Entity::update_many()
        .col_expr(
            outlet_report_line::Column::AlreadyCountedQuantity,
            Expr::value(s.already_counted),
        )
        .col_expr(
            outlet_report_line::Column::CountedQuantity,
            Expr::value(s.counted_quantity),
        )
        .col_expr(
            outlet_report_line::Column::CountedAmountFen,
            Expr::value(s.counted_amount_fen),
        );
    if let Some((quantity, amount)) = figures {
        update = update
            .col_expr(outlet_report_line::Column::Quantity, Expr::value(quantity))
            .col_expr(outlet_report_line::Column::AmountFen, Expr::value(amount));
    }
    update
        .filter(outlet_report_line::Column::Id.eq(line))
        .exec(txn)
        .await?;
    Ok(())
}

/// Applies an accepted correction to the lines it names; the decrease of each counted figure
/// enters the ledger as a negative entry.
async fn accept_correction(
    txn: &DatabaseTransaction,
    found: &outlet::Model,
    report: &outlet_report::Model,
) -> AppResult<Vec<ledger_entry::Model>> {
    let corrections = lines_of(txn, report.id).await?;
    let originals: HashMap<Uuid, outlet_report_line::Model> = outlet_report_line::Entity::find()
        .filter(
            outlet_report_line::Column::Id.is_in(
                corrections
                    .iter()
                    .filter_map(|c| c.corrects_line_id)
                    .collect::<Vec<_>>(),
            ),
        )
        .all(txn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let mut sales = Vec::new();
    for correction in &corrections {
        let Some(original) = correction
            .corrects_line_id
            .and_then(|id| originals.get(&id))
        else {
            return Err(AppError::internal(anyhow::anyhow!(msg!(
                "outlet_reports.correction_line_without_line"
            ))));
        };
        if correction.quantity > original.quantity || correction.amount_fen > original.amount_fen {
            return Err(AppError::state(
                ErrorCode::InvalidState,
                msg!("outlet_reports.line_changed_since_correction_was_made"),
            ));
        }
        let now = corrected(
            original.already_counted_quantity,
            correction.quantity,
            correction.amount_fen,
        );
        let delta_quantity = now.counted_quantity - original.counted_quantity;
        let delta_amount = now.counted_amount_fen - original.counted_amount_fen;
        save_split(
            txn,
            original.id,
            Some((correction.quantity, correction.amount_fen)),
            now,
        )
        .await?;
        save_split(
            txn,
            correction.id,
            None,
            Split {
                already_counted: now.already_counted,
                counted_quantity: delta_quantity,
                counted_amount_fen: delta_amount,
            },
        )
        .await?;
        if delta_quantity != 0 || delta_amount != 0 {
            sales.push(super::ledger_link::Sale {
                outlet: found.id,
                // The ledger finds the sale a correction reverses by the line sold.
                line_id: original.id,
                operator: found.operator_org_id,
                place_code: found.region_code.clone(),
                product_id: original.product_id,
                quantity: delta_quantity,
                amount_fen: delta_amount,
                sold_on: original.sold_on,
            });
        }
    }
    super::ledger_link::record(txn, &sales).await
}

/// One line of a correction: the line's corrected figures.
#[derive(Clone, Debug)]
pub struct CorrectionLine {
    pub line_id: Uuid,
    pub quantity: i64,
    pub amount_fen: i64,
}

/// Checks a correction against the lines it names (by their position in `input.lines`).
pub fn check_correction(
    lines: &[CorrectionLine],
    current: &HashMap<Uuid, outlet_report_line::Model>,
) -> Vec<UserError> {
    let on = |index: usize, field: &str, code: ErrorCode, message: String| UserError {
        field: Some(vec![
            "input".into(),
            "lines".into(),
            index.to_string(),
            field.into(),
        ]),
        code,
        message,
    };
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(original) = current.get(&line.line_id) else {
            errors.push(on(
                index,
                "lineId",
                ErrorCode::NotFound,
                msg!("outlet_reports.not_line_report"),
            ));
            continue;
        };
        if !seen.insert(line.line_id) {
            errors.push(on(
                index,
                "lineId",
                ErrorCode::Duplicate,
                msg!("outlet_reports.line_named_twice"),
            ));
        }
        if line.quantity < 0 || line.quantity > original.quantity {
            errors.push(on(
                index,
                "quantity",
                ErrorCode::Invalid,
                msg!("outlet_reports.correction_reduces_quantity_zero_least"),
            ));
        }
        if line.amount_fen < 0 || line.amount_fen > original.amount_fen {
            errors.push(on(
                index,
                "amount",
                ErrorCode::Invalid,
                msg!("outlet_reports.correction_reduces_amount_zero_least"),
            ));
        }
        if (line.quantity == 0) != (line.amount_fen == 0) {
            errors.push(on(
                index,
                "amount",
                ErrorCode::Invalid,
                msg!("outlet_reports.line_withdrawn_has_quantity_amount_zero"),
            ));
        }
        let now = corrected(
            original.already_counted_quantity,
            line.quantity,
            line.amount_fen,
        );
        let delta_quantity = now.counted_quantity - original.counted_quantity;
        let delta_amount = now.counted_amount_fen - original.counted_amount_fen;
        if line.quantity <= original.quantity
            && line.amount_fen <= original.amount_fen
            && (delta_quantity == 0) != (delta_amount == 0)
        {
            // The ledger's entries move quantity and amount together.
            errors.push(on(
                index,
                "amount",
                ErrorCode::Invalid,
                msg!("outlet_reports.amount_without_quantity"),
            ));
        }
        if line.quantity == original.quantity && line.amount_fen == original.amount_fen {
            errors.push(on(
                index,
                "quantity",
                ErrorCode::Invalid,
                msg!("outlet_reports.changes_nothing"),
            ));
        }
    }
    if lines.is_empty() {
        errors.push(UserError::on(
            "lines",
            ErrorCode::Invalid,
            msg!("outlet_reports.name_lines_correct"),
        ));
    }
    errors
}

/// `correctOutletReport`: the operator reduces lines of an accepted sales report; the
/// correction waits for an officer like a report.
pub async fn correct(
    caller: Caller<'_>,
    report_id: Uuid,
    lines: Vec<CorrectionLine>,
) -> AppResult<outlet_report::Model> {
    let db = caller.db();
    let (report, found) = load_visible(db, caller.viewer, report_id).await?;
    if operator_of(db, caller.viewer).await? != found.operator_org_id {
        return Err(AppError::Forbidden(
            "forbidden.only_outlet_s_operator_corrects_reports",
        ));
    }
    if report.kind != OutletReportKind::Sales || report.status != OutletReportStatus::Accepted {
        return Err(AppError::field(
            "reportId",
            ErrorCode::InvalidState,
            msg!("outlet_reports.only_accepted_sales_report_corrected"),
        ));
    }
    let current: HashMap<Uuid, outlet_report_line::Model> = lines_of(db, report.id)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    refuse(check_correction(&lines, &current))?;
    let txn = db.begin().await?;
    let input = ReportInput {
        outlet_id: found.id,
        period: report.period.clone(),
        lines: Vec::new(),
        source: ReportSource::Form,
    };
    let correction = insert_report(
        &txn,
        caller,
        &found,
        &input,
        OutletReportKind::Correction,
        Some(report.id),
    )
    .await?;
    let mut rows = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        let Some(original) = current.get(&line.line_id) else {
            continue;
        };
        rows.push(outlet_report_line::ActiveModel {
            id: Set(new_uuid()),
            report_id: Set(correction.id),
            row_no: Set(i32::try_from(index + 1).unwrap_or(i32::MAX)),
            product_id: Set(original.product_id),
            producer_org_id: Set(original.producer_org_id),
            quantity: Set(line.quantity),
            amount_fen: Set(line.amount_fen),
            sold_on: Set(original.sold_on),
            certified: Set(original.certified),
            corrects_line_id: Set(Some(original.id)),
            already_counted_quantity: Set(0),
            counted_quantity: Set(0),
            counted_amount_fen: Set(0),
        });
    }
    insert_lines(&txn, rows).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "correctOutletReport",
                target_type: "OutletReport",
                target_id: Some(correction.id),
                summary: json!({
                    "corrects": report.id,
                    "lines": lines.iter().map(|l| json!({
                        "line": l.line_id, "quantity": l.quantity, "amountFen": l.amount_fen,
                    })).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(correction)
}

/// What `outletReports(filter)` narrows by.
#[derive(Clone, Debug, Default)]
pub struct ReportFilter {
    pub outlet_id: Option<Uuid>,
    pub status: Option<OutletReportStatus>,
    pub period: Option<String>,
}

/// The reports the viewer may read (`Sight::outlet_reports`) matching `filter`.
pub async fn condition(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &ReportFilter,
) -> AppResult<Condition> {
    let mut all = Condition::all().add(Sight::of(conn, Some(viewer)).await?.outlet_reports());
    if let Some(id) = filter.outlet_id {
        all = all.add(outlet_report::Column::OutletId.eq(id));
    }
    if let Some(status) = filter.status {
        all = all.add(outlet_report::Column::Status.eq(status));
    }
    if let Some(period) = &filter.period {
        all = all.add(outlet_report::Column::Period.eq(period.clone()));
    }
    Ok(all)
}

/// Totals of a report's lines: (lines, quantity, amount, counted quantity, counted amount).
pub async fn totals(
    conn: &impl ConnectionTrait,
    report: Uuid,
) -> AppResult<(i64, i64, i64, i64, i64)> {
    let row: Option<(i64, i64, i64, i64, i64)> = outlet_report_line::Entity::find()
        .select_only()
        .expr(Expr::cust("CAST(COUNT(*) AS BIGINT)"))
        .expr(Expr::cust("CAST(COALESCE(SUM(quantity), 0) AS BIGINT)"))
        .expr(Expr::cust("CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT)"))
        .expr(Expr::cust(
            "CAST(COALESCE(SUM(counted_quantity), 0) AS BIGINT)",
        ))
        .expr(Expr::cust(
            "CAST(COALESCE(SUM(counted_amount_fen), 0) AS BIGINT)",
        ))
        .filter(outlet_report_line::Column::ReportId.eq(report))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(row.unwrap_or_default())
}

/// Per product, how a report's lines were matched: for tests and summaries.
pub fn by_product(lines: &[outlet_report_line::Model]) -> BTreeMap<Uuid, (i64, i64)> {
    let mut out = BTreeMap::new();
    for line in lines {
        let e = out.entry(line.product_id).or_insert((0, 0));
        e.0 += line.counted_quantity;
        e.1 += line.counted_amount_fen;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_period_is_a_month() {
        assert_eq!(
            period_days("2026-02"),
            Some((day("2026-02-01"), day("2026-02-28")))
        );
        assert_eq!(
            period_days("2024-12"),
            Some((day("2024-12-01"), day("2024-12-31")))
        );
        for bad in ["2026-13", "2026-6", "26-06", "2026-06-01", "abcd-ef", ""] {
            assert_eq!(period_days(bad), None, "{bad}");
        }
    }

    #[test]
    fn units_already_counted_through_orders_count_once() {
        // Nothing bought through orders: all counts.
        assert_eq!(
            split(10, 1000, 0),
            Split {
                already_counted: 0,
                counted_quantity: 10,
                counted_amount_fen: 1000
            }
        );
        // 4 of 10 were received through orders: 6 count, 6/10 of the amount.
        assert_eq!(
            split(10, 1000, 4),
            Split {
                already_counted: 4,
                counted_quantity: 6,
                counted_amount_fen: 600
            }
        );
        // Pro rata rounds down to the fen: 2/3 of 100 fen is 66.
        assert_eq!(split(3, 100, 1).counted_amount_fen, 66);
        // Orders covered more than was sold: nothing counts.
        assert_eq!(
            split(5, 999, 50),
            Split {
                already_counted: 5,
                counted_quantity: 0,
                counted_amount_fen: 0
            }
        );
        // Large figures do not overflow.
        assert_eq!(split(i64::MAX, i64::MAX, 1).counted_quantity, i64::MAX - 1);
    }

    #[test]
    fn earlier_lines_use_up_the_allowance() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let splits = split_lines(
            &[(a, 3, 300), (b, 2, 200), (a, 4, 400)],
            HashMap::from([(a, 5)]),
        );
        assert_eq!(
            splits
                .iter()
                .map(|s| s.counted_quantity)
                .collect::<Vec<_>>(),
            [0, 2, 2]
        );
        assert_eq!(splits[2].counted_amount_fen, 200);
    }

    #[test]
    fn a_correction_takes_the_counted_part_first_and_can_net_to_zero() {
        // Line 10 units, 4 already counted, 6 counted (600 of 1000 fen).
        let to_eight = corrected(4, 8, 800);
        assert_eq!(to_eight.counted_quantity, 4);
        assert_eq!(to_eight.counted_amount_fen, 400);
        let to_three = corrected(4, 3, 300);
        assert_eq!(
            (to_three.already_counted, to_three.counted_quantity),
            (3, 0)
        );
        assert_eq!(corrected(4, 0, 0).counted_amount_fen, 0);
    }

    #[test]
    fn lines_are_checked_by_row_and_column() {
        let days = (day("2026-06-01"), day("2026-06-30"));
        let line = |q, a, d: Option<&str>| LineInput {
            product_id: Uuid::from_u128(1),
            quantity: q,
            amount_fen: a,
            sold_on: d.map(day),
        };
        let errors = check_lines(
            &[line(1, 1, None), line(-1, 0, Some("2026-07-01"))],
            days,
            Locator::Form,
        );
        let fields: Vec<String> = errors
            .iter()
            .filter_map(|e| e.field.as_ref().map(|f| f.join(".")))
            .collect();
        assert_eq!(
            fields,
            [
                "input.lines.1.quantity",
                "input.lines.1.amount",
                "input.lines.1.soldOn"
            ]
        );
        let sheet = check_lines(&[line(1, -5, None)], days, Locator::Sheet);
        assert_eq!(
            sheet[0].field.as_deref(),
            Some(
                &[
                    "file".to_owned(),
                    "row".into(),
                    "2".into(),
                    "金额(元)".into()
                ][..]
            )
        );
        assert!(sheet[0].message.starts_with("第 2 行，金额(元) 列"));
    }

    #[test]
    fn a_period_must_fall_in_the_outlets_dates_and_not_ahead() {
        let found = outlet::Model {
            id: Uuid::from_u128(1),
            operator_org_id: Uuid::from_u128(2),
            kind: entity::outlet::OutletKind::Zone,
            name: "专区".into(),
            region_code: "130126".into(),
            opens_on: day("2026-03-15"),
            closes_on: Some(day("2026-08-10")),
            status: OutletStatus::Approved,
            review_reason: None,
            reviewed_by: None,
            reviewed_at: None,
            created_by: Uuid::from_u128(3),
            created_at: Utc::now(),
        };
        let today = day("2026-12-04");
        assert_eq!(
            open_days(&found, "2026-03", today).ok(),
            Some((day("2026-03-15"), day("2026-03-31")))
        );
        assert_eq!(
            open_days(&found, "2026-08", today).ok(),
            Some((day("2026-08-01"), day("2026-08-10")))
        );
        assert!(open_days(&found, "2026-02", today).is_err());
        assert!(open_days(&found, "2026-09", today).is_err());
        assert!(open_days(&found, "2027-01", today).is_err());
    }
}
