//! Consented links between buying units, and the one rule that says whose purchases count toward
//! a unit's yearly target.
//!
//! The 832 rule (DOMAIN.md): purchases by a unit's own canteen, by the contractor running its
//! outsourced canteen, by units sharing the canteen it runs, and by its trade union and staff
//! count toward the unit. Each of these is a link naming two units. A link is declared by one
//! side (a year's `setProcurementTarget`, or a unit's `parentId`) and counts nothing until the
//! *other* side confirms it (its admins, an officer whose region covers both units, or a
//! platform admin); either side may revoke it. Without consent any unit could pull another's
//! purchases into its own figure (数字脱贫).

use chrono::Utc;
use entity::{
    buyer::{self, BuyerKind},
    membership::MemberRole,
    procurement_declaration::{self, CanteenArrangement},
    unit_link::{self, UnitLinkKind, UnitLinkStatus},
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::{membership::membership_in, membership::membership_of};
use crate::{
    audit::Change,
    auth::{Caller, Viewer, scope},
    error::{AppError, AppResult, Checks, ErrorCode},
    ids::new_uuid,
};

/// What the counting rule needs to know of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountingLink {
    pub kind: UnitLinkKind,
    /// The unit whose count the purchases join.
    pub unit: Uuid,
    /// The unit whose purchases move.
    pub counted: Uuid,
    /// `None` for standing links (canteen, union, staff below a unit).
    pub year: Option<i32>,
    pub status: UnitLinkStatus,
}

impl From<&unit_link::Model> for CountingLink {
    fn from(link: &unit_link::Model) -> Self {
        Self {
            kind: link.kind,
            unit: link.unit_org_id,
            counted: link.counted_org_id,
            year: link.year,
            status: link.status,
        }
    }
}

/// Whether a confirmed link of `kind` moves purchases toward a unit whose declaration for the
/// year says `arrangement`:
/// - a contractor only while the unit declares its canteen `OUTSOURCED`;
/// - a unit sharing the canteen only while the unit runs one (`OWN_CANTEEN` or `OUTSOURCED`);
/// - a canteen registered below the unit only while the unit declares `OWN_CANTEEN`;
/// - the union and staff always (with no declaration the unit has no target, but a figure);
/// - any other unit below it never (a subsidiary is its own budget unit).
pub fn moves_purchases(kind: UnitLinkKind, arrangement: Option<CanteenArrangement>) -> bool {
    use CanteenArrangement::{Outsourced, OwnCanteen};
    match kind {
        UnitLinkKind::Contractor => arrangement == Some(Outsourced),
        UnitLinkKind::SharedCanteen => matches!(arrangement, Some(OwnCanteen | Outsourced)),
        UnitLinkKind::Canteen => arrangement == Some(OwnCanteen),
        UnitLinkKind::Union | UnitLinkKind::Staff => true,
        UnitLinkKind::Subunit => false,
    }
}

/// **The counting rule**: the units whose purchases in `year` count toward `unit`, given the
/// unit's declared canteen arrangement that year and the links naming it. The unit itself comes
/// first, then every unit linked to it by a *confirmed* link that applies to the year and moves
/// purchases under that arrangement ([`moves_purchases`]); pending and revoked links count
/// nothing. Each unit appears once, however many links name it, so nothing is counted twice.
/// Links are not followed further (a shared-canteen unit's own union counts toward it, not on).
/// A confirmed link counts the whole year's purchases of the linked unit.
pub fn counted_units(
    unit: Uuid,
    year: i32,
    arrangement: Option<CanteenArrangement>,
    links: &[CountingLink],
) -> Vec<Uuid> {
    let mut others: Vec<Uuid> = links
        .iter()
        .filter(|l| {
            l.unit == unit
                && l.counted != unit
                && l.status == UnitLinkStatus::Confirmed
                && l.year.is_none_or(|y| y == year)
                && moves_purchases(l.kind, arrangement)
        })
        .map(|l| l.counted)
        .collect();
    others.sort();
    others.dedup();
    let mut counted = Vec::with_capacity(others.len() + 1);
    counted.push(unit);
    counted.extend(others);
    counted
}

/// [`counted_units`] over what the database holds for `buyer` and `year`.
pub async fn counted_buyers(
    conn: &impl ConnectionTrait,
    buyer: Uuid,
    year: i32,
) -> AppResult<Vec<Uuid>> {
    let arrangement = procurement_declaration::Entity::find()
        .filter(procurement_declaration::Column::BuyerOrgId.eq(buyer))
        .filter(procurement_declaration::Column::Year.eq(year))
        .one(conn)
        .await?
        .map(|d| d.canteen);
    let links: Vec<CountingLink> = unit_link::Entity::find()
        .filter(unit_link::Column::UnitOrgId.eq(buyer))
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
    Ok(counted_units(buyer, year, arrangement, &links))
}

/// The kinds of standing link a unit makes by naming its parent.
pub const PARENT_KINDS: &[UnitLinkKind] = &[
    UnitLinkKind::Canteen,
    UnitLinkKind::Union,
    UnitLinkKind::Staff,
    UnitLinkKind::Subunit,
];

/// The kinds of link a year's declaration makes.
pub const DECLARATION_KINDS: &[UnitLinkKind] =
    &[UnitLinkKind::Contractor, UnitLinkKind::SharedCanteen];

/// The kind of standing link a unit of `kind` makes by naming a parent.
pub fn parent_link_kind(kind: BuyerKind) -> UnitLinkKind {
    match kind {
        BuyerKind::Canteen => UnitLinkKind::Canteen,
        BuyerKind::SocialOrganization => UnitLinkKind::Union,
        BuyerKind::Individual => UnitLinkKind::Staff,
        _ => UnitLinkKind::Subunit,
    }
}

/// A link as a declaration wants it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wanted {
    pub kind: UnitLinkKind,
    pub unit: Uuid,
    pub counted: Uuid,
    pub year: Option<i32>,
}

/// Which of a link's sides the viewer may act for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Authority {
    unit: bool,
    counted: bool,
    /// A member of either side: may see the link.
    party: bool,
}

impl Authority {
    /// Whether the viewer may confirm a link of `kind`: for the side that did not declare it.
    fn confirms(self, kind: UnitLinkKind) -> bool {
        if kind.declared_by_unit() {
            self.counted
        } else {
            self.unit
        }
    }
}

/// The viewer's authority over two units: their admins each for their own unit; an officer
/// whose acting region covers both, and platform admins, for both.
async fn authority(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    unit: Uuid,
    counted: Uuid,
) -> AppResult<Authority> {
    if viewer.is_admin() {
        return Ok(Authority {
            unit: true,
            counted: true,
            party: true,
        });
    }
    let mut found = Authority::default();
    if let Some(member) = membership_of(conn, viewer.user_id).await?
        && (member.organization_id == unit || member.organization_id == counted)
    {
        found.party = true;
        let admin = member.role == MemberRole::Admin;
        found.unit = admin && member.organization_id == unit;
        found.counted = admin && member.organization_id == counted;
    }
    let acting = scope::acting(conn, viewer).await?;
    if !acting.is_empty() {
        let regions = buyer::Entity::find()
            .filter(buyer::Column::OrganizationId.is_in([unit, counted]))
            .all(conn)
            .await?;
        if regions.len() == 2 && regions.iter().all(|b| acting.covers(&b.region_code)) {
            return Ok(Authority {
                unit: true,
                counted: true,
                party: true,
            });
        }
    }
    Ok(found)
}

/// The links in force or awaiting consent that a declaration of `kind` by `declarer` replaces.
fn declared_by(declarer: Uuid, kinds: &[UnitLinkKind], year: Option<i32>) -> Condition {
    let mut any = Condition::any();
    for kind in kinds {
        let side = if kind.declared_by_unit() {
            unit_link::Column::UnitOrgId
        } else {
            unit_link::Column::CountedOrgId
        };
        let mut this = Condition::all()
            .add(unit_link::Column::Kind.eq(*kind))
            .add(side.eq(declarer));
        this = match year {
            Some(year) => this.add(unit_link::Column::Year.eq(year)),
            None => this.add(unit_link::Column::Year.is_null()),
        };
        any = any.add(this);
    }
    any
}

/// Revokes the declarer's active links other than the one wanted (kept once); answers whether
/// the wanted link was already there.
async fn revoke_unwanted(
    conn: &impl ConnectionTrait,
    caller: Caller<'_>,
    active: &[unit_link::Model],
    wanted: Option<Wanted>,
) -> AppResult<bool> {
    let mut kept = false;
    for link in active {
        let same = wanted.is_some_and(|w| {
            w.kind == link.kind && w.unit == link.unit_org_id && w.counted == link.counted_org_id
        });
        if same && !kept {
            kept = true;
            continue;
        }
        revoke_in(
            conn,
            caller,
            link,
            "replaced by a new declaration".to_owned(),
        )
        .await?;
    }
    Ok(kept)
}

/// A new pending link, proposed by `proposer`.
fn proposed(wanted: Wanted, proposer: Uuid) -> unit_link::ActiveModel {
    unit_link::ActiveModel {
        id: Set(new_uuid()),
        kind: Set(wanted.kind),
        unit_org_id: Set(wanted.unit),
        counted_org_id: Set(wanted.counted),
        year: Set(wanted.year),
        status: Set(UnitLinkStatus::Pending),
        proposed_by: Set(Some(proposer)),
        proposed_at: Set(Utc::now()),
        confirmed_by: Set(None),
        confirmed_at: Set(None),
        revoked_by: Set(None),
        revoked_at: Set(None),
        revoke_reason: Set(None),
    }
}

/// Makes `declarer`'s links of `kinds` (for `year`) match what it now declares: a link already
/// pending or confirmed as wanted is kept (consent is not asked twice), the others are revoked,
/// and a new wanted link is proposed, confirmed at once only when the viewer may confirm it
/// for the other side too. Runs inside the declaring transaction; every change is audited.
pub async fn reconcile(
    conn: &impl ConnectionTrait,
    caller: Caller<'_>,
    declarer: Uuid,
    kinds: &[UnitLinkKind],
    year: Option<i32>,
    wanted: Option<Wanted>,
) -> AppResult<()> {
    let active = unit_link::Entity::find()
        .filter(declared_by(declarer, kinds, year))
        .filter(
            unit_link::Column::Status.is_in([UnitLinkStatus::Pending, UnitLinkStatus::Confirmed]),
        )
        .all(conn)
        .await?;
    let kept = revoke_unwanted(conn, caller, &active, wanted).await?;
    let Some(wanted) = wanted.filter(|_| !kept) else {
        return Ok(());
    };
    let created = proposed(wanted, caller.viewer.user_id).insert(conn).await?;
    caller
        .audit(
            conn,
            Change {
                action: "proposeUnitLink",
                target_type: "UnitLink",
                target_id: Some(created.id),
                summary: summary(&created),
            },
        )
        .await?;
    let may = authority(
        conn,
        caller.viewer,
        created.unit_org_id,
        created.counted_org_id,
    )
    .await?;
    // An arrangement both sides' authority declares is agreed; one that would count a unit
    // twice waits, pending, for the conflicting link to end.
    if may.confirms(created.kind) && conflict(conn, &created).await?.is_none() {
        confirm_in(conn, caller, &created).await?;
    }
    Ok(())
}

fn summary(link: &unit_link::Model) -> serde_json::Value {
    json!({
        "kind": link.kind.to_value(), "unit": link.unit_org_id,
        "counted": link.counted_org_id, "year": link.year,
    })
}

/// Another confirmed link that already counts this link's unit toward a different unit in an
/// overlapping year: a unit's purchases count toward one other unit at most, or one purchase
/// would appear in two units' figures (a contractor serving several units would need each
/// order bound to the unit it is for). Call inside the confirming transaction.
async fn conflict(
    conn: &impl ConnectionTrait,
    link: &unit_link::Model,
) -> AppResult<Option<unit_link::Model>> {
    if link.kind == UnitLinkKind::Subunit {
        return Ok(None);
    }
    // Confirmations for one counted unit queue here (PostgreSQL), so two cannot both pass.
    buyer::Entity::find_by_id(link.counted_org_id)
        .lock_exclusive()
        .one(conn)
        .await?;
    let mut select = unit_link::Entity::find()
        .filter(unit_link::Column::CountedOrgId.eq(link.counted_org_id))
        .filter(unit_link::Column::UnitOrgId.ne(link.unit_org_id))
        .filter(unit_link::Column::Status.eq(UnitLinkStatus::Confirmed))
        .filter(unit_link::Column::Kind.ne(UnitLinkKind::Subunit));
    if let Some(year) = link.year {
        select = select.filter(
            Condition::any()
                .add(unit_link::Column::Year.is_null())
                .add(unit_link::Column::Year.eq(year)),
        );
    }
    Ok(select.one(conn).await?)
}

pub async fn load(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<unit_link::Model> {
    unit_link::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.unit_link"))
}

/// Loads a link for a viewer acting on it; a stranger to both sides learns nothing of it.
async fn load_for(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<(unit_link::Model, Authority)> {
    let link = load(conn, id).await?;
    let may = authority(conn, viewer, link.unit_org_id, link.counted_org_id).await?;
    if !may.party {
        return Err(AppError::NotFound("not_found.unit_link"));
    }
    Ok((link, may))
}

/// The other side confirms a pending link; from then on it counts.
pub async fn confirm(caller: Caller<'_>, id: Uuid) -> AppResult<unit_link::Model> {
    let db = caller.db();
    let (link, may) = load_for(db, caller.viewer, id).await?;
    if !may.confirms(link.kind) {
        return Err(AppError::Forbidden(
            "forbidden.other_unit_s_admins_officer_over",
        ));
    }
    if link.status != UnitLinkStatus::Pending {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!(
                "links.link_already",
                status = link.status.to_value().to_lowercase()
            ),
        ));
    }
    let txn = db.begin().await?;
    if conflict(&txn, &link).await?.is_some() {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("links.unit_s_purchases_already_count_toward"),
        ));
    }
    confirm_in(&txn, caller, &link).await?;
    txn.commit().await?;
    load(db, id).await
}

async fn confirm_in(
    conn: &impl ConnectionTrait,
    caller: Caller<'_>,
    link: &unit_link::Model,
) -> AppResult<()> {
    let changed = unit_link::Entity::update_many()
        .col_expr(
            unit_link::Column::Status,
            Expr::value(UnitLinkStatus::Confirmed),
        )
        .col_expr(
            unit_link::Column::ConfirmedBy,
            Expr::value(caller.viewer.user_id),
        )
        .col_expr(unit_link::Column::ConfirmedAt, Expr::value(Utc::now()))
        .filter(unit_link::Column::Id.eq(link.id))
        .filter(unit_link::Column::Status.eq(UnitLinkStatus::Pending))
        .exec(conn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("links.link_changed_meanwhile"),
        ));
    }
    caller
        .audit(
            conn,
            Change {
                action: "confirmUnitLink",
                target_type: "UnitLink",
                target_id: Some(link.id),
                summary: summary(link),
            },
        )
        .await
}

/// Either side ends a link (or refuses a pending one), with a reason; it stops counting at once.
pub async fn revoke(caller: Caller<'_>, id: Uuid, reason: &str) -> AppResult<unit_link::Model> {
    let mut checks = Checks::default();
    checks.length(reason, "reason", 2, 500);
    checks.finish()?;
    let db = caller.db();
    let (link, may) = load_for(db, caller.viewer, id).await?;
    if !may.unit && !may.counted {
        return Err(AppError::Forbidden(
            "forbidden.either_unit_s_admins_officer_over",
        ));
    }
    if link.status == UnitLinkStatus::Revoked {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("links.link_revoked_already"),
        ));
    }
    let txn = db.begin().await?;
    revoke_in(&txn, caller, &link, reason.trim().to_owned()).await?;
    // A unit disowned by its parent (or leaving it) is no longer shown below it.
    if link.kind.is_parent_link() {
        buyer::Entity::update_many()
            .col_expr(
                buyer::Column::ParentOrgId,
                Expr::value(Option::<Uuid>::None),
            )
            .filter(buyer::Column::OrganizationId.eq(link.counted_org_id))
            .filter(buyer::Column::ParentOrgId.eq(link.unit_org_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    load(db, id).await
}

async fn revoke_in(
    conn: &impl ConnectionTrait,
    caller: Caller<'_>,
    link: &unit_link::Model,
    reason: String,
) -> AppResult<()> {
    let changed = unit_link::Entity::update_many()
        .col_expr(
            unit_link::Column::Status,
            Expr::value(UnitLinkStatus::Revoked),
        )
        .col_expr(
            unit_link::Column::RevokedBy,
            Expr::value(caller.viewer.user_id),
        )
        .col_expr(unit_link::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(unit_link::Column::RevokeReason, Expr::value(reason.clone()))
        .filter(unit_link::Column::Id.eq(link.id))
        .filter(unit_link::Column::Status.eq(link.status))
        .exec(conn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(AppError::state(
            ErrorCode::InvalidState,
            msg!("links.link_changed_meanwhile"),
        ));
    }
    let mut summary = summary(link);
    summary["from"] = json!(link.status.to_value());
    summary["reason"] = json!(reason);
    caller
        .audit(
            conn,
            Change {
                action: "revokeUnitLink",
                target_type: "UnitLink",
                target_id: Some(link.id),
                summary,
            },
        )
        .await
}

/// Most links listed for one unit.
pub const MAX_LISTED: u64 = 200;

/// The links naming `buyer` on either side, newest first, for its members and the staff whose
/// reading region covers it (nothing for anyone else).
pub async fn of_buyer(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    buyer: &buyer::Model,
    status: Option<UnitLinkStatus>,
    year: Option<i32>,
) -> AppResult<Vec<unit_link::Model>> {
    let member = membership_in(conn, viewer, buyer.organization_id)
        .await?
        .is_some();
    if !member
        && !scope::reading(conn, viewer)
            .await?
            .covers(&buyer.region_code)
    {
        return Ok(Vec::new());
    }
    let mut select = unit_link::Entity::find().filter(
        Condition::any()
            .add(unit_link::Column::UnitOrgId.eq(buyer.organization_id))
            .add(unit_link::Column::CountedOrgId.eq(buyer.organization_id)),
    );
    if let Some(status) = status {
        select = select.filter(unit_link::Column::Status.eq(status));
    }
    if let Some(year) = year {
        select = select.filter(
            Condition::any()
                .add(unit_link::Column::Year.is_null())
                .add(unit_link::Column::Year.eq(year)),
        );
    }
    Ok(select
        .order_by_desc(unit_link::Column::ProposedAt)
        .order_by_desc(unit_link::Column::Id)
        .limit(MAX_LISTED)
        .all(conn)
        .await?)
}

/// The link a year's declaration made (the newest, whatever its status).
pub async fn of_declaration(
    conn: &impl ConnectionTrait,
    declaration: &procurement_declaration::Model,
) -> AppResult<Option<unit_link::Model>> {
    let kinds: &[UnitLinkKind] = match declaration.canteen {
        CanteenArrangement::Outsourced => &[UnitLinkKind::Contractor],
        CanteenArrangement::SharesCanteen => &[UnitLinkKind::SharedCanteen],
        _ => return Ok(None),
    };
    Ok(unit_link::Entity::find()
        .filter(declared_by(
            declaration.buyer_org_id,
            kinds,
            Some(declaration.year),
        ))
        .order_by_desc(unit_link::Column::ProposedAt)
        .order_by_desc(unit_link::Column::Id)
        .one(conn)
        .await?)
}

/// How deep supervision is followed: a department over a bureau over its canteen is three
/// levels; the bound keeps a long (or, through bad data, cyclic) chain from looping.
pub const SUPERVISION_DEPTH: usize = 8;

/// **The supervision rule** (主管预算单位): the units `org` supervises, given the links naming a
/// parent. A unit supervises every unit below it by a *confirmed* parent link (`parentId`:
/// canteen, union, staff, sub-unit), and on down the tree to [`SUPERVISION_DEPTH`] levels;
/// pending and revoked links grant nothing. Sorted, each once, never `org` itself. Supervision
/// reads; it never acts (moving an order stays with the order's own parties).
pub fn supervised_within(org: Uuid, links: &[CountingLink]) -> Vec<Uuid> {
    let mut found: Vec<Uuid> = Vec::new();
    let mut frontier = vec![org];
    for _ in 0..SUPERVISION_DEPTH {
        let below: Vec<Uuid> = links
            .iter()
            .filter(|l| {
                l.kind.is_parent_link()
                    && l.status == UnitLinkStatus::Confirmed
                    && frontier.contains(&l.unit)
                    && l.counted != org
                    && !found.contains(&l.counted)
            })
            .map(|l| l.counted)
            .collect();
        if below.is_empty() {
            break;
        }
        found.extend(below.iter().copied());
        found.sort();
        found.dedup();
        frontier = below;
    }
    found
}

/// [`supervised_within`] over what the database holds: one query per level of the tree.
pub async fn supervised_units(conn: &impl ConnectionTrait, org: Uuid) -> AppResult<Vec<Uuid>> {
    let mut links: Vec<CountingLink> = Vec::new();
    let mut frontier = vec![org];
    for _ in 0..SUPERVISION_DEPTH {
        let level: Vec<CountingLink> = unit_link::Entity::find()
            .filter(unit_link::Column::UnitOrgId.is_in(frontier.clone()))
            .filter(unit_link::Column::Kind.is_in(PARENT_KINDS.iter().copied()))
            .filter(unit_link::Column::Status.eq(UnitLinkStatus::Confirmed))
            .all(conn)
            .await?
            .iter()
            .map(CountingLink::from)
            .filter(|l| l.counted != org && !links.iter().any(|k| k.counted == l.counted))
            .collect();
        if level.is_empty() {
            break;
        }
        frontier = level.iter().map(|l| l.counted).collect();
        links.extend(level);
    }
    Ok(supervised_within(org, &links))
}

#[cfg(test)]
mod tests {
    use super::*;
    use CanteenArrangement::*;
    use UnitLinkKind::*;
    use UnitLinkStatus::*;

    const YEAR: i32 = 2026;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn link(kind: UnitLinkKind, counted: u128, status: UnitLinkStatus) -> CountingLink {
        let year = (!kind.is_parent_link()).then_some(YEAR);
        CountingLink {
            kind,
            unit: id(1),
            counted: id(counted),
            year,
            status,
        }
    }

    /// Every arrangement × every link kind × every status: whether unit 2 counts toward unit 1.
    #[test]
    fn every_arrangement_counts_only_confirmed_links_that_apply() {
        let arrangements = [
            None,
            Some(OwnCanteen),
            Some(Outsourced),
            Some(SharesCanteen),
            Some(NoCanteen),
        ];
        // (kind, the arrangements under which a confirmed link counts)
        let table: &[(UnitLinkKind, &[Option<CanteenArrangement>])] = &[
            (Canteen, &[Some(OwnCanteen)]),
            (Contractor, &[Some(Outsourced)]),
            (SharedCanteen, &[Some(OwnCanteen), Some(Outsourced)]),
            (Union, &arrangements),
            (Staff, &arrangements),
            (Subunit, &[]),
        ];
        for (kind, counts_under) in table {
            for arrangement in arrangements {
                for status in [Pending, Confirmed, Revoked] {
                    let got = counted_units(id(1), YEAR, arrangement, &[link(*kind, 2, status)]);
                    let expected = if status == Confirmed && counts_under.contains(&arrangement) {
                        vec![id(1), id(2)]
                    } else {
                        vec![id(1)]
                    };
                    assert_eq!(got, expected, "{kind:?} {status:?} under {arrangement:?}");
                }
            }
        }
    }

    #[test]
    fn the_204_percent_case_counts_nothing_until_confirmed() {
        // A new unit names an existing canteen as its contractor; the canteen never agreed.
        let pending = [link(Contractor, 2, Pending)];
        assert_eq!(
            counted_units(id(1), YEAR, Some(Outsourced), &pending),
            [id(1)]
        );
        let confirmed = [link(Contractor, 2, Confirmed)];
        assert_eq!(
            counted_units(id(1), YEAR, Some(Outsourced), &confirmed),
            [id(1), id(2)]
        );
    }

    #[test]
    fn an_own_canteen_below_the_unit_counts_toward_it() {
        let links = [link(Canteen, 2, Confirmed)];
        assert_eq!(
            counted_units(id(1), YEAR, Some(OwnCanteen), &links),
            [id(1), id(2)]
        );
    }

    #[test]
    fn a_unit_named_by_two_links_counts_once() {
        let links = [
            link(Canteen, 2, Confirmed),
            link(Union, 2, Confirmed),
            link(Union, 3, Confirmed),
            link(Staff, 3, Confirmed),
            link(Staff, 4, Pending),
        ];
        assert_eq!(
            counted_units(id(1), YEAR, Some(OwnCanteen), &links),
            [id(1), id(2), id(3)]
        );
    }

    #[test]
    fn links_of_other_years_and_other_units_do_not_count() {
        let mut other_year = link(Contractor, 2, Confirmed);
        other_year.year = Some(YEAR - 1);
        let mut other_unit = link(Union, 3, Confirmed);
        other_unit.unit = id(9);
        let mut to_itself = link(Union, 1, Confirmed);
        to_itself.counted = id(1);
        assert_eq!(
            counted_units(
                id(1),
                YEAR,
                Some(Outsourced),
                &[other_year, other_unit, to_itself]
            ),
            [id(1)]
        );
    }

    #[test]
    fn the_side_that_did_not_declare_confirms() {
        let unit_side = Authority {
            unit: true,
            counted: false,
            party: true,
        };
        let counted_side = Authority {
            unit: false,
            counted: true,
            party: true,
        };
        // The unit names its contractor: the contractor confirms.
        assert!(!unit_side.confirms(Contractor));
        assert!(counted_side.confirms(Contractor));
        // A unit names the canteen it shares, or its parent: that unit confirms.
        for kind in [SharedCanteen, Canteen, Union, Staff, Subunit] {
            assert!(unit_side.confirms(kind), "{kind:?}");
            assert!(!counted_side.confirms(kind), "{kind:?}");
        }
    }

    #[test]
    fn a_parent_link_takes_its_kind_from_the_unit_below() {
        assert_eq!(parent_link_kind(BuyerKind::Canteen), Canteen);
        assert_eq!(parent_link_kind(BuyerKind::SocialOrganization), Union);
        assert_eq!(parent_link_kind(BuyerKind::Individual), Staff);
        assert_eq!(parent_link_kind(BuyerKind::StateEnterprise), Subunit);
        assert_eq!(parent_link_kind(BuyerKind::School), Subunit);
    }

    fn parent(kind: UnitLinkKind, unit: u128, below: u128, status: UnitLinkStatus) -> CountingLink {
        CountingLink {
            kind,
            unit: id(unit),
            counted: id(below),
            year: None,
            status,
        }
    }

    #[test]
    fn a_unit_supervises_confirmed_units_below_it_down_the_tree() {
        let links = [
            parent(Subunit, 1, 2, Confirmed),
            parent(Canteen, 2, 3, Confirmed),
            parent(Staff, 3, 4, Confirmed),
            parent(Union, 1, 5, Pending),
            parent(Subunit, 1, 6, Revoked),
            parent(Subunit, 5, 7, Confirmed),
            parent(Subunit, 9, 1, Confirmed),
        ];
        assert_eq!(supervised_within(id(1), &links), [id(2), id(3), id(4)]);
        assert_eq!(supervised_within(id(2), &links), [id(3), id(4)]);
        assert_eq!(
            supervised_within(id(9), &links),
            [id(1), id(2), id(3), id(4)]
        );
        assert!(supervised_within(id(4), &links).is_empty());
    }

    #[test]
    fn declared_links_and_cycles_grant_no_supervision() {
        let contractor = CountingLink {
            kind: Contractor,
            unit: id(1),
            counted: id(2),
            year: Some(YEAR),
            status: Confirmed,
        };
        assert!(supervised_within(id(1), &[contractor]).is_empty());
        let cycle = [
            parent(Subunit, 1, 2, Confirmed),
            parent(Subunit, 2, 1, Confirmed),
        ];
        assert_eq!(supervised_within(id(1), &cycle), [id(2)]);
        let deep: Vec<CountingLink> = (1..30u128)
            .map(|n| parent(Subunit, n, n + 1, Confirmed))
            .collect();
        assert_eq!(supervised_within(id(1), &deep).len(), SUPERVISION_DEPTH);
    }
}
