//! Buyers in the API: the `Buyer` and `ProcurementDeclaration` types, the `buyers` query, and
//! `createBuyer`, `updateBuyer`, `setProcurementTarget`, `setProcurementPolicy` with their
//! payloads.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::{Datelike, Utc};
use entity::{
    buyer::{self, BuyerKind},
    organization,
    procurement_declaration::{self, CanteenArrangement},
    procurement_policy,
    unit_link::UnitLinkStatus,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{
    buyers::{self, BuyerChanges, BuyerInput, BuyerRecord, Declaration},
    links,
    links_api::UnitLink,
    membership::membership_in,
    organizations_api::Organization,
};
use crate::{
    auth::{Role, RoleGuard, Viewer, scope, visibility::Sight},
    error::{Result, payload},
    graphql::{
        context::services,
        context::{caller, loaders},
        scalars::{DateTime, Money},
    },
    ids::{self, NodeKind},
    loaders::{BuyerById, RegionByCode},
    org::producers_api::Contact,
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
    region::{regions_api::Region, subtree},
};

/// A buying unit: agency, enterprise, school, hospital, army unit, canteen, supermarket…
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Buyer {
    #[graphql(owned)]
    pub id: ID,
    pub name: String,
    pub kind: BuyerKind,
    #[graphql(skip)]
    pub org: organization::Model,
    #[graphql(skip)]
    pub profile: buyer::Model,
}

impl From<BuyerRecord> for Buyer {
    fn from((org, profile): BuyerRecord) -> Self {
        Self {
            id: NodeKind::Buyer.id(org.id),
            name: org.name.clone(),
            kind: profile.kind,
            org,
            profile,
        }
    }
}

impl Buyer {
    /// Its members, and platform staff whose reading scope covers it, see its declarations.
    async fn may_see_targets(&self, ctx: &Context<'_>) -> Result<bool> {
        let Some(viewer) = ctx.data_opt::<Viewer>() else {
            return Ok(false);
        };
        let db = &services(ctx)?.db;
        if membership_in(db, viewer, self.org.id).await?.is_some() {
            return Ok(true);
        }
        Ok(viewer.is_staff()
            && scope::reading(db, viewer)
                .await?
                .covers(&self.profile.region_code))
    }
}

#[ComplexObject]
impl Buyer {
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(RegionByCode(self.profile.region_code.clone()))
            .await?
            .map(Region::from))
    }

    /// The unit it belongs to, as declared (see `unitLinks` for whether that unit confirmed it).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        let Some(parent) = self.profile.parent_org_id else {
            return Ok(None);
        };
        Buyer::load(ctx, parent).await
    }

    /// For signed-in users only.
    async fn contact(&self, ctx: &Context<'_>) -> Option<Contact> {
        ctx.data_opt::<Viewer>().map(|_| Contact {
            name: self.profile.contact_name.clone(),
            phone: self.profile.contact_phone.clone(),
        })
    }

    async fn organization(&self) -> Organization {
        Organization::from(self.org.clone())
    }

    /// The declaration for a year (this year by default); its members and staff over it only.
    async fn declaration(
        &self,
        ctx: &Context<'_>,
        year: Option<i32>,
    ) -> Result<Option<ProcurementDeclaration>> {
        if !self.may_see_targets(ctx).await? {
            return Ok(None);
        }
        let year = year.unwrap_or_else(|| Utc::now().year());
        let found = procurement_declaration::Entity::find()
            .filter(procurement_declaration::Column::BuyerOrgId.eq(self.org.id))
            .filter(procurement_declaration::Column::Year.eq(year))
            .one(&services(ctx)?.db)
            .await?;
        Ok(found.map(ProcurementDeclaration::from))
    }

    /// Links naming this unit on either side (its contractor, shared canteen, canteen, union,
    /// staff, parent), newest first, at most 200; for its members and the staff over it. A link
    /// counts toward a target only once `CONFIRMED` by the side that did not declare it.
    async fn unit_links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only links in this state.")] status: Option<UnitLinkStatus>,
        #[graphql(desc = "Only that year's declared links and the standing ones (to a parent).")]
        year: Option<i32>,
    ) -> Result<Vec<UnitLink>> {
        let Some(viewer) = ctx.data_opt::<Viewer>() else {
            return Ok(Vec::new());
        };
        let found =
            links::of_buyer(&services(ctx)?.db, viewer, &self.profile, status, year).await?;
        Ok(found.into_iter().map(UnitLink::from).collect())
    }

    /// Every year's declaration, latest first; its members and staff over it only.
    async fn declarations(&self, ctx: &Context<'_>) -> Result<Vec<ProcurementDeclaration>> {
        if !self.may_see_targets(ctx).await? {
            return Ok(Vec::new());
        }
        let rows = procurement_declaration::Entity::find()
            .filter(procurement_declaration::Column::BuyerOrgId.eq(self.org.id))
            .order_by_desc(procurement_declaration::Column::Year)
            .all(&services(ctx)?.db)
            .await?;
        Ok(rows.into_iter().map(ProcurementDeclaration::from).collect())
    }
}

/// A year's declaration: the canteen arrangement, the food budget and the reserved share for
/// poor-area products, and the resulting target.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ProcurementDeclaration {
    pub year: i32,
    pub canteen: CanteenArrangement,
    /// Total canteen food procurement budget for the year.
    pub canteen_budget: Option<Money>,
    pub reserved_share_percent: Option<i32>,
    /// Budget × reserved share: what is to be bought from poor areas this year.
    pub target: Money,
    pub declared_at: DateTime,
    #[graphql(skip)]
    pub row: procurement_declaration::Model,
}

impl From<procurement_declaration::Model> for ProcurementDeclaration {
    fn from(row: procurement_declaration::Model) -> Self {
        Self {
            year: row.year,
            canteen: row.canteen,
            canteen_budget: row.canteen_budget_fen.map(Money),
            reserved_share_percent: row.reserved_share_bp.map(|bp| bp / 100),
            target: Money(row.target_fen),
            declared_at: row.declared_at.into(),
            row,
        }
    }
}

#[ComplexObject]
impl ProcurementDeclaration {
    async fn shares_canteen_of(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        load_buyer(ctx, self.row.shares_canteen_of).await
    }

    /// The outsourced canteen's contractor, whose purchases count toward this unit once it
    /// confirms `unitLink`.
    async fn contractor(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        load_buyer(ctx, self.row.contractor_org_id).await
    }

    /// The link this arrangement declares (to the contractor, or to the unit whose canteen is
    /// shared) and whether the other unit has confirmed it; null for other arrangements.
    async fn unit_link(&self, ctx: &Context<'_>) -> Result<Option<UnitLink>> {
        Ok(links::of_declaration(&services(ctx)?.db, &self.row)
            .await?
            .map(UnitLink::from))
    }
}

async fn load_buyer(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Buyer>> {
    match id {
        Some(id) => Buyer::load(ctx, id).await,
        None => Ok(None),
    }
}

impl Buyer {
    /// The buyer registered for organisation `id`, through the request's batch loader.
    pub async fn load(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Self>> {
        Ok(loaders(ctx)?
            .load_one(BuyerById(id))
            .await?
            .map(Buyer::from))
    }
}

#[derive(InputObject, Default)]
pub struct BuyerFilter {
    /// Division code: this region and everything below it.
    pub region_code: Option<String>,
    pub kinds: Option<Vec<BuyerKind>>,
    /// Part of the name. At most 100 characters; `%` and `_` match only themselves.
    pub text: Option<String>,
}

#[derive(Default)]
pub struct BuyerQuery;

#[Object]
impl BuyerQuery {
    /// Buying units (signed-in users).
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn buyers(
        &self,
        ctx: &Context<'_>,
        filter: Option<BuyerFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Buyer>> {
        let filter = filter.unwrap_or_default();
        // The same rule as `node` (`Sight::buyers`): any signed-in viewer.
        let sight = Sight::of(&services(ctx)?.db, ctx.data_opt::<Viewer>()).await?;
        let mut select = buyer::Entity::find()
            .filter(sight.buyers())
            .find_also_related(organization::Entity);
        if let Some(code) = &filter.region_code {
            select = select.filter(subtree(buyer::Column::RegionCode, code));
        }
        if let Some(kinds) = filter.kinds {
            select = select.filter(buyer::Column::Kind.is_in(kinds));
        }
        if let Some(text) = crate::text::filter_text(filter.text.as_deref())? {
            select = select.filter(crate::text::contains(organization::Column::Name, text));
        }
        pagination::paginate_pairs(
            &services(ctx)?.db,
            select,
            &[SortKey::asc(buyer::Column::OrganizationId)],
            &PageArgs::new(first, after, last, before),
            |(b, _)| vec![CursorValue::Uuid(b.organization_id)],
            |(profile, org)| org.map(|org| Buyer::from((org, profile))),
        )
        .await
    }
}

#[derive(InputObject)]
pub struct CreateBuyerInput {
    /// An existing buyer organisation you administer (from `register`); omit to create one.
    pub organization_id: Option<ID>,
    pub name: String,
    pub kind: BuyerKind,
    /// A province, city, county or township code.
    pub region_code: String,
    /// The unit it belongs to (a Buyer ID). Proposes a link that unit confirms; only then do a
    /// canteen's, union's or staff member's purchases count toward it.
    pub parent_id: Option<ID>,
    pub contact_name: String,
    pub contact_phone: String,
}

#[derive(InputObject)]
pub struct UpdateBuyerInput {
    pub id: ID,
    pub name: Option<String>,
    pub kind: Option<BuyerKind>,
    pub region_code: Option<String>,
    pub parent_id: Option<ID>,
    /// Detach from the parent unit.
    #[graphql(default)]
    pub clear_parent: bool,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

#[derive(InputObject)]
pub struct SetProcurementTargetInput {
    pub buyer_id: ID,
    pub year: i32,
    pub canteen: CanteenArrangement,
    /// For `OWN_CANTEEN` and `OUTSOURCED`.
    pub canteen_budget: Option<Money>,
    /// For `OWN_CANTEEN` and `OUTSOURCED`; at least what the region's policy asks that year.
    pub reserved_share_percent: Option<i32>,
    /// For `SHARES_CANTEEN`: the unit whose canteen is shared (it declares for both). Proposes a
    /// link that unit confirms; until then this unit's purchases count toward nobody else.
    pub shares_canteen_of_id: Option<ID>,
    /// For `OUTSOURCED`: the contractor buying on this unit's account. Proposes a link the
    /// contractor confirms; until then its purchases do not count toward this unit.
    pub contractor_id: Option<ID>,
}

#[derive(InputObject)]
pub struct SetProcurementPolicyInput {
    /// A province, city or county; omit for the national rule.
    pub region_code: Option<String>,
    pub year: i32,
    pub min_reserved_share_percent: i32,
}

crate::payload! {
    BuyerPayload { buyer: Option<Buyer> } from BuyerRecord => |record| Some(Buyer::from(record))
}

crate::payload! {
    ProcurementTargetPayload {
        declaration: Option<ProcurementDeclaration>
    } from procurement_declaration::Model => |d| Some(ProcurementDeclaration::from(d))
}

/// A jurisdiction's minimum reserved share for a year.
#[derive(SimpleObject)]
pub struct ProcurementPolicy {
    /// Null for the national rule.
    pub region_code: Option<String>,
    pub year: i32,
    pub min_reserved_share_percent: i32,
}

crate::payload! {
    ProcurementPolicyPayload {
        policy: Option<ProcurementPolicy>
    } from procurement_policy::Model => |policy: procurement_policy::Model| Some(ProcurementPolicy {
        region_code: Some(policy.region_code).filter(|c| !c.is_empty()),
        year: policy.year,
        min_reserved_share_percent: policy.min_reserved_share_bp / 100,
    })
}

fn buyer_id(id: &ID, field: &str) -> Result<uuid::Uuid> {
    ids::expect(id, NodeKind::Buyer, field)
}

#[derive(Default)]
pub struct BuyerMutation;

#[Object]
impl BuyerMutation {
    /// Registers a buying unit.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_buyer(
        &self,
        ctx: &Context<'_>,
        input: CreateBuyerInput,
    ) -> Result<BuyerPayload> {
        let organization_id = input
            .organization_id
            .as_ref()
            .map(|id| ids::expect(id, NodeKind::Organization, "organizationId"))
            .transpose()?;
        let parent = input
            .parent_id
            .as_ref()
            .map(|id| buyer_id(id, "parentId"))
            .transpose()?;
        let buyer = BuyerInput {
            name: input.name,
            kind: input.kind,
            region_code: input.region_code,
            parent_org_id: parent,
            contact_name: input.contact_name,
            contact_phone: input.contact_phone,
        };
        payload(buyers::create(caller(ctx)?, organization_id, buyer).await)
    }

    /// Changes a buyer's registry entry (its admins).
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer, Role::Admin])")]
    async fn update_buyer(
        &self,
        ctx: &Context<'_>,
        input: UpdateBuyerInput,
    ) -> Result<BuyerPayload> {
        let id = buyer_id(&input.id, "id")?;
        let parent = match (input.clear_parent, &input.parent_id) {
            (true, _) => Some(None),
            (false, Some(parent)) => Some(Some(buyer_id(parent, "parentId")?)),
            (false, None) => None,
        };
        let changes = BuyerChanges {
            name: input.name,
            kind: input.kind,
            region_code: input.region_code,
            parent_org_id: parent,
            contact_name: input.contact_name,
            contact_phone: input.contact_phone,
        };
        payload(buyers::update(caller(ctx)?, id, changes).await)
    }

    /// Declares a year's canteen arrangement, budget and reserved share (the buyer's admins).
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer, Role::Admin])")]
    async fn set_procurement_target(
        &self,
        ctx: &Context<'_>,
        input: SetProcurementTargetInput,
    ) -> Result<ProcurementTargetPayload> {
        let id = buyer_id(&input.buyer_id, "buyerId")?;
        let declaration = Declaration {
            year: input.year,
            canteen: input.canteen,
            canteen_budget_fen: input.canteen_budget.map(Money::fen),
            reserved_share_percent: input.reserved_share_percent,
            shares_canteen_of: input
                .shares_canteen_of_id
                .as_ref()
                .map(|i| buyer_id(i, "sharesCanteenOfId"))
                .transpose()?,
            contractor_org_id: input
                .contractor_id
                .as_ref()
                .map(|i| buyer_id(i, "contractorId"))
                .transpose()?,
        };
        payload(buyers::set_target(caller(ctx)?, id, declaration).await)
    }

    /// Sets the minimum reserved share of a jurisdiction for a year (platform admins).
    #[graphql(guard = "RoleGuard::any(&[Role::Admin])")]
    async fn set_procurement_policy(
        &self,
        ctx: &Context<'_>,
        input: SetProcurementPolicyInput,
    ) -> Result<ProcurementPolicyPayload> {
        payload(
            buyers::set_policy(
                caller(ctx)?,
                input.region_code,
                input.year,
                input.min_reserved_share_percent,
            )
            .await,
        )
    }
}
