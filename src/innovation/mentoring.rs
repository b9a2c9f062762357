//! 名师带徒: a master (师傅) and an apprentice (徒弟), both members, paired for a trade from a
//! start day to an agreed end, on the books of the master's union; closed when the apprentice
//! qualifies (出师) or ended early with a reason. A pair is not signed twice while it runs.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, Paging, Where, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::members;
use crate::registry::scope::Scope;
use crate::workflow::{self, Named, Set, Step, coded_enum, given, issue};

/// The kind of record in the audit trail.
pub const CASE: &str = "mentor_pair";

/// The longest agreed term, in years.
const MAX_YEARS: i64 = 5;

coded_enum! {
    /// Where a pair stands.
    PairStatus {
        Ongoing = "ongoing", "带徒中";
        Graduated = "graduated", "已出师";
        Ended = "ended", "已终止";
    }
}

coded_enum! {
    /// What can be done to a pair.
    PairAction {
        Graduate = "graduate", "出师";
        End = "end", "终止";
    }
}

/// Every allowed move: a running pair closes once, either way.
pub const STEPS: &[Step<PairStatus, PairAction>] = &[
    Step {
        from: PairStatus::Ongoing,
        action: PairAction::Graduate,
        to: PairStatus::Graduated,
    },
    Step {
        from: PairStatus::Ongoing,
        action: PairAction::End,
        to: PairStatus::Ended,
    },
];

/// A pair as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairInput {
    /// The master's ID number …
    pub mentor_id_number: Option<String>,
    /// … or id in the registry.
    pub mentor_member_id: Option<String>,
    pub apprentice_id_number: Option<String>,
    pub apprentice_member_id: Option<String>,
    /// 工种 or skill (焊工, 数控车工).
    pub trade: Option<String>,
    pub starts_on: Option<String>,
    /// The agreed end (约定出师日期).
    pub ends_on: Option<String>,
}

/// Closing a pair, as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// `graduate` or `end`.
    pub action: String,
    /// Default today.
    pub on: Option<String>,
    /// What the apprentice achieved (出师), or why the pair ended (required then).
    pub outcome: Option<String>,
    pub version: i64,
}

/// A pair as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Pair {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub mentor_id: i64,
    pub mentor_name: String,
    pub mentor_masked: Option<String>,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub apprentice_id: i64,
    pub apprentice_name: String,
    pub apprentice_masked: Option<String>,
    pub trade: String,
    pub starts_on: String,
    pub ends_on: String,
    pub status: String,
    #[sqlx(skip)]
    pub status_label: String,
    pub closed_on: Option<String>,
    pub outcome: Option<String>,
    pub version: i64,
}

const SELECT: &str = "p.id, o.code AS org_code, o.name AS org_name, p.org_path, p.mentor_id, m.name AS mentor_name, \
    m.id_masked AS mentor_masked, p.apprentice_id, a.name AS apprentice_name, a.id_masked AS apprentice_masked, p.trade, \
    p.starts_on, p.ends_on, p.status, p.closed_on, p.outcome, p.version \
    FROM mentor_pairs p JOIN orgs o ON o.id = p.org_id JOIN members m ON m.id = p.mentor_id JOIN members a ON a.id = p.apprentice_id";
const COUNT_FROM: &str = "FROM mentor_pairs p JOIN members m ON m.id = p.mentor_id JOIN members a ON a.id = p.apprentice_id";

fn labelled(mut p: Pair) -> Pair {
    p.status_label =
        PairStatus::parse(&p.status).map_or_else(|| p.status.clone(), |s| s.label().into());
    p
}

/// Pair `id` if its union is in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Pair> {
    Ok(labelled(
        crate::registry::scope::one_in_scope(db, SELECT, "p", id, scope, "师徒结对").await?,
    ))
}

fn refused(issues: Vec<crate::error::FieldIssue>) -> AppError {
    AppError::invalid_fields("师徒结对信息有误，请按提示修改", issues)
}

/// Signs a pair. Every problem of the input at once; a pair already running is 409.
pub async fn sign(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    i: &PairInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Pair> {
    let mut issues = Vec::new();
    let mentor = members::active_in_scope(
        db,
        keys,
        &actor.scope,
        "师傅",
        "师傅",
        i.mentor_id_number.as_deref(),
        i.mentor_member_id.as_deref(),
        &mut issues,
    )
    .await?;
    let apprentice = members::active_in_scope(
        db,
        keys,
        &actor.scope,
        "徒弟",
        "徒弟",
        i.apprentice_id_number.as_deref(),
        i.apprentice_member_id.as_deref(),
        &mut issues,
    )
    .await?;
    if let (Some(m), Some(a)) = (&mentor, &apprentice)
        && m.id == a.id
    {
        issues.push(issue("徒弟", "师傅和徒弟不能是同一人"));
    }
    let trade = given(i.trade.as_deref()).map(|t| t.chars().take(50).collect::<String>());
    if trade.is_none() {
        issues.push(issue("工种", "请填写传授的工种或技能"));
    }
    let starts = workflow::date("结对日期", i.starts_on.as_deref(), &mut issues);
    if starts.is_some_and(|d| d > today) {
        issues.push(issue("结对日期", "结对日期不能晚于今天"));
    }
    let ends = workflow::date("约定出师日期", i.ends_on.as_deref(), &mut issues);
    if let (Some(s), Some(e)) = (starts, ends) {
        if e <= s {
            issues.push(issue("约定出师日期", "约定出师日期应晚于结对日期"));
        } else if (e - s).num_days() > MAX_YEARS * 366 {
            issues.push(issue("约定出师日期", format!("带徒期限最长{MAX_YEARS}年")));
        }
    }
    let (Some(mentor), Some(apprentice), Some(trade), Some(starts), Some(ends)) =
        (mentor, apprentice, trade, starts, ends)
    else {
        return Err(refused(issues));
    };
    if !issues.is_empty() {
        return Err(refused(issues));
    }
    let id = new_id();
    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO mentor_pairs (id, org_id, org_path, mentor_id, apprentice_id, trade, starts_on, ends_on, status, once_key, \
         created_by, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'ongoing',$9,$10,$11,$11)",
    )
    .bind(id)
    .bind(mentor.org.id)
    .bind(&mentor.org.path)
    .bind(mentor.id)
    .bind(apprentice.id)
    .bind(&trade)
    .bind(starts.to_string())
    .bind(ends.to_string())
    .bind(format!("{}:{}", mentor.id, apprentice.id))
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted.map_err(AppError::from) {
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::conflict(
                "PAIR_EXISTS",
                format!(
                    "{}与{}的师徒结对正在进行中，不能重复结对",
                    mentor.name, apprentice.name
                ),
            ));
        }
        other => {
            other?;
        }
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("innovation.pair.sign").target(CASE, id).detail(
            serde_json::json!({"starts_on": starts.to_string(), "ends_on": ends.to_string()}),
        ),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// Closes pair `id`: the apprentice qualified (出师), or the pair ended with a reason.
pub async fn close(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &CloseInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Pair> {
    let p = get(db, &actor.scope, id).await?;
    let (from, action, to) = workflow::transition(STEPS, "这对师徒", &p.status, &i.action)?;
    let mut issues = Vec::new();
    let on = workflow::step_day(
        "日期",
        i.on.as_deref(),
        today,
        (&p.starts_on, "结对日期"),
        &mut issues,
    );
    let outcome = given(i.outcome.as_deref()).map(|t| t.chars().take(500).collect::<String>());
    if action == PairAction::End && outcome.is_none() {
        issues.push(issue("说明", "请填写终止的原因"));
    }
    let Some(on) = on.filter(|_| issues.is_empty()) else {
        return Err(AppError::invalid_fields(
            "办理信息有误，请按提示修改",
            issues,
        ));
    };
    let mut tx = db.begin_write().await?;
    workflow::update_case(
        &mut tx,
        "mentor_pairs",
        id,
        i.version,
        from.code(),
        to.code(),
        now,
        &[
            Set::Text("closed_on", Some(on.to_string())),
            Set::Text("outcome", outcome),
            Set::Text("once_key", None),
        ],
        "这对师徒",
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new(match action {
            PairAction::Graduate => "innovation.pair.graduate",
            PairAction::End => "innovation.pair.end",
        })
        .target(CASE, id)
        .detail(serde_json::json!({"on": on.to_string()})),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

coded_enum! {
    /// Which day a pair list's period counts by.
    PairDated {
        Signed = "signed", "结对日期";
        Graduated = "graduated", "出师日期";
    }
}

/// What a pair list asks for (within a scope).
#[derive(Debug, Default, Clone)]
pub struct PairFilter {
    pub status: Option<PairStatus>,
    pub dated: Option<PairDated>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Each apprentice once (their first pair in the list): the drill behind the persons.
    pub one_per_apprentice: bool,
    /// Trade, master's or apprentice's name contains this.
    pub q: Option<String>,
    pub paging: Paging,
}

/// The parts of a pair list's condition on alias `t`, with `?` for their values.
fn parts(t: &str, f: &PairFilter) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    if let Some(s) = f.status {
        out.push((format!("{t}.status = ?"), vec![s.code().to_string()]));
    }
    let column = match f.dated.unwrap_or(PairDated::Signed) {
        PairDated::Signed => "starts_on",
        PairDated::Graduated => {
            out.push((format!("{t}.status = 'graduated'"), vec![]));
            "closed_on"
        }
    };
    if let Some(d) = &f.from {
        out.push((format!("{t}.{column} >= ?"), vec![d.clone()]));
    }
    if let Some(d) = &f.to {
        out.push((format!("{t}.{column} <= ?"), vec![d.clone()]));
    }
    out
}

/// One page of the pairs of `scope`, newest first, and how many there are.
pub async fn list(db: &Db, scope: &Scope, f: &PairFilter) -> AppResult<(Vec<Pair>, i64)> {
    let mut w = Where::in_scope("p.org_path", scope);
    for (part, values) in parts("p", f) {
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        w.and(&part, &values);
    }
    if f.one_per_apprentice {
        let (lo, hi) = scope.range();
        let mut sub =
            "q.apprentice_id = p.apprentice_id AND q.org_path >= ? AND q.org_path < ?".to_string();
        let mut values = vec![lo, hi];
        for (part, v) in parts("q", f) {
            sub.push_str(" AND ");
            sub.push_str(&part);
            values.extend(v);
        }
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        w.and(
            &format!("p.id = (SELECT MIN(q.id) FROM mentor_pairs q WHERE {sub})"),
            &values,
        );
    }
    if let Some(q) = given(f.q.as_deref()) {
        let like = crate::db::like_contains(q);
        w.and(
            "(p.trade LIKE ? ESCAPE '\\' OR m.name LIKE ? ESCAPE '\\' OR a.name LIKE ? ESCAPE '\\')",
            &[&like, &like, &like],
        );
    }
    let (rows, total) = crate::db::paged::<Pair>(
        db,
        SELECT,
        COUNT_FROM,
        &w.cond,
        "p.starts_on DESC, p.id DESC",
        &w.args,
        &f.paging,
    )
    .await?;
    Ok((rows.into_iter().map(labelled).collect(), total))
}
