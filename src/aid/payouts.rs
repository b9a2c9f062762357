//! Payout batches of an aid campaign: the approved applications taken together, their total
//! reserved from the budget in one posting; each line then paid (posted from the reserve to
//! money paid out in the same transaction as its status, many lines to one posting) or
//! failed, a failed line retried or cancelled (its money returned to the budget). The bank
//! gets a transfer file of the lines waiting; its answer comes back line by line.
//!
//! A line leaves 待发放 once: the status changes with one conditional update, so the same
//! request sent twice, two cadres at once, or a batch run killed and restarted never pays a
//! line twice — and a line is either paid with its posting or untouched.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::campaigns::{CASE, PayStatus, Status, settle_notices};
use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::bulk::{self, Val};
use crate::db::{Db, Tx, in_list_from, new_id, tx_backend};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Books, NewPosting};
use crate::registry::scope::Scope;
use crate::types::Fen;
use crate::workflow::history;
use crate::workflow::{Named, coded_enum};

coded_enum! {
    /// What the bank (or the hand-over of goods) said of a line.
    Outcome {
        Paid = "paid", "已发放";
        Failed = "failed", "发放失败";
    }
}

/// The most lines one batch takes.
pub const MAX_LINES: usize = 20_000;

/// Ids bound per `IN (…)` list.
const ID_CHUNK: usize = 1000;

/// A batch as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Batch {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub campaign_id: i64,
    pub made_on: String,
    pub line_count: i64,
    pub total_fen: i64,
    pub made_by: String,
    /// Lines by status.
    pub pending: i64,
    pub paid: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub paid_fen: i64,
}

/// A line as shown (the account masked).
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct PayoutLine {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub application_id: i64,
    pub member_name: String,
    pub form: String,
    pub amount_fen: i64,
    pub bank_name: Option<String>,
    pub bank_account_masked: Option<String>,
    pub attempts: i64,
    pub status: String,
    pub failed_reason: Option<String>,
    pub paid_on: Option<String>,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub posting_id: Option<i64>,
}

/// Which applications a batch takes: the ones named, or every payable one of the campaign.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    #[serde(default)]
    pub applications: Vec<String>,
}

const RESERVE_ACCOUNT: (&str, &str) = ("aid:payable", "待发放帮扶款");
const PAID_ACCOUNT: (&str, &str) = ("aid:paid", "已发放帮扶款");

/// A line waiting to be paid, with what the running totals count of it.
#[derive(Debug, FromRow)]
struct Waiting {
    id: i64,
    application_id: i64,
    amount_fen: i64,
    org_path: String,
    campaign_id: i64,
    member_id: i64,
    file_id: Option<i64>,
}

const WAITING_COLS: &str =
    "id, application_id, amount_fen, org_path, campaign_id, member_id, file_id";

/// The union's reserve (待发放) and paid-out accounts, made on first use.
pub(crate) async fn accounts(tx: &mut Tx, books: &Books, now: i64) -> AppResult<(i64, i64)> {
    let reserve =
        ledger::ensure_account(tx, books, RESERVE_ACCOUNT.0, RESERVE_ACCOUNT.1, false, now).await?;
    let out = ledger::ensure_account(tx, books, PAID_ACCOUNT.0, PAID_ACCOUNT.1, false, now).await?;
    Ok((reserve.id, out.id))
}

/// The campaign's union, budget account and name, if the campaign is in `scope`.
async fn campaign_in_tx(tx: &mut Tx, scope: &Scope, id: i64) -> AppResult<(Books, i64, String)> {
    let (lo, hi) = scope.range();
    let row: Option<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT org_id, org_path, budget_account, name FROM aid_campaigns WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut **tx)
    .await?;
    let (org_id, org_path, budget, name) = row.ok_or_else(|| AppError::not_found("帮扶活动"))?;
    Ok((Books { org_id, org_path }, budget, name))
}

/// Makes a batch of a campaign's payable applications (those named, or all), reserving their
/// total from the budget. Refused whole when the total is above what is left of the budget, or
/// when one of them is no longer payable (taken by another batch meanwhile).
pub async fn make_batch(
    db: &Db,
    actor: &Actor,
    campaign_id: i64,
    i: &BatchInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Batch> {
    let named: Vec<i64> = i
        .applications
        .iter()
        .map(|a| {
            a.trim()
                .parse::<i64>()
                .map_err(|_| AppError::invalid(format!("申请编号“{a}”不正确")))
        })
        .collect::<AppResult<_>>()?;
    if named.len() > MAX_LINES {
        return Err(AppError::invalid(format!("一个批次最多 {MAX_LINES} 笔")));
    }
    let batch_id = new_id();
    let mut tx = db.begin_write().await?;
    let (books, budget, name) = campaign_in_tx(&mut tx, &actor.scope, campaign_id).await?;
    settle_notices(&mut tx, actor, campaign_id, today, now).await?;
    let payable: Vec<(i64, String, i64, i64, Option<i64>, String)> = sqlx::query_as(&format!(
        "SELECT id, org_path, member_id, amount_fen, file_id, form FROM aid_applications WHERE campaign_id = $1 AND status = 'approved' ORDER BY id LIMIT {}",
        MAX_LINES + 1
    ))
    .bind(campaign_id)
    .fetch_all(&mut *tx)
    .await?;
    let chosen: Vec<_> = if named.is_empty() {
        if payable.len() > MAX_LINES {
            return Err(AppError::invalid(format!(
                "待发放的申请超过 {MAX_LINES} 笔，请分批选择"
            )));
        }
        payable
    } else {
        let chosen: Vec<_> = payable
            .into_iter()
            .filter(|p| named.contains(&p.0))
            .collect();
        if chosen.len() != named.len() {
            return Err(AppError::conflict(
                "AID_NOT_PAYABLE",
                "所选申请中有的不是“待发放”状态（可能已纳入其他批次或仍在审核、公示），请刷新后重新选择",
            ));
        }
        chosen
    };
    if chosen.is_empty() {
        return Err(AppError::invalid(
            "没有可发放的申请：审核通过且公示期满、无未处理异议的申请才能发放",
        ));
    }
    let total: i64 = chosen.iter().map(|c| c.3).sum();
    let (reserve, _) = accounts(&mut tx, &books, now).await?;
    let posting = ledger::post(
        &mut tx,
        actor,
        &books,
        &NewPosting {
            on: today,
            memo: format!("{name}：发放批次预留 {} 笔", chosen.len()),
            source: Some(("aid_batch", batch_id)),
            idempotency_key: Some(format!("aid-batch:{batch_id}")),
            lines: ledger::transfer(budget, reserve, Fen(total)),
        },
        None,
        now,
    )
    .await;
    let posting = match posting {
        Err(e) if e.code() == "LEDGER_INSUFFICIENT" => {
            let left: i64 =
                sqlx::query_scalar("SELECT balance_fen FROM ledger_accounts WHERE id = $1")
                    .bind(budget)
                    .fetch_one(&mut *tx)
                    .await?;
            return Err(AppError::conflict(
                "AID_OVER_BUDGET",
                format!(
                    "本批合计 {} 元，超过活动剩余预算 {} 元，未生成批次",
                    Fen(total),
                    Fen(left)
                ),
            ));
        }
        other => other?,
    };
    sqlx::query(
        "INSERT INTO aid_batches (id, campaign_id, org_id, org_path, made_on, line_count, total_fen, posting_id, made_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    )
    .bind(batch_id)
    .bind(campaign_id)
    .bind(books.org_id)
    .bind(&books.org_path)
    .bind(today.to_string())
    .bind(chosen.len() as i64)
    .bind(total)
    .bind(posting)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let backend = tx_backend(&tx);
    let rows: Vec<Vec<Val>> = chosen
        .iter()
        .map(|(app, path, member, amount, file, form)| {
            vec![
                Val::I(new_id()),
                Val::I(batch_id),
                Val::I(*app),
                Val::I(campaign_id),
                Val::T(Some(path.clone())),
                Val::I(*member),
                Val::N(*file),
                Val::T(Some(form.clone())),
                Val::I(*amount),
                Val::T(Some("pending".into())),
                Val::I(now),
            ]
        })
        .collect();
    bulk::insert_rows(
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
            "file_id",
            "form",
            "amount_fen",
            "status",
            "updated_at",
        ],
        rows,
    )
    .await?;
    let moved = sqlx::query(
        "UPDATE aid_applications SET status = 'batched', version = version + 1, updated_at = $1 \
         WHERE status = 'approved' AND id IN (SELECT application_id FROM aid_payouts WHERE batch_id = $2)",
    )
    .bind(now)
    .bind(batch_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved as usize != chosen.len() {
        return Err(AppError::conflict(
            "AID_NOT_PAYABLE",
            "有申请刚刚被其他批次纳入，请刷新后重试",
        ));
    }
    histories(
        &mut tx,
        actor,
        &chosen.iter().map(|c| c.0).collect::<Vec<_>>(),
        "batch",
        Status::Approved,
        Status::Batched,
        today,
        now,
        batch_id,
    )
    .await?;
    audit::append_tx(
        &mut tx,
        backend,
        actor,
        now,
        Event::new("aid.batch").target("aid_batch", batch_id).detail(serde_json::json!({
            "campaign": campaign_id.to_string(), "lines": chosen.len(), "total_fen": total, "posting": posting.to_string(),
        })),
    )
    .await?;
    tx.commit().await?;
    batch(db, &actor.scope, batch_id).await
}

/// History rows of many applications that took the same step at once.
#[allow(clippy::too_many_arguments)]
async fn histories(
    tx: &mut Tx,
    actor: &Actor,
    ids: &[i64],
    action: &str,
    from: Status,
    to: Status,
    on: NaiveDate,
    now: i64,
    batch_id: i64,
) -> AppResult<()> {
    let backend = tx_backend(tx);
    let detail = serde_json::json!({"batch": batch_id.to_string()}).to_string();
    let rows = ids
        .iter()
        .map(|id| {
            history::bulk_row_at(
                CASE,
                *id,
                now,
                on,
                &actor.name,
                action,
                Some(from.code()),
                to.code(),
                detail.clone(),
            )
        })
        .collect();
    bulk::insert_rows(tx, backend, "case_events", history::BULK_COLUMNS, rows).await
}

const BATCH_COLS: &str = "b.id, b.campaign_id, b.made_on, b.line_count, b.total_fen, b.made_by, \
    CAST(COALESCE(SUM(CASE WHEN p.status = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending, \
    CAST(COALESCE(SUM(CASE WHEN p.status = 'paid' THEN 1 ELSE 0 END), 0) AS BIGINT) AS paid, \
    CAST(COALESCE(SUM(CASE WHEN p.status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed, \
    CAST(COALESCE(SUM(CASE WHEN p.status = 'cancelled' THEN 1 ELSE 0 END), 0) AS BIGINT) AS cancelled, \
    CAST(COALESCE(SUM(CASE WHEN p.status = 'paid' THEN p.amount_fen ELSE 0 END), 0) AS BIGINT) AS paid_fen";

/// The batch `id` if its campaign's union is in `scope`.
pub async fn batch(db: &Db, scope: &Scope, id: i64) -> AppResult<Batch> {
    let (lo, hi) = scope.range();
    let b: Option<Batch> = sqlx::query_as(&format!(
        "SELECT {BATCH_COLS} FROM aid_batches b LEFT JOIN aid_payouts p ON p.batch_id = b.id \
         WHERE b.id = $1 AND b.org_path >= $2 AND b.org_path < $3 \
         GROUP BY b.id, b.campaign_id, b.made_on, b.line_count, b.total_fen, b.made_by"
    ))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    b.ok_or_else(|| AppError::not_found("发放批次"))
}

/// The batches of a campaign in `scope`, newest first.
pub async fn batches(db: &Db, scope: &Scope, campaign_id: i64) -> AppResult<Vec<Batch>> {
    let (lo, hi) = scope.range();
    Ok(sqlx::query_as(&format!(
        "SELECT {BATCH_COLS} FROM aid_batches b LEFT JOIN aid_payouts p ON p.batch_id = b.id \
         WHERE b.campaign_id = $1 AND b.org_path >= $2 AND b.org_path < $3 \
         GROUP BY b.id, b.campaign_id, b.made_on, b.line_count, b.total_fen, b.made_by ORDER BY b.made_on DESC, b.id DESC"
    ))
    .bind(campaign_id)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?)
}

/// The lines of a batch (the caller has checked the batch is theirs to see).
pub async fn lines(
    db: &Db,
    batch_id: i64,
    paging: &crate::db::Paging,
) -> AppResult<Vec<PayoutLine>> {
    Ok(sqlx::query_as(&format!(
        "SELECT p.id, p.application_id, m.name AS member_name, p.form, p.amount_fen, a.bank_name, a.bank_account_masked, p.attempts, \
         p.status, p.failed_reason, p.paid_on, p.posting_id FROM aid_payouts p JOIN aid_applications a ON a.id = p.application_id \
         JOIN members m ON m.id = p.member_id WHERE p.batch_id = $1 ORDER BY p.id LIMIT {} OFFSET {}",
        paging.per_page,
        paging.offset()
    ))
    .bind(batch_id)
    .fetch_all(db.pool())
    .await?)
}

/// Pays lines of a batch in the caller's transaction: those named (or up to `limit` waiting
/// ones), each moved from 待发放 to 已发放 only if it still waits, and the sum of those moved
/// posted from the reserve to money paid out in one posting. Returns how many were paid.
async fn pay_in_tx(
    tx: &mut Tx,
    actor: &Actor,
    batch_id: i64,
    named: Option<&[i64]>,
    limit: usize,
    today: NaiveDate,
    now: i64,
) -> AppResult<Vec<(i64, i64)>> {
    let (org_id, org_path, campaign_name): (i64, String, String) = sqlx::query_as(
        "SELECT b.org_id, b.org_path, c.name FROM aid_batches b JOIN aid_campaigns c ON c.id = b.campaign_id WHERE b.id = $1",
    )
    .bind(batch_id)
    .fetch_one(&mut **tx)
    .await?;
    // The lines still waiting, read under the write lock (SQLite) or locked by the conditional
    // update below (PostgreSQL): only those whose status actually moves are paid.
    let waiting: Vec<Waiting> = match named {
        Some(ids) => {
            let mut found = Vec::new();
            for chunk in ids.chunks(ID_CHUNK) {
                let sql = format!(
                    "SELECT {WAITING_COLS} FROM aid_payouts WHERE batch_id = $1 AND status = 'pending' AND id IN ({}) ORDER BY id",
                    in_list_from(2, chunk.len())
                );
                let mut q = sqlx::query_as::<_, Waiting>(&sql).bind(batch_id);
                for id in chunk {
                    q = q.bind(*id);
                }
                found.extend(q.fetch_all(&mut **tx).await?);
            }
            found
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {WAITING_COLS} FROM aid_payouts WHERE batch_id = $1 AND status = 'pending' ORDER BY id LIMIT {limit}"
            ))
            .bind(batch_id)
            .fetch_all(&mut **tx)
            .await?
        }
    };
    // One conditional update per chunk of lines; a line another request paid meanwhile is not
    // returned and so not paid twice.
    let mut moved: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for chunk in waiting.chunks(ID_CHUNK) {
        let sql = format!(
            "UPDATE aid_payouts SET status = 'paid', paid_on = $1, version = version + 1, updated_at = $2 \
             WHERE status = 'pending' AND id IN ({}) RETURNING id",
            in_list_from(3, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql)
            .bind(today.to_string())
            .bind(now);
        for w in chunk {
            q = q.bind(w.id);
        }
        moved.extend(q.fetch_all(&mut **tx).await?);
    }
    let mut paid: Vec<(i64, i64)> = Vec::new();
    let mut counted: Vec<super::totals::Paid> = Vec::new();
    let mut total = 0i64;
    for w in waiting.into_iter().filter(|w| moved.contains(&w.id)) {
        paid.push((w.id, w.application_id));
        total += w.amount_fen;
        counted.push(super::totals::Paid {
            org_path: w.org_path,
            campaign_id: w.campaign_id,
            member_id: w.member_id,
            file_id: w.file_id,
            amount_fen: w.amount_fen,
            paid_on: today.to_string(),
        });
    }
    if paid.is_empty() {
        return Ok(paid);
    }
    let books = Books { org_id, org_path };
    let (reserve, out) = accounts(tx, &books, now).await?;
    let first = paid[0].0;
    let posting = ledger::post(
        tx,
        actor,
        &books,
        &NewPosting {
            on: today,
            memo: format!("{campaign_name}：发放 {} 笔", paid.len()),
            source: Some(("aid_batch", batch_id)),
            idempotency_key: Some(format!("aid-pay:{batch_id}:{first}:{}", paid.len())),
            lines: ledger::transfer(reserve, out, Fen(total)),
        },
        None,
        now,
    )
    .await?;
    for chunk in paid.chunks(ID_CHUNK) {
        let sql = format!(
            "UPDATE aid_payouts SET posting_id = $1 WHERE id IN ({})",
            in_list_from(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(posting);
        for (line, _) in chunk {
            q = q.bind(*line);
        }
        q.execute(&mut **tx).await?;
        let sql = format!(
            "UPDATE aid_applications SET status = 'paid', version = version + 1, updated_at = $1 WHERE status = 'batched' AND id IN ({})",
            in_list_from(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(now);
        for (_, app) in chunk {
            q = q.bind(*app);
        }
        q.execute(&mut **tx).await?;
    }
    super::totals::count_paid(tx, &counted).await?;
    let apps: Vec<i64> = paid.iter().map(|p| p.1).collect();
    histories(
        tx,
        actor,
        &apps,
        "pay",
        Status::Batched,
        Status::Paid,
        today,
        now,
        batch_id,
    )
    .await?;
    let backend = tx_backend(tx);
    audit::append_tx(
        tx,
        backend,
        actor,
        now,
        Event::new("aid.pay")
            .target("aid_batch", batch_id)
            .detail(serde_json::json!({
                "lines": paid.len(), "total_fen": total, "posting": posting.to_string(),
            })),
    )
    .await?;
    Ok(paid)
}

/// The batch of `batch_id` checked to be in `scope`.
async fn batch_in_scope(tx: &mut Tx, scope: &Scope, batch_id: i64) -> AppResult<()> {
    let (lo, hi) = scope.range();
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM aid_batches WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(batch_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut **tx)
    .await?;
    found
        .map(|_| ())
        .ok_or_else(|| AppError::not_found("发放批次"))
}

/// Records every waiting line of a batch paid (the bank confirmed the whole file, or the goods
/// were handed over), `chunk` lines per transaction: stopped at any point, each line is either
/// paid and posted or still waiting, and running it again pays the rest. Returns how many were
/// paid.
pub async fn pay_all(
    db: &Db,
    actor: &Actor,
    batch_id: i64,
    chunk: usize,
    today: NaiveDate,
    now: i64,
) -> AppResult<usize> {
    let mut done = 0;
    loop {
        let mut tx = db.begin_write().await?;
        batch_in_scope(&mut tx, &actor.scope, batch_id).await?;
        let paid = pay_in_tx(&mut tx, actor, batch_id, None, chunk.max(1), today, now).await?;
        tx.commit().await?;
        if paid.is_empty() {
            return Ok(done);
        }
        done += paid.len();
    }
}

/// One line of the bank's answer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineResult {
    pub line: String,
    /// `paid` or `failed`.
    pub outcome: String,
    /// Why it failed (账号有误, 户名不符 …).
    pub reason: Option<String>,
}

/// What recording results did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recorded {
    pub paid: usize,
    pub failed: usize,
    /// Lines already paid, failed or cancelled before: left as they were.
    pub unchanged: Vec<String>,
}

/// Records the bank's answer for lines of a batch, all in one transaction: paid lines are
/// posted, failed ones keep their reason; a line no longer waiting (already paid, say, by the
/// same answer sent twice) is left as it is and named.
pub async fn record_results(
    db: &Db,
    actor: &Actor,
    batch_id: i64,
    results: &[LineResult],
    today: NaiveDate,
    now: i64,
) -> AppResult<Recorded> {
    if results.is_empty() {
        return Err(AppError::invalid("没有发放结果"));
    }
    if results.len() > MAX_LINES {
        return Err(AppError::invalid(format!(
            "一次最多登记 {MAX_LINES} 笔结果"
        )));
    }
    let mut paid_ids = Vec::new();
    let mut failed = Vec::new();
    for r in results {
        let id: i64 = r
            .line
            .trim()
            .parse()
            .map_err(|_| AppError::invalid(format!("明细编号“{}”不正确", r.line)))?;
        match Outcome::parse(r.outcome.trim()) {
            Some(Outcome::Paid) => paid_ids.push(id),
            Some(Outcome::Failed) => {
                let why =
                    crate::workflow::required(r.reason.as_deref().unwrap_or(""), "失败原因", 200)?;
                failed.push((id, why));
            }
            None => {
                return Err(AppError::invalid(format!(
                    "明细 {id} 的结果应为 paid（已发放）或 failed（发放失败）"
                )));
            }
        }
    }
    let mut tx = db.begin_write().await?;
    batch_in_scope(&mut tx, &actor.scope, batch_id).await?;
    let all: Vec<i64> = paid_ids
        .iter()
        .copied()
        .chain(failed.iter().map(|f| f.0))
        .collect();
    let mut known = 0i64;
    for chunk in all.chunks(ID_CHUNK) {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM aid_payouts WHERE batch_id = $1 AND id IN ({})",
            in_list_from(2, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(batch_id);
        for id in chunk {
            q = q.bind(*id);
        }
        known += q.fetch_one(&mut *tx).await?;
    }
    if known as usize != all.len() {
        return Err(AppError::invalid(
            "有明细编号不属于这个批次，请核对后重新登记",
        ));
    }
    let paid = pay_in_tx(&mut tx, actor, batch_id, Some(&paid_ids), 0, today, now).await?;
    let mut n_failed = 0;
    let mut unchanged: Vec<String> = Vec::new();
    for (id, why) in &failed {
        let moved = sqlx::query(
            "UPDATE aid_payouts SET status = 'failed', failed_reason = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND status = 'pending'",
        )
        .bind(why)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 1 {
            n_failed += 1;
        } else {
            unchanged.push(id.to_string());
        }
    }
    let paid_set: Vec<i64> = paid.iter().map(|p| p.0).collect();
    unchanged.extend(
        paid_ids
            .iter()
            .filter(|id| !paid_set.contains(id))
            .map(|id| id.to_string()),
    );
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("aid.results")
            .target("aid_batch", batch_id)
            .detail(serde_json::json!({
                "paid": paid.len(), "failed": n_failed, "unchanged": unchanged.len(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Recorded {
        paid: paid.len(),
        failed: n_failed,
        unchanged,
    })
}

/// What to do with a failed line.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineAction {
    /// `retry` (send it to the bank again) or `cancel` (return its money to the budget; the
    /// application is cancelled and the person may apply again).
    pub action: String,
    pub reason: Option<String>,
}

/// Retries or cancels a line that failed (a waiting line may be cancelled too).
pub async fn act_on_line(
    db: &Db,
    actor: &Actor,
    batch_id: i64,
    line_id: i64,
    i: &LineAction,
    today: NaiveDate,
    now: i64,
) -> AppResult<PayoutLine> {
    let mut tx = db.begin_write().await?;
    batch_in_scope(&mut tx, &actor.scope, batch_id).await?;
    let row: Option<(String, i64, i64)> = sqlx::query_as("SELECT status, application_id, amount_fen FROM aid_payouts WHERE id = $1 AND batch_id = $2")
        .bind(line_id)
        .bind(batch_id)
        .fetch_optional(&mut *tx)
        .await?;
    let (status, app, amount) = row.ok_or_else(|| AppError::not_found("发放明细"))?;
    let backend = tx_backend(&tx);
    match (i.action.trim(), status.as_str()) {
        ("retry", "failed") => {
            sqlx::query("UPDATE aid_payouts SET status = 'pending', attempts = attempts + 1, failed_reason = NULL, version = version + 1, updated_at = $1 WHERE id = $2 AND status = 'failed'")
                .bind(now)
                .bind(line_id)
                .execute(&mut *tx)
                .await?;
            audit::append_tx(
                &mut tx,
                backend,
                actor,
                now,
                Event::new("aid.retry").target("aid_payout", line_id),
            )
            .await?;
        }
        ("cancel", "failed" | "pending") => {
            let reason =
                crate::workflow::required(i.reason.as_deref().unwrap_or(""), "取消原因", 200)?;
            let moved = sqlx::query("UPDATE aid_payouts SET status = 'cancelled', failed_reason = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND status = $4")
                .bind(&reason)
                .bind(now)
                .bind(line_id)
                .bind(&status)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if moved != 1 {
                return Err(AppError::conflict(
                    "CASE_CHANGED",
                    "这笔明细刚刚已被其他人处理，请刷新后查看",
                ));
            }
            let (org_id, org_path, budget, name, campaign_status): (i64, String, i64, String, String) = sqlx::query_as(
                "SELECT c.org_id, c.org_path, c.budget_account, c.name, c.status FROM aid_batches b JOIN aid_campaigns c ON c.id = b.campaign_id WHERE b.id = $1",
            )
            .bind(batch_id)
            .fetch_one(&mut *tx)
            .await?;
            let books = Books { org_id, org_path };
            let (reserve, _) = accounts(&mut tx, &books, now).await?;
            // A closed campaign returned what was left of its budget to the aid fund: a line
            // cancelled after that goes back there too, not to a budget no one can spend.
            let (to, memo) = if campaign_status == "closed" {
                let (code, label) = super::campaigns::SOURCE;
                let source =
                    ledger::ensure_account(&mut tx, &books, code, label, true, now).await?;
                (
                    source.id,
                    format!("{name}（已结束）：取消发放，退回帮扶资金（{reason}）"),
                )
            } else {
                (budget, format!("{name}：取消发放，退回预算（{reason}）"))
            };
            ledger::post(
                &mut tx,
                actor,
                &books,
                &NewPosting {
                    on: today,
                    memo,
                    source: Some(("aid_payout", line_id)),
                    idempotency_key: Some(format!("aid-cancel:{line_id}")),
                    lines: ledger::transfer(reserve, to, Fen(amount)),
                },
                None,
                now,
            )
            .await?;
            sqlx::query("UPDATE aid_applications SET status = 'cancelled', once_key = NULL, version = version + 1, updated_at = $1 WHERE id = $2 AND status = 'batched'")
                .bind(now)
                .bind(app)
                .execute(&mut *tx)
                .await?;
            histories(
                &mut tx,
                actor,
                &[app],
                "cancel",
                Status::Batched,
                Status::Cancelled,
                today,
                now,
                batch_id,
            )
            .await?;
            audit::append_tx(
                &mut tx,
                backend,
                actor,
                now,
                Event::new("aid.cancel")
                    .target("aid_payout", line_id)
                    .detail(serde_json::json!({"reason": reason})),
            )
            .await?;
        }
        ("retry" | "cancel", s) => {
            let label =
                crate::workflow::Named::label(PayStatus::parse(s).unwrap_or(PayStatus::Pending));
            return Err(AppError::conflict(
                "TRANSITION_REFUSED",
                format!(
                    "这笔明细当前为“{label}”，不能{}",
                    if i.action.trim() == "retry" {
                        "重新发放"
                    } else {
                        "取消"
                    }
                ),
            ));
        }
        (other, _) => {
            return Err(AppError::invalid(format!(
                "操作“{other}”无法识别，可选 retry（重新发放）、cancel（取消）"
            )));
        }
    }
    tx.commit().await?;
    let line: Option<PayoutLine> = sqlx::query_as(
        "SELECT p.id, p.application_id, m.name AS member_name, p.form, p.amount_fen, a.bank_name, a.bank_account_masked, p.attempts, \
         p.status, p.failed_reason, p.paid_on, p.posting_id FROM aid_payouts p JOIN aid_applications a ON a.id = p.application_id \
         JOIN members m ON m.id = p.member_id WHERE p.id = $1",
    )
    .bind(line_id)
    .fetch_optional(db.pool())
    .await?;
    line.ok_or_else(|| AppError::not_found("发放明细"))
}

/// The bank transfer file of a batch: the cash lines waiting, with full account numbers —
/// personal data, so a reason is required and recorded. Columns as banks' batch-transfer
/// templates ask: 序号, 明细编号, 收款人姓名, 收款账号, 开户银行, 金额（元）, 用途.
pub async fn bank_file(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    batch_id: i64,
    reason: &str,
    now: i64,
) -> AppResult<(Vec<&'static str>, Vec<Vec<String>>)> {
    let reason = crate::workflow::required(reason, "导出事由", 200)?;
    let mut tx = db.begin_write().await?;
    batch_in_scope(&mut tx, &actor.scope, batch_id).await?;
    // Line, name, sealed account, bank, fen, campaign.
    type BankRow = (i64, String, Option<Vec<u8>>, Option<String>, i64, String);
    let rows: Vec<BankRow> = sqlx::query_as(
        "SELECT p.id, m.name, a.bank_account_enc, a.bank_name, p.amount_fen, c.name FROM aid_payouts p \
         JOIN aid_applications a ON a.id = p.application_id JOIN members m ON m.id = p.member_id \
         JOIN aid_campaigns c ON c.id = p.campaign_id WHERE p.batch_id = $1 AND p.status = 'pending' AND p.form = 'cash' ORDER BY p.id",
    )
    .bind(batch_id)
    .fetch_all(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("aid.bank_file")
            .target("aid_batch", batch_id)
            .detail(serde_json::json!({"lines": rows.len(), "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    let mut out = Vec::with_capacity(rows.len());
    for (n, (id, name, enc, bank, amount, campaign)) in rows.into_iter().enumerate() {
        let account = match enc {
            Some(e) => keys.decrypt(&e)?,
            None => String::new(),
        };
        out.push(vec![
            (n + 1).to_string(),
            id.to_string(),
            name,
            account,
            bank.unwrap_or_default(),
            Fen(amount).to_string(),
            campaign,
        ]);
    }
    Ok((
        vec![
            "序号",
            "明细编号",
            "收款人姓名",
            "收款账号",
            "开户银行",
            "金额（元）",
            "用途",
        ],
        out,
    ))
}
