//! Sign-in, sessions, CSRF, tokens and the audit trail: each bad input is a clear error and
//! changes nothing. Time is moved on the server's manual clock, never slept.

use gonghui::clock::Clock;
use serde_json::{Value, json};

use crate::helpers::{TESTER_PASSWORD, TestApp, id_number, spawn_app, totp_secret_for};

async fn login(app: &TestApp, c: &reqwest::Client, user: &str, pw: &str) -> (u16, Value) {
    let r = c
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": user, "password": pw }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post_with(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    csrf: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut b = c.post(app.url(path)).json(&body);
    if let Some(t) = csrf {
        b = b.header("x-csrf-token", t);
    }
    let r = b.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer_and_lockout_counts_both() {
    let app = spawn_app().await;
    app.add_account("zhangsan", "cadre", None, None).await;
    let c = app.anonymous();
    let (s1, unknown) = login(&app, &c, "nobody", "Whatever#2026").await;
    let (s2, wrong) = login(&app, &c, "zhangsan", "Wrong#Pass2026").await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(unknown, wrong, "no user enumeration through messages");
    assert_eq!(unknown["code"], "LOGIN_FAILED");
    // Four more failures (five in a row) lock the account, also against the right password.
    for _ in 0..4 {
        login(&app, &c, "zhangsan", "Wrong#Pass2026").await;
    }
    let (s, v) = login(&app, &c, "zhangsan", TESTER_PASSWORD).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (423, Some("ACCOUNT_LOCKED")),
        "{v}"
    );
    // An unknown name locks the same way: a locked answer tells nothing about existence.
    for _ in 0..5 {
        login(&app, &c, "ghost", "Whatever#2026").await;
    }
    assert_eq!(login(&app, &c, "ghost", "Whatever#2026").await.0, 423);
    // Fifteen minutes later the right password works again.
    app.clock.advance_minutes(15);
    let (s, v) = login(&app, &c, "zhangsan", TESTER_PASSWORD).await;
    assert_eq!((s, v["stage"].as_str()), (200, Some("full")), "{v}");
    // The audit trail has the failures and the lock, without the typed password.
    let failures = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'login.failure'")
        .await;
    assert!(failures >= 10, "{failures}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%Wrong#Pass%'")
            .await,
        0
    );
}

#[tokio::test]
async fn administrators_need_a_fresh_totp_code_and_a_replayed_code_is_refused() {
    let app = spawn_app().await;
    app.add_account("sec", "secadmin", None, None).await;
    let c = app.anonymous();
    let (s, v) = login(&app, &c, "sec", TESTER_PASSWORD).await;
    assert_eq!((s, v["stage"].as_str()), (200, Some("totp")));
    let csrf = v["csrf_token"].as_str().unwrap().to_string();
    // Not signed in yet: business and admin routes are refused.
    let r = c.get(app.url("/api/v1/accounts")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let (s, v) = post_with(
        &app,
        &c,
        "/api/v1/auth/totp",
        Some(&csrf),
        json!({"code": "000000"}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (401, Some("TOTP_FAILED")));
    let code = gonghui::auth::totp::code_at(&totp_secret_for("sec"), app.clock.now_ms()).unwrap();
    let (s, v) = post_with(
        &app,
        &c,
        "/api/v1/auth/totp",
        Some(&csrf),
        json!({"code": code}),
    )
    .await;
    assert_eq!((s, v["stage"].as_str()), (200, Some("full")), "{v}");
    // The same code again, on a second login, is a replay.
    let c2 = app.anonymous();
    let (_, v) = login(&app, &c2, "sec", TESTER_PASSWORD).await;
    let csrf2 = v["csrf_token"].as_str().unwrap().to_string();
    let (s, v) = post_with(
        &app,
        &c2,
        "/api/v1/auth/totp",
        Some(&csrf2),
        json!({"code": code}),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (401, Some("TOTP_FAILED")),
        "replayed code refused"
    );
    let replays = app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'login.totp_failure' AND detail LIKE '%replayed%'").await;
    assert_eq!(replays, 1);
}

#[tokio::test]
async fn first_login_forces_a_password_change_and_admin_totp_enrolment() {
    let app = spawn_app().await;
    // The first-start administrators: one-time password, must change, must enrol TOTP.
    let actor = gonghui::audit::Actor::system(&app.reg.keys, "test");
    // They are created only while there is no account: empty the table for the check.
    sqlx::query("DELETE FROM sessions")
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM accounts")
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let created = gonghui::auth::accounts::ensure_first_accounts(&app.reg.db, &actor, false)
        .await
        .unwrap();
    let admin = created
        .iter()
        .find(|a| a.username == "admin")
        .expect("admin created");
    let c = app.anonymous();
    let (s, v) = login(&app, &c, "admin", &admin.password).await;
    assert_eq!((s, v["stage"].as_str()), (200, Some("password")), "{v}");
    let csrf = v["csrf_token"].as_str().unwrap().to_string();
    let r = c.get(app.url("/api/v1/accounts")).send().await.unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "nothing before the password is changed"
    );
    let (s, v) = post_with(
        &app,
        &c,
        "/api/v1/auth/password",
        Some(&csrf),
        json!({"current_password": admin.password, "new_password": "short"}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (422, Some("PASSWORD_POLICY")));
    let (s, v) = post_with(
        &app,
        &c,
        "/api/v1/auth/password",
        Some(&csrf),
        json!({"current_password": admin.password, "new_password": "Gonghui#Safe2026"}),
    )
    .await;
    assert_eq!((s, v["stage"].as_str()), (200, Some("totp_setup")), "{v}");
    let setup: Value = c
        .get(app.url("/api/v1/auth/totp/setup"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = gonghui::auth::totp::decode(setup["secret"].as_str().unwrap()).unwrap();
    assert!(
        setup["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    let code = gonghui::auth::totp::code_at(&secret, app.clock.now_ms()).unwrap();
    let (s, v) = post_with(
        &app,
        &c,
        "/api/v1/auth/totp/setup",
        Some(&csrf),
        json!({"secret": setup["secret"], "code": code}),
    )
    .await;
    assert_eq!((s, v["stage"].as_str()), (200, Some("full")), "{v}");
    let r = c.get(app.url("/api/v1/accounts")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn sessions_end_when_idle_at_their_lifetime_on_logout_and_when_forged() {
    let app = spawn_app().await;
    let c = app.signed_in("tester", TESTER_PASSWORD).await;
    let get = |c: reqwest::Client| {
        let url = app.url("/api/v1/orgs");
        async move {
            let r = c.get(url).send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(get(c.clone()).await.0, 200);
    // Active every 20 minutes: still signed in after 40 minutes.
    app.clock.advance_minutes(20);
    assert_eq!(get(c.clone()).await.0, 200);
    app.clock.advance_minutes(20);
    assert_eq!(get(c.clone()).await.0, 200);
    // 30 idle minutes end it.
    app.clock.advance_minutes(30);
    let (s, v) = get(c.clone()).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (401, Some("SESSION_EXPIRED")),
        "{v}"
    );
    // Absolute lifetime: active every 25 minutes, still ends after 12 hours.
    let c = app.signed_in("tester", TESTER_PASSWORD).await;
    for _ in 0..28 {
        app.clock.advance_minutes(25);
        assert_eq!(get(c.clone()).await.0, 200);
    }
    app.clock.advance_minutes(25);
    let (s, v) = get(c.clone()).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (401, Some("SESSION_EXPIRED")),
        "{v}"
    );
    // A forged cookie is not a session.
    let forged = reqwest::Client::new();
    let r = forged
        .get(app.url("/api/v1/orgs"))
        .header("cookie", "gh_session=forged-token-value")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // Logout everywhere ends every session of the account.
    let a = app.signed_in("tester", TESTER_PASSWORD).await;
    let b = app.signed_in("tester", TESTER_PASSWORD).await;
    let r = a
        .post(app.url("/api/v1/auth/logout-all"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(get(a).await.0, 401);
    assert_eq!(get(b).await.0, 401);
}

#[tokio::test]
async fn state_changing_requests_need_the_csrf_token_and_change_nothing_without_it() {
    let app = spawn_app().await;
    let c = app.anonymous();
    let (_, v) = login(&app, &c, "tester", TESTER_PASSWORD).await;
    let csrf = v["csrf_token"].as_str().unwrap().to_string();
    let body = json!({"code": "X1", "name": "无令牌工会", "kind": "city"});
    for token in [None, Some("wrong-token")] {
        let (s, v) = post_with(&app, &c, "/api/v1/orgs", token, body.clone()).await;
        assert_eq!((s, v["code"].as_str()), (403, Some("CSRF_FAILED")));
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM orgs").await, 0);
    let (s, _) = post_with(&app, &c, "/api/v1/orgs", Some(&csrf), body).await;
    assert_eq!(s, 201);
    // A login posted from another site is refused.
    let r = c
        .post(app.url("/api/v1/auth/login"))
        .header("origin", "http://evil.example")
        .json(&json!({"username": "tester", "password": TESTER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn api_tokens_work_only_within_their_subtree_and_permissions_until_revoked_or_expired() {
    let app = spawn_app().await;
    app.seed_tree().await;
    // Tokens are issued by a cadre, from what the cadre holds.
    app.add_account("issuer", "cadre", Some("C"), None).await;
    let sec = app.signed_in("issuer", TESTER_PASSWORD).await;
    let r = sec
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"name": "政务服务网", "org_code": "D1", "permissions": ["org.read", "stats.read"], "expires_in_days": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let v: Value = r.json().await.unwrap();
    let token = v["token"].as_str().unwrap().to_string();
    let call = |path: &str| {
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
    assert_eq!(call("/api/v1/orgs/U1").await, 200);
    assert_eq!(call("/api/v1/orgs/U3").await, 404, "outside its subtree");
    assert_eq!(
        call("/api/v1/members").await,
        403,
        "outside its permissions"
    );
    // Tokens cannot carry administration rights.
    let r = sec
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"name": "越权", "org_code": "D1", "permissions": ["account.manage"], "expires_in_days": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    // Expired after a day.
    app.clock.advance_minutes(24 * 60 + 1);
    assert_eq!(call("/api/v1/orgs/U1").await, 401);
    // A fresh one, then revoked.
    let sec = app.signed_in("issuer", TESTER_PASSWORD).await;
    let v: Value = sec
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"name": "第二个", "org_code": "D1", "permissions": ["org.read"], "expires_in_days": 30}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let t2 = v["token"].as_str().unwrap().to_string();
    let id2 = v["token_info"]["id"].as_str().unwrap().to_string();
    let ok = reqwest::Client::new()
        .get(app.url("/api/v1/orgs/U1"))
        .bearer_auth(&t2)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let r = sec
        .post(app.url(&format!("/api/v1/tokens/{id2}/revoke")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let after = reqwest::Client::new()
        .get(app.url("/api/v1/orgs/U1"))
        .bearer_auth(&t2)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 401);
}

#[tokio::test]
async fn reveal_needs_a_reason_and_is_recorded_without_the_value() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let idn = id_number("340402", "19900101", 21);
    let (_, v) = app
        .post(
            "/api/v1/members",
            json!({"name": "李四", "id_number": idn, "org_code": "U1", "mobile": "13912345678"}),
        )
        .await;
    let mid = v["member"]["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{mid}/reveal"),
            json!({"reason": " "}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (422, Some("REASON_REQUIRED")));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'member.reveal'")
            .await,
        0
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{mid}/reveal"),
            json!({"reason": "核对医疗互助申请"}),
        )
        .await;
    assert_eq!(
        (s, v["id_number"].as_str(), v["mobile"].as_str()),
        (200, Some(idn.as_str()), Some("13912345678"))
    );
    let detail: String =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'member.reveal'")
            .fetch_one(app.reg.db.pool())
            .await
            .unwrap();
    assert!(
        detail.contains("核对医疗互助申请")
            && !detail.contains(&idn)
            && !detail.contains("13912345678"),
        "{detail}"
    );
    // Every audit row is free of the full values.
    let leaks = app
        .scalar(&format!("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%{idn}%' OR detail LIKE '%13912345678%'"))
        .await;
    assert_eq!(leaks, 0);
}

#[tokio::test]
async fn xss_and_sql_injection_strings_are_stored_as_given() {
    let app = spawn_app().await;
    app.seed_tree().await;
    for (i, evil) in [
        "<script>alert(1)</script>",
        "'; DROP TABLE members; --",
        "\" OR 1=1 --",
    ]
    .iter()
    .enumerate()
    {
        let (s, v) = app
            .post("/api/v1/orgs", json!({"code": format!("E{i}"), "name": evil, "kind": "grassroots", "parent_code": "S1"}))
            .await;
        assert_eq!((s, v["name"].as_str()), (201, Some(*evil)), "{v}");
        let r = app
            .client
            .get(app.url(&format!("/api/v1/orgs/E{i}")))
            .send()
            .await
            .unwrap();
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert!(
            r.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
    }
    let (s, v) = app.get("/api/v1/members?q=%27%20OR%201%3D1%20--").await;
    assert_eq!(
        (s, v["rows"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{v}"
    );
    assert!(
        app.scalar("SELECT COUNT(*) FROM orgs").await >= 10,
        "nothing was dropped"
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused_outside_the_upload_route() {
    let app = spawn_app().await;
    let big = "x".repeat(3 * 1024 * 1024);
    let (s, v) = app
        .post(
            "/api/v1/orgs",
            json!({"code": "BIG", "name": big, "kind": "city"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (413, Some("TOO_LARGE")));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM orgs").await, 0);
}
