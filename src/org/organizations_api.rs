//! Organisations in the API: the `Organization` node, its members and `addMember`.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
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
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Organization {
    #[graphql(owned)]
    pub id: ID,
    pub name: String,
    pub kind: OrganizationKind,
    /// Division code of where it is.
    pub region_code: Option<String>,
    pub created_at: DateTime,
    #[graphql(skip)]
    pub row: organization::Model,
}

impl From<organization::Model> for Organization {
    fn from(row: organization::Model) -> Self {
        Self {
            id: NodeKind::Organization.id(row.id),
            name: row.name.clone(),
            kind: row.kind,
            region_code: row.region_code.clone(),
            created_at: row.created_at.into(),
            row,
        }
    }
}

#[ComplexObject]
impl Organization {
    /// Its registry entry as a producer, once registered (`createProducer`).
    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        Producer::load(ctx, self.row.id).await
    }

    /// Its registry entry as a buyer, once registered (`createBuyer`).
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Buyer::load(ctx, self.row.id).await
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
        if !members::can_see_members(&services.db, viewer(ctx)?, self.row.id).await? {
            return Err(AppError::Forbidden(
                "forbidden.only_members_see_who_belongs",
            ));
        }
        let page = pagination::paginate(
            &services.db,
            members::members_query(self.row.id),
            &[SortKey::asc(membership::Column::UserId)],
            &PageArgs::new(first, after, last, before),
            |m| vec![CursorValue::Uuid(m.user_id)],
            Member::from,
        )
        .await?;
        Ok(page)
    }
}

/// A user's membership of an organisation.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Member {
    pub role: MemberRole,
    pub joined_at: DateTime,
    #[graphql(skip)]
    pub row: membership::Model,
}

impl From<membership::Model> for Member {
    fn from(row: membership::Model) -> Self {
        Self {
            role: row.role,
            joined_at: row.created_at.into(),
            row,
        }
    }
}

#[ComplexObject]
impl Member {
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        let loaders = loaders(ctx)?;
        loaders
            .load_one(UserById(self.row.user_id))
            .await?
            .map(User::from)
            .ok_or_else(|| AppError::NotFound("not_found.user"))
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
    } from membership::Model => |member| Some(Member::from(member))
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
