//! Checking the chain (`gonghui audit verify`) and moving old rows to archive files
//! (`gonghui audit archive`, also run daily by the server).

use std::io::{BufRead, Write};
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Actor, AuditRow, ChainKey, Event, GENESIS_HASH, append_tx, rows_after};
use crate::db::Db;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// The first row affected.
    pub seq: i64,
    pub message: String,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub rows_checked: i64,
    pub archived_rows_checked: i64,
    pub last_seq: i64,
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Walks a run of rows, checking order, linkage and seals.
struct Walker<'k> {
    key: &'k ChainKey,
    expected_seq: i64,
    prev_hash: String,
    problems: Vec<Problem>,
}

impl Walker<'_> {
    fn step(&mut self, row: &AuditRow, place: &str) {
        let mut linked = true;
        if row.seq != self.expected_seq {
            if row.seq > self.expected_seq {
                self.problems.push(Problem {
                    seq: self.expected_seq,
                    message: format!(
                        "{place}第{}条至第{}条记录缺失（被删除）",
                        self.expected_seq,
                        row.seq - 1
                    ),
                });
            } else {
                self.problems.push(Problem {
                    seq: row.seq,
                    message: format!("{place}第{}条记录序号重复或倒序（被插入）", row.seq),
                });
            }
            linked = false;
        }
        if linked && row.prev_hash != self.prev_hash {
            self.problems.push(Problem {
                seq: row.seq,
                message: format!(
                    "{place}第{}条记录与前一条不衔接（前一条被删除、替换，或此条为插入）",
                    row.seq
                ),
            });
        }
        if self.key.seal(row) != row.hash {
            self.problems.push(Problem {
                seq: row.seq,
                message: format!("{place}第{}条记录的内容与封印不符（被修改或伪造）", row.seq),
            });
        }
        self.expected_seq = row.seq + 1;
        self.prev_hash = row.hash.clone();
    }
}

struct ArchiveEntry {
    from_seq: i64,
    upto_seq: i64,
    upto_hash: String,
    file: String,
    file_sha256: String,
}

async fn archives(db: &Db) -> AppResult<Vec<ArchiveEntry>> {
    let rows: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
        "SELECT from_seq, upto_seq, upto_hash, file, file_sha256 FROM audit_archives ORDER BY upto_seq",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(from_seq, upto_seq, upto_hash, file, file_sha256)| ArchiveEntry {
                from_seq,
                upto_seq,
                upto_hash,
                file,
                file_sha256,
            },
        )
        .collect())
}

/// Verifies archive files (when `archive_dir` holds them) and every row in the database,
/// then the chain head. Names the first affected row of every problem.
pub async fn verify(db: &Db, key: &ChainKey, archive_dir: &Path) -> AppResult<Report> {
    let mut report = Report::default();
    let mut w = Walker {
        key,
        expected_seq: 1,
        prev_hash: GENESIS_HASH.to_string(),
        problems: Vec::new(),
    };
    for a in archives(db).await? {
        let path = archive_dir.join(&a.file);
        match std::fs::read(&path) {
            Err(_) => {
                w.problems.push(Problem {
                    seq: a.from_seq,
                    message: format!(
                        "归档文件{}缺失，无法核对第{}条至第{}条记录",
                        a.file, a.from_seq, a.upto_seq
                    ),
                });
            }
            Ok(bytes) => {
                if hex::encode(Sha256::digest(&bytes)) != a.file_sha256 {
                    w.problems.push(Problem {
                        seq: a.from_seq,
                        message: format!("归档文件{}的校验值不符（文件被修改）", a.file),
                    });
                }
                for line in bytes.lines() {
                    let line = line.map_err(AppError::internal)?;
                    match serde_json::from_str::<AuditRow>(&line) {
                        Ok(row) => {
                            w.step(&row, &format!("归档文件{}中", a.file));
                            report.archived_rows_checked += 1;
                        }
                        Err(_) => w.problems.push(Problem {
                            seq: w.expected_seq,
                            message: format!("归档文件{}中有无法读取的行", a.file),
                        }),
                    }
                }
            }
        }
        // The database part starts from the archive's recorded end, whatever the file held.
        w.expected_seq = a.upto_seq + 1;
        w.prev_hash = a.upto_hash.clone();
    }
    let mut after = w.expected_seq - 1;
    loop {
        let rows = rows_after(db, after, 10_000).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            w.step(row, "");
            report.rows_checked += 1;
        }
        after = rows.last().map(|r| r.seq).unwrap_or(after);
    }
    let last_seq = w.expected_seq - 1;
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(db.pool())
            .await?;
    if last_seq < head_seq {
        w.problems.push(Problem {
            seq: last_seq + 1,
            message: format!("第{}条至第{head_seq}条记录缺失（被删除）", last_seq + 1),
        });
    } else if last_seq > head_seq {
        w.problems.push(Problem {
            seq: head_seq + 1,
            message: format!("第{}条起的记录不是由系统写入的（被插入）", head_seq + 1),
        });
    } else if head_hash != w.prev_hash {
        w.problems.push(Problem {
            seq: last_seq,
            message: format!("第{last_seq}条记录与链头登记的封印不符（被替换）"),
        });
    }
    report.last_seq = last_seq;
    report.problems = w.problems;
    Ok(report)
}

#[derive(Debug, Serialize)]
pub struct ArchiveOutcome {
    pub file: String,
    pub from_seq: i64,
    pub upto_seq: i64,
    pub rows: i64,
}

/// Moves rows older than the retention period to a JSON-lines file in `dir` and then removes
/// them from the table (the database refuses to delete rows not covered by an archive).
/// Refuses while the chain does not verify: tampered rows must be investigated, not archived.
pub async fn archive(
    db: &Db,
    actor: &Actor,
    dir: &Path,
    retention_days: u32,
    now_ms: i64,
) -> AppResult<Option<ArchiveOutcome>> {
    let retention_days = retention_days.max(180);
    let report = verify(db, &actor.key, dir).await?;
    if !report.ok() {
        return Err(AppError::conflict(
            "AUDIT_CHAIN_BROKEN",
            format!(
                "审计记录校验未通过，暂不归档：{}",
                report.problems[0].message
            ),
        ));
    }
    let cutoff = now_ms - i64::from(retention_days) * 86_400_000;
    let upto: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log WHERE at < $1")
        .bind(cutoff)
        .fetch_one(db.pool())
        .await?;
    let Some(upto) = upto else { return Ok(None) };
    let from: i64 = sqlx::query_scalar("SELECT MIN(seq) FROM audit_log")
        .fetch_one(db.pool())
        .await?;
    std::fs::create_dir_all(dir)?;
    let file = format!("audit-{from:012}-{upto:012}.jsonl");
    let path = dir.join(&file);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut hasher = Sha256::new();
    let mut after = from - 1;
    let mut rows = 0i64;
    let mut last_hash = String::new();
    while after < upto {
        let batch = rows_after(db, after, 10_000).await?;
        for row in batch.iter().filter(|r| r.seq <= upto) {
            let mut line = serde_json::to_vec(row).map_err(AppError::internal)?;
            line.push(b'\n');
            hasher.update(&line);
            out.write_all(&line)?;
            rows += 1;
            last_hash = row.hash.clone();
        }
        match batch.last() {
            Some(r) => after = r.seq,
            None => break,
        }
    }
    let file_handle = out
        .into_inner()
        .map_err(|e| AppError::internal(e.into_error()))?;
    file_handle.sync_all()?;
    let sha = hex::encode(hasher.finalize());
    let backend = db.backend();
    let (file2, last_hash2, actor2) = (file.clone(), last_hash.clone(), actor.clone());
    db.write(move |tx| {
        let (file, last_hash, sha, actor) =
            (file2.clone(), last_hash2.clone(), sha.clone(), actor2.clone());
        Box::pin(async move {
            sqlx::query("INSERT INTO audit_archives (id, from_seq, upto_seq, upto_hash, file, file_sha256, archived_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(crate::db::new_id())
                .bind(from)
                .bind(upto)
                .bind(&last_hash)
                .bind(&file)
                .bind(&sha)
                .bind(now_ms)
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM audit_log WHERE seq <= $1")
                .bind(upto)
                .execute(&mut **tx)
                .await?;
            append_tx(
                tx,
                backend,
                &actor,
                now_ms,
                Event::new("audit.archive").detail(serde_json::json!({
                    "file": file, "from_seq": from, "upto_seq": upto, "rows": rows
                })),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(Some(ArchiveOutcome {
        file,
        from_seq: from,
        upto_seq: upto,
        rows,
    }))
}
