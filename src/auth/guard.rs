//! Role checks in one place. Guards answer "may this kind of user call this at all"; whether the
//! row is theirs (their organisation, their region) is decided by the rules.
//! Also `viewer`, the signed-in viewer from a resolver's context.

use async_graphql::{Context, Guard};

use super::{Role, Viewer};
use crate::error::AppError;

/// The signed-in viewer, or `UNAUTHENTICATED`.
pub fn viewer<'a>(ctx: &'a Context<'_>) -> Result<&'a Viewer, AppError> {
    ctx.data_opt::<Viewer>().ok_or(AppError::Unauthenticated)
}

/// Lets through a signed-in viewer holding any of `roles` (any signed-in viewer when empty).
pub struct RoleGuard {
    roles: &'static [Role],
}

impl RoleGuard {
    pub const fn signed_in() -> Self {
        Self { roles: &[] }
    }

    pub const fn any(roles: &'static [Role]) -> Self {
        Self { roles }
    }
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let viewer = viewer(ctx)?;
        if self.roles.is_empty() || self.roles.iter().any(|r| viewer.has(*r)) {
            Ok(())
        } else {
            Err(AppError::Forbidden("forbidden.your_roles_do_not_allow").into())
        }
    }
}
