//! A year of workers' innovation for the demo city, made through the same functions a cadre's
//! requests call: studios named by the city (and two by the province, recorded), 五小
//! innovations, inventions and proposals decided and put into use, 名师带徒 pairs (some
//! apprentices with two masters, some qualified), and 揭榜挂帅 projects in every state.

use chrono::{Days, NaiveDate};

use super::achievement::{self, AchievementInput, DecideInput};
use super::mentoring::{self, CloseInput, PairInput};
use super::project::{self, ProjectInput, StepInput};
use super::studio::{self, StudioInput};
use crate::aid::demo::Rng;
use crate::audit::Actor;
use crate::crypto::FieldKeys;
use crate::db::Db;
use crate::error::AppResult;

/// What the demo made.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub studios: u64,
    pub achievements: u64,
    pub adopted: u64,
    /// Benefit of achievements in use, in fen.
    pub benefit_fen: i64,
    pub pairs: u64,
    pub projects: u64,
}

const FIELDS: [&str; 6] = [
    "数控加工",
    "电力检修",
    "焊接工艺",
    "化工安全",
    "智能制造",
    "快递分拣",
];

pub async fn seed(db: &Db, keys: &FieldKeys, seed: u64, today: NaiveDate) -> AppResult<Report> {
    let mut report = Report::default();
    let actor = Actor::system(keys, "演示数据·职工创新");
    let mut rng = Rng(seed ^ 0x1a2b_2026);
    let city: Option<(String,)> =
        sqlx::query_as("SELECT code FROM orgs WHERE kind = 'city' AND status = 'active' ORDER BY depth, code LIMIT 1")
            .fetch_optional(db.pool())
            .await?;
    let Some((city,)) = city else {
        return Ok(report);
    };
    let members: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM members WHERE status = 'active' AND org_id IS NOT NULL ORDER BY id LIMIT 6000",
    )
    .fetch_all(db.pool())
    .await?;
    if members.len() < 200 {
        return Ok(report);
    }
    let pick = |rng: &mut Rng| members[rng.below(members.len() as u64) as usize];
    let now = crate::db::now_ms;
    let day_in_year = |rng: &mut Rng, at_least: u64| today - Days::new(at_least + rng.below(300));

    // Studios: ten named by the city this year, two recorded from the province.
    let mut studios = Vec::new();
    for n in 0..12u64 {
        let leader = pick(&mut rng);
        let team: Vec<String> = (0..3 + rng.below(6))
            .map(|_| pick(&mut rng).to_string())
            .filter(|m| *m != leader.to_string())
            .collect();
        let field = FIELDS[n as usize % FIELDS.len()];
        let provincial = n >= 10;
        let i = StudioInput {
            name: Some(format!("{field}劳模创新工作室（第{}号）", n + 1)),
            field: Some(field.into()),
            leader_member_id: Some(leader.to_string()),
            level: Some(if provincial { "provincial" } else { "city" }.into()),
            named_by: (!provincial).then(|| city.clone()),
            named_body: provincial.then(|| "省总工会".to_string()),
            named_on: Some(day_in_year(&mut rng, 20).to_string()),
            document_no: Some(format!("工发〔{}〕{}号", today.format("%Y"), 20 + n)),
            members: Some(team.join("\n")),
            ..Default::default()
        };
        let s = studio::name(db, keys, &actor, &i, today, now()).await?;
        report.studios += 1;
        studios.push(s.id);
    }

    // Achievements: 五小 most, then proposals, then inventions; most adopted, many in use.
    for n in 0..360u64 {
        let (kind, title) = match n % 6 {
            0..=2 => ("small_innovation", "工装夹具改进"),
            3 | 4 => ("proposal", "优化交接班流程的建议"),
            _ => ("invention", "一种防松动螺栓结构"),
        };
        let authors: Vec<String> = (0..1 + rng.below(3))
            .map(|_| pick(&mut rng).to_string())
            .collect();
        let submitted = day_in_year(&mut rng, 40);
        let i = AchievementInput {
            kind: Some(kind.into()),
            title: Some(format!("{title}（{}）", n + 1)),
            summary: Some("针对生产中的实际问题提出，经班组试用效果良好".into()),
            authors: Some(authors.join("\n")),
            studio_id: (n % 5 == 0).then(|| studios[n as usize % studios.len()].to_string()),
            submitted_on: Some(submitted.to_string()),
            patent_no: (kind == "invention")
                .then(|| format!("ZL{}2{:08}.X", today.format("%Y"), n)),
            ..Default::default()
        };
        let a = achievement::submit(db, keys, &actor, &i, today, now()).await?;
        report.achievements += 1;
        let roll = rng.below(10);
        if roll >= 8 {
            continue; // waiting for a decision
        }
        let decided = submitted + Days::new(5 + rng.below(20));
        let action = if roll == 7 { "decline" } else { "adopt" };
        let a = achievement::decide(
            db,
            &actor,
            a.id,
            &DecideInput {
                action: action.into(),
                on: Some(decided.to_string()),
                reason: (action == "decline").then(|| "现有工艺已能满足要求".to_string()),
                benefit: None,
                version: a.version,
            },
            today,
            now(),
        )
        .await?;
        if action == "decline" {
            continue;
        }
        report.adopted += 1;
        if roll < 4 {
            let a = achievement::decide(
                db,
                &actor,
                a.id,
                &DecideInput {
                    action: "implement".into(),
                    on: Some((decided + Days::new(10)).min(today).to_string()),
                    benefit: Some(format!("{}", 2_000 + rng.below(80_000))),
                    version: a.version,
                    ..Default::default()
                },
                today,
                now(),
            )
            .await?;
            report.benefit_fen += a.benefit_fen;
        }
    }

    // 名师带徒: a master teaches one or two apprentices; some apprentices learn from two.
    let mut apprentices: Vec<i64> = Vec::new();
    for n in 0..240u64 {
        let mentor = pick(&mut rng);
        let apprentice = if n % 10 == 9 && !apprentices.is_empty() {
            apprentices[rng.below(apprentices.len() as u64) as usize]
        } else {
            pick(&mut rng)
        };
        if apprentice == mentor {
            continue;
        }
        let starts = day_in_year(&mut rng, 30);
        let i = PairInput {
            mentor_member_id: Some(mentor.to_string()),
            apprentice_member_id: Some(apprentice.to_string()),
            trade: Some(FIELDS[n as usize % FIELDS.len()].into()),
            starts_on: Some(starts.to_string()),
            ends_on: Some((starts + Days::new(365)).to_string()),
            ..Default::default()
        };
        let p = match mentoring::sign(db, keys, &actor, &i, today, now()).await {
            Ok(p) => p,
            Err(e) if e.code() == "PAIR_EXISTS" => continue,
            Err(e) => return Err(e),
        };
        apprentices.push(apprentice);
        report.pairs += 1;
        if n % 5 == 0 {
            mentoring::close(
                db,
                &actor,
                p.id,
                &CloseInput {
                    action: "graduate".into(),
                    on: Some((starts + Days::new(20)).min(today).to_string()),
                    outcome: Some("通过中级工技能鉴定".into()),
                    version: p.version,
                },
                today,
                now(),
            )
            .await?;
        }
    }

    // 揭榜挂帅: the city puts up problems; studios take most, one team by its leader.
    for n in 0..8u64 {
        let posted = today - Days::new(200 - 20 * n);
        let i = ProjectInput {
            title: Some(format!(
                "{}关键工序攻关（{}）",
                FIELDS[n as usize % FIELDS.len()],
                n + 1
            )),
            challenge: Some("降低废品率至千分之三以下，形成可推广的操作法".into()),
            reward: Some(format!("{}", 20_000 + 10_000 * n)),
            org_code: Some(city.clone()),
            posted_on: Some(posted.to_string()),
            apply_by: Some((posted + Days::new(30)).to_string()),
            due_on: Some((posted + Days::new(150)).to_string()),
            ..Default::default()
        };
        let p = project::post(db, &actor, &i, today, now()).await?;
        report.projects += 1;
        if n == 7 {
            continue; // still open
        }
        let taken = posted + Days::new(10);
        let by_leader = n == 6;
        let p = project::step(
            db,
            keys,
            &actor,
            p.id,
            &StepInput {
                action: "take".into(),
                on: Some(taken.to_string()),
                studio_id: (!by_leader).then(|| studios[n as usize % studios.len()].to_string()),
                leader_member_id: by_leader.then(|| pick(&mut rng).to_string()),
                team: by_leader.then(|| {
                    (0..3)
                        .map(|_| pick(&mut rng).to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                }),
                version: p.version,
                ..Default::default()
            },
            today,
            now(),
        )
        .await?;
        if n < 3 {
            project::step(
                db,
                keys,
                &actor,
                p.id,
                &StepInput {
                    action: "complete".into(),
                    on: Some((taken + Days::new(100)).min(today).to_string()),
                    benefit: Some(format!("{}", 150_000 + 50_000 * n)),
                    outcome: Some("攻关完成，废品率降至千分之二".into()),
                    version: p.version,
                    ..Default::default()
                },
                today,
                now(),
            )
            .await?;
        }
    }
    Ok(report)
}
