//! Quality-mark certificates in the API: `QualityMarkCertificate`, `submitQualityMark`,
//! `verifyQualityMark`, `rejectQualityMark`, `qualityMarkCertificates`, and
//! `Product.qualityMarkCertificates`. The expiry warnings are `qualityMarkExpiring`
//! (`live::subscriptions_api`).

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::Utc;
use entity::{product::QualityMark, quality_mark_certificate as certificate};

use super::{
    products_api::{Product, may_see},
    quality_marks::{self as rules, CertificateFilter, CertificateInput, Decision, Standing},
};
use crate::{
    auth::{Role, RoleGuard},
    error::{Result, payload},
    graphql::{
        context::{caller, loaders, services, viewer_opt},
        scalars::{Date, DateTime},
    },
    ids::{self, NodeKind},
    loaders::ProductById,
};

/// The certificate behind a product's quality mark, for its producer and the officers over it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct QualityMarkCertificate {
    pub id: ID,
    pub mark: QualityMark,
    /// Who issued it (中国绿色食品发展中心, a certification body, …).
    pub issuing_body: String,
    pub certificate_number: String,
    pub issued_on: Date,
    pub valid_until: Date,
    /// Where it stands today: only VERIFIED puts the mark on the product.
    pub status: Standing,
    pub submitted_at: DateTime,
    pub reviewed_at: Option<DateTime>,
    pub rejection_reason: Option<String>,
    /// When the producer was warned it expires within 30 days.
    pub expiry_warned_at: Option<DateTime>,
    #[graphql(skip)]
    pub row: certificate::Model,
}

impl From<certificate::Model> for QualityMarkCertificate {
    fn from(row: certificate::Model) -> Self {
        Self {
            id: NodeKind::QualityMarkCertificate.id(row.id),
            mark: row.mark,
            issuing_body: row.issuing_body.clone(),
            certificate_number: row.certificate_no.clone(),
            issued_on: Date(row.issued_on),
            valid_until: Date(row.valid_until),
            status: rules::standing_on(&row, Utc::now().date_naive()),
            submitted_at: DateTime(row.submitted_at),
            reviewed_at: row.reviewed_at.map(DateTime),
            rejection_reason: row.rejection_reason.clone(),
            expiry_warned_at: row.expiry_warned_at.map(DateTime),
            row,
        }
    }
}

#[ComplexObject]
impl QualityMarkCertificate {
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let Some(product) = loaders(ctx)?
            .load_one(ProductById(self.row.product_id))
            .await?
        else {
            return Ok(None);
        };
        Ok(may_see(ctx, &product)
            .await?
            .then_some(Product::from(product)))
    }

    /// The certificate's scan (`uploadFile` with purpose CERTIFICATE), oldest first.
    async fn files(&self, ctx: &Context<'_>) -> Result<Vec<crate::files::files_api::File>> {
        crate::files::files_api::files_of(ctx, NodeKind::QualityMarkCertificate, self.row.id).await
    }
}

/// A warning from the periodic check (`qualityMarkExpiring`): the certificate expires within
/// 30 days, or has expired and its mark no longer shows.
#[derive(SimpleObject)]
pub struct QualityMarkWarning {
    pub certificate: QualityMarkCertificate,
    /// The last day it is valid.
    pub valid_until: Date,
    /// True once it has expired and the mark was taken off the product.
    pub expired: bool,
}

#[derive(InputObject)]
pub struct SubmitQualityMarkInput {
    pub product_id: ID,
    pub mark: QualityMark,
    pub issuing_body: String,
    pub certificate_number: String,
    pub issued_on: Date,
    /// On or after `issuedOn`, and not past.
    pub valid_until: Date,
}

#[derive(InputObject)]
pub struct VerifyQualityMarkInput {
    pub certificate_id: ID,
}

#[derive(InputObject)]
pub struct RejectQualityMarkInput {
    pub certificate_id: ID,
    /// Why, for the producer (2 to 1,000 characters).
    pub reason: String,
}

#[derive(InputObject, Default)]
pub struct QualityMarkCertificateFilter {
    pub product_id: Option<ID>,
    pub status: Option<Standing>,
}

crate::payload! {
    QualityMarkPayload { certificate: Option<QualityMarkCertificate> }
        from certificate::Model => |m| Some(QualityMarkCertificate::from(m))
}

#[derive(Default)]
pub struct QualityMarkQuery;

#[Object]
impl QualityMarkQuery {
    /// Certificates the viewer may see (its producer's, or those in an officer's scope),
    /// newest first, at most 200.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn quality_mark_certificates(
        &self,
        ctx: &Context<'_>,
        filter: Option<QualityMarkCertificateFilter>,
    ) -> Result<Vec<QualityMarkCertificate>> {
        let filter = filter.unwrap_or_default();
        let product_id = filter
            .product_id
            .as_ref()
            .map(|id| ids::expect(id, NodeKind::Product, "productId"))
            .transpose()?;
        let rules_filter = CertificateFilter {
            product_id,
            status: filter.status,
        };
        let rows = rules::list(&services(ctx)?.db, viewer_opt(ctx), &rules_filter, 200).await?;
        Ok(rows.into_iter().map(QualityMarkCertificate::from).collect())
    }
}

#[derive(Default)]
pub struct QualityMarkMutation;

#[Object]
impl QualityMarkMutation {
    /// A member of the product's producer submits a quality mark's certificate; the mark shows
    /// once an officer verifies it. Attach the scan with `uploadFile` (purpose CERTIFICATE).
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn submit_quality_mark(
        &self,
        ctx: &Context<'_>,
        input: SubmitQualityMarkInput,
    ) -> Result<QualityMarkPayload> {
        let product_id = ids::expect(&input.product_id, NodeKind::Product, "productId")?;
        let new = CertificateInput {
            product_id,
            mark: input.mark,
            issuing_body: input.issuing_body,
            certificate_no: input.certificate_number,
            issued_on: input.issued_on.0,
            valid_until: input.valid_until.0,
        };
        payload(rules::submit(caller(ctx)?, new).await)
    }

    /// An officer whose scope covers the product's place verifies a submitted certificate: the
    /// mark shows on the product and counts in search until the certificate expires.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer])")]
    async fn verify_quality_mark(
        &self,
        ctx: &Context<'_>,
        input: VerifyQualityMarkInput,
    ) -> Result<QualityMarkPayload> {
        let id = ids::expect(
            &input.certificate_id,
            NodeKind::QualityMarkCertificate,
            "certificateId",
        )?;
        payload(rules::review(caller(ctx)?, id, Decision::Verify).await)
    }

    /// An officer whose scope covers the product's place rejects a submitted certificate, with
    /// a reason for the producer.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer])")]
    async fn reject_quality_mark(
        &self,
        ctx: &Context<'_>,
        input: RejectQualityMarkInput,
    ) -> Result<QualityMarkPayload> {
        let id = ids::expect(
            &input.certificate_id,
            NodeKind::QualityMarkCertificate,
            "certificateId",
        )?;
        let decision = Decision::Reject {
            reason: input.reason,
        };
        payload(rules::review(caller(ctx)?, id, decision).await)
    }
}

/// `Product.qualityMarkCertificates`: for its producer's members and the officers over it.
pub async fn of_product(
    ctx: &Context<'_>,
    product_id: uuid::Uuid,
) -> Result<Vec<QualityMarkCertificate>> {
    let Some(viewer) = viewer_opt(ctx) else {
        return Ok(Vec::new());
    };
    let filter = CertificateFilter {
        product_id: Some(product_id),
        status: None,
    };
    let rows = rules::list(&services(ctx)?.db, Some(viewer), &filter, 200).await?;
    Ok(rows.into_iter().map(QualityMarkCertificate::from).collect())
}
