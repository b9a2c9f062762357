//! Employers (单位): identified by 统一社会信用代码, covered by at most one union at a time.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::orgs::{self, Org};
use super::scope::Scope;
use crate::audit::{self, Actor, Event};
use crate::db::{Db, Tx, new_id, now_ms};
use crate::error::{AppError, AppResult};
use crate::types::{RegionCode, Uscc};

#[derive(Debug, Clone, Serialize, FromRow, ToSchema)]
pub struct Unit {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub uscc: String,
    /// False when the code's check character is wrong and an administrator accepted it.
    pub uscc_check_ok: i64,
    pub name: String,
    pub ownership: Option<String>,
    pub small_micro: i64,
    pub industry: Option<String>,
    pub region_code: Option<String>,
    pub employee_count: i64,
    #[serde(skip)]
    pub org_id: Option<i64>,
    /// Code of the covering union, if any.
    pub org_code: Option<String>,
    pub org_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct UnitFields {
    pub uscc: Uscc,
    pub name: String,
    pub ownership: Option<String>,
    pub small_micro: bool,
    pub industry: Option<String>,
    pub region_code: Option<RegionCode>,
    pub employee_count: i64,
}

const SELECT: &str = "SELECT u.id, u.uscc, u.uscc_check_ok, u.name, u.ownership, u.small_micro, u.industry, u.region_code, \
     u.employee_count, u.org_id, o.code AS org_code, o.name AS org_name FROM units u LEFT JOIN orgs o ON o.id = u.org_id";

/// Units are visible in a scope when their covering union is in it. A unit with no union is
/// an organising target of the federation whose area it lies in: visible to the whole
/// registry, and to a scope whose top union has a region code covering the unit's.
async fn visible(
    db: &Db,
    scope: &Scope,
    org_path: Option<&str>,
    region: Option<&str>,
) -> AppResult<bool> {
    Ok(match org_path {
        Some(p) => scope.contains(p),
        None if scope.is_all() => true,
        None => match (uncovered_area(db, scope).await?, region) {
            (Some(prefix), Some(r)) => r.starts_with(&prefix),
            _ => false,
        },
    })
}

/// The region-code prefix of the area whose employers without a union a scope sees: the
/// caller's own top union's, if that union is a federation with a region code (region codes
/// nest down the hierarchy, see `orgs::check_region_within`), else none.
pub(crate) async fn uncovered_area(db: &Db, scope: &Scope) -> AppResult<Option<String>> {
    Ok(orgs::scope_root(db, scope)
        .await?
        .filter(|o| orgs::AREA_KINDS.contains(&o.kind.as_str()))
        .and_then(|o| o.region_code)
        .map(|r| super::overview::region_prefix(&r).to_string()))
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Unit> {
    let row: Option<(Unit, Option<String>)> =
        fetch_one_with_path(db, "u.id = $1", id.to_string()).await?;
    match row {
        Some((u, p)) if visible(db, scope, p.as_deref(), u.region_code.as_deref()).await? => Ok(u),
        _ => Err(AppError::not_found("单位")),
    }
}

pub async fn get_by_uscc(db: &Db, scope: &Scope, uscc: &str) -> AppResult<Unit> {
    let row = fetch_one_with_path(db, "u.uscc = $1", uscc.to_string()).await?;
    match row {
        Some((u, p)) if visible(db, scope, p.as_deref(), u.region_code.as_deref()).await? => Ok(u),
        _ => Err(AppError::not_found("单位")),
    }
}

async fn fetch_one_with_path(
    db: &Db,
    cond: &str,
    arg: String,
) -> AppResult<Option<(Unit, Option<String>)>> {
    let id_cast = if cond.starts_with("u.id") {
        "u.id = CAST($1 AS BIGINT)"
    } else {
        cond
    };
    let sql = format!("{SELECT} WHERE {id_cast}");
    let unit: Option<Unit> = sqlx::query_as(&sql)
        .bind(&arg)
        .fetch_optional(db.pool())
        .await?;
    let Some(unit) = unit else { return Ok(None) };
    let path: Option<String> = sqlx::query_scalar("SELECT org_path FROM units WHERE id = $1")
        .bind(unit.id)
        .fetch_one(db.pool())
        .await?;
    Ok(Some((unit, path)))
}

#[derive(Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitFilter {
    /// Covered by this union or any union below it.
    pub org: Option<String>,
    /// Name or USCC contains this text.
    pub q: Option<String>,
    pub small_micro: Option<bool>,
    /// Only employers without a union (in the area of the scope).
    pub uncovered: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn list(db: &Db, scope: &Scope, f: &UnitFilter) -> AppResult<Vec<Unit>> {
    query(db, scope, f, 0).await
}

/// One page of [`list`] and whether another page follows.
pub async fn page(db: &Db, scope: &Scope, f: &UnitFilter) -> AppResult<(Vec<Unit>, bool)> {
    let mut rows = query(db, scope, f, 1).await?;
    let per_page = crate::db::Paging::new(f.page, f.per_page, 50).per_page as usize;
    let more = rows.len() > per_page;
    rows.truncate(per_page);
    Ok((rows, more))
}

/// The WHERE clause and arguments of a filter: the covering union's subtree (employers with
/// no union only when the scope is everything), and the search: pinyin or initials of the
/// name for letters, otherwise part of the name or credit code.
async fn filter_sql(db: &Db, scope: &Scope, f: &UnitFilter) -> AppResult<(String, Vec<String>)> {
    let narrowed = match f.org.as_deref().filter(|s| !s.is_empty()) {
        Some(code) => Some(orgs::get_by_code(db, scope, code).await?),
        None => None,
    };
    let within = match &narrowed {
        Some(o) => Scope::subtree(&o.path),
        None => scope.clone(),
    };
    let (lo, hi) = within.range();
    let mut args = vec![lo, hi];
    // Employers without a union: everywhere for the whole registry, else in the area of the
    // caller's own federation, narrowed to a federation below it when one is asked for.
    let area = match (scope.is_all(), &narrowed) {
        (true, None) => Some(String::new()),
        (true, Some(o)) => uncovered_area(db, &Scope::subtree(&o.path)).await?,
        (false, narrowed) => {
            let own = uncovered_area(db, scope).await?;
            match (own, narrowed) {
                (Some(own), Some(o)) => uncovered_area(db, &Scope::subtree(&o.path))
                    .await?
                    .filter(|p| p.starts_with(&own)),
                (own, None) => own,
                (None, Some(_)) => None,
            }
        }
    };
    let uncovered = match area {
        Some(prefix) if prefix.is_empty() => Some("u.org_path IS NULL".to_string()),
        Some(prefix) => {
            args.push(format!("{prefix}%"));
            Some(format!(
                "(u.org_path IS NULL AND u.region_code LIKE ${})",
                args.len()
            ))
        }
        None => None,
    };
    let mut sql = match (f.uncovered, uncovered) {
        // ($1 and $2 are bound whatever the condition: PostgreSQL wants every one used.)
        (Some(true), Some(u)) => format!("({u} AND $1 = $1 AND $2 = $2)"),
        (Some(true), None) => "(1 = 0 AND $1 = $1 AND $2 = $2)".to_string(),
        (_, Some(u)) if f.uncovered != Some(false) => {
            format!("((u.org_path >= $1 AND u.org_path < $2) OR {u})")
        }
        _ => "(u.org_path >= $1 AND u.org_path < $2)".to_string(),
    };
    match f.q.as_deref().and_then(super::search::Typed::parse) {
        None => {}
        Some(super::search::Typed::Letters(forms)) => {
            let mut any = super::search::letters_conditions("u", &forms, &mut args);
            for form in &forms {
                // A credit code typed in lower case.
                args.push(crate::db::like_contains(&form.to_ascii_uppercase()));
                any.push(format!(
                    "u.uscc LIKE ${} {}",
                    args.len(),
                    crate::db::LIKE_ESCAPE
                ));
            }
            sql.push_str(&format!(" AND ({})", any.join(" OR ")));
        }
        Some(other) => {
            let text = match other {
                super::search::Typed::Digits(d) => d,
                super::search::Typed::Name(n) => n,
                super::search::Typed::Letters(_) => unreachable!("handled above"),
            };
            args.push(crate::db::like_contains(&text.to_uppercase()));
            let upper = args.len();
            args.push(crate::db::like_contains(&text));
            sql.push_str(&format!(
                " AND (u.name LIKE ${0} {1} OR u.uscc LIKE ${2} {1})",
                args.len(),
                crate::db::LIKE_ESCAPE,
                upper
            ));
        }
    }
    if let Some(sm) = f.small_micro {
        sql.push_str(if sm {
            " AND u.small_micro = 1"
        } else {
            " AND u.small_micro = 0"
        });
    }
    Ok((sql, args))
}

/// The employers a union covers itself (their covering path is the union's), by name, at
/// most `limit`; and how many in all.
pub async fn covered_by(db: &Db, org: &Org, limit: i64) -> AppResult<(Vec<Unit>, i64)> {
    let rows = sqlx::query_as(&format!(
        "{SELECT} WHERE u.org_path = $1 ORDER BY u.name, u.id LIMIT {}",
        limit.clamp(1, 500)
    ))
    .bind(&org.path)
    .fetch_all(db.pool())
    .await?;
    let total: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM units WHERE org_path = $1")
            .bind(&org.path)
            .fetch_one(db.pool())
            .await?;
    Ok((rows, total))
}

/// How many employers a filter finds.
pub async fn count(db: &Db, scope: &Scope, f: &UnitFilter) -> AppResult<i64> {
    let (w, args) = filter_sql(db, scope, f).await?;
    let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM units u WHERE {w}");
    let mut q = sqlx::query_scalar::<_, i64>(&sql);
    for a in args {
        q = q.bind(a);
    }
    Ok(q.fetch_one(db.pool()).await?)
}

/// The filtered employers of one page, plus `extra` rows beyond it (to tell whether more follow).
async fn query(db: &Db, scope: &Scope, f: &UnitFilter, extra: i64) -> AppResult<Vec<Unit>> {
    let (w, args) = filter_sql(db, scope, f).await?;
    let paging = crate::db::Paging::new(f.page, f.per_page, 50);
    let sql = format!(
        "{SELECT} WHERE {w} ORDER BY u.name, u.id LIMIT {} OFFSET {}",
        paging.per_page + extra,
        paging.offset()
    );
    let mut q = sqlx::query_as::<_, Unit>(&sql);
    for a in args {
        q = q.bind(a);
    }
    Ok(q.fetch_all(db.pool()).await?)
}

/// Inserts or updates a unit by USCC and sets its covering union. Returns (id, changed).
pub async fn upsert_tx(
    tx: &mut Tx,
    fields: &UnitFields,
    covering: Option<&Org>,
) -> AppResult<(i64, bool)> {
    if let Some(o) = covering
        && o.status != "active"
    {
        return Err(AppError::invalid(format!("覆盖工会“{}”已撤销", o.name)));
    }
    #[derive(FromRow)]
    struct Existing {
        id: i64,
        name: String,
        ownership: Option<String>,
        small_micro: i64,
        industry: Option<String>,
        region_code: Option<String>,
        employee_count: i64,
        org_id: Option<i64>,
    }
    let existing: Option<Existing> = sqlx::query_as(
        "SELECT id, name, ownership, small_micro, industry, region_code, employee_count, org_id FROM units WHERE uscc = $1",
    )
    .bind(fields.uscc.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let region = fields.region_code.as_ref().map(|r| r.as_str().to_string());
    let org_id = covering.map(|o| o.id);
    let org_path = covering.map(|o| o.path.clone());
    let now = now_ms();
    let pinyin = super::names::pinyin_forms(&fields.name);
    match existing {
        Some(e)
            if e.name == fields.name
                && e.ownership == fields.ownership
                && e.small_micro == fields.small_micro as i64
                && e.industry == fields.industry
                && e.region_code == region
                && e.employee_count == fields.employee_count
                && e.org_id == org_id =>
        {
            Ok((e.id, false))
        }
        Some(e) => {
            sqlx::query(
                "UPDATE units SET name=$1, ownership=$2, small_micro=$3, industry=$4, region_code=$5, employee_count=$6, \
                 org_id=$7, org_path=$8, uscc_check_ok=$9, updated_at=$10, name_pinyin=$12, name_initials=$13 WHERE id=$11",
            )
            .bind(&fields.name)
            .bind(fields.ownership.clone())
            .bind(fields.small_micro as i64)
            .bind(fields.industry.clone())
            .bind(region)
            .bind(fields.employee_count)
            .bind(org_id)
            .bind(org_path)
            .bind(fields.uscc.check_ok() as i64)
            .bind(now)
            .bind(e.id)
            .bind(pinyin.0)
            .bind(pinyin.1)
            .execute(&mut **tx)
            .await?;
            if e.employee_count != fields.employee_count {
                let today = crate::clock::local_date(now);
                super::headcounts::changed(tx, e.id, fields.employee_count, today).await?;
            }
            if e.org_id != org_id
                && let Some(path) = covering.map(|o| o.path.as_str())
            {
                crate::contracts::unit_moved(tx, e.id, path).await?;
            }
            Ok((e.id, true))
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO units (id, uscc, uscc_check_ok, name, ownership, small_micro, industry, region_code, employee_count, org_id, org_path, created_at, updated_at, name_pinyin, name_initials) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12,$13,$14)",
            )
            .bind(id)
            .bind(fields.uscc.as_str())
            .bind(fields.uscc.check_ok() as i64)
            .bind(&fields.name)
            .bind(fields.ownership.clone())
            .bind(fields.small_micro as i64)
            .bind(fields.industry.clone())
            .bind(region)
            .bind(fields.employee_count)
            .bind(org_id)
            .bind(org_path)
            .bind(now)
            .bind(pinyin.0)
            .bind(pinyin.1)
            .execute(&mut **tx)
            .await?;
            super::headcounts::start(tx, id, fields.employee_count).await?;
            Ok((id, true))
        }
    }
}

/// Creates or updates a unit through the API; the covering union must be in scope.
pub async fn save(
    db: &Db,
    actor: &Actor,
    fields: UnitFields,
    org_code: Option<String>,
) -> AppResult<Unit> {
    let actor2 = actor.clone();
    let uscc = fields.uscc.as_str().to_string();
    let backend = db.backend();
    let area = uncovered_area(db, &actor.scope).await?;
    db.write(move |tx| {
        let (actor, fields, org_code, area) =
            (actor2.clone(), fields.clone(), org_code.clone(), area.clone());
        Box::pin(async move {
            let scope = actor.scope.clone();
            let covering = match org_code.as_deref().filter(|c| !c.trim().is_empty()) {
                Some(c) => Some(orgs::get_by_code_tx(tx, &scope, c).await?),
                None if scope.is_all() => None,
                None => return Err(AppError::invalid("请填写覆盖该单位的工会代码")),
            };
            // An existing unit covered by a union outside the caller's scope is not theirs to change.
            // One without a union may be taken on by a union of its area.
            let current: Option<(Option<String>, Option<String>)> =
                sqlx::query_as("SELECT org_path, region_code FROM units WHERE uscc = $1")
                    .bind(fields.uscc.as_str())
                    .fetch_optional(&mut **tx)
                    .await?;
            let theirs = |path: &Option<String>, region: &Option<String>| match path {
                Some(p) => scope.contains(p),
                None => {
                    scope.is_all()
                        || area
                            .as_deref()
                            .zip(region.as_deref())
                            .is_some_and(|(a, r)| r.starts_with(a))
                }
            };
            if let Some((path, region)) = &current
                && !theirs(path, region)
            {
                return Err(AppError::conflict(
                    "UNIT_OTHER_SCOPE",
                    "该统一社会信用代码的单位已由其他工会覆盖",
                ));
            }
            let outcome = upsert_tx(tx, &fields, covering.as_ref()).await?;
            let detail = serde_json::json!({
                "existed": current.is_some(), "changed": outcome.1,
                "after": { "uscc": fields.uscc.as_str(), "name": fields.name, "ownership": fields.ownership, "small_micro": fields.small_micro,
                           "industry": fields.industry, "employee_count": fields.employee_count, "org": covering.as_ref().map(|o| o.code.clone()) },
            });
            audit::append_tx(tx, backend, &actor, now_ms(), Event::new("unit.save").target("unit", fields.uscc.as_str()).detail(detail)).await?;
            Ok(outcome)
        })
    })
    .await?;
    get_by_uscc(db, &actor.scope, &uscc).await
}
