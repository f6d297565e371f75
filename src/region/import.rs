//! Loading the national division tree (31 provinces down to 620,573 villages) from the gzipped
//! CSV tables of the `china-division` data set: batched multi-row upserts, one transaction per
//! level, so a full import takes seconds.

use std::{io::Read, path::Path, time::Instant};

use entity::region::{self, RegionLevel};
use flate2::read::GzDecoder;
use sea_orm::{
    ActiveValue::NotSet, DatabaseConnection, EntityTrait, Set, TransactionTrait,
    sea_query::OnConflict,
};

use crate::error::{AppError, AppResult};

/// Rows per INSERT: 4 parameters each stays far below SQLite's and PostgreSQL's limits.
const BATCH: usize = 1000;

/// The five tables, top down, and the column naming each row's parent.
const TABLES: [(&str, RegionLevel, Option<&str>); 5] = [
    ("provinces.csv.gz", RegionLevel::Province, None),
    ("cities.csv.gz", RegionLevel::City, Some("provinceCode")),
    ("areas.csv.gz", RegionLevel::County, Some("cityCode")),
    ("streets.csv.gz", RegionLevel::Township, Some("areaCode")),
    ("villages.csv.gz", RegionLevel::Village, Some("streetCode")),
];

/// The part of the tree the demo needs, committed in `seed-data/divisions/`.
const EMBEDDED: [&[u8]; 5] = [
    include_bytes!("../../seed-data/divisions/provinces.csv.gz"),
    include_bytes!("../../seed-data/divisions/cities.csv.gz"),
    include_bytes!("../../seed-data/divisions/areas.csv.gz"),
    include_bytes!("../../seed-data/divisions/streets.csv.gz"),
    include_bytes!("../../seed-data/divisions/villages.csv.gz"),
];

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows loaded per level, provinces first.
    pub rows: [usize; 5],
    pub millis: u128,
}

impl ImportReport {
    pub fn total(&self) -> usize {
        self.rows.iter().sum()
    }
}

/// Imports from a directory holding the five `.csv.gz` tables, optionally one province only.
pub async fn import_dir(
    db: &DatabaseConnection,
    dir: &Path,
    province: Option<&str>,
) -> AppResult<ImportReport> {
    let mut sources = Vec::new();
    for (file, _, _) in TABLES {
        let path = dir.join(file);
        let bytes = std::fs::read(&path).map_err(|e| {
            AppError::BadInput(msg!("import.cannot_read", path = path.display(), e = e))
        })?;
        sources.push(bytes);
    }
    import(db, sources.iter().map(Vec::as_slice), province).await
}

/// Imports the committed demo subset (Hebei and Guangdong, the demo counties to their villages).
pub async fn import_embedded(db: &DatabaseConnection) -> AppResult<ImportReport> {
    import(db, EMBEDDED.into_iter(), None).await
}

async fn import<'a>(
    db: &DatabaseConnection,
    sources: impl Iterator<Item = &'a [u8]>,
    province: Option<&str>,
) -> AppResult<ImportReport> {
    let started = Instant::now();
    let mut report = ImportReport::default();
    for (index, (bytes, (file, level, parent_column))) in sources.zip(TABLES).enumerate() {
        let rows = parse(bytes, file, level, parent_column, province)?;
        report.rows[index] = rows.len();
        let txn = db.begin().await?;
        for chunk in rows.chunks(BATCH) {
            let models = chunk.iter().map(|row| region::ActiveModel {
                code: Set(row.code.clone()),
                name: Set(row.name.clone()),
                level: Set(level),
                parent_code: Set(row.parent.clone()),
                poverty_status: NotSet,
                exit_year: NotSet,
            });
            // Re-importing renames and re-parents, but never touches poverty status.
            region::Entity::insert_many(models)
                .on_conflict(
                    OnConflict::column(region::Column::Code)
                        .update_columns([
                            region::Column::Name,
                            region::Column::Level,
                            region::Column::ParentCode,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    report.millis = started.elapsed().as_millis();
    Ok(report)
}

struct Row {
    code: String,
    name: String,
    parent: Option<String>,
}

fn parse(
    gz: &[u8],
    file: &str,
    level: RegionLevel,
    parent_column: Option<&str>,
    province: Option<&str>,
) -> AppResult<Vec<Row>> {
    let bad = |what: String| AppError::BadInput(msg!("import.message", file = file, what = what));
    let mut text = String::new();
    GzDecoder::new(gz)
        .read_to_string(&mut text)
        .map_err(|e| bad(format!("not gzipped UTF-8 CSV ({e})")))?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(format!("no `{name}` column")))
    };
    let code_at = column("code")?;
    let name_at = column("name")?;
    let parent_at = parent_column.map(column).transpose()?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let code = record.get(code_at).unwrap_or_default().trim().to_owned();
        if RegionLevel::of_code(&code) != Some(level) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("{code:?} is not a {level:?} code")));
        }
        if province.is_some_and(|p| !code.starts_with(p)) {
            continue;
        }
        let parent = parent_at
            .and_then(|i| record.get(i))
            .map(|p| p.trim().to_owned());
        rows.push(Row {
            name: record.get(name_at).unwrap_or_default().trim().to_owned(),
            code,
            parent,
        });
    }
    Ok(rows)
}
