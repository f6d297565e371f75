//! Outlets in the API: the `Outlet` type, `outlets`/`outlet`, and `registerOutlet`,
//! `reviewOutlet`, `closeOutlet`.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::{
    certification_review::ReviewDecision,
    outlet::{self, OutletKind, OutletStatus},
};
use sea_orm::{EntityTrait, QueryFilter};

use super::outlets::{self, NewOutlet, OutletFilter};
use crate::{
    auth::{RoleGuard, viewer},
    error::{Result, payload},
    graphql::{
        context::{caller, loaders, services},
        scalars::{Date, DateTime},
    },
    ids::{self, NodeKind},
    loaders::{BuyerById, RegionByCode},
    org::buyers_api::Buyer,
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
    region::regions_api::Region,
};

/// A place off the platform where poverty-alleviation products are sold: a zone in a
/// supermarket (消费扶贫专区), a counter (专柜), a dedicated shop (专卖店) or an online hall
/// (电商扶贫馆). Its operator, a buyer organisation, reports its monthly sales.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Outlet {
    #[graphql(owned)]
    pub id: ID,
    pub kind: OutletKind,
    pub name: String,
    pub opens_on: Date,
    pub closes_on: Option<Date>,
    pub status: OutletStatus,
    /// The reviewer's reason (required for a rejection).
    pub review_reason: Option<String>,
    pub reviewed_at: Option<DateTime>,
    pub created_at: DateTime,
    #[graphql(skip)]
    pub row: outlet::Model,
}

impl From<outlet::Model> for Outlet {
    fn from(row: outlet::Model) -> Self {
        Self {
            id: NodeKind::Outlet.id(row.id),
            kind: row.kind,
            name: row.name.clone(),
            opens_on: Date(row.opens_on),
            closes_on: row.closes_on.map(Date),
            status: row.status,
            review_reason: row.review_reason.clone(),
            reviewed_at: row.reviewed_at.map(DateTime),
            created_at: DateTime(row.created_at),
            row,
        }
    }
}

#[ComplexObject]
impl Outlet {
    /// The buyer organisation that runs it and answers for its sales.
    async fn operator(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Ok(loaders(ctx)?
            .load_one(BuyerById(self.row.operator_org_id))
            .await?
            .map(Buyer::from))
    }

    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        Ok(loaders(ctx)?
            .load_one(RegionByCode(self.row.region_code.clone()))
            .await?
            .map(Region::from))
    }
}

#[derive(InputObject, Default)]
pub struct OutletFilterInput {
    /// Outlets in this region and below.
    pub region_code: Option<String>,
    pub status: Option<OutletStatus>,
    pub kind: Option<OutletKind>,
    pub operator_id: Option<ID>,
}

#[derive(Default)]
pub struct OutletQuery;

#[Object]
impl OutletQuery {
    /// Outlets the viewer may see: its own organisation's, those in its staff scope, and
    /// approved ones; newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn outlets(
        &self,
        ctx: &Context<'_>,
        filter: Option<OutletFilterInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Outlet>> {
        let db = &services(ctx)?.db;
        let filter = filter.unwrap_or_default();
        let operator_id = match &filter.operator_id {
            Some(id) => Some(ids::expect(id, NodeKind::Buyer, "operatorId")?),
            None => None,
        };
        let filter = OutletFilter {
            region_code: filter.region_code,
            status: filter.status,
            kind: filter.kind,
            operator_id,
        };
        let condition = outlets::condition(db, viewer(ctx)?, &filter).await?;
        pagination::paginate(
            db,
            outlet::Entity::find().filter(condition),
            &[SortKey::desc(outlet::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |o| vec![CursorValue::Uuid(o.id)],
            Outlet::from,
        )
        .await
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn outlet(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Outlet>> {
        let db = &services(ctx)?.db;
        let id = ids::expect(&id, NodeKind::Outlet, "id")?;
        match outlets::load_visible(db, viewer(ctx)?, id).await {
            Ok(found) => Ok(Some(Outlet::from(found))),
            Err(crate::error::AppError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

#[derive(InputObject)]
pub struct RegisterOutletInput {
    pub kind: OutletKind,
    /// 2 to 100 characters.
    pub name: String,
    /// Where it is: a city (an online hall), county, township or village.
    pub region_code: String,
    pub opens_on: Date,
    pub closes_on: Option<Date>,
}

#[derive(InputObject)]
pub struct ReviewOutletInput {
    pub outlet_id: ID,
    pub decision: ReviewDecision,
    /// Required for a rejection; at most 500 characters.
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct CloseOutletInput {
    pub outlet_id: ID,
    /// The last day it sells.
    pub closes_on: Date,
}

crate::payload! {
    OutletPayload { outlet: Option<Outlet> } from outlet::Model => |m| Some(Outlet::from(m))
}

#[derive(Default)]
pub struct OutletMutation;

#[Object]
impl OutletMutation {
    /// A member of a buyer organisation registers an outlet it operates; it waits for a county
    /// or city officer's approval.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn register_outlet(
        &self,
        ctx: &Context<'_>,
        input: RegisterOutletInput,
    ) -> Result<OutletPayload> {
        let input = NewOutlet {
            kind: input.kind,
            name: input.name,
            region_code: input.region_code,
            opens_on: input.opens_on.0,
            closes_on: input.closes_on.map(|d| d.0),
        };
        payload(outlets::register(caller(ctx)?, input).await)
    }

    /// A county or city officer over the outlet's region approves or rejects it.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn review_outlet(
        &self,
        ctx: &Context<'_>,
        input: ReviewOutletInput,
    ) -> Result<OutletPayload> {
        let id = ids::expect(&input.outlet_id, NodeKind::Outlet, "outletId")?;
        let approve = input.decision == ReviewDecision::Approve;
        payload(outlets::review(caller(ctx)?, id, approve, input.reason).await)
    }

    /// The operator closes an outlet from a day on.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn close_outlet(
        &self,
        ctx: &Context<'_>,
        input: CloseOutletInput,
    ) -> Result<OutletPayload> {
        let id = ids::expect(&input.outlet_id, NodeKind::Outlet, "outletId")?;
        payload(outlets::close(caller(ctx)?, id, input.closes_on.0).await)
    }
}
