//! The real-name registry: unions, employers, members, their history, imports, exports and
//! statistics. Every read and write takes a [`scope::Scope`].

pub mod codes;
pub mod counters;
pub mod demo;
pub mod export;
pub mod figures;
pub mod headcounts;
pub mod import;
pub mod jobs;
pub mod members;
pub mod names;
pub mod officers;
pub mod orgs;
pub mod overview;
pub mod scope;
pub mod search;
pub mod stats;
pub mod templates;
pub mod transfers;
pub mod units;

use std::sync::Arc;

use crate::crypto::FieldKeys;
use crate::db::Db;

/// What registry operations need: the database and the field keys.
#[derive(Clone)]
pub struct Registry {
    pub db: Db,
    pub keys: Arc<FieldKeys>,
}
