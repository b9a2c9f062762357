//! Care for honoured people (劳模关爱): the yearly health check, visits, rest and recuperation,
//! and allowances. Each is recorded by the union that gives it; an allowance is paid from the
//! union's model-worker fund in its ledger, in the same transaction as the record, and a
//! mistaken one is undone by a reversal posting, never deleted.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::honour::{self, Status, Subject};
use crate::audit::{self, Actor, Event};
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Books, NewPosting};
use crate::registry::scope::Scope;
use crate::types::{Fen, Limits};
use crate::workflow::{self, Named, coded_enum, given, issue};

/// Where a union's model-worker money comes from (劳模专项资金); may go below zero (the funds
/// module keeps the books of the funds themselves).
const FUND: (&str, &str) = ("honours:care_fund", "劳模专项资金");
/// Where allowances paid go.
const PAID: (&str, &str) = ("honours:care_paid", "劳模关爱支出");
/// The most one allowance may be.
const MAX_ALLOWANCE: Fen = Fen(10_000_000);

coded_enum! {
    /// What care was given.
    CareKind {
        HealthCheck = "health_check", "健康体检";
        Visit = "visit", "走访慰问";
        Rest = "rest", "疗休养";
        Allowance = "allowance", "补助津贴";
    }
}

/// Care as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CareInput {
    /// Code or label of the kind (`visit` or 走访慰问).
    pub kind: Option<String>,
    pub cared_on: Option<String>,
    /// An allowance's amount, 元.
    pub amount: Option<String>,
    pub note: Option<String>,
    /// The union giving it (code); default the top of the caller's scope.
    pub org_code: Option<String>,
}

/// Care as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Care {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub honour_id: i64,
    /// The honoured person.
    pub name: String,
    pub title: String,
    pub org_name: String,
    pub kind: String,
    #[sqlx(skip)]
    pub kind_label: String,
    pub cared_on: String,
    pub amount_fen: i64,
    pub note: Option<String>,
    /// Set when an allowance was undone.
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub reversal_posting: Option<i64>,
    pub created_by: String,
}

const SELECT: &str = "SELECT c.id, c.honour_id, m.name, h.title, o.name AS org_name, c.kind, c.cared_on, c.amount_fen, c.note, \
    c.reversal_posting, c.created_by FROM honour_care c JOIN honours h ON h.id = c.honour_id JOIN members m ON m.id = h.member_id \
    JOIN orgs o ON o.id = c.org_id";

fn labelled(mut c: Care) -> Care {
    c.kind_label = CareKind::parse(&c.kind).map_or_else(|| c.kind.clone(), |k| k.label().into());
    c
}

/// The care given to the person of honour `id`, latest first.
pub async fn of(db: &Db, honour_id: i64) -> AppResult<Vec<Care>> {
    let rows: Vec<Care> = sqlx::query_as(&format!(
        "{SELECT} WHERE c.honour_id = $1 ORDER BY c.cared_on DESC, c.id DESC"
    ))
    .bind(honour_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(labelled).collect())
}

async fn one(db: &Db, id: i64) -> AppResult<Care> {
    let c: Care = sqlx::query_as(&format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    Ok(labelled(c))
}

/// Records care for the person of granted honour `honour_id`; an allowance is posted from the
/// giving union's model-worker fund. Every problem of the input at once.
pub async fn give(
    db: &Db,
    actor: &Actor,
    honour_id: i64,
    i: &CareInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Care> {
    let h = honour::get(db, &actor.scope, honour_id).await?;
    if h.status() != Some(Status::Awarded) || h.subject != Subject::Person.code() {
        return Err(AppError::conflict(
            "NOT_CARED_FOR",
            format!(
                "只能为已授予荣誉的个人记录关爱，这项荣誉为“{}”（{}）",
                h.status_label, h.subject_label
            ),
        ));
    }
    let mut issues = Vec::new();
    let org = workflow::union_in_scope(
        db,
        &actor.scope,
        "关爱单位",
        i.org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let kind: Option<CareKind> = workflow::pick("关爱类别", i.kind.as_deref(), &mut issues);
    let on = workflow::date("日期", i.cared_on.as_deref(), &mut issues);
    if on.is_some_and(|d| d > today) {
        issues.push(issue("日期", "日期不能晚于今天"));
    }
    if let (Some(d), Some(granted)) = (on, h.awarded_on.as_deref())
        && d.to_string().as_str() < granted
    {
        issues.push(issue(
            "日期",
            format!("荣誉授予于 {granted}，关爱日期不能更早"),
        ));
    }
    let amount = match (kind, given(i.amount.as_deref())) {
        (Some(CareKind::Allowance), typed) => {
            workflow::money("金额", typed, Limits::positive(MAX_ALLOWANCE), &mut issues)
        }
        (_, None) => Some(Fen(0)),
        (_, Some(_)) => {
            issues.push(issue("金额", "只有补助津贴填写金额"));
            None
        }
    };
    let (Some(org), Some(kind), Some(on), Some(amount)) = (org, kind, on, amount) else {
        return Err(AppError::invalid_fields(
            "关爱记录有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "关爱记录有误，请按提示修改",
            issues,
        ));
    }
    let note = given(i.note.as_deref()).map(|n| n.chars().take(500).collect::<String>());
    let id = new_id();
    let mut tx = db.begin_write().await?;
    let posting = if kind == CareKind::Allowance {
        let books = Books {
            org_id: org.id,
            org_path: org.path.clone(),
        };
        let fund = ledger::ensure_account(&mut tx, &books, FUND.0, FUND.1, true, now).await?;
        let paid = ledger::ensure_account(&mut tx, &books, PAID.0, PAID.1, false, now).await?;
        Some(
            ledger::post(
                &mut tx,
                actor,
                &books,
                &NewPosting {
                    on,
                    memo: format!("劳模关爱：{}（{}）", h.name, h.title),
                    source: Some(("honour_care", id)),
                    idempotency_key: Some(format!("honour-care:{id}")),
                    lines: ledger::transfer(fund.id, paid.id, amount),
                },
                None,
                now,
            )
            .await?,
        )
    } else {
        None
    };
    sqlx::query(
        "INSERT INTO honour_care (id, honour_id, org_id, org_path, kind, cared_on, amount_fen, note, posting_id, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(id)
    .bind(h.id)
    .bind(org.id)
    .bind(&org.path)
    .bind(kind.code())
    .bind(on.to_string())
    .bind(amount.0)
    .bind(&note)
    .bind(posting)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("honour.care")
            .target(honour::CASE, h.id)
            .detail(serde_json::json!({"kind": kind.code(), "amount_fen": amount.0, "care": id.to_string()})),
    )
    .await?;
    tx.commit().await?;
    one(db, id).await
}

/// The honour care record `care_id` belongs to (the page to show again after a refusal).
pub async fn honour_of(db: &Db, care_id: i64) -> AppResult<i64> {
    let found: Option<i64> = sqlx::query_scalar("SELECT honour_id FROM honour_care WHERE id = $1")
        .bind(care_id)
        .fetch_optional(db.pool())
        .await?;
    found.ok_or_else(|| AppError::not_found("关爱记录"))
}

/// Undoes allowance `care_id` with a reversal posting; the record stays, marked undone.
pub async fn reverse(
    db: &Db,
    actor: &Actor,
    care_id: i64,
    reason: &str,
    today: NaiveDate,
    now: i64,
) -> AppResult<Care> {
    let reason = workflow::required(reason, "撤销理由", 500)?;
    let (lo, hi) = actor.scope.range();
    let found: Option<(i64, Option<i64>, Option<i64>, i64)> = sqlx::query_as(
        "SELECT honour_id, posting_id, reversal_posting, amount_fen FROM honour_care WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(care_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    let Some((honour_id, posting, reversed, amount)) = found else {
        return Err(AppError::not_found("关爱记录"));
    };
    let Some(posting) = posting else {
        return Err(AppError::invalid("只有补助津贴可以撤销支付"));
    };
    if reversed.is_some() {
        return Err(AppError::conflict(
            "ALREADY_REVERSED",
            "这笔补助已经撤销过了",
        ));
    }
    let mut tx = db.begin_write().await?;
    let reversal = ledger::reverse(&mut tx, actor, posting, today, &reason, now).await?;
    let changed = sqlx::query(
        "UPDATE honour_care SET reversal_posting = $1 WHERE id = $2 AND reversal_posting IS NULL",
    )
    .bind(reversal)
    .bind(care_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(AppError::conflict(
            "ALREADY_REVERSED",
            "这笔补助已经撤销过了",
        ));
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("honour.care.reverse")
            .target(honour::CASE, honour_id)
            .detail(serde_json::json!({"care": care_id.to_string(), "amount_fen": amount})),
    )
    .await?;
    tx.commit().await?;
    one(db, care_id).await
}

/// One page of the care given by unions of the subtree at `path` between `from` and `to`
/// (the drill behind the care figures; allowances undone left out), and how many there are.
pub async fn in_period(
    db: &Db,
    path: &str,
    (from, to): (NaiveDate, NaiveDate),
    kind: Option<CareKind>,
    (page, per_page): (i64, i64),
) -> AppResult<(Vec<Care>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let mut cond =
        "c.org_path >= $1 AND c.org_path < $2 AND c.cared_on >= $3 AND c.cared_on <= $4 AND c.reversal_posting IS NULL"
            .to_string();
    if kind.is_some() {
        cond.push_str(" AND c.kind = $5");
    }
    let per_page = per_page.clamp(1, 500);
    let page = page.clamp(1, crate::db::Paging::MAX_PAGE);
    let count_sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM honour_care c WHERE {cond}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    let list_sql = format!(
        "{SELECT} WHERE {cond} ORDER BY c.cared_on DESC, c.id DESC LIMIT {per_page} OFFSET {}",
        (page - 1) * per_page
    );
    let mut rows = sqlx::query_as::<_, Care>(&list_sql);
    for v in [lo, hi, from.to_string(), to.to_string()] {
        count = count.bind(v.clone());
        rows = rows.bind(v);
    }
    if let Some(k) = kind {
        count = count.bind(k.code());
        rows = rows.bind(k.code());
    }
    let total = count.fetch_one(db.pool()).await?;
    let rows = rows.fetch_all(db.pool()).await?;
    Ok((rows.into_iter().map(labelled).collect(), total))
}
