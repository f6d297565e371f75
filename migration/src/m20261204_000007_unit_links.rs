//! Consented links between buying units: one table for every link that moves one unit's
//! purchases into another unit's count (contractor, shared canteen, canteen, union, staff below a
//! unit). Links already declared are carried over as PENDING: nobody ever confirmed them, so
//! they count nothing until the other side does.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn one_of<T: IntoIden + 'static>(column: T, values: &[&str]) -> SimpleExpr {
    Expr::col(column).is_in(values.iter().map(ToString::to_string))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UnitLinks::Table)
                    .col(pk_uuid(UnitLinks::Id))
                    .col(string_len(UnitLinks::Kind, 16).check(one_of(
                        UnitLinks::Kind,
                        &[
                            "CONTRACTOR",
                            "SHARED_CANTEEN",
                            "CANTEEN",
                            "UNION",
                            "STAFF",
                            "SUBUNIT",
                        ],
                    )))
                    .col(uuid(UnitLinks::UnitOrgId))
                    .col(uuid(UnitLinks::CountedOrgId))
                    .col(integer_null(UnitLinks::Year))
                    .col(string_len(UnitLinks::Status, 16).check(one_of(
                        UnitLinks::Status,
                        &["PENDING", "CONFIRMED", "REVOKED"],
                    )))
                    .col(uuid_null(UnitLinks::ProposedBy))
                    .col(timestamp_with_time_zone(UnitLinks::ProposedAt))
                    .col(uuid_null(UnitLinks::ConfirmedBy))
                    .col(timestamp_with_time_zone_null(UnitLinks::ConfirmedAt))
                    .col(uuid_null(UnitLinks::RevokedBy))
                    .col(timestamp_with_time_zone_null(UnitLinks::RevokedAt))
                    .col(text_null(UnitLinks::RevokeReason))
                    .check(Expr::col(UnitLinks::UnitOrgId).ne(Expr::col(UnitLinks::CountedOrgId)))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_unit_links_unit", UnitLinks::UnitOrgId),
            ("ix_unit_links_counted", UnitLinks::CountedOrgId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(UnitLinks::Table)
                        .col(column)
                        .col(UnitLinks::Status)
                        .to_owned(),
                )
                .await?;
        }
        // A declaration names at most one other unit, and a buyer at most one parent, so their
        // own keys serve as the carried-over links' keys.
        let conn = manager.get_connection();
        conn.execute_unprepared(
            "INSERT INTO unit_links (id, kind, unit_org_id, counted_org_id, year, status, proposed_by, proposed_at)
             SELECT id, 'CONTRACTOR', buyer_org_id, contractor_org_id, year, 'PENDING', declared_by, declared_at
             FROM procurement_declarations
             WHERE canteen = 'OUTSOURCED' AND contractor_org_id IS NOT NULL AND contractor_org_id <> buyer_org_id",
        )
        .await?;
        conn.execute_unprepared(
            "INSERT INTO unit_links (id, kind, unit_org_id, counted_org_id, year, status, proposed_by, proposed_at)
             SELECT id, 'SHARED_CANTEEN', shares_canteen_of, buyer_org_id, year, 'PENDING', declared_by, declared_at
             FROM procurement_declarations
             WHERE canteen = 'SHARES_CANTEEN' AND shares_canteen_of IS NOT NULL AND shares_canteen_of <> buyer_org_id",
        )
        .await?;
        conn.execute_unprepared(
            "INSERT INTO unit_links (id, kind, unit_org_id, counted_org_id, year, status, proposed_by, proposed_at)
             SELECT b.organization_id,
                 CASE b.kind WHEN 'CANTEEN' THEN 'CANTEEN' WHEN 'SOCIAL_ORGANIZATION' THEN 'UNION'
                     WHEN 'INDIVIDUAL' THEN 'STAFF' ELSE 'SUBUNIT' END,
                 b.parent_org_id, b.organization_id, NULL, 'PENDING', o.created_by, b.created_at
             FROM buyers b LEFT JOIN organizations o ON o.id = b.organization_id
             WHERE b.parent_org_id IS NOT NULL AND b.parent_org_id <> b.organization_id",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UnitLinks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum UnitLinks {
    Table,
    Id,
    Kind,
    UnitOrgId,
    CountedOrgId,
    Year,
    Status,
    ProposedBy,
    ProposedAt,
    ConfirmedBy,
    ConfirmedAt,
    RevokedBy,
    RevokedAt,
    RevokeReason,
}
