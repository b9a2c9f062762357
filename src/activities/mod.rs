//! Activities (职工活动): labour competitions, skill contests, training classes, lectures,
//! cultural and sports events, reading contests, quizzes, votes, visits and job fairs, all in
//! one record shape. An activity holds sessions (场次); members sign up (where places are
//! limited) and check in at a session, by scanning its code or from a sign-in sheet; guests
//! are head-counted at the door. The figures keep 场次, 人次 and 人 apart. No HTTP here.

pub mod activity;
pub mod contests;
pub mod demo;
pub mod figures;
pub mod participation;
pub mod reach;
pub mod spending;

/// The business module a case officer (业务经办人) must be named for (`auth::accounts::MODULES`).
pub const MODULE: &str = "competition";
