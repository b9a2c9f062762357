//! The command line as users script it.

use std::process::Command;

use crate::helpers::*;

fn gonghui(app_url: &str, dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gonghui"))
        .args(args)
        .env("GONGHUI_DATABASE_URL", app_url)
        .env("GONGHUI_DATA_DIR", dir)
        // Debug logging, so that the personal-data check below sees every line the CLI can log.
        .env("GONGHUI_LOG", "gonghui=debug")
        .current_dir(dir)
        .output()
        .expect("run gonghui");
    let stderr: String = String::from_utf8_lossy(&out.stderr).into();
    assert_no_personal_data(&stderr);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        stderr,
    )
}

/// The CLI's logs (stderr) go through the same check as the server's: no ID number, no mobile.
fn assert_no_personal_data(log: &str) {
    if let Some(found) = personal_data_in(log) {
        panic!("personal data in CLI log output: {found}");
    }
}

#[tokio::test]
async fn import_dry_run_errors_report_stats_json_export_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_database(dir.path()).await;
    let d = dir.path();
    let (code, _, err) = gonghui(&url, d, &["migrate"]);
    assert_eq!(code, 0, "{err}");
    // A first command on a new database creates the key file, so later commands can read.
    let (code, out, err) = gonghui(
        &url,
        d,
        &[
            "demo",
            "--members",
            "400",
            "--seed",
            "3",
            "--write-files",
            "files",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("400 名会员"), "{out}");
    for f in ["orgs.csv", "units.csv", "members.csv", "members.xlsx"] {
        assert!(d.join("files").join(f).exists(), "{f}");
    }
    // The demo's collective contracts give the 建制率 the reports give (80–90%).
    let db = gonghui::db::Db::connect(&url, 1).await.unwrap();
    let city =
        gonghui::registry::orgs::get_by_code(&db, &gonghui::registry::scope::Scope::all(), "HS")
            .await
            .unwrap();
    let today = chrono::Local::now().date_naive();
    let period = gonghui::registry::stats::Period {
        from: today - chrono::Days::new(30),
        to: today,
    };
    let rate = gonghui::contracts::figures::compute(&db, &city, &period)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.key == "contracts.rate")
        .unwrap();
    let (covered, unionised) = (rate.numerator.unwrap(), rate.denominator.unwrap());
    assert!(
        (80.0..=90.0).contains(&rate.value.unwrap()),
        "demo 建制率 {covered}/{unionised}"
    );
    db.close().await;
    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        format!("{MEMBER_HEADER}张三,123,,,HS01-01-001,2020-01-01,否,\n"),
    )
    .unwrap();
    let (code, out, _) = gonghui(
        &url,
        d,
        &[
            "import",
            "members",
            bad.to_str().unwrap(),
            "--dry-run",
            "--errors",
            "report.xlsx",
        ],
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("第2行") && out.contains("身份证号"), "{out}");
    assert!(d.join("report.xlsx").exists());
    let (code, out, err) = gonghui(&url, d, &["stats", "--org", "HS", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(v["members"]["at_end"].as_i64().unwrap() > 300, "{v}");
    let (code, out, _) = gonghui(&url, d, &["stats", "--org", "HS01"]);
    assert_eq!(code, 0);
    assert!(out.contains("入会率"), "{out}");
    // The running totals behind the city figures agree with the history; a damaged total is
    // found, named in words, and rebuilt.
    let (code, out, err) = gonghui(&url, d, &["stats", "--reconcile"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 行不一致"), "{out}");
    let db = gonghui::db::Db::connect(&url, 1).await.unwrap();
    sqlx::query("UPDATE stat_deltas SET members = members + 5 WHERE day = (SELECT MIN(day) FROM stat_deltas)")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let (code, out, err) = gonghui(&url, d, &["stats", "--reconcile"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("会员 +") && !out.contains("0 行不一致"),
        "{out}"
    );
    assert!(err.contains("stats --rebuild"), "{err}");
    let (code, out, err) = gonghui(&url, d, &["stats", "--rebuild"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = gonghui(&url, d, &["stats", "--reconcile"]);
    assert_eq!(code, 0, "{out}");
    let (_, again, _) = gonghui(&url, d, &["stats", "--org", "HS", "--json"]);
    let again: serde_json::Value = serde_json::from_str(&again).expect("json");
    assert_eq!(again["members"], v["members"]);
    let (code, out, err) = gonghui(
        &url,
        d,
        &[
            "export", "members", "--org", "HS01", "--format", "csv", "-o", "out.csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("已脱敏"));
    let csv = std::fs::read_to_string(d.join("out.csv")).unwrap();
    assert!(csv.contains("********"));
    let (code, out, _) = gonghui(&url, d, &["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("密钥与数据库中的加密数据匹配"), "{out}");
    // Problems are explained in plain words.
    let (code, out, _) = gonghui("mysql://nope", d, &["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("sqlite://") && out.contains("postgres://"),
        "{out}"
    );
    let (code, _, err) = gonghui(&url, d, &["stats", "--org", "NOPE"]);
    assert_eq!(code, 1);
    assert!(err.contains("不存在"), "{err}");
}

#[test]
fn serving_beyond_this_machine_without_https_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gonghui"))
        .args(["serve", "--bind", "0.0.0.0:0"])
        .env("GONGHUI_DATA_DIR", dir.path())
        .env(
            "GONGHUI_DATABASE_URL",
            format!("sqlite://{}/g.db", dir.path().display()),
        )
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("public_https = true"));
    assert!(
        !dir.path().join("g.db").exists(),
        "refused before touching the database"
    );
}

#[test]
fn every_command_has_help() {
    for cmd in [
        "serve", "migrate", "check", "import", "export", "stats", "demo", "bench",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_gonghui"))
            .args([cmd, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{cmd} --help");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{cmd}"
        );
    }
}

/// A process killed in the middle of writing leaves nothing half-written: the import is one
/// transaction, so the database holds none of its rows afterwards.
#[tokio::test]
async fn an_import_killed_while_writing_leaves_nothing_behind() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_database(dir.path()).await;
    let d = dir.path();
    let (code, out, err) = gonghui(
        &url,
        d,
        &[
            "demo",
            "--members",
            "30000",
            "--seed",
            "5",
            "--write-files",
            "files",
            "--files-only",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    for kind in ["orgs", "units"] {
        let file = d.join("files").join(format!("{kind}.csv"));
        let (code, out, err) = gonghui(&url, d, &["import", kind, file.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}{err}");
    }
    let members = d.join("files").join("members.csv");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gonghui"))
        .args(["import", "members", members.to_str().unwrap()])
        .env("GONGHUI_DATABASE_URL", &url)
        .env("GONGHUI_DATA_DIR", d)
        .env("GONGHUI_LOG", "gonghui=debug")
        .current_dir(d)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the importer reports its first rows written, then kill it hard.
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut writing = false;
    for line in stderr.lines() {
        let line = line.unwrap();
        assert_no_personal_data(&line);
        if line.contains("first rows written") {
            writing = true;
            break;
        }
    }
    assert!(writing, "the importer reached its write phase");
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(
        child.try_wait().unwrap().is_none(),
        "still writing when killed"
    );
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed before it could finish");
    let db = gonghui::db::Db::connect(&url, 1).await.unwrap();
    let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let spells: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!((people, spells), (0, 0));
    if !is_postgres() {
        let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(ok, "ok");
    }
    // And the same file then imports completely.
    let (code, out, err) = gonghui(&url, d, &["import", "members", members.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(people, 30000);
    // That load took the bulk path: every secondary index (and on PostgreSQL every foreign key)
    // it dropped is back.
    let index_sql = if is_postgres() {
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'index'"
    };
    let indexes: Vec<String> = sqlx::query_scalar(index_sql)
        .fetch_all(db.pool())
        .await
        .unwrap();
    for (name, _) in gonghui::db::migrations::BULK_INDEXES {
        assert!(
            indexes.iter().any(|i| i == name),
            "index {name} restored: {indexes:?}"
        );
    }
    if is_postgres() {
        let fks: Vec<String> =
            sqlx::query_scalar("SELECT conname::text FROM pg_constraint WHERE contype = 'f'")
                .fetch_all(db.pool())
                .await
                .unwrap();
        for (_, name, _) in gonghui::db::migrations::BULK_FOREIGN_KEYS {
            assert!(
                fks.iter().any(|f| f == name),
                "foreign key {name} restored: {fks:?}"
            );
        }
    }
    db.close().await;
}
