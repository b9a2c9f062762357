//! Administration pages: accounts and roles (系统管理员 creates, enables and resets; 安全管理员
//! grants roles and scopes, unlocks, resets second factors) and the audit log viewer with the
//! chain check (审计管理员). Each action is the same function the API calls.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};

use super::Form;
use serde::Deserialize;

use super::{Ctx, PageResult, Shell, done, field, render, render_invalid};
use crate::app::AppState;
use crate::audit::verify::{self, Report};
use crate::audit::{self, AuditFilter, AuditRow, describe};
use crate::auth::accounts::{self, AccountView, NewAccount, RoleChange};
use crate::auth::login;
use crate::auth::permissions::{Perm, Role};
use crate::error::AppError;
use crate::web::api::parse_id;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list))
        .route("/accounts/new", get(new_form).post(create))
        .route("/accounts/{id}", get(show))
        .route("/accounts/{id}/status", post(set_status))
        .route("/accounts/{id}/reset-password", post(reset_password))
        .route("/accounts/{id}/approve", post(approve))
        .route("/accounts/{id}/role", post(set_role))
        .route("/accounts/{id}/unlock", post(unlock))
        .route("/accounts/{id}/reset-totp", post(reset_totp))
        .route("/audit", get(audit_list))
        .route("/audit/verify", get(audit_verify))
}

const ROLES: [Role; 7] = [
    Role::SysAdmin,
    Role::SecAdmin,
    Role::AuditAdmin,
    Role::Cadre,
    Role::Officer,
    Role::Auditor,
    Role::Member,
];

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct ListPage {
    shell: Shell,
    accounts: Vec<AccountView>,
    can_manage: bool,
}

async fn list(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    render(ListPage {
        shell: ctx.shell("账号与角色", "accounts"),
        accounts: accounts::list(&st.reg.db, &ctx.caller.scope).await?,
        can_manage: ctx.can(Perm::AccountManage),
    })
}

#[derive(Template)]
#[template(path = "admin/account.html")]
struct ShowPage {
    shell: Shell,
    a: AccountView,
    roles: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    can_grant: bool,
    /// A half of an initial password just issued (shown once): `(which, half)`.
    password: Option<(&'static str, String)>,
    error: Option<String>,
    /// A union chosen in the tree for the role forms.
    chosen_org: Option<String>,
}

impl ShowPage {
    fn org_value(&self) -> String {
        self.chosen_org
            .clone()
            .or_else(|| self.a.org_code.clone())
            .unwrap_or_default()
    }
}

async fn show_page(st: &AppState, ctx: &Ctx, id: i64) -> Result<ShowPage, AppError> {
    let a = accounts::get_in_scope(&st.reg.db, &ctx.caller.scope, id).await?;
    Ok(ShowPage {
        shell: ctx.shell(format!("账号 · {}", a.username), "accounts"),
        a: AccountView::from(&a),
        roles: ROLES.iter().map(|r| (r.code(), r.label())).collect(),
        can_manage: ctx.can(Perm::AccountManage),
        can_grant: ctx.can(Perm::AccountGrant),
        password: None,
        error: None,
        chosen_org: None,
    })
}

async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ChosenQuery>,
) -> PageResult {
    let id = parse_id(&id, "账号")?;
    let mut page = show_page(&st, &ctx, id).await?;
    page.chosen_org = field(&q.org_code);
    // A half of an initial password issued by the post that led here, shown this once.
    if let Some(v) = st.once.take(ctx.session.id, &format!("password:{id}")) {
        let which = if v.first().is_some_and(|w| w == "第二段") {
            "第二段"
        } else {
            "第一段"
        };
        page.password = v.get(1).map(|half| (which, half.clone()));
    }
    render(page)
}

/// Keeps a just-issued password half for the account page and goes there (post/redirect/get:
/// reloading the page neither shows it again nor issues another).
fn show_password_once(st: &AppState, ctx: &Ctx, id: i64, which: &str, half: String) -> PageResult {
    st.once.put(
        ctx.session.id,
        &format!("password:{id}"),
        vec![which.to_string(), half],
    );
    super::redirect(&format!("/accounts/{id}"))
}

#[derive(Template)]
#[template(path = "admin/account_new.html")]
struct NewPage {
    shell: Shell,
    roles: Vec<(&'static str, &'static str)>,
    username: String,
    display_name: String,
    role: String,
    org_code: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct NewForm {
    username: Option<String>,
    display_name: Option<String>,
    role: Option<String>,
    org_code: Option<String>,
}

fn new_page(ctx: &Ctx, f: NewForm) -> NewPage {
    NewPage {
        shell: ctx.shell("新建账号", "accounts"),
        roles: [Role::Cadre, Role::Officer, Role::Auditor]
            .iter()
            .map(|r| (r.code(), r.label()))
            .collect(),
        username: f.username.unwrap_or_default(),
        display_name: f.display_name.unwrap_or_default(),
        role: f.role.unwrap_or_else(|| "cadre".into()),
        org_code: f.org_code.unwrap_or_default(),
        error: None,
    }
}

#[derive(Deserialize)]
struct ChosenQuery {
    /// A union chosen in the tree (`/pick/tree`).
    org_code: Option<String>,
}

async fn new_form(ctx: Ctx, Query(q): Query<ChosenQuery>) -> PageResult {
    render(new_page(
        &ctx,
        NewForm {
            org_code: field(&q.org_code),
            ..Default::default()
        },
    ))
}

async fn create(State(st): State<AppState>, ctx: Ctx, Form(f): Form<NewForm>) -> PageResult {
    let input = NewAccount {
        username: field(&f.username).unwrap_or_default(),
        display_name: field(&f.display_name).unwrap_or_default(),
        role: field(&f.role).unwrap_or_default(),
        org_code: field(&f.org_code),
        member_id: None,
        modules: Vec::new(),
    };
    let mut page = new_page(&ctx, f);
    match accounts::create(
        &st.reg.db,
        &ctx.caller.actor(&st.reg.keys),
        &input,
        st.auth.now(),
    )
    .await
    {
        Ok((account, half)) => show_password_once(&st, &ctx, account.id, "第一段", half),
        Err(e) if e.status().is_client_error() => {
            page.error = Some(e.message().into());
            render_invalid(page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
}

async fn set_status(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    let id = parse_id(&id, "账号")?;
    accounts::set_status(
        &st.reg.db,
        &ctx.caller.actor(&st.reg.keys),
        id,
        f.status == "active",
        st.auth.now(),
    )
    .await?;
    done(&format!("/accounts/{id}"), "account")
}

async fn reset_password(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = parse_id(&id, "账号")?;
    let (_, pw) = accounts::reset_password(
        &st.reg.db,
        &ctx.caller.actor(&st.reg.keys),
        id,
        st.auth.now(),
    )
    .await?;
    show_password_once(&st, &ctx, id, "第一段", pw)
}

#[derive(Deserialize)]
struct ApproveForm {
    role: Option<String>,
    org_code: Option<String>,
}

async fn approve(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ApproveForm>,
) -> PageResult {
    let id = parse_id(&id, "账号")?;
    let change = field(&f.role).map(|role| RoleChange {
        role,
        org_code: field(&f.org_code),
        member_id: None,
        modules: Vec::new(),
    });
    match accounts::approve(
        &st.reg.db,
        &ctx.caller.actor(&st.reg.keys),
        id,
        change.as_ref(),
        st.auth.now(),
    )
    .await
    {
        Ok((_, half)) => show_password_once(&st, &ctx, id, "第二段", half),
        Err(e) if e.status().is_client_error() => {
            let mut page = show_page(&st, &ctx, id).await?;
            page.error = Some(e.message().into());
            render_invalid(page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
    org_code: Option<String>,
}

async fn set_role(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> PageResult {
    let id = parse_id(&id, "账号")?;
    let change = RoleChange {
        role: f.role,
        org_code: field(&f.org_code),
        member_id: None,
        modules: Vec::new(),
    };
    match accounts::set_role(
        &st.reg.db,
        &ctx.caller.actor(&st.reg.keys),
        id,
        &change,
        st.auth.now(),
    )
    .await
    {
        Ok(_) => done(&format!("/accounts/{id}"), "account"),
        Err(e) if e.status().is_client_error() => {
            let mut page = show_page(&st, &ctx, id).await?;
            page.error = Some(e.message().into());
            render_invalid(page)
        }
        Err(e) => Err(e.into()),
    }
}

async fn unlock(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let actor = ctx.caller.actor(&st.reg.keys);
    let a = login::unlock_account(&st.reg, &actor, st.auth.now(), parse_id(&id, "账号")?).await?;
    done(&format!("/accounts/{}", a.id), "account")
}

async fn reset_totp(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id, "账号")?;
    accounts::reset_totp(
        &st.reg.db,
        &ctx.caller.actor(&st.reg.keys),
        id,
        st.auth.now(),
    )
    .await?;
    done(&format!("/accounts/{id}"), "account")
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    shell: Shell,
    f: AuditFilter,
    rows: Vec<AuditLine>,
    groups: &'static [(&'static str, &'static str)],
    pager: super::Pager,
}

/// One row of the audit trail as the page reads it.
struct AuditLine {
    seq: i64,
    at: i64,
    actor: String,
    ip: Option<String>,
    action: String,
    action_label: &'static str,
    target: String,
    ok: bool,
    outcome_label: &'static str,
    detail: String,
}

/// Names of the records rows point at: members masked, unions, accounts, employers, tokens.
async fn target_names(
    db: &crate::db::Db,
    rows: &[AuditRow],
) -> Result<std::collections::HashMap<(String, String), String>, AppError> {
    use std::collections::HashMap;
    let mut wanted: HashMap<&str, Vec<String>> = HashMap::new();
    for r in rows {
        if let (Some(t), Some(id)) = (r.target_type.as_deref(), r.target_id.as_deref()) {
            wanted.entry(t).or_default().push(id.to_string());
        }
    }
    let mut names = HashMap::new();
    for (kind, ids) in wanted {
        // Records are found by their key (an index), never by a cast of it.
        let sql = match kind {
            "member" => "SELECT id, name FROM members WHERE id IN",
            "org" => "SELECT id, name FROM orgs WHERE id IN",
            "account" => "SELECT id, username FROM accounts WHERE id IN",
            "token" => "SELECT id, name FROM api_tokens WHERE id IN",
            "transfer" => {
                "SELECT t.id, m.name FROM transfers t JOIN members m ON m.id = t.member_id WHERE t.id IN"
            }
            "unit" => {
                let sql = format!(
                    "SELECT uscc, name FROM units WHERE uscc IN ({})",
                    crate::db::in_list(ids.len())
                );
                let mut q = sqlx::query_as::<_, (String, String)>(&sql);
                for id in &ids {
                    q = q.bind(id);
                }
                for (uscc, name) in q.fetch_all(db.pool()).await? {
                    names.insert((kind.to_string(), uscc), name);
                }
                continue;
            }
            _ => continue,
        };
        let ids: Vec<i64> = ids.iter().filter_map(|i| i.parse().ok()).collect();
        if ids.is_empty() {
            continue;
        }
        let sql = format!("{sql} ({})", crate::db::in_list(ids.len()));
        let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        for (id, name) in q.fetch_all(db.pool()).await? {
            let shown = match kind {
                "member" | "transfer" => crate::crypto::mask_name(&name),
                _ => name,
            };
            names.insert((kind.to_string(), id.to_string()), shown);
        }
    }
    Ok(names)
}

fn target_text(
    kind: Option<&str>,
    id: Option<&str>,
    names: &std::collections::HashMap<(String, String), String>,
) -> String {
    let (Some(kind), Some(id)) = (kind, id) else {
        return String::new();
    };
    let label = match kind {
        "member" => "会员",
        "org" => "工会",
        "account" => "账号",
        "unit" => "单位",
        "token" => "令牌",
        "transfer" => "转会申请",
        "import_job" => "导入任务",
        "session" => "登录会话",
        _ => "记录",
    };
    match names.get(&(kind.to_string(), id.to_string())) {
        Some(name) if kind == "transfer" => format!("{label}（{name}）"),
        Some(name) => format!("{label} {name}"),
        None if matches!(kind, "session" | "import_job") => label.to_string(),
        None => format!("{label}（已不存在）"),
    }
}

impl AuditPage {
    fn v(&self, name: &str) -> String {
        match name {
            "actor" => &self.f.actor,
            "action" => &self.f.action,
            "outcome" => &self.f.outcome,
            "from" => &self.f.from,
            "to" => &self.f.to,
            _ => &None,
        }
        .clone()
        .unwrap_or_default()
    }

    fn when(&self, ms: &i64) -> String {
        chrono::DateTime::from_timestamp_millis(*ms)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

async fn audit_list(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let page = field(&q.page)
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1);
    let f = AuditFilter {
        actor: field(&q.actor),
        action: field(&q.action),
        target_type: None,
        target_id: None,
        outcome: field(&q.outcome),
        from: field(&q.from),
        to: field(&q.to),
        page: Some(page),
        per_page: Some(50),
    };
    let result = audit::list(&st.reg.db, &ctx.caller.scope, &f).await?;
    let pager = super::Pager::new(
        "/audit",
        &[
            ("actor", f.actor.clone()),
            ("action", f.action.clone()),
            ("outcome", f.outcome.clone()),
            ("from", f.from.clone()),
            ("to", f.to.clone()),
        ],
        i64::from(page),
        50,
        result.total,
        "条",
    );
    let names = target_names(&st.reg.db, &result.rows).await?;
    let rows = result
        .rows
        .into_iter()
        .map(|r| {
            let detail: serde_json::Value = serde_json::from_str(&r.detail).unwrap_or_default();
            AuditLine {
                target: target_text(r.target_type.as_deref(), r.target_id.as_deref(), &names),
                action_label: describe::action_label(&r.action),
                detail: describe::describe(&r.action, &detail),
                ok: r.outcome == "ok",
                outcome_label: match r.outcome.as_str() {
                    "ok" => "成功",
                    "denied" => "拒绝",
                    _ => "失败",
                },
                seq: r.seq,
                at: r.at,
                actor: r.actor,
                ip: r.ip,
                action: r.action,
            }
        })
        .collect();
    render(AuditPage {
        shell: ctx.shell("审计日志", "audit"),
        rows,
        groups: describe::FILTER_GROUPS,
        pager,
        f,
    })
}

#[derive(Template)]
#[template(path = "admin/verify.html")]
struct VerifyPage {
    shell: Shell,
    report: Report,
}

async fn audit_verify(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    let key = crate::audit::ChainKey::from_keys(&st.reg.keys);
    let report = verify::verify(&st.reg.db, &key, &st.config.audit_sources()).await?;
    render(VerifyPage {
        shell: ctx.shell("审计链校验", "audit"),
        report,
    })
}
