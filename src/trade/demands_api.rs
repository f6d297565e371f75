//! Needs and quotes in the API: the `Demand` and `Quote` types, the `demands` query, and
//! `postDemand`, `closeDemand`, `respondToDemand`, `acceptQuote`, `declineQuote`.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::Utc;
use entity::{
    demand::{self, DemandRhythm},
    product::{self, ProductCategory},
    quote::{self, QuoteAcceptance, QuoteStatus},
};
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::{
    demands::{self, DemandFilter, DemandState, NeedInput, Reader},
    quotes::{self, QuoteInput},
};
use crate::{
    auth::{Role, RoleGuard, viewer},
    catalogue::products_api::Product,
    error::{AppError, Result, payload},
    graphql::{
        context::{caller, loaders, services},
        scalars::{Date, DateTime, Money},
    },
    ids::{self, NodeKind},
    loaders::RegionByCode,
    org::{buyers_api::Buyer, producers_api::Producer},
    pagination::{self, Page, PageArgs},
    region::{regions, regions_api::Region},
};

/// A need a buyer unit posted (供需对接): producers quote against it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Demand {
    #[graphql(owned)]
    pub id: ID,
    /// `EXPIRED` once its period is over while it was open.
    pub status: DemandState,
    pub category: ProductCategory,
    /// What exactly is wanted (variety, grade, packing).
    pub spec: String,
    /// The whole quantity wanted over the period, in `unit`.
    pub quantity: i64,
    /// Accepted so far; the need is `FILLED` when it reaches `quantity`.
    pub accepted_quantity: i64,
    pub unit: String,
    pub rhythm: DemandRhythm,
    pub starts_on: Date,
    pub ends_on: Date,
    /// The most the buyer pays per unit.
    pub price_ceiling: Option<Money>,
    /// Only certified poverty-alleviation products.
    pub certified_only: bool,
    pub posted_at: DateTime,
    #[graphql(skip)]
    pub row: demand::Model,
}

impl From<demand::Model> for Demand {
    fn from(row: demand::Model) -> Self {
        Self {
            id: NodeKind::Demand.id(row.id),
            status: demands::state_on(&row, Utc::now().date_naive()),
            category: row.category,
            spec: row.spec.clone(),
            quantity: row.quantity,
            accepted_quantity: row.accepted_quantity,
            unit: row.unit.clone(),
            rhythm: row.rhythm,
            starts_on: Date(row.starts_on),
            ends_on: Date(row.ends_on),
            price_ceiling: row.price_ceiling_fen.map(Money),
            certified_only: row.certified_only,
            posted_at: row.posted_at.into(),
            row,
        }
    }
}

#[ComplexObject]
impl Demand {
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Buyer::load(ctx, self.row.buyer_org_id).await
    }

    /// Where to deliver.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        Ok(loaders(ctx)?
            .load_one(RegionByCode(self.row.region_code.clone()))
            .await?
            .map(Region::from))
    }

    /// The quotes: all of them for the buyer, a producer's own for that producer.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn quotes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Quote>> {
        let db = &services(ctx)?.db;
        let args = PageArgs::new(first, after, last, before);
        quotes::page(db, viewer(ctx)?, &self.row, &args, Quote::from).await
    }

    /// The best matching published products: the catalogue search with the need's category,
    /// ceiling and certification, in `PRIORITY` order for the need's buyer.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn suggestions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Product>> {
        let db = &services(ctx)?.db;
        let args = PageArgs::new(first, after, last, before);
        let today = Utc::now().date_naive();
        demands::suggestions(db, &self.row, today, &args, Product::from).await
    }
}

/// A producer's offer against a need.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Quote {
    #[graphql(owned)]
    pub id: ID,
    pub status: QuoteStatus,
    /// Price per unit.
    pub price: Money,
    pub quantity: i64,
    pub delivery_from: Date,
    pub delivery_to: Date,
    pub note: Option<String>,
    /// What an accepted quote became.
    pub accepted_as: Option<QuoteAcceptance>,
    pub decline_reason: Option<String>,
    /// The agreement an accepted quote made (also behind an accepted-as-order quote: it
    /// carries the quoted price).
    pub agreement_id: Option<ID>,
    pub order_id: Option<ID>,
    pub quoted_at: DateTime,
    #[graphql(skip)]
    pub row: quote::Model,
}

impl From<quote::Model> for Quote {
    fn from(row: quote::Model) -> Self {
        Self {
            id: NodeKind::Quote.id(row.id),
            status: row.status,
            price: Money(row.price_fen),
            quantity: row.quantity,
            delivery_from: Date(row.delivery_from),
            delivery_to: Date(row.delivery_to),
            note: row.note.clone(),
            accepted_as: row.accepted_as,
            decline_reason: row.decline_reason.clone(),
            agreement_id: row.agreement_id.map(|a| NodeKind::Agreement.id(a)),
            order_id: row.order_id.map(|o| NodeKind::Order.id(o)),
            quoted_at: row.quoted_at.into(),
            row,
        }
    }
}

#[ComplexObject]
impl Quote {
    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        Producer::load(ctx, self.row.producer_org_id).await
    }

    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let db = &services(ctx)?.db;
        Ok(product::Entity::find_by_id(self.row.product_id)
            .one(db)
            .await?
            .map(Product::from))
    }

    async fn demand(&self, ctx: &Context<'_>) -> Result<Option<Demand>> {
        let db = &services(ctx)?.db;
        Ok(demand::Entity::find_by_id(self.row.demand_id)
            .one(db)
            .await?
            .map(Demand::from))
    }
}

#[derive(InputObject, Default)]
pub struct DemandFilterInput {
    pub categories: Option<Vec<ProductCategory>>,
    /// Delivery region: this division and everything below it.
    pub region_code: Option<String>,
    pub statuses: Option<Vec<DemandState>>,
    /// Only the needs the viewer's own unit posted (in any status).
    #[graphql(default)]
    pub mine: bool,
}

fn filter_from(input: DemandFilterInput) -> Result<DemandFilter> {
    if let Some(code) = &input.region_code
        && !regions::is_code(code)
    {
        return Err(AppError::BadInput(msg!(
            "demands.not_division_code",
            code = format!("{:?}", code)
        )));
    }
    Ok(DemandFilter {
        categories: input.categories.unwrap_or_default(),
        region_code: input.region_code,
        states: input.statuses.unwrap_or_default(),
        mine: input.mine,
    })
}

#[derive(Default)]
pub struct DemandQuery;

#[Object]
impl DemandQuery {
    /// Open needs, and the viewer's unit's own in any status. A producer sees first the needs
    /// of buyers paired with its area (对口帮扶), then the newest.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn demands(
        &self,
        ctx: &Context<'_>,
        filter: Option<DemandFilterInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Demand>> {
        let db = &services(ctx)?.db;
        let filter = filter_from(filter.unwrap_or_default())?;
        let today = Utc::now().date_naive();
        let reader = Reader::of(db, viewer(ctx)?, today).await?;
        let args = PageArgs::new(first, after, last, before);
        demands::list(db, &filter, &reader, today, &args, Demand::from).await
    }

    /// A need by ID, if the viewer may see it.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn demand(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Demand>> {
        let id = ids::expect(&id, NodeKind::Demand, "id")?;
        let db = &services(ctx)?.db;
        match demands::load_visible(db, viewer(ctx)?, id).await {
            Ok(found) => Ok(Some(Demand::from(found))),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

#[derive(InputObject)]
pub struct PostDemandInput {
    pub category: ProductCategory,
    pub spec: String,
    pub quantity: i64,
    pub unit: String,
    pub rhythm: DemandRhythm,
    /// Delivery region (division code).
    pub region_code: String,
    pub starts_on: Date,
    pub ends_on: Date,
    /// The most the buyer pays per unit.
    pub price_ceiling: Option<Money>,
    #[graphql(default)]
    pub certified_only: bool,
}

#[derive(InputObject)]
pub struct DemandIdInput {
    pub demand_id: ID,
}

#[derive(InputObject)]
pub struct RespondToDemandInput {
    pub demand_id: ID,
    pub product_id: ID,
    /// Price per unit, at most the need's ceiling.
    pub price: Money,
    pub quantity: i64,
    pub delivery_from: Date,
    pub delivery_to: Date,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct AcceptQuoteInput {
    pub quote_id: ID,
    /// An order now, or a directed procurement agreement over the delivery window.
    #[graphql(name = "as")]
    pub as_: QuoteAcceptance,
}

#[derive(InputObject)]
pub struct DeclineQuoteInput {
    pub quote_id: ID,
    pub reason: String,
}

crate::payload! {
    DemandPayload { demand: Option<Demand> } from demand::Model => |m| Some(Demand::from(m))
}

crate::payload! {
    QuotePayload { quote: Option<Quote> } from quote::Model => |m| Some(Quote::from(m))
}

fn quote_id(id: &ID) -> Result<Uuid> {
    ids::expect(id, NodeKind::Quote, "quoteId")
}

#[derive(Default)]
pub struct DemandMutation;

#[Object]
impl DemandMutation {
    /// A buyer unit posts a need.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn post_demand(
        &self,
        ctx: &Context<'_>,
        input: PostDemandInput,
    ) -> Result<DemandPayload> {
        let need = NeedInput {
            category: input.category,
            spec: input.spec,
            quantity: input.quantity,
            unit: input.unit,
            rhythm: input.rhythm,
            region_code: input.region_code,
            starts_on: input.starts_on.0,
            ends_on: input.ends_on.0,
            price_ceiling_fen: input.price_ceiling.map(Money::fen),
            certified_only: input.certified_only,
        };
        payload(demands::post(caller(ctx)?, need).await)
    }

    /// The buyer closes its need.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn close_demand(&self, ctx: &Context<'_>, input: DemandIdInput) -> Result<DemandPayload> {
        let id = ids::expect(&input.demand_id, NodeKind::Demand, "demandId")?;
        payload(demands::close(caller(ctx)?, id).await)
    }

    /// A producer quotes on a need with one of its products.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn respond_to_demand(
        &self,
        ctx: &Context<'_>,
        input: RespondToDemandInput,
    ) -> Result<QuotePayload> {
        let offer = QuoteInput {
            demand_id: ids::expect(&input.demand_id, NodeKind::Demand, "demandId")?,
            product_id: ids::expect(&input.product_id, NodeKind::Product, "productId")?,
            price_fen: input.price.fen(),
            quantity: input.quantity,
            delivery_from: input.delivery_from.0,
            delivery_to: input.delivery_to.0,
            note: input.note,
        };
        payload(quotes::respond(caller(ctx)?, offer).await)
    }

    /// The buyer accepts a quote, as an order or as an agreement.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn accept_quote(
        &self,
        ctx: &Context<'_>,
        input: AcceptQuoteInput,
    ) -> Result<QuotePayload> {
        let id = quote_id(&input.quote_id)?;
        payload(quotes::accept(caller(ctx)?, id, input.as_).await)
    }

    /// The buyer declines a quote, with a reason.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn decline_quote(
        &self,
        ctx: &Context<'_>,
        input: DeclineQuoteInput,
    ) -> Result<QuotePayload> {
        let id = quote_id(&input.quote_id)?;
        payload(quotes::decline(caller(ctx)?, id, &input.reason).await)
    }
}
