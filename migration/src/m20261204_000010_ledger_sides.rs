//! Both sides of every sale (issue 15): each ledger entry records the buyer's place on the day
//! (`buyer_region_code` and its province, city and county), the producer's kind, and the pairing
//! the sale counts toward with its kind; the rollups carry the buyer's county, the pairing, the
//! origin's poverty status and (fine rollups) each producer's linked poor households; a new
//! rollup by buying unit and month serves rankings.
//!
//! The new fields are hashed, so the chain is re-chained as `m20261204_000008_ledger_values`
//! did: every entry is first checked against its old hash and link (an altered ledger is refused,
//! not laundered), the new columns are filled from the registry as it stands (the buyer's place,
//! the producer's kind, the pairing active on the day that helps the buyer and covers the
//! origin; a refund copies its sale), then each entry is re-hashed in the new format. The
//! rollups are rebuilt from the entries. One transaction on both databases; `down` goes back,
//! checked the same way. The formats are frozen here: the application's may change later only
//! with a migration of its own.

use sea_orm_migration::{
    prelude::*,
    sea_orm::{
        ConnectionTrait, DbBackend, QueryResult, Statement,
        prelude::{Date, Uuid},
    },
};
use sha2::{Digest, Sha256};

use crate::{
    m20261123_000004_ledger::GENESIS,
    m20261204_000008_ledger_values::{create_triggers, drop_triggers},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The hash formats: before this migration, with the sale's two sides, and with its channel
/// and purpose (`m20261204_000014_ledger_channels`, which re-chains with this code).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum Format {
    Before,
    Sides,
    Channels,
}

/// The columns the channels format hashes beyond the sides format's, in pre-image order.
const CHANNEL_COLUMNS: [&str; 5] = [
    "channel",
    "report_line_id",
    "outlet_id",
    "fair_id",
    "purpose",
];

const CHUNK: i64 = 500;

/// The columns either format hashes.
const HASHED: [&str; 29] = [
    "seq",
    "id",
    "kind",
    "refund_of",
    "order_id",
    "order_line_id",
    "buyer_org_id",
    "buyer_kind",
    "producer_org_id",
    "product_id",
    "product_name",
    "category",
    "quantity",
    "amount_fen",
    "region_code",
    "province_status",
    "city_status",
    "county_status",
    "township_status",
    "village_status",
    "certified",
    "poor_households_linked",
    "paired",
    "reporting_year",
    "occurred_on",
    "buyer_region_code",
    "producer_kind",
    "pairing_id",
    "pairing_kind",
];

/// An entry's hashed fields in pre-image order, without the link, in `format`.
fn fields(row: &QueryResult, format: Format) -> Result<Vec<String>, DbErr> {
    let uuid = |c: &str| row.try_get::<Uuid>("", c).map(|u| u.to_string());
    let opt_uuid = |c: &str| {
        row.try_get::<Option<Uuid>>("", c)
            .map(|u| u.map(|u| u.to_string()).unwrap_or_default())
    };
    let text = |c: &str| row.try_get::<String>("", c);
    let opt_text = |c: &str| {
        row.try_get::<Option<String>>("", c)
            .map(Option::unwrap_or_default)
    };
    let mut fields = vec![
        row.try_get::<i64>("", "seq")?.to_string(),
        uuid("id")?,
        text("kind")?,
        opt_uuid("refund_of")?,
        // Never NULL before the channels format; an empty field for reported sales after.
        opt_uuid("order_id")?,
        opt_uuid("order_line_id")?,
        uuid("buyer_org_id")?,
        text("buyer_kind")?,
        uuid("producer_org_id")?,
        uuid("product_id")?,
        text("product_name")?,
        text("category")?,
        row.try_get::<i64>("", "quantity")?.to_string(),
        row.try_get::<i64>("", "amount_fen")?.to_string(),
        text("region_code")?,
        text("province_status")?,
        text("city_status")?,
        text("county_status")?,
        opt_text("township_status")?,
        opt_text("village_status")?,
        row.try_get::<bool>("", "certified")?.to_string(),
        row.try_get::<i32>("", "poor_households_linked")?
            .to_string(),
        row.try_get::<bool>("", "paired")?.to_string(),
        row.try_get::<i32>("", "reporting_year")?.to_string(),
        row.try_get::<Date>("", "occurred_on")?.to_string(),
    ];
    if format != Format::Before {
        fields.extend([
            text("buyer_region_code")?,
            opt_text("producer_kind")?,
            opt_uuid("pairing_id")?,
            opt_text("pairing_kind")?,
        ]);
    }
    if format == Format::Channels {
        fields.extend([
            text("channel")?,
            opt_uuid("report_line_id")?,
            opt_uuid("outlet_id")?,
            opt_uuid("fair_id")?,
            text("purpose")?,
        ]);
    }
    Ok(fields)
}

fn hash(fields: &[String], prev: &str) -> String {
    let mut preimage = fields.join("\u{1f}");
    preimage.push('\u{1f}');
    preimage.push_str(prev);
    let digest = Sha256::digest(preimage.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn refuse(seq: i64, why: &str) -> DbErr {
    DbErr::Migration(format!(
        "ledger entry {seq} does not verify ({why}): not re-hashing an altered ledger; restore \
         it from a backup or investigate before migrating"
    ))
}

/// Checks every entry's hash and link in `from`, then re-chains the entries and the tip in `to`.
pub(crate) async fn rechain(
    db: &SchemaManagerConnection<'_>,
    from: Format,
    to: Format,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut selected = HASHED.to_vec();
    if from == Format::Channels || to == Format::Channels {
        selected.extend(CHANNEL_COLUMNS);
    }
    let mut old_prev = GENESIS.to_owned();
    let mut new_prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    loop {
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                // Named columns, not `*`: SQLite's statement cache may still hold `*` as it
                // was before this migration added columns.
                format!(
                    "SELECT {}, prev_hash, hash FROM ledger_entries WHERE seq >= {expected_seq} \
                     ORDER BY seq LIMIT {CHUNK}",
                    selected.join(", ")
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
            let seq: i64 = row.try_get("", "seq")?;
            let (stored_prev, stored_hash): (String, String) =
                (row.try_get("", "prev_hash")?, row.try_get("", "hash")?);
            if seq != expected_seq {
                return Err(refuse(expected_seq, "it is missing"));
            }
            if stored_prev != old_prev {
                return Err(refuse(seq, "its link to the previous entry does not match"));
            }
            if hash(&fields(row, from)?, &stored_prev) != stored_hash {
                return Err(refuse(seq, "its content does not match its hash"));
            }
            let rehashed = hash(&fields(row, to)?, &new_prev);
            // Hex digests and integers only: safe to write inline.
            prev_cases.push_str(&format!(" WHEN {seq} THEN '{new_prev}'"));
            hash_cases.push_str(&format!(" WHEN {seq} THEN '{rehashed}'"));
            old_prev = stored_hash;
            new_prev = rehashed;
            expected_seq += 1;
        }
        db.execute_unprepared(&format!(
            "UPDATE ledger_entries SET prev_hash = CASE seq{prev_cases} END, \
             hash = CASE seq{hash_cases} END WHERE seq >= {first} AND seq < {expected_seq}"
        ))
        .await?;
    }
    let head = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT seq, last_hash FROM ledger_head WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::Migration("the ledger's tip is missing".into()))?;
    let (head_seq, head_hash): (i64, String) =
        (head.try_get("", "seq")?, head.try_get("", "last_hash")?);
    if head_seq != expected_seq - 1 || head_hash != old_prev {
        return Err(refuse(
            expected_seq,
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
    Ok(())
}

/// The new entry columns: name and SQL type.
const ENTRY_COLUMNS: [(&str, &str); 7] = [
    ("buyer_region_code", "VARCHAR(12) NOT NULL DEFAULT ''"),
    ("buyer_province_code", "VARCHAR(2) NOT NULL DEFAULT ''"),
    ("buyer_city_code", "VARCHAR(4)"),
    ("buyer_county_code", "VARCHAR(6)"),
    ("producer_kind", "VARCHAR(24)"),
    ("pairing_id", "UUID"),
    ("pairing_kind", "VARCHAR(32)"),
];

/// Fills the new columns of existing entries from the registry (sales), then refunds from the
/// sale they correct.
async fn fill_sides(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let uuid_type = match db.get_database_backend() {
        DbBackend::Postgres => "UUID",
        _ => "BLOB",
    };
    for (column, _) in ENTRY_COLUMNS {
        db.execute_unprepared(&format!(
            "ALTER TABLE ledger_entries ADD COLUMN {column} {}",
            ENTRY_COLUMNS
                .iter()
                .find(|(c, _)| *c == column)
                .map_or("", |(_, t)| t)
                .replace("UUID", uuid_type)
        ))
        .await?;
    }
    let sales = "kind = 'SALE'";
    for statement in [
        format!(
            "UPDATE ledger_entries SET buyer_region_code = COALESCE((SELECT b.region_code FROM buyers b \
             WHERE b.organization_id = ledger_entries.buyer_org_id), '') WHERE {sales}"
        ),
        format!(
            "UPDATE ledger_entries SET producer_kind = (SELECT p.kind FROM producers p \
             WHERE p.organization_id = ledger_entries.producer_org_id) WHERE {sales}"
        ),
        // The pairing that helps the buyer (itself or a place containing it) and covers the
        // origin on the day, the most specific first.
        format!(
            "UPDATE ledger_entries SET pairing_id = (SELECT p.id FROM pairings p \
             WHERE (p.helper_org_id = ledger_entries.buyer_org_id \
                    OR (p.helper_region_code IS NOT NULL \
                        AND SUBSTR(ledger_entries.buyer_region_code, 1, LENGTH(p.helper_region_code)) = p.helper_region_code)) \
               AND SUBSTR(ledger_entries.region_code, 1, LENGTH(p.helped_region_code)) = p.helped_region_code \
               AND p.starts_on <= ledger_entries.occurred_on \
               AND (p.ends_on IS NULL OR p.ends_on >= ledger_entries.occurred_on) \
             ORDER BY LENGTH(p.helped_region_code) DESC, p.id LIMIT 1) WHERE {sales} AND paired"
        ),
        format!(
            "UPDATE ledger_entries SET pairing_kind = (SELECT p.kind FROM pairings p \
             WHERE p.id = ledger_entries.pairing_id) WHERE {sales}"
        ),
    ] {
        db.execute_unprepared(&statement).await?;
    }
    for column in [
        "buyer_region_code",
        "producer_kind",
        "pairing_id",
        "pairing_kind",
    ] {
        db.execute_unprepared(&format!(
            "UPDATE ledger_entries SET {column} = (SELECT s.{column} FROM ledger_entries s \
             WHERE s.id = ledger_entries.refund_of) WHERE kind = 'REFUND'"
        ))
        .await?;
    }
    db.execute_unprepared(
        "UPDATE ledger_entries SET buyer_province_code = SUBSTR(buyer_region_code, 1, 2), \
         buyer_city_code = CASE WHEN LENGTH(buyer_region_code) >= 4 THEN SUBSTR(buyer_region_code, 1, 4) END, \
         buyer_county_code = CASE WHEN LENGTH(buyer_region_code) >= 6 THEN SUBSTR(buyer_region_code, 1, 6) END",
    )
    .await?;
    for (name, column) in [
        ("idx_ledger_buyer_county", "buyer_county_code"),
        ("idx_ledger_buyer_region", "buyer_region_code"),
    ] {
        db.execute_unprepared(&format!("CREATE INDEX {name} ON ledger_entries ({column})"))
            .await?;
    }
    Ok(())
}

async fn drop_sides(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    for name in ["idx_ledger_buyer_county", "idx_ledger_buyer_region"] {
        db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
    }
    for (column, _) in ENTRY_COLUMNS {
        db.execute_unprepared(&format!("ALTER TABLE ledger_entries DROP COLUMN {column}"))
            .await?;
    }
    Ok(())
}

/// Drops and rebuilds both rollups from the entries, with or without the sides.
pub(crate) async fn rebuild_rollups(
    db: &SchemaManagerConnection<'_>,
    format: Format,
) -> Result<(), DbErr> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let (uuid_type, new_id) = if postgres {
        ("UUID", "gen_random_uuid()")
    } else {
        ("BLOB", "randomblob(16)")
    };
    db.execute_unprepared("DROP TABLE ledger_tallies").await?;
    db.execute_unprepared("DROP TABLE IF EXISTS ledger_buyer_tallies")
        .await?;
    db.execute_unprepared("DROP TABLE ledger_county_tallies")
        .await?;
    let month = if postgres {
        "TO_CHAR(occurred_on, 'YYYY-MM')"
    } else {
        "SUBSTR(occurred_on, 1, 7)"
    };
    let area = "SUBSTR(buyer_region_code, 1, 6)";
    let no_pairing = if postgres {
        "'00000000-0000-0000-0000-000000000000'::uuid"
    } else {
        "zeroblob(16)"
    };
    let uuid_column = format!("{uuid_type} NOT NULL");
    let column = |name: &'static str, sql_type: &str, value: &str| Grain {
        name,
        sql_type: sql_type.to_owned(),
        value: value.to_owned(),
    };
    let mut fine = vec![
        column("month", "VARCHAR(7) NOT NULL", month),
        column("region_code", "VARCHAR(12) NOT NULL", "region_code"),
        column("buyer_org_id", &uuid_column, "buyer_org_id"),
        column("buyer_kind", "VARCHAR(24) NOT NULL", "buyer_kind"),
        column("producer_org_id", &uuid_column, "producer_org_id"),
        column("category", "VARCHAR(24) NOT NULL", "category"),
        column("certified", "BOOLEAN NOT NULL", "certified"),
        column("paired", "BOOLEAN NOT NULL", "paired"),
    ];
    let mut county = vec![
        column("month", "VARCHAR(7) NOT NULL", month),
        column("county_code", "VARCHAR(6) NOT NULL", "county_code"),
        column("buyer_kind", "VARCHAR(24) NOT NULL", "buyer_kind"),
        column("certified", "BOOLEAN NOT NULL", "certified"),
        column("paired", "BOOLEAN NOT NULL", "paired"),
    ];
    if format == Format::Sides {
        let sides = [
            column("buyer_area_code", "VARCHAR(6) NOT NULL", area),
            column(
                "pairing_kind",
                "VARCHAR(32) NOT NULL",
                "COALESCE(pairing_kind, '')",
            ),
            column("origin_status", "VARCHAR(16) NOT NULL", "county_status"),
        ];
        county.extend(sides.iter().cloned());
        fine.extend(sides.into_iter().skip(1));
        county.push(column(
            "pairing_id",
            &uuid_column,
            &format!("COALESCE(pairing_id, {no_pairing})"),
        ));
        fine.push(column(
            "buyer_region_code",
            "VARCHAR(12) NOT NULL",
            "buyer_region_code",
        ));
        fine.push(column(
            "producer_kind",
            "VARCHAR(24) NOT NULL",
            "COALESCE(producer_kind, '')",
        ));
        fine.push(column(
            "pairing_id",
            &uuid_column,
            &format!("COALESCE(pairing_id, {no_pairing})"),
        ));
    }
    let sums = "amount_fen BIGINT NOT NULL, quantity BIGINT NOT NULL, entries BIGINT NOT NULL";
    let households = if format == Format::Sides {
        ", households_linked INTEGER NOT NULL"
    } else {
        ""
    };
    let join = |grain: &[Grain], item: fn(&Grain) -> String| -> String {
        grain.iter().map(item).collect::<Vec<_>>().join(", ")
    };
    let names = |grain: &[Grain]| join(grain, |g| g.name.to_owned());
    let columns = |grain: &[Grain]| join(grain, |g| format!("{} {}", g.name, g.sql_type));
    let values = |grain: &[Grain]| join(grain, |g| g.value.clone());
    let groups = |grain: &[Grain]| {
        (1..=grain.len())
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    db.execute_unprepared(&format!(
        "CREATE TABLE ledger_tallies (id {uuid_type} NOT NULL PRIMARY KEY, {}, {sums}{households})",
        columns(&fine)
    ))
    .await?;
    db.execute_unprepared(&format!(
        "CREATE UNIQUE INDEX uq_ledger_tallies_grain ON ledger_tallies ({})",
        names(&fine)
    ))
    .await?;
    db.execute_unprepared(
        "CREATE INDEX idx_ledger_tallies_buyer_month ON ledger_tallies (buyer_org_id, month)",
    )
    .await?;
    db.execute_unprepared(&format!(
        "CREATE TABLE ledger_county_tallies ({}, {sums}, PRIMARY KEY ({}))",
        columns(&county),
        names(&county)
    ))
    .await?;
    if format == Format::Sides {
        db.execute_unprepared(
            "CREATE INDEX idx_ledger_county_tallies_buyer_area ON ledger_county_tallies (buyer_area_code, month)",
        )
        .await?;
    }
    let households_value = if format == Format::Sides {
        ", MAX(poor_households_linked)"
    } else {
        ""
    };
    // A refund's month is its own; grouping keys are the entry's, as appends write them.
    db.execute_unprepared(&format!(
        "INSERT INTO ledger_tallies (id, {}, amount_fen, quantity, entries{households}) \
         SELECT {new_id}, g.* FROM (SELECT {}, SUM(amount_fen), SUM(quantity), COUNT(*){households_value} \
         FROM ledger_entries GROUP BY {}) g",
        names(&fine),
        values(&fine),
        groups(&fine),
        households = if format == Format::Sides { ", households_linked" } else { "" },
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO ledger_county_tallies ({}, amount_fen, quantity, entries) \
         SELECT {}, SUM(amount_fen), SUM(quantity), COUNT(*) FROM ledger_entries GROUP BY {}",
        names(&county),
        values(&county),
        groups(&county)
    ))
    .await?;
    if format == Format::Sides {
        db.execute_unprepared(&format!(
            "CREATE TABLE ledger_buyer_tallies (month VARCHAR(7) NOT NULL, \
             buyer_org_id {uuid_column}, buyer_region_code VARCHAR(12) NOT NULL, {sums}, \
             PRIMARY KEY (month, buyer_org_id, buyer_region_code))"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_ledger_buyer_tallies_place ON ledger_buyer_tallies \
             (buyer_region_code, month)",
        )
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO ledger_buyer_tallies (month, buyer_org_id, buyer_region_code, \
             amount_fen, quantity, entries) SELECT {month}, buyer_org_id, buyer_region_code, \
             SUM(amount_fen), SUM(quantity), COUNT(*) FROM ledger_entries GROUP BY 1, 2, 3"
        ))
        .await?;
    }
    Ok(())
}

/// A rollup's grain column: its name, SQL type, and value computed from an entry.
#[derive(Clone)]
struct Grain {
    name: &'static str,
    sql_type: String,
    value: String,
}

/// The pairing kinds before, and with enterprise adoption (企业结对帮扶).
const KINDS_BEFORE: [&str; 3] = ["EAST_WEST", "DESIGNATED", "IN_PROVINCE"];
const KINDS_AFTER: [&str; 4] = [
    "EAST_WEST",
    "DESIGNATED",
    "IN_PROVINCE",
    "ENTERPRISE_ADOPTION",
];

/// Sets the kinds `pairings.kind` accepts (and its width). SQLite cannot alter a CHECK: the
/// table is rebuilt under its own name with its indexes (no table refers to it).
async fn allow_pairing_kinds(
    db: &SchemaManagerConnection<'_>,
    from: &[&str],
    to: &[&str],
    width: u32,
) -> Result<(), DbErr> {
    let list = |kinds: &[&str]| {
        kinds
            .iter()
            .map(|k| format!("'{k}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if db.get_database_backend() == DbBackend::Postgres {
        for statement in [
            "ALTER TABLE pairings DROP CONSTRAINT IF EXISTS pairings_kind_check".to_owned(),
            format!("ALTER TABLE pairings ALTER COLUMN kind TYPE VARCHAR({width})"),
            format!(
                "ALTER TABLE pairings ADD CONSTRAINT pairings_kind_check CHECK (kind IN ({}))",
                list(to)
            ),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        return Ok(());
    }
    let backend = db.get_database_backend();
    let schema = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'pairings' AND sql IS NOT NULL",
        ))
        .await?;
    let mut indexes = Vec::new();
    let mut create = None;
    for row in schema {
        let (kind, sql): (String, String) = (row.try_get("", "type")?, row.try_get("", "sql")?);
        if kind == "table" {
            create = Some(sql);
        } else {
            indexes.push(sql);
        }
    }
    let create = create.ok_or_else(|| DbErr::Migration("table pairings is missing".into()))?;
    let changed = create
        .replacen("\"pairings\"", "\"pairings_next\"", 1)
        .replace(
            &format!("IN ({})", list(from)),
            &format!("IN ({})", list(to)),
        );
    if !changed.contains(&list(to)) {
        return Err(DbErr::Migration(format!(
            "pairings.kind's check is not the one expected: {create}"
        )));
    }
    db.execute_unprepared(&changed).await?;
    for statement in [
        "INSERT INTO pairings_next SELECT * FROM pairings",
        "DROP TABLE pairings",
        "ALTER TABLE pairings_next RENAME TO pairings",
    ] {
        db.execute_unprepared(statement).await?;
    }
    for index in indexes {
        db.execute_unprepared(&index).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too: a half-re-chained ledger would verify in neither format.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        allow_pairing_kinds(db, &KINDS_BEFORE, &KINDS_AFTER, 32).await?;
        drop_triggers(db).await?;
        fill_sides(db).await?;
        rechain(db, Format::Before, Format::Sides).await?;
        rebuild_rollups(db, Format::Sides).await?;
        create_triggers(db).await
    }

    /// Back to the format before, checked the same way (for an older binary).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        drop_triggers(db).await?;
        rechain(db, Format::Sides, Format::Before).await?;
        drop_sides(db).await?;
        rebuild_rollups(db, Format::Before).await?;
        create_triggers(db).await?;
        allow_pairing_kinds(db, &KINDS_AFTER, &KINDS_BEFORE, 16).await
    }
}
