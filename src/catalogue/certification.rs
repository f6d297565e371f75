//! Certification of poverty-alleviation products (扶贫产品认定): the producer applies with its
//! linkage evidence; a township (or sector) officer gives the first review; a county officer,
//! not the same person, decides; an approval is publicly noticed (公示) before it takes effect and
//! is valid for a period; an officer may revoke it. Every decision names its reviewer
//! ("谁审核、谁把关、谁负责").

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use entity::{
    api_name::ApiName,
    certification::{self, CertificationState},
    certification_review::{self, ReviewDecision, ReviewStage},
    producer, product,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::Change,
    auth::{
        Caller, Viewer,
        scope::{self, Scope},
        visibility::{Sight, require_visible},
    },
    error::{AppError, AppResult, Checks, ErrorCode, is_unique_violation},
    ids::new_uuid,
    org::{members::require_member, producers},
};

/// What a certification means on a given day.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CertificationStatus {
    /// Waiting for the township (first) review.
    Submitted,
    /// Passed the first review; waiting for the county's decision.
    FirstApproved,
    /// Approved by the county; publicly noticed until `noticeUntil`, not yet in effect.
    InPublicNotice,
    /// In effect: the product counts as a certified poverty-alleviation product.
    Certified,
    /// Its validity has ended.
    Expired,
    Rejected,
    Revoked,
}

pub fn status_on(cert: &certification::Model, day: NaiveDate) -> CertificationStatus {
    match cert.status {
        CertificationState::Submitted => CertificationStatus::Submitted,
        CertificationState::FirstApproved => CertificationStatus::FirstApproved,
        CertificationState::Rejected => CertificationStatus::Rejected,
        CertificationState::Revoked => CertificationStatus::Revoked,
        CertificationState::Approved => match (cert.valid_from, cert.valid_until) {
            (Some(from), _) if day < from => CertificationStatus::InPublicNotice,
            (_, Some(until)) if day > until => CertificationStatus::Expired,
            _ => CertificationStatus::Certified,
        },
    }
}

/// The applications that have `status` on `day`, as a query condition.
pub fn status_condition(status: CertificationStatus, day: NaiveDate) -> Condition {
    let state = |s: CertificationState| Condition::all().add(certification::Column::Status.eq(s));
    let approved = || state(CertificationState::Approved);
    match status {
        CertificationStatus::Submitted => state(CertificationState::Submitted),
        CertificationStatus::FirstApproved => state(CertificationState::FirstApproved),
        CertificationStatus::Rejected => state(CertificationState::Rejected),
        CertificationStatus::Revoked => state(CertificationState::Revoked),
        CertificationStatus::InPublicNotice => {
            approved().add(certification::Column::ValidFrom.gt(day))
        }
        CertificationStatus::Certified => approved()
            .add(certification::Column::ValidFrom.lte(day))
            .add(certification::Column::ValidUntil.gte(day)),
        CertificationStatus::Expired => approved().add(certification::Column::ValidUntil.lt(day)),
    }
}

/// The county whose office decides for a place.
pub fn county_of(region_code: &str) -> String {
    region_code.chars().take(6).collect()
}

/// Whether an application in this state still holds the product: open, noticed or in force.
fn holds_product(status: CertificationStatus) -> bool {
    matches!(
        status,
        CertificationStatus::Submitted
            | CertificationStatus::FirstApproved
            | CertificationStatus::InPublicNotice
            | CertificationStatus::Certified
    )
}

/// A product takes one application at a time, and none while a certificate is in force.
async fn require_no_open_application(
    conn: &impl ConnectionTrait,
    product_id: Uuid,
) -> AppResult<()> {
    let today = Utc::now().date_naive();
    let previous = certification::Entity::find()
        .filter(certification::Column::ProductId.eq(product_id))
        .all(conn)
        .await?;
    if previous.iter().any(|c| holds_product(status_on(c, today))) {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("certification.product_already_has_application_progress_certificate"),
        ));
    }
    Ok(())
}

/// A new application for `product`, to be decided by the county of its producer's `region`.
fn new_application(
    product: &product::Model,
    region: &str,
    evidence: &str,
    applicant: Uuid,
) -> certification::ActiveModel {
    certification::ActiveModel {
        id: Set(new_uuid()),
        product_id: Set(product.id),
        producer_org_id: Set(product.producer_org_id),
        county_code: Set(county_of(region)),
        status: Set(CertificationState::Submitted),
        evidence: Set(evidence.trim().to_owned()),
        certificate_no: Set(None),
        notice_until: Set(None),
        valid_from: Set(None),
        valid_until: Set(None),
        applied_by: Set(applicant),
        applied_at: Set(Utc::now()),
        decided_at: Set(None),
        revoked_by: Set(None),
        revoked_at: Set(None),
        revoke_reason: Set(None),
    }
}

/// Applies for certification of a product (members of its producer; the producer must be
/// verified and in good standing, and the product must have no application open or in force).
pub async fn apply(
    caller: Caller<'_>,
    product_id: Uuid,
    evidence: &str,
) -> AppResult<certification::Model> {
    let mut checks = Checks::default();
    checks.length(evidence, "evidence", 10, 4000);
    checks.finish()?;
    let db = caller.db();
    let product = require_visible(
        db,
        caller.viewer,
        product::Entity::find_by_id(product_id),
        Sight::products,
        "not_found.product",
    )
    .await?;
    require_member(db, caller.viewer, product.producer_org_id, false).await?;
    let (_, producer) = producers::load(db, product.producer_org_id).await?;
    if !producer.in_good_standing() {
        return Err(AppError::state(
            ErrorCode::NotInGoodStanding,
            msg!("certification.only_verified_producers_good_standing_may"),
        ));
    }
    require_no_open_application(db, product_id).await?;
    let txn = db.begin().await?;
    let created = new_application(
        &product,
        &producer.region_code,
        evidence,
        caller.viewer.user_id,
    )
    .insert(&txn)
    .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "applyCertification",
                target_type: "Certification",
                target_id: Some(created.id),
                summary: json!({ "product": product.name, "county": created.county_code }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn load(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<certification::Model> {
    certification::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.certification"))
}

/// A certification the viewer may see (`NOT_FOUND` otherwise, as for an unknown ID).
async fn load_visible(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<certification::Model> {
    require_visible(
        conn,
        viewer,
        certification::Entity::find_by_id(id),
        Sight::certifications,
        "not_found.certification",
    )
    .await
}

pub async fn reviews(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<Vec<certification_review::Model>> {
    Ok(certification_review::Entity::find()
        .filter(certification_review::Column::CertificationId.eq(id))
        .order_by_asc(certification_review::Column::ReviewedAt)
        .all(conn)
        .await?)
}

/// The stage a decision on an application in `status` is taken at, and the state it leads to;
/// an application already decided takes no more reviews.
fn review_step(
    status: CertificationState,
    decision: ReviewDecision,
) -> AppResult<(ReviewStage, CertificationState)> {
    let stage = match status {
        CertificationState::Submitted => ReviewStage::First,
        CertificationState::FirstApproved => ReviewStage::County,
        _ => {
            return Err(AppError::state(
                ErrorCode::InvalidState,
                msg!("certification.application_has_been_decided_already"),
            ));
        }
    };
    let next = match (stage, decision) {
        (_, ReviewDecision::Reject) => CertificationState::Rejected,
        (ReviewStage::First, ReviewDecision::Approve) => CertificationState::FirstApproved,
        (ReviewStage::County, ReviewDecision::Approve) => CertificationState::Approved,
    };
    Ok((stage, next))
}

/// Whether an officer acting in `acting` may review at `stage`: the first review anywhere over
/// the producer, the decision only at the county office or above it.
fn may_review(acting: &Scope, stage: ReviewStage, producer_region: &str, county: &str) -> bool {
    match stage {
        ReviewStage::First => acting.covers(producer_region),
        ReviewStage::County => {
            acting.is_nationwide()
                || acting
                    .regions()
                    .iter()
                    .any(|r| r.len() <= 6 && county.starts_with(r.as_str()))
        }
    }
}

/// The review's comment, trimmed; a rejection must give its reason.
fn review_comment(decision: ReviewDecision, comment: Option<String>) -> AppResult<Option<String>> {
    let comment = comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if decision == ReviewDecision::Reject && comment.is_none() {
        return Err(AppError::field(
            "comment",
            ErrorCode::Invalid,
            msg!("certification.rejection_needs_reason"),
        ));
    }
    Ok(comment)
}

/// The county decision needs a second reviewer, and no approval goes to a producer out of
/// good standing.
async fn require_fit_to_decide(
    conn: &impl ConnectionTrait,
    caller: Caller<'_>,
    id: Uuid,
    stage: ReviewStage,
    decision: ReviewDecision,
    producer: &producer::Model,
) -> AppResult<()> {
    if stage == ReviewStage::County {
        let first = reviews(conn, id).await?;
        if first.iter().any(|r| r.reviewer_id == caller.viewer.user_id) {
            return Err(AppError::state(
                ErrorCode::InvalidState,
                msg!("certification.county_decision_needs_reviewer_other_than"),
            ));
        }
    }
    if decision == ReviewDecision::Approve && !producer.in_good_standing() {
        return Err(AppError::state(
            ErrorCode::NotInGoodStanding,
            msg!("certification.producer_not_verified_suspended"),
        ));
    }
    Ok(())
}

/// What a county approval on `today` grants: a number, and the validity that starts when the
/// public notice ends.
#[derive(Debug, PartialEq, Eq)]
struct Certificate {
    number: String,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
}

fn certificate(
    cert: &certification::Model,
    today: NaiveDate,
    notice_days: u32,
    validity_days: u32,
) -> Certificate {
    let valid_from = today
        .checked_add_days(Days::new(notice_days.into()))
        .unwrap_or(today);
    let valid_until = valid_from
        .checked_add_days(Days::new(validity_days.saturating_sub(1).into()))
        .unwrap_or(valid_from);
    let number = format!(
        "FP-{}-{}-{}",
        cert.county_code,
        today.year(),
        &cert.id.simple().to_string()[24..].to_uppercase()
    );
    Certificate {
        number,
        valid_from,
        valid_until,
    }
}

/// Records the reviewer's decision at its stage (once per stage).
async fn insert_review(
    conn: &impl ConnectionTrait,
    caller: Caller<'_>,
    id: Uuid,
    stage: ReviewStage,
    decision: ReviewDecision,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    certification_review::ActiveModel {
        id: Set(new_uuid()),
        certification_id: Set(id),
        stage: Set(stage),
        reviewer_id: Set(caller.viewer.user_id),
        decision: Set(decision),
        comment: Set(comment),
        reviewed_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::state(
                ErrorCode::InvalidState,
                msg!("certification.stage_has_been_reviewed_already"),
            )
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Moves the application to `next` (if no one else moved it first); an approval carries its
/// certificate, and the product its certified dates.
async fn advance(
    conn: &impl ConnectionTrait,
    cert: &certification::Model,
    next: CertificationState,
    granted: Option<Certificate>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut update = certification::Entity::update_many()
        .col_expr(certification::Column::Status, Expr::value(next))
        .filter(certification::Column::Id.eq(cert.id))
        .filter(certification::Column::Status.eq(cert.status));
    if let Some(granted) = &granted {
        update = update
            .col_expr(
                certification::Column::CertificateNo,
                Expr::value(granted.number.clone()),
            )
            .col_expr(
                certification::Column::NoticeUntil,
                Expr::value(granted.valid_from),
            )
            .col_expr(
                certification::Column::ValidFrom,
                Expr::value(granted.valid_from),
            )
            .col_expr(
                certification::Column::ValidUntil,
                Expr::value(granted.valid_until),
            );
    }
    if matches!(
        next,
        CertificationState::Approved | CertificationState::Rejected
    ) {
        update = update.col_expr(certification::Column::DecidedAt, Expr::value(now));
    }
    if update.exec(conn).await?.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("certification.application_has_been_decided_already"),
        ));
    }
    if let Some(granted) = granted {
        product::Entity::update_many()
            .col_expr(
                product::Column::CertifiedFrom,
                Expr::value(granted.valid_from),
            )
            .col_expr(
                product::Column::CertifiedUntil,
                Expr::value(granted.valid_until),
            )
            .filter(product::Column::Id.eq(cert.product_id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Records the next review: the first review while submitted, the county decision after it.
pub async fn review(
    caller: Caller<'_>,
    id: Uuid,
    decision: ReviewDecision,
    comment: Option<String>,
) -> AppResult<certification::Model> {
    let db = caller.db();
    let cert = load_visible(db, caller.viewer, id).await?;
    let (_, producer) = producers::load(db, cert.producer_org_id).await?;
    let (stage, next) = review_step(cert.status, decision)?;
    let acting = scope::acting(db, caller.viewer).await?;
    if !may_review(&acting, stage, &producer.region_code, &cert.county_code) {
        return Err(AppError::Forbidden(
            "forbidden.application_outside_your_region_level",
        ));
    }
    let comment = review_comment(decision, comment)?;
    require_fit_to_decide(db, caller, id, stage, decision, &producer).await?;

    let now = Utc::now();
    let settings = &caller.services.settings;
    let granted = (next == CertificationState::Approved).then(|| {
        certificate(
            &cert,
            now.date_naive(),
            settings.certification_notice_days,
            settings.certification_validity_days,
        )
    });
    let txn = db.begin().await?;
    insert_review(&txn, caller, id, stage, decision, comment.clone(), now).await?;
    advance(&txn, &cert, next, granted, now).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "reviewCertification",
                target_type: "Certification",
                target_id: Some(id),
                summary: json!({
                    "stage": stage.api_name(), "decision": decision.api_name(), "comment": comment,
                }),
            },
        )
        .await?;
    txn.commit().await?;
    load(db, id).await
}

/// Only a certificate in force or in its public notice can be revoked.
fn check_revocable(cert: &certification::Model, today: NaiveDate) -> AppResult<()> {
    if matches!(
        status_on(cert, today),
        CertificationStatus::Certified | CertificationStatus::InPublicNotice
    ) {
        Ok(())
    } else {
        Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("certification.only_certificate_force_notice_can_revoked"),
        ))
    }
}

/// Marks the certificate revoked (unless it changed meanwhile) and takes the product's
/// certified dates away.
async fn mark_revoked(
    conn: &impl ConnectionTrait,
    cert: &certification::Model,
    officer: Uuid,
    reason: &str,
) -> AppResult<()> {
    let revoked = certification::Entity::update_many()
        .col_expr(
            certification::Column::Status,
            Expr::value(CertificationState::Revoked),
        )
        .col_expr(certification::Column::RevokedBy, Expr::value(officer))
        .col_expr(certification::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(certification::Column::RevokeReason, Expr::value(reason))
        .filter(certification::Column::Id.eq(cert.id))
        .filter(certification::Column::Status.eq(CertificationState::Approved))
        .exec(conn)
        .await?;
    if revoked.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("certification.certificate_changed_meanwhile"),
        ));
    }
    product::Entity::update_many()
        .col_expr(
            product::Column::CertifiedFrom,
            Expr::value(Option::<NaiveDate>::None),
        )
        .col_expr(
            product::Column::CertifiedUntil,
            Expr::value(Option::<NaiveDate>::None),
        )
        .filter(product::Column::Id.eq(cert.product_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Revokes a certificate in force or in notice (officers over its county), with a reason.
pub async fn revoke(caller: Caller<'_>, id: Uuid, reason: &str) -> AppResult<certification::Model> {
    let mut checks = Checks::default();
    checks.length(reason, "reason", 2, 1000);
    checks.finish()?;
    let db = caller.db();
    let cert = load_visible(db, caller.viewer, id).await?;
    scope::require_acting_over(db, caller.viewer, &cert.county_code).await?;
    check_revocable(&cert, Utc::now().date_naive())?;
    let txn = db.begin().await?;
    mark_revoked(&txn, &cert, caller.viewer.user_id, reason.trim()).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "revokeCertification",
                target_type: "Certification",
                target_id: Some(id),
                summary: json!({ "certificateNo": cert.certificate_no, "reason": reason.trim() }),
            },
        )
        .await?;
    txn.commit().await?;
    load(db, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approved(from: &str, until: &str) -> certification::Model {
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        certification::Model {
            id: Uuid::now_v7(),
            product_id: Uuid::now_v7(),
            producer_org_id: Uuid::now_v7(),
            county_code: "130126".into(),
            status: CertificationState::Approved,
            evidence: String::new(),
            certificate_no: Some("FP".into()),
            notice_until: date(from),
            valid_from: date(from),
            valid_until: date(until),
            applied_by: Uuid::now_v7(),
            applied_at: Utc::now(),
            decided_at: None,
            revoked_by: None,
            revoked_at: None,
            revoke_reason: None,
        }
    }

    #[test]
    fn an_approval_is_noticed_then_in_force_then_expired() {
        let cert = approved("2026-03-01", "2028-02-29");
        let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        assert_eq!(
            status_on(&cert, day("2026-02-28")),
            CertificationStatus::InPublicNotice
        );
        assert_eq!(
            status_on(&cert, day("2026-03-01")),
            CertificationStatus::Certified
        );
        assert_eq!(
            status_on(&cert, day("2028-02-29")),
            CertificationStatus::Certified
        );
        assert_eq!(
            status_on(&cert, day("2028-03-01")),
            CertificationStatus::Expired
        );
    }

    #[test]
    fn the_county_comes_from_the_code() {
        assert_eq!(county_of("130126100201"), "130126");
        assert_eq!(county_of("130126"), "130126");
    }

    #[test]
    fn each_stage_takes_one_decision() {
        use CertificationState as S;
        let step = |s, d| review_step(s, d).ok();
        assert_eq!(
            step(S::Submitted, ReviewDecision::Approve),
            Some((ReviewStage::First, S::FirstApproved))
        );
        assert_eq!(
            step(S::FirstApproved, ReviewDecision::Approve),
            Some((ReviewStage::County, S::Approved))
        );
        assert_eq!(
            step(S::FirstApproved, ReviewDecision::Reject),
            Some((ReviewStage::County, S::Rejected))
        );
        assert_eq!(step(S::Approved, ReviewDecision::Approve), None);
        assert_eq!(step(S::Rejected, ReviewDecision::Reject), None);
    }

    #[test]
    fn only_county_offices_or_above_decide() {
        let nationwide = Scope::nationwide();
        assert!(may_review(
            &nationwide,
            ReviewStage::County,
            "130126100201",
            "130126"
        ));
        let empty = Scope::default();
        assert!(!may_review(
            &empty,
            ReviewStage::First,
            "130126100201",
            "130126"
        ));
        assert!(!may_review(
            &empty,
            ReviewStage::County,
            "130126100201",
            "130126"
        ));
    }

    #[test]
    fn a_rejection_gives_its_reason() {
        assert!(review_comment(ReviewDecision::Reject, Some("  ".into())).is_err());
        assert_eq!(
            review_comment(ReviewDecision::Reject, Some(" 证据不足 ".into())).ok(),
            Some(Some("证据不足".into()))
        );
        assert_eq!(
            review_comment(ReviewDecision::Approve, None).ok(),
            Some(None)
        );
    }

    #[test]
    fn a_certificate_starts_after_its_notice_and_runs_its_validity() {
        let cert = approved("2026-03-01", "2028-02-29");
        let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let granted = certificate(&cert, day("2026-01-01"), 7, 730);
        assert_eq!(granted.valid_from, day("2026-01-08"));
        assert_eq!(granted.valid_until, day("2028-01-07"));
        assert!(granted.number.starts_with("FP-130126-2026-"));
        assert_eq!(granted.number.len(), "FP-130126-2026-".len() + 8);
    }

    #[test]
    fn open_notice_and_force_hold_the_product() {
        use CertificationStatus as S;
        for held in [
            S::Submitted,
            S::FirstApproved,
            S::InPublicNotice,
            S::Certified,
        ] {
            assert!(holds_product(held));
        }
        for free in [S::Expired, S::Rejected, S::Revoked] {
            assert!(!holds_product(free));
        }
    }
}
