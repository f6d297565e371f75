//! Batch loaders, built fresh for every request (a shared cache would leak rows between users):
//! nested fields ask for rows by key and each batch becomes one `IN (…)` query.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    buyer, certification, lot, membership, organization, producer, product, region, role_grant,
    user,
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::org::{buyers::BuyerRecord, producers::ProducerRecord};

pub struct DbLoader {
    db: DatabaseConnection,
}

pub type Loaders = DataLoader<DbLoader, HashMapCache>;

/// Caching within the request is safe (the loaders die with it) and saves re-fetching the same
/// region for a product and for its producer.
pub fn loaders(db: DatabaseConnection) -> Loaders {
    DataLoader::with_cache(DbLoader { db }, tokio::spawn, HashMapCache::default())
}

/// Fetches the rows of `E` whose `column` is one of `keys`: one `IN (…)` query per batch.
async fn rows_where<E, V>(
    db: &DatabaseConnection,
    column: E::Column,
    keys: impl IntoIterator<Item = V>,
) -> Result<Vec<E::Model>, Arc<DbErr>>
where
    E: EntityTrait,
    V: Into<sea_orm::Value>,
{
    E::find()
        .filter(column.is_in(keys))
        .all(db)
        .await
        .map_err(Arc::new)
}

/// Declares a key type and its loader: the one row of `$entity` whose `$column` equals the key.
macro_rules! row_by_key {
    ($(#[$meta:meta])* $key:ident($ty:ty) => $entity:ident::$column:ident, |$row:ident| $of:expr) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub $ty);

        impl Loader<$key> for DbLoader {
            type Value = $entity::Model;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $entity::Model>, Self::Error> {
                let rows = rows_where::<$entity::Entity, _>(
                    &self.db,
                    $entity::Column::$column,
                    keys.iter().map(|k| k.0.clone()),
                )
                .await?;
                Ok(rows.into_iter().map(|$row| ($key($of), $row)).collect())
            }
        }
    };
}

row_by_key!(UserById(Uuid) => user::Id, |r| r.id);
row_by_key!(OrganizationById(Uuid) => organization::Id, |r| r.id);
row_by_key!(
    /// A user's membership (a user belongs to at most one organisation).
    MembershipOfUser(Uuid) => membership::UserId, |r| r.user_id
);
row_by_key!(RegionByCode(String) => region::Code, |r| r.code.clone());
row_by_key!(ProductById(Uuid) => product::Id, |r| r.id);
row_by_key!(CertificationById(Uuid) => certification::Id, |r| r.id);
row_by_key!(LotById(Uuid) => lot::Id, |r| r.id);

/// Declares a key type and its loader for a registry profile (`$profile` keyed by
/// organisation) together with its organisation row.
macro_rules! profile_by_org {
    ($key:ident => $profile:ident, $record:ty) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for DbLoader {
            type Value = $record;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $record>, Self::Error> {
                let rows = $profile::Entity::find()
                    .filter($profile::Column::OrganizationId.is_in(keys.iter().map(|k| k.0)))
                    .find_also_related(organization::Entity)
                    .all(&self.db)
                    .await
                    .map_err(Arc::new)?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(profile, org)| {
                        Some(($key(profile.organization_id), (org?, profile)))
                    })
                    .collect())
            }
        }
    };
}

profile_by_org!(ProducerById => producer, ProducerRecord);
profile_by_org!(BuyerById => buyer, BuyerRecord);

/// A user's role grants (every user has a list, maybe empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GrantsOfUser(pub Uuid);

impl Loader<GrantsOfUser> for DbLoader {
    type Value = Vec<role_grant::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[GrantsOfUser],
    ) -> Result<HashMap<GrantsOfUser, Vec<role_grant::Model>>, Self::Error> {
        let rows = rows_where::<role_grant::Entity, _>(
            &self.db,
            role_grant::Column::UserId,
            keys.iter().map(|k| k.0),
        )
        .await?;
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

/// The most recent certification application of a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LatestCertificationOf(pub Uuid);

impl Loader<LatestCertificationOf> for DbLoader {
    /// `None` for a product never put forward: the answer is cached either way.
    type Value = Option<certification::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[LatestCertificationOf],
    ) -> Result<HashMap<LatestCertificationOf, Option<certification::Model>>, Self::Error> {
        let rows = rows_where::<certification::Entity, _>(
            &self.db,
            certification::Column::ProductId,
            keys.iter().map(|k| k.0),
        )
        .await?;
        let mut latest: HashMap<LatestCertificationOf, Option<certification::Model>> =
            keys.iter().map(|k| (*k, None)).collect();
        for row in rows {
            let slot = latest
                .entry(LatestCertificationOf(row.product_id))
                .or_default();
            if slot
                .as_ref()
                .is_none_or(|seen| seen.applied_at < row.applied_at)
            {
                *slot = Some(row);
            }
        }
        Ok(latest)
    }
}
