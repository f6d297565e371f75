//! `node(id)` and `nodes(ids)`: any object by its global ID, if the viewer may see it: each
//! type is filtered by the same rule its list applies (`auth::visibility`).

use std::collections::HashMap;

use async_graphql::{Context, ID, Interface, Object};
use chrono::Utc;
use entity::{
    buyer, certification, demand, fair, order, organization, outlet, outlet_report, pairing,
    producer, product, purchase_drive, red_warning, unsold_alert, user,
};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Related};
use uuid::Uuid;

use crate::{
    auth::{Viewer, accounts_api::User, visibility::Sight},
    catalogue::{certification_api::Certification, products_api::Product},
    error::{AppError, Result},
    graphql::context::{loaders, services},
    ids::{self, NodeKind},
    loaders::RegionByCode,
    org::{buyers_api::Buyer, organizations_api::Organization, producers_api::Producer},
    procurement::{orders_api::Order, shipments, shipments_api::Shipment},
    region::regions_api::{Pairing, Region},
    reporting::warnings_api::RedWarning,
    trade::fairs_api::Fair,
    trade::{demands::Reader, demands_api::Demand},
    trade::{outlet_reports_api::OutletReport, outlets_api::Outlet},
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
    RedWarning(RedWarning),
    Fair(Fair),
    Demand(Demand),
    Outlet(Outlet),
    OutletReport(OutletReport),
    Shipment(Shipment),
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
            return Err(AppError::BadInput(msg!(
                "graphql.ask_most_ids",
                max_nodes = MAX_NODES
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
    // Keyed by type name: `NodeKind` is not `Hash`.
    let mut found: HashMap<&'static str, HashMap<Uuid, Node>> = HashMap::new();
    for kind in NodeKind::ALL {
        let keys = keys_of(&decoded, kind);
        if !keys.is_empty() {
            let rows = if kind == NodeKind::Demand {
                visible_demands(db, ctx.data_opt::<Viewer>(), keys).await?
            } else {
                visible(db, &sight, kind, keys).await?
            };
            found.insert(kind.name(), rows);
        }
    }
    let loaders = loaders(ctx)?;
    let mut out = Vec::with_capacity(ids.len());
    for entry in decoded {
        out.push(match entry {
            // Regions are public.
            Some((NodeKind::Region, code)) => loaders
                .load_one(RegionByCode(code))
                .await?
                .map(|r| Node::Region(Region::from(r))),
            Some((kind, key)) => Uuid::try_parse(&key)
                .ok()
                .and_then(|id| found.get(kind.name()).and_then(|rows| rows.get(&id)))
                .map(Node::duplicate),
            None => None,
        });
    }
    Ok(out)
}

/// The distinct UUID keys asked for of one kind.
fn keys_of(decoded: &[Option<(NodeKind, String)>], kind: NodeKind) -> Vec<Uuid> {
    let mut keys: Vec<Uuid> = decoded
        .iter()
        .flatten()
        .filter(|(k, _)| *k == kind)
        .filter_map(|(_, key)| Uuid::try_parse(key).ok())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Needs by the rule `demands` lists them with: open ones, and the viewer's unit's own.
async fn visible_demands(
    db: &DatabaseConnection,
    viewer: Option<&Viewer>,
    keys: Vec<Uuid>,
) -> Result<HashMap<Uuid, Node>> {
    let Some(viewer) = viewer else {
        return Ok(HashMap::new());
    };
    let day = Utc::now().date_naive();
    let reader = Reader::of(db, viewer, day).await?;
    Ok(
        rows::<demand::Entity>(db, demand::Column::Id, keys, reader.visible(day))
            .await?
            .into_iter()
            .map(|d| (d.id, Node::Demand(Demand::from(d))))
            .collect(),
    )
}

/// The objects of one kind among `keys` that the viewer may see, by ID. Kinds that are not
/// nodes by UUID (regions, or parts reached through their parent) find nothing here.
async fn visible(
    db: &DatabaseConnection,
    sight: &Sight,
    kind: NodeKind,
    keys: Vec<Uuid>,
) -> Result<HashMap<Uuid, Node>> {
    Ok(match kind {
        NodeKind::User => rows::<user::Entity>(db, user::Column::Id, keys, sight.users())
            .await?
            .into_iter()
            .map(|u| (u.id, Node::User(User::from(u))))
            .collect(),
        NodeKind::Organization => {
            rows::<organization::Entity>(db, organization::Column::Id, keys, sight.organizations())
                .await?
                .into_iter()
                .map(|o| (o.id, Node::Organization(Organization::from(o))))
                .collect()
        }
        NodeKind::Pairing => rows::<pairing::Entity>(db, pairing::Column::Id, keys, sight.public())
            .await?
            .into_iter()
            .map(|p| (p.id, Node::Pairing(Pairing::from(p))))
            .collect(),
        NodeKind::Producer => with_organization::<producer::Entity>(
            db,
            producer::Column::OrganizationId,
            keys,
            sight.producers(),
        )
        .await?
        .into_iter()
        .map(|(profile, org)| (org.id, Node::Producer(Producer::from((org, profile)))))
        .collect(),
        NodeKind::Buyer => with_organization::<buyer::Entity>(
            db,
            buyer::Column::OrganizationId,
            keys,
            sight.buyers(),
        )
        .await?
        .into_iter()
        .map(|(profile, org)| (org.id, Node::Buyer(Buyer::from((org, profile)))))
        .collect(),
        NodeKind::Product => {
            rows::<product::Entity>(db, product::Column::Id, keys, sight.products())
                .await?
                .into_iter()
                .map(|p| (p.id, Node::Product(Product::from(p))))
                .collect()
        }
        NodeKind::Certification => rows::<certification::Entity>(
            db,
            certification::Column::Id,
            keys,
            sight.certifications(),
        )
        .await?
        .into_iter()
        .map(|c| (c.id, Node::Certification(Certification::from(c))))
        .collect(),
        NodeKind::Order => rows::<order::Entity>(db, order::Column::Id, keys, sight.orders())
            .await?
            .into_iter()
            .map(|o| (o.id, Node::Order(Order::from(o))))
            .collect(),
        NodeKind::UnsoldAlert => {
            rows::<unsold_alert::Entity>(db, unsold_alert::Column::Id, keys, sight.unsold_alerts())
                .await?
                .into_iter()
                .map(|a| (a.id, Node::UnsoldAlert(UnsoldAlert::from(a))))
                .collect()
        }
        NodeKind::PurchaseDrive => {
            rows::<purchase_drive::Entity>(db, purchase_drive::Column::Id, keys, sight.public())
                .await?
                .into_iter()
                .map(|d| (d.id, Node::PurchaseDrive(PurchaseDrive::from(d))))
                .collect()
        }
        NodeKind::RedWarning => {
            rows::<red_warning::Entity>(db, red_warning::Column::Id, keys, sight.red_warnings())
                .await?
                .into_iter()
                .map(|w| (w.id, Node::RedWarning(RedWarning::from(w))))
                .collect()
        }
        NodeKind::Fair => rows::<fair::Entity>(db, fair::Column::Id, keys, sight.public())
            .await?
            .into_iter()
            .map(|f| (f.id, Node::Fair(Fair::from(f))))
            .collect(),
        NodeKind::Shipment => shipments::visible(db, keys, sight.orders())
            .await?
            .into_iter()
            .map(|s| (s.shipment.id, Node::Shipment(Shipment::from(s))))
            .collect(),
        NodeKind::Region
        | NodeKind::FairSalesReport
        | NodeKind::OrderLine
        | NodeKind::LedgerEntry
        | NodeKind::Agreement
        | NodeKind::UnitLink
        | NodeKind::TaskAllocation
        | NodeKind::ClosedPeriod
        | NodeKind::Demand
        | NodeKind::Quote
        | NodeKind::OutletReportLine
        | NodeKind::Payment
        | NodeKind::Lot
        | NodeKind::File
        | NodeKind::ReturnRequest
        | NodeKind::Invoice
        | NodeKind::QualityMarkCertificate
        | NodeKind::WebhookEndpoint
        | NodeKind::WebhookDelivery => HashMap::new(),
        NodeKind::Outlet => rows::<outlet::Entity>(db, outlet::Column::Id, keys, sight.outlets())
            .await?
            .into_iter()
            .map(|o| (o.id, Node::Outlet(Outlet::from(o))))
            .collect(),
        NodeKind::OutletReport => rows::<outlet_report::Entity>(
            db,
            outlet_report::Column::Id,
            keys,
            sight.outlet_reports(),
        )
        .await?
        .into_iter()
        .map(|r| (r.id, Node::OutletReport(OutletReport::from(r))))
        .collect(),
    })
}

/// The rows of `E` whose `column` is among `keys` and that meet the viewer's `sight`.
async fn rows<E: EntityTrait>(
    db: &DatabaseConnection,
    column: E::Column,
    keys: Vec<Uuid>,
    sight: Condition,
) -> Result<Vec<E::Model>> {
    Ok(E::find()
        .filter(column.is_in(keys))
        .filter(sight)
        .all(db)
        .await?)
}

/// A registry profile (`E`, keyed by organisation) with its organisation, as [`rows`].
async fn with_organization<E>(
    db: &DatabaseConnection,
    column: E::Column,
    keys: Vec<Uuid>,
    sight: Condition,
) -> Result<Vec<(E::Model, organization::Model)>>
where
    E: EntityTrait + Related<organization::Entity>,
{
    Ok(E::find()
        .filter(column.is_in(keys))
        .filter(sight)
        .find_also_related(organization::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(profile, org)| Some((profile, org?)))
        .collect())
}

impl Node {
    /// Another handle on the same object (an ID asked for twice in `nodes`).
    fn duplicate(&self) -> Node {
        match self {
            Node::User(u) => Node::User(User::from(u.row.clone())),
            Node::Organization(o) => Node::Organization(Organization::from(o.row.clone())),
            Node::Region(r) => Node::Region(Region::from(r.row.clone())),
            Node::Pairing(p) => Node::Pairing(Pairing::from(p.row.clone())),
            Node::Producer(p) => Node::Producer(Producer::from((p.org.clone(), p.profile.clone()))),
            Node::Buyer(b) => Node::Buyer(Buyer::from((b.org.clone(), b.profile.clone()))),
            Node::Product(p) => Node::Product(Product::from(p.row.clone())),
            Node::Certification(c) => Node::Certification(Certification::from(c.row.clone())),
            Node::Order(o) => Node::Order(Order::from(o.row.clone())),
            Node::UnsoldAlert(a) => Node::UnsoldAlert(UnsoldAlert::from(a.row.clone())),
            Node::PurchaseDrive(d) => Node::PurchaseDrive(PurchaseDrive::from(d.row.clone())),
            Node::RedWarning(w) => Node::RedWarning(RedWarning::from(w.row.clone())),
            Node::Fair(f) => Node::Fair(Fair::from(f.row.clone())),
            Node::Demand(d) => Node::Demand(Demand::from(d.row.clone())),
            Node::Outlet(o) => Node::Outlet(Outlet::from(o.row.clone())),
            Node::OutletReport(r) => Node::OutletReport(OutletReport::from(r.row.clone())),
            Node::Shipment(s) => Node::Shipment(Shipment::from(s.loaded.clone())),
        }
    }
}
