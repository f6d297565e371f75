//! Flags for auditors in the API: `auditFlags(filter, …)`, the `AuditFlag` type and its evidence,
//! one object type per kind (`AuditFlagEvidence`). The rules are in `flags`.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject, Union,
    connection::{Connection, Edge},
};
use entity::{
    product::ProductCategory,
    unit_link::{UnitLinkKind, UnitLinkStatus},
};

use super::flags::{self, Evidence, Flag, FlagFilter, FlagKind, PageRequest, Person};
use crate::{
    auth::{Role, RoleGuard},
    error::Result,
    graphql::{
        context::caller,
        scalars::{Date, DateTime, Money},
    },
    ids::{self, NodeKind},
    org::{buyers_api::Buyer, producers_api::Producer},
    pagination,
};

fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A flag raised by an audit rule, with its evidence. Flags are computed when asked for, from
/// the record as it stands; raising them writes nothing.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AuditFlag {
    pub kind: FlagKind,
    /// The day it concerns: the receipt, the order, the deadline, the link's proposal, the pair's
    /// last order (see each kind).
    pub on: Date,
    /// What was found, in words.
    pub summary: String,
    /// The order it concerns (FAST_RECEIPT, PRICE_ABOVE_MEDIAN).
    pub order_id: Option<ID>,
    pub evidence: AuditFlagEvidence,
    #[graphql(skip)]
    pub row: Flag,
}

#[ComplexObject]
impl AuditFlag {
    /// The buying unit it concerns (for LATE_LINK the unit whose count the purchases join).
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        match self.row.buyer {
            Some(id) => Buyer::load(ctx, id).await,
            None => Ok(None),
        }
    }

    /// The producer it concerns, where there is one.
    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        match self.row.producer {
            Some(id) => Producer::load(ctx, id).await,
            None => Ok(None),
        }
    }
}

/// The evidence of a flag, by kind.
#[derive(Union)]
pub enum AuditFlagEvidence {
    SharedMember(SharedMemberEvidence),
    FastReceipt(FastReceiptEvidence),
    PriceAboveMedian(PriceAboveMedianEvidence),
    DeadlineBunching(DeadlineBunchingEvidence),
    LateLink(LateLinkEvidence),
    RefundAfterClose(RefundAfterCloseEvidence),
}

/// REFUND_AFTER_CLOSE: a refund recorded after the period of its sale was closed.
#[derive(SimpleObject)]
pub struct RefundAfterCloseEvidence {
    pub refund_entry_id: ID,
    pub refund_seq: i64,
    pub refund_on: Date,
    /// Negative, as the ledger holds it.
    pub amount: Money,
    pub sale_on: Date,
    pub closed_period_id: ID,
    pub region_code: String,
    pub period: String,
    /// The ledger's tip at closing; the refund's sequence is past it.
    pub tip_seq: i64,
    pub closed_at: DateTime,
}

/// How a person appears on one side.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FlagPersonRole {
    /// The contact registered on the buyer's or producer's profile.
    Contact,
    /// A member account of the organisation.
    Member,
}

/// One side's holder of a shared account or phone.
#[derive(SimpleObject)]
pub struct FlagPerson {
    pub role: FlagPersonRole,
    pub name: String,
    /// As registered.
    pub phone: Option<String>,
    /// The member's account.
    pub user_id: Option<ID>,
}

impl From<Person> for FlagPerson {
    fn from(p: Person) -> Self {
        Self {
            role: if p.user.is_some() {
                FlagPersonRole::Member
            } else {
                FlagPersonRole::Contact
            },
            name: p.name,
            phone: p.phone,
            user_id: p.user.map(|u| NodeKind::User.id(u)),
        }
    }
}

/// A person on both sides.
#[derive(SimpleObject)]
pub struct SharedPerson {
    /// The phone both hold, as digits; null when it is the same account.
    pub phone: Option<String>,
    pub same_account: bool,
    pub buyer_side: FlagPerson,
    pub producer_side: FlagPerson,
}

/// SHARED_MEMBER: the people the two share, and their trade in the window.
#[derive(SimpleObject)]
pub struct SharedMemberEvidence {
    pub people: Vec<SharedPerson>,
    /// Orders between them placed in the window, not cancelled.
    pub orders: i32,
    pub amount: Money,
    pub first_order_at: DateTime,
    pub last_order_at: DateTime,
}

/// FAST_RECEIPT: placed, shipped (if recorded) and received, minutes apart.
#[derive(SimpleObject)]
pub struct FastReceiptEvidence {
    pub placed_at: DateTime,
    /// The shipment step, if the history has one (it then lies inside the same minutes).
    pub shipped_at: Option<DateTime>,
    pub received_at: DateTime,
    /// Whole minutes from placing to receipt.
    pub minutes: i32,
    pub threshold_minutes: i32,
    pub amount: Money,
}

/// PRICE_ABOVE_MEDIAN: the line's price against the median of comparable products at the time.
#[derive(SimpleObject)]
pub struct PriceAboveMedianEvidence {
    pub order_line_id: ID,
    pub product_id: ID,
    pub product_name: String,
    pub category: ProductCategory,
    pub unit: String,
    pub spec: String,
    pub price: Money,
    /// The median price, when the order was placed, of products of the same category, unit and
    /// spec offered by other producers.
    pub median: Money,
    /// Price over median (1.83 = 83% above).
    pub ratio: f64,
    pub threshold_ratio: f64,
    /// How many comparable products had a price then.
    pub comparable_products: i32,
    pub placed_at: DateTime,
}

/// DEADLINE_BUNCHING: the half-year's purchases and the part received just before its end.
#[derive(SimpleObject)]
pub struct DeadlineBunchingEvidence {
    pub half_year_start: Date,
    pub deadline: Date,
    /// The first day counted as "just before the deadline".
    pub window_start: Date,
    /// Accepted goods received in the half-year, at their order prices.
    pub total: Money,
    /// Of which received from `windowStart`.
    pub late: Money,
    pub share_percent: i32,
    pub threshold_percent: i32,
    pub orders: i32,
    pub late_orders: i32,
}

/// LATE_LINK: a link proposed or confirmed just before a deadline.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct LateLinkEvidence {
    pub unit_link_id: ID,
    pub link_kind: UnitLinkKind,
    pub status: UnitLinkStatus,
    pub year: Option<i32>,
    pub proposed_at: DateTime,
    pub confirmed_at: Option<DateTime>,
    pub deadline: Date,
    /// Days from the late step to the deadline (0: on the day).
    pub days_before: i32,
    /// Whether the late step was the confirmation, from which the link counts (else the
    /// proposal).
    pub by_confirmation: bool,
    #[graphql(skip)]
    pub counted: uuid::Uuid,
}

#[ComplexObject]
impl LateLinkEvidence {
    /// The unit whose purchases move into the flagged unit's count.
    async fn counted_buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Buyer::load(ctx, self.counted).await
    }
}

fn ratio(percent: i64) -> f64 {
    // Two places, as the summary writes it.
    (percent as f64) / 100.0
}

impl From<Evidence> for AuditFlagEvidence {
    fn from(evidence: Evidence) -> Self {
        match evidence {
            Evidence::SharedMember(e) => Self::SharedMember(SharedMemberEvidence {
                people: e
                    .people
                    .into_iter()
                    .map(|p| SharedPerson {
                        same_account: p.phone.is_none(),
                        phone: p.phone,
                        buyer_side: p.buyer_side.into(),
                        producer_side: p.producer_side.into(),
                    })
                    .collect(),
                orders: int(e.orders),
                amount: Money(e.amount_fen),
                first_order_at: DateTime(e.first_order_at),
                last_order_at: DateTime(e.last_order_at),
            }),
            Evidence::FastReceipt(e) => Self::FastReceipt(FastReceiptEvidence {
                placed_at: DateTime(e.placed_at),
                shipped_at: e.shipped_at.map(DateTime),
                received_at: DateTime(e.received_at),
                minutes: int(e.minutes),
                threshold_minutes: int(e.threshold_minutes),
                amount: Money(e.amount_fen),
            }),
            Evidence::PriceAboveMedian(e) => Self::PriceAboveMedian(PriceAboveMedianEvidence {
                order_line_id: NodeKind::OrderLine.id(e.line),
                product_id: NodeKind::Product.id(e.product),
                product_name: e.product_name,
                category: e.category,
                unit: e.unit,
                spec: e.spec,
                price: Money(e.price_fen),
                median: Money(e.median_fen),
                ratio: ratio(e.ratio_percent),
                threshold_ratio: ratio(e.threshold_percent),
                comparable_products: i32::try_from(e.comparable).unwrap_or(i32::MAX),
                placed_at: DateTime(e.placed_at),
            }),
            Evidence::DeadlineBunching(e) => Self::DeadlineBunching(DeadlineBunchingEvidence {
                half_year_start: Date(e.half_year_start),
                deadline: Date(e.deadline),
                window_start: Date(e.window_start),
                total: Money(e.total_fen),
                late: Money(e.late_fen),
                share_percent: int(e.share_percent),
                threshold_percent: int(e.threshold_percent),
                orders: int(e.orders),
                late_orders: int(e.late_orders),
            }),
            Evidence::LateLink(e) => Self::LateLink(LateLinkEvidence {
                unit_link_id: NodeKind::UnitLink.id(e.link),
                link_kind: e.link_kind,
                status: e.status,
                year: e.year,
                proposed_at: DateTime(e.proposed_at),
                confirmed_at: e.confirmed_at.map(DateTime),
                deadline: Date(e.deadline),
                days_before: int(e.days_before),
                by_confirmation: e.by_confirmation,
                counted: e.counted,
            }),
            Evidence::RefundAfterClose(e) => Self::RefundAfterClose(RefundAfterCloseEvidence {
                refund_entry_id: NodeKind::LedgerEntry.id(e.refund),
                refund_seq: e.refund_seq,
                refund_on: Date(e.refund_on),
                amount: Money(e.amount_fen),
                sale_on: Date(e.sale_on),
                closed_period_id: NodeKind::ClosedPeriod.id(e.closed_period),
                region_code: e.region_code,
                period: e.period,
                tip_seq: e.tip_seq,
                closed_at: DateTime(e.closed_at),
            }),
        }
    }
}

impl From<Flag> for AuditFlag {
    fn from(row: Flag) -> Self {
        Self {
            kind: row.kind,
            on: Date(row.on),
            summary: row.summary.clone(),
            order_id: row.order.map(|o| NodeKind::Order.id(o)),
            evidence: row.evidence.clone().into(),
            row,
        }
    }
}

#[derive(InputObject, Default)]
pub struct AuditFlagFilter {
    /// Flags whose buyer or producer lies in this division's subtree.
    pub region_code: Option<String>,
    /// Only these kinds (all when omitted or empty).
    pub kinds: Option<Vec<FlagKind>>,
    /// Flags dated from this day (default: a year before `to`).
    pub from: Option<Date>,
    /// Flags dated up to this day (default: the end of the current half-year). At most 732
    /// days after `from`.
    pub to: Option<Date>,
    pub buyer_id: Option<ID>,
    pub producer_id: Option<ID>,
}

impl AuditFlagFilter {
    fn rule_filter(self) -> Result<FlagFilter> {
        Ok(FlagFilter {
            region_code: self.region_code,
            kinds: self.kinds,
            from: self.from.map(|d| d.0),
            to: self.to.map(|d| d.0),
            buyer: self
                .buyer_id
                .map(|id| ids::expect(&id, NodeKind::Buyer, "filter.buyerId"))
                .transpose()?,
            producer: self
                .producer_id
                .map(|id| ids::expect(&id, NodeKind::Producer, "filter.producerId"))
                .transpose()?,
        })
    }
}

/// Connection-level fields of `auditFlags`.
#[derive(SimpleObject)]
pub struct AuditFlagTotals {
    /// How many flags match, across all pages.
    pub total_count: i32,
}

#[derive(Default)]
pub struct FlagQuery;

#[Object]
impl FlagQuery {
    /// Flags for auditors (防止数字脱贫), newest first: auditors and officers see those whose
    /// buyer or producer lies in their regions (nationwide grants everywhere); others are
    /// refused. Reading them writes nothing.
    #[graphql(
        guard = "RoleGuard::any(&[Role::Auditor, Role::Officer, Role::Admin])",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn audit_flags(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditFlagFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, AuditFlag, AuditFlagTotals>> {
        let filter = filter.unwrap_or_default().rule_filter()?;
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        let all = flags::flags(caller(ctx)?, &filter).await?;
        let page = flags::page(&all, &request)?;
        let mut connection = Connection::with_additional_fields(
            page.has_previous,
            page.has_next,
            AuditFlagTotals {
                total_count: i32::try_from(all.len()).unwrap_or(i32::MAX),
            },
        );
        connection.edges.extend(
            page.flags
                .into_iter()
                .map(|flag| Edge::new(flags::cursor(&flag), AuditFlag::from(flag))),
        );
        Ok(connection)
    }
}
