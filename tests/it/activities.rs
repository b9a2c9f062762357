//! Activities: sessions, sign-ups and check-ins, the rules that refuse or count once, places
//! that hold under concurrent sign-ups, and 场次 / 人次 / 人 against a brute-force recount.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use crate::helpers::*;

/// The name of generated member `n` (names hold no digits).
fn name_of(n: u32) -> String {
    const CHARS: &[char] = &['甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸'];
    format!(
        "活动测试{}{}",
        CHARS[(n / 10 % 10) as usize],
        CHARS[(n % 10) as usize]
    )
}

/// Enrols a member of union `org`; returns (member id, ID number).
async fn member(app: &TestApp, n: u32, org: &str, group: Option<&str>) -> (i64, String) {
    let id = id_number("340402", "19900101", n);
    let mut body =
        json!({"name": name_of(n), "id_number": id, "org_code": org, "joined_on": "2020-01-01"});
    if let Some(g) = group {
        body["nef_group"] = json!(g);
    }
    let (s, v) = app.post("/api/v1/members", body).await;
    assert_eq!(s, 200, "{v}");
    (v["member"]["id"].as_str().unwrap().parse().unwrap(), id)
}

async fn activity(app: &TestApp, body: Value) -> (String, Value) {
    let (s, v) = app.post("/api/v1/activities", body).await;
    assert_eq!(s, 201, "{v}");
    (v["id"].as_str().unwrap().to_string(), v)
}

async fn session(app: &TestApp, activity: &str, held_on: NaiveDate, guests: i64) -> Value {
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{activity}/sessions"),
            json!({"held_on": held_on.to_string(), "guests": guests}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

/// A member's own signed-in client.
async fn portal(app: &TestApp, username: &str, member_id: i64) -> reqwest::Client {
    app.add_account(username, "member", None, Some(member_id))
        .await;
    app.signed_in(username, TESTER_PASSWORD).await
}

#[tokio::test]
async fn members_sign_up_check_in_once_and_the_rules_refuse_clearly() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let (a_id, a_no) = member(&app, 11, "U1", Some("快递员")).await;
    let (b_id, b_no) = member(&app, 13, "U2", None).await;
    let (c_id, _) = member(&app, 15, "U3", None).await;
    // Bad activities are refused field by field; nothing is written.
    let (s, v) = app
        .post("/api/v1/activities", json!({"org_code": "D1", "kind": "篮球赛", "title": "", "starts_on": today.to_string(),
            "ends_on": (today - Days::new(1)).to_string(), "capacity": "0", "eligible_org": "U3", "budget": "-5"}))
        .await;
    assert_eq!(s, 422, "{v}");
    let said = v.to_string();
    for words in [
        "活动类别“篮球赛”无法识别",
        "请填写活动名称",
        "结束日期不能早于开始日期",
        "名额须为 1 至",
        "不在主办工会“一区总工会”的下级中",
        "活动预算",
    ] {
        assert!(said.contains(words), "{words}: {said}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activities").await, 0);

    // A training class for D1's members, three places.
    let (class, v) = activity(
        &app,
        json!({"org_code": "D1", "kind": "技能培训", "title": "快递员安全培训班", "partners": "区人社局",
            "starts_on": (today - Days::new(2)).to_string(), "ends_on": (today + Days::new(10)).to_string(),
            "capacity": "3", "budget": "5000"}),
    )
    .await;
    assert_eq!(
        (v["kind_label"].as_str(), v["budget"].as_str()),
        (Some("技能培训"), Some("5000.00"))
    );
    let pa = portal(&app, "act_a", a_id).await;
    let pb = portal(&app, "act_b", b_id).await;
    let pc = portal(&app, "act_c", c_id).await;
    let (_, open) = app.get_as(&pa, "/api/v1/me/activities").await;
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    let (_, open_c) = app.get_as(&pc, "/api/v1/me/activities").await;
    assert_eq!(
        open_c.as_array().unwrap().len(),
        0,
        "D2's member does not see D1's class: {open_c}"
    );
    let signup = |c: &reqwest::Client| {
        let c = c.clone();
        let url = format!("/api/v1/me/activities/{class}/signup");
        let app = &app;
        async move { app.post_as(&c, &url, json!({})).await }
    };
    let (s, v) = signup(&pa).await;
    assert_eq!((s, v["signups"].as_i64()), (200, Some(1)), "{v}");
    let (s, v) = signup(&pa).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ALREADY_SIGNED_UP")),
        "{v}"
    );
    let (s, v) = signup(&pc).await;
    assert_eq!(s, 404, "another district's member does not find it: {v}");

    // A session outside the activity's days is refused; one today gets its check-in code.
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{class}/sessions"),
            json!({"held_on": (today + Days::new(11)).to_string()}),
        )
        .await;
    assert!(
        s == 422 && v.to_string().contains("举办日期须在活动期间"),
        "{s} {v}"
    );
    let first = session(&app, &class, today, 4).await;
    let code = first["code"].as_str().unwrap().to_string();
    assert_eq!(first["title"], "第1场");
    // A scan counts once; a second scan says so; B did not sign up for a class with places.
    let (s, v) = app
        .post_as(
            &pa,
            "/api/v1/me/checkin",
            json!({"code": code.to_lowercase()}),
        )
        .await;
    assert_eq!((s, v["new"].as_bool()), (200, Some(true)), "{v}");
    let (s, v) = app
        .post_as(&pa, "/api/v1/me/checkin", json!({"code": code}))
        .await;
    assert_eq!((s, v["new"].as_bool()), (200, Some(false)), "{v}");
    let (s, v) = app
        .post_as(&pb, "/api/v1/me/checkin", json!({"code": code}))
        .await;
    assert!(
        s == 409 && v["message"].as_str().unwrap().contains("请先报名"),
        "{s} {v}"
    );
    // A session held yesterday cannot be scanned today; its sign-in sheet is entered instead.
    let earlier = session(&app, &class, today - Days::new(1), 0).await;
    let (s, v) = app
        .post_as(&pa, "/api/v1/me/checkin", json!({"code": earlier["code"]}))
        .await;
    assert!(
        s == 409 && v["message"].as_str().unwrap().contains("只能在当天签到"),
        "{s} {v}"
    );
    let sheet_url = format!(
        "/api/v1/activities/sessions/{}/sheet",
        earlier["id"].as_str().unwrap()
    );
    // B is not signed up and line 3 is no member: nothing is written, each line named.
    let (s, v) = app
        .post(
            &sheet_url,
            json!({"id_numbers": [a_no, b_no, id_number("340402", "19700101", 99)]}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let said = v.to_string();
    assert!(
        said.contains("第2行")
            && said.contains("未报名")
            && said.contains("第3行")
            && said.contains("不是登记在册的会员"),
        "{said}"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activity_checkins WHERE session_id = {}",
            earlier["id"].as_str().unwrap()
        ))
        .await,
        0
    );
    let (s, v) = signup(&pb).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(&sheet_url, json!({"id_numbers": [a_no, b_no, a_no]}))
        .await;
    assert_eq!((s, v["added"].as_u64()), (200, Some(2)), "{v}");
    assert!(v["repeated"][0].as_str().unwrap().contains("第3行"), "{v}");
    let (s, v) = app.post(&sheet_url, json!({"id_numbers": [b_no]})).await;
    assert_eq!((s, v["added"].as_u64()), (200, Some(0)), "{v}");
    assert!(v["repeated"][0].as_str().unwrap().contains("已签到"), "{v}");

    // Two sessions: A twice, B once, four guests → 2 场次, 3 + 4 = 7 人次, 2 人.
    let f = app
        .figure_values(&format!("org=D1&from={}&to={today}", today - Days::new(30)))
        .await;
    assert_eq!(
        (
            f["activities.held"],
            f["activities.sessions"],
            f["activities.person_times"],
            f["activities.persons"]
        ),
        (1.0, 2.0, 7.0, 2.0)
    );
    let (_, persons) = app
        .get(&format!(
            "/api/v1/activities/persons?org=D1&from={}&to={today}",
            today - Days::new(30)
        ))
        .await;
    assert_eq!(persons["total"], 2, "{persons}");
    let times: BTreeMap<String, i64> = persons["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["times"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(times, BTreeMap::from([(name_of(11), 2), (name_of(13), 1)]));
    let (_, people) = app
        .get(&format!("/api/v1/activities/{class}/participants"))
        .await;
    assert_eq!(people["rows"].as_array().unwrap().len(), 2, "{people}");

    // The third place, then the class is full.
    let (d_id, _) = member(&app, 17, "U1", None).await;
    let (e_id, _) = member(&app, 19, "U2", None).await;
    let pd = portal(&app, "act_d", d_id).await;
    let pe = portal(&app, "act_e", e_id).await;
    assert_eq!(signup(&pd).await.0, 200);
    let (s, v) = signup(&pe).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("ACTIVITY_FULL")), "{v}");
    // A place given back can be taken.
    let (s, _) = app
        .post_as(
            &pd,
            &format!("/api/v1/me/activities/{class}/withdraw"),
            json!({}),
        )
        .await;
    assert_eq!(s, 204);
    assert_eq!(signup(&pe).await.0, 200);

    // Only 快递员 may join a rider's activity.
    let (riders, _) = activity(
        &app,
        json!({"org_code": "D1", "kind": "文体活动", "title": "快递小哥趣味运动会", "eligible_group": "快递员",
            "starts_on": today.to_string(), "ends_on": today.to_string()}),
    )
    .await;
    let (s, v) = app
        .post_as(
            &pb,
            &format!("/api/v1/me/activities/{riders}/signup"),
            json!({}),
        )
        .await;
    assert!(
        s == 409 && v["message"].as_str().unwrap().contains("仅限快递员"),
        "{s} {v}"
    );
    assert_eq!(
        app.post_as(
            &pa,
            &format!("/api/v1/me/activities/{riders}/signup"),
            json!({})
        )
        .await
        .0,
        200
    );

    // Held sessions count: the class cannot be cancelled, only closed; closed takes no sign-ups.
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{class}/cancel"),
            json!({"version": 0}),
        )
        .await;
    assert!(
        s == 409 && v["message"].as_str().unwrap().contains("已举办 2 场"),
        "{s} {v}"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{class}/close"),
            json!({"version": 0}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("closed")), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{class}/close"),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("TRANSITION_REFUSED")),
        "{v}"
    );
    let (s, v) = app
        .post_as(&pa, "/api/v1/me/checkin", json!({"code": code}))
        .await;
    assert!(
        s == 409 && v["message"].as_str().unwrap().contains("已结束"),
        "{s} {v}"
    );
}

#[tokio::test]
async fn sign_ups_at_the_same_moment_never_pass_the_places() {
    use gonghui::activities::{activity, participation};
    let app = spawn_app().await;
    app.seed_tree().await;
    let mut members = Vec::new();
    for n in 0..12 {
        members.push(
            member(&app, 21 + 2 * n, if n % 2 == 0 { "U1" } else { "U2" }, None)
                .await
                .0,
        );
    }
    let (id, _) = activity(
        &app,
        json!({"org_code": "D1", "kind": "知识竞答", "title": "安全知识竞答", "capacity": "5",
            "starts_on": app.today().to_string(), "ends_on": app.today().to_string()}),
    )
    .await;
    let id: i64 = id.parse().unwrap();
    let root = gonghui::audit::Actor::system(&app.reg.keys, "测试");
    // Every member twice, all at once.
    let tasks: Vec<_> = members
        .iter()
        .chain(members.iter())
        .map(|&m| {
            let (db, actor, today) = (app.reg.db.clone(), root.clone(), app.today());
            tokio::spawn(async move {
                participation::sign_up(&db, &actor, id, m, today, gonghui::db::now_ms()).await
            })
        })
        .collect();
    let mut taken = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => taken += 1,
            Err(e) => assert!(
                ["ACTIVITY_FULL", "ALREADY_SIGNED_UP"].contains(&e.code()),
                "{e:?}"
            ),
        }
    }
    let a = activity::get_any(&app.reg.db, id).await.unwrap();
    let rows = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM activity_signups WHERE activity_id = {id}"
        ))
        .await;
    let people = app
        .scalar(&format!(
            "SELECT COUNT(DISTINCT member_id) FROM activity_signups WHERE activity_id = {id}"
        ))
        .await;
    assert_eq!((taken, a.signups, rows, people), (5, 5, 5, 5));
}

#[tokio::test]
async fn sessions_person_times_and_persons_equal_a_brute_force_recount() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let mut rng = Lcg(0x5eed_ac71);
    // Four members in D2 (U3), ten in D1 (U1, U2); each activity is for its organiser's
    // district, so its sheets name that district's members.
    let mut people: Vec<(String, &str)> = Vec::new();
    for n in 0..14u32 {
        let (org, district) = match n {
            0..4 => ("U3", "D2"),
            _ if rng.below(2) == 0 => ("U1", "D1"),
            _ => ("U2", "D1"),
        };
        let (_, no) = member(&app, 41 + 2 * n, org, None).await;
        people.push((no, district));
    }
    let kinds = ["劳动竞赛", "技能培训", "宣讲活动", "走访慰问"];
    // (organiser district, kind, session days with their guests and the people present)
    let mut held: Held = Vec::new();
    // D1's activities are organised by D1 or by its street S1 (counted from the rows, not the
    // kept reach); D2's by D2.
    for a in 0..6 {
        let district = ["D1", "S1", "D2"][a % 3];
        let kind = kinds[rng.below(4) as usize];
        let start = today - Days::new(200 - 30 * a as u64);
        let (id, _) = activity(
            &app,
            json!({"org_code": district, "kind": kind, "title": format!("生成活动{a}"),
                "starts_on": start.to_string(), "ends_on": (start + Days::new(60)).to_string()}),
        )
        .await;
        for _ in 0..1 + rng.below(3) {
            let day = start + Days::new(rng.below(60));
            let guests = rng.below(5) as i64;
            let s = session(&app, &id, day, guests).await;
            // Some people, some of them twice on the sheet.
            let mut present = BTreeSet::new();
            let mut sheet = Vec::new();
            let home = if district == "D2" { "D2" } else { "D1" };
            let theirs: Vec<usize> = (0..people.len()).filter(|&p| people[p].1 == home).collect();
            for _ in 0..1 + rng.below(8) {
                let p = theirs[rng.below(theirs.len() as u64) as usize];
                present.insert(p);
                sheet.push(people[p].0.clone());
            }
            let (st, v) = app
                .post(
                    &format!(
                        "/api/v1/activities/sessions/{}/sheet",
                        s["id"].as_str().unwrap()
                    ),
                    json!({"id_numbers": sheet}),
                )
                .await;
            assert_eq!(
                (st, v["added"].as_u64()),
                (200, Some(present.len() as u64)),
                "{v}"
            );
            held.push((district, kind, day, guests, present));
        }
    }
    recount(&app, &held, today, false).await;
    // A street moving to another district takes its activities along: D1's and D2's kept
    // reach is rebuilt, the city's is unchanged, and all still equal a recount.
    let (s, v) = app
        .post("/api/v1/orgs/S1/move", json!({"parent_code": "D2"}))
        .await;
    assert_eq!(s, 200, "{v}");
    recount(&app, &held, today, true).await;
    assert!(
        gonghui::activities::reach::verify(&app.reg.db)
            .await
            .unwrap()
    );
}

/// (organiser, kind, session day, guests, the people present)
type Held<'a> = Vec<(&'a str, &'a str, NaiveDate, i64, BTreeSet<usize>)>;

/// The activity figures of several unions and periods against a recount of `held`; after S1
/// moved under D2 (`moved`), its activities count in D2.
async fn recount(app: &TestApp, held: &Held<'_>, today: NaiveDate, moved: bool) {
    let within = |org: &str, by: &str| match org {
        "C" => true,
        "D1" => by == "D1" || (by == "S1" && !moved),
        "D2" => by == "D2" || (by == "S1" && moved),
        _ => by == org,
    };
    for (org, from, to) in [
        ("C", today - Days::new(365), today),
        ("D1", today - Days::new(365), today),
        ("D2", today - Days::new(365), today),
        ("S1", today - Days::new(365), today),
        ("C", today - Days::new(150), today - Days::new(60)),
        ("D1", today - Days::new(120), today - Days::new(100)),
    ] {
        let counted: Vec<_> = held
            .iter()
            .filter(|(d, _, day, _, _)| within(org, d) && *day >= from && *day <= to)
            .collect();
        let sessions = counted.len() as f64;
        let times: usize = counted.iter().map(|h| h.4.len() + h.3 as usize).sum();
        let persons: BTreeSet<usize> = counted.iter().flat_map(|h| h.4.iter().copied()).collect();
        let f = app
            .figure_values(&format!("org={org}&from={from}&to={to}"))
            .await;
        assert_eq!(
            (
                f["activities.sessions"],
                f["activities.person_times"],
                f["activities.persons"]
            ),
            (sessions, times as f64, persons.len() as f64),
            "{org} {from}..{to}"
        );
        let (_, drill) = app
            .get(&format!(
                "/api/v1/activities/persons?org={org}&from={from}&to={to}&per_page=500"
            ))
            .await;
        assert_eq!(
            drill["total"].as_u64(),
            Some(persons.len() as u64),
            "{drill}"
        );
        let member_times: i64 = drill["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["times"].as_i64().unwrap())
            .sum();
        let guests: i64 = counted.iter().map(|h| h.3).sum();
        assert_eq!(
            member_times + guests,
            times as i64,
            "the drill's 人次 add up"
        );
        // By kind: each kind's 人 counts a person once within the kind.
        let (_, all) = app
            .get(&format!("/api/v1/figures?org={org}&from={from}&to={to}"))
            .await;
        let fig = all["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == "activities.persons")
            .unwrap();
        for part in fig["parts"].as_array().unwrap() {
            let label = part["label"].as_str().unwrap();
            let recount: BTreeSet<usize> = counted
                .iter()
                .filter(|h| h.1 == label)
                .flat_map(|h| h.4.iter().copied())
                .collect();
            assert_eq!(
                part["value"].as_u64(),
                Some(recount.len() as u64),
                "{label} in {org}"
            );
        }
    }
}

#[tokio::test]
async fn the_console_records_an_activity_its_session_and_sign_in_sheet() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let (_, a_no) = member(&app, 71, "U1", None).await;
    let (_, b_no) = member(&app, 73, "U2", None).await;
    app.add_account("d1_act", "cadre", Some("D1"), None).await;
    let b = browser(&app, "d1_act", TESTER_PASSWORD).await;
    let (s, html) = page(&b, &app, "/activities").await;
    assert!(s == 200 && html.contains("参加活动人次"), "{s}");
    let csrf = csrf_in(&html);
    let send =
        |path: String, form: Vec<(&'static str, String)>| submit(&b, &app, path, &csrf, form);
    let mut form = vec![
        ("kind", "lecture".to_string()),
        ("title", "劳动法进企业宣讲".into()),
        ("starts_on", today.to_string()),
        ("ends_on", (today - Days::new(3)).to_string()),
        ("place", "区职工服务中心".into()),
    ];
    // Ending before it starts: refused with the rule, the form as typed.
    let (s, _, html) = send("/activities".into(), form.clone()).await;
    assert!(
        s == 422 && html.contains("结束日期不能早于开始日期") && html.contains("劳动法进企业宣讲"),
        "{s}"
    );
    form[3].1 = (today + Days::new(5)).to_string();
    let (s, landed, html) = send("/activities".into(), form).await;
    assert!(
        s == 200 && landed.starts_with("/activities/") && html.contains("区职工服务中心"),
        "{s} {landed}"
    );
    let id = landed.trim_start_matches("/activities/").to_string();
    let (s, _, html) = send(
        format!("/activities/{id}/sessions"),
        vec![("held_on", today.to_string()), ("guests", "30".into())],
    )
    .await;
    assert!(s == 200 && html.contains("第1场"), "{s}");
    let session: i64 = app
        .scalar(&format!(
            "SELECT id FROM activity_sessions WHERE activity_id = {id}"
        ))
        .await;
    // A sheet naming A twice: both counted once, the repeat said.
    let (s, _, html) = send(
        format!("/activities/sessions/{session}/sheet"),
        vec![("id_numbers", format!("{a_no}\n{b_no}\n{a_no}"))],
    )
    .await;
    assert!(
        s == 200 && html.contains("已登记 2 人签到") && html.contains("第3行"),
        "{s}"
    );
    assert!(html.contains(&name_of(71)) && html.contains(&name_of(73)));
    let (_, html) = page(&b, &app, "/activities").await;
    assert!(html.contains("劳动法进企业宣讲"));
    let f = app
        .figure_values(&format!("org=D1&from={today}&to={today}"))
        .await;
    assert_eq!(
        (f["activities.person_times"], f["activities.persons"]),
        (32.0, 2.0)
    );
    // The figure's drill lists the two people, each once.
    let (s, html) = page(
        &b,
        &app,
        &format!("/activities/persons?org=D1&from={today}&to={today}"),
    )
    .await;
    assert!(
        s == 200 && html.contains("共 2 人") && html.contains(&name_of(71)),
        "{s}"
    );
    let (_, html) = page(&b, &app, "/dashboard").await;
    assert!(
        html.contains("参加活动会员") && html.contains("/activities/persons?"),
        "the dashboard's activity cards open the drill"
    );
    // Cancelling an activity that held a session is refused, with the reason on the page.
    let (s, _, html) = send(
        format!("/activities/{id}/step/cancel"),
        vec![("version", "0".into())],
    )
    .await;
    assert!(s == 422 && html.contains("已举办 1 场，不能取消"), "{s}");
}

#[tokio::test]
async fn spending_stays_within_the_budget_and_lands_in_the_ledger() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let (act, v) = activity(
        &app,
        json!({"org_code": "D1", "kind": "文体活动", "title": "职工篮球赛", "starts_on": (today - Days::new(3)).to_string(),
            "ends_on": today.to_string(), "budget": "1000"}),
    )
    .await;
    assert_eq!(
        (v["budget"].as_str(), v["remaining"].as_str()),
        (Some("1000.00"), Some("1000.00"))
    );
    let spend = |amount: &str, on: NaiveDate| {
        let url = format!("/api/v1/activities/{act}/spending");
        let body = json!({"spent_on": on.to_string(), "amount": amount, "purpose": "场地租赁", "payee": "体育中心"});
        let app = &app;
        async move { app.post(&url, body).await }
    };
    let (s, v) = spend("600", today).await;
    assert_eq!(s, 201, "{v}");
    let first = v["id"].as_str().unwrap().to_string();
    // Above what is left: refused, said in figures, nothing written.
    let (s, v) = spend("400.01", today).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ACTIVITY_OVER_BUDGET")),
        "{v}"
    );
    let said = v["message"].as_str().unwrap();
    assert!(
        said.contains("剩余 400.00 元") && said.contains("本次支出 400.01 元"),
        "{said}"
    );
    // Bad input named by field; a day in the future is refused.
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{act}/spending"),
            json!({"spent_on": (today + Days::new(1)).to_string(), "amount": "abc", "purpose": ""}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let said = v.to_string();
    for words in ["支出日期不能晚于今天", "金额", "请填写支出用途"] {
        assert!(said.contains(words), "{words}: {said}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activity_spending").await,
        1
    );
    // Two payments at once for the last 400: one is refused.
    let (a, b) = tokio::join!(spend("300", today), spend("300", today));
    let mut codes = [a.0, b.0];
    codes.sort_unstable();
    assert_eq!(codes, [201, 409], "{} / {}", a.1, b.1);
    // Undone: the money is back; undone twice is refused.
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{act}/spending/{first}/reverse"),
            json!({"reason": "重复登记"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{act}/spending/{first}/reverse"),
            json!({"reason": "重复登记"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("ALREADY_REVERSED")));
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{act}/budget"),
            json!({"amount": "500"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["budget"].as_str(),
            v["spent"].as_str(),
            v["remaining"].as_str()
        ),
        (Some("1500.00"), Some("300.00"), Some("1200.00"))
    );
    // The budget account holds what the page says is left; the books balance.
    let held = app
        .scalar(&format!(
            "SELECT balance_fen FROM ledger_accounts WHERE code = 'activity:{act}'"
        ))
        .await;
    assert_eq!(held, 120_000);
    assert!(gonghui::ledger::verify(&app.reg.db).await.unwrap().ok());
    // The figure counts the payment not undone, by the day paid.
    let (s, f) = app
        .get(&format!(
            "/api/v1/figures?org=D1&from={}&to={today}",
            today - Days::new(30)
        ))
        .await;
    assert_eq!(s, 200, "{f}");
    let spent = f["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "activities.spent")
        .unwrap_or_else(|| panic!("{f}"));
    assert_eq!(spent["value"].as_f64(), Some(300.0), "{spent}");
    let (_, rows) = app
        .get(&format!(
            "/api/v1/activities/spending?org=D1&from={}&to={today}",
            today - Days::new(30)
        ))
        .await;
    assert_eq!(
        (rows["total"].as_i64(), rows["total_fen"].as_i64()),
        (Some(1), Some(30_000)),
        "{rows}"
    );
    // An activity without a budget takes no payment.
    let (bare, _) = activity(
        &app,
        json!({"org_code": "D1", "kind": "宣讲活动", "title": "政策宣讲", "starts_on": today.to_string(), "ends_on": today.to_string()}),
    )
    .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{bare}/spending"),
            json!({"spent_on": today.to_string(), "amount": "1", "purpose": "茶水"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ACTIVITY_OVER_BUDGET")),
        "{v}"
    );
}

#[tokio::test]
async fn a_competition_ranks_scores_and_awards_only_its_entrants() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let (a_id, a_no) = member(&app, 21, "U1", None).await;
    let (_, b_no) = member(&app, 23, "U2", None).await;
    let (_, c_no) = member(&app, 25, "U1", None).await;
    let (_, d3_no) = member(&app, 27, "U3", None).await;
    let _ = a_id;
    let (contest, _) = activity(
        &app,
        json!({"org_code": "D1", "kind": "职业技能竞赛", "title": "区职工职业技能大赛",
            "starts_on": (today - Days::new(5)).to_string(), "ends_on": today.to_string()}),
    )
    .await;
    // A lecture holds no events.
    let (lecture, _) = activity(
        &app,
        json!({"org_code": "D1", "kind": "宣讲活动", "title": "宣讲", "starts_on": today.to_string(), "ends_on": today.to_string()}),
    )
    .await;
    let day = (today - Days::new(2)).to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{lecture}/trades"),
            json!({"name": "焊工", "held_on": today.to_string()}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("NOT_A_CONTEST")));
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{contest}/trades"),
            json!({"name": "焊工", "held_on": (today + Days::new(1)).to_string()}),
        )
        .await;
    assert_eq!(s, 422, "outside the dates: {v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{contest}/trades"),
            json!({"name": "焊工", "held_on": day}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let welding = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{contest}/trades"),
            json!({"name": "焊工", "held_on": day}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("TRADE_EXISTS")));
    // Entrants: a member of D2 is not eligible; the whole list is refused and named.
    let url = format!("/api/v1/activities/trades/{welding}/entrants");
    let (s, v) = app.post(&url, json!({"lines": [a_no, d3_no, "123"]})).await;
    assert_eq!(s, 422, "{v}");
    let said = v.to_string();
    assert!(said.contains("第2行") && said.contains("第3行"), "{said}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contest_entrants").await, 0);
    let (s, v) = app
        .post(&url, json!({"lines": [a_no, b_no, c_no, a_no]}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["added"].as_i64(), Some(3));
    assert_eq!(v["repeated"].as_array().unwrap().len(), 1, "{v}");
    // Scores: equal scores share a rank; a non-entrant line refuses the whole sheet.
    let scores = format!("/api/v1/activities/trades/{welding}/scores");
    let (s, v) = app
        .post(
            &scores,
            json!({"lines": [{"who": a_no, "score": "95.5"}, {"who": d3_no, "score": "99"}]}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("不在“焊工”的参赛名单中"), "{v}");
    let (s, v) = app
        .post(
            &scores,
            json!({"lines": [{"who": a_no, "score": "95.5"}, {"who": b_no, "score": "95.50"}, {"who": c_no, "score": "88"}]}),
        )
        .await;
    assert_eq!((s, v["marked"].as_i64()), (200, Some(3)), "{v}");
    let (_, t) = app
        .get(&format!("/api/v1/activities/trades/{welding}"))
        .await;
    let ranks: Vec<(String, i64)> = t["entrants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["score"].as_str().unwrap().to_string(),
                e["rank"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ranks,
        vec![
            ("95.50".into(), 1),
            ("95.50".into(), 1),
            ("88.00".into(), 3)
        ]
    );
    // Awards: a person not entered is refused; a level above the district's too; a title once.
    let awards = format!("/api/v1/activities/trades/{welding}/awards");
    let (s, v) = app
        .post(
            &awards,
            json!({"who": d3_no, "title": "技术能手", "level": "县（区）级"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("AWARD_NOT_ENTRANT")),
        "{v}"
    );
    let (s, v) = app
        .post(
            &awards,
            json!({"who": a_no, "title": "技术能手", "level": "市级"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("最高只能授予县（区）级奖项"), "{v}");
    let (s, v) = app
        .post(
            &awards,
            json!({"who": a_no, "title": "技术能手", "level": "district", "awarding_body": "一区总工会、区人社局"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["level"].as_str(), Some("县（区）级"));
    let (s, v) = app
        .post(
            &awards,
            json!({"who": a_no, "title": "技术能手", "level": "district"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("AWARD_EXISTS")));
    app.post(
        &awards,
        json!({"who": b_no, "title": "优秀选手", "level": "基层"}),
    )
    .await;
    // A team event: teams by name, a team award.
    let (_, v) = app
        .post(
            &format!("/api/v1/activities/{contest}/trades"),
            json!({"name": "拔河", "held_on": day, "teams": true}),
        )
        .await;
    let tug = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/trades/{tug}/entrants"),
            json!({"lines": ["钢铁队，甲公司", "飞鹰队"]}),
        )
        .await;
    assert_eq!((s, v["added"].as_i64()), (200, Some(2)), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/trades/{tug}/awards"),
            json!({"who": "钢铁队", "title": "团体一等奖", "level": "district"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // The figures: one competition, two events, three member entrants, two teams, three awards.
    let (_, f) = app
        .get(&format!(
            "/api/v1/figures?org=D1&from={}&to={today}",
            today - Days::new(30)
        ))
        .await;
    let value = |key: &str| {
        f["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == key)
            .and_then(|x| x["value"].as_f64())
    };
    assert_eq!(
        [
            "activities.contests",
            "activities.trades",
            "activities.entrants",
            "activities.teams",
            "activities.awards"
        ]
        .map(value),
        [Some(1.0), Some(2.0), Some(3.0), Some(2.0), Some(3.0)],
        "{f}"
    );
    let awards_fig = f["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "activities.awards")
        .unwrap();
    let parts: BTreeMap<String, i64> = awards_fig["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                format!(
                    "{}:{}",
                    p["dimension"].as_str().unwrap(),
                    p["label"].as_str().unwrap()
                ),
                p["value"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(parts.get("级别:县（区）级"), Some(&2), "{parts:?}");
    assert_eq!(parts.get("级别:基层"), Some(&1), "{parts:?}");
    assert_eq!(parts.get("奖项:技术能手"), Some(&1), "{parts:?}");
    let (_, rows) = app
        .get(&format!(
            "/api/v1/activities/awards?org=D1&from={}&to={today}",
            today - Days::new(30)
        ))
        .await;
    assert_eq!(rows["total"].as_i64(), Some(3), "{rows}");
    // Another district sees none of it.
    let (_, f2) = app
        .get(&format!(
            "/api/v1/figures?org=D2&from={}&to={today}",
            today - Days::new(30)
        ))
        .await;
    let trades2 = f2["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "activities.trades")
        .and_then(|x| x["value"].as_f64());
    assert_eq!(trades2, Some(0.0));
}
