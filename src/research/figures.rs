//! The research figures for a subtree (by the union doing the research, or owning the problem)
//! and period: tasks started, employers visited (each once) and symposia held, questionnaires
//! answered, and the issue ledger — problems found, rectified, and overdue at the period's end.

use super::issues;
use crate::db::Db;
use crate::error::AppResult;
use crate::figures::{Amount, FigureUnit, FigureValue};
use crate::registry::orgs::Org;
use crate::registry::scope::Scope;
use crate::registry::stats::Period;

/// The counts behind the figures.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub tasks: i64,
    pub employers_visited: i64,
    pub symposia: i64,
    pub answers: i64,
    pub raised: i64,
    pub rectified: i64,
    pub overdue: i64,
}

/// Counts the research of `path`'s subtree in the period; overdue as of its last day.
pub async fn counts(db: &Db, path: &str, period: &Period) -> AppResult<Counts> {
    let (lo, hi) = Scope::subtree(path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let range = "org_path >= $1 AND org_path < $2";
    let sqls = [
        format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM research_tasks WHERE {range} AND starts_on >= $3 AND starts_on <= $4"
        ),
        format!(
            "SELECT CAST(COUNT(DISTINCT unit_id) AS BIGINT) FROM research_visits WHERE {range} AND kind = 'visit' AND held_on >= $3 AND held_on <= $4"
        ),
        format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM research_visits WHERE {range} AND kind = 'symposium' AND held_on >= $3 AND held_on <= $4"
        ),
        format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM questionnaire_answers WHERE {range} AND answered_on >= $3 AND answered_on <= $4"
        ),
        format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM research_issues WHERE {range} AND raised_on >= $3 AND raised_on <= $4"
        ),
        format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM research_issues WHERE {range} AND status = 'rectified' AND rectified_on >= $3 AND rectified_on <= $4"
        ),
        format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM research_issues i WHERE i.org_path >= $1 AND i.org_path < $2 \
             AND i.raised_on >= $3 AND i.raised_on <= $4 AND {}",
            issues::overdue_at("i").replace('?', "$5")
        ),
    ];
    let args = [lo, hi, from, to.clone(), to];
    async fn count(db: &Db, sql: &str, args: &[String]) -> Result<i64, sqlx::Error> {
        // The overdue count binds the period's last day again as `$5`; the others have four.
        let n = if sql.contains("$5") { 5 } else { 4 };
        let mut q = sqlx::query_scalar::<_, i64>(sql);
        for a in &args[..n] {
            q = q.bind(a.clone());
        }
        q.fetch_one(db.pool()).await
    }
    let (tasks, employers_visited, symposia, answers, raised, rectified, overdue) = tokio::try_join!(
        count(db, &sqls[0], &args),
        count(db, &sqls[1], &args),
        count(db, &sqls[2], &args),
        count(db, &sqls[3], &args),
        count(db, &sqls[4], &args),
        count(db, &sqls[5], &args),
        count(db, &sqls[6], &args),
    )?;
    Ok(Counts {
        tasks,
        employers_visited,
        symposia,
        answers,
        raised,
        rectified,
        overdue,
    })
}

/// Every research figure of `org`'s subtree for the period.
pub async fn compute(db: &Db, org: &Org, period: &Period) -> AppResult<Vec<FigureValue>> {
    let c = counts(db, &org.path, period).await?;
    let q = format!("org={}&from={}&to={}", org.code, period.from, period.to);
    let figure = |key: &'static str,
                  label: &'static str,
                  unit,
                  definition: &'static str,
                  n: i64,
                  drill: Option<String>| {
        FigureValue::of(
            super::MODULE,
            key,
            label,
            unit,
            definition,
            Amount::Count(n),
            Vec::new(),
            drill,
        )
    };
    Ok(vec![
        figure(
            "research.tasks",
            "调研任务",
            FigureUnit::Activities,
            "统计期内开始的调研任务，按开始日期、调研工会统计",
            c.tasks,
            Some(format!("/api/v1/research?{q}")),
        ),
        figure(
            "research.employers_visited",
            "走访企业",
            FigureUnit::Employers,
            "统计期内调研走访的企业，同一企业多次走访只计一家",
            c.employers_visited,
            Some(format!("/api/v1/research/visits?{q}&one_per_employer=true")),
        ),
        figure(
            "research.symposia",
            "调研座谈会",
            FigureUnit::Sessions,
            "统计期内为调研召开的座谈会场次",
            c.symposia,
            Some(format!("/api/v1/research/visits?{q}&kind=symposium")),
        ),
        figure(
            "research.answers",
            "回收调查问卷",
            FigureUnit::Contracts,
            "统计期内会员在线填写提交的调查问卷份数（每人每份问卷只计一次）",
            c.answers,
            Some(format!("/api/v1/research/answers?{q}")),
        ),
        figure(
            "research.issues_raised",
            "问题台账",
            FigureUnit::Entries,
            "统计期内列入问题台账的问题（含调研发现和单独登记的），按发现日期、责任工会统计",
            c.raised,
            Some(format!("/api/v1/research/issues?{q}")),
        ),
        figure(
            "research.issues_rectified",
            "已整改问题",
            FigureUnit::Entries,
            "统计期内完成整改的问题，按整改日期统计",
            c.rectified,
            Some(format!("/api/v1/research/issues?{q}&dated=rectified")),
        ),
        figure(
            "research.issues_overdue",
            "逾期整改问题",
            FigureUnit::Entries,
            "统计期内发现的问题中，至统计期末整改时限已过而未按期整改的（仍在整改或逾期后才整改）",
            c.overdue,
            Some(format!("/api/v1/research/issues?{q}&dated=overdue")),
        ),
    ])
}
