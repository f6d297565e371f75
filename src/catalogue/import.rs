//! Catalogue import (issue 18): a producer's products from a spreadsheet (CSV or XLSX), keyed by
//! the producer's own code (`sku`). The first row holds the Chinese headers ([`COLUMNS`], column
//! order free, 产地说明 optional); each further row is one product. A dry run says what would be
//! created, updated or left alone; the real run writes it all in one transaction, or nothing when
//! any row is wrong. Re-importing the same file changes nothing; a changed price goes through
//! the price history and the price flags as `updateProduct` does, a changed stock through a
//! stock adjustment with the reason 导入.

use std::collections::{BTreeSet, HashMap};

use entity::{
    price_change,
    product::{self, ProductCategory},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::products::{self, MAX_PRICE, MAX_STOCK, Placement, ProductInput};
use crate::{
    audit::Change,
    auth::{Caller, Viewer, scope},
    error::{AppError, AppResult},
    org::{members::membership_in, producers},
    region,
    trade::report_import::{Format, cell_text, yuan_to_fen},
};

pub const SKU: &str = "商品编码";
pub const NAME: &str = "商品名称";
pub const CATEGORY: &str = "品类";
pub const SPEC: &str = "规格";
pub const UNIT: &str = "单位";
pub const PRICE: &str = "单价(元)";
pub const STOCK: &str = "库存";
pub const MIN_ORDER: &str = "起订量";
pub const ORIGIN: &str = "产地说明";
/// The headers, in the template's order; all but the last are required.
pub const COLUMNS: [&str; 9] = [
    SKU, NAME, CATEGORY, SPEC, UNIT, PRICE, STOCK, MIN_ORDER, ORIGIN,
];
const REQUIRED: usize = 8;

/// Most data rows in one file.
pub const MAX_ROWS: usize = 20_000;
/// Most errors reported (the file is refused whatever their number).
pub const MAX_ERRORS: usize = 100;
/// Most rows listed in an answer (the counts are always exact).
pub const MAX_ROWS_SHOWN: usize = 1000;
/// Rows per insert statement: 25 columns × 500 stays far below PostgreSQL's 65,535 parameters.
const CHUNK: usize = 500;
/// The reason recorded on stock adjustments made by an import.
pub const STOCK_REASON: &str = "导入";

/// The categories as the template names them, and as the API does.
const CATEGORIES: [(ProductCategory, &str, &str); 13] = [
    (ProductCategory::GrainOil, "粮油", "GRAIN_OIL"),
    (ProductCategory::Vegetables, "蔬菜", "VEGETABLES"),
    (ProductCategory::Fruit, "水果", "FRUIT"),
    (ProductCategory::Meat, "肉类", "MEAT"),
    (ProductCategory::PoultryEggs, "禽蛋", "POULTRY_EGGS"),
    (ProductCategory::Aquatic, "水产", "AQUATIC"),
    (ProductCategory::EdibleFungi, "食用菌", "EDIBLE_FUNGI"),
    (ProductCategory::HerbalMedicine, "中药材", "HERBAL_MEDICINE"),
    (ProductCategory::Tea, "茶叶", "TEA"),
    (ProductCategory::ProcessedFood, "加工食品", "PROCESSED_FOOD"),
    (ProductCategory::Handicrafts, "手工艺品", "HANDICRAFTS"),
    (ProductCategory::RuralTourism, "乡村旅游", "RURAL_TOURISM"),
    (ProductCategory::LabourServices, "劳务", "LABOUR_SERVICES"),
];

/// A category from its Chinese name or its API name (any case).
pub fn category_of(text: &str) -> Option<ProductCategory> {
    CATEGORIES
        .iter()
        .find(|(_, zh, api)| *zh == text || api.eq_ignore_ascii_case(text))
        .map(|(c, _, _)| *c)
}

/// The downloadable template: the headers, one example row, and the category names.
pub fn template_csv() -> String {
    let names: Vec<&str> = CATEGORIES.iter().map(|(_, zh, _)| *zh).collect();
    format!(
        "\u{feff}{}\nHM-001,高山红富士苹果,水果,5kg/箱,箱,58.00,200,2,\"来自XX村合作社, 签约农户32户\"\n\
         # 品类: {}; 单价(元) 至多两位小数; 库存 ≥ 0; 起订量 ≥ 1; 产地说明可留空. 删除此行后上传.\n",
        COLUMNS.join(","),
        names.join("/"),
    )
}

/// One problem with the file: the sheet's row (the header is row 1) and the column's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    /// `INVALID_HEADER`, `INVALID` or `DUPLICATE`.
    pub code: &'static str,
    pub message: String,
}

impl RowError {
    fn new(row: usize, column: &str, code: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            row,
            column: column.to_owned(),
            code,
            message: msg!(
                "import.row_column",
                row = row,
                column = column,
                message = message
            ),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "field": ["file", "row", self.row, self.column],
        })
    }
}

/// A valid data row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    pub row: usize,
    pub sku: String,
    pub name: String,
    pub category: ProductCategory,
    pub spec: String,
    pub unit: String,
    pub price_fen: i64,
    pub stock: i64,
    pub min_order_quantity: i32,
    pub origin_statement: String,
}

/// Reads rows one at a time, keeping only the valid ones and the errors.
#[derive(Debug, Default)]
pub struct Reader {
    layout: Option<[Option<usize>; 9]>,
    seen: HashMap<String, usize>,
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
    /// A blank row met: refused if data follows it.
    blank: Option<usize>,
    data_rows: usize,
}

fn clean_header(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .replace('（', "(")
        .replace('）', ")")
}

impl Reader {
    fn error(&mut self, error: RowError) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(error);
        }
    }

    /// Whether enough errors were found to stop reading.
    pub fn full(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }

    /// The next row of the sheet (`number` counts from 1, the header).
    pub fn push(&mut self, number: usize, cells: &[String]) {
        match self.layout {
            None => self.header(cells),
            Some(layout) => self.data(number, cells, &layout),
        }
    }

    fn header(&mut self, cells: &[String]) {
        let mut layout = [None; 9];
        for (index, raw) in cells.iter().enumerate() {
            let name = clean_header(raw);
            if name.is_empty() {
                continue;
            }
            match COLUMNS.iter().position(|c| *c == name) {
                Some(at) if layout[at].is_some() => self.error(RowError::new(
                    1,
                    &name,
                    "INVALID_HEADER",
                    msg!("import.header_appears_twice"),
                )),
                Some(at) => layout[at] = Some(index),
                None => self.error(RowError::new(
                    1,
                    &name,
                    "INVALID_HEADER",
                    msg!(
                        "import.unknown_header_column_headers",
                        value0 = index + 1,
                        value1 = COLUMNS.join(", ")
                    ),
                )),
            }
        }
        for (at, column) in COLUMNS.iter().enumerate().take(REQUIRED) {
            if layout[at].is_none() {
                self.error(RowError::new(
                    1,
                    column,
                    "INVALID_HEADER",
                    msg!("import.header_missing"),
                ));
            }
        }
        self.layout = Some(layout);
    }

    fn data(&mut self, number: usize, cells: &[String], layout: &[Option<usize>; 9]) {
        // A wrong header makes every cell suspect: the header's errors are the answer.
        if !self.errors.is_empty() && self.data_rows == 0 {
            return;
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            self.blank.get_or_insert(number);
            return;
        }
        // The template's comment line.
        if cells
            .first()
            .is_some_and(|c| c.trim_start().starts_with('#'))
        {
            return;
        }
        if let Some(blank) = self.blank.take() {
            self.error(RowError::new(
                blank,
                SKU,
                "INVALID",
                msg!("import.empty_row_inside_data"),
            ));
        }
        self.data_rows += 1;
        if self.data_rows == MAX_ROWS + 1 {
            self.error(RowError::new(
                number,
                SKU,
                "INVALID",
                msg!("import.file_holds_most_rows", max_rows = MAX_ROWS),
            ));
        }
        if self.data_rows > MAX_ROWS {
            return;
        }
        let sku = layout[0]
            .and_then(|i| cells.get(i))
            .map_or("", |s| s.trim());
        let duplicate = if products::is_sku(sku) {
            match self.seen.get(sku) {
                Some(first) => Some(*first),
                None => {
                    self.seen.insert(sku.to_owned(), number);
                    None
                }
            }
        } else {
            None
        };
        match row_of(number, cells, layout) {
            Ok(row) if duplicate.is_none() && self.errors.is_empty() => self.rows.push(row),
            Ok(_) => {}
            Err(found) => {
                for error in found {
                    self.error(error);
                }
            }
        }
        if let Some(first) = duplicate {
            self.error(RowError::new(
                number,
                SKU,
                "DUPLICATE",
                msg!(
                    "import.sku_also_row",
                    sku = format!("{:?}", sku),
                    first = first
                ),
            ));
        }
        if !self.errors.is_empty() {
            self.rows = Vec::new();
        }
    }

    /// The valid rows, or every problem found.
    pub fn finish(mut self) -> Result<Vec<ImportRow>, Vec<RowError>> {
        if self.layout.is_none() {
            self.error(RowError::new(
                1,
                SKU,
                "INVALID_HEADER",
                msg!("import.file_empty"),
            ));
        }
        if self.errors.is_empty() {
            Ok(self.rows)
        } else {
            Err(self.errors)
        }
    }
}

fn row_of(
    number: usize,
    cells: &[String],
    layout: &[Option<usize>; 9],
) -> Result<ImportRow, Vec<RowError>> {
    let cell = |at: usize| -> &str {
        layout[at]
            .and_then(|i| cells.get(i))
            .map_or("", |s| s.trim())
    };
    let mut errors = Vec::new();
    let mut bad = |column: &str, message: String| {
        errors.push(RowError::new(number, column, "INVALID", message));
    };
    let sku = cell(0);
    if !products::is_sku(sku) {
        bad(
            SKU,
            msg!(
                "import.not_sku_1_40_letters_digits",
                sku = format!("{:?}", sku)
            ),
        );
    }
    let mut text = |at: usize, max: usize, min: usize| -> String {
        let value = cell(at);
        let n = value.chars().count();
        if !(min..=max).contains(&n) {
            bad(
                COLUMNS[at],
                if n == 0 {
                    msg!("import.empty")
                } else {
                    format!("needs {min} to {max} characters, has {n}")
                },
            );
        }
        value.to_owned()
    };
    let name = text(1, 100, 1);
    let spec = text(3, 100, 1);
    let unit = text(4, 16, 1);
    let origin_statement = text(8, 2000, 0);
    let category_text = cell(2);
    let category = category_of(category_text);
    if category.is_none() {
        bad(
            CATEGORY,
            msg!(
                "import.not_category_e_g_fruit",
                category_text = format!("{:?}", category_text)
            ),
        );
    }
    let price_text = cell(5);
    let price_fen = yuan_to_fen(price_text);
    match price_fen {
        None => bad(
            PRICE,
            msg!(
                "import.not_price_yuan_most_two_decimals",
                price_text = format!("{:?}", price_text)
            ),
        ),
        Some(p) if !(1..=MAX_PRICE).contains(&p) => {
            bad(PRICE, msg!("import.price_must_above_zero_most_10"));
        }
        Some(_) => {}
    }
    let stock_text = cell(6);
    let stock = stock_text.parse::<i64>().ok();
    match stock {
        None => bad(
            STOCK,
            msg!(
                "import.not_whole_number",
                stock_text = format!("{:?}", stock_text)
            ),
        ),
        Some(s) if !(0..=MAX_STOCK).contains(&s) => {
            bad(STOCK, msg!("import.stock_0_1_000_000_000"));
        }
        Some(_) => {}
    }
    let min_text = cell(7);
    let min_order_quantity = min_text.parse::<i32>().ok();
    match min_order_quantity {
        None => bad(
            MIN_ORDER,
            msg!(
                "import.not_whole_number_2",
                min_text = format!("{:?}", min_text)
            ),
        ),
        Some(m) if !(1..=1_000_000).contains(&m) => {
            bad(MIN_ORDER, msg!("import.minimum_order_1_1_000_000"));
        }
        Some(_) => {}
    }
    match (category, price_fen, stock, min_order_quantity) {
        (Some(category), Some(price_fen), Some(stock), Some(min_order_quantity))
            if errors.is_empty() =>
        {
            Ok(ImportRow {
                row: number,
                sku: sku.to_owned(),
                name,
                category,
                spec,
                unit,
                price_fen,
                stock,
                min_order_quantity,
                origin_statement,
            })
        }
        _ => Err(errors),
    }
}

fn unreadable(message: String) -> Vec<RowError> {
    vec![RowError {
        row: 1,
        column: SKU.to_owned(),
        code: "INVALID",
        message,
    }]
}

/// Reads a whole file: CSV record by record, XLSX from its first sheet.
pub fn parse(format: Format, bytes: &[u8]) -> Result<Vec<ImportRow>, Vec<RowError>> {
    let mut reader = Reader::default();
    match format {
        Format::Csv => {
            let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
            let mut csv = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(bytes);
            let mut record = csv::StringRecord::new();
            let mut cells: Vec<String> = Vec::new();
            let mut number = 0;
            loop {
                match csv.read_record(&mut record) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        return Err(unreadable(msg!(
                            "import.row_not_readable_utf_8_csv",
                            value0 = number + 1,
                            e = e
                        )));
                    }
                }
                // Records are counted as a spreadsheet counts rows (a fully blank line is
                // skipped by the CSV reader and not counted).
                number += 1;
                cells.clear();
                cells.extend(record.iter().map(str::to_owned));
                reader.push(number, &cells);
                if reader.full() {
                    break;
                }
            }
        }
        Format::Xlsx => {
            use calamine::{Reader as _, Xlsx};
            let mut book = Xlsx::new(std::io::Cursor::new(bytes))
                .map_err(|e| unreadable(format!("not a readable XLSX workbook ({e})")))?;
            let range = match book.worksheet_range_at(0) {
                Some(Ok(range)) => range,
                Some(Err(e)) => {
                    return Err(unreadable(msg!("import.first_sheet_unreadable", e = e)));
                }
                None => return Err(unreadable(msg!("import.workbook_has_no_sheet"))),
            };
            // Row numbers are the sheet's, even if the sheet starts lower than A1.
            let (first_row, first_col) = range.start().unwrap_or((0, 0));
            let mut cells: Vec<String> = Vec::new();
            for (offset, row) in range.rows().enumerate() {
                cells.clear();
                cells.resize(first_col as usize, String::new());
                cells.extend(row.iter().map(cell_text));
                if reader.layout.is_none() && cells.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                reader.push(first_row as usize + offset + 1, &cells);
                if reader.full() {
                    break;
                }
            }
        }
    }
    reader.finish()
}

/// What happens to a row.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Unchanged,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Unchanged => "UNCHANGED",
        }
    }
}

/// One row's outcome, with the API names of the fields it changes.
#[derive(Clone, Debug)]
pub struct Planned {
    pub row: usize,
    pub sku: String,
    pub action: Action,
    pub changes: Vec<&'static str>,
}

/// An import's outcome: exact counts, and the first [`MAX_ROWS_SHOWN`] rows.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rows: Vec<Planned>,
}

/// The fields a row changes on a product, by their API names.
pub fn changes(row: &ImportRow, current: &product::Model) -> Vec<&'static str> {
    let mut found = Vec::new();
    let pairs: [(&'static str, bool); 8] = [
        ("name", row.name != current.name),
        ("category", row.category != current.category),
        ("spec", row.spec != current.spec),
        ("unit", row.unit != current.unit),
        ("price", row.price_fen != current.price_fen),
        ("stock", row.stock != current.stock),
        (
            "minOrderQuantity",
            row.min_order_quantity != current.min_order_quantity,
        ),
        (
            "originStatement",
            row.origin_statement != current.origin_statement,
        ),
    ];
    for (name, differs) in pairs {
        if differs {
            found.push(name);
        }
    }
    found
}

/// Refuses unless the viewer acts for the producer, or is an officer whose scope covers it.
async fn require_importer(
    conn: &impl sea_orm::ConnectionTrait,
    viewer: &Viewer,
    producer_org_id: Uuid,
    region_code: &str,
) -> AppResult<()> {
    if membership_in(conn, viewer, producer_org_id)
        .await?
        .is_some()
    {
        return Ok(());
    }
    if scope::acting(conn, viewer).await?.covers(region_code) {
        return Ok(());
    }
    Err(AppError::Forbidden(
        "forbidden.you_neither_act_producer_nor_oversee",
    ))
}

fn input_of(row: &ImportRow, current: Option<&product::Model>) -> ProductInput {
    ProductInput {
        name: row.name.clone(),
        category: row.category,
        spec: row.spec.clone(),
        unit: row.unit.clone(),
        price_fen: row.price_fen,
        min_order_quantity: row.min_order_quantity,
        stock: row.stock,
        origin_statement: row.origin_statement.clone(),
        images: current
            .and_then(|c| serde_json::from_str(&c.images).ok())
            .unwrap_or_default(),
        trace_code: current.and_then(|c| c.trace_code.clone()),
        sku: Some(row.sku.clone()),
    }
}

/// Plans (and unless `dry_run`, writes) an import of checked rows for a producer.
pub async fn import(
    caller: Caller<'_>,
    producer_org_id: Uuid,
    rows: Vec<ImportRow>,
    dry_run: bool,
) -> AppResult<Outcome> {
    let db = caller.db();
    let (_, producer) = producers::load(db, producer_org_id).await?;
    require_importer(db, caller.viewer, producer_org_id, &producer.region_code).await?;
    let txn = db.begin().await?;
    // Every product of the producer that has a SKU, in one query.
    let mut existing: HashMap<String, product::Model> = product::Entity::find()
        .filter(product::Column::ProducerOrgId.eq(producer_org_id))
        .filter(product::Column::Sku.is_not_null())
        .all(&txn)
        .await?
        .into_iter()
        .filter_map(|p| p.sku.clone().map(|sku| (sku, p)))
        .collect();
    let mut outcome = Outcome::default();
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    for row in rows {
        let (action, changed) = match existing.get(&row.sku) {
            None => (Action::Create, Vec::new()),
            Some(current) => {
                let changed = changes(&row, current);
                if changed.is_empty() {
                    (Action::Unchanged, changed)
                } else {
                    (Action::Update, changed)
                }
            }
        };
        match action {
            Action::Create => outcome.created += 1,
            Action::Update => outcome.updated += 1,
            Action::Unchanged => outcome.unchanged += 1,
        }
        if outcome.rows.len() < MAX_ROWS_SHOWN {
            outcome.rows.push(Planned {
                row: row.row,
                sku: row.sku.clone(),
                action,
                changes: changed,
            });
        }
        if !dry_run {
            match action {
                Action::Create => creates.push(row),
                Action::Update => {
                    if let Some(current) = existing.remove(&row.sku) {
                        updates.push((row, current));
                    }
                }
                Action::Unchanged => {}
            }
        }
    }
    if dry_run || (creates.is_empty() && updates.is_empty()) {
        // Nothing to write: the transaction only gave the plan a consistent view.
        txn.rollback().await?;
        return Ok(outcome);
    }
    let mut groups: BTreeSet<(ProductCategory, String, String)> = BTreeSet::new();
    let rank = region::regions::poverty_rank(&txn, &producer.region_code).await?;
    let place = Placement {
        producer_org_id,
        region_code: producer.region_code.clone(),
        poverty_rank: rank,
    };
    let now = chrono::Utc::now();
    for chunk in creates.chunks(CHUNK) {
        let mut new_rows = Vec::with_capacity(chunk.len());
        let mut prices: Vec<price_change::ActiveModel> = Vec::with_capacity(chunk.len());
        for row in chunk {
            let input = input_of(row, None);
            products::check(&input)?;
            let active = products::new_row(&place, &input, now)?;
            let id = *active.id.as_ref();
            prices.push(products::price_row(caller.viewer, id, row.price_fen));
            groups.insert((row.category, row.unit.clone(), row.spec.clone()));
            new_rows.push(active);
        }
        product::Entity::insert_many(new_rows)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| {
                // Only a concurrent import or edit can have taken one of these SKUs since.
                if crate::error::is_unique_violation(&e) {
                    AppError::field(
                        "sku",
                        crate::error::ErrorCode::Duplicate,
                        msg!("import.sku_file_was_taken_meanwhile_run"),
                    )
                } else {
                    e.into()
                }
            })?;
        price_change::Entity::insert_many(prices)
            .exec_without_returning(&txn)
            .await?;
    }
    for (row, current) in updates {
        groups.insert((current.category, current.unit.clone(), current.spec.clone()));
        groups.insert((row.category, row.unit.clone(), row.spec.clone()));
        let before_stock = current.stock;
        let id = current.id;
        let input = input_of(&row, Some(&current));
        products::apply_update(&txn, caller.viewer, current, &input).await?;
        if row.stock != before_stock {
            products::apply_stock(
                &txn,
                caller.viewer,
                id,
                row.stock - before_stock,
                STOCK_REASON,
            )
            .await?;
        }
    }
    for (category, unit, spec) in &groups {
        products::refresh_price_flags(&txn, *category, unit, spec).await?;
    }
    caller
        .audit(
            &txn,
            Change {
                action: "importCatalogue",
                target_type: "Producer",
                target_id: Some(producer_org_id),
                summary: json!({
                    "created": outcome.created,
                    "updated": outcome.updated,
                    "unchanged": outcome.unchanged,
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(csv: &str) -> Result<Vec<ImportRow>, Vec<RowError>> {
        parse(Format::Csv, csv.as_bytes())
    }

    fn places(errors: &[RowError]) -> Vec<(usize, &str, &str)> {
        errors
            .iter()
            .map(|e| (e.row, e.column.as_str(), e.code))
            .collect()
    }

    const HEAD: &str = "商品编码,商品名称,品类,规格,单位,单价(元),库存,起订量,产地说明\n";

    #[test]
    fn the_template_reads_as_one_good_row() {
        let rows = read(&template_csv()).unwrap_or_default();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].sku, "HM-001");
        assert_eq!(rows[0].category, ProductCategory::Fruit);
        assert_eq!(rows[0].price_fen, 5800);
        assert_eq!(rows[0].row, 2);
    }

    #[test]
    fn categories_by_chinese_or_api_name() {
        assert_eq!(category_of("茶叶"), Some(ProductCategory::Tea));
        assert_eq!(
            category_of("edible_fungi"),
            Some(ProductCategory::EdibleFungi)
        );
        assert_eq!(category_of("茶"), None);
    }

    #[test]
    fn a_missing_or_renamed_header_is_named() {
        let Err(errors) = read("商品编码,商品名,品类,规格,单位,单价（元）,库存,起订量\n")
        else {
            unreachable!()
        };
        assert_eq!(
            places(&errors),
            [
                (1, "商品名", "INVALID_HEADER"),
                (1, "商品名称", "INVALID_HEADER")
            ]
        );
        assert!(read("").is_err());
        // The rows under a wrong header are not reported cell by cell.
        let Err(errors) = read("商品编码,品类\nA1,水果\n") else {
            unreachable!()
        };
        assert!(errors.iter().all(|e| e.row == 1), "{errors:?}");
    }

    #[test]
    fn bad_cells_name_their_row_and_column() {
        let csv = format!(
            "{HEAD}A1,苹果,水果,5kg,箱,1.234,x,1,\nA2,梨,石头,5kg,,0,3,0,\nA1,桃,水果,5kg,箱,3,3,1,\nA 4,桃,FRUIT,5kg,箱,3,3,1,\n"
        );
        let Err(errors) = crate::i18n::sync_scope(crate::i18n::Locale::En, || read(&csv)) else {
            unreachable!()
        };
        assert_eq!(
            places(&errors),
            [
                (2, PRICE, "INVALID"),
                (2, STOCK, "INVALID"),
                (3, UNIT, "INVALID"),
                (3, CATEGORY, "INVALID"),
                (3, PRICE, "INVALID"),
                (3, MIN_ORDER, "INVALID"),
                (4, SKU, "DUPLICATE"),
                (5, SKU, "INVALID"),
            ]
        );
        assert!(errors[6].message.contains("row 2"), "{}", errors[6].message);
        assert!(errors[0].message.starts_with("row 2, column 单价(元)"));
    }

    #[test]
    fn good_rows_parse_exactly() {
        let csv =
            format!("{HEAD}A1,苹果,水果,5kg,箱,12.5,0,3,村里\n\nB-2,茶,TEA,1kg,盒,99,1.5,1,\n");
        let Err(errors) = read(&csv) else {
            unreachable!()
        };
        assert_eq!(places(&errors), [(3, STOCK, "INVALID")]);
        let rows =
            read(&format!("{HEAD}A1,苹果,水果,5kg,箱,12.5,0,3,村里\n\n")).unwrap_or_default();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].price_fen, rows[0].stock, rows[0].min_order_quantity),
            (1250, 0, 3)
        );
        assert_eq!(rows[0].origin_statement, "村里");
    }
}
