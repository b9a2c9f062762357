//! Money and help: hardship files (困难职工档案, 梯度帮扶), aid campaigns with their review and
//! payouts (送温暖, 金秋助学 …). Money moves only through the ledger. No HTTP here.

pub mod campaigns;
pub mod demo;
pub mod export;
pub mod figures;
pub mod hardship;
pub mod import;
pub mod mutual;
pub mod payouts;
pub mod totals;

/// What waits in the inbox (待办) of a cadre of `scope`: aid applications for their union to
/// review, hardship files due for re-verification.
pub async fn inbox(
    db: &crate::db::Db,
    scope: &crate::registry::scope::Scope,
    today: chrono::NaiveDate,
) -> crate::error::AppResult<Vec<crate::workflow::inbox::Item>> {
    let mut items = Vec::new();
    let waiting = campaigns::waiting_for(db, scope).await?;
    if waiting > 0 {
        items.push(crate::workflow::inbox::Item {
            text: "份帮扶申请等待本级审核".into(),
            count: waiting,
            href: "/aid/applications?awaiting_me=true".into(),
            urgent: false,
        });
    }
    items.extend(hardship::reminders(db, scope, today).await?);
    Ok(items)
}

/// The business module a case officer (业务经办人) must be named for to work on hardship files
/// and aid (`auth::accounts::MODULES`).
pub const MODULE: &str = "hardship";
