//! `GET /exports/ledger.csv` and `/exports/ledger.xlsx`: the ledger's raw entries, or a summary
//! grouped like `ledgerSummary` (each code or ID with its name beside it), with the same filters
//! and the same visibility. Refusals are JSON in the shape of `/graphql`'s errors; cells that a
//! spreadsheet could take for a formula are neutralised ([`neutralise`]). CSV is streamed a
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
use entity::{api_name::ApiName, ledger_entry, organization, region, region::RegionLevel};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{
    AppState,
    graphql::{Refusal, admit, authenticate, client_ip},
};
use crate::{
    auth::{ClientInfo, Viewer},
    error::{AppError, ErrorCode},
    graphql::scalars::Money,
    ids::{self, NodeKind},
    ledger::{
        entries::{LedgerView, Places, Reach},
        summary::{self, LedgerDimension, SummaryFilter},
    },
};

const PAGE: u64 = 1000;

/// The parameters, checked as strictly as GraphQL checks arguments: an unknown or repeated
/// parameter, a malformed date, dimension, ID, code or flag is refused with `BAD_USER_INPUT`.
#[derive(Debug, Default, PartialEq)]
pub struct ExportParams {
    /// `groupBy=COUNTY,MONTH` (one or two `LedgerDimension` values); raw entries when absent or
    /// empty.
    group_by: Option<Vec<LedgerDimension>>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    region_code: Option<String>,
    /// `view=ORIGIN|BUYER|BOTH` (default `BOTH`), as `ledgerSummary` takes it.
    view: LedgerView,
    buyer: Option<Uuid>,
    producer: Option<Uuid>,
    certified_only: bool,
    paired_only: bool,
    /// `lang=zh` (default) for Chinese headers, `lang=en` for English.
    chinese: bool,
}

const PARAMETERS: [&str; 10] = [
    "groupBy",
    "from",
    "to",
    "regionCode",
    "view",
    "buyerId",
    "producerId",
    "certifiedOnly",
    "pairedOnly",
    "lang",
];

/// Longest value any parameter may have (two dimension names, an ID).
const MAX_VALUE: usize = 100;

/// A `LedgerView` by its API value.
fn parse_view(value: &str) -> Result<LedgerView, AppError> {
    match value {
        "ORIGIN" => Ok(LedgerView::Origin),
        "BUYER" => Ok(LedgerView::Buyer),
        "BOTH" => Ok(LedgerView::Both),
        _ => Err(AppError::BadInput(msg!(
            "http.view_must_origin_buyer_both_not",
            value0 = format!("{:?}", value.chars().take(40).collect::<String>())
        ))),
    }
}

/// A `Date` as the API takes it: exactly `YYYY-MM-DD`, a real day.
fn parse_date(name: &str, value: &str) -> Result<NaiveDate, AppError> {
    crate::graphql::scalars::Date::parse(value)
        .map(|date| date.0)
        .ok_or_else(|| {
            AppError::BadInput(msg!(
                "http.must_date_yyyy_mm_dd_not",
                name = name,
                value = format!("{:?}", value)
            ))
        })
}

fn parse_flag(name: &str, value: &str) -> Result<bool, AppError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(AppError::BadInput(msg!(
            "http.must_true_false_not",
            name = name,
            value = format!("{:?}", value)
        ))),
    }
}

fn parse_dimensions(value: &str) -> Result<Option<Vec<LedgerDimension>>, AppError> {
    if value.is_empty() {
        return Ok(None);
    }
    let mut dimensions = Vec::new();
    for name in value.split(',').map(str::trim) {
        let parsed = <LedgerDimension as async_graphql::InputType>::parse(Some(
            async_graphql::Value::Enum(async_graphql::Name::new(name)),
        ))
        .map_err(|_| {
            AppError::BadInput(msg!(
                "http.groupby_not_ledgerdimension",
                name = format!("{:?}", name)
            ))
        })?;
        if dimensions.contains(&parsed) {
            return Err(AppError::BadInput(msg!(
                "http.groupby_named_twice",
                name = name
            )));
        }
        dimensions.push(parsed);
    }
    if dimensions.len() > 2 {
        return Err(AppError::BadInput(msg!(
            "http.groupby_group_most_two_dimensions"
        )));
    }
    Ok(Some(dimensions))
}

/// Reads the query string's pairs into checked parameters.
pub fn parse_params(pairs: &[(String, String)]) -> Result<ExportParams, AppError> {
    let mut params = ExportParams {
        chinese: true,
        ..ExportParams::default()
    };
    let mut seen = Vec::new();
    for (name, value) in pairs {
        let name = name.as_str();
        if !PARAMETERS.contains(&name) {
            let shown: String = name.chars().take(40).collect();
            return Err(AppError::BadInput(msg!(
                "http.unknown_parameter_expected_one",
                shown = format!("{:?}", shown),
                value1 = PARAMETERS.join(", ")
            )));
        }
        if seen.contains(&name) {
            return Err(AppError::BadInput(msg!("http.given_twice", name = name)));
        }
        seen.push(name);
        if value.chars().count() > MAX_VALUE {
            return Err(AppError::BadInput(msg!(
                "http.longer_than_characters",
                name = name,
                max_value = MAX_VALUE
            )));
        }
        let id = |kind: NodeKind| ids::expect(&async_graphql::ID(value.clone()), kind, name);
        match name {
            "groupBy" => params.group_by = parse_dimensions(value)?,
            "from" => params.from = Some(parse_date(name, value)?),
            "to" => params.to = Some(parse_date(name, value)?),
            "regionCode" => {
                if RegionLevel::of_code(value).is_none()
                    || !value.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(AppError::BadInput(msg!(
                        "http.regioncode_must_division_code_2_4",
                        value = format!("{:?}", value)
                    )));
                }
                params.region_code = Some(value.clone());
            }
            "view" => params.view = parse_view(value)?,
            "buyerId" => params.buyer = Some(id(NodeKind::Buyer)?),
            "producerId" => params.producer = Some(id(NodeKind::Producer)?),
            "certifiedOnly" => params.certified_only = parse_flag(name, value)?,
            "pairedOnly" => params.paired_only = parse_flag(name, value)?,
            _ => {
                params.chinese = match value.as_str() {
                    "zh" => true,
                    "en" => false,
                    _ => {
                        return Err(AppError::BadInput(msg!(
                            "http.lang_must_zh_en_not",
                            value = format!("{:?}", value)
                        )));
                    }
                }
            }
        }
    }
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from > to
    {
        return Err(AppError::BadInput(msg!("http.from_after")));
    }
    Ok(params)
}

/// Refusals in the shape `/graphql` uses: `{"errors":[{"message", "extensions":{"code"}}]}`.
pub(super) fn app_error(error: AppError) -> Response {
    let code = error.code();
    let status = match code {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let message = error.message();
    // Logs the detail of internal errors; the client learns only the code.
    let _: async_graphql::Error = error.into();
    Refusal::new(status, code, message).into_json_response()
}

/// One cell of an export.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text, some of it typed by users (product and organisation names): neutralised.
    Text(String),
    /// A count or sequence number: a number cell in XLSX.
    Int(i64),
    /// Fen, shown as yuan with two places: a number cell in XLSX, `-12.50` in CSV.
    Money(i64),
}

/// OWASP's CSV-injection rule: text beginning with `=`, `+`, `-`, `@`, a tab or a carriage
/// return is what Excel, WPS and LibreOffice take for a formula, so it gets a leading `'` and is
/// shown as typed. Numbers are not text: they are written as numbers (XLSX) or as a bare
/// `-?digits[.dd]` (CSV), which no spreadsheet reads as a formula, so a refund stays `-12.50`.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

impl Cell {
    fn text(value: impl Into<String>) -> Self {
        Self::Text(value.into())
    }

    /// The cell as CSV text.
    fn csv(&self) -> String {
        match self {
            Self::Text(text) => neutralise(text).into_owned(),
            Self::Int(n) => n.to_string(),
            Self::Money(fen) => Money(*fen).to_string(),
        }
    }
}

/// A table of cells, produced a page at a time.
enum Rows {
    Entries { next_seq: i64, condition: Condition },
    Summary(Option<Vec<Vec<Cell>>>),
}

struct Export {
    db: DatabaseConnection,
    chinese: bool,
    rows: Rows,
}

/// The columns a dimension takes in a grouped export: a code or ID, then its name where it has
/// one (Chinese, English).
fn dimension_columns(dimension: LedgerDimension) -> &'static [(&'static str, &'static str)] {
    match dimension {
        LedgerDimension::Province => &[("省代码", "province code"), ("省", "province")],
        LedgerDimension::City => &[("市代码", "city code"), ("市", "city")],
        LedgerDimension::County => &[("县代码", "county code"), ("县", "county")],
        LedgerDimension::Township => &[("乡镇代码", "township code"), ("乡镇", "township")],
        LedgerDimension::Village => &[("村代码", "village code"), ("村", "village")],
        LedgerDimension::Buyer => &[("采购单位ID", "buyer ID"), ("采购单位", "buyer")],
        LedgerDimension::Producer => &[("经营主体ID", "producer ID"), ("经营主体", "producer")],
        LedgerDimension::BuyerKind => &[("单位类型", "buyer kind")],
        LedgerDimension::Category => &[("品类", "category")],
        LedgerDimension::Month => &[("月份", "month")],
        LedgerDimension::BuyerProvince => &[
            ("采购单位省代码", "buyer province code"),
            ("采购单位所在省", "buyer province"),
        ],
        LedgerDimension::BuyerCity => &[
            ("采购单位市代码", "buyer city code"),
            ("采购单位所在市", "buyer city"),
        ],
        LedgerDimension::BuyerCounty => &[
            ("采购单位县代码", "buyer county code"),
            ("采购单位所在县", "buyer county"),
        ],
        LedgerDimension::ProducerKind => &[("经营主体类型", "producer kind")],
        LedgerDimension::Pairing => &[("帮扶关系ID", "pairing ID")],
        LedgerDimension::PairingKind => &[("帮扶类型", "pairing kind")],
        LedgerDimension::OriginStatus => &[("产地贫困状态", "origin status")],
        LedgerDimension::Channel => &[("销售渠道", "channel")],
        LedgerDimension::Purpose => &[("采购用途", "purpose")],
    }
}

const SUM_COLUMNS: [(&str, &str); 3] = [
    ("金额(元)", "amount (yuan)"),
    ("数量", "quantity"),
    ("笔数", "entries"),
];

const ENTRY_COLUMNS: [(&str, &str); 22] = [
    ("序号", "seq"),
    ("日期", "date"),
    ("类型", "kind"),
    ("采购单位", "buyer"),
    ("单位类型", "buyer kind"),
    ("经营主体", "producer"),
    ("产品", "product"),
    ("品类", "category"),
    ("数量", "quantity"),
    ("金额(元)", "amount (yuan)"),
    ("区划代码", "region code"),
    ("县代码", "county code"),
    ("县", "county"),
    ("县贫困状态", "county status"),
    ("村贫困状态", "village status"),
    ("认定产品", "certified"),
    ("对口帮扶", "paired"),
    ("带动贫困户数", "poor households linked"),
    ("销售渠道", "channel"),
    ("采购用途", "purpose"),
    ("年度", "year"),
    ("哈希", "hash"),
];

fn headers(chinese: bool, dimensions: Option<&[LedgerDimension]>) -> Vec<String> {
    let pick = |(zh, en): &(&str, &str)| (if chinese { *zh } else { *en }).to_owned();
    match dimensions {
        Some(dimensions) => dimensions
            .iter()
            .flat_map(|d| dimension_columns(*d).iter())
            .chain(SUM_COLUMNS.iter())
            .map(pick)
            .collect(),
        None => ENTRY_COLUMNS.iter().map(pick).collect(),
    }
}

/// Names of organisations and regions, one query each.
async fn names(
    db: &DatabaseConnection,
    organizations: Vec<Uuid>,
    regions: Vec<String>,
) -> Result<(HashMap<Uuid, String>, HashMap<String, String>), AppError> {
    let organizations = if organizations.is_empty() {
        HashMap::new()
    } else {
        organization::Entity::find()
            .filter(organization::Column::Id.is_in(organizations))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect()
    };
    let regions = if regions.is_empty() {
        HashMap::new()
    } else {
        region::Entity::find()
            .filter(region::Column::Code.is_in(regions))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect()
    };
    Ok((organizations, regions))
}

/// The rows of a grouped export: each key with its name beside it, then the sums.
async fn summary_rows(
    db: &DatabaseConnection,
    chinese: bool,
    dimensions: &[LedgerDimension],
    groups: &[crate::ledger::cache::Group],
) -> Result<Vec<Vec<Cell>>, AppError> {
    let mut organizations = Vec::new();
    let mut regions = Vec::new();
    for group in groups {
        for (dimension, raw) in dimensions.iter().zip(&group.keys) {
            if dimension.region_length().is_some() {
                regions.push(raw.clone());
            } else if let Ok(id) = Uuid::try_parse(raw) {
                organizations.push(id);
            }
        }
    }
    regions.sort();
    regions.dedup();
    organizations.sort();
    organizations.dedup();
    let (organization_names, region_names) = names(db, organizations, regions).await?;
    let unrecorded = if chinese {
        "（该级未记录）"
    } else {
        "(not recorded at this level)"
    };
    Ok(groups
        .iter()
        .map(|group| {
            let mut row = Vec::new();
            for (dimension, raw) in dimensions.iter().zip(&group.keys) {
                match dimension {
                    _ if dimension.region_length().is_some() => {
                        let length = dimension.region_length().unwrap_or(0);
                        let name = if raw.len() < length {
                            unrecorded.to_owned()
                        } else {
                            region_names.get(raw).cloned().unwrap_or_default()
                        };
                        row.extend([Cell::text(raw), Cell::Text(name)]);
                    }
                    LedgerDimension::Buyer | LedgerDimension::Producer => {
                        let kind = if *dimension == LedgerDimension::Buyer {
                            NodeKind::Buyer
                        } else {
                            NodeKind::Producer
                        };
                        let (id, name) = match Uuid::try_parse(raw) {
                            Ok(uuid) => (
                                kind.id(uuid).0,
                                organization_names.get(&uuid).cloned().unwrap_or_default(),
                            ),
                            Err(_) => (raw.clone(), String::new()),
                        };
                        row.extend([Cell::Text(id), Cell::Text(name)]);
                    }
                    _ => row.push(Cell::text(raw)),
                }
            }
            row.extend([
                Cell::Money(group.amount_fen),
                Cell::Int(group.quantity),
                Cell::Int(group.entries),
            ]);
            row
        })
        .collect())
}

impl Export {
    /// The next page of rows, or `None` at the end.
    async fn next_page(&mut self) -> Result<Option<Vec<Vec<Cell>>>, AppError> {
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
                let organizations: Vec<Uuid> = page
                    .iter()
                    .flat_map(|e| [e.buyer_org_id, e.producer_org_id])
                    .collect();
                let mut counties: Vec<String> =
                    page.iter().map(|e| e.county_code.clone()).collect();
                counties.sort();
                counties.dedup();
                let names = names(&self.db, organizations, counties).await?;
                let chinese = self.chinese;
                Ok(Some(
                    page.iter().map(|e| entry_row(e, &names, chinese)).collect(),
                ))
            }
        }
    }
}

/// One raw entry's cells, with the names of its parties and county beside their IDs.
fn entry_row(
    e: &ledger_entry::Model,
    (organization_names, county_names): &(HashMap<Uuid, String>, HashMap<String, String>),
    chinese: bool,
) -> Vec<Cell> {
    let yes_no = |b: bool| {
        Cell::text(match (chinese, b) {
            (true, true) => "是",
            (true, false) => "否",
            (false, true) => "yes",
            (false, false) => "no",
        })
    };
    let name = |id: &Uuid| Cell::Text(organization_names.get(id).cloned().unwrap_or_default());
    vec![
        Cell::Int(e.seq),
        Cell::Text(e.occurred_on.to_string()),
        Cell::Text(e.kind.api_name()),
        name(&e.buyer_org_id),
        Cell::Text(e.buyer_kind.api_name()),
        name(&e.producer_org_id),
        Cell::text(&e.product_name),
        Cell::Text(e.category.api_name()),
        Cell::Int(e.quantity),
        Cell::Money(e.amount_fen),
        Cell::text(&e.region_code),
        Cell::text(&e.county_code),
        Cell::Text(
            county_names
                .get(&e.county_code)
                .cloned()
                .unwrap_or_default(),
        ),
        Cell::Text(e.county_status.api_name()),
        Cell::Text(e.village_status.map(ApiName::api_name).unwrap_or_default()),
        yes_no(e.certified),
        yes_no(e.paired),
        Cell::Int(e.poor_households_linked.into()),
        Cell::Text(e.channel.api_name()),
        Cell::Text(e.purpose.api_name()),
        Cell::Int(e.reporting_year.into()),
        Cell::text(&e.hash),
    ]
}

/// Checks the viewer and the parameters, and sets up the rows.
async fn prepare(
    app: &AppState,
    peer: SocketAddr,
    headers_in: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<(Export, Vec<String>), Response> {
    let viewer = admitted_viewer(app, peer, headers_in).await?;
    let params = parse_params(pairs).map_err(app_error)?;
    let db = app.services.db.clone();
    let reach = Reach::of(&db, &viewer)
        .await
        .map_err(app_error)?
        .viewing(params.view);
    let chinese = params.chinese;
    if let Some(dimensions) = &params.group_by {
        let rows = grouped_rows(app, &params, dimensions, &reach)
            .await
            .map_err(app_error)?;
        let export = Export {
            db,
            chinese,
            rows: Rows::Summary(Some(rows)),
        };
        return Ok((export, headers(chinese, Some(dimensions))));
    }
    let condition = entries_condition(&params, &reach).map_err(app_error)?;
    let export = Export {
        db,
        chinese,
        rows: Rows::Entries {
            next_seq: 0,
            condition,
        },
    };
    Ok((export, headers(chinese, None)))
}

/// The signed-in viewer, once the request quotas let them through.
pub(super) async fn admitted_viewer(
    app: &AppState,
    peer: SocketAddr,
    headers_in: &HeaderMap,
) -> Result<Viewer, Response> {
    let viewer = match authenticate(app, headers_in) {
        Ok(Some(viewer)) => viewer,
        Ok(None) => return Err(app_error(AppError::Unauthenticated)),
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
    Ok(viewer)
}

/// A grouped export's rows, summed as `ledgerSummary` sums them.
async fn grouped_rows(
    app: &AppState,
    params: &ExportParams,
    dimensions: &[LedgerDimension],
    reach: &Reach,
) -> Result<Vec<Vec<Cell>>, AppError> {
    let filter = SummaryFilter {
        from_month: params.from.map(summary::month_of),
        to_month: params.to.map(summary::month_of),
        region_code: params.region_code.clone(),
        view: params.view,
        buyer_org_ids: params.buyer.map(|b| vec![b]),
        producer_org_id: params.producer,
        certified_only: params.certified_only,
        paired_only: params.paired_only,
        ..SummaryFilter::default()
    };
    let db = &app.services.db;
    let summaries = &app.services.summaries;
    let groups = summary::summarize(db, summaries, dimensions, &filter, Some(reach)).await?;
    summary_rows(db, params.chinese, dimensions, &groups).await
}

/// Which entries a raw export holds: the viewer's reach, narrowed by the parameters.
fn entries_condition(params: &ExportParams, reach: &Reach) -> Result<Condition, AppError> {
    let places = Places::of_entries();
    let mut condition = Condition::all().add(reach.condition(
        &places,
        ledger_entry::Column::BuyerOrgId,
        ledger_entry::Column::ProducerOrgId,
    )?);
    if let Some(from) = params.from {
        condition = condition.add(ledger_entry::Column::OccurredOn.gte(from));
    }
    if let Some(to) = params.to {
        condition = condition.add(ledger_entry::Column::OccurredOn.lte(to));
    }
    if let Some(code) = &params.region_code {
        condition = condition.add(places.within(params.view, code));
    }
    if let Some(buyer) = params.buyer {
        condition = condition.add(ledger_entry::Column::BuyerOrgId.eq(buyer));
    }
    if let Some(producer) = params.producer {
        condition = condition.add(ledger_entry::Column::ProducerOrgId.eq(producer));
    }
    if params.certified_only {
        condition = condition.add(ledger_entry::Column::Certified.eq(true));
    }
    if params.paired_only {
        condition = condition.add(ledger_entry::Column::Paired.eq(true));
    }
    Ok(condition)
}

fn csv_bytes<R: AsRef<[String]>>(rows: &[R]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing strings into memory cannot fail.
        let _ = writer.write_record(row.as_ref());
    }
    writer.into_inner().unwrap_or_default()
}

fn csv_cells(rows: &[Vec<Cell>]) -> Vec<u8> {
    let text: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(Cell::csv).collect())
        .collect();
    csv_bytes(&text)
}

pub async fn ledger_csv(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers_in: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let (export, header) = match prepare(&app, peer, &headers_in, &pairs).await {
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
            Ok(Some(rows)) => Some((Ok(csv_cells(&rows)), Some(export))),
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
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let (mut export, header) = match prepare(&app, peer, &headers_in, &pairs).await {
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
            .write_string(0, u16::try_from(column).unwrap_or(u16::MAX), name)
            .map_err(AppError::internal)?;
    }
    let yuan = rust_xlsxwriter::Format::new().set_num_format("0.00");
    let mut row = 1u32;
    while let Some(page) = export.next_page().await? {
        for cells in page {
            for (column, cell) in cells.iter().enumerate() {
                let column = u16::try_from(column).unwrap_or(u16::MAX);
                // Text is written as text (never a formula) and neutralised too, so it stays
                // inert when the sheet is saved again as CSV; numbers stay numbers.
                match cell {
                    Cell::Text(text) => sheet.write_string(row, column, neutralise(text)),
                    Cell::Int(n) => sheet.write_number(row, column, *n as f64),
                    Cell::Money(fen) => {
                        sheet.write_number_with_format(row, column, *fen as f64 / 100.0, &yuan)
                    }
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&str, &str)]) -> Result<ExportParams, AppError> {
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        parse_params(&pairs)
    }

    #[test]
    fn formulas_are_neutralised_and_other_text_is_not() {
        for dangerous in ["=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(dangerous), format!("'{dangerous}"));
        }
        for plain in ["灵寿红薯", "1+1", "'=already quoted", "a=b", ""] {
            assert_eq!(neutralise(plain), plain);
        }
        // A refund's amount is a number, not text: written bare.
        assert_eq!(Cell::Money(-1250).csv(), "-12.50");
        assert_eq!(Cell::Int(-3).csv(), "-3");
        assert_eq!(Cell::text("-3").csv(), "'-3");
    }

    #[test]
    fn good_parameters_parse() {
        let buyer = NodeKind::Buyer.id(Uuid::nil()).0;
        let params = parse(&[
            ("groupBy", "COUNTY, MONTH"),
            ("from", "2026-01-01"),
            ("to", "2026-12-31"),
            ("regionCode", "130126"),
            ("buyerId", &buyer),
            ("certifiedOnly", "true"),
            ("pairedOnly", "false"),
            ("lang", "en"),
        ])
        .expect("valid");
        assert_eq!(
            params.group_by,
            Some(vec![LedgerDimension::County, LedgerDimension::Month])
        );
        assert_eq!(params.buyer, Some(Uuid::nil()));
        assert!(params.certified_only && !params.paired_only && !params.chinese);
        assert!(parse(&[("groupBy", "")]).is_ok_and(|p| p.group_by.is_none()));
        assert!(parse(&[]).is_ok_and(|p| p.chinese));
    }

    #[test]
    fn bad_parameters_are_bad_user_input() {
        let producer = NodeKind::Producer.id(Uuid::nil()).0;
        for query in [
            vec![("from", "2026-02-30")],
            vec![("from", "26-01-01")],
            vec![("to", "2026-1-1")],
            vec![("to", "+2026-01-01")],
            vec![("from", "2026-12-01"), ("to", "2026-01-01")],
            vec![("groupBy", "WEATHER")],
            vec![("groupBy", "COUNTY,COUNTY")],
            vec![("groupBy", "COUNTY,MONTH,BUYER")],
            vec![("groupBy", "county")],
            vec![("regionCode", "13012")],
            vec![("regionCode", "13012a")],
            vec![("regionCode", "%")],
            vec![("buyerId", "nonsense")],
            vec![("buyerId", producer.as_str())],
            vec![("producerId", "")],
            vec![("certifiedOnly", "yes")],
            vec![("pairedOnly", "1")],
            vec![("lang", "fr")],
            vec![("form", "2026-01-01")],
            vec![("lang", "en"), ("lang", "en")],
        ] {
            match parse(&query) {
                Err(AppError::BadInput(_)) => {}
                other => panic!("{query:?}: {other:?}"),
            }
        }
        let long = "1".repeat(MAX_VALUE + 1);
        assert!(matches!(
            parse(&[("regionCode", &long)]),
            Err(AppError::BadInput(_))
        ));
    }
}
