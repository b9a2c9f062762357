//! Field research: a task's visits and symposia within its dates; a questionnaire members answer
//! online once while it is open; the issue ledger's items rectified or overdue on their due
//! day; the figures, against a brute-force recount of the ledger.

use chrono::Days;
use serde_json::{Value, json};

use crate::helpers::*;
use gonghui::audit::Actor;
use gonghui::research::{figures, issues};

async fn member(app: &TestApp, n: u32, org: &str) -> i64 {
    let names = ["调研甲", "调研乙", "调研丙", "调研丁"];
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({"name": names[n as usize % 4], "id_number": id_number("340402", "19870101", n), "org_code": org, "joined_on": "2020-01-01"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["member"]["id"].as_str().unwrap().parse().unwrap()
}

async fn portal(app: &TestApp, username: &str, member_id: i64) -> reqwest::Client {
    app.add_account(username, "member", None, Some(member_id))
        .await;
    app.signed_in(username, TESTER_PASSWORD).await
}

fn said(v: &Value) -> String {
    v.to_string()
}

#[tokio::test]
async fn a_research_task_visits_asks_members_and_its_problems_are_rectified_or_overdue() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let day = |back: i64| (today - chrono::Duration::days(back)).to_string();
    let a = member(&app, 1, "U1").await;
    let c = member(&app, 3, "U3").await;
    let uscc = uscc("91340400MA0000301");
    let (s, v) = app
        .post(
            "/api/v1/units",
            json!({"uscc": uscc, "name": "调研样本公司", "employee_count": 80, "org_code": "U1"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    let (s, v) = app
        .post(
            "/api/v1/research",
            json!({"title": "新就业形态劳动者权益调研", "purpose": "了解快递员劳动保障", "org_code": "D1",
                "starts_on": day(0), "ends_on": day(5)}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("结束日期不能早于开始日期"), "{v}");
    let (s, v) = app
        .post(
            "/api/v1/research",
            json!({"title": "新就业形态劳动者权益调研", "purpose": "了解快递员劳动保障", "org_code": "D1",
                "starts_on": day(20), "ends_on": day(-10)}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let task = v["id"].as_str().unwrap().to_string();

    // Visits within the task's dates, to a registered employer; a symposium with its people.
    let visit = |body: Value| {
        let app = &app;
        let url = format!("/api/v1/research/{task}/visits");
        async move { app.post(&url, body).await }
    };
    let (s, v) = visit(json!({"kind": "visit", "held_on": day(30)})).await;
    assert_eq!(s, 422, "{v}");
    for words in ["调研时间为", "走访企业请填写单位的统一社会信用代码"] {
        assert!(said(&v).contains(words), "{words}: {v}");
    }
    for back in [10, 5] {
        let (s, v) =
            visit(json!({"kind": "走访企业", "uscc": uscc, "held_on": day(back), "people": "3"}))
                .await;
        assert_eq!(s, 201, "{v}");
    }
    let (s, v) = visit(json!({"kind": "symposium", "held_on": day(4), "people": "12"})).await;
    assert_eq!((s, v["kind_label"].as_str()), (201, Some("座谈会")), "{v}");

    // Questionnaires: one open now, one already closed.
    let ask = |body: Value| {
        let app = &app;
        let url = format!("/api/v1/research/{task}/questionnaires");
        async move { app.post(&url, body).await }
    };
    let (s, v) = ask(json!({"title": "劳动保障问卷", "questions": "每天工作几小时？/8小时以内/8至10小时/10小时以上\n是否参加社保", "opens_on": day(1), "closes_on": day(-5)})).await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("第2个问题应有 2 至"), "{v}");
    let (s, open) = ask(json!({"title": "劳动保障问卷", "questions": "每天工作几小时？/8小时以内/8至10小时/10小时以上\n是否参加社保？/是/否", "opens_on": day(1), "closes_on": day(-5)})).await;
    assert_eq!(s, 201, "{open}");
    let open = open["id"].as_str().unwrap().to_string();
    let (s, closed) = ask(json!({"title": "已截止的问卷", "questions": "满意吗？/满意/不满意", "opens_on": day(10), "closes_on": day(2)})).await;
    assert_eq!(s, 201, "{closed}");
    let closed = closed["id"].as_str().unwrap().to_string();
    let pa = portal(&app, "research_a", a).await;
    let pc = portal(&app, "research_c", c).await;
    let (_, mine) = app.get_as(&pa, "/api/v1/me/questionnaires").await;
    assert_eq!(
        mine.as_array().unwrap().len(),
        1,
        "only the open one: {mine}"
    );
    let (_, theirs) = app.get_as(&pc, "/api/v1/me/questionnaires").await;
    assert_eq!(
        theirs.as_array().unwrap().len(),
        0,
        "D2's member is not asked: {theirs}"
    );
    let answer = |c: &reqwest::Client, q: &str, choices: Value| {
        let (app, c, url) = (
            &app,
            c.clone(),
            format!("/api/v1/me/questionnaires/{q}/answers"),
        );
        async move { app.post_as(&c, &url, json!({"choices": choices})).await }
    };
    let (s, v) = answer(&pa, &open, json!([1])).await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("问卷有2个问题"), "{v}");
    let (s, v) = answer(&pa, &open, json!([3, 4])).await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("第2题只有 2 个选项"), "{v}");
    let (s, v) = answer(&pa, &open, json!([2, 1])).await;
    assert_eq!(s, 204, "{v}");
    let (s, v) = answer(&pa, &open, json!([1, 1])).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ALREADY_ANSWERED")),
        "{v}"
    );
    let (s, v) = answer(&pa, &closed, json!([1])).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("QUESTIONNAIRE_CLOSED")),
        "{v}"
    );
    assert!(said(&v).contains("已于"), "{v}");
    let (s, v) = answer(&pc, &open, json!([1, 1])).await;
    assert_eq!(s, 404, "not asked, not found: {v}");
    let (_, q) = app
        .get(&format!("/api/v1/research/questionnaires/{open}"))
        .await;
    assert_eq!(q["answers"].as_i64(), Some(1), "{q}");
    assert_eq!(q["results"], json!([[0, 1, 0], [1, 0]]), "{q}");

    // The ledger: one problem past its due day, one not yet due.
    let raise = |body: Value| {
        let app = &app;
        async move { app.post("/api/v1/research/issues", body).await }
    };
    let (s, v) = raise(
        json!({"task_id": task, "title": "平台未为骑手缴纳工伤保险", "owner": "区总工会权益部",
        "raised_on": day(8), "due_on": day(9)}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("整改时限不能早于发现日期"), "{v}");
    let (s, late) = raise(
        json!({"task_id": task, "title": "平台未为骑手缴纳工伤保险", "owner": "区总工会权益部",
        "raised_on": day(8), "due_on": day(1)}),
    )
    .await;
    assert_eq!(
        (s, late["status_label"].as_str()),
        (201, Some("逾期")),
        "{late}"
    );
    assert_eq!(
        late["org_code"].as_str(),
        Some("D1"),
        "the task's union owns it: {late}"
    );
    let late = late["id"].as_str().unwrap().to_string();
    let (s, v) = raise(
        json!({"task_id": task, "title": "站点缺少休息场所", "owner": "街道工会", "org_code": "S1",
        "due_on": day(-20)}),
    )
    .await;
    assert_eq!(
        (s, v["status_label"].as_str()),
        (201, Some("整改中")),
        "{v}"
    );
    let (_, overdue) = app.get("/api/v1/research/issues?due=overdue").await;
    assert_eq!(overdue["total"].as_i64(), Some(1), "{overdue}");
    let rectify = |body: Value| {
        let app = &app;
        let url = format!("/api/v1/research/issues/{late}/rectify");
        async move { app.post(&url, body).await }
    };
    let (s, v) = rectify(json!({"measures": " ", "version": 0})).await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = rectify(json!({"measures": "督促平台为全部骑手参保", "version": 0})).await;
    assert_eq!(
        (s, v["status_label"].as_str()),
        (200, Some("已整改")),
        "{v}"
    );
    let (s, v) = rectify(json!({"measures": "再次整改", "version": 1})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ALREADY_RECTIFIED")),
        "{v}"
    );

    let (_, d) = app.get(&format!("/api/v1/research/{task}")).await;
    let t = &d["task"];
    assert_eq!(
        (
            t["employers_visited"].as_i64(),
            t["symposia"].as_i64(),
            t["issues"].as_i64(),
            t["issues_rectified"].as_i64()
        ),
        (Some(1), Some(1), Some(2), Some(1)),
        "{d}"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/research/{task}/conclude"),
            json!({"summary": "提出建议措施2条，已整改1条", "version": 0}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("concluded")), "{v}");
    let (s, v) = ask(json!({"title": "迟到的问卷", "questions": "满意吗？/满意/不满意", "opens_on": day(0), "closes_on": day(0)})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("TASK_CONCLUDED")),
        "{v}"
    );

    let v = app
        .figure_values(&format!("org=C&from={}&to={}", day(30), day(0)))
        .await;
    assert_eq!(
        (
            v["research.tasks"],
            v["research.employers_visited"],
            v["research.symposia"],
            v["research.answers"]
        ),
        (1.0, 1.0, 1.0, 1.0)
    );
    assert_eq!(
        (
            v["research.issues_raised"],
            v["research.issues_rectified"],
            v["research.issues_overdue"]
        ),
        (2.0, 1.0, 1.0),
        "the late one was rectified after its due day: still overdue"
    );
    // The drills list what the figures count: each employer once, the symposium, the answer.
    let q = format!("org=C&from={}&to={}", day(30), day(0));
    for (drill, expected) in [
        (format!("visits?{q}"), 2),
        (format!("visits?{q}&one_per_employer=true"), 1),
        (format!("visits?{q}&kind=symposium"), 1),
        (format!("answers?{q}"), 1),
    ] {
        let (s, d) = app.get(&format!("/api/v1/research/{drill}")).await;
        assert_eq!(
            (s, d["total"].as_i64()),
            (200, Some(expected)),
            "{drill}: {d}"
        );
        assert_eq!(
            d["rows"].as_array().unwrap().len() as i64,
            expected,
            "{drill}"
        );
    }
}

#[tokio::test]
async fn a_member_answering_twice_at_once_is_counted_once() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let m = member(&app, 2, "U2").await;
    let (_, t) = app
        .post(
            "/api/v1/research",
            json!({"title": "职工需求调查", "purpose": "了解需求", "starts_on": today.to_string(), "ends_on": today.to_string()}),
        )
        .await;
    let (_, q) = app
        .post(
            &format!("/api/v1/research/{}/questionnaires", t["id"].as_str().unwrap()),
            json!({"title": "需求问卷", "questions": "最需要什么服务？/法律援助/技能培训/子女托管", "opens_on": today.to_string(), "closes_on": today.to_string()}),
        )
        .await;
    let url = format!(
        "/api/v1/me/questionnaires/{}/answers",
        q["id"].as_str().unwrap()
    );
    let client = portal(&app, "research_twice", m).await;
    let bodies = (0..6).map(|n| json!({"choices": [1 + n % 3]})).collect();
    let statuses = app.post_concurrently_as(&client, &url, bodies).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [204, 409].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM questionnaire_answers")
            .await,
        1
    );
}

/// Ledger items over two years, some rectified on time, some late, some still open; the figures
/// equal a recount of the rows and the drills list as many as the figures say.
#[tokio::test]
async fn ledger_figures_equal_a_brute_force_recount() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let db = &app.reg.db;
    let actor = Actor::system(&app.reg.keys, "测试");
    let mut rng = Lcg(5);
    let orgs = ["U1", "S1", "D1", "D2", "U3", "C"];
    for n in 0..40u64 {
        let raised = today - Days::new(rng.below(700));
        let due = raised + Days::new(rng.below(90));
        let item = issues::raise(
            db,
            &actor,
            &issues::IssueInput {
                title: Some(format!("问题{n}")),
                owner: Some("责任部门".into()),
                org_code: Some(orgs[rng.below(6) as usize].into()),
                raised_on: Some(raised.to_string()),
                due_on: Some(due.to_string()),
                ..Default::default()
            },
            today,
            1,
        )
        .await
        .unwrap();
        if rng.below(3) > 0 {
            let on = (raised + Days::new(rng.below(120))).min(today);
            issues::rectify(
                db,
                &actor,
                item.id,
                &issues::RectifyInput {
                    measures: "已整改".into(),
                    on: Some(on.to_string()),
                    version: item.version,
                },
                today,
                2,
            )
            .await
            .unwrap();
        }
    }
    type Row = (String, String, String, String, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT org_path, raised_on, due_on, status, rectified_on FROM research_issues",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    for (org, days, end_back) in [
        ("C", 700, 0),
        ("D1", 365, 30),
        ("S1", 500, 100),
        ("D2", 700, 0),
    ] {
        let path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE code = $1")
            .bind(org)
            .fetch_one(db.pool())
            .await
            .unwrap();
        let (from, to) = (today - Days::new(days), today - Days::new(end_back));
        let (f, t) = (from.to_string(), to.to_string());
        let mine: Vec<&Row> = rows.iter().filter(|r| r.0.starts_with(&path)).collect();
        let raised = mine.iter().filter(|r| r.1 >= f && r.1 <= t).count() as i64;
        let rectified = mine
            .iter()
            .filter(|r| {
                r.3 == "rectified"
                    && r.4
                        .as_deref()
                        .is_some_and(|d| d >= f.as_str() && d <= t.as_str())
            })
            .count() as i64;
        let overdue = mine
            .iter()
            .filter(|r| {
                r.1 >= f
                    && r.1 <= t
                    && r.2 < t
                    && (r.3 == "rectifying" || r.4.as_deref().is_some_and(|d| d > r.2.as_str()))
            })
            .count() as i64;
        let period = gonghui::registry::stats::Period { from, to };
        let c = figures::counts(db, &path, &period).await.unwrap();
        assert_eq!(
            (c.raised, c.rectified, c.overdue),
            (raised, rectified, overdue),
            "{org}"
        );
        let q = format!("org={org}&from={f}&to={t}&per_page=500");
        for (dated, expected) in [
            ("raised", raised),
            ("rectified", rectified),
            ("overdue", overdue),
        ] {
            let (s, d) = app
                .get(&format!("/api/v1/research/issues?{q}&dated={dated}"))
                .await;
            assert_eq!(s, 200, "{d}");
            assert_eq!(d["total"].as_i64(), Some(expected), "{org} {dated}");
            assert_eq!(
                d["rows"].as_array().unwrap().len() as i64,
                expected,
                "{org} {dated}"
            );
        }
    }
}
