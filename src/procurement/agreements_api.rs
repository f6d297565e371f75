//! Directed procurement agreements in the API: the `Agreement` type, the `agreements` query,
//! and `proposeAgreement`, `acceptAgreement`, `terminateAgreement`.

use async_graphql::{Context, ID, InputObject, Object};
use entity::agreement::{self, AgreementStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::agreements::{self, Proposal};
use crate::{
    auth::{Role, RoleGuard, viewer, visibility::Sight},
    error::{AppError, Result, payload},
    graphql::{
        context::{caller, services},
        scalars::{Date, Money},
    },
    ids::{self, NodeKind},
    org::{buyers_api::Buyer, membership::membership_of, producers_api::Producer},
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
};

/// A directed procurement agreement (定向采购协议, 农超对接协议).
pub struct Agreement(pub agreement::Model);

#[Object]
impl Agreement {
    pub async fn id(&self) -> ID {
        NodeKind::Agreement.id(self.0.id)
    }

    async fn status(&self) -> AgreementStatus {
        self.0.status
    }

    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Buyer::load(ctx, self.0.buyer_org_id).await
    }

    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        Producer::load(ctx, self.0.producer_org_id).await
    }

    async fn product_id(&self) -> ID {
        NodeKind::Product.id(self.0.product_id)
    }

    /// The agreed price, used by orders under the agreement.
    async fn price(&self) -> Money {
        Money(self.0.price_fen)
    }

    async fn total_quantity(&self) -> i64 {
        self.0.total_quantity
    }

    /// Ordered so far under it (cancelled orders give their quantity back).
    async fn ordered_quantity(&self) -> i64 {
        self.0.ordered_quantity
    }

    /// Delivered so far: accepted minus refunded.
    async fn delivered_quantity(&self, ctx: &Context<'_>) -> Result<i64> {
        agreements::delivered(&services(ctx)?.db, self.0.id).await
    }

    async fn starts_on(&self) -> Date {
        Date(self.0.starts_on)
    }

    async fn ends_on(&self) -> Date {
        Date(self.0.ends_on)
    }

    /// Delivery rhythm, e.g. "每周一、四配送".
    async fn rhythm(&self) -> &str {
        &self.0.rhythm
    }

    async fn terminate_reason(&self) -> Option<&str> {
        self.0.terminate_reason.as_deref()
    }
}

#[derive(InputObject)]
pub struct ProposeAgreementInput {
    pub product_id: ID,
    pub price: Money,
    pub total_quantity: i64,
    pub starts_on: Date,
    pub ends_on: Date,
    pub rhythm: String,
}

#[derive(InputObject)]
pub struct AgreementIdInput {
    pub agreement_id: ID,
}

#[derive(InputObject)]
pub struct TerminateAgreementInput {
    pub agreement_id: ID,
    pub reason: String,
}

crate::payload! {
    AgreementPayload { agreement: Option<Agreement> } from agreement::Model => |m| Some(Agreement(m))
}

#[derive(InputObject, Default)]
pub struct AgreementFilter {
    pub statuses: Option<Vec<AgreementStatus>>,
}

#[derive(Default)]
pub struct AgreementQuery;

#[Object]
impl AgreementQuery {
    /// The agreements of the viewer's organisation, as buyer or producer (all for admins).
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn agreements(
        &self,
        ctx: &Context<'_>,
        filter: Option<AgreementFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Agreement>> {
        let services = services(ctx)?;
        let viewer = viewer(ctx)?;
        // The same rule as accepting or ending one by ID (`Sight::agreements`).
        let sight = Sight::of(&services.db, Some(viewer)).await?;
        if !viewer.is_admin() && membership_of(&services.db, viewer.user_id).await?.is_none() {
            return Err(AppError::Forbidden(
                "only members of a buyer or producer have agreements",
            ));
        }
        let mut select = agreement::Entity::find().filter(sight.agreements());
        if let Some(statuses) = filter.and_then(|f| f.statuses) {
            select = select.filter(agreement::Column::Status.is_in(statuses));
        }
        pagination::paginate(
            &services.db,
            select,
            &[SortKey::desc(agreement::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |a| vec![CursorValue::Uuid(a.id)],
            Agreement,
        )
        .await
    }
}

fn agreement_id(id: &ID) -> Result<Uuid> {
    ids::expect(id, NodeKind::Agreement, "agreementId")
}

#[derive(Default)]
pub struct AgreementMutation;

#[Object]
impl AgreementMutation {
    /// A buyer unit proposes a directed procurement agreement for a product.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn propose_agreement(
        &self,
        ctx: &Context<'_>,
        input: ProposeAgreementInput,
    ) -> Result<AgreementPayload> {
        let proposal = Proposal {
            product_id: ids::expect(&input.product_id, NodeKind::Product, "productId")?,
            price_fen: input.price.fen(),
            total_quantity: input.total_quantity,
            starts_on: input.starts_on.0,
            ends_on: input.ends_on.0,
            rhythm: input.rhythm,
        };
        payload(agreements::propose(caller(ctx)?, proposal).await)
    }

    /// The producer accepts a proposed agreement.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn accept_agreement(
        &self,
        ctx: &Context<'_>,
        input: AgreementIdInput,
    ) -> Result<AgreementPayload> {
        let id = agreement_id(&input.agreement_id)?;
        payload(agreements::accept(caller(ctx)?, id).await)
    }

    /// Either party ends an agreement, with a reason.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer, Role::Producer])")]
    async fn terminate_agreement(
        &self,
        ctx: &Context<'_>,
        input: TerminateAgreementInput,
    ) -> Result<AgreementPayload> {
        let id = agreement_id(&input.agreement_id)?;
        payload(agreements::terminate(caller(ctx)?, id, &input.reason).await)
    }
}
