//! Directed procurement agreements in the API: the `Agreement` type, the `agreements` query,
//! and `proposeAgreement`, `acceptAgreement`, `terminateAgreement`.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
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
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Agreement {
    #[graphql(owned)]
    pub id: ID,
    pub status: AgreementStatus,
    pub product_id: ID,
    /// The agreed price, used by orders under the agreement.
    pub price: Money,
    pub total_quantity: i64,
    /// Ordered so far under it (cancelled orders give their quantity back).
    pub ordered_quantity: i64,
    pub starts_on: Date,
    pub ends_on: Date,
    /// Delivery rhythm, e.g. "每周一、四配送".
    pub rhythm: String,
    pub terminate_reason: Option<String>,
    #[graphql(skip)]
    pub row: agreement::Model,
}

impl From<agreement::Model> for Agreement {
    fn from(row: agreement::Model) -> Self {
        Self {
            id: NodeKind::Agreement.id(row.id),
            status: row.status,
            product_id: NodeKind::Product.id(row.product_id),
            price: Money(row.price_fen),
            total_quantity: row.total_quantity,
            ordered_quantity: row.ordered_quantity,
            starts_on: Date(row.starts_on),
            ends_on: Date(row.ends_on),
            rhythm: row.rhythm.clone(),
            terminate_reason: row.terminate_reason.clone(),
            row,
        }
    }
}

#[ComplexObject]
impl Agreement {
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Buyer::load(ctx, self.row.buyer_org_id).await
    }

    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        Producer::load(ctx, self.row.producer_org_id).await
    }

    /// Delivered so far: accepted minus refunded.
    async fn delivered_quantity(&self, ctx: &Context<'_>) -> Result<i64> {
        agreements::delivered(&services(ctx)?.db, self.row.id).await
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
    AgreementPayload { agreement: Option<Agreement> } from agreement::Model => |m| Some(Agreement::from(m))
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
                "forbidden.only_members_buyer_producer_have_agreements",
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
            Agreement::from,
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
