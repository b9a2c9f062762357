//! What crosses the subtree line (issue 12, findings 3 and 8): figures' drills, enrolment and
//! transfer answers, employers — a district cadre learns nothing about people and records of
//! another district beyond what a figure needs.

use serde_json::{Value, json};

use crate::helpers::{TESTER_PASSWORD, id_number, spawn_app, uscc};

#[tokio::test]
async fn a_drill_shows_people_now_elsewhere_only_with_what_the_figure_needs() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (s, v) = app
        .post(
            "/api/v1/units",
            json!({"uscc": uscc("91340400MA0000011"), "name": "甲物流有限公司", "employee_count": 10, "org_code": "U1"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({"name": "欧阳锦程", "id_number": id_number("340402", "19900101", 31), "org_code": "U1",
                   "joined_on": "2020-01-01", "card_no": "GH-0001", "unit_uscc": uscc("91340400MA0000011")}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let mid = v["member"]["id"].as_str().unwrap().to_string();
    // The rider moves to a union of the other district.
    let (s, v) = app.transfer_now(&mid, "U3", Some("2024-05-01")).await;
    assert_eq!(s, 200, "{v}");

    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    let d1 = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    let r = d1
        .get(app.url("/api/v1/stats/drill?figure=transferred_out&from=2024-01-01&to=2024-12-31"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    let rows = v["records"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "the figure still counts the person: {v}");
    assert_eq!(
        rows[0],
        json!({"elsewhere": true, "name_masked": "欧***", "date": "2024-05-01", "went_to": "丙公司工会"})
    );
    for secret in ["锦程", "GH-0001", "甲物流", "1990-01-01", &mid] {
        assert!(!body.contains(secret), "the drill shows {secret}: {body}");
    }
    let (s, _) = app.get_as(&d1, &format!("/api/v1/members/{mid}")).await;
    assert_eq!(s, 404);
    // The console's drill page shows the same.
    let page = d1
        .get(app.url("/drill?figure=transferred_out&from=2024-01-01&to=2024-12-31"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("欧***") && page.contains("丙公司工会"),
        "{page}"
    );
    assert!(!page.contains("锦程") && !page.contains("GH-0001"));
    // A cadre whose subtree holds the person today sees the whole record.
    let (_, v) = app
        .get("/api/v1/stats/drill?org=D1&figure=transferred_out&from=2024-01-01&to=2024-12-31")
        .await;
    assert_eq!(v["records"]["rows"][0]["name"], "欧阳锦程", "{v}");
}

#[tokio::test]
async fn enrolling_someone_registered_in_another_district_reveals_nothing_about_them() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let people = [
        ("活跃会员", id_number("340402", "19900101", 11)),
        ("离会会员", id_number("340402", "19900101", 13)),
        ("已故会员", id_number("340402", "19900101", 15)),
    ];
    for (name, idn) in &people {
        let (s, v) = app
            .post(
                "/api/v1/members",
                json!({"name": name, "id_number": idn, "org_code": "U3", "joined_on": "2019-01-01"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let mid = v["member"]["id"].as_str().unwrap().to_string();
        let event = match *name {
            "离会会员" => Some("leave"),
            "已故会员" => Some("death"),
            _ => None,
        };
        if let Some(e) = event {
            let (s, v) = app
                .post(
                    &format!("/api/v1/members/{mid}/events"),
                    json!({"event": e, "on": "2021-01-01"}),
                )
                .await;
            assert_eq!(s, 200, "{v}");
        }
    }
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    let d1 = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    let mut answers = Vec::new();
    for (_, idn) in &people {
        let (s, v) = app.post_as(&d1, "/api/v1/members", json!({"name": "改写的姓名", "id_number": idn, "org_code": "U1", "joined_on": "2024-01-01"}),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (409, Some("REGISTERED_ELSEWHERE")),
            "{v}"
        );
        let text = v.to_string();
        // (The one message mentions former members in general; it is the same for everyone.)
        for secret in ["丙公司", "U3", "二区", "已故", "退休"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        answers.push(v["message"].clone());
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "one answer whatever their status: {answers:?}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members WHERE name = '改写的姓名'")
            .await,
        0,
        "nobody's name was overwritten"
    );
    // The same through an import.
    let csv = format!(
        "姓名,身份证号,所属工会代码,入会日期\n改写的姓名,{},U1,2024-01-01\n",
        people[1].1
    );
    let r = d1
        .post(app.url("/api/v1/imports/members?file_name=t.csv"))
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let started: Value = r.json().await.unwrap();
    let url = started["status_url"].as_str().unwrap().to_string();
    let job = loop {
        let (_, s) = app.get_as(&d1, &url).await;
        if s["state"] != "running" {
            break s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    };
    let issue = job["outcome"]["issues"][0]["message"]
        .as_str()
        .unwrap_or("");
    assert_eq!(issue, answers[0].as_str().unwrap(), "{job}");
    // The city, whose subtree holds both, may rejoin the former member to D1.
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({"name": "离会会员", "id_number": people[1].1, "org_code": "U1", "joined_on": "2024-01-01"}),
        )
        .await;
    assert_eq!((s, v["outcome"].as_str()), (200, Some("rejoined")), "{v}");
}

#[tokio::test]
async fn another_districts_employer_is_not_found_from_this_one() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let code = uscc("91340400MA0000012");
    let (s, _) = app
        .post(
            "/api/v1/units",
            json!({"uscc": code, "name": "二区机密单位", "employee_count": 5, "org_code": "U3"}),
        )
        .await;
    assert_eq!(s, 200);
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    let d1 = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    let (s, v) = app.post_as(&d1, "/api/v1/members", json!({"name": "张三", "id_number": id_number("340402", "19900101", 17), "org_code": "U1", "unit_uscc": code}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(!v.to_string().contains("二区机密单位"), "{v}");
}

#[tokio::test]
async fn a_transfer_through_the_api_waits_for_the_receiving_union() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (_, v) = app
        .post(
            "/api/v1/members",
            json!({"name": "张三", "id_number": id_number("340402", "19900101", 19), "org_code": "U1", "joined_on": "2020-01-01"}),
        )
        .await;
    let mid = v["member"]["id"].as_str().unwrap().to_string();
    app.add_account("d1cadre", "cadre", Some("D1"), None).await;
    app.add_account("d2cadre", "cadre", Some("D2"), None).await;
    let d1 = app.signed_in("d1cadre", TESTER_PASSWORD).await;
    let d2 = app.signed_in("d2cadre", TESTER_PASSWORD).await;
    let r = d1
        .post(app.url(&format!("/api/v1/members/{mid}/transfers")))
        .json(&json!({"to_org": "U3", "on": "2024-05-01", "note": "换平台"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["status"], "pending");
    let tid = t["id"].as_str().unwrap().to_string();
    // Nothing moved yet; the sender cannot accept its own request.
    let (_, m) = app.get(&format!("/api/v1/members/{mid}")).await;
    assert_eq!(m["member"]["org_code"], "U1");
    let r = d1
        .post(app.url(&format!("/api/v1/transfers/{tid}/accept")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // The receiving district sees it waiting and accepts.
    let (_, incoming) = app
        .get_as(&d2, "/api/v1/transfers?direction=incoming")
        .await;
    assert_eq!(incoming[0]["id"], tid.as_str(), "{incoming}");
    let r = d2
        .post(app.url(&format!("/api/v1/transfers/{tid}/accept")))
        .json(&json!({"note": "欢迎"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (_, m) = app.get(&format!("/api/v1/members/{mid}")).await;
    assert_eq!(m["member"]["org_code"], "U3");
    // Decided once.
    let r = d2
        .post(app.url(&format!("/api/v1/transfers/{tid}/decline")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
}
