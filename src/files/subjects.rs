//! What a file may be attached to, and who may attach and read: each kind delegates to the rules
//! that already govern it (visibility in `auth::visibility`, membership, officers' scopes).
//!
//! Adding a kind (Shipment, Invoice, ReturnRequest, …) is a ~20-line change here and nowhere
//! else in this module:
//! 1. a `SubjectKind` variant with its stored name (`as_str`), label and `NodeKind`;
//! 2. a `Subject` variant holding its row, loaded in `Subject::load`;
//! 3. its arms in `may_read` (usually its `Sight` condition, e.g. the order's
//!    `sight.orders()`), `may_attach` (e.g. the order's side from `orders::load_with_side`)
//!    and `purposes` (e.g. `INSPECTION_REPORT`, `INSPECTION_PHOTO` for a shipment).
//!
//! Then `uploadFile(subjectId:)` takes its IDs, and its API type gets a `files` field calling
//! `files_api::files_of`.

use entity::{
    certification, file::FilePurpose, invoice, lot, order, producer, product,
    quality_mark_certificate, return_request, shipment,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::{Viewer, scope, visibility::Sight},
    error::{AppError, AppResult},
    ids::NodeKind,
    org::membership::membership_of,
};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    Producer,
    Certification,
    Lot,
    Shipment,
    ReturnRequest,
    Invoice,
    QualityMarkCertificate,
}

impl SubjectKind {
    pub const ALL: [SubjectKind; 7] = [
        SubjectKind::Producer,
        SubjectKind::Certification,
        SubjectKind::Lot,
        SubjectKind::Shipment,
        SubjectKind::ReturnRequest,
        SubjectKind::Invoice,
        SubjectKind::QualityMarkCertificate,
    ];

    /// As stored in `files.subject_kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Producer => "PRODUCER",
            Self::Certification => "CERTIFICATION",
            Self::Lot => "LOT",
            Self::Shipment => "SHIPMENT",
            Self::ReturnRequest => "RETURN_REQUEST",
            Self::Invoice => "INVOICE",
            Self::QualityMarkCertificate => "QUALITY_MARK_CERTIFICATE",
        }
    }

    /// The message-catalogue key for "no such subject" (`NOT_FOUND`).
    pub fn not_found(self) -> &'static str {
        match self {
            Self::Producer => "not_found.producer",
            Self::Certification => "not_found.certification",
            Self::Lot => "not_found.lot",
            Self::Shipment => "not_found.shipment",
            Self::ReturnRequest => "not_found.return_request",
            Self::Invoice => "not_found.invoice",
            Self::QualityMarkCertificate => "not_found.quality_mark_certificate",
        }
    }

    pub fn node_kind(self) -> NodeKind {
        match self {
            Self::Producer => NodeKind::Producer,
            Self::Certification => NodeKind::Certification,
            Self::Lot => NodeKind::Lot,
            Self::Shipment => NodeKind::Shipment,
            Self::ReturnRequest => NodeKind::ReturnRequest,
            Self::Invoice => NodeKind::Invoice,
            Self::QualityMarkCertificate => NodeKind::QualityMarkCertificate,
        }
    }
}

/// A subject by kind and key, not loaded yet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SubjectRef {
    pub kind: SubjectKind,
    pub id: Uuid,
}

impl SubjectRef {
    /// From a global ID's kind; `None` for kinds that take no files.
    pub fn of_node(kind: NodeKind, id: Uuid) -> Option<Self> {
        SubjectKind::ALL
            .into_iter()
            .find(|k| k.node_kind() == kind)
            .map(|kind| Self { kind, id })
    }

    /// From a file row's columns.
    pub fn stored(kind: &str, id: Uuid) -> Option<Self> {
        SubjectKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .map(|kind| Self { kind, id })
    }
}

/// A loaded subject.
pub enum Subject {
    Producer(producer::Model),
    Certification(certification::Model),
    Lot(lot::Model),
    Shipment(shipment::Model),
    ReturnRequest(return_request::Model),
    Invoice(invoice::Model),
    QualityMarkCertificate(quality_mark_certificate::Model),
}

impl Subject {
    /// The subject, if it exists and `viewer` may read it; `NOT_FOUND` otherwise, as for an
    /// unknown ID.
    pub async fn load(
        conn: &impl ConnectionTrait,
        subject: SubjectRef,
        viewer: Option<&Viewer>,
    ) -> AppResult<Self> {
        let loaded = match subject.kind {
            SubjectKind::Producer => producer::Entity::find_by_id(subject.id)
                .one(conn)
                .await?
                .map(Self::Producer),
            SubjectKind::Certification => certification::Entity::find_by_id(subject.id)
                .one(conn)
                .await?
                .map(Self::Certification),
            SubjectKind::Lot => lot::Entity::find_by_id(subject.id)
                .one(conn)
                .await?
                .map(Self::Lot),
            SubjectKind::Shipment => shipment::Entity::find_by_id(subject.id)
                .one(conn)
                .await?
                .map(Self::Shipment),
            SubjectKind::ReturnRequest => return_request::Entity::find_by_id(subject.id)
                .one(conn)
                .await?
                .map(Self::ReturnRequest),
            SubjectKind::Invoice => invoice::Entity::find_by_id(subject.id)
                .one(conn)
                .await?
                .map(Self::Invoice),
            SubjectKind::QualityMarkCertificate => {
                quality_mark_certificate::Entity::find_by_id(subject.id)
                    .one(conn)
                    .await?
                    .map(Self::QualityMarkCertificate)
            }
        };
        match loaded {
            Some(found) if found.may_read(conn, viewer).await? => Ok(found),
            _ => Err(AppError::NotFound(subject.kind.not_found())),
        }
    }

    pub fn kind(&self) -> SubjectKind {
        match self {
            Self::Producer(_) => SubjectKind::Producer,
            Self::Certification(_) => SubjectKind::Certification,
            Self::Lot(_) => SubjectKind::Lot,
            Self::Shipment(_) => SubjectKind::Shipment,
            Self::ReturnRequest(_) => SubjectKind::ReturnRequest,
            Self::Invoice(_) => SubjectKind::Invoice,
            Self::QualityMarkCertificate(_) => SubjectKind::QualityMarkCertificate,
        }
    }

    pub fn id(&self) -> Uuid {
        match self {
            Self::Producer(p) => p.organization_id,
            Self::Certification(c) => c.id,
            Self::Lot(l) => l.id,
            Self::Shipment(s) => s.id,
            Self::ReturnRequest(r) => r.id,
            Self::Invoice(i) => i.id,
            Self::QualityMarkCertificate(c) => c.id,
        }
    }

    /// Files of a subject are its parties' and its officers' business, even where the subject
    /// itself is public (a verified producer): its members and staff whose reading scope covers
    /// it (the certification rule for certifications).
    pub async fn may_read(
        &self,
        conn: &impl ConnectionTrait,
        viewer: Option<&Viewer>,
    ) -> AppResult<bool> {
        if viewer.is_none() {
            return Ok(false);
        }
        let sight = Sight::of(conn, viewer).await?;
        let count = match self {
            Self::Producer(p) => {
                producer::Entity::find_by_id(p.organization_id)
                    .filter(sight.producer_records())
                    .count(conn)
                    .await?
            }
            Self::Certification(c) => {
                certification::Entity::find()
                    .filter(certification::Column::Id.eq(c.id))
                    .filter(sight.certifications())
                    .count(conn)
                    .await?
            }
            // A lot's inspection report: whoever may see its product.
            Self::Lot(l) => {
                product::Entity::find_by_id(l.product_id)
                    .filter(sight.products())
                    .count(conn)
                    .await?
            }
            // A shipment's inspection photos and reports: whoever may read its order.
            Self::Shipment(s) => {
                order::Entity::find_by_id(s.order_id)
                    .filter(sight.orders())
                    .count(conn)
                    .await?
            }
            // After-sales photos and invoices: the parties and the officers over either side
            // (who decide escalated requests), as the order's money is followed up.
            Self::ReturnRequest(r) => {
                order::Entity::find_by_id(r.order_id)
                    .filter(sight.payment_follow_up())
                    .count(conn)
                    .await?
            }
            Self::Invoice(i) => {
                order::Entity::find_by_id(i.order_id)
                    .filter(sight.payment_follow_up())
                    .count(conn)
                    .await?
            }
            // The certificate's scan: its producer and the officers who check it.
            Self::QualityMarkCertificate(c) => {
                quality_mark_certificate::Entity::find_by_id(c.id)
                    .filter(sight.quality_mark_certificates())
                    .count(conn)
                    .await?
            }
        };
        Ok(count > 0)
    }

    /// A producer's files: its members, and officers acting over its region. A certification's
    /// evidence: the applicant producer's members.
    pub async fn may_attach(
        &self,
        conn: &impl ConnectionTrait,
        viewer: &Viewer,
    ) -> AppResult<bool> {
        let member_of = membership_of(conn, viewer.user_id)
            .await?
            .map(|m| m.organization_id);
        Ok(match self {
            Self::Producer(p) => {
                member_of == Some(p.organization_id)
                    || scope::acting(conn, viewer).await?.covers(&p.region_code)
            }
            Self::Certification(c) => member_of == Some(c.producer_org_id),
            Self::Lot(l) => member_of == Some(l.producer_org_id),
            // Either party: the buyer inspects, the producer adds its delivery papers.
            Self::Shipment(s) => {
                let order = order::Entity::find_by_id(s.order_id).one(conn).await?;
                order.is_some_and(|o| {
                    member_of == Some(o.buyer_org_id) || member_of == Some(o.producer_org_id)
                })
            }
            // The buyer shows what is wrong; the producer files its invoices.
            Self::ReturnRequest(r) => {
                let order = order::Entity::find_by_id(r.order_id).one(conn).await?;
                order.is_some_and(|o| member_of == Some(o.buyer_org_id))
            }
            Self::Invoice(i) => member_of == Some(i.producer_org_id),
            Self::QualityMarkCertificate(c) => member_of == Some(c.producer_org_id),
        })
    }

    /// The purposes a file attached here may have.
    pub fn purposes(&self) -> &'static [FilePurpose] {
        match self {
            Self::Producer(_) => &[
                FilePurpose::Licence,
                FilePurpose::CommitmentLetter,
                FilePurpose::Other,
            ],
            Self::Certification(_) => &[
                FilePurpose::CertificationEvidence,
                FilePurpose::Licence,
                FilePurpose::InspectionReport,
                FilePurpose::Other,
            ],
            Self::Lot(_) => &[FilePurpose::InspectionReport, FilePurpose::Other],
            Self::Shipment(_) => &[
                FilePurpose::InspectionReport,
                FilePurpose::InspectionPhoto,
                FilePurpose::Other,
            ],
            Self::ReturnRequest(_) => &[FilePurpose::ReturnPhoto, FilePurpose::Other],
            Self::Invoice(_) => &[FilePurpose::Invoice],
            Self::QualityMarkCertificate(_) => &[FilePurpose::Certificate, FilePurpose::Other],
        }
    }
}
