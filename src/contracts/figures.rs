//! The figures of collective bargaining for any subtree and date or period, in the catalogue.
//!
//! Coverage counts employers, not contracts: an employer bound by a single and a regional
//! contract of the same kind counts once for that kind and once in the total; employees are
//! the covered employers' headcounts at the date. 建制率 divides the employers with a union in
//! the subtree that a contract in force covers by all employers with a union in the subtree;
//! the 职代会 and 厂务公开 rates count the year's confirmed checklists the same way.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::contract::{Kind, Reach};
use crate::db::Db;
use crate::error::AppResult;
use crate::figures::{Amount, FigureUnit, FigureValue, parts};
use crate::registry::orgs::Org;
use crate::registry::scope::Scope;
use crate::registry::stats::Period;
use crate::workflow::Named;

/// Coverage of a subtree at the end of a day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Contracts in force (by the filing union), by kind and reach.
    pub contracts: BTreeMap<(String, String), i64>,
    /// Employers covered and their employees, by kind.
    pub by_kind: BTreeMap<String, (i64, i64)>,
    /// Employers covered by any contract, and their employees.
    pub employers: i64,
    pub employees: i64,
    /// Of the employers covered, those with a union.
    pub unionised_covered: i64,
    /// Employers with a union in the subtree (now).
    pub unionised: i64,
}

/// No contract is in force longer than its term, at most three years: a row in force at the end
/// of a day came into force at most this many days before. The bound lets the day-first index
/// read three years of rows for any date, not every row ever written.
pub const LONGEST_IN_FORCE_DAYS: u64 = 1_100;

/// The rows of `contract_units` in force at the end of `$3` in the subtree `$1`–`$2`; `$4` is
/// `$3` less [`LONGEST_IN_FORCE_DAYS`].
const IN_FORCE: &str = "FROM contract_units WHERE org_path >= $1 AND org_path < $2 AND valid_from <= $3 AND valid_from >= $4 AND valid_to >= $3";

/// The earliest day a row in force at the end of `at` can have come into force.
fn earliest_start(at: NaiveDate) -> String {
    (at - Days::new(LONGEST_IN_FORCE_DAYS)).to_string()
}

pub async fn coverage(db: &Db, path: &str, at: NaiveDate) -> AppResult<Coverage> {
    let (lo, hi) = Scope::subtree(path).range();
    let day = at.to_string();
    let earliest = earliest_start(at);
    let contracts_q = sqlx::query_as::<_, (String, String, i64)>(
        "SELECT kind, scope, COUNT(*) FROM contracts WHERE org_path >= $1 AND org_path < $2 AND valid_from <= $3 AND valid_from >= $4 \
         AND valid_to >= $3 GROUP BY kind, scope",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&day)
    .bind(&earliest)
    .fetch_all(db.pool());
    // One pass: each employer in force once, with a flag per kind, its headcount at the date
    // and whether it has a union; then the sums of all of them. Kind codes are the code's own.
    let kinds = Kind::all();
    let flags: Vec<String> = kinds
        .iter()
        .map(|k| {
            format!(
                "MAX(CASE WHEN kind = '{0}' THEN 1 ELSE 0 END) AS k_{0}",
                k.code()
            )
        })
        .collect();
    let sums: Vec<String> = kinds
        .iter()
        .map(|k| format!("CAST(COALESCE(SUM(k_{0}), 0) AS BIGINT), CAST(COALESCE(SUM(k_{0} * e), 0) AS BIGINT)", k.code()))
        .collect();
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(e), 0) AS BIGINT), CAST(COALESCE(SUM(unionised), 0) AS BIGINT), {} FROM \
         (SELECT x.*, COALESCE(h.employee_count, 0) AS e, CASE WHEN u.org_path IS NULL THEN 0 ELSE 1 END AS unionised FROM \
          (SELECT unit_id, {} {IN_FORCE} GROUP BY unit_id) x JOIN units u ON u.id = x.unit_id \
          LEFT JOIN unit_headcounts h ON h.unit_id = x.unit_id AND h.from_on <= $3 AND h.to_on >= $3) y",
        sums.join(", "),
        flags.join(", ")
    );
    let employers_q = sqlx::query(&sql)
        .bind(&lo)
        .bind(&hi)
        .bind(&day)
        .bind(&earliest)
        .fetch_one(db.pool());
    let unionised_q = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM units WHERE org_path >= $1 AND org_path < $2",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_one(db.pool());
    let (contracts, row, unionised) = tokio::try_join!(contracts_q, employers_q, unionised_q)?;
    use sqlx::Row;
    let n = |i: usize| row.try_get::<i64, _>(i);
    let mut by_kind = BTreeMap::new();
    for (i, k) in kinds.iter().enumerate() {
        let (employers, employees) = (n(3 + 2 * i)?, n(4 + 2 * i)?);
        if employers > 0 {
            by_kind.insert(k.code().to_string(), (employers, employees));
        }
    }
    Ok(Coverage {
        contracts: contracts.into_iter().map(|(k, r, n)| ((k, r), n)).collect(),
        by_kind,
        employers: n(0)?,
        employees: n(1)?,
        unionised_covered: n(2)?,
        unionised,
    })
}

/// The end of the three months after `day`.
pub fn three_months_after(day: NaiveDate) -> NaiveDate {
    day.checked_add_months(Months::new(3)).unwrap_or(day)
}

/// Counts of a subtree over a period: contracts signed in it, contracts in force at its end
/// that end within the three months after.
pub async fn period_counts(db: &Db, path: &str, period: &Period) -> AppResult<(i64, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let end = period.to.to_string();
    let horizon = three_months_after(period.to).to_string();
    let signed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM contracts WHERE signed_on >= $3 AND signed_on <= $4 AND org_path >= $1 AND org_path < $2 \
         AND status NOT IN ('draft','withdrawn')",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(period.from.to_string())
    .bind(&end)
    .fetch_one(db.pool())
    .await?;
    let expiring: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM contracts WHERE valid_from <= $3 AND valid_from >= $5 AND valid_to > $3 AND valid_to <= $4 \
         AND org_path >= $1 AND org_path < $2",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&end)
    .bind(&horizon)
    .bind(earliest_start(period.to))
    .fetch_one(db.pool())
    .await?;
    Ok((signed, expiring))
}

/// An employer a contract in force covers at a date, as the drill lists it.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Covered {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub unit_id: i64,
    pub uscc: String,
    pub name: String,
    /// Its union (none: covered by a regional or sector contract without one).
    pub org_name: Option<String>,
    /// Its headcount at the date.
    pub employees: i64,
    /// The kinds of contract in force for it, by code, comma-separated.
    pub kinds: String,
}

/// Which covered employers a drill lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoveredFilter {
    /// One kind of contract only.
    pub kind: Option<Kind>,
    /// Only employers with a union now (建制率's numerator).
    pub unionised: bool,
}

/// The employers of the subtree at `path` a contract in force covers at the end of `at`, as
/// `filter` narrows them, by name, `per_page` a page; and how many in all.
pub async fn covered(
    db: &Db,
    path: &str,
    at: NaiveDate,
    filter: CoveredFilter,
    (page, per_page): (i64, i64),
) -> AppResult<(Vec<Covered>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let day = at.to_string();
    let kind = filter.kind;
    let kind_cond = if kind.is_some() { " AND kind = $5" } else { "" };
    let unionised = if filter.unionised {
        " AND unit_id IN (SELECT id FROM units WHERE org_path IS NOT NULL)"
    } else {
        ""
    };
    let inner = format!("SELECT unit_id, kind {IN_FORCE}{kind_cond}{unionised}");
    let per_page = per_page.clamp(1, 5_000);
    let page = page.clamp(1, 100_000);
    let rows_sql = format!(
        "SELECT u.id AS unit_id, u.uscc, u.name, o.name AS org_name, COALESCE(h.employee_count, 0) AS employees, k.kinds FROM \
         (SELECT unit_id, {agg} AS kinds FROM ({inner}) x GROUP BY unit_id) k JOIN units u ON u.id = k.unit_id \
         LEFT JOIN orgs o ON o.id = u.org_id LEFT JOIN unit_headcounts h ON h.unit_id = u.id AND h.from_on <= $3 AND h.to_on >= $3 \
         ORDER BY u.name, u.id LIMIT {per_page} OFFSET {}",
        (page - 1) * per_page,
        agg = match db.backend() {
            crate::db::Backend::Sqlite => "group_concat(DISTINCT kind)",
            crate::db::Backend::Postgres => "string_agg(DISTINCT kind, ',')",
        }
    );
    let count_sql = format!("SELECT COUNT(DISTINCT unit_id) FROM ({inner}) x");
    let earliest = earliest_start(at);
    let mut rows_q = sqlx::query_as::<_, Covered>(&rows_sql)
        .bind(&lo)
        .bind(&hi)
        .bind(&day)
        .bind(&earliest);
    let mut count_q = sqlx::query_scalar::<_, i64>(&count_sql)
        .bind(&lo)
        .bind(&hi)
        .bind(&day)
        .bind(&earliest);
    if let Some(k) = kind {
        rows_q = rows_q.bind(k.code());
        count_q = count_q.bind(k.code());
    }
    let (rows, n) = tokio::try_join!(rows_q.fetch_all(db.pool()), count_q.fetch_one(db.pool()))?;
    Ok((rows, n))
}

fn rate(
    key: &str,
    label: &str,
    definition: &str,
    num: i64,
    den: i64,
    drill: Option<String>,
) -> FigureValue {
    let mut f = FigureValue::of(
        super::MODULE,
        key,
        label,
        FigureUnit::Percent,
        definition,
        Amount::Ratio { num, den },
        Vec::new(),
        drill,
    );
    f.numerator = Some(num);
    f.denominator = Some(den);
    f
}

/// Every collective-bargaining figure of `org`'s subtree: coverage at the period's end,
/// signings and offers over the period.
pub async fn compute(db: &Db, org: &Org, period: &Period) -> AppResult<Vec<FigureValue>> {
    let at = period.to;
    let year = i64::from(at.year());
    let (cov, (signed, expiring), (offered, targets), (congress, disclosure)) = tokio::try_join!(
        coverage(db, &org.path, at),
        period_counts(db, &org.path, period),
        super::offers::coverage(db, &org.path, period.from, period.to),
        super::democracy::established(db, &org.path, year),
    )?;
    let q = format!("org={}&at={at}", org.code);
    let in_force: i64 = cov.contracts.values().sum();
    let mut by_kind: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_reach: BTreeMap<String, i64> = BTreeMap::new();
    for ((k, r), n) in &cov.contracts {
        *by_kind.entry(k.clone()).or_default() += n;
        *by_reach.entry(r.clone()).or_default() += n;
    }
    let mut contract_parts = parts::<Kind>("合同类别", by_kind.into_iter());
    contract_parts.extend(parts::<Reach>("签订形式", by_reach.into_iter()));
    let covered = Some(format!("/api/v1/contracts/covered?{q}"));
    Ok(vec![
        FigureValue::of(
            super::MODULE,
            "contracts.in_force",
            "有效集体合同",
            FigureUnit::Contracts,
            "统计期末处于有效期内的集体合同份数（按签订工会统计；区域性、行业性合同每份计一份）",
            Amount::Count(in_force),
            contract_parts,
            Some(format!(
                "/api/v1/contracts?in_force_on={at}&org={}",
                org.code
            )),
        ),
        FigureValue::of(
            super::MODULE,
            "contracts.employers",
            "集体合同覆盖单位",
            FigureUnit::Employers,
            "统计期末有效合同覆盖的单位数：同一单位被多份合同覆盖只计一家（分类别时每类计一次）",
            Amount::Count(cov.employers),
            parts::<Kind>(
                "合同类别",
                cov.by_kind.iter().map(|(k, v)| (k.clone(), v.0)),
            ),
            covered.clone(),
        ),
        FigureValue::of(
            super::MODULE,
            "contracts.employees",
            "集体合同覆盖职工",
            FigureUnit::Persons,
            "统计期末有效合同覆盖单位在该日的职工人数合计，每家单位只计一次",
            Amount::Count(cov.employees),
            parts::<Kind>(
                "合同类别",
                cov.by_kind.iter().map(|(k, v)| (k.clone(), v.1)),
            ),
            covered,
        ),
        rate(
            "contracts.rate",
            "集体合同建制率",
            "统计期末有有效集体合同的已建会单位数 ÷ 已建会单位数（当前）",
            cov.unionised_covered,
            cov.unionised,
            Some(format!("/api/v1/contracts/covered?{q}&unionised=true")),
        ),
        rate(
            "contracts.congress_rate",
            "职代会建制率",
            "统计期末所在年度经确认建立职代会（职工大会）制度的已建会单位数 ÷ 已建会单位数（当前）",
            congress,
            cov.unionised,
            Some(format!(
                "/api/v1/contracts/checklists?org={}&year={year}&has=congress",
                org.code
            )),
        ),
        rate(
            "contracts.disclosure_rate",
            "厂务公开建制率",
            "统计期末所在年度经确认实行厂务公开的已建会单位数 ÷ 已建会单位数（当前）",
            disclosure,
            cov.unionised,
            Some(format!(
                "/api/v1/contracts/checklists?org={}&year={year}&has=disclosure",
                org.code
            )),
        ),
        rate(
            "contracts.offer_coverage",
            "要约覆盖面",
            "统计期内开展的要约行动中已发出要约的目标单位数 ÷ 目标单位数（同一单位只计一次）",
            offered,
            targets,
            Some("/api/v1/contracts/campaigns".into()),
        ),
        FigureValue::of(
            super::MODULE,
            "contracts.signed",
            "期内签订集体合同",
            FigureUnit::Contracts,
            "统计期内签订的集体合同份数（不含草案和作废的）",
            Amount::Count(signed),
            Vec::new(),
            Some(format!(
                "/api/v1/contracts?org={}&signed_from={}&signed_to={at}",
                org.code, period.from
            )),
        ),
        FigureValue::of(
            super::MODULE,
            "contracts.expiring",
            "三个月内到期合同",
            FigureUnit::Contracts,
            "统计期末有效、并将在其后三个月内期满的集体合同份数",
            Amount::Count(expiring),
            Vec::new(),
            Some(format!(
                "/api/v1/contracts?org={}&in_force_on={at}&ends_after={at}&ends_by={}",
                org.code,
                three_months_after(at)
            )),
        ),
    ])
}
