//! The registry's figures in the shared catalogue: unions, members and employers of a
//! subtree and period (the same values as `GET /api/v1/stats`, drilled by
//! `GET /api/v1/stats/drill`).

use super::orgs::Org;
use super::stats::{Figure, Period, Stats};
use crate::db::Db;
use crate::error::AppResult;
use crate::figures::{Amount, FigureUnit, FigureValue};

/// Every registry figure: key, label, unit and definition.
const DEFS: &[(Figure, &str, FigureUnit, &str)] = &[
    (
        Figure::MembersAtEnd,
        "会员（期末）",
        FigureUnit::Persons,
        "统计期末在会的会员人数（按人计，不含退休会员）",
    ),
    (
        Figure::Joined,
        "期内新入会",
        FigureUnit::Persons,
        "统计期内入会的人数（转入不计）",
    ),
    (
        Figure::TransferredIn,
        "期内转入",
        FigureUnit::Persons,
        "统计期内从范围外转入的会员人数",
    ),
    (
        Figure::TransferredOut,
        "期内转出",
        FigureUnit::Persons,
        "统计期内转出到范围外的会员人数",
    ),
    (
        Figure::Left,
        "期内离会（含去世）",
        FigureUnit::Persons,
        "统计期内离会或去世的会员人数",
    ),
    (
        Figure::LeftAlive,
        "期内离会",
        FigureUnit::Persons,
        "统计期内离会的会员人数（不含去世）",
    ),
    (
        Figure::Deceased,
        "期内去世",
        FigureUnit::Persons,
        "统计期内去世的会员人数",
    ),
    (
        Figure::Retired,
        "期内退休",
        FigureUnit::Persons,
        "统计期内退休的会员人数（退休后保留会籍）",
    ),
    (
        Figure::RetiredAtEnd,
        "退休会员（期末）",
        FigureUnit::Persons,
        "统计期末保留会籍的退休会员人数",
    ),
    (
        Figure::FemaleAtEnd,
        "女职工会员",
        FigureUnit::Persons,
        "期末在会会员中的女性人数",
    ),
    (
        Figure::MigrantAtEnd,
        "农民工会员",
        FigureUnit::Persons,
        "期末在会会员中的农民工人数",
    ),
    (
        Figure::NewEmploymentAtEnd,
        "新就业形态会员",
        FigureUnit::Persons,
        "期末在会会员中属新就业形态群体（快递员、网约车司机、货车司机等）的人数",
    ),
    (
        Figure::UnionsAtEnd,
        "工会组织",
        FigureUnit::Unions,
        "统计期末存在的工会组织数（含本级）",
    ),
    (
        Figure::UnionsNew,
        "期内新建工会",
        FigureUnit::Unions,
        "统计期内成立的工会组织数",
    ),
    (
        Figure::EmployersCovered,
        "已建会单位",
        FigureUnit::Employers,
        "由范围内工会覆盖的单位数（当前）",
    ),
];

fn key_of(f: Figure) -> String {
    serde_json::to_value(f)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn value_of(
    s: &Stats,
    before: Option<&Stats>,
    f: Figure,
    def: (&str, FigureUnit, &str),
) -> FigureValue {
    let (label, unit, definition) = def;
    let amount = Amount::Count(s.value(f));
    let previous = before.map(|b| b.value(f));
    let key = key_of(f);
    FigureValue {
        drill: Some(format!(
            "/api/v1/stats/drill?figure={key}&org={}&from={}&to={}",
            s.org_code, s.from, s.to
        )),
        key: format!("registry.{key}"),
        module: "registry".into(),
        label: label.into(),
        unit,
        unit_label: unit.label().into(),
        definition: definition.into(),
        value: amount.number(),
        display: amount.display(unit),
        numerator: None,
        denominator: None,
        previous: previous.map(|p| p as f64),
        change_percent: previous.and_then(|p| crate::figures::change_percent(s.value(f), p)),
        parts: Vec::new(),
    }
}

pub async fn compute(db: &Db, org: &Org, period: &Period) -> AppResult<Vec<FigureValue>> {
    // 同比 as the dashboard gives it: only when the registry holds records from before the
    // same dates a year earlier.
    let o = super::overview::overview(db, org, period).await?;
    let (s, before) = (&o.stats, o.before.as_ref());
    let mut out: Vec<FigureValue> = DEFS
        .iter()
        .map(|(f, label, unit, def)| value_of(s, before, *f, (label, *unit, def)))
        .collect();
    // 入会率: members at end over the employees of the employers covered.
    let num = s.members.at_end;
    let den = s.employers.employees_of_covered;
    let rate = Amount::Ratio { num, den };
    out.push(FigureValue {
        key: "registry.membership_rate".into(),
        module: "registry".into(),
        label: "入会率".into(),
        unit: FigureUnit::Percent,
        unit_label: FigureUnit::Percent.label().into(),
        definition: "期末在会会员人数 ÷ 已建会单位职工人数".into(),
        value: rate.number(),
        display: rate.display(FigureUnit::Percent),
        numerator: Some(num),
        denominator: Some(den),
        previous: None,
        change_percent: None,
        parts: Vec::new(),
        drill: Some(format!(
            "/api/v1/stats/drill?figure=employers_covered&org={}&from={}&to={}",
            s.org_code, s.from, s.to
        )),
    });
    // 建会率: employers covered by a union over those and the employers of the area without one.
    let est = o.establishment;
    let rate = Amount::Ratio {
        num: est.covered,
        den: est.covered + est.uncovered,
    };
    out.push(FigureValue {
        key: "registry.establishment_rate".into(),
        module: "registry".into(),
        label: "建会率".into(),
        unit: FigureUnit::Percent,
        unit_label: FigureUnit::Percent.label().into(),
        definition: "已建会单位数 ÷（已建会单位数 + 本区域未建会单位数）".into(),
        value: rate.number(),
        display: rate.display(FigureUnit::Percent),
        numerator: Some(est.covered),
        denominator: Some(est.covered + est.uncovered),
        previous: None,
        change_percent: None,
        parts: Vec::new(),
        drill: Some(format!("/api/v1/units?uncovered=true&org={}", s.org_code)),
    });
    Ok(out)
}
