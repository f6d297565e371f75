//! Flags for auditors (防止数字脱贫): rules that read orders, prices, unit links and the people
//! of organisations, and point at what looks like figures made up rather than goods bought. They
//! only read: nothing here writes, least of all the ledger. Each flag carries its evidence.
//!
//! The kinds, and what each rule means by its words:
//! - `SHARED_MEMBER`: a buyer and a producer that traded (an order not cancelled, placed in the
//!   window) share a person. A person is an account or a phone number: a user belongs to at most
//!   one organisation (`memberships` is keyed by user), so the same account on both sides cannot
//!   happen today and the rule still checks it; what does happen is the same phone number
//!   (digits only, `+86`/`0086` dropped) as a member's phone or the registered contact phone on
//!   both sides. Dated by the pair's last order in the window.
//! - `FAST_RECEIPT`: an order received within `fast_receipt_minutes` of being placed. Every
//!   receipt made through the state machine passed `SHIPPED`, so "no shipment step between"
//!   means no time for one: the shipment, if recorded, lies inside those minutes too (the
//!   evidence gives its time, or none when the history has no shipment). Dated by the receipt.
//! - `PRICE_ABOVE_MEDIAN`: an order line priced at `price_ratio_percent` or more of the median
//!   of comparable products *at the time the order was placed*. Comparable: the same category,
//!   unit and specification (as the catalogue's `priceFlag`: a 箱 of 2.5 kg is no peer of a 箱 of
//!   20 kg), offered by another producer (a producer's own listings cannot make its market),
//!   ever published (not drafts), each at its price of that moment from the price history; at
//!   least `price_min_comparable` of them. Dated by the order.
//! - `DEADLINE_BUNCHING`: more than `bunching_share_percent` of a unit's purchases of a
//!   half-year received in its last `deadline_days` days (the half-years end on 6-30 and 12-31,
//!   the reporting deadlines). Purchases are accepted goods at their frozen prices, dated by the
//!   receipt: the figures the ledger's sale entries hold, read from the orders they are written
//!   from. Dated by the half-year's last day.
//! - `LATE_LINK`: a contractor, shared-canteen or canteen link (`unit_links`; a declaration's
//!   contractor is one) proposed or confirmed in the last `deadline_days` days of a half-year,
//!   unless revoked by its end. Dated by the confirmation (from which it counts) when that was
//!   late, else by the proposal.
//!
//! Staff see the flags whose buyer or producer lies in their reading scope (officers and
//! auditors; nationwide grants and admins everywhere); anyone else is refused. Every query is
//! bounded by the date window and the scope before anything is read into memory.

use std::collections::{HashMap, HashSet};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::{
    buyer, closed_period,
    ledger_entry::{self, LedgerEntryKind},
    membership,
    order::{self, OrderStatus},
    order_event, order_line, price_change, producer,
    product::{self, ProductCategory, ProductStatus},
    unit_link::{self, UnitLinkKind, UnitLinkStatus},
    user,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QueryResult, Select,
    sea_query::{
        Alias, Expr, Func, IntoColumnRef, IntoIden, JoinType, Query, QueryStatementBuilder,
        SelectStatement, SimpleExpr,
    },
};
use uuid::Uuid;

use crate::{
    auth::{Caller, scope::Scope},
    config::FlagThresholds,
    error::{AppError, AppResult},
    region::{regions::is_code, subtree},
    text::yuan,
};

/// The longest window one query may cover.
pub const MAX_WINDOW_DAYS: i64 = 732;
/// IDs per `IN (…)` list.
const CHUNK: usize = 500;

/// What a flag points at.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[graphql(name = "AuditFlagKind")]
pub enum FlagKind {
    /// A buyer and a producer that trade share a person (account or phone).
    SharedMember,
    /// An order received minutes after it was placed.
    FastReceipt,
    /// An order line priced far above the comparable median of its day.
    PriceAboveMedian,
    /// Most of a unit's half-year purchases just before the half-year ends.
    DeadlineBunching,
    /// A contractor or canteen link made just before a half-year ends.
    LateLink,
    /// A refund recorded after the period of the sale it reverses was closed.
    RefundAfterClose,
}

impl FlagKind {
    pub const ALL: [FlagKind; 6] = [
        Self::SharedMember,
        Self::FastReceipt,
        Self::PriceAboveMedian,
        Self::DeadlineBunching,
        Self::LateLink,
        Self::RefundAfterClose,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::SharedMember => "SHARED_MEMBER",
            Self::FastReceipt => "FAST_RECEIPT",
            Self::PriceAboveMedian => "PRICE_ABOVE_MEDIAN",
            Self::DeadlineBunching => "DEADLINE_BUNCHING",
            Self::LateLink => "LATE_LINK",
            Self::RefundAfterClose => "REFUND_AFTER_CLOSE",
        }
    }

    fn of_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One person on one side of a `SHARED_MEMBER` pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The account, for a member; none for a registered contact.
    pub user: Option<Uuid>,
    /// The member's display name, or the contact's name.
    pub name: String,
    /// As registered.
    pub phone: Option<String>,
}

/// The same person on both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedPerson {
    /// The phone both sides hold (normalised); none when the same account is on both sides.
    pub phone: Option<String>,
    pub buyer_side: Person,
    pub producer_side: Person,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedMember {
    pub people: Vec<SharedPerson>,
    /// Orders between the two in the window (not cancelled), and their total.
    pub orders: i64,
    pub amount_fen: i64,
    pub first_order_at: DateTime<Utc>,
    pub last_order_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FastReceipt {
    pub placed_at: DateTime<Utc>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    /// Whole minutes from placing to receipt.
    pub minutes: i64,
    pub threshold_minutes: i64,
    pub amount_fen: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceAboveMedian {
    pub line: Uuid,
    pub product: Uuid,
    pub product_name: String,
    pub category: ProductCategory,
    pub unit: String,
    pub spec: String,
    pub price_fen: i64,
    pub median_fen: i64,
    /// Price over median, in percent (183 = 1.83×).
    pub ratio_percent: i64,
    pub threshold_percent: i64,
    pub comparable: usize,
    pub placed_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlineBunching {
    pub half_year_start: NaiveDate,
    pub deadline: NaiveDate,
    pub window_start: NaiveDate,
    pub total_fen: i64,
    pub late_fen: i64,
    /// `late_fen / total_fen` in percent, rounded down.
    pub share_percent: i64,
    pub threshold_percent: i64,
    pub orders: i64,
    pub late_orders: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LateLink {
    pub link: Uuid,
    pub link_kind: UnitLinkKind,
    pub status: UnitLinkStatus,
    pub year: Option<i32>,
    /// The unit whose count the purchases join, and the one whose purchases move.
    pub unit: Uuid,
    pub counted: Uuid,
    pub proposed_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub deadline: NaiveDate,
    /// Days from the late step to the deadline (0: on the day).
    pub days_before: i64,
    /// Whether the late step was the confirmation (else the proposal).
    pub by_confirmation: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundAfterClose {
    /// The refund's ledger entry and the sale it reverses.
    pub refund: Uuid,
    pub refund_seq: i64,
    pub refund_on: NaiveDate,
    pub amount_fen: i64,
    pub sale_on: NaiveDate,
    /// The closed period the sale belongs to, and its tip: the refund came after it.
    pub closed_period: Uuid,
    pub region_code: String,
    pub period: String,
    pub tip_seq: i64,
    pub closed_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    SharedMember(SharedMember),
    FastReceipt(FastReceipt),
    PriceAboveMedian(PriceAboveMedian),
    DeadlineBunching(DeadlineBunching),
    LateLink(LateLink),
    RefundAfterClose(RefundAfterClose),
}

/// A flag: what, about whom, when, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub kind: FlagKind,
    pub on: NaiveDate,
    pub buyer: Option<Uuid>,
    pub producer: Option<Uuid>,
    pub order: Option<Uuid>,
    pub evidence: Evidence,
    pub summary: String,
    /// Unique among flags of its kind and day: the last sort key.
    pub key: String,
}

/// What the caller asks for; `None` is "any".
#[derive(Clone, Debug, Default)]
pub struct FlagFilter {
    pub region_code: Option<String>,
    pub kinds: Option<Vec<FlagKind>>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub buyer: Option<Uuid>,
    pub producer: Option<Uuid>,
}

/// The checked filter: a closed window of days and the kinds to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kinds: Vec<FlagKind>,
}

/// The last day of the half-year holding `day`.
pub fn half_year_end(day: NaiveDate) -> NaiveDate {
    let (month, last) = if day.month() <= 6 { (6, 30) } else { (12, 31) };
    NaiveDate::from_ymd_opt(day.year(), month, last).unwrap_or(day)
}

/// The first day of the half-year ending on `end`.
pub fn half_year_start(end: NaiveDate) -> NaiveDate {
    let month = if end.month() <= 6 { 1 } else { 7 };
    NaiveDate::from_ymd_opt(end.year(), month, 1).unwrap_or(end)
}

/// The half-year ends (reporting deadlines) in `from..=to`, in order.
pub fn deadlines(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut end = half_year_end(from);
    while end <= to {
        out.push(end);
        match end.succ_opt() {
            Some(next) => end = half_year_end(next),
            None => break,
        }
    }
    out
}

/// The first day of the last `days` days before `deadline` (the deadline included).
pub fn window_start(deadline: NaiveDate, days: i64) -> NaiveDate {
    deadline - Duration::days(std::cmp::max(days, 1) - 1)
}

/// The deadline `day` falls just before (within `days`, the deadline included), if any.
pub fn deadline_just_after(day: NaiveDate, days: i64) -> Option<NaiveDate> {
    let deadline = half_year_end(day);
    (day >= window_start(deadline, days)).then_some(deadline)
}

/// When a link was made late: the day its confirmation (from which it counts) or else its
/// proposal fell in the last `days` days of a half-year, inside `from..=to`; with that deadline
/// and whether it was the confirmation.
pub fn late_link_day(
    proposed: NaiveDate,
    confirmed: Option<NaiveDate>,
    from: NaiveDate,
    to: NaiveDate,
    days: i64,
) -> Option<(NaiveDate, NaiveDate, bool)> {
    let candidates = confirmed
        .map(|day| (day, true))
        .into_iter()
        .chain([(proposed, false)]);
    for (day, by_confirmation) in candidates {
        if day < from || day > to {
            continue;
        }
        if let Some(deadline) = deadline_just_after(day, days) {
            return Some((day, deadline, by_confirmation));
        }
    }
    None
}

/// Checks the filter: a real window of at most [`MAX_WINDOW_DAYS`] (by default from a year
/// before `today` to the end of its half-year, so the half-year under way is included), a
/// region code, kinds (all when none are named).
pub fn window(filter: &FlagFilter, today: NaiveDate) -> AppResult<Window> {
    let to = filter.to.unwrap_or_else(|| half_year_end(today));
    let from = filter.from.unwrap_or_else(|| to - Duration::days(365));
    if from > to {
        return Err(AppError::BadInput(msg!("flags.from_after")));
    }
    if (to - from).num_days() >= MAX_WINDOW_DAYS {
        return Err(AppError::BadInput(msg!(
            "flags.window_covers_most_days",
            max_window_days = MAX_WINDOW_DAYS
        )));
    }
    if let Some(code) = &filter.region_code
        && !is_code(code)
    {
        return Err(AppError::BadInput(msg!(
            "flags.regioncode_not_division_code"
        )));
    }
    let kinds = match &filter.kinds {
        Some(kinds) if !kinds.is_empty() => {
            let mut kinds = kinds.clone();
            kinds.sort();
            kinds.dedup();
            kinds
        }
        _ => FlagKind::ALL.to_vec(),
    };
    Ok(Window { from, to, kinds })
}

/// A phone number as digits, without China's country code; `None` when too short to name
/// anyone.
pub fn normalize_phone(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = if let Some(rest) = digits.strip_prefix("0086") {
        rest.to_owned()
    } else if digits.len() == 13 && digits.starts_with("86") {
        digits[2..].to_owned()
    } else {
        digits
    };
    (digits.len() >= 5).then_some(digits)
}

/// The people both sides share: the same account, or the same phone.
pub fn shared_people(buyer_side: &[Person], producer_side: &[Person]) -> Vec<SharedPerson> {
    let mut shared = Vec::new();
    for b in buyer_side {
        for p in producer_side {
            if b.user.is_some() && b.user == p.user {
                shared.push(SharedPerson {
                    phone: None,
                    buyer_side: b.clone(),
                    producer_side: p.clone(),
                });
                continue;
            }
            let phone_b = b.phone.as_deref().and_then(normalize_phone);
            let phone_p = p.phone.as_deref().and_then(normalize_phone);
            if let (Some(x), Some(y)) = (phone_b, phone_p)
                && x == y
            {
                shared.push(SharedPerson {
                    phone: Some(x),
                    buyer_side: b.clone(),
                    producer_side: p.clone(),
                });
            }
        }
    }
    shared
}

/// Whole minutes from placing to receipt, when within `threshold` minutes.
pub fn fast_receipt(
    placed_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
    threshold_minutes: i64,
) -> Option<i64> {
    let seconds = (received_at - placed_at).num_seconds();
    (seconds >= 0 && seconds <= threshold_minutes * 60).then_some(seconds / 60)
}

/// One comparable product's prices, oldest first.
#[derive(Clone, Debug)]
pub struct PriceHistory {
    pub product: Uuid,
    pub producer: Uuid,
    pub prices: Vec<(DateTime<Utc>, i64)>,
}

impl PriceHistory {
    /// The price in force at `at`, if the product had one yet.
    pub fn price_at(&self, at: DateTime<Utc>) -> Option<i64> {
        let n = self.prices.partition_point(|(t, _)| *t <= at);
        n.checked_sub(1).map(|i| self.prices[i].1)
    }
}

/// The median price at `at` of the products of producers other than `producer`, and how many
/// had a price then.
pub fn median_at(
    group: &[PriceHistory],
    producer: Uuid,
    at: DateTime<Utc>,
) -> (Option<i64>, usize) {
    let mut prices: Vec<i64> = group
        .iter()
        .filter(|h| h.producer != producer)
        .filter_map(|h| h.price_at(at))
        .collect();
    let n = prices.len();
    (crate::catalogue::products::median(&mut prices), n)
}

/// `price / median` in percent, when at or above `threshold_percent`.
pub fn price_ratio(price_fen: i64, median_fen: i64, threshold_percent: i64) -> Option<i64> {
    if median_fen <= 0 {
        return None;
    }
    let ratio = i128::from(price_fen) * 100 / i128::from(median_fen);
    (i128::from(price_fen) * 100 >= i128::from(median_fen) * i128::from(threshold_percent))
        .then(|| i64::try_from(ratio).unwrap_or(i64::MAX))
}

/// The late share in percent (rounded down), when strictly above `threshold_percent`.
pub fn bunched(total_fen: i64, late_fen: i64, threshold_percent: i64) -> Option<i64> {
    if total_fen <= 0 {
        return None;
    }
    let (total, late) = (i128::from(total_fen), i128::from(late_fen));
    (late * 100 > total * i128::from(threshold_percent))
        .then(|| i64::try_from(late * 100 / total).unwrap_or(i64::MAX))
}

/// The order flags are listed in: newest day first, then kind, then key.
fn sort_key(flag: &Flag) -> (std::cmp::Reverse<NaiveDate>, FlagKind, &str) {
    (std::cmp::Reverse(flag.on), flag.kind, flag.key.as_str())
}

pub fn sort(flags: &mut [Flag]) {
    flags.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
}

/// A flag's cursor: its sort values.
pub fn cursor(flag: &Flag) -> String {
    let values = [
        flag.on.format("%Y-%m-%d").to_string(),
        flag.kind.name().to_owned(),
        flag.key.clone(),
    ];
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&values).unwrap_or_default())
}

fn decode_cursor(cursor: &str) -> AppResult<(NaiveDate, FlagKind, String)> {
    let bad = || AppError::BadInput(msg!("flags.cursor_not_one_connection_issued"));
    let json = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let [on, kind, key]: [String; 3] = serde_json::from_slice(&json).map_err(|_| bad())?;
    let on = NaiveDate::parse_from_str(&on, "%Y-%m-%d").map_err(|_| bad())?;
    let kind = FlagKind::of_name(&kind).ok_or_else(bad)?;
    if key.len() > 200 || crate::text::problem(&key).is_some() {
        return Err(bad());
    }
    Ok((on, kind, key))
}

/// Which page of the sorted flags: `first` after a cursor, or `last` before one.
#[derive(Clone, Debug, Default)]
pub struct PageRequest {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// A page of flags, and whether more lie on either side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagPage {
    pub flags: Vec<Flag>,
    pub has_previous: bool,
    pub has_next: bool,
}

/// One page of sorted flags, as Relay pages a keyset: the cursor carries the sort values.
pub fn page(flags: &[Flag], request: &PageRequest) -> AppResult<FlagPage> {
    use crate::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
    if request.first.is_some() && request.last.is_some() {
        return Err(AppError::BadInput(msg!("flags.pass_first_last_not_both")));
    }
    let size = |n: Option<i32>, name: &str| match n.map(usize::try_from) {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(Ok(n)) if n <= MAX_PAGE_SIZE => Ok(n),
        Some(_) => Err(AppError::BadInput(msg!(
            "flags.must_between_0",
            name = name,
            max_page_size = MAX_PAGE_SIZE
        ))),
    };
    let position = |cursor: &str, inclusive: bool| -> AppResult<usize> {
        let (on, kind, key) = decode_cursor(cursor)?;
        let mark = (std::cmp::Reverse(on), kind, key.as_str());
        Ok(flags.partition_point(|f| {
            if inclusive {
                sort_key(f) <= mark
            } else {
                sort_key(f) < mark
            }
        }))
    };
    if request.last.is_some() || request.before.is_some() {
        let n = size(request.last, "last")?;
        let end = match &request.before {
            Some(cursor) => position(cursor, false)?,
            None => flags.len(),
        };
        let start = end.saturating_sub(n);
        return Ok(FlagPage {
            flags: flags[start..end].to_vec(),
            has_previous: start > 0,
            has_next: request.before.is_some(),
        });
    }
    let n = size(request.first, "first")?;
    let start = match &request.after {
        Some(cursor) => position(cursor, true)?,
        None => 0,
    };
    let rest = &flags[start..];
    Ok(FlagPage {
        flags: rest.iter().take(n).cloned().collect(),
        has_previous: request.after.is_some(),
        has_next: rest.len() > n,
    })
}

/// Every flag the caller may see that the filter asks for, sorted (newest first).
pub async fn flags(caller: Caller<'_>, filter: &FlagFilter) -> AppResult<Vec<Flag>> {
    let conn = caller.db();
    let scope = crate::auth::scope::reading(conn, caller.viewer).await?;
    if scope.is_empty() {
        return Err(AppError::Forbidden(
            "forbidden.flags_auditors_officers_their_regions",
        ));
    }
    let window = window(filter, Utc::now().date_naive())?;
    let rules = &caller.services.settings.audit_flags;
    let reader = Reader {
        conn,
        scope: &scope,
        filter,
        window: &window,
        rules,
    };
    let mut out = Vec::new();
    for kind in &window.kinds {
        match kind {
            FlagKind::SharedMember => out.extend(reader.shared_members().await?),
            FlagKind::FastReceipt => out.extend(reader.fast_receipts().await?),
            FlagKind::PriceAboveMedian => out.extend(reader.prices_above_median().await?),
            FlagKind::DeadlineBunching => out.extend(reader.deadline_bunching().await?),
            FlagKind::LateLink => out.extend(reader.late_links().await?),
            FlagKind::RefundAfterClose => out.extend(reader.refunds_after_close().await?),
        }
    }
    sort(&mut out);
    Ok(out)
}

/// The start of `day` (UTC).
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The start of the day after `day`.
fn end_of(day: NaiveDate) -> DateTime<Utc> {
    start_of(day) + Duration::days(1)
}

fn col(table: impl IntoIden, column: impl IntoIden) -> SimpleExpr {
    Expr::col((table.into_iden(), column.into_iden()))
}

/// What every rule shares: where to read, whose scope, which filter.
struct Reader<'a, C> {
    conn: &'a C,
    scope: &'a Scope,
    filter: &'a FlagFilter,
    window: &'a Window,
    rules: &'a FlagThresholds,
}

impl<C: ConnectionTrait> Reader<'_, C> {
    fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Rows any of whose `regions` lies in the caller's scope and in the filter's region.
    fn regions(&self, regions: &[SimpleExpr]) -> Condition {
        let mut all = Condition::all();
        if !self.scope.is_nationwide() {
            let mut any = Condition::any();
            for code in self.scope.regions() {
                for region in regions {
                    any = any.add(subtree(region.clone(), code));
                }
            }
            all = all.add(any);
        }
        if let Some(code) = &self.filter.region_code {
            let mut any = Condition::any();
            for region in regions {
                any = any.add(subtree(region.clone(), code));
            }
            all = all.add(any);
        }
        all
    }

    /// The filter's buyer and producer, on these columns (a missing column: nothing matches).
    fn parties(&self, buyers: &[SimpleExpr], producer: Option<SimpleExpr>) -> Condition {
        let mut all = Condition::all();
        if let Some(id) = self.filter.buyer {
            let mut any = Condition::any();
            for b in buyers {
                any = any.add(Expr::expr(b.clone()).eq(id));
            }
            all = all.add(if buyers.is_empty() {
                Condition::all().add(Expr::cust("1 = 0"))
            } else {
                any
            });
        }
        if let Some(id) = self.filter.producer {
            all = all.add(match producer {
                Some(p) => Condition::all().add(Expr::expr(p).eq(id)),
                None => Condition::all().add(Expr::cust("1 = 0")),
            });
        }
        all
    }

    /// Orders joined to their buyer's and producer's profiles, in scope and filter.
    fn orders_in_scope(&self, query: &mut SelectStatement) {
        query
            .join(
                JoinType::InnerJoin,
                buyer::Entity,
                Expr::col((buyer::Entity, buyer::Column::OrganizationId))
                    .equals((order::Entity, order::Column::BuyerOrgId)),
            )
            .join(
                JoinType::InnerJoin,
                producer::Entity,
                Expr::col((producer::Entity, producer::Column::OrganizationId))
                    .equals((order::Entity, order::Column::ProducerOrgId)),
            )
            .cond_where(self.regions(&[
                col(buyer::Entity, buyer::Column::RegionCode),
                col(producer::Entity, producer::Column::RegionCode),
            ]))
            .cond_where(self.parties(
                &[col(order::Entity, order::Column::BuyerOrgId)],
                Some(col(order::Entity, order::Column::ProducerOrgId)),
            ));
    }

    async fn rows(&self, query: &SelectStatement) -> AppResult<Vec<QueryResult>> {
        Ok(self.conn.query_all(query).await?)
    }

    async fn shared_members(&self) -> AppResult<Vec<Flag>> {
        let (from, to) = (start_of(self.window.from), end_of(self.window.to));
        let mut query = Query::select();
        query
            .from(order::Entity)
            .column((order::Entity, order::Column::BuyerOrgId))
            .column((order::Entity, order::Column::ProducerOrgId))
            .column((buyer::Entity, buyer::Column::ContactName))
            .column((buyer::Entity, buyer::Column::ContactPhone))
            .expr_as(
                col(producer::Entity, producer::Column::ContactName),
                Alias::new("producer_contact_name"),
            )
            .expr_as(
                col(producer::Entity, producer::Column::ContactPhone),
                Alias::new("producer_contact_phone"),
            )
            .expr_as(
                Func::min(col(order::Entity, order::Column::PlacedAt)),
                Alias::new("first_at"),
            )
            .expr_as(
                Func::max(col(order::Entity, order::Column::PlacedAt)),
                Alias::new("last_at"),
            )
            .expr_as(
                Func::cast_as(Func::count(Expr::cust("*")), Alias::new("BIGINT")),
                Alias::new("orders"),
            )
            .expr_as(
                Func::cast_as(
                    Func::sum(col(order::Entity, order::Column::TotalFen)),
                    Alias::new("BIGINT"),
                ),
                Alias::new("amount"),
            )
            .and_where(Expr::col((order::Entity, order::Column::PlacedAt)).gte(from))
            .and_where(Expr::col((order::Entity, order::Column::PlacedAt)).lt(to))
            .and_where(Expr::col((order::Entity, order::Column::Status)).ne(OrderStatus::Cancelled))
            .group_by_columns([
                (order::Entity, order::Column::BuyerOrgId).into_column_ref(),
                (order::Entity, order::Column::ProducerOrgId).into_column_ref(),
                (buyer::Entity, buyer::Column::ContactName).into_column_ref(),
                (buyer::Entity, buyer::Column::ContactPhone).into_column_ref(),
                (producer::Entity, producer::Column::ContactName).into_column_ref(),
                (producer::Entity, producer::Column::ContactPhone).into_column_ref(),
            ]);
        self.orders_in_scope(&mut query);
        struct Pair {
            buyer: Uuid,
            producer: Uuid,
            buyer_contact: Person,
            producer_contact: Person,
            first_at: DateTime<Utc>,
            last_at: DateTime<Utc>,
            orders: i64,
            amount: i64,
        }
        let mut pairs = Vec::new();
        for row in self.rows(&query).await? {
            pairs.push(Pair {
                buyer: row.try_get("", "buyer_org_id")?,
                producer: row.try_get("", "producer_org_id")?,
                buyer_contact: Person {
                    user: None,
                    name: row.try_get("", "contact_name")?,
                    phone: Some(row.try_get("", "contact_phone")?),
                },
                producer_contact: Person {
                    user: None,
                    name: row.try_get("", "producer_contact_name")?,
                    phone: Some(row.try_get("", "producer_contact_phone")?),
                },
                first_at: row.try_get("", "first_at")?,
                last_at: row.try_get("", "last_at")?,
                orders: row.try_get("", "orders")?,
                amount: row.try_get("", "amount")?,
            });
        }
        let orgs: Vec<Uuid> = pairs
            .iter()
            .flat_map(|p| [p.buyer, p.producer])
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let members = self.members_of(&orgs).await?;
        let none = Vec::new();
        let mut out = Vec::new();
        for pair in pairs {
            let mut buyer_side = vec![pair.buyer_contact];
            buyer_side.extend(members.get(&pair.buyer).unwrap_or(&none).iter().cloned());
            let mut producer_side = vec![pair.producer_contact];
            producer_side.extend(members.get(&pair.producer).unwrap_or(&none).iter().cloned());
            let people = shared_people(&buyer_side, &producer_side);
            let Some(first) = people.first() else {
                continue;
            };
            let how = match &first.phone {
                Some(phone) => format!("共用电话 {phone}"),
                None => "同一账号".to_owned(),
            };
            let summary = format!(
                "采购单位与供货经营主体有共同人员（{how}：采购方 {}，供货方 {}）；期间内双方交易 {} 笔，共 {} 元",
                first.buyer_side.name,
                first.producer_side.name,
                pair.orders,
                yuan(pair.amount)
            );
            out.push(Flag {
                kind: FlagKind::SharedMember,
                on: pair.last_at.date_naive(),
                buyer: Some(pair.buyer),
                producer: Some(pair.producer),
                order: None,
                key: format!("{}/{}", pair.buyer, pair.producer),
                summary,
                evidence: Evidence::SharedMember(SharedMember {
                    people,
                    orders: pair.orders,
                    amount_fen: pair.amount,
                    first_order_at: pair.first_at,
                    last_order_at: pair.last_at,
                }),
            });
        }
        Ok(out)
    }

    /// The members of `orgs` as people (display name and phone).
    async fn members_of(&self, orgs: &[Uuid]) -> AppResult<HashMap<Uuid, Vec<Person>>> {
        let mut out: HashMap<Uuid, Vec<Person>> = HashMap::new();
        for chunk in orgs.chunks(CHUNK) {
            let rows = membership::Entity::find()
                .filter(membership::Column::OrganizationId.is_in(chunk.iter().copied()))
                .find_also_related(user::Entity)
                .all(self.conn)
                .await?;
            for (member, account) in rows {
                let Some(account) = account else { continue };
                out.entry(member.organization_id).or_default().push(Person {
                    user: Some(account.id),
                    name: account.display_name,
                    phone: account.phone,
                });
            }
        }
        for people in out.values_mut() {
            people.sort_by_key(|p| p.user);
        }
        Ok(out)
    }

    /// The seconds from `earlier` to `later`, as SQL of this backend.
    fn seconds_between(&self, earlier: &str, later: &str) -> String {
        match self.backend() {
            DbBackend::Postgres => format!("EXTRACT(EPOCH FROM ({later} - {earlier}))"),
            _ => format!("((julianday({later}) - julianday({earlier})) * 86400.0)"),
        }
    }

    async fn fast_receipts(&self) -> AppResult<Vec<Flag>> {
        let (from, to) = (start_of(self.window.from), end_of(self.window.to));
        let minutes = self.rules.fast_receipt_minutes;
        let r = Alias::new("r");
        let s = Alias::new("s");
        let shipped = Query::select()
            .expr(Func::max(col(s.clone(), order_event::Column::At)))
            .from_as(order_event::Entity, s.clone())
            .and_where(
                Expr::col((s.clone(), order_event::Column::OrderId))
                    .equals((order::Entity, order::Column::Id)),
            )
            .and_where(
                Expr::col((s.clone(), order_event::Column::ToStatus)).eq(OrderStatus::Shipped),
            )
            .to_owned();
        let mut query = Query::select();
        query
            .from_as(order_event::Entity, r.clone())
            .join(
                JoinType::InnerJoin,
                order::Entity,
                Expr::col((order::Entity, order::Column::Id))
                    .equals((r.clone(), order_event::Column::OrderId)),
            )
            .column((order::Entity, order::Column::Id))
            .column((order::Entity, order::Column::BuyerOrgId))
            .column((order::Entity, order::Column::ProducerOrgId))
            .column((order::Entity, order::Column::PlacedAt))
            .column((order::Entity, order::Column::TotalFen))
            .expr_as(
                col(r.clone(), order_event::Column::At),
                Alias::new("received_at"),
            )
            .expr_as(
                SimpleExpr::SubQuery(None, Box::new(shipped.into_sub_query_statement())),
                Alias::new("shipped_at"),
            )
            .and_where(
                Expr::col((r.clone(), order_event::Column::ToStatus)).eq(OrderStatus::Received),
            )
            .and_where(Expr::col((r.clone(), order_event::Column::At)).gte(from))
            .and_where(Expr::col((r.clone(), order_event::Column::At)).lt(to))
            .and_where(Expr::cust(format!(
                "{} <= {}",
                self.seconds_between(r#""orders"."placed_at""#, r#""r"."at""#),
                minutes * 60
            )));
        self.orders_in_scope(&mut query);
        let mut out = Vec::new();
        for row in self.rows(&query).await? {
            let id: Uuid = row.try_get("", "id")?;
            let placed_at: DateTime<Utc> = row.try_get("", "placed_at")?;
            let received_at: DateTime<Utc> = row.try_get("", "received_at")?;
            let shipped_at: Option<DateTime<Utc>> = row.try_get("", "shipped_at")?;
            // The SQL bounds the rows; the rule decides (to the second, on both engines).
            let Some(minutes_taken) = fast_receipt(placed_at, received_at, minutes) else {
                continue;
            };
            let amount: i64 = row.try_get("", "total_fen")?;
            let shipment = match shipped_at {
                Some(at) => format!(
                    "发货记录在收货前 {} 秒",
                    std::cmp::max((received_at - at).num_seconds(), 0)
                ),
                None => "无发货记录".to_owned(),
            };
            out.push(Flag {
                kind: FlagKind::FastReceipt,
                on: received_at.date_naive(),
                buyer: Some(row.try_get("", "buyer_org_id")?),
                producer: Some(row.try_get("", "producer_org_id")?),
                order: Some(id),
                key: id.to_string(),
                summary: format!(
                    "订单下单后 {minutes_taken} 分钟即验收（阈值 {minutes} 分钟），{shipment}；金额 {} 元",
                    yuan(amount)
                ),
                evidence: Evidence::FastReceipt(FastReceipt {
                    placed_at,
                    shipped_at,
                    received_at,
                    minutes: minutes_taken,
                    threshold_minutes: minutes,
                    amount_fen: amount,
                }),
            });
        }
        Ok(out)
    }

    /// Refunds dated in the window whose sale lies in a period closed for a region holding
    /// either side of the sale, recorded after that close (past its tip): the closed report
    /// stands, and the refund shows as an adjustment later, which an auditor should see.
    async fn refunds_after_close(&self) -> AppResult<Vec<Flag>> {
        use ledger_entry::Column as E;
        let (r, s, p) = (Alias::new("r"), Alias::new("s"), Alias::new("p"));
        let mut query = Query::select();
        query
            .from_as(ledger_entry::Entity, r.clone())
            .join_as(
                JoinType::InnerJoin,
                ledger_entry::Entity,
                s.clone(),
                Expr::col((s.clone(), E::Id)).equals((r.clone(), E::RefundOf)),
            )
            .join_as(
                JoinType::InnerJoin,
                closed_period::Entity,
                p.clone(),
                Condition::all()
                    .add(Expr::cust(
                        r#""s"."occurred_on" >= "p"."first_day" AND "s"."occurred_on" <= "p"."last_day" AND "r"."seq" > "p"."tip_seq""#,
                    ))
                    .add(Expr::cust(
                        r#"(SUBSTR("r"."region_code", 1, LENGTH("p"."region_code")) = "p"."region_code" OR SUBSTR("r"."buyer_region_code", 1, LENGTH("p"."region_code")) = "p"."region_code")"#,
                    )),
            )
            .expr_as(col(r.clone(), E::Id), Alias::new("refund"))
            .expr_as(col(r.clone(), E::Seq), Alias::new("refund_seq"))
            .expr_as(col(r.clone(), E::OccurredOn), Alias::new("refund_on"))
            .expr_as(col(r.clone(), E::AmountFen), Alias::new("amount_fen"))
            .expr_as(col(r.clone(), E::BuyerOrgId), Alias::new("buyer"))
            .expr_as(col(r.clone(), E::ProducerOrgId), Alias::new("producer"))
            .expr_as(col(r.clone(), E::OrderId), Alias::new("order_id"))
            .expr_as(col(s.clone(), E::OccurredOn), Alias::new("sale_on"))
            .expr_as(col(p.clone(), closed_period::Column::Id), Alias::new("closed_period"))
            .expr_as(col(p.clone(), closed_period::Column::RegionCode), Alias::new("period_region"))
            .expr_as(col(p.clone(), closed_period::Column::Period), Alias::new("period"))
            .expr_as(col(p.clone(), closed_period::Column::TipSeq), Alias::new("tip_seq"))
            .expr_as(col(p.clone(), closed_period::Column::ClosedAt), Alias::new("closed_at"))
            .and_where(Expr::col((r.clone(), E::Kind)).eq(LedgerEntryKind::Refund))
            .and_where(Expr::col((r.clone(), E::OccurredOn)).gte(self.window.from))
            .and_where(Expr::col((r.clone(), E::OccurredOn)).lte(self.window.to))
            .cond_where(self.regions(&[col(r.clone(), E::RegionCode), col(r.clone(), E::BuyerRegionCode)]))
            .cond_where(self.parties(
                &[col(r.clone(), E::BuyerOrgId)],
                Some(col(r.clone(), E::ProducerOrgId)),
            ));
        let mut out = Vec::new();
        for row in self.rows(&query).await? {
            let refund: Uuid = row.try_get("", "refund")?;
            let closed_period: Uuid = row.try_get("", "closed_period")?;
            let evidence = RefundAfterClose {
                refund,
                refund_seq: row.try_get("", "refund_seq")?,
                refund_on: row.try_get("", "refund_on")?,
                amount_fen: row.try_get("", "amount_fen")?,
                sale_on: row.try_get("", "sale_on")?,
                closed_period,
                region_code: row.try_get("", "period_region")?,
                period: row.try_get("", "period")?,
                tip_seq: row.try_get("", "tip_seq")?,
                closed_at: row.try_get("", "closed_at")?,
            };
            out.push(Flag {
                kind: FlagKind::RefundAfterClose,
                on: evidence.refund_on,
                buyer: Some(row.try_get("", "buyer")?),
                producer: Some(row.try_get("", "producer")?),
                // A reported sale's correction has no order.
                order: row.try_get("", "order_id")?,
                key: format!("{refund}/{closed_period}"),
                summary: format!(
                    "{} 的销售在 {} {} 期间关账后退款 {} 元（关账时账本序号 {}，退款序号 {}）",
                    evidence.sale_on,
                    evidence.region_code,
                    evidence.period,
                    yuan(-evidence.amount_fen),
                    evidence.tip_seq,
                    evidence.refund_seq
                ),
                evidence: Evidence::RefundAfterClose(evidence),
            });
        }
        Ok(out)
    }

    /// Order lines of orders placed in the window (not cancelled), in scope and filter.
    fn lines_in_window(&self) -> SelectStatement {
        let (from, to) = (start_of(self.window.from), end_of(self.window.to));
        let mut query = Query::select();
        query
            .from(order_line::Entity)
            .join(
                JoinType::InnerJoin,
                order::Entity,
                Expr::col((order::Entity, order::Column::Id))
                    .equals((order_line::Entity, order_line::Column::OrderId)),
            )
            .and_where(Expr::col((order::Entity, order::Column::PlacedAt)).gte(from))
            .and_where(Expr::col((order::Entity, order::Column::PlacedAt)).lt(to))
            .and_where(
                Expr::col((order::Entity, order::Column::Status)).ne(OrderStatus::Cancelled),
            );
        self.orders_in_scope(&mut query);
        query
    }

    async fn prices_above_median(&self) -> AppResult<Vec<Flag>> {
        let to = end_of(self.window.to);
        let threshold = self.rules.price_ratio_percent;
        // First the groups bought in the window, then their histories: a line can only be far
        // above its median if it is as far above the lowest price its group ever had, so only
        // those lines are read.
        let mut distinct = self.lines_in_window();
        distinct.distinct().columns([
            (order_line::Entity, order_line::Column::Category),
            (order_line::Entity, order_line::Column::Unit),
            (order_line::Entity, order_line::Column::Spec),
        ]);
        let mut groups = Vec::new();
        for row in self.rows(&distinct).await? {
            let category: String = row.try_get("", "category")?;
            let Ok(category) = <ProductCategory as sea_orm::ActiveEnum>::try_from_value(&category)
            else {
                continue;
            };
            groups.push((category, row.try_get("", "unit")?, row.try_get("", "spec")?));
        }
        let histories = self.comparable_histories(&groups, to).await?;
        let floors: Vec<_> = histories
            .iter()
            .filter(|(_, group)| group.len() >= self.rules.price_min_comparable)
            .filter_map(|(key, group)| {
                let floor = group
                    .iter()
                    .flat_map(|h| h.prices.iter().map(|p| p.1))
                    .min()?;
                Some((key.clone(), floor))
            })
            .collect();
        struct Line {
            id: Uuid,
            order: Uuid,
            product: Uuid,
            name: String,
            group: (ProductCategory, String, String),
            price: i64,
            buyer: Uuid,
            producer: Uuid,
            placed_at: DateTime<Utc>,
        }
        let mut lines = Vec::new();
        for chunk in floors.chunks(50) {
            let mut any = Condition::any();
            for ((category, unit, spec), floor) in chunk {
                let column = |c: order_line::Column| Expr::col((order_line::Entity, c));
                any = any.add(
                    Condition::all()
                        .add(column(order_line::Column::Category).eq(*category))
                        .add(column(order_line::Column::Unit).eq(unit.as_str()))
                        .add(column(order_line::Column::Spec).eq(spec.as_str()))
                        .add(
                            column(order_line::Column::PriceFen)
                                .mul(100)
                                .gte(floor.saturating_mul(threshold)),
                        ),
                );
            }
            let mut query = self.lines_in_window();
            query
                .columns([
                    (order_line::Entity, order_line::Column::Id),
                    (order_line::Entity, order_line::Column::OrderId),
                    (order_line::Entity, order_line::Column::ProductId),
                    (order_line::Entity, order_line::Column::ProductName),
                    (order_line::Entity, order_line::Column::PriceFen),
                ])
                .column((order::Entity, order::Column::BuyerOrgId))
                .column((order::Entity, order::Column::ProducerOrgId))
                .column((order::Entity, order::Column::PlacedAt))
                .cond_where(any);
            // Which group a row is of: one query per chunk, so match it back by its columns.
            query.columns([
                (order_line::Entity, order_line::Column::Category),
                (order_line::Entity, order_line::Column::Unit),
                (order_line::Entity, order_line::Column::Spec),
            ]);
            for row in self.rows(&query).await? {
                let category: String = row.try_get("", "category")?;
                let Ok(category) =
                    <ProductCategory as sea_orm::ActiveEnum>::try_from_value(&category)
                else {
                    continue;
                };
                lines.push(Line {
                    id: row.try_get("", "id")?,
                    order: row.try_get("", "order_id")?,
                    product: row.try_get("", "product_id")?,
                    name: row.try_get("", "product_name")?,
                    group: (category, row.try_get("", "unit")?, row.try_get("", "spec")?),
                    price: row.try_get("", "price_fen")?,
                    buyer: row.try_get("", "buyer_org_id")?,
                    producer: row.try_get("", "producer_org_id")?,
                    placed_at: row.try_get("", "placed_at")?,
                });
            }
        }
        let mut out = Vec::new();
        for line in lines {
            let group = histories.get(&line.group).map_or(&[][..], Vec::as_slice);
            let (Some(median), comparable) = median_at(group, line.producer, line.placed_at) else {
                continue;
            };
            if comparable < self.rules.price_min_comparable {
                continue;
            }
            let Some(ratio) = price_ratio(line.price, median, threshold) else {
                continue;
            };
            let (category, unit, spec) = line.group;
            out.push(Flag {
                kind: FlagKind::PriceAboveMedian,
                on: line.placed_at.date_naive(),
                buyer: Some(line.buyer),
                producer: Some(line.producer),
                order: Some(line.order),
                key: line.id.to_string(),
                summary: format!(
                    "「{}」单价 {} 元，为同类（{} / {}）{} 个可比产品当时中位价 {} 元的 {}.{:02} 倍",
                    line.name,
                    yuan(line.price),
                    spec,
                    unit,
                    comparable,
                    yuan(median),
                    ratio / 100,
                    ratio % 100
                ),
                evidence: Evidence::PriceAboveMedian(PriceAboveMedian {
                    line: line.id,
                    product: line.product,
                    product_name: line.name,
                    category,
                    unit,
                    spec,
                    price_fen: line.price,
                    median_fen: median,
                    ratio_percent: ratio,
                    threshold_percent: threshold,
                    comparable,
                    placed_at: line.placed_at,
                }),
            });
        }
        Ok(out)
    }

    /// The price histories (up to `until`) of the products of each group that were ever
    /// published.
    async fn comparable_histories(
        &self,
        groups: &[(ProductCategory, String, String)],
        until: DateTime<Utc>,
    ) -> AppResult<HashMap<(ProductCategory, String, String), Vec<PriceHistory>>> {
        let mut products: Vec<product::Model> = Vec::new();
        for chunk in groups.chunks(50) {
            let mut any = Condition::any();
            for (category, unit, spec) in chunk {
                any = any.add(
                    Condition::all()
                        .add(product::Column::Category.eq(*category))
                        .add(product::Column::Unit.eq(unit.as_str()))
                        .add(product::Column::Spec.eq(spec.as_str())),
                );
            }
            let select: Select<product::Entity> = product::Entity::find()
                .filter(any)
                .filter(product::Column::Status.ne(ProductStatus::Draft));
            products.extend(select.all(self.conn).await?);
        }
        let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
        let mut prices: HashMap<Uuid, Vec<(DateTime<Utc>, i64)>> = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let rows = price_change::Entity::find()
                .filter(price_change::Column::ProductId.is_in(chunk.iter().copied()))
                .filter(price_change::Column::ChangedAt.lt(until))
                .order_by_asc(price_change::Column::ChangedAt)
                .order_by_asc(price_change::Column::Id)
                .all(self.conn)
                .await?;
            for row in rows {
                prices
                    .entry(row.product_id)
                    .or_default()
                    .push((row.changed_at, row.price_fen));
            }
        }
        let mut out: HashMap<_, Vec<PriceHistory>> = HashMap::new();
        for p in products {
            out.entry((p.category, p.unit.clone(), p.spec.clone()))
                .or_default()
                .push(PriceHistory {
                    product: p.id,
                    producer: p.producer_org_id,
                    prices: prices.remove(&p.id).unwrap_or_default(),
                });
        }
        Ok(out)
    }

    async fn deadline_bunching(&self) -> AppResult<Vec<Flag>> {
        let mut out = Vec::new();
        let days = self.rules.deadline_days;
        let threshold = self.rules.bunching_share_percent;
        for deadline in deadlines(self.window.from, self.window.to) {
            let start = half_year_start(deadline);
            let late_from = window_start(deadline, days);
            let r = Alias::new("r");
            let amount: SimpleExpr = Expr::col((order_line::Entity, order_line::Column::PriceFen))
                .mul(Func::coalesce([
                    col(order_line::Entity, order_line::Column::AcceptedQuantity),
                    Expr::val(0i64),
                ]));
            let late = Expr::col((r.clone(), order_event::Column::At)).gte(start_of(late_from));
            let late_amount: SimpleExpr = Expr::case(late.clone(), amount.clone())
                .finally(Expr::val(0i64))
                .into();
            let late_order: SimpleExpr = Expr::case(late, col(order::Entity, order::Column::Id))
                .finally(Expr::null())
                .into();
            let bigint = || Alias::new("BIGINT");
            let mut query = Query::select();
            query
                .from_as(order_event::Entity, r.clone())
                .join(
                    JoinType::InnerJoin,
                    order::Entity,
                    Expr::col((order::Entity, order::Column::Id))
                        .equals((r.clone(), order_event::Column::OrderId)),
                )
                .join(
                    JoinType::InnerJoin,
                    order_line::Entity,
                    Expr::col((order_line::Entity, order_line::Column::OrderId))
                        .equals((order::Entity, order::Column::Id)),
                )
                .join(
                    JoinType::InnerJoin,
                    buyer::Entity,
                    Expr::col((buyer::Entity, buyer::Column::OrganizationId))
                        .equals((order::Entity, order::Column::BuyerOrgId)),
                )
                .column((order::Entity, order::Column::BuyerOrgId))
                .expr_as(
                    Func::cast_as(Func::sum(amount), bigint()),
                    Alias::new("total"),
                )
                .expr_as(
                    Func::cast_as(Func::sum(late_amount), bigint()),
                    Alias::new("late"),
                )
                .expr_as(
                    Func::cast_as(
                        Func::count_distinct(col(order::Entity, order::Column::Id)),
                        bigint(),
                    ),
                    Alias::new("orders"),
                )
                .expr_as(
                    Func::cast_as(Func::count_distinct(late_order), bigint()),
                    Alias::new("late_orders"),
                )
                .and_where(
                    Expr::col((r.clone(), order_event::Column::ToStatus)).eq(OrderStatus::Received),
                )
                .and_where(Expr::col((r.clone(), order_event::Column::At)).gte(start_of(start)))
                .and_where(Expr::col((r.clone(), order_event::Column::At)).lt(end_of(deadline)))
                .cond_where(self.regions(&[col(buyer::Entity, buyer::Column::RegionCode)]))
                .cond_where(self.parties(&[col(order::Entity, order::Column::BuyerOrgId)], None))
                .group_by_col((order::Entity, order::Column::BuyerOrgId));
            for row in self.rows(&query).await? {
                let total: i64 = row.try_get("", "total")?;
                let late: i64 = row.try_get("", "late")?;
                let Some(share) = bunched(total, late, threshold) else {
                    continue;
                };
                let buyer: Uuid = row.try_get("", "buyer_org_id")?;
                out.push(Flag {
                    kind: FlagKind::DeadlineBunching,
                    on: deadline,
                    buyer: Some(buyer),
                    producer: None,
                    order: None,
                    key: format!("{buyer}/{deadline}"),
                    summary: format!(
                        "{start} 至 {deadline} 半年采购 {} 元中 {} 元（{share}%，阈值 {threshold}%）在截止前 {days} 天内（{late_from} 起）验收",
                        yuan(total),
                        yuan(late)
                    ),
                    evidence: Evidence::DeadlineBunching(DeadlineBunching {
                        half_year_start: start,
                        deadline,
                        window_start: late_from,
                        total_fen: total,
                        late_fen: late,
                        share_percent: share,
                        threshold_percent: threshold,
                        orders: row.try_get("", "orders")?,
                        late_orders: row.try_get("", "late_orders")?,
                    }),
                });
            }
        }
        Ok(out)
    }

    async fn late_links(&self) -> AppResult<Vec<Flag>> {
        let days = self.rules.deadline_days;
        // The last days of each half-year, cut to the window.
        let mut windows = Condition::any();
        let mut any_window = false;
        for deadline in deadlines(self.window.from, half_year_end(self.window.to)) {
            let from = std::cmp::max(window_start(deadline, days), self.window.from);
            let to = std::cmp::min(deadline, self.window.to);
            if from > to {
                continue;
            }
            any_window = true;
            for column in [
                unit_link::Column::ProposedAt,
                unit_link::Column::ConfirmedAt,
            ] {
                windows = windows.add(
                    Condition::all()
                        .add(Expr::col((unit_link::Entity, column)).gte(start_of(from)))
                        .add(Expr::col((unit_link::Entity, column)).lt(end_of(to))),
                );
            }
        }
        if !any_window {
            return Ok(Vec::new());
        }
        let (u, c) = (Alias::new("u"), Alias::new("c"));
        let mut query = Query::select();
        query
            .from(unit_link::Entity)
            .columns([
                (unit_link::Entity, unit_link::Column::Id),
                (unit_link::Entity, unit_link::Column::UnitOrgId),
                (unit_link::Entity, unit_link::Column::CountedOrgId),
            ])
            .join_as(
                JoinType::InnerJoin,
                buyer::Entity,
                u.clone(),
                Expr::col((u.clone(), buyer::Column::OrganizationId))
                    .equals((unit_link::Entity, unit_link::Column::UnitOrgId)),
            )
            .join_as(
                JoinType::InnerJoin,
                buyer::Entity,
                c.clone(),
                Expr::col((c.clone(), buyer::Column::OrganizationId))
                    .equals((unit_link::Entity, unit_link::Column::CountedOrgId)),
            )
            .and_where(
                Expr::col((unit_link::Entity, unit_link::Column::Kind)).is_in([
                    UnitLinkKind::Contractor,
                    UnitLinkKind::SharedCanteen,
                    UnitLinkKind::Canteen,
                ]),
            )
            .cond_where(windows)
            .cond_where(self.regions(&[
                col(u.clone(), buyer::Column::RegionCode),
                col(c.clone(), buyer::Column::RegionCode),
            ]))
            .cond_where(self.parties(
                &[
                    col(unit_link::Entity, unit_link::Column::UnitOrgId),
                    col(unit_link::Entity, unit_link::Column::CountedOrgId),
                ],
                None,
            ));
        let ids: Vec<Uuid> = self
            .rows(&query)
            .await?
            .iter()
            .map(|row| row.try_get("", "id"))
            .collect::<Result<_, _>>()?;
        let mut links = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            links.extend(
                unit_link::Entity::find()
                    .filter(unit_link::Column::Id.is_in(chunk.iter().copied()))
                    .all(self.conn)
                    .await?,
            );
        }
        let mut out = Vec::new();
        for link in links {
            let Some((day, deadline, by_confirmation)) = late_link_day(
                link.proposed_at.date_naive(),
                link.confirmed_at.map(|at| at.date_naive()),
                self.window.from,
                self.window.to,
                days,
            ) else {
                continue;
            };
            // Revoked by the deadline: it never counted in that report.
            if link.revoked_at.is_some_and(|at| at < end_of(deadline)) {
                continue;
            }
            let days_before = (deadline - day).num_days();
            let kind_name = match link.kind {
                UnitLinkKind::Contractor => "承包经营方",
                UnitLinkKind::SharedCanteen => "共用食堂",
                _ => "食堂",
            };
            out.push(Flag {
                kind: FlagKind::LateLink,
                on: day,
                buyer: Some(link.unit_org_id),
                producer: None,
                order: None,
                key: link.id.to_string(),
                summary: format!(
                    "{kind_name}关联于 {day} {}，距报告截止日 {deadline} 仅 {days_before} 天（阈值 {days} 天）",
                    if by_confirmation { "确认生效" } else { "提出" }
                ),
                evidence: Evidence::LateLink(LateLink {
                    link: link.id,
                    link_kind: link.kind,
                    status: link.status,
                    year: link.year,
                    unit: link.unit_org_id,
                    counted: link.counted_org_id,
                    proposed_at: link.proposed_at,
                    confirmed_at: link.confirmed_at,
                    deadline,
                    days_before,
                    by_confirmation,
                }),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn half_years_end_on_the_reporting_deadlines() {
        assert_eq!(half_year_end(day("2026-01-01")), day("2026-06-30"));
        assert_eq!(half_year_end(day("2026-06-30")), day("2026-06-30"));
        assert_eq!(half_year_end(day("2026-07-01")), day("2026-12-31"));
        assert_eq!(half_year_start(day("2026-12-31")), day("2026-07-01"));
        assert_eq!(
            deadlines(day("2025-12-31"), day("2026-12-30")),
            vec![day("2025-12-31"), day("2026-06-30")]
        );
        assert!(deadlines(day("2026-07-01"), day("2026-12-30")).is_empty());
    }

    #[test]
    fn the_last_fifteen_days_include_the_deadline() {
        assert_eq!(window_start(day("2026-06-30"), 15), day("2026-06-16"));
        assert_eq!(
            deadline_just_after(day("2026-06-16"), 15),
            Some(day("2026-06-30"))
        );
        assert_eq!(deadline_just_after(day("2026-06-15"), 15), None);
        assert_eq!(
            deadline_just_after(day("2026-12-31"), 15),
            Some(day("2026-12-31"))
        );
    }

    #[test]
    fn a_link_is_late_by_its_confirmation_or_its_proposal() {
        let (from, to) = (day("2026-01-01"), day("2026-12-31"));
        assert_eq!(
            late_link_day(day("2026-05-01"), Some(day("2026-06-28")), from, to, 15),
            Some((day("2026-06-28"), day("2026-06-30"), true))
        );
        assert_eq!(
            late_link_day(day("2026-06-20"), Some(day("2026-07-02")), from, to, 15),
            Some((day("2026-06-20"), day("2026-06-30"), false))
        );
        assert_eq!(late_link_day(day("2026-06-10"), None, from, to, 15), None);
        assert_eq!(
            late_link_day(day("2026-06-20"), None, day("2026-06-21"), to, 15),
            None,
            "outside the window asked for"
        );
    }

    #[test]
    fn windows_are_checked() {
        let today = day("2026-12-04");
        let w = window(&FlagFilter::default(), today).unwrap();
        assert_eq!(w.to, day("2026-12-31"));
        assert_eq!(w.from, day("2025-12-31"));
        assert_eq!(w.kinds, FlagKind::ALL.to_vec());
        let backwards = FlagFilter {
            from: Some(day("2026-02-01")),
            to: Some(day("2026-01-01")),
            ..Default::default()
        };
        assert!(window(&backwards, today).is_err());
        let long = FlagFilter {
            from: Some(day("2020-01-01")),
            to: Some(day("2026-01-01")),
            ..Default::default()
        };
        assert!(window(&long, today).is_err());
        let bad_region = FlagFilter {
            region_code: Some("13x".into()),
            ..Default::default()
        };
        assert!(window(&bad_region, today).is_err());
        let some = FlagFilter {
            kinds: Some(vec![
                FlagKind::LateLink,
                FlagKind::FastReceipt,
                FlagKind::LateLink,
            ]),
            ..Default::default()
        };
        assert_eq!(
            window(&some, today).unwrap().kinds,
            vec![FlagKind::FastReceipt, FlagKind::LateLink]
        );
    }

    #[test]
    fn phones_compare_by_their_digits() {
        assert_eq!(
            normalize_phone("137-0602 8104").as_deref(),
            Some("13706028104")
        );
        assert_eq!(
            normalize_phone("+86 137 0602 8104").as_deref(),
            Some("13706028104")
        );
        assert_eq!(
            normalize_phone("0086-13706028104").as_deref(),
            Some("13706028104")
        );
        assert_eq!(
            normalize_phone("0311-86000000").as_deref(),
            Some("031186000000")
        );
        assert_eq!(normalize_phone("12"), None);
    }

    fn person(user: Option<Uuid>, phone: Option<&str>) -> Person {
        Person {
            user,
            name: "x".into(),
            phone: phone.map(str::to_owned),
        }
    }

    #[test]
    fn people_are_shared_by_account_or_phone() {
        let one = Uuid::now_v7();
        let buyer = [
            person(None, Some("0311-86000000")),
            person(Some(one), Some("+86 13706028104")),
        ];
        let producer = [person(None, Some("13706028104")), person(Some(one), None)];
        let shared = shared_people(&buyer, &producer);
        assert_eq!(shared.len(), 2);
        assert_eq!(shared[0].phone.as_deref(), Some("13706028104"));
        assert_eq!(shared[1].phone, None, "the same account");
        assert!(shared_people(&buyer[..1], &producer).is_empty());
    }

    #[test]
    fn a_receipt_is_fast_within_the_threshold_to_the_second() {
        let placed = at("2026-06-01T08:00:00Z");
        assert_eq!(
            fast_receipt(placed, at("2026-06-01T08:12:30Z"), 30),
            Some(12)
        );
        assert_eq!(
            fast_receipt(placed, at("2026-06-01T08:30:00Z"), 30),
            Some(30)
        );
        assert_eq!(fast_receipt(placed, at("2026-06-01T08:30:01Z"), 30), None);
        assert_eq!(fast_receipt(placed, at("2026-06-01T07:59:00Z"), 30), None);
    }

    #[test]
    fn the_median_is_of_other_producers_at_the_time() {
        let (mine, other) = (Uuid::now_v7(), Uuid::now_v7());
        let history = |producer, prices: &[(&str, i64)]| PriceHistory {
            product: Uuid::now_v7(),
            producer,
            prices: prices.iter().map(|(t, p)| (at(t), *p)).collect(),
        };
        let group = [
            history(
                other,
                &[
                    ("2026-01-01T00:00:00Z", 1000),
                    ("2026-03-01T00:00:00Z", 3000),
                ],
            ),
            history(other, &[("2026-01-01T00:00:00Z", 1200)]),
            history(other, &[("2026-01-01T00:00:00Z", 1400)]),
            history(other, &[("2026-05-01T00:00:00Z", 100)]),
            history(mine, &[("2026-01-01T00:00:00Z", 9000)]),
        ];
        assert_eq!(
            median_at(&group, mine, at("2026-02-01T00:00:00Z")),
            (Some(1200), 3)
        );
        assert_eq!(
            median_at(&group, mine, at("2026-04-01T00:00:00Z")),
            (Some(1400), 3)
        );
        assert_eq!(
            median_at(&group, mine, at("2026-06-01T00:00:00Z")),
            (Some(1300), 4)
        );
        assert_eq!(
            median_at(&group, mine, at("2025-06-01T00:00:00Z")),
            (None, 0)
        );
    }

    #[test]
    fn prices_and_shares_compare_with_their_thresholds() {
        assert_eq!(price_ratio(1800, 1200, 150), Some(150));
        assert_eq!(price_ratio(1799, 1200, 150), None);
        assert_eq!(price_ratio(3000, 1000, 150), Some(300));
        assert_eq!(price_ratio(3000, 0, 150), None);
        assert_eq!(bunched(1000, 501, 50), Some(50));
        assert_eq!(bunched(1000, 500, 50), None, "more than half, not half");
        assert_eq!(bunched(1000, 1000, 50), Some(100));
        assert_eq!(bunched(0, 0, 50), None);
    }

    fn flag(on: &str, kind: FlagKind, key: &str) -> Flag {
        Flag {
            kind,
            on: day(on),
            buyer: None,
            producer: None,
            order: None,
            evidence: Evidence::LateLink(LateLink {
                link: Uuid::nil(),
                link_kind: UnitLinkKind::Canteen,
                status: UnitLinkStatus::Pending,
                year: None,
                unit: Uuid::nil(),
                counted: Uuid::nil(),
                proposed_at: at("2026-01-01T00:00:00Z"),
                confirmed_at: None,
                deadline: day(on),
                days_before: 0,
                by_confirmation: false,
            }),
            summary: String::new(),
            key: key.into(),
        }
    }

    #[test]
    fn pages_follow_one_order_whatever_the_input_order() {
        let mut flags = vec![
            flag("2026-06-01", FlagKind::LateLink, "b"),
            flag("2026-06-30", FlagKind::DeadlineBunching, "a"),
            flag("2026-06-01", FlagKind::FastReceipt, "z"),
            flag("2026-06-01", FlagKind::LateLink, "a"),
        ];
        sort(&mut flags);
        let keys: Vec<_> = flags.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["a", "z", "a", "b"]);
        let request = |first, after: Option<String>| PageRequest {
            first,
            after,
            ..Default::default()
        };
        let one = page(&flags, &request(Some(2), None)).unwrap();
        assert!(one.has_next && !one.has_previous);
        let two = page(&flags, &request(Some(2), Some(cursor(&one.flags[1])))).unwrap();
        assert!(!two.has_next && two.has_previous);
        assert_eq!(two.flags, flags[2..].to_vec());
        let back = PageRequest {
            last: Some(1),
            before: Some(cursor(&two.flags[0])),
            ..Default::default()
        };
        assert_eq!(page(&flags, &back).unwrap().flags, flags[1..2].to_vec());
        assert!(page(&flags, &request(Some(2), Some("garbage".into()))).is_err());
        assert!(page(&flags, &request(Some(101), None)).is_err());
    }
}
