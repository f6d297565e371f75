//! Quality marks as checked certificates (issue 18): a producer submits the certificate of a
//! mark (绿色食品, 有机, 地理标志, 区域公用品牌) for a product with its issuing body, number and
//! validity; an officer over the producer verifies or rejects it. A product's `quality_marks`
//! becomes the projection of its verified, unexpired certificates, so the claims made before
//! (never checked) are cleared.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QualityMarkCertificates::Table)
                    .col(pk_uuid(QualityMarkCertificates::Id))
                    .col(uuid(QualityMarkCertificates::ProductId))
                    .col(uuid(QualityMarkCertificates::ProducerOrgId))
                    .col(string_len(QualityMarkCertificates::RegionCode, 12))
                    .col(string_len(QualityMarkCertificates::Mark, 32))
                    .col(string_len(QualityMarkCertificates::IssuingBody, 100))
                    .col(string_len(QualityMarkCertificates::CertificateNo, 64))
                    .col(date(QualityMarkCertificates::IssuedOn))
                    .col(date(QualityMarkCertificates::ValidUntil))
                    .col(string_len(QualityMarkCertificates::Status, 16).check(
                        Expr::col(QualityMarkCertificates::Status).is_in([
                            "SUBMITTED",
                            "VERIFIED",
                            "REJECTED",
                        ]),
                    ))
                    .col(uuid(QualityMarkCertificates::SubmittedBy))
                    .col(timestamp_with_time_zone(
                        QualityMarkCertificates::SubmittedAt,
                    ))
                    .col(uuid_null(QualityMarkCertificates::ReviewedBy))
                    .col(timestamp_with_time_zone_null(
                        QualityMarkCertificates::ReviewedAt,
                    ))
                    .col(string_len_null(
                        QualityMarkCertificates::RejectionReason,
                        1000,
                    ))
                    .col(timestamp_with_time_zone_null(
                        QualityMarkCertificates::ExpiryWarnedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        QualityMarkCertificates::ExpiredAt,
                    ))
                    .check(
                        Expr::col(QualityMarkCertificates::ValidUntil)
                            .gte(Expr::col(QualityMarkCertificates::IssuedOn)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                QualityMarkCertificates::Table,
                                QualityMarkCertificates::ProductId,
                            )
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // Partial indexes, the same statement on SQLite and PostgreSQL: one certificate of a
        // mark awaiting review per product, a number verified once per product and mark, and
        // the periodic check's scan of verified certificates by expiry.
        for statement in [
            "CREATE UNIQUE INDEX ux_qmc_submitted ON quality_mark_certificates (product_id, mark) \
             WHERE status = 'SUBMITTED'",
            "CREATE UNIQUE INDEX ux_qmc_verified_no ON quality_mark_certificates \
             (product_id, mark, certificate_no) WHERE status = 'VERIFIED'",
            "CREATE INDEX ix_qmc_verified_expiry ON quality_mark_certificates (valid_until) \
             WHERE status = 'VERIFIED' AND expired_at IS NULL",
            "CREATE INDEX ix_qmc_product ON quality_mark_certificates (product_id, submitted_at)",
            // Claims made before certificates were checked count for nothing now.
            "UPDATE products SET quality_marks = 0 WHERE quality_marks <> 0",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(QualityMarkCertificates::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum QualityMarkCertificates {
    Table,
    Id,
    ProductId,
    ProducerOrgId,
    RegionCode,
    Mark,
    IssuingBody,
    CertificateNo,
    IssuedOn,
    ValidUntil,
    Status,
    SubmittedBy,
    SubmittedAt,
    ReviewedBy,
    ReviewedAt,
    RejectionReason,
    ExpiryWarnedAt,
    ExpiredAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}
