//! The schema: query and mutation roots merged from each domain, the limits on a request, the
//! shared scalars and `Node`, and what resolvers read from the context (`context`).

pub mod context;
pub mod input;
pub mod limits;
pub mod node;
pub mod scalars;

use async_graphql::{MergedObject, Schema, SchemaBuilder};

use crate::{
    auth::accounts_api::{AuthMutation, AuthQuery},
    catalogue::{
        certification_api::{CertificationMutation, CertificationQuery},
        lots_api::{LotMutation, LotQuery},
        products_api::{CatalogueMutation, CatalogueQuery},
        quality_marks_api::{QualityMarkMutation, QualityMarkQuery},
    },
    config::QueryLimits,
    files::files_api::FileMutation,
    ledger::ledger_api::LedgerQuery,
    live::subscriptions_api::LiveSubscription,
    org::{
        buyers_api::{BuyerMutation, BuyerQuery},
        links_api::UnitLinkMutation,
        organizations_api::OrgMutation,
        producers_api::{ProducerMutation, ProducerQuery},
    },
    procurement::{
        after_sales_api::{AfterSalesMutation, AfterSalesQuery},
        agreements_api::{AgreementMutation, AgreementQuery},
        orders_api::{OrderMutation, OrderQuery},
        payments_api::PaymentMutation,
        shipments_api::ShipmentMutation,
    },
    region::regions_api::{RegionMutation, RegionQuery},
    reporting::flags_api::FlagQuery,
    reporting::periods_api::{PeriodMutation, PeriodQuery},
    reporting::{
        allocations_api::{TaskMutation, TaskQuery},
        ranking_api::RankingQuery,
        warnings_api::WarningQuery,
    },
    state::Services,
    trade::demands_api::{DemandMutation, DemandQuery},
    trade::fairs_api::{FairMutation, FairQuery},
    trade::{
        outlet_reports_api::{OutletReportMutation, OutletReportQuery},
        outlets_api::{OutletMutation, OutletQuery},
    },
    unsold::unsold_api::{UnsoldMutation, UnsoldQuery},
    webhooks::webhooks_api::{WebhookMutation, WebhookQuery},
};

#[derive(MergedObject, Default)]
pub struct Query(
    AuthQuery,
    node::NodeQuery,
    RegionQuery,
    ProducerQuery,
    BuyerQuery,
    CatalogueQuery,
    CertificationQuery,
    OrderQuery,
    AgreementQuery,
    LedgerQuery,
    UnsoldQuery,
    FlagQuery,
    TaskQuery,
    RankingQuery,
    WarningQuery,
    PeriodQuery,
    FairQuery,
    DemandQuery,
    OutletQuery,
    OutletReportQuery,
    LotQuery,
    QualityMarkQuery,
    AfterSalesQuery,
    WebhookQuery,
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
    CertificationMutation,
    OrderMutation,
    PaymentMutation,
    FileMutation,
    ShipmentMutation,
    AgreementMutation,
    UnsoldMutation,
    TaskMutation,
    PeriodMutation,
    FairMutation,
    DemandMutation,
    OutletMutation,
    OutletReportMutation,
    LotMutation,
    QualityMarkMutation,
    AfterSalesMutation,
    WebhookMutation,
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
