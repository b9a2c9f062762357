//! The registers of cases as spreadsheets: every petition, or every mediation and legal-aid
//! case, handled in a subtree and received in a period. The columns are the history import's
//! (`import::PETITION_COLUMNS`, `DISPUTE_COLUMNS`), in its order and with its names, so a sheet
//! reads like the template a federation fills in; the system's own number, the union handling
//! the case now and its state follow. ID numbers and mobiles are masked.

use chrono::NaiveDate;

use super::import::{DISPUTE_COLUMNS, PETITION_COLUMNS};
use super::{disputes, petitions};
use crate::db::Db;
use crate::error::AppResult;
use crate::registry::export::{ExportFormat, SheetWriter};
use crate::registry::orgs::Org;
use crate::registry::stats::Period;

/// The columns after the import's.
const PETITION_EXTRA: &[&str] = &["系统编号", "当前承办工会", "状态"];
const DISPUTE_EXTRA: &[&str] = &["系统编号", "状态"];

/// A register's header row: the import's column names, then `extra`.
pub(crate) fn headers(
    columns: &[crate::registry::import::header::Column],
    extra: &[&'static str],
) -> Vec<&'static str> {
    columns
        .iter()
        .map(|c| c.label)
        .chain(extra.iter().copied())
        .collect()
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn petition_row(p: &petitions::Petition) -> Vec<String> {
    let mut row: Vec<String> = PETITION_COLUMNS
        .iter()
        .map(|c| match c.key {
            "ref_no" => text(&p.ref_no),
            "org" => p.received_org_code.clone(),
            "received_on" => p.received_on.clone(),
            "channel" => p.channel_label.clone(),
            "kind" => p.kind_label.clone(),
            "category" => p.category_label.clone(),
            "name" => text(&p.requester_name),
            "id_number" => text(&p.requester_id_masked),
            "mobile" => text(&p.requester_mobile_masked),
            "unit" => text(&p.unit_name),
            "summary" => p.summary.clone(),
            "accepted_on" => text(&p.accepted_on),
            "refuse_reason" => text(&p.refuse_reason),
            "replied_on" => text(&p.replied_on),
            "reply_text" => text(&p.reply_text),
            "reply_method" => text(&p.reply_method),
            "satisfaction" => text(&p.satisfaction),
            "closed_on" => text(&p.closed_on),
            _ => String::new(),
        })
        .collect();
    row.extend([p.id.to_string(), p.org_name.clone(), p.status_label.clone()]);
    row
}

fn dispute_row(d: &disputes::Dispute, workers: &[String]) -> Vec<String> {
    let mut row: Vec<String> = DISPUTE_COLUMNS
        .iter()
        .map(|c| match c.key {
            "ref_no" => text(&d.ref_no),
            "org" => d.org_code.clone(),
            "kind" => d.kind_label.clone(),
            "source" => d.source_label.clone(),
            "source_ref" => text(&d.source_ref),
            "claim" => d.claim_label.clone(),
            "amount_claimed" => d.amount_claimed.clone(),
            "unit" => text(&d.unit_name),
            "workers" => workers.join("、"),
            "involved" => d.workers.to_string(),
            "summary" => d.summary.clone(),
            "received_on" => d.received_on.clone(),
            "advocate" => text(&d.advocate_name),
            "outcome" => text(&d.outcome_label),
            "amount_agreed" => text(&d.amount_agreed),
            "amount_recovered" => text(&d.amount_recovered),
            "confirmed_on" => text(&d.confirmed_on),
            "closed_on" => text(&d.closed_on),
            _ => String::new(),
        })
        .collect();
    row.extend([d.id.to_string(), d.status_label.clone()]);
    row
}

/// Cases read this many at a time: the sheet grows in constant memory, not the rows. Debug
/// builds (the tests) read a handful at a time, so the batch boundaries are crossed on small data.
pub(crate) const BATCH: i64 = if cfg!(debug_assertions) { 7 } else { 2_000 };

/// Writes a register to `sheet` batch by batch: `fetch` reads the cases after a position (day
/// of receipt, id), `row` gives a case's cells and `position` where it stands. Returns how many.
pub(crate) async fn write_batches<T, Fut>(
    sheet: &mut SheetWriter,
    mut fetch: impl FnMut(Option<(String, i64)>) -> Fut,
    row: impl Fn(&T) -> Vec<String>,
    position: impl Fn(&T) -> (String, i64),
) -> AppResult<usize>
where
    Fut: std::future::Future<Output = AppResult<Vec<T>>>,
{
    let (mut after, mut n) = (None, 0);
    loop {
        let batch = fetch(after.take()).await?;
        for case in &batch {
            sheet.row(&row(case))?;
        }
        n += batch.len();
        match batch.last() {
            Some(last) if batch.len() as i64 == BATCH => after = Some(position(last)),
            _ => return Ok(n),
        }
    }
}

/// Rows of a register after a position (a day, an id), in that order: `sql` takes the four
/// `args` (subtree range, first and last day) as $1–$4 and the position as $5, $6.
pub(crate) async fn batch_after<T>(
    db: &Db,
    sql: &str,
    args: [&str; 4],
    after: Option<(String, i64)>,
) -> AppResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let (day, id) = after.unwrap_or_else(|| (String::new(), i64::MIN));
    let mut q = sqlx::query_as::<_, T>(sql);
    for a in args {
        q = q.bind(a.to_string());
    }
    Ok(q.bind(day).bind(id).fetch_all(db.pool()).await?)
}

/// The petitions register of a subtree and period: the file's name, its bytes, how many cases.
pub async fn petitions_sheet(
    db: &Db,
    org: &Org,
    period: &Period,
    format: ExportFormat,
    today: NaiveDate,
) -> AppResult<(String, Vec<u8>, usize)> {
    let mut sheet = SheetWriter::new(
        format,
        "职工诉求",
        &headers(PETITION_COLUMNS, PETITION_EXTRA),
    )?;
    let days = (period.from, period.to);
    let n = write_batches(
        &mut sheet,
        |after| async move {
            petitions::case_register(db, &org.path, days, after.as_ref(), BATCH, today).await
        },
        petition_row,
        |p| (p.received_on.clone(), p.id),
    )
    .await?;
    let name = format!("职工诉求登记_{}_{}至{}", org.name, period.from, period.to);
    Ok((name, sheet.finish()?, n))
}

/// The mediation and legal-aid register of a subtree and period.
pub async fn disputes_sheet(
    db: &Db,
    org: &Org,
    period: &Period,
    format: ExportFormat,
    today: NaiveDate,
) -> AppResult<(String, Vec<u8>, usize)> {
    let mut sheet = SheetWriter::new(
        format,
        "调解与法律援助",
        &headers(DISPUTE_COLUMNS, DISPUTE_EXTRA),
    )?;
    let days = (period.from, period.to);
    let n = write_batches(
        &mut sheet,
        |after| async move {
            disputes::case_register(db, &org.path, days, after.as_ref(), BATCH, today).await
        },
        |(d, workers)| dispute_row(d, workers),
        |(d, _)| (d.received_on.clone(), d.id),
    )
    .await?;
    let name = format!(
        "调解与法律援助登记_{}_{}至{}",
        org.name, period.from, period.to
    );
    Ok((name, sheet.finish()?, n))
}
