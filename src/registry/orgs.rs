//! Unions (工会组织) and their hierarchy, kept as a materialised path (`/id/id/…/`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::counters;
use super::scope::Scope;
use crate::audit::{self, Actor, Event};
use crate::db::{Db, Tx, new_id, now_ms, path_upper};
use crate::error::{AppError, AppResult};
use crate::types::RegionCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    National,
    Provincial,
    City,
    District,
    Street,
    Community,
    Industry,
    Grassroots,
    Joint,
}

impl OrgKind {
    pub const ALL: [OrgKind; 9] = [
        OrgKind::National,
        OrgKind::Provincial,
        OrgKind::City,
        OrgKind::District,
        OrgKind::Street,
        OrgKind::Community,
        OrgKind::Industry,
        OrgKind::Grassroots,
        OrgKind::Joint,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrgKind::National => "national",
            OrgKind::Provincial => "provincial",
            OrgKind::City => "city",
            OrgKind::District => "district",
            OrgKind::Street => "street",
            OrgKind::Community => "community",
            OrgKind::Industry => "industry",
            OrgKind::Grassroots => "grassroots",
            OrgKind::Joint => "joint",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgKind::National => "全国总工会",
            OrgKind::Provincial => "省总工会",
            OrgKind::City => "市总工会",
            OrgKind::District => "县(区)总工会",
            OrgKind::Street => "乡镇(街道)工会联合会",
            OrgKind::Community => "社区(村)工会联合会",
            OrgKind::Industry => "行业工会(联合会)",
            OrgKind::Grassroots => "基层工会",
            OrgKind::Joint => "联合基层工会",
        }
    }

    /// Accepts the stored code or the Chinese label (and a few common variants).
    pub fn parse(s: &str) -> AppResult<OrgKind> {
        let s = s.trim();
        let alias = match s {
            "县总工会" | "区总工会" | "开发区工会" | "园区工会" => {
                Some(OrgKind::District)
            }
            "街道工会联合会" | "乡镇工会联合会" | "街道工会" | "乡镇工会" => {
                Some(OrgKind::Street)
            }
            "社区工会联合会" | "村工会联合会" | "社区联合会" => {
                Some(OrgKind::Community)
            }
            "行业工会" | "行业工会联合会" | "产业工会" => Some(OrgKind::Industry),
            "独立基层工会" | "基层工会(独立)" => Some(OrgKind::Grassroots),
            "联合工会" => Some(OrgKind::Joint),
            _ => None,
        };
        alias
            .or_else(|| {
                OrgKind::ALL
                    .into_iter()
                    .find(|k| k.code() == s || k.label() == s)
            })
            .ok_or_else(|| {
                AppError::invalid(format!(
                    "组织类型“{s}”无法识别，可选：基层工会、联合基层工会、乡镇(街道)工会联合会等"
                ))
            })
    }

    /// Grassroots-level unions (those that hold members directly).
    pub fn is_grassroots(self) -> bool {
        matches!(self, OrgKind::Grassroots | OrgKind::Joint)
    }
}

#[derive(Debug, Clone, Serialize, FromRow, ToSchema)]
pub struct Org {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    #[serde(skip)]
    pub parent_id: Option<i64>,
    pub path: String,
    pub depth: i64,
    pub region_code: Option<String>,
    pub founded_on: Option<String>,
    pub new_employment: i64,
    pub industry: Option<String>,
    pub standardised: i64,
    pub status: String,
    pub closed_on: Option<String>,
}

/// Validated fields of a union, as created by the API or an import row.
#[derive(Debug, Clone)]
pub struct OrgFields {
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    pub region_code: Option<RegionCode>,
    pub founded_on: Option<NaiveDate>,
    pub new_employment: bool,
    pub industry: Option<String>,
    pub standardised: bool,
}

impl OrgFields {
    /// The fields as recorded in the audit trail.
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.code, "name": self.name, "kind": self.kind.code(),
            "region_code": self.region_code.as_ref().map(|r| r.as_str().to_string()),
            "founded_on": self.founded_on.map(|d| d.to_string()),
            "new_employment": self.new_employment, "industry": self.industry, "standardised": self.standardised,
        })
    }
}

pub fn validate_code(code: &str) -> AppResult<String> {
    let c = crate::types::normalize_code(code);
    if c.is_empty()
        || c.len() > 32
        || !c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::invalid("工会代码应为1—32位字母、数字、-或_"));
    }
    Ok(c)
}

pub fn validate_name(name: &str, what: &str) -> AppResult<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AppError::invalid(format!("{what}不能为空")));
    }
    if n.chars().count() > 100 {
        return Err(AppError::invalid(format!("{what}过长（最多100个字）")));
    }
    if n.chars().any(char::is_control) {
        return Err(AppError::invalid(format!("{what}不能包含换行或控制字符")));
    }
    Ok(n.to_string())
}

const COLS: &str = "id, code, name, kind, parent_id, path, depth, region_code, founded_on, new_employment, industry, standardised, status, closed_on";

/// Every union (imports resolve codes and parents against the whole table in memory).
pub async fn all(db: &Db) -> AppResult<Vec<Org>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM orgs"))
        .fetch_all(db.pool())
        .await?)
}

pub async fn get_by_code(db: &Db, scope: &Scope, code: &str) -> AppResult<Org> {
    let org: Option<Org> = sqlx::query_as(&format!("SELECT {COLS} FROM orgs WHERE code = $1"))
        .bind(code.trim())
        .fetch_optional(db.pool())
        .await?;
    org.filter(|o| scope.contains(&o.path))
        .ok_or_else(|| AppError::not_found("工会"))
}

pub async fn get_by_code_tx(tx: &mut Tx, scope: &Scope, code: &str) -> AppResult<Org> {
    let org: Option<Org> = sqlx::query_as(&format!("SELECT {COLS} FROM orgs WHERE code = $1"))
        .bind(code.trim())
        .fetch_optional(&mut **tx)
        .await?;
    org.filter(|o| scope.contains(&o.path))
        .ok_or_else(|| AppError::not_found("工会"))
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Org> {
    let org: Option<Org> = sqlx::query_as(&format!("SELECT {COLS} FROM orgs WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    org.filter(|o| scope.contains(&o.path))
        .ok_or_else(|| AppError::not_found("工会"))
}

/// The root union of a scope (for `Scope::all()`, the top-most union).
/// Unions that organise the employers of their area (federations of every level and street
/// federations); a union of one company or a joint union sees only the employers it covers.
pub const AREA_KINDS: [&str; 5] = ["national", "provincial", "city", "district", "street"];

/// Union kinds that have members of their own.
pub const MEMBER_KINDS: [&str; 3] = ["grassroots", "joint", "industry"];

/// Unions for a picker: active ones within `within` whose code starts with, name contains, or
/// pinyin or initials start with what was typed (optionally only those that take members),
/// in code order, at most `limit`.
pub async fn pick(
    db: &Db,
    within: &Scope,
    typed: &str,
    members_only: bool,
    limit: i64,
) -> AppResult<Vec<Org>> {
    use super::search::Typed;
    let (lo, hi) = within.range();
    let mut args = vec![lo, hi];
    let mut cond = String::from("path >= $1 AND path < $2 AND status = 'active'");
    if members_only {
        cond.push_str(&format!(
            " AND kind IN ({})",
            MEMBER_KINDS.map(|k| format!("'{k}'")).join(",")
        ));
    }
    match Typed::parse(typed) {
        None => {}
        Some(Typed::Letters(forms)) => {
            let mut any = super::search::letters_conditions("orgs", &forms, &mut args);
            for form in &forms {
                args.push(format!(
                    "{}%",
                    crate::db::like_escape(&form.to_ascii_uppercase())
                ));
                any.push(format!(
                    "upper(code) LIKE ${} {}",
                    args.len(),
                    crate::db::LIKE_ESCAPE
                ));
            }
            cond.push_str(&format!(" AND ({})", any.join(" OR ")));
        }
        Some(Typed::Digits(t) | Typed::Name(t)) => {
            args.push(crate::db::like_contains(&t));
            args.push(format!("{}%", crate::db::like_escape(&t.to_uppercase())));
            cond.push_str(&format!(
                " AND (name LIKE ${} {e} OR upper(code) LIKE ${} {e})",
                args.len() - 1,
                args.len(),
                e = crate::db::LIKE_ESCAPE
            ));
        }
    }
    let sql = format!(
        "SELECT {COLS} FROM orgs WHERE {cond} ORDER BY code LIMIT {}",
        limit.clamp(1, 50)
    );
    let mut q = sqlx::query_as::<_, Org>(&sql);
    for a in &args {
        q = q.bind(a);
    }
    Ok(q.fetch_all(db.pool()).await?)
}

/// Every column holding a union's materialised path (a record's place in the hierarchy): a
/// subtree move rewrites them all.
const PATH_COLUMNS: &[(&str, &str)] = &[
    ("units", "org_path"),
    ("members", "org_path"),
    ("memberships", "org_path"),
    ("petitions", "org_path"),
    ("petitions", "received_path"),
    ("disputes", "org_path"),
    ("advocates", "org_path"),
    ("ledger_accounts", "org_path"),
    ("ledger_postings", "org_path"),
    ("ledger_lines", "org_path"),
    ("hardship_files", "org_path"),
    ("reviews", "org_path"),
    ("aid_campaigns", "org_path"),
    ("aid_applications", "org_path"),
    ("aid_applications", "review_path"),
    ("aid_batches", "org_path"),
    ("aid_payouts", "org_path"),
    ("mutual_plans", "org_path"),
    ("mutual_enrolments", "org_path"),
    ("mutual_claims", "org_path"),
    ("mutual_claims", "review_path"),
    ("fund_receipts", "org_path"),
    ("fund_policies", "org_path"),
    ("fund_refunds", "org_path"),
    ("fund_grants", "org_path"),
    ("contracts", "org_path"),
    ("contract_units", "org_path"),
    ("contract_reminders", "org_path"),
    ("bargain_campaigns", "org_path"),
    ("bargain_offers", "org_path"),
    ("congresses", "org_path"),
    ("disclosures", "org_path"),
    ("democracy_checks", "org_path"),
    ("activities", "org_path"),
    ("activities", "eligible_path"),
    ("activity_sessions", "org_path"),
    ("activity_signups", "org_path"),
    ("activity_checkins", "org_path"),
    ("activity_spending", "org_path"),
    ("contest_trades", "org_path"),
    ("contest_entrants", "org_path"),
    ("contest_awards", "org_path"),
    ("honours", "org_path"),
    ("honours", "awarding_path"),
    ("honours", "review_path"),
    ("honour_care", "org_path"),
    ("innovation_studios", "org_path"),
    ("innovation_studios", "named_path"),
    ("innovation_achievements", "org_path"),
    ("mentor_pairs", "org_path"),
    ("innovation_projects", "org_path"),
    ("research_tasks", "org_path"),
    ("research_visits", "org_path"),
    ("questionnaires", "org_path"),
    ("questionnaire_answers", "org_path"),
    ("research_issues", "org_path"),
];

/// `scope` narrowed to the subtree of the union a filter names by code (blank: all of
/// `scope`); a union outside it is not found.
pub async fn narrowed(db: &Db, scope: &Scope, code: Option<&str>) -> AppResult<Scope> {
    Ok(match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => Scope::subtree(&get_by_code(db, scope, code).await?.path),
        None => scope.clone(),
    })
}

/// The materialised paths of the unions above the one at `path` (`/1/2/3/` → `/1/`, `/1/2/`).
pub fn paths_above(path: &str) -> Vec<&str> {
    path.char_indices()
        .filter(|(i, c)| *c == '/' && *i > 0 && *i + 1 < path.len())
        .map(|(i, _)| &path[..=i])
        .collect()
}

/// The unions above `org`, top first.
pub async fn ancestors_of(db: &Db, org: &Org) -> AppResult<Vec<Org>> {
    let prefixes = paths_above(&org.path);
    if prefixes.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLS} FROM orgs WHERE path IN ({}) ORDER BY depth",
        crate::db::in_list(prefixes.len())
    );
    let mut q = sqlx::query_as::<_, Org>(&sql);
    for p in prefixes {
        q = q.bind(p.to_string());
    }
    Ok(q.fetch_all(db.pool()).await?)
}

/// The unions directly below `parent` (the top unions for `None`), in code order, each with
/// how many unions are directly below it.
pub async fn children_with_counts(db: &Db, parent: Option<&Org>) -> AppResult<Vec<(Org, i64)>> {
    let children: Vec<Org> = match parent {
        Some(p) => {
            sqlx::query_as(&format!(
                "SELECT {COLS} FROM orgs WHERE parent_id = $1 ORDER BY code"
            ))
            .bind(p.id)
            .fetch_all(db.pool())
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {COLS} FROM orgs WHERE parent_id IS NULL ORDER BY code"
            ))
            .fetch_all(db.pool())
            .await?
        }
    };
    if children.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT parent_id, CAST(COUNT(*) AS BIGINT) FROM orgs WHERE parent_id IN ({}) GROUP BY parent_id",
        crate::db::in_list(children.len())
    );
    let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
    for c in &children {
        q = q.bind(c.id);
    }
    let counts: std::collections::HashMap<i64, i64> =
        q.fetch_all(db.pool()).await?.into_iter().collect();
    Ok(children
        .into_iter()
        .map(|c| {
            let n = counts.get(&c.id).copied().unwrap_or(0);
            (c, n)
        })
        .collect())
}

pub async fn scope_root(db: &Db, scope: &Scope) -> AppResult<Option<Org>> {
    let (lo, hi) = scope.range();
    let org: Option<Org> = sqlx::query_as(&format!(
        "SELECT {COLS} FROM orgs WHERE path >= $1 AND path < $2 ORDER BY depth, path LIMIT 1"
    ))
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    Ok(org)
}

#[derive(Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgFilter {
    /// Only direct children of this union code.
    pub parent: Option<String>,
    /// Name or code contains this text.
    pub q: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub limit: Option<i64>,
}

pub async fn list(db: &Db, scope: &Scope, f: &OrgFilter) -> AppResult<Vec<Org>> {
    let (lo, hi) = scope.range();
    let mut sql = format!("SELECT {COLS} FROM orgs WHERE path >= $1 AND path < $2");
    let mut args: Vec<String> = vec![lo, hi];
    if let Some(parent) = f.parent.as_deref().filter(|p| !p.is_empty()) {
        let p = get_by_code(db, scope, parent).await?;
        args.push(p.id.to_string());
        sql.push_str(&format!(" AND parent_id = CAST(${} AS BIGINT)", args.len()));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        args.push(crate::db::like_contains(q));
        sql.push_str(&format!(
            " AND (name LIKE ${0} {1} OR code LIKE ${0} {1})",
            args.len(),
            crate::db::LIKE_ESCAPE
        ));
    }
    if let Some(kind) = f.kind.as_deref().filter(|k| !k.is_empty()) {
        args.push(OrgKind::parse(kind)?.code().into());
        sql.push_str(&format!(" AND kind = ${}", args.len()));
    }
    if let Some(status) = f.status.as_deref().filter(|k| !k.is_empty()) {
        args.push(status.into());
        sql.push_str(&format!(" AND status = ${}", args.len()));
    }
    let limit = f.limit.unwrap_or(200).clamp(1, 5000);
    sql.push_str(&format!(" ORDER BY path LIMIT {limit}"));
    let mut q = sqlx::query_as::<_, Org>(&sql);
    for a in args {
        q = q.bind(a);
    }
    Ok(q.fetch_all(db.pool()).await?)
}

/// Creates a union under `parent_code` (which must be in scope). Only the whole-registry scope
/// may create a union without a parent (the top of the hierarchy).
pub async fn create(
    db: &Db,
    actor: &Actor,
    fields: OrgFields,
    parent_code: Option<&str>,
) -> AppResult<Org> {
    let (scope, actor) = (actor.scope.clone(), actor.clone());
    let backend = db.backend();
    let parent_code = parent_code.map(str::to_string);
    let code = db
        .write(move |tx| {
            let (scope, fields, parent_code, actor) = (scope.clone(), fields.clone(), parent_code.clone(), actor.clone());
            Box::pin(async move {
                let parent = match parent_code.as_deref().filter(|p| !p.trim().is_empty()) {
                    Some(pc) => Some(get_by_code_tx(tx, &scope, pc).await.map_err(|_| {
                        AppError::invalid(format!("上级工会代码“{pc}”不存在或不在您的管理范围内"))
                    })?),
                    None if scope.is_all() => None,
                    None => return Err(AppError::invalid("请填写上级工会代码")),
                };
                let id = insert_tx(tx, &fields, parent.as_ref()).await?;
                let detail = serde_json::json!({ "after": fields.audit_json(), "parent": parent.as_ref().map(|p| p.code.clone()) });
                audit::append_tx(tx, backend, &actor, now_ms(), Event::new("org.create").target("org", id).detail(detail)).await?;
                Ok(fields.code.clone())
            })
        })
        .await?;
    get_by_code(db, &Scope::all(), &code).await
}

/// A union's region code lies within its parent's area (when both have one): the areas of
/// the hierarchy nest, and what a federation sees of employers without a union follows them.
fn check_region_within(parent: &Org, region: Option<&str>) -> AppResult<()> {
    match (parent.region_code.as_deref(), region) {
        (Some(p), Some(r)) if !r.starts_with(super::overview::region_prefix(p)) => {
            Err(AppError::invalid(format!(
                "行政区划代码“{r}”不在上级工会“{}”的区划（{p}）之内",
                parent.name
            )))
        }
        _ => Ok(()),
    }
}

pub async fn insert_tx(tx: &mut Tx, fields: &OrgFields, parent: Option<&Org>) -> AppResult<i64> {
    if let Some(p) = parent
        && p.status != "active"
    {
        return Err(AppError::invalid(format!(
            "上级工会“{}”已撤销，不能在其下新建工会",
            p.name
        )));
    }
    if let Some(p) = parent {
        check_region_within(p, fields.region_code.as_ref().map(|r| r.as_str()))?;
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1")
        .bind(&fields.code)
        .fetch_optional(&mut **tx)
        .await?;
    if exists.is_some() {
        return Err(AppError::conflict(
            "ORG_CODE_TAKEN",
            format!("工会代码“{}”已被使用", fields.code),
        ));
    }
    let id = new_id();
    // A compact number per union keeps paths short (`/1/2/a/2bx/`): they are stored in every
    // member and membership row and in four indexes.
    let num: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(num), 0) + 1 AS BIGINT) FROM orgs")
        .fetch_one(&mut **tx)
        .await?;
    let (path, depth) = match parent {
        Some(p) => (format!("{}{}/", p.path, segment(num)), p.depth + 1),
        None => (format!("/{}/", segment(num)), 0),
    };
    let now = now_ms();
    let pinyin = super::names::pinyin_forms(&fields.name);
    sqlx::query(
        "INSERT INTO orgs (id, code, name, kind, parent_id, path, depth, region_code, founded_on, new_employment, industry, standardised, status, created_at, updated_at, num, name_pinyin, name_initials) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,'active',$13,$13,$14,$15,$16)",
    )
    .bind(id)
    .bind(&fields.code)
    .bind(&fields.name)
    .bind(fields.kind.code())
    .bind(parent.map(|p| p.id))
    .bind(path)
    .bind(depth)
    .bind(fields.region_code.as_ref().map(|r| r.as_str().to_string()))
    .bind(fields.founded_on.map(|d| d.to_string()))
    .bind(fields.new_employment as i64)
    .bind(fields.industry.clone())
    .bind(fields.standardised as i64)
    .bind(now)
    .bind(num)
    .bind(pinyin.0)
    .bind(pinyin.1)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Updates a union's own fields (not its place in the tree). Returns whether anything changed.
pub async fn update_tx(tx: &mut Tx, org: &Org, fields: &OrgFields) -> AppResult<bool> {
    let same = org.name == fields.name
        && org.kind == fields.kind.code()
        && org.region_code.as_deref() == fields.region_code.as_ref().map(|r| r.as_str())
        && org.founded_on == fields.founded_on.map(|d| d.to_string())
        && org.new_employment == fields.new_employment as i64
        && org.industry == fields.industry
        && org.standardised == fields.standardised as i64;
    if same {
        return Ok(false);
    }
    if let Some(parent_id) = org.parent_id {
        let parent: Org = sqlx::query_as(&format!("SELECT {COLS} FROM orgs WHERE id = $1"))
            .bind(parent_id)
            .fetch_one(&mut **tx)
            .await?;
        check_region_within(&parent, fields.region_code.as_ref().map(|r| r.as_str()))?;
    }
    let pinyin = super::names::pinyin_forms(&fields.name);
    sqlx::query(
        "UPDATE orgs SET name=$1, kind=$2, region_code=$3, founded_on=$4, new_employment=$5, industry=$6, standardised=$7, updated_at=$8, \
         name_pinyin=$10, name_initials=$11 WHERE id=$9",
    )
    .bind(&fields.name)
    .bind(fields.kind.code())
    .bind(fields.region_code.as_ref().map(|r| r.as_str().to_string()))
    .bind(fields.founded_on.map(|d| d.to_string()))
    .bind(fields.new_employment as i64)
    .bind(fields.industry.clone())
    .bind(fields.standardised as i64)
    .bind(now_ms())
    .bind(org.id)
    .bind(pinyin.0)
    .bind(pinyin.1)
    .execute(&mut **tx)
    .await?;
    if counters::is_counted(&org.kind) != counters::is_counted(fields.kind.code()) {
        counters::kind_changed(tx, org.id, &org.path, fields.kind.code()).await?;
        crate::figures::hierarchy_changed(tx).await?;
    }
    Ok(true)
}

pub async fn update(db: &Db, actor: &Actor, code: &str, fields: OrgFields) -> AppResult<Org> {
    let (actor2, code2) = (actor.clone(), code.to_string());
    let backend = db.backend();
    db.write(move |tx| {
        let (actor, code, fields) = (actor2.clone(), code2.clone(), fields.clone());
        Box::pin(async move {
            let org = get_by_code_tx(tx, &actor.scope, &code).await?;
            let changed = update_tx(tx, &org, &fields).await?;
            if changed {
                let detail = serde_json::json!({ "before": org, "after": fields.audit_json() });
                audit::append_tx(
                    tx,
                    backend,
                    &actor,
                    now_ms(),
                    Event::new("org.update")
                        .target("org", org.id)
                        .detail(detail),
                )
                .await?;
            }
            Ok(changed)
        })
    })
    .await?;
    get_by_code(db, &actor.scope, code).await
}

/// Moves a union and its whole subtree under another parent. Paths of the subtree's unions,
/// employers, members and membership history are rewritten in the same transaction.
pub async fn move_subtree(
    db: &Db,
    actor: &Actor,
    code: &str,
    new_parent_code: &str,
) -> AppResult<Org> {
    let (actor2, code2, parent2) = (actor.clone(), code.to_string(), new_parent_code.to_string());
    let backend = db.backend();
    db.write(move |tx| {
        let (actor, code, parent_code) = (actor2.clone(), code2.clone(), parent2.clone());
        Box::pin(async move {
            let scope = actor.scope.clone();
            let org = get_by_code_tx(tx, &scope, &code).await?;
            let parent = get_by_code_tx(tx, &scope, &parent_code)
                .await
                .map_err(|_| AppError::invalid(format!("目标上级工会“{parent_code}”不存在或不在您的管理范围内")))?;
            if org.parent_id.is_none() || org.path == scope.path() {
                return Err(AppError::invalid("不能移动您管理范围的最上级工会"));
            }
            if parent.path.starts_with(&org.path) {
                return Err(AppError::invalid(format!(
                    "不能把“{}”移到它自己或它的下级工会“{}”之下（会形成循环）",
                    org.name, parent.name
                ))
                .with_code("ORG_CYCLE"));
            }
            check_region_within(&parent, org.region_code.as_deref())?;
            if parent.status != "active" {
                return Err(AppError::invalid("目标上级工会已撤销"));
            }
            if org.parent_id == Some(parent.id) {
                return Ok(());
            }
            let own = org.path.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
            let new_path = format!("{}{own}/", parent.path);
            let depth_delta = parent.depth + 1 - org.depth;
            let (old_lo, old_hi) = (org.path.clone(), path_upper(&org.path));
            let cut = org.path.len() as i64 + 1;
            // The federation-level totals above the subtree change: its people are taken out
            // with the old paths and counted again with the new ones.
            let mut totals = counters::Deltas::new();
            counters::contribute_subtree(tx, &org.path, -1, &mut totals).await?;
            sqlx::query("UPDATE orgs SET parent_id = $1, updated_at = $2 WHERE id = $3")
                .bind(parent.id)
                .bind(now_ms())
                .bind(org.id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("UPDATE orgs SET path = $1 || substr(path, CAST($2 AS INTEGER)), depth = depth + $3 WHERE path >= $4 AND path < $5")
                .bind(&new_path)
                .bind(cut)
                .bind(depth_delta)
                .bind(&old_lo)
                .bind(&old_hi)
                .execute(&mut **tx)
                .await?;
            for (table, column) in PATH_COLUMNS {
                sqlx::query(&format!(
                    "UPDATE {table} SET {column} = $1 || substr({column}, CAST($2 AS INTEGER)) WHERE {column} >= $3 AND {column} < $4"
                ))
                .bind(&new_path)
                .bind(cut)
                .bind(&old_lo)
                .bind(&old_hi)
                .execute(&mut **tx)
                .await?;
            }
            counters::contribute_subtree(tx, &new_path, 1, &mut totals).await?;
            counters::write_deltas(tx, totals).await?;
            crate::figures::hierarchy_changed(tx).await?;
            let old_parent: Option<String> = match org.parent_id {
                Some(pid) => sqlx::query_scalar("SELECT code FROM orgs WHERE id = $1").bind(pid).fetch_optional(&mut **tx).await?,
                None => None,
            };
            let detail = serde_json::json!({ "before": { "parent": old_parent, "path": org.path }, "after": { "parent": parent.code, "path": new_path } });
            audit::append_tx(tx, backend, &actor, now_ms(), Event::new("org.move").target("org", org.id).detail(detail)).await?;
            Ok(())
        })
    })
    .await?;
    get_by_code(db, &actor.scope, code).await
}

/// Closes (撤销) a union that has no active members and no active child unions.
pub async fn close(db: &Db, actor: &Actor, code: &str, on: NaiveDate) -> AppResult<Org> {
    let (actor2, code2) = (actor.clone(), code.to_string());
    let backend = db.backend();
    db.write(move |tx| {
        let (actor, code) = (actor2.clone(), code2.clone());
        Box::pin(async move {
            let org = get_by_code_tx(tx, &actor.scope, &code).await?;
            if org.status == "closed" {
                return Ok(());
            }
            let members: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND end_date IS NULL",
            )
            .bind(org.id)
            .fetch_one(&mut **tx)
            .await?;
            if members > 0 {
                return Err(AppError::conflict(
                    "ORG_HAS_MEMBERS",
                    format!(
                        "“{}”还有{members}名会员（含保留会籍），请先办理转会或离会后再撤销",
                        org.name
                    ),
                ));
            }
            let children: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM orgs WHERE parent_id = $1 AND status = 'active'",
            )
            .bind(org.id)
            .fetch_one(&mut **tx)
            .await?;
            if children > 0 {
                return Err(AppError::conflict(
                    "ORG_HAS_CHILDREN",
                    format!("“{}”下还有{children}个未撤销的下级工会", org.name),
                ));
            }
            sqlx::query(
                "UPDATE orgs SET status = 'closed', closed_on = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(on.to_string())
            .bind(now_ms())
            .bind(org.id)
            .execute(&mut **tx)
            .await?;
            let detail = serde_json::json!({ "before": { "status": org.status }, "after": { "status": "closed", "closed_on": on.to_string() } });
            audit::append_tx(tx, backend, &actor, now_ms(), Event::new("org.close").target("org", org.id).detail(detail)).await?;
            Ok(())
        })
    })
    .await?;
    get_by_code(db, &actor.scope, code).await
}

/// Base-36 form of a union's number, used as its path segment.
pub fn segment(num: i64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = num.max(0) as u64;
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_paths_above_are_the_prefixes() {
        assert_eq!(super::paths_above("/1/2/3/"), vec!["/1/", "/1/2/"]);
        assert!(super::paths_above("/1/").is_empty());
        assert!(super::paths_above("/").is_empty());
    }

    use super::*;

    #[test]
    fn segments_are_short_and_never_contain_the_separator() {
        assert_eq!(segment(1), "1");
        assert_eq!(segment(36), "10");
        assert_eq!(segment(6000), "4mo");
        assert!((1..100_000).all(|n| !segment(n).contains('/')));
    }
}
