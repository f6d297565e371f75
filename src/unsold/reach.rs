//! Which unsold-produce warnings a viewer reads (lists, node look-ups and subscriptions alike).

use entity::unsold_alert;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

use crate::{
    auth::{Role, Viewer, scope},
    error::{AppError, AppResult},
    org::membership::membership_of,
    region::subtree,
};

/// Which warnings a viewer sees: buyers all of them (they are there to be bought), staff their
/// region subtrees, a producer its own.
#[derive(Clone, Debug)]
pub struct AlertReach {
    everywhere: bool,
    regions: Vec<String>,
    producer: Option<Uuid>,
}

impl AlertReach {
    pub async fn of(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Self> {
        let staff = scope::reading(conn, viewer).await?;
        let organization = membership_of(conn, viewer.user_id)
            .await?
            .map(|m| m.organization_id);
        Ok(Self::from_parts(
            &staff,
            viewer.has(Role::Buyer),
            viewer.has(Role::Producer),
            organization,
        ))
    }

    /// The reach of a viewer with this staff scope, these roles and this organisation.
    pub fn from_parts(
        staff: &scope::Scope,
        buyer: bool,
        producer: bool,
        organization: Option<Uuid>,
    ) -> Self {
        Self {
            everywhere: staff.is_nationwide() || buyer,
            regions: staff.regions().to_vec(),
            producer: organization.filter(|_| producer),
        }
    }

    pub fn allows(&self, region_code: &str, producer_org_id: Uuid) -> bool {
        self.everywhere
            || self
                .regions
                .iter()
                .any(|r| region_code.starts_with(r.as_str()))
            || self.producer == Some(producer_org_id)
    }

    pub fn condition(&self) -> AppResult<Condition> {
        if self.everywhere {
            return Ok(Condition::all());
        }
        let mut any = Condition::any();
        for code in &self.regions {
            any = any.add(subtree(unsold_alert::Column::RegionCode, code));
        }
        if let Some(producer) = self.producer {
            any = any.add(unsold_alert::Column::ProducerOrgId.eq(producer));
        }
        if any.is_empty() {
            return Err(AppError::Forbidden(
                "forbidden.unsold_produce_warnings_buyers_staff_producers",
            ));
        }
        Ok(any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_covers_subtrees_and_own_products() {
        let producer = Uuid::now_v7();
        let reach = AlertReach {
            everywhere: false,
            regions: vec!["130126".into()],
            producer: Some(producer),
        };
        assert!(reach.allows("130126204207", Uuid::now_v7()));
        assert!(!reach.allows("130727100200", Uuid::now_v7()));
        assert!(reach.allows("130727100200", producer));
        let nobody = AlertReach {
            everywhere: false,
            regions: Vec::new(),
            producer: None,
        };
        assert!(nobody.condition().is_err());
    }
}
