//! The access guard in front of every API route: who is calling (session cookie or API token),
//! whether the session is still alive, CSRF for cookie-authenticated writes, and the permission
//! the route requires according to [`crate::auth::permissions::ROUTES`]. Handlers never decide
//! access themselves; they read the [`Caller`] and its scope.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::auth::permissions::{Access, access_for};
use crate::auth::sessions::{self, SessionRow, Stage};
use crate::auth::{Caller, tokens};
use crate::error::{AppError, AppResult};

pub const SESSION_COOKIE: &str = "gh_session";
pub const CSRF_COOKIE: &str = "gh_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The client address: the socket peer, or the last `X-Forwarded-For` hop behind a trusted proxy.
pub fn client_ip(st: &AppState, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if st.auth.settings.trust_proxy_headers
        && let Some(fwd) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(last) = fwd.rsplit(',').map(str::trim).find(|s| !s.is_empty())
    {
        return last.to_string();
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "-".into())
}

pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Finds the live session behind the request's cookie, ending it if it has run out.
async fn live_session(st: &AppState, headers: &HeaderMap) -> AppResult<SessionRow> {
    let token = cookie(headers, SESSION_COOKIE)
        .ok_or_else(|| AppError::unauthorized("UNAUTHENTICATED", "请先登录"))?;
    let s = sessions::find(&st.reg.db, token)
        .await?
        .ok_or_else(|| AppError::unauthorized("SESSION_INVALID", "登录状态无效，请重新登录"))?;
    if s.ended {
        return Err(AppError::unauthorized(
            "SESSION_ENDED",
            "您已退出登录或登录已失效，请重新登录",
        ));
    }
    let now = st.auth.now();
    let idle = now - s.last_seen_at >= st.auth.settings.idle_ms;
    if idle || now >= s.expires_at {
        sessions::end(&st.reg.db, s.id, now).await?;
        let why = if idle {
            "长时间未操作"
        } else {
            "登录时间已达上限"
        };
        return Err(AppError::unauthorized(
            "SESSION_EXPIRED",
            format!("{why}，登录已超时，请重新登录"),
        ));
    }
    if !s.account.active {
        sessions::end(&st.reg.db, s.id, now).await?;
        return Err(AppError::unauthorized(
            "ACCOUNT_DISABLED",
            "账号已停用，请联系系统管理员",
        ));
    }
    Ok(s)
}

fn caller_from_session(s: &SessionRow, ip: String) -> Caller {
    let role = s.account.role;
    let own = s.account.scope();
    // The console's scope switcher narrows the session to one union inside the account's scope.
    let scope = match &s.narrow {
        Some((_, path)) if own.contains(path) => crate::registry::scope::Scope::subtree(path),
        _ => own,
    };
    Caller {
        account_id: Some(s.account.id),
        token_id: None,
        name: s.account.username.clone(),
        role,
        perms: role.map(|r| r.perms()).unwrap_or_default(),
        scope,
        member_id: s.account.member_id,
        modules: s
            .account
            .modules
            .split(',')
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .collect(),
        session_id: Some(s.id),
        stage: s.stage,
        ip: Some(ip),
    }
}

fn stage_message(stage: Stage) -> &'static str {
    match stage {
        Stage::Totp => "请先输入动态口令完成登录",
        Stage::Password => "请先修改初始密码或已过期的密码",
        Stage::TotpSetup => "请先绑定动态口令（管理员账号须使用双因素登录）",
        Stage::Full => "",
    }
}

/// The guard itself (installed with `route_layer`, so the matched route is known).
pub async fn guard(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let sent = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    match check(&st, &mut req, &sent, access_for).await {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// Decides one request: looks up the route's access in `table`, authenticates the caller,
/// checks `csrf_sent` on unsafe methods of cookie sessions, the sign-in stage and the
/// permission. On success the [`Caller`] (and the session) are in the request's extensions.
pub(crate) async fn check(
    st: &AppState,
    req: &mut Request,
    csrf_sent: &str,
    table: fn(&Method, &str) -> Option<Access>,
) -> AppResult<()> {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let Some(access) = table(req.method(), &path) else {
        // A method the address does not declare (HEAD, OPTIONS, TRACE …) is the caller's
        // mistake; an address missing from the table altogether is ours.
        let allowed: Vec<&str> = ["GET", "POST", "PUT", "DELETE", "PATCH"]
            .into_iter()
            .filter(|m| Method::from_bytes(m.as_bytes()).is_ok_and(|m| table(&m, &path).is_some()))
            .collect();
        if !allowed.is_empty() {
            return Err(AppError::method_not_allowed(&allowed));
        }
        tracing::error!(method = %req.method(), %path, "route missing from the permission table; refused");
        return Err(AppError::forbidden("FORBIDDEN", "您没有执行此操作的权限"));
    };
    if access == Access::Public {
        return Ok(());
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let ip = client_ip(st, req.headers(), peer);
    let now = st.auth.now();
    let caller = if let Some(token) = bearer(req.headers()) {
        let Access::Need(_) = access else {
            return Err(AppError::unauthorized(
                "UNAUTHENTICATED",
                "此操作需要以账号登录",
            ));
        };
        let t = match tokens::find(&st.reg.db, token).await? {
            Some(t) if !t.revoked && t.creator_active && now < t.expires_at => t,
            _ => {
                return Err(AppError::unauthorized(
                    "TOKEN_INVALID",
                    "接口令牌无效、已过期、已被吊销，或签发人的账号已停用",
                ));
            }
        };
        tokens::mark_used(&st.reg.db, t.id, now).await?;
        Caller {
            account_id: None,
            token_id: Some(t.id),
            name: format!("token:{}", t.name),
            role: None,
            perms: t.perms,
            scope: t.scope,
            member_id: None,
            modules: Vec::new(),
            session_id: None,
            stage: Stage::Full,
            ip: Some(ip),
        }
    } else {
        let s = live_session(st, req.headers()).await?;
        if !is_safe(req.method()) && !constant_time_eq(csrf_sent, &s.csrf_token) {
            return Err(AppError::forbidden(
                "CSRF_FAILED",
                "请求缺少有效的防跨站令牌，请刷新页面后重试",
            ));
        }
        if now - s.last_seen_at > 15_000 {
            sessions::touch(&st.reg.db, s.id, now).await?;
        }
        let caller = caller_from_session(&s, ip);
        // The sign-in endpoints work on the session itself: hand it on instead of a second lookup.
        req.extensions_mut().insert(s);
        caller
    };
    if let Access::Need(perm) = access {
        if caller.stage != Stage::Full {
            return Err(AppError::forbidden(
                "LOGIN_INCOMPLETE",
                stage_message(caller.stage),
            ));
        }
        if !caller.perms.has(perm) {
            tracing::warn!(account_id = ?caller.account_id, token_id = ?caller.token_id, perm = perm.code(), %path, "permission denied");
            return Err(AppError::forbidden("FORBIDDEN", "您没有执行此操作的权限"));
        }
    }
    req.extensions_mut().insert(caller);
    Ok(())
}

/// A value the guard put into the request; missing only on a route the guard did not sign in.
fn placed_by_guard<T: Clone + Send + Sync + 'static>(
    parts: &axum::http::request::Parts,
) -> AppResult<T> {
    parts
        .extensions
        .get::<T>()
        .cloned()
        .ok_or_else(|| AppError::unauthorized("UNAUTHENTICATED", "请先登录"))
}

/// The caller placed by the guard.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        placed_by_guard(parts)
    }
}

/// The live session the guard found (sign-in endpoints only; API tokens have none).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SessionRow {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        placed_by_guard(parts)
    }
}
