//! Background import jobs with live progress. Jobs live in this process's memory (their
//! outcome is also recorded in `import_batches`); a restarted server forgets running jobs,
//! whose transactions were then never committed.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use utoipa::ToSchema;

use super::Registry;
use super::import::{self, ImportKind, ImportOptions, ImportOutcome, Progress};
use super::scope::Scope;
use crate::audit::{self, Actor, Event};
use crate::db::{Db, new_id, now_ms};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Finished,
    Failed,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobStatus {
    pub id: String,
    pub kind: ImportKind,
    pub file_name: String,
    pub state: JobState,
    /// What the job is doing now, in Chinese.
    pub phase: String,
    pub rows_read: u64,
    pub rows_to_write: u64,
    pub rows_written: u64,
    /// 0–100.
    pub percent: u8,
    pub outcome: Option<ImportOutcome>,
    /// Set when the job failed as a whole (e.g. the file is not a spreadsheet).
    pub error: Option<crate::error::ErrorBody>,
}

struct Job {
    kind: ImportKind,
    file_name: String,
    scope: Scope,
    progress: Arc<Progress>,
    result: Option<Result<ImportOutcome, crate::error::ErrorBody>>,
    report: Option<Arc<Vec<u8>>>,
    /// A dry run keeps its file, so that the person can confirm the import without uploading again.
    kept: Option<Arc<Vec<u8>>>,
    /// The options it ran with (a confirmed dry run keeps the person's choices).
    opts: ImportOptions,
}

const MAX_FINISHED_JOBS: usize = 200;

#[derive(Clone, Default)]
pub struct Jobs {
    inner: Arc<Mutex<HashMap<i64, Job>>>,
}

impl Jobs {
    /// Starts an import in the background and returns its id at once.
    pub fn start(
        &self,
        reg: Registry,
        actor: Actor,
        kind: ImportKind,
        file_name: String,
        data: Vec<u8>,
        opts: ImportOptions,
    ) -> i64 {
        let data = Arc::new(data);
        let scope = actor.scope.clone();
        let id = new_id();
        let progress = Arc::new(Progress::default());
        let mut map = self.inner.lock().expect("not poisoned");
        // Keep the most recent finished jobs (and their error reports) only; ids are time-ordered.
        let mut finished: Vec<i64> = map
            .iter()
            .filter(|(_, j)| j.result.is_some())
            .map(|(id, _)| *id)
            .collect();
        if finished.len() >= MAX_FINISHED_JOBS {
            finished.sort_unstable();
            for old in &finished[..finished.len() + 1 - MAX_FINISHED_JOBS] {
                map.remove(old);
            }
        }
        map.insert(
            id,
            Job {
                kind,
                file_name: file_name.clone(),
                scope: scope.clone(),
                progress: progress.clone(),
                result: None,
                report: None,
                kept: opts.dry_run.then(|| data.clone()),
                opts: opts.clone(),
            },
        );
        drop(map);
        let jobs = self.clone();
        tokio::spawn(async move {
            let started = now_ms();
            let result = import::run(&reg, &actor, kind, data, &opts, progress).await;
            record_batch(&reg, &actor, id, kind, &file_name, &opts, &result, started).await;
            let mut map = jobs.inner.lock().expect("not poisoned");
            if let Some(job) = map.get_mut(&id) {
                match result {
                    Ok((outcome, report)) => {
                        job.result = Some(Ok(outcome));
                        job.report = report.map(Arc::new);
                    }
                    Err(e) => {
                        job.result = Some(Err(crate::error::ErrorBody::from(&e)));
                    }
                }
            }
        });
        id
    }

    /// A job's status, if it exists and was started within the caller's scope.
    pub fn status(&self, id: i64, scope: &Scope) -> Option<JobStatus> {
        let map = self.inner.lock().expect("not poisoned");
        let job = map.get(&id).filter(|j| scope.contains(j.scope.path()))?;
        let p = &job.progress;
        let (rows_read, to_write, written) = (
            p.rows_read.load(Ordering::Relaxed),
            p.rows_to_write.load(Ordering::Relaxed),
            p.rows_written.load(Ordering::Relaxed),
        );
        let (state, outcome, error) = match &job.result {
            None => (JobState::Running, None, None),
            Some(Ok(o)) => (JobState::Finished, Some(o.clone()), None),
            Some(Err(e)) => (JobState::Failed, None, Some(e.clone())),
        };
        let percent = match state {
            JobState::Running => p.percent(),
            _ => 100,
        };
        Some(JobStatus {
            id: id.to_string(),
            kind: job.kind,
            file_name: job.file_name.clone(),
            state,
            phase: p.phase().to_string(),
            rows_read,
            rows_to_write: to_write,
            rows_written: written,
            percent,
            outcome,
            error,
        })
    }

    /// Runs for real the file of a finished dry run in the caller's scope; the new job's id.
    pub fn confirm(&self, reg: Registry, actor: Actor, id: i64, skip_invalid: bool) -> Option<i64> {
        let (kind, file_name, data, checked_with) = {
            let map = self.inner.lock().expect("not poisoned");
            let job = map
                .get(&id)
                .filter(|j| actor.scope.contains(j.scope.path()))?;
            job.result.as_ref()?.as_ref().ok()?;
            (
                job.kind,
                job.file_name.clone(),
                job.kept.clone()?,
                job.opts.clone(),
            )
        };
        let opts = ImportOptions {
            dry_run: false,
            skip_invalid,
            ..checked_with
        };
        Some(self.start(reg, actor, kind, file_name, data.as_ref().clone(), opts))
    }

    pub fn error_report(&self, id: i64, scope: &Scope) -> Option<Arc<Vec<u8>>> {
        let map = self.inner.lock().expect("not poisoned");
        map.get(&id)
            .filter(|j| scope.contains(j.scope.path()))
            .and_then(|j| j.report.clone())
    }
}

/// Error reports larger than this are not kept in the history (the job page has them while
/// the server runs).
const KEPT_REPORT_MAX: usize = 20 * 1024 * 1024;

/// Records a finished import in the history and the audit trail: who, for which part of the
/// hierarchy, the file, the counts, and the error report.
#[allow(clippy::too_many_arguments)]
pub async fn record_batch(
    reg: &Registry,
    actor: &Actor,
    id: i64,
    kind: ImportKind,
    file_name: &str,
    opts: &ImportOptions,
    result: &Result<(ImportOutcome, Option<Vec<u8>>), crate::error::AppError>,
    started: i64,
) {
    // The name came with the upload: no control characters, no personal numbers kept.
    let file_name = crate::crypto::mask_personal_in_text(
        &file_name
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>(),
    );
    let (status, total, invalid, ins, upd, unch, msg) = match result {
        Ok((o, _)) => (
            if o.committed {
                "committed"
            } else {
                "not_committed"
            },
            o.rows_total,
            o.rows_invalid,
            o.inserted,
            o.updated,
            o.unchanged,
            o.message.clone(),
        ),
        Err(e) => ("failed", 0, 0, 0, 0, 0, e.message().to_string()),
    };
    // The report carries the refused rows as typed (ID numbers, mobiles): kept encrypted.
    let report = match result {
        Ok((_, Some(r))) if r.len() <= KEPT_REPORT_MAX => Some(reg.keys.encrypt_bytes(r)),
        _ => None,
    };
    let r = sqlx::query(
        "INSERT INTO import_batches (id, kind, file_name, dry_run, status, rows_total, rows_invalid, inserted, updated, unchanged, message, started_at, finished_at, \
         actor, scope_path, error_report) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)",
    )
    .bind(id)
    .bind(kind.code())
    .bind(&file_name)
    .bind(opts.dry_run as i64)
    .bind(status)
    .bind(total as i64)
    .bind(invalid as i64)
    .bind(ins as i64)
    .bind(upd as i64)
    .bind(unch as i64)
    .bind(msg)
    .bind(started)
    .bind(now_ms())
    .bind(&actor.name)
    .bind(actor.scope.path())
    .bind(report)
    .execute(reg.db.pool())
    .await;
    if let Err(e) = r {
        tracing::warn!(job = id, error = %e, "could not record import batch");
    }
    let detail = serde_json::json!({
        "kind": kind.code(), "file_name": file_name, "dry_run": opts.dry_run,
        "skip_invalid": opts.skip_invalid, "status": status, "rows_total": total, "rows_invalid": invalid,
        "inserted": ins, "updated": upd, "unchanged": unch,
    });
    let mut event = Event::new("import").target("import_job", id).detail(detail);
    if status == "failed" {
        event = event.failed();
    }
    if let Err(e) = audit::record(&reg.db, actor, now_ms(), event).await {
        tracing::error!(job = id, error = ?e, "could not record the import in the audit trail");
    }
}

/// One import as the history lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Batch {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub dry_run: i64,
    pub status: String,
    pub rows_total: i64,
    pub rows_invalid: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub message: Option<String>,
    pub started_at: i64,
    pub actor: Option<String>,
    pub has_report: i64,
}

/// The imports run within `scope` (newest first), a page at a time, and how many in all.
/// Imports run for the whole registry (and before who ran them was kept) show to the whole
/// registry only.
pub async fn history(
    db: &Db,
    scope: &Scope,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Batch>, i64)> {
    let (lo, hi) = scope.range();
    let cond = if scope.is_all() {
        "($1 = $1 AND $2 = $2)"
    } else {
        "(scope_path >= $1 AND scope_path < $2)"
    };
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM import_batches WHERE {cond}"
    ))
    .bind(&lo)
    .bind(&hi)
    .fetch_one(db.pool())
    .await?;
    let paging = crate::db::Paging::new(Some(page), Some(per_page), 50);
    let rows = sqlx::query_as(&format!(
        "SELECT id, kind, file_name, dry_run, status, rows_total, rows_invalid, inserted, updated, unchanged, message, started_at, actor, \
         CAST(CASE WHEN error_report IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_report \
         FROM import_batches WHERE {cond} ORDER BY started_at DESC, id DESC LIMIT {} OFFSET {}",
        paging.per_page,
        paging.offset()
    ))
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    Ok((rows, total))
}

/// The kept error report of an import run within `scope`, decrypted; its download recorded in
/// the audit trail (it holds the refused rows as typed, personal data included).
pub async fn kept_report(reg: &Registry, actor: &Actor, id: i64) -> AppResult<Vec<u8>> {
    let row: Option<(Option<String>, Option<Vec<u8>>, String)> = sqlx::query_as(
        "SELECT scope_path, error_report, file_name FROM import_batches WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(reg.db.pool())
    .await?;
    let scope = &actor.scope;
    match row {
        Some((path, Some(sealed), file_name))
            if scope.is_all() || path.as_deref().is_some_and(|p| scope.contains(p)) =>
        {
            let report = reg.keys.decrypt_bytes(&sealed)?;
            audit::record(
                &reg.db,
                actor,
                now_ms(),
                Event::new("import.report_download")
                    .target("import_job", id)
                    .detail(serde_json::json!({ "file_name": file_name })),
            )
            .await?;
            Ok(report)
        }
        _ => Err(AppError::not_found("错误报告")),
    }
}
