//! Where files' bytes live: ONE interface over two backends. Content is addressed by its SHA-256
//! (lower-case hex) and stored once; the `blobs` table holds a row per content whichever backend
//! holds its bytes, so "is it stored already?" is one look-up and several instances share files.
//!
//! - `Database` (the default): the bytes in `blob_chunks`, ~256 KB a row, written in the upload's
//!   transaction and read back one chunk at a time, so nothing else has to run.
//! - `S3`: an S3-compatible bucket (`object_store`), the object named `blobs/<sha256>`, written
//!   with a multipart upload from the spooled file and read back as a stream.
//!
//! A blob remembers its backend, so one stored in the database before S3 was configured still
//! downloads.

use std::{io, sync::Arc};

use bytes::Bytes;
use chrono::Utc;
use entity::{blob, blob_chunk};
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart, aws::AmazonS3Builder, path::Path};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, TransactionTrait, sea_query::OnConflict,
};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::{
    config::S3Config,
    error::{AppError, AppResult},
};

/// The size of a database chunk, and of each read from a spooled upload.
pub const CHUNK: usize = 256 * 1024;
/// S3's smallest multipart part (but the last).
const S3_PART: usize = 5 * 1024 * 1024;

const DATABASE: &str = "DATABASE";
const S3: &str = "S3";

/// Bytes on their way to a client.
pub type ByteStream = BoxStream<'static, Result<Bytes, io::Error>>;

#[derive(Clone, Debug)]
pub enum Storage {
    Database,
    S3(Arc<dyn ObjectStore>),
}

impl Storage {
    /// The configured backend: S3 when `config` is given.
    pub fn s3(config: &S3Config) -> anyhow::Result<Self> {
        // TLS through ring (see Cargo.toml), whose provider rustls deprecates for lacking
        // post-quantum key exchange; aws-lc would be built from C. Installing twice is harmless.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key);
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        Ok(Self::S3(Arc::new(builder.build()?)))
    }

    /// From the settings: the database unless S3 is configured (and valid: the CLI checks).
    pub fn configured(config: Option<&S3Config>) -> Self {
        match config.map(Self::s3) {
            Some(Ok(storage)) => storage,
            Some(Err(error)) => {
                tracing::error!(%error, "S3 settings refused; files stay in the database");
                Self::Database
            }
            None => Self::Database,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Database => DATABASE,
            Self::S3(_) => S3,
        }
    }

    /// Stores `size` bytes read from `reader` (at its start) as `sha256`, unless that content is
    /// stored already; in `conn`'s transaction (the database's chunks and the blob row). Reads
    /// `CHUNK` bytes at a time. Returns whether the content was new.
    pub async fn put(
        &self,
        conn: &impl ConnectionTrait,
        sha256: &str,
        size: u64,
        reader: &mut (impl AsyncRead + Unpin + Send),
    ) -> AppResult<bool> {
        let size_i64 = i64::try_from(size).map_err(AppError::internal)?;
        match self {
            Self::Database => {
                let chunks = size.div_ceil(CHUNK as u64);
                let chunks = i32::try_from(chunks).map_err(AppError::internal)?;
                // Claims the content: a concurrent upload of the same bytes waits on this row
                // and then finds it taken.
                if !claim(conn, sha256, size_i64, chunks, DATABASE).await? {
                    return Ok(false);
                }
                let mut buffer = vec![0u8; CHUNK];
                for seq in 0..chunks {
                    let filled = fill(reader, &mut buffer).await?;
                    blob_chunk::Entity::insert(blob_chunk::ActiveModel {
                        sha256: Set(sha256.to_owned()),
                        seq: Set(seq),
                        data: Set(buffer[..filled].to_vec()),
                    })
                    .exec_without_returning(conn)
                    .await?;
                }
                Ok(true)
            }
            Self::S3(store) => {
                if blob::Entity::find_by_id(sha256.to_owned())
                    .one(conn)
                    .await?
                    .is_some()
                {
                    return Ok(false);
                }
                let path = object_path(sha256);
                let upload = store.put_multipart(&path).await.map_err(s3_error)?;
                let mut writer = WriteMultipart::new_with_chunk_size(upload, S3_PART);
                let mut buffer = vec![0u8; CHUNK];
                loop {
                    let filled = fill(reader, &mut buffer).await?;
                    if filled == 0 {
                        break;
                    }
                    writer.wait_for_capacity(2).await.map_err(s3_error)?;
                    writer.write(&buffer[..filled]);
                }
                writer.finish().await.map_err(s3_error)?;
                // The object is written before the row: a failed transaction leaves at most an
                // object that the next upload of the same bytes overwrites with itself.
                claim(conn, sha256, size_i64, 0, S3).await
            }
        }
    }

    /// The bytes of `blob`, streamed from wherever it was stored.
    pub async fn open(&self, db: &DatabaseConnection, blob: &blob::Model) -> AppResult<ByteStream> {
        if blob.backend == S3 {
            let Self::S3(store) = self else {
                return Err(AppError::internal(anyhow::anyhow!(
                    "blob {} is in S3, which is not configured",
                    blob.sha256
                )));
            };
            let found = store
                .get(&object_path(&blob.sha256))
                .await
                .map_err(s3_error)?;
            return Ok(found.into_stream().map_err(io::Error::other).boxed());
        }
        // On PostgreSQL one connection reads every chunk (a read-only transaction, rolled back
        // when the stream ends or is dropped): its buffers serve chunk after chunk, where a
        // query per chunk through the pool grows a buffer on every pooled connection in turn.
        // SQLite's few connections are not held for a download's duration.
        let reader = if db.get_database_backend() == DbBackend::Postgres {
            Reader::Held(db.begin().await?)
        } else {
            Reader::Pooled(db.clone())
        };
        let sha256 = blob.sha256.clone();
        let chunks = blob.chunks;
        Ok(
            futures_util::stream::try_unfold((reader, 0), move |(reader, seq)| {
                let sha256 = sha256.clone();
                async move {
                    if seq >= chunks {
                        return Ok(None);
                    }
                    let chunk = match &reader {
                        Reader::Held(txn) => read_chunk(txn, sha256, seq).await?,
                        Reader::Pooled(db) => read_chunk(db, sha256, seq).await?,
                    };
                    Ok(Some((chunk, (reader, seq + 1))))
                }
            })
            .boxed(),
        )
    }
}

/// Where a download's chunks are read from.
enum Reader {
    Held(DatabaseTransaction),
    Pooled(DatabaseConnection),
}

async fn read_chunk(conn: &impl ConnectionTrait, sha256: String, seq: i32) -> io::Result<Bytes> {
    let chunk = blob_chunk::Entity::find_by_id((sha256, seq))
        .one(conn)
        .await
        .map_err(io::Error::other)?
        .ok_or_else(|| io::Error::other(format!("chunk {seq} is missing")))?;
    Ok(Bytes::from(chunk.data))
}

/// Inserts the blob's row unless it is there; true when this call inserted it.
async fn claim(
    conn: &impl ConnectionTrait,
    sha256: &str,
    size: i64,
    chunks: i32,
    backend: &str,
) -> AppResult<bool> {
    let inserted = blob::Entity::insert(blob::ActiveModel {
        sha256: Set(sha256.to_owned()),
        size: Set(size),
        chunks: Set(chunks),
        backend: Set(backend.to_owned()),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(blob::Column::Sha256)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted > 0)
}

/// Reads until `buffer` is full or the input ends; how many bytes it holds.
pub async fn fill(reader: &mut (impl AsyncRead + Unpin), buffer: &mut [u8]) -> AppResult<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let n = reader
            .read(&mut buffer[filled..])
            .await
            .map_err(AppError::internal)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

fn object_path(sha256: &str) -> Path {
    Path::from(format!("blobs/{sha256}"))
}

fn s3_error(error: object_store::Error) -> AppError {
    AppError::Unavailable(anyhow::anyhow!("object storage: {error}"))
}
