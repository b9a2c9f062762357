//! Transfers between unions: requested by the sending union, decided by the receiving one.

use super::{ApiScope, parse_id};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::transfers::{self, TransferView};
use crate::types::parse_date;
use crate::web::hardening::{ApiQuery, JsonBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// Code of the receiving union (anywhere in the platform).
    pub to_org: String,
    /// The date the membership moves once accepted; default today.
    #[schema(format = Date)]
    pub on: Option<String>,
    /// A note for the receiving union (at most 200 characters).
    pub note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/members/{id}/transfers", tag = "members", request_body = TransferInput,
    responses((status = 201, body = TransferView, description = "Requested: the member moves when the receiving union accepts"),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "TRANSFER_PENDING / NOT_A_MEMBER"), (status = 422, body = ErrorBody)))]
pub async fn request_transfer(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<TransferInput>,
) -> AppResult<(StatusCode, Json<TransferView>)> {
    let member_id = parse_id(&id, "会员")?;
    let on = match i.on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_date(s)?,
        None => chrono::Local::now().date_naive(),
    };
    let actor = caller.actor(&st.reg.keys);
    let tid = transfers::request(
        &st.reg.db,
        &actor,
        member_id,
        &i.to_org,
        on,
        i.note.as_deref().unwrap_or(""),
    )
    .await?;
    let t = transfers::get_in_scope(&st.reg.db, &caller.scope, tid).await?;
    Ok((StatusCode::CREATED, Json(TransferView::from(&t))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransferListQuery {
    /// `incoming` (to unions of the caller's subtree, default) or `outgoing`.
    pub direction: Option<TransferDirection>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferDirection {
    Incoming,
    Outgoing,
}

#[utoipa::path(get, path = "/api/v1/transfers", tag = "members", params(TransferListQuery),
    responses((status = 200, body = [TransferView], description = "Waiting requests first, then the most recent decided ones (at most 200)")))]
pub async fn list_transfers(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(q): ApiQuery<TransferListQuery>,
) -> AppResult<Json<Vec<TransferView>>> {
    let incoming =
        q.direction.unwrap_or(TransferDirection::Incoming) == TransferDirection::Incoming;
    let list = transfers::list(&st.reg.db, &scope, incoming, 200).await?;
    Ok(Json(list.iter().map(TransferView::from).collect()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// Why (at most 200 characters).
    pub note: Option<String>,
    /// Accepting: the member's employer from now on (统一社会信用代码, one the receiving union
    /// may see). Without it the old employer is cleared.
    pub unit_uscc: Option<String>,
}

/// What the receiving union (accept, decline) or the sending union (cancel) does with a
/// waiting transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferDecision {
    Accept,
    Decline,
    Cancel,
}

#[utoipa::path(post, path = "/api/v1/transfers/{id}/{decision}", tag = "members", request_body = DecisionInput,
    params(("id" = String, Path, description = "The transfer request"),
           ("decision" = TransferDecision, Path, description = "accept / decline (the receiving union), cancel (the sending union)")),
    responses((status = 200, body = TransferView, description = "Decided: on acceptance the membership has moved"),
              (status = 404, body = ErrorBody, description = "No such request on this side of it"),
              (status = 409, body = ErrorBody, description = "TRANSFER_DECIDED / TRANSFER_STALE")))]
pub async fn decide_transfer(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, decision)): Path<(String, String)>,
    JsonBody(i): JsonBody<DecisionInput>,
) -> AppResult<Json<TransferView>> {
    let decision = match decision.as_str() {
        "accept" => transfers::Decision::Accept,
        "decline" => transfers::Decision::Decline,
        "cancel" => transfers::Decision::Cancel,
        _ => return Err(AppError::not_found("页面")),
    };
    let id = parse_id(&id, "转会申请")?;
    let t = transfers::decide(
        &st.reg.db,
        &caller.actor(&st.reg.keys),
        id,
        decision,
        i.note.as_deref().unwrap_or(""),
        i.unit_uscc.as_deref(),
    )
    .await?;
    Ok(Json(TransferView::from(&t)))
}
