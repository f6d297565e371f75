//! What travels on the bus: small, serialisable facts about committed changes. Subscribers
//! filter them by the viewer's rights and load what they show from the database.

use chrono::{DateTime, Utc};
use entity::{order::OrderStatus, order_event};
use sea_orm::ActiveEnum;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    OrderChanged(OrderChanged),
    UnsoldFlagged(UnsoldFlagged),
    LedgerAppended(LedgerAppended),
    RedWarningChanged(RedWarningChanged),
    DemandPosted(DemandPosted),
    PaymentOverdue(PaymentOverdue),
    QualityMarkExpiring(QualityMarkExpiring),
    WebhookEndpointDisabled(WebhookEndpointDisabled),
}

/// The dispatcher disabled a webhook endpoint whose deliveries kept failing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpointDisabled {
    pub endpoint_id: Uuid,
    pub organization_id: Uuid,
}

/// The periodic check found a verified quality-mark certificate expiring within 30 days
/// (`expired: false`, once) or past its validity, its mark dropped (`expired: true`, once).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityMarkExpiring {
    pub certificate_id: Uuid,
    pub producer_org_id: Uuid,
    pub valid_until: chrono::NaiveDate,
    pub expired: bool,
}

/// The periodic check found an order's payment overdue (once per order and due date).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentOverdue {
    pub order_id: Uuid,
    pub buyer_org_id: Uuid,
    pub producer_org_id: Uuid,
    pub due_on: chrono::NaiveDate,
    /// What was due when the warning went out.
    pub due_fen: i64,
}

/// A buyer posted a need: producers with listed products of its category may want to quote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemandPosted {
    pub demand_id: Uuid,
    pub buyer_org_id: Uuid,
    /// The category's API name (`VEGETABLES`).
    pub category: String,
    /// Where to deliver.
    pub region_code: String,
}

/// A red warning was opened, had its figures updated, or was closed by the periodic check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RedWarningChanged {
    pub warning_id: Uuid,
    /// The unit warned; `None` for a region.
    pub buyer_id: Option<Uuid>,
    /// The region warned, or the unit's place.
    pub region_code: String,
}

/// An order moved: one row of its history, with both parties so subscribers can filter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderChanged {
    pub event_id: Uuid,
    pub order_id: Uuid,
    pub buyer_org_id: Uuid,
    pub producer_org_id: Uuid,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_id: Uuid,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl OrderChanged {
    pub fn new(row: &order_event::Model, buyer_org_id: Uuid, producer_org_id: Uuid) -> Self {
        Self {
            event_id: row.id,
            order_id: row.order_id,
            buyer_org_id,
            producer_org_id,
            from_status: row.from_status.map(|s| s.to_value()),
            to_status: row.to_status.to_value(),
            actor_id: row.actor_id,
            note: row.note.clone(),
            at: row.at,
        }
    }

    /// The history row back, for the GraphQL type that shows it.
    pub fn to_row(&self) -> Option<order_event::Model> {
        let status = |s: &String| OrderStatus::try_from_value(s).ok();
        Some(order_event::Model {
            id: self.event_id,
            order_id: self.order_id,
            from_status: match &self.from_status {
                Some(s) => Some(status(s)?),
                None => None,
            },
            to_status: status(&self.to_status)?,
            actor_id: self.actor_id,
            note: self.note.clone(),
            at: self.at,
        })
    }

    pub fn concerns(&self, organization: Uuid) -> bool {
        self.buyer_org_id == organization || self.producer_org_id == organization
    }
}

/// A product was flagged as unsold (by the periodic scan or its producer's report).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnsoldFlagged {
    pub alert_id: Uuid,
    pub product_id: Uuid,
    pub producer_org_id: Uuid,
    pub region_code: String,
}

/// Entries appended to the ledger by one receipt or refund.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerAppended {
    pub entries: Vec<AppendedEntry>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppendedEntry {
    pub seq: i64,
    pub region_code: String,
    pub amount_fen: i64,
    pub quantity: i64,
}

impl LedgerAppended {
    pub fn new(entries: &[entity::ledger_entry::Model]) -> Self {
        Self {
            entries: entries
                .iter()
                .map(|e| AppendedEntry {
                    seq: e.seq,
                    region_code: e.region_code.clone(),
                    amount_fen: e.amount_fen,
                    quantity: e.quantity,
                })
                .collect(),
            at: Utc::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_change_survives_the_wire() {
        let row = order_event::Model {
            id: Uuid::now_v7(),
            order_id: Uuid::now_v7(),
            from_status: Some(OrderStatus::Confirmed),
            to_status: OrderStatus::Shipped,
            actor_id: Uuid::now_v7(),
            note: None,
            at: Utc::now(),
        };
        let event = Event::OrderChanged(OrderChanged::new(&row, Uuid::nil(), Uuid::max()));
        let wire = serde_json::to_string(&event).expect("serialise");
        let back: Event = serde_json::from_str(&wire).expect("deserialise");
        assert_eq!(back, event);
        let Event::OrderChanged(changed) = back else {
            panic!("wrong variant")
        };
        assert_eq!(changed.to_row(), Some(row));
        assert!(changed.concerns(Uuid::max()) && !changed.concerns(Uuid::now_v7()));
    }
}
