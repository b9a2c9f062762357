//! Workers' innovation: a studio named at a level its union may give, with members; an
//! achievement decided and put into use with its benefit; a 名师带徒 pair signed once and closed;
//! a 揭榜挂帅 project taken before its deadline and completed, or overdue; the rules that refuse;
//! the figures against a brute-force recount; two cadres signing one pair at once.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Days;
use serde_json::{Value, json};

use crate::helpers::*;
use gonghui::audit::Actor;
use gonghui::innovation::{achievement, figures, mentoring, project};

async fn member(app: &TestApp, n: u32, org: &str) -> (String, String) {
    let id = id_number("340402", "19850101", n);
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({"name": format!("创新测试{}", name_of(n)), "id_number": id, "org_code": org, "joined_on": "2020-01-01"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    (v["member"]["id"].as_str().unwrap().to_string(), id)
}

/// A name for member `n` (names hold no digits): 一, 二 … 十一 ….
fn name_of(n: u32) -> String {
    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    n.to_string()
        .chars()
        .map(|c| DIGITS[c.to_digit(10).unwrap_or(0) as usize])
        .collect()
}

fn said(v: &Value) -> String {
    v.to_string()
}

#[tokio::test]
async fn studios_achievements_pairs_and_projects_follow_their_rules() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let (_, leader) = member(&app, 1, "U1").await;
    let (_, worker) = member(&app, 2, "U1").await;
    let (_, other) = member(&app, 3, "U2").await;
    let (_, far) = member(&app, 4, "U3").await;

    // A studio: a street cannot name a city studio, D2 is not above U1, a stranger is not a
    // member; every problem at once, nothing written.
    let studio = |extra: Value| {
        let mut body = json!({"name": "张工数控创新工作室", "field": "数控加工", "leader_id_number": leader,
            "level": "city", "named_by": "C", "named_on": today.to_string(), "members": format!("{worker}\n{other}")});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let stranger = id_number("340402", "19850101", 99);
    let (s, v) = app
        .post(
            "/api/v1/innovation/studios",
            studio(json!({"named_by": "S1", "members": format!("{worker}\n{stranger}")})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    for words in [
        "一街道工会联合会最高只能授予街道（乡镇）级命名，不能授予市级",
        "第2个：身份证号",
        "不是您管理范围内的在册会员",
    ] {
        assert!(said(&v).contains(words), "{words}: {v}");
    }
    let (s, v) = app
        .post(
            "/api/v1/innovation/studios",
            studio(json!({"named_by": "D2"})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("不是领衔人所在工会或其"), "{v}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM innovation_studios").await,
        0
    );
    let (s, v) = app
        .post("/api/v1/innovation/studios", studio(json!({})))
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["people"].as_i64(), v["named_body"].as_str()),
        (Some(3), Some("测试市总工会"))
    );
    let studio_id = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post("/api/v1/innovation/studios", studio(json!({"members": ""})))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("STUDIO_EXISTS")), "{v}");
    // Recorded from the province; members added once; the leader stays.
    let (s, v) = app
        .post(
            "/api/v1/innovation/studios",
            studio(json!({"named_by": null, "named_body": "省总工会", "level": "provincial", "members": ""})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let provincial = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/innovation/studios/{provincial}/members"),
            json!({"members": format!("{worker}、{worker}，{other}")}),
        )
        .await;
    assert_eq!((s, v["added"].as_i64()), (200, Some(2)), "{v}");
    let (_, d) = app
        .get(&format!("/api/v1/innovation/studios/{provincial}"))
        .await;
    let leader_id = d["studio"]["leader_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{d}"))
        .to_string();
    assert_eq!(d["people"].as_array().unwrap().len(), 3, "{d}");
    let (s, v) = app
        .post(
            &format!("/api/v1/innovation/studios/{provincial}/members/{leader_id}/remove"),
            json!({}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("LEADER_STAYS")), "{v}");

    // An achievement: a patent number on a proposal and no authors are refused.
    let (s, v) = app
        .post(
            "/api/v1/innovation/achievements",
            json!({"kind": "合理化建议", "title": "交接班优化", "summary": "减少等待", "patent_no": "ZL1"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    for words in ["只有发明创造填写专利号", "请填写完成人的身份证号"] {
        assert!(said(&v).contains(words), "{words}: {v}");
    }
    let (s, v) = app
        .post(
            "/api/v1/innovation/achievements",
            json!({"kind": "small_innovation", "title": "快速换模夹具", "summary": "换模时间减半",
                "authors": format!("{worker}\n{leader}"), "studio_id": studio_id,
                "submitted_on": (today - Days::new(30)).to_string()}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        v["lead_name"].as_str(),
        Some("创新测试二"),
        "the first author leads"
    );
    let a = v["id"].as_str().unwrap().to_string();
    let decide = |body: Value| {
        let app = &app;
        let a = a.clone();
        async move {
            app.post(&format!("/api/v1/innovation/achievements/{a}/decide"), body)
                .await
        }
    };
    let (s, v) = decide(json!({"action": "implement", "version": 0})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("TRANSITION_REFUSED")),
        "{v}"
    );
    let (s, v) = decide(json!({"action": "decline", "version": 0})).await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("请填写不予采纳的理由"), "{v}");
    let (s, v) =
        decide(json!({"action": "adopt", "on": (today - Days::new(40)).to_string(), "version": 0}))
            .await;
    assert_eq!(s, 422, "adopted before it was put forward: {v}");
    let (s, v) = decide(json!({"action": "adopt", "version": 0})).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("adopted")), "{v}");
    let (s, v) = decide(json!({"action": "adopt", "version": 0})).await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = decide(json!({"action": "implement", "benefit": "12,345.60", "version": 1})).await;
    assert_eq!(
        (s, v["status"].as_str(), v["benefit_fen"].as_i64()),
        (200, Some("implemented"), Some(1_234_560)),
        "{v}"
    );
    let (_, d) = app
        .get(&format!("/api/v1/innovation/studios/{studio_id}"))
        .await;
    assert_eq!(d["achievements_total"].as_i64(), Some(1), "{d}");

    // A pair: one person cannot teach themselves, a pair runs once, ending needs a reason.
    let pair = |m: &str, a: &str| {
        json!({"mentor_id_number": m, "apprentice_id_number": a, "trade": "数控车工",
            "starts_on": (today - Days::new(10)).to_string(), "ends_on": (today + Days::new(355)).to_string()})
    };
    let (s, v) = app
        .post("/api/v1/innovation/pairs", pair(&leader, &leader))
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("师傅和徒弟不能是同一人"), "{v}");
    let (s, v) = app
        .post("/api/v1/innovation/pairs", pair(&leader, &far))
        .await;
    assert_eq!(s, 201, "{v}");
    let p = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post("/api/v1/innovation/pairs", pair(&leader, &far))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("PAIR_EXISTS")), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/innovation/pairs/{p}/close"),
            json!({"action": "end", "version": 0}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/innovation/pairs/{p}/close"),
            json!({"action": "graduate", "outcome": "取得中级工证书", "version": 0}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("graduated")), "{v}");
    let (s, v) = app
        .post("/api/v1/innovation/pairs", pair(&leader, &far))
        .await;
    assert_eq!(s, 201, "a closed pair may be signed again: {v}");

    // A project: dates out of order refused; taken after its deadline refused; taken in time,
    // overdue past its due day, completed with its benefit.
    let (s, v) = app
        .post(
            "/api/v1/innovation/projects",
            json!({"title": "焊缝气孔攻关", "challenge": "气孔率降至千分之三", "apply_by": today.to_string(),
                "due_on": (today - Days::new(1)).to_string(), "reward": "-5"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    for words in ["完成期限应晚于揭榜截止日期", "奖励金额不能为负数"] {
        assert!(said(&v).contains(words), "{words}: {v}");
    }
    let post = |posted: u64, apply: u64, due: u64| {
        json!({"title": format!("攻关{posted}"), "challenge": "降低废品率", "reward": "50000",
            "posted_on": (today - Days::new(posted)).to_string(), "apply_by": (today - Days::new(apply)).to_string(),
            "due_on": (today - Days::new(due)).to_string()})
    };
    let (s, late) = app
        .post("/api/v1/innovation/projects", post(100, 90, 10))
        .await;
    assert_eq!(s, 201, "{late}");
    let late = late["id"].as_str().unwrap().to_string();
    let step = |id: String, body: Value| {
        let app = &app;
        async move {
            app.post(&format!("/api/v1/innovation/projects/{id}/step"), body)
                .await
        }
    };
    let (s, v) = step(
        late.clone(),
        json!({"action": "take", "studio_id": studio_id, "version": 0}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(said(&v).contains("揭榜已于"), "{v}");
    let (s, v) = step(
        late.clone(),
        json!({"action": "take", "studio_id": studio_id, "on": (today - Days::new(95)).to_string(), "version": 0}),
    )
    .await;
    assert_eq!((s, v["standing"].as_str()), (200, Some("overdue")), "{v}");
    let (_, listed) = app.get("/api/v1/innovation/projects?due=overdue").await;
    assert_eq!(listed["total"].as_i64(), Some(1), "{listed}");
    let (s, v) = step(
        late.clone(),
        json!({"action": "withdraw", "outcome": "取消", "version": 1}),
    )
    .await;
    assert_eq!(s, 409, "a taken project is not withdrawn: {v}");
    let (s, v) = step(
        late.clone(),
        json!({"action": "complete", "benefit": "300000", "outcome": "完成", "version": 1}),
    )
    .await;
    assert_eq!(
        (s, v["benefit_fen"].as_i64()),
        (200, Some(30_000_000)),
        "{v}"
    );
    let (_, d) = app
        .get(&format!("/api/v1/innovation/projects/{late}"))
        .await;
    assert_eq!(
        d["people"][0]["role"].as_str(),
        Some("leader"),
        "the studio's leader leads the team: {d}"
    );
    // Taken by a member's team: the leader first, each once.
    let (_, open) = app
        .post(
            "/api/v1/innovation/projects",
            post(5, 0, 0)
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert(
                        "apply_by".into(),
                        json!((today + Days::new(10)).to_string()),
                    );
                    o.insert("due_on".into(), json!((today + Days::new(90)).to_string()));
                    Value::Object(o)
                })
                .unwrap(),
        )
        .await;
    let open = open["id"].as_str().unwrap().to_string();
    let (s, v) = step(
        open.clone(),
        json!({"action": "take", "leader_id_number": other, "team": format!("{worker}\n{other}"), "version": 0}),
    )
    .await;
    assert_eq!(
        (s, v["leader_name"].as_str()),
        (200, Some("创新测试三")),
        "{v}"
    );
    let (_, d) = app
        .get(&format!("/api/v1/innovation/projects/{open}"))
        .await;
    assert_eq!(d["people"].as_array().unwrap().len(), 2, "{d}");

    // Revoking a naming takes the studio out of the figures.
    let year = format!("org=C&from={}&to={today}", today - Days::new(365));
    let v = app.figure_values(&year).await;
    assert_eq!(v["innovation.studios"], 2.0);
    let (s, v) = app
        .post(
            &format!("/api/v1/innovation/studios/{provincial}/revoke"),
            json!({"reason": "连续两年考核不合格", "version": 0}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("revoked")), "{v}");
    let v = app.figure_values(&year).await;
    assert_eq!(
        (
            v["innovation.studios"],
            v["innovation.achievements"],
            v["innovation.benefit"]
        ),
        (1.0, 1.0, 12_345.6)
    );
}

#[tokio::test]
async fn two_cadres_signing_the_same_pair_at_once_make_one_pair() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let (_, m) = member(&app, 5, "U1").await;
    let (_, a) = member(&app, 6, "U3").await;
    let today = app.today();
    let body = json!({"mentor_id_number": m, "apprentice_id_number": a, "trade": "焊工",
        "starts_on": today.to_string(), "ends_on": (today + Days::new(300)).to_string()});
    let statuses = app
        .post_concurrently("/api/v1/innovation/pairs", vec![body; 6])
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
    assert_eq!(app.scalar("SELECT COUNT(*) FROM mentor_pairs").await, 1);
}

/// Achievements, pairs with repeat apprentices and projects over two years; every figure equals
/// a recount of the rows, the drills list as many as the figures say, and a street moved to
/// another district takes its records' figures along.
#[tokio::test]
async fn innovation_figures_equal_a_brute_force_recount() {
    let app = spawn_app().await;
    app.seed_tree().await;
    let today = app.today();
    let db = &app.reg.db;
    let keys = &app.reg.keys;
    let actor = Actor::system(keys, "测试");
    let mut people = Vec::new();
    for (n, org) in [
        (10, "U1"),
        (11, "U1"),
        (12, "U2"),
        (13, "U3"),
        (14, "U3"),
        (15, "U2"),
    ] {
        people.push(member(&app, n, org).await.0);
    }
    let mut rng = Lcg(91);
    let kinds = ["small_innovation", "invention", "proposal"];
    for _ in 0..36 {
        let author = people[rng.below(people.len() as u64) as usize].clone();
        let on = today - Days::new(rng.below(700));
        let a = achievement::submit(
            db,
            keys,
            &actor,
            &achievement::AchievementInput {
                kind: Some(kinds[rng.below(3) as usize].into()),
                title: Some("成果".into()),
                summary: Some("简介".into()),
                authors: Some(author),
                submitted_on: Some(on.to_string()),
                ..Default::default()
            },
            today,
            1,
        )
        .await
        .unwrap();
        let roll = rng.below(4);
        if roll == 0 {
            continue;
        }
        let decided = (on + Days::new(rng.below(30))).min(today);
        let a = achievement::decide(
            db,
            &actor,
            a.id,
            &achievement::DecideInput {
                action: if roll == 1 { "decline" } else { "adopt" }.into(),
                on: Some(decided.to_string()),
                reason: Some("不采纳".into()),
                version: a.version,
                ..Default::default()
            },
            today,
            2,
        )
        .await
        .unwrap();
        if roll == 3 {
            achievement::decide(
                db,
                &actor,
                a.id,
                &achievement::DecideInput {
                    action: "implement".into(),
                    on: Some((decided + Days::new(rng.below(40))).min(today).to_string()),
                    benefit: Some(format!("{}.{}", rng.below(90_000), rng.below(100))),
                    version: a.version,
                    ..Default::default()
                },
                today,
                3,
            )
            .await
            .unwrap();
        }
    }
    for _ in 0..30 {
        let m = rng.below(people.len() as u64) as usize;
        let a = (m + 1 + rng.below(people.len() as u64 - 1) as usize) % people.len();
        let on = today - Days::new(rng.below(700));
        let Ok(p) = mentoring::sign(
            db,
            keys,
            &actor,
            &mentoring::PairInput {
                mentor_member_id: Some(people[m].clone()),
                apprentice_member_id: Some(people[a].clone()),
                trade: Some("钳工".into()),
                starts_on: Some(on.to_string()),
                ends_on: Some((on + Days::new(365)).to_string()),
                ..Default::default()
            },
            today,
            1,
        )
        .await
        else {
            continue; // the same pair still running
        };
        if rng.below(2) == 0 {
            mentoring::close(
                db,
                &actor,
                p.id,
                &mentoring::CloseInput {
                    action: "graduate".into(),
                    version: p.version,
                    ..Default::default()
                },
                today,
                2,
            )
            .await
            .unwrap();
        }
    }
    for (n, org) in ["U1", "S1", "D2", "U3"].iter().enumerate() {
        let posted = today - Days::new(100 + 200 * n as u64);
        project::post(
            db,
            &actor,
            &project::ProjectInput {
                title: Some("项目".into()),
                challenge: Some("攻关".into()),
                org_code: Some((*org).into()),
                posted_on: Some(posted.to_string()),
                apply_by: Some((posted + Days::new(20)).to_string()),
                due_on: Some((posted + Days::new(60)).to_string()),
                ..Default::default()
            },
            today,
            1,
        )
        .await
        .unwrap();
    }
    type Ach = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        i64,
    );
    let achievements: Vec<Ach> = sqlx::query_as(
        "SELECT org_path, kind, status, submitted_on, decided_on, implemented_on, benefit_fen FROM innovation_achievements",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let pairs: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT org_path, starts_on, apprentice_id FROM mentor_pairs")
            .fetch_all(db.pool())
            .await
            .unwrap();
    let projects: Vec<(String, String)> =
        sqlx::query_as("SELECT org_path, posted_on FROM innovation_projects")
            .fetch_all(db.pool())
            .await
            .unwrap();
    for (org, days) in [
        ("C", 365),
        ("D1", 700),
        ("S1", 200),
        ("D2", 365),
        ("U3", 700),
    ] {
        let path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE code = $1")
            .bind(org)
            .fetch_one(db.pool())
            .await
            .unwrap();
        let from = today - Days::new(days);
        let (f, t) = (from.to_string(), today.to_string());
        let within = |d: Option<&str>| d.is_some_and(|d| d >= f.as_str() && d <= t.as_str());
        let mut submitted: BTreeMap<String, i64> = BTreeMap::new();
        let mut adopted: BTreeMap<String, i64> = BTreeMap::new();
        let mut benefit: BTreeMap<String, i64> = BTreeMap::new();
        for r in achievements.iter().filter(|r| r.0.starts_with(&path)) {
            if within(Some(&r.3)) {
                *submitted.entry(r.1.clone()).or_default() += 1;
            }
            if (r.2 == "adopted" || r.2 == "implemented") && within(r.4.as_deref()) {
                *adopted.entry(r.1.clone()).or_default() += 1;
            }
            if r.2 == "implemented" && within(r.5.as_deref()) {
                *benefit.entry(r.1.clone()).or_default() += r.6;
            }
        }
        let kept_pairs: Vec<_> = pairs
            .iter()
            .filter(|p| p.0.starts_with(&path) && within(Some(&p.1)))
            .collect();
        let apprentices = kept_pairs
            .iter()
            .map(|p| p.2)
            .collect::<BTreeSet<_>>()
            .len() as i64;
        let kept_projects = projects
            .iter()
            .filter(|p| p.0.starts_with(&path) && within(Some(&p.1)))
            .count() as i64;
        let period = gonghui::registry::stats::Period { from, to: today };
        let c = figures::counts(db, &path, &period).await.unwrap();
        assert_eq!(c.submitted, submitted, "{org}");
        assert_eq!(c.adopted, adopted, "{org}");
        assert_eq!(c.benefit, benefit, "{org}");
        assert_eq!(
            c.pairs.values().sum::<i64>(),
            kept_pairs.len() as i64,
            "{org}"
        );
        assert_eq!(c.apprentices, apprentices, "{org}");
        assert_eq!(c.projects.values().sum::<i64>(), kept_projects, "{org}");
        // The drills list what the figures count.
        let q = format!("org={org}&from={f}&to={t}&per_page=500");
        for (drill, expected) in [
            (format!("achievements?{q}"), submitted.values().sum::<i64>()),
            (
                format!("achievements?{q}&dated=adopted"),
                adopted.values().sum(),
            ),
            (format!("pairs?{q}"), kept_pairs.len() as i64),
            (format!("pairs?{q}&one_per_apprentice=true"), apprentices),
            (format!("projects?{q}"), kept_projects),
        ] {
            let (s, d) = app.get(&format!("/api/v1/innovation/{drill}")).await;
            assert_eq!(s, 200, "{d}");
            assert_eq!(d["total"].as_i64(), Some(expected), "{org} {drill}");
            assert_eq!(
                d["rows"].as_array().unwrap().len() as i64,
                expected,
                "{org} {drill}"
            );
        }
        let (_, d) = app
            .get(&format!(
                "/api/v1/innovation/achievements?{q}&dated=implemented&status=implemented"
            ))
            .await;
        let listed: i64 = d["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["benefit_fen"].as_i64().unwrap())
            .sum();
        assert_eq!(listed, benefit.values().sum::<i64>(), "{org} benefit drill");
    }
    // S1 (with U1 and U2) moves under D2: D2 now counts every achievement.
    let (s, v) = app
        .post("/api/v1/orgs/S1/move", json!({"parent_code": "D2"}))
        .await;
    assert_eq!(s, 200, "{v}");
    let d2: String = sqlx::query_scalar("SELECT path FROM orgs WHERE code = 'D2'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let period = gonghui::registry::stats::Period {
        from: today - Days::new(700),
        to: today,
    };
    let c = figures::counts(db, &d2, &period).await.unwrap();
    assert_eq!(
        c.submitted.values().sum::<i64>(),
        achievements.len() as i64,
        "every author's union is now under D2"
    );
}
