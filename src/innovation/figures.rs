//! The innovation figures for a subtree (by the record's union) and period: studios named (a
//! revoked naming left out), achievements put forward, adopted and their benefit once in use,
//! 名师带徒 pairs signed and the apprentices in them (each once), and 揭榜挂帅 projects put up.

use std::collections::BTreeMap;

use super::achievement::AchievementKind;
use super::mentoring::PairStatus;
use super::project::ProjectStatus;
use crate::activities::contests::Level;
use crate::db::Db;
use crate::error::AppResult;
use crate::figures::{Amount, FigureUnit, FigureValue, parts};
use crate::registry::orgs::Org;
use crate::registry::scope::Scope;
use crate::registry::stats::Period;

/// The counts behind the figures.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// level → studios named
    pub studios: BTreeMap<String, i64>,
    /// kind → achievements put forward
    pub submitted: BTreeMap<String, i64>,
    /// kind → achievements adopted
    pub adopted: BTreeMap<String, i64>,
    /// kind → benefit in fen of achievements put into use
    pub benefit: BTreeMap<String, i64>,
    /// status → pairs signed
    pub pairs: BTreeMap<String, i64>,
    pub apprentices: i64,
    /// status → projects put up
    pub projects: BTreeMap<String, i64>,
}

type Grouped = Vec<(String, i64)>;

/// Counts the innovation records of `path`'s subtree in the period.
pub async fn counts(db: &Db, path: &str, period: &Period) -> AppResult<Counts> {
    let (lo, hi) = Scope::subtree(path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let pool = db.pool();
    let grouped = |sql: &'static str| {
        sqlx::query_as::<_, (String, i64)>(sql)
            .bind(lo.clone())
            .bind(hi.clone())
            .bind(from.clone())
            .bind(to.clone())
            .fetch_all(pool)
    };
    let studios = grouped(
        "SELECT level, CAST(COUNT(*) AS BIGINT) FROM innovation_studios WHERE org_path >= $1 AND org_path < $2 \
         AND status = 'named' AND named_on >= $3 AND named_on <= $4 GROUP BY level",
    );
    let submitted = grouped(
        "SELECT kind, CAST(COUNT(*) AS BIGINT) FROM innovation_achievements WHERE org_path >= $1 AND org_path < $2 \
         AND submitted_on >= $3 AND submitted_on <= $4 GROUP BY kind",
    );
    let adopted = grouped(
        "SELECT kind, CAST(COUNT(*) AS BIGINT) FROM innovation_achievements WHERE org_path >= $1 AND org_path < $2 \
         AND status IN ('adopted', 'implemented') AND decided_on >= $3 AND decided_on <= $4 GROUP BY kind",
    );
    let benefit = grouped(
        "SELECT kind, CAST(COALESCE(SUM(benefit_fen), 0) AS BIGINT) FROM innovation_achievements WHERE org_path >= $1 \
         AND org_path < $2 AND status = 'implemented' AND implemented_on >= $3 AND implemented_on <= $4 GROUP BY kind",
    );
    let pairs = grouped(
        "SELECT status, CAST(COUNT(*) AS BIGINT) FROM mentor_pairs WHERE org_path >= $1 AND org_path < $2 \
         AND starts_on >= $3 AND starts_on <= $4 GROUP BY status",
    );
    let apprentices = sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COUNT(DISTINCT apprentice_id) AS BIGINT) FROM mentor_pairs WHERE org_path >= $1 AND org_path < $2 \
         AND starts_on >= $3 AND starts_on <= $4",
    )
    .bind(lo.clone())
    .bind(hi.clone())
    .bind(from.clone())
    .bind(to.clone())
    .fetch_one(pool);
    let projects = grouped(
        "SELECT status, CAST(COUNT(*) AS BIGINT) FROM innovation_projects WHERE org_path >= $1 AND org_path < $2 \
         AND posted_on >= $3 AND posted_on <= $4 GROUP BY status",
    );
    let (studios, submitted, adopted, benefit, pairs, apprentices, projects): (
        Grouped,
        Grouped,
        Grouped,
        Grouped,
        Grouped,
        i64,
        Grouped,
    ) = tokio::try_join!(
        studios,
        submitted,
        adopted,
        benefit,
        pairs,
        apprentices,
        projects
    )?;
    Ok(Counts {
        studios: studios.into_iter().collect(),
        submitted: submitted.into_iter().collect(),
        adopted: adopted.into_iter().collect(),
        benefit: benefit.into_iter().collect(),
        pairs: pairs.into_iter().collect(),
        apprentices,
        projects: projects.into_iter().collect(),
    })
}

/// Every innovation figure of `org`'s subtree for the period.
pub async fn compute(db: &Db, org: &Org, period: &Period) -> AppResult<Vec<FigureValue>> {
    let c = counts(db, &org.path, period).await?;
    let q = format!("org={}&from={}&to={}", org.code, period.from, period.to);
    let sum = |m: &BTreeMap<String, i64>| m.values().sum::<i64>();
    fn split(m: &BTreeMap<String, i64>) -> impl Iterator<Item = (String, i64)> + '_ {
        m.iter().map(|(k, v)| (k.clone(), *v))
    }
    Ok(vec![
        FigureValue::of(
            super::MODULE,
            "innovation.studios",
            "命名创新工作室",
            FigureUnit::Studios,
            "统计期内命名（含登记的外单位命名）且未被撤销的劳模工匠创新工作室，按命名日期、领衔人所在工会统计，分命名级别",
            Amount::Count(sum(&c.studios)),
            parts::<Level>("级别", split(&c.studios)),
            Some(format!("/api/v1/innovation/studios?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "innovation.achievements",
            "职工创新成果",
            FigureUnit::Achievements,
            "统计期内职工提出的“五小”创新、发明创造和合理化建议，按提出日期、第一完成人所在工会统计，分类别",
            Amount::Count(sum(&c.submitted)),
            parts::<AchievementKind>("成果类别", split(&c.submitted)),
            Some(format!("/api/v1/innovation/achievements?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "innovation.adopted",
            "采纳创新成果",
            FigureUnit::Achievements,
            "统计期内被采纳的创新成果和合理化建议（含已实施的），按采纳日期统计，分类别",
            Amount::Count(sum(&c.adopted)),
            parts::<AchievementKind>("成果类别", split(&c.adopted)),
            Some(format!("/api/v1/innovation/achievements?{q}&dated=adopted")),
        ),
        FigureValue::of(
            super::MODULE,
            "innovation.benefit",
            "创新成果经济效益",
            FigureUnit::Yuan,
            "统计期内实施的创新成果登记的经济效益，按实施日期统计，分类别",
            Amount::Fen(sum(&c.benefit)),
            parts::<AchievementKind>("成果类别", split(&c.benefit)),
            Some(format!(
                "/api/v1/innovation/achievements?{q}&dated=implemented&status=implemented"
            )),
        ),
        FigureValue::of(
            super::MODULE,
            "innovation.pairs",
            "名师带徒结对",
            FigureUnit::Pairs,
            "统计期内新签订的名师带徒师徒结对，按结对日期、师傅所在工会统计，分当前状态",
            Amount::Count(sum(&c.pairs)),
            parts::<PairStatus>("状态", split(&c.pairs)),
            Some(format!("/api/v1/innovation/pairs?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "innovation.apprentices",
            "名师带徒徒弟",
            FigureUnit::Persons,
            "统计期内新结对的徒弟人数，同一人跟随多位师傅只计一人",
            Amount::Count(c.apprentices),
            Vec::new(),
            Some(format!(
                "/api/v1/innovation/pairs?{q}&one_per_apprentice=true"
            )),
        ),
        FigureValue::of(
            super::MODULE,
            "innovation.projects",
            "揭榜挂帅项目",
            FigureUnit::Achievements,
            "统计期内发榜的揭榜挂帅攻关项目，按发榜日期、发榜工会统计，分当前状态",
            Amount::Count(sum(&c.projects)),
            parts::<ProjectStatus>("状态", split(&c.projects)),
            Some(format!("/api/v1/innovation/projects?{q}")),
        ),
    ])
}
