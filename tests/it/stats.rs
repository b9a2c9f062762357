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
    assert_eq!(app.transfer_now(&a, "U2", Some("2023-04-01")).await.0, 200);
    assert_eq!(app.transfer_now(&c, "U1", Some("2023-05-01")).await.0, 200);
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

/// Every figure of the federation levels, read from the running totals, equals the same
/// figure computed from the history, for several periods; and a full reconciliation finds
/// nothing to correct.
async fn assert_totals_match_history(app: &TestApp, when: &str) {
    use gonghui::registry::{counters, orgs, scope::Scope, stats};
    let db = &app.reg.db;
    let periods = [
        ("2000-01-01", "2026-06-30"),
        ("2019-01-01", "2019-12-31"),
        ("2020-01-01", "2021-06-30"),
        ("2021-03-15", "2021-03-15"),
        ("2022-07-01", "2024-12-31"),
        ("2024-01-01", "2026-06-30"),
    ];
    for code in ["C", "D1", "D2"] {
        let org = orgs::get_by_code(db, &Scope::all(), code).await.unwrap();
        for (from, to) in periods {
            let period = stats::Period {
                from: from.parse().unwrap(),
                to: to.parse().unwrap(),
            };
            let totals = stats::compute(db, &org, &period).await.unwrap();
            let history = stats::compute_from_history(db, &org, &period)
                .await
                .unwrap();
            assert_eq!(
                serde_json::to_value(&totals).unwrap(),
                serde_json::to_value(&history).unwrap(),
                "{when}: {code} {from}..{to}"
            );
            // Drilled page by page (pages of 4), each figure lists exactly its head count of
            // distinct people.
            let m = serde_json::to_value(&totals.members).unwrap();
            for (figure, field) in [
                (stats::Figure::MembersAtEnd, "at_end"),
                (stats::Figure::RetiredAtEnd, "retired_at_end"),
                (stats::Figure::FemaleAtEnd, "female_at_end"),
                (stats::Figure::MigrantAtEnd, "migrant_at_end"),
                (stats::Figure::NewEmploymentAtEnd, "new_employment_at_end"),
                (stats::Figure::Joined, "joined"),
                (stats::Figure::Left, "left"),
                (stats::Figure::TransferredIn, "transferred_in"),
                (stats::Figure::TransferredOut, "transferred_out"),
            ] {
                let mut listed = Vec::new();
                for page in 1.. {
                    let everything = gonghui::registry::scope::Scope::all();
                    let d = stats::drill(db, &everything, &org, &period, figure, page, 4)
                        .await
                        .unwrap();
                    let stats::DrillRows::Members(rows) = d.records else {
                        panic!("member figure")
                    };
                    listed.extend(rows.iter().map(|r| r.member().expect("all in scope").id));
                    if !d.has_more {
                        break;
                    }
                }
                let distinct: std::collections::HashSet<_> = listed.iter().collect();
                assert_eq!(
                    distinct.len(),
                    listed.len(),
                    "{when}: {code} {field} listed twice"
                );
                assert_eq!(
                    listed.len() as i64,
                    m[field],
                    "{when}: {code} {from}..{to} {field}"
                );
            }
        }
    }
    let r = counters::reconcile(db).await.unwrap();
    assert!(
        r.differences.is_empty() && r.repeaters_missing == 0 && r.repeaters_extra == 0,
        "{when}: {r:?}"
    );
    assert!(r.rows_checked > 0, "{when}: no totals at all");
}

#[tokio::test]
async fn running_totals_agree_with_the_history_after_random_operations() {
    use chrono::{Duration, NaiveDate};
    use gonghui::audit::Actor;
    use gonghui::registry::transfers::{self, Decision};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    struct Person {
        id: String,
        seq: u32,
        org: &'static str,
        status: &'static str,
        last: NaiveDate,
    }
    let app = spawn_app().await;
    app.seed_tree().await;
    let actor = Actor::system(&app.reg.keys, "test");
    let unions = ["U1", "U2", "U3"];
    let groups = ["", "", "网约送餐员", "快递员", "货车司机"];
    let latest: NaiveDate = "2026-06-30".parse().unwrap();
    let mut rng = StdRng::seed_from_u64(20261121);
    let mut people: Vec<Person> = Vec::new();
    let next_date = |rng: &mut StdRng, after: NaiveDate| {
        // A third of the events fall on the same day as the last one (same-day transfers).
        if rng.gen_bool(0.3) {
            after
        } else {
            (after + Duration::days(rng.gen_range(1..500))).min(latest)
        }
    };
    let pick = |rng: &mut StdRng, people: &[Person], statuses: &[&str]| {
        let candidates: Vec<usize> = (0..people.len())
            .filter(|i| statuses.contains(&people[*i].status))
            .collect();
        (!candidates.is_empty()).then(|| candidates[rng.gen_range(0..candidates.len())])
    };
    for step in 0..120 {
        match step {
            40 => {
                let (s, v) = app
                    .post("/api/v1/orgs/S1/move", json!({"parent_code": "D2"}))
                    .await;
                assert_eq!(s, 200, "{v}");
                assert_totals_match_history(&app, "after moving S1 under D2").await;
            }
            60 => {
                let (s, v) = app
                    .put(
                        "/api/v1/orgs/D2",
                        json!({"name": "二区总工会", "kind": "street", "founded_on": "2000-01-01"}),
                    )
                    .await;
                assert_eq!(s, 200, "{v}");
            }
            80 => {
                let (s, v) = app
                    .put(
                        "/api/v1/orgs/D2",
                        json!({"name": "二区总工会", "kind": "district", "founded_on": "2000-01-01"}),
                    )
                    .await;
                assert_eq!(s, 200, "{v}");
                let (s, v) = app
                    .post("/api/v1/orgs/S1/move", json!({"parent_code": "D1"}))
                    .await;
                assert_eq!(s, 200, "{v}");
            }
            _ => {}
        }
        let op = rng.gen_range(0..10);
        match op {
            // A new member.
            0..=2 => {
                let seq = 100 + people.len() as u32;
                let org = unions[rng.gen_range(0..3)];
                let joined = NaiveDate::from_ymd_opt(2018, 1, 1).unwrap()
                    + Duration::days(rng.gen_range(0..2500));
                let group = groups[rng.gen_range(0..groups.len())];
                let migrant = if rng.gen_bool(0.4) { "是" } else { "否" };
                let extra = json!({"nef_group": group, "migrant": migrant});
                let id = enroll(&app, "随机", seq, org, &joined.to_string(), extra).await;
                people.push(Person {
                    id,
                    seq,
                    org,
                    status: "active",
                    last: joined,
                });
            }
            // Leaves or dies.
            3 => {
                if let Some(i) = pick(&mut rng, &people, &["active", "retired"]) {
                    let on = next_date(&mut rng, people[i].last);
                    let (kind, status) = if rng.gen_bool(0.2) {
                        ("death", "deceased")
                    } else {
                        ("leave", "left")
                    };
                    event(
                        &app,
                        &people[i].id,
                        json!({"event": kind, "on": on.to_string()}),
                    )
                    .await;
                    (people[i].status, people[i].last) = (status, on);
                }
            }
            // Retires.
            4 => {
                if let Some(i) = pick(&mut rng, &people, &["active"]) {
                    let on = next_date(&mut rng, people[i].last);
                    event(
                        &app,
                        &people[i].id,
                        json!({"event": "retire", "on": on.to_string()}),
                    )
                    .await;
                    (people[i].status, people[i].last) = ("retired", on);
                }
            }
            // Transfers by request and acceptance, through the API or the registry functions.
            5..=6 => {
                if let Some(i) = pick(&mut rng, &people, &["active", "retired"]) {
                    let on = next_date(&mut rng, people[i].last);
                    let to = *unions
                        .iter()
                        .find(|u| **u != people[i].org && rng.gen_bool(0.5))
                        .unwrap_or(unions.iter().find(|u| **u != people[i].org).unwrap());
                    if op == 5 {
                        let (s, v) = app
                            .transfer_now(&people[i].id, to, Some(&on.to_string()))
                            .await;
                        assert_eq!(s, 200, "{v}");
                    } else {
                        let member: i64 = people[i].id.parse().unwrap();
                        let t = transfers::request(&app.reg.db, &actor, member, to, on, "")
                            .await
                            .unwrap();
                        transfers::decide(&app.reg.db, &actor, t, Decision::Accept, "", None)
                            .await
                            .unwrap();
                    }
                    (people[i].org, people[i].last) = (to, on);
                }
            }
            // A former member joins again (possibly elsewhere).
            7 => {
                if let Some(i) = pick(&mut rng, &people, &["left"]) {
                    let on = next_date(&mut rng, people[i].last);
                    let org = unions[rng.gen_range(0..3)];
                    enroll(&app, "随机", people[i].seq, org, &on.to_string(), json!({})).await;
                    (people[i].org, people[i].status, people[i].last) = (org, "active", on);
                }
            }
            // A correction of the counted attributes (same union: an update, not a move).
            8 => {
                if let Some(i) = pick(&mut rng, &people, &["active", "retired"]) {
                    let group = groups[rng.gen_range(0..groups.len())];
                    let migrant = if rng.gen_bool(0.5) { "是" } else { "否" };
                    let last = people[i].last.to_string();
                    let extra = json!({"nef_group": group, "migrant": migrant});
                    enroll(&app, "随机", people[i].seq, people[i].org, &last, extra).await;
                }
            }
            // New people and a rejoin by file (the bulk path).
            _ => {
                let mut csv = MEMBER_HEADER.to_string();
                for k in 0..3 {
                    let seq = 100 + people.len() as u32 + k;
                    let org = unions[rng.gen_range(0..3)];
                    let group = groups[rng.gen_range(0..groups.len())];
                    csv.push_str(&format!(
                        "批量,{},,,{org},2022-0{}-01,是,{group}\n",
                        id_number("340402", "19850101", seq),
                        k + 1
                    ));
                }
                app.import_ok("members", &csv).await;
                for k in 0..3 {
                    let seq = 100 + people.len() as u32;
                    let (s, v) = app
                        .post(
                            "/api/v1/members/lookup",
                            json!({"id_number": id_number("340402", "19850101", seq)}),
                        )
                        .await;
                    assert_eq!(s, 200, "{v}");
                    let org = v["org_code"].as_str().unwrap();
                    people.push(Person {
                        id: v["id"].as_str().unwrap().to_string(),
                        seq,
                        org: unions.iter().find(|u| **u == org).unwrap(),
                        status: "active",
                        last: NaiveDate::from_ymd_opt(2022, k + 1, 1).unwrap(),
                    });
                }
            }
        }
    }
    assert_totals_match_history(&app, "after 120 operations").await;
    // The run exercised what it is meant to: repeated events and totals of every level.
    assert!(app.scalar("SELECT COUNT(*) FROM repeat_members").await > 0);
    let active = app
        .scalar("SELECT COUNT(*) FROM members WHERE status = 'active'")
        .await;
    let (_, city) = app
        .get("/api/v1/stats?org=C&from=2026-01-01&to=2026-11-21")
        .await;
    assert_eq!(city["members"]["at_end"], active, "{city}");
}
