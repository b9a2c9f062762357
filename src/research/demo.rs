//! The demo city's research year, made through the same functions a cadre's and a member's
//! requests call: the city's research on new-form workers (visits to employers, symposia, a
//! questionnaire members answered, the problems found — most rectified, one overdue) and a
//! district's research still under way.

use chrono::{Days, NaiveDate};

use super::issues::{self, IssueInput, RectifyInput};
use super::survey::{self, AnswerInput, QuestionnaireInput};
use super::task::{self, ConcludeInput, TaskInput, VisitInput};
use crate::aid::demo::Rng;
use crate::audit::Actor;
use crate::crypto::FieldKeys;
use crate::db::Db;
use crate::error::AppResult;

/// What the demo made.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub tasks: u64,
    pub visits: u64,
    pub answers: u64,
    pub issues: u64,
    pub rectified: u64,
}

const PROBLEMS: [(&str, &str); 9] = [
    ("部分平台未为骑手缴纳职业伤害保障", "市总工会权益保障部"),
    ("站点缺少休息和饮水场所", "各区总工会"),
    ("夜班骑手交通安全培训不足", "市总工会宣教部"),
    ("劳动合同签订率偏低", "市总工会权益保障部"),
    ("工会组织覆盖不到加盟站点", "市总工会组织部"),
    ("超时劳动现象较多", "市总工会权益保障部"),
    ("维权渠道知晓率不高", "市总工会宣教部"),
    ("职工书屋使用率低", "各区总工会"),
    ("技能提升培训报名渠道不畅", "市总工会经济技术部"),
];

pub async fn seed(db: &Db, keys: &FieldKeys, seed: u64, today: NaiveDate) -> AppResult<Report> {
    let mut report = Report::default();
    let actor = Actor::system(keys, "演示数据·调研");
    let mut rng = Rng(seed ^ 0x5e5e_2026);
    let city: Option<(String, String)> = sqlx::query_as(
        "SELECT code, path FROM orgs WHERE kind = 'city' AND status = 'active' ORDER BY depth, code LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    let Some((city, city_path)) = city else {
        return Ok(report);
    };
    let units: Vec<String> =
        sqlx::query_scalar("SELECT uscc FROM units WHERE org_id IS NOT NULL ORDER BY id LIMIT 200")
            .fetch_all(db.pool())
            .await?;
    let members: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM members WHERE status = 'active' AND org_path >= $1 AND org_path < $2 ORDER BY id LIMIT 3000",
    )
    .bind(&city_path)
    .bind(crate::db::path_upper(&city_path))
    .fetch_all(db.pool())
    .await?;
    if units.len() < 20 || members.len() < 200 {
        return Ok(report);
    }
    let now = crate::db::now_ms;
    let starts = today - Days::new(120);
    let t = task::create(
        db,
        &actor,
        &TaskInput {
            title: Some("新就业形态劳动者权益保障情况调研".into()),
            purpose: Some(
                "了解快递员、外卖骑手、网约车司机的劳动保障、入会和服务需求，提出工作建议".into(),
            ),
            org_code: Some(city.clone()),
            starts_on: Some(starts.to_string()),
            ends_on: Some((starts + Days::new(60)).to_string()),
        },
        now(),
    )
    .await?;
    report.tasks += 1;
    // Visits to employers (a few twice) and symposia.
    for n in 0..40u64 {
        let uscc = units[(n as usize * 3) % units.len()].clone();
        task::add_visit(
            db,
            &actor,
            t.id,
            &VisitInput {
                kind: Some("visit".into()),
                uscc: Some(uscc),
                held_on: Some((starts + Days::new(rng.below(55))).to_string()),
                people: Some(format!("{}", 2 + rng.below(8))),
                notes: None,
            },
            today,
            now(),
        )
        .await?;
        report.visits += 1;
    }
    for n in 0..6u64 {
        task::add_visit(
            db,
            &actor,
            t.id,
            &VisitInput {
                kind: Some("symposium".into()),
                held_on: Some((starts + Days::new(5 + 8 * n)).to_string()),
                people: Some(format!("{}", 10 + rng.below(20))),
                notes: Some("骑手、站长和平台企业代表参加".into()),
                ..Default::default()
            },
            today,
            now(),
        )
        .await?;
        report.visits += 1;
    }
    // The questionnaire, answered by 110 members while it was open.
    let q = survey::create(
        db,
        &actor,
        t.id,
        &QuestionnaireInput {
            title: Some("新就业形态劳动者权益保障问卷".into()),
            questions: Some(
                "您每天工作多少小时？/8小时以内/8至10小时/10至12小时/12小时以上\n\
                 您是否参加了工伤或职业伤害保障？/是/否/不清楚\n\
                 您最希望工会提供哪项服务？/法律援助/技能培训/休息驿站/子女托管"
                    .into(),
            ),
            opens_on: Some((starts + Days::new(10)).to_string()),
            closes_on: Some((starts + Days::new(40)).to_string()),
        },
        now(),
    )
    .await?;
    for n in 0..110usize {
        let member = members[(n * 17) % members.len()];
        let answered = survey::answer(
            db,
            &actor,
            member,
            q.id,
            &AnswerInput {
                choices: vec![
                    1 + rng.below(4) as i64,
                    1 + rng.below(3) as i64,
                    1 + rng.below(4) as i64,
                ],
            },
            starts + Days::new(10 + rng.below(30)),
            now(),
        )
        .await;
        match answered {
            Ok(()) => report.answers += 1,
            Err(e) if e.code() == "ALREADY_ANSWERED" => {}
            Err(e) => return Err(e),
        }
    }
    // Nine problems: seven rectified, one overdue, one not yet due.
    for (n, (title, owner)) in PROBLEMS.iter().enumerate() {
        let raised = starts + Days::new(50);
        let due = if n == 8 {
            today + Days::new(30)
        } else {
            raised + Days::new(45)
        };
        let item = issues::raise(
            db,
            &actor,
            &IssueInput {
                task_id: Some(t.id.to_string()),
                title: Some((*title).into()),
                owner: Some((*owner).into()),
                raised_on: Some(raised.to_string()),
                due_on: Some(due.to_string()),
                ..Default::default()
            },
            today,
            now(),
        )
        .await?;
        report.issues += 1;
        if n < 7 {
            issues::rectify(
                db,
                &actor,
                item.id,
                &RectifyInput {
                    measures: "已督促落实并建立长效机制".into(),
                    on: Some((raised + Days::new(20 + rng.below(20))).to_string()),
                    version: item.version,
                },
                today,
                now(),
            )
            .await?;
            report.rectified += 1;
        }
    }
    task::conclude(
        db,
        &actor,
        t.id,
        &ConcludeInput {
            summary: "走访企业、召开座谈会、发放问卷，提出建议措施9条，已整改7条".into(),
            on: Some((starts + Days::new(60)).to_string()),
            version: t.version,
        },
        today,
        now(),
    )
    .await?;
    // A district's research still under way.
    let district: Option<(String,)> = sqlx::query_as(
        "SELECT code FROM orgs WHERE kind = 'district' AND status = 'active' ORDER BY code LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    if let Some((district,)) = district {
        let d = task::create(
            db,
            &actor,
            &TaskInput {
                title: Some("非公企业建会入会情况调研".into()),
                purpose: Some("摸清辖区非公企业建会和职工入会底数".into()),
                org_code: Some(district),
                starts_on: Some((today - Days::new(20)).to_string()),
                ends_on: Some((today + Days::new(40)).to_string()),
            },
            now(),
        )
        .await?;
        report.tasks += 1;
        for n in 0..5usize {
            task::add_visit(
                db,
                &actor,
                d.id,
                &VisitInput {
                    kind: Some("visit".into()),
                    uscc: Some(units[(n * 7 + 1) % units.len()].clone()),
                    held_on: Some((today - Days::new(15 - 3 * n as u64)).to_string()),
                    people: Some("3".into()),
                    notes: None,
                },
                today,
                now(),
            )
            .await?;
            report.visits += 1;
        }
    }
    Ok(report)
}
