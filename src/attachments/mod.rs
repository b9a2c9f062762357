//! Files attached to a record of any module: a worker's letter or ID scan on a petition, a
//! court's referral or the signed agreement on a dispute, later a signed contract or an
//! activity's photos. The owning module checks that the record is the caller's to see and
//! names it as an [`Owner`]; this module keeps the files.
//!
//! A file is kept in the database (so a backup holds the record and its papers together),
//! encrypted with the field key like every other piece of personal data. Only the kinds a
//! federation receives are taken (PDF, OFD, images, Word/Excel, text, phone recordings), and a
//! file whose content is not what its name says is refused. A file is never deleted: removing
//! it hides it from the record's list with the reason, and the auditor can still follow it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, new_id, tx_backend};
use crate::error::{AppError, AppResult};

/// At most this many files on one record (removed ones included): a case file, not a share.
pub const MAX_PER_OWNER: i64 = 50;

/// The record a file belongs to: its kind (`petition`, `dispute` …) and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub kind: &'static str,
    pub id: i64,
}

/// A kept file, without its content.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Attachment {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub file_name: String,
    pub mime: String,
    pub size_bytes: i64,
    /// SHA-256 of the content, hex: the same paper uploaded twice is found by it.
    pub sha256: String,
    /// Milliseconds since the Unix epoch.
    pub uploaded_at: i64,
    pub uploaded_by: String,
    pub removed_at: Option<i64>,
    pub removed_by: Option<String>,
    pub removed_reason: Option<String>,
}

impl Attachment {
    /// The size for people: 830 B, 12.4 KB, 3.2 MB.
    pub fn size_words(&self) -> String {
        let b = self.size_bytes as f64;
        if b < 1024.0 {
            format!("{} B", self.size_bytes)
        } else if b < 1024.0 * 1024.0 {
            format!("{:.1} KB", b / 1024.0)
        } else {
            format!("{:.1} MB", b / (1024.0 * 1024.0))
        }
    }

    /// When it was uploaded, in the federation's local time.
    pub fn uploaded_words(&self) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.uploaded_at)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    }

    pub fn is_removed(&self) -> bool {
        self.removed_at.is_some()
    }
}

/// A kind of file taken, known by its name's ending and checked by its first bytes.
struct Kind {
    endings: &'static [&'static str],
    mime: &'static str,
    looks_right: fn(&[u8]) -> bool,
}

fn zip(b: &[u8]) -> bool {
    b.starts_with(b"PK\x03\x04")
}
fn ole(b: &[u8]) -> bool {
    b.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}
fn text(b: &[u8]) -> bool {
    !b.iter().take(8192).any(|&c| c == 0)
}
fn mp3(b: &[u8]) -> bool {
    b.starts_with(b"ID3") || (b.len() > 1 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0)
}
fn iso_media(b: &[u8]) -> bool {
    b.len() > 8 && &b[4..8] == b"ftyp"
}

const KINDS: &[Kind] = &[
    Kind {
        endings: &["pdf"],
        mime: "application/pdf",
        looks_right: |b| b.starts_with(b"%PDF-"),
    },
    // 版式文档 (GB/T 33190), the format of many government papers: a zip package.
    Kind {
        endings: &["ofd"],
        mime: "application/ofd",
        looks_right: zip,
    },
    Kind {
        endings: &["jpg", "jpeg"],
        mime: "image/jpeg",
        looks_right: |b| b.starts_with(&[0xFF, 0xD8, 0xFF]),
    },
    Kind {
        endings: &["png"],
        mime: "image/png",
        looks_right: |b| b.starts_with(b"\x89PNG\r\n\x1a\n"),
    },
    Kind {
        endings: &["docx"],
        mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        looks_right: zip,
    },
    Kind {
        endings: &["xlsx"],
        mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        looks_right: zip,
    },
    Kind {
        endings: &["doc"],
        mime: "application/msword",
        looks_right: ole,
    },
    Kind {
        endings: &["xls"],
        mime: "application/vnd.ms-excel",
        looks_right: ole,
    },
    Kind {
        endings: &["txt"],
        mime: "text/plain",
        looks_right: text,
    },
    // Recordings of a 12351 call or a visit.
    Kind {
        endings: &["mp3"],
        mime: "audio/mpeg",
        looks_right: mp3,
    },
    Kind {
        endings: &["m4a"],
        mime: "audio/mp4",
        looks_right: iso_media,
    },
    Kind {
        endings: &["wav"],
        mime: "audio/wav",
        looks_right: |b| b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WAVE"),
    },
    Kind {
        endings: &["amr"],
        mime: "audio/amr",
        looks_right: |b| b.starts_with(b"#!AMR"),
    },
];

/// The endings taken, for the upload form's hint.
pub fn accepted_endings() -> String {
    KINDS
        .iter()
        .flat_map(|k| k.endings.iter().copied())
        .collect::<Vec<_>>()
        .join("、")
}

/// The endings taken as a file input's `accept` attribute (`.pdf,.ofd,…`).
pub fn accept_attr() -> String {
    KINDS
        .iter()
        .flat_map(|k| k.endings.iter().map(|e| format!(".{e}")))
        .collect::<Vec<_>>()
        .join(",")
}

/// A file name as sent, made safe to keep and to send back: no folders, no control
/// characters, at most 120 characters with its ending kept.
pub fn clean_name(sent: &str) -> String {
    let base = sent.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .collect();
    // Leading dots and spaces in any mix (". .x"): a name never starts hidden or blank.
    let cleaned = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end()
        .to_string();
    if cleaned.chars().count() <= 120 {
        return cleaned;
    }
    match cleaned.rsplit_once('.') {
        Some((stem, ending)) if ending.chars().count() <= 8 => {
            let keep = 120 - 1 - ending.chars().count();
            format!("{}.{ending}", stem.chars().take(keep).collect::<String>())
        }
        _ => cleaned.chars().take(120).collect(),
    }
}

/// A file over the size limit (bytes), however it was sent.
pub fn too_large(max_bytes: usize) -> AppError {
    AppError::too_large(format!(
        "附件超过{}MB的上限，请压缩或拆分后上传",
        max_bytes / (1024 * 1024)
    ))
    .with_code("ATTACHMENT_TOO_LARGE")
}

/// Checks a file before it is kept: its name, size and kind. Returns the cleaned name and the
/// content type.
pub fn check(sent_name: &str, bytes: &[u8], max_bytes: usize) -> AppResult<(String, &'static str)> {
    let name = clean_name(sent_name);
    let invalid = |m: String| AppError::invalid(m).with_code("ATTACHMENT_REFUSED");
    if bytes.is_empty() {
        return Err(invalid("文件是空的，请重新选择".into()));
    }
    if bytes.len() > max_bytes {
        return Err(too_large(max_bytes));
    }
    let ending = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let Some(kind) = KINDS.iter().find(|k| k.endings.contains(&ending.as_str())) else {
        return Err(invalid(format!(
            "不支持这种文件（{}），可上传：{}",
            if ending.is_empty() {
                "无扩展名"
            } else {
                &ending
            },
            accepted_endings()
        )));
    };
    if !(kind.looks_right)(bytes) {
        return Err(invalid(format!(
            "文件内容与扩展名“.{ending}”不符，可能已损坏或改过扩展名，请检查后重新上传"
        )));
    }
    Ok((name, kind.mime))
}

/// A file as it was sent: the name it came with and its content.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

const COLS: &str = "id, file_name, mime, size_bytes, sha256, uploaded_at, uploaded_by, removed_at, removed_by, removed_reason";

/// Keeps a checked file on `owner`, with its audit event, in one transaction. The same content
/// already on the record is refused (409 `ATTACHMENT_DUPLICATE`), so is a record already
/// holding [`MAX_PER_OWNER`] files.
pub async fn add(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    owner: Owner,
    file: Sent<'_>,
    max_bytes: usize,
    now: i64,
) -> AppResult<Attachment> {
    let bytes = file.bytes;
    let (file_name, mime) = check(file.name, bytes, max_bytes)?;
    let sha256 = hex::encode(Sha256::digest(bytes));
    let sealed = keys.encrypt_bytes(bytes);
    let size = bytes.len() as i64;
    let id = new_id();
    let actor2 = actor.clone();
    db.write(move |tx| {
        let (actor, file_name, sha256, sealed) = (
            actor2.clone(),
            file_name.clone(),
            sha256.clone(),
            sealed.clone(),
        );
        Box::pin(async move {
            let kept: Vec<(String, Option<i64>)> = sqlx::query_as(
                "SELECT sha256, removed_at FROM attachments WHERE owner_type = $1 AND owner_id = $2",
            )
            .bind(owner.kind)
            .bind(owner.id)
            .fetch_all(&mut **tx)
            .await?;
            if kept.len() as i64 >= MAX_PER_OWNER {
                return Err(AppError::conflict(
                    "ATTACHMENT_LIMIT",
                    format!("每件最多{MAX_PER_OWNER}个附件，请合并后上传"),
                ));
            }
            if kept.iter().any(|(h, removed)| *h == sha256 && removed.is_none()) {
                return Err(AppError::conflict(
                    "ATTACHMENT_DUPLICATE",
                    "这份文件已经上传过了",
                ));
            }
            sqlx::query(
                "INSERT INTO attachments (id, owner_type, owner_id, file_name, mime, size_bytes, sha256, content, uploaded_at, uploaded_by) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
            )
            .bind(id)
            .bind(owner.kind)
            .bind(owner.id)
            .bind(&file_name)
            .bind(mime)
            .bind(size)
            .bind(&sha256)
            .bind(sealed)
            .bind(now)
            .bind(&actor.name)
            .execute(&mut **tx)
            .await?;
            let backend = tx_backend(tx);
            // The name may carry a person's name: the trail keeps the kind and size only.
            audit::append_tx(
                tx,
                backend,
                &actor,
                now,
                Event::new("attachment.add")
                    .target(owner.kind, owner.id)
                    .detail(serde_json::json!({"attachment": id.to_string(), "mime": mime, "size_bytes": size})),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    one(db, owner, id).await
}

/// The files of a record, oldest first, removed ones included (they show their reason).
pub async fn list(db: &Db, owner: Owner) -> AppResult<Vec<Attachment>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM attachments WHERE owner_type = $1 AND owner_id = $2 ORDER BY uploaded_at, id"
    ))
    .bind(owner.kind)
    .bind(owner.id)
    .fetch_all(db.pool())
    .await?)
}

/// One file of a record, without its content.
pub async fn one(db: &Db, owner: Owner, id: i64) -> AppResult<Attachment> {
    let found: Option<Attachment> = sqlx::query_as(&format!(
        "SELECT {COLS} FROM attachments WHERE id = $1 AND owner_type = $2 AND owner_id = $3"
    ))
    .bind(id)
    .bind(owner.kind)
    .bind(owner.id)
    .fetch_optional(db.pool())
    .await?;
    found.ok_or_else(|| AppError::not_found("附件"))
}

/// A file with its content, decrypted; the reading is written to the audit trail (a kept
/// paper usually holds personal data).
pub async fn content(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    owner: Owner,
    id: i64,
    now: i64,
) -> AppResult<(Attachment, Vec<u8>)> {
    let meta = one(db, owner, id).await?;
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT content FROM attachments WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    let bytes = keys.decrypt_bytes(&sealed)?;
    audit::record(
        db,
        actor,
        now,
        Event::new("attachment.download")
            .target(owner.kind, owner.id)
            .detail(serde_json::json!({"attachment": id.to_string()})),
    )
    .await?;
    Ok((meta, bytes))
}

/// Hides a file from its record with the reason; the file itself is kept.
pub async fn remove(
    db: &Db,
    actor: &Actor,
    owner: Owner,
    id: i64,
    reason: &str,
    now: i64,
) -> AppResult<Attachment> {
    let reason = crate::workflow::required(reason, "移除附件的理由", 200)?;
    let actor2 = actor.clone();
    db.write(move |tx| {
        let (actor, reason) = (actor2.clone(), reason.clone());
        Box::pin(async move {
            let changed = sqlx::query(
                "UPDATE attachments SET removed_at = $1, removed_by = $2, removed_reason = $3 \
                 WHERE id = $4 AND owner_type = $5 AND owner_id = $6 AND removed_at IS NULL",
            )
            .bind(now)
            .bind(&actor.name)
            .bind(&reason)
            .bind(id)
            .bind(owner.kind)
            .bind(owner.id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Err(AppError::conflict(
                    "ATTACHMENT_REMOVED",
                    "这个附件已经移除了",
                ));
            }
            let backend = tx_backend(tx);
            audit::append_tx(
                tx,
                backend,
                &actor,
                now,
                Event::new("attachment.remove")
                    .target(owner.kind, owner.id)
                    .detail(serde_json::json!({"attachment": id.to_string(), "reason": reason})),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    one(db, owner, id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_file_is_taken_when_its_content_matches_its_name() {
        let pdf = b"%PDF-1.7\n...";
        assert_eq!(
            check("信访件.PDF", pdf, 1024).unwrap(),
            ("信访件.PDF".to_string(), "application/pdf")
        );
        let e = check("信访件.pdf", b"MZ\x90\x00", 1024).unwrap_err();
        assert!(e.message().contains("不符"), "{}", e.message());
        let e = check("run.exe", b"MZ\x90\x00", 1024).unwrap_err();
        assert!(e.message().contains("不支持"), "{}", e.message());
        let e = check("空.txt", b"", 1024).unwrap_err();
        assert!(e.message().contains("空"), "{}", e.message());
        let e = check("大.txt", &[b'a'; 2048], 1024).unwrap_err();
        assert_eq!(e.code(), "ATTACHMENT_TOO_LARGE");
        assert_eq!(
            check("录音.amr", b"#!AMR\n..", 1024).unwrap().1,
            "audio/amr"
        );
        assert!(check("说明.txt", b"a\0b", 1024).is_err());
    }

    #[test]
    fn names_lose_their_folders_and_keep_their_ending() {
        assert_eq!(clean_name("C:\\Users\\张三\\身份证.jpg"), "身份证.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}b\r\n.pdf"), "ab.pdf");
        assert_eq!(clean_name(". . .bashrc"), "bashrc", "dots and spaces mixed");
        assert_eq!(clean_name(". ."), "");
        let long = format!("{}.docx", "长".repeat(300));
        let cut = clean_name(&long);
        assert_eq!(cut.chars().count(), 120);
        assert!(cut.ends_with(".docx"));
    }

    proptest! {
        #[test]
        fn a_cleaned_name_is_short_and_safe(sent in ".{0,400}") {
            let n = clean_name(&sent);
            prop_assert!(n.chars().count() <= 120);
            prop_assert!(!n.contains('/') && !n.contains('\\') && !n.contains('"'));
            prop_assert!(!n.chars().any(char::is_control));
            prop_assert!(!n.starts_with('.'));
        }
    }
}
