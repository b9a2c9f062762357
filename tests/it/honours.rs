//! Honours: a nomination up the review chain, through its public notice to the grant; the
//! rules that refuse (a level the union cannot grant, a title that does not fit, a repeat, a
//! grant before the notice ends or with an objection open); care and its allowances in the
//! ledger; the figures against a brute-force recount; two cadres nominating at once.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Days;
use serde_json::{Value, json};

use crate::helpers::*;
use gonghui::audit::Actor;
use gonghui::honours::{figures, honour};

async fn member(app: &TestApp, n: u32, org: &str) -> (String, String) {
    let id = id_number("340402", "19800101", n);
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({"name": format!("荣誉测试{}", ['甲', '乙', '丙', '丁', '戊', '己'][n as usize % 6]), "id_number": id, "org_code": org, "joined_on": "2020-01-01"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    (v["member"]["id"].as_str().unwrap().to_string(), id)
}

fn said(v: &Value) -> String {
    v.to_string()
}

#[tokio::test]
async fn a_nomination_is_reviewed_shown_and_granted_and_the_rules_refuse_clearly() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let (_, idno) = member(&app, 1, "U1").await;
    let nominate = |extra: Value| {
        let mut body = json!({"subject": "person", "id_number": idno, "title_kind": "model_worker",
            "level": "district", "deeds": "技术革新成果突出", "awarding_org": "D1"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    // Refused field by field, nothing written: a street grants no district title, a person
    // gets no 工人先锋号, U3 is not above U1's member, a year that is no year.
    let (s, v) = app
        .post(
            "/api/v1/honours",
            nominate(json!({"awarding_org": "S1", "title_kind": "vanguard", "year": "明年"})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    for words in [
        "一街道工会联合会最高只能授予街道（乡镇）级荣誉，不能授予县（区）级",
        "“工人先锋号”不授予个人",
        "评选年度应为",
    ] {
        assert!(said(&v).contains(words), "{words}: {v}");
    }
    let (s, v) = app
        .post("/api/v1/honours", nominate(json!({"awarding_org": "D2"})))
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        said(&v).contains("工会代码“D2”不是“甲公司工会”或其上级工会"),
        "{v}"
    );
    assert!(
        !said(&v).contains("二区总工会"),
        "no union outside the line is named: {v}"
    );
    let (s, v) = app
        .post(
            "/api/v1/honours",
            nominate(json!({"id_number": id_number("340402", "19800101", 99)})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("不是您管理范围内的在册会员"), "{v}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM honours").await, 0);

    // Nominated: the street reviews, then the district; a repeat is refused while it stands.
    let (s, h) = app.post("/api/v1/honours", nominate(json!({}))).await;
    assert_eq!(s, 201, "{h}");
    assert_eq!(h["status"], "reviewing");
    assert_eq!(h["review_org"], "一街道工会联合会");
    let id = h["id"].as_str().unwrap().to_string();
    let (s, v) = app.post("/api/v1/honours", nominate(json!({}))).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("HONOUR_EXISTS")), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{id}/review"),
            json!({"decision": "approve", "version": 0}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["review_org"], "一区总工会");
    // Granting under review is refused by the table.
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{id}/award"),
            json!({"document_no": "区总发〔2026〕1号", "version": v["version"]}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("TRANSITION_REFUSED")),
        "{v}"
    );
    let (_, v) = app.get(&format!("/api/v1/honours/{id}")).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{id}/review"),
            json!({"decision": "approve", "version": v["honour"]["version"]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "notice");
    let until = (today + Days::new(u64::from(honour::NOTICE_DAYS))).to_string();
    assert_eq!(v["notice_until"], until.as_str());
    // In notice: granting now is refused; an objection holds it until settled.
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{id}/award"),
            json!({"document_no": "区总发〔2026〕1号", "version": v["version"]}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("NOTICE_NOT_OVER")),
        "{v}"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{id}/objections"),
            json!({"text": "来信反映事迹有夸大"}),
        )
        .await;
    assert_eq!((s, v["objections_open"].as_i64()), (200, Some(1)), "{v}");
    let db = &app.reg.db;
    let actor = Actor::system(&app.reg.keys, "测试");
    let later = today + Days::new(u64::from(honour::NOTICE_DAYS) + 1);
    let num: i64 = id.parse().unwrap();
    let award = |version: i64| honour::AwardInput {
        document_no: Some("区总发〔2026〕1号".into()),
        awarded_on: None,
        version,
    };
    let h = honour::get(db, &actor.scope, num).await.unwrap();
    let e = honour::award(
        db,
        &actor,
        num,
        &award(h.version),
        later,
        gonghui::db::now_ms(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "OBJECTIONS_OPEN", "{}", e.message());
    let (_, d) = app.get(&format!("/api/v1/honours/{id}")).await;
    let objection = d["objections"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{id}/objections/{objection}/resolve"),
            json!({"resolution": "dismissed", "note": "经核实，事迹属实"}),
        )
        .await;
    assert_eq!((s, v["objections_open"].as_i64()), (200, Some(0)), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{id}/objections/{objection}/resolve"),
            json!({"resolution": "upheld", "note": "再次处理"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("CASE_CHANGED")), "{v}");
    // After the notice: granted, once.
    let h = honour::get(db, &actor.scope, num).await.unwrap();
    let granted = honour::award(
        db,
        &actor,
        num,
        &award(h.version),
        later,
        gonghui::db::now_ms(),
    )
    .await
    .unwrap();
    assert_eq!(granted.status, "awarded");
    assert_eq!(
        granted.awarded_on.as_deref(),
        Some(later.to_string().as_str())
    );
    let e = honour::award(
        db,
        &actor,
        num,
        &award(granted.version),
        later,
        gonghui::db::now_ms(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "TRANSITION_REFUSED");
    let (_, d) = app.get(&format!("/api/v1/honours/{id}")).await;
    let steps: Vec<&str> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "nominate",
            "review",
            "approve",
            "object",
            "dismiss_objection",
            "award"
        ]
    );
    assert_eq!(d["levels"].as_array().unwrap().len(), 2);

    // A rejection ends it and lets the person be put up again; a reason is required.
    let (_, v) = app
        .post(
            "/api/v1/honours",
            nominate(json!({"title_kind": "craftsman", "title": "一区工匠"})),
        )
        .await;
    let craft = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{craft}/review"),
            json!({"decision": "reject", "version": 0}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("不同意时请填写审核意见"), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{craft}/review"),
            json!({"decision": "reject", "comment": "材料不全", "version": 0}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("rejected")), "{v}");
    let (s, v) = app
        .post(
            "/api/v1/honours",
            nominate(json!({"title_kind": "craftsman", "title": "一区工匠"})),
        )
        .await;
    assert_eq!(s, 201, "{v}");

    // A collective: 工人先锋号 to a team of U1's employer; an employer without a union is refused.
    let (s, v) = app
        .post(
            "/api/v1/units",
            json!({"uscc": uscc("91340400MA0000091"), "name": "甲公司", "employee_count": 80, "org_code": "U1"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/units",
            json!({"uscc": uscc("91340400MA0000092"), "name": "未建会公司", "employee_count": 8, "region_code": "340402"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let team = json!({"subject": "collective", "uscc": uscc("91340400MA0000091"), "collective_name": "甲公司焊接班",
        "title_kind": "工人先锋号", "level": "县（区）级", "deeds": "安全生产三千天", "awarding_org": "D1"});
    let (s, v) = app.post("/api/v1/honours", team.clone()).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["name"], "甲公司焊接班");
    assert_eq!(v["org_code"], "U1");
    let mut bare = team.clone();
    bare["uscc"] = json!(uscc("91340400MA0000092"));
    let (s, v) = app.post("/api/v1/honours", bare).await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("尚未建立工会"), "{v}");

    // Recorded from its document: the level is the granting body's, not checked against D1.
    let (s, v) = app
        .post(
            "/api/v1/honours/record",
            nominate(json!({"title_kind": "may_day_medal", "level": "national", "awarding_org": null,
                "awarding_body": "中华全国总工会", "awarded_on": (today + Days::new(1)).to_string()})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        said(&v).contains("授予日期不能晚于今天") && said(&v).contains("请填写授予文件的文号"),
        "{v}"
    );
    let (s, v) = app
        .post(
            "/api/v1/honours/record",
            nominate(json!({"title_kind": "may_day_medal", "level": "national", "awarding_org": null,
                "awarding_body": "中华全国总工会", "awarded_on": "2019-04-28", "document_no": "总工发〔2019〕8号", "year": "2019"})),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (201, Some("awarded")), "{v}");
    // D1 did not grant it: revoking is its recorder's (any cadre over it) with a reason.
    let medal = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{medal}/end/revoke"),
            json!({"reason": "", "version": 0}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{medal}/end/revoke"),
            json!({"reason": "依文件撤销称号", "version": 0}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("revoked")), "{v}");
}

#[tokio::test]
async fn care_is_recorded_and_allowances_are_paid_and_undone_in_the_ledger() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let (m, _) = member(&app, 2, "U1").await;
    let (s, h) = app
        .post(
            "/api/v1/honours/record",
            json!({"subject": "person", "member_id": m, "title_kind": "model_worker", "level": "provincial",
                "deeds": "省劳模", "awarding_body": "省人民政府", "awarded_on": "2020-04-28", "document_no": "省政发〔2020〕5号", "year": "2020"}),
        )
        .await;
    assert_eq!(s, 201, "{h}");
    let id = h["id"].as_str().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{id}/care"),
            json!({"kind": "visit", "cared_on": today.to_string(), "amount": "100"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("只有补助津贴填写金额"), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{id}/care"),
            json!({"kind": "allowance", "cared_on": today.to_string(), "amount": "0"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    for (kind, amount) in [("health_check", None), ("allowance", Some("1200.50"))] {
        let (s, v) = app
            .post(
                &format!("/api/v1/honours/{id}/care"),
                json!({"kind": kind, "cared_on": today.to_string(), "amount": amount, "org_code": "D1"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let paid = app
        .scalar("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM honour_care WHERE kind = 'allowance'")
        .await;
    assert_eq!(paid, 120_050);
    let posted = app
        .scalar(
            "SELECT COUNT(*) FROM ledger_postings WHERE id IN (SELECT posting_id FROM honour_care WHERE posting_id IS NOT NULL)",
        )
        .await;
    assert_eq!(posted, 1);
    let q = format!("org=D1&from={today}&to={today}");
    let v = app.figure_values(&q).await;
    assert_eq!(v["honours.care"], 2.0);
    assert_eq!(v["honours.care_paid"], 1200.5);
    let (_, d) = app
        .get(&format!("/api/v1/honours/care?{q}&kind=allowance"))
        .await;
    assert_eq!(d["total"], 1);
    let care_id = d["rows"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/care/{care_id}/reverse"),
            json!({"reason": "重复发放"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/care/{care_id}/reverse"),
            json!({"reason": "重复发放"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ALREADY_REVERSED")),
        "{v}"
    );
    let v = app.figure_values(&q).await;
    assert_eq!(v["honours.care"], 1.0);
    assert_eq!(v["honours.care_paid"], 0.0);
    let verified = gonghui::ledger::verify(&app.reg.db).await.unwrap();
    assert!(verified.ok(), "{verified:?}");
    // Care goes to granted persons only.
    let (s, v) = app
        .post(
            "/api/v1/honours",
            json!({"subject": "person", "member_id": m, "title_kind": "craftsman", "level": "district",
                "deeds": "技术能手", "awarding_org": "D1"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/honours/{}/care", v["id"].as_str().unwrap()),
            json!({"kind": "visit", "cared_on": today.to_string()}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("NOT_CARED_FOR")), "{v}");
}

#[tokio::test]
async fn two_cadres_nominating_the_same_person_at_once_make_one_nomination() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (m, _) = member(&app, 3, "U2").await;
    let body = json!({"subject": "person", "member_id": m, "title_kind": "五一劳动奖章", "level": "district",
        "deeds": "一线骨干", "awarding_org": "D1"});
    let statuses = app
        .post_concurrently("/api/v1/honours", vec![body; 6])
        .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 409].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM honours").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reviews").await, 2);
}

/// Honours granted over two years to repeat holders, some revoked or still in review; every
/// figure equals a recount of the rows, and the drills list as many as the figures say.
#[tokio::test]
async fn honour_figures_equal_a_brute_force_recount() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let db = &app.reg.db;
    let actor = Actor::system(&app.reg.keys, "测试");
    let mut people = Vec::new();
    for (n, org) in [(10, "U1"), (11, "U1"), (12, "U2"), (13, "U3"), (14, "U3")] {
        people.push((member(&app, n, org).await.0, org));
    }
    let mut rng = Lcg(77);
    let kinds = [
        "model_worker",
        "may_day_medal",
        "craftsman",
        "women",
        "other",
    ];
    let levels = ["national", "provincial", "city", "district"];
    for n in 0..40u64 {
        let (m, _) = &people[rng.below(people.len() as u64) as usize];
        let on = today - Days::new(rng.below(700));
        let kind = kinds[rng.below(kinds.len() as u64) as usize];
        let level = levels[rng.below(levels.len() as u64) as usize];
        let input = honour::HonourInput {
            subject: Some("person".into()),
            member_id: Some(m.clone()),
            title_kind: Some(kind.into()),
            title: Some(format!("称号{}", n % 7)),
            level: Some(level.into()),
            deeds: Some("事迹".into()),
            awarding_body: Some("外单位".into()),
            awarded_on: Some(on.to_string()),
            document_no: Some(format!("第{n}号")),
            year: Some(on.format("%Y").to_string()),
            ..Default::default()
        };
        let Ok(h) = honour::record(db, &app.reg.keys, &actor, &input, today, 1).await else {
            continue; // a repeat drawn by chance
        };
        if rng.below(6) == 0 {
            let reason = honour::ReasonInput {
                reason: "撤销".into(),
                version: h.version,
            };
            honour::end(db, &actor, h.id, honour::Action::Revoke, &reason, today, 2)
                .await
                .unwrap();
        }
    }
    // Collectives of U1 and U3 and one still under review (not counted).
    for (n, org) in [(0, "U1"), (1, "U1"), (2, "U3")] {
        let input = honour::HonourInput {
            subject: Some("collective".into()),
            union_code: Some(org.into()),
            collective_name: Some(format!("{org}班组{}", n % 2)),
            title_kind: Some("vanguard".into()),
            level: Some("city".into()),
            deeds: Some("事迹".into()),
            awarding_body: Some("市总工会".into()),
            awarded_on: Some((today - Days::new(n * 40)).to_string()),
            document_no: Some(format!("集{n}")),
            ..Default::default()
        };
        honour::record(db, &app.reg.keys, &actor, &input, today, 3)
            .await
            .unwrap();
    }
    let (s, v) = app
        .post(
            "/api/v1/honours",
            json!({"subject": "person", "member_id": people[0].0, "title_kind": "craftsman", "level": "city",
                "title": "审核中的称号", "deeds": "事迹", "awarding_org": "C"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    type Row = (
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT org_path, subject, holder, level, title_kind, awarded_on, status FROM honours",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    for (org, from) in [
        ("C", today - Days::new(365)),
        ("D1", today - Days::new(700)),
        ("S1", today - Days::new(200)),
        ("D2", today - Days::new(365)),
        ("U3", today - Days::new(700)),
    ] {
        let path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE code = $1")
            .bind(org)
            .fetch_one(db.pool())
            .await
            .unwrap();
        let (f, t) = (from.to_string(), today.to_string());
        let kept: Vec<&Row> = rows
            .iter()
            .filter(|r| {
                r.0.starts_with(&path)
                    && r.6 == "awarded"
                    && r.5
                        .as_deref()
                        .is_some_and(|d| d >= f.as_str() && d <= t.as_str())
            })
            .collect();
        let mut granted: BTreeMap<(String, String), i64> = BTreeMap::new();
        for r in &kept {
            *granted.entry((r.3.clone(), r.4.clone())).or_default() += 1;
        }
        let holders = |subject: &str| {
            kept.iter()
                .filter(|r| r.1 == subject)
                .map(|r| r.2.clone())
                .collect::<BTreeSet<_>>()
                .len() as i64
        };
        let period = gonghui::registry::stats::Period { from, to: today };
        let c = figures::counts(db, &path, &period).await.unwrap();
        assert_eq!(c.granted, granted, "{org}");
        assert_eq!(c.persons, holders("person"), "{org}");
        assert_eq!(c.collectives, holders("collective"), "{org}");
        // The drills list what the figures count.
        let q = format!("org={org}&from={f}&to={t}");
        let (_, all) = app.get(&format!("/api/v1/honours?{q}")).await;
        assert_eq!(all["total"].as_i64(), Some(kept.len() as i64), "{org}");
        for subject in ["person", "collective"] {
            let (_, d) = app
                .get(&format!(
                    "/api/v1/honours?{q}&subject={subject}&one_per_holder=true&per_page=200"
                ))
                .await;
            assert_eq!(
                d["total"].as_i64(),
                Some(holders(subject)),
                "{org} {subject}"
            );
            assert_eq!(
                d["rows"].as_array().unwrap().len() as i64,
                holders(subject),
                "{org} {subject}"
            );
        }
    }
    // A street moving to another district takes its honours' figures along.
    let (s, v) = app
        .post("/api/v1/orgs/S1/move", json!({"parent_code": "D2"}))
        .await;
    assert_eq!(s, 200, "{v}");
    let d2 =
        gonghui::registry::orgs::get_by_code(db, &gonghui::registry::scope::Scope::all(), "D2")
            .await
            .unwrap();
    let period = gonghui::registry::stats::Period {
        from: today - Days::new(700),
        to: today,
    };
    let c = figures::counts(db, &d2.path, &period).await.unwrap();
    let everyone = rows
        .iter()
        .filter(|r| {
            r.6 == "awarded"
                && r.1 == "person"
                && r.5.as_deref() >= Some((today - Days::new(700)).to_string().as_str())
        })
        .map(|r| r.2.clone())
        .collect::<BTreeSet<_>>()
        .len() as i64;
    assert_eq!(c.persons, everyone, "D2 now holds every member's union");
}

/// A 劳模 ledger kept in Excel: a bad file names every problem by row and writes nothing; the
/// good one is written once (re-importing changes nothing) and counts in the figures.
#[tokio::test]
async fn an_honours_ledger_is_imported_all_or_nothing_and_once() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (_, a) = member(&app, 4, "U1").await;
    let (_, b) = member(&app, 5, "U3").await;
    let stranger = id_number("340402", "19800101", 98);
    let header = "表彰对象,身份证号,统一社会信用代码,工会代码,集体名称,荣誉类别,荣誉称号,级别,评选年度,授予机关,授予日期,文号,主要事迹\n";
    let bad = format!(
        "{header}\
         个人,{a},,,,劳动模范,,省级,2019,省人民政府,2019-04-28,省政发〔2019〕3号,\n\
         个人,{stranger},,,,劳动模范,,省级,2019,省人民政府,2019-04-28,省政发〔2019〕3号,\n\
         个人,{b},,,,工人先锋号,,市级,2020,市总工会,2020-04-28,市总发〔2020〕2号,\n\
         个人,{a},,,,劳动模范,,省级,2019,省人民政府,2019-04-28,省政发〔2019〕3号,\n\
         集体,,,U3,丙公司焊接班,工人先锋号,,市级,,市总工会,明年五一,,\n"
    );
    let s = app
        .import("honours", "劳模台账.csv", bad.into_bytes(), "")
        .await;
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    let said = s.to_string();
    for words in [
        "不是您管理范围内的在册会员",
        "“工人先锋号”不授予个人",
        "与第2行是同一对象同一年度的同一荣誉",
        "授予日期",
    ] {
        assert!(said.contains(words), "{words}: {said}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM honours").await, 0);
    let good = format!(
        "{header}\
         个人,{a},,,,劳动模范,,省级,2019,省人民政府,2019-04-28,省政发〔2019〕3号,\n\
         个人,{b},,,,五一劳动奖章,,全国级,,中华全国总工会,2021-04-28,总工发〔2021〕6号,全国技术能手\n\
         集体,,,U3,丙公司焊接班,工人先锋号,,市级,,市总工会,2022-04-28,市总发〔2022〕2号,\n"
    );
    let o = app.import_ok("honours", &good).await;
    assert_eq!(o["inserted"], 3, "{o}");
    let o = app.import_ok("honours", &good).await;
    assert_eq!(
        (o["inserted"].as_i64(), o["unchanged"].as_i64()),
        (Some(0), Some(3)),
        "{o}"
    );
    let v = app
        .figure_values("org=C&from=2019-01-01&to=2022-12-31")
        .await;
    assert_eq!(
        (
            v["honours.granted"],
            v["honours.persons"],
            v["honours.collectives"]
        ),
        (3.0, 2.0, 1.0)
    );
    let year: i64 = app
        .scalar("SELECT year FROM honours WHERE title_kind = 'may_day_medal'")
        .await;
    assert_eq!(year, 2021, "the year read from the day granted");
}
