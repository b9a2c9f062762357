//! Accounts: cadres bound to one union node with one role, and member accounts bound to one
//! member record. Administrators manage them within their own subtree; every change is audited.
//!
//! No single administrator can sign in as an account they made (三员分立): the system
//! administrator creates an account (or resets its password) and is shown the first half of
//! its initial password; the account waits (`pending`) until the security administrator
//! approves its role and scope and is shown the second half. Only the person, given both
//! halves, can sign in; the first use is recorded and shown to them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::password;
use super::permissions::Role;
use crate::audit::{self, Actor, Event};
use crate::db::{Db, Tx, col, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::orgs;
use crate::registry::scope::Scope;

/// Account columns needed on every request, selected with [`AUTH_JOINS`] (`a` = accounts).
pub const AUTH_COLUMNS: &str = "a.id, a.username, a.display_name, a.role, a.org_id, a.status, a.member_id, a.modules, a.password_hash, a.activation_hash, a.activated_at, a.activated_ip, a.must_change_password, a.password_changed_at, a.totp_secret_enc, a.totp_last_step, o.path AS org_path, o.code AS org_code, o.name AS org_name, m.org_path AS member_org_path";
pub const AUTH_JOINS: &str =
    "LEFT JOIN orgs o ON o.id = a.org_id LEFT JOIN members m ON m.id = a.member_id";

/// An account as the access checks see it.
#[derive(Debug, Clone)]
pub struct AccountAuth {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Option<Role>,
    pub org_id: Option<i64>,
    pub org_path: Option<String>,
    pub org_code: Option<String>,
    pub org_name: Option<String>,
    pub member_id: Option<i64>,
    pub member_org_path: Option<String>,
    pub modules: String,
    /// `active`, `pending` (waiting for the security administrator) or `disabled`.
    pub status: String,
    pub active: bool,
    /// Hash of the first half of an initial password (or of the whole password).
    pub password_hash: String,
    /// Hash of the second half of an initial password, until the person sets their own.
    pub activation_hash: Option<String>,
    /// When and from where the initial password was first used.
    pub activated_at: Option<i64>,
    pub activated_ip: Option<String>,
    pub must_change_password: bool,
    pub password_changed_at: i64,
    pub totp_secret_enc: Option<Vec<u8>>,
    pub totp_last_step: i64,
}

impl AccountAuth {
    pub fn from_row(r: &sqlx::any::AnyRow) -> AppResult<AccountAuth> {
        Ok(AccountAuth {
            id: col(r, "id")?,
            username: col(r, "username")?,
            display_name: col(r, "display_name")?,
            role: Role::parse(&col::<String>(r, "role")?).ok(),
            org_id: col(r, "org_id")?,
            org_path: col(r, "org_path")?,
            org_code: col(r, "org_code")?,
            org_name: col(r, "org_name")?,
            member_id: col(r, "member_id")?,
            member_org_path: col(r, "member_org_path")?,
            modules: col(r, "modules")?,
            status: col(r, "status")?,
            active: col::<String>(r, "status")? == "active",
            password_hash: col(r, "password_hash")?,
            activation_hash: col(r, "activation_hash")?,
            activated_at: col(r, "activated_at")?,
            activated_ip: col(r, "activated_ip")?,
            must_change_password: col::<i64>(r, "must_change_password")? != 0,
            password_changed_at: col(r, "password_changed_at")?,
            totp_secret_enc: col(r, "totp_secret_enc")?,
            totp_last_step: col(r, "totp_last_step")?,
        })
    }

    /// The subtree this account works in. An account not bound to a union works for the whole
    /// platform (the administrators created before any union exists); member accounts see no
    /// part of the registry through it, only their own record.
    pub fn scope(&self) -> Scope {
        match (&self.role, &self.org_path) {
            (Some(Role::Member), _) | (None, _) => Scope::nothing(),
            (_, Some(p)) => Scope::subtree(p),
            (_, None) => Scope::all(),
        }
    }

    /// Where the account sits, for administrators' scope checks.
    fn placement(&self) -> Option<&str> {
        self.org_path.as_deref().or(self.member_org_path.as_deref())
    }
}

pub async fn by_username(db: &Db, username: &str) -> AppResult<Option<AccountAuth>> {
    let row = sqlx::query(&format!(
        "SELECT {AUTH_COLUMNS} FROM accounts a {AUTH_JOINS} WHERE a.username = $1"
    ))
    .bind(username.trim().to_lowercase())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(AccountAuth::from_row).transpose()
}

pub async fn by_id(db: &Db, id: i64) -> AppResult<Option<AccountAuth>> {
    let row = sqlx::query(&format!(
        "SELECT {AUTH_COLUMNS} FROM accounts a {AUTH_JOINS} WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(AccountAuth::from_row).transpose()
}

/// What administrators see of an account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    pub org_code: Option<String>,
    pub org_name: Option<String>,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub member_id: Option<i64>,
    pub modules: Vec<String>,
    /// `active`, `pending` (waiting for the security administrator's approval) or `disabled`.
    pub status: String,
    pub status_label: String,
    pub totp_enrolled: bool,
    pub must_change_password: bool,
    /// When the initial password was first used (milliseconds since the Unix epoch).
    pub activated_at: Option<i64>,
}

impl From<&AccountAuth> for AccountView {
    fn from(a: &AccountAuth) -> AccountView {
        AccountView {
            id: a.id,
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role: a.role.map(Role::code).unwrap_or("unknown").to_string(),
            role_label: a.role.map(Role::label).unwrap_or("未知").to_string(),
            org_code: a.org_code.clone(),
            org_name: a.org_name.clone(),
            member_id: a.member_id,
            modules: split_modules(&a.modules),
            status: a.status.clone(),
            status_label: status_label(&a.status).to_string(),
            totp_enrolled: a.totp_secret_enc.is_some(),
            must_change_password: a.must_change_password,
            activated_at: a.activated_at,
        }
    }
}

pub fn status_label(status: &str) -> &'static str {
    match status {
        "active" => "启用",
        "pending" => "待安全管理员核准",
        _ => "停用",
    }
}

fn split_modules(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect()
}

/// Business modules a case officer can be named for (the later issues build them).
pub const MODULES: &[(&str, &str)] = &[
    ("hardship", "困难职工帮扶"),
    ("mutual_aid", "医疗互助"),
    ("funds", "工会经费"),
    ("grievance", "职工诉求与劳动争议调解"),
    ("contract", "集体合同"),
    ("competition", "职工活动、劳动竞赛与评先评优"),
    ("station", "服务站点"),
    ("coupon", "会员普惠"),
    ("jobs", "就业服务"),
];

fn validate_modules(role: Role, modules: &[String]) -> AppResult<String> {
    for m in modules {
        if !MODULES.iter().any(|(code, _)| code == m) {
            return Err(AppError::invalid(format!("未知的业务模块“{m}”")));
        }
    }
    if role == Role::Officer && modules.is_empty() {
        return Err(AppError::invalid("业务经办人须指定至少一个业务模块"));
    }
    if role != Role::Officer && !modules.is_empty() {
        return Err(AppError::invalid("只有业务经办人需要指定业务模块"));
    }
    Ok(modules.join(","))
}

pub fn validate_username(s: &str) -> AppResult<String> {
    let u = s.trim().to_lowercase();
    let ok = (3..=32).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && u.as_bytes()[0].is_ascii_lowercase();
    if !ok {
        return Err(AppError::invalid(
            "用户名须为3至32位小写字母、数字或 . _ -，并以字母开头",
        ));
    }
    Ok(u)
}

fn audit_view(a: &AccountAuth) -> serde_json::Value {
    serde_json::json!({
        "username": a.username,
        "role": a.role.map(Role::code),
        "org": a.org_code,
        "modules": a.modules,
        "status": a.status,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    /// Role code or Chinese label.
    pub role: String,
    /// The union the account works for (cadre roles and administrators).
    pub org_code: Option<String>,
    /// The member record (member accounts).
    pub member_id: Option<String>,
    #[serde(default)]
    pub modules: Vec<String>,
}

#[derive(Clone)]
struct Placement {
    org_id: Option<i64>,
    member_id: Option<i64>,
}

/// Checks that the new place of an account is inside the administrator's subtree.
async fn placement(
    db: &Db,
    scope: &Scope,
    role: Role,
    org_code: Option<&str>,
    member_id: Option<&str>,
) -> AppResult<Placement> {
    if role == Role::Member {
        let id: i64 = member_id
            .and_then(|m| m.trim().parse().ok())
            .ok_or_else(|| AppError::invalid("会员账号须关联一名会员"))?;
        let path: Option<Option<String>> =
            sqlx::query_scalar("SELECT org_path FROM members WHERE id = $1")
                .bind(id)
                .fetch_optional(db.pool())
                .await?;
        if !path.flatten().is_some_and(|p| scope.contains(&p)) {
            return Err(AppError::invalid("关联的会员不存在或不在您的管理范围内"));
        }
        return Ok(Placement {
            org_id: None,
            member_id: Some(id),
        });
    }
    let code = org_code
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| AppError::invalid("请填写账号所属工会代码"))?;
    let org = orgs::get_by_code(db, scope, code)
        .await
        .map_err(|_| AppError::invalid(format!("工会代码“{code}”不存在或不在您的管理范围内")))?;
    Ok(Placement {
        org_id: Some(org.id),
        member_id: None,
    })
}

/// Creates an account waiting for the security administrator's approval, with the first half
/// of its initial password (returned once, for the system administrator to hand to the person).
/// The system administrator creates business accounts; administrator roles are granted by the
/// security administrator (三员分立).
pub async fn create(
    db: &Db,
    actor: &Actor,
    input: &NewAccount,
    now: i64,
) -> AppResult<(AccountView, String)> {
    let username = validate_username(&input.username)?;
    let role = Role::parse(&input.role)?;
    if role.is_admin() {
        return Err(
            AppError::invalid("管理员角色由安全管理员授予：请先以业务角色创建账号")
                .with_code("ROLE_NOT_ALLOWED"),
        );
    }
    let modules = validate_modules(role, &input.modules)?;
    let display_name = crate::registry::orgs::validate_name(
        if input.display_name.trim().is_empty() {
            &username
        } else {
            &input.display_name
        },
        "姓名",
    )?;
    let place = placement(
        db,
        &actor.scope,
        role,
        input.org_code.as_deref(),
        input.member_id.as_deref(),
    )
    .await?;
    let first_half = password::generate_half();
    let hash = password::hash(first_half.clone()).await?;
    let id = new_id();
    let backend = db.backend();
    let (actor2, username2, display2) = (actor.clone(), username.clone(), display_name.clone());
    db.write(move |tx| {
        let (actor, username, display_name, hash, modules) =
            (actor2.clone(), username2.clone(), display2.clone(), hash.clone(), modules.clone());
        Box::pin(async move {
            let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE username = $1")
                .bind(&username)
                .fetch_optional(&mut **tx)
                .await?;
            if taken.is_some() {
                return Err(AppError::conflict("USERNAME_TAKEN", format!("用户名“{username}”已被使用")));
            }
            if let Some(m) = place.member_id {
                let has: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE member_id = $1")
                    .bind(m)
                    .fetch_optional(&mut **tx)
                    .await?;
                if has.is_some() {
                    return Err(AppError::conflict("MEMBER_HAS_ACCOUNT", "该会员已有账号"));
                }
            }
            sqlx::query("INSERT INTO accounts (id, username, display_name, password_hash, org_id, member_id, role, modules, status, must_change_password, password_changed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 1, $9, $9, $9)")
                .bind(id)
                .bind(&username)
                .bind(&display_name)
                .bind(&hash)
                .bind(place.org_id)
                .bind(place.member_id)
                .bind(role.code())
                .bind(&modules)
                .bind(now)
                .execute(&mut **tx)
                .await?;
            audit::append_tx(tx, backend, &actor, now, Event::new("account.create").target("account", id).detail(serde_json::json!({
                "after": {"username": username, "role": role.code(), "org_id": place.org_id, "member_id": place.member_id, "modules": modules}
            }))).await?;
            Ok(())
        })
    })
    .await?;
    let a = by_id(db, id)
        .await?
        .ok_or_else(|| AppError::not_found("账号"))?;
    Ok((AccountView::from(&a), first_half))
}

/// An account inside the administrator's subtree, else "not found".
pub async fn get_in_scope(db: &Db, scope: &Scope, id: i64) -> AppResult<AccountAuth> {
    let a = by_id(db, id)
        .await?
        .ok_or_else(|| AppError::not_found("账号"))?;
    if scope.is_all() || a.placement().is_some_and(|p| scope.contains(p)) {
        Ok(a)
    } else {
        Err(AppError::not_found("账号"))
    }
}

pub async fn list(db: &Db, scope: &Scope) -> AppResult<Vec<AccountView>> {
    let rows = sqlx::query(&format!(
        "SELECT {AUTH_COLUMNS} FROM accounts a {AUTH_JOINS} ORDER BY a.username"
    ))
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let a = AccountAuth::from_row(r)?;
        if scope.is_all() || a.placement().is_some_and(|p| scope.contains(p)) {
            out.push(AccountView::from(&a));
        }
    }
    Ok(out)
}

/// Runs `change` on an account in scope in a write transaction with an audit row holding the
/// account before and after. The actor may not change their own account this way.
async fn change_account<F>(
    db: &Db,
    actor: &Actor,
    id: i64,
    action: &'static str,
    now: i64,
    change: F,
) -> AppResult<AccountView>
where
    F: for<'t> Fn(&'t mut Tx) -> crate::db::BoxFut<'t, AppResult<()>> + Send + Sync + 'static,
{
    let before = get_in_scope(db, &actor.scope, id).await?;
    if actor.account_id == Some(id) {
        return Err(AppError::forbidden(
            "SELF_CHANGE",
            "不能用此功能修改自己的账号，请由另一位管理员办理",
        ));
    }
    let backend = db.backend();
    let actor2 = actor.clone();
    let before_json = audit_view(&before);
    let change = std::sync::Arc::new(change);
    db.write(move |tx| {
        let (actor, before_json, change) = (actor2.clone(), before_json.clone(), change.clone());
        Box::pin(async move {
            change(tx).await?;
            let after = sqlx::query(&format!(
                "SELECT {AUTH_COLUMNS} FROM accounts a {AUTH_JOINS} WHERE a.id = $1"
            ))
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
            let after = AccountAuth::from_row(&after)?;
            audit::append_tx(
                tx,
                backend,
                &actor,
                now,
                Event::new(action)
                    .target("account", id)
                    .detail(serde_json::json!({
                        "before": before_json, "after": audit_view(&after)
                    })),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    let a = by_id(db, id)
        .await?
        .ok_or_else(|| AppError::not_found("账号"))?;
    Ok(AccountView::from(&a))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: String,
    pub org_code: Option<String>,
    pub member_id: Option<String>,
    #[serde(default)]
    pub modules: Vec<String>,
}

/// The security administrator assigns a role and a place (a permission change).
pub async fn set_role(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &RoleChange,
    now: i64,
) -> AppResult<AccountView> {
    // An account outside the caller's subtree is "not found" whatever the form says.
    get_in_scope(db, &actor.scope, id).await?;
    let role = Role::parse(&input.role)?;
    let modules = validate_modules(role, &input.modules)?;
    let place = placement(
        db,
        &actor.scope,
        role,
        input.org_code.as_deref(),
        input.member_id.as_deref(),
    )
    .await?;
    let view = change_account(db, actor, id, "account.role", now, move |tx| {
        let modules = modules.clone();
        Box::pin(async move {
            sqlx::query("UPDATE accounts SET role = $1, org_id = $2, member_id = $3, modules = $4, updated_at = $5 WHERE id = $6")
                .bind(role.code())
                .bind(place.org_id)
                .bind(place.member_id)
                .bind(&modules)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            // New rights begin with a new sign-in.
            super::sessions::end_all(&mut **tx, id, None, now).await?;
            Ok(())
        })
    })
    .await?;
    Ok(view)
}

pub async fn set_status(
    db: &Db,
    actor: &Actor,
    id: i64,
    active: bool,
    now: i64,
) -> AppResult<AccountView> {
    change_account(
        db,
        actor,
        id,
        if active {
            "account.enable"
        } else {
            "account.disable"
        },
        now,
        move |tx| {
            Box::pin(async move {
                // Enabling never skips the security administrator: an account they have not
                // approved (new, or reset since) goes back to waiting for them.
                sqlx::query("UPDATE accounts SET status = CASE WHEN $1 = 0 THEN 'disabled' WHEN approved_at IS NULL THEN 'pending' ELSE 'active' END, updated_at = $2 WHERE id = $3")
                    .bind(active as i64)
                    .bind(now)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                if !active {
                    super::sessions::end_all(&mut **tx, id, None, now).await?;
                }
                Ok(())
            })
        },
    )
    .await
}

/// A new initial password, in two halves like a new account's: the system administrator gets
/// the first, and the account waits for the security administrator to approve it again and
/// issue the second. The old password stops working at once.
pub async fn reset_password(
    db: &Db,
    actor: &Actor,
    id: i64,
    now: i64,
) -> AppResult<(AccountView, String)> {
    let first_half = password::generate_half();
    let hash = password::hash(first_half.clone()).await?;
    let view = change_account(db, actor, id, "account.reset_password", now, move |tx| {
        let hash = hash.clone();
        Box::pin(async move {
            sqlx::query("UPDATE accounts SET password_hash = $1, activation_hash = NULL, activated_at = NULL, activated_ip = NULL, approved_at = NULL, status = CASE WHEN status = 'disabled' THEN 'disabled' ELSE 'pending' END, must_change_password = 1, password_changed_at = $2, updated_at = $2 WHERE id = $3")
                .bind(&hash)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            super::sessions::end_all(&mut **tx, id, None, now).await?;
            Ok(())
        })
    })
    .await?;
    Ok((view, first_half))
}

/// The security administrator approves a waiting account (new, or reset), optionally setting
/// its role and place in the same step, and receives the second half of its initial password.
pub async fn approve(
    db: &Db,
    actor: &Actor,
    id: i64,
    change: Option<&RoleChange>,
    now: i64,
) -> AppResult<(AccountView, String)> {
    let before = get_in_scope(db, &actor.scope, id).await?;
    if before.status != "pending" {
        return Err(AppError::conflict(
            "NOT_PENDING",
            "该账号不在待核准状态（新建或重置密码后才需要核准）",
        ));
    }
    let new_role = match change {
        Some(c) => {
            let role = Role::parse(&c.role)?;
            let modules = validate_modules(role, &c.modules)?;
            let place = placement(
                db,
                &actor.scope,
                role,
                c.org_code.as_deref(),
                c.member_id.as_deref(),
            )
            .await?;
            Some((role, modules, place))
        }
        None => None,
    };
    let second_half = password::generate_half();
    let hash = password::hash(second_half.clone()).await?;
    let view = change_account(db, actor, id, "account.approve", now, move |tx| {
        let (hash, new_role) = (hash.clone(), new_role.clone());
        Box::pin(async move {
            if let Some((role, modules, place)) = new_role {
                sqlx::query("UPDATE accounts SET role = $1, org_id = $2, member_id = $3, modules = $4 WHERE id = $5")
                    .bind(role.code())
                    .bind(place.org_id)
                    .bind(place.member_id)
                    .bind(&modules)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
            // Only a waiting account is approved, once, even if two approvals race.
            let changed = sqlx::query("UPDATE accounts SET activation_hash = $1, approved_at = $2, status = 'active', must_change_password = 1, updated_at = $2 WHERE id = $3 AND status = 'pending'")
                .bind(&hash)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?
                .rows_affected();
            if changed != 1 {
                return Err(AppError::conflict("NOT_PENDING", "该账号不在待核准状态"));
            }
            Ok(())
        })
    })
    .await?;
    Ok((view, second_half))
}

/// Records the first use of an account's initial password (once), with the address it came from.
pub async fn record_activation(
    db: &Db,
    actor: &Actor,
    id: i64,
    ip: &str,
    now: i64,
) -> AppResult<()> {
    let backend = db.backend();
    let (actor, ip) = (actor.clone(), ip.to_string());
    db.write(move |tx| {
        let (actor, ip) = (actor.clone(), ip.clone());
        Box::pin(async move {
            let first = sqlx::query("UPDATE accounts SET activated_at = $1, activated_ip = $2 WHERE id = $3 AND activated_at IS NULL")
                .bind(now)
                .bind(&ip)
                .bind(id)
                .execute(&mut **tx)
                .await?
                .rows_affected()
                == 1;
            if first {
                audit::append_tx(tx, backend, &actor, now, Event::new("account.activate").target("account", id)).await?;
            }
            Ok(())
        })
    })
    .await
}

/// The operator's way back in, on the server itself (`gonghui account reset-password`), for
/// when no security administrator can approve (the only one is locked out, or left): a whole
/// one-time password, printed on the server's console, the account active at once. Whoever
/// runs it holds the database and the keys already; it is recorded like every change.
pub async fn reset_on_server(
    db: &Db,
    actor: &Actor,
    username: &str,
    now: i64,
) -> AppResult<(AccountView, String)> {
    let a = by_username(db, username)
        .await?
        .ok_or_else(|| AppError::not_found("账号"))?;
    let one_time = password::generate_one_time();
    let hash = password::hash(one_time.clone()).await?;
    let view = change_account(db, actor, a.id, "account.reset_password", now, move |tx| {
        let hash = hash.clone();
        Box::pin(async move {
            sqlx::query("UPDATE accounts SET password_hash = $1, activation_hash = NULL, activated_at = NULL, activated_ip = NULL, approved_at = $2, status = 'active', must_change_password = 1, password_changed_at = $2, updated_at = $2 WHERE id = $3")
                .bind(&hash)
                .bind(now)
                .bind(a.id)
                .execute(&mut **tx)
                .await?;
            super::sessions::end_all(&mut **tx, a.id, None, now).await?;
            Ok(())
        })
    })
    .await?;
    Ok((view, one_time))
}

/// Removes the second factor; the account enrols a new one at its next sign-in.
pub async fn reset_totp(db: &Db, actor: &Actor, id: i64, now: i64) -> AppResult<AccountView> {
    change_account(db, actor, id, "account.reset_totp", now, move |tx| {
        Box::pin(async move {
            sqlx::query("UPDATE accounts SET totp_secret_enc = NULL, totp_last_step = 0, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            Ok(())
        })
    })
    .await
}

/// One account created at first start, with its one-time password.
#[derive(Debug, Clone)]
pub struct FirstAccount {
    pub username: &'static str,
    pub role: Role,
    pub password: String,
}

/// On an empty accounts table: the three separated administrators at the top union, and, when a
/// demo city was seeded, a cadre account for it. Passwords are one-time and must be changed.
pub async fn ensure_first_accounts(
    db: &Db,
    actor: &Actor,
    with_demo_cadre: bool,
) -> AppResult<Vec<FirstAccount>> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(db.pool())
        .await?;
    if n > 0 {
        return Ok(Vec::new());
    }
    let root: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY created_at LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    let mut wanted = vec![
        ("admin", "系统管理员", Role::SysAdmin),
        ("security", "安全管理员", Role::SecAdmin),
        ("auditadmin", "审计管理员", Role::AuditAdmin),
    ];
    if with_demo_cadre && root.is_some() {
        wanted.push(("cadre", "市总工会干部（演示）", Role::Cadre));
    }
    let mut out = Vec::new();
    let now = crate::db::now_ms();
    for (username, display, role) in wanted {
        let pw = password::generate_one_time();
        let hash = password::hash(pw.clone()).await?;
        let id = new_id();
        let backend = db.backend();
        let actor2 = actor.clone();
        db.write(move |tx| {
            let (hash, actor) = (hash.clone(), actor2.clone());
            Box::pin(async move {
                sqlx::query("INSERT INTO accounts (id, username, display_name, password_hash, org_id, role, status, must_change_password, password_changed_at, approved_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', 1, $7, $7, $7, $7)")
                    .bind(id)
                    .bind(username)
                    .bind(display)
                    .bind(&hash)
                    .bind(root)
                    .bind(role.code())
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
                audit::append_tx(tx, backend, &actor, now, Event::new("account.create").target("account", id).detail(serde_json::json!({
                    "after": {"username": username, "role": role.code(), "org_id": root}
                }))).await?;
                Ok(())
            })
        })
        .await?;
        out.push(FirstAccount {
            username,
            role,
            password: pw,
        });
    }
    Ok(out)
}
