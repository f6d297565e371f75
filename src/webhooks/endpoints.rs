//! An organisation's webhook endpoints, managed by its admins: where deliveries go, for which
//! event kinds, signed with which secret; and the log of what was sent, with manual redelivery.

use std::net::IpAddr;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use entity::{
    membership::MemberRole,
    webhook_attempt,
    webhook_delivery::{self, DeliveryStatus},
    webhook_endpoint::{self, EndpointStatus},
};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set,
    TransactionTrait,
};
use serde_json::json;
use url::{Host, Url};
use uuid::Uuid;

use super::outbox::{self, EventKind};
use crate::{
    audit::Change,
    auth::{Caller, Viewer},
    error::{AppError, AppResult, Checks, ErrorCode},
    ids::new_uuid,
    org::membership::membership_of,
};

/// Why an endpoint is disabled, as stored: its owner turned it off, or its deliveries kept
/// failing (the API words either in the reader's language).
pub const DISABLED_BY_OWNER: &str = "OWNER";
pub const DISABLED_FAILING: &str = "FAILING";

/// How long an endpoint's URL may be.
pub const MAX_URL_BYTES: usize = 2048;
/// How many endpoints one organisation keeps.
pub const MAX_ENDPOINTS: u64 = 10;
const MAX_DESCRIPTION: usize = 200;

/// What an admin asks for.
#[derive(Clone, Debug, Default)]
pub struct EndpointInput {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_kinds: Option<Vec<EventKind>>,
    pub enabled: Option<bool>,
}

/// Why `text` cannot be an endpoint's URL, if it cannot. In production only HTTPS to a public
/// address will do; elsewhere (development, tests) HTTP and loopback receivers too.
pub fn url_problem(text: &str, production: bool) -> Option<String> {
    if text.len() > MAX_URL_BYTES {
        return Some(msg!("webhooks.url_too_long", max = MAX_URL_BYTES));
    }
    let Ok(url) = Url::parse(text.trim()) else {
        return Some(msg!("webhooks.url_unreadable"));
    };
    match url.scheme() {
        "https" => {}
        "http" if !production => {}
        "http" => return Some(msg!("webhooks.url_needs_https")),
        _ => return Some(msg!("webhooks.url_not_http")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some(msg!("webhooks.url_has_credentials"));
    }
    let private = match url.host() {
        None => return Some(msg!("webhooks.url_unreadable")),
        Some(Host::Ipv4(ip)) => !is_public(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => !is_public(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => is_local_name(name),
    };
    (production && private).then(|| msg!("webhooks.url_private"))
}

/// Names that never leave the machine or the site.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || [".localhost", ".local", ".internal", ".lan", ".home.arpa"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// Whether `ip` is an address on the public internet: not loopback, private, link-local,
/// shared (CGNAT), documentation, benchmarking, multicast or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || (first == 0x0064 && v6.segments()[1] == 0xff9b))
        }
    }
}

/// Checks what an admin gave, every problem at once; `creating` needs the URL and kinds.
pub fn check_input(input: &EndpointInput, creating: bool, production: bool) -> Checks {
    let mut checks = Checks::default();
    match &input.url {
        Some(url) => {
            if let Some(problem) = url_problem(url, production) {
                checks.push(crate::error::UserError::on(
                    "url",
                    ErrorCode::Invalid,
                    problem,
                ));
            }
        }
        None if creating => {
            checks.push(crate::error::UserError::on(
                "url",
                ErrorCode::Invalid,
                msg!("webhooks.url_unreadable"),
            ));
        }
        None => {}
    }
    if let Some(kinds) = &input.event_kinds {
        checks.require(
            !kinds.is_empty() && kinds.iter().all(|k| EventKind::SUBSCRIBABLE.contains(k)),
            "eventKinds",
            ErrorCode::Invalid,
            msg!("webhooks.kinds_needed"),
        );
        let distinct: std::collections::HashSet<_> = kinds.iter().collect();
        checks.require(
            distinct.len() == kinds.len(),
            "eventKinds",
            ErrorCode::Invalid,
            msg!("webhooks.kinds_repeated"),
        );
    } else if creating {
        checks.push(crate::error::UserError::on(
            "eventKinds",
            ErrorCode::Invalid,
            msg!("webhooks.kinds_needed"),
        ));
    }
    if let Some(description) = &input.description {
        checks.length(description, "description", 0, MAX_DESCRIPTION);
    }
    checks
}

fn stored_kinds(kinds: &[EventKind]) -> String {
    EventKind::SUBSCRIBABLE
        .into_iter()
        .filter(|k| kinds.contains(k))
        .map(EventKind::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", URL_SAFE_NO_PAD.encode(bytes))
}

fn description_of(text: Option<&String>) -> Option<String> {
    text.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty())
}

/// The organisation the viewer administers; `FORBIDDEN` for a plain member or no organisation.
async fn administered(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Uuid> {
    match membership_of(conn, viewer.user_id).await? {
        Some(m) if m.role == MemberRole::Admin => Ok(m.organization_id),
        Some(_) => Err(AppError::Forbidden("forbidden.webhooks_for_admins")),
        None => Err(AppError::Forbidden("forbidden.webhooks_for_organisations")),
    }
}

/// An endpoint of the organisation the viewer administers; `NOT_FOUND` for anyone else's.
pub async fn endpoint_of_admin(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<webhook_endpoint::Model> {
    let organization = administered(conn, viewer).await?;
    webhook_endpoint::Entity::find_by_id(id)
        .filter(webhook_endpoint::Column::OrganizationId.eq(organization))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.webhook_endpoint"))
}

/// Registers an endpoint for the viewer's organisation; its secret is returned this once.
pub async fn create(
    caller: Caller<'_>,
    input: &EndpointInput,
) -> AppResult<(webhook_endpoint::Model, String)> {
    let production = caller.services.settings.webhooks.production;
    check_input(input, true, production).finish()?;
    let db = caller.db();
    let organization = administered(db, caller.viewer).await?;
    let txn = db.begin().await?;
    let kept = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(organization))
        .count(&txn)
        .await?;
    if kept >= MAX_ENDPOINTS {
        return Err(AppError::state(
            ErrorCode::Invalid,
            msg!("webhooks.too_many_endpoints", max = MAX_ENDPOINTS),
        ));
    }
    let (now, secret) = (Utc::now(), new_secret());
    let endpoint = webhook_endpoint::ActiveModel {
        id: Set(new_uuid()),
        organization_id: Set(organization),
        url: Set(input.url.as_deref().unwrap_or_default().trim().to_owned()),
        description: Set(description_of(input.description.as_ref())),
        secret: Set(secret.clone()),
        event_kinds: Set(stored_kinds(
            input.event_kinds.as_deref().unwrap_or_default(),
        )),
        status: Set(EndpointStatus::Active),
        disabled_reason: Set(None),
        disabled_at: Set(None),
        created_by: Set(caller.viewer.user_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit(&txn, caller, "createWebhookEndpoint", &endpoint).await?;
    txn.commit().await?;
    Ok((endpoint, secret))
}

/// Changes an endpoint's URL, description, kinds, or whether it is enabled. Enabling it again
/// resumes the deliveries that waited; failed ones are sent again only on request.
pub async fn update(
    caller: Caller<'_>,
    id: Uuid,
    input: &EndpointInput,
) -> AppResult<webhook_endpoint::Model> {
    let production = caller.services.settings.webhooks.production;
    check_input(input, false, production).finish()?;
    let db = caller.db();
    let found = endpoint_of_admin(db, caller.viewer, id).await?;
    let mut endpoint = found.into_active_model();
    if let Some(url) = &input.url {
        endpoint.url = Set(url.trim().to_owned());
    }
    if input.description.is_some() {
        endpoint.description = Set(description_of(input.description.as_ref()));
    }
    if let Some(kinds) = &input.event_kinds {
        endpoint.event_kinds = Set(stored_kinds(kinds));
    }
    match input.enabled {
        Some(true) => {
            endpoint.status = Set(EndpointStatus::Active);
            endpoint.disabled_reason = Set(None);
            endpoint.disabled_at = Set(None);
        }
        Some(false) => {
            endpoint.status = Set(EndpointStatus::Disabled);
            endpoint.disabled_reason = Set(Some(DISABLED_BY_OWNER.to_owned()));
            endpoint.disabled_at = Set(Some(Utc::now()));
        }
        None => {}
    }
    endpoint.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let endpoint = endpoint.update(&txn).await?;
    audit(&txn, caller, "updateWebhookEndpoint", &endpoint).await?;
    txn.commit().await?;
    Ok(endpoint)
}

/// A new secret for an endpoint, returned this once; the old one stops signing at once.
pub async fn rotate_secret(
    caller: Caller<'_>,
    id: Uuid,
) -> AppResult<(webhook_endpoint::Model, String)> {
    let db = caller.db();
    let found = endpoint_of_admin(db, caller.viewer, id).await?;
    let secret = new_secret();
    let mut endpoint = found.into_active_model();
    endpoint.secret = Set(secret.clone());
    endpoint.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let endpoint = endpoint.update(&txn).await?;
    audit(&txn, caller, "rotateWebhookSecret", &endpoint).await?;
    txn.commit().await?;
    Ok((endpoint, secret))
}

/// Deletes an endpoint with its deliveries and their log.
pub async fn delete(caller: Caller<'_>, id: Uuid) -> AppResult<Uuid> {
    let db = caller.db();
    let endpoint = endpoint_of_admin(db, caller.viewer, id).await?;
    let txn = db.begin().await?;
    remove_deliveries(
        &txn,
        Condition::all().add(webhook_delivery::Column::EndpointId.eq(endpoint.id)),
    )
    .await?;
    webhook_endpoint::Entity::delete_by_id(endpoint.id)
        .exec(&txn)
        .await?;
    audit(&txn, caller, "deleteWebhookEndpoint", &endpoint).await?;
    txn.commit().await?;
    Ok(endpoint.id)
}

/// Deletes the deliveries matching `which`, with their attempts; how many.
pub async fn remove_deliveries(conn: &impl ConnectionTrait, which: Condition) -> AppResult<u64> {
    let ids = QuerySelect::select_only(webhook_delivery::Entity::find().filter(which.clone()))
        .column(webhook_delivery::Column::Id)
        .into_query();
    webhook_attempt::Entity::delete_many()
        .filter(webhook_attempt::Column::DeliveryId.in_subquery(ids))
        .exec(conn)
        .await?;
    let removed = webhook_delivery::Entity::delete_many()
        .filter(which)
        .exec(conn)
        .await?;
    Ok(removed.rows_affected)
}

/// Deliveries wait while their endpoint is disabled: a redelivery or ping waits for enabling.
fn require_active(endpoint: &webhook_endpoint::Model) -> AppResult<()> {
    if endpoint.status == EndpointStatus::Active {
        Ok(())
    } else {
        Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("webhooks.enable_first"),
        ))
    }
}

/// The viewer's organisation's endpoints, oldest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
) -> AppResult<Vec<webhook_endpoint::Model>> {
    let organization = administered(conn, viewer).await?;
    Ok(webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(organization))
        .order_by_asc(webhook_endpoint::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// The delivery log the viewer may read: its organisation's endpoints' (one endpoint's when
/// given), optionally of one status.
pub async fn deliveries_query(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    endpoint: Option<Uuid>,
    status: Option<DeliveryStatus>,
) -> AppResult<Select<webhook_delivery::Entity>> {
    let organization = administered(conn, viewer).await?;
    let endpoints = QuerySelect::select_only(
        webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::OrganizationId.eq(organization)),
    )
    .column(webhook_endpoint::Column::Id)
    .into_query();
    let mut query = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.in_subquery(endpoints));
    if let Some(endpoint) = endpoint {
        query = query.filter(webhook_delivery::Column::EndpointId.eq(endpoint));
    }
    if let Some(status) = status {
        query = query.filter(webhook_delivery::Column::Status.eq(status));
    }
    Ok(query)
}

/// Every attempt at a delivery, first first.
pub async fn attempts(
    conn: &impl ConnectionTrait,
    delivery: Uuid,
) -> AppResult<Vec<webhook_attempt::Model>> {
    Ok(webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.eq(delivery))
        .order_by_asc(webhook_attempt::Column::Number)
        .all(conn)
        .await?)
}

/// Sends a delivery again, delivered or failed or waiting: due now, with a fresh window of
/// retries, the same event ID (receivers dedupe on it).
pub async fn redeliver(caller: Caller<'_>, id: Uuid) -> AppResult<webhook_delivery::Model> {
    let db = caller.db();
    let delivery = webhook_delivery::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("not_found.webhook_delivery"))?;
    let endpoint = endpoint_of_admin(db, caller.viewer, delivery.endpoint_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("not_found.webhook_delivery"),
            other => other,
        })?;
    require_active(&endpoint)?;
    let now = Utc::now();
    let mut due = delivery.into_active_model();
    due.status = Set(DeliveryStatus::Pending);
    due.next_attempt_at = Set(now);
    due.give_up_at = Set(now + caller.services.settings.webhooks.give_up_after);
    due.lease_until = Set(None);
    let txn = db.begin().await?;
    let due = due.update(&txn).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "redeliverWebhook",
                target_type: "WebhookDelivery",
                target_id: Some(due.id),
                summary: json!({ "endpoint": endpoint.id, "event": due.event_id }),
            },
        )
        .await?;
    txn.commit().await?;
    caller.services.webhooks_due.notify_one();
    Ok(due)
}

/// A test delivery (`PING`) to an endpoint, whatever it subscribed to.
pub async fn ping(caller: Caller<'_>, id: Uuid) -> AppResult<webhook_delivery::Model> {
    let db = caller.db();
    let endpoint = endpoint_of_admin(db, caller.viewer, id).await?;
    require_active(&endpoint)?;
    let (event_id, now) = (new_uuid(), Utc::now());
    let data =
        json!({ "endpoint": crate::ids::NodeKind::Organization.id(endpoint.organization_id) });
    let payload = outbox::body(event_id, EventKind::Ping, now, &data);
    let settings = &caller.services.settings.webhooks;
    let txn = db.begin().await?;
    let delivery = outbox::new_delivery(
        endpoint.id,
        event_id,
        EventKind::Ping,
        String::new(),
        payload,
        now,
        settings,
    )
    .insert(&txn)
    .await?;
    audit(&txn, caller, "pingWebhookEndpoint", &endpoint).await?;
    txn.commit().await?;
    caller.services.webhooks_due.notify_one();
    Ok(delivery)
}

async fn audit(
    conn: &impl ConnectionTrait,
    caller: Caller<'_>,
    action: &'static str,
    endpoint: &webhook_endpoint::Model,
) -> AppResult<()> {
    caller
        .audit(
            conn,
            Change {
                action,
                target_type: "WebhookEndpoint",
                target_id: Some(endpoint.id),
                summary: json!({
                    "url": endpoint.url,
                    "eventKinds": endpoint.event_kinds,
                    "status": if endpoint.status == EndpointStatus::Active { "ACTIVE" } else { "DISABLED" },
                }),
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_and_in_production_https_to_public_addresses() {
        for ok in [
            "https://hooks.example.com/fupin",
            "https://203.0.113.9.nip.io/x",
            "https://8.8.8.8/hook?x=1",
        ] {
            assert_eq!(url_problem(ok, true), None, "{ok}");
        }
        for dev_only in [
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "https://10.1.2.3/x",
            "https://[::1]/x",
            "https://192.168.1.10/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://100.64.0.1/x",
            "https://printer.local/x",
            "https://0.0.0.0/x",
        ] {
            assert_eq!(url_problem(dev_only, false), None, "{dev_only}");
            assert!(url_problem(dev_only, true).is_some(), "{dev_only}");
        }
        for bad in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "not a url",
            "https://user:pw@example.com/x",
            "",
        ] {
            assert!(url_problem(bad, false).is_some(), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES));
        assert!(url_problem(&long, false).is_some());
        let just = format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES - 20));
        assert_eq!(url_problem(&just, false), None);
    }

    #[test]
    fn kinds_are_needed_once_each_and_ping_is_not_one() {
        let with = |kinds: Vec<EventKind>| EndpointInput {
            url: Some("https://example.com/h".into()),
            event_kinds: Some(kinds),
            ..Default::default()
        };
        assert!(
            check_input(&with(vec![EventKind::OrderChanged]), true, true)
                .finish()
                .is_ok()
        );
        for bad in [
            vec![],
            vec![EventKind::Ping],
            vec![EventKind::RedWarning, EventKind::RedWarning],
        ] {
            assert!(
                check_input(&with(bad.clone()), true, true)
                    .finish()
                    .is_err(),
                "{bad:?}"
            );
        }
        assert!(
            check_input(&EndpointInput::default(), true, false)
                .finish()
                .is_err()
        );
        assert!(
            check_input(&EndpointInput::default(), false, false)
                .finish()
                .is_ok()
        );
    }

    #[test]
    fn kinds_are_stored_in_one_order() {
        assert_eq!(
            stored_kinds(&[EventKind::PeriodClosed, EventKind::OrderChanged]),
            "ORDER_CHANGED,PERIOD_CLOSED"
        );
    }
}
