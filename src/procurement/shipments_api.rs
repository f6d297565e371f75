//! Shipments in the API: the `Shipment` type (a `Node`), `receiveShipment` (receipt and
//! inspection, 验货) and `confirmRejectedGoodsReturned`. `Order.shipments`, `shipOrder` (a part
//! or the rest of an order, `ShipOrderInput`) and `receiveOrder` are orders' (`orders_api`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::order;
use uuid::Uuid;

use super::shipments::{self, Dispatch, InspectionResult, Loaded, NamedLot, Receipt};
use crate::{
    auth::{Role, RoleGuard},
    catalogue::lots_api::Lot,
    error::{Result, payload},
    graphql::{
        context::{caller, loaders, services},
        scalars::{Date, DateTime},
    },
    ids::{self, NodeKind},
    loaders::LotById,
};

/// One part of an order on its way, then received and inspected (验货) by the buyer.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Shipment {
    #[graphql(owned)]
    pub id: ID,
    /// The order it is part of.
    pub order_id: ID,
    /// 1, 2, … within the order.
    pub number: i32,
    /// None for self-delivery.
    pub carrier: Option<String>,
    pub waybill_no: Option<String>,
    pub expected_arrival: Option<Date>,
    pub shipped_at: DateTime,
    pub received_at: Option<DateTime>,
    /// What inspection found; null before receipt.
    pub inspection: Option<ShipmentInspection>,
    /// When the producer confirmed the goods rejected at inspection came back (into stock).
    pub rejected_goods_returned_at: Option<DateTime>,
    pub lines: Vec<ShipmentLine>,
    #[graphql(skip)]
    pub loaded: Loaded,
}

#[async_graphql::ComplexObject]
impl Shipment {
    /// Inspection photos and reports, delivery papers: for whoever may read the order.
    async fn files(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> crate::error::Result<Vec<crate::files::files_api::File>> {
        crate::files::files_api::files_of(ctx, NodeKind::Shipment, self.loaded.shipment.id).await
    }
}

/// The buyer's inspection of a shipment.
#[derive(SimpleObject)]
pub struct ShipmentInspection {
    pub result: InspectionResult,
    pub report: Option<String>,
}

/// How much of one order line a shipment carries, from which lot, and what inspection accepted.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ShipmentLine {
    /// The order line (`Order.lines`).
    pub line_id: ID,
    pub quantity: i64,
    /// Null before receipt.
    pub accepted_quantity: Option<i64>,
    /// Shipped less accepted; null before receipt.
    pub rejected_quantity: Option<i64>,
    #[graphql(skip)]
    pub lot_id: Option<Uuid>,
}

#[async_graphql::ComplexObject]
impl ShipmentLine {
    /// The lot the goods come from, when the producer named it; its `traceCode` answers
    /// `traceCode(code)` for anyone.
    async fn lot(&self, ctx: &Context<'_>) -> Result<Option<Lot>> {
        let Some(id) = self.lot_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.load_one(LotById(id)).await?.map(Lot::from))
    }
}

impl From<Loaded> for Shipment {
    fn from(loaded: Loaded) -> Self {
        let row = &loaded.shipment;
        Self {
            id: NodeKind::Shipment.id(row.id),
            order_id: NodeKind::Order.id(row.order_id),
            number: row.number,
            carrier: row.carrier.clone(),
            waybill_no: row.waybill_no.clone(),
            expected_arrival: row.expected_arrival.map(Date),
            shipped_at: row.shipped_at.into(),
            received_at: row.received_at.map(Into::into),
            inspection: loaded.result().map(|result| ShipmentInspection {
                result,
                report: row.inspection_report.clone(),
            }),
            rejected_goods_returned_at: row.rejected_returned_at.map(Into::into),
            lines: loaded
                .lines
                .iter()
                .map(|l| ShipmentLine {
                    line_id: NodeKind::OrderLine.id(l.order_line_id),
                    quantity: l.quantity,
                    accepted_quantity: l.accepted_quantity,
                    rejected_quantity: shipments::rejected(l),
                    lot_id: l.lot_id,
                })
                .collect(),
            loaded,
        }
    }
}

/// An order's shipments, first first (`Order.shipments`).
pub async fn shipments_of(ctx: &Context<'_>, row: &order::Model) -> Result<Vec<Shipment>> {
    Ok(shipments::of_order(&services(ctx)?.db, row.id)
        .await?
        .into_iter()
        .map(Shipment::from)
        .collect())
}

#[derive(InputObject)]
pub struct ShipmentLineInput {
    pub line_id: ID,
    pub quantity: i64,
    /// The lot the goods come from (`recordLot`), of the line's product: the buyer can then
    /// trace what arrived. A lot ships at most what it holds.
    pub lot_id: Option<ID>,
}

/// A `shipOrder` input as the rules take it.
pub fn dispatch_of(input: ShipOrderInput) -> Result<Dispatch> {
    let mut lots = Vec::new();
    let lines = match &input.lines {
        Some(lines) => {
            let mut named = Vec::with_capacity(lines.len());
            for (index, line) in lines.iter().enumerate() {
                let field = format!("lines.{index}.lineId");
                let line_id = ids::expect(&line.line_id, NodeKind::OrderLine, &field)?;
                if let Some(lot) = &line.lot_id {
                    let field = format!("lines.{index}.lotId");
                    let lot_id = ids::expect(lot, NodeKind::Lot, &field)?;
                    lots.push(NamedLot {
                        index,
                        line_id,
                        lot_id,
                    });
                }
                named.push((line_id, line.quantity));
            }
            Some(named)
        }
        None => None,
    };
    Ok(Dispatch {
        order_id: ids::expect(&input.order_id, NodeKind::Order, "orderId")?,
        carrier: input.carrier,
        waybill_no: input.waybill_no,
        expected_arrival: input.expected_arrival.map(|d| d.0),
        lines,
        lots,
    })
}

#[derive(InputObject)]
pub struct ShipOrderInput {
    pub order_id: ID,
    /// Leave out with `waybillNo` for self-delivery.
    pub carrier: Option<String>,
    pub waybill_no: Option<String>,
    pub expected_arrival: Option<Date>,
    /// What this shipment carries, each line of the order once, within what is outstanding;
    /// leave out to ship everything outstanding.
    pub lines: Option<Vec<ShipmentLineInput>>,
}

#[derive(InputObject)]
pub struct AcceptedLineInput {
    pub line_id: ID,
    /// Between 0 and the quantity shipped.
    pub accepted_quantity: i64,
}

#[derive(InputObject)]
pub struct ReceiveShipmentInput {
    pub shipment_id: ID,
    /// The inspection, line by line: every line of this shipment once (accept 0 to reject one),
    /// each between 0 and what the shipment carried.
    pub accepted: Vec<AcceptedLineInput>,
    /// What the inspection found (验货报告).
    pub inspection_report: String,
    pub invoice_no: Option<String>,
}

#[derive(InputObject)]
pub struct ShipmentIdInput {
    pub shipment_id: ID,
}

crate::payload! {
    ShipmentPayload { shipment: Option<Shipment> } from Loaded => |m| Some(Shipment::from(m))
}

fn shipment_id(id: &ID) -> Result<Uuid> {
    ids::expect(id, NodeKind::Shipment, "shipmentId")
}

/// Accepted quantities by order line, from `input.accepted`.
pub fn accepted_lines(accepted: &[AcceptedLineInput]) -> Result<Vec<(Uuid, i64)>> {
    accepted
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let field = format!("accepted.{index}.lineId");
            ids::expect(&line.line_id, NodeKind::OrderLine, &field)
                .map(|id| (id, line.accepted_quantity))
        })
        .collect()
}

#[derive(Default)]
pub struct ShipmentMutation;

#[Object]
impl ShipmentMutation {
    /// The buyer receives and inspects (验货) one shipment: what it accepts enters the ledger.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn receive_shipment(
        &self,
        ctx: &Context<'_>,
        input: ReceiveShipmentInput,
    ) -> Result<ShipmentPayload> {
        let id = shipment_id(&input.shipment_id)?;
        let receipt = Receipt {
            accepted: accepted_lines(&input.accepted)?,
            report: Some(input.inspection_report),
            invoice_no: input.invoice_no,
        };
        payload(shipments::receive(caller(ctx)?, id, receipt).await)
    }

    /// The producer confirms the goods rejected at a shipment's inspection came back: they go
    /// back into stock (once).
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn confirm_rejected_goods_returned(
        &self,
        ctx: &Context<'_>,
        input: ShipmentIdInput,
    ) -> Result<ShipmentPayload> {
        let id = shipment_id(&input.shipment_id)?;
        payload(shipments::confirm_rejected_returned(caller(ctx)?, id).await)
    }
}
