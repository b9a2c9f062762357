//! Unions: list, create, read, correct, move a subtree, close.

use super::ApiScope;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::orgs::{self, Org, OrgFields, OrgFilter, OrgKind};
use crate::types::{RegionCode, parse_date};
use crate::web::hardening::{ApiQuery, JsonBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgInput {
    pub code: Option<String>,
    pub name: String,
    /// Code (`grassroots`) or Chinese label (基层工会).
    pub kind: String,
    pub parent_code: Option<String>,
    pub region_code: Option<String>,
    pub founded_on: Option<String>,
    #[serde(default)]
    pub new_employment: bool,
    pub industry: Option<String>,
    #[serde(default)]
    pub standardised: bool,
}

pub(crate) fn org_fields(code: &str, i: &OrgInput) -> AppResult<OrgFields> {
    Ok(OrgFields {
        code: orgs::validate_code(code)?,
        name: orgs::validate_name(&i.name, "工会名称")?,
        kind: OrgKind::parse(&i.kind)?,
        region_code: i
            .region_code
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(RegionCode::parse)
            .transpose()?,
        founded_on: i
            .founded_on
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(parse_date)
            .transpose()?,
        new_employment: i.new_employment,
        industry: i.industry.clone().filter(|s| !s.trim().is_empty()),
        standardised: i.standardised,
    })
}

#[utoipa::path(get, path = "/api/v1/orgs", tag = "unions", params(OrgFilter), responses((status = 200, body = [Org])))]
pub async fn list_orgs(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(f): ApiQuery<OrgFilter>,
) -> AppResult<Json<Vec<Org>>> {
    Ok(Json(orgs::list(&st.reg.db, &scope, &f).await?))
}

#[utoipa::path(post, path = "/api/v1/orgs", tag = "unions", request_body = OrgInput,
    responses((status = 201, body = Org), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_org(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<OrgInput>,
) -> AppResult<(StatusCode, Json<Org>)> {
    let code = i
        .code
        .clone()
        .ok_or_else(|| AppError::invalid("工会代码不能为空"))?;
    let fields = org_fields(&code, &i)?;
    let actor = caller.actor(&st.reg.keys);
    let org = orgs::create(&st.reg.db, &actor, fields, i.parent_code.as_deref()).await?;
    tracing::info!(org_id = org.id, "union created");
    Ok((StatusCode::CREATED, Json(org)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{code}", tag = "unions", responses((status = 200, body = Org), (status = 404, body = ErrorBody)))]
pub async fn get_org(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    Path(code): Path<String>,
) -> AppResult<Json<Org>> {
    Ok(Json(orgs::get_by_code(&st.reg.db, &scope, &code).await?))
}

#[utoipa::path(put, path = "/api/v1/orgs/{code}", tag = "unions", request_body = OrgInput, responses((status = 200, body = Org), (status = 404, body = ErrorBody)))]
pub async fn update_org(
    State(st): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    JsonBody(i): JsonBody<OrgInput>,
) -> AppResult<Json<Org>> {
    let fields = org_fields(&code, &i)?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(orgs::update(&st.reg.db, &actor, &code, fields).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    pub parent_code: String,
}

#[utoipa::path(post, path = "/api/v1/orgs/{code}/move", tag = "unions", request_body = MoveInput,
    responses((status = 200, body = Org), (status = 422, body = ErrorBody, description = "e.g. ORG_CYCLE: moving under its own descendant")))]
pub async fn move_org(
    State(st): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    JsonBody(i): JsonBody<MoveInput>,
) -> AppResult<Json<Org>> {
    Ok(Json(
        orgs::move_subtree(
            &st.reg.db,
            &caller.actor(&st.reg.keys),
            &code,
            &i.parent_code,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// Default today.
    pub on: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/orgs/{code}/close", tag = "unions", request_body = CloseInput,
    responses((status = 200, body = Org), (status = 409, body = ErrorBody, description = "ORG_HAS_MEMBERS / ORG_HAS_CHILDREN")))]
pub async fn close_org(
    State(st): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    JsonBody(i): JsonBody<CloseInput>,
) -> AppResult<Json<Org>> {
    let on = match i.on.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => parse_date(s)?,
        None => chrono::Local::now().date_naive(),
    };
    Ok(Json(
        orgs::close(&st.reg.db, &caller.actor(&st.reg.keys), &code, on).await?,
    ))
}
