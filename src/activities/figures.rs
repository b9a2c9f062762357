//! The activities' figures for a subtree (by organising union) and period (by the day each
//! session was held): activities held, 场次, 人次 and 人, each by kind. 人次 counts a member
//! once per session attended plus the guests head-counted; 人 counts each member once however
//! many sessions and activities they attended (guests cannot be told apart, so they are not
//! in 人).

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::activity::Kind;
use crate::db::Db;
use crate::error::AppResult;
use crate::figures::{Amount, FigureUnit, FigureValue, parts};
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
}

/// Counts the sessions and check-ins of the subtree at `path` held in the period.
pub async fn counts(db: &Db, path: &str, period: &Period) -> AppResult<Counts> {
    let (lo, hi) = Scope::subtree(path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let range = "org_path >= $1 AND org_path < $2 AND held_on >= $3 AND held_on <= $4";
    let sessions: Vec<(String, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT kind, CAST(COUNT(DISTINCT activity_id) AS BIGINT), CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(guests), 0) AS BIGINT) FROM activity_sessions WHERE {range} GROUP BY kind"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .fetch_all(db.pool())
    .await?;
    let checkins: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT kind, CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT member_id) AS BIGINT) \
         FROM activity_checkins WHERE {range} GROUP BY kind"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .fetch_all(db.pool())
    .await?;
    let (activities, persons): (i64, i64) = sqlx::query_as(&format!(
        "SELECT (SELECT CAST(COUNT(DISTINCT activity_id) AS BIGINT) FROM activity_sessions WHERE {range}), \
                (SELECT CAST(COUNT(DISTINCT member_id) AS BIGINT) FROM activity_checkins WHERE {range})"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
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
    Ok(c)
}

/// Every activity figure of `org`'s subtree for the period.
pub async fn compute(db: &Db, org: &Org, period: &Period) -> AppResult<Vec<FigureValue>> {
    let c = counts(db, &org.path, period).await?;
    let q = format!("org={}&from={}&to={}", org.code, period.from, period.to);
    let by = |pick: fn(&(i64, i64, i64, i64, i64)) -> i64| {
        parts::<Kind>(
            "活动类别",
            c.by_kind.iter().map(move |(k, v)| (k.clone(), pick(v))),
        )
    };
    let held = Some(format!("/api/v1/activities?{q}&held=true"));
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
    ])
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
