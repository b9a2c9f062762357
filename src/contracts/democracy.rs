//! Democratic management per employer (民主管理): the sessions of its 职工代表大会 (or 职工大会)
//! with their motions (提案) and how each was handled, what it discloses to its workers (厂务
//! 公开: items, how and how often), and a yearly checklist — 职代会, 厂务公开, a 劳动法律监督
//! committee, a channel for workers' claims (员工诉求) — confirmed by a named cadre. The
//! 职代会 and 厂务公开 建制率 count the checklists.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::db::{Db, new_id, now_ms};
use crate::error::{AppError, AppResult};
use crate::registry::scope::Scope;
use crate::workflow::{self, Named, coded_enum, given, issue};

coded_enum! {
    /// How a motion was handled.
    MotionStatus {
        Open = "open", "待处理";
        Accepted = "accepted", "立案办理中";
        Done = "done", "已办结";
        NotAccepted = "not_accepted", "不予立案（转意见建议）";
    }
}

/// The unionised employer `unit_id` of `scope`, with where it is counted.
async fn employer_in_scope(db: &Db, scope: &Scope, unit_id: i64) -> AppResult<(String, String)> {
    let (lo, hi) = scope.range();
    let found: Option<(String, String)> = sqlx::query_as(
        "SELECT name, org_path FROM units WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(unit_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    found.ok_or_else(|| AppError::not_found("单位"))
}

/// A session as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CongressInput {
    /// 职工代表大会 or 职工大会.
    pub kind: Option<String>,
    /// Which session: 第三届第二次.
    pub session: Option<String>,
    pub held_on: Option<String>,
    pub delegates: Option<i64>,
    pub present: Option<i64>,
    pub note: Option<String>,
    /// The motions raised, one title each (proposer after a colon, optional).
    #[serde(default)]
    pub motions: Vec<String>,
}

/// Records a session of an employer's congress with its motions.
pub async fn add_congress(
    db: &Db,
    actor: &Actor,
    unit_id: i64,
    i: &CongressInput,
    today: NaiveDate,
) -> AppResult<i64> {
    let (_, path) = employer_in_scope(db, &actor.scope, unit_id).await?;
    let mut issues = Vec::new();
    let kind = given(i.kind.as_deref()).unwrap_or("职工代表大会");
    if !["职工代表大会", "职工大会"].contains(&kind) {
        issues.push(issue("会议形式", "会议形式应为“职工代表大会”或“职工大会”"));
    }
    let session = given(i.session.as_deref()).map(|s| s.chars().take(50).collect::<String>());
    if session.is_none() {
        issues.push(issue("届次", "请填写届次，如“第三届第二次”"));
    }
    let held = workflow::date("召开日期", i.held_on.as_deref(), &mut issues);
    if held.is_some_and(|d| d > today) {
        issues.push(issue("召开日期", "召开日期不能晚于今天"));
    }
    let (d, p) = (i.delegates.unwrap_or(0), i.present.unwrap_or(0));
    if d <= 0 {
        issues.push(issue("应到人数", "请填写应到代表（职工）人数"));
    } else if p < 0 || p > d {
        issues.push(issue("实到人数", "实到人数应在0与应到人数之间"));
    } else if p * 3 < d * 2 {
        issues.push(issue(
            "实到人数",
            format!("实到 {p} 人，不足应到 {d} 人的三分之二，会议不能召开"),
        ));
    }
    if i.motions.len() > 500 {
        issues.push(issue("提案", "一次会议最多登记500件提案"));
    }
    let (Some(session), Some(held)) = (session, held) else {
        return Err(AppError::invalid_fields(
            "会议记录有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "会议记录有误，请按提示修改",
            issues,
        ));
    }
    let id = new_id();
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO congresses (id, unit_id, org_path, kind, session, held_on, delegates, present, note, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(id)
    .bind(unit_id)
    .bind(&path)
    .bind(kind)
    .bind(&session)
    .bind(held.to_string())
    .bind(d)
    .bind(p)
    .bind(given(i.note.as_deref()).map(|n| n.chars().take(500).collect::<String>()))
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for m in i.motions.iter().filter_map(|m| given(Some(m))) {
        let (title, proposer) = match m.split_once(['：', ':']) {
            Some((t, p)) if !t.trim().is_empty() => (t.trim(), given(Some(p))),
            _ => (m, None),
        };
        sqlx::query(
            "INSERT INTO congress_motions (id, congress_id, unit_id, title, proposer, status, updated_by, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        )
        .bind(new_id())
        .bind(id)
        .bind(unit_id)
        .bind(title.chars().take(200).collect::<String>())
        .bind(proposer.map(|p| p.chars().take(50).collect::<String>()))
        .bind(MotionStatus::Open.code())
        .bind(&actor.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contract.congress")
            .target("unit", unit_id)
            .detail(serde_json::json!({"session": session, "held_on": held.to_string(), "motions": i.motions.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// How a motion was handled.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MotionInput {
    /// `accepted`, `done` or `not_accepted` (code or label).
    pub status: Option<String>,
    pub handling: Option<String>,
}

/// Records how motion `id` (of an employer in scope) was handled.
pub async fn handle_motion(db: &Db, actor: &Actor, id: i64, i: &MotionInput) -> AppResult<()> {
    let unit: Option<i64> =
        sqlx::query_scalar("SELECT unit_id FROM congress_motions WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    let unit = unit.ok_or_else(|| AppError::not_found("提案"))?;
    employer_in_scope(db, &actor.scope, unit)
        .await
        .map_err(|_| AppError::not_found("提案"))?;
    let mut issues = Vec::new();
    let status: Option<MotionStatus> = workflow::pick("办理状态", i.status.as_deref(), &mut issues);
    let handling = given(i.handling.as_deref()).map(|h| h.chars().take(1000).collect::<String>());
    if handling.is_none() && status != Some(MotionStatus::Open) {
        issues.push(issue("办理情况", "请写明办理情况或不予立案的理由"));
    }
    let Some(status) = status.filter(|_| issues.is_empty()) else {
        return Err(AppError::invalid_fields(
            "提案办理情况有误，请按提示修改",
            issues,
        ));
    };
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE congress_motions SET status = $1, handling = $2, updated_by = $3, updated_at = $4 WHERE id = $5")
        .bind(status.code())
        .bind(&handling)
        .bind(&actor.name)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contract.motion")
            .target("congress_motion", id)
            .detail(serde_json::json!({"status": status.code()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A disclosure item as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureInput {
    pub year: Option<i64>,
    /// What is disclosed: 工资分配, 社会保险缴纳, 劳动安全卫生 …
    pub item: Option<String>,
    /// How: 公开栏, 职代会, 内部网站, 微信群 …
    pub channel: Option<String>,
    /// How often: 每月, 每季度, 每半年, 每年, 不定期.
    pub frequency: Option<String>,
}

/// The frequencies a disclosure may have.
pub const FREQUENCIES: &[&str] = &["每月", "每季度", "每半年", "每年", "不定期"];

/// Records an item an employer discloses to its workers.
pub async fn add_disclosure(
    db: &Db,
    actor: &Actor,
    unit_id: i64,
    i: &DisclosureInput,
    today: NaiveDate,
) -> AppResult<i64> {
    let (_, path) = employer_in_scope(db, &actor.scope, unit_id).await?;
    let mut issues = Vec::new();
    let year = i.year.unwrap_or(i64::from(chrono::Datelike::year(&today)));
    if !(2000..=i64::from(chrono::Datelike::year(&today)) + 1).contains(&year) {
        issues.push(issue("年度", "年度不正确"));
    }
    let item = given(i.item.as_deref()).map(|s| s.chars().take(100).collect::<String>());
    if item.is_none() {
        issues.push(issue("公开事项", "请填写公开事项，如“工资分配”"));
    }
    let channel = given(i.channel.as_deref()).map(|s| s.chars().take(50).collect::<String>());
    if channel.is_none() {
        issues.push(issue("公开形式", "请填写公开形式，如“公开栏”"));
    }
    let frequency = given(i.frequency.as_deref());
    if !frequency.is_some_and(|f| FREQUENCIES.contains(&f)) {
        issues.push(issue(
            "公开频次",
            format!("请选择公开频次：{}", FREQUENCIES.join("、")),
        ));
    }
    let (Some(item), Some(channel), Some(frequency)) = (item, channel, frequency) else {
        return Err(AppError::invalid_fields(
            "厂务公开事项有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "厂务公开事项有误，请按提示修改",
            issues,
        ));
    }
    let id = new_id();
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO disclosures (id, unit_id, org_path, year, item, channel, frequency, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
    )
    .bind(id)
    .bind(unit_id)
    .bind(&path)
    .bind(year)
    .bind(&item)
    .bind(&channel)
    .bind(frequency)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contract.disclosure")
            .target("unit", unit_id)
            .detail(serde_json::json!({"year": year, "item": item})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A year's checklist as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistInput {
    /// 职代会 (or 职工大会) in place and held this year.
    pub congress: bool,
    /// 厂务公开 in place.
    pub disclosure: bool,
    /// A 劳动法律监督 committee.
    pub supervision: bool,
    /// A channel for workers' claims (员工诉求).
    pub grievance: bool,
    pub note: Option<String>,
}

/// A year's checklist as kept.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Checklist {
    pub year: i64,
    pub congress: i64,
    pub disclosure: i64,
    pub supervision: i64,
    pub grievance: i64,
    pub note: Option<String>,
    pub confirmed_by: String,
    pub confirmed_on: String,
}

/// Confirms an employer's checklist for `year` (a later confirmation replaces it, recorded).
pub async fn confirm(
    db: &Db,
    actor: &Actor,
    unit_id: i64,
    year: i64,
    i: &ChecklistInput,
    today: NaiveDate,
) -> AppResult<Checklist> {
    let (_, path) = employer_in_scope(db, &actor.scope, unit_id).await?;
    if !(2000..=i64::from(chrono::Datelike::year(&today))).contains(&year) {
        return Err(AppError::invalid("只能确认今年及以前年度的民主管理情况"));
    }
    let now = now_ms();
    let note = given(i.note.as_deref()).map(|n| n.chars().take(500).collect::<String>());
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM democracy_checks WHERE unit_id = $1 AND year = $2")
        .bind(unit_id)
        .bind(year)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO democracy_checks (unit_id, year, org_path, congress, disclosure, supervision, grievance, note, confirmed_by, confirmed_on) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    )
    .bind(unit_id)
    .bind(year)
    .bind(&path)
    .bind(i64::from(i.congress))
    .bind(i64::from(i.disclosure))
    .bind(i64::from(i.supervision))
    .bind(i64::from(i.grievance))
    .bind(&note)
    .bind(&actor.name)
    .bind(today.to_string())
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contract.checklist").target("unit", unit_id).detail(serde_json::json!({
            "year": year, "congress": i.congress, "disclosure": i.disclosure, "supervision": i.supervision, "grievance": i.grievance,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Checklist {
        year,
        congress: i64::from(i.congress),
        disclosure: i64::from(i.disclosure),
        supervision: i64::from(i.supervision),
        grievance: i64::from(i.grievance),
        note,
        confirmed_by: actor.name.clone(),
        confirmed_on: today.to_string(),
    })
}

/// A session as shown, with its motions.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Congress {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub kind: String,
    pub session: String,
    pub held_on: String,
    pub delegates: i64,
    pub present: i64,
    pub note: Option<String>,
    #[sqlx(skip)]
    pub motions: Vec<Motion>,
}

#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Motion {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(skip)]
    pub congress_id: i64,
    pub title: String,
    pub proposer: Option<String>,
    pub status: String,
    pub handling: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Disclosure {
    pub year: i64,
    pub item: String,
    pub channel: String,
    pub frequency: String,
}

/// An employer's democratic management: its sessions (newest first, with motions), its
/// disclosures and its yearly checklists.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmployerDemocracy {
    pub unit_name: String,
    pub congresses: Vec<Congress>,
    pub disclosures: Vec<Disclosure>,
    pub checklists: Vec<Checklist>,
}

pub async fn of_employer(db: &Db, scope: &Scope, unit_id: i64) -> AppResult<EmployerDemocracy> {
    let (unit_name, _) = employer_in_scope(db, scope, unit_id).await?;
    let mut congresses: Vec<Congress> = sqlx::query_as(
        "SELECT id, kind, session, held_on, delegates, present, note FROM congresses WHERE unit_id = $1 ORDER BY held_on DESC, id DESC LIMIT 50",
    )
    .bind(unit_id)
    .fetch_all(db.pool())
    .await?;
    let motions: Vec<Motion> = sqlx::query_as(
        "SELECT m.id, m.congress_id, m.title, m.proposer, m.status, m.handling FROM congress_motions m WHERE m.unit_id = $1 ORDER BY m.id LIMIT 2000",
    )
    .bind(unit_id)
    .fetch_all(db.pool())
    .await?;
    for m in motions {
        if let Some(c) = congresses.iter_mut().find(|c| c.id == m.congress_id) {
            c.motions.push(m);
        }
    }
    let disclosures = sqlx::query_as(
        "SELECT year, item, channel, frequency FROM disclosures WHERE unit_id = $1 ORDER BY year DESC, item LIMIT 200",
    )
    .bind(unit_id)
    .fetch_all(db.pool())
    .await?;
    let checklists = sqlx::query_as(
        "SELECT year, congress, disclosure, supervision, grievance, note, confirmed_by, confirmed_on FROM democracy_checks WHERE unit_id = $1 ORDER BY year DESC LIMIT 20",
    )
    .bind(unit_id)
    .fetch_all(db.pool())
    .await?;
    Ok(EmployerDemocracy {
        unit_name,
        congresses,
        disclosures,
        checklists,
    })
}

/// For the subtree at `path` and `year`: (employers whose checklist has 职代会, those with 厂务
/// 公开), counted among the employers with a union in the subtree now.
pub async fn established(db: &Db, path: &str, year: i64) -> AppResult<(i64, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    Ok(sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(d.congress), 0) AS BIGINT), CAST(COALESCE(SUM(d.disclosure), 0) AS BIGINT) \
         FROM democracy_checks d JOIN units u ON u.id = d.unit_id \
         WHERE d.year = $1 AND d.org_path >= $2 AND d.org_path < $3 AND u.org_path IS NOT NULL",
    )
    .bind(year)
    .bind(lo)
    .bind(hi)
    .fetch_one(db.pool())
    .await?)
}

/// An employer's checklist of a year, as the 建制率 drill lists it.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct CheckedEmployer {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub unit_id: i64,
    pub uscc: String,
    pub name: String,
    pub org_name: Option<String>,
    pub congress: i64,
    pub disclosure: i64,
    pub supervision: i64,
    pub grievance: i64,
    pub confirmed_by: String,
    pub confirmed_on: String,
}

/// The employers with a union in the subtree at `path` whose checklist of `year` is confirmed
/// (with `has` — `congress` or `disclosure` — ticked, when named), by name, 50 a page; and how
/// many in all.
pub async fn checked(
    db: &Db,
    path: &str,
    year: i64,
    has: Option<&str>,
    page: i64,
) -> AppResult<(Vec<CheckedEmployer>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let ticked = match given(has) {
        None => "",
        Some("congress") => " AND d.congress = 1",
        Some("disclosure") => " AND d.disclosure = 1",
        Some(_) => return Err(AppError::invalid("has 应为 congress 或 disclosure")),
    };
    let from = format!(
        "FROM democracy_checks d JOIN units u ON u.id = d.unit_id LEFT JOIN orgs o ON o.id = u.org_id \
         WHERE d.year = $1 AND d.org_path >= $2 AND d.org_path < $3 AND u.org_path IS NOT NULL{ticked}"
    );
    let page = page.clamp(1, 100_000);
    let rows_sql = format!(
        "SELECT u.id AS unit_id, u.uscc, u.name, o.name AS org_name, d.congress, d.disclosure, d.supervision, d.grievance, \
         d.confirmed_by, d.confirmed_on {from} ORDER BY u.name, u.id LIMIT 50 OFFSET {}",
        (page - 1) * 50
    );
    let rows = sqlx::query_as(&rows_sql)
        .bind(year)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(db.pool());
    let count_sql = format!("SELECT COUNT(*) {from}");
    let count = sqlx::query_scalar(&count_sql)
        .bind(year)
        .bind(&lo)
        .bind(&hi)
        .fetch_one(db.pool());
    let (rows, total) = tokio::try_join!(rows, count)?;
    Ok((rows, total))
}
