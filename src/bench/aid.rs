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
    let b =
        crate::ledger::ensure_account(&mut tx, &books, "bench:to", "测评：去向", true, now).await?;
    tx.commit().await?;
    let day = crate::clock::local_date(now).to_string();
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
                Val::T(Some(day.clone())),
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

    // ledger verify.
    let have: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM ledger_postings")
        .fetch_one(db.pool())
        .await?;
    if (have as usize) < sizes.postings {
        let s = Instant::now();
        postings(db, sizes.postings - have as usize).await?;
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
