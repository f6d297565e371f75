//! Task allocation in the API: the `TaskAllocation` and `TaskAllocationReport` types, the
//! `taskAllocations` query and `allocateTask` with its payload.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::task_allocation;

use super::allocations::{self, Recipient, RecipientFigures, TaskPlan, TaskReport};
use crate::{
    auth::{Role, RoleGuard, viewer},
    error::{Result, payload},
    graphql::{
        context::{caller, loaders, services},
        scalars::{DateTime, Money},
    },
    ids::{self, NodeKind},
    ledger::progress,
    loaders::{BuyerById, RegionByCode},
    org::buyers_api::Buyer,
    region::regions_api::Region,
};

/// A yearly task a region handed down (任务分解) to a region below it or to a buyer unit
/// located in it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TaskAllocation {
    #[graphql(owned)]
    pub id: ID,
    pub year: i32,
    pub amount: Money,
    pub allocated_at: DateTime,
    #[graphql(skip)]
    pub row: task_allocation::Model,
}

impl From<task_allocation::Model> for TaskAllocation {
    fn from(row: task_allocation::Model) -> Self {
        Self {
            id: NodeKind::TaskAllocation.id(row.id),
            year: row.year,
            amount: Money(row.amount_fen),
            allocated_at: DateTime(row.allocated_at),
            row,
        }
    }
}

#[ComplexObject]
impl TaskAllocation {
    /// The allocating region.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        Ok(loaders(ctx)?
            .load_one(RegionByCode(self.row.region_code.clone()))
            .await?
            .map(Region::from))
    }

    /// The recipient region (null when a unit received it).
    async fn to_region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let Some(code) = &self.row.to_region_code else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .load_one(RegionByCode(code.clone()))
            .await?
            .map(Region::from))
    }

    /// The recipient unit (null when a region received it).
    async fn to_buyer(&self, ctx: &Context<'_>) -> Result<Option<Buyer>> {
        let Some(id) = self.row.to_buyer_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .load_one(BuyerById(id))
            .await?
            .map(Buyer::from))
    }
}

/// One recipient's task against what it has done.
#[derive(SimpleObject)]
pub struct TaskProgress {
    pub allocation: TaskAllocation,
    /// What units located in the region bought (SALE + REFUND), or the unit and its confirmed
    /// subordinate units.
    pub bought: Money,
    /// What producers located in the region sold (null for a unit).
    pub sold: Option<Money>,
    /// Whole percent of the task bought.
    pub percent_done: Option<i32>,
}

impl From<RecipientFigures> for TaskProgress {
    fn from(figures: RecipientFigures) -> Self {
        Self {
            percent_done: progress::percent(
                Some(figures.allocation.amount_fen),
                figures.bought_fen,
            ),
            bought: Money(figures.bought_fen),
            sold: figures.sold_fen.map(Money),
            allocation: TaskAllocation::from(figures.allocation),
        }
    }
}

/// A region's year of tasks: what it holds from above, what it handed down, and each
/// recipient's progress.
#[derive(SimpleObject)]
pub struct TaskAllocationReport {
    pub region: Region,
    pub year: i32,
    /// What the region holds from above (null when nothing was allocated to it).
    pub held: Option<Money>,
    /// The sum it allocated down.
    pub allocated: Money,
    /// What units located in the region bought.
    pub bought: Money,
    /// What producers located in the region sold.
    pub sold: Money,
    /// Whole percent of what it holds that its units bought.
    pub percent_done: Option<i32>,
    pub recipients: Vec<TaskProgress>,
}

impl From<TaskReport> for TaskAllocationReport {
    fn from(report: TaskReport) -> Self {
        Self {
            percent_done: progress::percent(report.held_fen, report.bought_fen),
            region: Region::from(report.region),
            year: report.year,
            held: report.held_fen.map(Money),
            allocated: Money(report.allocated_fen),
            bought: Money(report.bought_fen),
            sold: Money(report.sold_fen),
            recipients: report
                .recipients
                .into_iter()
                .map(TaskProgress::from)
                .collect(),
        }
    }
}

#[derive(Default)]
pub struct TaskQuery;

#[Object]
impl TaskQuery {
    /// A region's tasks for a year and each recipient's progress (staff over the region).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn task_allocations(
        &self,
        ctx: &Context<'_>,
        region_code: String,
        year: i32,
    ) -> Result<TaskAllocationReport> {
        let services = services(ctx)?;
        let report = allocations::report(
            &services.db,
            &services.summaries,
            viewer(ctx)?,
            &region_code,
            year,
        )
        .await?;
        Ok(report.into())
    }
}

#[derive(InputObject)]
pub struct AllocateTaskInput {
    /// The allocating region (within the officer's scope).
    pub region_code: String,
    pub year: i32,
    /// A region below `regionCode`…
    pub to_region_code: Option<String>,
    /// …or a buyer unit located in it (a department, 主管预算单位); exactly one of the two.
    pub to_buyer_id: Option<ID>,
    /// Replaces any earlier amount for the same recipient and year.
    pub amount: Money,
}

crate::payload! {
    TaskAllocationPayload { allocation: Option<TaskAllocation> } from task_allocation::Model => |m| Some(TaskAllocation::from(m))
}

#[derive(Default)]
pub struct TaskMutation;

#[Object]
impl TaskMutation {
    /// An officer hands part of a region's yearly task down (任务分解).
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Admin])")]
    async fn allocate_task(
        &self,
        ctx: &Context<'_>,
        input: AllocateTaskInput,
    ) -> Result<TaskAllocationPayload> {
        let recipient = match (input.to_region_code, &input.to_buyer_id) {
            (Some(code), None) => Some(Recipient::Region(code)),
            (None, Some(id)) => Some(Recipient::Buyer(ids::expect(
                id,
                NodeKind::Buyer,
                "toBuyerId",
            )?)),
            _ => None,
        };
        let plan = TaskPlan {
            region_code: input.region_code,
            year: input.year,
            recipient,
            amount_fen: input.amount.fen(),
        };
        payload(allocations::allocate(caller(ctx)?, plan).await)
    }
}
