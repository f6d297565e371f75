//! Files (issue 17, item 1): content-addressed blobs (SHA-256), stored in the database as
//! ~256 KB chunks by default or in S3-compatible object storage when configured, and the file
//! records that attach them to a subject (a producer, a certification, …) with a purpose.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per distinct content, whichever backend holds its bytes.
        manager
            .create_table(
                Table::create()
                    .table(Blobs::Table)
                    .col(string_len(Blobs::Sha256, 64).primary_key())
                    .col(big_integer(Blobs::Size).check(Expr::col(Blobs::Size).gte(0)))
                    .col(integer(Blobs::Chunks))
                    .col(
                        string_len(Blobs::Backend, 8).check(
                            Expr::col(Blobs::Backend)
                                .is_in(["DATABASE", "S3"].map(ToString::to_string)),
                        ),
                    )
                    .col(timestamp_with_time_zone(Blobs::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BlobChunks::Table)
                    .col(string_len(BlobChunks::Sha256, 64))
                    .col(integer(BlobChunks::Seq))
                    .col(blob(BlobChunks::Data))
                    .primary_key(Index::create().col(BlobChunks::Sha256).col(BlobChunks::Seq))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BlobChunks::Table, BlobChunks::Sha256)
                            .to(Blobs::Table, Blobs::Sha256),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(pk_uuid(Files::Id))
                    .col(string_len(Files::SubjectKind, 24))
                    .col(uuid(Files::SubjectId))
                    .col(string_len(Files::Purpose, 32))
                    .col(string_len(Files::Name, 255))
                    .col(string_len(Files::ContentType, 100))
                    .col(big_integer(Files::Size))
                    .col(string_len(Files::Sha256, 64))
                    .col(string_len_null(Files::ThumbnailSha256, 64))
                    .col(string_len_null(Files::ThumbnailType, 32))
                    .col(uuid(Files::UploadedBy))
                    .col(timestamp_with_time_zone(Files::UploadedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Files::Table, Files::Sha256)
                            .to(Blobs::Table, Blobs::Sha256),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_files_subject")
                    .table(Files::Table)
                    .col(Files::SubjectKind)
                    .col(Files::SubjectId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Files::Table.into_iden(),
            BlobChunks::Table.into_iden(),
            Blobs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Blobs {
    Table,
    Sha256,
    Size,
    Chunks,
    Backend,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BlobChunks {
    Table,
    Sha256,
    Seq,
    Data,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    SubjectKind,
    SubjectId,
    Purpose,
    Name,
    ContentType,
    Size,
    Sha256,
    ThumbnailSha256,
    ThumbnailType,
    UploadedBy,
    UploadedAt,
}
