//! A year of activities for the demo city, made through the same functions a cadre's requests
//! call: the city's skill contest and the districts' competitions, trainings, lectures,
//! sports days, visits and a job fair, each with one to four sessions, members of the
//! organiser's district present (some at several sessions) and guests head-counted.

use chrono::{Days, NaiveDate};

use super::activity::{self, ActivityInput};
use super::participation::{self, SessionInput};
use crate::aid::demo::Rng;
use crate::audit::Actor;
use crate::crypto::FieldKeys;
use crate::db::Db;
use crate::error::AppResult;
use crate::registry::scope::Scope;

/// What the demo made.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub activities: u64,
    pub sessions: u64,
    pub checkins: u64,
}

/// Titles by kind code, as federations name them.
const TITLES: &[(&str, &str)] = &[
    ("competition", "“安康杯”劳动竞赛"),
    ("skill_contest", "职工职业技能大赛（焊工、电工）"),
    ("training", "新就业形态劳动者技能培训班"),
    ("lecture", "劳动法律法规进企业宣讲"),
    ("culture", "职工趣味运动会"),
    ("reading", "职工读书征文活动"),
    ("quiz", "安全生产知识竞答"),
    ("visit", "走访慰问一线职工"),
    ("job_fair", "春风行动专场招聘会"),
];

pub async fn seed(db: &Db, keys: &FieldKeys, seed: u64, today: NaiveDate) -> AppResult<Report> {
    let mut report = Report::default();
    let actor = Actor::system(keys, "演示数据·职工活动");
    let mut rng = Rng(seed ^ 0x0ac7_1717);
    let organisers: Vec<(String, String)> = sqlx::query_as(
        "SELECT code, path FROM orgs WHERE kind IN ('city','district') AND status = 'active' ORDER BY depth, code",
    )
    .fetch_all(db.pool())
    .await?;
    for (code, path) in organisers {
        let (lo, hi) = Scope::subtree(&path).range();
        let members: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM members WHERE status = 'active' AND org_path >= $1 AND org_path < $2 ORDER BY id LIMIT 3000",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(db.pool())
        .await?;
        if members.is_empty() {
            continue;
        }
        for _ in 0..6 + rng.below(6) {
            let (kind, title) = TITLES[rng.below(TITLES.len() as u64) as usize];
            let start = today - Days::new(10 + rng.below(340));
            let end = start + Days::new(rng.below(30));
            let now = crate::db::now_ms();
            let a = activity::create(
                db,
                &actor,
                &ActivityInput {
                    org_code: Some(code.clone()),
                    kind: Some(kind.into()),
                    title: Some(title.into()),
                    starts_on: Some(start.to_string()),
                    ends_on: Some(end.to_string()),
                    budget: Some(format!("{}", 2000 + 1000 * rng.below(20))),
                    ..Default::default()
                },
                now,
            )
            .await?;
            report.activities += 1;
            let sessions = 1 + rng.below(4);
            for n in 0..sessions {
                let day = (start + Days::new(n * 7)).min(end).min(today);
                let s = participation::add_session(
                    db,
                    &actor,
                    a.id,
                    &SessionInput {
                        held_on: Some(day.to_string()),
                        guests: Some(if kind == "job_fair" {
                            200 + rng.below(800) as i64
                        } else {
                            rng.below(20) as i64
                        }),
                        ..Default::default()
                    },
                    now,
                )
                .await?;
                report.sessions += 1;
                // A regular crowd comes back to later sessions; others come once.
                let present: Vec<i64> = (0..5 + rng.below(40))
                    .map(|_| {
                        let pool = if rng.below(3) == 0 {
                            members.len().min(30)
                        } else {
                            members.len()
                        };
                        members[rng.below(pool as u64) as usize]
                    })
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                report.checkins +=
                    participation::record_present(db, &actor, s.id, &present, now).await?;
            }
            if end < today && rng.below(4) != 0 {
                activity::step(
                    db,
                    &actor,
                    a.id,
                    activity::Action::Close,
                    &activity::StepInput { version: 0 },
                    now,
                )
                .await?;
            }
        }
    }
    Ok(report)
}
