//! Lots and trace codes in the API: `Lot`, `recordLot`, `lots(productId)`, and the public
//! `traceCode(code)` (`TraceRecord`). The QR image and the page a scanned code opens are served
//! by `http::trace`.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::Utc;
use entity::{
    lot::{self, InspectionResult},
    product::{ProductCategory, QualityMark},
};

use super::lots::{self, LotInput, Trace};
use crate::{
    auth::{Role, RoleGuard, viewer},
    error::{Result, payload},
    graphql::{
        context::{caller, services},
        scalars::{Date, DateTime},
    },
    ids::{self, NodeKind},
    region::regions_api::Region,
};

/// A lot of a product and its trace code.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Lot {
    pub id: ID,
    pub product_id: ID,
    /// What is printed on the goods and looked up with `traceCode`.
    pub trace_code: String,
    /// The QR code of the trace code, as SVG (`.png` for a PNG).
    pub qr_code_url: String,
    pub produced_on: Date,
    pub quantity: i64,
    /// How much of it shipments have named so far (at most `quantity`).
    pub shipped_quantity: i64,
    pub origin_village_code: String,
    pub inspection: LotInspection,
    pub recorded_at: DateTime,
    #[graphql(skip)]
    pub row_id: uuid::Uuid,
}

#[ComplexObject]
impl Lot {
    /// Its inspection reports and other files, for whoever may see the product.
    async fn files(&self, ctx: &Context<'_>) -> Result<Vec<crate::files::files_api::File>> {
        crate::files::files_api::files_of(ctx, NodeKind::Lot, self.row_id).await
    }
}

/// A lot's origin inspection (产地准出).
#[derive(SimpleObject)]
pub struct LotInspection {
    pub result: InspectionResult,
    pub inspected_on: Option<Date>,
    /// Who inspected.
    pub body: Option<String>,
    pub report_no: Option<String>,
}

impl From<&lot::Model> for LotInspection {
    fn from(row: &lot::Model) -> Self {
        Self {
            result: row.inspection_result,
            inspected_on: row.inspected_on.map(Date),
            body: row.inspection_body.clone(),
            report_no: row.inspection_report_no.clone(),
        }
    }
}

impl From<lot::Model> for Lot {
    fn from(row: lot::Model) -> Self {
        Self {
            id: NodeKind::Lot.id(row.id),
            row_id: row.id,
            product_id: NodeKind::Product.id(row.product_id),
            qr_code_url: format!("/trace/{}.svg", row.trace_code),
            inspection: LotInspection::from(&row),
            trace_code: row.trace_code,
            produced_on: Date(row.produced_on),
            quantity: row.quantity,
            shipped_quantity: row.shipped_quantity,
            origin_village_code: row.origin_village_code,
            recorded_at: row.recorded_at.into(),
        }
    }
}

/// What anyone may learn from a trace code: the product, who made it and where, whether it is a
/// certified poverty-alleviation product, and the lot's dates and inspection. Nothing private.
#[derive(SimpleObject)]
pub struct TraceRecord {
    pub trace_code: String,
    pub product_name: String,
    pub category: ProductCategory,
    pub spec: String,
    pub unit: String,
    pub producer_name: String,
    /// Where the producer is registered.
    pub producer_region: Region,
    /// The village the lot comes from, with its poverty status.
    pub origin_village: Region,
    /// A certified poverty-alleviation product (扶贫产品) today.
    pub certified: bool,
    pub certificate_no: Option<String>,
    pub certified_until: Option<Date>,
    /// Quality marks (绿色食品, 有机, 地理标志 …) whose certificates an officer verified and
    /// that have not expired.
    pub quality_marks: Vec<QualityMark>,
    pub produced_on: Date,
    pub quantity: i64,
    pub inspection: LotInspection,
}

impl From<Trace> for TraceRecord {
    fn from(trace: Trace) -> Self {
        let certified = trace.certified_on(Utc::now().date_naive());
        let certification = trace.certification.filter(|_| certified);
        Self {
            trace_code: trace.lot.trace_code.clone(),
            product_name: trace.product.name,
            category: trace.product.category,
            spec: trace.product.spec,
            unit: trace.product.unit,
            producer_name: trace.producer_name,
            producer_region: Region::from(trace.producer_region),
            origin_village: Region::from(trace.origin_village),
            certified,
            certificate_no: certification
                .as_ref()
                .and_then(|c| c.certificate_no.clone()),
            certified_until: certification.and_then(|c| c.valid_until).map(Date),
            quality_marks: QualityMark::from_mask(trace.product.quality_marks),
            produced_on: Date(trace.lot.produced_on),
            quantity: trace.lot.quantity,
            inspection: LotInspection::from(&trace.lot),
        }
    }
}

#[derive(InputObject)]
pub struct RecordLotInput {
    pub product_id: ID,
    /// Harvest or production date.
    pub produced_on: Date,
    pub quantity: i64,
    /// A village of the producer's county.
    pub origin_village_code: String,
    pub inspection_result: InspectionResult,
    pub inspected_on: Option<Date>,
    pub inspection_body: Option<String>,
    pub inspection_report_no: Option<String>,
}

crate::payload! {
    LotPayload { lot: Option<Lot> } from lot::Model => |m| Some(Lot::from(m))
}

#[derive(Default)]
pub struct LotQuery;

#[Object]
impl LotQuery {
    /// Public: the lot a trace code names (case, spaces and hyphens do not matter). An unknown
    /// code is `NOT_FOUND` on `code`.
    async fn trace_code(&self, ctx: &Context<'_>, code: String) -> Result<TraceRecord> {
        let trace = lots::trace(&services(ctx)?.db, &code).await?;
        Ok(TraceRecord::from(trace))
    }

    /// A product's lots, newest first (at most 100), for those who may see the product.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn lots(&self, ctx: &Context<'_>, product_id: ID) -> Result<Vec<Lot>> {
        let product = ids::expect(&product_id, NodeKind::Product, "productId")?;
        let rows = lots::of_product(&services(ctx)?.db, viewer(ctx)?, product, 100).await?;
        Ok(rows.into_iter().map(Lot::from).collect())
    }
}

#[derive(Default)]
pub struct LotMutation;

#[Object]
impl LotMutation {
    /// A member of the product's producer records a lot; it gets its trace code.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn record_lot(&self, ctx: &Context<'_>, input: RecordLotInput) -> Result<LotPayload> {
        let product_id = ids::expect(&input.product_id, NodeKind::Product, "productId")?;
        let new = LotInput {
            product_id,
            produced_on: input.produced_on.0,
            quantity: input.quantity,
            origin_village_code: input.origin_village_code,
            inspection_result: input.inspection_result,
            inspected_on: input.inspected_on.map(|d| d.0),
            inspection_body: input.inspection_body,
            inspection_report_no: input.inspection_report_no,
        };
        payload(lots::record(caller(ctx)?, new).await)
    }
}
