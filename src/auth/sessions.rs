//! Sign-in sessions. The browser holds a random token in an HttpOnly cookie; the database holds
//! only its SHA-256. Each session also carries the CSRF token its state-changing requests echo.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::{Db, col, new_id};
use crate::error::AppResult;

/// How far a login has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Password accepted; the second-factor code is next.
    Totp,
    /// The password must be changed before anything else.
    Password,
    /// An administrator must enrol a second factor before anything else.
    TotpSetup,
    /// Signed in.
    Full,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::Totp => "totp",
            Stage::Password => "password",
            Stage::TotpSetup => "totp_setup",
            Stage::Full => "full",
        }
    }

    pub fn parse(s: &str) -> Stage {
        match s {
            "totp" => Stage::Totp,
            "password" => Stage::Password,
            "totp_setup" => Stage::TotpSetup,
            "full" => Stage::Full,
            // Unknown stages never grant anything.
            _ => Stage::Totp,
        }
    }
}

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub struct NewSession {
    pub id: i64,
    pub token: String,
    pub csrf_token: String,
}

pub async fn create(
    db: &Db,
    account_id: i64,
    stage: Stage,
    ip: Option<&str>,
    now: i64,
    max_hours: u32,
) -> AppResult<NewSession> {
    let (token, csrf_token, id) = (random_token(), random_token(), new_id());
    sqlx::query("INSERT INTO sessions (id, token_hash, account_id, stage, csrf_token, ip, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)")
        .bind(id)
        .bind(token_hash(&token))
        .bind(account_id)
        .bind(stage.code())
        .bind(&csrf_token)
        .bind(ip)
        .bind(now)
        .bind(now + i64::from(max_hours) * 3_600_000)
        .execute(db.pool())
        .await?;
    Ok(NewSession {
        id,
        token,
        csrf_token,
    })
}

/// A live or ended session with what the request needs to know about its account.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub account_id: i64,
    pub stage: Stage,
    pub csrf_token: String,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ended: bool,
    pub account: super::accounts::AccountAuth,
    /// The union this session is narrowed to (console scope switcher), with its path.
    pub narrow: Option<(String, String)>,
}

pub async fn find(db: &Db, token: &str) -> AppResult<Option<SessionRow>> {
    let row = sqlx::query(&format!(
        "SELECT s.id AS sid, s.stage, s.csrf_token, s.last_seen_at, s.expires_at, s.ended_at, n.code AS narrow_code, n.path AS narrow_path, {} FROM sessions s JOIN accounts a ON a.id = s.account_id {} LEFT JOIN orgs n ON n.id = s.narrow_org_id WHERE s.token_hash = $1",
        super::accounts::AUTH_COLUMNS,
        super::accounts::AUTH_JOINS
    ))
    .bind(token_hash(token))
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let account = super::accounts::AccountAuth::from_row(&r)?;
    Ok(Some(SessionRow {
        id: col(&r, "sid")?,
        account_id: account.id,
        stage: Stage::parse(&col::<String>(&r, "stage")?),
        csrf_token: col(&r, "csrf_token")?,
        last_seen_at: col(&r, "last_seen_at")?,
        expires_at: col(&r, "expires_at")?,
        ended: col::<Option<i64>>(&r, "ended_at")?.is_some(),
        narrow: col::<Option<String>>(&r, "narrow_code")?
            .zip(col::<Option<String>>(&r, "narrow_path")?),
        account,
    }))
}

/// Narrows a session to one union (checked by the caller to lie in the account's scope), or
/// widens it back to the whole scope with `None`.
/// The sign-in before session `current` of an account: when and from where (the address as
/// the server saw it), to show the person at sign-in.
pub async fn previous(
    db: &Db,
    account_id: i64,
    current: i64,
) -> AppResult<Option<(i64, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT created_at, ip FROM sessions WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(current)
    .fetch_optional(db.pool())
    .await?)
}

pub async fn set_narrow(db: &Db, id: i64, org_id: Option<i64>) -> AppResult<()> {
    sqlx::query("UPDATE sessions SET narrow_org_id = $1 WHERE id = $2")
        .bind(org_id)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn set_stage(db: &Db, id: i64, stage: Stage) -> AppResult<()> {
    sqlx::query("UPDATE sessions SET stage = $1 WHERE id = $2")
        .bind(stage.code())
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn touch(db: &Db, id: i64, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn end(db: &Db, id: i64, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Ends every session of an account except `keep`, on the pool or inside a transaction.
/// Returns how many ended.
pub async fn end_all<'e, E>(ex: E, account_id: i64, keep: Option<i64>, now: i64) -> AppResult<u64>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let r = sqlx::query(
        "UPDATE sessions SET ended_at = $1 WHERE account_id = $2 AND ended_at IS NULL AND id <> $3",
    )
    .bind(now)
    .bind(account_id)
    .bind(keep.unwrap_or(0))
    .execute(ex)
    .await?;
    Ok(r.rows_affected())
}
