//! Members: list and search, enrol, look up, read, membership events, reveal, and the member's own record.

use super::{ApiScope, parse_id};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::members::{
    self, Enrolment, MemberEvent, MemberFilter, MemberPage, MemberView, MembershipRow, PersonInput,
};
use crate::registry::scope::Scope;
use crate::registry::search;
use crate::types::parse_date;
use crate::web::hardening::{ApiQuery, JsonBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[utoipa::path(get, path = "/api/v1/members", tag = "members", params(MemberFilter), responses((status = 200, body = MemberPage)))]
pub async fn list_members(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(f): ApiQuery<MemberFilter>,
) -> AppResult<Json<MemberPage>> {
    if f.q.as_deref().is_some_and(search::names_a_person) {
        return Err(search::not_in_a_url());
    }
    Ok(Json(
        members::list(&st.reg.db, &st.reg.keys, &scope, &f).await?,
    ))
}

/// The member list with its conditions in the request body: the way to search by a whole ID
/// number or mobile, which never go in a URL.
#[utoipa::path(post, path = "/api/v1/members/search", tag = "members", request_body = MemberFilter,
    responses((status = 200, body = MemberPage), (status = 422, body = ErrorBody)))]
pub async fn search_members(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    JsonBody(f): JsonBody<MemberFilter>,
) -> AppResult<Json<MemberPage>> {
    Ok(Json(
        members::list(&st.reg.db, &st.reg.keys, &scope, &f).await?,
    ))
}

/// A person to enrol: the fields of the enrolment form, the union and the join date.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollInput {
    pub name: Option<String>,
    /// 18-digit ID number. Never echoed back; stored encrypted.
    pub id_number: Option<String>,
    /// 男/女; optional, checked against the ID number when given.
    pub sex: Option<String>,
    /// Optional, checked against the ID number when given.
    #[schema(format = Date)]
    pub birth_date: Option<String>,
    pub ethnicity: Option<String>,
    pub political: Option<String>,
    pub education: Option<String>,
    pub hukou: Option<String>,
    pub mobile: Option<String>,
    /// 统一社会信用代码 of the employer.
    pub unit_uscc: Option<String>,
    /// 是/否
    pub migrant: Option<String>,
    pub nef_group: Option<String>,
    pub card_no: Option<String>,
    /// Code of the union the person joins.
    pub org_code: String,
    /// Default today.
    pub joined_on: Option<String>,
}

impl EnrollInput {
    /// The person's fields as every enrolment path takes them.
    fn person(&self) -> PersonInput {
        PersonInput {
            name: self.name.clone(),
            id_number: self.id_number.clone(),
            sex: self.sex.clone(),
            birth_date: self.birth_date.clone(),
            ethnicity: self.ethnicity.clone(),
            political: self.political.clone(),
            education: self.education.clone(),
            hukou: self.hukou.clone(),
            mobile: self.mobile.clone(),
            unit_uscc: self.unit_uscc.clone(),
            migrant: self.migrant.clone(),
            nef_group: self.nef_group.clone(),
            card_no: self.card_no.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollResult {
    pub outcome: Enrolment,
    pub member: MemberView,
    pub warnings: Vec<members::FieldIssue>,
}

#[utoipa::path(post, path = "/api/v1/members", tag = "members", request_body = EnrollInput,
    responses((status = 200, body = EnrollResult), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody, description = "TRANSFER_CONFLICT")))]
pub async fn enroll_member(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<EnrollInput>,
) -> Result<Json<EnrollResult>, Response> {
    let actor = caller.actor(&st.reg.keys);
    let enrolled = members::enroll(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &i.person(),
        &i.org_code,
        i.joined_on.as_deref(),
    )
    .await;
    let e = match enrolled {
        Ok(e) => e,
        Err(members::PersonRefusal::Fields(fields)) => {
            return Err(
                AppError::invalid_fields("会员信息有误，请按提示修改", fields).into_response(),
            );
        }
        Err(members::PersonRefusal::Other(e)) => return Err(e.into_response()),
    };
    let member = members::get(&st.reg.db, &Scope::all(), e.id)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Json(EnrollResult {
        outcome: e.outcome,
        member,
        warnings: e.warnings,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupInput {
    /// 18-digit ID number (sent in the body, never in the URL).
    pub id_number: String,
}

#[utoipa::path(post, path = "/api/v1/members/lookup", tag = "members", request_body = LookupInput,
    responses((status = 200, body = MemberView), (status = 404, body = ErrorBody)))]
pub async fn lookup_member(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    JsonBody(i): JsonBody<LookupInput>,
) -> AppResult<Json<MemberView>> {
    Ok(Json(
        members::find_by_id_number(&st.reg.db, &st.reg.keys, &scope, &i.id_number).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDetail {
    pub member: MemberView,
    pub history: Vec<MembershipRow>,
}

#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "members", responses((status = 200, body = MemberDetail), (status = 404, body = ErrorBody)))]
pub async fn get_member(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    Path(id): Path<String>,
) -> AppResult<Json<MemberDetail>> {
    let id = parse_id(&id, "会员")?;
    let member = members::get(&st.reg.db, &scope, id).await?;
    let history = members::history(&st.reg.db, &scope, id).await?;
    Ok(Json(MemberDetail { member, history }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub event: MemberEvent,
    /// Default today.
    #[schema(format = Date)]
    pub on: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/members/{id}/events", tag = "members", request_body = EventInput,
    responses((status = 200, body = MemberView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn member_event(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<EventInput>,
) -> AppResult<Json<MemberView>> {
    let id = parse_id(&id, "会员")?;
    let on = match i.on.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => parse_date(s)?,
        None => chrono::Local::now().date_naive(),
    };
    let actor = caller.actor(&st.reg.keys);
    let v = members::apply_event(&st.reg.db, &actor, id, i.event, on).await?;
    tracing::info!(member_id = id, event = ?i.event, "membership event recorded");
    Ok(Json(v))
}

/// A reason given for seeing full values: required, recorded as typed.

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealInput {
    /// Why the full values are needed, e.g. 核对医疗互助申请人身份.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revealed {
    pub id_number: String,
    pub mobile: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/members/{id}/reveal", tag = "members", request_body = RevealInput,
    responses((status = 200, body = Revealed), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody, description = "REASON_REQUIRED")))]
pub async fn reveal_member(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<RevealInput>,
) -> AppResult<Json<Revealed>> {
    let id = parse_id(&id, "会员")?;
    let (id_number, mobile) = members::reveal_with_reason(
        &st.reg.db,
        &st.reg.keys,
        &caller.actor(&st.reg.keys),
        st.auth.now(),
        id,
        Some(&i.reason),
        "api",
    )
    .await?;
    Ok(Json(Revealed { id_number, mobile }))
}

pub(crate) fn own_member(caller: &Caller) -> AppResult<i64> {
    caller.member_id.ok_or_else(|| AppError::not_found("会员"))
}

#[utoipa::path(get, path = "/api/v1/me/member", tag = "members", responses((status = 200, body = MemberDetail)))]
pub async fn my_member(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<MemberDetail>> {
    let id = own_member(&caller)?;
    let member = members::get(&st.reg.db, &Scope::all(), id).await?;
    let history = members::history(&st.reg.db, &Scope::all(), id).await?;
    Ok(Json(MemberDetail { member, history }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// New mobile number; empty to remove it.
    pub mobile: Option<String>,
}

#[utoipa::path(put, path = "/api/v1/me/member/contact", tag = "members", request_body = ContactInput, responses((status = 200, body = MemberView), (status = 422, body = ErrorBody)))]
pub async fn update_my_contact(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<ContactInput>,
) -> AppResult<Json<MemberView>> {
    let id = own_member(&caller)?;
    let mobile = i
        .mobile
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .map(crate::types::Mobile::parse)
        .transpose()?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        members::update_own_mobile(&st.reg.db, &st.reg.keys, &actor, id, mobile).await?,
    ))
}
