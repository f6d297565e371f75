//! Files (issue 17, item 1): uploads by the GraphQL multipart request spec, checked by their
//! content, stored once per SHA-256 behind one storage interface, attached to a subject, and
//! downloaded (`GET /files/{id}`) by those who may read that subject.
//!
//! - `files`: the pure check of an upload (size, type sniffed from content, declared type) and
//!   the upload, listing and removal rules; thumbnails of images.
//! - `subjects`: what a file may be attached to, and who may attach and read.
//! - `storage`: where the bytes live (the database by default, S3-compatible storage when
//!   configured).
//! - `files_api`: the `File` type, `uploadFile`, `removeFile`, `Producer.files`,
//!   `Certification.files`.

#[allow(clippy::module_inception)]
pub mod files;
pub mod files_api;
pub mod storage;
pub mod subjects;
