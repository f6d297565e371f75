//! Accounts in the API: the `User` type, the `me` and `users` queries, and `register`, `login`,
//! `refreshToken`, `logout`, `grantRole` and `revokeRole` with their payloads.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::{
    membership::MemberRole,
    organization::OrganizationKind,
    role_grant::{self, PlatformRole},
    user::{self, UserStatus},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{
    Role, RoleGuard,
    accounts::{self, NewOrganization, Registration, Session},
};
use crate::{
    error::{AppError, Payload, Result, UserError, payload},
    graphql::{
        context::services,
        context::{caller, client, loaders},
        scalars::DateTime,
    },
    ids::{self, NodeKind},
    loaders::{GrantsOfUser, MembershipOfUser, OrganizationById},
    org::organizations_api::Organization,
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
};

/// A person with an account.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct User {
    #[graphql(owned)]
    pub id: ID,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub status: UserStatus,
    pub created_at: DateTime,
    #[graphql(skip)]
    pub row: user::Model,
}

impl From<user::Model> for User {
    fn from(row: user::Model) -> Self {
        Self {
            id: NodeKind::User.id(row.id),
            username: row.username.clone(),
            display_name: row.display_name.clone(),
            phone: row.phone.clone(),
            status: row.status,
            created_at: row.created_at.into(),
            row,
        }
    }
}

#[ComplexObject]
impl User {
    /// Everything the user may act as now (platform grants, then organisation membership).
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<Role>> {
        let loaders = loaders(ctx)?;
        let grants = loaders.load_one(GrantsOfUser(self.row.id)).await?;
        let mut roles: Vec<Role> = grants
            .unwrap_or_default()
            .iter()
            .map(|g| accounts::role_of_grant(g.role))
            .collect();
        if let Some(org) = self.organization_model(ctx).await? {
            roles.push(accounts::role_of_kind(org.kind));
        }
        roles.dedup();
        Ok(roles)
    }

    /// Platform roles and the region each is scoped to.
    async fn grants(&self, ctx: &Context<'_>) -> Result<Vec<RoleGrant>> {
        let loaders = loaders(ctx)?;
        let grants = loaders.load_one(GrantsOfUser(self.row.id)).await?;
        Ok(grants
            .unwrap_or_default()
            .into_iter()
            .map(RoleGrant::from)
            .collect())
    }

    /// The organisation the user acts for, if any.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(self.organization_model(ctx).await?.map(Organization::from))
    }

    /// The user's role inside their organisation.
    async fn membership_role(&self, ctx: &Context<'_>) -> Result<Option<MemberRole>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(MembershipOfUser(self.row.id))
            .await?
            .map(|m| m.role))
    }
}

impl User {
    async fn organization_model(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<entity::organization::Model>> {
        let loaders = loaders(ctx)?;
        let Some(membership) = loaders.load_one(MembershipOfUser(self.row.id)).await? else {
            return Ok(None);
        };
        Ok(loaders
            .load_one(OrganizationById(membership.organization_id))
            .await?)
    }
}

/// A platform role held by a user.
#[derive(SimpleObject)]
pub struct RoleGrant {
    pub role: PlatformRole,
    /// The region subtree the role covers; null means nationwide.
    pub region_code: Option<String>,
    pub granted_at: DateTime,
}

impl From<role_grant::Model> for RoleGrant {
    fn from(grant: role_grant::Model) -> Self {
        Self {
            role: grant.role,
            region_code: Some(grant.region_code).filter(|c| !c.is_empty()),
            granted_at: grant.created_at.into(),
        }
    }
}

#[derive(InputObject)]
pub struct UserFilter {
    /// Part of a username or display name. At most 100 characters;
    /// `%` and `_` match only themselves.
    pub text: Option<String>,
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in user, or null without a token.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(viewer) = ctx.data_opt::<super::Viewer>() else {
            return Ok(None);
        };
        let found = user::Entity::find_by_id(viewer.user_id)
            .one(&services(ctx)?.db)
            .await?;
        Ok(found.map(User::from))
    }

    /// Accounts, newest first, for staff: every account for platform admins; for officers and
    /// auditors, themselves and the members of organisations in their region (as `node` does).
    #[graphql(
        guard = "RoleGuard::any(&[Role::Admin, Role::Officer, Role::Auditor])",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn users(
        &self,
        ctx: &Context<'_>,
        filter: Option<UserFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<User>> {
        let db = &services(ctx)?.db;
        let sight = crate::auth::visibility::Sight::of(db, ctx.data_opt::<super::Viewer>()).await?;
        let mut select = user::Entity::find().filter(sight.users());
        let text = filter.and_then(|f| f.text);
        if let Some(text) = crate::text::filter_text(text.as_deref())? {
            let text = text.to_lowercase();
            select = select.filter(
                sea_orm::Condition::any()
                    .add(crate::text::contains(user::Column::Username, &text))
                    .add(crate::text::contains(user::Column::DisplayName, &text)),
            );
        }
        let page = pagination::paginate(
            &services(ctx)?.db,
            select,
            &[SortKey::desc(user::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |u| vec![CursorValue::Uuid(u.id)],
            User::from,
        )
        .await?;
        Ok(page)
    }
}

#[derive(InputObject)]
pub struct NewOrganizationInput {
    pub name: String,
    pub kind: OrganizationKind,
}

#[derive(InputObject)]
pub struct RegisterInput {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub phone: Option<String>,
    /// Register the organisation you act for at the same time; you become its admin.
    pub organization: Option<NewOrganizationInput>,
}

#[derive(InputObject)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

#[derive(InputObject)]
pub struct RefreshTokenInput {
    pub refresh_token: String,
}

#[derive(InputObject)]
pub struct LogoutInput {
    pub refresh_token: String,
}

#[derive(InputObject)]
pub struct RoleGrantInput {
    pub user_id: ID,
    pub role: PlatformRole,
    /// Division code of the region the role covers; omit for nationwide.
    pub region_code: Option<String>,
}

/// A signed-in session, or why there is none.
#[derive(SimpleObject, Default)]
pub struct AuthPayload {
    pub user: Option<User>,
    /// Send as `Authorization: Bearer <accessToken>`.
    pub access_token: Option<String>,
    pub access_token_expires_at: Option<DateTime>,
    /// Single use: trade it for a new pair with `refreshToken`.
    pub refresh_token: Option<String>,
    pub errors: Vec<UserError>,
}

impl Payload for AuthPayload {
    type Success = Session;

    fn success(session: Session) -> Self {
        Self {
            user: Some(User::from(session.user)),
            access_token: Some(session.access_token),
            access_token_expires_at: Some(session.access_token_expires_at.into()),
            refresh_token: Some(session.refresh_token),
            errors: Vec::new(),
        }
    }

    fn failure(errors: Vec<UserError>) -> Self {
        Self {
            errors,
            ..Self::default()
        }
    }
}

crate::payload! {
    LogoutPayload {
        /// True when the session's refresh tokens are revoked.
        revoked: bool
    } from () => |()| true
}

crate::payload! {
    /// The user whose roles changed.
    RolePayload { user: Option<User> } from user::Model => |user| Some(User::from(user))
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates an account, optionally with the organisation it acts for, and signs it in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<AuthPayload> {
        let registration = Registration {
            username: input.username,
            password: input.password,
            display_name: input.display_name,
            phone: input.phone,
            organization: input.organization.map(|o| NewOrganization {
                name: o.name,
                kind: o.kind,
            }),
        };
        payload(accounts::register(services(ctx)?, registration, &client(ctx)).await)
    }

    /// Signs in. Too many attempts for one account or from one address answer `RATE_LIMITED`.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        payload(
            accounts::login(
                services(ctx)?,
                &input.username,
                input.password,
                &client(ctx),
            )
            .await,
        )
    }

    /// Trades a refresh token for a new access and refresh token.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        input: RefreshTokenInput,
    ) -> Result<AuthPayload> {
        payload(accounts::refresh(services(ctx)?, &input.refresh_token).await)
    }

    /// Revokes the session the refresh token belongs to.
    async fn logout(&self, ctx: &Context<'_>, input: LogoutInput) -> Result<LogoutPayload> {
        payload(accounts::logout(services(ctx)?, &input.refresh_token).await)
    }

    /// Gives a user a platform role (admins only).
    #[graphql(guard = "RoleGuard::any(&[Role::Admin])")]
    async fn grant_role(&self, ctx: &Context<'_>, input: RoleGrantInput) -> Result<RolePayload> {
        let caller = caller(ctx)?;
        let user_id = ids::expect(&input.user_id, NodeKind::User, "userId")?;
        let result = async {
            accounts::grant_role(caller, user_id, input.role, input.region_code).await?;
            find_user(caller.services, user_id).await
        }
        .await;
        payload(result)
    }

    /// Takes a platform role back (admins only).
    #[graphql(guard = "RoleGuard::any(&[Role::Admin])")]
    async fn revoke_role(&self, ctx: &Context<'_>, input: RoleGrantInput) -> Result<RolePayload> {
        let caller = caller(ctx)?;
        let user_id = ids::expect(&input.user_id, NodeKind::User, "userId")?;
        let result = async {
            accounts::revoke_role(caller, user_id, input.role, input.region_code).await?;
            find_user(caller.services, user_id).await
        }
        .await;
        payload(result)
    }
}

async fn find_user(
    services: &crate::state::Services,
    user_id: uuid::Uuid,
) -> Result<user::Model, AppError> {
    user::Entity::find()
        .filter(user::Column::Id.eq(user_id))
        .one(&services.db)
        .await?
        .ok_or(AppError::NotFound("not_found.user"))
}
