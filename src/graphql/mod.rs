//! The schema: query and mutation roots merged from each domain, limits, and shared helpers.

pub mod input;
pub mod limits;
pub mod node;
pub mod scalars;

use async_graphql::{Context, MergedObject, Schema, SchemaBuilder};

use crate::{
    auth::{
        ClientInfo,
        accounts_api::{AuthMutation, AuthQuery},
    },
    catalogue::products_api::{CatalogueMutation, CatalogueQuery},
    config::QueryLimits,
    error::AppError,
    ledger::ledger_api::LedgerQuery,
    live::subscriptions_api::LiveSubscription,
    org::{
        buyers_api::{BuyerMutation, BuyerQuery},
        links_api::UnitLinkMutation,
        organizations_api::OrgMutation,
        producers_api::{ProducerMutation, ProducerQuery},
    },
    procurement::orders_api::{AgreementMutation, AgreementQuery, OrderMutation, OrderQuery},
    region::regions_api::{RegionMutation, RegionQuery},
    state::Services,
    unsold::unsold_api::{UnsoldMutation, UnsoldQuery},
};

#[derive(MergedObject, Default)]
pub struct Query(
    AuthQuery,
    node::NodeQuery,
    RegionQuery,
    ProducerQuery,
    BuyerQuery,
    CatalogueQuery,
    OrderQuery,
    AgreementQuery,
    LedgerQuery,
    UnsoldQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    AuthMutation,
    OrgMutation,
    RegionMutation,
    ProducerMutation,
    BuyerMutation,
    UnitLinkMutation,
    CatalogueMutation,
    OrderMutation,
    AgreementMutation,
    UnsoldMutation,
);

pub type AppSchema = Schema<Query, Mutation, LiveSubscription>;

/// Depth, cost and directives are checked by `limits::ShapeLimits` before async-graphql's
/// validation, whose own checks walk every fragment spread again (exponential in a fan-out of
/// spreads); its recursion limit stays, over a document that check has already bounded.
fn builder() -> SchemaBuilder<Query, Mutation, LiveSubscription> {
    Schema::build(Query::default(), Mutation::default(), LiveSubscription).limit_recursive_depth(64)
}

/// Builds the schema; without `services` it can only print its SDL or be validated against.
pub fn build(services: Option<Services>, limits: &QueryLimits) -> AppSchema {
    let shape = limits::ShapeLimits::new(limits, &sdl());
    let mut builder = builder().extension(input::InputStrings).extension(shape);
    if let Some(services) = services {
        builder = builder.data(services);
    }
    builder.finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The service handles, from the schema's data.
pub fn services<'a>(ctx: &'a Context<'_>) -> Result<&'a Services, AppError> {
    ctx.data::<Services>()
        .map_err(|_| AppError::internal(anyhow::anyhow!("schema built without services")))
}

/// Where the request came from (unspecified when executed outside HTTP).
pub fn client(ctx: &Context<'_>) -> ClientInfo {
    ctx.data_opt::<ClientInfo>().cloned().unwrap_or_default()
}
