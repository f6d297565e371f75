//! Payments in the API: `Payment`, `OrderAccount` (what `Order.account` answers: ordered,
//! accepted, refunded, paid, awaiting confirmation, `amountDue`, `dueOn`), `recordPayment`,
//! `confirmPayment` and `rejectPayment`. `overduePayments` and `requestPaymentExtension` are
//! orders' (`orders_api`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::{
    order,
    payment::{self, PaymentMethod, PaymentStatus},
};
use uuid::Uuid;

use super::{
    accounts::{self, NewPayment},
    payments,
};
use crate::{
    auth::{Role, RoleGuard},
    error::{Result, payload},
    graphql::{
        context::{caller, services},
        scalars::{Date, DateTime, Money},
    },
    ids::{self, NodeKind},
};

/// A payment the buyer recorded against an order; only confirmed ones reduce `amountDue`.
#[derive(SimpleObject)]
pub struct Payment {
    pub id: ID,
    pub order_id: ID,
    pub amount: Money,
    pub method: PaymentMethod,
    pub reference: String,
    pub paid_on: Date,
    pub status: PaymentStatus,
    pub recorded_at: DateTime,
    pub decided_at: Option<DateTime>,
    pub reject_reason: Option<String>,
}

impl From<payment::Model> for Payment {
    fn from(row: payment::Model) -> Self {
        Self {
            id: NodeKind::Payment.id(row.id),
            order_id: NodeKind::Order.id(row.order_id),
            amount: Money(row.amount_fen),
            method: row.method,
            reference: row.reference,
            paid_on: Date(row.paid_on),
            status: row.status,
            recorded_at: row.recorded_at.into(),
            decided_at: row.decided_at.map(Into::into),
            reject_reason: row.reject_reason,
        }
    }
}

/// An order's money, computed from its lines and payments.
#[derive(SimpleObject)]
pub struct OrderAccount {
    /// The lines as ordered (`Order.total`).
    pub ordered: Money,
    /// Accepted at inspection; null before receipt.
    pub accepted: Option<Money>,
    pub refunded: Money,
    /// Confirmed by the producer.
    pub paid: Money,
    /// Recorded by the buyer, awaiting the producer.
    pub awaiting_confirmation: Money,
    /// Accepted (ordered, before receipt) less refunded less paid; negative when the producer
    /// owes money back.
    pub amount_due: Money,
    /// When a received pay-after-delivery order must be paid.
    pub due_on: Option<Date>,
    /// The one 15-day extension was granted.
    pub due_extended: bool,
    /// What the producer's invoices add up to (at most accepted less refunded).
    pub invoiced: Money,
}

/// What an order owes and what was paid (`Order.account`).
pub async fn account_of(ctx: &Context<'_>, row: &order::Model) -> Result<OrderAccount> {
    let db = &services(ctx)?.db;
    let account = accounts::account_of(db, row).await?;
    let invoiced = super::invoices::invoiced_fen(db, row.id).await?;
    Ok(OrderAccount {
        ordered: Money(account.ordered_fen),
        accepted: account.accepted_fen.map(Money),
        refunded: Money(account.refunded_fen),
        paid: Money(account.paid_fen),
        awaiting_confirmation: Money(account.pending_fen),
        amount_due: Money(account.due_fen()),
        due_on: row.due_on.map(Date),
        due_extended: row.due_extended,
        invoiced: Money(invoiced),
    })
}

/// An order's payments, oldest first (`Order.payments`).
pub async fn payments_of(ctx: &Context<'_>, row: &order::Model) -> Result<Vec<Payment>> {
    Ok(accounts::payments_of(&services(ctx)?.db, row.id)
        .await?
        .into_iter()
        .map(Payment::from)
        .collect())
}

#[derive(InputObject)]
pub struct RecordPaymentInput {
    pub order_id: ID,
    pub amount: Money,
    pub method: PaymentMethod,
    /// The transfer's reference (bank serial number): claimed once per buyer.
    pub reference: String,
    pub paid_on: Date,
}

#[derive(InputObject)]
pub struct PaymentIdInput {
    pub payment_id: ID,
}

#[derive(InputObject)]
pub struct RejectPaymentInput {
    pub payment_id: ID,
    pub reason: String,
}

crate::payload! {
    PaymentPayload { payment: Option<Payment> } from payment::Model => |m| Some(Payment::from(m))
}

fn payment_id(id: &ID) -> Result<Uuid> {
    ids::expect(id, NodeKind::Payment, "paymentId")
}

#[derive(Default)]
pub struct PaymentMutation;

#[Object]
impl PaymentMutation {
    /// The buyer records a payment (partial payments allowed); the producer then confirms it.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordPaymentInput,
    ) -> Result<PaymentPayload> {
        let new = NewPayment {
            order_id: ids::expect(&input.order_id, NodeKind::Order, "orderId")?,
            amount_fen: input.amount.fen(),
            method: input.method,
            reference: input.reference,
            paid_on: input.paid_on.0,
        };
        payload(payments::record(caller(ctx)?, new).await)
    }

    /// The producer confirms the money arrived.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn confirm_payment(
        &self,
        ctx: &Context<'_>,
        input: PaymentIdInput,
    ) -> Result<PaymentPayload> {
        let id = payment_id(&input.payment_id)?;
        payload(payments::decide(caller(ctx)?, id, true, None).await)
    }

    /// The producer rejects a payment it did not receive, with the reason.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn reject_payment(
        &self,
        ctx: &Context<'_>,
        input: RejectPaymentInput,
    ) -> Result<PaymentPayload> {
        let id = payment_id(&input.payment_id)?;
        payload(payments::decide(caller(ctx)?, id, false, Some(input.reason)).await)
    }
}
