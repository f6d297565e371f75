//! Quality marks as checked certificates (绿色食品, 有机产品, 地理标志, 区域公用品牌): the
//! producer submits a mark's certificate for a product (issuing body, number, validity, and its
//! scan through `uploadFile`); an officer whose scope covers the product's place verifies or
//! rejects it. A product's `quality_marks` is the projection of its verified certificates in
//! force, kept in the transaction that changes them, so `Product.qualityMarks` and the search
//! filter read one column. A periodic check (`run`) warns the producer 30 days before a
//! certificate expires and drops the mark once it has.

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{
    api_name::ApiName,
    product::{self, QualityMark},
    quality_mark_certificate::{self as certificate, CertificateStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::products;
use crate::{
    audit::Change,
    auth::{
        Caller, Viewer, scope,
        visibility::{Sight, require_visible},
    },
    error::{AppError, AppResult, Checks, ErrorCode, is_unique_violation},
    ids::new_uuid,
    jobs,
    live::events::{Event, QualityMarkExpiring},
    state::Services,
};

pub const JOB: &str = "quality-mark-expiry";
/// How long before expiry the producer is warned.
pub const WARN_DAYS: u64 = 30;
/// The longest validity a certificate may claim (green-food certificates run 3 years, organic 1,
/// geographical indications longer): 10 years keeps typos like 2205 out.
const MAX_VALIDITY_DAYS: i64 = 3653;

/// What a producer submits.
#[derive(Clone, Debug)]
pub struct CertificateInput {
    pub product_id: Uuid,
    pub mark: QualityMark,
    pub issuing_body: String,
    pub certificate_no: String,
    pub issued_on: NaiveDate,
    pub valid_until: NaiveDate,
}

/// What a certificate means on a day, for the API.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "QualityMarkCertificateStatus")]
pub enum Standing {
    /// Awaiting an officer's check; the mark does not show yet.
    Submitted,
    /// Checked and in force: the mark shows on the product and counts in search.
    Verified,
    Rejected,
    /// Verified once, now past its validity: the mark no longer shows.
    Expired,
}

pub fn standing_on(cert: &certificate::Model, day: NaiveDate) -> Standing {
    match cert.status {
        CertificateStatus::Submitted => Standing::Submitted,
        CertificateStatus::Rejected => Standing::Rejected,
        CertificateStatus::Verified if cert.valid_until < day => Standing::Expired,
        CertificateStatus::Verified => Standing::Verified,
    }
}

/// Checks that need no database: lengths, the validity after the issue, issued by today and
/// still valid today, and no longer than ten years.
pub fn check(input: &CertificateInput, today: NaiveDate) -> Checks {
    let mut checks = Checks::default();
    checks.length(input.issuing_body.trim(), "issuingBody", 2, 100);
    checks.length(input.certificate_no.trim(), "certificateNumber", 2, 64);
    checks.require(
        input.issued_on <= today,
        "issuedOn",
        ErrorCode::Invalid,
        msg!("quality_marks.certificate_submitted_once_issued_not_before"),
    );
    if input.valid_until < input.issued_on {
        checks.push(crate::error::UserError::on(
            "validUntil",
            ErrorCode::Invalid,
            msg!("quality_marks.certificate_expires_after_issued_not_before"),
        ));
    } else {
        checks
            .require(
                input.valid_until >= today,
                "validUntil",
                ErrorCode::Invalid,
                msg!("quality_marks.certificate_has_expired_already"),
            )
            .require(
                (input.valid_until - input.issued_on).num_days() <= MAX_VALIDITY_DAYS,
                "validUntil",
                ErrorCode::Invalid,
                msg!("quality_marks.no_quality_mark_certificate_valid_more"),
            );
    }
    checks
}

/// `submitQualityMark`: a member of the product's producer submits a certificate; it awaits an
/// officer's check. One certificate of a mark may await review per product at a time.
pub async fn submit(caller: Caller<'_>, input: CertificateInput) -> AppResult<certificate::Model> {
    let db = caller.db();
    let today = Utc::now().date_naive();
    let mut checks = check(&input, today);
    let product = match products::load_managed(db, caller.viewer, input.product_id).await {
        Ok(product) => Some(product),
        Err(AppError::User(errors)) => {
            errors.into_iter().for_each(|e| {
                checks.push(e);
            });
            None
        }
        Err(error) => return Err(error),
    };
    checks.finish()?;
    let product = product.ok_or(AppError::NotFound("not_found.product"))?;
    let row = certificate::Model {
        id: new_uuid(),
        product_id: product.id,
        producer_org_id: product.producer_org_id,
        region_code: product.region_code.clone(),
        mark: input.mark,
        issuing_body: input.issuing_body.trim().to_owned(),
        certificate_no: input.certificate_no.trim().to_owned(),
        issued_on: input.issued_on,
        valid_until: input.valid_until,
        status: CertificateStatus::Submitted,
        submitted_by: caller.viewer.user_id,
        submitted_at: Utc::now(),
        reviewed_by: None,
        reviewed_at: None,
        rejection_reason: None,
        expiry_warned_at: None,
        expired_at: None,
    };
    let txn = db.begin().await?;
    let saved = match row.into_active_model().insert(&txn).await {
        Ok(saved) => saved,
        Err(error) if is_unique_violation(&error) => {
            return Err(AppError::field(
                "mark",
                ErrorCode::Duplicate,
                msg!("quality_marks.certificate_mark_product_awaits_review_already"),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    caller
        .audit(
            &txn,
            Change {
                action: "submitQualityMark",
                target_type: "QualityMarkCertificate",
                target_id: Some(saved.id),
                summary: json!({
                    "product": product.id, "mark": saved.mark.api_name(),
                    "issuingBody": saved.issuing_body, "number": saved.certificate_no,
                    "validUntil": saved.valid_until,
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(saved)
}

/// An officer's decision on a submitted certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Verify,
    Reject { reason: String },
}

/// `verifyQualityMark` / `rejectQualityMark`: an officer whose scope covers the product's place
/// decides once. Verifying an expired certificate is refused; a verified number already on the
/// product for the mark is a duplicate.
pub async fn review(
    caller: Caller<'_>,
    id: Uuid,
    decision: Decision,
) -> AppResult<certificate::Model> {
    if let Decision::Reject { reason } = &decision {
        let mut checks = Checks::default();
        checks.length(reason.trim(), "reason", 2, 1000);
        checks.finish()?;
    }
    let db = caller.db();
    let cert = load_visible(db, caller.viewer, id).await?;
    scope::require_acting_over(db, caller.viewer, &cert.region_code).await?;
    let now = Utc::now();
    let today = now.date_naive();
    if cert.status != CertificateStatus::Submitted {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("quality_marks.certificate_has_been_reviewed_already"),
        ));
    }
    if decision == Decision::Verify && cert.valid_until < today {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("quality_marks.certificate_has_expired_cannot_verified"),
        ));
    }
    let (status, reason) = match &decision {
        Decision::Verify => (CertificateStatus::Verified, None),
        Decision::Reject { reason } => {
            (CertificateStatus::Rejected, Some(reason.trim().to_owned()))
        }
    };
    let txn = db.begin().await?;
    let updated = certificate::Entity::update_many()
        .col_expr(certificate::Column::Status, Expr::value(status))
        .col_expr(
            certificate::Column::ReviewedBy,
            Expr::value(caller.viewer.user_id),
        )
        .col_expr(certificate::Column::ReviewedAt, Expr::value(now))
        .col_expr(
            certificate::Column::RejectionReason,
            Expr::value(reason.clone()),
        )
        .filter(certificate::Column::Id.eq(id))
        .filter(certificate::Column::Status.eq(CertificateStatus::Submitted))
        .exec(&txn)
        .await;
    match updated {
        Ok(done) if done.rows_affected == 1 => {}
        Ok(_) => {
            return Err(AppError::state(
                ErrorCode::InvalidState,
                msg!("quality_marks.certificate_has_been_reviewed_meanwhile"),
            ));
        }
        Err(error) if is_unique_violation(&error) => {
            return Err(AppError::field(
                "certificateNumber",
                ErrorCode::Duplicate,
                msg!("quality_marks.certificate_number_verified_product_mark_already"),
            ));
        }
        Err(error) => return Err(error.into()),
    }
    refresh_marks(&txn, cert.product_id, today).await?;
    caller
        .audit(
            &txn,
            Change {
                action: match decision {
                    Decision::Verify => "verifyQualityMark",
                    Decision::Reject { .. } => "rejectQualityMark",
                },
                target_type: "QualityMarkCertificate",
                target_id: Some(id),
                summary: json!({ "mark": cert.mark.api_name(), "reason": reason }),
            },
        )
        .await?;
    txn.commit().await?;
    load(db, id).await
}

pub async fn load(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<certificate::Model> {
    certificate::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.quality_mark_certificate"))
}

/// A certificate the viewer may see (`NOT_FOUND` otherwise, as for an unknown ID).
pub async fn load_visible(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<certificate::Model> {
    require_visible(
        conn,
        viewer,
        certificate::Entity::find_by_id(id),
        Sight::quality_mark_certificates,
        "not_found.quality_mark_certificate",
    )
    .await
}

/// Sets a product's marks to those of its verified certificates in force on `today`.
pub async fn refresh_marks(
    conn: &impl ConnectionTrait,
    product_id: Uuid,
    today: NaiveDate,
) -> AppResult<i32> {
    let marks: Vec<QualityMark> = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::Mark)
        .filter(certificate::Column::ProductId.eq(product_id))
        .filter(in_force_on(today))
        .into_tuple()
        .all(conn)
        .await?;
    let mask = QualityMark::mask(&marks);
    product::Entity::update_many()
        .col_expr(product::Column::QualityMarks, Expr::value(mask))
        .filter(product::Column::Id.eq(product_id))
        .exec(conn)
        .await?;
    Ok(mask)
}

/// Verified certificates in force on `day`.
fn in_force_on(day: NaiveDate) -> Condition {
    Condition::all()
        .add(certificate::Column::Status.eq(CertificateStatus::Verified))
        .add(certificate::Column::IssuedOn.lte(day))
        .add(certificate::Column::ValidUntil.gte(day))
}

/// Which certificates to list.
#[derive(Clone, Debug, Default)]
pub struct CertificateFilter {
    pub product_id: Option<Uuid>,
    pub status: Option<Standing>,
}

/// Certificates the viewer may see, newest first (at most `limit`).
pub async fn list(
    conn: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    filter: &CertificateFilter,
    limit: u64,
) -> AppResult<Vec<certificate::Model>> {
    let today = Utc::now().date_naive();
    let sight = Sight::of(conn, viewer).await?;
    if !sight.is_signed_in() {
        return Ok(Vec::new());
    }
    let mut query = certificate::Entity::find().filter(sight.quality_mark_certificates());
    if let Some(product) = filter.product_id {
        query = query.filter(certificate::Column::ProductId.eq(product));
    }
    if let Some(status) = filter.status {
        query =
            query.filter(match status {
                Standing::Submitted => Condition::all()
                    .add(certificate::Column::Status.eq(CertificateStatus::Submitted)),
                Standing::Rejected => Condition::all()
                    .add(certificate::Column::Status.eq(CertificateStatus::Rejected)),
                Standing::Verified => Condition::all()
                    .add(certificate::Column::Status.eq(CertificateStatus::Verified))
                    .add(certificate::Column::ValidUntil.gte(today)),
                Standing::Expired => Condition::all()
                    .add(certificate::Column::Status.eq(CertificateStatus::Verified))
                    .add(certificate::Column::ValidUntil.lt(today)),
            });
    }
    Ok(query
        .order_by_desc(certificate::Column::SubmittedAt)
        .order_by_desc(certificate::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// What one run of the periodic check did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiryRun {
    /// Certificates warned now: expiring within [`WARN_DAYS`].
    pub warned: Vec<Uuid>,
    /// Certificates past their validity whose marks were dropped now.
    pub expired: Vec<Uuid>,
}

/// Checks once for the period containing `now`, unless another instance claimed it (`None`).
/// Each certificate is warned once and expired once; the events go out after commit.
pub async fn run(services: &Services, now: DateTime<Utc>) -> AppResult<Option<ExpiryRun>> {
    let period = jobs::period_of(now, services.settings.quality_mark_check_interval);
    let today = now.date_naive();
    let txn = services.db.begin().await?;
    if !jobs::claim(&txn, JOB, &period, now).await? {
        return Ok(None);
    }
    let expired = expire(&txn, today, now).await?;
    let warned = warn(&txn, today, now).await?;
    jobs::record_affected(&txn, JOB, &period, (warned.len() + expired.len()) as u64).await?;
    txn.commit().await?;
    let event = |c: &certificate::Model, expired: bool| {
        Event::QualityMarkExpiring(QualityMarkExpiring {
            certificate_id: c.id,
            producer_org_id: c.producer_org_id,
            valid_until: c.valid_until,
            expired,
        })
    };
    services.bus.publish(
        warned
            .iter()
            .map(|c| event(c, false))
            .chain(expired.iter().map(|c| event(c, true))),
    );
    Ok(Some(ExpiryRun {
        warned: warned.iter().map(|c| c.id).collect(),
        expired: expired.iter().map(|c| c.id).collect(),
    }))
}

/// Verified certificates expiring within [`WARN_DAYS`] and not warned yet: marked warned.
async fn warn(
    txn: &DatabaseTransaction,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Vec<certificate::Model>> {
    let horizon = today
        .checked_add_days(Days::new(WARN_DAYS))
        .unwrap_or(today);
    let due = certificate::Entity::find()
        .filter(certificate::Column::Status.eq(CertificateStatus::Verified))
        .filter(certificate::Column::ExpiredAt.is_null())
        .filter(certificate::Column::ExpiryWarnedAt.is_null())
        .filter(certificate::Column::ValidUntil.gte(today))
        .filter(certificate::Column::ValidUntil.lte(horizon))
        .all(txn)
        .await?;
    if !due.is_empty() {
        certificate::Entity::update_many()
            .col_expr(certificate::Column::ExpiryWarnedAt, Expr::value(now))
            .filter(certificate::Column::Id.is_in(due.iter().map(|c| c.id)))
            .exec(txn)
            .await?;
    }
    Ok(due)
}

/// Verified certificates past their validity and not yet expired: marked expired, and their
/// products' marks recomputed.
async fn expire(
    txn: &DatabaseTransaction,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Vec<certificate::Model>> {
    let lapsed = certificate::Entity::find()
        .filter(certificate::Column::Status.eq(CertificateStatus::Verified))
        .filter(certificate::Column::ExpiredAt.is_null())
        .filter(certificate::Column::ValidUntil.lt(today))
        .all(txn)
        .await?;
    if lapsed.is_empty() {
        return Ok(lapsed);
    }
    certificate::Entity::update_many()
        .col_expr(certificate::Column::ExpiredAt, Expr::value(now))
        .filter(certificate::Column::Id.is_in(lapsed.iter().map(|c| c.id)))
        .exec(txn)
        .await?;
    let mut products: Vec<Uuid> = lapsed.iter().map(|c| c.product_id).collect();
    products.sort_unstable();
    products.dedup();
    for product in products {
        refresh_marks(txn, product, today).await?;
    }
    Ok(lapsed)
}

/// Runs the check on every instance; the claim keeps it to once per period.
pub fn spawn(services: Services) -> Option<tokio::task::JoinHandle<()>> {
    let interval = services.settings.quality_mark_check_interval;
    jobs::spawn_every(
        services,
        interval,
        "quality-mark expiry check",
        |services, now| async move {
            let done = run(&services, now).await?;
            Ok(done.map(|d| format!("warned {}, expired {}", d.warned.len(), d.expired.len())))
        },
    )
}

/// The warned certificate, if `visible` (a viewer's `Sight::quality_mark_certificates`) shows it.
pub async fn warned_certificate(
    conn: &impl ConnectionTrait,
    visible: Condition,
    id: Uuid,
) -> AppResult<Option<certificate::Model>> {
    Ok(certificate::Entity::find_by_id(id)
        .filter(visible)
        .one(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn input(issued_on: NaiveDate, valid_until: NaiveDate) -> CertificateInput {
        CertificateInput {
            product_id: Uuid::nil(),
            mark: QualityMark::GreenFood,
            issuing_body: "中国绿色食品发展中心".into(),
            certificate_no: "LB-15-23120123456A".into(),
            issued_on,
            valid_until,
        }
    }

    fn fields(checks: Checks) -> Vec<String> {
        match checks.finish() {
            Ok(()) => Vec::new(),
            Err(AppError::User(errors)) => errors
                .into_iter()
                .filter_map(|e| e.field.and_then(|f| f.last().cloned()))
                .collect(),
            Err(other) => vec![format!("{other:?}")],
        }
    }

    #[test]
    fn a_certificate_runs_forward_from_its_issue_and_is_in_force_today() {
        let today = day(2026, 12, 5);
        assert!(fields(check(&input(day(2025, 1, 1), day(2028, 1, 1)), today)).is_empty());
        // Expiry before issue names validUntil, once.
        assert_eq!(
            fields(check(&input(day(2025, 6, 1), day(2025, 5, 1)), today)),
            ["validUntil"]
        );
        assert_eq!(
            fields(check(&input(day(2023, 1, 1), day(2026, 12, 4)), today)),
            ["validUntil"]
        );
        assert_eq!(
            fields(check(&input(day(2026, 12, 6), day(2028, 1, 1)), today)),
            ["issuedOn"]
        );
        assert_eq!(
            fields(check(&input(day(2025, 1, 1), day(2205, 1, 1)), today)),
            ["validUntil"]
        );
        let mut blank = input(day(2025, 1, 1), day(2028, 1, 1));
        blank.issuing_body = " ".into();
        blank.certificate_no = "x".repeat(65);
        assert_eq!(
            fields(check(&blank, today)),
            ["issuingBody", "certificateNumber"]
        );
    }

    #[test]
    fn a_verified_certificate_expires_the_day_after_its_validity() {
        let mut cert = certificate::Model {
            id: Uuid::nil(),
            product_id: Uuid::nil(),
            producer_org_id: Uuid::nil(),
            region_code: "130126204207".into(),
            mark: QualityMark::Organic,
            issuing_body: "x".into(),
            certificate_no: "y".into(),
            issued_on: day(2025, 1, 1),
            valid_until: day(2026, 12, 31),
            status: CertificateStatus::Verified,
            submitted_by: Uuid::nil(),
            submitted_at: Utc::now(),
            reviewed_by: None,
            reviewed_at: None,
            rejection_reason: None,
            expiry_warned_at: None,
            expired_at: None,
        };
        assert_eq!(standing_on(&cert, day(2026, 12, 31)), Standing::Verified);
        assert_eq!(standing_on(&cert, day(2027, 1, 1)), Standing::Expired);
        assert!(cert.in_force_on(day(2026, 12, 31)) && !cert.in_force_on(day(2027, 1, 1)));
        cert.status = CertificateStatus::Submitted;
        assert_eq!(standing_on(&cert, day(2026, 6, 1)), Standing::Submitted);
        assert!(!cert.in_force_on(day(2026, 6, 1)));
    }
}
