use sea_orm::entity::prelude::*;

/// An uploaded file attached to a subject (`subject_kind` names its table: `PRODUCER`,
/// `CERTIFICATION`, …) for a purpose; its bytes are the blob `sha256`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub purpose: FilePurpose,
    /// The name the client gave, for display and `Content-Disposition` only.
    pub name: String,
    /// Sniffed from the content, never taken from the name.
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub thumbnail_sha256: Option<String>,
    pub thumbnail_type: Option<String>,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTimeUtc,
}

/// What a file is for.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum FilePurpose {
    /// 营业执照 and other licences of a producer.
    #[sea_orm(string_value = "LICENCE")]
    Licence,
    /// A producer's commitment letter (承诺书).
    #[sea_orm(string_value = "COMMITMENT_LETTER")]
    CommitmentLetter,
    /// Evidence for a certification application (benefit linkage, origin).
    #[sea_orm(string_value = "CERTIFICATION_EVIDENCE")]
    CertificationEvidence,
    #[sea_orm(string_value = "INSPECTION_REPORT")]
    InspectionReport,
    #[sea_orm(string_value = "INSPECTION_PHOTO")]
    InspectionPhoto,
    #[sea_orm(string_value = "INVOICE")]
    Invoice,
    #[sea_orm(string_value = "RETURN_PHOTO")]
    ReturnPhoto,
    /// The scan of a quality mark's certificate (绿色食品证书, 有机产品认证证书 …).
    #[sea_orm(string_value = "CERTIFICATE")]
    Certificate,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
