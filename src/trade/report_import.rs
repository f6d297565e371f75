//! Outlet sales from a spreadsheet (CSV or XLSX): the first row holds the Chinese headers
//! 商品编号 (the product's ID), 数量 (a whole number), 金额(元) (yuan with at most two decimals,
//! turned into fen from its text, never through a float) and, optionally, 销售日期 (`YYYY-MM-DD`).
//! Column order is free; a missing, unknown or repeated header is refused by its name. A bad cell
//! is refused as `row N, column X` (N the sheet's row number, the header being row 1). All
//! problems are returned at once (at most [`MAX_ERRORS`]), and then nothing is written.

use std::io::Cursor;

use chrono::{Days, NaiveDate};
use uuid::Uuid;

pub use super::outlet_reports::{AMOUNT, PRODUCT, QUANTITY, SOLD_ON, header_of};
use super::outlet_reports::{Column, LineInput, Locator, MAX_ERRORS, MAX_LINES};
use crate::{
    error::{ErrorCode, UserError},
    ids::{self, NodeKind},
};

/// The downloadable template: the headers and one example row.
pub fn template_csv() -> String {
    format!(
        "\u{feff}{PRODUCT},{QUANTITY},{AMOUNT},{SOLD_ON}\n{},12,540.00,2026-06-15\n",
        NodeKind::Product.id(Uuid::nil()).0
    )
}

/// Which column of the sheet holds each field.
#[derive(Debug, Default)]
struct Layout {
    product: Option<usize>,
    quantity: Option<usize>,
    amount: Option<usize>,
    sold_on: Option<usize>,
}

fn header_error(name: &str, message: String) -> UserError {
    UserError {
        field: Some(vec!["file".into(), "header".into(), name.into()]),
        code: ErrorCode::Invalid,
        message,
    }
}

/// Reads the header row. Full-width parentheses (金额（元）) are taken as the same header.
fn layout(header: &[String]) -> Result<Layout, Vec<UserError>> {
    let mut found = Layout::default();
    let mut errors = Vec::new();
    for (index, raw) in header.iter().enumerate() {
        let name = raw
            .trim()
            .trim_start_matches('\u{feff}')
            .replace('（', "(")
            .replace('）', ")");
        let slot = match name.as_str() {
            PRODUCT => &mut found.product,
            QUANTITY => &mut found.quantity,
            AMOUNT => &mut found.amount,
            SOLD_ON => &mut found.sold_on,
            "" => continue,
            other => {
                errors.push(header_error(
                    other,
                    msg!(
                        "report_import.column_unknown_header_headers_optionally",
                        value0 = index + 1,
                        other = format!("{:?}", other),
                        product = PRODUCT,
                        quantity = QUANTITY,
                        amount = AMOUNT,
                        sold_on = SOLD_ON
                    ),
                ));
                continue;
            }
        };
        if slot.replace(index).is_some() {
            errors.push(header_error(
                &name,
                msg!("report_import.column_appears_twice", name = name),
            ));
        }
    }
    for (slot, name) in [
        (found.product, PRODUCT),
        (found.quantity, QUANTITY),
        (found.amount, AMOUNT),
    ] {
        if slot.is_none() {
            errors.push(header_error(
                name,
                msg!("report_import.column_missing", name = name),
            ));
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}

/// Yuan text (`"12"`, `"12.5"`, `"12.50"`, `"-3"`) to fen, exactly; `None` past two decimals or
/// for anything else.
pub fn yuan_to_fen(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (yuan, cents) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if yuan.is_empty()
        || yuan.len() > 13
        || cents.len() > 2
        || !all_digits(yuan)
        || !all_digits(cents)
    {
        return None;
    }
    if digits.contains('.') && cents.is_empty() {
        return None;
    }
    let fen = yuan
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(format!("{cents:0<2}").parse::<i64>().ok()?)?;
    Some(if negative { -fen } else { fen })
}

/// A product ID as the API issues it, or its bare UUID.
fn product_id(text: &str) -> Option<Uuid> {
    match ids::decode(text) {
        Some((NodeKind::Product, id)) => Some(id),
        Some(_) => None,
        None => Uuid::try_parse(text).ok(),
    }
}

fn cell(row: &[String], at: Option<usize>) -> &str {
    at.and_then(|i| row.get(i)).map_or("", |s| s.trim())
}

/// Reads the data rows into lines, or every problem found.
pub fn lines_of(table: &[Vec<String>]) -> Result<Vec<LineInput>, Vec<UserError>> {
    let Some((header, rows)) = table.split_first() else {
        return Err(vec![header_error(
            PRODUCT,
            msg!("report_import.file_empty"),
        )]);
    };
    let layout = layout(header)?;
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    // Lines are numbered by their position among data rows, so errors name the sheet's row.
    for (index, row) in rows.iter().enumerate() {
        if row.iter().all(|c| c.trim().is_empty()) {
            if index + 1 < rows.len() {
                errors.push(Locator::Sheet.error(
                    index,
                    Column::Product,
                    ErrorCode::Invalid,
                    msg!("report_import.empty_row_inside_data"),
                ));
            }
            continue;
        }
        match line_of(row, &layout, index) {
            Ok(line) => lines.push(line),
            Err(mut found) => errors.append(&mut found),
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if lines.len() > MAX_LINES {
        errors.push(header_error(
            PRODUCT,
            msg!(
                "report_import.report_holds_most_rows",
                max_lines = MAX_LINES
            ),
        ));
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        errors.truncate(MAX_ERRORS);
        Err(errors)
    }
}

fn line_of(row: &[String], layout: &Layout, index: usize) -> Result<LineInput, Vec<UserError>> {
    let mut errors = Vec::new();
    let mut bad = |column: Column, message: String| {
        errors.push(Locator::Sheet.error(index, column, ErrorCode::Invalid, message));
    };
    let product_text = cell(row, layout.product);
    let product = product_id(product_text);
    if product.is_none() {
        bad(
            Column::Product,
            msg!(
                "report_import.not_product_id",
                product_text = format!("{:?}", product_text)
            ),
        );
    }
    let quantity_text = cell(row, layout.quantity);
    let quantity = quantity_text.parse::<i64>().ok();
    match quantity {
        None => bad(
            Column::Quantity,
            msg!(
                "report_import.not_whole_number",
                quantity_text = format!("{:?}", quantity_text)
            ),
        ),
        Some(q) if q <= 0 => bad(
            Column::Quantity,
            msg!("report_import.quantity_sold_positive"),
        ),
        Some(_) => {}
    }
    let amount_text = cell(row, layout.amount);
    let amount = yuan_to_fen(amount_text);
    match amount {
        None => bad(
            Column::Amount,
            msg!(
                "report_import.not_amount_yuan_most_two_decimals",
                amount_text = format!("{:?}", amount_text)
            ),
        ),
        Some(a) if a <= 0 => bad(Column::Amount, msg!("report_import.amount_sold_positive")),
        Some(_) => {}
    }
    let day_text = cell(row, layout.sold_on);
    let sold_on = if day_text.is_empty() {
        None
    } else {
        let day = strict_date(day_text);
        if day.is_none() {
            bad(
                Column::SoldOn,
                msg!(
                    "report_import.not_date_yyyy_mm_dd",
                    day_text = format!("{:?}", day_text)
                ),
            );
        }
        day
    };
    match (product, quantity, amount) {
        (Some(product_id), Some(quantity), Some(amount_fen)) if errors.is_empty() => {
            Ok(LineInput {
                product_id,
                quantity,
                amount_fen,
                sold_on,
            })
        }
        _ => Err(errors),
    }
}

/// Exactly `YYYY-MM-DD` (chrono alone also takes `2026-6-2`).
fn strict_date(text: &str) -> Option<NaiveDate> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// The file's problem as a whole (unreadable, not the format it says).
fn unreadable(message: impl Into<String>) -> Vec<UserError> {
    vec![UserError {
        field: Some(vec!["file".into()]),
        code: ErrorCode::Invalid,
        message: message.into(),
    }]
}

/// A CSV file's cells (UTF-8, with or without a byte-order mark).
pub fn csv_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, Vec<UserError>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut table = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            unreadable(msg!(
                "report_import.row_not_readable_utf_8_csv",
                value0 = index + 1,
                e = e
            ))
        })?;
        table.push(record.iter().map(str::to_owned).collect());
        if table.len() > MAX_LINES + 1 {
            break;
        }
    }
    Ok(table)
}

/// An XLSX file's first sheet, each cell as the text it would be typed as: numbers in their
/// shortest exact form (so a float that is not a whole number of fen is refused, not rounded),
/// dates as `YYYY-MM-DD`.
pub fn xlsx_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, Vec<UserError>> {
    use calamine::{Reader, Xlsx};
    let mut book = Xlsx::new(Cursor::new(bytes.to_vec()))
        .map_err(|e| unreadable(format!("not a readable XLSX workbook ({e})")))?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(e)) => {
            return Err(unreadable(msg!(
                "report_import.first_sheet_unreadable",
                e = e
            )));
        }
        None => return Err(unreadable(msg!("report_import.workbook_has_no_sheet"))),
    };
    // Rows are read from A1, so row numbers are the sheet's even if the sheet starts lower.
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let blank_row = vec![String::new(); range.width() + first_col as usize];
    let mut table = vec![blank_row; first_row as usize];
    for row in range.rows() {
        let mut cells = vec![String::new(); first_col as usize];
        cells.extend(row.iter().map(cell_text));
        table.push(cells);
        if table.len() > MAX_LINES + 1 {
            break;
        }
    }
    Ok(table)
}

/// A spreadsheet cell as the text it would be typed as: numbers in their shortest exact form,
/// dates as `YYYY-MM-DD`.
pub fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            excel_day(d.as_f64()).map_or_else(|| d.as_f64().to_string(), |d| d.to_string())
        }
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A day from an Excel serial date (the 1900 system, counting from 1899-12-30).
fn excel_day(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let days = serial.floor() as u64;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(days))
}

/// The file's format, from its content type or its first bytes (XLSX is a ZIP archive).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

pub fn sniff(content_type: Option<&str>, bytes: &[u8]) -> Format {
    let xlsx_type =
        content_type.is_some_and(|t| t.contains("spreadsheetml") || t.contains("excel"));
    if xlsx_type || bytes.starts_with(b"PK\x03\x04") {
        Format::Xlsx
    } else {
        Format::Csv
    }
}

/// The lines of a file, or every problem with it.
pub fn parse(format: Format, bytes: &[u8]) -> Result<Vec<LineInput>, Vec<UserError>> {
    let table = match format {
        Format::Csv => csv_table(bytes)?,
        Format::Xlsx => xlsx_table(bytes)?,
    };
    lines_of(&table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &[UserError]) -> Vec<String> {
        errors
            .iter()
            .filter_map(|e| e.field.as_ref().map(|f| f.join("/")))
            .collect()
    }

    #[test]
    fn yuan_become_fen_exactly() {
        assert_eq!(yuan_to_fen("12"), Some(1200));
        assert_eq!(yuan_to_fen("12.5"), Some(1250));
        assert_eq!(yuan_to_fen("0.07"), Some(7));
        assert_eq!(yuan_to_fen("-3.20"), Some(-320));
        assert_eq!(yuan_to_fen("0.30000000000000004"), None);
        for bad in ["", "1.234", "1.", ".5", "1e3", "12,50", "１２", " 1"] {
            assert_eq!(yuan_to_fen(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_wrong_header_is_named() {
        let table = |h: &[&str]| vec![h.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()];
        let Err(errors) = lines_of(&table(&["商品编号", "数量量", "金额(元)"])) else {
            unreachable!()
        };
        assert_eq!(fields(&errors), ["file/header/数量量", "file/header/数量"]);
        assert!(lines_of(&table(&["商品编号", "数量", "金额（元）"])).is_ok());
    }

    #[test]
    fn a_broken_row_names_its_row_and_column() {
        let id = NodeKind::Product.id(Uuid::from_u128(7)).0;
        let csv = format!(
            "商品编号,数量,金额(元),销售日期\n{id},3,12.50,2026-06-02\n{id},x,-1,2026-6-2\nnope,1,1,\n"
        );
        let Err(errors) = parse(Format::Csv, csv.as_bytes()) else {
            unreachable!()
        };
        assert_eq!(
            fields(&errors),
            [
                "file/row/3/数量",
                "file/row/3/金额(元)",
                "file/row/3/销售日期",
                "file/row/4/商品编号"
            ]
        );
        assert!(errors[0].message.starts_with("第 3 行，数量 列"));
        let good = format!("\u{feff}商品编号,金额(元),数量\n{id},12.5,3\n");
        let lines = parse(Format::Csv, good.as_bytes()).unwrap_or_default();
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].quantity, lines[0].amount_fen), (3, 1250));
        assert_eq!(lines[0].product_id, Uuid::from_u128(7));
    }

    #[test]
    fn excel_serial_days_are_dates() {
        assert_eq!(
            excel_day(46188.0).map(|d| d.to_string()).as_deref(),
            Some("2026-06-15")
        );
        assert!(template_csv().contains("金额(元)"));
        assert_eq!(sniff(None, b"PK\x03\x04rest"), Format::Xlsx);
    }
}
