//! Field research in the console: the tasks with this year's figures and a form to start one; a
//! task's page with its visits and symposia, questionnaires and their results, the problems it
//! found and its conclusion; the issue ledger with rectification on each row.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};

use super::dashboard::FigureCard;
use super::{
    Ctx, Form, PageResult, Pager, Shell, Typed, after_form, choices, field, one, render,
    render_invalid, typed_value,
};
use crate::app::AppState;
use crate::error::AppResult;
use crate::research::issues::{self, Issue, IssueInput, IssueStatus, RectifyInput};
use crate::research::survey::{self, QuestionnaireInput};
use crate::research::task::{
    self, ConcludeInput, Task, TaskInput, TaskStatus, VisitInput, VisitKind,
};
use crate::research::{MODULE, figures};
use crate::web::api::parse_id;
use crate::web::api::research::{DrillQuery, ResearchQuery, TaskDetail, task_detail};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/research", get(tasks).post(create_task))
        .route("/research/issues", get(ledger).post(raise))
        .route("/research/visits", get(visits))
        .route("/research/answers", get(answers))
        .route("/research/issues/{id}/rectify", post(rectify))
        .route("/research/{id}", get(show_task))
        .route("/research/{id}/visits", post(add_visit))
        .route("/research/{id}/questionnaires", post(add_questionnaire))
        .route("/research/{id}/issues", post(raise_for_task))
        .route("/research/{id}/conclude", post(conclude))
}

/// This year's research figures of the chosen union, shown over both lists.
async fn cards(
    st: &AppState,
    ctx: &Ctx,
    org: &Option<String>,
) -> AppResult<(Vec<FigureCard>, String)> {
    let db = &st.reg.db;
    let today = st.today();
    let (root, period) =
        super::dashboard::this_year_of(db, &ctx.caller, field(org).as_deref(), today).await?;
    let figures = FigureCard::all_linked(
        figures::compute(db, &root, &period).await?,
        &ctx.caller,
        &root,
        &period,
    );
    Ok((figures, root.name))
}

fn pager(path: &str, q: &ResearchQuery, total: i64, unit: &'static str) -> Pager {
    Pager::new(
        path,
        &[
            ("org", field(&q.org)),
            ("status", field(&q.status)),
            ("task", field(&q.task)),
            ("dated", field(&q.dated)),
            ("from", field(&q.from)),
            ("to", field(&q.to)),
            ("due", field(&q.due)),
            ("q", field(&q.q)),
        ],
        q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE),
        q.per_page.unwrap_or(50).clamp(1, 500),
        total,
        unit,
    )
}

fn version(pairs: &Typed) -> i64 {
    one(pairs, "version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

fn shown(failed: bool, page: impl Template) -> PageResult {
    if failed {
        render_invalid(page)
    } else {
        render(page)
    }
}

// ---------- tasks ----------

#[derive(Template)]
#[template(path = "research/tasks.html")]
struct TasksPage {
    shell: Shell,
    figures: Vec<FigureCard>,
    org_name: String,
    rows: Vec<Task>,
    q: ResearchQuery,
    pager: Pager,
    statuses: Vec<(&'static str, &'static str)>,
    typed: Typed,
    error: Option<String>,
}

impl TasksPage {
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
    fn filtered(&self, code: &str) -> bool {
        self.q.status.as_deref() == Some(code)
    }
}

async fn tasks_view(
    st: &AppState,
    ctx: &Ctx,
    q: ResearchQuery,
    typed: Option<Typed>,
    error: Option<String>,
) -> PageResult {
    let scope =
        crate::registry::orgs::narrowed(&st.reg.db, &ctx.caller.scope, q.org.as_deref()).await?;
    let (rows, total) = task::list(&st.reg.db, &scope, &q.tasks()?).await?;
    let (figures, org_name) = cards(st, ctx, &q.org).await?;
    shown(
        error.is_some(),
        TasksPage {
            shell: ctx.shell("调研", "research"),
            figures,
            org_name,
            rows,
            pager: pager("/research", &q, total, "项"),
            q,
            statuses: choices::<TaskStatus>(),
            typed: typed.unwrap_or_default(),
            error,
        },
    )
}

async fn tasks(State(st): State<AppState>, ctx: Ctx, Query(q): Query<ResearchQuery>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    tasks_view(&st, &ctx, q, None, None).await
}

async fn create_task(State(st): State<AppState>, ctx: Ctx, Form(pairs): Form<Typed>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let input = TaskInput {
        title: one(&pairs, "title"),
        purpose: one(&pairs, "purpose"),
        org_code: one(&pairs, "org_code"),
        starts_on: one(&pairs, "starts_on"),
        ends_on: one(&pairs, "ends_on"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = task::create(&st.reg.db, &actor, &input, st.auth.now()).await;
    after_form(result.map(|t| format!("/research/{}", t.id)), |m| {
        tasks_view(&st, &ctx, ResearchQuery::default(), Some(pairs), Some(m))
    })
    .await
}

// ---------- a task ----------

#[derive(Template)]
#[template(path = "research/task.html")]
struct TaskPage {
    shell: Shell,
    d: TaskDetail,
    visit_kinds: Vec<(&'static str, &'static str)>,
    today: String,
    error: Option<String>,
    typed: Typed,
}

impl TaskPage {
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
    /// The percentage of the answers that chose `n`, for the results' bars.
    fn share(&self, n: &i64, answers: &i64) -> i64 {
        if *answers > 0 { n * 100 / answers } else { 0 }
    }
}

async fn task_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
    typed: Typed,
) -> PageResult {
    let d = task_detail(st, &ctx.caller, id).await?;
    shown(
        error.is_some(),
        TaskPage {
            shell: ctx.shell(d.task.title.clone(), "research"),
            d,
            visit_kinds: choices::<VisitKind>(),
            today: st.today().to_string(),
            error,
            typed,
        },
    )
}

async fn show_task(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "调研任务")?;
    task_page(&st, &ctx, id, None, Typed::default()).await
}

async fn on_task<T>(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    result: AppResult<T>,
    pairs: Typed,
) -> PageResult {
    after_form(result.map(|_| format!("/research/{id}")), |m| {
        task_page(st, ctx, id, Some(m), pairs)
    })
    .await
}

async fn add_visit(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "调研任务")?;
    let input = VisitInput {
        kind: one(&pairs, "kind"),
        uscc: one(&pairs, "uscc"),
        held_on: one(&pairs, "held_on"),
        people: one(&pairs, "people"),
        notes: one(&pairs, "notes"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = task::add_visit(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    on_task(&st, &ctx, id, result, pairs).await
}

async fn add_questionnaire(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "调研任务")?;
    let input = QuestionnaireInput {
        title: one(&pairs, "title"),
        questions: one(&pairs, "questions"),
        opens_on: one(&pairs, "opens_on"),
        closes_on: one(&pairs, "closes_on"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = survey::create(&st.reg.db, &actor, id, &input, st.auth.now()).await;
    on_task(&st, &ctx, id, result, pairs).await
}

fn issue_input(pairs: &Typed, task_id: Option<String>) -> IssueInput {
    IssueInput {
        task_id,
        title: one(pairs, "title"),
        detail: one(pairs, "detail"),
        org_code: one(pairs, "org_code"),
        owner: one(pairs, "owner"),
        raised_on: one(pairs, "raised_on"),
        due_on: one(pairs, "due_on"),
    }
}

async fn raise_for_task(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "调研任务")?;
    // The task must be the caller's before anything is read from the form.
    task::get(&st.reg.db, &ctx.caller.scope, id).await?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let input = issue_input(&pairs, Some(id.to_string()));
    let result = issues::raise(&st.reg.db, &actor, &input, st.today(), st.auth.now()).await;
    on_task(&st, &ctx, id, result, pairs).await
}

async fn conclude(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "调研任务")?;
    let input = ConcludeInput {
        summary: one(&pairs, "summary").unwrap_or_default(),
        on: one(&pairs, "on"),
        version: version(&pairs),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = task::conclude(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    on_task(&st, &ctx, id, result, pairs).await
}

// ---------- the issue ledger ----------

#[derive(Template)]
#[template(path = "research/issues.html")]
struct LedgerPage {
    shell: Shell,
    figures: Vec<FigureCard>,
    org_name: String,
    rows: Vec<Issue>,
    q: ResearchQuery,
    pager: Pager,
    statuses: Vec<(&'static str, &'static str)>,
    today: String,
    typed: Typed,
    error: Option<String>,
}

impl LedgerPage {
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
    fn filtered(&self, code: &str) -> bool {
        self.q.status.as_deref() == Some(code)
    }
}

async fn ledger_view(
    st: &AppState,
    ctx: &Ctx,
    q: ResearchQuery,
    typed: Option<Typed>,
    error: Option<String>,
) -> PageResult {
    let scope =
        crate::registry::orgs::narrowed(&st.reg.db, &ctx.caller.scope, q.org.as_deref()).await?;
    let (rows, total) = issues::list(&st.reg.db, &scope, &q.issues()?, st.today()).await?;
    let (figures, org_name) = cards(st, ctx, &q.org).await?;
    shown(
        error.is_some(),
        LedgerPage {
            shell: ctx.shell("问题台账", "research"),
            figures,
            org_name,
            rows,
            pager: pager("/research/issues", &q, total, "条"),
            q,
            statuses: choices::<IssueStatus>(),
            today: st.today().to_string(),
            typed: typed.unwrap_or_default(),
            error,
        },
    )
}

async fn ledger(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ResearchQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    ledger_view(&st, &ctx, q, None, None).await
}

async fn raise(State(st): State<AppState>, ctx: Ctx, Form(pairs): Form<Typed>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let input = issue_input(&pairs, None);
    let result = issues::raise(&st.reg.db, &actor, &input, st.today(), st.auth.now()).await;
    after_form(result.map(|_| "/research/issues".to_string()), |m| {
        ledger_view(&st, &ctx, ResearchQuery::default(), Some(pairs), Some(m))
    })
    .await
}

async fn rectify(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "问题")?;
    let input = RectifyInput {
        measures: one(&pairs, "measures").unwrap_or_default(),
        on: one(&pairs, "on"),
        version: version(&pairs),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = issues::rectify(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    after_form(result.map(|_| "/research/issues".to_string()), |m| {
        ledger_view(&st, &ctx, ResearchQuery::default(), Some(pairs), Some(m))
    })
    .await
}

// ---------- the visits and answers behind the figures ----------

#[derive(Template)]
#[template(path = "research/visits.html")]
struct VisitsPage {
    shell: Shell,
    org_name: String,
    from: String,
    to: String,
    what: &'static str,
    rows: Vec<crate::research::task::VisitRow>,
    pager: Pager,
}

fn drill_pager(
    path: &str,
    q: &DrillQuery,
    org: &str,
    (from, to): (&str, &str),
    total: i64,
    unit: &'static str,
) -> Pager {
    Pager::new(
        path,
        &[
            ("org", Some(org.to_string())),
            ("from", Some(from.to_string())),
            ("to", Some(to.to_string())),
            ("kind", field(&q.kind)),
            (
                "one_per_employer",
                q.one_per_employer.map(|b| b.to_string()),
            ),
        ],
        q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE),
        q.per_page.unwrap_or(50).clamp(1, 500),
        total,
        unit,
    )
}

async fn visits(State(st): State<AppState>, ctx: Ctx, Query(q): Query<DrillQuery>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let (org, from, to) = q.resolve(&st, &ctx.caller).await?;
    let kind = crate::workflow::filter_value::<VisitKind>("方式", q.kind.as_deref())?
        .unwrap_or(VisitKind::Visit);
    let one = q.one_per_employer.unwrap_or(false);
    let (rows, total) = task::visits_in(
        &st.reg.db,
        &crate::registry::scope::Scope::subtree(&org.path),
        kind,
        (&from, &to),
        one,
        &q.paging(),
    )
    .await?;
    let (what, unit) = match (kind, one) {
        (VisitKind::Symposium, _) => ("调研座谈会", "场"),
        (VisitKind::Visit, true) => ("走访企业（每家企业只列首次走访）", "家"),
        (VisitKind::Visit, false) => ("走访企业", "次"),
    };
    render(VisitsPage {
        shell: ctx.shell("调研走访", "research"),
        pager: drill_pager("/research/visits", &q, &org.code, (&from, &to), total, unit),
        org_name: org.name,
        from,
        to,
        what,
        rows,
    })
}

#[derive(Template)]
#[template(path = "research/answers.html")]
struct AnswersPage {
    shell: Shell,
    org_name: String,
    from: String,
    to: String,
    rows: Vec<crate::research::survey::AnswerRow>,
    pager: Pager,
}

async fn answers(State(st): State<AppState>, ctx: Ctx, Query(q): Query<DrillQuery>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let (org, from, to) = q.resolve(&st, &ctx.caller).await?;
    let (rows, total) = survey::answers_in(
        &st.reg.db,
        &crate::registry::scope::Scope::subtree(&org.path),
        (&from, &to),
        &q.paging(),
    )
    .await?;
    render(AnswersPage {
        shell: ctx.shell("回收问卷", "research"),
        pager: drill_pager(
            "/research/answers",
            &q,
            &org.code,
            (&from, &to),
            total,
            "份",
        ),
        org_name: org.name,
        from,
        to,
        rows,
    })
}
