//! The register of aid paid as a spreadsheet: every payout line paid in a subtree and period, in
//! the history import's columns (`import::PAYOUT_COLUMNS`), so a federation's 帮扶发放台账 reads
//! like the template it fills in; the line's number follows. ID numbers are masked.

use crate::casework::export::{BATCH, batch_after, headers, write_batches};
use crate::db::Db;
use crate::error::AppResult;
use crate::registry::export::{ExportFormat, SheetWriter};
use crate::registry::orgs::Org;
use crate::registry::scope::Scope;
use crate::registry::stats::Period;
use crate::types::Fen;
use crate::workflow::Named;

/// A paid line as the register writes it.
#[derive(Debug, sqlx::FromRow)]
struct PaidLine {
    id: i64,
    campaign: String,
    kind: String,
    org_code: String,
    name: String,
    id_masked: String,
    form: String,
    amount_fen: i64,
    goods: Option<String>,
    paid_on: String,
}

fn label_of<T: Named>(code: &str) -> String {
    T::all()
        .iter()
        .find(|v| v.code() == code)
        .map_or(code, |v| v.label())
        .to_string()
}

fn row(l: &PaidLine) -> Vec<String> {
    let mut row: Vec<String> = super::import::PAYOUT_COLUMNS
        .iter()
        .map(|c| match c.key {
            "campaign" => l.campaign.clone(),
            "kind" => label_of::<super::campaigns::Kind>(&l.kind),
            "org" => l.org_code.clone(),
            "name" => l.name.clone(),
            "id_number" => l.id_masked.clone(),
            "form" => label_of::<super::campaigns::Form>(&l.form),
            "amount" => Fen(l.amount_fen).to_string(),
            "goods" => l.goods.clone().unwrap_or_default(),
            "paid_on" => l.paid_on.clone(),
            _ => String::new(),
        })
        .collect();
    row.push(l.id.to_string());
    row
}

/// The aid paid in a subtree and period: the file's name, its bytes, how many lines.
pub async fn paid_sheet(
    db: &Db,
    org: &Org,
    period: &Period,
    format: ExportFormat,
) -> AppResult<(String, Vec<u8>, usize)> {
    let mut sheet = SheetWriter::new(
        format,
        "帮扶发放台账",
        &headers(super::import::PAYOUT_COLUMNS, &["发放明细编号"]),
    )?;
    let (lo, hi) = Scope::subtree(&org.path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let sql = format!(
        "SELECT p.id, c.name AS campaign, c.kind, o.code AS org_code, m.name, m.id_masked, p.form, p.amount_fen, \
         a.goods, p.paid_on FROM aid_payouts p JOIN aid_campaigns c ON c.id = p.campaign_id JOIN orgs o ON o.id = c.org_id \
         JOIN members m ON m.id = p.member_id JOIN aid_applications a ON a.id = p.application_id \
         WHERE p.status = 'paid' AND p.org_path >= $1 AND p.org_path < $2 AND p.paid_on >= $3 AND p.paid_on <= $4 \
         AND (p.paid_on > $5 OR (p.paid_on = $5 AND p.id > $6)) ORDER BY p.paid_on, p.id LIMIT {BATCH}"
    );
    let n = write_batches(
        &mut sheet,
        |after| batch_after::<PaidLine>(db, &sql, [&lo, &hi, &from, &to], after),
        row,
        |l| (l.paid_on.clone(), l.id),
    )
    .await?;
    let name = format!("帮扶发放台账_{}_{}至{}", org.name, period.from, period.to);
    Ok((name, sheet.finish()?, n))
}

/// A hardship file as the register writes it.
#[derive(Debug, sqlx::FromRow)]
struct FileLine {
    id: i64,
    org_code: String,
    name: String,
    id_masked: String,
    household_size: i64,
    income_fen: i64,
    rigid_fen: i64,
    sudden_fen: i64,
    tier: String,
    causes: String,
    plan: String,
    measures: String,
    entered_on: String,
    reviewed_on: Option<String>,
    exited_on: Option<String>,
    exit_reason: Option<String>,
}

fn file_row(f: &FileLine) -> Vec<String> {
    use super::hardship::{Cause, ExitReason, Tier};
    let mut row: Vec<String> = super::import::FILE_COLUMNS
        .iter()
        .map(|c| match c.key {
            "org" => f.org_code.clone(),
            "name" => f.name.clone(),
            "id_number" => f.id_masked.clone(),
            "household_size" => f.household_size.to_string(),
            "income" => Fen(f.income_fen).to_string(),
            "rigid" => Fen(f.rigid_fen).to_string(),
            "sudden" => Fen(f.sudden_fen).to_string(),
            "tier" => Tier::parse(&f.tier)
                .map(Tier::label)
                .unwrap_or_default()
                .to_string(),
            "causes" => f
                .causes
                .split(',')
                .filter_map(Cause::parse)
                .map(Named::label)
                .collect::<Vec<_>>()
                .join("、"),
            "plan" => f.plan.clone(),
            "measures" => f.measures.clone(),
            "entered_on" => f.entered_on.clone(),
            "reviewed_on" => f.reviewed_on.clone().unwrap_or_default(),
            "exited_on" => f.exited_on.clone().unwrap_or_default(),
            "exit_reason" => f
                .exit_reason
                .as_deref()
                .map(label_of::<ExitReason>)
                .unwrap_or_default(),
            _ => String::new(),
        })
        .collect();
    row.push(f.id.to_string());
    row
}

/// The hardship files of a subtree on file at any time in the period (entered by its end, not
/// exited before its start), in the history import's columns: the file's name, bytes, rows.
pub async fn files_sheet(
    db: &Db,
    org: &Org,
    period: &Period,
    format: ExportFormat,
) -> AppResult<(String, Vec<u8>, usize)> {
    let mut sheet = SheetWriter::new(
        format,
        "困难职工档案",
        &headers(super::import::FILE_COLUMNS, &["档案编号"]),
    )?;
    let (lo, hi) = Scope::subtree(&org.path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let sql = format!(
        "SELECT f.id, o.code AS org_code, m.name, m.id_masked, f.household_size, f.income_fen, f.rigid_fen, f.sudden_fen, \
         f.tier, f.causes, f.plan, f.measures, f.entered_on, f.reviewed_on, f.exited_on, f.exit_reason \
         FROM hardship_files f JOIN orgs o ON o.id = f.org_id \
         JOIN hardship_persons w ON w.file_id = f.id AND w.relation = 'self' JOIN members m ON m.id = w.member_id \
         WHERE f.org_path >= $1 AND f.org_path < $2 AND f.entered_on <= $4 AND (f.exited_on IS NULL OR f.exited_on >= $3) \
         AND (f.entered_on > $5 OR (f.entered_on = $5 AND f.id > $6)) ORDER BY f.entered_on, f.id LIMIT {BATCH}"
    );
    let n = write_batches(
        &mut sheet,
        |after| batch_after::<FileLine>(db, &sql, [&lo, &hi, &from, &to], after),
        file_row,
        |f| (f.entered_on.clone(), f.id),
    )
    .await?;
    let name = format!("困难职工档案_{}_{}至{}", org.name, period.from, period.to);
    Ok((name, sheet.finish()?, n))
}

/// A paid mutual-aid claim as the register writes it.
#[derive(Debug, sqlx::FromRow)]
struct ClaimLine {
    id: i64,
    plan: String,
    org_code: String,
    name: String,
    id_masked: String,
    illness: String,
    occurred_on: String,
    expense_fen: i64,
    payable_fen: i64,
    paid_on: String,
}

fn claim_row(c: &ClaimLine) -> Vec<String> {
    let mut row: Vec<String> = super::import::CLAIM_COLUMNS
        .iter()
        .map(|col| match col.key {
            "plan" => c.plan.clone(),
            "org" => c.org_code.clone(),
            "name" => c.name.clone(),
            "id_number" => c.id_masked.clone(),
            "illness" => c.illness.clone(),
            "occurred_on" => c.occurred_on.clone(),
            "expense" => Fen(c.expense_fen).to_string(),
            "paid" => Fen(c.payable_fen).to_string(),
            "paid_on" => c.paid_on.clone(),
            _ => String::new(),
        })
        .collect();
    row.push(c.id.to_string());
    row
}

/// The mutual-aid claims paid in a subtree and period (the claims figure's records), in the
/// history import's columns: the file's name, bytes, rows.
pub async fn claims_sheet(
    db: &Db,
    org: &Org,
    period: &Period,
    format: ExportFormat,
) -> AppResult<(String, Vec<u8>, usize)> {
    let mut sheet = SheetWriter::new(
        format,
        "医疗互助理赔台账",
        &headers(super::import::CLAIM_COLUMNS, &["理赔编号"]),
    )?;
    let (lo, hi) = Scope::subtree(&org.path).range();
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let sql = format!(
        "SELECT c.id, p.name AS plan, o.code AS org_code, m.name, m.id_masked, c.illness, c.occurred_on, c.expense_fen, \
         c.payable_fen, c.paid_on FROM mutual_claims c JOIN mutual_plans p ON p.id = c.plan_id JOIN orgs o ON o.id = p.org_id \
         JOIN members m ON m.id = c.member_id \
         WHERE c.status = 'paid' AND c.org_path >= $1 AND c.org_path < $2 AND c.paid_on >= $3 AND c.paid_on <= $4 \
         AND (c.paid_on > $5 OR (c.paid_on = $5 AND c.id > $6)) ORDER BY c.paid_on, c.id LIMIT {BATCH}"
    );
    let n = write_batches(
        &mut sheet,
        |after| batch_after::<ClaimLine>(db, &sql, [&lo, &hi, &from, &to], after),
        claim_row,
        |c| (c.paid_on.clone(), c.id),
    )
    .await?;
    let name = format!(
        "医疗互助理赔台账_{}_{}至{}",
        org.name, period.from, period.to
    );
    Ok((name, sheet.finish()?, n))
}
