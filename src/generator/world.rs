//! The generated world, built in one pass from one seeded random stream.

use std::collections::BTreeMap;

use anyhow::bail;
use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, TimeZone, Utc};
use entity::{
    api_name::ApiName,
    buyer,
    certification::{self, CertificationState},
    ledger_entry::{self, LedgerChannel, LedgerEntryKind, Purpose},
    membership::{self, MemberRole},
    order::{self, OrderStatus, PaymentTerms},
    order_event, order_line,
    organization::{self, OrganizationKind},
    pairing::{self, PairingKind},
    price_change,
    procurement_declaration::{self, CanteenArrangement},
    producer::{self, CreditStatus, LinkageMode, VerificationStatus},
    product::{self, ProductStatus, QualityMark},
    quality_mark_certificate::{self, CertificateStatus},
    region::{self, PovertyStatus, RegionLevel},
    region_status,
    role_grant::{self, PlatformRole},
    user::{self, UserStatus},
};
use migration::GENESIS;
use rand::{
    Rng, SeedableRng,
    rngs::StdRng,
    seq::{IndexedRandom, SliceRandom},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Options, Report, execute, insert_all,
    scale::{BUYER_KINDS, CATEGORIES, HELPER_PROVINCES, PRODUCER_KINDS, Scale, weighted},
};
use crate::{
    ledger::entries::{Rollups, hash_of, prefix},
    region::subtree,
};

/// The day the generated year ends: data do not depend on when they are generated.
fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Rows are flushed to the database in groups of this many orders.
const ORDERS_PER_FLUSH: usize = 5_000;

struct County {
    code: String,
    short_name: String,
    status: PovertyStatus,
    helper_city: Option<String>,
    /// The east-west pairing with the helper city, once made.
    pairing: Option<Uuid>,
}

struct Village {
    code: String,
    county: usize,
    status: PovertyStatus,
}

struct Producer {
    org: Uuid,
    user: Uuid,
    village: usize,
    kind: producer::ProducerKind,
    households: i32,
    products: Vec<usize>,
}

struct Buyer {
    org: Uuid,
    user: Uuid,
    kind: buyer::BuyerKind,
    region_code: String,
    favourites: Vec<usize>,
}

struct Builder {
    rng: StdRng,
    ids: StdRng,
    report: Report,
    /// Certificates issued so far: numbers must be unique, and random ones collide.
    certificates: u32,
}

impl Builder {
    fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            ids: StdRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15),
            report: Report::default(),
            certificates: 0,
        }
    }

    /// A UUIDv7 for a row created at `at`, as the server makes them, from the seeded stream.
    fn id_at(&mut self, at: DateTime<Utc>) -> Uuid {
        let random: [u8; 10] = self.ids.random();
        uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &random)
            .into_uuid()
    }

    fn pick_status(&mut self, weights: &[(PovertyStatus, u32)]) -> PovertyStatus {
        let w: Vec<u32> = weights.iter().map(|(_, w)| *w).collect();
        weights[weighted(&mut self.rng, &w)].0
    }
}

pub async fn build(
    conn: &impl ConnectionTrait,
    options: &Options,
    password_hash: String,
) -> anyhow::Result<Report> {
    let scale = options.scale;
    let mut b = Builder::new(options.seed);
    let created = as_of() - Duration::days(700);
    let (counties, villages) = places(conn, &mut b, &scale).await?;
    b.report.counties = counties.len();
    b.report.villages = villages.len();
    record_statuses(conn, &mut b, &counties, &villages, created).await?;
    let counties = pair_with_helpers(conn, &mut b, counties, created).await?;
    let admin = staff(conn, &mut b, &counties, &password_hash, created).await?;
    let mut accounts = Accounts {
        password_hash: &password_hash,
        created,
        users: Vec::new(),
        memberships: Vec::new(),
    };
    let places = Places {
        counties: &counties,
        villages: &villages,
    };
    let (producers, products) =
        producers(conn, &mut b, &scale, places, admin, &mut accounts).await?;
    let buyers = buyers(
        conn,
        &mut b,
        &scale,
        places,
        (&producers, &products),
        admin,
        &mut accounts,
    )
    .await?;
    b.report.users += accounts.users.len();
    insert_all(conn, accounts.users).await?;
    insert_all(conn, accounts.memberships).await?;

    let world = World {
        counties: &counties,
        villages: &villages,
        producers: &producers,
        products: &products,
        buyers: &buyers,
    };
    write_orders(conn, &mut b, &world, scale.orders, scale.max_lines).await?;
    declare_targets(conn, &mut b, &buyers).await?;
    execute(
        conn,
        // A join, not a correlated subquery: the planner has no statistics yet inside this
        // transaction, and the per-product subquery took 85 s at the small scale.
        "UPDATE products SET last_ordered_at = latest.at FROM (SELECT l.product_id, \
         MAX(o.placed_at) AS at FROM order_lines l JOIN orders o ON o.id = l.order_id \
         GROUP BY l.product_id) AS latest WHERE latest.product_id = products.id",
    )
    .await?;
    Ok(b.report)
}

/// Each unit's declaration for the current year (832-style): its own canteen, a budget of
/// 50,000–2,000,000 yuan and a reserved share of 10–30%, so rankings and warnings have targets.
async fn declare_targets(
    conn: &impl ConnectionTrait,
    b: &mut Builder,
    buyers: &[Buyer],
) -> anyhow::Result<()> {
    let at = as_of();
    let mut rows = Vec::with_capacity(buyers.len());
    for buyer in buyers {
        let budget_fen = b.rng.random_range(50_000..=2_000_000i64) * 100;
        let share_bp = b.rng.random_range(10..=30i32) * 100;
        rows.push(procurement_declaration::ActiveModel {
            id: Set(b.id_at(at)),
            buyer_org_id: Set(buyer.org),
            year: Set(at.year()),
            canteen: Set(CanteenArrangement::OwnCanteen),
            canteen_budget_fen: Set(Some(budget_fen)),
            reserved_share_bp: Set(Some(share_bp)),
            target_fen: Set(crate::org::buyers::target_fen(budget_fen, share_bp)),
            shares_canteen_of: Set(None),
            contractor_org_id: Set(None),
            declared_by: Set(buyer.user),
            declared_at: Set(at),
        });
    }
    insert_all(conn, rows).await
}

#[derive(Clone, Copy)]
struct Places<'a> {
    counties: &'a [County],
    villages: &'a [Village],
}

/// Producers' and buyers' accounts, written once their organisations exist.
struct Accounts<'a> {
    password_hash: &'a str,
    created: DateTime<Utc>,
    users: Vec<user::ActiveModel>,
    memberships: Vec<membership::ActiveModel>,
}

impl Accounts<'_> {
    fn add(&mut self, user: Uuid, org: Uuid, username: String, display_name: String) {
        self.users.push(user_row(
            user,
            username,
            display_name,
            self.password_hash,
            self.created,
        ));
        self.memberships.push(member_row(user, org, self.created));
    }
}

/// Places: poor counties with enough villages, outside the helping provinces, each with a
/// sample of its villages and an eastern city that may help it.
async fn places(
    conn: &impl ConnectionTrait,
    b: &mut Builder,
    scale: &Scale,
) -> anyhow::Result<(Vec<County>, Vec<Village>)> {
    let candidates = poor_counties(conn, b, scale).await?;
    let helper_cities = helper_cities(conn).await?;
    let mut counties = Vec::new();
    let mut villages = Vec::new();
    for code in candidates {
        let name = region::Entity::find_by_id(code.clone())
            .one(conn)
            .await?
            .map(|r| r.name)
            .unwrap_or_default();
        let status = b.pick_status(&[
            (PovertyStatus::Exited, 60),
            (PovertyStatus::Poor, 30),
            (PovertyStatus::DeepPoverty, 10),
        ]);
        let helper_city = helper_cities.choose(&mut b.rng).cloned();
        let mut in_county: Vec<String> = region::Entity::find()
            .filter(region::Column::Level.eq(RegionLevel::Village))
            .filter(subtree(region::Column::Code, &code))
            .order_by_asc(region::Column::Code)
            .all(conn)
            .await?
            .into_iter()
            .map(|r| r.code)
            .collect();
        in_county.shuffle(&mut b.rng);
        in_county.truncate(scale.villages_per_county);
        in_county.sort();
        for village in in_county {
            let status = b.pick_status(&[
                (PovertyStatus::NotPoor, 75),
                (PovertyStatus::Poor, 20),
                (PovertyStatus::DeepPoverty, 5),
            ]);
            villages.push(Village {
                code: village,
                county: counties.len(),
                status,
            });
        }
        let short_name = name.trim_end_matches(['县', '区', '市', '旗']).to_owned();
        counties.push(County {
            code,
            short_name,
            status,
            helper_city,
            pairing: None,
        });
    }
    Ok((counties, villages))
}

/// The scale's number of counties, drawn from those with enough villages outside the helping
/// provinces.
async fn poor_counties(
    conn: &impl ConnectionTrait,
    b: &mut Builder,
    scale: &Scale,
) -> anyhow::Result<Vec<String>> {
    let counts = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT SUBSTR(code, 1, 6) AS county, COUNT(*) AS villages FROM regions \
             WHERE level = 'VILLAGE' GROUP BY SUBSTR(code, 1, 6) ORDER BY 1",
        ))
        .await?;
    let mut candidates = Vec::new();
    for row in counts {
        let code: String = row.try_get("", "county")?;
        let villages: i64 = row.try_get("", "villages")?;
        if villages as usize >= scale.villages_per_county && !HELPER_PROVINCES.contains(&&code[..2])
        {
            candidates.push(code);
        }
    }
    if candidates.len() < scale.counties {
        bail!(
            "the division tree has {} counties with {} villages outside the helping provinces; \
             this scale needs {} (import the full tree with --divisions)",
            candidates.len(),
            scale.villages_per_county,
            scale.counties
        );
    }
    candidates.shuffle(&mut b.rng);
    candidates.truncate(scale.counties);
    candidates.sort();
    Ok(candidates)
}

/// The cities of the helping provinces.
async fn helper_cities(conn: &impl ConnectionTrait) -> anyhow::Result<Vec<String>> {
    Ok(region::Entity::find()
        .filter(region::Column::Level.eq(RegionLevel::City))
        .filter(
            region::Column::Code.is_in(
                HELPER_PROVINCES
                    .iter()
                    .flat_map(|p| (1..=99).map(move |c| format!("{p}{c:02}"))),
            ),
        )
        .order_by_asc(region::Column::Code)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect())
}

/// Pairings: each county helped by its eastern city since 2016.
async fn pair_with_helpers(
    conn: &impl ConnectionTrait,
    b: &mut Builder,
    mut counties: Vec<County>,
    created: DateTime<Utc>,
) -> anyhow::Result<Vec<County>> {
    let mut pairings = Vec::new();
    for county in &mut counties {
        if let Some(city) = &county.helper_city {
            let id = b.id_at(created);
            county.pairing = Some(id);
            pairings.push(pairing::ActiveModel {
                id: Set(id),
                helper_region_code: Set(Some(city.clone())),
                helper_org_id: Set(None),
                helped_region_code: Set(county.code.clone()),
                kind: Set(PairingKind::EastWest),
                starts_on: Set(day(2016, 1, 1)),
                ends_on: Set(None),
                created_by: Set(None),
                created_at: Set(created),
            });
        }
    }
    insert_all(conn, pairings).await?;
    Ok(counties)
}

/// Staff: one admin, one officer per county. Answers the admin.
async fn staff(
    conn: &impl ConnectionTrait,
    b: &mut Builder,
    counties: &[County],
    password_hash: &str,
    created: DateTime<Utc>,
) -> anyhow::Result<Uuid> {
    let mut users = Vec::new();
    let mut grants = Vec::new();
    let admin = b.id_at(created);
    users.push(user_row(
        admin,
        "bench-admin".into(),
        "平台管理员".into(),
        password_hash,
        created,
    ));
    grants.push(grant_row(
        b.id_at(created),
        admin,
        PlatformRole::Admin,
        String::new(),
        created,
    ));
    for county in counties {
        let officer = b.id_at(created);
        users.push(user_row(
            officer,
            format!("bench-officer-{}", county.code),
            format!("{}扶贫办", county.short_name),
            password_hash,
            created,
        ));
        grants.push(grant_row(
            b.id_at(created),
            officer,
            PlatformRole::Officer,
            county.code.clone(),
            created,
        ));
    }
    b.report.users += users.len();
    insert_all(conn, users).await?;
    insert_all(conn, grants).await?;
    Ok(admin)
}

/// Products with their price histories and certifications, as drawn.
#[derive(Default)]
struct Catalogue {
    products: Vec<product::Model>,
    price_changes: Vec<price_change::ActiveModel>,
    certifications: Vec<certification::ActiveModel>,
    /// The verified certificates behind the products' quality marks.
    mark_certificates: Vec<quality_mark_certificate::ActiveModel>,
}

/// A producer as its products need it.
struct Seller<'a> {
    org: Uuid,
    user: Uuid,
    verified: bool,
    suspended: bool,
    county: &'a County,
    village: &'a Village,
}

/// Producers, their products, price histories and certifications.
async fn producers(
    conn: &impl ConnectionTrait,
    b: &mut Builder,
    scale: &Scale,
    places: Places<'_>,
    admin: Uuid,
    accounts: &mut Accounts<'_>,
) -> anyhow::Result<(Vec<Producer>, Vec<product::Model>)> {
    let created = accounts.created;
    let mut producers = Vec::new();
    let mut catalogue = Catalogue::default();
    let mut organizations = Vec::new();
    let mut producer_rows = Vec::new();
    let category_weights: Vec<u32> = CATEGORIES.iter().map(|c| c.weight).collect();
    let kind_weights: Vec<u32> = PRODUCER_KINDS.iter().map(|k| k.1).collect();
    for i in 0..scale.producers {
        let village = b.rng.random_range(0..places.villages.len());
        let county = &places.counties[places.villages[village].county];
        let kind = PRODUCER_KINDS[weighted(&mut b.rng, &kind_weights)].0;
        let org = b.id_at(created);
        let user = b.id_at(created);
        let verified = b.rng.random_bool(0.95);
        let suspended = verified && b.rng.random_bool(0.01);
        let households = b.rng.random_range(0..200);
        let name = format!("{}{}{:05}", county.short_name, kind_label(kind), i);
        let village_code = places.villages[village].code.clone();
        organizations.push(organization::ActiveModel {
            id: Set(org),
            kind: Set(OrganizationKind::Producer),
            name: Set(name.clone()),
            region_code: Set(Some(village_code.clone())),
            created_by: Set(Some(admin)),
            created_at: Set(created),
        });
        producer_rows.push(producer_row(
            b,
            i,
            org,
            kind,
            village_code,
            households,
            (verified, suspended),
            admin,
            created,
        ));
        accounts.add(user, org, format!("bench-p{i:05}"), format!("{name}管理员"));
        let main_category = weighted(&mut b.rng, &category_weights);
        let seller = Seller {
            org,
            user,
            verified,
            suspended,
            county,
            village: &places.villages[village],
        };
        let own = (0..scale.products_per_producer)
            .map(|_| {
                let category = if b.rng.random_bool(0.7) {
                    main_category
                } else {
                    weighted(&mut b.rng, &category_weights)
                };
                draw_product(b, &mut catalogue, &seller, category, created)
            })
            .collect();
        producers.push(Producer {
            org,
            user,
            village,
            kind,
            households,
            products: own,
        });
    }
    b.report.producers = producers.len();
    b.report.products = catalogue.products.len();
    b.report.certifications = catalogue.certifications.len();
    b.report.price_changes = catalogue.price_changes.len();
    insert_all(conn, organizations).await?;
    insert_all(conn, producer_rows).await?;
    insert_all(
        conn,
        catalogue
            .products
            .iter()
            .map(|p| p.clone().into_active_model())
            .collect::<Vec<product::ActiveModel>>(),
    )
    .await?;
    insert_all(conn, catalogue.price_changes).await?;
    insert_all(conn, catalogue.certifications).await?;
    insert_all(conn, catalogue.mark_certificates).await?;
    Ok((producers, catalogue.products))
}

/// A producer's registry entry: verified (most), suspended (a few of those), with a licence,
/// a contact and its benefit linkage.
#[allow(clippy::too_many_arguments)]
fn producer_row(
    b: &mut Builder,
    i: usize,
    org: Uuid,
    kind: producer::ProducerKind,
    village_code: String,
    households: i32,
    (verified, suspended): (bool, bool),
    admin: Uuid,
    created: DateTime<Utc>,
) -> producer::ActiveModel {
    producer::ActiveModel {
        organization_id: Set(org),
        kind: Set(kind),
        region_code: Set(village_code),
        licence_no: Set(Some(format!(
            "92{:016}",
            b.rng.random_range(0..10_000_000_000_000_000u64)
        ))),
        contact_name: Set(format!("联系人{i:05}")),
        contact_phone: Set(format!(
            "1{:010}",
            b.rng.random_range(3_000_000_000u64..9_999_999_999)
        )),
        linkage_modes: Set(LinkageMode::format_list(&[
            LinkageMode::Wage,
            LinkageMode::BusinessIncome,
        ])),
        poor_households_linked: Set(households),
        profit_share_percent: Set(b.rng.random_range(0..30)),
        verification_status: Set(if verified {
            VerificationStatus::Verified
        } else {
            VerificationStatus::Pending
        }),
        verified_by: Set(verified.then_some(admin)),
        verified_at: Set(verified.then_some(created)),
        credit_status: Set(if suspended {
            CreditStatus::Suspended
        } else {
            CreditStatus::Good
        }),
        credit_reason: Set(suspended.then(|| "质量抽检不合格".to_owned())),
        // Filled from the generated orders at the end (`migration::backfill_reputation`).
        rating_sum: Set(0),
        rating_count: Set(0),
        shipped_orders: Set(0),
        shipped_on_time: Set(0),
        received_orders: Set(0),
        disputed_orders: Set(0),
        created_at: Set(created),
        updated_at: Set(created),
    }
}

/// One product of `seller` in `category`, with its price history and certification; answers its
/// index in the catalogue.
fn draw_product(
    b: &mut Builder,
    catalogue: &mut Catalogue,
    seller: &Seller<'_>,
    category: usize,
    created: DateTime<Utc>,
) -> usize {
    let kind = &CATEGORIES[category];
    let (item, spec, unit) = *kind
        .items
        .choose(&mut b.rng)
        .unwrap_or(&("产品", "1份", "份"));
    let listed_at = created + Duration::days(b.rng.random_range(0..300));
    let id = b.id_at(listed_at);
    let price = price_history(b, catalogue, id, seller.user, kind.price_fen, listed_at);
    let (certified_from, certified_until) = certify(b, catalogue, id, seller, listed_at);
    let published = seller.verified && !seller.suspended && b.rng.random_bool(0.95);
    let marks: Vec<QualityMark> = [
        QualityMark::GreenFood,
        QualityMark::Organic,
        QualityMark::GeographicalIndication,
        QualityMark::RegionalBrand,
    ]
    .into_iter()
    .filter(|_| b.rng.random_bool(0.15))
    .collect();
    let (county, village) = (seller.county, seller.village);
    for mark in &marks {
        let certificate = mark_certificate(b, id, seller, *mark, listed_at);
        catalogue.mark_certificates.push(certificate);
    }
    catalogue.products.push(product::Model {
        id,
        producer_org_id: seller.org,
        name: format!("{}{}", county.short_name, item),
        category: kind.category,
        spec: spec.to_owned(),
        unit: unit.to_owned(),
        price_fen: price,
        min_order_quantity: 1,
        stock: b.rng.random_range(200..5_000),
        origin_statement: format!("产自{}{}", county.short_name, village.code),
        images: "[]".into(),
        quality_marks: QualityMark::mask(&marks),
        trace_code: None,
        sku: None,
        status: if published {
            ProductStatus::Published
        } else {
            ProductStatus::Draft
        },
        region_code: village.code.clone(),
        poverty_rank: county.status.rank().min(village.status.rank()),
        listed: published,
        price_flag_median_fen: None,
        certified_from,
        certified_until,
        last_ordered_at: None,
        created_at: listed_at,
        updated_at: listed_at,
    });
    catalogue.products.len() - 1
}

/// A price history of one to four prices from the category's range; answers the last, current
/// one.
fn price_history(
    b: &mut Builder,
    catalogue: &mut Catalogue,
    product: Uuid,
    changed_by: Uuid,
    (low, high): (i64, i64),
    listed_at: DateTime<Utc>,
) -> i64 {
    let mut price = b.rng.random_range(low..=high) / 10 * 10;
    let changes = b.rng.random_range(1..=4);
    for c in 0..changes {
        if c > 0 {
            price = (price * b.rng.random_range(90..=112) / 100).max(10) / 10 * 10;
        }
        let at = listed_at + Duration::days(c * 60);
        catalogue.price_changes.push(price_change::ActiveModel {
            id: Set(b.id_at(at)),
            product_id: Set(product),
            price_fen: Set(price),
            changed_by: Set(Some(changed_by)),
            changed_at: Set(at),
        });
    }
    price
}

/// Certification: most products of verified producers certified by their county for two
/// years, some applications pending or rejected. Answers the validity.
/// A verified certificate of `mark` for a product, issued when it was listed, valid 3 years.
fn mark_certificate(
    b: &mut Builder,
    product: Uuid,
    seller: &Seller<'_>,
    mark: QualityMark,
    listed_at: DateTime<Utc>,
) -> quality_mark_certificate::ActiveModel {
    let issued_on = listed_at.date_naive();
    quality_mark_certificate::ActiveModel {
        id: Set(b.id_at(listed_at)),
        product_id: Set(product),
        producer_org_id: Set(seller.org),
        region_code: Set(seller.village.code.clone()),
        mark: Set(mark),
        issuing_body: Set("generated certification body".into()),
        certificate_no: Set(format!("GEN-{}", &product.simple().to_string()[20..])),
        issued_on: Set(issued_on),
        valid_until: Set(issued_on + Days::new(3 * 365)),
        status: Set(CertificateStatus::Verified),
        submitted_by: Set(seller.user),
        submitted_at: Set(listed_at),
        // Generated load data: verified with no reviewer on record.
        reviewed_by: Set(None),
        reviewed_at: Set(Some(listed_at)),
        rejection_reason: Set(None),
        expiry_warned_at: Set(None),
        expired_at: Set(None),
    }
}

fn certify(
    b: &mut Builder,
    catalogue: &mut Catalogue,
    product: Uuid,
    seller: &Seller<'_>,
    listed_at: DateTime<Utc>,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let roll = b.rng.random_range(0..100);
    let county = seller.county.code.as_str();
    if roll < 65 && seller.verified {
        let from = day(2025, 1, 1) + Days::new(b.rng.random_range(0..540));
        let until = from + Days::new(729);
        let decided = Utc.from_utc_datetime(&from.and_hms_opt(9, 0, 0).unwrap_or_default());
        let row = cert_row(
            b,
            product,
            seller.org,
            seller.user,
            county,
            CertificationState::Approved,
            Some((from, until)),
            decided,
        );
        catalogue.certifications.push(row);
        return (Some(from), Some(until));
    }
    if roll < 80 {
        let state = if roll < 75 {
            CertificationState::Submitted
        } else {
            CertificationState::Rejected
        };
        let row = cert_row(
            b,
            product,
            seller.org,
            seller.user,
            county,
            state,
            None,
            listed_at,
        );
        catalogue.certifications.push(row);
    }
    (None, None)
}

/// Buyers: most in the helping cities, the rest local units of the poor counties, each with
/// favourite producers (mostly from the counties its city helps).
async fn buyers(
    conn: &impl ConnectionTrait,
    b: &mut Builder,
    scale: &Scale,
    places: Places<'_>,
    (producers, products): (&[Producer], &[product::Model]),
    admin: Uuid,
    accounts: &mut Accounts<'_>,
) -> anyhow::Result<Vec<Buyer>> {
    let created = accounts.created;
    let counties = places.counties;
    let mut by_county: Vec<Vec<usize>> = vec![Vec::new(); counties.len()];
    for (i, p) in producers.iter().enumerate() {
        if p.products.iter().any(|&x| products[x].listed) {
            by_county[places.villages[p.village].county].push(i);
        }
    }
    let sellers: Vec<usize> = by_county.iter().flatten().copied().collect();
    if sellers.is_empty() {
        bail!("no producer has a listed product");
    }
    let mut buyers = Vec::new();
    let mut organizations = Vec::new();
    let mut buyer_rows = Vec::new();
    let buyer_weights: Vec<u32> = BUYER_KINDS.iter().map(|k| k.1).collect();
    for j in 0..scale.buyers {
        let (kind, _, label) = BUYER_KINDS[weighted(&mut b.rng, &buyer_weights)];
        let home = b.rng.random_range(0..counties.len());
        let region_code = match (&counties[home].helper_city, b.rng.random_bool(0.65)) {
            (Some(city), true) => city.clone(),
            _ => counties[home].code.clone(),
        };
        let helped: Vec<usize> = counties
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.helper_city.as_deref() == Some(region_code.as_str()) || c.code == region_code
            })
            .flat_map(|(i, _)| by_county[i].iter().copied())
            .collect();
        let favourites = favourites(b, &helped, &sellers);
        let org = b.id_at(created);
        let user = b.id_at(created);
        let name = format!("{region_code}{label}{j:04}");
        organizations.push(organization::ActiveModel {
            id: Set(org),
            kind: Set(OrganizationKind::Buyer),
            name: Set(name.clone()),
            region_code: Set(Some(region_code.clone())),
            created_by: Set(Some(admin)),
            created_at: Set(created),
        });
        buyer_rows.push(buyer::ActiveModel {
            organization_id: Set(org),
            kind: Set(kind),
            region_code: Set(region_code.clone()),
            parent_org_id: Set(None),
            contact_name: Set(format!("采购员{j:04}")),
            contact_phone: Set(format!(
                "1{:010}",
                b.rng.random_range(3_000_000_000u64..9_999_999_999)
            )),
            created_at: Set(created),
            updated_at: Set(created),
        });
        accounts.add(user, org, format!("bench-b{j:04}"), format!("{name}采购员"));
        buyers.push(Buyer {
            org,
            user,
            kind,
            region_code,
            favourites,
        });
    }
    b.report.buyers = buyers.len();
    insert_all(conn, organizations).await?;
    insert_all(conn, buyer_rows).await?;
    Ok(buyers)
}

/// Twelve producers a buyer orders from, mostly from the counties it helps.
fn favourites(b: &mut Builder, helped: &[usize], sellers: &[usize]) -> Vec<usize> {
    let mut favourites = Vec::new();
    for _ in 0..12 {
        let from = if !helped.is_empty() && b.rng.random_bool(0.7) {
            helped
        } else {
            sellers
        };
        if let Some(&p) = from.choose(&mut b.rng) {
            favourites.push(p);
        }
    }
    favourites
}

struct World<'a> {
    counties: &'a [County],
    villages: &'a [Village],
    producers: &'a [Producer],
    products: &'a [product::Model],
    buyers: &'a [Buyer],
}

fn kind_label(kind: producer::ProducerKind) -> &'static str {
    use producer::ProducerKind as K;
    match kind {
        K::LeadingEnterprise => "农业发展有限公司",
        K::Cooperative => "种养专业合作社",
        K::FamilyFarm => "家庭农场",
        K::PovertyWorkshop => "扶贫车间",
        K::VillageCollective => "村集体经济合作社",
        K::Household => "农户",
    }
}

fn user_row(
    id: Uuid,
    username: String,
    display_name: String,
    hash: &str,
    at: DateTime<Utc>,
) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(id),
        username: Set(username),
        display_name: Set(display_name),
        phone: Set(None),
        password_hash: Set(hash.to_owned()),
        status: Set(UserStatus::Active),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

fn grant_row(
    id: Uuid,
    user: Uuid,
    role: PlatformRole,
    region_code: String,
    at: DateTime<Utc>,
) -> role_grant::ActiveModel {
    role_grant::ActiveModel {
        id: Set(id),
        user_id: Set(user),
        role: Set(role),
        region_code: Set(region_code),
        granted_by: Set(None),
        created_at: Set(at),
    }
}

fn member_row(user: Uuid, org: Uuid, at: DateTime<Utc>) -> membership::ActiveModel {
    membership::ActiveModel {
        user_id: Set(user),
        organization_id: Set(org),
        role: Set(MemberRole::Admin),
        added_by: Set(None),
        created_at: Set(at),
    }
}

#[allow(clippy::too_many_arguments)]
fn cert_row(
    b: &mut Builder,
    product: Uuid,
    producer: Uuid,
    applicant: Uuid,
    county: &str,
    status: CertificationState,
    validity: Option<(NaiveDate, NaiveDate)>,
    at: DateTime<Utc>,
) -> certification::ActiveModel {
    let decided = !matches!(status, CertificationState::Submitted);
    certification::ActiveModel {
        id: Set(b.id_at(at)),
        product_id: Set(product),
        producer_org_id: Set(producer),
        county_code: Set(county.to_owned()),
        status: Set(status),
        evidence: Set("带贫协议、收购台账".into()),
        certificate_no: Set(validity.map(|(from, _)| {
            b.certificates += 1;
            format!("FP{county}{}{:07}", from.year(), b.certificates)
        })),
        notice_until: Set(validity.map(|(from, _)| from - Days::new(1))),
        valid_from: Set(validity.map(|v| v.0)),
        valid_until: Set(validity.map(|v| v.1)),
        applied_by: Set(applicant),
        applied_at: Set(at - Duration::days(20)),
        decided_at: Set(decided.then_some(at)),
        revoked_by: Set(None),
        revoked_at: Set(None),
        revoke_reason: Set(None),
    }
}

/// Current statuses on the regions, with their history (poor since 2014, exited 2018–2020).
async fn record_statuses(
    conn: &impl ConnectionTrait,
    b: &mut Builder,
    counties: &[County],
    villages: &[Village],
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut history = Vec::new();
    let mut current: BTreeMap<(String, Option<i32>), Vec<String>> = BTreeMap::new();
    let places = counties
        .iter()
        .map(|c| (c.code.clone(), c.status))
        .chain(villages.iter().map(|v| (v.code.clone(), v.status)));
    for (code, status) in places {
        if status == PovertyStatus::NotPoor {
            continue;
        }
        let exit_year = (status == PovertyStatus::Exited).then(|| b.rng.random_range(2018..=2020));
        let poor_since = if status == PovertyStatus::DeepPoverty {
            PovertyStatus::DeepPoverty
        } else {
            PovertyStatus::Poor
        };
        history.push(status_row(
            b.id_at(at),
            &code,
            poor_since,
            None,
            day(2014, 1, 1),
            at,
        ));
        if let Some(year) = exit_year {
            history.push(status_row(
                b.id_at(at),
                &code,
                PovertyStatus::Exited,
                Some(year),
                day(year, 12, 31),
                at,
            ));
        }
        current
            .entry((status.api_name(), exit_year))
            .or_default()
            .push(code);
    }
    insert_all(conn, history).await?;
    for ((_, exit_year), codes) in current {
        let status = counties
            .iter()
            .map(|c| (&c.code, c.status))
            .chain(villages.iter().map(|v| (&v.code, v.status)))
            .find(|(code, _)| *code == &codes[0])
            .map_or(PovertyStatus::NotPoor, |(_, s)| s);
        for chunk in codes.chunks(1_000) {
            region::Entity::update_many()
                .col_expr(region::Column::PovertyStatus, Expr::value(status))
                .col_expr(region::Column::ExitYear, Expr::value(exit_year))
                .filter(region::Column::Code.is_in(chunk.to_vec()))
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}

fn status_row(
    id: Uuid,
    code: &str,
    status: PovertyStatus,
    exit_year: Option<i32>,
    from: NaiveDate,
    at: DateTime<Utc>,
) -> region_status::ActiveModel {
    region_status::ActiveModel {
        id: Set(id),
        region_code: Set(code.to_owned()),
        status: Set(status),
        exit_year: Set(exit_year),
        effective_from: Set(from),
        recorded_by: Set(None),
        recorded_at: Set(at),
    }
}

/// Orders in the year to [`as_of`], each with its lines and events; the received ones in the
/// ledger in the order they were received, hash-chained, and the rollups summed as they go.
async fn write_orders(
    conn: &impl ConnectionTrait,
    b: &mut Builder,
    world: &World<'_>,
    count: usize,
    max_lines: usize,
) -> anyhow::Result<()> {
    let end = as_of();
    let start = end - Duration::days(365);
    let mut placed: Vec<i64> = (0..count)
        .map(|_| b.rng.random_range(0..365 * 86_400 - 1))
        .collect();
    placed.sort_unstable();
    let mut chain = Chain {
        seq: 0,
        last_hash: GENESIS.to_owned(),
        entries: Vec::new(),
    };
    let mut rollups = Rollups::default();
    let mut batch = Batch::default();
    for (n, offset) in placed.into_iter().enumerate() {
        let at = start + Duration::seconds(offset);
        // Everything received before this order was placed is final: chain it.
        let settled: Vec<_> = batch.pending.range(..(at, 0)).map(|(k, _)| *k).collect();
        for key in settled {
            if let Some(entry) = batch.pending.remove(&key) {
                chain.append(entry, &mut rollups);
            }
        }
        draw_order(b, world, &mut batch, n, at, max_lines);
        if batch.orders.len() >= ORDERS_PER_FLUSH {
            batch.flush(conn, &mut b.report).await?;
            chain.flush(conn, &mut b.report).await?;
        }
    }
    batch.flush(conn, &mut b.report).await?;
    for (_, entry) in std::mem::take(&mut batch.pending) {
        chain.append(entry, &mut rollups);
    }
    chain.flush(conn, &mut b.report).await?;

    let rows = rollups.into_rows(|| b.id_at(end));
    b.report.ledger_tallies = rows.fine.len();
    b.report.county_tallies = rows.by_county.len();
    insert_all(conn, rows.fine).await?;
    insert_all(conn, rows.by_county).await?;
    insert_all(conn, rows.by_buyer).await?;
    entity::ledger_head::Entity::update_many()
        .col_expr(entity::ledger_head::Column::Seq, Expr::value(chain.seq))
        .col_expr(
            entity::ledger_head::Column::LastHash,
            Expr::value(chain.last_hash.clone()),
        )
        .exec(conn)
        .await?;
    b.report.last_hash = chain.last_hash;
    Ok(())
}

/// Orders, lines and events not yet written, and sales waiting for their turn in the chain
/// (by when they were received).
#[derive(Default)]
struct Batch {
    orders: Vec<order::ActiveModel>,
    lines: Vec<order_line::ActiveModel>,
    events: Vec<order_event::ActiveModel>,
    pending: BTreeMap<(DateTime<Utc>, u64), ledger_entry::Model>,
    serial: u64,
}

impl Batch {
    async fn flush(
        &mut self,
        conn: &impl ConnectionTrait,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        report.orders += self.orders.len();
        report.order_lines += self.lines.len();
        insert_all(conn, std::mem::take(&mut self.orders)).await?;
        insert_all(conn, std::mem::take(&mut self.lines)).await?;
        insert_all(conn, std::mem::take(&mut self.events)).await
    }
}

/// The `n`th order, placed at `at` by a buyer (busy ones more often) from one of its favourite
/// producers, with its lines, its steps so far and, once received, its sales.
fn draw_order(
    b: &mut Builder,
    world: &World<'_>,
    batch: &mut Batch,
    n: usize,
    at: DateTime<Utc>,
    max_lines: usize,
) {
    // Busy buyers order more: the first buyers are drawn more often.
    let u: f64 = b.rng.random();
    let buyer = &world.buyers[((u * u) * world.buyers.len() as f64) as usize % world.buyers.len()];
    let Some(&seller) = buyer.favourites.choose(&mut b.rng) else {
        return;
    };
    let producer = &world.producers[seller];
    let mut offer: Vec<usize> = producer
        .products
        .iter()
        .copied()
        .filter(|&p| world.products[p].listed)
        .collect();
    offer.shuffle(&mut b.rng);
    offer.truncate(b.rng.random_range(1..=max_lines));
    if offer.is_empty() {
        return;
    }
    let order_id = b.id_at(at);
    let timeline = Timeline::draw(b, at, as_of());
    let received = matches!(
        timeline.status,
        OrderStatus::Received | OrderStatus::Settled
    );
    // Generated history has no shipment rows: what shipped shows on its lines only.
    let shipped = received || timeline.status == OrderStatus::Shipped;
    let mut total = 0;
    for (position, &p) in offer.iter().enumerate() {
        let product = &world.products[p];
        let quantity = b.rng.random_range(1..=20i64);
        let accepted = if quantity > 1 && b.rng.random_bool(0.02) {
            quantity - 1
        } else {
            quantity
        };
        total += product.price_fen * quantity;
        let line_id = b.id_at(at);
        batch.lines.push(line_row(
            order_id,
            line_id,
            position,
            product,
            (quantity, shipped),
            received.then_some(accepted),
        ));
        if received {
            let entry = entry_for(
                world,
                buyer,
                producer,
                product,
                order_id,
                line_id,
                accepted,
                timeline.received,
            );
            batch.serial += 1;
            batch
                .pending
                .insert((timeline.received, batch.serial), entry);
        }
    }
    let status = timeline.status;
    batch.orders.push(order::ActiveModel {
        id: Set(order_id),
        group_id: Set(order_id),
        buyer_org_id: Set(buyer.org),
        producer_org_id: Set(producer.org),
        agreement_id: Set(None),
        fair_id: Set(None),
        status: Set(status),
        payment_terms: Set(PaymentTerms::PayAfterDelivery),
        // Generated history is settled or open without a due date: payments are not generated.
        due_on: Set(None),
        due_extended: Set(false),
        purpose: Set(Purpose::default_for(buyer.kind)),
        total_fen: Set(total),
        note: Set(None),
        invoice_no: Set((status == OrderStatus::Settled).then(|| format!("INV{n:010}"))),
        cancel_reason: Set((status == OrderStatus::Cancelled).then(|| "采购计划调整".to_owned())),
        rating: Set((received && b.rng.random_bool(0.3)).then(|| b.rng.random_range(3..=5))),
        rating_comment: Set(None),
        placed_by: Set(buyer.user),
        placed_at: Set(at),
        updated_at: Set(at),
    });
    for (from, to, actor, when) in timeline.steps(buyer.user, producer.user) {
        batch.events.push(order_event::ActiveModel {
            id: Set(b.id_at(when)),
            order_id: Set(order_id),
            from_status: Set(from),
            to_status: Set(to),
            actor_id: Set(actor),
            note: Set(None),
            at: Set(when),
        });
    }
}

fn line_row(
    order_id: Uuid,
    line_id: Uuid,
    position: usize,
    product: &product::Model,
    (quantity, shipped): (i64, bool),
    accepted: Option<i64>,
) -> order_line::ActiveModel {
    order_line::ActiveModel {
        id: Set(line_id),
        order_id: Set(order_id),
        position: Set(position as i32 + 1),
        product_id: Set(product.id),
        product_name: Set(product.name.clone()),
        category: Set(product.category),
        spec: Set(product.spec.clone()),
        unit: Set(product.unit.clone()),
        price_fen: Set(product.price_fen),
        quantity: Set(quantity),
        shipped_quantity: Set(if shipped { quantity } else { 0 }),
        accepted_quantity: Set(accepted),
        refunded_quantity: Set(0),
        purchase_drive_id: Set(None),
    }
}

/// When an order's steps happen (or would), and where it stands at the end of the year.
struct Timeline {
    placed: DateTime<Utc>,
    confirmed: DateTime<Utc>,
    shipped: DateTime<Utc>,
    received: DateTime<Utc>,
    end: DateTime<Utc>,
    status: OrderStatus,
}

/// A step of an order: from, to, by whom, when.
type Step = (Option<OrderStatus>, OrderStatus, Uuid, DateTime<Utc>);

impl Timeline {
    fn draw(b: &mut Builder, placed: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        let age_days = (end - placed).num_days();
        let confirmed = placed + Duration::hours(b.rng.random_range(1..24));
        let shipped = confirmed + Duration::hours(b.rng.random_range(12..48));
        let received = shipped + Duration::hours(b.rng.random_range(24..96));
        let status = if b.rng.random_bool(0.04) {
            OrderStatus::Cancelled
        } else if received < end {
            if age_days > 45 && b.rng.random_bool(0.6) {
                OrderStatus::Settled
            } else {
                OrderStatus::Received
            }
        } else if shipped < end {
            OrderStatus::Shipped
        } else if confirmed < end {
            OrderStatus::Confirmed
        } else {
            OrderStatus::Placed
        };
        Timeline {
            placed,
            confirmed,
            shipped,
            received,
            end,
            status,
        }
    }

    /// The transitions taken by the end of the year, as the order's history records them.
    fn steps(&self, buyer: Uuid, producer: Uuid) -> Vec<Step> {
        let mut steps = vec![(None, OrderStatus::Placed, buyer, self.placed)];
        if self.status == OrderStatus::Cancelled {
            steps.push((
                Some(OrderStatus::Placed),
                OrderStatus::Cancelled,
                buyer,
                self.confirmed,
            ));
            return steps;
        }
        let path = [
            (OrderStatus::Confirmed, producer, self.confirmed),
            (OrderStatus::Shipped, producer, self.shipped),
            (OrderStatus::Received, buyer, self.received),
            (
                OrderStatus::Settled,
                buyer,
                self.received + Duration::days(30),
            ),
        ];
        let mut from = OrderStatus::Placed;
        for (to, actor, when) in path {
            if when >= self.end
                || (to == OrderStatus::Settled && self.status != OrderStatus::Settled)
            {
                break;
            }
            steps.push((Some(from), to, actor, when));
            from = to;
        }
        steps
    }
}

/// A sale as `record_receipt` writes it, before its place in the chain is known.
#[allow(clippy::too_many_arguments)]
fn entry_for(
    world: &World<'_>,
    buyer: &Buyer,
    producer: &Producer,
    product: &product::Model,
    order_id: Uuid,
    line_id: Uuid,
    quantity: i64,
    at: DateTime<Utc>,
) -> ledger_entry::Model {
    let village = &world.villages[producer.village];
    let county = &world.counties[village.county];
    let code = village.code.clone();
    let on = at.date_naive();
    let pairing = county.pairing.filter(|_| {
        county
            .helper_city
            .as_ref()
            .is_some_and(|city| buyer.region_code.starts_with(city.as_str()))
    });
    let buyer_region = &buyer.region_code;
    ledger_entry::Model {
        id: Uuid::nil(),
        seq: 0,
        kind: LedgerEntryKind::Sale,
        refund_of: None,
        channel: LedgerChannel::Order,
        order_id: Some(order_id),
        order_line_id: Some(line_id),
        report_line_id: None,
        outlet_id: None,
        fair_id: None,
        purpose: Purpose::default_for(buyer.kind),
        buyer_org_id: buyer.org,
        buyer_kind: buyer.kind,
        buyer_region_code: buyer_region.clone(),
        buyer_province_code: prefix(buyer_region, 2).unwrap_or_default(),
        buyer_city_code: prefix(buyer_region, 4),
        buyer_county_code: prefix(buyer_region, 6),
        producer_org_id: producer.org,
        producer_kind: Some(producer.kind),
        product_id: product.id,
        product_name: product.name.clone(),
        category: product.category,
        quantity,
        amount_fen: product.price_fen * quantity,
        province_code: code[..2].to_owned(),
        city_code: code[..4].to_owned(),
        county_code: code[..6].to_owned(),
        township_code: Some(code[..9].to_owned()),
        village_code: Some(code.clone()),
        region_code: code,
        province_status: PovertyStatus::NotPoor,
        city_status: PovertyStatus::NotPoor,
        county_status: county.status,
        township_status: Some(PovertyStatus::NotPoor),
        village_status: Some(village.status),
        certified: product.certified_on(on),
        poor_households_linked: producer.households,
        paired: pairing.is_some(),
        pairing_id: pairing,
        pairing_kind: pairing.map(|_| PairingKind::EastWest),
        reporting_year: on.year(),
        occurred_on: on,
        recorded_at: at,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// The ledger being written: its tip, and entries not yet flushed.
struct Chain {
    seq: i64,
    last_hash: String,
    entries: Vec<ledger_entry::ActiveModel>,
}

impl Chain {
    fn append(&mut self, mut entry: ledger_entry::Model, rollups: &mut Rollups) {
        self.seq += 1;
        entry.seq = self.seq;
        entry.id = uuid::Builder::from_unix_timestamp_millis(
            entry.recorded_at.timestamp_millis().max(0) as u64,
            &(self.seq as u128).to_be_bytes()[6..]
                .try_into()
                .unwrap_or([0; 10]),
        )
        .into_uuid();
        entry.prev_hash = std::mem::take(&mut self.last_hash);
        entry.hash = hash_of(&entry);
        self.last_hash = entry.hash.clone();
        rollups.add(&entry);
        self.entries.push(entry.into_active_model());
    }

    async fn flush(
        &mut self,
        conn: &impl ConnectionTrait,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        report.ledger_entries += self.entries.len();
        insert_all(conn, std::mem::take(&mut self.entries)).await
    }
}
