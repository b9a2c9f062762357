//! A year of union funds for the demo city, made through the same functions a cadre's requests
//! call: the tax bureau's monthly receipt files imported for the employers this year (the 2%
//! of an estimated wage bill), the city's refund policy for small and micro firms, refunds of
//! the first half-year and the third quarter computed, approved by a second person and paid,
//! the latest months computed and waiting for approval, and grants to the districts.

use chrono::{Datelike, NaiveDate};

use super::grants::{self, GrantInput};
use super::refunds::{self, ActInput, ComputeInput, PolicyInput};
use crate::audit::Actor;
use crate::error::AppResult;
use crate::registry::Registry;
use crate::registry::import::{ImportKind, ImportOptions, Progress};
use crate::registry::scope::Scope;

/// What the demo made.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub receipts: u64,
    pub receipts_fen: i64,
    pub refunds_paid: u64,
    pub refunds_fen: i64,
    pub grants: u64,
}

pub async fn seed(reg: &Registry, seed: u64, today: NaiveDate) -> AppResult<Report> {
    let db = &reg.db;
    let mut report = Report::default();
    let Some(city) = crate::registry::orgs::scope_root(db, &Scope::all()).await? else {
        return Ok(report);
    };
    // Months of this year already over, received by the 15th of the next month.
    let months: Vec<u32> = (1..today.month()).collect();
    if months.is_empty() {
        return Ok(report);
    }
    let clerk = Actor::system(&reg.keys, "演示数据·经费经办");
    let approver = Actor::system(&reg.keys, "演示数据·经费审批");
    let now = crate::db::now_ms();
    // Small firms with a union first (they are refunded), then some larger employers.
    let mut employers: Vec<(String, i64)> = sqlx::query_as(
        "SELECT uscc, employee_count FROM units WHERE small_micro = 1 AND org_id IS NOT NULL ORDER BY id LIMIT 400",
    )
    .fetch_all(db.pool())
    .await?;
    employers.extend(
        sqlx::query_as::<_, (String, i64)>(
            "SELECT uscc, employee_count FROM units WHERE small_micro = 0 AND org_id IS NOT NULL ORDER BY id LIMIT 200",
        )
        .fetch_all(db.pool())
        .await?,
    );
    let mut state = seed ^ 0x00f0_0d5e;
    let mut below = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n.max(1)
    };
    for m in &months {
        let mut csv = String::from("统一社会信用代码,所属期,实缴金额,入库日期\n");
        let received = NaiveDate::from_ymd_opt(today.year(), m + 1, 15)
            .unwrap_or(today)
            .min(today);
        for (uscc, employees) in &employers {
            // 2% of a month's wages of 5,000–8,000 元 a head, to the fen.
            let wage = 500_000 + below(300_000) as i64;
            let fen = (*employees).max(1) * wage * 2 / 100;
            csv.push_str(&format!(
                "{uscc},{}-{m:02},{}.{:02},{received}\n",
                today.year(),
                fen / 100,
                fen % 100
            ));
            report.receipts += 1;
            report.receipts_fen += fen;
        }
        let (outcome, _) = crate::registry::import::run(
            reg,
            &clerk,
            ImportKind::FundReceipts,
            std::sync::Arc::new(csv.into_bytes()),
            &ImportOptions::default(),
            std::sync::Arc::new(Progress::default()),
        )
        .await?;
        if !outcome.committed {
            return Err(crate::error::AppError::internal(anyhow::anyhow!(
                "demo fund receipts refused: {:?}",
                outcome.issues.first()
            )));
        }
    }
    let year = i64::from(today.year());
    refunds::set_policy(
        db,
        &clerk,
        &PolicyInput {
            org_code: Some(city.code.clone()),
            year: Some(year),
            refund_pct: Some(100),
            max_employees: None,
            requires_union: Some(true),
            note: Some("小微企业（以单位名录标记为准）已建会的，工会经费全额返还".into()),
        },
        now,
    )
    .await?;
    let last = *months.last().unwrap_or(&1);
    // (first month, last month, paid?): paid quarters, the newest months waiting for approval.
    let mut rounds = vec![(1, last.min(6), true)];
    if last > 6 {
        rounds.push((7, last.min(9), true));
    }
    if last > 9 {
        rounds.push((10, last, false));
    }
    for (from, to, pay) in rounds {
        refunds::compute(
            db,
            &clerk,
            &ComputeInput {
                org_code: Some(city.code.clone()),
                year: Some(year),
                period_from: Some(format!("{year}-{from:02}")),
                period_to: Some(format!("{year}-{to:02}")),
            },
            now,
        )
        .await?;
        if !pay {
            continue;
        }
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM fund_refunds WHERE status = 'computed' ORDER BY id")
                .fetch_all(db.pool())
                .await?;
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        if ids.is_empty() {
            continue;
        }
        for (who, action) in [(&approver, "approve"), (&clerk, "pay")] {
            refunds::act(
                db,
                who,
                &ActInput {
                    ids: ids.clone(),
                    action: action.into(),
                    reason: None,
                },
                today,
                now,
            )
            .await?;
        }
    }
    let (n, fen): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(refund_fen), 0) AS BIGINT) FROM fund_refunds WHERE status = 'paid'",
    )
    .fetch_one(db.pool())
    .await?;
    report.refunds_paid = n as u64;
    report.refunds_fen = fen;
    let districts: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM orgs WHERE parent_id = $1 AND status = 'active' ORDER BY code LIMIT 4",
    )
    .bind(city.id)
    .fetch_all(db.pool())
    .await?;
    for (i, code) in districts.iter().enumerate() {
        let input = GrantInput {
            from_org_code: Some(city.code.clone()),
            to_org_code: Some(code.clone()),
            amount: Some(format!("{}", 30_000 + 10_000 * i)),
            purpose: Some(if i % 2 == 0 {
                "职工之家建设补助".into()
            } else {
                "困难职工帮扶补助".into()
            }),
        };
        // A small demo city's receipts may not cover every grant: it makes fewer.
        match grants::grant(db, &clerk, &input, today, now).await {
            Ok(_) => report.grants += 1,
            Err(e) if e.code() == "LEDGER_INSUFFICIENT" => break,
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}
