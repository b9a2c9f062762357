//! TOTP second factor (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of drift either way).

use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::error::{AppError, AppResult};

const STEP_SECONDS: i64 = 30;

pub fn new_secret() -> Vec<u8> {
    let mut s = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut s);
    s
}

/// Base32 text as authenticator apps expect it.
pub fn encode(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

pub fn decode(text: &str) -> AppResult<Vec<u8>> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    Secret::Encoded(cleaned)
        .to_bytes()
        .ok()
        .filter(|b| b.len() >= 16)
        .ok_or_else(|| AppError::invalid("动态口令密钥格式不正确"))
}

fn totp(secret: &[u8]) -> AppResult<TOTP> {
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECONDS as u64, secret.to_vec())
        .map_err(|e| AppError::internal(anyhow::anyhow!("totp: {e:?}")))
}

/// The code for the moment `now_ms` (for tests and enrolment checks).
pub fn code_at(secret: &[u8], now_ms: i64) -> AppResult<String> {
    Ok(totp(secret)?.generate((now_ms / 1000).max(0) as u64))
}

/// The time step a code belongs to, if it is valid now (± one step).
pub fn matching_step(secret: &[u8], code: &str, now_ms: i64) -> AppResult<Option<i64>> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let t = totp(secret)?;
    let now_step = now_ms / 1000 / STEP_SECONDS;
    for step in [now_step - 1, now_step, now_step + 1] {
        if step >= 0 && t.generate((step * STEP_SECONDS) as u64) == code {
            return Ok(Some(step));
        }
    }
    Ok(None)
}

/// `otpauth://` link for authenticator apps (shown as text; scanning tools can turn it into a QR).
pub fn otpauth_uri(secret_b32: &str, username: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc("智慧工会"),
        enc(username),
        enc("智慧工会")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_with_one_step_of_drift() {
        let s = new_secret();
        let now = 1_790_000_000_000;
        let code = code_at(&s, now).unwrap();
        let step = matching_step(&s, &code, now).unwrap().expect("valid now");
        assert_eq!(step, now / 30_000);
        assert_eq!(matching_step(&s, &code, now + 30_000).unwrap(), Some(step));
        assert_eq!(matching_step(&s, &code, now + 90_000).unwrap(), None);
        assert_eq!(matching_step(&s, "12345", now).unwrap(), None);
        assert_eq!(decode(&encode(&s)).unwrap(), s);
    }
}
