//! Multi-row INSERT in chunks sized to each backend's parameter limit.

use crate::db::{Backend, Tx, values_placeholders};
use crate::error::AppResult;

/// A value bound into a bulk insert.
#[derive(Debug, Clone)]
pub enum Val {
    I(i64),
    N(Option<i64>),
    T(Option<String>),
    B(Option<Vec<u8>>),
}

/// Inserts `rows` into `table`. SQLite allows 32,766 parameters per statement, PostgreSQL 65,535.
pub async fn insert_rows(
    tx: &mut Tx,
    backend: Backend,
    table: &str,
    cols: &[&str],
    rows: Vec<Vec<Val>>,
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    // Parameters per statement: SQLite allows 32,766, PostgreSQL 65,535.
    let max_params = match backend {
        Backend::Sqlite => 32_000,
        Backend::Postgres => 65_000,
    };
    let per_stmt = (max_params / cols.len()).clamp(1, 2500);
    let col_list = cols.join(",");
    let mut iter = rows.into_iter().peekable();
    while iter.peek().is_some() {
        let chunk: Vec<Vec<Val>> = iter.by_ref().take(per_stmt).collect();
        let sql = format!(
            "INSERT INTO {table} ({col_list}) VALUES {}",
            values_placeholders(backend, chunk.len(), cols.len())
        );
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    Val::I(i) => q.bind(i),
                    Val::N(i) => q.bind(i),
                    Val::T(t) => q.bind(t),
                    Val::B(b) => q.bind(b),
                };
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
