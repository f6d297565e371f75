//! The outbox: deliveries written in the transaction that makes their event, one per endpoint
//! that subscribed to the event's kind, all carrying one event ID and a body fixed now.

use chrono::{DateTime, Utc};
use entity::{
    api_name::ApiName,
    buyer, closed_period, order, order_event, producer, red_warning, unsold_alert,
    webhook_delivery::{self, DeliveryStatus},
    webhook_endpoint::{self, EndpointStatus},
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    config::WebhookSettings,
    error::AppResult,
    ids::{NodeKind, new_uuid},
};

/// What an endpoint can subscribe to.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[graphql(name = "WebhookEventKind")]
pub enum EventKind {
    /// An order the organisation is party to changed state (placed, confirmed, shipped,
    /// received, cancelled, settled, refunded…).
    OrderChanged,
    /// A product of the organisation's was flagged as unsold produce.
    UnsoldWarning,
    /// A red warning about the organisation, or a region it lies in, opened, changed or closed.
    RedWarning,
    /// A reporting period was closed for a region the organisation lies in.
    PeriodClosed,
    /// A test delivery asked for with `pingWebhookEndpoint`; not subscribable.
    Ping,
}

impl EventKind {
    pub const SUBSCRIBABLE: [Self; 4] = [
        Self::OrderChanged,
        Self::UnsoldWarning,
        Self::RedWarning,
        Self::PeriodClosed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderChanged => "ORDER_CHANGED",
            Self::UnsoldWarning => "UNSOLD_WARNING",
            Self::RedWarning => "RED_WARNING",
            Self::PeriodClosed => "PERIOD_CLOSED",
            Self::Ping => "PING",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::SUBSCRIBABLE
            .into_iter()
            .chain([Self::Ping])
            .find(|k| k.as_str() == text)
    }
}

/// The kinds an endpoint stored, as written in `webhook_endpoints.event_kinds`.
pub fn kinds_of(stored: &str) -> Vec<EventKind> {
    stored.split(',').filter_map(EventKind::parse).collect()
}

/// Who is told of an event.
pub enum Recipients {
    Organizations(Vec<Uuid>),
    /// Every buyer unit and producer located in the region or below it.
    InRegion(String),
}

/// An event to tell organisations about.
pub struct Notice {
    pub kind: EventKind,
    pub recipients: Recipients,
    /// Deliveries sharing a key arrive in order (an order's ID); `None` for no order.
    pub ordering_key: Option<String>,
    /// The event's facts, as the body's `data`.
    pub data: Value,
}

/// Whether any active endpoint subscribed to `kind`: a check spares a periodic job one
/// look-up per row when nobody listens.
pub async fn anyone_listens(conn: &impl ConnectionTrait, kind: EventKind) -> AppResult<bool> {
    let found = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Status.eq(EndpointStatus::Active))
        .filter(webhook_endpoint::Column::EventKinds.contains(kind.as_str()))
        .one(conn)
        .await?;
    Ok(found.is_some())
}

/// An order moved: both parties hear of it, in order per order.
pub fn order_changed(row: &order_event::Model, order: &order::Model) -> Notice {
    Notice {
        kind: EventKind::OrderChanged,
        recipients: Recipients::Organizations(vec![order.buyer_org_id, order.producer_org_id]),
        ordering_key: Some(order.id.to_string()),
        data: json!({
            "orderId": NodeKind::Order.id(order.id),
            "buyerId": NodeKind::Buyer.id(order.buyer_org_id),
            "producerId": NodeKind::Producer.id(order.producer_org_id),
            "fromStatus": row.from_status.map(ApiName::api_name),
            "toStatus": row.to_status.api_name(),
            "totalAmount": crate::text::yuan(order.total_fen),
            "note": row.note,
            "at": row.at,
        }),
    }
}

/// A product was flagged as unsold produce: its producer hears of it.
pub fn unsold_warning(alert: &unsold_alert::Model) -> Notice {
    Notice {
        kind: EventKind::UnsoldWarning,
        recipients: Recipients::Organizations(vec![alert.producer_org_id]),
        ordering_key: None,
        data: json!({
            "alertId": NodeKind::UnsoldAlert.id(alert.id),
            "productId": NodeKind::Product.id(alert.product_id),
            "producerId": NodeKind::Producer.id(alert.producer_org_id),
            "kind": alert.kind.api_name(),
            "regionCode": alert.region_code,
            "stock": alert.stock,
            "at": alert.created_at,
        }),
    }
}

/// A red warning opened, changed or closed: the unit warned, or the organisations in the
/// region warned.
pub fn red_warning(warning: &red_warning::Model) -> Notice {
    Notice {
        kind: EventKind::RedWarning,
        recipients: match warning.buyer_id {
            Some(buyer) => Recipients::Organizations(vec![buyer]),
            None => Recipients::InRegion(warning.region_code.clone()),
        },
        ordering_key: Some(warning.id.to_string()),
        data: json!({
            "warningId": NodeKind::RedWarning.id(warning.id),
            "buyerId": warning.buyer_id.map(|b| NodeKind::Buyer.id(b)),
            "regionCode": warning.region_code,
            "year": warning.year,
            "status": warning.status.api_name(),
            "target": crate::text::yuan(warning.target_fen),
            "bought": crate::text::yuan(warning.bought_fen),
            "shortfall": crate::text::yuan(warning.shortfall_fen),
            "at": warning.updated_at,
        }),
    }
}

/// A reporting period was closed: the organisations in its region hear of it.
pub fn period_closed(closed: &closed_period::Model) -> Notice {
    Notice {
        kind: EventKind::PeriodClosed,
        recipients: Recipients::InRegion(closed.region_code.clone()),
        ordering_key: None,
        data: json!({
            "closedPeriodId": NodeKind::ClosedPeriod.id(closed.id),
            "regionCode": closed.region_code,
            "period": closed.period,
            "firstDay": closed.first_day,
            "lastDay": closed.last_day,
            "amount": crate::text::yuan(closed.amount_fen),
        }),
    }
}

/// The body every delivery of an event carries.
pub fn body(event_id: Uuid, kind: EventKind, at: DateTime<Utc>, data: &Value) -> String {
    json!({
        "id": event_id,
        "kind": kind.as_str(),
        "createdAt": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

/// Writes the deliveries of `notice` for every active endpoint of its recipients that
/// subscribed to its kind, in `conn`'s transaction; how many.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    settings: &WebhookSettings,
    notice: Notice,
) -> AppResult<usize> {
    let mut query = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Status.eq(EndpointStatus::Active))
        .filter(webhook_endpoint::Column::EventKinds.contains(notice.kind.as_str()));
    query = match &notice.recipients {
        Recipients::Organizations(ids) if ids.is_empty() => return Ok(0),
        Recipients::Organizations(ids) => {
            query.filter(webhook_endpoint::Column::OrganizationId.is_in(ids.iter().copied()))
        }
        Recipients::InRegion(code) => query.filter(
            Condition::any()
                .add(
                    webhook_endpoint::Column::OrganizationId.in_subquery(
                        buyer::Entity::find()
                            .select_only()
                            .column(buyer::Column::OrganizationId)
                            .filter(buyer::Column::RegionCode.starts_with(code))
                            .into_query(),
                    ),
                )
                .add(
                    webhook_endpoint::Column::OrganizationId.in_subquery(
                        producer::Entity::find()
                            .select_only()
                            .column(producer::Column::OrganizationId)
                            .filter(producer::Column::RegionCode.starts_with(code))
                            .into_query(),
                    ),
                ),
        ),
    };
    let endpoints: Vec<webhook_endpoint::Model> = query.all(conn).await?;
    let endpoints: Vec<_> = endpoints
        .into_iter()
        .filter(|e| kinds_of(&e.event_kinds).contains(&notice.kind))
        .collect();
    if endpoints.is_empty() {
        return Ok(0);
    }
    let (event_id, now) = (new_uuid(), Utc::now());
    let payload = body(event_id, notice.kind, now, &notice.data);
    let rows: Vec<webhook_delivery::ActiveModel> = endpoints
        .iter()
        .map(|endpoint| {
            new_delivery(
                endpoint.id,
                event_id,
                notice.kind,
                notice.ordering_key.clone().unwrap_or_default(),
                payload.clone(),
                now,
                settings,
            )
        })
        .collect();
    let count = rows.len();
    webhook_delivery::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(count)
}

/// A delivery due now, given up after the settings' window.
pub fn new_delivery(
    endpoint_id: Uuid,
    event_id: Uuid,
    kind: EventKind,
    ordering_key: String,
    payload: String,
    now: DateTime<Utc>,
    settings: &WebhookSettings,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        id: Set(new_uuid()),
        endpoint_id: Set(endpoint_id),
        event_id: Set(event_id),
        kind: Set(kind.as_str().to_owned()),
        ordering_key: Set(ordering_key),
        payload: Set(payload),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        created_at: Set(now),
        next_attempt_at: Set(now),
        give_up_at: Set(now + settings.give_up_after),
        lease_until: Set(None),
        delivered_at: Set(None),
        last_status_code: Set(None),
        last_error: Set(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_ping_is_not_subscribable() {
        for kind in EventKind::SUBSCRIBABLE {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert!(!EventKind::SUBSCRIBABLE.contains(&EventKind::Ping));
        assert_eq!(
            kinds_of("ORDER_CHANGED,RED_WARNING,NONSENSE"),
            [EventKind::OrderChanged, EventKind::RedWarning]
        );
    }

    #[test]
    fn the_body_names_event_kind_and_time() {
        let id = Uuid::nil();
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let body: Value = serde_json::from_str(&body(id, EventKind::Ping, at, &json!({"a": 1})))
            .unwrap_or_default();
        assert_eq!(body["kind"], "PING");
        assert_eq!(body["id"], id.to_string());
        assert_eq!(body["createdAt"], "2027-01-15T08:00:00.000Z");
        assert_eq!(body["data"]["a"], 1);
    }
}
