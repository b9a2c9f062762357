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

async fn count(db: &Db, sql: &str, args: &[String]) -> AppResult<i64> {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for a in args {
        q = q.bind(a.clone());
    }
    Ok(q.fetch_one(db.pool()).await?)
}

/// Casework waiting in `scope` on `today`; `me` is the signed-in account; `warn_days` the
/// warning window before a deadline.
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
    const OPEN: &str = "status IN ('received','accepted','dispatched')";
    let p = |cond: &str| {
        format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM petitions WHERE org_path >= $1 AND org_path < $2 AND {cond}"
        )
    };
    let range = vec![lo.clone(), hi.clone()];
    let with = |extra: &[&String]| {
        let mut a = range.clone();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let overdue = count(db, &p(&format!("{OPEN} AND {DUE} < $3")), &with(&[&t])).await?;
    let soon = count(
        db,
        &p(&format!("{OPEN} AND {DUE} >= $3 AND {DUE} <= $4")),
        &with(&[&t, &near]),
    )
    .await?;
    let to_accept = count(db, &p("status = 'received'"), &range).await?;
    let to_call_back = count(db, &p("status = 'replied'"), &range).await?;
    let escalated = count(
        db,
        &p(&format!("{OPEN} AND escalated_org_id IS NOT NULL")),
        &range,
    )
    .await?;
    let mine = match me {
        Some(id) => {
            count(
                db,
                &format!("SELECT CAST(COUNT(*) AS BIGINT) FROM petitions WHERE officer_id = {id} AND status IN ('received','accepted','dispatched','replied')"),
                &[],
            )
            .await?
        }
        None => 0,
    };
    let mediation_overdue = count(
        db,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM disputes WHERE org_path >= $1 AND org_path < $2 AND status IN ('registered','assigned','in_progress') AND due_on < $3",
        &with(&[&t]),
    )
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
