//! Rules for every piece of text a client sends, and text search that means what it says.
//!
//! Every string in a request's arguments and variables passes `check` before anything runs
//! (`graphql::input`): at most `MAX_CHARS` characters and no control characters other than tab,
//! line feed and carriage return. Refusing (rather than stripping) keeps what is stored exactly
//! what was sent; PostgreSQL cannot store a NUL byte in text at all. Each field then has its own,
//! tighter length limit; the text of a search filter has at most `MAX_FILTER_CHARS`.

use sea_orm::{
    DbBackend, ExprTrait, IntoSimpleExpr,
    sea_query::{Expr, LikeExpr, SimpleExpr, extension::postgres::PgExpr},
};

use crate::error::{AppError, AppResult};

/// An amount in fen as yuan with two places (`-0.50`, `1234.56`): how messages, exports and the
/// `Money` scalar write money.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The longest string any argument may hold (the longest field, certification evidence, takes
/// 4,000 characters).
pub const MAX_CHARS: usize = 4_000;

/// The longest text a search filter takes.
pub const MAX_FILTER_CHARS: usize = 100;

/// Why a client's string is refused, if it is.
pub fn problem(text: &str) -> Option<String> {
    if text.len() > MAX_CHARS && text.chars().count() > MAX_CHARS {
        return Some(msg!(
            "text.string_has_most_characters",
            max_chars = MAX_CHARS
        ));
    }
    text.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| {
            msg!(
                "text.control_character_u_not_allowed_text",
                value0 = format!("{:04X}", u32::from(c))
            )
        })
}

/// The trimmed text of a search filter, `None` when blank; refused past `MAX_FILTER_CHARS`.
pub fn filter_text(text: Option<&str>) -> AppResult<Option<&str>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_FILTER_CHARS {
        return Err(AppError::BadInput(msg!(
            "text.filter_text_has_most_characters",
            max_filter_chars = MAX_FILTER_CHARS
        )));
    }
    Ok(Some(text))
}

/// A `LIKE` pattern matching `text` anywhere, its `%`, `_` and `\` taken literally.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `column LIKE '%text%' ESCAPE '\'`: the same meaning on SQLite (which has no default escape
/// character) and PostgreSQL. Case-insensitive for ASCII on SQLite, case-sensitive on PostgreSQL.
pub fn contains(column: impl IntoSimpleExpr, text: &str) -> SimpleExpr {
    Expr::expr(column.into_simple_expr()).like(LikeExpr::new(contains_pattern(text)).escape('\\'))
}

/// Like `contains`, but case-insensitive on both databases (`ILIKE` on PostgreSQL, where a
/// trigram index serves it).
pub fn contains_any_case(
    column: impl IntoSimpleExpr,
    text: &str,
    backend: DbBackend,
) -> SimpleExpr {
    let pattern = contains_pattern(text);
    let column = Expr::expr(column.into_simple_expr());
    match backend {
        // Backslash is PostgreSQL's default escape; sea-query writes `ILIKE … ESCAPE` wrongly.
        DbBackend::Postgres => column.ilike(LikeExpr::new(pattern)),
        _ => column.like(LikeExpr::new(pattern).escape('\\')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_read_as_yuan_with_their_sign() {
        assert_eq!(yuan(123_456), "1234.56");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-50), "-0.50");
        assert_eq!(yuan(-1_205), "-12.05");
        assert_eq!(yuan(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn control_characters_and_long_strings_are_refused() {
        assert_eq!(problem("灵寿红薯 5kg装"), None);
        assert_eq!(problem("line one\nline two\r\n\tindented"), None);
        assert!(problem("a\0b").is_some_and(|p| str::contains(&p, "U+0000")));
        assert!(problem("bell\u{7}").is_some());
        assert!(problem("del\u{7f}").is_some());
        assert!(problem("c1\u{85}").is_some());
        assert!(problem("esc\u{1b}[31m").is_some());
        assert_eq!(problem(&"红".repeat(MAX_CHARS)), None);
        assert!(problem(&"x".repeat(MAX_CHARS + 1)).is_some());
    }

    #[test]
    fn filter_text_is_trimmed_and_capped() {
        assert_eq!(filter_text(None).ok(), Some(None));
        assert_eq!(filter_text(Some("  ")).ok(), Some(None));
        assert_eq!(filter_text(Some(" 红薯 ")).ok(), Some(Some("红薯")));
        assert!(filter_text(Some(&"薯".repeat(MAX_FILTER_CHARS))).is_ok());
        assert!(filter_text(Some(&"薯".repeat(MAX_FILTER_CHARS + 1))).is_err());
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("红薯"), "%红薯%");
        assert_eq!(contains_pattern("50%_off"), "%50\\%\\_off%");
        assert_eq!(contains_pattern("a\\b"), "%a\\\\b%");
    }
}
