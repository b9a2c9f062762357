//! The funds registers as spreadsheets, in the import's columns (`receipts::COLUMNS`,
//! `history::COLUMNS`) so that each reads like the file it came from: the receipts received in
//! a subtree and period, and the refunds paid in it; the system's number and, for receipts,
//! whether a refund has taken it follow.

use crate::casework::export::{BATCH, batch_after, headers, write_batches};
use crate::db::Db;
use crate::error::AppResult;
use crate::registry::export::{ExportFormat, SheetWriter};
use crate::registry::orgs::Org;
use crate::registry::scope::Scope;
use crate::registry::stats::Period;
use crate::types::Fen;

#[derive(Debug, sqlx::FromRow)]
struct ReceiptLine {
    id: i64,
    uscc: String,
    name: String,
    period: String,
    amount_fen: i64,
    wage_base_fen: Option<i64>,
    received_on: String,
    voucher_no: Option<String>,
    refunded: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct RefundLine {
    id: i64,
    uscc: String,
    name: String,
    paid_on: String,
    refund_fen: i64,
    receipts_fen: i64,
    period_from: String,
    period_to: String,
}

/// The receipts received in a subtree and period: the file's name, its bytes, how many lines.
pub async fn receipts_sheet(
    db: &Db,
    org: &Org,
    period: &Period,
    format: ExportFormat,
) -> AppResult<(String, Vec<u8>, usize)> {
    let mut sheet = SheetWriter::new(
        format,
        "税务代收工会经费",
        &headers(super::receipts::COLUMNS, &["系统编号", "已返还"]),
    )?;
    let (lo, hi) = Scope::subtree(&org.path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let sql = format!(
        "SELECT r.id, u.uscc, u.name, r.period, r.amount_fen, r.wage_base_fen, r.received_on, r.voucher_no, \
         CASE WHEN r.refund_id IS NULL THEN 0 ELSE 1 END AS refunded FROM fund_receipts r JOIN units u ON u.id = r.unit_id \
         WHERE r.org_path >= $1 AND r.org_path < $2 AND r.received_on >= $3 AND r.received_on <= $4 \
         AND (r.received_on > $5 OR (r.received_on = $5 AND r.id > $6)) ORDER BY r.received_on, r.id LIMIT {BATCH}"
    );
    let n = write_batches(
        &mut sheet,
        |after| batch_after::<ReceiptLine>(db, &sql, [&lo, &hi, &from, &to], after),
        |r: &ReceiptLine| {
            let mut row: Vec<String> = super::receipts::COLUMNS
                .iter()
                .map(|c| match c.key {
                    "uscc" => r.uscc.clone(),
                    "name" => r.name.clone(),
                    "period" => r.period.clone(),
                    "amount" => Fen(r.amount_fen).to_string(),
                    "wage_base" => r
                        .wage_base_fen
                        .map(|f| Fen(f).to_string())
                        .unwrap_or_default(),
                    "received_on" => r.received_on.clone(),
                    "voucher_no" => r.voucher_no.clone().unwrap_or_default(),
                    _ => String::new(),
                })
                .collect();
            row.push(r.id.to_string());
            row.push(if r.refunded == 1 { "是" } else { "否" }.into());
            row
        },
        |r| (r.received_on.clone(), r.id),
    )
    .await?;
    let name = format!(
        "税务代收工会经费_{}_{}至{}",
        org.name, period.from, period.to
    );
    Ok((name, sheet.finish()?, n))
}

/// The refunds paid in a subtree and period.
pub async fn refunds_sheet(
    db: &Db,
    org: &Org,
    period: &Period,
    format: ExportFormat,
) -> AppResult<(String, Vec<u8>, usize)> {
    let mut sheet = SheetWriter::new(
        format,
        "小微企业经费返还",
        &headers(super::history::COLUMNS, &["系统编号"]),
    )?;
    let (lo, hi) = Scope::subtree(&org.path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let sql = format!(
        "SELECT f.id, u.uscc, u.name, f.paid_on, f.refund_fen, f.receipts_fen, f.period_from, f.period_to \
         FROM fund_refunds f JOIN units u ON u.id = f.unit_id \
         WHERE f.status = 'paid' AND f.org_path >= $1 AND f.org_path < $2 AND f.paid_on >= $3 AND f.paid_on <= $4 \
         AND (f.paid_on > $5 OR (f.paid_on = $5 AND f.id > $6)) ORDER BY f.paid_on, f.id LIMIT {BATCH}"
    );
    let n = write_batches(
        &mut sheet,
        |after| batch_after::<RefundLine>(db, &sql, [&lo, &hi, &from, &to], after),
        |r: &RefundLine| {
            let mut row: Vec<String> = super::history::COLUMNS
                .iter()
                .map(|c| match c.key {
                    "uscc" => r.uscc.clone(),
                    "name" => r.name.clone(),
                    "paid_on" => r.paid_on.clone(),
                    "amount" => Fen(r.refund_fen).to_string(),
                    // Refunds imported without their receipts say nothing of them.
                    "receipts" if r.receipts_fen > 0 => Fen(r.receipts_fen).to_string(),
                    "period_from" => r.period_from.clone(),
                    "period_to" => r.period_to.clone(),
                    _ => String::new(),
                })
                .collect();
            row.push(r.id.to_string());
            row
        },
        |r| (r.paid_on.clone(), r.id),
    )
    .await?;
    let name = format!(
        "小微企业经费返还_{}_{}至{}",
        org.name, period.from, period.to
    );
    Ok((name, sheet.finish()?, n))
}
