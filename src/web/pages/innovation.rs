//! Workers' innovation in the console: this year's figures over four lists — studios,
//! achievements, 名师带徒 pairs and 揭榜挂帅 projects — each with its filters, a form to add one
//! and its steps on each row; a studio's page with its members and achievements.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};

use super::dashboard::FigureCard;
use super::{
    Ctx, Form, PageResult, Pager, Shell, Typed, Yuan, after_form, choices, field, one, render,
    render_invalid, typed_value,
};
use crate::activities::contests::Level;
use crate::app::AppState;
use crate::error::AppResult;
use crate::innovation::achievement::{
    self, Achievement, AchievementInput, AchievementKind, AchievementStatus, DecideInput,
};
use crate::innovation::mentoring::{self, CloseInput, Pair, PairInput, PairStatus};
use crate::innovation::project::{self, Project, ProjectInput, ProjectStatus, StepInput};
use crate::innovation::studio::{self, Studio, StudioInput, StudioStatus};
use crate::innovation::{MODULE, figures};
use crate::web::api::innovation::{InnovationQuery, StudioDetail, studio_detail};
use crate::web::api::parse_id;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/innovation", get(start))
        .route("/innovation/studios", get(studios).post(name_studio))
        .route("/innovation/studios/{id}", get(show_studio))
        .route("/innovation/studios/{id}/members", post(add_members))
        .route(
            "/innovation/studios/{id}/members/{member}/remove",
            post(remove_member),
        )
        .route("/innovation/studios/{id}/revoke", post(revoke_studio))
        .route(
            "/innovation/achievements",
            get(achievements).post(submit_achievement),
        )
        .route("/innovation/achievements/{id}/decide", post(decide))
        .route("/innovation/pairs", get(pairs).post(sign_pair))
        .route("/innovation/pairs/{id}/close", post(close_pair))
        .route("/innovation/projects", get(projects).post(post_project))
        .route("/innovation/projects/{id}/step", post(step_project))
}

async fn start(ctx: Ctx) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    Ok(Redirect::to("/innovation/studios").into_response())
}

/// What every list page shows on top: this year's figures of the chosen union, the tabs.
struct Head {
    figures: Vec<FigureCard>,
    org_name: String,
    tab: &'static str,
}

async fn head(st: &AppState, ctx: &Ctx, q: &InnovationQuery, tab: &'static str) -> AppResult<Head> {
    let db = &st.reg.db;
    let today = st.today();
    let (root, period) =
        super::dashboard::this_year_of(db, &ctx.caller, field(&q.org).as_deref(), today).await?;
    let figures = FigureCard::all_linked(
        figures::compute(db, &root, &period).await?,
        &ctx.caller,
        &root,
        &period,
    );
    Ok(Head {
        figures,
        org_name: root.name,
        tab,
    })
}

/// The list's pager, keeping the filters.
fn pager(path: &str, q: &InnovationQuery, total: i64, unit: &'static str) -> Pager {
    Pager::new(
        path,
        &[
            ("org", field(&q.org)),
            ("status", field(&q.status)),
            ("level", field(&q.level)),
            ("kind", field(&q.kind)),
            ("studio", field(&q.studio)),
            ("dated", field(&q.dated)),
            ("from", field(&q.from)),
            ("to", field(&q.to)),
            ("due", field(&q.due)),
            (
                "one_per_apprentice",
                q.one_per_apprentice.map(|b| b.to_string()),
            ),
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

/// What every list page has besides its rows.
struct Listed {
    head: Head,
    q: InnovationQuery,
    pager: Pager,
    typed: Typed,
    error: Option<String>,
    today: String,
}

impl Listed {
    async fn new(
        st: &AppState,
        ctx: &Ctx,
        q: InnovationQuery,
        tab: &'static str,
        (path, total, unit): (&str, i64, &'static str),
        typed: Option<Typed>,
        error: Option<String>,
    ) -> AppResult<Listed> {
        Ok(Listed {
            head: head(st, ctx, &q, tab).await?,
            pager: pager(path, &q, total, unit),
            q,
            typed: typed.unwrap_or_default(),
            error,
            today: st.today().to_string(),
        })
    }
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
    fn filtered(&self, key: &str, code: &str) -> bool {
        let v = match key {
            "level" => &self.q.level,
            "kind" => &self.q.kind,
            "dated" => &self.q.dated,
            _ => &self.q.status,
        };
        v.as_deref() == Some(code)
    }
}

// ---------- studios ----------

#[derive(Template)]
#[template(path = "innovation/studios.html")]
struct StudiosPage {
    shell: Shell,
    l: Listed,
    rows: Vec<Studio>,
    levels: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
}

async fn studios_view(
    st: &AppState,
    ctx: &Ctx,
    q: InnovationQuery,
    typed: Option<Typed>,
    error: Option<String>,
) -> PageResult {
    let scope = q.scope(st, &ctx.caller).await?;
    let (rows, total) = studio::list(&st.reg.db, &scope, &q.studios()?).await?;
    let failed = error.is_some();
    let l = Listed::new(
        st,
        ctx,
        q,
        "studios",
        ("/innovation/studios", total, "家"),
        typed,
        error,
    )
    .await?;
    shown_page(
        failed,
        StudiosPage {
            shell: ctx.shell("职工创新", "innovation"),
            l,
            rows,
            levels: choices::<Level>(),
            statuses: choices::<StudioStatus>(),
        },
    )
}

async fn studios(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<InnovationQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    studios_view(&st, &ctx, q, None, None).await
}

async fn name_studio(State(st): State<AppState>, ctx: Ctx, Form(pairs): Form<Typed>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let input = StudioInput {
        name: one(&pairs, "name"),
        field: one(&pairs, "field"),
        leader_id_number: one(&pairs, "leader_id_number"),
        leader_member_id: None,
        uscc: one(&pairs, "uscc"),
        level: one(&pairs, "level"),
        named_by: one(&pairs, "named_by"),
        named_body: one(&pairs, "named_body"),
        named_on: one(&pairs, "named_on"),
        document_no: one(&pairs, "document_no"),
        members: one(&pairs, "members"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = studio::name(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &input,
        st.today(),
        st.auth.now(),
    )
    .await;
    after_form(
        result.map(|s| format!("/innovation/studios/{}", s.id)),
        |m| studios_view(&st, &ctx, InnovationQuery::default(), Some(pairs), Some(m)),
    )
    .await
}

#[derive(Template)]
#[template(path = "innovation/studio.html")]
struct StudioPage {
    shell: Shell,
    d: StudioDetail,
    error: Option<String>,
    typed: Typed,
}

impl Yuan for StudioPage {}

impl StudioPage {
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
}

async fn studio_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
    typed: Typed,
) -> PageResult {
    let d = studio_detail(st, &ctx.caller, id).await?;
    let page = StudioPage {
        shell: ctx.shell(d.studio.name.clone(), "innovation"),
        d,
        error,
        typed,
    };
    if page.error.is_some() {
        render_invalid(page)
    } else {
        render(page)
    }
}

async fn show_studio(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "创新工作室")?;
    studio_page(&st, &ctx, id, None, Typed::default()).await
}

async fn on_studio<T>(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    result: AppResult<T>,
    pairs: Typed,
) -> PageResult {
    after_form(result.map(|_| format!("/innovation/studios/{id}")), |m| {
        studio_page(st, ctx, id, Some(m), pairs)
    })
    .await
}

async fn add_members(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "创新工作室")?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = studio::add_members(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        id,
        one(&pairs, "members").as_deref(),
        st.today(),
        st.auth.now(),
    )
    .await;
    on_studio(&st, &ctx, id, result, pairs).await
}

async fn remove_member(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, member)): Path<(String, String)>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "创新工作室")?;
    let member = parse_id(&member, "工作室成员")?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = studio::remove_member(&st.reg.db, &actor, id, member, st.auth.now()).await;
    on_studio(&st, &ctx, id, result, pairs).await
}

async fn revoke_studio(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "创新工作室")?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = studio::revoke(
        &st.reg.db,
        &actor,
        id,
        version(&pairs),
        &one(&pairs, "reason").unwrap_or_default(),
        st.today(),
        st.auth.now(),
    )
    .await;
    on_studio(&st, &ctx, id, result, pairs).await
}

// ---------- achievements ----------

#[derive(Template)]
#[template(path = "innovation/achievements.html")]
struct AchievementsPage {
    shell: Shell,
    l: Listed,
    rows: Vec<Achievement>,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    studios: Vec<(String, String)>,
}

impl Yuan for AchievementsPage {}

async fn achievements_view(
    st: &AppState,
    ctx: &Ctx,
    q: InnovationQuery,
    typed: Option<Typed>,
    error: Option<String>,
) -> PageResult {
    let scope = q.scope(st, &ctx.caller).await?;
    let (rows, total) = achievement::list(&st.reg.db, &scope, &q.achievements()?).await?;
    let studios = studio::choices(&st.reg.db, &ctx.caller.scope).await?;
    let failed = error.is_some();
    let l = Listed::new(
        st,
        ctx,
        q,
        "achievements",
        ("/innovation/achievements", total, "项"),
        typed,
        error,
    )
    .await?;
    shown_page(
        failed,
        AchievementsPage {
            shell: ctx.shell("职工创新", "innovation"),
            l,
            rows,
            kinds: choices::<AchievementKind>(),
            statuses: choices::<AchievementStatus>(),
            studios,
        },
    )
}

fn shown_page(failed: bool, page: impl Template) -> PageResult {
    if failed {
        render_invalid(page)
    } else {
        render(page)
    }
}

async fn achievements(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<InnovationQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    achievements_view(&st, &ctx, q, None, None).await
}

async fn submit_achievement(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let input = AchievementInput {
        kind: one(&pairs, "kind"),
        title: one(&pairs, "title"),
        summary: one(&pairs, "summary"),
        authors: one(&pairs, "authors"),
        studio_id: one(&pairs, "studio_id"),
        uscc: one(&pairs, "uscc"),
        submitted_on: one(&pairs, "submitted_on"),
        patent_no: one(&pairs, "patent_no"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = achievement::submit(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &input,
        st.today(),
        st.auth.now(),
    )
    .await;
    after_form(
        result.map(|_| "/innovation/achievements".to_string()),
        |m| achievements_view(&st, &ctx, InnovationQuery::default(), Some(pairs), Some(m)),
    )
    .await
}

async fn decide(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "创新成果")?;
    let input = DecideInput {
        action: one(&pairs, "action").unwrap_or_default(),
        on: one(&pairs, "on"),
        reason: one(&pairs, "reason"),
        benefit: one(&pairs, "benefit"),
        version: version(&pairs),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result =
        achievement::decide(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    after_form(
        result.map(|_| "/innovation/achievements".to_string()),
        |m| achievements_view(&st, &ctx, InnovationQuery::default(), Some(pairs), Some(m)),
    )
    .await
}

// ---------- pairs ----------

#[derive(Template)]
#[template(path = "innovation/pairs.html")]
struct PairsPage {
    shell: Shell,
    l: Listed,
    rows: Vec<Pair>,
    statuses: Vec<(&'static str, &'static str)>,
}

async fn pairs_view(
    st: &AppState,
    ctx: &Ctx,
    q: InnovationQuery,
    typed: Option<Typed>,
    error: Option<String>,
) -> PageResult {
    let scope = q.scope(st, &ctx.caller).await?;
    let (rows, total) = mentoring::list(&st.reg.db, &scope, &q.pairs()?).await?;
    let failed = error.is_some();
    let l = Listed::new(
        st,
        ctx,
        q,
        "pairs",
        ("/innovation/pairs", total, "对"),
        typed,
        error,
    )
    .await?;
    shown_page(
        failed,
        PairsPage {
            shell: ctx.shell("职工创新", "innovation"),
            l,
            rows,
            statuses: choices::<PairStatus>(),
        },
    )
}

async fn pairs(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<InnovationQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    pairs_view(&st, &ctx, q, None, None).await
}

async fn sign_pair(State(st): State<AppState>, ctx: Ctx, Form(pairs): Form<Typed>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let input = PairInput {
        mentor_id_number: one(&pairs, "mentor_id_number"),
        mentor_member_id: None,
        apprentice_id_number: one(&pairs, "apprentice_id_number"),
        apprentice_member_id: None,
        trade: one(&pairs, "trade"),
        starts_on: one(&pairs, "starts_on"),
        ends_on: one(&pairs, "ends_on"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = mentoring::sign(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &input,
        st.today(),
        st.auth.now(),
    )
    .await;
    after_form(result.map(|_| "/innovation/pairs".to_string()), |m| {
        pairs_view(&st, &ctx, InnovationQuery::default(), Some(pairs), Some(m))
    })
    .await
}

async fn close_pair(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "师徒结对")?;
    let input = CloseInput {
        action: one(&pairs, "action").unwrap_or_default(),
        on: one(&pairs, "on"),
        outcome: one(&pairs, "outcome"),
        version: version(&pairs),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = mentoring::close(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    after_form(result.map(|_| "/innovation/pairs".to_string()), |m| {
        pairs_view(&st, &ctx, InnovationQuery::default(), Some(pairs), Some(m))
    })
    .await
}

// ---------- projects ----------

#[derive(Template)]
#[template(path = "innovation/projects.html")]
struct ProjectsPage {
    shell: Shell,
    l: Listed,
    rows: Vec<Project>,
    statuses: Vec<(&'static str, &'static str)>,
    studios: Vec<(String, String)>,
}

impl Yuan for ProjectsPage {}

async fn projects_view(
    st: &AppState,
    ctx: &Ctx,
    q: InnovationQuery,
    typed: Option<Typed>,
    error: Option<String>,
) -> PageResult {
    let scope = q.scope(st, &ctx.caller).await?;
    let (rows, total) = project::list(&st.reg.db, &scope, &q.projects()?, st.today()).await?;
    let studios = studio::choices(&st.reg.db, &ctx.caller.scope).await?;
    let failed = error.is_some();
    let l = Listed::new(
        st,
        ctx,
        q,
        "projects",
        ("/innovation/projects", total, "项"),
        typed,
        error,
    )
    .await?;
    shown_page(
        failed,
        ProjectsPage {
            shell: ctx.shell("职工创新", "innovation"),
            l,
            rows,
            statuses: choices::<ProjectStatus>(),
            studios,
        },
    )
}

async fn projects(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<InnovationQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    projects_view(&st, &ctx, q, None, None).await
}

async fn post_project(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let input = ProjectInput {
        title: one(&pairs, "title"),
        challenge: one(&pairs, "challenge"),
        uscc: one(&pairs, "uscc"),
        reward: one(&pairs, "reward"),
        org_code: one(&pairs, "org_code"),
        posted_on: one(&pairs, "posted_on"),
        apply_by: one(&pairs, "apply_by"),
        due_on: one(&pairs, "due_on"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = project::post(&st.reg.db, &actor, &input, st.today(), st.auth.now()).await;
    after_form(result.map(|_| "/innovation/projects".to_string()), |m| {
        projects_view(&st, &ctx, InnovationQuery::default(), Some(pairs), Some(m))
    })
    .await
}

async fn step_project(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "揭榜挂帅项目")?;
    let input = StepInput {
        action: one(&pairs, "action").unwrap_or_default(),
        on: one(&pairs, "on"),
        studio_id: one(&pairs, "studio_id"),
        leader_id_number: one(&pairs, "leader_id_number"),
        leader_member_id: None,
        team: one(&pairs, "team"),
        benefit: one(&pairs, "benefit"),
        outcome: one(&pairs, "outcome"),
        version: version(&pairs),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = project::step(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        id,
        &input,
        st.today(),
        st.auth.now(),
    )
    .await;
    after_form(result.map(|_| "/innovation/projects".to_string()), |m| {
        projects_view(&st, &ctx, InnovationQuery::default(), Some(pairs), Some(m))
    })
    .await
}
