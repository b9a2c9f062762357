//! Workers' innovation (职工创新): 劳模工匠创新工作室 with their leaders and members, named at a
//! level; “五小” innovations, inventions and rationalisation proposals (合理化建议) from their
//! submission to adoption and use, with the benefit they brought; 名师带徒 pairs; and 揭榜挂帅
//! projects, an employer's problem put up with a reward and taken by a team. No HTTP here.

pub mod achievement;
pub mod demo;
pub mod figures;
pub mod mentoring;
pub mod people;
pub mod project;
pub mod studio;

/// The business module a case officer must be named for to work on innovation, and the one its
/// figures belong to: 职工创新 goes with activities and competitions (`auth::accounts::MODULES`).
pub const MODULE: &str = crate::activities::MODULE;
