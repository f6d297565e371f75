//! Needs (供需对接, "需什么种什么"): a buyer unit posts what it wants (category, spec, quantity,
//! rhythm, delivery region, period, price ceiling, certified only); producers see open needs,
//! those of buyers paired with their area first; the buyer may close a need. A need is filled
//! by accepted quotes (`quotes`), and reads as `EXPIRED` once its period is over: that state
//! is computed on read from the stored `OPEN` and the date, never written.

use async_graphql::OutputType;
use chrono::{NaiveDate, Utc};
use entity::{
    api_name::ApiName,
    demand::{self, DemandRhythm, DemandStatus},
    product::ProductCategory,
    region::RegionLevel,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, Set, TransactionTrait,
    sea_query::{Expr, SimpleExpr},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::Change,
    auth::{Caller, Viewer},
    catalogue::search::{self, Audience, ProductFilter, ProductSort},
    error::{AppError, AppResult, Checks, ErrorCode},
    ids::new_uuid,
    live::events::{DemandPosted, Event},
    org::{buyers, members::require_member, membership::membership_of, producers},
    pagination::{self, CursorKind, CursorValue, Page, PageArgs, SortKey},
    region::{regions, subtree},
};

/// The longest period a need may span.
const MAX_PERIOD_DAYS: i64 = 3 * 366;
const MAX_QUANTITY: i64 = 100_000_000;
const MAX_PRICE_FEN: i64 = 1_000_000_000;

/// A need as read: the stored status, with an open need past its period `EXPIRED`.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DemandState {
    Open,
    /// Accepted quotes reached the quantity.
    Filled,
    /// Closed by the buyer.
    Closed,
    /// Its period ended while it was open.
    Expired,
}

pub fn state_on(need: &demand::Model, day: NaiveDate) -> DemandState {
    match need.status {
        DemandStatus::Open if day > need.ends_on => DemandState::Expired,
        DemandStatus::Open => DemandState::Open,
        DemandStatus::Filled => DemandState::Filled,
        DemandStatus::Closed => DemandState::Closed,
    }
}

/// The rows in `state` on `day`: the same rule as `state_on`, in SQL.
fn state_condition(state: DemandState, day: NaiveDate) -> Condition {
    let stored = |s: DemandStatus| Condition::all().add(demand::Column::Status.eq(s));
    match state {
        DemandState::Open => stored(DemandStatus::Open).add(demand::Column::EndsOn.gte(day)),
        DemandState::Expired => stored(DemandStatus::Open).add(demand::Column::EndsOn.lt(day)),
        DemandState::Filled => stored(DemandStatus::Filled),
        DemandState::Closed => stored(DemandStatus::Closed),
    }
}

/// What a buyer posts.
#[derive(Clone, Debug)]
pub struct NeedInput {
    pub category: ProductCategory,
    pub spec: String,
    pub quantity: i64,
    pub unit: String,
    pub rhythm: DemandRhythm,
    pub region_code: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub price_ceiling_fen: Option<i64>,
    pub certified_only: bool,
}

/// Everything about a need that needs no database: positive quantity and ceiling, bounded
/// text, a period that is ordered, not begun before today and not too long.
pub fn check(input: &NeedInput, today: NaiveDate) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .length(&input.spec, "spec", 1, 500)
        .length(&input.unit, "unit", 1, 20)
        .require(
            (1..=MAX_QUANTITY).contains(&input.quantity),
            "quantity",
            ErrorCode::Invalid,
            msg!("demands.quantity_must_positive"),
        )
        .require(
            input
                .price_ceiling_fen
                .is_none_or(|c| (1..=MAX_PRICE_FEN).contains(&c)),
            "priceCeiling",
            ErrorCode::Invalid,
            msg!("demands.price_ceiling_must_above_zero"),
        )
        .require(
            input.starts_on >= today,
            "startsOn",
            ErrorCode::Invalid,
            msg!("demands.period_cannot_start_past"),
        )
        .require(
            input.starts_on <= input.ends_on,
            "endsOn",
            ErrorCode::Invalid,
            msg!("demands.period_ends_after_starts"),
        )
        .require(
            (input.ends_on - input.starts_on).num_days() <= MAX_PERIOD_DAYS,
            "endsOn",
            ErrorCode::Invalid,
            msg!("demands.need_spans_most_three_years"),
        );
    checks.finish()
}

/// A buyer unit's member posts a need; producers subscribed to its category hear of it.
pub async fn post(caller: Caller<'_>, input: NeedInput) -> AppResult<demand::Model> {
    check(&input, Utc::now().date_naive())?;
    let db = caller.db();
    let buyer = buyers::buyer_of(db, caller.viewer).await?;
    let (_, profile) = buyers::load(db, buyer).await?;
    let place = regions::require(db, &input.region_code, "regionCode", &RegionLevel::ALL).await?;
    let txn = db.begin().await?;
    let posted = demand::ActiveModel {
        id: Set(new_uuid()),
        buyer_org_id: Set(buyer),
        buyer_region_code: Set(profile.region_code),
        category: Set(input.category),
        spec: Set(input.spec.trim().to_owned()),
        quantity: Set(input.quantity),
        unit: Set(input.unit.trim().to_owned()),
        rhythm: Set(input.rhythm),
        region_code: Set(place.code),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        price_ceiling_fen: Set(input.price_ceiling_fen),
        certified_only: Set(input.certified_only),
        status: Set(DemandStatus::Open),
        accepted_quantity: Set(0),
        posted_by: Set(caller.viewer.user_id),
        posted_at: Set(Utc::now()),
        closed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "postDemand",
                target_type: "Demand",
                target_id: Some(posted.id),
                summary: json!({
                    "category": posted.category.api_name(), "quantity": posted.quantity,
                    "regionCode": posted.region_code, "ceilingFen": posted.price_ceiling_fen,
                }),
            },
        )
        .await?;
    txn.commit().await?;
    caller
        .services
        .bus
        .publish([Event::DemandPosted(DemandPosted {
            demand_id: posted.id,
            buyer_org_id: posted.buyer_org_id,
            category: posted.category.api_name(),
            region_code: posted.region_code.clone(),
        })]);
    Ok(posted)
}

/// The buyer closes its need: no more quotes, none accepted.
pub async fn close(caller: Caller<'_>, id: Uuid) -> AppResult<demand::Model> {
    let db = caller.db();
    let need = load_visible(db, caller.viewer, id).await?;
    require_member(db, caller.viewer, need.buyer_org_id, false).await?;
    let txn = db.begin().await?;
    let closed = demand::Entity::update_many()
        .col_expr(demand::Column::Status, Expr::value(DemandStatus::Closed))
        .col_expr(demand::Column::ClosedAt, Expr::value(Some(Utc::now())))
        .filter(demand::Column::Id.eq(need.id))
        .filter(demand::Column::Status.eq(DemandStatus::Open))
        .exec(&txn)
        .await?;
    if closed.rows_affected == 0 {
        return Err(AppError::field(
            "demandId",
            ErrorCode::InvalidState,
            msg!("demands.need_filled_closed_already"),
        ));
    }
    caller
        .audit(
            &txn,
            Change {
                action: "closeDemand",
                target_type: "Demand",
                target_id: Some(need.id),
                summary: json!({ "acceptedQuantity": need.accepted_quantity }),
            },
        )
        .await?;
    txn.commit().await?;
    load(db, need.id).await
}

pub async fn load(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<demand::Model> {
    demand::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.demand"))
}

/// Who reads the needs, as far as they care: the viewer's organisation and, for a producer,
/// the helpers paired with its area.
#[derive(Clone, Debug, Default)]
pub struct Reader {
    pub admin: bool,
    pub organization: Option<Uuid>,
    /// Buyer organisations named as helpers of a pairing covering the producer's area.
    pub paired_orgs: Vec<Uuid>,
    /// Helping regions of those pairings: their buyers sit in these subtrees.
    pub paired_codes: Vec<String>,
}

impl Reader {
    pub async fn of(
        conn: &impl ConnectionTrait,
        viewer: &Viewer,
        day: NaiveDate,
    ) -> AppResult<Self> {
        let organization = membership_of(conn, viewer.user_id)
            .await?
            .map(|m| m.organization_id);
        let mut reader = Reader {
            admin: viewer.is_admin(),
            organization,
            ..Reader::default()
        };
        if let Some(org) = organization
            && let Ok((_, profile)) = producers::load(conn, org).await
        {
            for pairing in regions::pairings_helping_place(conn, &profile.region_code, day).await? {
                reader.paired_orgs.extend(pairing.helper_org_id);
                reader.paired_codes.extend(pairing.helper_region_code);
            }
        }
        Ok(reader)
    }

    /// Open needs, and the reader's own in any state (everything for admins).
    pub fn visible(&self, day: NaiveDate) -> Condition {
        if self.admin {
            return Condition::all();
        }
        let mut any = Condition::any().add(state_condition(DemandState::Open, day));
        if let Some(org) = self.organization {
            any = any.add(demand::Column::BuyerOrgId.eq(org));
        }
        any
    }

    fn is_paired(&self, need: &demand::Model) -> bool {
        self.paired_orgs.contains(&need.buyer_org_id)
            || self
                .paired_codes
                .iter()
                .any(|c| need.buyer_region_code.starts_with(c.as_str()))
    }

    fn paired_expr(&self) -> SimpleExpr {
        let mut inside = Condition::any();
        if !self.paired_orgs.is_empty() {
            inside = inside.add(demand::Column::BuyerOrgId.is_in(self.paired_orgs.clone()));
        }
        for code in &self.paired_codes {
            inside = inside.add(subtree(demand::Column::BuyerRegionCode, code));
        }
        Expr::case(inside, 0).finally(1).into()
    }

    fn has_pairings(&self) -> bool {
        !self.paired_orgs.is_empty() || !self.paired_codes.is_empty()
    }
}

/// A need the viewer may see; `NOT_FOUND` otherwise, as for an unknown ID.
pub async fn load_visible(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<demand::Model> {
    let day = Utc::now().date_naive();
    let reader = Reader::of(conn, viewer, day).await?;
    demand::Entity::find_by_id(id)
        .filter(reader.visible(day))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.demand"))
}

#[derive(Clone, Debug, Default)]
pub struct DemandFilter {
    pub categories: Vec<ProductCategory>,
    /// Delivery region in this subtree.
    pub region_code: Option<String>,
    pub states: Vec<DemandState>,
    /// Only the reader's organisation's own needs.
    pub mine: bool,
}

/// A page of the needs the reader may see: for a producer, those of buyers paired with its
/// area first; then the newest first.
pub async fn list<N: OutputType>(
    db: &DatabaseConnection,
    filter: &DemandFilter,
    reader: &Reader,
    day: NaiveDate,
    args: &PageArgs,
    to_node: impl Fn(demand::Model) -> N,
) -> AppResult<Page<N>> {
    let mut select = demand::Entity::find().filter(reader.visible(day));
    if !filter.categories.is_empty() {
        select = select.filter(demand::Column::Category.is_in(filter.categories.clone()));
    }
    if let Some(code) = &filter.region_code {
        select = select.filter(subtree(demand::Column::RegionCode, code));
    }
    if !filter.states.is_empty() {
        let mut any = Condition::any();
        for state in &filter.states {
            any = any.add(state_condition(*state, day));
        }
        select = select.filter(any);
    }
    if filter.mine {
        // No organisation, no needs of its own.
        let org = reader.organization.unwrap_or(Uuid::nil());
        select = select.filter(demand::Column::BuyerOrgId.eq(org));
    }
    let mut keys = Vec::new();
    let paired = reader.has_pairings();
    if paired {
        keys.push(SortKey::expr(reader.paired_expr(), CursorKind::Int, false));
    }
    keys.push(SortKey::desc(demand::Column::Id));
    let reader = reader.clone();
    let values = move |d: &demand::Model| {
        let mut values = Vec::with_capacity(2);
        if paired {
            values.push(CursorValue::Int(i64::from(!reader.is_paired(d))));
        }
        values.push(CursorValue::Uuid(d.id));
        values
    };
    pagination::paginate(db, select, &keys, args, values, to_node).await
}

/// The catalogue filter a need implies: its category, its ceiling, certified if it asks so.
pub fn suggestion_filter(need: &demand::Model) -> ProductFilter {
    ProductFilter {
        categories: vec![need.category],
        max_price_fen: need.price_ceiling_fen,
        certified_only: need.certified_only,
        ..ProductFilter::default()
    }
}

/// The best matching published products for an open need: the catalogue search with the
/// need's filter, in `PRIORITY` order for the need's buyer (its paired areas first).
pub async fn suggestions<N: OutputType>(
    db: &DatabaseConnection,
    need: &demand::Model,
    day: NaiveDate,
    args: &PageArgs,
    to_node: impl Fn(entity::product::Model) -> N,
) -> AppResult<Page<N>> {
    let filter = suggestion_filter(need);
    let paired_codes = match buyers::load(db, need.buyer_org_id).await {
        Ok((_, buyer)) => regions::pairings_helping_buyer(db, &buyer, day)
            .await?
            .into_iter()
            .map(|p| p.helped_region_code)
            .collect(),
        Err(_) => Vec::new(),
    };
    let audience = Audience {
        listed_only: true,
        paired_codes,
        visible: None,
    };
    search::search(
        db,
        &filter,
        ProductSort::Priority,
        &audience,
        day,
        args,
        to_node,
    )
    .await
}

/// The producer whose member watches for new needs; others may not.
pub async fn watching_producer(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Uuid> {
    let org = membership_of(conn, viewer.user_id)
        .await?
        .map(|m| m.organization_id)
        .ok_or(AppError::Forbidden("forbidden.new_needs_members_producer"))?;
    producers::load(conn, org)
        .await
        .map_err(|_| AppError::Forbidden("forbidden.new_needs_members_producer"))?;
    Ok(org)
}

/// A newly posted need, if it concerns `producer`: still open, and of a category the producer
/// has listed products in.
pub async fn posted_for(
    conn: &impl ConnectionTrait,
    producer: Uuid,
    id: Uuid,
) -> AppResult<Option<demand::Model>> {
    let Some(need) = demand::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    if !need.open_on(Utc::now().date_naive()) {
        return Ok(None);
    }
    let offers = entity::product::Entity::find()
        .filter(entity::product::Column::ProducerOrgId.eq(producer))
        .filter(entity::product::Column::Category.eq(need.category))
        .filter(entity::product::Column::Listed.eq(true))
        .one(conn)
        .await?;
    Ok(offers.map(|_| need))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn need(quantity: i64, starts: &str, ends: &str, ceiling: Option<i64>) -> NeedInput {
        NeedInput {
            category: ProductCategory::Vegetables,
            spec: "土豆, 一级".into(),
            quantity,
            unit: "公斤".into(),
            rhythm: DemandRhythm::Weekly,
            region_code: "1301".into(),
            starts_on: day(starts),
            ends_on: day(ends),
            price_ceiling_fen: ceiling,
            certified_only: false,
        }
    }

    fn fields(result: AppResult<()>) -> Vec<String> {
        match result {
            Err(AppError::User(errors)) => errors
                .into_iter()
                .filter_map(|e| e.field.and_then(|f| f.last().cloned()))
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn a_need_is_positive_bounded_and_its_period_ahead_and_ordered() {
        let today = day("2026-03-01");
        assert!(check(&need(10, "2026-03-01", "2026-06-30", Some(300)), today).is_ok());
        assert_eq!(
            fields(check(&need(0, "2026-03-01", "2026-03-02", None), today)),
            ["quantity"]
        );
        assert_eq!(
            fields(check(&need(5, "2026-03-01", "2026-03-02", Some(0)), today)),
            ["priceCeiling"]
        );
        assert_eq!(
            fields(check(&need(5, "2026-02-28", "2026-03-02", None), today)),
            ["startsOn"]
        );
        assert_eq!(
            fields(check(&need(5, "2026-03-05", "2026-03-02", None), today)),
            ["endsOn"]
        );
        assert_eq!(
            fields(check(&need(5, "2026-03-05", "2030-03-02", None), today)),
            ["endsOn"]
        );
        let mut long = need(5, "2026-03-05", "2026-03-06", None);
        long.spec = "菜".repeat(501);
        assert_eq!(fields(check(&long, today)), ["spec"]);
    }

    #[test]
    fn an_open_need_expires_after_its_period() {
        let row = demand::Model {
            id: Uuid::nil(),
            buyer_org_id: Uuid::nil(),
            buyer_region_code: "1301".into(),
            category: ProductCategory::Vegetables,
            spec: "土豆".into(),
            quantity: 10,
            unit: "公斤".into(),
            rhythm: DemandRhythm::Once,
            region_code: "1301".into(),
            starts_on: day("2026-03-01"),
            ends_on: day("2026-03-31"),
            price_ceiling_fen: None,
            certified_only: false,
            status: DemandStatus::Open,
            accepted_quantity: 0,
            posted_by: Uuid::nil(),
            posted_at: Utc::now(),
            closed_at: None,
        };
        assert_eq!(state_on(&row, day("2026-03-31")), DemandState::Open);
        assert_eq!(state_on(&row, day("2026-04-01")), DemandState::Expired);
        let filled = demand::Model {
            status: DemandStatus::Filled,
            ..row.clone()
        };
        assert_eq!(state_on(&filled, day("2026-04-01")), DemandState::Filled);
        let reader = Reader {
            paired_codes: vec!["44".into()],
            ..Reader::default()
        };
        assert!(!reader.is_paired(&row));
        let paired = demand::Model {
            buyer_region_code: "4406".into(),
            ..row
        };
        assert!(reader.is_paired(&paired));
    }
}
