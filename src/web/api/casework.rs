//! Casework: petitions and grievances — intake, the queues, a case with its history, the
//! steps of its workflow; disputes (mediation, legal aid) and the roster of mediators and
//! lawyers; and the member's own petitions (the member portal's API).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiScope, parse_id};
use crate::app::AppState;
use crate::auth::Caller;
use crate::casework::MODULE;
use crate::casework::disputes::{self, Dispute, DisputeFilter, DisputeInput, DisputeStep, Worker};
use crate::casework::export;
use crate::casework::petitions::{self, Deadlines, IntakeInput, Petition, QueueFilter, StepInput};
use crate::casework::roster::{self, Advocate, AdvocateInput, Role};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::hardening::{ApiQuery, JsonBody};
use crate::workflow::history::HistoryRow;

fn rules(st: &AppState) -> Deadlines {
    Deadlines::from_config(&st.config)
}

#[utoipa::path(get, path = "/api/v1/casework/petitions", tag = "casework", params(QueueFilter),
    responses((status = 200, body = [Petition])))]
pub async fn list_petitions(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(f): ApiQuery<QueueFilter>,
) -> AppResult<Json<Vec<Petition>>> {
    caller.must_work_on(MODULE)?;
    Ok(Json(
        petitions::queue(&st.reg.db, &caller.scope, &f, caller.account_id, st.today()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/casework/petitions", tag = "casework", request_body = IntakeInput,
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
        st.today(),
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

#[utoipa::path(get, path = "/api/v1/casework/petitions/{id}", tag = "casework",
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
        petition: petitions::get(&st.reg.db, &scope, id, st.today()).await?,
        history: petitions::timeline(&st.reg.db, &scope, id).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/casework/petitions/{id}/steps", tag = "casework", request_body = StepInput,
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
            st.today(),
            st.auth.now(),
        )
        .await?,
    ))
}

use super::members::own_member;

#[utoipa::path(get, path = "/api/v1/me/petitions", tag = "casework",
    responses((status = 200, body = [Petition])))]
pub async fn my_petitions(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Petition>>> {
    let member = own_member(&caller)?;
    Ok(Json(petitions::mine(&st.reg.db, member, st.today()).await?))
}

/// A member's own petition, followed step by step (who acted is not shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct MyPetition {
    pub petition: Petition,
    pub steps: Vec<MyStep>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyStep {
    pub on_date: String,
    pub action: String,
    pub to_status: String,
}

#[utoipa::path(get, path = "/api/v1/me/petitions/{id}", tag = "casework",
    responses((status = 200, body = MyPetition), (status = 404, body = ErrorBody)))]
pub async fn my_petition(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<MyPetition>> {
    let member = own_member(&caller)?;
    let id = parse_id(&id, "诉求")?;
    let petition = petitions::get(
        &st.reg.db,
        &crate::registry::scope::Scope::all(),
        id,
        st.today(),
    )
    .await
    .ok()
    .filter(|p| p.member_id == Some(member))
    .ok_or_else(|| AppError::not_found("诉求"))?;
    let steps = petitions::timeline(&st.reg.db, &crate::registry::scope::Scope::all(), id)
        .await?
        .into_iter()
        .map(|h| MyStep {
            on_date: h.on_date,
            action: h.action,
            to_status: h.to_status,
        })
        .collect();
    Ok(Json(MyPetition { petition, steps }))
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
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

// ---------- disputes: mediation and legal aid ----------

#[utoipa::path(get, path = "/api/v1/casework/disputes", tag = "casework", params(DisputeFilter),
    responses((status = 200, body = [Dispute])))]
pub async fn list_disputes(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(f): ApiQuery<DisputeFilter>,
) -> AppResult<Json<Vec<Dispute>>> {
    caller.must_work_on(MODULE)?;
    Ok(Json(
        disputes::list(&st.reg.db, &caller.scope, &f, st.today()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/casework/disputes", tag = "casework", request_body = DisputeInput,
    responses((status = 201, body = Dispute), (status = 422, body = ErrorBody)))]
pub async fn create_dispute(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<DisputeInput>,
) -> AppResult<(StatusCode, Json<Dispute>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let d = disputes::register(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &i,
        st.config.mediation_days,
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// A dispute with its workers and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeDetail {
    pub dispute: Dispute,
    pub workers: Vec<Worker>,
    pub history: Vec<HistoryRow>,
}

#[utoipa::path(get, path = "/api/v1/casework/disputes/{id}", tag = "casework",
    responses((status = 200, body = DisputeDetail), (status = 404, body = ErrorBody)))]
pub async fn get_dispute(
    State(st): State<AppState>,
    caller: Caller,
    ApiScope(scope): ApiScope,
    Path(id): Path<String>,
) -> AppResult<Json<DisputeDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "案件")?;
    Ok(Json(DisputeDetail {
        dispute: disputes::get(&st.reg.db, &scope, id, st.today()).await?,
        workers: disputes::workers(&st.reg.db, &scope, id).await?,
        history: disputes::timeline(&st.reg.db, &scope, id).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/casework/disputes/{id}/steps", tag = "casework", request_body = DisputeStep,
    responses((status = 200, body = Dispute), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "TRANSITION_REFUSED, CASE_CHANGED, ALREADY_CONFIRMED"),
        (status = 422, body = ErrorBody)))]
pub async fn step_dispute(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<DisputeStep>,
) -> AppResult<Json<Dispute>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "案件")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        disputes::take_step(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

/// Which part of the roster to list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterFilter {
    /// mediator or lawyer; default both.
    pub role: Option<Role>,
}

#[utoipa::path(get, path = "/api/v1/casework/roster", tag = "casework", params(RosterFilter),
    responses((status = 200, body = [Advocate])))]
pub async fn list_roster(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(f): ApiQuery<RosterFilter>,
) -> AppResult<Json<Vec<Advocate>>> {
    caller.must_work_on(MODULE)?;
    Ok(Json(roster::list(&st.reg.db, &caller.scope, f.role).await?))
}

#[utoipa::path(post, path = "/api/v1/casework/roster", tag = "casework", request_body = AdvocateInput,
    responses((status = 201, body = Advocate), (status = 422, body = ErrorBody)))]
pub async fn add_to_roster(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<AdvocateInput>,
) -> AppResult<(StatusCode, Json<Advocate>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let a = roster::add(&st.reg.db, &st.reg.keys, &actor, &i, st.auth.now()).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Takes a person off the roster or puts them back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterStatus {
    pub active: bool,
    /// Why (required to take someone off: moved, no longer practising …).
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/casework/roster/{id}/status", tag = "casework", request_body = RosterStatus,
    responses((status = 200, body = Advocate), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ROSTER_UNCHANGED"), (status = 422, body = ErrorBody)))]
pub async fn set_roster_status(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<RosterStatus>,
) -> AppResult<Json<Advocate>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "调解员或律师")?;
    Ok(Json(
        roster::set_active(
            &st.reg.db,
            &caller.actor(&st.reg.keys),
            &caller.scope,
            id,
            i.active,
            &i.reason,
            st.auth.now(),
        )
        .await?,
    ))
}

pub use super::files::RegisterQuery;

/// Which register.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Register {
    Petitions,
    Disputes,
}

/// Builds a register's spreadsheet, writes the export to the audit trail and sends the file.
pub(crate) async fn register_file(
    st: &AppState,
    caller: &Caller,
    which: Register,
    q: &RegisterQuery,
) -> AppResult<axum::response::Response> {
    let action = match which {
        Register::Petitions => "export.petitions",
        Register::Disputes => "export.disputes",
    };
    let (db, today) = (&st.reg.db, st.today());
    super::files::send_register(
        st,
        caller,
        MODULE,
        action,
        q,
        |org, period, format| async move {
            match which {
                Register::Petitions => {
                    export::petitions_sheet(db, &org, &period, format, today).await
                }
                Register::Disputes => {
                    export::disputes_sheet(db, &org, &period, format, today).await
                }
            }
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/casework/petitions/export", tag = "casework", params(RegisterQuery),
    responses((status = 200, description = "XLSX or CSV in the history import's columns, ID numbers and mobiles masked"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_petitions(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RegisterQuery>,
) -> AppResult<axum::response::Response> {
    register_file(&st, &caller, Register::Petitions, &q).await
}

#[utoipa::path(get, path = "/api/v1/casework/disputes/export", tag = "casework", params(RegisterQuery),
    responses((status = 200, description = "XLSX or CSV in the history import's columns"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_disputes(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RegisterQuery>,
) -> AppResult<axum::response::Response> {
    register_file(&st, &caller, Register::Disputes, &q).await
}
