//! Honours: nominations, their review, public notice and grant; honours granted elsewhere
//! recorded; care for honoured people; the records behind the honours figures.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_id;
use crate::activities::contests::Level;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::honours::MODULE;
use crate::honours::care::{self, Care, CareInput, CareKind};
use crate::honours::honour::{
    self, Action, AwardInput, Honour, HonourInput, ReasonInput, Status, Subject, TitleKind,
};
use crate::registry::stats::{self, StatsQuery};
use crate::web::hardening::{ApiQuery, JsonBody};
use crate::workflow::given;
use crate::workflow::history::HistoryRow;
use crate::workflow::notice::{self, Objection, ObjectionInput, ResolveInput};
use crate::workflow::review::{DecisionInput, Level as ReviewLevel};

/// Which honours to list.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HonoursQuery {
    /// Honourees' subtree (union code); default the caller's scope.
    pub org: Option<String>,
    pub status: Option<String>,
    pub title_kind: Option<String>,
    pub level: Option<String>,
    /// `person` or `collective`.
    pub subject: Option<String>,
    pub year: Option<String>,
    /// Granted (and not revoked) between these days (YYYY-MM-DD), the figures' rule.
    pub from: Option<String>,
    pub to: Option<String>,
    /// `true`: each honouree once (the 人 and 集体 figures).
    pub one_per_holder: Option<bool>,
    /// `true`: only nominations waiting for a union in the caller's scope to decide.
    pub waiting: Option<bool>,
    /// Granted persons without a health check recorded in this year.
    pub no_check_in: Option<String>,
    /// Words in the name or title.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// One page of honours, how many the filter keeps in all, and whether more follow.
#[derive(Debug, Serialize, ToSchema)]
pub struct HonoursPage {
    pub rows: Vec<Honour>,
    pub total: i64,
    pub more: bool,
}

/// The list filter a query asks for; a value that cannot be read is a 422.
pub(crate) fn list_filter(q: &HonoursQuery) -> AppResult<honour::ListFilter> {
    let day = |t: Option<&str>| given(t).map(crate::types::parse_date).transpose();
    let year = |what: &str, t: Option<&str>| -> AppResult<Option<i64>> {
        given(t)
            .map(|y| {
                y.trim_end_matches('年')
                    .parse::<i64>()
                    .ok()
                    .filter(|y| (1900..=9999).contains(y))
                    .ok_or_else(|| AppError::invalid(format!("{what}“{y}”应为四位年份")))
            })
            .transpose()
    };
    Ok(honour::ListFilter {
        org: q.org.clone(),
        status: crate::workflow::filter_value::<Status>("状态", q.status.as_deref())?,
        title_kind: crate::workflow::filter_value::<TitleKind>(
            "荣誉类别",
            q.title_kind.as_deref(),
        )?,
        level: crate::workflow::filter_value::<Level>("级别", q.level.as_deref())?,
        subject: crate::workflow::filter_value::<Subject>("表彰对象", q.subject.as_deref())?,
        year: year("评选年度", q.year.as_deref())?,
        awarded_from: day(q.from.as_deref())?,
        awarded_to: day(q.to.as_deref())?,
        one_per_holder: q.one_per_holder.unwrap_or(false),
        waiting: q.waiting.unwrap_or(false),
        no_check_in: year("未体检年度", q.no_check_in.as_deref())?,
        q: q.q.clone(),
        page: q.page.unwrap_or(1),
        per_page: q.per_page.unwrap_or(50),
    })
}

#[utoipa::path(get, path = "/api/v1/honours", tag = "honours", params(HonoursQuery),
    responses((status = 200, body = HonoursPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_honours(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<HonoursQuery>,
) -> AppResult<Json<HonoursPage>> {
    caller.must_work_on(MODULE)?;
    let (rows, total, more) = honour::list(&st.reg.db, &caller.scope, &list_filter(&q)?).await?;
    Ok(Json(HonoursPage { rows, total, more }))
}

#[utoipa::path(post, path = "/api/v1/honours", tag = "honours", request_body = HonourInput,
    responses((status = 201, body = Honour), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn nominate(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<HonourInput>,
) -> AppResult<(StatusCode, Json<Honour>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let h = honour::nominate(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &i,
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(h)))
}

#[utoipa::path(post, path = "/api/v1/honours/record", tag = "honours", request_body = HonourInput,
    responses((status = 201, body = Honour), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<HonourInput>,
) -> AppResult<(StatusCode, Json<Honour>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let h = honour::record(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &i,
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(h)))
}

/// An honour with its review levels, objections, history and care.
#[derive(Debug, Serialize, ToSchema)]
pub struct HonourDetail {
    pub honour: Honour,
    pub levels: Vec<ReviewLevel>,
    pub objections: Vec<Objection>,
    pub timeline: Vec<HistoryRow>,
    pub care: Vec<Care>,
}

/// An honour's whole page, for the API and the console.
pub(crate) async fn detail(st: &AppState, caller: &Caller, id: i64) -> AppResult<HonourDetail> {
    let db = &st.reg.db;
    let honour = honour::get(db, &caller.scope, id).await?;
    let (levels, objections, timeline, care) = tokio::try_join!(
        honour::levels(db, id),
        notice::objections(db, honour::CASE, id),
        honour::timeline(db, id),
        care::of(db, id),
    )?;
    Ok(HonourDetail {
        honour,
        levels,
        objections,
        timeline,
        care,
    })
}

#[utoipa::path(get, path = "/api/v1/honours/{id}", tag = "honours",
    responses((status = 200, body = HonourDetail), (status = 404, body = ErrorBody)))]
pub async fn get_honour(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<HonourDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    Ok(Json(detail(&st, &caller, id).await?))
}

#[utoipa::path(post, path = "/api/v1/honours/{id}/review", tag = "honours", request_body = DecisionInput,
    responses((status = 200, body = Honour), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn review(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<DecisionInput>,
) -> AppResult<Json<Honour>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        honour::decide(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/honours/{id}/objections", tag = "honours", request_body = ObjectionInput,
    responses((status = 200, body = Honour), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn object(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ObjectionInput>,
) -> AppResult<Json<Honour>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        honour::object(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/honours/{id}/objections/{objection}/resolve", tag = "honours", request_body = ResolveInput,
    responses((status = 200, body = Honour), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, objection)): Path<(String, String)>,
    JsonBody(i): JsonBody<ResolveInput>,
) -> AppResult<Json<Honour>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let objection = parse_id(&objection, "异议")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        honour::resolve(
            &st.reg.db,
            &actor,
            id,
            objection,
            &i,
            st.today(),
            st.auth.now(),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/honours/{id}/award", tag = "honours", request_body = AwardInput,
    responses((status = 200, body = Honour), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn award(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<AwardInput>,
) -> AppResult<Json<Honour>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        honour::award(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

/// `withdraw` (a nomination) or `revoke` (a granted honour).
pub(crate) fn ending(action: &str) -> AppResult<Action> {
    match action {
        "withdraw" => Ok(Action::Withdraw),
        "revoke" => Ok(Action::Revoke),
        _ => Err(AppError::not_found("操作")),
    }
}

#[utoipa::path(post, path = "/api/v1/honours/{id}/end/{action}", tag = "honours", request_body = ReasonInput,
    params(("action" = String, Path, description = "`withdraw`（撤回推荐）或 `revoke`（撤销荣誉）")),
    responses((status = 200, body = Honour), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn end(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
    JsonBody(i): JsonBody<ReasonInput>,
) -> AppResult<Json<Honour>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let action = ending(&action)?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        honour::end(
            &st.reg.db,
            &actor,
            id,
            action,
            &i,
            st.today(),
            st.auth.now(),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/honours/{id}/care", tag = "honours", request_body = CareInput,
    responses((status = 201, body = Care), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn give_care(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<CareInput>,
) -> AppResult<(StatusCode, Json<Care>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let actor = caller.actor(&st.reg.keys);
    let c = care::give(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Why a payment is undone.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = CareReverseInput)]
#[serde(deny_unknown_fields)]
pub struct ReverseInput {
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/honours/care/{id}/reverse", tag = "honours", request_body = ReverseInput,
    responses((status = 200, body = Care), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reverse_care(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ReverseInput>,
) -> AppResult<Json<Care>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "关爱记录")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        care::reverse(&st.reg.db, &actor, id, &i.reason, st.today(), st.auth.now()).await?,
    ))
}

/// The subtree, period and page of the care drill.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CareQuery {
    /// Giving unions' subtree (union code); default the caller's scope.
    pub org: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `health_check`, `visit`, `rest` or `allowance`.
    pub kind: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// One page of care and how many there are in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct CarePage {
    pub rows: Vec<Care>,
    pub total: i64,
}

/// The care page a query asks for.
pub(crate) async fn care_page(
    st: &AppState,
    caller: &Caller,
    q: &CareQuery,
) -> AppResult<CarePage> {
    let kind = crate::workflow::filter_value::<CareKind>("关爱类别", q.kind.as_deref())?;
    let period = StatsQuery {
        org: q.org.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
    };
    let (org, period) = stats::resolve(&st.reg.db, &caller.scope, &period).await?;
    let paging = (q.page.unwrap_or(1), q.per_page.unwrap_or(50));
    let (rows, total) = care::in_period(
        &st.reg.db,
        &org.path,
        (period.from, period.to),
        kind,
        paging,
    )
    .await?;
    Ok(CarePage { rows, total })
}

#[utoipa::path(get, path = "/api/v1/honours/care", tag = "honours", params(CareQuery),
    responses((status = 200, body = CarePage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_care(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CareQuery>,
) -> AppResult<Json<CarePage>> {
    caller.must_work_on(MODULE)?;
    Ok(Json(care_page(&st, &caller, &q).await?))
}
