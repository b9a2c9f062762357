//! Administrator accounts. This issue only creates the first administrator; login, roles and
//! sessions come with the access-control work.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::db::{Db, new_id, now_ms};
use crate::error::{AppError, AppResult};

/// Creates `admin` with a random one-time password if there is no account yet.
/// Returns the password so the caller can print it once; it is stored only as an Argon2id hash.
pub async fn ensure_first_admin(db: &Db) -> AppResult<Option<String>> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(db.pool())
        .await?;
    if n > 0 {
        return Ok(None);
    }
    let password: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect();
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(AppError::internal)?
    .map_err(|e| AppError::internal(anyhow::anyhow!("password hashing failed: {e}")))?;
    let root: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY created_at LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    sqlx::query("INSERT INTO accounts (id, username, password_hash, org_id, role, must_change_password, created_at) VALUES ($1, 'admin', $2, $3, 'sysadmin', 1, $4)")
        .bind(new_id())
        .bind(hash)
        .bind(root)
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    Ok(Some(password))
}
