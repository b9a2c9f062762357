//! Markup and SQL fragments typed into every free-text field: stored exactly as given, found by
//! search as text, shown as text on every page that displays them, neutral in CSV exports; fields
//! with a format refuse them with a Chinese message and write nothing.

use serde_json::{Value, json};

use crate::helpers::*;

/// Strings an attacker would try. None holds whitespace or digits, so each is also a valid
/// personal name as far as the name rule goes (names drop spaces and refuse digits).
const EVIL: [&str; 5] = [
    "<script>alert('x')</script>",
    "\"><img/src=x/onerror=alert('x')>",
    "';DROP/**/TABLE/**/members;--",
    "'OR'a'='a",
    "=HYPERLINK(\"http://x\")",
];

/// The page shows `evil` only escaped: the raw string never appears where markup would start.
fn inert(html: &str, evil: &str) -> bool {
    let raw_markup = evil.contains('<') && html.contains(evil);
    let escaped = evil
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let shown = html.contains(&escaped)
        || html.contains(&evil.replace('<', "&#60;").replace('>', "&#62;"))
        || html.contains(&askama_like(evil));
    !raw_markup && shown
}

/// askama escapes quotes too (`&#39;`, `&#34;`).
fn askama_like(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn html(c: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn every_free_text_field_stores_markup_and_sql_as_given_and_shows_it_as_text() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("sys", "sysadmin", None, None).await;
    app.add_account("auditadm", "auditadmin", None, None).await;
    let admin = app.signed_in("sys", TESTER_PASSWORD).await;
    let auditadm = app.signed_in("auditadm", TESTER_PASSWORD).await;
    let post = |c: &reqwest::Client, path: &str, body: Value| {
        let r = c.post(app.url(path)).json(&body).send();
        async move {
            let r = r.await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let members_before = app.scalar("SELECT COUNT(*) FROM members").await;

    for (i, evil) in EVIL.iter().enumerate() {
        // Union: name as given, through create and edit.
        let code = format!("INJ{i}");
        let (s, v) = app
            .post(
                "/api/v1/orgs",
                json!({"code": code, "name": evil, "kind": "基层工会", "parent_code": "S1"}),
            )
            .await;
        assert_eq!((s, v["name"].as_str()), (201, Some(*evil)), "{v}");

        // Employer: name and industry.
        let (s, unit) = app
            .post(
                "/api/v1/units",
                json!({"uscc": uscc(&format!("91340400MA2N0000{i}")), "name": evil, "industry": evil,
                       "employee_count": 3, "org_code": code}),
            )
            .await;
        assert_eq!(s, 200, "{unit}");
        assert_eq!(
            (unit["name"].as_str(), unit["industry"].as_str()),
            (Some(*evil), Some(*evil))
        );
        let unit_id = unit["id"].as_str().unwrap().to_string();

        // Member: name and card number.
        let (s, v) = app
            .post(
                "/api/v1/members",
                json!({"name": evil, "id_number": id_number("340402", "19900101", 100 + i as u32),
                       "org_code": code, "joined_on": "2021-01-01", "card_no": evil,
                       "unit_uscc": unit["uscc"]}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let member_id = v["member"]["id"].as_str().unwrap().to_string();
        let (_, m) = app.get(&format!("/api/v1/members/{member_id}")).await;
        let m = &m["member"];
        assert_eq!(
            (m["name"].as_str(), m["card_no"].as_str()),
            (Some(*evil), Some(*evil)),
            "{m}"
        );

        // Account display name and API token name.
        let (s, acc) = post(
            &admin,
            "/api/v1/accounts",
            json!({"username": format!("inj{i}"), "display_name": evil, "role": "cadre", "org_code": code}),
        )
        .await;
        assert_eq!(s, 201, "{acc}");
        assert_eq!(acc["account"]["display_name"].as_str(), Some(*evil));
        let account_id = acc["account"]["id"].as_str().unwrap().to_string();
        let (s, tok) = post(
            &app.client,
            "/api/v1/tokens",
            json!({"name": evil, "org_code": code, "permissions": ["member.read"], "expires_in_days": 30}),
        )
        .await;
        assert_eq!(s, 201, "{tok}");
        assert_eq!(tok["token_info"]["name"].as_str(), Some(*evil));

        // Searching for the string finds the record by text, and only that record.
        let q = urlencoding(evil);
        let (_, orgs) = app.get(&format!("/api/v1/orgs?q={q}")).await;
        assert_eq!(orgs.as_array().map(Vec::len), Some(1), "{orgs}");
        let (_, found) = app.get(&format!("/api/v1/members?q={q}")).await;
        assert_eq!(found["rows"].as_array().map(Vec::len), Some(1), "{found}");
        let (_, units) = app.get(&format!("/api/v1/units?q={q}")).await;
        assert_eq!(units.as_array().map(Vec::len), Some(1), "{units}");

        // Every page showing the value shows it as text.
        for path in [
            format!("/orgs/{code}"),
            format!("/orgs?q={q}"),
            format!("/units/{unit_id}"),
            format!("/units?q={q}"),
            format!("/members/{member_id}"),
            format!("/members?q={q}"),
            format!("/members/{member_id}/edit"),
        ] {
            let page = html(&app.client, &app, &path).await;
            assert!(inert(&page, evil), "{path} shows {evil} as text");
        }
        for path in ["/accounts".to_string(), format!("/accounts/{account_id}")] {
            let page = html(&admin, &app, &path).await;
            assert!(inert(&page, evil), "{path} shows {evil} as text");
        }
        let page = html(&auditadm, &app, "/audit").await;
        assert!(
            !(evil.contains('<') && page.contains(evil)),
            "the audit log shows written values as text"
        );
        if i == 0 {
            assert!(
                page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"),
                "the audit log shows the written name"
            );
        }
    }

    // LIKE wildcards typed in a search are taken literally: no union, employer or member name
    // holds a percent sign or an underscore.
    for path in [
        "/api/v1/orgs?q=%25",
        "/api/v1/orgs?q=_",
        "/api/v1/units?q=%25",
    ] {
        let (_, v) = app.get(path).await;
        assert_eq!(v.as_array().map(Vec::len), Some(0), "{path}: {v}");
    }
    let (_, v) = app.get("/api/v1/members?q=%25%25").await;
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(0), "{v}");

    // The CSV export starts a typed formula with an apostrophe, so spreadsheets show it as text.
    let r = app
        .client
        .get(app.url("/api/v1/exports/members?format=csv&org=INJ4"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let csv = r.text().await.unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains("\n=HYPERLINK"),
        "{csv}"
    );

    // Nothing was dropped or widened: all tables answer, one member per string.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members").await,
        members_before + EVIL.len() as i64
    );
    assert!(app.scalar("SELECT COUNT(*) FROM orgs").await >= 10);
}

#[tokio::test]
async fn fields_with_a_format_refuse_markup_and_sql_with_a_message_and_write_nothing() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("sys", "sysadmin", None, None).await;
    let admin = app.signed_in("sys", TESTER_PASSWORD).await;
    let tables = "SELECT (SELECT COUNT(*) FROM orgs) + (SELECT COUNT(*) FROM units) + (SELECT COUNT(*) FROM members) + (SELECT COUNT(*) FROM accounts)";
    let before = app.scalar(tables).await;
    for evil in EVIL {
        let attempts = [
            (
                "/api/v1/orgs",
                json!({"code": evil, "name": "正常名称", "kind": "基层工会", "parent_code": "S1"}),
            ),
            (
                "/api/v1/units",
                json!({"uscc": evil, "name": "正常单位", "employee_count": 1}),
            ),
            (
                "/api/v1/members",
                json!({"name": "王五", "id_number": evil, "org_code": "U1", "joined_on": "2021-01-01"}),
            ),
            (
                "/api/v1/members",
                json!({"name": "王五", "id_number": id_number("340402", "19900101", 7), "mobile": evil, "org_code": "U1"}),
            ),
        ];
        for (path, body) in attempts {
            let (s, v) = app.post(path, body.clone()).await;
            assert!(s == 400 || s == 422, "{path} {body}: {s} {v}");
            let msg = v["message"].as_str().unwrap_or_default();
            assert!(
                msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "a Chinese message for {path}: {v}"
            );
        }
        let r = admin
            .post(app.url("/api/v1/accounts"))
            .json(&json!({"username": evil, "display_name": "某人", "role": "cadre", "org_code": "U1"}))
            .send()
            .await
            .unwrap();
        assert!(matches!(r.status().as_u16(), 400 | 422), "username {evil}");
        // Signing in with it is an ordinary unknown user.
        let r = app
            .anonymous()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": evil, "password": evil}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "login as {evil}");
    }
    assert_eq!(app.scalar(tables).await, before, "nothing was written");
}

/// Percent-encodes a query value (every byte outside the unreserved set).
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
