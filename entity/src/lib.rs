//! SeaORM entities. Enumerations stored as strings derive `async_graphql::Enum` here too, so the
//! database value and the API value are one type.

pub mod audit_event;
pub mod membership;
pub mod organization;
pub mod refresh_token;
pub mod role_grant;
pub mod user;
