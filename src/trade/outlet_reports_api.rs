//! Outlet sales reports in the API: `OutletReport` and its lines, `outletReports`,
//! `outletReport`, `outletSalesTemplate`, and `reportOutletSales`, `reviewOutletReport`,
//! `correctOutletReport`. Spreadsheets are imported over HTTP (`POST /imports/outlet-sales`).

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::{
    outlet_report::{self, OutletReportKind, OutletReportStatus, ReportSource},
    outlet_report_line,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{
    outlet_reports::{self, Column, CorrectionLine, LineInput, Locator, ReportFilter, ReportInput},
    outlets_api::Outlet,
    report_import,
};
use crate::{
    auth::{RoleGuard, viewer},
    catalogue::products_api::Product,
    error::{AppError, ErrorCode, Result, UserError, payload},
    graphql::{
        context::{caller, loaders, services},
        scalars::{Date, DateTime, Money},
    },
    ids::{self, NodeKind},
    loaders::ProductById,
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
};

/// An outlet's sales report for a month, or a correction reducing an accepted one.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct OutletReport {
    #[graphql(owned)]
    pub id: ID,
    /// The month, `YYYY-MM`.
    pub period: String,
    pub kind: OutletReportKind,
    pub status: OutletReportStatus,
    pub source: ReportSource,
    /// The reviewer's reason (required for a rejection).
    pub review_reason: Option<String>,
    pub submitted_at: DateTime,
    pub reviewed_at: Option<DateTime>,
    #[graphql(skip)]
    pub row: outlet_report::Model,
}

impl From<outlet_report::Model> for OutletReport {
    fn from(row: outlet_report::Model) -> Self {
        Self {
            id: NodeKind::OutletReport.id(row.id),
            period: row.period.clone(),
            kind: row.kind,
            status: row.status,
            source: row.source,
            review_reason: row.review_reason.clone(),
            submitted_at: DateTime(row.submitted_at),
            reviewed_at: row.reviewed_at.map(DateTime),
            row,
        }
    }
}

/// A report's figures summed over its lines.
#[derive(SimpleObject)]
pub struct OutletReportTotals {
    pub lines: i64,
    pub reported_quantity: i64,
    pub reported_amount: Money,
    /// What enters (or entered) the ledger; for a correction, the decrease (negative).
    pub counted_quantity: i64,
    pub counted_amount: Money,
}

#[ComplexObject]
impl OutletReport {
    async fn outlet(&self, ctx: &Context<'_>) -> Result<Option<Outlet>> {
        let db = &services(ctx)?.db;
        Ok(entity::outlet::Entity::find_by_id(self.row.outlet_id)
            .one(db)
            .await?
            .map(Outlet::from))
    }

    /// The sales report a correction reduces.
    async fn corrects_report_id(&self) -> Option<ID> {
        self.row
            .corrects_report_id
            .map(|id| NodeKind::OutletReport.id(id))
    }

    async fn totals(&self, ctx: &Context<'_>) -> Result<OutletReportTotals> {
        let db = &services(ctx)?.db;
        let (lines, quantity, amount, counted, counted_amount) =
            outlet_reports::totals(db, self.row.id).await?;
        Ok(OutletReportTotals {
            lines,
            reported_quantity: quantity,
            reported_amount: Money(amount),
            counted_quantity: counted,
            counted_amount: Money(counted_amount),
        })
    }

    /// The lines in their order.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn lines(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<OutletReportLine>> {
        let db = &services(ctx)?.db;
        pagination::paginate(
            db,
            outlet_report_line::Entity::find()
                .filter(outlet_report_line::Column::ReportId.eq(self.row.id)),
            &[SortKey::asc(outlet_report_line::Column::RowNo)],
            &PageArgs::new(first, after, last, before),
            |l| vec![CursorValue::Int(i64::from(l.row_no))],
            OutletReportLine::from,
        )
        .await
    }
}

/// One product's sales in a report. `countedQuantity` is what enters the ledger: the units
/// beyond those the operator received through its own platform orders (already counted there)
/// that earlier accepted lines did not match; `countedAmount` its share of the amount, pro rata
/// and rounded down to the fen.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct OutletReportLine {
    #[graphql(owned)]
    pub id: ID,
    /// Its position in the report (a spreadsheet's data row).
    pub row_no: i32,
    pub reported_quantity: i64,
    pub amount: Money,
    pub sold_on: Date,
    /// Whether the product was a certified poverty-alleviation product on `soldOn`.
    pub certified: bool,
    pub already_counted_quantity: i64,
    /// For a correction's line, the decrease entered (negative).
    pub counted_quantity: i64,
    pub counted_amount: Money,
    #[graphql(skip)]
    pub row: outlet_report_line::Model,
}

impl From<outlet_report_line::Model> for OutletReportLine {
    fn from(row: outlet_report_line::Model) -> Self {
        Self {
            id: NodeKind::OutletReportLine.id(row.id),
            row_no: row.row_no,
            reported_quantity: row.quantity,
            amount: Money(row.amount_fen),
            sold_on: Date(row.sold_on),
            certified: row.certified,
            already_counted_quantity: row.already_counted_quantity,
            counted_quantity: row.counted_quantity,
            counted_amount: Money(row.counted_amount_fen),
            row,
        }
    }
}

#[ComplexObject]
impl OutletReportLine {
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)?
            .load_one(ProductById(self.row.product_id))
            .await?
            .map(Product::from))
    }

    /// The line a correction's line reduces.
    async fn corrects_line_id(&self) -> Option<ID> {
        self.row
            .corrects_line_id
            .map(|id| NodeKind::OutletReportLine.id(id))
    }
}

#[derive(InputObject, Default)]
pub struct OutletReportFilter {
    pub outlet_id: Option<ID>,
    pub status: Option<OutletReportStatus>,
    /// `YYYY-MM`.
    pub period: Option<String>,
}

#[derive(Default)]
pub struct OutletReportQuery;

#[Object]
impl OutletReportQuery {
    /// Reports of the outlets the viewer operates, or whose region its staff scope covers;
    /// newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn outlet_reports(
        &self,
        ctx: &Context<'_>,
        filter: Option<OutletReportFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<OutletReport>> {
        let db = &services(ctx)?.db;
        let filter = filter.unwrap_or_default();
        let outlet_id = match &filter.outlet_id {
            Some(id) => Some(ids::expect(id, NodeKind::Outlet, "outletId")?),
            None => None,
        };
        let filter = ReportFilter {
            outlet_id,
            status: filter.status,
            period: filter.period,
        };
        let condition = outlet_reports::condition(db, viewer(ctx)?, &filter).await?;
        pagination::paginate(
            db,
            outlet_report::Entity::find().filter(condition),
            &[SortKey::desc(outlet_report::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |r| vec![CursorValue::Uuid(r.id)],
            OutletReport::from,
        )
        .await
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn outlet_report(&self, ctx: &Context<'_>, id: ID) -> Result<Option<OutletReport>> {
        let db = &services(ctx)?.db;
        let id = ids::expect(&id, NodeKind::OutletReport, "id")?;
        match outlet_reports::load_visible(db, viewer(ctx)?, id).await {
            Ok((report, _)) => Ok(Some(OutletReport::from(report))),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// The spreadsheet template for `POST /imports/outlet-sales`, as CSV text (also at
    /// `GET /imports/outlet-sales/template.csv`).
    async fn outlet_sales_template(&self) -> String {
        report_import::template_csv()
    }
}

#[derive(InputObject)]
pub struct OutletSaleLineInput {
    pub product_id: ID,
    /// Units sold, positive.
    pub quantity: i64,
    /// What they sold for, positive.
    pub amount: Money,
    /// The day of the sale, within the period; the period's last day when absent.
    pub sold_on: Option<Date>,
}

#[derive(InputObject)]
pub struct ReportOutletSalesInput {
    pub outlet_id: ID,
    /// The month, `YYYY-MM`.
    pub period: String,
    pub lines: Vec<OutletSaleLineInput>,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReportDecision {
    Accept,
    Reject,
}

#[derive(InputObject)]
pub struct ReviewOutletReportInput {
    pub report_id: ID,
    pub decision: ReportDecision,
    /// Required for a rejection; at most 500 characters.
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct CorrectionLineInput {
    pub line_id: ID,
    /// The corrected quantity: at most the line's, zero to withdraw it.
    pub quantity: i64,
    /// The corrected amount: at most the line's, zero to withdraw it.
    pub amount: Money,
}

#[derive(InputObject)]
pub struct CorrectOutletReportInput {
    pub report_id: ID,
    pub lines: Vec<CorrectionLineInput>,
}

crate::payload! {
    OutletReportPayload { report: Option<OutletReport> } from outlet_report::Model => |m| Some(OutletReport::from(m))
}

/// Form lines' product IDs; an ID that is not a product's is an error on its line.
fn form_lines(
    lines: Vec<OutletSaleLineInput>,
) -> std::result::Result<Vec<LineInput>, Vec<UserError>> {
    let mut out = Vec::with_capacity(lines.len());
    let mut errors = Vec::new();
    for (index, line) in lines.into_iter().enumerate() {
        match ids::decode(&line.product_id) {
            Some((NodeKind::Product, product_id)) => out.push(LineInput {
                product_id,
                quantity: line.quantity,
                amount_fen: line.amount.fen(),
                sold_on: line.sold_on.map(|d| d.0),
            }),
            _ => errors.push(Locator::Form.error(
                index,
                Column::Product,
                ErrorCode::Invalid,
                "not a product ID",
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[derive(Default)]
pub struct OutletReportMutation;

#[Object]
impl OutletReportMutation {
    /// The outlet's operator reports a month's sales; nothing is written unless every line is
    /// right.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn report_outlet_sales(
        &self,
        ctx: &Context<'_>,
        input: ReportOutletSalesInput,
    ) -> Result<OutletReportPayload> {
        let outlet_id = ids::expect(&input.outlet_id, NodeKind::Outlet, "outletId")?;
        let lines = match form_lines(input.lines) {
            Ok(lines) => lines,
            Err(errors) => return payload(Err(AppError::User(errors))),
        };
        let report = ReportInput {
            outlet_id,
            period: input.period,
            lines,
            source: ReportSource::Form,
        };
        payload(
            outlet_reports::submit(caller(ctx)?, report, Locator::Form)
                .await
                .map(|(r, _)| r),
        )
    }

    /// A county or city officer over the outlet's region accepts the report into the ledger or
    /// rejects it with a reason.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn review_outlet_report(
        &self,
        ctx: &Context<'_>,
        input: ReviewOutletReportInput,
    ) -> Result<OutletReportPayload> {
        let id = ids::expect(&input.report_id, NodeKind::OutletReport, "reportId")?;
        let accept = input.decision == ReportDecision::Accept;
        payload(outlet_reports::review(caller(ctx)?, id, accept, input.reason).await)
    }

    /// The operator reduces lines of an accepted report; once accepted, the decrease enters the
    /// ledger as negative entries.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn correct_outlet_report(
        &self,
        ctx: &Context<'_>,
        input: CorrectOutletReportInput,
    ) -> Result<OutletReportPayload> {
        let id = ids::expect(&input.report_id, NodeKind::OutletReport, "reportId")?;
        let mut lines = Vec::with_capacity(input.lines.len());
        for (index, line) in input.lines.into_iter().enumerate() {
            let Some((NodeKind::OutletReportLine, line_id)) = ids::decode(&line.line_id) else {
                return payload(Err(AppError::User(vec![UserError {
                    field: Some(vec![
                        "input".into(),
                        "lines".into(),
                        index.to_string(),
                        "lineId".into(),
                    ]),
                    code: ErrorCode::Invalid,
                    message: msg!("outlet_reports.not_report_line_id"),
                }])));
            };
            lines.push(CorrectionLine {
                line_id,
                quantity: line.quantity,
                amount_fen: line.amount.fen(),
            });
        }
        payload(outlet_reports::correct(caller(ctx)?, id, lines).await)
    }
}
