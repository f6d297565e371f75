//! Producer rules: registration with benefit linkage, verification by an officer over the
//! producer's region, suspension and reinstatement. A producer's products are listed only while
//! it is verified and in good standing.

use chrono::Utc;
use entity::{
    api_name::ApiName,
    organization::{self, OrganizationKind},
    producer::{self, CreditStatus, LinkageMode, ProducerKind, VerificationStatus},
    product::{self, ProductStatus},
    region::RegionLevel,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set,
    TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::members::{is_phone, registrant, require_member};
use crate::{
    audit::Change,
    auth::{
        Caller, scope,
        visibility::{Sight, require_visible},
    },
    error::{AppError, AppResult, Checks, ErrorCode},
    region,
};

/// Levels a producer may be registered at: where it produces, not a whole city.
pub const PRODUCER_LEVELS: &[RegionLevel] = &[
    RegionLevel::County,
    RegionLevel::Township,
    RegionLevel::Village,
];

pub type ProducerRecord = (organization::Model, producer::Model);

#[derive(Clone, Debug)]
pub struct ProducerInput {
    pub name: String,
    pub kind: ProducerKind,
    pub region_code: String,
    pub licence_no: Option<String>,
    pub contact_name: String,
    pub contact_phone: String,
    pub linkage_modes: Vec<LinkageMode>,
    pub poor_households_linked: i32,
    pub profit_share_percent: i32,
}

fn check(input: &ProducerInput) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .length(&input.name, "name", 2, 100)
        .length(&input.contact_name, "contactName", 1, 50)
        .require(
            is_phone(&input.contact_phone),
            "contactPhone",
            ErrorCode::Invalid,
            "not a phone number",
        )
        .require(
            input.licence_no.as_deref().is_none_or(|l| {
                l.len() == 18
                    && l.bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            }),
            "licenceNo",
            ErrorCode::Invalid,
            "a unified social credit code has 18 digits or capital letters",
        )
        .require(
            !input.linkage_modes.is_empty(),
            "linkageModes",
            ErrorCode::Invalid,
            "name at least one way the producer lifts poor households",
        )
        .require(
            (0..=1_000_000).contains(&input.poor_households_linked),
            "poorHouseholdsLinked",
            ErrorCode::Invalid,
            "the number of linked households cannot be negative",
        )
        .require(
            (0..=100).contains(&input.profit_share_percent),
            "profitSharePercent",
            ErrorCode::Invalid,
            "a profit share is between 0 and 100 percent",
        );
    checks.finish()
}

pub async fn load(conn: &impl ConnectionTrait, organization_id: Uuid) -> AppResult<ProducerRecord> {
    match producer::Entity::find_by_id(organization_id)
        .find_also_related(organization::Entity)
        .one(conn)
        .await?
    {
        Some((profile, Some(org))) => Ok((org, profile)),
        _ => Err(AppError::NotFound("producer")),
    }
}

/// Registers a producer. With `organization_id`, completes the profile of an existing producer
/// organisation (its admins); without, creates the organisation: the registering user becomes
/// its admin, unless an officer or admin registers it on a household's behalf.
pub async fn create(
    caller: Caller<'_>,
    organization_id: Option<Uuid>,
    input: ProducerInput,
) -> AppResult<ProducerRecord> {
    check(&input)?;
    let db = caller.db();
    let place =
        region::regions::require(db, &input.region_code, "regionCode", PRODUCER_LEVELS).await?;
    let exists = async |id| Ok(producer::Entity::find_by_id(id).one(db).await?.is_some());
    let registrant = registrant(
        db,
        caller.viewer,
        organization_id,
        OrganizationKind::Producer,
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
            OrganizationKind::Producer,
            &input.name,
            &place.code,
        )
        .await?;
    let profile = producer::ActiveModel {
        organization_id: Set(org.id),
        kind: Set(input.kind),
        region_code: Set(place.code.clone()),
        licence_no: Set(input.licence_no.clone()),
        contact_name: Set(input.contact_name.trim().to_owned()),
        contact_phone: Set(input.contact_phone.trim().to_owned()),
        linkage_modes: Set(LinkageMode::format_list(&input.linkage_modes)),
        poor_households_linked: Set(input.poor_households_linked),
        profit_share_percent: Set(input.profit_share_percent),
        verification_status: Set(VerificationStatus::Pending),
        verified_by: Set(None),
        verified_at: Set(None),
        credit_status: Set(CreditStatus::Good),
        credit_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    caller.audit(&txn, Change {
            action: "createProducer",
            target_type: "Producer",
            target_id: Some(org.id),
            summary: json!({ "name": org.name, "region": place.code, "kind": input.kind.api_name() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((org, profile))
}

#[derive(Clone, Debug, Default)]
pub struct ProducerChanges {
    pub name: Option<String>,
    pub kind: Option<ProducerKind>,
    pub region_code: Option<String>,
    pub licence_no: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub linkage_modes: Option<Vec<LinkageMode>>,
    pub poor_households_linked: Option<i32>,
    pub profit_share_percent: Option<i32>,
}

/// Changes a producer's registry entry (its admins). Moving it to another region sends it back
/// to verification: the officer who verified it vouched for the old place.
pub async fn update(
    caller: Caller<'_>,
    organization_id: Uuid,
    changes: ProducerChanges,
) -> AppResult<ProducerRecord> {
    let db = caller.db();
    require_visible(
        db,
        caller.viewer,
        producer::Entity::find_by_id(organization_id),
        Sight::producers,
        "producer",
    )
    .await?;
    let (org, profile) = load(db, organization_id).await?;
    if !caller.viewer.is_admin() {
        require_member(db, caller.viewer, organization_id, true).await?;
    }
    let merged = ProducerInput {
        name: changes.name.clone().unwrap_or_else(|| org.name.clone()),
        kind: changes.kind.unwrap_or(profile.kind),
        region_code: changes
            .region_code
            .clone()
            .unwrap_or_else(|| profile.region_code.clone()),
        licence_no: changes
            .licence_no
            .clone()
            .or_else(|| profile.licence_no.clone()),
        contact_name: changes
            .contact_name
            .clone()
            .unwrap_or_else(|| profile.contact_name.clone()),
        contact_phone: changes
            .contact_phone
            .clone()
            .unwrap_or_else(|| profile.contact_phone.clone()),
        linkage_modes: changes
            .linkage_modes
            .clone()
            .unwrap_or_else(|| LinkageMode::parse_list(&profile.linkage_modes)),
        poor_households_linked: changes
            .poor_households_linked
            .unwrap_or(profile.poor_households_linked),
        profit_share_percent: changes
            .profit_share_percent
            .unwrap_or(profile.profit_share_percent),
    };
    check(&merged)?;
    let moved = merged.region_code != profile.region_code;
    let place =
        region::regions::require(db, &merged.region_code, "regionCode", PRODUCER_LEVELS).await?;

    let txn = db.begin().await?;
    let mut org_active: organization::ActiveModel = org.clone().into();
    org_active.name = Set(merged.name.trim().to_owned());
    org_active.region_code = Set(Some(place.code.clone()));
    let org = org_active.update(&txn).await?;
    let mut active: producer::ActiveModel = profile.clone().into();
    active.kind = Set(merged.kind);
    active.region_code = Set(place.code.clone());
    active.licence_no = Set(merged.licence_no.clone());
    active.contact_name = Set(merged.contact_name.trim().to_owned());
    active.contact_phone = Set(merged.contact_phone.trim().to_owned());
    active.linkage_modes = Set(LinkageMode::format_list(&merged.linkage_modes));
    active.poor_households_linked = Set(merged.poor_households_linked);
    active.profit_share_percent = Set(merged.profit_share_percent);
    active.updated_at = Set(Utc::now());
    if moved {
        active.verification_status = Set(VerificationStatus::Pending);
        active.verified_by = Set(None);
        active.verified_at = Set(None);
    }
    let profile = active.update(&txn).await?;
    if moved {
        let rank = region::regions::poverty_rank(&txn, &place.code).await?;
        product::Entity::update_many()
            .col_expr(product::Column::RegionCode, Expr::value(place.code.clone()))
            .col_expr(product::Column::PovertyRank, Expr::value(rank))
            .filter(product::Column::ProducerOrgId.eq(organization_id))
            .exec(&txn)
            .await?;
        relist(&txn, &profile).await?;
    }
    caller
        .audit(
            &txn,
            Change {
                action: "updateProducer",
                target_type: "Producer",
                target_id: Some(organization_id),
                summary: json!({ "name": org.name, "region": place.code, "movedRegion": moved }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok((org, profile))
}

/// Brings the products' `listed` flag in line with the producer's standing.
pub async fn relist(conn: &impl ConnectionTrait, profile: &producer::Model) -> AppResult<()> {
    let listed = if profile.in_good_standing() {
        Expr::col(product::Column::Status).eq(ProductStatus::Published)
    } else {
        Expr::value(false)
    };
    product::Entity::update_many()
        .col_expr(product::Column::Listed, listed)
        .filter(product::Column::ProducerOrgId.eq(profile.organization_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// What an officer does to a producer's standing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StandingAction {
    Verify,
    Suspend,
    Reinstate,
}

/// Verifies, suspends or reinstates a producer (officers whose scope covers its region).
pub async fn change_standing(
    caller: Caller<'_>,
    organization_id: Uuid,
    action: StandingAction,
    reason: Option<String>,
) -> AppResult<ProducerRecord> {
    let db = caller.db();
    require_visible(
        db,
        caller.viewer,
        producer::Entity::find_by_id(organization_id),
        Sight::producers,
        "producer",
    )
    .await?;
    let (org, profile) = load(db, organization_id).await?;
    scope::require_acting_over(db, caller.viewer, &profile.region_code).await?;
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let state_error = |message: &str| Err(AppError::state(ErrorCode::InvalidState, message));
    match action {
        StandingAction::Verify if profile.verification_status == VerificationStatus::Verified => {
            return state_error("the producer is verified already");
        }
        StandingAction::Suspend if profile.credit_status == CreditStatus::Suspended => {
            return state_error("the producer is suspended already");
        }
        StandingAction::Reinstate if profile.credit_status == CreditStatus::Good => {
            return state_error("the producer is in good standing");
        }
        StandingAction::Suspend | StandingAction::Reinstate if reason.is_none() => {
            return Err(AppError::field(
                "reason",
                ErrorCode::Invalid,
                "give the reason for the record",
            ));
        }
        _ => {}
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let mut active: producer::ActiveModel = profile.clone().into();
    match action {
        StandingAction::Verify => {
            active.verification_status = Set(VerificationStatus::Verified);
            active.verified_by = Set(Some(caller.viewer.user_id));
            active.verified_at = Set(Some(now));
        }
        StandingAction::Suspend => {
            active.credit_status = Set(CreditStatus::Suspended);
            active.credit_reason = Set(reason.clone());
        }
        StandingAction::Reinstate => {
            active.credit_status = Set(CreditStatus::Good);
            active.credit_reason = Set(reason.clone());
        }
    }
    active.updated_at = Set(now);
    let profile = active.update(&txn).await?;
    relist(&txn, &profile).await?;
    let name = match action {
        StandingAction::Verify => "verifyProducer",
        StandingAction::Suspend => "suspendProducer",
        StandingAction::Reinstate => "reinstateProducer",
    };
    caller
        .audit(
            &txn,
            Change {
                action: name,
                target_type: "Producer",
                target_id: Some(organization_id),
                summary: json!({ "name": org.name, "reason": reason }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok((org, profile))
}
