//! Rankings in the API: `targetRanking` and its `TargetRanking` rows.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use entity::{buyer::BuyerKind, region::RegionLevel};

use super::ranking::{self, RankBy, Ranked, Ranking};
use crate::{
    auth::{RoleGuard, viewer},
    error::{AppError, Result},
    graphql::{
        context::services,
        scalars::{Date, Money},
    },
    ids::NodeKind,
    region::regions_api::Region,
};

/// One ranked unit or region.
#[derive(SimpleObject)]
pub struct RankingRow {
    /// 1 is furthest ahead; ties are broken by amount bought, then code and ID.
    pub rank: i32,
    pub name: String,
    /// The region ranked, or the unit's place.
    pub region_code: String,
    /// The unit ranked (null for a region).
    pub buyer_id: Option<ID>,
    /// The declared target (a unit) or allocated task (a region); null when it has none.
    pub target: Option<Money>,
    pub bought: Money,
    /// Whole percent of the target bought.
    pub percent_done: Option<i32>,
    /// What the target asks to have been bought by the day: target × elapsed days / days in
    /// the year, rounded down to the fen.
    pub pace: Option<Money>,
    pub behind_pace: bool,
}

impl From<Ranked> for RankingRow {
    fn from(row: Ranked) -> Self {
        Self {
            rank: row.rank,
            name: row.standing.name,
            region_code: row.standing.region_code,
            buyer_id: row.standing.buyer.map(|id| NodeKind::Buyer.id(id)),
            target: row.standing.target_fen.map(Money),
            bought: Money(row.standing.bought_fen),
            percent_done: row.percent_done,
            pace: row.pace_fen.map(Money),
            behind_pace: row.behind_pace,
        }
    }
}

/// Units or regions ranked by share of their target bought, with the pace for a day.
#[derive(SimpleObject)]
pub struct TargetRanking {
    pub region: Region,
    pub year: i32,
    /// The day the pace is for.
    pub on: Date,
    /// The level ranked (null when units are).
    pub level: Option<RegionLevel>,
    /// The kind of unit ranked (null for regions or every kind).
    pub unit_kind: Option<BuyerKind>,
    /// How many units or regions were ranked (`rows` may show only the first of them).
    pub ranked: i32,
    pub rows: Vec<RankingRow>,
}

impl TargetRanking {
    fn new(ranking: Ranking, first: Option<usize>) -> Self {
        let (level, unit_kind) = match ranking.by {
            RankBy::Level(level) => (Some(level), None),
            RankBy::Units(kind) => (None, kind),
        };
        Self {
            region: Region::from(ranking.region),
            year: ranking.year,
            on: Date(ranking.on),
            level,
            unit_kind,
            ranked: i32::try_from(ranking.rows.len()).unwrap_or(i32::MAX),
            rows: ranking
                .rows
                .into_iter()
                .take(first.unwrap_or(usize::MAX))
                .map(RankingRow::from)
                .collect(),
        }
    }
}

#[derive(Default)]
pub struct RankingQuery;

#[Object]
impl RankingQuery {
    /// Ranks the regions of `level` inside `regionCode` by allocated task, or (without a level)
    /// the buyer units located there, of `unitKind` if given, by declared target; the pace is
    /// for `on` (default today). `first` shows only the top rows (all are ranked). Staff over
    /// the region. Nothing to rank: `NO_UNITS`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    #[allow(clippy::too_many_arguments)]
    async fn target_ranking(
        &self,
        ctx: &Context<'_>,
        region_code: String,
        year: i32,
        level: Option<RegionLevel>,
        unit_kind: Option<BuyerKind>,
        on: Option<Date>,
        first: Option<i32>,
    ) -> Result<TargetRanking> {
        let first = match first.map(usize::try_from) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                return Err(AppError::BadInput(msg!("ranking.first_cannot_negative")));
            }
        };
        let by = match (level, unit_kind) {
            (Some(_), Some(_)) => {
                return Err(AppError::BadInput(msg!(
                    "ranking.rank_either_regions_level_units_unitkind"
                )));
            }
            (Some(level), None) => RankBy::Level(level),
            (None, kind) => RankBy::Units(kind),
        };
        let on = on.map_or_else(|| Utc::now().date_naive(), |d| d.0);
        let services = services(ctx)?;
        let ranking = ranking::rank(
            &services.db,
            &services.summaries,
            viewer(ctx)?,
            &region_code,
            year,
            by,
            on,
        )
        .await?;
        Ok(TargetRanking::new(ranking, first))
    }
}
