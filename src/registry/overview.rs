//! What the dashboard shows for a part of the hierarchy and a period: the statistics, the
//! same figures a year earlier (同比), how the membership changed (its parts add up to the
//! net change), the share of employers with a union (建会率) and the transfers waiting for a
//! decision; and the same as a workbook.

use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;

use super::orgs::Org;
use super::scope::Scope;
use super::stats::{self, Figure, Period, Stats};
use crate::db::Db;
use crate::error::{AppError, AppResult};

/// The periods a cadre picks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PeriodChoice {
    #[default]
    ThisYear,
    LastYear,
    ThisQuarter,
    LastQuarter,
    Custom,
}

impl PeriodChoice {
    pub const ALL: [PeriodChoice; 5] = [
        PeriodChoice::ThisYear,
        PeriodChoice::LastYear,
        PeriodChoice::ThisQuarter,
        PeriodChoice::LastQuarter,
        PeriodChoice::Custom,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PeriodChoice::ThisYear => "this_year",
            PeriodChoice::LastYear => "last_year",
            PeriodChoice::ThisQuarter => "this_quarter",
            PeriodChoice::LastQuarter => "last_quarter",
            PeriodChoice::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PeriodChoice::ThisYear => "今年",
            PeriodChoice::LastYear => "去年",
            PeriodChoice::ThisQuarter => "本季度",
            PeriodChoice::LastQuarter => "上季度",
            PeriodChoice::Custom => "自定义",
        }
    }

    pub fn parse(s: &str) -> AppResult<PeriodChoice> {
        PeriodChoice::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| AppError::invalid(format!("统计期“{s}”无效")))
    }

    /// The dates of the period as of `today` (a period that has not ended ends today).
    /// `Custom` takes `from` and `to` (blank `to`: today; blank `from`: 1 January of `to`).
    pub fn dates(
        self,
        today: NaiveDate,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> AppResult<(NaiveDate, NaiveDate)> {
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a valid date");
        let quarter_start = |d: NaiveDate| ymd(d.year(), (d.month0() / 3) * 3 + 1, 1);
        let (from, to) = match self {
            PeriodChoice::ThisYear => (ymd(today.year(), 1, 1), today),
            PeriodChoice::LastYear => (ymd(today.year() - 1, 1, 1), ymd(today.year() - 1, 12, 31)),
            PeriodChoice::ThisQuarter => (quarter_start(today), today),
            PeriodChoice::LastQuarter => {
                let start = quarter_start(today) - Months::new(3);
                (
                    start,
                    quarter_start(today).pred_opt().expect("a day before"),
                )
            }
            PeriodChoice::Custom => {
                let to = to.unwrap_or(today);
                (from.unwrap_or_else(|| ymd(to.year(), 1, 1)), to)
            }
        };
        if from > to {
            return Err(AppError::invalid("统计开始日期不能晚于结束日期"));
        }
        if to > today {
            return Err(AppError::invalid("统计结束日期不能晚于今天"));
        }
        Ok((from, to))
    }
}

/// The same dates one year earlier (29 February becomes the 28th).
pub fn year_before(p: &Period) -> Period {
    let back = |d: NaiveDate| {
        d.checked_sub_months(Months::new(12))
            .expect("a date a year back")
    };
    Period {
        from: back(p.from),
        to: back(p.to),
    }
}

/// A figure now and a year earlier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Compared {
    pub now: i64,
    pub before: Option<i64>,
}

impl Compared {
    pub fn change(&self) -> Option<i64> {
        self.before.map(|b| self.now - b)
    }

    /// The change in percent of the earlier value, one decimal; none from zero.
    pub fn percent(&self) -> Option<f64> {
        self.before
            .filter(|b| *b != 0)
            .map(|b| ((self.now - b) as f64 * 1000.0 / b as f64).round() / 10.0)
    }

    /// 同比 in words: `同比 +12（+3.4%）`, `同比持平`, or nothing without the earlier period.
    pub fn words(&self) -> Option<String> {
        let change = self.change()?;
        Some(match (change, self.percent()) {
            (0, _) => "同比持平".to_string(),
            (c, Some(p)) => format!("同比 {c:+}（{p:+.1}%）"),
            (c, None) => format!("同比 {c:+}"),
        })
    }
}

/// One part of the net change of the membership, with the list behind it.
#[derive(Debug, Clone)]
pub struct Part {
    pub label: &'static str,
    /// Signed: what it adds to the membership.
    pub value: i64,
    pub figure: Option<Figure>,
}

/// The net change as its parts: joined + transferred in − left − transferred out − retired −
/// died, and what else moved the count (retired members who left or died are in 离会/去世
/// but not in the count; unions moved in or out of the subtree), so the parts add up.
pub fn parts(s: &Stats) -> Vec<Part> {
    let m = &s.members;
    let mut parts = vec![
        Part {
            label: "入会",
            value: m.joined,
            figure: Some(Figure::Joined),
        },
        Part {
            label: "转入",
            value: m.transferred_in,
            figure: Some(Figure::TransferredIn),
        },
        Part {
            label: "离会",
            value: -(m.left - m.deceased),
            figure: Some(Figure::LeftAlive),
        },
        Part {
            label: "转出",
            value: -m.transferred_out,
            figure: Some(Figure::TransferredOut),
        },
        Part {
            label: "退休",
            value: -m.retired_in_period,
            figure: Some(Figure::Retired),
        },
        Part {
            label: "去世",
            value: -m.deceased,
            figure: Some(Figure::Deceased),
        },
    ];
    let other = m.net_change - parts.iter().map(|p| p.value).sum::<i64>();
    if other != 0 {
        parts.push(Part {
            label: "其他（退休会员离会或去世、组织调整）",
            value: other,
            figure: None,
        });
    }
    parts
}

/// Employers with a union in the subtree, and those in its area without one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Establishment {
    pub covered: i64,
    pub uncovered: i64,
}

impl Establishment {
    /// 建会率 in percent, two decimals; none without employers.
    pub fn rate_percent(&self) -> Option<f64> {
        let all = self.covered + self.uncovered;
        (all > 0).then(|| (self.covered as f64 * 10000.0 / all as f64).round() / 100.0)
    }
}

/// The leading digits of a region code that its area shares (`320102` → `320102`,
/// `320100` → `3201`, `320000` → `32`).
pub fn region_prefix(code: &str) -> &str {
    let mut p = code;
    while p.len() > 2 && p.ends_with("00") {
        p = &p[..p.len() - 2];
    }
    p
}

/// Employers covered by a union of the subtree, and employers with no union in the union's
/// area (by region code; everywhere for the top of the hierarchy; none for a union that is
/// not a federation).
pub async fn establishment(db: &Db, org: &Org) -> AppResult<Establishment> {
    let (lo, hi) = Scope::subtree(&org.path).range();
    let covered: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM units WHERE org_path >= $1 AND org_path < $2",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_one(db.pool())
    .await?;
    let area = super::orgs::AREA_KINDS.contains(&org.kind.as_str());
    let uncovered: i64 = match (&org.region_code, org.parent_id) {
        _ if !area => 0,
        (_, None) => {
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM units WHERE org_path IS NULL")
                .fetch_one(db.pool())
                .await?
        }
        (Some(region), Some(_)) => {
            sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM units WHERE org_path IS NULL AND region_code LIKE $1",
            )
            .bind(format!("{}%", region_prefix(region)))
            .fetch_one(db.pool())
            .await?
        }
        (None, Some(_)) => 0,
    };
    Ok(Establishment { covered, uncovered })
}

/// Transfers waiting for a decision: into unions of the subtree (to accept or return) and
/// out of it (waiting for the other side).
pub async fn pending_transfers(db: &Db, org: &Org) -> AppResult<(i64, i64)> {
    let (lo, hi) = Scope::subtree(&org.path).range();
    let count = |side: &'static str| {
        let (lo, hi) = (lo.clone(), hi.clone());
        async move {
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM transfers t JOIN orgs o ON o.id = t.{side} \
                 WHERE t.status = 'pending' AND o.path >= $1 AND o.path < $2"
            ))
            .bind(lo)
            .bind(hi)
            .fetch_one(db.pool())
            .await?;
            Ok::<_, AppError>(n)
        }
    };
    Ok((count("to_org_id").await?, count("from_org_id").await?))
}

/// Everything the dashboard shows.
pub struct Overview {
    pub stats: Stats,
    /// The statistics of the same dates a year earlier, when the registry holds records
    /// from then.
    pub before: Option<Stats>,
    pub establishment: Establishment,
    /// (incoming, outgoing) transfers waiting.
    pub pending: (i64, i64),
}

impl Overview {
    pub fn compared(&self, f: impl Fn(&Stats) -> i64) -> Compared {
        Compared {
            now: f(&self.stats),
            before: self.before.as_ref().map(f),
        }
    }
}

/// The earliest date any membership starts: a period before it has no records to compare.
async fn first_record(db: &Db) -> AppResult<Option<NaiveDate>> {
    let first: Option<String> = sqlx::query_scalar("SELECT MIN(start_date) FROM memberships")
        .fetch_one(db.pool())
        .await?;
    Ok(first.and_then(|d| crate::types::parse_date(&d).ok()))
}

pub async fn overview(db: &Db, org: &Org, period: &Period) -> AppResult<Overview> {
    let earlier = year_before(period);
    let compare = first_record(db)
        .await?
        .is_some_and(|first| first <= earlier.from);
    // Independent reads, side by side (each backend serves reads on several connections).
    let before = async {
        if compare {
            Ok(Some(stats::compute(db, org, &earlier).await?))
        } else {
            Ok::<_, AppError>(None)
        }
    };
    let (stats, before, establishment, pending) = tokio::try_join!(
        stats::compute(db, org, period),
        before,
        establishment(db, org),
        pending_transfers(db, org),
    )?;
    Ok(Overview {
        stats,
        before,
        establishment,
        pending,
    })
}

/// The figures of the overview as rows of a table: (indicator, now, a year earlier).
pub fn table(o: &Overview) -> Vec<(String, Compared)> {
    let mut rows: Vec<(String, Compared)> = vec![
        ("期末会员（人）".into(), o.compared(|s| s.members.at_end)),
        ("期初会员（人）".into(), o.compared(|s| s.members.at_start)),
        (
            "净增会员（人）".into(),
            o.compared(|s| s.members.net_change),
        ),
        ("期内入会（人）".into(), o.compared(|s| s.members.joined)),
        (
            "期内转入（人）".into(),
            o.compared(|s| s.members.transferred_in),
        ),
        (
            "期内离会（人，含去世）".into(),
            o.compared(|s| s.members.left),
        ),
        ("期内去世（人）".into(), o.compared(|s| s.members.deceased)),
        (
            "期内转出（人）".into(),
            o.compared(|s| s.members.transferred_out),
        ),
        (
            "期内退休（人）".into(),
            o.compared(|s| s.members.retired_in_period),
        ),
        (
            "期末女职工会员（人）".into(),
            o.compared(|s| s.members.female_at_end),
        ),
        (
            "期末农民工会员（人）".into(),
            o.compared(|s| s.members.migrant_at_end),
        ),
        (
            "期末新就业形态会员（人）".into(),
            o.compared(|s| s.members.new_employment_at_end),
        ),
        (
            "期末退休会员（人）".into(),
            o.compared(|s| s.members.retired_at_end),
        ),
        ("期末工会组织（个）".into(), o.compared(|s| s.unions.at_end)),
        (
            "期内新建工会（个）".into(),
            o.compared(|s| s.unions.new_in_period),
        ),
    ];
    for g in &o.stats.members.new_employment_by_group {
        let group = g.group.clone();
        rows.push((
            format!("　其中{}（人）", g.group),
            o.compared(move |s| {
                s.members
                    .new_employment_by_group
                    .iter()
                    .find(|x| x.group == group)
                    .map(|x| x.count)
                    .unwrap_or(0)
            }),
        ));
    }
    rows
}

/// The period's statistics table as an XLSX workbook: one row per figure, with the same
/// dates a year earlier and the change, and the rates below.
pub fn workbook(o: &Overview) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let xl = |e: rust_xlsxwriter::XlsxError| AppError::internal(e);
    let s = &o.stats;
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("统计表").map_err(xl)?;
    ws.write_string_with_format(0, 0, format!("{}（{}）", s.org_name, s.org_code), &bold)
        .map_err(xl)?;
    ws.write_string(1, 0, format!("统计期 {} 至 {}", s.from, s.to))
        .map_err(xl)?;
    if let Some(b) = &o.before {
        ws.write_string(1, 2, format!("上年同期 {} 至 {}", b.from, b.to))
            .map_err(xl)?;
    }
    for (c, h) in ["指标", "本期", "上年同期", "增减", "增减（%）"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(3, c as u16, *h, &bold)
            .map_err(xl)?;
    }
    let mut r = 4u32;
    for (label, v) in table(o) {
        ws.write_string(r, 0, &label).map_err(xl)?;
        ws.write_number(r, 1, v.now as f64).map_err(xl)?;
        if let (Some(b), Some(c)) = (v.before, v.change()) {
            ws.write_number(r, 2, b as f64).map_err(xl)?;
            ws.write_number(r, 3, c as f64).map_err(xl)?;
        }
        if let Some(p) = v.percent() {
            ws.write_number(r, 4, p).map_err(xl)?;
        }
        r += 1;
    }
    r += 1;
    let rates = [
        (
            "入会率（%）= 在会会员 ÷ 已覆盖单位职工数",
            s.employers.membership_rate_percent,
        ),
        (
            "建会率（%）= 已建会单位 ÷ 辖区内单位",
            o.establishment.rate_percent(),
        ),
    ];
    for (label, v) in rates {
        ws.write_string(r, 0, label).map_err(xl)?;
        match v {
            Some(v) => ws.write_number(r, 1, v).map_err(xl)?,
            None => ws.write_string(r, 1, "—").map_err(xl)?,
        };
        r += 1;
    }
    ws.write_string(
        r + 1,
        0,
        "数据来自实名会员库；入会率、建会率按当前单位信息计算，没有上年同期数。",
    )
    .map_err(xl)?;
    ws.set_column_width(0, 44).map_err(xl)?;
    for c in 1..5 {
        ws.set_column_width(c, 14).map_err(xl)?;
    }
    wb.save_to_buffer().map_err(xl)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::types::parse_date(s).unwrap()
    }

    #[test]
    fn periods_are_the_dates_a_cadre_means() {
        let today = d("2026-08-15");
        let of = |c: PeriodChoice| c.dates(today, None, None).unwrap();
        assert_eq!(of(PeriodChoice::ThisYear), (d("2026-01-01"), today));
        assert_eq!(
            of(PeriodChoice::LastYear),
            (d("2025-01-01"), d("2025-12-31"))
        );
        assert_eq!(of(PeriodChoice::ThisQuarter), (d("2026-07-01"), today));
        assert_eq!(
            of(PeriodChoice::LastQuarter),
            (d("2026-04-01"), d("2026-06-30"))
        );
        let jan = d("2026-02-10");
        assert_eq!(
            PeriodChoice::LastQuarter.dates(jan, None, None).unwrap(),
            (d("2025-10-01"), d("2025-12-31"))
        );
        assert!(
            PeriodChoice::Custom
                .dates(today, Some(d("2026-05-01")), Some(d("2026-04-01")))
                .is_err()
        );
        assert!(
            PeriodChoice::Custom
                .dates(today, None, Some(d("2026-09-01")))
                .is_err()
        );
        let p = year_before(&Period {
            from: d("2024-01-01"),
            to: d("2024-02-29"),
        });
        assert_eq!((p.from, p.to), (d("2023-01-01"), d("2023-02-28")));
    }

    #[test]
    fn year_on_year_in_words() {
        let c = |now, before| Compared { now, before };
        assert_eq!(c(110, Some(100)).words().unwrap(), "同比 +10（+10.0%）");
        assert_eq!(c(90, Some(100)).words().unwrap(), "同比 -10（-10.0%）");
        assert_eq!(c(5, Some(0)).words().unwrap(), "同比 +5");
        assert_eq!(c(5, Some(5)).words().unwrap(), "同比持平");
        assert_eq!(c(5, None).words(), None);
    }

    #[test]
    fn region_prefixes_cover_their_area() {
        assert_eq!(region_prefix("320102"), "320102");
        assert_eq!(region_prefix("320100"), "3201");
        assert_eq!(region_prefix("320000"), "32");
        let e = Establishment {
            covered: 87,
            uncovered: 13,
        };
        assert_eq!(e.rate_percent(), Some(87.0));
        assert_eq!(
            Establishment {
                covered: 0,
                uncovered: 0
            }
            .rate_percent(),
            None
        );
    }
}
