//! A research task: a union sets out to learn something (新就业形态劳动者权益, 企业用工情况 …)
//! between two days, visits employers and holds symposia, and concludes with a summary. The
//! visits and symposia are recorded with how many took part.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::db::{Db, Paging, Where, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::scope::Scope;
use crate::workflow::{self, Named, Set, coded_enum, given, issue};

/// The kind of record in the audit trail.
pub const CASE: &str = "research_task";

coded_enum! {
    /// Where a task stands.
    TaskStatus {
        Ongoing = "ongoing", "调研中";
        Concluded = "concluded", "已完成";
    }
}

coded_enum! {
    /// How the research met people.
    VisitKind {
        Visit = "visit", "走访企业";
        Symposium = "symposium", "座谈会";
    }
}

/// A task as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub title: Option<String>,
    /// What the research is to find out.
    pub purpose: Option<String>,
    /// The union doing it (code); default the top of the caller's scope.
    pub org_code: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
}

/// A task as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Task {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub title: String,
    pub purpose: String,
    pub starts_on: String,
    pub ends_on: String,
    pub status: String,
    #[sqlx(skip)]
    pub status_label: String,
    pub summary: Option<String>,
    pub concluded_on: Option<String>,
    /// Employers visited (each once) and symposia held.
    pub employers_visited: i64,
    pub symposia: i64,
    /// Problems found, and how many of them are rectified.
    pub issues: i64,
    pub issues_rectified: i64,
    pub version: i64,
}

const SELECT: &str = "t.id, o.code AS org_code, o.name AS org_name, t.org_path, t.title, t.purpose, t.starts_on, t.ends_on, \
    t.status, t.summary, t.concluded_on, \
    (SELECT CAST(COUNT(DISTINCT v.unit_id) AS BIGINT) FROM research_visits v WHERE v.task_id = t.id AND v.kind = 'visit') AS employers_visited, \
    (SELECT CAST(COUNT(*) AS BIGINT) FROM research_visits v WHERE v.task_id = t.id AND v.kind = 'symposium') AS symposia, \
    (SELECT CAST(COUNT(*) AS BIGINT) FROM research_issues i WHERE i.task_id = t.id) AS issues, \
    (SELECT CAST(COUNT(*) AS BIGINT) FROM research_issues i WHERE i.task_id = t.id AND i.status = 'rectified') AS issues_rectified, \
    t.version FROM research_tasks t JOIN orgs o ON o.id = t.org_id";
const COUNT_FROM: &str = "FROM research_tasks t";

fn labelled(mut t: Task) -> Task {
    t.status_label =
        TaskStatus::parse(&t.status).map_or_else(|| t.status.clone(), |s| s.label().into());
    t
}

/// Task `id` if its union is in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Task> {
    Ok(labelled(
        crate::registry::scope::one_in_scope(db, SELECT, "t", id, scope, "调研任务").await?,
    ))
}

/// Sets a task up. Every problem of the input at once.
pub async fn create(db: &Db, actor: &Actor, i: &TaskInput, now: i64) -> AppResult<Task> {
    let mut issues = Vec::new();
    let title = given(i.title.as_deref()).map(|t| t.chars().take(100).collect::<String>());
    if title.is_none() {
        issues.push(issue("调研题目", "请填写调研题目"));
    }
    let purpose = given(i.purpose.as_deref()).map(|t| t.chars().take(2000).collect::<String>());
    if purpose.is_none() {
        issues.push(issue("调研目的", "请填写调研目的和内容"));
    }
    let org = workflow::union_in_scope(
        db,
        &actor.scope,
        "调研单位",
        i.org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let starts = workflow::date("开始日期", i.starts_on.as_deref(), &mut issues);
    let ends = workflow::date("结束日期", i.ends_on.as_deref(), &mut issues);
    if let (Some(s), Some(e)) = (starts, ends)
        && e < s
    {
        issues.push(issue("结束日期", "结束日期不能早于开始日期"));
    }
    let (Some(title), Some(purpose), Some(org), Some(starts), Some(ends)) =
        (title, purpose, org, starts, ends)
    else {
        return Err(AppError::invalid_fields(
            "调研任务有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "调研任务有误，请按提示修改",
            issues,
        ));
    }
    let id = new_id();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO research_tasks (id, org_id, org_path, title, purpose, starts_on, ends_on, status, created_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,'ongoing',$8,$9,$9)",
    )
    .bind(id)
    .bind(org.id)
    .bind(&org.path)
    .bind(&title)
    .bind(&purpose)
    .bind(starts.to_string())
    .bind(ends.to_string())
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("research.task.create").target(CASE, id),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// Concluding a task, as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcludeInput {
    /// What was found and proposed (调研报告摘要).
    pub summary: String,
    /// Default today.
    pub on: Option<String>,
    pub version: i64,
}

/// Concludes task `id` with its summary.
pub async fn conclude(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &ConcludeInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Task> {
    let t = get(db, &actor.scope, id).await?;
    if t.status != TaskStatus::Ongoing.code() {
        return Err(AppError::conflict("TASK_CONCLUDED", "这项调研已经完成"));
    }
    let summary = workflow::required(&i.summary, "调研报告摘要", 5000)?;
    let mut issues = Vec::new();
    let on = workflow::step_day(
        "完成日期",
        i.on.as_deref(),
        today,
        (&t.starts_on, "调研开始日期"),
        &mut issues,
    );
    let Some(on) = on.filter(|_| issues.is_empty()) else {
        return Err(AppError::invalid_fields(
            "办理信息有误，请按提示修改",
            issues,
        ));
    };
    let mut tx = db.begin_write().await?;
    workflow::update_case(
        &mut tx,
        "research_tasks",
        id,
        i.version,
        TaskStatus::Ongoing.code(),
        TaskStatus::Concluded.code(),
        now,
        &[
            Set::Text("summary", Some(summary)),
            Set::Text("concluded_on", Some(on.to_string())),
        ],
        "这项调研",
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("research.task.conclude").target(CASE, id),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// A visit or a symposium as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    /// `visit` (走访企业) or `symposium` (座谈会).
    pub kind: Option<String>,
    /// The employer visited (统一社会信用代码); a symposium may name none.
    pub uscc: Option<String>,
    pub held_on: Option<String>,
    /// How many took part.
    pub people: Option<String>,
    pub notes: Option<String>,
}

/// A visit or a symposium as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Visit {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub task_id: i64,
    pub kind: String,
    #[sqlx(skip)]
    pub kind_label: String,
    pub unit_name: Option<String>,
    pub held_on: String,
    pub people: i64,
    pub notes: Option<String>,
}

/// The visits and symposia of task `id`, latest first.
pub async fn visits(db: &Db, task_id: i64) -> AppResult<Vec<Visit>> {
    let rows: Vec<Visit> = sqlx::query_as(
        "SELECT v.id, v.task_id, v.kind, u.name AS unit_name, v.held_on, v.people, v.notes FROM research_visits v \
         LEFT JOIN units u ON u.id = v.unit_id WHERE v.task_id = $1 ORDER BY v.held_on DESC, v.id DESC",
    )
    .bind(task_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|mut v| {
            v.kind_label =
                VisitKind::parse(&v.kind).map_or_else(|| v.kind.clone(), |k| k.label().into());
            v
        })
        .collect())
}

/// Records a visit or a symposium of task `id`, on a day within the task's dates.
pub async fn add_visit(
    db: &Db,
    actor: &Actor,
    task_id: i64,
    i: &VisitInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Visit> {
    let t = get(db, &actor.scope, task_id).await?;
    let mut issues = Vec::new();
    let kind: Option<VisitKind> = workflow::pick("方式", i.kind.as_deref(), &mut issues);
    let unit =
        workflow::unit_in_scope(db, &actor.scope, "走访单位", i.uscc.as_deref(), &mut issues)
            .await?;
    if kind == Some(VisitKind::Visit) && unit.is_none() && given(i.uscc.as_deref()).is_none() {
        issues.push(issue("走访单位", "走访企业请填写单位的统一社会信用代码"));
    }
    let on = workflow::date("日期", i.held_on.as_deref(), &mut issues);
    if let Some(d) = on {
        let d = d.to_string();
        if d > today.to_string() {
            issues.push(issue("日期", "日期不能晚于今天"));
        } else if d < t.starts_on || d > t.ends_on {
            issues.push(issue(
                "日期",
                format!("调研时间为 {} 至 {}，日期不在其中", t.starts_on, t.ends_on),
            ));
        }
    }
    let people = match given(i.people.as_deref()) {
        None => Some(0),
        Some(p) => match p.parse::<i64>() {
            Ok(n) if (0..=100_000).contains(&n) => Some(n),
            _ => {
                issues.push(issue("参加人数", "参加人数应为 0 至 100000 的整数"));
                None
            }
        },
    };
    let (Some(kind), Some(on), Some(people)) = (kind, on, people) else {
        return Err(AppError::invalid_fields(
            "调研记录有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "调研记录有误，请按提示修改",
            issues,
        ));
    }
    let notes = given(i.notes.as_deref()).map(|n| n.chars().take(2000).collect::<String>());
    let id = new_id();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO research_visits (id, task_id, org_path, kind, unit_id, held_on, people, notes, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    )
    .bind(id)
    .bind(task_id)
    .bind(&t.org_path)
    .bind(kind.code())
    .bind(unit.as_ref().map(|u| u.id))
    .bind(on.to_string())
    .bind(people)
    .bind(&notes)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("research.visit")
            .target(CASE, task_id)
            .detail(serde_json::json!({"kind": kind.code(), "people": people})),
    )
    .await?;
    tx.commit().await?;
    visits(db, task_id)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| AppError::not_found("调研记录"))
}

/// What a task list asks for (within a scope).
#[derive(Debug, Default, Clone)]
pub struct TaskFilter {
    pub status: Option<TaskStatus>,
    /// Started from / to (the drill behind the figure).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Title contains this.
    pub q: Option<String>,
    pub paging: Paging,
}

/// One page of the tasks of `scope`, newest first, and how many there are.
pub async fn list(db: &Db, scope: &Scope, f: &TaskFilter) -> AppResult<(Vec<Task>, i64)> {
    let mut w = Where::in_scope("t.org_path", scope);
    if let Some(s) = f.status {
        w.and("t.status = ?", &[s.code()]);
    }
    if let Some(d) = &f.from {
        w.and("t.starts_on >= ?", &[d]);
    }
    if let Some(d) = &f.to {
        w.and("t.starts_on <= ?", &[d]);
    }
    if let Some(q) = given(f.q.as_deref()) {
        w.and(
            "t.title LIKE ? ESCAPE '\\'",
            &[&crate::db::like_contains(q)],
        );
    }
    let (rows, total) = crate::db::paged::<Task>(
        db,
        SELECT,
        COUNT_FROM,
        &w.cond,
        "t.starts_on DESC, t.id DESC",
        &w.args,
        &f.paging,
    )
    .await?;
    Ok((rows.into_iter().map(labelled).collect(), total))
}

/// A visit or a symposium in a drill, with its task.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct VisitRow {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub task_id: i64,
    pub task_title: String,
    pub kind: String,
    pub unit_name: Option<String>,
    pub held_on: String,
    pub people: i64,
}

/// One page of the visits (or symposia) of the tasks of `scope` held between `from` and `to`,
/// latest first, and how many there are; `one_per_employer` keeps each employer's first visit
/// only (the drill behind the employers visited).
pub async fn visits_in(
    db: &Db,
    scope: &Scope,
    kind: VisitKind,
    (from, to): (&str, &str),
    one_per_employer: bool,
    paging: &Paging,
) -> AppResult<(Vec<VisitRow>, i64)> {
    let mut w = Where::in_scope("v.org_path", scope);
    w.and("v.kind = ?", &[kind.code()])
        .and("v.held_on >= ?", &[from])
        .and("v.held_on <= ?", &[to]);
    if one_per_employer {
        let (lo, hi) = scope.range();
        w.and(
            "v.id = (SELECT MIN(x.id) FROM research_visits x WHERE x.unit_id = v.unit_id AND x.kind = 'visit' \
             AND x.org_path >= ? AND x.org_path < ? AND x.held_on >= ? AND x.held_on <= ?)",
            &[&lo, &hi, from, to],
        );
    }
    crate::db::paged::<VisitRow>(
        db,
        "v.id, v.task_id, t.title AS task_title, v.kind, u.name AS unit_name, v.held_on, v.people \
         FROM research_visits v JOIN research_tasks t ON t.id = v.task_id LEFT JOIN units u ON u.id = v.unit_id",
        "FROM research_visits v",
        &w.cond,
        "v.held_on DESC, v.id DESC",
        &w.args,
        paging,
    )
    .await
}
