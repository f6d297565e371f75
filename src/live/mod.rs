//! Live updates: the event bus (`bus`: in-process, or Redis pub/sub across instances), the
//! events it carries (`events`) and the subscriptions it feeds (`subscriptions_api`); the
//! `graphql-transport-ws` endpoint that serves them is `http::ws`.

pub mod bus;
pub mod events;
pub mod subscriptions_api;

pub use bus::EventBus;
