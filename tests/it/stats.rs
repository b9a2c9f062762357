//! Statistics for a subtree and period, checked against a scenario whose answers are known,
//! and drilled down to the records behind each figure.

use serde_json::{Value, json};

use crate::helpers::*;

async fn enroll(
    app: &TestApp,
    name: &str,
    seq: u32,
    org: &str,
    joined: &str,
    extra: Value,
) -> String {
    let mut body = json!({"name": name, "id_number": id_number("340402", "19850101", seq), "org_code": org, "joined_on": joined});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, r) = app.post("/api/v1/members", body).await;
    assert_eq!(s, 200, "{r}");
    r["member"]["id"].as_str().unwrap().to_string()
}

async fn event(app: &TestApp, id: &str, body: Value) {
    let (s, v) = app
        .post(&format!("/api/v1/members/{id}/events"), body)
        .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn figures_for_a_subtree_and_period_match_the_records() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let u = |s: &str| uscc(s);
    app.post("/api/v1/units", json!({"uscc": u("91340400MA2N00001"), "name": "甲", "employee_count": 10, "org_code": "U1"})).await;
    app.post("/api/v1/units", json!({"uscc": u("91340400MA2N00002"), "name": "乙", "employee_count": 30, "org_code": "U2", "small_micro": true})).await;
    app.post("/api/v1/units", json!({"uscc": u("91340400MA2N00003"), "name": "丙", "employee_count": 50, "org_code": "U3"})).await;
    // Before 2023: two members in D1 (one female migrant rider), one in D2.
    let a = enroll(
        &app,
        "甲一",
        11,
        "U1",
        "2020-01-01",
        json!({"migrant": "是", "nef_group": "网约送餐员"}),
    )
    .await;
    let _b = enroll(&app, "甲二", 12, "U2", "2021-06-01", json!({})).await;
    let c = enroll(&app, "丙一", 13, "U3", "2019-01-01", json!({})).await;
    // During 2023 in D1: one joins, one transfers U1→U2 (inside D1), D2's member transfers into D1, one leaves.
    let d = enroll(&app, "甲三", 14, "U1", "2023-03-01", json!({})).await;
    event(
        &app,
        &a,
        json!({"event": "transfer", "on": "2023-04-01", "to_org": "U2"}),
    )
    .await;
    event(
        &app,
        &c,
        json!({"event": "transfer", "on": "2023-05-01", "to_org": "U1"}),
    )
    .await;
    event(&app, &d, json!({"event": "leave", "on": "2023-09-01"})).await;
    let (s, st) = app
        .get("/api/v1/stats?org=D1&from=2023-01-01&to=2023-12-31")
        .await;
    assert_eq!(s, 200, "{st}");
    let m = &st["members"];
    assert_eq!(m["at_start"], 2, "{st}");
    assert_eq!(m["at_end"], 3, "a(U2), b(U2), c(U1): {st}");
    assert_eq!(m["joined"], 1);
    assert_eq!(m["left"], 1);
    assert_eq!(
        m["transferred_in"], 1,
        "only c crossed into D1; a moved inside D1"
    );
    assert_eq!(m["transferred_out"], 0);
    assert_eq!(m["net_change"], 1);
    assert_eq!(
        m["female_at_end"], 1,
        "only 甲二 (even sequence number) is female: {st}"
    );
    assert_eq!(m["migrant_at_end"], 1);
    assert_eq!(m["new_employment_at_end"], 1);
    assert_eq!(m["new_employment_by_group"][0]["group"], "网约送餐员");
    // D2 saw one transfer out.
    let (_, d2) = app
        .get("/api/v1/stats?org=D2&from=2023-01-01&to=2023-12-31")
        .await;
    assert_eq!(
        (
            d2["members"]["transferred_out"].as_i64(),
            d2["members"]["at_end"].as_i64()
        ),
        (Some(1), Some(0))
    );
    // The city sees no transfers at all (both ends inside), and 入会率 = 3 ÷ 90 employees.
    let (_, city) = app
        .get("/api/v1/stats?org=C&from=2023-01-01&to=2023-12-31")
        .await;
    assert_eq!(
        (
            city["members"]["transferred_in"].as_i64(),
            city["members"]["transferred_out"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(city["employers"]["covered"], 3);
    assert_eq!(city["employers"]["employees_of_covered"], 90);
    assert_eq!(city["employers"]["membership_rate_percent"], 3.33);
    assert_eq!(city["unions"]["at_end"], 7);
    // A past date: at the end of 2022 D1 had two members.
    let (_, past) = app
        .get("/api/v1/stats?org=D1&from=2022-01-01&to=2022-12-31")
        .await;
    assert_eq!(past["members"]["at_end"], 2);
    assert_eq!(past["members"]["joined"], 0);
    // Drill-down returns exactly the rows behind each figure.
    for (figure, expected) in [
        ("members_at_end", 3),
        ("joined", 1),
        ("left", 1),
        ("transferred_in", 1),
        ("female_at_end", 1),
    ] {
        let (s, dr) = app
            .get(&format!(
                "/api/v1/stats/drill?org=D1&from=2023-01-01&to=2023-12-31&figure={figure}"
            ))
            .await;
        assert_eq!(s, 200, "{dr}");
        assert_eq!(dr["records"]["record_kind"], "members");
        assert_eq!(
            dr["records"]["rows"].as_array().unwrap().len(),
            expected,
            "{figure}: {dr}"
        );
    }
    let (_, dr) = app
        .get("/api/v1/stats/drill?org=C&figure=employers_covered")
        .await;
    assert_eq!(dr["records"]["rows"].as_array().unwrap().len(), 3);
    let (_, dr) = app
        .get("/api/v1/stats/drill?org=D1&figure=unions_at_end")
        .await;
    assert_eq!(dr["records"]["rows"].as_array().unwrap().len(), 4);
    let (s, bad) = app
        .get("/api/v1/stats?org=D1&from=2024-01-01&to=2023-01-01")
        .await;
    assert_eq!(s, 422, "{bad}");
}

#[tokio::test]
async fn the_demo_city_is_deterministic_and_its_figures_add_up() {
    let app = spawn_app().await;
    let report = gonghui::registry::demo::seed(&app.reg, 1500, 7, None)
        .await
        .unwrap();
    assert_eq!(report.members, 1500);
    assert!(report.transfers > 0 && report.leavers > 0 && report.retirements > 0);
    let (_, city) = app.get("/api/v1/stats?org=HS").await;
    let (_, d1) = app.get("/api/v1/stats?org=HS01").await;
    let (_, d2) = app.get("/api/v1/stats?org=HS02").await;
    let sum = d1["members"]["at_end"].as_i64().unwrap() + d2["members"]["at_end"].as_i64().unwrap();
    assert_eq!(
        city["members"]["at_end"].as_i64().unwrap(),
        sum,
        "districts add up to the city"
    );
    let active: i64 = app
        .scalar("SELECT COUNT(*) FROM members WHERE status = 'active'")
        .await;
    assert_eq!(city["members"]["at_end"].as_i64().unwrap(), active);
    let one = gonghui::registry::demo::generate(300, 42);
    let two = gonghui::registry::demo::generate(300, 42);
    assert_eq!(one.members, two.members);
    assert_ne!(
        one.members,
        gonghui::registry::demo::generate(300, 43).members
    );
    // Every generated ID number, USCC and mobile is valid.
    for row in one.members.iter().skip(1) {
        gonghui::types::IdCardNo::parse(&row[1]).unwrap();
        gonghui::types::Mobile::parse(&row[8]).unwrap();
    }
    for row in one.units.iter().skip(1) {
        assert!(gonghui::types::Uscc::parse(&row[0]).unwrap().check_ok());
    }
}
