//! The catalogue in the API: the `Product` type, the `products` and `product` queries with the
//! catalogue search behind them, and the product mutations.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::Utc;
use entity::{
    price_change,
    product::{self, ProductCategory, ProductStatus, QualityMark},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{
    certification_api::Certification,
    products::{self, ProductChanges, ProductInput},
    search::{self, Audience, ProductFilter, ProductSort},
};
use crate::{
    auth::{Role, RoleGuard, Viewer, visibility::Sight},
    error::{AppError, Result, payload},
    graphql::{
        context::services,
        context::{caller, loaders},
        scalars::{DateTime, Money},
    },
    ids::{self, NodeKind},
    loaders::{LatestCertificationOf, ProducerById, RegionByCode},
    org::{membership::membership_in, producers_api::Producer},
    pagination::{self, Page, PageArgs},
    region::{regions, regions_api::Region},
    state::Services,
};

/// A product in the catalogue.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Product {
    #[graphql(owned)]
    pub id: ID,
    pub name: String,
    pub category: ProductCategory,
    /// Specification, e.g. `5kg/箱`.
    pub spec: String,
    /// The unit prices and quantities are in, e.g. `箱`.
    pub unit: String,
    pub price: Money,
    pub min_order_quantity: i32,
    pub stock: i64,
    /// Which farmers, villages and purchase agreements the product comes from.
    pub origin_statement: String,
    pub images: Vec<String>,
    /// Quality marks whose certificates an officer verified and that have not expired
    /// (`qualityMarkCertificates` has the certificates).
    pub quality_marks: Vec<QualityMark>,
    /// A traceability code as the producer typed it.
    #[graphql(
        deprecation = "free text nobody can look up: record lots (`recordLot`) and print their trace codes (`Lot.traceCode`, answered by `traceCode(code)`)"
    )]
    pub trace_code: Option<String>,
    /// The producer's own code for the product (set by `createProduct`, `updateProduct` or a
    /// catalogue import), unique per producer.
    pub sku: Option<String>,
    pub status: ProductStatus,
    /// Published, by a verified producer in good standing: visible to everyone and orderable.
    pub listed: bool,
    /// Counts as a certified poverty-alleviation product today.
    pub certified: bool,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    #[graphql(skip)]
    pub row: product::Model,
}

impl From<product::Model> for Product {
    fn from(row: product::Model) -> Self {
        Self {
            id: NodeKind::Product.id(row.id),
            name: row.name.clone(),
            category: row.category,
            spec: row.spec.clone(),
            unit: row.unit.clone(),
            price: Money(row.price_fen),
            min_order_quantity: row.min_order_quantity,
            stock: row.stock,
            origin_statement: row.origin_statement.clone(),
            images: serde_json::from_str(&row.images).unwrap_or_default(),
            quality_marks: QualityMark::from_mask(row.quality_marks),
            trace_code: row.trace_code.clone(),
            sku: row.sku.clone(),
            status: row.status,
            listed: row.listed,
            certified: row.certified_on(Utc::now().date_naive()),
            created_at: row.created_at.into(),
            updated_at: row.updated_at.into(),
            row,
        }
    }
}

/// Whether the viewer acts for the organisation or is platform staff.
pub(super) async fn insider(ctx: &Context<'_>, organization_id: Uuid) -> Result<bool> {
    let viewer = ctx.data_opt::<Viewer>();
    if viewer.is_some_and(Viewer::is_staff) {
        return Ok(true);
    }
    let Some(viewer) = viewer else {
        return Ok(false);
    };
    Ok(membership_in(&services(ctx)?.db, viewer, organization_id)
        .await?
        .is_some())
}

/// Whether the viewer may see this product, by the rule `products` and `node` apply
/// (`Sight::products`); a listed product is visible to all, so it needs no query.
pub async fn may_see(ctx: &Context<'_>, product: &product::Model) -> Result<bool> {
    if product.listed {
        return Ok(true);
    }
    let db = &services(ctx)?.db;
    let sight = Sight::of(db, ctx.data_opt::<Viewer>()).await?;
    let found = product::Entity::find_by_id(product.id)
        .filter(sight.products())
        .count(db)
        .await?;
    Ok(found > 0)
}

#[ComplexObject]
impl Product {
    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        Producer::load(ctx, self.row.producer_org_id).await
    }

    /// Where it is produced (the producer's region).
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(RegionByCode(self.row.region_code.clone()))
            .await?
            .map(Region::from))
    }

    /// The latest certification application, in force or not.
    /// The certificates behind its quality marks, in any state (its producer's members and
    /// the officers over it; empty for others). `qualityMarks` shows the verified ones in force.
    async fn quality_mark_certificates(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::quality_marks_api::QualityMarkCertificate>> {
        super::quality_marks_api::of_product(ctx, self.row.id).await
    }

    async fn certification(&self, ctx: &Context<'_>) -> Result<Option<Certification>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(LatestCertificationOf(self.row.id))
            .await?
            .flatten()
            .map(Certification::from))
    }

    /// Set when the price is more than 30% above the median of comparable products (same
    /// category, unit and specification).
    async fn price_flag(&self) -> Option<PriceFlag> {
        self.row.price_flag_median_fen.map(|median| PriceFlag {
            comparable_median: Money(median),
            percent_above: i32::try_from((self.row.price_fen - median) * 100 / median.max(1))
                .unwrap_or(i32::MAX),
        })
    }

    /// Every price it has had, newest first (at most `first`, up to 100).
    #[graphql(complexity = "first.clamp(1, 100) as usize * child_complexity")]
    async fn price_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> Result<Vec<PricePoint>> {
        let rows = price_change::Entity::find()
            .filter(price_change::Column::ProductId.eq(self.row.id))
            .order_by_desc(price_change::Column::ChangedAt)
            .limit(u64::from(first.clamp(1, 100).unsigned_abs()))
            .all(&services(ctx)?.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| PricePoint {
                price: Money(r.price_fen),
                since: r.changed_at.into(),
            })
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct PriceFlag {
    /// Median price of comparable published products.
    pub comparable_median: Money,
    pub percent_above: i32,
}

#[derive(SimpleObject)]
pub struct PricePoint {
    pub price: Money,
    pub since: DateTime,
}

#[derive(InputObject, Default)]
pub struct ProductFilterInput {
    pub categories: Option<Vec<ProductCategory>>,
    /// Division code: this region and everything below it.
    pub region_code: Option<String>,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    /// Only certified poverty-alleviation products in force today.
    #[graphql(default)]
    pub certified_only: bool,
    /// Products carrying all of these marks.
    pub quality_marks: Option<Vec<QualityMark>>,
    pub producer_id: Option<ID>,
    /// Part of the name: `红薯` finds `灵寿红薯`. At most 100 characters; `%` and `_` match
    /// only themselves.
    pub text: Option<String>,
    /// Include drafts and withdrawn products (the producer's members and platform staff, with
    /// `producerId`).
    #[graphql(default)]
    pub include_unlisted: bool,
    pub statuses: Option<Vec<ProductStatus>>,
}

/// Works out who is asking: listing rules, pairings for `PRIORITY`, the default sort.
async fn audience(
    ctx: &Context<'_>,
    services: &Services,
    filter: &ProductFilter,
    include_unlisted: bool,
) -> Result<(Audience, ProductSort)> {
    let mut audience = Audience {
        listed_only: true,
        paired_codes: Vec::new(),
        visible: None,
    };
    let Some(viewer) = ctx.data_opt::<Viewer>() else {
        return Ok((audience, ProductSort::Newest));
    };
    if include_unlisted {
        let Some(producer) = filter.producer_org_id else {
            return Err(AppError::BadInput(msg!(
                "products.includeunlisted_needs_producerid"
            )));
        };
        if !insider(ctx, producer).await? {
            return Err(AppError::Forbidden(
                "forbidden.only_producer_s_members_see_unlisted",
            ));
        }
        audience.listed_only = false;
        audience.visible = Some(Sight::of(&services.db, Some(viewer)).await?.products());
    }
    let mut sort = ProductSort::Newest;
    if viewer.has(Role::Buyer)
        && let Some(membership) =
            crate::org::membership::membership_of(&services.db, viewer.user_id).await?
        && let Ok((_, buyer)) =
            crate::org::buyers::load(&services.db, membership.organization_id).await
    {
        let today = Utc::now().date_naive();
        let pairings = regions::pairings_helping_buyer(&services.db, &buyer, today).await?;
        audience.paired_codes = pairings.into_iter().map(|p| p.helped_region_code).collect();
        sort = ProductSort::Priority;
    }
    Ok((audience, sort))
}

fn filter_from(input: ProductFilterInput) -> Result<(ProductFilter, bool)> {
    let producer_org_id = input
        .producer_id
        .as_ref()
        .map(|id| ids::expect(id, NodeKind::Producer, "producerId"))
        .transpose()?;
    if let Some(code) = &input.region_code
        && !regions::is_code(code)
    {
        return Err(AppError::BadInput(msg!(
            "products.not_division_code",
            code = format!("{:?}", code)
        )));
    }
    Ok((
        ProductFilter {
            categories: input.categories.unwrap_or_default(),
            region_code: input.region_code,
            min_price_fen: input.min_price.map(Money::fen),
            max_price_fen: input.max_price.map(Money::fen),
            certified_only: input.certified_only,
            quality_marks: input.quality_marks.unwrap_or_default(),
            producer_org_id,
            text: crate::text::filter_text(input.text.as_deref())?.map(str::to_owned),
            statuses: input.statuses.unwrap_or_default(),
        },
        input.include_unlisted,
    ))
}

/// The catalogue search behind `products` and `Producer.products`.
pub async fn product_page(
    ctx: &Context<'_>,
    filter: ProductFilterInput,
    sort: Option<ProductSort>,
    args: PageArgs,
) -> Result<Page<Product>> {
    let services = services(ctx)?;
    let (filter, include_unlisted) = filter_from(filter)?;
    let (audience, default_sort) = audience(ctx, services, &filter, include_unlisted).await?;
    let today = Utc::now().date_naive();
    let sort = sort.unwrap_or(default_sort);
    let page = search::search(
        &services.db,
        &filter,
        sort,
        &audience,
        today,
        &args,
        Product::from,
    )
    .await?;
    prime(ctx, &page).await?;
    Ok(page)
}

/// Loads what the query selects of a page's producers, regions and certifications in one batch
/// each. The per-request cache then answers every node's own load, so a page costs the same few
/// statements whatever its size and however slowly its nodes resolve.
async fn prime(ctx: &Context<'_>, page: &Page<Product>) -> Result<()> {
    let loaders = loaders(ctx)?;
    let look = ctx.look_ahead();
    let selects = |path: &[&str]| {
        let via = |mut at: async_graphql::Lookahead<'_>| {
            for field in path {
                at = at.field(field);
            }
            at.exists()
        };
        via(look.field("nodes")) || via(look.field("edges").field("node"))
    };
    let products: Vec<&product::Model> = page.edges.iter().map(|e| &e.node.row).collect();
    let mut codes: Vec<String> = Vec::new();
    if selects(&["producer"]) {
        let producers = loaders
            .load_many(products.iter().map(|p| ProducerById(p.producer_org_id)))
            .await?;
        if selects(&["producer", "region"]) {
            codes.extend(
                producers
                    .values()
                    .map(|(_, profile)| profile.region_code.clone()),
            );
        }
    }
    if selects(&["region"]) {
        codes.extend(products.iter().map(|p| p.region_code.clone()));
    }
    if !codes.is_empty() {
        codes.sort();
        codes.dedup();
        loaders
            .load_many(codes.into_iter().map(RegionByCode))
            .await?;
    }
    if selects(&["certification"]) {
        loaders
            .load_many(products.iter().map(|p| LatestCertificationOf(p.id)))
            .await?;
    }
    Ok(())
}

#[derive(Default)]
pub struct CatalogueQuery;

#[Object]
impl CatalogueQuery {
    /// The published catalogue (产品目录), readable by anyone. See `ProductSort` for the order.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProductFilterInput>,
        sort: Option<ProductSort>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Product>> {
        product_page(
            ctx,
            filter.unwrap_or_default(),
            sort,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// A product by ID (unlisted ones only for its producer's members and platform staff).
    async fn product(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        let id = ids::expect(&id, NodeKind::Product, "id")?;
        let db = &services(ctx)?.db;
        let sight = Sight::of(db, ctx.data_opt::<Viewer>()).await?;
        Ok(product::Entity::find_by_id(id)
            .filter(sight.products())
            .one(db)
            .await?
            .map(Product::from))
    }
}

#[derive(InputObject)]
pub struct CreateProductInput {
    pub producer_id: ID,
    pub name: String,
    pub category: ProductCategory,
    pub spec: String,
    pub unit: String,
    pub price: Money,
    #[graphql(default = 1)]
    pub min_order_quantity: i32,
    #[graphql(default)]
    pub stock: i64,
    #[graphql(default)]
    pub origin_statement: String,
    #[graphql(default)]
    pub images: Vec<String>,
    #[graphql(
        deprecation = "free text nobody can look up: record lots (`recordLot`) and print their trace codes (`Lot.traceCode`, answered by `traceCode(code)`)"
    )]
    pub trace_code: Option<String>,
    /// The producer's own code (1–40 letters, digits, `-`, `_`, `.`), unique per producer.
    pub sku: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateProductInput {
    pub id: ID,
    pub name: Option<String>,
    pub category: Option<ProductCategory>,
    pub spec: Option<String>,
    pub unit: Option<String>,
    /// A new price is kept in the price history.
    pub price: Option<Money>,
    pub min_order_quantity: Option<i32>,
    pub origin_statement: Option<String>,
    pub images: Option<Vec<String>>,
    #[graphql(
        deprecation = "free text nobody can look up: record lots (`recordLot`) and print their trace codes (`Lot.traceCode`, answered by `traceCode(code)`)"
    )]
    pub trace_code: Option<String>,
    /// A new SKU for the product (unique per producer).
    pub sku: Option<String>,
}

#[derive(InputObject)]
pub struct AdjustStockInput {
    pub product_id: ID,
    /// Positive to add, negative to remove; stock never goes below zero.
    pub delta: i64,
    pub reason: String,
}

#[derive(InputObject)]
pub struct ProductIdInput {
    pub id: ID,
}

crate::payload! {
    ProductPayload {
        product: Option<Product>
    } from product::Model => |product| Some(Product::from(product))
}

fn product_id(id: &ID, field: &str) -> Result<Uuid> {
    ids::expect(id, NodeKind::Product, field)
}

#[derive(Default)]
pub struct CatalogueMutation;

#[Object]
impl CatalogueMutation {
    /// Lists a product as a draft (members of the producer).
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> Result<ProductPayload> {
        let producer = ids::expect(&input.producer_id, NodeKind::Producer, "producerId")?;
        let product = ProductInput {
            name: input.name,
            category: input.category,
            spec: input.spec,
            unit: input.unit,
            price_fen: input.price.fen(),
            min_order_quantity: input.min_order_quantity,
            stock: input.stock,
            origin_statement: input.origin_statement,
            images: input.images,
            trace_code: input.trace_code,
            sku: input.sku.map(|s| s.trim().to_owned()),
        };
        payload(products::create(caller(ctx)?, producer, product).await)
    }

    /// Changes a product's details or price (members of its producer).
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        input: UpdateProductInput,
    ) -> Result<ProductPayload> {
        let id = product_id(&input.id, "id")?;
        let changes = ProductChanges {
            name: input.name,
            category: input.category,
            spec: input.spec,
            unit: input.unit,
            price_fen: input.price.map(Money::fen),
            min_order_quantity: input.min_order_quantity,
            origin_statement: input.origin_statement,
            images: input.images,
            trace_code: input.trace_code.map(Some),
            sku: input.sku.map(|s| Some(s.trim().to_owned())),
        };
        payload(products::update(caller(ctx)?, id, changes).await)
    }

    /// Adds or removes stock, with a reason.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        input: AdjustStockInput,
    ) -> Result<ProductPayload> {
        let id = product_id(&input.product_id, "productId")?;
        payload(products::adjust_stock(caller(ctx)?, id, input.delta, &input.reason).await)
    }

    /// Puts a product in the catalogue (the producer must be verified and in good standing).
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn publish_product(
        &self,
        ctx: &Context<'_>,
        input: ProductIdInput,
    ) -> Result<ProductPayload> {
        let id = product_id(&input.id, "id")?;
        payload(products::set_published(caller(ctx)?, id, true).await)
    }

    /// Takes a product out of the catalogue.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn unpublish_product(
        &self,
        ctx: &Context<'_>,
        input: ProductIdInput,
    ) -> Result<ProductPayload> {
        let id = product_id(&input.id, "id")?;
        payload(products::set_published(caller(ctx)?, id, false).await)
    }
}
