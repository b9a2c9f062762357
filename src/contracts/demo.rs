//! Collective contracts for the demo city, made through the same functions a cadre's requests
//! call: joint unions (联合基层工会) bind their member firms by a regional or sector contract,
//! single-firm unions sign their own, many add a yearly wage contract and some a women
//! workers' one; the employers bound are held to 84–88% of those with a union, so 建制率 lands
//! in the 80–90% the reports give. The first district ran a spring offer campaign this year,
//! and most employers' yearly checklists are confirmed.

use chrono::{Datelike, Days, NaiveDate};

use super::contract::{self, Action, ContractInput, StepInput};
use super::democracy::{self, ChecklistInput, CongressInput, DisclosureInput};
use super::offers::{self, AnswerInput, CampaignInput, SendInput};
use crate::aid::demo::Rng;
use crate::audit::Actor;
use crate::crypto::FieldKeys;
use crate::db::Db;
use crate::error::AppResult;

/// What the demo made.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub contracts: u64,
    pub regional: u64,
    pub offers: u64,
    pub checklists: u64,
}

/// A union with the employers it covers.
struct Union {
    code: String,
    kind: String,
    industry: Option<String>,
    employers: Vec<(String, i64)>,
}

pub async fn seed(db: &Db, keys: &FieldKeys, seed: u64, today: NaiveDate) -> AppResult<Report> {
    let mut report = Report::default();
    let actor = Actor::system(keys, "演示数据·集体合同");
    let mut rng = Rng(seed ^ 0x00c0_11ec);
    let rows: Vec<(String, String, Option<String>, String, i64)> = sqlx::query_as(
        "SELECT o.code, o.kind, o.industry, u.uscc, u.id FROM units u JOIN orgs o ON o.id = u.org_id \
         WHERE o.kind IN ('grassroots','joint') ORDER BY o.code, u.id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut unions: Vec<Union> = Vec::new();
    for (code, kind, industry, uscc, id) in rows {
        match unions.last_mut() {
            Some(u) if u.code == code => u.employers.push((uscc, id)),
            _ => unions.push(Union {
                code,
                kind,
                industry,
                employers: vec![(uscc, id)],
            }),
        }
    }
    // 建制率 is held to a share drawn once: enough single-firm unions, picked at random, sign
    // nothing that the employers left unbound (with the second and later firms of a
    // single-firm union, which its own contract does not bind) make up the rest, so a small
    // demo lands in the reports' range as surely as a large one.
    let share = 84 + rng.below(5);
    let many = |u: &Union| u.kind == "joint" && u.employers.len() > 1;
    let total: u64 = unions.iter().map(|u| u.employers.len() as u64).sum();
    let left_anyway: u64 = unions
        .iter()
        .filter(|u| !many(u))
        .map(|u| u.employers.len() as u64 - 1)
        .sum();
    let to_leave = (total * (100 - share))
        .div_ceil(100)
        .saturating_sub(left_anyway);
    let mut singles: Vec<usize> = (0..unions.len()).filter(|&i| !many(&unions[i])).collect();
    for i in (1..singles.len()).rev() {
        singles.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let unbound: std::collections::HashSet<usize> =
        singles.into_iter().take(to_leave as usize).collect();
    for (i, u) in unions.iter().enumerate() {
        if unbound.contains(&i) {
            continue;
        }
        let many = many(u);
        let reach = match (many, &u.industry) {
            (false, _) => "单独签订",
            (true, Some(_)) => "行业性",
            (true, None) => "区域性",
        };
        let employers: Vec<String> = if many {
            u.employers.iter().map(|e| e.0.clone()).collect()
        } else {
            vec![u.employers[0].0.clone()]
        };
        // Most have a general contract of three years, started some time in the last two and
        // a half; the others bargain wages only.
        let general = rng.below(100) < 88;
        if general {
            let start = today - Days::new(20 + rng.below(880));
            let made = make(
                db, &actor, u, reach, "综合", &employers, start, 3, &mut rng, today,
            )
            .await?;
            report.contracts += u64::from(made);
            report.regional += u64::from(made && many);
        }
        // A yearly wage contract for about four in ten.
        if !general || rng.below(100) < 40 {
            let start = today - Days::new(rng.below(330));
            let made = make(
                db,
                &actor,
                u,
                reach,
                "工资专项",
                &employers,
                start,
                1,
                &mut rng,
                today,
            )
            .await?;
            report.contracts += u64::from(made);
            report.regional += u64::from(made && many);
        }
        // A women workers' contract for some.
        if rng.below(100) < 20 {
            let start = today - Days::new(30 + rng.below(600));
            let made = make(
                db,
                &actor,
                u,
                reach,
                "女职工权益保护专项",
                &employers,
                start,
                2,
                &mut rng,
                today,
            )
            .await?;
            report.contracts += u64::from(made);
            report.regional += u64::from(made && many);
        }
    }
    report.offers = campaign(db, &actor, &mut rng, today).await?;
    report.checklists = checklists(db, &actor, &unions, &mut rng, today).await?;
    Ok(report)
}

/// Drafts, signs, files and (mostly) approves one contract starting on `start`.
#[allow(clippy::too_many_arguments)]
async fn make(
    db: &Db,
    actor: &Actor,
    u: &Union,
    reach: &str,
    kind: &str,
    employers: &[String],
    start: NaiveDate,
    years: u32,
    rng: &mut Rng,
    today: NaiveDate,
) -> AppResult<bool> {
    let end = start
        .checked_add_months(chrono::Months::new(12 * years))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start);
    let wage = kind == "工资专项";
    let raise = 3 + rng.below(6);
    let input = ContractInput {
        org_code: Some(u.code.clone()),
        title: Some(format!("{}年{}集体合同", start.year(), kind)),
        kind: Some(kind.into()),
        reach: Some(reach.into()),
        employers: employers.to_vec(),
        union_side: Some("工会主席（首席代表）、职工代表二名".into()),
        employer_side: Some("总经理（首席代表）、人事负责人、财务负责人".into()),
        starts_on: Some(start.to_string()),
        ends_on: Some(end.to_string()),
        prev_avg_wage: wage.then(|| format!("{}", 4600 + rng.below(2400))),
        raise_pct: wage.then(|| format!("{raise}.{}", rng.below(10))),
        lowest_wage: wage.then(|| format!("{}", 2100 + rng.below(900))),
        min_wage: wage.then(|| "2060".to_string()),
        ..Default::default()
    };
    let now = crate::db::now_ms();
    let c = contract::create(db, actor, &input, today, now).await?;
    let signed = (start - Days::new(25)).min(today);
    let step = |version: i64, on: NaiveDate| StepInput {
        version,
        on: Some(on.to_string()),
        ..Default::default()
    };
    let mut vote = step(0, signed);
    let delegates = 30 + rng.below(70) as i64;
    vote.delegates = Some(delegates);
    let present = delegates - rng.below(5) as i64;
    vote.present = Some(present);
    vote.votes_for = Some(present - rng.below(3) as i64);
    vote.votes_against = Some(0);
    if contract::step(db, actor, c.id, Action::Sign, &vote, today, now)
        .await
        .is_err()
    {
        // Refused (an earlier contract of the same kind binds an employer): left as a draft.
        return Ok(false);
    }
    let filed = (signed + Days::new(3 + rng.below(6))).min(today);
    contract::step(db, actor, c.id, Action::File, &step(1, filed), today, now).await?;
    // The authority approved most; a few it let pass its 15 days without a decision (they take
    // effect on the daily pass), and those filed in the last days still wait.
    let decided = filed + Days::new(2 + rng.below(8));
    if decided <= today && rng.below(100) >= 5 {
        contract::step(
            db,
            actor,
            c.id,
            Action::Approve,
            &step(2, decided),
            today,
            now,
        )
        .await?;
    }
    Ok(true)
}

/// The first district's spring offer campaign of this year: offers sent to every employer with
/// a union, most accepted, a few declined, some unanswered.
async fn campaign(db: &Db, actor: &Actor, rng: &mut Rng, today: NaiveDate) -> AppResult<u64> {
    let district: Option<String> = sqlx::query_scalar(
        "SELECT code FROM orgs WHERE kind = 'district' AND status = 'active' ORDER BY code LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    let Some(district) = district else {
        return Ok(0);
    };
    let year = if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    };
    let starts = NaiveDate::from_ymd_opt(year, 3, 1).unwrap_or(today);
    let ends = NaiveDate::from_ymd_opt(year, 5, 31).unwrap_or(today);
    let now = crate::db::now_ms();
    let c = match offers::create_campaign(
        db,
        actor,
        &CampaignInput {
            org_code: Some(district),
            name: Some(format!("{year}年春季要约行动")),
            starts_on: Some(starts.to_string()),
            ends_on: Some(ends.to_string()),
            employers: Vec::new(),
        },
        now,
    )
    .await
    {
        Ok(c) => c,
        Err(_) => return Ok(0),
    };
    let sent_on = (starts + Days::new(10)).min(today);
    let sent = offers::send(
        db,
        actor,
        c.id,
        &SendInput {
            offers: Vec::new(),
            sent_on: Some(sent_on.to_string()),
        },
        today,
    )
    .await?;
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM bargain_offers WHERE campaign_id = $1 ORDER BY id")
            .bind(c.id)
            .fetch_all(db.pool())
            .await?;
    for id in ids {
        let roll = rng.below(100);
        if roll >= 95 {
            continue;
        }
        let declined = roll >= 90;
        let answer = AnswerInput {
            version: 1,
            answer: if declined { "declined" } else { "accepted" }.into(),
            on: Some(
                (sent_on + Days::new(3 + rng.below(15)))
                    .min(today)
                    .to_string(),
            ),
            reason: declined.then(|| "企业正在重组，待经营稳定后再行协商".to_string()),
        };
        offers::answer(db, actor, id, &answer, today).await?;
    }
    Ok(sent)
}

/// This year's checklists of the employers with a union (most confirmed, most with 职代会 and
/// 厂务公开), and the congress and disclosures of a few.
async fn checklists(
    db: &Db,
    actor: &Actor,
    unions: &[Union],
    rng: &mut Rng,
    today: NaiveDate,
) -> AppResult<u64> {
    let year = i64::from(today.year());
    let mut n = 0;
    for (i, (_, unit)) in unions.iter().flat_map(|u| u.employers.iter()).enumerate() {
        if rng.below(100) >= 92 {
            continue;
        }
        let congress = rng.below(100) < 93;
        let input = ChecklistInput {
            congress,
            disclosure: congress && rng.below(100) < 97,
            supervision: rng.below(100) < 70,
            grievance: rng.below(100) < 80,
            note: None,
        };
        democracy::confirm(db, actor, *unit, year, &input, today).await?;
        n += 1;
        if i < 12 && congress {
            let held = (today - Days::new(40 + rng.below(200))).to_string();
            let congress = CongressInput {
                kind: Some("职工代表大会".into()),
                session: Some("第三届第二次".into()),
                held_on: Some(held),
                delegates: Some(45),
                present: Some(42),
                note: None,
                motions: vec![
                    "关于改善职工食堂伙食的提案：李代表".into(),
                    "关于增设夏季防暑降温费的提案：王代表".into(),
                ],
            };
            democracy::add_congress(db, actor, *unit, &congress, today).await?;
            for (item, channel, frequency) in [
                ("工资分配", "厂务公开栏", "每季度"),
                ("社会保险缴纳", "职工代表大会", "每年"),
            ] {
                let d = DisclosureInput {
                    year: Some(year),
                    item: Some(item.into()),
                    channel: Some(channel.into()),
                    frequency: Some(frequency.into()),
                };
                democracy::add_disclosure(db, actor, *unit, &d, today).await?;
            }
        }
    }
    Ok(n)
}
