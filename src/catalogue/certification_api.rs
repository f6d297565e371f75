//! Certification in the API: the `Certification` and `CertificationReview` types, the
//! `certifications` query and the apply, review and revoke mutations.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::Utc;
use entity::{
    certification,
    certification_review::{self, ReviewDecision, ReviewStage},
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    certification::{self as rules, CertificationStatus},
    products_api::{Product, insider, may_see},
};
use crate::{
    auth::{Role, RoleGuard, accounts_api::User, viewer, visibility::Sight},
    error::{Result, payload},
    graphql::{
        context::services,
        context::{caller, loaders},
        scalars::{Date, DateTime},
    },
    ids::{self, NodeKind},
    loaders::{ProductById, UserById},
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
    region::subtree,
};

/// An application for certification as a poverty-alleviation product (扶贫产品认定).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Certification {
    #[graphql(owned)]
    pub id: ID,
    /// Where it stands today (notice, validity and expiry follow from the dates).
    pub status: CertificationStatus,
    pub certificate_no: Option<String>,
    /// End of the public notice (公示) period.
    pub notice_until: Option<Date>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    /// The deciding county's division code.
    pub county_code: String,
    pub applied_at: DateTime,
    pub decided_at: Option<DateTime>,
    pub revoke_reason: Option<String>,
    #[graphql(skip)]
    pub row: certification::Model,
}

impl From<certification::Model> for Certification {
    fn from(row: certification::Model) -> Self {
        Self {
            id: NodeKind::Certification.id(row.id),
            status: rules::status_on(&row, Utc::now().date_naive()),
            certificate_no: row.certificate_no.clone(),
            notice_until: row.notice_until.map(Date),
            valid_from: row.valid_from.map(Date),
            valid_until: row.valid_until.map(Date),
            county_code: row.county_code.clone(),
            applied_at: row.applied_at.into(),
            decided_at: row.decided_at.map(Into::into),
            revoke_reason: row.revoke_reason.clone(),
            row,
        }
    }
}

#[ComplexObject]
impl Certification {
    /// Its evidence files, oldest first, for whoever may read it.
    async fn files(&self, ctx: &Context<'_>) -> Result<Vec<crate::files::files_api::File>> {
        crate::files::files_api::files_of(ctx, NodeKind::Certification, self.row.id).await
    }

    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let loaders = loaders(ctx)?;
        let Some(product) = loaders.load_one(ProductById(self.row.product_id)).await? else {
            return Ok(None);
        };
        Ok(may_see(ctx, &product)
            .await?
            .then_some(Product::from(product)))
    }

    /// The linkage evidence submitted (the producer's members and platform staff).
    async fn evidence(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(insider(ctx, self.row.producer_org_id)
            .await?
            .then(|| self.row.evidence.clone()))
    }

    /// Each stage's decision and who made it (the producer's members and platform staff).
    async fn reviews(&self, ctx: &Context<'_>) -> Result<Vec<CertificationReview>> {
        if !insider(ctx, self.row.producer_org_id).await? {
            return Ok(Vec::new());
        }
        let rows = rules::reviews(&services(ctx)?.db, self.row.id).await?;
        Ok(rows.into_iter().map(CertificationReview::from).collect())
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CertificationReview {
    pub stage: ReviewStage,
    pub decision: ReviewDecision,
    pub comment: Option<String>,
    pub reviewed_at: DateTime,
    #[graphql(skip)]
    pub row: certification_review::Model,
}

impl From<certification_review::Model> for CertificationReview {
    fn from(row: certification_review::Model) -> Self {
        Self {
            stage: row.stage,
            decision: row.decision,
            comment: row.comment.clone(),
            reviewed_at: row.reviewed_at.into(),
            row,
        }
    }
}

#[ComplexObject]
impl CertificationReview {
    /// Whoever reviews is responsible: the reviewer is always named.
    async fn reviewer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(UserById(self.row.reviewer_id))
            .await?
            .map(User::from))
    }
}

#[derive(InputObject, Default)]
pub struct CertificationFilter {
    pub statuses: Option<Vec<CertificationStatus>>,
    /// Applications decided by this region's counties (division code subtree).
    pub region_code: Option<String>,
    pub product_id: Option<ID>,
}

#[derive(Default)]
pub struct CertificationQuery;

#[Object]
impl CertificationQuery {
    /// Certification applications: a producer's own, or those in an officer's or auditor's
    /// region. Newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn certifications(
        &self,
        ctx: &Context<'_>,
        filter: Option<CertificationFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Certification>> {
        let services = services(ctx)?;
        let viewer = viewer(ctx)?;
        let filter = filter.unwrap_or_default();
        // The same rule as `node` (`Sight::certifications`).
        let sight = Sight::of(&services.db, Some(viewer)).await?;
        let mut select = certification::Entity::find().filter(sight.certifications());
        if let Some(code) = &filter.region_code {
            select = select.filter(subtree(
                certification::Column::CountyCode,
                &code.chars().take(6).collect::<String>(),
            ));
        }
        if let Some(product) = &filter.product_id {
            select = select.filter(certification::Column::ProductId.eq(ids::expect(
                product,
                NodeKind::Product,
                "productId",
            )?));
        }
        if let Some(statuses) = filter.statuses {
            let today = Utc::now().date_naive();
            let mut any = Condition::any();
            for status in statuses {
                any = any.add(rules::status_condition(status, today));
            }
            select = select.filter(any);
        }
        pagination::paginate(
            &services.db,
            select,
            &[SortKey::desc(certification::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |c| vec![CursorValue::Uuid(c.id)],
            Certification::from,
        )
        .await
    }
}

#[derive(InputObject)]
pub struct ApplyCertificationInput {
    pub product_id: ID,
    /// How the producer lifts registered poor households (wages, asset income, purchase
    /// agreements), with numbers.
    pub evidence: String,
}

#[derive(InputObject)]
pub struct ReviewCertificationInput {
    pub certification_id: ID,
    pub decision: ReviewDecision,
    /// Required for a rejection.
    pub comment: Option<String>,
}

#[derive(InputObject)]
pub struct RevokeCertificationInput {
    pub certification_id: ID,
    pub reason: String,
}

crate::payload! {
    CertificationPayload {
        certification: Option<Certification>
    } from certification::Model => |certification| Some(Certification::from(certification))
}

fn certification_id(id: &ID) -> Result<Uuid> {
    ids::expect(id, NodeKind::Certification, "certificationId")
}

#[derive(Default)]
pub struct CertificationMutation;

#[Object]
impl CertificationMutation {
    /// Applies for certification as a poverty-alleviation product (members of the producer).
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn apply_certification(
        &self,
        ctx: &Context<'_>,
        input: ApplyCertificationInput,
    ) -> Result<CertificationPayload> {
        let id = ids::expect(&input.product_id, NodeKind::Product, "productId")?;
        payload(rules::apply(caller(ctx)?, id, &input.evidence).await)
    }

    /// The next review of an application: the township's first review, then the county's
    /// decision by another officer. A county approval starts the public notice.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Admin])")]
    async fn review_certification(
        &self,
        ctx: &Context<'_>,
        input: ReviewCertificationInput,
    ) -> Result<CertificationPayload> {
        let id = certification_id(&input.certification_id)?;
        payload(rules::review(caller(ctx)?, id, input.decision, input.comment).await)
    }

    /// Revokes a certificate, with a reason (officers over its county).
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Admin])")]
    async fn revoke_certification(
        &self,
        ctx: &Context<'_>,
        input: RevokeCertificationInput,
    ) -> Result<CertificationPayload> {
        let id = certification_id(&input.certification_id)?;
        payload(rules::revoke(caller(ctx)?, id, &input.reason).await)
    }
}
