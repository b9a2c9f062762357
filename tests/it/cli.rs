//! The command line as users script it.

use std::process::Command;

use crate::helpers::*;

fn gonghui(app_url: &str, dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gonghui"))
        .args(args)
        .env("GONGHUI_DATABASE_URL", app_url)
        .env("GONGHUI_DATA_DIR", dir)
        .env("GONGHUI_LOG", "warn")
        .current_dir(dir)
        .output()
        .expect("run gonghui");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
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
