//! Accounts, sign-in and the roles that guard every operation: the `Role` and `Viewer` types,
//! the `Caller` rules act for, region scopes (`scope`) and who sees which rows (`visibility`).

pub mod accounts;
pub mod accounts_api;
pub mod caller;
pub mod guard;
pub mod password;
pub mod scope;
pub mod tokens;
pub mod visibility;

use async_graphql::Enum;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use caller::Caller;
pub use guard::{RoleGuard, viewer};

/// What a signed-in user may act as. Platform roles come from grants; `PRODUCER` and `BUYER` from
/// membership in an organisation of that kind.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Admin,
    Officer,
    Auditor,
    Producer,
    Buyer,
}

/// The signed-in user of a request, from a verified access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: Uuid,
    pub roles: Vec<Role>,
}

impl Viewer {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_admin(&self) -> bool {
        self.has(Role::Admin)
    }

    /// Platform staff (admins, officers, auditors) read the registry beyond what is public.
    pub fn is_staff(&self) -> bool {
        self.is_admin() || self.has(Role::Officer) || self.has(Role::Auditor)
    }

    /// For the audit trail.
    pub fn roles_label(&self) -> String {
        self.roles
            .iter()
            .map(|r| entity::api_name::graphql_name(*r))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Where a request came from, for rate limits and the audit trail.
#[derive(Clone, Copy, Debug)]
pub struct ClientInfo {
    pub ip: std::net::IpAddr,
}

/// For requests executed outside HTTP (schema tests, the command line).
impl Default for ClientInfo {
    fn default() -> Self {
        Self {
            ip: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        }
    }
}
