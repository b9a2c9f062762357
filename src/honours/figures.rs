//! The honours' figures for a subtree (by the honouree's union) and period (by the day
//! granted): honours granted and not revoked, by level and by kind of title; the persons and
//! the collectives honoured, each once however many titles they received; and the care given
//! to honoured people (by the giving union and day), with the allowances paid (undone ones
//! left out).

use std::collections::BTreeMap;

use super::care::CareKind;
use super::honour::{Subject, TitleKind};
use crate::activities::contests::Level;
use crate::db::Db;
use crate::error::AppResult;
use crate::figures::{Amount, FigurePart, FigureUnit, FigureValue, parts};
use crate::registry::orgs::Org;
use crate::registry::scope::Scope;
use crate::registry::stats::Period;
use crate::workflow::Named;

/// The counts behind the figures.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// (level, title kind) → honours granted
    pub granted: BTreeMap<(String, String), i64>,
    /// title kind → persons honoured
    pub persons_by_kind: BTreeMap<String, i64>,
    pub persons: i64,
    /// title kind → collectives honoured
    pub collectives_by_kind: BTreeMap<String, i64>,
    pub collectives: i64,
    /// care kind → (times, fen paid)
    pub care: BTreeMap<String, (i64, i64)>,
}

/// Counts the honours of `path`'s subtree granted in the period and the care its unions gave.
pub async fn counts(db: &Db, path: &str, period: &Period) -> AppResult<Counts> {
    let (lo, hi) = Scope::subtree(path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let granted_range = "org_path >= $1 AND org_path < $2 AND status = 'awarded' AND awarded_on >= $3 AND awarded_on <= $4";
    let pool = db.pool();
    let granted_sql = format!(
        "SELECT level, title_kind, CAST(COUNT(*) AS BIGINT) FROM honours WHERE {granted_range} GROUP BY level, title_kind"
    );
    let holders_sql = format!(
        "SELECT subject, holder, MIN(title_kind) FROM honours WHERE {granted_range} GROUP BY subject, holder"
    );
    let granted = sqlx::query_as::<_, (String, String, i64)>(&granted_sql)
        .bind(&lo)
        .bind(&hi)
        .bind(&from)
        .bind(&to)
        .fetch_all(pool);
    // Holders by the kind of their first title in the period, and in all (a holder with two
    // kinds counts once in all).
    let holders = sqlx::query_as::<_, (String, String, String)>(&holders_sql)
        .bind(&lo)
        .bind(&hi)
        .bind(&from)
        .bind(&to)
        .fetch_all(pool);
    let care = sqlx::query_as::<_, (String, i64, i64)>(
        "SELECT kind, CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM honour_care \
         WHERE org_path >= $1 AND org_path < $2 AND cared_on >= $3 AND cared_on <= $4 AND reversal_posting IS NULL GROUP BY kind",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .fetch_all(pool);
    let (granted, holders, care) = tokio::try_join!(granted, holders, care)?;
    let mut c = Counts {
        granted: granted.into_iter().map(|(l, k, n)| ((l, k), n)).collect(),
        care: care.into_iter().map(|(k, n, f)| (k, (n, f))).collect(),
        ..Counts::default()
    };
    for (subject, _, kind) in holders {
        if subject == Subject::Person.code() {
            c.persons += 1;
            *c.persons_by_kind.entry(kind).or_default() += 1;
        } else {
            c.collectives += 1;
            *c.collectives_by_kind.entry(kind).or_default() += 1;
        }
    }
    Ok(c)
}

/// Every honours figure of `org`'s subtree for the period.
pub async fn compute(db: &Db, org: &Org, period: &Period) -> AppResult<Vec<FigureValue>> {
    let c = counts(db, &org.path, period).await?;
    let q = format!("org={}&from={}&to={}", org.code, period.from, period.to);
    let care_parts = |pick: fn(&(i64, i64)) -> i64| {
        parts::<CareKind>(
            "关爱类别",
            c.care.iter().map(move |(k, v)| (k.clone(), pick(v))),
        )
    };
    Ok(vec![
        FigureValue::of(
            super::MODULE,
            "honours.granted",
            "授予荣誉",
            FigureUnit::Items,
            "统计期内授予（含登记的外单位授予）且未被撤销的荣誉个数，按授予日期、受表彰者所在工会统计，分级别、分荣誉类别",
            Amount::Count(c.granted.values().sum()),
            granted_parts(&c.granted),
            Some(format!("/api/v1/honours?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "honours.persons",
            "受表彰个人",
            FigureUnit::Persons,
            "统计期内获得荣誉（未被撤销）的个人，同一人获得多项荣誉只计一人（分类按其期内首项荣誉）",
            Amount::Count(c.persons),
            parts::<TitleKind>(
                "荣誉类别",
                c.persons_by_kind.iter().map(|(k, v)| (k.clone(), *v)),
            ),
            Some(format!(
                "/api/v1/honours?{q}&subject=person&one_per_holder=true"
            )),
        ),
        FigureValue::of(
            super::MODULE,
            "honours.collectives",
            "受表彰集体",
            FigureUnit::Items,
            "统计期内获得荣誉（未被撤销）的集体（单位、班组、工会），同一集体获得多项荣誉只计一个",
            Amount::Count(c.collectives),
            parts::<TitleKind>(
                "荣誉类别",
                c.collectives_by_kind.iter().map(|(k, v)| (k.clone(), *v)),
            ),
            Some(format!(
                "/api/v1/honours?{q}&subject=collective&one_per_holder=true"
            )),
        ),
        FigureValue::of(
            super::MODULE,
            "honours.care",
            "劳模关爱",
            FigureUnit::PersonTimes,
            "统计期内各级工会为劳模等受表彰个人开展的体检、走访慰问、疗休养和发放补助的人次（已撤销的补助不计）",
            Amount::Count(c.care.values().map(|v| v.0).sum()),
            care_parts(|v| v.0),
            Some(format!("/api/v1/honours/care?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "honours.care_paid",
            "劳模补助津贴",
            FigureUnit::Yuan,
            "统计期内发放给劳模等受表彰个人的补助津贴（按发放日期，已撤销的不计），每笔均记入工会账簿",
            Amount::Fen(c.care.values().map(|v| v.1).sum()),
            care_parts(|v| v.1),
            Some(format!("/api/v1/honours/care?{q}&kind=allowance")),
        ),
    ])
}

/// Honours granted split by level and by kind of title.
fn granted_parts(granted: &BTreeMap<(String, String), i64>) -> Vec<FigurePart> {
    let mut by_level: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_kind: BTreeMap<String, i64> = BTreeMap::new();
    for ((level, kind), n) in granted {
        *by_level.entry(level.clone()).or_default() += n;
        *by_kind.entry(kind.clone()).or_default() += n;
    }
    let mut out = parts::<Level>("级别", by_level.into_iter());
    out.extend(parts::<TitleKind>("荣誉类别", by_kind.into_iter()));
    out
}
