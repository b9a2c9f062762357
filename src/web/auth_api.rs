//! Sign-in endpoints: password, second factor, forced password change, second-factor
//! enrolment, logout (here or everywhere), and "who am I".

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::JsonBody;
use super::guard::{self, CSRF_COOKIE, SESSION_COOKIE};
use crate::app::AppState;
use crate::auth::accounts::AccountAuth;
use crate::auth::sessions::{SessionRow, Stage};
use crate::auth::{login, totp};
use crate::error::{AppError, AppResult, ErrorBody};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login_handler))
        .route("/auth/totp", post(totp_handler))
        .route(
            "/auth/totp/setup",
            get(totp_setup_begin).post(totp_setup_confirm),
        )
        .route("/auth/password", post(password_handler))
        .route("/auth/logout", post(logout_handler))
        .route("/auth/logout-all", post(logout_all_handler))
        .route("/auth/me", get(me_handler))
}

/// The client address of a request.
pub struct ClientIp(pub String);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientIp(guard::client_ip(st, &parts.headers, peer)))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    pub org_code: Option<String>,
    pub org_name: Option<String>,
    /// What the sign-in needs next; `full` when signed in.
    pub stage: Stage,
    pub permissions: Vec<String>,
    /// Send back in the `X-CSRF-Token` header with every state-changing request.
    pub csrf_token: String,
    /// The sign-in before this one, so the person can tell if someone else used the account.
    pub previous_sign_in: Option<SignInRecord>,
    /// When and from where the initial password was first used.
    pub activated: Option<SignInRecord>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInRecord {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub ip: Option<String>,
}

/// What the person is told about their account at sign-in.
async fn me_for(
    st: &AppState,
    a: &AccountAuth,
    session_id: i64,
    stage: Stage,
    csrf: &str,
) -> AppResult<Me> {
    let previous = crate::auth::sessions::previous(&st.reg.db, a.id, session_id).await?;
    let mut me = me_of(a, stage, csrf);
    me.previous_sign_in = previous.map(|(at, ip)| SignInRecord { at, ip });
    Ok(me)
}

fn me_of(a: &AccountAuth, stage: Stage, csrf: &str) -> Me {
    Me {
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        role: a.role.map(|r| r.code()).unwrap_or("unknown").into(),
        role_label: a.role.map(|r| r.label()).unwrap_or("未知").into(),
        org_code: a.org_code.clone(),
        org_name: a.org_name.clone(),
        stage,
        permissions: if stage == Stage::Full {
            a.role
                .map(|r| r.perms().codes())
                .unwrap_or_default()
                .into_iter()
                .map(str::to_string)
                .collect()
        } else {
            Vec::new()
        },
        csrf_token: csrf.to_string(),
        previous_sign_in: None,
        activated: a.activated_at.map(|at| SignInRecord {
            at,
            ip: a.activated_ip.clone(),
        }),
    }
}

pub(crate) fn cookies(st: &AppState, token: &str, csrf: &str, max_age: i64) -> HeaderMap {
    let secure = if st.auth.settings.public_https {
        "; Secure"
    } else {
        ""
    };
    let mut h = HeaderMap::new();
    let session = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    let csrf = format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Strict; Max-Age={max_age}{secure}");
    for c in [session, csrf] {
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_str(&c).expect("ascii cookie"),
        );
    }
    h
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

/// Refuses a login posted from another site (login CSRF): a browser always names the page's origin.
fn same_origin(headers: &HeaderMap) -> AppResult<()> {
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return Ok(());
    };
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    if origin_host != host {
        return Err(AppError::forbidden(
            "CSRF_FAILED",
            "不接受来自其他网站的登录请求",
        ));
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = Me, description = "Password accepted; `stage` says what comes next. Sets the session cookie."),
              (status = 401, body = ErrorBody, description = "LOGIN_FAILED"), (status = 423, body = ErrorBody, description = "ACCOUNT_LOCKED"),
              (status = 429, body = ErrorBody, description = "LOGIN_RATE_LIMITED")))]
pub async fn login_handler(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    JsonBody(i): JsonBody<LoginInput>,
) -> AppResult<Response> {
    same_origin(&headers)?;
    let ok = login::login(&st.auth, &st.reg, &i.username, &i.password, &ip).await?;
    let max_age = i64::from(st.auth.settings.max_hours) * 3600;
    let mut me = me_for(
        &st,
        &ok.account,
        ok.session.id,
        ok.stage,
        &ok.session.csrf_token,
    )
    .await?;
    if me.activated.is_none() && ok.account.activation_hash.is_some() {
        // This very sign-in was the first use of the initial password.
        me.activated = Some(SignInRecord {
            at: st.auth.now(),
            ip: Some(ip.clone()),
        });
    }
    Ok((
        cookies(&st, &ok.session.token, &ok.session.csrf_token, max_age),
        Json(me),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    pub code: String,
}

#[utoipa::path(post, path = "/api/v1/auth/totp", tag = "auth", request_body = CodeInput,
    responses((status = 200, body = Me), (status = 401, body = ErrorBody, description = "TOTP_FAILED (wrong or replayed code)")))]
pub async fn totp_handler(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    s: SessionRow,
    JsonBody(i): JsonBody<CodeInput>,
) -> AppResult<Json<Me>> {
    let next = login::verify_totp(&st.auth, &st.reg, &s, &i.code, &ip).await?;
    Ok(Json(
        me_for(&st, &s.account, s.id, next, &s.csrf_token).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TotpSetup {
    /// Base32 secret to type into an authenticator app.
    pub secret: String,
    pub otpauth_uri: String,
}

#[utoipa::path(get, path = "/api/v1/auth/totp/setup", tag = "auth", responses((status = 200, body = TotpSetup)))]
pub async fn totp_setup_begin(s: SessionRow) -> AppResult<Json<TotpSetup>> {
    if !matches!(s.stage, Stage::TotpSetup | Stage::Full) {
        return Err(AppError::conflict("LOGIN_STAGE", "请先完成当前登录步骤"));
    }
    let secret = totp::encode(&totp::new_secret());
    Ok(Json(TotpSetup {
        otpauth_uri: totp::otpauth_uri(&secret, &s.account.username),
        secret,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirm {
    pub secret: String,
    pub code: String,
}

#[utoipa::path(post, path = "/api/v1/auth/totp/setup", tag = "auth", request_body = TotpConfirm, responses((status = 200, body = Me)))]
pub async fn totp_setup_confirm(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    s: SessionRow,
    JsonBody(i): JsonBody<TotpConfirm>,
) -> AppResult<Json<Me>> {
    let next = login::confirm_totp_setup(&st.auth, &st.reg, &s, &i.secret, &i.code, &ip).await?;
    Ok(Json(
        me_for(&st, &s.account, s.id, next, &s.csrf_token).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    pub current_password: String,
    pub new_password: String,
}

#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordInput,
    responses((status = 200, body = Me), (status = 422, body = ErrorBody, description = "PASSWORD_WRONG / PASSWORD_POLICY")))]
pub async fn password_handler(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    s: SessionRow,
    JsonBody(i): JsonBody<PasswordInput>,
) -> AppResult<Json<Me>> {
    let next = login::change_password(
        &st.auth,
        &st.reg,
        &s,
        &i.current_password,
        &i.new_password,
        &ip,
    )
    .await?;
    Ok(Json(
        me_for(&st, &s.account, s.id, next, &s.csrf_token).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedOut {
    pub sessions_ended: u64,
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 200, body = LoggedOut)))]
pub async fn logout_handler(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    s: SessionRow,
) -> AppResult<Response> {
    let n = login::logout(&st.auth, &st.reg, &s, false, &ip).await?;
    Ok((
        cookies(&st, "", "", 0),
        Json(LoggedOut { sessions_ended: n }),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", responses((status = 200, body = LoggedOut)))]
pub async fn logout_all_handler(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    s: SessionRow,
) -> AppResult<Response> {
    if s.stage != Stage::Full {
        return Err(AppError::forbidden("LOGIN_INCOMPLETE", "请先完成登录"));
    }
    let n = login::logout(&st.auth, &st.reg, &s, true, &ip).await?;
    Ok((
        cookies(&st, "", "", 0),
        Json(LoggedOut { sessions_ended: n }),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me_handler(State(st): State<AppState>, s: SessionRow) -> AppResult<Json<Me>> {
    Ok(Json(
        me_for(&st, &s.account, s.id, s.stage, &s.csrf_token).await?,
    ))
}
