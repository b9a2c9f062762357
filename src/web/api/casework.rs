//! Casework: petitions and grievances — intake, the queues, a case with its history, the
//! steps of its workflow; and the member's own petitions (the member portal's API).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiScope, parse_id};
use crate::app::AppState;
use crate::auth::Caller;
use crate::casework::MODULE;
use crate::casework::petitions::{
    self, Deadlines, HistoryRow, IntakeInput, Petition, QueueFilter, StepInput,
};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::hardening::{ApiQuery, JsonBody};

fn today(st: &AppState) -> chrono::NaiveDate {
    crate::clock::local_date(st.auth.now())
}

fn rules(st: &AppState) -> Deadlines {
    Deadlines::from_config(&st.config)
}

#[utoipa::path(get, path = "/api/v1/petitions", tag = "casework", params(QueueFilter),
    responses((status = 200, body = [Petition])))]
pub async fn list_petitions(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(f): ApiQuery<QueueFilter>,
) -> AppResult<Json<Vec<Petition>>> {
    caller.must_work_on(MODULE)?;
    Ok(Json(
        petitions::queue(&st.reg.db, &caller.scope, &f, today(&st)).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/petitions", tag = "casework", request_body = IntakeInput,
    responses((status = 201, body = Petition), (status = 422, body = ErrorBody)))]
pub async fn create_petition(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<IntakeInput>,
) -> AppResult<(StatusCode, Json<Petition>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let p = petitions::intake(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &i,
        None,
        rules(&st),
        today(&st),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// A case with its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PetitionDetail {
    pub petition: Petition,
    pub history: Vec<HistoryRow>,
}

#[utoipa::path(get, path = "/api/v1/petitions/{id}", tag = "casework",
    responses((status = 200, body = PetitionDetail), (status = 404, body = ErrorBody)))]
pub async fn get_petition(
    State(st): State<AppState>,
    caller: Caller,
    ApiScope(scope): ApiScope,
    Path(id): Path<String>,
) -> AppResult<Json<PetitionDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "诉求")?;
    Ok(Json(PetitionDetail {
        petition: petitions::get(&st.reg.db, &scope, id, today(&st)).await?,
        history: petitions::timeline(&st.reg.db, &scope, id).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/petitions/{id}/steps", tag = "casework", request_body = StepInput,
    responses((status = 200, body = Petition), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "TRANSITION_REFUSED, CASE_CHANGED, ALREADY_EXTENDED"),
        (status = 422, body = ErrorBody)))]
pub async fn step_petition(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<StepInput>,
) -> AppResult<Json<Petition>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "诉求")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        petitions::step(
            &st.reg.db,
            &actor,
            id,
            &i,
            rules(&st),
            today(&st),
            st.auth.now(),
        )
        .await?,
    ))
}

fn own_member(caller: &Caller) -> AppResult<i64> {
    caller.member_id.ok_or_else(|| AppError::not_found("会员"))
}

#[utoipa::path(get, path = "/api/v1/me/petitions", tag = "casework",
    responses((status = 200, body = [Petition])))]
pub async fn my_petitions(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Petition>>> {
    let member = own_member(&caller)?;
    Ok(Json(petitions::mine(&st.reg.db, member, today(&st)).await?))
}

#[utoipa::path(post, path = "/api/v1/me/petitions", tag = "casework", request_body = IntakeInput,
    responses((status = 201, body = Petition), (status = 422, body = ErrorBody)))]
pub async fn file_my_petition(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<IntakeInput>,
) -> AppResult<(StatusCode, Json<Petition>)> {
    let member = own_member(&caller)?;
    // A member files for themself, at their own union, about their own employer or by name.
    let input = IntakeInput {
        kind: i.kind,
        category: i.category,
        summary: i.summary,
        unit_name: i.unit_name,
        ..Default::default()
    };
    let actor = caller.actor(&st.reg.keys);
    let p = petitions::intake(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &input,
        Some(member),
        rules(&st),
        today(&st),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(p)))
}
