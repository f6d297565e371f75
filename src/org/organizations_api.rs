//! Organisations in the API: the `Organization` node, its members and `addMember`.

use async_graphql::{Context, ID, InputObject, Object};
use entity::{
    membership::{self, MemberRole},
    organization::{self, OrganizationKind},
};

use super::members;
use crate::{
    auth::{Role, RoleGuard, accounts_api::User, viewer},
    error::{AppError, Result, payload},
    graphql::{
        context::services,
        context::{caller, loaders},
        scalars::DateTime,
    },
    ids::{self, NodeKind},
    loaders::UserById,
    org::{buyers_api::Buyer, producers_api::Producer},
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
};

/// A producer (经营主体) or a buyer unit.
pub struct Organization(pub organization::Model);

#[Object]
impl Organization {
    pub async fn id(&self) -> ID {
        NodeKind::Organization.id(self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn kind(&self) -> OrganizationKind {
        self.0.kind
    }

    /// Division code of where it is.
    async fn region_code(&self) -> Option<&str> {
        self.0.region_code.as_deref()
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// Its registry entry as a producer, once registered (`createProducer`).
    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        Producer::load(ctx, self.0.id).await
    }

    /// Its registry entry as a buyer, once registered (`createBuyer`).
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Buyer::load(ctx, self.0.id).await
    }

    /// Who acts for it; visible to its members and platform staff.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Member>> {
        let services = services(ctx)?;
        if !members::can_see_members(&services.db, viewer(ctx)?, self.0.id).await? {
            return Err(AppError::Forbidden(
                "only its members see who belongs to it",
            ));
        }
        let page = pagination::paginate(
            &services.db,
            members::members_query(self.0.id),
            &[SortKey::asc(membership::Column::UserId)],
            &PageArgs::new(first, after, last, before),
            |m| vec![CursorValue::Uuid(m.user_id)],
            Member,
        )
        .await?;
        Ok(page)
    }
}

/// A user's membership of an organisation.
pub struct Member(pub membership::Model);

#[Object]
impl Member {
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        let loaders = loaders(ctx)?;
        loaders
            .load_one(UserById(self.0.user_id))
            .await?
            .map(User)
            .ok_or_else(|| AppError::NotFound("user"))
    }

    async fn role(&self) -> MemberRole {
        self.0.role
    }

    async fn joined_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

#[derive(InputObject)]
pub struct AddMemberInput {
    pub organization_id: ID,
    /// The account to add; it must exist and belong to no organisation yet.
    pub username: String,
    #[graphql(default_with = "MemberRole::Member")]
    pub role: MemberRole,
}

crate::payload! {
    AddMemberPayload {
        member: Option<Member>
    } from membership::Model => |member| Some(Member(member))
}

#[derive(Default)]
pub struct OrgMutation;

#[Object]
impl OrgMutation {
    /// Adds an account to an organisation (its admins, or a platform admin).
    #[graphql(guard = "RoleGuard::any(&[Role::Admin, Role::Producer, Role::Buyer])")]
    async fn add_member(
        &self,
        ctx: &Context<'_>,
        input: AddMemberInput,
    ) -> Result<AddMemberPayload> {
        let organization_id = ids::expect(
            &input.organization_id,
            NodeKind::Organization,
            "organizationId",
        )?;
        payload(
            members::add_member(caller(ctx)?, organization_id, &input.username, input.role).await,
        )
    }
}
