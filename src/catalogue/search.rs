//! Catalogue search rules: the filter, who is looking (`Audience`), the sort keys and the page
//! query; the resolver chooses the node each row becomes.
//!
//! Everything a filter or sort needs sits on the `products` row (region, poverty rank, listing,
//! certification dates), so a page is one indexed query.
//!
//! `PRIORITY` is 同等条件下优先采购 made concrete: among the offers that match, products from the
//! buyer's paired areas come first, then deep-poverty areas, then poor areas, then exited ones,
//! then the rest; within each, certified before uncertified; then the cheaper first.

use async_graphql::OutputType;
use chrono::NaiveDate;
use entity::product::{self, ProductCategory, ProductStatus, QualityMark};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbBackend, EntityTrait, ExprTrait, QueryFilter,
    Select,
    sea_query::{Expr, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    error::AppResult,
    pagination::{self, CursorKind, CursorValue, Page, PageArgs, SortKey},
    region::subtree,
    text,
};

/// How to order the catalogue.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProductSort {
    /// 同等条件下优先: paired areas, then deep poverty, poor, exited, the rest; certified first
    /// within each; then by price. The default for a signed-in buyer.
    Priority,
    PriceAsc,
    PriceDesc,
    /// Newest listings first (the default otherwise).
    Newest,
}

#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    pub categories: Vec<ProductCategory>,
    /// This region and everything below it.
    pub region_code: Option<String>,
    pub min_price_fen: Option<i64>,
    pub max_price_fen: Option<i64>,
    pub certified_only: bool,
    /// Products carrying all of these.
    pub quality_marks: Vec<QualityMark>,
    pub producer_org_id: Option<Uuid>,
    pub text: Option<String>,
    /// Only for those who may see unlisted products.
    pub statuses: Vec<ProductStatus>,
}

/// Who is looking, as far as the catalogue cares.
#[derive(Clone, Debug, Default)]
pub struct Audience {
    /// Only published products of producers in good standing.
    pub listed_only: bool,
    /// Helped regions of the buyer's pairings in force (for `PRIORITY`).
    pub paired_codes: Vec<String>,
    /// The viewer's product visibility rule (`auth::visibility`), the one `node` applies.
    pub visible: Option<Condition>,
}

fn certified_on(day: NaiveDate) -> Condition {
    Condition::all()
        .add(product::Column::CertifiedFrom.lte(day))
        .add(product::Column::CertifiedUntil.gte(day))
}

pub fn select(
    filter: &ProductFilter,
    audience: &Audience,
    today: NaiveDate,
    backend: DbBackend,
) -> Select<product::Entity> {
    let mut select = product::Entity::find();
    if let Some(visible) = &audience.visible {
        select = select.filter(visible.clone());
    }
    if audience.listed_only {
        select = select.filter(product::Column::Listed.eq(true));
    } else if !filter.statuses.is_empty() {
        select = select.filter(product::Column::Status.is_in(filter.statuses.clone()));
    }
    if !filter.categories.is_empty() {
        select = select.filter(product::Column::Category.is_in(filter.categories.clone()));
    }
    if let Some(code) = &filter.region_code {
        select = select.filter(subtree(product::Column::RegionCode, code));
    }
    if let Some(min) = filter.min_price_fen {
        select = select.filter(product::Column::PriceFen.gte(min));
    }
    if let Some(max) = filter.max_price_fen {
        select = select.filter(product::Column::PriceFen.lte(max));
    }
    if filter.certified_only {
        select = select.filter(certified_on(today));
    }
    if !filter.quality_marks.is_empty() {
        let mask = QualityMark::mask(&filter.quality_marks);
        select = select.filter(
            Expr::col(product::Column::QualityMarks)
                .bit_and(mask)
                .eq(mask),
        );
    }
    if let Some(producer) = filter.producer_org_id {
        select = select.filter(product::Column::ProducerOrgId.eq(producer));
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        // ILIKE runs on the trigram index on PostgreSQL; SQLite's LIKE ignores ASCII case.
        let column = Expr::col((product::Entity, product::Column::Name));
        select = select.filter(text::contains_any_case(column, text, backend));
    }
    select
}

type SortValues = Box<dyn Fn(&product::Model) -> Vec<CursorValue> + Send + Sync>;

fn paired_expr(codes: &[String]) -> SimpleExpr {
    let mut inside = Condition::any();
    for code in codes {
        inside = inside.add(subtree(product::Column::RegionCode, code));
    }
    Expr::case(inside, 0).finally(1).into()
}

/// The sort keys of `sort` and how to read them back from a row for its cursor.
pub fn sort_keys(
    sort: ProductSort,
    audience: &Audience,
    today: NaiveDate,
) -> (Vec<SortKey>, SortValues) {
    let id = |p: &product::Model| CursorValue::Uuid(p.id);
    match sort {
        ProductSort::Newest => (
            vec![SortKey::desc(product::Column::Id)],
            Box::new(move |p| vec![id(p)]),
        ),
        ProductSort::PriceAsc | ProductSort::PriceDesc => {
            let key = if sort == ProductSort::PriceAsc {
                SortKey::asc
            } else {
                SortKey::desc
            };
            (
                vec![key(product::Column::PriceFen), key(product::Column::Id)],
                Box::new(move |p| vec![CursorValue::Int(p.price_fen), id(p)]),
            )
        }
        ProductSort::Priority => {
            let certified: SimpleExpr = Expr::case(certified_on(today), 0).finally(1).into();
            let mut keys = Vec::new();
            let paired = audience.paired_codes.clone();
            if !paired.is_empty() {
                keys.push(SortKey::expr(paired_expr(&paired), CursorKind::Int, false));
            }
            keys.extend([
                SortKey::asc(product::Column::PovertyRank),
                SortKey::expr(certified, CursorKind::Int, false),
                SortKey::asc(product::Column::PriceFen),
                SortKey::asc(product::Column::Id),
            ]);
            let values = move |p: &product::Model| {
                let mut values = Vec::with_capacity(5);
                if !paired.is_empty() {
                    let inside = paired.iter().any(|c| p.region_code.starts_with(c.as_str()));
                    values.push(CursorValue::Int(i64::from(!inside)));
                }
                values.extend([
                    CursorValue::Int(i64::from(p.poverty_rank)),
                    CursorValue::Int(i64::from(!p.certified_on(today))),
                    CursorValue::Int(p.price_fen),
                    CursorValue::Uuid(p.id),
                ]);
                values
            };
            (keys, Box::new(values))
        }
    }
}

/// A page of the matching products, each row made a node by `to_node` (the resolver's type).
#[allow(clippy::too_many_arguments)]
pub async fn search<N: OutputType>(
    db: &DatabaseConnection,
    filter: &ProductFilter,
    sort: ProductSort,
    audience: &Audience,
    today: NaiveDate,
    args: &PageArgs,
    to_node: impl Fn(product::Model) -> N,
) -> AppResult<Page<N>> {
    let select = select(filter, audience, today, db.get_database_backend());
    let (keys, values) = sort_keys(sort, audience, today);
    pagination::paginate(db, select, &keys, args, values, to_node).await
}
