//! `gonghui bench activities`: the city's activity figures for a year (场次, 人次 and 人 by
//! kind), an activity's participant page and a check-in, with the demo city holding (at least)
//! the given number of activities and check-ins, and the round-trip floor measured in the same
//! run.
//!
//! Missing activities are written straight into the tables (as a history import would): each
//! organised by a union of the city drawn at random, over the last year, with one to four
//! sessions; the check-ins draw members of the whole city, a fifth of them from a regular
//! crowd of a thousand who come back again and again, so 人 is far below 人次. A competition's
//! first session is its event: those present enter it and the first three are awarded.

use std::time::Instant;

use chrono::{Days, NaiveDate};

use super::{open_for_timing, summary};
use crate::activities::activity::{self, ActivityInput, Kind};
use crate::activities::{figures, participation};
use crate::aid::demo::Rng;
use crate::audit::Actor;
use crate::config::Config;
use crate::db::bulk::{Val, insert_rows};
use crate::db::{Backend, Db, Tx, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::scope::Scope;
use crate::registry::stats::Period;
use crate::workflow::Named;

/// What the bench writes.
pub struct Sizes {
    pub activities: usize,
    pub participations: usize,
}

pub async fn run(config: &Config, sizes: Sizes, rounds: usize) -> AppResult<()> {
    let rounds = rounds.max(3);
    let reg = open_for_timing(config, rounds).await?;
    let db = &reg.db;
    let city = crate::registry::orgs::scope_root(db, &Scope::all())
        .await?
        .ok_or_else(|| AppError::not_found("工会"))?;
    let today = crate::clock::local_date(crate::db::now_ms());
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM activities")
        .fetch_one(db.pool())
        .await?;
    if (have as usize) < sizes.activities {
        let t = Instant::now();
        let (a, s, c) = write(
            db,
            sizes.activities - have as usize,
            sizes.participations,
            today,
        )
        .await?;
        db.tidy_after_rewrite(&[
            "activities",
            "activity_sessions",
            "activity_checkins",
            "activity_reach",
            "contest_entrants",
            "contest_awards",
        ])
        .await?;
        println!(
            "wrote {a} activities, {s} sessions and {c} check-ins in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let (a_n, s_n, c_n): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST((SELECT COUNT(*) FROM activities) AS BIGINT), CAST((SELECT COUNT(*) FROM activity_sessions) AS BIGINT), \
         CAST((SELECT COUNT(*) FROM activity_checkins) AS BIGINT)",
    )
    .fetch_one(db.pool())
    .await?;
    println!("activities: {a_n}; sessions: {s_n}; check-ins: {c_n}");

    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        let _: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
            .fetch_one(db.pool())
            .await?;
        t.push(s.elapsed());
    }
    summary("floor: SELECT 1 round trip", t);

    let year = Period {
        from: today - Days::new(365),
        to: today,
    };
    let mut t = Vec::new();
    let mut shown = None;
    for _ in 0..rounds {
        let s = Instant::now();
        shown = Some(figures::compute(db, &city, &year).await?);
        t.push(s.elapsed());
    }
    summary(
        "activity figures: the city, the last 365 days (all four, by kind)",
        t,
    );
    if let Some(f) = shown {
        let line: Vec<String> = f
            .iter()
            .map(|f| format!("{} {}", f.key, f.display))
            .collect();
        println!("  ({})", line.join(", "));
    }
    let district: Option<String> =
        sqlx::query_scalar("SELECT code FROM orgs WHERE kind = 'district' ORDER BY code LIMIT 1")
            .fetch_optional(db.pool())
            .await?;
    if let Some(code) = district {
        let district = crate::registry::orgs::get_by_code(db, &Scope::all(), &code).await?;
        let mut t = Vec::new();
        for _ in 0..rounds {
            let s = Instant::now();
            figures::compute(db, &district, &year).await?;
            t.push(s.elapsed());
        }
        summary("activity figures: a district, the last 365 days", t);
    }
    let busiest: i64 = sqlx::query_scalar(
        "SELECT activity_id FROM activity_checkins GROUP BY activity_id ORDER BY COUNT(*) DESC, activity_id LIMIT 1",
    )
    .fetch_one(db.pool())
    .await?;
    let mut t = Vec::new();
    let mut people = 0;
    let all = Scope::all();
    for _ in 0..rounds {
        let s = Instant::now();
        let (a, (rows, _)) = tokio::try_join!(
            activity::get(db, &all, busiest),
            participation::participants(db, busiest, 1, 50)
        )?;
        participation::sessions(db, a.id).await?;
        t.push(s.elapsed());
        people = rows.len();
    }
    summary(
        "an activity's page: the activity, its sessions, 50 participants",
        t,
    );
    println!("  (the busiest activity: {people} people on the first page)");

    // Check-ins at a session held today: one member each round.
    let actor = Actor::system(&reg.keys, "性能测试");
    let a = activity::create(
        db,
        &actor,
        &ActivityInput {
            kind: Some("lecture".into()),
            title: Some("性能测试宣讲".into()),
            starts_on: Some(today.to_string()),
            ends_on: Some(today.to_string()),
            ..Default::default()
        },
        crate::db::now_ms(),
    )
    .await?;
    let session = participation::add_session(
        db,
        &actor,
        a.id,
        &participation::SessionInput {
            held_on: Some(today.to_string()),
            ..Default::default()
        },
        crate::db::now_ms(),
    )
    .await?;
    let members: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM members WHERE status = 'active' AND org_path IS NOT NULL ORDER BY id LIMIT {rounds}"
    ))
    .fetch_all(db.pool())
    .await?;
    let mut t = Vec::new();
    for m in &members {
        let s = Instant::now();
        participation::record_present(db, &actor, session.id, &[*m], crate::db::now_ms()).await?;
        t.push(s.elapsed());
    }
    summary("a check-in (eligibility, the row, the audit event)", t);
    Ok(())
}

/// Writes `n` activities with their sessions and about `checkins` check-ins over the last
/// year; returns (activities, sessions, check-ins).
async fn write(
    db: &Db,
    n: usize,
    checkins: usize,
    today: NaiveDate,
) -> AppResult<(usize, usize, usize)> {
    let orgs: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, path FROM orgs WHERE status = 'active' ORDER BY id")
            .fetch_all(db.pool())
            .await?;
    let members: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM members WHERE status = 'active' AND org_path IS NOT NULL ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    if orgs.is_empty() || members.is_empty() {
        return Err(AppError::invalid("先运行 gonghui demo 生成演示城市"));
    }
    let kinds = Kind::all();
    let mut rng = Rng(23);
    let now = crate::db::now_ms();
    let backend = db.backend();
    let per_activity = (checkins / n.max(1)).max(1) as u64;
    let mut tx = db.begin_write().await?;
    let (mut acts, mut sessions, mut rows) = (Vec::new(), Vec::new(), Vec::new());
    let (mut trades, mut entrants, mut awards) = (Vec::new(), Vec::new(), Vec::new());
    let (mut s_n, mut c_n) = (0, 0);
    for i in 0..n {
        let (org_id, path) = &orgs[rng.below(orgs.len() as u64) as usize];
        let kind = kinds[rng.below(kinds.len() as u64) as usize].code();
        let start = today - Days::new(rng.below(365));
        let end = (start + Days::new(rng.below(30))).min(today);
        let id = new_id();
        acts.push(vec![
            Val::I(id),
            Val::I(*org_id),
            Val::T(Some(path.clone())),
            Val::T(Some(kind.into())),
            Val::T(Some(format!("性能测试活动{i}"))),
            Val::T(Some(start.to_string())),
            Val::T(Some(end.to_string())),
            Val::T(Some(path.clone())),
            Val::T(Some("closed".into())),
            Val::T(Some("性能测试".into())),
            Val::I(now),
            Val::I(now),
        ]);
        let k = 1 + rng.below(4);
        let per_session = (2 * per_activity / k).max(1);
        for j in 0..k {
            let sid = new_id();
            let day = (start + Days::new(j * 7)).min(end);
            sessions.push(vec![
                Val::I(sid),
                Val::I(id),
                Val::T(Some(path.clone())),
                Val::T(Some(kind.into())),
                Val::T(Some(day.to_string())),
                Val::T(Some(format!("第{}场", j + 1))),
                Val::T(Some(format!("B{sid}"))),
                Val::I(rng.below(10) as i64),
                Val::I(now),
            ]);
            s_n += 1;
            let mut present = std::collections::BTreeSet::new();
            for _ in 0..1 + rng.below(per_session) {
                let pool = if rng.below(5) == 0 {
                    members.len().min(1000)
                } else {
                    members.len()
                };
                present.insert(members[rng.below(pool as u64) as usize]);
            }
            // A competition's first session is its event (工种): those present enter, the
            // first three listed are awarded.
            if j == 0 && matches!(kind, "competition" | "skill_contest") {
                let tid = new_id();
                trades.push(vec![
                    Val::I(tid),
                    Val::I(id),
                    Val::T(Some(path.clone())),
                    Val::T(Some(kind.into())),
                    Val::T(Some("焊工".into())),
                    Val::T(Some(day.to_string())),
                    Val::T(Some("性能测试".into())),
                    Val::I(now),
                ]);
                for (place, m) in present.iter().enumerate() {
                    let eid = new_id();
                    entrants.push(vec![
                        Val::I(eid),
                        Val::I(tid),
                        Val::I(id),
                        Val::T(Some(path.clone())),
                        Val::T(Some(day.to_string())),
                        Val::T(Some(kind.into())),
                        Val::I(*m),
                        Val::I(9000 - place as i64),
                        Val::T(Some("性能测试".into())),
                        Val::I(now),
                    ]);
                    if place < 3 {
                        awards.push(vec![
                            Val::I(new_id()),
                            Val::I(eid),
                            Val::I(tid),
                            Val::I(id),
                            Val::T(Some(path.clone())),
                            Val::T(Some(day.to_string())),
                            Val::T(Some(
                                if place == 0 {
                                    "技术能手"
                                } else {
                                    "优秀选手"
                                }
                                .into(),
                            )),
                            Val::T(Some("district".into())),
                            Val::T(Some("性能测试".into())),
                            Val::T(Some("性能测试".into())),
                            Val::I(now),
                        ]);
                    }
                }
            }
            for m in present {
                rows.push(vec![
                    Val::I(sid),
                    Val::I(m),
                    Val::I(id),
                    Val::T(Some(path.clone())),
                    Val::T(Some(kind.into())),
                    Val::T(Some(day.to_string())),
                    Val::T(Some("record".into())),
                    Val::I(now),
                ]);
                c_n += 1;
            }
        }
        if rows.len() >= 20_000 {
            flush(&mut tx, backend, &mut acts, &mut sessions, &mut rows).await?;
            flush_contests(&mut tx, backend, &mut trades, &mut entrants, &mut awards).await?;
        }
    }
    flush(&mut tx, backend, &mut acts, &mut sessions, &mut rows).await?;
    flush_contests(&mut tx, backend, &mut trades, &mut entrants, &mut awards).await?;
    crate::activities::reach::rebuild(&mut tx).await?;
    tx.commit().await?;
    Ok((n, s_n, c_n))
}

async fn flush(
    tx: &mut Tx,
    backend: Backend,
    acts: &mut Vec<Vec<Val>>,
    sessions: &mut Vec<Vec<Val>>,
    rows: &mut Vec<Vec<Val>>,
) -> AppResult<()> {
    insert_rows(
        tx,
        backend,
        "activities",
        &[
            "id",
            "org_id",
            "org_path",
            "kind",
            "title",
            "starts_on",
            "ends_on",
            "eligible_path",
            "status",
            "created_by",
            "created_at",
            "updated_at",
        ],
        std::mem::take(acts),
    )
    .await?;
    insert_rows(
        tx,
        backend,
        "activity_sessions",
        &[
            "id",
            "activity_id",
            "org_path",
            "kind",
            "held_on",
            "title",
            "code",
            "guests",
            "created_at",
        ],
        std::mem::take(sessions),
    )
    .await?;
    insert_rows(
        tx,
        backend,
        "activity_checkins",
        &[
            "session_id",
            "member_id",
            "activity_id",
            "org_path",
            "kind",
            "held_on",
            "source",
            "created_at",
        ],
        std::mem::take(rows),
    )
    .await
}

async fn flush_contests(
    tx: &mut Tx,
    backend: Backend,
    trades: &mut Vec<Vec<Val>>,
    entrants: &mut Vec<Vec<Val>>,
    awards: &mut Vec<Vec<Val>>,
) -> AppResult<()> {
    insert_rows(
        tx,
        backend,
        "contest_trades",
        &[
            "id",
            "activity_id",
            "org_path",
            "kind",
            "name",
            "held_on",
            "created_by",
            "created_at",
        ],
        std::mem::take(trades),
    )
    .await?;
    insert_rows(
        tx,
        backend,
        "contest_entrants",
        &[
            "id",
            "trade_id",
            "activity_id",
            "org_path",
            "held_on",
            "kind",
            "member_id",
            "score_centi",
            "created_by",
            "created_at",
        ],
        std::mem::take(entrants),
    )
    .await?;
    insert_rows(
        tx,
        backend,
        "contest_awards",
        &[
            "id",
            "entrant_id",
            "trade_id",
            "activity_id",
            "org_path",
            "awarded_on",
            "title",
            "level",
            "awarding_body",
            "created_by",
            "created_at",
        ],
        std::mem::take(awards),
    )
    .await
}
