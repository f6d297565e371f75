//! Live updates: the event bus (in-process, or Redis pub/sub across instances), the
//! subscriptions it feeds, and the `graphql-transport-ws` endpoint that serves them.

pub mod bus;
pub mod events;
pub mod subscriptions_api;

pub use bus::EventBus;
