//! Employers: list, save (insert or update by credit code), read.

use super::{ApiScope, parse_id};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::orgs::{self};
use crate::registry::units::{self, Unit, UnitFields, UnitFilter};
use crate::types::{RegionCode, Uscc};
use crate::web::hardening::{ApiQuery, JsonBody};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    pub uscc: String,
    /// Accept a code whose check character is wrong (some early codes fail it).
    #[serde(default)]
    pub accept_bad_check: bool,
    pub name: String,
    pub ownership: Option<String>,
    #[serde(default)]
    pub small_micro: bool,
    pub industry: Option<String>,
    pub region_code: Option<String>,
    pub employee_count: i64,
    /// Covering union code.
    pub org_code: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/units", tag = "employers", params(UnitFilter), responses((status = 200, body = [Unit])))]
pub async fn list_units(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(f): ApiQuery<UnitFilter>,
) -> AppResult<Json<Vec<Unit>>> {
    Ok(Json(units::list(&st.reg.db, &scope, &f).await?))
}

#[utoipa::path(post, path = "/api/v1/units", tag = "employers", request_body = UnitInput,
    responses((status = 200, body = Unit), (status = 422, body = ErrorBody, description = "USCC_CHECK when the check character is wrong and not accepted")))]
pub async fn save_unit(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<UnitInput>,
) -> AppResult<Json<Unit>> {
    let fields = unit_fields(&i)?;
    Ok(Json(
        units::save(
            &st.reg.db,
            &caller.actor(&st.reg.keys),
            fields,
            i.org_code.clone(),
        )
        .await?,
    ))
}

/// Validates an employer as typed.
pub(crate) fn unit_fields(i: &UnitInput) -> AppResult<UnitFields> {
    if !(0..=10_000_000).contains(&i.employee_count) {
        return Err(AppError::invalid("职工人数应为0或正整数"));
    }
    Ok(UnitFields {
        uscc: Uscc::parse_strict(&i.uscc, i.accept_bad_check)?,
        name: orgs::validate_name(&i.name, "单位名称")?,
        ownership: crate::registry::codes::ownership(i.ownership.as_deref().unwrap_or(""))?
            .map(Into::into),
        small_micro: i.small_micro,
        industry: i.industry.clone().filter(|s| !s.trim().is_empty()),
        region_code: i
            .region_code
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(RegionCode::parse)
            .transpose()?,
        employee_count: i.employee_count,
    })
}

#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "employers", responses((status = 200, body = Unit), (status = 404, body = ErrorBody)))]
pub async fn get_unit(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    Path(id): Path<String>,
) -> AppResult<Json<Unit>> {
    Ok(Json(
        units::get(&st.reg.db, &scope, parse_id(&id, "单位")?).await?,
    ))
}
