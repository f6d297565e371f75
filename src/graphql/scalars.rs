//! The contract's scalars: `Money` (yuan string, integer fen inside), `DateTime` (RFC 3339 UTC)
//! and `Date` (`YYYY-MM-DD`).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, SecondsFormat, Utc};

/// An amount of money: a decimal string in yuan with two places (`"12.50"`), held as fen.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub i64);

impl Money {
    pub fn fen(self) -> i64 {
        self.0
    }

    /// Parses `"12"`, `"12.5"`, `"12.50"` or `"-3.20"`; more than two decimals is an error, not
    /// a rounding. Nothing else: no spaces, `+`, exponent or leading zeros.
    pub fn parse(text: &str) -> Option<Money> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (yuan, cents) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if yuan.is_empty() || yuan.len() > 13 || cents.len() > 2 || !all_digits(yuan) {
            return None;
        }
        if yuan.len() > 1 && yuan.starts_with('0') {
            return None;
        }
        if digits.contains('.') && cents.is_empty() || !all_digits(cents) {
            return None;
        }
        let yuan: i64 = yuan.parse().ok()?;
        let cents: i64 = format!("{cents:0<2}").parse().ok()?;
        let fen = yuan.checked_mul(100)?.checked_add(cents)?;
        Some(Money(if negative { fen.checked_neg()? } else { fen }))
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::text::yuan(self.0))
    }
}

#[Scalar(name = "Money")]
impl ScalarType for Money {
    /// Checked during validation, so a malformed amount refuses the whole request (400) before
    /// anything runs.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if Money::parse(text).is_some())
    }

    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Money::parse(text).ok_or_else(|| {
                InputValueError::custom(msg!("graphql.money_yuan_amount_most_two_decimals"))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// A moment in time, RFC 3339 in UTC with millisecond precision.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

impl DateTime {
    /// RFC 3339 as the contract writes it: `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`, with an
    /// upper-case `T` (chrono alone also takes a space or a lower-case `t`).
    pub fn parse(text: &str) -> Option<DateTime> {
        let (date, _) = text.split_once('T')?;
        Date::parse(date)?;
        let time = chrono::DateTime::parse_from_rfc3339(text).ok()?;
        Some(DateTime(time.with_timezone(&Utc)))
    }
}

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if DateTime::parse(text).is_some())
    }

    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => DateTime::parse(text)
                .ok_or_else(|| InputValueError::custom(msg!("graphql.datetime_rfc_3339_e_g_2026"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(value: chrono::DateTime<Utc>) -> Self {
        Self(value)
    }
}

/// A calendar date, `YYYY-MM-DD`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

impl Date {
    /// Exactly `YYYY-MM-DD`, a real day: chrono's `%Y-%m-%d` alone takes `26-01-01` (the year
    /// 26) and `2026-1-1`.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !shaped {
            return None;
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(Date)
    }
}

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if Date::parse(text).is_some())
    }

    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Date::parse(text)
                .ok_or_else(|| InputValueError::custom(msg!("graphql.date_yyyy_mm_dd_e_g"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_parses_yuan_strings_exactly() {
        assert_eq!(Money::parse("12.50"), Some(Money(1250)));
        assert_eq!(Money::parse("12.5"), Some(Money(1250)));
        assert_eq!(Money::parse("12"), Some(Money(1200)));
        assert_eq!(Money::parse("0.07"), Some(Money(7)));
        assert_eq!(Money::parse("-3.20"), Some(Money(-320)));
        for bad in [
            "",
            ".5",
            "12.",
            "12.345",
            "1e3",
            "12,50",
            "--1",
            "abc",
            "99999999999999",
            " 12.50",
            "12.50 ",
            "+12",
            "012.50",
            "-",
            "-.5",
            "１２",
        ] {
            assert_eq!(Money::parse(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn dates_are_strictly_year_month_day() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).map(Date);
        assert_eq!(Date::parse("2026-01-01"), day);
        for bad in [
            "26-01-01",
            "2026-1-1",
            "2026-01-1",
            "02026-01-01",
            "+2026-01-01",
            "2026-02-30",
            "2026/01/01",
            " 2026-01-01",
            "2026-01-01T00:00:00Z",
            "２０２６-01-01",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn date_times_are_strict_rfc_3339() {
        assert!(DateTime::parse("2026-11-23T08:00:00Z").is_some());
        assert!(DateTime::parse("2026-11-23T08:00:00.123+08:00").is_some());
        for bad in [
            "2026-11-23 08:00:00Z",
            "2026-11-23t08:00:00Z",
            "26-11-23T08:00:00Z",
            "2026-11-23T08:00:00",
            "2026-11-23",
            "2026-02-30T08:00:00Z",
            "",
        ] {
            assert_eq!(DateTime::parse(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn money_prints_two_places() {
        assert_eq!(Money(1250).to_string(), "12.50");
        assert_eq!(Money(7).to_string(), "0.07");
        assert_eq!(Money(-320).to_string(), "-3.20");
        assert_eq!(Money(0).to_string(), "0.00");
    }
}
