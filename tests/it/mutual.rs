//! Medical mutual aid: an employer enrols at least the plan's share of its members (or says
//! why not), contributions go to the pool, claims within the term and the rules go up the
//! review chain and are paid from the pool, never past a person's cap even at once.

use serde_json::{Value, json};

use crate::helpers::*;

async fn unit_with_members(app: &TestApp, n: u32) -> (String, Vec<String>) {
    let (s, v) = app
        .post("/api/v1/units", json!({"uscc": uscc("91340400MA0000077"), "name": "互助测试厂", "employee_count": 20, "org_code": "U1"}))
        .await;
    assert_eq!(s, 200, "{v}");
    let unit = v["id"].as_str().unwrap().to_string();
    let mut members = Vec::new();
    for i in 0..n {
        let (s, m) = app
            .post("/api/v1/members", json!({"name": format!("互助职工{}", ["甲", "乙", "丙", "丁", "戊"][i as usize]), "id_number": id_number("340402", "19850101", 21 + 2 * i),
                "org_code": "U1", "unit_uscc": uscc("91340400MA0000077"), "joined_on": "2020-01-01"}))
            .await;
        assert_eq!(s, 200, "{m}");
        members.push(m["member"]["id"].as_str().unwrap().to_string());
    }
    (unit, members)
}

async fn plan(app: &TestApp, cap: &str) -> String {
    let t = chrono::Local::now().date_naive();
    let (s, v) = app
        .post("/api/v1/mutual/plans", json!({
            "org_code": "D1", "name": "职工住院医疗互助", "term_start": (t - chrono::Duration::days(60)).to_string(),
            "term_end": (t + chrono::Duration::days(300)).to_string(), "contribution": "60", "deductible": "500", "share_pct": 50,
            "cap": cap, "review_kinds": ["grassroots", "district"],
        }))
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_string()
}

fn claim(member: &str, on: &str, expense: &str) -> Value {
    json!({"member_id": member, "illness": "住院治疗", "occurred_on": on, "expense": expense})
}

#[tokio::test]
async fn an_employer_enrols_its_share_and_claims_are_paid_within_the_rules() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (unit, members) = unit_with_members(&app, 5).await;
    let p = plan(&app, "1000").await;
    // Three of five (60%) without a reason: refused, nothing written.
    let three = json!({"unit_id": unit, "member_ids": members[..3]});
    let (s, v) = app
        .post(
            &format!("/api/v1/mutual/plans/{p}/enrolments"),
            three.clone(),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("MUTUAL_BELOW_SHARE")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("60%"), "{v}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM mutual_enrolments").await,
        0
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM ledger_postings").await, 0);
    let mut with_reason = three;
    with_reason["override_reason"] = json!("两人已参加商业医疗保险");
    let (s, e) = app
        .post(
            &format!("/api/v1/mutual/plans/{p}/enrolments"),
            with_reason.clone(),
        )
        .await;
    assert_eq!(
        (
            s,
            e["enrolled"].as_i64(),
            e["unit_members"].as_i64(),
            e["contribution_fen"].as_i64()
        ),
        (201, Some(3), Some(5), Some(18_000)),
        "{e}"
    );
    let (s, v) = app
        .post(&format!("/api/v1/mutual/plans/{p}/enrolments"), with_reason)
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("MUTUAL_ENROLLED")),
        "{v}"
    );
    let today = chrono::Local::now().date_naive().to_string();
    // Claims: a member not enrolled, a day outside the term, under the deductible, above the rules.
    let (s, v) = app
        .post(
            &format!("/api/v1/mutual/plans/{p}/claims"),
            claim(&members[4], &today, "800"),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("MUTUAL_NOT_ENROLLED")),
        "{v}"
    );
    let long_ago = (chrono::Local::now().date_naive() - chrono::Duration::days(90)).to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/mutual/plans/{p}/claims"),
            claim(&members[0], &long_ago, "800"),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("MUTUAL_OUTSIDE_TERM")),
        "{v}"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/mutual/plans/{p}/claims"),
            claim(&members[0], &today, "500"),
        )
        .await;
    assert!(
        s == 422 && v["message"].as_str().unwrap().contains("起付线"),
        "{v}"
    );
    let mut asked = claim(&members[0], &today, "800");
    asked["amount"] = json!("150.01");
    let (s, v) = app
        .post(&format!("/api/v1/mutual/plans/{p}/claims"), asked)
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("MUTUAL_ABOVE_CAP")),
        "50% of 300 is 150.00: {v}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM mutual_claims").await, 0);
    // A claim within the rules: 50% of (800 − 500) = 150 元, reviewed twice, paid from the pool.
    let (s, c) = app
        .post(
            &format!("/api/v1/mutual/plans/{p}/claims"),
            claim(&members[0], &today, "800"),
        )
        .await;
    assert_eq!(
        (s, c["payable_fen"].as_i64(), c["reviewing_org"].as_str()),
        (201, Some(15_000), Some("甲公司工会")),
        "{c}"
    );
    let id = c["id"].as_str().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/mutual/claims/{id}/decision"),
            json!({"decision": "approve", "version": 0}),
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["reviewing_org"].as_str()),
        (200, Some("reviewing"), Some("一区总工会")),
        "{v}"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/mutual/claims/{id}/decision"),
            json!({"decision": "approve", "version": 1}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("paid")), "{v}");
    let (_, pl) = app.get(&format!("/api/v1/mutual/plans/{p}")).await;
    assert_eq!(pl["pool_fen"], 3_000, "180 − 150 元 left: {pl}");
    // The next claim is more than the pool holds: its approval is refused and writes nothing.
    let (_, c2) = app
        .post(
            &format!("/api/v1/mutual/plans/{p}/claims"),
            claim(&members[1], &today, "1000"),
        )
        .await;
    let id2 = c2["id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/mutual/claims/{id2}/decision"),
            json!({"decision": "approve", "version": 0}),
        )
        .await;
    assert_eq!(s, 200);
    let postings = app.scalar("SELECT COUNT(*) FROM ledger_postings").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/mutual/claims/{id2}/decision"),
            json!({"decision": "approve", "version": 1}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("MUTUAL_POOL_SHORT")),
        "{v}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ledger_postings").await,
        postings
    );
    let (_, d) = app.get(&format!("/api/v1/mutual/claims/{id2}")).await;
    assert_eq!(d["claim"]["status"], "reviewing", "{d}");
    // A rejection frees the cap it held.
    let (s, v) = app
        .post(
            &format!("/api/v1/mutual/claims/{id2}/decision"),
            json!({"decision": "reject", "comment": "材料不全", "version": 1}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("rejected")), "{v}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT claimed_fen FROM mutual_enrollees WHERE member_id = {}",
            members[1]
        ))
        .await,
        0
    );
    // The figures and their drills.
    let (_, figs) = app.get("/api/v1/figures?org=C").await;
    for (key, value) in [
        ("mutual.units", 1.0),
        ("mutual.persons", 3.0),
        ("mutual.contributions", 180.0),
        ("mutual.claims", 1.0),
        ("mutual.paid", 150.0),
    ] {
        let f = figs["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap();
        assert_eq!(f["value"].as_f64(), Some(value), "{key}: {f}");
        let (s, rows) = app.get(f["drill"].as_str().unwrap()).await;
        assert_eq!(s, 200, "{key}");
        if f["unit"] != "yuan" {
            assert_eq!(rows["total"].as_f64(), Some(value), "{key}: {rows}");
        }
    }
    assert!(gonghui::ledger::verify(&app.reg.db).await.unwrap().ok());
}

#[tokio::test]
async fn claims_at_once_never_pass_a_persons_cap() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (unit, members) = unit_with_members(&app, 1).await;
    let p = plan(&app, "1000").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/mutual/plans/{p}/enrolments"),
            json!({"unit_id": unit}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // Six claims of 600 元 each (50% of 1,700 − 500) against a cap of 1,000 元, at once: the
    // first gets 600, the second what is left (400), the others nothing.
    let today = chrono::Local::now().date_naive().to_string();
    let statuses = app
        .post_concurrently(
            &format!("/api/v1/mutual/plans/{p}/claims"),
            vec![claim(&members[0], &today, "1700"); 6],
        )
        .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        2,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409 || *s == 422),
        "{statuses:?}"
    );
    let held = app
        .scalar("SELECT CAST(COALESCE(SUM(payable_fen), 0) AS BIGINT) FROM mutual_claims")
        .await;
    assert_eq!(held, 100_000);
    assert_eq!(
        app.scalar("SELECT claimed_fen FROM mutual_enrollees").await,
        100_000
    );
}

#[tokio::test]
async fn the_console_sets_up_a_plan_enrols_an_employer_and_decides_a_claim() {
    let app = spawn_app().await;
    app.seed_tree().await;
    unit_with_members(&app, 2).await;
    app.add_account("d1_mutual", "cadre", Some("D1"), None)
        .await;
    let b = browser(&app, "d1_mutual", TESTER_PASSWORD).await;
    let (s, html) = page(&b, &app, "/mutual").await;
    assert!(s == 200 && html.contains("还没有互助计划"), "{s}");
    let csrf = csrf_in(&html);
    let send =
        |path: String, form: Vec<(&'static str, String)>| submit(&b, &app, path, &csrf, form);
    let t = chrono::Local::now().date_naive();
    let mut plan = vec![
        ("name", "职工住院互助".to_string()),
        ("term_start", (t - chrono::Duration::days(10)).to_string()),
        ("term_end", (t + chrono::Duration::days(355)).to_string()),
        ("contribution", "600".into()),
        ("deductible", "500".into()),
        ("share_pct", "150".into()),
        ("cap", "10000".into()),
    ];
    let (s, _, html) = send("/mutual".into(), plan.clone()).await;
    assert!(
        s == 422 && html.contains("赔付比例应在1%至100%之间") && html.contains("职工住院互助"),
        "{s}"
    );
    plan[5].1 = "50".into();
    let (s, landed, _) = send("/mutual".into(), plan).await;
    assert!(
        s == 200 && landed.starts_with("/mutual/plans/"),
        "{s} {landed}"
    );
    // Enrol by credit code: a wrong one is said on the page; the right one enrols both members.
    let (s, _, html) = send(
        format!("{landed}/enrolments"),
        vec![("uscc", uscc("91340400MA0000078"))],
    )
    .await;
    assert!(s >= 400 && html.contains("单位"), "{s}: {html}");
    let (s, _, html) = send(
        format!("{landed}/enrolments"),
        vec![("uscc", uscc("91340400MA0000077"))],
    )
    .await;
    assert!(
        s == 200 && html.contains("互助测试厂") && html.contains("1200.00"),
        "{s}: {html}"
    );
    // A claim by the member's ID number; an unknown number is said and not shown back.
    let stranger = id_number("340402", "19850101", 99);
    let (s, _, html) = send(
        format!("{landed}/claims"),
        vec![
            ("id_number", stranger.clone()),
            ("illness", "住院".into()),
            ("occurred_on", t.to_string()),
            ("expense", "1500".into()),
        ],
    )
    .await;
    assert!(
        s == 422 && html.contains("没有找到该身份证号的会员") && !html.contains(&stranger),
        "{s}"
    );
    let (s, claim, html) = send(
        format!("{landed}/claims"),
        vec![
            ("id_number", id_number("340402", "19850101", 21)),
            ("illness", "住院".into()),
            ("occurred_on", t.to_string()),
            ("expense", "1500".into()),
        ],
    )
    .await;
    assert!(
        s == 200 && claim.starts_with("/mutual/claims/") && html.contains("赔付 500.00 元"),
        "{s} {claim}: {html}"
    );
    let (s, _, html) = send(
        format!("{claim}/decision"),
        vec![("decision", "reject".into()), ("version", "0".into())],
    )
    .await;
    assert!(s == 422 && html.contains("审核意见"), "{s}: {html}");
    let (s, _, html) = send(
        format!("{claim}/decision"),
        vec![("decision", "approve".into()), ("version", "0".into())],
    )
    .await;
    assert!(s == 200 && html.contains("已赔付"), "{s}: {html}");
    let (_, html) = page(&b, &app, &landed).await;
    assert!(
        html.contains("互助金余额 700.00 元"),
        "the pool paid the claim: {html}"
    );
    // The invoice goes up on the claim's page; a file of another kind than its name says is
    // refused there with why.
    let upload = |name: &'static str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
        b.post(app.url(&format!("{claim}/attachments?_csrf={csrf}")))
            .multipart(form)
            .send()
    };
    let r = upload("发票.pdf", b"%PDF-1.4 invoice".to_vec())
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("附件已上传") && html.contains("发票.pdf"),
        "{html}"
    );
    let r = upload("出院小结.pdf", b"not a pdf".to_vec()).await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let file_id: i64 = app.scalar("SELECT MAX(id) FROM attachments").await;
    let (s, body) = page(&b, &app, &format!("{claim}/attachments/{file_id}")).await;
    assert!(s == 200 && body.starts_with("%PDF"), "{s}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM attachments").await, 1);
    // The claim is counted on the dashboard and listed behind the figure, and in the register.
    let (_, html) = page(&b, &app, "/dashboard?org=D1").await;
    assert!(
        html.contains("医疗互助理赔（人次）") && html.contains("/figures/mutual.claims?"),
        "{html}"
    );
    let (s, html) = page(&b, &app, "/figures/mutual.claims?org=D1").await;
    assert!(
        s == 200 && html.contains("1人次") && html.contains("住院") && html.contains("500.00"),
        "{s}: {html}"
    );
    let sheet = app
        .download_sheet("/api/v1/mutual/claims/export?org=D1", "医疗互助理赔台账")
        .await;
    assert_eq!(
        sheet.len(),
        2,
        "the header and the one claim paid: {sheet:?}"
    );
    assert_eq!(sheet[1][0], "职工住院互助");
    assert_eq!(sheet[1][7], "500.00", "{sheet:?}");
}

#[tokio::test]
async fn claims_paid_before_come_in_from_a_spreadsheet_within_the_term_and_the_cap() {
    let app = spawn_app().await;
    app.seed_tree().await;
    unit_with_members(&app, 2).await;
    let y = chrono::Datelike::year(&chrono::Local::now().date_naive()) - 1;
    // Last year's plan, set up first (a past term), with a cap of 1,000 元.
    let (s, v) = app
        .post("/api/v1/mutual/plans", json!({
            "org_code": "D1", "name": format!("{y}年住院互助"), "term_start": format!("{y}-01-01"), "term_end": format!("{y}-12-31"),
            "contribution": "60", "share_pct": 50, "cap": "1000",
        }))
        .await;
    assert_eq!(s, 201, "{v}");
    let (ida, idb) = (
        id_number("340402", "19850101", 21),
        id_number("340402", "19850101", 23),
    );
    let header = "互助计划名称,主办工会代码,职工姓名,身份证号,病种或治疗,就诊日期,医疗费用,赔付金额,赔付日期\n";
    let bad = format!(
        "{header}\
         不存在的计划,D1,互助职工甲,{ida},住院,{y}-03-01,3000,600,{y}-03-20\n\
         {y}年住院互助,D1,互助职工甲,{ida},住院,{py}-12-01,3000,600,{y}-01-20\n\
         {y}年住院互助,D1,互助职工甲,{ida},住院,{y}-03-01,3000,600,{y}-02-20\n\
         {y}年住院互助,D1,互助职工甲,{ida},住院,{y}-03-01,300,600,{y}-03-20\n\
         {y}年住院互助,D1,互助职工乙,{idb},住院,{y}-03-01,3000,600,{y}-03-20\n\
         {y}年住院互助,D1,互助职工乙,{idb},住院,{y}-05-01,3000,600,{y}-05-20\n",
        py = y - 1
    );
    let s = app
        .import("mutual_claims", "bad.csv", bad.into_bytes(), "")
        .await;
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    let said = s.to_string();
    for words in [
        "请先在“医疗互助”中建立该计划",
        "不在计划保障期",
        "赔付日期早于就诊日期",
        "大于医疗费用",
        "将超过每人最高 1000.00 元",
    ] {
        assert!(said.contains(words), "{words}: {said}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM mutual_claims").await, 0);
    let good = format!(
        "{header}\
         {y}年住院互助,D1,互助职工甲,{ida},住院,{y}-03-01,3000,600,{y}-03-20\n\
         {y}年住院互助,D1,互助职工甲,{ida},门诊特殊病,{y}-06-01,1000,400,{y}-06-20\n\
         {y}年住院互助,D1,互助职工乙,{idb},住院,{y}-05-01,2000,700.50,{y}-05-20\n"
    );
    let o = app.import_ok("mutual_claims", &good).await;
    assert_eq!(o["inserted"], 3, "{o}");
    let o = app.import_ok("mutual_claims", &good).await;
    assert_eq!(
        (o["inserted"].as_i64(), o["unchanged"].as_i64()),
        (Some(0), Some(3)),
        "{o}"
    );
    // 甲 reached the cap: one more yuan is refused.
    let more =
        format!("{header}{y}年住院互助,D1,互助职工甲,{ida},住院,{y}-09-01,100,1,{y}-09-10\n");
    let s = app
        .import("mutual_claims", "more.csv", more.into_bytes(), "")
        .await;
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    let figs = app
        .figure_values(&format!("org=D1&from={y}-01-01&to={y}-12-31"))
        .await;
    let get = |key: &str| figs[key];
    assert_eq!((get("mutual.claims"), get("mutual.paid")), (3.0, 1700.5));
    let v = gonghui::ledger::verify(&app.reg.db).await.unwrap();
    assert!(v.ok(), "{:?}", v.problems);
}
