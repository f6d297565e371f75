//! Fairs (产销对接大会): an officer creates a fair in a region of their scope, with its dates, the
//! buyer organisation that organises it (and answers for on-site sales as the buyer side) and an
//! optional target; producers register as exhibitors and the organising officer reviews them.
//! Orders placed at a fair must be to approved exhibitors while it runs (`check_order_at`).

use std::collections::HashSet;

use chrono::{NaiveDate, Utc};
use entity::{
    fair,
    fair_exhibitor::{self, ExhibitorStatus},
    region::RegionLevel,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::Change,
    auth::{Caller, Viewer, scope},
    error::{AppError, AppResult, Checks, ErrorCode, UserError},
    ids::new_uuid,
    org::{buyers, membership::membership_of, producers},
};

/// A fair lasts at most this many days.
const MAX_FAIR_DAYS: i64 = 366;
/// At most this many exhibitors are listed on a fair.
pub const MAX_EXHIBITORS: u64 = 1000;

#[derive(Clone, Debug)]
pub struct FairPlan {
    pub name: String,
    pub venue_region_code: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The buyer organisation that organises it.
    pub organiser_id: Uuid,
    pub target_fen: Option<i64>,
}

/// Checks that need no database.
fn check(plan: &FairPlan) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .length(&plan.name, "name", 2, 100)
        .require(
            plan.ends_on >= plan.starts_on,
            "endsOn",
            ErrorCode::Invalid,
            msg!("fairs.fair_ends_after_day_starts"),
        )
        .require(
            (plan.ends_on - plan.starts_on).num_days() < MAX_FAIR_DAYS,
            "endsOn",
            ErrorCode::Invalid,
            msg!("fairs.fair_lasts_most_days", max_fair_days = MAX_FAIR_DAYS),
        )
        .require(
            plan.target_fen.is_none_or(|t| t >= 0),
            "target",
            ErrorCode::Invalid,
            msg!("fairs.target_cannot_negative"),
        );
    checks.finish()
}

/// Creates a fair in a region the officer acts over.
pub async fn create(caller: Caller<'_>, plan: FairPlan) -> AppResult<fair::Model> {
    check(&plan)?;
    let db = caller.db();
    let region = crate::region::regions::require(
        db,
        &plan.venue_region_code,
        "venueRegionCode",
        &RegionLevel::ALL,
    )
    .await?;
    if !scope::acting(db, caller.viewer).await?.covers(&region.code) {
        return Err(AppError::field(
            "venueRegionCode",
            ErrorCode::OutOfScope,
            msg!("fairs.venue_outside_your_region"),
        ));
    }
    if buyers::load(db, plan.organiser_id).await.is_err() {
        return Err(AppError::field(
            "organiserId",
            ErrorCode::NotFound,
            msg!("fairs.no_buyer_organisation_has_id"),
        ));
    }
    let txn = db.begin().await?;
    let created = fair::ActiveModel {
        id: Set(new_uuid()),
        name: Set(plan.name.trim().to_owned()),
        venue_region_code: Set(region.code.clone()),
        starts_on: Set(plan.starts_on),
        ends_on: Set(plan.ends_on),
        organiser_org_id: Set(plan.organiser_id),
        target_fen: Set(plan.target_fen),
        created_by: Set(caller.viewer.user_id),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "createFair",
                target_type: "Fair",
                target_id: Some(created.id),
                summary: json!({ "region": region.code, "organiser": plan.organiser_id,
                    "startsOn": plan.starts_on, "endsOn": plan.ends_on, "targetFen": plan.target_fen }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(created)
}

/// The fair `input.<field>` names.
pub async fn load(conn: &impl ConnectionTrait, id: Uuid, field: &str) -> AppResult<fair::Model> {
    fair::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::field(field, ErrorCode::NotFound, msg!("fairs.no_fair_has_id")))
}

/// Refuses unless the viewer acts as an officer over the fair's venue: the organising officer.
pub async fn require_organising(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    fair: &fair::Model,
    field: &str,
) -> AppResult<()> {
    if scope::acting(conn, viewer)
        .await?
        .covers(&fair.venue_region_code)
    {
        Ok(())
    } else {
        Err(AppError::field(
            field,
            ErrorCode::OutOfScope,
            msg!("fairs.fair_s_venue_outside_your_region"),
        ))
    }
}

/// The producer organisation the viewer is a member of, or `FORBIDDEN`.
pub async fn producer_of(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
) -> AppResult<entity::producer::Model> {
    let membership = membership_of(conn, viewer.user_id)
        .await?
        .ok_or(AppError::Forbidden("forbidden.only_members_producer_do"))?;
    producers::load(conn, membership.organization_id)
        .await
        .map(|(_, profile)| profile)
        .map_err(|_| AppError::Forbidden("forbidden.only_members_registered_producer_do"))
}

/// A producer's registration for a fair, if any.
pub async fn exhibitor(
    conn: &impl ConnectionTrait,
    fair_id: Uuid,
    producer: Uuid,
) -> AppResult<Option<fair_exhibitor::Model>> {
    Ok(fair_exhibitor::Entity::find_by_id((fair_id, producer))
        .one(conn)
        .await?)
}

/// A verified producer in good standing registers for a fair that has not ended; a rejected
/// producer may register again.
pub async fn register(caller: Caller<'_>, fair_id: Uuid) -> AppResult<fair_exhibitor::Model> {
    let db = caller.db();
    let producer = producer_of(db, caller.viewer).await?;
    let fair = load(db, fair_id, "fairId").await?;
    let today = Utc::now().date_naive();
    let mut checks = Checks::default();
    checks
        .require(
            producer.in_good_standing(),
            "fairId",
            ErrorCode::NotInGoodStanding,
            msg!("fairs.only_verified_producer_good_standing_exhibits"),
        )
        .require(
            today <= fair.ends_on,
            "fairId",
            ErrorCode::InvalidState,
            msg!("fairs.fair_has_ended"),
        );
    checks.finish()?;
    let previous = exhibitor(db, fair.id, producer.organization_id).await?;
    if previous
        .as_ref()
        .is_some_and(|p| p.status != ExhibitorStatus::Rejected)
    {
        return Err(AppError::field(
            "fairId",
            ErrorCode::Duplicate,
            msg!("fairs.you_already_registered_fair"),
        ));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let row = fair_exhibitor::ActiveModel {
        fair_id: Set(fair.id),
        producer_org_id: Set(producer.organization_id),
        status: Set(ExhibitorStatus::Pending),
        reason: Set(None),
        registered_by: Set(caller.viewer.user_id),
        registered_at: Set(now),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
    };
    let registered = if previous.is_some() {
        row.update(&txn).await?
    } else {
        row.insert(&txn).await?
    };
    caller
        .audit(
            &txn,
            Change {
                action: "registerForFair",
                target_type: "Fair",
                target_id: Some(fair.id),
                summary: json!({ "producer": producer.organization_id }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(registered)
}

#[derive(Clone, Debug)]
pub struct ExhibitorReview {
    pub fair_id: Uuid,
    pub producer_id: Uuid,
    pub approve: bool,
    pub reason: Option<String>,
}

/// A rejection says why.
fn check_reason(accept: bool, reason: Option<&str>) -> AppResult<()> {
    let mut checks = Checks::default();
    let reason = reason.unwrap_or_default();
    if accept {
        checks.length(reason, "reason", 0, 500);
    } else {
        checks.length(reason, "reason", 2, 500);
    }
    checks.finish()
}

/// The organising officer approves or rejects a pending registration.
pub async fn review(
    caller: Caller<'_>,
    review: ExhibitorReview,
) -> AppResult<fair_exhibitor::Model> {
    check_reason(review.approve, review.reason.as_deref())?;
    let db = caller.db();
    let fair = load(db, review.fair_id, "fairId").await?;
    require_organising(db, caller.viewer, &fair, "fairId").await?;
    let registration = exhibitor(db, fair.id, review.producer_id)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "producerId",
                ErrorCode::NotFound,
                msg!("fairs.producer_has_not_registered_fair"),
            )
        })?;
    if registration.status != ExhibitorStatus::Pending {
        return Err(AppError::field(
            "producerId",
            ErrorCode::InvalidState,
            msg!("fairs.registration_was_already_reviewed"),
        ));
    }
    let status = if review.approve {
        ExhibitorStatus::Approved
    } else {
        ExhibitorStatus::Rejected
    };
    let reason = review
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let txn = db.begin().await?;
    // Conditional on still pending: of two concurrent reviews, one wins.
    let moved = fair_exhibitor::Entity::update_many()
        .col_expr(
            fair_exhibitor::Column::Status,
            sea_orm::sea_query::Expr::value(status),
        )
        .col_expr(
            fair_exhibitor::Column::Reason,
            sea_orm::sea_query::Expr::value(reason.clone()),
        )
        .col_expr(
            fair_exhibitor::Column::ReviewedBy,
            sea_orm::sea_query::Expr::value(Some(caller.viewer.user_id)),
        )
        .col_expr(
            fair_exhibitor::Column::ReviewedAt,
            sea_orm::sea_query::Expr::value(Some(Utc::now())),
        )
        .filter(fair_exhibitor::Column::FairId.eq(fair.id))
        .filter(fair_exhibitor::Column::ProducerOrgId.eq(review.producer_id))
        .filter(fair_exhibitor::Column::Status.eq(ExhibitorStatus::Pending))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::field(
            "producerId",
            ErrorCode::InvalidState,
            msg!("fairs.registration_was_already_reviewed"),
        ));
    }
    caller
        .audit(
            &txn,
            Change {
                action: "reviewExhibitor",
                target_type: "Fair",
                target_id: Some(fair.id),
                summary: json!({ "producer": review.producer_id, "approve": review.approve,
                    "reason": reason }),
            },
        )
        .await?;
    let reviewed = exhibitor(&txn, fair.id, review.producer_id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("registration vanished")))?;
    txn.commit().await?;
    Ok(reviewed)
}

/// The registrations of a fair the viewer may see: approved ones to anyone; all of them to staff
/// reading over the venue; its own to a producer's member.
pub async fn exhibitors_seen(
    conn: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    fair: &fair::Model,
    status: Option<ExhibitorStatus>,
) -> AppResult<Vec<fair_exhibitor::Model>> {
    let mut seen =
        Condition::any().add(fair_exhibitor::Column::Status.eq(ExhibitorStatus::Approved));
    if let Some(viewer) = viewer {
        if scope::reading(conn, viewer)
            .await?
            .covers(&fair.venue_region_code)
        {
            seen = Condition::all();
        } else if let Some(m) = membership_of(conn, viewer.user_id).await? {
            seen = seen.add(fair_exhibitor::Column::ProducerOrgId.eq(m.organization_id));
        }
    }
    let mut select = fair_exhibitor::Entity::find()
        .filter(fair_exhibitor::Column::FairId.eq(fair.id))
        .filter(seen);
    if let Some(status) = status {
        select = select.filter(fair_exhibitor::Column::Status.eq(status));
    }
    Ok(select
        .order_by_asc(fair_exhibitor::Column::RegisteredAt)
        .limit(MAX_EXHIBITORS)
        .all(conn)
        .await?)
}

/// The approved exhibitors of a fair among `producers`.
async fn approved_among(
    conn: &impl ConnectionTrait,
    fair_id: Uuid,
    producers: Vec<Uuid>,
) -> AppResult<HashSet<Uuid>> {
    let rows: Vec<Uuid> = fair_exhibitor::Entity::find()
        .select_only()
        .column(fair_exhibitor::Column::ProducerOrgId)
        .filter(fair_exhibitor::Column::FairId.eq(fair_id))
        .filter(fair_exhibitor::Column::ProducerOrgId.is_in(producers))
        .filter(fair_exhibitor::Column::Status.eq(ExhibitorStatus::Approved))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Whether `producer` is an approved exhibitor of the fair.
pub async fn is_approved(
    conn: &impl ConnectionTrait,
    fair_id: Uuid,
    producer: Uuid,
) -> AppResult<bool> {
    Ok(!approved_among(conn, fair_id, vec![producer])
        .await?
        .is_empty())
}

/// An order placed at a fair: the fair runs on `day` and every line (`(index in the basket,
/// the product's producer)`) is to an approved exhibitor. Problems go to `problems`, each
/// naming its field (`fairId`, or `lines.<i>`).
pub async fn check_order_at(
    conn: &impl ConnectionTrait,
    fair_id: Uuid,
    lines: &[(usize, Uuid)],
    day: NaiveDate,
    problems: &mut Checks,
) -> AppResult<()> {
    let fair = match load(conn, fair_id, "fairId").await {
        Ok(fair) => fair,
        Err(AppError::User(errors)) => {
            for error in errors {
                problems.push(error);
            }
            return Ok(());
        }
        Err(other) => return Err(other),
    };
    problems.require(
        fair.runs_on(day),
        "fairId",
        ErrorCode::InvalidState,
        msg!(
            "fairs.fair_runs_from_orders_name_only",
            starts_on = fair.starts_on,
            ends_on = fair.ends_on
        ),
    );
    let producers: Vec<Uuid> = lines.iter().map(|(_, p)| *p).collect();
    let approved = approved_among(conn, fair.id, producers).await?;
    for (index, producer) in lines {
        if !approved.contains(producer) {
            problems.push(UserError {
                field: Some(vec!["input".into(), "lines".into(), index.to_string()]),
                code: ErrorCode::Invalid,
                message: msg!("fairs.product_s_producer_not_approved_exhibitor"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(starts: &str, ends: &str, target: Option<i64>) -> FairPlan {
        FairPlan {
            name: "产销对接大会".into(),
            venue_region_code: "130126".into(),
            starts_on: starts.parse().unwrap_or_default(),
            ends_on: ends.parse().unwrap_or_default(),
            organiser_id: Uuid::now_v7(),
            target_fen: target,
        }
    }

    fn fields(result: AppResult<()>) -> Vec<(String, ErrorCode)> {
        match result {
            Err(AppError::User(errors)) => errors
                .into_iter()
                .map(|e| (e.field.unwrap_or_default().join("."), e.code))
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn a_fair_ends_after_it_starts_and_aims_at_no_negative_target() {
        assert!(check(&plan("2026-12-01", "2026-12-03", Some(0))).is_ok());
        assert!(check(&plan("2026-12-01", "2026-12-01", None)).is_ok());
        assert_eq!(
            fields(check(&plan("2026-12-03", "2026-12-01", Some(-1)))),
            [
                ("input.endsOn".to_owned(), ErrorCode::Invalid),
                ("input.target".to_owned(), ErrorCode::Invalid)
            ]
        );
        assert_eq!(
            fields(check(&plan("2026-01-01", "2027-06-01", None))),
            [("input.endsOn".to_owned(), ErrorCode::Invalid)]
        );
    }

    #[test]
    fn a_rejection_says_why() {
        assert!(check_reason(true, None).is_ok());
        assert!(check_reason(false, Some("资质不符")).is_ok());
        assert_eq!(
            fields(check_reason(false, Some(" "))),
            [("input.reason".to_owned(), ErrorCode::Invalid)]
        );
    }
}
