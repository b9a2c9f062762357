//! Money as an exact integer number of fen (分). Never floats.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    /// Whole 元 as fen.
    pub const fn yuan(y: i64) -> Fen {
        Fen(y * 100)
    }

    /// Parses yuan as typed by a person: `1234`, `1,234.5`, `¥1234.56`, `-3.2`.
    pub fn parse(input: &str) -> Result<Fen, AppError> {
        let s: String = input
            .trim()
            .trim_start_matches(['¥', '￥'])
            .chars()
            .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
            .collect();
        let s = s.strip_suffix('元').unwrap_or(&s);
        let err = || AppError::invalid("金额格式不正确，应为数字，最多两位小数");
        let (neg, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
        {
            return Err(err());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| err())?
        };
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| err())?;
        let fen = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac))
            .ok_or_else(err)?;
        Ok(Fen(if neg { -fen } else { fen }))
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Debug for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fen({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(Fen::parse("¥1,234.5").unwrap(), Fen(123450));
        assert!(Fen::parse("348.87万").is_err());
        assert_eq!(Fen::parse("-0.05").unwrap(), Fen(-5));
        assert!(Fen::parse("1.234").is_err());
        assert!(Fen::parse("abc").is_err());
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(v in -1_000_000_000_000i64..1_000_000_000_000) {
            prop_assert_eq!(Fen::parse(&Fen(v).to_string()).unwrap(), Fen(v));
        }

        #[test]
        fn three_decimals_rejected(v in 0u64..1_000_000, d in 0u32..1000) {
            let s = format!("{v}.{d:03}");
            prop_assert!(Fen::parse(&s).is_err());
        }
    }
}
