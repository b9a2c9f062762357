//! Casework: petitions from intake to closure through the API, by cadres of different levels;
//! the deadlines on the test clock; the steps the workflow forbids; repeats linked; two
//! officers at once; the member's own petitions; personal data of a requester who is no member.

use serde_json::{Value, json};

use crate::helpers::*;

async fn intake(app: &TestApp, c: &reqwest::Client, body: Value) -> Value {
    let (s, v) = app.post_as(c, "/api/v1/casework/petitions", body).await;
    assert_eq!(s, 201, "{v}");
    v
}

async fn step(app: &TestApp, c: &reqwest::Client, id: &str, body: Value) -> (u16, Value) {
    app.post_as(c, &format!("/api/v1/casework/petitions/{id}/steps"), body)
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
    let (s, _) = app
        .get_as(&d2, &format!("/api/v1/casework/petitions/{id}"))
        .await;
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
    let (_, queue) = app.get_as(&u1, "/api/v1/casework/petitions").await;
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
    let (_, detail) = app
        .get_as(&d1, &format!("/api/v1/casework/petitions/{id}"))
        .await;
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
            "/api/v1/casework/petitions",
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
            "SELECT COUNT(*) FROM case_events WHERE case_type = 'petition' AND case_id = {qid}"
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
    let (_, v) = app.get(&format!("/api/v1/casework/petitions/{id}")).await;
    assert_eq!(v["petition"]["due_standing"], "on_time");
    let (_, near) = app.get("/api/v1/casework/petitions?due=near").await;
    assert!(near.as_array().unwrap().is_empty());
    // Thirteen days on: due within three days. Sixteen: past due. (Days pass: sign in again.)
    app.clock.advance_minutes(13 * 24 * 60);
    let c = app.signed_in("tester", TESTER_PASSWORD).await;
    let (_, near) = app.get_as(&c, "/api/v1/casework/petitions?due=near").await;
    assert_eq!(near.as_array().unwrap().len(), 1, "{near}");
    app.clock.advance_minutes(3 * 24 * 60);
    let c = app.signed_in("tester", TESTER_PASSWORD).await;
    let (_, over) = app
        .get_as(&c, "/api/v1/casework/petitions?due=overdue")
        .await;
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
            &format!("/api/v1/casework/petitions/{id}/steps"),
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
            "SELECT COUNT(*) FROM case_events WHERE case_type = 'petition' AND case_id = {id}"
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
    let (_, queue) = app.get("/api/v1/casework/petitions?org=U1").await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    // A case officer works only in the modules they are named for.
    app.add_account("clerk", "officer", Some("D1"), None).await;
    let clerk = app.signed_in("clerk", TESTER_PASSWORD).await;
    let (s, v) = app.get_as(&clerk, "/api/v1/casework/petitions").await;
    assert_eq!((s, v["code"].as_str()), (403, Some("MODULE_NOT_ASSIGNED")));
    sqlx::query("UPDATE accounts SET modules = 'grievance' WHERE username = 'clerk'")
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let clerk = app.signed_in("clerk", TESTER_PASSWORD).await;
    let (s, _) = app.get_as(&clerk, "/api/v1/casework/petitions").await;
    assert_eq!(s, 200);
}

// ---------- disputes: mediation and legal aid ----------

async fn dispute_step(app: &TestApp, c: &reqwest::Client, id: &str, body: Value) -> (u16, Value) {
    app.post_as(c, &format!("/api/v1/casework/disputes/{id}/steps"), body)
        .await
}

async fn add_advocate(
    app: &TestApp,
    c: &reqwest::Client,
    org: &str,
    role: &str,
    name: &str,
) -> String {
    let (s, v) = app
        .post_as(
            c,
            "/api/v1/casework/roster",
            json!({"org_code": org, "role": role, "name": name, "organisation": "市总工会维权律师团", "mobile": "13912345678"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["mobile_masked"], "139****5678");
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_court_referred_group_mediation_from_registration_to_judicial_confirmation() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    let d1 = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    // The city's roster serves the district below it; the district keeps its own too.
    let mediator = add_advocate(&app, &app.client, "C", "mediator", "李调解").await;
    let lawyer = add_advocate(&app, &d1, "D1", "lawyer", "赵律师").await;
    let (_, roster) = app.get_as(&d1, "/api/v1/casework/roster").await;
    assert_eq!(roster.as_array().unwrap().len(), 2, "{roster}");

    let idn = id_number("340402", "19900101", 123);
    let mut body = json!({
        "kind": "劳动争议调解", "org_code": "D1", "source": "court", "claim": "wages",
        "amount_claimed": "86,400.50", "unit_name": "某建筑劳务公司",
        "workers": [{"name": "工人甲"}, {"name": "工人乙", "id_number": idn}, {"name": "工人丙"}],
        "workers_involved": 12, "summary": "十二名工人追讨工程款中的工资",
    });
    let (s, v) = app
        .post_as(&d1, "/api/v1/casework/disputes", body.clone())
        .await;
    assert_eq!(s, 422, "a court referral needs its case number: {v}");
    assert!(v["fields"].to_string().contains("案号"), "{v}");
    body["source_ref"] = json!("（2026）皖0402民初1234号");
    let (s, d) = app.post_as(&d1, "/api/v1/casework/disputes", body).await;
    assert_eq!(s, 201, "{d}");
    let id = d["id"].as_str().unwrap().to_string();
    assert_eq!(
        (d["workers"].as_i64(), d["amount_claimed_fen"].as_i64()),
        (Some(12), Some(8_640_050))
    );
    let today = chrono::Local::now().date_naive();
    assert_eq!(
        d["due_on"],
        (today + chrono::Duration::days(15)).to_string()
    );

    // A lawyer is not a mediator; agreement needs a session first.
    let (s, v) = dispute_step(
        &app,
        &d1,
        &id,
        json!({"action": "assign", "advocate_id": lawyer}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let (s, _) = dispute_step(
        &app,
        &d1,
        &id,
        json!({"action": "assign", "advocate_id": mediator}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = dispute_step(
        &app,
        &d1,
        &id,
        json!({"action": "agree", "amount_agreed": "60000"}),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("TRANSITION_REFUSED")),
        "{v}"
    );
    let (_, roster) = app
        .get_as(&d1, "/api/v1/casework/roster?role=mediator")
        .await;
    assert_eq!(roster[0]["open_cases"], 1, "{roster}");
    let (s, v) = dispute_step(
        &app,
        &d1,
        &id,
        json!({"action": "session", "note": "双方到场，初步沟通"}),
    )
    .await;
    assert_eq!((s, v["sessions"].as_i64()), (200, Some(1)), "{v}");
    let (s, v) = dispute_step(
        &app,
        &d1,
        &id,
        json!({"action": "session", "held_on": "2999-01-01", "note": "再次调解"}),
    )
    .await;
    assert_eq!(s, 422, "a session in the future: {v}");
    // Paid more than agreed, a fraction of a fen, a negative amount: refused, nothing written.
    for (agreed, paid) in [("60000", Some("60000.01")), ("600.001", None), ("-5", None)] {
        let (s, v) = dispute_step(
            &app,
            &d1,
            &id,
            json!({"action": "agree", "amount_agreed": agreed, "amount_paid": paid}),
        )
        .await;
        assert_eq!(s, 422, "{agreed} {paid:?}: {v}");
    }
    let (s, v) = dispute_step(
        &app,
        &d1,
        &id,
        json!({"action": "agree", "amount_agreed": "60000", "amount_paid": "20000"}),
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str(), v["amount_recovered_fen"].as_i64()),
        (200, Some("agreed"), Some(2_000_000)),
        "{v}"
    );
    let (s, _) = dispute_step(
        &app,
        &d1,
        &id,
        json!({"action": "confirm", "court_ref": "（2026）皖0402民特12号"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = dispute_step(&app, &d1, &id, json!({"action": "confirm"})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ALREADY_CONFIRMED")),
        "{v}"
    );
    let (s, v) = dispute_step(
        &app,
        &d1,
        &id,
        json!({"action": "pay", "amount_paid": "60000"}),
    )
    .await;
    assert_eq!(
        (s, v["amount_recovered"].as_str()),
        (200, Some("60000.00")),
        "{v}"
    );
    let (_, roster) = app
        .get_as(&d1, "/api/v1/casework/roster?role=mediator")
        .await;
    assert_eq!(
        roster[0]["open_cases"], 0,
        "an agreed case no longer counts: {roster}"
    );

    // The page: workers masked, the history replays to the state.
    let (_, page) = app
        .get_as(&d1, &format!("/api/v1/casework/disputes/{id}"))
        .await;
    assert_eq!(page["workers"].as_array().unwrap().len(), 3);
    assert!(!page.to_string().contains(&idn));
    assert_eq!(
        page["workers"][1]["id_masked"].as_str().map(|s| &s[..6]),
        Some("340402")
    );
    let actions: Vec<gonghui::casework::disputes::Action> = page["history"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|h| gonghui::workflow::Named::parse(h["action"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(actions.len(), 5, "assign, session, agree, confirm, pay");
    let state = gonghui::workflow::replay(
        gonghui::casework::disputes::MEDIATION,
        gonghui::casework::disputes::Status::Registered,
        actions,
    )
    .unwrap();
    assert_eq!(
        gonghui::workflow::Named::code(state),
        page["dispute"]["status"].as_str().unwrap()
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'dispute.%' AND target_id = '{id}'"
        ))
        .await,
        6
    );
}

#[tokio::test]
async fn legal_aid_goes_through_its_stages_and_warns_when_more_is_recovered_than_claimed() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let lawyer = add_advocate(&app, &app.client, "C", "律师", "钱律师").await;
    let (s, d) = app
        .post_as(
            &app.client,
            "/api/v1/casework/disputes",
            json!({"kind": "legal_aid", "org_code": "U1", "source": "当事人申请", "claim": "工伤待遇",
                   "amount_claimed": "30000", "unit_name": "某工厂", "workers": [{"name": "受伤职工"}], "summary": "工伤待遇未付"}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert!(d["due_on"].is_null(), "legal aid has no statutory deadline");
    let id = d["id"].as_str().unwrap().to_string();
    let c = &app.client;
    let (s, v) = dispute_step(&app, c, &id, json!({"action": "session", "note": "x"})).await;
    assert_eq!(s, 409, "no sessions in legal aid: {v}");
    dispute_step(
        &app,
        c,
        &id,
        json!({"action": "assign", "advocate_id": lawyer}),
    )
    .await;
    let (s, v) = dispute_step(&app, c, &id, json!({"action": "conclude", "result": "won"})).await;
    assert_eq!(s, 409, "concluded before any stage: {v}");
    for stage in ["consultation", "arbitration"] {
        let (s, v) = dispute_step(&app, c, &id, json!({"action": "stage", "stage": stage})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some(stage)), "{v}");
    }
    let (s, v) = dispute_step(
        &app,
        c,
        &id,
        json!({"action": "conclude", "result": "won", "amount_recovered": "32000"}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("concluded")), "{v}");
    assert!(
        v["warnings"][0].as_str().unwrap().contains("大于请求金额"),
        "{v}"
    );
    let (_, list) = app
        .get_as(
            c,
            "/api/v1/casework/disputes?kind=legal_aid&status=concluded",
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, open) = app.get_as(c, "/api/v1/casework/disputes").await;
    assert_eq!(
        open.as_array().unwrap().len(),
        0,
        "a finished case leaves the queue"
    );
}

#[tokio::test]
async fn a_dispute_with_bad_input_names_every_problem_and_writes_nothing() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (s, v) = app
        .post_as(
            &app.client,
            "/api/v1/casework/disputes",
            json!({"kind": "调解", "org_code": "NOPE", "source": "direct", "claim": "wages",
                   "amount_claimed": "12.345", "workers": [{"name": "甲"}, {"name": "乙", "mobile": "12345"}],
                   "workers_involved": 1, "summary": "", "received_on": "2999-01-01"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let fields = v["fields"].to_string();
    for f in [
        "案件类型",
        "承办工会",
        "请求金额",
        "第2名劳动者手机号",
        "涉及人数",
        "案情摘要",
        "收案日期",
        "用人单位",
    ] {
        assert!(fields.contains(f), "{f} missing in {fields}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM disputes").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM dispute_workers").await, 0);
}
