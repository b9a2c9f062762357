//! The audit trail: append-only and hash-chained. Each row carries the HMAC-SHA256 of its own
//! content and of the previous row's hash, under a key kept outside the database (derived from
//! the field-key file). Changing, inserting or deleting a row therefore breaks the chain at that
//! row, and someone with write access to the database alone cannot re-seal it.
//!
//! Rows are written in the same transaction as the change they record. Sensitive values never
//! enter a row: callers pass masked forms only.

pub mod checkpoint;
pub mod describe;
pub mod verify;

use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::crypto::FieldKeys;
use crate::db::{Backend, Db, Tx, col};
use crate::error::AppResult;
use crate::registry::scope::Scope;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The key that seals the chain.
#[derive(Clone)]
pub struct ChainKey(Arc<[u8; 32]>);

impl ChainKey {
    pub fn from_keys(keys: &FieldKeys) -> ChainKey {
        ChainKey(Arc::new(keys.derive_key("gonghui audit chain v1")))
    }

    /// HMAC-SHA256 over `parts`, each followed by a unit separator.
    fn mac(&self, parts: &[&str]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref()).expect("any key size");
        for f in parts {
            mac.update(f.as_bytes());
            mac.update(b"\x1f");
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The seal of one row: HMAC over its fields and the previous row's hash.
    pub fn seal(&self, row: &AuditRow) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "\u{1e}".into());
        let fields = [
            row.seq.to_string(),
            row.at.to_string(),
            row.actor_id
                .map(|v| v.to_string())
                .unwrap_or_else(|| "\u{1e}".into()),
            row.actor.clone(),
            row.actor_kind.clone(),
            opt(&row.ip),
            row.action.clone(),
            opt(&row.target_type),
            opt(&row.target_id),
            opt(&row.scope_path),
            row.outcome.clone(),
            row.detail.clone(),
            row.prev_hash.clone(),
        ];
        let parts: Vec<&str> = fields.iter().map(String::as_str).collect();
        self.mac(&parts)
    }

    /// The seal of the chain head: which row is the newest. Rows' seals begin with a number,
    /// so a head, archive or checkpoint seal (each begins with its own word) is never one.
    pub fn seal_head(&self, seq: i64, hash: &str) -> String {
        self.mac(&["head", &seq.to_string(), hash])
    }

    /// The seal of an archive record: which rows went to which file, and how the chain ended.
    pub fn seal_archive(&self, a: &ArchiveRecord) -> String {
        self.mac(&[
            "archive",
            &a.from_seq.to_string(),
            &a.upto_seq.to_string(),
            &a.upto_hash,
            &a.file,
            &a.file_sha256,
            &a.archived_at.to_string(),
        ])
    }

    /// The seal of a checkpoint written outside the database.
    pub fn seal_checkpoint(&self, seq: i64, hash: &str, at: i64) -> String {
        self.mac(&["checkpoint", &seq.to_string(), hash, &at.to_string()])
    }
}

/// One row of `audit_archives`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ArchiveRow {
    pub id: i64,
    pub from_seq: i64,
    pub upto_seq: i64,
    pub upto_hash: String,
    pub file: String,
    pub file_sha256: String,
    pub archived_at: i64,
    pub seal: Option<String>,
}

impl ArchiveRow {
    pub(crate) const SELECT: &'static str = "SELECT id, from_seq, upto_seq, upto_hash, file, file_sha256, archived_at, seal FROM audit_archives";

    pub(crate) fn record(&self) -> ArchiveRecord {
        ArchiveRecord {
            from_seq: self.from_seq,
            upto_seq: self.upto_seq,
            upto_hash: self.upto_hash.clone(),
            file: self.file.clone(),
            file_sha256: self.file_sha256.clone(),
            archived_at: self.archived_at,
        }
    }
}

/// What `audit_archives` records of one archive file (its seal aside).
#[derive(Debug, Clone)]
pub struct ArchiveRecord {
    pub from_seq: i64,
    pub upto_seq: i64,
    pub upto_hash: String,
    pub file: String,
    pub file_sha256: String,
    pub archived_at: i64,
}

/// Who did something, from where, acting within which subtree.
#[derive(Clone)]
pub struct Actor {
    pub account_id: Option<i64>,
    pub name: String,
    /// `account`, `token`, `system` or `anonymous`.
    pub kind: &'static str,
    pub ip: Option<String>,
    pub scope: Scope,
    pub key: ChainKey,
}

impl Actor {
    /// The platform itself (command line, start-up, background work).
    pub fn system(keys: &FieldKeys, what: &str) -> Actor {
        Actor {
            account_id: None,
            name: what.to_string(),
            kind: "system",
            ip: None,
            scope: Scope::all(),
            key: ChainKey::from_keys(keys),
        }
    }
}

/// One recorded action.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: &'static str,
    pub target_type: Option<&'static str>,
    pub target_id: Option<String>,
    pub outcome: &'static str,
    /// Before/after values and parameters, sensitive values masked.
    pub detail: serde_json::Value,
}

impl Event {
    pub fn new(action: &'static str) -> Event {
        Event {
            action,
            target_type: None,
            target_id: None,
            outcome: "ok",
            detail: serde_json::Value::Null,
        }
    }

    pub fn target(mut self, kind: &'static str, id: impl ToString) -> Event {
        self.target_type = Some(kind);
        self.target_id = Some(id.to_string());
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Event {
        self.detail = detail;
        self
    }

    pub fn failed(mut self) -> Event {
        self.outcome = "failed";
        self
    }

    pub fn denied(mut self) -> Event {
        self.outcome = "denied";
        self
    }
}

/// A stored row.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRow {
    pub seq: i64,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub actor_id: Option<i64>,
    pub actor: String,
    pub actor_kind: String,
    pub ip: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub scope_path: Option<String>,
    pub outcome: String,
    /// JSON text.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

const ROW_COLUMNS: &str = "seq, at, actor_id, actor, actor_kind, ip, action, target_type, target_id, scope_path, outcome, detail, prev_hash, hash";

fn row_from(r: &sqlx::any::AnyRow) -> AppResult<AuditRow> {
    Ok(AuditRow {
        seq: col(r, "seq")?,
        at: col(r, "at")?,
        actor_id: col(r, "actor_id")?,
        actor: col(r, "actor")?,
        actor_kind: col(r, "actor_kind")?,
        ip: col(r, "ip")?,
        action: col(r, "action")?,
        target_type: col(r, "target_type")?,
        target_id: col(r, "target_id")?,
        scope_path: col(r, "scope_path")?,
        outcome: col(r, "outcome")?,
        detail: col(r, "detail")?,
        prev_hash: col(r, "prev_hash")?,
        hash: col(r, "hash")?,
    })
}

/// Appends one row inside the caller's write transaction, whatever its backend.
pub async fn record_tx(tx: &mut Tx, actor: &Actor, at: i64, event: Event) -> AppResult<i64> {
    let backend = crate::db::tx_backend(tx);
    append_tx(tx, backend, actor, at, event).await
}

/// Takes the chain head's lock now (PostgreSQL; SQLite's write transactions are serial
/// already): a transaction that keeps shared running rows locks them only while holding it,
/// so such rows are updated one transaction at a time and never in an order that deadlocks
/// with an append.
pub async fn lock_head(tx: &mut Tx, backend: Backend) -> AppResult<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Appends one row inside the caller's write transaction. The chain head row serialises
/// appenders (SQLite's write transactions already are; PostgreSQL locks the row).
pub async fn append_tx(
    tx: &mut Tx,
    backend: Backend,
    actor: &Actor,
    at: i64,
    event: Event,
) -> AppResult<i64> {
    let head_sql = match backend {
        Backend::Sqlite => "SELECT seq, hash FROM audit_head WHERE id = 1",
        Backend::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    };
    let (seq, prev_hash): (i64, String) = sqlx::query_as(head_sql).fetch_one(&mut **tx).await?;
    let mut row = AuditRow {
        seq: seq + 1,
        at,
        actor_id: actor.account_id,
        actor: actor.name.clone(),
        actor_kind: actor.kind.to_string(),
        ip: actor.ip.clone(),
        action: event.action.to_string(),
        target_type: event.target_type.map(str::to_string),
        target_id: event.target_id,
        scope_path: Some(actor.scope.path().to_string()),
        outcome: event.outcome.to_string(),
        detail: if event.detail.is_null() {
            "{}".to_string()
        } else {
            event.detail.to_string()
        },
        prev_hash,
        hash: String::new(),
    };
    row.hash = actor.key.seal(&row);
    sqlx::query(&format!(
        "INSERT INTO audit_log ({ROW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(row.seq)
    .bind(row.at)
    .bind(row.actor_id)
    .bind(&row.actor)
    .bind(&row.actor_kind)
    .bind(&row.ip)
    .bind(&row.action)
    .bind(&row.target_type)
    .bind(&row.target_id)
    .bind(&row.scope_path)
    .bind(&row.outcome)
    .bind(&row.detail)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2, seal = $3 WHERE id = 1")
        .bind(row.seq)
        .bind(&row.hash)
        .bind(actor.key.seal_head(row.seq, &row.hash))
        .execute(&mut **tx)
        .await?;
    Ok(row.seq)
}

/// Seals the chain head and the archive records written before seals existed. Only the start
/// that applies the migration adding them calls this: a seal missing later means tampering.
pub async fn seal_on_upgrade(db: &Db, key: &ChainKey) -> AppResult<()> {
    let key = key.clone();
    db.write(move |tx| {
        let key = key.clone();
        Box::pin(async move {
            let (seq, hash): (i64, String) =
                sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                    .fetch_one(&mut **tx)
                    .await?;
            sqlx::query("UPDATE audit_head SET seal = $1 WHERE id = 1")
                .bind(key.seal_head(seq, &hash))
                .execute(&mut **tx)
                .await?;
            let archives: Vec<ArchiveRow> =
                sqlx::query_as(&format!("{} WHERE seal IS NULL", ArchiveRow::SELECT))
                    .fetch_all(&mut **tx)
                    .await?;
            for a in archives {
                sqlx::query("UPDATE audit_archives SET seal = $1 WHERE id = $2")
                    .bind(key.seal_archive(&a.record()))
                    .bind(a.id)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        })
    })
    .await
}

/// Records an event in its own transaction (logins, reveals, exports: things that are not
/// themselves a database write).
pub async fn record(db: &Db, actor: &Actor, at: i64, event: Event) -> AppResult<i64> {
    let backend = db.backend();
    db.write(move |tx| {
        let (actor, event) = (actor.clone(), event.clone());
        Box::pin(async move { append_tx(tx, backend, &actor, at, event).await })
    })
    .await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Account name, exact.
    pub actor: Option<String>,
    /// Action, exact or a prefix ending in `.` (e.g. `login.` or `member.`).
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// ok / failed / denied, or not_ok for both failed and denied.
    pub outcome: Option<String>,
    /// YYYY-MM-DD, inclusive.
    pub from: Option<String>,
    /// YYYY-MM-DD, inclusive.
    pub to: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub rows: Vec<AuditRow>,
}

fn day_start_ms(s: &str, field: &str) -> AppResult<i64> {
    let d = crate::types::parse_date(s).map_err(|e| e.context(field))?;
    Ok(d.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_local_timezone(chrono::Local)
        .earliest()
        .map(|t| t.timestamp_millis())
        .unwrap_or(0))
}

/// Newest first, filtered, limited to rows recorded within the reader's subtree.
pub async fn list(db: &Db, scope: &Scope, f: &AuditFilter) -> AppResult<AuditPage> {
    let mut cond = vec!["1 = 1".to_string()];
    let mut args: Vec<String> = Vec::new();
    let mut ints: Vec<i64> = Vec::new();
    let mut push = |cond: &mut Vec<String>, sql: &str, v: String| {
        args.push(v);
        cond.push(sql.replace('?', &format!("${}", args.len())));
    };
    if !scope.is_all() {
        let (lo, hi) = scope.range();
        push(&mut cond, "scope_path >= ?", lo);
        push(&mut cond, "scope_path < ?", hi);
    }
    if let Some(a) = f.actor.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        push(&mut cond, "actor = ?", a.to_string());
    }
    if let Some(a) = f.action.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if a.ends_with('.') {
            push(&mut cond, "action >= ?", a.to_string());
            push(&mut cond, "action < ?", format!("{a}\u{10ffff}"));
        } else {
            push(&mut cond, "action = ?", a.to_string());
        }
    }
    if let Some(t) = f.target_type.as_deref().filter(|s| !s.is_empty()) {
        push(&mut cond, "target_type = ?", t.to_string());
    }
    if let Some(t) = f.target_id.as_deref().filter(|s| !s.is_empty()) {
        push(&mut cond, "target_id = ?", t.to_string());
    }
    match f.outcome.as_deref().filter(|s| !s.is_empty()) {
        Some("not_ok") => cond.push("outcome <> 'ok'".into()),
        Some(o) => push(&mut cond, "outcome = ?", o.to_string()),
        None => {}
    }
    let n_text = args.len();
    if let Some(from) = f.from.as_deref().filter(|s| !s.is_empty()) {
        ints.push(day_start_ms(from, "开始日期")?);
        cond.push(format!("at >= ${}", n_text + ints.len()));
    }
    if let Some(to) = f.to.as_deref().filter(|s| !s.is_empty()) {
        ints.push(day_start_ms(to, "结束日期")? + 86_400_000);
        cond.push(format!("at < ${}", n_text + ints.len()));
    }
    let paging = crate::db::Paging::new(f.page.map(i64::from), f.per_page.map(i64::from), 50);
    let (page, per_page) = (paging.page as u32, paging.per_page as u32);
    let where_sql = cond.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM audit_log WHERE {where_sql}");
    let mut q = sqlx::query_scalar::<_, i64>(&count_sql);
    for a in &args {
        q = q.bind(a);
    }
    for i in &ints {
        q = q.bind(i);
    }
    let total = q.fetch_one(db.pool()).await?;
    let rows_sql = format!(
        "SELECT {ROW_COLUMNS} FROM audit_log WHERE {where_sql} ORDER BY seq DESC LIMIT {per_page} OFFSET {}",
        paging.offset()
    );
    let mut q = sqlx::query(&rows_sql);
    for a in &args {
        q = q.bind(a);
    }
    for i in &ints {
        q = q.bind(i);
    }
    let rows = q
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(row_from)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(AuditPage {
        total,
        page,
        per_page,
        rows,
    })
}

/// Rows in sequence order from `after_seq` (exclusive), at most `limit`.
pub async fn rows_after(db: &Db, after_seq: i64, limit: i64) -> AppResult<Vec<AuditRow>> {
    sqlx::query(&format!(
        "SELECT {ROW_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(after_seq)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(row_from)
    .collect()
}
