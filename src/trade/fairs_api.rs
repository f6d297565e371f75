//! Fairs in the API: the `Fair`, `FairExhibitor`, `FairSalesReport` and `FairReport` types, the
//! `fairs`, `fair`, `fairReport` queries, and `createFair`, `registerForFair`,
//! `reviewExhibitor`, `reportFairSales`, `reviewFairSales`.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::{
    fair,
    fair_exhibitor::{self, ExhibitorStatus},
    fair_sales_line,
    fair_sales_report::{self, SalesReportStatus},
    product::ProductCategory,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{
    fair_report::{self, Group},
    fair_sales::{self, SalesLine, SalesReport, SalesReview},
    fairs::{self, ExhibitorReview, FairPlan},
};
use crate::{
    auth::{Role, RoleGuard, viewer},
    catalogue::products_api::Product,
    error::{AppError, Result, payload},
    graphql::{
        context::{caller, loaders, services, viewer_opt},
        scalars::{Date, DateTime, Money},
    },
    ids::{self, NodeKind},
    loaders::{ProductById, RegionByCode},
    org::{buyers_api::Buyer, producers_api::Producer},
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
    region::{regions_api::Region, subtree},
};

/// A fair or matchmaking event (产销对接大会) with free exhibition space: orders placed at it
/// and exhibitors' accepted on-site sales count toward it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Fair {
    #[graphql(owned)]
    pub id: ID,
    pub name: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub target: Option<Money>,
    pub created_at: DateTime,
    #[graphql(skip)]
    pub row: fair::Model,
}

impl From<fair::Model> for Fair {
    fn from(row: fair::Model) -> Self {
        Self {
            id: NodeKind::Fair.id(row.id),
            name: row.name.clone(),
            starts_on: Date(row.starts_on),
            ends_on: Date(row.ends_on),
            target: row.target_fen.map(Money),
            created_at: DateTime(row.created_at),
            row,
        }
    }
}

#[ComplexObject]
impl Fair {
    /// Where it is held.
    async fn venue_region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        Ok(loaders(ctx)?
            .load_one(RegionByCode(self.row.venue_region_code.clone()))
            .await?
            .map(Region::from))
    }

    /// The buyer organisation that organises it and answers for on-site sales.
    async fn organiser(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Buyer::load(ctx, self.row.organiser_org_id).await
    }

    /// Exhibitors: approved ones for anyone; every registration for staff of the venue's
    /// region; its own for a producer (at most 1000).
    #[graphql(complexity = "1000 * child_complexity")]
    async fn exhibitors(
        &self,
        ctx: &Context<'_>,
        status: Option<ExhibitorStatus>,
    ) -> Result<Vec<FairExhibitor>> {
        let db = &services(ctx)?.db;
        Ok(
            fairs::exhibitors_seen(db, viewer_opt(ctx), &self.row, status)
                .await?
                .into_iter()
                .map(FairExhibitor::from)
                .collect(),
        )
    }

    /// On-site sales reports: all for staff of the venue's region and the organiser, its own
    /// for an exhibitor (at most 1000).
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "1000 * child_complexity"
    )]
    async fn sales_reports(&self, ctx: &Context<'_>) -> Result<Vec<FairSalesReport>> {
        let db = &services(ctx)?.db;
        Ok(fair_sales::reports_seen(db, viewer(ctx)?, &self.row)
            .await?
            .into_iter()
            .map(FairSalesReport::from)
            .collect())
    }
}

/// A producer's registration as an exhibitor of a fair.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FairExhibitor {
    pub status: ExhibitorStatus,
    /// Why it was rejected (or a note with the approval).
    pub reason: Option<String>,
    pub registered_at: DateTime,
    pub reviewed_at: Option<DateTime>,
    #[graphql(skip)]
    pub row: fair_exhibitor::Model,
}

impl From<fair_exhibitor::Model> for FairExhibitor {
    fn from(row: fair_exhibitor::Model) -> Self {
        Self {
            status: row.status,
            reason: row.reason.clone(),
            registered_at: DateTime(row.registered_at),
            reviewed_at: row.reviewed_at.map(DateTime),
            row,
        }
    }
}

#[ComplexObject]
impl FairExhibitor {
    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        Producer::load(ctx, self.row.producer_org_id).await
    }
}

/// An exhibitor's report of its on-site sales; accepted, its lines are in the ledger.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FairSalesReport {
    #[graphql(owned)]
    pub id: ID,
    pub status: SalesReportStatus,
    pub amount: Money,
    pub quantity: i64,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub reported_at: DateTime,
    pub reviewed_at: Option<DateTime>,
    #[graphql(skip)]
    pub row: fair_sales_report::Model,
}

impl From<fair_sales_report::Model> for FairSalesReport {
    fn from(row: fair_sales_report::Model) -> Self {
        Self {
            id: NodeKind::FairSalesReport.id(row.id),
            status: row.status,
            amount: Money(row.amount_fen),
            quantity: row.quantity,
            reason: row.reason.clone(),
            reported_at: DateTime(row.reported_at),
            reviewed_at: row.reviewed_at.map(DateTime),
            row,
        }
    }
}

#[ComplexObject]
impl FairSalesReport {
    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        Producer::load(ctx, self.row.producer_org_id).await
    }

    /// Its lines (at most 200).
    #[graphql(complexity = "200 * child_complexity")]
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<FairSalesLine>> {
        Ok(fair_sales::lines_of(&services(ctx)?.db, self.row.id)
            .await?
            .into_iter()
            .map(FairSalesLine::from)
            .collect())
    }
}

/// One product's on-site sales on one day.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FairSalesLine {
    pub quantity: i64,
    pub amount: Money,
    pub sold_on: Date,
    #[graphql(skip)]
    pub row: fair_sales_line::Model,
}

impl From<fair_sales_line::Model> for FairSalesLine {
    fn from(row: fair_sales_line::Model) -> Self {
        Self {
            quantity: row.quantity,
            amount: Money(row.amount_fen),
            sold_on: Date(row.sold_on),
            row,
        }
    }
}

#[ComplexObject]
impl FairSalesLine {
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)?
            .load_one(ProductById(self.row.product_id))
            .await?
            .map(Product::from))
    }
}

/// What a fair brought in, from the ledger entries carrying it.
#[derive(SimpleObject)]
pub struct FairReport {
    pub fair: Fair,
    /// Receipts of orders placed at the fair (less refunds) and accepted on-site sales.
    pub amount: Money,
    pub quantity: i64,
    /// Orders placed at the fair with a receipt in the ledger.
    pub orders: i64,
    /// Of `amount`, accepted on-site sales.
    pub on_site_amount: Money,
    pub target: Option<Money>,
    /// Whole percent of the target reached.
    pub percent: Option<i32>,
    /// Largest first.
    pub by_exhibitor: Vec<FairExhibitorTotal>,
    pub by_origin_county: Vec<FairCountyTotal>,
    pub by_category: Vec<FairCategoryTotal>,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FairExhibitorTotal {
    pub amount: Money,
    pub quantity: i64,
    #[graphql(skip)]
    pub producer_id: uuid::Uuid,
}

#[ComplexObject]
impl FairExhibitorTotal {
    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        Producer::load(ctx, self.producer_id).await
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FairCountyTotal {
    /// The origin county's division code.
    pub county_code: String,
    pub amount: Money,
    pub quantity: i64,
}

#[ComplexObject]
impl FairCountyTotal {
    async fn county(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        Ok(loaders(ctx)?
            .load_one(RegionByCode(self.county_code.clone()))
            .await?
            .map(Region::from))
    }
}

#[derive(SimpleObject)]
pub struct FairCategoryTotal {
    pub category: ProductCategory,
    pub amount: Money,
    pub quantity: i64,
}

impl From<fair_report::FairReport> for FairReport {
    fn from(report: fair_report::FairReport) -> Self {
        let map = |g: Group<_>| (g.key, Money(g.amount_fen), g.quantity);
        Self {
            amount: Money(report.totals.amount_fen),
            quantity: report.totals.quantity,
            orders: report.totals.orders,
            on_site_amount: Money(report.totals.on_site_fen),
            target: report.fair.target_fen.map(Money),
            percent: report.percent,
            by_exhibitor: report
                .by_exhibitor
                .into_iter()
                .map(map)
                .map(|(producer_id, amount, quantity)| FairExhibitorTotal {
                    amount,
                    quantity,
                    producer_id,
                })
                .collect(),
            by_origin_county: report
                .by_county
                .into_iter()
                .map(|g| FairCountyTotal {
                    county_code: g.key,
                    amount: Money(g.amount_fen),
                    quantity: g.quantity,
                })
                .collect(),
            by_category: report
                .by_category
                .into_iter()
                .map(|g| FairCategoryTotal {
                    category: g.key,
                    amount: Money(g.amount_fen),
                    quantity: g.quantity,
                })
                .collect(),
            fair: Fair::from(report.fair),
        }
    }
}

#[derive(InputObject, Default)]
pub struct FairFilter {
    /// Fairs held in this region's subtree.
    pub region_code: Option<String>,
    /// Fairs running on this day.
    pub active_on: Option<Date>,
}

#[derive(Default)]
pub struct FairQuery;

#[Object]
impl FairQuery {
    /// Fairs, newest first. Fairs are public: they invite buyers and exhibitors.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn fairs(
        &self,
        ctx: &Context<'_>,
        filter: Option<FairFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Fair>> {
        let filter = filter.unwrap_or_default();
        let mut select = fair::Entity::find();
        if let Some(code) = &filter.region_code {
            select = select.filter(subtree(fair::Column::VenueRegionCode, code));
        }
        if let Some(Date(day)) = filter.active_on {
            select = select
                .filter(fair::Column::StartsOn.lte(day))
                .filter(fair::Column::EndsOn.gte(day));
        }
        pagination::paginate(
            &services(ctx)?.db,
            select,
            &[SortKey::desc(fair::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |f| vec![CursorValue::Uuid(f.id)],
            Fair::from,
        )
        .await
    }

    /// A fair by ID.
    async fn fair(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Fair>> {
        let id = ids::expect(&id, NodeKind::Fair, "id")?;
        Ok(fair::Entity::find_by_id(id)
            .one(&services(ctx)?.db)
            .await?
            .map(Fair::from))
    }

    /// A fair's report, for officers and auditors of its region and its organiser.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn fair_report(&self, ctx: &Context<'_>, fair_id: ID) -> Result<FairReport> {
        let id = ids::expect(&fair_id, NodeKind::Fair, "fairId")?;
        let db = &services(ctx)?.db;
        let found = fair::Entity::find()
            .filter(fair::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or(AppError::NotFound("not_found.fair"))?;
        Ok(FairReport::from(
            fair_report::report(db, viewer(ctx)?, found).await?,
        ))
    }
}

#[derive(InputObject)]
pub struct CreateFairInput {
    pub name: String,
    /// Where it is held (within the officer's scope).
    pub venue_region_code: String,
    pub starts_on: Date,
    pub ends_on: Date,
    /// The buyer organisation organising it (a 总工会, an agency…): it answers for on-site sales
    /// as the buyer side.
    pub organiser_id: ID,
    pub target: Option<Money>,
}

#[derive(InputObject)]
pub struct RegisterForFairInput {
    pub fair_id: ID,
}

#[derive(InputObject)]
pub struct ReviewExhibitorInput {
    pub fair_id: ID,
    pub producer_id: ID,
    pub approve: bool,
    /// Required to reject.
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct FairSalesLineInput {
    pub product_id: ID,
    pub quantity: i64,
    pub amount: Money,
    pub sold_on: Date,
}

#[derive(InputObject)]
pub struct ReportFairSalesInput {
    pub fair_id: ID,
    pub lines: Vec<FairSalesLineInput>,
}

#[derive(InputObject)]
pub struct ReviewFairSalesInput {
    pub report_id: ID,
    pub accept: bool,
    /// Required to reject.
    pub reason: Option<String>,
}

crate::payload! {
    FairPayload { fair: Option<Fair> } from fair::Model => |m| Some(Fair::from(m))
}

crate::payload! {
    FairExhibitorPayload { exhibitor: Option<FairExhibitor> } from fair_exhibitor::Model => |m| Some(FairExhibitor::from(m))
}

crate::payload! {
    FairSalesReportPayload { report: Option<FairSalesReport> } from fair_sales_report::Model => |m| Some(FairSalesReport::from(m))
}

#[derive(Default)]
pub struct FairMutation;

#[Object]
impl FairMutation {
    /// An officer creates a fair in a region of their scope.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Admin])")]
    async fn create_fair(&self, ctx: &Context<'_>, input: CreateFairInput) -> Result<FairPayload> {
        let plan = FairPlan {
            name: input.name,
            venue_region_code: input.venue_region_code,
            starts_on: input.starts_on.0,
            ends_on: input.ends_on.0,
            organiser_id: ids::expect(&input.organiser_id, NodeKind::Buyer, "organiserId")?,
            target_fen: input.target.map(|m| m.0),
        };
        payload(fairs::create(caller(ctx)?, plan).await)
    }

    /// A verified producer registers as an exhibitor, before the fair ends.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn register_for_fair(
        &self,
        ctx: &Context<'_>,
        input: RegisterForFairInput,
    ) -> Result<FairExhibitorPayload> {
        let fair = ids::expect(&input.fair_id, NodeKind::Fair, "fairId")?;
        payload(fairs::register(caller(ctx)?, fair).await)
    }

    /// The organising officer approves or rejects a registration.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Admin])")]
    async fn review_exhibitor(
        &self,
        ctx: &Context<'_>,
        input: ReviewExhibitorInput,
    ) -> Result<FairExhibitorPayload> {
        let review = ExhibitorReview {
            fair_id: ids::expect(&input.fair_id, NodeKind::Fair, "fairId")?,
            producer_id: ids::expect(&input.producer_id, NodeKind::Producer, "producerId")?,
            approve: input.approve,
            reason: input.reason,
        };
        payload(fairs::review(caller(ctx)?, review).await)
    }

    /// An approved exhibitor reports its on-site sales (one live report per fair).
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn report_fair_sales(
        &self,
        ctx: &Context<'_>,
        input: ReportFairSalesInput,
    ) -> Result<FairSalesReportPayload> {
        let mut lines = Vec::with_capacity(input.lines.len());
        for (index, line) in input.lines.iter().enumerate() {
            lines.push(SalesLine {
                product_id: ids::expect(
                    &line.product_id,
                    NodeKind::Product,
                    &format!("lines.{index}.productId"),
                )?,
                quantity: line.quantity,
                amount_fen: line.amount.0,
                sold_on: line.sold_on.0,
            });
        }
        let report = SalesReport {
            fair_id: ids::expect(&input.fair_id, NodeKind::Fair, "fairId")?,
            lines,
        };
        payload(fair_sales::report(caller(ctx)?, report).await)
    }

    /// The organising officer accepts a report (its lines enter the ledger) or rejects it.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Admin])")]
    async fn review_fair_sales(
        &self,
        ctx: &Context<'_>,
        input: ReviewFairSalesInput,
    ) -> Result<FairSalesReportPayload> {
        let review = SalesReview {
            report_id: ids::expect(&input.report_id, NodeKind::FairSalesReport, "reportId")?,
            accept: input.accept,
            reason: input.reason,
        };
        payload(fair_sales::review(caller(ctx)?, review).await)
    }
}
