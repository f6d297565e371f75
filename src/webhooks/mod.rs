//! Webhooks: an organisation's admins register HTTPS endpoints for event kinds (order changes,
//! unsold-produce warnings, red warnings, closed periods). Each event is written as deliveries in
//! the transaction that made it (`outbox`), so a crash loses none; the dispatcher (`dispatch`)
//! sends them signed, retries with exponential backoff for a day, in order per order, logs every
//! attempt, and disables an endpoint that kept failing, warning its owner.

pub mod dispatch;
pub mod endpoints;
pub mod outbox;
pub mod webhooks_api;
