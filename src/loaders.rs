//! Batch loaders, built fresh for every request (a shared cache would leak rows between users):
//! nested fields ask for rows by key and each batch becomes one `IN (…)` query.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    buyer, certification, membership, organization, producer, product, region, role_grant, user,
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
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[UserById]) -> Result<HashMap<UserById, user::Model>, Self::Error> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (UserById(r.id), r)).collect())
    }
}

impl Loader<OrganizationById> for DbLoader {
    type Value = organization::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[OrganizationById],
    ) -> Result<HashMap<OrganizationById, organization::Model>, Self::Error> {
        let rows = organization::Entity::find()
            .filter(organization::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows
            .into_iter()
            .map(|r| (OrganizationById(r.id), r))
            .collect())
    }
}

impl Loader<MembershipOfUser> for DbLoader {
    type Value = membership::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[MembershipOfUser],
    ) -> Result<HashMap<MembershipOfUser, membership::Model>, Self::Error> {
        let rows = membership::Entity::find()
            .filter(membership::Column::UserId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows
            .into_iter()
            .map(|r| (MembershipOfUser(r.user_id), r))
            .collect())
    }
}

impl Loader<GrantsOfUser> for DbLoader {
    type Value = Vec<role_grant::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[GrantsOfUser],
    ) -> Result<HashMap<GrantsOfUser, Vec<role_grant::Model>>, Self::Error> {
        let rows = role_grant::Entity::find()
            .filter(role_grant::Column::UserId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
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

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegionByCode(pub String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProducerById(pub Uuid);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BuyerById(pub Uuid);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProductById(pub Uuid);

/// The most recent certification application of a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LatestCertificationOf(pub Uuid);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CertificationById(pub Uuid);

impl Loader<RegionByCode> for DbLoader {
    type Value = region::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[RegionByCode],
    ) -> Result<HashMap<RegionByCode, region::Model>, Self::Error> {
        let rows = region::Entity::find()
            .filter(region::Column::Code.is_in(keys.iter().map(|k| k.0.clone())))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows
            .into_iter()
            .map(|r| (RegionByCode(r.code.clone()), r))
            .collect())
    }
}

impl Loader<ProducerById> for DbLoader {
    type Value = ProducerRecord;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[ProducerById],
    ) -> Result<HashMap<ProducerById, ProducerRecord>, Self::Error> {
        let rows = producer::Entity::find()
            .filter(producer::Column::OrganizationId.is_in(keys.iter().map(|k| k.0)))
            .find_also_related(organization::Entity)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows
            .into_iter()
            .filter_map(|(profile, org)| {
                Some((ProducerById(profile.organization_id), (org?, profile)))
            })
            .collect())
    }
}

impl Loader<BuyerById> for DbLoader {
    type Value = BuyerRecord;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[BuyerById],
    ) -> Result<HashMap<BuyerById, BuyerRecord>, Self::Error> {
        let rows = buyer::Entity::find()
            .filter(buyer::Column::OrganizationId.is_in(keys.iter().map(|k| k.0)))
            .find_also_related(organization::Entity)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows
            .into_iter()
            .filter_map(|(profile, org)| {
                Some((BuyerById(profile.organization_id), (org?, profile)))
            })
            .collect())
    }
}

impl Loader<ProductById> for DbLoader {
    type Value = product::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[ProductById],
    ) -> Result<HashMap<ProductById, product::Model>, Self::Error> {
        let rows = product::Entity::find()
            .filter(product::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (ProductById(r.id), r)).collect())
    }
}

impl Loader<LatestCertificationOf> for DbLoader {
    /// `None` for a product never put forward: the answer is cached either way.
    type Value = Option<certification::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[LatestCertificationOf],
    ) -> Result<HashMap<LatestCertificationOf, Option<certification::Model>>, Self::Error> {
        let rows = certification::Entity::find()
            .filter(certification::Column::ProductId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
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

impl Loader<CertificationById> for DbLoader {
    type Value = certification::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[CertificationById],
    ) -> Result<HashMap<CertificationById, certification::Model>, Self::Error> {
        let rows = certification::Entity::find()
            .filter(certification::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows
            .into_iter()
            .map(|r| (CertificationById(r.id), r))
            .collect())
    }
}
