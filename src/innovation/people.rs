//! The people of a studio, an achievement or a project's team, in one table (`owner_id` is
//! the studio's, the achievement's or the project's id): each member once, with a role.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::crypto::FieldKeys;
use crate::db::{Db, Tx};
use crate::error::{AppResult, FieldIssue};
use crate::registry::members::{self, Named as Member};
use crate::registry::scope::Scope;
use crate::workflow::{Named, coded_enum, given, issue};

/// The most people one list may name.
pub const MAX_LISTED: usize = 200;

coded_enum! {
    /// A person's part.
    Role {
        Leader = "leader", "领衔人";
        Member = "member", "成员";
        Author = "author", "完成人";
    }
}

/// A person as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Person {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub member_id: i64,
    pub name: String,
    pub id_masked: Option<String>,
    pub org_name: String,
    pub role: String,
    #[sqlx(skip)]
    pub role_label: String,
    pub joined_on: String,
}

/// The people of `owner_id`: leaders first, then in the order they joined.
pub async fn of(db: &Db, owner_id: i64) -> AppResult<Vec<Person>> {
    let rows: Vec<Person> = sqlx::query_as(
        "SELECT p.member_id, m.name, m.id_masked, COALESCE(o.name, '') AS org_name, p.role, p.joined_on FROM innovation_people p \
         JOIN members m ON m.id = p.member_id LEFT JOIN orgs o ON o.id = m.org_id WHERE p.owner_id = $1 \
         ORDER BY CASE p.role WHEN 'leader' THEN 0 WHEN 'author' THEN 1 ELSE 2 END, p.joined_on, m.name",
    )
    .bind(owner_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|mut p| {
            p.role_label =
                Role::parse(&p.role).map_or_else(|| p.role.clone(), |r| r.label().into());
            p
        })
        .collect())
}

/// Adds `member_id` to `owner_id` as `role`; false when already there.
pub async fn add(
    tx: &mut Tx,
    owner_id: i64,
    member_id: i64,
    role: Role,
    on: NaiveDate,
) -> AppResult<bool> {
    let done = sqlx::query(
        "INSERT INTO innovation_people (owner_id, member_id, role, joined_on) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (owner_id, member_id) DO NOTHING",
    )
    .bind(owner_id)
    .bind(member_id)
    .bind(role.code())
    .bind(on.to_string())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// Takes `member_id` off `owner_id` (never its leader); false when not there.
pub async fn remove(tx: &mut Tx, owner_id: i64, member_id: i64) -> AppResult<bool> {
    let done = sqlx::query(
        "DELETE FROM innovation_people WHERE owner_id = $1 AND member_id = $2 AND role <> 'leader'",
    )
    .bind(owner_id)
    .bind(member_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// The members a form lists by ID number or registry id (one per line, or separated by commas
/// or 、), each
/// active and in `scope`, each once; what is wrong goes to `issues` under `field`, naming the
/// entry. A blank list is no one.
pub async fn listed(
    db: &Db,
    keys: &FieldKeys,
    scope: &Scope,
    field: &str,
    typed: Option<&str>,
    issues: &mut Vec<FieldIssue>,
) -> AppResult<Vec<Member>> {
    let entries: Vec<&str> = given(typed)
        .unwrap_or("")
        .split(['\n', ',', '，', '、', ';', '；', ' ', '\t', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if entries.len() > MAX_LISTED {
        issues.push(issue(
            field,
            format!("一次最多填写{MAX_LISTED}人，这里有{}人", entries.len()),
        ));
        return Ok(Vec::new());
    }
    let mut found: Vec<Member> = Vec::new();
    for (n, typed) in entries.iter().enumerate() {
        let mut problems = Vec::new();
        // A registry id (19 digits, from a member's page or another system) or an ID number.
        let registry_id = typed.len() == 19 && typed.bytes().all(|b| b.is_ascii_digit());
        let (id_number, member_id) = if registry_id {
            (None, Some(*typed))
        } else {
            (Some(*typed), None)
        };
        let m = members::active_in_scope(
            db,
            keys,
            scope,
            field,
            "成员",
            id_number,
            member_id,
            &mut problems,
        )
        .await?;
        for p in problems {
            issues.push(issue(field, format!("第{}个：{}", n + 1, p.message)));
        }
        if let Some(m) = m
            && !found.iter().any(|f| f.id == m.id)
        {
            found.push(m);
        }
    }
    Ok(found)
}
