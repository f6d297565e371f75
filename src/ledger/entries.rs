//! Appending to and verifying the ledger. Each entry's hash covers its content and the previous
//! entry's hash; the single `ledger_head` row is locked while appending, so the chain has no
//! gaps or forks even when receipts land concurrently.

use chrono::{Datelike, NaiveDate, Utc};
use entity::{
    api_name::ApiName,
    buyer::BuyerKind,
    ledger_county_tally,
    ledger_entry::{self, LedgerEntryKind},
    ledger_head, ledger_tally, order, order_line,
    product::{self, ProductCategory},
    region::PovertyStatus,
};
use migration::GENESIS;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Alias, Expr, OnConflict},
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
        entry.order_id.to_string(),
        entry.order_line_id.to_string(),
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
        .filter_map(|line| {
            let quantity = line.accepted_quantity.unwrap_or(0);
            (quantity > 0).then_some((line, quantity))
        })
        .collect();
    if accepted.is_empty() {
        return Ok(Vec::new());
    }
    let (_, producer) = producers::load(conn, order.producer_org_id).await?;
    let (_, buyer) = buyers::load(conn, order.buyer_org_id).await?;
    let code = producer.region_code.clone();
    let county_code: String = code.chars().take(6).collect();
    // The status each level of the chain had on the day of the sale.
    let statuses = regions::chain_statuses_on(conn, &code, day).await?;
    let status_at = |length: usize| statuses.get(&length).copied();
    let paired = regions::pairings_helping_buyer(conn, &buyer, day)
        .await?
        .iter()
        .any(|p| code.starts_with(p.helped_region_code.as_str()));
    let certified: HashSet<Uuid> = product::Entity::find()
        .filter(product::Column::Id.is_in(accepted.iter().map(|(line, _)| line.product_id)))
        .all(conn)
        .await?
        .into_iter()
        .filter(|p| p.certified_on(day))
        .map(|p| p.id)
        .collect();
    let mut entries = Vec::with_capacity(accepted.len());
    for (line, quantity) in accepted {
        entries.push(ledger_entry::Model {
            id: new_uuid(),
            seq: 0,
            kind: LedgerEntryKind::Sale,
            refund_of: None,
            order_id: order.id,
            order_line_id: line.id,
            buyer_org_id: buyer.organization_id,
            buyer_kind: buyer.kind,
            producer_org_id: producer.organization_id,
            product_id: line.product_id,
            product_name: line.product_name.clone(),
            category: line.category,
            quantity,
            amount_fen: line.price_fen * quantity,
            region_code: code.clone(),
            province_code: code.chars().take(2).collect(),
            city_code: code.chars().take(4).collect(),
            county_code: county_code.clone(),
            township_code: (code.len() >= 9).then(|| code.chars().take(9).collect()),
            village_code: (code.len() == 12).then(|| code.clone()),
            province_status: status_at(2).unwrap_or(PovertyStatus::NotPoor),
            city_status: status_at(4).unwrap_or(PovertyStatus::NotPoor),
            county_status: status_at(6).unwrap_or(PovertyStatus::NotPoor),
            township_status: status_at(9),
            village_status: status_at(12),
            certified: certified.contains(&line.product_id),
            poor_households_linked: producer.poor_households_linked,
            paired,
            reporting_year: day.year(),
            occurred_on: day,
            recorded_at: Utc::now(),
            prev_hash: String::new(),
            hash: String::new(),
        });
    }
    append(conn, entries).await
}

/// Locks the chain's tip and returns it: appends run one after another.
async fn lock_head(conn: &impl ConnectionTrait) -> AppResult<ledger_head::Model> {
    ledger_head::Entity::find_by_id(1)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ledger head missing")))
}

/// Adds the entries to their rollups, then locks the chain's tip, links the entries to it and
/// writes them in one statement. Rollups go first and in key order: the tip stays locked only
/// for the write, and every append takes its row locks in the same order, so none deadlock.
async fn append(
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
    let (fine, by_county) = rollups.into_rows(new_uuid);
    upsert_tallies(conn, fine).await?;
    upsert_county_tallies(conn, by_county).await?;
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
    ledger_entry::Entity::insert_many(entries.iter().cloned().map(ledger_entry::ActiveModel::from))
        .exec_without_returning(conn)
        .await?;
    let mut tip: ledger_head::ActiveModel = head.into();
    tip.seq = Set(seq);
    tip.last_hash = Set(prev);
    tip.update(conn).await?;
    Ok(entries)
}

/// Amount, quantity and count of entries.
type Sums = (i64, i64, i64);
/// A monthly rollup's grain: month, region, buyer, buyer kind, producer, category, certified,
/// paired.
type TallyKey = (
    String,
    String,
    Uuid,
    BuyerKind,
    Uuid,
    ProductCategory,
    bool,
    bool,
);
/// A county rollup's grain: month, county, buyer kind, certified, paired.
type CountyKey = (String, String, BuyerKind, bool, bool);

/// What entries add to the rollups, summed per row (a statement may touch each row once) and
/// in key order. Appends and the data generator both build their rollups with it.
#[derive(Default)]
pub struct Rollups {
    fine: BTreeMap<TallyKey, Sums>,
    by_county: BTreeMap<CountyKey, Sums>,
}

impl Rollups {
    pub fn add(&mut self, entry: &ledger_entry::Model) {
        let month = entry.occurred_on.format("%Y-%m").to_string();
        let fine = self
            .fine
            .entry((
                month.clone(),
                entry.region_code.clone(),
                entry.buyer_org_id,
                entry.buyer_kind,
                entry.producer_org_id,
                entry.category,
                entry.certified,
                entry.paired,
            ))
            .or_default();
        add_to(fine, entry);
        let by_county = self
            .by_county
            .entry((
                month,
                entry.county_code.clone(),
                entry.buyer_kind,
                entry.certified,
                entry.paired,
            ))
            .or_default();
        add_to(by_county, entry);
    }

    /// The rows, monthly and by county; `id` names each new monthly row.
    pub fn into_rows(
        self,
        mut id: impl FnMut() -> Uuid,
    ) -> (
        Vec<ledger_tally::ActiveModel>,
        Vec<ledger_county_tally::ActiveModel>,
    ) {
        let fine = self
            .fine
            .into_iter()
            .map(
                |((month, region, buyer, kind, producer, category, certified, paired), sums)| {
                    ledger_tally::ActiveModel {
                        id: Set(id()),
                        month: Set(month),
                        region_code: Set(region),
                        buyer_org_id: Set(buyer),
                        buyer_kind: Set(kind),
                        producer_org_id: Set(producer),
                        category: Set(category),
                        certified: Set(certified),
                        paired: Set(paired),
                        amount_fen: Set(sums.0),
                        quantity: Set(sums.1),
                        entries: Set(sums.2),
                    }
                },
            )
            .collect();
        let by_county = self
            .by_county
            .into_iter()
            .map(|((month, county, kind, certified, paired), sums)| {
                ledger_county_tally::ActiveModel {
                    month: Set(month),
                    county_code: Set(county),
                    buyer_kind: Set(kind),
                    certified: Set(certified),
                    paired: Set(paired),
                    amount_fen: Set(sums.0),
                    quantity: Set(sums.1),
                    entries: Set(sums.2),
                }
            })
            .collect();
        (fine, by_county)
    }
}

fn add_to(sums: &mut Sums, entry: &ledger_entry::Model) {
    sums.0 += entry.amount_fen;
    sums.1 += entry.quantity;
    sums.2 += 1;
}

/// Adds rows to the monthly rollups (one upsert: the grain is unique).
async fn upsert_tallies(
    conn: &impl ConnectionTrait,
    rows: Vec<ledger_tally::ActiveModel>,
) -> AppResult<()> {
    use ledger_tally::Column as T;
    let add = |column: T| {
        Expr::col((ledger_tally::Entity, column)).add(Expr::col((Alias::new("excluded"), column)))
    };
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
            ])
            .value(T::AmountFen, add(T::AmountFen))
            .value(T::Quantity, add(T::Quantity))
            .value(T::Entries, add(T::Entries))
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

/// Writes a negative entry per refunded line, pointing at the line's sale and classified as it
/// was: a refund corrects the sale, it does not re-judge it.
pub async fn record_refund(
    conn: &impl ConnectionTrait,
    refunds: &[(order_line::Model, i64)],
    day: NaiveDate,
) -> AppResult<Vec<ledger_entry::Model>> {
    let sales: HashMap<Uuid, ledger_entry::Model> = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::OrderLineId.is_in(refunds.iter().map(|(line, _)| line.id)))
        .filter(ledger_entry::Column::Kind.eq(LedgerEntryKind::Sale))
        .all(conn)
        .await?
        .into_iter()
        .map(|sale| (sale.order_line_id, sale))
        .collect();
    let mut entries = Vec::with_capacity(refunds.len());
    for (line, quantity) in refunds {
        let sale = sales.get(&line.id).cloned().ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("no sale recorded for line {}", line.id))
        })?;
        entries.push(ledger_entry::Model {
            id: new_uuid(),
            kind: LedgerEntryKind::Refund,
            refund_of: Some(sale.id),
            quantity: -quantity,
            amount_fen: -(line.price_fen * quantity),
            reporting_year: day.year(),
            occurred_on: day,
            recorded_at: Utc::now(),
            ..sale
        });
    }
    append(conn, entries).await
}

/// How much of the ledger a viewer may read: staff their region subtrees (everything when
/// nationwide), a buyer or producer its own sales, a supervising department also those of the
/// units it supervises (`org::links::supervised_units`, as `Sight::orders` reads their orders).
pub struct Reach {
    scope: Scope,
    organization: Option<Uuid>,
    supervised: Vec<Uuid>,
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
        })
    }

    /// The condition on a table with these region, buyer and producer columns.
    pub fn condition(
        &self,
        region: impl ColumnTrait,
        buyer: impl ColumnTrait,
        producer: impl ColumnTrait,
    ) -> AppResult<Condition> {
        if self.scope.is_nationwide() {
            return Ok(Condition::all());
        }
        let mut any = Condition::any();
        for code in self.scope.regions() {
            any = any.add(subtree(region, code));
        }
        if let Some(org) = self.organization {
            any = any.add(buyer.eq(org)).add(producer.eq(org));
        }
        if !self.supervised.is_empty() {
            any = any.add(buyer.is_in(self.supervised.iter().copied()));
        }
        if any.is_empty() {
            return Err(AppError::Forbidden(
                "the ledger is for staff and the parties to a sale",
            ));
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

    /// The condition on a county rollup's county column; refused unless
    /// [`Reach::sees_whole_counties`].
    pub fn county_condition(&self, county: impl ColumnTrait) -> AppResult<Condition> {
        if !self.sees_whole_counties() {
            return Err(AppError::Forbidden(
                "the ledger is for staff and the parties to a sale",
            ));
        }
        let mut any = Condition::any();
        if self.scope.is_nationwide() {
            return Ok(Condition::all());
        }
        for code in self.scope.regions() {
            any = any.add(subtree(county, code));
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
            let problem = if entry.seq != expected_seq {
                Some(format!("entry {expected_seq} is missing"))
            } else if entry.prev_hash != expected_prev {
                Some("its link to the previous entry does not match".to_owned())
            } else if hash_of(&entry) != entry.hash {
                Some("its content does not match its hash".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
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
            order_id: id(2),
            order_line_id: id(3),
            buyer_org_id: id(4),
            buyer_kind: BuyerKind::Canteen,
            producer_org_id: id(5),
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
            paired: false,
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
            "false",
            "2026",
            "2026-11-23",
            GENESIS,
        ]
        .join("\u{1f}");
        assert_eq!(preimage_of(&entry()), expected);
        // sha256 of the bytes above, computed outside Rust (Python's hashlib).
        assert_eq!(
            hash_of(&entry()),
            "7fb732b8c62fbb260268631a3a7af091fa68d3b14ab4f68ef66b34669ed77568"
        );
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
        for changed in [amount, link, status, kind, category] {
            assert_ne!(hash_of(&changed), original);
        }
        assert_eq!(hash_of(&entry()), original, "the hash is deterministic");
    }
}
