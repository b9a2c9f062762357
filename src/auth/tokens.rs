//! API tokens for system integrations (e.g. a government service portal): each bound to one
//! union subtree and a set of permissions, with an expiry, revocable. Only the SHA-256 of a
//! token is stored; the token itself is shown once.
//!
//! A token carries no more than its creator: only permissions the creator holds, within the
//! creator's subtree; and while it is used it keeps no more than the creator still holds (a
//! creator disabled or moved to another role takes the token's rights with them). So the
//! administrators, who hold no member permissions, cannot make a token that reads members.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::permissions::{Perm, PermSet, TOKEN_GRANTABLE};
use super::sessions::{random_token, token_hash};
use crate::audit::{self, Actor, Event};
use crate::db::{Db, col, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::orgs;
use crate::registry::scope::Scope;

pub const PREFIX: &str = "ghk_";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// The union whose subtree the token may reach.
    pub org_code: String,
    /// Permission codes, e.g. `["member.read", "stats.read"]`.
    pub permissions: Vec<String>,
    /// Days until expiry, 1–365.
    pub expires_in_days: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub org_code: String,
    pub permissions: Vec<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// A token as the access checks see it.
#[derive(Debug, Clone)]
pub struct TokenAuth {
    pub id: i64,
    pub name: String,
    /// What the token grants today: its own permissions within what its creator still holds.
    pub perms: PermSet,
    pub scope: Scope,
    pub expires_at: i64,
    pub revoked: bool,
    /// False when the account that created it is no longer active.
    pub creator_active: bool,
}

const COLUMNS: &str = "t.id, t.name, t.permissions, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, o.code AS org_code, o.path AS org_path, c.role AS creator_role, c.status AS creator_status, co.path AS creator_path, t.created_by";
const FROM: &str = "api_tokens t JOIN orgs o ON o.id = t.org_id LEFT JOIN accounts c ON c.id = t.created_by LEFT JOIN orgs co ON co.id = c.org_id";

fn perms_of(text: &str) -> PermSet {
    let grantable = PermSet::of(TOKEN_GRANTABLE);
    let listed: Vec<Perm> = text
        .split(',')
        .filter_map(|p| Perm::parse(p).ok())
        .collect();
    PermSet::of(&listed).intersect(grantable)
}

fn view(r: &sqlx::any::AnyRow) -> AppResult<TokenView> {
    Ok(TokenView {
        id: col(r, "id")?,
        name: col(r, "name")?,
        org_code: col(r, "org_code")?,
        permissions: perms_of(&col::<String>(r, "permissions")?)
            .codes()
            .into_iter()
            .map(str::to_string)
            .collect(),
        created_at: col(r, "created_at")?,
        expires_at: col(r, "expires_at")?,
        revoked_at: col(r, "revoked_at")?,
        last_used_at: col(r, "last_used_at")?,
    })
}

/// Issues a token. `granter` is what the creator holds: a token gets nothing beyond it.
pub async fn create(
    db: &Db,
    actor: &Actor,
    granter: PermSet,
    input: &NewToken,
    now: i64,
) -> AppResult<(TokenView, String)> {
    let name = orgs::validate_name(&input.name, "令牌名称")?;
    if !(1..=365).contains(&input.expires_in_days) {
        return Err(AppError::invalid("有效期应为1至365天"));
    }
    if input.permissions.is_empty() {
        return Err(AppError::invalid("请至少选择一项权限"));
    }
    let mut perms = Vec::new();
    for p in &input.permissions {
        let perm = Perm::parse(p)?;
        if !TOKEN_GRANTABLE.contains(&perm) {
            return Err(AppError::invalid(format!(
                "接口令牌不能授予“{}”权限",
                perm.code()
            )));
        }
        perms.push(perm);
    }
    let codes = PermSet::of(&perms).codes().join(",");
    let org = orgs::get_by_code(db, &actor.scope, &input.org_code)
        .await
        .map_err(|_| {
            AppError::invalid(format!(
                "工会代码“{}”不存在或不在您的管理范围内",
                input.org_code
            ))
        })?;
    // Nothing beyond what the creator holds (checked after the subtree, so that a union
    // outside it answers the same as a union that does not exist).
    if let Some(perm) = perms.iter().find(|p| !granter.has(**p)) {
        return Err(AppError::invalid(format!(
            "您本人没有“{}”（{}）权限，不能把它授予接口令牌",
            perm.label(),
            perm.code()
        ))
        .with_code("PERMISSION_NOT_HELD"));
    }
    let token = format!("{PREFIX}{}", random_token());
    let (id, hash, expires) = (
        new_id(),
        token_hash(&token),
        now + i64::from(input.expires_in_days) * 86_400_000,
    );
    let backend = db.backend();
    let actor2 = actor.clone();
    db.write(move |tx| {
        let (actor, name, codes, hash) = (actor2.clone(), name.clone(), codes.clone(), hash.clone());
        let org_id = org.id;
        let org_code = org.code.clone();
        Box::pin(async move {
            sqlx::query("INSERT INTO api_tokens (id, name, token_hash, org_id, permissions, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id)
                .bind(&name)
                .bind(&hash)
                .bind(org_id)
                .bind(&codes)
                .bind(actor.account_id)
                .bind(now)
                .bind(expires)
                .execute(&mut **tx)
                .await?;
            audit::append_tx(tx, backend, &actor, now, Event::new("token.create").target("token", id).detail(serde_json::json!({
                "after": {"name": name, "org": org_code, "permissions": codes, "expires_at": expires}
            }))).await?;
            Ok(())
        })
    })
    .await?;
    let v = get(db, &actor.scope, id).await?;
    Ok((v, token))
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<TokenView> {
    let r = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("接口令牌"))?;
    if !scope.contains(&col::<String>(&r, "org_path")?) {
        return Err(AppError::not_found("接口令牌"));
    }
    view(&r)
}

pub async fn list(db: &Db, scope: &Scope) -> AppResult<Vec<TokenView>> {
    let (lo, hi) = scope.range();
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE o.path >= $1 AND o.path < $2 ORDER BY t.created_at DESC"
    ))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(view)
    .collect()
}

pub async fn revoke(db: &Db, actor: &Actor, id: i64, now: i64) -> AppResult<TokenView> {
    // In scope, or "not found".
    get(db, &actor.scope, id).await?;
    let backend = db.backend();
    let actor2 = actor.clone();
    db.write(move |tx| {
        let actor = actor2.clone();
        Box::pin(async move {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            audit::append_tx(
                tx,
                backend,
                &actor,
                now,
                Event::new("token.revoke").target("token", id),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    get(db, &actor.scope, id).await
}

/// Resolves a presented token (any state; the caller decides about expiry and revocation).
pub async fn find(db: &Db, token: &str) -> AppResult<Option<TokenAuth>> {
    let r = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE t.token_hash = $1"
    ))
    .bind(token_hash(token))
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = r else { return Ok(None) };
    let own = perms_of(&col::<String>(&r, "permissions")?);
    // Tokens issued on the server itself (no creating account) keep what they were given.
    let (perms, creator_active) = match col::<Option<i64>>(&r, "created_by")? {
        None => (own, true),
        Some(_) => {
            let role = col::<Option<String>>(&r, "creator_role")?
                .and_then(|c| super::permissions::Role::parse(&c).ok());
            let org_path: String = col(&r, "org_path")?;
            // Still active, and the token's subtree still inside the creator's.
            let active = col::<Option<String>>(&r, "creator_status")?.as_deref() == Some("active")
                && col::<Option<String>>(&r, "creator_path")?
                    .is_none_or(|p| Scope::subtree(&p).contains(&org_path));
            (
                own.intersect(role.map(|r| r.perms()).unwrap_or_default()),
                active,
            )
        }
    };
    Ok(Some(TokenAuth {
        id: col(&r, "id")?,
        name: col(&r, "name")?,
        perms,
        scope: Scope::subtree(&col::<String>(&r, "org_path")?),
        expires_at: col(&r, "expires_at")?,
        revoked: col::<Option<i64>>(&r, "revoked_at")?.is_some(),
        creator_active,
    }))
}

pub async fn mark_used(db: &Db, id: i64, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}
