//! Database migrations, applied at start (`fupin-market migrate` runs them alone).

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_accounts;
mod m20261123_000002_registry;
mod m20261123_000003_orders;
mod m20261123_000004_ledger;
mod m20261123_000005_unsold;
mod m20261123_000006_county_tallies;
mod m20261204_000007_unit_links;
mod m20261204_000008_ledger_values;
mod m20261204_000009_audit_region;
mod m20261204_000010_ledger_sides;
mod m20261204_000011_tasks;
mod m20261204_000012_closed_periods;
mod m20261204_000013_audit_flags;
mod m20261204_000014_ledger_channels;
mod m20261204_000015_demands;
mod m20261204_000016_outlets;
mod m20261204_000017_fairs;
mod m20261204_000018_payments;
mod m20261205_000001_files;
mod m20261205_000002_shipments;
mod m20261205_000003_after_sales;
mod m20261205_000004_overdue_warnings;
mod m20261205_000005_lots;
mod m20261205_000006_product_sku;
mod m20261205_000007_quality_mark_certificates;
mod m20261205_000008_shipment_lots;
mod m20261205_000009_producer_reputation;
mod m20261205_000010_webhooks;

pub use m20261123_000004_ledger::GENESIS;
pub use m20261205_000009_producer_reputation::{SHIP_WITHIN_DAYS, backfill_reputation};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_accounts::Migration),
            Box::new(m20261123_000002_registry::Migration),
            Box::new(m20261123_000003_orders::Migration),
            Box::new(m20261123_000004_ledger::Migration),
            Box::new(m20261123_000005_unsold::Migration),
            Box::new(m20261123_000006_county_tallies::Migration),
            Box::new(m20261204_000007_unit_links::Migration),
            Box::new(m20261204_000008_ledger_values::Migration),
            Box::new(m20261204_000009_audit_region::Migration),
            Box::new(m20261204_000010_ledger_sides::Migration),
            Box::new(m20261204_000011_tasks::Migration),
            Box::new(m20261204_000012_closed_periods::Migration),
            Box::new(m20261204_000013_audit_flags::Migration),
            Box::new(m20261204_000014_ledger_channels::Migration),
            Box::new(m20261204_000015_demands::Migration),
            Box::new(m20261204_000016_outlets::Migration),
            Box::new(m20261204_000017_fairs::Migration),
            Box::new(m20261204_000018_payments::Migration),
            Box::new(m20261205_000001_files::Migration),
            Box::new(m20261205_000002_shipments::Migration),
            Box::new(m20261205_000003_after_sales::Migration),
            Box::new(m20261205_000004_overdue_warnings::Migration),
            Box::new(m20261205_000005_lots::Migration),
            Box::new(m20261205_000006_product_sku::Migration),
            Box::new(m20261205_000007_quality_mark_certificates::Migration),
            Box::new(m20261205_000008_shipment_lots::Migration),
            Box::new(m20261205_000009_producer_reputation::Migration),
            Box::new(m20261205_000010_webhooks::Migration),
        ]
    }
}
