//! Activities: the cadre's records of activities, their sessions, sign-in sheets and the
//! people behind the figures; the member's own sign-ups and check-ins.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_id;
use crate::activities::MODULE;
use crate::activities::activity::{self, Action, Activity, ActivityInput, Kind, Status, StepInput};
use crate::activities::contests::{
    self, Award, AwardGiven, AwardInput, Entrant, EntrantsInput, EntrantsResult, ScoresInput,
    Trade, TradeHeld, TradeInput,
};
use crate::activities::figures::{self, PersonTimes};
use crate::activities::participation::{
    self, CheckedIn, OpenActivity, Participant, Session, SessionInput, SheetInput, SheetResult,
    SignedUp,
};
use crate::activities::spending::{self, RaiseInput, Spending, SpendingHeld, SpendingInput};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::stats::{self, StatsQuery};
use crate::web::api::members::own_member;
use crate::web::hardening::{ApiQuery, JsonBody};
use crate::workflow::{Named, given};

/// A page of records and whether more follow.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ActivityPage)]
pub struct Page<T: ToSchema> {
    pub rows: Vec<T>,
    pub more: bool,
}

/// Which activities to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivitiesQuery {
    /// Organisers' subtree (union code); default the caller's scope.
    pub org: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Running at some time in these days (YYYY-MM-DD).
    pub from: Option<String>,
    pub to: Option<String>,
    /// `true`: only those that held a session between `from` and `to` (the figures' rule).
    pub held: Option<bool>,
    /// Words in the title.
    pub q: Option<String>,
    pub page: Option<i64>,
}

fn day(typed: Option<&str>) -> AppResult<Option<chrono::NaiveDate>> {
    given(typed).map(crate::types::parse_date).transpose()
}

/// The list filter a query asks for; a kind, status or date that cannot be read is a 422.
pub(crate) fn list_filter(q: &ActivitiesQuery) -> AppResult<activity::ListFilter> {
    Ok(activity::ListFilter {
        org: q.org.clone(),
        kind: crate::workflow::filter_value::<Kind>("活动类别", q.kind.as_deref())?,
        status: crate::workflow::filter_value::<Status>("活动状态", q.status.as_deref())?,
        from: day(q.from.as_deref())?,
        to: day(q.to.as_deref())?,
        held: q.held.unwrap_or(false),
        q: q.q.clone(),
        page: q.page.unwrap_or(1),
        per_page: 50,
    })
}

#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", params(ActivitiesQuery),
    responses((status = 200, body = Page<Activity>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_activities(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ActivitiesQuery>,
) -> AppResult<Json<Page<Activity>>> {
    caller.must_work_on(MODULE)?;
    let (rows, more) = activity::list(&st.reg.db, &caller.scope, &list_filter(&q)?).await?;
    Ok(Json(Page { rows, more }))
}

#[utoipa::path(post, path = "/api/v1/activities", tag = "activities", request_body = ActivityInput,
    responses((status = 201, body = Activity), (status = 422, body = ErrorBody)))]
pub async fn create_activity(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<ActivityInput>,
) -> AppResult<(StatusCode, Json<Activity>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(activity::create(&st.reg.db, &actor, &i, st.auth.now()).await?),
    ))
}

/// An activity with its sessions, payments, and (a competition) its events and awards.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityDetail {
    pub activity: Activity,
    pub sessions: Vec<Session>,
    pub spending: Vec<Spending>,
    pub trades: Vec<Trade>,
    pub awards: Vec<Award>,
}

#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "activities",
    responses((status = 200, body = ActivityDetail), (status = 404, body = ErrorBody)))]
pub async fn get_activity(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<ActivityDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let activity = activity::get(&st.reg.db, &caller.scope, id).await?;
    let db = &st.reg.db;
    let (sessions, spending, trades, awards) = tokio::try_join!(
        participation::sessions(db, id),
        spending::of(db, id),
        contests::trades(db, id),
        contests::awards(db, id)
    )?;
    Ok(Json(ActivityDetail {
        activity,
        sessions,
        spending,
        trades,
        awards,
    }))
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/{action}", tag = "activities", request_body = StepInput,
    params(("action" = String, Path, description = "close 结束活动 | cancel 取消活动 | reopen 重新开放")),
    responses((status = 200, body = Activity), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn step_activity(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
    JsonBody(i): JsonBody<StepInput>,
) -> AppResult<Json<Activity>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let action = Action::parse(&action).ok_or_else(|| AppError::not_found("操作"))?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        activity::step(&st.reg.db, &actor, id, action, &i, st.auth.now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/sessions", tag = "activities", request_body = SessionInput,
    responses((status = 201, body = Session), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_session(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<SessionInput>,
) -> AppResult<(StatusCode, Json<Session>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(participation::add_session(&st.reg.db, &actor, id, &i, st.auth.now()).await?),
    ))
}

/// A page number.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/activities/{id}/participants", tag = "activities", params(PageQuery),
    responses((status = 200, body = Page<Participant>), (status = 404, body = ErrorBody)))]
pub async fn list_participants(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<Participant>>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    activity::get(&st.reg.db, &caller.scope, id).await?;
    let (rows, more) = participation::participants(&st.reg.db, id, q.page.unwrap_or(1), 50).await?;
    Ok(Json(Page { rows, more }))
}

#[utoipa::path(post, path = "/api/v1/activities/sessions/{id}/sheet", tag = "activities", request_body = SheetInput,
    responses((status = 200, body = SheetResult), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn enter_sheet(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<SheetInput>,
) -> AppResult<Json<SheetResult>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动场次")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        participation::check_in_sheet(
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

/// Guests head-counted at a session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestsInput {
    pub guests: i64,
}

#[utoipa::path(post, path = "/api/v1/activities/sessions/{id}/guests", tag = "activities", request_body = GuestsInput,
    responses((status = 200, body = Session), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_guests(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<GuestsInput>,
) -> AppResult<Json<Session>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动场次")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        participation::set_guests(&st.reg.db, &actor, id, Some(i.guests), st.auth.now()).await?,
    ))
}

/// The members behind the 人 figure.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonsQuery {
    pub org: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// One page of the members who took part, and how many there are in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonsPage {
    pub rows: Vec<PersonTimes>,
    pub total: i64,
}

#[utoipa::path(get, path = "/api/v1/activities/persons", tag = "activities", params(PersonsQuery),
    responses((status = 200, body = PersonsPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_persons(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PersonsQuery>,
) -> AppResult<Json<PersonsPage>> {
    caller.must_work_on(MODULE)?;
    let (org, period) = stats::resolve(&st.reg.db, &caller.scope, &period_query(&q)).await?;
    let (rows, total) = figures::persons(
        &st.reg.db,
        &org.path,
        &period,
        (q.page.unwrap_or(1), q.per_page.unwrap_or(50)),
    )
    .await?;
    Ok(Json(PersonsPage { rows, total }))
}

fn period_query(q: &PersonsQuery) -> StatsQuery {
    StatsQuery {
        org: q.org.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
    }
}

/// One page of a figure's rows and how many there are in all.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ActivityRowsPage)]
pub struct RowsPage<T: ToSchema> {
    pub rows: Vec<T>,
    pub total: i64,
}

#[utoipa::path(get, path = "/api/v1/activities/contests", tag = "activities", params(PersonsQuery),
    responses((status = 200, body = RowsPage<TradeHeld>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_contests(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PersonsQuery>,
) -> AppResult<Json<RowsPage<TradeHeld>>> {
    caller.must_work_on(MODULE)?;
    let (org, period) = stats::resolve(&st.reg.db, &caller.scope, &period_query(&q)).await?;
    let paging = (q.page.unwrap_or(1), q.per_page.unwrap_or(50));
    let (rows, total) = contests::held_in(&st.reg.db, &org.path, &period, paging).await?;
    Ok(Json(RowsPage { rows, total }))
}

#[utoipa::path(get, path = "/api/v1/activities/awards", tag = "activities", params(PersonsQuery),
    responses((status = 200, body = RowsPage<AwardGiven>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_awards(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PersonsQuery>,
) -> AppResult<Json<RowsPage<AwardGiven>>> {
    caller.must_work_on(MODULE)?;
    let (org, period) = stats::resolve(&st.reg.db, &caller.scope, &period_query(&q)).await?;
    let paging = (q.page.unwrap_or(1), q.per_page.unwrap_or(50));
    let (rows, total) = contests::awards_in(&st.reg.db, &org.path, &period, paging).await?;
    Ok(Json(RowsPage { rows, total }))
}

/// One page of payments, their count and total.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpendingPage {
    pub rows: Vec<SpendingHeld>,
    pub total: i64,
    pub total_fen: i64,
}

#[utoipa::path(get, path = "/api/v1/activities/spending", tag = "activities", params(PersonsQuery),
    responses((status = 200, body = SpendingPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_spending(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PersonsQuery>,
) -> AppResult<Json<SpendingPage>> {
    caller.must_work_on(MODULE)?;
    let (org, period) = stats::resolve(&st.reg.db, &caller.scope, &period_query(&q)).await?;
    let paging = (q.page.unwrap_or(1), q.per_page.unwrap_or(50));
    let (rows, total, total_fen) =
        spending::in_period(&st.reg.db, &org.path, &period, paging).await?;
    Ok(Json(SpendingPage {
        rows,
        total,
        total_fen,
    }))
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/spending", tag = "activities", request_body = SpendingInput,
    responses((status = 201, body = Spending), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn spend(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<SpendingInput>,
) -> AppResult<(StatusCode, Json<Spending>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(spending::spend(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?),
    ))
}

/// Why a payment is undone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseInput {
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/spending/{spending}/reverse", tag = "activities", request_body = ReverseInput,
    responses((status = 200, body = Spending), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reverse_spending(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, spending_id)): Path<(String, String)>,
    JsonBody(i): JsonBody<ReverseInput>,
) -> AppResult<Json<Spending>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let spending_id = parse_id(&spending_id, "支出记录")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        spending::reverse(
            &st.reg.db,
            &actor,
            id,
            spending_id,
            &i.reason,
            st.today(),
            st.auth.now(),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/budget", tag = "activities", request_body = RaiseInput,
    responses((status = 200, body = Activity), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn raise_budget(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<RaiseInput>,
) -> AppResult<Json<Activity>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        spending::raise_budget(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/trades", tag = "activities", request_body = TradeInput,
    responses((status = 201, body = Trade), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_trade(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<TradeInput>,
) -> AppResult<(StatusCode, Json<Trade>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(contests::add_trade(&st.reg.db, &actor, id, &i, st.auth.now()).await?),
    ))
}

/// An event with its entrants, best score first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradeDetail {
    pub trade: Trade,
    pub entrants: Vec<Entrant>,
}

#[utoipa::path(get, path = "/api/v1/activities/trades/{id}", tag = "activities",
    responses((status = 200, body = TradeDetail), (status = 404, body = ErrorBody)))]
pub async fn get_trade(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<TradeDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "比赛项目")?;
    let (trade, _) = contests::trade_in_scope(&st.reg.db, &caller.scope, id).await?;
    let entrants = contests::entrants(&st.reg.db, id).await?;
    Ok(Json(TradeDetail { trade, entrants }))
}

#[utoipa::path(post, path = "/api/v1/activities/trades/{id}/entrants", tag = "activities", request_body = EntrantsInput,
    responses((status = 200, body = EntrantsResult), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_entrants(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<EntrantsInput>,
) -> AppResult<Json<EntrantsResult>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "比赛项目")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        contests::add_entrants(&st.reg.db, &st.reg.keys, &actor, id, &i, st.auth.now()).await?,
    ))
}

/// How many scores were marked.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoresResult {
    pub marked: u64,
}

#[utoipa::path(post, path = "/api/v1/activities/trades/{id}/scores", tag = "activities", request_body = ScoresInput,
    responses((status = 200, body = ScoresResult), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_scores(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ScoresInput>,
) -> AppResult<Json<ScoresResult>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "比赛项目")?;
    let actor = caller.actor(&st.reg.keys);
    let marked =
        contests::set_scores(&st.reg.db, &st.reg.keys, &actor, id, &i, st.auth.now()).await?;
    Ok(Json(ScoresResult { marked }))
}

#[utoipa::path(post, path = "/api/v1/activities/trades/{id}/awards", tag = "activities", request_body = AwardInput,
    responses((status = 201, body = Award), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn award(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<AwardInput>,
) -> AppResult<(StatusCode, Json<Award>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "比赛项目")?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(contests::award(&st.reg.db, &st.reg.keys, &actor, id, &i, st.auth.now()).await?),
    ))
}

// ---------- the member's own ----------

#[utoipa::path(get, path = "/api/v1/me/activities", tag = "activities",
    responses((status = 200, body = [OpenActivity])))]
pub async fn my_activities(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<OpenActivity>>> {
    let member = own_member(&caller)?;
    Ok(Json(
        participation::open_to(&st.reg.db, member, st.today()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/me/activities/{id}/signup", tag = "activities",
    responses((status = 200, body = SignedUp), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn sign_up(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<SignedUp>> {
    let member = own_member(&caller)?;
    let id = parse_id(&id, "活动")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        participation::sign_up(&st.reg.db, &actor, id, member, st.today(), st.auth.now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/me/activities/{id}/withdraw", tag = "activities",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn withdraw(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let member = own_member(&caller)?;
    let id = parse_id(&id, "活动")?;
    let actor = caller.actor(&st.reg.keys);
    participation::withdraw(&st.reg.db, &actor, id, member, st.auth.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The code a member scanned at the venue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInInput {
    pub code: String,
}

#[utoipa::path(post, path = "/api/v1/me/checkin", tag = "activities", request_body = CheckInInput,
    responses((status = 200, body = CheckedIn), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn check_in(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<CheckInInput>,
) -> AppResult<Json<CheckedIn>> {
    let member = own_member(&caller)?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        participation::check_in_by_code(
            &st.reg.db,
            &actor,
            member,
            &i.code,
            st.today(),
            st.auth.now(),
        )
        .await?,
    ))
}
