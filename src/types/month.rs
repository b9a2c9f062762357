//! A month as the tax bureau writes a fund's period (所属期): `2026-10`.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::error::AppError;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// Parses a month as typed or exported: `2026-10`, `2026-1`, `2026/10`, `2026.10`,
    /// `202610`, `2026年10月`, or a date in it (`2026-10-01`, the first day some systems give).
    pub fn parse(input: &str) -> Result<YearMonth, AppError> {
        let t = crate::types::normalize_code(input);
        let err = || {
            AppError::invalid(format!(
                "所属期“{}”格式不正确，应为年月，如 2026-10",
                input.trim()
            ))
        };
        if t.is_empty() {
            return Err(AppError::invalid("所属期不能为空"));
        }
        let t = t.trim_end_matches('月').replace('年', "-");
        let parts: Vec<&str> = t.split(['-', '/', '.']).collect();
        let (y, m) = match parts.as_slice() {
            [ym] if ym.len() == 6 && ym.bytes().all(|b| b.is_ascii_digit()) => (&ym[..4], &ym[4..]),
            [y, m] | [y, m, _] => (*y, *m),
            _ => return Err(err()),
        };
        if parts.len() == 3 && crate::types::parse_date(&t).is_err() {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let month: u32 = m.parse().map_err(|_| err())?;
        if y.len() != 4 || !(1..=12).contains(&month) || !(1950..=2200).contains(&year) {
            return Err(err());
        }
        Ok(YearMonth { year, month })
    }

    pub fn of(d: NaiveDate) -> YearMonth {
        YearMonth {
            year: d.year(),
            month: d.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month")
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Debug for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "YearMonth({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_the_forms_tax_exports_use() {
        for s in [
            "2026-10",
            "2026/10",
            "2026.10",
            "202610",
            "2026年10月",
            "2026-10-01",
            " ２０２６－１０ ",
        ] {
            assert_eq!(YearMonth::parse(s).unwrap().to_string(), "2026-10", "{s}");
        }
        assert_eq!(YearMonth::parse("2026-1").unwrap().to_string(), "2026-01");
        for bad in [
            "",
            "2026",
            "2026-13",
            "2026-00",
            "26-10",
            "2026-10-32",
            "十月",
            "2026-10-01-02",
        ] {
            assert!(YearMonth::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn what_it_shows_it_reads_back(year in 1950i32..2200, month in 1u32..=12) {
            let m = YearMonth { year, month };
            prop_assert_eq!(YearMonth::parse(&m.to_string()).unwrap(), m);
            prop_assert_eq!(YearMonth::parse(&format!("{year}年{month}月")).unwrap(), m);
            prop_assert_eq!(YearMonth::of(m.first_day()), m);
        }

        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,12}") {
            let _ = YearMonth::parse(&s);
        }
    }
}
