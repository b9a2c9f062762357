//! Questionnaires of a research task, answered by members online: single-choice questions, open
//! between two days to the members of the task's union's subtree, answered once by each. The
//! results are the counts of each choice.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::task::{self, TaskStatus};
use crate::audit::{self, Actor, Event};
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::scope::Scope;
use crate::workflow::{self, Named, given, issue};

/// The most questions and the most choices of one question.
const MAX_QUESTIONS: usize = 50;
const MAX_CHOICES: usize = 10;

/// One single-choice question.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Question {
    pub text: String,
    pub choices: Vec<String>,
}

/// A questionnaire as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionnaireInput {
    pub title: Option<String>,
    /// One question per line: the question, then its choices, separated by `/` (或 `／`):
    /// `您每天工作多少小时？/8小时以内/8至10小时/10小时以上`.
    pub questions: Option<String>,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
}

/// A questionnaire as shown, with how many answered and, for cadres, the count of each choice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Questionnaire {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub task_id: i64,
    pub task_title: String,
    pub org_name: String,
    pub title: String,
    pub questions: Vec<Question>,
    pub opens_on: String,
    pub closes_on: String,
    pub answers: i64,
    /// Per question, per choice: how many chose it (empty for members).
    pub results: Vec<Vec<i64>>,
}

/// Reads the questions typed one per line; what is wrong goes to `issues`.
pub fn parse_questions(
    typed: Option<&str>,
    issues: &mut Vec<crate::error::FieldIssue>,
) -> Vec<Question> {
    let lines: Vec<&str> = given(typed)
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        issues.push(issue("问题", "请填写问题，每行一个：问题/选项一/选项二"));
        return Vec::new();
    }
    if lines.len() > MAX_QUESTIONS {
        issues.push(issue("问题", format!("一份问卷最多{MAX_QUESTIONS}个问题")));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let mut parts = line
            .split(['/', '／'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| p.chars().take(200).collect::<String>());
        let text = parts.next().unwrap_or_default();
        let choices: Vec<String> = parts.collect();
        if choices.len() < 2 || choices.len() > MAX_CHOICES {
            issues.push(issue(
                "问题",
                format!("第{}个问题应有 2 至 {MAX_CHOICES} 个选项，用“/”隔开", n + 1),
            ));
            continue;
        }
        out.push(Question { text, choices });
    }
    out
}

type Row = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

const SELECT: &str = "SELECT q.id, q.task_id, t.title, o.name, q.title, q.questions, q.opens_on, q.closes_on, q.org_path \
    FROM questionnaires q JOIN research_tasks t ON t.id = q.task_id JOIN orgs o ON o.id = t.org_id";

fn shown(r: Row, answers: i64, results: Vec<Vec<i64>>) -> AppResult<(Questionnaire, String)> {
    let questions: Vec<Question> =
        serde_json::from_str(&r.5).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    Ok((
        Questionnaire {
            id: r.0,
            task_id: r.1,
            task_title: r.2,
            org_name: r.3,
            title: r.4,
            questions,
            opens_on: r.6,
            closes_on: r.7,
            answers,
            results,
        },
        r.8,
    ))
}

/// Adds a questionnaire to task `task_id`. Every problem of the input at once.
pub async fn create(
    db: &Db,
    actor: &Actor,
    task_id: i64,
    i: &QuestionnaireInput,
    now: i64,
) -> AppResult<Questionnaire> {
    let t = task::get(db, &actor.scope, task_id).await?;
    if t.status != TaskStatus::Ongoing.code() {
        return Err(AppError::conflict("TASK_CONCLUDED", "这项调研已经完成"));
    }
    let mut issues = Vec::new();
    let title = given(i.title.as_deref()).map(|t| t.chars().take(100).collect::<String>());
    if title.is_none() {
        issues.push(issue("问卷标题", "请填写问卷标题"));
    }
    let questions = parse_questions(i.questions.as_deref(), &mut issues);
    let opens = workflow::date("开始日期", i.opens_on.as_deref(), &mut issues);
    let closes = workflow::date("截止日期", i.closes_on.as_deref(), &mut issues);
    if let (Some(o), Some(c)) = (opens, closes)
        && c < o
    {
        issues.push(issue("截止日期", "截止日期不能早于开始日期"));
    }
    let (Some(title), Some(opens), Some(closes)) = (title, opens, closes) else {
        return Err(AppError::invalid_fields("问卷有误，请按提示修改", issues));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields("问卷有误，请按提示修改", issues));
    }
    let id = new_id();
    let json =
        serde_json::to_string(&questions).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO questionnaires (id, task_id, org_path, title, questions, opens_on, closes_on, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
    )
    .bind(id)
    .bind(task_id)
    .bind(&t.org_path)
    .bind(&title)
    .bind(&json)
    .bind(opens.to_string())
    .bind(closes.to_string())
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("research.questionnaire")
            .target(task::CASE, task_id)
            .detail(serde_json::json!({"questions": questions.len()})),
    )
    .await?;
    tx.commit().await?;
    get(db, &actor.scope, id).await
}

/// Questionnaire `id` of a task in `scope`, with the count of each choice.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Questionnaire> {
    let (lo, hi) = scope.range();
    let row: Option<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE q.id = $1 AND q.org_path >= $2 AND q.org_path < $3"
    ))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    let row = row.ok_or_else(|| AppError::not_found("问卷"))?;
    let answers: Vec<(String,)> =
        sqlx::query_as("SELECT answers FROM questionnaire_answers WHERE questionnaire_id = $1")
            .bind(id)
            .fetch_all(db.pool())
            .await?;
    let questions: Vec<Question> =
        serde_json::from_str(&row.5).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    let mut results: Vec<Vec<i64>> = questions.iter().map(|q| vec![0; q.choices.len()]).collect();
    for (a,) in &answers {
        let chosen: Vec<usize> = serde_json::from_str(a).unwrap_or_default();
        for (q, c) in chosen.iter().enumerate() {
            if let Some(slot) = results.get_mut(q).and_then(|r| r.get_mut(*c)) {
                *slot += 1;
            }
        }
    }
    Ok(shown(row, answers.len() as i64, results)?.0)
}

/// The questionnaires of task `task_id`, with their results.
pub async fn of_task(db: &Db, scope: &Scope, task_id: i64) -> AppResult<Vec<Questionnaire>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM questionnaires WHERE task_id = $1 ORDER BY opens_on, id",
    )
    .bind(task_id)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for id in ids {
        out.push(get(db, scope, id).await?);
    }
    Ok(out)
}

/// The questionnaires open on `today` to member `member_id` (their union within the asking
/// union's subtree) that they have not answered yet; no results shown.
pub async fn open_to(db: &Db, member_id: i64, today: NaiveDate) -> AppResult<Vec<Questionnaire>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} JOIN members m ON m.id = $1 WHERE q.opens_on <= $2 AND q.closes_on >= $2 \
         AND m.status = 'active' AND substr(m.org_path, 1, length(q.org_path)) = q.org_path \
         AND NOT EXISTS (SELECT 1 FROM questionnaire_answers a WHERE a.questionnaire_id = q.id AND a.member_id = $1) \
         ORDER BY q.closes_on, q.id LIMIT 50"
    ))
    .bind(member_id)
    .bind(today.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| shown(r, 0, Vec::new()).map(|(q, _)| q))
        .collect()
}

/// A member's answers: the number of the chosen choice of each question, from 1.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub choices: Vec<i64>,
}

/// Records member `member_id`'s answers to questionnaire `id`: only while it is open, only by a
/// member of the asking union's subtree, once.
pub async fn answer(
    db: &Db,
    actor: &Actor,
    member_id: i64,
    id: i64,
    i: &AnswerInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<()> {
    let (q, path) = {
        let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE q.id = $1"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
        shown(
            row.ok_or_else(|| AppError::not_found("问卷"))?,
            0,
            Vec::new(),
        )?
    };
    let member: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT status, org_path FROM members WHERE id = $1")
            .bind(member_id)
            .fetch_optional(db.pool())
            .await?;
    let eligible = matches!(&member, Some((s, Some(p))) if s == "active" && p.starts_with(&path));
    if !eligible {
        return Err(AppError::not_found("问卷"));
    }
    let day = today.to_string();
    if day < q.opens_on {
        return Err(AppError::conflict(
            "QUESTIONNAIRE_NOT_OPEN",
            format!("问卷“{}”从 {} 开始填写", q.title, q.opens_on),
        ));
    }
    if day > q.closes_on {
        return Err(AppError::conflict(
            "QUESTIONNAIRE_CLOSED",
            format!("问卷“{}”已于 {} 截止，不能再填写", q.title, q.closes_on),
        ));
    }
    let mut issues = Vec::new();
    if i.choices.len() != q.questions.len() {
        issues.push(issue(
            "答案",
            format!("问卷有{}个问题，请每题选择一项", q.questions.len()),
        ));
    }
    let mut chosen = Vec::new();
    for (n, (c, question)) in i.choices.iter().zip(&q.questions).enumerate() {
        if *c < 1 || *c as usize > question.choices.len() {
            issues.push(issue(
                "答案",
                format!("第{}题只有 {} 个选项", n + 1, question.choices.len()),
            ));
        } else {
            chosen.push(*c as usize - 1);
        }
    }
    if !issues.is_empty() {
        return Err(AppError::invalid_fields("答案有误，请按提示修改", issues));
    }
    let json =
        serde_json::to_string(&chosen).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO questionnaire_answers (questionnaire_id, member_id, org_path, answered_on, answers) VALUES ($1,$2,$3,$4,$5)",
    )
    .bind(id)
    .bind(member_id)
    .bind(&path)
    .bind(&day)
    .bind(&json)
    .execute(&mut *tx)
    .await
    .map_err(AppError::from);
    match inserted {
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::conflict(
                "ALREADY_ANSWERED",
                format!("您已经填写过问卷“{}”，每人只能填写一次", q.title),
            ));
        }
        other => {
            other?;
        }
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("research.answer").target("questionnaire", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_read_one_per_line_with_their_choices() {
        let mut issues = Vec::new();
        let q = parse_questions(
            Some(
                "您每天工作多少小时？/8小时以内/8至10小时/10小时以上\n\n是否签订劳动合同？／是／否\n只有一个选项/是",
            ),
            &mut issues,
        );
        assert_eq!(q.len(), 2);
        assert_eq!(q[1].choices, vec!["是", "否"]);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(issues[0].message.contains("第3个问题"));
    }
}

/// An answer in a drill: who answered which questionnaire, when (the choices stay in the
/// questionnaire's results).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct AnswerRow {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub questionnaire_id: i64,
    pub questionnaire: String,
    pub name: String,
    pub id_masked: Option<String>,
    pub answered_on: String,
}

/// One page of the answers to the questionnaires of `scope` between `from` and `to`, latest
/// first, and how many there are.
pub async fn answers_in(
    db: &Db,
    scope: &Scope,
    (from, to): (&str, &str),
    paging: &crate::db::Paging,
) -> AppResult<(Vec<AnswerRow>, i64)> {
    let mut w = crate::db::Where::in_scope("a.org_path", scope);
    w.and("a.answered_on >= ?", &[from])
        .and("a.answered_on <= ?", &[to]);
    crate::db::paged::<AnswerRow>(
        db,
        "a.questionnaire_id, q.title AS questionnaire, m.name, m.id_masked, a.answered_on FROM questionnaire_answers a \
         JOIN questionnaires q ON q.id = a.questionnaire_id JOIN members m ON m.id = a.member_id",
        "FROM questionnaire_answers a",
        &w.cond,
        "a.answered_on DESC, a.questionnaire_id, a.member_id",
        &w.args,
        paging,
    )
    .await
}
