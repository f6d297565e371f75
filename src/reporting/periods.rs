//! Closed reporting periods (关账): a region's report for a month, half-year or year, frozen by an
//! officer once the period is over. The report is computed from the ledger entries up to the
//! chain's tip at closing, stored with that tip, and signed, so anyone who may read the region
//! can recompute it from the chain and see that nothing changed. Entries dated inside a closed
//! period but recorded after its close (a late receipt, a refund) never change it: they are the
//! adjustments of the next open period's report.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate, Utc};
use entity::{
    api_name::ApiName,
    buyer,
    closed_period::{self, PeriodKind},
    closed_period_rank, closed_period_total, ledger_entry, ledger_head, organization,
    procurement_declaration,
};
use migration::GENESIS;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
    sea_query::{Alias, Expr, Query, SelectStatement, SimpleExpr},
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    audit::Change,
    auth::{Caller, Viewer, scope},
    error::{AppError, AppResult, ErrorCode, is_unique_violation},
    ids::new_uuid,
    ledger::entries::{self, LedgerView, Places},
    region::{regions, subtree},
};

/// A reporting period: `2026-06` (a month), `2026-H1`/`2026-H2` (a half-year), `2026` (a year).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    /// The canonical text, as stored.
    pub label: String,
    pub kind: PeriodKind,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

fn day(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The last day of a month.
fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    day(next_year, next_month, 1)?.pred_opt()
}

impl Period {
    fn month(year: i32, month: u32) -> Option<Self> {
        Some(Self {
            label: format!("{year:04}-{month:02}"),
            kind: PeriodKind::Month,
            first_day: day(year, month, 1)?,
            last_day: month_end(year, month)?,
        })
    }

    fn half(year: i32, second: bool) -> Option<Self> {
        let (first, last) = if second { (7, 12) } else { (1, 6) };
        Some(Self {
            label: format!("{year:04}-H{}", if second { 2 } else { 1 }),
            kind: PeriodKind::HalfYear,
            first_day: day(year, first, 1)?,
            last_day: month_end(year, last)?,
        })
    }

    fn year(year: i32) -> Option<Self> {
        Some(Self {
            label: format!("{year:04}"),
            kind: PeriodKind::Year,
            first_day: day(year, 1, 1)?,
            last_day: day(year, 12, 31)?,
        })
    }

    /// The period of `kind` holding `date`.
    pub fn containing(kind: PeriodKind, date: NaiveDate) -> Option<Self> {
        match kind {
            PeriodKind::Month => Self::month(date.year(), date.month()),
            PeriodKind::HalfYear => Self::half(date.year(), date.month() > 6),
            PeriodKind::Year => Self::year(date.year()),
        }
    }

    /// The period of the same kind that follows.
    pub fn next(&self) -> Option<Self> {
        Self::containing(self.kind, self.last_day.succ_opt()?)
    }

    /// Whether the period has ended by `today` (its last day is past).
    pub fn is_over(&self, today: NaiveDate) -> bool {
        self.last_day < today
    }
}

/// Reads a period's text strictly: `YYYY-MM`, `YYYY-H1`, `YYYY-H2` or `YYYY`, with a four-digit
/// year from 2000; anything else (`2026-6`, `2026-13`, `2026-H3`, ` 2026`) is `None`.
pub fn parse_period(text: &str) -> Option<Period> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (year_text, rest) = match text.split_once('-') {
        Some((year, rest)) => (year, Some(rest)),
        None => (text, None),
    };
    if year_text.len() != 4 || !digits(year_text) {
        return None;
    }
    let year: i32 = year_text.parse().ok()?;
    if year < 2000 {
        return None;
    }
    match rest {
        None => Period::year(year),
        Some("H1") => Period::half(year, false),
        Some("H2") => Period::half(year, true),
        Some(month) if month.len() == 2 && digits(month) => {
            let month: u32 = month.parse().ok()?;
            (1..=12)
                .contains(&month)
                .then(|| Period::month(year, month))?
        }
        Some(_) => None,
    }
}

/// What a report's totals are grouped by. New dimensions are new variants: a totals row is
/// (dimension, key, amount, quantity, entries) whatever the dimension.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PeriodDimension {
    /// The producer's county (the origin of the goods).
    OriginCounty,
    /// The buyer's kind on the day of the sale.
    BuyerKind,
    Category,
    /// `YYYY-MM`.
    Month,
}

impl PeriodDimension {
    pub const ALL: [PeriodDimension; 4] = [
        Self::OriginCounty,
        Self::BuyerKind,
        Self::Category,
        Self::Month,
    ];

    /// The stored (and signed) name.
    pub fn name(self) -> &'static str {
        match self {
            Self::OriginCounty => "ORIGIN_COUNTY",
            Self::BuyerKind => "BUYER_KIND",
            Self::Category => "CATEGORY",
            Self::Month => "MONTH",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }

    /// How officials head the dimension.
    pub fn chinese(self) -> &'static str {
        match self {
            Self::OriginCounty => "产地县",
            Self::BuyerKind => "采购单位类型",
            Self::Category => "品类",
            Self::Month => "月份",
        }
    }

    fn expr(self) -> SimpleExpr {
        let column = |name: &str| Expr::col(Alias::new(name));
        match self {
            Self::OriginCounty => column("county_code"),
            Self::BuyerKind => column("buyer_kind"),
            Self::Category => column("category"),
            // Dates are ISO text on SQLite and cast to it on PostgreSQL.
            Self::Month => Expr::cust("SUBSTR(CAST(occurred_on AS TEXT), 1, 7)"),
        }
    }
}

/// Net amount (fen), quantity and number of entries (sales and refunds).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Sums {
    pub amount_fen: i64,
    pub quantity: i64,
    pub entries: i64,
}

/// One row of a report's totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotalRow {
    pub dimension: PeriodDimension,
    pub key: String,
    pub sums: Sums,
}

/// One buyer unit of a report's ranking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankRow {
    pub buyer_org_id: Uuid,
    pub unit_name: String,
    pub reserved_share_bp: Option<i32>,
    pub target_fen: i64,
    /// What the unit bought in the year up to the period's last day.
    pub purchased_fen: i64,
    /// Basis points of the target reached (10000 = 100%).
    pub done_bp: i64,
    /// 1 is first; units with the same `done_bp` share a rank (1, 2, 2, 4).
    pub rank: i32,
}

/// A region's report for a period as the ledger stood at `tip_seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub region_code: String,
    pub period: Period,
    pub tip_seq: i64,
    pub tip_hash: String,
    pub total: Sums,
    /// By dimension (in `PeriodDimension::ALL` order), then key.
    pub totals: Vec<TotalRow>,
    pub ranking: Vec<RankRow>,
}

/// The buyer units located in the region.
fn buyers_located_in(code: &str) -> SelectStatement {
    Query::select()
        .column(buyer::Column::OrganizationId)
        .from(buyer::Entity)
        .cond_where(subtree(buyer::Column::RegionCode, code))
        .to_owned()
}

/// Which ledger entries are a region's: sold from its subtree (the producer's region) or bought
/// by a unit located in it on the day (both sides, each entry once: `LedgerView::Both`). The
/// one place this is decided, for closing, verifying and adjustments alike.
pub fn entries_in_region(code: &str) -> Condition {
    Places::of_entries().within(LedgerView::Both, code)
}

/// A region's entries dated `from..=to` and recorded by `tip_seq`.
fn window(code: &str, from: NaiveDate, to: NaiveDate, tip_seq: i64) -> Condition {
    Condition::all()
        .add(entries_in_region(code))
        .add(ledger_entry::Column::OccurredOn.gte(from))
        .add(ledger_entry::Column::OccurredOn.lte(to))
        .add(ledger_entry::Column::Seq.lte(tip_seq))
}

fn sum_columns(query: &mut SelectStatement) {
    for (alias, column) in [
        ("amount", "amount_fen"),
        ("quantity", "quantity"),
        ("entries", "1"),
    ] {
        query.expr_as(
            Expr::cust(format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)")),
            Alias::new(alias),
        );
    }
}

/// Sums the entries meeting `condition`, grouped by `dimension` (one row when `None`), in SQL.
async fn sums_by(
    conn: &impl ConnectionTrait,
    dimension: Option<PeriodDimension>,
    condition: Condition,
) -> AppResult<Vec<(String, Sums)>> {
    let mut query = Query::select();
    query.from(ledger_entry::Entity);
    if let Some(dimension) = dimension {
        query.expr_as(dimension.expr(), Alias::new("k"));
        query.add_group_by([dimension.expr()]);
    }
    sum_columns(&mut query);
    query.cond_where(condition);
    let rows = conn
        .query_all_raw(conn.get_database_backend().build(&query))
        .await?;
    let mut sums = Vec::with_capacity(rows.len());
    for row in rows {
        let key = match dimension {
            Some(_) => row.try_get::<String>("", "k")?,
            None => String::new(),
        };
        sums.push((
            key,
            Sums {
                amount_fen: row.try_get("", "amount")?,
                quantity: row.try_get("", "quantity")?,
                entries: row.try_get("", "entries")?,
            },
        ));
    }
    Ok(sums)
}

/// Completion in basis points; 0 with no target.
pub fn done_bp(target_fen: i64, purchased_fen: i64) -> i64 {
    if target_fen <= 0 {
        return 0;
    }
    i64::try_from(i128::from(purchased_fen) * 10_000 / i128::from(target_fen)).unwrap_or(i64::MAX)
}

/// Orders units by completion (then amount, then name and ID, so the order is total) and ranks
/// them: equal completion, equal rank.
pub fn rank(mut rows: Vec<RankRow>) -> Vec<RankRow> {
    rows.sort_by(|a, b| {
        b.done_bp
            .cmp(&a.done_bp)
            .then(b.purchased_fen.cmp(&a.purchased_fen))
            .then(a.unit_name.cmp(&b.unit_name))
            .then(a.buyer_org_id.cmp(&b.buyer_org_id))
    });
    let mut previous: Option<(i64, i32)> = None;
    for (i, row) in rows.iter_mut().enumerate() {
        let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
        row.rank = match previous {
            Some((done, rank)) if done == row.done_bp => rank,
            _ => position,
        };
        previous = Some((row.done_bp, row.rank));
    }
    rows
}

/// The ranking of the units located in the region that declared a target for the period's year.
async fn ranking(
    conn: &impl ConnectionTrait,
    code: &str,
    period: &Period,
    tip_seq: i64,
) -> AppResult<Vec<RankRow>> {
    let year = period.first_day.year();
    let declarations = procurement_declaration::Entity::find()
        .filter(procurement_declaration::Column::BuyerOrgId.in_subquery(buyers_located_in(code)))
        .filter(procurement_declaration::Column::Year.eq(year))
        .filter(procurement_declaration::Column::TargetFen.gt(0))
        .all(conn)
        .await?;
    if declarations.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Query::select();
    query
        .from(ledger_entry::Entity)
        .column(ledger_entry::Column::BuyerOrgId)
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT)"),
            Alias::new("amount"),
        )
        .cond_where(
            Condition::all()
                .add(
                    ledger_entry::Column::BuyerOrgId.in_subquery(
                        Query::select()
                            .column(procurement_declaration::Column::BuyerOrgId)
                            .from(procurement_declaration::Entity)
                            .cond_where(
                                Condition::all()
                                    .add(
                                        procurement_declaration::Column::BuyerOrgId
                                            .in_subquery(buyers_located_in(code)),
                                    )
                                    .add(procurement_declaration::Column::Year.eq(year)),
                            )
                            .to_owned(),
                    ),
                )
                .add(ledger_entry::Column::OccurredOn.gte(period.first_day.with_ordinal(1)))
                .add(ledger_entry::Column::OccurredOn.lte(period.last_day))
                .add(ledger_entry::Column::Seq.lte(tip_seq))
                // Units' own purchases: what they answer for at outlets and fairs is no target's.
                .add(ledger_entry::Column::ReportLineId.is_null()),
        )
        .add_group_by([Expr::col(ledger_entry::Column::BuyerOrgId)]);
    let mut purchased: HashMap<Uuid, i64> = HashMap::new();
    for row in conn
        .query_all_raw(conn.get_database_backend().build(&query))
        .await?
    {
        purchased.insert(
            row.try_get::<Uuid>("", "buyer_org_id")?,
            row.try_get("", "amount")?,
        );
    }
    let mut names: HashMap<Uuid, String> = HashMap::new();
    for chunk in declarations.chunks(1000) {
        for org in organization::Entity::find()
            .filter(organization::Column::Id.is_in(chunk.iter().map(|d| d.buyer_org_id)))
            .all(conn)
            .await?
        {
            names.insert(org.id, org.name);
        }
    }
    let rows = declarations
        .into_iter()
        .map(|d| {
            let bought = purchased.get(&d.buyer_org_id).copied().unwrap_or(0);
            RankRow {
                buyer_org_id: d.buyer_org_id,
                unit_name: names.get(&d.buyer_org_id).cloned().unwrap_or_default(),
                reserved_share_bp: d.reserved_share_bp,
                target_fen: d.target_fen,
                purchased_fen: bought,
                done_bp: done_bp(d.target_fen, bought),
                rank: 0,
            }
        })
        .collect();
    Ok(rank(rows))
}

/// Computes a region's report for a period from the ledger up to `tip_seq`: totals by every
/// dimension and the ranking, each a GROUP BY in the database (no entry is loaded).
pub async fn compute(
    conn: &impl ConnectionTrait,
    code: &str,
    period: &Period,
    tip_seq: i64,
    tip_hash: &str,
) -> AppResult<Report> {
    let condition = || window(code, period.first_day, period.last_day, tip_seq);
    let total = sums_by(conn, None, condition())
        .await?
        .into_iter()
        .next()
        .map(|(_, sums)| sums)
        .unwrap_or_default();
    let mut totals = Vec::new();
    for dimension in PeriodDimension::ALL {
        let mut rows = sums_by(conn, Some(dimension), condition()).await?;
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        totals.extend(rows.into_iter().map(|(key, sums)| TotalRow {
            dimension,
            key,
            sums,
        }));
    }
    Ok(Report {
        region_code: code.to_owned(),
        period: period.clone(),
        tip_seq,
        tip_hash: tip_hash.to_owned(),
        total,
        totals,
        ranking: ranking(conn, code, period, tip_seq).await?,
    })
}

/// The bytes a closed report's signature covers, version-tagged: lines separated by `\n`, fields
/// by U+001F. Header lines give the region, period (label, kind, first and last day), the
/// ledger tip (seq, hash) and the officer who closed it; then the grand total; then each totals
/// row (dimension, key, amount, quantity, entries) in report order; then each ranking row (rank,
/// buyer ID, unit name as a JSON string, reserved share in bp or empty, target, purchased,
/// completion in bp). Every field but the unit name is digits, codes, enumeration values or hex;
/// the name is JSON-quoted so no name can forge a separator. A unit test pins these bytes.
pub fn signed_bytes(report: &Report, closed_by: Uuid) -> String {
    let sep = "\u{1f}";
    let mut lines = vec![
        "fupin-market closed period v1".to_owned(),
        [
            "period",
            &report.region_code,
            &report.period.label,
            &report.period.kind.api_name(),
            &report.period.first_day.to_string(),
            &report.period.last_day.to_string(),
        ]
        .join(sep),
        ["tip", &report.tip_seq.to_string(), &report.tip_hash].join(sep),
        ["closed_by", &closed_by.to_string()].join(sep),
        [
            "total",
            &report.total.amount_fen.to_string(),
            &report.total.quantity.to_string(),
            &report.total.entries.to_string(),
        ]
        .join(sep),
    ];
    for row in &report.totals {
        lines.push(
            [
                "row",
                row.dimension.name(),
                &row.key,
                &row.sums.amount_fen.to_string(),
                &row.sums.quantity.to_string(),
                &row.sums.entries.to_string(),
            ]
            .join(sep),
        );
    }
    for row in &report.ranking {
        lines.push(
            [
                "rank",
                &row.rank.to_string(),
                &row.buyer_org_id.to_string(),
                &serde_json::Value::from(row.unit_name.as_str()).to_string(),
                &row.reserved_share_bp
                    .map(|bp| bp.to_string())
                    .unwrap_or_default(),
                &row.target_fen.to_string(),
                &row.purchased_fen.to_string(),
                &row.done_bp.to_string(),
            ]
            .join(sep),
        );
    }
    lines.join("\n")
}

/// SHA-256 of [`signed_bytes`], lower-case hex.
pub fn signature_of(report: &Report, closed_by: Uuid) -> String {
    Sha256::digest(signed_bytes(report, closed_by).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn period_input(text: &str) -> AppResult<Period> {
    parse_period(text).ok_or_else(|| {
        AppError::field(
            "period",
            ErrorCode::Invalid,
            msg!(
                "periods.period_yyyy_mm_yyyy_h1_yyyy",
                text = format!("{:?}", text)
            ),
        )
    })
}

async fn find_closed(
    conn: &impl ConnectionTrait,
    code: &str,
    label: &str,
) -> AppResult<Option<closed_period::Model>> {
    Ok(closed_period::Entity::find()
        .filter(closed_period::Column::RegionCode.eq(code))
        .filter(closed_period::Column::Period.eq(label))
        .one(conn)
        .await?)
}

fn already_closed(code: &str, label: &str) -> AppError {
    AppError::state(
        ErrorCode::AlreadyClosed,
        msg!("periods.already_closed", label = label, code = code),
    )
}

/// Closes a region's period: an officer whose scope covers the region (or an admin), once the
/// period is over and if it is not closed yet. The report, the tip and the signature are written
/// in one transaction with the audit event.
pub async fn close(
    caller: Caller<'_>,
    code: &str,
    period_text: &str,
) -> AppResult<closed_period::Model> {
    let db = caller.db();
    let period = period_input(period_text)?;
    scope::require_acting_over(db, caller.viewer, code).await?;
    regions::require(
        db,
        code,
        "regionCode",
        &[
            entity::region::RegionLevel::Province,
            entity::region::RegionLevel::City,
            entity::region::RegionLevel::County,
            entity::region::RegionLevel::Township,
            entity::region::RegionLevel::Village,
        ],
    )
    .await?;
    if !period.is_over(Utc::now().date_naive()) {
        return Err(AppError::field(
            "period",
            ErrorCode::PeriodNotOver,
            msg!(
                "periods.runs_until_can_closed_from_day",
                label = period.label,
                last_day = period.last_day
            ),
        ));
    }
    let txn = db.begin().await?;
    if find_closed(&txn, code, &period.label).await?.is_some() {
        return Err(already_closed(code, &period.label));
    }
    // Entries up to the tip read here are committed: an append moves the tip only as it commits.
    let head = ledger_head::Entity::find_by_id(1)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ledger head missing")))?;
    let report = compute(&txn, code, &period, head.seq, &head.last_hash).await?;
    let closed_by = caller.viewer.user_id;
    let id = new_uuid();
    let inserted = closed_period::ActiveModel {
        id: Set(id),
        region_code: Set(code.to_owned()),
        period: Set(period.label.clone()),
        kind: Set(period.kind),
        first_day: Set(period.first_day),
        last_day: Set(period.last_day),
        tip_seq: Set(report.tip_seq),
        tip_hash: Set(report.tip_hash.clone()),
        amount_fen: Set(report.total.amount_fen),
        quantity: Set(report.total.quantity),
        entries: Set(report.total.entries),
        closed_by: Set(closed_by),
        closed_at: Set(Utc::now()),
        signature: Set(signature_of(&report, closed_by)),
    }
    .insert(&txn)
    .await;
    let closed = match inserted {
        Ok(closed) => closed,
        Err(error) if is_unique_violation(&error) => {
            return Err(already_closed(code, &period.label));
        }
        Err(error) => return Err(error.into()),
    };
    for chunk in report.totals.chunks(500) {
        closed_period_total::Entity::insert_many(chunk.iter().map(|row| {
            closed_period_total::ActiveModel {
                id: Set(new_uuid()),
                closed_period_id: Set(id),
                dimension: Set(row.dimension.name().to_owned()),
                key: Set(row.key.clone()),
                amount_fen: Set(row.sums.amount_fen),
                quantity: Set(row.sums.quantity),
                entries: Set(row.sums.entries),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    for chunk in report.ranking.chunks(500) {
        closed_period_rank::Entity::insert_many(chunk.iter().map(|row| {
            closed_period_rank::ActiveModel {
                id: Set(new_uuid()),
                closed_period_id: Set(id),
                buyer_org_id: Set(row.buyer_org_id),
                unit_name: Set(row.unit_name.clone()),
                reserved_share_bp: Set(row.reserved_share_bp),
                target_fen: Set(row.target_fen),
                purchased_fen: Set(row.purchased_fen),
                done_bp: Set(row.done_bp),
                rank: Set(row.rank),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    caller
        .audit(
            &txn,
            Change {
                action: "closePeriod",
                target_type: "ClosedPeriod",
                target_id: Some(id),
                summary: serde_json::json!({
                    "region": code,
                    "period": period.label,
                    "tipSeq": closed.tip_seq,
                    "tipHash": closed.tip_hash,
                    "amountFen": closed.amount_fen,
                    "signature": closed.signature,
                }),
            },
        )
        .await?;
    let notice = crate::webhooks::outbox::period_closed(&closed);
    crate::webhooks::outbox::enqueue(&txn, &caller.services.settings.webhooks, notice).await?;
    txn.commit().await?;
    Ok(closed)
}

/// The report as it was frozen.
pub async fn frozen(
    conn: &impl ConnectionTrait,
    closed: &closed_period::Model,
) -> AppResult<Report> {
    let period = parse_period(&closed.period).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "stored period {:?} unreadable",
            closed.period
        ))
    })?;
    let mut totals = Vec::new();
    for row in closed_period_total::Entity::find()
        .filter(closed_period_total::Column::ClosedPeriodId.eq(closed.id))
        .all(conn)
        .await?
    {
        let dimension = PeriodDimension::from_name(&row.dimension).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("stored dimension {:?}", row.dimension))
        })?;
        totals.push(TotalRow {
            dimension,
            key: row.key,
            sums: Sums {
                amount_fen: row.amount_fen,
                quantity: row.quantity,
                entries: row.entries,
            },
        });
    }
    totals.sort_by(|a, b| a.dimension.cmp(&b.dimension).then(a.key.cmp(&b.key)));
    let mut ranking: Vec<RankRow> = closed_period_rank::Entity::find()
        .filter(closed_period_rank::Column::ClosedPeriodId.eq(closed.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| RankRow {
            buyer_org_id: row.buyer_org_id,
            unit_name: row.unit_name,
            reserved_share_bp: row.reserved_share_bp,
            target_fen: row.target_fen,
            purchased_fen: row.purchased_fen,
            done_bp: row.done_bp,
            rank: row.rank,
        })
        .collect();
    ranking.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then(b.purchased_fen.cmp(&a.purchased_fen))
            .then(a.unit_name.cmp(&b.unit_name))
            .then(a.buyer_org_id.cmp(&b.buyer_org_id))
    });
    Ok(Report {
        region_code: closed.region_code.clone(),
        period,
        tip_seq: closed.tip_seq,
        tip_hash: closed.tip_hash.clone(),
        total: Sums {
            amount_fen: closed.amount_fen,
            quantity: closed.quantity,
            entries: closed.entries,
        },
        totals,
        ranking,
    })
}

/// Refuses unless the viewer reads the region as staff (officers and auditors over it, admins).
async fn require_reading(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    code: &str,
) -> AppResult<()> {
    if scope::reading(conn, viewer).await?.covers(code) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "forbidden.period_reports_staff_over_region",
        ))
    }
}

/// An entry dated in a closed period but recorded after its close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    pub entry: ledger_entry::Model,
    /// The closed period it is dated in (the latest closed one it missed, if several).
    pub adjusts: closed_period::Model,
}

/// A region's report for a period: frozen if closed, else live with its adjustments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodReport {
    pub report: Report,
    pub closed: Option<closed_period::Model>,
    pub adjustments: Vec<Adjustment>,
}

/// At most this many adjustments are listed in a report.
pub const MAX_ADJUSTMENTS: u64 = 1000;

/// Whether `period` (open) is the next open period of its kind after a closed period ending on
/// `closed_last_day`: it starts after that day, and every period of its kind in between is in
/// `closed` (labels of the region's closed periods).
pub fn is_next_open(closed_last_day: NaiveDate, period: &Period, closed: &HashSet<&str>) -> bool {
    if closed_last_day >= period.first_day {
        return false;
    }
    let mut between = closed_last_day
        .succ_opt()
        .and_then(|d| Period::containing(period.kind, d));
    while let Some(p) = between.filter(|p| p.first_day < period.first_day) {
        if !closed.contains(p.label.as_str()) {
            return false;
        }
        between = p.next();
    }
    true
}

/// The entries that adjust earlier closed periods of the region in `period`, the next open period
/// after each: those closed periods end before `period` starts and every period of its kind in
/// between is closed too, so each adjustment shows in exactly one open period of a kind.
async fn adjustments(
    conn: &impl ConnectionTrait,
    code: &str,
    period: &Period,
) -> AppResult<Vec<Adjustment>> {
    let closed = closed_period::Entity::find()
        .filter(closed_period::Column::RegionCode.eq(code))
        .all(conn)
        .await?;
    let labels: HashSet<&str> = closed.iter().map(|c| c.period.as_str()).collect();
    let mut found: BTreeMap<i64, Adjustment> = BTreeMap::new();
    for earlier in closed
        .iter()
        .filter(|c| is_next_open(c.last_day, period, &labels))
    {
        let late = ledger_entry::Entity::find()
            .filter(entries_in_region(code))
            .filter(ledger_entry::Column::OccurredOn.gte(earlier.first_day))
            .filter(ledger_entry::Column::OccurredOn.lte(earlier.last_day))
            .filter(ledger_entry::Column::Seq.gt(earlier.tip_seq))
            .order_by_asc(ledger_entry::Column::Seq)
            .limit(MAX_ADJUSTMENTS)
            .all(conn)
            .await?;
        for entry in late {
            let replace = found
                .get(&entry.seq)
                .is_none_or(|a| a.adjusts.tip_seq < earlier.tip_seq);
            if replace {
                found.insert(
                    entry.seq,
                    Adjustment {
                        entry,
                        adjusts: earlier.clone(),
                    },
                );
            }
        }
    }
    Ok(found
        .into_values()
        .take(usize::try_from(MAX_ADJUSTMENTS).unwrap_or(usize::MAX))
        .collect())
}

fn query_period(text: &str) -> AppResult<Period> {
    parse_period(text).ok_or_else(|| {
        AppError::BadInput(msg!(
            "periods.period_must_yyyy_mm_yyyy_h1",
            text = format!("{:?}", text)
        ))
    })
}

/// `periodReport`: the frozen report of a closed period, or the live one of an open period with
/// the adjustments it carries, for staff reading the region.
pub async fn period_report(
    db: &DatabaseConnection,
    viewer: &Viewer,
    code: &str,
    period_text: &str,
) -> AppResult<PeriodReport> {
    let period = query_period(period_text)?;
    require_reading(db, viewer, code).await?;
    if !regions::is_code(code) || regions::find(db, code).await?.is_none() {
        return Err(AppError::NotFound("not_found.region"));
    }
    if let Some(closed) = find_closed(db, code, &period.label).await? {
        return Ok(PeriodReport {
            report: frozen(db, &closed).await?,
            closed: Some(closed),
            adjustments: Vec::new(),
        });
    }
    let head = ledger_head::Entity::find_by_id(1).one(db).await?;
    let (seq, hash) = head.map_or((0, GENESIS.to_owned()), |h| (h.seq, h.last_hash));
    Ok(PeriodReport {
        report: compute(db, code, &period, seq, &hash).await?,
        closed: None,
        adjustments: adjustments(db, code, &period).await?,
    })
}

/// At most this many closed periods are listed.
pub const MAX_LISTED: u64 = 500;

/// The closed periods of a region's subtree (of one year when given), latest first.
pub async fn list(
    db: &DatabaseConnection,
    viewer: &Viewer,
    code: &str,
    year: Option<i32>,
) -> AppResult<Vec<closed_period::Model>> {
    require_reading(db, viewer, code).await?;
    let mut query =
        closed_period::Entity::find().filter(subtree(closed_period::Column::RegionCode, code));
    if let Some(year) = year {
        let (Some(first), Some(last)) = (day(year, 1, 1), day(year, 12, 31)) else {
            return Err(AppError::BadInput(msg!("periods.not_year", year = year)));
        };
        query = query
            .filter(closed_period::Column::FirstDay.gte(first))
            .filter(closed_period::Column::LastDay.lte(last));
    }
    Ok(query
        .order_by_desc(closed_period::Column::FirstDay)
        .order_by_asc(closed_period::Column::LastDay)
        .order_by_asc(closed_period::Column::RegionCode)
        .limit(MAX_LISTED)
        .all(db)
        .await?)
}

/// A closed period, if the viewer reads its region (`None` otherwise, as for one that does not
/// exist).
pub async fn load(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<Option<closed_period::Model>> {
    let Some(closed) = closed_period::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    if scope::reading(conn, viewer)
        .await?
        .covers(&closed.region_code)
    {
        Ok(Some(closed))
    } else {
        Ok(None)
    }
}

/// A closed period with its frozen report, for the export.
pub async fn export(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<(closed_period::Model, Report)> {
    let closed = load(db, viewer, id)
        .await?
        .ok_or(AppError::NotFound("not_found.closed_period"))?;
    let report = frozen(db, &closed).await?;
    Ok((closed, report))
}

/// What recomputing a closed report found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodVerification {
    pub closed: closed_period::Model,
    /// Entries 1..=tip checked against their hashes and links.
    pub checked: i64,
    /// The first entry up to the tip that does not verify, and why.
    pub chain_problem: Option<(i64, String)>,
    pub totals_match: bool,
    pub ranking_match: bool,
    pub signature_match: bool,
}

impl PeriodVerification {
    pub fn matches(&self) -> bool {
        self.chain_problem.is_none()
            && self.totals_match
            && self.ranking_match
            && self.signature_match
    }
}

const CHUNK: u64 = 1000;

/// Checks the chain from its start up to `tip_seq`: no gap, each link and hash as recorded, and
/// the entry at the tip carrying `tip_hash`.
async fn verify_chain_to(
    conn: &impl ConnectionTrait,
    tip_seq: i64,
    tip_hash: &str,
) -> AppResult<(i64, Option<(i64, String)>)> {
    let mut expected_seq = 1;
    let mut expected_prev = GENESIS.to_owned();
    while expected_seq <= tip_seq {
        let chunk = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::Seq.gte(expected_seq))
            .filter(ledger_entry::Column::Seq.lte(tip_seq))
            .order_by_asc(ledger_entry::Column::Seq)
            .limit(CHUNK)
            .all(conn)
            .await?;
        if chunk.is_empty() {
            return Ok((
                expected_seq - 1,
                Some((expected_seq, format!("entry {expected_seq} is missing"))),
            ));
        }
        for entry in chunk {
            let problem =
                entries::problem_with(&entry, expected_seq, &expected_prev).or_else(|| {
                    (entry.seq == tip_seq && entry.hash != tip_hash)
                        .then(|| "its hash is not the tip recorded at closing".to_owned())
                });
            if let Some(problem) = problem {
                return Ok((expected_seq - 1, Some((expected_seq, problem))));
            }
            expected_prev = entry.hash;
            expected_seq += 1;
        }
    }
    if tip_seq == 0 && tip_hash != GENESIS {
        return Ok((
            0,
            Some((0, "the recorded tip is not the chain's start".to_owned())),
        ));
    }
    Ok((tip_seq, None))
}

/// `verifyClosedPeriod`: verifies the chain up to the recorded tip, recomputes the report from it
/// with the function that computed it at closing, and checks the signature over what is stored.
pub async fn verify(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<PeriodVerification> {
    let closed = load(db, viewer, id)
        .await?
        .ok_or(AppError::NotFound("not_found.closed_period"))?;
    let stored = frozen(db, &closed).await?;
    let (checked, chain_problem) = verify_chain_to(db, closed.tip_seq, &closed.tip_hash).await?;
    let recomputed = compute(
        db,
        &closed.region_code,
        &stored.period,
        closed.tip_seq,
        &closed.tip_hash,
    )
    .await?;
    // Names are labels at closing (a unit may be renamed since); the figures must match.
    let figures = |rows: &[RankRow]| -> Vec<(Uuid, Option<i32>, i64, i64, i64, i32)> {
        rows.iter()
            .map(|r| {
                (
                    r.buyer_org_id,
                    r.reserved_share_bp,
                    r.target_fen,
                    r.purchased_fen,
                    r.done_bp,
                    r.rank,
                )
            })
            .collect()
    };
    Ok(PeriodVerification {
        checked,
        chain_problem,
        totals_match: recomputed.total == stored.total && recomputed.totals == stored.totals,
        ranking_match: figures(&recomputed.ranking) == figures(&stored.ranking),
        signature_match: signature_of(&stored, closed.closed_by) == closed.signature,
        closed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn periods_parse_to_their_kind_and_days() {
        let june = parse_period("2026-06").expect("month");
        assert_eq!(june.kind, PeriodKind::Month);
        assert_eq!(
            (june.first_day, june.last_day),
            (date(2026, 6, 1), date(2026, 6, 30))
        );
        let feb = parse_period("2028-02").expect("leap February");
        assert_eq!(feb.last_day, date(2028, 2, 29));
        let dec = parse_period("2026-12").expect("December");
        assert_eq!(dec.last_day, date(2026, 12, 31));
        let h1 = parse_period("2026-H1").expect("H1");
        assert_eq!(h1.kind, PeriodKind::HalfYear);
        assert_eq!(
            (h1.first_day, h1.last_day),
            (date(2026, 1, 1), date(2026, 6, 30))
        );
        let h2 = parse_period("2026-H2").expect("H2");
        assert_eq!(
            (h2.first_day, h2.last_day),
            (date(2026, 7, 1), date(2026, 12, 31))
        );
        let year = parse_period("2026").expect("year");
        assert_eq!(year.kind, PeriodKind::Year);
        assert_eq!(
            (year.first_day, year.last_day),
            (date(2026, 1, 1), date(2026, 12, 31))
        );
        assert_eq!(year.label, "2026");
    }

    #[test]
    fn malformed_periods_are_refused() {
        for bad in [
            "",
            "2026-6",
            "2026-13",
            "2026-00",
            "2026-H3",
            "2026-h1",
            " 2026",
            "2026 ",
            "26",
            "20266",
            "2026-",
            "-2026",
            "1999",
            "2026-06-01",
            "２０２６",
            "2026-1a",
            "+2026",
        ] {
            assert_eq!(parse_period(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_period_is_over_the_day_after_its_last() {
        let june = parse_period("2026-06").expect("month");
        assert!(!june.is_over(date(2026, 6, 30)));
        assert!(june.is_over(date(2026, 7, 1)));
        assert_eq!(june.next().map(|p| p.label), Some("2026-07".into()));
        let dec = parse_period("2026-12").expect("month");
        assert_eq!(dec.next().map(|p| p.label), Some("2027-01".into()));
        let h2 = parse_period("2026-H2").expect("half");
        assert_eq!(h2.next().map(|p| p.label), Some("2027-H1".into()));
    }

    #[test]
    fn an_adjustment_belongs_to_the_next_open_period_of_a_kind() {
        let period = |text: &str| parse_period(text).expect("period");
        let june_end = date(2026, 6, 30);
        let none = HashSet::new();
        assert!(is_next_open(june_end, &period("2026-07"), &none));
        assert!(
            !is_next_open(june_end, &period("2026-08"), &none),
            "July is open"
        );
        let july = HashSet::from(["2026-07"]);
        assert!(is_next_open(june_end, &period("2026-08"), &july));
        assert!(
            !is_next_open(june_end, &period("2026-06"), &none),
            "not after"
        );
        assert!(!is_next_open(june_end, &period("2026-05"), &none));
        assert!(is_next_open(june_end, &period("2026-H2"), &none));
        assert!(!is_next_open(june_end, &period("2027-H1"), &none));
        assert!(is_next_open(
            june_end,
            &period("2027-H1"),
            &HashSet::from(["2026-H2"])
        ));
        // A year holding the closed month is not after it.
        assert!(!is_next_open(june_end, &period("2026"), &none));
        assert!(is_next_open(date(2026, 12, 31), &period("2027"), &none));
    }

    fn unit(n: u128, name: &str, target: i64, bought: i64) -> RankRow {
        RankRow {
            buyer_org_id: Uuid::from_u128(n),
            unit_name: name.into(),
            reserved_share_bp: Some(1000),
            target_fen: target,
            purchased_fen: bought,
            done_bp: done_bp(target, bought),
            rank: 0,
        }
    }

    #[test]
    fn units_rank_by_completion_and_ties_share_a_rank() {
        assert_eq!(done_bp(30_000, 10_000), 3333);
        assert_eq!(done_bp(0, 10), 0);
        assert_eq!(done_bp(1, i64::MAX), i64::MAX);
        let ranked = rank(vec![
            unit(1, "甲", 10_000, 2_000),
            unit(2, "乙", 10_000, 5_000),
            unit(3, "丙", 20_000, 10_000),
            unit(4, "丁", 10_000, 12_000),
        ]);
        let order: Vec<(&str, i64, i32)> = ranked
            .iter()
            .map(|r| (r.unit_name.as_str(), r.done_bp, r.rank))
            .collect();
        assert_eq!(
            order,
            vec![
                ("丁", 12_000, 1),
                ("丙", 5_000, 2),
                ("乙", 5_000, 2),
                ("甲", 2_000, 4)
            ]
        );
    }

    fn report() -> Report {
        Report {
            region_code: "1301".into(),
            period: parse_period("2026-06").expect("month"),
            tip_seq: 7,
            tip_hash: "ab".repeat(32),
            total: Sums {
                amount_fen: 45_000,
                quantity: 10,
                entries: 2,
            },
            totals: vec![
                TotalRow {
                    dimension: PeriodDimension::OriginCounty,
                    key: "130126".into(),
                    sums: Sums {
                        amount_fen: 45_000,
                        quantity: 10,
                        entries: 2,
                    },
                },
                TotalRow {
                    dimension: PeriodDimension::Month,
                    key: "2026-06".into(),
                    sums: Sums {
                        amount_fen: 45_000,
                        quantity: 10,
                        entries: 2,
                    },
                },
            ],
            ranking: vec![RankRow {
                buyer_org_id: Uuid::from_u128(4),
                unit_name: "灵寿\"一中\"".into(),
                reserved_share_bp: None,
                target_fen: 90_000,
                purchased_fen: 45_000,
                done_bp: 5_000,
                rank: 1,
            }],
        }
    }

    /// The exact bytes signed, and the signature: if this test fails, every stored signature
    /// would stop matching. Change it only with a migration that re-signs closed periods.
    #[test]
    fn the_signed_bytes_are_pinned() {
        let closed_by = Uuid::from_u128(9);
        let expected = [
            "fupin-market closed period v1".to_owned(),
            "period\u{1f}1301\u{1f}2026-06\u{1f}MONTH\u{1f}2026-06-01\u{1f}2026-06-30".to_owned(),
            format!("tip\u{1f}7\u{1f}{}", "ab".repeat(32)),
            "closed_by\u{1f}00000000-0000-0000-0000-000000000009".to_owned(),
            "total\u{1f}45000\u{1f}10\u{1f}2".to_owned(),
            "row\u{1f}ORIGIN_COUNTY\u{1f}130126\u{1f}45000\u{1f}10\u{1f}2".to_owned(),
            "row\u{1f}MONTH\u{1f}2026-06\u{1f}45000\u{1f}10\u{1f}2".to_owned(),
            "rank\u{1f}1\u{1f}00000000-0000-0000-0000-000000000004\u{1f}\"灵寿\\\"一中\\\"\"\u{1f}\u{1f}90000\u{1f}45000\u{1f}5000".to_owned(),
        ]
        .join("\n");
        assert_eq!(signed_bytes(&report(), closed_by), expected);
        // sha256 of the bytes above, computed outside Rust (Python's hashlib).
        assert_eq!(
            signature_of(&report(), closed_by),
            "bbf9d3439e0e7484f308369007033bb0d177ce5e98b7efe2c612a51fac6ef878"
        );
    }

    #[test]
    fn any_change_of_figures_tip_or_officer_changes_the_signature() {
        let officer = Uuid::from_u128(9);
        let original = signature_of(&report(), officer);
        let mut amount = report();
        amount.totals[0].sums.amount_fen += 1;
        let mut tip = report();
        tip.tip_seq += 1;
        let mut ranked = report();
        ranked.ranking[0].purchased_fen -= 1;
        for changed in [amount, tip, ranked] {
            assert_ne!(signature_of(&changed, officer), original);
        }
        assert_ne!(signature_of(&report(), Uuid::from_u128(8)), original);
        assert_eq!(signature_of(&report(), officer), original);
    }
}
