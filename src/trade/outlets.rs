//! Outlets (seed 000's channels off the platform): zones for poverty-alleviation products in
//! supermarkets (扶贫产品专门销售区域, 消费扶贫专区), counters (专柜), dedicated shops (专卖店) and
//! online halls (电商扶贫馆, 扶贫频道). A buyer organisation registers an outlet it operates; it
//! answers for the outlet's sales as the buyer side of the ledger. A county or city officer over
//! the outlet's region approves it (or rejects it with a reason) before any report is taken.
//!
//! Who sees an outlet: its operator's members, staff whose reading scope covers its region, and
//! any signed-in user once it is approved.

use chrono::{NaiveDate, Utc};
use entity::{
    api_name::ApiName,
    outlet::{self, OutletKind, OutletStatus},
    region::RegionLevel,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::Change,
    auth::{
        Caller, Viewer,
        scope::{self, Scope},
        visibility::Sight,
    },
    error::{AppError, AppResult, Checks, ErrorCode},
    ids::new_uuid,
    org::{buyers, membership::membership_of},
    region::{regions, subtree},
};

/// Levels an outlet may be placed at: a city (an online hall), or a county and below.
pub const OUTLET_LEVELS: &[RegionLevel] = &[
    RegionLevel::City,
    RegionLevel::County,
    RegionLevel::Township,
    RegionLevel::Village,
];

#[derive(Clone, Debug)]
pub struct NewOutlet {
    pub kind: OutletKind,
    pub name: String,
    pub region_code: String,
    pub opens_on: NaiveDate,
    pub closes_on: Option<NaiveDate>,
}

/// Checks that need no database.
pub fn check(input: &NewOutlet) -> AppResult<()> {
    let mut checks = Checks::default();
    checks.length(&input.name, "name", 2, 100).require(
        input.closes_on.is_none_or(|c| c >= input.opens_on),
        "closesOn",
        ErrorCode::Invalid,
        msg!("outlets.outlet_cannot_close_before_opens"),
    );
    checks.finish()
}

/// The buyer organisation the viewer acts for: only buyers operate outlets.
pub async fn operator_of(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Uuid> {
    let membership = membership_of(conn, viewer.user_id)
        .await?
        .ok_or(AppError::Forbidden(
            "forbidden.only_members_buyer_organisation_operate_outlets",
        ))?;
    buyers::load(conn, membership.organization_id)
        .await
        .map_err(|_| {
            AppError::Forbidden("forbidden.only_members_registered_buyer_organisation_operate")
        })?;
    Ok(membership.organization_id)
}

/// `registerOutlet`: a member of a buyer organisation registers an outlet it operates.
pub async fn register(caller: Caller<'_>, input: NewOutlet) -> AppResult<outlet::Model> {
    check(&input)?;
    let db = caller.db();
    let operator = operator_of(db, caller.viewer).await?;
    let region = regions::require(db, &input.region_code, "regionCode", OUTLET_LEVELS).await?;
    let txn = db.begin().await?;
    let saved = outlet::ActiveModel {
        id: Set(new_uuid()),
        operator_org_id: Set(operator),
        kind: Set(input.kind),
        name: Set(input.name.trim().to_owned()),
        region_code: Set(region.code.clone()),
        opens_on: Set(input.opens_on),
        closes_on: Set(input.closes_on),
        status: Set(OutletStatus::Pending),
        review_reason: Set(None),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        created_by: Set(caller.viewer.user_id),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    caller
        .audit(
            &txn,
            Change {
                action: "registerOutlet",
                target_type: "Outlet",
                target_id: Some(saved.id),
                summary: json!({
                    "kind": saved.kind.api_name(), "name": saved.name, "region": saved.region_code,
                    "opensOn": saved.opens_on, "closesOn": saved.closes_on,
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Whether an officer's acting scope lets them decide for a place: a grant at county level or
/// above (a county or city office) whose subtree holds it; nationwide staff everywhere.
pub fn may_decide(acting: &Scope, region_code: &str) -> bool {
    acting.covers_from_county(region_code)
}

/// Refuses unless the viewer is a county or city officer over the outlet's region.
pub async fn require_deciding_over(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    region_code: &str,
) -> AppResult<()> {
    let acting = scope::acting(conn, viewer).await?;
    if may_decide(&acting, region_code) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "forbidden.only_county_city_officer_over_outlet",
        ))
    }
}

/// A decision's reason, trimmed; a rejection must give one.
pub fn decision_reason(approve: bool, reason: Option<String>) -> AppResult<Option<String>> {
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    match &reason {
        None if !approve => Err(AppError::field(
            "reason",
            ErrorCode::Invalid,
            msg!("outlets.rejection_needs_reason"),
        )),
        Some(r) if r.chars().count() > 500 => Err(AppError::field(
            "reason",
            ErrorCode::Invalid,
            msg!("outlets.reason_has_most_500_characters"),
        )),
        _ => Ok(reason),
    }
}

/// Who sees which outlets, as a condition (the rule `node` applies too: `Sight::outlets`).
pub async fn visible(conn: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Condition> {
    Ok(Sight::of(conn, Some(viewer)).await?.outlets())
}

/// The outlet, if the viewer may see it (`NOT_FOUND` otherwise, like an unknown ID).
pub async fn load_visible(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<outlet::Model> {
    outlet::Entity::find_by_id(id)
        .filter(visible(conn, viewer).await?)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.outlet"))
}

/// `reviewOutlet`: approves or rejects (with a reason) a pending outlet.
pub async fn review(
    caller: Caller<'_>,
    id: Uuid,
    approve: bool,
    reason: Option<String>,
) -> AppResult<outlet::Model> {
    let db = caller.db();
    let found = load_visible(db, caller.viewer, id).await?;
    require_deciding_over(db, caller.viewer, &found.region_code).await?;
    let reason = decision_reason(approve, reason)?;
    let status = if approve {
        OutletStatus::Approved
    } else {
        OutletStatus::Rejected
    };
    let txn = db.begin().await?;
    let changed = outlet::Entity::update_many()
        .col_expr(outlet::Column::Status, Expr::value(status))
        .col_expr(outlet::Column::ReviewReason, Expr::value(reason.clone()))
        .col_expr(
            outlet::Column::ReviewedBy,
            Expr::value(caller.viewer.user_id),
        )
        .col_expr(outlet::Column::ReviewedAt, Expr::value(Utc::now()))
        .filter(outlet::Column::Id.eq(id))
        .filter(outlet::Column::Status.eq(OutletStatus::Pending))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("outlets.only_pending_outlet_reviewed"),
        ));
    }
    caller
        .audit(
            &txn,
            Change {
                action: "reviewOutlet",
                target_type: "Outlet",
                target_id: Some(id),
                summary: json!({ "decision": status.api_name(), "reason": reason }),
            },
        )
        .await?;
    txn.commit().await?;
    load_visible(db, caller.viewer, id).await
}

/// `closeOutlet`: the operator closes an outlet from a day on (no sales after it are taken).
pub async fn close(caller: Caller<'_>, id: Uuid, closes_on: NaiveDate) -> AppResult<outlet::Model> {
    let db = caller.db();
    let found = load_visible(db, caller.viewer, id).await?;
    if operator_of(db, caller.viewer).await? != found.operator_org_id {
        return Err(AppError::Forbidden(
            "forbidden.only_outlet_s_operator_closes",
        ));
    }
    if closes_on < found.opens_on {
        return Err(AppError::field(
            "closesOn",
            ErrorCode::Invalid,
            msg!("outlets.outlet_cannot_close_before_opens"),
        ));
    }
    if found.status == OutletStatus::Rejected {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("outlets.rejected_outlet_cannot_closed"),
        ));
    }
    let txn = db.begin().await?;
    let previous = found.closes_on;
    let mut row = found.into_active_model();
    row.closes_on = Set(Some(closes_on));
    let saved = row.update(&txn).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "closeOutlet",
                target_type: "Outlet",
                target_id: Some(id),
                summary: json!({ "closesOn": closes_on, "previous": previous }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(saved)
}

/// What `outlets(filter)` narrows by.
#[derive(Clone, Debug, Default)]
pub struct OutletFilter {
    pub region_code: Option<String>,
    pub status: Option<OutletStatus>,
    pub kind: Option<OutletKind>,
    pub operator_id: Option<Uuid>,
}

/// The visible outlets matching `filter`, as a condition.
pub async fn condition(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &OutletFilter,
) -> AppResult<Condition> {
    let mut all = Condition::all().add(visible(conn, viewer).await?);
    if let Some(code) = &filter.region_code {
        all = all.add(subtree(outlet::Column::RegionCode, code));
    }
    if let Some(status) = filter.status {
        all = all.add(outlet::Column::Status.eq(status));
    }
    if let Some(kind) = filter.kind {
        all = all.add(outlet::Column::Kind.eq(kind));
    }
    if let Some(operator) = filter.operator_id {
        all = all.add(outlet::Column::OperatorOrgId.eq(operator));
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn an_outlet_has_a_name_and_closes_after_it_opens() {
        let mut input = NewOutlet {
            kind: OutletKind::Zone,
            name: "北国超市消费扶贫专区".into(),
            region_code: "130126".into(),
            opens_on: day("2026-01-01"),
            closes_on: None,
        };
        assert!(check(&input).is_ok());
        input.closes_on = Some(day("2025-12-31"));
        input.name = " ".into();
        let Err(AppError::User(errors)) = check(&input) else {
            unreachable!("refused")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.clone()).collect();
        assert_eq!(
            fields,
            [
                Some(vec!["input".to_owned(), "name".to_owned()]),
                Some(vec!["input".to_owned(), "closesOn".to_owned()])
            ]
        );
    }

    #[test]
    fn county_and_city_officers_decide_within_their_subtree() {
        assert!(may_decide(&Scope::nationwide(), "440825"));
        assert!(decision_reason(false, Some("  ".into())).is_err());
        assert_eq!(
            decision_reason(true, Some(" ok ".into())).ok().flatten(),
            Some("ok".to_owned())
        );
    }
}
