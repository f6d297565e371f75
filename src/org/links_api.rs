//! Unit links in the API: the `UnitLink` type, `confirmUnitLink` and `revokeUnitLink` with their
//! payload (a buyer's links are read through `Buyer.unitLinks`).

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::unit_link::{self, UnitLinkKind, UnitLinkStatus};

use super::{buyers_api::Buyer, links};
use crate::{
    auth::{Role, RoleGuard, Viewer, accounts_api::User},
    error::{Result, payload},
    graphql::{
        context::{caller, loaders},
        scalars::DateTime,
    },
    ids::{self, NodeKind},
    loaders::{MembershipOfUser, UserById},
};

/// A link that moves one unit's purchases into another unit's count (contractor, shared canteen,
/// canteen, union, staff): declared by one side, it counts nothing until the other side confirms
/// it; either side may revoke it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UnitLink {
    #[graphql(owned)]
    pub id: ID,
    pub kind: UnitLinkKind,
    pub status: UnitLinkStatus,
    /// The declaration year for contractor and shared-canteen links; null for links to a parent.
    pub year: Option<i32>,
    pub proposed_at: DateTime,
    pub confirmed_at: Option<DateTime>,
    pub revoked_at: Option<DateTime>,
    pub revoke_reason: Option<String>,
    #[graphql(skip)]
    pub row: unit_link::Model,
}

impl From<unit_link::Model> for UnitLink {
    fn from(row: unit_link::Model) -> Self {
        Self {
            id: NodeKind::UnitLink.id(row.id),
            kind: row.kind,
            status: row.status,
            year: row.year,
            proposed_at: row.proposed_at.into(),
            confirmed_at: row.confirmed_at.map(Into::into),
            revoked_at: row.revoked_at.map(Into::into),
            revoke_reason: row.revoke_reason.clone(),
            row,
        }
    }
}

impl UnitLink {
    async fn unit_of(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Buyer>> {
        Buyer::load(ctx, id).await
    }

    /// Who acted, shown to platform staff, to that user and to members of that user's unit.
    async fn actor(ctx: &Context<'_>, user: Option<uuid::Uuid>) -> Result<Option<User>> {
        let (Some(user), Some(viewer)) = (user, ctx.data_opt::<Viewer>()) else {
            return Ok(None);
        };
        let loaders = loaders(ctx)?;
        let staff = [Role::Admin, Role::Officer, Role::Auditor]
            .iter()
            .any(|r| viewer.has(*r));
        if !staff && viewer.user_id != user {
            let theirs = loaders.load_one(MembershipOfUser(user)).await?;
            let mine = loaders.load_one(MembershipOfUser(viewer.user_id)).await?;
            if !matches!((theirs, mine), (Some(a), Some(b)) if a.organization_id == b.organization_id)
            {
                return Ok(None);
            }
        }
        Ok(loaders.load_one(UserById(user)).await?.map(User::from))
    }
}

#[ComplexObject]
impl UnitLink {
    /// The unit whose target the purchases count toward.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Self::unit_of(ctx, self.row.unit_org_id).await
    }

    /// The unit whose purchases count toward `unit` (contractor, canteen, union, staff…).
    async fn counted_buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Self::unit_of(ctx, self.row.counted_org_id).await
    }

    /// While pending: the unit whose admins confirm it (the side that did not declare it).
    async fn awaiting(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        if self.row.status != UnitLinkStatus::Pending {
            return Ok(None);
        }
        let side = if self.row.kind.declared_by_unit() {
            self.row.counted_org_id
        } else {
            self.row.unit_org_id
        };
        Self::unit_of(ctx, side).await
    }

    async fn proposed_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Self::actor(ctx, self.row.proposed_by).await
    }

    async fn confirmed_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Self::actor(ctx, self.row.confirmed_by).await
    }

    async fn revoked_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Self::actor(ctx, self.row.revoked_by).await
    }
}

#[derive(InputObject)]
pub struct ConfirmUnitLinkInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct RevokeUnitLinkInput {
    pub id: ID,
    /// Why the link is refused or ended (2 to 500 characters).
    pub reason: String,
}

crate::payload! {
    UnitLinkPayload {
        unit_link: Option<UnitLink>
    } from unit_link::Model => |link| Some(UnitLink::from(link))
}

#[derive(Default)]
pub struct UnitLinkMutation;

#[Object]
impl UnitLinkMutation {
    /// Confirms a pending link, so the counted unit's purchases count toward the unit: the
    /// admins of the side that did not declare it, an officer whose region covers both units,
    /// or a platform admin.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer, Role::Officer, Role::Admin])")]
    async fn confirm_unit_link(
        &self,
        ctx: &Context<'_>,
        input: ConfirmUnitLinkInput,
    ) -> Result<UnitLinkPayload> {
        let id = ids::expect(&input.id, NodeKind::UnitLink, "id")?;
        payload(links::confirm(caller(ctx)?, id).await)
    }

    /// Refuses a pending link or ends a confirmed one, with a reason (either side's admins, an
    /// officer whose region covers both units, or a platform admin); it stops counting at once.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer, Role::Officer, Role::Admin])")]
    async fn revoke_unit_link(
        &self,
        ctx: &Context<'_>,
        input: RevokeUnitLinkInput,
    ) -> Result<UnitLinkPayload> {
        let id = ids::expect(&input.id, NodeKind::UnitLink, "id")?;
        payload(links::revoke(caller(ctx)?, id, &input.reason).await)
    }
}
