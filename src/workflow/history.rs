//! The history of a case of any module: every step with who took it, when, and from which
//! state to which (`case_events`). Replaying a case's actions through its table gives its
//! current state; the case page shows it as the timeline.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::Actor;
use crate::db::{Db, Tx, new_id};
use crate::error::AppResult;

/// One step of a case's history.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct HistoryRow {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub on_date: String,
    pub actor: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    /// JSON text.
    pub detail: String,
}

/// Where a step happened: the kind of case (`petition`, `dispute` …) and its id.
#[derive(Debug, Clone, Copy)]
pub struct CaseRef {
    pub case_type: &'static str,
    pub id: i64,
}

/// A step taken, in the transaction that takes it.
pub struct Entry<'a> {
    pub at: i64,
    pub on: NaiveDate,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub from: Option<&'a str>,
    pub to: &'a str,
    pub detail: &'a serde_json::Value,
}

pub async fn record(tx: &mut Tx, case: CaseRef, e: Entry<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO case_events (id, case_type, case_id, at, on_date, actor, action, from_status, to_status, detail) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    )
    .bind(new_id())
    .bind(case.case_type)
    .bind(case.id)
    .bind(e.at)
    .bind(e.on.to_string())
    .bind(&e.actor.name)
    .bind(e.action)
    .bind(e.from)
    .bind(e.to)
    .bind(e.detail.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The columns of [`bulk_row`].
pub const BULK_COLUMNS: &[&str] = &[
    "id",
    "case_type",
    "case_id",
    "at",
    "on_date",
    "actor",
    "action",
    "from_status",
    "to_status",
    "detail",
];

/// A history row for loading many at once (an import, the demo): a step on a day, stamped
/// 09:00 UTC that day.
#[allow(clippy::too_many_arguments)]
pub fn bulk_row(
    case_type: &str,
    case_id: i64,
    on: NaiveDate,
    actor: &str,
    action: &str,
    from: Option<&str>,
    to: &str,
    detail: String,
) -> Vec<crate::db::bulk::Val> {
    let at = on
        .and_hms_opt(9, 0, 0)
        .expect("a time of day")
        .and_utc()
        .timestamp_millis();
    bulk_row_at(case_type, case_id, at, on, actor, action, from, to, detail)
}

/// A history row for loading many at once, stamped `at` (steps many cases take together now,
/// such as a payout batch, ordered with the steps taken one by one).
#[allow(clippy::too_many_arguments)]
pub fn bulk_row_at(
    case_type: &str,
    case_id: i64,
    at: i64,
    on: NaiveDate,
    actor: &str,
    action: &str,
    from: Option<&str>,
    to: &str,
    detail: String,
) -> Vec<crate::db::bulk::Val> {
    use crate::db::bulk::Val;
    vec![
        Val::I(new_id()),
        Val::T(Some(case_type.into())),
        Val::I(case_id),
        Val::I(at),
        Val::T(Some(on.to_string())),
        Val::T(Some(actor.into())),
        Val::T(Some(action.into())),
        Val::T(from.map(str::to_string)),
        Val::T(Some(to.into())),
        Val::T(Some(detail)),
    ]
}

/// A case's history, oldest first (the caller has checked the case is theirs to see).
pub async fn of(db: &Db, case: CaseRef) -> AppResult<Vec<HistoryRow>> {
    Ok(sqlx::query_as(
        "SELECT at, on_date, actor, action, from_status, to_status, detail FROM case_events \
         WHERE case_type = $1 AND case_id = $2 ORDER BY at, id",
    )
    .bind(case.case_type)
    .bind(case.id)
    .fetch_all(db.pool())
    .await?)
}
