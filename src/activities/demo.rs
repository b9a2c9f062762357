//! A year of activities for the demo city, made through the same functions a cadre's requests
//! call: the city's skill contest and the districts' competitions, trainings, lectures,
//! sports days, visits and a job fair, each with one to four sessions, members of the
//! organiser's district present (some at several sessions) and guests head-counted. The
//! competitions hold events with entrants, scores and awards to the best; every activity pays
//! part of its budget.

use chrono::{Days, NaiveDate};

use super::activity::{self, ActivityInput, Kind};
use super::contests::{self, AwardInput, Level, TradeInput};
use super::participation::{self, SessionInput};
use super::spending::{self, SpendingInput};
use crate::aid::demo::Rng;
use crate::audit::Actor;
use crate::crypto::FieldKeys;
use crate::db::Db;
use crate::error::AppResult;
use crate::registry::scope::Scope;
use crate::workflow::Named;

/// What the demo made.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub activities: u64,
    pub sessions: u64,
    pub checkins: u64,
    pub trades: u64,
    pub entrants: u64,
    pub awards: u64,
    /// Paid from the activities' budgets, in fen.
    pub spent_fen: i64,
    /// The honours made with them.
    pub honours: crate::honours::demo::Report,
    /// The innovation made with them.
    pub innovation: crate::innovation::demo::Report,
    /// The research made with them.
    pub research: crate::research::demo::Report,
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
    let organisers: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT code, path, kind FROM orgs WHERE kind IN ('city','district') AND status = 'active' ORDER BY depth, code",
    )
    .fetch_all(db.pool())
    .await?;
    for (code, path, org_kind) in organisers {
        let level = if org_kind == "city" {
            Level::City
        } else {
            Level::District
        };
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
                if n == 0
                    && matches!(
                        Kind::parse(kind),
                        Some(Kind::Competition | Kind::SkillContest)
                    )
                {
                    contest(
                        db,
                        keys,
                        &actor,
                        &mut rng,
                        a.id,
                        kind,
                        day,
                        &present,
                        level,
                        &mut report,
                    )
                    .await?;
                }
            }
            let spent = a.budget_fen * (30 + rng.below(60) as i64) / 100;
            if spent > 0 {
                spending::spend(
                    db,
                    &actor,
                    a.id,
                    &SpendingInput {
                        spent_on: Some(start.min(today).to_string()),
                        amount: Some(crate::types::Fen(spent).to_string()),
                        purpose: Some("场地、奖品及物料".into()),
                        payee: None,
                    },
                    today,
                    now,
                )
                .await?;
                report.spent_fen += spent;
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

/// Events of a competition held on `day`: those present enter, are marked, and the best three
/// of each event are awarded.
#[allow(clippy::too_many_arguments)]
async fn contest(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    rng: &mut Rng,
    activity_id: i64,
    kind: &str,
    day: NaiveDate,
    present: &[i64],
    level: Level,
    report: &mut Report,
) -> AppResult<()> {
    let trades: &[&str] = if kind == "skill_contest" {
        &["焊工", "电工"]
    } else {
        &["安全知识竞赛", "岗位技能比武"]
    };
    let now = crate::db::now_ms();
    for (n, name) in trades.iter().enumerate() {
        let t = contests::add_trade(
            db,
            actor,
            activity_id,
            &TradeInput {
                name: Some((*name).into()),
                teams: Some(false),
                held_on: Some(day.to_string()),
            },
            now,
        )
        .await?;
        report.trades += 1;
        // Half of those present enter each event (the two halves overlap by chance).
        let entrants: Vec<i64> = present
            .iter()
            .copied()
            .filter(|_| rng.below(2) == 0 || (n == 0 && present.len() < 6))
            .collect();
        if entrants.is_empty() {
            continue;
        }
        report.entrants += contests::enter_members(db, actor, t.id, &entrants, now).await?;
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM contest_entrants WHERE trade_id = $1 ORDER BY id")
                .bind(t.id)
                .fetch_all(db.pool())
                .await?;
        let marks: Vec<(i64, i64)> = ids
            .iter()
            .map(|e| (*e, 6000 + rng.below(4000) as i64))
            .collect();
        contests::mark_entrants(db, actor, t.id, &marks, now).await?;
        let mut best = marks.clone();
        best.sort_by_key(|m| std::cmp::Reverse(m.1));
        for (place, (entrant, _)) in best.iter().take(3).enumerate() {
            let title = if place == 0 {
                "技术能手"
            } else {
                "优秀选手"
            };
            contests::award_entrant(
                db,
                keys,
                actor,
                t.id,
                *entrant,
                &AwardInput {
                    title: Some(title.into()),
                    level: Some(level.code().into()),
                    ..Default::default()
                },
                now,
            )
            .await?;
            report.awards += 1;
        }
    }
    Ok(())
}
