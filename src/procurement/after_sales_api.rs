//! After-sales and invoices in the API: `ReturnRequest`, `requestReturn`, `acceptReturn`,
//! `rejectReturn`, `escalateReturn`, `decideReturn`, `confirmReturnArrived`,
//! `returnRequests`; `Invoice`, `issueInvoice`. `Order.returnRequests` and `Order.invoices`
//! call [`requests_of`] and [`invoices_of`].

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::{
    invoice::{self, InvoiceKind},
    return_request::{self, ReturnKind, ReturnStatus},
};
use uuid::Uuid;

use super::{
    after_sales::{self, NewRequest},
    invoices::{self, NewInvoice},
};
use crate::{
    auth::{Role, RoleGuard, viewer},
    error::{Result, payload},
    files::files_api::{File, files_of},
    graphql::{
        context::{caller, services},
        scalars::{Date, DateTime, Money},
    },
    ids::{self, NodeKind},
};

/// A buyer's after-sales request and where it stands.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ReturnRequest {
    pub id: ID,
    pub order_id: ID,
    pub kind: ReturnKind,
    pub status: ReturnStatus,
    pub reason: String,
    pub requested_at: DateTime,
    /// The producer's reason (a rejection's, or a note with an acceptance).
    pub answer_reason: Option<String>,
    pub answered_at: Option<DateTime>,
    pub escalation_reason: Option<String>,
    pub escalated_at: Option<DateTime>,
    pub decision_reason: Option<String>,
    pub decided_at: Option<DateTime>,
    /// When the producer confirmed returned goods arrived (back into stock).
    pub goods_arrived_at: Option<DateTime>,
    #[graphql(skip)]
    pub row_id: Uuid,
}

/// How much of an order line a request asks back.
#[derive(SimpleObject)]
pub struct ReturnLine {
    pub line_id: ID,
    pub quantity: i64,
}

#[ComplexObject]
impl ReturnRequest {
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<ReturnLine>> {
        Ok(after_sales::lines_of(&services(ctx)?.db, self.row_id)
            .await?
            .into_iter()
            .map(|l| ReturnLine {
                line_id: NodeKind::OrderLine.id(l.order_line_id),
                quantity: l.quantity,
            })
            .collect())
    }

    /// Photos of what is wrong, for whoever may read the order.
    async fn files(&self, ctx: &Context<'_>) -> Result<Vec<File>> {
        files_of(ctx, NodeKind::ReturnRequest, self.row_id).await
    }
}

impl From<return_request::Model> for ReturnRequest {
    fn from(row: return_request::Model) -> Self {
        Self {
            id: NodeKind::ReturnRequest.id(row.id),
            order_id: NodeKind::Order.id(row.order_id),
            kind: row.kind,
            status: row.status,
            reason: row.reason,
            requested_at: row.requested_at.into(),
            answer_reason: row.answer_reason,
            answered_at: row.answered_at.map(Into::into),
            escalation_reason: row.escalation_reason,
            escalated_at: row.escalated_at.map(Into::into),
            decision_reason: row.decision_reason,
            decided_at: row.decided_at.map(Into::into),
            goods_arrived_at: row.goods_arrived_at.map(Into::into),
            row_id: row.id,
        }
    }
}

/// An invoice the producer issued for an order.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Invoice {
    pub id: ID,
    pub order_id: ID,
    pub number: String,
    pub kind: InvoiceKind,
    pub amount: Money,
    pub issued_on: Date,
    pub recorded_at: DateTime,
    #[graphql(skip)]
    pub row_id: Uuid,
}

#[ComplexObject]
impl Invoice {
    /// The invoice's scan, for whoever may read the order.
    async fn files(&self, ctx: &Context<'_>) -> Result<Vec<File>> {
        files_of(ctx, NodeKind::Invoice, self.row_id).await
    }
}

impl From<invoice::Model> for Invoice {
    fn from(row: invoice::Model) -> Self {
        Self {
            id: NodeKind::Invoice.id(row.id),
            order_id: NodeKind::Order.id(row.order_id),
            number: row.number,
            kind: row.kind,
            amount: Money(row.amount_fen),
            issued_on: Date(row.issued_on),
            recorded_at: row.recorded_at.into(),
            row_id: row.id,
        }
    }
}

/// An order's after-sales requests, newest first (`Order.returnRequests`).
pub async fn requests_of(ctx: &Context<'_>, order: Uuid) -> Result<Vec<ReturnRequest>> {
    let rows =
        after_sales::visible(&services(ctx)?.db, viewer(ctx)?, None, Some(order), 100).await?;
    Ok(rows.into_iter().map(ReturnRequest::from).collect())
}

/// An order's invoices, oldest first (`Order.invoices`).
pub async fn invoices_of(ctx: &Context<'_>, order: Uuid) -> Result<Vec<Invoice>> {
    Ok(invoices::of_order(&services(ctx)?.db, order)
        .await?
        .into_iter()
        .map(Invoice::from)
        .collect())
}

#[derive(InputObject)]
pub struct ReturnLineInput {
    pub line_id: ID,
    pub quantity: i64,
}

#[derive(InputObject)]
pub struct RequestReturnInput {
    pub order_id: ID,
    pub kind: ReturnKind,
    pub lines: Vec<ReturnLineInput>,
    pub reason: String,
}

#[derive(InputObject)]
pub struct ReturnRequestIdInput {
    pub request_id: ID,
}

#[derive(InputObject)]
pub struct ReturnReasonInput {
    pub request_id: ID,
    pub reason: String,
}

#[derive(InputObject)]
pub struct DecideReturnInput {
    pub request_id: ID,
    /// True: the buyer is refunded; false: the producer's rejection stands.
    pub in_favour_of_buyer: bool,
    pub reason: String,
}

#[derive(InputObject)]
pub struct IssueInvoiceInput {
    pub order_id: ID,
    pub number: String,
    pub kind: InvoiceKind,
    pub amount: Money,
    pub issued_on: Date,
}

crate::payload! {
    ReturnRequestPayload { request: Option<ReturnRequest> } from return_request::Model => |m| Some(ReturnRequest::from(m))
}

crate::payload! {
    InvoicePayload { invoice: Option<Invoice> } from invoice::Model => |m| Some(Invoice::from(m))
}

fn request_id(id: &ID) -> Result<Uuid> {
    ids::expect(id, NodeKind::ReturnRequest, "requestId")
}

#[derive(Default)]
pub struct AfterSalesQuery;

#[Object]
impl AfterSalesQuery {
    /// After-sales requests the viewer may see (the parties, officers over either side; an
    /// officer's `ESCALATED` ones are theirs to decide), newest first, at most 100.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn return_requests(
        &self,
        ctx: &Context<'_>,
        status: Option<ReturnStatus>,
        order_id: Option<ID>,
    ) -> Result<Vec<ReturnRequest>> {
        let order = match &order_id {
            Some(id) => Some(ids::expect(id, NodeKind::Order, "orderId")?),
            None => None,
        };
        let rows =
            after_sales::visible(&services(ctx)?.db, viewer(ctx)?, status, order, 100).await?;
        Ok(rows.into_iter().map(ReturnRequest::from).collect())
    }
}

#[derive(Default)]
pub struct AfterSalesMutation;

#[Object]
impl AfterSalesMutation {
    /// The buyer asks for accepted goods back (`RETURN`) or money only (`REFUND_ONLY`), within
    /// 15 days of receipt.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn request_return(
        &self,
        ctx: &Context<'_>,
        input: RequestReturnInput,
    ) -> Result<ReturnRequestPayload> {
        let mut lines = Vec::with_capacity(input.lines.len());
        for (index, line) in input.lines.iter().enumerate() {
            let field = format!("lines.{index}.lineId");
            lines.push((
                ids::expect(&line.line_id, NodeKind::OrderLine, &field)?,
                line.quantity,
            ));
        }
        let new = NewRequest {
            order_id: ids::expect(&input.order_id, NodeKind::Order, "orderId")?,
            kind: input.kind,
            lines,
            reason: input.reason,
        };
        payload(after_sales::request(caller(ctx)?, new).await)
    }

    /// The producer accepts a request: the lines are refunded (negative ledger entries).
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn accept_return(
        &self,
        ctx: &Context<'_>,
        input: ReturnRequestIdInput,
    ) -> Result<ReturnRequestPayload> {
        let id = request_id(&input.request_id)?;
        payload(after_sales::answer(caller(ctx)?, id, true, None).await)
    }

    /// The producer rejects a request, with its reason.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn reject_return(
        &self,
        ctx: &Context<'_>,
        input: ReturnReasonInput,
    ) -> Result<ReturnRequestPayload> {
        let id = request_id(&input.request_id)?;
        payload(after_sales::answer(caller(ctx)?, id, false, Some(input.reason)).await)
    }

    /// The buyer takes a rejected request to the county officer, once.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn escalate_return(
        &self,
        ctx: &Context<'_>,
        input: ReturnReasonInput,
    ) -> Result<ReturnRequestPayload> {
        let id = request_id(&input.request_id)?;
        payload(after_sales::escalate(caller(ctx)?, id, input.reason).await)
    }

    /// A county (or higher) officer over the producer decides an escalated request.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer])")]
    async fn decide_return(
        &self,
        ctx: &Context<'_>,
        input: DecideReturnInput,
    ) -> Result<ReturnRequestPayload> {
        let id = request_id(&input.request_id)?;
        payload(after_sales::decide(caller(ctx)?, id, input.in_favour_of_buyer, input.reason).await)
    }

    /// The producer confirms returned goods arrived: they go back into stock, once.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn confirm_return_arrived(
        &self,
        ctx: &Context<'_>,
        input: ReturnRequestIdInput,
    ) -> Result<ReturnRequestPayload> {
        let id = request_id(&input.request_id)?;
        payload(after_sales::confirm_arrived(caller(ctx)?, id).await)
    }

    /// The producer records an invoice it issued, within what was accepted less refunded.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn issue_invoice(
        &self,
        ctx: &Context<'_>,
        input: IssueInvoiceInput,
    ) -> Result<InvoicePayload> {
        let new = NewInvoice {
            order_id: ids::expect(&input.order_id, NodeKind::Order, "orderId")?,
            number: input.number,
            kind: input.kind,
            amount_fen: input.amount.fen(),
            issued_on: input.issued_on.0,
        };
        payload(invoices::issue(caller(ctx)?, new).await)
    }
}
