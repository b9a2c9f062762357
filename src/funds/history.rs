//! History import of refunds to small firms paid in earlier years (小微企业经费返还台账), with
//! the registry's import rules, so that last years' 家次, 家 and amounts are in. Each row is one
//! refund paid to an employer of the registry: it is kept as a paid refund under the importing
//! federation's policy of its year (made for the history when there is none), and the file's
//! money is one posting from 历年经费结转 to 已返还. A row is known again by its employer, day
//! and amount: re-importing a file changes nothing.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};

use super::receipts::{Employers, uscc_cell};
use super::{MAX_AMOUNT, REFUNDS_PAID};
use crate::audit::{self, Actor, Event};
use crate::db::bulk::{Val, insert_rows};
use crate::db::{Tx, new_id, tx_backend};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Books, NewPosting};
use crate::registry::Registry;
use crate::registry::import::header::{Column, HeaderMap, col};
use crate::registry::import::{
    Checked, ImportOptions, KindResult, RowIssue, Sheet, Written, rows_with_errors, should_commit,
};
use crate::registry::orgs;
use crate::types::{Fen, YearMonth, parse_date};

/// Who the history's records name as their author.
const BY: &str = "历史导入";

pub const COLUMNS: &[Column] = &[
    col(
        "uscc",
        "统一社会信用代码",
        &["社会信用代码", "信用代码", "纳税人识别号"],
        true,
        "企业的18位代码，须已在单位名录中登记",
    ),
    col(
        "name",
        "企业名称",
        &["单位名称"],
        false,
        "与名录不一致时提示",
    ),
    col(
        "paid_on",
        "返还日期",
        &["支付日期", "拨付日期"],
        true,
        "日期，不晚于今天",
    ),
    col(
        "amount",
        "返还金额",
        &["金额", "返还金额（元）"],
        true,
        "元，最多两位小数，大于零",
    ),
    col(
        "receipts",
        "已缴经费",
        &["缴纳经费", "上缴经费"],
        false,
        "元，可不填；填写时不应小于返还金额",
    ),
    col(
        "period_from",
        "所属期起",
        &["起始所属期"],
        false,
        "年月，如 2024-01；不填为返还当年1月",
    ),
    col(
        "period_to",
        "所属期止",
        &["截止所属期"],
        false,
        "年月，如 2024-12；不填为返还当年12月",
    ),
];

struct Row {
    uscc: String,
    name: String,
    paid_on: NaiveDate,
    amount: Fen,
    receipts: Option<Fen>,
    from: YearMonth,
    to: YearMonth,
}

fn check_row(h: &HeaderMap, n: usize, row: &[String], today: NaiveDate, out: &mut Checked<Row>) {
    let get = |k: &str| h.get(row, k).trim().to_string();
    let before = out.issues.len();
    let uscc = uscc_cell(n, &get("uscc"), out);
    let paid_on = match parse_date(&get("paid_on")) {
        Ok(d) if d > today => {
            out.error(n, "返还日期", "返还日期不能晚于今天");
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            out.error(n, "返还日期", e.message());
            None
        }
    };
    let amount = super::amount("返还金额", &get("amount"))
        .map_err(|m| out.error(n, "返还金额", m))
        .ok();
    let receipts = match get("receipts") {
        v if v.is_empty() => None,
        v => super::amount("已缴经费", &v)
            .map_err(|m| out.error(n, "已缴经费", m))
            .ok(),
    };
    if let (Some(r), Some(a)) = (receipts, amount)
        && r < a
    {
        out.error(n, "返还金额", format!("返还金额 {a} 元大于已缴经费 {r} 元"));
    }
    let month = |field: &str, key: &str, default: u32, out: &mut Checked<Row>| {
        let typed = get(key);
        if typed.is_empty() {
            return paid_on
                .and_then(|d| NaiveDate::from_ymd_opt(d.year(), default, 1).map(YearMonth::of));
        }
        YearMonth::parse(&typed)
            .map_err(|e| out.error(n, field, e.message()))
            .ok()
    };
    let from = month("所属期起", "period_from", 1, out);
    let to = month("所属期止", "period_to", 12, out);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        out.error(n, "所属期止", "所属期止早于所属期起");
    }
    if out.issues.len() != before {
        return;
    }
    if let (Some(uscc), Some(paid_on), Some(amount), Some(from), Some(to)) =
        (uscc, paid_on, amount, from, to)
    {
        out.ok.push((
            n,
            Row {
                uscc,
                name: get("name"),
                paid_on,
                amount,
                receipts,
                from,
                to,
            },
        ));
    }
}

pub async fn import(
    reg: &Registry,
    actor: &Actor,
    sheet: Sheet,
    opts: &ImportOptions,
) -> AppResult<KindResult> {
    let db = &reg.db;
    let today = chrono::Local::now().date_naive();
    let Some(books_org) = orgs::scope_root(db, &actor.scope).await? else {
        return Err(AppError::invalid(
            "没有可以记账的工会：请以总工会的账号导入",
        ));
    };
    let mut out = Checked::new();
    for (n, row) in &sheet.rows {
        check_row(&sheet.header, *n, row, today, &mut out);
    }
    let employers = Employers::of(db, &actor.scope).await?;
    let known: HashSet<(i64, String, i64)> = sqlx::query_as::<_, (i64, String, i64)>(
        "SELECT unit_id, paid_on, refund_fen FROM fund_refunds WHERE status = 'paid' AND books_org_id = $1",
    )
    .bind(books_org.id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();
    let mut seen: HashMap<(i64, NaiveDate, i64), usize> = HashMap::new();
    let mut keep: Vec<(usize, Row, i64, String)> = Vec::new();
    let mut unchanged = 0u64;
    for (n, r) in std::mem::take(&mut out.ok) {
        let Some(e) = employers.of_row(n, &r.uscc, &r.name, "企业名称", &mut out) else {
            continue;
        };
        if e.small_micro == 0 {
            out.warning(
                n,
                "统一社会信用代码",
                "单位名录中该单位未标记为小微企业，请核对",
            );
        }
        let key = (e.id, r.paid_on, r.amount.0);
        if let Some(first) = seen.get(&key) {
            out.issues.push(RowIssue::repeat(
                n,
                *first,
                "返还日期",
                format!("与第{first}行是同一企业同一天的同一金额"),
            ));
            continue;
        }
        seen.insert(key, n);
        if known.contains(&(e.id, r.paid_on.to_string(), r.amount.0)) {
            unchanged += 1;
            continue;
        }
        let path = e.org_path.clone().unwrap_or_else(|| books_org.path.clone());
        keep.push((n, r, e.id, path));
    }
    if !should_commit(opts, &out.issues) {
        return Ok(KindResult::from_sheet(sheet, out.issues, None));
    }
    let bad = rows_with_errors(&out.issues);
    keep.retain(|(n, ..)| !bad.contains(n));
    let written = Written {
        inserted: keep.len() as u64,
        updated: 0,
        unchanged,
    };
    if !keep.is_empty() {
        let total: i64 = keep.iter().map(|(_, r, ..)| r.amount.0).sum();
        if total > MAX_AMOUNT.0 * 100 {
            return Err(AppError::invalid(
                "一次导入的返还合计超过 100 亿元，请分批导入",
            ));
        }
        let mut tx = db.begin_write().await?;
        write(&mut tx, actor, &books_org, &keep, total).await?;
        tx.commit().await?;
    }
    Ok(KindResult::from_sheet(sheet, out.issues, Some(written)))
}

/// The history policy of a year on the books (the federation's own when it has one).
async fn policy_of(tx: &mut Tx, books: &orgs::Org, year: i32, now: i64) -> AppResult<i64> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM fund_policies WHERE org_id = $1 AND year = $2")
            .bind(books.id)
            .bind(i64::from(year))
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO fund_policies (id, org_id, org_path, year, refund_pct, max_employees, requires_union, note, set_by, set_at) \
         VALUES ($1,$2,$3,$4,100,NULL,0,$5,$6,$7)",
    )
    .bind(id)
    .bind(books.id)
    .bind(&books.path)
    .bind(i64::from(year))
    .bind("历史返还记录导入时建立")
    .bind(BY)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

async fn write(
    tx: &mut Tx,
    actor: &Actor,
    books_org: &orgs::Org,
    keep: &[(usize, Row, i64, String)],
    total: i64,
) -> AppResult<()> {
    let now = crate::db::now_ms();
    let books = Books {
        org_id: books_org.id,
        org_path: books_org.path.clone(),
    };
    let import_id = new_id();
    let carried =
        ledger::ensure_account(tx, &books, "funds:history", "历年经费结转", true, now).await?;
    let paid =
        ledger::ensure_account(tx, &books, REFUNDS_PAID.0, REFUNDS_PAID.1, false, now).await?;
    let last = keep.iter().map(|(_, r, ..)| r.paid_on).max().expect("rows");
    let posting = ledger::post(
        tx,
        actor,
        &books,
        &NewPosting {
            on: last,
            memo: format!("历史导入：小微企业经费返还 {} 家次", keep.len()),
            source: Some(("fund_history", import_id)),
            idempotency_key: Some(format!("fund-history:{import_id}")),
            lines: ledger::transfer(carried.id, paid.id, Fen(total)),
        },
        None,
        now,
    )
    .await?;
    let mut policies: HashMap<i32, i64> = HashMap::new();
    let mut rows = Vec::new();
    for (_, r, unit, path) in keep {
        let year = r.paid_on.year();
        let policy = match policies.get(&year) {
            Some(p) => *p,
            None => {
                let p = policy_of(tx, books_org, year, now).await?;
                policies.insert(year, p);
                p
            }
        };
        rows.push(vec![
            Val::I(new_id()),
            Val::I(policy),
            Val::I(books_org.id),
            Val::I(*unit),
            Val::T(Some(path.clone())),
            Val::T(Some(r.from.to_string())),
            Val::T(Some(r.to.to_string())),
            Val::I(0),
            Val::I(r.receipts.map_or(0, |f| f.0)),
            Val::I(r.amount.0),
            Val::T(Some("paid".into())),
            Val::T(Some(BY.into())),
            Val::T(Some(BY.into())),
            Val::I(posting),
            Val::T(Some(r.paid_on.to_string())),
            Val::I(now),
            Val::I(now),
        ]);
    }
    let backend = tx_backend(tx);
    insert_rows(
        tx,
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
            "approved_by",
            "pay_posting",
            "paid_on",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    audit::record_tx(
        tx,
        actor,
        now,
        Event::new("funds.history_import")
            .target("ledger_posting", posting)
            .detail(serde_json::json!({"refunds": keep.len(), "amount_fen": total})),
    )
    .await?;
    Ok(())
}
