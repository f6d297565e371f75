//! Every channel in one ledger (issue 16): each entry records where the sale happened (an order
//! placed here, an outlet's or a fair's reported sale) and what it was for; orders state their
//! purpose. Reported sales have no order, so an entry's order and line become optional and it
//! may name the accepted report line, the outlet and the fair instead.
//!
//! The new fields are hashed: the chain is checked in the sides format and re-chained in the
//! channels format with `m20261204_000010_ledger_sides`'s code (an altered ledger is refused).
//! Older orders get the purpose their buyer's kind implies ([`PURPOSE_BY_KIND`], the table
//! `Purpose::default_for` applies to new orders) and their entries copy it. The fine rollups
//! gain channel, purpose and `reported` (every existing row is an order's, and each buyer's
//! rows one purpose, so the columns are filled in place). One transaction on both databases.

use sea_orm_migration::{
    prelude::*,
    sea_orm::{DbBackend, Statement},
};

use crate::{
    m20261204_000008_ledger_values::{create_triggers, drop_triggers},
    m20261204_000010_ledger_sides::{Format, rebuild_rollups, rechain},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An order's purpose from its buyer's kind, as SQL over `kind`.
const PURPOSE_BY_KIND: &str = "CASE kind WHEN 'SUPERMARKET' THEN 'RESALE' \
     WHEN 'PRIVATE_ENTERPRISE' THEN 'PURCHASE_INSTEAD_OF_DONATION' \
     WHEN 'SOCIAL_ORGANIZATION' THEN 'PURCHASE_INSTEAD_OF_DONATION' \
     WHEN 'INDIVIDUAL' THEN 'PERSONAL' ELSE 'CANTEEN_SUPPLY' END";

/// The purpose of the buyer named by `buyer_column`, as a scalar subquery.
fn purpose_of_buyer(buyer_column: &str) -> String {
    format!(
        "COALESCE((SELECT {PURPOSE_BY_KIND} FROM buyers b WHERE b.organization_id = {buyer_column}), \
         'CANTEEN_SUPPLY')"
    )
}

/// The new entry columns, with their SQL types (`UUID` is the backend's).
const ENTRY_COLUMNS: [(&str, &str); 5] = [
    ("channel", "VARCHAR(8) NOT NULL DEFAULT 'ORDER'"),
    ("report_line_id", "UUID"),
    ("outlet_id", "UUID"),
    ("fair_id", "UUID"),
    ("purpose", "VARCHAR(32) NOT NULL DEFAULT 'CANTEEN_SUPPLY'"),
];

const ENTRY_INDEXES: [(&str, &str); 3] = [
    ("idx_ledger_report_line", "report_line_id"),
    ("idx_ledger_outlet", "outlet_id"),
    ("idx_ledger_fair", "fair_id"),
];

/// The fine rollups' grain before this migration; the channels format adds three columns.
const FINE_GRAIN: &str = "month, region_code, buyer_org_id, buyer_kind, producer_org_id, \
     category, certified, paired, pairing_kind, origin_status, buyer_region_code, \
     producer_kind, pairing_id";

/// `column`'s definition in a `CREATE TABLE` statement with or without `NOT NULL`, or `None`
/// when it is not there as expected (the caller refuses rather than guess).
fn with_not_null(create: &str, column: &str, not_null: bool) -> Option<String> {
    let start = create.find(&format!("\"{column}\" "))?;
    let end = start + create[start..].find([',', ')'])?;
    let definition = &create[start..end];
    let changed = if not_null {
        (!definition.contains("NOT NULL")).then(|| format!("{definition} NOT NULL"))?
    } else {
        definition
            .contains(" NOT NULL")
            .then(|| definition.replacen(" NOT NULL", "", 1))?
    };
    Some(format!("{}{changed}{}", &create[..start], &create[end..]))
}

/// Makes the order columns of `ledger_entries` optional (or required again). SQLite cannot alter
/// a column: the table is rebuilt under its own name with its indexes (no table refers to it,
/// and its triggers are dropped while this runs).
async fn order_columns_required(
    db: &SchemaManagerConnection<'_>,
    required: bool,
) -> Result<(), DbErr> {
    let columns = ["order_id", "order_line_id"];
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        let change = if required { "SET" } else { "DROP" };
        for column in columns {
            db.execute_unprepared(&format!(
                "ALTER TABLE ledger_entries ALTER COLUMN {column} {change} NOT NULL"
            ))
            .await?;
        }
        return Ok(());
    }
    let schema = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'ledger_entries' AND sql IS NOT NULL",
        ))
        .await?;
    let mut create = None;
    let mut others = Vec::new();
    for row in schema {
        let (kind, sql): (String, String) = (row.try_get("", "type")?, row.try_get("", "sql")?);
        if kind == "table" {
            create = Some(sql);
        } else {
            others.push(sql);
        }
    }
    let mut create =
        create.ok_or_else(|| DbErr::Migration("table ledger_entries is missing".into()))?;
    for column in columns {
        create = with_not_null(&create, column, required).ok_or_else(|| {
            DbErr::Migration(format!(
                "ledger_entries.{column} is not declared as expected: {create}"
            ))
        })?;
    }
    let renamed = create.replacen("\"ledger_entries\"", "\"ledger_entries_next\"", 1);
    if renamed == create {
        return Err(DbErr::Migration(format!(
            "ledger_entries is not declared as expected: {create}"
        )));
    }
    db.execute_unprepared(&renamed).await?;
    for statement in [
        "INSERT INTO ledger_entries_next SELECT * FROM ledger_entries",
        "DROP TABLE ledger_entries",
        "ALTER TABLE ledger_entries_next RENAME TO ledger_entries",
    ] {
        db.execute_unprepared(statement).await?;
    }
    for statement in others {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

fn uuid_type(db: &SchemaManagerConnection<'_>) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "UUID",
        _ => "BLOB",
    }
}

async fn add_channels(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let uuid = uuid_type(db);
    db.execute_unprepared(
        "ALTER TABLE orders ADD COLUMN purpose VARCHAR(32) NOT NULL DEFAULT 'CANTEEN_SUPPLY'",
    )
    .await?;
    db.execute_unprepared(&format!(
        "UPDATE orders SET purpose = {}",
        purpose_of_buyer("orders.buyer_org_id")
    ))
    .await?;
    order_columns_required(db, false).await?;
    for (column, sql_type) in ENTRY_COLUMNS {
        db.execute_unprepared(&format!(
            "ALTER TABLE ledger_entries ADD COLUMN {column} {}",
            sql_type.replace("UUID", uuid)
        ))
        .await?;
    }
    db.execute_unprepared(
        "UPDATE ledger_entries SET purpose = COALESCE((SELECT o.purpose FROM orders o \
         WHERE o.id = ledger_entries.order_id), 'CANTEEN_SUPPLY')",
    )
    .await?;
    for (name, column) in ENTRY_INDEXES {
        db.execute_unprepared(&format!("CREATE INDEX {name} ON ledger_entries ({column})"))
            .await?;
    }
    for statement in [
        "ALTER TABLE ledger_tallies ADD COLUMN channel VARCHAR(8) NOT NULL DEFAULT 'ORDER'".to_owned(),
        "ALTER TABLE ledger_tallies ADD COLUMN purpose VARCHAR(32) NOT NULL DEFAULT 'CANTEEN_SUPPLY'"
            .to_owned(),
        "ALTER TABLE ledger_tallies ADD COLUMN reported BOOLEAN NOT NULL DEFAULT FALSE".to_owned(),
        format!(
            "UPDATE ledger_tallies SET purpose = {}",
            purpose_of_buyer("ledger_tallies.buyer_org_id")
        ),
        "DROP INDEX uq_ledger_tallies_grain".to_owned(),
        format!(
            "CREATE UNIQUE INDEX uq_ledger_tallies_grain ON ledger_tallies \
             ({FINE_GRAIN}, channel, purpose, reported)"
        ),
    ] {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

async fn drop_channels(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    for (name, _) in ENTRY_INDEXES {
        db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
    }
    for (column, _) in ENTRY_COLUMNS {
        db.execute_unprepared(&format!("ALTER TABLE ledger_entries DROP COLUMN {column}"))
            .await?;
    }
    order_columns_required(db, true).await?;
    db.execute_unprepared("ALTER TABLE orders DROP COLUMN purpose")
        .await?;
    Ok(())
}

/// Reported sales have no order: the format before cannot hold them.
async fn refuse_reported_sales(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let reported = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM ledger_entries WHERE order_id IS NULL",
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if reported > 0 {
        return Err(DbErr::Migration(format!(
            "the ledger holds {reported} reported sales, which the format before channels cannot \
             hold: not migrating down"
        )));
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        drop_triggers(db).await?;
        add_channels(db).await?;
        rechain(db, Format::Sides, Format::Channels).await?;
        create_triggers(db).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        refuse_reported_sales(db).await?;
        drop_triggers(db).await?;
        rechain(db, Format::Channels, Format::Sides).await?;
        drop_channels(db).await?;
        rebuild_rollups(db, Format::Sides).await?;
        create_triggers(db).await
    }
}

#[cfg(test)]
mod tests {
    use super::with_not_null;

    #[test]
    fn a_column_loses_and_regains_not_null() {
        let create = r#"CREATE TABLE "t" ( "a" uuid_text NOT NULL, "order_id" uuid_text NOT NULL, "b" text )"#;
        let optional = with_not_null(create, "order_id", false).unwrap_or_default();
        assert_eq!(
            optional,
            r#"CREATE TABLE "t" ( "a" uuid_text NOT NULL, "order_id" uuid_text, "b" text )"#
        );
        assert_eq!(
            with_not_null(&optional, "order_id", true).as_deref(),
            Some(create)
        );
        assert_eq!(with_not_null(&optional, "order_id", false), None);
        assert_eq!(with_not_null(create, "missing", false), None);
    }
}
