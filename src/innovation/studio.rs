//! 劳模工匠创新工作室: a studio led by a model worker or craftsman, hosted by an employer, with
//! its members, named at a level by a union of the platform (at a level that union may give) or
//! recorded from a naming outside it (省总工会 …). A studio's union is its leader's. A naming may
//! be revoked (撤销命名), with a reason; the studio then leaves the figures.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::people::{self, Role};
use crate::activities::contests::Level;
use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, Paging, Where, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::orgs;
use crate::registry::scope::Scope;
use crate::workflow::{self, Named, Set, coded_enum, given, issue};

/// The kind of record in the audit trail.
pub const CASE: &str = "innovation_studio";

coded_enum! {
    /// Whether a naming stands.
    StudioStatus {
        Named = "named", "已命名";
        Revoked = "revoked", "已撤销命名";
    }
}

/// A studio to name, as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StudioInput {
    /// 工作室名称 (张三劳模创新工作室).
    pub name: Option<String>,
    /// 专业领域 (数控加工, 电力检修 …).
    pub field: Option<String>,
    /// The leader (领衔人): a member's ID number …
    pub leader_id_number: Option<String>,
    /// … or their id in the registry.
    pub leader_member_id: Option<String>,
    /// The host employer's 统一社会信用代码 (依托单位), if any.
    pub uscc: Option<String>,
    /// Code or label of the level (`city` or 市级).
    pub level: Option<String>,
    /// The naming union's code (the leader's union or one above it, in the caller's scope) …
    pub named_by: Option<String>,
    /// … or the body outside the platform that named it (省总工会).
    pub named_body: Option<String>,
    pub named_on: Option<String>,
    /// 命名文号.
    pub document_no: Option<String>,
    /// Members' ID numbers, one per line.
    pub members: Option<String>,
}

/// A studio as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Studio {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    /// 依托单位.
    pub unit_name: Option<String>,
    pub name: String,
    pub field: String,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub leader_id: i64,
    pub leader_name: String,
    pub leader_masked: Option<String>,
    pub level: String,
    #[sqlx(skip)]
    pub level_label: String,
    /// The naming union's or body's name.
    pub named_body: String,
    /// The naming union's code; null when named outside the platform.
    pub named_by_code: Option<String>,
    pub named_on: String,
    pub document_no: Option<String>,
    /// Members counted with the leader.
    pub people: i64,
    pub status: String,
    #[sqlx(skip)]
    pub status_label: String,
    pub revoked_on: Option<String>,
    pub revoke_reason: Option<String>,
    pub version: i64,
}

const SELECT: &str = "s.id, o.code AS org_code, o.name AS org_name, s.org_path, u.name AS unit_name, s.name, s.field, \
    s.leader_id, m.name AS leader_name, m.id_masked AS leader_masked, s.level, s.named_body, n.code AS named_by_code, \
    s.named_on, s.document_no, (SELECT CAST(COUNT(*) AS BIGINT) FROM innovation_people p WHERE p.owner_id = s.id) AS people, \
    s.status, s.revoked_on, s.revoke_reason, s.version \
    FROM innovation_studios s JOIN orgs o ON o.id = s.org_id JOIN members m ON m.id = s.leader_id \
    LEFT JOIN units u ON u.id = s.unit_id LEFT JOIN orgs n ON n.id = s.named_by_id";
const COUNT_FROM: &str = "FROM innovation_studios s";

fn labelled(mut s: Studio) -> Studio {
    s.level_label = Level::parse(&s.level).map_or_else(|| s.level.clone(), |l| l.label().into());
    s.status_label =
        StudioStatus::parse(&s.status).map_or_else(|| s.status.clone(), |l| l.label().into());
    s
}

/// Studio `id` if its union is in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Studio> {
    Ok(labelled(
        crate::registry::scope::one_in_scope(db, SELECT, "s", id, scope, "创新工作室").await?,
    ))
}

fn refused(issues: Vec<crate::error::FieldIssue>) -> AppError {
    AppError::invalid_fields("创新工作室信息有误，请按提示修改", issues)
}

/// Names a studio (or records one named outside the platform), with its leader and members.
/// Every problem of the input at once.
pub async fn name(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    i: &StudioInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Studio> {
    let mut issues = Vec::new();
    let studio_name = given(i.name.as_deref()).map(|n| n.chars().take(100).collect::<String>());
    if studio_name.is_none() {
        issues.push(issue("工作室名称", "请填写工作室名称"));
    }
    let field = given(i.field.as_deref()).map(|n| n.chars().take(50).collect::<String>());
    if field.is_none() {
        issues.push(issue("专业领域", "请填写专业领域（如 数控加工）"));
    }
    let leader = crate::registry::members::active_in_scope(
        db,
        keys,
        &actor.scope,
        "领衔人",
        "领衔人",
        i.leader_id_number.as_deref(),
        i.leader_member_id.as_deref(),
        &mut issues,
    )
    .await?;
    let unit =
        workflow::unit_in_scope(db, &actor.scope, "依托单位", i.uscc.as_deref(), &mut issues)
            .await?;
    let level: Option<Level> = workflow::pick("命名级别", i.level.as_deref(), &mut issues);
    let on = workflow::date("命名日期", i.named_on.as_deref(), &mut issues);
    if on.is_some_and(|d| d > today) {
        issues.push(issue("命名日期", "命名日期不能晚于今天"));
    }
    // Named by a union of the platform the caller works for, above the studio; or by a body
    // outside it, written out.
    let named_by = match (given(i.named_by.as_deref()), given(i.named_body.as_deref())) {
        (Some(code), _) => match orgs::get_by_code(db, &actor.scope, code).await {
            Ok(g)
                if leader
                    .as_ref()
                    .is_none_or(|l| l.org.path.starts_with(&g.path)) =>
            {
                Some(g)
            }
            _ => {
                issues.push(issue(
                    "命名单位",
                    format!("工会代码“{code}”不是领衔人所在工会或其在您管理范围内的上级工会"),
                ));
                None
            }
        },
        (None, Some(_)) => None,
        (None, None) => {
            issues.push(issue(
                "命名单位",
                "请填写命名的工会代码，或外单位命名机关（如 省总工会）",
            ));
            None
        }
    };
    if let (Some(level), Some(g)) = (level, &named_by)
        && let Some(why) = level.beyond(g, "命名")
    {
        issues.push(issue("命名级别", why));
    }
    let body = match &named_by {
        Some(g) => Some(g.name.clone()),
        None => given(i.named_body.as_deref()).map(|b| b.chars().take(100).collect()),
    };
    let members = people::listed(
        db,
        keys,
        &actor.scope,
        "成员",
        i.members.as_deref(),
        &mut issues,
    )
    .await?;
    let doc = given(i.document_no.as_deref()).map(|d| d.chars().take(100).collect::<String>());
    let (Some(studio_name), Some(field), Some(leader), Some(level), Some(on), Some(body)) =
        (studio_name, field, leader, level, on, body)
    else {
        return Err(refused(issues));
    };
    if !issues.is_empty() {
        return Err(refused(issues));
    }
    let id = new_id();
    let once_key = format!("{}:{studio_name}:{}", leader.org.id, level.code());
    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO innovation_studios (id, org_id, org_path, unit_id, name, field, leader_id, level, named_by_id, named_path, \
         named_body, named_on, document_no, status, once_key, created_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'named',$14,$15,$16,$16)",
    )
    .bind(id)
    .bind(leader.org.id)
    .bind(&leader.org.path)
    .bind(unit.as_ref().map(|u| u.id))
    .bind(&studio_name)
    .bind(&field)
    .bind(leader.id)
    .bind(level.code())
    .bind(named_by.as_ref().map(|g| g.id))
    .bind(named_by.as_ref().map(|g| g.path.clone()))
    .bind(&body)
    .bind(on.to_string())
    .bind(&doc)
    .bind(&once_key)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted.map_err(AppError::from) {
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::conflict(
                "STUDIO_EXISTS",
                format!(
                    "“{studio_name}”已是{}的{}创新工作室",
                    leader.org.name,
                    level.label()
                ),
            ));
        }
        other => {
            other?;
        }
    }
    people::add(&mut tx, id, leader.id, Role::Leader, on).await?;
    for m in &members {
        people::add(&mut tx, id, m.id, Role::Member, on).await?;
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("innovation.studio.name")
            .target(CASE, id)
            .detail(
                serde_json::json!({"level": level.code(), "body": body, "members": members.len()}),
            ),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// Adds the members listed by ID number to studio `id`; returns how many were new.
pub async fn add_members(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    id: i64,
    typed: Option<&str>,
    today: NaiveDate,
    now: i64,
) -> AppResult<usize> {
    let s = get(db, &actor.scope, id).await?;
    standing(&s)?;
    let mut issues = Vec::new();
    let listed = people::listed(db, keys, &actor.scope, "成员", typed, &mut issues).await?;
    if listed.is_empty() && issues.is_empty() {
        issues.push(issue("成员", "请填写成员的身份证号，每行一个"));
    }
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "成员名单有误，请按提示修改",
            issues,
        ));
    }
    let mut tx = db.begin_write().await?;
    let mut added = 0;
    for m in &listed {
        if people::add(&mut tx, id, m.id, Role::Member, today).await? {
            added += 1;
        }
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("innovation.studio.members")
            .target(CASE, id)
            .detail(serde_json::json!({"added": added})),
    )
    .await?;
    tx.commit().await?;
    Ok(added)
}

/// Takes member `member_id` off studio `id` (the leader stays: name a new studio for a new
/// leader).
pub async fn remove_member(
    db: &Db,
    actor: &Actor,
    id: i64,
    member_id: i64,
    now: i64,
) -> AppResult<()> {
    let s = get(db, &actor.scope, id).await?;
    standing(&s)?;
    if member_id == s.leader_id {
        return Err(AppError::conflict("LEADER_STAYS", "领衔人不能移出工作室"));
    }
    let mut tx = db.begin_write().await?;
    if !people::remove(&mut tx, id, member_id).await? {
        return Err(AppError::not_found("工作室成员"));
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("innovation.studio.member_removed")
            .target(CASE, id)
            .detail(serde_json::json!({"member": member_id.to_string()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn standing(s: &Studio) -> AppResult<()> {
    if s.status == StudioStatus::Revoked.code() {
        return Err(AppError::conflict(
            "STUDIO_REVOKED",
            format!("“{}”已撤销命名", s.name),
        ));
    }
    Ok(())
}

/// Revokes studio `id`'s naming, with a reason; it leaves the figures.
pub async fn revoke(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    reason: &str,
    today: NaiveDate,
    now: i64,
) -> AppResult<Studio> {
    let reason = workflow::required(reason, "撤销理由", 500)?;
    let s = get(db, &actor.scope, id).await?;
    standing(&s)?;
    let mut tx = db.begin_write().await?;
    workflow::update_case(
        &mut tx,
        "innovation_studios",
        id,
        version,
        StudioStatus::Named.code(),
        StudioStatus::Revoked.code(),
        now,
        &[
            Set::Text("revoked_on", Some(today.to_string())),
            Set::Text("revoke_reason", Some(reason.clone())),
            Set::Text("once_key", None),
        ],
        "这个工作室",
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("innovation.studio.revoke")
            .target(CASE, id)
            .detail(serde_json::json!({"reason_chars": reason.chars().count()})),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// What a studio list asks for (within a scope).
#[derive(Debug, Default, Clone)]
pub struct StudioFilter {
    pub level: Option<Level>,
    pub status: Option<StudioStatus>,
    /// Named from / to (the drill behind the figure: standing namings only).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Name or field contains this.
    pub q: Option<String>,
    pub paging: Paging,
}

/// One page of the studios of `scope`, newest naming first, and how many there are.
pub async fn list(db: &Db, scope: &Scope, f: &StudioFilter) -> AppResult<(Vec<Studio>, i64)> {
    let mut w = Where::in_scope("s.org_path", scope);
    if let Some(l) = f.level {
        w.and("s.level = ?", &[l.code()]);
    }
    if let Some(s) = f.status {
        w.and("s.status = ?", &[s.code()]);
    }
    if f.from.is_some() || f.to.is_some() {
        w.and("s.status = 'named'", &[]);
    }
    if let Some(d) = &f.from {
        w.and("s.named_on >= ?", &[d]);
    }
    if let Some(d) = &f.to {
        w.and("s.named_on <= ?", &[d]);
    }
    if let Some(q) = given(f.q.as_deref()) {
        let like = crate::db::like_contains(q);
        w.and(
            "(s.name LIKE ? ESCAPE '\\' OR s.field LIKE ? ESCAPE '\\')",
            &[&like, &like],
        );
    }
    let (rows, total) = crate::db::paged::<Studio>(
        db,
        SELECT,
        COUNT_FROM,
        &w.cond,
        "s.named_on DESC, s.id DESC",
        &w.args,
        &f.paging,
    )
    .await?;
    Ok((rows.into_iter().map(labelled).collect(), total))
}

/// The standing studios of `scope` a form may pick (id, name), by name.
pub async fn choices(db: &Db, scope: &Scope) -> AppResult<Vec<(String, String)>> {
    let (lo, hi) = scope.range();
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, name FROM innovation_studios WHERE org_path >= $1 AND org_path < $2 AND status = 'named' ORDER BY name, id LIMIT 500",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id.to_string(), n))
        .collect())
}
