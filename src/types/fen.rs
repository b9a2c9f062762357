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

/// What an amount a person types may be: whether zero is allowed, and the most it may be
/// (a typo of a few digits is refused, not paid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub zero_ok: bool,
    pub max: Fen,
}

impl Limits {
    /// Zero up to `max`.
    pub const fn up_to(max: Fen) -> Limits {
        Limits { zero_ok: true, max }
    }

    /// More than zero, up to `max`.
    pub const fn positive(max: Fen) -> Limits {
        Limits {
            zero_ok: false,
            max,
        }
    }
}

impl Fen {
    /// An amount typed in a field named `field`, in 元, within `limits`; or what is wrong with
    /// it, in words for the person who typed it. Every form and import reads money this way.
    pub fn read(field: &str, typed: &str, limits: Limits) -> Result<Fen, String> {
        if typed.trim().is_empty() {
            return Err(format!("请填写{field}"));
        }
        match Fen::parse(typed) {
            Ok(f) if f.0 < 0 && limits.zero_ok => Err(format!("{field}不能为负数")),
            Ok(f) if f.0 < 0 || (f.0 == 0 && !limits.zero_ok) => Err(format!("{field}应大于零")),
            Ok(f) if f > limits.max => Err(format!(
                "{field} {f} 元超过上限 {}，请核对",
                limits.max.in_words()
            )),
            Ok(f) => Ok(f),
            Err(e) => Err(format!("{field}：{}", e.message())),
        }
    }

    /// A round amount as a person says it: `1 亿元`, `1000 万元`, `800.00 元`.
    fn in_words(self) -> String {
        const YI: i64 = 10_000_000_000;
        const WAN: i64 = 1_000_000;
        match self.0 {
            f if f > 0 && f % YI == 0 => format!("{} 亿元", f / YI),
            f if f > 0 && f % WAN == 0 => format!("{} 万元", f / WAN),
            _ => format!("{self} 元"),
        }
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

    #[test]
    fn amounts_are_read_within_their_limits() {
        let up_to = Limits::up_to(Fen::yuan(100_000_000));
        assert_eq!(Fen::read("收入", "0", up_to), Ok(Fen(0)));
        assert_eq!(
            Fen::read("收入", "-1", up_to).unwrap_err(),
            "收入不能为负数"
        );
        assert_eq!(
            Fen::read("收入", "100000000.01", up_to).unwrap_err(),
            "收入 100000000.01 元超过上限 1 亿元，请核对"
        );
        let positive = Limits::positive(Fen::yuan(1000));
        assert_eq!(
            Fen::read("金额", "0", positive).unwrap_err(),
            "金额应大于零"
        );
        assert_eq!(Fen::read("金额", " ", positive).unwrap_err(), "请填写金额");
        assert!(
            Fen::read("金额", "1.005", positive)
                .unwrap_err()
                .starts_with("金额：")
        );
        assert_eq!(
            Fen::read("金额", "1000.01", positive).unwrap_err(),
            "金额 1000.01 元超过上限 1000.00 元，请核对"
        );
        assert_eq!(Fen::yuan(10_000_000).in_words(), "1000 万元");
    }

    proptest! {
        #[test]
        fn read_takes_exactly_the_amounts_within_the_limits(fen in -1_000_000i64..3_000_000, max in 1i64..2_000_000, zero_ok: bool) {
            let limits = Limits { zero_ok, max: Fen(max) };
            let got = Fen::read("金额", &Fen(fen).to_string(), limits);
            let allowed = fen <= max && (fen > 0 || (zero_ok && fen == 0));
            prop_assert_eq!(got.is_ok(), allowed, "{} within {:?}", fen, limits);
            if let Ok(f) = got {
                prop_assert_eq!(f, Fen(fen));
            }
        }

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
