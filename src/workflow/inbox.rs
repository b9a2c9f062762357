//! A cadre's inbox: what waits for them in their part of the hierarchy, each line a count
//! with the list behind it, the urgent ones (past a deadline) first. Modules add their lines
//! here; the dashboard shows them under 待办.

use chrono::NaiveDate;

use crate::db::Db;
use crate::error::AppResult;
use crate::registry::scope::Scope;
use crate::workflow::deadlines;

/// One line of the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub text: String,
    pub count: i64,
    pub href: String,
    /// Past a deadline.
    pub urgent: bool,
}

/// Casework waiting in `scope` on `today`; `me` is the signed-in account; `warn_days` the
/// warning window before a deadline. One pass over the scope's open petitions and one over its
/// open disputes.
pub async fn casework(
    db: &Db,
    scope: &Scope,
    me: Option<i64>,
    today: NaiveDate,
    warn_days: u32,
) -> AppResult<Vec<Item>> {
    let (lo, hi) = scope.range();
    let t = today.to_string();
    let near = deadlines::due(today, warn_days).to_string();
    const DUE: &str = "CASE WHEN status = 'received' THEN accept_due WHEN status IN ('accepted','dispatched') THEN reply_due END";
    const HANDLED: &str = "status IN ('received','accepted','dispatched')";
    // The account id comes from the session, never from typed text.
    let me = me.unwrap_or(-1);
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN {HANDLED} AND {DUE} < $3 THEN 1 ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN {HANDLED} AND {DUE} >= $3 AND {DUE} <= $4 THEN 1 ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN status = 'received' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN status = 'replied' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN {HANDLED} AND escalated_org_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN officer_id = {me} THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM petitions WHERE status IN ('received','accepted','dispatched','replied') AND org_path >= $1 AND org_path < $2"
    );
    let (overdue, soon, to_accept, to_call_back, escalated, mine): (i64, i64, i64, i64, i64, i64) =
        sqlx::query_as(&sql)
            .bind(&lo)
            .bind(&hi)
            .bind(&t)
            .bind(&near)
            .fetch_one(db.pool())
            .await?;
    let mediation_overdue: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM disputes WHERE status IN ('registered','assigned','in_progress') \
         AND org_path >= $1 AND org_path < $2 AND due_on < $3",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&t)
    .fetch_one(db.pool())
    .await?;
    let items = [
        (overdue, "件诉求已超过期限", "/casework?due=overdue", true),
        (
            escalated,
            "件诉求因超期被督办",
            "/casework?escalated=true",
            true,
        ),
        (
            mediation_overdue,
            "件调解案件已超过调解期限",
            "/casework/disputes?due=overdue",
            true,
        ),
        (soon, "件诉求3天内到期", "/casework?due=near", false),
        (
            to_accept,
            "件诉求等待受理",
            "/casework?status=received",
            false,
        ),
        (
            to_call_back,
            "件诉求已答复，等待回访",
            "/casework?status=replied",
            false,
        ),
        (mine, "件诉求由我经办", "/casework?mine=true", false),
    ];
    Ok(items
        .into_iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(count, text, href, urgent)| Item {
            text: text.into(),
            count,
            href: href.into(),
            urgent,
        })
        .collect())
}
