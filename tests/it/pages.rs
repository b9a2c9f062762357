//! The console through HTTP: sign-in by form, every main page for a permitted role, refusals
//! for others, the caller's subtree only, inline validation, CSRF on forms, escaping, and the
//! transfer flow between two unions' cadres.

use serde_json::json;

use crate::helpers::*;

async fn enrol(app: &TestApp, name: &str, id: &str, org: &str) -> String {
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({ "name": name, "id_number": id, "org_code": org, "joined_on": "2020-01-01" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["member"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_cadre_signs_in_and_every_main_page_renders() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = enrol(&app, "张三丰", &id_number("340402", "19900101", 11), "U1").await;
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (s, home) = page(&c, &app, "/").await;
    assert_eq!(s, 200);
    assert!(
        home.contains("工作台") && home.contains("<svg"),
        "dashboard with charts"
    );
    for (path, expect) in [
        ("/orgs", "一区总工会"),
        ("/orgs?q=甲", "甲公司工会"),
        ("/orgs/S1", "一街道工会联合会"),
        ("/units", "用人单位"),
        ("/members?q=zsf", "张三丰"),
        (&format!("/members/{id}") as &str, "会籍记录"),
        (&format!("/members/{id}/edit") as &str, "修改会员信息"),
        ("/members/new", "登记会员"),
        ("/transfers", "转会"),
        ("/imports", "下载模板"),
        ("/drill?figure=joined", "期内新入会"),
        ("/account", "我的账号"),
    ] {
        let (s, html) = page(&c, &app, path).await;
        assert_eq!(s, 200, "{path}");
        assert!(html.contains(expect), "{path} shows {expect}");
        assert!(
            !html.contains("340402199001"),
            "{path}: ID numbers are masked"
        );
    }
    // A union's page names the unions above it, top first.
    let (_, html) = page(&c, &app, "/orgs/U1").await;
    let at = |name: &str| {
        html.find(&format!(">{name}</a>"))
            .unwrap_or_else(|| panic!("{name} in the trail"))
    };
    assert!(at("测试市总工会") < at("一区总工会") && at("一区总工会") < at("一街道工会联合会"));
    // Initials that match nobody: an empty state, not an error.
    let (_, html) = page(&c, &app, "/members?q=qqq").await;
    assert!(html.contains("没有符合条件的会员"));
}

#[tokio::test]
async fn pages_refuse_the_signed_out_the_wrong_role_and_other_subtrees() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let other = enrol(&app, "李四", &id_number("340402", "19850505", 13), "U3").await;
    // Signed out: to the login page, which names where to come back.
    let anon = app.anonymous();
    let r = anon.get(app.url("/members")).send().await.unwrap();
    assert_eq!(r.url().path(), "/login");
    assert!(r.text().await.unwrap().contains("登录"));
    // A cadre of district 1 sees neither district 2's union nor its member.
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    let c = browser(&app, "d1cadre", TESTER_PASSWORD).await;
    for path in ["/orgs/D2", "/orgs/U3", &format!("/members/{other}")] {
        let (s, html) = page(&c, &app, path).await;
        assert_eq!(s, 404, "{path}");
        assert!(html.contains("不存在或不在您的管理范围内"));
    }
    let (_, trail) = page(&c, &app, "/orgs/S1").await;
    assert!(
        trail.contains(">一区总工会</a>") && !trail.contains("测试市总工会"),
        "no trail above the own subtree"
    );
    let (_, tree) = page(&c, &app, "/orgs").await;
    assert!(tree.contains("一街道工会联合会") && !tree.contains("二区总工会"));
    // Administrators' pages are not a cadre's.
    for path in ["/accounts", "/audit"] {
        let (s, html) = page(&c, &app, path).await;
        assert_eq!(s, 403, "{path}");
        assert!(html.contains("无权访问"));
    }
    // An auditor reads but finds no write forms.
    app.add_account("reader", "auditor", Some("D1"), None).await;
    let r = browser(&app, "reader", TESTER_PASSWORD).await;
    assert_eq!(page(&r, &app, "/members").await.0, 200);
    assert_eq!(page(&r, &app, "/members/new").await.0, 403);
}

#[tokio::test]
async fn forms_need_their_csrf_field_and_report_problems_next_to_the_field() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let before = app.scalar("SELECT COUNT(*) FROM members").await;
    let good_id = id_number("340402", "19920202", 21);
    // Without the CSRF field: refused, nothing written.
    let r = c
        .post(app.url("/members/new"))
        .form(&[
            ("name", "王五"),
            ("id_number", good_id.as_str()),
            ("org_code", "U1"),
            ("joined_on", "2021-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, before);
    let (_, form) = page(&c, &app, "/members/new").await;
    let csrf = csrf_in(&form);
    // A wrong ID number: the form comes back with the message under that field.
    let r = c
        .post(app.url("/members/new"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "王五"),
            ("id_number", "34040219920202123"),
            ("org_code", "U1"),
            ("joined_on", "2021-01-01"),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let html = r.text().await.unwrap();
    assert_eq!(status, 422, "{}", &html[html.len().saturating_sub(3000)..]);
    assert!(
        html.contains(r#"id="id_number-err""#) && html.contains("王五"),
        "inline message, typed name kept"
    );
    assert!(
        html.contains(r#"value="34040219920202123""#),
        "the typed ID number is kept, so the typo can be seen"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, before);
    // Corrected: enrolled, and the member's page says so.
    let r = c
        .post(app.url("/members/new"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "王五"),
            ("id_number", good_id.as_str()),
            ("org_code", "U1"),
            ("joined_on", "2021-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.url().path().starts_with("/members/"));
    assert!(r.text().await.unwrap().contains("已登记入会"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, before + 1);
}

#[tokio::test]
async fn names_with_markup_are_shown_as_text_on_pages_and_in_charts() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let evil = "<script>alert(1)</script>";
    let (s, v) = app
        .post(
            "/api/v1/orgs",
            json!({"code": "X1", "name": evil, "kind": "street", "parent_code": "C"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    for path in [
        "/orgs",
        "/orgs/X1",
        "/orgs/C",
        "/dashboard",
        "/orgs?q=script",
    ] {
        let (s, html) = page(&c, &app, path).await;
        assert_eq!(s, 200, "{path}");
        assert!(!html.contains(evil), "{path} renders the name inert");
        assert!(
            html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"),
            "{path} shows it as text"
        );
    }
}

#[tokio::test]
async fn a_transfer_waits_for_the_receiving_cadre_to_accept() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let id = enrol(&app, "赵六", &id_number("340402", "19950303", 41), "U1").await;
    app.add_account("sender", "cadre", Some("D1"), None).await;
    app.add_account("receiver", "cadre", Some("D2"), None).await;
    let s = browser(&app, "sender", TESTER_PASSWORD).await;
    let (_, form) = page(&s, &app, &format!("/members/{id}/transfer")).await;
    let csrf = csrf_in(&form);
    let r = s
        .post(app.url(&format!("/members/{id}/transfer")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to_code", "U3"),
            ("on", "2024-06-01"),
            ("note", "更换工作"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("转会申请已提交"));
    // Nothing moved yet; the receiving cadre sees the request and accepts it.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM memberships WHERE end_date IS NULL AND org_path LIKE '%'")
            .await,
        1
    );
    let rc = browser(&app, "receiver", TESTER_PASSWORD).await;
    let (_, list) = page(&rc, &app, "/transfers").await;
    assert!(list.contains("赵六") && list.contains("接收"));
    let tid = app
        .scalar("SELECT id FROM transfers WHERE status = 'pending'")
        .await;
    // The sending side cannot accept on the receiver's behalf.
    let r = s
        .post(app.url(&format!("/transfers/{tid}/accept")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let rcsrf = csrf_in(&list);
    let r = rc
        .post(app.url(&format!("/transfers/{tid}/accept")))
        .form(&[("_csrf", rcsrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("已接收转会"));
    let (st, member) = page(&rc, &app, &format!("/members/{id}")).await;
    assert_eq!(st, 200, "the member is now the receiver's");
    assert!(member.contains("丙公司工会") && member.contains("转入"));
    assert_eq!(
        page(&s, &app, &format!("/members/{id}")).await.0,
        404,
        "and no longer the sender's"
    );
    // A second decision finds it decided.
    let r = rc
        .post(app.url(&format!("/transfers/{tid}/decline")))
        .form(&[("_csrf", rcsrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
}

#[tokio::test]
async fn the_employer_list_pages_through_every_row() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let mut csv = String::from("统一社会信用代码,单位名称,职工人数,工会代码\n");
    for i in 0..51 {
        csv.push_str(&format!(
            "{},单位{i:02},10,U1\n",
            uscc(&format!("91340400MA2{i:06}"))
        ));
    }
    app.import_ok("units", &csv).await;
    let c = browser(&app, "tester", TESTER_PASSWORD).await;
    let (_, first) = page(&c, &app, "/units").await;
    let (_, second) = page(&c, &app, "/units?page=2").await;
    assert!(
        first.contains("单位49") && !first.contains("单位50"),
        "fifty on the first page"
    );
    assert!(second.contains("单位50"), "the fifty-first on the second");
    assert!(first.contains("下一页") && !second.contains("下一页"));
}

#[tokio::test]
async fn totp_enrolment_shows_a_qr_code_with_the_secret_beside_it() {
    let app = spawn_app().await;
    app.add_account("newadmin", "sysadmin", None, None).await;
    sqlx::query("UPDATE accounts SET totp_secret_enc = NULL WHERE username = 'newadmin'")
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    let c = browser(&app, "newadmin", TESTER_PASSWORD).await;
    let (s, html) = page(&c, &app, "/login/totp-setup").await;
    assert_eq!(s, 200);
    let figure = &html[html.find(r#"<figure class="qr""#).expect("a QR figure")..];
    let svg = &figure[..figure.find("</figure>").unwrap()];
    assert!(svg.contains("<svg") && !svg.contains("<?xml"), "inline SVG");
    // A QR code for an otpauth link has hundreds of dark modules, drawn as one path.
    let path = &svg[svg.find(" d=\"").expect("a path of modules")..];
    assert!(path.matches('M').count() > 200, "{}", &path[..80]);
    assert!(html.contains("otpauth://totp/"), "the link beside it");
    assert!(html.contains(r#"class="secret""#), "and the secret to type");
}
