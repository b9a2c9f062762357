//! The access matrix: every role × every API route × its own subtree / another subtree, checked
//! against the tables written in docs/permissions.md (parsed here, not copied).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::helpers::{TESTER_PASSWORD, TestApp, id_number, spawn_app, uscc};

struct Written {
    /// role → permission codes
    roles: HashMap<String, HashSet<String>>,
    /// (method, path) → "公开" / "登录中" / permission code
    routes: Vec<(String, String, String)>,
    /// Console pages, the same way.
    pages: Vec<(String, String, String)>,
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().trim_matches('`').to_string())
        .collect()
}

fn read_docs() -> Written {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/permissions.md"))
        .expect("docs/permissions.md");
    let mut role_cols: Vec<String> = Vec::new();
    let mut roles: HashMap<String, HashSet<String>> = HashMap::new();
    let mut routes = Vec::new();
    let mut pages = Vec::new();
    for line in text.lines().filter(|l| l.starts_with('|')) {
        let c = cells(line);
        if c[0] == "权限" {
            // Header: "系统管理员 `sysadmin`" → sysadmin
            role_cols = c[2..c.len() - 1]
                .iter()
                .map(|h| {
                    h.split_whitespace()
                        .last()
                        .unwrap()
                        .trim_matches('`')
                        .to_string()
                })
                .collect();
            for r in &role_cols {
                roles.entry(r.clone()).or_default();
            }
        } else if c[0] == "页面" {
            pages.push((c[1].clone(), c[2].clone(), c[3].clone()));
        } else if ["GET", "POST", "PUT", "DELETE"].contains(&c[0].as_str()) {
            routes.push((c[0].clone(), c[1].clone(), c[2].clone()));
        } else if !role_cols.is_empty() && c.len() == role_cols.len() + 3 && c[0].contains('.')
            || ["import", "export"].contains(&c[0].as_str())
        {
            for (i, r) in role_cols.iter().enumerate() {
                if c[2 + i] == "✓" {
                    roles.get_mut(r).unwrap().insert(c[0].clone());
                }
            }
        }
    }
    assert_eq!(role_cols.len(), 7, "seven roles in the table");
    assert!(routes.len() > 40, "route table read");
    assert!(pages.len() > 40, "page table read");
    Written {
        roles,
        routes,
        pages,
    }
}

/// What a request to another subtree must produce.
enum Other {
    /// The record answers 404.
    NotFound,
    /// Refused as outside the caller's subtree (404, or 422 naming the scope).
    Refused,
    /// A list: the other subtree's marker must not appear in the own-scope answer.
    Hidden(String),
    /// Not applicable (no record in the request).
    None,
}

struct Req {
    method: String,
    url: String,
    json: Option<Value>,
    raw: Option<Vec<u8>>,
}

struct Fixture {
    own_member: i64,
    other_member: i64,
    own_unit: i64,
    other_unit: i64,
    own_account: i64,
    other_account: i64,
    own_token: i64,
    other_token: i64,
    own_job: String,
    other_job: String,
    own_id_number: String,
    other_id_number: String,
    d1_path: String,
    /// Waiting transfers: within D1 (U1 → U2) and within D2 (U3 → U4).
    own_transfer: i64,
    other_transfer: i64,
    /// An officer of U2 and one of U3.
    own_officer: i64,
    other_officer: i64,
    /// A petition received by U1 and one by U3; one the own member filed.
    own_petition: i64,
    other_petition: i64,
    members_petition: i64,
    /// A mediation handled by U1 and one by U3.
    own_dispute: i64,
    other_dispute: i64,
    /// A file on each of those cases: (petition U1, petition U3, dispute U1, dispute U3, the
    /// member's petition).
    files: [i64; 5],
    /// A mediator on D1's roster and one on D2's.
    advocates: (i64, i64),
    /// Aid, own (D1, U1's member) and other (D2, U3's member): a hardship file, a campaign, an
    /// application in its public notice with an objection open, a batch and one of its lines.
    aid: [(i64, i64); 6],
    /// Mutual aid, own (D1) and other (D2): [plan, claim, a document of the claim].
    mutual: [(i64, i64); 3],
    /// Funds, own (D1's books) and other (D2's): [a refund computed, a posting].
    funds: [(i64, i64); 2],
    /// Collective contracts, own (D1) and other (D2): [a draft contract, an offer campaign, its
    /// offer to the side's employer, a motion of the employer's congress, a file on the contract].
    contracts: [(i64, i64); 5],
    /// Activities, own (D1) and other (D2): [a competition, its session held today, its event
    /// (工种) held today, a payment from its budget]; and the own session's check-in code.
    activities: [(i64, i64); 4],
    own_session_code: String,
    /// Honours, own (D1, U1's member) and other (D2, U3's member): [a nomination under review,
    /// one in its public notice, an objection to it, a recorded honour, an allowance paid].
    honours: [(i64, i64); 5],
    /// Innovation, own (D1, U1's member) and other (D2, U3's member): [a studio, an
    /// achievement, a pair, a project].
    innovation: [(i64, i64); 4],
    /// Research, own (D1) and other (D2): [a task, its questionnaire, a ledger item].
    research: [(i64, i64); 3],
}

async fn enroll(app: &TestApp, name: &str, id: &str, org: &str) -> i64 {
    let (s, v) = app
        .post(
            "/api/v1/members",
            json!({ "name": name, "id_number": id, "org_code": org, "joined_on": "2020-01-01" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["member"]["id"].as_str().unwrap().parse().unwrap()
}

async fn save_unit(app: &TestApp, body17: &str, name: &str, org: &str) -> i64 {
    let (s, v) = app
        .post(
            "/api/v1/units",
            json!({ "uscc": uscc(body17), "name": name, "employee_count": 10, "org_code": org }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["id"].as_str().unwrap().parse().unwrap()
}

async fn dry_run_job(app: &TestApp, client: &reqwest::Client, parent: &str) -> String {
    // One row with an error, so that the job has an error report.
    let csv = format!(
        "工会代码,工会名称,组织类型,上级工会代码\nJX{parent},试导入工会,基层工会,{parent}\nJZ{parent},,基层工会,{parent}\n"
    );
    let r = client
        .post(app.url("/api/v1/imports/orgs?file_name=t.csv&dry_run=1"))
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let v: Value = r.json().await.unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    for _ in 0..200 {
        let s: Value = client
            .get(app.url(&format!("/api/v1/import-jobs/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if s["state"] != "running" {
            return id;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("job did not finish")
}

async fn fixture(app: &TestApp) -> Fixture {
    app.seed_tree().await;
    let own_id_number = id_number("340402", "19850101", 11);
    let other_id_number = id_number("340402", "19850101", 13);
    let own_member = enroll(app, "本区会员", &own_id_number, "U1").await;
    let other_member = enroll(app, "外区会员", &other_id_number, "U3").await;
    let own_unit = save_unit(app, "91340400MA0000011", "本区单位", "U1").await;
    let other_unit = save_unit(app, "91340400MA0000012", "外区单位", "U3").await;
    let own_account = app
        .add_account("target_own", "officer", Some("U1"), None)
        .await;
    let other_account = app
        .add_account("target_other", "officer", Some("U3"), None)
        .await;
    let reg = &app.reg;
    let root = gonghui::audit::Actor::system(&reg.keys, "test");
    let mk = |org: &str, name: &str| gonghui::auth::tokens::NewToken {
        name: name.into(),
        org_code: org.into(),
        permissions: vec!["stats.read".into()],
        expires_in_days: 30,
    };
    let now = gonghui::db::now_ms();
    let all = gonghui::auth::permissions::PermSet::of(gonghui::auth::permissions::TOKEN_GRANTABLE);
    let own_token = gonghui::auth::tokens::create(&reg.db, &root, all, &mk("D1", "本区令牌"), now)
        .await
        .unwrap()
        .0
        .id;
    let other_token =
        gonghui::auth::tokens::create(&reg.db, &root, all, &mk("D2", "外区令牌"), now)
            .await
            .unwrap()
            .0
            .id;
    app.add_account("jobs_d1", "cadre", Some("D1"), None).await;
    app.add_account("jobs_d2", "cadre", Some("D2"), None).await;
    let own_job = dry_run_job(app, &app.signed_in("jobs_d1", TESTER_PASSWORD).await, "S1").await;
    let other_job = dry_run_job(app, &app.signed_in("jobs_d2", TESTER_PASSWORD).await, "D2").await;
    let (_, d1) = app.get("/api/v1/orgs/D1").await;
    let (s, v) = app
        .post(
            "/api/v1/orgs",
            json!({"code": "U4", "name": "丁公司工会", "kind": "grassroots", "parent_code": "D2"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let on = chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let transfer = |member: i64, to: &'static str| {
        let (db, root) = (app.reg.db.clone(), root.clone());
        async move {
            gonghui::registry::transfers::request(&db, &root, member, to, on, "")
                .await
                .unwrap()
        }
    };
    let own_transfer = transfer(own_member, "U2").await;
    let other_transfer = transfer(other_member, "U4").await;
    let officer = |code: &'static str| {
        let (db, keys, root) = (app.reg.db.clone(), app.reg.keys.clone(), root.clone());
        async move {
            let org = gonghui::registry::orgs::get_by_code(&db, &root.scope, code)
                .await
                .unwrap();
            let input = gonghui::registry::officers::OfficerInput {
                position: "主席".into(),
                name: if code == "U2" {
                    "乙主席"
                } else {
                    "丙主席"
                }
                .into(),
                ..Default::default()
            };
            gonghui::registry::officers::add(&db, &keys, &root, &org, &input)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let own_officer = officer("U2").await;
    let other_officer = officer("U3").await;
    let petition = |code: &'static str| {
        let (db, keys, root) = (app.reg.db.clone(), app.reg.keys.clone(), root.clone());
        let rules = gonghui::casework::petitions::Deadlines::from_config(&app.config);
        async move {
            let input = gonghui::casework::petitions::IntakeInput {
                org_code: Some(code.into()),
                channel: Some("visit".into()),
                kind: Some("request".into()),
                category: Some("wages".into()),
                requester_name: Some("来访职工".into()),
                summary: Some("讨要工资".into()),
                ..Default::default()
            };
            let today = chrono::Local::now().date_naive();
            gonghui::casework::petitions::intake(
                &db,
                &keys,
                &root,
                &input,
                None,
                rules,
                today,
                gonghui::db::now_ms(),
            )
            .await
            .unwrap()
            .id
        }
    };
    let own_petition = petition("U1").await;
    let other_petition = petition("U3").await;
    let today = chrono::Local::now().date_naive();
    let members_petition = gonghui::casework::petitions::intake(
        &app.reg.db,
        &app.reg.keys,
        &root,
        &gonghui::casework::petitions::IntakeInput {
            kind: Some("consult".into()),
            category: Some("hours".into()),
            summary: Some("加班费".into()),
            ..Default::default()
        },
        Some(own_member),
        gonghui::casework::petitions::Deadlines::from_config(&app.config),
        today,
        gonghui::db::now_ms(),
    )
    .await
    .unwrap()
    .id;
    let dispute = |code: &'static str| {
        let (db, keys, root) = (app.reg.db.clone(), app.reg.keys.clone(), root.clone());
        async move {
            let input = gonghui::casework::disputes::DisputeInput {
                kind: Some("mediation".into()),
                org_code: Some(code.into()),
                source: Some("direct".into()),
                claim: Some("wages".into()),
                amount_claimed: Some("5000".into()),
                unit_name: Some("某餐馆".into()),
                workers: vec![gonghui::people::PersonInput {
                    name: Some("争议职工".into()),
                    ..Default::default()
                }],
                summary: Some("欠薪两个月".into()),
                ..Default::default()
            };
            gonghui::casework::disputes::register(
                &db,
                &keys,
                &root,
                &input,
                15,
                today,
                gonghui::db::now_ms(),
            )
            .await
            .unwrap()
            .id
        }
    };
    let advocate = |org: &'static str, name: &'static str| {
        let (db, keys, root) = (app.reg.db.clone(), app.reg.keys.clone(), root.clone());
        async move {
            gonghui::casework::roster::add(
                &db,
                &keys,
                &root,
                &gonghui::casework::roster::AdvocateInput {
                    org_code: Some(org.into()),
                    role: Some("mediator".into()),
                    name: Some(name.into()),
                    organisation: Some("调解委员会".into()),
                    mobile: None,
                },
                gonghui::db::now_ms(),
            )
            .await
            .unwrap()
            .id
        }
    };
    let own_advocate = advocate("D1", "本区调解员").await;
    let other_advocate = advocate("D2", "外区调解员二").await;
    gonghui::casework::roster::add(
        &app.reg.db,
        &app.reg.keys,
        &root,
        &gonghui::casework::roster::AdvocateInput {
            org_code: Some("D2".into()),
            role: Some("mediator".into()),
            name: Some("外区调解员".into()),
            organisation: Some("外区调解委员会".into()),
            mobile: None,
        },
        gonghui::db::now_ms(),
    )
    .await
    .unwrap();
    let own_dispute = dispute("U1").await;
    let other_dispute = dispute("U3").await;
    let mut files = [0; 5];
    let owners = [
        ("petition", own_petition),
        ("petition", other_petition),
        ("dispute", own_dispute),
        ("dispute", other_dispute),
        ("petition", members_petition),
    ];
    for (i, (kind, id)) in owners.into_iter().enumerate() {
        files[i] = gonghui::attachments::add(
            &app.reg.db,
            &app.reg.keys,
            &root,
            gonghui::attachments::Owner { kind, id },
            gonghui::attachments::Sent {
                name: "来信.pdf",
                bytes: format!("%PDF-1.4\n% fixture {i}\n").as_bytes(),
            },
            1 << 20,
            gonghui::db::now_ms(),
        )
        .await
        .unwrap()
        .id;
    }
    let aid = aid_fixture(app, &root, own_member, other_member).await;
    let mutual = mutual_fixture(
        app,
        &root,
        [
            (own_member, own_unit, "D1", "本区互助计划"),
            (other_member, other_unit, "D2", "外区互助计划"),
        ],
    )
    .await;
    let funds = funds_fixture(
        app,
        [(own_unit, "D1", "本区政策"), (other_unit, "D2", "外区政策")],
    )
    .await;
    let contracts = contracts_fixture(
        app,
        &root,
        [(own_unit, "D1", "本区"), (other_unit, "D2", "外区")],
    )
    .await;
    let (activities, own_session_code) = activities_fixture(&app.reg.db, &root).await;
    let honours = honours_fixture(
        &app.reg.db,
        &app.reg.keys,
        &root,
        [(own_member, "D1", "本区"), (other_member, "D2", "外区")],
    )
    .await;
    let own_apprentice = enroll(app, "本区徒弟", &id_number("340402", "19850101", 21), "U2").await;
    let other_apprentice =
        enroll(app, "外区徒弟", &id_number("340402", "19850101", 23), "U3").await;
    let innovation = innovation_fixture(
        &app.reg.db,
        &app.reg.keys,
        &root,
        [
            (own_member, own_apprentice, "D1", "本区"),
            (other_member, other_apprentice, "D2", "外区"),
        ],
    )
    .await;
    let research = research_fixture(&app.reg.db, &root, [("D1", "本区"), ("D2", "外区")]).await;
    Fixture {
        research,
        innovation,
        honours,
        activities,
        own_session_code,
        contracts,
        funds,
        mutual,
        aid,
        files,
        advocates: (own_advocate, other_advocate),
        own_petition,
        other_petition,
        members_petition,
        own_dispute,
        other_dispute,
        own_officer,
        other_officer,
        own_transfer,
        other_transfer,
        own_member,
        other_member,
        own_unit,
        other_unit,
        own_account,
        other_account,
        own_token,
        other_token,
        own_job,
        other_job,
        own_id_number,
        other_id_number,
        d1_path: d1["path"].as_str().unwrap().to_string(),
    }
}

/// On each side: the employer's fund receipt imported to the district's books, the district's
/// refund policy, and a refund computed (by someone other than the accounts of the matrix).
async fn funds_fixture(app: &TestApp, sides: [(i64, &str, &str); 2]) -> [(i64, i64); 2] {
    use gonghui::funds::refunds;
    use gonghui::registry::import::{ImportKind, ImportOptions, Progress, run};
    use std::sync::Arc;
    let db = &app.reg.db;
    let today = chrono::Local::now().date_naive();
    let year: i64 = today.format("%Y").to_string().parse().unwrap();
    let now = gonghui::db::now_ms();
    let mut out = [(0, 0); 2];
    for (side, (unit, district, note)) in sides.into_iter().enumerate() {
        let path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE code = $1")
            .bind(district)
            .fetch_one(db.pool())
            .await
            .unwrap();
        let mut actor = gonghui::audit::Actor::system(&app.reg.keys, "fixture");
        actor.scope = gonghui::registry::scope::Scope::subtree(&path);
        let uscc: String = sqlx::query_scalar("SELECT uscc FROM units WHERE id = $1")
            .bind(unit)
            .fetch_one(db.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE units SET small_micro = 1 WHERE id = $1")
            .bind(unit)
            .execute(db.pool())
            .await
            .unwrap();
        let csv = format!("统一社会信用代码,所属期,实缴金额\n{uscc},{year}-01,1000\n");
        let (o, _) = run(
            &app.reg,
            &actor,
            ImportKind::FundReceipts,
            Arc::new(csv.into_bytes()),
            &ImportOptions::default(),
            Arc::new(Progress::default()),
        )
        .await
        .unwrap();
        assert!(o.committed, "{o:?}");
        refunds::set_policy(
            db,
            &actor,
            &refunds::PolicyInput {
                year: Some(year),
                refund_pct: Some(100),
                note: Some(note.into()),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        let c = refunds::compute(
            db,
            &actor,
            &refunds::ComputeInput {
                year: Some(year),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        assert_eq!(c.refunds, 1, "{c:?}");
        let refund: i64 = sqlx::query_scalar("SELECT id FROM fund_refunds WHERE unit_id = $1")
            .bind(unit)
            .fetch_one(db.pool())
            .await
            .unwrap();
        let posting: i64 =
            sqlx::query_scalar("SELECT MIN(id) FROM ledger_postings WHERE org_path = $1")
                .bind(&path)
                .fetch_one(db.pool())
                .await
                .unwrap();
        for (slot, v) in [(0, refund), (1, posting)] {
            if side == 0 {
                out[slot].0 = v
            } else {
                out[slot].1 = v
            }
        }
    }
    out
}

/// A mutual-aid plan on each side with the side's employer enrolled and a claim of its member.
async fn mutual_fixture(
    app: &TestApp,
    root: &gonghui::audit::Actor,
    sides: [(i64, i64, &str, &str); 2],
) -> [(i64, i64); 3] {
    use gonghui::aid::mutual;
    let today = chrono::Local::now().date_naive();
    let now = gonghui::db::now_ms();
    let db = &app.reg.db;
    let mut out = [(0, 0); 3];
    for (side, (member, unit, district, name)) in sides.into_iter().enumerate() {
        sqlx::query("UPDATE members SET unit_id = $1 WHERE id = $2")
            .bind(unit)
            .bind(member)
            .execute(db.pool())
            .await
            .unwrap();
        let plan = mutual::create_plan(
            db,
            root,
            &mutual::PlanInput {
                org_code: Some(district.into()),
                name: Some(name.into()),
                term_start: Some((today - chrono::Duration::days(30)).to_string()),
                term_end: Some((today + chrono::Duration::days(300)).to_string()),
                contribution: Some("60".into()),
                deductible: Some("500".into()),
                share_pct: Some(50),
                cap: Some("20000".into()),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        mutual::enrol(
            db,
            root,
            plan.id,
            &mutual::EnrolInput {
                unit_id: unit.to_string(),
                ..Default::default()
            },
            today,
            now,
        )
        .await
        .unwrap();
        let claim = mutual::ClaimInput {
            member_id: member.to_string(),
            illness: Some("住院".into()),
            occurred_on: Some(today.to_string()),
            expense: Some("600".into()),
            amount: None,
        };
        let c = mutual::claim(db, root, plan.id, &claim, today, now)
            .await
            .unwrap();
        let file = gonghui::attachments::add(
            db,
            &app.reg.keys,
            root,
            mutual::files_of(db, &root.scope, c.id).await.unwrap(),
            gonghui::attachments::Sent {
                name: "发票.pdf",
                bytes: format!("%PDF-1.4\n% claim {side}\n").as_bytes(),
            },
            1 << 20,
            now,
        )
        .await
        .unwrap()
        .id;
        for (slot, v) in [(0, plan.id), (1, c.id), (2, file)] {
            if side == 0 {
                out[slot].0 = v
            } else {
                out[slot].1 = v
            }
        }
    }
    out
}

/// A competition on each side with a session and an event held today and a payment:
/// ([activity, session, event, payment], own code).
async fn activities_fixture(
    db: &gonghui::db::Db,
    root: &gonghui::audit::Actor,
) -> ([(i64, i64); 4], String) {
    use gonghui::activities::{activity, contests, participation, spending};
    let today = chrono::Local::now().date_naive();
    let now = gonghui::db::now_ms();
    let mut out = [(0, 0); 4];
    let mut code = String::new();
    for (side, (district, marker)) in [("D1", "本区"), ("D2", "外区")].into_iter().enumerate() {
        let a = activity::create(
            db,
            root,
            &activity::ActivityInput {
                org_code: Some(district.into()),
                kind: Some("劳动竞赛".into()),
                title: Some(format!("{marker}活动")),
                starts_on: Some((today - chrono::Days::new(1)).to_string()),
                ends_on: Some((today + chrono::Days::new(30)).to_string()),
                budget: Some("1000".into()),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        let s = participation::add_session(
            db,
            root,
            a.id,
            &participation::SessionInput {
                held_on: Some(today.to_string()),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
        let t = contests::add_trade(
            db,
            root,
            a.id,
            &contests::TradeInput {
                name: Some("焊工".into()),
                teams: Some(false),
                held_on: Some(today.to_string()),
            },
            now,
        )
        .await
        .unwrap();
        let x = spending::spend(
            db,
            root,
            a.id,
            &spending::SpendingInput {
                spent_on: Some(today.to_string()),
                amount: Some("10".into()),
                purpose: Some("茶水".into()),
                payee: None,
            },
            today,
            now,
        )
        .await
        .unwrap();
        for (slot, v) in [(0, a.id), (1, s.id), (2, t.id), (3, x.id)] {
            if side == 0 {
                out[slot].0 = v
            } else {
                out[slot].1 = v
            }
        }
        if side == 0 {
            code = s.code;
        }
    }
    (out, code)
}

/// Research on each side: [a task, its questionnaire open today, a ledger item].
async fn research_fixture(
    db: &gonghui::db::Db,
    root: &gonghui::audit::Actor,
    sides: [(&str, &str); 2],
) -> [(i64, i64); 3] {
    use gonghui::research::{issues, survey, task};
    let today = chrono::Local::now().date_naive();
    let now = gonghui::db::now_ms();
    let mut out = [(0, 0); 3];
    for (side, (district, marker)) in sides.into_iter().enumerate() {
        let t = task::create(
            db,
            root,
            &task::TaskInput {
                title: Some(format!("{marker}调研")),
                purpose: Some("了解情况".into()),
                org_code: Some(district.into()),
                starts_on: Some(today.to_string()),
                ends_on: Some(today.to_string()),
            },
            now,
        )
        .await
        .unwrap();
        let q = survey::create(
            db,
            root,
            t.id,
            &survey::QuestionnaireInput {
                title: Some(format!("{marker}问卷")),
                questions: Some("满意吗？/满意/不满意".into()),
                opens_on: Some(today.to_string()),
                closes_on: Some(today.to_string()),
            },
            now,
        )
        .await
        .unwrap();
        let i = issues::raise(
            db,
            root,
            &issues::IssueInput {
                task_id: Some(t.id.to_string()),
                title: Some(format!("{marker}问题")),
                owner: Some("权益部".into()),
                due_on: Some(today.to_string()),
                ..Default::default()
            },
            today,
            now,
        )
        .await
        .unwrap();
        for (slot, v) in [t.id, q.id, i.id].into_iter().enumerate() {
            if side == 0 {
                out[slot].0 = v
            } else {
                out[slot].1 = v
            }
        }
    }
    out
}

/// Innovation on each side: [a studio, an achievement of it, a pair, a project put up].
async fn innovation_fixture(
    db: &gonghui::db::Db,
    keys: &gonghui::crypto::FieldKeys,
    root: &gonghui::audit::Actor,
    sides: [(i64, i64, &str, &str); 2],
) -> [(i64, i64); 4] {
    use gonghui::innovation::{achievement, mentoring, project, studio};
    let today = chrono::Local::now().date_naive();
    let now = gonghui::db::now_ms();
    let mut out = [(0, 0); 4];
    for (side, (member, apprentice, district, marker)) in sides.into_iter().enumerate() {
        let s = studio::name(
            db,
            keys,
            root,
            &studio::StudioInput {
                name: Some(format!("{marker}创新工作室")),
                field: Some("数控".into()),
                leader_member_id: Some(member.to_string()),
                level: Some("district".into()),
                named_by: Some(district.into()),
                named_on: Some(today.to_string()),
                ..Default::default()
            },
            today,
            now,
        )
        .await
        .unwrap();
        let a = achievement::submit(
            db,
            keys,
            root,
            &achievement::AchievementInput {
                kind: Some("proposal".into()),
                title: Some(format!("{marker}成果")),
                summary: Some("建议".into()),
                authors: Some(member.to_string()),
                studio_id: Some(s.id.to_string()),
                ..Default::default()
            },
            today,
            now,
        )
        .await
        .unwrap();
        let p = mentoring::sign(
            db,
            keys,
            root,
            &mentoring::PairInput {
                mentor_member_id: Some(member.to_string()),
                apprentice_member_id: Some(apprentice.to_string()),
                trade: Some(format!("{marker}工种")),
                starts_on: Some(today.to_string()),
                ends_on: Some((today + chrono::Days::new(300)).to_string()),
                ..Default::default()
            },
            today,
            now,
        )
        .await
        .unwrap();
        let j = project::post(
            db,
            root,
            &project::ProjectInput {
                title: Some(format!("{marker}攻关")),
                challenge: Some("降低废品率".into()),
                org_code: Some(district.into()),
                apply_by: Some((today + chrono::Days::new(30)).to_string()),
                due_on: Some((today + chrono::Days::new(90)).to_string()),
                ..Default::default()
            },
            today,
            now,
        )
        .await
        .unwrap();
        for (slot, v) in [s.id, a.id, p.id, j.id].into_iter().enumerate() {
            if side == 0 {
                out[slot].0 = v
            } else {
                out[slot].1 = v
            }
        }
    }
    out
}

/// Honours on each side: [a nomination under review, one in notice, an objection to it, a
/// recorded honour, an allowance paid to its holder].
async fn honours_fixture(
    db: &gonghui::db::Db,
    keys: &gonghui::crypto::FieldKeys,
    root: &gonghui::audit::Actor,
    sides: [(i64, &str, &str); 2],
) -> [(i64, i64); 5] {
    use gonghui::honours::{care, honour};
    use gonghui::workflow::{notice, review};
    let today = chrono::Local::now().date_naive();
    let now = gonghui::db::now_ms();
    let mut out = [(0, 0); 5];
    for (side, (member, district, marker)) in sides.into_iter().enumerate() {
        let input = |kind: &str| honour::HonourInput {
            subject: Some("person".into()),
            member_id: Some(member.to_string()),
            title_kind: Some(kind.into()),
            title: Some(format!("{marker}工匠")),
            level: Some("district".into()),
            deeds: Some("技术革新".into()),
            awarding_org: Some(district.into()),
            ..Default::default()
        };
        let reviewing = honour::nominate(db, keys, root, &input("craftsman"), today, now)
            .await
            .unwrap();
        let mut h = honour::nominate(db, keys, root, &input("model_worker"), today, now)
            .await
            .unwrap();
        while h.status == "reviewing" {
            let decision = review::DecisionInput {
                decision: "approve".into(),
                comment: None,
                version: h.version,
            };
            h = honour::decide(db, root, h.id, &decision, today, now)
                .await
                .unwrap();
        }
        let objection = notice::ObjectionInput {
            text: "反映事迹不实".into(),
        };
        honour::object(db, root, h.id, &objection, today, now)
            .await
            .unwrap();
        let objection_id: i64 = sqlx::query_scalar(
            "SELECT id FROM notice_objections WHERE subject_type = 'honour' AND subject_id = $1",
        )
        .bind(h.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
        let mut recorded = input("may_day_medal");
        recorded.awarding_org = None;
        recorded.awarding_body = Some("省总工会".into());
        recorded.awarded_on = Some("2020-04-28".into());
        recorded.document_no = Some("省总发〔2020〕1号".into());
        recorded.level = Some("provincial".into());
        let granted = honour::record(db, keys, root, &recorded, today, now)
            .await
            .unwrap();
        let paid = care::give(
            db,
            root,
            granted.id,
            &care::CareInput {
                kind: Some("allowance".into()),
                cared_on: Some(today.to_string()),
                amount: Some("500".into()),
                org_code: Some(district.into()),
                ..Default::default()
            },
            today,
            now,
        )
        .await
        .unwrap();
        for (slot, v) in [reviewing.id, h.id, objection_id, granted.id, paid.id]
            .into_iter()
            .enumerate()
        {
            if side == 0 {
                out[slot].0 = v
            } else {
                out[slot].1 = v
            }
        }
    }
    out
}

/// Collective-bargaining records on each side: [contract, campaign, offer, motion].
async fn contracts_fixture(
    app: &TestApp,
    root: &gonghui::audit::Actor,
    sides: [(i64, &str, &str); 2],
) -> [(i64, i64); 5] {
    use gonghui::contracts::{contract, democracy, offers};
    let db = &app.reg.db;
    let today = chrono::Local::now().date_naive();
    let now = gonghui::db::now_ms();
    let mut out = [(0, 0); 5];
    for (side, (unit, district, marker)) in sides.into_iter().enumerate() {
        let uscc: String = sqlx::query_scalar("SELECT uscc FROM units WHERE id = $1")
            .bind(unit)
            .fetch_one(db.pool())
            .await
            .unwrap();
        let c = contract::create(
            db,
            root,
            &contract::ContractInput {
                org_code: Some(district.into()),
                title: Some(format!("{marker}集体合同")),
                kind: Some("综合".into()),
                reach: Some("单独签订".into()),
                employers: vec![uscc],
                union_side: Some("甲".into()),
                employer_side: Some("乙".into()),
                starts_on: Some("2026-01-01".into()),
                ends_on: Some("2027-12-31".into()),
                ..Default::default()
            },
            today,
            now,
        )
        .await
        .unwrap();
        let campaign = offers::create_campaign(
            db,
            root,
            &offers::CampaignInput {
                org_code: Some(district.into()),
                name: Some(format!("{marker}要约行动")),
                starts_on: Some("2026-03-01".into()),
                ends_on: Some("2026-05-31".into()),
                employers: Vec::new(),
            },
            now,
        )
        .await
        .unwrap();
        let offer: i64 = sqlx::query_scalar(
            "SELECT id FROM bargain_offers WHERE campaign_id = $1 AND unit_id = $2",
        )
        .bind(campaign.id)
        .bind(unit)
        .fetch_one(db.pool())
        .await
        .unwrap();
        let congress = democracy::add_congress(
            db,
            root,
            unit,
            &democracy::CongressInput {
                session: Some("第一届第一次".into()),
                held_on: Some(today.to_string()),
                delegates: Some(30),
                present: Some(28),
                motions: vec!["关于食堂的提案".into()],
                ..Default::default()
            },
            today,
        )
        .await
        .unwrap();
        let motion: i64 =
            sqlx::query_scalar("SELECT id FROM congress_motions WHERE congress_id = $1")
                .bind(congress)
                .fetch_one(db.pool())
                .await
                .unwrap();
        let file = gonghui::attachments::add(
            db,
            &app.reg.keys,
            root,
            contract::files_of(db, &root.scope, c.id).await.unwrap(),
            gonghui::attachments::Sent {
                name: "合同文本.pdf",
                bytes: format!("%PDF-1.4\n% contract {side}\n").as_bytes(),
            },
            1 << 20,
            now,
        )
        .await
        .unwrap()
        .id;
        for (slot, v) in [
            (0, c.id),
            (1, campaign.id),
            (2, offer),
            (3, motion),
            (4, file),
        ] {
            if side == 0 {
                out[slot].0 = v
            } else {
                out[slot].1 = v
            }
        }
    }
    out
}

/// Aid records on each side: [file, campaign, application, objection, batch, line], each as
/// (own, other).
async fn aid_fixture(
    app: &TestApp,
    root: &gonghui::audit::Actor,
    own_member: i64,
    other_member: i64,
) -> [(i64, i64); 6] {
    use gonghui::aid::{campaigns, hardship, payouts};
    let (s, v) = app
        .put(
            "/api/v1/orgs/C",
            json!({"name": "测试市总工会", "kind": "city", "region_code": "340400"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let today = chrono::Local::now().date_naive();
    let year: i64 = today.format("%Y").to_string().parse().unwrap();
    let (s, v) = app
        .post(
            "/api/v1/aid/lines",
            json!({"region_code": "340400", "year": year, "monthly": "600"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (db, keys, now) = (&app.reg.db, &app.reg.keys, gonghui::db::now_ms());
    let mut out = [(0, 0); 6];
    for (side, (member, district, name)) in [
        (own_member, "D1", "本区送温暖"),
        (other_member, "D2", "外区送温暖"),
    ]
    .into_iter()
    .enumerate()
    {
        let set = |slot: &mut (i64, i64), v: i64| if side == 0 { slot.0 = v } else { slot.1 = v };
        let file = hardship::open_file(
            db,
            keys,
            root,
            &hardship::FileInput {
                persons: vec![hardship::HouseholdPersonInput {
                    member_id: Some(member.to_string()),
                    relation: Some("self".into()),
                    ..Default::default()
                }],
                income: Some("3000".into()),
                causes: vec!["illness".into()],
                plan: Some("帮扶计划".into()),
                measures: Some("帮扶措施".into()),
                ..Default::default()
            },
            today,
            now,
        )
        .await
        .unwrap();
        set(&mut out[0], file.id);
        let c = campaigns::create(
            db,
            root,
            &campaigns::CampaignInput {
                org_code: Some(district.into()),
                name: Some(name.into()),
                kind: Some("festival".into()),
                starts_on: Some(today.to_string()),
                ends_on: Some(today.to_string()),
                budget: Some("10000".into()),
                max_per_person: Some("1000".into()),
                notice_days: Some(1),
                allow_repeat: true,
                ..Default::default()
            },
            today,
            now,
        )
        .await
        .unwrap();
        set(&mut out[1], c.id);
        let input = campaigns::ApplicationInput {
            member_id: Some(member.to_string()),
            form: Some("goods".into()),
            amount: Some("200".into()),
            goods: Some("米面油".into()),
            reason: Some("困难".into()),
            ..Default::default()
        };
        let approve = campaigns::DecisionInput {
            decision: "approve".into(),
            comment: None,
            version: 0,
        };
        let held = campaigns::apply(db, keys, root, c.id, &input, None, today, now)
            .await
            .unwrap();
        campaigns::decide(db, root, held.id, &approve, today, now)
            .await
            .unwrap();
        campaigns::object(
            db,
            root,
            held.id,
            &campaigns::ObjectionInput {
                text: "有异议".into(),
            },
            today,
            now,
        )
        .await
        .unwrap();
        set(&mut out[2], held.id);
        let objection = campaigns::objections(db, held.id).await.unwrap()[0].id;
        set(&mut out[3], objection);
        let paid = campaigns::apply(db, keys, root, c.id, &input, None, today, now)
            .await
            .unwrap();
        campaigns::decide(db, root, paid.id, &approve, today, now)
            .await
            .unwrap();
        let later = today + chrono::Duration::days(2);
        let batch = payouts::make_batch(db, root, c.id, &Default::default(), later, now)
            .await
            .unwrap();
        set(&mut out[4], batch.id);
        let line = payouts::lines(db, batch.id, &gonghui::db::Paging::new(None, None, 10))
            .await
            .unwrap()[0]
            .id;
        set(&mut out[5], line);
    }
    out
}

/// The request for one route, for the own subtree (`own`) or the other, and what the other
/// must produce. `n` makes created names unique.
/// A distinct valid ID number for the n-th request: the three-digit sequence runs out after
/// 900 requests, so the birth day moves on (seq 100 + 2n overflowed to 19 digits past n = 449,
/// which the role order of a run could reach).
fn fresh_id_number(n: usize) -> String {
    id_number(
        "340402",
        &format!("199001{:02}", 1 + n / 900),
        100 + (n % 900) as u32,
    )
}

fn sample(method: &str, path: &str, own: bool, f: &Fixture, n: usize) -> (Req, Other) {
    let pick = |a: &str, b: &str| if own { a.to_string() } else { b.to_string() };
    let id = |a: i64, b: i64| if own { a.to_string() } else { b.to_string() };
    let (url, json, other): (String, Option<Value>, Other) = match (method, path) {
        ("GET", "/api/v1/orgs") => ("/api/v1/orgs".into(), None, Other::Hidden("\"U3\"".into())),
        ("POST", "/api/v1/orgs") => (
            "/api/v1/orgs".into(),
            Some(
                json!({"code": format!("N{n}"), "name": "新建工会", "kind": "grassroots", "parent_code": pick("S1", "D2")}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/orgs/{code}") => (
            format!("/api/v1/orgs/{}", pick("U1", "U3")),
            None,
            Other::NotFound,
        ),
        ("PUT", "/api/v1/orgs/{code}") => (
            format!("/api/v1/orgs/{}", pick("U2", "U3")),
            Some(json!({"name": "改名工会", "kind": "joint"})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/orgs/{code}/move") => (
            format!("/api/v1/orgs/{}/move", pick("U2", "U3")),
            Some(json!({"parent_code": "S1"})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/orgs/{code}/close") => (
            format!("/api/v1/orgs/{}/close", pick("U2", "U3")),
            Some(json!({})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/units") => (
            "/api/v1/units".into(),
            None,
            Other::Hidden("外区单位".into()),
        ),
        ("POST", "/api/v1/units") => (
            "/api/v1/units".into(),
            Some(
                json!({"uscc": uscc("91340400MA0000019"), "name": "新单位", "employee_count": 5, "org_code": pick("U1", "U3")}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/units/{id}") => (
            format!("/api/v1/units/{}", id(f.own_unit, f.other_unit)),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/members") => (
            "/api/v1/members".into(),
            None,
            Other::Hidden("外区会员".into()),
        ),
        ("POST", "/api/v1/members") => (
            "/api/v1/members".into(),
            Some(
                json!({"name": "新会员", "id_number": fresh_id_number(n), "org_code": pick("U1", "U3")}),
            ),
            Other::Refused,
        ),
        ("POST", "/api/v1/members/search") => (
            "/api/v1/members/search".into(),
            Some(json!({"q": pick(&f.own_id_number, &f.other_id_number)})),
            Other::Hidden("外区会员".into()),
        ),
        ("POST", "/api/v1/members/lookup") => (
            "/api/v1/members/lookup".into(),
            Some(json!({"id_number": pick(&f.own_id_number, &f.other_id_number)})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/members/{id}") => (
            format!("/api/v1/members/{}", id(f.own_member, f.other_member)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/members/{id}/events") => (
            format!(
                "/api/v1/members/{}/events",
                id(f.own_member, f.other_member)
            ),
            Some(json!({"event": "retire", "on": "1999-01-01"})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/members/{id}/transfers") => (
            format!(
                "/api/v1/members/{}/transfers",
                id(f.own_member, f.other_member)
            ),
            Some(json!({"to_org": pick("U2", "U4"), "on": "2024-06-01"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/transfers") => (
            "/api/v1/transfers?direction=incoming".into(),
            None,
            Other::Hidden("外区会员".into()),
        ),
        ("POST", "/api/v1/transfers/{id}/{decision}") => (
            format!(
                "/api/v1/transfers/{}/{}",
                id(f.own_transfer, f.other_transfer),
                ["accept", "decline", "cancel"][n % 3]
            ),
            Some(json!({"note": "矩阵测试"})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/members/{id}/reveal") => (
            format!(
                "/api/v1/members/{}/reveal",
                id(f.own_member, f.other_member)
            ),
            Some(json!({"reason": "矩阵测试核对"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/stats") => (
            format!("/api/v1/stats?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/stats/drill") => (
            format!(
                "/api/v1/stats/drill?org={}&figure=members_at_end",
                pick("D1", "D2")
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/imports/{kind}") => (
            "/api/v1/imports/orgs?file_name=t.csv&dry_run=1".into(),
            None,
            Other::None,
        ),
        ("GET", "/api/v1/import-jobs/{id}") => (
            format!("/api/v1/import-jobs/{}", pick(&f.own_job, &f.other_job)),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/import-jobs/{id}/errors.xlsx") => (
            format!(
                "/api/v1/import-jobs/{}/errors.xlsx",
                pick(&f.own_job, &f.other_job)
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/templates/{kind}") => {
            ("/api/v1/templates/members".into(), None, Other::None)
        }
        ("GET", "/api/v1/exports/members") => (
            format!(
                "/api/v1/exports/members?format=csv&org={}",
                pick("D1", "D2")
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/exports/members/full") => (
            format!(
                "/api/v1/exports/members/full?format=csv&reason=矩阵测试&org={}",
                pick("D1", "D2")
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/me/member") => ("/api/v1/me/member".into(), None, Other::None),
        ("GET", "/api/v1/casework/petitions") => (
            "/api/v1/casework/petitions".into(),
            None,
            Other::Hidden("U3".into()),
        ),
        ("POST", "/api/v1/casework/petitions") => (
            "/api/v1/casework/petitions".into(),
            Some(
                json!({"org_code": pick("U1", "U3"), "channel": "visit", "kind": "consult", "category": "wages",
                        "requester_name": "来访职工", "summary": "咨询加班工资"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/casework/petitions/export") => (
            format!(
                "/api/v1/casework/petitions/export?format=csv&org={}",
                pick("U1", "U3")
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/casework/disputes/export") => (
            format!(
                "/api/v1/casework/disputes/export?format=csv&org={}",
                pick("U1", "U3")
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/casework/petitions/{id}") => (
            format!(
                "/api/v1/casework/petitions/{}",
                id(f.own_petition, f.other_petition)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/casework/petitions/{id}/steps") => (
            format!(
                "/api/v1/casework/petitions/{}/steps",
                id(f.own_petition, f.other_petition)
            ),
            Some(json!({"action": "accept"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/me/petitions") => ("/api/v1/me/petitions".into(), None, Other::None),
        ("GET", "/api/v1/figures") => (
            format!("/api/v1/figures?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/figures/{key}/cases") => (
            format!(
                "/api/v1/figures/mediation.cases/cases?org={}",
                pick("U1", "U3")
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/ledger/accounts") => (
            format!("/api/v1/ledger/accounts?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/ledger/postings") => (
            format!("/api/v1/ledger/postings?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/figures/{key}/cases/export") => (
            format!(
                "/api/v1/figures/mediation.cases/cases/export?format=csv&org={}",
                pick("U1", "U3")
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/me/petitions/{id}") => (
            format!(
                "/api/v1/me/petitions/{}",
                id(f.members_petition, f.other_petition)
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/casework/disputes") => (
            "/api/v1/casework/disputes".into(),
            None,
            Other::Hidden("U3".into()),
        ),
        ("POST", "/api/v1/casework/disputes") => (
            "/api/v1/casework/disputes".into(),
            Some(
                json!({"kind": "legal_aid", "org_code": pick("U1", "U3"), "source": "direct", "claim": "injury",
                        "unit_name": "某工地", "workers": [{"name": "受伤职工"}], "summary": "工伤认定"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/casework/disputes/{id}") => (
            format!(
                "/api/v1/casework/disputes/{}",
                id(f.own_dispute, f.other_dispute)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/casework/disputes/{id}/steps") => (
            format!(
                "/api/v1/casework/disputes/{}/steps",
                id(f.own_dispute, f.other_dispute)
            ),
            Some(json!({"action": "withdraw", "reason": "当事人自行和解"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/casework/petitions/{id}/attachments") => (
            format!(
                "/api/v1/casework/petitions/{}/attachments",
                id(f.own_petition, f.other_petition)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/casework/petitions/{id}/attachments") => (
            format!(
                "/api/v1/casework/petitions/{}/attachments?file_name=m{n}.pdf",
                id(f.own_petition, f.other_petition)
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/casework/petitions/{id}/attachments/{file}") => (
            format!(
                "/api/v1/casework/petitions/{}/attachments/{}",
                id(f.own_petition, f.other_petition),
                id(f.files[0], f.files[1])
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/casework/petitions/{id}/attachments/{file}/remove") => (
            format!(
                "/api/v1/casework/petitions/{}/attachments/{}/remove",
                id(f.own_petition, f.other_petition),
                id(f.files[0], f.files[1])
            ),
            Some(json!({"reason": "重复上传"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/casework/disputes/{id}/attachments") => (
            format!(
                "/api/v1/casework/disputes/{}/attachments",
                id(f.own_dispute, f.other_dispute)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/casework/disputes/{id}/attachments") => (
            format!(
                "/api/v1/casework/disputes/{}/attachments?file_name=m{n}.pdf",
                id(f.own_dispute, f.other_dispute)
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/casework/disputes/{id}/attachments/{file}") => (
            format!(
                "/api/v1/casework/disputes/{}/attachments/{}",
                id(f.own_dispute, f.other_dispute),
                id(f.files[2], f.files[3])
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/casework/disputes/{id}/attachments/{file}/remove") => (
            format!(
                "/api/v1/casework/disputes/{}/attachments/{}/remove",
                id(f.own_dispute, f.other_dispute),
                id(f.files[2], f.files[3])
            ),
            Some(json!({"reason": "重复上传"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/me/petitions/{id}/attachments") => (
            format!(
                "/api/v1/me/petitions/{}/attachments",
                id(f.members_petition, f.other_petition)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/me/petitions/{id}/attachments") => (
            format!(
                "/api/v1/me/petitions/{}/attachments?file_name=m{n}.pdf",
                id(f.members_petition, f.other_petition)
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/me/petitions/{id}/attachments/{file}") => (
            format!(
                "/api/v1/me/petitions/{}/attachments/{}",
                id(f.members_petition, f.other_petition),
                id(f.files[4], f.files[1])
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/casework/roster") => (
            "/api/v1/casework/roster".into(),
            None,
            Other::Hidden("外区调解员".into()),
        ),
        ("POST", "/api/v1/casework/roster") => (
            "/api/v1/casework/roster".into(),
            Some(
                json!({"org_code": pick("D1", "D2"), "role": "mediator", "name": "张调解",
                        "organisation": "区劳动争议调解委员会"}),
            ),
            Other::Refused,
        ),
        ("POST", "/api/v1/casework/roster/{id}/status") => (
            format!(
                "/api/v1/casework/roster/{}/status",
                id(f.advocates.0, f.advocates.1)
            ),
            Some(json!({"active": false, "reason": "调离"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/ledger/postings/{id}") => (
            format!("/api/v1/ledger/postings/{}", id(f.funds[1].0, f.funds[1].1)),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/funds/receipts/export")
        | ("GET", "/api/v1/funds/refunds/export")
        | ("GET", "/api/v1/aid/paid/export")
        | ("GET", "/api/v1/aid/files/export")
        | ("GET", "/api/v1/mutual/claims/export")
        | ("GET", "/api/v1/contracts/export")
        | ("GET", "/api/v1/contracts/covered/export") => (
            format!("{path}?org={}&format=csv", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/funds/receipts") => (
            format!("/api/v1/funds/receipts?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/funds/policies") => (
            "/api/v1/funds/policies".into(),
            None,
            Other::Hidden("外区政策".into()),
        ),
        ("POST", "/api/v1/funds/policies") => (
            "/api/v1/funds/policies".into(),
            Some(json!({"org_code": pick("D1", "D2"), "year": 2031, "refund_pct": 100})),
            Other::Refused,
        ),
        ("GET", "/api/v1/funds/refunds") => (
            format!("/api/v1/funds/refunds?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/funds/refunds/compute") => (
            "/api/v1/funds/refunds/compute".into(),
            Some(
                json!({"org_code": pick("D1", "D2"), "year": chrono::Local::now().date_naive().format("%Y").to_string().parse::<i64>().unwrap()}),
            ),
            Other::Refused,
        ),
        ("POST", "/api/v1/funds/refunds/act") => (
            "/api/v1/funds/refunds/act".into(),
            Some(json!({"ids": [id(f.funds[0].0, f.funds[0].1)], "action": "approve"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/funds/grants") => (
            format!("/api/v1/funds/grants?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/funds/grants") => (
            "/api/v1/funds/grants".into(),
            Some(
                json!({"from_org_code": pick("D1", "D2"), "to_org_code": pick("U1", "U3"), "amount": "1", "purpose": "补助"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/activities") => (
            "/api/v1/activities".into(),
            None,
            Other::Hidden("外区活动".into()),
        ),
        ("POST", "/api/v1/activities") => (
            "/api/v1/activities".into(),
            Some(
                json!({"org_code": pick("D1", "D2"), "kind": "training", "title": "新培训班",
                "starts_on": "2026-06-01", "ends_on": "2026-06-03"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/activities/persons") => (
            format!("/api/v1/activities/persons?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/activities/{id}") => (
            format!(
                "/api/v1/activities/{}",
                id(f.activities[0].0, f.activities[0].1)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/activities/{id}/sessions") => (
            format!(
                "/api/v1/activities/{}/sessions",
                id(f.activities[0].0, f.activities[0].1)
            ),
            Some(json!({"held_on": chrono::Local::now().date_naive().to_string()})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/activities/{id}/participants") => (
            format!(
                "/api/v1/activities/{}/participants",
                id(f.activities[0].0, f.activities[0].1)
            ),
            None,
            Other::NotFound,
        ),
        // Reopening an open activity is refused (409) and changes nothing.
        ("POST", "/api/v1/activities/{id}/{action}") => (
            format!(
                "/api/v1/activities/{}/reopen",
                id(f.activities[0].0, f.activities[0].1)
            ),
            Some(json!({"version": 0})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/activities/sessions/{id}/sheet") => (
            format!(
                "/api/v1/activities/sessions/{}/sheet",
                id(f.activities[1].0, f.activities[1].1)
            ),
            Some(json!({"id_numbers": [f.own_id_number]})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/activities/sessions/{id}/guests") => (
            format!(
                "/api/v1/activities/sessions/{}/guests",
                id(f.activities[1].0, f.activities[1].1)
            ),
            Some(json!({"guests": 12})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/activities/contests")
        | ("GET", "/api/v1/activities/awards")
        | ("GET", "/api/v1/activities/spending") => (
            format!("{path}?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/activities/{id}/spending") => (
            format!(
                "/api/v1/activities/{}/spending",
                id(f.activities[0].0, f.activities[0].1)
            ),
            Some(
                json!({"spent_on": chrono::Local::now().date_naive().to_string(), "amount": "1", "purpose": "茶水"}),
            ),
            Other::NotFound,
        ),
        ("POST", "/api/v1/activities/{id}/spending/{spending}/reverse") => (
            format!(
                "/api/v1/activities/{}/spending/{}/reverse",
                id(f.activities[0].0, f.activities[0].1),
                id(f.activities[3].0, f.activities[3].1)
            ),
            Some(json!({"reason": "登记有误"})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/activities/{id}/budget") => (
            format!(
                "/api/v1/activities/{}/budget",
                id(f.activities[0].0, f.activities[0].1)
            ),
            Some(json!({"amount": "1"})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/activities/{id}/trades") => (
            format!(
                "/api/v1/activities/{}/trades",
                id(f.activities[0].0, f.activities[0].1)
            ),
            Some(json!({"name": "电工", "held_on": chrono::Local::now().date_naive().to_string()})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/activities/trades/{id}") => (
            format!(
                "/api/v1/activities/trades/{}",
                id(f.activities[2].0, f.activities[2].1)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/activities/trades/{id}/entrants") => (
            format!(
                "/api/v1/activities/trades/{}/entrants",
                id(f.activities[2].0, f.activities[2].1)
            ),
            Some(json!({"lines": [f.own_id_number]})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/activities/trades/{id}/scores") => (
            format!(
                "/api/v1/activities/trades/{}/scores",
                id(f.activities[2].0, f.activities[2].1)
            ),
            Some(json!({"lines": [{"who": f.own_id_number, "score": "90"}]})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/activities/trades/{id}/awards") => (
            format!(
                "/api/v1/activities/trades/{}/awards",
                id(f.activities[2].0, f.activities[2].1)
            ),
            Some(json!({"who": f.own_id_number, "title": "技术能手", "level": "district"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/me/activities") => ("/api/v1/me/activities".into(), None, Other::None),
        ("POST", "/api/v1/me/activities/{id}/signup") => (
            format!(
                "/api/v1/me/activities/{}/signup",
                id(f.activities[0].0, f.activities[0].1)
            ),
            None,
            Other::None,
        ),
        ("POST", "/api/v1/me/activities/{id}/withdraw") => (
            format!(
                "/api/v1/me/activities/{}/withdraw",
                id(f.activities[0].0, f.activities[0].1)
            ),
            None,
            Other::None,
        ),
        ("GET", "/api/v1/honours") => (
            "/api/v1/honours".into(),
            None,
            Other::Hidden("外区工匠".into()),
        ),
        ("POST", "/api/v1/honours") | ("POST", "/api/v1/honours/record") => (
            path.to_string(),
            Some(
                json!({"subject": "person", "member_id": id(f.own_member, f.other_member).to_string(),
                "title_kind": "craftsman", "title": "新工匠", "level": "district", "deeds": "技术革新",
                "awarding_org": pick("D1", "D2"), "awarding_body": "市总工会", "awarded_on": "2021-04-28",
                "document_no": "市总发〔2021〕3号"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/honours/care") => (
            format!("/api/v1/honours/care?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/honours/care/{id}/reverse") => (
            format!(
                "/api/v1/honours/care/{}/reverse",
                id(f.honours[4].0, f.honours[4].1)
            ),
            Some(json!({"reason": "重复发放"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/honours/{id}") => (
            format!("/api/v1/honours/{}", id(f.honours[1].0, f.honours[1].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/honours/{id}/review") => (
            format!(
                "/api/v1/honours/{}/review",
                id(f.honours[0].0, f.honours[0].1)
            ),
            Some(json!({"decision": "approve", "version": 0})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/honours/{id}/objections") => (
            format!(
                "/api/v1/honours/{}/objections",
                id(f.honours[1].0, f.honours[1].1)
            ),
            Some(json!({"text": "来信反映"})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/honours/{id}/objections/{objection}/resolve") => (
            format!(
                "/api/v1/honours/{}/objections/{}/resolve",
                id(f.honours[1].0, f.honours[1].1),
                id(f.honours[2].0, f.honours[2].1)
            ),
            Some(json!({"resolution": "dismissed", "note": "经核实不属实"})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/honours/{id}/award") => (
            format!(
                "/api/v1/honours/{}/award",
                id(f.honours[1].0, f.honours[1].1)
            ),
            Some(json!({"document_no": "区总发〔2026〕1号", "version": 0})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/honours/{id}/end/{action}") => (
            format!(
                "/api/v1/honours/{}/end/withdraw",
                id(f.honours[0].0, f.honours[0].1)
            ),
            Some(json!({"reason": "本人谦让", "version": 0})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/honours/{id}/care") => (
            format!(
                "/api/v1/honours/{}/care",
                id(f.honours[3].0, f.honours[3].1)
            ),
            Some(
                json!({"kind": "visit", "cared_on": chrono::Local::now().date_naive().to_string()}),
            ),
            Other::NotFound,
        ),
        ("GET", "/api/v1/innovation/studios") => (
            path.to_string(),
            None,
            Other::Hidden("外区创新工作室".into()),
        ),
        ("GET", "/api/v1/innovation/achievements") => {
            (path.to_string(), None, Other::Hidden("外区成果".into()))
        }
        ("GET", "/api/v1/innovation/pairs") => {
            (path.to_string(), None, Other::Hidden("外区工种".into()))
        }
        ("GET", "/api/v1/innovation/projects") => {
            (path.to_string(), None, Other::Hidden("外区攻关".into()))
        }
        ("POST", "/api/v1/innovation/studios") => (
            path.to_string(),
            Some(
                json!({"name": format!("新工作室{n}"), "field": "焊接", "leader_member_id": id(f.own_member, f.other_member).to_string(),
                "level": "district", "named_by": pick("D1", "D2"), "named_on": "2026-01-05"}),
            ),
            Other::Refused,
        ),
        ("POST", "/api/v1/innovation/achievements") => (
            path.to_string(),
            Some(
                json!({"kind": "small_innovation", "title": "新成果", "summary": "简介",
                "authors": id(f.own_member, f.other_member).to_string()}),
            ),
            Other::Refused,
        ),
        ("POST", "/api/v1/innovation/pairs") => (
            path.to_string(),
            Some(
                json!({"mentor_member_id": id(f.own_member, f.other_member).to_string(), "apprentice_member_id": id(f.own_member, f.other_member).to_string(),
                "trade": "钳工", "starts_on": "2026-01-05", "ends_on": "2026-12-05"}),
            ),
            Other::Refused,
        ),
        ("POST", "/api/v1/innovation/projects") => (
            path.to_string(),
            Some(
                json!({"title": "新攻关", "challenge": "攻关", "org_code": pick("D1", "D2"),
                "apply_by": "2099-01-01", "due_on": "2099-06-01"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/innovation/studios/{id}") => (
            path.replace("{id}", &id(f.innovation[0].0, f.innovation[0].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/innovation/studios/{id}/members") => (
            path.replace("{id}", &id(f.innovation[0].0, f.innovation[0].1)),
            Some(json!({"members": id(f.own_member, f.other_member).to_string()})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/innovation/studios/{id}/members/{member}/remove") => (
            path.replace("{id}", &id(f.innovation[0].0, f.innovation[0].1))
                .replace("{member}", &id(f.own_member, f.other_member)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/innovation/studios/{id}/revoke") => (
            path.replace("{id}", &id(f.innovation[0].0, f.innovation[0].1)),
            Some(json!({"reason": "考核不合格", "version": 0})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/innovation/achievements/{id}") => (
            path.replace("{id}", &id(f.innovation[1].0, f.innovation[1].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/innovation/achievements/{id}/decide") => (
            path.replace("{id}", &id(f.innovation[1].0, f.innovation[1].1)),
            Some(json!({"action": "adopt", "version": 0})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/innovation/pairs/{id}") => (
            path.replace("{id}", &id(f.innovation[2].0, f.innovation[2].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/innovation/pairs/{id}/close") => (
            path.replace("{id}", &id(f.innovation[2].0, f.innovation[2].1)),
            Some(json!({"action": "graduate", "version": 0})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/innovation/projects/{id}") => (
            path.replace("{id}", &id(f.innovation[3].0, f.innovation[3].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/innovation/projects/{id}/step") => (
            path.replace("{id}", &id(f.innovation[3].0, f.innovation[3].1)),
            Some(json!({"action": "withdraw", "outcome": "需求取消", "version": 0})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/research") => (path.to_string(), None, Other::Hidden("外区调研".into())),
        ("POST", "/api/v1/research") => (
            path.to_string(),
            Some(
                json!({"title": "新调研", "purpose": "了解", "org_code": pick("D1", "D2"),
                "starts_on": "2026-01-05", "ends_on": "2026-02-05"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/research/visits") | ("GET", "/api/v1/research/answers") => (
            format!("{path}?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/research/issues") => {
            (path.to_string(), None, Other::Hidden("外区问题".into()))
        }
        ("POST", "/api/v1/research/issues") => (
            path.to_string(),
            Some(
                json!({"title": "新问题", "owner": "权益部", "org_code": pick("D1", "D2"), "due_on": "2099-01-01"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/research/issues/{id}") => (
            path.replace("{id}", &id(f.research[2].0, f.research[2].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/research/issues/{id}/rectify") => (
            path.replace("{id}", &id(f.research[2].0, f.research[2].1)),
            Some(json!({"measures": "已整改", "version": 0})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/research/questionnaires/{id}") => (
            path.replace("{id}", &id(f.research[1].0, f.research[1].1)),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/research/{id}") => (
            path.replace("{id}", &id(f.research[0].0, f.research[0].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/research/{id}/visits") => (
            path.replace("{id}", &id(f.research[0].0, f.research[0].1)),
            Some(
                json!({"kind": "symposium", "held_on": chrono::Local::now().date_naive().to_string(), "people": "5"}),
            ),
            Other::NotFound,
        ),
        ("POST", "/api/v1/research/{id}/questionnaires") => (
            path.replace("{id}", &id(f.research[0].0, f.research[0].1)),
            Some(
                json!({"title": "新问卷", "questions": "好吗？/好/不好", "opens_on": "2099-01-01", "closes_on": "2099-01-02"}),
            ),
            Other::NotFound,
        ),
        ("POST", "/api/v1/research/{id}/conclude") => (
            path.replace("{id}", &id(f.research[0].0, f.research[0].1)),
            Some(json!({"summary": "完成", "version": 0})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/me/questionnaires") => {
            ("/api/v1/me/questionnaires".into(), None, Other::None)
        }
        ("POST", "/api/v1/me/questionnaires/{id}/answers") => (
            format!(
                "/api/v1/me/questionnaires/{}/answers",
                id(f.research[1].0, f.research[1].1)
            ),
            Some(json!({"choices": [1]})),
            Other::None,
        ),
        ("POST", "/api/v1/me/checkin") => (
            "/api/v1/me/checkin".into(),
            Some(json!({"code": f.own_session_code})),
            Other::None,
        ),
        ("GET", "/api/v1/contracts") => (
            "/api/v1/contracts".into(),
            None,
            Other::Hidden("外区集体合同".into()),
        ),
        ("POST", "/api/v1/contracts") => (
            "/api/v1/contracts".into(),
            Some(
                json!({"org_code": pick("D1", "D2"), "title": "新合同", "kind": "综合", "reach": "单独签订",
                "employers": [uscc(&pick("91340400MA0000011", "91340400MA0000012"))], "union_side": "甲", "employer_side": "乙",
                "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/contracts/covered") => (
            format!("/api/v1/contracts/covered?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/contracts/checklists") => (
            format!("/api/v1/contracts/checklists?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/contracts/campaigns") => (
            "/api/v1/contracts/campaigns".into(),
            None,
            Other::Hidden("外区要约行动".into()),
        ),
        ("POST", "/api/v1/contracts/campaigns") => (
            "/api/v1/contracts/campaigns".into(),
            Some(
                json!({"org_code": pick("D1", "D2"), "name": "集中要约季", "starts_on": "2026-09-01", "ends_on": "2026-11-30"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/contracts/campaigns/{id}") => (
            format!(
                "/api/v1/contracts/campaigns/{}",
                id(f.contracts[1].0, f.contracts[1].1)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/contracts/campaigns/{id}/send") => (
            format!(
                "/api/v1/contracts/campaigns/{}/send",
                id(f.contracts[1].0, f.contracts[1].1)
            ),
            Some(json!({})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/contracts/offers/{id}/answer") => (
            format!(
                "/api/v1/contracts/offers/{}/answer",
                id(f.contracts[2].0, f.contracts[2].1)
            ),
            Some(json!({"version": 1, "answer": "accepted"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/contracts/employers/{id}") => (
            format!(
                "/api/v1/contracts/employers/{}",
                id(f.own_unit, f.other_unit)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/contracts/employers/{id}/congresses") => (
            format!(
                "/api/v1/contracts/employers/{}/congresses",
                id(f.own_unit, f.other_unit)
            ),
            Some(
                json!({"session": "第一届第二次", "held_on": "2026-06-01", "delegates": 30, "present": 25}),
            ),
            Other::NotFound,
        ),
        ("POST", "/api/v1/contracts/employers/{id}/disclosures") => (
            format!(
                "/api/v1/contracts/employers/{}/disclosures",
                id(f.own_unit, f.other_unit)
            ),
            Some(json!({"item": "工资分配", "channel": "公开栏", "frequency": "每季度"})),
            Other::NotFound,
        ),
        ("PUT", "/api/v1/contracts/employers/{id}/checklists/{year}") => (
            format!(
                "/api/v1/contracts/employers/{}/checklists/2026",
                id(f.own_unit, f.other_unit)
            ),
            Some(
                json!({"congress": true, "disclosure": true, "supervision": false, "grievance": true}),
            ),
            Other::NotFound,
        ),
        ("POST", "/api/v1/contracts/motions/{id}") => (
            format!(
                "/api/v1/contracts/motions/{}",
                id(f.contracts[3].0, f.contracts[3].1)
            ),
            Some(json!({"status": "done", "handling": "已增加窗口"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/contracts/{id}/attachments") => (
            format!(
                "/api/v1/contracts/{}/attachments",
                id(f.contracts[0].0, f.contracts[0].1)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/contracts/{id}/attachments") => (
            format!(
                "/api/v1/contracts/{}/attachments?file_name=c{n}.pdf",
                id(f.contracts[0].0, f.contracts[0].1)
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/contracts/{id}/attachments/{file}") => (
            format!(
                "/api/v1/contracts/{}/attachments/{}",
                id(f.contracts[0].0, f.contracts[0].1),
                id(f.contracts[4].0, f.contracts[4].1)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/contracts/{id}/attachments/{file}/remove") => (
            format!(
                "/api/v1/contracts/{}/attachments/{}/remove",
                id(f.contracts[0].0, f.contracts[0].1),
                id(f.contracts[4].0, f.contracts[4].1)
            ),
            Some(json!({"reason": "重复上传"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/contracts/{id}") => (
            format!(
                "/api/v1/contracts/{}",
                id(f.contracts[0].0, f.contracts[0].1)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/contracts/{id}/{action}") => (
            format!(
                "/api/v1/contracts/{}/sign",
                id(f.contracts[0].0, f.contracts[0].1)
            ),
            Some(json!({"version": 0, "delegates": 30, "present": 25, "votes_for": 20})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/mutual/plans") => (
            "/api/v1/mutual/plans".into(),
            None,
            Other::Hidden("外区互助计划".into()),
        ),
        ("POST", "/api/v1/mutual/plans") => (
            "/api/v1/mutual/plans".into(),
            Some(
                json!({"org_code": pick("D1", "D2"), "name": "新互助计划", "term_start": "2026-01-01", "term_end": "2026-12-31",
                "contribution": "60", "share_pct": 50, "cap": "10000"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/mutual/plans/{id}") => (
            format!("/api/v1/mutual/plans/{}", id(f.mutual[0].0, f.mutual[0].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/mutual/plans/{id}/enrolments") => (
            format!(
                "/api/v1/mutual/plans/{}/enrolments",
                id(f.mutual[0].0, f.mutual[0].1)
            ),
            Some(json!({"unit_id": id(f.own_unit, f.other_unit)})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/mutual/plans/{id}/claims") => (
            format!(
                "/api/v1/mutual/plans/{}/claims",
                id(f.mutual[0].0, f.mutual[0].1)
            ),
            Some(
                json!({"member_id": id(f.own_member, f.other_member), "illness": "门诊", "occurred_on": chrono::Local::now().date_naive().to_string(), "expense": "510"}),
            ),
            Other::NotFound,
        ),
        ("GET", "/api/v1/mutual/enrolments") => (
            format!("/api/v1/mutual/enrolments?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/mutual/enrollees") => (
            format!("/api/v1/mutual/enrollees?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/mutual/claims") => (
            format!("/api/v1/mutual/claims?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/mutual/claims/{id}/attachments") => (
            format!(
                "/api/v1/mutual/claims/{}/attachments",
                id(f.mutual[1].0, f.mutual[1].1)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/mutual/claims/{id}/attachments") => (
            format!(
                "/api/v1/mutual/claims/{}/attachments?file_name=invoice.pdf",
                id(f.mutual[1].0, f.mutual[1].1)
            ),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/mutual/claims/{id}/attachments/{file}") => (
            format!(
                "/api/v1/mutual/claims/{}/attachments/{}",
                id(f.mutual[1].0, f.mutual[1].1),
                id(f.mutual[2].0, f.mutual[2].1)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/mutual/claims/{id}/attachments/{file}/remove") => (
            format!(
                "/api/v1/mutual/claims/{}/attachments/{}/remove",
                id(f.mutual[1].0, f.mutual[1].1),
                id(f.mutual[2].0, f.mutual[2].1)
            ),
            Some(json!({"reason": "重复上传"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/mutual/claims/{id}") => (
            format!("/api/v1/mutual/claims/{}", id(f.mutual[1].0, f.mutual[1].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/mutual/claims/{id}/decision") => (
            format!(
                "/api/v1/mutual/claims/{}/decision",
                id(f.mutual[1].0, f.mutual[1].1)
            ),
            Some(json!({"decision": "approve", "version": 0})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/aid/lines") => ("/api/v1/aid/lines".into(), None, Other::None),
        ("POST", "/api/v1/aid/lines") => (
            "/api/v1/aid/lines".into(),
            Some(json!({"region_code": "340400", "year": 2026, "monthly": "600"})),
            Other::None,
        ),
        ("GET", "/api/v1/aid/files") => (
            "/api/v1/aid/files".into(),
            None,
            Other::Hidden("外区会员".into()),
        ),
        ("POST", "/api/v1/aid/files") => (
            "/api/v1/aid/files".into(),
            Some(
                json!({"persons": [{"member_id": id(f.own_member, f.other_member), "relation": "self"}], "income": "3000",
                "causes": ["illness"], "plan": "计划", "measures": "措施"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/aid/file-persons") => (
            format!("/api/v1/aid/file-persons?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/aid/files/{id}") => (
            format!("/api/v1/aid/files/{}", id(f.aid[0].0, f.aid[0].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/aid/files/{id}/review") => (
            format!("/api/v1/aid/files/{}/review", id(f.aid[0].0, f.aid[0].1)),
            Some(json!({"income": "2000", "version": 0})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/aid/files/{id}/plan") => (
            format!("/api/v1/aid/files/{}/plan", id(f.aid[0].0, f.aid[0].1)),
            Some(
                json!({"plan": "新计划", "measures": "新措施", "causes": ["illness"], "version": 0}),
            ),
            Other::NotFound,
        ),
        ("POST", "/api/v1/aid/files/{id}/exit") => (
            format!("/api/v1/aid/files/{}/exit", id(f.aid[0].0, f.aid[0].1)),
            Some(json!({"reason": "helped", "version": 0})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/aid/campaigns") => (
            "/api/v1/aid/campaigns".into(),
            None,
            Other::Hidden("外区送温暖".into()),
        ),
        ("POST", "/api/v1/aid/campaigns") => (
            "/api/v1/aid/campaigns".into(),
            Some(
                json!({"org_code": pick("D1", "D2"), "name": "金秋助学", "kind": "school", "starts_on": "2026-01-01",
                "ends_on": "2026-12-31", "budget": "1000", "max_per_person": "500"}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/aid/campaigns/{id}") => (
            format!("/api/v1/aid/campaigns/{}", id(f.aid[1].0, f.aid[1].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/aid/campaigns/{id}/applications") => (
            format!(
                "/api/v1/aid/campaigns/{}/applications",
                id(f.aid[1].0, f.aid[1].1)
            ),
            Some(
                json!({"member_id": id(f.own_member, f.other_member), "form": "goods", "amount": "100", "goods": "米", "reason": "困难"}),
            ),
            Other::Refused,
        ),
        ("POST", "/api/v1/aid/campaigns/{id}/budget") => (
            format!(
                "/api/v1/aid/campaigns/{}/budget",
                id(f.aid[1].0, f.aid[1].1)
            ),
            Some(json!({"action": "top_up", "amount": "100", "reason": "追加拨款"})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/aid/campaigns/{id}/batches") => (
            format!(
                "/api/v1/aid/campaigns/{}/batches",
                id(f.aid[1].0, f.aid[1].1)
            ),
            Some(json!({})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/aid/applications") => (
            "/api/v1/aid/applications".into(),
            None,
            Other::Hidden("外区会员".into()),
        ),
        ("GET", "/api/v1/aid/applications/{id}") => (
            format!("/api/v1/aid/applications/{}", id(f.aid[2].0, f.aid[2].1)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/aid/applications/{id}/decision") => (
            format!(
                "/api/v1/aid/applications/{}/decision",
                id(f.aid[2].0, f.aid[2].1)
            ),
            Some(json!({"decision": "approve", "version": 2})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/aid/applications/{id}/objections") => (
            format!(
                "/api/v1/aid/applications/{}/objections",
                id(f.aid[2].0, f.aid[2].1)
            ),
            Some(json!({"text": "又一条异议"})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/aid/applications/{id}/objections/{objection}/resolve") => (
            format!(
                "/api/v1/aid/applications/{}/objections/{}/resolve",
                id(f.aid[2].0, f.aid[2].1),
                id(f.aid[3].0, f.aid[3].1)
            ),
            Some(json!({"resolution": "dismissed", "note": "不成立"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/aid/batches/{id}") => (
            format!("/api/v1/aid/batches/{}", id(f.aid[4].0, f.aid[4].1)),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/aid/batches/{id}/bank-file") => (
            format!(
                "/api/v1/aid/batches/{}/bank-file?format=csv&reason=matrix",
                id(f.aid[4].0, f.aid[4].1)
            ),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/aid/batches/{id}/results") => (
            format!("/api/v1/aid/batches/{}/results", id(f.aid[4].0, f.aid[4].1)),
            Some(
                json!({"results": [{"line": id(f.aid[5].0, f.aid[5].1), "outcome": "failed", "reason": "户名不符"}]}),
            ),
            Other::NotFound,
        ),
        ("POST", "/api/v1/aid/batches/{id}/lines/{line}") => (
            format!(
                "/api/v1/aid/batches/{}/lines/{}",
                id(f.aid[4].0, f.aid[4].1),
                id(f.aid[5].0, f.aid[5].1)
            ),
            Some(json!({"action": "retry"})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/aid/paid") => (
            format!("/api/v1/aid/paid?org={}", pick("D1", "D2")),
            None,
            Other::NotFound,
        ),
        ("GET", "/api/v1/me/aid/campaigns") => {
            ("/api/v1/me/aid/campaigns".into(), None, Other::None)
        }
        ("GET", "/api/v1/me/aid/applications") => {
            ("/api/v1/me/aid/applications".into(), None, Other::None)
        }
        ("POST", "/api/v1/me/aid/campaigns/{id}/applications") => (
            format!(
                "/api/v1/me/aid/campaigns/{}/applications",
                id(f.aid[1].0, f.aid[1].1)
            ),
            Some(json!({"form": "goods", "amount": "100", "goods": "米", "reason": "困难"})),
            Other::None,
        ),
        ("POST", "/api/v1/me/petitions") => (
            "/api/v1/me/petitions".into(),
            Some(json!({"kind": "consult", "category": "hours", "summary": "加班费怎么算"})),
            Other::None,
        ),
        ("PUT", "/api/v1/me/member/contact") => (
            "/api/v1/me/member/contact".into(),
            Some(json!({"mobile": "13900001111"})),
            Other::None,
        ),
        ("GET", "/api/v1/accounts") => (
            "/api/v1/accounts".into(),
            None,
            Other::Hidden("target_other".into()),
        ),
        ("POST", "/api/v1/accounts") => (
            "/api/v1/accounts".into(),
            Some(
                json!({"username": format!("new{n}"), "role": "cadre", "org_code": pick("U1", "U3")}),
            ),
            Other::Refused,
        ),
        ("GET", "/api/v1/accounts/{id}") => (
            format!("/api/v1/accounts/{}", id(f.own_account, f.other_account)),
            None,
            Other::NotFound,
        ),
        ("POST", "/api/v1/accounts/{id}/status") => (
            format!(
                "/api/v1/accounts/{}/status",
                id(f.own_account, f.other_account)
            ),
            Some(json!({"status": "active"})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/accounts/{id}/reset-password") => (
            format!(
                "/api/v1/accounts/{}/reset-password",
                id(f.own_account, f.other_account)
            ),
            Some(json!({})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/accounts/{id}/approve") => (
            format!(
                "/api/v1/accounts/{}/approve",
                id(f.own_account, f.other_account)
            ),
            Some(json!({})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/accounts/{id}/role") => (
            format!(
                "/api/v1/accounts/{}/role",
                id(f.own_account, f.other_account)
            ),
            Some(json!({"role": "officer", "org_code": "U1", "modules": ["hardship"]})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/accounts/{id}/unlock") => (
            format!(
                "/api/v1/accounts/{}/unlock",
                id(f.own_account, f.other_account)
            ),
            Some(json!({})),
            Other::NotFound,
        ),
        ("POST", "/api/v1/accounts/{id}/reset-totp") => (
            format!(
                "/api/v1/accounts/{}/reset-totp",
                id(f.own_account, f.other_account)
            ),
            Some(json!({})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/tokens") => (
            "/api/v1/tokens".into(),
            None,
            Other::Hidden("外区令牌".into()),
        ),
        ("POST", "/api/v1/tokens") => (
            "/api/v1/tokens".into(),
            Some(
                json!({"name": format!("令牌{n}"), "org_code": pick("D1", "D2"), "permissions": ["stats.read"], "expires_in_days": 30}),
            ),
            Other::Refused,
        ),
        ("POST", "/api/v1/tokens/{id}/revoke") => (
            format!("/api/v1/tokens/{}/revoke", id(f.own_token, f.other_token)),
            Some(json!({})),
            Other::NotFound,
        ),
        ("GET", "/api/v1/audit") => ("/api/v1/audit?per_page=500".into(), None, Other::None),
        ("GET", "/api/v1/audit/verify") => ("/api/v1/audit/verify".into(), None, Other::None),
        ("GET", "/api/v1/system/status") => ("/api/v1/system/status".into(), None, Other::None),
        _ => panic!("no sample request for {method} {path}: add one"),
    };
    let raw = if path == "/api/v1/imports/{kind}" {
        Some(
            "工会代码,工会名称,组织类型,上级工会代码\nJY1,试导入,基层工会,S1\n"
                .as_bytes()
                .to_vec(),
        )
    } else if method == "POST" && path.ends_with("/attachments") {
        // A different paper each time: the same one twice is refused as a duplicate.
        Some(format!("%PDF-1.4\n% matrix {n}\n").into_bytes())
    } else {
        None
    };
    (
        Req {
            method: method.into(),
            url,
            json,
            raw,
        },
        other,
    )
}

/// A new account of `role` in district D1 (a member account: the own member), signed in.
async fn signed_in_as(app: &TestApp, f: &Fixture, prefix: &str, role: &str) -> reqwest::Client {
    let username = format!("{prefix}_{role}");
    let member = (role == "member").then_some(f.own_member);
    let org = (role != "member").then_some("D1");
    app.add_account(&username, role, org, member).await;
    if role == "officer" {
        // A case officer is named for the modules they work on.
        sqlx::query(
            "UPDATE accounts SET modules = 'grievance,hardship,mutual_aid,funds,contract,competition' WHERE username = $1",
        )
        .bind(&username)
        .execute(app.reg.db.pool())
        .await
        .unwrap();
    }
    app.signed_in(&username, TESTER_PASSWORD).await
}

async fn send(app: &TestApp, c: &reqwest::Client, r: &Req) -> (u16, String) {
    let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
    let mut b = c.request(method, app.url(&r.url));
    if let Some(j) = &r.json {
        b = b.json(j);
    }
    if let Some(raw) = &r.raw {
        b = b.body(raw.clone());
    }
    let resp = b.send().await.unwrap();
    let s = resp.status().as_u16();
    (s, resp.text().await.unwrap_or_default())
}

#[tokio::test]
async fn every_role_gets_exactly_what_docs_permissions_md_says_on_every_route() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let written = read_docs();
    // Every route of the code is written down, and nothing else.
    let code_routes: HashSet<(String, String)> = gonghui::auth::permissions::ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let doc_routes: HashSet<(String, String)> = written
        .routes
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    assert_eq!(
        code_routes, doc_routes,
        "docs/permissions.md lists exactly the API routes"
    );

    let mut n = 0;
    let mut checked = 0;
    for (role, perms) in &written.roles {
        let c = signed_in_as(&app, &f, "matrix", role).await;
        for (method, path, need) in &written.routes {
            if need == "公开" || need == "登录中" {
                continue; // the sign-in routes have their own tests
            }
            let allowed = perms.contains(need);
            for own in [true, false] {
                n += 1;
                let (req, other) = sample(method, path, own, &f, n);
                if !own && matches!(other, Other::None | Other::Hidden(_)) {
                    continue;
                }
                let (status, body) = send(&app, &c, &req).await;
                checked += 1;
                let what = format!(
                    "{role} {method} {} ({})",
                    req.url,
                    if own { "own" } else { "other" }
                );
                if !allowed {
                    assert_eq!(status, 403, "{what} must be refused: {body}");
                    continue;
                }
                if own {
                    assert!(
                        ![401, 403, 404].contains(&status),
                        "{what} must be allowed, got {status}: {body}"
                    );
                    if let Other::Hidden(marker) = &other {
                        assert!(
                            !body.contains(marker.as_str()),
                            "{what} shows another subtree's {marker}"
                        );
                    }
                    if path == "/api/v1/audit" {
                        let v: Value = serde_json::from_str(&body).unwrap();
                        for row in v["rows"].as_array().unwrap() {
                            let sp = row["scope_path"].as_str().unwrap_or("");
                            assert!(
                                sp.starts_with(&f.d1_path),
                                "{what} shows an audit row of {sp}"
                            );
                        }
                    }
                } else {
                    match other {
                        Other::NotFound => assert_eq!(status, 404, "{what}: {body}"),
                        Other::Refused => assert!(
                            status == 404 || (status == 422 && body.contains("管理范围")),
                            "{what} must be refused as outside the subtree, got {status}: {body}"
                        ),
                        _ => unreachable!(),
                    }
                }
            }
        }
    }
    assert!(checked > 200, "{checked} requests checked");
    // The auditor changed nothing and no other-subtree record changed: U3 is untouched.
    let (_, u3) = app.get("/api/v1/orgs/U3").await;
    assert_eq!(
        (u3["name"].as_str(), u3["status"].as_str()),
        (Some("丙公司工会"), Some("active"))
    );
    let other_members = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM memberships WHERE member_id = {}",
            f.other_member
        ))
        .await;
    assert_eq!(other_members, 1);
}

/// One console page for the own subtree or the other: the URL, and what the other must produce.
fn page_sample(method: &str, path: &str, own: bool, f: &Fixture) -> (String, Other) {
    let pick = |a: &str, b: &str| if own { a.to_string() } else { b.to_string() };
    let id = |a: i64, b: i64| if own { a.to_string() } else { b.to_string() };
    let record = |template: &str, value: String| {
        (
            template.replace("{code}", &value).replace("{id}", &value),
            Other::NotFound,
        )
    };
    match path {
        p if p.starts_with("/orgs/{code}/officers/{id}") => (
            p.replace("{code}", &pick("U2", "U3"))
                .replace("{id}", &id(f.own_officer, f.other_officer)),
            Other::NotFound,
        ),
        // Writes go to U2 (its loss harms nothing); reads to S1, which has children.
        p if p.starts_with("/orgs/{code}") => {
            let target = if method == "GET" && p == "/orgs/{code}" {
                pick("S1", "U3")
            } else {
                pick("U2", "U3")
            };
            record(p, target)
        }
        p if p.starts_with("/units/{id}") => record(p, id(f.own_unit, f.other_unit)),
        p if p.starts_with("/aid/campaigns/{id}") => record(p, id(f.aid[1].0, f.aid[1].1)),
        p if p.starts_with("/aid/batches/{id}") => (
            p.replace("{id}", &id(f.aid[4].0, f.aid[4].1))
                .replace("{line}", &id(f.aid[5].0, f.aid[5].1)),
            Other::NotFound,
        ),
        p if p.starts_with("/aid/applications/{id}") => record(p, id(f.aid[2].0, f.aid[2].1)),
        p if p.starts_with("/aid/files/{id}") => record(p, id(f.aid[0].0, f.aid[0].1)),
        p if p.starts_with("/ledger/postings/{id}") => record(p, id(f.funds[1].0, f.funds[1].1)),
        p if p.starts_with("/mutual/plans/{id}") => record(p, id(f.mutual[0].0, f.mutual[0].1)),
        p if p.starts_with("/contracts/campaigns/{id}") => {
            record(p, id(f.contracts[1].0, f.contracts[1].1))
        }
        p if p.starts_with("/contracts/offers/{id}") => {
            record(p, id(f.contracts[2].0, f.contracts[2].1))
        }
        p if p.starts_with("/contracts/employers/{id}") => record(p, id(f.own_unit, f.other_unit)),
        p if p.starts_with("/contracts/motions/{id}") => {
            record(p, id(f.contracts[3].0, f.contracts[3].1))
        }
        p if p.starts_with("/activities/sessions/{id}") => {
            record(p, id(f.activities[1].0, f.activities[1].1))
        }
        p if p.starts_with("/activities/trades/{id}") => {
            record(p, id(f.activities[2].0, f.activities[2].1))
        }
        p if p.starts_with("/research/issues/{id}") => {
            record(p, id(f.research[2].0, f.research[2].1))
        }
        p if p.starts_with("/research/{id}") => record(p, id(f.research[0].0, f.research[0].1)),
        p if p.starts_with("/innovation/studios/{id}") => (
            p.replace("{id}", &id(f.innovation[0].0, f.innovation[0].1))
                .replace("{member}", &id(f.own_member, f.other_member)),
            Other::NotFound,
        ),
        p if p.starts_with("/innovation/achievements/{id}") => {
            record(p, id(f.innovation[1].0, f.innovation[1].1))
        }
        p if p.starts_with("/innovation/pairs/{id}") => {
            record(p, id(f.innovation[2].0, f.innovation[2].1))
        }
        p if p.starts_with("/innovation/projects/{id}") => {
            record(p, id(f.innovation[3].0, f.innovation[3].1))
        }
        p if p.starts_with("/honours/care/{id}") => record(p, id(f.honours[4].0, f.honours[4].1)),
        p if p.starts_with("/honours/{id}") => (
            p.replace("{id}", &id(f.honours[1].0, f.honours[1].1))
                .replace("{objection}", &id(f.honours[2].0, f.honours[2].1))
                .replace("{action}", "withdraw"),
            Other::NotFound,
        ),
        p if p.starts_with("/activities/{id}") => (
            p.replace("{id}", &id(f.activities[0].0, f.activities[0].1))
                .replace("{spending}", &id(f.activities[3].0, f.activities[3].1))
                .replace("{action}", "reopen"),
            Other::NotFound,
        ),
        p if p.starts_with("/contracts/{id}") => (
            p.replace("{id}", &id(f.contracts[0].0, f.contracts[0].1))
                .replace("{file}", &id(f.contracts[4].0, f.contracts[4].1))
                .replace("{action}", "sign"),
            Other::NotFound,
        ),
        p if p.starts_with("/mutual/claims/{id}") => (
            p.replace("{id}", &id(f.mutual[1].0, f.mutual[1].1))
                .replace("{file}", &id(f.mutual[2].0, f.mutual[2].1)),
            Other::NotFound,
        ),
        p if p.starts_with("/members/{id}") => record(p, id(f.own_member, f.other_member)),
        p if p.starts_with("/transfers/{id}") => record(p, id(f.own_transfer, f.other_transfer)),
        p if p.starts_with("/imports/{id}") || p.starts_with("/imports/history/{id}") => {
            record(p, pick(&f.own_job, &f.other_job))
        }
        p if p.starts_with("/accounts/{id}") => record(p, id(f.own_account, f.other_account)),
        p if p.starts_with("/casework/disputes/{id}") => (
            p.replace("{id}", &id(f.own_dispute, f.other_dispute))
                .replace("{file}", &id(f.files[2], f.files[3])),
            Other::NotFound,
        ),
        p if p.starts_with("/casework/{id}") => (
            p.replace("{id}", &id(f.own_petition, f.other_petition))
                .replace("{file}", &id(f.files[0], f.files[1])),
            Other::NotFound,
        ),
        "/casework/roster/{id}/status" => (
            path.replace("{id}", &id(f.advocates.0, f.advocates.1)),
            Other::NotFound,
        ),
        "/casework/export" | "/casework/disputes/export" => {
            (format!("{path}?org={}", pick("U1", "U3")), Other::NotFound)
        }
        "/casework/figures/{key}/export" => (
            format!(
                "/casework/figures/mediation.cases/export?org={}",
                pick("U1", "U3")
            ),
            Other::NotFound,
        ),
        "/figures/{key}" => (
            format!("/figures/aid.person_times?org={}", pick("U1", "U3")),
            Other::NotFound,
        ),
        "/figures" => (
            format!("/figures?org={}", pick("U1", "U3")),
            Other::NotFound,
        ),
        "/casework/figures/{key}" => (
            format!("/casework/figures/mediation.cases?org={}", pick("U1", "U3")),
            Other::NotFound,
        ),
        "/casework" | "/casework/disputes" => (path.into(), Other::Hidden("丙公司工会".into())),
        "/casework/roster" => (path.into(), Other::Hidden("外区调解员".into())),
        "/aid" => (path.into(), Other::Hidden("外区送温暖".into())),
        "/funds" => (path.into(), Other::Hidden("外区政策".into())),
        "/mutual" => (path.into(), Other::Hidden("外区互助计划".into())),
        "/contracts" => (path.into(), Other::Hidden("外区集体合同".into())),
        "/activities" => (path.into(), Other::Hidden("外区活动".into())),
        "/activities/persons"
        | "/activities/contests"
        | "/activities/awards"
        | "/activities/spending" => (format!("{path}?org={}", pick("D1", "D2")), Other::NotFound),
        "/contracts/campaigns" => (path.into(), Other::Hidden("外区要约行动".into())),
        "/research/visits" | "/research/answers" => {
            (format!("{path}?org={}", pick("D1", "D2")), Other::NotFound)
        }
        "/research" => (path.into(), Other::Hidden("外区调研".into())),
        "/research/issues" => (path.into(), Other::Hidden("外区问题".into())),
        "/innovation/studios" => (path.into(), Other::Hidden("外区创新工作室".into())),
        "/innovation/achievements" => (path.into(), Other::Hidden("外区成果".into())),
        "/innovation/pairs" => (path.into(), Other::Hidden("外区工种".into())),
        "/innovation/projects" => (path.into(), Other::Hidden("外区攻关".into())),
        "/honours" => (path.into(), Other::Hidden("外区工匠".into())),
        "/honours/care" => (format!("{path}?org={}", pick("D1", "D2")), Other::NotFound),
        "/ledger" => (path.into(), Other::Hidden("二区总工会".into())),
        "/aid/files" | "/aid/applications" => (path.into(), Other::Hidden("外区会员".into())),
        "/orgs" => (path.into(), Other::Hidden("丙公司工会".into())),
        "/units" => (path.into(), Other::Hidden("外区单位".into())),
        "/members" => (path.into(), Other::Hidden("外区会员".into())),
        "/transfers" => (path.into(), Other::Hidden("外区会员".into())),
        "/accounts" => (path.into(), Other::Hidden("target_other".into())),
        "/drill" => (
            "/drill?figure=members".into(),
            Other::Hidden("外区会员".into()),
        ),
        _ => (path.into(), Other::None),
    }
}

#[tokio::test]
async fn every_role_gets_exactly_what_docs_permissions_md_says_on_every_console_page() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let written = read_docs();
    let code_pages: HashSet<(String, String, String)> = gonghui::auth::permissions::PAGES
        .iter()
        .map(|(m, p, a)| {
            let need = match a {
                gonghui::auth::permissions::Access::Public => "公开".to_string(),
                gonghui::auth::permissions::Access::AnySession => "登录中".to_string(),
                gonghui::auth::permissions::Access::Need(p) => p.code().to_string(),
            };
            (m.to_string(), p.to_string(), need)
        })
        .collect();
    let doc_pages: HashSet<(String, String, String)> = written.pages.iter().cloned().collect();
    assert_eq!(
        code_pages, doc_pages,
        "docs/permissions.md lists exactly the console pages with their permissions"
    );

    let mut checked = 0;
    for (role, perms) in &written.roles {
        let c = signed_in_as(&app, &f, "pages", role).await;
        for (method, path, need) in &written.pages {
            if need == "公开" || need == "登录中" {
                continue; // sign-in pages: tests/it/pages.rs and the browser tests
            }
            let allowed = perms.contains(need);
            for own in [true, false] {
                let (url, other) = page_sample(method, path, own, &f);
                if !own && matches!(other, Other::None | Other::Hidden(_)) {
                    continue;
                }
                let resp = if method == "GET" {
                    c.get(app.url(&url)).send().await.unwrap()
                } else {
                    // Every field some console form requires, with harmless values.
                    let form = [
                        ("status", "disabled"),
                        ("role", "officer"),
                        ("org_code", "U1"),
                        ("note", ""),
                    ];
                    c.post(app.url(&url)).form(&form).send().await.unwrap()
                };
                let status = resp.status().as_u16();
                let landed = resp.url().path().to_string();
                let body = resp.text().await.unwrap_or_default();
                checked += 1;
                let what = format!(
                    "{role} {method} {url} ({})",
                    if own { "own" } else { "other" }
                );
                assert!(!landed.starts_with("/login"), "{what} lost the session");
                if !allowed {
                    assert_eq!(status, 403, "{what} must be refused");
                    assert!(body.contains("没有"), "{what}: a page saying why");
                } else if own {
                    assert!(
                        ![401, 403, 404].contains(&status),
                        "{what} must be allowed, got {status}"
                    );
                    if let Other::Hidden(marker) = &other {
                        assert!(
                            !body.contains(marker.as_str()),
                            "{what} shows another subtree's {marker}"
                        );
                    }
                } else {
                    assert_eq!(status, 404, "{what} must answer 404");
                }
            }
        }
    }
    assert!(checked > 300, "{checked} page requests checked");
    // Nothing of the other subtree changed.
    let (_, u3) = app.get("/api/v1/orgs/U3").await;
    assert_eq!(
        (u3["name"].as_str(), u3["status"].as_str()),
        (Some("丙公司工会"), Some("active"))
    );
    let pending: i64 = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM transfers WHERE id = {} AND status = 'pending'",
            f.other_transfer
        ))
        .await;
    assert_eq!(pending, 1, "the other subtree's transfer is still pending");
}
