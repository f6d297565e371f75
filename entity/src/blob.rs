use sea_orm::entity::prelude::*;

/// One distinct content, keyed by its SHA-256 (lower-case hex): stored once however many files
/// carry it. `backend` says where its bytes are: `DATABASE` (in `blob_chunks`) or `S3`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "blobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
    pub size: i64,
    /// How many rows of `blob_chunks` hold it (0 when in object storage or empty).
    pub chunks: i32,
    pub backend: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
