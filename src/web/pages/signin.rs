//! Signing in through the console: password, second factor, first-time enrolment of the second
//! factor, forced password change; signing out; the caller's own account page; the scope switcher.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};

use super::Form;
use serde::Deserialize;

use super::{Ctx, PageResult, Shell, assets, done, field, render, render_status};
use crate::app::AppState;
use crate::auth::login;
use crate::auth::sessions::{self, Stage};
use crate::auth::totp;
use crate::error::AppError;
use crate::web::auth_api::{ClientIp, cookies};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/login/continue", get(continue_page))
        .route("/login/totp", get(totp_page).post(totp_submit))
        .route(
            "/login/totp-setup",
            get(totp_setup_page).post(totp_setup_submit),
        )
        .route("/login/password", get(password_page).post(password_submit))
        .route("/logout", post(logout))
        .route("/", get(home))
        .route("/account", get(account_page))
        .route("/account/logout-all", post(logout_all))
        .route("/scope", post(switch_scope))
}

/// Where a sign-in continues from a stage.
fn stage_page(stage: Stage) -> &'static str {
    match stage {
        Stage::Totp => "/login/totp",
        Stage::Password => "/login/password",
        Stage::TotpSetup => "/login/totp-setup",
        Stage::Full => "/",
    }
}

/// Only our own pages are valid targets after signing in (no open redirect): a local path
/// with one leading `/`, no `//` or backslash anywhere (browsers read `/\\host` and, after
/// dropping tabs and line breaks, `/\t/host` as another site), no whitespace or control
/// characters. Anything else goes to the home page.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.into(),
        _ => "/".into(),
    }
}

fn is_local_path(n: &str) -> bool {
    n.starts_with('/')
        && n.len() <= 2000
        && !n.contains("//")
        && !n.contains('\\')
        && !n.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    title: &'static str,
    asset_v: &'static str,
    info: Option<&'static str>,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    why: Option<String>,
}

async fn login_page(Query(q): Query<LoginQuery>) -> PageResult {
    let info = match q.why.as_deref() {
        Some("SESSION_EXPIRED") => {
            Some("登录已超时（长时间未操作或已达登录时长上限），请重新登录。")
        }
        Some("SESSION_ENDED") => Some("您已退出登录，或该登录已在别处被结束，请重新登录。"),
        Some("ACCOUNT_DISABLED") => Some("账号已停用，请联系系统管理员。"),
        Some("logged_out") => Some("您已安全退出。"),
        _ => None,
    };
    render(LoginPage {
        title: "登录",
        asset_v: assets::version(),
        info,
        error: None,
        username: String::new(),
        next: safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login_submit(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let next = safe_next(f.next.as_deref());
    match login::login(&st.auth, &st.reg, &f.username, &f.password, &ip).await {
        Ok(ok) => {
            let max_age = i64::from(st.auth.settings.max_hours) * 3600;
            let to = if ok.stage == Stage::Full {
                next
            } else {
                stage_page(ok.stage).to_string()
            };
            Ok((
                cookies(&st, &ok.session.token, &ok.session.csrf_token, max_age),
                Redirect::to(&to),
            )
                .into_response())
        }
        Err(e) if e.status().is_client_error() => {
            let page = LoginPage {
                title: "登录",
                asset_v: assets::version(),
                info: None,
                error: Some(e.message().to_string()),
                username: f.username.chars().take(64).collect(),
                next,
            };
            render_status(e.status(), page)
        }
        Err(e) => Err(e.into()),
    }
}

async fn continue_page(ctx: Ctx) -> PageResult {
    Ok(Redirect::to(stage_page(ctx.session.stage)).into_response())
}

#[derive(Template)]
#[template(path = "auth/totp.html")]
struct TotpPage {
    title: &'static str,
    asset_v: &'static str,
    info: Option<&'static str>,
    error: Option<String>,
    csrf: String,
}

fn totp_page_with(ctx: &Ctx, error: Option<String>) -> TotpPage {
    TotpPage {
        title: "动态口令",
        asset_v: assets::version(),
        info: None,
        error,
        csrf: ctx.session.csrf_token.clone(),
    }
}

async fn totp_page(ctx: Ctx) -> PageResult {
    if ctx.session.stage != Stage::Totp {
        return Ok(Redirect::to(stage_page(ctx.session.stage)).into_response());
    }
    render(totp_page_with(&ctx, None))
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

async fn totp_submit(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    ctx: Ctx,
    Form(f): Form<CodeForm>,
) -> PageResult {
    match login::verify_totp(&st.auth, &st.reg, &ctx.session, &f.code, &ip).await {
        Ok(next) => Ok(Redirect::to(stage_page(next)).into_response()),
        Err(e) if e.status().is_client_error() => {
            let page = totp_page_with(&ctx, Some(e.message().to_string()));
            render_status(e.status(), page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "auth/totp_setup.html")]
struct TotpSetupPage {
    title: &'static str,
    asset_v: &'static str,
    info: Option<&'static str>,
    error: Option<String>,
    csrf: String,
    secret: String,
    uri: String,
    /// The otpauth link as a QR code for the authenticator app's camera, drawn here as SVG.
    qr_svg: String,
}

/// An SVG QR code of `data`, for embedding in the page (no XML declaration).
fn qr_svg(data: &str) -> String {
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build();
            match svg.find("<svg") {
                Some(at) => svg[at..].to_string(),
                None => svg,
            }
        }
        // Too long for a QR code: the secret and the link below still work.
        Err(_) => String::new(),
    }
}

fn totp_setup_with(ctx: &Ctx, secret: String, error: Option<String>) -> TotpSetupPage {
    let uri = totp::otpauth_uri(&secret, &ctx.session.account.username);
    TotpSetupPage {
        title: "绑定动态口令",
        asset_v: assets::version(),
        info: Some(
            "管理员账号须使用双因素登录：请在手机上的身份验证器应用中添加以下密钥，然后输入它显示的6位动态口令。",
        ),
        error,
        csrf: ctx.session.csrf_token.clone(),
        qr_svg: qr_svg(&uri),
        uri,
        secret,
    }
}

async fn totp_setup_page(ctx: Ctx) -> PageResult {
    if ctx.session.stage != Stage::TotpSetup {
        return Ok(Redirect::to(stage_page(ctx.session.stage)).into_response());
    }
    let secret = totp::encode(&totp::new_secret());
    render(totp_setup_with(&ctx, secret, None))
}

#[derive(Deserialize)]
struct TotpSetupForm {
    secret: String,
    code: String,
}

async fn totp_setup_submit(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    ctx: Ctx,
    Form(f): Form<TotpSetupForm>,
) -> PageResult {
    match login::confirm_totp_setup(&st.auth, &st.reg, &ctx.session, &f.secret, &f.code, &ip).await
    {
        Ok(next) => Ok(Redirect::to(stage_page(next)).into_response()),
        Err(e) if e.status().is_client_error() => {
            let page = totp_setup_with(&ctx, f.secret.clone(), Some(e.message().to_string()));
            render_status(e.status(), page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    title: &'static str,
    asset_v: &'static str,
    info: Option<&'static str>,
    error: Option<String>,
    csrf: String,
    policy: String,
    /// Signed in already (changing by choice) rather than forced.
    voluntary: bool,
    /// For an initial password: when and from where it was first used.
    first_use: Option<String>,
}

/// "2026-12-01 10:22 从 10.0.0.5" for a time and address shown to the person.
pub(crate) fn when_and_where(at: i64, ip: Option<&str>) -> String {
    let when = chrono::DateTime::from_timestamp_millis(at)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    match ip {
        Some(ip) => format!("{when} 从 {ip}"),
        None => when,
    }
}

fn password_page_with(st: &AppState, ctx: &Ctx, error: Option<String>) -> PasswordPage {
    let voluntary = ctx.session.stage == Stage::Full;
    let a = &ctx.session.account;
    let first_use = a.activation_hash.as_ref().map(|_| match a.activated_at {
        Some(at) => format!(
            "此账号的初始口令于 {} 首次使用；如果那不是您本人，请立即联系安全管理员。",
            when_and_where(at, a.activated_ip.as_deref())
        ),
        None => String::new(),
    });
    PasswordPage {
        first_use,
        title: "修改密码",
        asset_v: assets::version(),
        info: (!voluntary).then_some("首次登录、密码被重置或密码已过期时，须先设置新密码。"),
        error,
        csrf: ctx.session.csrf_token.clone(),
        policy: st.auth.settings.policy.describe(),
        voluntary,
    }
}

async fn password_page(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    if !matches!(ctx.session.stage, Stage::Password | Stage::Full) {
        return Ok(Redirect::to(stage_page(ctx.session.stage)).into_response());
    }
    render(password_page_with(&st, &ctx, None))
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn password_submit(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let result = if f.new_password != f.confirm_password {
        Err(AppError::invalid("两次输入的新密码不一致"))
    } else {
        login::change_password(
            &st.auth,
            &st.reg,
            &ctx.session,
            &f.current_password,
            &f.new_password,
            &ip,
        )
        .await
    };
    match result {
        Ok(_) if ctx.session.stage == Stage::Full => done("/account", "password"),
        Ok(next) => Ok(Redirect::to(stage_page(next)).into_response()),
        Err(e) if e.status().is_client_error() => {
            let page = password_page_with(&st, &ctx, Some(e.message().to_string()));
            render_status(e.status(), page)
        }
        Err(e) => Err(e.into()),
    }
}

async fn logout(State(st): State<AppState>, ClientIp(ip): ClientIp, ctx: Ctx) -> PageResult {
    login::logout(&st.auth, &st.reg, &ctx.session, false, &ip).await?;
    Ok(signed_out(&st))
}

/// The answer to a sign-out: the cookies cleared, and the browser told to drop what it
/// kept of this site (its page cache and back-forward cache), so that the back button
/// cannot bring a member's page back; then the sign-in page.
fn signed_out(st: &AppState) -> axum::response::Response {
    (
        cookies(st, "", "", 0),
        [(
            axum::http::HeaderName::from_static("clear-site-data"),
            axum::http::HeaderValue::from_static("\"cache\""),
        )],
        Redirect::to("/login?why=logged_out"),
    )
        .into_response()
}

async fn logout_all(State(st): State<AppState>, ClientIp(ip): ClientIp, ctx: Ctx) -> PageResult {
    if ctx.session.stage != Stage::Full {
        return Ok(Redirect::to(stage_page(ctx.session.stage)).into_response());
    }
    login::logout(&st.auth, &st.reg, &ctx.session, true, &ip).await?;
    Ok(signed_out(&st))
}

async fn home(ctx: Ctx) -> PageResult {
    if ctx.session.stage != Stage::Full {
        return Ok(Redirect::to(stage_page(ctx.session.stage)).into_response());
    }
    Ok(Redirect::to(ctx.home()).into_response())
}

#[derive(Template)]
#[template(path = "auth/account.html")]
struct AccountPage {
    shell: Shell,
    username: String,
    role_label: &'static str,
    org_name: String,
    permissions: Vec<&'static str>,
    previous_sign_in: Option<String>,
    activated: Option<String>,
}

async fn account_page(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    if ctx.session.stage != Stage::Full {
        return Ok(Redirect::to(stage_page(ctx.session.stage)).into_response());
    }
    let a = &ctx.session.account;
    let previous = sessions::previous(&st.reg.db, a.id, ctx.session.id).await?;
    render(AccountPage {
        previous_sign_in: previous.map(|(at, ip)| when_and_where(at, ip.as_deref())),
        activated: a
            .activated_at
            .map(|at| when_and_where(at, a.activated_ip.as_deref())),
        shell: ctx.shell("我的账号", "account"),
        username: a.username.clone(),
        role_label: a.role.map(|r| r.label()).unwrap_or("未知"),
        org_name: a.org_name.clone().unwrap_or_else(|| "全平台".into()),
        permissions: ctx
            .caller
            .perms
            .list()
            .into_iter()
            .map(|p| p.label())
            .collect(),
    })
}

#[derive(Deserialize)]
struct ScopeForm {
    org: Option<String>,
    back: Option<String>,
}

/// Narrows every page (and API call) of this session to one union of the caller's subtree, or
/// widens it back.
async fn switch_scope(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ScopeForm>,
) -> PageResult {
    let own = ctx.session.account.scope();
    let org_id = match field(&f.org) {
        Some(code) => Some(
            crate::registry::orgs::get_by_code(&st.reg.db, &own, &code)
                .await?
                .id,
        ),
        None => None,
    };
    sessions::set_narrow(&st.reg.db, ctx.session.id, org_id).await?;
    let back = safe_next(f.back.as_deref());
    let back = if back == "/" {
        ctx.home().to_string()
    } else {
        back
    };
    done(&back, "scope")
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        for ok in ["/", "/members?q=%E5%BC%A0&page=2", "/orgs/C001"] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
        for bad in [
            "//evil.example/",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\\evil.example",
            "/a\\b",
            "https://evil.example/",
            "evil.example",
            "/ /evil.example",
            "/x//y",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
