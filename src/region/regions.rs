//! Region rules: look-ups by division code, new regions, poverty status with its history (and
//! the products' poverty rank that follows it), and pairings (结对帮扶).
//!
//! A division code is a materialised path (a county's code starts with its city's, which starts
//! with its province's), so "this region and everything below it" is a range on an
//! indexed column, never a recursive query.

use chrono::{NaiveDate, Utc};
use entity::{
    api_name::ApiName,
    buyer,
    pairing::{self, PairingKind},
    product,
    region::{self, PovertyStatus, RegionLevel},
    region_status,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait,
    IntoSimpleExpr, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
    sea_query::{Expr, SimpleExpr},
};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use crate::{
    audit::Change,
    auth::{Caller, scope},
    error::{AppError, AppResult, Checks, ErrorCode, is_unique_violation},
    ids::new_uuid,
};

/// Code lengths of the five levels, top down.
const LEVEL_LENGTHS: [usize; 5] = [2, 4, 6, 9, 12];

/// `column` lies in the subtree of `code`: `code <= column < code || 'A'`. Codes are digits, and
/// 'A' sorts after every digit in byte order and in every collation, so the range is exact.
pub fn subtree(column: impl IntoSimpleExpr, code: &str) -> Condition {
    let column: SimpleExpr = column.into_simple_expr();
    Condition::all()
        .add(Expr::expr(column.clone()).gte(code.to_owned()))
        .add(Expr::expr(column).lt(format!("{code}A")))
}

/// The codes of a region and all its ancestors, top down.
pub fn chain_codes(code: &str) -> Vec<String> {
    LEVEL_LENGTHS
        .iter()
        // `get`, not slicing: a client's code may cut a multi-byte character.
        .filter_map(|&n| code.get(..n))
        .map(str::to_owned)
        .collect()
}

/// The parent's code, by the code's shape.
pub fn parent_code(code: &str) -> Option<String> {
    let position = LEVEL_LENGTHS.iter().position(|&n| n == code.len())?;
    position
        .checked_sub(1)
        .and_then(|p| code.get(..LEVEL_LENGTHS[p]))
        .map(str::to_owned)
}

pub fn is_code(code: &str) -> bool {
    LEVEL_LENGTHS.contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

pub async fn find(conn: &impl ConnectionTrait, code: &str) -> AppResult<Option<region::Model>> {
    Ok(region::Entity::find_by_id(code.to_owned())
        .one(conn)
        .await?)
}

/// The region `input.<field>` names, which must exist and be of one of `levels`.
pub async fn require(
    conn: &impl ConnectionTrait,
    code: &str,
    field: &str,
    levels: &[RegionLevel],
) -> AppResult<region::Model> {
    let found = if is_code(code) {
        find(conn, code).await?
    } else {
        None
    };
    let region = found.ok_or_else(|| {
        AppError::field(
            field,
            ErrorCode::NotFound,
            msg!("regions.no_region_has_code", code = format!("{:?}", code)),
        )
    })?;
    if !levels.contains(&region.level) {
        let wanted: Vec<String> = levels.iter().map(|l| l.api_name()).collect();
        return Err(AppError::field(
            field,
            ErrorCode::WrongRegionLevel,
            msg!(
                "regions.expected",
                name = region.name,
                level = region.level.api_name(),
                value2 = wanted.join(" or ")
            ),
        ));
    }
    Ok(region)
}

/// Priority rank of a place: the poorest status along its chain (a village in a deep-poverty
/// county ranks as deep poverty).
pub async fn poverty_rank(conn: &impl ConnectionTrait, code: &str) -> AppResult<i16> {
    let chain = region::Entity::find()
        .filter(region::Column::Code.is_in(chain_codes(code)))
        .all(conn)
        .await?;
    Ok(chain
        .iter()
        .map(|r| r.poverty_status.rank())
        .min()
        .unwrap_or(PovertyStatus::NotPoor.rank()))
}

/// The poverty status each level of `code`'s chain had on `day`, by code length, in two
/// queries (a receipt classifies its entries by all five levels).
pub async fn chain_statuses_on(
    conn: &impl ConnectionTrait,
    code: &str,
    day: NaiveDate,
) -> AppResult<HashMap<usize, PovertyStatus>> {
    let chain = chain_codes(code);
    let regions = region::Entity::find()
        .filter(region::Column::Code.is_in(chain.clone()))
        .all(conn)
        .await?;
    let mut statuses: HashMap<usize, PovertyStatus> = regions
        .iter()
        .map(|r| (r.code.len(), r.poverty_status))
        .collect();
    // Newest change first per region; the first seen for a region is the one in force.
    let changes = region_status::Entity::find()
        .filter(region_status::Column::RegionCode.is_in(chain))
        .filter(region_status::Column::EffectiveFrom.lte(day))
        .order_by_desc(region_status::Column::EffectiveFrom)
        .order_by_desc(region_status::Column::RecordedAt)
        .all(conn)
        .await?;
    let mut decided = HashSet::new();
    for change in changes {
        let level = change.region_code.len();
        if statuses.contains_key(&level) && decided.insert(level) {
            statuses.insert(level, change.status);
        }
    }
    Ok(statuses)
}

/// Adds one division (admins; for places the national tables lack).
pub async fn create_region(caller: Caller<'_>, code: &str, name: &str) -> AppResult<region::Model> {
    if !caller.viewer.is_admin() {
        return Err(AppError::Forbidden(
            "forbidden.only_platform_admins_add_regions",
        ));
    }
    let mut checks = Checks::default();
    checks
        .require(
            is_code(code),
            "code",
            ErrorCode::Invalid,
            msg!("regions.division_code_has_2_4_6"),
        )
        .length(name, "name", 1, 100);
    checks.finish()?;
    let db = caller.db();
    let parent = parent_code(code);
    if let Some(parent) = &parent
        && find(db, parent).await?.is_none()
    {
        return Err(AppError::field(
            "code",
            ErrorCode::NotFound,
            msg!("regions.parent_region_does_not_exist", parent = parent),
        ));
    }
    let level =
        RegionLevel::of_code(code).ok_or_else(|| AppError::BadInput(msg!("regions.bad_code")))?;
    let txn = db.begin().await?;
    let created = region::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(name.trim().to_owned()),
        level: Set(level),
        parent_code: Set(parent),
        poverty_status: Set(PovertyStatus::NotPoor),
        exit_year: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::field(
                "code",
                ErrorCode::Duplicate,
                msg!("regions.region_exists_already"),
            )
        } else {
            e.into()
        }
    })?;
    caller
        .audit(
            &txn,
            Change {
                action: "createRegion",
                target_type: "Region",
                target_id: None,
                summary: json!({ "code": code, "name": created.name }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(created)
}

pub struct StatusChange {
    pub status: PovertyStatus,
    pub exit_year: Option<i32>,
    pub effective_from: Option<NaiveDate>,
}

/// An exited region has the year it exited (not after `this_year`); no other has one.
fn check_status(change: &StatusChange, this_year: i32) -> AppResult<()> {
    let mut checks = Checks::default();
    match change.status {
        PovertyStatus::Exited => checks.require(
            change
                .exit_year
                .is_some_and(|y| (2000..=this_year).contains(&y)),
            "exitYear",
            ErrorCode::Invalid,
            msg!("regions.exited_region_needs_year_exited_not"),
        ),
        _ => checks.require(
            change.exit_year.is_none(),
            "exitYear",
            ErrorCode::Invalid,
            msg!("regions.only_exited_region_has_exit_year"),
        ),
    };
    checks.finish()
}

/// Sets the region's status and adds the change to its history.
async fn save_status(
    conn: &impl ConnectionTrait,
    region: &region::Model,
    change: &StatusChange,
    effective_from: NaiveDate,
    recorded_by: Uuid,
) -> AppResult<region::Model> {
    let mut active: region::ActiveModel = region.clone().into();
    active.poverty_status = Set(change.status);
    active.exit_year = Set(change.exit_year);
    let updated = active.update(conn).await?;
    region_status::ActiveModel {
        id: Set(new_uuid()),
        region_code: Set(region.code.clone()),
        status: Set(change.status),
        exit_year: Set(change.exit_year),
        effective_from: Set(effective_from),
        recorded_by: Set(Some(recorded_by)),
        recorded_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok(updated)
}

/// Records a county's or village's poverty status (officers over it, or admins), keeping the
/// history, and re-ranks the products of the subtree.
pub async fn update_status(
    caller: Caller<'_>,
    code: &str,
    change: StatusChange,
) -> AppResult<region::Model> {
    let db = caller.db();
    let region = require(
        db,
        code,
        "code",
        &[RegionLevel::County, RegionLevel::Village],
    )
    .await?;
    scope::require_acting_over(db, caller.viewer, &region.code).await?;
    let this_year = Utc::now()
        .date_naive()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap_or(2026);
    check_status(&change, this_year)?;
    let effective_from = change
        .effective_from
        .unwrap_or_else(|| Utc::now().date_naive());

    let txn = db.begin().await?;
    let updated = save_status(
        &txn,
        &region,
        &change,
        effective_from,
        caller.viewer.user_id,
    )
    .await?;
    rerank_products(&txn, &region.code).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "updateRegionStatus",
                target_type: "Region",
                target_id: None,
                summary: json!({
                    "code": region.code, "from": region.poverty_status.api_name(),
                    "to": change.status.api_name(), "exitYear": change.exit_year,
                    "effectiveFrom": effective_from.to_string(),
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Recomputes the poverty rank copied onto the products of a subtree.
async fn rerank_products(conn: &impl ConnectionTrait, code: &str) -> AppResult<()> {
    let places: Vec<String> = product::Entity::find()
        .select_only()
        .column(product::Column::RegionCode)
        .distinct()
        .filter(subtree(product::Column::RegionCode, code))
        .into_tuple()
        .all(conn)
        .await?;
    for place in places {
        let rank = poverty_rank(conn, &place).await?;
        product::Entity::update_many()
            .col_expr(product::Column::PovertyRank, Expr::value(rank))
            .filter(product::Column::RegionCode.eq(place))
            .exec(conn)
            .await?;
    }
    Ok(())
}

pub struct NewPairing {
    pub helper_region_code: Option<String>,
    pub helper_org_id: Option<Uuid>,
    pub helped_region_code: String,
    pub kind: PairingKind,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

/// A pairing names one helper, a region or a buyer, and does not end before it starts.
fn check_pairing(input: &NewPairing) -> AppResult<()> {
    let mut checks = Checks::default();
    checks.require(
        input.helper_region_code.is_some() != input.helper_org_id.is_some(),
        "helperRegionCode",
        ErrorCode::Invalid,
        msg!("regions.name_either_helping_region_helping_buyer"),
    );
    checks.require(
        input.ends_on.is_none_or(|end| end >= input.starts_on),
        "endsOn",
        ErrorCode::Invalid,
        msg!("regions.pairing_cannot_end_before_starts"),
    );
    checks.finish()
}

/// The helper must exist: a province, city or county other than the helped region, or a
/// registered buyer.
async fn require_helper(
    conn: &impl ConnectionTrait,
    input: &NewPairing,
    helped: &region::Model,
) -> AppResult<()> {
    if let Some(helper) = &input.helper_region_code {
        let levels = [
            RegionLevel::Province,
            RegionLevel::City,
            RegionLevel::County,
        ];
        let helper = require(conn, helper, "helperRegionCode", &levels).await?;
        // A city's units may well help a county of their own city (定点帮扶); only a region
        // helping itself makes no sense.
        if helped.code == helper.code {
            return Err(AppError::field(
                "helpedRegionCode",
                ErrorCode::Invalid,
                msg!("regions.region_cannot_paired_itself"),
            ));
        }
    }
    if let Some(org) = input.helper_org_id
        && buyer::Entity::find_by_id(org).one(conn).await?.is_none()
    {
        return Err(AppError::field(
            "helperOrganizationId",
            ErrorCode::NotFound,
            msg!("regions.no_buyer_organisation_has_id"),
        ));
    }
    Ok(())
}

/// Pairs a helping region or buyer organisation with a helped county or village (admins).
pub async fn create_pairing(caller: Caller<'_>, input: NewPairing) -> AppResult<pairing::Model> {
    if !caller.viewer.is_admin() {
        return Err(AppError::Forbidden(
            "forbidden.only_platform_admins_pair_regions",
        ));
    }
    let db = caller.db();
    check_pairing(&input)?;
    let helped = require(
        db,
        &input.helped_region_code,
        "helpedRegionCode",
        &[RegionLevel::County, RegionLevel::Village],
    )
    .await?;
    require_helper(db, &input, &helped).await?;
    let txn = db.begin().await?;
    let created = pairing::ActiveModel {
        id: Set(new_uuid()),
        helper_region_code: Set(input.helper_region_code),
        helper_org_id: Set(input.helper_org_id),
        helped_region_code: Set(helped.code.clone()),
        kind: Set(input.kind),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        created_by: Set(Some(caller.viewer.user_id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    let helper =
        (created.helper_region_code.clone()).or(created.helper_org_id.map(|o| o.to_string()));
    caller
        .audit(
            &txn,
            Change {
                action: "createPairing",
                target_type: "Pairing",
                target_id: Some(created.id),
                summary: json!({
                    "helper": helper, "helped": created.helped_region_code,
                    "kind": created.kind.api_name(),
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(created)
}

/// Pairings in force on `day` that help a buyer: made with the organisation itself, or with a
/// region the buyer sits in.
pub async fn pairings_helping_buyer(
    conn: &impl ConnectionTrait,
    buyer: &buyer::Model,
    day: NaiveDate,
) -> AppResult<Vec<pairing::Model>> {
    let chain = chain_codes(&buyer.region_code);
    Ok(pairing::Entity::find()
        .filter(
            Condition::any()
                .add(pairing::Column::HelperOrgId.eq(buyer.organization_id))
                .add(pairing::Column::HelperRegionCode.is_in(chain)),
        )
        .filter(pairing::Column::StartsOn.lte(day))
        .filter(
            Condition::any()
                .add(pairing::Column::EndsOn.is_null())
                .add(pairing::Column::EndsOn.gte(day)),
        )
        .all(conn)
        .await?)
}

/// Pairings in force on `day` that help a place: their helped region is the place or one of
/// its ancestors (a producer in a paired county's village is helped by that pairing).
pub async fn pairings_helping_place(
    conn: &impl ConnectionTrait,
    code: &str,
    day: NaiveDate,
) -> AppResult<Vec<pairing::Model>> {
    Ok(pairing::Entity::find()
        .filter(pairing::Column::HelpedRegionCode.is_in(chain_codes(code)))
        .filter(pairing::Column::StartsOn.lte(day))
        .filter(
            Condition::any()
                .add(pairing::Column::EndsOn.is_null())
                .add(pairing::Column::EndsOn.gte(day)),
        )
        .all(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_know_their_chain_and_parent() {
        assert_eq!(
            chain_codes("130126100201"),
            ["13", "1301", "130126", "130126100", "130126100201"]
        );
        assert_eq!(parent_code("130126"), Some("1301".to_owned()));
        assert_eq!(parent_code("13"), None);
        assert_eq!(parent_code("1301261"), None);
        // A client's "code" may cut a character in two: no panic, just no such prefix.
        assert_eq!(chain_codes("红薯"), vec!["红薯".to_owned()]);
        assert_eq!(parent_code("红薯"), None);
        assert!(is_code("130126100"));
        assert!(!is_code("13012a"));
    }

    fn pairing(region: bool, org: bool, ends: Option<&str>) -> NewPairing {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        NewPairing {
            helper_region_code: region.then(|| "44".to_owned()),
            helper_org_id: org.then(|| Uuid::from_u128(1)),
            helped_region_code: "130126".into(),
            kind: PairingKind::EastWest,
            starts_on: day("2025-01-01"),
            ends_on: ends.map(day),
        }
    }

    #[test]
    fn a_pairing_names_one_helper_and_ends_after_it_starts() {
        assert!(check_pairing(&pairing(true, false, None)).is_ok());
        assert!(check_pairing(&pairing(false, true, Some("2025-12-31"))).is_ok());
        assert!(check_pairing(&pairing(true, true, None)).is_err());
        assert!(check_pairing(&pairing(false, false, None)).is_err());
        assert!(check_pairing(&pairing(true, false, Some("2024-12-31"))).is_err());
    }

    #[test]
    fn only_an_exited_region_has_an_exit_year() {
        let change = |status, exit_year| StatusChange {
            status,
            exit_year,
            effective_from: None,
        };
        assert!(check_status(&change(PovertyStatus::Exited, Some(2020)), 2026).is_ok());
        assert!(check_status(&change(PovertyStatus::Exited, None), 2026).is_err());
        assert!(check_status(&change(PovertyStatus::Exited, Some(2027)), 2026).is_err());
        assert!(check_status(&change(PovertyStatus::Poor, Some(2020)), 2026).is_err());
        assert!(check_status(&change(PovertyStatus::Poor, None), 2026).is_ok());
    }
}
