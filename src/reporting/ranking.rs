//! `targetRanking`: units by declared target, or regions by allocated task, against what they
//! bought, with the pro-rata pace for a day. The figures come from a few grouped queries
//! (`purchases`), never one per unit; ordering and pace are pure functions below.

use std::{cmp::Ordering, collections::HashMap};

use chrono::{Datelike, NaiveDate};
use entity::{
    buyer::{self, BuyerKind},
    organization,
    procurement_declaration::{self, CanteenArrangement},
    region::{self, RegionLevel},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
    sea_query::Query,
};
use uuid::Uuid;

use super::{
    allocations::{self, year_allowed},
    purchases::{self, Counted},
};
use crate::{
    auth::{Viewer, scope},
    error::{AppError, AppResult, ErrorCode},
    ledger::{cache::SummaryCache, progress},
    region::{regions, subtree},
};

/// The code length of a level's divisions.
pub fn level_length(level: RegionLevel) -> usize {
    match level {
        RegionLevel::Province => 2,
        RegionLevel::City => 4,
        RegionLevel::County => 6,
        RegionLevel::Township => 9,
        RegionLevel::Village => 12,
    }
}

/// Days of `year` elapsed on `on` (that day included) and the days in the year: none before
/// the year, all after it.
pub fn days_elapsed(year: i32, on: NaiveDate) -> (i64, i64) {
    let days = NaiveDate::from_ymd_opt(year, 12, 31).map_or(365, |d| i64::from(d.ordinal()));
    let elapsed = match on.year().cmp(&year) {
        Ordering::Less => 0,
        Ordering::Greater => days,
        Ordering::Equal => i64::from(on.ordinal()),
    };
    (elapsed, days)
}

/// The pro-rata pace: what `target` asks to have been bought by `on`, in whole fen, rounded
/// down (target × elapsed days / days in the year).
pub fn pace(target_fen: i64, year: i32, on: NaiveDate) -> i64 {
    let (elapsed, days) = days_elapsed(year, on);
    let fen = i128::from(target_fen.max(0)) * i128::from(elapsed) / i128::from(days.max(1));
    i64::try_from(fen).unwrap_or(i64::MAX)
}

/// Behind the pace by more than `margin_bp` basis points of the pace (2000: bought less than
/// 80% of what the pace asks). Nothing is behind a zero pace.
pub fn far_behind(bought_fen: i64, pace_fen: i64, margin_bp: i32) -> bool {
    pace_fen > 0
        && (i128::from(pace_fen) - i128::from(bought_fen)) * 10_000
            > i128::from(pace_fen) * i128::from(margin_bp)
}

/// One ranked unit or region's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The unit, for unit rankings.
    pub buyer: Option<Uuid>,
    pub name: String,
    /// The region, or the unit's place.
    pub region_code: String,
    /// Declared target or allocated task; `None` when it has none.
    pub target_fen: Option<i64>,
    pub bought_fen: i64,
}

impl Standing {
    fn target(&self) -> Option<i64> {
        self.target_fen.filter(|t| *t > 0)
    }

    /// What breaks ties last: the region code, then the unit's ID.
    fn key(&self) -> (&str, Option<Uuid>) {
        (&self.region_code, self.buyer)
    }
}

/// **The ranking order**: those with a target first, by share of it bought (compared exactly,
/// not by rounded percent), then by amount bought; those without a target after them, by amount
/// bought; remaining ties by region code, then unit ID, so the order never depends on the
/// database's row order.
pub fn compare(a: &Standing, b: &Standing) -> Ordering {
    let by_share = match (a.target(), b.target()) {
        (Some(ta), Some(tb)) => {
            let share_a = i128::from(a.bought_fen) * i128::from(tb);
            let share_b = i128::from(b.bought_fen) * i128::from(ta);
            share_b.cmp(&share_a)
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_share
        .then_with(|| b.bought_fen.cmp(&a.bought_fen))
        .then_with(|| a.key().cmp(&b.key()))
}

/// A ranked row: its rank (1 = furthest ahead), the figures and the pace on the day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranked {
    pub rank: i32,
    pub standing: Standing,
    pub pace_fen: Option<i64>,
    pub percent_done: Option<i32>,
    pub behind_pace: bool,
}

/// Ranks the standings in [`compare`] order, with each one's pace for `on`.
pub fn ranked(mut standings: Vec<Standing>, year: i32, on: NaiveDate) -> Vec<Ranked> {
    standings.sort_by(compare);
    standings
        .into_iter()
        .enumerate()
        .map(|(i, standing)| {
            let pace_fen = standing.target_fen.map(|t| pace(t, year, on));
            Ranked {
                rank: i32::try_from(i + 1).unwrap_or(i32::MAX),
                percent_done: progress::percent(standing.target_fen, standing.bought_fen),
                behind_pace: pace_fen.is_some_and(|p| standing.bought_fen < p),
                pace_fen,
                standing,
            }
        })
        .collect()
}

/// What a ranking ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankBy {
    /// The regions of this level inside the region, by allocated task.
    Level(RegionLevel),
    /// The buyer units located in the region (of this kind), by declared target.
    Units(Option<BuyerKind>),
}

#[derive(Clone, Debug)]
pub struct Ranking {
    pub region: region::Model,
    pub year: i32,
    pub on: NaiveDate,
    pub by: RankBy,
    pub rows: Vec<Ranked>,
}

/// The ranking of `region_code`'s units or regions for `year` on `on`, for staff whose reading
/// scope covers the region. Nothing to rank is `NO_UNITS`.
pub async fn rank(
    conn: &impl ConnectionTrait,
    cache: &SummaryCache,
    viewer: &Viewer,
    region_code: &str,
    year: i32,
    by: RankBy,
    on: NaiveDate,
) -> AppResult<Ranking> {
    if !year_allowed(year, chrono::Utc::now().year()) {
        return Err(AppError::field(
            "year",
            ErrorCode::Invalid,
            msg!("ranking.no_rankings", year = year),
        ));
    }
    let region = regions::require(conn, region_code, "regionCode", &RegionLevel::ALL).await?;
    if !scope::reading(conn, viewer).await?.covers(&region.code) {
        return Err(AppError::Forbidden("forbidden.region_outside_your_scope"));
    }
    let standings = match by {
        RankBy::Level(level) => {
            region_standings(conn, Some(cache), year, &region.code, level).await?
        }
        RankBy::Units(kind) => unit_standings(conn, Some(cache), year, &region.code, kind).await?,
    };
    if standings.is_empty() {
        let why = match by {
            RankBy::Level(level) => msg!(
                "ranking.no_region_of_level",
                level = format!("{level:?}").to_lowercase(),
                region = region.name
            ),
            RankBy::Units(Some(kind)) => msg!(
                "ranking.no_unit_of_kind",
                kind = format!("{kind:?}").to_lowercase(),
                region = region.name
            ),
            RankBy::Units(None) => msg!("ranking.no_buyer_unit", region = region.name),
        };
        return Err(AppError::state(ErrorCode::NoUnits, why));
    }
    Ok(Ranking {
        rows: ranked(standings, year, on),
        region,
        year,
        on,
        by,
    })
}

/// Every region of `level` in `within`'s subtree with its allocated task and what the units
/// located in it bought.
pub async fn region_standings(
    conn: &impl ConnectionTrait,
    cache: Option<&SummaryCache>,
    year: i32,
    within: &str,
    level: RegionLevel,
) -> AppResult<Vec<Standing>> {
    let regions = region::Entity::find()
        .filter(region::Column::Level.eq(level))
        .filter(subtree(region::Column::Code, within))
        .all(conn)
        .await?;
    if regions.is_empty() {
        return Ok(Vec::new());
    }
    let held = allocations::held_within(conn, year, within).await?;
    let bought = purchases::by_prefix(
        &purchases::bought_by_place(conn, cache, year, within).await?,
        level_length(level),
    );
    Ok(regions
        .into_iter()
        .map(|r| Standing {
            buyer: None,
            target_fen: held.get(&r.code).copied(),
            bought_fen: bought.get(&r.code).copied().unwrap_or(0),
            name: r.name,
            region_code: r.code,
        })
        .collect())
}

/// Every buyer unit located in `within`'s subtree (of `kind`) with its declared target for
/// `year` and its purchases by the counting rule.
pub async fn unit_standings(
    conn: &impl ConnectionTrait,
    cache: Option<&SummaryCache>,
    year: i32,
    within: &str,
    kind: Option<BuyerKind>,
) -> AppResult<Vec<Standing>> {
    // Only the columns a ranking shows: decoding whole rows of 5,000 units costs more than
    // the query.
    let mut units = buyer::Entity::find()
        .select_only()
        .column(buyer::Column::OrganizationId)
        .column(organization::Column::Name)
        .column(buyer::Column::RegionCode)
        .join(JoinType::InnerJoin, buyer::Relation::Organization.def())
        .filter(subtree(buyer::Column::RegionCode, within));
    if let Some(kind) = kind {
        units = units.filter(buyer::Column::Kind.eq(kind));
    }
    let units: Vec<(Uuid, String, String)> = units.into_tuple().all(conn).await?;
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let located = Query::select()
        .column(buyer::Column::OrganizationId)
        .from(buyer::Entity)
        .cond_where(subtree(
            sea_orm::sea_query::Expr::col((buyer::Entity, buyer::Column::RegionCode)),
            within,
        ))
        .to_owned();
    let declared: HashMap<Uuid, (i64, CanteenArrangement)> =
        procurement_declaration::Entity::find()
            .select_only()
            .column(procurement_declaration::Column::BuyerOrgId)
            .column(procurement_declaration::Column::TargetFen)
            .column(procurement_declaration::Column::Canteen)
            .filter(procurement_declaration::Column::Year.eq(year))
            .filter(procurement_declaration::Column::BuyerOrgId.in_subquery(located))
            .into_tuple::<(Uuid, i64, CanteenArrangement)>()
            .all(conn)
            .await?
            .into_iter()
            .map(|(buyer, target, canteen)| (buyer, (target, canteen)))
            .collect();
    let counted: Vec<Counted> = units
        .iter()
        .map(|(id, _, _)| Counted {
            unit: *id,
            arrangement: declared.get(id).map(|d| d.1),
        })
        .collect();
    let own = purchases::bought_by_unit_within(conn, cache, year, within).await?;
    let bought = purchases::counted_purchases(conn, year, within, &counted, &own).await?;
    Ok(units
        .into_iter()
        .map(|(id, name, region_code)| Standing {
            buyer: Some(id),
            name,
            target_fen: declared.get(&id).map(|d| d.0),
            bought_fen: bought.get(&id).copied().unwrap_or(0),
            region_code,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a day")
    }

    fn standing(code: &str, target: Option<i64>, bought: i64) -> Standing {
        Standing {
            buyer: None,
            name: code.to_owned(),
            region_code: code.to_owned(),
            target_fen: target,
            bought_fen: bought,
        }
    }

    #[test]
    fn the_pace_is_pro_rata_by_day_and_rounds_down() {
        assert_eq!(days_elapsed(2026, day(2026, 1, 1)), (1, 365));
        assert_eq!(days_elapsed(2024, day(2024, 12, 31)), (366, 366));
        assert_eq!(days_elapsed(2026, day(2025, 12, 31)), (0, 365));
        assert_eq!(days_elapsed(2026, day(2027, 1, 1)), (365, 365));
        // 1000.00 yuan on 1 July 2026 (day 182 of 365): 100000 × 182 / 365 = 49863.01…
        assert_eq!(pace(100_000, 2026, day(2026, 7, 1)), 49_863);
        assert_eq!(pace(100_000, 2026, day(2026, 12, 31)), 100_000);
        assert_eq!(pace(100_000, 2026, day(2025, 6, 1)), 0);
        assert_eq!(pace(i64::MAX, 2026, day(2026, 12, 31)), i64::MAX);
    }

    #[test]
    fn far_behind_means_more_than_the_margin_of_the_pace() {
        // Pace 1000: at a 20% margin, 800 is not behind by more than it, 799 is.
        assert!(!far_behind(800, 1000, 2000));
        assert!(far_behind(799, 1000, 2000));
        assert!(!far_behind(2000, 1000, 2000));
        assert!(!far_behind(0, 0, 2000), "nothing is behind a zero pace");
        assert!(far_behind(999, 1000, 0));
    }

    #[test]
    fn rankings_order_by_exact_share_then_amount_then_code() {
        let rows = vec![
            standing("130127", None, 900),
            standing("130126", Some(300), 100),   // 33.3%
            standing("130125", Some(3000), 1000), // 33.3%, more bought
            standing("130124", Some(1000), 334),  // 33.4%
            standing("130123", None, 900),
            standing("130122", Some(0), 5000), // a zero target is no target
            standing("130121", Some(300), 100), // ties 130126 exactly
        ];
        let order: Vec<String> = ranked(rows, 2026, day(2026, 7, 1))
            .into_iter()
            .map(|r| format!("{}:{}", r.rank, r.standing.region_code))
            .collect();
        assert_eq!(
            order,
            [
                "1:130124", "2:130125", "3:130121", "4:130126", "5:130122", "6:130123", "7:130127"
            ]
        );
    }

    #[test]
    fn ranked_rows_carry_pace_percent_and_whether_behind() {
        let rows = ranked(
            vec![standing("a", Some(36_500), 18_000), standing("b", None, 10)],
            2026,
            day(2026, 7, 1),
        );
        assert_eq!(rows[0].pace_fen, Some(18_200));
        assert_eq!(rows[0].percent_done, Some(49));
        assert!(rows[0].behind_pace);
        assert_eq!((rows[1].pace_fen, rows[1].percent_done), (None, None));
        assert!(!rows[1].behind_pace);
    }
}
