//! The rules of files: what an upload may be (checked by content, never by name), storing it
//! once per SHA-256 with a thumbnail for images, attaching it to a subject, listing and removing.
//!
//! An upload arrives spooled to a temporary file (async-graphql's multipart reader); it is read
//! `storage::CHUNK` bytes at a time, once to sniff and hash and once to store, so memory stays
//! constant whatever its size (images are decoded for their thumbnail, within `MAX_SIDE`).
//! A refused upload writes nothing and stores nothing.

use std::io::{BufReader, Cursor, Seek};

use chrono::Utc;
use entity::{blob, file};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::AsyncSeekExt;
use uuid::Uuid;

use super::{
    storage::{self, ByteStream, CHUNK},
    subjects::{Subject, SubjectRef},
};
use crate::{
    audit::Change,
    auth::{Caller, Viewer},
    error::{AppError, AppResult, ErrorCode, UserError},
    ids::new_uuid,
    state::Services,
};

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 256;
/// The largest image decoded for a thumbnail, per side: a guard against decompression bombs.
pub const MAX_SIDE: u32 = 10_000;
/// At most this much memory for one decoded image.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
const MAX_NAME: usize = 255;

/// The types a file may be: the allowlist.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FileType {
    Jpeg,
    Png,
    Webp,
    Pdf,
    Xlsx,
    Csv,
}

impl FileType {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Pdf => "application/pdf",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv",
        }
    }

    fn image_format(self) -> Option<image::ImageFormat> {
        match self {
            Self::Jpeg => Some(image::ImageFormat::Jpeg),
            Self::Png => Some(image::ImageFormat::Png),
            Self::Webp => Some(image::ImageFormat::WebP),
            Self::Pdf | Self::Xlsx | Self::Csv => None,
        }
    }

    /// A declared media type (parameters ignored, common aliases accepted).
    fn from_declared(declared: &str) -> Option<Self> {
        let essence = declared
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            "application/pdf" => Some(Self::Pdf),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(Self::Xlsx),
            // Browsers on Windows send `.csv` as Excel's type.
            "text/csv" | "application/csv" | "application/vnd.ms-excel" => Some(Self::Csv),
            _ => None,
        }
    }

    fn from_sniffed(mime: &str) -> Option<Self> {
        match mime {
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            "application/pdf" => Some(Self::Pdf),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(Self::Xlsx),
            _ => None,
        }
    }
}

/// What the first bytes say: a type of the allowlist, another known type, text, or nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sniffed {
    Allowed(FileType),
    Other(String),
    Text,
    Unknown,
}

pub fn sniff(head: &[u8]) -> Sniffed {
    if let Some(kind) = infer::get(head) {
        return match FileType::from_sniffed(kind.mime_type()) {
            Some(allowed) => Sniffed::Allowed(allowed),
            None => Sniffed::Other(kind.mime_type().to_owned()),
        };
    }
    if looks_like_text(head) {
        Sniffed::Text
    } else {
        Sniffed::Unknown
    }
}

/// UTF-8 (a character cut at the end of the head allowed) without NUL or other control bytes
/// but tab, line feed and carriage return.
fn looks_like_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(error) if error.error_len().is_none() => {
            // Only the last character is incomplete.
            std::str::from_utf8(&head[..error.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The one check of an upload, before anything is stored: not over `max` bytes, not empty, of
/// an allowed type by its content, and not declared (the part's `Content-Type`) as another
/// type. No declared type, or `application/octet-stream`, claims nothing. Text is accepted only
/// as CSV, when declared so.
pub fn check(
    head: &[u8],
    declared: Option<&str>,
    size: u64,
    max: u64,
) -> Result<FileType, UserError> {
    if size > max {
        return Err(UserError::on(
            "file",
            ErrorCode::FileTooLarge,
            msg!("files.file_has_bytes_most_taken", size = size, max = max),
        ));
    }
    if size == 0 {
        return Err(UserError::on(
            "file",
            ErrorCode::Invalid,
            msg!("files.file_empty"),
        ));
    }
    let declared = declared.map(str::trim).filter(|d| {
        !d.is_empty()
            && !d
                .to_ascii_lowercase()
                .starts_with("application/octet-stream")
    });
    let claimed = declared.map(|d| (d, FileType::from_declared(d)));
    let mismatch = |declared: &str, found: &str| {
        UserError::on(
            "file",
            ErrorCode::FileTypeMismatch,
            msg!(
                "files.file_declared_but_content",
                value0 = declared.chars().take(100).collect::<String>(),
                found = found
            ),
        )
    };
    let forbidden = |found: &str| {
        UserError::on(
            "file",
            ErrorCode::ForbiddenFileType,
            msg!("files.files_not_taken_send_jpeg_png", found = found),
        )
    };
    match (sniff(head), claimed) {
        (Sniffed::Allowed(found), None) => Ok(found),
        (Sniffed::Allowed(found), Some((_, Some(said)))) if said == found => Ok(found),
        (Sniffed::Allowed(found), Some((text, _))) => Err(mismatch(text, found.mime())),
        (Sniffed::Text, Some((_, Some(FileType::Csv)))) => Ok(FileType::Csv),
        // Declared as an allowed type, but the content is something else.
        (Sniffed::Other(found), Some((text, Some(_)))) => Err(mismatch(text, &found)),
        (Sniffed::Text, Some((text, Some(_)))) => Err(mismatch(text, &msg!("files.plain_text"))),
        (Sniffed::Unknown, Some((text, Some(_)))) => {
            Err(mismatch(text, &msg!("files.no_known_type")))
        }
        (Sniffed::Other(found), _) => Err(forbidden(&found)),
        (Sniffed::Text, _) => Err(forbidden(&msg!("files.plain_text"))),
        (Sniffed::Unknown, _) => Err(forbidden(&msg!("files.unrecognised"))),
    }
}

/// The name kept for display: its last path segment, without control characters, at most 255
/// characters; "file" when nothing is left.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect();
    let kept = kept.trim();
    if kept.is_empty() || kept == "." || kept == ".." {
        "file".to_owned()
    } else {
        kept.to_owned()
    }
}

/// A thumbnail of at most `THUMBNAIL_SIDE` pixels a side: JPEG for JPEG, PNG otherwise. Images
/// over `MAX_SIDE` pixels a side are refused before they are decoded.
pub fn thumbnail(
    reader: impl std::io::BufRead + Seek,
    kind: FileType,
) -> Result<Option<(Vec<u8>, FileType)>, UserError> {
    let Some(format) = kind.image_format() else {
        return Ok(None);
    };
    let mut decoder = image::ImageReader::with_format(reader, format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    decoder.limits(limits);
    let decoded = decoder.decode().map_err(|error| match error {
        image::ImageError::Limits(_) => UserError::on(
            "file",
            ErrorCode::FileTooLarge,
            msg!("files.image_over_pixels_side", max_side = MAX_SIDE),
        ),
        _ => UserError::on("file", ErrorCode::Invalid, msg!("files.image_cannot_read")),
    })?;
    let small = decoded.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    let mut out = Cursor::new(Vec::new());
    let (written, as_type) = if kind == FileType::Jpeg {
        (
            small.to_rgb8().write_to(&mut out, image::ImageFormat::Jpeg),
            FileType::Jpeg,
        )
    } else {
        (
            small.write_to(&mut out, image::ImageFormat::Png),
            FileType::Png,
        )
    };
    written
        .map_err(|_| UserError::on("file", ErrorCode::Invalid, msg!("files.image_cannot_read")))?;
    Ok(Some((out.into_inner(), as_type)))
}

/// An upload as the multipart reader left it.
pub struct Incoming {
    pub name: String,
    pub declared_type: Option<String>,
    /// The spooled temporary file, at its start.
    pub content: std::fs::File,
}

/// Checks, hashes and stores an upload, and attaches it to `subject` for `purpose`, with an
/// audit event; all or nothing.
pub async fn upload(
    caller: Caller<'_>,
    subject: SubjectRef,
    purpose: file::FilePurpose,
    incoming: Incoming,
) -> AppResult<file::Model> {
    let services = caller.services;
    let db = caller.db();
    let subject = Subject::load(db, subject, Some(caller.viewer)).await?;
    if !subject.may_attach(db, caller.viewer).await? {
        return Err(AppError::Forbidden("forbidden.you_may_not_attach_files"));
    }
    if !subject.purposes().contains(&purpose) {
        return Err(AppError::field(
            "purpose",
            ErrorCode::Invalid,
            msg!(
                "files.takes_no_file_purpose",
                subject = subject.kind().as_str()
            ),
        ));
    }
    let size = incoming
        .content
        .metadata()
        .map_err(AppError::internal)?
        .len();
    let thumbnail_source = incoming.content.try_clone().map_err(AppError::internal)?;
    let mut content = tokio::fs::File::from_std(incoming.content);
    content.rewind().await.map_err(AppError::internal)?;

    // One pass: the head is sniffed, the whole hashed.
    let mut buffer = vec![0u8; CHUNK];
    let mut hasher = Sha256::new();
    let filled = storage::fill(&mut content, &mut buffer).await?;
    let kind = check(
        &buffer[..filled],
        incoming.declared_type.as_deref(),
        size,
        services.settings.file_max_bytes,
    )
    .map_err(AppError::user)?;
    hasher.update(&buffer[..filled]);
    let mut read = filled as u64;
    loop {
        let n = storage::fill(&mut content, &mut buffer).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        read += n as u64;
    }
    drop(buffer);
    if read != size {
        return Err(AppError::internal(anyhow::anyhow!(
            "the spooled upload changed size while read"
        )));
    }
    let sha256 = format!("{:x}", hasher.finalize());

    let thumb = if kind.image_format().is_some() {
        crate::i18n::spawn_blocking(move || {
            let mut source = thumbnail_source;
            source.rewind()?;
            Ok::<_, std::io::Error>(thumbnail(BufReader::new(source), kind))
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?
        .map_err(AppError::user)?
    } else {
        None
    };

    let txn = db.begin().await?;
    content.rewind().await.map_err(AppError::internal)?;
    services
        .files
        .put(&txn, &sha256, size, &mut content)
        .await?;
    let (thumbnail_sha256, thumbnail_type) = match &thumb {
        Some((bytes, as_type)) => {
            let sha = format!("{:x}", Sha256::digest(bytes));
            services
                .files
                .put(&txn, &sha, bytes.len() as u64, &mut bytes.as_slice())
                .await?;
            (Some(sha), Some(as_type.mime().to_owned()))
        }
        None => (None, None),
    };
    let row = file::ActiveModel {
        id: Set(new_uuid()),
        subject_kind: Set(subject.kind().as_str().to_owned()),
        subject_id: Set(subject.id()),
        purpose: Set(purpose),
        name: Set(clean_name(&incoming.name)),
        content_type: Set(kind.mime().to_owned()),
        size: Set(i64::try_from(size).map_err(AppError::internal)?),
        sha256: Set(sha256),
        thumbnail_sha256: Set(thumbnail_sha256),
        thumbnail_type: Set(thumbnail_type),
        uploaded_by: Set(caller.viewer.user_id),
        uploaded_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "file.upload",
                target_type: "File",
                target_id: Some(row.id),
                summary: json!({
                    "subject": subject.kind().as_str(), "subject_id": row.subject_id,
                    "purpose": row.purpose.to_value(), "sha256": row.sha256, "size": row.size,
                    "content_type": row.content_type, "name": row.name,
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(row)
}

/// The files attached to `subject`, oldest first; none for a viewer who may not read it.
pub async fn files_of(
    services: &Services,
    viewer: Option<&Viewer>,
    subject: SubjectRef,
) -> AppResult<Vec<file::Model>> {
    let db = &services.db;
    let Ok(loaded) = Subject::load(db, subject, viewer).await else {
        return Ok(Vec::new());
    };
    if !loaded.may_read(db, viewer).await? {
        return Ok(Vec::new());
    }
    Ok(file::Entity::find()
        .filter(file::Column::SubjectKind.eq(subject.kind.as_str()))
        .filter(file::Column::SubjectId.eq(subject.id))
        .order_by_asc(file::Column::UploadedAt)
        .order_by_asc(file::Column::Id)
        .all(db)
        .await?)
}

/// A file the viewer may read (they may read its subject); `NOT_FOUND` otherwise, exactly as
/// for an unknown ID.
pub async fn readable(
    services: &Services,
    viewer: Option<&Viewer>,
    id: Uuid,
) -> AppResult<file::Model> {
    let db = &services.db;
    let row = file::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("not_found.file"))?;
    let Some(subject) = SubjectRef::stored(&row.subject_kind, row.subject_id) else {
        return Err(AppError::NotFound("not_found.file"));
    };
    let subject = Subject::load(db, subject, viewer)
        .await
        .map_err(|_| AppError::NotFound("not_found.file"))?;
    if subject.may_read(db, viewer).await? {
        Ok(row)
    } else {
        Err(AppError::NotFound("not_found.file"))
    }
}

/// A file's bytes (or its thumbnail's), its size and type, streamed.
pub struct Download {
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub name: String,
    pub body: ByteStream,
}

pub async fn download(
    services: &Services,
    viewer: Option<&Viewer>,
    id: Uuid,
    thumbnail: bool,
) -> AppResult<Download> {
    let row = readable(services, viewer, id).await?;
    let (sha256, content_type) = if thumbnail {
        match (row.thumbnail_sha256, row.thumbnail_type) {
            (Some(sha), Some(kind)) => (sha, kind),
            _ => return Err(AppError::NotFound("not_found.thumbnail")),
        }
    } else {
        (row.sha256, row.content_type)
    };
    let blob = blob::Entity::find_by_id(sha256.clone())
        .one(&services.db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("blob {sha256} is missing")))?;
    let body = services.files.open(&services.db, &blob).await?;
    Ok(Download {
        content_type,
        size: u64::try_from(blob.size).unwrap_or_default(),
        sha256,
        name: row.name,
        body,
    })
}

/// Detaches a file: whoever may attach to its subject. Its bytes stay (other files may share
/// them).
pub async fn remove(caller: Caller<'_>, id: Uuid) -> AppResult<file::Model> {
    let db = caller.db();
    let row = readable(caller.services, Some(caller.viewer), id).await?;
    let Some(subject) = SubjectRef::stored(&row.subject_kind, row.subject_id) else {
        return Err(AppError::NotFound("not_found.file"));
    };
    let subject = Subject::load(db, subject, Some(caller.viewer)).await?;
    if !subject.may_attach(db, caller.viewer).await? {
        return Err(AppError::Forbidden(
            "forbidden.you_may_not_remove_files_from",
        ));
    }
    let txn = db.begin().await?;
    file::Entity::delete_by_id(row.id).exec(&txn).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "file.remove",
                target_type: "File",
                target_id: Some(row.id),
                summary: json!({ "subject": row.subject_kind, "subject_id": row.subject_id,
                                 "sha256": row.sha256, "name": row.name }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0];
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
    const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff";
    const MAX: u64 = 1000;

    fn code(result: Result<FileType, UserError>) -> Option<ErrorCode> {
        result.err().map(|e| {
            assert_eq!(e.field, Some(vec!["input".to_owned(), "file".to_owned()]));
            e.code
        })
    }

    #[test]
    fn types_come_from_the_content() {
        assert_eq!(check(PNG, None, 100, MAX), Ok(FileType::Png));
        assert_eq!(check(PNG, Some("image/png"), 100, MAX), Ok(FileType::Png));
        assert_eq!(check(JPEG, Some("image/jpg"), 100, MAX), Ok(FileType::Jpeg));
        assert_eq!(
            check(PDF, Some("application/octet-stream"), 100, MAX),
            Ok(FileType::Pdf)
        );
        assert_eq!(
            check(
                b"name,qty\n\xe7\xba\xa2\xe8\x96\xaf,3\n",
                Some("text/csv; charset=utf-8"),
                20,
                MAX
            ),
            Ok(FileType::Csv)
        );
    }

    #[test]
    fn too_large_empty_forbidden_and_mismatched_uploads_are_refused() {
        assert_eq!(
            code(check(PNG, None, MAX + 1, MAX)),
            Some(ErrorCode::FileTooLarge)
        );
        assert_eq!(code(check(b"", None, 0, MAX)), Some(ErrorCode::Invalid));
        assert_eq!(
            code(check(EXE, None, 100, MAX)),
            Some(ErrorCode::ForbiddenFileType)
        );
        assert_eq!(
            code(check(b"hello", Some("text/plain"), 5, MAX)),
            Some(ErrorCode::ForbiddenFileType)
        );
        // A PNG declared as a PDF, an executable declared as a PNG, text declared as a JPEG.
        assert_eq!(
            code(check(PNG, Some("application/pdf"), 100, MAX)),
            Some(ErrorCode::FileTypeMismatch)
        );
        assert_eq!(
            code(check(EXE, Some("image/png"), 100, MAX)),
            Some(ErrorCode::FileTypeMismatch)
        );
        assert_eq!(
            code(check(b"not a photo", Some("image/jpeg"), 11, MAX)),
            Some(ErrorCode::FileTypeMismatch)
        );
        // An allowed content declared as a type outside the list is a mismatch too.
        assert_eq!(
            code(check(PNG, Some("text/html"), 100, MAX)),
            Some(ErrorCode::FileTypeMismatch)
        );
        // Binary bytes are no CSV.
        assert_eq!(
            code(check(b"a,b\x00\x01", Some("text/csv"), 5, MAX)),
            Some(ErrorCode::FileTypeMismatch)
        );
    }

    #[test]
    fn names_keep_their_last_segment_only() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\证照\\营业执照.pdf"), "营业执照.pdf");
        assert_eq!(clean_name("a\u{0}b\n.png"), "ab.png");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(&"x".repeat(400)).chars().count(), 255);
    }

    #[test]
    fn thumbnails_are_small_and_bombs_are_refused() {
        let mut png = Cursor::new(Vec::new());
        image::RgbImage::from_pixel(600, 300, image::Rgb([200, 30, 30]))
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap_or_else(|_| unreachable!());
        png.set_position(0);
        let (bytes, kind) = thumbnail(png, FileType::Png)
            .ok()
            .flatten()
            .unwrap_or_else(|| unreachable!());
        assert_eq!(kind, FileType::Png);
        let small = image::load_from_memory(&bytes).unwrap_or_else(|_| unreachable!());
        assert_eq!((small.width(), small.height()), (256, 128));

        // A PNG header claiming 100,000 × 100,000 pixels is refused before decoding.
        let mut chunk = b"IHDR".to_vec();
        chunk.extend_from_slice(&100_000u32.to_be_bytes());
        chunk.extend_from_slice(&100_000u32.to_be_bytes());
        chunk.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut crc = flate2::Crc::new();
        crc.update(&chunk);
        let mut bomb = PNG[..8].to_vec();
        bomb.extend_from_slice(&13u32.to_be_bytes());
        bomb.extend_from_slice(&chunk);
        bomb.extend_from_slice(&crc.sum().to_be_bytes());
        let refused = thumbnail(Cursor::new(bomb), FileType::Png).err();
        assert_eq!(refused.map(|e| e.code), Some(ErrorCode::FileTooLarge));
    }
}
