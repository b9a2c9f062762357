//! Inserting many rows at once: on SQLite through the `gonghui_rows` function (see
//! `sqlite_rows`), on PostgreSQL as multi-row INSERTs sized to its parameter limit.

use super::sqlite_rows::{self, Lent};
use crate::db::{Backend, Tx, values_placeholders};
use crate::error::AppResult;

/// A value of a row to insert.
#[derive(Debug, Clone)]
pub enum Val {
    I(i64),
    N(Option<i64>),
    T(Option<String>),
    B(Option<Vec<u8>>),
}

/// Inserts `rows` into `table`, each row's values in the order of `cols`.
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
    let col_list = cols.join(",");
    if backend == Backend::Sqlite {
        assert!(cols.len() <= sqlite_rows::MAX_COLUMNS, "too many columns");
        let picked: Vec<String> = (0..cols.len()).map(|i| format!("c{i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({col_list}) SELECT {} FROM {}($1)",
            picked.join(","),
            sqlite_rows::FUNCTION
        );
        let lent = Lent::new(rows);
        sqlx::query(&sql)
            .bind(lent.token())
            .execute(&mut **tx)
            .await?;
        return Ok(());
    }
    // PostgreSQL allows 65,535 parameters per statement.
    let per_stmt = (65_000 / cols.len()).clamp(1, 2500);
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
