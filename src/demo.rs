//! Demo data for `cargo run` on a fresh machine: the demo counties of seed 000 and the Foshan
//! pairings of seed 002 on the real division tree, a few dozen producers, a few hundred
//! products, buyers of every kind and a user for every role (`seed-data/demo-world.json`;
//! statuses and organisations are illustrative). Passwords are public: never load this into
//! production.

use std::collections::HashMap;

use async_graphql::{InputType, Name, Value};
use chrono::{Datelike, Days, NaiveDate, Utc};
use entity::{
    certification::{self, CertificationState},
    certification_review::{self, ReviewDecision, ReviewStage},
    membership::{self, MemberRole},
    price_change,
    product::{self, ProductStatus, QualityMark},
    quality_mark_certificate::{self, CertificateStatus},
    role_grant::PlatformRole,
    user,
};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    auth::{Caller, ClientInfo, Role, Viewer, accounts},
    catalogue::{certification::county_of, products::refresh_price_flags},
    error::{AppError, AppResult},
    ids::new_uuid,
    org::{
        buyers::{self, BuyerInput, Declaration},
        producers::{self, ProducerInput, StandingAction},
    },
    region::{
        self,
        regions::{NewPairing, StatusChange},
    },
    state::Services,
};

/// The shared demo password of every demo account.
pub const DEMO_PASSWORD: &str = "fupin-demo-2026";

const WORLD: &str = include_str!("../seed-data/demo-world.json");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct World {
    region_statuses: Vec<RegionStatus>,
    pairings: Vec<PairingRow>,
    producers: Vec<ProducerRow>,
    products: Vec<ProductRow>,
    buyers: Vec<BuyerRow>,
    users: Vec<UserRow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegionStatus {
    code: String,
    status: String,
    exit_year: Option<i32>,
    effective_from: NaiveDate,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PairingRow {
    helper_region_code: String,
    helped_region_code: String,
    kind: String,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProducerRow {
    key: String,
    name: String,
    kind: String,
    region_code: String,
    licence_no: Option<String>,
    contact_name: String,
    contact_phone: String,
    linkage_modes: Vec<String>,
    poor_households_linked: i32,
    profit_share_percent: i32,
    verified: bool,
    suspended: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProductRow {
    producer: String,
    name: String,
    category: String,
    spec: String,
    unit: String,
    price_fen: i64,
    min_order_quantity: i32,
    stock: i64,
    origin_statement: String,
    quality_marks: Vec<String>,
    trace_code: Option<String>,
    published: bool,
    certified: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BuyerRow {
    key: String,
    name: String,
    kind: String,
    region_code: String,
    parent: Option<String>,
    declaration: Option<DeclarationRow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeclarationRow {
    year: i32,
    canteen: String,
    canteen_budget_fen: Option<i64>,
    reserved_share_percent: Option<i32>,
    shares_canteen_of: Option<String>,
    contractor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRow {
    username: String,
    display_name: String,
    role: String,
    region_code: Option<String>,
    organization: Option<String>,
    member_role: Option<String>,
}

/// Parses an API enum from its GraphQL name.
fn parse<T: InputType>(text: &str) -> AppResult<T> {
    T::parse(Some(Value::Enum(Name::new(text))))
        .map_err(|_| AppError::BadInput(msg!("demo.demo_data_unknown_value", text = text)))
}

fn demo_error(what: &str) -> impl Fn(AppError) -> AppError + '_ {
    move |error| match error {
        AppError::User(errors) => AppError::BadInput(msg!(
            "demo.demo_data",
            what = what,
            errors = format!("{:?}", errors)
        )),
        other => other,
    }
}

/// Whether the database holds no accounts yet.
pub async fn is_empty(db: &DatabaseConnection) -> AppResult<bool> {
    Ok(user::Entity::find().one(db).await?.is_none())
}

/// Loads the demo world into an empty database; does nothing if accounts exist.
pub async fn seed(services: &Services) -> AppResult<bool> {
    let db = &services.db;
    if !is_empty(db).await? {
        return Ok(false);
    }
    let world: World = serde_json::from_str(WORLD).map_err(AppError::internal)?;
    region::import::import_embedded(db).await?;

    let admin = accounts::ensure_admin(db, "admin", DEMO_PASSWORD, "扶贫办管理员").await?;
    let as_admin = Viewer {
        user_id: admin.id,
        roles: vec![Role::Admin],
    };
    let caller = Caller::new(services, &as_admin, ClientInfo::default());
    seed_places(caller, &world).await?;
    let mut organizations = seed_producers(caller, &world.producers).await?;
    seed_buyers(caller, &world.buyers, &mut organizations).await?;
    let officers = seed_users(caller, &world.users, &organizations).await?;
    seed_products(db, &world.products, &organizations, &officers, admin.id).await?;
    Ok(true)
}

/// Poverty status histories, 广东's canteen policy and the pairings.
async fn seed_places(caller: Caller<'_>, world: &World) -> AppResult<()> {
    for row in &world.region_statuses {
        let change = StatusChange {
            status: parse(&row.status)?,
            exit_year: row.exit_year,
            effective_from: Some(row.effective_from),
        };
        region::regions::update_status(caller, &row.code, change)
            .await
            .map_err(demo_error(&row.code))?;
    }
    let this_year = Utc::now().year();
    for year in [this_year - 1, this_year] {
        // 广东 asks 30% of canteen food budgets (2025 onward).
        buyers::set_policy(caller, Some("44".into()), year, 30)
            .await
            .map_err(demo_error("policy"))?;
    }
    for row in &world.pairings {
        let pairing = NewPairing {
            helper_region_code: Some(row.helper_region_code.clone()),
            helper_org_id: None,
            helped_region_code: row.helped_region_code.clone(),
            kind: parse(&row.kind)?,
            starts_on: row.starts_on,
            ends_on: row.ends_on,
        };
        region::regions::create_pairing(caller, pairing)
            .await
            .map_err(demo_error("pairing"))?;
    }
    Ok(())
}

/// The producers, verified or suspended as the world says; answers organisations by key.
async fn seed_producers(
    caller: Caller<'_>,
    rows: &[ProducerRow],
) -> AppResult<HashMap<String, Uuid>> {
    let mut organizations = HashMap::new();
    for row in rows {
        let input = ProducerInput {
            name: row.name.clone(),
            kind: parse(&row.kind)?,
            region_code: row.region_code.clone(),
            licence_no: row.licence_no.clone(),
            contact_name: row.contact_name.clone(),
            contact_phone: row.contact_phone.clone(),
            linkage_modes: row
                .linkage_modes
                .iter()
                .map(|m| parse(m))
                .collect::<AppResult<_>>()?,
            poor_households_linked: row.poor_households_linked,
            profit_share_percent: row.profit_share_percent,
        };
        let (org, _) = producers::create(caller, None, input)
            .await
            .map_err(demo_error(&row.name))?;
        if row.verified {
            producers::change_standing(caller, org.id, StandingAction::Verify, None).await?;
        }
        if let Some(reason) = row.suspended.as_str() {
            producers::change_standing(
                caller,
                org.id,
                StandingAction::Suspend,
                Some(reason.into()),
            )
            .await?;
        }
        organizations.insert(row.key.clone(), org.id);
    }
    Ok(organizations)
}

/// The buyer units, then their declarations (which may name each other).
///
/// Seeded by a platform admin, who may confirm for both sides: every parent, contractor and
/// shared canteen named here becomes a confirmed unit link (they stand for agreed
/// arrangements), so the demo's targets count them.
async fn seed_buyers(
    caller: Caller<'_>,
    rows: &[BuyerRow],
    organizations: &mut HashMap<String, Uuid>,
) -> AppResult<()> {
    for row in rows {
        let input = BuyerInput {
            name: row.name.clone(),
            kind: parse(&row.kind)?,
            region_code: row.region_code.clone(),
            parent_org_id: row
                .parent
                .as_ref()
                .and_then(|p| organizations.get(p).copied()),
            contact_name: "采购负责人".into(),
            contact_phone: "0311-00000000".into(),
        };
        let (org, _) = buyers::create(caller, None, input)
            .await
            .map_err(demo_error(&row.name))?;
        organizations.insert(row.key.clone(), org.id);
    }
    for row in rows {
        let Some(declared) = &row.declaration else {
            continue;
        };
        let key = |k: &Option<String>| k.as_ref().and_then(|k| organizations.get(k).copied());
        let declaration = Declaration {
            year: declared.year,
            canteen: parse(&declared.canteen)?,
            canteen_budget_fen: declared.canteen_budget_fen,
            reserved_share_percent: declared.reserved_share_percent,
            shares_canteen_of: key(&declared.shares_canteen_of),
            contractor_org_id: key(&declared.contractor),
        };
        let unit = organizations
            .get(&row.key)
            .copied()
            .ok_or_else(|| AppError::BadInput(msg!("demo.demo_data_no_buyer", key = row.key)))?;
        buyers::set_target(caller, unit, declaration)
            .await
            .map_err(demo_error(&row.name))?;
    }
    Ok(())
}

/// Creates the accounts, their grants and memberships; returns officers by region code.
async fn seed_users(
    caller: Caller<'_>,
    users: &[UserRow],
    organizations: &HashMap<String, Uuid>,
) -> AppResult<HashMap<String, Uuid>> {
    let db = caller.db();
    // One hash for all: the demo password is shared anyway.
    let hash = crate::auth::password::hash(DEMO_PASSWORD.into()).await?;
    let mut officers = HashMap::new();
    for row in users.iter().filter(|u| u.username != "admin") {
        let now = Utc::now();
        let account = user::ActiveModel {
            id: Set(new_uuid()),
            username: Set(row.username.clone()),
            display_name: Set(row.display_name.clone()),
            phone: Set(None),
            password_hash: Set(hash.clone()),
            status: Set(user::UserStatus::Active),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        match row.role.as_str() {
            "OFFICER" | "AUDITOR" | "ADMIN" => {
                let role: PlatformRole = parse(&row.role)?;
                accounts::grant_role(caller, account.id, role, row.region_code.clone())
                    .await
                    .map_err(demo_error(&row.username))?;
                if role == PlatformRole::Officer
                    && let Some(code) = &row.region_code
                {
                    officers.insert(code.clone(), account.id);
                }
            }
            _ => {
                let Some(org) = row.organization.as_ref().and_then(|k| organizations.get(k)) else {
                    continue;
                };
                let role = match row.member_role.as_deref() {
                    Some("ADMIN") => MemberRole::Admin,
                    _ => MemberRole::Member,
                };
                membership::ActiveModel {
                    user_id: Set(account.id),
                    organization_id: Set(*org),
                    role: Set(role),
                    added_by: Set(Some(caller.viewer.user_id)),
                    created_at: Set(now),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(officers)
}

/// Products with their first price, and certificates for those marked certified (reviewed by
/// the county's demo officer where there is one).
async fn seed_products(
    db: &DatabaseConnection,
    rows: &[ProductRow],
    organizations: &HashMap<String, Uuid>,
    officers: &HashMap<String, Uuid>,
    admin: Uuid,
) -> AppResult<()> {
    let producers_by_id: HashMap<Uuid, entity::producer::Model> = entity::producer::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.organization_id, p))
        .collect();
    let today = Utc::now().date_naive();
    let txn = db.begin().await?;
    let mut groups = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let org = organizations[&row.producer];
        let producer = &producers_by_id[&org];
        let now = Utc::now();
        let id = new_uuid();
        let marks = row
            .quality_marks
            .iter()
            .map(|m| parse(m))
            .collect::<AppResult<Vec<QualityMark>>>()?;
        let certified = row.certified && producer.in_good_standing();
        let valid_from = today
            .checked_sub_days(Days::new(30 + index as u64))
            .unwrap_or(today);
        let valid_until = valid_from
            .checked_add_days(Days::new(729))
            .unwrap_or(valid_from);
        let published = row.published && producer.in_good_standing();
        product::ActiveModel {
            id: Set(id),
            producer_org_id: Set(org),
            name: Set(row.name.clone()),
            category: Set(parse(&row.category)?),
            spec: Set(row.spec.clone()),
            unit: Set(row.unit.clone()),
            price_fen: Set(row.price_fen),
            min_order_quantity: Set(row.min_order_quantity),
            stock: Set(row.stock),
            origin_statement: Set(row.origin_statement.clone()),
            images: Set("[]".into()),
            quality_marks: Set(QualityMark::mask(&marks)),
            trace_code: Set(row.trace_code.clone()),
            sku: Set(None),
            status: Set(if published {
                ProductStatus::Published
            } else {
                ProductStatus::Draft
            }),
            region_code: Set(producer.region_code.clone()),
            poverty_rank: Set(region::regions::poverty_rank(&txn, &producer.region_code).await?),
            listed: Set(published),
            price_flag_median_fen: Set(None),
            certified_from: Set(certified.then_some(valid_from)),
            certified_until: Set(certified.then_some(valid_until)),
            last_ordered_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        price_change::ActiveModel {
            id: Set(new_uuid()),
            product_id: Set(id),
            price_fen: Set(row.price_fen),
            changed_by: Set(None),
            changed_at: Set(now),
        }
        .insert(&txn)
        .await?;
        if certified {
            certify(&txn, id, producer, officers, admin, valid_from, valid_until).await?;
        }
        for mark in marks {
            mark_certificate(&txn, id, producer, mark, officers, admin).await?;
        }
        groups.push((parse(&row.category)?, row.unit.clone(), row.spec.clone()));
    }
    groups.sort();
    groups.dedup();
    for (category, unit, spec) in groups {
        refresh_price_flags(&txn, category, &unit, &spec).await?;
    }
    txn.commit().await?;
    Ok(())
}

fn issuer_of(mark: QualityMark) -> &'static str {
    match mark {
        QualityMark::GreenFood => "中国绿色食品发展中心",
        QualityMark::Organic => "中绿华夏有机产品认证中心",
        QualityMark::GeographicalIndication => "国家知识产权局",
        QualityMark::RegionalBrand => "县农业农村局",
    }
}

/// The verified certificate behind a demo product's quality mark (numbers marked as demo data).
async fn mark_certificate(
    conn: &impl ConnectionTrait,
    product_id: Uuid,
    producer: &entity::producer::Model,
    mark: QualityMark,
    officers: &HashMap<String, Uuid>,
    admin: Uuid,
) -> AppResult<()> {
    let reviewer = officers
        .get(&county_of(&producer.region_code))
        .copied()
        .unwrap_or(admin);
    let today = Utc::now().date_naive();
    let issued_on = today.checked_sub_days(Days::new(200)).unwrap_or(today);
    let valid_until = issued_on
        .checked_add_days(Days::new(3 * 365))
        .unwrap_or(today);
    let submitted = Utc::now() - chrono::Duration::days(190);
    quality_mark_certificate::ActiveModel {
        id: Set(new_uuid()),
        product_id: Set(product_id),
        producer_org_id: Set(producer.organization_id),
        region_code: Set(producer.region_code.clone()),
        mark: Set(mark),
        issuing_body: Set(format!("{} (演示数据)", issuer_of(mark))),
        certificate_no: Set(format!("DEMO-{}", &product_id.simple().to_string()[20..])),
        issued_on: Set(issued_on),
        valid_until: Set(valid_until),
        status: Set(CertificateStatus::Verified),
        submitted_by: Set(admin),
        submitted_at: Set(submitted),
        reviewed_by: Set(Some(reviewer)),
        reviewed_at: Set(Some(submitted + chrono::Duration::days(3))),
        rejection_reason: Set(None),
        expiry_warned_at: Set(None),
        expired_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

async fn certify(
    conn: &impl ConnectionTrait,
    product_id: Uuid,
    producer: &entity::producer::Model,
    officers: &HashMap<String, Uuid>,
    admin: Uuid,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
) -> AppResult<()> {
    let county = county_of(&producer.region_code);
    let decider = officers.get(&county).copied().unwrap_or(admin);
    let first = if decider == admin {
        officers.values().next().copied().unwrap_or(admin)
    } else {
        admin
    };
    let id = new_uuid();
    let applied = Utc::now() - chrono::Duration::days(60);
    certification::ActiveModel {
        id: Set(id),
        product_id: Set(product_id),
        producer_org_id: Set(producer.organization_id),
        county_code: Set(county.clone()),
        status: Set(CertificationState::Approved),
        evidence: Set("带贫机制: 订单收购与务工, 见合作社带贫台账 (演示数据)".into()),
        certificate_no: Set(Some(format!(
            "FP-{county}-{}-{}",
            valid_from.year(),
            &id.simple().to_string()[24..].to_uppercase()
        ))),
        notice_until: Set(Some(valid_from)),
        valid_from: Set(Some(valid_from)),
        valid_until: Set(Some(valid_until)),
        applied_by: Set(admin),
        applied_at: Set(applied),
        decided_at: Set(Some(applied + chrono::Duration::days(14))),
        revoked_by: Set(None),
        revoked_at: Set(None),
        revoke_reason: Set(None),
    }
    .insert(conn)
    .await?;
    for (stage, reviewer, days) in [
        (ReviewStage::First, first, 7),
        (ReviewStage::County, decider, 14),
    ] {
        certification_review::ActiveModel {
            id: Set(new_uuid()),
            certification_id: Set(id),
            stage: Set(stage),
            reviewer_id: Set(reviewer),
            decision: Set(ReviewDecision::Approve),
            comment: Set(Some("材料齐全, 带贫机制真实 (演示数据)".into())),
            reviewed_at: Set(applied + chrono::Duration::days(days)),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}
