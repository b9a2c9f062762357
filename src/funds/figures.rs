//! The figures of union funds, for any subtree and period, in the catalogue: receipts where
//! the paying employers belong, refunds paid where the refunded firms belong (家次 every refund,
//! 家 every distinct firm), grants received by the unions of the subtree, and the money held
//! on the subtree's books at the period's end by account.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::db::Db;
use crate::error::AppResult;
use crate::figures::{Amount, FigurePart, FigureUnit, FigureValue};
use crate::registry::orgs::Org;
use crate::registry::scope::Scope;
use crate::registry::stats::Period;

/// Fund totals of a subtree and period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FundTotals {
    pub receipts_fen: i64,
    pub paying_firms: i64,
    pub refund_times: i64,
    pub refund_firms: i64,
    pub refund_fen: i64,
    pub grants: i64,
    pub grants_fen: i64,
}

pub async fn totals(db: &Db, path: &str, from: NaiveDate, to: NaiveDate) -> AppResult<FundTotals> {
    let (lo, hi) = Scope::subtree(path).range();
    let (from, to) = (from.to_string(), to.to_string());
    let (receipts_fen, paying_firms): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT), CAST(COUNT(DISTINCT unit_id) AS BIGINT) FROM fund_receipts \
         WHERE org_path >= $1 AND org_path < $2 AND received_on >= $3 AND received_on <= $4",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .fetch_one(db.pool())
    .await?;
    let (refund_times, refund_firms, refund_fen): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT unit_id) AS BIGINT), CAST(COALESCE(SUM(refund_fen), 0) AS BIGINT) \
         FROM fund_refunds WHERE org_path >= $1 AND org_path < $2 AND paid_on >= $3 AND paid_on <= $4 AND status = 'paid'",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .fetch_one(db.pool())
    .await?;
    let (grants, grants_fen): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM fund_grants \
         WHERE org_path >= $1 AND org_path < $2 AND granted_on >= $3 AND granted_on <= $4",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&from)
    .bind(&to)
    .fetch_one(db.pool())
    .await?;
    Ok(FundTotals {
        receipts_fen,
        paying_firms,
        refund_times,
        refund_firms,
        refund_fen,
        grants,
        grants_fen,
    })
}

/// The kinds of account that hold money (not the world outside, not money paid out), by the
/// code they start with, and their names in the figure.
const HELD: &[(&str, &str)] = &[
    ("funds:income", "工会经费"),
    ("funds:refunds:payable", "应返还小微企业经费"),
    ("aid:campaign", "帮扶活动预算"),
    ("aid:payable", "待发放帮扶款"),
    ("mutual:pool", "医疗互助金"),
];

/// The money held on the books of the subtree at `path` at the end of `on`, by kind of
/// account: from the kept balances when `on` is today or later, from the monthly movements
/// otherwise.
pub async fn held_at(
    db: &Db,
    path: &str,
    on: NaiveDate,
    today: NaiveDate,
) -> AppResult<Vec<(String, i64)>> {
    let (lo, hi) = Scope::subtree(path).range();
    let rows: Vec<(String, i64)> = if on >= today {
        sqlx::query_as(
            "SELECT code, CAST(SUM(balance_fen) AS BIGINT) FROM ledger_accounts \
             WHERE org_path >= $1 AND org_path < $2 AND may_go_negative = 0 GROUP BY code",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(db.pool())
        .await?
    } else {
        crate::ledger::held_at(db, path, on).await?
    };
    let mut by: BTreeMap<&str, i64> = BTreeMap::new();
    for (code, fen) in rows {
        // `aid:campaign:17` is of kind `aid:campaign`; the longest kind it starts with wins.
        if let Some((kind, _)) = HELD
            .iter()
            .filter(|(k, _)| code == *k || code.starts_with(&format!("{k}:")))
            .max_by_key(|(k, _)| k.len())
        {
            *by.entry(kind).or_default() += fen;
        }
    }
    Ok(HELD
        .iter()
        .map(|(k, _)| (k.to_string(), by.get(k).copied().unwrap_or(0)))
        .collect())
}

pub async fn compute(db: &Db, org: &Org, period: &Period) -> AppResult<Vec<FigureValue>> {
    let today = chrono::Local::now().date_naive();
    let (t, held) = tokio::try_join!(
        totals(db, &org.path, period.from, period.to),
        held_at(db, &org.path, period.to, today)
    )?;
    let q = format!("org={}&from={}&to={}", org.code, period.from, period.to);
    let receipts = Some(format!("/api/v1/funds/receipts?{q}"));
    let refunds = Some(format!("/api/v1/funds/refunds?status=paid&{q}"));
    let held_total: i64 = held.iter().map(|h| h.1).sum();
    let parts = held
        .iter()
        .map(|(code, fen)| FigurePart {
            dimension: "账户".into(),
            code: code.clone(),
            label: HELD
                .iter()
                .find(|(k, _)| k == code)
                .map(|(_, l)| l.to_string())
                .unwrap_or_default(),
            value: *fen,
        })
        .collect();
    Ok(vec![
        FigureValue::of(
            super::MODULE,
            "funds.receipts",
            "税务代收工会经费",
            FigureUnit::Yuan,
            "统计期内入库的税务代收工会经费合计（按缴费单位所属工会统计），精确到分",
            Amount::Fen(t.receipts_fen),
            Vec::new(),
            receipts.clone(),
        ),
        FigureValue::of(
            super::MODULE,
            "funds.paying_firms",
            "缴纳工会经费单位（家）",
            FigureUnit::Employers,
            "统计期内有经费入库的不同单位数",
            Amount::Count(t.paying_firms),
            Vec::new(),
            receipts,
        ),
        FigureValue::of(
            super::MODULE,
            "funds.refund_times",
            "返还小微企业工会经费（家次）",
            FigureUnit::EmployerTimes,
            "统计期内支付的小微企业经费返还笔数：同一企业返还两次计两家次",
            Amount::Count(t.refund_times),
            Vec::new(),
            refunds.clone(),
        ),
        FigureValue::of(
            super::MODULE,
            "funds.refund_firms",
            "返还小微企业工会经费（家）",
            FigureUnit::Employers,
            "统计期内获得返还的不同企业数：同一企业多次返还只计一家",
            Amount::Count(t.refund_firms),
            Vec::new(),
            refunds.clone(),
        ),
        FigureValue::of(
            super::MODULE,
            "funds.refund_amount",
            "返还小微企业工会经费金额",
            FigureUnit::Yuan,
            "统计期内支付的小微企业经费返还金额合计，精确到分（返还按比例计算，不足一分的舍去）",
            Amount::Fen(t.refund_fen),
            Vec::new(),
            refunds,
        ),
        FigureValue::of(
            super::MODULE,
            "funds.grants",
            "补助下级工会金额",
            FigureUnit::Yuan,
            "统计期内本级及以下工会收到的上级补助合计，精确到分",
            Amount::Fen(t.grants_fen),
            Vec::new(),
            Some(format!("/api/v1/funds/grants?{q}")),
        ),
        FigureValue::of(
            super::MODULE,
            "funds.held",
            "资金余额（期末）",
            FigureUnit::Yuan,
            "统计期末本级及以下工会账上的资金余额，按账户分：工会经费、应返还经费、帮扶预算、待发放帮扶款、医疗互助金（不含已支出）",
            Amount::Fen(held_total),
            parts,
            Some(format!("/api/v1/ledger/accounts?org={}", org.code)),
        ),
    ])
}
