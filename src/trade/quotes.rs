//! Quotes on needs: a verified producer in good standing offers one of its listed products of
//! the need's category at a price per unit (not above the ceiling), a quantity and a delivery
//! window inside the need's period. The buyer accepts a quote, as an order or as a directed
//! procurement agreement (both parties consented: the producer by quoting, the buyer by
//! accepting), or declines it with a reason. Accepted quantities fill the need.

use chrono::{NaiveDate, Utc};
use entity::{
    api_name::ApiName,
    demand::{self, DemandStatus},
    order::{self, PaymentTerms},
    product,
    quote::{self, QuoteAcceptance, QuoteStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, ExprTrait, QueryFilter, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::demands::{self, DemandState};
use crate::{
    audit::Change,
    auth::{Caller, Viewer},
    error::{AppError, AppResult, Checks, ErrorCode, UserError},
    ids::new_uuid,
    org::{
        members::require_member, membership::membership_in, membership::membership_of, producers,
    },
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
    procurement::{
        agreements::{self, Agreed, Proposal},
        orders::{self, Basket},
    },
};

const MAX_PRICE_FEN: i64 = 1_000_000_000;

/// What a producer offers.
#[derive(Clone, Debug)]
pub struct QuoteInput {
    pub demand_id: Uuid,
    pub product_id: Uuid,
    pub price_fen: i64,
    pub quantity: i64,
    pub delivery_from: NaiveDate,
    pub delivery_to: NaiveDate,
    pub note: Option<String>,
}

/// The offer against the need: open need, positive price not above the ceiling, a quantity
/// within the need's, and a delivery window inside its period and not over.
pub fn check_terms(input: &QuoteInput, need: &demand::Model, today: NaiveDate) -> Checks {
    let mut checks = Checks::default();
    let state = demands::state_on(need, today);
    checks
        .require(
            state == DemandState::Open,
            "demandId",
            ErrorCode::InvalidState,
            msg!("quotes.need", value0 = state_name(state)),
        )
        .require(
            (1..=MAX_PRICE_FEN).contains(&input.price_fen),
            "price",
            ErrorCode::Invalid,
            msg!("quotes.price_must_above_zero"),
        )
        .require(
            need.price_ceiling_fen.is_none_or(|c| input.price_fen <= c),
            "price",
            ErrorCode::AboveCeiling,
            msg!("quotes.price_above_need_s_ceiling"),
        )
        .require(
            (1..=need.quantity).contains(&input.quantity),
            "quantity",
            ErrorCode::Invalid,
            msg!(
                "quotes.quote_between_1",
                quantity = need.quantity,
                unit = need.unit
            ),
        )
        .require(
            input.delivery_from <= input.delivery_to,
            "deliveryTo",
            ErrorCode::Invalid,
            msg!("quotes.delivery_window_ends_after_starts"),
        )
        .require(
            input.delivery_from >= need.starts_on,
            "deliveryFrom",
            ErrorCode::OutsidePeriod,
            msg!("quotes.delivery_cannot_start_before_need_s"),
        )
        .require(
            input.delivery_to <= need.ends_on,
            "deliveryTo",
            ErrorCode::OutsidePeriod,
            msg!("quotes.delivery_cannot_end_after_need_s"),
        )
        .require(
            input.delivery_to >= today,
            "deliveryTo",
            ErrorCode::OutsidePeriod,
            msg!("quotes.delivery_window_over_already"),
        )
        .length(input.note.as_deref().unwrap_or_default(), "note", 0, 500);
    checks
}

fn state_name(state: DemandState) -> &'static str {
    match state {
        DemandState::Open => "open",
        DemandState::Filled => "filled",
        DemandState::Closed => "closed",
        DemandState::Expired => "expired",
    }
}

/// The product offered: the producer's own, listed, of the need's category, from its minimum
/// order, and certified today when the need asks for certified products.
pub fn check_product(
    product: Option<&product::Model>,
    producer: Uuid,
    input: &QuoteInput,
    need: &demand::Model,
    today: NaiveDate,
) -> Checks {
    let mut checks = Checks::default();
    let Some(product) = product.filter(|p| p.producer_org_id == producer) else {
        checks.push(UserError::on(
            "productId",
            ErrorCode::NotFound,
            msg!("quotes.no_product_yours_has_id"),
        ));
        return checks;
    };
    checks
        .require(
            product.listed,
            "productId",
            ErrorCode::NotInGoodStanding,
            msg!("quotes.product_not_catalogue"),
        )
        .require(
            product.category == need.category,
            "productId",
            ErrorCode::Invalid,
            msg!("quotes.need_2", category = need.category.api_name()),
        )
        .require(
            !need.certified_only || product.certified_on(today),
            "productId",
            ErrorCode::NotCertified,
            msg!("quotes.need_asks_certified_poverty_alleviation_products"),
        )
        .require(
            input.quantity >= i64::from(product.min_order_quantity),
            "quantity",
            ErrorCode::Invalid,
            msg!(
                "quotes.sold_from",
                name = product.name,
                min_order_quantity = product.min_order_quantity,
                unit = product.unit
            ),
        );
    checks
}

/// The caller's producer organisation, which must be verified and in good standing.
async fn quoting_producer(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Uuid> {
    let org = membership_of(conn, viewer.user_id)
        .await?
        .map(|m| m.organization_id)
        .ok_or(AppError::Forbidden("forbidden.only_members_producer_quote"))?;
    let (_, profile) = producers::load(conn, org)
        .await
        .map_err(|_| AppError::Forbidden("forbidden.only_members_producer_quote"))?;
    if !profile.in_good_standing() {
        return Err(AppError::state(
            ErrorCode::NotInGoodStanding,
            msg!("quotes.your_organisation_unverified_suspended"),
        ));
    }
    Ok(org)
}

/// A producer answers a need.
pub async fn respond(caller: Caller<'_>, input: QuoteInput) -> AppResult<quote::Model> {
    let db = caller.db();
    let producer = quoting_producer(db, caller.viewer).await?;
    let today = Utc::now().date_naive();
    let Some(need) = demand::Entity::find_by_id(input.demand_id).one(db).await? else {
        return Err(AppError::field(
            "demandId",
            ErrorCode::NotFound,
            msg!("quotes.no_need_has_id"),
        ));
    };
    let product = product::Entity::find_by_id(input.product_id)
        .one(db)
        .await?;
    let mut checks = check_terms(&input, &need, today);
    for problem in check_product(product.as_ref(), producer, &input, &need, today).into_errors() {
        checks.push(problem);
    }
    checks.finish()?;
    let txn = db.begin().await?;
    let quoted = quote::ActiveModel {
        id: Set(new_uuid()),
        demand_id: Set(need.id),
        producer_org_id: Set(producer),
        product_id: Set(input.product_id),
        price_fen: Set(input.price_fen),
        quantity: Set(input.quantity),
        delivery_from: Set(input.delivery_from),
        delivery_to: Set(input.delivery_to),
        note: Set(input
            .note
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())),
        status: Set(QuoteStatus::Pending),
        accepted_as: Set(None),
        agreement_id: Set(None),
        order_id: Set(None),
        decline_reason: Set(None),
        quoted_by: Set(caller.viewer.user_id),
        quoted_at: Set(Utc::now()),
        decided_by: Set(None),
        decided_at: Set(None),
    }
    .insert(&txn)
    .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "respondToDemand",
                target_type: "Quote",
                target_id: Some(quoted.id),
                summary: json!({
                    "demand": need.id, "product": quoted.product_id,
                    "priceFen": quoted.price_fen, "quantity": quoted.quantity,
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(quoted)
}

pub async fn load(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<quote::Model> {
    quote::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.quote"))
}

/// A quote its two parties (and admins) may see; `NOT_FOUND` to anyone else.
pub async fn load_visible(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<(quote::Model, demand::Model)> {
    let quote = load(conn, id).await?;
    let need = demands::load(conn, quote.demand_id).await?;
    let party = viewer.is_admin()
        || membership_in(conn, viewer, need.buyer_org_id)
            .await?
            .is_some()
        || membership_in(conn, viewer, quote.producer_org_id)
            .await?
            .is_some();
    if !party {
        return Err(AppError::NotFound("not_found.quote"));
    }
    Ok((quote, need))
}

/// The quote is still to decide, and (to accept it) its need open and its window not over.
fn check_acceptable(quote: &quote::Model, need: &demand::Model, today: NaiveDate) -> AppResult<()> {
    if quote.status != QuoteStatus::Pending {
        return Err(AppError::field(
            "quoteId",
            ErrorCode::InvalidState,
            msg!(
                "quotes.quote_was_already",
                status = quote.status.api_name().to_lowercase()
            ),
        ));
    }
    let state = demands::state_on(need, today);
    if state != DemandState::Open {
        return Err(AppError::field(
            "quoteId",
            ErrorCode::InvalidState,
            msg!("quotes.need", value0 = state_name(state)),
        ));
    }
    if quote.delivery_to < today {
        return Err(AppError::field(
            "quoteId",
            ErrorCode::OutsidePeriod,
            msg!("quotes.quote_s_delivery_window_over"),
        ));
    }
    Ok(())
}

/// The buyer accepts a quote: an active agreement at the quoted price, and with `Order` an
/// order under it for the whole quoted quantity (stock reserved as for any order). The need
/// counts the quantity and is filled when it reaches its own. All or nothing.
pub async fn accept(caller: Caller<'_>, id: Uuid, as_: QuoteAcceptance) -> AppResult<quote::Model> {
    let db = caller.db();
    let (quote, need) = load_visible(db, caller.viewer, id).await?;
    require_member(db, caller.viewer, need.buyer_org_id, false).await?;
    let now = Utc::now();
    let today = now.date_naive();
    check_acceptable(&quote, &need, today)?;
    let txn = db.begin().await?;
    decide(&txn, caller, &quote, QuoteStatus::Accepted, Some(as_), None).await?;
    count_toward(&txn, &need, quote.quantity, today).await?;
    let terms = Proposal {
        product_id: quote.product_id,
        price_fen: quote.price_fen,
        total_quantity: quote.quantity,
        // An order is placed today, under an agreement in force today.
        starts_on: match as_ {
            QuoteAcceptance::Order => today,
            QuoteAcceptance::Agreement => quote.delivery_from,
        },
        ends_on: quote.delivery_to,
        rhythm: need.rhythm.api_name(),
    };
    let agreement = agreements::create_agreed(
        &txn,
        Agreed {
            buyer_org_id: need.buyer_org_id,
            producer_org_id: quote.producer_org_id,
            proposed_by: quote.quoted_by,
            accepted_by: caller.viewer.user_id,
            terms,
        },
    )
    .await?;
    let (order, events) = match as_ {
        QuoteAcceptance::Order => {
            let (placed, events) = order_under(&txn, caller, &quote, &need, agreement.id).await?;
            (placed.map(|o| o.id), events)
        }
        QuoteAcceptance::Agreement => (None, Vec::new()),
    };
    quote::Entity::update_many()
        .col_expr(quote::Column::AgreementId, Expr::value(Some(agreement.id)))
        .col_expr(quote::Column::OrderId, Expr::value(order))
        .filter(quote::Column::Id.eq(quote.id))
        .exec(&txn)
        .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "acceptQuote",
                target_type: "Quote",
                target_id: Some(quote.id),
                summary: json!({
                    "as": as_.api_name(), "demand": need.id, "agreement": agreement.id,
                    "order": order, "quantity": quote.quantity,
                }),
            },
        )
        .await?;
    txn.commit().await?;
    caller.services.bus.publish(events);
    load(db, quote.id).await
}

/// The order an accepted quote becomes, under its agreement; a refusal (stock, minimum) is
/// reported on `quoteId`, the input that caused it.
async fn order_under(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    quote: &quote::Model,
    need: &demand::Model,
    agreement: Uuid,
) -> AppResult<(Option<order::Model>, Vec<crate::live::events::Event>)> {
    let basket = Basket {
        lines: vec![(quote.product_id, quote.quantity)],
        agreement_id: Some(agreement),
        payment_terms: PaymentTerms::PayAfterDelivery,
        purpose: None,
        fair_id: None,
        note: quote.note.clone(),
        idempotency_key: format!("quote-{}", quote.id.simple()),
    };
    let placed = orders::place_in(
        txn,
        caller,
        &basket,
        need.buyer_org_id,
        new_uuid(),
        Utc::now(),
    )
    .await
    .map_err(|error| match error {
        AppError::User(errors) => AppError::User(
            errors
                .into_iter()
                .map(|e| UserError::on("quoteId", e.code, e.message))
                .collect(),
        ),
        other => other,
    })?;
    let (orders, events) = placed;
    Ok((orders.into_iter().next(), events))
}

/// Adds an accepted quantity to the need, filling it when it reaches the need's: refused when
/// the need stopped being open meanwhile.
async fn count_toward(
    txn: &DatabaseTransaction,
    need: &demand::Model,
    quantity: i64,
    today: NaiveDate,
) -> AppResult<()> {
    let reached = Expr::col(demand::Column::AcceptedQuantity)
        .add(quantity)
        .gte(Expr::col(demand::Column::Quantity));
    let counted = demand::Entity::update_many()
        .col_expr(
            demand::Column::AcceptedQuantity,
            Expr::col(demand::Column::AcceptedQuantity).add(quantity),
        )
        .col_expr(
            demand::Column::Status,
            Expr::case(reached, Expr::value(DemandStatus::Filled))
                .finally(Expr::value(DemandStatus::Open))
                .into(),
        )
        .filter(demand::Column::Id.eq(need.id))
        .filter(demand::Column::Status.eq(DemandStatus::Open))
        .filter(demand::Column::EndsOn.gte(today))
        .exec(txn)
        .await?;
    if counted.rows_affected == 0 {
        return Err(AppError::field(
            "quoteId",
            ErrorCode::InvalidState,
            msg!("quotes.need_was_filled_closed_meanwhile"),
        ));
    }
    Ok(())
}

/// Moves a pending quote to `to`, or refuses when it was decided meanwhile.
async fn decide(
    txn: &DatabaseTransaction,
    caller: Caller<'_>,
    quote: &quote::Model,
    to: QuoteStatus,
    as_: Option<QuoteAcceptance>,
    reason: Option<String>,
) -> AppResult<()> {
    let decided = quote::Entity::update_many()
        .col_expr(quote::Column::Status, Expr::value(to))
        .col_expr(quote::Column::AcceptedAs, Expr::value(as_))
        .col_expr(quote::Column::DeclineReason, Expr::value(reason))
        .col_expr(
            quote::Column::DecidedBy,
            Expr::value(Some(caller.viewer.user_id)),
        )
        .col_expr(quote::Column::DecidedAt, Expr::value(Some(Utc::now())))
        .filter(quote::Column::Id.eq(quote.id))
        .filter(quote::Column::Status.eq(QuoteStatus::Pending))
        .exec(txn)
        .await?;
    if decided.rows_affected == 0 {
        return Err(AppError::field(
            "quoteId",
            ErrorCode::InvalidState,
            msg!("quotes.quote_was_decided_meanwhile"),
        ));
    }
    Ok(())
}

/// The buyer declines a quote, with a reason the producer reads.
pub async fn decline(caller: Caller<'_>, id: Uuid, reason: &str) -> AppResult<quote::Model> {
    let mut checks = Checks::default();
    checks.length(reason.trim(), "reason", 2, 500);
    checks.finish()?;
    let db = caller.db();
    let (quote, need) = load_visible(db, caller.viewer, id).await?;
    require_member(db, caller.viewer, need.buyer_org_id, false).await?;
    if quote.status != QuoteStatus::Pending {
        return Err(AppError::field(
            "quoteId",
            ErrorCode::InvalidState,
            msg!(
                "quotes.quote_was_already",
                status = quote.status.api_name().to_lowercase()
            ),
        ));
    }
    let txn = db.begin().await?;
    let reason = reason.trim().to_owned();
    decide(
        &txn,
        caller,
        &quote,
        QuoteStatus::Declined,
        None,
        Some(reason.clone()),
    )
    .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "declineQuote",
                target_type: "Quote",
                target_id: Some(quote.id),
                summary: json!({ "demand": need.id, "reason": reason }),
            },
        )
        .await?;
    txn.commit().await?;
    load(db, quote.id).await
}

/// A page of a need's quotes, newest first: all of them for the buyer's members and admins,
/// its own for a producer's members, none for anyone else.
pub async fn page<N: async_graphql::OutputType>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    need: &demand::Model,
    args: &PageArgs,
    to_node: impl Fn(quote::Model) -> N,
) -> AppResult<Page<N>> {
    let mut select = quote::Entity::find().filter(quote::Column::DemandId.eq(need.id));
    let buyer_side = viewer.is_admin()
        || membership_in(db, viewer, need.buyer_org_id)
            .await?
            .is_some();
    if !buyer_side {
        let org = membership_of(db, viewer.user_id)
            .await?
            .map_or(Uuid::nil(), |m| m.organization_id);
        select = select.filter(quote::Column::ProducerOrgId.eq(org));
    }
    pagination::paginate(
        db,
        select,
        &[SortKey::desc(quote::Column::Id)],
        args,
        |q| vec![CursorValue::Uuid(q.id)],
        to_node,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::{
        demand::DemandRhythm,
        product::{ProductCategory, ProductStatus},
    };

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn need() -> demand::Model {
        demand::Model {
            id: Uuid::from_u128(1),
            buyer_org_id: Uuid::from_u128(2),
            buyer_region_code: "1301".into(),
            category: ProductCategory::Vegetables,
            spec: "土豆".into(),
            quantity: 100,
            unit: "公斤".into(),
            rhythm: DemandRhythm::Weekly,
            region_code: "1301".into(),
            starts_on: day("2026-03-01"),
            ends_on: day("2026-03-31"),
            price_ceiling_fen: Some(300),
            certified_only: true,
            status: DemandStatus::Open,
            accepted_quantity: 0,
            posted_by: Uuid::nil(),
            posted_at: Utc::now(),
            closed_at: None,
        }
    }

    fn offer(price_fen: i64, quantity: i64, from: &str, to: &str) -> QuoteInput {
        QuoteInput {
            demand_id: Uuid::from_u128(1),
            product_id: Uuid::from_u128(3),
            price_fen,
            quantity,
            delivery_from: day(from),
            delivery_to: day(to),
            note: None,
        }
    }

    fn codes(checks: Checks) -> Vec<(String, ErrorCode)> {
        checks
            .into_errors()
            .into_iter()
            .map(|e| {
                (
                    e.field.and_then(|f| f.last().cloned()).unwrap_or_default(),
                    e.code,
                )
            })
            .collect()
    }

    #[test]
    fn a_quote_keeps_to_the_ceiling_the_quantity_and_the_period() {
        let today = day("2026-03-02");
        let need = need();
        assert!(
            codes(check_terms(
                &offer(300, 100, "2026-03-03", "2026-03-31"),
                &need,
                today
            ))
            .is_empty()
        );
        assert_eq!(
            codes(check_terms(
                &offer(301, 10, "2026-03-03", "2026-03-04"),
                &need,
                today
            )),
            [("price".to_owned(), ErrorCode::AboveCeiling)]
        );
        assert_eq!(
            codes(check_terms(
                &offer(200, 0, "2026-03-03", "2026-03-04"),
                &need,
                today
            )),
            [("quantity".to_owned(), ErrorCode::Invalid)]
        );
        assert_eq!(
            codes(check_terms(
                &offer(200, 101, "2026-03-03", "2026-03-04"),
                &need,
                today
            )),
            [("quantity".to_owned(), ErrorCode::Invalid)]
        );
        assert_eq!(
            codes(check_terms(
                &offer(200, 5, "2026-02-27", "2026-03-04"),
                &need,
                today
            )),
            [("deliveryFrom".to_owned(), ErrorCode::OutsidePeriod)]
        );
        assert_eq!(
            codes(check_terms(
                &offer(200, 5, "2026-03-27", "2026-04-04"),
                &need,
                today
            )),
            [("deliveryTo".to_owned(), ErrorCode::OutsidePeriod)]
        );
        let closed = demand::Model {
            status: DemandStatus::Closed,
            ..need.clone()
        };
        assert_eq!(
            codes(check_terms(
                &offer(200, 5, "2026-03-03", "2026-03-04"),
                &closed,
                today
            )),
            [("demandId".to_owned(), ErrorCode::InvalidState)]
        );
        let expired_day = day("2026-04-01");
        assert!(
            codes(check_terms(
                &offer(200, 5, "2026-03-03", "2026-03-04"),
                &need,
                expired_day
            ))
            .contains(&("demandId".to_owned(), ErrorCode::InvalidState))
        );
    }

    #[test]
    fn the_product_is_the_producers_listed_of_the_category_and_certified_when_asked() {
        let today = day("2026-03-02");
        let producer = Uuid::from_u128(9);
        let need = need();
        let input = offer(200, 5, "2026-03-03", "2026-03-04");
        let product = product::Model {
            id: Uuid::from_u128(3),
            producer_org_id: producer,
            name: "土豆".into(),
            category: ProductCategory::Vegetables,
            spec: "10kg/袋".into(),
            unit: "公斤".into(),
            price_fen: 250,
            min_order_quantity: 1,
            stock: 1000,
            origin_statement: String::new(),
            images: "[]".into(),
            quality_marks: 0,
            trace_code: None,
            sku: None,
            status: ProductStatus::Published,
            region_code: "130126".into(),
            poverty_rank: 1,
            listed: true,
            price_flag_median_fen: None,
            certified_from: Some(day("2026-01-01")),
            certified_until: Some(day("2026-12-31")),
            last_ordered_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert!(
            codes(check_product(
                Some(&product),
                producer,
                &input,
                &need,
                today
            ))
            .is_empty()
        );
        assert_eq!(
            codes(check_product(
                Some(&product),
                Uuid::nil(),
                &input,
                &need,
                today
            )),
            [("productId".to_owned(), ErrorCode::NotFound)]
        );
        assert_eq!(
            codes(check_product(None, producer, &input, &need, today)),
            [("productId".to_owned(), ErrorCode::NotFound)]
        );
        let uncertified = product::Model {
            certified_until: Some(day("2026-02-01")),
            ..product.clone()
        };
        assert_eq!(
            codes(check_product(
                Some(&uncertified),
                producer,
                &input,
                &need,
                today
            )),
            [("productId".to_owned(), ErrorCode::NotCertified)]
        );
        let fruit = product::Model {
            category: ProductCategory::Fruit,
            ..product.clone()
        };
        assert_eq!(
            codes(check_product(Some(&fruit), producer, &input, &need, today)),
            [("productId".to_owned(), ErrorCode::Invalid)]
        );
        let unlisted = product::Model {
            listed: false,
            ..product
        };
        assert_eq!(
            codes(check_product(
                Some(&unlisted),
                producer,
                &input,
                &need,
                today
            )),
            [("productId".to_owned(), ErrorCode::NotInGoodStanding)]
        );
    }
}
