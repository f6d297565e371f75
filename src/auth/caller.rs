//! Who is asking: the signed-in viewer, where the request came from and the service handles,
//! built once per request (`graphql::context::caller`) and handed to every rule that acts for a
//! user. It is also the one writer of their audit events, so no rule assembles the actor by hand.

use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{ClientInfo, Viewer};
use crate::{
    audit::{self, Change},
    error::AppResult,
    state::Services,
};

#[derive(Clone, Copy)]
pub struct Caller<'a> {
    pub services: &'a Services,
    pub viewer: &'a Viewer,
    pub client: ClientInfo,
}

impl<'a> Caller<'a> {
    pub fn new(services: &'a Services, viewer: &'a Viewer, client: ClientInfo) -> Self {
        Self {
            services,
            viewer,
            client,
        }
    }

    pub fn db(&self) -> &'a DatabaseConnection {
        &self.services.db
    }

    /// Records `change` as done by this caller, in `conn`'s transaction.
    pub async fn audit(&self, conn: &impl ConnectionTrait, change: Change<'_>) -> AppResult<()> {
        audit::record(conn, Some(self.viewer), Some(&self.client), change).await
    }
}
