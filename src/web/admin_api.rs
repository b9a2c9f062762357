//! Administration endpoints for the three separated administrator roles: accounts (系统管理员),
//! roles, unlocks and API tokens (安全管理员), the audit trail (审计管理员).

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::{ApiQuery, JsonBody, parse_id};
use crate::app::AppState;
use crate::audit::verify::{self, Report};
use crate::audit::{self, AuditFilter, AuditPage, Event};
use crate::auth::accounts::{self, AccountView, NewAccount, RoleChange};
use crate::auth::tokens::{self, NewToken, TokenView};
use crate::auth::{Caller, login};
use crate::error::{AppError, AppResult, ErrorBody};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list_accounts).post(create_account))
        .route("/accounts/{id}", get(get_account))
        .route("/accounts/{id}/status", post(set_status))
        .route("/accounts/{id}/reset-password", post(reset_password))
        .route("/accounts/{id}/approve", post(approve))
        .route("/accounts/{id}/role", post(set_role))
        .route("/accounts/{id}/unlock", post(unlock))
        .route("/accounts/{id}/reset-totp", post(reset_totp))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}/revoke", post(revoke_token))
        .route("/audit", get(list_audit))
        .route("/audit/verify", get(verify_audit))
        .route("/system/status", get(system_status))
}

#[utoipa::path(get, path = "/api/v1/accounts", tag = "admin", responses((status = 200, body = [AccountView])))]
pub async fn list_accounts(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<AccountView>>> {
    Ok(Json(accounts::list(&st.reg.db, &caller.scope).await?))
}

/// An account and one half of its initial password. The system administrator receives the
/// first half (creating or resetting), the security administrator the second (approving); the
/// person signs in the first time with both, first half then second, and sets a new password.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountWithPasswordHalf {
    pub account: AccountView,
    /// `first` or `second`.
    pub half: String,
    /// Shown once, to be handed to the person by a channel of the administrator's own.
    pub password_half: String,
}

impl AccountWithPasswordHalf {
    fn first(account: AccountView, half: String) -> Self {
        AccountWithPasswordHalf {
            account,
            half: "first".into(),
            password_half: half,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/accounts", tag = "admin", request_body = NewAccount,
    responses((status = 201, body = AccountWithPasswordHalf, description = "Created, waiting for the security administrator's approval"), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_account(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<NewAccount>,
) -> AppResult<(axum::http::StatusCode, Json<AccountWithPasswordHalf>)> {
    let actor = caller.actor(&st.reg.keys);
    let (account, half) = accounts::create(&st.reg.db, &actor, &i, st.auth.now()).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(AccountWithPasswordHalf::first(account, half)),
    ))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "admin", responses((status = 200, body = AccountView), (status = 404, body = ErrorBody)))]
pub async fn get_account(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<AccountView>> {
    let a = accounts::get_in_scope(&st.reg.db, &caller.scope, parse_id(&id, "账号")?).await?;
    Ok(Json(AccountView::from(&a)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// `active` or `disabled`
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/status", tag = "admin", request_body = StatusInput, responses((status = 200, body = AccountView)))]
pub async fn set_status(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<StatusInput>,
) -> AppResult<Json<AccountView>> {
    let active = match i.status.as_str() {
        "active" => true,
        "disabled" => false,
        _ => {
            return Err(AppError::invalid(
                "状态应为 active（启用）或 disabled（停用）",
            ));
        }
    };
    let id = parse_id(&id, "账号")?;
    Ok(Json(
        accounts::set_status(
            &st.reg.db,
            &caller.actor(&st.reg.keys),
            id,
            active,
            st.auth.now(),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/reset-password", tag = "admin", responses((status = 200, body = AccountWithPasswordHalf, description = "The old password stops working; the account waits for the security administrator's approval")))]
pub async fn reset_password(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<AccountWithPasswordHalf>> {
    let id = parse_id(&id, "账号")?;
    let (account, half) =
        accounts::reset_password(&st.reg.db, &caller.actor(&st.reg.keys), id, st.auth.now())
            .await?;
    Ok(Json(AccountWithPasswordHalf::first(account, half)))
}

/// The security administrator's approval of a waiting account; the role and place may be set
/// in the same step (all of `role`, `org_code` / `member_id`, `modules` as for a role change).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveInput {
    pub role: Option<String>,
    pub org_code: Option<String>,
    pub member_id: Option<String>,
    #[serde(default)]
    pub modules: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/approve", tag = "admin", request_body = ApproveInput,
    responses((status = 200, body = AccountWithPasswordHalf, description = "Approved: the second half of the initial password"), (status = 409, body = ErrorBody, description = "NOT_PENDING")))]
pub async fn approve(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<ApproveInput>,
) -> AppResult<Json<AccountWithPasswordHalf>> {
    let id = parse_id(&id, "账号")?;
    let change = i.role.map(|role| RoleChange {
        role,
        org_code: i.org_code,
        member_id: i.member_id,
        modules: i.modules,
    });
    let (account, half) = accounts::approve(
        &st.reg.db,
        &caller.actor(&st.reg.keys),
        id,
        change.as_ref(),
        st.auth.now(),
    )
    .await?;
    Ok(Json(AccountWithPasswordHalf {
        account,
        half: "second".into(),
        password_half: half,
    }))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/role", tag = "admin", request_body = RoleChange, responses((status = 200, body = AccountView)))]
pub async fn set_role(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<RoleChange>,
) -> AppResult<Json<AccountView>> {
    let id = parse_id(&id, "账号")?;
    Ok(Json(
        accounts::set_role(
            &st.reg.db,
            &caller.actor(&st.reg.keys),
            id,
            &i,
            st.auth.now(),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/unlock", tag = "admin", responses((status = 200, body = AccountView)))]
pub async fn unlock(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<AccountView>> {
    let a = login::unlock_account(
        &st.reg,
        &caller.actor(&st.reg.keys),
        st.auth.now(),
        parse_id(&id, "账号")?,
    )
    .await?;
    Ok(Json(AccountView::from(&a)))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/reset-totp", tag = "admin", responses((status = 200, body = AccountView)))]
pub async fn reset_totp(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<AccountView>> {
    let id = parse_id(&id, "账号")?;
    Ok(Json(
        accounts::reset_totp(&st.reg.db, &caller.actor(&st.reg.keys), id, st.auth.now()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", responses((status = 200, body = [TokenView])))]
pub async fn list_tokens(
    State(st): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<TokenView>>> {
    Ok(Json(tokens::list(&st.reg.db, &caller.scope).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    pub token_info: TokenView,
    /// Shown once: `Authorization: Bearer <token>`.
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = NewToken, responses((status = 201, body = TokenCreated), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(i): JsonBody<NewToken>,
) -> AppResult<(axum::http::StatusCode, Json<TokenCreated>)> {
    let (token_info, token) = tokens::create(
        &st.reg.db,
        &caller.actor(&st.reg.keys),
        caller.perms,
        &i,
        st.auth.now(),
    )
    .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(TokenCreated { token_info, token }),
    ))
}

#[utoipa::path(post, path = "/api/v1/tokens/{id}/revoke", tag = "admin", responses((status = 200, body = TokenView), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<TokenView>> {
    let id = parse_id(&id, "接口令牌")?;
    Ok(Json(
        tokens::revoke(&st.reg.db, &caller.actor(&st.reg.keys), id, st.auth.now()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditFilter), responses((status = 200, body = AuditPage)))]
pub async fn list_audit(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(f): ApiQuery<AuditFilter>,
) -> AppResult<Json<AuditPage>> {
    Ok(Json(audit::list(&st.reg.db, &caller.scope, &f).await?))
}

#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "admin", responses((status = 200, body = Report)))]
pub async fn verify_audit(State(st): State<AppState>, caller: Caller) -> AppResult<Json<Report>> {
    let actor = caller.actor(&st.reg.keys);
    let report = verify::verify(&st.reg.db, &actor.key, &st.config.audit_sources()).await?;
    audit::record(
        &st.reg.db,
        &actor,
        st.auth.now(),
        Event::new("audit.verify")
            .detail(serde_json::json!({ "ok": report.ok(), "problems": report.problems.len() })),
    )
    .await?;
    Ok(Json(report))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemStatus {
    pub database: String,
    pub schema_version: Option<i64>,
    pub accounts: i64,
    pub active_sessions: i64,
    pub audit_rows: i64,
    pub audit_retention_days: u32,
}

#[utoipa::path(get, path = "/api/v1/system/status", tag = "admin", responses((status = 200, body = SystemStatus)))]
pub async fn system_status(State(st): State<AppState>) -> AppResult<Json<SystemStatus>> {
    let db = &st.reg.db;
    let (_, schema_version) = crate::db::migrations::status(db).await?;
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql).fetch_one(db.pool()).await
    };
    Ok(Json(SystemStatus {
        database: format!("{:?}", db.backend()).to_lowercase(),
        schema_version,
        accounts: count("SELECT COUNT(*) FROM accounts").await?,
        active_sessions: count("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").await?,
        audit_rows: count("SELECT COUNT(*) FROM audit_log").await?,
        audit_retention_days: st.config.audit_retention_days.max(180),
    }))
}
