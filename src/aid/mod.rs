//! Money and help: hardship files (困难职工档案, 梯度帮扶), aid campaigns with their review and
//! payouts (送温暖, 金秋助学 …). Money moves only through the ledger. No HTTP here.

pub mod campaigns;
pub mod demo;
pub mod figures;
pub mod hardship;
pub mod mutual;
pub mod payouts;
pub mod totals;

/// The business module a case officer (业务经办人) must be named for to work on hardship files
/// and aid (`auth::accounts::MODULES`).
pub const MODULE: &str = "hardship";
