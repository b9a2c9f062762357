//! A union's officers: its chair, vice-chairs, the heads of its audit and women workers'
//! committees and its contact person, as the union page lists them. A small record per
//! union; the mobile is personal data (encrypted, shown masked), the name and position are
//! what the union itself publishes.

use serde::Serialize;
use sqlx::FromRow;

use super::orgs::Org;
use crate::audit::{self, Actor, Event};
use crate::crypto::{FieldKeys, mask_name};
use crate::db::{Db, new_id, now_ms};
use crate::error::{AppError, AppResult};
use crate::types::{Mobile, normalize_name, parse_date};

/// Positions, in the order the page lists them.
pub const POSITIONS: &[&str] = &[
    "主席",
    "常务副主席",
    "副主席",
    "经费审查委员会主任",
    "女职工委员会主任",
    "联络员",
];

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct Officer {
    pub id: i64,
    pub position: String,
    pub name: String,
    pub mobile_masked: Option<String>,
    pub since: Option<String>,
}

/// What a form gives for a new officer, as typed.
#[derive(Debug, Default, Clone)]
pub struct OfficerInput {
    pub position: String,
    pub name: String,
    pub mobile: String,
    pub since: String,
}

/// A union's officers in the order of [`POSITIONS`], then by when they took office.
pub async fn list(db: &Db, org_id: i64) -> AppResult<Vec<Officer>> {
    let mut rows: Vec<Officer> = sqlx::query_as(
        "SELECT id, position, name, mobile_masked, since FROM org_officers WHERE org_id = $1 ORDER BY since, id",
    )
    .bind(org_id)
    .fetch_all(db.pool())
    .await?;
    rows.sort_by_key(|o| POSITIONS.iter().position(|p| *p == o.position));
    Ok(rows)
}

/// Checks every field at once; `(field, message)` for each problem.
type Checked = (String, Option<Mobile>, Option<String>);

fn check(input: &OfficerInput) -> Result<Checked, Vec<(String, String)>> {
    let mut issues = Vec::new();
    if !POSITIONS.contains(&input.position.as_str()) {
        issues.push((
            "职务".into(),
            format!("请选择职务：{}", POSITIONS.join("、")),
        ));
    }
    let name = match normalize_name(&input.name) {
        Ok(n) => Some(n),
        Err(e) => {
            issues.push(("姓名".into(), e.message().to_string()));
            None
        }
    };
    let mobile = match input.mobile.trim() {
        "" => None,
        m => match Mobile::parse(m) {
            Ok(m) => Some(m),
            Err(e) => {
                issues.push(("手机号".into(), e.message().to_string()));
                None
            }
        },
    };
    let since = match input.since.trim() {
        "" => None,
        s => match parse_date(s) {
            Ok(d) if d > chrono::Local::now().date_naive() => {
                issues.push(("任职日期".into(), "任职日期不能晚于今天".into()));
                None
            }
            Ok(d) => Some(d.to_string()),
            Err(e) => {
                issues.push(("任职日期".into(), e.message().to_string()));
                None
            }
        },
    };
    match name {
        Some(name) if issues.is_empty() => Ok((name, mobile, since)),
        _ => Err(issues),
    }
}

/// Records an officer of `org` (recorded in the audit trail with the name masked). The inner
/// `Err` lists every problem of the input, `(field, message)`.
pub async fn add(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    org: &Org,
    input: &OfficerInput,
) -> AppResult<Result<i64, Vec<(String, String)>>> {
    let (name, mobile, since) = match check(input) {
        Ok(v) => v,
        Err(issues) => return Ok(Err(issues)),
    };
    let id = new_id();
    let backend = db.backend();
    let position = input.position.clone();
    let (org_id, org_code) = (org.id, org.code.clone());
    let enc = mobile.as_ref().map(|m| keys.encrypt(m.as_str()));
    let masked = mobile.as_ref().map(Mobile::masked);
    let actor = actor.clone();
    db.write(move |tx| {
        let (name, position, since, enc, masked, actor, org_code) = (
            name.clone(),
            position.clone(),
            since.clone(),
            enc.clone(),
            masked.clone(),
            actor.clone(),
            org_code.clone(),
        );
        Box::pin(async move {
            let now = now_ms();
            sqlx::query(
                "INSERT INTO org_officers (id, org_id, position, name, mobile_enc, mobile_masked, since, created_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            )
            .bind(id)
            .bind(org_id)
            .bind(&position)
            .bind(&name)
            .bind(enc)
            .bind(&masked)
            .bind(&since)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            let detail = serde_json::json!({ "org": org_code, "position": position, "name": mask_name(&name), "mobile": masked, "since": since });
            audit::append_tx(tx, backend, &actor, now, Event::new("org.officer_add").target("org", org_id).detail(detail)).await?;
            Ok(())
        })
    })
    .await?;
    Ok(Ok(id))
}

/// Removes an officer of `org` (one who left office).
pub async fn remove(db: &Db, actor: &Actor, org: &Org, officer_id: i64) -> AppResult<()> {
    let backend = db.backend();
    let (org_id, org_code, actor) = (org.id, org.code.clone(), actor.clone());
    db.write(move |tx| {
        let (org_code, actor) = (org_code.clone(), actor.clone());
        Box::pin(async move {
            let row: Option<(String, String)> = sqlx::query_as(
                "SELECT position, name FROM org_officers WHERE id = $1 AND org_id = $2",
            )
            .bind(officer_id)
            .bind(org_id)
            .fetch_optional(&mut **tx)
            .await?;
            let (position, name) = row.ok_or_else(|| AppError::not_found("工会负责人"))?;
            sqlx::query("DELETE FROM org_officers WHERE id = $1")
                .bind(officer_id)
                .execute(&mut **tx)
                .await?;
            let detail = serde_json::json!({ "org": org_code, "position": position, "name": mask_name(&name) });
            audit::append_tx(tx, backend, &actor, now_ms(), Event::new("org.officer_remove").target("org", org_id).detail(detail)).await?;
            Ok(())
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_of_an_officer_is_named_at_once() {
        let bad = OfficerInput {
            position: "会长".into(),
            name: " ".into(),
            mobile: "123".into(),
            since: "2999-01-01".into(),
        };
        let issues = check(&bad).unwrap_err();
        let fields: Vec<&str> = issues.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["职务", "姓名", "手机号", "任职日期"]);
        let good = OfficerInput {
            position: "主席".into(),
            name: "王 芳".into(),
            mobile: "13812345678".into(),
            since: "2023-03-01".into(),
        };
        let (name, mobile, since) = check(&good).unwrap();
        assert_eq!(name, "王芳");
        assert_eq!(mobile.unwrap().masked(), "138****5678");
        assert_eq!(since.as_deref(), Some("2023-03-01"));
    }
}
