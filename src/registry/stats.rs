//! Registry statistics for any union subtree and any period (DOMAIN.md §9). Head counts are
//! distinct persons. Every figure can be drilled into: [`drill`] returns the rows behind it.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::counters;
use super::members::{MemberView, VIEW_SELECT};
use super::orgs::{self, Org, OrgKind};
use super::scope::Scope;
use super::units::Unit;
use crate::db::{Backend, Db};
use crate::error::{AppError, AppResult};

#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    pub org_code: String,
    pub org_name: String,
    pub from: String,
    pub to: String,
    pub unions: UnionStats,
    pub members: MemberStats,
    pub employers: EmployerStats,
}

impl Stats {
    /// The value of one figure: how many records its drill lists.
    pub fn value(&self, figure: Figure) -> i64 {
        let m = &self.members;
        match figure {
            Figure::MembersAtEnd => m.at_end,
            Figure::RetiredAtEnd => m.retired_at_end,
            Figure::FemaleAtEnd => m.female_at_end,
            Figure::MigrantAtEnd => m.migrant_at_end,
            Figure::NewEmploymentAtEnd => m.new_employment_at_end,
            Figure::Joined => m.joined,
            Figure::Left => m.left,
            Figure::LeftAlive => m.left - m.deceased,
            Figure::Deceased => m.deceased,
            Figure::TransferredIn => m.transferred_in,
            Figure::TransferredOut => m.transferred_out,
            Figure::Retired => m.retired_in_period,
            Figure::UnionsAtEnd => self.unions.at_end,
            Figure::UnionsNew => self.unions.new_in_period,
            Figure::EmployersCovered => self.employers.covered,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KindCount {
    pub kind: String,
    pub label: String,
    pub at_end: i64,
    pub new_in_period: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnionStats {
    /// Unions in the subtree (the root included) existing at period end.
    pub at_end: i64,
    pub new_in_period: i64,
    pub new_employment_at_end: i64,
    pub standardised_at_end: i64,
    pub by_kind: Vec<KindCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupCount {
    pub group: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberStats {
    /// Active members at period end (retired members kept separately).
    pub at_end: i64,
    pub at_start: i64,
    pub joined: i64,
    pub left: i64,
    /// Of `left`, deaths.
    pub deceased: i64,
    pub transferred_in: i64,
    pub transferred_out: i64,
    /// Active members who retired in the period (they keep their membership as retired members).
    pub retired_in_period: i64,
    /// at_end − at_start.
    pub net_change: i64,
    pub retired_at_end: i64,
    pub female_at_end: i64,
    pub migrant_at_end: i64,
    pub new_employment_at_end: i64,
    pub new_employment_by_group: Vec<GroupCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmployerStats {
    /// Employers covered by a union in the subtree (current coverage).
    pub covered: i64,
    pub employees_of_covered: i64,
    pub small_micro_covered: i64,
    /// members at end ÷ employees of covered employers, in percent (two decimals); null without employees.
    pub membership_rate_percent: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Union code; default: the top of the caller's scope.
    pub org: Option<String>,
    /// Period start (YYYY-MM-DD); default: 1 January of `to`'s year.
    pub from: Option<String>,
    /// Period end (YYYY-MM-DD); default: today.
    pub to: Option<String>,
}

/// One group of the stock pass: (group, at end, female, migrant, at start, retired).
type StockRow = (Option<String>, i64, i64, i64, i64, i64);

pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

pub async fn resolve(db: &Db, scope: &Scope, q: &StatsQuery) -> AppResult<(Org, Period)> {
    let org = match q.org.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(code) => orgs::get_by_code(db, scope, code).await?,
        None => orgs::scope_root(db, scope)
            .await?
            .ok_or_else(|| AppError::not_found("工会"))?,
    };
    let to = match q.to.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => crate::types::parse_date(s)?,
        None => chrono::Local::now().date_naive(),
    };
    let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => crate::types::parse_date(s)?,
        None => NaiveDate::from_ymd_opt(chrono::Datelike::year(&to), 1, 1).expect("valid"),
    };
    if from > to {
        return Err(AppError::invalid("统计开始日期不能晚于结束日期"));
    }
    Ok((org, Period { from, to }))
}

async fn scalar(db: &Db, sql: &str, args: &[&str]) -> AppResult<i64> {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for a in args {
        q = q.bind(a.to_string());
    }
    Ok(q.fetch_one(db.pool()).await?)
}

/// Conditions (on memberships `s`) for each member figure; `$1`/`$2` are the path range,
/// `$3` the period start, `$4` the period end.
fn member_condition(figure: Figure) -> Option<&'static str> {
    Some(match figure {
        Figure::MembersAtEnd
        | Figure::FemaleAtEnd
        | Figure::MigrantAtEnd
        | Figure::NewEmploymentAtEnd => {
            "s.org_path >= $1 AND s.org_path < $2 AND s.retained = 0 AND s.start_date <= $4 AND (s.end_date IS NULL OR s.end_date > $4) AND $3 = $3"
        }
        Figure::RetiredAtEnd => {
            "s.org_path >= $1 AND s.org_path < $2 AND s.retained = 1 AND s.start_date <= $4 AND (s.end_date IS NULL OR s.end_date > $4) AND $3 = $3"
        }
        Figure::Joined => {
            "s.org_path >= $1 AND s.org_path < $2 AND s.start_reason = 'join' AND s.start_date >= $3 AND s.start_date <= $4"
        }
        Figure::Left => {
            "s.org_path >= $1 AND s.org_path < $2 AND s.end_reason IN ('leave','death') AND s.end_date >= $3 AND s.end_date <= $4"
        }
        Figure::LeftAlive => {
            "s.org_path >= $1 AND s.org_path < $2 AND s.end_reason = 'leave' AND s.end_date >= $3 AND s.end_date <= $4"
        }
        Figure::Deceased => {
            "s.org_path >= $1 AND s.org_path < $2 AND s.end_reason = 'death' AND s.end_date >= $3 AND s.end_date <= $4"
        }
        Figure::Retired => {
            "s.org_path >= $1 AND s.org_path < $2 AND s.end_reason = 'retire' AND s.retained = 0 AND s.end_date >= $3 AND s.end_date <= $4"
        }
        Figure::TransferredIn => {
            "s.org_path >= $1 AND s.org_path < $2 AND s.start_reason = 'transfer_in' AND s.start_date >= $3 AND s.start_date <= $4 \
             AND NOT EXISTS (SELECT 1 FROM memberships p WHERE p.member_id = s.member_id AND p.end_reason = 'transfer_out' \
             AND p.end_date = s.start_date AND p.org_path >= $1 AND p.org_path < $2)"
        }
        Figure::TransferredOut => {
            "s.org_path >= $1 AND s.org_path < $2 AND s.end_reason = 'transfer_out' AND s.end_date >= $3 AND s.end_date <= $4 \
             AND NOT EXISTS (SELECT 1 FROM memberships n WHERE n.member_id = s.member_id AND n.start_reason = 'transfer_in' \
             AND n.start_date = s.end_date AND n.org_path >= $1 AND n.org_path < $2)"
        }
        _ => return None,
    })
}

fn extra_person_condition(figure: Figure) -> &'static str {
    match figure {
        Figure::FemaleAtEnd => " AND p.sex = '女'",
        Figure::MigrantAtEnd => " AND p.migrant = 1",
        Figure::NewEmploymentAtEnd => " AND p.nef_group IS NOT NULL",
        _ => "",
    }
}

/// Member figures of a subtree and period: the stock pass by group, then joined, left,
/// deceased, transferred in and out (distinct persons).
struct MemberFigures {
    stock: Vec<StockRow>,
    flows: [i64; 6],
}

/// The statistics of `org`'s subtree over `period`. Federation-level unions read their running
/// totals (see [`counters`]); the others compute from the history.
pub async fn compute(db: &Db, org: &Org, period: &Period) -> AppResult<Stats> {
    let members = if counters::is_counted(&org.kind) {
        member_figures_from_totals(db, org, period).await?
    } else {
        member_figures_from_history(db, org, period).await?
    };
    assemble(db, org, period, members).await
}

/// The same statistics computed from the membership history only, whatever the union: the
/// reference the running totals are checked against.
pub async fn compute_from_history(db: &Db, org: &Org, period: &Period) -> AppResult<Stats> {
    let members = member_figures_from_history(db, org, period).await?;
    assemble(db, org, period, members).await
}

/// Conditions of the six flow figures, in [`MemberFigures::flows`] order.
fn flow_conditions() -> [String; 6] {
    let cond = |f: Figure| member_condition(f).expect("member figure").to_string();
    let left = cond(Figure::Left);
    let deceased = cond(Figure::Deceased);
    [
        cond(Figure::Joined),
        left,
        deceased,
        cond(Figure::TransferredIn),
        cond(Figure::TransferredOut),
        cond(Figure::Retired),
    ]
}

async fn member_figures_from_history(
    db: &Db,
    org: &Org,
    period: &Period,
) -> AppResult<MemberFigures> {
    let (lo, hi) = Scope::subtree(&org.path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let day_before = (period.from - Duration::days(1)).to_string();
    let args = [lo.as_str(), hi.as_str(), from.as_str(), to.as_str()];

    // Stock at both ends of the period, retired members and every breakdown in one pass over
    // the spells that overlap the period ($4 = end, $5 = the day before the start).
    const COVERS_END: &str = "s.start_date <= $4 AND (s.end_date IS NULL OR s.end_date > $4)";
    const COVERS_START: &str = "s.start_date <= $5 AND (s.end_date IS NULL OR s.end_date > $5)";
    let stock_sql = format!(
        "SELECT p.nef_group, \
         CAST(SUM(CASE WHEN s.retained = 0 AND {COVERS_END} THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN s.retained = 0 AND {COVERS_END} AND p.sex = '女' THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN s.retained = 0 AND {COVERS_END} THEN p.migrant ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN s.retained = 0 AND {COVERS_START} THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN s.retained = 1 AND {COVERS_END} THEN 1 ELSE 0 END) AS BIGINT) \
         FROM memberships s JOIN members p ON p.id = s.member_id \
         WHERE s.org_path >= $1 AND s.org_path < $2 AND s.start_date <= $4 AND (s.end_date IS NULL OR s.end_date > $5) AND $3 = $3 \
         GROUP BY p.nef_group"
    );
    let [
        joined_sql,
        left_sql,
        deceased_sql,
        in_sql,
        out_sql,
        retired_sql,
    ] = flow_conditions().map(|c| {
        format!("SELECT CAST(COUNT(DISTINCT s.member_id) AS BIGINT) FROM memberships s WHERE {c}")
    });
    let stock_q = async {
        let rows: Vec<StockRow> = sqlx::query_as(&stock_sql)
            .bind(&lo)
            .bind(&hi)
            .bind(&from)
            .bind(&to)
            .bind(&day_before)
            .fetch_all(db.pool())
            .await?;
        Ok::<_, AppError>(rows)
    };
    // PostgreSQL runs the independent queries at once (one backend process each, both cores).
    // SQLite is faster one after another: the big pass needs both cores and a warm page cache.
    let (stock, joined, left, deceased, transferred_in, transferred_out, retired) =
        if db.backend() == Backend::Postgres {
            tokio::try_join!(
                stock_q,
                scalar(db, &joined_sql, &args),
                scalar(db, &left_sql, &args),
                scalar(db, &deceased_sql, &args),
                scalar(db, &in_sql, &args),
                scalar(db, &out_sql, &args),
                scalar(db, &retired_sql, &args),
            )?
        } else {
            (
                stock_q.await?,
                scalar(db, &joined_sql, &args).await?,
                scalar(db, &left_sql, &args).await?,
                scalar(db, &deceased_sql, &args).await?,
                scalar(db, &in_sql, &args).await?,
                scalar(db, &out_sql, &args).await?,
                scalar(db, &retired_sql, &args).await?,
            )
        };
    Ok(MemberFigures {
        stock,
        flows: [
            joined,
            left,
            deceased,
            transferred_in,
            transferred_out,
            retired,
        ],
    })
}

/// Member figures from the running totals: one pass over the union's days up to the period
/// end, plus the few people with repeated events, read from the history so that head counts
/// stay counts of persons.
async fn member_figures_from_totals(
    db: &Db,
    org: &Org,
    period: &Period,
) -> AppResult<MemberFigures> {
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let day_before = (period.from - Duration::days(1)).to_string();
    type TotalsRow = (
        String,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    let totals: Vec<TotalsRow> = sqlx::query_as(
        "SELECT nef_group, CAST(SUM(members) AS BIGINT), CAST(SUM(female) AS BIGINT), CAST(SUM(migrant) AS BIGINT), \
         CAST(SUM(CASE WHEN day <= $2 THEN members ELSE 0 END) AS BIGINT), CAST(SUM(retired) AS BIGINT), \
         CAST(SUM(CASE WHEN day >= $3 THEN joined ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN day >= $3 THEN left_union ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN day >= $3 THEN deceased ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN day >= $3 THEN transferred_in ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN day >= $3 THEN transferred_out ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN day >= $3 THEN retirements ELSE 0 END) AS BIGINT) \
         FROM stat_deltas WHERE node_id = $1 AND day <= $4 GROUP BY nef_group",
    )
    .bind(org.id)
    .bind(&day_before)
    .bind(&from)
    .bind(&to)
    .fetch_all(db.pool())
    .await?;
    let mut flows = [0i64; 6];
    let mut stock = Vec::with_capacity(totals.len());
    for r in totals {
        for (f, v) in flows.iter_mut().zip([r.6, r.7, r.8, r.9, r.10, r.11]) {
            *f += v;
        }
        let group = Some(r.0).filter(|g| !g.is_empty());
        stock.push((group, r.1, r.2, r.3, r.4, r.5));
    }
    // Events minus persons among the people with repeated events, per flow figure.
    let (lo, hi) = Scope::subtree(&org.path).range();
    let sums = flow_conditions()
        .map(|c| format!("CAST(SUM(CASE WHEN {c} THEN 1 ELSE 0 END) AS BIGINT)"))
        .join(", ");
    let per_person: Vec<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT {sums} FROM memberships s \
         WHERE s.member_id IN (SELECT member_id FROM repeat_members) AND s.org_path >= $1 AND s.org_path < $2 \
         GROUP BY s.member_id"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .fetch_all(db.pool())
    .await?;
    for r in per_person {
        for (f, n) in flows.iter_mut().zip([r.0, r.1, r.2, r.3, r.4, r.5]) {
            *f -= (n - 1).max(0);
        }
    }
    Ok(MemberFigures { stock, flows })
}

async fn assemble(db: &Db, org: &Org, period: &Period, figures: MemberFigures) -> AppResult<Stats> {
    let (lo, hi) = Scope::subtree(&org.path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let MemberFigures { stock, flows } = figures;
    let [
        joined,
        left,
        deceased,
        transferred_in,
        transferred_out,
        retired_in_period,
    ] = flows;
    // Unions: existing at period end = founded on or before the end (or undated) and not closed by then.
    let kinds_q = async {
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT kind, \
             CAST(SUM(CASE WHEN (founded_on IS NULL OR founded_on <= $4) AND (closed_on IS NULL OR closed_on > $4) THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN founded_on >= $3 AND founded_on <= $4 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN new_employment = 1 AND (founded_on IS NULL OR founded_on <= $4) AND (closed_on IS NULL OR closed_on > $4) THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN standardised = 1 AND (founded_on IS NULL OR founded_on <= $4) AND (closed_on IS NULL OR closed_on > $4) THEN 1 ELSE 0 END) AS BIGINT) \
             FROM orgs WHERE path >= $1 AND path < $2 GROUP BY kind",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(&from)
        .bind(&to)
        .fetch_all(db.pool())
        .await?;
        Ok::<_, AppError>(rows)
    };
    let units_q = async {
        let row: (i64, i64, i64) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(employee_count), 0) AS BIGINT), CAST(COALESCE(SUM(small_micro), 0) AS BIGINT) \
             FROM units WHERE org_path >= $1 AND org_path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_one(db.pool())
        .await?;
        Ok::<_, AppError>(row)
    };
    let (kinds, (covered, employees, small)) = tokio::try_join!(kinds_q, units_q)?;
    let sum = |f: fn(&StockRow) -> i64| stock.iter().map(f).sum::<i64>();
    let (at_end, female, migrant, at_start, retired) = (
        sum(|r| r.1),
        sum(|r| r.2),
        sum(|r| r.3),
        sum(|r| r.4),
        sum(|r| r.5),
    );
    let nef = stock
        .iter()
        .filter(|r| r.0.is_some())
        .map(|r| r.1)
        .sum::<i64>();
    let mut groups: Vec<GroupCount> = stock
        .iter()
        .filter_map(|r| {
            r.0.clone()
                .filter(|_| r.1 > 0)
                .map(|group| GroupCount { group, count: r.1 })
        })
        .collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.group.cmp(&b.group)));
    let by_kind: Vec<KindCount> = OrgKind::ALL
        .iter()
        .filter_map(|k| {
            kinds.iter().find(|r| r.0 == k.code()).map(|r| KindCount {
                kind: k.code().into(),
                label: k.label().into(),
                at_end: r.1,
                new_in_period: r.2,
            })
        })
        .collect();
    let unions = UnionStats {
        at_end: kinds.iter().map(|r| r.1).sum(),
        new_in_period: kinds.iter().map(|r| r.2).sum(),
        new_employment_at_end: kinds.iter().map(|r| r.3).sum(),
        standardised_at_end: kinds.iter().map(|r| r.4).sum(),
        by_kind,
    };
    let rate =
        (employees > 0).then(|| (at_end as f64 * 10000.0 / employees as f64).round() / 100.0);
    Ok(Stats {
        org_code: org.code.clone(),
        org_name: org.name.clone(),
        from,
        to,
        unions,
        members: MemberStats {
            at_end,
            at_start,
            joined,
            left,
            deceased,
            transferred_in,
            transferred_out,
            retired_in_period,
            net_change: at_end - at_start,
            retired_at_end: retired,
            female_at_end: female,
            migrant_at_end: migrant,
            new_employment_at_end: nef,
            new_employment_by_group: groups,
        },
        employers: EmployerStats {
            covered,
            employees_of_covered: employees,
            small_micro_covered: small,
            membership_rate_percent: rate,
        },
    })
}

/// The figures that can be drilled into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    MembersAtEnd,
    RetiredAtEnd,
    FemaleAtEnd,
    MigrantAtEnd,
    NewEmploymentAtEnd,
    Joined,
    /// Left the union in the period: by leaving or by death.
    Left,
    /// Of those, by leaving.
    LeftAlive,
    /// Of those, by death.
    Deceased,
    TransferredIn,
    TransferredOut,
    Retired,
    UnionsAtEnd,
    UnionsNew,
    EmployersCovered,
}

#[derive(Debug, Clone, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillQuery {
    pub org: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub figure: Figure,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "record_kind", content = "rows", rename_all = "snake_case")]
pub enum DrillRows {
    Members(Vec<DrillPerson>),
    Unions(Vec<Org>),
    Employers(Vec<Unit>),
}

/// One person behind a member figure.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum DrillPerson {
    /// In the caller's subtree today: the record as the member list shows it.
    InScope(Box<MemberView>),
    /// Counted in the figure but outside the caller's subtree today (moved away since):
    /// only what the figure needs.
    Elsewhere(PersonElsewhere),
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonElsewhere {
    /// Always true: marks a person now outside the caller's subtree.
    pub elsewhere: bool,
    /// The name with all but its first character hidden (张**).
    pub name_masked: String,
    /// The date the figure counts: joined on (stocks, joins, transfers in), left or
    /// transferred on (leavers, transfers out).
    pub date: String,
    /// The union the person went to afterwards, if they went to one.
    pub went_to: Option<String>,
}

impl DrillPerson {
    pub fn member(&self) -> Option<&MemberView> {
        match self {
            DrillPerson::InScope(m) => Some(m),
            DrillPerson::Elsewhere(_) => None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Drill {
    pub figure: Figure,
    pub page: i64,
    pub per_page: i64,
    pub has_more: bool,
    pub records: DrillRows,
}

/// The records behind one figure, a page at a time. `scope` is the caller's: a person counted
/// in the figure who is outside it today appears with a masked name, the date and where they
/// went, never with their current record.
pub async fn drill(
    db: &Db,
    scope: &Scope,
    org: &Org,
    period: &Period,
    figure: Figure,
    page: i64,
    per_page: i64,
) -> AppResult<Drill> {
    let (lo, hi) = Scope::subtree(&org.path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let paging = crate::db::Paging::new(Some(page), Some(per_page), 50);
    let (page, per_page) = (paging.page, paging.per_page);
    let limit = format!("LIMIT {} OFFSET {}", per_page + 1, paging.offset());
    let records = if let Some(cond) = member_condition(figure) {
        let spells =
            drill_member_spells(db, figure, cond, [&lo, &hi, &from, &to], page, per_page).await?;
        DrillRows::Members(drill_people(db, scope, figure, &spells).await?)
    } else if figure == Figure::EmployersCovered {
        let sql = "SELECT u.id, u.uscc, u.uscc_check_ok, u.name, u.ownership, u.small_micro, u.industry, u.region_code, u.employee_count, \
                   u.org_id, o.code AS org_code, o.name AS org_name FROM units u LEFT JOIN orgs o ON o.id = u.org_id \
                   WHERE u.org_path >= $1 AND u.org_path < $2 ORDER BY u.name, u.id ";
        DrillRows::Employers(
            sqlx::query_as(&format!("{sql}{limit}"))
                .bind(&lo)
                .bind(&hi)
                .fetch_all(db.pool())
                .await?,
        )
    } else {
        let cond = if figure == Figure::UnionsNew {
            "founded_on >= $3 AND founded_on <= $4"
        } else {
            "(founded_on IS NULL OR founded_on <= $4) AND (closed_on IS NULL OR closed_on > $4) AND $3 = $3"
        };
        let sql = format!(
            "SELECT id, code, name, kind, parent_id, path, depth, region_code, founded_on, new_employment, industry, standardised, status, closed_on \
             FROM orgs WHERE path >= $1 AND path < $2 AND {cond} ORDER BY path {limit}"
        );
        DrillRows::Unions(
            sqlx::query_as(&sql)
                .bind(&lo)
                .bind(&hi)
                .bind(&from)
                .bind(&to)
                .fetch_all(db.pool())
                .await?,
        )
    };
    let (records, has_more) = match records {
        DrillRows::Members(mut v) => {
            let more = v.len() as i64 > per_page;
            v.truncate(per_page as usize);
            (DrillRows::Members(v), more)
        }
        DrillRows::Unions(mut v) => {
            let more = v.len() as i64 > per_page;
            v.truncate(per_page as usize);
            (DrillRows::Unions(v), more)
        }
        DrillRows::Employers(mut v) => {
            let more = v.len() as i64 > per_page;
            v.truncate(per_page as usize);
            (DrillRows::Employers(v), more)
        }
    };
    Ok(Drill {
        figure,
        page,
        per_page,
        has_more,
        records,
    })
}

/// The people behind a member figure, one page (plus one, to tell whether more follow).
/// Events (joined, left, transfers) list the most recent first; members at the period end
/// list union by union. Both walk an index in that order and stop at the page, whatever the
/// size of the subtree; a person with two events in the period is listed once, at the later.
async fn drill_member_spells(
    db: &Db,
    figure: Figure,
    cond: &str,
    args: [&String; 4],
    page: i64,
    per_page: i64,
) -> AppResult<Vec<Spell>> {
    let order = match figure {
        Figure::Joined | Figure::TransferredIn => "s.start_date DESC, s.id DESC",
        Figure::Left
        | Figure::LeftAlive
        | Figure::Deceased
        | Figure::TransferredOut
        | Figure::Retired => "s.end_date DESC, s.id DESC",
        _ => "s.org_path, s.start_date, s.id",
    };
    let person = extra_person_condition(figure);
    let join = if person.is_empty() {
        ""
    } else {
        " JOIN members p ON p.id = s.member_id"
    };
    let wanted = (page * per_page + 1) as usize;
    let skip = ((page - 1) * per_page) as usize;
    // Repeated events are rare: fetch what the page needs and fetch more only if
    // duplicates left it short.
    let mut limit = wanted;
    loop {
        let sql = format!(
            "SELECT s.id, s.member_id, s.start_date, s.end_date FROM memberships s{join} WHERE {cond}{person} ORDER BY {order} LIMIT {limit}"
        );
        let mut q = sqlx::query_as::<_, Spell>(&sql);
        for a in args {
            q = q.bind(a.clone());
        }
        let rows = q.fetch_all(db.pool()).await?;
        let mut seen = std::collections::HashSet::new();
        let distinct: Vec<Spell> = rows
            .iter()
            .filter(|s| seen.insert(s.member_id))
            .cloned()
            .collect();
        if distinct.len() >= wanted || rows.len() < limit {
            return Ok(distinct.into_iter().skip(skip).collect());
        }
        limit *= 2;
    }
}

/// The membership spell that put a person into a figure.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Spell {
    id: i64,
    member_id: i64,
    start_date: String,
    end_date: Option<String>,
}

/// The people behind a page of spells, in order: whole records for those in the caller's
/// subtree today, the figure's facts only for the others.
async fn drill_people(
    db: &Db,
    scope: &Scope,
    figure: Figure,
    spells: &[Spell],
) -> AppResult<Vec<DrillPerson>> {
    let ids: Vec<i64> = spells.iter().map(|s| s.member_id).collect();
    let mut views: HashMap<i64, MemberView> = member_views_in_order(db, &ids)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let paths: HashMap<i64, Option<String>> = if ids.is_empty() {
        HashMap::new()
    } else {
        let sql = format!(
            "SELECT id, org_path FROM members WHERE id IN ({})",
            crate::db::in_list(ids.len())
        );
        let mut q = sqlx::query_as::<_, (i64, Option<String>)>(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(db.pool()).await?.into_iter().collect()
    };
    let mut out = Vec::with_capacity(spells.len());
    for spell in spells {
        let Some(view) = views.remove(&spell.member_id) else {
            continue;
        };
        let in_scope = match paths.get(&spell.member_id).cloned().flatten() {
            Some(p) => scope.contains(&p),
            None => scope.is_all(),
        };
        if in_scope {
            out.push(DrillPerson::InScope(Box::new(view)));
            continue;
        }
        let date = match figure {
            Figure::Left
            | Figure::LeftAlive
            | Figure::Deceased
            | Figure::TransferredOut
            | Figure::Retired => spell.end_date.clone(),
            _ => None,
        }
        .unwrap_or_else(|| spell.start_date.clone());
        // Where they went: the union of the first spell that began when (or after) this one ended.
        let after = spell
            .end_date
            .clone()
            .unwrap_or_else(|| spell.start_date.clone());
        let went_to: Option<String> = sqlx::query_scalar(
            "SELECT o.name FROM memberships s JOIN orgs o ON o.id = s.org_id              WHERE s.member_id = $1 AND s.start_date >= $2 AND s.id <> $3 ORDER BY s.start_date, s.created_at LIMIT 1",
        )
        .bind(spell.member_id)
        .bind(&after)
        .bind(spell.id)
        .fetch_optional(db.pool())
        .await?;
        out.push(DrillPerson::Elsewhere(PersonElsewhere {
            elsewhere: true,
            name_masked: crate::crypto::mask_name(&view.name),
            date,
            went_to,
        }));
    }
    Ok(out)
}

/// The members with `ids`, in that order.
async fn member_views_in_order(db: &Db, ids: &[i64]) -> AppResult<Vec<MemberView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{VIEW_SELECT} WHERE m.id IN ({})",
        crate::db::in_list(ids.len())
    );
    let mut q = sqlx::query_as::<_, MemberView>(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let mut by_id: HashMap<i64, MemberView> = q
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Active members at the end of each of the `months` months up to `today`'s month, from the
/// figure at `today` rolled back by the memberships that started or ended since each month
/// end (a person has at most one open membership, so spells count persons).
pub async fn members_by_month(
    db: &Db,
    org: &Org,
    active_today: i64,
    today: NaiveDate,
    months: u32,
) -> AppResult<Vec<(String, i64)>> {
    use chrono::Datelike;
    let (lo, hi) = Scope::subtree(&org.path).range();
    let mut first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("valid");
    for _ in 1..months {
        first = first
            .pred_opt()
            .map(|d| NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("valid"))
            .expect("in range");
    }
    let since = (first - Duration::days(1)).to_string();
    let until = today.to_string();
    let grouped = |column: &str| {
        format!(
            "SELECT SUBSTR({column}, 1, 7), CAST(COUNT(*) AS BIGINT) FROM memberships \
             WHERE org_path >= $1 AND org_path < $2 AND retained = 0 AND {column} > $3 AND {column} <= $4 \
             GROUP BY SUBSTR({column}, 1, 7)"
        )
    };
    let fetch = |sql: String| {
        let (lo, hi, since, until) = (lo.clone(), hi.clone(), since.clone(), until.clone());
        async move {
            let rows: Vec<(String, i64)> = sqlx::query_as(&sql)
                .bind(lo)
                .bind(hi)
                .bind(since)
                .bind(until)
                .fetch_all(db.pool())
                .await?;
            Ok::<_, AppError>(rows.into_iter().collect::<HashMap<_, _>>())
        }
    };
    // Net change of active members per month: from the running totals of a federation-level
    // union, else spells started minus spells ended.
    let net: HashMap<String, i64> = if counters::is_counted(&org.kind) {
        sqlx::query_as::<_, (String, i64)>(
            "SELECT SUBSTR(day, 1, 7), CAST(SUM(members) AS BIGINT) FROM stat_deltas \
             WHERE node_id = $1 AND day > $2 AND day <= $3 GROUP BY SUBSTR(day, 1, 7)",
        )
        .bind(org.id)
        .bind(&since)
        .bind(&until)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .collect()
    } else {
        let starts = fetch(grouped("start_date")).await?;
        let ends = fetch(grouped("end_date")).await?;
        let mut net = starts;
        for (month, n) in ends {
            *net.entry(month).or_default() -= n;
        }
        net
    };
    // Walk back from this month: the figure at the end of month m is the figure at the end of
    // month m+1 minus what started in m+1 plus what ended in m+1.
    let mut labels = Vec::new();
    let mut d = first;
    for _ in 0..months {
        labels.push(format!("{:04}-{:02}", d.year(), d.month()));
        d = NaiveDate::from_ymd_opt(
            if d.month() == 12 {
                d.year() + 1
            } else {
                d.year()
            },
            d.month() % 12 + 1,
            1,
        )
        .expect("valid");
    }
    let mut out = vec![0i64; labels.len()];
    let mut value = active_today;
    for i in (0..labels.len()).rev() {
        out[i] = value;
        let m = &labels[i];
        value -= net.get(m).copied().unwrap_or(0);
    }
    Ok(labels.into_iter().zip(out).collect())
}

/// One union directly below the dashboard's union, with its current 入会率.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChildRate {
    pub code: String,
    pub name: String,
    pub members: i64,
    pub employees: i64,
    /// members ÷ employees of covered employers, percent; `None` without employees.
    pub rate_percent: Option<f64>,
}

/// Current members and 入会率 of each union directly below `org`.
pub async fn child_rates(db: &Db, org: &Org) -> AppResult<Vec<ChildRate>> {
    let children: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT id, code, name, path, kind FROM orgs WHERE parent_id = $1 AND status = 'active' ORDER BY path LIMIT 60",
    )
    .bind(org.id)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(children.len());
    for (id, code, name, path, kind) in children {
        let (lo, hi) = Scope::subtree(&path).range();
        let members: i64 = if counters::is_counted(&kind) {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(members), 0) AS BIGINT) FROM stat_deltas WHERE node_id = $1 AND day <= $2",
            )
            .bind(id)
            .bind(chrono::Local::now().date_naive().to_string())
            .fetch_one(db.pool())
            .await?
        } else {
            sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM members WHERE org_path >= $1 AND org_path < $2 AND status = 'active'",
            )
            .bind(&lo)
            .bind(&hi)
            .fetch_one(db.pool())
            .await?
        };
        let employees: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(employee_count), 0) AS BIGINT) FROM units WHERE org_path >= $1 AND org_path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_one(db.pool())
        .await?;
        let rate_percent =
            (employees > 0).then(|| (members as f64 * 10000.0 / employees as f64).round() / 100.0);
        out.push(ChildRate {
            code,
            name,
            members,
            employees,
            rate_percent,
        });
    }
    Ok(out)
}
