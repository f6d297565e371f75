//! Webhooks in the API: `webhookEndpoints`, `webhookDeliveries` (the delivery log),
//! `createWebhookEndpoint`, `updateWebhookEndpoint`, `rotateWebhookSecret`,
//! `deleteWebhookEndpoint`, `pingWebhookEndpoint`, `redeliverWebhook`; the warning that an
//! endpoint was disabled is `webhookEndpointDisabled` (`live::subscriptions_api`).

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::{
    webhook_attempt,
    webhook_delivery::{self, DeliveryStatus},
    webhook_endpoint::{self, EndpointStatus},
};

use super::{
    endpoints::{self as rules, DISABLED_FAILING, EndpointInput},
    outbox::{EventKind, kinds_of},
};
use crate::{
    auth::{RoleGuard, viewer},
    error::{Result, payload},
    graphql::{context::caller, context::services, scalars::DateTime},
    ids::{self, NodeKind},
    pagination::{self, CursorValue, Page, PageArgs, SortKey},
};

/// An organisation's endpoint for webhooks, for the organisation's admins.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct WebhookEndpoint {
    pub id: ID,
    pub url: String,
    pub description: Option<String>,
    pub event_kinds: Vec<EventKind>,
    pub status: EndpointStatus,
    pub disabled_at: Option<DateTime>,
    pub created_at: DateTime,
    #[graphql(skip)]
    pub disabled_reason: Option<String>,
}

#[ComplexObject]
impl WebhookEndpoint {
    /// Why it is disabled, in the reader's language.
    async fn disabled_reason(&self) -> Option<String> {
        self.disabled_reason.as_deref().map(|reason| match reason {
            DISABLED_FAILING => msg!("webhooks.disabled_failing"),
            _ => msg!("webhooks.disabled_by_owner"),
        })
    }
}

impl From<webhook_endpoint::Model> for WebhookEndpoint {
    fn from(row: webhook_endpoint::Model) -> Self {
        Self {
            id: NodeKind::WebhookEndpoint.id(row.id),
            event_kinds: kinds_of(&row.event_kinds),
            status: row.status,
            disabled_at: row.disabled_at.map(DateTime),
            created_at: DateTime(row.created_at),
            disabled_reason: row.disabled_reason,
            url: row.url,
            description: row.description,
        }
    }
}

/// One event sent (or to be sent) to one endpoint, with every attempt.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct WebhookDelivery {
    pub id: ID,
    pub endpoint_id: ID,
    /// The `id` in the body and the `Fupin-Event-Id` header: the same on every attempt and
    /// redelivery, so a receiver can tell a repeat.
    pub event_id: String,
    pub kind: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub created_at: DateTime,
    pub next_attempt_at: Option<DateTime>,
    pub give_up_at: DateTime,
    pub delivered_at: Option<DateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    /// The JSON body, as sent.
    pub payload: String,
    #[graphql(skip)]
    pub row_id: uuid::Uuid,
}

#[ComplexObject]
impl WebhookDelivery {
    /// Every attempt, first first.
    async fn attempt_log(&self, ctx: &Context<'_>) -> Result<Vec<WebhookAttempt>> {
        let rows = rules::attempts(&services(ctx)?.db, self.row_id).await?;
        Ok(rows.into_iter().map(WebhookAttempt::from).collect())
    }
}

impl From<webhook_delivery::Model> for WebhookDelivery {
    fn from(row: webhook_delivery::Model) -> Self {
        let status = row.status;
        Self {
            id: NodeKind::WebhookDelivery.id(row.id),
            endpoint_id: NodeKind::WebhookEndpoint.id(row.endpoint_id),
            event_id: row.event_id.to_string(),
            kind: row.kind,
            status,
            attempts: row.attempts,
            created_at: DateTime(row.created_at),
            next_attempt_at: (status == DeliveryStatus::Pending)
                .then_some(DateTime(row.next_attempt_at)),
            give_up_at: DateTime(row.give_up_at),
            delivered_at: row.delivered_at.map(DateTime),
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            payload: row.payload,
            row_id: row.id,
        }
    }
}

/// One try at sending a delivery.
#[derive(SimpleObject)]
pub struct WebhookAttempt {
    pub number: i32,
    pub attempted_at: DateTime,
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// Why it did not count (a non-2xx status, no answer in time, no connection).
    pub error: Option<String>,
    pub duration_ms: i32,
}

impl From<webhook_attempt::Model> for WebhookAttempt {
    fn from(row: webhook_attempt::Model) -> Self {
        Self {
            number: row.number,
            attempted_at: DateTime(row.attempted_at),
            status_code: row.status_code,
            error: row.error,
            duration_ms: row.duration_ms,
        }
    }
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The endpoints of the organisation the viewer administers, oldest first.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Result<Vec<WebhookEndpoint>> {
        let rows = rules::list(&services(ctx)?.db, viewer(ctx)?).await?;
        Ok(rows.into_iter().map(WebhookEndpoint::from).collect())
    }

    /// The delivery log of the viewer's organisation's endpoints (one endpoint's when given),
    /// newest first.
    #[graphql(
        guard = "RoleGuard::signed_in()",
        complexity = "pagination::complexity(first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: Option<ID>,
        status: Option<DeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<WebhookDelivery>> {
        let endpoint = endpoint_id
            .as_ref()
            .map(|id| ids::expect(id, NodeKind::WebhookEndpoint, "endpointId"))
            .transpose()?;
        let services = services(ctx)?;
        let query = rules::deliveries_query(&services.db, viewer(ctx)?, endpoint, status).await?;
        let page = pagination::paginate(
            &services.db,
            query,
            &[SortKey::desc(webhook_delivery::Column::Id)],
            &PageArgs::new(first, after, last, before),
            |d| vec![CursorValue::Uuid(d.id)],
            WebhookDelivery::from,
        )
        .await?;
        Ok(page)
    }
}

/// A new endpoint: where, for which kinds of event.
#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// `https://…`; in development and tests also `http://` and loopback addresses. At most
    /// 2,048 bytes.
    pub url: String,
    pub event_kinds: Vec<EventKind>,
    pub description: Option<String>,
}

/// What to change; omitted fields stay.
#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub id: ID,
    pub url: Option<String>,
    pub event_kinds: Option<Vec<EventKind>>,
    pub description: Option<String>,
    /// False holds deliveries back; true resumes them (after the dispatcher disabled it too).
    pub enabled: Option<bool>,
}

#[derive(InputObject)]
pub struct WebhookEndpointIdInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct RedeliverWebhookInput {
    pub delivery_id: ID,
}

/// An endpoint, and its signing secret when it was just made or rotated.
#[derive(SimpleObject, Default)]
pub struct WebhookEndpointPayload {
    pub endpoint: Option<WebhookEndpoint>,
    /// The key deliveries are signed with (`Fupin-Signature`): shown only now, keep it.
    pub secret: Option<String>,
    pub errors: Vec<crate::error::UserError>,
}

impl crate::error::Payload for WebhookEndpointPayload {
    type Success = (webhook_endpoint::Model, Option<String>);

    fn success((endpoint, secret): Self::Success) -> Self {
        Self {
            endpoint: Some(WebhookEndpoint::from(endpoint)),
            secret,
            errors: Vec::new(),
        }
    }

    fn failure(errors: Vec<crate::error::UserError>) -> Self {
        Self {
            errors,
            ..Self::default()
        }
    }
}

crate::payload! {
    /// What `deleteWebhookEndpoint` answers.
    DeleteWebhookEndpointPayload { deleted_id: Option<ID> }
        from uuid::Uuid => |id| Some(NodeKind::WebhookEndpoint.id(id))
}

crate::payload! {
    /// What `pingWebhookEndpoint` and `redeliverWebhook` answer.
    WebhookDeliveryPayload { delivery: Option<WebhookDelivery> }
        from webhook_delivery::Model => |m| Some(WebhookDelivery::from(m))
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// An admin of an organisation registers an endpoint for kinds of event; deliveries are
    /// signed with the secret in the answer (shown once).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> Result<WebhookEndpointPayload> {
        let new = EndpointInput {
            url: Some(input.url),
            description: input.description,
            event_kinds: Some(input.event_kinds),
            enabled: None,
        };
        let made = rules::create(caller(ctx)?, &new).await;
        payload(made.map(|(endpoint, secret)| (endpoint, Some(secret))))
    }

    /// Changes an endpoint, or disables or enables it.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: UpdateWebhookEndpointInput,
    ) -> Result<WebhookEndpointPayload> {
        let id = ids::expect(&input.id, NodeKind::WebhookEndpoint, "id")?;
        let changes = EndpointInput {
            url: input.url,
            description: input.description,
            event_kinds: input.event_kinds,
            enabled: input.enabled,
        };
        let changed = rules::update(caller(ctx)?, id, &changes).await;
        payload(changed.map(|endpoint| (endpoint, None)))
    }

    /// A new signing secret for an endpoint (shown once); the old one stops at once.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointIdInput,
    ) -> Result<WebhookEndpointPayload> {
        let id = ids::expect(&input.id, NodeKind::WebhookEndpoint, "id")?;
        let rotated = rules::rotate_secret(caller(ctx)?, id).await;
        payload(rotated.map(|(endpoint, secret)| (endpoint, Some(secret))))
    }

    /// Deletes an endpoint and its delivery log.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointIdInput,
    ) -> Result<DeleteWebhookEndpointPayload> {
        let id = ids::expect(&input.id, NodeKind::WebhookEndpoint, "id")?;
        payload(rules::delete(caller(ctx)?, id).await)
    }

    /// Sends the endpoint a `PING` delivery now, to check it receives and verifies them.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn ping_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointIdInput,
    ) -> Result<WebhookDeliveryPayload> {
        let id = ids::expect(&input.id, NodeKind::WebhookEndpoint, "id")?;
        payload(rules::ping(caller(ctx)?, id).await)
    }

    /// Sends a delivery again now, whatever became of it, with a fresh day of retries and the
    /// same event ID.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        input: RedeliverWebhookInput,
    ) -> Result<WebhookDeliveryPayload> {
        let id = ids::expect(&input.delivery_id, NodeKind::WebhookDelivery, "deliveryId")?;
        payload(rules::redeliver(caller(ctx)?, id).await)
    }
}
