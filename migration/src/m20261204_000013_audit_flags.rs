//! Indexes for the auditors' flags (`reporting::flags`): each rule reads a window of days first
//! (receipts by their time, orders by when they were placed, links by when they were proposed or confirmed).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, table, columns)
fn indexes() -> [(&'static str, Alias, &'static [&'static str]); 4] {
    [
        (
            "idx_order_events_status_at",
            Alias::new("order_events"),
            &["to_status", "at"],
        ),
        ("idx_orders_placed_at", Alias::new("orders"), &["placed_at"]),
        (
            "idx_unit_links_proposed_at",
            Alias::new("unit_links"),
            &["proposed_at"],
        ),
        (
            "idx_unit_links_confirmed_at",
            Alias::new("unit_links"),
            &["confirmed_at"],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns) in indexes() {
            let mut index = Index::create();
            index.name(name).table(table);
            for column in columns {
                index.col(Alias::new(*column));
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in indexes() {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
