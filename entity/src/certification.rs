use sea_orm::entity::prelude::*;

/// An application to certify a product as a poverty-alleviation product (扶贫产品认定).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    pub producer_org_id: Uuid,
    /// The county whose office decides.
    pub county_code: String,
    pub status: CertificationState,
    #[sea_orm(column_type = "Text")]
    pub evidence: String,
    pub certificate_no: Option<String>,
    pub notice_until: Option<Date>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    pub applied_by: Uuid,
    pub applied_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub revoked_by: Option<Uuid>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoke_reason: Option<String>,
}

/// Where an application stands in the workflow (dates decide notice, validity and expiry).
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CertificationState {
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "FIRST_APPROVED")]
    FirstApproved,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "REVOKED")]
    Revoked,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
