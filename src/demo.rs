//! Demo data for `cargo run` on a fresh machine: one account of each kind, so GraphiQL can be
//! tried at once. Passwords are public (README); never load this into production.

use chrono::Utc;
use entity::{
    membership::{self, MemberRole},
    organization::{self, OrganizationKind},
    role_grant::PlatformRole,
    user,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::{
    auth::{ClientInfo, Viewer, service},
    error::AppResult,
    ids::new_uuid,
    state::Services,
};

/// The shared demo password of every demo account.
pub const DEMO_PASSWORD: &str = "fupin-demo-2026";

/// Whether the database holds no accounts yet.
pub async fn is_empty(db: &DatabaseConnection) -> AppResult<bool> {
    Ok(user::Entity::find().one(db).await?.is_none())
}

/// Loads the demo accounts; running it twice adds nothing.
pub async fn seed(services: &Services) -> AppResult<()> {
    let db = &services.db;
    let admin = service::ensure_admin(db, "admin", DEMO_PASSWORD, "扶贫办管理员").await?;
    let admin_viewer = Viewer {
        user_id: admin.id,
        roles: vec![crate::auth::Role::Admin],
    };
    let client = ClientInfo::default();

    // 灵寿县 (130126) is among the poor counties seed 000 names; 河北省 is 13.
    for (username, name, role, region) in [
        (
            "lingshou-officer",
            "灵寿县扶贫办 王科长",
            PlatformRole::Officer,
            "130126",
        ),
        (
            "hebei-auditor",
            "河北省审计厅 李审计",
            PlatformRole::Auditor,
            "13",
        ),
    ] {
        if find(db, username).await?.is_some() {
            continue;
        }
        let user = create_user(db, username, name).await?;
        service::grant_role(
            services,
            &admin_viewer,
            &client,
            user.id,
            role,
            Some(region.into()),
        )
        .await?;
    }

    for (username, name, org_name, kind, region) in [
        (
            "qinglian-coop",
            "青廉合作社 张社长",
            "灵寿县青廉红薯种植专业合作社",
            OrganizationKind::Producer,
            "130126",
        ),
        (
            "sjz-canteen",
            "石家庄市机关食堂 采购员刘",
            "石家庄市机关事务管理局机关食堂",
            OrganizationKind::Buyer,
            "1301",
        ),
    ] {
        if find(db, username).await?.is_some() {
            continue;
        }
        let user = create_user(db, username, name).await?;
        let now = Utc::now();
        let org = organization::ActiveModel {
            id: Set(new_uuid()),
            kind: Set(kind),
            name: Set(org_name.into()),
            region_code: Set(Some(region.into())),
            created_by: Set(Some(user.id)),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        membership::ActiveModel {
            user_id: Set(user.id),
            organization_id: Set(org.id),
            role: Set(MemberRole::Admin),
            added_by: Set(Some(admin.id)),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

async fn find(db: &DatabaseConnection, username: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?)
}

async fn create_user(
    db: &DatabaseConnection,
    username: &str,
    name: &str,
) -> AppResult<user::Model> {
    let now = Utc::now();
    Ok(user::ActiveModel {
        id: Set(new_uuid()),
        username: Set(username.into()),
        display_name: Set(name.into()),
        phone: Set(None),
        password_hash: Set(crate::auth::password::hash(DEMO_PASSWORD.into()).await?),
        status: Set(user::UserStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}
