//! Honours (评先评优): persons and collectives honoured — 劳动模范 and 先进工作者, 五一劳动奖章 and
//! 奖状, 工人先锋号, 工匠, 巾帼建功 — from nomination through review and public notice to the
//! grant, or recorded when granted elsewhere; and the care the unions give honoured people.
//! No HTTP here.

pub mod care;
pub mod demo;
pub mod figures;
pub mod honour;
pub mod import;

/// The business module a case officer must be named for to work on honours, and the one its
/// figures belong to: 评先评优 goes with activities and competitions (`auth::accounts::MODULES`).
pub const MODULE: &str = crate::activities::MODULE;
