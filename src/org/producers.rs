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
        Caller, Viewer, scope,
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
            msg!("producers.not_phone_number"),
        )
        .require(
            input.licence_no.as_deref().is_none_or(|l| {
                l.len() == 18
                    && l.bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            }),
            "licenceNo",
            ErrorCode::Invalid,
            msg!("producers.unified_social_credit_code_has_18"),
        )
        .require(
            !input.linkage_modes.is_empty(),
            "linkageModes",
            ErrorCode::Invalid,
            msg!("producers.name_least_one_way_producer_lifts"),
        )
        .require(
            (0..=1_000_000).contains(&input.poor_households_linked),
            "poorHouseholdsLinked",
            ErrorCode::Invalid,
            msg!("producers.number_linked_households_cannot_negative"),
        )
        .require(
            (0..=100).contains(&input.profit_share_percent),
            "profitSharePercent",
            ErrorCode::Invalid,
            msg!("producers.profit_share_between_0_100_percent"),
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
        _ => Err(AppError::NotFound("not_found.producer")),
    }
}

/// A producer the viewer may see, with its organisation (`NOT_FOUND` otherwise, as for an
/// unknown ID).
async fn load_visible(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    organization_id: Uuid,
) -> AppResult<ProducerRecord> {
    require_visible(
        conn,
        viewer,
        producer::Entity::find_by_id(organization_id),
        Sight::producers,
        "not_found.producer",
    )
    .await?;
    load(conn, organization_id).await
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
        rating_sum: Set(0),
        rating_count: Set(0),
        shipped_orders: Set(0),
        shipped_on_time: Set(0),
        received_orders: Set(0),
        disputed_orders: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let summary = json!({ "name": org.name, "region": place.code, "kind": input.kind.api_name() });
    caller
        .audit(
            &txn,
            Change {
                action: "createProducer",
                target_type: "Producer",
                target_id: Some(org.id),
                summary,
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

/// The entry as it will read: each change over what is on record.
fn merged(
    changes: ProducerChanges,
    org: &organization::Model,
    profile: &producer::Model,
) -> ProducerInput {
    ProducerInput {
        name: changes.name.unwrap_or_else(|| org.name.clone()),
        kind: changes.kind.unwrap_or(profile.kind),
        region_code: changes
            .region_code
            .unwrap_or_else(|| profile.region_code.clone()),
        licence_no: changes.licence_no.or_else(|| profile.licence_no.clone()),
        contact_name: changes
            .contact_name
            .unwrap_or_else(|| profile.contact_name.clone()),
        contact_phone: changes
            .contact_phone
            .unwrap_or_else(|| profile.contact_phone.clone()),
        linkage_modes: changes
            .linkage_modes
            .unwrap_or_else(|| LinkageMode::parse_list(&profile.linkage_modes)),
        poor_households_linked: changes
            .poor_households_linked
            .unwrap_or(profile.poor_households_linked),
        profit_share_percent: changes
            .profit_share_percent
            .unwrap_or(profile.profit_share_percent),
    }
}

/// Writes the merged entry at `place`; a moved producer goes back to verification.
async fn save_entry(
    conn: &impl ConnectionTrait,
    (org, profile): ProducerRecord,
    merged: &ProducerInput,
    place: &str,
    moved: bool,
) -> AppResult<ProducerRecord> {
    let mut org_active: organization::ActiveModel = org.into();
    org_active.name = Set(merged.name.trim().to_owned());
    org_active.region_code = Set(Some(place.to_owned()));
    let org = org_active.update(conn).await?;
    let mut active: producer::ActiveModel = profile.into();
    active.kind = Set(merged.kind);
    active.region_code = Set(place.to_owned());
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
    Ok((org, active.update(conn).await?))
}

/// A moved producer's products move with it (region and poverty rank), and leave the
/// catalogue until it is verified again.
async fn move_products(conn: &impl ConnectionTrait, profile: &producer::Model) -> AppResult<()> {
    let rank = region::regions::poverty_rank(conn, &profile.region_code).await?;
    product::Entity::update_many()
        .col_expr(
            product::Column::RegionCode,
            Expr::value(profile.region_code.clone()),
        )
        .col_expr(product::Column::PovertyRank, Expr::value(rank))
        .filter(product::Column::ProducerOrgId.eq(profile.organization_id))
        .exec(conn)
        .await?;
    relist(conn, profile).await
}

/// Changes a producer's registry entry (its admins). Moving it to another region sends it back
/// to verification: the officer who verified it vouched for the old place.
pub async fn update(
    caller: Caller<'_>,
    organization_id: Uuid,
    changes: ProducerChanges,
) -> AppResult<ProducerRecord> {
    let db = caller.db();
    let (org, profile) = load_visible(db, caller.viewer, organization_id).await?;
    if !caller.viewer.is_admin() {
        require_member(db, caller.viewer, organization_id, true).await?;
    }
    let merged = merged(changes, &org, &profile);
    check(&merged)?;
    let moved = merged.region_code != profile.region_code;
    let place =
        region::regions::require(db, &merged.region_code, "regionCode", PRODUCER_LEVELS).await?;

    let txn = db.begin().await?;
    let (org, profile) = save_entry(&txn, (org, profile), &merged, &place.code, moved).await?;
    if moved {
        move_products(&txn, &profile).await?;
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

impl StandingAction {
    /// The audit action.
    fn audit_name(self) -> &'static str {
        match self {
            Self::Verify => "verifyProducer",
            Self::Suspend => "suspendProducer",
            Self::Reinstate => "reinstateProducer",
        }
    }
}

/// An action must change something, and a suspension or reinstatement says why.
fn check_standing(
    action: StandingAction,
    verification: VerificationStatus,
    credit: CreditStatus,
    reason: Option<&str>,
) -> AppResult<()> {
    let state_error = |message: String| Err(AppError::state(ErrorCode::InvalidState, message));
    match action {
        StandingAction::Verify if verification == VerificationStatus::Verified => {
            state_error(msg!("producers.producer_verified_already"))
        }
        StandingAction::Suspend if credit == CreditStatus::Suspended => {
            state_error(msg!("producers.producer_suspended_already"))
        }
        StandingAction::Reinstate if credit == CreditStatus::Good => {
            state_error(msg!("producers.producer_good_standing"))
        }
        StandingAction::Suspend | StandingAction::Reinstate if reason.is_none() => {
            Err(AppError::field(
                "reason",
                ErrorCode::Invalid,
                msg!("producers.give_reason_record"),
            ))
        }
        _ => Ok(()),
    }
}

/// The profile after `action` by `officer`.
fn with_standing(
    profile: producer::Model,
    action: StandingAction,
    reason: Option<String>,
    officer: Uuid,
) -> producer::ActiveModel {
    let now = Utc::now();
    let mut active: producer::ActiveModel = profile.into();
    match action {
        StandingAction::Verify => {
            active.verification_status = Set(VerificationStatus::Verified);
            active.verified_by = Set(Some(officer));
            active.verified_at = Set(Some(now));
        }
        StandingAction::Suspend => {
            active.credit_status = Set(CreditStatus::Suspended);
            active.credit_reason = Set(reason);
        }
        StandingAction::Reinstate => {
            active.credit_status = Set(CreditStatus::Good);
            active.credit_reason = Set(reason);
        }
    }
    active.updated_at = Set(now);
    active
}

/// Verifies, suspends or reinstates a producer (officers whose scope covers its region).
pub async fn change_standing(
    caller: Caller<'_>,
    organization_id: Uuid,
    action: StandingAction,
    reason: Option<String>,
) -> AppResult<ProducerRecord> {
    let db = caller.db();
    let (org, profile) = load_visible(db, caller.viewer, organization_id).await?;
    scope::require_acting_over(db, caller.viewer, &profile.region_code).await?;
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    check_standing(
        action,
        profile.verification_status,
        profile.credit_status,
        reason.as_deref(),
    )?;
    let txn = db.begin().await?;
    let changed = with_standing(profile, action, reason.clone(), caller.viewer.user_id);
    let profile = changed.update(&txn).await?;
    relist(&txn, &profile).await?;
    caller
        .audit(
            &txn,
            Change {
                action: action.audit_name(),
                target_type: "Producer",
                target_id: Some(organization_id),
                summary: json!({ "name": org.name, "reason": reason }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok((org, profile))
}

#[cfg(test)]
mod tests {
    use entity::producer::{CreditStatus, VerificationStatus};

    use super::{StandingAction, check_standing};

    #[test]
    fn a_standing_action_changes_something_and_says_why() {
        use CreditStatus::{Good, Suspended};
        use VerificationStatus::{Pending, Verified};
        let check = |a, v, c, r| check_standing(a, v, c, r).is_ok();
        assert!(check(StandingAction::Verify, Pending, Good, None));
        assert!(!check(StandingAction::Verify, Verified, Good, None));
        assert!(!check(StandingAction::Suspend, Verified, Good, None));
        assert!(check(
            StandingAction::Suspend,
            Verified,
            Good,
            Some("抽检不合格")
        ));
        assert!(!check(
            StandingAction::Suspend,
            Verified,
            Suspended,
            Some("再次")
        ));
        assert!(!check(
            StandingAction::Reinstate,
            Verified,
            Good,
            Some("整改")
        ));
        assert!(check(
            StandingAction::Reinstate,
            Verified,
            Suspended,
            Some("整改完成")
        ));
    }
}
