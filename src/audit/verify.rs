//! Checking the chain (`gonghui audit verify`) and moving old rows to archive files
//! (`gonghui audit archive`, also run daily by the server).

use std::io::{BufRead, Write};
use std::path::PathBuf;

use serde::Serialize;
use sha2::{Digest, Sha256};

use std::collections::HashMap;

use super::{
    Actor, ArchiveRecord, ArchiveRow, AuditRow, ChainKey, Event, GENESIS_HASH, append_tx,
    checkpoint, rows_after,
};
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
    /// Every problem, the earliest row first.
    pub problems: Vec<Problem>,
    /// What could not be checked here and why (e.g. an archive file kept elsewhere).
    pub notices: Vec<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The first row that is missing, forged or altered.
    pub fn first_problem_seq(&self) -> Option<i64> {
        self.problems.first().map(|p| p.seq)
    }
}

/// A row number and (a prefix of) its seal as recorded somewhere the database cannot reach:
/// the checkpoint file, or a line of the log (`--witness SEQ:HASH`).
#[derive(Debug, Clone)]
pub struct Witness {
    pub seq: i64,
    pub hash: String,
    /// Where it was recorded, in words (检查点文件, 日志).
    pub source: String,
}

impl Witness {
    /// Parses `SEQ:HASH` as typed from a log line (at least 16 hex characters of the seal).
    pub fn parse(s: &str, source: &str) -> AppResult<Witness> {
        let (seq, hash) = s
            .trim()
            .split_once(':')
            .ok_or_else(|| AppError::invalid("见证值应写成“序号:封印”，例如 1200:3fa9…"))?;
        let seq: i64 = seq
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| AppError::invalid("见证值的序号应为正整数"))?;
        let hash = hash.trim().to_ascii_lowercase();
        if hash.len() < 16 || hash.len() > 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::invalid(
                "见证值的封印应为16至64位十六进制字符（日志中 hash 的值）",
            ));
        }
        Ok(Witness {
            seq,
            hash,
            source: source.to_string(),
        })
    }
}

/// Where `verify` looks besides the database.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Folder of the archive files.
    pub archive_dir: PathBuf,
    /// The checkpoint file, when there is one to compare.
    pub checkpoint: Option<PathBuf>,
    /// Further witnesses (from the log).
    pub witnesses: Vec<Witness>,
}

/// Walks a run of rows, checking order, linkage and seals.
struct Walker<'k> {
    key: &'k ChainKey,
    expected_seq: i64,
    prev_hash: String,
    problems: Vec<Problem>,
    /// Row numbers a witness names, and the seals found for them.
    watched: HashMap<i64, Option<String>>,
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
        self.note(row.seq, &row.hash);
        self.expected_seq = row.seq + 1;
        self.prev_hash = row.hash.clone();
    }

    /// Remembers the seal of a row a witness names.
    fn note(&mut self, seq: i64, hash: &str) {
        if let Some(slot) = self.watched.get_mut(&seq) {
            *slot = Some(hash.to_string());
        }
    }
}

async fn archives(db: &Db) -> AppResult<Vec<ArchiveRow>> {
    Ok(sqlx::query_as(&format!(
        "{} ORDER BY upto_seq, from_seq",
        ArchiveRow::SELECT
    ))
    .fetch_all(db.pool())
    .await?)
}

/// Checks the whole trail: every archive record's seal, the archive files found in
/// `archive_dir` (their digest and every row in them), every row in the database, the chain
/// head's seal, and the chain against the checkpoint and any other witness. Names the first
/// affected row of every problem, earliest first.
pub async fn verify(db: &Db, key: &ChainKey, sources: &Sources) -> AppResult<Report> {
    let mut report = Report::default();
    let mut problems = Vec::new();
    let mut witnesses = sources.witnesses.clone();
    if let Some(path) = &sources.checkpoint {
        match checkpoint::read(path) {
            checkpoint::OnDisk::Missing => report.notices.push(format!(
                "没有检查点文件{}（首次启动前或已被移走），未能与之核对",
                path.display()
            )),
            checkpoint::OnDisk::Unreadable => problems.push(Problem {
                seq: 0,
                message: format!("检查点文件{}无法读取（被破坏或替换）", path.display()),
            }),
            checkpoint::OnDisk::Found(cp) if !cp.is_sealed_by(key) => problems.push(Problem {
                seq: cp.seq.max(0),
                message: format!(
                    "检查点文件{}的封印不符（被修改，或不是本系统写入的）",
                    path.display()
                ),
            }),
            checkpoint::OnDisk::Found(cp) => witnesses.push(Witness {
                seq: cp.seq,
                hash: cp.hash,
                source: "检查点文件".into(),
            }),
        }
    }
    let mut w = Walker {
        key,
        expected_seq: 1,
        prev_hash: GENESIS_HASH.to_string(),
        problems,
        watched: witnesses.iter().map(|x| (x.seq, None)).collect(),
    };
    for a in archives(db).await? {
        let r = &a.record();
        if a.seal.as_deref() != Some(key.seal_archive(r).as_str()) {
            // Not written by the platform: the rows it claims to cover count as missing.
            w.problems.push(Problem {
                seq: r.from_seq,
                message: format!(
                    "第{}条至第{}条的归档登记（文件{}）没有有效封印，是伪造或被改动的；这些记录按缺失处理",
                    r.from_seq, r.upto_seq, r.file
                ),
            });
            continue;
        }
        if r.from_seq > w.expected_seq {
            w.problems.push(Problem {
                seq: w.expected_seq,
                message: format!(
                    "第{}条至第{}条记录缺失（被删除）",
                    w.expected_seq,
                    r.from_seq - 1
                ),
            });
        } else if r.from_seq < w.expected_seq {
            w.problems.push(Problem {
                seq: r.from_seq,
                message: format!("归档文件{}与前一段归档重叠", r.file),
            });
        }
        let place = format!("归档文件{}中", r.file);
        match std::fs::read(sources.archive_dir.join(&r.file)) {
            Err(_) => report.notices.push(format!(
                "归档文件{}不在{}：第{}条至第{}条只核对了归档登记的封印",
                r.file,
                sources.archive_dir.display(),
                r.from_seq,
                r.upto_seq
            )),
            Ok(bytes) => {
                if hex::encode(Sha256::digest(&bytes)) != r.file_sha256 {
                    w.problems.push(Problem {
                        seq: r.from_seq,
                        message: format!("归档文件{}的校验值与归档登记不符（文件被修改）", r.file),
                    });
                }
                w.expected_seq = r.from_seq;
                w.prev_hash = match r.from_seq {
                    1 => GENESIS_HASH.to_string(),
                    _ => w.prev_hash.clone(),
                };
                for line in bytes.lines() {
                    let line = line.map_err(AppError::internal)?;
                    match serde_json::from_str::<AuditRow>(&line) {
                        Ok(row) => {
                            w.step(&row, &place);
                            report.archived_rows_checked += 1;
                        }
                        Err(_) => w.problems.push(Problem {
                            seq: w.expected_seq,
                            message: format!("{place}有无法读取的行"),
                        }),
                    }
                }
                if w.expected_seq <= r.upto_seq {
                    w.problems.push(Problem {
                        seq: w.expected_seq,
                        message: format!(
                            "{place}第{}条至第{}条记录缺失（文件不完整）",
                            w.expected_seq, r.upto_seq
                        ),
                    });
                } else if w.prev_hash != r.upto_hash {
                    w.problems.push(Problem {
                        seq: r.upto_seq,
                        message: format!("{place}最后一条记录与归档登记的封印不符"),
                    });
                }
            }
        }
        // The database part continues from the archive's sealed end, whatever the file held.
        w.note(r.upto_seq, &r.upto_hash);
        w.expected_seq = r.upto_seq + 1;
        w.prev_hash = r.upto_hash.clone();
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
    let (head_seq, head_hash, head_seal) = checkpoint::head(db).await?;
    if head_seal.as_deref() != Some(key.seal_head(head_seq, &head_hash).as_str()) {
        w.problems.push(Problem {
            seq: head_seq.min(last_seq) + 1,
            message: format!(
                "链头登记（第{head_seq}条）没有有效封印：被改动过，其后的记录可能已被删除"
            ),
        });
    }
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
    for x in &witnesses {
        if x.seq > last_seq {
            w.problems.push(Problem {
                seq: last_seq + 1,
                message: format!(
                    "第{}条至第{}条记录缺失（被删除）：{}记录审计记录曾到第{}条",
                    last_seq + 1,
                    x.seq,
                    x.source,
                    x.seq
                ),
            });
            continue;
        }
        match w.watched.get(&x.seq).cloned().flatten() {
            Some(found) if found.starts_with(&x.hash) => {}
            Some(_) => w.problems.push(Problem {
                seq: x.seq,
                message: format!("第{}条记录与{}记录的封印不符（被替换）", x.seq, x.source),
            }),
            None => report.notices.push(format!(
                "{}记录的第{}条已归档且归档文件不在此处，未能与之核对",
                x.source, x.seq
            )),
        }
    }
    w.problems.sort_by_key(|p| p.seq);
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
    sources: &Sources,
    retention_days: u32,
    now_ms: i64,
) -> AppResult<Option<ArchiveOutcome>> {
    let dir = sources.archive_dir.as_path();
    let retention_days = retention_days.max(180);
    let report = verify(db, &actor.key, sources).await?;
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
    crate::files::create_private_dir(dir)?;
    let file = format!("audit-{from:012}-{upto:012}.jsonl");
    let path = dir.join(&file);
    crate::files::ensure_private_file(&path)?;
    let mut out = std::io::BufWriter::new(
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)?,
    );
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
    let record = ArchiveRecord {
        from_seq: from,
        upto_seq: upto,
        upto_hash: last_hash,
        file: file.clone(),
        file_sha256: hex::encode(hasher.finalize()),
        archived_at: now_ms,
    };
    let seal = actor.key.seal_archive(&record);
    let backend = db.backend();
    let actor2 = actor.clone();
    db.write(move |tx| {
        let (r, seal, actor) = (record.clone(), seal.clone(), actor2.clone());
        Box::pin(async move {
            sqlx::query("INSERT INTO audit_archives (id, from_seq, upto_seq, upto_hash, file, file_sha256, archived_at, seal) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(crate::db::new_id())
                .bind(r.from_seq)
                .bind(r.upto_seq)
                .bind(&r.upto_hash)
                .bind(&r.file)
                .bind(&r.file_sha256)
                .bind(r.archived_at)
                .bind(&seal)
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM audit_log WHERE seq <= $1")
                .bind(r.upto_seq)
                .execute(&mut **tx)
                .await?;
            append_tx(
                tx,
                backend,
                &actor,
                r.archived_at,
                Event::new("audit.archive").detail(serde_json::json!({
                    "file": r.file, "from_seq": r.from_seq, "upto_seq": r.upto_seq, "rows": rows,
                    "file_sha256": r.file_sha256
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
