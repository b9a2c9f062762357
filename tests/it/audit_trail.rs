//! The audit trail: every row sealed into a chain, the head and archive records sealed, and a
//! checkpoint outside the database. Each test plays someone who can write the database (but
//! not read the key file) and checks that `audit verify` names the first row they touched.

use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

async fn verify(app: &TestApp) -> gonghui::audit::verify::Report {
    let key = gonghui::audit::ChainKey::from_keys(&app.reg.keys);
    gonghui::audit::verify::verify(&app.reg.db, &key, &app.config.audit_sources())
        .await
        .unwrap()
}

/// Removes the append-only guard, as someone with full database rights could.
async fn drop_guard(app: &TestApp) {
    let stmts: &[&str] = if crate::helpers::is_postgres() {
        &["ALTER TABLE audit_log DISABLE TRIGGER audit_log_guard"]
    } else {
        &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ]
    };
    for s in stmts {
        sqlx::query(s).execute(app.reg.db.pool()).await.unwrap();
    }
}

async fn audited_app() -> TestApp {
    let app = spawn_app().await;
    app.seed_tree().await;
    for i in 0..5 {
        app.post("/api/v1/orgs", json!({"code": format!("A{i}"), "name": format!("审计测试{i}"), "kind": "grassroots", "parent_code": "S1"})).await;
    }
    let r = verify(&app).await;
    assert!(r.ok() && r.rows_checked >= 6, "{r:?}");
    app
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_audit_rows() {
    let app = audited_app().await;
    assert!(
        sqlx::query("UPDATE audit_log SET actor = 'x' WHERE seq = 2")
            .execute(app.reg.db.pool())
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(app.reg.db.pool())
            .await
            .is_err()
    );
    assert!(verify(&app).await.ok());
}

#[tokio::test]
async fn audit_verify_names_an_altered_row() {
    let app = audited_app().await;
    drop_guard(&app).await;
    sqlx::query("UPDATE audit_log SET detail = '{}' WHERE seq = 3")
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let r = verify(&app).await;
    assert_eq!(r.problems.first().map(|p| p.seq), Some(3), "{r:?}");
    assert!(r.problems[0].message.contains("被修改"));
}

#[tokio::test]
async fn audit_verify_names_a_deleted_row() {
    let app = audited_app().await;
    drop_guard(&app).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = 4")
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let r = verify(&app).await;
    assert_eq!(r.problems.first().map(|p| p.seq), Some(4), "{r:?}");
    assert!(r.problems[0].message.contains("被删除"));
}

#[tokio::test]
async fn audit_verify_names_an_inserted_row() {
    let app = audited_app().await;
    let last: i64 = app.scalar("SELECT MAX(seq) FROM audit_log").await;
    // Forged at the end, with a plausible link to the previous row but no valid seal.
    let prev: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(last)
        .fetch_one(app.reg.db.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO audit_log (seq, at, actor, actor_kind, action, outcome, detail, prev_hash, hash) VALUES ($1, 0, 'x', 'account', 'org.create', 'ok', '{}', $2, $3)")
        .bind(last + 1)
        .bind(&prev)
        .bind("ab".repeat(32))
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let r = verify(&app).await;
    assert!(r.problems.iter().any(|p| p.seq == last + 1), "{r:?}");
}

#[tokio::test]
async fn the_cli_audit_verify_fails_and_names_the_row() {
    let app = audited_app().await;
    drop_guard(&app).await;
    sqlx::query("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2")
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gonghui"))
        .args(["audit", "verify"])
        .env("GONGHUI_DATABASE_URL", app.config.database_url())
        .env("GONGHUI_DATA_DIR", &app.config.data_dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(text.contains("第2条"), "{text}");
}

#[tokio::test]
async fn old_audit_rows_move_to_an_archive_file_that_still_verifies() {
    let app = audited_app().await;
    let before = app.scalar("SELECT COUNT(*) FROM audit_log").await;
    let actor = gonghui::audit::Actor::system(&app.reg.keys, "test");
    let dir = app.config.audit_archive_dir();
    let sources = app.config.audit_sources();
    // Nothing is older than 180 days yet.
    let none =
        gonghui::audit::verify::archive(&app.reg.db, &actor, &sources, 180, gonghui::db::now_ms())
            .await
            .unwrap();
    assert!(none.is_none());
    // 200 days later everything so far is archived, and the chain verifies across the file.
    let later = gonghui::db::now_ms() + 200 * 86_400_000;
    let a = gonghui::audit::verify::archive(&app.reg.db, &actor, &sources, 180, later)
        .await
        .unwrap()
        .expect("archived");
    assert_eq!(a.rows, before);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log").await,
        1,
        "only the archiving row itself"
    );
    let r = verify(&app).await;
    assert!(r.ok(), "{r:?}");
    assert_eq!(r.archived_rows_checked, before);
    // Tampering with the archive file is found.
    let path = dir.join(&a.file);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("审计测试0", "审计测试9", 1);
    std::fs::write(&path, text).unwrap();
    assert!(!verify(&app).await.ok());
}

/// Archives everything so far (as 200 days later) and returns the archive file's name.
async fn archive_all(app: &TestApp) -> String {
    let actor = gonghui::audit::Actor::system(&app.reg.keys, "test");
    let later = gonghui::db::now_ms() + 200 * 86_400_000;
    gonghui::audit::verify::archive(&app.reg.db, &actor, &app.config.audit_sources(), 180, later)
        .await
        .unwrap()
        .expect("archived")
        .file
}

async fn more_rows(app: &TestApp, prefix: &str, n: usize) {
    for i in 0..n {
        let (s, v) = app
            .post(
                "/api/v1/orgs",
                json!({"code": format!("{prefix}{i}"), "name": format!("新增{i}"), "kind": "grassroots", "parent_code": "S1"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
}

#[tokio::test]
async fn a_forged_archive_record_does_not_hide_deleted_rows() {
    let app = audited_app().await;
    let k: i64 = app.scalar("SELECT MAX(seq) FROM audit_log").await - 1;
    let hash_k: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(k)
        .fetch_one(app.reg.db.pool())
        .await
        .unwrap();
    // An archive record claiming rows 1..k went to an (empty) file, with row k's seal copied.
    let empty_sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let dir = app.config.audit_archive_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("forged.jsonl"), b"").unwrap();
    sqlx::query("INSERT INTO audit_archives (id, from_seq, upto_seq, upto_hash, file, file_sha256, archived_at, seal) VALUES (1, 1, $1, $2, 'forged.jsonl', $3, 0, $4)")
        .bind(k)
        .bind(&hash_k)
        .bind(empty_sha)
        .bind("ab".repeat(32))
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    // The database's own guard now lets the rows go.
    sqlx::query("DELETE FROM audit_log WHERE seq <= $1")
        .bind(k)
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let r = verify(&app).await;
    assert!(!r.ok());
    assert_eq!(r.first_problem_seq(), Some(1), "{r:?}");
    assert!(
        r.problems.iter().any(|p| p.message.contains("伪造")),
        "{r:?}"
    );
    assert!(
        r.problems
            .iter()
            .any(|p| p.message.contains(&format!("第1条至第{k}条记录缺失"))),
        "{r:?}"
    );
}

#[tokio::test]
async fn deleting_the_newest_rows_and_moving_the_head_back_is_found() {
    let app = audited_app().await;
    drop_guard(&app).await;
    let last: i64 = app.scalar("SELECT MAX(seq) FROM audit_log").await;
    let keep = last - 2;
    let hash: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(keep)
        .fetch_one(app.reg.db.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq > $1")
        .bind(keep)
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(keep)
        .bind(&hash)
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let r = verify(&app).await;
    assert!(!r.ok(), "{r:?}");
    assert_eq!(r.first_problem_seq(), Some(keep + 1), "{r:?}");
}

#[tokio::test]
async fn even_with_an_old_sealed_head_the_checkpoint_names_the_deleted_rows() {
    let app = audited_app().await;
    drop_guard(&app).await;
    // The attacker kept a copy of the head as it was (its seal included)…
    let (seq0, hash0, seal0): (i64, String, Option<String>) =
        sqlx::query_as("SELECT seq, hash, seal FROM audit_head WHERE id = 1")
            .fetch_one(app.reg.db.pool())
            .await
            .unwrap();
    // …work goes on, and the platform writes a checkpoint as it does every N rows…
    more_rows(&app, "B", 3).await;
    gonghui::app::write_audit_checkpoint(&app.reg, &app.config, 0).await;
    let last: i64 = app.scalar("SELECT MAX(seq) FROM audit_log").await;
    assert!(last > seq0);
    // …then the newest rows are deleted and the old head put back, seal and all.
    sqlx::query("DELETE FROM audit_log WHERE seq > $1")
        .bind(seq0)
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2, seal = $3 WHERE id = 1")
        .bind(seq0)
        .bind(&hash0)
        .bind(&seal0)
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let r = verify(&app).await;
    assert_eq!(r.first_problem_seq(), Some(seq0 + 1), "{r:?}");
    assert!(
        r.problems[0].message.contains("检查点文件"),
        "the checkpoint is what saw it: {r:?}"
    );
    // A later start does not move the checkpoint back to the shortened chain.
    gonghui::app::write_audit_checkpoint(&app.reg, &app.config, 0).await;
    assert!(!verify(&app).await.ok());
    // The same from a checkpoint line of the log, given on the command line.
    std::fs::remove_file(app.config.audit_checkpoint_path()).unwrap();
    let (cp_seq, cp_hash) = (last, "00".repeat(8));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gonghui"))
        .args([
            "audit",
            "verify",
            "--witness",
            &format!("{cp_seq}:{cp_hash}"),
        ])
        .env("GONGHUI_DATABASE_URL", app.config.database_url())
        .env("GONGHUI_DATA_DIR", &app.config.data_dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(
        text.contains(&format!("最早一处问题在第 {} 条", seq0 + 1)),
        "{text}"
    );
}

#[tokio::test]
async fn a_checkpoint_file_not_written_by_the_platform_is_reported() {
    let app = audited_app().await;
    gonghui::app::write_audit_checkpoint(&app.reg, &app.config, 0).await;
    assert!(verify(&app).await.ok());
    let path = app.config.audit_checkpoint_path();
    let mut cp: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    cp["seq"] = json!(1);
    std::fs::write(&path, serde_json::to_vec(&cp).unwrap()).unwrap();
    let r = verify(&app).await;
    assert!(
        r.problems.iter().any(|p| p.message.contains("检查点文件")),
        "{r:?}"
    );
}

#[tokio::test]
async fn an_archive_file_kept_elsewhere_is_a_notice_and_an_emptied_one_a_problem() {
    let app = audited_app().await;
    let file = archive_all(&app).await;
    let path = app.config.audit_archive_dir().join(&file);
    let bytes = std::fs::read(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Moved to offline storage: the sealed archive record still vouches for the range.
    std::fs::remove_file(&path).unwrap();
    let r = verify(&app).await;
    assert!(r.ok(), "{r:?}");
    assert!(r.notices.iter().any(|n| n.contains(&file)), "{r:?}");
    // Emptied in place: the digest and the rows are both missing.
    std::fs::write(&path, b"").unwrap();
    let r = verify(&app).await;
    assert_eq!(r.first_problem_seq(), Some(1), "{r:?}");
    // Put back: whole again.
    std::fs::write(&path, bytes).unwrap();
    assert!(verify(&app).await.ok());
}

#[tokio::test]
async fn the_chain_head_and_archive_records_are_sealed() {
    let app = audited_app().await;
    archive_all(&app).await;
    drop_guard(&app).await;
    // An archive record changed after the fact (a wider range claimed) loses its seal.
    sqlx::query("UPDATE audit_archives SET upto_seq = upto_seq")
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    assert!(verify(&app).await.ok());
    sqlx::query("UPDATE audit_archives SET archived_at = archived_at + 1")
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let r = verify(&app).await;
    assert_eq!(r.first_problem_seq(), Some(1), "{r:?}");
}
