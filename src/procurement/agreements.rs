//! Directed procurement agreement rules (定向采购协议, 农超对接协议): the buyer proposes a
//! product, price, volume, period and delivery rhythm; the producer accepts; either side may
//! terminate, with a reason. Orders under an agreement use its price and count toward its volume
//! (`draw`, `release`), and `delivered` sums what was accepted under it.

use chrono::{NaiveDate, Utc};
use entity::{
    agreement::{self, AgreementStatus},
    api_name::ApiName,
    order::{self, OrderStatus},
    order_line, product,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set,
    TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::Change,
    auth::{
        Caller, Viewer,
        visibility::{Sight, require_visible},
    },
    error::{AppError, AppResult, Checks, ErrorCode},
    ids::new_uuid,
    org::members::{membership_in, require_member},
};

#[derive(Clone, Debug)]
pub struct Proposal {
    pub product_id: Uuid,
    pub price_fen: i64,
    pub total_quantity: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub rhythm: String,
}

pub async fn load(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<agreement::Model> {
    agreement::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.agreement"))
}

/// An agreement its parties (and admins) may see; `NOT_FOUND` to anyone else, as for an
/// unknown ID.
async fn load_visible(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<agreement::Model> {
    require_visible(
        conn,
        viewer,
        agreement::Entity::find_by_id(id),
        Sight::agreements,
        "not_found.agreement",
    )
    .await
}

/// A buyer unit proposes an agreement for a listed product.
pub async fn propose(caller: Caller<'_>, proposal: Proposal) -> AppResult<agreement::Model> {
    check(&proposal, Utc::now().date_naive())?;
    let db = caller.db();
    let buyer = crate::org::buyers::buyer_of(db, caller.viewer).await?;
    let product = proposed_product(caller, proposal.product_id).await?;
    let txn = db.begin().await?;
    let created = agreement::ActiveModel {
        id: Set(new_uuid()),
        buyer_org_id: Set(buyer),
        producer_org_id: Set(product.producer_org_id),
        product_id: Set(product.id),
        price_fen: Set(proposal.price_fen),
        total_quantity: Set(proposal.total_quantity),
        ordered_quantity: Set(0),
        starts_on: Set(proposal.starts_on),
        ends_on: Set(proposal.ends_on),
        rhythm: Set(proposal.rhythm.trim().to_owned()),
        status: Set(AgreementStatus::Proposed),
        proposed_by: Set(caller.viewer.user_id),
        proposed_at: Set(Utc::now()),
        accepted_by: Set(None),
        accepted_at: Set(None),
        terminate_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "proposeAgreement",
                target_type: "Agreement",
                target_id: Some(created.id),
                summary: json!({ "product": product.name, "priceFen": created.price_fen, "total": created.total_quantity }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(created)
}

/// An agreement both parties have already consented to (a producer's quote the buyer
/// accepted): written active, in the caller's transaction. `proposed_by` is who offered the
/// terms, `accepted_by` who took them.
#[derive(Clone, Debug)]
pub struct Agreed {
    pub buyer_org_id: Uuid,
    pub producer_org_id: Uuid,
    pub proposed_by: Uuid,
    pub accepted_by: Uuid,
    pub terms: Proposal,
}

pub async fn create_agreed(
    conn: &impl ConnectionTrait,
    agreed: Agreed,
) -> AppResult<agreement::Model> {
    let now = Utc::now();
    let terms = agreed.terms;
    Ok(agreement::ActiveModel {
        id: Set(new_uuid()),
        buyer_org_id: Set(agreed.buyer_org_id),
        producer_org_id: Set(agreed.producer_org_id),
        product_id: Set(terms.product_id),
        price_fen: Set(terms.price_fen),
        total_quantity: Set(terms.total_quantity),
        ordered_quantity: Set(0),
        starts_on: Set(terms.starts_on),
        ends_on: Set(terms.ends_on),
        rhythm: Set(terms.rhythm),
        status: Set(AgreementStatus::Active),
        proposed_by: Set(agreed.proposed_by),
        proposed_at: Set(now),
        accepted_by: Set(Some(agreed.accepted_by)),
        accepted_at: Set(Some(now)),
        terminate_reason: Set(None),
    }
    .insert(conn)
    .await?)
}

/// A proposal's price and volume are positive, its period ordered and not over.
fn check(proposal: &Proposal, today: NaiveDate) -> AppResult<()> {
    let mut checks = Checks::default();
    checks
        .require(
            (1..=1_000_000_000).contains(&proposal.price_fen),
            "price",
            ErrorCode::Invalid,
            msg!("agreements.agreed_price_must_above_zero"),
        )
        .require(
            (1..=100_000_000).contains(&proposal.total_quantity),
            "totalQuantity",
            ErrorCode::Invalid,
            msg!("agreements.agree_positive_volume"),
        )
        .require(
            proposal.starts_on <= proposal.ends_on,
            "endsOn",
            ErrorCode::Invalid,
            msg!("agreements.period_ends_after_starts"),
        )
        .require(
            proposal.ends_on >= today,
            "endsOn",
            ErrorCode::Invalid,
            msg!("agreements.period_has_ended_already"),
        )
        .length(&proposal.rhythm, "rhythm", 1, 200);
    checks.finish()
}

/// The product proposed: visible to the caller and in the catalogue.
async fn proposed_product(caller: Caller<'_>, id: Uuid) -> AppResult<product::Model> {
    let product = require_visible(
        caller.db(),
        caller.viewer,
        product::Entity::find_by_id(id),
        Sight::products,
        "not_found.product",
    )
    .await?;
    if !product.listed {
        return Err(AppError::field(
            "productId",
            ErrorCode::NotInGoodStanding,
            msg!("agreements.product_not_catalogue"),
        ));
    }
    Ok(product)
}

/// The producer accepts a proposed agreement.
pub async fn accept(caller: Caller<'_>, id: Uuid) -> AppResult<agreement::Model> {
    let db = caller.db();
    let current = load_visible(db, caller.viewer, id).await?;
    require_member(db, caller.viewer, current.producer_org_id, false).await?;
    change_status(
        caller,
        &current,
        &[AgreementStatus::Proposed],
        AgreementStatus::Active,
        None,
    )
    .await
}

/// Either side ends an agreement, with a reason; what was ordered under it stands.
pub async fn terminate(caller: Caller<'_>, id: Uuid, reason: &str) -> AppResult<agreement::Model> {
    let mut checks = Checks::default();
    checks.length(reason, "reason", 2, 500);
    checks.finish()?;
    let db = caller.db();
    let current = load_visible(db, caller.viewer, id).await?;
    let party = membership_in(db, caller.viewer, current.buyer_org_id)
        .await?
        .is_some()
        || membership_in(db, caller.viewer, current.producer_org_id)
            .await?
            .is_some();
    if !party {
        return Err(AppError::Forbidden(
            "forbidden.only_agreement_s_parties_end",
        ));
    }
    let from = [AgreementStatus::Proposed, AgreementStatus::Active];
    change_status(
        caller,
        &current,
        &from,
        AgreementStatus::Terminated,
        Some(reason.trim().to_owned()),
    )
    .await
}

async fn change_status(
    caller: Caller<'_>,
    current: &agreement::Model,
    from: &[AgreementStatus],
    to: AgreementStatus,
    reason: Option<String>,
) -> AppResult<agreement::Model> {
    if !from.contains(&current.status) {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!(
                "agreements.agreement_cannot_become",
                status = current.status.api_name(),
                to = to.api_name()
            ),
        ));
    }
    let txn = caller.db().begin().await?;
    let mut update = agreement::Entity::update_many()
        .col_expr(agreement::Column::Status, Expr::value(to))
        .filter(agreement::Column::Id.eq(current.id))
        .filter(agreement::Column::Status.eq(current.status));
    if to == AgreementStatus::Active {
        update = update
            .col_expr(
                agreement::Column::AcceptedBy,
                Expr::value(caller.viewer.user_id),
            )
            .col_expr(agreement::Column::AcceptedAt, Expr::value(Utc::now()));
    }
    if let Some(reason) = &reason {
        update = update.col_expr(
            agreement::Column::TerminateReason,
            Expr::value(reason.clone()),
        );
    }
    if update.exec(&txn).await?.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("agreements.agreement_changed_meanwhile"),
        ));
    }
    caller.audit(&txn,
        Change {
            action: if to == AgreementStatus::Active { "acceptAgreement" } else { "terminateAgreement" },
            target_type: "Agreement",
            target_id: Some(current.id),
            summary: json!({ "from": current.status.api_name(), "to": to.api_name(), "reason": reason }),
        },
    )
    .await?;
    txn.commit().await?;
    load(caller.db(), current.id).await
}

/// Counts `quantity` toward an agreement the buyer ordered under, atomically: refused when it
/// would pass the agreed volume, or the agreement is not active today.
pub async fn draw(
    conn: &impl ConnectionTrait,
    agreement: &agreement::Model,
    buyer: Uuid,
    quantity: i64,
    today: NaiveDate,
) -> AppResult<()> {
    if agreement.buyer_org_id != buyer {
        return Err(AppError::field(
            "agreementId",
            ErrorCode::NotFound,
            msg!("agreements.no_agreement_yours_has_id"),
        ));
    }
    if agreement.status != AgreementStatus::Active
        || today < agreement.starts_on
        || today > agreement.ends_on
    {
        return Err(AppError::field(
            "agreementId",
            ErrorCode::InvalidState,
            msg!("agreements.agreement_not_force_today"),
        ));
    }
    let drawn = agreement::Entity::update_many()
        .col_expr(
            agreement::Column::OrderedQuantity,
            Expr::col(agreement::Column::OrderedQuantity).add(quantity),
        )
        .filter(agreement::Column::Id.eq(agreement.id))
        .filter(agreement::Column::Status.eq(AgreementStatus::Active))
        .filter(
            Expr::col(agreement::Column::OrderedQuantity)
                .add(quantity)
                .lte(Expr::col(agreement::Column::TotalQuantity)),
        )
        .exec(conn)
        .await?;
    if drawn.rows_affected == 0 {
        return Err(AppError::field(
            "agreementId",
            ErrorCode::AgreementExceeded,
            msg!(
                "agreements.only_remain_under_agreement",
                value0 = agreement.total_quantity - agreement.ordered_quantity
            ),
        ));
    }
    Ok(())
}

/// Gives back what a cancelled order had drawn.
pub async fn release(conn: &impl ConnectionTrait, agreement: Uuid, quantity: i64) -> AppResult<()> {
    agreement::Entity::update_many()
        .col_expr(
            agreement::Column::OrderedQuantity,
            Expr::col(agreement::Column::OrderedQuantity).sub(quantity),
        )
        .filter(agreement::Column::Id.eq(agreement))
        .exec(conn)
        .await?;
    Ok(())
}

/// Delivered under the agreement: accepted minus refunded, over its orders not cancelled.
pub async fn delivered(conn: &impl ConnectionTrait, agreement: Uuid) -> AppResult<i64> {
    let orders: Vec<Uuid> = order::Entity::find()
        .filter(order::Column::AgreementId.eq(agreement))
        .filter(order::Column::Status.ne(OrderStatus::Cancelled))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(orders))
        .all(conn)
        .await?;
    Ok(lines
        .iter()
        .map(|l| l.accepted_quantity.unwrap_or(0) - l.refunded_quantity)
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proposal_is_positive_and_its_period_not_over() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).expect("day");
        let days = |n| today + chrono::Duration::days(n);
        let proposal = |price_fen, total_quantity, starts_on, ends_on| Proposal {
            product_id: Uuid::now_v7(),
            price_fen,
            total_quantity,
            starts_on,
            ends_on,
            rhythm: "每周一".into(),
        };
        assert!(check(&proposal(100, 10, days(-5), today), today).is_ok());
        assert!(check(&proposal(0, 10, today, today), today).is_err());
        assert!(check(&proposal(100, 0, today, today), today).is_err());
        assert!(check(&proposal(100, 10, days(2), days(1)), today).is_err());
        assert!(check(&proposal(100, 10, days(-9), days(-1)), today).is_err());
    }
}
