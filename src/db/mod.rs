//! Database access: one code path for SQLite and PostgreSQL through sqlx's `Any` driver.
//!
//! Rules that keep one SQL text valid on both backends (see docs/decisions.md):
//! - placeholders are `$1, $2, …` (SQLite accepts them as numbered parameters);
//! - column types are BIGINT, TEXT and `{blob}` only; flags are BIGINT 0/1; dates are ISO TEXT;
//! - aggregates over BIGINT are cast back with `CAST(… AS BIGINT)` (PostgreSQL's SUM is NUMERIC);
//! - every write transaction goes through [`Db::write`] / [`Db::begin_write`].

pub mod bulk;
pub mod migrations;
mod sqlite_rows;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use std::str::FromStr;

use sqlx::ConnectOptions;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::error::{AppError, AppResult};

/// A page of a list as asked for: pages count from 1 up to [`Paging::MAX_PAGE`], sizes from 1
/// to 500. Out-of-range numbers are brought into range rather than refused (a bookmarked
/// link past the end shows an empty page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub const MAX_PAGE: i64 = 100_000;
    pub const MAX_PER_PAGE: i64 = 500;

    pub fn new(page: Option<i64>, per_page: Option<i64>, default_per_page: i64) -> Paging {
        Paging {
            page: page.unwrap_or(1).clamp(1, Self::MAX_PAGE),
            per_page: per_page
                .unwrap_or(default_per_page)
                .clamp(1, Self::MAX_PER_PAGE),
        }
    }

    /// Rows before this page.
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

impl Default for Paging {
    /// The first page of 50.
    fn default() -> Paging {
        Paging::new(None, None, 50)
    }
}

/// One page of `SELECT {select} WHERE {cond} ORDER BY {order}` and how many rows
/// `SELECT COUNT(*) {count_from} WHERE {cond}` finds; `args` bind `$1…` of `cond`.
pub async fn paged<T>(
    db: &Db,
    select: &str,
    count_from: &str,
    cond: &str,
    order: &str,
    args: &[String],
    paging: &Paging,
) -> AppResult<(Vec<T>, i64)>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let count_sql = format!("SELECT CAST(COUNT(*) AS BIGINT) {count_from} WHERE {cond}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for a in args {
        count = count.bind(a.clone());
    }
    let total = count.fetch_one(db.pool()).await?;
    let sql = format!(
        "SELECT {select} WHERE {cond} ORDER BY {order} LIMIT {} OFFSET {}",
        paging.per_page,
        paging.offset()
    );
    let mut q = sqlx::query_as::<_, T>(&sql);
    for a in args {
        q = q.bind(a.clone());
    }
    Ok((q.fetch_all(db.pool()).await?, total))
}

/// A list's WHERE condition with its text arguments, for [`paged`]: each `?` of a part added
/// becomes the next `$n`. Arguments are text: compare a number column with `CAST(? AS BIGINT)`
/// (PostgreSQL does not compare BIGINT with text).
#[derive(Debug, Clone, Default)]
pub struct Where {
    pub cond: String,
    pub args: Vec<String>,
}

impl Where {
    /// Rows whose path column `col` lies in `scope`.
    pub fn in_scope(col: &str, scope: &crate::registry::scope::Scope) -> Where {
        let (lo, hi) = scope.range();
        Where {
            cond: format!("{col} >= $1 AND {col} < $2"),
            args: vec![lo, hi],
        }
    }

    /// Adds `AND {part}`, its `?`s bound to `values` in order.
    pub fn and(&mut self, part: &str, values: &[&str]) -> &mut Where {
        let mut values = values.iter();
        self.cond.push_str(" AND ");
        for piece in part.split_inclusive('?') {
            let placeholder = match piece.strip_suffix('?') {
                Some(text) => values.next().map(|v| (text, v)),
                None => None,
            };
            match placeholder {
                Some((text, v)) => {
                    self.args.push((*v).to_string());
                    self.cond.push_str(text);
                    self.cond.push_str(&format!("${}", self.args.len()));
                }
                None => self.cond.push_str(piece),
            }
        }
        self
    }
}

pub type Tx = Transaction<'static, Any>;
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// The connection URL as the pool opened it (SQLite: with its creation mode).
    url: String,
}

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> AppResult<Db> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        if backend == Backend::Sqlite {
            sqlite_process_settings();
        }
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        if backend == Backend::Sqlite {
            // WAL is a property of the file: set it once, before the pool opens many connections.
            let one = AnyPoolOptions::new()
                .max_connections(1)
                .connect(&url)
                .await
                .map_err(connect_error)?;
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&one)
                .await
                .map_err(connect_error)?;
            one.close().await;
        }
        let pool = open_pool(&url, backend, max_connections.max(1), false).await?;
        Ok(Db { pool, backend, url })
    }

    /// A one-connection SQLite pool for one bulk load; close it after use, then call
    /// [`Db::checkpoint_in_background`]. Its foreign-key checks are off: they cost two parent
    /// lookups per inserted row (measured: about one second per 500,000 members), and a bulk
    /// load only writes ids it has just read or made itself; unions and employers are never
    /// deleted, so a parent read before the load still exists during it. Its commit does not
    /// copy the write-ahead log into the database file (the checkpoint; about a second after
    /// 500,000 members): the committed rows are safe in the log, and the copy can be made
    /// after the cadre has the result. The main pool's connections keep both as usual.
    ///
    /// None for PostgreSQL, and for an in-memory SQLite database, where a new connection
    /// would open a database of its own.
    pub async fn sqlite_bulk_writer(&self) -> AppResult<Option<Db>> {
        if self.backend != Backend::Sqlite
            || self.url.contains(":memory:")
            || self.url.contains("mode=memory")
        {
            return Ok(None);
        }
        let pool = open_pool(&self.url, self.backend, 1, true).await?;
        Ok(Some(Db {
            pool,
            backend: self.backend,
            url: self.url.clone(),
        }))
    }

    /// After rewriting much of `tables` outside a bulk load (an upgrade filling a new column,
    /// totals rebuilt): fresh planner statistics, and on PostgreSQL the dead row versions
    /// cleared so that counts read the index alone again (a `VACUUM`, which runs outside any
    /// transaction). Tables are names from the code, never from input.
    pub async fn tidy_after_rewrite(&self, tables: &[&str]) -> AppResult<()> {
        use sqlx::Executor;
        match self.backend() {
            Backend::Sqlite => {
                for t in tables {
                    self.pool().execute(format!("ANALYZE {t}").as_str()).await?;
                }
            }
            Backend::Postgres => {
                for t in tables {
                    self.pool()
                        .execute(format!("VACUUM ANALYZE {t}").as_str())
                        .await?;
                }
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite so a transaction that reads
    /// before it writes takes the write lock up front instead of failing with SQLITE_BUSY.
    pub async fn begin_write(&self) -> AppResult<Tx> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    /// Runs `work` in a write transaction and commits it; retries a bounded number of times when
    /// the database reports a transient conflict (SQLite busy, PostgreSQL 40001/40P01).
    pub async fn write<T, F>(&self, mut work: F) -> AppResult<T>
    where
        T: Send,
        F: for<'t> FnMut(&'t mut Tx) -> BoxFut<'t, AppResult<T>> + Send,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async {
                let mut tx = self.begin_write().await?;
                let value = work(&mut tx).await?;
                tx.commit().await?;
                Ok::<T, AppError>(value)
            }
            .await;
            match result {
                Err(e) if attempt < 5 && e.is_transient() => {
                    tracing::warn!(attempt, "transient database conflict, retrying");
                    tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
                }
                other => return other,
            }
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// SQLite: copies the write-ahead log into the database file and empties the log, now
    /// (a command that wrote much ends with this; the server leaves it to the background).
    pub async fn checkpoint_now(&self) {
        if self.backend != Backend::Sqlite {
            return;
        }
        // A checkpoint already running (the one a bulk load begins in the background) makes
        // this one report "busy": wait for it and try again.
        for _ in 0..300 {
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await
            {
                Ok((0, _, _)) => return,
                Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => {
                    tracing::warn!(error = %e, "checkpoint failed; the next start completes it");
                    return;
                }
            }
        }
        tracing::warn!("checkpoint still busy after 30 s; the next start completes it");
    }

    /// SQLite: copies the write-ahead log into the database file on a background task
    /// (after a bulk load, see [`Db::sqlite_bulk_writer`]). Readers and writers go on
    /// meanwhile; if it cannot run, the next commit's automatic checkpoint does the work.
    pub fn checkpoint_in_background(&self) {
        if self.backend != Backend::Sqlite {
            return;
        }
        let pool = self.pool.clone();
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::warn!(error = %e, "background checkpoint after a bulk load failed");
            }
        });
    }
}

/// The backend a transaction runs on.
pub fn tx_backend(tx: &Tx) -> Backend {
    if tx.backend_name().eq_ignore_ascii_case("postgresql") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

pub fn backend_of(url: &str) -> AppResult<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(
            AppError::bad_request("数据库地址应以 sqlite:// 或 postgres:// 开头")
                .with_code("CONFIG"),
        )
    }
}

/// Opens a pool; `bulk_load` gives SQLite connections the settings of
/// [`Db::sqlite_bulk_writer`].
async fn open_pool(
    url: &str,
    backend: Backend,
    max_connections: u32,
    bulk_load: bool,
) -> AppResult<AnyPool> {
    let mut sqlite_settings = String::from(
        "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 15000; \
         PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY; PRAGMA threads = 2; ",
    );
    sqlite_settings.push_str(match bulk_load {
        false => "PRAGMA foreign_keys = ON",
        true => "PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 0",
    });
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            let settings = sqlite_settings.clone();
            Box::pin(async move {
                match backend {
                    Backend::Sqlite => {
                        conn.execute(settings.as_str()).await?;
                    }
                    // Prepared statements are planned for their values every time: a subtree
                    // range is every row at the city and a handful at a grassroots union, and
                    // the generic plan PostgreSQL switches to after five runs fits one of them
                    // only (measured: a 10,000-line payout batch 3 s → 48 s once the plan
                    // switched, the city's mutual-aid figures 17 ms → 116 ms).
                    Backend::Postgres => {
                        conn.execute("SET plan_cache_mode = force_custom_plan")
                            .await?;
                    }
                }
                Ok(())
            })
        })
        .connect_with(quiet_options(url)?)
        .await
        .map_err(connect_error)
}

/// Turns off SQLite's global memory statistics, which take a process-wide mutex on every
/// allocation (measured: several percent of a bulk import), and registers the bulk-insert
/// function for every connection. Must run before SQLite initialises; later calls are refused
/// by SQLite and change nothing.
fn sqlite_process_settings() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config with SQLITE_CONFIG_MEMSTATUS takes one int argument; it is only
        // valid before sqlite3_initialize, which is the first thing this process does with SQLite.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(
                libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                0 as std::os::raw::c_int,
            )
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(
                rc,
                "SQLite was already initialised; memory statistics stay on"
            );
        }
        if let Err(e) = sqlite_rows::register() {
            tracing::error!(error = %e, "registering the bulk-insert function failed");
        }
    });
}

/// Creates the SQLite file's folder and asks the driver to create the file if missing.
fn prepare_sqlite_url(url: &str) -> AppResult<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:"
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        crate::files::create_private_dir(dir).map_err(|e| {
            AppError::bad_request(format!("无法创建数据目录{}：{e}", dir.display()))
                .with_code("CONFIG")
        })?;
    }
    if path != ":memory:" && !query.contains("mode=memory") && !query.contains("mode=ro") {
        crate::files::ensure_private_file(std::path::Path::new(path)).map_err(|e| {
            AppError::bad_request(format!("无法创建数据库文件{path}：{e}")).with_code("CONFIG")
        })?;
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".into()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Statement logging off: statements are long (bulk inserts) and carry no value in logs.
fn quiet_options(url: &str) -> AppResult<AnyConnectOptions> {
    Ok(AnyConnectOptions::from_str(url)
        .map_err(connect_error)?
        .log_statements(tracing::log::LevelFilter::Off)
        .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(3600)))
}

fn connect_error(e: sqlx::Error) -> AppError {
    AppError::bad_request(format!("无法连接数据库：{e}")).with_code("DB_CONNECT")
}

impl AppError {
    /// Lock or serialization conflicts that a retry can resolve.
    pub fn is_transient(&self) -> bool {
        let Some(sqlx::Error::Database(db)) = self
            .source_ref()
            .and_then(|s| s.downcast_ref::<sqlx::Error>())
        else {
            return false;
        };
        // Busy/locked (SQLite); serialization failure, deadlock and unique violation
        // (PostgreSQL). Every `Db::write` closure checks before it writes, so on PostgreSQL a
        // unique violation means a concurrent writer committed first (the same new person
        // enrolled twice, two unions drawing the same number): redoing the transaction sees it
        // and answers properly. SQLite serialises writers, so there it cannot happen this way.
        matches!(
            db.code().as_deref(),
            Some("5" | "517" | "6" | "40001" | "40P01" | "23505")
        )
    }

    /// Unique-constraint violations, e.g. two imports racing on the same person.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self.source_ref().and_then(|s| s.downcast_ref::<sqlx::Error>()),
            Some(sqlx::Error::Database(db)) if db.is_unique_violation()
        )
    }
}

/// Application-generated 63-bit ids, time-ordered: milliseconds since 2024-01-01 in the high
/// bits, then a per-process sequence that starts at a random value. Bulk imports take ids
/// before inserting; several app nodes do not collide in practice (random start, 22 bits).
/// Ids start at 10^18, so they always have 19 digits: an 18-digit id could pass for a 身份证号
/// (it did, in the log check, whenever its middle digits formed a valid birth date), and
/// operators' data-leak scanners would flag logs full of them. Later ids stay larger than any
/// id issued before this offset, so ordering holds; the range lasts until about 2086.
const ID_FLOOR: i64 = 1_000_000_000_000_000_000;

pub fn new_id() -> i64 {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| rand::random::<u64>() & 0x3F_FFFF);
    const EPOCH_MS: u64 = 1_704_067_200_000;
    let ms = (chrono::Utc::now().timestamp_millis() as u64).saturating_sub(EPOCH_MS);
    let seq = (start + SEQ.fetch_add(1, Ordering::Relaxed)) & 0x3F_FFFF;
    ID_FLOOR + (((ms << 22) | seq) as i64 & i64::MAX)
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A `LIKE` pattern matching `typed` anywhere, its `%`, `_` and `\\` taken literally; use it
/// with [`LIKE_ESCAPE`] after the pattern (`name LIKE $3 ESCAPE '\\'`), on both backends.
pub fn like_contains(typed: &str) -> String {
    format!("%{}%", like_escape(typed))
}

/// `typed` with the `LIKE` wildcards `%`, `_` and the escape `\\` escaped (see [`LIKE_ESCAPE`]).
pub fn like_escape(typed: &str) -> String {
    let mut p = String::with_capacity(typed.len() + 2);
    for c in typed.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p
}

/// The escape clause that goes with [`like_contains`].
pub const LIKE_ESCAPE: &str = "ESCAPE '\\'";

/// Upper bound for a materialised-path prefix range: `/1/23/` → `/1/230` (`0` follows `/`).
pub fn path_upper(prefix: &str) -> String {
    let mut s = prefix.trim_end_matches('/').to_string();
    s.push('0');
    s
}

/// Reads one column by name, turning decode errors into internal errors.
pub fn col<'r, T>(row: &'r AnyRow, name: &str) -> AppResult<T>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    use sqlx::Row;
    row.try_get(name).map_err(AppError::internal)
}

/// Placeholders for a multi-row VALUES list: `(…), (…)`. PostgreSQL gets `$1, $2, …`; SQLite
/// gets bare `?` (bound in order), because SQLite resolves every *numbered* parameter's name by
/// a linear scan, which makes binding a 26,000-parameter bulk insert quadratic (measured: 140 s
/// instead of about one second for 500,000 rows).
/// Numbered placeholders `$1,$2,…,$n` for an `IN (…)` list.
pub fn in_list(n: usize) -> String {
    in_list_from(1, n)
}

/// Numbered placeholders `$first,…` for `n` values after `first - 1` others. Keep lists to a
/// thousand or so on SQLite (see above).
pub fn in_list_from(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn values_placeholders(backend: Backend, rows: usize, cols: usize) -> String {
    if backend == Backend::Sqlite {
        let row = format!("({})", vec!["?"; cols].join(","));
        return vec![row; rows].join(",");
    }
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_stays_in_range_whatever_is_asked() {
        let p = Paging::new(Some(i64::MAX), Some(i64::MAX), 50);
        assert_eq!((p.page, p.per_page), (Paging::MAX_PAGE, 500));
        assert!(p.offset() < i64::MAX / 2);
        let p = Paging::new(Some(i64::MIN), Some(-5), 50);
        assert_eq!((p.page, p.per_page, p.offset()), (1, 1, 0));
        assert_eq!(
            Paging::new(None, None, 50),
            Paging {
                page: 1,
                per_page: 50
            }
        );
    }

    #[test]
    fn conditions_number_their_arguments_in_order() {
        let mut w = Where::in_scope("s.org_path", &crate::registry::scope::Scope::subtree("/1/"));
        w.and("s.level = ?", &["city"])
            .and("(s.name LIKE ? OR s.field LIKE ?)", &["%a%", "%b%"])
            .and("s.status = 'named'", &[]);
        assert_eq!(
            w.cond,
            "s.org_path >= $1 AND s.org_path < $2 AND s.level = $3 AND (s.name LIKE $4 OR s.field LIKE $5) AND s.status = 'named'"
        );
        assert_eq!(&w.args[2..], ["city", "%a%", "%b%"]);
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_contains("张三"), "%张三%");
        assert_eq!(like_contains("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn ids_are_unique_and_increasing() {
        let a = new_id();
        let b = new_id();
        assert!(a > 0 && b > a);
    }

    #[test]
    fn ids_have_nineteen_digits_so_they_never_pass_for_id_numbers() {
        for _ in 0..1000 {
            let id = new_id().to_string();
            assert_eq!(id.len(), 19, "{id}");
            assert!(crate::types::IdCardNo::parse(&id).is_err());
        }
    }

    #[test]
    fn path_upper_bounds_the_subtree() {
        let up = path_upper("/1/23/");
        assert_eq!(up, "/1/230");
        assert!("/1/23/456/" < up.as_str() && "/1/23/" < up.as_str());
        assert!("/1/24/" > up.as_str());
    }

    #[test]
    fn placeholders() {
        assert_eq!(
            values_placeholders(Backend::Postgres, 2, 2),
            "($1,$2),($3,$4)"
        );
        assert_eq!(values_placeholders(Backend::Sqlite, 2, 2), "(?,?),(?,?)");
        assert_eq!(in_list(3), "$1,$2,$3");
    }
}
