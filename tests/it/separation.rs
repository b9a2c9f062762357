//! Separation of duties (三员分立) as chains of requests: no single administrator can obtain a
//! session or a token that reads members (issue 12, finding 2).

use serde_json::{Value, json};

use crate::helpers::{TESTER_PASSWORD, TestApp, id_number, spawn_app};

async fn login(app: &TestApp, user: &str, pw: &str) -> (u16, Value, reqwest::Client) {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = c
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": user, "password": pw }))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null), c)
}

/// A new password of the account's own, set at the forced change after the first sign-in.
async fn set_own_password(
    app: &TestApp,
    c: &reqwest::Client,
    csrf: &str,
    current: &str,
    new: &str,
) -> Value {
    let r = c
        .post(app.url("/api/v1/auth/password"))
        .header("x-csrf-token", csrf)
        .json(&json!({"current_password": current, "new_password": new}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn an_account_needs_both_administrators_before_anyone_can_sign_in_with_it() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("sys", "sysadmin", None, None).await;
    app.add_account("sec", "secadmin", None, None).await;
    let sys = app.signed_in("sys", TESTER_PASSWORD).await;
    let sec = app.signed_in("sec", TESTER_PASSWORD).await;

    // The system administrator creates a city cadre and sees only the first half.
    let (s, v) = app
        .post_as(
            &sys,
            "/api/v1/accounts",
            json!({"username": "newcadre", "role": "cadre", "org_code": "C"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["account"]["status"].as_str(), v["half"].as_str()),
        (Some("pending"), Some("first"))
    );
    let id = v["account"]["id"].as_str().unwrap().to_string();
    let first = v["password_half"].as_str().unwrap().to_string();
    // Alone, the first half signs nobody in; nor does enabling the account skip the approval.
    for typed in [first.clone(), format!("{first}{first}")] {
        let (s, v, _) = login(&app, "newcadre", &typed).await;
        assert_eq!((s, v["code"].as_str()), (401, Some("LOGIN_FAILED")), "{v}");
    }
    let (s, v) = app
        .post_as(
            &sys,
            &format!("/api/v1/accounts/{id}/status"),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("pending")), "{v}");
    // The system administrator cannot approve; the security administrator can, once.
    let (s, _) = app
        .post_as(&sys, &format!("/api/v1/accounts/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 403);
    let (s, v) = app
        .post_as(&sec, &format!("/api/v1/accounts/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["account"]["status"].as_str(), v["half"].as_str()),
        (Some("active"), Some("second"))
    );
    let second = v["password_half"].as_str().unwrap().to_string();
    let (s, v) = app
        .post_as(&sec, &format!("/api/v1/accounts/{id}/approve"), json!({}))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("NOT_PENDING")));
    // The second half alone, or the halves the wrong way round, sign nobody in either.
    for typed in [second.clone(), format!("{second}{first}")] {
        assert_eq!(login(&app, "newcadre", &typed).await.0, 401);
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account.activate'")
            .await,
        0
    );
    // The person, with both halves, signs in; the first use is recorded and shown to them.
    let (s, me, person) = login(&app, "newcadre", &format!("{first} {second}")).await;
    assert_eq!((s, me["stage"].as_str()), (200, Some("password")), "{me}");
    assert!(me["activated"]["at"].is_i64(), "{me}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account.activate'")
            .await,
        1
    );
    let csrf = me["csrf_token"].as_str().unwrap().to_string();
    let me = set_own_password(
        &app,
        &person,
        &csrf,
        &format!("{first}{second}"),
        "Own#Password2027",
    )
    .await;
    assert_eq!(me["stage"], "full");
    // The initial halves are gone with the change.
    assert_eq!(
        login(&app, "newcadre", &format!("{first}{second}")).await.0,
        401
    );
    let (s, me, _) = login(&app, "newcadre", "Own#Password2027").await;
    assert_eq!(s, 200);
    assert!(me["previous_sign_in"]["at"].is_i64(), "{me}");

    // A reset by the system administrator: the own password stops, the account waits again,
    // and the system administrator still holds only a first half.
    let (s, v) = app
        .post_as(
            &sys,
            &format!("/api/v1/accounts/{id}/reset-password"),
            json!({}),
        )
        .await;
    assert_eq!((s, v["account"]["status"].as_str()), (200, Some("pending")));
    let first = v["password_half"].as_str().unwrap().to_string();
    assert_eq!(login(&app, "newcadre", "Own#Password2027").await.0, 401);
    assert_eq!(login(&app, "newcadre", &first).await.0, 401);
    let (_, v) = app
        .post_as(&sec, &format!("/api/v1/accounts/{id}/approve"), json!({}))
        .await;
    let second = v["password_half"].as_str().unwrap().to_string();
    assert_eq!(
        login(&app, "newcadre", &format!("{first}{second}")).await.0,
        200
    );
}

#[tokio::test]
async fn the_security_administrator_issues_no_token_that_reads_members_and_tokens_follow_their_creator()
 {
    let app = spawn_app().await;
    app.seed_tree().await;
    let idn = id_number("110105", "19900307", 3);
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({"name": "张三", "id_number": idn, "org_code": "U1", "joined_on": "2020-01-01"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    app.add_account("sec", "secadmin", None, None).await;
    let sec = app.signed_in("sec", TESTER_PASSWORD).await;
    for perms in [
        json!(["member.read", "export"]),
        json!(["stats.read"]),
        json!(["org.read"]),
    ] {
        let (s, v) = app.post_as(&sec, "/api/v1/tokens",
            json!({"name": "全市名册", "org_code": "C", "permissions": perms, "expires_in_days": 30}),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("PERMISSION_NOT_HELD")),
            "{v}"
        );
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM api_tokens").await, 0);
    // None of the three administrators reads a member, whatever they try.
    for (user, role) in [("sys2", "sysadmin"), ("aud2", "auditadmin")] {
        app.add_account(user, role, None, None).await;
    }
    for user in ["sec", "sys2", "aud2"] {
        let c = app.signed_in(user, TESTER_PASSWORD).await;
        for path in ["/api/v1/members", "/api/v1/exports/members?format=csv"] {
            let r = c.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 403, "{user} {path}");
        }
    }

    // A district cadre issues a token from what it holds, inside its own subtree.
    let cadre_id = app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    let cadre = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    let (s, v) = app.post_as(&cadre, "/api/v1/tokens",
        json!({"name": "区名册", "org_code": "C", "permissions": ["member.read"], "expires_in_days": 30}),
    )
    .await;
    assert_eq!(s, 422, "not for the whole city: {v}");
    let (s, v) = app.post_as(&cadre, "/api/v1/tokens",
        json!({"name": "区名册", "org_code": "D1", "permissions": ["member.read", "export"], "expires_in_days": 30}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let call = |path: &'static str| {
        let (url, token) = (app.url(path), token.clone());
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(call("/api/v1/members").await, 200);
    assert_eq!(call("/api/v1/exports/members?format=csv").await, 200);
    // The creator becomes a case officer: the token keeps only what an officer has.
    let (s, v) = app
        .post_as(
            &sec,
            &format!("/api/v1/accounts/{cadre_id}/role"),
            json!({"role": "officer", "org_code": "D1", "modules": ["hardship"]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(call("/api/v1/members").await, 200);
    assert_eq!(call("/api/v1/exports/members?format=csv").await, 403);
    // The creator is disabled: the token stops.
    app.add_account("sys", "sysadmin", None, None).await;
    let sys = app.signed_in("sys", TESTER_PASSWORD).await;
    let (s, _) = app
        .post_as(
            &sys,
            &format!("/api/v1/accounts/{cadre_id}/status"),
            json!({"status": "disabled"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(call("/api/v1/members").await, 401);
}

#[tokio::test]
async fn the_operator_on_the_server_can_reset_an_administrator_nobody_else_can() {
    let app = spawn_app().await;
    app.add_account("sec", "secadmin", None, None).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gonghui"))
        .args(["account", "reset-password", "sec"])
        .env("GONGHUI_DATABASE_URL", app.config.database_url())
        .env("GONGHUI_DATA_DIR", &app.config.data_dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let pw = text
        .split("一次性密码：")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("password printed")
        .to_string();
    let (s, v, _) = login(&app, "sec", &pw).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'account.reset_password' AND actor_kind = 'system'"
        )
        .await,
        1
    );
}
