//! Deadlines of a workflow, in calendar days from a date (信访工作条例 counts 日: calendar
//! days). A deadline is the last day on which the step is still on time.

use chrono::{Duration, NaiveDate};

/// The last day on time for a step of `days` days starting from `from` (the day after `from`
/// is day one).
pub fn due(from: NaiveDate, days: u32) -> NaiveDate {
    from + Duration::days(i64::from(days))
}

/// How a deadline stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// More than the warning window left.
    OnTime,
    /// Due within the warning window (today included).
    Near,
    /// Past its last day.
    Overdue,
}

impl Standing {
    /// The stable code the API gives (`on_time`, `near`, `overdue`).
    pub fn code(self) -> &'static str {
        match self {
            Standing::OnTime => "on_time",
            Standing::Near => "near",
            Standing::Overdue => "overdue",
        }
    }
}

/// The SQL condition of a list's deadline filter: `overdue` (the deadline `expr` before
/// today) or `near` (within `warn_days`); its dates are pushed to `args` as `$n` parameters.
pub fn filter(
    due: Option<&str>,
    expr: &str,
    today: NaiveDate,
    warn_days: u32,
    args: &mut Vec<String>,
) -> crate::error::AppResult<Option<String>> {
    Ok(match due.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some("overdue") => {
            args.push(today.to_string());
            Some(format!("{expr} < ${}", args.len()))
        }
        Some("near") => {
            args.push(today.to_string());
            args.push(super::deadlines::due(today, warn_days).to_string());
            Some(format!(
                "{expr} >= ${} AND {expr} <= ${}",
                args.len() - 1,
                args.len()
            ))
        }
        Some(other) => {
            return Err(crate::error::AppError::invalid(format!(
                "期限筛选“{other}”无法识别，可选 overdue、near"
            )));
        }
    })
}

/// The standing of a deadline `due` on `today`, warning `warn_days` before.
pub fn standing(due: NaiveDate, today: NaiveDate, warn_days: u32) -> Standing {
    if today > due {
        Standing::Overdue
    } else if (due - today).num_days() <= i64::from(warn_days) {
        Standing::Near
    } else {
        Standing::OnTime
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::types::parse_date(s).unwrap()
    }

    #[test]
    fn deadlines_cross_month_ends_and_leap_days() {
        assert_eq!(due(d("2024-01-31"), 15), d("2024-02-15"));
        assert_eq!(
            due(d("2024-02-20"), 15),
            d("2024-03-06"),
            "29 February counted"
        );
        assert_eq!(due(d("2025-02-20"), 15), d("2025-03-07"));
        assert_eq!(due(d("2025-12-20"), 60), d("2026-02-18"));
        assert_eq!(
            due(due(d("2025-12-20"), 60), 30),
            d("2026-03-20"),
            "an extension"
        );
    }

    #[test]
    fn a_deadline_is_near_then_overdue() {
        let due = d("2026-03-10");
        assert_eq!(standing(due, d("2026-03-01"), 3), Standing::OnTime);
        assert_eq!(standing(due, d("2026-03-07"), 3), Standing::Near);
        assert_eq!(standing(due, d("2026-03-10"), 3), Standing::Near);
        assert_eq!(standing(due, d("2026-03-11"), 3), Standing::Overdue);
    }
}
