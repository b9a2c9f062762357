//! Money and help: hardship files in their tier, one active file per person; aid campaigns
//! whose applications climb their review chain, are shown publicly and paid once; batches that
//! never overspend a budget even at once, nor pay a line twice, nor half-pay when killed; and
//! 人 / 人次 / 户 against a brute-force recount.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};
use gonghui::aid::{campaigns, payouts};
use gonghui::audit::Actor;
use serde_json::{Value, json};

use crate::helpers::*;

/// A name for the n-th person: digits are not allowed in names.
fn cn(n: impl ToString) -> String {
    n.to_string()
        .chars()
        .map(|d| {
            "零一二三四五六七八九"
                .chars()
                .nth(d.to_digit(10).unwrap_or(0) as usize)
                .unwrap()
        })
        .collect()
}

async fn enroll(app: &TestApp, name: &str, seq: u32, org: &str) -> String {
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({ "name": name, "id_number": id_number("340402", "19800101", seq), "org_code": org, "joined_on": "2020-01-01" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["member"]["id"].as_str().unwrap().to_string()
}

/// The tree with a region on the city and its 低保 line of this year: 600 元 a person a month.
async fn aid_tree(app: &TestApp) {
    app.seed_tree().await;
    let (s, v) = app
        .put(
            "/api/v1/orgs/C",
            json!({"name": "测试市总工会", "kind": "city", "region_code": "340400"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let year = today(app).format("%Y").to_string();
    let (s, v) = app
        .post("/api/v1/aid/lines", json!({"region_code": "340400", "year": year.parse::<i64>().unwrap(), "monthly": "600"}))
        .await;
    assert_eq!(s, 200, "{v}");
}

fn today(app: &TestApp) -> NaiveDate {
    use gonghui::clock::Clock;
    gonghui::clock::local_date(app.clock.now_ms())
}

fn household(member: &str, income: &str, extra: Vec<Value>) -> Value {
    let mut persons =
        vec![json!({"member_id": member, "relation": "本人", "health": "大病", "work": "在职"})];
    persons.extend(extra);
    json!({
        "persons": persons, "income": income, "causes": ["因病"],
        "plan": "医疗救助与子女助学", "measures": "申请大病救助，联系企业安排轻岗",
    })
}

#[tokio::test]
async fn a_household_is_filed_in_its_tier_once_and_leaves_with_a_reason() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    let worker = enroll(&app, "困难职工", 11, "U1").await;
    let child = json!({"name": "困难子女", "id_number": id_number("340402", "20100101", 21), "relation": "子女", "schooling": "初中"});
    // Two persons × 12 × 600 = 14,400 元: exactly on the line is 相对困难, one fen below 深度困难.
    let (s, on_line) = app
        .post(
            "/api/v1/aid/files",
            household(&worker, "14400", vec![child.clone()]),
        )
        .await;
    assert_eq!(s, 201, "{on_line}");
    assert_eq!(on_line["tier"], "relative", "{on_line}");
    assert!(
        on_line["tier_reason"].as_str().unwrap().contains("600.00"),
        "{on_line}"
    );
    // The same child in a second household is refused, and nothing of it is written.
    let other = enroll(&app, "另一职工", 13, "U1").await;
    let (s, v) = app
        .post(
            "/api/v1/aid/files",
            household(&other, "7199.99", vec![child.clone()]),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("HARDSHIP_PERSON_ON_FILE")),
        "{v}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM hardship_files").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM hardship_persons").await, 2);
    let (s, deep) = app
        .post("/api/v1/aid/files", household(&other, "7199.99", vec![]))
        .await;
    assert_eq!(s, 201, "{deep}");
    assert_eq!(
        deep["tier"], "deep",
        "one person, 7,199.99 元 a year is below 7,200: {deep}"
    );
    // Bad amounts: named by field, nothing written.
    for (income, needle) in [
        ("-1", "不能为负数"),
        ("100.001", "最多两位小数"),
        ("999999999999", "超过上限 1 亿元"),
        ("abc", "金额格式"),
    ] {
        let third = enroll(
            &app,
            &format!("职工{}", cn(income.len())),
            15 + income.len() as u32 * 2,
            "U1",
        )
        .await;
        let (s, v) = app
            .post("/api/v1/aid/files", household(&third, income, vec![]))
            .await;
        assert_eq!(s, 422, "{income}: {v}");
        assert!(v.to_string().contains(needle), "{income}: {v}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM hardship_files").await, 2);
    // Re-verification: the tier follows the new income; out of hardship it says to exit.
    let id = on_line["id"].as_str().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/files/{id}/review"),
            json!({"income": "1000", "version": 0}),
        )
        .await;
    assert_eq!((s, v["tier"].as_str()), (200, Some("deep")), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/files/{id}/review"),
            json!({"income": "90000", "version": 1}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("HARDSHIP_NOT_ELIGIBLE")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("解困脱困"), "{v}");
    // An old version is refused.
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/files/{id}/exit"),
            json!({"reason": "收入提高", "version": 0}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("CASE_CHANGED")), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/files/{id}/exit"),
            json!({"reason": "收入提高", "note": "子女就业", "version": 1}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("exited")), "{v}");
    // Out of the files, the child may be filed again with another household.
    let fourth = enroll(&app, "第四职工", 41, "U2").await;
    let (s, v) = app
        .post("/api/v1/aid/files", household(&fourth, "3000", vec![child]))
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, d) = app.get(&format!("/api/v1/aid/files/{id}")).await;
    assert_eq!(s, 200);
    let actions: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["enter", "review", "exit"]);
    assert!(
        d["persons"][1]["id_masked"].as_str().unwrap().contains('*'),
        "{d}"
    );
    // The figures: two households on file now (深度 2), one entered-and-exited.
    let (_, figs) = app.get("/api/v1/figures?org=C").await;
    let fig = |key: &str| {
        figs["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()["value"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(fig("hardship.households"), 2.0);
    assert_eq!(fig("hardship.persons"), 3.0);
    assert_eq!(fig("hardship.entered"), 3.0);
    assert_eq!(fig("hardship.exited"), 1.0);
    // Each drill lists as many rows as its figure counts.
    for key in [
        "hardship.households",
        "hardship.persons",
        "hardship.entered",
        "hardship.exited",
    ] {
        let f = figs["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap();
        let (s, rows) = app.get(f["drill"].as_str().unwrap()).await;
        assert_eq!(
            (s, rows["total"].as_f64()),
            (200, f["value"].as_f64()),
            "{key}: {rows}"
        );
    }
    // The yearly re-verification reminder: a year on, all on-file households are overdue.
    let reg_scope = gonghui::registry::scope::Scope::all();
    let later = today(&app) + Duration::days(366);
    let items = gonghui::aid::hardship::reminders(&app.reg.db, &reg_scope, later)
        .await
        .unwrap();
    assert_eq!(
        items.iter().find(|i| i.urgent).map(|i| i.count),
        Some(2),
        "{items:?}"
    );
}

/// A campaign of D1 reviewed by the grassroots union then the district, shown `notice` days.
async fn campaign(app: &TestApp, budget: &str, notice: i64, extra: Value) -> String {
    let t = today(app);
    let mut body = json!({
        "org_code": "D1", "name": "春节送温暖", "kind": "两节送温暖", "starts_on": (t - Duration::days(1)).to_string(),
        "ends_on": (t + Duration::days(30)).to_string(), "budget": budget, "max_per_person": "2000",
        "review_kinds": ["grassroots", "district"], "notice_days": notice,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, v) = app.post("/api/v1/aid/campaigns", body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_string()
}

fn application(member: &str, amount: &str) -> Value {
    json!({"member_id": member, "amount": amount, "reason": "家庭困难", "bank_name": "工商银行", "bank_account": "6222 0212 3456 7890 123"})
}

async fn decide(app: &TestApp, id: &str, version: i64) -> Value {
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/applications/{id}/decision"),
            json!({"decision": "approve", "version": version}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

#[tokio::test]
async fn an_application_climbs_its_chain_is_shown_publicly_and_is_paid_once() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    let m = enroll(&app, "受助职工", 11, "U1").await;
    let c = campaign(&app, "10000", 3, json!({})).await;
    let (s, a) = app
        .post(
            &format!("/api/v1/aid/campaigns/{c}/applications"),
            application(&m, "1500"),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(
        (a["status"].as_str(), a["reviewing_org"].as_str()),
        (Some("reviewing"), Some("甲公司工会")),
        "{a}"
    );
    assert_eq!(a["bank_account_masked"], "6222****0123");
    let id = a["id"].as_str().unwrap();
    // The same person again in the same campaign is stopped.
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/campaigns/{c}/applications"),
            application(&m, "100"),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("AID_ONCE_PER_CAMPAIGN")),
        "{v}"
    );
    // A cadre of the other district neither sees nor decides it; the street is not a level.
    app.add_account("d2_cadre", "cadre", Some("D2"), None).await;
    let d2 = app.signed_in("d2_cadre", TESTER_PASSWORD).await;
    let (s, _) = app
        .post_as(
            &d2,
            &format!("/api/v1/aid/applications/{id}/decision"),
            json!({"decision": "approve", "version": 0}),
        )
        .await;
    assert_eq!(s, 404);
    let v = decide(&app, id, 0).await;
    assert_eq!(
        (v["status"].as_str(), v["reviewing_org"].as_str()),
        (Some("reviewing"), Some("一区总工会")),
        "{v}"
    );
    let v = decide(&app, id, 1).await;
    assert_eq!(v["status"], "notice", "{v}");
    // An objection during the notice holds it; dismissed, it goes on.
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/applications/{id}/objections"),
            json!({"text": "群众反映其家庭已购新车"}),
        )
        .await;
    assert_eq!((s, v["objections_open"].as_i64()), (200, Some(1)), "{v}");
    let (_, d) = app.get(&format!("/api/v1/aid/applications/{id}")).await;
    let objection = d["objections"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(d["review"].as_array().unwrap().len(), 2, "{d}");
    let actor = Actor::system(&app.reg.keys, "test");
    let after_notice = today(&app) + Duration::days(4);
    // The server's clock, so the steps taken here and through the API are in one time line.
    let (db, now) = (&app.reg.db, {
        use gonghui::clock::Clock;
        app.clock.now_ms()
    });
    let e = payouts::make_batch(
        db,
        &actor,
        c.parse().unwrap(),
        &Default::default(),
        after_notice,
        now,
    )
    .await
    .unwrap_err();
    assert!(
        e.message().contains("没有可发放的申请"),
        "an open objection holds it: {}",
        e.message()
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/applications/{id}/objections/{objection}/resolve"),
            json!({"resolution": "dismissed", "note": "经核实车辆为借用"}),
        )
        .await;
    assert_eq!((s, v["objections_open"].as_i64()), (200, Some(0)), "{v}");
    // Not before the notice ends; then one batch reserves it from the budget.
    let e = payouts::make_batch(
        db,
        &actor,
        c.parse().unwrap(),
        &Default::default(),
        today(&app),
        now,
    )
    .await
    .unwrap_err();
    assert!(e.message().contains("没有可发放的申请"), "{}", e.message());
    let batch = payouts::make_batch(
        db,
        &actor,
        c.parse().unwrap(),
        &Default::default(),
        after_notice,
        now,
    )
    .await
    .unwrap();
    assert_eq!((batch.line_count, batch.total_fen), (1, 150_000));
    let (_, cd) = app.get(&format!("/api/v1/aid/campaigns/{c}")).await;
    assert_eq!(cd["campaign"]["remaining_fen"], 850_000, "{cd}");
    // The bank file: a reason is required; it holds the full account number.
    let (s, _) = app
        .get(&format!(
            "/api/v1/aid/batches/{}/bank-file?format=csv",
            batch.id
        ))
        .await;
    assert_eq!(s, 422);
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/aid/batches/{}/bank-file?format=csv&reason=%E4%BB%A3%E5%8F%91",
            batch.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("6222021234567890123") && text.contains("1500.00"),
        "{text}"
    );
    // The bank's answer, sent twice: paid once.
    let (_, bd) = app.get(&format!("/api/v1/aid/batches/{}", batch.id)).await;
    let line = bd["lines"][0]["id"].as_str().unwrap().to_string();
    let answer = json!({"results": [{"line": line, "outcome": "paid"}]});
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/batches/{}/results", batch.id),
            answer.clone(),
        )
        .await;
    assert_eq!((s, v["paid"].as_i64()), (200, Some(1)), "{v}");
    let (s, v) = app
        .post(&format!("/api/v1/aid/batches/{}/results", batch.id), answer)
        .await;
    assert_eq!(
        (s, v["paid"].as_i64(), v["unchanged"][0].as_str()),
        (200, Some(0), Some(line.as_str())),
        "{v}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ledger_postings WHERE source_type = 'aid_batch'")
            .await,
        2,
        "the reserve and one payment"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/batches/{}/lines/{line}", batch.id),
            json!({"action": "cancel", "reason": "误操作"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("TRANSITION_REFUSED")),
        "a paid line is not cancelled: {v}"
    );
    let (_, a) = app.get(&format!("/api/v1/aid/applications/{id}")).await;
    assert_eq!(a["application"]["status"], "paid");
    let actions: Vec<&str> = a["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "apply",
            "review",
            "approve",
            "object",
            "dismiss_objection",
            "notice_ended",
            "batch",
            "pay"
        ]
    );
    assert!(gonghui::ledger::verify(&app.reg.db).await.unwrap().ok());
}

#[tokio::test]
async fn failed_lines_are_retried_or_cancelled_and_bad_input_writes_nothing() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    let a = enroll(&app, "甲职工", 11, "U1").await;
    let b = enroll(&app, "乙职工", 13, "U1").await;
    let outsider = enroll(&app, "外区职工", 15, "U3").await;
    let c = campaign(&app, "3000", 0, json!({"review_kinds": []})).await;
    let apply = |m: String, amount: &'static str| {
        let app = &app;
        let c = c.clone();
        async move {
            app.post(
                &format!("/api/v1/aid/campaigns/{c}/applications"),
                application(&m, amount),
            )
            .await
        }
    };
    // Amounts: negative, fractional fen, above the cap, absurd; a member outside the campaign.
    for (amount, needle) in [
        ("-5", "应大于零"),
        ("10.005", "最多两位小数"),
        ("2000.01", "每人最高"),
        ("99999999999999", "超过上限"),
    ] {
        let (s, v) = apply(a.clone(), amount).await;
        assert_eq!(s, 422, "{amount}: {v}");
        assert!(v.to_string().contains(needle), "{amount}: {v}");
    }
    let (s, v) = apply(outsider, "100").await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = app
        .post(&format!("/api/v1/aid/campaigns/{c}/applications"), json!({"member_id": a, "amount": "100", "reason": "困难", "bank_name": "农行", "bank_account": "12ab"}))
        .await;
    assert!(s == 422 && v.to_string().contains("银行账号"), "{v}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM aid_applications").await, 0);
    // Reviewed by the district alone (no kinds named), no notice: approved at once.
    let (_, x) = apply(a.clone(), "2000").await;
    let (_, y) = apply(b.clone(), "1000").await;
    decide(&app, x["id"].as_str().unwrap(), 0).await;
    decide(&app, y["id"].as_str().unwrap(), 0).await;
    let batch_body = json!({"applications": [x["id"], y["id"]]});
    let (s, batch) = app
        .post(
            &format!("/api/v1/aid/campaigns/{c}/batches"),
            batch_body.clone(),
        )
        .await;
    assert_eq!(
        (s, batch["total_fen"].as_i64()),
        (201, Some(300_000)),
        "{batch}"
    );
    let (s, v) = app
        .post(&format!("/api/v1/aid/campaigns/{c}/batches"), batch_body)
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("AID_NOT_PAYABLE")),
        "{v}"
    );
    let bid = batch["id"].as_str().unwrap();
    let (_, bd) = app.get(&format!("/api/v1/aid/batches/{bid}")).await;
    let lines: Vec<String> = bd["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    // Both fail at the bank; a failure needs its reason.
    let (s, _) = app
        .post(
            &format!("/api/v1/aid/batches/{bid}/results"),
            json!({"results": [{"line": lines[0], "outcome": "failed"}]}),
        )
        .await;
    assert_eq!(s, 422);
    let (s, v) = app
        .post(&format!("/api/v1/aid/batches/{bid}/results"), json!({"results": [{"line": lines[0], "outcome": "failed", "reason": "户名不符"}, {"line": lines[1], "outcome": "failed", "reason": "账号已销户"}]}))
        .await;
    assert_eq!((s, v["failed"].as_i64()), (200, Some(2)), "{v}");
    // One retried then paid; the other cancelled, its money back in the budget.
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/batches/{bid}/lines/{}", lines[0]),
            json!({"action": "retry"}),
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["attempts"].as_i64()),
        (200, Some("pending"), Some(2)),
        "{v}"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/batches/{bid}/lines/{}", lines[1]),
            json!({"action": "cancel"}),
        )
        .await;
    assert_eq!(s, 422, "a cancel needs its reason: {v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/batches/{bid}/lines/{}", lines[1]),
            json!({"action": "cancel", "reason": "本人放弃"}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("cancelled")), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/batches/{bid}/results"),
            json!({"results": [{"line": lines[0], "outcome": "paid"}]}),
        )
        .await;
    assert_eq!((s, v["paid"].as_i64()), (200, Some(1)), "{v}");
    let (_, cd) = app.get(&format!("/api/v1/aid/campaigns/{c}")).await;
    assert_eq!(
        cd["campaign"]["remaining_fen"], 100_000,
        "3000 − 2000 paid; the 1000 cancelled came back: {cd}"
    );
    // The cancelled person may apply again; a batch above what is left is refused whole.
    let (s, again) = apply(b.clone(), "1000").await;
    assert_eq!(s, 201, "{again}");
    let (_, third) = apply(enroll(&app, "丙职工", 17, "U2").await, "500").await;
    decide(&app, again["id"].as_str().unwrap(), 0).await;
    decide(&app, third["id"].as_str().unwrap(), 0).await;
    let (s, v) = app
        .post(&format!("/api/v1/aid/campaigns/{c}/batches"), json!({}))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("AID_OVER_BUDGET")),
        "{v}"
    );
    assert!(
        v["message"].as_str().unwrap().contains("1000.00"),
        "names what is left: {v}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM aid_batches").await,
        1,
        "nothing half-written"
    );
    assert!(gonghui::ledger::verify(&app.reg.db).await.unwrap().ok());
}

#[tokio::test]
async fn batches_at_once_never_overspend_and_a_retried_answer_pays_once() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    // 1,000 元 of budget, twenty approved applications of 100 元.
    let c = campaign(
        &app,
        "1000",
        0,
        json!({"review_kinds": [], "max_per_person": "100"}),
    )
    .await;
    let mut apps = Vec::new();
    for i in 0..20 {
        let m = enroll(
            &app,
            &format!("职工{}", cn(i)),
            11 + 2 * i,
            if i % 2 == 0 { "U1" } else { "U2" },
        )
        .await;
        let (s, a) = app
            .post(
                &format!("/api/v1/aid/campaigns/{c}/applications"),
                application(&m, "100"),
            )
            .await;
        assert_eq!(s, 201, "{a}");
        decide(&app, a["id"].as_str().unwrap(), 0).await;
        apps.push(a["id"].clone());
    }
    // Ten batches of two at once: 2,000 元 asked, at most 1,000 given.
    let bodies: Vec<Value> = apps
        .chunks(2)
        .map(|pair| json!({"applications": pair}))
        .collect();
    let statuses = app
        .post_concurrently(&format!("/api/v1/aid/campaigns/{c}/batches"), bodies)
        .await;
    let made = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(made, 5, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let reserved = app
        .scalar("SELECT CAST(COALESCE(SUM(total_fen), 0) AS BIGINT) FROM aid_batches")
        .await;
    assert_eq!(reserved, 100_000);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM aid_payouts").await, 10);
    // The same answer sent five times at once: each line paid once, posted once.
    let batch = app.scalar("SELECT MIN(id) FROM aid_batches").await;
    let lines: Vec<i64> = sqlx::query_scalar("SELECT id FROM aid_payouts WHERE batch_id = $1")
        .bind(batch)
        .fetch_all(app.reg.db.pool())
        .await
        .unwrap();
    let answer = json!({"results": lines.iter().map(|l| json!({"line": l.to_string(), "outcome": "paid"})).collect::<Vec<_>>()});
    let statuses = app
        .post_concurrently(
            &format!("/api/v1/aid/batches/{batch}/results"),
            vec![answer; 5],
        )
        .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let paid_fen = app.scalar("SELECT CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) FROM ledger_lines l JOIN ledger_accounts a ON a.id = l.account_id WHERE a.code = 'aid:paid'").await;
    assert_eq!(paid_fen, 20_000);
    assert!(gonghui::ledger::verify(&app.reg.db).await.unwrap().ok());
}

#[tokio::test]
async fn persons_person_times_and_households_match_a_recount() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    let actor = Actor::system(&app.reg.keys, "test");
    let (db, keys) = (&app.reg.db, &app.reg.keys);
    let t = today(&app);
    let mut rng = Lcg(7);
    // Twelve members, half of them on file (one household of two members).
    let mut members = Vec::new();
    for i in 0..12u32 {
        members.push(
            enroll(
                &app,
                &format!("受助{}", cn(i)),
                11 + 2 * i,
                ["U1", "U2", "U3"][i as usize % 3],
            )
            .await,
        );
    }
    let (s, v) = app
        .post(
            "/api/v1/aid/files",
            household(
                &members[0],
                "1000",
                vec![json!({"member_id": members[1], "relation": "配偶"})],
            ),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    for m in &members[2..6] {
        let (s, v) = app
            .post("/api/v1/aid/files", household(m, "2000", vec![]))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    // Three campaigns of the city that allow repeats; random applications, all paid — the
    // last campaign's a day earlier than the others, after them (a first day moves back).
    let earlier = t - Duration::days(1);
    let mut expected: Vec<Row> = Vec::new();
    for k in 0..3 {
        let (s, v) = app
            .post("/api/v1/aid/campaigns", json!({
                "org_code": "C", "name": format!("活动{}", cn(k)), "kind": "生活救助", "starts_on": t.to_string(), "ends_on": t.to_string(),
                "budget": "100000", "max_per_person": "1000", "notice_days": 0, "allow_repeat": true,
            }))
            .await;
        assert_eq!(s, 201, "{v}");
        let c: i64 = v["id"].as_str().unwrap().parse().unwrap();
        let paid_on = if k == 2 { earlier } else { t };
        for _ in 0..12 {
            let m = rng.below(12) as usize;
            let fen = 100 + rng.below(90_000) as i64;
            let input = campaigns::ApplicationInput {
                member_id: Some(members[m].clone()),
                form: Some(if rng.below(4) == 0 {
                    "goods".into()
                } else {
                    "cash".into()
                }),
                amount: Some(gonghui::types::Fen(fen).to_string()),
                goods: Some("米面油一套".into()),
                reason: Some("困难".into()),
                bank_name: Some("工行".into()),
                bank_account: Some("622202123456789".into()),
            };
            let now = gonghui::db::now_ms();
            let a = campaigns::apply(db, keys, &actor, c, &input, None, t, now)
                .await
                .unwrap();
            let approve = campaigns::DecisionInput {
                decision: "approve".into(),
                comment: None,
                version: 0,
            };
            campaigns::decide(db, &actor, a.id, &approve, t, now)
                .await
                .unwrap();
            expected.push(Row {
                campaign: c,
                member: m,
                fen,
                paid_on,
            });
        }
        let b = payouts::make_batch(db, &actor, c, &Default::default(), t, gonghui::db::now_ms())
            .await
            .unwrap();
        let paid = payouts::pay_all(db, &actor, b.id, 5, paid_on, gonghui::db::now_ms())
            .await
            .unwrap();
        assert_eq!(paid, 12);
    }
    let year_start = NaiveDate::from_ymd_opt(t.year(), 1, 1).unwrap();
    // The city and a district from 1 January (the running totals), the city on one day and a
    // grassroots union (the lines): each against the brute force.
    let union_of = |m: usize| ["U1", "U2", "U3"][m % 3];
    let in_d2 = |m: usize| union_of(m) == "U3";
    assert!(
        app.scalar("SELECT COUNT(*) FROM aid_firsts WHERE kind = 'p'")
            .await
            > 0,
        "the running totals are kept"
    );
    check(&app, "C", year_start, t, &expected, &|_| true).await;
    check(&app, "C", t, t, &expected, &|_| true).await;
    check(&app, "D2", year_start, t, &expected, &in_d2).await;
    check(&app, "U1", year_start, t, &expected, &|m| {
        union_of(m) == "U1"
    })
    .await;
    let (s, drill) = app.get("/api/v1/aid/paid?org=C&per_page=100").await;
    assert_eq!(s, 200);
    let paid_this_year = expected.iter().filter(|r| r.paid_on >= year_start).count();
    assert_eq!(drill["total"].as_i64(), Some(paid_this_year as i64));
    // The console lists the same lines behind the figure, and the households on file behind
    // theirs; the register of files holds the five households.
    app.add_account("aid_city", "cadre", Some("C"), None).await;
    let b = browser(&app, "aid_city", TESTER_PASSWORD).await;
    let (s, html) = page(&b, &app, "/figures/aid.person_times?org=C").await;
    assert!(
        s == 200 && html.contains(&format!("共 {paid_this_year} 人次")),
        "{s}: {html}"
    );
    let (s, html) = page(&b, &app, "/figures/hardship.households?org=C").await;
    assert!(
        s == 200 && html.contains("共 5 户") && html.contains("/aid/files/"),
        "{s}: {html}"
    );
    let (s, html) = page(&b, &app, "/figures/hardship.persons?org=C").await;
    assert!(s == 200 && html.contains("共 6 人"), "{s}: {html}");
    let (s, html) = page(&b, &app, "/figures?org=C").await;
    assert!(
        s == 200 && html.contains("帮扶救助（人次）") && html.contains("/figures/aid.amount?"),
        "{s}"
    );
    let sheet = app
        .download_sheet("/api/v1/aid/files/export?org=C", "困难职工档案")
        .await;
    assert_eq!(sheet.len(), 6, "the header and five households: {sheet:?}");
    assert!(
        sheet[1..]
            .iter()
            .all(|r| r[1].starts_with("受助") && r[2].contains('*')),
        "{sheet:?}"
    );
    // U3 moves under D1: the totals follow the hierarchy.
    let (s, v) = app
        .post("/api/v1/orgs/U3/move", json!({"parent_code": "D1"}))
        .await;
    assert_eq!(s, 200, "{v}");
    check(&app, "D2", year_start, t, &expected, &|_| false).await;
    check(&app, "D1", year_start, t, &expected, &|_| true).await;
}

/// A paid line of the generated aid: its campaign, the member's index, fen, day paid.
struct Row {
    campaign: i64,
    member: usize,
    fen: i64,
    paid_on: NaiveDate,
}

/// The aid figures of `org` for the period against a recount of the rows of members `within`
/// paid in it: 人次, 人, 户 (members 0 and 1 share a household; 2–5 have one each), amount, and
/// 人 by campaign.
async fn check(
    app: &TestApp,
    org: &str,
    from: NaiveDate,
    to: NaiveDate,
    rows: &[Row],
    within: &dyn Fn(usize) -> bool,
) {
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| within(r.member) && r.paid_on >= from && r.paid_on <= to)
        .collect();
    let household = |m: usize| match m {
        0 | 1 => Some(0),
        2..=5 => Some(m),
        _ => None,
    };
    let (_, figs) = app
        .get(&format!("/api/v1/figures?org={org}&from={from}&to={to}"))
        .await;
    let get = |key: &str| {
        figs["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()
            .clone()
    };
    let what = format!("{org} {from}–{to}");
    assert_eq!(
        get("aid.person_times")["value"].as_f64(),
        Some(rows.len() as f64),
        "{what}"
    );
    let persons: HashSet<usize> = rows.iter().map(|r| r.member).collect();
    assert_eq!(
        get("aid.persons")["value"].as_f64(),
        Some(persons.len() as f64),
        "{what}"
    );
    let households: HashSet<usize> = rows.iter().filter_map(|r| household(r.member)).collect();
    assert_eq!(
        get("aid.households")["value"].as_f64(),
        Some(households.len() as f64),
        "{what}"
    );
    let fen: i64 = rows.iter().map(|r| r.fen).sum();
    assert!(
        (get("aid.amount")["value"].as_f64().unwrap() - fen as f64 / 100.0).abs() < 0.001,
        "{what}"
    );
    let mut by: HashMap<i64, HashSet<usize>> = HashMap::new();
    for r in &rows {
        by.entry(r.campaign).or_default().insert(r.member);
    }
    let parts = get("aid.persons")["parts"].as_array().unwrap().clone();
    assert_eq!(parts.len(), by.len(), "{what}: {parts:?}");
    for part in parts {
        let c: i64 = part["code"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            part["value"].as_f64(),
            Some(by[&c].len() as f64),
            "{what}: {part}"
        );
    }
}

/// Lines of the batch killed midway.
const LINES: i64 = 300;

#[tokio::test]
async fn a_batch_run_killed_midway_leaves_each_line_paid_and_posted_or_untouched() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    let actor = Actor::system(&app.reg.keys, "test");
    let (db, keys) = (&app.reg.db, &app.reg.keys);
    let t = today(&app);
    let (s, v) = app
        .post("/api/v1/aid/campaigns", json!({
            "org_code": "C", "name": "夏送清凉", "kind": "夏送清凉", "starts_on": t.to_string(), "ends_on": t.to_string(),
            "budget": "1000000", "max_per_person": "100", "notice_days": 0, "allow_repeat": true,
        }))
        .await;
    assert_eq!(s, 201, "{v}");
    let c: i64 = v["id"].as_str().unwrap().parse().unwrap();
    let m = enroll(&app, "一线职工", 11, "U1").await;
    // 300 applications of the same member (repeats allowed), applied for and approved.
    for _ in 0..LINES {
        let input = campaigns::ApplicationInput {
            member_id: Some(m.clone()),
            form: Some("goods".into()),
            amount: Some("30".into()),
            goods: Some("防暑降温用品".into()),
            reason: Some("高温作业".into()),
            ..Default::default()
        };
        let a = campaigns::apply(db, keys, &actor, c, &input, None, t, gonghui::db::now_ms())
            .await
            .unwrap();
        campaigns::decide(
            db,
            &actor,
            a.id,
            &campaigns::DecisionInput {
                decision: "approve".into(),
                comment: None,
                version: 0,
            },
            t,
            gonghui::db::now_ms(),
        )
        .await
        .unwrap();
    }
    let b = payouts::make_batch(db, &actor, c, &Default::default(), t, gonghui::db::now_ms())
        .await
        .unwrap();
    let run = |chunk: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gonghui"))
            .args(["aid", "pay", &b.id.to_string(), "--chunk", chunk])
            .env(
                "GONGHUI_DATABASE_URL",
                app.config.database_url.as_deref().unwrap(),
            )
            .env("GONGHUI_DATA_DIR", &app.config.data_dir)
            .env("GONGHUI_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut child = run("1");
    // Kill it once some lines are paid and before all are.
    let mut seen = 0;
    for _ in 0..3000 {
        seen = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM aid_payouts WHERE batch_id = {} AND status = 'paid'",
                b.id
            ))
            .await;
        if seen >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen >= 5, "the run paid lines before it was killed");
    let (app, bid) = (&app, b.id);
    let check = |paid_expected: Option<i64>| async move {
        let paid = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM aid_payouts WHERE batch_id = {bid} AND status = 'paid'"
            ))
            .await;
        let posted = app.scalar(&format!("SELECT COUNT(*) FROM aid_payouts WHERE batch_id = {bid} AND status = 'paid' AND posting_id IS NOT NULL")).await;
        let waiting_with_posting = app.scalar(&format!("SELECT COUNT(*) FROM aid_payouts WHERE batch_id = {bid} AND status <> 'paid' AND (posting_id IS NOT NULL OR paid_on IS NOT NULL)")).await;
        let paid_fen = app.scalar("SELECT CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) FROM ledger_lines l JOIN ledger_accounts a ON a.id = l.account_id WHERE a.code = 'aid:paid'").await;
        assert_eq!(paid, posted, "every paid line has its posting");
        assert_eq!(waiting_with_posting, 0, "no waiting line is half-paid");
        assert_eq!(
            paid_fen,
            paid * 3000,
            "the ledger holds exactly the lines paid"
        );
        if let Some(n) = paid_expected {
            assert_eq!(paid, n);
        }
        assert!(gonghui::ledger::verify(&app.reg.db).await.unwrap().ok());
        paid
    };
    let paid = check(None).await;
    assert!(paid < LINES, "killed before the end ({paid} paid)");
    // The batch resumes where it stopped.
    let out = run("200").wait_with_output().unwrap();
    assert!(out.status.success());
    check(Some(LINES)).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM aid_applications WHERE status = 'paid'")
            .await,
        LINES
    );
}

#[tokio::test]
async fn the_console_shows_campaigns_applications_and_files_and_takes_a_decision() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    let m = enroll(&app, "受助职工", 11, "U1").await;
    let (s, file) = app
        .post("/api/v1/aid/files", household(&m, "3000", vec![]))
        .await;
    assert_eq!(s, 201, "{file}");
    let c = campaign(&app, "5000", 0, json!({"review_kinds": ["grassroots"]})).await;
    let (_, a) = app
        .post(
            &format!("/api/v1/aid/campaigns/{c}/applications"),
            application(&m, "800"),
        )
        .await;
    let id = a["id"].as_str().unwrap();
    app.add_account("aid_cadre", "cadre", Some("D1"), None)
        .await;
    let b = browser(&app, "aid_cadre", TESTER_PASSWORD).await;
    // U1 reviews first: the district's cadre sees it among all, not among its own to review.
    let (s, html) = page(&b, &app, "/aid/applications").await;
    assert!(s == 200 && html.contains("待 甲公司工会 审核"), "{s}");
    let (s, html) = page(&b, &app, "/aid/applications?awaiting_me=true").await;
    assert!(s == 200 && html.contains("没有符合条件的申请"), "{s}");
    app.add_account("u1_cadre", "cadre", Some("U1"), None).await;
    let u1 = browser(&app, "u1_cadre", TESTER_PASSWORD).await;
    let (s, html) = page(&u1, &app, "/dashboard").await;
    assert!(
        s == 200 && html.contains("份帮扶申请等待本级审核"),
        "the 待办 of the reviewing union: {s}"
    );
    let (s, html) = page(&u1, &app, "/aid/applications?awaiting_me=true").await;
    assert!(s == 200 && html.contains("受助职工"), "{s}");
    let (s, html) = page(&b, &app, "/aid").await;
    assert!(
        s == 200 && html.contains("春节送温暖") && html.contains("5000.00"),
        "{s}"
    );
    let (s, html) = page(&b, &app, &format!("/aid/campaigns/{c}")).await;
    assert!(
        s == 200
            && html.contains("受助职工")
            && html.contains("800.00")
            && html.contains("待 甲公司工会 审核"),
        "{s}: {html}"
    );
    let (s, html) = page(&b, &app, &format!("/aid/applications/{id}")).await;
    assert!(
        s == 200 && html.contains("第 1 级 · 甲公司工会") && html.contains("6222****0123"),
        "{s}"
    );
    assert!(
        !html.contains("6222021234567890123"),
        "the account number is masked"
    );
    // Rejecting without a comment keeps the page with the message; approving moves it on.
    let csrf = csrf_in(&html);
    let send = |decision: &'static str, comment: &'static str| {
        let (b, url, csrf) = (
            b.clone(),
            app.url(&format!("/aid/applications/{id}/decision")),
            csrf.clone(),
        );
        async move {
            let r = b
                .post(url)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("version", "0"),
                    ("decision", decision),
                    ("comment", comment),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s, html) = send("reject", "").await;
    assert!(s == 422 && html.contains("不同意时请填写审核意见"), "{s}");
    let (s, html) = send("approve", "").await;
    assert!(s == 200 && html.contains("待发放"), "{s}: {html}");
    // The member sees the campaign open to them.
    let member_id: i64 = m.parse().unwrap();
    app.add_account("aid_member", "member", None, Some(member_id))
        .await;
    let mc = app.signed_in("aid_member", TESTER_PASSWORD).await;
    let (s, open) = app.get_as(&mc, "/api/v1/me/aid/campaigns").await;
    assert_eq!(
        (s, open[0]["name"].as_str()),
        (200, Some("春节送温暖")),
        "{open}"
    );
    let (s, html) = page(&b, &app, "/aid/files?review=overdue").await;
    assert!(s == 200 && html.contains("没有符合条件的档案"), "{s}");
    let (s, html) = page(&b, &app, "/aid/files?tier=deep").await;
    assert!(
        s == 200 && html.contains("受助职工") && html.contains("深度困难"),
        "{s}"
    );
    let (s, html) = page(
        &b,
        &app,
        &format!("/aid/files/{}", file["id"].as_str().unwrap()),
    )
    .await;
    assert!(
        s == 200 && html.contains("低于当地低保标准") && html.contains("医疗救助与子女助学"),
        "{s}"
    );
}

#[tokio::test]
async fn the_demo_year_of_aid_balances_and_its_figures_match_its_rows() {
    let app = spawn_app().await;
    gonghui::registry::demo::seed(&app.reg, 1500, 7, None)
        .await
        .unwrap();
    let t = today(&app);
    let r = gonghui::aid::demo::seed(&app.reg.db, &app.reg.keys, 1500, 7, t)
        .await
        .unwrap();
    assert!(
        r.files >= 20 && r.exited > 0 && r.campaigns == 3 && r.paid_lines > 100,
        "{r:?}"
    );
    assert!(r.mutual_units > 0 && r.mutual_claims > 0, "{r:?}");
    let paid_claims = app
        .scalar("SELECT COUNT(*) FROM mutual_claims WHERE status = 'paid'")
        .await;
    assert_eq!(paid_claims as u64, r.mutual_claims);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM hardship_files").await as u64,
        r.files
    );
    let v = gonghui::ledger::verify(&app.reg.db).await.unwrap();
    assert!(v.ok() && v.postings > 6, "{v:?}");
    // The figures of the last twelve months against the lines.
    let from = t - Duration::days(365);
    let (_, figs) = app
        .get(&format!("/api/v1/figures?from={from}&to={t}"))
        .await;
    let fig = |key: &str| {
        figs["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()["value"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(fig("aid.person_times") as u64, r.paid_lines);
    assert_eq!((fig("aid.amount") * 100.0).round() as i64, r.paid_fen);
    let persons = app
        .scalar("SELECT COUNT(DISTINCT member_id) FROM aid_payouts WHERE status = 'paid'")
        .await;
    assert_eq!(fig("aid.persons") as i64, persons);
    assert_eq!(fig("hardship.households") as u64, r.files - r.exited);
    // Every paid line's money is in 已发放, every cancelled line's back in its budget.
    let paid_account = app.scalar("SELECT CAST(COALESCE(SUM(balance_fen), 0) AS BIGINT) FROM ledger_accounts WHERE code = 'aid:paid'").await;
    assert_eq!(paid_account, r.paid_fen);
    assert_eq!(app.scalar("SELECT CAST(COALESCE(SUM(balance_fen), 0) AS BIGINT) FROM ledger_accounts WHERE code = 'aid:payable'").await, 0);
}

#[tokio::test]
async fn earlier_years_of_aid_come_in_from_a_spreadsheet_once_and_count_like_paid_lines() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    let t = today(&app);
    let y = t.format("%Y").to_string().parse::<i32>().unwrap();
    let (a, b) = ("历史职工甲", "历史职工乙");
    enroll(&app, a, 301, "U1").await;
    enroll(&app, b, 303, "U3").await;
    let (ida, idb) = (
        id_number("340402", "19800101", 301),
        id_number("340402", "19800101", 303),
    );
    let stranger = id_number("340402", "19800101", 305);
    let future = t + chrono::Duration::days(3);
    let header = "帮扶发放台账\n活动名称,活动类别,发放工会代码,受助人姓名,受助人身份证号,帮扶形式,金额,实物名称,发放日期\n";
    let bad = format!(
        "{header}\
         {py}年两节送温暖,两节送温暖,C,{a},{ida},现金,800,,{py}-01-20\n\
         {py}年两节送温暖,两节送温暖,C,{a},{ida},现金,800,,{py}-01-20\n\
         {py}年两节送温暖,两节送温暖,C,不在册,{stranger},现金,800,,{py}-01-20\n\
         {py}年两节送温暖,两节送温暖,C,错名字,{idb},现金,800,,{py}-01-20\n\
         {py}年夏送清凉,夏送清凉,C,{b},{idb},实物,120,,{py}-07-10\n\
         {py}年金秋助学,金秋助学,X9,{b},{idb},现金,2000,,{py}-08-30\n\
         {y}年两节送温暖,两节送温暖,C,{a},{ida},现金,0,,{y}-01-10\n\
         {y}年两节送温暖,两节送温暖,C,{a},{ida},现金,500,,{future}\n",
        py = y - 1
    );
    let s = app
        .import("aid_payouts", "bad.csv", bad.into_bytes(), "")
        .await;
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    let said = s.to_string();
    for words in [
        "与第3行是同一活动、同一人、同一天的同一金额",
        "不是在册会员",
        "姓名“历史职工乙”不一致",
        "实物帮扶请填写实物名称",
        "“X9”不存在或不在您的管理范围内",
        "金额应大于零",
        "发放日期不能晚于今天",
    ] {
        assert!(said.contains(words), "{words}: {said}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM aid_payouts").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM ledger_postings").await, 0);

    // Last year: 甲 twice in the festival campaign, 乙 once in kind; this year 甲 once.
    let good = format!(
        "{header}\
         {py}年两节送温暖,两节送温暖,C,{a},{ida},现金,800,,{py}-01-20\n\
         {py}年两节送温暖,两节送温暖,C,{a},{ida},现金,300.50,,{py}-02-05\n\
         {py}年夏送清凉,夏送清凉,C,{b},{idb},实物,120,防暑用品,{py}-07-10\n\
         {y}年两节送温暖,两节送温暖,C,{a},{ida},现金,500,,{y}-01-10\n",
        py = y - 1
    );
    let o = app.import_ok("aid_payouts", &good).await;
    assert_eq!(o["inserted"], 4, "{o}");
    let o = app.import_ok("aid_payouts", &good).await;
    assert_eq!(
        (o["inserted"].as_i64(), o["unchanged"].as_i64()),
        (Some(0), Some(4)),
        "{o}"
    );
    let v = gonghui::ledger::verify(&app.reg.db).await.unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    let figure = |org: &str, from: String, to: String, key: &'static str| {
        let app = &app;
        let org = org.to_string();
        async move {
            let (_, figs) = app
                .get(&format!("/api/v1/figures?org={org}&from={from}&to={to}"))
                .await;
            figs["figures"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["key"] == key)
                .unwrap()["value"]
                .as_f64()
                .unwrap()
        }
    };
    let last_year = (format!("{}-01-01", y - 1), format!("{}-12-31", y - 1));
    assert_eq!(
        figure(
            "C",
            last_year.0.clone(),
            last_year.1.clone(),
            "aid.person_times"
        )
        .await,
        3.0
    );
    assert_eq!(
        figure("C", last_year.0.clone(), last_year.1.clone(), "aid.persons").await,
        2.0
    );
    assert_eq!(
        figure("C", last_year.0.clone(), last_year.1.clone(), "aid.amount").await,
        1220.5
    );
    assert_eq!(
        figure(
            "D1",
            last_year.0.clone(),
            last_year.1.clone(),
            "aid.persons"
        )
        .await,
        1.0
    );
    let sheet = app
        .download_sheet(
            &format!(
                "/api/v1/aid/paid/export?org=C&from={}&to={}",
                last_year.0, last_year.1
            ),
            "帮扶发放台账",
        )
        .await;
    assert_eq!(sheet.len(), 1 + 3, "{sheet:?}");
    assert!(
        sheet.iter().any(|r| r.contains(&"防暑用品".to_string())),
        "{sheet:?}"
    );
    // This year from 1 January is read from the running totals: the imported line is in them.
    let this_year = (format!("{y}-01-01"), t.to_string());
    assert_eq!(
        figure(
            "C",
            this_year.0.clone(),
            this_year.1.clone(),
            "aid.person_times"
        )
        .await,
        1.0
    );
    assert_eq!(
        figure("D1", this_year.0, this_year.1, "aid.amount").await,
        500.0
    );
    // The campaigns of the history are closed: nobody applies to them.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM aid_campaigns WHERE status = 'closed' AND created_by = '历史导入'"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn the_console_makes_a_campaign_a_batch_and_records_what_the_bank_did() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    let t = today(&app);
    app.add_account("d1_aid", "cadre", Some("D1"), None).await;
    let b = browser(&app, "d1_aid", TESTER_PASSWORD).await;
    let (_, html) = page(&b, &app, "/aid").await;
    let csrf = csrf_in(&html);
    let send =
        |path: String, form: Vec<(&'static str, String)>| submit(&b, &app, path, &csrf, form);
    let mut form = vec![
        ("name", "冬季送温暖".to_string()),
        ("kind", "festival".into()),
        ("starts_on", (t - Duration::days(1)).to_string()),
        ("ends_on", t.to_string()),
        ("budget", "1000".into()),
        ("max_per_person", "5000".into()),
        ("tiers", "deep".into()),
        ("review_kinds", "district".into()),
        ("notice_days", "0".into()),
    ];
    // A cap above the budget is refused; the form comes back as typed.
    let (s, _, html) = send("/aid/campaigns".into(), form.clone()).await;
    assert!(
        s == 422 && html.contains("冬季送温暖") && html.contains(r#"value="deep" checked"#),
        "{s}: {html}"
    );
    form[5].1 = "600".into();
    let (s, landed, html) = send("/aid/campaigns".into(), form).await;
    assert!(
        s == 200 && landed.starts_with("/aid/campaigns/") && html.contains("冬季送温暖"),
        "{s} {landed}"
    );
    let campaign = landed.trim_start_matches("/aid/campaigns/").to_string();
    // The budget is topped up from the campaign's page; a top-up needs its source.
    let (s, _, html) = send(
        format!("/aid/campaigns/{campaign}/budget"),
        vec![("action", "top_up".into()), ("amount", "200".into())],
    )
    .await;
    assert!(s == 422 && html.contains("原因"), "{s}");
    let (s, _, html) = send(
        format!("/aid/campaigns/{campaign}/budget"),
        vec![
            ("action", "top_up".into()),
            ("amount", "200".into()),
            ("reason", "追加拨款".into()),
        ],
    )
    .await;
    assert!(s == 200 && html.contains("预算 1200.00 元"), "{s}: {html}");
    // Two applications approved by the district, then a batch from the console.
    let mut apps = Vec::new();
    for (i, seq) in [(0, 401), (1, 403)] {
        let m = enroll(&app, &format!("送温暖职工{}", cn(i)), seq, "U1").await;
        let (s, f) = app
            .post("/api/v1/aid/files", household(&m, "3000", vec![]))
            .await;
        assert_eq!(s, 201, "{f}");
        let (s, a) = app
            .post(
                &format!("/api/v1/aid/campaigns/{campaign}/applications"),
                application(&m, "400"),
            )
            .await;
        assert_eq!(s, 201, "{a}");
        decide(&app, a["id"].as_str().unwrap(), 0).await;
        apps.push(a["id"].as_str().unwrap().to_string());
    }
    let (s, landed, html) = send(format!("/aid/campaigns/{campaign}/batches"), vec![]).await;
    assert!(
        s == 200 && landed.starts_with("/aid/batches/") && html.contains("2 笔，合计 800.00 元"),
        "{s} {landed}: {html}"
    );
    let batch = landed.trim_start_matches("/aid/batches/").to_string();
    let lines: Vec<String> = sqlx::query_scalar::<_, i64>("SELECT id FROM aid_payouts ORDER BY id")
        .fetch_all(app.reg.db.pool())
        .await
        .unwrap()
        .iter()
        .map(i64::to_string)
        .collect();
    // The bank returns one (户名不符); it is sent again; then the bank confirms the rest.
    let (s, _, html) = send(
        format!("/aid/batches/{batch}/lines/{}", lines[0]),
        vec![("action", "failed".into()), ("reason", "".into())],
    )
    .await;
    assert_eq!(s, 422, "a failure needs its reason: {html}");
    let (s, _, html) = send(
        format!("/aid/batches/{batch}/lines/{}", lines[0]),
        vec![("action", "failed".into()), ("reason", "户名不符".into())],
    )
    .await;
    assert!(s == 200 && html.contains("户名不符"), "{s}");
    let (s, _, _) = send(
        format!("/aid/batches/{batch}/lines/{}", lines[0]),
        vec![("action", "retry".into())],
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, html) = send(format!("/aid/batches/{batch}/pay-all"), vec![]).await;
    assert!(
        s == 200 && html.contains("已发放 2 笔 800.00 元"),
        "{s}: {html}"
    );
    // The bank file downloads from the batch page's form, with its reason.
    let r = b
        .get(app.url(&format!(
            "/api/v1/aid/batches/{batch}/bank-file?format=csv&reason=报送银行"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v = gonghui::ledger::verify(&app.reg.db).await.unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM aid_applications WHERE status = 'paid'")
            .await,
        2
    );
}

#[tokio::test]
async fn the_console_files_a_household_and_lifts_it_out() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    enroll(&app, "建档职工", 501, "U1").await;
    app.add_account("d1_files", "cadre", Some("D1"), None).await;
    let b = browser(&app, "d1_files", TESTER_PASSWORD).await;
    let (s, html) = page(&b, &app, "/aid/files/new").await;
    assert_eq!(s, 200);
    let csrf = csrf_in(&html);
    let send =
        |path: String, form: Vec<(&'static str, String)>| submit(&b, &app, path, &csrf, form);
    let spouse = id_number("340402", "19820101", 502);
    let mut form = vec![
        ("worker_id", id_number("340402", "19800101", 599)),
        ("p0_health", "grave".to_string()),
        ("p0_work", "employed".into()),
        ("p1_name", "建档配偶".into()),
        ("p1_id_number", spouse.clone()),
        ("p1_relation", "spouse".into()),
        ("p1_work", "unemployed".into()),
        ("income", "6000".into()),
        ("causes", "illness".into()),
        ("plan", "医疗救助".into()),
        ("measures", "申请大病救助".into()),
    ];
    let (s, _, html) = send("/aid/files".into(), form.clone()).await;
    assert!(
        s == 422 && html.contains("没有找到该身份证号的会员") && html.contains("建档配偶"),
        "{s}"
    );
    assert!(!html.contains(&spouse), "ID numbers are not shown back");
    form[0].1 = id_number("340402", "19800101", 501);
    let (s, landed, html) = send("/aid/files".into(), form).await;
    assert!(
        s == 200
            && landed.starts_with("/aid/files/")
            && html.contains("家庭成员（2 人）")
            && html.contains("深度困难"),
        "{s} {landed}: {html}"
    );
    let version = {
        let at =
            html.find(r#"name="version" value=""#).unwrap() + r#"name="version" value=""#.len();
        html[at..at + html[at..].find('"').unwrap()].to_string()
    };
    let (s, _, html) = send(
        format!("{landed}/exit"),
        vec![("reason", "".into()), ("version", version.clone())],
    )
    .await;
    assert_eq!(s, 422, "an exit needs its reason: {html}");
    let (s, _, html) = send(
        format!("{landed}/exit"),
        vec![
            ("reason", "income_rose".into()),
            ("note", "配偶再就业".into()),
            ("version", version),
        ],
    )
    .await;
    assert!(
        s == 200 && html.contains("已解困脱困") && html.contains("收入提高"),
        "{s}: {html}"
    );
}

#[tokio::test]
async fn hardship_files_kept_before_come_in_from_a_spreadsheet_and_hold_the_one_active_file() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    let a = enroll(&app, "档案职工甲", 601, "U1").await;
    enroll(&app, "档案职工乙", 603, "U3").await;
    let (ida, idb) = (
        id_number("340402", "19800101", 601),
        id_number("340402", "19800101", 603),
    );
    let py = today(&app).year() - 1;
    let header = "困难职工档案\n建档工会代码,困难职工姓名,身份证号,家庭人口,家庭年收入,困难类别,致困原因,建档日期,最近复核日期,解困日期,解困原因\n";
    let bad = format!(
        "{header}\
         X9,档案职工甲,{ida},3,8000,深度困难,因病,2022-03-01,,,\n\
         U1,不在册,{stranger},3,8000,深度困难,因病,2022-03-01,,,\n\
         U1,错名字,{ida},3,8000,深度困难,因病,2022-03-01,,,\n\
         U1,档案职工甲,{ida},0,8000,深度困难,因病,2022-03-01,,,\n\
         U1,档案职工甲,{ida},3,8000,很困难,因病,2022-03-01,,,\n\
         U1,档案职工甲,{ida},3,8000,深度困难,因病,2022-03-01,,2023-06-30,\n\
         U1,档案职工甲,{ida},3,8000,深度困难,因病,2022-03-01,2021-01-01,,\n\
         U3,档案职工乙,{idb},3,9000,相对困难,因学,{py}-09-01,,,\n\
         U3,档案职工乙,{idb},3,9000,相对困难,因学,{py}-10-01,,,\n",
        stranger = id_number("340402", "19800101", 605),
    );
    let s = app
        .import("hardship_files", "bad.csv", bad.into_bytes(), "")
        .await;
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    let said = s.to_string();
    for words in [
        "“X9”不存在或不在您的管理范围内",
        "不是在册会员",
        "姓名“档案职工甲”不一致",
        "家庭人口应为1至20的整数",
        "“很困难”无法识别",
        "填写了解困日期，请填写解困原因",
        "早于建档日期",
        "一人只能有一份在档档案",
    ] {
        assert!(said.contains(words), "{words}: {said}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM hardship_files").await, 0);

    let good = format!(
        "{header}\
         U1,档案职工甲,{ida},3,8000,深度困难,因病、因学,2022-03-01,,2023-06-30,收入提高\n\
         U1,档案职工甲,{ida},2,6000,深度困难,因病,{py}-05-01,{py}-11-01,,\n\
         U3,档案职工乙,{idb},4,20000,相对困难,因学,{py}-09-01,,,\n",
    );
    let o = app.import_ok("hardship_files", &good).await;
    assert_eq!(o["inserted"], 3, "{o}");
    let o = app.import_ok("hardship_files", &good).await;
    assert_eq!(
        (o["inserted"].as_i64(), o["unchanged"].as_i64()),
        (Some(0), Some(3)),
        "{o}"
    );
    let figs = app
        .figure_values(&format!("org=C&from={py}-01-01&to={py}-12-31"))
        .await;
    let get = |key: &str| figs[key];
    assert_eq!(
        (
            get("hardship.households"),
            get("hardship.persons"),
            get("hardship.entered")
        ),
        (2.0, 6.0, 2.0)
    );
    let earlier = app
        .figure_values("org=C&from=2023-01-01&to=2023-12-31")
        .await;
    assert_eq!(earlier["hardship.exited"], 1.0);
    // The imported active file holds the person: a second one is refused.
    let (s, v) = app
        .post("/api/v1/aid/files", household(&a, "3000", vec![]))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("HARDSHIP_PERSON_ON_FILE")),
        "{v}"
    );
}

#[tokio::test]
async fn a_campaign_is_topped_up_and_closed_with_what_is_left_returned() {
    let app = spawn_app().await;
    aid_tree(&app).await;
    let c = campaign(
        &app,
        "1000",
        0,
        json!({"review_kinds": ["district"], "max_per_person": "800"}),
    )
    .await;
    let budget = |path: String, body: Value| {
        let app = &app;
        async move { app.post(&path, body).await }
    };
    let path = format!("/api/v1/aid/campaigns/{c}/budget");
    let (s, v) = budget(
        path.clone(),
        json!({"action": "top_up", "amount": "-5", "reason": "追加拨款"}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = budget(
        path.clone(),
        json!({"action": "top_up", "amount": "500", "reason": "市总追加拨款"}),
    )
    .await;
    assert_eq!(
        (s, v["budget_fen"].as_i64(), v["remaining_fen"].as_i64()),
        (200, Some(150_000), Some(150_000)),
        "{v}"
    );
    let m = enroll(&app, "结束活动职工", 701, "U1").await;
    let (s, a) = app
        .post(
            &format!("/api/v1/aid/campaigns/{c}/applications"),
            application(&m, "400"),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let (s, v) = budget(
        path.clone(),
        json!({"action": "close", "reason": "活动期满"}),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("AID_CAMPAIGN_BUSY")),
        "{v}"
    );
    decide(&app, a["id"].as_str().unwrap(), 0).await;
    // A second line goes to the bank with the first and is still waiting when the campaign ends.
    let late = enroll(&app, "未到账职工", 705, "U1").await;
    let (s, a2) = app
        .post(
            &format!("/api/v1/aid/campaigns/{c}/applications"),
            application(&late, "300"),
        )
        .await;
    assert_eq!(s, 201, "{a2}");
    decide(&app, a2["id"].as_str().unwrap(), 0).await;
    let (s, b) = app
        .post(&format!("/api/v1/aid/campaigns/{c}/batches"), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    let batch = b["id"].as_str().unwrap();
    let line: i64 = app.scalar("SELECT MIN(id) FROM aid_payouts").await;
    let waiting: i64 = app.scalar("SELECT MAX(id) FROM aid_payouts").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/batches/{batch}/results"),
            json!({"results": [{"line": line.to_string(), "outcome": "paid"}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let source_before = app
        .scalar("SELECT balance_fen FROM ledger_accounts WHERE code = 'aid:source'")
        .await;
    let (s, v) = budget(
        path.clone(),
        json!({"action": "close", "reason": "活动期满"}),
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str(), v["remaining_fen"].as_i64()),
        (200, Some("closed"), Some(0)),
        "{v}"
    );
    // 1,500 元 budgeted, 400 paid, 300 at the bank: 800 back in the fund.
    let source = || app.scalar("SELECT balance_fen FROM ledger_accounts WHERE code = 'aid:source'");
    assert_eq!(source().await, source_before + 80_000);
    // The waiting line cancelled after the end: its 300 go back to the fund as well, not to
    // the ended campaign's budget.
    let (s, v) = app
        .post(
            &format!("/api/v1/aid/batches/{batch}/lines/{waiting}"),
            json!({"action": "cancel", "reason": "账户已注销"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(source().await, source_before + 110_000);
    let (_, v) = app.get(&format!("/api/v1/aid/campaigns/{c}")).await;
    assert_eq!(v["campaign"]["remaining_fen"].as_i64(), Some(0), "{v}");
    let (s, v) = budget(
        path,
        json!({"action": "top_up", "amount": "1", "reason": "再追加"}),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("AID_CAMPAIGN_CLOSED")),
        "{v}"
    );
    let m2 = enroll(&app, "结束后申请", 703, "U1").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/aid/campaigns/{c}/applications"),
            application(&m2, "100"),
        )
        .await;
    assert!(
        s == 409 || s == 422,
        "a closed campaign takes no application: {s}"
    );
    let v = gonghui::ledger::verify(&app.reg.db).await.unwrap();
    assert!(v.ok(), "{:?}", v.problems);
}
