//! gonghui — 智慧工会平台: the registry and daily work of a trade-union federation.

pub mod activities;
pub mod aid;
pub mod app;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod casework;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contracts;
pub mod crypto;
pub mod db;
pub mod error;
pub mod figures;
pub mod files;
pub mod funds;
pub mod honours;
pub mod innovation;
pub mod ledger;
pub mod people;
pub mod registry;
pub mod types;
pub mod web;
pub mod workflow;
