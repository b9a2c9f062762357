//! Bulk inserts (`db::bulk::insert_rows`) and the SQLite bulk-load connection.

use gonghui::db::bulk::{Val, insert_rows};
use gonghui::db::{Backend, Db};

use crate::helpers::{fresh_database, is_postgres};

async fn database() -> (Db, tempfile::TempDir, crate::helpers::DropDb) {
    let dir = tempfile::tempdir().unwrap();
    let (url, guard) = fresh_database(dir.path()).await;
    let db = Db::connect(&url, 2).await.unwrap();
    let blob = if is_postgres() { "BYTEA" } else { "BLOB" };
    sqlx::query(&format!(
        "CREATE TABLE bulk_t (id BIGINT PRIMARY KEY, n BIGINT, t TEXT, b {blob})"
    ))
    .execute(db.pool())
    .await
    .unwrap();
    (db, dir, guard)
}

type Row = (i64, Option<i64>, Option<String>, Option<Vec<u8>>);

/// All four columns of `bulk_t`, in order.
async fn insert(
    db: &Db,
    tx: &mut gonghui::db::Tx,
    rows: Vec<Vec<Val>>,
) -> gonghui::error::AppResult<()> {
    insert_rows(tx, db.backend(), "bulk_t", &["id", "n", "t", "b"], rows).await
}

async fn all_rows(db: &Db) -> Vec<Row> {
    sqlx::query_as("SELECT id, n, t, b FROM bulk_t ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_kind_of_value_arrives_as_given() {
    let (db, _dir, _guard) = database().await;
    let expected: Vec<Row> = vec![
        (
            i64::MIN,
            Some(i64::MAX),
            Some("张三·阿卜杜拉 𠮷".into()),
            Some(vec![0, 1, 0, 255]),
        ),
        (0, None, None, None),
        (7, Some(-1), Some(String::new()), Some(vec![0])),
        (
            i64::MAX,
            Some(0),
            Some("O'Brien \"; DROP TABLE bulk_t; --".into()),
            None,
        ),
    ];
    let rows = expected
        .iter()
        .map(|(id, n, t, b)| {
            vec![
                Val::I(*id),
                Val::N(*n),
                Val::T(t.clone()),
                Val::B(b.clone()),
            ]
        })
        .collect();
    let mut tx = db.begin_write().await.unwrap();
    insert(&db, &mut tx, rows).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(all_rows(&db).await, expected);
    // Columns may come in any order, and a table's other columns stay at their default.
    let mut tx = db.begin_write().await.unwrap();
    insert_rows(
        &mut tx,
        db.backend(),
        "bulk_t",
        &["t", "id"],
        vec![vec![Val::T(Some("倒序".into())), Val::I(8)]],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let row: Row = sqlx::query_as("SELECT id, n, t, b FROM bulk_t WHERE id = 8")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(row, (8, None, Some("倒序".into()), None));
    db.close().await;
}

#[tokio::test]
async fn many_rows_in_several_calls_all_arrive_and_a_failure_writes_none() {
    let (db, _dir, _guard) = database().await;
    let row = |i: i64| {
        vec![
            Val::I(i),
            Val::N(Some(i * 2)),
            Val::T(Some(format!("第{i}行"))),
            Val::B(None),
        ]
    };
    let mut tx = db.begin_write().await.unwrap();
    // More rows than one PostgreSQL statement takes.
    for start in [0, 12_000] {
        let rows = (start..start + 12_000).map(row).collect();
        insert(&db, &mut tx, rows).await.unwrap();
    }
    tx.commit().await.unwrap();
    let (count, sum): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), CAST(SUM(n) AS BIGINT) FROM bulk_t")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!((count, sum), (24_000, (0..24_000i64).map(|i| i * 2).sum()));
    let third: String = sqlx::query_scalar("SELECT t FROM bulk_t WHERE id = 12345")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(third, "第12345行");
    // A batch with a duplicate key fails as a whole; the transaction writes nothing.
    let mut tx = db.begin_write().await.unwrap();
    let fresh = (50_000..50_010).map(row);
    let clash = std::iter::once(row(5));
    let result = insert(&db, &mut tx, fresh.chain(clash).collect()).await;
    assert!(result.is_err(), "the duplicate key is refused");
    drop(tx);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bulk_t")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(count, 24_000);
    db.close().await;
}

/// SQLite: the bulk-load connection skips foreign-key checks; the pool's connections never do,
/// before, during or after one is open.
#[tokio::test]
async fn only_the_bulk_writer_skips_foreign_key_checks() {
    let (db, _dir, _guard) = database().await;
    sqlx::query(
        "CREATE TABLE bulk_child (id BIGINT PRIMARY KEY, parent BIGINT REFERENCES bulk_t(id))",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let orphan = |id: i64| format!("INSERT INTO bulk_child (id, parent) VALUES ({id}, 999)");
    let refused = sqlx::query(&orphan(1)).execute(db.pool()).await;
    assert!(refused.is_err(), "the pool checks foreign keys");
    if db.backend() == Backend::Postgres {
        // PostgreSQL bulk loads drop and re-add their foreign keys instead (see the CLI test).
        assert!(db.sqlite_bulk_writer().await.unwrap().is_none());
        db.close().await;
        return;
    }
    let writer = db
        .sqlite_bulk_writer()
        .await
        .unwrap()
        .expect("a file database");
    let mut tx = writer.begin_write().await.unwrap();
    sqlx::query(&orphan(2)).execute(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
    // Every pool connection, including ones opened while the writer was open, still checks.
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(db.pool().acquire().await.unwrap());
    }
    for conn in &mut held {
        let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(on, 1);
    }
    drop(held);
    writer.close().await;
    assert!(sqlx::query(&orphan(3)).execute(db.pool()).await.is_err());
    db.close().await;
}
