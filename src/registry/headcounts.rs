//! An employer's headcount over time (`unit_headcounts`): the registry keeps one interval per
//! count, so coverage figures count a contract's employees as they were at the date asked, not
//! as they are today. The first count known stands for every earlier day.

use chrono::NaiveDate;

use crate::db::Tx;
use crate::error::AppResult;

/// The open end of the current interval.
pub const OPEN: &str = "9999-12-31";

/// The first interval of an employer just registered.
pub async fn start(tx: &mut Tx, unit_id: i64, count: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO unit_headcounts (unit_id, from_on, to_on, employee_count) VALUES ($1, '0001-01-01', $2, $3)",
    )
    .bind(unit_id)
    .bind(OPEN)
    .bind(count)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The employer's count changed on `on`: the current interval ends the day before and a new
/// one starts (a second change on the same day corrects that day's interval).
pub async fn changed(tx: &mut Tx, unit_id: i64, count: i64, on: NaiveDate) -> AppResult<()> {
    let day = on.to_string();
    let current: Option<String> =
        sqlx::query_scalar("SELECT from_on FROM unit_headcounts WHERE unit_id = $1 AND to_on = $2")
            .bind(unit_id)
            .bind(OPEN)
            .fetch_optional(&mut **tx)
            .await?;
    match current {
        Some(from) if from >= day => {
            sqlx::query(
                "UPDATE unit_headcounts SET employee_count = $1 WHERE unit_id = $2 AND to_on = $3",
            )
            .bind(count)
            .bind(unit_id)
            .bind(OPEN)
            .execute(&mut **tx)
            .await?;
        }
        Some(_) => {
            let before = on.pred_opt().unwrap_or(on).to_string();
            sqlx::query("UPDATE unit_headcounts SET to_on = $1 WHERE unit_id = $2 AND to_on = $3")
                .bind(before)
                .bind(unit_id)
                .bind(OPEN)
                .execute(&mut **tx)
                .await?;
            sqlx::query(
                "INSERT INTO unit_headcounts (unit_id, from_on, to_on, employee_count) VALUES ($1, $2, $3, $4)",
            )
            .bind(unit_id)
            .bind(&day)
            .bind(OPEN)
            .bind(count)
            .execute(&mut **tx)
            .await?;
        }
        None => start(tx, unit_id, count).await?,
    }
    Ok(())
}

/// The employer's headcount at the end of `on`.
pub async fn at(tx: &mut Tx, unit_id: i64, on: NaiveDate) -> AppResult<i64> {
    let day = on.to_string();
    Ok(sqlx::query_scalar(
        "SELECT employee_count FROM unit_headcounts WHERE unit_id = $1 AND from_on <= $2 AND to_on >= $2",
    )
    .bind(unit_id)
    .bind(day)
    .fetch_optional(&mut **tx)
    .await?
    .unwrap_or(0))
}
