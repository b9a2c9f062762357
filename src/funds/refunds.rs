//! Refunds of the union fund to small and micro firms (小微企业工会经费返还).
//!
//! A federation sets its policy per year: the share of the fund refunded, the largest firm
//! (employees) it applies to, and whether the firm must have a union (the refund goes to the
//! firm's union). Computing takes the receipts on the federation's books for the months given
//! that no refund has taken yet, keeps those of firms the registry marks small or micro (小微企业)
//! within the policy, and makes one refund per firm; each receipt is taken by one refund only.
//! A refund is approved by someone other than who computed it (posted from 工会经费 to 应返还),
//! then paid (posted from 应返还 to 已返还, and as income on the firm union's own books), or
//! cancelled before it is paid (its receipts freed, an approval reversed).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{INCOME, REFUNDS_PAID, REFUNDS_PAYABLE};
use crate::audit::{self, Actor, Event};
use crate::db::bulk::{Val, insert_rows};
use crate::db::{Db, Tx, new_id};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Books, NewPosting};
use crate::registry::scope::Scope;
use crate::types::{Fen, YearMonth};
use crate::workflow::{Named, coded_enum, given, issue};

coded_enum! {
    /// Where a refund stands.
    RefundStatus {
        Computed = "computed", "待审批";
        Approved = "approved", "已审批待支付";
        Paid = "paid", "已返还";
        Cancelled = "cancelled", "已撤销";
    }
}

/// A year's policy as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// The federation whose policy it is (code); default the top of the caller's scope.
    pub org_code: Option<String>,
    pub year: Option<i64>,
    /// Percent of the fund refunded (1–100).
    pub refund_pct: Option<i64>,
    /// The most employees a firm may have (empty: the registry's 小微企业 mark alone decides).
    pub max_employees: Option<i64>,
    /// Whether only firms with a union get a refund (default yes).
    pub requires_union: Option<bool>,
    pub note: Option<String>,
}

/// A policy as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Policy {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_name: String,
    #[serde(skip)]
    pub org_id: i64,
    #[serde(skip)]
    pub org_path: String,
    pub year: i64,
    pub refund_pct: i64,
    pub max_employees: Option<i64>,
    pub requires_union: i64,
    pub note: Option<String>,
    pub set_by: String,
}

const POLICY_SELECT: &str = "p.id, o.name AS org_name, p.org_id, p.org_path, p.year, p.refund_pct, p.max_employees, p.requires_union, \
    p.note, p.set_by FROM fund_policies p JOIN orgs o ON o.id = p.org_id";

fn year_of(field: &str, y: Option<i64>, issues: &mut Vec<crate::error::FieldIssue>) -> Option<i32> {
    match y {
        Some(y) if (2000..=2200).contains(&y) => Some(y as i32),
        Some(_) => {
            issues.push(issue(field, "年度应在2000至2200之间"));
            None
        }
        None => {
            issues.push(issue(field, format!("请填写{field}")));
            None
        }
    }
}

/// Sets a federation's policy for a year, or changes it while no refund was computed under it.
pub async fn set_policy(db: &Db, actor: &Actor, i: &PolicyInput, now: i64) -> AppResult<Policy> {
    let mut issues = Vec::new();
    let org = crate::workflow::union_in_scope(
        db,
        &actor.scope,
        "工会",
        i.org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let year = year_of("年度", i.year, &mut issues);
    let pct = i.refund_pct.unwrap_or(0);
    if !(1..=100).contains(&pct) {
        issues.push(issue("返还比例", "返还比例应在1%至100%之间"));
    }
    if let Some(m) = i.max_employees
        && !(1..=100_000).contains(&m)
    {
        issues.push(issue("职工人数上限", "职工人数上限应在1至100000之间"));
    }
    let note = given(i.note.as_deref()).map(|n| n.chars().take(500).collect::<String>());
    let (Some(org), Some(year), true) = (org, year, issues.is_empty()) else {
        return Err(AppError::invalid_fields(
            "返还政策有误，请按提示修改",
            issues,
        ));
    };
    let mut tx = db.begin_write().await?;
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM fund_policies WHERE org_id = $1 AND year = $2")
            .bind(org.id)
            .bind(i64::from(year))
            .fetch_optional(&mut *tx)
            .await?;
    let id = match existing {
        Some(id) => {
            let used: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM fund_refunds WHERE policy_id = $1 AND status <> 'cancelled'",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if used > 0 {
                return Err(AppError::conflict(
                    "FUND_POLICY_USED",
                    format!(
                        "{year}年的返还政策已用于计算 {used} 笔返还，不能再修改；如确需调整，请先撤销这些返还"
                    ),
                ));
            }
            sqlx::query(
                "UPDATE fund_policies SET refund_pct = $1, max_employees = $2, requires_union = $3, note = $4, set_by = $5, set_at = $6 WHERE id = $7",
            )
            .bind(pct)
            .bind(i.max_employees)
            .bind(i64::from(i.requires_union.unwrap_or(true)))
            .bind(&note)
            .bind(&actor.name)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            id
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO fund_policies (id, org_id, org_path, year, refund_pct, max_employees, requires_union, note, set_by, set_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
            )
            .bind(id)
            .bind(org.id)
            .bind(&org.path)
            .bind(i64::from(year))
            .bind(pct)
            .bind(i.max_employees)
            .bind(i64::from(i.requires_union.unwrap_or(true)))
            .bind(&note)
            .bind(&actor.name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("funds.policy").target("fund_policy", id).detail(
            serde_json::json!({"year": year, "refund_pct": pct, "max_employees": i.max_employees}),
        ),
    )
    .await?;
    tx.commit().await?;
    crate::registry::scope::one_in_scope(db, POLICY_SELECT, "p", id, &Scope::all(), "返还政策")
        .await
}

/// The policies of the unions in a scope, newest year first.
pub async fn policies(db: &Db, scope: &Scope) -> AppResult<Vec<Policy>> {
    let (lo, hi) = scope.range();
    Ok(sqlx::query_as(&format!(
        "SELECT {POLICY_SELECT} WHERE p.org_path >= $1 AND p.org_path < $2 ORDER BY p.year DESC, p.org_path LIMIT 200"
    ))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?)
}

/// Which refunds to compute.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComputeInput {
    /// The federation (code); default the top of the caller's scope.
    pub org_code: Option<String>,
    pub year: Option<i64>,
    /// The first and last month (YYYY-MM) of receipts taken; default the whole year.
    pub period_from: Option<String>,
    pub period_to: Option<String>,
}

/// What a computation made and left.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Computed {
    /// Refunds made (one per firm).
    pub refunds: i64,
    pub receipts_fen: i64,
    pub refund_fen: i64,
    /// Firms with receipts left out: not marked small or micro, above the employee limit,
    /// without a union where one is required.
    pub not_small: i64,
    pub too_large: i64,
    pub no_union: i64,
}

/// A receipt no refund has taken, with what decides whether its firm qualifies.
#[derive(Debug, FromRow)]
struct Untaken {
    unit_id: i64,
    amount_fen: i64,
    org_path: String,
    small_micro: i64,
    employee_count: i64,
    org_id: Option<i64>,
}

/// Makes the refunds of a policy for the receipts of the months given that none has taken.
pub async fn compute(db: &Db, actor: &Actor, i: &ComputeInput, now: i64) -> AppResult<Computed> {
    let mut issues = Vec::new();
    let org = crate::workflow::union_in_scope(
        db,
        &actor.scope,
        "工会",
        i.org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let year = year_of("年度", i.year, &mut issues);
    let month = |field: &str, typed: Option<&str>, default: u32, issues: &mut Vec<_>| {
        let typed = given(typed)
            .map(str::to_string)
            .or_else(|| year.map(|y| format!("{y}-{default:02}")))?;
        match YearMonth::parse(&typed) {
            Ok(m) if Some(m.year()) == year => Some(m),
            Ok(_) => {
                issues.push(issue(field, "所属期应在所选年度之内"));
                None
            }
            Err(e) => {
                issues.push(issue(field, e.message()));
                None
            }
        }
    };
    let from = month("起始所属期", i.period_from.as_deref(), 1, &mut issues);
    let to = month("截止所属期", i.period_to.as_deref(), 12, &mut issues);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        issues.push(issue("截止所属期", "截止所属期早于起始所属期"));
    }
    let (Some(org), Some(year), Some(from), Some(to), true) =
        (org, year, from, to, issues.is_empty())
    else {
        return Err(AppError::invalid_fields(
            "计算条件有误，请按提示修改",
            issues,
        ));
    };
    let policy: Option<(i64, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT id, refund_pct, max_employees, requires_union FROM fund_policies WHERE org_id = $1 AND year = $2",
    )
    .bind(org.id)
    .bind(i64::from(year))
    .fetch_optional(db.pool())
    .await?;
    let Some((policy_id, pct, max_employees, requires_union)) = policy else {
        return Err(AppError::invalid(format!(
            "“{}”尚未设置{year}年的小微企业经费返还政策，请先设置",
            org.name
        ))
        .with_code("FUND_NO_POLICY"));
    };
    let mut tx = db.begin_write().await?;
    let rows: Vec<Untaken> = sqlx::query_as(
        "SELECT r.unit_id, r.amount_fen, r.org_path, u.small_micro, u.employee_count, u.org_id \
         FROM fund_receipts r JOIN units u ON u.id = r.unit_id \
         WHERE r.books_org_id = $1 AND r.period >= $2 AND r.period <= $3 AND r.refund_id IS NULL ORDER BY r.unit_id, r.period",
    )
    .bind(org.id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut *tx)
    .await?;
    // Per firm: (lines, fen, the path of its latest line), and whether it qualifies.
    let mut firms: BTreeMap<i64, (i64, i64, String)> = BTreeMap::new();
    let mut out = Computed::default();
    let mut left_out = std::collections::HashSet::new();
    for Untaken {
        unit_id: unit,
        amount_fen: fen,
        org_path: path,
        small_micro: small,
        employee_count: employees,
        org_id: union,
    } in rows
    {
        if small == 0
            || max_employees.is_some_and(|m| employees > m)
            || (requires_union == 1 && union.is_none())
        {
            if left_out.insert(unit) {
                if small == 0 {
                    out.not_small += 1;
                } else if max_employees.is_some_and(|m| employees > m) {
                    out.too_large += 1;
                } else {
                    out.no_union += 1;
                }
            }
            continue;
        }
        let e = firms.entry(unit).or_insert((0, 0, String::new()));
        e.0 += 1;
        e.1 += fen;
        e.2 = path;
    }
    let mut refunds = Vec::new();
    for (unit, (lines, fen, path)) in &firms {
        // Fen only: a share that leaves a fraction of a fen is rounded down.
        let refund = fen * pct / 100;
        if refund == 0 {
            continue;
        }
        let id = new_id();
        let taken = sqlx::query(
            "UPDATE fund_receipts SET refund_id = $1 WHERE unit_id = $2 AND books_org_id = $3 AND period >= $4 AND period <= $5 AND refund_id IS NULL",
        )
        .bind(id)
        .bind(unit)
        .bind(org.id)
        .bind(from.to_string())
        .bind(to.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken != *lines as u64 {
            return Err(AppError::conflict(
                "FUND_REFUND_BUSY",
                "有人正在计算同一批返还，请稍后刷新再试",
            ));
        }
        out.refunds += 1;
        out.receipts_fen += fen;
        out.refund_fen += refund;
        refunds.push(vec![
            Val::I(id),
            Val::I(policy_id),
            Val::I(org.id),
            Val::I(*unit),
            Val::T(Some(path.clone())),
            Val::T(Some(from.to_string())),
            Val::T(Some(to.to_string())),
            Val::I(*lines),
            Val::I(*fen),
            Val::I(refund),
            Val::T(Some(RefundStatus::Computed.code().into())),
            Val::T(Some(actor.name.clone())),
            Val::I(now),
            Val::I(now),
        ]);
    }
    let backend = crate::db::tx_backend(&tx);
    insert_rows(
        &mut tx,
        backend,
        "fund_refunds",
        &[
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
            "created_at",
            "updated_at",
        ],
        refunds,
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("funds.refunds.compute")
            .target("fund_policy", policy_id)
            .detail(serde_json::json!({
                "from": from.to_string(), "to": to.to_string(), "refunds": out.refunds,
                "receipts_fen": out.receipts_fen, "refund_fen": out.refund_fen,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// What to do with refunds.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActInput {
    /// The refunds (ids); all are done or none.
    pub ids: Vec<String>,
    /// `approve`, `pay` or `cancel`.
    pub action: String,
    /// Why they are cancelled (required then).
    pub reason: Option<String>,
}

coded_enum! {
    /// A step on refunds.
    RefundAction {
        Approve = "approve", "审批";
        Pay = "pay", "支付";
        Cancel = "cancel", "撤销";
    }
}

/// A refund as the steps read it.
#[derive(Debug, Clone, FromRow)]
struct Held {
    id: i64,
    books_org_id: i64,
    books_path: String,
    unit_id: i64,
    unit_name: String,
    unit_org: Option<i64>,
    unit_org_path: Option<String>,
    refund_fen: i64,
    status: String,
    computed_by: String,
    approve_posting: Option<i64>,
    version: i64,
}

/// Approves, pays or cancels refunds, all in one transaction: one refused, none done.
/// Returns how many were done.
pub async fn act(
    db: &Db,
    actor: &Actor,
    i: &ActInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<usize> {
    let action = RefundAction::all()
        .iter()
        .copied()
        .find(|a| a.code() == i.action.trim() || a.label() == i.action.trim())
        .ok_or_else(|| {
            AppError::invalid("操作应为 approve（审批）、pay（支付）或 cancel（撤销）")
        })?;
    let reason = match action {
        RefundAction::Cancel => Some(crate::workflow::required(
            i.reason.as_deref().unwrap_or(""),
            "撤销原因",
            200,
        )?),
        _ => None,
    };
    if i.ids.is_empty() || i.ids.len() > 10_000 {
        return Err(AppError::invalid("请选择要办理的返还（一次最多10000笔）"));
    }
    let mut ids = Vec::with_capacity(i.ids.len());
    for s in &i.ids {
        ids.push(
            s.trim()
                .parse::<i64>()
                .map_err(|_| AppError::not_found("返还记录"))?,
        );
    }
    ids.sort_unstable();
    ids.dedup();
    let (lo, hi) = actor.scope.range();
    let mut tx = db.begin_write().await?;
    let mut held: Vec<Held> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT f.id, f.books_org_id, b.path AS books_path, f.unit_id, u.name AS unit_name, u.org_id AS unit_org, \
             u.org_path AS unit_org_path, f.refund_fen, f.status, f.computed_by, f.approve_posting, f.version \
             FROM fund_refunds f JOIN orgs b ON b.id = f.books_org_id JOIN units u ON u.id = f.unit_id \
             WHERE b.path >= $1 AND b.path < $2 AND f.id IN ({})",
            crate::db::in_list_from(3, chunk.len())
        );
        let mut q = sqlx::query_as::<_, Held>(&sql).bind(&lo).bind(&hi);
        for id in chunk {
            q = q.bind(*id);
        }
        held.extend(q.fetch_all(&mut *tx).await?);
    }
    if held.len() != ids.len() {
        return Err(AppError::not_found("返还记录"));
    }
    for h in &held {
        step(&mut tx, actor, h, action, reason.as_deref(), today, now).await?;
    }
    tx.commit().await?;
    Ok(held.len())
}

async fn step(
    tx: &mut Tx,
    actor: &Actor,
    h: &Held,
    action: RefundAction,
    reason: Option<&str>,
    today: NaiveDate,
    now: i64,
) -> AppResult<()> {
    let status = RefundStatus::all()
        .iter()
        .copied()
        .find(|s| s.code() == h.status)
        .unwrap_or(RefundStatus::Cancelled);
    let refused = || {
        AppError::conflict(
            "TRANSITION_REFUSED",
            format!(
                "“{}”的返还{}，不能{}",
                h.unit_name,
                status.label(),
                action.label()
            ),
        )
    };
    let books = Books {
        org_id: h.books_org_id,
        org_path: h.books_path.clone(),
    };
    let fen = Fen(h.refund_fen);
    let (to, mut sets): (RefundStatus, Vec<(&str, Val)>) = match (status, action) {
        (RefundStatus::Computed, RefundAction::Approve) => {
            if h.computed_by == actor.name {
                return Err(AppError::forbidden(
                    "FUND_SAME_PERSON",
                    "返还的计算和审批须由不同人员办理",
                ));
            }
            let income = ledger::ensure_account(tx, &books, INCOME.0, INCOME.1, false, now).await?;
            let payable = ledger::ensure_account(
                tx,
                &books,
                REFUNDS_PAYABLE.0,
                REFUNDS_PAYABLE.1,
                false,
                now,
            )
            .await?;
            let posting = ledger::post(
                tx,
                actor,
                &books,
                &NewPosting {
                    on: today,
                    memo: format!("审批小微企业经费返还：{}", h.unit_name),
                    source: Some(("fund_refund", h.id)),
                    idempotency_key: Some(format!("fund-refund-approve:{}", h.id)),
                    lines: ledger::transfer(income.id, payable.id, fen),
                },
                None,
                now,
            )
            .await?;
            (
                RefundStatus::Approved,
                vec![
                    ("approved_by", Val::T(Some(actor.name.clone()))),
                    ("approve_posting", Val::I(posting)),
                ],
            )
        }
        (RefundStatus::Approved, RefundAction::Pay) => {
            let payable = ledger::ensure_account(
                tx,
                &books,
                REFUNDS_PAYABLE.0,
                REFUNDS_PAYABLE.1,
                false,
                now,
            )
            .await?;
            let paid =
                ledger::ensure_account(tx, &books, REFUNDS_PAID.0, REFUNDS_PAID.1, false, now)
                    .await?;
            let posting = ledger::post(
                tx,
                actor,
                &books,
                &NewPosting {
                    on: today,
                    memo: format!("支付小微企业经费返还：{}", h.unit_name),
                    source: Some(("fund_refund", h.id)),
                    idempotency_key: Some(format!("fund-refund-pay:{}", h.id)),
                    lines: ledger::transfer(payable.id, paid.id, fen),
                },
                None,
                now,
            )
            .await?;
            // The firm's union takes it in as income on its own books.
            if let (Some(org), Some(path)) = (h.unit_org, &h.unit_org_path)
                && org != h.books_org_id
            {
                super::grants::receive(
                    tx,
                    actor,
                    &Books {
                        org_id: org,
                        org_path: path.clone(),
                    },
                    fen,
                    &format!("收到上级返还小微企业工会经费：{}", h.unit_name),
                    ("fund_refund", h.id),
                    today,
                    now,
                )
                .await?;
            }
            (
                RefundStatus::Paid,
                vec![
                    ("pay_posting", Val::I(posting)),
                    ("paid_on", Val::T(Some(today.to_string()))),
                ],
            )
        }
        (RefundStatus::Computed | RefundStatus::Approved, RefundAction::Cancel) => {
            if let Some(p) = h.approve_posting {
                ledger::reverse(tx, actor, p, today, reason.unwrap_or("撤销返还"), now).await?;
            }
            sqlx::query("UPDATE fund_receipts SET refund_id = NULL WHERE refund_id = $1")
                .bind(h.id)
                .execute(&mut **tx)
                .await?;
            (
                RefundStatus::Cancelled,
                vec![("cancel_reason", Val::T(reason.map(str::to_string)))],
            )
        }
        _ => return Err(refused()),
    };
    sets.push(("status", Val::T(Some(to.code().into()))));
    let assign: Vec<String> = sets
        .iter()
        .enumerate()
        .map(|(n, (c, _))| format!("{c} = ${}", n + 1))
        .collect();
    let sql = format!(
        "UPDATE fund_refunds SET {}, version = version + 1, updated_at = {now} WHERE id = {} AND version = {}",
        assign.join(", "),
        h.id,
        h.version
    );
    let mut q = sqlx::query(&sql);
    for (_, v) in sets {
        q = match v {
            Val::I(i) => q.bind(i),
            Val::N(n) => q.bind(n),
            Val::T(t) => q.bind(t),
            Val::B(b) => q.bind(b),
        };
    }
    if q.execute(&mut **tx).await?.rows_affected() != 1 {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这笔返还刚刚已被他人办理，请刷新后再试",
        ));
    }
    audit::record_tx(
        tx,
        actor,
        now,
        Event::new(match action {
            RefundAction::Approve => "funds.refund.approve",
            RefundAction::Pay => "funds.refund.pay",
            RefundAction::Cancel => "funds.refund.cancel",
        })
        .target("fund_refund", h.id)
        .detail(serde_json::json!({"unit": h.unit_id.to_string(), "refund_fen": h.refund_fen})),
    )
    .await?;
    Ok(())
}

/// A refund as listed.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Refund {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub unit_name: String,
    pub uscc: String,
    pub org_name: Option<String>,
    pub period_from: String,
    pub period_to: String,
    /// Receipt lines it refunds.
    pub lines: i64,
    pub receipts_fen: i64,
    pub refund_fen: i64,
    pub status: String,
    pub computed_by: String,
    pub approved_by: Option<String>,
    pub paid_on: Option<String>,
    pub cancel_reason: Option<String>,
}

/// Which refunds to list.
#[derive(Debug, Clone, Default)]
pub struct RefundFilter {
    pub status: Option<RefundStatus>,
    /// Paid between these dates (the figures' rows).
    pub paid_from: Option<NaiveDate>,
    pub paid_to: Option<NaiveDate>,
}

/// The refunds counted where their firms belong in the subtree at `path`, newest first.
pub async fn refunds_in(
    db: &Db,
    path: &str,
    f: &RefundFilter,
    paging: &crate::db::Paging,
) -> AppResult<(Vec<Refund>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let mut args = vec![lo, hi];
    let mut cond = String::from("f.org_path >= $1 AND f.org_path < $2");
    if let Some(s) = f.status {
        args.push(s.code().into());
        cond.push_str(&format!(" AND f.status = ${}", args.len()));
    }
    if let Some(d) = f.paid_from {
        args.push(d.to_string());
        cond.push_str(&format!(" AND f.paid_on >= ${}", args.len()));
    }
    if let Some(d) = f.paid_to {
        args.push(d.to_string());
        cond.push_str(&format!(" AND f.paid_on <= ${}", args.len()));
    }
    crate::db::paged(
        db,
        "f.id, u.name AS unit_name, u.uscc, o.name AS org_name, f.period_from, f.period_to, f.lines, f.receipts_fen, f.refund_fen, \
         f.status, f.computed_by, f.approved_by, f.paid_on, f.cancel_reason FROM fund_refunds f JOIN units u ON u.id = f.unit_id \
         LEFT JOIN orgs o ON o.id = u.org_id",
        "FROM fund_refunds f",
        &cond,
        "f.created_at DESC, f.id DESC",
        &args,
        paging,
    )
    .await
}
