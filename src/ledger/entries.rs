//! Appending to and verifying the ledger. Each entry's hash covers its content and the previous
//! entry's hash; the single `ledger_head` row is locked while appending, so the chain has no
//! gaps or forks even when receipts land concurrently.

use chrono::{Datelike, NaiveDate, Utc};
use entity::{
    api_name::ApiName,
    buyer::{self, BuyerKind},
    ledger_buyer_tally, ledger_county_tally,
    ledger_entry::{self, LedgerChannel, LedgerEntryKind, Purpose},
    ledger_head, ledger_tally, order, order_line, pairing,
    producer::{self, ProducerKind},
    product::{self, ProductCategory},
    region::PovertyStatus,
};
use migration::GENESIS;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    ExprTrait, IntoSimpleExpr, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Alias, Expr, OnConflict, SimpleExpr},
};
use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest, Sha256};

use uuid::Uuid;

use crate::{
    auth::{
        Viewer,
        scope::{self, Scope},
    },
    error::{AppError, AppResult},
    ids::new_uuid,
    org::{buyers, membership::membership_of, producers},
    region::{regions, subtree},
};

/// What an entry's hash covers: its content, fields separated by U+001F, then the previous
/// entry's hash. Only the product name is free text, and every other field (IDs, numbers, codes,
/// enumerations, dates, hex) is free of U+001F, so the fields read back one way only even if a
/// name held that character. Enumerations are written by their declared API
/// values (`SALE`, `CANTEEN`, `GRAIN_OIL`, `NOT_POOR`), never by Rust names, so renaming a
/// variant cannot change a hash; a unit test pins these bytes for one entry.
pub fn preimage_of(entry: &ledger_entry::Model) -> String {
    let fields = [
        entry.seq.to_string(),
        entry.id.to_string(),
        entry.kind.api_name(),
        entry.refund_of.map(|r| r.to_string()).unwrap_or_default(),
        entry.order_id.map(|o| o.to_string()).unwrap_or_default(),
        entry
            .order_line_id
            .map(|l| l.to_string())
            .unwrap_or_default(),
        entry.buyer_org_id.to_string(),
        entry.buyer_kind.api_name(),
        entry.producer_org_id.to_string(),
        entry.product_id.to_string(),
        entry.product_name.clone(),
        entry.category.api_name(),
        entry.quantity.to_string(),
        entry.amount_fen.to_string(),
        entry.region_code.clone(),
        entry.province_status.api_name(),
        entry.city_status.api_name(),
        entry.county_status.api_name(),
        entry
            .township_status
            .map(ApiName::api_name)
            .unwrap_or_default(),
        entry
            .village_status
            .map(ApiName::api_name)
            .unwrap_or_default(),
        entry.certified.to_string(),
        entry.poor_households_linked.to_string(),
        entry.paired.to_string(),
        entry.reporting_year.to_string(),
        entry.occurred_on.to_string(),
        entry.buyer_region_code.clone(),
        entry
            .producer_kind
            .map(ApiName::api_name)
            .unwrap_or_default(),
        entry.pairing_id.map(|p| p.to_string()).unwrap_or_default(),
        entry
            .pairing_kind
            .map(ApiName::api_name)
            .unwrap_or_default(),
        entry.channel.api_name(),
        entry
            .report_line_id
            .map(|r| r.to_string())
            .unwrap_or_default(),
        entry.outlet_id.map(|o| o.to_string()).unwrap_or_default(),
        entry.fair_id.map(|f| f.to_string()).unwrap_or_default(),
        entry.purpose.api_name(),
        entry.prev_hash.clone(),
    ];
    fields.join("\u{1f}")
}

/// The hash of an entry: SHA-256 of [`preimage_of`], in lower-case hex.
pub fn hash_of(entry: &ledger_entry::Model) -> String {
    let digest = Sha256::digest(preimage_of(entry).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes one entry per accepted line of a received order, in the caller's transaction.
pub async fn record_receipt(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    lines: &[order_line::Model],
    day: NaiveDate,
) -> AppResult<Vec<ledger_entry::Model>> {
    let accepted: Vec<(&order_line::Model, i64)> = lines
        .iter()
        .map(|line| (line, line.accepted_quantity.unwrap_or(0)))
        .collect();
    record_sales(conn, order, &accepted, day).await
}

/// Writes one sale entry per line of `accepted` with a positive quantity (what one receipt,
/// such as one shipment's, accepted of each line), in the caller's transaction.
pub async fn record_sales(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    accepted: &[(&order_line::Model, i64)],
    day: NaiveDate,
) -> AppResult<Vec<ledger_entry::Model>> {
    let accepted: Vec<(&order_line::Model, i64)> = accepted
        .iter()
        .copied()
        .filter(|(_, quantity)| *quantity > 0)
        .collect();
    if accepted.is_empty() {
        return Ok(Vec::new());
    }
    let (_, buyer) = buyers::load(conn, order.buyer_org_id).await?;
    let products = accepted.iter().map(|(line, _)| line.product_id);
    let sale = Sale::classify(conn, order.producer_org_id, &buyer, day, products).await?;
    let entries = accepted
        .into_iter()
        .map(|(line, quantity)| ledger_entry::Model {
            order_id: Some(order.id),
            order_line_id: Some(line.id),
            // An order placed at a fair is a sale at the fair (its refunds copy both).
            channel: if order.fair_id.is_some() {
                LedgerChannel::Fair
            } else {
                LedgerChannel::Order
            },
            fair_id: order.fair_id,
            purpose: order.purpose,
            ..sale.entry(
                line.product_id,
                &line.product_name,
                line.category,
                quantity,
                line.price_fen * quantity,
            )
        })
        .collect();
    append(conn, entries).await
}

/// Looks up what classifying sales takes, each fact once however many sales share it: the
/// producers, the statuses of a place's chain on a day, and the pairings helping a buyer (as
/// placed) on a day. A report of thousands of lines costs a query per distinct fact.
#[derive(Default)]
pub(crate) struct Classifier {
    producers: HashMap<Uuid, producer::Model>,
    statuses: HashMap<(String, NaiveDate), HashMap<usize, PovertyStatus>>,
    pairings: HashMap<(Uuid, String, NaiveDate), Vec<pairing::Model>>,
}

impl Classifier {
    /// The sale of `certified` (and other) products by `producer` to `buyer` on `day`.
    pub(crate) async fn sale(
        &mut self,
        conn: &impl ConnectionTrait,
        producer: Uuid,
        buyer: &buyer::Model,
        day: NaiveDate,
        certified: HashSet<Uuid>,
    ) -> AppResult<Sale> {
        let producer = match self.producers.get(&producer) {
            Some(known) => known.clone(),
            None => {
                let (_, loaded) = producers::load(conn, producer).await?;
                self.producers.insert(producer, loaded.clone());
                loaded
            }
        };
        let place = (producer.region_code.clone(), day);
        let statuses = match self.statuses.get(&place) {
            Some(known) => known.clone(),
            // The status each level of the chain had on the day of the sale.
            None => {
                let found = regions::chain_statuses_on(conn, &producer.region_code, day).await?;
                self.statuses.insert(place, found.clone());
                found
            }
        };
        let helped = (buyer.organization_id, buyer.region_code.clone(), day);
        if !self.pairings.contains_key(&helped) {
            let found = regions::pairings_helping_buyer(conn, buyer, day).await?;
            self.pairings.insert(helped.clone(), found);
        }
        let pairing = self
            .pairings
            .get(&helped)
            .and_then(|pairings| counting_pairing(pairings, &producer.region_code))
            .map(|p| (p.id, p.kind));
        Ok(Sale {
            buyer: buyer.clone(),
            producer,
            statuses,
            pairing,
            certified,
            day,
        })
    }
}

/// What every entry of one sale records about its two sides on the day: the buyer's place, the
/// producer's place with each level's poverty status, the pairing it counts toward, and which
/// products were certified. Orders and reported sales classify the same way.
pub(crate) struct Sale {
    buyer: buyer::Model,
    producer: producer::Model,
    statuses: HashMap<usize, PovertyStatus>,
    pairing: Option<(Uuid, entity::pairing::PairingKind)>,
    certified: HashSet<Uuid>,
    day: NaiveDate,
}

impl Sale {
    /// `buyer` is the buying side as placed on the day (a reported sale's is the outlet's or
    /// the fair's place).
    pub(crate) async fn classify(
        conn: &impl ConnectionTrait,
        producer: Uuid,
        buyer: &buyer::Model,
        day: NaiveDate,
        products: impl IntoIterator<Item = Uuid>,
    ) -> AppResult<Self> {
        let certified = product::Entity::find()
            .filter(product::Column::Id.is_in(products))
            .all(conn)
            .await?
            .into_iter()
            .filter(|p| p.certified_on(day))
            .map(|p| p.id)
            .collect();
        Classifier::default()
            .sale(conn, producer, buyer, day, certified)
            .await
    }

    /// A sale entry of one product through an order (the caller names the order or the report).
    pub(crate) fn entry(
        &self,
        product_id: Uuid,
        product_name: &str,
        category: ProductCategory,
        quantity: i64,
        amount_fen: i64,
    ) -> ledger_entry::Model {
        let (buyer, code) = (&self.buyer, &self.producer.region_code);
        let status_at = |length: usize| self.statuses.get(&length).copied();
        ledger_entry::Model {
            id: new_uuid(),
            seq: 0,
            kind: LedgerEntryKind::Sale,
            refund_of: None,
            channel: LedgerChannel::Order,
            order_id: None,
            order_line_id: None,
            report_line_id: None,
            outlet_id: None,
            fair_id: None,
            purpose: Purpose::default_for(buyer.kind),
            buyer_org_id: buyer.organization_id,
            buyer_kind: buyer.kind,
            buyer_region_code: buyer.region_code.clone(),
            buyer_province_code: prefix(&buyer.region_code, 2).unwrap_or_default(),
            buyer_city_code: prefix(&buyer.region_code, 4),
            buyer_county_code: prefix(&buyer.region_code, 6),
            producer_org_id: self.producer.organization_id,
            producer_kind: Some(self.producer.kind),
            product_id,
            product_name: product_name.to_owned(),
            category,
            quantity,
            amount_fen,
            region_code: code.clone(),
            province_code: prefix(code, 2).unwrap_or_default(),
            city_code: prefix(code, 4).unwrap_or_default(),
            county_code: prefix(code, 6).unwrap_or_default(),
            township_code: prefix(code, 9),
            village_code: prefix(code, 12),
            province_status: status_at(2).unwrap_or(PovertyStatus::NotPoor),
            city_status: status_at(4).unwrap_or(PovertyStatus::NotPoor),
            county_status: status_at(6).unwrap_or(PovertyStatus::NotPoor),
            township_status: status_at(9),
            village_status: status_at(12),
            certified: self.certified.contains(&product_id),
            poor_households_linked: self.producer.poor_households_linked,
            paired: self.pairing.is_some(),
            pairing_id: self.pairing.map(|p| p.0),
            pairing_kind: self.pairing.map(|p| p.1),
            reporting_year: self.day.year(),
            occurred_on: self.day,
            recorded_at: Utc::now(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }
}

/// The first `length` characters of a division code, when it is that long: a place's code at a
/// level above it (`None` below its own level).
pub fn prefix(code: &str, length: usize) -> Option<String> {
    code.get(..length).map(str::to_owned)
}

/// The pairing a sale from `origin` counts toward, among those helping the buyer that day: the
/// one helping the most specific place containing the origin (a village's pairing before its
/// county's), then the earliest made (IDs are time-ordered). `None`: the sale is not paired.
pub fn counting_pairing<'a>(
    pairings: &'a [pairing::Model],
    origin: &str,
) -> Option<&'a pairing::Model> {
    pairings
        .iter()
        .filter(|p| origin.starts_with(p.helped_region_code.as_str()))
        .min_by(|a, b| {
            b.helped_region_code
                .len()
                .cmp(&a.helped_region_code.len())
                .then(a.id.cmp(&b.id))
        })
}

/// Whether an entry's stored place codes are the prefixes of its places, as appends write them:
/// they are not hashed on their own (the places are), so verification checks them.
pub fn chains_match(entry: &ledger_entry::Model) -> bool {
    let origin = &entry.region_code;
    let buyer = &entry.buyer_region_code;
    prefix(origin, 2).as_deref() == Some(entry.province_code.as_str())
        && prefix(origin, 4).as_deref() == Some(entry.city_code.as_str())
        && prefix(origin, 6).as_deref() == Some(entry.county_code.as_str())
        && prefix(origin, 9) == entry.township_code
        && prefix(origin, 12) == entry.village_code
        && prefix(buyer, 2).unwrap_or_default() == entry.buyer_province_code
        && prefix(buyer, 4) == entry.buyer_city_code
        && prefix(buyer, 6) == entry.buyer_county_code
}

/// Locks the chain's tip and returns it: appends run one after another.
async fn lock_head(conn: &impl ConnectionTrait) -> AppResult<ledger_head::Model> {
    ledger_head::Entity::find_by_id(1)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ledger head missing")))
}

/// Rows per statement: ~50 columns a ledger entry stay well under PostgreSQL's 65,535 bind
/// parameters (a report accepted whole may append thousands of entries at once).
const ROWS_PER_STATEMENT: usize = 500;

/// Adds the entries to their rollups, then locks the chain's tip, links the entries to it and
/// writes them in one statement. Rollups go first and in key order: the tip stays locked only
/// for the write, and every append takes its row locks in the same order, so none deadlock.
pub(crate) async fn append(
    conn: &impl ConnectionTrait,
    mut entries: Vec<ledger_entry::Model>,
) -> AppResult<Vec<ledger_entry::Model>> {
    if entries.is_empty() {
        return Ok(entries);
    }
    let mut rollups = Rollups::default();
    for entry in &entries {
        rollups.add(entry);
    }
    let rows = rollups.into_rows(new_uuid);
    for chunk in rows.fine.chunks(ROWS_PER_STATEMENT) {
        upsert_tallies(conn, chunk.to_vec()).await?;
    }
    for chunk in rows.by_county.chunks(ROWS_PER_STATEMENT) {
        upsert_county_tallies(conn, chunk.to_vec()).await?;
    }
    for chunk in rows.by_buyer.chunks(ROWS_PER_STATEMENT) {
        upsert_buyer_tallies(conn, chunk.to_vec()).await?;
    }
    let head = lock_head(conn).await?;
    let mut seq = head.seq;
    let mut prev = head.last_hash.clone();
    for entry in &mut entries {
        seq += 1;
        entry.seq = seq;
        entry.prev_hash = prev.clone();
        entry.hash = hash_of(entry);
        prev = entry.hash.clone();
    }
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        ledger_entry::Entity::insert_many(
            chunk.iter().cloned().map(ledger_entry::ActiveModel::from),
        )
        .exec_without_returning(conn)
        .await?;
    }
    let mut tip: ledger_head::ActiveModel = head.into();
    tip.seq = Set(seq);
    tip.last_hash = Set(prev);
    tip.update(conn).await?;
    Ok(entries)
}

/// Amount, quantity and count of entries, and the most linked poor households declared.
type Sums = (i64, i64, i64, i32);

/// The buyer's county, or its place when registered above a county: the buyer side of the
/// county rollups.
pub fn buyer_area(entry: &ledger_entry::Model) -> String {
    entry
        .buyer_county_code
        .clone()
        .unwrap_or_else(|| entry.buyer_region_code.clone())
}

/// The county rollups' grain beyond the origin's: the buyer's county, the pairing (nil for none)
/// and its kind (its API value, empty for none), and the origin county's status on the day.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Sides {
    buyer_area: String,
    pairing: Uuid,
    pairing_kind: String,
    origin_status: PovertyStatus,
}

/// A monthly rollup's grain.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct TallyKey {
    month: String,
    region: String,
    buyer: Uuid,
    buyer_kind: BuyerKind,
    buyer_region: String,
    producer: Uuid,
    producer_kind: Option<ProducerKind>,
    category: ProductCategory,
    certified: bool,
    paired: bool,
    pairing: Uuid,
    pairing_kind: String,
    origin_status: PovertyStatus,
    channel: LedgerChannel,
    purpose: Purpose,
    reported: bool,
}

/// A county rollup's grain.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CountyKey {
    month: String,
    county: String,
    buyer_kind: BuyerKind,
    certified: bool,
    paired: bool,
    sides: Sides,
}

/// What entries add to the rollups, summed per row (a statement may touch each row once) and
/// in key order. Appends and the data generator both build their rollups with it.
#[derive(Default)]
pub struct Rollups {
    fine: BTreeMap<TallyKey, Sums>,
    by_county: BTreeMap<CountyKey, Sums>,
    /// Month, buyer, the buyer's place.
    by_buyer: BTreeMap<(String, Uuid, String), Sums>,
}

/// The rows of each rollup, to insert or add.
pub struct RollupRows {
    pub fine: Vec<ledger_tally::ActiveModel>,
    pub by_county: Vec<ledger_county_tally::ActiveModel>,
    pub by_buyer: Vec<ledger_buyer_tally::ActiveModel>,
}

impl Rollups {
    pub fn add(&mut self, entry: &ledger_entry::Model) {
        let month = entry.occurred_on.format("%Y-%m").to_string();
        let sides = Sides {
            buyer_area: buyer_area(entry),
            pairing: entry.pairing_id.unwrap_or(Uuid::nil()),
            pairing_kind: entry
                .pairing_kind
                .map(ApiName::api_name)
                .unwrap_or_default(),
            origin_status: entry.county_status,
        };
        let fine = self
            .fine
            .entry(TallyKey {
                month: month.clone(),
                region: entry.region_code.clone(),
                buyer: entry.buyer_org_id,
                buyer_kind: entry.buyer_kind,
                buyer_region: entry.buyer_region_code.clone(),
                producer: entry.producer_org_id,
                producer_kind: entry.producer_kind,
                category: entry.category,
                certified: entry.certified,
                paired: entry.paired,
                pairing: sides.pairing,
                pairing_kind: sides.pairing_kind.clone(),
                origin_status: sides.origin_status,
                channel: entry.channel,
                purpose: entry.purpose,
                reported: entry.report_line_id.is_some(),
            })
            .or_default();
        add_to(fine, entry);
        let by_county = self
            .by_county
            .entry(CountyKey {
                month: month.clone(),
                county: entry.county_code.clone(),
                buyer_kind: entry.buyer_kind,
                certified: entry.certified,
                paired: entry.paired,
                sides,
            })
            .or_default();
        add_to(by_county, entry);
        // A unit's purchases: what it answers for at an outlet or a fair is not its own buying.
        if entry.report_line_id.is_some() {
            return;
        }
        let by_buyer = self
            .by_buyer
            .entry((month, entry.buyer_org_id, entry.buyer_region_code.clone()))
            .or_default();
        add_to(by_buyer, entry);
    }

    /// The rows, monthly and by county; `id` names each new monthly row.
    pub fn into_rows(self, mut id: impl FnMut() -> Uuid) -> RollupRows {
        let fine = self
            .fine
            .into_iter()
            .map(|(key, sums)| ledger_tally::ActiveModel {
                id: Set(id()),
                month: Set(key.month),
                region_code: Set(key.region),
                buyer_org_id: Set(key.buyer),
                buyer_kind: Set(key.buyer_kind),
                buyer_region_code: Set(key.buyer_region),
                producer_org_id: Set(key.producer),
                producer_kind: Set(key.producer_kind.map(ApiName::api_name).unwrap_or_default()),
                origin_status: Set(key.origin_status),
                pairing_id: Set(key.pairing),
                pairing_kind: Set(key.pairing_kind),
                category: Set(key.category),
                certified: Set(key.certified),
                paired: Set(key.paired),
                channel: Set(key.channel),
                purpose: Set(key.purpose),
                reported: Set(key.reported),
                amount_fen: Set(sums.0),
                quantity: Set(sums.1),
                entries: Set(sums.2),
                households_linked: Set(sums.3),
            })
            .collect();
        let by_county = self
            .by_county
            .into_iter()
            .map(|(key, sums)| ledger_county_tally::ActiveModel {
                month: Set(key.month),
                county_code: Set(key.county),
                buyer_area_code: Set(key.sides.buyer_area),
                buyer_kind: Set(key.buyer_kind),
                certified: Set(key.certified),
                paired: Set(key.paired),
                pairing_id: Set(key.sides.pairing),
                pairing_kind: Set(key.sides.pairing_kind),
                origin_status: Set(key.sides.origin_status),
                amount_fen: Set(sums.0),
                quantity: Set(sums.1),
                entries: Set(sums.2),
            })
            .collect();
        let by_buyer = self
            .by_buyer
            .into_iter()
            .map(
                |((month, buyer, place), sums)| ledger_buyer_tally::ActiveModel {
                    month: Set(month),
                    buyer_org_id: Set(buyer),
                    buyer_region_code: Set(place),
                    amount_fen: Set(sums.0),
                    quantity: Set(sums.1),
                    entries: Set(sums.2),
                },
            )
            .collect();
        RollupRows {
            fine,
            by_county,
            by_buyer,
        }
    }
}

fn add_to(sums: &mut Sums, entry: &ledger_entry::Model) {
    sums.0 += entry.amount_fen;
    sums.1 += entry.quantity;
    sums.2 += 1;
    sums.3 = Ord::max(sums.3, entry.poor_households_linked);
}

/// Adds rows to the monthly rollups (one upsert: the grain is unique); a row keeps the most
/// linked households declared.
async fn upsert_tallies(
    conn: &impl ConnectionTrait,
    rows: Vec<ledger_tally::ActiveModel>,
) -> AppResult<()> {
    use ledger_tally::Column as T;
    let add = |column: T| {
        Expr::col((ledger_tally::Entity, column)).add(Expr::col((Alias::new("excluded"), column)))
    };
    let most = Expr::cust(
        "CASE WHEN excluded.households_linked > ledger_tallies.households_linked \
         THEN excluded.households_linked ELSE ledger_tallies.households_linked END",
    );
    ledger_tally::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                T::Month,
                T::RegionCode,
                T::BuyerOrgId,
                T::BuyerKind,
                T::ProducerOrgId,
                T::Category,
                T::Certified,
                T::Paired,
                T::BuyerRegionCode,
                T::PairingKind,
                T::OriginStatus,
                T::ProducerKind,
                T::PairingId,
                T::Channel,
                T::Purpose,
                T::Reported,
            ])
            .value(T::AmountFen, add(T::AmountFen))
            .value(T::Quantity, add(T::Quantity))
            .value(T::Entries, add(T::Entries))
            .value(T::HouseholdsLinked, most)
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Adds rows to the county rollups, which year-long summaries by place or buyer kind read.
async fn upsert_county_tallies(
    conn: &impl ConnectionTrait,
    rows: Vec<ledger_county_tally::ActiveModel>,
) -> AppResult<()> {
    use ledger_county_tally::Column as C;
    let add = |column: C| {
        Expr::col((ledger_county_tally::Entity, column))
            .add(Expr::col((Alias::new("excluded"), column)))
    };
    ledger_county_tally::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                C::Month,
                C::CountyCode,
                C::BuyerKind,
                C::Certified,
                C::Paired,
                C::BuyerAreaCode,
                C::PairingId,
                C::PairingKind,
                C::OriginStatus,
            ])
            .value(C::AmountFen, add(C::AmountFen))
            .value(C::Quantity, add(C::Quantity))
            .value(C::Entries, add(C::Entries))
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Adds rows to the buyer rollups, which rankings and allocations read.
async fn upsert_buyer_tallies(
    conn: &impl ConnectionTrait,
    rows: Vec<ledger_buyer_tally::ActiveModel>,
) -> AppResult<()> {
    use ledger_buyer_tally::Column as B;
    let add = |column: B| {
        Expr::col((ledger_buyer_tally::Entity, column))
            .add(Expr::col((Alias::new("excluded"), column)))
    };
    ledger_buyer_tally::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([B::Month, B::BuyerOrgId, B::BuyerRegionCode])
                .value(B::AmountFen, add(B::AmountFen))
                .value(B::Quantity, add(B::Quantity))
                .value(B::Entries, add(B::Entries))
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Writes a negative entry per refunded line, pointing at the line's sale and classified as it
/// was: a refund corrects the sale, it does not re-judge it.
pub async fn record_refund(
    conn: &impl ConnectionTrait,
    refunds: &[(order_line::Model, i64)],
    day: NaiveDate,
) -> AppResult<Vec<ledger_entry::Model>> {
    // A line has a sale per receipt that accepted some of it (one per shipment): each refund
    // entry points at one sale and takes no more of it than it sold less its earlier refunds.
    let recorded = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::OrderLineId.is_in(refunds.iter().map(|(line, _)| line.id)))
        .order_by_asc(ledger_entry::Column::Seq)
        .all(conn)
        .await?;
    let mut refunded: HashMap<Uuid, i64> = HashMap::new();
    for entry in recorded
        .iter()
        .filter(|e| e.kind == LedgerEntryKind::Refund)
    {
        if let Some(sale) = entry.refund_of {
            *refunded.entry(sale).or_default() -= entry.quantity;
        }
    }
    let mut entries = Vec::with_capacity(refunds.len());
    for (line, quantity) in refunds {
        let sales: Vec<&ledger_entry::Model> = recorded
            .iter()
            .filter(|e| e.kind == LedgerEntryKind::Sale && e.order_line_id == Some(line.id))
            .collect();
        let left: Vec<(Uuid, i64)> = sales
            .iter()
            .map(|s| (s.id, s.quantity - refunded.get(&s.id).copied().unwrap_or(0)))
            .collect();
        let parts = split_refund(&left, *quantity).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "the sales of line {} cannot take a refund of {quantity}",
                line.id
            ))
        })?;
        for (sale_id, part) in parts {
            let Some(sale) = sales.iter().find(|s| s.id == sale_id) else {
                continue;
            };
            *refunded.entry(sale_id).or_default() += part;
            entries.push(ledger_entry::Model {
                id: new_uuid(),
                kind: LedgerEntryKind::Refund,
                refund_of: Some(sale.id),
                quantity: -part,
                amount_fen: -(line.price_fen * part),
                reporting_year: day.year(),
                occurred_on: day,
                recorded_at: Utc::now(),
                ..(*sale).clone()
            });
        }
    }
    append(conn, entries).await
}

/// Splits a refund of `quantity` over sales (ID and what is left of each, oldest first): the
/// oldest sales first, never more of one than is left of it. `None` when they hold too little.
pub fn split_refund(sales: &[(Uuid, i64)], quantity: i64) -> Option<Vec<(Uuid, i64)>> {
    let mut wanted = quantity;
    let mut parts = Vec::new();
    for (sale, left) in sales {
        if wanted == 0 {
            break;
        }
        let part = std::cmp::min(wanted, *left);
        if part > 0 {
            parts.push((*sale, part));
            wanted -= part;
        }
    }
    (wanted == 0).then_some(parts)
}

/// Which side of a sale puts it in a region's figures. The origin side (central and western
/// provinces) reports what its producers sold; the consumption side (eastern provinces) what the
/// units located in it bought, wherever from; both counts a sale once if either side is in it.
#[derive(async_graphql::Enum, Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum LedgerView {
    /// Sales by producers located in the region (销售).
    Origin,
    /// Purchases by units located in the region (采购).
    Buyer,
    /// Either side in the region, each sale once.
    #[default]
    Both,
}

/// Where a ledger table keeps a sale's two places: the producer's and the buyer's.
#[derive(Clone, Debug)]
pub struct Places {
    pub origin: SimpleExpr,
    pub buyer: SimpleExpr,
}

impl Places {
    pub fn new(origin: impl IntoSimpleExpr, buyer: impl IntoSimpleExpr) -> Self {
        Self {
            origin: origin.into_simple_expr(),
            buyer: buyer.into_simple_expr(),
        }
    }

    /// The places of `ledger_entries`.
    pub fn of_entries() -> Self {
        Self::new(
            ledger_entry::Column::RegionCode,
            ledger_entry::Column::BuyerRegionCode,
        )
    }

    /// The sales in `code`'s subtree as `view` counts them.
    pub fn within(&self, view: LedgerView, code: &str) -> Condition {
        match view {
            LedgerView::Origin => subtree(self.origin.clone(), code),
            LedgerView::Buyer => subtree(self.buyer.clone(), code),
            LedgerView::Both => Condition::any()
                .add(subtree(self.origin.clone(), code))
                .add(subtree(self.buyer.clone(), code)),
        }
    }
}

/// How much of the ledger a viewer may read: staff the sales of their region subtrees
/// (everything when nationwide) on the side `view` names, a buyer or producer its own sales, a
/// supervising department also those of the units it supervises
/// (`org::links::supervised_units`, as `Sight::orders` reads their orders).
pub struct Reach {
    scope: Scope,
    organization: Option<Uuid>,
    supervised: Vec<Uuid>,
    view: LedgerView,
}

impl Reach {
    pub async fn of(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Reach> {
        let organization = membership_of(conn, viewer.user_id)
            .await?
            .map(|m| m.organization_id);
        let supervised = match organization {
            Some(org) => crate::org::links::supervised_units(conn, org).await?,
            None => Vec::new(),
        };
        Ok(Reach {
            scope: scope::reading(conn, viewer).await?,
            organization,
            supervised,
            view: LedgerView::Both,
        })
    }

    /// The same reach, with staff regions read from the side `view` names.
    #[must_use]
    pub fn viewing(self, view: LedgerView) -> Self {
        Self { view, ..self }
    }

    pub fn view(&self) -> LedgerView {
        self.view
    }

    /// The condition on a table with these places and buyer and producer columns.
    pub fn condition(
        &self,
        places: &Places,
        buyer: impl ColumnTrait,
        producer: impl ColumnTrait,
    ) -> AppResult<Condition> {
        if self.scope.is_nationwide() {
            return Ok(Condition::all());
        }
        let mut any = Condition::any();
        for code in self.scope.regions() {
            any = any.add(places.within(self.view, code));
        }
        if let Some(org) = self.organization {
            any = any.add(buyer.eq(org)).add(producer.eq(org));
        }
        if !self.supervised.is_empty() {
            any = any.add(buyer.is_in(self.supervised.iter().copied()));
        }
        if any.is_empty() {
            return Err(AppError::Forbidden("forbidden.ledger_staff_parties_sale"));
        }
        Ok(any)
    }

    /// Whether whole counties bound what this reach reads, so the county rollups can answer:
    /// staff of a county or above with no organisation of their own.
    pub fn sees_whole_counties(&self) -> bool {
        self.organization.is_none()
            && (self.scope.is_nationwide()
                || (!self.scope.regions().is_empty()
                    && self.scope.regions().iter().all(|code| code.len() <= 6)))
    }

    /// The condition on a county rollup's places (origin county, buyer county); refused
    /// unless [`Reach::sees_whole_counties`].
    pub fn county_condition(&self, places: &Places) -> AppResult<Condition> {
        if !self.sees_whole_counties() {
            return Err(AppError::Forbidden("forbidden.ledger_staff_parties_sale"));
        }
        if self.scope.is_nationwide() {
            return Ok(Condition::all());
        }
        let mut any = Condition::any();
        for code in self.scope.regions() {
            any = any.add(places.within(self.view, code));
        }
        Ok(any)
    }
}

/// What a verification found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub checked: u64,
    /// The first entry whose hash, link or sequence does not match, and why.
    pub first_mismatch: Option<(ledger_entry::Model, String)>,
    /// Entries missing at the end (the chain's tip says more were written).
    pub missing_tail: bool,
}

const CHUNK: u64 = 1000;

/// What is wrong with `entry` where the chain expects sequence `expected_seq` linked to
/// `expected_prev`, if anything: every verification of the chain checks entries with this.
pub fn problem_with(
    entry: &ledger_entry::Model,
    expected_seq: i64,
    expected_prev: &str,
) -> Option<String> {
    if entry.seq != expected_seq {
        Some(format!("entry {expected_seq} is missing"))
    } else if entry.prev_hash != expected_prev {
        Some("its link to the previous entry does not match".to_owned())
    } else if hash_of(entry) != entry.hash {
        Some("its content does not match its hash".to_owned())
    } else if !chains_match(entry) {
        Some("its place codes do not match its places".to_owned())
    } else {
        None
    }
}

/// Recomputes the chain over the entries that occurred in `from..=to` (all when open), in
/// sequence order, a chunk at a time.
pub async fn verify(
    db: &DatabaseConnection,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<Verification> {
    let mut bounds = ledger_entry::Entity::find();
    if let Some(from) = from {
        bounds = bounds.filter(ledger_entry::Column::OccurredOn.gte(from));
    }
    if let Some(to) = to {
        bounds = bounds.filter(ledger_entry::Column::OccurredOn.lte(to));
    }
    let first = bounds
        .clone()
        .order_by_asc(ledger_entry::Column::Seq)
        .one(db)
        .await?;
    let last = bounds
        .order_by_desc(ledger_entry::Column::Seq)
        .one(db)
        .await?;
    let mut result = Verification {
        checked: 0,
        first_mismatch: None,
        missing_tail: false,
    };
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(result);
    };
    let mut expected_prev = if first.seq == 1 {
        GENESIS.to_owned()
    } else {
        ledger_entry::Entity::find()
            .filter(ledger_entry::Column::Seq.eq(first.seq - 1))
            .one(db)
            .await?
            .map(|e| e.hash)
            .unwrap_or_default()
    };
    let mut expected_seq = first.seq;
    loop {
        let chunk = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::Seq.gte(expected_seq))
            .filter(ledger_entry::Column::Seq.lte(last.seq))
            .order_by_asc(ledger_entry::Column::Seq)
            .limit(CHUNK)
            .all(db)
            .await?;
        if chunk.is_empty() {
            break;
        }
        for entry in chunk {
            if let Some(problem) = problem_with(&entry, expected_seq, &expected_prev) {
                result.first_mismatch = Some((entry, problem));
                return Ok(result);
            }
            result.checked += 1;
            expected_prev = entry.hash.clone();
            expected_seq += 1;
        }
        if expected_seq > last.seq {
            break;
        }
    }
    if to.is_none() {
        let head = ledger_head::Entity::find_by_id(1).one(db).await?;
        result.missing_tail = head.is_some_and(|h| h.seq != last.seq || h.last_hash != last.hash);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_splits_over_sales_never_past_what_is_left_of_one() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        // Oldest first, and what an earlier refund took of a sale is not taken again.
        assert_eq!(
            split_refund(&[(a, 2), (b, 5)], 4),
            Some(vec![(a, 2), (b, 2)])
        );
        assert_eq!(split_refund(&[(a, 0), (b, 5)], 5), Some(vec![(b, 5)]));
        assert_eq!(
            split_refund(&[(a, 3), (b, 5), (c, 1)], 3),
            Some(vec![(a, 3)])
        );
        assert_eq!(split_refund(&[(a, 2), (b, 1)], 4), None);
        assert_eq!(split_refund(&[], 1), None);
    }
    use entity::pairing::PairingKind;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0000 | n)
    }

    /// A fixed entry; distinct IDs, so a change of field order changes the bytes.
    fn entry() -> ledger_entry::Model {
        ledger_entry::Model {
            id: id(1),
            seq: 1,
            kind: LedgerEntryKind::Sale,
            refund_of: None,
            channel: LedgerChannel::Fair,
            order_id: Some(id(2)),
            order_line_id: Some(id(3)),
            report_line_id: None,
            outlet_id: None,
            fair_id: Some(id(9)),
            purpose: Purpose::UnionWelfare,
            buyer_org_id: id(4),
            buyer_kind: BuyerKind::Canteen,
            buyer_region_code: "110105".into(),
            buyer_province_code: "11".into(),
            buyer_city_code: Some("1101".into()),
            buyer_county_code: Some("110105".into()),
            producer_org_id: id(5),
            producer_kind: Some(ProducerKind::Cooperative),
            product_id: id(6),
            product_name: "灵寿红薯".into(),
            category: ProductCategory::GrainOil,
            quantity: 10,
            amount_fen: 45_000,
            region_code: "130126204207".into(),
            province_code: "13".into(),
            city_code: "1301".into(),
            county_code: "130126".into(),
            township_code: Some("130126204".into()),
            village_code: Some("130126204207".into()),
            province_status: PovertyStatus::NotPoor,
            city_status: PovertyStatus::NotPoor,
            county_status: PovertyStatus::Poor,
            township_status: Some(PovertyStatus::NotPoor),
            village_status: Some(PovertyStatus::Poor),
            certified: true,
            poor_households_linked: 86,
            paired: true,
            pairing_id: Some(id(8)),
            pairing_kind: Some(PairingKind::EastWest),
            reporting_year: 2026,
            occurred_on: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
            recorded_at: Utc::now(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        }
    }

    /// The exact bytes hashed, and the hash: if this test fails, every stored hash would stop
    /// verifying. Change it only together with a migration that re-chains the ledger.
    #[test]
    fn the_hashed_bytes_are_pinned() {
        let expected = [
            "1",
            "00000000-0000-7000-8000-000000000001",
            "SALE",
            "",
            "00000000-0000-7000-8000-000000000002",
            "00000000-0000-7000-8000-000000000003",
            "00000000-0000-7000-8000-000000000004",
            "CANTEEN",
            "00000000-0000-7000-8000-000000000005",
            "00000000-0000-7000-8000-000000000006",
            "灵寿红薯",
            "GRAIN_OIL",
            "10",
            "45000",
            "130126204207",
            "NOT_POOR",
            "NOT_POOR",
            "POOR",
            "NOT_POOR",
            "POOR",
            "true",
            "86",
            "true",
            "2026",
            "2026-11-23",
            "110105",
            "COOPERATIVE",
            "00000000-0000-7000-8000-000000000008",
            "EAST_WEST",
            "FAIR",
            "",
            "",
            "00000000-0000-7000-8000-000000000009",
            "UNION_WELFARE",
            GENESIS,
        ]
        .join("\u{1f}");
        assert_eq!(preimage_of(&entry()), expected);
        // sha256 of the bytes above, computed outside Rust (Python's hashlib).
        assert_eq!(
            hash_of(&entry()),
            "4b087dc61872027f42607883db7d72caa255b5433a790c53f444862aa5b8f194"
        );
    }

    #[test]
    fn place_codes_must_be_the_prefixes_of_the_places() {
        assert!(chains_match(&entry()));
        let mut county = entry();
        county.buyer_county_code = Some("110106".into());
        let mut origin = entry();
        origin.county_code = "130127".into();
        let mut above_county = entry();
        above_county.buyer_region_code = "1101".into();
        above_county.buyer_county_code = None;
        assert!(!chains_match(&county) && !chains_match(&origin));
        assert!(chains_match(&above_county), "a city buyer has no county");
    }

    #[test]
    fn a_sale_counts_toward_the_most_specific_pairing() {
        let pairing = |n: u128, helped: &str| pairing::Model {
            id: id(n),
            helper_region_code: Some("11".into()),
            helper_org_id: None,
            helped_region_code: helped.into(),
            kind: PairingKind::EastWest,
            starts_on: NaiveDate::default(),
            ends_on: None,
            created_by: None,
            created_at: Utc::now(),
        };
        let pairings = [
            pairing(3, "130126"),
            pairing(1, "130126204207"),
            pairing(2, "130126204207"),
            pairing(4, "140000"),
        ];
        let found = counting_pairing(&pairings, "130126204207").map(|p| p.id);
        assert_eq!(found, Some(id(1)), "the village's, then the earliest");
        let county = counting_pairing(&pairings, "130126100201").map(|p| p.id);
        assert_eq!(county, Some(id(3)));
        assert_eq!(counting_pairing(&pairings, "150000000000"), None);
    }

    #[test]
    fn a_refund_hashes_its_kind_and_the_sale_it_corrects() {
        let mut refund = entry();
        refund.kind = LedgerEntryKind::Refund;
        refund.refund_of = Some(id(7));
        let preimage = preimage_of(&refund);
        assert!(
            preimage.starts_with(
                "1\u{1f}00000000-0000-7000-8000-000000000001\u{1f}REFUND\u{1f}00000000-0000-7000-8000-000000000007\u{1f}"
            ),
            "{preimage}"
        );
    }

    #[test]
    fn any_change_of_content_or_link_changes_the_hash() {
        let original = hash_of(&entry());
        let mut amount = entry();
        amount.amount_fen += 1;
        let mut link = entry();
        link.prev_hash = "1".repeat(64);
        let mut status = entry();
        status.county_status = PovertyStatus::NotPoor;
        let mut kind = entry();
        kind.buyer_kind = BuyerKind::School;
        let mut category = entry();
        category.category = ProductCategory::Vegetables;
        let mut buyer_place = entry();
        buyer_place.buyer_region_code = "310101".into();
        let mut pairing = entry();
        pairing.pairing_kind = Some(PairingKind::Designated);
        let mut producer_kind = entry();
        producer_kind.producer_kind = Some(ProducerKind::LeadingEnterprise);
        for changed in [
            amount,
            link,
            status,
            kind,
            category,
            buyer_place,
            pairing,
            producer_kind,
        ] {
            assert_ne!(hash_of(&changed), original);
        }
        assert_eq!(hash_of(&entry()), original, "the hash is deterministic");
    }
}
