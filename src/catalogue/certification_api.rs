//! Certification in the API: the `Certification` and `CertificationReview` types, the
//! `certifications` query and the apply, review and revoke mutations.

use async_graphql::{Context, ID, InputObject, Object};
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
pub struct Certification(pub certification::Model);

#[Object]
impl Certification {
    pub async fn id(&self) -> ID {
        NodeKind::Certification.id(self.0.id)
    }

    /// Where it stands today (notice, validity and expiry follow from the dates).
    async fn status(&self) -> CertificationStatus {
        rules::status_on(&self.0, Utc::now().date_naive())
    }

    async fn certificate_no(&self) -> Option<&str> {
        self.0.certificate_no.as_deref()
    }

    /// End of the public notice (公示) period.
    async fn notice_until(&self) -> Option<Date> {
        self.0.notice_until.map(Date)
    }

    async fn valid_from(&self) -> Option<Date> {
        self.0.valid_from.map(Date)
    }

    async fn valid_until(&self) -> Option<Date> {
        self.0.valid_until.map(Date)
    }

    /// The deciding county's division code.
    async fn county_code(&self) -> &str {
        &self.0.county_code
    }

    async fn applied_at(&self) -> DateTime {
        self.0.applied_at.into()
    }

    async fn decided_at(&self) -> Option<DateTime> {
        self.0.decided_at.map(Into::into)
    }

    async fn revoke_reason(&self) -> Option<&str> {
        self.0.revoke_reason.as_deref()
    }

    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let loaders = loaders(ctx)?;
        let Some(product) = loaders.load_one(ProductById(self.0.product_id)).await? else {
            return Ok(None);
        };
        Ok(may_see(ctx, &product).await?.then_some(Product(product)))
    }

    /// The linkage evidence submitted (the producer's members and platform staff).
    async fn evidence(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(insider(ctx, self.0.producer_org_id)
            .await?
            .then(|| self.0.evidence.clone()))
    }

    /// Each stage's decision and who made it (the producer's members and platform staff).
    async fn reviews(&self, ctx: &Context<'_>) -> Result<Vec<CertificationReview>> {
        if !insider(ctx, self.0.producer_org_id).await? {
            return Ok(Vec::new());
        }
        let rows = rules::reviews(&services(ctx)?.db, self.0.id).await?;
        Ok(rows.into_iter().map(CertificationReview).collect())
    }
}

pub struct CertificationReview(pub certification_review::Model);

#[Object]
impl CertificationReview {
    async fn stage(&self) -> ReviewStage {
        self.0.stage
    }

    async fn decision(&self) -> ReviewDecision {
        self.0.decision
    }

    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }

    /// Whoever reviews is responsible: the reviewer is always named.
    async fn reviewer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(UserById(self.0.reviewer_id))
            .await?
            .map(User))
    }

    async fn reviewed_at(&self) -> DateTime {
        self.0.reviewed_at.into()
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
            Certification,
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
    } from certification::Model => |certification| Some(Certification(certification))
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
