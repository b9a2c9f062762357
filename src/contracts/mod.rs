//! Collective bargaining and democratic management (集体协商与民主管理): offers to bargain in
//! campaigns (要约), collective contracts from the draft to filing, taking effect and expiry, and
//! each employer's 职代会, 厂务公开 and yearly checklist; the coverage figures (建制率) count each
//! employer and worker once. No HTTP here.

pub mod contract;
pub mod demo;
pub mod democracy;
pub mod export;
pub mod figures;
pub mod import;
pub mod offers;

use crate::db::Tx;
use crate::error::AppResult;

/// The business module a case officer (业务经办人) must be named for (`auth::accounts::MODULES`).
pub const MODULE: &str = "contract";

/// The tables that count an employer where its union is; they follow it when the registry
/// moves the employer to another union.
const COUNTED_WHERE_THE_EMPLOYER_IS: &[&str] = &[
    "contract_units",
    "bargain_offers",
    "congresses",
    "disclosures",
    "democracy_checks",
];

/// The registry moved employer `unit_id` to the union at `path`: its contracts, offers and
/// democratic-management records are counted there from now on.
pub async fn unit_moved(tx: &mut Tx, unit_id: i64, path: &str) -> AppResult<()> {
    for table in COUNTED_WHERE_THE_EMPLOYER_IS {
        sqlx::query(&format!(
            "UPDATE {table} SET org_path = $1 WHERE unit_id = $2"
        ))
        .bind(path)
        .bind(unit_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// What waits in the inbox (待办) of a cadre of `scope` on `today`: contracts filed and still
/// in review, offers past their 20 days without an answer, contracts expiring soon.
pub async fn inbox(
    db: &crate::db::Db,
    scope: &crate::registry::scope::Scope,
    today: chrono::NaiveDate,
) -> AppResult<Vec<crate::workflow::inbox::Item>> {
    let mut items = Vec::new();
    let expiring = contract::expiring_count(db, scope, today).await?;
    if expiring > 0 {
        items.push(crate::workflow::inbox::Item {
            text: "份集体合同90天内到期，请及时续签".into(),
            count: expiring,
            href: "/contracts?expiring=true".into(),
            urgent: false,
        });
    }
    let overdue = offers::overdue_count(db, scope, today).await?;
    if overdue > 0 {
        items.push(crate::workflow::inbox::Item {
            text: "份协商要约超过20日未获回应".into(),
            count: overdue,
            href: "/contracts/campaigns".into(),
            urgent: true,
        });
    }
    Ok(items)
}
