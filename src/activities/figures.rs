//! The activities' figures for a subtree (by organising union) and period (by the day each
//! session was held): activities held, 场次, 人次 and 人, each by kind. 人次 counts a member
//! once per session attended plus the guests head-counted; 人 counts each member once however
//! many sessions and activities they attended (guests cannot be told apart, so they are not
//! in 人). Competitions count by the day each event was held: competitions, events (工种),
//! member entrants (人次: a member in two events counts twice) and teams; awards by the day
//! awarded, by level and by title. Money spent counts by the day paid, payments undone left out.

use std::collections::BTreeMap;

use roaring::RoaringBitmap;

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::activity::Kind;
use super::contests::Level;
use crate::db::Db;
use crate::error::AppResult;
use crate::figures::{Amount, FigurePart, FigureUnit, FigureValue, parts};
use crate::registry::orgs::Org;
use crate::registry::scope::Scope;
use crate::registry::stats::Period;

/// The counts behind the figures, by kind and in all.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// kind → (activities held, sessions, guests, check-ins, persons)
    pub by_kind: BTreeMap<String, (i64, i64, i64, i64, i64)>,
    pub activities: i64,
    pub sessions: i64,
    pub person_times: i64,
    pub persons: i64,
    /// kind → (competitions, events, member entrants, teams)
    pub contests_by_kind: BTreeMap<String, (i64, i64, i64, i64)>,
    /// (level, title) → awards
    pub awards: BTreeMap<(String, String), i64>,
    /// kind → fen spent
    pub spent_by_kind: BTreeMap<String, i64>,
}

impl Counts {
    fn contests(&self, pick: fn(&(i64, i64, i64, i64)) -> i64) -> i64 {
        self.contests_by_kind.values().map(pick).sum()
    }
}

/// Counts the sessions and check-ins of `org`'s subtree held in the period: from the kept
/// reach of a federation-level union, else (a street's or a grassroots union's subtree, a few
/// thousand rows) from the rows themselves. Both give the same counts (the tests check).
pub async fn counts(db: &Db, org: &Org, period: &Period) -> AppResult<Counts> {
    let (lo, hi) = Scope::subtree(&org.path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let counted = crate::registry::counters::is_counted(&org.kind);
    let base = async {
        if counted {
            from_reach(db, org.id, &from, &to).await
        } else {
            from_rows(db, &lo, &hi, &from, &to).await
        }
    };
    let awards = sqlx::query_as::<_, (String, String, i64)>(
        "SELECT level, title, CAST(COUNT(*) AS BIGINT) FROM contest_awards \
         WHERE org_path >= $1 AND org_path < $2 AND awarded_on >= $3 AND awarded_on <= $4 GROUP BY level, title",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .fetch_all(db.pool());
    let spent = sqlx::query_as::<_, (String, i64)>(
        "SELECT kind, CAST(SUM(amount_fen) AS BIGINT) FROM activity_spending \
         WHERE org_path >= $1 AND org_path < $2 AND spent_on >= $3 AND spent_on <= $4 \
         AND reversal_posting IS NULL GROUP BY kind",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .fetch_all(db.pool());
    // The three read apart, at the same time.
    let (mut c, awards, spent) = tokio::try_join!(base, async { Ok(awards.await?) }, async {
        Ok(spent.await?)
    })?;
    c.awards = awards.into_iter().map(|(l, t, n)| ((l, t), n)).collect();
    c.spent_by_kind = spent.into_iter().collect();
    Ok(c)
}

/// The sessions' and check-ins' counts from the kept reach of federation-level union `org_id`.
async fn from_reach(db: &Db, org_id: i64, from: &str, to: &str) -> AppResult<Counts> {
    let by_kind = super::reach::of(db, org_id, from, to).await?;
    let mut c = Counts::default();
    let (mut activities, mut members) = (RoaringBitmap::new(), RoaringBitmap::new());
    for (kind, r) in by_kind {
        if r.trades > 0 || r.entrants > 0 || r.teams > 0 {
            c.contests_by_kind.insert(
                kind.clone(),
                (r.contests.len() as i64, r.trades, r.entrants, r.teams),
            );
        }
        c.sessions += r.sessions;
        c.person_times += r.guests + r.checkins;
        activities |= &r.activities;
        members |= &r.members;
        if r.sessions == 0 && r.checkins == 0 {
            continue;
        }
        c.by_kind.insert(
            kind,
            (
                r.activities.len() as i64,
                r.sessions,
                r.guests,
                r.checkins,
                r.members.len() as i64,
            ),
        );
    }
    c.activities = activities.len() as i64;
    c.persons = members.len() as i64;
    Ok(c)
}

/// The same counts from the session and check-in rows of the subtree `lo`..`hi`.
async fn from_rows(db: &Db, lo: &str, hi: &str, from: &str, to: &str) -> AppResult<Counts> {
    let range = "org_path >= $1 AND org_path < $2 AND held_on >= $3 AND held_on <= $4";
    let sessions: Vec<(String, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT kind, CAST(COUNT(DISTINCT activity_id) AS BIGINT), CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(guests), 0) AS BIGINT) FROM activity_sessions WHERE {range} GROUP BY kind"
    ))
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    let checkins: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT kind, CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT member_id) AS BIGINT) \
         FROM activity_checkins WHERE {range} GROUP BY kind"
    ))
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    let (activities, persons): (i64, i64) = sqlx::query_as(&format!(
        "SELECT (SELECT CAST(COUNT(DISTINCT activity_id) AS BIGINT) FROM activity_sessions WHERE {range}), \
                (SELECT CAST(COUNT(DISTINCT member_id) AS BIGINT) FROM activity_checkins WHERE {range})"
    ))
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_one(db.pool())
    .await?;
    let mut c = Counts {
        activities,
        persons,
        ..Counts::default()
    };
    for (kind, held, n, guests) in sessions {
        let e = c.by_kind.entry(kind).or_default();
        (e.0, e.1, e.2) = (held, n, guests);
        c.sessions += n;
        c.person_times += guests;
    }
    for (kind, times, persons) in checkins {
        let e = c.by_kind.entry(kind).or_default();
        (e.3, e.4) = (times, persons);
        c.person_times += times;
    }
    let trades: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT kind, CAST(COUNT(DISTINCT activity_id) AS BIGINT), CAST(COUNT(*) AS BIGINT) \
         FROM contest_trades WHERE {range} GROUP BY kind"
    ))
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    for (kind, contests, events) in trades {
        let e = c.contests_by_kind.entry(kind).or_default();
        (e.0, e.1) = (contests, events);
    }
    let entrants: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT kind, CAST(COUNT(member_id) AS BIGINT), CAST(COUNT(team_name) AS BIGINT) \
         FROM contest_entrants WHERE org_path >= $1 AND org_path < $2 AND held_on >= $3 AND held_on <= $4 GROUP BY kind",
    )
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    for (kind, members, teams) in entrants {
        let e = c.contests_by_kind.entry(kind).or_default();
        (e.2, e.3) = (members, teams);
    }
    Ok(c)
}

/// Every activity figure of `org`'s subtree for the period.
pub async fn compute(db: &Db, org: &Org, period: &Period) -> AppResult<Vec<FigureValue>> {
    let c = counts(db, org, period).await?;
    let q = format!("org={}&from={}&to={}", org.code, period.from, period.to);
    let by = |pick: fn(&(i64, i64, i64, i64, i64)) -> i64| {
        parts::<Kind>(
            "活动类别",
            c.by_kind.iter().map(move |(k, v)| (k.clone(), pick(v))),
        )
    };
    let held = Some(format!("/api/v1/activities?{q}&held=true"));
    let contest_parts = |pick: fn(&(i64, i64, i64, i64)) -> i64| {
        parts::<Kind>(
            "活动类别",
            c.contests_by_kind
                .iter()
                .map(move |(k, v)| (k.clone(), pick(v))),
        )
    };
    Ok(vec![
        FigureValue::of(
            super::MODULE,
            "activities.held",
            "举办活动",
            FigureUnit::Activities,
            "统计期内举办过至少一场的活动项数（按主办工会统计）",
            Amount::Count(c.activities),
            by(|v| v.0),
            held.clone(),
        ),
        FigureValue::of(
            super::MODULE,
            "activities.sessions",
            "活动场次",
            FigureUnit::Sessions,
            "统计期内举办的活动场次，一项活动办多场的每场计一次",
            Amount::Count(c.sessions),
            by(|v| v.1),
            held,
        ),
        FigureValue::of(
            super::MODULE,
            "activities.person_times",
            "参加活动人次",
            FigureUnit::PersonTimes,
            "统计期内各场次签到的会员人次（同一会员每参加一场计一次）加各场次清点的到场群众人数",
            Amount::Count(c.person_times),
            by(|v| v.2 + v.3),
            Some(format!("/api/v1/activities/persons?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "activities.persons",
            "参加活动会员",
            FigureUnit::Persons,
            "统计期内签到参加过活动的会员人数，同一会员参加多场、多项只计一人（到场群众无法区分个人，不计入）",
            Amount::Count(c.persons),
            by(|v| v.4),
            Some(format!("/api/v1/activities/persons?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "activities.contests",
            "举办竞赛",
            FigureUnit::Activities,
            "统计期内举行过比赛项目的劳动竞赛和职业技能竞赛项数",
            Amount::Count(c.contests(|v| v.0)),
            contest_parts(|v| v.0),
            Some(format!("/api/v1/activities/contests?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "activities.trades",
            "竞赛工种（项目）",
            FigureUnit::Items,
            "统计期内举行的比赛项目数，同一竞赛的每个工种或项目计一个",
            Amount::Count(c.contests(|v| v.1)),
            contest_parts(|v| v.1),
            Some(format!("/api/v1/activities/contests?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "activities.entrants",
            "参赛职工人次",
            FigureUnit::PersonTimes,
            "统计期内举行的比赛项目的参赛会员，同一会员参加两个项目计两人次（团体赛按队计入参赛队）",
            Amount::Count(c.contests(|v| v.2)),
            contest_parts(|v| v.2),
            Some(format!("/api/v1/activities/contests?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "activities.teams",
            "参赛队",
            FigureUnit::Items,
            "统计期内举行的团体比赛项目的参赛队数",
            Amount::Count(c.contests(|v| v.3)),
            contest_parts(|v| v.3),
            Some(format!("/api/v1/activities/contests?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "activities.awards",
            "竞赛获奖",
            FigureUnit::Items,
            "统计期内授予竞赛参赛者（个人或团队）的奖项数，按授奖日期统计，分级别、分奖项",
            Amount::Count(c.awards.values().sum()),
            award_parts(&c.awards),
            Some(format!("/api/v1/activities/awards?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "activities.spent",
            "活动经费支出",
            FigureUnit::Yuan,
            "统计期内计入各项活动的经费支出（按支付日期，已撤销的不计），每笔均记入活动预算账户",
            Amount::Fen(c.spent_by_kind.values().sum()),
            parts::<Kind>(
                "活动类别",
                c.spent_by_kind.iter().map(|(k, v)| (k.clone(), *v)),
            ),
            Some(format!("/api/v1/activities/spending?{q}")),
        ),
    ])
}

/// The awards split by level (codes) and by title (the titles as written).
fn award_parts(awards: &BTreeMap<(String, String), i64>) -> Vec<FigurePart> {
    let mut by_level: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_title: BTreeMap<String, i64> = BTreeMap::new();
    for ((level, title), n) in awards {
        *by_level.entry(level.clone()).or_default() += n;
        *by_title.entry(title.clone()).or_default() += n;
    }
    let mut out = parts::<Level>("级别", by_level.into_iter());
    out.extend(by_title.into_iter().map(|(title, value)| FigurePart {
        dimension: "奖项".into(),
        code: title.clone(),
        label: title,
        value,
    }));
    out
}

/// A member behind the 人 figure, with their 人次.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct PersonTimes {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub member_id: i64,
    pub name: String,
    pub id_masked: String,
    pub org_name: Option<String>,
    /// Sessions attended in the period.
    pub times: i64,
    /// Activities attended in the period.
    pub activities: i64,
}

/// One page of the members who checked in at sessions of the subtree at `path` in the period,
/// each once, and their total (the 人 figure).
pub async fn persons(
    db: &Db,
    path: &str,
    period: &Period,
    (page, per_page): (i64, i64),
) -> AppResult<(Vec<PersonTimes>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let range = "c.org_path >= $1 AND c.org_path < $2 AND c.held_on >= $3 AND c.held_on <= $4";
    let per_page = per_page.clamp(1, 500);
    let page = page.clamp(1, crate::db::Paging::MAX_PAGE);
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT CAST(COUNT(DISTINCT c.member_id) AS BIGINT) FROM activity_checkins c WHERE {range}"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .fetch_one(db.pool())
    .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT p.member_id, m.name, m.id_masked, o.name AS org_name, p.times, p.activities FROM ( \
           SELECT c.member_id, CAST(COUNT(*) AS BIGINT) AS times, CAST(COUNT(DISTINCT c.activity_id) AS BIGINT) AS activities \
           FROM activity_checkins c WHERE {range} GROUP BY c.member_id ORDER BY c.member_id LIMIT {per_page} OFFSET {} \
         ) p JOIN members m ON m.id = p.member_id LEFT JOIN orgs o ON o.id = m.org_id ORDER BY p.member_id",
        (page - 1) * per_page
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .fetch_all(db.pool())
    .await?;
    Ok((rows, total))
}
