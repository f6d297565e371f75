//! Unsold produce in the API: the `UnsoldAlert` and `PurchaseDrive` types, the `unsoldAlerts`
//! and `purchaseDrives` queries, and `reportUnsold`, `createPurchaseDrive`.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::{
    purchase_drive, purchase_drive_product,
    unsold_alert::{self, UnsoldKind, UnsoldStatus},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{
    alerts::{self, SurplusReport},
    drives::{self, DrivePlan},
};
use crate::{
    auth::{Role, RoleGuard, viewer, visibility::Sight},
    catalogue::products_api::Product,
    error::{Result, payload},
    graphql::{
        context::services,
        context::{caller, loaders},
        scalars::{Date, DateTime, Money},
    },
    ids::{self, NodeKind},
    loaders::{ProductById, RegionByCode},
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
    region::{regions_api::Region, subtree},
};

/// An unsold-produce warning (滞销预警).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UnsoldAlert {
    #[graphql(owned)]
    pub id: ID,
    pub kind: UnsoldKind,
    pub status: UnsoldStatus,
    /// Stock when flagged.
    pub stock: i64,
    /// The surplus the producer reported.
    pub reported_quantity: Option<i64>,
    /// Until when the reported surplus lasts.
    pub until: Option<Date>,
    pub note: Option<String>,
    /// When the product was last ordered before it was flagged (never: null).
    pub last_ordered_at: Option<DateTime>,
    pub created_at: DateTime,
    pub closed_at: Option<DateTime>,
    #[graphql(skip)]
    pub row: unsold_alert::Model,
}

impl From<unsold_alert::Model> for UnsoldAlert {
    fn from(row: unsold_alert::Model) -> Self {
        Self {
            id: NodeKind::UnsoldAlert.id(row.id),
            kind: row.kind,
            status: row.status,
            stock: row.stock,
            reported_quantity: row.reported_quantity,
            until: row.until.map(Date),
            note: row.note.clone(),
            last_ordered_at: row.last_ordered_at.map(DateTime),
            created_at: DateTime(row.created_at),
            closed_at: row.closed_at.map(DateTime),
            row,
        }
    }
}

#[ComplexObject]
impl UnsoldAlert {
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(ProductById(self.row.product_id))
            .await?
            .map(Product::from))
    }

    /// The producer's village.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(RegionByCode(self.row.region_code.clone()))
            .await?
            .map(Region::from))
    }
}

/// A drive for concentrated purchasing of unsold produce (集中采购).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PurchaseDrive {
    #[graphql(owned)]
    pub id: ID,
    pub name: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub note: Option<String>,
    pub created_at: DateTime,
    #[graphql(skip)]
    pub row: purchase_drive::Model,
}

impl From<purchase_drive::Model> for PurchaseDrive {
    fn from(row: purchase_drive::Model) -> Self {
        Self {
            id: NodeKind::PurchaseDrive.id(row.id),
            name: row.name.clone(),
            starts_on: Date(row.starts_on),
            ends_on: Date(row.ends_on),
            note: row.note.clone(),
            created_at: DateTime(row.created_at),
            row,
        }
    }
}

/// What a drive has brought in: orders not cancelled, lines of its products.
#[derive(SimpleObject)]
pub struct DriveTally {
    pub orders: i64,
    pub quantity: i64,
    pub amount: Money,
}

#[ComplexObject]
impl PurchaseDrive {
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(RegionByCode(self.row.region_code.clone()))
            .await?
            .map(Region::from))
    }

    /// The flagged products it lists (at most 500).
    #[graphql(complexity = "500 * child_complexity")]
    async fn products(&self, ctx: &Context<'_>) -> Result<Vec<Product>> {
        let ids: Vec<_> = purchase_drive_product::Entity::find()
            .filter(purchase_drive_product::Column::DriveId.eq(self.row.id))
            .all(&services(ctx)?.db)
            .await?
            .into_iter()
            .map(|row| ProductById(row.product_id))
            .collect();
        let loaders = loaders(ctx)?;
        let mut found = loaders.load_many(ids.clone()).await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.remove(id))
            .map(Product::from)
            .collect())
    }

    async fn tally(&self, ctx: &Context<'_>) -> Result<DriveTally> {
        let tally = drives::tally(&services(ctx)?.db, self.row.id).await?;
        Ok(DriveTally {
            orders: tally.orders,
            quantity: tally.quantity,
            amount: Money(tally.amount_fen),
        })
    }
}

#[derive(InputObject, Default)]
pub struct UnsoldAlertFilter {
    /// Only this region's subtree.
    pub region_code: Option<String>,
    /// Only these statuses (default: open ones).
    pub statuses: Option<Vec<UnsoldStatus>>,
    pub kind: Option<UnsoldKind>,
}

#[derive(InputObject, Default)]
pub struct PurchaseDriveFilter {
    /// Drives of this region's subtree.
    pub region_code: Option<String>,
    /// Drives running on this day.
    pub active_on: Option<Date>,
}

#[derive(Default)]
pub struct UnsoldQuery;

#[Object]
impl UnsoldQuery {
    /// Unsold-produce warnings the viewer may see (buyers all, staff their regions, producers
    /// their own), newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn unsold_alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<UnsoldAlertFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<UnsoldAlert>> {
        let services = services(ctx)?;
        // The same rule as `node` (`Sight::unsold_alerts`).
        let sight = Sight::of(&services.db, Some(viewer(ctx)?)).await?;
        let filter = filter.unwrap_or_default();
        let statuses = filter.statuses.unwrap_or_else(|| vec![UnsoldStatus::Open]);
        let mut select = unsold_alert::Entity::find()
            .filter(sight.unsold_alerts_or_refusal()?)
            .filter(unsold_alert::Column::Status.is_in(statuses));
        if let Some(code) = &filter.region_code {
            select = select.filter(subtree(unsold_alert::Column::RegionCode, code));
        }
        if let Some(kind) = filter.kind {
            select = select.filter(unsold_alert::Column::Kind.eq(kind));
        }
        pagination::paginate(
            &services.db,
            select,
            &[SortKey::desc(unsold_alert::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |a| vec![CursorValue::Uuid(a.id)],
            UnsoldAlert::from,
        )
        .await
    }

    /// Purchase drives, newest first. Drives are public: they invite buyers.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn purchase_drives(
        &self,
        ctx: &Context<'_>,
        filter: Option<PurchaseDriveFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<PurchaseDrive>> {
        let filter = filter.unwrap_or_default();
        let mut select = purchase_drive::Entity::find();
        if let Some(code) = &filter.region_code {
            select = select.filter(subtree(purchase_drive::Column::RegionCode, code));
        }
        if let Some(Date(day)) = filter.active_on {
            select = select
                .filter(purchase_drive::Column::StartsOn.lte(day))
                .filter(purchase_drive::Column::EndsOn.gte(day));
        }
        pagination::paginate(
            &services(ctx)?.db,
            select,
            &[SortKey::desc(purchase_drive::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |d| vec![CursorValue::Uuid(d.id)],
            PurchaseDrive::from,
        )
        .await
    }
}

#[derive(InputObject)]
pub struct ReportUnsoldInput {
    pub product_id: ID,
    /// The surplus, in the product's unit.
    pub quantity: i64,
    /// Until when it lasts (at most a year ahead).
    pub until: Date,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct CreatePurchaseDriveInput {
    pub name: String,
    /// The region subtree whose flagged products it lists (within the officer's scope).
    pub region_code: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub note: Option<String>,
    /// Flagged products to list; all open warnings of the region when omitted.
    pub product_ids: Option<Vec<ID>>,
}

crate::payload! {
    UnsoldAlertPayload { alert: Option<UnsoldAlert> } from unsold_alert::Model => |m| Some(UnsoldAlert::from(m))
}

crate::payload! {
    PurchaseDrivePayload { drive: Option<PurchaseDrive> } from purchase_drive::Model => |m| Some(PurchaseDrive::from(m))
}

#[derive(Default)]
pub struct UnsoldMutation;

#[Object]
impl UnsoldMutation {
    /// A producer reports a surplus it cannot sell (滞销); buyers and officers see the warning.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn report_unsold(
        &self,
        ctx: &Context<'_>,
        input: ReportUnsoldInput,
    ) -> Result<UnsoldAlertPayload> {
        let report = SurplusReport {
            product_id: ids::expect(&input.product_id, NodeKind::Product, "productId")?,
            quantity: input.quantity,
            until: input.until.0,
            note: input.note,
        };
        payload(alerts::report(caller(ctx)?, report).await)
    }

    /// An officer starts a drive over flagged products of a region subtree in their scope.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Admin])")]
    async fn create_purchase_drive(
        &self,
        ctx: &Context<'_>,
        input: CreatePurchaseDriveInput,
    ) -> Result<PurchaseDrivePayload> {
        let mut product_ids = Vec::new();
        for (index, id) in input.product_ids.iter().flatten().enumerate() {
            product_ids.push(ids::expect(
                id,
                NodeKind::Product,
                &format!("productIds.{index}"),
            )?);
        }
        let plan = DrivePlan {
            name: input.name,
            region_code: input.region_code,
            starts_on: input.starts_on.0,
            ends_on: input.ends_on.0,
            note: input.note,
            product_ids,
        };
        payload(drives::create(caller(ctx)?, plan).await)
    }
}
