//! Casework: what workers bring to the federation and what it does about it — petitions and
//! grievances (信访、职工诉求) as tracked cases with deadlines, dispatched down the hierarchy to
//! the union that must act; labour-dispute mediation and legal aid with the roster of
//! mediators and lawyers. No HTTP here.

pub mod demo;
pub mod disputes;
pub mod escalation;
pub mod export;
pub mod figures;
pub mod import;
pub mod petitions;
pub mod roster;

/// The business module a case officer (业务经办人) must be named for to work on cases
/// (`auth::accounts::MODULES`).
pub const MODULE: &str = "grievance";
