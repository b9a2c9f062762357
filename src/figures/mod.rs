//! The figure catalogue: every indicator of every module, registered once with its key,
//! Chinese label, unit and definition in words, computed for any subtree and period, and
//! linked to the records behind it. One call lists them all (`GET /api/v1/figures`); the
//! dashboard and the yearly report read the same values.
//!
//! A module contributes its figures as [`FigureValue`]s from its own `figures` file; this
//! file holds what they share: units, how values are shown (counts, 元 shown as 万元 with the
//! rounding stated, rates and 同比 in percent with two decimals) and the list itself.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::error::AppResult;
use crate::registry::orgs::Org;
use crate::registry::stats::Period;

/// The unit a figure counts in. 人, 人次 and 户 are different indicators, as are 件 and 件次.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FigureUnit {
    Persons,
    PersonTimes,
    Households,
    Employers,
    /// Employer-times: the same employer twice in the period counts twice.
    EmployerTimes,
    Unions,
    Cases,
    CaseTimes,
    /// Documents such as contracts (份).
    Contracts,
    /// Activities (项).
    Activities,
    /// Sessions of activities (场次).
    Sessions,
    /// Countable things without a unit of their own (比赛项目, 奖项, 参赛队): 个.
    Items,
    /// Innovation studios (创新工作室): 家.
    Studios,
    /// Achievements and projects (创新成果, 合理化建议, 揭榜项目): 项.
    Achievements,
    /// 名师带徒 pairs: 对.
    Pairs,
    /// Entries of a ledger (问题台账, 建议措施): 条.
    Entries,
    Yuan,
    Percent,
    Days,
}

impl FigureUnit {
    pub fn label(self) -> &'static str {
        match self {
            FigureUnit::Persons => "人",
            FigureUnit::PersonTimes => "人次",
            FigureUnit::Households => "户",
            FigureUnit::Employers => "家",
            FigureUnit::EmployerTimes => "家次",
            FigureUnit::Unions => "个",
            FigureUnit::Cases => "件",
            FigureUnit::CaseTimes => "件次",
            FigureUnit::Contracts => "份",
            FigureUnit::Activities => "项",
            FigureUnit::Sessions => "场次",
            FigureUnit::Items => "个",
            FigureUnit::Studios => "家",
            FigureUnit::Achievements => "项",
            FigureUnit::Pairs => "对",
            FigureUnit::Entries => "条",
            FigureUnit::Yuan => "元",
            FigureUnit::Percent => "%",
            FigureUnit::Days => "天",
        }
    }
}

/// How money is rounded wherever it is shown in 万元.
pub const WAN_ROUNDING: &str = "金额以元为单位精确到分记录；以万元显示时四舍五入保留两位小数";

/// One part of a figure (by channel, by type …).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigurePart {
    /// What the parts split by (来源渠道, 诉求类型 …).
    pub dimension: String,
    pub code: String,
    pub label: String,
    pub value: i64,
}

/// A figure of a subtree and period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureValue {
    /// Stable key (`petitions.items`, `registry.members_at_end` …).
    pub key: String,
    /// The module it belongs to (`registry`, `grievance` …).
    pub module: String,
    pub label: String,
    pub unit: FigureUnit,
    pub unit_label: String,
    /// What is counted, in words.
    pub definition: String,
    /// Counts as counted, money in 元, rates in percent, averages in days; null when a rate
    /// has nothing to divide by.
    pub value: Option<f64>,
    /// As shown: `262件`, `19.40万元`, `73.00%`.
    pub display: String,
    /// For a rate: what is divided by what.
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    /// The same figure for the same dates a year earlier, and the change in percent of it
    /// (两位小数); null where it is not compared or the earlier value is zero.
    pub previous: Option<f64>,
    pub change_percent: Option<String>,
    pub parts: Vec<FigurePart>,
    /// The API address listing the records behind it.
    pub drill: Option<String>,
}

impl FigureValue {
    /// A figure of `module` as counted, shown with its unit (not yet compared with a year
    /// earlier: `previous` and `change_percent` are filled by whoever compares).
    #[allow(clippy::too_many_arguments)]
    pub fn of(
        module: &str,
        key: &str,
        label: &str,
        unit: FigureUnit,
        definition: &str,
        amount: Amount,
        parts: Vec<FigurePart>,
        drill: Option<String>,
    ) -> FigureValue {
        FigureValue {
            key: key.into(),
            module: module.into(),
            label: label.into(),
            unit,
            unit_label: unit.label().into(),
            definition: definition.into(),
            value: amount.number(),
            display: amount.display(unit),
            numerator: None,
            denominator: None,
            previous: None,
            change_percent: None,
            parts,
            drill,
        }
    }
}

/// A figure's parts by a coded dimension (合同类别, 活动类别 …), each labelled; codes the
/// enum does not know are left out.
pub fn parts<T: crate::workflow::Named>(
    dimension: &str,
    values: impl Iterator<Item = (String, i64)>,
) -> Vec<FigurePart> {
    values
        .filter_map(|(code, value)| {
            T::parse(&code).map(|v| FigurePart {
                dimension: dimension.into(),
                code,
                label: v.label().into(),
                value,
            })
        })
        .collect()
}

/// A figure's value before it is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    Count(i64),
    Fen(i64),
    Ratio {
        num: i64,
        den: i64,
    },
    /// A total of days over a number of cases.
    Average {
        total: i64,
        n: i64,
    },
}

impl Amount {
    /// The value as a number (元 for money, percent for ratios).
    pub fn number(self) -> Option<f64> {
        match self {
            Amount::Count(n) => Some(n as f64),
            Amount::Fen(f) => Some(f as f64 / 100.0),
            Amount::Ratio { num, den } => {
                (den != 0).then(|| hundredths(num * 10_000, den) as f64 / 100.0)
            }
            Amount::Average { total, n } => {
                (n != 0).then(|| hundredths(total * 100, n) as f64 / 100.0)
            }
        }
    }

    /// The value as shown, with its unit.
    pub fn display(self, unit: FigureUnit) -> String {
        match self {
            Amount::Count(n) => format!("{}{}", crate::web::pages::thousands(n), unit.label()),
            Amount::Fen(f) => wan(f),
            Amount::Ratio { num, den } if den != 0 => {
                format!("{}%", two_decimals(hundredths(num * 10_000, den)))
            }
            Amount::Average { total, n } if n != 0 => {
                format!("{}天", two_decimals(hundredths(total * 100, n)))
            }
            _ => "—".into(),
        }
    }
}

/// `a / b` in hundredths, rounded half away from zero (b > 0).
fn hundredths(a: i64, b: i64) -> i64 {
    let q = (a.abs() * 2 + b) / (2 * b);
    if a < 0 { -q } else { q }
}

fn two_decimals(h: i64) -> String {
    let sign = if h < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", h.abs() / 100, h.abs() % 100)
}

/// Fen as 万元 with two decimals, rounded half up: `19.40万元`.
pub fn wan(fen: i64) -> String {
    // 0.01万元 = 100元 = 10,000 fen.
    format!("{}万元", two_decimals(hundredths(fen, 10_000)))
}

/// 同比: the change from `before` to `now` in percent of `before`, two decimals and signed;
/// none from zero.
pub fn change_percent(now: i64, before: i64) -> Option<String> {
    (before != 0).then(|| {
        let h = hundredths((now - before) * 10_000, before);
        format!("{}{}%", if h >= 0 { "+" } else { "" }, two_decimals(h))
    })
}

/// After the hierarchy changed (a subtree moved, a union's kind changed): the running totals
/// the modules keep per federation-level union are recomputed, in the same transaction.
pub async fn hierarchy_changed(tx: &mut crate::db::Tx) -> AppResult<()> {
    crate::casework::figures::rebuild_totals(tx).await?;
    crate::aid::totals::rebuild(tx).await?;
    crate::activities::reach::rebuild(tx).await
}

/// Every figure of the catalogue for a union's subtree and a period.
pub async fn catalogue(db: &Db, org: &Org, period: &Period) -> AppResult<Vec<FigureValue>> {
    let mut all = crate::registry::figures::compute(db, org, period).await?;
    all.extend(crate::casework::figures::compute(db, org, period).await?);
    all.extend(crate::aid::figures::compute(db, org, period).await?);
    all.extend(crate::funds::figures::compute(db, org, period).await?);
    all.extend(crate::contracts::figures::compute(db, org, period).await?);
    all.extend(crate::activities::figures::compute(db, org, period).await?);
    all.extend(crate::honours::figures::compute(db, org, period).await?);
    all.extend(crate::innovation::figures::compute(db, org, period).await?);
    all.extend(crate::research::figures::compute(db, org, period).await?);
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn values_are_shown_as_the_reports_write_them() {
        assert_eq!(wan(19_400_000), "19.40万元");
        assert_eq!(wan(1_924_999), "1.92万元");
        assert_eq!(wan(1_925_000), "1.93万元", "half rounds up");
        assert_eq!(
            Amount::Ratio { num: 73, den: 100 }.display(FigureUnit::Percent),
            "73.00%"
        );
        assert_eq!(
            Amount::Ratio { num: 2, den: 3 }.display(FigureUnit::Percent),
            "66.67%"
        );
        assert_eq!(
            Amount::Ratio { num: 0, den: 0 }.display(FigureUnit::Percent),
            "—"
        );
        assert_eq!(Amount::Ratio { num: 0, den: 0 }.number(), None);
        assert_eq!(
            Amount::Average { total: 10, n: 4 }.display(FigureUnit::Days),
            "2.50天"
        );
        // Huainan: 同比件次下降43.29% (462 → 262).
        assert_eq!(change_percent(262, 462).as_deref(), Some("-43.29%"));
        assert_eq!(change_percent(5, 0), None);
        assert_eq!(change_percent(4, 4).as_deref(), Some("+0.00%"));
    }

    proptest! {
        #[test]
        fn a_rate_is_between_zero_and_a_hundred(den in 1i64..1_000_000, k in 0u32..=100) {
            let num = den * i64::from(k) / 100;
            let v = Amount::Ratio { num, den }.number().unwrap();
            prop_assert!((0.0..=100.0).contains(&v));
            prop_assert!((v - num as f64 * 100.0 / den as f64).abs() <= 0.005 + 1e-9);
        }

        #[test]
        fn wan_is_within_half_a_hundred_yuan(fen in 0i64..10_000_000_000) {
            let shown = wan(fen);
            let v: f64 = shown.trim_end_matches("万元").parse().unwrap();
            prop_assert!((v * 1_000_000.0 - fen as f64).abs() <= 5_000.0 + 1e-6);
        }
    }
}
