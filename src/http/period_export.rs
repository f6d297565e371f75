//! `GET /exports/closed-period.xlsx?id=…`: a closed period's frozen report as officials file it,
//! for the staff who read its region (the same sign-in and quotas as the ledger exports). The
//! first sheet is the ranking in the columns of the 通报 (单位, 预留份额, 采购金额(元), 完成率,
//! 排名); the second the totals. Money and percentages are written as exact text from integer
//! fen and basis points, never through floating point.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use entity::closed_period;
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use super::{
    AppState,
    exports::{admitted_viewer, app_error, neutralise},
};
use crate::{
    error::AppError,
    graphql::scalars::Money,
    ids::{self, NodeKind},
    reporting::periods::{self, Report},
};

/// The ranking's headers, in the order officials use.
pub const RANKING_HEADERS: [&str; 5] = ["单位", "预留份额", "采购金额(元)", "完成率", "排名"];
/// The totals sheet's headers.
pub const TOTALS_HEADERS: [&str; 5] = ["维度", "项目", "采购金额(元)", "数量", "笔数"];

/// Basis points as a percentage with two places: 1234 → `12.34%`.
pub fn percent_of_bp(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let abs = bp.unsigned_abs();
    format!("{sign}{}.{:02}%", abs / 100, abs % 100)
}

fn id_param(pairs: &[(String, String)]) -> Result<uuid::Uuid, AppError> {
    match pairs {
        [(name, value)] if name == "id" => ids::expect(
            &async_graphql::ID(value.chars().take(200).collect()),
            NodeKind::ClosedPeriod,
            "id",
        ),
        _ => Err(AppError::BadInput(msg!(
            "http.give_exactly_one_parameter_id_closedperiod"
        ))),
    }
}

fn header_row(sheet: &mut Worksheet, names: &[&str]) -> Result<(), XlsxError> {
    for (column, name) in (0u16..).zip(names) {
        sheet.write_string(0, column, *name)?;
    }
    Ok(())
}

fn workbook(closed: &closed_period::Model, report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let ranking = book.add_worksheet();
    ranking.set_name("排名")?;
    header_row(ranking, &RANKING_HEADERS)?;
    for (row, unit) in (1u32..).zip(&report.ranking) {
        ranking.write_string(row, 0, neutralise(&unit.unit_name))?;
        ranking.write_string(
            row,
            1,
            unit.reserved_share_bp
                .map(|bp| percent_of_bp(i64::from(bp)))
                .unwrap_or_default(),
        )?;
        ranking.write_string(row, 2, Money(unit.purchased_fen).to_string())?;
        ranking.write_string(row, 3, percent_of_bp(unit.done_bp))?;
        ranking.write_number(row, 4, unit.rank)?;
    }
    let totals = book.add_worksheet();
    totals.set_name("合计")?;
    header_row(totals, &TOTALS_HEADERS)?;
    totals.write_string(1, 0, "合计")?;
    totals.write_string(1, 1, format!("{} {}", closed.region_code, closed.period))?;
    totals.write_string(1, 2, Money(report.total.amount_fen).to_string())?;
    totals.write_string(1, 3, report.total.quantity.to_string())?;
    totals.write_string(1, 4, report.total.entries.to_string())?;
    for (row, line) in (2u32..).zip(&report.totals) {
        totals.write_string(row, 0, line.dimension.chinese())?;
        totals.write_string(row, 1, neutralise(&line.key))?;
        totals.write_string(row, 2, Money(line.sums.amount_fen).to_string())?;
        totals.write_string(row, 3, line.sums.quantity.to_string())?;
        totals.write_string(row, 4, line.sums.entries.to_string())?;
    }
    let next = u32::try_from(report.totals.len()).unwrap_or(u32::MAX - 8) + 3;
    for (offset, (label, value)) in [
        ("账本序号", closed.tip_seq.to_string()),
        ("账本哈希", closed.tip_hash.clone()),
        ("签名", closed.signature.clone()),
    ]
    .into_iter()
    .enumerate()
    {
        let row = next + u32::try_from(offset).unwrap_or(0);
        totals.write_string(row, 0, label)?;
        totals.write_string(row, 1, value)?;
    }
    book.save_to_buffer()
}

pub async fn closed_period_xlsx(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers_in: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let viewer = match admitted_viewer(&app, peer, &headers_in).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let id = match id_param(&pairs) {
        Ok(id) => id,
        Err(error) => return app_error(error),
    };
    let (closed, report) = match periods::export(&app.services.db, &viewer, id).await {
        Ok(found) => found,
        Err(error) => return app_error(error),
    };
    let bytes = match workbook(&closed, &report) {
        Ok(bytes) => bytes,
        Err(error) => return app_error(AppError::internal(error)),
    };
    let filename = format!(
        "attachment; filename=\"closed-period-{}-{}.xlsx\"",
        closed.region_code, closed.period
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, filename),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basis_points_show_as_exact_percentages() {
        assert_eq!(percent_of_bp(1234), "12.34%");
        assert_eq!(percent_of_bp(5), "0.05%");
        assert_eq!(percent_of_bp(10_000), "100.00%");
        assert_eq!(percent_of_bp(-250), "-2.50%");
    }

    #[test]
    fn only_an_id_is_taken() {
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let good = NodeKind::ClosedPeriod.id(uuid::Uuid::from_u128(1)).0;
        assert!(id_param(&[pair("id", &good)]).is_ok());
        assert!(id_param(&[]).is_err());
        assert!(id_param(&[pair("id", "nope")]).is_err());
        assert!(id_param(&[pair("id", &good), pair("lang", "en")]).is_err());
        let other = NodeKind::Order.id(uuid::Uuid::from_u128(1)).0;
        assert!(id_param(&[pair("id", &other)]).is_err());
    }
}
