//! `node(id)` and `nodes(ids)`: any object by its global ID, if the viewer may see it.

use async_graphql::{Context, ID, Interface, Object};
use entity::pairing;
use sea_orm::EntityTrait;

use crate::{
    auth::{Role, Viewer, graphql::User},
    catalogue::graphql::{Certification, Product, may_see},
    error::AppError,
    graphql::services,
    ids::{self, NodeKind},
    loaders::{
        BuyerById, CertificationById, Loaders, MembershipOfUser, OrganizationById, ProducerById,
        ProductById, RegionByCode, UserById,
    },
    org::{buyer_api::Buyer, graphql::Organization, producer_api::Producer},
    procurement::graphql::Order,
    region::graphql::{Pairing, Region},
    unsold::graphql::{PurchaseDrive, UnsoldAlert},
};

/// An object with a global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    User(User),
    Organization(Organization),
    Region(Region),
    Pairing(Pairing),
    Producer(Producer),
    Buyer(Buyer),
    Product(Product),
    Certification(Certification),
    Order(Order),
    UnsoldAlert(UnsoldAlert),
    PurchaseDrive(PurchaseDrive),
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
        futures_util::future::try_join_all(ids.iter().map(|id| resolve(ctx, id))).await
    }
}

async fn resolve(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
    let Some((kind, key)) = ids::decode_key(id) else {
        return Ok(None);
    };
    let loaders = ctx.data::<Loaders>()?;
    if kind == NodeKind::Region {
        return Ok(loaders
            .load_one(RegionByCode(key))
            .await?
            .map(|r| Node::Region(Region(r))));
    }
    let Ok(uuid) = uuid::Uuid::try_parse(&key) else {
        return Ok(None);
    };
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
        NodeKind::Producer => loaders
            .load_one(ProducerById(uuid))
            .await?
            .map(|(org, profile)| Node::Producer(Producer(org, profile))),
        NodeKind::Buyer => loaders
            .load_one(BuyerById(uuid))
            .await?
            .map(|b| Node::Buyer(Buyer(b))),
        NodeKind::Product => match loaders.load_one(ProductById(uuid)).await? {
            Some(product) if may_see(ctx, &product).await? => Some(Node::Product(Product(product))),
            _ => None,
        },
        NodeKind::Certification => loaders
            .load_one(CertificationById(uuid))
            .await?
            .map(|c| Node::Certification(Certification(c))),
        NodeKind::Pairing => pairing::Entity::find_by_id(uuid)
            .one(&services(ctx)?.db)
            .await
            .map_err(AppError::from)?
            .map(|p| Node::Pairing(Pairing(p))),
        NodeKind::Order => match entity::order::Entity::find_by_id(uuid)
            .one(&services(ctx)?.db)
            .await
            .map_err(AppError::from)?
        {
            Some(order) if crate::procurement::graphql::may_see(ctx, &order).await? => {
                Some(Node::Order(Order(order)))
            }
            _ => None,
        },
        NodeKind::UnsoldAlert => match entity::unsold_alert::Entity::find_by_id(uuid)
            .one(&services(ctx)?.db)
            .await
            .map_err(AppError::from)?
        {
            Some(alert) if crate::unsold::graphql::may_see(ctx, &alert).await? => {
                Some(Node::UnsoldAlert(UnsoldAlert(alert)))
            }
            _ => None,
        },
        NodeKind::PurchaseDrive => entity::purchase_drive::Entity::find_by_id(uuid)
            .one(&services(ctx)?.db)
            .await
            .map_err(AppError::from)?
            .map(|d| Node::PurchaseDrive(PurchaseDrive(d))),
        NodeKind::Region
        | NodeKind::OrderLine
        | NodeKind::LedgerEntry
        | NodeKind::Agreement
        | NodeKind::UnitLink => None,
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
