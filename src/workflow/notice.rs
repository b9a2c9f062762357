//! A public notice (公示): a record approved for an honour (later other records) is shown in
//! public for some days before it takes effect; anyone may object meanwhile. Objections are
//! kept here for any kind of record (`subject_type`, `subject_id`); the record's module keeps
//! how many are open and ends the notice only when none is.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::db::{Db, Tx, new_id};
use crate::error::{AppError, AppResult};

/// An objection raised during a public notice.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
#[schema(as = NoticeObjection)]
pub struct Objection {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub raised_on: String,
    pub raised_by: String,
    pub text: String,
    /// `upheld` (the record is refused) or `dismissed`; null while open.
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub resolved_by: Option<String>,
}

/// An objection as received (a letter, a call, the notice board).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = NoticeObjectionInput)]
#[serde(deny_unknown_fields)]
pub struct ObjectionInput {
    pub text: String,
}

/// How an objection was settled.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = NoticeResolveInput)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// `upheld`: the objection stands and the record is refused; `dismissed`.
    pub resolution: String,
    pub note: String,
}

impl ResolveInput {
    /// Whether the objection was upheld; an unknown resolution is refused in words.
    pub fn upheld(&self) -> AppResult<bool> {
        match self.resolution.trim() {
            "upheld" => Ok(true),
            "dismissed" => Ok(false),
            _ => Err(AppError::invalid(
                "处理结果应为 upheld（异议成立）或 dismissed（异议不成立）",
            )),
        }
    }
}

/// The objections to a record, oldest first.
pub async fn objections(db: &Db, subject_type: &str, id: i64) -> AppResult<Vec<Objection>> {
    Ok(sqlx::query_as(
        "SELECT id, raised_on, raised_by, text, resolution, resolution_note, resolved_by FROM notice_objections \
         WHERE subject_type = $1 AND subject_id = $2 ORDER BY raised_on, id",
    )
    .bind(subject_type)
    .bind(id)
    .fetch_all(db.pool())
    .await?)
}

/// Records an objection (its text checked) and returns how many are open now.
pub async fn raise(
    tx: &mut Tx,
    subject_type: &str,
    id: i64,
    i: &ObjectionInput,
    on: chrono::NaiveDate,
    by: &str,
) -> AppResult<i64> {
    let text = super::required(&i.text, "异议内容", 1000)?;
    sqlx::query(
        "INSERT INTO notice_objections (id, subject_type, subject_id, raised_on, raised_by, text) VALUES ($1,$2,$3,$4,$5,$6)",
    )
    .bind(new_id())
    .bind(subject_type)
    .bind(id)
    .bind(on.to_string())
    .bind(by)
    .bind(&text)
    .execute(&mut **tx)
    .await?;
    open_count(tx, subject_type, id).await
}

/// Settles open objection `objection_id` of a record; returns whether it was upheld and how
/// many remain open. One already settled (or not the record's) is refused.
pub async fn resolve(
    tx: &mut Tx,
    subject_type: &str,
    id: i64,
    objection_id: i64,
    i: &ResolveInput,
    by: &str,
    now: i64,
) -> AppResult<(bool, i64)> {
    let upheld = i.upheld()?;
    let note = super::required(&i.note, "处理说明", 1000)?;
    let changed = sqlx::query(
        "UPDATE notice_objections SET resolution = $1, resolution_note = $2, resolved_by = $3, resolved_at = $4 \
         WHERE id = $5 AND subject_type = $6 AND subject_id = $7 AND resolution IS NULL",
    )
    .bind(if upheld { "upheld" } else { "dismissed" })
    .bind(&note)
    .bind(by)
    .bind(now)
    .bind(objection_id)
    .bind(subject_type)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这条异议不存在或已经处理过",
        ));
    }
    Ok((upheld, open_count(tx, subject_type, id).await?))
}

async fn open_count(tx: &mut Tx, subject_type: &str, id: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM notice_objections WHERE subject_type = $1 AND subject_id = $2 AND resolution IS NULL",
    )
    .bind(subject_type)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?)
}
