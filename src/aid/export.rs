//! The register of aid paid as a spreadsheet: every payout line paid in a subtree and period, in
//! the history import's columns (`import::PAYOUT_COLUMNS`), so a federation's 帮扶发放台账 reads
//! like the template it fills in; the line's number follows. ID numbers are masked.

use crate::casework::export::{BATCH, headers, write_batches};
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
    let n = write_batches(
        &mut sheet,
        |after: Option<(String, i64)>| {
            let (lo, hi, from, to) = (lo.clone(), hi.clone(), from.clone(), to.clone());
            async move {
                let (day, id) = after.unwrap_or_else(|| (String::new(), i64::MIN));
                Ok(sqlx::query_as::<_, PaidLine>(&format!(
                    "SELECT p.id, c.name AS campaign, c.kind, o.code AS org_code, m.name, m.id_masked, p.form, p.amount_fen, \
                     a.goods, p.paid_on FROM aid_payouts p JOIN aid_campaigns c ON c.id = p.campaign_id JOIN orgs o ON o.id = c.org_id \
                     JOIN members m ON m.id = p.member_id JOIN aid_applications a ON a.id = p.application_id \
                     WHERE p.status = 'paid' AND p.org_path >= $1 AND p.org_path < $2 AND p.paid_on >= $3 AND p.paid_on <= $4 \
                     AND (p.paid_on > $5 OR (p.paid_on = $5 AND p.id > $6)) ORDER BY p.paid_on, p.id LIMIT {BATCH}"
                ))
                .bind(lo)
                .bind(hi)
                .bind(from)
                .bind(to)
                .bind(day)
                .bind(id)
                .fetch_all(db.pool())
                .await?)
            }
        },
        row,
        |l| (l.paid_on.clone(), l.id),
    )
    .await?;
    let name = format!("帮扶发放台账_{}_{}至{}", org.name, period.from, period.to);
    Ok((name, sheet.finish()?, n))
}
