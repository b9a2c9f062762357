//! The console as cadres work: one set of rules for the form, the API and the import; lists
//! with their totals, a page jump and exports of exactly the list on screen; the
//! full-information export with a reason.

use serde_json::json;

use crate::helpers::*;

/// Every message a form shows under its fields.
fn field_errors(html: &str) -> Vec<String> {
    html.split(r#"class="field-error""#)
        .skip(1)
        .map(|rest| {
            let text = &rest[rest.find('>').unwrap() + 1..];
            text[..text.find("</p>").unwrap()].to_string()
        })
        .collect()
}

#[tokio::test]
async fn the_form_the_api_and_the_import_refuse_the_same_join_dates() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let born_1995 = id_number("340402", "19950606", 31);
    let child = id_number("340402", "20150606", 33);
    // The API: a join date before the 16th birthday, and an 11-year-old joining today.
    for (id, joined) in [(&born_1995, Some("1990-01-01")), (&child, None)] {
        let mut body = json!({ "name": "赵六", "id_number": id, "org_code": "U1" });
        if let Some(j) = joined {
            body["joined_on"] = json!(j);
        }
        let (s, v) = app.post("/api/v1/members", body).await;
        assert_eq!(s, 422, "{v}");
        assert!(v.to_string().contains("未满16周岁"), "{v}");
    }
    // The import refuses the same row with the same words.
    let csv = format!("姓名,身份证号,所属工会代码,入会日期\n赵六,{born_1995},U1,1990-01-01\n");
    let job = app.import("members", "m.csv", csv.into_bytes(), "").await;
    assert!(job.to_string().contains("未满16周岁"), "{job}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 0);

    // The console form: three mistakes, three messages at once, everything typed kept.
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (_, form) = page(&c, &app, "/members/new").await;
    let csrf = csrf_in(&form);
    let r = c
        .post(app.url("/members/new"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "赵六"),
            ("id_number", born_1995.as_str()),
            ("mobile", "1381234"),
            ("org_code", "NOPE"),
            ("joined_on", "1990-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    let errors = field_errors(&html);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("手机号")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("NOPE")), "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("未满16周岁")),
        "{errors:?}"
    );
    assert!(html.contains(&format!(r#"value="{born_1995}""#)), "ID kept");
    assert!(html.contains(r#"value="1381234""#), "mobile kept");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 0);
}

#[tokio::test]
async fn enrolling_an_active_member_again_says_that_nothing_changed() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = id_number("340402", "19900101", 41);
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (_, form) = page(&c, &app, "/members/new").await;
    let csrf = csrf_in(&form);
    let submit = |name: &'static str| {
        let (c, url, csrf, id) = (c.clone(), app.url("/members/new"), csrf.clone(), id.clone());
        async move {
            let r = c
                .post(url)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("name", name),
                    ("id_number", id.as_str()),
                    ("org_code", "U1"),
                    ("joined_on", "2020-01-01"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.text().await.unwrap()
        }
    };
    assert!(submit("钱七").await.contains("已登记入会"));
    let again = submit("钱七").await;
    assert!(again.contains("信息与登记一致，没有任何变化"), "unchanged");
    assert!(!again.contains("已登记入会"));
    let renamed = submit("钱柒").await;
    assert!(
        renamed.contains("没有重复入会"),
        "updated, not enrolled twice"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM memberships").await, 1);
}

async fn enrol_many(app: &TestApp, n: u32) {
    let mut csv = String::from("姓名,身份证号,所属工会代码,入会日期\n");
    for i in 0..n {
        let name = if i % 2 == 0 { "张甲" } else { "李乙" };
        csv.push_str(&format!(
            "{name},{},U1,2020-01-01\n",
            id_number("340402", "19900101", 100 + i)
        ));
    }
    app.import_ok("members", &csv).await;
}

#[tokio::test]
async fn lists_show_their_total_a_page_jump_and_export_exactly_what_is_listed() {
    let app = spawn_app().await;
    app.seed_tree().await;
    enrol_many(&app, 120).await;
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (_, html) = page(&c, &app, "/members").await;
    assert!(html.contains("共 <strong>120</strong> 人"), "total");
    assert!(
        html.contains("第 1 / 3 页") && html.contains(r#"name="page""#),
        "jump"
    );
    // Searched: the total, the pages and the export follow the search.
    let (_, html) = page(&c, &app, "/members?q=zhangjia").await;
    assert!(html.contains("共 <strong>60</strong> 人"), "searched total");
    assert!(html.contains("第 1 / 2 页"));
    let href = html
        .split("href=\"")
        .map(|h| &h[..h.find('"').unwrap()])
        .find(|h| h.starts_with("/api/v1/exports/members?"))
        .expect("an export link")
        .replace("&amp;", "&");
    assert!(href.contains("q=zhangjia"), "{href}");
    let rows = app.download_sheet(&href, "会员名册").await;
    assert_eq!(rows.len() - 1, 60, "exported exactly the list");
    assert!(rows[1..].iter().all(|r| r.contains(&"张甲".to_string())));
    // A page past the end shows the last page.
    let (_, html) = page(&c, &app, "/members?q=zhangjia&page=99").await;
    assert!(html.contains("第 2 / 2 页"));
    // Employers and the audit log count too.
    let (_, html) = page(&c, &app, "/units").await;
    assert!(html.contains("共 <strong>"), "employers total");
}

#[tokio::test]
async fn a_full_export_asks_why_and_records_it() {
    let app = spawn_app().await;
    app.seed_tree().await;
    enrol_many(&app, 4).await;
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (_, list) = page(&c, &app, "/members?q=lǐ").await;
    assert!(
        !list.contains("导出完整信息"),
        "nothing found, nothing offered"
    );
    let (_, list) = page(&c, &app, "/members?q=liyi").await;
    assert!(list.contains("/members/export-full?q=liyi"));
    let (s, form) = page(&c, &app, "/members/export-full?q=liyi").await;
    assert_eq!(s, 200);
    assert!(
        form.contains("将导出 <strong>2</strong> 人"),
        "says how many"
    );
    let csrf = csrf_in(&form);
    let r = c
        .post(app.url("/members/export-full"))
        .form(&[("_csrf", csrf.as_str()), ("q", "liyi"), ("reason", " ")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("请说明"));
    let r = c
        .post(app.url("/members/export-full"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("q", "liyi"),
            ("reason", "报送困难职工帮扶名单"),
            ("format", "csv"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = String::from_utf8(r.bytes().await.unwrap().to_vec()).unwrap();
    let full = id_number("340402", "19900101", 101);
    assert!(text.contains(&full), "full values");
    assert_eq!(text.lines().count(), 3, "header and the two listed");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'export.members_full' AND detail LIKE '%报送困难职工帮扶名单%'")
            .await,
        1
    );
    // A cadre without the permission is not offered it and cannot reach it.
    app.add_account("viewer", "auditor", None, None).await;
    let v = app.signed_in("viewer", TESTER_PASSWORD).await;
    let r = v
        .get(app.url("/members/export-full?q=liyi"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn rows_written_before_the_search_columns_get_them_at_the_next_start() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = id_number("340402", "19900101", 51);
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({ "name": "孙八", "id_number": id, "org_code": "U1", "joined_on": "2020-01-01" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // As a database of the previous version holds them.
    for sql in [
        "UPDATE members SET id_tail = NULL",
        "UPDATE orgs SET name_pinyin = NULL, name_initials = NULL",
    ] {
        sqlx::query(sql).execute(app.reg.db.pool()).await.unwrap();
    }
    let (_, page) = app.get(&format!("/api/v1/members?q={}", &id[12..])).await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 0);
    let filled = gonghui::registry::search::backfill(&app.reg.db, &app.reg.keys)
        .await
        .unwrap();
    assert!(filled >= 1);
    let (_, page) = app.get(&format!("/api/v1/members?q={}", &id[12..])).await;
    assert_eq!(page["rows"][0]["name"], "孙八");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM orgs WHERE name_pinyin IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn a_reveal_is_recorded_once_and_reloading_or_going_back_shows_it_no_more() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let idn = id_number("340402", "19900101", 61);
    let (_, v) = app
        .post(
            "/api/v1/members",
            json!({ "name": "周九", "id_number": idn, "org_code": "U1", "joined_on": "2020-01-01", "mobile": "13700001111" }),
        )
        .await;
    let id = v["member"]["id"].as_str().unwrap().to_string();
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (_, html) = page(&c, &app, &format!("/members/{id}")).await;
    let csrf = csrf_in(&html);
    let r = c
        .post(app.url(&format!("/members/{id}/reveal")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("reason", "核对医疗互助申请人身份"),
        ])
        .send()
        .await
        .unwrap();
    // The post answered with a redirect to the member's page, which shows the values once.
    assert_eq!(r.url().path(), format!("/members/{id}"));
    assert_eq!(r.headers()["cache-control"], "no-store");
    let shown = r.text().await.unwrap();
    assert!(shown.contains(&idn) && shown.contains("13700001111"));
    let (_, again) = page(&c, &app, &format!("/members/{id}")).await;
    assert!(!again.contains(&idn), "reloaded: masked again");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'member.reveal'")
            .await,
        1,
        "one reveal, one record"
    );
}

#[tokio::test]
async fn a_password_half_is_shown_once_on_the_page_the_post_leads_to() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("sysadm", "sysadmin", None, None).await;
    let c = app.signed_in("sysadm", TESTER_PASSWORD).await;
    let (_, form) = page(&c, &app, "/accounts/new").await;
    let csrf = csrf_in(&form);
    let r = c
        .post(app.url("/accounts/new"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", "newcadre"),
            ("display_name", "新干部"),
            ("role", "cadre"),
            ("org_code", "D1"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.url().path().starts_with("/accounts/"), "{}", r.url());
    let shown = r.text().await.unwrap();
    assert!(shown.contains("初始口令第一段"), "shown after the redirect");
    let path = format!(
        "/accounts/{}",
        app.scalar("SELECT id FROM accounts WHERE username = 'newcadre'")
            .await
    );
    let (_, again) = page(&c, &app, &path).await;
    assert!(
        !again.contains("初始口令第一段"),
        "reloaded: not shown again"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE username = 'newcadre'")
            .await,
        1
    );
    let (_, list) = page(&c, &app, "/accounts").await;
    let n = app.scalar("SELECT COUNT(*) FROM accounts").await;
    assert!(
        list.contains(&format!("共 <strong>{n}</strong> 个账号")),
        "the account list counts"
    );
}

#[tokio::test]
async fn signing_out_tells_the_browser_to_drop_its_copies_of_pages() {
    let app = spawn_app().await;
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("username", "tester"),
            ("password", TESTER_PASSWORD),
            ("next", "/account"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (s, home) = page(&c, &app, "/account").await;
    assert_eq!(s, 200);
    let r = c
        .post(app.url("/logout"))
        .form(&[("_csrf", csrf_in(&home).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["clear-site-data"], "\"cache\"");
    assert_eq!(r.headers()["location"], "/login?why=logged_out");
    // What the back button asks for again now leads to the sign-in page.
    let r = c.get(app.url("/members")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

#[tokio::test]
async fn the_dashboard_has_periods_year_on_year_parts_that_add_up_and_a_to_do() {
    use chrono::Datelike;
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = chrono::Local::now().date_naive();
    let y = today.year();
    let enrol = |name: &'static str, seq: u32, org: &'static str, joined: String| {
        let app = &app;
        async move {
            let (s, v) = app
                .post(
                    "/api/v1/members",
                    json!({ "name": name, "id_number": id_number("340402", "19700101", seq), "org_code": org, "joined_on": joined }),
                )
                .await;
            assert_eq!(s, 200, "{v}");
            v["member"]["id"].as_str().unwrap().to_string()
        }
    };
    let a = enrol("甲", 72, "U1", "2020-01-01".into()).await;
    let b = enrol("乙", 73, "U1", format!("{}-06-01", y - 1)).await;
    enrol("丙", 75, "U3", today.to_string()).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{a}/events"),
            json!({ "event": "retire", "on": today.to_string() }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{b}/transfers"),
            json!({ "to_org": "U3" }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    for (body17, org) in [
        ("91340400MA0000101", Some("U1")),
        ("91340400MA0000102", None),
    ] {
        let mut unit =
            json!({ "uscc": uscc(body17), "name": format!("单位{body17}"), "employee_count": 10 });
        if let Some(o) = org {
            unit["org_code"] = json!(o);
        }
        let (s, v) = app.post("/api/v1/units", unit).await;
        assert_eq!(s, 200, "{v}");
    }
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (s, html) = page(&c, &app, "/dashboard").await;
    assert_eq!(s, 200);
    assert!(html.contains(&format!("统计期 {y}-01-01 至 {today}")));
    assert!(html.contains("同比"), "a year earlier has records");
    assert!(html.contains("期内退休") && html.contains("女职工会员") && html.contains("期初会员"));
    assert!(
        html.contains("建会率") && html.contains("50.00%"),
        "one of two employers has a union"
    );
    assert!(html.contains("1 份转入申请等待接收或退回"), "to-do");
    let (_, transfers) = page(&c, &app, "/transfers").await;
    assert!(
        transfers.contains("共 1 份"),
        "the transfer lists count too"
    );
    // The parts: 入会 +1, 退休 −1, nothing unexplained, net 0 = 2 − 2.
    let changes = &html[html.find(r#"id="changes""#).unwrap()..];
    let changes = &changes[..changes.find("</section>").unwrap()];
    assert!(
        changes.contains("入会</a></th><td class=\"num\">+1"),
        "{changes}"
    );
    assert!(
        changes.contains("退休</a></th><td class=\"num\">-1"),
        "{changes}"
    );
    assert!(!changes.contains("其他"), "{changes}");
    assert!(
        changes.contains("figure=left_alive") && changes.contains("figure=deceased"),
        "离会 and 去世 each open their own list: {changes}"
    );
    assert!(
        changes.contains("净增</th><td class=\"num\">+0"),
        "{changes}"
    );
    // Last year, and a period that cannot be.
    let (_, html) = page(&c, &app, "/dashboard?period=last_year").await;
    assert!(html.contains(&format!("统计期 {}-01-01 至 {}-12-31", y - 1, y - 1)));
    let (s, html) = page(
        &c,
        &app,
        "/dashboard?period=custom&from=2026-05-01&to=2026-04-01",
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("统计开始日期不能晚于结束日期"));
    // The statistics table of the period, with a year earlier beside it.
    let rows = app
        .download_sheet(
            &format!("/dashboard/statistics.xlsx?org=C&from={y}-01-01&to={today}"),
            "统计表",
        )
        .await;
    let row = rows
        .iter()
        .find(|r| r[0] == "期末会员（人）")
        .expect("a members row");
    assert_eq!((row[1].as_str(), row[2].as_str()), ("2", "2"), "{row:?}");
    let retired = rows.iter().find(|r| r[0] == "期内退休（人）").unwrap();
    assert_eq!(retired[1], "1");
}

#[tokio::test]
async fn a_union_page_lists_its_officers_employers_and_sub_unions_in_code_order() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (s, v) = app
        .post(
            "/api/v1/units",
            json!({ "uscc": uscc("91340400MA0000201"), "name": "甲公司", "employee_count": 120, "org_code": "U1" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (_, html) = page(&c, &app, "/orgs/U1").await;
    assert!(
        html.contains("甲公司") && html.contains("共 1 家"),
        "covered employers"
    );
    let csrf = csrf_in(&html);
    let r = c
        .post(app.url("/orgs/U1/officers"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("position", "会长"),
            ("name", "王芳"),
            ("mobile", "1381234"),
            ("since", "2999-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert_eq!(
        html.matches(r#"class="field-error""#).count(),
        3,
        "three at once"
    );
    assert!(html.contains(r#"value="王芳""#), "typed name kept");
    let r = c
        .post(app.url("/orgs/U1/officers"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("position", "主席"),
            ("name", "王芳"),
            ("mobile", "13812345678"),
            ("since", "2023-03-01"),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("王芳") && html.contains("138****5678"));
    assert!(!html.contains("13812345678"), "the mobile shown masked");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'org.officer_add'")
            .await,
        1
    );
    // Sub-unions in code order.
    let (_, html) = page(&c, &app, "/orgs/C").await;
    let (d1, d2) = (html.find(">D1<").unwrap(), html.find(">D2<").unwrap());
    assert!(d1 < d2, "D1 before D2");
}

#[tokio::test]
async fn the_audit_log_reads_in_chinese_and_lists_every_failed_sign_in_under_failures() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("auditor1", "auditadmin", None, None).await;
    app.add_account("sec", "secadmin", None, None).await;
    app.add_account("clerk", "officer", Some("D1"), None).await;
    let login = |user: &'static str, pw: &'static str| {
        let (c, url) = (app.anonymous(), app.url("/api/v1/auth/login"));
        async move {
            let r = c
                .post(url)
                .json(&json!({ "username": user, "password": pw }))
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
                c,
            )
        }
    };
    // An unknown user, a wrong password, a wrong TOTP code, and a locked account.
    login("nobody", "whatever-1234").await;
    login("clerk", "wrong-password-1").await;
    let (_, v, c) = login("sec", TESTER_PASSWORD).await;
    let r = c
        .post(app.url("/api/v1/auth/totp"))
        .header("x-csrf-token", v["csrf_token"].as_str().unwrap())
        .json(&json!({ "code": "000000" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    for _ in 0..5 {
        login("clerk", "wrong-password-1").await;
    }
    let (s, _, _) = login("clerk", TESTER_PASSWORD).await;
    assert_eq!(s, 423, "locked");
    // Something with a member as its target.
    let (_, m) = app
        .post(
            "/api/v1/members",
            json!({ "name": "吴十", "id_number": id_number("340402", "19900101", 81), "org_code": "U1", "joined_on": "2020-01-01" }),
        )
        .await;
    assert_eq!(m["outcome"], "inserted", "{m}");

    let a = app.signed_in("auditor1", TESTER_PASSWORD).await;
    let (_, html) = page(&a, &app, "/audit?outcome=not_ok").await;
    for words in [
        "用户名不存在",
        "密码错误",
        "动态口令错误",
        "账号锁定期间尝试登录",
    ] {
        assert!(html.contains(words), "{words} under 失败");
    }
    assert!(!html.contains("登记入会"), "only failures");
    let (_, html) = page(&a, &app, "/audit?action=member.").await;
    assert!(
        html.contains("登记入会") && html.contains("会员 吴*"),
        "action and target in words"
    );
    assert!(html.contains("新登记"), "details as a sentence");
    assert!(!html.contains("member.enrol</td>"), "no raw action codes");
    assert!(!html.contains("{&quot;"), "no raw JSON");
}

#[tokio::test]
async fn past_imports_are_listed_with_who_what_and_their_error_report() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let csv = format!(
        "姓名,身份证号,所属工会代码,入会日期\n郑一,{},U1,2020-01-01\n郑二,123,U1,2020-01-01\n",
        id_number("340402", "19900101", 91)
    );
    let job = app
        .import("members", "三月名单.csv", csv.into_bytes(), "")
        .await;
    assert_eq!(job["outcome"]["committed"], false, "{job}");
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (s, html) = page(&c, &app, "/imports/history").await;
    assert_eq!(s, 200);
    // The seeded unions, then this file.
    assert!(
        html.contains("三月名单.csv") && html.contains("tester"),
        "file and who"
    );
    assert!(html.contains("有错误，未写入"));
    let link = html
        .split("href=\"")
        .map(|h| &h[..h.find('"').unwrap()])
        .find(|h| h.ends_with("/errors.xlsx"))
        .expect("a report link")
        .to_string();
    let r = c.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"), "an XLSX");
    // Kept encrypted (it holds the refused rows as typed), and each download recorded.
    let kept: Vec<u8> = sqlx::query_scalar(
        "SELECT error_report FROM import_batches WHERE error_report IS NOT NULL",
    )
    .fetch_one(app.reg.db.pool())
    .await
    .unwrap();
    assert!(!kept.starts_with(b"PK"), "not stored as a plain workbook");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'import.report_download'")
            .await,
        1
    );
    // Another district's cadre does not see it.
    app.add_account("d2cadre", "cadre", Some("D2"), None).await;
    let d2 = app.signed_in("d2cadre", TESTER_PASSWORD).await;
    let (_, html) = page(&d2, &app, "/imports/history").await;
    assert!(!html.contains("三月名单.csv"));
    let r = d2.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

async fn json_of(c: &reqwest::Client, app: &TestApp, path: &str) -> serde_json::Value {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.json().await.unwrap()
}

fn values(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn pickers_suggest_only_what_the_chooser_may_choose() {
    let app = spawn_app().await;
    app.seed_tree().await;
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    let d1 = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    // Unions in the cadre's district, by pinyin, initials, name or code.
    assert_eq!(
        values(&json_of(&d1, &app, "/pick/unions?q=jia").await),
        ["U1"]
    );
    assert_eq!(
        values(&json_of(&d1, &app, "/pick/unions?q=jgs").await),
        ["U1"]
    );
    assert_eq!(
        values(&json_of(&d1, &app, "/pick/unions?q=乙").await),
        ["U2"]
    );
    assert_eq!(
        values(&json_of(&d1, &app, "/pick/unions?q=u").await),
        ["U1", "U2"]
    );
    assert!(
        values(&json_of(&d1, &app, "/pick/unions?q=丙").await).is_empty(),
        "another district"
    );
    // Unions that take members only, for enrolment.
    assert_eq!(
        values(&json_of(&d1, &app, "/pick/unions?q=工会&members=1").await),
        ["U1", "U2"]
    );
    // A transfer may go to any union that takes members, anywhere.
    assert_eq!(
        values(&json_of(&d1, &app, "/pick/receiving-unions?q=丙").await),
        ["U3"]
    );
    assert!(values(&json_of(&d1, &app, "/pick/receiving-unions?q=区").await).is_empty());
    // Administrators binding accounts see every union and may browse the tree.
    app.add_account("sysadm", "sysadmin", None, None).await;
    let admin = app.signed_in("sysadm", TESTER_PASSWORD).await;
    assert_eq!(
        values(&json_of(&admin, &app, "/pick/account-unions?q=er").await),
        ["D2"]
    );
    let (s, html) = page(&admin, &app, "/pick/tree?back=/accounts/new").await;
    assert_eq!(s, 200);
    assert!(html.contains("测试市总工会") && html.contains("/accounts/new?org_code=C"));
    let (_, html) = page(&admin, &app, "/pick/tree?root=C&back=https://evil.example/").await;
    assert!(html.contains("一区总工会") && html.contains("/accounts/new?org_code=D1"));
    assert!(
        !html.contains("evil.example/?"),
        "goes back to an account form only"
    );
    let (_, form) = page(&admin, &app, "/accounts/new?org_code=D1").await;
    assert!(
        form.contains(r#"name="org_code" value="D1""#),
        "the choice fills the form"
    );
    let r = admin
        .get(app.url("/pick/unions?q=jia"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "administrators read no union lists beyond binding"
    );
}

#[tokio::test]
async fn accepting_a_transfer_sets_the_new_employer_or_clears_the_old() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let unit = |body17: &'static str, org: &'static str| {
        let app = &app;
        async move {
            let code = uscc(body17);
            let (s, v) = app
                .post("/api/v1/units", json!({ "uscc": code, "name": format!("{org}单位"), "employee_count": 10, "org_code": org }))
                .await;
            assert_eq!(s, 200, "{v}");
            code
        }
    };
    let (old_unit, new_unit) = (
        unit("91340400MA0000301", "U1").await,
        unit("91340400MA0000302", "U3").await,
    );
    let mut members = Vec::new();
    for seq in [111, 113] {
        let (s, v) = app
            .post(
                "/api/v1/members",
                json!({ "name": "冯十一", "id_number": id_number("340402", "19900101", seq), "org_code": "U1",
                        "joined_on": "2020-01-01", "unit_uscc": old_unit }),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        members.push(v["member"]["id"].as_str().unwrap().to_string());
    }
    app.add_account("d2cadre", "cadre", Some("D2"), None).await;
    let d2 = app.signed_in("d2cadre", TESTER_PASSWORD).await;
    for (member, body) in [
        (&members[0], json!({ "unit_uscc": new_unit })),
        (&members[1], json!({})),
    ] {
        let (s, t) = app
            .post(
                &format!("/api/v1/members/{member}/transfers"),
                json!({ "to_org": "U3" }),
            )
            .await;
        assert_eq!(s, 201, "{t}");
        let (s, v) = app
            .post_as(
                &d2,
                &format!("/api/v1/transfers/{}/accept", t["id"].as_str().unwrap()),
                body,
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (_, a) = app
        .get_as(&d2, &format!("/api/v1/members/{}", members[0]))
        .await;
    assert_eq!(a["member"]["unit_uscc"], new_unit.as_str(), "{a}");
    let (_, b) = app
        .get_as(&d2, &format!("/api/v1/members/{}", members[1]))
        .await;
    assert!(
        b["member"]["unit_uscc"].is_null(),
        "old employer cleared: {b}"
    );
    // An employer the receiving side cannot see is refused, and nothing changes.
    let (_, t) = app
        .post(
            &format!("/api/v1/members/{}/transfers", members[1]),
            json!({ "to_org": "U1" }),
        )
        .await;
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    let d1 = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    let (s, v) = app
        .post_as(
            &d1,
            &format!("/api/v1/transfers/{}/accept", t["id"].as_str().unwrap()),
            json!({ "unit_uscc": new_unit }),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM transfers WHERE status = 'pending'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_broad_search_counts_up_to_its_bound_and_says_more() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let mut csv = String::from("姓名,身份证号,所属工会代码,入会日期\n");
    for i in 0..2010u32 {
        // Birth days move on so that every sequence number stays three digits.
        let birth = format!("1980{:02}{:02}", 1 + (i / 28) % 12, 1 + i % 28);
        csv.push_str(&format!(
            "张甲,{},U1,2020-01-01\n",
            id_number("340402", &birth, 100 + i / 336)
        ));
    }
    app.import_ok("members", &csv).await;
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (_, html) = page(&c, &app, "/members").await;
    assert!(
        html.contains("共 <strong>2,010</strong> 人</p>"),
        "a whole subtree: exact"
    );
    let (_, html) = page(&c, &app, "/members?q=zhangjia").await;
    assert!(
        html.contains("共 <strong>2,000</strong> 人以上"),
        "a search: its bound, and more"
    );
    assert!(html.contains(r#"rel="next""#), "pages go on past the bound");
    let (_, html) = page(&c, &app, "/members?q=zhangjia&page=41").await;
    assert!(
        html.contains("张甲"),
        "the people past the bound are listed too"
    );
    assert!(!html.contains(r#"rel="next""#), "the bound's last page");
    let (_, html) = page(&c, &app, "/members?q=zhangjia&page=99999").await;
    assert!(
        html.contains("第 41 页"),
        "a letters search stops at its bound's last page"
    );
}

#[tokio::test]
async fn a_whole_id_number_searched_for_never_appears_in_a_url() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let idn = id_number("340402", "19900101", 131);
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({ "name": "褚十二", "id_number": idn, "org_code": "U1", "joined_on": "2020-01-01" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (_, list) = page(&c, &app, "/members").await;
    let spaced = format!("{} {}", &idn[..6], &idn[6..]);
    let r = c
        .post(app.url("/members/find"))
        .form(&[("_csrf", csrf_in(&list).as_str()), ("q", spaced.as_str())])
        .send()
        .await
        .unwrap();
    let url = r.url().to_string();
    assert!(url.contains("qt=") && !url.contains(&idn[6..14]), "{url}");
    let html = r.text().await.unwrap();
    assert!(html.contains("褚十二") && html.contains("共 <strong>1</strong> 人"));
    assert!(
        !html.contains("/api/v1/exports/members?"),
        "no export of a one-person search"
    );
    let links: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .map(|h| &h[..h.find('"').unwrap()])
        .collect();
    assert!(
        links.iter().all(|l| !l.contains(&idn[6..14])),
        "no link carries the number"
    );
    // Paging or reloading the token's URL works for this session only.
    let (s, again) = page(&c, &app, &url[url.find("/members").unwrap()..]).await;
    assert_eq!(s, 200);
    assert!(again.contains("褚十二"));
    let other = browser(&app, "tester", TESTER_PASSWORD).await;
    let (s, html) = page(&other, &app, &url[url.find("/members").unwrap()..]).await;
    assert_eq!(s, 422);
    assert!(html.contains("这次查询已过期"));
    // Typed into the address bar: answered with the token's URL at once.
    let r = c
        .get(app.url(&format!("/members?q={idn}")))
        .send()
        .await
        .unwrap();
    assert!(r.url().as_str().contains("qt=") && !r.url().as_str().contains(&idn));
    // A spaced number in an export's audit record is masked like an unspaced one.
    let (s, _) = app
        .get(&format!(
            "/api/v1/exports/members?q={}",
            urlencode("1990 0101")
        ))
        .await;
    assert_eq!(s, 200);
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'export.members' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(app.reg.db.pool())
    .await
    .unwrap();
    assert!(!detail.contains("1990 0101"), "{detail}");
}

#[tokio::test]
async fn employers_without_a_union_are_seen_by_the_federation_of_their_area_only() {
    let app = spawn_app().await;
    app.seed_tree().await;
    for (code, region) in [("D1", "340402"), ("D2", "340403")] {
        let (s, v) = app.get(&format!("/api/v1/orgs/{code}")).await;
        assert_eq!(s, 200, "{v}");
        let mut body =
            json!({ "code": code, "name": v["name"], "kind": v["kind"], "region_code": region });
        body["founded_on"] = v["founded_on"].clone();
        let (s, v) = app.put(&format!("/api/v1/orgs/{code}"), body).await;
        assert_eq!(s, 200, "{v}");
    }
    for (body17, name, region) in [
        ("91340400MA0000401", "一区未建会单位", "340402"),
        ("91340400MA0000402", "二区未建会单位", "340403"),
    ] {
        let (s, v) = app
            .post(
                "/api/v1/units",
                json!({ "uscc": uscc(body17), "name": name, "employee_count": 9, "region_code": region }),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    let d1 = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    let (_, html) = page(&d1, &app, "/units?uncovered=true").await;
    assert!(html.contains("一区未建会单位") && !html.contains("二区未建会单位"));
    // Not through a union below whose region was pointed elsewhere: region codes nest.
    let (s, v) = app
        .put_as(
            &d1,
            "/api/v1/orgs/S1",
            json!({ "code": "S1", "name": "一街道工会联合会", "kind": "street", "region_code": "340403" }),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("不在上级工会"), "{v}");
    let (_, html) = page(&d1, &app, "/units?uncovered=true&org=U1").await;
    assert!(!html.contains("未建会单位"), "a company union sees no area");
}
