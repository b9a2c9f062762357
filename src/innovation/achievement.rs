//! Innovation achievements: “五小” innovations (小发明、小创造、小革新、小设计、小建议), inventions
//! (发明创造) and rationalisation proposals (合理化建议), put forward by members — maybe from a
//! studio — and decided: adopted or not; an adopted one put into use with the benefit it
//! brought (经济效益, in fen).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::people::{self, Role};
use super::studio::{self, StudioStatus};
use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, Paging, Where, new_id};
use crate::error::{AppError, AppResult};
use crate::registry::scope::Scope;
use crate::types::{Fen, Limits};
use crate::workflow::{self, Named, Set, Step, coded_enum, given, issue};

/// The kind of record in the audit trail.
pub const CASE: &str = "innovation_achievement";

/// The most benefit one achievement may record (十亿元).
const MAX_BENEFIT: Fen = Fen(100_000_000_000);

coded_enum! {
    /// What was put forward.
    AchievementKind {
        SmallInnovation = "small_innovation", "“五小”创新";
        Invention = "invention", "发明创造";
        Proposal = "proposal", "合理化建议";
    }
}

coded_enum! {
    /// Where an achievement stands.
    AchievementStatus {
        Submitted = "submitted", "待评审";
        Adopted = "adopted", "已采纳";
        Declined = "declined", "未采纳";
        Implemented = "implemented", "已实施";
    }
}

coded_enum! {
    /// What can be done to an achievement.
    AchievementAction {
        Adopt = "adopt", "采纳";
        Decline = "decline", "不予采纳";
        Implement = "implement", "实施并登记效益";
    }
}

/// Every allowed move: decided once, put into use only once adopted.
pub const STEPS: &[Step<AchievementStatus, AchievementAction>] = &[
    Step {
        from: AchievementStatus::Submitted,
        action: AchievementAction::Adopt,
        to: AchievementStatus::Adopted,
    },
    Step {
        from: AchievementStatus::Submitted,
        action: AchievementAction::Decline,
        to: AchievementStatus::Declined,
    },
    Step {
        from: AchievementStatus::Adopted,
        action: AchievementAction::Implement,
        to: AchievementStatus::Implemented,
    },
];

/// An achievement as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AchievementInput {
    /// Code or label of the kind (`proposal` or 合理化建议).
    pub kind: Option<String>,
    pub title: Option<String>,
    /// What it is and what it changes.
    pub summary: Option<String>,
    /// The authors' ID numbers, one per line, the first author first.
    pub authors: Option<String>,
    /// The studio it came from (its id), if any.
    pub studio_id: Option<String>,
    /// The employer it was made for (统一社会信用代码), if any.
    pub uscc: Option<String>,
    /// Default today.
    pub submitted_on: Option<String>,
    /// An invention's patent number.
    pub patent_no: Option<String>,
}

/// A decision or the use of an achievement, as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideInput {
    /// `adopt`, `decline` or `implement`.
    pub action: String,
    /// The day decided or put into use; default today.
    pub on: Option<String>,
    /// Why not adopted.
    pub reason: Option<String>,
    /// The benefit once in use, 元 (0 allowed).
    pub benefit: Option<String>,
    /// The version the decision was made on.
    pub version: i64,
}

/// An achievement as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Achievement {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub unit_name: Option<String>,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub studio_id: Option<i64>,
    pub studio_name: Option<String>,
    /// The first author.
    pub lead_name: String,
    pub lead_masked: Option<String>,
    pub kind: String,
    #[sqlx(skip)]
    pub kind_label: String,
    pub title: String,
    pub summary: String,
    pub submitted_on: String,
    pub status: String,
    #[sqlx(skip)]
    pub status_label: String,
    pub decided_on: Option<String>,
    pub decided_by: Option<String>,
    pub decline_reason: Option<String>,
    pub implemented_on: Option<String>,
    pub benefit_fen: i64,
    pub patent_no: Option<String>,
    pub version: i64,
}

const SELECT: &str = "a.id, o.code AS org_code, o.name AS org_name, a.org_path, u.name AS unit_name, a.studio_id, \
    s.name AS studio_name, m.name AS lead_name, m.id_masked AS lead_masked, a.kind, a.title, a.summary, a.submitted_on, \
    a.status, a.decided_on, a.decided_by, a.decline_reason, a.implemented_on, a.benefit_fen, a.patent_no, a.version \
    FROM innovation_achievements a JOIN orgs o ON o.id = a.org_id JOIN members m ON m.id = a.lead_id \
    LEFT JOIN units u ON u.id = a.unit_id LEFT JOIN innovation_studios s ON s.id = a.studio_id";
const COUNT_FROM: &str = "FROM innovation_achievements a";

fn labelled(mut a: Achievement) -> Achievement {
    a.kind_label =
        AchievementKind::parse(&a.kind).map_or_else(|| a.kind.clone(), |k| k.label().into());
    a.status_label =
        AchievementStatus::parse(&a.status).map_or_else(|| a.status.clone(), |s| s.label().into());
    a
}

impl Achievement {
    pub fn status(&self) -> Option<AchievementStatus> {
        AchievementStatus::parse(&self.status)
    }
}

/// Achievement `id` if its union is in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Achievement> {
    Ok(labelled(
        crate::registry::scope::one_in_scope(db, SELECT, "a", id, scope, "创新成果").await?,
    ))
}

fn refused(issues: Vec<crate::error::FieldIssue>) -> AppError {
    AppError::invalid_fields("创新成果信息有误，请按提示修改", issues)
}

/// Records an achievement put forward by its authors. Every problem of the input at once.
pub async fn submit(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    i: &AchievementInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Achievement> {
    let mut issues = Vec::new();
    let kind: Option<AchievementKind> = workflow::pick("成果类别", i.kind.as_deref(), &mut issues);
    let title = given(i.title.as_deref()).map(|t| t.chars().take(100).collect::<String>());
    if title.is_none() {
        issues.push(issue("成果名称", "请填写成果名称"));
    }
    let summary = given(i.summary.as_deref()).map(|t| t.chars().take(2000).collect::<String>());
    if summary.is_none() {
        issues.push(issue("内容简介", "请填写内容简介"));
    }
    let authors = people::listed(
        db,
        keys,
        &actor.scope,
        "完成人",
        i.authors.as_deref(),
        &mut issues,
    )
    .await?;
    if authors.is_empty() && given(i.authors.as_deref()).is_none() {
        issues.push(issue("完成人", "请填写完成人的身份证号，第一完成人在前"));
    }
    let on = match given(i.submitted_on.as_deref()) {
        None => Some(today),
        typed => workflow::date("提出日期", typed, &mut issues),
    };
    if on.is_some_and(|d| d > today) {
        issues.push(issue("提出日期", "提出日期不能晚于今天"));
    }
    let studio = match given(i.studio_id.as_deref()) {
        None => None,
        Some(typed) => {
            let found = match typed.parse::<i64>() {
                Ok(id) => studio::get(db, &actor.scope, id).await.ok(),
                Err(_) => None,
            };
            match found {
                Some(s) if s.status == StudioStatus::Named.code() => Some(s),
                Some(s) => {
                    issues.push(issue("创新工作室", format!("“{}”已撤销命名", s.name)));
                    None
                }
                None => {
                    issues.push(issue(
                        "创新工作室",
                        "所选创新工作室不存在或不在您的管理范围内",
                    ));
                    None
                }
            }
        }
    };
    let unit =
        workflow::unit_in_scope(db, &actor.scope, "服务单位", i.uscc.as_deref(), &mut issues)
            .await?;
    let patent = given(i.patent_no.as_deref()).map(|p| p.chars().take(50).collect::<String>());
    if patent.is_some() && kind.is_some_and(|k| k != AchievementKind::Invention) {
        issues.push(issue("专利号", "只有发明创造填写专利号"));
    }
    let (Some(kind), Some(title), Some(summary), Some(lead), Some(on)) =
        (kind, title, summary, authors.first(), on)
    else {
        return Err(refused(issues));
    };
    if !issues.is_empty() {
        return Err(refused(issues));
    }
    let id = new_id();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO innovation_achievements (id, org_id, org_path, unit_id, studio_id, lead_id, kind, title, summary, \
         submitted_on, status, patent_no, created_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'submitted',$11,$12,$13,$13)",
    )
    .bind(id)
    .bind(lead.org.id)
    .bind(&lead.org.path)
    .bind(unit.as_ref().map(|u| u.id))
    .bind(studio.as_ref().map(|s| s.id))
    .bind(lead.id)
    .bind(kind.code())
    .bind(&title)
    .bind(&summary)
    .bind(on.to_string())
    .bind(&patent)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for a in &authors {
        people::add(&mut tx, id, a.id, Role::Author, on).await?;
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("innovation.achievement.submit")
            .target(CASE, id)
            .detail(serde_json::json!({"kind": kind.code(), "authors": authors.len()})),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// Adopts or declines achievement `id`, or records it in use with its benefit.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &DecideInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Achievement> {
    let a = get(db, &actor.scope, id).await?;
    let (from, action, to) = workflow::transition(STEPS, "这项成果", &a.status, &i.action)?;
    let mut issues = Vec::new();
    let since = match action {
        AchievementAction::Implement => (a.decided_on.as_deref().unwrap_or_default(), "采纳日期"),
        _ => (a.submitted_on.as_str(), "提出日期"),
    };
    let on = workflow::step_day("日期", i.on.as_deref(), today, since, &mut issues);
    let mut sets = Vec::new();
    match action {
        AchievementAction::Adopt => {}
        AchievementAction::Decline => match given(i.reason.as_deref()) {
            Some(r) => sets.push(Set::Text(
                "decline_reason",
                Some(r.chars().take(500).collect()),
            )),
            None => issues.push(issue("理由", "请填写不予采纳的理由")),
        },
        AchievementAction::Implement => {
            let benefit = match given(i.benefit.as_deref()) {
                None => Some(Fen(0)),
                typed => {
                    workflow::money("经济效益", typed, Limits::up_to(MAX_BENEFIT), &mut issues)
                }
            };
            if let Some(b) = benefit {
                sets.push(Set::Number("benefit_fen", Some(b.0)));
            }
        }
    }
    let Some(on) = on.filter(|_| issues.is_empty()) else {
        return Err(AppError::invalid_fields(
            "办理信息有误，请按提示修改",
            issues,
        ));
    };
    match action {
        AchievementAction::Implement => {
            sets.push(Set::Text("implemented_on", Some(on.to_string())))
        }
        _ => {
            sets.push(Set::Text("decided_on", Some(on.to_string())));
            sets.push(Set::Text("decided_by", Some(actor.name.clone())));
        }
    }
    let mut tx = db.begin_write().await?;
    workflow::update_case(
        &mut tx,
        "innovation_achievements",
        id,
        i.version,
        from.code(),
        to.code(),
        now,
        &sets,
        "这项成果",
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new(match action {
            AchievementAction::Adopt => "innovation.achievement.adopt",
            AchievementAction::Decline => "innovation.achievement.decline",
            AchievementAction::Implement => "innovation.achievement.implement",
        })
        .target(CASE, id)
        .detail(serde_json::json!({"on": on.to_string()})),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

coded_enum! {
    /// Which day a list's period counts by: put forward, adopted (adopted ones, in use or not),
    /// or put into use.
    Dated {
        Submitted = "submitted", "提出日期";
        Adopted = "adopted", "采纳日期";
        Implemented = "implemented", "实施日期";
    }
}

/// What an achievement list asks for (within a scope).
#[derive(Debug, Default, Clone)]
pub struct AchievementFilter {
    pub kind: Option<AchievementKind>,
    pub status: Option<AchievementStatus>,
    pub studio_id: Option<i64>,
    /// The period's day (default put forward) and its bounds.
    pub dated: Option<Dated>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Title contains this.
    pub q: Option<String>,
    pub paging: Paging,
}

/// One page of the achievements of `scope`, newest first, and how many there are.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &AchievementFilter,
) -> AppResult<(Vec<Achievement>, i64)> {
    let mut w = Where::in_scope("a.org_path", scope);
    if let Some(k) = f.kind {
        w.and("a.kind = ?", &[k.code()]);
    }
    if let Some(s) = f.status {
        w.and("a.status = ?", &[s.code()]);
    }
    let studio = f.studio_id.map(|s| s.to_string());
    if let Some(s) = &studio {
        w.and("a.studio_id = CAST(? AS BIGINT)", &[s]);
    }
    let column = match f.dated.unwrap_or(Dated::Submitted) {
        Dated::Submitted => "a.submitted_on",
        Dated::Adopted => {
            if f.from.is_some() || f.to.is_some() {
                w.and("a.status IN ('adopted', 'implemented')", &[]);
            }
            "a.decided_on"
        }
        Dated::Implemented => "a.implemented_on",
    };
    if let Some(d) = &f.from {
        w.and(&format!("{column} >= ?"), &[d]);
    }
    if let Some(d) = &f.to {
        w.and(&format!("{column} <= ?"), &[d]);
    }
    if let Some(q) = given(f.q.as_deref()) {
        w.and(
            "a.title LIKE ? ESCAPE '\\'",
            &[&crate::db::like_contains(q)],
        );
    }
    let (rows, total) = crate::db::paged::<Achievement>(
        db,
        SELECT,
        COUNT_FROM,
        &w.cond,
        &format!("{column} DESC, a.id DESC"),
        &w.args,
        &f.paging,
    )
    .await?;
    Ok((rows.into_iter().map(labelled).collect(), total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever is tried, an achievement is put into use only once adopted, and a declined
        /// one never moves again.
        #[test]
        fn in_use_only_once_adopted(actions in prop::collection::vec(
            proptest::sample::select(AchievementAction::all().to_vec()), 0..8)) {
            let mut state = AchievementStatus::Submitted;
            for a in actions {
                if let Some(next) = workflow::next(STEPS, state, a) {
                    prop_assert_ne!(state, AchievementStatus::Declined);
                    if next == AchievementStatus::Implemented {
                        prop_assert_eq!(state, AchievementStatus::Adopted);
                    }
                    state = next;
                }
            }
        }
    }
}
