//! A plausible year of hardship files and aid for the demo city, made through the same
//! functions a cadre's requests call: the city's 低保 lines, households filed in their tiers
//! (some re-verified, some lifted out), and three campaigns of the city over the past year —
//! 两节送温暖 for households on file, 夏送清凉 in kind for 新就业形态 workers, 金秋助学 —
//! applied for, reviewed by the grassroots union and the district, shown publicly, batched and
//! paid, a few lines failing at the bank and paid on retry, one cancelled.

use chrono::{Datelike, Duration, NaiveDate};

use super::campaigns::{self, ApplicationInput, CampaignInput, DecisionInput};
use super::hardship::{self, ExitInput, FileInput, HouseholdPersonInput, LineInput};
use super::payouts::{self, LineAction, LineResult};
use crate::audit::Actor;
use crate::crypto::FieldKeys;
use crate::db::Db;
use crate::error::AppResult;
use crate::registry::scope::Scope;

/// What the demo made.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub files: u64,
    pub exited: u64,
    pub campaigns: u64,
    pub paid_lines: u64,
    pub paid_fen: i64,
    pub mutual_units: u64,
    pub mutual_claims: u64,
    /// Union funds of the same year.
    pub funds: crate::funds::demo::Report,
}

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// A valid ID number for a household member who is not a member (a child, a parent).
fn id_number(region: &str, birth: NaiveDate, seq: u64) -> String {
    let first17 = format!("{region}{}{:03}", birth.format("%Y%m%d"), seq % 1000);
    let c = crate::types::id_card::check_char(first17.as_bytes()) as char;
    format!("{first17}{c}")
}

pub async fn seed(
    db: &Db,
    keys: &FieldKeys,
    members: u32,
    seed: u64,
    today: NaiveDate,
) -> AppResult<Report> {
    let mut report = Report::default();
    let Some(city) = crate::registry::orgs::scope_root(db, &Scope::all()).await? else {
        return Ok(report);
    };
    let actor = Actor::system(keys, "演示数据");
    let mut rng = Rng(seed ^ 0x05ee_da1d);
    let now = crate::db::now_ms();
    let region = city.region_code.clone().unwrap_or_else(|| "340400".into());
    for (year, line) in [(today.year() - 1, "730"), (today.year(), "760")] {
        let input = LineInput {
            region_code: region.clone(),
            year: i64::from(year),
            monthly: line.into(),
            relative_pct: None,
            sudden_pct: None,
        };
        hardship::set_line(db, &actor, None, &input, now).await?;
    }
    // Households: about one worker in 170 (Qingyang filed 290 households in a city of some
    // 50,000 members), at most 600 in the demo.
    let n = (u64::from(members) / 170).clamp(30, 600) as i64;
    let workers: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT id, org_path FROM members WHERE status = 'active' AND org_id IS NOT NULL ORDER BY id LIMIT {}",
        n * 8
    ))
    .fetch_all(db.pool())
    .await?;
    let mut filed: Vec<(i64, String, bool)> = Vec::new(); // (member, tier, a child at school)
    let mut seq = 0u64;
    for (k, (member, _)) in workers.iter().enumerate().filter(|(k, _)| k % 8 == 0) {
        let size = 1 + rng.below(4) as i64;
        let mut persons = vec![HouseholdPersonInput {
            member_id: Some(member.to_string()),
            relation: Some("self".into()),
            health: Some(["healthy", "chronic", "grave", "disabled"][rng.below(4) as usize].into()),
            work: Some(["employed", "employed", "unemployed"][rng.below(3) as usize].into()),
            ..Default::default()
        }];
        let mut child_at_school = false;
        for p in 1..size {
            seq += 1;
            let child = p >= 2 || rng.below(2) == 0;
            let birth = if child {
                today - Duration::days(365 * (4 + rng.below(16) as i64))
            } else {
                today - Duration::days(365 * (35 + rng.below(25) as i64))
            };
            let schooling = if child {
                ["primary", "middle", "high", "college"][rng.below(4) as usize]
            } else {
                "none"
            };
            child_at_school |= child;
            persons.push(HouseholdPersonInput {
                name: Some(format!(
                    "{}{}",
                    ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"][rng.below(8) as usize],
                    [
                        "欣怡", "子涵", "浩然", "秀英", "桂兰", "建国", "雨轩", "志强"
                    ][rng.below(8) as usize]
                )),
                id_number: Some(id_number(&region, birth, seq)),
                relation: Some(if child { "child" } else { "spouse" }.into()),
                birth_year: Some(i64::from(birth.year())),
                schooling: Some(schooling.into()),
                work: Some(if child { "student" } else { "unemployed" }.into()),
                ..Default::default()
            });
        }
        // Per person per month: most between the line and twice it, some below, a few with a
        // sudden expense.
        // Against last year's (the lower) line, so the tier holds in either year.
        let line = 730 * 12 * size;
        let (income, sudden) = match rng.below(10) {
            0..=2 => (line * (40 + rng.below(55) as i64) / 100, 0),
            3..=8 => (line * (100 + rng.below(95) as i64) / 100, 0),
            _ => (line * 3, line * 2),
        };
        // Filed before the year's campaigns.
        let entered = today - Duration::days(330 + rng.below(30) as i64);
        let input = FileInput {
            persons,
            income: Some(income.to_string()),
            sudden_expenses: Some(sudden.to_string()),
            causes: vec![
                [
                    "illness",
                    "disability",
                    "schooling",
                    "unemployment",
                    "accident",
                ][rng.below(5) as usize]
                    .into(),
            ],
            plan: Some("医疗救助、子女助学、就业帮扶，按季度走访".into()),
            measures: Some("申请大病救助；协调企业安排适合岗位；纳入送温暖名单".into()),
            entered_on: Some(entered.to_string()),
            ..Default::default()
        };
        let f = match hardship::open_file(db, keys, &actor, &input, today, now).await {
            Ok(f) => f,
            // A person already on file (a generated ID number met again), or a household the
            // rounding put just above the bar: skip it.
            Err(e)
                if e.code() == "HARDSHIP_PERSON_ON_FILE" || e.code() == "HARDSHIP_NOT_ELIGIBLE" =>
            {
                continue;
            }
            Err(e) => return Err(e),
        };
        report.files += 1;
        if k % 10 == 8 {
            let exit = ExitInput {
                reason: Some("employed".into()),
                note: Some("本人实现稳定就业".into()),
                exited_on: None,
                version: f.version,
            };
            hardship::exit(db, &actor, f.id, &exit, today, now).await?;
            report.exited += 1;
        } else {
            filed.push((*member, f.tier.clone(), child_at_school));
        }
    }
    // Three campaigns of the city over the past year.
    let plans: [(&str, &str, i64, i64, &[&str]); 3] = [
        (
            "两节送温暖",
            "festival",
            320,
            600,
            &["deep", "relative", "sudden"],
        ),
        ("夏送清凉", "summer", 140, 60, &[]),
        ("金秋助学", "school", 80, 2000, &["deep", "relative"]),
    ];
    for (name, kind, days_ago, per, tiers) in plans {
        let starts = today - Duration::days(days_ago);
        let input = CampaignInput {
            name: Some(format!("{}年{name}", starts.year())),
            kind: Some(kind.into()),
            starts_on: Some(starts.to_string()),
            ends_on: Some((starts + Duration::days(30)).to_string()),
            budget: Some((per * 400 + 100_000).to_string()),
            max_per_person: Some((per * 2).to_string()),
            tiers: tiers.iter().map(|t| t.to_string()).collect(),
            review_kinds: vec!["grassroots".into(), "joint".into(), "district".into()],
            notice_days: Some(5),
            ..Default::default()
        };
        let c = campaigns::create(db, &actor, &input, today, now).await?;
        report.campaigns += 1;
        let day = starts + Duration::days(3);
        let recipients: Vec<i64> = match kind {
            "summer" => workers.iter().take(300).map(|w| w.0).collect(),
            "school" => filed.iter().filter(|f| f.2).map(|f| f.0).collect(),
            _ => filed.iter().map(|f| f.0).collect(),
        };
        for member in recipients.into_iter().take(400) {
            let goods = kind == "summer";
            let amount = if goods {
                per
            } else {
                per - per / 5 + rng.below(per as u64 / 5 + 1) as i64
            };
            let a = ApplicationInput {
                member_id: Some(member.to_string()),
                form: Some(if goods { "goods" } else { "cash" }.into()),
                amount: Some(amount.to_string()),
                goods: goods.then(|| "防暑降温用品一套（藿香正气水、毛巾、茶叶）".into()),
                reason: Some(
                    if goods {
                        "高温天气户外作业"
                    } else {
                        "家庭生活困难"
                    }
                    .into(),
                ),
                bank_name: (!goods).then(|| "中国工商银行".into()),
                bank_account: (!goods)
                    .then(|| format!("6222{:015}", member.unsigned_abs() % 1_000_000_000_000_000)),
            };
            let app = match campaigns::apply(db, keys, &actor, c.id, &a, None, day, now).await {
                Ok(app) => app,
                Err(e) if e.code() == "AID_NOT_ELIGIBLE" => continue,
                Err(e) => return Err(e),
            };
            let mut version = app.version;
            loop {
                let d = DecisionInput {
                    decision: "approve".into(),
                    comment: None,
                    version,
                };
                let after = campaigns::decide(db, &actor, app.id, &d, day, now).await?;
                if after.status != "reviewing" {
                    break;
                }
                version = after.version;
            }
        }
        let batch = match payouts::make_batch(
            db,
            &actor,
            c.id,
            &Default::default(),
            day + Duration::days(7),
            now,
        )
        .await
        {
            Ok(b) => b,
            Err(e) if e.message().contains("没有可发放的申请") => continue,
            Err(e) => return Err(e),
        };
        // The bank returns a few lines failed; one is retried and paid, one cancelled.
        let lines = payouts::lines(db, batch.id, &crate::db::Paging::new(None, Some(3), 3)).await?;
        let paid_on = day + Duration::days(9);
        if kind != "summer" && lines.len() == 3 {
            let failed: Vec<LineResult> = lines[..2]
                .iter()
                .map(|l| LineResult {
                    line: l.id.to_string(),
                    outcome: "failed".into(),
                    reason: Some("户名与账号不符".into()),
                })
                .collect();
            payouts::record_results(db, &actor, batch.id, &failed, paid_on, now).await?;
            let retry = LineAction {
                action: "retry".into(),
                reason: None,
            };
            payouts::act_on_line(db, &actor, batch.id, lines[0].id, &retry, paid_on, now).await?;
            let cancel = LineAction {
                action: "cancel".into(),
                reason: Some("本人已调离本市".into()),
            };
            payouts::act_on_line(db, &actor, batch.id, lines[1].id, &cancel, paid_on, now).await?;
        }
        payouts::pay_all(db, &actor, batch.id, 500, paid_on, now).await?;
        let b = payouts::batch(db, &Scope::all(), batch.id).await?;
        report.paid_lines += b.paid as u64;
        report.paid_fen += b.paid_fen;
    }
    mutual_aid(db, &actor, &mut rng, &mut report, today, now).await?;
    Ok(report)
}

/// A year's medical mutual aid of the city: the plan, the employers with the most members
/// enrolled in full, a claim for about one enrolled worker in forty, reviewed and paid.
async fn mutual_aid(
    db: &Db,
    actor: &Actor,
    rng: &mut Rng,
    report: &mut Report,
    today: NaiveDate,
    now: i64,
) -> AppResult<()> {
    use super::mutual::{self, ClaimInput, EnrolInput, PlanInput};
    let start = today - Duration::days(300);
    let plan = mutual::create_plan(
        db,
        actor,
        &PlanInput {
            name: Some(format!("{}年度职工住院医疗互助", start.year())),
            term_start: Some(start.to_string()),
            term_end: Some((start + Duration::days(364)).to_string()),
            contribution: Some("60".into()),
            deductible: Some("800".into()),
            share_pct: Some(50),
            cap: Some("20000".into()),
            review_kinds: vec!["grassroots".into(), "joint".into(), "district".into()],
            ..Default::default()
        },
        now,
    )
    .await?;
    let units: Vec<i64> = sqlx::query_scalar(
        "SELECT unit_id FROM members WHERE status = 'active' AND unit_id IS NOT NULL GROUP BY unit_id ORDER BY COUNT(*) DESC, unit_id LIMIT 20",
    )
    .fetch_all(db.pool())
    .await?;
    let enrolled_on = start + Duration::days(10);
    for unit in units {
        let input = EnrolInput {
            unit_id: unit.to_string(),
            ..Default::default()
        };
        mutual::enrol(db, actor, plan.id, &input, enrolled_on, now).await?;
        report.mutual_units += 1;
    }
    let members: Vec<i64> =
        sqlx::query_scalar("SELECT member_id FROM mutual_enrollees WHERE plan_id = $1 ORDER BY id")
            .bind(plan.id)
            .fetch_all(db.pool())
            .await?;
    for member in members.iter().step_by(40) {
        let occurred = start + Duration::days(20 + rng.below(250) as i64);
        let expense = 1_500 + rng.below(12_000);
        let input = ClaimInput {
            member_id: member.to_string(),
            illness: Some(["住院治疗", "门诊特殊病", "手术治疗"][rng.below(3) as usize].into()),
            occurred_on: Some(occurred.to_string()),
            expense: Some(expense.to_string()),
            amount: None,
        };
        let filed = occurred + Duration::days(10);
        let c = mutual::claim(db, actor, plan.id, &input, filed, now).await?;
        let mut version = c.version;
        loop {
            let d = super::campaigns::DecisionInput {
                decision: "approve".into(),
                comment: None,
                version,
            };
            match mutual::decide(db, actor, c.id, &d, filed + Duration::days(5), now).await {
                Ok(after) if after.status == "reviewing" => version = after.version,
                Ok(_) => {
                    report.mutual_claims += 1;
                    break;
                }
                // The pool ran dry: the rest wait, as they would.
                Err(e) if e.code() == "MUTUAL_POOL_SHORT" => break,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
