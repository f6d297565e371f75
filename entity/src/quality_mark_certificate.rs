use sea_orm::entity::prelude::*;

use crate::product::QualityMark;

/// The certificate behind a product's quality mark (绿色食品, 有机, 地理标志 …): submitted by
/// its producer, verified or rejected by an officer over it. Only verified certificates within
/// their validity put the mark on the product.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quality_mark_certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    pub producer_org_id: Uuid,
    /// The product's place when submitted: officers over it review the certificate.
    pub region_code: String,
    pub mark: QualityMark,
    pub issuing_body: String,
    pub certificate_no: String,
    pub issued_on: Date,
    pub valid_until: Date,
    pub status: CertificateStatus,
    pub submitted_by: Uuid,
    pub submitted_at: DateTimeUtc,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub rejection_reason: Option<String>,
    /// When the producer was warned that it expires within 30 days (once).
    pub expiry_warned_at: Option<DateTimeUtc>,
    /// When the periodic check dropped the mark from the product, the certificate having expired.
    pub expired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CertificateStatus {
    /// Awaiting an officer's check.
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "VERIFIED")]
    Verified,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}

impl Model {
    /// Whether the certificate puts its mark on the product on `day`.
    pub fn in_force_on(&self, day: Date) -> bool {
        self.status == CertificateStatus::Verified
            && self.issued_on <= day
            && day <= self.valid_until
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
