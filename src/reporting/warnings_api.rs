//! Red warnings in the API: the `RedWarning` type and the `redWarnings` query (the
//! `redWarnings` subscription is in `live::subscriptions_api`). A warning is a `Node`.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::red_warning::{self, RedWarningStatus, WarningSubject};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    auth::{RoleGuard, viewer, visibility::Sight},
    error::Result,
    graphql::{
        context::{loaders, services},
        scalars::{DateTime, Money},
    },
    ids::NodeKind,
    loaders::{BuyerById, RegionByCode},
    org::buyers_api::Buyer,
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
    region::{regions_api::Region, subtree},
};

/// A red warning (红色预警): a unit or region behind its pro-rata pace by more than the margin.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct RedWarning {
    #[graphql(owned)]
    pub id: ID,
    pub subject: WarningSubject,
    pub year: i32,
    pub status: RedWarningStatus,
    /// The declared target or allocated task.
    pub target: Money,
    /// What the pace asked for on the last check.
    pub pace: Money,
    pub bought: Money,
    /// Pace minus bought.
    pub shortfall: Money,
    /// The margin (basis points of the pace) the subject was behind by more than.
    pub margin_bp: i32,
    pub opened_at: DateTime,
    /// When the check last changed its figures.
    pub updated_at: DateTime,
    pub closed_at: Option<DateTime>,
    #[graphql(skip)]
    pub row: red_warning::Model,
}

impl From<red_warning::Model> for RedWarning {
    fn from(row: red_warning::Model) -> Self {
        Self {
            id: NodeKind::RedWarning.id(row.id),
            subject: row.subject_kind,
            year: row.year,
            status: row.status,
            target: Money(row.target_fen),
            pace: Money(row.pace_fen),
            bought: Money(row.bought_fen),
            shortfall: Money(row.shortfall_fen),
            margin_bp: row.margin_bp,
            opened_at: DateTime(row.opened_at),
            updated_at: DateTime(row.updated_at),
            closed_at: row.closed_at.map(DateTime),
            row,
        }
    }
}

#[ComplexObject]
impl RedWarning {
    /// The region warned, or the unit's place.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        Ok(loaders(ctx)?
            .load_one(RegionByCode(self.row.region_code.clone()))
            .await?
            .map(Region::from))
    }

    /// The unit warned (null for a region).
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        let Some(id) = self.row.buyer_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .load_one(BuyerById(id))
            .await?
            .map(Buyer::from))
    }
}

#[derive(InputObject, Default)]
pub struct RedWarningFilter {
    /// Warnings of this region's subtree (regions, and units located there).
    pub region_code: Option<String>,
    /// Only this status (default: open ones).
    pub status: Option<RedWarningStatus>,
    pub year: Option<i32>,
}

#[derive(Default)]
pub struct WarningQuery;

#[Object]
impl WarningQuery {
    /// Red warnings the viewer may read (staff those of places their scope covers, a unit's
    /// members the unit's own), newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn red_warnings(
        &self,
        ctx: &Context<'_>,
        filter: Option<RedWarningFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<RedWarning>> {
        let db = &services(ctx)?.db;
        // The same rule as `node` (`Sight::red_warnings`) and the subscription.
        let sight = Sight::of(db, Some(viewer(ctx)?)).await?;
        let filter = filter.unwrap_or_default();
        let mut select = red_warning::Entity::find()
            .filter(sight.red_warnings_or_refusal()?)
            .filter(
                red_warning::Column::Status.eq(filter.status.unwrap_or(RedWarningStatus::Open)),
            );
        if let Some(code) = &filter.region_code {
            select = select.filter(subtree(red_warning::Column::RegionCode, code));
        }
        if let Some(year) = filter.year {
            select = select.filter(red_warning::Column::Year.eq(year));
        }
        pagination::paginate(
            db,
            select,
            &[SortKey::desc(red_warning::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |w| vec![CursorValue::Uuid(w.id)],
            RedWarning::from,
        )
        .await
    }
}
