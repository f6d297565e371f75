//! Which red warnings a viewer reads (lists, node look-ups and the subscription alike).

use entity::red_warning;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

use crate::{
    auth::{Viewer, scope},
    error::{AppError, AppResult},
    org::membership::membership_of,
    region::subtree,
};

/// Who reads which warnings: staff those of places their reading scope covers (a region's,
/// or a unit located there), a unit's members the unit's own.
#[derive(Clone, Debug)]
pub struct WarningReach {
    staff: scope::Scope,
    unit: Option<Uuid>,
}

impl WarningReach {
    pub async fn of(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Self> {
        Ok(Self::from_parts(
            &scope::reading(conn, viewer).await?,
            membership_of(conn, viewer.user_id)
                .await?
                .map(|m| m.organization_id),
        ))
    }

    /// The reach of a viewer with this staff scope and organisation.
    pub fn from_parts(staff: &scope::Scope, unit: Option<Uuid>) -> Self {
        Self {
            staff: staff.clone(),
            unit,
        }
    }

    pub fn allows(&self, region_code: &str, buyer: Option<Uuid>) -> bool {
        self.staff.covers(region_code) || (buyer.is_some() && buyer == self.unit)
    }

    /// The rows this reach reads; refused when it reads none.
    pub fn condition(&self) -> AppResult<Condition> {
        if self.staff.is_nationwide() {
            return Ok(Condition::all());
        }
        let mut any = Condition::any();
        for code in self.staff.regions() {
            any = any.add(subtree(red_warning::Column::RegionCode, code));
        }
        if let Some(unit) = self.unit {
            any = any.add(red_warning::Column::BuyerId.eq(unit));
        }
        if any.is_empty() {
            return Err(AppError::Forbidden(
                "forbidden.red_warnings_staff_over_unit_region",
            ));
        }
        Ok(any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_is_the_staff_scope_or_the_unit() {
        let unit = Uuid::now_v7();
        let reach = WarningReach {
            staff: scope::Scope::default(),
            unit: Some(unit),
        };
        assert!(reach.allows("440103", Some(unit)));
        assert!(!reach.allows("440103", Some(Uuid::now_v7())));
        assert!(!reach.allows("440103", None));
        let nobody = WarningReach {
            staff: scope::Scope::default(),
            unit: None,
        };
        assert!(nobody.condition().is_err());
        assert!(!nobody.allows("13", None));
    }
}
