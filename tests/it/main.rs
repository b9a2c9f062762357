//! One integration-test binary (see docs/decisions.md). Runs on SQLite by default and on
//! PostgreSQL when TEST_DATABASE_URL is set.

mod access;
mod activities;
mod aid;
mod api;
mod attachments;
mod audit_trail;
mod bulk;
mod casework;
mod cli;
mod console_work;
mod contracts;
mod funds;
mod helpers;
mod honours;
mod hostile;
mod import_bad_input;
mod import_formats;
mod injection;
mod innovation;
mod ledger;
mod members;
mod mutual;
mod pages;
mod protection;
mod research;
mod rosters;
mod separation;
mod signin;
mod stats;
mod subtree_line;
