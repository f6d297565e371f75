//! `node(id)` and `nodes(ids)`: any object by its global ID, if the viewer may see it: each
//! type is filtered by the same rule its list applies (`auth::visibility`).

use std::collections::HashMap;

use async_graphql::{Context, ID, Interface, Object};
use entity::{
    buyer, certification, order, organization, pairing, producer, product, purchase_drive,
    unsold_alert, user,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::{Viewer, accounts_api::User, visibility::Sight},
    catalogue::products_api::{Certification, Product},
    error::{AppError, Result},
    graphql::context::{loaders, services},
    ids::{self, NodeKind},
    loaders::RegionByCode,
    org::{buyers_api::Buyer, organizations_api::Organization, producers_api::Producer},
    procurement::orders_api::Order,
    region::regions_api::{Pairing, Region},
    unsold::unsold_api::{PurchaseDrive, UnsoldAlert},
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
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        Ok(resolve_all(ctx, std::slice::from_ref(&id))
            .await?
            .into_iter()
            .next()
            .flatten())
    }

    /// Several objects by ID, in the same order (at most 100).
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(AppError::BadInput(format!(
                "ask for at most {MAX_NODES} IDs"
            )));
        }
        resolve_all(ctx, &ids).await
    }
}

/// Resolves IDs in one query per type, each filtered by that type's visibility rule (the one
/// its list applies): what the viewer may not see is null, exactly like an unknown ID.
async fn resolve_all(ctx: &Context<'_>, ids: &[ID]) -> Result<Vec<Option<Node>>> {
    let db = &services(ctx)?.db;
    let sight = Sight::of(db, ctx.data_opt::<Viewer>()).await?;
    let decoded: Vec<Option<(NodeKind, String)>> =
        ids.iter().map(|id| ids::decode_key(id)).collect();
    let keys = |kind: NodeKind| -> Vec<Uuid> {
        let mut keys: Vec<Uuid> = decoded
            .iter()
            .flatten()
            .filter(|(k, _)| *k == kind)
            .filter_map(|(_, key)| Uuid::try_parse(key).ok())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let by_id = |rows: Vec<(Uuid, Node)>| rows.into_iter().collect::<HashMap<Uuid, Node>>();
    // Keyed by type name: `NodeKind` is not `Hash`.
    let mut found: HashMap<&'static str, HashMap<Uuid, Node>> = HashMap::new();
    for kind in [
        NodeKind::User,
        NodeKind::Organization,
        NodeKind::Pairing,
        NodeKind::Producer,
        NodeKind::Buyer,
        NodeKind::Product,
        NodeKind::Certification,
        NodeKind::Order,
        NodeKind::UnsoldAlert,
        NodeKind::PurchaseDrive,
    ] {
        let keys = keys(kind);
        if keys.is_empty() {
            continue;
        }
        let rows: Vec<(Uuid, Node)> = match kind {
            NodeKind::User => user::Entity::find()
                .filter(user::Column::Id.is_in(keys))
                .filter(sight.users())
                .all(db)
                .await?
                .into_iter()
                .map(|u| (u.id, Node::User(User(u))))
                .collect(),
            NodeKind::Organization => organization::Entity::find()
                .filter(organization::Column::Id.is_in(keys))
                .filter(sight.organizations())
                .all(db)
                .await?
                .into_iter()
                .map(|o| (o.id, Node::Organization(Organization(o))))
                .collect(),
            NodeKind::Pairing => pairing::Entity::find()
                .filter(pairing::Column::Id.is_in(keys))
                .filter(sight.public())
                .all(db)
                .await?
                .into_iter()
                .map(|p| (p.id, Node::Pairing(Pairing(p))))
                .collect(),
            NodeKind::Producer => producer::Entity::find()
                .filter(producer::Column::OrganizationId.is_in(keys))
                .filter(sight.producers())
                .find_also_related(organization::Entity)
                .all(db)
                .await?
                .into_iter()
                .filter_map(|(profile, org)| {
                    org.map(|org| (org.id, Node::Producer(Producer(org, profile))))
                })
                .collect(),
            NodeKind::Buyer => buyer::Entity::find()
                .filter(buyer::Column::OrganizationId.is_in(keys))
                .filter(sight.buyers())
                .find_also_related(organization::Entity)
                .all(db)
                .await?
                .into_iter()
                .filter_map(|(profile, org)| {
                    org.map(|org| (org.id, Node::Buyer(Buyer((org, profile)))))
                })
                .collect(),
            NodeKind::Product => product::Entity::find()
                .filter(product::Column::Id.is_in(keys))
                .filter(sight.products())
                .all(db)
                .await?
                .into_iter()
                .map(|p| (p.id, Node::Product(Product(p))))
                .collect(),
            NodeKind::Certification => certification::Entity::find()
                .filter(certification::Column::Id.is_in(keys))
                .filter(sight.certifications())
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, Node::Certification(Certification(c))))
                .collect(),
            NodeKind::Order => order::Entity::find()
                .filter(order::Column::Id.is_in(keys))
                .filter(sight.orders())
                .all(db)
                .await?
                .into_iter()
                .map(|o| (o.id, Node::Order(Order(o))))
                .collect(),
            NodeKind::UnsoldAlert => unsold_alert::Entity::find()
                .filter(unsold_alert::Column::Id.is_in(keys))
                .filter(sight.unsold_alerts())
                .all(db)
                .await?
                .into_iter()
                .map(|a| (a.id, Node::UnsoldAlert(UnsoldAlert(a))))
                .collect(),
            NodeKind::PurchaseDrive => purchase_drive::Entity::find()
                .filter(purchase_drive::Column::Id.is_in(keys))
                .filter(sight.public())
                .all(db)
                .await?
                .into_iter()
                .map(|d| (d.id, Node::PurchaseDrive(PurchaseDrive(d))))
                .collect(),
            NodeKind::Region
            | NodeKind::OrderLine
            | NodeKind::LedgerEntry
            | NodeKind::Agreement
            | NodeKind::UnitLink => Vec::new(),
        };
        found.insert(kind.name(), by_id(rows));
    }
    let loaders = loaders(ctx)?;
    let mut out = Vec::with_capacity(ids.len());
    for entry in decoded {
        out.push(match entry {
            // Regions are public.
            Some((NodeKind::Region, code)) => loaders
                .load_one(RegionByCode(code))
                .await?
                .map(|r| Node::Region(Region(r))),
            Some((kind, key)) => Uuid::try_parse(&key)
                .ok()
                .and_then(|id| found.get(kind.name()).and_then(|rows| rows.get(&id)))
                .map(Node::duplicate),
            None => None,
        });
    }
    Ok(out)
}

impl Node {
    /// Another handle on the same object (an ID asked for twice in `nodes`).
    fn duplicate(&self) -> Node {
        match self {
            Node::User(u) => Node::User(User(u.0.clone())),
            Node::Organization(o) => Node::Organization(Organization(o.0.clone())),
            Node::Region(r) => Node::Region(Region(r.0.clone())),
            Node::Pairing(p) => Node::Pairing(Pairing(p.0.clone())),
            Node::Producer(p) => Node::Producer(Producer(p.0.clone(), p.1.clone())),
            Node::Buyer(b) => Node::Buyer(Buyer(b.0.clone())),
            Node::Product(p) => Node::Product(Product(p.0.clone())),
            Node::Certification(c) => Node::Certification(Certification(c.0.clone())),
            Node::Order(o) => Node::Order(Order(o.0.clone())),
            Node::UnsoldAlert(a) => Node::UnsoldAlert(UnsoldAlert(a.0.clone())),
            Node::PurchaseDrive(d) => Node::PurchaseDrive(PurchaseDrive(d.0.clone())),
        }
    }
}
