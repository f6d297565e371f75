//! Tallies officials report upward: sums of the monthly rollups grouped by one or two
//! dimensions, and each buyer's progress to its declared target.

use chrono::Datelike;
use std::{collections::HashMap, sync::Arc};

use entity::{
    ledger_entry::{LedgerChannel, Purpose},
    ledger_head, ledger_tally,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, Order,
    QueryResult,
    sea_query::{Alias, Expr, Query, SelectStatement, SimpleExpr},
};
use uuid::Uuid;

use super::{
    cache::{Group, SummaryCache},
    entries::{LedgerView, Places, Reach},
};
use crate::error::AppResult;

/// What a summary groups by. Region levels group by the producer's place at that level (the
/// origin), buyer levels by the buyer's place on the day (a buyer registered at a city has its
/// city as its county).
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum LedgerDimension {
    Province,
    City,
    County,
    Township,
    Village,
    Buyer,
    BuyerKind,
    /// The buyer's province, city or county.
    BuyerProvince,
    BuyerCity,
    BuyerCounty,
    Producer,
    ProducerKind,
    Category,
    Month,
    /// The pairing the sale counts toward (`NONE` for none), and that pairing's kind.
    Pairing,
    PairingKind,
    /// The origin county's poverty status on the day of the sale.
    OriginStatus,
    /// Where the sale happened (`LedgerChannel`) and what it was for (`Purpose`).
    Channel,
    Purpose,
}

/// The key of sales that count toward no pairing, for `PAIRING` and `PAIRING_KIND`.
pub const NO_PAIRING: &str = "NONE";

impl LedgerDimension {
    fn expr(self, grain: Grain) -> SimpleExpr {
        let prefix = |column: &str, n: usize| Expr::cust(format!("SUBSTR({column}, 1, {n})"));
        let origin = |n| prefix(grain.region_column(), n);
        let buyer = |n| prefix(grain.buyer_region_column(), n);
        let column = |name: &str| Expr::col(Alias::new(name));
        match self {
            Self::Province => origin(2),
            Self::City => origin(4),
            Self::County => origin(6),
            Self::Township => origin(9),
            Self::Village => origin(12),
            Self::Buyer => column("buyer_org_id"),
            Self::BuyerKind => column("buyer_kind"),
            Self::BuyerProvince => buyer(2),
            Self::BuyerCity => buyer(4),
            Self::BuyerCounty => buyer(6),
            Self::Producer => column("producer_org_id"),
            Self::ProducerKind => column("producer_kind"),
            Self::Category => column("category"),
            Self::Month => column("month"),
            Self::Pairing => column("pairing_id"),
            Self::PairingKind => column("pairing_kind"),
            Self::OriginStatus => column("origin_status"),
            Self::Channel => column("channel"),
            Self::Purpose => column("purpose"),
        }
    }

    /// Whether the county rollups carry this dimension.
    fn in_county_rollup(self) -> bool {
        matches!(
            self,
            Self::Province
                | Self::City
                | Self::County
                | Self::BuyerKind
                | Self::BuyerProvince
                | Self::BuyerCity
                | Self::BuyerCounty
                | Self::Month
                | Self::Pairing
                | Self::PairingKind
                | Self::OriginStatus
        )
    }

    /// Whether the key is a UUID column (organisations, pairings).
    fn is_uuid(self) -> bool {
        matches!(self, Self::Buyer | Self::Producer | Self::Pairing)
    }

    /// The region level's code length, for region dimensions.
    pub fn region_length(self) -> Option<usize> {
        match self {
            Self::Province => Some(2),
            Self::City => Some(4),
            Self::County => Some(6),
            Self::Township => Some(9),
            Self::Village => Some(12),
            Self::BuyerProvince => Some(2),
            Self::BuyerCity => Some(4),
            Self::BuyerCounty => Some(6),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct SummaryFilter {
    /// Months `YYYY-MM`, inclusive.
    pub from_month: Option<String>,
    pub to_month: Option<String>,
    pub region_code: Option<String>,
    /// Which side of a sale places it in `region_code` (the reach carries its own).
    pub view: LedgerView,
    pub buyer_org_ids: Option<Vec<Uuid>>,
    pub producer_org_id: Option<Uuid>,
    pub certified_only: bool,
    pub paired_only: bool,
    pub channels: Option<Vec<LedgerChannel>>,
    pub purposes: Option<Vec<Purpose>>,
    /// Only units' own purchases (orders), not what they answer for at outlets and fairs:
    /// what counts toward targets.
    pub purchases_only: bool,
}

/// At most this many groups come back, largest first.
pub const MAX_GROUPS: u64 = 1000;

/// Which rollups a summary reads: the fine ones, or the county ones when the question needs no
/// finer grain (a year by county is ~100x fewer rows).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Grain {
    Fine,
    County,
}

impl Grain {
    fn table(self) -> Alias {
        Alias::new(match self {
            Self::Fine => "ledger_tallies",
            Self::County => "ledger_county_tallies",
        })
    }

    fn region_column(self) -> &'static str {
        match self {
            Self::Fine => "region_code",
            Self::County => "county_code",
        }
    }

    /// The buyer's place: in full on the fine rollups, its county on the county ones.
    fn buyer_region_column(self) -> &'static str {
        match self {
            Self::Fine => "buyer_region_code",
            Self::County => "buyer_area_code",
        }
    }

    fn places(self) -> Places {
        Places::new(
            Expr::col(Alias::new(self.region_column())),
            Expr::col(Alias::new(self.buyer_region_column())),
        )
    }

    fn choose(
        dimensions: &[LedgerDimension],
        filter: &SummaryFilter,
        reach: Option<&Reach>,
    ) -> Self {
        let coarse = dimensions.iter().all(|d| d.in_county_rollup())
            && filter.buyer_org_ids.is_none()
            && filter.producer_org_id.is_none()
            && filter.channels.is_none()
            && filter.purposes.is_none()
            && !filter.purchases_only
            && filter.region_code.as_ref().is_none_or(|c| c.len() <= 6)
            && reach.is_none_or(Reach::sees_whole_counties);
        if coarse { Self::County } else { Self::Fine }
    }
}

fn conditions(grain: Grain, filter: &SummaryFilter, reach: Option<&Reach>) -> AppResult<Condition> {
    let column = |name: &str| Expr::col(Alias::new(name));
    let mut all = Condition::all();
    let places = grain.places();
    if let Some(reach) = reach {
        all = all.add(match grain {
            Grain::Fine => reach.condition(
                &places,
                ledger_tally::Column::BuyerOrgId,
                ledger_tally::Column::ProducerOrgId,
            )?,
            Grain::County => reach.county_condition(&places)?,
        });
    }
    if let Some(from) = &filter.from_month {
        all = all.add(column("month").gte(from.clone()));
    }
    if let Some(to) = &filter.to_month {
        all = all.add(column("month").lte(to.clone()));
    }
    if let Some(code) = &filter.region_code {
        all = all.add(places.within(filter.view, code));
    }
    if let Some(buyers) = &filter.buyer_org_ids {
        all = all.add(ledger_tally::Column::BuyerOrgId.is_in(buyers.clone()));
    }
    if let Some(producer) = filter.producer_org_id {
        all = all.add(ledger_tally::Column::ProducerOrgId.eq(producer));
    }
    if filter.certified_only {
        all = all.add(column("certified").eq(true));
    }
    if filter.paired_only {
        all = all.add(column("paired").eq(true));
    }
    if let Some(channels) = &filter.channels {
        all = all.add(ledger_tally::Column::Channel.is_in(channels.clone()));
    }
    if let Some(purposes) = &filter.purposes {
        all = all.add(ledger_tally::Column::Purpose.is_in(purposes.clone()));
    }
    if filter.purchases_only {
        all = all.add(ledger_tally::Column::Reported.eq(false));
    }
    Ok(all)
}

/// Sums the rollups by `dimensions` (none: one grand total), largest first, counting what
/// `reach` may read (everything when `None`).
pub async fn summarize(
    db: &DatabaseConnection,
    cache: &SummaryCache,
    dimensions: &[LedgerDimension],
    filter: &SummaryFilter,
    reach: Option<&Reach>,
) -> AppResult<Arc<Vec<Group>>> {
    let statement = db
        .get_database_backend()
        .build(&statement(dimensions, filter, reach)?);
    let key = format!("{}\u{1f}{:?}", statement.sql, statement.values);
    // The tip is read first: the rollups read after it are at least as new.
    let seq = ledger_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .map_or(0, |head| head.seq);
    if let Some(groups) = cache.get(seq, &key) {
        return Ok(groups);
    }
    let rows = db.query_all_raw(statement).await?;
    let mut groups = Vec::with_capacity(rows.len());
    for row in rows {
        groups.push(Group {
            keys: keys_of(&row, dimensions)?,
            amount_fen: row.try_get("", "amount")?,
            quantity: row.try_get("", "quantity")?,
            entries: row.try_get("", "entries")?,
        });
    }
    let groups = Arc::new(groups);
    cache.put(seq, key, groups.clone());
    Ok(groups)
}

/// A result row's group key, one text per dimension (`k0`, `k1`…).
fn keys_of(row: &QueryResult, dimensions: &[LedgerDimension]) -> AppResult<Vec<String>> {
    let mut keys = Vec::with_capacity(dimensions.len());
    for (i, dimension) in dimensions.iter().enumerate() {
        let column = format!("k{i}");
        keys.push(if dimension.is_uuid() {
            let id = row.try_get::<Uuid>("", &column)?;
            if id.is_nil() {
                NO_PAIRING.to_owned()
            } else {
                id.to_string()
            }
        } else {
            match row.try_get::<String>("", &column)? {
                none if none.is_empty() && *dimension == LedgerDimension::PairingKind => {
                    NO_PAIRING.to_owned()
                }
                key => key,
            }
        });
    }
    Ok(keys)
}

/// Poor households reached per group: each producer's linked households counted once (the most
/// it declared in the period), summed over the producers whose sales are in the group. A sum
/// over entries would count a producer's households once per sale.
pub async fn households(
    db: &DatabaseConnection,
    dimensions: &[LedgerDimension],
    filter: &SummaryFilter,
    reach: Option<&Reach>,
) -> AppResult<HashMap<Vec<String>, i64>> {
    let grain = Grain::Fine;
    let mut per_producer = Query::select();
    per_producer.from(grain.table());
    let mut outer = Query::select();
    for (i, dimension) in dimensions.iter().enumerate() {
        let key = Alias::new(format!("k{i}"));
        per_producer.expr_as(dimension.expr(grain), key.clone());
        per_producer.add_group_by([dimension.expr(grain)]);
        outer.expr_as(Expr::col(key.clone()), key.clone());
        outer.add_group_by([Expr::col(key)]);
    }
    per_producer
        .column(Alias::new("producer_org_id"))
        .expr_as(
            Expr::cust("MAX(households_linked)"),
            Alias::new("households"),
        )
        .add_group_by([Expr::col(Alias::new("producer_org_id"))])
        .cond_where(conditions(grain, filter, reach)?);
    outer
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(households), 0) AS BIGINT)"),
            Alias::new("households"),
        )
        .from_subquery(per_producer, Alias::new("p"));
    let rows = db
        .query_all_raw(db.get_database_backend().build(&outer))
        .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        found.insert(keys_of(&row, dimensions)?, row.try_get("", "households")?);
    }
    Ok(found)
}

/// The grouping statement, on the coarsest rollups that can answer it.
fn statement(
    dimensions: &[LedgerDimension],
    filter: &SummaryFilter,
    reach: Option<&Reach>,
) -> AppResult<SelectStatement> {
    let grain = Grain::choose(dimensions, filter, reach);
    let mut query = Query::select();
    query.from(grain.table());
    for (i, dimension) in dimensions.iter().enumerate() {
        query.expr_as(dimension.expr(grain), Alias::new(format!("k{i}")));
        query.add_group_by([dimension.expr(grain)]);
    }
    query
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT)"),
            Alias::new("amount"),
        )
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(quantity), 0) AS BIGINT)"),
            Alias::new("quantity"),
        )
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(entries), 0) AS BIGINT)"),
            Alias::new("entries"),
        )
        .cond_where(conditions(grain, filter, reach)?)
        .order_by(Alias::new("amount"), Order::Desc);
    // Ties in key order, so equal amounts come back the same way every time.
    for i in 0..dimensions.len() {
        query.order_by(Alias::new(format!("k{i}")), Order::Asc);
    }
    query.limit(MAX_GROUPS);
    Ok(query)
}

/// The months of a year, for filters.
pub fn year_months(year: i32) -> (String, String) {
    (format!("{year:04}-01"), format!("{year:04}-12"))
}

/// The month a date falls in.
pub fn month_of(date: chrono::NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}
