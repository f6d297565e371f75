//! Who may see which rows: ONE rule per `Node` type, written as a SQL condition, so a list,
//! `node`/`nodes` and a mutation that loads by ID all apply exactly the same rule. What a viewer
//! may not see does not exist for them: [`find`] answers `NOT_FOUND` for a foreign row exactly as
//! for an unknown ID, and `FORBIDDEN` is left for rows the viewer may see but not change.
//!
//! | type | visible to |
//! |---|---|
//! | Region, Pairing, PurchaseDrive | everyone |
//! | Producer | everyone when verified and in good standing; else its members and staff whose scope covers its region |
//! | Product | everyone when listed; else its producer's members and staff whose scope covers its region |
//! | Buyer | any signed-in viewer |
//! | Organization | whoever sees its producer or buyer profile, its members, staff whose scope covers its region |
//! | User | themself, members of the same organisation, staff whose scope covers their organisation's region |
//! | Certification | the producer's members, staff whose scope covers its county |
//! | QualityMarkCertificate | the producer's members, staff whose scope covers the product's place |
//! | File | whoever may read its subject's records (`files::subjects`): a producer's members and staff over its region; a certification's readers |
//! | Order | its two parties, and members of the units supervising its buyer (read only) |
//! | Agreement | its two parties |
//! | UnsoldAlert | buyers, the producer's members, staff whose scope covers its region |
//! | RedWarning | the unit's members, staff whose scope covers the region or the unit's place |
//! | Outlet | any signed-in viewer once approved; else its operator's members, staff whose scope covers its region |
//! | OutletReport | its outlet operator's members, staff whose scope covers the outlet's region |
//!
//! Platform admins see everything; staff with a nationwide grant see what staff see, everywhere.

use entity::{
    agreement, buyer, certification, membership, order, organization, outlet, outlet_report,
    producer::{self, CreditStatus, VerificationStatus},
    product, quality_mark_certificate, user,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Select,
    sea_query::{Expr, Query, SelectStatement},
};
use uuid::Uuid;

use super::{Role, Viewer, scope::Scope};
use crate::{
    error::{AppError, AppResult},
    region::subtree,
    reporting::reach::WarningReach,
    unsold::reach::AlertReach,
};

/// What a viewer's visibility depends on, loaded once per request (two small queries).
#[derive(Clone, Debug, Default)]
pub struct Sight {
    user: Option<Uuid>,
    admin: bool,
    buyer_role: bool,
    producer_role: bool,
    organization: Option<Uuid>,
    /// The units the viewer's organisation supervises (`org::links::supervised_units`).
    supervised: Vec<Uuid>,
    scope: Scope,
}

/// A condition no row meets.
fn nothing() -> Condition {
    Condition::all().add(Expr::cust("1 = 0"))
}

impl Sight {
    pub async fn of(conn: &impl ConnectionTrait, viewer: Option<&Viewer>) -> AppResult<Self> {
        let Some(viewer) = viewer else {
            return Ok(Self::default());
        };
        let organization = crate::org::membership::membership_of(conn, viewer.user_id)
            .await?
            .map(|m| m.organization_id);
        let supervised = match organization {
            Some(org) => crate::org::links::supervised_units(conn, org).await?,
            None => Vec::new(),
        };
        Ok(Self {
            user: Some(viewer.user_id),
            admin: viewer.is_admin(),
            buyer_role: viewer.has(Role::Buyer),
            producer_role: viewer.has(Role::Producer),
            organization,
            supervised,
            scope: super::scope::reading(conn, viewer).await?,
        })
    }

    pub fn everywhere(&self) -> bool {
        self.scope.is_nationwide()
    }

    /// The viewer's staff scope over a region column (false when they have none).
    fn in_scope(&self, column: impl ColumnTrait) -> Condition {
        let mut any = Condition::any();
        for code in self.scope.regions() {
            any = any.add(subtree(column, code));
        }
        if any.is_empty() { nothing() } else { any }
    }

    fn own(&self, column: impl ColumnTrait) -> Condition {
        match self.organization {
            Some(org) => Condition::all().add(column.eq(org)),
            None => nothing(),
        }
    }

    /// Open to anyone: regions, pairings, purchase drives.
    pub fn public(&self) -> Condition {
        Condition::all()
    }

    pub fn is_signed_in(&self) -> bool {
        self.user.is_some()
    }

    pub fn producers(&self) -> Condition {
        if self.everywhere() {
            return Condition::all();
        }
        Condition::any()
            .add(
                Condition::all()
                    .add(producer::Column::VerificationStatus.eq(VerificationStatus::Verified))
                    .add(producer::Column::CreditStatus.eq(CreditStatus::Good)),
            )
            .add(self.own(producer::Column::OrganizationId))
            .add(self.in_scope(producer::Column::RegionCode))
    }

    /// A producer's own records (its files): its members and staff whose scope covers its
    /// region, whatever its standing.
    pub fn producer_records(&self) -> Condition {
        if self.everywhere() {
            return Condition::all();
        }
        Condition::any()
            .add(self.own(producer::Column::OrganizationId))
            .add(self.in_scope(producer::Column::RegionCode))
    }

    pub fn buyers(&self) -> Condition {
        if self.user.is_some() {
            Condition::all()
        } else {
            nothing()
        }
    }

    pub fn products(&self) -> Condition {
        if self.everywhere() {
            return Condition::all();
        }
        Condition::any()
            .add(product::Column::Listed.eq(true))
            .add(self.own(product::Column::ProducerOrgId))
            .add(self.in_scope(product::Column::RegionCode))
    }

    pub fn organizations(&self) -> Condition {
        if self.everywhere() {
            return Condition::all();
        }
        let producers: SelectStatement = Query::select()
            .column(producer::Column::OrganizationId)
            .from(producer::Entity)
            .cond_where(self.producers())
            .to_owned();
        let buyers: SelectStatement = Query::select()
            .column(buyer::Column::OrganizationId)
            .from(buyer::Entity)
            .cond_where(self.buyers())
            .to_owned();
        Condition::any()
            .add(organization::Column::Id.in_subquery(producers))
            .add(organization::Column::Id.in_subquery(buyers))
            .add(self.own(organization::Column::Id))
            .add(self.in_scope(organization::Column::RegionCode))
    }

    pub fn users(&self) -> Condition {
        if self.everywhere() {
            return Condition::all();
        }
        let Some(me) = self.user else {
            return nothing();
        };
        let mut any = Condition::any().add(user::Column::Id.eq(me));
        if let Some(org) = self.organization {
            any = any.add(
                user::Column::Id.in_subquery(
                    Query::select()
                        .column(membership::Column::UserId)
                        .from(membership::Entity)
                        .and_where(Expr::col(membership::Column::OrganizationId).eq(org))
                        .to_owned(),
                ),
            );
        }
        if !self.scope.is_empty() {
            let in_scope = Query::select()
                .column(organization::Column::Id)
                .from(organization::Entity)
                .cond_where(self.in_scope(organization::Column::RegionCode))
                .to_owned();
            any = any.add(
                user::Column::Id.in_subquery(
                    Query::select()
                        .column(membership::Column::UserId)
                        .from(membership::Entity)
                        .and_where(
                            Expr::col(membership::Column::OrganizationId).in_subquery(in_scope),
                        )
                        .to_owned(),
                ),
            );
        }
        any
    }

    /// A quality mark's certificate: its producer's members and staff whose scope covers the
    /// product's place.
    pub fn quality_mark_certificates(&self) -> Condition {
        if self.everywhere() {
            return Condition::all();
        }
        Condition::any()
            .add(self.own(quality_mark_certificate::Column::ProducerOrgId))
            .add(self.in_scope(quality_mark_certificate::Column::RegionCode))
    }

    pub fn certifications(&self) -> Condition {
        if self.everywhere() {
            return Condition::all();
        }
        // Decided by counties: a scope below a county reads its county's decisions.
        let mut any = Condition::any();
        for code in self.scope.regions() {
            let county: String = code.chars().take(6).collect();
            any = any.add(subtree(certification::Column::CountyCode, &county));
        }
        any.add(self.own(certification::Column::ProducerOrgId))
    }

    /// Orders are the parties' business: staff read the ledger, not orders (admins excepted).
    /// A supervising department reads its subordinates' orders; moving one stays with the
    /// parties (`procurement::orders` decides the side from membership alone).
    pub fn orders(&self) -> Condition {
        if self.admin {
            return Condition::all();
        }
        let mut any = Condition::any()
            .add(self.own(order::Column::BuyerOrgId))
            .add(self.own(order::Column::ProducerOrgId));
        if !self.supervised.is_empty() {
            any = any.add(order::Column::BuyerOrgId.is_in(self.supervised.iter().copied()));
        }
        any
    }

    /// Orders followed up for payment (`overduePayments`): as `orders`, and staff whose scope
    /// covers either party's place.
    pub fn payment_follow_up(&self) -> Condition {
        if self.admin {
            return Condition::all();
        }
        let mut any = self.orders();
        if !self.scope.is_empty() {
            let in_scope = Query::select()
                .column(organization::Column::Id)
                .from(organization::Entity)
                .cond_where(self.in_scope(organization::Column::RegionCode))
                .to_owned();
            any = any
                .add(order::Column::BuyerOrgId.in_subquery(in_scope.clone()))
                .add(order::Column::ProducerOrgId.in_subquery(in_scope));
        }
        any
    }

    /// The warnings' reach (`AlertReach`, which subscriptions apply to events too); an error
    /// when the viewer may see none, which `unsoldAlerts` answers with `FORBIDDEN`.
    /// Agreements (not a `Node`): their two parties.
    pub fn agreements(&self) -> Condition {
        if self.admin {
            return Condition::all();
        }
        Condition::any()
            .add(self.own(agreement::Column::BuyerOrgId))
            .add(self.own(agreement::Column::ProducerOrgId))
    }

    pub fn unsold_alerts_or_refusal(&self) -> AppResult<Condition> {
        if self.user.is_none() {
            return Ok(nothing());
        }
        AlertReach::from_parts(
            &self.scope,
            self.buyer_role,
            self.producer_role,
            self.organization,
        )
        .condition()
    }

    pub fn unsold_alerts(&self) -> Condition {
        self.unsold_alerts_or_refusal()
            .unwrap_or_else(|_| nothing())
    }

    /// Red warnings' reach (`WarningReach`, which the subscription applies to events too); an
    /// error when the viewer may see none, which `redWarnings` answers with `FORBIDDEN`.
    pub fn red_warnings_or_refusal(&self) -> AppResult<Condition> {
        if self.user.is_none() {
            return Ok(nothing());
        }
        WarningReach::from_parts(&self.scope, self.organization).condition()
    }

    pub fn outlets(&self) -> Condition {
        if self.everywhere() {
            return Condition::all();
        }
        let mut any = Condition::any()
            .add(self.own(outlet::Column::OperatorOrgId))
            .add(self.in_scope(outlet::Column::RegionCode));
        if self.is_signed_in() {
            any = any.add(outlet::Column::Status.eq(outlet::OutletStatus::Approved));
        }
        any
    }

    /// Reports are their operator's and the staff's over the outlet's region, not the public's.
    pub fn outlet_reports(&self) -> Condition {
        if self.everywhere() {
            return Condition::all();
        }
        let outlets = Query::select()
            .column(outlet::Column::Id)
            .from(outlet::Entity)
            .cond_where(
                Condition::any()
                    .add(self.own(outlet::Column::OperatorOrgId))
                    .add(self.in_scope(outlet::Column::RegionCode)),
            )
            .to_owned();
        Condition::all().add(outlet_report::Column::OutletId.in_subquery(outlets))
    }

    pub fn red_warnings(&self) -> Condition {
        self.red_warnings_or_refusal().unwrap_or_else(|_| nothing())
    }
}

/// The one helper for every mutation that loads a part by ID before checking it is the
/// viewer's: `NOT_FOUND` unless the row exists and `rule` lets the viewer see it; only then may
/// the caller answer `FORBIDDEN` (seen, but not theirs to change).
pub async fn require_visible<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    select: Select<E>,
    rule: impl FnOnce(&Sight) -> Condition,
    what: &'static str,
) -> AppResult<E::Model> {
    let sight = Sight::of(conn, Some(viewer)).await?;
    find(conn, select, rule(&sight), what).await
}

/// Loads one row by its query, if the viewer may see it; `NOT_FOUND` for an unknown row and a
/// hidden one alike, so an ID's existence leaks to nobody who may not see it.
pub async fn find<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    select: Select<E>,
    visible: Condition,
    what: &'static str,
) -> AppResult<E::Model> {
    select
        .filter(visible)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound(what))
}

/// The same rule for a row already loaded: hidden rows answer like missing ones.
pub fn reveal<T>(
    found: Option<T>,
    visible: impl FnOnce(&T) -> bool,
    what: &'static str,
) -> AppResult<T> {
    match found {
        Some(row) if visible(&row) => Ok(row),
        _ => Err(AppError::NotFound(what)),
    }
}
