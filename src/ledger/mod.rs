//! The money ledger, shared by every module that moves money (aid payouts, mutual aid, fund
//! refunds, later benefits and activities). Each union keeps its own accounts (帮扶资金, a
//! campaign's budget, the mutual-aid pool, money paid out …); every movement of money is a
//! posting: lines in integer fen, one per account, that add up to zero, so money only moves
//! between accounts and is never made or lost. A posting is never changed or deleted; a mistake
//! is undone by a reversal, another posting with the opposite lines that names the first.
//!
//! An account's balance is kept on the account in the same transaction as its lines (a page
//! reads one row, not every line) and an account that may not go below zero (a budget, a pool)
//! is charged with one conditional update, so two payouts at once cannot overdraw it. `verify`
//! proves the kept balances equal the sums of their lines and every posting balances.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::db::{Db, Tx, new_id, tx_backend};
use crate::error::{AppError, AppResult};
use crate::registry::scope::Scope;
use crate::types::Fen;

/// The largest amount one line may carry: 100 亿元. A larger one is a typing error.
pub const MAX_LINE: Fen = Fen(1_000_000_000_000);

/// An account of a union.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Account {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub org_id: i64,
    pub org_path: String,
    pub code: String,
    pub name: String,
    /// Accounts that stand for the world outside (a payer, the people paid) may go below zero;
    /// a fund, budget or pool may not.
    pub may_go_negative: i64,
    pub balance_fen: i64,
}

/// The union a posting belongs to.
#[derive(Debug, Clone)]
pub struct Books {
    pub org_id: i64,
    pub org_path: String,
}

/// One line of a posting: an account and the fen it receives (negative: it gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub account_id: i64,
    pub amount: Fen,
}

/// The two lines of money moving from one account to another: `from` gives `amount`, `to`
/// receives it.
pub fn transfer(from: i64, to: i64, amount: Fen) -> Vec<Line> {
    vec![
        Line {
            account_id: from,
            amount: Fen(-amount.0),
        },
        Line {
            account_id: to,
            amount,
        },
    ]
}

/// A posting to write.
#[derive(Debug, Clone)]
pub struct NewPosting {
    pub on: NaiveDate,
    pub memo: String,
    /// The record it belongs to (`aid_payout`, 17 …), to follow a movement back to its cause.
    pub source: Option<(&'static str, i64)>,
    /// Set once per movement by the caller (e.g. `payout-line:17`): the same movement posted
    /// twice is refused, whatever the route it came by.
    pub idempotency_key: Option<String>,
    pub lines: Vec<Line>,
}

/// Checks a posting's lines before anything is read: at least two, none zero or absurd, one
/// line per account, adding up to zero.
pub fn check_lines(lines: &[Line]) -> AppResult<()> {
    if lines.len() < 2 {
        return Err(AppError::invalid("一笔记账至少涉及两个账户").with_code("LEDGER_UNBALANCED"));
    }
    for l in lines {
        if l.amount.0 == 0 {
            return Err(AppError::invalid("记账金额不能为零"));
        }
        if l.amount.0.unsigned_abs() > MAX_LINE.0.unsigned_abs() {
            return Err(AppError::invalid(format!(
                "金额 {} 元超过单笔上限 {} 元，请核对",
                l.amount, MAX_LINE
            )));
        }
    }
    let mut ids: Vec<i64> = lines.iter().map(|l| l.account_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != lines.len() {
        return Err(AppError::invalid("同一账户在一笔记账中只能出现一次"));
    }
    // Each line is at most 10^12: the sum of any realistic posting fits, i128 makes sure.
    let sum: i128 = lines.iter().map(|l| i128::from(l.amount.0)).sum();
    if sum != 0 {
        return Err(AppError::invalid(format!(
            "借贷不平衡：各行合计 {} 元，应为 0",
            Fen(sum as i64)
        ))
        .with_code("LEDGER_UNBALANCED"));
    }
    Ok(())
}

const ACCOUNT_COLS: &str = "id, org_id, org_path, code, name, may_go_negative, balance_fen";

/// The account `code` of a union, made on first use with its name. Two transactions making
/// the same account at once both get the one made (the second insert waits and does nothing).
pub async fn ensure_account(
    tx: &mut Tx,
    books: &Books,
    code: &str,
    name: &str,
    may_go_negative: bool,
    now: i64,
) -> AppResult<Account> {
    let find =
        format!("SELECT {ACCOUNT_COLS} FROM ledger_accounts WHERE org_id = $1 AND code = $2");
    let found: Option<Account> = sqlx::query_as(&find)
        .bind(books.org_id)
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(a) = found {
        return Ok(a);
    }
    sqlx::query(
        "INSERT INTO ledger_accounts (id, org_id, org_path, code, name, may_go_negative, balance_fen, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,0,$7) ON CONFLICT (org_id, code) DO NOTHING",
    )
    .bind(new_id())
    .bind(books.org_id)
    .bind(&books.org_path)
    .bind(code)
    .bind(name)
    .bind(i64::from(may_go_negative))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query_as(&find)
        .bind(books.org_id)
        .bind(code)
        .fetch_one(&mut **tx)
        .await?)
}

/// Writes a posting inside the caller's transaction, with its audit event; returns its id.
/// Every account must be the union's own. An account that may not go below zero and would is
/// refused (409 `LEDGER_INSUFFICIENT`), a movement already posted under its key too (409
/// `LEDGER_DUPLICATE`); either way the caller's transaction writes nothing.
pub async fn post(
    tx: &mut Tx,
    actor: &Actor,
    books: &Books,
    p: &NewPosting,
    reverses: Option<i64>,
    now: i64,
) -> AppResult<i64> {
    check_lines(&p.lines)?;
    if let Some(key) = &p.idempotency_key {
        let seen: Option<i64> =
            sqlx::query_scalar("SELECT id FROM ledger_postings WHERE idempotency_key = $1")
                .bind(key)
                .fetch_optional(&mut **tx)
                .await?;
        if seen.is_some() {
            return Err(AppError::conflict(
                "LEDGER_DUPLICATE",
                "这笔款项已经记过账，不能重复记账",
            ));
        }
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO ledger_postings (id, org_id, org_path, posted_on, posted_at, memo, source_type, source_id, reverses, idempotency_key, actor) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(id)
    .bind(books.org_id)
    .bind(&books.org_path)
    .bind(p.on.to_string())
    .bind(now)
    .bind(&p.memo)
    .bind(p.source.map(|s| s.0))
    .bind(p.source.map(|s| s.1))
    .bind(reverses)
    .bind(&p.idempotency_key)
    .bind(&actor.name)
    .execute(&mut **tx)
    .await?;
    for l in &p.lines {
        // One statement: the balance moves only if the account is the union's and, where it
        // must not, does not go below zero.
        let moved = sqlx::query(
            "UPDATE ledger_accounts SET balance_fen = balance_fen + $1 \
             WHERE id = $2 AND org_id = $3 AND (may_go_negative = 1 OR balance_fen + $1 >= 0)",
        )
        .bind(l.amount.0)
        .bind(l.account_id)
        .bind(books.org_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if moved != 1 {
            let name: Option<(String, i64)> =
                sqlx::query_as("SELECT name, org_id FROM ledger_accounts WHERE id = $1")
                    .bind(l.account_id)
                    .fetch_optional(&mut **tx)
                    .await?;
            return Err(match name {
                Some((name, org)) if org == books.org_id => AppError::conflict(
                    "LEDGER_INSUFFICIENT",
                    format!("“{name}”余额不足，不能支出 {} 元", Fen(-l.amount.0)),
                ),
                _ => AppError::invalid("记账账户不属于本工会"),
            });
        }
        sqlx::query(
            "INSERT INTO ledger_lines (id, posting_id, account_id, org_path, amount_fen) VALUES ($1,$2,$3,$4,$5)",
        )
        .bind(new_id())
        .bind(id)
        .bind(l.account_id)
        .bind(&books.org_path)
        .bind(l.amount.0)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO ledger_month_moves (account_id, month, amount_fen) VALUES ($1,$2,$3) \
             ON CONFLICT (account_id, month) DO UPDATE SET amount_fen = ledger_month_moves.amount_fen + excluded.amount_fen",
        )
        .bind(l.account_id)
        .bind(month_of(p.on))
        .bind(l.amount.0)
        .execute(&mut **tx)
        .await?;
    }
    let backend = tx_backend(tx);
    let moved: i64 = p
        .lines
        .iter()
        .filter(|l| l.amount.0 > 0)
        .map(|l| l.amount.0)
        .sum();
    audit::append_tx(
        tx,
        backend,
        actor,
        now,
        Event::new(if reverses.is_some() {
            "ledger.reverse"
        } else {
            "ledger.post"
        })
        .target("ledger_posting", id)
        .detail(serde_json::json!({
            "amount_fen": moved, "lines": p.lines.len(),
            "source": p.source.map(|s| format!("{}:{}", s.0, s.1)),
            "reverses": reverses.map(|r| r.to_string()),
        })),
    )
    .await?;
    Ok(id)
}

/// A day's month as `ledger_month_moves` keys it: YYYYMM.
pub fn month_of(day: NaiveDate) -> i64 {
    i64::from(day.year()) * 100 + i64::from(day.month())
}

/// What every held account (one that may not go below zero) of the subtree at `path` held at
/// the end of `on`, by account code: the months before `on`'s month from the kept monthly
/// movements, and the lines of its own month up to `on`.
pub async fn held_at(db: &Db, path: &str, on: NaiveDate) -> AppResult<Vec<(String, i64)>> {
    let (lo, hi) = Scope::subtree(path).range();
    let month_start = on.with_day(1).unwrap_or(on);
    type Sums = Vec<(String, i64)>;
    let (before, this_month): (Sums, Sums) = tokio::try_join!(
        sqlx::query_as(
            "SELECT a.code, CAST(SUM(m.amount_fen) AS BIGINT) FROM ledger_month_moves m JOIN ledger_accounts a ON a.id = m.account_id \
             WHERE a.org_path >= $1 AND a.org_path < $2 AND a.may_go_negative = 0 AND m.month < $3 GROUP BY a.code",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(month_of(on))
        .fetch_all(db.pool()),
        sqlx::query_as(
            // The month's lines summed per account before the accounts are joined: joined
            // first, PostgreSQL may walk every line in account order to merge with the few
            // accounts (seen at 1.7 s over 2 M lines, against 27 ms this way).
            "SELECT a.code, CAST(SUM(s.fen) AS BIGINT) FROM \
             (SELECT l.account_id, SUM(l.amount_fen) AS fen FROM ledger_postings p JOIN ledger_lines l ON l.posting_id = p.id \
              WHERE p.org_path >= $1 AND p.org_path < $2 AND p.posted_on >= $3 AND p.posted_on <= $4 GROUP BY l.account_id) s \
             JOIN ledger_accounts a ON a.id = s.account_id WHERE a.may_go_negative = 0 GROUP BY a.code",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(month_start.to_string())
        .bind(on.to_string())
        .fetch_all(db.pool())
    )?;
    let mut by: std::collections::BTreeMap<String, i64> = before.into_iter().collect();
    for (code, fen) in this_month {
        *by.entry(code).or_default() += fen;
    }
    Ok(by.into_iter().collect())
}

/// Recounts every account's monthly movements from its lines (after lines were written
/// directly, as the benchmark does).
pub async fn rebuild_month_moves(tx: &mut Tx) -> AppResult<()> {
    sqlx::query("DELETE FROM ledger_month_moves")
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO ledger_month_moves (account_id, month, amount_fen) \
         SELECT l.account_id, CAST(substr(p.posted_on, 1, 4) AS BIGINT) * 100 + CAST(substr(p.posted_on, 6, 2) AS BIGINT), SUM(l.amount_fen) \
         FROM ledger_lines l JOIN ledger_postings p ON p.id = l.posting_id \
         GROUP BY l.account_id, CAST(substr(p.posted_on, 1, 4) AS BIGINT) * 100 + CAST(substr(p.posted_on, 6, 2) AS BIGINT)",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Undoes a posting with another that has its lines negated and names it. A posting is
/// reversed once, and a reversal is not itself reversed (post the movement again instead).
pub async fn reverse(
    tx: &mut Tx,
    actor: &Actor,
    posting_id: i64,
    on: NaiveDate,
    reason: &str,
    now: i64,
) -> AppResult<i64> {
    let reason = crate::workflow::required(reason, "冲销原因", 200)?;
    let found: Option<(i64, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT org_id, org_path, memo, reverses FROM ledger_postings WHERE id = $1",
    )
    .bind(posting_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((org_id, org_path, memo, reverses)) = found else {
        return Err(AppError::not_found("记账凭证"));
    };
    if reverses.is_some() {
        return Err(AppError::conflict(
            "LEDGER_REVERSAL",
            "这是一笔冲销记录，不能再冲销；如需恢复请重新记账",
        ));
    }
    let done: Option<i64> =
        sqlx::query_scalar("SELECT id FROM ledger_postings WHERE reverses = $1")
            .bind(posting_id)
            .fetch_optional(&mut **tx)
            .await?;
    if done.is_some() {
        return Err(AppError::conflict(
            "LEDGER_REVERSED",
            "这笔记账已经冲销过了",
        ));
    }
    let lines: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT account_id, amount_fen FROM ledger_lines WHERE posting_id = $1 ORDER BY id",
    )
    .bind(posting_id)
    .fetch_all(&mut **tx)
    .await?;
    let p = NewPosting {
        on,
        memo: format!("冲销：{memo}（{reason}）"),
        source: Some(("ledger_posting", posting_id)),
        idempotency_key: None,
        lines: lines
            .into_iter()
            .map(|(account_id, amount)| Line {
                account_id,
                amount: Fen(-amount),
            })
            .collect(),
    };
    post(
        tx,
        actor,
        &Books { org_id, org_path },
        &p,
        Some(posting_id),
        now,
    )
    .await
}

/// The accounts of a union with their balances.
pub async fn accounts(db: &Db, org_id: i64) -> AppResult<Vec<Account>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ACCOUNT_COLS} FROM ledger_accounts WHERE org_id = $1 ORDER BY code"
    ))
    .bind(org_id)
    .fetch_all(db.pool())
    .await?)
}

/// An account as the 经审 view lists it, with its union.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct LedgerAccount {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub code: String,
    pub name: String,
    pub balance_fen: i64,
    /// The balance in 元, two decimals.
    #[sqlx(skip)]
    pub balance: String,
}

/// The accounts of every union in a subtree, by union then code.
pub async fn accounts_in(db: &Db, within: &Scope) -> AppResult<Vec<LedgerAccount>> {
    let (lo, hi) = within.range();
    let mut rows: Vec<LedgerAccount> = sqlx::query_as(
        "SELECT a.id, o.code AS org_code, o.name AS org_name, a.code, a.name, a.balance_fen \
         FROM ledger_accounts a JOIN orgs o ON o.id = a.org_id \
         WHERE a.org_path >= $1 AND a.org_path < $2 ORDER BY a.org_path, a.code LIMIT 5000",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    for r in &mut rows {
        r.balance = Fen(r.balance_fen).to_string();
    }
    Ok(rows)
}

/// A line of a posting as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct LineView {
    #[serde(skip)]
    pub posting_id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub account_id: i64,
    pub account_name: String,
    pub amount_fen: i64,
    #[sqlx(skip)]
    pub amount: String,
}

/// A posting with its lines, as the 经审 view shows it.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct PostingView {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_name: String,
    pub posted_on: String,
    pub memo: String,
    pub source_type: Option<String>,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub source_id: Option<i64>,
    /// The posting this one reverses.
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub reverses: Option<i64>,
    pub actor: String,
    #[sqlx(skip)]
    pub lines: Vec<LineView>,
}

/// Which postings to list.
#[derive(Debug, Clone, Default)]
pub struct PostingFilter {
    /// Only this posting.
    pub id: Option<i64>,
    /// Only postings with a line on this account.
    pub account: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The postings of a subtree, newest first, with their lines; and how many there are.
pub async fn postings_in(
    db: &Db,
    within: &Scope,
    f: &PostingFilter,
    paging: &crate::db::Paging,
) -> AppResult<(Vec<PostingView>, i64)> {
    let (lo, hi) = within.range();
    let mut cond = String::from("p.org_path >= $1 AND p.org_path < $2");
    let mut args: Vec<String> = vec![lo, hi];
    if let Some(d) = f.from {
        args.push(d.to_string());
        cond.push_str(&format!(" AND p.posted_on >= ${}", args.len()));
    }
    if let Some(d) = f.to {
        args.push(d.to_string());
        cond.push_str(&format!(" AND p.posted_on <= ${}", args.len()));
    }
    if let Some(id) = f.id {
        // An id parsed from the request, never typed text.
        cond.push_str(&format!(" AND p.id = {id}"));
    }
    if let Some(a) = f.account {
        // An id parsed from the request, never typed text.
        cond.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM ledger_lines l WHERE l.posting_id = p.id AND l.account_id = {a})"
        ));
    }
    let count_sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM ledger_postings p WHERE {cond}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for a in &args {
        count = count.bind(a.clone());
    }
    let total = count.fetch_one(db.pool()).await?;
    let sql = format!(
        "SELECT p.id, o.name AS org_name, p.posted_on, p.memo, p.source_type, p.source_id, p.reverses, p.actor \
         FROM ledger_postings p JOIN orgs o ON o.id = p.org_id WHERE {cond} \
         ORDER BY p.posted_on DESC, p.id DESC LIMIT {} OFFSET {}",
        paging.per_page,
        paging.offset()
    );
    let mut q = sqlx::query_as::<_, PostingView>(&sql);
    for a in &args {
        q = q.bind(a.clone());
    }
    let mut rows = q.fetch_all(db.pool()).await?;
    if !rows.is_empty() {
        let sql = format!(
            "SELECT l.posting_id, l.account_id, a.name AS account_name, l.amount_fen FROM ledger_lines l \
             JOIN ledger_accounts a ON a.id = l.account_id WHERE l.posting_id IN ({}) ORDER BY l.id",
            crate::db::in_list(rows.len())
        );
        let mut q = sqlx::query_as::<_, LineView>(&sql);
        for r in &rows {
            q = q.bind(r.id);
        }
        let mut lines = q.fetch_all(db.pool()).await?;
        for l in &mut lines {
            l.amount = Fen(l.amount_fen).to_string();
        }
        for r in &mut rows {
            r.lines = lines
                .iter()
                .filter(|l| l.posting_id == r.id)
                .cloned()
                .collect();
        }
    }
    Ok((rows, total))
}

/// What `verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verified {
    pub postings: i64,
    pub lines: i64,
    pub accounts: i64,
    /// Each difference in words, naming the posting or account and the amounts.
    pub problems: Vec<String>,
}

impl Verified {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Proves the ledger whole: every posting has two lines or more adding up to zero, every line's
/// account is its posting's union's, and every kept balance equals the sum of its lines.
pub async fn verify(db: &Db) -> AppResult<Verified> {
    let pool = db.pool();
    let mut v = Verified {
        postings: sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM ledger_postings")
            .fetch_one(pool)
            .await?,
        lines: sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM ledger_lines")
            .fetch_one(pool)
            .await?,
        accounts: sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM ledger_accounts")
            .fetch_one(pool)
            .await?,
        problems: Vec::new(),
    };
    let unbalanced: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT p.id, CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT), CAST(COUNT(l.id) AS BIGINT) \
         FROM ledger_postings p LEFT JOIN ledger_lines l ON l.posting_id = p.id GROUP BY p.id \
         HAVING COALESCE(SUM(l.amount_fen), 0) <> 0 OR COUNT(l.id) < 2 ORDER BY p.id",
    )
    .fetch_all(pool)
    .await?;
    for (id, sum, n) in unbalanced {
        v.problems.push(if n < 2 {
            format!("凭证 {id} 只有 {n} 行，至少应有两行")
        } else {
            format!("凭证 {id} 各行合计 {} 元，应为 0", Fen(sum))
        });
    }
    // One pass over the lines: their sums by account and month (the kept monthly movements
    // and balances are checked against these), and how many have no posting or account or an
    // account of another union (named one by one below only when there are any).
    let groups: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT l.account_id, COALESCE(CAST(substr(p.posted_on, 1, 4) AS BIGINT) * 100 + CAST(substr(p.posted_on, 6, 2) AS BIGINT), 0), \
                CAST(SUM(l.amount_fen) AS BIGINT), \
                CAST(SUM(CASE WHEN p.id IS NULL OR a.id IS NULL OR a.org_id <> p.org_id THEN 1 ELSE 0 END) AS BIGINT) \
         FROM ledger_lines l LEFT JOIN ledger_postings p ON p.id = l.posting_id LEFT JOIN ledger_accounts a ON a.id = l.account_id \
         GROUP BY 1, 2",
    )
    .fetch_all(pool)
    .await?;
    if groups.iter().any(|g| g.3 > 0) {
        let orphans: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT l.id, l.posting_id FROM ledger_lines l LEFT JOIN ledger_postings p ON p.id = l.posting_id \
             LEFT JOIN ledger_accounts a ON a.id = l.account_id \
             WHERE p.id IS NULL OR a.id IS NULL OR a.org_id <> p.org_id ORDER BY l.id",
        )
        .fetch_all(pool)
        .await?;
        for (line, posting) in orphans {
            v.problems.push(format!(
                "记账行 {line}（凭证 {posting}）的凭证或账户不存在，或账户不属于凭证的工会"
            ));
        }
    }
    use std::collections::BTreeMap;
    let mut by_month: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut by_account: BTreeMap<i64, i64> = BTreeMap::new();
    for (account, month, fen, _) in &groups {
        *by_month.entry((*account, *month)).or_default() += fen;
        *by_account.entry(*account).or_default() += fen;
    }
    let kept_months: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT account_id, month, amount_fen FROM ledger_month_moves")
            .fetch_all(pool)
            .await?;
    let mut kept: BTreeMap<(i64, i64), i64> = kept_months
        .into_iter()
        .map(|(a, m, f)| ((a, m), f))
        .collect();
    for ((account, month), summed) in &by_month {
        let k = kept.remove(&(*account, *month)).unwrap_or(0);
        if k != *summed {
            v.problems.push(month_drift(*account, *month, k, *summed));
        }
    }
    for ((account, month), k) in kept {
        if k != 0 {
            v.problems.push(month_drift(account, month, k, 0));
        }
    }
    let accounts: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT id, name, balance_fen FROM ledger_accounts ORDER BY id")
            .fetch_all(pool)
            .await?;
    for (id, name, kept) in accounts {
        let summed = by_account.get(&id).copied().unwrap_or(0);
        if kept != summed {
            v.problems.push(format!(
                "账户 {id}“{name}”记载余额 {} 元，按记账行合计应为 {} 元，相差 {} 元",
                Fen(kept),
                Fen(summed),
                Fen(kept - summed)
            ));
        }
    }
    Ok(v)
}

fn month_drift(account: i64, month: i64, kept: i64, summed: i64) -> String {
    format!(
        "账户 {account} {}年{}月记载发生额 {} 元，按记账行合计应为 {} 元",
        month / 100,
        month % 100,
        Fen(kept),
        Fen(summed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(account_id: i64, fen: i64) -> Line {
        Line {
            account_id,
            amount: Fen(fen),
        }
    }

    #[test]
    fn a_posting_must_balance_and_name_each_account_once() {
        assert!(check_lines(&[line(1, 500), line(2, -500)]).is_ok());
        assert!(check_lines(&[line(1, 500), line(2, -300), line(3, -200)]).is_ok());
        let e = check_lines(&[line(1, 500), line(2, -499)]).unwrap_err();
        assert_eq!(e.code(), "LEDGER_UNBALANCED");
        assert!(e.message().contains("0.01"), "{}", e.message());
        assert!(check_lines(&[line(1, 0), line(2, 0)]).is_err());
        assert!(check_lines(&[line(1, 500)]).is_err());
        assert!(check_lines(&[line(1, 500), line(1, -500)]).is_err());
        let too_much = MAX_LINE.0 + 1;
        assert!(check_lines(&[line(1, too_much), line(2, -too_much)]).is_err());
    }

    proptest! {
        /// Whatever the lines, a posting passes the check only if it balances, and every
        /// balanced set of distinct accounts with sane amounts passes.
        #[test]
        fn only_balanced_postings_pass(amounts in proptest::collection::vec(-MAX_LINE.0..=MAX_LINE.0, 1..6)) {
            let mut lines: Vec<Line> = amounts.iter().enumerate().map(|(i, a)| line(i as i64, *a)).collect();
            let sum: i128 = amounts.iter().map(|a| i128::from(*a)).sum();
            let ok = check_lines(&lines).is_ok();
            prop_assert_eq!(ok, sum == 0 && lines.len() >= 2 && amounts.iter().all(|a| *a != 0));
            // Closing the difference with one more line balances it (when that line is sane).
            if let Ok(close) = i64::try_from(-sum)
                && close != 0
                && close.unsigned_abs() <= MAX_LINE.0.unsigned_abs()
                && amounts.iter().all(|a| *a != 0)
            {
                lines.push(line(99, close));
                prop_assert!(check_lines(&lines).is_ok());
            }
        }
    }
}
