//! 督办: when a case passes its deadline, the union above the one handling it is alerted —
//! the case appears on that union's 督办 list and the step is in the case's history. Each
//! deadline is escalated once; a case given a new deadline (an extension, a reopening) is
//! escalated again only when it passes that one too. Runs at start-up and every hour.

use chrono::NaiveDate;

use crate::audit::{self, Actor, Event};
use crate::db::Db;
use crate::error::AppResult;
use crate::workflow::history::{self, CaseRef, Entry};

/// Cases escalated per statement: a large backlog goes in batches.
const BATCH: i64 = 500;

/// The deadline that matters now for each kind of case, as SQL on its table.
const PETITION_DUE: &str = "CASE WHEN p.status = 'received' THEN p.accept_due WHEN p.status IN ('accepted','dispatched') THEN p.reply_due END";

/// Escalates every case past its deadline on `today`; how many were escalated.
pub async fn run(db: &Db, actor: &Actor, today: NaiveDate, now: i64) -> AppResult<usize> {
    let mut done = 0;
    for (case_type, select) in [
        (
            "petition",
            format!(
                "SELECT p.id, {PETITION_DUE} AS due, p.status, o.id, COALESCE(o.parent_id, o.id) FROM petitions p JOIN orgs o ON o.id = p.org_id \
                 WHERE p.status IN ('received','accepted','dispatched') AND {PETITION_DUE} < $1 \
                 AND (p.escalated_due IS NULL OR p.escalated_due <> {PETITION_DUE}) ORDER BY p.id LIMIT {BATCH}"
            ),
        ),
        (
            "dispute",
            format!(
                "SELECT d.id, d.due_on AS due, d.status, o.id, COALESCE(o.parent_id, o.id) FROM disputes d JOIN orgs o ON o.id = d.org_id \
                 WHERE d.status IN ('registered','assigned','in_progress') AND d.due_on < $1 \
                 AND (d.escalated_due IS NULL OR d.escalated_due <> d.due_on) ORDER BY d.id LIMIT {BATCH}"
            ),
        ),
    ] {
        loop {
            let due: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(&select)
                .bind(today.to_string())
                .fetch_all(db.pool())
                .await?;
            if due.is_empty() {
                break;
            }
            done += due.len();
            let table = if case_type == "petition" {
                "petitions"
            } else {
                "disputes"
            };
            let backend = db.backend();
            let actor2 = actor.clone();
            db.write(move |tx| {
                let (due, actor) = (due.clone(), actor2.clone());
                Box::pin(async move {
                    for (id, deadline, status, _from_org, to_org) in &due {
                        sqlx::query(&format!(
                            "UPDATE {table} SET escalated_due = $1, escalated_org_id = $2 WHERE id = $3"
                        ))
                        .bind(deadline)
                        .bind(to_org)
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                        let code: String = sqlx::query_scalar("SELECT code FROM orgs WHERE id = $1")
                            .bind(to_org)
                            .fetch_one(&mut **tx)
                            .await?;
                        let detail = serde_json::json!({"due": deadline, "to_org": code});
                        history::record(
                            tx,
                            CaseRef { case_type, id: *id },
                            Entry {
                                at: now,
                                on: today,
                                actor: &actor,
                                action: "escalate",
                                from: Some(status),
                                to: status,
                                detail: &detail,
                            },
                        )
                        .await?;
                        let action = if case_type == "petition" { "petition.escalate" } else { "dispute.escalate" };
                        audit::append_tx(tx, backend, &actor, now, Event::new(action).target(case_type, *id).detail(detail)).await?;
                    }
                    Ok(())
                })
            })
            .await?;
        }
    }
    Ok(done)
}
