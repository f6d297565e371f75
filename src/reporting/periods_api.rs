//! Closed periods in the API: `closePeriod`, `periodReport`, `closedPeriods`, `closedPeriod` and
//! `verifyClosedPeriod`, and the report types they answer with.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::closed_period::{self, PeriodKind};

use super::periods::{self, PeriodDimension};
use crate::{
    auth::{Role, RoleGuard, accounts_api::User, viewer},
    error::{Result, payload},
    graphql::{
        context::{caller, loaders, services},
        scalars::{Date, DateTime, Money},
    },
    ids::{self, NodeKind},
    ledger::ledger_api::LedgerEntry,
    loaders::{RegionByCode, UserById},
    org::buyers_api::Buyer,
    region::regions_api::Region,
};

/// A region's report for a period, frozen when an officer closed it.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct ClosedPeriod {
    pub id: ID,
    pub region_code: String,
    /// `2026-06`, `2026-H1` or `2026`.
    pub period: String,
    pub kind: PeriodKind,
    pub first_day: Date,
    pub last_day: Date,
    /// The ledger's tip at closing: the report counts entries up to this sequence number.
    pub tip_seq: i64,
    pub tip_hash: String,
    /// The period's net total in the region.
    pub amount: Money,
    pub closed_at: DateTime,
    /// SHA-256 (hex) over the report, the tip and the closing officer (`reporting::periods`).
    pub signature: String,
    #[graphql(skip)]
    pub row: closed_period::Model,
}

impl From<closed_period::Model> for ClosedPeriod {
    fn from(row: closed_period::Model) -> Self {
        Self {
            id: NodeKind::ClosedPeriod.id(row.id),
            region_code: row.region_code.clone(),
            period: row.period.clone(),
            kind: row.kind,
            first_day: Date(row.first_day),
            last_day: Date(row.last_day),
            tip_seq: row.tip_seq,
            tip_hash: row.tip_hash.clone(),
            amount: Money(row.amount_fen),
            closed_at: row.closed_at.into(),
            signature: row.signature.clone(),
            row,
        }
    }
}

#[ComplexObject]
impl ClosedPeriod {
    /// The officer who closed it.
    async fn closed_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)?
            .load_one(UserById(self.row.closed_by))
            .await?
            .map(User::from))
    }

    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        Ok(loaders(ctx)?
            .load_one(RegionByCode(self.row.region_code.clone()))
            .await?
            .map(Region::from))
    }

    /// The frozen report.
    async fn report(&self, ctx: &Context<'_>) -> Result<PeriodReport> {
        let report = periods::frozen(&services(ctx)?.db, &self.row).await?;
        Ok(PeriodReport::from(periods::PeriodReport {
            report,
            closed: Some(self.row.clone()),
            adjustments: Vec::new(),
        }))
    }
}

/// Net amount, quantity and entries counted (sales and refunds).
#[derive(SimpleObject)]
pub struct PeriodSums {
    pub amount: Money,
    pub quantity: i64,
    pub entries: i64,
}

impl From<periods::Sums> for PeriodSums {
    fn from(sums: periods::Sums) -> Self {
        Self {
            amount: Money(sums.amount_fen),
            quantity: sums.quantity,
            entries: sums.entries,
        }
    }
}

/// One row of a report's totals.
#[derive(SimpleObject)]
pub struct PeriodTotal {
    pub dimension: PeriodDimension,
    /// A county code, a `BuyerKind` or `ProductCategory` value, or a month `YYYY-MM`.
    pub key: String,
    pub amount: Money,
    pub quantity: i64,
    pub entries: i64,
}

/// One unit of a report's ranking: located in the region, with a target declared for the year.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PeriodRank {
    /// 1 is first; equal completion, equal rank.
    pub rank: i32,
    /// The unit's name (at closing, for a closed report).
    pub unit_name: String,
    /// Basis points of the canteen budget reserved (1000 = 10%).
    pub reserved_share_bp: Option<i32>,
    pub target: Money,
    /// What the unit bought in the year up to the period's last day.
    pub purchased: Money,
    /// Basis points of the target reached (10000 = 100%).
    pub done_bp: i64,
    #[graphql(skip)]
    pub buyer_org_id: uuid::Uuid,
}

#[ComplexObject]
impl PeriodRank {
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Buyer::load(ctx, self.buyer_org_id).await
    }
}

/// An entry dated in an earlier closed period but recorded after it closed.
#[derive(SimpleObject)]
pub struct PeriodAdjustment {
    pub entry: LedgerEntry,
    /// The closed period the entry is dated in; its report stays as it was.
    pub adjusts: ClosedPeriod,
}

/// A region's report for a period: frozen when closed, live otherwise.
#[derive(SimpleObject)]
pub struct PeriodReport {
    pub region_code: String,
    pub period: String,
    pub kind: PeriodKind,
    pub first_day: Date,
    pub last_day: Date,
    pub closed: bool,
    pub closed_period: Option<ClosedPeriod>,
    /// The ledger tip the report counts up to (at closing, or now).
    pub tip_seq: i64,
    pub tip_hash: String,
    pub total: PeriodSums,
    /// By dimension, then key.
    pub totals: Vec<PeriodTotal>,
    pub ranking: Vec<PeriodRank>,
    /// For an open period: entries that arrived after earlier closed periods of the region
    /// closed, dated inside them (at most 1,000). Empty for a closed period.
    pub adjustments: Vec<PeriodAdjustment>,
}

impl From<periods::PeriodReport> for PeriodReport {
    fn from(found: periods::PeriodReport) -> Self {
        let report = found.report;
        Self {
            region_code: report.region_code,
            period: report.period.label,
            kind: report.period.kind,
            first_day: Date(report.period.first_day),
            last_day: Date(report.period.last_day),
            closed: found.closed.is_some(),
            closed_period: found.closed.map(ClosedPeriod::from),
            tip_seq: report.tip_seq,
            tip_hash: report.tip_hash,
            total: report.total.into(),
            totals: report
                .totals
                .into_iter()
                .map(|row| PeriodTotal {
                    dimension: row.dimension,
                    key: row.key,
                    amount: Money(row.sums.amount_fen),
                    quantity: row.sums.quantity,
                    entries: row.sums.entries,
                })
                .collect(),
            ranking: report
                .ranking
                .into_iter()
                .map(|row| PeriodRank {
                    rank: row.rank,
                    unit_name: row.unit_name,
                    reserved_share_bp: row.reserved_share_bp,
                    target: Money(row.target_fen),
                    purchased: Money(row.purchased_fen),
                    done_bp: row.done_bp,
                    buyer_org_id: row.buyer_org_id,
                })
                .collect(),
            adjustments: found
                .adjustments
                .into_iter()
                .map(|a| PeriodAdjustment {
                    entry: LedgerEntry::from(a.entry),
                    adjusts: ClosedPeriod::from(a.adjusts),
                })
                .collect(),
        }
    }
}

/// What `verifyClosedPeriod` found.
#[derive(SimpleObject)]
pub struct ClosedPeriodVerification {
    pub closed_period: ClosedPeriod,
    /// Everything below holds.
    pub matches: bool,
    /// The chain from its start to the recorded tip verifies, and ends at the recorded hash.
    pub chain_intact: bool,
    /// Entries verified.
    pub checked: i64,
    /// The first entry up to the tip that does not verify, and why.
    pub first_mismatch_seq: Option<i64>,
    pub reason: Option<String>,
    /// The totals recomputed from the chain up to the tip equal the frozen ones.
    pub totals_match: bool,
    /// The ranking recomputed up to the tip equals the frozen one (names aside).
    pub ranking_match: bool,
    /// The stored signature is the one of the stored report.
    pub signature_match: bool,
}

#[derive(InputObject)]
pub struct ClosePeriodInput {
    pub region_code: String,
    /// `2026-06` (a month), `2026-H1`/`2026-H2` (a half-year) or `2026` (a year).
    pub period: String,
}

crate::payload! {
    /// What `closePeriod` answers.
    ClosePeriodPayload {
        closed_period: Option<ClosedPeriod>
    } from closed_period::Model => |m| Some(ClosedPeriod::from(m))
}

#[derive(Default)]
pub struct PeriodQuery;

#[Object]
impl PeriodQuery {
    /// A region's report for a period (staff reading the region): the frozen report once the
    /// period is closed; before, live totals with the adjustments to earlier closed periods.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Auditor, Role::Admin])")]
    async fn period_report(
        &self,
        ctx: &Context<'_>,
        region_code: String,
        period: String,
    ) -> Result<PeriodReport> {
        let db = &services(ctx)?.db;
        let found = periods::period_report(db, viewer(ctx)?, &region_code, &period).await?;
        Ok(found.into())
    }

    /// The closed periods of a region and the regions below it, latest first (at most 500).
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Auditor, Role::Admin])")]
    async fn closed_periods(
        &self,
        ctx: &Context<'_>,
        region_code: String,
        year: Option<i32>,
    ) -> Result<Vec<ClosedPeriod>> {
        let db = &services(ctx)?.db;
        let found = periods::list(db, viewer(ctx)?, &region_code, year).await?;
        Ok(found.into_iter().map(ClosedPeriod::from).collect())
    }

    /// A closed period, or null if it does not exist or its region is not yours to read.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Auditor, Role::Admin])")]
    async fn closed_period(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ClosedPeriod>> {
        let id = ids::expect(&id, NodeKind::ClosedPeriod, "id")?;
        let db = &services(ctx)?.db;
        Ok(periods::load(db, viewer(ctx)?, id)
            .await?
            .map(ClosedPeriod::from))
    }

    /// Verifies the chain up to a closed period's recorded tip, recomputes its report from it
    /// and checks its signature.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Auditor, Role::Admin])")]
    async fn verify_closed_period(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<ClosedPeriodVerification> {
        let id = ids::expect(&id, NodeKind::ClosedPeriod, "id")?;
        let found = periods::verify(&services(ctx)?.db, viewer(ctx)?, id).await?;
        let matches = found.matches();
        let (first_mismatch_seq, reason) = match found.chain_problem {
            Some((seq, why)) => (Some(seq), Some(why)),
            None => (None, None),
        };
        Ok(ClosedPeriodVerification {
            closed_period: ClosedPeriod::from(found.closed),
            matches,
            chain_intact: first_mismatch_seq.is_none(),
            checked: found.checked,
            first_mismatch_seq,
            reason,
            totals_match: found.totals_match,
            ranking_match: found.ranking_match,
            signature_match: found.signature_match,
        })
    }
}

#[derive(Default)]
pub struct PeriodMutation;

#[Object]
impl PeriodMutation {
    /// Closes a region's period once it is over (officers over the region, admins): freezes its
    /// totals and ranking at the ledger's current tip, signed and audited. Later entries dated
    /// inside it become adjustments of the next open period.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Admin])")]
    async fn close_period(
        &self,
        ctx: &Context<'_>,
        input: ClosePeriodInput,
    ) -> Result<ClosePeriodPayload> {
        payload(periods::close(caller(ctx)?, &input.region_code, &input.period).await)
    }
}
