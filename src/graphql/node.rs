//! `node(id)` and `nodes(ids)`: any object by its global ID, if the viewer may see it.

use async_graphql::{Context, ID, Interface, Object};

use crate::{
    auth::{Role, Viewer, graphql::User},
    error::AppError,
    ids::{self, NodeKind},
    loaders::{Loaders, MembershipOfUser, OrganizationById, UserById},
    org::graphql::Organization,
};

/// An object with a global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    User(User),
    Organization(Organization),
}

const MAX_NODES: usize = 100;

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this ID, or null if it does not exist or is not yours to see.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        resolve(ctx, &id).await
    }

    /// Several objects by ID, in the same order (at most 100).
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(AppError::BadInput(format!("ask for at most {MAX_NODES} IDs")).into());
        }
        let found =
            futures_util::future::try_join_all(ids.iter().map(|id| resolve(ctx, id))).await?;
        Ok(found)
    }
}

async fn resolve(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
    let Some((kind, uuid)) = ids::decode(id) else {
        return Ok(None);
    };
    let loaders = ctx.data::<Loaders>()?;
    let viewer = ctx.data_opt::<Viewer>();
    Ok(match kind {
        NodeKind::User => match loaders.load_one(UserById(uuid)).await? {
            Some(user) if may_see_user(loaders, viewer, user.id).await? => {
                Some(Node::User(User(user)))
            }
            _ => None,
        },
        NodeKind::Organization => loaders
            .load_one(OrganizationById(uuid))
            .await?
            .map(|o| Node::Organization(Organization(o))),
    })
}

/// A user is visible to themself, to platform staff, and to members of the same organisation.
async fn may_see_user(
    loaders: &Loaders,
    viewer: Option<&Viewer>,
    user_id: uuid::Uuid,
) -> async_graphql::Result<bool> {
    let Some(viewer) = viewer else {
        return Ok(false);
    };
    if viewer.user_id == user_id
        || [Role::Admin, Role::Officer, Role::Auditor]
            .iter()
            .any(|r| viewer.has(*r))
    {
        return Ok(true);
    }
    let theirs = loaders.load_one(MembershipOfUser(user_id)).await?;
    let mine = loaders.load_one(MembershipOfUser(viewer.user_id)).await?;
    Ok(matches!((theirs, mine), (Some(a), Some(b)) if a.organization_id == b.organization_id))
}
