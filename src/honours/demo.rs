//! A year of honours for the demo city, made through the same functions a cadre's requests
//! call: the city's selection of 劳动模范 and 工人先锋号 (nominated by the unions, reviewed up
//! the chain, shown in public and granted; a few refused or still under way), the districts'
//! 工匠, older national and provincial titles recorded from their documents, and the care the
//! city gives its model workers (health checks, visits, allowances).

use chrono::{Days, NaiveDate};

use super::care::{self, CareInput};
use super::honour::{self, AwardInput, HonourInput, Status};
use crate::aid::demo::Rng;
use crate::audit::Actor;
use crate::crypto::FieldKeys;
use crate::db::Db;
use crate::error::AppResult;
use crate::workflow::review::DecisionInput;

/// What the demo made.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub nominations: u64,
    pub granted: u64,
    pub care: u64,
    /// Allowances paid, in fen.
    pub paid_fen: i64,
}

/// Takes honour `id` through every review level, approving (or refusing at the last one).
async fn review_all(
    db: &Db,
    actor: &Actor,
    id: i64,
    approve: bool,
    day: NaiveDate,
) -> AppResult<honour::Honour> {
    loop {
        let h = honour::get(db, &actor.scope, id).await?;
        if h.status() != Some(Status::Reviewing) {
            return Ok(h);
        }
        let last = honour::levels(db, id)
            .await?
            .iter()
            .filter(|l| l.decision.is_none())
            .count()
            == 1;
        let reject = last && !approve;
        honour::decide(
            db,
            actor,
            id,
            &DecisionInput {
                decision: if reject { "reject" } else { "approve" }.into(),
                comment: reject.then(|| "事迹材料不够充分，建议来年再报".to_string()),
                version: h.version,
            },
            day,
            crate::db::now_ms(),
        )
        .await?;
    }
}

pub async fn seed(db: &Db, keys: &FieldKeys, seed: u64, today: NaiveDate) -> AppResult<Report> {
    let mut report = Report::default();
    let actor = Actor::system(keys, "演示数据·评先评优");
    let mut rng = Rng(seed ^ 0x4040_2026);
    let city: Option<(String,)> =
        sqlx::query_as("SELECT code FROM orgs WHERE kind = 'city' AND status = 'active' ORDER BY depth, code LIMIT 1")
            .fetch_optional(db.pool())
            .await?;
    let Some((city,)) = city else {
        return Ok(report);
    };
    let members: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM members WHERE status = 'active' AND org_id IS NOT NULL ORDER BY id LIMIT 4000",
    )
    .fetch_all(db.pool())
    .await?;
    let units: Vec<String> =
        sqlx::query_scalar("SELECT uscc FROM units WHERE org_id IS NOT NULL ORDER BY id LIMIT 400")
            .fetch_all(db.pool())
            .await?;
    if members.len() < 100 {
        return Ok(report);
    }
    let person = |m: i64, kind: &str, level: &str, deeds: &str| HonourInput {
        subject: Some("person".into()),
        member_id: Some(m.to_string()),
        title_kind: Some(kind.into()),
        level: Some(level.into()),
        deeds: Some(deeds.into()),
        ..Default::default()
    };
    // The city's selection: nominated in spring, granted before 五一.
    let opened = today - Days::new(150);
    let mut granted = Vec::new();
    for n in 0..24u64 {
        let m = members[rng.below(members.len() as u64) as usize];
        let kind = if n % 4 == 3 {
            "advanced_worker"
        } else {
            "model_worker"
        };
        let mut i = person(
            m,
            kind,
            "city",
            "扎根一线二十年，带头攻克生产难题，带出一批技术骨干",
        );
        i.awarding_org = Some(city.clone());
        i.year = Some(opened.format("%Y").to_string());
        let h = match honour::nominate(db, keys, &actor, &i, opened, crate::db::now_ms()).await {
            Ok(h) => h,
            // The same member drawn twice is refused as a repeat; the demo moves on.
            Err(e) if e.code() == "HONOUR_EXISTS" => continue,
            Err(e) => return Err(e),
        };
        report.nominations += 1;
        if n >= 21 {
            continue; // still under review
        }
        let h = review_all(db, &actor, h.id, n % 7 != 6, opened + Days::new(10)).await?;
        if h.status() == Some(Status::Notice) {
            let day = opened + Days::new(30);
            honour::award(
                db,
                &actor,
                h.id,
                &AwardInput {
                    document_no: Some(format!("市总工发〔{}〕12号", day.format("%Y"))),
                    awarded_on: Some(day.to_string()),
                    version: h.version,
                },
                day,
                crate::db::now_ms(),
            )
            .await?;
            report.granted += 1;
            granted.push(h.id);
        }
    }
    // 工人先锋号 to teams of employers.
    for (n, uscc) in units.iter().take(6).enumerate() {
        let i = HonourInput {
            subject: Some("collective".into()),
            uscc: Some(uscc.clone()),
            collective_name: Some(format!("第{}生产班组", n + 1)),
            title_kind: Some("vanguard".into()),
            level: Some("city".into()),
            deeds: Some("班组安全生产三千天无事故，技术革新成果突出".into()),
            awarding_org: Some(city.clone()),
            year: Some(opened.format("%Y").to_string()),
            ..Default::default()
        };
        let h = honour::nominate(db, keys, &actor, &i, opened, crate::db::now_ms()).await?;
        report.nominations += 1;
        let h = review_all(db, &actor, h.id, true, opened + Days::new(12)).await?;
        let day = opened + Days::new(30);
        honour::award(
            db,
            &actor,
            h.id,
            &AwardInput {
                document_no: Some(format!("市总工发〔{}〕13号", day.format("%Y"))),
                awarded_on: Some(day.to_string()),
                version: h.version,
            },
            day,
            crate::db::now_ms(),
        )
        .await?;
        report.granted += 1;
    }
    // Older titles, recorded from their documents.
    for (n, (kind, level, body)) in [
        ("model_worker", "national", "国务院"),
        ("may_day_medal", "national", "中华全国总工会"),
        ("model_worker", "provincial", "省人民政府"),
        ("may_day_medal", "provincial", "省总工会"),
        ("craftsman", "city", "市总工会"),
    ]
    .iter()
    .enumerate()
    {
        let m = members[rng.below(members.len() as u64) as usize];
        let on = today - Days::new(400 + 300 * n as u64);
        let mut i = person(m, kind, level, "长期在生产一线作出突出贡献");
        i.awarding_body = Some((*body).into());
        i.awarded_on = Some(on.to_string());
        i.document_no = Some(format!("第{}号", 2000 + n));
        i.year = Some(on.format("%Y").to_string());
        match honour::record(db, keys, &actor, &i, today, crate::db::now_ms()).await {
            Ok(h) => granted.push(h.id),
            Err(e) if e.code() == "HONOUR_EXISTS" => continue,
            Err(e) => return Err(e),
        }
        report.granted += 1;
    }
    // Care: a health check for most, a visit for some, an allowance for a few.
    for (n, id) in granted.iter().enumerate() {
        let h = honour::get(db, &actor.scope, *id).await?;
        let from = h
            .awarded_on
            .as_deref()
            .and_then(|d| d.parse::<NaiveDate>().ok())
            .unwrap_or(today)
            .max(today - Days::new(200));
        let give = |kind: &str, days: u64, amount: Option<String>| CareInput {
            kind: Some(kind.into()),
            cared_on: Some((from + Days::new(days)).min(today).to_string()),
            amount,
            note: None,
            org_code: Some(city.clone()),
        };
        let mut plans = vec![give("health_check", 20 + rng.below(60), None)];
        if n % 3 == 0 {
            plans.push(give("visit", 60 + rng.below(60), None));
        }
        if n % 4 == 0 {
            plans.push(give("allowance", 90, Some("1000".into())));
        }
        for p in plans {
            let c = care::give(db, &actor, *id, &p, today, crate::db::now_ms()).await?;
            report.care += 1;
            report.paid_fen += c.amount_fen;
        }
    }
    Ok(report)
}
