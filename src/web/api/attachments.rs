//! Files on casework records: a petition's letters and scans, a dispute's referral and signed
//! agreement, and the files a member adds to their own petition. The record is checked to be
//! the caller's to see first (`files_of`); `crate::attachments` keeps the files.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiScope, attachment, parse_id};
use crate::app::AppState;
use crate::attachments::{self, Attachment, Owner};
use crate::auth::Caller;
use crate::casework::{MODULE, disputes, petitions};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::api::files::read_upload;
use crate::web::hardening::{ApiQuery, JsonBody};

/// The attachment routes, with their own body limit (a scanned letter is larger than a form).
pub fn router(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/casework/petitions/{id}/attachments",
            get(list_petition_files).post(add_petition_file),
        )
        .route(
            "/casework/petitions/{id}/attachments/{file}",
            get(get_petition_file),
        )
        .route(
            "/casework/petitions/{id}/attachments/{file}/remove",
            post(remove_petition_file),
        )
        .route(
            "/casework/disputes/{id}/attachments",
            get(list_dispute_files).post(add_dispute_file),
        )
        .route(
            "/casework/disputes/{id}/attachments/{file}",
            get(get_dispute_file),
        )
        .route(
            "/casework/disputes/{id}/attachments/{file}/remove",
            post(remove_dispute_file),
        )
        .route(
            "/mutual/claims/{id}/attachments",
            get(list_claim_files).post(add_claim_file),
        )
        .route(
            "/mutual/claims/{id}/attachments/{file}",
            get(get_claim_file),
        )
        .route(
            "/mutual/claims/{id}/attachments/{file}/remove",
            post(remove_claim_file),
        )
        .route(
            "/contracts/{id}/attachments",
            get(list_contract_files).post(add_contract_file),
        )
        .route("/contracts/{id}/attachments/{file}", get(get_contract_file))
        .route(
            "/contracts/{id}/attachments/{file}/remove",
            post(remove_contract_file),
        )
        .route(
            "/me/petitions/{id}/attachments",
            get(list_my_files).post(add_my_file),
        )
        .route("/me/petitions/{id}/attachments/{file}", get(get_my_file))
        // Room for a multipart form's boundaries around the largest file taken.
        .layer(axum::extract::DefaultBodyLimit::max(max_bytes + 64 * 1024))
}

/// For a raw upload (the body is the file): its name, which says its kind.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    pub file_name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveInput {
    /// Why the file is taken off the record (kept with it).
    pub reason: String,
}

async fn petition(st: &AppState, caller: &Caller, scope: &ApiScope, id: &str) -> AppResult<Owner> {
    caller.must_work_on(MODULE)?;
    petitions::files_of(&st.reg.db, &scope.0, parse_id(id, "诉求")?).await
}

async fn dispute(st: &AppState, caller: &Caller, scope: &ApiScope, id: &str) -> AppResult<Owner> {
    caller.must_work_on(MODULE)?;
    disputes::files_of(&st.reg.db, &scope.0, parse_id(id, "案件")?).await
}

async fn claim(st: &AppState, caller: &Caller, scope: &ApiScope, id: &str) -> AppResult<Owner> {
    caller.must_work_on(crate::aid::mutual::MODULE)?;
    crate::aid::mutual::files_of(&st.reg.db, &scope.0, parse_id(id, "理赔")?).await
}

async fn contract(st: &AppState, caller: &Caller, scope: &ApiScope, id: &str) -> AppResult<Owner> {
    caller.must_work_on(crate::contracts::MODULE)?;
    crate::contracts::contract::files_of(&st.reg.db, &scope.0, parse_id(id, "集体合同")?).await
}

async fn my_petition(st: &AppState, caller: &Caller, id: &str) -> AppResult<Owner> {
    let member = caller
        .member_id
        .ok_or_else(|| AppError::not_found("会员"))?;
    petitions::own_files_of(&st.reg.db, member, parse_id(id, "诉求")?).await
}

async fn add(
    st: &AppState,
    caller: &Caller,
    owner: Owner,
    raw_name: Option<String>,
    req: Request,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    let limit = st.attachment_max_bytes();
    let (name, bytes) = read_upload(st, req, limit, raw_name, attachments::too_large).await?;
    let kept = attachments::add(
        &st.reg.db,
        &st.reg.keys,
        &caller.actor(&st.reg.keys),
        owner,
        attachments::Sent {
            name: &name,
            bytes: &bytes,
        },
        limit,
        st.auth.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(kept)))
}

async fn download(st: &AppState, caller: &Caller, owner: Owner, file: &str) -> AppResult<Response> {
    let (meta, bytes) = attachments::content(
        &st.reg.db,
        &st.reg.keys,
        &caller.actor(&st.reg.keys),
        owner,
        parse_id(file, "附件")?,
        st.auth.now(),
    )
    .await?;
    Ok(attachment(&meta.file_name, &meta.mime, bytes))
}

async fn remove(
    st: &AppState,
    caller: &Caller,
    owner: Owner,
    file: &str,
    reason: &str,
) -> AppResult<Json<Attachment>> {
    Ok(Json(
        attachments::remove(
            &st.reg.db,
            &caller.actor(&st.reg.keys),
            owner,
            parse_id(file, "附件")?,
            reason,
            st.auth.now(),
        )
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/casework/petitions/{id}/attachments", tag = "casework",
    responses((status = 200, body = [Attachment]), (status = 404, body = ErrorBody)))]
pub async fn list_petition_files(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<Attachment>>> {
    let owner = petition(&st, &caller, &scope, &id).await?;
    Ok(Json(attachments::list(&st.reg.db, owner).await?))
}

#[utoipa::path(post, path = "/api/v1/casework/petitions/{id}/attachments", tag = "casework", params(UploadParams),
    request_body(content = Vec<u8>, description = "The file: raw bytes with `file_name` in the query, or multipart/form-data with a `file` field", content_type = "application/octet-stream"),
    responses((status = 201, body = Attachment), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ATTACHMENT_DUPLICATE, ATTACHMENT_LIMIT"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody, description = "ATTACHMENT_REFUSED")))]
pub async fn add_petition_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<UploadParams>,
    req: Request,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    let owner = petition(&st, &caller, &scope, &id).await?;
    add(&st, &caller, owner, p.file_name, req).await
}

#[utoipa::path(get, path = "/api/v1/casework/petitions/{id}/attachments/{file}", tag = "casework",
    responses((status = 200, description = "The file's content"), (status = 404, body = ErrorBody)))]
pub async fn get_petition_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let owner = petition(&st, &caller, &scope, &id).await?;
    download(&st, &caller, owner, &file).await
}

#[utoipa::path(post, path = "/api/v1/casework/petitions/{id}/attachments/{file}/remove", tag = "casework", request_body = RemoveInput,
    responses((status = 200, body = Attachment), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ATTACHMENT_REMOVED"), (status = 422, body = ErrorBody)))]
pub async fn remove_petition_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path((id, file)): Path<(String, String)>,
    JsonBody(i): JsonBody<RemoveInput>,
) -> AppResult<Json<Attachment>> {
    let owner = petition(&st, &caller, &scope, &id).await?;
    remove(&st, &caller, owner, &file, &i.reason).await
}

#[utoipa::path(get, path = "/api/v1/casework/disputes/{id}/attachments", tag = "casework",
    responses((status = 200, body = [Attachment]), (status = 404, body = ErrorBody)))]
pub async fn list_dispute_files(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<Attachment>>> {
    let owner = dispute(&st, &caller, &scope, &id).await?;
    Ok(Json(attachments::list(&st.reg.db, owner).await?))
}

#[utoipa::path(post, path = "/api/v1/casework/disputes/{id}/attachments", tag = "casework", params(UploadParams),
    request_body(content = Vec<u8>, description = "The file: raw bytes with `file_name` in the query, or multipart/form-data with a `file` field", content_type = "application/octet-stream"),
    responses((status = 201, body = Attachment), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ATTACHMENT_DUPLICATE, ATTACHMENT_LIMIT"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody, description = "ATTACHMENT_REFUSED")))]
pub async fn add_dispute_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<UploadParams>,
    req: Request,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    let owner = dispute(&st, &caller, &scope, &id).await?;
    add(&st, &caller, owner, p.file_name, req).await
}

#[utoipa::path(get, path = "/api/v1/casework/disputes/{id}/attachments/{file}", tag = "casework",
    responses((status = 200, description = "The file's content"), (status = 404, body = ErrorBody)))]
pub async fn get_dispute_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let owner = dispute(&st, &caller, &scope, &id).await?;
    download(&st, &caller, owner, &file).await
}

#[utoipa::path(post, path = "/api/v1/casework/disputes/{id}/attachments/{file}/remove", tag = "casework", request_body = RemoveInput,
    responses((status = 200, body = Attachment), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ATTACHMENT_REMOVED"), (status = 422, body = ErrorBody)))]
pub async fn remove_dispute_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path((id, file)): Path<(String, String)>,
    JsonBody(i): JsonBody<RemoveInput>,
) -> AppResult<Json<Attachment>> {
    let owner = dispute(&st, &caller, &scope, &id).await?;
    remove(&st, &caller, owner, &file, &i.reason).await
}

#[utoipa::path(get, path = "/api/v1/mutual/claims/{id}/attachments", tag = "mutual",
    responses((status = 200, body = [Attachment]), (status = 404, body = ErrorBody)))]
pub async fn list_claim_files(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<Attachment>>> {
    let owner = claim(&st, &caller, &scope, &id).await?;
    Ok(Json(attachments::list(&st.reg.db, owner).await?))
}

#[utoipa::path(post, path = "/api/v1/mutual/claims/{id}/attachments", tag = "mutual", params(UploadParams),
    request_body(content = Vec<u8>, description = "A document of the claim (invoice, discharge summary): raw bytes with `file_name` in the query, or multipart/form-data with a `file` field", content_type = "application/octet-stream"),
    responses((status = 201, body = Attachment), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ATTACHMENT_DUPLICATE, ATTACHMENT_LIMIT"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody, description = "ATTACHMENT_REFUSED")))]
pub async fn add_claim_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<UploadParams>,
    req: Request,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    let owner = claim(&st, &caller, &scope, &id).await?;
    add(&st, &caller, owner, p.file_name, req).await
}

#[utoipa::path(get, path = "/api/v1/mutual/claims/{id}/attachments/{file}", tag = "mutual",
    responses((status = 200, description = "The file's content"), (status = 404, body = ErrorBody)))]
pub async fn get_claim_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let owner = claim(&st, &caller, &scope, &id).await?;
    download(&st, &caller, owner, &file).await
}

#[utoipa::path(post, path = "/api/v1/mutual/claims/{id}/attachments/{file}/remove", tag = "mutual", request_body = RemoveInput,
    responses((status = 200, body = Attachment), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ATTACHMENT_REMOVED"), (status = 422, body = ErrorBody)))]
pub async fn remove_claim_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path((id, file)): Path<(String, String)>,
    JsonBody(i): JsonBody<RemoveInput>,
) -> AppResult<Json<Attachment>> {
    let owner = claim(&st, &caller, &scope, &id).await?;
    remove(&st, &caller, owner, &file, &i.reason).await
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}/attachments", tag = "contracts",
    responses((status = 200, body = [Attachment]), (status = 404, body = ErrorBody)))]
pub async fn list_contract_files(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<Attachment>>> {
    let owner = contract(&st, &caller, &scope, &id).await?;
    Ok(Json(attachments::list(&st.reg.db, owner).await?))
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/attachments", tag = "contracts", params(UploadParams),
    request_body(content = Vec<u8>, description = "The signed text of the contract, the vote's minutes, the authority's decision: raw bytes with `file_name` in the query, or multipart/form-data with a `file` field", content_type = "application/octet-stream"),
    responses((status = 201, body = Attachment), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ATTACHMENT_DUPLICATE, ATTACHMENT_LIMIT"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody, description = "ATTACHMENT_REFUSED")))]
pub async fn add_contract_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<UploadParams>,
    req: Request,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    let owner = contract(&st, &caller, &scope, &id).await?;
    add(&st, &caller, owner, p.file_name, req).await
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}/attachments/{file}", tag = "contracts",
    responses((status = 200, description = "The file's content"), (status = 404, body = ErrorBody)))]
pub async fn get_contract_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let owner = contract(&st, &caller, &scope, &id).await?;
    download(&st, &caller, owner, &file).await
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/attachments/{file}/remove", tag = "contracts", request_body = RemoveInput,
    responses((status = 200, body = Attachment), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ATTACHMENT_REMOVED"), (status = 422, body = ErrorBody)))]
pub async fn remove_contract_file(
    State(st): State<AppState>,
    caller: Caller,
    scope: ApiScope,
    Path((id, file)): Path<(String, String)>,
    JsonBody(i): JsonBody<RemoveInput>,
) -> AppResult<Json<Attachment>> {
    let owner = contract(&st, &caller, &scope, &id).await?;
    remove(&st, &caller, owner, &file, &i.reason).await
}

#[utoipa::path(get, path = "/api/v1/me/petitions/{id}/attachments", tag = "casework",
    responses((status = 200, body = [Attachment]), (status = 404, body = ErrorBody)))]
pub async fn list_my_files(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<Attachment>>> {
    let owner = my_petition(&st, &caller, &id).await?;
    Ok(Json(attachments::list(&st.reg.db, owner).await?))
}

#[utoipa::path(post, path = "/api/v1/me/petitions/{id}/attachments", tag = "casework", params(UploadParams),
    request_body(content = Vec<u8>, description = "The file: raw bytes with `file_name` in the query, or multipart/form-data with a `file` field", content_type = "application/octet-stream"),
    responses((status = 201, body = Attachment), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "ATTACHMENT_DUPLICATE, ATTACHMENT_LIMIT"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody, description = "ATTACHMENT_REFUSED")))]
pub async fn add_my_file(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<UploadParams>,
    req: Request,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    let owner = my_petition(&st, &caller, &id).await?;
    add(&st, &caller, owner, p.file_name, req).await
}

#[utoipa::path(get, path = "/api/v1/me/petitions/{id}/attachments/{file}", tag = "casework",
    responses((status = 200, description = "The file's content"), (status = 404, body = ErrorBody)))]
pub async fn get_my_file(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let owner = my_petition(&st, &caller, &id).await?;
    download(&st, &caller, owner, &file).await
}
