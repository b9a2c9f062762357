//! Passwords: the policy, Argon2id hashing off the async threads, one-time passwords.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use rand::Rng;

use crate::config::Config;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub min_classes: usize,
}

impl PasswordPolicy {
    /// The rule in words, shown next to the password field.
    pub fn describe(&self) -> String {
        format!(
            "至少{}位，包含大写字母、小写字母、数字、符号中的至少{}类，不能包含用户名",
            self.min_length, self.min_classes
        )
    }

    pub fn from_config(c: &Config) -> PasswordPolicy {
        PasswordPolicy {
            min_length: (c.password_min_length as usize).max(8),
            min_classes: (c.password_min_classes as usize).clamp(1, 4),
        }
    }

    /// Explains in Chinese what a new password lacks.
    pub fn check(&self, password: &str, username: &str) -> AppResult<()> {
        let n = password.chars().count();
        if n < self.min_length {
            return Err(
                AppError::invalid(format!("密码至少需要{}个字符", self.min_length))
                    .with_code("PASSWORD_POLICY"),
            );
        }
        if n > 128 {
            return Err(AppError::invalid("密码不能超过128个字符").with_code("PASSWORD_POLICY"));
        }
        let classes = [
            password.chars().any(|c| c.is_ascii_uppercase()),
            password.chars().any(|c| c.is_ascii_lowercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if classes < self.min_classes {
            return Err(AppError::invalid(format!(
                "密码需包含大写字母、小写字母、数字、符号中的至少{}类",
                self.min_classes
            ))
            .with_code("PASSWORD_POLICY"));
        }
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err(AppError::invalid("密码不能包含用户名").with_code("PASSWORD_POLICY"));
        }
        Ok(())
    }
}

/// Argon2id (the crate's default: 19 MiB, 2 passes), on a blocking thread.
pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(AppError::internal)?
    .map_err(|e| AppError::internal(anyhow::anyhow!("password hashing failed: {e}")))
}

/// Checks a password against a stored hash. `None` (no such account) is checked against a
/// dummy hash so that unknown names take as long as known ones.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<bool> {
    let known = stored.is_some();
    let stored = match stored {
        Some(s) => s,
        None => dummy_hash().await?,
    };
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(AppError::internal)?;
    Ok(ok && known)
}

static DUMMY: OnceLock<String> = OnceLock::new();

async fn dummy_hash() -> AppResult<String> {
    if let Some(h) = DUMMY.get() {
        return Ok(h.clone());
    }
    let h = hash(generate_one_time()).await?;
    Ok(DUMMY.get_or_init(|| h).clone())
}

/// A 16-character one-time password mixing upper and lower case and digits, without look-alikes.
pub fn generate_one_time() -> String {
    generate(16)
}

/// Length of each half of an initial password issued by two administrators.
pub const HALF_LEN: usize = 8;

/// One half of an initial password (the system administrator's or the security
/// administrator's): 8 characters from the same alphabet, about 46 bits each.
pub fn generate_half() -> String {
    generate(HALF_LEN)
}

/// The two halves of an initial password as typed: together, or with a space or hyphen
/// between them. `None` when the text cannot be two halves.
pub fn split_halves(typed: &str) -> Option<(String, String)> {
    let joined: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (joined.len() == 2 * HALF_LEN && joined.is_ascii()).then(|| {
        let (a, b) = joined.split_at(HALF_LEN);
        (a.to_string(), b.to_string())
    })
}

fn generate(len: usize) -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    let mut rng = rand::thread_rng();
    let all: Vec<u8> = [UPPER, LOWER, DIGIT].concat();
    loop {
        let pw: String = (0..len)
            .map(|_| all[rng.gen_range(0..all.len())] as char)
            .collect();
        let has = |set: &[u8]| pw.bytes().any(|b| set.contains(&b));
        if has(UPPER) && has(LOWER) && has(DIGIT) {
            return pw;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_passwords_come_in_two_halves_typed_together_or_apart() {
        let (a, b) = (generate_half(), generate_half());
        assert_eq!((a.len(), b.len()), (HALF_LEN, HALF_LEN));
        for typed in [format!("{a}{b}"), format!("{a} {b}"), format!(" {a}-{b} ")] {
            assert_eq!(
                split_halves(&typed),
                Some((a.clone(), b.clone())),
                "{typed}"
            );
        }
        assert_eq!(split_halves(&a), None, "one half alone is not the password");
        assert_eq!(split_halves(&format!("{a}{b}x")), None);
    }

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 10,
            min_classes: 3,
        }
    }

    #[test]
    fn the_default_policy_explains_what_is_missing() {
        let p = policy();
        assert!(
            p.check("Short1!", "u")
                .unwrap_err()
                .message()
                .contains("至少需要10个字符")
        );
        assert!(
            p.check("alllowercase", "u")
                .unwrap_err()
                .message()
                .contains("至少3类")
        );
        assert!(
            p.check("Zhang-admin-2026", "admin")
                .unwrap_err()
                .message()
                .contains("用户名")
        );
        assert!(p.check("Gonghui#2026x", "admin").is_ok());
    }

    #[test]
    fn one_time_passwords_pass_the_default_policy() {
        for _ in 0..50 {
            assert!(policy().check(&generate_one_time(), "admin").is_ok());
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_do() {
        let h = hash("Gonghui#2026x".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify("Gonghui#2026x".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("Gonghui#2026y".into(), Some(h)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
    }
}
