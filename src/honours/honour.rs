//! An honour and its way to being granted: a union puts a member or a collective up for a title
//! (劳动模范, 五一劳动奖章, 工人先锋号 …) that a union at or above it grants; the unions between
//! review it level by level (the shared review chain), the granting union shows it in public
//! for [`NOTICE_DAYS`] days (objections settled first), then grants it with its document number.
//! An honour granted outside the platform (全国劳模 by the State Council, a title from before the
//! platform) is recorded as granted with its awarding body and document. A granted honour may be
//! revoked; it then leaves the figures.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::activities::contests::Level;
use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, Tx, new_id};
use crate::error::{AppError, AppResult, FieldIssue};
use crate::registry::orgs::{self, Org};
use crate::registry::scope::Scope;
use crate::workflow::history::{self, CaseRef, Entry, HistoryRow};
use crate::workflow::notice::{self, ObjectionInput, ResolveInput};
use crate::workflow::review::{self, Decision, DecisionInput, Outcome};
use crate::workflow::{self, Named, Step, coded_enum, deadlines, given, issue};

/// The kind of case in the shared history, review chains and notices.
pub const CASE: &str = "honour";

/// Days an approved nomination is shown in public, in calendar days: a week covers the five
/// working days the selection rules ask for (公示不少于5个工作日).
pub const NOTICE_DAYS: u32 = 7;

/// The union kinds that review a nomination on its way up (the nominating grassroots union
/// put it forward, so it does not review itself).
const REVIEW_KINDS: [&str; 6] = [
    "street",
    "community",
    "district",
    "city",
    "provincial",
    "national",
];

coded_enum! {
    /// The kind of title.
    TitleKind {
        ModelWorker = "model_worker", "劳动模范";
        Advanced = "advanced_worker", "先进工作者";
        MayDayMedal = "may_day_medal", "五一劳动奖章";
        MayDayAward = "may_day_award", "五一劳动奖状";
        Vanguard = "vanguard", "工人先锋号";
        Craftsman = "craftsman", "工匠";
        Women = "women", "巾帼建功";
        Other = "other", "其他荣誉";
    }
}

coded_enum! {
    /// Who is honoured: a person or a collective (an employer, a 班组, a union).
    Subject {
        Person = "person", "个人";
        Collective = "collective", "集体";
    }
}

impl TitleKind {
    /// Whether a title of this kind goes to `s`: medals and 劳模 to persons, 奖状 and 先锋号 to
    /// collectives, the rest to either.
    pub fn fits(self, s: Subject) -> bool {
        match self {
            TitleKind::ModelWorker
            | TitleKind::Advanced
            | TitleKind::MayDayMedal
            | TitleKind::Craftsman => s == Subject::Person,
            TitleKind::MayDayAward | TitleKind::Vanguard => s == Subject::Collective,
            TitleKind::Women | TitleKind::Other => true,
        }
    }
}

coded_enum! {
    /// Where an honour stands.
    Status {
        Reviewing = "reviewing", "审核中";
        Notice = "notice", "公示中";
        Awarded = "awarded", "已授予";
        Rejected = "rejected", "未通过";
        Withdrawn = "withdrawn", "已撤回";
        Revoked = "revoked", "已撤销";
    }
}

coded_enum! {
    /// What can be done to an honour.
    Action {
        Review = "review", "审核同意并报上级";
        Approve = "approve", "审核同意并公示";
        Reject = "reject", "审核不同意";
        UpholdObjection = "uphold_objection", "异议成立";
        Award = "award", "授予";
        Withdraw = "withdraw", "撤回推荐";
        Revoke = "revoke", "撤销荣誉";
    }
}

/// Every allowed move. A title is granted only after its public notice; refused, withdrawn
/// and revoked are final.
pub const STEPS: &[Step<Status, Action>] = &[
    Step {
        from: Status::Reviewing,
        action: Action::Review,
        to: Status::Reviewing,
    },
    Step {
        from: Status::Reviewing,
        action: Action::Approve,
        to: Status::Notice,
    },
    Step {
        from: Status::Reviewing,
        action: Action::Reject,
        to: Status::Rejected,
    },
    Step {
        from: Status::Reviewing,
        action: Action::Withdraw,
        to: Status::Withdrawn,
    },
    Step {
        from: Status::Notice,
        action: Action::UpholdObjection,
        to: Status::Rejected,
    },
    Step {
        from: Status::Notice,
        action: Action::Award,
        to: Status::Awarded,
    },
    Step {
        from: Status::Notice,
        action: Action::Withdraw,
        to: Status::Withdrawn,
    },
    Step {
        from: Status::Awarded,
        action: Action::Revoke,
        to: Status::Revoked,
    },
];

/// A nomination, or an honour granted elsewhere to record, as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HonourInput {
    /// `person` or `collective` (个人, 集体).
    pub subject: Option<String>,
    /// A person: the member's ID number …
    pub id_number: Option<String>,
    /// … or their id in the registry (from the member's page).
    pub member_id: Option<String>,
    /// A collective of an employer: its 统一社会信用代码.
    pub uscc: Option<String>,
    /// A collective that is a union: its code.
    pub union_code: Option<String>,
    /// The collective's name as honoured (a 班组 of the employer); default the employer's or
    /// union's name.
    pub collective_name: Option<String>,
    /// Code or label of the kind (`model_worker` or 劳动模范).
    pub title_kind: Option<String>,
    /// The title as granted (凤城工匠, 巾帼建功标兵); default the kind's label.
    pub title: Option<String>,
    /// Code or label of the level (`city` or 市级).
    pub level: Option<String>,
    /// The selection's year; default this year.
    pub year: Option<String>,
    /// 主要事迹.
    pub deeds: Option<String>,
    /// A nomination: the union that grants it (code), the honouree's union or one above it.
    pub awarding_org: Option<String>,
    /// A recorded honour: who granted it (国务院, 中华全国总工会 …).
    pub awarding_body: Option<String>,
    /// A recorded honour: the day granted.
    pub awarded_on: Option<String>,
    /// A recorded honour: the granting document's number (文号).
    pub document_no: Option<String>,
}

/// An honour as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Honour {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    /// The honouree's union.
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub subject: String,
    #[sqlx(skip)]
    pub subject_label: String,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub member_id: Option<i64>,
    /// The person's or the collective's name.
    pub name: String,
    /// A person's ID number, masked.
    pub id_masked: Option<String>,
    /// The employer of a collective.
    pub unit_name: Option<String>,
    pub title_kind: String,
    #[sqlx(skip)]
    pub title_kind_label: String,
    pub title: String,
    pub level: String,
    #[sqlx(skip)]
    pub level_label: String,
    pub year: i64,
    pub awarding_body: String,
    /// The granting union's code; null for an honour granted outside the platform.
    pub awarding_code: Option<String>,
    #[serde(skip)]
    pub awarding_path: Option<String>,
    pub deeds: String,
    pub nominated_on: String,
    /// The union deciding now, while under review.
    pub review_org: Option<String>,
    #[serde(skip)]
    pub review_path: Option<String>,
    /// The last day of the public notice.
    pub notice_until: Option<String>,
    pub objections_open: i64,
    pub awarded_on: Option<String>,
    pub document_no: Option<String>,
    pub revoked_on: Option<String>,
    pub revoke_reason: Option<String>,
    pub status: String,
    #[sqlx(skip)]
    pub status_label: String,
    pub version: i64,
}

const COLS: &str = "h.id, o.code AS org_code, o.name AS org_name, h.org_path, h.subject, h.member_id, \
    COALESCE(m.name, h.collective_name) AS name, m.id_masked, u.name AS unit_name, h.title_kind, h.title, h.level, h.year, \
    h.awarding_body, g.code AS awarding_code, h.awarding_path, h.deeds, h.nominated_on, r.name AS review_org, h.review_path, \
    h.notice_until, h.objections_open, h.awarded_on, h.document_no, h.revoked_on, h.revoke_reason, h.status, h.version";
const FROM: &str = "FROM honours h JOIN orgs o ON o.id = h.org_id LEFT JOIN members m ON m.id = h.member_id \
    LEFT JOIN units u ON u.id = h.unit_id LEFT JOIN orgs g ON g.id = h.awarding_org_id LEFT JOIN orgs r ON r.path = h.review_path";

fn labelled(mut h: Honour) -> Honour {
    fn label<T: Named>(code: &str) -> String {
        T::parse(code).map_or_else(|| code.to_string(), |v| v.label().to_string())
    }
    h.subject_label = label::<Subject>(&h.subject);
    h.title_kind_label = label::<TitleKind>(&h.title_kind);
    h.level_label = label::<Level>(&h.level);
    h.status_label = label::<Status>(&h.status);
    h
}

impl Honour {
    pub fn status(&self) -> Option<Status> {
        Status::parse(&self.status)
    }
}

/// The honour `id` if its honouree's union is in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Honour> {
    let select = format!("{COLS} {FROM}");
    Ok(labelled(
        crate::registry::scope::one_in_scope(db, &select, "h", id, scope, "荣誉").await?,
    ))
}

async fn get_tx(tx: &mut Tx, scope: &Scope, id: i64) -> AppResult<Honour> {
    let (lo, hi) = scope.range();
    let found: Option<Honour> = sqlx::query_as(&format!(
        "SELECT {COLS} {FROM} WHERE h.id = $1 AND h.org_path >= $2 AND h.org_path < $3"
    ))
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut **tx)
    .await?;
    found
        .map(labelled)
        .ok_or_else(|| AppError::not_found("荣誉"))
}

/// Who is honoured, found in the registry.
struct Honouree {
    subject: Subject,
    /// The honouree's union (a member's, an employer's covering union, or the union itself).
    org: Org,
    member_id: Option<i64>,
    unit_id: Option<i64>,
    collective_name: Option<String>,
    /// `m:` a member, `u:` an employer's collective, `o:` a union's, with its name.
    holder: String,
}

/// The honouree the input names, within the caller's scope; what is wrong goes to `issues`.
async fn honouree(
    db: &Db,
    keys: &FieldKeys,
    scope: &Scope,
    subject: Subject,
    i: &HonourInput,
    issues: &mut Vec<FieldIssue>,
) -> AppResult<Option<Honouree>> {
    let typed_name = given(i.collective_name.as_deref()).map(|n| n.chars().take(100).collect());
    match subject {
        Subject::Person => {
            let found = crate::registry::members::active_in_scope(
                db,
                keys,
                scope,
                "身份证号",
                "受表彰职工",
                i.id_number.as_deref(),
                i.member_id.as_deref(),
                issues,
            )
            .await?;
            Ok(found.map(|m| Honouree {
                subject,
                org: m.org,
                member_id: Some(m.id),
                unit_id: None,
                collective_name: None,
                holder: format!("m:{}", m.id),
            }))
        }
        Subject::Collective => match (given(i.uscc.as_deref()), given(i.union_code.as_deref())) {
            (Some(code), _) => {
                let unit = match crate::types::Uscc::parse(code) {
                    Ok(u) => crate::registry::units::get_by_uscc(db, scope, u.as_str())
                        .await
                        .ok(),
                    Err(e) => {
                        issues.push(issue("统一社会信用代码", e.message()));
                        return Ok(None);
                    }
                };
                let Some(unit) = unit else {
                    issues.push(issue(
                        "统一社会信用代码",
                        format!("统一社会信用代码“{code}”不是您管理范围内登记的单位"),
                    ));
                    return Ok(None);
                };
                let Some(org_id) = unit.org_id else {
                    issues.push(issue(
                        "统一社会信用代码",
                        format!("“{}”尚未建立工会，请先登记其工会", unit.name),
                    ));
                    return Ok(None);
                };
                let org = orgs::get(db, &Scope::all(), org_id).await?;
                let name: String = typed_name.unwrap_or_else(|| unit.name.clone());
                Ok(Some(Honouree {
                    subject,
                    org,
                    member_id: None,
                    unit_id: Some(unit.id),
                    holder: format!("u:{}:{name}", unit.id),
                    collective_name: Some(name),
                }))
            }
            (None, Some(code)) => match orgs::get_by_code(db, scope, code).await {
                Ok(org) => {
                    let name: String = typed_name.unwrap_or_else(|| org.name.clone());
                    Ok(Some(Honouree {
                        subject,
                        holder: format!("o:{}:{name}", org.id),
                        member_id: None,
                        unit_id: None,
                        collective_name: Some(name),
                        org,
                    }))
                }
                Err(_) => {
                    issues.push(issue(
                        "工会代码",
                        format!("工会代码“{code}”不存在或不在您的管理范围内"),
                    ));
                    Ok(None)
                }
            },
            (None, None) => {
                issues.push(issue(
                    "受表彰集体",
                    "请填写受表彰单位的统一社会信用代码，或受表彰工会的代码",
                ));
                Ok(None)
            }
        },
    }
}

/// What every honour has, read from the input: honouree, kind, title, level, year, deeds.
struct Common {
    who: Honouree,
    kind: TitleKind,
    title: String,
    level: Level,
    year: i64,
    deeds: String,
}

async fn common(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    i: &HonourInput,
    today: NaiveDate,
    issues: &mut Vec<FieldIssue>,
) -> AppResult<Option<Common>> {
    let subject: Option<Subject> = workflow::pick("表彰对象", i.subject.as_deref(), issues);
    let kind: Option<TitleKind> = workflow::pick("荣誉类别", i.title_kind.as_deref(), issues);
    if let (Some(s), Some(k)) = (subject, kind)
        && !k.fits(s)
    {
        issues.push(issue(
            "荣誉类别",
            format!("“{}”不授予{}", k.label(), s.label()),
        ));
    }
    let level: Option<Level> = workflow::pick("级别", i.level.as_deref(), issues);
    let year = match given(i.year.as_deref()) {
        None => Some(i64::from(today.year())),
        Some(t) => match t.trim_end_matches('年').parse::<i64>() {
            Ok(y) if (1950..=i64::from(today.year()) + 1).contains(&y) => Some(y),
            _ => {
                issues.push(issue(
                    "评选年度",
                    format!("评选年度应为 1950 至 {} 的年份", today.year() + 1),
                ));
                None
            }
        },
    };
    let deeds = given(i.deeds.as_deref()).map(|d| d.chars().take(2000).collect::<String>());
    if deeds.is_none() {
        issues.push(issue("主要事迹", "请填写主要事迹"));
    }
    let who = match subject {
        Some(s) => honouree(db, keys, &actor.scope, s, i, issues).await?,
        None => None,
    };
    let (Some(who), Some(kind), Some(level), Some(year), Some(deeds)) =
        (who, kind, level, year, deeds)
    else {
        return Ok(None);
    };
    let title = given(i.title.as_deref())
        .map(|t| t.chars().take(50).collect::<String>())
        .unwrap_or_else(|| kind.label().to_string());
    Ok(Some(Common {
        who,
        kind,
        title,
        level,
        year,
        deeds,
    }))
}

impl Common {
    fn once_key(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.who.holder,
            self.kind.code(),
            self.title,
            self.level.code(),
            self.year
        )
    }
}

fn refused_input(issues: Vec<FieldIssue>) -> AppError {
    AppError::invalid_fields("荣誉信息有误，请按提示修改", issues)
}

/// Puts a member or a collective up for a title granted by `i.awarding_org`: at a level that
/// union may grant, reviewed by the unions between. Every problem of the input at once.
pub async fn nominate(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    i: &HonourInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Honour> {
    let mut issues = Vec::new();
    let c = common(db, keys, actor, i, today, &mut issues).await?;
    // The granting union is the honouree's or one above it. A code that is neither (or no
    // union at all) gets the same words, so a form does not tell which unions exist elsewhere.
    let typed = given(i.awarding_org.as_deref());
    let found = match typed {
        Some(code) => orgs::get_by_code(db, &Scope::all(), code).await.ok(),
        None => None,
    };
    let above = |g: &Org| match &c {
        Some(c) => c.who.org.path.starts_with(&g.path),
        // The honouree is not known yet: a union the caller sees or one above the caller.
        None => actor.scope.contains(&g.path) || actor.scope.path().starts_with(&g.path),
    };
    let awarding = match (typed, found) {
        (None, _) => {
            issues.push(issue("授予单位", "请填写授予荣誉的工会代码"));
            None
        }
        (Some(_), Some(g)) if above(&g) => Some(g),
        (Some(code), _) => {
            issues.push(issue(
                "授予单位",
                match &c {
                    Some(c) => format!("工会代码“{code}”不是“{}”或其上级工会", c.who.org.name),
                    None => format!("工会代码“{code}”不是受表彰者所在工会或其上级工会"),
                },
            ));
            None
        }
    };
    // The level is checked even when other fields are wrong, so every problem shows at once.
    let level = given(i.level.as_deref()).and_then(|t| {
        Level::all()
            .iter()
            .copied()
            .find(|l| l.code() == t || l.label() == t)
    });
    if let (Some(level), Some(g)) = (level, &awarding)
        && let Some(why) = level.beyond(g, "荣誉")
    {
        issues.push(issue("级别", why));
    }
    let (Some(c), Some(g)) = (c, awarding) else {
        return Err(refused_input(issues));
    };
    if !issues.is_empty() {
        return Err(refused_input(issues));
    }
    let id = new_id();
    let mut tx = db.begin_write().await?;
    let kinds: Vec<String> = REVIEW_KINDS.iter().map(|k| k.to_string()).collect();
    let chain = review::chain(&mut tx, &c.who.org.path, &g.path, &kinds).await?;
    insert(
        &mut tx,
        id,
        &c,
        (Some(&g), &g.name),
        Status::Reviewing,
        (Some(&chain[0].org_path), None, None),
        actor,
        today,
        now,
    )
    .await?;
    review::open(&mut tx, CASE, id, &chain).await?;
    let detail = serde_json::json!({"title_kind": c.kind.code(), "level": c.level.code(), "awarding": g.code, "levels": chain.len()});
    step_recorded(
        &mut tx,
        actor,
        id,
        "nominate",
        None,
        Status::Reviewing,
        today,
        now,
        &detail,
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// An honour granted elsewhere, checked and ready to write.
pub struct Recorded {
    c: Common,
    body: String,
    on: NaiveDate,
    doc: String,
}

impl Recorded {
    /// What makes the honour once per holder, title, level and year.
    pub fn once_key(&self) -> String {
        self.c.once_key()
    }
}

/// Checks an honour granted elsewhere: every problem of the input at once, by field.
pub async fn check_record(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    i: &HonourInput,
    today: NaiveDate,
) -> AppResult<Result<Recorded, Vec<FieldIssue>>> {
    let mut issues = Vec::new();
    let c = common(db, keys, actor, i, today, &mut issues).await?;
    let body = given(i.awarding_body.as_deref()).map(|b| b.chars().take(100).collect::<String>());
    if body.is_none() {
        issues.push(issue(
            "授予机关",
            "请填写授予荣誉的机关（如 中华全国总工会）",
        ));
    }
    let on = workflow::date("授予日期", i.awarded_on.as_deref(), &mut issues);
    if on.is_some_and(|d| d > today) {
        issues.push(issue("授予日期", "授予日期不能晚于今天"));
    }
    let doc = document(i.document_no.as_deref(), &mut issues);
    Ok(match (c, body, on, doc) {
        (Some(c), Some(body), Some(on), Some(doc)) if issues.is_empty() => {
            Ok(Recorded { c, body, on, doc })
        }
        _ => Err(issues),
    })
}

/// Writes a checked honour granted elsewhere, with its history step; returns its id.
pub async fn write_record(
    tx: &mut Tx,
    actor: &Actor,
    r: &Recorded,
    today: NaiveDate,
    now: i64,
) -> AppResult<i64> {
    let id = new_id();
    insert(
        tx,
        id,
        &r.c,
        (None, &r.body),
        Status::Awarded,
        (None, Some(r.on), Some(&r.doc)),
        actor,
        today,
        now,
    )
    .await?;
    let detail = serde_json::json!({"title_kind": r.c.kind.code(), "level": r.c.level.code(), "body": r.body});
    step_recorded(
        tx,
        actor,
        id,
        "record",
        None,
        Status::Awarded,
        today,
        now,
        &detail,
    )
    .await?;
    Ok(id)
}

/// Records an honour granted outside the platform (or before it), as granted: its awarding
/// body, day and document. Every problem of the input at once.
pub async fn record(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    i: &HonourInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Honour> {
    let r = check_record(db, keys, actor, i, today)
        .await?
        .map_err(refused_input)?;
    let mut tx = db.begin_write().await?;
    let id = write_record(&mut tx, actor, &r, today, now).await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// A granting document's number (文号), required.
fn document(typed: Option<&str>, issues: &mut Vec<FieldIssue>) -> Option<String> {
    let d = given(typed).map(|d| d.chars().take(100).collect::<String>());
    if d.is_none() {
        issues.push(issue("文号", "请填写授予文件的文号"));
    }
    d
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    tx: &mut Tx,
    id: i64,
    c: &Common,
    (awarding, body): (Option<&Org>, &str),
    status: Status,
    (review_path, awarded_on, document_no): (Option<&str>, Option<NaiveDate>, Option<&str>),
    actor: &Actor,
    today: NaiveDate,
    now: i64,
) -> AppResult<()> {
    let once_key = c.once_key();
    let inserted = sqlx::query(
        "INSERT INTO honours (id, org_id, org_path, awarding_org_id, awarding_path, awarding_body, title_kind, title, level, year, \
         subject, holder, member_id, unit_id, collective_name, deeds, nominated_on, review_path, awarded_on, document_no, once_key, \
         status, version, created_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,0,$23,$24,$24)",
    )
    .bind(id)
    .bind(c.who.org.id)
    .bind(&c.who.org.path)
    .bind(awarding.map(|g| g.id))
    .bind(awarding.map(|g| g.path.clone()))
    .bind(body)
    .bind(c.kind.code())
    .bind(&c.title)
    .bind(c.level.code())
    .bind(c.year)
    .bind(c.who.subject.code())
    .bind(&c.who.holder)
    .bind(c.who.member_id)
    .bind(c.who.unit_id)
    .bind(&c.who.collective_name)
    .bind(&c.deeds)
    .bind(today.to_string())
    .bind(review_path)
    .bind(awarded_on.map(|d| d.to_string()))
    .bind(document_no)
    .bind(&once_key)
    .bind(status.code())
    .bind(&actor.name)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = AppError::from(e);
            Err(if e.is_unique_violation() {
                AppError::conflict(
                    "HONOUR_EXISTS",
                    format!(
                        "{}年度的{}“{}”已推荐或授予过这一对象，不能重复",
                        c.year,
                        c.level.label(),
                        c.title
                    ),
                )
            } else {
                e
            })
        }
    }
}

/// The audit event of a step.
fn event_of(action: &str) -> &'static str {
    match action {
        "nominate" => "honour.nominate",
        "record" => "honour.record",
        "review" => "honour.review",
        "approve" => "honour.approve",
        "reject" => "honour.reject",
        "object" => "honour.object",
        "dismiss_objection" => "honour.dismiss_objection",
        "uphold_objection" => "honour.uphold_objection",
        "award" => "honour.award",
        "withdraw" => "honour.withdraw",
        "revoke" => "honour.revoke",
        _ => "honour.step",
    }
}

/// Writes a step into the honour's history and the audit trail.
#[allow(clippy::too_many_arguments)]
async fn step_recorded(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    action: &str,
    from: Option<Status>,
    to: Status,
    today: NaiveDate,
    now: i64,
    detail: &serde_json::Value,
) -> AppResult<()> {
    history::record(
        tx,
        CaseRef {
            case_type: CASE,
            id,
        },
        Entry {
            at: now,
            on: today,
            actor,
            action,
            from: from.map(Named::code),
            to: to.code(),
            detail,
        },
    )
    .await?;
    audit::record_tx(
        tx,
        actor,
        now,
        Event::new(event_of(action))
            .target(CASE, id)
            .detail(detail.clone()),
    )
    .await?;
    Ok(())
}

/// Moves honour `h` by `action` (allowed by the table, nobody having acted since the version
/// it was read at), setting `sets`, and writes the step.
#[allow(clippy::too_many_arguments)]
async fn move_honour(
    tx: &mut Tx,
    actor: &Actor,
    h: &Honour,
    action: Action,
    sets: &[workflow::Set],
    today: NaiveDate,
    now: i64,
    detail: &serde_json::Value,
) -> AppResult<()> {
    let from = h
        .status()
        .ok_or_else(|| AppError::invalid("荣誉状态无法识别"))?;
    let to = workflow::next(STEPS, from, action)
        .ok_or_else(|| workflow::refused("这项荣誉", from, action))?;
    workflow::update_case(
        tx,
        "honours",
        h.id,
        h.version,
        from.code(),
        to.code(),
        now,
        sets,
        "这项荣誉",
    )
    .await?;
    step_recorded(
        tx,
        actor,
        h.id,
        action.code(),
        Some(from),
        to,
        today,
        now,
        detail,
    )
    .await
}

/// The honour read in the transaction, checked still at the version the cadre saw.
async fn current(tx: &mut Tx, scope: &Scope, id: i64, version: i64) -> AppResult<Honour> {
    let h = get_tx(tx, scope, id).await?;
    if h.version != version {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这项荣誉刚刚已被其他人处理，请刷新后查看最新情况",
        ));
    }
    Ok(h)
}

/// Decides a nomination at its current level: on to the next level, to the public notice, or
/// refused.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &DecisionInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Honour> {
    let decision = Decision::parse(i.decision.trim())
        .ok_or_else(|| AppError::invalid("审核意见应为 approve（同意）或 reject（不同意）"))?;
    let mut tx = db.begin_write().await?;
    let h = current(&mut tx, &actor.scope, id, i.version).await?;
    let action = if decision == Decision::Reject {
        Action::Reject
    } else {
        Action::Review
    };
    if h.status() != Some(Status::Reviewing) {
        let from = h.status().unwrap_or(Status::Reviewing);
        return Err(workflow::refused("这项荣誉", from, action));
    }
    let outcome = review::decide(
        &mut tx,
        CASE,
        id,
        &actor.scope,
        decision,
        i.comment.as_deref(),
        &actor.name,
        now,
    )
    .await?;
    let detail = serde_json::json!({"decision": decision.code(), "comment": i.comment});
    use workflow::Set;
    match outcome {
        Outcome::Next(path) => {
            move_honour(
                &mut tx,
                actor,
                &h,
                Action::Review,
                &[Set::Text("review_path", Some(path))],
                today,
                now,
                &detail,
            )
            .await?
        }
        Outcome::Rejected => {
            move_honour(
                &mut tx,
                actor,
                &h,
                Action::Reject,
                &[Set::Text("review_path", None), Set::Text("once_key", None)],
                today,
                now,
                &detail,
            )
            .await?
        }
        Outcome::Approved => {
            let until = deadlines::due(today, NOTICE_DAYS);
            move_honour(
                &mut tx,
                actor,
                &h,
                Action::Approve,
                &[
                    Set::Text("review_path", None),
                    Set::Text("notice_until", Some(until.to_string())),
                ],
                today,
                now,
                &detail,
            )
            .await?
        }
    }
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// Records an objection to an honour in its public notice; it cannot be granted while one is
/// open.
pub async fn object(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &ObjectionInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Honour> {
    let mut tx = db.begin_write().await?;
    let h = get_tx(&mut tx, &actor.scope, id).await?;
    if h.status() != Some(Status::Notice) {
        return Err(AppError::conflict(
            "TRANSITION_REFUSED",
            format!(
                "这项荣誉当前为“{}”，只有公示中的可以登记异议",
                h.status_label
            ),
        ));
    }
    let open = notice::raise(&mut tx, CASE, id, i, today, &actor.name).await?;
    set_open_objections(&mut tx, id, open, now).await?;
    step_recorded(
        &mut tx,
        actor,
        id,
        "object",
        Some(Status::Notice),
        Status::Notice,
        today,
        now,
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

async fn set_open_objections(tx: &mut Tx, id: i64, open: i64, now: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE honours SET objections_open = $1, version = version + 1, updated_at = $2 WHERE id = $3",
    )
    .bind(open)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Settles an objection: upheld refuses the honour; dismissed lets the notice go on.
pub async fn resolve(
    db: &Db,
    actor: &Actor,
    id: i64,
    objection_id: i64,
    i: &ResolveInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Honour> {
    let mut tx = db.begin_write().await?;
    let h = get_tx(&mut tx, &actor.scope, id).await?;
    let (upheld, open) =
        notice::resolve(&mut tx, CASE, id, objection_id, i, &actor.name, now).await?;
    let detail = serde_json::json!({"objection": objection_id.to_string(), "upheld": upheld});
    if upheld {
        use workflow::Set;
        move_honour(
            &mut tx,
            actor,
            &h,
            Action::UpholdObjection,
            &[
                Set::Text("once_key", None),
                Set::Number("objections_open", Some(open)),
            ],
            today,
            now,
            &detail,
        )
        .await?;
    } else {
        set_open_objections(&mut tx, id, open, now).await?;
        step_recorded(
            &mut tx,
            actor,
            id,
            "dismiss_objection",
            h.status(),
            h.status().unwrap_or(Status::Notice),
            today,
            now,
            &detail,
        )
        .await?;
    }
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// The grant of a title after its notice, as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardInput {
    pub document_no: Option<String>,
    /// Default today.
    pub awarded_on: Option<String>,
    pub version: i64,
}

/// Grants the title: by the granting union's cadres, after the notice's last day, with no
/// objection open.
pub async fn award(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &AwardInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Honour> {
    let mut issues = Vec::new();
    let doc = document(i.document_no.as_deref(), &mut issues);
    let on = match given(i.awarded_on.as_deref()) {
        None => Some(today),
        typed => workflow::date("授予日期", typed, &mut issues),
    };
    if on.is_some_and(|d| d > today) {
        issues.push(issue("授予日期", "授予日期不能晚于今天"));
    }
    let mut tx = db.begin_write().await?;
    let h = current(&mut tx, &actor.scope, id, i.version).await?;
    if h.status() != Some(Status::Notice) {
        let from = h.status().unwrap_or(Status::Reviewing);
        return Err(workflow::refused("这项荣誉", from, Action::Award));
    }
    if !h
        .awarding_path
        .as_deref()
        .is_some_and(|p| actor.scope.contains(p))
    {
        return Err(AppError::forbidden(
            "NOT_AWARDING_UNION",
            format!("这项荣誉由“{}”授予，您不能代为授予", h.awarding_body),
        ));
    }
    let until = h.notice_until.clone().unwrap_or_default();
    if today.to_string() <= until {
        return Err(AppError::conflict(
            "NOTICE_NOT_OVER",
            format!("公示期至 {until}，公示结束后才能授予"),
        ));
    }
    if h.objections_open > 0 {
        return Err(AppError::conflict(
            "OBJECTIONS_OPEN",
            format!("还有 {} 条异议未处理，处理后才能授予", h.objections_open),
        ));
    }
    if on.is_some_and(|d| d.to_string() <= until) {
        issues.push(issue(
            "授予日期",
            format!("授予日期应在公示期（至 {until}）之后"),
        ));
    }
    let (Some(doc), Some(on)) = (doc, on) else {
        return Err(refused_input(issues));
    };
    if !issues.is_empty() {
        return Err(refused_input(issues));
    }
    use workflow::Set;
    move_honour(
        &mut tx,
        actor,
        &h,
        Action::Award,
        &[
            Set::Text("awarded_on", Some(on.to_string())),
            Set::Text("document_no", Some(doc.clone())),
        ],
        today,
        now,
        &serde_json::json!({"document_no": doc, "awarded_on": on.to_string()}),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// A withdrawal or revocation, with its reason.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = HonourReasonInput)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    pub reason: String,
    pub version: i64,
}

/// Withdraws a nomination under review or in notice (the honouree may be put up again), or
/// revokes a granted honour (by the granting union, or the recording one for an honour granted
/// outside); a reason is required.
pub async fn end(
    db: &Db,
    actor: &Actor,
    id: i64,
    action: Action,
    i: &ReasonInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Honour> {
    let reason = workflow::required(
        &i.reason,
        if action == Action::Revoke {
            "撤销理由"
        } else {
            "撤回理由"
        },
        500,
    )?;
    let mut tx = db.begin_write().await?;
    let h = current(&mut tx, &actor.scope, id, i.version).await?;
    use workflow::Set;
    let sets = match action {
        Action::Withdraw => vec![Set::Text("review_path", None), Set::Text("once_key", None)],
        Action::Revoke => {
            if let Some(p) = &h.awarding_path
                && !actor.scope.contains(p)
            {
                return Err(AppError::forbidden(
                    "NOT_AWARDING_UNION",
                    format!("这项荣誉由“{}”授予，只有授予单位可以撤销", h.awarding_body),
                ));
            }
            vec![
                Set::Text("revoked_on", Some(today.to_string())),
                Set::Text("revoke_reason", Some(reason.clone())),
            ]
        }
        other => {
            let from = h.status().unwrap_or(Status::Reviewing);
            return Err(workflow::refused("这项荣誉", from, other));
        }
    };
    move_honour(
        &mut tx,
        actor,
        &h,
        action,
        &sets,
        today,
        now,
        &serde_json::json!({"reason": reason}),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// An honour's history, oldest first.
pub async fn timeline(db: &Db, id: i64) -> AppResult<Vec<HistoryRow>> {
    history::of(
        db,
        CaseRef {
            case_type: CASE,
            id,
        },
    )
    .await
}

/// Which honours to list.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Honourees' subtree (union code); default the caller's scope.
    pub org: Option<String>,
    pub status: Option<Status>,
    pub title_kind: Option<TitleKind>,
    pub level: Option<Level>,
    pub subject: Option<Subject>,
    pub year: Option<i64>,
    /// Granted (and not revoked) between these days (the figures' rule).
    pub awarded_from: Option<NaiveDate>,
    pub awarded_to: Option<NaiveDate>,
    /// Only each honouree's first honour the filter keeps (the 人 and 集体 figures' rule).
    pub one_per_holder: bool,
    /// Only those waiting for a decision of a union in the caller's scope.
    pub waiting: bool,
    /// Granted persons with no health check recorded in this year (劳模体检).
    pub no_check_in: Option<i64>,
    /// Words in the name or title.
    pub q: Option<String>,
    pub page: i64,
    pub per_page: i64,
}

enum Arg {
    Text(String),
    Number(i64),
}

/// The filter's condition over alias `h`, its arguments pushed to `args`.
fn condition(scope: &Scope, f: &ListFilter, args: &mut Vec<Arg>) -> String {
    let (lo, hi) = scope.range();
    let mut add = |cond: &str, v: Arg, sql: &mut String| {
        args.push(v);
        sql.push_str(&cond.replace('?', &format!("${}", args.len())));
    };
    let mut sql = String::new();
    add("h.org_path >= ?", Arg::Text(lo), &mut sql);
    add(" AND h.org_path < ?", Arg::Text(hi), &mut sql);
    if let Some(s) = f.status {
        add(" AND h.status = ?", Arg::Text(s.code().into()), &mut sql);
    }
    if let Some(k) = f.title_kind {
        add(
            " AND h.title_kind = ?",
            Arg::Text(k.code().into()),
            &mut sql,
        );
    }
    if let Some(l) = f.level {
        add(" AND h.level = ?", Arg::Text(l.code().into()), &mut sql);
    }
    if let Some(s) = f.subject {
        add(" AND h.subject = ?", Arg::Text(s.code().into()), &mut sql);
    }
    if let Some(y) = f.year {
        add(" AND h.year = ?", Arg::Number(y), &mut sql);
    }
    if f.awarded_from.is_some() || f.awarded_to.is_some() {
        let from = f.awarded_from.unwrap_or(NaiveDate::MIN).to_string();
        let to = f.awarded_to.unwrap_or(NaiveDate::MAX).to_string();
        add(
            " AND h.status = 'awarded' AND h.awarded_on >= ?",
            Arg::Text(from),
            &mut sql,
        );
        add(" AND h.awarded_on <= ?", Arg::Text(to), &mut sql);
    }
    if let Some(y) = f.no_check_in {
        add(
            " AND h.status = 'awarded' AND h.subject = 'person' AND NOT EXISTS (SELECT 1 FROM honour_care c \
             WHERE c.honour_id = h.id AND c.kind = 'health_check' AND c.cared_on >= ?",
            Arg::Text(format!("{y}-01-01")),
            &mut sql,
        );
        add(
            " AND c.cared_on <= ?)",
            Arg::Text(format!("{y}-12-31")),
            &mut sql,
        );
    }
    if let Some(q) = given(f.q.as_deref()) {
        let like = crate::db::like_contains(q);
        add(
            " AND (h.title LIKE ? ESCAPE '\\'",
            Arg::Text(like.clone()),
            &mut sql,
        );
        add(
            " OR COALESCE(h.collective_name, (SELECT m2.name FROM members m2 WHERE m2.id = h.member_id)) LIKE ? ESCAPE '\\')",
            Arg::Text(like),
            &mut sql,
        );
    }
    sql
}

/// One page of the honours of `scope` the filter keeps, latest first, the total they make,
/// and whether more follow.
pub async fn list(db: &Db, scope: &Scope, f: &ListFilter) -> AppResult<(Vec<Honour>, i64, bool)> {
    let narrowed = orgs::narrowed(db, scope, f.org.as_deref()).await?;
    let mut args = Vec::new();
    let mut cond = condition(&narrowed, f, &mut args);
    if f.waiting {
        // Waiting for the caller: the level deciding now lies in the caller's own scope.
        let (lo, hi) = scope.range();
        args.push(Arg::Text(lo));
        args.push(Arg::Text(hi));
        cond.push_str(&format!(
            " AND h.status = 'reviewing' AND h.review_path >= ${} AND h.review_path < ${}",
            args.len() - 1,
            args.len()
        ));
    }
    if f.one_per_holder {
        let inner = cond.replace("h.", "h1.");
        cond.push_str(&format!(
            " AND h.id IN (SELECT MIN(h1.id) FROM honours h1 WHERE {inner} GROUP BY h1.holder)"
        ));
    }
    let per_page = f.per_page.clamp(1, 200);
    let page = f.page.clamp(1, crate::db::Paging::MAX_PAGE);
    let count_sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM honours h WHERE {cond}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for a in &args {
        count = match a {
            Arg::Text(t) => count.bind(t.clone()),
            Arg::Number(n) => count.bind(*n),
        };
    }
    let total = count.fetch_one(db.pool()).await?;
    let sql = format!(
        "SELECT {COLS} {FROM} WHERE {cond} ORDER BY h.nominated_on DESC, h.id DESC LIMIT {} OFFSET {}",
        per_page + 1,
        (page - 1) * per_page
    );
    let mut q = sqlx::query_as::<_, Honour>(&sql);
    for a in &args {
        q = match a {
            Arg::Text(t) => q.bind(t.clone()),
            Arg::Number(n) => q.bind(*n),
        };
    }
    let mut rows: Vec<Honour> = q
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(labelled)
        .collect();
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, total, more))
}

/// How many nominations wait for a decision of a union in `scope` (the console's badge).
pub async fn waiting_for(db: &Db, scope: &Scope) -> AppResult<i64> {
    let (lo, hi) = scope.range();
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM honours WHERE status = 'reviewing' AND review_path >= $1 AND review_path < $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_one(db.pool())
    .await?)
}

/// The honour review chain's levels.
pub async fn levels(db: &Db, id: i64) -> AppResult<Vec<review::Level>> {
    review::levels(db, CASE, id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_action() -> impl Strategy<Value = Action> {
        proptest::sample::select(Action::all().to_vec())
    }

    proptest! {
        /// Whatever is tried, a title is granted only from its public notice, and refused,
        /// withdrawn and revoked honours never move again.
        #[test]
        fn granted_only_after_notice_and_ends_are_final(actions in prop::collection::vec(any_action(), 0..16)) {
            let mut state = Status::Reviewing;
            let mut noticed = false;
            for a in actions {
                if let Some(next) = workflow::next(STEPS, state, a) {
                    prop_assert!(!matches!(state, Status::Rejected | Status::Withdrawn | Status::Revoked));
                    if next == Status::Awarded {
                        prop_assert!(noticed && state == Status::Notice);
                    }
                    if next == Status::Revoked {
                        prop_assert_eq!(state, Status::Awarded);
                    }
                    noticed |= next == Status::Notice;
                    state = next;
                }
            }
        }
    }

    #[test]
    fn titles_fit_persons_or_collectives() {
        assert!(TitleKind::ModelWorker.fits(Subject::Person));
        assert!(!TitleKind::ModelWorker.fits(Subject::Collective));
        assert!(TitleKind::Vanguard.fits(Subject::Collective));
        assert!(!TitleKind::MayDayAward.fits(Subject::Person));
        assert!(
            TitleKind::Women.fits(Subject::Person) && TitleKind::Women.fits(Subject::Collective)
        );
    }
}
