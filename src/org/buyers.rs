//! Buyer rules: registration of buying units and their yearly procurement declaration (832-style),
//! checked against the reserved share the jurisdiction's policy asks for that year.

use chrono::{Datelike, Utc};
use entity::{
    api_name::ApiName,
    buyer::{self, BuyerKind},
    organization::{self, OrganizationKind},
    procurement_declaration::{self, CanteenArrangement},
    procurement_policy,
    region::RegionLevel,
    unit_link::UnitLinkKind,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionTrait, sea_query::OnConflict,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    links,
    members::{is_phone, registrant, require_member},
};
use crate::{
    audit::Change,
    auth::{Caller, Viewer},
    error::{AppError, AppResult, Checks, ErrorCode},
    ids::new_uuid,
    region,
};

/// Levels a buying unit may sit at.
pub const BUYER_LEVELS: &[RegionLevel] = &[
    RegionLevel::Province,
    RegionLevel::City,
    RegionLevel::County,
    RegionLevel::Township,
];

pub type BuyerRecord = (organization::Model, buyer::Model);

#[derive(Clone, Debug)]
pub struct BuyerInput {
    pub name: String,
    pub kind: BuyerKind,
    pub region_code: String,
    pub parent_org_id: Option<Uuid>,
    pub contact_name: String,
    pub contact_phone: String,
}

fn check(input: &BuyerInput) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .length(&input.name, "name", 2, 100)
        .length(&input.contact_name, "contactName", 1, 50)
        .require(
            is_phone(&input.contact_phone),
            "contactPhone",
            ErrorCode::Invalid,
            msg!("buyers.not_phone_number"),
        );
    checks.finish()
}

/// The buyer unit the viewer orders for.
pub async fn buyer_of(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Uuid> {
    let membership = super::membership::membership_of(conn, viewer.user_id)
        .await?
        .ok_or(AppError::Forbidden(
            "forbidden.only_members_buyer_unit_place_orders",
        ))?;
    load(conn, membership.organization_id)
        .await
        .map_err(|_| AppError::Forbidden("forbidden.only_members_registered_buyer_unit_place"))?;
    Ok(membership.organization_id)
}

pub async fn load(conn: &impl ConnectionTrait, organization_id: Uuid) -> AppResult<BuyerRecord> {
    match buyer::Entity::find_by_id(organization_id)
        .find_also_related(organization::Entity)
        .one(conn)
        .await?
    {
        Some((profile, Some(org))) => Ok((org, profile)),
        _ => Err(AppError::NotFound("not_found.buyer")),
    }
}

/// A parent unit must exist, and must not be the unit itself or one of its descendants.
async fn check_parent(
    conn: &impl ConnectionTrait,
    unit: Option<Uuid>,
    parent: Option<Uuid>,
) -> AppResult<()> {
    let mut next = parent;
    for _ in 0..16 {
        let Some(current) = next else { return Ok(()) };
        if Some(current) == unit {
            return Err(AppError::field(
                "parentId",
                ErrorCode::Invalid,
                msg!("buyers.unit_cannot_own_parent"),
            ));
        }
        let found = buyer::Entity::find_by_id(current).one(conn).await?;
        let Some(found) = found else {
            return Err(AppError::field(
                "parentId",
                ErrorCode::NotFound,
                msg!("buyers.no_buyer_has_id"),
            ));
        };
        next = found.parent_org_id;
    }
    Err(AppError::field(
        "parentId",
        ErrorCode::Invalid,
        msg!("buyers.parent_chain_too_deep"),
    ))
}

/// Registers a buying unit: completes an existing buyer organisation (its admins), or creates one
/// with the registering user as its admin (admins may register units for others).
pub async fn create(
    caller: Caller<'_>,
    organization_id: Option<Uuid>,
    input: BuyerInput,
) -> AppResult<BuyerRecord> {
    check(&input)?;
    let db = caller.db();
    let place =
        region::regions::require(db, &input.region_code, "regionCode", BUYER_LEVELS).await?;
    check_parent(db, organization_id, input.parent_org_id).await?;
    let exists = async |id| Ok(buyer::Entity::find_by_id(id).one(db).await?.is_some());
    let registrant = registrant(
        db,
        caller.viewer,
        organization_id,
        OrganizationKind::Buyer,
        &place.code,
        exists,
    )
    .await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let org = registrant
        .save(
            &txn,
            caller.viewer,
            OrganizationKind::Buyer,
            &input.name,
            &place.code,
        )
        .await?;
    let profile = buyer::ActiveModel {
        organization_id: Set(org.id),
        kind: Set(input.kind),
        region_code: Set(place.code.clone()),
        parent_org_id: Set(input.parent_org_id),
        contact_name: Set(input.contact_name.trim().to_owned()),
        contact_phone: Set(input.contact_phone.trim().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    reconcile_parent(&txn, caller, &profile).await?;
    let summary = json!({ "name": org.name, "region": place.code, "kind": input.kind.api_name() });
    caller
        .audit(
            &txn,
            Change {
                action: "createBuyer",
                target_type: "Buyer",
                target_id: Some(org.id),
                summary,
            },
        )
        .await?;
    txn.commit().await?;
    Ok((org, profile))
}

#[derive(Clone, Debug, Default)]
pub struct BuyerChanges {
    pub name: Option<String>,
    pub kind: Option<BuyerKind>,
    pub region_code: Option<String>,
    pub parent_org_id: Option<Option<Uuid>>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

/// Changes a buyer's registry entry (its admins, or platform admins).
pub async fn update(
    caller: Caller<'_>,
    organization_id: Uuid,
    changes: BuyerChanges,
) -> AppResult<BuyerRecord> {
    let db = caller.db();
    let (org, profile) = load(db, organization_id).await?;
    if !caller.viewer.is_admin() {
        require_member(db, caller.viewer, organization_id, true).await?;
    }
    let merged = BuyerInput {
        name: changes.name.unwrap_or_else(|| org.name.clone()),
        kind: changes.kind.unwrap_or(profile.kind),
        region_code: changes
            .region_code
            .unwrap_or_else(|| profile.region_code.clone()),
        parent_org_id: changes.parent_org_id.unwrap_or(profile.parent_org_id),
        contact_name: changes
            .contact_name
            .unwrap_or_else(|| profile.contact_name.clone()),
        contact_phone: changes
            .contact_phone
            .unwrap_or_else(|| profile.contact_phone.clone()),
    };
    check(&merged)?;
    let place =
        region::regions::require(db, &merged.region_code, "regionCode", BUYER_LEVELS).await?;
    check_parent(db, Some(organization_id), merged.parent_org_id).await?;
    let txn = db.begin().await?;
    let mut org_active: organization::ActiveModel = org.into();
    org_active.name = Set(merged.name.trim().to_owned());
    org_active.region_code = Set(Some(place.code.clone()));
    let org = org_active.update(&txn).await?;
    let mut active: buyer::ActiveModel = profile.into();
    active.kind = Set(merged.kind);
    active.region_code = Set(place.code.clone());
    active.parent_org_id = Set(merged.parent_org_id);
    active.contact_name = Set(merged.contact_name.trim().to_owned());
    active.contact_phone = Set(merged.contact_phone.trim().to_owned());
    active.updated_at = Set(Utc::now());
    let profile = active.update(&txn).await?;
    reconcile_parent(&txn, caller, &profile).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "updateBuyer",
                target_type: "Buyer",
                target_id: Some(organization_id),
                summary: json!({ "name": org.name, "region": place.code }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok((org, profile))
}

/// Naming a parent proposes a standing link to it (canteen, union, staff or other unit below it,
/// by the unit's kind), which the parent confirms; a changed parent or kind replaces the link.
async fn reconcile_parent(
    conn: &impl ConnectionTrait,
    caller: Caller<'_>,
    profile: &buyer::Model,
) -> AppResult<()> {
    let wanted = profile.parent_org_id.map(|parent| links::Wanted {
        kind: links::parent_link_kind(profile.kind),
        unit: parent,
        counted: profile.organization_id,
        year: None,
    });
    links::reconcile(
        conn,
        caller,
        profile.organization_id,
        links::PARENT_KINDS,
        None,
        wanted,
    )
    .await
}

/// The reserved share (basis points) a buyer in `region_code` must declare for `year`: the most
/// specific policy on record, else the national rule (none before 2021, 10% from 2021 on:
/// 财库〔2019〕27号, 财库〔2021〕19号).
pub async fn minimum_share_bp(
    conn: &impl ConnectionTrait,
    region_code: &str,
    year: i32,
) -> AppResult<i32> {
    let mut scopes = region::regions::chain_codes(region_code);
    scopes.push(String::new());
    let policies = procurement_policy::Entity::find()
        .filter(procurement_policy::Column::Year.eq(year))
        .filter(procurement_policy::Column::RegionCode.is_in(scopes))
        .all(conn)
        .await?;
    let most_specific = policies.into_iter().max_by_key(|p| p.region_code.len());
    Ok(match most_specific {
        Some(policy) => policy.min_reserved_share_bp,
        None if year >= 2021 => 1000,
        None => 0,
    })
}

/// A year's declaration as entered.
#[derive(Clone, Debug)]
pub struct Declaration {
    pub year: i32,
    pub canteen: CanteenArrangement,
    pub canteen_budget_fen: Option<i64>,
    pub reserved_share_percent: Option<i32>,
    pub shares_canteen_of: Option<Uuid>,
    pub contractor_org_id: Option<Uuid>,
}

/// Budget × share, rounded half up to the fen.
pub fn target_fen(budget_fen: i64, share_bp: i32) -> i64 {
    (i128::from(budget_fen) * i128::from(share_bp) + 5_000)
        .div_euclid(10_000)
        .try_into()
        .unwrap_or(i64::MAX)
}

/// Whether the unit buys food itself (and so declares a budget and a reserved share).
fn buys_food(canteen: CanteenArrangement) -> bool {
    matches!(
        canteen,
        CanteenArrangement::OwnCanteen | CanteenArrangement::Outsourced
    )
}

/// The reserved share in basis points, as declared.
fn share_bp(declaration: &Declaration) -> Option<i32> {
    declaration
        .reserved_share_percent
        .map(|p| p.saturating_mul(100))
}

/// Checks a declaration on its own: the year, the budget and share its arrangement calls for
/// (at least the policy's `minimum_bp`), and the units it names.
fn check_declaration(
    declaration: &Declaration,
    organization_id: Uuid,
    this_year: i32,
    minimum_bp: i32,
) -> AppResult<()> {
    let mut checks = Checks::default();
    checks.require(
        (2019..=this_year + 1).contains(&declaration.year),
        "year",
        ErrorCode::Invalid,
        msg!("buyers.declare_year_from_2019", value0 = this_year + 1),
    );
    check_budget_and_share(&mut checks, declaration, minimum_bp);
    check_named_units(&mut checks, declaration, organization_id);
    checks.finish()
}

/// A unit that buys declares a budget and a share no lower than the policy's; others neither.
fn check_budget_and_share(checks: &mut Checks, declaration: &Declaration, minimum_bp: i32) {
    if !buys_food(declaration.canteen) {
        checks.require(
            declaration.canteen_budget_fen.is_none()
                && declaration.reserved_share_percent.is_none(),
            "canteenBudget",
            ErrorCode::Invalid,
            msg!("buyers.only_unit_buys_canteen_declares_budget"),
        );
        return;
    }
    checks
        .require(
            declaration.canteen_budget_fen.is_some_and(|b| b > 0),
            "canteenBudget",
            ErrorCode::Invalid,
            msg!("buyers.unit_runs_canteen_declares_food_budget"),
        )
        .require(
            declaration
                .reserved_share_percent
                .is_some_and(|p| (0..=100).contains(&p)),
            "reservedSharePercent",
            ErrorCode::Invalid,
            msg!("buyers.reserved_share_percentage_from_0_100"),
        );
    if let Some(bp) = share_bp(declaration)
        && bp < minimum_bp
    {
        checks.push(crate::error::UserError::on(
            "reservedSharePercent",
            ErrorCode::BelowPolicyMinimum,
            msg!(
                "buyers.policy_asks_least",
                year = declaration.year,
                value1 = f64::from(minimum_bp) / 100.0
            ),
        ));
    }
}

/// The shared canteen's unit and the contractor are named exactly when the arrangement has
/// them, and are never the declaring unit itself.
fn check_named_units(checks: &mut Checks, declaration: &Declaration, organization_id: Uuid) {
    checks
        .require(
            (declaration.canteen == CanteenArrangement::SharesCanteen)
                == declaration.shares_canteen_of.is_some(),
            "sharesCanteenOfId",
            ErrorCode::Invalid,
            msg!("buyers.name_unit_whose_canteen_shared_only"),
        )
        .require(
            (declaration.canteen == CanteenArrangement::Outsourced)
                == declaration.contractor_org_id.is_some(),
            "contractorId",
            ErrorCode::Invalid,
            msg!("buyers.name_outsourced_canteen_s_contractor_only"),
        )
        .require(
            declaration.shares_canteen_of != Some(organization_id)
                && declaration.contractor_org_id != Some(organization_id),
            "sharesCanteenOfId",
            ErrorCode::Invalid,
            msg!("buyers.unit_cannot_share_own_canteen_contract"),
        );
}

/// The units a declaration names must be registered buyers.
async fn require_named_buyers(
    conn: &impl ConnectionTrait,
    declaration: &Declaration,
) -> AppResult<()> {
    for (field, other) in [
        ("sharesCanteenOfId", declaration.shares_canteen_of),
        ("contractorId", declaration.contractor_org_id),
    ] {
        if let Some(other) = other
            && buyer::Entity::find_by_id(other).one(conn).await?.is_none()
        {
            return Err(AppError::field(
                field,
                ErrorCode::NotFound,
                msg!("buyers.no_buyer_has_id"),
            ));
        }
    }
    Ok(())
}

/// The row a checked declaration stores: budget and share only for a unit that buys, and the
/// target they give.
fn declaration_row(
    organization_id: Uuid,
    declaration: &Declaration,
    declared_by: Uuid,
) -> procurement_declaration::ActiveModel {
    let buys = buys_food(declaration.canteen);
    let share_bp = share_bp(declaration);
    let target = match (buys, declaration.canteen_budget_fen, share_bp) {
        (true, Some(budget), Some(bp)) => target_fen(budget, bp),
        _ => 0,
    };
    procurement_declaration::ActiveModel {
        id: Set(new_uuid()),
        buyer_org_id: Set(organization_id),
        year: Set(declaration.year),
        canteen: Set(declaration.canteen),
        canteen_budget_fen: Set(declaration.canteen_budget_fen.filter(|_| buys)),
        reserved_share_bp: Set(share_bp.filter(|_| buys)),
        target_fen: Set(target),
        shares_canteen_of: Set(declaration.shares_canteen_of),
        contractor_org_id: Set(declaration.contractor_org_id),
        declared_by: Set(declared_by),
        declared_at: Set(Utc::now()),
    }
}

/// Stores the year's declaration in place of any earlier one and reads it back.
async fn save_declaration(
    conn: &impl ConnectionTrait,
    row: procurement_declaration::ActiveModel,
    organization_id: Uuid,
    year: i32,
) -> AppResult<procurement_declaration::Model> {
    procurement_declaration::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                procurement_declaration::Column::BuyerOrgId,
                procurement_declaration::Column::Year,
            ])
            .update_columns([
                procurement_declaration::Column::Canteen,
                procurement_declaration::Column::CanteenBudgetFen,
                procurement_declaration::Column::ReservedShareBp,
                procurement_declaration::Column::TargetFen,
                procurement_declaration::Column::SharesCanteenOf,
                procurement_declaration::Column::ContractorOrgId,
                procurement_declaration::Column::DeclaredBy,
                procurement_declaration::Column::DeclaredAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    procurement_declaration::Entity::find()
        .filter(procurement_declaration::Column::BuyerOrgId.eq(organization_id))
        .filter(procurement_declaration::Column::Year.eq(year))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("declaration vanished")))
}

/// The link a saved declaration asks for: to its contractor, or to the unit whose canteen it
/// shares. The other side must consent before anything counts.
fn declared_link(saved: &procurement_declaration::Model) -> Option<links::Wanted> {
    match (saved.contractor_org_id, saved.shares_canteen_of) {
        (Some(contractor), _) => Some(links::Wanted {
            kind: UnitLinkKind::Contractor,
            unit: saved.buyer_org_id,
            counted: contractor,
            year: Some(saved.year),
        }),
        (None, Some(host)) => Some(links::Wanted {
            kind: UnitLinkKind::SharedCanteen,
            unit: host,
            counted: saved.buyer_org_id,
            year: Some(saved.year),
        }),
        (None, None) => None,
    }
}

/// Declares (or re-declares) a buyer's canteen arrangement and target for a year (its admins).
pub async fn set_target(
    caller: Caller<'_>,
    organization_id: Uuid,
    declaration: Declaration,
) -> AppResult<procurement_declaration::Model> {
    let db = caller.db();
    let (org, profile) = load(db, organization_id).await?;
    if !caller.viewer.is_admin() {
        require_member(db, caller.viewer, organization_id, true).await?;
    }
    let minimum = minimum_share_bp(db, &profile.region_code, declaration.year).await?;
    check_declaration(&declaration, organization_id, Utc::now().year(), minimum)?;
    require_named_buyers(db, &declaration).await?;

    let row = declaration_row(organization_id, &declaration, caller.viewer.user_id);
    let txn = db.begin().await?;
    let saved = save_declaration(&txn, row, organization_id, declaration.year).await?;
    links::reconcile(
        &txn,
        caller,
        organization_id,
        links::DECLARATION_KINDS,
        Some(saved.year),
        declared_link(&saved),
    )
    .await?;
    // The audit trail keeps every version; the table keeps the one in force.
    caller
        .audit(
            &txn,
            Change {
                action: "setProcurementTarget",
                target_type: "Buyer",
                target_id: Some(organization_id),
                summary: json!({
                    "buyer": org.name, "year": saved.year, "canteen": saved.canteen.api_name(),
                    "budgetFen": saved.canteen_budget_fen, "shareBp": saved.reserved_share_bp,
                    "targetFen": saved.target_fen,
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Checks a policy on its own: a percentage and a plausible year.
fn check_policy(year: i32, min_percent: i32) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .require(
            (0..=100).contains(&min_percent),
            "minReservedSharePercent",
            ErrorCode::Invalid,
            msg!("buyers.percentage_from_0_100"),
        )
        .require(
            (2019..=2100).contains(&year),
            "year",
            ErrorCode::Invalid,
            msg!("buyers.not_plausible_year"),
        );
    checks.finish()
}

/// The jurisdiction a policy is for: a province, city or county, or (empty) the whole country.
async fn policy_scope(
    conn: &impl ConnectionTrait,
    region_code: Option<String>,
) -> AppResult<String> {
    let Some(code) = region_code else {
        return Ok(String::new());
    };
    let levels = [
        RegionLevel::Province,
        RegionLevel::City,
        RegionLevel::County,
    ];
    Ok(region::regions::require(conn, &code, "regionCode", &levels)
        .await?
        .code)
}

/// Stores the jurisdiction's policy for the year in place of any earlier one and reads it back.
async fn save_policy(
    conn: &impl ConnectionTrait,
    row: procurement_policy::ActiveModel,
    code: &str,
    year: i32,
) -> AppResult<procurement_policy::Model> {
    procurement_policy::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                procurement_policy::Column::RegionCode,
                procurement_policy::Column::Year,
            ])
            .update_columns([
                procurement_policy::Column::MinReservedShareBp,
                procurement_policy::Column::SetBy,
                procurement_policy::Column::SetAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    procurement_policy::Entity::find()
        .filter(procurement_policy::Column::RegionCode.eq(code))
        .filter(procurement_policy::Column::Year.eq(year))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("policy vanished")))
}

/// Sets a jurisdiction's minimum reserved share for a year (platform admins).
pub async fn set_policy(
    caller: Caller<'_>,
    region_code: Option<String>,
    year: i32,
    min_percent: i32,
) -> AppResult<procurement_policy::Model> {
    if !caller.viewer.is_admin() {
        return Err(AppError::Forbidden(
            "forbidden.only_platform_admins_set_procurement_policy",
        ));
    }
    check_policy(year, min_percent)?;
    let db = caller.db();
    let code = policy_scope(db, region_code).await?;
    let row = procurement_policy::ActiveModel {
        id: Set(new_uuid()),
        region_code: Set(code.clone()),
        year: Set(year),
        min_reserved_share_bp: Set(min_percent * 100),
        set_by: Set(Some(caller.viewer.user_id)),
        set_at: Set(Utc::now()),
    };
    let txn = db.begin().await?;
    let saved = save_policy(&txn, row, &code, year).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "setProcurementPolicy",
                target_type: "ProcurementPolicy",
                target_id: Some(saved.id),
                summary: json!({ "region": code, "year": year, "minPercent": min_percent }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use entity::procurement_declaration::CanteenArrangement;
    use uuid::Uuid;

    use super::{Declaration, check_declaration, check_policy, declaration_row, target_fen};
    use crate::error::{AppError, ErrorCode};

    #[test]
    fn targets_round_half_up_to_the_fen() {
        assert_eq!(target_fen(100_000_000, 1000), 10_000_000);
        assert_eq!(target_fen(333, 1000), 33);
        assert_eq!(target_fen(335, 1000), 34);
        assert_eq!(target_fen(i64::MAX, 10_000), i64::MAX);
    }

    fn own_canteen(budget: Option<i64>, percent: Option<i32>) -> Declaration {
        Declaration {
            year: 2025,
            canteen: CanteenArrangement::OwnCanteen,
            canteen_budget_fen: budget,
            reserved_share_percent: percent,
            shares_canteen_of: None,
            contractor_org_id: None,
        }
    }

    fn codes(result: crate::error::AppResult<()>) -> Vec<(Option<String>, ErrorCode)> {
        match result {
            Ok(()) => Vec::new(),
            Err(AppError::User(errors)) => errors
                .into_iter()
                .map(|e| (e.field.and_then(|f| f.last().cloned()), e.code))
                .collect(),
            Err(other) => panic!("not a user error: {other:?}"),
        }
    }

    #[test]
    fn a_canteen_declares_a_budget_and_a_share_no_lower_than_the_policy() {
        let unit = Uuid::from_u128(1);
        let good = own_canteen(Some(1_000_000), Some(30));
        assert!(codes(check_declaration(&good, unit, 2025, 3000)).is_empty());
        let low = own_canteen(Some(1_000_000), Some(10));
        assert_eq!(
            codes(check_declaration(&low, unit, 2025, 3000)),
            [(
                Some("reservedSharePercent".into()),
                ErrorCode::BelowPolicyMinimum
            )]
        );
        let missing = own_canteen(None, None);
        let fields: Vec<_> = codes(check_declaration(&missing, unit, 2025, 0))
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(
            fields,
            [
                Some("canteenBudget".into()),
                Some("reservedSharePercent".into())
            ]
        );
    }

    #[test]
    fn a_declaration_names_other_units_only_when_its_arrangement_has_them() {
        let unit = Uuid::from_u128(1);
        let mut shares = own_canteen(None, None);
        shares.canteen = CanteenArrangement::SharesCanteen;
        let fields = |d: &Declaration| -> Vec<Option<String>> {
            codes(check_declaration(d, unit, 2025, 0))
                .into_iter()
                .map(|(field, _)| field)
                .collect()
        };
        assert_eq!(fields(&shares), [Some("sharesCanteenOfId".into())]);
        shares.shares_canteen_of = Some(unit);
        assert_eq!(fields(&shares), [Some("sharesCanteenOfId".into())]);
        shares.shares_canteen_of = Some(Uuid::from_u128(2));
        assert!(fields(&shares).is_empty());
        shares.year = 2018;
        assert_eq!(fields(&shares), [Some("year".into())]);
    }

    #[test]
    fn only_a_unit_that_buys_stores_a_budget_share_and_target() {
        let unit = Uuid::from_u128(1);
        let row = declaration_row(unit, &own_canteen(Some(1_000_000), Some(30)), unit);
        assert_eq!(row.target_fen.clone().unwrap(), 300_000);
        let mut shares = own_canteen(Some(1_000_000), Some(30));
        shares.canteen = CanteenArrangement::SharesCanteen;
        let row = declaration_row(unit, &shares, unit);
        assert_eq!(row.target_fen.clone().unwrap(), 0);
        assert_eq!(row.canteen_budget_fen.clone().unwrap(), None);
    }

    #[test]
    fn a_policy_is_a_percentage_for_a_plausible_year() {
        assert!(check_policy(2025, 30).is_ok());
        assert!(check_policy(2025, 101).is_err());
        assert!(check_policy(2018, 30).is_err());
    }
}
