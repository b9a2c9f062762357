//! SQLite: rows handed to an `INSERT … SELECT` through a table-valued function,
//! `gonghui_rows(token)`, instead of being bound one parameter at a time.
//!
//! A bulk load binds tens of millions of values; through sqlx every value is copied into its
//! argument list, matched to its parameter by name and copied again by SQLite, and the
//! database thread waits while the next statement's arguments are built. Here the rows are
//! lent (see [`Lent`]) under a token, and SQLite reads each value straight from them while it
//! inserts. The function is registered on every SQLite connection this process opens.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::os::raw::{c_char, c_int};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use rusqlite::vtab::{
    Context, IndexConstraintOp, IndexInfo, VTab, VTabConnection, VTabCursor, Values,
    eponymous_only_module, sqlite3_vtab, sqlite3_vtab_cursor,
};

use super::bulk::Val;

/// The function's name in SQL.
pub const FUNCTION: &str = "gonghui_rows";
/// Columns `c0 … c39`; a row may be narrower (the rest read as NULL).
pub const MAX_COLUMNS: usize = 40;

type Rows = Vec<Vec<Val>>;

static LENT: LazyLock<Mutex<HashMap<i64, Arc<Rows>>>> = LazyLock::new(Default::default);
static NEXT_TOKEN: AtomicI64 = AtomicI64::new(1);

/// Rows lent to SQLite under a token for as long as this value lives.
pub struct Lent {
    token: i64,
}

impl Lent {
    pub fn new(rows: Rows) -> Lent {
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        lent_rows().insert(token, Arc::new(rows));
        Lent { token }
    }

    pub fn token(&self) -> i64 {
        self.token
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        lent_rows().remove(&self.token);
    }
}

fn lent_rows() -> std::sync::MutexGuard<'static, HashMap<i64, Arc<Rows>>> {
    // The map is never left half-changed, so a panic elsewhere cannot poison its contents.
    LENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Registers `gonghui_rows` for every SQLite connection opened from now on. Call once, before
/// the first connection.
pub fn register() -> Result<(), String> {
    unsafe extern "C" fn entry(
        db: *mut rusqlite::ffi::sqlite3,
        error: *mut *mut c_char,
        _api: *const rusqlite::ffi::sqlite3_api_routines,
    ) -> c_int {
        // SAFETY: SQLite calls this with a connection it has just opened; `add_function` only
        // registers a module on it and neither closes it nor opens another.
        unsafe { rusqlite::auto_extension::init_auto_extension(db, error, add_function) }
    }
    fn add_function(conn: rusqlite::Connection) -> rusqlite::Result<()> {
        conn.create_module(FUNCTION, eponymous_only_module::<RowsTable>(), None)
    }
    // SAFETY: `entry` matches the signature SQLite expects of an automatic extension.
    unsafe { rusqlite::auto_extension::register_auto_extension(entry) }.map_err(|e| e.to_string())
}

#[repr(C)]
struct RowsTable {
    /// SQLite's part of the table; must come first.
    base: sqlite3_vtab,
}

// SAFETY: `RowsTable` is `repr(C)` with SQLite's `sqlite3_vtab` first, as the trait requires.
unsafe impl<'vtab> VTab<'vtab> for RowsTable {
    type Aux = ();
    type Cursor = RowsCursor<'vtab>;

    fn connect(
        _db: &mut VTabConnection,
        _aux: Option<&()>,
        _args: &[&[u8]],
    ) -> rusqlite::Result<(String, RowsTable)> {
        let columns: Vec<String> = (0..MAX_COLUMNS).map(|i| format!("c{i}")).collect();
        let schema = format!("CREATE TABLE x({}, token HIDDEN)", columns.join(", "));
        Ok((
            schema,
            RowsTable {
                base: sqlite3_vtab::default(),
            },
        ))
    }

    /// The token must be given (`gonghui_rows(?)`); it is the only way in.
    fn best_index(&self, info: &mut IndexInfo) -> rusqlite::Result<()> {
        let token = info.constraints().position(|c| {
            c.column() == MAX_COLUMNS as c_int
                && c.operator() == IndexConstraintOp::SQLITE_INDEX_CONSTRAINT_EQ
                && c.is_usable()
        });
        let Some(token) = token else {
            return Err(rusqlite::Error::ModuleError(format!(
                "{FUNCTION} needs the token of lent rows"
            )));
        };
        let mut usage = info.constraint_usage(token);
        usage.set_argv_index(1);
        usage.set_omit(true);
        info.set_estimated_cost(1.0);
        Ok(())
    }

    fn open(&'vtab mut self) -> rusqlite::Result<RowsCursor<'vtab>> {
        Ok(RowsCursor {
            base: sqlite3_vtab_cursor::default(),
            rows: Arc::new(Vec::new()),
            at: 0,
            table: PhantomData,
        })
    }
}

#[repr(C)]
struct RowsCursor<'vtab> {
    /// SQLite's part of the cursor; must come first.
    base: sqlite3_vtab_cursor,
    rows: Arc<Rows>,
    at: usize,
    table: PhantomData<&'vtab RowsTable>,
}

// SAFETY: `RowsCursor` is `repr(C)` with SQLite's `sqlite3_vtab_cursor` first.
unsafe impl VTabCursor for RowsCursor<'_> {
    fn filter(&mut self, _: c_int, _: Option<&str>, args: &Values<'_>) -> rusqlite::Result<()> {
        let token: i64 = args.get(0)?;
        self.rows = lent_rows().get(&token).cloned().ok_or_else(|| {
            rusqlite::Error::ModuleError(format!("no rows are lent under token {token}"))
        })?;
        self.at = 0;
        Ok(())
    }

    fn next(&mut self) -> rusqlite::Result<()> {
        self.at += 1;
        Ok(())
    }

    fn eof(&self) -> bool {
        self.at >= self.rows.len()
    }

    fn column(&self, ctx: &mut Context, i: c_int) -> rusqlite::Result<()> {
        match self.rows[self.at].get(i as usize) {
            None => ctx.set_result(&rusqlite::types::Null),
            Some(Val::I(v)) => ctx.set_result(v),
            Some(Val::N(v)) => ctx.set_result(v),
            Some(Val::T(v)) => ctx.set_result(v),
            Some(Val::B(v)) => ctx.set_result(v),
        }
    }

    fn rowid(&self) -> rusqlite::Result<i64> {
        Ok(self.at as i64)
    }
}
