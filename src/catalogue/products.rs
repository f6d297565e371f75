//! Product rules: a producer's members keep listings, prices and stock current. Every price is
//! kept in the price history; stock never goes below zero; a price far above comparable products
//! is flagged rather than sent back for review.

use chrono::Utc;
use entity::{
    price_change,
    product::{self, ProductCategory, ProductStatus},
    stock_adjustment,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QuerySelect, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::Change,
    auth::{
        Caller, Viewer,
        visibility::{Sight, require_visible},
    },
    error::{AppError, AppResult, Checks, ErrorCode},
    ids::new_uuid,
    org::{members::require_member, producers},
    region,
};

/// A price more than this many percent above the median of comparable products is flagged.
pub const PRICE_FLAG_PERCENT: i64 = 30;
/// Fewer published comparable products than this make no meaningful median.
const MIN_COMPARABLE: usize = 4;
const MAX_PRICE_FEN: i64 = 1_000_000_000;
const MAX_QUANTITY: i64 = 1_000_000_000;

#[derive(Clone, Debug)]
pub struct ProductInput {
    pub name: String,
    pub category: ProductCategory,
    pub spec: String,
    pub unit: String,
    pub price_fen: i64,
    pub min_order_quantity: i32,
    pub stock: i64,
    pub origin_statement: String,
    pub images: Vec<String>,
    pub trace_code: Option<String>,
    /// The producer's own code (1–40 letters, digits, `-`, `_` or `.`), unique per producer.
    pub sku: Option<String>,
}

/// The most a price may be, in fen.
pub const MAX_PRICE: i64 = MAX_PRICE_FEN;
/// The most stock a product may hold.
pub const MAX_STOCK: i64 = MAX_QUANTITY;

/// Whether `sku` is a valid producer's code: 1–40 ASCII letters, digits, `-`, `_` or `.`.
pub fn is_sku(sku: &str) -> bool {
    (1..=40).contains(&sku.len())
        && sku
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

pub fn check(input: &ProductInput) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .length(&input.name, "name", 1, 100)
        .length(&input.spec, "spec", 1, 100)
        .length(&input.unit, "unit", 1, 16)
        .length(&input.origin_statement, "originStatement", 0, 2000)
        .require(
            (1..=MAX_PRICE_FEN).contains(&input.price_fen),
            "price",
            ErrorCode::Invalid,
            msg!("products.price_must_above_zero_most_10"),
        )
        .require(
            (1..=1_000_000).contains(&input.min_order_quantity),
            "minOrderQuantity",
            ErrorCode::Invalid,
            msg!("products.minimum_order_least_1"),
        )
        .require(
            (0..=MAX_QUANTITY).contains(&input.stock),
            "stock",
            ErrorCode::Invalid,
            msg!("products.stock_cannot_negative"),
        )
        .require(
            input.images.len() <= 10
                && input.images.iter().all(|url| {
                    url.len() <= 500 && (url.starts_with("https://") || url.starts_with("http://"))
                }),
            "images",
            ErrorCode::Invalid,
            msg!("products.most_10_image_urls_each_http"),
        )
        .require(
            input
                .trace_code
                .as_deref()
                .is_none_or(|t| (1..=64).contains(&t.len())),
            "traceCode",
            ErrorCode::Invalid,
            msg!("products.trace_code_has_1_64_characters"),
        )
        .require(
            input.sku.as_deref().is_none_or(is_sku),
            "sku",
            ErrorCode::Invalid,
            msg!("products.sku_has_1_40_letters_digits"),
        );
    checks.finish()
}

pub async fn load(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<product::Model> {
    product::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.product"))
}

/// Producers edit only their own organisation's products.
pub async fn load_managed(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<product::Model> {
    let product = require_visible(
        conn,
        viewer,
        product::Entity::find_by_id(id),
        Sight::products,
        "not_found.product",
    )
    .await?;
    require_member(conn, viewer, product.producer_org_id, false).await?;
    Ok(product)
}

/// Lists a new product as a draft for the viewer's producer organisation.
pub async fn create(
    caller: Caller<'_>,
    producer_org_id: Uuid,
    input: ProductInput,
) -> AppResult<product::Model> {
    check(&input)?;
    let db = caller.db();
    require_visible(
        db,
        caller.viewer,
        entity::producer::Entity::find_by_id(producer_org_id),
        Sight::producers,
        "not_found.producer",
    )
    .await?;
    let (_, producer) = producers::load(db, producer_org_id).await?;
    require_member(db, caller.viewer, producer_org_id, false).await?;
    let rank = region::regions::poverty_rank(db, &producer.region_code).await?;
    let txn = db.begin().await?;
    let place = Placement {
        producer_org_id,
        region_code: producer.region_code.clone(),
        poverty_rank: rank,
    };
    if let Some(sku) = &input.sku {
        require_free_sku(&txn, producer_org_id, sku, None).await?;
    }
    let created = new_row(&place, &input, Utc::now())?
        .insert(&txn)
        .await
        .map_err(sku_taken)?;
    record_price(&txn, caller.viewer, created.id, created.price_fen).await?;
    refresh_price_flags(&txn, created.category, &created.unit, &created.spec).await?;
    let summary =
        json!({ "name": created.name, "priceFen": created.price_fen, "stock": created.stock });
    caller
        .audit(
            &txn,
            Change {
                action: "createProduct",
                target_type: "Product",
                target_id: Some(created.id),
                summary,
            },
        )
        .await?;
    txn.commit().await?;
    load(db, created.id).await
}

/// Where new products of one producer are listed (copied onto each product row).
#[derive(Clone, Debug)]
pub struct Placement {
    pub producer_org_id: Uuid,
    pub region_code: String,
    pub poverty_rank: i16,
}

/// Refuses a SKU another product of the producer already carries.
pub async fn require_free_sku(
    conn: &impl ConnectionTrait,
    producer_org_id: Uuid,
    sku: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let mut query = product::Entity::find()
        .filter(product::Column::ProducerOrgId.eq(producer_org_id))
        .filter(product::Column::Sku.eq(sku));
    if let Some(id) = except {
        query = query.filter(product::Column::Id.ne(id));
    }
    if query.one(conn).await?.is_some() {
        return Err(sku_duplicate());
    }
    Ok(())
}

fn sku_duplicate() -> AppError {
    AppError::field(
        "sku",
        ErrorCode::Duplicate,
        msg!("products.another_product_producer_has_sku"),
    )
}

/// A unique violation on insert or update is the SKU (the only unique column a caller sets).
fn sku_taken(error: sea_orm::DbErr) -> AppError {
    if crate::error::is_unique_violation(&error) {
        sku_duplicate()
    } else {
        error.into()
    }
}

/// The row a new product is inserted as: a draft, unlisted, with the input trimmed. The caller
/// has checked the input.
pub fn new_row(
    place: &Placement,
    input: &ProductInput,
    now: chrono::DateTime<Utc>,
) -> AppResult<product::ActiveModel> {
    Ok(product::ActiveModel {
        id: Set(new_uuid()),
        producer_org_id: Set(place.producer_org_id),
        name: Set(input.name.trim().to_owned()),
        category: Set(input.category),
        spec: Set(input.spec.trim().to_owned()),
        unit: Set(input.unit.trim().to_owned()),
        price_fen: Set(input.price_fen),
        min_order_quantity: Set(input.min_order_quantity),
        stock: Set(input.stock),
        origin_statement: Set(input.origin_statement.trim().to_owned()),
        images: Set(serde_json::to_string(&input.images).map_err(AppError::internal)?),
        // Marks come from verified certificates only (`quality_marks`).
        quality_marks: Set(0),
        trace_code: Set(input.trace_code.clone()),
        sku: Set(input.sku.clone()),
        status: Set(ProductStatus::Draft),
        region_code: Set(place.region_code.clone()),
        poverty_rank: Set(place.poverty_rank),
        listed: Set(false),
        price_flag_median_fen: Set(None),
        certified_from: Set(None),
        certified_until: Set(None),
        last_ordered_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

/// The price history row for a product's new price.
pub fn price_row(viewer: &Viewer, product_id: Uuid, price_fen: i64) -> price_change::ActiveModel {
    price_change::ActiveModel {
        id: Set(new_uuid()),
        product_id: Set(product_id),
        price_fen: Set(price_fen),
        changed_by: Set(Some(viewer.user_id)),
        changed_at: Set(Utc::now()),
    }
}

async fn record_price(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    product_id: Uuid,
    price_fen: i64,
) -> AppResult<()> {
    price_row(viewer, product_id, price_fen)
        .insert(conn)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub category: Option<ProductCategory>,
    pub spec: Option<String>,
    pub unit: Option<String>,
    pub price_fen: Option<i64>,
    pub min_order_quantity: Option<i32>,
    pub origin_statement: Option<String>,
    pub images: Option<Vec<String>>,
    pub trace_code: Option<Option<String>>,
    pub sku: Option<Option<String>>,
}

/// The listing as it will read: each change over what is on record.
pub fn merged(changes: ProductChanges, current: &product::Model) -> ProductInput {
    let images: Vec<String> = serde_json::from_str(&current.images).unwrap_or_default();
    ProductInput {
        name: changes.name.unwrap_or_else(|| current.name.clone()),
        category: changes.category.unwrap_or(current.category),
        spec: changes.spec.unwrap_or_else(|| current.spec.clone()),
        unit: changes.unit.unwrap_or_else(|| current.unit.clone()),
        price_fen: changes.price_fen.unwrap_or(current.price_fen),
        min_order_quantity: changes
            .min_order_quantity
            .unwrap_or(current.min_order_quantity),
        stock: current.stock,
        origin_statement: changes
            .origin_statement
            .unwrap_or_else(|| current.origin_statement.clone()),
        images: changes.images.unwrap_or(images),
        trace_code: changes
            .trace_code
            .unwrap_or_else(|| current.trace_code.clone()),
        sku: changes.sku.unwrap_or_else(|| current.sku.clone()),
    }
}

/// The row with the merged listing written over it (stock is adjusted separately).
fn with_changes(current: product::Model, merged: &ProductInput) -> AppResult<product::ActiveModel> {
    let mut active: product::ActiveModel = current.into();
    active.name = Set(merged.name.trim().to_owned());
    active.category = Set(merged.category);
    active.spec = Set(merged.spec.trim().to_owned());
    active.unit = Set(merged.unit.trim().to_owned());
    active.price_fen = Set(merged.price_fen);
    active.min_order_quantity = Set(merged.min_order_quantity);
    active.origin_statement = Set(merged.origin_statement.trim().to_owned());
    active.images = Set(serde_json::to_string(&merged.images).map_err(AppError::internal)?);
    active.trace_code = Set(merged.trace_code.clone());
    active.sku = Set(merged.sku.clone());
    active.updated_at = Set(Utc::now());
    Ok(active)
}

/// Changes a product's details or price (stock changes go through `adjust_stock`).
pub async fn update(
    caller: Caller<'_>,
    id: Uuid,
    changes: ProductChanges,
) -> AppResult<product::Model> {
    let db = caller.db();
    let current = load_managed(db, caller.viewer, id).await?;
    let merged = merged(changes, &current);
    let txn = db.begin().await?;
    let updated = apply_update(&txn, caller.viewer, current.clone(), &merged).await?;
    refresh_price_flags(&txn, updated.category, &updated.unit, &updated.spec).await?;
    let group = |p: &product::Model| (p.category, p.unit.clone(), p.spec.clone());
    if group(&current) != group(&updated) {
        refresh_price_flags(&txn, current.category, &current.unit, &current.spec).await?;
    }
    let summary = json!({
        "name": updated.name,
        "priceFen": { "from": current.price_fen, "to": updated.price_fen },
    });
    caller
        .audit(
            &txn,
            Change {
                action: "updateProduct",
                target_type: "Product",
                target_id: Some(id),
                summary,
            },
        )
        .await?;
    txn.commit().await?;
    load(db, id).await
}

/// Writes a product's merged listing inside the caller's transaction: checked, the SKU kept
/// unique, a new price kept in the price history. The caller refreshes the price flags of the
/// product's old and new groups (once per group when it updates many).
pub async fn apply_update(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    current: product::Model,
    merged: &ProductInput,
) -> AppResult<product::Model> {
    check(merged)?;
    if let Some(sku) = &merged.sku
        && current.sku.as_deref() != Some(sku.as_str())
    {
        require_free_sku(conn, current.producer_org_id, sku, Some(current.id)).await?;
    }
    let before = current.price_fen;
    let updated = with_changes(current, merged)?
        .update(conn)
        .await
        .map_err(sku_taken)?;
    if updated.price_fen != before {
        record_price(conn, viewer, updated.id, updated.price_fen).await?;
    }
    Ok(updated)
}

/// A stock adjustment is a non-zero quantity within bounds, with its reason.
fn check_adjustment(delta: i64, reason: &str) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .require(
            // A range, not `abs()`: `i64::MIN.abs()` overflows.
            delta != 0 && (-MAX_QUANTITY..=MAX_QUANTITY).contains(&delta),
            "delta",
            ErrorCode::Invalid,
            msg!("products.adjust_non_zero_quantity"),
        )
        .length(reason, "reason", 2, 200);
    checks.finish()
}

/// Adds `delta` to the stock unless that would take it below zero or past the maximum.
async fn add_stock(conn: &impl ConnectionTrait, id: Uuid, delta: i64) -> AppResult<()> {
    // One conditional statement: two concurrent adjustments cannot both pass a stale check.
    let changed = product::Entity::update_many()
        .col_expr(
            product::Column::Stock,
            Expr::col(product::Column::Stock).add(delta),
        )
        .col_expr(product::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(product::Column::Id.eq(id))
        .filter(Expr::col(product::Column::Stock).add(delta).gte(0))
        .filter(
            Expr::col(product::Column::Stock)
                .add(delta)
                .lte(MAX_QUANTITY),
        )
        .exec(conn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(AppError::field(
            "delta",
            ErrorCode::InsufficientStock,
            msg!("products.stock_cannot_go_below_zero"),
        ));
    }
    Ok(())
}

/// Adds `delta` to a product's stock inside the caller's transaction and records the
/// adjustment with its reason.
pub async fn apply_stock(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
    delta: i64,
    reason: &str,
) -> AppResult<product::Model> {
    check_adjustment(delta, reason)?;
    add_stock(conn, id, delta).await?;
    let after = load(conn, id).await?;
    stock_adjustment::ActiveModel {
        id: Set(new_uuid()),
        product_id: Set(id),
        delta: Set(delta),
        stock_after: Set(after.stock),
        reason: Set(reason.trim().to_owned()),
        adjusted_by: Set(Some(viewer.user_id)),
        adjusted_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok(after)
}

/// Adds or removes stock with a reason; the change is refused if stock would go below zero.
pub async fn adjust_stock(
    caller: Caller<'_>,
    id: Uuid,
    delta: i64,
    reason: &str,
) -> AppResult<product::Model> {
    check_adjustment(delta, reason)?;
    let db = caller.db();
    load_managed(db, caller.viewer, id).await?;
    let txn = db.begin().await?;
    let after = apply_stock(&txn, caller.viewer, id, delta, reason).await?;
    let summary = json!({ "delta": delta, "stockAfter": after.stock, "reason": reason.trim() });
    caller
        .audit(
            &txn,
            Change {
                action: "adjustStock",
                target_type: "Product",
                target_id: Some(id),
                summary,
            },
        )
        .await?;
    txn.commit().await?;
    Ok(after)
}

/// Publishes (only for a producer in good standing) or withdraws a product.
pub async fn set_published(
    caller: Caller<'_>,
    id: Uuid,
    publish: bool,
) -> AppResult<product::Model> {
    let db = caller.db();
    let current = load_managed(db, caller.viewer, id).await?;
    let (_, producer) = producers::load(db, current.producer_org_id).await?;
    match (publish, current.status) {
        (true, ProductStatus::Published) => {
            return Err(AppError::state(
                ErrorCode::InvalidState,
                msg!("products.product_published_already"),
            ));
        }
        (false, ProductStatus::Draft | ProductStatus::Unpublished) => {
            return Err(AppError::state(
                ErrorCode::InvalidState,
                msg!("products.product_not_published"),
            ));
        }
        (true, _) if !producer.in_good_standing() => {
            return Err(AppError::state(
                ErrorCode::NotInGoodStanding,
                msg!("products.producer_must_verified_good_standing_publish"),
            ));
        }
        _ => {}
    }
    let txn = db.begin().await?;
    let mut active: product::ActiveModel = current.into();
    active.status = Set(if publish {
        ProductStatus::Published
    } else {
        ProductStatus::Unpublished
    });
    active.listed = Set(publish);
    active.updated_at = Set(Utc::now());
    let updated = active.update(&txn).await?;
    refresh_price_flags(&txn, updated.category, &updated.unit, &updated.spec).await?;
    caller
        .audit(
            &txn,
            Change {
                action: if publish {
                    "publishProduct"
                } else {
                    "unpublishProduct"
                },
                target_type: "Product",
                target_id: Some(id),
                summary: json!({ "name": updated.name }),
            },
        )
        .await?;
    txn.commit().await?;
    load(db, id).await
}

/// The median of a list of prices (the mean of the middle two for an even count).
pub fn median(prices: &mut [i64]) -> Option<i64> {
    if prices.is_empty() {
        return None;
    }
    prices.sort_unstable();
    let mid = prices.len() / 2;
    Some(if prices.len() % 2 == 1 {
        prices[mid]
    } else {
        (prices[mid - 1] + prices[mid]) / 2
    })
}

/// Flags every product priced more than 30% above the median of comparable published products:
/// the same category, unit and specification (a 箱 of 2.5 kg is no peer of a 箱 of 20 kg).
/// Three statements, whatever the group's size.
pub async fn refresh_price_flags(
    conn: &impl ConnectionTrait,
    category: ProductCategory,
    unit: &str,
    spec: &str,
) -> AppResult<()> {
    let mut prices: Vec<i64> = product::Entity::find()
        .select_only()
        .column(product::Column::PriceFen)
        .filter(product::Column::Category.eq(category))
        .filter(product::Column::Unit.eq(unit))
        .filter(product::Column::Spec.eq(spec))
        .filter(product::Column::Status.eq(ProductStatus::Published))
        .into_tuple()
        .all(conn)
        .await?;
    let group = || {
        product::Entity::update_many()
            .filter(product::Column::Category.eq(category))
            .filter(product::Column::Unit.eq(unit))
            .filter(product::Column::Spec.eq(spec))
    };
    let median = if prices.len() >= MIN_COMPARABLE {
        median(&mut prices)
    } else {
        None
    };
    let Some(median) = median else {
        group()
            .col_expr(
                product::Column::PriceFlagMedianFen,
                Expr::value(Option::<i64>::None),
            )
            .exec(conn)
            .await?;
        return Ok(());
    };
    let threshold = median + median * PRICE_FLAG_PERCENT / 100;
    group()
        .col_expr(product::Column::PriceFlagMedianFen, Expr::value(median))
        .filter(product::Column::PriceFen.gt(threshold))
        .exec(conn)
        .await?;
    group()
        .col_expr(
            product::Column::PriceFlagMedianFen,
            Expr::value(Option::<i64>::None),
        )
        .filter(product::Column::PriceFen.lte(threshold))
        .exec(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{MAX_QUANTITY, check_adjustment, median};

    #[test]
    fn medians_of_odd_and_even_groups() {
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn a_stock_adjustment_is_a_bounded_non_zero_quantity_with_a_reason() {
        assert!(check_adjustment(5, "入库").is_ok());
        assert!(check_adjustment(-5, "损耗").is_ok());
        assert!(check_adjustment(0, "入库").is_err());
        assert!(check_adjustment(i64::MIN, "入库").is_err());
        assert!(check_adjustment(MAX_QUANTITY + 1, "入库").is_err());
        assert!(check_adjustment(5, "").is_err());
    }
}
