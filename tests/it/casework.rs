//! Casework: petitions from intake to closure through the API, by cadres of different levels;
//! the deadlines on the test clock; the steps the workflow forbids; repeats linked; two
//! officers at once; the member's own petitions; personal data of a requester who is no member.

use serde_json::{Value, json};

use crate::helpers::*;

async fn intake(app: &TestApp, c: &reqwest::Client, body: Value) -> Value {
    let (s, v) = app.post_as(c, "/api/v1/petitions", body).await;
    assert_eq!(s, 201, "{v}");
    v
}

async fn step(app: &TestApp, c: &reqwest::Client, id: &str, body: Value) -> (u16, Value) {
    app.post_as(c, &format!("/api/v1/petitions/{id}/steps"), body)
        .await
}

fn petition(org: &str, name: &str) -> Value {
    json!({ "org_code": org, "channel": "12351电话", "kind": "求决", "category": "wages",
            "requester_name": name, "unit_name": "某物流公司", "summary": "三个月工资未发" })
}

#[tokio::test]
async fn a_petition_goes_down_the_tree_and_back_to_closure_and_its_history_replays() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    app.add_account("u1cadre", "cadre", Some("U1"), None).await;
    app.add_account("d2cadre", "cadre", Some("D2"), None).await;
    let d1 = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    let u1 = app.signed_in("u1cadre", TESTER_PASSWORD).await;
    let d2 = app.signed_in("d2cadre", TESTER_PASSWORD).await;
    let p = intake(&app, &d1, petition("D1", "王来访")).await;
    let id = p["id"].as_str().unwrap().to_string();
    assert_eq!(
        (p["status"].as_str(), p["org_code"].as_str()),
        (Some("received"), Some("D1"))
    );
    assert_eq!(p["channel"], "hotline", "a label is read as its code");
    let today = chrono::Local::now().date_naive();
    assert_eq!(
        p["accept_due"],
        (today + chrono::Duration::days(15)).to_string()
    );
    // Another district sees nothing of it.
    let (s, _) = app.get_as(&d2, &format!("/api/v1/petitions/{id}")).await;
    assert_eq!(s, 404);
    let (_, v) = step(&app, &d1, &id, json!({"action": "accept"})).await;
    assert_eq!(
        v["reply_due"],
        (today + chrono::Duration::days(60)).to_string(),
        "{v}"
    );
    // Down to the union that must act; it answers.
    let (s, v) = step(
        &app,
        &d1,
        &id,
        json!({"action": "dispatch", "to_org": "S1"}),
    )
    .await;
    assert_eq!((s, v["org_code"].as_str()), (200, Some("S1")), "{v}");
    let (s, v) = step(
        &app,
        &d1,
        &id,
        json!({"action": "dispatch", "to_org": "U1"}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("dispatched")), "{v}");
    let (_, queue) = app.get_as(&u1, "/api/v1/petitions").await;
    assert_eq!(
        queue.as_array().unwrap().len(),
        1,
        "in the union's queue: {queue}"
    );
    let (s, v) = step(
        &app,
        &u1,
        &id,
        json!({"action": "reply", "text": "已督促企业发放", "method": "电话"}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("replied")), "{v}");
    // Called back unsatisfied: handled again, answered again, then called back satisfied.
    let (_, v) = step(
        &app,
        &d1,
        &id,
        json!({"action": "call_back", "satisfaction": "unsatisfied"}),
    )
    .await;
    assert_eq!(
        (v["status"].as_str(), v["reopened"].as_i64()),
        (Some("accepted"), Some(1)),
        "{v}"
    );
    step(
        &app,
        &u1,
        &id,
        json!({"action": "reply", "text": "工资已补发", "method": "面谈"}),
    )
    .await;
    let (_, v) = step(
        &app,
        &d1,
        &id,
        json!({"action": "call_back", "satisfaction": "satisfied"}),
    )
    .await;
    assert_eq!(
        (v["status"].as_str(), v["satisfaction"].as_str()),
        (Some("closed"), Some("满意")),
        "{v}"
    );
    // The history replays to where the case stands.
    let (_, detail) = app.get_as(&d1, &format!("/api/v1/petitions/{id}")).await;
    let history = detail["history"].as_array().unwrap();
    let actions: Vec<&str> = history
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "intake",
            "accept",
            "dispatch",
            "dispatch",
            "reply",
            "unsatisfied",
            "reply",
            "satisfied"
        ]
    );
    let mut state = None;
    for h in history {
        assert_eq!(h["from_status"].as_str(), state, "{h}");
        state = h["to_status"].as_str();
    }
    assert_eq!(state, detail["petition"]["status"].as_str());
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'petition.%'")
            .await,
        8
    );
}

#[tokio::test]
async fn steps_the_workflow_forbids_and_bad_input_write_nothing() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let c = &app.client;
    // Every problem of an intake at once, in Chinese.
    let (s, v) = app
        .post(
            "/api/v1/petitions",
            json!({"org_code": "D1", "channel": "传真", "kind": "求决", "category": "wages",
                   "requester_name": "", "summary": "x", "received_on": "2999-01-01",
                   "requester_mobile": "123"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let text = v.to_string();
    for words in [
        "来源渠道“传真”无法识别",
        "收到日期不能晚于今天",
        "请填写诉求人姓名",
        "手机号",
    ] {
        assert!(text.contains(words), "{words}: {v}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM petitions").await, 0);
    let p = intake(&app, c, petition("D1", "李四")).await;
    let id = p["id"].as_str().unwrap().to_string();
    for (body, code) in [
        (
            json!({"action": "close", "note": "结束"}),
            "TRANSITION_REFUSED",
        ),
        (
            json!({"action": "reply", "text": "答复", "method": "电话"}),
            "TRANSITION_REFUSED",
        ),
    ] {
        let (s, v) = step(&app, c, &id, body).await;
        assert_eq!((s, v["code"].as_str()), (409, Some(code)), "{v}");
        assert!(
            v["message"].as_str().unwrap().contains("当前为“已登记”"),
            "{v}"
        );
    }
    step(&app, c, &id, json!({"action": "accept"})).await;
    // Dispatched only down from the union handling it, within the caller's scope.
    let (s, v) = step(&app, c, &id, json!({"action": "dispatch", "to_org": "U3"})).await;
    assert_eq!(s, 422, "a union of another district: {v}");
    let (s, v) = step(&app, c, &id, json!({"action": "dispatch", "to_org": "D1"})).await;
    assert_eq!(s, 422, "the handling union itself: {v}");
    // One extension, of at most 30 days, with a reason.
    let (s, _) = step(
        &app,
        c,
        &id,
        json!({"action": "extend", "days": 31, "reason": "需调查"}),
    )
    .await;
    assert_eq!(s, 422);
    let (s, _) = step(
        &app,
        c,
        &id,
        json!({"action": "extend", "days": 30, "reason": " "}),
    )
    .await;
    assert_eq!(s, 422);
    let (s, v) = step(
        &app,
        c,
        &id,
        json!({"action": "extend", "days": 30, "reason": "需调查取证"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let today = chrono::Local::now().date_naive();
    assert_eq!(
        v["reply_due"],
        (today + chrono::Duration::days(90)).to_string()
    );
    let (s, v) = step(
        &app,
        c,
        &id,
        json!({"action": "extend", "days": 5, "reason": "再延"}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("ALREADY_EXTENDED")));
    step(
        &app,
        c,
        &id,
        json!({"action": "reply", "text": "已答复", "method": "书面"}),
    )
    .await;
    let (s, _) = step(
        &app,
        c,
        &id,
        json!({"action": "reply", "text": "再答复", "method": "书面"}),
    )
    .await;
    assert_eq!(s, 409, "replying twice");
    // Refused, then never accepted.
    let q = intake(&app, c, petition("D1", "赵五")).await;
    let qid = q["id"].as_str().unwrap().to_string();
    let (s, v) = step(
        &app,
        c,
        &qid,
        json!({"action": "refuse", "reason": "不属于工会受理范围"}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("not_accepted")));
    let (s, _) = step(&app, c, &qid, json!({"action": "accept"})).await;
    assert_eq!(s, 409, "accepting after refusing");
    // Nothing half-written: the refused steps left no history.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM petition_events WHERE petition_id = {qid}"
        ))
        .await,
        2
    );
}

#[tokio::test]
async fn deadlines_follow_the_clock_and_the_queue_flags_them() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let c = &app.client;
    let p = intake(&app, c, petition("D1", "周六")).await;
    let id = p["id"].as_str().unwrap().to_string();
    let (_, v) = app.get(&format!("/api/v1/petitions/{id}")).await;
    assert_eq!(v["petition"]["due_standing"], "on_time");
    let (_, near) = app.get("/api/v1/petitions?due=near").await;
    assert!(near.as_array().unwrap().is_empty());
    // Thirteen days on: due within three days. Sixteen: past due. (Days pass: sign in again.)
    app.clock.advance_minutes(13 * 24 * 60);
    let c = app.signed_in("tester", TESTER_PASSWORD).await;
    let (_, near) = app.get_as(&c, "/api/v1/petitions?due=near").await;
    assert_eq!(near.as_array().unwrap().len(), 1, "{near}");
    app.clock.advance_minutes(3 * 24 * 60);
    let c = app.signed_in("tester", TESTER_PASSWORD).await;
    let (_, over) = app.get_as(&c, "/api/v1/petitions?due=overdue").await;
    assert_eq!(over[0]["due_standing"], "overdue", "{over}");
    // Accepted late, the answer is due sixty days from that day.
    let (_, v) = step(&app, &c, &id, json!({"action": "accept"})).await;
    let accepted = gonghui::clock::local_date(gonghui::clock::Clock::now_ms(app.clock.as_ref()));
    assert_eq!(v["accepted_on"], accepted.to_string());
    assert_eq!(
        v["reply_due"],
        (accepted + chrono::Duration::days(60)).to_string()
    );
}

#[tokio::test]
async fn a_repeat_is_linked_to_the_open_petition_it_repeats() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let idn = id_number("340402", "19880808", 71);
    let body = |category: &str| {
        json!({"org_code": "U1", "channel": "visit", "kind": "request", "category": category,
               "requester_name": "钱七", "requester_id_number": idn, "requester_mobile": "13700002222",
               "summary": "工伤认定"})
    };
    let first = intake(&app, &app.client, body("injury")).await;
    let again = intake(&app, &app.client, body("injury")).await;
    assert_eq!(again["repeat_of"], first["id"], "linked, not doubled");
    let other = intake(&app, &app.client, body("wages")).await;
    assert!(
        other["repeat_of"].is_null(),
        "another matter is another petition"
    );
    // The requester's numbers are kept encrypted and shown masked.
    assert_eq!(first["requester_mobile_masked"], "137****2222");
    assert!(!first.to_string().contains(&idn));
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM petitions WHERE requester_id_masked LIKE '340402%' AND requester_id_enc IS NOT NULL"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn two_officers_taking_one_step_at_once_one_wins() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let p = intake(&app, &app.client, petition("D1", "孙八")).await;
    let id = p["id"].as_str().unwrap().to_string();
    let statuses = app
        .post_concurrently(
            &format!("/api/v1/petitions/{id}/steps"),
            vec![
                json!({"action": "accept", "version": 0}),
                json!({"action": "accept", "version": 0}),
            ],
        )
        .await;
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, [200, 409], "{statuses:?}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM petition_events WHERE petition_id = {id}"
        ))
        .await,
        2
    );
}

#[tokio::test]
async fn a_member_files_and_follows_their_own_petitions_and_officers_need_the_module() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (_, m) = app
        .post(
            "/api/v1/members",
            json!({"name": "吴九", "id_number": id_number("340402", "19900101", 81), "org_code": "U1", "joined_on": "2020-01-01"}),
        )
        .await;
    let member_id: i64 = m["member"]["id"].as_str().unwrap().parse().unwrap();
    app.add_account("wujiu", "member", None, Some(member_id))
        .await;
    let me = app.signed_in("wujiu", TESTER_PASSWORD).await;
    let (s, v) = app
        .post_as(
            &me,
            "/api/v1/me/petitions",
            json!({"kind": "consult", "category": "hours", "summary": "加班费怎么算"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["channel"].as_str(), v["org_code"].as_str()),
        (Some("member_app"), Some("U1"))
    );
    assert_eq!(v["requester_name"], "吴九", "the member, linked not copied");
    let (_, mine) = app.get_as(&me, "/api/v1/me/petitions").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    // The cadre's queue has it.
    let (_, queue) = app.get("/api/v1/petitions?org=U1").await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    // A case officer works only in the modules they are named for.
    app.add_account("clerk", "officer", Some("D1"), None).await;
    let clerk = app.signed_in("clerk", TESTER_PASSWORD).await;
    let (s, v) = app.get_as(&clerk, "/api/v1/petitions").await;
    assert_eq!((s, v["code"].as_str()), (403, Some("MODULE_NOT_ASSIGNED")));
    sqlx::query("UPDATE accounts SET modules = 'grievance' WHERE username = 'clerk'")
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let clerk = app.signed_in("clerk", TESTER_PASSWORD).await;
    let (s, _) = app.get_as(&clerk, "/api/v1/petitions").await;
    assert_eq!(s, 200);
}
