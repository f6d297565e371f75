//! Tasks allocated down (任务分解): an officer hands a region's yearly task down to the regions
//! below it or to buyer units (departments, 主管预算单位) located in it, and each level reads
//! its allocation against what its units bought and, origin-side, what its producers sold.
//!
//! **The allocation rule.** The sum a region allocates for a year never exceeds what it holds:
//! the sum allocated *to* it that year (from its parent, or from any region above it). A region
//! that holds nothing from above is the top of a task chain: only nationwide staff (admins)
//! allocate from it, without a ceiling; officers allocate only what was handed to their region.
//! Allocating again to the same recipient replaces the amount, and a region's task is never cut
//! below what that region has already allocated on down.

use std::collections::HashMap;

use chrono::{Datelike, Utc};
use entity::{region, task_allocation};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::purchases;
use crate::{
    audit::Change,
    auth::{Caller, Viewer, scope},
    error::{AppError, AppResult, Checks, ErrorCode},
    ids::new_uuid,
    ledger::cache::SummaryCache,
    org::{buyers, links},
    region::{regions, subtree},
    text::yuan,
};

/// Who receives a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A region in the allocating region's subtree, below it.
    Region(String),
    /// A buyer unit located in the allocating region's subtree.
    Buyer(Uuid),
}

#[derive(Clone, Debug)]
pub struct TaskPlan {
    pub region_code: String,
    pub year: i32,
    /// `None` when the input named both or neither.
    pub recipient: Option<Recipient>,
    pub amount_fen: i64,
}

/// Years a task, a ranking or a warning may name.
pub fn year_allowed(year: i32, this_year: i32) -> bool {
    (2019..=this_year + 1).contains(&year)
}

/// Checks that need no database.
pub fn check(plan: &TaskPlan, this_year: i32) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .require(
            plan.amount_fen > 0,
            "amount",
            ErrorCode::Invalid,
            msg!("allocations.task_positive_amount"),
        )
        .require(
            year_allowed(plan.year, this_year),
            "year",
            ErrorCode::Invalid,
            msg!(
                "allocations.allocate_year_from_2019",
                value0 = this_year + 1
            ),
        )
        .require(
            plan.recipient.is_some(),
            "toRegionCode",
            ErrorCode::Invalid,
            msg!("allocations.name_exactly_one_recipient_toregioncode_tobuyerid"),
        );
    checks.finish()
}

/// Sum of `amount_fen` over the allocations matching `filter`.
async fn sum(conn: &impl ConnectionTrait, filter: sea_orm::Condition) -> AppResult<i64> {
    let total: Option<i64> = task_allocation::Entity::find()
        .select_only()
        .expr(Expr::cust(
            "CAST(COALESCE(SUM(task_allocations.amount_fen), 0) AS BIGINT)",
        ))
        .filter(filter)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(total.unwrap_or(0))
}

fn received(year: i32, code: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(task_allocation::Column::Year.eq(year))
        .add(task_allocation::Column::ToRegionCode.eq(code))
}

fn given(year: i32, code: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(task_allocation::Column::Year.eq(year))
        .add(task_allocation::Column::RegionCode.eq(code))
}

/// What a region holds for a year: the sum allocated to it; `None` when nothing was.
pub async fn held(conn: &impl ConnectionTrait, year: i32, code: &str) -> AppResult<Option<i64>> {
    let any = task_allocation::Entity::find()
        .filter(received(year, code))
        .one(conn)
        .await?
        .is_some();
    Ok(if any {
        Some(sum(conn, received(year, code)).await?)
    } else {
        None
    })
}

/// What each region in `within`'s subtree holds for `year` (regions holding nothing absent).
pub async fn held_within(
    conn: &impl ConnectionTrait,
    year: i32,
    within: &str,
) -> AppResult<HashMap<String, i64>> {
    let rows: Vec<(Option<String>, i64)> = task_allocation::Entity::find()
        .select_only()
        .column(task_allocation::Column::ToRegionCode)
        .expr(Expr::cust(
            "CAST(COALESCE(SUM(task_allocations.amount_fen), 0) AS BIGINT)",
        ))
        .filter(task_allocation::Column::Year.eq(year))
        .filter(subtree(task_allocation::Column::ToRegionCode, within))
        .group_by(task_allocation::Column::ToRegionCode)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(code, amount)| Some((code?, amount)))
        .collect())
}

/// The recipient, which must exist and lie in `region`'s subtree (a region strictly below it).
async fn check_recipient(
    conn: &impl ConnectionTrait,
    region: &region::Model,
    recipient: &Recipient,
) -> AppResult<()> {
    match recipient {
        Recipient::Region(code) => {
            let below =
                regions::require(conn, code, "toRegionCode", &region::RegionLevel::ALL).await?;
            if !(below.code.starts_with(&region.code) && below.code.len() > region.code.len()) {
                return Err(AppError::field(
                    "toRegionCode",
                    ErrorCode::OutOfScope,
                    msg!(
                        "allocations.not_region_below",
                        name = below.name,
                        name2 = region.name
                    ),
                ));
            }
        }
        Recipient::Buyer(id) => {
            let (org, profile) = buyers::load(conn, *id).await.map_err(|_| {
                AppError::field(
                    "toBuyerId",
                    ErrorCode::NotFound,
                    msg!("allocations.no_buyer_unit_has_id"),
                )
            })?;
            if !profile.region_code.starts_with(&region.code) {
                return Err(AppError::field(
                    "toBuyerId",
                    ErrorCode::OutOfScope,
                    msg!(
                        "allocations.not_located",
                        name = org.name,
                        name2 = region.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Allocates (or re-allocates) a yearly task from a region the officer acts over.
pub async fn allocate(caller: Caller<'_>, plan: TaskPlan) -> AppResult<task_allocation::Model> {
    check(&plan, Utc::now().year())?;
    let Some(recipient) = plan.recipient.clone() else {
        return Err(AppError::internal(anyhow::anyhow!("checked above")));
    };
    let db = caller.db();
    let region = regions::require(
        db,
        &plan.region_code,
        "regionCode",
        &region::RegionLevel::ALL,
    )
    .await?;
    let scope = scope::require_acting_over(db, caller.viewer, &region.code).await?;
    check_recipient(db, &region, &recipient).await?;

    let txn = db.begin().await?;
    // Allocations from one region queue here (PostgreSQL), then on the recipient region, top
    // down: two cannot both fit under one ceiling.
    lock_region(&txn, &region.code).await?;
    if let Recipient::Region(code) = &recipient {
        lock_region(&txn, code).await?;
    }
    let existing = existing(&txn, &plan, &recipient).await?;
    let previous = existing.as_ref().map_or(0, |e| e.amount_fen);
    let holds = held(&txn, plan.year, &region.code).await?;
    let others = sum(&txn, given(plan.year, &region.code)).await? - previous;
    match holds {
        Some(holds) if others + plan.amount_fen > holds => {
            return Err(over_allocated(msg!(
                "allocations.holds_allocated_others_so_most_left",
                name = region.name,
                value1 = yuan(holds),
                year = plan.year,
                value3 = yuan(others),
                value4 = yuan((holds - others).max(0))
            )));
        }
        None if !scope.is_nationwide() => {
            return Err(over_allocated(msg!(
                "allocations.holds_no_task_from_above_only",
                name = region.name,
                year = plan.year
            )));
        }
        _ => {}
    }
    if let Recipient::Region(code) = &recipient {
        let passed_on = sum(&txn, given(plan.year, code)).await?;
        let holds_after =
            held(&txn, plan.year, code).await?.unwrap_or(0) - previous + plan.amount_fen;
        if passed_on > holds_after {
            return Err(over_allocated(msg!(
                "allocations.has_already_allocated_task_down_cannot",
                code = code,
                value1 = yuan(passed_on)
            )));
        }
    }
    let saved = save(&txn, caller.viewer, &plan, &recipient, existing).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "allocateTask",
                target_type: "TaskAllocation",
                target_id: Some(saved.id),
                summary: json!({
                    "region": region.code, "year": plan.year,
                    "toRegion": saved.to_region_code, "toBuyer": saved.to_buyer_id,
                    "amountFen": saved.amount_fen, "previousFen": previous,
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(saved)
}

fn over_allocated(message: String) -> AppError {
    AppError::field("amount", ErrorCode::OverAllocated, message)
}

async fn lock_region(txn: &DatabaseTransaction, code: &str) -> AppResult<()> {
    region::Entity::find_by_id(code.to_owned())
        .lock_exclusive()
        .one(txn)
        .await?;
    Ok(())
}

async fn existing(
    txn: &DatabaseTransaction,
    plan: &TaskPlan,
    recipient: &Recipient,
) -> AppResult<Option<task_allocation::Model>> {
    let select = task_allocation::Entity::find().filter(given(plan.year, &plan.region_code));
    let select = match recipient {
        Recipient::Region(code) => select.filter(task_allocation::Column::ToRegionCode.eq(code)),
        Recipient::Buyer(id) => select.filter(task_allocation::Column::ToBuyerId.eq(*id)),
    };
    Ok(select.one(txn).await?)
}

async fn save(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    plan: &TaskPlan,
    recipient: &Recipient,
    existing: Option<task_allocation::Model>,
) -> AppResult<task_allocation::Model> {
    let now = Utc::now();
    if let Some(existing) = existing {
        let mut row = existing.into_active_model();
        row.amount_fen = Set(plan.amount_fen);
        row.allocated_by = Set(viewer.user_id);
        row.allocated_at = Set(now);
        return Ok(row.update(txn).await?);
    }
    let (to_region_code, to_buyer_id) = match recipient {
        Recipient::Region(code) => (Some(code.clone()), None),
        Recipient::Buyer(id) => (None, Some(*id)),
    };
    Ok(task_allocation::ActiveModel {
        id: Set(new_uuid()),
        year: Set(plan.year),
        region_code: Set(plan.region_code.clone()),
        to_region_code: Set(to_region_code),
        to_buyer_id: Set(to_buyer_id),
        amount_fen: Set(plan.amount_fen),
        allocated_by: Set(viewer.user_id),
        allocated_at: Set(now),
    }
    .insert(txn)
    .await?)
}

/// One recipient's allocation against its figures.
#[derive(Clone, Debug)]
pub struct RecipientFigures {
    pub allocation: task_allocation::Model,
    /// Units located in the region (or the unit and its confirmed subordinate units) bought.
    pub bought_fen: i64,
    /// Producers located in the region sold (`None` for a unit).
    pub sold_fen: Option<i64>,
}

/// A region's year of tasks: what it holds, what it bought and sold, and each recipient's.
#[derive(Clone, Debug)]
pub struct TaskReport {
    pub region: region::Model,
    pub year: i32,
    pub held_fen: Option<i64>,
    pub allocated_fen: i64,
    pub bought_fen: i64,
    pub sold_fen: i64,
    pub recipients: Vec<RecipientFigures>,
}

/// `taskAllocations`: for staff whose reading scope covers the region.
pub async fn report(
    conn: &impl ConnectionTrait,
    cache: &SummaryCache,
    viewer: &Viewer,
    region_code: &str,
    year: i32,
) -> AppResult<TaskReport> {
    let region =
        regions::require(conn, region_code, "regionCode", &region::RegionLevel::ALL).await?;
    if !scope::reading(conn, viewer).await?.covers(&region.code) {
        return Err(AppError::Forbidden("forbidden.region_outside_your_scope"));
    }
    let mut allocations = task_allocation::Entity::find()
        .filter(given(year, &region.code))
        .all(conn)
        .await?;
    // Regions by code, then units by when they were first allocated to (NULLs sort differently
    // on the two engines, so the order is made here).
    allocations.sort_by(|a, b| {
        (a.to_region_code.is_none(), &a.to_region_code, a.id).cmp(&(
            b.to_region_code.is_none(),
            &b.to_region_code,
            b.id,
        ))
    });
    let bought_places = purchases::bought_by_place(conn, Some(cache), year, &region.code).await?;
    let sold_places = purchases::sold_by_place(conn, year, &region.code).await?;
    // A unit's figure is its own purchases and its confirmed subordinate units'.
    let mut groups: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for buyer in allocations.iter().filter_map(|a| a.to_buyer_id) {
        let mut group = links::supervised_units(conn, buyer).await?;
        group.push(buyer);
        groups.insert(buyer, group);
    }
    let mut members: Vec<Uuid> = groups.values().flatten().copied().collect();
    members.sort();
    members.dedup();
    let by_unit = purchases::bought_by_units(conn, year, &members).await?;
    let recipients = allocations
        .into_iter()
        .map(|allocation| {
            let (bought_fen, sold_fen) = match (&allocation.to_region_code, allocation.to_buyer_id)
            {
                (Some(code), _) => (
                    purchases::in_subtree(&bought_places, code),
                    Some(purchases::in_subtree(&sold_places, code)),
                ),
                (None, Some(buyer)) => (
                    groups
                        .get(&buyer)
                        .into_iter()
                        .flatten()
                        .map(|u| by_unit.get(u).copied().unwrap_or(0))
                        .sum(),
                    None,
                ),
                (None, None) => (0, None),
            };
            RecipientFigures {
                allocation,
                bought_fen,
                sold_fen,
            }
        })
        .collect::<Vec<_>>();
    Ok(TaskReport {
        held_fen: held(conn, year, &region.code).await?,
        allocated_fen: recipients.iter().map(|r| r.allocation.amount_fen).sum(),
        bought_fen: purchases::in_subtree(&bought_places, &region.code),
        sold_fen: purchases::in_subtree(&sold_places, &region.code),
        recipients,
        region,
        year,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(amount_fen: i64, year: i32, recipient: Option<Recipient>) -> TaskPlan {
        TaskPlan {
            region_code: "1301".into(),
            year,
            recipient,
            amount_fen,
        }
    }

    fn codes(result: AppResult<()>) -> Vec<(String, ErrorCode)> {
        match result {
            Err(AppError::User(errors)) => errors
                .into_iter()
                .map(|e| (e.field.map(|f| f.join(".")).unwrap_or_default(), e.code))
                .collect(),
            Err(other) => panic!("unexpected {other:?}"),
            Ok(()) => Vec::new(),
        }
    }

    #[test]
    fn a_task_is_positive_for_an_allowed_year_and_one_recipient() {
        let to = Some(Recipient::Region("130126".into()));
        assert!(codes(check(&plan(1, 2026, to.clone()), 2026)).is_empty());
        assert_eq!(
            codes(check(&plan(0, 2026, to.clone()), 2026)),
            [("input.amount".to_owned(), ErrorCode::Invalid)]
        );
        assert_eq!(
            codes(check(&plan(-5, 2018, None), 2026)),
            [
                ("input.amount".to_owned(), ErrorCode::Invalid),
                ("input.year".to_owned(), ErrorCode::Invalid),
                ("input.toRegionCode".to_owned(), ErrorCode::Invalid),
            ]
        );
        assert!(codes(check(&plan(1, 2027, to.clone()), 2026)).is_empty());
        assert_eq!(codes(check(&plan(1, 2028, to), 2026)).len(), 1);
    }
}
