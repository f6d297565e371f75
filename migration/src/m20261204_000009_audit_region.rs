//! The region an audit event concerns, so officers and auditors read only their region's trail
//! (`auditEvents`). Backfilled from the actor's organisation, else the organisation targeted;
//! events with neither stay NULL, which only nationwide staff read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(string_len_null(AuditEvents::RegionCode, 12))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_region")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::RegionCode)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE audit_events SET region_code = COALESCE(
                     (SELECT o.region_code FROM memberships m
                        JOIN organizations o ON o.id = m.organization_id
                       WHERE m.user_id = audit_events.actor_id),
                     (SELECT o.region_code FROM organizations o
                       WHERE o.id = audit_events.target_id))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("audit_events_region")
                    .table(AuditEvents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .drop_column(AuditEvents::RegionCode)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    RegionCode,
}
