//! Money and help: the 低保 lines, hardship files, aid campaigns with their applications,
//! review, public notice and payout batches (the bank transfer file, the bank's answer, failed
//! lines retried or cancelled), the lines behind the aid figures; and the member's own
//! applications (the member portal's API).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_id;
use crate::aid::MODULE;
use crate::aid::campaigns::{
    self, Application, ApplicationDetail, ApplicationFilter, ApplicationInput, Campaign,
    CampaignInput, DecisionInput, ObjectionInput, ResolveInput,
};
use crate::aid::figures::{self, PaidRow};
use crate::aid::hardship::{
    self, ExitInput, FileFilter, FileInput, HardshipFile, HouseholdPerson, LineInput, LineRow,
    PlanInput, ReviewInput,
};
use crate::aid::payouts::{self, Batch, BatchInput, LineAction, LineResult, PayoutLine, Recorded};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::export::ExportFormat;
use crate::registry::orgs;
use crate::registry::stats::{self, StatsQuery};
use crate::web::hardening::{ApiQuery, JsonBody};
use crate::workflow::history::HistoryRow;

// ---------- 低保 lines ----------

#[utoipa::path(get, path = "/api/v1/aid/lines", tag = "aid", responses((status = 200, body = [LineRow])))]
pub async fn list_lines(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<LineRow>>> {
    caller.must_work_on(MODULE)?;
    Ok(Json(hardship::lines(&st.reg.db).await?))
}

#[utoipa::path(post, path = "/api/v1/aid/lines", tag = "aid", request_body = LineInput,
    responses((status = 200, body = LineRow), (status = 422, body = ErrorBody)))]
pub async fn set_line(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<LineInput>,
) -> AppResult<Json<LineRow>> {
    caller.must_work_on(MODULE)?;
    let root = orgs::scope_root(&st.reg.db, &caller.scope).await?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        hardship::set_line(&st.reg.db, &actor, root.as_ref(), &i, st.auth.now()).await?,
    ))
}

// ---------- hardship files ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct FilePage {
    pub total: i64,
    pub rows: Vec<HardshipFile>,
}

#[utoipa::path(get, path = "/api/v1/aid/files", tag = "aid", params(FileFilter),
    responses((status = 200, body = FilePage), (status = 404, body = ErrorBody)))]
pub async fn list_files(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(f): ApiQuery<FileFilter>,
) -> AppResult<Json<FilePage>> {
    caller.must_work_on(MODULE)?;
    let (rows, total) = hardship::list(&st.reg.db, &caller.scope, &f, st.today()).await?;
    Ok(Json(FilePage { total, rows }))
}

#[utoipa::path(post, path = "/api/v1/aid/files", tag = "aid", request_body = FileInput,
    responses((status = 201, body = HardshipFile), (status = 409, body = ErrorBody, description = "HARDSHIP_PERSON_ON_FILE"),
        (status = 422, body = ErrorBody)))]
pub async fn open_file(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<FileInput>,
) -> AppResult<(StatusCode, Json<HardshipFile>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let f = hardship::open_file(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &i,
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(f)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FilePersonPage {
    pub total: i64,
    pub rows: Vec<hardship::FilePerson>,
}

#[utoipa::path(get, path = "/api/v1/aid/file-persons", tag = "aid", params(FileFilter),
    responses((status = 200, body = FilePersonPage), (status = 404, body = ErrorBody)))]
pub async fn list_file_persons(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(f): ApiQuery<FileFilter>,
) -> AppResult<Json<FilePersonPage>> {
    caller.must_work_on(MODULE)?;
    let (rows, total) = hardship::persons_in(&st.reg.db, &caller.scope, &f, st.today()).await?;
    Ok(Json(FilePersonPage { total, rows }))
}

/// A file with its household and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileDetail {
    pub file: HardshipFile,
    pub persons: Vec<HouseholdPerson>,
    pub history: Vec<HistoryRow>,
}

#[utoipa::path(get, path = "/api/v1/aid/files/{id}", tag = "aid",
    responses((status = 200, body = FileDetail), (status = 404, body = ErrorBody)))]
pub async fn get_file(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<FileDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "困难职工档案")?;
    Ok(Json(FileDetail {
        file: hardship::get(&st.reg.db, &caller.scope, id).await?,
        persons: hardship::persons(&st.reg.db, id).await?,
        history: hardship::timeline(&st.reg.db, &caller.scope, id).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/aid/files/{id}/review", tag = "aid", request_body = ReviewInput,
    responses((status = 200, body = HardshipFile), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review_file(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ReviewInput>,
) -> AppResult<Json<HardshipFile>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "困难职工档案")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        hardship::review(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/aid/files/{id}/plan", tag = "aid", request_body = PlanInput,
    responses((status = 200, body = HardshipFile), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replan_file(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<PlanInput>,
) -> AppResult<Json<HardshipFile>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "困难职工档案")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        hardship::replan(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/aid/files/{id}/exit", tag = "aid", request_body = ExitInput,
    responses((status = 200, body = HardshipFile), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn exit_file(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ExitInput>,
) -> AppResult<Json<HardshipFile>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "困难职工档案")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        hardship::exit(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

// ---------- campaigns and applications ----------

#[utoipa::path(get, path = "/api/v1/aid/campaigns", tag = "aid", responses((status = 200, body = [Campaign])))]
pub async fn list_campaigns(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Campaign>>> {
    caller.must_work_on(MODULE)?;
    Ok(Json(campaigns::campaigns(&st.reg.db, &caller.scope).await?))
}

#[utoipa::path(post, path = "/api/v1/aid/campaigns", tag = "aid", request_body = CampaignInput,
    responses((status = 201, body = Campaign), (status = 422, body = ErrorBody)))]
pub async fn create_campaign(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<CampaignInput>,
) -> AppResult<(StatusCode, Json<Campaign>)> {
    caller.must_work_on(MODULE)?;
    let actor = caller.actor(&st.reg.keys);
    let c = campaigns::create(&st.reg.db, &actor, &i, st.today(), st.auth.now()).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// A campaign with its batches.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDetail {
    pub campaign: Campaign,
    pub batches: Vec<Batch>,
}

#[utoipa::path(get, path = "/api/v1/aid/campaigns/{id}", tag = "aid",
    responses((status = 200, body = CampaignDetail), (status = 404, body = ErrorBody)))]
pub async fn get_campaign(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<CampaignDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶活动")?;
    Ok(Json(CampaignDetail {
        campaign: campaigns::campaign(&st.reg.db, &caller.scope, id).await?,
        batches: payouts::batches(&st.reg.db, &caller.scope, id).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/aid/campaigns/{id}/applications", tag = "aid", request_body = ApplicationInput,
    responses((status = 201, body = Application), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "AID_ONCE_PER_CAMPAIGN, AID_CAMPAIGN_CLOSED"), (status = 422, body = ErrorBody)))]
pub async fn apply(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ApplicationInput>,
) -> AppResult<(StatusCode, Json<Application>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶活动")?;
    let actor = caller.actor(&st.reg.keys);
    let a = campaigns::apply(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        id,
        &i,
        None,
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationPage {
    pub total: i64,
    pub rows: Vec<Application>,
}

#[utoipa::path(get, path = "/api/v1/aid/applications", tag = "aid", params(ApplicationFilter),
    responses((status = 200, body = ApplicationPage)))]
pub async fn list_applications(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(f): ApiQuery<ApplicationFilter>,
) -> AppResult<Json<ApplicationPage>> {
    caller.must_work_on(MODULE)?;
    let (rows, total) = campaigns::applications(&st.reg.db, &caller.scope, &f).await?;
    Ok(Json(ApplicationPage { total, rows }))
}

#[utoipa::path(get, path = "/api/v1/aid/applications/{id}", tag = "aid",
    responses((status = 200, body = ApplicationDetail), (status = 404, body = ErrorBody)))]
pub async fn get_application(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<ApplicationDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶申请")?;
    Ok(Json(
        campaigns::detail(&st.reg.db, &caller.scope, id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/aid/applications/{id}/decision", tag = "aid", request_body = DecisionInput,
    responses((status = 200, body = Application), (status = 403, body = ErrorBody, description = "REVIEW_NOT_YOURS"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<DecisionInput>,
) -> AppResult<Json<Application>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶申请")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        campaigns::decide(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/aid/applications/{id}/objections", tag = "aid", request_body = ObjectionInput,
    responses((status = 200, body = Application), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn object(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ObjectionInput>,
) -> AppResult<Json<Application>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶申请")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        campaigns::object(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/aid/applications/{id}/objections/{objection}/resolve", tag = "aid", request_body = ResolveInput,
    responses((status = 200, body = Application), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resolve(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, objection)): Path<(String, String)>,
    JsonBody(i): JsonBody<ResolveInput>,
) -> AppResult<Json<Application>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶申请")?;
    let objection = parse_id(&objection, "异议")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        campaigns::resolve(
            &st.reg.db,
            &actor,
            id,
            objection,
            &i,
            st.today(),
            st.auth.now(),
        )
        .await?,
    ))
}

// ---------- payouts ----------

#[utoipa::path(post, path = "/api/v1/aid/campaigns/{id}/batches", tag = "aid", request_body = BatchInput,
    responses((status = 201, body = Batch), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "AID_OVER_BUDGET, AID_NOT_PAYABLE"), (status = 422, body = ErrorBody)))]
pub async fn make_batch(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<BatchInput>,
) -> AppResult<(StatusCode, Json<Batch>)> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶活动")?;
    let actor = caller.actor(&st.reg.keys);
    let b = payouts::make_batch(&st.reg.db, &actor, id, &i, st.today(), st.auth.now()).await?;
    Ok((StatusCode::CREATED, Json(b)))
}

/// A page of a batch's lines.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinesQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchDetail {
    pub batch: Batch,
    pub lines: Vec<PayoutLine>,
}

#[utoipa::path(get, path = "/api/v1/aid/batches/{id}", tag = "aid", params(LinesQuery),
    responses((status = 200, body = BatchDetail), (status = 404, body = ErrorBody)))]
pub async fn get_batch(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<LinesQuery>,
) -> AppResult<Json<BatchDetail>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "发放批次")?;
    let batch = payouts::batch(&st.reg.db, &caller.scope, id).await?;
    let paging = crate::db::Paging::new(q.page, q.per_page, 100);
    Ok(Json(BatchDetail {
        batch,
        lines: payouts::lines(&st.reg.db, id, &paging).await?,
    }))
}

/// The bank transfer file: its format and the reason for exporting full account numbers.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BankFileQuery {
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
    pub reason: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/aid/batches/{id}/bank-file", tag = "aid", params(BankFileQuery),
    responses((status = 200, description = "XLSX or CSV of the cash lines waiting, full account numbers"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bank_file(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<BankFileQuery>,
) -> AppResult<axum::response::Response> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "发放批次")?;
    let format = ExportFormat::parse(q.format.as_deref().unwrap_or("xlsx"))?;
    let actor = caller.actor(&st.reg.keys);
    let (headers, rows) = payouts::bank_file(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        id,
        q.reason.as_deref().unwrap_or(""),
        st.auth.now(),
    )
    .await?;
    let bytes = crate::registry::export::sheet(format, "代发明细", &headers, &rows)?;
    Ok(super::files::sheet_download(
        &format!("代发明细-{id}"),
        format,
        bytes,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultsInput {
    pub results: Vec<LineResult>,
}

#[utoipa::path(post, path = "/api/v1/aid/batches/{id}/results", tag = "aid", request_body = ResultsInput,
    responses((status = 200, body = Recorded), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_results(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ResultsInput>,
) -> AppResult<Json<Recorded>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "发放批次")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        payouts::record_results(
            &st.reg.db,
            &actor,
            id,
            &i.results,
            st.today(),
            st.auth.now(),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/aid/batches/{id}/lines/{line}", tag = "aid", request_body = LineAction,
    responses((status = 200, body = PayoutLine), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act_on_line(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, line)): Path<(String, String)>,
    JsonBody(i): JsonBody<LineAction>,
) -> AppResult<Json<PayoutLine>> {
    caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "发放批次")?;
    let line = parse_id(&line, "发放明细")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        payouts::act_on_line(&st.reg.db, &actor, id, line, &i, st.today(), st.auth.now()).await?,
    ))
}

// ---------- the rows behind the aid figures ----------

/// A subtree and period (as the figures take them), one campaign or all, a page.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaidQuery {
    pub org: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub campaign: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaidPage {
    /// Equals the figure aid.person_times of the same subtree and period.
    pub total: i64,
    pub rows: Vec<PaidRow>,
}

#[utoipa::path(get, path = "/api/v1/aid/paid", tag = "aid", params(PaidQuery),
    responses((status = 200, body = PaidPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn paid(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PaidQuery>,
) -> AppResult<Json<PaidPage>> {
    caller.must_work_on(MODULE)?;
    let sq = StatsQuery {
        org: q.org.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
    };
    let (org, period) = stats::resolve(&st.reg.db, &caller.scope, &sq).await?;
    let campaign = q
        .campaign
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| parse_id(c, "帮扶活动"))
        .transpose()?;
    let paging = crate::db::Paging::new(q.page, q.per_page, 50);
    let (rows, total) =
        figures::paid_rows(&st.reg.db, &org.path, &period, campaign, &paging).await?;
    Ok(Json(PaidPage { total, rows }))
}

// ---------- the member's own ----------

use super::members::own_member;

#[utoipa::path(get, path = "/api/v1/me/aid/campaigns", tag = "aid", responses((status = 200, body = [Campaign])))]
pub async fn my_campaigns(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Campaign>>> {
    let member = own_member(&caller)?;
    Ok(Json(
        campaigns::open_for_member(&st.reg.db, member, st.today()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/me/aid/applications", tag = "aid", responses((status = 200, body = [Application])))]
pub async fn my_applications(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Application>>> {
    let member = own_member(&caller)?;
    Ok(Json(
        campaigns::applications_of_member(&st.reg.db, member).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/me/aid/campaigns/{id}/applications", tag = "aid", request_body = ApplicationInput,
    responses((status = 201, body = Application), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn apply_myself(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ApplicationInput>,
) -> AppResult<(StatusCode, Json<Application>)> {
    let member = own_member(&caller)?;
    let id = parse_id(&id, "帮扶活动")?;
    if i.member_id.is_some() {
        return Err(AppError::invalid("会员只能为本人申请"));
    }
    let actor = caller.actor(&st.reg.keys);
    let a = campaigns::apply(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        id,
        &i,
        Some(member),
        st.today(),
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[utoipa::path(get, path = "/api/v1/aid/paid/export", tag = "aid", params(super::files::RegisterQuery),
    responses((status = 200, description = "XLSX or CSV of the aid paid, in the payout history import's columns, ID numbers masked"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_paid(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<super::files::RegisterQuery>,
) -> AppResult<axum::response::Response> {
    let db = &st.reg.db;
    super::files::send_register(
        &st,
        &caller,
        crate::aid::MODULE,
        "export.aid_paid",
        &q,
        |org, period, format| async move {
            crate::aid::export::paid_sheet(db, &org, &period, format).await
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/aid/files/export", tag = "aid", params(super::files::RegisterQuery),
    responses((status = 200, description = "XLSX or CSV of the hardship files on file at any time in the period, in the file history import's columns, ID numbers masked"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_files(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<super::files::RegisterQuery>,
) -> AppResult<axum::response::Response> {
    let db = &st.reg.db;
    super::files::send_register(
        &st,
        &caller,
        crate::aid::MODULE,
        "export.hardship_files",
        &q,
        |org, period, format| async move {
            crate::aid::export::files_sheet(db, &org, &period, format).await
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/aid/campaigns/{id}/budget", tag = "aid", request_body = crate::aid::campaigns::BudgetInput,
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "AID_CAMPAIGN_CLOSED, AID_CAMPAIGN_BUSY"), (status = 422, body = ErrorBody)))]
pub async fn change_budget(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<crate::aid::campaigns::BudgetInput>,
) -> AppResult<Json<Campaign>> {
    caller.must_work_on(crate::aid::MODULE)?;
    let id = parse_id(&id, "帮扶活动")?;
    let actor = caller.actor(&st.reg.keys);
    Ok(Json(
        crate::aid::campaigns::change_budget(&st.reg.db, &actor, id, &i, st.today(), st.auth.now())
            .await?,
    ))
}
