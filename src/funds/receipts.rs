//! Fund receipts (税务代收工会经费): the tax bureau's list of what it collected from each employer
//! for a month, imported with the registry's import rules (header under title rows, GBK/BOM
//! CSV, every problem by row and column, dry run, all-or-nothing). An employer must be in the
//! registry and in the importer's scope; a line (employer and month) is taken once: the same
//! line again with the same amount changes nothing, with another amount it is refused. The
//! money is posted in one posting on the importing union's books, from 税务代收划入 to 工会经费.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{INCOME, TAX};
use crate::audit::{self, Actor, Event};
use crate::db::bulk::{Val, insert_rows};
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Books, NewPosting};
use crate::registry::Registry;
use crate::registry::import::header::{Column, HeaderMap, col};
use crate::registry::import::{
    Checked, ImportOptions, KindResult, RowIssue, Sheet, Written, rows_with_errors, should_commit,
};
use crate::registry::orgs;
use crate::registry::scope::Scope;
use crate::types::{Fen, Uscc, YearMonth, parse_date};

pub const COLUMNS: &[Column] = &[
    col(
        "uscc",
        "统一社会信用代码",
        &["纳税人识别号", "社会信用代码", "信用代码", "缴费单位识别号"],
        true,
        "缴费单位的18位代码，须已在单位名录中登记",
    ),
    col(
        "name",
        "单位名称",
        &["纳税人名称", "缴费单位名称", "缴费单位"],
        false,
        "与名录不一致时提示，不影响导入",
    ),
    col(
        "period",
        "所属期",
        &["税款所属期", "费款所属期", "所属月份", "所属期起"],
        true,
        "年月，如 2026-10；不晚于本月",
    ),
    col(
        "amount",
        "实缴金额",
        &["金额", "实缴金额（元）", "入库金额", "缴费金额", "工会经费"],
        true,
        "元，最多两位小数，大于零",
    ),
    col(
        "wage_base",
        "计费工资总额",
        &["计费依据", "工资总额", "缴费基数"],
        false,
        "元，可不填",
    ),
    col(
        "received_on",
        "入库日期",
        &["缴款日期", "入库时间", "划转日期"],
        false,
        "日期，不早于所属期、不晚于今天；不填为导入当天",
    ),
    col(
        "voucher_no",
        "电子税票号",
        &["票证号码", "税票号码", "凭证号"],
        false,
        "可不填",
    ),
];

/// A row checked, ready to match against the registry.
struct Row {
    uscc: String,
    name: String,
    period: YearMonth,
    amount: Fen,
    wage_base: Option<Fen>,
    received_on: Option<NaiveDate>,
    voucher_no: Option<String>,
}

/// A credit code cell, normalised; a code Excel turned into a number, or malformed, is an error.
pub(super) fn uscc_cell<R>(n: usize, typed: &str, out: &mut Checked<R>) -> Option<String> {
    match crate::types::excel_damaged_number(typed, "统一社会信用代码") {
        Some(message) => {
            out.error(n, "统一社会信用代码", message);
            None
        }
        None => match Uscc::parse(typed) {
            Ok(u) => Some(u.as_str().to_string()),
            Err(e) => {
                out.error(n, "统一社会信用代码", e.message());
                None
            }
        },
    }
}

fn check_row(h: &HeaderMap, n: usize, row: &[String], today: NaiveDate, out: &mut Checked<Row>) {
    let get = |k: &str| h.get(row, k).trim().to_string();
    let before = out.issues.len();
    let uscc = uscc_cell(n, &get("uscc"), out);
    let period = match YearMonth::parse(&get("period")) {
        Ok(p) if p > YearMonth::of(today) => {
            out.error(n, "所属期", format!("所属期 {p} 晚于本月，请核对"));
            None
        }
        Ok(p) => Some(p),
        Err(e) => {
            out.error(n, "所属期", e.message());
            None
        }
    };
    let amount = super::amount("实缴金额", &get("amount"))
        .map_err(|m| out.error(n, "实缴金额", m))
        .ok();
    let wage_base = match get("wage_base") {
        v if v.is_empty() => None,
        v => super::amount("计费工资总额", &v)
            .map_err(|m| out.error(n, "计费工资总额", m))
            .ok(),
    };
    let received_on = match get("received_on") {
        v if v.is_empty() => None,
        v => match parse_date(&v) {
            Ok(d) if d > today => {
                out.error(n, "入库日期", "入库日期不能晚于今天");
                None
            }
            Ok(d) if period.is_some_and(|p| d < p.first_day()) => {
                out.error(n, "入库日期", "入库日期早于所属期，请核对");
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                out.error(n, "入库日期", e.message());
                None
            }
        },
    };
    let voucher_no = Some(get("voucher_no"))
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(60).collect());
    if out.issues.len() != before {
        return;
    }
    if let (Some(uscc), Some(period), Some(amount)) = (uscc, period, amount) {
        out.ok.push((
            n,
            Row {
                uscc,
                name: get("name"),
                period,
                amount,
                wage_base,
                received_on,
                voucher_no,
            },
        ));
    }
}

/// An employer as the import matches it.
pub(super) struct Employer {
    pub id: i64,
    pub name: String,
    pub org_path: Option<String>,
    pub region: Option<String>,
    pub small_micro: i64,
}

/// The registry's employers by credit code, as an importer of `scope` may name them: those of
/// its subtree, and those without a union in the area of its federation (as the registry
/// shows them).
pub(super) struct Employers {
    by_uscc: HashMap<String, Employer>,
    uncovered: Option<String>,
    scope: Scope,
}

impl Employers {
    pub(super) async fn of(db: &Db, scope: &Scope) -> AppResult<Employers> {
        let by_uscc =
            sqlx::query_as::<_, (i64, String, String, Option<String>, Option<String>, i64)>(
                "SELECT id, uscc, name, org_path, region_code, small_micro FROM units",
            )
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .map(|(id, uscc, name, org_path, region, small_micro)| {
                (
                    uscc,
                    Employer {
                        id,
                        name,
                        org_path,
                        region,
                        small_micro,
                    },
                )
            })
            .collect();
        Ok(Employers {
            by_uscc,
            uncovered: crate::registry::units::uncovered_area(db, scope).await?,
            scope: scope.clone(),
        })
    }

    /// The employer a row names by `uscc`, or the row's error; a name other than the
    /// registry's is a warning in `name_column` (the code decides).
    pub(super) fn of_row<R>(
        &self,
        n: usize,
        uscc: &str,
        name: &str,
        name_column: &str,
        out: &mut Checked<R>,
    ) -> Option<&Employer> {
        let Some(e) = self.find(uscc) else {
            out.error(
                n,
                "统一社会信用代码",
                format!(
                    "单位名录中没有统一社会信用代码为 {uscc} 的单位（或不在您的管理范围内）：请先登记该单位"
                ),
            );
            return None;
        };
        if !name.is_empty()
            && crate::types::normalize_name(name).ok().as_deref() != Some(e.name.as_str())
        {
            out.warning(
                n,
                name_column,
                format!(
                    "名录中该代码的单位名称为“{}”，与本行“{name}”不一致；按代码导入",
                    e.name
                ),
            );
        }
        Some(e)
    }

    fn find(&self, uscc: &str) -> Option<&Employer> {
        let e = self.by_uscc.get(uscc)?;
        // Employers without a union are seen by the federation of their area.
        let seen = match (&e.org_path, &e.region, &self.uncovered) {
            (Some(p), _, _) => self.scope.contains(p),
            (None, _, _) if self.scope.is_all() => true,
            (None, Some(r), Some(prefix)) => r.starts_with(prefix.as_str()),
            _ => false,
        };
        seen.then_some(e)
    }
}

pub async fn import(
    reg: &Registry,
    actor: &Actor,
    sheet: Sheet,
    opts: &ImportOptions,
) -> AppResult<KindResult> {
    let db = &reg.db;
    let scope = &actor.scope;
    let today = chrono::Local::now().date_naive();
    let Some(books_org) = orgs::scope_root(db, scope).await? else {
        return Err(AppError::invalid(
            "没有可以记账的工会：请以总工会的账号导入",
        ));
    };
    let mut out = Checked::new();
    for (n, row) in &sheet.rows {
        check_row(&sheet.header, *n, row, today, &mut out);
    }
    let employers = Employers::of(db, scope).await?;
    let periods: Vec<String> = out.ok.iter().map(|(_, r)| r.period.to_string()).collect();
    let (lo, hi) = (
        periods.iter().min().cloned().unwrap_or_default(),
        periods.iter().max().cloned().unwrap_or_default(),
    );
    let known: HashMap<(i64, String), i64> = sqlx::query_as::<_, (i64, String, i64)>(
        "SELECT unit_id, period, amount_fen FROM fund_receipts WHERE period >= $1 AND period <= $2",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|(u, p, a)| ((u, p), a))
    .collect();
    let mut seen: HashMap<(i64, String), usize> = HashMap::new();
    let mut keep: Vec<(usize, Row, i64, String)> = Vec::new();
    let mut unchanged = 0u64;
    for (n, r) in std::mem::take(&mut out.ok) {
        let Some(e) = employers.of_row(n, &r.uscc, &r.name, "单位名称", &mut out) else {
            continue;
        };
        let key = (e.id, r.period.to_string());
        if let Some(first) = seen.get(&key) {
            out.issues.push(RowIssue::repeat(
                n,
                *first,
                "所属期",
                format!("与第{first}行是同一单位的同一所属期"),
            ));
            continue;
        }
        seen.insert(key.clone(), n);
        match known.get(&key) {
            Some(a) if *a == r.amount.0 => {
                unchanged += 1;
                continue;
            }
            Some(a) => {
                out.error(
                    n,
                    "实缴金额",
                    format!(
                        "该单位 {} 的经费已导入 {} 元，与本行 {} 元不同；如需更正，请联系经审人员冲销后重新导入",
                        r.period,
                        Fen(*a),
                        r.amount
                    ),
                );
                continue;
            }
            None => {}
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
        write(db, actor, &books_org, &keep, today).await?;
    }
    Ok(KindResult::from_sheet(sheet, out.issues, Some(written)))
}

/// One posting for the whole file, its lines as receipts naming it; all in one transaction.
async fn write(
    db: &Db,
    actor: &Actor,
    books_org: &orgs::Org,
    keep: &[(usize, Row, i64, String)],
    today: NaiveDate,
) -> AppResult<()> {
    let now = crate::db::now_ms();
    let books = Books {
        org_id: books_org.id,
        org_path: books_org.path.clone(),
    };
    let total: i64 = keep.iter().map(|(_, r, ..)| r.amount.0).sum();
    let import_id = new_id();
    let mut tx = db.begin_write().await?;
    let tax = ledger::ensure_account(&mut tx, &books, TAX.0, TAX.1, true, now).await?;
    let income = ledger::ensure_account(&mut tx, &books, INCOME.0, INCOME.1, false, now).await?;
    let posting = ledger::post(
        &mut tx,
        actor,
        &books,
        &NewPosting {
            on: today,
            memo: format!("税务代收工会经费入账：{} 户次", keep.len()),
            source: Some(("fund_import", import_id)),
            idempotency_key: Some(format!("fund-import:{import_id}")),
            lines: ledger::transfer(tax.id, income.id, Fen(total)),
        },
        None,
        now,
    )
    .await?;
    let rows = keep
        .iter()
        .map(|(_, r, unit, path)| {
            vec![
                Val::I(new_id()),
                Val::I(*unit),
                Val::I(books_org.id),
                Val::T(Some(path.clone())),
                Val::T(Some(r.period.to_string())),
                Val::I(r.amount.0),
                Val::N(r.wage_base.map(|f| f.0)),
                Val::T(r.voucher_no.clone()),
                Val::T(Some(r.received_on.unwrap_or(today).to_string())),
                Val::I(posting),
                Val::I(now),
            ]
        })
        .collect();
    let backend = crate::db::tx_backend(&tx);
    insert_rows(
        &mut tx,
        backend,
        "fund_receipts",
        &[
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
            "created_at",
        ],
        rows,
    )
    .await
    .map_err(|e| {
        if e.is_unique_violation() {
            AppError::conflict(
                "FUND_RECEIPT_DUPLICATE",
                "其中有单位同一所属期的经费刚刚已由他人导入，请重新导入",
            )
        } else {
            e
        }
    })?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("funds.receipts")
            .target("ledger_posting", posting)
            .detail(serde_json::json!({"lines": keep.len(), "amount_fen": total})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A receipt as listed.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Receipt {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub unit_name: String,
    pub uscc: String,
    /// The employer's union (empty when it has none).
    pub org_name: Option<String>,
    pub period: String,
    pub amount_fen: i64,
    pub received_on: String,
    pub voucher_no: Option<String>,
    /// 1 when a refund has taken it (computed, approved or paid).
    pub refunded: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub posting_id: i64,
}

/// The receipts counted where their employers belong in the subtree at `path`, received in
/// the dates given; newest first, and how many there are.
pub async fn receipts_in(
    db: &Db,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
    paging: &crate::db::Paging,
) -> AppResult<(Vec<Receipt>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    crate::db::paged(
        db,
        "r.id, u.name AS unit_name, u.uscc, o.name AS org_name, r.period, r.amount_fen, r.received_on, r.voucher_no, \
         CASE WHEN r.refund_id IS NULL THEN 0 ELSE 1 END AS refunded, r.posting_id FROM fund_receipts r \
         JOIN units u ON u.id = r.unit_id LEFT JOIN orgs o ON o.id = u.org_id",
        "FROM fund_receipts r",
        "r.org_path >= $1 AND r.org_path < $2 AND r.received_on >= $3 AND r.received_on <= $4",
        "r.received_on DESC, r.id DESC",
        &[lo, hi, from.to_string(), to.to_string()],
        paging,
    )
    .await
}
