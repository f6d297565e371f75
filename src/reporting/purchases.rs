//! What buyer units bought and producers sold in a year, summed from the monthly rollups in
//! grouped queries (never one query per unit): the figures allocations, rankings and red
//! warnings are judged by.
//!
//! Purchases come from the rollups by buying unit (`ledger_buyer_tallies`), which hold each
//! unit's place on the day of the sale: a unit that moves keeps its past purchases where they
//! were made, as the ledger records them.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use entity::{
    buyer, ledger_buyer_tally,
    ledger_buyer_tally::Column as B,
    ledger_head, ledger_tally,
    procurement_declaration::CanteenArrangement,
    unit_link::{self, UnitLinkStatus},
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    error::AppResult,
    ledger::{
        cache::{Group, SummaryCache},
        summary::year_months,
    },
    org::links::{CountingLink, counted_units},
    region::subtree,
};

/// Keys listed in one `IN (…)` at most.
const IN_CHUNK: usize = 1000;

fn amount_sum() -> Expr {
    Expr::cust("CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT)")
}

fn in_year(year: i32, month: impl ColumnTrait) -> Condition {
    let (from, to) = year_months(year);
    Condition::all().add(month.gte(from)).add(month.lte(to))
}

/// The ledger's tip, when answers may come from `cache`.
async fn tip(conn: &impl ConnectionTrait, cache: Option<&SummaryCache>) -> AppResult<Option<i64>> {
    if cache.is_none() {
        return Ok(None);
    }
    Ok(Some(
        ledger_head::Entity::find_by_id(1)
            .one(conn)
            .await?
            .map_or(0, |head| head.seq),
    ))
}

fn cached(cache: Option<&SummaryCache>, seq: Option<i64>, key: &str) -> Option<Vec<(String, i64)>> {
    let groups = cache?.get(seq?, key)?;
    Some(
        groups
            .iter()
            .filter_map(|g| Some((g.keys.first()?.clone(), g.amount_fen)))
            .collect(),
    )
}

fn keep(cache: Option<&SummaryCache>, seq: Option<i64>, key: String, rows: &[(String, i64)]) {
    if let (Some(cache), Some(seq)) = (cache, seq) {
        let groups = rows
            .iter()
            .map(|(k, amount)| Group {
                keys: vec![k.clone()],
                amount_fen: *amount,
                quantity: 0,
                entries: 0,
            })
            .collect();
        cache.put(seq, key, Arc::new(groups));
    }
}

/// What units located in `within`'s subtree bought in `year` (SALE + REFUND), by the unit's
/// place (its division code); `""` is everywhere. Kept in `cache` at the ledger's tip (the
/// rollups change only with it), so a dashboard asking again does not sum again.
pub async fn bought_by_place(
    conn: &impl ConnectionTrait,
    cache: Option<&SummaryCache>,
    year: i32,
    within: &str,
) -> AppResult<Vec<(String, i64)>> {
    // The tip is read first: the rollups read after it are at least as new.
    let seq = tip(conn, cache).await?;
    let key = format!("reporting:bought-by-place\u{1f}{year}\u{1f}{within}");
    if let Some(rows) = cached(cache, seq, &key) {
        return Ok(rows);
    }
    let rows = ledger_buyer_tally::Entity::find()
        .select_only()
        .column(B::BuyerRegionCode)
        .expr_as(amount_sum(), "amount")
        .filter(in_year(year, B::Month))
        .filter(subtree(B::BuyerRegionCode, within))
        .group_by(B::BuyerRegionCode)
        .into_tuple::<(String, i64)>()
        .all(conn)
        .await?;
    keep(cache, seq, key, &rows);
    Ok(rows)
}

/// What each unit located in `within`'s subtree bought itself in `year` (kept in `cache` as
/// [`bought_by_place`] is).
pub async fn bought_by_unit_within(
    conn: &impl ConnectionTrait,
    cache: Option<&SummaryCache>,
    year: i32,
    within: &str,
) -> AppResult<HashMap<Uuid, i64>> {
    let seq = tip(conn, cache).await?;
    let key = format!("reporting:bought-by-unit\u{1f}{year}\u{1f}{within}");
    if let Some(rows) = cached(cache, seq, &key) {
        return Ok(rows
            .into_iter()
            .filter_map(|(id, amount)| Some((Uuid::try_parse(&id).ok()?, amount)))
            .collect());
    }
    let rows = ledger_buyer_tally::Entity::find()
        .select_only()
        .column(B::BuyerOrgId)
        .expr_as(amount_sum(), "amount")
        .filter(in_year(year, B::Month))
        .filter(subtree(B::BuyerRegionCode, within))
        .group_by(B::BuyerOrgId)
        .into_tuple::<(Uuid, i64)>()
        .all(conn)
        .await?;
    let as_text: Vec<(String, i64)> = rows.iter().map(|(id, a)| (id.to_string(), *a)).collect();
    keep(cache, seq, key, &as_text);
    Ok(rows.into_iter().collect())
}

/// What each of these units bought itself in `year` (units that bought nothing are absent).
pub async fn bought_by_units(
    conn: &impl ConnectionTrait,
    year: i32,
    units: &[Uuid],
) -> AppResult<HashMap<Uuid, i64>> {
    let mut found = HashMap::new();
    for chunk in units.chunks(IN_CHUNK) {
        let rows = ledger_buyer_tally::Entity::find()
            .select_only()
            .column(B::BuyerOrgId)
            .expr_as(amount_sum(), "amount")
            .filter(in_year(year, B::Month))
            .filter(B::BuyerOrgId.is_in(chunk.to_vec()))
            .group_by(B::BuyerOrgId)
            .into_tuple::<(Uuid, i64)>()
            .all(conn)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// What producers located in `within`'s subtree sold in `year`, by the producer's place.
pub async fn sold_by_place(
    conn: &impl ConnectionTrait,
    year: i32,
    within: &str,
) -> AppResult<Vec<(String, i64)>> {
    Ok(ledger_tally::Entity::find()
        .select_only()
        .column(ledger_tally::Column::RegionCode)
        .expr_as(amount_sum(), "amount")
        .filter(in_year(year, ledger_tally::Column::Month))
        .filter(subtree(ledger_tally::Column::RegionCode, within))
        .group_by(ledger_tally::Column::RegionCode)
        .into_tuple::<(String, i64)>()
        .all(conn)
        .await?)
}

/// The sum of the places in `code`'s subtree.
pub fn in_subtree(by_place: &[(String, i64)], code: &str) -> i64 {
    by_place
        .iter()
        .filter(|(place, _)| place.starts_with(code))
        .map(|(_, amount)| amount)
        .sum()
}

/// The places summed up to the region at code length `length` (a level): `1301` for every
/// `1301…` at length 4. Places shorter than the level count for none of its regions.
pub fn by_prefix(by_place: &[(String, i64)], length: usize) -> HashMap<String, i64> {
    let mut sums: HashMap<String, i64> = HashMap::new();
    for (place, amount) in by_place {
        if let Some(prefix) = place.get(..length) {
            *sums.entry(prefix.to_owned()).or_default() += amount;
        }
    }
    sums
}

/// A unit to count, with its declared canteen arrangement for the year (none: undeclared).
#[derive(Clone, Copy, Debug)]
pub struct Counted {
    pub unit: Uuid,
    pub arrangement: Option<CanteenArrangement>,
}

/// Each unit's purchases by the counting rule (`links::counted_units`, as `targetProgress`
/// counts them): its own and those of the units linked to it, from the purchases of the units
/// in `within` (`own`) and one more query for linked units elsewhere. Two or three queries
/// whatever the number of units.
pub async fn counted_purchases(
    conn: &impl ConnectionTrait,
    year: i32,
    within: &str,
    units: &[Counted],
    own: &HashMap<Uuid, i64>,
) -> AppResult<HashMap<Uuid, i64>> {
    let located = sea_orm::sea_query::Query::select()
        .column(buyer::Column::OrganizationId)
        .from(buyer::Entity)
        .cond_where(subtree(
            Expr::col((buyer::Entity, buyer::Column::RegionCode)),
            within,
        ))
        .to_owned();
    let links: Vec<CountingLink> = unit_link::Entity::find()
        .filter(unit_link::Column::UnitOrgId.in_subquery(located))
        .filter(unit_link::Column::Status.eq(UnitLinkStatus::Confirmed))
        .filter(
            Condition::any()
                .add(unit_link::Column::Year.is_null())
                .add(unit_link::Column::Year.eq(year)),
        )
        .all(conn)
        .await?
        .iter()
        .map(CountingLink::from)
        .collect();
    let mut by_unit: HashMap<Uuid, Vec<CountingLink>> = HashMap::new();
    for link in links {
        by_unit.entry(link.unit).or_default().push(link);
    }
    let listed: HashSet<Uuid> = units.iter().map(|u| u.unit).collect();
    let mut counted: HashMap<Uuid, Vec<Uuid>> = HashMap::with_capacity(units.len());
    let mut elsewhere: HashSet<Uuid> = HashSet::new();
    for unit in units {
        let links = by_unit.get(&unit.unit).map_or(&[][..], Vec::as_slice);
        let ids = counted_units(unit.unit, year, unit.arrangement, links);
        elsewhere.extend(
            ids.iter()
                .filter(|id| !own.contains_key(id) && !listed.contains(id))
                .copied(),
        );
        counted.insert(unit.unit, ids);
    }
    let mut elsewhere: Vec<Uuid> = elsewhere.into_iter().collect();
    elsewhere.sort();
    let outside = bought_by_units(conn, year, &elsewhere).await?;
    Ok(counted
        .into_iter()
        .map(|(unit, ids)| {
            let sum = ids
                .iter()
                .map(|id| {
                    own.get(id)
                        .or_else(|| outside.get(id))
                        .copied()
                        .unwrap_or(0)
                })
                .sum();
            (unit, sum)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_sum_up_their_subtrees() {
        let places = vec![
            ("130126204207".to_owned(), 100),
            ("130126".to_owned(), 20),
            ("130727".to_owned(), 5),
            ("1301".to_owned(), 1),
        ];
        assert_eq!(in_subtree(&places, "130126"), 120);
        assert_eq!(in_subtree(&places, "13"), 126);
        assert_eq!(in_subtree(&places, "44"), 0);
        let counties = by_prefix(&places, 6);
        assert_eq!(counties.get("130126"), Some(&120));
        assert_eq!(counties.get("130727"), Some(&5));
        assert_eq!(
            counties.get("1301"),
            None,
            "a city's own units are in no county"
        );
    }

    #[test]
    fn kept_sums_answer_only_at_their_tip() {
        let cache = SummaryCache::default();
        let rows = vec![("130126".to_owned(), 120), ("130727".to_owned(), -5)];
        keep(Some(&cache), Some(7), "k".into(), &rows);
        assert_eq!(cached(Some(&cache), Some(7), "k"), Some(rows));
        assert_eq!(cached(Some(&cache), Some(8), "k"), None);
        assert_eq!(cached(Some(&cache), Some(7), "other"), None);
        assert_eq!(cached(None, Some(7), "k"), None);
    }
}
