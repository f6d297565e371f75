//! Relay connections over keyset pagination: cursors carry the sort values of their row (never an
//! offset), pages hold at most 100 nodes, and `totalCount` is counted only when asked for.

use std::sync::Arc;

use async_graphql::{
    Object, OutputType,
    connection::{Connection, Edge},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use futures_util::future::BoxFuture;
use sea_orm::{
    ColumnTrait, ColumnType, Condition, DatabaseConnection, DbErr, EntityTrait, ExprTrait,
    IntoSimpleExpr, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, SelectTwo,
    Value,
    sea_query::{Expr, SimpleExpr},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult, Result};

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// The pagination arguments every connection field takes.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Self {
        Self {
            first,
            after,
            last,
            before,
        }
    }
}

/// Complexity weight of a connection field: its page size times what each node costs.
pub fn complexity(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).map_or(DEFAULT_PAGE_SIZE, |n| {
        usize::try_from(n).map_or(0, |n| n.min(MAX_PAGE_SIZE))
    });
    size.max(1).saturating_mul(child_complexity.max(1))
}

/// What a sort key holds, so a cursor's values can be checked before they reach SQL (comparing
/// a UUID column with a string is an error on PostgreSQL, not an empty page).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CursorKind {
    Int,
    Text,
    Uuid,
    Time,
}

impl CursorKind {
    /// The kind of a column's values; `None` for types no sort uses.
    pub fn of_column(column_type: &ColumnType) -> Option<Self> {
        use ColumnType as C;
        match column_type {
            C::TinyInteger
            | C::SmallInteger
            | C::Integer
            | C::BigInteger
            | C::TinyUnsigned
            | C::SmallUnsigned
            | C::Unsigned
            | C::BigUnsigned
            | C::Boolean => Some(Self::Int),
            C::Char(_) | C::String(_) | C::Text => Some(Self::Text),
            C::Uuid => Some(Self::Uuid),
            C::DateTime | C::Timestamp | C::TimestampWithTimeZone => Some(Self::Time),
            _ => None,
        }
    }
}

/// One sort value inside a cursor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CursorValue {
    #[serde(rename = "i")]
    Int(i64),
    #[serde(rename = "s")]
    Text(String),
    #[serde(rename = "u")]
    Uuid(Uuid),
    #[serde(rename = "t")]
    Time(chrono::DateTime<Utc>),
}

impl From<CursorValue> for Value {
    fn from(value: CursorValue) -> Self {
        match value {
            CursorValue::Int(v) => v.into(),
            CursorValue::Text(v) => v.into(),
            CursorValue::Uuid(v) => v.into(),
            CursorValue::Time(v) => v.into(),
        }
    }
}

pub fn encode_cursor(values: &[CursorValue]) -> String {
    // Serialising plain enums of strings and numbers cannot fail.
    let json = serde_json::to_vec(values).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

impl CursorValue {
    fn kind(&self) -> CursorKind {
        match self {
            Self::Int(_) => CursorKind::Int,
            Self::Text(_) => CursorKind::Text,
            Self::Uuid(_) => CursorKind::Uuid,
            Self::Time(_) => CursorKind::Time,
        }
    }

    /// Whether the value may stand for a key of `kind` (text as strictly as any argument).
    fn fits(&self, kind: Option<CursorKind>) -> bool {
        kind.is_none_or(|k| k == self.kind())
            && match self {
                Self::Text(text) => crate::text::problem(text).is_none(),
                _ => true,
            }
    }
}

/// A cursor's sort values, refused unless they are what `keys` hold, value by value: a cursor is
/// checked as strictly as any argument.
pub fn decode_cursor(cursor: &str, keys: &[SortKey]) -> AppResult<Vec<CursorValue>> {
    let bad = || AppError::BadInput(msg!("pagination.cursor_not_one_connection_issued"));
    let json = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let values: Vec<CursorValue> = serde_json::from_slice(&json).map_err(|_| bad())?;
    let fits = values.len() == keys.len()
        && values
            .iter()
            .zip(keys)
            .all(|(value, key)| value.fits(key.kind));
    if fits { Ok(values) } else { Err(bad()) }
}

/// A sort column and its direction; the last key of a sort must be unique (the primary key).
#[derive(Clone, Debug)]
pub struct SortKey {
    pub column: SimpleExpr,
    pub descending: bool,
    /// What the key's values are; cursors holding anything else are refused.
    pub kind: Option<CursorKind>,
}

impl SortKey {
    pub fn asc(column: impl ColumnTrait) -> Self {
        Self::column(column, false)
    }

    pub fn desc(column: impl ColumnTrait) -> Self {
        Self::column(column, true)
    }

    fn column(column: impl ColumnTrait, descending: bool) -> Self {
        Self {
            kind: CursorKind::of_column(column.def().get_column_type()),
            column: column.into_simple_expr(),
            descending,
        }
    }

    /// A computed key (a `CASE`, say), whose kind the caller states.
    pub fn expr(column: impl IntoSimpleExpr, kind: CursorKind, descending: bool) -> Self {
        Self {
            column: column.into_simple_expr(),
            descending,
            kind: Some(kind),
        }
    }
}

/// What a validated `PageArgs` asks for.
struct Window {
    forward: bool,
    limit: usize,
    cursor: Option<Vec<CursorValue>>,
}

fn window(args: &PageArgs, keys: &[SortKey]) -> AppResult<Window> {
    if args.first.is_some() && args.last.is_some() {
        return Err(AppError::BadInput(msg!(
            "pagination.pass_first_last_not_both"
        )));
    }
    let size = |n: i32, name: &str| match usize::try_from(n) {
        Ok(n) if n <= MAX_PAGE_SIZE => Ok(n),
        _ => Err(AppError::BadInput(msg!(
            "pagination.must_between_0",
            name = name,
            max_page_size = MAX_PAGE_SIZE
        ))),
    };
    let forward = args.last.is_none();
    let limit = match (args.first, args.last) {
        (Some(n), _) => size(n, "first")?,
        (_, Some(n)) => size(n, "last")?,
        _ => DEFAULT_PAGE_SIZE,
    };
    let cursor = if forward { &args.after } else { &args.before };
    let cursor = cursor
        .as_deref()
        .map(|c| decode_cursor(c, keys))
        .transpose()?;
    Ok(Window {
        forward,
        limit,
        cursor,
    })
}

/// `(k1, k2, …) > (v1, v2, …)` in sort order, spelled out so mixed directions work everywhere.
fn after_condition(keys: &[SortKey], values: &[CursorValue], forward: bool) -> Condition {
    let mut any = Condition::any();
    for i in 0..keys.len() {
        let mut all = Condition::all();
        for (key, value) in keys.iter().zip(values).take(i) {
            all = all.add(key.column.clone().eq(Value::from(value.clone())));
        }
        let key = &keys[i];
        let value = Value::from(values[i].clone());
        // Rows after the cursor in traversal order: smaller values when walking a descending key
        // forwards or an ascending key backwards.
        let less = key.descending == forward;
        let column = Expr::expr(key.column.clone());
        all = all.add(if less {
            column.lt(value)
        } else {
            column.gt(value)
        });
        any = any.add(all);
    }
    any
}

/// Lazily counted `totalCount`, plus room for more connection-level fields.
pub struct ConnectionFields {
    count: Arc<dyn Fn() -> BoxFuture<'static, Result<u64, DbErr>> + Send + Sync>,
}

#[Object]
impl ConnectionFields {
    /// How many nodes match, across all pages.
    async fn total_count(&self) -> Result<i32> {
        let n = (self.count)().await?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}

pub type Page<N> = Connection<String, N, ConnectionFields>;

/// A query a connection can page through: plain (`Select`) or joined (`SelectTwo`).
pub trait PageQuery:
    QueryFilter + QueryOrder + QuerySelect + Clone + Send + Sync + 'static
{
    type Row: Send;
    fn fetch(
        self,
        db: &DatabaseConnection,
    ) -> impl Future<Output = Result<Vec<Self::Row>, DbErr>> + Send;
    fn count_rows(self, db: &DatabaseConnection)
    -> impl Future<Output = Result<u64, DbErr>> + Send;
}

impl<E> PageQuery for Select<E>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    type Row = E::Model;

    async fn fetch(self, db: &DatabaseConnection) -> Result<Vec<E::Model>, DbErr> {
        self.all(db).await
    }

    async fn count_rows(self, db: &DatabaseConnection) -> Result<u64, DbErr> {
        self.count(db).await
    }
}

impl<E, F> PageQuery for SelectTwo<E, F>
where
    E: EntityTrait,
    F: EntityTrait,
    E::Model: Send + Sync,
    F::Model: Send + Sync,
{
    type Row = (E::Model, Option<F::Model>);

    async fn fetch(self, db: &DatabaseConnection) -> Result<Vec<Self::Row>, DbErr> {
        self.all(db).await
    }

    async fn count_rows(self, db: &DatabaseConnection) -> Result<u64, DbErr> {
        self.count(db).await
    }
}

/// Runs one page of `query` sorted by `keys`, mapping each row to a node.
pub async fn paginate<E, N>(
    db: &DatabaseConnection,
    query: Select<E>,
    keys: &[SortKey],
    args: &PageArgs,
    sort_values: impl Fn(&E::Model) -> Vec<CursorValue>,
    to_node: impl Fn(E::Model) -> N,
) -> AppResult<Page<N>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    N: OutputType,
{
    page_of(db, query, keys, args, sort_values, |row| Some(to_node(row))).await
}

/// Like `paginate`, for joined rows; rows `to_node` turns into `None` are skipped.
pub async fn paginate_pairs<Q, N>(
    db: &DatabaseConnection,
    query: Q,
    keys: &[SortKey],
    args: &PageArgs,
    sort_values: impl Fn(&Q::Row) -> Vec<CursorValue>,
    to_node: impl Fn(Q::Row) -> Option<N>,
) -> AppResult<Page<N>>
where
    Q: PageQuery,
    N: OutputType,
{
    page_of(db, query, keys, args, sort_values, to_node).await
}

async fn page_of<Q, N>(
    db: &DatabaseConnection,
    query: Q,
    keys: &[SortKey],
    args: &PageArgs,
    sort_values: impl Fn(&Q::Row) -> Vec<CursorValue>,
    to_node: impl Fn(Q::Row) -> Option<N>,
) -> AppResult<Page<N>>
where
    Q: PageQuery,
    N: OutputType,
{
    let window = window(args, keys)?;
    let count = {
        let db = db.clone();
        let query = query.clone();
        ConnectionFields {
            count: Arc::new(move || {
                let db = db.clone();
                let query = query.clone();
                Box::pin(async move { query.count_rows(&db).await })
            }),
        }
    };

    let mut query = query;
    if let Some(values) = &window.cursor {
        query = query.filter(after_condition(keys, values, window.forward));
    }
    for key in keys {
        // Walking backwards reads the keys in reverse, then flips the page.
        let descending = key.descending == window.forward;
        let order = if descending { Order::Desc } else { Order::Asc };
        query = query.order_by(key.column.clone(), order);
    }
    let mut rows = query.limit(window.limit as u64 + 1).fetch(db).await?;
    let more = rows.len() > window.limit;
    rows.truncate(window.limit);
    if !window.forward {
        rows.reverse();
    }
    let (has_previous, has_next) = if window.forward {
        (window.cursor.is_some(), more)
    } else {
        (more, window.cursor.is_some())
    };
    let mut connection = Connection::with_additional_fields(has_previous, has_next, count);
    for row in rows {
        let cursor = encode_cursor(&sort_values(&row));
        if let Some(node) = to_node(row) {
            connection.edges.push(Edge::new(cursor, node));
        }
    }
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use entity::{product, region};

    use super::*;

    fn price_then_id() -> Vec<SortKey> {
        vec![
            SortKey::asc(product::Column::PriceFen),
            SortKey::asc(product::Column::Id),
        ]
    }

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let keys = price_then_id();
        let values = vec![CursorValue::Int(1250), CursorValue::Uuid(Uuid::now_v7())];
        let cursor = encode_cursor(&values);
        assert_eq!(decode_cursor(&cursor, &keys).ok(), Some(values));
        assert!(decode_cursor(&cursor, &keys[..1]).is_err());
        assert!(decode_cursor("garbage!", &keys).is_err());
    }

    #[test]
    fn cursor_values_must_be_of_their_keys_kind() {
        let keys = price_then_id();
        let swapped = [CursorValue::Uuid(Uuid::now_v7()), CursorValue::Int(1250)];
        assert!(decode_cursor(&encode_cursor(&swapped), &keys).is_err());
        let text = [CursorValue::Int(1), CursorValue::Text("x".into())];
        assert!(decode_cursor(&encode_cursor(&text), &keys).is_err());
        let codes = [SortKey::asc(region::Column::Code)];
        let code = [CursorValue::Text("130126".into())];
        assert!(decode_cursor(&encode_cursor(&code), &codes).is_ok());
        let nul = [CursorValue::Text("13\0".into())];
        assert!(decode_cursor(&encode_cursor(&nul), &codes).is_err());
        let time = [CursorValue::Time(Utc::now())];
        assert!(decode_cursor(&encode_cursor(&time), &codes).is_err());
        assert_eq!(
            SortKey::desc(product::Column::Id).kind,
            Some(CursorKind::Uuid)
        );
    }

    #[test]
    fn page_sizes_are_bounded() {
        let keys = price_then_id();
        let args = |first| PageArgs::new(first, None, None, None);
        assert!(window(&args(Some(101)), &keys).is_err());
        assert!(window(&args(Some(-1)), &keys).is_err());
        assert_eq!(window(&args(None), &keys).map(|w| w.limit).ok(), Some(20));
        assert!(window(&PageArgs::new(Some(1), None, Some(1), None), &keys).is_err());
    }

    #[test]
    fn complexity_grows_with_page_size() {
        assert_eq!(complexity(Some(100), None, 3), 300);
        assert_eq!(complexity(None, None, 2), 40);
        assert_eq!(complexity(Some(10_000), None, 1), 100);
    }
}
