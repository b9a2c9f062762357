//! gonghui — 智慧工会平台: the registry and daily work of a trade-union federation.

pub mod accounts;
pub mod app;
pub mod bench;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod registry;
pub mod types;
pub mod web;
