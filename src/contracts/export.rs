//! The register of collective contracts (集体合同台账) as a spreadsheet: every contract of a
//! subtree signed by the period's end whose term reaches into the period, in the history
//! import's columns (`import::COLUMNS`) and order, so the sheet reads like the template a
//! federation fills in and a contract imported from it comes back unchanged; the system's
//! number, state, day in force and employer count follow.

use chrono::NaiveDate;

use super::contract::{self, Contract};
use crate::casework::export::{BATCH, headers, write_batches};
use crate::db::Db;
use crate::error::AppResult;
use crate::registry::export::{ExportFormat, SheetWriter};
use crate::registry::orgs::Org;
use crate::registry::stats::Period;
use crate::types::Fen;

const EXTRA: &[&str] = &["系统编号", "状态", "生效日期", "覆盖单位数", "提示"];

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn count(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

fn yuan(v: Option<i64>) -> String {
    v.map(|f| Fen(f).to_string()).unwrap_or_default()
}

fn row((c, employers): &(Contract, Vec<String>)) -> Vec<String> {
    let mut row: Vec<String> = super::import::COLUMNS
        .iter()
        .map(|col| match col.key {
            "title" => c.title.clone(),
            "org" => c.org_code.clone(),
            "kind" => c.kind_label.clone(),
            "kind_note" => text(&c.kind_note),
            "reach" => c.reach_label.clone(),
            "employers" => employers.join("、"),
            "union_side" => c.union_side.clone(),
            "employer_side" => c.employer_side.clone(),
            "starts_on" => c.starts_on.clone(),
            "ends_on" => c.ends_on.clone(),
            "delegates" => count(c.delegates),
            "present" => count(c.present),
            "votes_for" => count(c.votes_for),
            "signed_on" => text(&c.signed_on),
            "filed_on" => text(&c.filed_on),
            "decided_on" => text(&c.decided_on),
            "prev_avg_wage" => yuan(c.prev_avg_wage_fen),
            "raise_pct" => c.raise_bp.map(contract::percent_text).unwrap_or_default(),
            "lowest_wage" => yuan(c.lowest_wage_fen),
            "min_wage" => yuan(c.min_wage_fen),
            "ended_on" => text(&c.ended_on),
            "end_reason" => text(&c.end_reason),
            _ => String::new(),
        })
        .collect();
    row.extend([
        c.id.to_string(),
        c.status_label.clone(),
        text(&c.effective_on),
        c.employer_count.to_string(),
        c.warnings.join("；"),
    ]);
    row
}

/// The contracts register of a subtree and period: the file's name, its bytes, how many rows.
pub async fn sheet(
    db: &Db,
    org: &Org,
    period: &Period,
    format: ExportFormat,
    today: NaiveDate,
) -> AppResult<(String, Vec<u8>, usize)> {
    let mut sheet = SheetWriter::new(
        format,
        "集体合同台账",
        &headers(super::import::COLUMNS, EXTRA),
    )?;
    let days = (period.from, period.to);
    let n = write_batches(
        &mut sheet,
        |after| async move {
            contract::register_batch(db, &org.path, days, after.as_ref(), BATCH, today).await
        },
        row,
        |(c, _)| (c.signed_on.clone().unwrap_or_default(), c.id),
    )
    .await?;
    let name = format!("集体合同台账_{}_{}至{}", org.name, period.from, period.to);
    Ok((name, sheet.finish()?, n))
}

/// The employers a coverage figure counts, as a spreadsheet: each covered employer of the
/// subtree once, with its headcount at the day and the kinds of contract in force for it.
pub async fn covered_sheet(
    db: &Db,
    org: &Org,
    at: NaiveDate,
    filter: super::figures::CoveredFilter,
    format: ExportFormat,
) -> AppResult<(String, Vec<u8>, usize)> {
    use crate::workflow::Named;
    let mut sheet = SheetWriter::new(
        format,
        "集体合同覆盖单位",
        &[
            "统一社会信用代码",
            "单位名称",
            "所属工会",
            "职工人数",
            "有效合同类别",
            "单位编号",
        ],
    )?;
    let per_page = BATCH;
    let (mut page, mut n) = (1, 0usize);
    loop {
        let (rows, _) =
            super::figures::covered(db, &org.path, at, filter, (page, per_page)).await?;
        for r in &rows {
            let kinds = r
                .kinds
                .split(',')
                .filter_map(contract::Kind::parse)
                .map(Named::label)
                .collect::<Vec<_>>()
                .join("、");
            sheet.row(&[
                r.uscc.clone(),
                r.name.clone(),
                text(&r.org_name),
                r.employees.to_string(),
                kinds,
                r.unit_id.to_string(),
            ])?;
        }
        n += rows.len();
        if (rows.len() as i64) < per_page {
            break;
        }
        page += 1;
    }
    let name = format!("集体合同覆盖单位_{}_{at}", org.name);
    Ok((name, sheet.finish()?, n))
}
