//! The issue ledger (问题台账): a problem found — by a research task or raised on its own — with
//! the union that owns its rectification, the person in charge and a due day. It is 整改中 until
//! rectified (已整改, with the day and the measures taken); past its due day and still open it is
//! 逾期, read from the due day on the shared deadline rules, never stored.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::task;
use crate::audit::{self, Actor, Event};
use crate::db::{Db, Paging, Where, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::scope::Scope;
use crate::workflow::{self, Named, Set, coded_enum, deadlines, given, issue};

/// The kind of record in the audit trail.
pub const CASE: &str = "research_issue";

/// Days before the due day an item shows as near it.
pub const WARN_DAYS: u32 = 7;

coded_enum! {
    /// Where an item stands (逾期 is read from the due day).
    IssueStatus {
        Rectifying = "rectifying", "整改中";
        Rectified = "rectified", "已整改";
    }
}

/// A problem as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueInput {
    /// The research task that found it (its id), if any.
    pub task_id: Option<String>,
    pub title: Option<String>,
    pub detail: Option<String>,
    /// The union that owns the rectification (code); default the task's union, or the top of
    /// the caller's scope.
    pub org_code: Option<String>,
    /// The person or department in charge (责任人).
    pub owner: Option<String>,
    /// Default today.
    pub raised_on: Option<String>,
    /// The last day to rectify it (整改时限).
    pub due_on: Option<String>,
}

/// Rectifying a problem, as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectifyInput {
    /// What was done (整改措施).
    pub measures: String,
    /// Default today.
    pub on: Option<String>,
    pub version: i64,
}

/// A ledger item as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Issue {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub task_id: Option<i64>,
    pub task_title: Option<String>,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub title: String,
    pub detail: String,
    pub owner: String,
    pub raised_on: String,
    pub due_on: String,
    pub status: String,
    #[sqlx(skip)]
    pub status_label: String,
    /// `on_time`, `near` or `overdue` while open.
    #[sqlx(skip)]
    pub standing: Option<String>,
    pub rectified_on: Option<String>,
    pub measures: Option<String>,
    pub version: i64,
}

const SELECT: &str = "i.id, i.task_id, t.title AS task_title, o.code AS org_code, o.name AS org_name, i.org_path, i.title, \
    i.detail, i.owner, i.raised_on, i.due_on, i.status, i.rectified_on, i.measures, i.version \
    FROM research_issues i JOIN orgs o ON o.id = i.org_id LEFT JOIN research_tasks t ON t.id = i.task_id";
const COUNT_FROM: &str = "FROM research_issues i";

fn labelled(mut i: Issue, today: NaiveDate) -> Issue {
    let status = IssueStatus::parse(&i.status);
    i.status_label = match status {
        Some(IssueStatus::Rectifying) if i.due_on < today.to_string() => "逾期".into(),
        Some(s) => s.label().into(),
        None => i.status.clone(),
    };
    if status == Some(IssueStatus::Rectifying)
        && let Ok(due) = crate::types::parse_date(&i.due_on)
    {
        i.standing = Some(deadlines::standing(due, today, WARN_DAYS).code().into());
    }
    i
}

/// Item `id` if its union is in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64, today: NaiveDate) -> AppResult<Issue> {
    let i: Issue = crate::registry::scope::one_in_scope(db, SELECT, "i", id, scope, "问题").await?;
    Ok(labelled(i, today))
}

/// Puts a problem on the ledger. Every problem of the input at once.
pub async fn raise(
    db: &Db,
    actor: &Actor,
    i: &IssueInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Issue> {
    let mut issues = Vec::new();
    let found_by = match given(i.task_id.as_deref()) {
        None => None,
        Some(typed) => match typed.parse::<i64>() {
            Ok(id) => task::get(db, &actor.scope, id).await.ok(),
            Err(_) => None,
        }
        .or_else(|| {
            issues.push(issue("调研任务", "所选调研任务不存在或不在您的管理范围内"));
            None
        }),
    };
    let title = given(i.title.as_deref()).map(|t| t.chars().take(100).collect::<String>());
    if title.is_none() {
        issues.push(issue("问题", "请填写问题"));
    }
    let detail = given(i.detail.as_deref())
        .map(|t| t.chars().take(2000).collect::<String>())
        .unwrap_or_default();
    let owner = given(i.owner.as_deref()).map(|t| t.chars().take(100).collect::<String>());
    if owner.is_none() {
        issues.push(issue("责任人", "请填写整改责任人或责任部门"));
    }
    // The owning union: named, else the task's, else the top of the caller's scope.
    let org = match (given(i.org_code.as_deref()), &found_by) {
        (None, Some(t)) => {
            Some(crate::registry::orgs::get_by_code(db, &actor.scope, &t.org_code).await?)
        }
        (typed, _) => {
            workflow::union_in_scope(db, &actor.scope, "责任单位", typed, &mut issues).await?
        }
    };
    let raised = match given(i.raised_on.as_deref()) {
        None => Some(today),
        typed => workflow::date("发现日期", typed, &mut issues),
    };
    if raised.is_some_and(|d| d > today) {
        issues.push(issue("发现日期", "发现日期不能晚于今天"));
    }
    let due = workflow::date("整改时限", i.due_on.as_deref(), &mut issues);
    if let (Some(r), Some(d)) = (raised, due)
        && d < r
    {
        issues.push(issue("整改时限", "整改时限不能早于发现日期"));
    }
    let (Some(title), Some(owner), Some(org), Some(raised), Some(due)) =
        (title, owner, org, raised, due)
    else {
        return Err(AppError::invalid_fields(
            "问题台账有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "问题台账有误，请按提示修改",
            issues,
        ));
    }
    let id = new_id();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO research_issues (id, task_id, org_id, org_path, title, detail, owner, raised_on, due_on, status, \
         created_by, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'rectifying',$10,$11,$11)",
    )
    .bind(id)
    .bind(found_by.as_ref().map(|t| t.id))
    .bind(org.id)
    .bind(&org.path)
    .bind(&title)
    .bind(&detail)
    .bind(&owner)
    .bind(raised.to_string())
    .bind(due.to_string())
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("research.issue.raise")
            .target(CASE, id)
            .detail(serde_json::json!({"due_on": due.to_string()})),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id, today).await
}

/// Records item `id` rectified, with the measures taken.
pub async fn rectify(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &RectifyInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Issue> {
    let item = get(db, &actor.scope, id, today).await?;
    if item.status != IssueStatus::Rectifying.code() {
        return Err(AppError::conflict(
            "ALREADY_RECTIFIED",
            format!(
                "这个问题已于 {} 整改",
                item.rectified_on.as_deref().unwrap_or("")
            ),
        ));
    }
    let measures = workflow::required(&i.measures, "整改措施", 2000)?;
    let mut issues = Vec::new();
    let on = workflow::step_day(
        "整改日期",
        i.on.as_deref(),
        today,
        (&item.raised_on, "发现日期"),
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
        "research_issues",
        id,
        i.version,
        IssueStatus::Rectifying.code(),
        IssueStatus::Rectified.code(),
        now,
        &[
            Set::Text("rectified_on", Some(on.to_string())),
            Set::Text("measures", Some(measures)),
        ],
        "这个问题",
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("research.issue.rectify")
            .target(CASE, id)
            .detail(serde_json::json!({"on": on.to_string(), "late": on > crate::types::parse_date(&item.due_on)?})),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id, today).await
}

coded_enum! {
    /// Which items a ledger list keeps for a period: raised in it, rectified in it, or raised in
    /// it and not rectified by a due day passed at its end (overdue).
    IssueDated {
        Raised = "raised", "发现日期";
        Rectified = "rectified", "整改日期";
        Overdue = "overdue", "逾期";
    }
}

/// What a ledger list asks for (within a scope).
#[derive(Debug, Default, Clone)]
pub struct IssueFilter {
    pub task_id: Option<i64>,
    pub status: Option<IssueStatus>,
    /// `overdue` or `near`: open items past or near their due day today.
    pub due: Option<String>,
    pub dated: Option<IssueDated>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Problem or owner contains this.
    pub q: Option<String>,
    pub paging: Paging,
}

/// The condition that item alias `i` is overdue at the day bound to its `?`: due before it and
/// not rectified by its due day (still open, or rectified late).
pub fn overdue_at(i: &str) -> String {
    format!("{i}.due_on < ? AND ({i}.status = 'rectifying' OR {i}.rectified_on > {i}.due_on)")
}

/// One page of the ledger of `scope`, the soonest due first, and how many there are.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &IssueFilter,
    today: NaiveDate,
) -> AppResult<(Vec<Issue>, i64)> {
    let mut w = Where::in_scope("i.org_path", scope);
    let task = f.task_id.map(|t| t.to_string());
    if let Some(t) = &task {
        w.and("i.task_id = CAST(? AS BIGINT)", &[t]);
    }
    if let Some(s) = f.status {
        w.and("i.status = ?", &[s.code()]);
    }
    if let Some(cond) =
        deadlines::filter(f.due.as_deref(), "i.due_on", today, WARN_DAYS, &mut w.args)?
    {
        w.and("i.status = 'rectifying'", &[]).and(&cond, &[]);
    }
    let dated = f.dated.unwrap_or(IssueDated::Raised);
    let column = match dated {
        IssueDated::Rectified => {
            w.and("i.status = 'rectified'", &[]);
            "i.rectified_on"
        }
        IssueDated::Raised | IssueDated::Overdue => "i.raised_on",
    };
    if let Some(d) = &f.from {
        w.and(&format!("{column} >= ?"), &[d]);
    }
    if let Some(d) = &f.to {
        w.and(&format!("{column} <= ?"), &[d]);
    }
    if dated == IssueDated::Overdue {
        // Overdue by the period's last day (today without one), as the figure counts.
        let end = f.to.clone().unwrap_or_else(|| today.to_string());
        w.and(&overdue_at("i"), &[&end]);
    }
    if let Some(q) = given(f.q.as_deref()) {
        let like = crate::db::like_contains(q);
        w.and(
            "(i.title LIKE ? ESCAPE '\\' OR i.owner LIKE ? ESCAPE '\\')",
            &[&like, &like],
        );
    }
    let (rows, total) = crate::db::paged::<Issue>(
        db,
        SELECT,
        COUNT_FROM,
        &w.cond,
        "i.status DESC, i.due_on, i.id",
        &w.args,
        &f.paging,
    )
    .await?;
    Ok((
        rows.into_iter().map(|i| labelled(i, today)).collect(),
        total,
    ))
}
