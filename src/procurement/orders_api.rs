//! Orders in the API: the `Order` (with its `shipments`), `OrderLine` and `OrderEvent` types, the `orders` and `order`
//! queries, and `placeOrder`, `confirmOrder`, `shipOrder`, `receiveOrder`, `settleOrder`,
//! `refundOrder`, `rateOrder`, `cancelOrder`.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::{
    ledger_entry::Purpose,
    order::{self, OrderStatus, PaymentTerms},
    order_event, order_line,
    product::ProductCategory,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{
    accounts,
    orders::{self, Basket, OrderTransition, Step},
    shipments_api::{AcceptedLineInput, ShipOrderInput},
};
use crate::{
    auth::{Role, RoleGuard, Viewer, accounts_api::User, viewer, visibility::Sight},
    error::{AppError, Result, payload},
    graphql::{
        context::services,
        context::{caller, loaders},
        scalars::{Date, DateTime, Money},
    },
    ids::{self, NodeKind},
    loaders::UserById,
    org::{buyers_api::Buyer, membership::membership_of, producers_api::Producer},
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
};

/// An order from one buyer unit to one producer.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Order {
    #[graphql(owned)]
    pub id: ID,
    pub status: OrderStatus,
    pub payment_terms: PaymentTerms,
    /// What the purchase is for; its ledger entries carry it.
    pub purpose: Purpose,
    /// What was ordered: the sum of the lines at their frozen prices. What was accepted,
    /// refunded and paid, and what is due, is in `account`.
    pub total: Money,
    pub note: Option<String>,
    pub invoice_no: Option<String>,
    pub cancel_reason: Option<String>,
    /// The buyer's rating of the producer (1–5), once received.
    pub rating: Option<i32>,
    pub rating_comment: Option<String>,
    /// The agreement it was ordered under.
    pub agreement_id: Option<ID>,
    /// The fair it was placed at.
    pub fair_id: Option<ID>,
    pub placed_at: DateTime,
    #[graphql(skip)]
    pub row: order::Model,
}

impl From<order::Model> for Order {
    fn from(row: order::Model) -> Self {
        Self {
            id: NodeKind::Order.id(row.id),
            status: row.status,
            payment_terms: row.payment_terms,
            purpose: row.purpose,
            total: Money(row.total_fen),
            note: row.note.clone(),
            invoice_no: row.invoice_no.clone(),
            cancel_reason: row.cancel_reason.clone(),
            rating: row.rating,
            rating_comment: row.rating_comment.clone(),
            agreement_id: row.agreement_id.map(|a| NodeKind::Agreement.id(a)),
            fair_id: row.fair_id.map(|f| NodeKind::Fair.id(f)),
            placed_at: row.placed_at.into(),
            row,
        }
    }
}

#[ComplexObject]
impl Order {
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        Buyer::load(ctx, self.row.buyer_org_id).await
    }

    async fn producer(&self, ctx: &Context<'_>) -> Result<Option<Producer>> {
        Producer::load(ctx, self.row.producer_org_id).await
    }

    /// What the viewer may do to it now: front-ends never guess the state machine.
    async fn available_transitions(&self, ctx: &Context<'_>) -> Result<Vec<OrderTransition>> {
        let Some(viewer) = ctx.data_opt::<Viewer>() else {
            return Ok(Vec::new());
        };
        let db = &services(ctx)?.db;
        match orders::side_of(db, viewer, &self.row).await? {
            Some(side) => Ok(super::shipments::available(db, &self.row, side).await?),
            None => Ok(Vec::new()),
        }
    }

    /// What the order owes and what was paid.
    async fn account(&self, ctx: &Context<'_>) -> Result<super::payments_api::OrderAccount> {
        super::payments_api::account_of(ctx, &self.row).await
    }

    /// Its shipments, first first.
    async fn shipments(&self, ctx: &Context<'_>) -> Result<Vec<super::shipments_api::Shipment>> {
        super::shipments_api::shipments_of(ctx, &self.row).await
    }

    /// Its after-sales requests, newest first.
    async fn return_requests(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::after_sales_api::ReturnRequest>> {
        super::after_sales_api::requests_of(ctx, self.row.id).await
    }

    /// The invoices the producer recorded, oldest first.
    async fn invoices(&self, ctx: &Context<'_>) -> Result<Vec<super::after_sales_api::Invoice>> {
        super::after_sales_api::invoices_of(ctx, self.row.id).await
    }

    /// Its payments, oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<super::payments_api::Payment>> {
        super::payments_api::payments_of(ctx, &self.row).await
    }

    /// The lines, in the order they were placed.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn lines(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<OrderLine>> {
        let select = order_line::Entity::find().filter(order_line::Column::OrderId.eq(self.row.id));
        pagination::paginate(
            &services(ctx)?.db,
            select,
            &[SortKey::asc(order_line::Column::Position)],
            &PageArgs::new(first, after, last, before),
            |l| vec![CursorValue::Int(i64::from(l.position))],
            OrderLine::from,
        )
        .await
    }

    /// Every transition: from what, to what, by whom, when.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<OrderEvent>> {
        let rows = order_event::Entity::find()
            .filter(order_event::Column::OrderId.eq(self.row.id))
            .order_by_asc(order_event::Column::At)
            .all(&services(ctx)?.db)
            .await?;
        Ok(rows.into_iter().map(OrderEvent::from).collect())
    }
}

#[derive(SimpleObject)]
pub struct OrderLine {
    /// For `receiveOrder`'s accepted quantities.
    #[graphql(owned)]
    pub id: ID,
    pub product_id: ID,
    pub product_name: String,
    pub category: ProductCategory,
    pub spec: String,
    pub unit: String,
    /// The price when ordered.
    pub price: Money,
    pub quantity: i64,
    /// Shipped so far, over its shipments.
    pub shipped_quantity: i64,
    /// Ordered less shipped: what is still to ship.
    pub outstanding_quantity: i64,
    /// What the buyer accepted at inspection, over the shipments received so far.
    pub accepted_quantity: Option<i64>,
    /// Refunded after receipt.
    pub refunded_quantity: i64,
    pub amount: Money,
    #[graphql(skip)]
    pub row: order_line::Model,
}

impl From<order_line::Model> for OrderLine {
    fn from(row: order_line::Model) -> Self {
        Self {
            id: NodeKind::OrderLine.id(row.id),
            product_id: NodeKind::Product.id(row.product_id),
            product_name: row.product_name.clone(),
            category: row.category,
            spec: row.spec.clone(),
            unit: row.unit.clone(),
            price: Money(row.price_fen),
            quantity: row.quantity,
            shipped_quantity: row.shipped_quantity,
            outstanding_quantity: row.quantity - row.shipped_quantity,
            accepted_quantity: row.accepted_quantity,
            refunded_quantity: row.refunded_quantity,
            amount: Money(row.price_fen * row.quantity),
            row,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct OrderEvent {
    pub from_status: Option<OrderStatus>,
    pub to_status: OrderStatus,
    pub note: Option<String>,
    pub at: DateTime,
    #[graphql(skip)]
    pub row: order_event::Model,
}

impl From<order_event::Model> for OrderEvent {
    fn from(row: order_event::Model) -> Self {
        Self {
            from_status: row.from_status,
            to_status: row.to_status,
            note: row.note.clone(),
            at: row.at.into(),
            row,
        }
    }
}

#[ComplexObject]
impl OrderEvent {
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(UserById(self.row.actor_id))
            .await?
            .map(User::from))
    }

    /// The order as it is now (subscribers get the event first, then read the order).
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        Ok(order::Entity::find_by_id(self.row.order_id)
            .one(&services(ctx)?.db)
            .await?
            .map(Order::from))
    }
}

/// Which of the viewer's orders to list.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrderSide {
    /// Orders the viewer's unit placed (not those of the units it supervises).
    Buying,
    /// Orders the viewer's producer received.
    Selling,
}

#[derive(InputObject, Default)]
pub struct OrderFilter {
    pub statuses: Option<Vec<OrderStatus>>,
    pub side: Option<OrderSide>,
}

#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// Received orders past their due date with money still due: the two parties, the units
    /// supervising the buyer, and staff whose scope covers either party's place.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn overdue_payments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Order>> {
        let services = services(ctx)?;
        let sight = Sight::of(&services.db, Some(viewer(ctx)?)).await?;
        pagination::paginate(
            &services.db,
            accounts::overdue(sight.payment_follow_up(), chrono::Utc::now().date_naive()),
            &[SortKey::asc(order::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |o| vec![CursorValue::Uuid(o.id)],
            Order::from,
        )
        .await
    }

    /// The orders of the viewer's organisation and of the units it supervises (all orders for
    /// platform admins), newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Order>> {
        let services = services(ctx)?;
        let viewer = viewer(ctx)?;
        let filter = filter.unwrap_or_default();
        // The same rule as `node` and `order` (`Sight::orders`): the two parties, the units
        // supervising the buyer, admins all; `side` narrows to the viewer's own unit.
        let sight = Sight::of(&services.db, Some(viewer)).await?;
        let mut select = order::Entity::find().filter(sight.orders());
        if !viewer.is_admin() {
            let Some(membership) = membership_of(&services.db, viewer.user_id).await? else {
                return Err(AppError::Forbidden(
                    "forbidden.only_members_buyer_producer_have_orders",
                ));
            };
            let org = membership.organization_id;
            select = match filter.side {
                Some(OrderSide::Buying) => select.filter(order::Column::BuyerOrgId.eq(org)),
                Some(OrderSide::Selling) => select.filter(order::Column::ProducerOrgId.eq(org)),
                None => select,
            };
        }
        if let Some(statuses) = filter.statuses {
            select = select.filter(order::Column::Status.is_in(statuses));
        }
        pagination::paginate(
            &services.db,
            select,
            &[SortKey::desc(order::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |o| vec![CursorValue::Uuid(o.id)],
            Order::from,
        )
        .await
    }

    /// An order, for its two parties and platform admins.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        let id = ids::expect(&id, NodeKind::Order, "id")?;
        let db = &services(ctx)?.db;
        let sight = Sight::of(db, Some(viewer(ctx)?)).await?;
        Ok(order::Entity::find_by_id(id)
            .filter(sight.orders())
            .one(db)
            .await?
            .map(Order::from))
    }
}

#[derive(InputObject)]
pub struct OrderLineInput {
    pub product_id: ID,
    pub quantity: i64,
}

#[derive(InputObject)]
pub struct PlaceOrderInput {
    /// Products from any number of producers: one order is created per producer.
    pub lines: Vec<OrderLineInput>,
    #[graphql(default_with = "PaymentTerms::PayAfterDelivery")]
    pub payment_terms: PaymentTerms,
    /// Order under this directed procurement agreement: its price applies and the quantity
    /// counts toward its volume.
    pub agreement_id: Option<ID>,
    /// Placed at this fair, while it runs: every line must be of an approved exhibitor, and the
    /// orders count toward the fair.
    pub fair_id: Option<ID>,
    /// What the purchase is for (以购代捐, 以买代帮…); by default what units of the buyer's
    /// kind buy for (a canteen's supply, a supermarket's resale, an individual's own use).
    pub purpose: Option<Purpose>,
    pub note: Option<String>,
    /// Chosen by the client (e.g. a UUID): a retry with the same key returns the first result
    /// and creates nothing more.
    pub idempotency_key: String,
}

#[derive(InputObject)]
pub struct OrderIdInput {
    pub order_id: ID,
}

#[derive(InputObject)]
pub struct CancelOrderInput {
    pub order_id: ID,
    pub reason: String,
}

#[derive(InputObject)]
pub struct ReceiveOrderInput {
    pub order_id: ID,
    /// The inspection, line by line: it names every line of this order exactly once (accept 0
    /// to reject a line). Nothing is accepted unnamed: a line of another order, an unknown, a
    /// repeated or a missing line refuses the whole receipt.
    pub accepted: Vec<AcceptedLineInput>,
    pub invoice_no: Option<String>,
}

#[derive(InputObject)]
pub struct RefundLineInput {
    pub line_id: ID,
    pub quantity: i64,
}

#[derive(InputObject)]
pub struct RefundOrderInput {
    pub order_id: ID,
    /// Lines refunded, each of this order and named once (lines not named are not refunded);
    /// omit to refund everything still refundable.
    #[graphql(default)]
    pub lines: Vec<RefundLineInput>,
    pub reason: String,
}

#[derive(InputObject)]
pub struct RateOrderInput {
    pub order_id: ID,
    /// 1 (poor) to 5 (excellent).
    pub rating: i32,
    pub comment: Option<String>,
}

crate::payload! {
    PlaceOrderPayload {
        /// One per producer.
        orders: Vec<Order>
    } from Vec<order::Model> => |orders: Vec<order::Model>| orders.into_iter().map(Order::from).collect()
}

crate::payload! {
    OrderPayload { order: Option<Order> } from order::Model => |m| Some(Order::from(m))
}

fn order_id(id: &ID) -> Result<Uuid> {
    ids::expect(id, NodeKind::Order, "orderId")
}

async fn step(
    ctx: &Context<'_>,
    id: &ID,
    step: Step,
    reason: Option<String>,
) -> Result<OrderPayload> {
    let id = order_id(id)?;
    payload(orders::transition(caller(ctx)?, id, step, reason).await)
}

#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// The buyer's one 15-day extension of a received pay-after-delivery order's due date.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn request_payment_extension(
        &self,
        ctx: &Context<'_>,
        input: OrderIdInput,
    ) -> Result<OrderPayload> {
        payload(super::payments::extend(caller(ctx)?, order_id(&input.order_id)?).await)
    }

    /// Orders a basket (members of a buyer unit): prices are frozen and stock reserved now.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        input: PlaceOrderInput,
    ) -> Result<PlaceOrderPayload> {
        let mut lines = Vec::with_capacity(input.lines.len());
        for (index, line) in input.lines.iter().enumerate() {
            lines.push((
                ids::expect(
                    &line.product_id,
                    NodeKind::Product,
                    &format!("lines.{index}.productId"),
                )?,
                line.quantity,
            ));
        }
        let agreement_id = input
            .agreement_id
            .as_ref()
            .map(|id| ids::expect(id, NodeKind::Agreement, "agreementId"))
            .transpose()?;
        let fair_id = input
            .fair_id
            .as_ref()
            .map(|id| ids::expect(id, NodeKind::Fair, "fairId"))
            .transpose()?;
        let basket = Basket {
            lines,
            agreement_id,
            fair_id,
            payment_terms: input.payment_terms,
            purpose: input.purpose,
            note: input.note,
            idempotency_key: input.idempotency_key,
        };
        payload(orders::place(caller(ctx)?, basket).await)
    }

    /// The producer accepts an order.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn confirm_order(&self, ctx: &Context<'_>, input: OrderIdInput) -> Result<OrderPayload> {
        step(ctx, &input.order_id, Step::Confirm, None).await
    }

    /// The producer ships a confirmed order, whole or in parts (the order is SHIPPED from its
    /// first shipment; more ship while anything is outstanding).
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn ship_order(&self, ctx: &Context<'_>, input: ShipOrderInput) -> Result<OrderPayload> {
        let dispatch = super::shipments_api::dispatch_of(input)?;
        payload(super::shipments::ship(caller(ctx)?, dispatch).await)
    }

    /// The buyer inspects (验货) and accepts an order shipped whole, line by line: it receives
    /// the order's one shipment. An order shipped in parts is received shipment by shipment
    /// (`receiveShipment`).
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn receive_order(
        &self,
        ctx: &Context<'_>,
        input: ReceiveOrderInput,
    ) -> Result<OrderPayload> {
        let receipt = super::shipments::Receipt {
            accepted: super::shipments_api::accepted_lines(&input.accepted)?,
            report: None,
            invoice_no: input.invoice_no,
        };
        let id = order_id(&input.order_id)?;
        payload(super::shipments::receive_order(caller(ctx)?, id, receipt).await)
    }

    /// The buyer records payment of a received order.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn settle_order(&self, ctx: &Context<'_>, input: OrderIdInput) -> Result<OrderPayload> {
        step(ctx, &input.order_id, Step::Settle, None).await
    }

    /// The producer refunds accepted goods, whole or in part, with a reason: each refunded line
    /// becomes a negative ledger entry pointing at its sale.
    #[graphql(guard = "RoleGuard::any(&[Role::Producer])")]
    async fn refund_order(
        &self,
        ctx: &Context<'_>,
        input: RefundOrderInput,
    ) -> Result<OrderPayload> {
        let id = order_id(&input.order_id)?;
        let mut lines = Vec::with_capacity(input.lines.len());
        for (index, line) in input.lines.iter().enumerate() {
            let field = format!("lines.{index}.lineId");
            lines.push((
                ids::expect(&line.line_id, NodeKind::OrderLine, &field)?,
                line.quantity,
            ));
        }
        payload(orders::refund(caller(ctx)?, id, lines, &input.reason).await)
    }

    /// The buyer rates the producer once, after receipt.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer])")]
    async fn rate_order(&self, ctx: &Context<'_>, input: RateOrderInput) -> Result<OrderPayload> {
        let id = order_id(&input.order_id)?;
        payload(orders::rate(caller(ctx)?, id, input.rating, input.comment).await)
    }

    /// Calls an order off, with a reason: the buyer before shipping, the producer before
    /// confirming. Its stock is released.
    #[graphql(guard = "RoleGuard::any(&[Role::Buyer, Role::Producer])")]
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        input: CancelOrderInput,
    ) -> Result<OrderPayload> {
        step(ctx, &input.order_id, Step::Cancel, Some(input.reason)).await
    }
}

/// A warning from the periodic check: the order's payment is overdue (`paymentOverdue`).
#[derive(SimpleObject)]
pub struct PaymentWarning {
    pub order: Order,
    /// The due date that passed.
    pub due_on: Date,
    /// What was due when the warning went out.
    pub amount_due: Money,
}
