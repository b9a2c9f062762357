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

#[tokio::test]
async fn a_mediator_taken_off_the_roster_keeps_their_cases_and_gets_no_new_one() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    app.add_account("d2cadre", "cadre", Some("D2"), None).await;
    let d1 = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    let d2 = app.signed_in("d2cadre", TESTER_PASSWORD).await;
    let mediator = add_advocate(&app, &d1, "D1", "mediator", "孔调解").await;
    let case = |summary: &str| {
        json!({"kind": "mediation", "org_code": "U1", "source": "direct", "claim": "wages",
               "unit_name": "某餐馆", "workers": [{"name": "争议职工"}], "summary": summary})
    };
    let (_, held) = app
        .post_as(&d1, "/api/v1/casework/disputes", case("欠薪一"))
        .await;
    let held = held["id"].as_str().unwrap().to_string();
    let (s, v) = dispute_step(
        &app,
        &d1,
        &held,
        json!({"action": "assign", "advocate_id": mediator}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let status = format!("/api/v1/casework/roster/{mediator}/status");
    // Another district cannot touch D1's people; taking someone off needs the reason.
    let (s, _) = app
        .post_as(&d2, &status, json!({"active": false, "reason": "调离"}))
        .await;
    assert_eq!(s, 404);
    let (s, v) = app.post_as(&d1, &status, json!({"active": false})).await;
    assert_eq!(s, 422, "{v}");
    assert!(v["message"].as_str().unwrap().contains("停用原因"), "{v}");
    let (s, v) = app
        .post_as(&d1, &status, json!({"active": false, "reason": "调离本区"}))
        .await;
    assert_eq!((s, v["active"].as_i64()), (200, Some(0)), "{v}");
    let (s, v) = app
        .post_as(&d1, &status, json!({"active": false, "reason": "再停一次"}))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("ROSTER_UNCHANGED")));
    // The case they hold stays theirs; a new one cannot be given to them.
    let (_, d) = app
        .get_as(&d1, &format!("/api/v1/casework/disputes/{held}"))
        .await;
    assert_eq!(d["dispute"]["advocate_name"], "孔调解");
    let (_, fresh) = app
        .post_as(&d1, "/api/v1/casework/disputes", case("欠薪二"))
        .await;
    let fresh = fresh["id"].as_str().unwrap().to_string();
    let (s, v) = dispute_step(
        &app,
        &d1,
        &fresh,
        json!({"action": "assign", "advocate_id": mediator}),
    )
    .await;
    assert!(
        s == 404 || s == 422,
        "a stopped mediator is not assignable: {s} {v}"
    );
    // Put back, they can be assigned again; both changes are in the audit trail.
    let (s, _) = app.post_as(&d1, &status, json!({"active": true})).await;
    assert_eq!(s, 200);
    let (s, v) = dispute_step(
        &app,
        &d1,
        &fresh,
        json!({"action": "assign", "advocate_id": mediator}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('advocate.deactivate', 'advocate.activate')")
            .await,
        2
    );
}

// ---------- figures against a brute-force recount ----------

fn date(s: &str) -> chrono::NaiveDate {
    gonghui::types::parse_date(s).unwrap()
}

/// Cases in every state over two years and a month, made through the library's own steps
/// with the dates each step happened on.
async fn generated_cases(app: &TestApp) {
    use gonghui::casework::{disputes, petitions, roster};
    let root = gonghui::audit::Actor::system(&app.reg.keys, "test");
    let (db, keys) = (&app.reg.db, &app.reg.keys);
    let rules = petitions::Deadlines::from_config(&app.config);
    let mut rng = Lcg(7);
    let start = date("2024-11-01");
    let mut earlier: Vec<i64> = Vec::new();
    for i in 0..90 {
        let received = start + chrono::Duration::days(rng.below(760) as i64);
        let org = ["C", "D1", "U1", "D2"][rng.below(4) as usize];
        let repeat_of = (!earlier.is_empty() && rng.below(6) == 0)
            .then(|| earlier[rng.below(earlier.len() as u64) as usize].to_string());
        let input = petitions::IntakeInput {
            org_code: Some(org.into()),
            channel: Some(["visit", "letter", "hotline", "online"][rng.below(4) as usize].into()),
            kind: Some(
                ["consult", "request", "suggestion", "complaint"][rng.below(4) as usize].into(),
            ),
            category: Some(
                ["wages", "contract", "injury", "hours", "other"][rng.below(5) as usize].into(),
            ),
            requester_name: Some(format!("职工{}", ["甲", "乙", "丙", "丁"][i % 4])),
            summary: Some(format!("诉求{i}")),
            received_on: Some(received.to_string()),
            repeat_of,
            ..Default::default()
        };
        let p = petitions::intake(db, keys, &root, &input, None, rules, received, 1)
            .await
            .unwrap();
        let id: i64 = p.id;
        earlier.push(id);
        let mut day = received;
        let mut go = |step: petitions::StepInput, after: u64, rng: &mut Lcg| {
            day += chrono::Duration::days(rng.below(after) as i64);
            (step, day)
        };
        let mut plan = Vec::new();
        match rng.below(5) {
            0 => {}
            1 => plan.push(go(
                petitions::StepInput::Refuse {
                    version: None,
                    reason: "不属于受理范围".into(),
                },
                20,
                &mut rng,
            )),
            _ => {
                plan.push(go(
                    petitions::StepInput::Accept { version: None },
                    20,
                    &mut rng,
                ));
                if rng.below(4) > 0 {
                    plan.push(go(
                        petitions::StepInput::Reply {
                            version: None,
                            text: "已答复".into(),
                            method: "电话".into(),
                        },
                        75,
                        &mut rng,
                    ));
                    let s = [
                        petitions::Satisfaction::Satisfied,
                        petitions::Satisfaction::Partly,
                        petitions::Satisfaction::Unsatisfied,
                    ];
                    if rng.below(3) > 0 {
                        plan.push(go(
                            petitions::StepInput::CallBack {
                                version: None,
                                satisfaction: s[rng.below(3) as usize],
                                note: None,
                            },
                            5,
                            &mut rng,
                        ));
                    }
                }
            }
        }
        for (step, on) in plan {
            petitions::step(db, &root, id, &step, rules, on, 2)
                .await
                .unwrap();
        }
    }
    let add = |role: &str, name: &str| roster::AdvocateInput {
        org_code: Some("C".into()),
        role: Some(role.into()),
        name: Some(name.into()),
        organisation: Some("市总工会".into()),
        mobile: None,
    };
    let mediator = roster::add(db, keys, &root, &add("mediator", "孙调解"), 1)
        .await
        .unwrap()
        .id;
    let lawyer = roster::add(db, keys, &root, &add("lawyer", "周律师"), 1)
        .await
        .unwrap()
        .id;
    for i in 0..50 {
        let received = start + chrono::Duration::days(rng.below(760) as i64);
        let legal = rng.below(3) == 0;
        let input = disputes::DisputeInput {
            kind: Some(if legal { "legal_aid" } else { "mediation" }.into()),
            org_code: Some(["C", "D1", "U1", "D2"][rng.below(4) as usize].into()),
            source: Some(["court", "arbitration", "union", "direct"][rng.below(4) as usize].into()),
            source_ref: Some(format!("（2025）民初{i}号")),
            claim: Some(["wages", "compensation", "injury"][rng.below(3) as usize].into()),
            amount_claimed: Some(format!("{}.{:02}", rng.below(90_000), rng.below(100))),
            unit_name: Some("某公司".into()),
            workers: vec![gonghui::people::PersonInput {
                name: Some("争议职工".into()),
                ..Default::default()
            }],
            workers_involved: Some(1 + rng.below(20) as u32),
            summary: Some(format!("争议{i}")),
            received_on: Some(received.to_string()),
            ..Default::default()
        };
        let d = disputes::register(db, keys, &root, &input, 15, received, 1)
            .await
            .unwrap();
        let on = received + chrono::Duration::days(rng.below(10) as i64);
        let mut steps: Vec<disputes::DisputeStep> = Vec::new();
        if rng.below(6) == 0 {
            continue;
        }
        steps.push(disputes::DisputeStep::Assign {
            version: None,
            advocate_id: if legal { lawyer } else { mediator }.to_string(),
        });
        if legal {
            steps.push(disputes::DisputeStep::Stage {
                version: None,
                stage: disputes::AidStage::Arbitration,
                note: None,
            });
            if rng.below(3) > 0 {
                let recovered = format!("{}.{:02}", rng.below(50_000), rng.below(100));
                steps.push(disputes::DisputeStep::Conclude {
                    version: None,
                    result: disputes::AidResult::Won,
                    amount_recovered: Some(recovered),
                    note: None,
                });
            }
        } else {
            steps.push(disputes::DisputeStep::Session {
                version: None,
                held_on: Some(on.to_string()),
                note: "调解".into(),
            });
            match rng.below(4) {
                0 => {
                    steps.push(disputes::DisputeStep::Fail {
                        version: None,
                        referred_to: disputes::Referral::Court,
                        note: None,
                    });
                }
                1 => {
                    steps.push(disputes::DisputeStep::Withdraw {
                        version: None,
                        reason: "撤回".into(),
                    });
                }
                2 => {}
                _ => {
                    let agreed = rng.below(40_000) * 100 + rng.below(100);
                    let paid = agreed - rng.below(agreed / 2 + 1);
                    steps.push(disputes::DisputeStep::Agree {
                        version: None,
                        amount_agreed: format!("{}", gonghui::types::Fen(agreed as i64)),
                        amount_paid: Some(format!("{}", gonghui::types::Fen(paid as i64))),
                        note: None,
                    });
                    if rng.below(2) == 0 {
                        steps.push(disputes::DisputeStep::Confirm {
                            version: None,
                            confirmed_on: Some(on.to_string()),
                            court_ref: None,
                        });
                    }
                }
            }
        }
        for step in &steps {
            disputes::take_step(db, &root, d.id, step, on, 2)
                .await
                .unwrap();
        }
    }
}

/// Petition rows as the recount reads them.
#[derive(sqlx::FromRow)]
struct P {
    received_path: String,
    received_on: String,
    channel: String,
    repeat_of: Option<i64>,
    accept_due: String,
    accepted_on: Option<String>,
    reply_due: Option<String>,
    replied_on: Option<String>,
    satisfaction: Option<String>,
    status: String,
}

#[derive(sqlx::FromRow)]
struct D {
    kind: String,
    org_path: String,
    received_on: String,
    source: String,
    status: String,
    workers: i64,
    amount_agreed: Option<i64>,
    amount_recovered: Option<i64>,
    confirmed_on: Option<String>,
}

fn rate(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| ((num as f64 * 10000.0 / den as f64).round()) / 100.0)
}

async fn check_figures(app: &TestApp, org: &str, from: &str, to: &str) {
    let path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE code = $1")
        .bind(org)
        .fetch_one(app.reg.db.pool())
        .await
        .unwrap();
    let ps: Vec<P> = sqlx::query_as("SELECT received_path, received_on, channel, repeat_of, accept_due, accepted_on, reply_due, replied_on, satisfaction, status FROM petitions")
        .fetch_all(app.reg.db.pool())
        .await
        .unwrap();
    let ds: Vec<D> = sqlx::query_as("SELECT kind, org_path, received_on, source, status, workers, amount_agreed, amount_recovered, confirmed_on FROM disputes")
        .fetch_all(app.reg.db.pool())
        .await
        .unwrap();
    let within =
        |p: &str, on: &str, from: &str, to: &str| p.starts_with(&path) && on >= from && on <= to;
    let year_back = |d: &str| {
        use chrono::Months;
        date(d)
            .checked_sub_months(Months::new(12))
            .unwrap()
            .to_string()
    };
    let (pfrom, pto) = (year_back(from), year_back(to));
    let p_in: Vec<&P> = ps
        .iter()
        .filter(|p| within(&p.received_path, &p.received_on, from, to))
        .collect();
    let p_before = ps
        .iter()
        .filter(|p| within(&p.received_path, &p.received_on, &pfrom, &pto))
        .count();
    let items: Vec<&&P> = p_in.iter().filter(|p| p.repeat_of.is_none()).collect();
    let accepted: Vec<_> = items.iter().filter(|p| p.accepted_on.is_some()).collect();
    let accepted_in_time = accepted
        .iter()
        .filter(|p| p.accepted_on.as_deref().unwrap() <= p.accept_due.as_str())
        .count();
    let replied: Vec<_> = items.iter().filter(|p| p.replied_on.is_some()).collect();
    let replied_in_time = replied
        .iter()
        .filter(|p| p.replied_on.as_deref().unwrap() <= p.reply_due.as_deref().unwrap())
        .count();
    let reply_days: i64 = replied
        .iter()
        .map(|p| (date(p.replied_on.as_deref().unwrap()) - date(&p.received_on)).num_days())
        .sum();
    let closed = items.iter().filter(|p| p.status == "closed").count();
    let called = items.iter().filter(|p| p.satisfaction.is_some()).count();
    let satisfied = items
        .iter()
        .filter(|p| matches!(p.satisfaction.as_deref(), Some("satisfied" | "partly")))
        .count();
    let hotline = p_in.iter().filter(|p| p.channel == "hotline").count();

    let d_in: Vec<&D> = ds
        .iter()
        .filter(|d| within(&d.org_path, &d.received_on, from, to))
        .collect();
    let med: Vec<&&D> = d_in.iter().filter(|d| d.kind == "mediation").collect();
    let agreed: Vec<_> = med.iter().filter(|d| d.status == "agreed").collect();
    let finished = med
        .iter()
        .filter(|d| matches!(d.status.as_str(), "agreed" | "not_agreed"))
        .count();
    let aid: Vec<&&D> = d_in.iter().filter(|d| d.kind == "legal_aid").collect();
    let med_before = ds
        .iter()
        .filter(|d| d.kind == "mediation" && within(&d.org_path, &d.received_on, &pfrom, &pto))
        .count();

    let (s, v) = app
        .get(&format!("/api/v1/figures?org={org}&from={from}&to={to}"))
        .await;
    assert_eq!(s, 200, "{v}");
    let fig = |key: &str| -> Value {
        v["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap_or_else(|| panic!("{key} missing"))
            .clone()
    };
    let num = |key: &str| fig(key)["value"].as_f64();
    let n = |x: usize| Some(x as f64);
    let yuan = |fen: i64| Some(fen as f64 / 100.0);
    let what = format!("{org} {from}..{to}");
    assert_eq!(num("petitions.visits"), n(p_in.len()), "{what}");
    assert_eq!(num("petitions.items"), n(items.len()), "{what}");
    assert!(items.len() < p_in.len() || p_in.is_empty() || items.len() == p_in.len());
    assert_eq!(
        fig("petitions.visits")["previous"].as_f64(),
        n(p_before),
        "{what}"
    );
    assert_eq!(
        fig("petitions.visits")["change_percent"]
            .as_str()
            .map(str::to_string),
        gonghui::figures::change_percent(p_in.len() as i64, p_before as i64),
        "{what}"
    );
    let parts = fig("petitions.visits")["parts"].clone();
    let hot = parts
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["dimension"] == "来源渠道" && p["code"] == "hotline")
        .map_or(0, |p| p["value"].as_i64().unwrap());
    assert_eq!(hot as usize, hotline, "{what}");
    assert_eq!(
        num("petitions.accepted_in_time_rate"),
        rate(accepted_in_time, accepted.len()),
        "{what}"
    );
    assert_eq!(
        num("petitions.replied_in_time_rate"),
        rate(replied_in_time, replied.len()),
        "{what}"
    );
    assert_eq!(
        num("petitions.closed_rate"),
        rate(closed, items.len()),
        "{what}"
    );
    assert_eq!(
        num("petitions.satisfaction_rate"),
        rate(satisfied, called),
        "{what}"
    );
    let avg = (!replied.is_empty())
        .then(|| ((reply_days as f64 * 100.0 / replied.len() as f64).round()) / 100.0);
    assert_eq!(num("petitions.average_reply_days"), avg, "{what}");
    assert_eq!(num("mediation.cases"), n(med.len()), "{what}");
    assert_eq!(
        fig("mediation.cases")["previous"].as_f64(),
        n(med_before),
        "{what}"
    );
    assert_eq!(
        num("mediation.court_referred"),
        n(med.iter().filter(|d| d.source == "court").count()),
        "{what}"
    );
    assert_eq!(num("mediation.agreed"), n(agreed.len()), "{what}");
    assert_eq!(
        num("mediation.success_rate"),
        rate(agreed.len(), finished),
        "{what}"
    );
    assert_eq!(
        num("mediation.confirmed"),
        n(med.iter().filter(|d| d.confirmed_on.is_some()).count()),
        "{what}"
    );
    assert_eq!(
        num("mediation.amount_agreed"),
        yuan(agreed.iter().map(|d| d.amount_agreed.unwrap_or(0)).sum()),
        "{what}"
    );
    assert_eq!(
        num("mediation.amount_recovered"),
        yuan(agreed.iter().map(|d| d.amount_recovered.unwrap_or(0)).sum()),
        "{what}"
    );
    assert_eq!(
        num("mediation.workers"),
        n(med.iter().map(|d| d.workers as usize).sum()),
        "{what}"
    );
    assert_eq!(num("legal_aid.cases"), n(aid.len()), "{what}");
    assert_eq!(
        num("legal_aid.amount_recovered"),
        yuan(
            aid.iter()
                .filter(|d| d.status == "concluded")
                .map(|d| d.amount_recovered.unwrap_or(0))
                .sum()
        ),
        "{what}"
    );
    // Each drill lists exactly what its figure counts.
    for key in [
        "petitions.visits",
        "petitions.items",
        "mediation.agreed",
        "legal_aid.cases",
    ] {
        let (s, list) = app
            .get(&format!(
                "/api/v1/figures/{key}/cases?org={org}&from={from}&to={to}&per_page=500"
            ))
            .await;
        assert_eq!(s, 200, "{list}");
        assert_eq!(list["total"].as_f64(), num(key), "{what} {key}");
        assert_eq!(
            list["rows"].as_array().unwrap().len() as f64,
            num(key).unwrap(),
            "{what} {key}"
        );
    }
    let f = fig("petitions.replied_in_time_rate");
    for (side, field) in [("numerator", "numerator"), ("denominator", "denominator")] {
        let (_, list) = app.get(&format!("/api/v1/figures/petitions.replied_in_time_rate/cases?org={org}&from={from}&to={to}&side={side}")).await;
        assert_eq!(list["total"], f[field], "{what} {side}");
    }
    let (_, list) = app.get(&format!("/api/v1/figures/mediation.amount_recovered/cases?org={org}&from={from}&to={to}&per_page=500")).await;
    let summed: i64 = list["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(yuan(summed), num("mediation.amount_recovered"), "{what}");
    // The exports hold the same cases: every one, not a page, with the amounts that add up.
    let sheet = export_rows(
        app,
        &format!(
            "/api/v1/figures/mediation.amount_recovered/cases/export?org={org}&from={from}&to={to}"
        ),
    )
    .await;
    assert_eq!(
        sheet.len(),
        list["rows"].as_array().unwrap().len(),
        "{what}"
    );
    let exported: i64 = sheet
        .iter()
        .map(|r| gonghui::types::Fen::parse(&r[6]).unwrap().0)
        .sum();
    assert_eq!(exported, summed, "{what}");
    let sheet = export_rows(app, &format!("/api/v1/figures/petitions.replied_in_time_rate/cases/export?format=csv&side=denominator&org={org}&from={from}&to={to}")).await;
    assert_eq!(
        Some(sheet.len() as i64),
        f["denominator"].as_i64(),
        "{what}"
    );
}

/// The rows (header left out) of an exported XLSX or CSV.
async fn export_rows(app: &TestApp, path: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let r = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    let csv = r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv");
    let bytes = r.bytes().await.unwrap().to_vec();
    let rows: Vec<Vec<String>> = if csv {
        let text = String::from_utf8(bytes).unwrap();
        let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel");
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    } else {
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        range
            .rows()
            .skip(1)
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    rows
}

#[tokio::test]
async fn every_casework_figure_equals_a_brute_force_recount() {
    let app = spawn_app().await;
    app.seed_tree().await;
    generated_cases(&app).await;
    assert_eq!(
        every_history_replays(&app).await,
        140,
        "90 petitions and 50 disputes"
    );
    let total: i64 = app
        .scalar("SELECT COUNT(*) FROM petitions WHERE repeat_of IS NOT NULL")
        .await;
    assert!(total > 3, "the generated set has repeats ({total})");
    for (org, from, to) in [
        ("C", "2026-01-01", "2026-11-30"),
        ("C", "2025-12-01", "2026-01-31"),
        ("D1", "2025-01-01", "2025-12-31"),
        ("U1", "2026-03-01", "2026-09-30"),
    ] {
        check_figures(&app, org, from, to).await;
    }
    // The registers hold every case handled in the subtree and received in the period, in the
    // history import's columns, personal numbers masked.
    for (org, from, to) in [
        ("C", "2025-01-01", "2026-12-31"),
        ("D1", "2025-01-01", "2025-12-31"),
    ] {
        let within = format!(
            "org_path LIKE (SELECT path FROM orgs WHERE code = '{org}') || '%' \
             AND received_on >= '{from}' AND received_on <= '{to}'"
        );
        let query = format!("org={org}&from={from}&to={to}");
        let rows = export_rows(&app, &format!("/api/v1/casework/petitions/export?{query}")).await;
        let counted = app
            .scalar(&format!("SELECT COUNT(*) FROM petitions WHERE {within}"))
            .await;
        assert_eq!(rows.len() as i64, counted, "{org} {from} {to}");
        assert!(
            rows.iter()
                .all(|r| r[2].as_str() >= from && r[2].as_str() <= to)
        );
        // Read in batches, each case once, in the order of receipt.
        let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r[18].as_str()).collect();
        assert_eq!(ids.len(), rows.len(), "no case twice");
        assert!(
            rows.windows(2).all(|w| w[0][2] <= w[1][2]),
            "in the order of receipt"
        );
        let rows = export_rows(
            &app,
            &format!("/api/v1/casework/disputes/export?format=csv&{query}"),
        )
        .await;
        let counted = app
            .scalar(&format!("SELECT COUNT(*) FROM disputes WHERE {within}"))
            .await;
        assert_eq!(rows.len() as i64, counted, "{org} {from} {to}");
    }
    let r =
        app.client
            .get(app.url(
                "/api/v1/casework/disputes/export?format=csv&org=C&from=2025-01-01&to=2026-12-31",
            ))
            .send()
            .await
            .unwrap();
    let text = r.text().await.unwrap();
    let head = text.lines().next().unwrap();
    assert!(
        head.starts_with(
            "\u{feff}编号,承办工会代码,案件类型,案件来源,法院或仲裁案号,请求事项,请求金额,用人单位,劳动者,"
        ),
        "{head}"
    );
    // Every column of the import is filled where the case has it: the unit, the workers.
    let first = text.lines().nth(1).unwrap();
    let cells: Vec<&str> = first.split(',').collect();
    assert!(!cells[7].is_empty() && !cells[8].is_empty(), "{first}");
    assert!(
        personal_data_in(&text).is_none(),
        "ID numbers and mobiles masked"
    );
    let exported: i64 = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('export.petitions', 'export.disputes')")
        .await;
    assert_eq!(exported, 5, "every register export is in the audit trail");
    // A street moved to the other district: its cases now count there, totals and rows alike.
    let (s, v) = app
        .post("/api/v1/orgs/S1/move", json!({"parent_code": "D2"}))
        .await;
    assert_eq!(s, 200, "{v}");
    for (org, from, to) in [
        ("D2", "2025-01-01", "2026-11-30"),
        ("D1", "2025-01-01", "2026-11-30"),
        ("C", "2025-06-01", "2026-05-31"),
    ] {
        check_figures(&app, org, from, to).await;
    }
    for code in ["C", "D1", "D2"] {
        let org = gonghui::registry::orgs::get_by_code(
            &app.reg.db,
            &gonghui::registry::scope::Scope::all(),
            code,
        )
        .await
        .unwrap();
        let period = gonghui::registry::stats::Period {
            from: date("2024-11-01"),
            to: date("2026-11-30"),
        };
        assert_eq!(
            gonghui::casework::figures::reconcile(&app.reg.db, &org, &period)
                .await
                .unwrap(),
            None,
            "{code}"
        );
    }
    // The generated set exercises every branch the figures distinguish.
    let (_, v) = app
        .get("/api/v1/figures?org=C&from=2025-01-01&to=2026-11-30")
        .await;
    let get = |key: &str| {
        v["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()
            .clone()
    };
    assert!(
        get("petitions.visits")["value"].as_f64().unwrap()
            > get("petitions.items")["value"].as_f64().unwrap()
    );
    for rate in [
        "petitions.accepted_in_time_rate",
        "petitions.replied_in_time_rate",
        "petitions.satisfaction_rate",
        "mediation.success_rate",
    ] {
        let f = get(rate);
        let (n, d) = (
            f["numerator"].as_i64().unwrap(),
            f["denominator"].as_i64().unwrap(),
        );
        assert!(0 < n && n < d, "{rate}: {n}/{d} should be strictly between");
    }
    for key in [
        "mediation.amount_recovered",
        "legal_aid.amount_recovered",
        "mediation.confirmed",
    ] {
        assert!(get(key)["value"].as_f64().unwrap() > 0.0, "{key}");
    }
    assert!(
        get("mediation.amount_recovered")["display"]
            .as_str()
            .unwrap()
            .ends_with("万元")
    );
    // The catalogue lists the registry's figures too, each with a label, unit and definition.
    let (_, v) = app.get("/api/v1/figures?org=C").await;
    let all = v["figures"].as_array().unwrap();
    assert!(all.iter().any(|f| f["key"] == "registry.members_at_end"));
    let rate = all
        .iter()
        .find(|f| f["key"] == "registry.establishment_rate")
        .unwrap();
    assert!(
        rate["denominator"].as_i64().unwrap() >= rate["numerator"].as_i64().unwrap(),
        "{rate}"
    );
    assert!(
        all.iter()
            .all(|f| f.get("previous").is_some() && f.get("change_percent").is_some())
    );
    for f in all {
        assert!(
            !f["label"].as_str().unwrap().is_empty()
                && !f["definition"].as_str().unwrap().is_empty(),
            "{f}"
        );
        assert!(f["drill"].as_str().is_some(), "{f}");
    }
    for key in gonghui::casework::figures::keys() {
        assert!(all.iter().any(|f| f["key"] == key), "{key} listed");
    }
    let (s, _) = app.get("/api/v1/figures/nonsense/cases").await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn a_case_past_its_deadline_is_escalated_once_to_the_union_above_and_waits_in_the_inbox() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("u1cadre", "cadre", Some("U1"), None).await;
    let u1 = app.signed_in("u1cadre", TESTER_PASSWORD).await;
    let today = chrono::Local::now().date_naive();
    let old = (today - chrono::Duration::days(20)).to_string();
    let mut body = petition("U1", "吴超期");
    body["received_on"] = json!(old);
    let p = intake(&app, &u1, body).await;
    let id = p["id"].as_str().unwrap().to_string();
    let fresh = intake(&app, &u1, petition("U1", "郑按期")).await;
    let (s, d) = app
        .post_as(
            &u1,
            "/api/v1/casework/disputes",
            json!({"kind": "mediation", "source": "direct", "claim": "wages", "unit_name": "某店",
                   "workers": [{"name": "店员"}], "summary": "欠薪", "received_on": old}),
        )
        .await;
    assert_eq!(s, 201, "{d}");

    let system = gonghui::audit::Actor::system(&app.reg.keys, "超期督办");
    let run = || gonghui::casework::escalation::run(&app.reg.db, &system, today, 1);
    assert_eq!(
        run().await.unwrap(),
        2,
        "the late petition and the late mediation"
    );
    assert_eq!(run().await.unwrap(), 0, "each deadline is escalated once");
    let (_, v) = app
        .get_as(&u1, &format!("/api/v1/casework/petitions/{id}"))
        .await;
    assert_eq!(v["petition"]["escalated_to"], "一街道工会联合会", "{v}");
    assert_eq!(v["petition"]["escalated_due"], p["accept_due"]);
    assert!(
        v["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["action"] == "escalate")
    );
    let (_, fresh_v) = app
        .get_as(
            &u1,
            &format!(
                "/api/v1/casework/petitions/{}",
                fresh["id"].as_str().unwrap()
            ),
        )
        .await;
    assert!(fresh_v["petition"]["escalated_to"].is_null());
    let (_, dv) = app
        .get_as(
            &u1,
            &format!("/api/v1/casework/disputes/{}", d["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(dv["dispute"]["escalated_to"], "一街道工会联合会", "{dv}");
    let (_, listed) = app
        .get_as(&u1, "/api/v1/casework/petitions?escalated=true")
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

    // Taken by the officer who acts first; the inbox counts what waits.
    step(&app, &u1, &id, json!({"action": "accept"})).await;
    let (_, mine) = app
        .get_as(&u1, "/api/v1/casework/petitions?mine=true")
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["taken_by_me"], true);
    let (_, theirs) = app
        .get_as(&app.client, "/api/v1/casework/petitions?mine=true")
        .await;
    assert!(theirs.as_array().unwrap().is_empty(), "{theirs}");
    assert_eq!(
        run().await.unwrap(),
        0,
        "accepted late: a new deadline, not passed"
    );
    let (s, html) = page(&u1, &app, "/dashboard").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("1 件诉求等待受理"),
        "the fresh one waits to be accepted"
    );
    assert!(html.contains("1 件调解案件已超过调解期限"));
    assert!(html.contains("1 件诉求由我经办"));
    assert!(html.contains("职工维权") && html.contains("及时受理率"));
}

/// Posts a console form with the session's CSRF token; redirects are followed.
async fn post_page(
    c: &reqwest::Client,
    app: &TestApp,
    csrf: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let mut f = vec![("_csrf", csrf)];
    f.extend_from_slice(form);
    let r = c.post(app.url(path)).form(&f).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn console_intake_dispatch_and_reply_keep_what_was_typed_and_show_the_timeline() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    let d1 = browser(&app, "d1cadre", TESTER_PASSWORD).await;
    let (s, html) = page(&d1, &app, "/casework/new").await;
    assert_eq!(s, 200, "{html}");
    let csrf = csrf_in(&html);
    // Missing matter and a bad mobile: the form comes back with what was typed.
    let (s, html) = post_page(
        &d1,
        &app,
        &csrf,
        "/casework/new",
        &[
            ("channel", "visit"),
            ("kind", "request"),
            ("requester_name", "冯来访"),
            ("requester_mobile", "12"),
            ("summary", "讨薪"),
        ],
    )
    .await;
    assert_eq!(s, 422, "{html}");
    assert!(
        html.contains("请选择诉求事项") && html.contains("冯来访") && html.contains("讨薪"),
        "{html}"
    );
    let (s, html) = post_page(
        &d1,
        &app,
        &csrf,
        "/casework/new",
        &[
            ("org_code", "D1"),
            ("channel", "visit"),
            ("kind", "request"),
            ("category", "wages"),
            ("requester_name", "冯来访"),
            ("summary", "讨薪"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("已登记"), "the case page with its notice");
    let id: i64 = app.scalar("SELECT MAX(id) FROM petitions").await;
    for form in [
        vec![("action", "accept")],
        vec![("action", "dispatch"), ("to_org", "U1")],
    ] {
        let (s, html) = post_page(&d1, &app, &csrf, &format!("/casework/{id}/step"), &form).await;
        assert_eq!(s, 200, "{form:?}: {html}");
    }
    // Replying twice is refused in words, on the case page.
    let reply = [
        ("action", "reply"),
        ("text", "已协调发放"),
        ("method", "电话"),
    ];
    let (s, _) = post_page(&d1, &app, &csrf, &format!("/casework/{id}/step"), &reply).await;
    assert_eq!(s, 200);
    let (s, html) = post_page(&d1, &app, &csrf, &format!("/casework/{id}/step"), &reply).await;
    assert_eq!(s, 422);
    assert!(html.contains("不能“答复”"), "{html}");
    let (_, html) = page(&d1, &app, &format!("/casework/{id}")).await;
    for text in [
        "办理经过",
        "受理",
        "交办给：U1",
        "答复方式：电话",
        "记录回访",
        "甲公司工会",
    ] {
        assert!(html.contains(text), "{text} on the case page");
    }
    let (_, html) = page(&d1, &app, "/casework?status=replied").await;
    assert!(html.contains("冯来访"));
    // The union's page shows its subtree's casework this year, each figure a link to its cases.
    let (_, html) = page(&d1, &app, "/orgs/D1").await;
    assert!(html.contains("职工维权"), "{html}");
    assert!(
        html.contains("/casework/figures/petitions.items?org=D1&#38;from="),
        "{html}"
    );
}

/// Replays every case's recorded actions through its table from the first state.
async fn every_history_replays(app: &TestApp) -> usize {
    use gonghui::casework::{disputes, petitions};
    use gonghui::workflow::{Named, replay};
    let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT e.case_type, e.case_id, e.action, COALESCE(p.status, d.status) FROM case_events e \
         LEFT JOIN petitions p ON e.case_type = 'petition' AND p.id = e.case_id \
         LEFT JOIN disputes d ON e.case_type = 'dispute' AND d.id = e.case_id ORDER BY e.case_type, e.case_id, e.at, e.id",
    )
    .fetch_all(app.reg.db.pool())
    .await
    .unwrap();
    let mut cases: std::collections::BTreeMap<(String, i64), (Vec<String>, String)> =
        Default::default();
    for (t, id, action, status) in rows {
        cases
            .entry((t, id))
            .or_insert_with(|| (Vec::new(), status))
            .0
            .push(action);
    }
    let kinds: std::collections::HashMap<i64, String> =
        sqlx::query_as::<_, (i64, String)>("SELECT id, kind FROM disputes")
            .fetch_all(app.reg.db.pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
    for ((t, id), (actions, status)) in &cases {
        let steps = actions
            .iter()
            .filter(|a| !matches!(a.as_str(), "intake" | "register" | "escalate"));
        let end = if t == "petition" {
            replay(
                petitions::TABLE,
                petitions::Status::Received,
                steps.map(|a| petitions::Action::parse(a).unwrap()),
            )
            .map(|s| s.code())
        } else {
            let kind = disputes::Kind::parse(&kinds[id]).unwrap();
            replay(
                kind.table(),
                disputes::Status::Registered,
                steps.map(|a| disputes::Action::parse(a).unwrap()),
            )
            .map(|s| s.code())
        };
        assert_eq!(end, Ok(status.as_str()), "{t} {id}: {actions:?}");
    }
    cases.len()
}

#[tokio::test]
async fn the_demo_city_has_two_years_of_cases_whose_histories_replay_and_figures_compare() {
    let app = spawn_app().await;
    gonghui::registry::demo::seed(&app.reg, 1500, 7, None)
        .await
        .unwrap();
    let today = chrono::Local::now().date_naive();
    let r = gonghui::casework::demo::seed(&app.reg.db, 300, 100, 7, today)
        .await
        .unwrap();
    assert_eq!((r.petitions, r.disputes), (300, 100));
    assert_eq!(every_history_replays(&app).await, 400);
    let last_year = today - chrono::Duration::days(365);
    let (_, v) = app
        .get(&format!(
            "/api/v1/figures?org=HS&from={last_year}&to={today}"
        ))
        .await;
    let fig = |key: &str| {
        v["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()
            .clone()
    };
    assert!(fig("petitions.visits")["value"].as_f64().unwrap() > 100.0);
    assert!(
        fig("petitions.visits")["change_percent"].is_string(),
        "同比 from the first day"
    );
    let rate = fig("petitions.accepted_in_time_rate")["value"]
        .as_f64()
        .unwrap();
    assert!((90.0..100.0).contains(&rate), "mostly on time: {rate}");
    let success = fig("mediation.success_rate")["value"].as_f64().unwrap();
    assert!((50.0..90.0).contains(&success), "{success}");
    // The generated ones pass through the same steps as typed ones.
    let (_, queue) = app.get("/api/v1/casework/petitions?per_page=5").await;
    let id = queue[0]["id"].as_str().unwrap();
    let (_, page) = app.get(&format!("/api/v1/casework/petitions/{id}")).await;
    assert!(!page["history"].as_array().unwrap().is_empty());
    // The recent letters and calls carry their papers, sealed, read back like any upload.
    let papers = gonghui::casework::demo::attach_papers(&app.reg.db, &app.reg.keys, 40)
        .await
        .unwrap();
    assert_eq!(papers, 40);
    let (owner, file): (i64, i64) = sqlx::query_as(
        "SELECT owner_id, id FROM attachments ORDER BY uploaded_at DESC, id LIMIT 1",
    )
    .fetch_one(app.reg.db.pool())
    .await
    .unwrap();
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/casework/petitions/{owner}/attachments/{file}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("演示数据") && text.contains("内容："),
        "{text}"
    );
}

#[tokio::test]
async fn earlier_petitions_come_in_from_a_spreadsheet_all_or_nothing_and_once() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let header = "编号,受理工会,收到日期,渠道,诉求类型,诉求事项,姓名,身份证号,手机号,单位,诉求内容,受理日期,不予受理理由,答复日期,答复内容,答复方式,回访结果,办结日期\n";
    let idn = id_number("340402", "19850301", 17);
    let good = format!(
        "2025-001,D1,2025-03-02,12351电话,求决,拖欠工资,许诉求,{idn},13700005555,某公司,欠薪,2025-03-05,,2025-04-01,已协调,电话,满意,2025-04-03\n\
         2025-002,D1,2025-06-10,来访,咨询,劳动合同,何咨询,,,,合同问题,2025-06-10,,2025-06-12,已解答,面谈,基本满意,2025-06-13\n\
         2025-003,U1,2025-07-01,来信,投诉/举报,社会保险,吕投诉,,,,未缴社保,,不属于受理范围,,,,,\n\
         2025-004,D1,2025-12-20,网上,求决,工伤,施求决,,,,工伤待遇,2025-12-22,,,,,,\n"
    );
    // Under a title row; five rows with problems and the good ones: nothing is written.
    let bad = "2025-005,D1,2025-05-01,微信,求决,拖欠工资,甲,,,,x,,,,,,,\n\
               2025-006,D1,2025-05-10,来访,求决,拖欠工资,乙,,,,x,2025-05-01,,,,,,\n\
               2025-007,D1,2999-01-01,来访,求决,拖欠工资,丙,,,,x,,,,,,,\n\
               2025-008,D1,2025-05-10,来访,求决,拖欠工资,丁,,,,x,,,2025-05-20,答复,电话,,\n\
               2025-001,D1,2025-03-02,来访,求决,拖欠工资,戊,,,,x,,,,,,,\n";
    let file = format!("2025年职工信访台账\n{header}{good}{bad}");
    let job = app
        .import("petitions", "h.csv", file.into_bytes(), "")
        .await;
    assert_eq!(job["outcome"]["committed"], false, "{job}");
    let issues = job["outcome"]["issues"].to_string();
    for expected in [
        "微信",
        "早于收到日期",
        "不能晚于今天",
        "答复前须先受理",
        "同一编号",
    ] {
        assert!(issues.contains(expected), "{expected} in {issues}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM petitions").await, 0);
    // Fixed: the good rows come in, with their states, histories and figures.
    let file = format!("2025年职工信访台账\n{header}{good}");
    let out = app.import_ok("petitions", &file).await;
    assert_eq!(out["inserted"], 4, "{out}");
    let statuses: std::collections::HashMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT ref_no, status FROM petitions")
            .fetch_all(app.reg.db.pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
    let status = |r: &str| statuses[r].clone();
    assert_eq!(status("2025-001"), "closed");
    assert_eq!(status("2025-003"), "not_accepted");
    assert_eq!(status("2025-004"), "accepted");
    assert_eq!(every_history_replays(&app).await, 4);
    let (_, v) = app
        .get("/api/v1/figures?org=C&from=2025-01-01&to=2025-12-31")
        .await;
    let fig = |key: &str| {
        v["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()["value"]
            .as_f64()
    };
    assert_eq!(fig("petitions.items"), Some(4.0));
    assert_eq!(fig("petitions.satisfaction_rate"), Some(100.0));
    let (masked,): (String,) =
        sqlx::query_as("SELECT requester_id_masked FROM petitions WHERE ref_no = '2025-001'")
            .fetch_one(app.reg.db.pool())
            .await
            .unwrap();
    assert!(!masked.contains(&idn[6..14]), "masked: {masked}");
    // Its template, with drop-downs, downloads like the registry's.
    let r = app
        .client
        .get(app.url("/api/v1/templates/petitions"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"), "an XLSX file");
    // Again: nothing changes.
    let file = format!("{header}{good}");
    let again = app.import_ok("petitions", &file).await;
    assert_eq!(
        (again["inserted"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(4)),
        "{again}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM petitions").await, 4);
}

#[tokio::test]
async fn earlier_mediations_and_legal_aid_come_in_from_a_spreadsheet() {
    let app = spawn_app().await;
    app.seed_tree().await;
    add_advocate(&app, &app.client, "C", "mediator", "褚调解").await;
    add_advocate(&app, &app.client, "C", "lawyer", "卫律师").await;
    let header = "编号,承办工会,案件类型,案件来源,案号,请求事项,请求金额,用人单位,劳动者,涉及人数,案情摘要,收案日期,调解员或律师,结果,协议金额,挽回金额,司法确认日期,结案日期\n";
    let good = "T-1,D1,劳动争议调解,法院委派,（2025）皖0402民初1号,追索劳动报酬,80000,某建筑公司,蒋一、沈二,12,欠薪,2025-04-01,褚调解,达成调解协议,60000,50000,2025-04-20,2025-04-10\n\
                T-2,D1,劳动争议调解,当事人申请,,经济补偿/赔偿金,20000,某餐馆,韩三,,辞退补偿,2025-05-01,褚调解,退回法院,,,,2025-05-12\n\
                T-3,U1,法律援助,工会转办,,工伤待遇,30000,某工厂,杨四,,工伤,2025-06-01,卫律师,请求得到支持,,28000,,2025-08-01\n\
                T-4,D1,劳动争议调解,当事人申请,,追索劳动报酬,5000,某店,朱五,,欠薪,2025-07-01,,撤回,,,,2025-07-02\n";
    let bad = "T-5,D1,劳动争议调解,法院委派,,追索劳动报酬,100,某店,秦六,,x,2025-07-01,,,,,,\n\
               T-6,D1,劳动争议调解,当事人申请,,追索劳动报酬,100,某店,尤七,,x,2025-07-01,褚调解,达成调解协议,100,200,,2025-07-03\n\
               T-7,D1,劳动争议调解,当事人申请,,追索劳动报酬,100,某店,许八,,x,2025-07-05,褚调解,达成调解协议,100,,,2025-07-01\n\
               T-8,D1,法律援助,当事人申请,,工伤待遇,100,某店,何九,,x,2025-07-05,无名氏,请求得到支持,,,,2025-07-09\n";
    let job = app
        .import(
            "disputes",
            "d.csv",
            format!("{header}{good}{bad}").into_bytes(),
            "",
        )
        .await;
    assert_eq!(job["outcome"]["committed"], false, "{job}");
    let issues = job["outcome"]["issues"].to_string();
    for expected in [
        "法院案号",
        "不能大于协议金额",
        "早于收案日期",
        "不在本级或上级工会的律师名录中",
    ] {
        assert!(issues.contains(expected), "{expected} in {issues}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM disputes").await, 0);
    let out = app.import_ok("disputes", &format!("{header}{good}")).await;
    assert_eq!(out["inserted"], 4, "{out}");
    assert_eq!(every_history_replays(&app).await, 4);
    let (_, v) = app
        .get("/api/v1/figures?org=C&from=2025-01-01&to=2025-12-31")
        .await;
    let fig = |key: &str| {
        v["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()["value"]
            .as_f64()
    };
    assert_eq!(fig("mediation.cases"), Some(3.0));
    assert_eq!(
        fig("mediation.success_rate"),
        Some(50.0),
        "one agreed, one referred back; the withdrawn one not counted"
    );
    assert_eq!(fig("mediation.amount_recovered"), Some(50000.0));
    assert_eq!(
        fig("mediation.workers"),
        Some(14.0),
        "12 in the group dispute"
    );
    assert_eq!(fig("mediation.confirmed"), Some(1.0));
    assert_eq!(fig("legal_aid.amount_recovered"), Some(28000.0));
    let again = app.import_ok("disputes", &format!("{header}{good}")).await;
    assert_eq!(
        (again["inserted"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(4)),
        "{again}"
    );
}
