//! The ledger stores and hashes enumerations by their API values (`CANTEEN`, `GRAIN_OIL`,
//! `SALE`), no longer by Rust's `Debug` names (`Canteen`, `GrainOil`, `Sale`), so renaming a Rust
//! variant can never change a stored value or a hash. This migration converts `ledger_entries`,
//! `ledger_tallies` and `ledger_county_tallies`, and re-chains every entry's hash and the tip in
//! `ledger_head`, with the append-only triggers dropped for the rewrite and recreated after it.
//!
//! It first checks each entry against the old hash and link: it refuses to migrate a ledger that
//! does not verify, rather than re-hash (and so launder) an altered one. It runs in one
//! transaction on both databases, so it applies entirely or not at all. `down` re-chains back
//! to the old format, checked the same way.
//!
//! The formats are frozen here on purpose: the application's hash may change later only with a
//! migration of its own.

use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement},
};
use sha2::{Digest, Sha256};

use crate::m20261123_000004_ledger::GENESIS;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `BuyerKind`: the `Debug` name stored before, and the API value stored now.
const BUYER_KINDS: [(&str, &str); 10] = [
    ("Agency", "AGENCY"),
    ("StateEnterprise", "STATE_ENTERPRISE"),
    ("School", "SCHOOL"),
    ("Hospital", "HOSPITAL"),
    ("ArmyUnit", "ARMY_UNIT"),
    ("Canteen", "CANTEEN"),
    ("Supermarket", "SUPERMARKET"),
    ("PrivateEnterprise", "PRIVATE_ENTERPRISE"),
    ("SocialOrganization", "SOCIAL_ORGANIZATION"),
    ("Individual", "INDIVIDUAL"),
];

/// `ProductCategory`, likewise.
const CATEGORIES: [(&str, &str); 13] = [
    ("GrainOil", "GRAIN_OIL"),
    ("Vegetables", "VEGETABLES"),
    ("Fruit", "FRUIT"),
    ("Meat", "MEAT"),
    ("PoultryEggs", "POULTRY_EGGS"),
    ("Aquatic", "AQUATIC"),
    ("EdibleFungi", "EDIBLE_FUNGI"),
    ("HerbalMedicine", "HERBAL_MEDICINE"),
    ("Tea", "TEA"),
    ("ProcessedFood", "PROCESSED_FOOD"),
    ("Handicrafts", "HANDICRAFTS"),
    ("RuralTourism", "RURAL_TOURISM"),
    ("LabourServices", "LABOUR_SERVICES"),
];

/// `LedgerEntryKind`: the column always held `SALE`/`REFUND`, but the old hash used `Debug`.
const KINDS: [(&str, &str); 2] = [("Sale", "SALE"), ("Refund", "REFUND")];

/// The two formats: Rust's `Debug` names (before) and the API values (after).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Format {
    Rust,
    Api,
}

impl Format {
    /// `value`, in either format, written in this one.
    fn write(self, table: &[(&'static str, &'static str)], value: &str) -> Option<&'static str> {
        table
            .iter()
            .find(|(rust, api)| *rust == value || *api == value)
            .map(|(rust, api)| match self {
                Self::Rust => *rust,
                Self::Api => *api,
            })
    }
}

const CHUNK: i64 = 500;

/// An entry's hashed fields, as stored.
struct Row {
    seq: i64,
    id: String,
    kind: String,
    refund_of: String,
    order_id: String,
    order_line_id: String,
    buyer_org_id: String,
    buyer_kind: String,
    producer_org_id: String,
    product_id: String,
    product_name: String,
    category: String,
    quantity: i64,
    amount_fen: i64,
    region_code: String,
    province_status: String,
    city_status: String,
    county_status: String,
    township_status: String,
    village_status: String,
    certified: bool,
    poor_households_linked: i32,
    paired: bool,
    reporting_year: i32,
    occurred_on: String,
    prev_hash: String,
    hash: String,
}

impl Row {
    fn read(row: &QueryResult) -> Result<Row, DbErr> {
        use sea_orm_migration::sea_orm::prelude::{Date, Uuid};
        let uuid = |column: &str| row.try_get::<Uuid>("", column).map(|u| u.to_string());
        Ok(Row {
            seq: row.try_get("", "seq")?,
            id: uuid("id")?,
            kind: row.try_get("", "kind")?,
            refund_of: row
                .try_get::<Option<Uuid>>("", "refund_of")?
                .map(|u| u.to_string())
                .unwrap_or_default(),
            order_id: uuid("order_id")?,
            order_line_id: uuid("order_line_id")?,
            buyer_org_id: uuid("buyer_org_id")?,
            buyer_kind: row.try_get("", "buyer_kind")?,
            producer_org_id: uuid("producer_org_id")?,
            product_id: uuid("product_id")?,
            product_name: row.try_get("", "product_name")?,
            category: row.try_get("", "category")?,
            quantity: row.try_get("", "quantity")?,
            amount_fen: row.try_get("", "amount_fen")?,
            region_code: row.try_get("", "region_code")?,
            province_status: row.try_get("", "province_status")?,
            city_status: row.try_get("", "city_status")?,
            county_status: row.try_get("", "county_status")?,
            township_status: row
                .try_get::<Option<String>>("", "township_status")?
                .unwrap_or_default(),
            village_status: row
                .try_get::<Option<String>>("", "village_status")?
                .unwrap_or_default(),
            certified: row.try_get("", "certified")?,
            poor_households_linked: row.try_get("", "poor_households_linked")?,
            paired: row.try_get("", "paired")?,
            reporting_year: row.try_get("", "reporting_year")?,
            occurred_on: row.try_get::<Date>("", "occurred_on")?.to_string(),
            prev_hash: row.try_get("", "prev_hash")?,
            hash: row.try_get("", "hash")?,
        })
    }

    /// The hash with these enumeration texts and this link (the pre-image of
    /// `ledger::service::preimage_of`).
    fn hash(&self, kind: &str, buyer_kind: &str, category: &str, prev_hash: &str) -> String {
        let fields = [
            self.seq.to_string(),
            self.id.clone(),
            kind.to_owned(),
            self.refund_of.clone(),
            self.order_id.clone(),
            self.order_line_id.clone(),
            self.buyer_org_id.clone(),
            buyer_kind.to_owned(),
            self.producer_org_id.clone(),
            self.product_id.clone(),
            self.product_name.clone(),
            category.to_owned(),
            self.quantity.to_string(),
            self.amount_fen.to_string(),
            self.region_code.clone(),
            self.province_status.clone(),
            self.city_status.clone(),
            self.county_status.clone(),
            self.township_status.clone(),
            self.village_status.clone(),
            self.certified.to_string(),
            self.poor_households_linked.to_string(),
            self.paired.to_string(),
            self.reporting_year.to_string(),
            self.occurred_on.clone(),
            prev_hash.to_owned(),
        ];
        let digest = Sha256::digest(fields.join("\u{1f}").as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn refuse(seq: i64, why: &str) -> DbErr {
    DbErr::Migration(format!(
        "ledger entry {seq} does not verify in the old format ({why}): not re-hashing an altered \
         ledger; restore it from a backup or investigate before migrating"
    ))
}

pub(crate) async fn drop_triggers(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(
                "DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries",
            )
            .await?;
        }
        _ => {
            for event in ["UPDATE", "DELETE"] {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS ledger_entries_no_{event}"))
                    .await?;
            }
        }
    }
    Ok(())
}

/// The same triggers as `m20261123_000004_ledger` made.
pub(crate) async fn create_triggers(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(
                "CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$
                 BEGIN RAISE EXCEPTION 'ledger entries are append-only'; END $$ LANGUAGE plpgsql",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
                 FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()",
            )
            .await?;
        }
        _ => {
            for event in ["UPDATE", "DELETE"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER ledger_entries_no_{event} BEFORE {event} ON ledger_entries
                     BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END"
                ))
                .await?;
            }
        }
    }
    Ok(())
}

/// Rewrites `column` of `table` into the format `to`; refuses a value in neither format.
async fn convert(
    db: &SchemaManagerConnection<'_>,
    table: &str,
    column: &str,
    values: &[(&'static str, &'static str)],
    to: Format,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let values: Vec<(&str, &str)> = values
        .iter()
        .map(|&(rust, api)| match to {
            Format::Api => (rust, api),
            Format::Rust => (api, rust),
        })
        .collect();
    for (old, new) in &values {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                DbBackend::Postgres => {
                    format!("UPDATE {table} SET {column} = $1 WHERE {column} = $2")
                }
                _ => format!("UPDATE {table} SET {column} = ? WHERE {column} = ?"),
            },
            [(*new).into(), (*old).into()],
        ))
        .await?;
    }
    let known: Vec<String> = values.iter().map(|(_, new)| format!("'{new}'")).collect();
    let stray = db
        .query_one_raw(Statement::from_string(
            backend,
            format!(
                "SELECT {column} AS v FROM {table} WHERE {column} NOT IN ({}) LIMIT 1",
                known.join(", ")
            ),
        ))
        .await?;
    if let Some(row) = stray {
        let value: String = row.try_get("", "v")?;
        return Err(DbErr::Migration(format!(
            "{table}.{column} holds {value:?}, which is no known value"
        )));
    }
    Ok(())
}

/// Checks every entry's hash and link in the format `from`, then re-chains the entries, the tip
/// and the rollups in the format `to`, with the append-only triggers dropped meanwhile.
async fn rechain(db: &SchemaManagerConnection<'_>, from: Format, to: Format) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    drop_triggers(db).await?;

    let mut old_prev = GENESIS.to_owned();
    let mut new_prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    loop {
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT * FROM ledger_entries WHERE seq >= {expected_seq} ORDER BY seq LIMIT {CHUNK}"
                ),
            ))
            .await?;
        if rows.is_empty() {
            break;
        }
        let mut prev_cases = String::new();
        let mut hash_cases = String::new();
        let first = expected_seq;
        for row in &rows {
            let row = Row::read(row)?;
            if row.seq != expected_seq {
                return Err(refuse(expected_seq, "it is missing"));
            }
            if row.prev_hash != old_prev {
                return Err(refuse(
                    row.seq,
                    "its link to the previous entry does not match",
                ));
            }
            let unknown = |what: &str| refuse(row.seq, &format!("its {what} is no known value"));
            let texts = |format: Format| -> Result<[&'static str; 3], DbErr> {
                Ok([
                    format
                        .write(&KINDS, &row.kind)
                        .ok_or_else(|| unknown("kind"))?,
                    format
                        .write(&BUYER_KINDS, &row.buyer_kind)
                        .ok_or_else(|| unknown("buyer kind"))?,
                    format
                        .write(&CATEGORIES, &row.category)
                        .ok_or_else(|| unknown("category"))?,
                ])
            };
            let [kind, buyer_kind, category] = texts(from)?;
            if row.hash(kind, buyer_kind, category, &row.prev_hash) != row.hash {
                return Err(refuse(row.seq, "its content does not match its hash"));
            }
            let [kind, buyer_kind, category] = texts(to)?;
            let hash = row.hash(kind, buyer_kind, category, &new_prev);
            // Hex digests and integers only: safe to write inline.
            prev_cases.push_str(&format!(" WHEN {} THEN '{new_prev}'", row.seq));
            hash_cases.push_str(&format!(" WHEN {} THEN '{hash}'", row.seq));
            old_prev = row.hash;
            new_prev = hash;
            expected_seq += 1;
        }
        db.execute_unprepared(&format!(
            "UPDATE ledger_entries SET prev_hash = CASE seq{prev_cases} END, \
             hash = CASE seq{hash_cases} END WHERE seq >= {first} AND seq < {expected_seq}"
        ))
        .await?;
    }
    let last_seq = expected_seq - 1;

    let head = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT seq, last_hash FROM ledger_head WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::Migration("the ledger's tip is missing".into()))?;
    let (head_seq, head_hash): (i64, String) =
        (head.try_get("", "seq")?, head.try_get("", "last_hash")?);
    if head_seq != last_seq || head_hash != old_prev {
        return Err(refuse(
            last_seq + 1,
            "the tip says entries at the end of the chain are missing",
        ));
    }
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            DbBackend::Postgres => "UPDATE ledger_head SET last_hash = $1 WHERE id = 1",
            _ => "UPDATE ledger_head SET last_hash = ? WHERE id = 1",
        },
        [new_prev.into()],
    ))
    .await?;

    // The `kind` column always held `SALE`/`REFUND`: only its hashed text changes.
    convert(db, "ledger_entries", "buyer_kind", &BUYER_KINDS, to).await?;
    convert(db, "ledger_entries", "category", &CATEGORIES, to).await?;
    convert(db, "ledger_tallies", "buyer_kind", &BUYER_KINDS, to).await?;
    convert(db, "ledger_tallies", "category", &CATEGORIES, to).await?;
    convert(db, "ledger_county_tallies", "buyer_kind", &BUYER_KINDS, to).await?;

    create_triggers(db).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too: a half-re-chained ledger would verify in neither format.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rechain(manager.get_connection(), Format::Rust, Format::Api).await
    }

    /// Back to the old format, checked the same way (for an older binary).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rechain(manager.get_connection(), Format::Api, Format::Rust).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_written_in_either_format() {
        for table in [&BUYER_KINDS[..], &CATEGORIES[..], &KINDS[..]] {
            for (rust, api) in table {
                for value in [rust, api] {
                    assert_eq!(Format::Api.write(table, value), Some(*api));
                    assert_eq!(Format::Rust.write(table, value), Some(*rust));
                }
                // The API value is the Rust name in upper snake case, as `Debug` wrote it.
                let snake: String = rust
                    .chars()
                    .enumerate()
                    .flat_map(|(i, c)| {
                        let sep = (i > 0 && c.is_uppercase()).then_some('_');
                        sep.into_iter().chain(c.to_uppercase())
                    })
                    .collect();
                assert_eq!(&snake, api);
            }
            assert_eq!(Format::Api.write(table, "unknown"), None);
        }
    }
}
