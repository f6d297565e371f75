//! Files in the API: the `File` type, `uploadFile` (a GraphQL multipart request) and
//! `removeFile`; `Producer.files` and `Certification.files` call `files_of`. The bytes are
//! downloaded over plain HTTP at `File.url` (`GET /files/{id}`, `src/http/files.rs`).

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject, Upload};
use entity::file::{self, FilePurpose};
use uuid::Uuid;

use super::{
    files::{self as rules, Incoming},
    subjects::SubjectRef,
};
use crate::{
    auth::accounts_api::User,
    error::{AppError, Result, payload},
    graphql::{
        context::{caller, loaders, services, viewer_opt},
        scalars::DateTime,
    },
    ids::{self, NodeKind},
    loaders::UserById,
};

/// A file attached to a producer, a certification, …; its type was sniffed from its content.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct File {
    pub id: ID,
    /// The name it was uploaded with (its last path segment).
    pub name: String,
    pub content_type: String,
    /// In bytes.
    pub size: i64,
    /// Lower-case hex; also the download's `ETag`.
    pub sha256: String,
    pub purpose: FilePurpose,
    pub uploaded_at: DateTime,
    #[graphql(skip)]
    pub row: file::Model,
}

impl From<file::Model> for File {
    fn from(row: file::Model) -> Self {
        Self {
            id: NodeKind::File.id(row.id),
            name: row.name.clone(),
            content_type: row.content_type.clone(),
            size: row.size,
            sha256: row.sha256.clone(),
            purpose: row.purpose,
            uploaded_at: row.uploaded_at.into(),
            row,
        }
    }
}

#[ComplexObject]
impl File {
    /// Where to download it (with the same bearer token): `/files/{id}`.
    async fn url(&self) -> String {
        format!("/files/{}", self.id.as_str())
    }

    /// A thumbnail of at most 256 pixels a side, for images.
    async fn thumbnail_url(&self) -> Option<String> {
        self.row
            .thumbnail_sha256
            .as_ref()
            .map(|_| format!("/files/{}/thumbnail", self.id.as_str()))
    }

    async fn uploaded_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)?
            .load_one(UserById(self.row.uploaded_by))
            .await?
            .map(User::from))
    }
}

/// The files attached to a subject, for `Producer.files` and `Certification.files`: none for a
/// viewer who may not read its records.
pub async fn files_of(ctx: &Context<'_>, kind: NodeKind, id: Uuid) -> Result<Vec<File>> {
    let Some(subject) = SubjectRef::of_node(kind, id) else {
        return Ok(Vec::new());
    };
    Ok(rules::files_of(services(ctx)?, viewer_opt(ctx), subject)
        .await?
        .into_iter()
        .map(File::from)
        .collect())
}

#[derive(InputObject)]
pub struct UploadFileInput {
    /// The file part of a GraphQL multipart request.
    pub file: Upload,
    /// A Producer or a Certification.
    pub subject_id: ID,
    pub purpose: FilePurpose,
}

#[derive(InputObject)]
pub struct RemoveFileInput {
    pub file_id: ID,
}

crate::payload! {
    UploadFilePayload { file: Option<File> } from file::Model => |m| Some(File::from(m))
}

crate::payload! {
    RemoveFilePayload { file_id: Option<ID> } from file::Model => |m: file::Model| Some(NodeKind::File.id(m.id))
}

#[derive(Default)]
pub struct FileMutation;

#[Object]
impl FileMutation {
    /// Attaches a file (sent by the GraphQL multipart request spec) to a producer (licences,
    /// commitment letters: its members or officers over it) or a certification (evidence: the
    /// applicant producer). Refused with `FILE_TOO_LARGE`, `FORBIDDEN_FILE_TYPE` or
    /// `FILE_TYPE_MISMATCH` on `["input", "file"]`, storing nothing.
    async fn upload_file(
        &self,
        ctx: &Context<'_>,
        input: UploadFileInput,
    ) -> Result<UploadFilePayload> {
        let caller = caller(ctx)?;
        let subject = match ids::decode(input.subject_id.as_str()) {
            Some((kind, id)) => SubjectRef::of_node(kind, id),
            None => None,
        }
        .ok_or_else(|| AppError::BadInput(msg!("files.subjectid_not_id_producer_certification")))?;
        let upload = input
            .file
            .value(ctx)
            .map_err(|e| AppError::BadInput(msg!("files.file_part_cannot_read", e = e)))?;
        let incoming = Incoming {
            name: upload.filename,
            declared_type: upload.content_type,
            content: upload.content,
        };
        payload(rules::upload(caller, subject, input.purpose, incoming).await)
    }

    /// Detaches a file (whoever may attach to its subject).
    async fn remove_file(
        &self,
        ctx: &Context<'_>,
        input: RemoveFileInput,
    ) -> Result<RemoveFilePayload> {
        let id = ids::expect(&input.file_id, NodeKind::File, "fileId")?;
        payload(rules::remove(caller(ctx)?, id).await)
    }
}
