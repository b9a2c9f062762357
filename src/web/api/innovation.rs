//! Workers' innovation: studios with their members, achievements from submission to use,
//! 名师带徒 pairs, 揭榜挂帅 projects; the records behind the innovation figures.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::activities::RowsPage;
use super::parse_id;
use crate::activities::contests::Level;
use crate::app::AppState;
use crate::auth::Caller;
use crate::db::Paging;
use crate::error::{AppResult, ErrorBody};
use crate::innovation::MODULE;
use crate::innovation::achievement::{
    self, Achievement, AchievementFilter, AchievementInput, AchievementKind, AchievementStatus,
    Dated, DecideInput,
};
use crate::innovation::mentoring::{
    self, CloseInput, Pair, PairDated, PairFilter, PairInput, PairStatus,
};
use crate::innovation::people::{self, Person};
use crate::innovation::project::{
    self, Project, ProjectDated, ProjectFilter, ProjectInput, ProjectStatus, StepInput,
};
use crate::innovation::studio::{self, Studio, StudioFilter, StudioInput, StudioStatus};
use crate::registry::orgs;
use crate::registry::scope::Scope;
use crate::web::hardening::{ApiQuery, JsonBody};
use crate::workflow::filter_value;
use crate::workflow::period_filter;

/// Which innovation records to list; each list reads the fields that apply to it.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InnovationQuery {
    /// The records' subtree (union code); default the caller's scope.
    pub org: Option<String>,
    pub status: Option<String>,
    /// Studios: the naming's level.
    pub level: Option<String>,
    /// Achievements: `small_innovation`, `invention` or `proposal`.
    pub kind: Option<String>,
    /// Achievements: from this studio (its id).
    pub studio: Option<String>,
    /// Which day `from`/`to` count by: achievements `submitted` (default), `adopted` or
    /// `implemented`; pairs `signed` (default) or `graduated`; projects `posted` (default) or
    /// `closed`. Studios count by the day named.
    pub dated: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Projects: `overdue` or `near` (taken and past or near the due day).
    pub due: Option<String>,
    /// Pairs: `true` lists each apprentice once (the apprentices figure).
    pub one_per_apprentice: Option<bool>,
    /// Words in the name or title.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl InnovationQuery {
    pub(crate) async fn scope(&self, st: &AppState, caller: &Caller) -> AppResult<Scope> {
        orgs::narrowed(&st.reg.db, &caller.scope, self.org.as_deref()).await
    }
    fn paging(&self) -> Paging {
        Paging::new(self.page, self.per_page, 50)
    }
    pub(crate) fn studios(&self) -> AppResult<StudioFilter> {
        let (from, to) = period_filter(self.from.as_deref(), self.to.as_deref())?;
        Ok(StudioFilter {
            level: filter_value::<Level>("级别", self.level.as_deref())?,
            status: filter_value::<StudioStatus>("状态", self.status.as_deref())?,
            from,
            to,
            q: self.q.clone(),
            paging: self.paging(),
        })
    }
    pub(crate) fn achievements(&self) -> AppResult<AchievementFilter> {
        let (from, to) = period_filter(self.from.as_deref(), self.to.as_deref())?;
        Ok(AchievementFilter {
            kind: filter_value::<AchievementKind>("成果类别", self.kind.as_deref())?,
            status: filter_value::<AchievementStatus>("状态", self.status.as_deref())?,
            studio_id: match crate::workflow::given(self.studio.as_deref()) {
                Some(s) => Some(parse_id(s, "创新工作室")?),
                None => None,
            },
            dated: filter_value::<Dated>("统计日期", self.dated.as_deref())?,
            from,
            to,
            q: self.q.clone(),
            paging: self.paging(),
        })
    }
    pub(crate) fn pairs(&self) -> AppResult<PairFilter> {
        let (from, to) = period_filter(self.from.as_deref(), self.to.as_deref())?;
        Ok(PairFilter {
            status: filter_value::<PairStatus>("状态", self.status.as_deref())?,
            dated: filter_value::<PairDated>("统计日期", self.dated.as_deref())?,
            from,
            to,
            one_per_apprentice: self.one_per_apprentice.unwrap_or(false),
            q: self.q.clone(),
            paging: self.paging(),
        })
    }
    pub(crate) fn projects(&self) -> AppResult<ProjectFilter> {
        let (from, to) = period_filter(self.from.as_deref(), self.to.as_deref())?;
        Ok(ProjectFilter {
            status: filter_value::<ProjectStatus>("状态", self.status.as_deref())?,
            dated: filter_value::<ProjectDated>("统计日期", self.dated.as_deref())?,
            from,
            to,
            due: self.due.clone(),
            q: self.q.clone(),
            paging: self.paging(),
        })
    }
}

// ---------- studios ----------

#[utoipa::path(get, path = "/api/v1/innovation/studios", tag = "innovation", params(InnovationQuery),
    responses((status = 200, body = RowsPage<Studio>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_studios(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InnovationQuery>,
) -> AppResult<Json<RowsPage<Studio>>> {
    caller.must_work_on(MODULE)?;
    let scope = q.scope(&st, &caller).await?;
    let (rows, total) = studio::list(&st.reg.db, &scope, &q.studios()?).await?;
    Ok(Json(RowsPage { rows, total }))
}

#[utoipa::path(post, path = "/api/v1/innovation/studios", tag = "innovation", request_body = StudioInput,
    responses((status = 201, body = Studio), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn name_studio(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<StudioInput>,
) -> AppResult<(StatusCode, Json<Studio>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let s = studio::name(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &i,
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(s)))
}

/// A studio with its people and its latest achievements.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudioDetail {
    pub studio: Studio,
    pub people: Vec<Person>,
    pub achievements: Vec<Achievement>,
    pub achievements_total: i64,
}

pub(crate) async fn studio_detail(
    st: &AppState,
    caller: &Caller,
    id: i64,
) -> AppResult<StudioDetail> {
    let db = &st.reg.db;
    let studio = studio::get(db, &caller.scope, id).await?;
    let filter = AchievementFilter {
        studio_id: Some(id),
        ..AchievementFilter::default()
    };
    let (people, (achievements, achievements_total)) = tokio::try_join!(
        people::of(db, id),
        achievement::list(db, &caller.scope, &filter)
    )?;
    Ok(StudioDetail {
        studio,
        people,
        achievements,
        achievements_total,
    })
}

#[utoipa::path(get, path = "/api/v1/innovation/studios/{id}", tag = "innovation",
    responses((status = 200, body = StudioDetail), (status = 404, body = ErrorBody)))]
pub async fn get_studio(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<StudioDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "创新工作室")?;
    Ok(Json(studio_detail(&st, &caller, id).await?))
}

/// Members to add, by ID number.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersInput {
    /// ID numbers, one per line.
    pub members: String,
}

/// How many members were new.
#[derive(Debug, Serialize, ToSchema)]
pub struct Added {
    pub added: usize,
}

#[utoipa::path(post, path = "/api/v1/innovation/studios/{id}/members", tag = "innovation", request_body = MembersInput,
    responses((status = 200, body = Added), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_members(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<MembersInput>,
) -> AppResult<Json<Added>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "创新工作室")?;
    let actor = caller.actor(&st.reg.keys);
    let added = studio::add_members(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        id,
        Some(&i.members),
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok(Json(Added { added }))
}

#[utoipa::path(post, path = "/api/v1/innovation/studios/{id}/members/{member}/remove", tag = "innovation",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_member(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, member)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "创新工作室")?;
    let member = parse_id(&member, "工作室成员")?;
    let actor = caller.actor(&st.reg.keys);
    studio::remove_member(&st.reg.db, &actor, id, member, st.auth.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why a naming is revoked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeInput {
    pub reason: String,
    pub version: i64,
}

#[utoipa::path(post, path = "/api/v1/innovation/studios/{id}/revoke", tag = "innovation", request_body = RevokeInput,
    responses((status = 200, body = Studio), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke_studio(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<RevokeInput>,
) -> AppResult<Json<Studio>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "创新工作室")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        studio::revoke(
            &st.reg.db,
            &actor,
            id,
            i.version,
            &i.reason,
            st.today(),
            st.auth.now(),
        )
        .await?,
    ))
}

// ---------- achievements ----------

#[utoipa::path(get, path = "/api/v1/innovation/achievements", tag = "innovation", params(InnovationQuery),
    responses((status = 200, body = RowsPage<Achievement>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_achievements(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InnovationQuery>,
) -> AppResult<Json<RowsPage<Achievement>>> {
    caller.must_work_on(MODULE)?;
    let scope = q.scope(&st, &caller).await?;
    let (rows, total) = achievement::list(&st.reg.db, &scope, &q.achievements()?).await?;
    Ok(Json(RowsPage { rows, total }))
}

#[utoipa::path(post, path = "/api/v1/innovation/achievements", tag = "innovation", request_body = AchievementInput,
    responses((status = 201, body = Achievement), (status = 422, body = ErrorBody)))]
pub async fn submit_achievement(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<AchievementInput>,
) -> AppResult<(StatusCode, Json<Achievement>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let a = achievement::submit(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &i,
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// A record with its people.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = InnovationWithPeople)]
pub struct WithPeople<T: ToSchema> {
    pub record: T,
    pub people: Vec<Person>,
}

#[utoipa::path(get, path = "/api/v1/innovation/achievements/{id}", tag = "innovation",
    responses((status = 200, body = WithPeople<Achievement>), (status = 404, body = ErrorBody)))]
pub async fn get_achievement(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<WithPeople<Achievement>>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "创新成果")?;
    let record = achievement::get(&st.reg.db, &caller.scope, id).await?;
    let people = people::of(&st.reg.db, id).await?;
    Ok(Json(WithPeople { record, people }))
}

#[utoipa::path(post, path = "/api/v1/innovation/achievements/{id}/decide", tag = "innovation", request_body = DecideInput,
    responses((status = 200, body = Achievement), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_achievement(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<DecideInput>,
) -> AppResult<Json<Achievement>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "创新成果")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        achievement::decide(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

// ---------- pairs ----------

#[utoipa::path(get, path = "/api/v1/innovation/pairs", tag = "innovation", params(InnovationQuery),
    responses((status = 200, body = RowsPage<Pair>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_pairs(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InnovationQuery>,
) -> AppResult<Json<RowsPage<Pair>>> {
    caller.must_work_on(MODULE)?;
    let scope = q.scope(&st, &caller).await?;
    let (rows, total) = mentoring::list(&st.reg.db, &scope, &q.pairs()?).await?;
    Ok(Json(RowsPage { rows, total }))
}

#[utoipa::path(post, path = "/api/v1/innovation/pairs", tag = "innovation", request_body = PairInput,
    responses((status = 201, body = Pair), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign_pair(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<PairInput>,
) -> AppResult<(StatusCode, Json<Pair>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let p = mentoring::sign(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &i,
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(get, path = "/api/v1/innovation/pairs/{id}", tag = "innovation",
    responses((status = 200, body = Pair), (status = 404, body = ErrorBody)))]
pub async fn get_pair(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Pair>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "师徒结对")?;
    Ok(Json(mentoring::get(&st.reg.db, &caller.scope, id).await?))
}

#[utoipa::path(post, path = "/api/v1/innovation/pairs/{id}/close", tag = "innovation", request_body = CloseInput,
    responses((status = 200, body = Pair), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn close_pair(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<CloseInput>,
) -> AppResult<Json<Pair>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "师徒结对")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        mentoring::close(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

// ---------- projects ----------

#[utoipa::path(get, path = "/api/v1/innovation/projects", tag = "innovation", params(InnovationQuery),
    responses((status = 200, body = RowsPage<Project>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_projects(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InnovationQuery>,
) -> AppResult<Json<RowsPage<Project>>> {
    caller.must_work_on(MODULE)?;
    let scope = q.scope(&st, &caller).await?;
    let (rows, total) = project::list(&st.reg.db, &scope, &q.projects()?, st.today()).await?;
    Ok(Json(RowsPage { rows, total }))
}

#[utoipa::path(post, path = "/api/v1/innovation/projects", tag = "innovation", request_body = ProjectInput,
    responses((status = 201, body = Project), (status = 422, body = ErrorBody)))]
pub async fn post_project(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<ProjectInput>,
) -> AppResult<(StatusCode, Json<Project>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let p = project::post(&st.reg.db, &actor, &i, st.today(), st.auth.now()).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(get, path = "/api/v1/innovation/projects/{id}", tag = "innovation",
    responses((status = 200, body = WithPeople<Project>), (status = 404, body = ErrorBody)))]
pub async fn get_project(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<WithPeople<Project>>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "揭榜挂帅项目")?;
    let record = project::get(&st.reg.db, &caller.scope, id, st.today()).await?;
    let people = people::of(&st.reg.db, id).await?;
    Ok(Json(WithPeople { record, people }))
}

#[utoipa::path(post, path = "/api/v1/innovation/projects/{id}/step", tag = "innovation", request_body = StepInput,
    responses((status = 200, body = Project), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn step_project(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<StepInput>,
) -> AppResult<Json<Project>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "揭榜挂帅项目")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        project::step(
            &st.reg.db,
            &st.reg.keys,
            &actor,
            id,
            &i,
            st.today(),
            st.auth.now(),
        )
        .await?,
    ))
}
