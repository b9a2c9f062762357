//! 揭榜挂帅: a union puts up an employer's technical problem (张榜) with a reward and two dates
//! — the last day to take it and the day it is due; a studio or a member's team takes it (揭榜)
//! before the first, and it is completed with the benefit it brought, or not, by the second
//! (overdue past it, on the shared deadline rules). An untaken project may be withdrawn.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::people::{self, Role};
use super::studio::{self, StudioStatus};
use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, Paging, Where, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::scope::Scope;
use crate::types::{Fen, Limits};
use crate::workflow::{self, Named, Set, Step, coded_enum, deadlines, given, issue};

/// The kind of record in the audit trail.
pub const CASE: &str = "innovation_project";

/// The most a reward or a benefit may be (十亿元).
const MAX_MONEY: Fen = Fen(100_000_000_000);

/// Days before the due day a project shows as near its deadline.
pub const WARN_DAYS: u32 = 30;

coded_enum! {
    /// Where a project stands.
    ProjectStatus {
        Open = "open", "张榜中";
        Taken = "taken", "攻关中";
        Completed = "completed", "已完成";
        Failed = "failed", "未完成";
        Withdrawn = "withdrawn", "已撤榜";
    }
}

coded_enum! {
    /// What can be done to a project.
    ProjectAction {
        Take = "take", "揭榜";
        Complete = "complete", "验收完成";
        Fail = "fail", "未完成";
        Withdraw = "withdraw", "撤榜";
    }
}

/// Every allowed move.
pub const STEPS: &[Step<ProjectStatus, ProjectAction>] = &[
    Step {
        from: ProjectStatus::Open,
        action: ProjectAction::Take,
        to: ProjectStatus::Taken,
    },
    Step {
        from: ProjectStatus::Open,
        action: ProjectAction::Withdraw,
        to: ProjectStatus::Withdrawn,
    },
    Step {
        from: ProjectStatus::Taken,
        action: ProjectAction::Complete,
        to: ProjectStatus::Completed,
    },
    Step {
        from: ProjectStatus::Taken,
        action: ProjectAction::Fail,
        to: ProjectStatus::Failed,
    },
];

/// A project as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    pub title: Option<String>,
    /// The problem to solve and what counts as solved.
    pub challenge: Option<String>,
    /// The employer with the problem (统一社会信用代码), if any.
    pub uscc: Option<String>,
    /// The reward, 元 (0 or blank: none).
    pub reward: Option<String>,
    /// The union putting it up (code); default the top of the caller's scope.
    pub org_code: Option<String>,
    /// Default today.
    pub posted_on: Option<String>,
    /// The last day to take it (揭榜截止).
    pub apply_by: Option<String>,
    /// The day it is due (完成期限).
    pub due_on: Option<String>,
}

/// A step on a project, as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// `take`, `complete`, `fail` or `withdraw`.
    pub action: String,
    /// Default today.
    pub on: Option<String>,
    /// Taking: the studio taking it (its id) …
    pub studio_id: Option<String>,
    /// … or the team leader's ID number (or registry id),
    pub leader_id_number: Option<String>,
    pub leader_member_id: Option<String>,
    /// and the team's other members' ID numbers, one per line.
    pub team: Option<String>,
    /// Completing: the benefit, 元.
    pub benefit: Option<String>,
    /// What was achieved, or why not (required to fail or withdraw).
    pub outcome: Option<String>,
    pub version: i64,
}

/// A project as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Project {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub unit_name: Option<String>,
    pub title: String,
    pub challenge: String,
    pub reward_fen: i64,
    pub posted_on: String,
    pub apply_by: String,
    pub due_on: String,
    pub status: String,
    #[sqlx(skip)]
    pub status_label: String,
    /// `on_time`, `near` or `overdue` while taken.
    #[sqlx(skip)]
    pub standing: Option<String>,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub studio_id: Option<i64>,
    pub studio_name: Option<String>,
    pub leader_name: Option<String>,
    pub taken_on: Option<String>,
    pub closed_on: Option<String>,
    pub benefit_fen: i64,
    pub outcome: Option<String>,
    pub version: i64,
}

const SELECT: &str = "p.id, o.code AS org_code, o.name AS org_name, p.org_path, u.name AS unit_name, p.title, p.challenge, \
    p.reward_fen, p.posted_on, p.apply_by, p.due_on, p.status, p.studio_id, s.name AS studio_name, m.name AS leader_name, \
    p.taken_on, p.closed_on, p.benefit_fen, p.outcome, p.version \
    FROM innovation_projects p JOIN orgs o ON o.id = p.org_id LEFT JOIN units u ON u.id = p.unit_id \
    LEFT JOIN innovation_studios s ON s.id = p.studio_id LEFT JOIN members m ON m.id = p.leader_id";
const COUNT_FROM: &str = "FROM innovation_projects p";

fn labelled(mut p: Project, today: NaiveDate) -> Project {
    let status = ProjectStatus::parse(&p.status);
    p.status_label = status.map_or_else(|| p.status.clone(), |s| s.label().into());
    if status == Some(ProjectStatus::Taken)
        && let Ok(due) = crate::types::parse_date(&p.due_on)
    {
        p.standing = Some(deadlines::standing(due, today, WARN_DAYS).code().into());
    }
    p
}

/// Project `id` if its union is in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64, today: NaiveDate) -> AppResult<Project> {
    let p: Project =
        crate::registry::scope::one_in_scope(db, SELECT, "p", id, scope, "揭榜挂帅项目").await?;
    Ok(labelled(p, today))
}

fn refused(issues: Vec<crate::error::FieldIssue>) -> AppError {
    AppError::invalid_fields("项目信息有误，请按提示修改", issues)
}

/// Puts a project up. Every problem of the input at once.
pub async fn post(
    db: &Db,
    actor: &Actor,
    i: &ProjectInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Project> {
    let mut issues = Vec::new();
    let title = given(i.title.as_deref()).map(|t| t.chars().take(100).collect::<String>());
    if title.is_none() {
        issues.push(issue("项目名称", "请填写项目名称"));
    }
    let challenge = given(i.challenge.as_deref()).map(|t| t.chars().take(2000).collect::<String>());
    if challenge.is_none() {
        issues.push(issue("攻关内容", "请填写需要攻关的问题和验收要求"));
    }
    let org = workflow::union_in_scope(
        db,
        &actor.scope,
        "发榜工会",
        i.org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let unit =
        workflow::unit_in_scope(db, &actor.scope, "需求单位", i.uscc.as_deref(), &mut issues)
            .await?;
    let reward = match given(i.reward.as_deref()) {
        None => Some(Fen(0)),
        typed => workflow::money("奖励金额", typed, Limits::up_to(MAX_MONEY), &mut issues),
    };
    let posted = match given(i.posted_on.as_deref()) {
        None => Some(today),
        typed => workflow::date("发榜日期", typed, &mut issues),
    };
    if posted.is_some_and(|d| d > today) {
        issues.push(issue("发榜日期", "发榜日期不能晚于今天"));
    }
    let apply_by = workflow::date("揭榜截止日期", i.apply_by.as_deref(), &mut issues);
    let due = workflow::date("完成期限", i.due_on.as_deref(), &mut issues);
    if let (Some(p), Some(a)) = (posted, apply_by)
        && a < p
    {
        issues.push(issue("揭榜截止日期", "揭榜截止日期不能早于发榜日期"));
    }
    if let (Some(a), Some(d)) = (apply_by, due)
        && d <= a
    {
        issues.push(issue("完成期限", "完成期限应晚于揭榜截止日期"));
    }
    let (
        Some(title),
        Some(challenge),
        Some(org),
        Some(reward),
        Some(posted),
        Some(apply_by),
        Some(due),
    ) = (title, challenge, org, reward, posted, apply_by, due)
    else {
        return Err(refused(issues));
    };
    if !issues.is_empty() {
        return Err(refused(issues));
    }
    let id = new_id();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO innovation_projects (id, org_id, org_path, unit_id, title, challenge, reward_fen, posted_on, apply_by, due_on, \
         status, created_by, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'open',$11,$12,$12)",
    )
    .bind(id)
    .bind(org.id)
    .bind(&org.path)
    .bind(unit.as_ref().map(|u| u.id))
    .bind(&title)
    .bind(&challenge)
    .bind(reward.0)
    .bind(posted.to_string())
    .bind(apply_by.to_string())
    .bind(due.to_string())
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("innovation.project.post")
            .target(CASE, id)
            .detail(serde_json::json!({"reward_fen": reward.0, "due_on": due.to_string()})),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id, today).await
}

/// Takes a step on project `id`: taken by a studio or a team, completed with its benefit,
/// failed or withdrawn with a reason.
pub async fn step(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    id: i64,
    i: &StepInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Project> {
    let p = get(db, &actor.scope, id, today).await?;
    let (from, action, to) = workflow::transition(STEPS, "这个项目", &p.status, &i.action)?;
    let mut issues = Vec::new();
    let since = match &p.taken_on {
        Some(t) => (t.as_str(), "揭榜日期"),
        None => (p.posted_on.as_str(), "发榜日期"),
    };
    let on = workflow::step_day("日期", i.on.as_deref(), today, since, &mut issues);
    if action == ProjectAction::Take
        && let Some(d) = on
        && d.to_string() > p.apply_by
    {
        issues.push(issue(
            "日期",
            format!("揭榜已于 {} 截止，不能再揭榜", p.apply_by),
        ));
    }
    let outcome = given(i.outcome.as_deref()).map(|t| t.chars().take(1000).collect::<String>());
    if matches!(action, ProjectAction::Fail | ProjectAction::Withdraw) && outcome.is_none() {
        issues.push(issue("说明", format!("请填写{}的原因", action.label())));
    }
    let mut sets = Vec::new();
    let mut team: Vec<i64> = Vec::new();
    match action {
        ProjectAction::Take => {
            let studio = match given(i.studio_id.as_deref()) {
                None => None,
                Some(typed) => {
                    let found = match typed.parse::<i64>() {
                        Ok(id) => studio::get(db, &actor.scope, id).await.ok(),
                        Err(_) => None,
                    };
                    match found {
                        Some(s) if s.status == StudioStatus::Named.code() => Some(s),
                        _ => {
                            issues.push(issue(
                                "揭榜团队",
                                "所选创新工作室不存在、已撤销命名或不在您的管理范围内",
                            ));
                            None
                        }
                    }
                }
            };
            let typed_leader =
                given(i.leader_id_number.as_deref()).or(given(i.leader_member_id.as_deref()));
            let leader = match (&studio, typed_leader) {
                (Some(s), None) => Some(s.leader_id),
                (_, typed) if typed.is_some() || given(i.studio_id.as_deref()).is_none() => {
                    crate::registry::members::active_in_scope(
                        db,
                        keys,
                        &actor.scope,
                        "揭榜团队",
                        "揭榜团队负责人",
                        i.leader_id_number.as_deref(),
                        i.leader_member_id.as_deref(),
                        &mut issues,
                    )
                    .await?
                    .map(|m| m.id)
                }
                _ => None,
            };
            let listed = people::listed(
                db,
                keys,
                &actor.scope,
                "团队成员",
                i.team.as_deref(),
                &mut issues,
            )
            .await?;
            // The leader first, then the others, each once.
            team = leader
                .into_iter()
                .chain(listed.iter().map(|m| m.id).filter(|m| Some(*m) != leader))
                .collect();
            sets.push(Set::Number("studio_id", studio.map(|s| s.id)));
            sets.push(Set::Number("leader_id", leader));
            sets.push(Set::Text("taken_on", on.map(|d| d.to_string())));
        }
        ProjectAction::Complete => {
            let benefit = match given(i.benefit.as_deref()) {
                None => Some(Fen(0)),
                typed => workflow::money("经济效益", typed, Limits::up_to(MAX_MONEY), &mut issues),
            };
            sets.push(Set::Number("benefit_fen", benefit.map(|b| b.0)));
        }
        ProjectAction::Fail | ProjectAction::Withdraw => {}
    }
    let Some(on) = on.filter(|_| issues.is_empty()) else {
        return Err(AppError::invalid_fields(
            "办理信息有误，请按提示修改",
            issues,
        ));
    };
    if action != ProjectAction::Take {
        sets.push(Set::Text("closed_on", Some(on.to_string())));
    }
    sets.push(Set::Text("outcome", outcome.or(p.outcome.clone())));
    let mut tx = db.begin_write().await?;
    workflow::update_case(
        &mut tx,
        "innovation_projects",
        id,
        i.version,
        from.code(),
        to.code(),
        now,
        &sets,
        "这个项目",
    )
    .await?;
    for (n, m) in team.iter().enumerate() {
        let role = if n == 0 { Role::Leader } else { Role::Member };
        people::add(&mut tx, id, *m, role, on).await?;
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new(match action {
            ProjectAction::Take => "innovation.project.take",
            ProjectAction::Complete => "innovation.project.complete",
            ProjectAction::Fail => "innovation.project.fail",
            ProjectAction::Withdraw => "innovation.project.withdraw",
        })
        .target(CASE, id)
        .detail(serde_json::json!({"on": on.to_string(), "team": team.len()})),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id, today).await
}

coded_enum! {
    /// Which day a project list's period counts by.
    ProjectDated {
        Posted = "posted", "发榜日期";
        Closed = "closed", "结束日期";
    }
}

/// What a project list asks for (within a scope).
#[derive(Debug, Default, Clone)]
pub struct ProjectFilter {
    pub status: Option<ProjectStatus>,
    pub dated: Option<ProjectDated>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `overdue` or `near`: taken projects past or near their due day.
    pub due: Option<String>,
    /// Title contains this.
    pub q: Option<String>,
    pub paging: Paging,
}

/// One page of the projects of `scope`, newest first, and how many there are.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &ProjectFilter,
    today: NaiveDate,
) -> AppResult<(Vec<Project>, i64)> {
    let mut w = Where::in_scope("p.org_path", scope);
    if let Some(s) = f.status {
        w.and("p.status = ?", &[s.code()]);
    }
    let column = match f.dated.unwrap_or(ProjectDated::Posted) {
        ProjectDated::Posted => "p.posted_on",
        ProjectDated::Closed => "p.closed_on",
    };
    if let Some(d) = &f.from {
        w.and(&format!("{column} >= ?"), &[d]);
    }
    if let Some(d) = &f.to {
        w.and(&format!("{column} <= ?"), &[d]);
    }
    // The shared deadline filter numbers its `$n` after the arguments so far.
    if let Some(cond) =
        deadlines::filter(f.due.as_deref(), "p.due_on", today, WARN_DAYS, &mut w.args)?
    {
        w.and("p.status = 'taken'", &[]).and(&cond, &[]);
    }
    if let Some(q) = given(f.q.as_deref()) {
        w.and(
            "p.title LIKE ? ESCAPE '\\'",
            &[&crate::db::like_contains(q)],
        );
    }
    let (rows, total) = crate::db::paged::<Project>(
        db,
        SELECT,
        COUNT_FROM,
        &w.cond,
        &format!("{column} DESC, p.id DESC"),
        &w.args,
        &f.paging,
    )
    .await?;
    Ok((
        rows.into_iter().map(|p| labelled(p, today)).collect(),
        total,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever is tried, a project is completed or failed only once taken, withdrawn only
        /// before, and its ends never move again.
        #[test]
        fn ends_only_after_their_step(actions in prop::collection::vec(
            proptest::sample::select(ProjectAction::all().to_vec()), 0..8)) {
            let mut state = ProjectStatus::Open;
            for a in actions {
                if let Some(next) = workflow::next(STEPS, state, a) {
                    prop_assert!(matches!(state, ProjectStatus::Open | ProjectStatus::Taken));
                    if matches!(next, ProjectStatus::Completed | ProjectStatus::Failed) {
                        prop_assert_eq!(state, ProjectStatus::Taken);
                    }
                    if next == ProjectStatus::Withdrawn {
                        prop_assert_eq!(state, ProjectStatus::Open);
                    }
                    state = next;
                }
            }
        }
    }
}
