//! An activity's money. Its budget is an account in the organising union's ledger, funded from
//! the union's activity fund when the activity is set up (or its budget raised); each payment
//! (场地, 奖品, 餐费 …) is posted from that account to the union's activity spending. The budget
//! account may not go below zero, so a payment above what is left is refused, and two payments
//! at the same moment cannot both take the last of it. A payment entered by mistake is undone
//! by a reversal posting, never deleted.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::activity::{self, Activity, MAX_BUDGET, Status};
use crate::audit::{self, Actor, Event};
use crate::db::{Db, Tx, new_id};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Books, NewPosting};
use crate::types::{Fen, Limits};
use crate::workflow::{self, Named, given, issue};

/// Where a union's activity money comes from (经费预算): an account standing for the union's
/// funds, which may go below zero (the books of the funds themselves are the funds module's).
const FUND: (&str, &str) = ("activities:fund", "工会活动经费");
/// Where the money paid for activities goes.
const SPENT: (&str, &str) = ("activities:spent", "活动经费支出");

fn books(a: &Activity) -> Books {
    Books {
        org_id: a.org_id,
        org_path: a.org_path.clone(),
    }
}

/// Moves `amount` from the union's activity fund into activity `a`'s budget account (made on
/// first use) inside the caller's transaction; returns the account's id.
pub(super) async fn fund_budget(
    tx: &mut Tx,
    actor: &Actor,
    a: &Activity,
    amount: Fen,
    on: NaiveDate,
    now: i64,
) -> AppResult<i64> {
    let b = books(a);
    let fund = ledger::ensure_account(tx, &b, FUND.0, FUND.1, true, now).await?;
    let budget = ledger::ensure_account(
        tx,
        &b,
        &format!("activity:{}", a.id),
        &format!("活动预算·{}", a.title),
        false,
        now,
    )
    .await?;
    ledger::post(
        tx,
        actor,
        &b,
        &NewPosting {
            on,
            memo: format!("活动预算：{}", a.title),
            source: Some(("activity", a.id)),
            idempotency_key: None,
            lines: ledger::transfer(fund.id, budget.id, amount),
        },
        None,
        now,
    )
    .await?;
    sqlx::query("UPDATE activities SET budget_account = $1 WHERE id = $2")
        .bind(budget.id)
        .bind(a.id)
        .execute(&mut **tx)
        .await?;
    Ok(budget.id)
}

/// A payment as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpendingInput {
    pub spent_on: Option<String>,
    /// In 元.
    pub amount: Option<String>,
    /// What it paid for (场地租赁, 奖品, 餐费 …).
    pub purpose: Option<String>,
    pub payee: Option<String>,
}

/// A payment charged to an activity.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Spending {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub activity_id: i64,
    pub spent_on: String,
    pub amount_fen: i64,
    pub purpose: String,
    pub payee: Option<String>,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub posting_id: i64,
    /// Set once the payment was undone.
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub reversal_posting: Option<i64>,
    pub created_by: String,
}

const SELECT: &str = "SELECT id, activity_id, spent_on, amount_fen, purpose, payee, posting_id, reversal_posting, created_by \
    FROM activity_spending";

/// The payments charged to activity `id`, latest first.
pub async fn of(db: &Db, activity_id: i64) -> AppResult<Vec<Spending>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE activity_id = $1 ORDER BY spent_on DESC, id DESC"
    ))
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?)
}

/// The refusal of a payment above what is left of the budget.
fn over_budget(a: &Activity, amount: Fen) -> AppError {
    AppError::conflict(
        "ACTIVITY_OVER_BUDGET",
        format!(
            "超出活动预算：预算 {} 元，已支出 {} 元，剩余 {} 元，本次支出 {} 元。请核减金额或先追加预算",
            Fen(a.budget_fen),
            Fen(a.spent_fen),
            Fen(a.budget_fen - a.spent_fen),
            amount
        ),
    )
}

/// Charges a payment to activity `id`, posted from its budget to the union's spending in the
/// same transaction as the row; above what is left of the budget it is refused and nothing is
/// written.
pub async fn spend(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &SpendingInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Spending> {
    let a = activity::get(db, &actor.scope, id).await?;
    if a.status() == Some(Status::Cancelled) {
        return Err(AppError::conflict(
            "TRANSITION_REFUSED",
            "这项活动已取消，不能再记支出",
        ));
    }
    let mut issues = Vec::new();
    let on = workflow::date("支出日期", i.spent_on.as_deref(), &mut issues);
    if on.is_some_and(|d| d > today) {
        issues.push(issue("支出日期", "支出日期不能晚于今天"));
    }
    let amount = workflow::money(
        "金额",
        i.amount.as_deref(),
        Limits::positive(MAX_BUDGET),
        &mut issues,
    );
    let purpose = given(i.purpose.as_deref()).map(|t| t.chars().take(100).collect::<String>());
    if purpose.is_none() {
        issues.push(issue("用途", "请填写支出用途"));
    }
    let (Some(on), Some(amount), Some(purpose)) = (on, amount, purpose) else {
        return Err(AppError::invalid_fields(
            "支出信息有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "支出信息有误，请按提示修改",
            issues,
        ));
    }
    let Some(account) = a.budget_account else {
        return Err(over_budget(&a, amount));
    };
    let payee = given(i.payee.as_deref()).map(|t| t.chars().take(100).collect::<String>());
    let sid = new_id();
    let b = books(&a);
    let mut tx = db.begin_write().await?;
    let spent = ledger::ensure_account(&mut tx, &b, SPENT.0, SPENT.1, false, now).await?;
    let posting = ledger::post(
        &mut tx,
        actor,
        &b,
        &NewPosting {
            on,
            memo: format!("{}：{purpose}", a.title),
            source: Some(("activity_spending", sid)),
            idempotency_key: Some(format!("activity-spending:{sid}")),
            lines: ledger::transfer(account, spent.id, amount),
        },
        None,
        now,
    )
    .await;
    let posting = match posting {
        Ok(p) => p,
        Err(e) if e.code() == "LEDGER_INSUFFICIENT" => {
            // Read again: another payment may have taken part of the budget meanwhile.
            let now_a = activity::get_any(db, id).await.unwrap_or(a);
            return Err(over_budget(&now_a, amount));
        }
        Err(e) => return Err(e),
    };
    sqlx::query(
        "INSERT INTO activity_spending (id, activity_id, org_path, kind, spent_on, amount_fen, purpose, payee, posting_id, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(sid)
    .bind(a.id)
    .bind(&a.org_path)
    .bind(&a.kind)
    .bind(on.to_string())
    .bind(amount.0)
    .bind(&purpose)
    .bind(&payee)
    .bind(posting)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("activity.spend")
            .target("activity", a.id)
            .detail(serde_json::json!({"amount_fen": amount.0, "spending": sid.to_string()})),
    )
    .await?;
    tx.commit().await?;
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(sid)
        .fetch_one(db.pool())
        .await?)
}

/// Undoes payment `spending_id` of activity `id` with a reversal posting (its money back in
/// the budget); the payment stays on the list, marked undone.
pub async fn reverse(
    db: &Db,
    actor: &Actor,
    id: i64,
    spending_id: i64,
    reason: &str,
    today: NaiveDate,
    now: i64,
) -> AppResult<Spending> {
    let a = activity::get(db, &actor.scope, id).await?;
    let found: Option<Spending> =
        sqlx::query_as(&format!("{SELECT} WHERE id = $1 AND activity_id = $2"))
            .bind(spending_id)
            .bind(a.id)
            .fetch_optional(db.pool())
            .await?;
    let s = found.ok_or_else(|| AppError::not_found("支出记录"))?;
    if s.reversal_posting.is_some() {
        return Err(AppError::conflict(
            "ALREADY_REVERSED",
            "这笔支出已经撤销过了",
        ));
    }
    let mut tx = db.begin_write().await?;
    let reversal = ledger::reverse(&mut tx, actor, s.posting_id, today, reason, now).await?;
    let changed = sqlx::query(
        "UPDATE activity_spending SET reversal_posting = $1 WHERE id = $2 AND reversal_posting IS NULL",
    )
    .bind(reversal)
    .bind(s.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(AppError::conflict(
            "ALREADY_REVERSED",
            "这笔支出已经撤销过了",
        ));
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("activity.spend.reverse")
            .target("activity", a.id)
            .detail(serde_json::json!({"spending": s.id.to_string(), "amount_fen": s.amount_fen})),
    )
    .await?;
    tx.commit().await?;
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(s.id)
        .fetch_one(db.pool())
        .await?)
}

/// A raise of an activity's budget as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseInput {
    /// In 元.
    pub amount: Option<String>,
}

/// Adds to activity `id`'s budget from the union's activity fund (an activity set up without
/// a budget gets its budget account now).
pub async fn raise_budget(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &RaiseInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Activity> {
    let a = activity::get(db, &actor.scope, id).await?;
    if a.status() == Some(Status::Cancelled) {
        return Err(AppError::conflict(
            "TRANSITION_REFUSED",
            format!("这项活动{}，不能追加预算", Status::Cancelled.label()),
        ));
    }
    let mut issues = Vec::new();
    let Some(amount) = workflow::money(
        "追加金额",
        i.amount.as_deref(),
        Limits::positive(MAX_BUDGET),
        &mut issues,
    ) else {
        return Err(AppError::invalid_fields("追加金额有误", issues));
    };
    if a.budget_fen + amount.0 > MAX_BUDGET.0 {
        return Err(AppError::invalid(format!(
            "追加后预算将超过 {MAX_BUDGET} 元，请核对金额"
        )));
    }
    let mut tx = db.begin_write().await?;
    fund_budget(&mut tx, actor, &a, amount, today, now).await?;
    sqlx::query(
        "UPDATE activities SET budget_fen = budget_fen + $1, updated_at = $2 WHERE id = $3",
    )
    .bind(amount.0)
    .bind(now)
    .bind(a.id)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("activity.budget")
            .target("activity", a.id)
            .detail(serde_json::json!({"raised_fen": amount.0})),
    )
    .await?;
    tx.commit().await?;
    activity::get_any(db, id).await
}

/// A payment in a list over a subtree and period (the drill behind 活动经费支出).
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct SpendingHeld {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub activity_id: i64,
    pub activity_title: String,
    pub org_name: String,
    pub spent_on: String,
    pub amount_fen: i64,
    pub purpose: String,
    pub payee: Option<String>,
}

/// One page of the payments (not undone) of the subtree at `path` in the period, latest
/// first, with their count and total in fen.
pub async fn in_period(
    db: &Db,
    path: &str,
    period: &crate::registry::stats::Period,
    (page, per_page): (i64, i64),
) -> AppResult<(Vec<SpendingHeld>, i64, i64)> {
    let (lo, hi) = crate::registry::scope::Scope::subtree(path).range();
    let range = "x.org_path >= $1 AND x.org_path < $2 AND x.spent_on >= $3 AND x.spent_on <= $4 \
        AND x.reversal_posting IS NULL";
    let (count, total): (i64, i64) = sqlx::query_as(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(x.amount_fen), 0) AS BIGINT) FROM activity_spending x WHERE {range}"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(period.from.to_string())
    .bind(period.to.to_string())
    .fetch_one(db.pool())
    .await?;
    let per_page = per_page.clamp(1, 500);
    let page = page.clamp(1, crate::db::Paging::MAX_PAGE);
    let rows = sqlx::query_as(&format!(
        "SELECT x.id, x.activity_id, a.title AS activity_title, o.name AS org_name, x.spent_on, x.amount_fen, x.purpose, x.payee \
         FROM activity_spending x JOIN activities a ON a.id = x.activity_id JOIN orgs o ON o.id = a.org_id \
         WHERE {range} ORDER BY x.spent_on DESC, x.id DESC LIMIT {per_page} OFFSET {}",
        (page - 1) * per_page
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(period.from.to_string())
    .bind(period.to.to_string())
    .fetch_all(db.pool())
    .await?;
    Ok((rows, count, total))
}
