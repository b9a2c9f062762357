//! Competitions: a 劳动竞赛 or 职业技能竞赛 holds events (工种 or 项目), each on a day, for
//! members or for teams. Entrants are entered by ID number (members, who must be eligible for
//! the activity) or by team name; scores are marked per entrant and ranks read from them (equal
//! scores share a rank); awards (技术能手, 团体奖 …) go to entrants only, with their level and
//! the awarding body, at a level the organising union may grant.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::activity::{self, Activity, Kind, Status};
use super::participation::{ineligible, person_by_id_number};
use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::orgs::OrgKind;
use crate::registry::scope::Scope;
use crate::workflow::{self, Named, coded_enum, given, issue};

/// The most entrants or score lines one submission holds.
pub const MAX_LINES: usize = 2_000;
/// The highest score a line may carry, in hundredths of a point (100,000 points).
const MAX_SCORE_CENTI: i64 = 10_000_000;

coded_enum! {
    /// The level of an award or honour, from the nation down to one employer's union.
    Level {
        National = "national", "全国级";
        Provincial = "provincial", "省级";
        City = "city", "市级";
        District = "district", "县（区）级";
        Street = "street", "街道（乡镇）级";
        Grassroots = "grassroots", "基层";
    }
}

impl Level {
    /// The highest level a union of this kind may grant: a federation its own tier's, an
    /// industry, joint or grassroots union only 基层.
    pub fn highest_for(kind: OrgKind) -> Level {
        match kind {
            OrgKind::National => Level::National,
            OrgKind::Provincial => Level::Provincial,
            OrgKind::City => Level::City,
            OrgKind::District => Level::District,
            OrgKind::Street | OrgKind::Community => Level::Street,
            OrgKind::Industry | OrgKind::Joint | OrgKind::Grassroots => Level::Grassroots,
        }
    }

    /// Whether a union that may grant up to `highest` may grant this level (the list runs from
    /// the highest level down).
    pub fn within(self, highest: Level) -> bool {
        let rank = |l: Level| Level::all().iter().position(|x| *x == l).unwrap_or(0);
        rank(self) >= rank(highest)
    }

    /// Why union `grantor` may not give `what` (荣誉, 命名) at this level, in words; none when
    /// it may.
    pub fn beyond(self, grantor: &crate::registry::orgs::Org, what: &str) -> Option<String> {
        let highest = OrgKind::parse(&grantor.kind)
            .ok()
            .map(Level::highest_for)
            .unwrap_or(Level::Grassroots);
        (!self.within(highest)).then(|| {
            format!(
                "{}最高只能授予{}{what}，不能授予{}",
                grantor.name,
                highest.label(),
                self.label()
            )
        })
    }
}

/// An event of a competition as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TradeInput {
    /// 工种 or 项目 (焊工, 快递员, 拔河 …).
    pub name: Option<String>,
    /// Entrants are teams (团体赛).
    pub teams: Option<bool>,
    pub held_on: Option<String>,
}

/// An event as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Trade {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub activity_id: i64,
    pub name: String,
    /// 1 when entrants are teams.
    pub teams: i64,
    pub held_on: String,
    pub entrants: i64,
    pub scored: i64,
    pub awards: i64,
}

const TRADE_SELECT: &str = "SELECT t.id, t.activity_id, t.name, t.teams, t.held_on, \
    (SELECT COUNT(*) FROM contest_entrants e WHERE e.trade_id = t.id) AS entrants, \
    (SELECT COUNT(*) FROM contest_entrants e WHERE e.trade_id = t.id AND e.score_centi IS NOT NULL) AS scored, \
    (SELECT COUNT(*) FROM contest_awards w WHERE w.trade_id = t.id) AS awards \
    FROM contest_trades t";

/// The events of activity `id`, in the order held.
pub async fn trades(db: &Db, activity_id: i64) -> AppResult<Vec<Trade>> {
    Ok(sqlx::query_as(&format!(
        "{TRADE_SELECT} WHERE t.activity_id = $1 ORDER BY t.held_on, t.name"
    ))
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?)
}

/// Event `id` and its activity, if the organiser is in `scope`.
pub async fn trade_in_scope(db: &Db, scope: &Scope, id: i64) -> AppResult<(Trade, Activity)> {
    let t: Trade = sqlx::query_as(&format!("{TRADE_SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("比赛项目"))?;
    let a = activity::get(db, scope, t.activity_id)
        .await
        .map_err(|_| AppError::not_found("比赛项目"))?;
    Ok((t, a))
}

fn is_contest(a: &Activity) -> AppResult<()> {
    match Kind::parse(&a.kind) {
        Some(Kind::Competition | Kind::SkillContest) => Ok(()),
        _ => Err(AppError::conflict(
            "NOT_A_CONTEST",
            format!(
                "“{}”是{}，只有劳动竞赛和职业技能竞赛设比赛项目",
                a.title, a.kind_label
            ),
        )),
    }
}

fn not_cancelled(a: &Activity) -> AppResult<()> {
    if a.status() == Some(Status::Cancelled) {
        return Err(AppError::conflict(
            "TRANSITION_REFUSED",
            "这项活动已取消，不能再登记比赛",
        ));
    }
    Ok(())
}

/// Adds an event to competition `id`: held on a day within the activity's dates, named once.
pub async fn add_trade(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &TradeInput,
    now: i64,
) -> AppResult<Trade> {
    let a = activity::get(db, &actor.scope, id).await?;
    is_contest(&a)?;
    not_cancelled(&a)?;
    let mut issues = Vec::new();
    let name = given(i.name.as_deref()).map(|t| t.chars().take(50).collect::<String>());
    if name.is_none() {
        issues.push(issue("工种/项目", "请填写工种或比赛项目"));
    }
    let day = workflow::date("比赛日期", i.held_on.as_deref(), &mut issues);
    if day.is_some_and(|d| d.to_string() < a.starts_on || d.to_string() > a.ends_on) {
        issues.push(issue(
            "比赛日期",
            format!("比赛日期须在活动期间（{} 至 {}）", a.starts_on, a.ends_on),
        ));
    }
    let (Some(name), Some(day)) = (name, day) else {
        return Err(AppError::invalid_fields(
            "比赛项目有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "比赛项目有误，请按提示修改",
            issues,
        ));
    }
    let tid = new_id();
    let mut tx = db.begin_write().await?;
    let added = sqlx::query(
        "INSERT INTO contest_trades (id, activity_id, org_path, kind, name, teams, held_on, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (activity_id, name) DO NOTHING",
    )
    .bind(tid)
    .bind(a.id)
    .bind(&a.org_path)
    .bind(&a.kind)
    .bind(&name)
    .bind(i64::from(i.teams.unwrap_or(false)))
    .bind(day.to_string())
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 0 {
        return Err(AppError::conflict(
            "TRADE_EXISTS",
            format!("本次竞赛已有“{name}”项目"),
        ));
    }
    super::reach::add(
        &mut tx,
        &a.org_path,
        &day.to_string(),
        &a.kind,
        &super::reach::Delta {
            trades: 1,
            contests: vec![a.id],
            ..Default::default()
        },
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contest.trade").target("activity", a.id).detail(
            serde_json::json!({"trade": tid.to_string(), "teams": i.teams.unwrap_or(false)}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(trade_in_scope(db, &actor.scope, tid).await?.0)
}

/// Entrants as typed: one per line, an ID number for a members' event, a team name (and,
/// after a comma, its employer) for a teams' event.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntrantsInput {
    pub lines: Vec<String>,
}

/// What entering a list did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntrantsResult {
    pub added: u64,
    /// Lines naming an entrant already entered, or named twice: kept once, listed.
    pub repeated: Vec<String>,
}

/// Splits a team line into its name and employer (after a comma, either width).
fn team_line(line: &str) -> (String, Option<String>) {
    let mut parts = line.splitn(2, [',', '，']);
    let name = parts.next().unwrap_or("").trim().chars().take(50).collect();
    let employer = parts
        .next()
        .and_then(|e| given(Some(e)))
        .map(|e| e.chars().take(100).collect());
    (name, employer)
}

/// Enters the listed members or teams in event `id`: every line must be a member eligible for
/// the activity (or a team name), else nothing is written and each line's problem is named;
/// one already entered or listed twice is kept once and reported.
pub async fn add_entrants(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    id: i64,
    i: &EntrantsInput,
    now: i64,
) -> AppResult<EntrantsResult> {
    let (t, a) = trade_in_scope(db, &actor.scope, id).await?;
    not_cancelled(&a)?;
    let lines: Vec<(usize, &str)> = i
        .lines
        .iter()
        .enumerate()
        .filter_map(|(n, l)| given(Some(l)).map(|l| (n + 1, l)))
        .collect();
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(AppError::invalid(format!(
            "参赛名单须有 1 至 {MAX_LINES} 行"
        )));
    }
    let mut issues = Vec::new();
    let mut repeated = Vec::new();
    let mut seen = HashSet::new();
    let mut rows: Vec<NewEntrant> = Vec::new();
    // The line each row came from and how it is shown (team name or masked ID number).
    let mut lines_of: Vec<(String, String)> = Vec::new();
    for (n, typed) in lines {
        let line = format!("第{n}行");
        if t.teams == 1 {
            let (name, employer) = team_line(typed);
            if name.is_empty() {
                issues.push(issue(&line, "请填写队名"));
                continue;
            }
            if !seen.insert(name.clone()) {
                repeated.push(format!("{line} {name} 在名单中重复"));
                continue;
            }
            rows.push(NewEntrant {
                member: None,
                team: Some(name.clone()),
                employer,
            });
            lines_of.push((line, name));
            continue;
        }
        let (p, masked) = match person_by_id_number(db, keys, typed).await? {
            Ok(found) => found,
            Err(why) => {
                issues.push(issue(&line, why));
                continue;
            }
        };
        if let Some(why) = ineligible(&a, &p) {
            issues.push(issue(&line, format!("{}{why}", p.name)));
            continue;
        }
        if !seen.insert(p.id.to_string()) {
            repeated.push(format!("{line} {masked} 在名单中重复"));
            continue;
        }
        rows.push(NewEntrant {
            member: Some(p.id),
            ..NewEntrant::default()
        });
        lines_of.push((line, masked));
    }
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "参赛名单有误，未登记任何参赛者，请按提示修改后重新提交",
            issues,
        ));
    }
    let written = write_entrants(db, actor, &t, &a, &rows, now).await?;
    for ((line, shown), added) in lines_of.iter().zip(&written) {
        if !added {
            repeated.push(format!("{line} {shown} 已在参赛名单中"));
        }
    }
    let added = written.iter().filter(|w| **w).count() as u64;
    Ok(EntrantsResult { added, repeated })
}

/// An entrant to write: a member, or a team with its employer.
#[derive(Debug, Clone, Default)]
pub struct NewEntrant {
    pub member: Option<i64>,
    pub team: Option<String>,
    pub employer: Option<String>,
}

/// Writes entrants of event `t` in one transaction with its audit event; for each, whether it
/// was new (one already entered is left as it was).
async fn write_entrants(
    db: &Db,
    actor: &Actor,
    t: &Trade,
    a: &Activity,
    rows: &[NewEntrant],
    now: i64,
) -> AppResult<Vec<bool>> {
    let mut tx = db.begin_write().await?;
    let mut written = Vec::with_capacity(rows.len());
    for e in rows {
        let n = sqlx::query(
            "INSERT INTO contest_entrants (id, trade_id, activity_id, org_path, held_on, kind, member_id, team_name, employer, created_by, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING",
        )
        .bind(new_id())
        .bind(t.id)
        .bind(a.id)
        .bind(&a.org_path)
        .bind(&t.held_on)
        .bind(&a.kind)
        .bind(e.member)
        .bind(&e.team)
        .bind(&e.employer)
        .bind(&actor.name)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        written.push(n == 1);
    }
    let added = written.iter().filter(|w| **w).count();
    let (members, teams) =
        rows.iter()
            .zip(&written)
            .filter(|(_, w)| **w)
            .fold((0, 0), |(m, t), (e, _)| {
                (
                    m + i64::from(e.member.is_some()),
                    t + i64::from(e.member.is_none()),
                )
            });
    if added > 0 {
        super::reach::add(
            &mut tx,
            &a.org_path,
            &t.held_on,
            &a.kind,
            &super::reach::Delta {
                entrants: members,
                teams,
                ..Default::default()
            },
        )
        .await?;
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contest.entrants")
            .target("activity", a.id)
            .detail(serde_json::json!({"trade": t.id.to_string(), "added": added})),
    )
    .await?;
    tx.commit().await?;
    Ok(written)
}

/// Enters members already known by id (the demo, a history import) in event `id`, with the
/// same checks of eligibility as a typed list; returns how many were new.
pub async fn enter_members(
    db: &Db,
    actor: &Actor,
    id: i64,
    members: &[i64],
    now: i64,
) -> AppResult<u64> {
    let (t, a) = trade_in_scope(db, &actor.scope, id).await?;
    not_cancelled(&a)?;
    for m in members {
        let p = super::participation::person(db, *m).await?;
        if let Some(why) = ineligible(&a, &p) {
            return Err(AppError::conflict(
                "NOT_ELIGIBLE",
                format!("{}{why}", p.name),
            ));
        }
    }
    let rows: Vec<NewEntrant> = members
        .iter()
        .map(|m| NewEntrant {
            member: Some(*m),
            ..NewEntrant::default()
        })
        .collect();
    let written = write_entrants(db, actor, &t, &a, &rows, now).await?;
    Ok(written.iter().filter(|w| **w).count() as u64)
}

/// An entrant as shown, with the rank its score gives.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Entrant {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub member_id: Option<i64>,
    /// The member's or the team's name.
    pub name: String,
    pub id_masked: Option<String>,
    /// The member's union, or the team's employer.
    pub from: Option<String>,
    /// Points with two decimals; none until marked.
    pub score: Option<String>,
    #[serde(skip)]
    pub score_centi: Option<i64>,
    /// 1 for the best score; equal scores share a rank.
    pub rank: Option<i64>,
    /// The titles awarded, separated by 、.
    pub awards: Option<String>,
}

#[derive(FromRow)]
struct EntrantRow {
    id: i64,
    member_id: Option<i64>,
    name: String,
    id_masked: Option<String>,
    from_name: Option<String>,
    score_centi: Option<i64>,
    rank: Option<i64>,
}

/// Shows points kept in hundredths.
pub fn points(centi: i64) -> String {
    format!("{}.{:02}", centi / 100, centi % 100)
}

/// The entrants of event `id`, best score first (unmarked last), with their awards.
pub async fn entrants(db: &Db, trade_id: i64) -> AppResult<Vec<Entrant>> {
    let rows: Vec<EntrantRow> = sqlx::query_as(
        "SELECT e.id, e.member_id, COALESCE(m.name, e.team_name) AS name, m.id_masked, \
         COALESCE(o.name, e.employer) AS from_name, e.score_centi, \
         CASE WHEN e.score_centi IS NULL THEN NULL ELSE CAST(RANK() OVER (PARTITION BY e.score_centi IS NULL ORDER BY e.score_centi DESC) AS BIGINT) END AS rank \
         FROM contest_entrants e LEFT JOIN members m ON m.id = e.member_id LEFT JOIN orgs o ON o.id = m.org_id \
         WHERE e.trade_id = $1 ORDER BY e.score_centi IS NULL, e.score_centi DESC, e.id",
    )
    .bind(trade_id)
    .fetch_all(db.pool())
    .await?;
    let awards: Vec<(i64, String)> = sqlx::query_as(
        "SELECT entrant_id, title FROM contest_awards WHERE trade_id = $1 ORDER BY created_at, id",
    )
    .bind(trade_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let titles: Vec<&str> = awards
                .iter()
                .filter(|(e, _)| *e == r.id)
                .map(|(_, t)| t.as_str())
                .collect();
            Entrant {
                id: r.id,
                member_id: r.member_id,
                name: r.name,
                id_masked: r.id_masked,
                from: r.from_name,
                score: r.score_centi.map(points),
                score_centi: r.score_centi,
                rank: r.rank,
                awards: (!titles.is_empty()).then(|| titles.join("、")),
            }
        })
        .collect())
}

/// Reads a score typed in points, at most two decimals, 0 to 100,000.
fn read_score(typed: &str) -> Result<i64, String> {
    let t = typed.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let ok = !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && frac.len() <= 2
        && frac.chars().all(|c| c.is_ascii_digit())
        && whole.len() <= 6;
    if !ok {
        return Err(format!("成绩“{t}”须为数字，最多两位小数"));
    }
    let centi =
        whole.parse::<i64>().unwrap_or(0) * 100 + format!("{frac:0<2}").parse::<i64>().unwrap_or(0);
    if centi > MAX_SCORE_CENTI {
        return Err(format!("成绩“{t}”超过 100000 分，请核对"));
    }
    Ok(centi)
}

/// Finds the entrant of event `t` a line names: a member's ID number, or a team's name.
async fn entrant_named(
    db: &Db,
    keys: &FieldKeys,
    t: &Trade,
    who: &str,
) -> AppResult<Result<i64, String>> {
    if t.teams == 1 {
        let team = who.trim();
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM contest_entrants WHERE trade_id = $1 AND team_name = $2",
        )
        .bind(t.id)
        .bind(team)
        .fetch_optional(db.pool())
        .await?;
        return Ok(id.ok_or_else(|| format!("“{team}”不在“{}”的参赛名单中", t.name)));
    }
    let (p, masked) = match person_by_id_number(db, keys, who).await? {
        Ok(found) => found,
        Err(why) => return Ok(Err(why)),
    };
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM contest_entrants WHERE trade_id = $1 AND member_id = $2",
    )
    .bind(t.id)
    .bind(p.id)
    .fetch_optional(db.pool())
    .await?;
    Ok(id.ok_or_else(|| format!("{}（{masked}）不在“{}”的参赛名单中", p.name, t.name)))
}

/// Scores as typed: the entrant (ID number or team name) and the points.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreLine {
    pub who: String,
    pub score: String,
}

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoresInput {
    pub lines: Vec<ScoreLine>,
}

/// Marks the scores of event `id`: every line an entrant and a valid score, else nothing is
/// written and each line's problem is named. A later mark replaces an earlier one.
pub async fn set_scores(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    id: i64,
    i: &ScoresInput,
    now: i64,
) -> AppResult<u64> {
    let (t, a) = trade_in_scope(db, &actor.scope, id).await?;
    not_cancelled(&a)?;
    if i.lines.is_empty() || i.lines.len() > MAX_LINES {
        return Err(AppError::invalid(format!("成绩单须有 1 至 {MAX_LINES} 行")));
    }
    let mut issues = Vec::new();
    let mut marks = Vec::new();
    let mut seen = HashSet::new();
    for (n, l) in i.lines.iter().enumerate() {
        let line = format!("第{}行", n + 1);
        let score = read_score(&l.score).map_err(|m| issues.push(issue(&line, m)));
        match entrant_named(db, keys, &t, &l.who).await? {
            Err(why) => issues.push(issue(&line, why)),
            Ok(entrant) => {
                if !seen.insert(entrant) {
                    issues.push(issue(&line, "同一参赛者在成绩单中出现两次"));
                } else if let Ok(s) = score {
                    marks.push((entrant, s));
                }
            }
        }
    }
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "成绩单有误，未登记任何成绩，请按提示修改后重新提交",
            issues,
        ));
    }
    mark(db, actor, &t, &a, &marks, now).await
}

/// Writes scores (entrant, hundredths of a point) of event `t` in one transaction; returns
/// how many.
async fn mark(
    db: &Db,
    actor: &Actor,
    t: &Trade,
    a: &Activity,
    marks: &[(i64, i64)],
    now: i64,
) -> AppResult<u64> {
    let mut tx = db.begin_write().await?;
    for (entrant, score) in marks {
        sqlx::query("UPDATE contest_entrants SET score_centi = $1 WHERE id = $2 AND trade_id = $3")
            .bind(score)
            .bind(entrant)
            .bind(t.id)
            .execute(&mut *tx)
            .await?;
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contest.scores")
            .target("activity", a.id)
            .detail(serde_json::json!({"trade": t.id.to_string(), "lines": marks.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(marks.len() as u64)
}

/// Marks the scores of entrants known by id (the demo, a history import) in event `id`.
pub async fn mark_entrants(
    db: &Db,
    actor: &Actor,
    id: i64,
    marks: &[(i64, i64)],
    now: i64,
) -> AppResult<u64> {
    let (t, a) = trade_in_scope(db, &actor.scope, id).await?;
    not_cancelled(&a)?;
    mark(db, actor, &t, &a, marks, now).await
}

/// An award as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardInput {
    /// The entrant: a member's ID number, or a team's name.
    pub who: Option<String>,
    /// 技术能手, 技术标兵, 优秀选手, 团体一等奖, 最美快递员 …
    pub title: Option<String>,
    /// Code or label of the level (`city` or 市级).
    pub level: Option<String>,
    /// Who grants it; default the organising union.
    pub awarding_body: Option<String>,
    /// Default the event's day.
    pub awarded_on: Option<String>,
}

/// An award as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Award {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub trade: String,
    pub name: String,
    pub title: String,
    pub level: String,
    pub awarding_body: String,
    pub awarded_on: String,
}

/// Awards `title` to an entrant of event `id`: only to an entrant (a person or team not
/// entered is refused), at a level the organising union may grant, each title once.
pub async fn award(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    id: i64,
    i: &AwardInput,
    now: i64,
) -> AppResult<Award> {
    award_to(db, keys, actor, id, None, i, now).await
}

/// Awards `i.title` to entrant `entrant` of event `id`, known by id (the demo, a history
/// import), with the same checks.
pub async fn award_entrant(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    id: i64,
    entrant: i64,
    i: &AwardInput,
    now: i64,
) -> AppResult<Award> {
    award_to(db, keys, actor, id, Some(entrant), i, now).await
}

async fn award_to(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    id: i64,
    known: Option<i64>,
    i: &AwardInput,
    now: i64,
) -> AppResult<Award> {
    let (t, a) = trade_in_scope(db, &actor.scope, id).await?;
    not_cancelled(&a)?;
    let mut issues = Vec::new();
    let title = given(i.title.as_deref()).map(|t| t.chars().take(50).collect::<String>());
    if title.is_none() {
        issues.push(issue("奖项", "请填写奖项名称"));
    }
    let level: Option<Level> = workflow::pick("级别", i.level.as_deref(), &mut issues);
    let organiser = crate::registry::orgs::get(db, &Scope::all(), a.org_id).await?;
    let highest = OrgKind::parse(&organiser.kind)
        .ok()
        .map(Level::highest_for)
        .unwrap_or(Level::Grassroots);
    if let Some(l) = level
        && !l.within(highest)
    {
        issues.push(issue(
            "级别",
            format!(
                "{}最高只能授予{}奖项，不能授予{}",
                organiser.name,
                highest.label(),
                l.label()
            ),
        ));
    }
    let day = match given(i.awarded_on.as_deref()) {
        None => t.held_on.parse::<NaiveDate>().ok(),
        typed => workflow::date("授奖日期", typed, &mut issues),
    };
    let named = match known {
        Some(e) => {
            let of_trade: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM contest_entrants WHERE id = $1 AND trade_id = $2",
            )
            .bind(e)
            .bind(t.id)
            .fetch_optional(db.pool())
            .await?;
            of_trade.ok_or_else(|| format!("该参赛者不在“{}”的参赛名单中", t.name))
        }
        None => {
            let Some(who) = given(i.who.as_deref()) else {
                issues.push(issue("获奖者", "请填写获奖者的身份证号或队名"));
                return Err(AppError::invalid_fields(
                    "奖项信息有误，请按提示修改",
                    issues,
                ));
            };
            // A mistyped ID number is a typing error, not a person who did not enter.
            if t.teams == 0
                && let Err(e) = crate::types::IdCardNo::parse(who)
            {
                issues.push(issue("获奖者", e.message()));
                return Err(AppError::invalid_fields(
                    "奖项信息有误，请按提示修改",
                    issues,
                ));
            }
            entrant_named(db, keys, &t, who).await?
        }
    };
    let entrant = match named {
        Ok(e) => Some(e),
        Err(why) => {
            if issues.is_empty() {
                return Err(AppError::conflict(
                    "AWARD_NOT_ENTRANT",
                    format!("{why}，不能授奖"),
                ));
            }
            issues.push(issue("获奖者", why));
            None
        }
    };
    let (Some(title), Some(level), Some(day), Some(entrant)) = (title, level, day, entrant) else {
        return Err(AppError::invalid_fields(
            "奖项信息有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "奖项信息有误，请按提示修改",
            issues,
        ));
    }
    let body = given(i.awarding_body.as_deref())
        .map(|b| b.chars().take(100).collect::<String>())
        .unwrap_or_else(|| organiser.name.clone());
    let wid = new_id();
    let mut tx = db.begin_write().await?;
    let added = sqlx::query(
        "INSERT INTO contest_awards (id, entrant_id, trade_id, activity_id, org_path, awarded_on, title, level, awarding_body, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT (entrant_id, title) DO NOTHING",
    )
    .bind(wid)
    .bind(entrant)
    .bind(t.id)
    .bind(a.id)
    .bind(&a.org_path)
    .bind(day.to_string())
    .bind(&title)
    .bind(level.code())
    .bind(&body)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 0 {
        return Err(AppError::conflict(
            "AWARD_EXISTS",
            format!("这位参赛者已获得“{title}”"),
        ));
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contest.award")
            .target("activity", a.id)
            .detail(serde_json::json!({"trade": t.id.to_string(), "level": level.code()})),
    )
    .await?;
    tx.commit().await?;
    let found = awards(db, a.id).await?;
    found
        .into_iter()
        .find(|w| w.id == wid)
        .ok_or_else(|| AppError::not_found("奖项"))
}

/// The awards of activity `id`, by event and level.
pub async fn awards(db: &Db, activity_id: i64) -> AppResult<Vec<Award>> {
    let rows: Vec<Award> = sqlx::query_as(
        "SELECT w.id, t.name AS trade, COALESCE(m.name, e.team_name) AS name, w.title, w.level, w.awarding_body, w.awarded_on \
         FROM contest_awards w JOIN contest_trades t ON t.id = w.trade_id JOIN contest_entrants e ON e.id = w.entrant_id \
         LEFT JOIN members m ON m.id = e.member_id WHERE w.activity_id = $1 ORDER BY t.held_on, t.name, w.title, w.id",
    )
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|mut w| {
            w.level = Level::parse(&w.level).map_or(w.level.clone(), |l| l.label().to_string());
            w
        })
        .collect())
}

/// An event in a list over a subtree and period (the drill behind the competition figures).
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct TradeHeld {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub activity_id: i64,
    pub activity_title: String,
    pub org_name: String,
    pub name: String,
    pub teams: i64,
    pub held_on: String,
    pub entrants: i64,
    pub awards: i64,
}

/// One page of the events held in the subtree at `path` in the period, latest first, and
/// their total.
pub async fn held_in(
    db: &Db,
    path: &str,
    period: &crate::registry::stats::Period,
    (page, per_page): (i64, i64),
) -> AppResult<(Vec<TradeHeld>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let range = "t.org_path >= $1 AND t.org_path < $2 AND t.held_on >= $3 AND t.held_on <= $4";
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM contest_trades t WHERE {range}"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(period.from.to_string())
    .bind(period.to.to_string())
    .fetch_one(db.pool())
    .await?;
    let per_page = per_page.clamp(1, 500);
    let page = page.clamp(1, crate::db::Paging::MAX_PAGE);
    let rows = sqlx::query_as(&format!(
        "SELECT t.id, t.activity_id, a.title AS activity_title, o.name AS org_name, t.name, t.teams, t.held_on, \
         (SELECT COUNT(*) FROM contest_entrants e WHERE e.trade_id = t.id) AS entrants, \
         (SELECT COUNT(*) FROM contest_awards w WHERE w.trade_id = t.id) AS awards \
         FROM contest_trades t JOIN activities a ON a.id = t.activity_id JOIN orgs o ON o.id = a.org_id \
         WHERE {range} ORDER BY t.held_on DESC, t.id DESC LIMIT {per_page} OFFSET {}",
        (page - 1) * per_page
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(period.from.to_string())
    .bind(period.to.to_string())
    .fetch_all(db.pool())
    .await?;
    Ok((rows, total))
}

/// An award in a list over a subtree and period.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct AwardGiven {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub activity_id: i64,
    pub activity_title: String,
    pub trade: String,
    /// The member's (masked ID shown beside) or the team's name.
    pub name: String,
    pub id_masked: Option<String>,
    pub title: String,
    pub level: String,
    pub awarding_body: String,
    pub awarded_on: String,
}

/// One page of the awards given in the subtree at `path` in the period, latest first, and
/// their total (the 竞赛获奖 figure).
pub async fn awards_in(
    db: &Db,
    path: &str,
    period: &crate::registry::stats::Period,
    (page, per_page): (i64, i64),
) -> AppResult<(Vec<AwardGiven>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let range =
        "w.org_path >= $1 AND w.org_path < $2 AND w.awarded_on >= $3 AND w.awarded_on <= $4";
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM contest_awards w WHERE {range}"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(period.from.to_string())
    .bind(period.to.to_string())
    .fetch_one(db.pool())
    .await?;
    let per_page = per_page.clamp(1, 500);
    let page = page.clamp(1, crate::db::Paging::MAX_PAGE);
    let rows: Vec<AwardGiven> = sqlx::query_as(&format!(
        "SELECT w.id, w.activity_id, a.title AS activity_title, t.name AS trade, COALESCE(m.name, e.team_name) AS name, \
         m.id_masked, w.title, w.level, w.awarding_body, w.awarded_on \
         FROM contest_awards w JOIN contest_trades t ON t.id = w.trade_id JOIN activities a ON a.id = w.activity_id \
         JOIN contest_entrants e ON e.id = w.entrant_id LEFT JOIN members m ON m.id = e.member_id \
         WHERE {range} ORDER BY w.awarded_on DESC, w.id DESC LIMIT {per_page} OFFSET {}",
        (page - 1) * per_page
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(period.from.to_string())
    .bind(period.to.to_string())
    .fetch_all(db.pool())
    .await?;
    Ok((
        rows.into_iter()
            .map(|mut w| {
                w.level = Level::parse(&w.level).map_or(w.level.clone(), |l| l.label().to_string());
                w
            })
            .collect(),
        total,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A score typed with up to two decimals reads back as typed (trailing zeros added).
        #[test]
        fn scores_read_back(whole in 0i64..100_000, frac in 0i64..100) {
            let typed = format!("{whole}.{frac:02}");
            prop_assert_eq!(read_score(&typed).map(points), Ok(typed));
        }

        /// Anything with letters, signs or three decimals is refused, never misread.
        #[test]
        fn odd_scores_are_refused(s in "[-+a-z]{1,3}[0-9]{0,3}|[0-9]{1,3}\\.[0-9]{3,5}") {
            prop_assert!(read_score(&s).is_err());
        }
    }

    #[test]
    fn a_union_grants_its_own_level_and_below() {
        assert!(Level::City.within(Level::highest_for(OrgKind::City)));
        assert!(Level::District.within(Level::highest_for(OrgKind::City)));
        assert!(!Level::Provincial.within(Level::highest_for(OrgKind::City)));
        assert!(!Level::City.within(Level::highest_for(OrgKind::District)));
        assert!(Level::Grassroots.within(Level::highest_for(OrgKind::Grassroots)));
        assert!(!Level::Street.within(Level::highest_for(OrgKind::Grassroots)));
    }
}
