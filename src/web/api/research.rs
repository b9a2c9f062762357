//! Field research: tasks with their visits, symposia and questionnaires; the issue ledger and
//! its rectification; questionnaires members answer online; the records behind the figures.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::activities::RowsPage;
use super::members::own_member;
use super::parse_id;
use crate::app::AppState;
use crate::auth::Caller;
use crate::db::Paging;
use crate::error::{AppResult, ErrorBody};
use crate::registry::orgs;
use crate::research::MODULE;
use crate::research::issues::{
    self, Issue, IssueDated, IssueFilter, IssueInput, IssueStatus, RectifyInput,
};
use crate::research::survey::{self, AnswerInput, Questionnaire, QuestionnaireInput};
use crate::research::task::{
    self, ConcludeInput, Task, TaskFilter, TaskInput, TaskStatus, Visit, VisitInput,
};
use crate::web::hardening::{ApiQuery, JsonBody};
use crate::workflow::{filter_value, given, period_filter};

/// Which tasks or ledger items to list; each list reads the fields that apply to it.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResearchQuery {
    /// The subtree (union code); default the caller's scope.
    pub org: Option<String>,
    /// Tasks: `ongoing` or `concluded`; ledger: `rectifying` or `rectified`.
    pub status: Option<String>,
    /// Ledger: the items of this task (its id).
    pub task: Option<String>,
    /// Ledger: `raised` (default), `rectified` or `overdue` — which items the period keeps.
    pub dated: Option<String>,
    /// Tasks: started between; ledger: see `dated`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Ledger: `overdue` or `near` — open items past or near their due day today.
    pub due: Option<String>,
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl ResearchQuery {
    fn paging(&self) -> Paging {
        Paging::new(self.page, self.per_page, 50)
    }
    pub(crate) fn tasks(&self) -> AppResult<TaskFilter> {
        let (from, to) = period_filter(self.from.as_deref(), self.to.as_deref())?;
        Ok(TaskFilter {
            status: filter_value::<TaskStatus>("状态", self.status.as_deref())?,
            from,
            to,
            q: self.q.clone(),
            paging: self.paging(),
        })
    }
    pub(crate) fn issues(&self) -> AppResult<IssueFilter> {
        let (from, to) = period_filter(self.from.as_deref(), self.to.as_deref())?;
        Ok(IssueFilter {
            task_id: match given(self.task.as_deref()) {
                Some(t) => Some(parse_id(t, "调研任务")?),
                None => None,
            },
            status: filter_value::<IssueStatus>("状态", self.status.as_deref())?,
            due: self.due.clone(),
            dated: filter_value::<IssueDated>("统计方式", self.dated.as_deref())?,
            from,
            to,
            q: self.q.clone(),
            paging: self.paging(),
        })
    }
}

#[utoipa::path(get, path = "/api/v1/research", tag = "research", params(ResearchQuery),
    responses((status = 200, body = RowsPage<Task>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_tasks(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ResearchQuery>,
) -> AppResult<Json<RowsPage<Task>>> {
    caller.must_work_on(MODULE)?;
    let scope = orgs::narrowed(&st.reg.db, &caller.scope, q.org.as_deref()).await?;
    let (rows, total) = task::list(&st.reg.db, &scope, &q.tasks()?).await?;
    Ok(Json(RowsPage { rows, total }))
}

#[utoipa::path(post, path = "/api/v1/research", tag = "research", request_body = TaskInput,
    responses((status = 201, body = Task), (status = 422, body = ErrorBody)))]
pub async fn create_task(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<TaskInput>,
) -> AppResult<(StatusCode, Json<Task>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let t = task::create(&st.reg.db, &actor, &i, st.auth.now()).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// A task with its visits, questionnaires (with results) and the problems it found.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetail {
    pub task: Task,
    pub visits: Vec<Visit>,
    pub questionnaires: Vec<Questionnaire>,
    pub issues: Vec<Issue>,
}

pub(crate) async fn task_detail(st: &AppState, caller: &Caller, id: i64) -> AppResult<TaskDetail> {
    let db = &st.reg.db;
    let task = task::get(db, &caller.scope, id).await?;
    let filter = IssueFilter {
        task_id: Some(id),
        paging: Paging::new(None, Some(200), 200),
        ..IssueFilter::default()
    };
    let (visits, questionnaires, (issues, _)) = tokio::try_join!(
        task::visits(db, id),
        survey::of_task(db, &caller.scope, id),
        issues::list(db, &caller.scope, &filter, st.today())
    )?;
    Ok(TaskDetail {
        task,
        visits,
        questionnaires,
        issues,
    })
}

#[utoipa::path(get, path = "/api/v1/research/{id}", tag = "research",
    responses((status = 200, body = TaskDetail), (status = 404, body = ErrorBody)))]
pub async fn get_task(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<TaskDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "调研任务")?;
    Ok(Json(task_detail(&st, &caller, id).await?))
}

#[utoipa::path(post, path = "/api/v1/research/{id}/visits", tag = "research", request_body = VisitInput,
    responses((status = 201, body = Visit), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_visit(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<VisitInput>,
) -> AppResult<(StatusCode, Json<Visit>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "调研任务")?;
    let actor = caller.actor(&st.reg.keys);
    let v = task::add_visit(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(post, path = "/api/v1/research/{id}/questionnaires", tag = "research", request_body = QuestionnaireInput,
    responses((status = 201, body = Questionnaire), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_questionnaire(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<QuestionnaireInput>,
) -> AppResult<(StatusCode, Json<Questionnaire>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "调研任务")?;
    let actor = caller.actor(&st.reg.keys);
    let q = survey::create(&st.reg.db, &actor, id, &i, st.auth.now()).await?;
    Ok((StatusCode::CREATED, Json(q)))
}

#[utoipa::path(post, path = "/api/v1/research/{id}/conclude", tag = "research", request_body = ConcludeInput,
    responses((status = 200, body = Task), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn conclude(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ConcludeInput>,
) -> AppResult<Json<Task>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "调研任务")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        task::conclude(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/research/questionnaires/{id}", tag = "research",
    responses((status = 200, body = Questionnaire), (status = 404, body = ErrorBody)))]
pub async fn get_questionnaire(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Questionnaire>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "问卷")?;
    Ok(Json(survey::get(&st.reg.db, &caller.scope, id).await?))
}

#[utoipa::path(get, path = "/api/v1/research/issues", tag = "research", params(ResearchQuery),
    responses((status = 200, body = RowsPage<Issue>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_issues(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ResearchQuery>,
) -> AppResult<Json<RowsPage<Issue>>> {
    caller.must_work_on(MODULE)?;
    let scope = orgs::narrowed(&st.reg.db, &caller.scope, q.org.as_deref()).await?;
    let (rows, total) = issues::list(&st.reg.db, &scope, &q.issues()?, st.today()).await?;
    Ok(Json(RowsPage { rows, total }))
}

#[utoipa::path(post, path = "/api/v1/research/issues", tag = "research", request_body = IssueInput,
    responses((status = 201, body = Issue), (status = 422, body = ErrorBody)))]
pub async fn raise_issue(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<IssueInput>,
) -> AppResult<(StatusCode, Json<Issue>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let item = issues::raise(&st.reg.db, &actor, &i, st.today(), st.auth.now()).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

#[utoipa::path(get, path = "/api/v1/research/issues/{id}", tag = "research",
    responses((status = 200, body = Issue), (status = 404, body = ErrorBody)))]
pub async fn get_issue(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Issue>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "问题")?;
    Ok(Json(
        issues::get(&st.reg.db, &caller.scope, id, st.today()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/research/issues/{id}/rectify", tag = "research", request_body = RectifyInput,
    responses((status = 200, body = Issue), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rectify(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<RectifyInput>,
) -> AppResult<Json<Issue>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "问题")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        issues::rectify(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/me/questionnaires", tag = "research",
    responses((status = 200, body = Vec<Questionnaire>), (status = 404, body = ErrorBody)))]
pub async fn my_questionnaires(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Questionnaire>>> {
    let member = own_member(&caller)?;
    Ok(Json(survey::open_to(&st.reg.db, member, st.today()).await?))
}

#[utoipa::path(post, path = "/api/v1/me/questionnaires/{id}/answers", tag = "research", request_body = AnswerInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<AnswerInput>,
) -> AppResult<StatusCode> {
    let member = own_member(&caller)?;
    let id = parse_id(&id, "问卷")?;
    let actor = caller.actor(&st.reg.keys);
    survey::answer(
        &st.reg.db,
        &actor,
        member,
        id,
        &i,
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which visits or answers a drill lists: the figures' subtree and period.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillQuery {
    /// Union code; default the top of the caller's scope.
    pub org: Option<String>,
    /// Period (YYYY-MM-DD); default this year so far.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Visits: `visit` (default) or `symposium`.
    pub kind: Option<String>,
    /// Visits: `true` keeps each employer's first visit (the employers-visited figure).
    pub one_per_employer: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl DrillQuery {
    /// The subtree's scope and the period's bounds.
    pub(crate) async fn resolve(
        &self,
        st: &AppState,
        caller: &Caller,
    ) -> AppResult<(crate::registry::orgs::Org, String, String)> {
        let (org, period) = crate::registry::stats::resolve(
            &st.reg.db,
            &caller.scope,
            &crate::registry::stats::StatsQuery {
                org: self.org.clone(),
                from: self.from.clone(),
                to: self.to.clone(),
            },
        )
        .await?;
        Ok((org, period.from.to_string(), period.to.to_string()))
    }
    pub(crate) fn paging(&self) -> Paging {
        Paging::new(self.page, self.per_page, 50)
    }
}

#[utoipa::path(get, path = "/api/v1/research/visits", tag = "research", params(DrillQuery),
    responses((status = 200, body = RowsPage<task::VisitRow>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_visits(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DrillQuery>,
) -> AppResult<Json<RowsPage<task::VisitRow>>> {
    caller.must_work_on(MODULE)?;
    let (org, from, to) = q.resolve(&st, &caller).await?;
    let kind = filter_value::<task::VisitKind>("方式", q.kind.as_deref())?
        .unwrap_or(task::VisitKind::Visit);
    let (rows, total) = task::visits_in(
        &st.reg.db,
        &crate::registry::scope::Scope::subtree(&org.path),
        kind,
        (&from, &to),
        q.one_per_employer.unwrap_or(false),
        &q.paging(),
    )
    .await?;
    Ok(Json(RowsPage { rows, total }))
}

#[utoipa::path(get, path = "/api/v1/research/answers", tag = "research", params(DrillQuery),
    responses((status = 200, body = RowsPage<survey::AnswerRow>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_answers(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DrillQuery>,
) -> AppResult<Json<RowsPage<survey::AnswerRow>>> {
    caller.must_work_on(MODULE)?;
    let (org, from, to) = q.resolve(&st, &caller).await?;
    let (rows, total) = survey::answers_in(
        &st.reg.db,
        &crate::registry::scope::Scope::subtree(&org.path),
        (&from, &to),
        &q.paging(),
    )
    .await?;
    Ok(Json(RowsPage { rows, total }))
}
