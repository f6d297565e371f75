//! Batch loaders, built fresh for every request (a shared cache would leak rows between users):
//! nested fields ask for rows by key and each batch becomes one `IN (…)` query.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{membership, organization, role_grant, user};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::AppError;

pub struct DbLoader {
    db: DatabaseConnection,
}

pub type Loaders = DataLoader<DbLoader>;

pub fn loaders(db: DatabaseConnection) -> Loaders {
    DataLoader::new(DbLoader { db }, tokio::spawn)
}

fn db_error(error: sea_orm::DbErr) -> async_graphql::Error {
    AppError::from(error).into()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserById(pub Uuid);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrganizationById(pub Uuid);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MembershipOfUser(pub Uuid);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GrantsOfUser(pub Uuid);

impl Loader<UserById> for DbLoader {
    type Value = user::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[UserById]) -> Result<HashMap<UserById, user::Model>, Self::Error> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| (UserById(r.id), r)).collect())
    }
}

impl Loader<OrganizationById> for DbLoader {
    type Value = organization::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[OrganizationById],
    ) -> Result<HashMap<OrganizationById, organization::Model>, Self::Error> {
        let rows = organization::Entity::find()
            .filter(organization::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|r| (OrganizationById(r.id), r))
            .collect())
    }
}

impl Loader<MembershipOfUser> for DbLoader {
    type Value = membership::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[MembershipOfUser],
    ) -> Result<HashMap<MembershipOfUser, membership::Model>, Self::Error> {
        let rows = membership::Entity::find()
            .filter(membership::Column::UserId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|r| (MembershipOfUser(r.user_id), r))
            .collect())
    }
}

impl Loader<GrantsOfUser> for DbLoader {
    type Value = Vec<role_grant::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[GrantsOfUser],
    ) -> Result<HashMap<GrantsOfUser, Vec<role_grant::Model>>, Self::Error> {
        let rows = role_grant::Entity::find()
            .filter(role_grant::Column::UserId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut grouped: HashMap<GrantsOfUser, Vec<role_grant::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            grouped
                .entry(GrantsOfUser(row.user_id))
                .or_default()
                .push(row);
        }
        Ok(grouped)
    }
}
