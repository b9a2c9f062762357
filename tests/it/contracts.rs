//! Collective contracts: from the offer to bargain to a filed contract in force, the rules that
//! refuse or warn, the review window and expiry reminders on the clock, and coverage counted
//! each employer and worker once against a brute-force recount.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use crate::helpers::*;

/// Registers an employer of union `org` with `employees` workers; returns (id, USCC).
async fn employer(app: &TestApp, n: u32, org: &str, employees: i64) -> (String, String) {
    let code = uscc(&format!("9134040{n:03}MA00001"));
    let (s, v) = app
        .post("/api/v1/units", json!({"uscc": code, "name": format!("协商测试{n}号公司"), "employee_count": employees, "org_code": org}))
        .await;
    assert_eq!(s, 200, "{v}");
    (v["id"].as_str().unwrap().to_string(), code)
}

fn draft(
    org: &str,
    kind: &str,
    reach: &str,
    employers: &[&str],
    starts: &str,
    ends: &str,
) -> Value {
    let mut d = json!({
        "org_code": org, "title": format!("{kind}集体合同"), "kind": kind, "reach": reach, "employers": employers,
        "union_side": "张主席、李委员", "employer_side": "王总经理、赵经理", "starts_on": starts, "ends_on": ends,
    });
    if kind == "工资专项" {
        d["prev_avg_wage"] = json!("5200");
        d["raise_pct"] = json!("6.5");
        d["lowest_wage"] = json!("2600");
        d["min_wage"] = json!("2060");
    }
    d
}

fn vote(on: &str) -> Value {
    json!({"version": 0, "on": on, "delegates": 60, "present": 50, "votes_for": 45, "votes_against": 3})
}

/// Drafts, signs, files and (when `approve_on` is given) approves a contract; returns its id.
async fn in_force(
    app: &TestApp,
    body: Value,
    signed: &str,
    filed: &str,
    approve_on: Option<&str>,
) -> String {
    let (s, c) = app.post("/api/v1/contracts", body).await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(&format!("/api/v1/contracts/{id}/sign"), vote(signed))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/contracts/{id}/file"),
            json!({"version": 1, "on": filed}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    if let Some(on) = approve_on {
        let (s, v) = app
            .post(
                &format!("/api/v1/contracts/{id}/approve"),
                json!({"version": 2, "on": on}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    id
}

#[tokio::test]
async fn an_offer_leads_to_a_regional_contract_that_counts_each_employer_once() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (a, a_code) = employer(&app, 1, "U1", 120).await;
    let (_, b_code) = employer(&app, 2, "U2", 80).await;
    let (_, c_code) = employer(&app, 3, "U3", 30).await;
    let today = app.today();
    let ago = |d: u64| (today - Days::new(d)).to_string();
    // The district's spring campaign targets its employers with a union: A and B, not C.
    let (s, camp) = app
        .post("/api/v1/contracts/campaigns", json!({"org_code": "D1", "name": "春季要约行动", "starts_on": ago(60), "ends_on": today.to_string()}))
        .await;
    assert_eq!(s, 201, "{camp}");
    assert_eq!(camp["targets"], 2, "{camp}");
    let cid = camp["id"].as_str().unwrap();
    let figures = app
        .figure_values(&format!("org=D1&from={}&to={today}", ago(60)))
        .await;
    assert_eq!(figures["contracts.offer_coverage"], 0.0);
    let (_, detail) = app.get(&format!("/api/v1/contracts/campaigns/{cid}")).await;
    let offer_a = detail["offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["unit_id"] == a.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, sent) = app
        .post(
            &format!("/api/v1/contracts/campaigns/{cid}/send"),
            json!({"offers": [offer_a], "sent_on": ago(50)}),
        )
        .await;
    assert_eq!((s, sent["sent"].as_u64()), (200, Some(1)), "{sent}");
    let figures = app
        .figure_values(&format!("org=D1&from={}&to={today}", ago(60)))
        .await;
    assert_eq!(
        figures["contracts.offer_coverage"], 50.0,
        "one of two targets offered"
    );
    // An offer answered 20 days later is overdue until then; the answer is recorded.
    let (_, overdue) = app
        .get(&format!("/api/v1/contracts/campaigns/{cid}?status=overdue"))
        .await;
    assert_eq!(overdue["offers"].as_array().unwrap().len(), 1, "{overdue}");
    let (s, v) = app
        .post(
            &format!("/api/v1/contracts/offers/{offer_a}/answer"),
            json!({"version": 1, "answer": "declined", "on": ago(40)}),
        )
        .await;
    assert_eq!(s, 422, "a refusal needs its reason: {v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/contracts/offers/{offer_a}/answer"),
            json!({"version": 1, "answer": "accepted", "on": ago(40)}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("accepted")), "{v}");

    // A regional wage contract for A and B from the offer; C belongs to another district.
    let mut body = draft(
        "D1",
        "工资专项",
        "区域性",
        &[&a_code, &b_code, &c_code],
        &ago(30),
        &(today + Days::new(700)).to_string(),
    );
    body["offer_id"] = json!(offer_a);
    let (s, v) = app.post("/api/v1/contracts", body.clone()).await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v.to_string().contains("不在“一区总工会”的管辖范围内"),
        "{v}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM contracts").await,
        0,
        "nothing written"
    );
    body["employers"] = json!([a_code, b_code]);
    let (s, c) = app.post("/api/v1/contracts", body).await;
    assert_eq!((s, c["status"].as_str()), (201, Some("draft")), "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    // Without a majority of all delegates the draft is not approved; nothing changes.
    let (s, v) = app
        .post(&format!("/api/v1/contracts/{id}/sign"), json!({"version": 0, "on": ago(25), "delegates": 60, "present": 50, "votes_for": 30, "votes_against": 20}))
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("未超过全体 60 名"),
        "{v}"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/contracts/{id}/file"),
            json!({"version": 0, "on": ago(24)}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("TRANSITION_REFUSED")),
        "{v}"
    );
    let (s, v) = app
        .post(&format!("/api/v1/contracts/{id}/sign"), vote(&ago(25)))
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("signed")), "{v}");
    // Filed 12 days after signing: recorded, with a warning; approved three days later.
    let (s, v) = app
        .post(
            &format!("/api/v1/contracts/{id}/file"),
            json!({"version": 1, "on": ago(13)}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["warnings"][0].as_str().unwrap().contains("12 日"), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/contracts/{id}/approve"),
            json!({"version": 2, "on": ago(35)}),
        )
        .await;
    assert_eq!(s, 422, "a decision before the filing: {v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/contracts/{id}/approve"),
            json!({"version": 2, "on": ago(10)}),
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["in_force_from"].as_str()),
        (200, Some("effective"), Some(ago(10).as_str())),
        "{v}"
    );

    // A single general contract for A as well: A counts once in the total, once per kind.
    in_force(
        &app,
        draft(
            "U1",
            "综合",
            "单独签订",
            &[&a_code],
            &ago(200),
            &(today + Days::new(200)).to_string(),
        ),
        &ago(210),
        &ago(205),
        Some(&ago(201)),
    )
    .await;
    // The same kind and reach for A again over the same days is refused.
    let (s, dup) = app
        .post(
            "/api/v1/contracts",
            draft(
                "U1",
                "综合",
                "单独签订",
                &[&a_code],
                &ago(100),
                &(today + Days::new(300)).to_string(),
            ),
        )
        .await;
    assert_eq!(s, 201, "{dup}");
    let (s, v) = app
        .post(
            &format!("/api/v1/contracts/{}/sign", dup["id"].as_str().unwrap()),
            vote(&ago(1)),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("CONTRACT_OVERLAP")),
        "{v}"
    );

    let f = app
        .figure_values(&format!("org=D1&from={}&to={today}", ago(60)))
        .await;
    assert_eq!(f["contracts.in_force"], 2.0);
    assert_eq!(f["contracts.employers"], 2.0, "A and B, A once");
    assert_eq!(f["contracts.employees"], 200.0, "120 + 80");
    assert_eq!(
        f["contracts.rate"], 100.0,
        "both unionised employers of D1 covered"
    );
    assert_eq!(
        f["contracts.signed"], 1.0,
        "the regional one was signed in the period"
    );
    let (_, signed) = app
        .get(&format!(
            "/api/v1/contracts?org=D1&signed_from={}&signed_to={today}",
            ago(60)
        ))
        .await;
    assert_eq!(
        signed["rows"].as_array().unwrap().len(),
        1,
        "the drill behind 期内签订: {signed}"
    );
    // The yearly checklists: A has a 职代会 and 厂务公开, B only 厂务公开.
    let year = chrono::Datelike::year(&today);
    let (s, v) = app
        .put(
            &format!("/api/v1/contracts/employers/{a}/checklists/{year}"),
            json!({"congress": true, "disclosure": true, "supervision": true, "grievance": true}),
        )
        .await;
    assert_eq!(
        (s, v["confirmed_by"].as_str()),
        (200, Some("tester")),
        "{v}"
    );
    let b_id = app
        .scalar(&format!("SELECT id FROM units WHERE uscc = '{b_code}'"))
        .await;
    let (s, _) = app
        .put(
            &format!("/api/v1/contracts/employers/{b_id}/checklists/{year}"),
            json!({"congress": false, "disclosure": true, "supervision": false, "grievance": true}),
        )
        .await;
    assert_eq!(s, 200);
    let f = app.figure_values(&format!("org=D1&to={today}")).await;
    assert_eq!(
        (f["contracts.congress_rate"], f["contracts.disclosure_rate"]),
        (50.0, 100.0)
    );
    let (_, drill) = app
        .get(&format!(
            "/api/v1/contracts/checklists?org=D1&year={year}&has=congress"
        ))
        .await;
    assert_eq!(drill["total"].as_i64(), Some(1), "{drill}");
    let city = app.figure_values(&format!("org=C&to={today}")).await;
    assert!(
        (city["contracts.rate"] - 66.67).abs() < 0.01,
        "two of three employers of the city: {}",
        city["contracts.rate"]
    );
    // The drill lists the employers behind the figure, A with both kinds.
    let (s, covered) = app
        .get(&format!("/api/v1/contracts/covered?org=D1&at={today}"))
        .await;
    assert_eq!((s, covered["total"].as_i64()), (200, Some(2)), "{covered}");
    let kinds = covered["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit_id"] == a.as_str())
        .unwrap()["kinds"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        kinds.contains("wage") && kinds.contains("general"),
        "{kinds}"
    );
    // The console's drills behind the figures list the same employers and contracts.
    for (path, total, names) in [
        (
            format!("/contracts/covered?org=D1&at={today}"),
            "共 2 家",
            &["协商测试1号公司", "协商测试2号公司"][..],
        ),
        (
            format!("/contracts/covered?org=C&at={today}&unionised=true"),
            "共 2 家",
            &["协商测试2号公司"][..],
        ),
        (
            format!("/contracts/covered?org=D1&at={today}&kind=general"),
            "共 1 家",
            &["协商测试1号公司"][..],
        ),
        (
            format!("/contracts/checklists?org=D1&year={year}&has=congress"),
            "共 1 家",
            &["协商测试1号公司"][..],
        ),
        (
            format!("/contracts/checklists?org=D1&year={year}&has=disclosure"),
            "共 2 家",
            &["协商测试2号公司"][..],
        ),
        (
            format!("/contracts?org=D1&in_force_on={today}"),
            "共 2 份",
            &["按统计口径列出", "工资专项集体合同"][..],
        ),
    ] {
        let (s, html) = page(&app.client, &app, &path).await;
        assert_eq!(s, 200, "{path}");
        assert!(html.contains(total), "{path}: {total}");
        for n in names {
            assert!(html.contains(n), "{path}: {n}");
        }
    }
    let (s, html) = page(&app.client, &app, "/contracts/covered?org=D1&at=2026-02-30").await;
    assert!(
        s == 422 && html.contains("日期"),
        "a day that does not exist: {s}"
    );
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/contracts/covered/export?org=C&at={today}&format=csv"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "a header and A and B once each: {csv}");
    assert!(
        lines[1..]
            .iter()
            .any(|l| l.contains(&a_code) && l.contains("工资专项")),
        "{csv}"
    );
    // A month before the regional one took effect only the single contract counted.
    let before = app.figure_values(&format!("org=D1&to={}", ago(40))).await;
    assert_eq!(
        (before["contracts.employers"], before["contracts.employees"]),
        (1.0, 120.0)
    );
    // Ending it early takes it out from the next day; the history shows every step.
    let (s, v) = app
        .post(
            &format!("/api/v1/contracts/{id}/end"),
            json!({"version": 3, "on": ago(2), "note": "企业整体搬迁"}),
        )
        .await;
    assert_eq!(
        (s, v["in_force_to"].as_str()),
        (200, Some(ago(2).as_str())),
        "{v}"
    );
    let now = app.figure_values(&format!("org=D1&to={today}")).await;
    assert_eq!(now["contracts.employers"], 1.0);
    // A's headcount grows today: today's figure counts the new one, an earlier day the old.
    let (s, v) = app
        .post("/api/v1/units", json!({"uscc": a_code, "name": "协商测试1号公司", "employee_count": 150, "org_code": "U1"}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        app.figure_values(&format!("org=D1&to={today}")).await["contracts.employees"],
        150.0
    );
    assert_eq!(
        app.figure_values(&format!("org=D1&to={}", ago(3))).await["contracts.employees"],
        200.0
    );
    let (_, d) = app.get(&format!("/api/v1/contracts/{id}")).await;
    let steps: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["create", "sign", "file", "approve", "end"], "{d}");
    assert_eq!(d["employers"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_contracts_are_refused_with_the_rule_and_write_nothing() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (_, a) = employer(&app, 11, "U1", 50).await;
    let (_, b) = employer(&app, 12, "U1", 40).await;
    let cases: Vec<(Value, &str)> = vec![
        (
            draft("U1", "综合", "单独签订", &[&a], "2025-01-01", "2028-06-30"),
            "1至3年",
        ),
        (
            draft("U1", "综合", "单独签订", &[&a], "2025-01-01", "2024-12-31"),
            "不能早于开始",
        ),
        (
            draft(
                "U1",
                "综合",
                "单独签订",
                &[&a, &b],
                "2025-01-01",
                "2026-12-31",
            ),
            "只覆盖一家单位",
        ),
        (
            draft(
                "U1",
                "综合",
                "区域性",
                &[&uscc("91340400MA9999991")],
                "2025-01-01",
                "2026-12-31",
            ),
            "不在登记库中",
        ),
        (
            draft(
                "U1",
                "综合",
                "区域性",
                &[&a, &a],
                "2025-01-01",
                "2026-12-31",
            ),
            "重复列出",
        ),
        (
            draft(
                "U1",
                "其他专项",
                "单独签订",
                &[&a],
                "2025-01-01",
                "2026-12-31",
            ),
            "写明专项内容",
        ),
        (
            json!({"org_code": "U1", "title": "工资协议", "kind": "工资专项", "reach": "单独签订", "employers": [a], "union_side": "甲", "employer_side": "乙",
            "starts_on": "2025-01-01", "ends_on": "2026-12-31", "raise_pct": "5.555"}),
            "最多两位小数",
        ),
        (
            json!({"org_code": "U1", "title": "工资协议", "kind": "工资专项", "reach": "单独签订", "employers": [a], "union_side": "甲", "employer_side": "乙",
            "starts_on": "2025-01-01", "ends_on": "2026-12-31", "raise_pct": "5", "prev_avg_wage": "-10", "lowest_wage": "2000", "min_wage": "2000.001"}),
            "应大于零",
        ),
    ];
    for (body, words) in cases {
        let (s, v) = app.post("/api/v1/contracts", body).await;
        assert_eq!(s, 422, "{v}");
        assert!(v.to_string().contains(words), "{words}: {v}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contracts").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contract_units").await, 0);
    // An unusual raise and a lowest wage below the local minimum are kept, with warnings.
    let mut odd = draft(
        "U1",
        "工资专项",
        "单独签订",
        &[&a],
        "2025-01-01",
        "2026-12-31",
    );
    odd["raise_pct"] = json!("35");
    odd["lowest_wage"] = json!("1800");
    let (s, v) = app.post("/api/v1/contracts", odd).await;
    assert_eq!(s, 201, "{v}");
    let w = v["warnings"].to_string();
    assert!(
        w.contains("35.00%") && w.contains("低于当地最低工资标准"),
        "{w}"
    );
    // A step in the future, or a vote without two thirds present, is refused.
    let id = v["id"].as_str().unwrap();
    let tomorrow = (app.today() + Days::new(1)).to_string();
    let (s, _) = app
        .post(&format!("/api/v1/contracts/{id}/sign"), vote(&tomorrow))
        .await;
    assert_eq!(s, 422);
    let (s, v) = app
        .post(&format!("/api/v1/contracts/{id}/sign"), json!({"version": 0, "on": "2024-12-20", "delegates": 60, "present": 39, "votes_for": 39}))
        .await;
    assert_eq!(s, 422);
    assert!(v["message"].as_str().unwrap().contains("三分之二"), "{v}");
    let (_, d) = app.get(&format!("/api/v1/contracts/{id}")).await;
    assert_eq!(
        (
            d["contract"]["status"].as_str(),
            d["contract"]["version"].as_i64()
        ),
        (Some("draft"), Some(0))
    );
}

#[tokio::test]
async fn a_filed_contract_takes_effect_after_fifteen_days_and_reminders_fire_once() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (_, a) = employer(&app, 21, "U1", 10).await;
    let (_, b) = employer(&app, 22, "U1", 10).await;
    let today = app.today();
    let ago = |d: u64| (today - Days::new(d)).to_string();
    // Filed 20 days ago with no decision: in force since the 16th day after filing.
    let quiet = in_force(
        &app,
        draft(
            "U1",
            "综合",
            "单独签订",
            &[&a],
            &ago(300),
            &(today + Days::new(80)).to_string(),
        ),
        &ago(22),
        &ago(20),
        None,
    )
    .await;
    // Filed 5 days ago: still in review; an objection within the window stops it.
    let objected = in_force(
        &app,
        draft(
            "U1",
            "综合",
            "单独签订",
            &[&b],
            &ago(10),
            &(today + Days::new(400)).to_string(),
        ),
        &ago(6),
        &ago(5),
        None,
    )
    .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/contracts/{objected}/object"),
            json!({"version": 2, "note": "工资条款低于最低工资标准"}),
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["in_force_from"].as_str()),
        (200, Some("objected"), None),
        "{v}"
    );
    let sweep = |day: NaiveDate| {
        let db = app.reg.db.clone();
        let actor = gonghui::audit::Actor::system(&app.reg.keys, "集体合同到期提醒");
        async move {
            gonghui::contracts::contract::sweep(&db, &actor, day, gonghui::db::now_ms())
                .await
                .unwrap()
        }
    };
    let (_, c) = app.get(&format!("/api/v1/contracts/{quiet}")).await;
    assert_eq!(c["contract"]["status"], "filed");
    assert_eq!(
        c["contract"]["in_force_from"].as_str(),
        Some(ago(4).as_str()),
        "{c}"
    );
    // The figures count it from that day whether or not the daily pass has run.
    assert_eq!(
        app.figure_values(&format!("org=U1&to={today}")).await["contracts.employers"],
        1.0
    );
    assert_eq!(
        app.figure_values(&format!("org=U1&to={}", ago(5))).await["contracts.employers"],
        0.0
    );
    // The pass: it takes effect, and its 90-day reminder fires (it ends in 80 days), once.
    assert_eq!(sweep(today).await, (1, 1));
    assert_eq!(sweep(today).await, (0, 0));
    let (_, c) = app.get(&format!("/api/v1/contracts/{quiet}")).await;
    assert_eq!(c["contract"]["status"], "effective");
    // Fifty-five days on, the 30-day reminder, once; after its end it shows 已到期.
    assert_eq!(sweep(today + Days::new(55)).await, (0, 1));
    assert_eq!(sweep(today + Days::new(56)).await, (0, 0));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM contract_reminders").await,
        2
    );
    let (_, list) = app.get("/api/v1/contracts?expiring=true").await;
    assert_eq!(list["rows"].as_array().unwrap().len(), 1, "{list}");
    // An objection after the window is refused: the contract is already in force.
    let late = in_force(
        &app,
        draft(
            "U1",
            "女职工权益保护专项",
            "单独签订",
            &[&a],
            &ago(40),
            &(today + Days::new(400)).to_string(),
        ),
        &ago(40),
        &ago(30),
        None,
    )
    .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/contracts/{late}/object"),
            json!({"version": 2, "note": "迟到的意见"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["message"].as_str().unwrap().contains("审查期已于"), "{v}");
}

/// One generated contract as the recount sees it.
struct Model {
    /// The term as the overlap rule reads it: its start, and its end or the day it ended.
    start: NaiveDate,
    kind: &'static str,
    reach: &'static str,
    units: Vec<usize>,
    from: NaiveDate,
    to: NaiveDate,
}

#[tokio::test]
async fn coverage_equals_a_brute_force_recount_at_several_dates() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let orgs = ["U1", "U2", "U3"];
    let mut units = Vec::new();
    for n in 0..9u32 {
        let heads = 10 + i64::from(n) * 7;
        let (_, code) = employer(&app, 100 + n, orgs[n as usize % 3], heads).await;
        units.push((code, orgs[n as usize % 3], heads));
    }
    let kinds = ["综合", "工资专项", "女职工权益保护专项"];
    let today = app.today();
    let base = today - Days::new(1500);
    let mut rng = Lcg(17);
    let mut kept: Vec<Model> = Vec::new();
    for _ in 0..28 {
        let kind = kinds[rng.below(3) as usize];
        let regional = rng.below(3) == 0;
        let (reach, org) = if regional {
            (
                if rng.below(2) == 0 {
                    "区域性"
                } else {
                    "行业性"
                },
                "C",
            )
        } else {
            ("单独签订", "")
        };
        let mut picked: BTreeSet<usize> = BTreeSet::new();
        let n = if regional {
            2 + rng.below(4) as usize
        } else {
            1
        };
        while picked.len() < n {
            picked.insert(rng.below(units.len() as u64) as usize);
        }
        let picked: Vec<usize> = picked.into_iter().collect();
        let org = if regional { org } else { units[picked[0]].1 };
        let start = base + Days::new(rng.below(1300));
        let end = start + Days::new(364 + rng.below(700));
        let approved = start - Days::new(rng.below(20));
        let from = approved.max(start);
        let codes: Vec<&str> = picked.iter().map(|i| units[*i].0.as_str()).collect();
        let body = draft(
            org,
            kind,
            reach,
            &codes,
            &start.to_string(),
            &end.to_string(),
        );
        let (s, c) = app.post("/api/v1/contracts", body).await;
        assert_eq!(s, 201, "{c}");
        let id = c["id"].as_str().unwrap().to_string();
        let signed = (approved - Days::new(10)).to_string();
        let (s, v) = app
            .post(&format!("/api/v1/contracts/{id}/sign"), vote(&signed))
            .await;
        let clash = kept.iter().any(|m| {
            m.kind == kind
                && m.reach == reach
                && m.units.iter().any(|u| picked.contains(u))
                && m.start <= end
                && m.to >= start
        });
        if s == 409 {
            assert!(clash, "refused without an overlap: {v}");
            continue;
        }
        assert!(!clash, "an overlap let through");
        assert_eq!(s, 200, "{v}");
        let (s, v) = app
            .post(
                &format!("/api/v1/contracts/{id}/file"),
                json!({"version": 1, "on": (approved - Days::new(5)).to_string()}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = app
            .post(
                &format!("/api/v1/contracts/{id}/approve"),
                json!({"version": 2, "on": approved.to_string()}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let mut to = end;
        if rng.below(5) == 0 && from + Days::new(30) <= today.min(end) {
            let ended = from + Days::new(30);
            let (s, v) = app
                .post(
                    &format!("/api/v1/contracts/{id}/end"),
                    json!({"version": 3, "on": ended.to_string(), "note": "企业关停"}),
                )
                .await;
            assert_eq!(s, 200, "{v}");
            to = ended;
        }
        kept.push(Model {
            start,
            kind,
            reach,
            units: picked,
            from,
            to,
        });
    }
    assert!(kept.len() >= 12, "enough contracts kept ({})", kept.len());
    let kind_code = |k: &str| match k {
        "综合" => "general",
        "工资专项" => "wage",
        _ => "women",
    };
    // The recount must have met employers bound twice at once, else it proves no deduplication.
    let mut bound_twice = 0;
    for step in [0u64, 200, 500, 800, 1100, 1400, 1500] {
        let at = base + Days::new(step);
        let live_units: Vec<usize> = kept
            .iter()
            .filter(|m| m.from <= at && at <= m.to)
            .flat_map(|m| m.units.clone())
            .collect();
        bound_twice += live_units.len() - live_units.iter().collect::<BTreeSet<_>>().len();
        for (org, members) in [
            ("C", vec!["U1", "U2", "U3"]),
            ("D1", vec!["U1", "U2"]),
            ("U3", vec!["U3"]),
        ] {
            let live: Vec<&Model> = kept.iter().filter(|m| m.from <= at && at <= m.to).collect();
            let mut by_kind: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
            let mut all: BTreeSet<usize> = BTreeSet::new();
            for m in &live {
                for u in m.units.iter().filter(|u| members.contains(&units[**u].1)) {
                    by_kind.entry(kind_code(m.kind)).or_default().insert(*u);
                    all.insert(*u);
                }
            }
            let employees: i64 = all.iter().map(|u| units[*u].2).sum();
            let (s, figs) = app.get(&format!("/api/v1/figures?org={org}&to={at}")).await;
            assert_eq!(s, 200, "{figs}");
            let fig = |key: &str| {
                figs["figures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["key"] == key)
                    .unwrap()
                    .clone()
            };
            let employers = fig("contracts.employers");
            assert_eq!(
                employers["value"].as_f64(),
                Some(all.len() as f64),
                "{org} at {at}"
            );
            assert_eq!(
                fig("contracts.employees")["value"].as_f64(),
                Some(employees as f64),
                "{org} at {at}"
            );
            for (k, set) in &by_kind {
                let part = employers["parts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["code"] == *k)
                    .map(|p| p["value"].as_i64().unwrap());
                assert_eq!(part, Some(set.len() as i64), "{k} in {org} at {at}");
            }
            let unionised = units.iter().filter(|u| members.contains(&u.1)).count() as i64;
            assert_eq!(
                fig("contracts.rate")["denominator"].as_i64(),
                Some(unionised)
            );
            assert_eq!(
                fig("contracts.rate")["numerator"].as_i64(),
                Some(all.len() as i64)
            );
            // The drill lists as many employers as the figure counts.
            let (_, covered) = app
                .get(&format!("/api/v1/contracts/covered?org={org}&at={at}"))
                .await;
            assert_eq!(covered["total"].as_i64(), Some(all.len() as i64));
        }
        let city_live = kept.iter().filter(|m| m.from <= at && at <= m.to).count();
        let (_, figs) = app.get(&format!("/api/v1/figures?org=C&to={at}")).await;
        let in_force = figs["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == "contracts.in_force")
            .unwrap()["value"]
            .as_f64();
        assert_eq!(
            in_force,
            Some(city_live as f64),
            "contracts in force at {at}"
        );
    }
    assert!(
        bound_twice > 0,
        "no employer was bound twice at a sampled date"
    );
}

#[tokio::test]
async fn contracts_signed_before_come_in_from_a_spreadsheet_once_and_count() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (_, a) = employer(&app, 31, "U1", 40).await;
    let (_, b) = employer(&app, 32, "U2", 60).await;
    let (_, c) = employer(&app, 33, "U3", 25).await;
    let header = "合同名称,签订工会代码,合同类别,签订形式,覆盖单位统一社会信用代码,职工方协商代表,企业方协商代表,合同期限开始,合同期限结束,\
                  应到代表人数,实到人数,赞成票数,签订日期,报送日期,审查同意日期,工资增幅（%）,上年度职工平均工资,企业最低工资,当地最低工资标准,提前终止日期,终止原因\n";
    let bad = format!(
        "{header}\
         甲综合合同,U1,综合,单独签订,{a},张,王,2024-01-01,2026-12-31,60,50,30,2023-12-20,2023-12-25,,,,,,,\n\
         乙综合合同,S1,综合,区域性,{a}、{c},张,王,2024-01-01,2026-12-31,60,50,40,2023-12-20,2023-12-25,,,,,,,\n\
         丙合同,S1,综合,区域性,{a}、{b},张,王,2024-01-01,2026-12-31,60,50,40,2023-12-20,2023-12-25,2023-12-22,,,,,,\n\
         丁合同,U1,工资专项,单独签订,{a},张,王,2024-01-01,2024-12-31,60,50,40,2023-12-20,2023-12-25,,,,,,,\n\
         戊合同,U1,综合,单独签订,{a},张,王,2024-01-01,2026-12-31,60,50,40,2023-12-20,2023-12-25,,,,,,2024-06-30,\n",
    );
    let s = app
        .import("contracts", "bad.csv", bad.into_bytes(), "")
        .await;
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    let said = s.to_string();
    for words in [
        "未超过全体 60 名",
        "不在“一街道工会联合会”的管辖范围内",
        "早于报送日期",
        "工资专项合同请填写",
        "请填写终止原因",
    ] {
        assert!(said.contains(words), "{words}: {said}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM contracts").await,
        0,
        "nothing written"
    );

    // A street's regional contract approved on the 5th day, a single wage one that took effect
    // when its 15 days passed and was ended early.
    let good = format!(
        "{header}\
         一街道区域性综合合同,S1,综合,区域性,{a}、{b},张主席,王经理,2024-01-01,2026-12-31,60,50,40,2023-12-20,2023-12-25,2023-12-30,,,,,,\n\
         甲公司工资专项合同,U1,工资专项,单独签订,{a},张主席,王经理,2024-01-01,2024-12-31,60,50,40,2023-12-20,2023-12-25,,5.5,5200,2600,2060,2024-06-30,企业搬迁\n\
         甲公司重叠合同,U1,综合,区域性,{a},张主席,王经理,2025-01-01,2025-12-31,60,50,40,2024-12-20,2024-12-25,,,,,,,\n",
    );
    let s = app
        .import("contracts", "good.csv", good.clone().into_bytes(), "")
        .await;
    assert!(
        s.to_string()
            .contains("与第2行的同类合同覆盖同一单位且期限重叠"),
        "{s}"
    );
    let good: String = good.lines().take(3).map(|l| format!("{l}\n")).collect();
    let o = app.import_ok("contracts", &good).await;
    assert_eq!(o["inserted"], 2, "{o}");
    let o = app.import_ok("contracts", &good).await;
    assert_eq!(
        (o["inserted"].as_i64(), o["unchanged"].as_i64()),
        (Some(0), Some(2)),
        "{o}"
    );
    // In force mid-2024: both employers (A by both contracts, once), 100 workers; the wage one
    // from 2024-01-10 (filed 12-25, in force on the 16th day) to its end on 2024-06-30.
    let f = app.figure_values("org=S1&to=2024-05-01").await;
    assert_eq!(
        (
            f["contracts.in_force"],
            f["contracts.employers"],
            f["contracts.employees"]
        ),
        (2.0, 2.0, 100.0)
    );
    let (_, covered) = app
        .get("/api/v1/contracts/covered?org=S1&at=2024-01-05&kind=wage")
        .await;
    assert_eq!(
        covered["total"].as_i64(),
        Some(0),
        "not yet in force: {covered}"
    );
    let f = app.figure_values("org=S1&to=2024-07-01").await;
    assert_eq!(
        f["contracts.in_force"], 1.0,
        "the wage contract ended on 30 June"
    );
    let (_, list) = app.get("/api/v1/contracts?q=工资专项").await;
    let wage = &list["rows"][0];
    assert_eq!(
        (
            wage["status"].as_str(),
            wage["in_force_from"].as_str(),
            wage["in_force_to"].as_str()
        ),
        (Some("ended"), Some("2024-01-10"), Some("2024-06-30")),
        "{wage}"
    );
    let (_, d) = app
        .get(&format!(
            "/api/v1/contracts/{}",
            wage["id"].as_str().unwrap()
        ))
        .await;
    let steps: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["create", "sign", "file", "lapse", "end"], "{d}");
    // The register of 2024 is written in the import's columns: imported again, nothing changes;
    // 2025's holds only the regional contract (the wage one ended in June 2024).
    let sheet = app
        .download_sheet(
            "/api/v1/contracts/export?org=S1&from=2024-01-01&to=2024-12-31",
            "集体合同台账",
        )
        .await;
    assert_eq!(sheet.len(), 3, "a header and two contracts: {sheet:?}");
    assert_eq!(sheet[0][0], "合同名称");
    let col = |name: &str| sheet[0].iter().position(|h| h == name).unwrap();
    let regional = sheet
        .iter()
        .find(|r| r[0] == "一街道区域性综合合同")
        .unwrap();
    assert!(
        regional[col("覆盖单位统一社会信用代码")].contains(&a)
            && regional[col("覆盖单位统一社会信用代码")].contains(&b),
        "{regional:?}"
    );
    let wage = sheet.iter().find(|r| r[0] == "甲公司工资专项合同").unwrap();
    assert_eq!(
        (
            wage[col("工资增幅（%）")].as_str(),
            wage[col("提前终止日期")].as_str(),
            wage[col("状态")].as_str()
        ),
        ("5.50", "2024-06-30", "已终止")
    );
    let bytes = app
        .client
        .get(app.url("/api/v1/contracts/export?org=S1&from=2024-01-01&to=2024-12-31"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let again = app
        .import("contracts", "集体合同台账.xlsx", bytes, "")
        .await;
    assert_eq!(
        (
            again["outcome"]["committed"].as_bool(),
            again["outcome"]["unchanged"].as_i64(),
            again["outcome"]["inserted"].as_i64()
        ),
        (Some(true), Some(2), Some(0)),
        "{again}"
    );
    let sheet = app
        .download_sheet(
            "/api/v1/contracts/export?org=S1&from=2025-01-01&to=2025-12-31",
            "集体合同台账",
        )
        .await;
    assert_eq!(sheet.len(), 2, "{sheet:?}");
    let _ = c;
}

#[tokio::test]
async fn an_employer_moved_to_another_union_is_counted_there_with_its_contracts() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (a, a_code) = employer(&app, 41, "U1", 70).await;
    let (_, b_code) = employer(&app, 42, "U2", 30).await;
    let today = app.today();
    let ago = |d: u64| (today - Days::new(d)).to_string();
    in_force(
        &app,
        draft(
            "D1",
            "综合",
            "区域性",
            &[&a_code, &b_code],
            &ago(100),
            &(today + Days::new(500)).to_string(),
        ),
        &ago(110),
        &ago(105),
        Some(&ago(101)),
    )
    .await;
    let (s, _) = app
        .put(
            &format!(
                "/api/v1/contracts/employers/{a}/checklists/{}",
                chrono::Datelike::year(&today)
            ),
            json!({"congress": true, "disclosure": true, "supervision": false, "grievance": false}),
        )
        .await;
    assert_eq!(s, 200);
    let d2 = app.figure_values(&format!("org=D2&to={today}")).await;
    assert_eq!(d2["contracts.employers"], 0.0);
    // The registry moves A from U1 (district D1) to U3 (district D2).
    let (s, v) = app.post("/api/v1/units", json!({"uscc": a_code, "name": "协商测试41号公司", "employee_count": 70, "org_code": "U3"})).await;
    assert_eq!(s, 200, "{v}");
    let d1 = app.figure_values(&format!("org=D1&to={today}")).await;
    let d2 = app.figure_values(&format!("org=D2&to={today}")).await;
    assert_eq!(
        (d1["contracts.employers"], d1["contracts.employees"]),
        (1.0, 30.0),
        "B stays in D1"
    );
    assert_eq!(
        (d2["contracts.employers"], d2["contracts.employees"]),
        (1.0, 70.0),
        "A is counted in D2 now"
    );
    assert_eq!(
        d2["contracts.congress_rate"], 100.0,
        "its checklist moved with it"
    );
    assert_eq!(
        d1["contracts.in_force"], 1.0,
        "the contract stays with the union that filed it"
    );
}

#[tokio::test]
async fn a_city_campaign_shows_on_a_districts_board_with_the_districts_employers_only() {
    let app = spawn_app().await;
    app.seed_tree().await;
    employer(&app, 1, "U1", 120).await;
    employer(&app, 2, "U2", 80).await;
    employer(&app, 3, "U3", 30).await;
    let today = app.today().to_string();
    let (s, city) = app
        .post("/api/v1/contracts/campaigns", json!({"org_code": "C", "name": "全市集中要约季", "starts_on": today, "ends_on": today}))
        .await;
    assert_eq!((s, city["targets"].as_i64()), (201, Some(3)), "{city}");
    let (s, d1) = app
        .post(
            "/api/v1/contracts/campaigns",
            json!({"org_code": "D1", "name": "一区春季要约", "starts_on": today, "ends_on": today}),
        )
        .await;
    assert_eq!(s, 201, "{d1}");
    app.add_account("d2cadre", "cadre", Some("D2"), None).await;
    let d2 = app.signed_in("d2cadre", TESTER_PASSWORD).await;
    // D2 works in the city's campaign (its one employer), not in D1's.
    let (s, list) = app.get_as(&d2, "/api/v1/contracts/campaigns").await;
    assert_eq!(s, 200, "{list}");
    let shown: Vec<(&str, i64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["targets"].as_i64().unwrap()))
        .collect();
    assert_eq!(shown, vec![("全市集中要约季", 1)]);
    let (s, v) = app
        .get_as(
            &d2,
            &format!("/api/v1/contracts/campaigns/{}", d1["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = app
        .get_as(
            &d2,
            &format!(
                "/api/v1/contracts/campaigns/{}",
                city["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        (
            s,
            v["campaign"]["targets"].as_i64(),
            v["offers"].as_array().map(Vec::len)
        ),
        (200, Some(1), Some(1)),
        "{v}"
    );
    // The city sees both, each with all its targets.
    let (_, list) = app.get("/api/v1/contracts/campaigns").await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let c = app
        .get(&format!(
            "/api/v1/contracts/campaigns/{}",
            city["id"].as_str().unwrap()
        ))
        .await
        .1;
    assert_eq!(c["campaign"]["targets"].as_i64(), Some(3), "{c}");
}
