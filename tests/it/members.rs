//! Membership history: join, transfer, retire, leave, rejoin; never two active memberships.

use serde_json::json;

use crate::helpers::*;

async fn enroll(app: &TestApp, name: &str, id: &str, org: &str, joined: &str) -> serde_json::Value {
    let (status, body) = app
        .post(
            "/api/v1/members",
            json!({"name": name, "id_number": id, "org_code": org, "joined_on": joined}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn enrol_transfer_retire_and_history_are_dated_and_consistent() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = id_number("340402", "19800101", 11);
    let r = enroll(&app, "张三", &id, "U1", "2015-03-01").await;
    assert_eq!(r["outcome"], "inserted");
    let mid = r["member"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        r["member"]["id_masked"],
        format!("{}********{}", &id[..6], &id[14..])
    );
    let (s, v) = app.transfer_now(&mid, "U3", Some("2020-06-01")).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("accepted")), "{v}");
    let (_, v) = app.get(&format!("/api/v1/members/{mid}")).await;
    assert_eq!(v["member"]["org_code"], "U3");
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{mid}/events"),
            json!({"event": "retire", "on": "2024-01-01"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "retired");
    let (_, detail) = app.get(&format!("/api/v1/members/{mid}")).await;
    let h = detail["history"].as_array().unwrap();
    assert_eq!(h.len(), 3, "{detail}");
    assert_eq!(
        (h[0]["org_code"].as_str(), h[0]["end_reason"].as_str()),
        (Some("U1"), Some("transfer_out"))
    );
    assert_eq!(
        (h[1]["start_reason"].as_str(), h[1]["end_date"].as_str()),
        (Some("transfer_in"), Some("2024-01-01"))
    );
    assert_eq!(
        (h[2]["retained"].as_i64(), h[2]["end_date"].as_str()),
        (Some(1), None)
    );
    let open: i64 = app
        .scalar("SELECT COUNT(*) FROM memberships WHERE end_date IS NULL")
        .await;
    assert_eq!(open, 1);
}

#[tokio::test]
async fn events_are_checked_dates_targets_and_state() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let r = enroll(
        &app,
        "李四",
        &id_number("340402", "19800101", 12),
        "U1",
        "2015-03-01",
    )
    .await;
    let mid = r["member"]["id"].as_str().unwrap().to_string();
    let ev = |body: serde_json::Value| {
        let app = &app;
        let mid = mid.clone();
        async move {
            app.post(&format!("/api/v1/members/{mid}/events"), body)
                .await
        }
    };
    let transfer = |to: &'static str, on: &'static str| {
        let app = &app;
        let mid = mid.clone();
        async move {
            app.post(
                &format!("/api/v1/members/{mid}/transfers"),
                json!({"to_org": to, "on": on}),
            )
            .await
        }
    };
    let (s, v) = transfer("U3", "2014-01-01").await;
    assert_eq!(s, 422, "before the membership started: {v}");
    let (s, v) = transfer("U1", "2020-01-01").await;
    assert_eq!(s, 422, "same union: {v}");
    let (s, v) = transfer("D1", "2020-01-01").await;
    assert!(
        v["message"].as_str().unwrap().contains("基层工会"),
        "members join grassroots unions: {s} {v}"
    );
    let (s, v) = transfer("NOPE", "2020-01-01").await;
    assert_eq!(s, 422, "{v}");
    // A transfer is not an event recorded by one side alone.
    let (s, v) = ev(json!({"event": "transfer", "on": "2020-01-01", "to_org": "U3"})).await;
    assert_eq!(s, 422, "{v}");
    let (s, _) = ev(json!({"event": "leave", "on": "2021-01-01"})).await;
    assert_eq!(s, 200);
    let (s, v) = ev(json!({"event": "leave", "on": "2021-02-01"})).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("NOT_A_MEMBER")));
    // A former member may rejoin, in any union; history keeps both spells.
    let r = enroll(
        &app,
        "李四",
        &id_number("340402", "19800101", 12),
        "U3",
        "2022-01-01",
    )
    .await;
    assert_eq!(r["outcome"], "rejoined");
    let (_, detail) = app.get(&format!("/api/v1/members/{mid}")).await;
    assert_eq!(detail["history"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_active_member_cannot_join_a_second_union_even_under_concurrency() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = id_number("340402", "19800101", 13);
    let bodies = ["U1", "U2", "U3", "U1", "U2", "U3"]
        .iter()
        .map(|org| json!({"name": "王五", "id_number": id, "org_code": org, "joined_on": "2020-01-01"}))
        .collect();
    let statuses = app.post_concurrently("/api/v1/members", bodies).await;
    assert!(statuses.contains(&200));
    assert!(statuses.contains(&409), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "no internal errors: {statuses:?}"
    );
    let people: i64 = app.scalar("SELECT COUNT(*) FROM members").await;
    let open: i64 = app
        .scalar("SELECT COUNT(*) FROM memberships WHERE end_date IS NULL")
        .await;
    assert_eq!((people, open), (1, 1));
}

#[tokio::test]
async fn closing_a_union_requires_no_active_members_and_no_open_children() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let r = enroll(
        &app,
        "赵六",
        &id_number("340402", "19800101", 15),
        "U3",
        "2015-03-01",
    )
    .await;
    let mid = r["member"]["id"].as_str().unwrap().to_string();
    let (s, v) = app.post("/api/v1/orgs/U3/close", json!({})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ORG_HAS_MEMBERS")),
        "{v}"
    );
    let (s, v) = app.post("/api/v1/orgs/D2/close", json!({})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ORG_HAS_CHILDREN")),
        "{v}"
    );
    let (s, v) = app.transfer_now(&mid, "U1", None).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.post("/api/v1/orgs/U3/close", json!({})).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("closed")), "{v}");
    // A closed union takes no new members.
    let (s, v) = app.post("/api/v1/members", json!({"name": "钱七", "id_number": id_number("340402", "19800101", 17), "org_code": "U3"})).await;
    assert_eq!(s, 422, "{v}");
}

#[tokio::test]
async fn moving_a_subtree_carries_its_members_and_employers_along() {
    let app = spawn_app().await;
    app.seed_tree().await;
    enroll(
        &app,
        "孙八",
        &id_number("340402", "19800101", 19),
        "U1",
        "2015-03-01",
    )
    .await;
    let u = uscc("91340400MA2N00001");
    let (s, v) = app
        .post(
            "/api/v1/units",
            json!({"uscc": u, "name": "甲公司", "employee_count": 10, "org_code": "U1"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, moved) = app
        .post("/api/v1/orgs/S1/move", json!({"parent_code": "D2"}))
        .await;
    assert_eq!(s, 200, "{moved}");
    let (_, d2) = app.get("/api/v1/orgs/D2").await;
    assert!(
        moved["path"]
            .as_str()
            .unwrap()
            .starts_with(d2["path"].as_str().unwrap())
    );
    let (_, page) = app.get("/api/v1/members?org=D2").await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 1);
    let (_, page) = app.get("/api/v1/members?org=D1").await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 0);
    let (_, units) = app.get("/api/v1/units?org=D2").await;
    assert_eq!(units.as_array().unwrap().len(), 1);
    let stale: i64 = app.scalar("SELECT COUNT(*) FROM memberships s JOIN orgs o ON o.id = s.org_id WHERE s.org_path <> o.path").await;
    assert_eq!(stale, 0);
}

#[tokio::test]
async fn search_by_chinese_pinyin_initials_id_number_and_mobile_within_a_subtree() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = id_number("340402", "19800101", 21);
    enroll(&app, "张三丰", &id, "U1", "2015-03-01").await;
    enroll(
        &app,
        "张无忌",
        &id_number("340402", "19810101", 23),
        "U3",
        "2015-03-01",
    )
    .await;
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({"name": "吕小绿", "id_number": id_number("340402", "19850505", 35), "org_code": "U1",
                   "joined_on": "2016-01-01", "mobile": "13912345678"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let spaced = format!("{} {} {}", &id[..6], &id[6..14], &id[14..]);
    for (q, expected) in [
        ("三丰", vec!["张三丰"]),
        ("张 三", vec!["张三丰"]),
        ("zhangsan", vec!["张三丰"]),
        ("zhang san", vec!["张三丰"]),
        ("zsf", vec!["张三丰"]),
        ("zh", vec!["张三丰", "张无忌"]),
        // 吕 is lü: found as lv (keyboards), lü and lu.
        ("lv", vec!["吕小绿"]),
        ("lü", vec!["吕小绿"]),
        ("lu", vec!["吕小绿"]),
        ("lvxiaolv", vec!["吕小绿"]),
        // The ID number whole, spaced, or any tail of four or more.
        (id.as_str(), vec!["张三丰"]),
        (spaced.as_str(), vec!["张三丰"]),
        (&id[14..], vec!["张三丰"]),
        (&id[13..], vec!["张三丰"]),
        (&id[12..], vec!["张三丰"]),
        (&id[8..], vec!["张三丰"]),
        // A tail that only shares the last five is not a match.
        (&format!("9{}", &id[13..]), vec![]),
        ("13912345678", vec!["吕小绿"]),
        ("5678", vec!["吕小绿"]),
        ("13912340000", vec![]),
        ("123", vec![]),
    ] {
        // In the request body, where a whole number may go.
        let (status, page) = app.post("/api/v1/members/search", json!({ "q": q })).await;
        assert_eq!(status, 200, "q={q}: {page}");
        // In a URL only what is not a whole ID number or mobile.
        let (status, by_url) = app
            .get(&format!("/api/v1/members?q={}", urlencode(q)))
            .await;
        if gonghui::registry::search::names_a_person(q) {
            assert_eq!(status, 422, "q={q}: {by_url}");
            assert_eq!(by_url["code"], "PERSONAL_DATA_IN_URL");
        } else {
            assert_eq!((status, &by_url), (200, &page), "q={q}");
        }
        let mut names: Vec<&str> = page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, expected, "q={q}");
    }
    let (_, page) = app.get("/api/v1/members?q=zh&org=D2").await;
    assert_eq!(page["rows"][0]["name"], "张无忌");
    assert_eq!(page["rows"].as_array().unwrap().len(), 1);
    // Outside the subtree asked for, a full ID number finds nobody.
    let (_, page) = app
        .post("/api/v1/members/search", json!({ "q": id, "org": "D2" }))
        .await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 0);
    // Nothing was found by decrypting: every member has the keyed tail the search reads.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members WHERE id_tail IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn registry_reads_and_writes_respect_the_subtree_scope() {
    use gonghui::registry::scope::Scope;
    use gonghui::registry::{members, orgs};
    let app = spawn_app().await;
    app.seed_tree().await;
    let r = enroll(
        &app,
        "周九",
        &id_number("340402", "19800101", 25),
        "U3",
        "2015-03-01",
    )
    .await;
    let mid: i64 = r["member"]["id"].as_str().unwrap().parse().unwrap();
    let d1 = orgs::get_by_code(&app.reg.db, &Scope::all(), "D1")
        .await
        .unwrap();
    let scope = Scope::subtree(&d1.path);
    let mut actor = gonghui::audit::Actor::system(&app.reg.keys, "test");
    actor.scope = scope.clone();
    let db = &app.reg.db;
    assert_eq!(
        members::get(db, &scope, mid).await.unwrap_err().code(),
        "NOT_FOUND"
    );
    assert_eq!(
        orgs::get_by_code(db, &scope, "U3")
            .await
            .unwrap_err()
            .code(),
        "NOT_FOUND"
    );
    let listed = orgs::list(db, &scope, &Default::default()).await.unwrap();
    assert!(
        listed
            .iter()
            .all(|o| ["D1", "S1", "U1", "U2"].contains(&o.code.as_str()))
    );
    assert_eq!(listed.len(), 4);
    let err = members::apply_event(
        db,
        &actor,
        mid,
        members::MemberEvent::Leave,
        chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND");
    let err = orgs::move_subtree(db, &actor, "U1", "D2")
        .await
        .unwrap_err();
    assert!(
        err.message().contains("不在您的管理范围内"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn member_lists_sort_by_join_date_in_large_and_small_subtrees() {
    let app = spawn_app().await;
    app.seed_tree().await;
    // Join dates deliberately out of order with the unions and the enrolment order.
    let people = [
        ("甲", "U1", "2021-05-01"),
        ("乙", "U3", "2024-01-01"),
        ("丙", "U2", "2019-03-01"),
        ("丁", "U1", "2023-07-15"),
        ("戊", "U3", "2020-02-02"),
        ("己", "U2", "2022-12-31"),
    ];
    for (i, (name, org, joined)) in people.iter().enumerate() {
        let idn = id_number("340402", "19900101", 300 + i as u32);
        enroll(&app, name, &idn, org, joined).await;
    }
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    // Whole registry and a district (read along the join-date index), a street (path range).
    for (query, expected) in [
        ("sort=joined_desc", vec!["乙", "丁", "己", "甲", "戊", "丙"]),
        ("sort=joined", vec!["丙", "戊", "甲", "己", "丁", "乙"]),
        ("org=C&sort=joined_desc&per_page=2&page=2", vec!["己", "甲"]),
        ("org=D1&sort=joined_desc", vec!["丁", "己", "甲", "丙"]),
        ("org=D2&sort=joined", vec!["戊", "乙"]),
        ("org=S1&sort=joined_desc", vec!["丁", "己", "甲", "丙"]),
        ("org=U2&sort=joined", vec!["丙", "己"]),
    ] {
        let (s, v) = app.get(&format!("/api/v1/members?{query}")).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(names(&v), expected, "{query}");
    }
}
