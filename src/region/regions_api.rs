//! Regions in the API: the `Region` and `Pairing` types, the `regions` and `region` queries, and
//! `createRegion`, `updateRegionStatus`, `createPairing` with their payloads.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::{
    pairing::{self, PairingKind},
    region::{self, PovertyStatus, RegionLevel},
    region_status,
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::regions::{self, NewPairing, StatusChange};
use crate::{
    auth::{Role, RoleGuard},
    error::{Result, payload},
    graphql::{
        context::services,
        context::{caller, loaders},
        scalars::{Date, DateTime},
    },
    ids::{self, NodeKind},
    loaders::RegionByCode,
    org::buyers_api::Buyer,
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
};

/// An administrative division, from province to village.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Region {
    #[graphql(owned)]
    pub id: ID,
    /// The national division code (2, 4, 6, 9 or 12 digits).
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    /// The status now; `statusHistory` says since when.
    pub poverty_status: PovertyStatus,
    /// The year it exited poverty (摘帽 / 出列), when it has.
    pub exit_year: Option<i32>,
    #[graphql(skip)]
    pub row: region::Model,
}

impl From<region::Model> for Region {
    fn from(row: region::Model) -> Self {
        Self {
            id: NodeKind::Region.keyed(&row.code),
            code: row.code.clone(),
            name: row.name.clone(),
            level: row.level,
            poverty_status: row.poverty_status,
            exit_year: row.exit_year,
            row,
        }
    }
}

#[ComplexObject]
impl Region {
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let Some(parent) = &self.row.parent_code else {
            return Ok(None);
        };
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(RegionByCode(parent.clone()))
            .await?
            .map(Region::from))
    }

    /// The chain from the province down to this region.
    async fn path(&self, ctx: &Context<'_>) -> Result<Vec<Region>> {
        let loaders = loaders(ctx)?;
        let keys = regions::chain_codes(&self.row.code)
            .into_iter()
            .map(RegionByCode);
        let mut found = loaders.load_many(keys).await?;
        let mut chain: Vec<Region> = regions::chain_codes(&self.row.code)
            .into_iter()
            .filter_map(|code| found.remove(&RegionByCode(code)).map(Region::from))
            .collect();
        chain.sort_by_key(|r| r.row.code.len());
        Ok(chain)
    }

    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Region>> {
        let select = region::Entity::find().filter(region::Column::ParentCode.eq(&self.row.code));
        page(ctx, select, PageArgs::new(first, after, last, before)).await
    }

    /// Every recorded change of status, newest first.
    async fn status_history(&self, ctx: &Context<'_>) -> Result<Vec<RegionStatusChange>> {
        let rows = region_status::Entity::find()
            .filter(region_status::Column::RegionCode.eq(&self.row.code))
            .order_by_desc(region_status::Column::EffectiveFrom)
            .limit(100)
            .all(&services(ctx)?.db)
            .await?;
        Ok(rows.into_iter().map(RegionStatusChange::from).collect())
    }

    /// Pairings this region takes part in, as helper or as helped (itself or a place above it).
    async fn paired_with(&self, ctx: &Context<'_>) -> Result<Vec<Pairing>> {
        let rows = pairing::Entity::find()
            .filter(
                Condition::any()
                    .add(pairing::Column::HelperRegionCode.eq(&self.row.code))
                    .add(
                        pairing::Column::HelpedRegionCode
                            .is_in(regions::chain_codes(&self.row.code)),
                    ),
            )
            .order_by_asc(pairing::Column::StartsOn)
            .limit(100)
            .all(&services(ctx)?.db)
            .await?;
        Ok(rows.into_iter().map(Pairing::from).collect())
    }
}

#[derive(SimpleObject)]
pub struct RegionStatusChange {
    pub status: PovertyStatus,
    pub exit_year: Option<i32>,
    pub effective_from: Date,
    pub recorded_at: DateTime,
}

impl From<region_status::Model> for RegionStatusChange {
    fn from(row: region_status::Model) -> Self {
        Self {
            status: row.status,
            exit_year: row.exit_year,
            effective_from: Date(row.effective_from),
            recorded_at: row.recorded_at.into(),
        }
    }
}

/// Paired assistance: a helper (region or buyer organisation) and a helped county or village.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Pairing {
    #[graphql(owned)]
    pub id: ID,
    pub kind: PairingKind,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    #[graphql(skip)]
    pub row: pairing::Model,
}

impl From<pairing::Model> for Pairing {
    fn from(row: pairing::Model) -> Self {
        Self {
            id: NodeKind::Pairing.id(row.id),
            kind: row.kind,
            starts_on: Date(row.starts_on),
            ends_on: row.ends_on.map(Date),
            row,
        }
    }
}

#[ComplexObject]
impl Pairing {
    async fn helper_region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let Some(code) = &self.row.helper_region_code else {
            return Ok(None);
        };
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(RegionByCode(code.clone()))
            .await?
            .map(Region::from))
    }

    async fn helper_buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        let Some(org) = self.row.helper_org_id else {
            return Ok(None);
        };
        Buyer::load(ctx, org).await
    }

    async fn helped_region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(RegionByCode(self.row.helped_region_code.clone()))
            .await?
            .map(Region::from))
    }
}

async fn page(
    ctx: &Context<'_>,
    select: sea_orm::Select<region::Entity>,
    args: PageArgs,
) -> Result<Page<Region>> {
    pagination::paginate(
        &services(ctx)?.db,
        select,
        &[SortKey::asc(region::Column::Code)],
        &args,
        |r| vec![CursorValue::Text(r.code.clone())],
        Region::from,
    )
    .await
}

#[derive(InputObject, Default)]
pub struct RegionFilter {
    pub level: Option<RegionLevel>,
    pub poverty_status: Option<Vec<PovertyStatus>>,
    /// Part of the name (with no parent given, searches every level). At most 100 characters;
    /// `%` and `_` match only themselves.
    pub text: Option<String>,
    /// Only this region's subtree (a division code).
    pub within: Option<String>,
}

#[derive(Default)]
pub struct RegionQuery;

#[Object]
impl RegionQuery {
    /// Regions under a parent (by ID or code); provinces when neither is given and no text.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn regions(
        &self,
        ctx: &Context<'_>,
        parent_id: Option<ID>,
        parent_code: Option<String>,
        filter: Option<RegionFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Region>> {
        let parent = match (parent_id, parent_code) {
            (Some(id), _) => Some(ids::expect_region(&id, "parentId")?),
            (None, code) => code,
        };
        let filter = filter.unwrap_or_default();
        let mut select = region::Entity::find();
        let text = crate::text::filter_text(filter.text.as_deref())?;
        select = match (&parent, text, filter.level, &filter.within) {
            (Some(parent), _, _, _) => select.filter(region::Column::ParentCode.eq(parent)),
            (None, None, None, None) => select.filter(region::Column::ParentCode.is_null()),
            _ => select,
        };
        if let Some(text) = text {
            select = select.filter(crate::text::contains(region::Column::Name, text));
        }
        if let Some(level) = filter.level {
            select = select.filter(region::Column::Level.eq(level));
        }
        if let Some(statuses) = filter.poverty_status {
            select = select.filter(region::Column::PovertyStatus.is_in(statuses));
        }
        if let Some(within) = &filter.within {
            select = select.filter(regions::subtree(region::Column::Code, within));
        }
        page(ctx, select, PageArgs::new(first, after, last, before)).await
    }

    /// A region by its division code.
    async fn region(&self, ctx: &Context<'_>, code: String) -> Result<Option<Region>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(RegionByCode(code))
            .await?
            .map(Region::from))
    }
}

#[derive(InputObject)]
pub struct CreateRegionInput {
    pub code: String,
    pub name: String,
}

#[derive(InputObject)]
pub struct UpdateRegionStatusInput {
    /// A county or village.
    pub code: String,
    pub status: PovertyStatus,
    /// Required for `EXITED`.
    pub exit_year: Option<i32>,
    /// Since when; today if omitted.
    pub effective_from: Option<Date>,
}

#[derive(InputObject)]
pub struct CreatePairingInput {
    /// A helping province, city or county…
    pub helper_region_code: Option<String>,
    /// …or a helping buyer organisation (its Buyer ID).
    pub helper_buyer_id: Option<ID>,
    /// The helped county or village.
    pub helped_region_code: String,
    pub kind: PairingKind,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
}

crate::payload! {
    RegionPayload { region: Option<Region> } from region::Model => |region| Some(Region::from(region))
}

crate::payload! {
    PairingPayload {
        pairing: Option<Pairing>
    } from pairing::Model => |pairing| Some(Pairing::from(pairing))
}

#[derive(Default)]
pub struct RegionMutation;

#[Object]
impl RegionMutation {
    /// Adds a division the national tables lack (platform admins).
    #[graphql(guard = "RoleGuard::any(&[Role::Admin])")]
    async fn create_region(
        &self,
        ctx: &Context<'_>,
        input: CreateRegionInput,
    ) -> Result<RegionPayload> {
        payload(regions::create_region(caller(ctx)?, &input.code, &input.name).await)
    }

    /// Records a county's or village's poverty status from a date (officers over it, admins).
    #[graphql(guard = "RoleGuard::any(&[Role::Admin, Role::Officer])")]
    async fn update_region_status(
        &self,
        ctx: &Context<'_>,
        input: UpdateRegionStatusInput,
    ) -> Result<RegionPayload> {
        let change = StatusChange {
            status: input.status,
            exit_year: input.exit_year,
            effective_from: input.effective_from.map(|d| d.0),
        };
        payload(regions::update_status(caller(ctx)?, &input.code, change).await)
    }

    /// Pairs a helper with a helped county or village (platform admins).
    #[graphql(guard = "RoleGuard::any(&[Role::Admin])")]
    async fn create_pairing(
        &self,
        ctx: &Context<'_>,
        input: CreatePairingInput,
    ) -> Result<PairingPayload> {
        let helper_org_id = input
            .helper_buyer_id
            .as_ref()
            .map(|id| ids::expect(id, NodeKind::Buyer, "helperBuyerId"))
            .transpose()?;
        let new = NewPairing {
            helper_region_code: input.helper_region_code,
            helper_org_id,
            helped_region_code: input.helped_region_code,
            kind: input.kind,
            starts_on: input.starts_on.0,
            ends_on: input.ends_on.map(|d| d.0),
        };
        payload(regions::create_pairing(caller(ctx)?, new).await)
    }
}
