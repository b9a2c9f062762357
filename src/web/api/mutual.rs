//! Medical mutual aid: plans, employers' enrolments, claims with their review and payment, and
//! the rows behind the mutual-aid figures.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_id;
use crate::aid::mutual::{
    self, Claim, ClaimInput, EnrolInput, Enrollee, Enrolment, MODULE, Plan, PlanInput,
};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppResult, ErrorBody};
use crate::registry::stats::{self, StatsQuery};
use crate::web::hardening::{ApiQuery, JsonBody};
use crate::workflow::history::HistoryRow;
use crate::workflow::review;

#[utoipa::path(get, path = "/api/v1/mutual/plans", tag = "mutual", responses((status = 200, body = [Plan])))]
pub async fn list_plans(State(st): State<AppState>, caller: Caller) -> AppResult<Json<Vec<Plan>>> {
    caller.must_work_on(MODULE)?;
    Ok(Json(mutual::plans(&st.reg.db, &caller.scope).await?))
}

#[utoipa::path(post, path = "/api/v1/mutual/plans", tag = "mutual", request_body = PlanInput,
    responses((status = 201, body = Plan), (status = 422, body = ErrorBody)))]
pub async fn create_plan(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<PlanInput>,
) -> AppResult<(StatusCode, Json<Plan>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(mutual::create_plan(&st.reg.db, &actor, &i, st.auth.now()).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/mutual/plans/{id}", tag = "mutual",
    responses((status = 200, body = Plan), (status = 404, body = ErrorBody)))]
pub async fn get_plan(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Plan>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "互助计划")?;
    Ok(Json(mutual::plan(&st.reg.db, &caller.scope, id).await?))
}

#[utoipa::path(post, path = "/api/v1/mutual/plans/{id}/enrolments", tag = "mutual", request_body = EnrolInput,
    responses((status = 201, body = Enrolment), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "MUTUAL_ENROLLED, MUTUAL_TERM_OVER"),
        (status = 422, body = ErrorBody, description = "MUTUAL_BELOW_SHARE: fewer than the plan's share without a reason")))]
pub async fn enrol(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<EnrolInput>,
) -> AppResult<(StatusCode, Json<Enrolment>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "互助计划")?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(mutual::enrol(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/mutual/plans/{id}/claims", tag = "mutual", request_body = ClaimInput,
    responses((status = 201, body = Claim), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "MUTUAL_NOT_ENROLLED, MUTUAL_OUTSIDE_TERM, MUTUAL_ABOVE_CAP")))]
pub async fn claim(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ClaimInput>,
) -> AppResult<(StatusCode, Json<Claim>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "互助计划")?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(mutual::claim(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?),
    ))
}

/// A claim with its review chain and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimDetail {
    pub claim: Claim,
    pub review: Vec<review::Level>,
    pub history: Vec<HistoryRow>,
}

#[utoipa::path(get, path = "/api/v1/mutual/claims/{id}", tag = "mutual",
    responses((status = 200, body = ClaimDetail), (status = 404, body = ErrorBody)))]
pub async fn get_claim(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<ClaimDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "理赔")?;
    let db = &st.reg.db;
    Ok(Json(ClaimDetail {
        claim: mutual::get_claim(db, &caller.scope, id).await?,
        review: review::levels(db, mutual::CASE, id).await?,
        history: crate::workflow::history::of(
            db,
            crate::workflow::history::CaseRef {
                case_type: mutual::CASE,
                id,
            },
        )
        .await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/mutual/claims/{id}/decision", tag = "mutual", request_body = review::DecisionInput,
    responses((status = 200, body = Claim), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "MUTUAL_POOL_SHORT, CASE_CHANGED, TRANSITION_REFUSED")))]
pub async fn decide(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<review::DecisionInput>,
) -> AppResult<Json<Claim>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "理赔")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        mutual::decide(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

/// A subtree and period (as the figures take them) and a page.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    pub org: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub total: i64,
    pub rows: Vec<T>,
}

pub(super) async fn period(
    st: &AppState,
    caller: &Caller,
    q: &PeriodQuery,
) -> AppResult<(
    String,
    chrono::NaiveDate,
    chrono::NaiveDate,
    crate::db::Paging,
)> {
    let sq = StatsQuery {
        org: q.org.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
    };
    let (org, p) = stats::resolve(&st.reg.db, &caller.scope, &sq).await?;
    Ok((
        org.path,
        p.from,
        p.to,
        crate::db::Paging::new(q.page, q.per_page, 50),
    ))
}

#[utoipa::path(get, path = "/api/v1/mutual/enrolments", tag = "mutual", params(PeriodQuery),
    responses((status = 200, body = Page<Enrolment>), (status = 404, body = ErrorBody)))]
pub async fn list_enrolments(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> AppResult<Json<Page<Enrolment>>> {
    caller.must_work_on(MODULE)?;
    let (path, from, to, paging) = period(&st, &caller, &q).await?;
    let (rows, total) = mutual::enrolments_in(&st.reg.db, &path, from, to, &paging).await?;
    Ok(Json(Page { total, rows }))
}

#[utoipa::path(get, path = "/api/v1/mutual/enrollees", tag = "mutual", params(PeriodQuery),
    responses((status = 200, body = Page<Enrollee>), (status = 404, body = ErrorBody)))]
pub async fn list_enrollees(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> AppResult<Json<Page<Enrollee>>> {
    caller.must_work_on(MODULE)?;
    let (path, from, to, paging) = period(&st, &caller, &q).await?;
    let (rows, total) = mutual::enrollees_in(&st.reg.db, &path, from, to, &paging).await?;
    Ok(Json(Page { total, rows }))
}

#[utoipa::path(get, path = "/api/v1/mutual/claims", tag = "mutual", params(PeriodQuery),
    responses((status = 200, body = Page<Claim>), (status = 404, body = ErrorBody)))]
pub async fn list_claims(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> AppResult<Json<Page<Claim>>> {
    caller.must_work_on(MODULE)?;
    let (path, from, to, paging) = period(&st, &caller, &q).await?;
    let (rows, total) = mutual::claims_in(&st.reg.db, &path, from, to, &paging).await?;
    Ok(Json(Page { total, rows }))
}

#[utoipa::path(get, path = "/api/v1/mutual/claims/export", tag = "mutual", params(super::files::RegisterQuery),
    responses((status = 200, description = "XLSX or CSV of the claims paid in the period, in the claim history import's columns, ID numbers masked"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_claims(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<super::files::RegisterQuery>,
) -> AppResult<axum::response::Response> {
    let db = &st.reg.db;
    super::files::send_register(
        &st,
        &caller,
        MODULE,
        "export.mutual_claims",
        &q,
        |org, period, format| async move {
            crate::aid::export::claims_sheet(db, &org, &period, format).await
        },
    )
    .await
}
