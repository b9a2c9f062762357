//! Personal data protection: no plaintext ID number or mobile in the database; masked views;
//! exact lookup through the blind index; masked exports.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn no_plaintext_id_number_or_mobile_anywhere_in_the_database() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = id_number("340402", "19900101", 12);
    let mobile = "13812345678";
    app.import_ok(
        "members",
        &format!("{MEMBER_HEADER}张三,{id},,{mobile},U1,2020-01-01,否,\n"),
    )
    .await;
    // Every text and binary column of every table, on either backend.
    let tables = [
        "orgs",
        "units",
        "members",
        "memberships",
        "import_batches",
        "accounts",
    ];
    for t in tables {
        let rows = sqlx::query(&format!("SELECT * FROM {t}"))
            .fetch_all(app.reg.db.pool())
            .await
            .unwrap();
        for row in rows {
            use sqlx::{Column, Row};
            for (i, c) in row.columns().iter().enumerate() {
                let text: Option<String> = row.try_get::<Option<String>, _>(i).ok().flatten();
                let bytes: Option<Vec<u8>> = row.try_get::<Option<Vec<u8>>, _>(i).ok().flatten();
                let hay =
                    text.unwrap_or_default() + &String::from_utf8_lossy(&bytes.unwrap_or_default());
                assert!(
                    !hay.contains(&id[..14]),
                    "{t}.{} holds the ID number",
                    c.name()
                );
                assert!(!hay.contains(mobile), "{t}.{} holds the mobile", c.name());
            }
        }
    }
    if !is_postgres() {
        // And not in the SQLite file (including the WAL) either.
        app.reg.db.close().await;
        for entry in std::fs::read_dir(app.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().contains("test.db") {
                // The -wal and -shm files may go away as the last connection closes.
                let Ok(raw) = std::fs::read(&path) else {
                    assert!(
                        !path.ends_with("test.db"),
                        "the database file itself is read"
                    );
                    continue;
                };
                let hay = String::from_utf8_lossy(&raw);
                assert!(
                    !hay.contains(&id[..14]) && !hay.contains(mobile),
                    "{} holds personal data in clear",
                    path.display()
                );
            }
        }
    }
}

#[tokio::test]
async fn views_and_exports_are_masked_and_lookup_uses_the_blind_index() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = id_number("110105", "19491231", 2);
    app.import_ok(
        "members",
        &format!("{MEMBER_HEADER}张三,{id},,13812345678,U1,2020-01-01,否,\n"),
    )
    .await;
    let (s, v) = app
        .post(
            "/api/v1/members/lookup",
            json!({"id_number": id.to_lowercase()}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["id_masked"], format!("110105********{}", &id[14..]));
    assert_eq!(v["mobile_masked"], "138****5678");
    let text = v.to_string();
    assert!(!text.contains(&id) && !text.contains("13812345678"));
    let (s, v) = app
        .post(
            "/api/v1/members/lookup",
            json!({"id_number": id_number("110105", "19491231", 4)}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
    let (s, v) = app
        .post("/api/v1/members/lookup", json!({"id_number": "12345"}))
        .await;
    assert_eq!(s, 422, "{v}");
    // CSV export: UTF-8 with BOM, masked.
    let r = app
        .client
        .get(app.url("/api/v1/exports/members?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("姓名,身份证号"));
    assert!(text.contains("110105********") && text.contains("138****5678"));
    assert!(!text.contains(&id) && !text.contains("13812345678"));
    // XLSX export is a real workbook with the same masked content.
    let rows = app
        .download_sheet("/api/v1/exports/members?format=xlsx&org=S1", "会员名册")
        .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "张三");
    assert!(rows[1][1].contains("********"));
    // Filtered to another subtree: empty.
    let text = app
        .client
        .get(app.url("/api/v1/exports/members?format=csv&org=D2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text.trim_start_matches('\u{feff}').lines().count(), 1);
}

#[tokio::test]
async fn keys_are_generated_once_outside_the_database_and_reused() {
    let app = spawn_app().await;
    let path = app.config.keys_path();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("encryption_key") && text.contains("index_key"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let (_, boot) = gonghui::app::bootstrap(&app.config, false).await.unwrap();
    assert!(!boot.generated_keys && !boot.created_database && boot.accounts.is_empty());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    // Once personal data is stored, a missing key file stops start-up rather than new keys being made.
    app.seed_tree().await;
    app.import_ok(
        "members",
        &format!(
            "{MEMBER_HEADER}张三,{},,,U1,2020-01-01,否,\n",
            id_number("340402", "19900101", 12)
        ),
    )
    .await;
    std::fs::remove_file(&path).unwrap();
    let err = gonghui::app::bootstrap(&app.config, false)
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.code(), "KEYS_MISSING");
}
