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
        self.encrypt_bytes(plaintext.as_bytes())
    }

    /// The same for bytes (a kept file holding personal data, e.g. an import error report).
    pub fn encrypt_bytes(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .expect("AES-GCM encryption in memory cannot fail");
        let mut out = Vec::with_capacity(1 + 12 + ct.len());
        out.push(KEY_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn decrypt(&self, blob: &[u8]) -> AppResult<String> {
        String::from_utf8(self.decrypt_bytes(blob)?).map_err(AppError::internal)
    }

    pub fn decrypt_bytes(&self, blob: &[u8]) -> AppResult<Vec<u8>> {
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
        Ok(pt)
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

/// A name with all but its first character hidden: 张三丰 → 张**, 买买提·艾力 → 买*****.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Text typed by a person (a search, a stated reason, a note, a file name) with anything that
/// looks like an ID number or a mobile number masked, for the audit trail: a standalone run
/// of 15 or 18 characters (digits, the 18th may be X) keeps its first 6 and last 4, an
/// 11-digit number starting with 1 keeps its first 3 and last 4, and any other run of 12 to
/// 17 digits (part of an ID number) keeps only its first 2 and last 2. Full-width digits
/// count as digits. Shorter numbers (a year, an amount, the last digits searched for) stay.
pub fn mask_personal_in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let digit = |c: char| match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i]).is_none() || (i > 0 && chars[i - 1].is_ascii_alphanumeric()) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut run: Vec<char> = Vec::new();
        let mut j = i;
        while j < chars.len()
            && let Some(d) = digit(chars[j])
        {
            run.push(d);
            j += 1;
        }
        if run.len() == 17 && j < chars.len() && matches!(chars[j], 'X' | 'x' | 'Ｘ' | 'ｘ') {
            run.push('X');
            j += 1;
        }
        let standalone = j >= chars.len() || !chars[j].is_ascii_alphanumeric();
        let n = run.len();
        let (head, tail) = match n {
            15 | 18 if standalone => (6, 4),
            11 if standalone && run[0] == '1' => (3, 4),
            12..=17 if standalone => (2, 2),
            _ => (n, 0),
        };
        if head + tail < n {
            out.extend(&run[..head]);
            out.extend(std::iter::repeat_n('*', n - head - tail));
            out.extend(&run[n - tail..]);
        } else {
            out.extend(&chars[i..j]);
        }
        i = j;
    }
    out
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

    #[test]
    fn names_keep_only_their_first_character() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("买买提·艾力"), "买*****");
        assert_eq!(mask_name("李"), "李");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn personal_numbers_in_typed_text_are_masked_and_other_numbers_kept() {
        assert_eq!(
            mask_personal_in_text("620102199003074123"),
            "620102********4123"
        );
        assert_eq!(
            mask_personal_in_text("q=11010519491231002X。"),
            "q=110105********002X。"
        );
        assert_eq!(
            mask_personal_in_text("核对13812345678的手机"),
            "核对138****5678的手机"
        );
        assert_eq!(
            mask_personal_in_text("１３８１２３４５６７８"),
            "138****5678"
        );
        assert_eq!(
            mask_personal_in_text("3210012345678901"),
            "32************01"
        );
        assert_eq!(
            mask_personal_in_text("2026年补发12000元，尾号002X"),
            "2026年补发12000元，尾号002X"
        );
        // Part of a longer token (an id, a hash) is not a number on its own.
        assert_eq!(
            mask_personal_in_text("ab620102199003074123"),
            "ab620102199003074123"
        );
        assert_eq!(mask_personal_in_text(""), "");
    }
}
