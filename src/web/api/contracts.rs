//! Collective contracts, offers to bargain and democratic management per employer, and the
//! employers behind the coverage figures.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_id;
use crate::app::AppState;
use crate::auth::Caller;
use crate::contracts::MODULE;
use crate::contracts::contract::{
    self, Action, Bound, Contract, ContractInput, ListFilter, StepInput,
};
use crate::contracts::democracy::{
    self, CheckedEmployer, ChecklistInput, CongressInput, DisclosureInput, EmployerDemocracy,
    MotionInput,
};
use crate::contracts::figures::{self, Covered, CoveredFilter};
use crate::contracts::offers::{self, AnswerInput, Campaign, CampaignInput, Offer, SendInput};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::stats::{self, StatsQuery};
use crate::web::hardening::{ApiQuery, JsonBody};
use crate::workflow::Named;
use crate::workflow::history::{self, CaseRef, HistoryRow};

/// A page of records and whether more follow.
#[derive(Debug, Serialize, ToSchema)]
pub struct More<T: ToSchema> {
    pub rows: Vec<T>,
    pub more: bool,
}

#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts", params(ListFilter),
    responses((status = 200, body = More<Contract>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_contracts(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(f): ApiQuery<ListFilter>,
) -> AppResult<Json<More<Contract>>> {
    caller.must_work_on(MODULE)?;
    let (rows, more) = contract::list(&st.reg.db, &caller.scope, &f, st.today()).await?;
    Ok(Json(More { rows, more }))
}

#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", request_body = ContractInput,
    responses((status = 201, body = Contract), (status = 422, body = ErrorBody)))]
pub async fn create_contract(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<ContractInput>,
) -> AppResult<(StatusCode, Json<Contract>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(contract::create(&st.reg.db, &actor, &i, st.today(), st.auth.now()).await?),
    ))
}

/// A contract with the employers it binds (headcounts today) and its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractDetail {
    pub contract: Contract,
    pub employers: Vec<Bound>,
    pub history: Vec<HistoryRow>,
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts",
    responses((status = 200, body = ContractDetail), (status = 404, body = ErrorBody)))]
pub async fn get_contract(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<ContractDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "集体合同")?;
    let db = &st.reg.db;
    let today = st.today();
    let c = contract::get(db, &caller.scope, id, today).await?;
    Ok(Json(ContractDetail {
        contract: c,
        employers: contract::bound(db, id, today).await?,
        history: history::of(
            db,
            CaseRef {
                case_type: contract::CASE,
                id,
            },
        )
        .await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/{action}", tag = "contracts", request_body = StepInput,
    params(("action" = String, Path, description = "sign 表决签订 / file 报送审查 / approve 审查同意 / object 审查异议 / revise 修改后重新协商 / end 提前终止 / withdraw 作废")),
    responses((status = 200, body = Contract), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "CONTRACT_OVERLAP, CASE_CHANGED, TRANSITION_REFUSED")))]
pub async fn step_contract(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
    JsonBody(i): JsonBody<StepInput>,
) -> AppResult<Json<Contract>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "集体合同")?;
    let action = Action::parse(&action).ok_or_else(|| AppError::not_found("操作"))?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        contract::step(
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

/// A subtree, a day and a kind, and a page.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoveredQuery {
    /// A union's code (default the top of the caller's scope).
    pub org: Option<String>,
    /// The day (default today).
    pub at: Option<String>,
    /// One kind of contract only (code).
    pub kind: Option<String>,
    /// Only employers with a union (the numerator of 集体合同建制率).
    pub unionised: Option<bool>,
    pub page: Option<i64>,
}

/// Employers covered, one page, and how many in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoveredPage {
    pub total: i64,
    pub rows: Vec<Covered>,
}

#[utoipa::path(get, path = "/api/v1/contracts/covered", tag = "contracts", params(CoveredQuery),
    responses((status = 200, body = CoveredPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_covered(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CoveredQuery>,
) -> AppResult<Json<CoveredPage>> {
    caller.must_work_on(MODULE)?;
    let (org, at, filter) = covered_query(&st, &caller, &q).await?;
    let (rows, total) =
        figures::covered(&st.reg.db, &org.path, at, filter, (q.page.unwrap_or(1), 50)).await?;
    Ok(Json(CoveredPage { total, rows }))
}

/// The subtree, day and filter a coverage drill names.
pub(crate) async fn covered_query(
    st: &AppState,
    caller: &Caller,
    q: &CoveredQuery,
) -> AppResult<(crate::registry::orgs::Org, chrono::NaiveDate, CoveredFilter)> {
    let sq = StatsQuery {
        org: q.org.clone(),
        from: None,
        to: q.at.clone(),
    };
    let (org, period) = stats::resolve(&st.reg.db, &caller.scope, &sq).await?;
    let kind = match q.kind.as_deref().filter(|k| !k.trim().is_empty()) {
        Some(k) => Some(
            contract::Kind::parse(k.trim()).ok_or_else(|| AppError::invalid("合同类别无法识别"))?,
        ),
        None => None,
    };
    let filter = CoveredFilter {
        kind,
        unionised: q.unionised == Some(true),
    };
    Ok((org, period.to, filter))
}

#[utoipa::path(get, path = "/api/v1/contracts/campaigns", tag = "contracts",
    responses((status = 200, body = [Campaign])))]
pub async fn list_campaigns(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Campaign>>> {
    caller.must_work_on(MODULE)?;
    Ok(Json(offers::campaigns(&st.reg.db, &caller.scope).await?))
}

#[utoipa::path(post, path = "/api/v1/contracts/campaigns", tag = "contracts", request_body = CampaignInput,
    responses((status = 201, body = Campaign), (status = 422, body = ErrorBody)))]
pub async fn create_campaign(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<CampaignInput>,
) -> AppResult<(StatusCode, Json<Campaign>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    Ok((
        StatusCode::CREATED,
        Json(offers::create_campaign(&st.reg.db, &actor, &i, st.auth.now()).await?),
    ))
}

/// Which offers of a campaign.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OffersQuery {
    /// target / sent / accepted / declined / overdue.
    pub status: Option<String>,
    pub page: Option<i64>,
}

/// A campaign and one page of its offers in the caller's scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct BargainCampaignDetail {
    pub campaign: Campaign,
    pub offers: Vec<Offer>,
    pub more: bool,
}

#[utoipa::path(get, path = "/api/v1/contracts/campaigns/{id}", tag = "contracts", params(OffersQuery),
    responses((status = 200, body = BargainCampaignDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_campaign(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<OffersQuery>,
) -> AppResult<Json<BargainCampaignDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "要约行动")?;
    let db = &st.reg.db;
    let (offers, more) = offers::offers(
        db,
        &caller.scope,
        id,
        q.status.as_deref(),
        q.page.unwrap_or(1),
        st.today(),
    )
    .await?;
    let campaign = offers::campaign_reaching(db, &caller.scope, id).await?;
    Ok(Json(BargainCampaignDetail {
        campaign,
        offers,
        more,
    }))
}

/// How many offers were sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct OffersSent {
    pub sent: u64,
}

#[utoipa::path(post, path = "/api/v1/contracts/campaigns/{id}/send", tag = "contracts", request_body = SendInput,
    responses((status = 200, body = OffersSent), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn send_offers(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<SendInput>,
) -> AppResult<Json<OffersSent>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "要约行动")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(OffersSent {
        sent: offers::send(&st.reg.db, &actor, id, &i, st.today()).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/contracts/offers/{id}/answer", tag = "contracts", request_body = AnswerInput,
    responses((status = 200, body = Offer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody, description = "OFFER_NOT_SENT, CASE_CHANGED")))]
pub async fn answer_offer(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<AnswerInput>,
) -> AppResult<Json<Offer>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "协商要约")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        offers::answer(&st.reg.db, &actor, id, &i, st.today()).await?,
    ))
}

/// An employer's contracts and democratic management.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmployerDetail {
    pub democracy: EmployerDemocracy,
    pub contracts: Vec<Contract>,
}

#[utoipa::path(get, path = "/api/v1/contracts/employers/{id}", tag = "contracts",
    responses((status = 200, body = EmployerDetail), (status = 404, body = ErrorBody)))]
pub async fn get_employer(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<EmployerDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "单位")?;
    let db = &st.reg.db;
    let democracy = democracy::of_employer(db, &caller.scope, id).await?;
    let f = ListFilter {
        unit: Some(id.to_string()),
        ..Default::default()
    };
    let (contracts, _) =
        contract::list(db, &crate::registry::scope::Scope::all(), &f, st.today()).await?;
    Ok(Json(EmployerDetail {
        democracy,
        contracts,
    }))
}

/// The id of a record just added.
#[derive(Debug, Serialize, ToSchema)]
pub struct Added {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
}

#[utoipa::path(post, path = "/api/v1/contracts/employers/{id}/congresses", tag = "contracts", request_body = CongressInput,
    responses((status = 201, body = Added), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_congress(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<CongressInput>,
) -> AppResult<(StatusCode, Json<Added>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "单位")?;
    let actor = caller.actor(&st.reg.keys);
    let id = democracy::add_congress(&st.reg.db, &actor, id, &i, st.today()).await?;
    Ok((StatusCode::CREATED, Json(Added { id })))
}

#[utoipa::path(post, path = "/api/v1/contracts/employers/{id}/disclosures", tag = "contracts", request_body = DisclosureInput,
    responses((status = 201, body = Added), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_disclosure(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<DisclosureInput>,
) -> AppResult<(StatusCode, Json<Added>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "单位")?;
    let actor = caller.actor(&st.reg.keys);
    let id = democracy::add_disclosure(&st.reg.db, &actor, id, &i, st.today()).await?;
    Ok((StatusCode::CREATED, Json(Added { id })))
}

#[utoipa::path(put, path = "/api/v1/contracts/employers/{id}/checklists/{year}", tag = "contracts", request_body = ChecklistInput,
    responses((status = 200, body = democracy::Checklist), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm_checklist(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, year)): Path<(String, String)>,
    JsonBody(i): JsonBody<ChecklistInput>,
) -> AppResult<Json<democracy::Checklist>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "单位")?;
    let year: i64 = year.parse().map_err(|_| AppError::not_found("年度"))?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        democracy::confirm(&st.reg.db, &actor, id, year, &i, st.today()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/contracts/motions/{id}", tag = "contracts", request_body = MotionInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn handle_motion(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<MotionInput>,
) -> AppResult<StatusCode> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "提案")?;
    let actor = caller.actor(&st.reg.keys);
    democracy::handle_motion(&st.reg.db, &actor, id, &i).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A subtree, a year and what must be ticked, and a page.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChecklistsQuery {
    /// A union's code (default the top of the caller's scope).
    pub org: Option<String>,
    /// The year (default this year).
    pub year: Option<i64>,
    /// `congress` (职代会) or `disclosure` (厂务公开) ticked; blank: every confirmed checklist.
    pub has: Option<String>,
    pub page: Option<i64>,
}

/// Employers' checklists, one page, and how many in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistsPage {
    pub total: i64,
    pub rows: Vec<CheckedEmployer>,
}

#[utoipa::path(get, path = "/api/v1/contracts/checklists", tag = "contracts", params(ChecklistsQuery),
    responses((status = 200, body = ChecklistsPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_checklists(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ChecklistsQuery>,
) -> AppResult<Json<ChecklistsPage>> {
    caller.must_work_on(MODULE)?;
    let org = crate::registry::orgs::narrowed(&st.reg.db, &caller.scope, q.org.as_deref()).await?;
    let year = q
        .year
        .unwrap_or_else(|| i64::from(chrono::Datelike::year(&st.today())));
    let (rows, total) = democracy::checked(
        &st.reg.db,
        org.path(),
        year,
        q.has.as_deref(),
        q.page.unwrap_or(1),
    )
    .await?;
    Ok(Json(ChecklistsPage { total, rows }))
}

#[utoipa::path(get, path = "/api/v1/contracts/export", tag = "contracts", params(super::files::RegisterQuery),
    responses((status = 200, description = "XLSX or CSV of the contracts signed by the period's end whose term reaches into it, in the history import's columns"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_contracts(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<super::files::RegisterQuery>,
) -> AppResult<axum::response::Response> {
    let (db, today) = (&st.reg.db, st.today());
    super::files::send_register(
        &st,
        &caller,
        MODULE,
        "export.contracts",
        &q,
        |org, period, format| async move {
            crate::contracts::export::sheet(db, &org, &period, format, today).await
        },
    )
    .await
}

/// A coverage drill's employers as a file.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoveredExportQuery {
    pub org: Option<String>,
    pub at: Option<String>,
    pub kind: Option<String>,
    pub unionised: Option<bool>,
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/contracts/covered/export", tag = "contracts", params(CoveredExportQuery),
    responses((status = 200, description = "XLSX or CSV of every employer the coverage figure counts, once each"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_covered(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CoveredExportQuery>,
) -> AppResult<axum::response::Response> {
    caller.must_work_on(MODULE)?;
    let format =
        crate::registry::export::ExportFormat::parse(q.format.as_deref().unwrap_or("xlsx"))?;
    let cq = CoveredQuery {
        org: q.org,
        at: q.at,
        kind: q.kind,
        unionised: q.unionised,
        page: None,
    };
    let (org, at, filter) = covered_query(&st, &caller, &cq).await?;
    let (name, bytes, rows) =
        crate::contracts::export::covered_sheet(&st.reg.db, &org, at, filter, format).await?;
    crate::audit::record(
        &st.reg.db,
        &caller.actor(&st.reg.keys),
        st.auth.now(),
        crate::audit::Event::new("export.contracts_covered").detail(serde_json::json!({
            "org": org.code, "at": at.to_string(), "kind": filter.kind.map(|k| k.code()),
            "unionised": filter.unionised, "rows": rows,
        })),
    )
    .await?;
    Ok(super::files::sheet_download(&name, format, bytes))
}
