//! An activity: who organises it, what kind it is, when and where, how many may take part and
//! who is eligible, its budget, and where it stands (进行中 → 已结束, or 已取消 before any
//! session was held).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::db::{Db, new_id};
use crate::error::{AppError, AppResult, FieldIssue};
use crate::registry::scope::{Scope, one_in_scope};
use crate::types::{Fen, Limits};
use crate::workflow::{self, Named, Set, Step, coded_enum, given, issue};

/// The most places an activity offers.
pub const MAX_CAPACITY: i64 = 1_000_000;
/// The longest an activity runs (a year-long competition).
pub const MAX_DAYS: i64 = 366;
/// The largest budget typed (1亿元): a typo of a few digits is refused.
pub const MAX_BUDGET: Fen = Fen(10_000_000_000);

coded_enum! {
    /// What kind of activity it is; the figures split by it.
    Kind {
        Competition = "competition", "劳动竞赛";
        SkillContest = "skill_contest", "职业技能竞赛";
        Training = "training", "技能培训";
        Lecture = "lecture", "宣讲活动";
        Culture = "culture", "文体活动";
        Reading = "reading", "读书征文";
        Quiz = "quiz", "知识竞答";
        Vote = "vote", "投票评选";
        Visit = "visit", "走访慰问";
        JobFair = "job_fair", "招聘会";
    }
}

coded_enum! {
    /// Where an activity stands.
    Status {
        Open = "open", "进行中";
        Closed = "closed", "已结束";
        Cancelled = "cancelled", "已取消";
    }
}

coded_enum! {
    /// What a cadre does to an activity.
    Action {
        Close = "close", "结束活动";
        Cancel = "cancel", "取消活动";
        Reopen = "reopen", "重新开放";
    }
}

/// The allowed transitions. Cancelling also needs that no session was held (checked in `step`).
pub const STEPS: &[Step<Status, Action>] = &[
    Step {
        from: Status::Open,
        action: Action::Close,
        to: Status::Closed,
    },
    Step {
        from: Status::Open,
        action: Action::Cancel,
        to: Status::Cancelled,
    },
    Step {
        from: Status::Closed,
        action: Action::Reopen,
        to: Status::Open,
    },
];

/// An activity as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    /// The organising union (code); default the top of the caller's scope.
    pub org_code: Option<String>,
    /// Code or Chinese label of the kind (`training` or 技能培训).
    pub kind: Option<String>,
    pub title: Option<String>,
    /// Partner bodies (协办单位), in words.
    pub partners: Option<String>,
    pub place: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    /// Places offered; blank for no limit (then no sign-up is needed).
    pub capacity: Option<String>,
    /// Members of this union's subtree may take part (code); default the organiser's subtree.
    pub eligible_org: Option<String>,
    /// Only members of this 新就业形态 group (快递员, 网约送餐员 …).
    pub eligible_group: Option<String>,
    /// Budget in 元.
    pub budget: Option<String>,
}

/// An activity as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Activity {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    pub kind: String,
    pub kind_label: String,
    pub title: String,
    pub partners: Option<String>,
    pub place: Option<String>,
    pub starts_on: String,
    pub ends_on: String,
    pub capacity: Option<i64>,
    pub signups: i64,
    pub eligible_code: String,
    pub eligible_name: String,
    pub eligible_group: Option<String>,
    /// In 元, two decimals.
    pub budget: String,
    #[serde(skip)]
    pub budget_fen: i64,
    /// Paid so far (payments undone not counted), in 元.
    pub spent: String,
    #[serde(skip)]
    pub spent_fen: i64,
    /// What is left of the budget, in 元.
    pub remaining: String,
    #[serde(skip)]
    pub budget_account: Option<i64>,
    #[serde(skip)]
    pub org_id: i64,
    pub status: String,
    pub status_label: String,
    pub version: i64,
    /// Sessions held so far.
    pub sessions: i64,
    #[serde(skip)]
    pub org_path: String,
    #[serde(skip)]
    pub eligible_path: String,
}

#[derive(FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    org_code: String,
    org_name: String,
    org_path: String,
    kind: String,
    title: String,
    partners: Option<String>,
    place: Option<String>,
    starts_on: String,
    ends_on: String,
    capacity: Option<i64>,
    signups: i64,
    eligible_code: String,
    eligible_name: String,
    eligible_path: String,
    eligible_group: Option<String>,
    budget_fen: i64,
    budget_account: Option<i64>,
    spent_fen: i64,
    status: String,
    version: i64,
    sessions: i64,
}

const SELECT: &str = "a.id, a.org_id, o.code AS org_code, o.name AS org_name, a.org_path, a.kind, a.title, a.partners, a.place, \
    a.starts_on, a.ends_on, a.capacity, a.signups, e.code AS eligible_code, e.name AS eligible_name, a.eligible_path, \
    a.eligible_group, a.budget_fen, a.budget_account, a.status, a.version, \
    (SELECT COUNT(*) FROM activity_sessions s WHERE s.activity_id = a.id) AS sessions, \
    (SELECT CAST(COALESCE(SUM(x.amount_fen), 0) AS BIGINT) FROM activity_spending x \
     WHERE x.activity_id = a.id AND x.reversal_posting IS NULL) AS spent_fen \
    FROM activities a JOIN orgs o ON o.id = a.org_id JOIN orgs e ON e.path = a.eligible_path";

impl From<Row> for Activity {
    fn from(r: Row) -> Self {
        fn label<T: Named>(code: &str) -> String {
            T::parse(code).map_or_else(|| code.to_string(), |v| v.label().to_string())
        }
        Activity {
            id: r.id,
            org_code: r.org_code,
            org_name: r.org_name,
            kind_label: label::<Kind>(&r.kind),
            kind: r.kind,
            title: r.title,
            partners: r.partners,
            place: r.place,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            capacity: r.capacity,
            signups: r.signups,
            eligible_code: r.eligible_code,
            eligible_name: r.eligible_name,
            eligible_group: r.eligible_group,
            budget: Fen(r.budget_fen).to_string(),
            budget_fen: r.budget_fen,
            spent: Fen(r.spent_fen).to_string(),
            spent_fen: r.spent_fen,
            remaining: Fen(r.budget_fen - r.spent_fen).to_string(),
            budget_account: r.budget_account,
            org_id: r.org_id,
            status_label: label::<Status>(&r.status),
            status: r.status,
            version: r.version,
            sessions: r.sessions,
            org_path: r.org_path,
            eligible_path: r.eligible_path,
        }
    }
}

impl Activity {
    pub fn status(&self) -> Option<Status> {
        Status::parse(&self.status)
    }

    pub fn days(&self) -> (NaiveDate, NaiveDate) {
        let day = |s: &str| s.parse().unwrap_or(NaiveDate::MIN);
        (day(&self.starts_on), day(&self.ends_on))
    }
}

/// The activity `id` if its organiser is in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Activity> {
    let row: Row = one_in_scope(db, SELECT, "a", id, scope, "活动").await?;
    Ok(row.into())
}

/// The activity `id`, wherever it is (a member's sign-up finds it by its id, then eligibility
/// decides).
pub async fn get_any(db: &Db, id: i64) -> AppResult<Activity> {
    get(db, &Scope::all(), id).await
}

/// A whole number of places typed in `field`, 1 to `MAX_CAPACITY`; blank for no limit.
fn places(field: &str, typed: Option<&str>, issues: &mut Vec<FieldIssue>) -> Option<i64> {
    let t = given(typed)?;
    match t.parse::<i64>() {
        Ok(n) if (1..=MAX_CAPACITY).contains(&n) => Some(n),
        _ => {
            issues.push(issue(
                field,
                format!("{field}须为 1 至 {MAX_CAPACITY} 的整数，不限人数请留空"),
            ));
            None
        }
    }
}

/// Creates an activity from what a cadre typed; every problem is named by its field and
/// nothing is written while any remains.
pub async fn create(db: &Db, actor: &Actor, i: &ActivityInput, now: i64) -> AppResult<Activity> {
    let mut issues = Vec::new();
    let org = workflow::union_in_scope(
        db,
        &actor.scope,
        "主办工会",
        i.org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let kind: Option<Kind> = workflow::pick("活动类别", i.kind.as_deref(), &mut issues);
    let title = given(i.title.as_deref()).map(|t| t.chars().take(100).collect::<String>());
    if title.is_none() {
        issues.push(issue("活动名称", "请填写活动名称"));
    }
    let starts = workflow::date("开始日期", i.starts_on.as_deref(), &mut issues);
    let ends = workflow::date("结束日期", i.ends_on.as_deref(), &mut issues);
    if let (Some(s), Some(e)) = (starts, ends) {
        if e < s {
            issues.push(issue("结束日期", "结束日期不能早于开始日期"));
        } else if (e - s).num_days() >= MAX_DAYS {
            issues.push(issue(
                "结束日期",
                format!("一项活动最长 {MAX_DAYS} 天，跨年度的请按年度分别登记"),
            ));
        }
    }
    let capacity = places("名额", i.capacity.as_deref(), &mut issues);
    let eligible = match (&org, given(i.eligible_org.as_deref())) {
        (Some(o), None) => Some(o.clone()),
        (Some(o), Some(code)) => {
            match crate::registry::orgs::get_by_code(db, &Scope::subtree(&o.path), code).await {
                Ok(e) => Some(e),
                Err(_) => {
                    issues.push(issue(
                        "参加范围",
                        format!("工会代码“{code}”不存在或不在主办工会“{}”的下级中", o.name),
                    ));
                    None
                }
            }
        }
        (None, _) => None,
    };
    let group = match given(i.eligible_group.as_deref()) {
        None => None,
        Some(g) => match crate::registry::codes::nef_group(g) {
            Ok(found) => found,
            Err(e) => {
                issues.push(issue("限新就业形态群体", e.message()));
                None
            }
        },
    };
    let budget = match given(i.budget.as_deref()) {
        None => Some(Fen(0)),
        typed => workflow::money("活动预算", typed, Limits::up_to(MAX_BUDGET), &mut issues),
    };
    let (
        Some(org),
        Some(kind),
        Some(title),
        Some(starts),
        Some(ends),
        Some(eligible),
        Some(budget),
    ) = (org, kind, title, starts, ends, eligible, budget)
    else {
        return Err(AppError::invalid_fields(
            "活动信息有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "活动信息有误，请按提示修改",
            issues,
        ));
    }
    let text =
        |t: &Option<String>| given(t.as_deref()).map(|s| s.chars().take(200).collect::<String>());
    let id = new_id();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO activities (id, org_id, org_path, kind, title, partners, place, starts_on, ends_on, capacity, \
         eligible_path, eligible_group, budget_fen, status, created_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$16)",
    )
    .bind(id)
    .bind(org.id)
    .bind(&org.path)
    .bind(kind.code())
    .bind(&title)
    .bind(text(&i.partners))
    .bind(text(&i.place))
    .bind(starts.to_string())
    .bind(ends.to_string())
    .bind(capacity)
    .bind(&eligible.path)
    .bind(group)
    .bind(budget.0)
    .bind(Status::Open.code())
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("activity.create")
            .target("activity", id)
            .detail(serde_json::json!({"kind": kind.code(), "org": org.code})),
    )
    .await?;
    if budget.0 > 0 {
        let made: Row = sqlx::query_as(&format!("SELECT {SELECT} WHERE a.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let day = crate::clock::local_date(now);
        super::spending::fund_budget(&mut tx, actor, &made.into(), budget, day, now).await?;
    }
    tx.commit().await?;
    get_any(db, id).await
}

/// A transition asked for, with the version the cadre saw.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = ActivityStepInput)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub version: i64,
}

/// Closes, cancels or reopens the activity `id`: allowed by the table, and a cancel only while
/// no session was held (held sessions count in the figures; close the activity instead).
pub async fn step(
    db: &Db,
    actor: &Actor,
    id: i64,
    action: Action,
    i: &StepInput,
    now: i64,
) -> AppResult<Activity> {
    let a = get(db, &actor.scope, id).await?;
    let from = a
        .status()
        .ok_or_else(|| AppError::invalid("活动状态无法识别"))?;
    let to = workflow::next(STEPS, from, action)
        .ok_or_else(|| workflow::refused("这项活动", from, action))?;
    if action == Action::Cancel && a.sessions > 0 {
        return Err(AppError::conflict(
            "TRANSITION_REFUSED",
            format!(
                "这项活动已举办 {} 场，不能取消；活动结束后请选择“结束活动”",
                a.sessions
            ),
        ));
    }
    let mut tx = db.begin_write().await?;
    workflow::update_case(
        &mut tx,
        "activities",
        id,
        i.version,
        from.code(),
        to.code(),
        now,
        &[] as &[Set],
        "这项活动",
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("activity.step")
            .target("activity", id)
            .detail(serde_json::json!({"action": action.code(), "to": to.code()})),
    )
    .await?;
    tx.commit().await?;
    get_any(db, id).await
}

/// Which activities a list shows.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// The organisers' subtree (union code); default the caller's scope.
    pub org: Option<String>,
    pub kind: Option<Kind>,
    pub status: Option<Status>,
    /// Activities running at some time in these days.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// With `from`/`to`: only activities that held a session in these days (the figures'
    /// rule).
    pub held: bool,
    /// In the title.
    pub q: Option<String>,
    pub page: i64,
    pub per_page: i64,
}

/// One page of the activities of `scope` the filter keeps, latest first, and whether more
/// follow.
pub async fn list(db: &Db, scope: &Scope, f: &ListFilter) -> AppResult<(Vec<Activity>, bool)> {
    let scope = crate::registry::orgs::narrowed(db, scope, f.org.as_deref()).await?;
    let (lo, hi) = scope.range();
    let mut sql = format!("SELECT {SELECT} WHERE a.org_path >= $1 AND a.org_path < $2");
    let mut binds: Vec<String> = vec![lo, hi];
    let mut add = |cond: &str, v: String, sql: &mut String| {
        binds.push(v);
        sql.push_str(&cond.replace('?', &format!("${}", binds.len())));
    };
    if let Some(k) = f.kind {
        add(" AND a.kind = ?", k.code().into(), &mut sql);
    }
    if let Some(s) = f.status {
        add(" AND a.status = ?", s.code().into(), &mut sql);
    }
    if f.held {
        let from = f.from.unwrap_or(NaiveDate::MIN).to_string();
        let to = f.to.unwrap_or(NaiveDate::MAX).to_string();
        add(
            " AND EXISTS (SELECT 1 FROM activity_sessions s WHERE s.activity_id = a.id AND s.held_on >= ?",
            from,
            &mut sql,
        );
        add(" AND s.held_on <= ?)", to, &mut sql);
    } else {
        if let Some(d) = f.from {
            add(" AND a.ends_on >= ?", d.to_string(), &mut sql);
        }
        if let Some(d) = f.to {
            add(" AND a.starts_on <= ?", d.to_string(), &mut sql);
        }
    }
    if let Some(q) = given(f.q.as_deref()) {
        add(
            " AND a.title LIKE ? ESCAPE '\\'",
            crate::db::like_contains(q),
            &mut sql,
        );
    }
    let per_page = f.per_page.clamp(1, 200);
    let page = f.page.clamp(1, crate::db::Paging::MAX_PAGE);
    sql.push_str(&format!(
        " ORDER BY a.starts_on DESC, a.id DESC LIMIT {} OFFSET {}",
        per_page + 1,
        (page - 1) * per_page
    ));
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let mut rows: Vec<Activity> = q
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(Activity::from)
        .collect();
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

/// The open activities not over on `today` whose eligible subtree is one of `paths`, soonest
/// first, at most 100; and whether more follow.
pub async fn open_within(
    db: &Db,
    paths: &[&str],
    today: NaiveDate,
) -> AppResult<(Vec<Activity>, bool)> {
    if paths.is_empty() {
        return Ok((Vec::new(), false));
    }
    let sql = format!(
        "SELECT {SELECT} WHERE a.status = 'open' AND a.ends_on >= $1 AND a.eligible_path IN ({}) \
         ORDER BY a.starts_on, a.id LIMIT 101",
        crate::db::in_list_from(2, paths.len())
    );
    let mut q = sqlx::query_as::<_, Row>(&sql).bind(today.to_string());
    for p in paths {
        q = q.bind(*p);
    }
    let mut rows: Vec<Activity> = q
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(Activity::from)
        .collect();
    let more = rows.len() > 100;
    rows.truncate(100);
    Ok((rows, more))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Close),
            Just(Action::Cancel),
            Just(Action::Reopen)
        ]
    }

    proptest! {
        /// Whatever a cadre tries, a cancelled activity stays cancelled and a closed one only
        /// reopens.
        #[test]
        fn cancelled_is_final_and_closed_only_reopens(actions in prop::collection::vec(any_action(), 0..12)) {
            let mut state = Status::Open;
            for a in actions {
                match workflow::next(STEPS, state, a) {
                    Some(next) => {
                        prop_assert!(state != Status::Cancelled);
                        if state == Status::Closed {
                            prop_assert_eq!((a, next), (Action::Reopen, Status::Open));
                        }
                        state = next;
                    }
                    None => prop_assert!(
                        state == Status::Cancelled || (state == Status::Closed && a != Action::Reopen)
                            || (state == Status::Open && a == Action::Reopen)
                    ),
                }
            }
        }
    }
}
