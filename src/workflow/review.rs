//! A review chain: a record (an aid application, a mutual-aid claim, later an honour's
//! nomination) is approved level by level up the hierarchy — 基层 → 街道 → 区/市 — each level a
//! union whose cadres decide. Which levels review is the record's module's choice (a campaign
//! names the kinds of union that review); the chain is resolved once, when the record is
//! filed, and kept in `reviews` (one row per level), so a later change of the hierarchy or of
//! the campaign does not move a review already under way.
//!
//! A decision is taken by a cadre whose subtree holds the level's union, on the lowest level
//! still open, with one conditional update: two decisions at once cannot both count.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::db::{Db, Tx, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::orgs::paths_above;
use crate::registry::scope::Scope;
use crate::workflow::coded_enum;

coded_enum! {
    /// What a level decided.
    Decision {
        Approve = "approve", "同意";
        Reject = "reject", "不同意";
    }
}

/// A reviewer's decision on a record at its current level.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `approve` or `reject`.
    pub decision: String,
    pub comment: Option<String>,
    pub version: i64,
}

/// A union that reviews at one level.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Reviewer {
    pub org_id: i64,
    pub org_path: String,
    pub org_name: String,
    pub kind: String,
}

/// The unions that review a record filed by the union at `from_path` for an owner (a
/// campaign's union) at `top_path`: the filing union and those above it up to and including
/// the owner, whose kind is among `kinds`, lowest first. The owner reviews when no union of
/// those kinds lies between (so a chain is never empty).
pub async fn chain(
    tx: &mut Tx,
    from_path: &str,
    top_path: &str,
    kinds: &[String],
) -> AppResult<Vec<Reviewer>> {
    let mut paths: Vec<String> = paths_above(from_path)
        .into_iter()
        .filter(|p| p.starts_with(top_path))
        .map(str::to_string)
        .collect();
    paths.push(from_path.to_string());
    let sql = format!(
        "SELECT id AS org_id, path AS org_path, name AS org_name, kind FROM orgs WHERE path IN ({}) ORDER BY depth DESC",
        crate::db::in_list(paths.len())
    );
    let mut q = sqlx::query_as::<_, Reviewer>(&sql);
    for p in &paths {
        q = q.bind(p.clone());
    }
    let line = q.fetch_all(&mut **tx).await?;
    let mut picked: Vec<Reviewer> = line
        .iter()
        .filter(|r| kinds.contains(&r.kind))
        .cloned()
        .collect();
    if picked.is_empty()
        && let Some(top) = line.iter().find(|r| r.org_path == top_path)
    {
        picked.push(top.clone());
    }
    if picked.is_empty() {
        return Err(AppError::invalid("找不到审核单位：申请单位不在活动范围内"));
    }
    Ok(picked)
}

/// Writes the chain of a record (`subject_type`, `id`), levels from 0.
pub async fn open(tx: &mut Tx, subject_type: &str, id: i64, chain: &[Reviewer]) -> AppResult<()> {
    for (level, r) in chain.iter().enumerate() {
        sqlx::query(
            "INSERT INTO reviews (id, subject_type, subject_id, level, org_id, org_path) VALUES ($1,$2,$3,$4,$5,$6)",
        )
        .bind(new_id())
        .bind(subject_type)
        .bind(id)
        .bind(level as i64)
        .bind(r.org_id)
        .bind(&r.org_path)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// What a decision leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Approved here; the next level (its union's path) reviews now.
    Next(String),
    /// Approved at the last level.
    Approved,
    Rejected,
}

/// Records `decision` at the lowest open level of the record's chain, taken by `actor_name`
/// whose subtree is `scope`. A level outside the scope is refused (the record waits for
/// another union), as is a decision with no level left open.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    tx: &mut Tx,
    subject_type: &str,
    id: i64,
    scope: &Scope,
    decision: Decision,
    comment: Option<&str>,
    actor_name: &str,
    now: i64,
) -> AppResult<Outcome> {
    use crate::workflow::Named;
    let open: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT r.id, r.level, r.org_path, o.name FROM reviews r JOIN orgs o ON o.id = r.org_id \
         WHERE r.subject_type = $1 AND r.subject_id = $2 AND r.decision IS NULL ORDER BY r.level",
    )
    .bind(subject_type)
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let Some((row, _, path, name)) = open.first().cloned() else {
        return Err(AppError::conflict(
            "REVIEW_CLOSED",
            "审核已经结束，不能再次审核",
        ));
    };
    if !scope.contains(&path) {
        return Err(AppError::forbidden(
            "REVIEW_NOT_YOURS",
            format!("当前由“{name}”审核，您不能代为审核"),
        ));
    }
    if decision == Decision::Reject && comment.map(str::trim).unwrap_or("").is_empty() {
        return Err(AppError::invalid("不同意时请填写审核意见"));
    }
    let changed = sqlx::query(
        "UPDATE reviews SET decision = $1, comment = $2, actor = $3, decided_at = $4 WHERE id = $5 AND decision IS NULL",
    )
    .bind(decision.code())
    .bind(comment.map(str::trim).filter(|c| !c.is_empty()))
    .bind(actor_name)
    .bind(now)
    .bind(row)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这一级刚刚已经有人审核，请刷新后查看",
        ));
    }
    Ok(match (decision, open.get(1)) {
        (Decision::Reject, _) => Outcome::Rejected,
        (Decision::Approve, Some((_, _, next, _))) => Outcome::Next(next.clone()),
        (Decision::Approve, None) => Outcome::Approved,
    })
}

/// One level of a chain as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Level {
    pub level: i64,
    pub org_name: String,
    pub decision: Option<String>,
    pub comment: Option<String>,
    pub actor: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub decided_at: Option<i64>,
}

/// The chain of a record, lowest level first.
pub async fn levels(db: &Db, subject_type: &str, id: i64) -> AppResult<Vec<Level>> {
    Ok(sqlx::query_as(
        "SELECT r.level, o.name AS org_name, r.decision, r.comment, r.actor, r.decided_at \
         FROM reviews r JOIN orgs o ON o.id = r.org_id WHERE r.subject_type = $1 AND r.subject_id = $2 ORDER BY r.level",
    )
    .bind(subject_type)
    .bind(id)
    .fetch_all(db.pool())
    .await?)
}
