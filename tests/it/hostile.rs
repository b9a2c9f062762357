//! Findings of the outside probe (issue 12) that are about hostile or careless input: each was
//! a 5xx, an open redirect, personal data kept in clear or a guess without limit.

use serde_json::{Value, json};

use crate::helpers::{MEMBER_HEADER, TESTER_PASSWORD, id_number, spawn_app, urlencode};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn status_and_json(r: reqwest::Response) -> (u16, Value, String) {
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, r.json().await.unwrap_or(Value::Null), ct)
}

#[tokio::test]
async fn sign_in_redirects_only_to_local_paths() {
    let app = spawn_app().await;
    let c = no_redirects();
    for (next, expected) in [
        ("/%09/evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("/members?page=2", "/members?page=2"),
    ] {
        let body = format!(
            "username=tester&password={}&next={}",
            urlencode(TESTER_PASSWORD),
            if next.contains('%') {
                next.to_string()
            } else {
                urlencode(next)
            }
        );
        let r = c
            .post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "{next}");
        assert_eq!(r.headers()["location"], expected, "{next}");
    }
    // A line break in `next` (it used to be a 500) leads home.
    let r = c
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username=tester&password={}&next=/%0a/evil",
            urlencode(TESTER_PASSWORD)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/");
}

#[tokio::test]
async fn control_characters_and_huge_page_numbers_get_a_chinese_4xx_never_a_5xx() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let anon = app.anonymous();
    // NUL in a username before any session, in a JSON body, in a query string, in a path.
    let r = anon
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "te\u{0}ster", "password": "x"}))
        .send()
        .await
        .unwrap();
    let (s, v, _) = status_and_json(r).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("CONTROL_CHARACTER")),
        "{v}"
    );
    let (s, v) = app
        .post(
            "/api/v1/orgs",
            json!({"code": "N1", "name": "甲\u{0}工会", "kind": "grassroots", "parent_code": "S1"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("CONTROL_CHARACTER")),
        "{v}"
    );
    for path in [
        "/api/v1/members?q=%00",
        "/api/v1/orgs/U1%00",
        "/api/v1/units?q=%C2%85",
        "/members?q=%00",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 422, "{path}");
    }
    // Page numbers far past the end: an empty page.
    for path in [
        "/api/v1/members?page=9223372036854775807",
        "/api/v1/units?page=9223372036854775807&per_page=9223372036854775807",
        "/api/v1/stats/drill?figure=members_at_end&page=9223372036854775807",
        "/api/v1/audit?page=4294967295",
    ] {
        let (s, _) = app.get(path).await;
        assert!(s == 200 || s == 403, "{path}: {s}");
    }
    let (s, v) = app
        .get("/api/v1/stats/drill?figure=members_at_end&page=9223372036854775807")
        .await;
    assert_eq!((s, v["has_more"].as_bool()), (200, Some(false)), "{v}");
    // A page number too large to be a number at all, and malformed query strings: Chinese JSON.
    for path in [
        "/api/v1/members?page=99999999999999999999",
        "/api/v1/members?migrant=maybe",
        "/api/v1/stats/drill?figure=nonsense",
        "/api/v1/stats/drill",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        let (s, v, ct) = status_and_json(r).await;
        assert!(s == 400 || s == 422, "{path}: {s}");
        assert!(ct.starts_with("application/json"), "{path}: {ct}");
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_ascii()),
            "{path}: {v}"
        );
    }
    // A body that is not a JSON object does nothing (it used to close the union).
    let r = app
        .client
        .post(app.url("/api/v1/orgs/U3/close"))
        .json(&json!([null]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let (_, org) = app.get("/api/v1/orgs/U3").await;
    assert_eq!(org["status"], "active");
}

#[tokio::test]
async fn undeclared_methods_answer_405_with_allow_and_no_error_log() {
    let app = spawn_app().await;
    for method in ["HEAD", "OPTIONS", "TRACE", "PATCH", "DELETE"] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        for (client, path) in [
            (app.anonymous(), "/api/v1/members"),
            (app.client.clone(), "/api/v1/members"),
            (app.anonymous(), "/login"),
        ] {
            let r = client
                .request(m.clone(), app.url(path))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 405, "{method} {path}");
            let allow = r.headers().get("allow").and_then(|v| v.to_str().ok());
            assert!(
                allow.is_some_and(|a| a.contains("GET")),
                "{method} {path}: {allow:?}"
            );
            if path.starts_with("/api/") && method != "HEAD" {
                let (_, v, ct) = status_and_json(r).await;
                assert!(ct.starts_with("application/json"), "{ct}");
                assert_eq!(v["code"], "METHOD_NOT_ALLOWED");
            }
        }
    }
    assert_eq!(
        crate::helpers::error_lines_containing("permission table"),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn an_export_searched_by_id_number_keeps_no_id_number_in_the_audit_trail() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let idn = id_number("620102", "19900307", 411);
    app.import_ok(
        "members",
        &format!("{MEMBER_HEADER}张三,{idn},男,13812345678,U1,2020-01-01,否,\n"),
    )
    .await;
    // A whole number as the search of an export is refused (it would sit in the URL); a
    // reason that names one is kept masked.
    for (path, status) in [
        (format!("/api/v1/exports/members?format=csv&q={idn}"), 422),
        (
            "/api/v1/exports/members?format=csv&q=13812345678".to_string(),
            422,
        ),
        (
            format!("/api/v1/exports/members?format=csv&q={}", &idn[12..]),
            200,
        ),
        (
            format!("/api/v1/exports/members/full?format=csv&reason=%E6%A0%B8%E5%AF%B9{idn}"),
            200,
        ),
    ] {
        let r = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
    let (s, v) = app
        .post(
            &format!(
                "/api/v1/members/{}/reveal",
                app.scalar("SELECT id FROM members").await
            ),
            json!({"reason": format!("核对{idn}和13812345678")}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let details: Vec<String> = sqlx::query_scalar("SELECT detail FROM audit_log")
        .fetch_all(app.reg.db.pool())
        .await
        .unwrap();
    for d in &details {
        assert!(
            crate::helpers::personal_data_in(d).is_none(),
            "personal data in an audit row: {d}"
        );
    }
    assert!(
        details
            .iter()
            .any(|d| d.contains(&format!("620102********{}", &idn[14..]))),
        "the masked reason is kept: {details:?}"
    );
}

#[tokio::test]
async fn answers_carrying_personal_data_are_not_kept_by_caches() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let idn = id_number("110105", "19900307", 3);
    app.import_ok(
        "members",
        &format!("{MEMBER_HEADER}张三,{idn},男,13812345678,U1,2020-01-01,否,\n"),
    )
    .await;
    let id = app.scalar("SELECT id FROM members").await;
    let r = app
        .client
        .post(app.url(&format!("/api/v1/members/{id}/reveal")))
        .json(&json!({"reason": "核对身份"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    for path in ["/api/v1/members", &format!("/members/{id}"), "/login"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
}

#[tokio::test]
async fn guessing_the_current_password_from_a_session_locks_the_account() {
    let app = spawn_app().await;
    for i in 0..5 {
        let (s, v) = app
            .post(
                "/api/v1/auth/password",
                json!({"current_password": format!("Wrong#Guess{i}"), "new_password": "Another#Pass2027"}),
            )
            .await;
        if i < 4 {
            assert_eq!(
                (s, v["code"].as_str()),
                (422, Some("PASSWORD_WRONG")),
                "{v}"
            );
        } else {
            assert_eq!(
                (s, v["code"].as_str()),
                (423, Some("ACCOUNT_LOCKED")),
                "{v}"
            );
        }
    }
    // The session ended with the lock, and the right password does not sign in until it runs out.
    let (s, _) = app.get("/api/v1/auth/me").await;
    assert_eq!(s, 401);
    let r = app
        .anonymous()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "tester", "password": TESTER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 423);
}
