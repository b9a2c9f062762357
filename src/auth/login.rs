//! The sign-in flow: password → second factor (if enrolled) → forced password change (first
//! login, reset, or expiry) → second-factor enrolment (administrators) → signed in.
//!
//! Lockout counts failures per typed username, whether or not such an account exists, so that
//! answers and timing are the same for unknown names (no user enumeration).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::accounts::{self, AccountAuth};
use super::sessions::{self, NewSession, SessionRow, Stage};
use super::{Auth, password, totp};
use crate::audit::{self, Actor, ChainKey, Event};
use crate::error::{AppError, AppResult};
use crate::registry::Registry;
use crate::registry::scope::Scope;

pub fn login_failed() -> AppError {
    AppError::new_status(
        axum::http::StatusCode::UNAUTHORIZED,
        "LOGIN_FAILED",
        "用户名或密码错误",
    )
}

fn locked(auth: &Auth) -> AppError {
    AppError::new_status(
        axum::http::StatusCode::LOCKED,
        "ACCOUNT_LOCKED",
        format!(
            "连续登录失败次数过多，账号已临时锁定，请{}分钟后再试或联系安全管理员解锁",
            auth.settings.lockout_ms / 60_000
        ),
    )
}

fn throttle_key(reg: &Registry, username: &str) -> String {
    let key = reg.keys.derive_key("gonghui login throttle v1");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("any key size");
    mac.update(username.trim().to_lowercase().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

async fn locked_until(reg: &Registry, key: &str) -> AppResult<i64> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT locked_until FROM login_throttle WHERE key_hash = $1")
            .bind(key)
            .fetch_optional(reg.db.pool())
            .await?;
    Ok(v.unwrap_or(0))
}

/// Counts one failure; returns true when this failure locks the name.
async fn record_failure(auth: &Auth, reg: &Registry, key: &str) -> AppResult<bool> {
    let now = auth.now();
    let s = &auth.settings;
    let key = key.to_string();
    let (limit, lock_ms) = (s.lockout_failures, s.lockout_ms);
    reg.db
        .write(move |tx| {
            let key = key.clone();
            Box::pin(async move {
                let cur: Option<(i64, i64)> = sqlx::query_as("SELECT failures, locked_until FROM login_throttle WHERE key_hash = $1")
                    .bind(&key)
                    .fetch_optional(&mut **tx)
                    .await?;
                // A lock that has run out starts a fresh count.
                let failures = match cur {
                    Some((_, until)) if until != 0 && until <= now => 1,
                    Some((n, _)) => n + 1,
                    None => 1,
                };
                let until = if failures >= limit { now + lock_ms } else { 0 };
                sqlx::query("DELETE FROM login_throttle WHERE key_hash = $1").bind(&key).execute(&mut **tx).await?;
                sqlx::query("INSERT INTO login_throttle (key_hash, failures, first_failure_at, locked_until) VALUES ($1, $2, $3, $4)")
                    .bind(&key)
                    .bind(if until != 0 { 0 } else { failures })
                    .bind(now)
                    .bind(until)
                    .execute(&mut **tx)
                    .await?;
                Ok(until != 0)
            })
        })
        .await
}

async fn clear_failures(reg: &Registry, key: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key_hash = $1")
        .bind(key)
        .execute(reg.db.pool())
        .await?;
    Ok(())
}

/// Lifts a lock (the security administrator's unlock).
pub async fn unlock(reg: &Registry, username: &str) -> AppResult<()> {
    clear_failures(reg, &throttle_key(reg, username)).await
}

/// The security administrator unlocks an account of their scope; recorded.
pub async fn unlock_account(
    reg: &Registry,
    actor: &Actor,
    now: i64,
    id: i64,
) -> AppResult<AccountAuth> {
    let a = accounts::get_in_scope(&reg.db, &actor.scope, id).await?;
    unlock(reg, &a.username).await?;
    audit::record(
        &reg.db,
        actor,
        now,
        Event::new("account.unlock").target("account", a.id),
    )
    .await?;
    Ok(a)
}

pub fn is_locked_at(until: i64, now: i64) -> bool {
    until != 0 && until > now
}

fn account_actor(reg: &Registry, acc: Option<&AccountAuth>, ip: Option<&str>) -> Actor {
    Actor {
        account_id: acc.map(|a| a.id),
        name: acc
            .map(|a| a.username.clone())
            .unwrap_or_else(|| "（未知用户名）".into()),
        kind: if acc.is_some() {
            "account"
        } else {
            "anonymous"
        },
        ip: ip.map(str::to_string),
        scope: acc
            .and_then(|a| a.org_path.clone().or(a.member_org_path.clone()))
            .map(|p| Scope::subtree(&p))
            .unwrap_or_else(Scope::all),
        key: ChainKey::from_keys(&reg.keys),
    }
}

fn must_change(auth: &Auth, acc: &AccountAuth, now: i64) -> bool {
    let max_age = auth.settings.password_max_age_ms;
    acc.must_change_password || (max_age > 0 && now - acc.password_changed_at > max_age)
}

fn needs_totp_setup(auth: &Auth, acc: &AccountAuth) -> bool {
    acc.totp_secret_enc.is_none()
        && auth.settings.totp_required_for_admins
        && acc.role.is_some_and(|r| r.is_admin())
}

/// The next step for an account whose password was accepted (`totp_done`: code given too).
pub fn remaining_stage(auth: &Auth, acc: &AccountAuth, totp_done: bool) -> Stage {
    let now = auth.now();
    if acc.totp_secret_enc.is_some() && !totp_done {
        Stage::Totp
    } else if must_change(auth, acc, now) {
        Stage::Password
    } else if needs_totp_setup(auth, acc) {
        Stage::TotpSetup
    } else {
        Stage::Full
    }
}

/// Whether `typed` is the account's password. An account with an initial password issued by
/// two administrators needs both halves, in order; anything else is checked against the
/// single hash (a dummy one for unknown names, so that the work done is the same).
async fn password_matches(acc: Option<&AccountAuth>, typed: &str) -> AppResult<bool> {
    match acc.and_then(|a| a.activation_hash.clone().map(|h| (a, h))) {
        Some((a, second)) => {
            let Some((first_half, second_half)) = password::split_halves(typed) else {
                password::verify(typed.to_string(), None).await?;
                return Ok(false);
            };
            let first_ok = password::verify(first_half, Some(a.password_hash.clone())).await?;
            let second_ok = password::verify(second_half, Some(second)).await?;
            Ok(first_ok && second_ok)
        }
        None => password::verify(typed.to_string(), acc.map(|a| a.password_hash.clone())).await,
    }
}

pub struct LoginOk {
    pub session: NewSession,
    pub stage: Stage,
    pub account: AccountAuth,
}

pub async fn login(
    auth: &Auth,
    reg: &Registry,
    username: &str,
    password_text: &str,
    ip: &str,
) -> AppResult<LoginOk> {
    if auth.ip_blocked(ip) {
        tracing::warn!(%ip, "login refused: too many failures from this address");
        return Err(AppError::new_status(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "LOGIN_RATE_LIMITED",
            "此地址登录失败次数过多，请15分钟后再试",
        ));
    }
    let now = auth.now();
    let key = throttle_key(reg, username);
    let acc = if username.trim().is_empty() || username.len() > 64 {
        None
    } else {
        accounts::by_username(&reg.db, username).await?
    };
    let actor = account_actor(reg, acc.as_ref(), Some(ip));
    if is_locked_at(locked_until(reg, &key).await?, now) {
        audit::record(&reg.db, &actor, now, Event::new("login.locked").denied()).await?;
        return Err(locked(auth));
    }
    let ok = password_matches(acc.as_ref(), password_text).await?;
    let acc = match acc {
        Some(a) if ok && a.active && a.role.is_some() => a,
        other => {
            auth.ip_failed(ip);
            let now_locked = record_failure(auth, reg, &key).await?;
            let reason = match &other {
                None => "unknown_user",
                Some(a) if ok && a.status == "pending" => "pending_approval",
                Some(a) if ok && !a.active => "disabled",
                Some(_) if ok => "unknown_role",
                Some(_) => "wrong_password",
            };
            audit::record(
                &reg.db,
                &actor,
                now,
                Event::new("login.failure")
                    .failed()
                    .detail(serde_json::json!({ "reason": reason, "locked": now_locked })),
            )
            .await?;
            return Err(if now_locked {
                locked(auth)
            } else {
                login_failed()
            });
        }
    };
    clear_failures(reg, &key).await?;
    if acc.activation_hash.is_some() && acc.activated_at.is_none() {
        accounts::record_activation(&reg.db, &actor, acc.id, ip, now).await?;
    }
    let stage = remaining_stage(auth, &acc, false);
    let session = sessions::create(
        &reg.db,
        acc.id,
        stage,
        Some(ip),
        now,
        auth.settings.max_hours,
    )
    .await?;
    audit::record(
        &reg.db,
        &actor,
        now,
        Event::new("login.password_ok")
            .target("session", session.id)
            .detail(serde_json::json!({ "next": stage.code() })),
    )
    .await?;
    Ok(LoginOk {
        session,
        stage,
        account: acc,
    })
}

fn wrong_code() -> AppError {
    AppError::new_status(
        axum::http::StatusCode::UNAUTHORIZED,
        "TOTP_FAILED",
        "动态口令不正确或已使用过，请输入验证器上的新口令",
    )
}

/// Checks the second-factor code of a session at the `totp` stage. A code is accepted once
/// (replays are refused); failures count towards the account's lockout.
pub async fn verify_totp(
    auth: &Auth,
    reg: &Registry,
    s: &SessionRow,
    code: &str,
    ip: &str,
) -> AppResult<Stage> {
    if s.stage != Stage::Totp {
        return Err(AppError::conflict("LOGIN_STAGE", "当前无需输入动态口令"));
    }
    let now = auth.now();
    let acc = &s.account;
    let actor = account_actor(reg, Some(acc), Some(ip));
    let key = throttle_key(reg, &acc.username);
    if is_locked_at(locked_until(reg, &key).await?, now) {
        sessions::end(&reg.db, s.id, now).await?;
        return Err(locked(auth));
    }
    let secret = match &acc.totp_secret_enc {
        Some(enc) => totp::decode(&reg.keys.decrypt(enc)?)?,
        None => return Err(AppError::conflict("LOGIN_STAGE", "账号未绑定动态口令")),
    };
    let step = totp::matching_step(&secret, code, now)?;
    let accepted = match step {
        // Claiming the step atomically refuses a replay, even two at the same moment.
        Some(step) => {
            sqlx::query(
                "UPDATE accounts SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
            )
            .bind(step)
            .bind(acc.id)
            .execute(reg.db.pool())
            .await?
            .rows_affected()
                == 1
        }
        None => false,
    };
    if !accepted {
        let now_locked = record_failure(auth, reg, &key).await?;
        let reason = if step.is_some() {
            "replayed"
        } else {
            "wrong_code"
        };
        audit::record(
            &reg.db,
            &actor,
            now,
            Event::new("login.totp_failure")
                .failed()
                .detail(serde_json::json!({ "reason": reason, "locked": now_locked })),
        )
        .await?;
        if now_locked {
            sessions::end(&reg.db, s.id, now).await?;
            return Err(locked(auth));
        }
        return Err(wrong_code());
    }
    clear_failures(reg, &key).await?;
    let next = remaining_stage(auth, acc, true);
    sessions::set_stage(&reg.db, s.id, next).await?;
    audit::record(
        &reg.db,
        &actor,
        now,
        Event::new("login.totp_ok")
            .target("session", s.id)
            .detail(serde_json::json!({ "next": next.code() })),
    )
    .await?;
    Ok(next)
}

/// Enrols a second factor: the client shows the secret, the person enters the first code.
pub async fn confirm_totp_setup(
    auth: &Auth,
    reg: &Registry,
    s: &SessionRow,
    secret_b32: &str,
    code: &str,
    ip: &str,
) -> AppResult<Stage> {
    if !matches!(s.stage, Stage::TotpSetup | Stage::Full) {
        return Err(AppError::conflict("LOGIN_STAGE", "请先完成当前登录步骤"));
    }
    if s.account.totp_secret_enc.is_some() {
        return Err(AppError::conflict(
            "TOTP_ENROLLED",
            "账号已绑定动态口令；如需更换请联系安全管理员重置",
        ));
    }
    let now = auth.now();
    let secret = totp::decode(secret_b32)?;
    let Some(step) = totp::matching_step(&secret, code, now)? else {
        return Err(wrong_code());
    };
    let enc = reg.keys.encrypt(&totp::encode(&secret));
    let actor = account_actor(reg, Some(&s.account), Some(ip));
    let backend = reg.db.backend();
    let (id, sid) = (s.account.id, s.id);
    reg.db
        .write(move |tx| {
            let (enc, actor) = (enc.clone(), actor.clone());
            Box::pin(async move {
                sqlx::query("UPDATE accounts SET totp_secret_enc = $1, totp_last_step = $2, updated_at = $3 WHERE id = $4")
                    .bind(&enc)
                    .bind(step)
                    .bind(now)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                sqlx::query("UPDATE sessions SET stage = 'full' WHERE id = $1").bind(sid).execute(&mut **tx).await?;
                audit::append_tx(tx, backend, &actor, now, Event::new("account.totp_enrol").target("account", id)).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Stage::Full)
}

/// Changes the caller's own password. Other sessions of the account end.
pub async fn change_password(
    auth: &Auth,
    reg: &Registry,
    s: &SessionRow,
    current: &str,
    new: &str,
    ip: &str,
) -> AppResult<Stage> {
    if !matches!(s.stage, Stage::Password | Stage::Full) {
        return Err(AppError::conflict("LOGIN_STAGE", "请先完成当前登录步骤"));
    }
    let now = auth.now();
    let acc = &s.account;
    let actor = account_actor(reg, Some(acc), Some(ip));
    // Guesses of the current password count toward the same lockout as sign-in: a session
    // left open must not become a way to try passwords without limit.
    let key = throttle_key(reg, &acc.username);
    if is_locked_at(locked_until(reg, &key).await?, now) {
        sessions::end_all(reg.db.pool(), acc.id, None, now).await?;
        return Err(locked(auth));
    }
    if !password_matches(Some(acc), current).await? {
        let now_locked = record_failure(auth, reg, &key).await?;
        audit::record(
            &reg.db,
            &actor,
            now,
            Event::new("account.password_change")
                .failed()
                .target("account", acc.id)
                .detail(serde_json::json!({ "reason": "wrong_password", "locked": now_locked })),
        )
        .await?;
        if now_locked {
            sessions::end_all(reg.db.pool(), acc.id, None, now).await?;
            return Err(locked(auth));
        }
        return Err(AppError::invalid("当前密码不正确").with_code("PASSWORD_WRONG"));
    }
    clear_failures(reg, &key).await?;
    auth.settings.policy.check(new, &acc.username)?;
    if password_matches(Some(acc), new).await? {
        return Err(AppError::invalid("新密码不能与当前密码相同").with_code("PASSWORD_POLICY"));
    }
    let hash = password::hash(new.to_string()).await?;
    let backend = reg.db.backend();
    let (id, sid) = (acc.id, s.id);
    reg.db
        .write(move |tx| {
            let (hash, actor) = (hash.clone(), actor.clone());
            Box::pin(async move {
                sqlx::query("UPDATE accounts SET password_hash = $1, activation_hash = NULL, must_change_password = 0, password_changed_at = $2, updated_at = $2 WHERE id = $3")
                    .bind(&hash)
                    .bind(now)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                sessions::end_all(&mut **tx, id, Some(sid), now).await?;
                audit::append_tx(tx, backend, &actor, now, Event::new("account.password_change").target("account", id)).await?;
                Ok(())
            })
        })
        .await?;
    let fresh = accounts::by_id(&reg.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("账号"))?;
    let next = remaining_stage(auth, &fresh, true);
    sessions::set_stage(&reg.db, sid, next).await?;
    Ok(next)
}

pub async fn logout(
    auth: &Auth,
    reg: &Registry,
    s: &SessionRow,
    everywhere: bool,
    ip: &str,
) -> AppResult<u64> {
    let now = auth.now();
    let actor = account_actor(reg, Some(&s.account), Some(ip));
    let n = if everywhere {
        sessions::end_all(reg.db.pool(), s.account_id, None, now).await?
    } else {
        sessions::end(&reg.db, s.id, now).await?;
        1
    };
    audit::record(
        &reg.db,
        &actor,
        now,
        Event::new(if everywhere { "logout.all" } else { "logout" })
            .target("session", s.id)
            .detail(serde_json::json!({ "sessions_ended": n })),
    )
    .await?;
    Ok(n)
}
