//! JSON API handlers. Every handler takes the caller's [`ApiScope`]; records outside it are 404.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::auth::Caller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::export::{self, ExportFormat};
use crate::registry::import::{ImportKind, ImportOptions};
use crate::registry::jobs::JobStatus;
use crate::registry::members::{
    self, Enrolment, MemberEvent, MemberFilter, MemberPage, MemberView, MembershipRow, PersonInput,
};
use crate::registry::orgs::{self, Org, OrgFields, OrgFilter, OrgKind};
use crate::registry::scope::Scope;
use crate::registry::search;
use crate::registry::stats::{self, Drill, DrillQuery, Stats, StatsQuery};
use crate::registry::templates;
use crate::registry::transfers::{self, TransferView};
use crate::registry::units::{self, Unit, UnitFields, UnitFilter};
use crate::types::{RegionCode, Uscc, parse_date, parse_flag};
pub use crate::web::hardening::{ApiQuery, JsonBody};
use crate::web::openapi::{ErrorResponses, RequestRules, SecurityAddon};

/// The caller's org-subtree scope, from the [`Caller`] the access guard placed in the request.
pub struct ApiScope(pub Scope);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ApiScope {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(ApiScope(caller.scope))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "智慧工会平台 API", description = "工会组织、单位、会员实名库；导入导出；统计。错误一律返回 {code, message}，message 为中文。"),
    paths(
        list_orgs, create_org, get_org, update_org, move_org, close_org,
        list_units, save_unit, get_unit,
        list_members, search_members, enroll_member, lookup_member, get_member, member_event,
        request_transfer, list_transfers, decide_transfer,
        get_stats, drill_stats,
        start_import, import_status, import_errors, download_template, export_members, health,
        export_members_full, reveal_member, my_member, update_my_contact,
        super::auth_api::login_handler, super::auth_api::totp_handler, super::auth_api::totp_setup_begin,
        super::auth_api::totp_setup_confirm, super::auth_api::password_handler, super::auth_api::logout_handler,
        super::auth_api::logout_all_handler, super::auth_api::me_handler,
        super::admin_api::list_accounts, super::admin_api::create_account, super::admin_api::get_account,
        super::admin_api::set_status, super::admin_api::reset_password, super::admin_api::approve, super::admin_api::set_role,
        super::admin_api::unlock, super::admin_api::reset_totp, super::admin_api::list_tokens,
        super::admin_api::create_token, super::admin_api::revoke_token, super::admin_api::list_audit,
        super::admin_api::verify_audit, super::admin_api::system_status
    ),
    components(schemas(ErrorBody, TransferDirection, TransferDecision)),
    modifiers(&SecurityAddon, &ErrorResponses, &RequestRules),
    tags((name = "auth", description = "登录与会话"), (name = "admin", description = "账号、令牌与审计（三员分立）"), (name = "unions", description = "工会组织"), (name = "employers", description = "单位"), (name = "members", description = "会员"),
         (name = "stats", description = "统计"), (name = "files", description = "导入、导出、模板"))
)]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs", get(list_orgs).post(create_org))
        .route("/orgs/{code}", get(get_org).put(update_org))
        .route("/orgs/{code}/move", post(move_org))
        .route("/orgs/{code}/close", post(close_org))
        .route("/units", get(list_units).post(save_unit))
        .route("/units/{id}", get(get_unit))
        .route("/members", get(list_members).post(enroll_member))
        .route("/members/lookup", post(lookup_member))
        .route("/members/search", post(search_members))
        .route("/members/{id}", get(get_member))
        .route("/members/{id}/events", post(member_event))
        .route("/members/{id}/transfers", post(request_transfer))
        .route("/transfers", get(list_transfers))
        .route("/transfers/{id}/{decision}", post(decide_transfer))
        .route("/stats", get(get_stats))
        .route("/stats/drill", get(drill_stats))
        .route("/import-jobs/{id}", get(import_status))
        .route("/import-jobs/{id}/errors.xlsx", get(import_errors))
        .route("/templates/{kind}", get(download_template))
        .route("/exports/members", get(export_members))
        .route("/exports/members/full", get(export_members_full))
        .route("/members/{id}/reveal", post(reveal_member))
        .route("/me/member", get(my_member))
        .route("/me/member/contact", axum::routing::put(update_my_contact))
}

/// The import upload route, with its own (larger) body limit.
pub fn upload_router(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/imports/{kind}", post(start_import))
        .layer(axum::extract::DefaultBodyLimit::max(max_bytes))
}

/// A path id; anything unparsable is simply a record that does not exist.
pub(crate) fn parse_id(s: &str, what: &str) -> AppResult<i64> {
    s.parse().map_err(|_| AppError::not_found(what))
}

// ---------- unions ----------

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
async fn list_orgs(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(f): ApiQuery<OrgFilter>,
) -> AppResult<Json<Vec<Org>>> {
    Ok(Json(orgs::list(&st.reg.db, &scope, &f).await?))
}

#[utoipa::path(post, path = "/api/v1/orgs", tag = "unions", request_body = OrgInput,
    responses((status = 201, body = Org), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_org(
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
async fn get_org(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    Path(code): Path<String>,
) -> AppResult<Json<Org>> {
    Ok(Json(orgs::get_by_code(&st.reg.db, &scope, &code).await?))
}

#[utoipa::path(put, path = "/api/v1/orgs/{code}", tag = "unions", request_body = OrgInput, responses((status = 200, body = Org), (status = 404, body = ErrorBody)))]
async fn update_org(
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
async fn move_org(
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
async fn close_org(
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

// ---------- employers ----------

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
async fn list_units(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(f): ApiQuery<UnitFilter>,
) -> AppResult<Json<Vec<Unit>>> {
    Ok(Json(units::list(&st.reg.db, &scope, &f).await?))
}

#[utoipa::path(post, path = "/api/v1/units", tag = "employers", request_body = UnitInput,
    responses((status = 200, body = Unit), (status = 422, body = ErrorBody, description = "USCC_CHECK when the check character is wrong and not accepted")))]
async fn save_unit(
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
async fn get_unit(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    Path(id): Path<String>,
) -> AppResult<Json<Unit>> {
    Ok(Json(
        units::get(&st.reg.db, &scope, parse_id(&id, "单位")?).await?,
    ))
}

// ---------- members ----------

#[utoipa::path(get, path = "/api/v1/members", tag = "members", params(MemberFilter), responses((status = 200, body = MemberPage)))]
async fn list_members(
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
async fn search_members(
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
async fn enroll_member(
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
async fn lookup_member(
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
async fn get_member(
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
async fn member_event(
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

// ---------- transfers ----------

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
async fn request_transfer(
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
async fn list_transfers(
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
async fn decide_transfer(
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

// ---------- statistics ----------

#[utoipa::path(get, path = "/api/v1/stats", tag = "stats", params(StatsQuery), responses((status = 200, body = Stats)))]
async fn get_stats(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> AppResult<Json<Stats>> {
    let (org, period) = stats::resolve(&st.reg.db, &scope, &q).await?;
    Ok(Json(stats::compute(&st.reg.db, &org, &period).await?))
}

#[utoipa::path(get, path = "/api/v1/stats/drill", tag = "stats", params(DrillQuery), responses((status = 200, body = Drill)))]
async fn drill_stats(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(q): ApiQuery<DrillQuery>,
) -> AppResult<Json<Drill>> {
    let sq = StatsQuery {
        org: q.org.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
    };
    let (org, period) = stats::resolve(&st.reg.db, &scope, &sq).await?;
    Ok(Json(
        stats::drill(
            &st.reg.db,
            &scope,
            &org,
            &period,
            q.figure,
            q.page.unwrap_or(1),
            q.per_page.unwrap_or(50),
        )
        .await?,
    ))
}

// ---------- files ----------

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    #[serde(default)]
    pub dry_run: Option<String>,
    #[serde(default)]
    pub skip_invalid: Option<String>,
    #[serde(default)]
    pub accept_uscc_warnings: Option<String>,
    /// An optional coded field with a value outside its list is left empty with a warning.
    #[serde(default)]
    pub blank_unknown_values: Option<String>,
    /// Original file name (for raw uploads).
    pub file_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobStarted {
    pub id: String,
    pub status_url: String,
}

fn flag(v: &Option<String>) -> AppResult<bool> {
    parse_flag(v.as_deref().unwrap_or(""))
}

#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "files", params(("kind" = String, Path, description = "orgs | units | members"), ImportParams),
    request_body(content = Vec<u8>, description = "The file: raw bytes, or multipart/form-data with a `file` field", content_type = "application/octet-stream"),
    responses((status = 202, body = JobStarted), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start_import(
    State(st): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    ApiQuery(p): ApiQuery<ImportParams>,
    req: Request,
) -> AppResult<(StatusCode, Json<JobStarted>)> {
    let kind = ImportKind::parse(&kind)?;
    let opts = ImportOptions {
        dry_run: flag(&p.dry_run)?,
        skip_invalid: flag(&p.skip_invalid)?,
        accept_uscc_warnings: flag(&p.accept_uscc_warnings)?,
        blank_unknown_values: flag(&p.blank_unknown_values)?,
    };
    let limit = st.import_max_bytes();
    let too_large = || upload_too_large(limit);
    let declared: Option<usize> = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (name, data) = if is_multipart {
        let mut mp = Multipart::from_request(req, &st)
            .await
            .map_err(|e| AppError::bad_request(format!("上传内容有误：{e}")))?;
        let mut found = None;
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| upload_refused(limit, e))?
        {
            if field.name() == Some("file") {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field.bytes().await.map_err(|e| upload_refused(limit, e))?;
                found = Some((name, bytes.to_vec()));
            }
        }
        found.ok_or_else(|| AppError::bad_request("没有收到名为file的文件"))?
    } else {
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| too_large())?;
        (
            p.file_name.clone().unwrap_or_else(|| "upload".into()),
            bytes.to_vec(),
        )
    };
    if data.len() > limit {
        return Err(too_large());
    }
    let id = st.jobs.start(
        st.reg.clone(),
        caller.actor(&st.reg.keys),
        kind,
        name,
        data,
        opts,
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(JobStarted {
            id: id.to_string(),
            status_url: format!("/api/v1/import-jobs/{id}"),
        }),
    ))
}

/// An upload over the import size limit (bytes).
pub(crate) fn upload_too_large(limit: usize) -> AppError {
    AppError::too_large(format!(
        "文件超过{}MB的上限，请拆分后分批导入",
        limit / (1024 * 1024)
    ))
    .with_code("IMPORT_TOO_LARGE")
}

/// A multipart upload that could not be read: too large, or malformed.
pub(crate) fn upload_refused(
    limit: usize,
    e: axum::extract::multipart::MultipartError,
) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        upload_too_large(limit)
    } else {
        AppError::bad_request(format!("上传内容有误：{e}"))
    }
}

#[utoipa::path(get, path = "/api/v1/import-jobs/{id}", tag = "files", responses((status = 200, body = JobStatus), (status = 404, body = ErrorBody)))]
async fn import_status(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    Path(id): Path<String>,
) -> AppResult<Json<JobStatus>> {
    let id = parse_id(&id, "导入任务")?;
    st.jobs
        .status(id, &scope)
        .map(Json)
        .ok_or_else(|| AppError::not_found("导入任务"))
}

pub(crate) const XLSX_MIME: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) fn attachment(name: &str, mime: &'static str, bytes: Vec<u8>) -> Response {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, mime.parse().expect("static"));
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    h.insert(
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"download\"; filename*=UTF-8''{encoded}")
            .parse()
            .expect("ascii"),
    );
    (h, bytes).into_response()
}

#[utoipa::path(get, path = "/api/v1/import-jobs/{id}/errors.xlsx", tag = "files", responses((status = 200, description = "XLSX error report", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody)))]
async fn import_errors(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id, "导入任务")?;
    st.jobs
        .status(id, &scope)
        .ok_or_else(|| AppError::not_found("导入任务"))?;
    let report = st.jobs.error_report(id, &scope).ok_or_else(|| {
        AppError::new_status(
            StatusCode::NOT_FOUND,
            "NO_REPORT",
            "这次导入没有发现任何问题（或仍在进行），没有错误报告",
        )
    })?;
    Ok(attachment(
        "导入错误报告.xlsx",
        XLSX_MIME,
        report.as_ref().clone(),
    ))
}

#[utoipa::path(get, path = "/api/v1/templates/{kind}", tag = "files", params(("kind" = String, Path, description = "orgs | units | members")),
    responses((status = 200, description = "XLSX template", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn download_template(Path(kind): Path<String>) -> AppResult<Response> {
    let kind = ImportKind::parse(kind.trim_end_matches(".xlsx"))?;
    let bytes = tokio::task::spawn_blocking(move || templates::template(kind))
        .await
        .map_err(AppError::internal)??;
    Ok(attachment(
        &format!("{}导入模板.xlsx", kind.label()),
        XLSX_MIME,
        bytes,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// xlsx (default) or csv
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FullExportParams {
    /// xlsx (default) or csv
    pub format: Option<String>,
    /// Why full values are needed (at least 2 characters; recorded in the audit trail).
    pub reason: String,
}

/// The filter of an export as the audit trail keeps it: a search that looks like an ID number
/// or a mobile is recorded masked.
fn filter_json(f: &MemberFilter) -> serde_json::Value {
    let mut f = f.clone();
    f.q = f.q.map(|q| search::masked(&q));
    serde_json::to_value(f).unwrap_or_default()
}

/// A member list as a file. `reason` is given for a full export (values not masked).
pub(crate) async fn export_response(
    st: &AppState,
    caller: &Caller,
    format_text: Option<&str>,
    reason: Option<&str>,
    f: &MemberFilter,
) -> AppResult<Response> {
    if f.q.as_deref().is_some_and(search::names_a_person) {
        return Err(search::not_in_a_url());
    }
    let full = reason.is_some();
    let format = ExportFormat::parse(format_text.unwrap_or("xlsx"))?;
    let reason = reason
        .map(|r| members::stated_reason(Some(r)))
        .transpose()?;
    let mut buf: Vec<u8> = Vec::new();
    let n = export::export_members(&st.reg, &caller.scope, f, format, full, &mut buf).await?;
    let action = if full {
        "export.members_full"
    } else {
        "export.members"
    };
    let detail = serde_json::json!({ "rows": n, "format": format_text.unwrap_or("xlsx"), "filter": filter_json(f), "reason": reason.map(|r| crate::crypto::mask_personal_in_text(&r)) });
    audit::record(
        &st.reg.db,
        &caller.actor(&st.reg.keys),
        st.auth.now(),
        Event::new(action).detail(detail),
    )
    .await?;
    tracing::info!(rows = n, full, "member list exported");
    let name = if full {
        "会员名册（完整信息）"
    } else {
        "会员名册"
    };
    Ok(match format {
        ExportFormat::Xlsx => attachment(&format!("{name}.xlsx"), XLSX_MIME, buf),
        ExportFormat::Csv => attachment(&format!("{name}.csv"), "text/csv; charset=utf-8", buf),
    })
}

#[utoipa::path(get, path = "/api/v1/exports/members", tag = "files", params(ExportParams, MemberFilter),
    responses((status = 200, description = "Member list (ID numbers and mobiles masked)",
        content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8")))))]
async fn export_members(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ExportParams>,
    ApiQuery(f): ApiQuery<MemberFilter>,
) -> AppResult<Response> {
    export_response(&st, &caller, p.format.as_deref(), None, &f).await
}

#[utoipa::path(get, path = "/api/v1/exports/members/full", tag = "files", params(FullExportParams, MemberFilter),
    responses((status = 200, description = "Member list with full ID numbers and mobiles; `reason` recorded",
        content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))),
        (status = 422, body = ErrorBody, description = "REASON_REQUIRED")))]
async fn export_members_full(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<FullExportParams>,
    ApiQuery(f): ApiQuery<MemberFilter>,
) -> AppResult<Response> {
    export_response(&st, &caller, p.format.as_deref(), Some(&p.reason), &f).await
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
async fn reveal_member(
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

fn own_member(caller: &Caller) -> AppResult<i64> {
    caller.member_id.ok_or_else(|| AppError::not_found("会员"))
}

#[utoipa::path(get, path = "/api/v1/me/member", tag = "members", responses((status = 200, body = MemberDetail)))]
async fn my_member(State(st): State<AppState>, caller: Caller) -> AppResult<Json<MemberDetail>> {
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
async fn update_my_contact(
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

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
    pub schema_version: Option<i64>,
}

#[utoipa::path(get, path = "/healthz", tag = "stats", responses((status = 200, body = Health)))]
pub async fn health(State(st): State<AppState>) -> AppResult<Json<Health>> {
    let (_, current) = crate::db::migrations::status(&st.reg.db).await?;
    let database = match st.reg.db.backend() {
        crate::db::Backend::Sqlite => "sqlite",
        crate::db::Backend::Postgres => "postgres",
    };
    Ok(Json(Health {
        status: "ok".into(),
        database: database.into(),
        schema_version: current,
    }))
}
