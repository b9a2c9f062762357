//! The web console: server-rendered pages in Simplified Chinese for cadres and administrators.
//! Every page route is listed in [`crate::auth::permissions::PAGES`] and passes the same access
//! check as the API ([`super::guard::check`]); a refusal becomes a sign-in redirect or an error
//! page instead of JSON. Forms post `application/x-www-form-urlencoded` with a hidden `_csrf`
//! field, so every flow works without JavaScript; `assets/app.js` only adds conveniences.

pub mod activities;
pub mod admin;
pub mod aid;
pub mod assets;
pub mod case_files;
pub mod casework;
pub mod charts;
pub mod contracts;
pub mod dashboard;
pub mod figures;
pub mod funds;
pub mod honours;
pub mod imports;
pub mod innovation;
pub mod members;
pub mod mutual;
pub mod once;
pub mod orgs;
pub mod pick;
pub mod research;
pub mod signin;
pub mod transfers;
pub mod units;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::guard::{self, CSRF_HEADER};
use crate::app::AppState;
use crate::auth::Caller;
use crate::auth::permissions::{Perm, page_access_for};
use crate::auth::sessions::SessionRow;
use crate::error::AppError;

pub fn router(st: AppState) -> Router<AppState> {
    Router::new()
        .merge(signin::router())
        .merge(dashboard::router())
        .merge(figures::router())
        .merge(orgs::router())
        .merge(units::router())
        .merge(members::router())
        .merge(transfers::router())
        .merge(casework::router())
        .merge(aid::router())
        .merge(funds::router())
        .merge(mutual::router())
        .merge(contracts::router())
        .merge(activities::router())
        .merge(honours::router())
        .merge(innovation::router())
        .merge(research::router())
        .merge(case_files::router(st.attachment_max_bytes()))
        .merge(imports::router(st.import_max_bytes()))
        .merge(admin::router())
        .merge(pick::router())
        .route_layer(axum::middleware::from_fn_with_state(st, page_guard))
        .merge(assets::router())
}

// ---------- access ----------

/// Urlencoded form bodies are small (the 2 MiB limit applies); reading one here lets the guard
/// see its `_csrf` field. Multipart uploads carry the token in the query string instead.
const FORM_LIMIT: usize = 2 * 1024 * 1024;

async fn csrf_sent(req: Request) -> Result<(Request, String), Response> {
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        let h = h.to_string();
        return Ok((req, h));
    }
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return Ok((req, String::new()));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| PageError(AppError::too_large("提交的内容过大")).into_response())?;
        let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "_csrf"))
            .map(|(_, v)| v)
            .unwrap_or_default();
        return Ok((
            Request::from_parts(parts, axum::body::Body::from(bytes)),
            token,
        ));
    }
    let token = req
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "_csrf"))
        .map(|(_, v)| v)
        .unwrap_or_default();
    Ok((req, token))
}

/// A state-changing request must come from one of our own pages (the browser names the origin).
fn foreign_origin(req: &Request) -> bool {
    let h = req.headers();
    match (
        h.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        h.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => {
            origin.split_once("://").map(|(_, o)| o).unwrap_or(origin) != host
        }
        _ => false,
    }
}

/// The console's guard: the API's access check, with refusals presented for people.
pub async fn page_guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD);
    if unsafe_method && foreign_origin(&req) {
        return PageError(AppError::forbidden(
            "CSRF_FAILED",
            "不接受来自其他网站的提交",
        ))
        .into_response();
    }
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let (mut req, sent) = match csrf_sent(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match guard::check(&st, &mut req, &sent, page_access_for).await {
        Ok(()) => next.run(req).await,
        Err(e) => refusal(e, &target, unsafe_method),
    }
}

fn refusal(e: AppError, target: &str, unsafe_method: bool) -> Response {
    // After signing in again, come back to the page (never to a form post).
    let next = if unsafe_method { "/" } else { target };
    let next = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    match e.code() {
        "UNAUTHENTICATED" | "SESSION_INVALID" => {
            Redirect::to(&format!("/login?{next}")).into_response()
        }
        "SESSION_EXPIRED" | "SESSION_ENDED" | "ACCOUNT_DISABLED" => {
            Redirect::to(&format!("/login?why={}&{next}", e.code())).into_response()
        }
        "LOGIN_INCOMPLETE" => Redirect::to("/login/continue").into_response(),
        _ => PageError(e).into_response(),
    }
}

// ---------- the signed-in context of a page ----------

/// A link in the side navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub key: &'static str,
}

/// A union the scope switcher offers.
pub struct ScopeChoice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// What the layout shows around every signed-in page.
pub struct Shell {
    pub title: String,
    pub active: &'static str,
    pub user: String,
    pub role_label: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// Name of the part of the hierarchy the pages show.
    pub scope_label: String,
    /// The account's own top and its direct children; empty when there is nothing to narrow to.
    pub scope_choices: Vec<ScopeChoice>,
    pub notice: Option<&'static str>,
    pub asset_v: &'static str,
}

const NAV: &[(&str, &str, &str, Option<Perm>)] = &[
    ("/dashboard", "工作台", "dashboard", Some(Perm::StatsRead)),
    ("/orgs", "工会组织", "orgs", Some(Perm::OrgRead)),
    ("/units", "用人单位", "units", Some(Perm::UnitRead)),
    ("/members", "会员", "members", Some(Perm::MemberRead)),
    ("/transfers", "转会", "transfers", Some(Perm::MemberRead)),
    ("/casework", "职工维权", "casework", Some(Perm::CaseWork)),
    ("/aid", "困难帮扶", "aid", Some(Perm::CaseWork)),
    ("/mutual", "医疗互助", "mutual", Some(Perm::CaseWork)),
    ("/funds", "工会经费", "funds", Some(Perm::CaseWork)),
    ("/contracts", "集体合同", "contracts", Some(Perm::CaseWork)),
    (
        "/activities",
        "职工活动",
        "activities",
        Some(Perm::CaseWork),
    ),
    ("/honours", "评先评优", "honours", Some(Perm::CaseWork)),
    (
        "/innovation",
        "职工创新",
        "innovation",
        Some(Perm::CaseWork),
    ),
    ("/research", "调研", "research", Some(Perm::CaseWork)),
    ("/ledger", "经审账目", "ledger", Some(Perm::FinanceRead)),
    ("/imports", "批量导入", "imports", Some(Perm::Import)),
    (
        "/accounts",
        "账号与角色",
        "accounts",
        Some(Perm::AccountRead),
    ),
    ("/audit", "审计日志", "audit", Some(Perm::AuditRead)),
    ("/account", "我的账号", "account", None),
];

/// The signed-in caller of a console page, its session and what the layout needs.
pub struct Ctx {
    pub caller: Caller,
    pub session: SessionRow,
    scope_label: String,
    scope_choices: Vec<ScopeChoice>,
    notice: Option<&'static str>,
}

impl Ctx {
    pub fn can(&self, p: Perm) -> bool {
        self.caller.perms.has(p)
    }

    pub fn shell(&self, title: impl Into<String>, active: &'static str) -> Shell {
        let a = &self.session.account;
        Shell {
            title: title.into(),
            active,
            user: if a.display_name.is_empty() {
                a.username.clone()
            } else {
                a.display_name.clone()
            },
            role_label: a.role.map(|r| r.label()).unwrap_or("未知"),
            csrf: self.session.csrf_token.clone(),
            nav: NAV
                .iter()
                .filter(|(_, _, _, p)| p.is_none_or(|p| self.caller.perms.has(p)))
                .map(|(href, label, key, _)| NavItem { href, label, key })
                .collect(),
            scope_label: self.scope_label.clone(),
            scope_choices: self
                .scope_choices
                .iter()
                .map(|c| ScopeChoice {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    selected: c.selected,
                })
                .collect(),
            notice: self.notice,
            asset_v: assets::version(),
        }
    }

    /// The home page of this caller's role.
    pub fn home(&self) -> &'static str {
        NAV.iter()
            .find(|(_, _, _, p)| p.is_none_or(|p| self.caller.perms.has(p)))
            .map(|(href, _, _, _)| *href)
            .unwrap_or("/account")
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, st).await?;
        let session = SessionRow::from_request_parts(parts, st).await?;
        let a = &session.account;
        let business = caller.perms.has(Perm::OrgRead);
        let narrowed = session.narrow.as_ref().map(|(code, _)| code.clone());
        let mut scope_label = a.org_name.clone().unwrap_or_else(|| "全平台".into());
        let mut scope_choices = Vec::new();
        if business {
            let children: Vec<(String, String)> = match a.org_id {
                Some(id) => sqlx::query_as(
                    "SELECT code, name FROM orgs WHERE parent_id = $1 AND status = 'active' ORDER BY path LIMIT 300",
                )
                .bind(id)
                .fetch_all(st.reg.db.pool())
                .await
                .map_err(AppError::from)?,
                None => sqlx::query_as(
                    "SELECT code, name FROM orgs WHERE depth = (SELECT MIN(depth) FROM orgs) ORDER BY path LIMIT 300",
                )
                .fetch_all(st.reg.db.pool())
                .await
                .map_err(AppError::from)?,
            };
            if !children.is_empty() {
                scope_choices.push(ScopeChoice {
                    code: String::new(),
                    name: format!("{scope_label}（全部）"),
                    selected: narrowed.is_none(),
                });
            }
            for (code, name) in children {
                if narrowed.as_deref() == Some(code.as_str()) {
                    scope_label = name.clone();
                }
                scope_choices.push(ScopeChoice {
                    selected: narrowed.as_deref() == Some(code.as_str()),
                    code,
                    name,
                });
            }
            // Narrowed below the children (not offered here): name it anyway.
            if let Some(code) = &narrowed
                && !scope_choices.iter().any(|c| &c.code == code)
                && let Ok(o) =
                    crate::registry::orgs::get_by_code(&st.reg.db, &caller.scope, code).await
            {
                scope_label = o.name;
            }
        }
        let notice = parts
            .uri
            .query()
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "done"))
            .and_then(|(_, v)| notice_text(&v));
        Ok(Ctx {
            caller,
            session,
            scope_label,
            scope_choices,
            notice,
        })
    }
}

/// Messages shown after a form succeeded and redirected (`?done=…`).
fn notice_text(key: &str) -> Option<&'static str> {
    Some(match key {
        "saved" => "已保存",
        "created" => "已创建",
        "moved" => "已调整上级工会",
        "closed" => "已注销该工会",
        "enrolled" => "已登记入会",
        "rejoined" => "已重新入会（此人曾是会员，原记录已恢复）",
        "enrol_updated" => "此人已是该工会会员，没有重复入会；已按本次填写更新其信息",
        "enrol_unchanged" => "此人已是该工会会员，信息与登记一致，没有任何变化",
        "event" => "已办理",
        "transfer_started" => "转会申请已提交，等待转入工会接收",
        "transfer_accepted" => "已接收转会，会员已转入",
        "transfer_declined" => "已退回转会申请",
        "transfer_cancelled" => "已撤回转会申请",
        "case_created" => "已登记",
        "case_step" => "已办理，已记入办理经过",
        "file_added" => "附件已上传",
        "file_removed" => "附件已移除，文件留存备查",
        "password" => "密码已修改",
        "scope" => "已切换查看范围",
        "account" => "账号已更新",
        _ => return None,
    })
}

// ---------- presenting ----------

/// A submitted form. A form the console did not produce (a field missing or malformed) gets
/// the error page in Chinese rather than the framework's English text.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Form<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::to_bytes(req.into_body(), FORM_LIMIT)
            .await
            .map_err(|_| PageError(AppError::too_large("提交的内容过大")))?;
        let malformed = |e: &dyn std::fmt::Display| {
            tracing::info!(error = %e, "form refused");
            PageError(AppError::bad_request(
                "表单内容不完整或格式有误，请返回刷新页面后重新填写",
            ))
        };
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|e| malformed(&e))?;
        if pairs.iter().any(|(k, v)| {
            k.chars()
                .chain(v.chars())
                .any(|c| crate::web::hardening::is_refused_char(c, true))
        }) {
            return Err(PageError(crate::web::hardening::control_char_error()));
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(Form)
            .map_err(|e| malformed(&e))
    }
}

/// An error shown to a person as a page.
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError(AppError::internal(e))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    asset_v: &'a str,
    status: u16,
    title: &'a str,
    message: &'a str,
    code: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        if e.status().is_server_error() {
            tracing::error!(code = e.code(), error = ?e, "page failed");
        }
        if e.status() == StatusCode::UNAUTHORIZED {
            return Redirect::to("/login").into_response();
        }
        let title = match e.status() {
            StatusCode::NOT_FOUND => "找不到页面",
            StatusCode::FORBIDDEN => "无权访问",
            s if s.is_server_error() => "系统出错了",
            _ => "无法完成操作",
        };
        let page = ErrorPage {
            asset_v: assets::version(),
            status: e.status().as_u16(),
            title,
            message: e.message(),
            code: e.code(),
        };
        let mut res = match page.render() {
            Ok(html) => (e.status(), Html(html)).into_response(),
            Err(_) => (e.status(), e.message().to_string()).into_response(),
        };
        if let Some(allow) = e.allow().and_then(|a| a.parse().ok()) {
            res.headers_mut().insert(header::ALLOW, allow);
        }
        res
    }
}

pub type PageResult = Result<Response, PageError>;

/// Renders a page template.
pub fn render(t: impl Template) -> PageResult {
    Ok(Html(t.render()?).into_response())
}

/// Renders a form again with its problems (422), keeping what was typed.
pub fn render_invalid(t: impl Template) -> PageResult {
    render_status(StatusCode::UNPROCESSABLE_ENTITY, t)
}

/// Renders a page with the status of the problem it reports.
pub fn render_status(status: StatusCode, t: impl Template) -> PageResult {
    Ok((status, Html(t.render()?)).into_response())
}

/// After a successful form whose page says what happened by itself (303 See Other).
pub fn redirect(to: &str) -> PageResult {
    Ok(Redirect::to(to).into_response())
}

/// The words of a refusal with its field problems, as a form's page shows them.
pub fn problem(e: &AppError) -> String {
    let mut m = e.message().to_string();
    for i in e.fields() {
        m.push_str(&format!("；{}：{}", i.field, i.message));
    }
    m
}

/// A refusal the person can correct on the form (not a missing record).
pub fn correctable(e: &AppError) -> bool {
    e.status().is_client_error() && e.status() != StatusCode::NOT_FOUND
}

/// After a form: done, to the page `result` names with a notice; refused in a way the person
/// can correct, the form's page again (`again`, given the words of the refusal); otherwise the
/// error's own page.
pub async fn after_form<Fut>(
    result: Result<String, AppError>,
    again: impl FnOnce(String) -> Fut,
) -> PageResult
where
    Fut: std::future::Future<Output = PageResult>,
{
    match result {
        Ok(to) => done(&to, "saved"),
        Err(e) if correctable(&e) => again(problem(&e)).await,
        Err(e) => Err(e.into()),
    }
}

/// After a successful form: back to a page, with a notice.
pub fn done(to: &str, notice: &str) -> PageResult {
    let sep = if to.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{to}{sep}done={notice}")).into_response())
}

/// The foot of every list: its total, its pages, the links either side and a jump to any page.
/// `params` is the list's query (filters and search) without the page.
pub struct Pager {
    pub path: String,
    pub params: Vec<(&'static str, String)>,
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    /// What is counted: 人, 个, 家, 条.
    pub unit: &'static str,
    /// The total is a lower bound (a broad search counted up to a limit).
    pub more: bool,
    /// Pages follow beyond `pages` (known from the page itself when the total is a bound).
    pub more_pages: bool,
}

impl Pager {
    pub fn new(
        path: &str,
        params: &[(&'static str, Option<String>)],
        page: i64,
        per_page: i64,
        total: i64,
        unit: &'static str,
    ) -> Pager {
        Pager {
            path: path.into(),
            params: params
                .iter()
                .filter_map(|(k, v)| v.clone().filter(|v| !v.is_empty()).map(|v| (*k, v)))
                .collect(),
            page,
            pages: ((total + per_page - 1) / per_page.max(1)).max(1),
            total,
            unit,
            more: false,
            more_pages: false,
        }
    }

    /// The same pager whose total is only a lower bound.
    pub fn at_least(self, more: bool) -> Pager {
        Pager { more, ..self }
    }

    /// The list with the same filters, at page `n`.
    pub fn link(&self, n: i64) -> String {
        let mut pairs: Vec<(&str, String)> =
            self.params.iter().map(|(k, v)| (*k, v.clone())).collect();
        if n > 1 {
            pairs.push(("page", n.to_string()));
        }
        let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
        if q.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{q}", self.path)
        }
    }

    pub fn prev(&self) -> Option<String> {
        (self.page > 1).then(|| self.link(self.page - 1))
    }

    pub fn next(&self) -> Option<String> {
        (self.page < self.pages || self.more_pages).then(|| self.link(self.page + 1))
    }

    pub fn total_text(&self) -> String {
        thousands(self.total)
    }
}

/// A coded list's (code, label) pairs, for a form's select.
pub fn choices<T: crate::workflow::Named>() -> Vec<(&'static str, &'static str)> {
    T::all().iter().map(|v| (v.code(), v.label())).collect()
}

/// Money shown in 元 with two decimals: a page whose template shows amounts in fen implements
/// it (`self.yuan(x.amount_fen)`).
pub trait Yuan {
    fn yuan(&self, fen: &i64) -> String {
        crate::types::Fen(*fen).to_string()
    }
}

/// A form's fields as typed (name, value), to show again with its refusal.
pub type Typed = Vec<(String, String)>;

/// What was typed in the field `key`, or nothing.
pub fn typed_value<'a>(typed: &'a Typed, key: &str) -> &'a str {
    typed
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// The field `key` of a form, trimmed; `None` when missing or blank.
pub fn one(pairs: &Typed, key: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A form field: trimmed, `None` when blank.
pub fn field(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Query-string form of a filter, for pagination and export links.
pub fn query_of(pairs: &[(&str, Option<String>)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

pub fn org_kind_label(code: &str) -> &'static str {
    crate::registry::orgs::OrgKind::parse(code)
        .map(|k| k.label())
        .unwrap_or("未知")
}

pub fn member_status_label(s: &str) -> &'static str {
    match s {
        "active" => "在会",
        "retired" => "退休（保留会籍）",
        "left" => "已离会",
        "deceased" => "已故",
        _ => "未知",
    }
}

/// Thousands separators for figures on cards.
pub fn thousands(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(482_900), "482,900");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
    }

    #[test]
    fn query_strings_keep_only_filled_fields_and_encode_them() {
        assert_eq!(
            query_of(&[
                ("q", Some("张 三".into())),
                ("org", None),
                ("status", Some(String::new()))
            ]),
            "q=%E5%BC%A0+%E4%B8%89"
        );
    }
}
