//! Union funds: receipts collected by the tax bureau, the yearly refund policy and refunds to
//! small and micro firms, grants to unions below. (Receipts are imported through
//! `/api/v1/imports/fund_receipts`.)

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::mutual::{Page, PeriodQuery, period};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::funds::MODULE;
use crate::funds::grants::{self, Grant, GrantInput};
use crate::funds::receipts::{self, Receipt};
use crate::funds::refunds::{
    self, ActInput, ComputeInput, Computed, Policy, PolicyInput, Refund, RefundFilter, RefundStatus,
};
use crate::registry::orgs;
use crate::types::parse_date;
use crate::web::hardening::{ApiQuery, JsonBody};
use crate::workflow::Named;

#[utoipa::path(get, path = "/api/v1/funds/receipts", tag = "funds", params(PeriodQuery),
    responses((status = 200, body = Page<Receipt>), (status = 404, body = ErrorBody)))]
pub async fn list_receipts(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> AppResult<Json<Page<Receipt>>> {
    caller.must_work_on(MODULE)?;
    let (path, from, to, paging) = period(&st, &caller, &q).await?;
    let (rows, total) = receipts::receipts_in(&st.reg.db, &path, from, to, &paging).await?;
    Ok(Json(Page { total, rows }))
}

#[utoipa::path(get, path = "/api/v1/funds/policies", tag = "funds",
    responses((status = 200, body = [Policy])))]
pub async fn list_policies(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Policy>>> {
    caller.must_work_on(MODULE)?;
    Ok(Json(refunds::policies(&st.reg.db, &caller.scope).await?))
}

#[utoipa::path(post, path = "/api/v1/funds/policies", tag = "funds", request_body = PolicyInput,
    responses((status = 201, body = Policy), (status = 409, body = ErrorBody, description = "FUND_POLICY_USED"),
        (status = 422, body = ErrorBody)))]
pub async fn set_policy(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<PolicyInput>,
) -> AppResult<(StatusCode, Json<Policy>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(refunds::set_policy(&st.reg.db, &actor, &i, st.auth.now()).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/funds/refunds/compute", tag = "funds", request_body = ComputeInput,
    responses((status = 200, body = Computed), (status = 409, body = ErrorBody, description = "FUND_REFUND_BUSY"),
        (status = 422, body = ErrorBody, description = "FUND_NO_POLICY")))]
pub async fn compute_refunds(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<ComputeInput>,
) -> AppResult<Json<Computed>> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        refunds::compute(&st.reg.db, &actor, &i, st.auth.now()).await?,
    ))
}

/// Which refunds: a subtree, a status, paid between two dates, a page.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RefundQuery {
    pub org: Option<String>,
    /// computed, approved, paid or cancelled.
    pub status: Option<String>,
    /// Paid on or after / on or before (YYYY-MM-DD).
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/funds/refunds", tag = "funds", params(RefundQuery),
    responses((status = 200, body = Page<Refund>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_refunds(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RefundQuery>,
) -> AppResult<Json<Page<Refund>>> {
    caller.must_work_on(MODULE)?;
    let (rows, total) = refund_page(&st, &caller.scope, &q).await?;
    Ok(Json(Page { total, rows }))
}

/// The refunds a query asks for (also the console's list).
pub async fn refund_page(
    st: &AppState,
    scope: &crate::registry::scope::Scope,
    q: &RefundQuery,
) -> AppResult<(Vec<Refund>, i64)> {
    fn text(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let db = &st.reg.db;
    let org = match text(&q.org) {
        Some(code) => orgs::get_by_code(db, scope, code).await?,
        None => orgs::scope_root(db, scope)
            .await?
            .ok_or_else(|| AppError::not_found("工会"))?,
    };
    let status = text(&q.status)
        .map(|s| {
            RefundStatus::all()
                .iter()
                .copied()
                .find(|v| v.code() == s)
                .ok_or_else(|| AppError::invalid("状态应为 computed、approved、paid 或 cancelled"))
        })
        .transpose()?;
    let f = RefundFilter {
        status,
        paid_from: text(&q.from).map(parse_date).transpose()?,
        paid_to: text(&q.to).map(parse_date).transpose()?,
    };
    let paging = crate::db::Paging::new(q.page, q.per_page, 50);
    refunds::refunds_in(db, &org.path, &f, &paging).await
}

/// How many refunds a step did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    pub done: usize,
}

#[utoipa::path(post, path = "/api/v1/funds/refunds/act", tag = "funds", request_body = ActInput,
    responses((status = 200, body = Done), (status = 403, body = ErrorBody, description = "FUND_SAME_PERSON"),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "TRANSITION_REFUSED, LEDGER_INSUFFICIENT, CASE_CHANGED")))]
pub async fn act_on_refunds(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<ActInput>,
) -> AppResult<Json<Done>> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let done = refunds::act(&st.reg.db, &actor, &i, st.today(), st.auth.now()).await?;
    Ok(Json(Done { done }))
}

#[utoipa::path(get, path = "/api/v1/funds/grants", tag = "funds", params(PeriodQuery),
    responses((status = 200, body = Page<Grant>), (status = 404, body = ErrorBody)))]
pub async fn list_grants(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> AppResult<Json<Page<Grant>>> {
    caller.must_work_on(MODULE)?;
    let (path, from, to, paging) = period(&st, &caller, &q).await?;
    let (rows, total) = grants::grants_in(&st.reg.db, &path, from, to, &paging).await?;
    Ok(Json(Page { total, rows }))
}

#[utoipa::path(post, path = "/api/v1/funds/grants", tag = "funds", request_body = GrantInput,
    responses((status = 201, body = Grant), (status = 409, body = ErrorBody, description = "LEDGER_INSUFFICIENT"),
        (status = 422, body = ErrorBody)))]
pub async fn grant(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<GrantInput>,
) -> AppResult<(StatusCode, Json<Grant>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(grants::grant(&st.reg.db, &actor, &i, st.today(), st.auth.now()).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/funds/receipts/export", tag = "funds", params(super::files::RegisterQuery),
    responses((status = 200, description = "XLSX or CSV in the receipt import's columns"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_receipts(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<super::files::RegisterQuery>,
) -> AppResult<axum::response::Response> {
    let db = &st.reg.db;
    super::files::send_register(
        &st,
        &caller,
        MODULE,
        "export.fund_receipts",
        &q,
        |org, period, format| async move {
            crate::funds::export::receipts_sheet(db, &org, &period, format).await
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/funds/refunds/export", tag = "funds", params(super::files::RegisterQuery),
    responses((status = 200, description = "XLSX or CSV of the refunds paid, in the refund history import's columns"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_refunds(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<super::files::RegisterQuery>,
) -> AppResult<axum::response::Response> {
    let db = &st.reg.db;
    super::files::send_register(
        &st,
        &caller,
        MODULE,
        "export.fund_refunds",
        &q,
        |org, period, format| async move {
            crate::funds::export::refunds_sheet(db, &org, &period, format).await
        },
    )
    .await
}
