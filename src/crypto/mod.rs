//! Field protection for personal data: AES-256-GCM encryption, an HMAC-SHA256 blind index for
//! exact lookup and de-duplication, and masked display forms. Keys live outside the database.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{AppError, AppResult};

const KEY_VERSION: u8 = 1;

/// The two field keys. Debug never prints them.
pub struct FieldKeys {
    cipher: Aes256Gcm,
    index_key: Zeroizing<[u8; 32]>,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    version: u8,
    encryption_key: String,
    index_key: String,
}

impl std::fmt::Debug for FieldKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldKeys(..)")
    }
}

/// What happened when keys were loaded: the caller prints a backup warning for `Generated`.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    Loaded,
    Generated,
}

impl FieldKeys {
    pub fn from_bytes(enc: [u8; 32], index: [u8; 32]) -> FieldKeys {
        let enc = Zeroizing::new(enc);
        FieldKeys {
            cipher: Aes256Gcm::new_from_slice(enc.as_ref()).expect("32-byte key"),
            index_key: Zeroizing::new(index),
        }
    }

    pub fn generate() -> FieldKeys {
        let mut enc = [0u8; 32];
        let mut idx = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut enc);
        rand::rngs::OsRng.fill_bytes(&mut idx);
        FieldKeys::from_bytes(enc, idx)
    }

    /// Loads the key file, or creates it (mode 0600) when `create` and it does not exist.
    pub fn load_or_create(path: &Path, create: bool) -> AppResult<(FieldKeys, KeyOrigin)> {
        if path.exists() {
            let text = std::fs::read_to_string(path)?;
            let file: KeyFile = toml::from_str(&text).map_err(|e| {
                AppError::bad_request(format!("密钥文件{}格式错误：{e}", path.display()))
            })?;
            let enc = decode_key(&file.encryption_key, "encryption_key")?;
            let idx = decode_key(&file.index_key, "index_key")?;
            return Ok((FieldKeys::from_bytes(enc, idx), KeyOrigin::Loaded));
        }
        if !create {
            return Err(AppError::bad_request(format!(
                "找不到字段加密密钥文件{}。如果数据库里已有数据，请从备份恢复该文件；否则首次启动会自动生成",
                path.display()
            ))
            .with_code("KEYS_MISSING"));
        }
        let mut enc = Zeroizing::new([0u8; 32]);
        let mut idx = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(enc.as_mut());
        rand::rngs::OsRng.fill_bytes(idx.as_mut());
        let file = KeyFile {
            version: KEY_VERSION,
            encryption_key: hex::encode(enc.as_ref()),
            index_key: hex::encode(idx.as_ref()),
        };
        if let Some(dir) = path.parent() {
            crate::files::create_private_dir(dir)?;
        }
        let text = format!(
            "# gonghui 字段加密密钥。丢失后已加密的身份证号和手机号将无法恢复，请离线备份本文件。\n{}",
            toml::to_string(&file).map_err(AppError::internal)?
        );
        write_private(path, &text)?;
        Ok((FieldKeys::from_bytes(*enc, *idx), KeyOrigin::Generated))
    }

    /// `version(1) || nonce(12) || ciphertext+tag`
    pub fn encrypt(&self, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("AES-GCM encryption of a short value cannot fail");
        let mut out = Vec::with_capacity(1 + 12 + ct.len());
        out.push(KEY_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn decrypt(&self, blob: &[u8]) -> AppResult<String> {
        if blob.len() < 13 || blob[0] != KEY_VERSION {
            return Err(AppError::internal(anyhow::anyhow!(
                "encrypted field has unknown format"
            )));
        }
        let pt = self
            .cipher
            .decrypt(Nonce::from_slice(&blob[1..13]), &blob[13..])
            .map_err(|_| {
                AppError::internal(anyhow::anyhow!("field decryption failed (wrong key?)"))
            })?;
        String::from_utf8(pt).map_err(AppError::internal)
    }

    /// Keyed hash for exact lookup: 16 bytes of HMAC-SHA256 over a domain tag and the value.
    pub fn blind_index(&self, domain: &str, normalized: &str) -> Vec<u8> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(self.index_key.as_ref()).expect("any key length");
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(normalized.as_bytes());
        mac.finalize().into_bytes()[..16].to_vec()
    }

    /// A separate 32-byte key for another purpose (the audit chain seal, login throttling),
    /// derived from the index key under a label so that the key file stays as it is.
    pub fn derive_key(&self, label: &str) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(self.index_key.as_ref()).expect("any key length");
        mac.update(b"derive\0");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

fn decode_key(hex_text: &str, name: &str) -> AppResult<[u8; 32]> {
    let bytes = hex::decode(hex_text.trim())
        .map_err(|_| AppError::bad_request(format!("密钥文件中的{name}不是十六进制")))?;
    bytes
        .try_into()
        .map_err(|_| AppError::bad_request(format!("密钥文件中的{name}长度应为32字节")))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_round_trips_and_is_randomised() {
        let k = FieldKeys::generate();
        let a = k.encrypt("11010519491231002X");
        let b = k.encrypt("11010519491231002X");
        assert_ne!(a, b);
        assert_eq!(k.decrypt(&a).unwrap(), "11010519491231002X");
        let mut tampered = a.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(k.decrypt(&tampered).is_err());
    }

    #[test]
    fn blind_index_is_deterministic_per_key_and_domain() {
        let k = FieldKeys::generate();
        assert_eq!(k.blind_index("id", "x"), k.blind_index("id", "x"));
        assert_ne!(k.blind_index("id", "x"), k.blind_index("mobile", "x"));
        assert_ne!(
            k.blind_index("id", "x"),
            FieldKeys::generate().blind_index("id", "x")
        );
    }
}
