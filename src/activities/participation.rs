//! Taking part: the sessions (场次) an activity holds, members signing up where places are
//! limited, and check-ins, by the member scanning a session's code on its day or by a cadre
//! entering a sign-in sheet. A member is counted once per session however often they scan or
//! appear on a sheet; guests are head-counted per session.

use std::collections::HashSet;

use chrono::NaiveDate;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::activity::{self, Activity, Status};
use super::reach;
use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, Tx, new_id};
use crate::error::{AppError, AppResult, FieldIssue};
use crate::registry::scope::Scope;
use crate::types::IdCardNo;
use crate::workflow::{self, given, issue};

/// The most guests one session head-counts (a large job fair's visitors).
pub const MAX_GUESTS: i64 = 1_000_000;
/// The most names one sign-in sheet holds.
pub const MAX_SHEET: usize = 5_000;

/// A session as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
#[schema(as = ActivitySession)]
pub struct Session {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub activity_id: i64,
    pub held_on: String,
    pub title: String,
    /// What the QR at the venue holds; members scan it on the session's day.
    pub code: String,
    pub guests: i64,
    /// Members checked in.
    pub checkins: i64,
}

const SESSION_SELECT: &str = "s.id, s.activity_id, s.held_on, s.title, s.code, s.guests, \
    (SELECT COUNT(*) FROM activity_checkins c WHERE c.session_id = s.id) AS checkins \
    FROM activity_sessions s";

/// A session as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[schema(as = ActivitySessionInput)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    pub held_on: Option<String>,
    /// Default 第N场.
    pub title: Option<String>,
    /// Guests head-counted at the door (not members, or not identified).
    pub guests: Option<i64>,
}

/// The sessions of activity `id`, in the order held.
pub async fn sessions(db: &Db, activity_id: i64) -> AppResult<Vec<Session>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SESSION_SELECT} WHERE s.activity_id = $1 ORDER BY s.held_on, s.id"
    ))
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?)
}

/// The session `id` of an activity whose organiser is in `scope`, with its activity.
pub async fn session_in_scope(db: &Db, scope: &Scope, id: i64) -> AppResult<(Session, Activity)> {
    let s: Session = sqlx::query_as(&format!("SELECT {SESSION_SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("活动场次"))?;
    let a = activity::get(db, scope, s.activity_id)
        .await
        .map_err(|_| AppError::not_found("活动场次"))?;
    Ok((s, a))
}

fn open(a: &Activity, what: &str) -> AppResult<()> {
    match a.status() {
        Some(Status::Open) => Ok(()),
        _ => Err(AppError::conflict(
            "TRANSITION_REFUSED",
            format!("这项活动{}，不能{what}", a.status_label),
        )),
    }
}

fn guests(typed: Option<i64>, issues: &mut Vec<FieldIssue>) -> i64 {
    match typed.unwrap_or(0) {
        n @ 0..=MAX_GUESTS => n,
        _ => {
            issues.push(issue(
                "到场群众人数",
                format!("到场群众人数须为 0 至 {MAX_GUESTS} 的整数"),
            ));
            0
        }
    }
}

/// A check-in code nobody guesses: eight letters and digits without look-alikes.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..8)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Records a session of activity `id` held on a day within the activity's dates.
pub async fn add_session(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &SessionInput,
    now: i64,
) -> AppResult<Session> {
    let a = activity::get(db, &actor.scope, id).await?;
    open(&a, "登记场次")?;
    let mut issues = Vec::new();
    let held = workflow::date("举办日期", i.held_on.as_deref(), &mut issues);
    let (starts, ends) = a.days();
    if let Some(d) = held
        && (d < starts || d > ends)
    {
        issues.push(issue(
            "举办日期",
            format!("举办日期须在活动期间（{} 至 {}）内", a.starts_on, a.ends_on),
        ));
    }
    let guests = guests(i.guests, &mut issues);
    let (Some(held), true) = (held, issues.is_empty()) else {
        return Err(AppError::invalid_fields(
            "场次信息有误，请按提示修改",
            issues,
        ));
    };
    let title = match given(i.title.as_deref()) {
        Some(t) => t.chars().take(100).collect(),
        None => format!("第{}场", a.sessions + 1),
    };
    let sid = new_id();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO activity_sessions (id, activity_id, org_path, kind, held_on, title, code, guests, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
    )
    .bind(sid)
    .bind(a.id)
    .bind(&a.org_path)
    .bind(&a.kind)
    .bind(held.to_string())
    .bind(&title)
    .bind(new_code())
    .bind(guests)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    reach::add(
        &mut tx,
        &a.org_path,
        &held.to_string(),
        &a.kind,
        &reach::Delta {
            sessions: 1,
            guests,
            activities: vec![a.id],
            ..Default::default()
        },
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("activity.session")
            .target("activity", a.id)
            .detail(serde_json::json!({"session": sid.to_string(), "held_on": held.to_string(), "guests": guests})),
    )
    .await?;
    tx.commit().await?;
    let (s, _) = session_in_scope(db, &Scope::all(), sid).await?;
    Ok(s)
}

/// Sets the guests head-counted at session `id`.
pub async fn set_guests(
    db: &Db,
    actor: &Actor,
    id: i64,
    typed: Option<i64>,
    now: i64,
) -> AppResult<Session> {
    let (s, a) = session_in_scope(db, &actor.scope, id).await?;
    open(&a, "修改到场人数")?;
    let mut issues = Vec::new();
    let n = guests(typed, &mut issues);
    if !issues.is_empty() {
        return Err(AppError::invalid_fields("到场人数有误", issues));
    }
    let mut tx = db.begin_write().await?;
    // Read under the lock the running rows are changed under: the change is new minus the
    // count as it stands, whoever changed it last.
    crate::audit::lock_head(&mut tx, db.backend()).await?;
    let before: i64 = sqlx::query_scalar("SELECT guests FROM activity_sessions WHERE id = $1")
        .bind(s.id)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("UPDATE activity_sessions SET guests = $1 WHERE id = $2")
        .bind(n)
        .bind(s.id)
        .execute(&mut *tx)
        .await?;
    if n != before {
        reach::add(
            &mut tx,
            &a.org_path,
            &s.held_on,
            &a.kind,
            &reach::Delta {
                guests: n - before,
                ..Default::default()
            },
        )
        .await?;
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("activity.guests")
            .target("activity", a.id)
            .detail(serde_json::json!({"session": s.id.to_string(), "before": before, "after": n})),
    )
    .await?;
    tx.commit().await?;
    Ok(session_in_scope(db, &Scope::all(), id).await?.0)
}

/// A member as eligibility reads them.
#[derive(Debug, Clone, FromRow)]
pub(super) struct Person {
    pub id: i64,
    pub name: String,
    status: String,
    org_path: Option<String>,
    nef_group: Option<String>,
}

const PERSON_SELECT: &str = "SELECT id, name, status, org_path, nef_group FROM members";

pub(super) async fn person(db: &Db, member_id: i64) -> AppResult<Person> {
    sqlx::query_as(&format!("{PERSON_SELECT} WHERE id = $1"))
        .bind(member_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("会员"))
}

/// The member whose ID number is typed, with the masked number; or what is wrong, in words
/// for the line it was typed on.
pub(super) async fn person_by_id_number(
    db: &Db,
    keys: &FieldKeys,
    typed: &str,
) -> AppResult<Result<(Person, String), String>> {
    let idno = match IdCardNo::parse(typed) {
        Ok(v) => v,
        Err(e) => return Ok(Err(e.message().to_string())),
    };
    let hash = keys.blind_index(crate::registry::members::ID_DOMAIN, idno.as_str());
    let p: Option<Person> = sqlx::query_as(&format!("{PERSON_SELECT} WHERE id_hash = $1"))
        .bind(hash)
        .fetch_optional(db.pool())
        .await?;
    Ok(match p {
        Some(p) => Ok((p, idno.masked())),
        None => Err(format!("身份证号 {} 不是登记在册的会员", idno.masked())),
    })
}

/// Why `p` may not take part in `a`, in words; none when they may.
pub(super) fn ineligible(a: &Activity, p: &Person) -> Option<String> {
    if p.status != "active" {
        return Some("不是在册会员".into());
    }
    if !p
        .org_path
        .as_deref()
        .is_some_and(|path| path.starts_with(&a.eligible_path))
    {
        return Some(format!("不是“{}”所属会员", a.eligible_name));
    }
    if let Some(g) = &a.eligible_group
        && p.nef_group.as_deref() != Some(g.as_str())
    {
        return Some(format!("本活动仅限{g}参加"));
    }
    None
}

fn refused_person(message: String) -> AppError {
    AppError::conflict("NOT_ELIGIBLE", message)
}

/// A member's sign-up, as they see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignedUp {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub activity_id: i64,
    /// Places taken after this sign-up.
    pub signups: i64,
    pub capacity: Option<i64>,
}

/// Signs member `member_id` up for activity `id`: open, not over, eligible, once, and never
/// past its places however many sign up at the same moment (the count and the row are one
/// transaction; the count only rises while below the capacity).
pub async fn sign_up(
    db: &Db,
    actor: &Actor,
    id: i64,
    member_id: i64,
    today: NaiveDate,
    now: i64,
) -> AppResult<SignedUp> {
    let a = activity::get_any(db, id).await?;
    let p = person(db, member_id).await?;
    if let Some(why) = ineligible(&a, &p) {
        // An activity the member may not join is not shown to them either.
        return Err(
            if p.org_path
                .as_deref()
                .is_some_and(|x| x.starts_with(&a.eligible_path))
            {
                refused_person(format!("您{why}，不能报名"))
            } else {
                AppError::not_found("活动")
            },
        );
    }
    open(&a, "报名")?;
    if today > a.days().1 {
        return Err(AppError::conflict(
            "ACTIVITY_OVER",
            format!("活动已于 {} 结束，不能再报名", a.ends_on),
        ));
    }
    let actor2 = actor.clone();
    let org_path = a.org_path.clone();
    db.write(move |tx| {
        let (actor, org_path) = (actor2.clone(), org_path.clone());
        Box::pin(async move {
            let already: Option<i64> = sqlx::query_scalar(
                "SELECT member_id FROM activity_signups WHERE activity_id = $1 AND member_id = $2",
            )
            .bind(id)
            .bind(member_id)
            .fetch_optional(&mut **tx)
            .await?;
            if already.is_some() {
                return Err(AppError::conflict("ALREADY_SIGNED_UP", "您已报名这项活动"));
            }
            let taken = sqlx::query(
                "UPDATE activities SET signups = signups + 1 WHERE id = $1 AND status = 'open' \
                 AND (capacity IS NULL OR signups < capacity)",
            )
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if taken != 1 {
                return Err(AppError::conflict("ACTIVITY_FULL", "名额已满，不能再报名"));
            }
            sqlx::query(
                "INSERT INTO activity_signups (activity_id, member_id, org_path, signed_at) VALUES ($1,$2,$3,$4)",
            )
            .bind(id)
            .bind(member_id)
            .bind(&org_path)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            record(tx, &actor, now, "activity.signup", id, member_id).await
        })
    })
    .await?;
    let a = activity::get_any(db, id).await?;
    Ok(SignedUp {
        activity_id: id,
        signups: a.signups,
        capacity: a.capacity,
    })
}

/// Withdraws member `member_id`'s sign-up for activity `id`, freeing the place.
pub async fn withdraw(db: &Db, actor: &Actor, id: i64, member_id: i64, now: i64) -> AppResult<()> {
    let actor2 = actor.clone();
    db.write(move |tx| {
        let actor = actor2.clone();
        Box::pin(async move {
            let gone = sqlx::query(
                "DELETE FROM activity_signups WHERE activity_id = $1 AND member_id = $2",
            )
            .bind(id)
            .bind(member_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if gone != 1 {
                return Err(AppError::not_found("报名记录"));
            }
            sqlx::query("UPDATE activities SET signups = signups - 1 WHERE id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            record(tx, &actor, now, "activity.withdraw", id, member_id).await
        })
    })
    .await
}

async fn record(
    tx: &mut Tx,
    actor: &Actor,
    now: i64,
    what: &'static str,
    activity_id: i64,
    member_id: i64,
) -> AppResult<()> {
    audit::record_tx(
        tx,
        actor,
        now,
        Event::new(what)
            .target("activity", activity_id)
            .detail(serde_json::json!({"member": member_id.to_string()})),
    )
    .await?;
    Ok(())
}

async fn signed_up(db: &Db, activity_id: i64, member_id: i64) -> AppResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT member_id FROM activity_signups WHERE activity_id = $1 AND member_id = $2",
    )
    .bind(activity_id)
    .bind(member_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(found.is_some())
}

/// Writes the check-ins of `members` at session `s`, each once: those already there are left
/// as they are. Returns those that were already there.
async fn write_checkins(
    tx: &mut Tx,
    s: &Session,
    a: &Activity,
    members: &[i64],
    source: &str,
    now: i64,
) -> AppResult<Vec<i64>> {
    let (mut already, mut new) = (Vec::new(), Vec::new());
    for m in members {
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT member_id FROM activity_checkins WHERE session_id = $1 AND member_id = $2",
        )
        .bind(s.id)
        .bind(m)
        .fetch_optional(&mut **tx)
        .await?;
        if exists.is_some() {
            already.push(*m);
            continue;
        }
        sqlx::query(
            "INSERT INTO activity_checkins (session_id, member_id, activity_id, org_path, kind, held_on, source, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        )
        .bind(s.id)
        .bind(m)
        .bind(a.id)
        .bind(&a.org_path)
        .bind(&a.kind)
        .bind(&s.held_on)
        .bind(source)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        new.push(*m);
    }
    if !new.is_empty() {
        reach::add(
            tx,
            &a.org_path,
            &s.held_on,
            &a.kind,
            &reach::Delta {
                checkins: new.len() as i64,
                members: new,
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(already)
}

/// Records members already known by id as present at session `id` (a history import, the
/// demo): each must be eligible and, where places are limited, signed up, else nothing is
/// written; those already there are counted once. Returns how many check-ins were new.
pub async fn record_present(
    db: &Db,
    actor: &Actor,
    id: i64,
    members: &[i64],
    now: i64,
) -> AppResult<u64> {
    let (s, a) = session_in_scope(db, &actor.scope, id).await?;
    open(&a, "登记签到")?;
    for m in members {
        let p = person(db, *m).await?;
        if let Some(why) = ineligible(&a, &p) {
            return Err(refused_person(format!("{}{why}", p.name)));
        }
        if a.capacity.is_some() && !signed_up(db, a.id, p.id).await? {
            return Err(refused_person(format!(
                "{}未报名（本活动限额报名）",
                p.name
            )));
        }
    }
    let mut tx = db.begin_write().await?;
    let already = write_checkins(&mut tx, &s, &a, members, "record", now).await?;
    let added = (members.len() - already.len()) as u64;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("activity.sheet")
            .target("activity", a.id)
            .detail(serde_json::json!({"session": s.id.to_string(), "lines": members.len(), "added": added})),
    )
    .await?;
    tx.commit().await?;
    Ok(added)
}

/// What a check-in did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckedIn {
    pub activity_title: String,
    pub session_title: String,
    pub held_on: String,
    /// False when the member had already checked in at this session (counted once).
    pub new: bool,
}

/// Member `member_id` scans the code of a session on its day: eligible, signed up where places
/// are limited, once per session (a second scan says so and counts nothing).
pub async fn check_in_by_code(
    db: &Db,
    actor: &Actor,
    member_id: i64,
    code: &str,
    today: NaiveDate,
    now: i64,
) -> AppResult<CheckedIn> {
    let code = code.trim().to_uppercase();
    let s: Session = sqlx::query_as(&format!("SELECT {SESSION_SELECT} WHERE s.code = $1"))
        .bind(&code)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::not_found("签到码对应的活动场次"))?;
    let a = activity::get_any(db, s.activity_id).await?;
    let p = person(db, member_id).await?;
    if let Some(why) = ineligible(&a, &p) {
        return Err(refused_person(format!("您{why}，不能签到")));
    }
    open(&a, "签到")?;
    if s.held_on != today.to_string() {
        return Err(AppError::conflict(
            "NOT_SESSION_DAY",
            format!("本场活动在 {} 举行，只能在当天签到", s.held_on),
        ));
    }
    if a.capacity.is_some() && !signed_up(db, a.id, member_id).await? {
        return Err(refused_person("本活动限额报名，请先报名再签到".into()));
    }
    let mut tx = db.begin_write().await?;
    let added = write_checkins(&mut tx, &s, &a, &[member_id], "scan", now)
        .await?
        .is_empty() as u64;
    if added > 0 {
        record(&mut tx, actor, now, "activity.checkin", a.id, member_id).await?;
    }
    tx.commit().await?;
    Ok(CheckedIn {
        activity_title: a.title,
        session_title: s.title,
        held_on: s.held_on,
        new: added > 0,
    })
}

/// A sign-in sheet as entered: the ID numbers of the members present.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SheetInput {
    pub id_numbers: Vec<String>,
}

/// What a sign-in sheet did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SheetResult {
    /// Check-ins written.
    pub added: u64,
    /// Lines naming someone already checked in at this session, or named twice on the sheet:
    /// counted once, listed by line (1-based) and masked ID number.
    pub repeated: Vec<String>,
}

/// A cadre enters the sign-in sheet of session `id`: every line an eligible member (signed up,
/// where places are limited), else nothing is written and each line's problem is named; a
/// person on the sheet twice or already checked in is counted once and reported. A session
/// not yet held takes no sheet.
pub async fn check_in_sheet(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    id: i64,
    i: &SheetInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<SheetResult> {
    let (s, a) = session_in_scope(db, &actor.scope, id).await?;
    open(&a, "登记签到")?;
    if s.held_on > today.to_string() {
        return Err(AppError::conflict(
            "NOT_SESSION_DAY",
            format!("本场活动在 {} 举行，尚未举办，不能登记签到", s.held_on),
        ));
    }
    if i.id_numbers.is_empty() || i.id_numbers.len() > MAX_SHEET {
        return Err(AppError::invalid(format!("签到表须有 1 至 {MAX_SHEET} 人")));
    }
    let mut issues = Vec::new();
    let mut repeated = Vec::new();
    let mut seen = HashSet::new();
    let mut members = Vec::new();
    for (n, typed) in i.id_numbers.iter().enumerate() {
        let line = format!("第{}行", n + 1);
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
        if a.capacity.is_some() && !signed_up(db, a.id, p.id).await? {
            issues.push(issue(&line, format!("{}未报名（本活动限额报名）", p.name)));
            continue;
        }
        if !seen.insert(p.id) {
            repeated.push(format!("{line} {masked} 在签到表中重复"));
            continue;
        }
        members.push((p.id, line, masked));
    }
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "签到表有误，未登记任何签到，请按提示修改后重新提交",
            issues,
        ));
    }
    let ids: Vec<i64> = members.iter().map(|m| m.0).collect();
    let mut tx = db.begin_write().await?;
    let already = write_checkins(&mut tx, &s, &a, &ids, "sheet", now).await?;
    for (m, line, masked) in &members {
        if already.contains(m) {
            repeated.push(format!("{line} {masked} 已签到"));
        }
    }
    let added = (ids.len() - already.len()) as u64;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("activity.sheet")
            .target("activity", a.id)
            .detail(serde_json::json!({"session": s.id.to_string(), "lines": i.id_numbers.len(), "added": added})),
    )
    .await?;
    tx.commit().await?;
    Ok(SheetResult { added, repeated })
}

/// A person who took part in an activity, with how many of its sessions they attended.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Participant {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub member_id: i64,
    pub name: String,
    pub id_masked: String,
    pub org_name: Option<String>,
    pub times: i64,
    pub signed_up: i64,
}

/// One page of activity `id`'s people: everyone checked in or signed up, each once, with the
/// sessions attended; and whether more follow.
pub async fn participants(
    db: &Db,
    activity_id: i64,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Participant>, bool)> {
    let per_page = per_page.clamp(1, 200);
    let page = page.clamp(1, crate::db::Paging::MAX_PAGE);
    let mut rows: Vec<Participant> = sqlx::query_as(&format!(
        "SELECT p.member_id, m.name, m.id_masked, o.name AS org_name, \
           CAST(SUM(p.times) AS BIGINT) AS times, CAST(SUM(p.signed) AS BIGINT) AS signed_up FROM ( \
             SELECT member_id, COUNT(*) AS times, 0 AS signed FROM activity_checkins WHERE activity_id = $1 GROUP BY member_id \
             UNION ALL SELECT member_id, 0, 1 FROM activity_signups WHERE activity_id = $1 \
           ) p JOIN members m ON m.id = p.member_id LEFT JOIN orgs o ON o.id = m.org_id \
         GROUP BY p.member_id, m.name, m.id_masked, o.name ORDER BY p.member_id LIMIT {} OFFSET {}",
        per_page + 1,
        (page - 1) * per_page
    ))
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

/// An activity open to a member, with whether they signed up.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenActivity {
    pub activity: Activity,
    pub signed_up: bool,
}

/// The activities member `member_id` may still join, soonest first (at most 100): open, not
/// over on `today`, for a subtree that holds the member's union and their group, if any.
pub async fn open_to(db: &Db, member_id: i64, today: NaiveDate) -> AppResult<Vec<OpenActivity>> {
    let p = person(db, member_id).await?;
    let Some(path) = p.org_path.clone().filter(|_| p.status == "active") else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<&str> = crate::registry::orgs::paths_above(&path);
    paths.push(&path);
    let (rows, _) = activity::open_within(db, &paths, today).await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        if ineligible(&a, &p).is_none() {
            let signed_up = signed_up(db, a.id, member_id).await?;
            out.push(OpenActivity {
                activity: a,
                signed_up,
            });
        }
    }
    Ok(out)
}
