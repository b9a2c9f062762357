//! `gonghui bench aid`: a payout batch of `--lines` lines made and paid; a year's aid and
//! hardship figures for the city over `--paid` lines paid; `ledger verify` over `--postings`
//! postings — with the round-trip floor measured in the same run.
//!
//! The applications and past payouts it times against are written straight into the tables
//! (the bench measures the batch, the figures and the check, not how the rows came).

use std::time::Instant;

use chrono::Datelike;

use super::{open_for_timing, summary};
use crate::aid::{campaigns, figures, payouts};
use crate::audit::Actor;
use crate::config::Config;
use crate::db::bulk::{Val, insert_rows};
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::scope::Scope;
use crate::registry::stats::Period;

/// Counts of what to time against.
pub struct Sizes {
    pub lines: usize,
    pub paid: usize,
    pub postings: usize,
    pub receipts: usize,
    pub refunds: usize,
    /// Mutual-aid enrolments (employer-plans) and paid claims over ten years.
    pub enrolments: usize,
    pub claims: usize,
}

/// Ten yearly mutual-aid plans of the city, `enrolments` employer enrolments spread over them
/// and `claims` paid claims over the ten years, written straight into the tables (the figures
/// and their lists read these rows).
async fn mutual_rows(
    db: &Db,
    city: &crate::registry::orgs::Org,
    enrolments: usize,
    claims: usize,
    today: chrono::NaiveDate,
) -> AppResult<()> {
    let units: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT id, org_id, org_path FROM units WHERE org_path IS NOT NULL AND org_id IS NOT NULL ORDER BY id LIMIT 20000",
    )
    .fetch_all(db.pool())
    .await?;
    let members: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT member_id, org_id, org_path FROM memberships WHERE end_date IS NULL ORDER BY member_id LIMIT 50000",
    )
    .fetch_all(db.pool())
    .await?;
    if units.is_empty() || members.is_empty() {
        return Err(AppError::invalid(
            "测评需要单位和会员数据：请先运行 gonghui demo",
        ));
    }
    let now = crate::db::now_ms();
    let backend = db.backend();
    let mut tx = db.begin_write().await?;
    let books = crate::ledger::Books {
        org_id: city.id,
        org_path: city.path.clone(),
    };
    let pool = crate::ledger::ensure_account(
        &mut tx,
        &books,
        "mutual:pool:bench",
        "测评：互助金",
        false,
        now,
    )
    .await?;
    let mut plans = Vec::new();
    let mut rows = Vec::new();
    for back in 0..10 {
        let year = today.year() - back;
        let id = new_id();
        plans.push((id, year));
        rows.push(vec![
            Val::I(id),
            Val::I(city.id),
            Val::T(Some(city.path.clone())),
            Val::T(Some(format!("测评互助计划{year}"))),
            Val::T(Some(format!("{year}-01-01"))),
            Val::T(Some(format!("{year}-12-31"))),
            Val::I(6_000),
            Val::I(50_000),
            Val::I(50),
            Val::I(2_000_000),
            Val::I(80),
            Val::T(Some("district".into())),
            Val::I(pool.id),
            Val::T(Some("测评".into())),
            Val::I(now),
        ]);
    }
    insert_rows(
        &mut tx,
        backend,
        "mutual_plans",
        &[
            "id",
            "org_id",
            "org_path",
            "name",
            "term_start",
            "term_end",
            "contribution_fen",
            "deductible_fen",
            "share_pct",
            "cap_fen",
            "min_share_pct",
            "review_kinds",
            "pool_account",
            "created_by",
            "created_at",
        ],
        rows,
    )
    .await?;
    // An employer enrols once per plan: each plan takes up to every employer once.
    let per_plan = units.len().min(enrolments.div_ceil(plans.len())).max(1);
    let mut rows = Vec::new();
    for i in 0..enrolments.min(per_plan * plans.len()) {
        let (plan, year) = plans[i / per_plan];
        let (unit, org, path) = &units[i % per_plan];
        let on = chrono::NaiveDate::from_ymd_opt(year, 1 + (i % 12) as u32, 1 + (i % 28) as u32)
            .unwrap_or(today)
            .min(today);
        let enrolled = 5 + (i % 60) as i64;
        rows.push(vec![
            Val::I(new_id()),
            Val::I(plan),
            Val::I(*unit),
            Val::I(*org),
            Val::T(Some(path.clone())),
            Val::I(enrolled + 2),
            Val::I(enrolled),
            Val::T(None),
            Val::I(enrolled * 6_000),
            Val::I(0),
            Val::T(Some(on.to_string())),
            Val::T(Some("测评".into())),
            Val::I(now),
        ]);
    }
    for chunk in rows.chunks(10_000) {
        insert_rows(
            &mut tx,
            backend,
            "mutual_enrolments",
            &[
                "id",
                "plan_id",
                "unit_id",
                "org_id",
                "org_path",
                "unit_members",
                "enrolled",
                "override_reason",
                "contribution_fen",
                "posting_id",
                "enrolled_on",
                "created_by",
                "created_at",
            ],
            chunk.to_vec(),
        )
        .await?;
    }
    let mut rows = Vec::with_capacity(10_000);
    for i in 0..claims {
        let paid = today - chrono::Duration::days((i * 3_650 / claims.max(1)) as i64);
        let plan = plans
            .iter()
            .find(|(_, y)| *y == paid.year())
            .map_or(plans[0].0, |p| p.0);
        let (member, org, path) = &members[(i * 7_919) % members.len()];
        let expense = 100_000 + (i * 3_571 % 2_000_000) as i64;
        rows.push(vec![
            Val::I(new_id()),
            Val::I(plan),
            Val::I(*member),
            Val::I(*org),
            Val::T(Some(path.clone())),
            Val::T(Some("住院治疗".into())),
            Val::T(Some((paid - chrono::Duration::days(20)).to_string())),
            Val::I(expense),
            Val::I((expense - 50_000) / 2),
            Val::T(None),
            Val::T(Some("paid".into())),
            Val::T(Some(paid.to_string())),
            Val::N(None),
            Val::I(0),
            Val::I(now),
            Val::I(now),
        ]);
        if rows.len() == 10_000 || i + 1 == claims {
            insert_rows(
                &mut tx,
                backend,
                "mutual_claims",
                &[
                    "id",
                    "plan_id",
                    "member_id",
                    "org_id",
                    "org_path",
                    "illness",
                    "occurred_on",
                    "expense_fen",
                    "payable_fen",
                    "review_path",
                    "status",
                    "paid_on",
                    "posting_id",
                    "version",
                    "created_at",
                    "updated_at",
                ],
                std::mem::take(&mut rows),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Ten years of fund receipts (`receipts` employer-months, the latest months first) and
/// `refunds` refunds paid, on the city's books, written straight into the tables (the figures
/// read these rows; money held is read from the ledger, which the bench's batches fill).
async fn fund_rows(
    db: &Db,
    city: &crate::registry::orgs::Org,
    receipts: usize,
    refunds: usize,
    today: chrono::NaiveDate,
) -> AppResult<()> {
    let units: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, org_path FROM units WHERE org_path IS NOT NULL ORDER BY id LIMIT 20000",
    )
    .fetch_all(db.pool())
    .await?;
    if units.is_empty() {
        return Err(AppError::invalid("测评需要单位数据：请先运行 gonghui demo"));
    }
    // The demo's own receipts stay; the bench adds employer-months it has not.
    let taken: std::collections::HashSet<(i64, String)> =
        sqlx::query_as::<_, (i64, String)>("SELECT unit_id, period FROM fund_receipts")
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .collect();
    let now = crate::db::now_ms();
    let months: Vec<chrono::NaiveDate> = (0..1200)
        .filter_map(|back| {
            let m = i64::from(today.year()) * 12 + i64::from(today.month0()) - back;
            chrono::NaiveDate::from_ymd_opt((m / 12) as i32, (m % 12) as u32 + 1, 1)
        })
        .collect();
    let mut rows = Vec::with_capacity(10_000);
    let mut seq = 0u64;
    let backend = db.backend();
    let mut tx = db.begin_write().await?;
    'months: for month in &months {
        let period = month.format("%Y-%m").to_string();
        for (unit, path) in &units {
            if seq as usize + taken.len() >= receipts {
                break 'months;
            }
            if taken.contains(&(*unit, period.clone())) {
                continue;
            }
            seq += 1;
            let fen = 100_000 + (seq * 7_919 % 900_000) as i64;
            let received = (*month + chrono::Duration::days(44)).min(today);
            rows.push(vec![
                Val::I(new_id()),
                Val::I(*unit),
                Val::I(city.id),
                Val::T(Some(path.clone())),
                Val::T(Some(period.clone())),
                Val::I(fen),
                Val::N(None),
                Val::T(None),
                Val::T(Some(received.to_string())),
                Val::I(0),
                Val::N(None),
                Val::I(now),
            ]);
            if rows.len() == 10_000 {
                insert_rows(
                    &mut tx,
                    backend,
                    "fund_receipts",
                    RECEIPT_COLS,
                    std::mem::take(&mut rows),
                )
                .await?;
            }
        }
    }
    insert_rows(&mut tx, backend, "fund_receipts", RECEIPT_COLS, rows).await?;
    let mut policies = std::collections::HashMap::new();
    let mut rows = Vec::new();
    for i in 0..refunds {
        let paid = today - chrono::Duration::days((i * 3_650 / refunds.max(1)) as i64);
        let year = i64::from(paid.year());
        let policy = match policies.get(&year) {
            Some(p) => *p,
            None => {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM fund_policies WHERE org_id = $1 AND year = $2",
                )
                .bind(city.id)
                .bind(year)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(id) = found {
                    policies.insert(year, id);
                    id
                } else {
                    let id = new_id();
                    sqlx::query(
                    "INSERT INTO fund_policies (id, org_id, org_path, year, refund_pct, requires_union, set_by, set_at) VALUES ($1,$2,$3,$4,100,1,'测评',$5)",
                )
                .bind(id)
                .bind(city.id)
                .bind(&city.path)
                .bind(year)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                    policies.insert(year, id);
                    id
                }
            }
        };
        let (unit, path) = &units[i % units.len()];
        rows.push(vec![
            Val::I(new_id()),
            Val::I(policy),
            Val::I(city.id),
            Val::I(*unit),
            Val::T(Some(path.clone())),
            Val::T(Some(format!("{year}-01"))),
            Val::T(Some(format!("{year}-12"))),
            Val::I(0),
            Val::I(0),
            Val::I(200_000),
            Val::T(Some("paid".into())),
            Val::T(Some("测评".into())),
            Val::T(Some(paid.to_string())),
            Val::I(now),
            Val::I(now),
        ]);
        if rows.len() == 10_000 {
            insert_rows(
                &mut tx,
                backend,
                "fund_refunds",
                REFUND_COLS,
                std::mem::take(&mut rows),
            )
            .await?;
        }
    }
    insert_rows(&mut tx, backend, "fund_refunds", REFUND_COLS, rows).await?;
    tx.commit().await?;
    Ok(())
}

const RECEIPT_COLS: &[&str] = &[
    "id",
    "unit_id",
    "books_org_id",
    "org_path",
    "period",
    "amount_fen",
    "wage_base_fen",
    "voucher_no",
    "received_on",
    "posting_id",
    "refund_id",
    "created_at",
];

const REFUND_COLS: &[&str] = &[
    "id",
    "policy_id",
    "books_org_id",
    "unit_id",
    "org_path",
    "period_from",
    "period_to",
    "lines",
    "receipts_fen",
    "refund_fen",
    "status",
    "computed_by",
    "paid_on",
    "created_at",
    "updated_at",
];

/// A campaign of the city with `n` approved applications of its members (written directly),
/// `status` 'approved'; or, for past payouts, 'paid' with their batch and lines.
async fn campaign_with(db: &Db, actor: &Actor, n: usize, paid: bool, seed: u64) -> AppResult<i64> {
    let now = crate::db::now_ms();
    let today = crate::clock::local_date(now);
    let c = campaigns::create(
        db,
        actor,
        &campaigns::CampaignInput {
            name: Some(
                if paid {
                    "测评：往期发放"
                } else {
                    "测评：代发批次"
                }
                .into(),
            ),
            kind: Some("living".into()),
            starts_on: Some(format!("{}-01-01", today.year())),
            ends_on: Some(format!("{}-12-31", today.year())),
            budget: Some("900000000".into()),
            max_per_person: Some("1000".into()),
            notice_days: Some(0),
            allow_repeat: true,
            ..Default::default()
        },
        today,
        now,
    )
    .await?;
    let members: Vec<(i64, i64, String)> = sqlx::query_as(&format!(
        "SELECT id, org_id, org_path FROM members WHERE status = 'active' AND org_id IS NOT NULL ORDER BY id LIMIT {}",
        n.min(200_000)
    ))
    .fetch_all(db.pool())
    .await?;
    if members.is_empty() {
        return Err(AppError::invalid("测评需要会员数据：请先运行 gonghui demo"));
    }
    let mut tx = db.begin_write().await?;
    let backend = crate::db::tx_backend(&tx);
    let batch = new_id();
    if paid {
        sqlx::query(
            "INSERT INTO aid_batches (id, campaign_id, org_id, org_path, made_on, line_count, total_fen, posting_id, made_by, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,0,0,'bench',$7)",
        )
        .bind(batch)
        .bind(c.id)
        .bind(c.org_id)
        .bind(&c.org_path)
        .bind(today.to_string())
        .bind(n as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let mut rng = seed;
    let mut next = |k: u64| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) % k
    };
    let mut apps = Vec::with_capacity(n);
    let mut lines = Vec::with_capacity(n);
    for i in 0..n {
        let (member, org_id, path) = &members[if paid {
            next(members.len() as u64) as usize
        } else {
            i % members.len()
        }];
        let id = new_id();
        let amount = 10_000 + next(90_000) as i64;
        let day = chrono::NaiveDate::from_yo_opt(
            today.year(),
            1 + next(u64::from(today.ordinal())) as u32,
        )
        .unwrap_or(today);
        apps.push(vec![
            Val::I(id),
            Val::I(c.id),
            Val::I(*org_id),
            Val::T(Some(path.clone())),
            Val::I(*member),
            Val::T(Some("goods".into())),
            Val::I(amount),
            Val::T(Some("测评".into())),
            Val::T(Some("union".into())),
            Val::T(Some(day.to_string())),
            Val::T(Some(if paid { "paid" } else { "approved" }.into())),
            Val::I(now),
            Val::I(now),
        ]);
        if paid {
            lines.push(vec![
                Val::I(new_id()),
                Val::I(batch),
                Val::I(id),
                Val::I(c.id),
                Val::T(Some(path.clone())),
                Val::I(*member),
                Val::T(Some("goods".into())),
                Val::I(amount),
                Val::T(Some("paid".into())),
                Val::T(Some(day.to_string())),
                Val::I(now),
            ]);
        }
    }
    insert_rows(
        &mut tx,
        backend,
        "aid_applications",
        &[
            "id",
            "campaign_id",
            "org_id",
            "org_path",
            "member_id",
            "form",
            "amount_fen",
            "reason",
            "channel",
            "applied_on",
            "status",
            "created_at",
            "updated_at",
        ],
        apps,
    )
    .await?;
    insert_rows(
        &mut tx,
        backend,
        "aid_payouts",
        &[
            "id",
            "batch_id",
            "application_id",
            "campaign_id",
            "org_path",
            "member_id",
            "form",
            "amount_fen",
            "status",
            "paid_on",
            "updated_at",
        ],
        lines,
    )
    .await?;
    tx.commit().await?;
    Ok(c.id)
}

/// Two accounts of the city and `n` postings between them, written directly, the kept balances
/// moved to match.
async fn postings(db: &Db, n: usize) -> AppResult<()> {
    let city = crate::registry::orgs::scope_root(db, &Scope::all())
        .await?
        .ok_or_else(|| AppError::not_found("工会"))?;
    let books = crate::ledger::Books {
        org_id: city.id,
        org_path: city.path.clone(),
    };
    let now = crate::db::now_ms();
    let mut tx = db.begin_write().await?;
    let a = crate::ledger::ensure_account(&mut tx, &books, "bench:from", "测评：来源", true, now)
        .await?;
    // The receiving side holds money (a pool that may not go below zero): the figure of money
    // held at an earlier date reads it over the ten years the postings are dated across.
    let b = crate::ledger::ensure_account(
        &mut tx,
        &books,
        "mutual:pool:bench-to",
        "测评：去向",
        false,
        now,
    )
    .await?;
    tx.commit().await?;
    let today = crate::clock::local_date(now);
    let mut moved = 0i64;
    for chunk_start in (0..n).step_by(100_000) {
        let k = (n - chunk_start).min(100_000);
        let mut tx = db.begin_write().await?;
        let backend = crate::db::tx_backend(&tx);
        let mut ps = Vec::with_capacity(k);
        let mut ls = Vec::with_capacity(2 * k);
        for i in 0..k {
            let id = new_id();
            let fen = 100 + ((chunk_start + i) % 10_000) as i64;
            moved += fen;
            ps.push(vec![
                Val::I(id),
                Val::I(city.id),
                Val::T(Some(city.path.clone())),
                Val::T(Some(
                    (today - chrono::Duration::days(((chunk_start + i) % 3_650) as i64))
                        .to_string(),
                )),
                Val::I(now),
                Val::T(Some("测评记账".into())),
                Val::T(Some("bench".into())),
            ]);
            for (account, amount) in [(a.id, -fen), (b.id, fen)] {
                ls.push(vec![
                    Val::I(new_id()),
                    Val::I(id),
                    Val::I(account),
                    Val::T(Some(city.path.clone())),
                    Val::I(amount),
                ]);
            }
        }
        insert_rows(
            &mut tx,
            backend,
            "ledger_postings",
            &[
                "id",
                "org_id",
                "org_path",
                "posted_on",
                "posted_at",
                "memo",
                "actor",
            ],
            ps,
        )
        .await?;
        insert_rows(
            &mut tx,
            backend,
            "ledger_lines",
            &["id", "posting_id", "account_id", "org_path", "amount_fen"],
            ls,
        )
        .await?;
        tx.commit().await?;
    }
    for (account, delta) in [(a.id, -moved), (b.id, moved)] {
        sqlx::query("UPDATE ledger_accounts SET balance_fen = balance_fen + $1 WHERE id = $2")
            .bind(delta)
            .bind(account)
            .execute(db.pool())
            .await?;
    }
    // The lines went in directly: the monthly movements are recounted from them.
    let mut tx = db.begin_write().await?;
    crate::ledger::rebuild_month_moves(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn run(config: &Config, sizes: Sizes, rounds: usize) -> AppResult<()> {
    let rounds = rounds.max(3);
    let reg = open_for_timing(config, rounds).await?;
    let db = &reg.db;
    let actor = Actor::system(&reg.keys, "测评");
    let city = crate::registry::orgs::scope_root(db, &Scope::all())
        .await?
        .ok_or_else(|| AppError::not_found("工会"))?;
    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        let _: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
            .fetch_one(db.pool())
            .await?;
        t.push(s.elapsed());
    }
    summary("floor: SELECT 1 round trip", t);

    // The rows earlier runs changed, vacuumed and analysed as autovacuum would have (a test
    // server may run with it off; dead row versions of earlier batches then slow this one).
    db.tidy_after_rewrite(&[
        "aid_payouts",
        "aid_applications",
        "aid_firsts",
        "aid_totals",
        "ledger_accounts",
        "ledger_postings",
        "ledger_lines",
        "ledger_month_moves",
    ])
    .await?;
    // A batch: made (the reserve posted), then every line paid in chunks of 500.
    let c = campaign_with(db, &actor, sizes.lines, false, 1).await?;
    let now = crate::db::now_ms();
    let today = crate::clock::local_date(now);
    let s = Instant::now();
    let b = payouts::make_batch(db, &actor, c, &Default::default(), today, now).await?;
    let made = s.elapsed();
    let s = Instant::now();
    let paid = payouts::pay_all(db, &actor, b.id, 500, today, now).await?;
    let pay = s.elapsed();
    println!(
        "payout batch of {} lines: made in {:.2} s, {paid} lines paid and posted in {:.2} s, total {:.2} s",
        b.line_count,
        made.as_secs_f64(),
        pay.as_secs_f64(),
        (made + pay).as_secs_f64()
    );

    // A year's figures for the city over past payouts.
    let have: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM aid_payouts WHERE status = 'paid'",
    )
    .fetch_one(db.pool())
    .await?;
    if (have as usize) < sizes.paid {
        let s = Instant::now();
        campaign_with(db, &actor, sizes.paid - have as usize, true, 7).await?;
        println!(
            "wrote {} past paid lines in {:.1} s",
            sizes.paid - have as usize,
            s.elapsed().as_secs_f64()
        );
        let s = Instant::now();
        let mut tx = db.begin_write().await?;
        crate::aid::totals::rebuild(&mut tx).await?;
        tx.commit().await?;
        db.tidy_after_rewrite(&["aid_payouts"]).await?;
        println!(
            "rebuilt the aid running totals in {:.1} s",
            s.elapsed().as_secs_f64()
        );
    }
    let year = Period {
        from: chrono::NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        to: today,
    };
    let mut t = Vec::new();
    let mut shown = String::new();
    for _ in 0..rounds {
        let s = Instant::now();
        let v = figures::compute(db, &city, &year).await?;
        t.push(s.elapsed());
        shown = v
            .iter()
            .filter(|f| f.key.starts_with("aid."))
            .map(|f| format!("{} {}", f.key, f.display))
            .collect::<Vec<_>>()
            .join(", ");
    }
    summary("aid and hardship figures: the city, this year", t);
    println!("  ({shown})");
    // A period that does not start on 1 January is read from the lines themselves.
    let from_feb = Period {
        from: chrono::NaiveDate::from_ymd_opt(today.year(), 2, 1)
            .unwrap_or(today)
            .min(today),
        to: today,
    };
    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        figures::compute(db, &city, &from_feb).await?;
        t.push(s.elapsed());
    }
    summary("the same from 1 February (read from the lines)", t);

    // Union funds: receipts and refunds of ten years, the figures of this year and last.
    let have: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM fund_receipts")
        .fetch_one(db.pool())
        .await?;
    if (have as usize) < sizes.receipts {
        let s = Instant::now();
        fund_rows(db, &city, sizes.receipts, sizes.refunds, today).await?;
        db.tidy_after_rewrite(&["fund_receipts", "fund_refunds"])
            .await?;
        println!(
            "wrote {} fund receipts and {} refunds in {:.1} s",
            sizes.receipts,
            sizes.refunds,
            s.elapsed().as_secs_f64()
        );
    }
    let last_year = Period {
        from: chrono::NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today),
        to: chrono::NaiveDate::from_ymd_opt(today.year() - 1, 12, 31).unwrap_or(today),
    };
    for (label, period) in [
        ("funds figures: the city, this year", &year),
        (
            "funds figures: the city, last year (money held summed from the lines)",
            &last_year,
        ),
    ] {
        let mut t = Vec::new();
        let mut shown = String::new();
        for _ in 0..rounds {
            let s = Instant::now();
            let v = crate::funds::figures::compute(db, &city, period).await?;
            t.push(s.elapsed());
            shown = v
                .iter()
                .map(|f| format!("{} {}", f.key, f.display))
                .collect::<Vec<_>>()
                .join(", ");
        }
        summary(label, t);
        println!("  ({shown})");
    }

    // Mutual aid: ten years of enrolments and paid claims, the city's figures of this year.
    let have: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM mutual_claims")
        .fetch_one(db.pool())
        .await?;
    if (have as usize) < sizes.claims {
        let s = Instant::now();
        mutual_rows(
            db,
            &city,
            sizes.enrolments,
            sizes.claims - have as usize,
            today,
        )
        .await?;
        db.tidy_after_rewrite(&["mutual_enrolments", "mutual_claims"])
            .await?;
        println!(
            "wrote {} mutual-aid enrolments and {} paid claims in {:.1} s",
            sizes.enrolments,
            sizes.claims - have as usize,
            s.elapsed().as_secs_f64()
        );
    }
    let mut t = Vec::new();
    let mut shown = String::new();
    for _ in 0..rounds {
        let s = Instant::now();
        let m = crate::aid::mutual::totals(db, &city.path, year.from, year.to).await?;
        t.push(s.elapsed());
        shown = format!(
            "units {}, persons {}, contributions {}, claims {}, paid {}",
            m.units,
            m.persons,
            crate::types::Fen(m.contributions_fen),
            m.claims,
            crate::types::Fen(m.paid_fen)
        );
    }
    summary("mutual-aid figures: the city, this year", t);
    println!("  ({shown})");
    let mut t = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        figures::compute(db, &city, &year).await?;
        t.push(s.elapsed());
    }
    summary(
        "aid, hardship and mutual-aid figures together: the city, this year",
        t,
    );
    let mut t = Vec::new();
    let first = crate::db::Paging::new(Some(1), Some(50), 50);
    for _ in 0..rounds {
        let s = Instant::now();
        crate::aid::mutual::claims_in(db, &city.path, year.from, year.to, &first).await?;
        t.push(s.elapsed());
    }
    summary("the claims behind them: first page of 50 and the count", t);

    // ledger verify.
    let have: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM ledger_postings")
        .fetch_one(db.pool())
        .await?;
    if (have as usize) < sizes.postings {
        let s = Instant::now();
        postings(db, sizes.postings - have as usize).await?;
        db.tidy_after_rewrite(&["ledger_postings", "ledger_lines", "ledger_month_moves"])
            .await?;
        println!(
            "wrote {} postings in {:.1} s",
            sizes.postings - have as usize,
            s.elapsed().as_secs_f64()
        );
    }
    let mut t = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let s = Instant::now();
        let v = crate::ledger::verify(db).await?;
        t.push(s.elapsed());
        last = Some(v);
    }
    let v = last.expect("verified");
    // Money held at earlier dates, over the postings dated across ten years.
    for (label, on) in [
        (
            "money held: the city, at the end of last year",
            last_year.to,
        ),
        (
            "money held: the city, five years ago mid-month",
            today - chrono::Duration::days(5 * 365 + 15),
        ),
    ] {
        let mut t = Vec::new();
        let mut shown = String::new();
        for _ in 0..rounds {
            let s = Instant::now();
            let held = crate::funds::figures::held_at(db, &city.path, on, today).await?;
            t.push(s.elapsed());
            shown = held
                .iter()
                .map(|(k, f)| format!("{k} {}", crate::types::Fen(*f)))
                .collect::<Vec<_>>()
                .join(", ");
        }
        summary(&format!("{label} ({on})"), t);
        println!("  ({shown})");
    }
    summary(
        &format!("ledger verify: {} postings, {} lines", v.postings, v.lines),
        t,
    );
    if !v.ok() {
        return Err(AppError::invalid(format!(
            "账目校验未通过：{}",
            v.problems.join("；")
        )));
    }
    Ok(())
}
