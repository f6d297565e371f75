//! Webhooks (issue 19): organisations' endpoints, the outbox of deliveries written in the
//! transaction that made each event, and the log of every attempt to send one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(pk_uuid(WebhookEndpoints::Id))
                    .col(uuid(WebhookEndpoints::OrganizationId))
                    .col(string_len(WebhookEndpoints::Url, 2048))
                    .col(string_len_null(WebhookEndpoints::Description, 200))
                    .col(string_len(WebhookEndpoints::Secret, 128))
                    .col(string_len(WebhookEndpoints::EventKinds, 200))
                    .col(
                        string_len(WebhookEndpoints::Status, 16).check(
                            Expr::col(WebhookEndpoints::Status).is_in(["ACTIVE", "DISABLED"]),
                        ),
                    )
                    .col(string_len_null(WebhookEndpoints::DisabledReason, 500))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
                    .col(uuid(WebhookEndpoints::CreatedBy))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(pk_uuid(WebhookDeliveries::Id))
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(uuid(WebhookDeliveries::EventId))
                    .col(string_len(WebhookDeliveries::Kind, 32))
                    .col(string_len(WebhookDeliveries::OrderingKey, 64))
                    .col(text(WebhookDeliveries::Payload))
                    .col(string_len(WebhookDeliveries::Status, 16).check(
                        Expr::col(WebhookDeliveries::Status).is_in([
                            "PENDING",
                            "DELIVERED",
                            "FAILED",
                        ]),
                    ))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::GiveUpAt))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::LeaseUntil))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .col(integer_null(WebhookDeliveries::LastStatusCode))
                    .col(string_len_null(WebhookDeliveries::LastError, 500))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(pk_uuid(WebhookAttempts::Id))
                    .col(uuid(WebhookAttempts::DeliveryId))
                    .col(integer(WebhookAttempts::Number))
                    .col(timestamp_with_time_zone(WebhookAttempts::AttemptedAt))
                    .col(integer_null(WebhookAttempts::StatusCode))
                    .col(string_len_null(WebhookAttempts::Error, 500))
                    .col(integer(WebhookAttempts::DurationMs))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookAttempts::Table, WebhookAttempts::DeliveryId)
                            .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for statement in [
            "CREATE INDEX ix_webhook_endpoints_org ON webhook_endpoints (organization_id)",
            // The dispatcher's scan: pending deliveries by when they are due.
            "CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) \
             WHERE status = 'PENDING'",
            // An endpoint's log, newest first, and the order-per-key check.
            "CREATE INDEX ix_webhook_deliveries_endpoint ON webhook_deliveries \
             (endpoint_id, created_at)",
            "CREATE INDEX ix_webhook_deliveries_key ON webhook_deliveries \
             (endpoint_id, ordering_key, created_at) WHERE status = 'PENDING'",
            "CREATE UNIQUE INDEX ux_webhook_attempts ON webhook_attempts (delivery_id, number)",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganizationId,
    Url,
    Description,
    Secret,
    EventKinds,
    Status,
    DisabledReason,
    DisabledAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventId,
    Kind,
    OrderingKey,
    Payload,
    Status,
    Attempts,
    CreatedAt,
    NextAttemptAt,
    GiveUpAt,
    LeaseUntil,
    DeliveredAt,
    LastStatusCode,
    LastError,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    Number,
    AttemptedAt,
    StatusCode,
    Error,
    DurationMs,
}
