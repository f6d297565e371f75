//! What an order owes and what was paid ([`Account`]: accepted less refunded less confirmed
//! payments), the checks on a new payment, the due date of a pay-after-delivery order (30 days
//! after receipt, one 15-day extension, DOMAIN.md), the overdue list, and the guard the state
//! machine applies before shipping and settling. A leaf: orders and payments both use it.

use chrono::{Days, NaiveDate};
use entity::{
    order::{self, OrderStatus, PaymentTerms},
    order_line,
    payment::{self, PaymentMethod, PaymentStatus},
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult, Checks, ErrorCode},
    text::yuan,
};

/// Days a received pay-after-delivery order has to be paid, and the one extension.
pub const DAYS_TO_PAY: u64 = 30;
pub const EXTENSION_DAYS: u64 = 15;

/// An order's money, in fen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// The lines at their frozen prices, as ordered.
    pub ordered_fen: i64,
    /// What the buyer accepted at inspection (`None` before receipt).
    pub accepted_fen: Option<i64>,
    pub refunded_fen: i64,
    /// Confirmed by the producer.
    pub paid_fen: i64,
    /// Recorded by the buyer, awaiting the producer.
    pub pending_fen: i64,
    pub cancelled: bool,
}

impl Account {
    pub fn of(
        order: &order::Model,
        lines: &[order_line::Model],
        payments: &[payment::Model],
    ) -> Self {
        let sum = |f: &dyn Fn(&order_line::Model) -> i64| lines.iter().map(f).sum::<i64>();
        let paid = |status| {
            payments
                .iter()
                .filter(|p| p.status == status)
                .map(|p| p.amount_fen)
                .sum()
        };
        let received = matches!(order.status, OrderStatus::Received | OrderStatus::Settled);
        Self {
            ordered_fen: sum(&|l| l.price_fen * l.quantity),
            accepted_fen: received
                .then(|| sum(&|l| l.price_fen * l.accepted_quantity.unwrap_or(0))),
            refunded_fen: sum(&|l| l.price_fen * l.refunded_quantity),
            paid_fen: paid(PaymentStatus::Confirmed),
            pending_fen: paid(PaymentStatus::Recorded),
            cancelled: order.status == OrderStatus::Cancelled,
        }
    }

    /// What the goods cost the buyer: accepted less refunded once received, as ordered before,
    /// nothing when cancelled.
    pub fn owed_fen(&self) -> i64 {
        if self.cancelled {
            return 0;
        }
        self.accepted_fen.unwrap_or(self.ordered_fen) - self.refunded_fen
    }

    /// Owed less confirmed payments; negative when the producer owes money back (paid first,
    /// then accepted less or refunded).
    pub fn due_fen(&self) -> i64 {
        self.owed_fen() - self.paid_fen
    }

    /// What a new payment may still cover: payments awaiting confirmation count, so recording
    /// twice before the producer answers cannot pay twice.
    pub fn open_fen(&self) -> i64 {
        self.due_fen() - self.pending_fen
    }
}

/// A payment as the buyer records it.
#[derive(Clone, Debug)]
pub struct NewPayment {
    pub order_id: Uuid,
    pub amount_fen: i64,
    pub method: PaymentMethod,
    pub reference: String,
    pub paid_on: NaiveDate,
}

/// Checks a payment against its order's account; fields as the input names them.
pub fn check_payment(
    payment: &NewPayment,
    account: &Account,
    placed_on: NaiveDate,
    today: NaiveDate,
) -> Checks {
    let mut checks = Checks::default();
    checks.length(&payment.reference, "reference", 1, 64);
    checks.require(
        payment.amount_fen > 0,
        "amount",
        ErrorCode::Invalid,
        msg!("accounts.payment_more_than_zero"),
    );
    if payment.amount_fen > 0 {
        checks.require(
            payment.amount_fen <= account.open_fen(),
            "amount",
            ErrorCode::Overpaid,
            msg!(
                "accounts.order_still_owes_fen_counting_payments",
                value0 = Ord::max(account.open_fen(), 0)
            ),
        );
    }
    checks.require(
        payment.paid_on >= placed_on && payment.paid_on <= today,
        "paidOn",
        ErrorCode::Invalid,
        msg!("accounts.payment_made_between_order_s_placing"),
    );
    checks
}

/// An order's lines and payments, and its account.
pub async fn account_of(conn: &impl ConnectionTrait, order: &order::Model) -> AppResult<Account> {
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .all(conn)
        .await?;
    let payments = payments_of(conn, order.id).await?;
    Ok(Account::of(order, &lines, &payments))
}

/// An order's payments, oldest first.
pub async fn payments_of(
    conn: &impl ConnectionTrait,
    order: Uuid,
) -> AppResult<Vec<payment::Model>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order))
        .order_by_asc(payment::Column::RecordedAt)
        .order_by_asc(payment::Column::Id)
        .all(conn)
        .await?)
}

/// A step of the state machine that needs the order paid.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    Shipping,
    Settling,
}

/// The guard before a step: a pay-first order ships only once paid in full; an order settles
/// only once nothing is due. Returns the account it checked, if it read one.
pub async fn check_paid_before(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    stage: Stage,
) -> AppResult<Option<Account>> {
    if stage == Stage::Shipping && order.payment_terms != PaymentTerms::PayFirst {
        return Ok(None);
    }
    let account = account_of(conn, order).await?;
    let due = account.due_fen();
    if due > 0 {
        return Err(AppError::state(
            ErrorCode::Unpaid,
            match stage {
                Stage::Shipping => msg!("accounts.pay_first_order_ships_once_paid", due = due),
                Stage::Settling => msg!("accounts.fen_not_confirmed_paid", due = due),
            },
        ));
    }
    Ok(Some(account))
}

/// What a settlement records in the order's history: the amounts it closed on.
pub fn settlement_note(account: &Account) -> String {
    format!(
        "settled: accepted {}, refunded {}, paid {}",
        yuan(account.accepted_fen.unwrap_or(0)),
        yuan(account.refunded_fen),
        yuan(account.paid_fen)
    )
}

/// The due date a receipt sets: pay-after-delivery orders only.
pub fn due_on_receipt(terms: PaymentTerms, received_on: NaiveDate) -> Option<NaiveDate> {
    (terms == PaymentTerms::PayAfterDelivery)
        .then(|| received_on.checked_add_days(Days::new(DAYS_TO_PAY)))
        .flatten()
}

/// The extended due date, if the order may have one now.
pub fn extension_of(order: &order::Model, today: NaiveDate) -> AppResult<NaiveDate> {
    let Some(due_on) = order.due_on else {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("accounts.only_received_pay_after_delivery_order"),
        ));
    };
    if order.due_extended {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("accounts.due_date_was_already_extended_once"),
        ));
    }
    if today > due_on || order.status != OrderStatus::Received {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("accounts.extension_asked_before_due_date_while"),
        ));
    }
    due_on
        .checked_add_days(Days::new(EXTENSION_DAYS))
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("due date out of range")))
}

/// Received orders past their due date with money still due, within `visible`.
pub fn overdue(visible: Condition, today: NaiveDate) -> sea_orm::Select<order::Entity> {
    // Accepted less refunded, less confirmed payments: the account's `due_fen` in SQL.
    let due = Expr::cust(
        "(SELECT COALESCE(SUM(l.price_fen * (COALESCE(l.accepted_quantity, 0) - l.refunded_quantity)), 0) \
           FROM order_lines l WHERE l.order_id = orders.id) \
         - (SELECT COALESCE(SUM(p.amount_fen), 0) FROM payments p \
           WHERE p.order_id = orders.id AND p.status = 'CONFIRMED')",
    );
    order::Entity::find()
        .filter(visible)
        .filter(order::Column::Status.eq(OrderStatus::Received))
        .filter(order::Column::DueOn.lt(today))
        .filter(due.gt(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        Account {
            ordered_fen: 10_000,
            accepted_fen: Some(8_000),
            refunded_fen: 1_000,
            paid_fen: 3_000,
            pending_fen: 2_000,
            cancelled: false,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    fn payment(amount_fen: i64, paid_on: NaiveDate) -> NewPayment {
        NewPayment {
            order_id: Uuid::nil(),
            amount_fen,
            method: PaymentMethod::BankTransfer,
            reference: "BOC20261120001".into(),
            paid_on,
        }
    }

    fn codes(checks: Checks) -> Vec<(String, ErrorCode)> {
        match checks.finish() {
            Ok(()) => Vec::new(),
            Err(AppError::User(errors)) => errors
                .into_iter()
                .map(|e| (e.field.unwrap_or_default().join("."), e.code))
                .collect(),
            Err(_) => vec![(String::new(), ErrorCode::Internal)],
        }
    }

    #[test]
    fn due_is_accepted_less_refunded_less_paid() {
        let a = account();
        assert_eq!(a.owed_fen(), 7_000);
        assert_eq!(a.due_fen(), 4_000);
        assert_eq!(a.open_fen(), 2_000);
        let before_receipt = Account {
            accepted_fen: None,
            refunded_fen: 0,
            ..a
        };
        assert_eq!(before_receipt.due_fen(), 7_000);
        let paid_first_then_accepted_less = Account {
            paid_fen: 10_000,
            pending_fen: 0,
            ..a
        };
        assert_eq!(paid_first_then_accepted_less.due_fen(), -3_000);
        let cancelled = Account {
            cancelled: true,
            paid_fen: 0,
            ..a
        };
        assert_eq!(cancelled.owed_fen(), 0);
    }

    #[test]
    fn a_payment_covers_at_most_what_is_open_and_is_dated_sensibly() {
        let a = account();
        assert!(
            codes(check_payment(
                &payment(2_000, day(20)),
                &a,
                day(10),
                day(25)
            ))
            .is_empty()
        );
        assert_eq!(
            codes(check_payment(
                &payment(2_001, day(20)),
                &a,
                day(10),
                day(25)
            )),
            [("input.amount".to_owned(), ErrorCode::Overpaid)]
        );
        assert_eq!(
            codes(check_payment(&payment(0, day(20)), &a, day(10), day(25))),
            [("input.amount".to_owned(), ErrorCode::Invalid)]
        );
        assert_eq!(
            codes(check_payment(&payment(100, day(26)), &a, day(10), day(25))),
            [("input.paidOn".to_owned(), ErrorCode::Invalid)]
        );
        assert_eq!(
            codes(check_payment(&payment(100, day(9)), &a, day(10), day(25))),
            [("input.paidOn".to_owned(), ErrorCode::Invalid)]
        );
    }

    #[test]
    fn only_pay_after_delivery_orders_get_a_due_date() {
        assert_eq!(
            due_on_receipt(PaymentTerms::PayAfterDelivery, day(1)),
            NaiveDate::from_ymd_opt(2026, 12, 1)
        );
        assert_eq!(due_on_receipt(PaymentTerms::PayFirst, day(1)), None);
    }
}
