//! `GET /exports/ledger.csv` and `/exports/ledger.xlsx`: the ledger's raw entries, or a summary
//! grouped like `ledgerSummary`, with the same filters and the same visibility. CSV is streamed a
//! page of entries at a time; XLSX is written in constant-memory mode to a temporary file and
//! streamed from it, so a large export never sits in memory.

use std::{collections::HashMap, net::SocketAddr};

use axum::{
    body::Body,
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use entity::{ledger_entry, organization};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    AppState,
    graphql::{Refusal, admit, authenticate, client_ip},
};
use crate::{
    auth::ClientInfo,
    error::{AppError, ErrorCode},
    graphql::scalars::Money,
    ids::{self, NodeKind},
    ledger::{
        service::Reach,
        summary::{self, LedgerDimension, SummaryFilter},
    },
    region::subtree,
};

const PAGE: u64 = 1000;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportParams {
    /// Comma-separated dimensions (e.g. `COUNTY,MONTH`); raw entries when absent.
    group_by: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    region_code: Option<String>,
    buyer_id: Option<String>,
    producer_id: Option<String>,
    #[serde(default)]
    certified_only: bool,
    #[serde(default)]
    paired_only: bool,
    /// `zh` (default) for Chinese column headers, `en` for English.
    lang: Option<String>,
}

fn refuse(code: ErrorCode, status: StatusCode, message: impl Into<String>) -> Response {
    Refusal::new(status, code, message).into_json_response()
}

fn app_error(error: AppError) -> Response {
    match error {
        AppError::Forbidden(why) => refuse(ErrorCode::Forbidden, StatusCode::FORBIDDEN, why),
        AppError::BadInput(why) => refuse(ErrorCode::BadUserInput, StatusCode::BAD_REQUEST, why),
        other => {
            let _: async_graphql::Error = other.into(); // logs the detail
            refuse(
                ErrorCode::Internal,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
            )
        }
    }
}

/// A table of strings, produced a page at a time.
enum Rows {
    Entries { next_seq: i64, condition: Condition },
    Summary(Option<Vec<Vec<String>>>),
}

struct Export {
    db: DatabaseConnection,
    chinese: bool,
    rows: Rows,
}

fn headers(chinese: bool, dimensions: Option<&[LedgerDimension]>) -> Vec<String> {
    match dimensions {
        Some(dimensions) => {
            let mut names: Vec<String> = dimensions.iter().map(|d| format!("{d:?}")).collect();
            let sums = if chinese {
                ["金额(元)", "数量", "笔数"]
            } else {
                ["amount (yuan)", "quantity", "entries"]
            };
            names.extend(sums.iter().map(|s| (*s).to_owned()));
            names
        }
        None => {
            let (zh, en): (&[&str], &[&str]) = (
                &[
                    "序号",
                    "日期",
                    "类型",
                    "采购单位",
                    "单位类型",
                    "经营主体",
                    "产品",
                    "品类",
                    "数量",
                    "金额(元)",
                    "区划代码",
                    "县",
                    "县贫困状态",
                    "村贫困状态",
                    "认定产品",
                    "对口帮扶",
                    "带动贫困户数",
                    "年度",
                    "哈希",
                ],
                &[
                    "seq",
                    "date",
                    "kind",
                    "buyer",
                    "buyer kind",
                    "producer",
                    "product",
                    "category",
                    "quantity",
                    "amount (yuan)",
                    "region code",
                    "county",
                    "county status",
                    "village status",
                    "certified",
                    "paired",
                    "poor households linked",
                    "year",
                    "hash",
                ],
            );
            (if chinese { zh } else { en })
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        }
    }
}

impl Export {
    /// The next page of rows, or `None` at the end.
    async fn next_page(&mut self) -> Result<Option<Vec<Vec<String>>>, AppError> {
        match &mut self.rows {
            Rows::Summary(rows) => Ok(rows.take()),
            Rows::Entries {
                next_seq,
                condition,
            } => {
                let page = ledger_entry::Entity::find()
                    .filter(condition.clone())
                    .filter(ledger_entry::Column::Seq.gte(*next_seq))
                    .order_by_asc(ledger_entry::Column::Seq)
                    .limit(PAGE)
                    .all(&self.db)
                    .await?;
                let Some(last) = page.last() else {
                    return Ok(None);
                };
                *next_seq = last.seq + 1;
                let ids: Vec<Uuid> = page
                    .iter()
                    .flat_map(|e| [e.buyer_org_id, e.producer_org_id])
                    .collect();
                let names: HashMap<Uuid, String> = organization::Entity::find()
                    .filter(organization::Column::Id.is_in(ids))
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(|o| (o.id, o.name))
                    .collect();
                let yes_no = |b: bool| {
                    if self.chinese {
                        if b { "是" } else { "否" }
                    } else if b {
                        "yes"
                    } else {
                        "no"
                    }
                };
                Ok(Some(
                    page.iter()
                        .map(|e| {
                            vec![
                                e.seq.to_string(),
                                e.occurred_on.to_string(),
                                format!("{:?}", e.kind).to_uppercase(),
                                names.get(&e.buyer_org_id).cloned().unwrap_or_default(),
                                e.buyer_kind.clone(),
                                names.get(&e.producer_org_id).cloned().unwrap_or_default(),
                                e.product_name.clone(),
                                e.category.clone(),
                                e.quantity.to_string(),
                                Money(e.amount_fen).to_string(),
                                e.region_code.clone(),
                                e.county_code.clone(),
                                e.county_status.clone(),
                                e.village_status.clone().unwrap_or_default(),
                                yes_no(e.certified).to_owned(),
                                yes_no(e.paired).to_owned(),
                                e.poor_households_linked.to_string(),
                                e.reporting_year.to_string(),
                                e.hash.clone(),
                            ]
                        })
                        .collect(),
                ))
            }
        }
    }
}

/// Checks the viewer and the parameters, and sets up the rows.
async fn prepare(
    app: &AppState,
    peer: SocketAddr,
    headers_in: &HeaderMap,
    params: ExportParams,
) -> Result<(Export, Vec<String>), Response> {
    let viewer = match authenticate(app, headers_in) {
        Ok(Some(viewer)) => viewer,
        Ok(None) => {
            return Err(refuse(
                ErrorCode::Unauthenticated,
                StatusCode::UNAUTHORIZED,
                "sign in first",
            ));
        }
        Err(refusal) => return Err(refusal.into_json_response()),
    };
    let client = ClientInfo {
        ip: client_ip(
            headers_in,
            Some(peer),
            app.services.settings.trust_forwarded_for,
        ),
    };
    admit(&app.services, Some(&viewer), &client)
        .await
        .map_err(Refusal::into_json_response)?;
    let db = app.services.db.clone();
    let summaries = app.services.summaries.clone();
    let reach = Reach::of(&db, &viewer).await.map_err(app_error)?;
    let chinese = params.lang.as_deref() != Some("en");
    let buyer = params
        .buyer_id
        .as_deref()
        .map(|id| {
            ids::expect(
                &async_graphql::ID(id.to_owned()),
                NodeKind::Buyer,
                "buyerId",
            )
        })
        .transpose()
        .map_err(app_error)?;
    let producer = params
        .producer_id
        .as_deref()
        .map(|id| {
            ids::expect(
                &async_graphql::ID(id.to_owned()),
                NodeKind::Producer,
                "producerId",
            )
        })
        .transpose()
        .map_err(app_error)?;
    if let Some(group_by) = params.group_by.as_deref().filter(|g| !g.is_empty()) {
        let mut dimensions = Vec::new();
        for name in group_by.split(',') {
            let value = async_graphql::Value::Enum(async_graphql::Name::new(name.trim()));
            let dimension = <LedgerDimension as async_graphql::InputType>::parse(Some(value))
                .map_err(|_| app_error(AppError::BadInput(format!("unknown dimension {name}"))))?;
            dimensions.push(dimension);
        }
        if dimensions.len() > 2 {
            return Err(app_error(AppError::BadInput(
                "group by at most two dimensions".into(),
            )));
        }
        let filter = SummaryFilter {
            from_month: params.from.map(summary::month_of),
            to_month: params.to.map(summary::month_of),
            region_code: params.region_code.clone(),
            buyer_org_ids: buyer.map(|b| vec![b]),
            producer_org_id: producer,
            certified_only: params.certified_only,
            paired_only: params.paired_only,
        };
        let groups = summary::summarize(&db, &summaries, &dimensions, &filter, Some(&reach))
            .await
            .map_err(app_error)?;
        let rows = groups
            .iter()
            .map(|g| {
                let mut row = g.keys.clone();
                row.extend([
                    Money(g.amount_fen).to_string(),
                    g.quantity.to_string(),
                    g.entries.to_string(),
                ]);
                row
            })
            .collect();
        let header = headers(chinese, Some(&dimensions));
        return Ok((
            Export {
                db,
                chinese,
                rows: Rows::Summary(Some(rows)),
            },
            header,
        ));
    }
    let mut condition = Condition::all().add(
        reach
            .condition(
                ledger_entry::Column::RegionCode,
                ledger_entry::Column::BuyerOrgId,
                ledger_entry::Column::ProducerOrgId,
            )
            .map_err(app_error)?,
    );
    if let Some(from) = params.from {
        condition = condition.add(ledger_entry::Column::OccurredOn.gte(from));
    }
    if let Some(to) = params.to {
        condition = condition.add(ledger_entry::Column::OccurredOn.lte(to));
    }
    if let Some(code) = &params.region_code {
        condition = condition.add(subtree(ledger_entry::Column::RegionCode, code));
    }
    if let Some(buyer) = buyer {
        condition = condition.add(ledger_entry::Column::BuyerOrgId.eq(buyer));
    }
    if let Some(producer) = producer {
        condition = condition.add(ledger_entry::Column::ProducerOrgId.eq(producer));
    }
    if params.certified_only {
        condition = condition.add(ledger_entry::Column::Certified.eq(true));
    }
    if params.paired_only {
        condition = condition.add(ledger_entry::Column::Paired.eq(true));
    }
    Ok((
        Export {
            db,
            chinese,
            rows: Rows::Entries {
                next_seq: 0,
                condition,
            },
        },
        headers(chinese, None),
    ))
}

fn csv_bytes(rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing strings into memory cannot fail.
        let _ = writer.write_record(row);
    }
    writer.into_inner().unwrap_or_default()
}

pub async fn ledger_csv(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers_in: HeaderMap,
    Query(params): Query<ExportParams>,
) -> Response {
    let (export, header) = match prepare(&app, peer, &headers_in, params).await {
        Ok(prepared) => prepared,
        Err(response) => return response,
    };
    // A byte-order mark so spreadsheet programs read the Chinese as UTF-8.
    let mut first = "\u{feff}".as_bytes().to_vec();
    first.extend(csv_bytes(&[header]));
    let head = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) });
    let body = futures_util::stream::unfold(Some(export), |state| async move {
        let mut export = state?;
        match export.next_page().await {
            Ok(Some(rows)) => Some((Ok(csv_bytes(&rows)), Some(export))),
            Ok(None) => None,
            Err(error) => {
                let _: async_graphql::Error = error.into();
                Some((Err(std::io::Error::other("export failed")), None))
            }
        }
    });
    use futures_util::StreamExt;
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"ledger.csv\"",
            ),
        ],
        Body::from_stream(head.chain(body)),
    )
        .into_response()
}

pub async fn ledger_xlsx(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers_in: HeaderMap,
    Query(params): Query<ExportParams>,
) -> Response {
    let (mut export, header) = match prepare(&app, peer, &headers_in, params).await {
        Ok(prepared) => prepared,
        Err(response) => return response,
    };
    let file = match write_xlsx(&mut export, header).await {
        Ok(file) => file,
        Err(error) => return app_error(error),
    };
    let reopened = match tokio::fs::File::open(file.path()).await {
        Ok(handle) => handle,
        Err(error) => return app_error(AppError::internal(error)),
    };
    // The temporary file lives as long as the stream reading it.
    let stream = tokio_util::io::ReaderStream::new(reopened);
    let guarded =
        futures_util::stream::unfold((stream, Some(file)), |(mut stream, file)| async move {
            use futures_util::StreamExt;
            stream.next().await.map(|chunk| (chunk, (stream, file)))
        });
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"ledger.xlsx\"",
            ),
        ],
        Body::from_stream(guarded),
    )
        .into_response()
}

async fn write_xlsx(
    export: &mut Export,
    header: Vec<String>,
) -> Result<tempfile::NamedTempFile, AppError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(AppError::internal)?;
    sheet
        .set_name(if export.chinese {
            "消费扶贫台账"
        } else {
            "ledger"
        })
        .map_err(AppError::internal)?;
    for (column, name) in header.iter().enumerate() {
        sheet
            .write_string(0, column as u16, name)
            .map_err(AppError::internal)?;
    }
    let mut row = 1u32;
    while let Some(page) = export.next_page().await? {
        for values in page {
            for (column, value) in values.iter().enumerate() {
                sheet
                    .write_string(row, column as u16, value)
                    .map_err(AppError::internal)?;
            }
            row += 1;
        }
    }
    let file = tempfile::NamedTempFile::new().map_err(AppError::internal)?;
    let path = file.path().to_owned();
    tokio::task::spawn_blocking(move || workbook.save(&path))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    Ok(file)
}
