//! The ledger in the API: `ledgerEntries`, `verifyLedger`, and the audit trail (`auditEvents`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::{
    audit_event,
    ledger_entry::{self, LedgerEntryKind},
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::service;
use crate::{
    auth::{Role, RoleGuard, Viewer, graphql::User, scope, viewer},
    error::AppError,
    graphql::{
        scalars::{Date, DateTime, Money},
        services,
    },
    ids::{self, NodeKind},
    loaders::{BuyerById, Loaders, ProducerById, RegionByCode, UserById},
    org::{buyer_api::Buyer, producer_api::Producer, service::membership_of},
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
    region::{graphql::Region, subtree},
};

/// One entry of the consumption-assistance ledger, as it was recorded on the day of the sale.
pub struct LedgerEntry(pub ledger_entry::Model);

#[Object]
impl LedgerEntry {
    pub async fn id(&self) -> ID {
        NodeKind::LedgerEntry.id(self.0.id)
    }

    /// Position in the hash chain.
    async fn seq(&self) -> i64 {
        self.0.seq
    }

    async fn kind(&self) -> LedgerEntryKind {
        self.0.kind
    }

    async fn order_id(&self) -> ID {
        NodeKind::Order.id(self.0.order_id)
    }

    async fn buyer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Buyer>> {
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders
            .load_one(BuyerById(self.0.buyer_org_id))
            .await?
            .map(Buyer))
    }

    /// The buyer's kind on the day (agency, school, canteen…).
    async fn buyer_kind(&self) -> &str {
        &self.0.buyer_kind
    }

    async fn producer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Producer>> {
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders
            .load_one(ProducerById(self.0.producer_org_id))
            .await?
            .map(Producer::from))
    }

    async fn product_name(&self) -> &str {
        &self.0.product_name
    }

    async fn category(&self) -> &str {
        &self.0.category
    }

    async fn quantity(&self) -> i64 {
        self.0.quantity
    }

    /// Negative for a refund.
    async fn amount(&self) -> Money {
        Money(self.0.amount_fen)
    }

    /// The producer's region; `countyStatus` and `villageStatus` are as they were that day.
    async fn region(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Region>> {
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders
            .load_one(RegionByCode(self.0.region_code.clone()))
            .await?
            .map(Region))
    }

    async fn county_code(&self) -> &str {
        &self.0.county_code
    }

    async fn county_status(&self) -> &str {
        &self.0.county_status
    }

    async fn village_status(&self) -> Option<&str> {
        self.0.village_status.as_deref()
    }

    /// A certified poverty-alleviation product on the day of the sale.
    async fn certified(&self) -> bool {
        self.0.certified
    }

    async fn poor_households_linked(&self) -> i32 {
        self.0.poor_households_linked
    }

    /// Bought from an area paired with the buyer.
    async fn paired(&self) -> bool {
        self.0.paired
    }

    async fn reporting_year(&self) -> i32 {
        self.0.reporting_year
    }

    async fn occurred_on(&self) -> Date {
        Date(self.0.occurred_on)
    }

    async fn recorded_at(&self) -> DateTime {
        self.0.recorded_at.into()
    }

    async fn prev_hash(&self) -> &str {
        &self.0.prev_hash
    }

    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

#[derive(InputObject, Default)]
pub struct LedgerFilter {
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Division code: sales from this region and everything below it.
    pub region_code: Option<String>,
    pub buyer_id: Option<ID>,
    #[graphql(default)]
    pub certified_only: bool,
    #[graphql(default)]
    pub paired_only: bool,
}

/// What `verifyLedger` found.
#[derive(SimpleObject)]
pub struct LedgerVerification {
    /// Every entry checked matches its hash and its link, with no gap.
    pub intact: bool,
    pub checked: i32,
    /// The first entry that does not match.
    pub first_mismatch: Option<LedgerEntry>,
    pub reason: Option<String>,
}

/// The rows of the ledger the viewer may read: staff within their region, a buyer or producer
/// its own sales.
async fn visible(ctx: &Context<'_>, viewer: &Viewer) -> async_graphql::Result<Condition> {
    let db = &services(ctx)?.db;
    let reading = scope::reading(db, viewer).await?;
    if reading.is_nationwide() {
        return Ok(Condition::all());
    }
    let mut any = Condition::any();
    for code in reading.regions() {
        any = any.add(subtree(ledger_entry::Column::RegionCode, code));
    }
    if let Some(membership) = membership_of(db, viewer.user_id).await? {
        any = any
            .add(ledger_entry::Column::BuyerOrgId.eq(membership.organization_id))
            .add(ledger_entry::Column::ProducerOrgId.eq(membership.organization_id));
    }
    if any.is_empty() {
        return Err(
            AppError::Forbidden("the ledger is for staff and the parties to a sale").into(),
        );
    }
    Ok(any)
}

#[derive(InputObject, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    /// A global ID of the thing changed.
    pub target_id: Option<ID>,
    pub actor_id: Option<ID>,
}

/// Who did what to which thing, and when.
pub struct AuditEvent(pub audit_event::Model);

#[Object]
impl AuditEvent {
    async fn action(&self) -> &str {
        &self.0.action
    }

    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(actor) = self.0.actor_id else {
            return Ok(None);
        };
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders.load_one(UserById(actor)).await?.map(User))
    }

    /// The roles the actor held when acting.
    async fn actor_roles(&self) -> &str {
        &self.0.actor_roles
    }

    async fn target_type(&self) -> &str {
        &self.0.target_type
    }

    /// A summary of the change (JSON).
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }

    async fn at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

#[derive(Default)]
pub struct LedgerQuery;

#[Object]
impl LedgerQuery {
    /// Ledger entries, in chain order (staff in their region; buyers and producers their own).
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn ledger_entries(
        &self,
        ctx: &Context<'_>,
        filter: Option<LedgerFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<LedgerEntry>> {
        let viewer = viewer(ctx)?;
        let filter = filter.unwrap_or_default();
        let mut select = ledger_entry::Entity::find().filter(visible(ctx, viewer).await?);
        if let Some(from) = filter.from {
            select = select.filter(ledger_entry::Column::OccurredOn.gte(from.0));
        }
        if let Some(to) = filter.to {
            select = select.filter(ledger_entry::Column::OccurredOn.lte(to.0));
        }
        if let Some(code) = &filter.region_code {
            select = select.filter(subtree(ledger_entry::Column::RegionCode, code));
        }
        if let Some(buyer) = &filter.buyer_id {
            select = select.filter(ledger_entry::Column::BuyerOrgId.eq(ids::expect(
                buyer,
                NodeKind::Buyer,
                "buyerId",
            )?));
        }
        if filter.certified_only {
            select = select.filter(ledger_entry::Column::Certified.eq(true));
        }
        if filter.paired_only {
            select = select.filter(ledger_entry::Column::Paired.eq(true));
        }
        Ok(pagination::paginate(
            &services(ctx)?.db,
            select,
            &[SortKey::asc(ledger_entry::Column::Seq)],
            &PageArgs::new(first, after, last, before),
            |e| vec![CursorValue::Int(e.seq)],
            LedgerEntry,
        )
        .await?)
    }

    /// Recomputes the hash chain over the entries of a period (all when open) and names the
    /// first entry that does not match (auditors and admins).
    #[graphql(guard = "RoleGuard::any(&[Role::Auditor, Role::Admin])")]
    async fn verify_ledger(
        &self,
        ctx: &Context<'_>,
        from: Option<Date>,
        to: Option<Date>,
    ) -> async_graphql::Result<LedgerVerification> {
        let found = service::verify(&services(ctx)?.db, from.map(|d| d.0), to.map(|d| d.0)).await?;
        let (first_mismatch, mut reason) = match found.first_mismatch {
            Some((entry, why)) => (Some(LedgerEntry(entry)), Some(why)),
            None => (None, None),
        };
        if found.missing_tail && reason.is_none() {
            reason = Some("entries at the end of the chain are missing".to_owned());
        }
        Ok(LedgerVerification {
            intact: reason.is_none(),
            checked: i32::try_from(found.checked).unwrap_or(i32::MAX),
            first_mismatch,
            reason,
        })
    }

    /// The audit trail, newest first (auditors and admins).
    #[graphql(
        guard = "RoleGuard::any(&[Role::Auditor, Role::Admin])",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<AuditEvent>> {
        let filter = filter.unwrap_or_default();
        let mut select = audit_event::Entity::find();
        if let Some(action) = filter.action {
            select = select.filter(audit_event::Column::Action.eq(action));
        }
        if let Some(target) = &filter.target_id {
            let (_, id) = ids::decode(target)
                .ok_or_else(|| AppError::BadInput("`targetId` is not an ID".into()))?;
            select = select.filter(audit_event::Column::TargetId.eq(id));
        }
        if let Some(actor) = &filter.actor_id {
            select = select.filter(audit_event::Column::ActorId.eq(ids::expect(
                actor,
                NodeKind::User,
                "actorId",
            )?));
        }
        Ok(pagination::paginate(
            &services(ctx)?.db,
            select,
            &[SortKey::desc(audit_event::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |e| vec![CursorValue::Uuid(e.id)],
            AuditEvent,
        )
        .await?)
    }
}
