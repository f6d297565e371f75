//! Region scopes: an officer acts, and an auditor reads, only inside the region subtrees their
//! grants name; a platform admin acts everywhere.

use entity::role_grant::{self, PlatformRole};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{Role, Viewer};
use crate::error::{AppError, AppResult};

/// The subtrees a viewer may act (or read) in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    nationwide: bool,
    regions: Vec<String>,
}

impl Scope {
    pub fn nationwide() -> Self {
        Self {
            nationwide: true,
            regions: Vec::new(),
        }
    }

    pub fn covers(&self, code: &str) -> bool {
        self.nationwide || self.regions.iter().any(|r| code.starts_with(r.as_str()))
    }

    /// Covers `code` from a county or above: the level that decides disputes and approvals
    /// (a township officer reviews, the county decides).
    pub fn covers_from_county(&self, code: &str) -> bool {
        self.nationwide
            || self
                .regions
                .iter()
                .any(|r| r.len() <= 6 && code.starts_with(r.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        !self.nationwide && self.regions.is_empty()
    }

    pub fn is_nationwide(&self) -> bool {
        self.nationwide
    }

    pub fn regions(&self) -> &[String] {
        &self.regions
    }
}

async fn granted(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    roles: &[PlatformRole],
) -> AppResult<Scope> {
    if viewer.is_admin() {
        return Ok(Scope::nationwide());
    }
    let grants = role_grant::Entity::find()
        .filter(role_grant::Column::UserId.eq(viewer.user_id))
        .filter(role_grant::Column::Role.is_in(roles.iter().copied()))
        .all(conn)
        .await?;
    let mut scope = Scope::default();
    for grant in grants {
        if grant.region_code.is_empty() {
            scope.nationwide = true;
        } else {
            scope.regions.push(grant.region_code);
        }
    }
    Ok(scope)
}

/// Where the viewer may act as an officer (admins everywhere).
pub async fn acting(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Scope> {
    if !viewer.has(Role::Officer) && !viewer.is_admin() {
        return Ok(Scope::default());
    }
    granted(conn, viewer, &[PlatformRole::Officer]).await
}

/// Where the viewer may read registry and ledger data as staff (officers and auditors).
pub async fn reading(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Scope> {
    if !viewer.has(Role::Officer) && !viewer.has(Role::Auditor) && !viewer.is_admin() {
        return Ok(Scope::default());
    }
    granted(
        conn,
        viewer,
        &[PlatformRole::Officer, PlatformRole::Auditor],
    )
    .await
}

/// Refuses unless the viewer may act as an officer over `code`.
pub async fn require_acting_over(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    code: &str,
) -> AppResult<Scope> {
    let scope = acting(conn, viewer).await?;
    if scope.covers(code) {
        Ok(scope)
    } else {
        Err(AppError::Forbidden("forbidden.outside_your_region"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_covers_its_subtree_only() {
        let scope = Scope {
            nationwide: false,
            regions: vec!["130126".into()],
        };
        assert!(scope.covers("130126"));
        assert!(scope.covers("130126100201"));
        assert!(!scope.covers("1301"));
        assert!(!scope.covers("130127"));
        assert!(Scope::nationwide().covers("44"));
        assert!(Scope::default().is_empty());
    }
}
