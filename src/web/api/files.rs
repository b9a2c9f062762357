//! Files: imports (upload, progress, error report), templates, exports.

use super::{ApiScope, parse_id};
use crate::app::AppState;
use crate::audit::{self, Event};
use crate::auth::Caller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::registry::export::{self, ExportFormat};
use crate::registry::import::{ImportKind, ImportOptions};
use crate::registry::jobs::JobStatus;
use crate::registry::members::{self, MemberFilter};
use crate::registry::search;
use crate::registry::templates;
use crate::types::parse_flag;
use crate::web::hardening::ApiQuery;
use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

pub(crate) fn flag(v: &Option<String>) -> AppResult<bool> {
    parse_flag(v.as_deref().unwrap_or(""))
}

#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "files", params(("kind" = String, Path, description = "orgs | units | members"), ImportParams),
    request_body(content = Vec<u8>, description = "The file: raw bytes, or multipart/form-data with a `file` field", content_type = "application/octet-stream"),
    responses((status = 202, body = JobStarted), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_import(
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
    let (name, data) = read_upload(&st, req, limit, p.file_name.clone(), upload_too_large).await?;
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

/// Reads an uploaded file: a multipart form's `file` field, or the raw body with its name
/// given in the query string. Anything over `limit` bytes is refused with `too_large`.
pub(crate) async fn read_upload(
    st: &AppState,
    req: Request,
    limit: usize,
    raw_name: Option<String>,
    too_large: fn(usize) -> AppError,
) -> AppResult<(String, Vec<u8>)> {
    let declared: Option<usize> = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    // A multipart body carries its boundaries too: allow a little over the file's limit.
    let slack = 64 * 1024;
    if declared.is_some_and(|n| n > limit + slack) {
        return Err(too_large(limit));
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let refused = |e| multipart_refused(e, limit, too_large);
    let (name, data) = if is_multipart {
        let mut mp = Multipart::from_request(req, st)
            .await
            .map_err(|e| AppError::bad_request(format!("上传内容有误：{e}")))?;
        let mut found = None;
        while let Some(field) = mp.next_field().await.map_err(refused)? {
            if field.name() == Some("file") {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field.bytes().await.map_err(refused)?;
                found = Some((name, bytes.to_vec()));
            }
        }
        found.ok_or_else(|| AppError::bad_request("没有收到名为file的文件"))?
    } else {
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| too_large(limit))?;
        (raw_name.unwrap_or_else(|| "upload".into()), bytes.to_vec())
    };
    if data.len() > limit {
        return Err(too_large(limit));
    }
    Ok((name, data))
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
    multipart_refused(e, limit, upload_too_large)
}

/// A multipart upload that could not be read: over `limit` (answered by `too_large`), or
/// malformed.
pub(crate) fn multipart_refused(
    e: axum::extract::multipart::MultipartError,
    limit: usize,
    too_large: fn(usize) -> AppError,
) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        AppError::bad_request(format!("上传内容有误：{e}"))
    }
}

#[utoipa::path(get, path = "/api/v1/import-jobs/{id}", tag = "files", responses((status = 200, body = JobStatus), (status = 404, body = ErrorBody)))]
pub async fn import_status(
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

/// Which register to export: a subtree and a period, and the file's format.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// A union (code): the records of its subtree; default the caller's scope.
    pub org: Option<String>,
    /// First and last day; default this year so far.
    pub from: Option<String>,
    pub to: Option<String>,
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

/// Sends a module's register for the subtree and period `q` names: `build` makes the file
/// (its name, bytes and rows), the export goes to the audit trail as `action`.
pub(crate) async fn send_register<F, Fut>(
    st: &AppState,
    caller: &Caller,
    module: &str,
    action: &'static str,
    q: &RegisterQuery,
    build: F,
) -> AppResult<Response>
where
    F: FnOnce(crate::registry::orgs::Org, crate::registry::stats::Period, ExportFormat) -> Fut,
    Fut: std::future::Future<Output = AppResult<(String, Vec<u8>, usize)>>,
{
    caller.must_work_on(module)?;
    let format = ExportFormat::parse(q.format.as_deref().unwrap_or("xlsx"))?;
    let sq = crate::registry::stats::StatsQuery {
        org: q.org.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
    };
    let (org, period) = crate::registry::stats::resolve(&st.reg.db, &caller.scope, &sq).await?;
    let detail = serde_json::json!({
        "org": org.code, "from": period.from.to_string(), "to": period.to.to_string(),
        "format": q.format.as_deref().unwrap_or("xlsx"),
    });
    let (name, bytes, rows) = build(org, period, format).await?;
    let mut detail = detail;
    detail["rows"] = serde_json::json!(rows);
    audit::record(
        &st.reg.db,
        &caller.actor(&st.reg.keys),
        st.auth.now(),
        Event::new(action).detail(detail),
    )
    .await?;
    Ok(sheet_download(&name, format, bytes))
}

pub(crate) const XLSX_MIME: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An exported sheet as a download: `{name}.xlsx` or `{name}.csv`.
pub(crate) fn sheet_download(name: &str, format: ExportFormat, bytes: Vec<u8>) -> Response {
    match format {
        ExportFormat::Xlsx => attachment(&format!("{name}.xlsx"), XLSX_MIME, bytes),
        ExportFormat::Csv => attachment(&format!("{name}.csv"), "text/csv; charset=utf-8", bytes),
    }
}

pub(crate) fn attachment(name: &str, mime: &str, bytes: Vec<u8>) -> Response {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        mime.parse()
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
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
pub async fn import_errors(
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
pub async fn download_template(Path(kind): Path<String>) -> AppResult<Response> {
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
pub(crate) fn filter_json(f: &MemberFilter) -> serde_json::Value {
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
pub async fn export_members(
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
pub async fn export_members_full(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<FullExportParams>,
    ApiQuery(f): ApiQuery<MemberFilter>,
) -> AppResult<Response> {
    export_response(&st, &caller, p.format.as_deref(), Some(&p.reason), &f).await
}
