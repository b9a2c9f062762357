//! Field research (调研): a union's research task with its visits to employers and symposia
//! (座谈会), questionnaires members answer online, and the issue ledger (问题台账) the findings
//! become — each problem with the union that owns it, a person in charge, a due day and its
//! rectification (整改中, 已整改, 逾期 past the due day). No HTTP here.

pub mod demo;
pub mod figures;
pub mod issues;
pub mod survey;
pub mod task;

/// The business module a case officer must be named for to work on research, and the one its
/// figures belong to: 调研 goes with activities (`auth::accounts::MODULES`).
pub const MODULE: &str = crate::activities::MODULE;
