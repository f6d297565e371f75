//! The registry and catalogue: regions (with poverty status history), pairings, producer and
//! buyer profiles, procurement declarations and policies, products (with price history and stock
//! adjustments) and certifications (with one review per stage).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn one_of<T: IntoIden + 'static>(column: T, values: &[&str]) -> SimpleExpr {
    Expr::col(column).is_in(values.iter().map(ToString::to_string))
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: &[DynIden],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column.clone());
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.clone()).await
}

macro_rules! cols {
    ($($c:expr),+ $(,)?) => { &[$($c.into_iden()),+] };
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        const STATUSES: &[&str] = &["NOT_POOR", "POOR", "DEEP_POVERTY", "EXITED"];
        manager
            .create_table(
                Table::create()
                    .table(Regions::Table)
                    // The division code is itself a materialised path: a region's descendants
                    // are exactly the codes that start with its code.
                    .col(string_len(Regions::Code, 12).primary_key())
                    .col(string_len(Regions::Name, 100))
                    .col(string_len(Regions::Level, 10).check(one_of(
                        Regions::Level,
                        &["PROVINCE", "CITY", "COUNTY", "TOWNSHIP", "VILLAGE"],
                    )))
                    .col(string_len_null(Regions::ParentCode, 12))
                    .col(
                        string_len(Regions::PovertyStatus, 16)
                            .default("NOT_POOR")
                            .check(one_of(Regions::PovertyStatus, STATUSES)),
                    )
                    .col(integer_null(Regions::ExitYear))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_regions_parent",
            Regions::Table,
            cols![Regions::ParentCode],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RegionStatusHistory::Table)
                    .col(pk_uuid(RegionStatusHistory::Id))
                    .col(string_len(RegionStatusHistory::RegionCode, 12))
                    .col(
                        string_len(RegionStatusHistory::Status, 16)
                            .check(one_of(RegionStatusHistory::Status, STATUSES)),
                    )
                    .col(integer_null(RegionStatusHistory::ExitYear))
                    .col(date(RegionStatusHistory::EffectiveFrom))
                    .col(uuid_null(RegionStatusHistory::RecordedBy))
                    .col(timestamp_with_time_zone(RegionStatusHistory::RecordedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_region_status_history_region",
            RegionStatusHistory::Table,
            cols![
                RegionStatusHistory::RegionCode,
                RegionStatusHistory::EffectiveFrom
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Pairings::Table)
                    .col(pk_uuid(Pairings::Id))
                    .col(string_len_null(Pairings::HelperRegionCode, 12))
                    .col(uuid_null(Pairings::HelperOrgId))
                    .col(string_len(Pairings::HelpedRegionCode, 12))
                    .col(string_len(Pairings::Kind, 16).check(one_of(
                        Pairings::Kind,
                        &["EAST_WEST", "DESIGNATED", "IN_PROVINCE"],
                    )))
                    .col(date(Pairings::StartsOn))
                    .col(date_null(Pairings::EndsOn))
                    .col(uuid_null(Pairings::CreatedBy))
                    .col(timestamp_with_time_zone(Pairings::CreatedAt))
                    .check(
                        Expr::col(Pairings::HelperRegionCode)
                            .is_not_null()
                            .or(Expr::col(Pairings::HelperOrgId).is_not_null()),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_pairings_helped",
            Pairings::Table,
            cols![Pairings::HelpedRegionCode],
            false,
        )
        .await?;
        index(
            manager,
            "idx_pairings_helper_org",
            Pairings::Table,
            cols![Pairings::HelperOrgId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Producers::Table)
                    .col(uuid(Producers::OrganizationId).primary_key())
                    .col(string_len(Producers::Kind, 24).check(one_of(
                        Producers::Kind,
                        &[
                            "LEADING_ENTERPRISE",
                            "COOPERATIVE",
                            "FAMILY_FARM",
                            "POVERTY_WORKSHOP",
                            "VILLAGE_COLLECTIVE",
                            "HOUSEHOLD",
                        ],
                    )))
                    .col(string_len(Producers::RegionCode, 12))
                    .col(string_len_null(Producers::LicenceNo, 32))
                    .col(string_len(Producers::ContactName, 50))
                    .col(string_len(Producers::ContactPhone, 20))
                    .col(string_len(Producers::LinkageModes, 64))
                    .col(
                        integer(Producers::PoorHouseholdsLinked)
                            .check(Expr::col(Producers::PoorHouseholdsLinked).gte(0)),
                    )
                    .col(
                        integer(Producers::ProfitSharePercent)
                            .check(Expr::col(Producers::ProfitSharePercent).between(0, 100)),
                    )
                    .col(
                        string_len(Producers::VerificationStatus, 16)
                            .default("PENDING")
                            .check(one_of(
                                Producers::VerificationStatus,
                                &["PENDING", "VERIFIED"],
                            )),
                    )
                    .col(uuid_null(Producers::VerifiedBy))
                    .col(timestamp_with_time_zone_null(Producers::VerifiedAt))
                    .col(
                        string_len(Producers::CreditStatus, 16)
                            .default("GOOD")
                            .check(one_of(Producers::CreditStatus, &["GOOD", "SUSPENDED"])),
                    )
                    .col(text_null(Producers::CreditReason))
                    .col(timestamp_with_time_zone(Producers::CreatedAt))
                    .col(timestamp_with_time_zone(Producers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Producers::Table, Producers::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_producers_region",
            Producers::Table,
            cols![Producers::RegionCode],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Buyers::Table)
                    .col(uuid(Buyers::OrganizationId).primary_key())
                    .col(string_len(Buyers::Kind, 24).check(one_of(
                        Buyers::Kind,
                        &[
                            "AGENCY",
                            "STATE_ENTERPRISE",
                            "SCHOOL",
                            "HOSPITAL",
                            "ARMY_UNIT",
                            "CANTEEN",
                            "SUPERMARKET",
                            "PRIVATE_ENTERPRISE",
                            "SOCIAL_ORGANIZATION",
                            "INDIVIDUAL",
                        ],
                    )))
                    .col(string_len(Buyers::RegionCode, 12))
                    .col(uuid_null(Buyers::ParentOrgId))
                    .col(string_len(Buyers::ContactName, 50))
                    .col(string_len(Buyers::ContactPhone, 20))
                    .col(timestamp_with_time_zone(Buyers::CreatedAt))
                    .col(timestamp_with_time_zone(Buyers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Buyers::Table, Buyers::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_buyers_region",
            Buyers::Table,
            cols![Buyers::RegionCode],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProcurementDeclarations::Table)
                    .col(pk_uuid(ProcurementDeclarations::Id))
                    .col(uuid(ProcurementDeclarations::BuyerOrgId))
                    .col(integer(ProcurementDeclarations::Year))
                    .col(
                        string_len(ProcurementDeclarations::Canteen, 16).check(one_of(
                            ProcurementDeclarations::Canteen,
                            &["OWN_CANTEEN", "NO_CANTEEN", "SHARES_CANTEEN", "OUTSOURCED"],
                        )),
                    )
                    .col(big_integer_null(ProcurementDeclarations::CanteenBudgetFen))
                    .col(integer_null(ProcurementDeclarations::ReservedShareBp))
                    .col(
                        big_integer(ProcurementDeclarations::TargetFen)
                            .check(Expr::col(ProcurementDeclarations::TargetFen).gte(0)),
                    )
                    .col(uuid_null(ProcurementDeclarations::SharesCanteenOf))
                    .col(uuid_null(ProcurementDeclarations::ContractorOrgId))
                    .col(uuid(ProcurementDeclarations::DeclaredBy))
                    .col(timestamp_with_time_zone(
                        ProcurementDeclarations::DeclaredAt,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_procurement_declarations_buyer_year",
            ProcurementDeclarations::Table,
            cols![
                ProcurementDeclarations::BuyerOrgId,
                ProcurementDeclarations::Year
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProcurementPolicies::Table)
                    .col(pk_uuid(ProcurementPolicies::Id))
                    .col(string_len(ProcurementPolicies::RegionCode, 12))
                    .col(integer(ProcurementPolicies::Year))
                    .col(integer(ProcurementPolicies::MinReservedShareBp))
                    .col(uuid_null(ProcurementPolicies::SetBy))
                    .col(timestamp_with_time_zone(ProcurementPolicies::SetAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_procurement_policies_region_year",
            ProcurementPolicies::Table,
            cols![ProcurementPolicies::RegionCode, ProcurementPolicies::Year],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(pk_uuid(Products::Id))
                    .col(uuid(Products::ProducerOrgId))
                    .col(string_len(Products::Name, 100))
                    .col(string_len(Products::Category, 24))
                    .col(string_len(Products::Spec, 100))
                    .col(string_len(Products::Unit, 16))
                    .col(big_integer(Products::PriceFen).check(Expr::col(Products::PriceFen).gt(0)))
                    .col(
                        integer(Products::MinOrderQuantity)
                            .check(Expr::col(Products::MinOrderQuantity).gte(1)),
                    )
                    // The backstop for "stock never goes below zero, whatever the concurrency".
                    .col(big_integer(Products::Stock).check(Expr::col(Products::Stock).gte(0)))
                    .col(text(Products::OriginStatement))
                    .col(text(Products::Images))
                    .col(integer(Products::QualityMarks).default(0))
                    .col(string_len_null(Products::TraceCode, 64))
                    .col(string_len(Products::Status, 16).check(one_of(
                        Products::Status,
                        &["DRAFT", "PUBLISHED", "UNPUBLISHED"],
                    )))
                    // Copied from the producer so catalogue filters and sorts run on one table.
                    .col(string_len(Products::RegionCode, 12))
                    .col(small_integer(Products::PovertyRank))
                    .col(boolean(Products::Listed).default(false))
                    .col(big_integer_null(Products::PriceFlagMedianFen))
                    .col(date_null(Products::CertifiedFrom))
                    .col(date_null(Products::CertifiedUntil))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Products::Table, Products::ProducerOrgId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_products_producer",
            Products::Table,
            cols![Products::ProducerOrgId],
            false,
        )
        .await?;
        index(
            manager,
            "idx_products_listed_category_region",
            Products::Table,
            cols![Products::Listed, Products::Category, Products::RegionCode],
            false,
        )
        .await?;
        index(
            manager,
            "idx_products_listed_region",
            Products::Table,
            cols![Products::Listed, Products::RegionCode],
            false,
        )
        .await?;
        index(
            manager,
            "idx_products_listed_price",
            Products::Table,
            cols![Products::Listed, Products::PriceFen, Products::Id],
            false,
        )
        .await?;
        index(
            manager,
            "idx_products_category_unit",
            Products::Table,
            cols![Products::Category, Products::Unit],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PriceHistory::Table)
                    .col(pk_uuid(PriceHistory::Id))
                    .col(uuid(PriceHistory::ProductId))
                    .col(big_integer(PriceHistory::PriceFen))
                    .col(uuid_null(PriceHistory::ChangedBy))
                    .col(timestamp_with_time_zone(PriceHistory::ChangedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_price_history_product",
            PriceHistory::Table,
            cols![PriceHistory::ProductId, PriceHistory::ChangedAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(StockAdjustments::Table)
                    .col(pk_uuid(StockAdjustments::Id))
                    .col(uuid(StockAdjustments::ProductId))
                    .col(big_integer(StockAdjustments::Delta))
                    .col(big_integer(StockAdjustments::StockAfter))
                    .col(string_len(StockAdjustments::Reason, 200))
                    .col(uuid_null(StockAdjustments::AdjustedBy))
                    .col(timestamp_with_time_zone(StockAdjustments::AdjustedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_stock_adjustments_product",
            StockAdjustments::Table,
            cols![StockAdjustments::ProductId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Certifications::Table)
                    .col(pk_uuid(Certifications::Id))
                    .col(uuid(Certifications::ProductId))
                    .col(uuid(Certifications::ProducerOrgId))
                    .col(string_len(Certifications::CountyCode, 12))
                    .col(string_len(Certifications::Status, 16).check(one_of(
                        Certifications::Status,
                        &[
                            "SUBMITTED",
                            "FIRST_APPROVED",
                            "APPROVED",
                            "REJECTED",
                            "REVOKED",
                        ],
                    )))
                    .col(text(Certifications::Evidence))
                    .col(string_len_null(Certifications::CertificateNo, 40).unique_key())
                    .col(date_null(Certifications::NoticeUntil))
                    .col(date_null(Certifications::ValidFrom))
                    .col(date_null(Certifications::ValidUntil))
                    .col(uuid(Certifications::AppliedBy))
                    .col(timestamp_with_time_zone(Certifications::AppliedAt))
                    .col(timestamp_with_time_zone_null(Certifications::DecidedAt))
                    .col(uuid_null(Certifications::RevokedBy))
                    .col(timestamp_with_time_zone_null(Certifications::RevokedAt))
                    .col(text_null(Certifications::RevokeReason))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_certifications_product",
            Certifications::Table,
            cols![Certifications::ProductId],
            false,
        )
        .await?;
        index(
            manager,
            "idx_certifications_county_status",
            Certifications::Table,
            cols![Certifications::CountyCode, Certifications::Status],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CertificationReviews::Table)
                    .col(pk_uuid(CertificationReviews::Id))
                    .col(uuid(CertificationReviews::CertificationId))
                    .col(
                        string_len(CertificationReviews::Stage, 16)
                            .check(one_of(CertificationReviews::Stage, &["FIRST", "COUNTY"])),
                    )
                    .col(uuid(CertificationReviews::ReviewerId))
                    .col(string_len(CertificationReviews::Decision, 16).check(one_of(
                        CertificationReviews::Decision,
                        &["APPROVE", "REJECT"],
                    )))
                    .col(text_null(CertificationReviews::Comment))
                    .col(timestamp_with_time_zone(CertificationReviews::ReviewedAt))
                    .to_owned(),
            )
            .await?;
        // One decision per stage: reviewing twice loses the race at the database.
        index(
            manager,
            "uq_certification_reviews_stage",
            CertificationReviews::Table,
            cols![
                CertificationReviews::CertificationId,
                CertificationReviews::Stage
            ],
            true,
        )
        .await?;

        if manager.get_database_backend() == DbBackend::Postgres {
            // Substring search on Chinese names (红薯 finds 灵寿红薯) through a trigram index.
            let db = manager.get_connection();
            // The extension lives in `public`, whatever schema the tables are in.
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
                .await?;
            db.execute_unprepared(
                "CREATE INDEX idx_products_name_trgm ON products USING gin (name public.gin_trgm_ops)",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CertificationReviews::Table.into_iden(),
            Certifications::Table.into_iden(),
            StockAdjustments::Table.into_iden(),
            PriceHistory::Table.into_iden(),
            Products::Table.into_iden(),
            ProcurementPolicies::Table.into_iden(),
            ProcurementDeclarations::Table.into_iden(),
            Buyers::Table.into_iden(),
            Producers::Table.into_iden(),
            Pairings::Table.into_iden(),
            RegionStatusHistory::Table.into_iden(),
            Regions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    Code,
    Name,
    Level,
    ParentCode,
    PovertyStatus,
    ExitYear,
}

#[derive(DeriveIden)]
enum RegionStatusHistory {
    Table,
    Id,
    RegionCode,
    Status,
    ExitYear,
    EffectiveFrom,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Pairings {
    Table,
    Id,
    HelperRegionCode,
    HelperOrgId,
    HelpedRegionCode,
    Kind,
    StartsOn,
    EndsOn,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Producers {
    Table,
    OrganizationId,
    Kind,
    RegionCode,
    LicenceNo,
    ContactName,
    ContactPhone,
    LinkageModes,
    PoorHouseholdsLinked,
    ProfitSharePercent,
    VerificationStatus,
    VerifiedBy,
    VerifiedAt,
    CreditStatus,
    CreditReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Buyers {
    Table,
    OrganizationId,
    Kind,
    RegionCode,
    ParentOrgId,
    ContactName,
    ContactPhone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProcurementDeclarations {
    Table,
    Id,
    BuyerOrgId,
    Year,
    Canteen,
    CanteenBudgetFen,
    ReservedShareBp,
    TargetFen,
    SharesCanteenOf,
    ContractorOrgId,
    DeclaredBy,
    DeclaredAt,
}

#[derive(DeriveIden)]
enum ProcurementPolicies {
    Table,
    Id,
    RegionCode,
    Year,
    MinReservedShareBp,
    SetBy,
    SetAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    ProducerOrgId,
    Name,
    Category,
    Spec,
    Unit,
    PriceFen,
    MinOrderQuantity,
    Stock,
    OriginStatement,
    Images,
    QualityMarks,
    TraceCode,
    Status,
    RegionCode,
    PovertyRank,
    Listed,
    PriceFlagMedianFen,
    CertifiedFrom,
    CertifiedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PriceHistory {
    Table,
    Id,
    ProductId,
    PriceFen,
    ChangedBy,
    ChangedAt,
}

#[derive(DeriveIden)]
enum StockAdjustments {
    Table,
    Id,
    ProductId,
    Delta,
    StockAfter,
    Reason,
    AdjustedBy,
    AdjustedAt,
}

#[derive(DeriveIden)]
enum Certifications {
    Table,
    Id,
    ProductId,
    ProducerOrgId,
    CountyCode,
    Status,
    Evidence,
    CertificateNo,
    NoticeUntil,
    ValidFrom,
    ValidUntil,
    AppliedBy,
    AppliedAt,
    DecidedAt,
    RevokedBy,
    RevokedAt,
    RevokeReason,
}

#[derive(DeriveIden)]
enum CertificationReviews {
    Table,
    Id,
    CertificationId,
    Stage,
    ReviewerId,
    Decision,
    Comment,
    ReviewedAt,
}
