//! How far buyers are toward their declared targets: one unit (`targetProgress`) and a
//! supervising department's group (`groupProgress`), and who may read them.

use entity::procurement_declaration;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    cache::SummaryCache,
    summary::{self, SummaryFilter},
};
use crate::{
    auth::{Viewer, scope},
    error::{AppError, AppResult},
    org::{buyers, links, membership::membership_of},
};

/// A unit's target for a year against what the ledger holds for the units counting toward it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub buyer: Uuid,
    pub year: i32,
    /// Fen; `None` with no declaration.
    pub target_fen: Option<i64>,
    pub purchased_fen: i64,
    /// The unit, then those counting toward it (`links::counted_units`).
    pub counted: Vec<Uuid>,
}

/// Fen still to buy (never negative); `None` with no target.
pub fn remaining(target_fen: Option<i64>, purchased_fen: i64) -> Option<i64> {
    target_fen.map(|t| t.saturating_sub(purchased_fen).max(0))
}

/// Whole percent of the target reached; `None` with no (or a zero) target.
pub fn percent(target_fen: Option<i64>, purchased_fen: i64) -> Option<i32> {
    target_fen
        .filter(|t| *t > 0)
        .map(|t| i32::try_from(i128::from(purchased_fen) * 100 / i128::from(t)).unwrap_or(i32::MAX))
}

/// A supervising department's year: its own progress, each unit it supervises, and the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupProgress {
    pub own: Progress,
    pub subordinates: Vec<Progress>,
    /// The sum of the declared targets; `None` when no unit of the group declared one.
    pub target_fen: Option<i64>,
    /// What the group's units (and those counting toward them) bought, each purchase once.
    pub purchased_fen: i64,
}

/// The sum of the targets declared (`None` when none was).
pub fn group_target(parts: &[&Progress]) -> Option<i64> {
    parts
        .iter()
        .filter_map(|p| p.target_fen)
        .fold(None, |sum: Option<i64>, t| {
            Some(sum.unwrap_or(0).saturating_add(t))
        })
}

/// Who reads a unit's progress: its members, members of the units counting toward it or
/// supervising it, and staff whose scope covers its region; others are refused.
pub async fn may_read(
    db: &DatabaseConnection,
    viewer: &Viewer,
    buyer: Uuid,
    region_code: &str,
    counted: &[Uuid],
) -> AppResult<()> {
    if let Some(member) = membership_of(db, viewer.user_id).await? {
        let org = member.organization_id;
        if org == buyer
            || counted.contains(&org)
            || links::supervised_units(db, org).await?.contains(&buyer)
        {
            return Ok(());
        }
    }
    if scope::reading(db, viewer).await?.covers(region_code) {
        return Ok(());
    }
    Err(AppError::Forbidden(
        "forbidden.buyer_s_targets_members_units_buying",
    ))
}

/// A unit's progress for `year`, read as `viewer` (see [`may_read`]).
pub async fn of_buyer(
    db: &DatabaseConnection,
    summaries: &SummaryCache,
    viewer: &Viewer,
    buyer: Uuid,
    year: i32,
) -> AppResult<Progress> {
    let (_, profile) = buyers::load(db, buyer).await?;
    let counted = links::counted_buyers(db, buyer, year).await?;
    may_read(db, viewer, buyer, &profile.region_code, &counted).await?;
    computed(db, summaries, buyer, year, counted).await
}

/// A supervising department's progress with its subordinates', read as `viewer`: members of
/// the department and staff whose scope covers it (the units below read their own).
pub async fn of_group(
    db: &DatabaseConnection,
    summaries: &SummaryCache,
    viewer: &Viewer,
    parent: Uuid,
    year: i32,
) -> AppResult<GroupProgress> {
    let (_, profile) = buyers::load(db, parent).await?;
    let counted = links::counted_buyers(db, parent, year).await?;
    may_read(db, viewer, parent, &profile.region_code, &[]).await?;
    let own = computed(db, summaries, parent, year, counted).await?;
    let mut subordinates = Vec::new();
    for unit in links::supervised_units(db, parent).await? {
        let counted = links::counted_buyers(db, unit, year).await?;
        subordinates.push(computed(db, summaries, unit, year, counted).await?);
    }
    let mut everyone: Vec<Uuid> = std::iter::once(&own)
        .chain(subordinates.iter())
        .flat_map(|p| p.counted.iter().copied())
        .collect();
    everyone.sort();
    everyone.dedup();
    let parts: Vec<&Progress> = std::iter::once(&own).chain(subordinates.iter()).collect();
    Ok(GroupProgress {
        target_fen: group_target(&parts),
        purchased_fen: purchased(db, summaries, everyone, year).await?,
        own,
        subordinates,
    })
}

async fn computed(
    db: &DatabaseConnection,
    summaries: &SummaryCache,
    buyer: Uuid,
    year: i32,
    counted: Vec<Uuid>,
) -> AppResult<Progress> {
    let target_fen = procurement_declaration::Entity::find()
        .filter(procurement_declaration::Column::BuyerOrgId.eq(buyer))
        .filter(procurement_declaration::Column::Year.eq(year))
        .one(db)
        .await?
        .map(|d| d.target_fen);
    Ok(Progress {
        buyer,
        year,
        target_fen,
        purchased_fen: purchased(db, summaries, counted.clone(), year).await?,
        counted,
    })
}

/// What the ledger holds for these buyers in `year`, in fen.
async fn purchased(
    db: &DatabaseConnection,
    summaries: &SummaryCache,
    buyers: Vec<Uuid>,
    year: i32,
) -> AppResult<i64> {
    let (from, to) = summary::year_months(year);
    let filter = SummaryFilter {
        from_month: Some(from),
        to_month: Some(to),
        buyer_org_ids: Some(buyers),
        purchases_only: true,
        ..SummaryFilter::default()
    };
    Ok(summary::summarize(db, summaries, &[], &filter, None)
        .await?
        .iter()
        .map(|g| g.amount_fen)
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(target: Option<i64>) -> Progress {
        Progress {
            buyer: Uuid::nil(),
            year: 2026,
            target_fen: target,
            purchased_fen: 0,
            counted: Vec::new(),
        }
    }

    #[test]
    fn percent_and_remaining_follow_the_target() {
        assert_eq!(percent(Some(10_000), 2_550), Some(25));
        assert_eq!(percent(Some(100), 250), Some(250));
        assert_eq!(percent(Some(0), 10), None);
        assert_eq!(percent(None, 10), None);
        assert_eq!(percent(Some(1), i64::MAX), Some(i32::MAX));
        assert_eq!(remaining(Some(100), 30), Some(70));
        assert_eq!(remaining(Some(100), 300), Some(0));
        assert_eq!(remaining(None, 300), None);
    }

    #[test]
    fn a_group_target_sums_only_declared_targets() {
        let (a, b, none) = (progress(Some(100)), progress(Some(250)), progress(None));
        assert_eq!(group_target(&[&a, &none, &b]), Some(350));
        assert_eq!(group_target(&[&none]), None);
        assert_eq!(group_target(&[]), None);
    }
}
