//! A witness of the audit chain kept outside the database: the newest row's number and seal,
//! written to a file beside the key file (sealed with the audit key) and to the log, at every
//! start and whenever the chain has grown by `audit_checkpoint_rows` rows. Someone who can
//! write the database but not that folder can delete the newest rows and point the head back
//! at an older one, but cannot move the checkpoint back: `audit verify` then names the rows
//! that are gone.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ChainKey;
use crate::db::Db;
use crate::error::{AppError, AppResult};

pub const FILE_NAME: &str = "audit-checkpoint.json";

/// Where the checkpoint lives: beside the key file, outside the database.
pub fn path_beside(keys_path: &Path) -> PathBuf {
    keys_path
        .parent()
        .map(|d| d.join(FILE_NAME))
        .unwrap_or_else(|| PathBuf::from(FILE_NAME))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The newest row when it was written.
    pub seq: i64,
    /// That row's seal.
    pub hash: String,
    /// When it was written (milliseconds since the Unix epoch).
    pub at: i64,
    /// HMAC of the three under the audit key.
    pub seal: String,
}

impl Checkpoint {
    pub fn new(key: &ChainKey, seq: i64, hash: &str, at: i64) -> Checkpoint {
        Checkpoint {
            seq,
            hash: hash.to_string(),
            at,
            seal: key.seal_checkpoint(seq, hash, at),
        }
    }

    pub fn is_sealed_by(&self, key: &ChainKey) -> bool {
        self.seal == key.seal_checkpoint(self.seq, &self.hash, self.at)
    }
}

/// What is on disk.
pub enum OnDisk {
    Missing,
    /// Present but not a checkpoint (damaged or replaced).
    Unreadable,
    Found(Checkpoint),
}

pub fn read(path: &Path) -> OnDisk {
    match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => OnDisk::Missing,
        Err(_) => OnDisk::Unreadable,
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(cp) => OnDisk::Found(cp),
            Err(_) => OnDisk::Unreadable,
        },
    }
}

/// The chain head as the database records it: newest row, its seal, the head's own seal.
pub async fn head(db: &Db) -> AppResult<(i64, String, Option<String>)> {
    Ok(
        sqlx::query_as("SELECT seq, hash, seal FROM audit_head WHERE id = 1")
            .fetch_one(db.pool())
            .await?,
    )
}

/// Writes the current head as the checkpoint when it is ahead of the one on file by at least
/// `min_rows` rows (0: by any). Never moves a checkpoint back: a head behind it means rows
/// were removed, which is logged as an error and left for `audit verify` to report. Returns
/// the row number written, if any.
pub async fn update(
    db: &Db,
    key: &ChainKey,
    path: &Path,
    min_rows: i64,
    now: i64,
) -> AppResult<Option<i64>> {
    let (seq, hash, _) = head(db).await?;
    let current = match read(path) {
        OnDisk::Found(cp) if cp.is_sealed_by(key) => Some(cp),
        OnDisk::Found(_) | OnDisk::Unreadable => {
            tracing::error!(path = %path.display(), "audit checkpoint file is not one this platform wrote; left as it is for audit verify");
            return Ok(None);
        }
        OnDisk::Missing => None,
    };
    if let Some(cp) = &current {
        if seq < cp.seq {
            tracing::error!(
                head = seq,
                checkpoint = cp.seq,
                "the audit chain is shorter than its checkpoint: rows were removed; run gonghui audit verify"
            );
            return Ok(None);
        }
        if seq == cp.seq || seq - cp.seq < min_rows {
            return Ok(None);
        }
    }
    let cp = Checkpoint::new(key, seq, &hash, now);
    if let Some(dir) = path.parent() {
        crate::files::create_private_dir(dir)?;
    }
    let bytes = serde_json::to_vec_pretty(&cp).map_err(AppError::internal)?;
    crate::files::write_private_atomically(path, &bytes)?;
    // The same witness in the log, for a log collector to keep where the database cannot reach.
    tracing::info!(seq = cp.seq, hash = %cp.hash, "audit checkpoint");
    Ok(Some(seq))
}
