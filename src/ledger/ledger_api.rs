//! The ledger in the API: the `LedgerEntry` and `AuditEvent` types and the `ledgerEntries`,
//! `verifyLedger`, `ledgerSummary`, `targetProgress`, `groupProgress` and `auditEvents` queries.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::{
    api_name::ApiName,
    audit_event,
    buyer::BuyerKind,
    ledger_entry::{self, LedgerChannel, LedgerEntryKind, Purpose},
    pairing::PairingKind,
    producer::ProducerKind,
    product::ProductCategory,
    region::PovertyStatus,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

use super::{
    entries,
    entries::LedgerView,
    progress,
    summary::{self, LedgerDimension, SummaryFilter},
};
use crate::{
    auth::{Role, RoleGuard, accounts_api::User, scope, viewer},
    error::{AppError, Result},
    graphql::{
        context::{loaders, services},
        scalars::{Date, DateTime, Money},
    },
    ids::{self, NodeKind},
    loaders::{BuyerById, ProducerById, RegionByCode, UserById},
    org::{buyers_api::Buyer, producers_api::Producer},
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
    region::regions_api::Region,
};

/// One entry of the consumption-assistance ledger, as it was recorded on the day of the sale.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct LedgerEntry {
    #[graphql(owned)]
    pub id: ID,
    /// Position in the hash chain.
    pub seq: i64,
    pub kind: LedgerEntryKind,
    /// Where the sale happened: an order placed here, an outlet's or a fair's reported sale.
    pub channel: LedgerChannel,
    /// What the purchase was for.
    pub purpose: Purpose,
    /// The order, for sales through orders (null for reported sales).
    pub order_id: Option<ID>,
    /// The buyer's kind on the day (agency, school, canteen…).
    pub buyer_kind: BuyerKind,
    pub product_name: String,
    pub category: ProductCategory,
    pub quantity: i64,
    /// Negative for a refund.
    pub amount: Money,
    pub county_code: String,
    /// The buyer's place on the day (the consumption side of the sale).
    pub buyer_region_code: String,
    pub buyer_county_code: Option<String>,
    /// The producer's kind on the day (null only on entries migrated without one).
    pub producer_kind: Option<ProducerKind>,
    pub province_status: PovertyStatus,
    pub city_status: PovertyStatus,
    pub county_status: PovertyStatus,
    pub township_status: Option<PovertyStatus>,
    pub village_status: Option<PovertyStatus>,
    /// A certified poverty-alleviation product on the day of the sale.
    pub certified: bool,
    pub poor_households_linked: i32,
    /// Bought from an area paired with the buyer.
    pub paired: bool,
    /// The kind of the pairing the sale counts toward, when paired.
    pub pairing_kind: Option<PairingKind>,
    pub reporting_year: i32,
    pub occurred_on: Date,
    pub recorded_at: DateTime,
    pub prev_hash: String,
    pub hash: String,
    #[graphql(skip)]
    pub row: ledger_entry::Model,
}

impl From<ledger_entry::Model> for LedgerEntry {
    fn from(row: ledger_entry::Model) -> Self {
        Self {
            id: NodeKind::LedgerEntry.id(row.id),
            seq: row.seq,
            kind: row.kind,
            channel: row.channel,
            purpose: row.purpose,
            order_id: row.order_id.map(|o| NodeKind::Order.id(o)),
            buyer_kind: row.buyer_kind,
            product_name: row.product_name.clone(),
            category: row.category,
            quantity: row.quantity,
            amount: Money(row.amount_fen),
            county_code: row.county_code.clone(),
            buyer_region_code: row.buyer_region_code.clone(),
            buyer_county_code: row.buyer_county_code.clone(),
            producer_kind: row.producer_kind,
            province_status: row.province_status,
            city_status: row.city_status,
            county_status: row.county_status,
            township_status: row.township_status,
            village_status: row.village_status,
            certified: row.certified,
            poor_households_linked: row.poor_households_linked,
            paired: row.paired,
            pairing_kind: row.pairing_kind,
            reporting_year: row.reporting_year,
            occurred_on: Date(row.occurred_on),
            recorded_at: row.recorded_at.into(),
            prev_hash: row.prev_hash.clone(),
            hash: row.hash.clone(),
            row,
        }
    }
}

#[ComplexObject]
impl LedgerEntry {
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Buyer::load(ctx, self.row.buyer_org_id).await
    }

    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        Producer::load(ctx, self.row.producer_org_id).await
    }

    /// The producer's region; `countyStatus` and `villageStatus` are as they were that day.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(RegionByCode(self.row.region_code.clone()))
            .await?
            .map(Region::from))
    }
}

#[derive(InputObject, Default)]
pub struct LedgerFilter {
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Division code: sales with a side (as `view` says) in this region or below it.
    pub region_code: Option<String>,
    /// Which side of a sale places it in a region: the staff's regions and `regionCode` alike.
    #[graphql(default)]
    pub view: LedgerView,
    pub buyer_id: Option<ID>,
    #[graphql(default)]
    pub certified_only: bool,
    #[graphql(default)]
    pub paired_only: bool,
    /// Only sales through these channels (all when absent).
    pub channels: Option<Vec<LedgerChannel>>,
    /// Only purchases for these purposes (all when absent).
    pub purposes: Option<Vec<Purpose>>,
}

/// Running totals of a region subtree's ledger, as `ledgerTally` sends them.
#[derive(SimpleObject, Clone, Debug)]
pub struct LedgerTally {
    pub region_code: String,
    /// Net amount: sales less refunds.
    pub amount: Money,
    pub quantity: i64,
    /// Ledger entries counted (sales and refunds).
    pub entries: i64,
    /// What the receipt or refund that triggered this update added (zero in the first).
    pub change: Money,
    pub at: DateTime,
    /// The ledger tip the first totals were read at; later entries come as events.
    #[graphql(skip)]
    pub base_seq: i64,
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

#[derive(InputObject, Default)]
pub struct LedgerSummaryFilter {
    /// From the month of this date.
    pub from: Option<Date>,
    /// Through the month of this date.
    pub to: Option<Date>,
    /// Division code: sales with a side (as `view` says) in this region or below it.
    pub region_code: Option<String>,
    /// Which side of a sale places it in a region: the staff's regions and `regionCode` alike.
    #[graphql(default)]
    pub view: LedgerView,
    pub buyer_id: Option<ID>,
    pub producer_id: Option<ID>,
    #[graphql(default)]
    pub certified_only: bool,
    #[graphql(default)]
    pub paired_only: bool,
    /// Only sales through these channels (all when absent).
    pub channels: Option<Vec<LedgerChannel>>,
    /// Only purchases for these purposes (all when absent).
    pub purposes: Option<Vec<Purpose>>,
}

/// One value of a group's key.
#[derive(SimpleObject)]
pub struct LedgerGroupKey {
    pub dimension: LedgerDimension,
    /// A division code, a month `YYYY-MM`, a `BuyerKind` or `ProductCategory` value, or a
    /// Buyer/Producer ID.
    pub value: String,
    /// What people read: the region's or organisation's name (the value otherwise).
    pub label: String,
    /// The key as the enum, when the dimension is `BUYER_KIND`.
    pub buyer_kind: Option<BuyerKind>,
    /// The key as the enum, when the dimension is `CATEGORY`.
    pub category: Option<ProductCategory>,
}

#[derive(SimpleObject)]
pub struct LedgerGroup {
    pub keys: Vec<LedgerGroupKey>,
    pub amount: Money,
    pub quantity: i64,
    pub entries: i64,
    /// Distinct linked poor households of the producers selling in the group: each producer's
    /// households once in the period, not once per sale.
    pub households_reached: i64,
}

#[derive(SimpleObject)]
pub struct LedgerSummary {
    /// Which side of each sale placed it in the figures (staff regions and `regionCode`).
    pub view: LedgerView,
    /// Largest first (at most 1,000).
    pub groups: Vec<LedgerGroup>,
    pub total: Money,
    /// Distinct linked poor households over all the groups, each producer's once.
    pub households_reached: i64,
}

/// How far a buyer is toward its declared target.
#[derive(SimpleObject)]
pub struct TargetProgress {
    pub year: i32,
    /// The unit whose target this is.
    pub buyer: Buyer,
    /// Budget × reserved share, or null with no declaration.
    pub target: Option<Money>,
    /// What the ledger holds for the unit and those who count toward it.
    pub purchased: Money,
    pub remaining: Option<Money>,
    /// Whole percent of the target reached.
    pub percent: Option<i32>,
    /// The unit, then the units linked to it by confirmed links that count this year: its own
    /// canteen (under `OWN_CANTEEN`), its contractor (under `OUTSOURCED`), units sharing its
    /// canteen, its union and staff. Pending and revoked links count nothing.
    pub counted_buyers: Vec<Buyer>,
}

impl TargetProgress {
    async fn of(ctx: &Context<'_>, found: progress::Progress) -> Result<Self> {
        let loaders = loaders(ctx)?;
        let buyer = loaders
            .load_one(BuyerById(found.buyer))
            .await?
            .ok_or(AppError::NotFound("not_found.buyer"))?;
        let mut counted_buyers = Vec::with_capacity(found.counted.len());
        for id in found.counted {
            if let Some(record) = loaders.load_one(BuyerById(id)).await? {
                counted_buyers.push(Buyer::from(record));
            }
        }
        Ok(Self {
            year: found.year,
            buyer: Buyer::from(buyer),
            target: found.target_fen.map(Money),
            purchased: Money(found.purchased_fen),
            remaining: progress::remaining(found.target_fen, found.purchased_fen).map(Money),
            percent: progress::percent(found.target_fen, found.purchased_fen),
            counted_buyers,
        })
    }
}

/// A supervising department's year: its own progress, its subordinates', and the group's.
#[derive(SimpleObject)]
pub struct GroupProgress {
    pub year: i32,
    /// The department's own progress.
    pub own: TargetProgress,
    /// Every unit below it by a confirmed link (down the tree), each with its own progress.
    pub subordinates: Vec<TargetProgress>,
    /// The sum of the group's declared targets, or null when none declared one.
    pub target: Option<Money>,
    /// What the group's units and those counting toward them bought, each purchase once.
    pub purchased: Money,
    pub remaining: Option<Money>,
    /// Whole percent of the group's target reached.
    pub percent: Option<i32>,
}

impl GroupProgress {
    async fn of(ctx: &Context<'_>, found: progress::GroupProgress) -> Result<Self> {
        let mut subordinates = Vec::with_capacity(found.subordinates.len());
        for unit in found.subordinates {
            subordinates.push(TargetProgress::of(ctx, unit).await?);
        }
        Ok(Self {
            year: found.own.year,
            own: TargetProgress::of(ctx, found.own).await?,
            subordinates,
            target: found.target_fen.map(Money),
            purchased: Money(found.purchased_fen),
            remaining: progress::remaining(found.target_fen, found.purchased_fen).map(Money),
            percent: progress::percent(found.target_fen, found.purchased_fen),
        })
    }
}

async fn label(ctx: &Context<'_>, dimension: LedgerDimension, value: &str) -> Result<String> {
    let loaders = loaders(ctx)?;
    Ok(match dimension {
        _ if dimension.region_length().is_some() => {
            let length = dimension.region_length().unwrap_or(0);
            if value.len() < length {
                "(not recorded at this level)".to_owned()
            } else {
                loaders
                    .load_one(RegionByCode(value.to_owned()))
                    .await?
                    .map_or_else(|| value.to_owned(), |r| r.name)
            }
        }
        LedgerDimension::Buyer => match uuid::Uuid::try_parse(value) {
            Ok(id) => loaders
                .load_one(BuyerById(id))
                .await?
                .map(|(o, _)| o.name)
                .unwrap_or_default(),
            Err(_) => value.to_owned(),
        },
        LedgerDimension::Producer => match uuid::Uuid::try_parse(value) {
            Ok(id) => loaders
                .load_one(ProducerById(id))
                .await?
                .map(|(o, _)| o.name)
                .unwrap_or_default(),
            Err(_) => value.to_owned(),
        },
        _ => value.to_owned(),
    })
}

/// Loads the names of every group's regions and organisations in one batch per kind, so the
/// labels below come from the request's cache instead of a round trip per group.
async fn prime_labels(
    ctx: &Context<'_>,
    dimensions: &[LedgerDimension],
    groups: &[crate::ledger::cache::Group],
) -> Result<()> {
    let loaders = loaders(ctx)?;
    let mut regions = Vec::new();
    let mut buyers = Vec::new();
    let mut producers = Vec::new();
    for group in groups {
        for (dimension, raw) in dimensions.iter().zip(&group.keys) {
            match dimension {
                LedgerDimension::Buyer => {
                    buyers.extend(uuid::Uuid::try_parse(raw).ok().map(BuyerById));
                }
                LedgerDimension::Producer => {
                    producers.extend(uuid::Uuid::try_parse(raw).ok().map(ProducerById));
                }
                _ if dimension.region_length().is_some() => regions.push(RegionByCode(raw.clone())),
                _ => {}
            }
        }
    }
    regions.sort_by(|a, b| a.0.cmp(&b.0));
    regions.dedup_by(|a, b| a.0 == b.0);
    loaders.load_many(regions).await?;
    loaders.load_many(buyers).await?;
    loaders.load_many(producers).await?;
    Ok(())
}

fn key_value(dimension: LedgerDimension, raw: String) -> String {
    match (dimension, uuid::Uuid::try_parse(&raw)) {
        (LedgerDimension::Buyer, Ok(id)) => NodeKind::Buyer.id(id).0,
        (LedgerDimension::Producer, Ok(id)) => NodeKind::Producer.id(id).0,
        (LedgerDimension::Pairing, Ok(id)) => NodeKind::Pairing.id(id).0,
        _ => raw,
    }
}

#[derive(InputObject, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    /// A global ID of the thing changed.
    pub target_id: Option<ID>,
    pub actor_id: Option<ID>,
}

/// Who did what to which thing, and when.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AuditEvent {
    pub action: String,
    /// The roles the actor held when acting.
    pub actor_roles: String,
    pub target_type: String,
    /// A summary of the change (JSON).
    pub summary: String,
    pub ip: Option<String>,
    /// The region the event concerns (null: read by nationwide staff only).
    pub region_code: Option<String>,
    pub at: DateTime,
    #[graphql(skip)]
    pub row: audit_event::Model,
}

impl From<audit_event::Model> for AuditEvent {
    fn from(row: audit_event::Model) -> Self {
        Self {
            action: row.action.clone(),
            actor_roles: row.actor_roles.clone(),
            target_type: row.target_type.clone(),
            summary: row.summary.clone(),
            ip: row.ip.clone(),
            region_code: row.region_code.clone(),
            at: row.created_at.into(),
            row,
        }
    }
}

#[ComplexObject]
impl AuditEvent {
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(actor) = self.row.actor_id else {
            return Ok(None);
        };
        let loaders = loaders(ctx)?;
        Ok(loaders.load_one(UserById(actor)).await?.map(User::from))
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
    ) -> Result<Page<LedgerEntry>> {
        let viewer = viewer(ctx)?;
        let filter = filter.unwrap_or_default();
        let places = entries::Places::of_entries();
        let reach = entries::Reach::of(&services(ctx)?.db, viewer)
            .await?
            .viewing(filter.view);
        let mut select = ledger_entry::Entity::find().filter(reach.condition(
            &places,
            ledger_entry::Column::BuyerOrgId,
            ledger_entry::Column::ProducerOrgId,
        )?);
        if let Some(from) = filter.from {
            select = select.filter(ledger_entry::Column::OccurredOn.gte(from.0));
        }
        if let Some(to) = filter.to {
            select = select.filter(ledger_entry::Column::OccurredOn.lte(to.0));
        }
        if let Some(code) = &filter.region_code {
            select = select.filter(places.within(filter.view, code));
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
        if let Some(channels) = filter.channels {
            select = select.filter(ledger_entry::Column::Channel.is_in(channels));
        }
        if let Some(purposes) = filter.purposes {
            select = select.filter(ledger_entry::Column::Purpose.is_in(purposes));
        }
        pagination::paginate(
            &services(ctx)?.db,
            select,
            &[SortKey::asc(ledger_entry::Column::Seq)],
            &PageArgs::new(first, after, last, before),
            |e| vec![CursorValue::Int(e.seq)],
            LedgerEntry::from,
        )
        .await
    }

    /// Recomputes the hash chain over the entries of a period (all when open) and names the
    /// first entry that does not match (auditors and admins).
    #[graphql(guard = "RoleGuard::any(&[Role::Auditor, Role::Admin])")]
    async fn verify_ledger(
        &self,
        ctx: &Context<'_>,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<LedgerVerification> {
        let found = entries::verify(&services(ctx)?.db, from.map(|d| d.0), to.map(|d| d.0)).await?;
        let (first_mismatch, mut reason) = match found.first_mismatch {
            Some((entry, why)) => (Some(LedgerEntry::from(entry)), Some(why)),
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

    /// Totals of the ledger grouped by one or two dimensions (a county includes its villages),
    /// from maintained monthly rollups: staff within their region, buyers and producers their
    /// own. Periods are whole months.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn ledger_summary(
        &self,
        ctx: &Context<'_>,
        group_by: Vec<LedgerDimension>,
        filter: Option<LedgerSummaryFilter>,
    ) -> Result<LedgerSummary> {
        if group_by.len() > 2 {
            return Err(AppError::BadInput(msg!("ledger.group_most_two_dimensions")));
        }
        let viewer = viewer(ctx)?;
        let filter = filter.unwrap_or_default();
        let summary_filter = SummaryFilter {
            from_month: filter.from.map(|d| summary::month_of(d.0)),
            to_month: filter.to.map(|d| summary::month_of(d.0)),
            region_code: filter.region_code,
            view: filter.view,
            buyer_org_ids: filter
                .buyer_id
                .as_ref()
                .map(|id| ids::expect(id, NodeKind::Buyer, "buyerId").map(|b| vec![b]))
                .transpose()?,
            producer_org_id: filter
                .producer_id
                .as_ref()
                .map(|id| ids::expect(id, NodeKind::Producer, "producerId"))
                .transpose()?,
            certified_only: filter.certified_only,
            paired_only: filter.paired_only,
            channels: filter.channels,
            purposes: filter.purposes,
            ..SummaryFilter::default()
        };
        let services = services(ctx)?;
        let reach = entries::Reach::of(&services.db, viewer)
            .await?
            .viewing(filter.view);
        let found = summary::summarize(
            &services.db,
            &services.summaries,
            &group_by,
            &summary_filter,
            Some(&reach),
        )
        .await?;
        let total = found.iter().map(|g| g.amount_fen).sum();
        // Households take a pass over the fine rollups: only when asked for.
        let look = ctx.look_ahead();
        let by_group = if look.field("groups").field("householdsReached").exists() {
            summary::households(&services.db, &group_by, &summary_filter, Some(&reach)).await?
        } else {
            HashMap::new()
        };
        let households_reached = if look.field("householdsReached").exists() {
            summary::households(&services.db, &[], &summary_filter, Some(&reach))
                .await?
                .into_values()
                .sum()
        } else {
            0
        };
        prime_labels(ctx, &group_by, &found).await?;
        let mut groups = Vec::with_capacity(found.len());
        for group in found.iter() {
            let mut keys = Vec::with_capacity(group_by.len());
            for (dimension, raw) in group_by.iter().zip(group.keys.iter().cloned()) {
                keys.push(LedgerGroupKey {
                    dimension: *dimension,
                    label: label(ctx, *dimension, &raw).await?,
                    buyer_kind: (*dimension == LedgerDimension::BuyerKind)
                        .then(|| BuyerKind::from_api_name(&raw))
                        .flatten(),
                    category: (*dimension == LedgerDimension::Category)
                        .then(|| ProductCategory::from_api_name(&raw))
                        .flatten(),
                    value: key_value(*dimension, raw),
                });
            }
            groups.push(LedgerGroup {
                keys,
                amount: Money(group.amount_fen),
                quantity: group.quantity,
                entries: group.entries,
                households_reached: by_group.get(&group.keys).copied().unwrap_or(0),
            });
        }
        Ok(LedgerSummary {
            view: reach.view(),
            groups,
            total: Money(total),
            households_reached,
        })
    }

    /// A buyer's declared target for a year against what the ledger holds (its members, members
    /// of the units whose purchases count toward it or that supervise it, and staff whose region
    /// covers it).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn target_progress(
        &self,
        ctx: &Context<'_>,
        buyer_id: ID,
        year: i32,
    ) -> Result<TargetProgress> {
        let id = ids::expect(&buyer_id, NodeKind::Buyer, "buyerId")?;
        let services = services(ctx)?;
        let found =
            progress::of_buyer(&services.db, &services.summaries, viewer(ctx)?, id, year).await?;
        TargetProgress::of(ctx, found).await
    }

    /// A supervising department's (主管预算单位) year: its own progress, that of every unit
    /// below it by a confirmed link, and the group's totals. For the department's members and
    /// staff whose region covers it.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn group_progress(
        &self,
        ctx: &Context<'_>,
        buyer_id: ID,
        year: i32,
    ) -> Result<GroupProgress> {
        let id = ids::expect(&buyer_id, NodeKind::Buyer, "buyerId")?;
        let services = services(ctx)?;
        let found =
            progress::of_group(&services.db, &services.summaries, viewer(ctx)?, id, year).await?;
        GroupProgress::of(ctx, found).await
    }

    /// The audit trail, newest first: platform admins and nationwide staff read all of it,
    /// officers and auditors the events of their regions (an event belongs to the region of the
    /// organisation its actor acts for, else to that of the thing changed; `AuditEvent.regionCode`).
    #[graphql(
        guard = "RoleGuard::any(&[Role::Auditor, Role::Officer, Role::Admin])",
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
    ) -> Result<Page<AuditEvent>> {
        let filter = filter.unwrap_or_default();
        let reading = scope::reading(&services(ctx)?.db, viewer(ctx)?).await?;
        let mut select = audit_event::Entity::find().filter(crate::audit::visible(&reading));
        if let Some(action) = filter.action {
            select = select.filter(audit_event::Column::Action.eq(action));
        }
        if let Some(target) = &filter.target_id {
            let (_, id) = ids::decode(target)
                .ok_or_else(|| AppError::BadInput(msg!("ledger.targetid_not_id")))?;
            select = select.filter(audit_event::Column::TargetId.eq(id));
        }
        if let Some(actor) = &filter.actor_id {
            select = select.filter(audit_event::Column::ActorId.eq(ids::expect(
                actor,
                NodeKind::User,
                "actorId",
            )?));
        }
        pagination::paginate(
            &services(ctx)?.db,
            select,
            &[SortKey::desc(audit_event::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |e| vec![CursorValue::Uuid(e.id)],
            AuditEvent::from,
        )
        .await
    }
}
