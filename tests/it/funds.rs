//! Union funds: the tax bureau's receipt file is taken whole or not at all (unknown firms,
//! repeated lines, future months refused), refunds follow the year's policy, need a second
//! person to approve and post every step, grants move money down on both books, and the 经审
//! view follows each posting to its document.

use serde_json::{Value, json};

use crate::helpers::*;

/// Four employers: 甲 small with a union (U1), 乙 small with a union (U3), 丙 not small (U1),
/// 丁 small without a union. Returns their credit codes.
async fn employers(app: &TestApp) -> [String; 4] {
    let codes = [
        uscc("91340400MA0000F01"),
        uscc("91340400MA0000F02"),
        uscc("91340400MA0000F03"),
        uscc("91340400MA0000F04"),
    ];
    for (code, name, small, org) in [
        (&codes[0], "甲小微公司", true, Some("U1")),
        (&codes[1], "乙小微公司", true, Some("U3")),
        (&codes[2], "丙大型公司", false, Some("U1")),
        (&codes[3], "丁未建会公司", true, None),
    ] {
        let mut body =
            json!({"uscc": code, "name": name, "employee_count": 12, "small_micro": small});
        match org {
            Some(o) => body["org_code"] = json!(o),
            None => body["region_code"] = json!("340402"),
        }
        let (s, v) = app.post("/api/v1/units", body).await;
        assert_eq!(s, 200, "{v}");
    }
    codes
}

fn year() -> i32 {
    use chrono::Datelike;
    chrono::Local::now().date_naive().year()
}

/// A receipt file: each (code, month of this year, amount).
fn receipt_file(lines: &[(&str, u32, &str)]) -> String {
    let mut csv = String::from(
        "税务机关代收工会经费明细\n统一社会信用代码,单位名称,所属期,实缴金额,入库日期\n",
    );
    for (code, month, amount) in lines {
        csv.push_str(&format!("{code},,{}年{month}月,{amount},\n", year()));
    }
    csv
}

async fn verify_ledger(app: &TestApp) {
    let v = gonghui::ledger::verify(&app.reg.db).await.unwrap();
    assert!(v.ok(), "{:?}", v.problems);
}

async fn balance(app: &TestApp, org: &str, code: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COALESCE(MAX(a.balance_fen), 0) FROM ledger_accounts a JOIN orgs o ON o.id = a.org_id WHERE o.code = $1 AND a.code = $2",
    )
    .bind(org)
    .bind(code)
    .fetch_one(app.reg.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_receipt_file_is_taken_whole_once_and_refuses_what_cannot_be_true() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let c = employers(&app).await;
    let future = {
        use chrono::Datelike;
        let next = chrono::Local::now().date_naive() + chrono::Duration::days(40);
        format!("{}-{:02}", next.year(), next.month())
    };
    let bad = format!(
        "统一社会信用代码,单位名称,所属期,实缴金额\n\
         {a},甲小微公司,{y}-01,1200.00\n\
         {unknown},不存在公司,{y}-01,300\n\
         {a},甲小微公司,{y}-01,1200.00\n\
         {b},乙小微公司,{future},500\n\
         {b},乙小微公司,{y}-01,-5\n\
         {c3},丙大型公司,{y}-01,12.345\n\
         {c3},丙大型公司,{y}-02,999999999999\n",
        a = c[0],
        b = c[1],
        c3 = c[2],
        unknown = uscc("91340400MA0000F99"),
        y = year(),
    );
    let s = app
        .import("fund_receipts", "bad.csv", bad.into_bytes(), "")
        .await;
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    let issues = s["outcome"]["issues"].as_array().unwrap();
    let on = |row: i64, words: &str| {
        assert!(
            issues.iter().any(|i| i["row"] == row
                && i["severity"] == "error"
                && i["message"].as_str().unwrap().contains(words)),
            "row {row} should say {words}: {s}"
        )
    };
    on(3, "单位名录中没有");
    on(4, "与第2行是同一单位的同一所属期");
    on(5, "晚于本月");
    on(6, "应大于零");
    on(7, "最多两位小数");
    on(8, "超过上限 1 亿元");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM fund_receipts").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM ledger_postings").await, 0);

    let good = receipt_file(&[
        (&c[0], 1, "1200"),
        (&c[1], 1, "800.50"),
        (&c[2], 1, "5000"),
        (&c[3], 1, "300"),
    ]);
    let o = app.import_ok("fund_receipts", &good).await;
    assert_eq!(o["inserted"], 4, "{o}");
    assert_eq!(balance(&app, "C", "funds:income").await, 730_050);
    assert_eq!(balance(&app, "C", "funds:tax").await, -730_050);
    // The same file again changes nothing; the same line with another amount is refused.
    let o = app.import_ok("fund_receipts", &good).await;
    assert_eq!(
        (o["inserted"].as_i64(), o["unchanged"].as_i64()),
        (Some(0), Some(4)),
        "{o}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM ledger_postings").await, 1);
    let s = app
        .import(
            "fund_receipts",
            "changed.csv",
            receipt_file(&[(&c[0], 1, "1300")]).into_bytes(),
            "",
        )
        .await;
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    assert!(s.to_string().contains("已导入 1200.00 元"), "{s}");
    // Listed where the employers belong: U1's subtree sees 甲 and 丙 only.
    let (st, v) = app
        .get(&format!(
            "/api/v1/funds/receipts?org=D1&from={}-01-01",
            year()
        ))
        .await;
    assert_eq!((st, v["total"].as_i64()), (200, Some(2)), "{v}");
    // The register exports in the import's columns: one row a line.
    let sheet = app
        .download_sheet(
            &format!("/api/v1/funds/receipts/export?org=C&from={}-01-01", year()),
            "税务代收工会经费",
        )
        .await;
    assert_eq!(
        (sheet.len(), sheet[0][0].as_str()),
        (5, "统一社会信用代码"),
        "{sheet:?}"
    );
    assert!(
        sheet.iter().any(|r| r.contains(&"800.50".to_string())),
        "{sheet:?}"
    );
    verify_ledger(&app).await;
}

async fn act(
    app: &TestApp,
    client: &reqwest::Client,
    ids: &[String],
    action: &str,
) -> (u16, Value) {
    app.post_as(
        client,
        "/api/v1/funds/refunds/act",
        json!({"ids": ids, "action": action, "reason": "核对发现重复"}),
    )
    .await
}

async fn refund_ids(app: &TestApp, status: &str) -> Vec<String> {
    let (s, v) = app
        .get(&format!(
            "/api/v1/funds/refunds?status={status}&per_page=100"
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn refunds_follow_the_policy_take_each_receipt_once_need_a_second_person_and_post_every_step()
{
    let app = spawn_app().await;
    app.seed_tree().await;
    let c = employers(&app).await;
    let y = year();
    app.import_ok(
        "fund_receipts",
        &receipt_file(&[
            (&c[0], 1, "1000"),
            (&c[0], 2, "1000.01"),
            (&c[1], 1, "600"),
            (&c[2], 1, "9000"),
            (&c[3], 1, "400"),
            (&c[0], 3, "500"),
            (&c[1], 3, "700"),
        ]),
    )
    .await;
    let compute = |from: u32, to: u32| json!({"year": y, "period_from": format!("{y}-{from:02}"), "period_to": format!("{y}-{to:02}")});
    let (s, v) = app
        .post("/api/v1/funds/refunds/compute", compute(1, 2))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("FUND_NO_POLICY")),
        "{v}"
    );
    let (s, v) = app
        .post(
            "/api/v1/funds/policies",
            json!({"year": y, "refund_pct": 60, "max_employees": 20}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app
        .post("/api/v1/funds/refunds/compute", compute(1, 2))
        .await;
    assert_eq!(s, 200, "{v}");
    // 甲 (two months) and 乙; 丙 is not small, 丁 has no union. 60%, fractions of a fen dropped:
    // 甲 200001 fen → 120000.6 → 120000; 乙 60000 → 36000.
    assert_eq!(
        (
            v["refunds"].as_i64(),
            v["refund_fen"].as_i64(),
            v["not_small"].as_i64(),
            v["no_union"].as_i64()
        ),
        (Some(2), Some(156_000), Some(1), Some(1)),
        "{v}"
    );
    let (_, again) = app
        .post("/api/v1/funds/refunds/compute", compute(1, 2))
        .await;
    assert_eq!(again["refunds"], 0, "a receipt is refunded once: {again}");
    let (s, v) = app
        .post(
            "/api/v1/funds/policies",
            json!({"year": y, "refund_pct": 100}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("FUND_POLICY_USED")),
        "{v}"
    );

    // Whoever computed cannot approve; a second cadre can, and the money moves to payable.
    let computed = refund_ids(&app, "computed").await;
    let postings = app.scalar("SELECT COUNT(*) FROM ledger_postings").await;
    let (s, v) = act(&app, &app.client, &computed, "approve").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (403, Some("FUND_SAME_PERSON")),
        "{v}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ledger_postings").await,
        postings
    );
    app.add_account("finance2", "cadre", Some("C"), None).await;
    let second = app.signed_in("finance2", TESTER_PASSWORD).await;
    let (s, v) = act(&app, &second, &computed, "pay").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("TRANSITION_REFUSED")),
        "{v}"
    );
    let income = balance(&app, "C", "funds:income").await;
    let (s, v) = act(&app, &second, &computed, "approve").await;
    assert_eq!((s, v["done"].as_i64()), (200, Some(2)), "{v}");
    assert_eq!(balance(&app, "C", "funds:income").await, income - 156_000);
    assert_eq!(balance(&app, "C", "funds:refunds:payable").await, 156_000);
    let (s, _) = act(&app, &second, &computed, "pay").await;
    assert_eq!(s, 200);
    assert_eq!(balance(&app, "C", "funds:refunds:payable").await, 0);
    assert_eq!(balance(&app, "C", "funds:refunds:paid").await, 156_000);
    // Each firm's union takes its refund in as income on its own books.
    assert_eq!(balance(&app, "U1", "funds:income").await, 120_000);
    assert_eq!(balance(&app, "U3", "funds:income").await, 36_000);
    let (s, v) = act(&app, &second, &computed[..1], "cancel").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("TRANSITION_REFUSED")),
        "paid stays paid: {v}"
    );

    // March: both again (家次 4, 家 2). One is cancelled after approval: its approval is
    // reversed and its receipt freed, so computing again takes it once more.
    let (_, v) = app
        .post("/api/v1/funds/refunds/compute", compute(3, 3))
        .await;
    assert_eq!(v["refunds"], 2, "{v}");
    let march = refund_ids(&app, "computed").await;
    act(&app, &second, &march, "approve").await;
    let (s, _) = act(&app, &second, &march[..1], "cancel").await;
    assert_eq!(s, 200);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ledger_postings WHERE reverses IS NOT NULL")
            .await,
        1
    );
    let (_, v) = app
        .post("/api/v1/funds/refunds/compute", compute(3, 3))
        .await;
    assert_eq!(v["refunds"], 1, "{v}");
    let ready = refund_ids(&app, "computed").await;
    act(&app, &second, &ready, "approve").await;
    let approved = refund_ids(&app, "approved").await;
    assert_eq!(approved.len(), 2);
    act(&app, &second, &approved, "pay").await;
    verify_ledger(&app).await;

    // The figures count 家次 and 家 apart, and the drill lists the same refunds.
    let (_, figs) = app
        .get(&format!(
            "/api/v1/figures?org=C&from={y}-01-01&to={}",
            chrono::Local::now().date_naive()
        ))
        .await;
    let get = |key: &str| {
        figs["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap_or_else(|| panic!("{key} in {figs}"))
            .clone()
    };
    // March: 甲 500 → 300, 乙 700 → 420.
    assert_eq!(get("funds.refund_times")["value"].as_f64(), Some(4.0));
    assert_eq!(get("funds.refund_firms")["value"].as_f64(), Some(2.0));
    assert_eq!(
        get("funds.refund_amount")["value"].as_f64(),
        Some(1560.0 + 720.0)
    );
    assert_eq!(get("funds.receipts")["value"].as_f64(), Some(13_200.01));
    assert_eq!(get("funds.paying_firms")["value"].as_f64(), Some(4.0));
    let drill = get("funds.refund_times")["drill"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, rows) = app.get(&drill).await;
    assert_eq!(rows["total"], 4, "{rows}");
    let sheet = app
        .download_sheet(
            &format!("/api/v1/funds/refunds/export?org=C&from={y}-01-01"),
            "小微企业经费返还",
        )
        .await;
    assert_eq!(sheet.len(), 1 + 4, "a row each refund paid: {sheet:?}");
    // Money held: the city's 工会经费 plus the unions' refunds received.
    let held = get("funds.held");
    let income_everywhere = app
        .scalar("SELECT CAST(SUM(balance_fen) AS BIGINT) FROM ledger_accounts WHERE code = 'funds:income'")
        .await;
    assert_eq!(
        held["value"].as_f64(),
        Some(income_everywhere as f64 / 100.0),
        "{held}"
    );
}

#[tokio::test]
async fn grants_move_money_down_on_both_books_and_the_auditor_follows_each_posting_to_its_document()
{
    let app = spawn_app().await;
    app.seed_tree().await;
    let c = employers(&app).await;
    app.import_ok(
        "fund_receipts",
        &receipt_file(&[(&c[0], 1, "1000"), (&c[1], 1, "500")]),
    )
    .await;
    let postings = app.scalar("SELECT COUNT(*) FROM ledger_postings").await;
    for (body, field) in [
        (
            json!({"to_org_code": "C", "amount": "100", "purpose": "建家补助"}),
            "受补助工会",
        ),
        (
            json!({"to_org_code": "U1", "amount": "0.001", "purpose": "建家补助"}),
            "补助金额",
        ),
        (json!({"to_org_code": "U1", "amount": "100"}), "用途"),
    ] {
        let (s, v) = app.post("/api/v1/funds/grants", body).await;
        assert_eq!(s, 422, "{v}");
        assert!(v.to_string().contains(field), "{field}: {v}");
    }
    let (s, v) = app
        .post(
            "/api/v1/funds/grants",
            json!({"to_org_code": "U1", "amount": "2000", "purpose": "建家补助"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("LEDGER_INSUFFICIENT")),
        "{v}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ledger_postings").await,
        postings,
        "nothing half-posted"
    );
    let (s, v) = app
        .post(
            "/api/v1/funds/grants",
            json!({"to_org_code": "U1", "amount": "800", "purpose": "职工之家建设补助"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(balance(&app, "C", "funds:income").await, 70_000);
    assert_eq!(balance(&app, "U1", "funds:income").await, 80_000);
    // A district cadre cannot grant from the city's books.
    app.add_account("d2cadre", "cadre", Some("D2"), None).await;
    let d2 = app.signed_in("d2cadre", TESTER_PASSWORD).await;
    let (s, v) = app
        .post_as(
            &d2,
            "/api/v1/funds/grants",
            json!({"from_org_code": "C", "to_org_code": "U3", "amount": "1", "purpose": "补助"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("不在您的管理范围内"), "{v}");

    // The auditor reads every posting in scope with the record behind it.
    app.add_account("auditor1", "auditor", Some("C"), None)
        .await;
    let auditor = app.signed_in("auditor1", TESTER_PASSWORD).await;
    let (s, page) = app.get_as(&auditor, "/api/v1/ledger/postings").await;
    assert_eq!((s, page["total"].as_i64()), (200, Some(3)), "{page}");
    let mut kinds = Vec::new();
    for p in page["rows"].as_array().unwrap() {
        let (s, d) = app
            .get_as(
                &auditor,
                &format!("/api/v1/ledger/postings/{}", p["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(s, 200, "{d}");
        let doc = &d["document"];
        kinds.push(doc["kind"].as_str().unwrap().to_string());
        match doc["kind"].as_str().unwrap() {
            "fund_import" => {
                assert_eq!(doc["receipts"].as_array().unwrap().len(), 2, "{d}");
                assert!(doc.to_string().contains("1500.00 元"), "{d}");
            }
            "fund_grant" => assert!(doc.to_string().contains("职工之家建设补助"), "{d}"),
            other => panic!("unexpected document {other}: {d}"),
        }
    }
    kinds.sort();
    assert_eq!(kinds, ["fund_grant", "fund_grant", "fund_import"]);
    // Read only, and a cadre of another district sees none of the city's postings.
    let (s, _) = app
        .post_as(
            &auditor,
            "/api/v1/funds/grants",
            json!({"to_org_code": "U1", "amount": "1", "purpose": "补助"}),
        )
        .await;
    assert_eq!(s, 403);
    let (_, theirs) = app.get_as(&d2, "/api/v1/ledger/postings").await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    verify_ledger(&app).await;
}

#[tokio::test]
async fn the_console_computes_approves_and_pays_refunds_and_the_auditor_reads_the_books() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let c = employers(&app).await;
    app.import_ok(
        "fund_receipts",
        &receipt_file(&[(&c[0], 1, "1000"), (&c[1], 1, "600")]),
    )
    .await;
    app.add_account("clerk", "cadre", Some("C"), None).await;
    app.add_account("approver", "cadre", Some("C"), None).await;
    let clerk = browser(&app, "clerk", TESTER_PASSWORD).await;
    let (s, html) = page(&clerk, &app, "/funds").await;
    assert!(
        s == 200 && html.contains("1600.00 元（2 家单位）"),
        "{s}: {html}"
    );
    let csrf = csrf_in(&html);
    let post = |c: &reqwest::Client, path: &str, form: Vec<(&'static str, String)>| {
        let (c, path, csrf, app) = (c.clone(), path.to_string(), csrf.clone(), &app);
        async move {
            let (status, _, html) = submit(&c, app, path, &csrf, form).await;
            (status, html)
        }
    };
    // Computing before a policy says what to do first; then the policy, then the refunds.
    let y = year().to_string();
    let (s, html) = post(&clerk, "/funds/refunds/compute", vec![("year", y.clone())]).await;
    assert!(s == 422 && html.contains("尚未设置"), "{s}");
    let (s, _) = post(
        &clerk,
        "/funds/policies",
        vec![
            ("year", y.clone()),
            ("refund_pct", "100".into()),
            ("requires_union", "yes".into()),
        ],
    )
    .await;
    assert_eq!(s, 200);
    let (s, html) = post(&clerk, "/funds/refunds/compute", vec![("year", y.clone())]).await;
    assert!(
        s == 200 && html.contains("甲小微公司") && html.contains("乙小微公司"),
        "{s}"
    );
    let ids: Vec<String> = html
        .match_indices(r#"name="ids" value=""#)
        .map(|(at, m)| {
            let rest = &html[at + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2, "{html}");
    let tick = |action: &str| {
        let mut f: Vec<(&'static str, String)> = ids.iter().map(|i| ("ids", i.clone())).collect();
        f.push(("action", action.to_string()));
        f
    };
    let (s, html) = post(&clerk, "/funds/refunds/act", tick("approve")).await;
    assert!(
        s == 403 || (s == 422 && html.contains("不同人员")),
        "{s}: {html}"
    );
    let approver = browser(&app, "approver", TESTER_PASSWORD).await;
    let (_, home) = page(&approver, &app, "/dashboard").await;
    assert!(
        home.contains("笔小微企业经费返还等待审批"),
        "the 待办 of a second cadre"
    );
    let csrf2 = csrf_in(&home);
    let mut f = tick("approve");
    f.push(("_csrf", csrf2));
    let r = approver
        .post(app.url("/funds/refunds/act"))
        .form(&f)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (s, _) = post(&clerk, "/funds/refunds/act", tick("pay")).await;
    assert_eq!(s, 200);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM fund_refunds WHERE status = 'paid'")
            .await,
        2
    );
    let (_, html) = page(&clerk, &app, "/funds?status=paid").await;
    assert!(html.contains("2 家次、2 家，1600.00 元"), "{html}");
    // A grant refused for want of money keeps the form's page with the reason.
    let (s, html) = post(
        &clerk,
        "/funds/grants",
        vec![
            ("to_org_code", "U1".into()),
            ("amount", "50".into()),
            ("purpose", "建家补助".into()),
        ],
    )
    .await;
    assert!(s == 422 && html.contains("余额不足"), "{s}");

    // The auditor: accounts and postings, a posting with its refund document; no funds work.
    app.add_account("auditor2", "auditor", Some("C"), None)
        .await;
    let auditor = browser(&app, "auditor2", TESTER_PASSWORD).await;
    let (s, html) = page(&auditor, &app, "/ledger").await;
    assert!(
        s == 200
            && html.contains("应返还小微企业经费")
            && html.contains("支付小微企业经费返还：甲小微公司"),
        "{s}"
    );
    let posting: i64 = app
        .scalar("SELECT MIN(id) FROM ledger_postings WHERE source_type = 'fund_refund'")
        .await;
    let (s, html) = page(&auditor, &app, &format!("/ledger/postings/{posting}")).await;
    assert!(
        s == 200
            && html.contains("原始单据：小微企业经费返还")
            && html.contains("审批人")
            && html.contains("<dd>已返还</dd>"),
        "{s}: {html}"
    );
    let (s, _) = page(&auditor, &app, "/funds").await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn earlier_refunds_come_in_from_a_spreadsheet_once_and_count_in_their_year() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let c = employers(&app).await;
    let py = year() - 1;
    let header = "统一社会信用代码,企业名称,返还日期,返还金额,已缴经费\n";
    let bad = format!(
        "{header}{a},甲小微公司,{py}-06-30,1000,800\n{unknown},,{py}-06-30,10,\n{a},,{py}-06-30,abc,\n{b},,2999-01-01,10,\n",
        a = c[0],
        b = c[1],
        unknown = uscc("91340400MA0000F98"),
    );
    let s = app
        .import("fund_refunds", "bad.csv", bad.into_bytes(), "")
        .await;
    assert_eq!(s["outcome"]["committed"], false, "{s}");
    let said = s.to_string();
    for words in [
        "大于已缴经费",
        "单位名录中没有",
        "金额格式不正确",
        "返还日期不能晚于今天",
    ] {
        assert!(said.contains(words), "{words}: {said}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM fund_refunds").await, 0);
    // 甲 twice (two half-years), 乙 once, 丙 once with a warning: not marked small.
    let good = format!(
        "{header}{a},,{py}-06-30,1000,1000\n{a},,{py}-12-20,1200.50,\n{b},,{py}-12-20,300,\n{c3},,{py}-12-20,50,\n",
        a = c[0],
        b = c[1],
        c3 = c[2],
    );
    let o = app.import_ok("fund_refunds", &good).await;
    assert_eq!(o["inserted"], 4, "{o}");
    assert!(o.to_string().contains("未标记为小微企业"), "{o}");
    let o = app.import_ok("fund_refunds", &good).await;
    assert_eq!(
        (o["inserted"].as_i64(), o["unchanged"].as_i64()),
        (Some(0), Some(4)),
        "{o}"
    );
    let figs = app
        .figure_values(&format!("org=C&from={py}-01-01&to={py}-12-31"))
        .await;
    let get = |key: &str| figs[key];
    assert_eq!(
        (
            get("funds.refund_times"),
            get("funds.refund_firms"),
            get("funds.refund_amount")
        ),
        (4.0, 3.0, 2550.5)
    );
    // Paid earlier: nothing left to approve, and the ledger holds them from the years carried.
    assert_eq!(balance(&app, "C", "funds:refunds:paid").await, 255_050);
    assert_eq!(balance(&app, "C", "funds:history").await, -255_050);
    verify_ledger(&app).await;
}

async fn refunds_with(app: &TestApp, status: &str) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM fund_refunds WHERE status = $1 ORDER BY id")
        .bind(status)
        .fetch_all(app.reg.db.pool())
        .await
        .unwrap()
}

/// Checks every invariant of the funds books after a step.
async fn invariants_hold(app: &TestApp, pct: i64, step: usize) {
    let db = app.reg.db.pool();
    let v = gonghui::ledger::verify(&app.reg.db).await.unwrap();
    assert!(v.ok(), "step {step}: {:?}", v.problems);
    // A refund holds exactly its receipts, and is their policy share rounded down to the fen.
    let refunds: Vec<(i64, String, i64, i64)> =
        sqlx::query_as("SELECT id, status, lines, refund_fen FROM fund_refunds")
            .fetch_all(db)
            .await
            .unwrap();
    for (id, status, lines, fen) in &refunds {
        let (n, sum): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM fund_receipts WHERE refund_id = $1",
        )
        .bind(id)
        .fetch_one(db)
        .await
        .unwrap();
        if status == "cancelled" {
            assert_eq!(n, 0, "step {step}: a cancelled refund frees its receipts");
        } else {
            assert_eq!(
                (n, sum * pct / 100),
                (*lines, *fen),
                "step {step}: refund {id}"
            );
        }
    }
    let total = |s: &str| -> i64 { refunds.iter().filter(|r| r.1 == s).map(|r| r.3).sum() };
    assert_eq!(
        balance(app, "C", "funds:refunds:payable").await,
        total("approved"),
        "step {step}"
    );
    assert_eq!(
        balance(app, "C", "funds:refunds:paid").await,
        total("paid"),
        "step {step}"
    );
    let receipts = app
        .scalar("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM fund_receipts")
        .await;
    let granted = app
        .scalar("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM fund_grants")
        .await;
    assert_eq!(
        balance(app, "C", "funds:income").await,
        receipts - total("approved") - total("paid") - granted,
        "step {step}: the city's fund is what came in less what went out"
    );
    // Every reversal nets its posting to zero on every account.
    let net = app
        .scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT l.account_id, SUM(l.amount_fen) AS s FROM ledger_lines l \
             JOIN ledger_postings r ON (r.id = l.posting_id OR r.reverses = l.posting_id) WHERE r.reverses IS NOT NULL \
             GROUP BY r.id, l.account_id) x WHERE x.s <> 0",
        )
        .await;
    assert_eq!(
        net, 0,
        "step {step}: a reversal and its posting net to zero"
    );
}

#[tokio::test]
async fn any_sequence_of_fund_operations_keeps_the_books_whole() {
    use gonghui::funds::{grants, refunds};
    use gonghui::registry::import::{ImportKind, ImportOptions, Progress, run};
    use std::sync::Arc;
    let app = spawn_app().await;
    app.seed_tree().await;
    let codes = employers(&app).await;
    let db = &app.reg.db;
    let clerk = gonghui::audit::Actor::system(&app.reg.keys, "经办");
    let approver = gonghui::audit::Actor::system(&app.reg.keys, "审批");
    let y = i64::from(year());
    let months = chrono::Datelike::month(&chrono::Local::now().date_naive());
    let pct = 70;
    let now = gonghui::db::now_ms();
    let today = chrono::Local::now().date_naive();
    refunds::set_policy(
        db,
        &clerk,
        &refunds::PolicyInput {
            year: Some(y),
            refund_pct: Some(pct),
            ..Default::default()
        },
        now,
    )
    .await
    .unwrap();
    let mut rng = Lcg(16);
    let mut imported = std::collections::HashSet::new();
    let mut done = [0usize; 6];
    for step in 0..60 {
        // Receipts first, then any step.
        let op = if step < 6 { 0 } else { rng.below(6) as usize };
        let ok = match op {
            0 => {
                let (e, m) = (
                    rng.below(4) as usize,
                    1 + rng.below(u64::from(months)) as u32,
                );
                if !imported.insert((e, m)) {
                    continue;
                }
                let fen = 1 + rng.below(500_000);
                let csv = format!(
                    "统一社会信用代码,所属期,实缴金额\n{},{y}-{m:02},{}.{:02}\n",
                    codes[e],
                    fen / 100,
                    fen % 100
                );
                let (o, _) = run(
                    &app.reg,
                    &clerk,
                    ImportKind::FundReceipts,
                    Arc::new(csv.into_bytes()),
                    &ImportOptions::default(),
                    Arc::new(Progress::default()),
                )
                .await
                .unwrap();
                o.committed
            }
            1 => {
                let from = 1 + rng.below(u64::from(months));
                let to = from + rng.below(u64::from(months) - from + 1);
                refunds::compute(
                    db,
                    &clerk,
                    &refunds::ComputeInput {
                        year: Some(y),
                        period_from: Some(format!("{y}-{from:02}")),
                        period_to: Some(format!("{y}-{to:02}")),
                        ..Default::default()
                    },
                    now,
                )
                .await
                .is_ok()
            }
            2..=4 => {
                let (from, action, who) = match op {
                    2 => ("computed", "approve", &approver),
                    3 => ("approved", "pay", &clerk),
                    _ => (
                        if rng.below(2) == 0 {
                            "computed"
                        } else {
                            "approved"
                        },
                        "cancel",
                        &clerk,
                    ),
                };
                let all = refunds_with(&app, from).await;
                let mut ids: Vec<String> = all
                    .iter()
                    .filter(|_| rng.below(2) == 0)
                    .map(|i| i.to_string())
                    .collect();
                match all.first() {
                    None => continue,
                    Some(first) if ids.is_empty() => ids.push(first.to_string()),
                    Some(_) => {}
                }
                let r = refunds::act(
                    db,
                    who,
                    &refunds::ActInput {
                        ids,
                        action: action.into(),
                        reason: Some("随机撤销".into()),
                    },
                    today,
                    now,
                )
                .await;
                match r {
                    Ok(_) => true,
                    // Approving more than the fund holds (after grants) is refused whole.
                    Err(e) => {
                        assert_eq!(e.code(), "LEDGER_INSUFFICIENT", "step {step}: {e:?}");
                        false
                    }
                }
            }
            _ => {
                let amount = format!("{}", 1 + rng.below(3_000));
                match grants::grant(
                    db,
                    &clerk,
                    &grants::GrantInput {
                        to_org_code: Some("U1".into()),
                        amount: Some(amount),
                        purpose: Some("补助".into()),
                        ..Default::default()
                    },
                    today,
                    now,
                )
                .await
                {
                    Ok(_) => true,
                    Err(e) => {
                        assert_eq!(e.code(), "LEDGER_INSUFFICIENT", "step {step}: {e:?}");
                        false
                    }
                }
            }
        };
        if ok {
            done[op] += 1;
        }
        invariants_hold(&app, pct, step).await;
    }
    assert!(
        done.iter().all(|n| *n > 0),
        "every kind of step happened: {done:?}"
    );
}
