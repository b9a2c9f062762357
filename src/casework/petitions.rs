//! Petitions and grievances (信访 / 职工诉求 / 求助投诉) as tracked cases.
//!
//! Life of a case: 已登记 → 已受理 or 不予受理 (with the reason) → 已交办 down the tree to the
//! union that must act (and further down) → 已答复 (the answer and how it was given) → 已办结
//! after the requester is called back satisfied, or back to 已受理 when not satisfied. Deadlines
//! (calendar days, from the configuration): acceptance within 15 days of receipt, the answer
//! within 60 days of acceptance, extended once by at most 30 days with a reason.
//!
//! A repeat of an open petition by the same person about the same matter is linked to it: one
//! 件, several 件次. Every step is one write transaction with its history row and audit event;
//! a step the table does not allow, or one taken twice at once, writes nothing.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::attachments::Owner;
use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, Tx, new_id};
use crate::error::{AppError, AppResult};
use crate::people::{self, Person, PersonInput};
use crate::registry::members;
use crate::registry::orgs::{self, Org};
use crate::registry::scope::Scope;
use crate::types::parse_date;
use crate::workflow::history::{self, CaseRef, Entry, HistoryRow};
use crate::workflow::{
    self, Named, Set, Step, coded_enum, deadlines, given, issue, pick, required,
};

// ---------- what a petition is ----------

coded_enum! {
    /// How the petition came in.
    Channel {
        Visit = "visit", "来访";
        Letter = "letter", "来信";
        Hotline = "hotline", "12351电话";
        Online = "online", "网上";
        MemberApp = "member_app", "会员端";
    }
}

coded_enum! {
    /// What the requester asks for.
    Kind {
        Consult = "consult", "咨询";
        Request = "request", "求决";
        Suggestion = "suggestion", "意见建议";
        Complaint = "complaint", "投诉/举报";
    }
}

coded_enum! {
    /// What it is about.
    Category {
        Wages = "wages", "拖欠工资";
        Contract = "contract", "劳动合同";
        SocialInsurance = "social_insurance", "社会保险";
        Injury = "injury", "工伤";
        Dismissal = "dismissal", "解除劳动关系";
        Hours = "hours", "工时与休息休假";
        UnionRights = "union_rights", "工会权益";
        Hardship = "hardship", "生活困难";
        Other = "other", "其他";
    }
}

coded_enum! {
    /// Where a case stands.
    Status {
        Received = "received", "已登记";
        NotAccepted = "not_accepted", "不予受理";
        Accepted = "accepted", "已受理";
        Dispatched = "dispatched", "已交办";
        Replied = "replied", "已答复";
        Closed = "closed", "已办结";
    }
}

coded_enum! {
    /// A step of the workflow.
    Action {
        Accept = "accept", "受理";
        Refuse = "refuse", "不予受理";
        Dispatch = "dispatch", "交办";
        Extend = "extend", "延长答复期限";
        Reply = "reply", "答复";
        Satisfied = "satisfied", "回访满意并办结";
        Unsatisfied = "unsatisfied", "回访不满意，重新办理";
        Close = "close", "办结";
    }
}

coded_enum! {
    /// The requester's answer at the call-back.
    Satisfaction {
        Satisfied = "satisfied", "满意";
        Partly = "partly", "基本满意";
        Unsatisfied = "unsatisfied", "不满意";
    }
}

/// The workflow, once: every allowed step. Anything else is refused.
pub const TABLE: &[Step<Status, Action>] = &[
    Step {
        from: Status::Received,
        action: Action::Accept,
        to: Status::Accepted,
    },
    Step {
        from: Status::Received,
        action: Action::Refuse,
        to: Status::NotAccepted,
    },
    Step {
        from: Status::Accepted,
        action: Action::Dispatch,
        to: Status::Dispatched,
    },
    Step {
        from: Status::Dispatched,
        action: Action::Dispatch,
        to: Status::Dispatched,
    },
    Step {
        from: Status::Accepted,
        action: Action::Extend,
        to: Status::Accepted,
    },
    Step {
        from: Status::Dispatched,
        action: Action::Extend,
        to: Status::Dispatched,
    },
    Step {
        from: Status::Accepted,
        action: Action::Reply,
        to: Status::Replied,
    },
    Step {
        from: Status::Dispatched,
        action: Action::Reply,
        to: Status::Replied,
    },
    Step {
        from: Status::Replied,
        action: Action::Satisfied,
        to: Status::Closed,
    },
    Step {
        from: Status::Replied,
        action: Action::Unsatisfied,
        to: Status::Accepted,
    },
    Step {
        from: Status::Replied,
        action: Action::Close,
        to: Status::Closed,
    },
];

/// The deadlines in days (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    pub accept_days: u32,
    pub reply_days: u32,
    pub extension_max_days: u32,
}

impl Deadlines {
    pub fn from_config(c: &crate::config::Config) -> Deadlines {
        Deadlines {
            accept_days: c.petition_accept_days,
            reply_days: c.petition_reply_days,
            extension_max_days: c.petition_extension_max_days,
        }
    }
}

// ---------- the records ----------

/// A petition as stored.
#[derive(Debug, Clone, FromRow)]
pub struct Row {
    pub id: i64,
    pub ref_no: Option<String>,
    pub org_id: i64,
    pub org_path: String,
    pub received_org_id: i64,
    pub received_path: String,
    pub channel: String,
    pub kind: String,
    pub category: String,
    pub member_id: Option<i64>,
    pub requester_name: Option<String>,
    pub requester_id_masked: Option<String>,
    pub requester_mobile_masked: Option<String>,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub summary: String,
    pub received_on: String,
    pub accept_due: String,
    pub accepted_on: Option<String>,
    pub refuse_reason: Option<String>,
    pub reply_due: Option<String>,
    pub extended_days: i64,
    pub extension_reason: Option<String>,
    pub replied_on: Option<String>,
    pub reply_text: Option<String>,
    pub reply_method: Option<String>,
    pub satisfaction: Option<String>,
    pub closed_on: Option<String>,
    pub repeat_of: Option<i64>,
    pub reopened: i64,
    pub officer_id: Option<i64>,
    pub escalated_due: Option<String>,
    pub escalated_org_id: Option<i64>,
    pub status: String,
    pub version: i64,
}

const COLS: &str = "p.id, p.ref_no, p.org_id, p.org_path, p.received_org_id, p.received_path, p.channel, p.kind, p.category, p.member_id, \
    COALESCE(m.name, p.requester_name) AS requester_name, COALESCE(m.id_masked, p.requester_id_masked) AS requester_id_masked, \
    COALESCE(m.mobile_masked, p.requester_mobile_masked) AS requester_mobile_masked, p.unit_id, COALESCE(u.name, p.unit_name) AS unit_name, \
    p.summary, p.received_on, p.accept_due, p.accepted_on, p.refuse_reason, p.reply_due, p.extended_days, p.extension_reason, \
    p.replied_on, p.reply_text, p.reply_method, p.satisfaction, p.closed_on, p.repeat_of, p.reopened, p.officer_id, p.escalated_due, p.escalated_org_id, p.status, p.version";
const FROM: &str = "FROM petitions p LEFT JOIN members m ON m.id = p.member_id LEFT JOIN units u ON u.id = p.unit_id";

/// A petition as the console and the API show it: personal numbers masked, codes with their
/// labels, the deadline that matters now and how it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Petition {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub status: String,
    pub status_label: String,
    /// The union handling it now, and the one that received it.
    pub org_code: String,
    pub org_name: String,
    pub received_org_code: String,
    /// The number the receiving union gave it (imported cases), if any.
    pub ref_no: Option<String>,
    pub channel: String,
    pub channel_label: String,
    pub kind: String,
    pub kind_label: String,
    pub category: String,
    pub category_label: String,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub member_id: Option<i64>,
    pub requester_name: Option<String>,
    pub requester_id_masked: Option<String>,
    pub requester_mobile_masked: Option<String>,
    pub unit_name: Option<String>,
    pub summary: String,
    pub received_on: String,
    pub accept_due: String,
    pub accepted_on: Option<String>,
    pub refuse_reason: Option<String>,
    pub reply_due: Option<String>,
    pub extended_days: i64,
    pub extension_reason: Option<String>,
    pub replied_on: Option<String>,
    pub reply_text: Option<String>,
    pub reply_method: Option<String>,
    pub satisfaction: Option<String>,
    pub closed_on: Option<String>,
    /// The earlier petition this one repeats (one 件, two 件次).
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub repeat_of: Option<i64>,
    pub reopened: i64,
    /// Taken by the signed-in officer (the first to act on it in its handling union).
    pub taken_by_me: bool,
    /// 督办: the deadline it passed, and the union above that was alerted.
    pub escalated_due: Option<String>,
    pub escalated_to: Option<String>,
    /// The deadline of the step it waits for (acceptance or answer), if any.
    pub due: Option<String>,
    /// `on_time`, `near` (within 3 days) or `overdue`.
    pub due_standing: Option<String>,
    /// Send it back with a step, to take it only if nobody took another in between.
    pub version: i64,
}

/// Days before a deadline when a case is flagged.
pub const WARN_DAYS: u32 = 3;

fn view(r: Row, orgs: &OrgNames, today: NaiveDate) -> Petition {
    view_for(r, orgs, today, None)
}

/// A case as `me` (an account) sees it.
fn view_for(r: Row, orgs: &OrgNames, today: NaiveDate, me: Option<i64>) -> Petition {
    let status = Status::parse(&r.status).unwrap_or(Status::Received);
    let due = match status {
        Status::Received => Some(r.accept_due.clone()),
        Status::Accepted | Status::Dispatched => r.reply_due.clone(),
        _ => None,
    };
    let due_standing = due
        .as_deref()
        .and_then(|d| parse_date(d).ok())
        .map(|d| deadlines::standing(d, today, WARN_DAYS).code().to_string());
    let label = |c: Option<&'static str>| c.unwrap_or("未知").to_string();
    Petition {
        id: r.id,
        status_label: status.label().into(),
        status: r.status,
        org_code: orgs.code(r.org_id),
        org_name: orgs.name(r.org_id),
        received_org_code: orgs.code(r.received_org_id),
        ref_no: r.ref_no,
        channel_label: label(Channel::parse(&r.channel).map(Channel::label)),
        channel: r.channel,
        kind_label: label(Kind::parse(&r.kind).map(Kind::label)),
        kind: r.kind,
        category_label: label(Category::parse(&r.category).map(Category::label)),
        category: r.category,
        member_id: r.member_id,
        requester_name: r.requester_name,
        requester_id_masked: r.requester_id_masked,
        requester_mobile_masked: r.requester_mobile_masked,
        unit_name: r.unit_name,
        summary: r.summary,
        received_on: r.received_on,
        accept_due: r.accept_due,
        accepted_on: r.accepted_on,
        refuse_reason: r.refuse_reason,
        reply_due: r.reply_due,
        extended_days: r.extended_days,
        extension_reason: r.extension_reason,
        replied_on: r.replied_on,
        reply_text: r.reply_text,
        reply_method: r.reply_method,
        satisfaction: r
            .satisfaction
            .as_deref()
            .and_then(Satisfaction::parse)
            .map(|s| s.label().to_string()),
        closed_on: r.closed_on,
        repeat_of: r.repeat_of,
        reopened: r.reopened,
        taken_by_me: me.is_some() && r.officer_id == me,
        escalated_to: r.escalated_org_id.map(|id| orgs.name(id)),
        escalated_due: r.escalated_due,
        due,
        due_standing,
        version: r.version,
    }
}

/// Codes and names of the unions a page of cases mentions.
struct OrgNames(std::collections::HashMap<i64, (String, String)>);

impl OrgNames {
    async fn of(db: &Db, rows: &[Row]) -> AppResult<OrgNames> {
        let mut ids: Vec<i64> = rows
            .iter()
            .flat_map(|r| [Some(r.org_id), Some(r.received_org_id), r.escalated_org_id])
            .flatten()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(OrgNames(Default::default()));
        }
        let sql = format!(
            "SELECT id, code, name FROM orgs WHERE id IN ({})",
            crate::db::in_list(ids.len())
        );
        let mut q = sqlx::query_as::<_, (i64, String, String)>(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        Ok(OrgNames(
            q.fetch_all(db.pool())
                .await?
                .into_iter()
                .map(|(id, code, name)| (id, (code, name)))
                .collect(),
        ))
    }

    fn code(&self, id: i64) -> String {
        self.0.get(&id).map(|o| o.0.clone()).unwrap_or_default()
    }

    fn name(&self, id: i64) -> String {
        self.0.get(&id).map(|o| o.1.clone()).unwrap_or_default()
    }
}

// ---------- intake ----------

/// A petition as a form or the API gives it, every field as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeInput {
    /// The union receiving it (code); default: the top of the caller's scope.
    pub org_code: Option<String>,
    /// visit / letter / hotline / online / member_app, or its Chinese label.
    pub channel: Option<String>,
    /// consult / request / suggestion / complaint, or its Chinese label.
    pub kind: Option<String>,
    /// wages / contract / social_insurance / injury / dismissal / hours / union_rights / hardship / other, or its label.
    pub category: Option<String>,
    /// The requester when a member (registry id).
    pub member_id: Option<String>,
    /// The requester when not a member: name, and ID number and mobile if given.
    pub requester_name: Option<String>,
    pub requester_id_number: Option<String>,
    pub requester_mobile: Option<String>,
    /// The employer: its credit code when registered, else its name.
    pub unit_uscc: Option<String>,
    pub unit_name: Option<String>,
    pub summary: Option<String>,
    /// Date of receipt (YYYY-MM-DD); default today.
    #[schema(format = Date)]
    pub received_on: Option<String>,
    /// An earlier petition this one repeats, when known.
    pub repeat_of: Option<String>,
}

/// Registers a petition received by a union of the caller's scope (or, for the member API,
/// `as_member`: the member's own, at their union). Every problem of the input at once; a
/// repeat of an open petition of the same person about the same matter is linked to it.
#[allow(clippy::too_many_arguments)]
pub async fn intake(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    input: &IntakeInput,
    as_member: Option<i64>,
    rules: Deadlines,
    today: NaiveDate,
    now: i64,
) -> AppResult<Petition> {
    let mut issues = Vec::new();
    let channel: Option<Channel> = match as_member {
        Some(_) => Some(Channel::MemberApp),
        None => pick("来源渠道", input.channel.as_deref(), &mut issues),
    };
    let kind: Option<Kind> = pick("诉求类型", input.kind.as_deref(), &mut issues);
    let category: Option<Category> = pick("诉求事项", input.category.as_deref(), &mut issues);
    let summary = given(input.summary.as_deref()).map(str::to_string);
    match &summary {
        None => issues.push(issue("诉求内容", "请填写诉求内容")),
        Some(s) if s.chars().count() > 2000 => {
            issues.push(issue("诉求内容", "诉求内容不能超过2000字"))
        }
        _ => {}
    }
    let received_on = match given(input.received_on.as_deref()) {
        None => Some(today),
        Some(s) => match parse_date(s) {
            Ok(d) if d > today => {
                issues.push(issue("收到日期", "收到日期不能晚于今天"));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                issues.push(issue("收到日期", e.message()));
                None
            }
        },
    };
    // The requester: the member filing, a member chosen, or a person recorded with protection.
    let requester = match as_member {
        Some(id) => Some(Person::Member(id)),
        None => {
            let typed = PersonInput {
                member_id: input.member_id.clone(),
                name: input.requester_name.clone(),
                id_number: input.requester_id_number.clone(),
                mobile: input.requester_mobile.clone(),
            };
            people::check(db, keys, &actor.scope, "诉求人", &typed, &mut issues).await
        }
    };
    // The receiving union: a member's own union, else the one named (default the scope's top).
    let org: Option<Org> = match as_member {
        Some(member_id) => {
            let org_id: Option<i64> =
                sqlx::query_scalar("SELECT org_id FROM members WHERE id = $1")
                    .bind(member_id)
                    .fetch_optional(db.pool())
                    .await?
                    .flatten();
            match org_id {
                Some(id) => Some(orgs::get(db, &Scope::all(), id).await?),
                None => {
                    issues.push(issue("所在工会", "您目前不在任何工会，无法提交诉求"));
                    None
                }
            }
        }
        None => {
            workflow::union_in_scope(
                db,
                &actor.scope,
                "受理工会",
                input.org_code.as_deref(),
                &mut issues,
            )
            .await?
        }
    };
    // The employer: registered (visible to the caller) or by name.
    let (unit_id, unit_name) = match given(input.unit_uscc.as_deref()) {
        Some(uscc) => match members::unit_id_by_uscc(db, &actor.scope, Some(uscc)).await {
            Ok(id) => (id, None),
            Err(e) => {
                issues.push(issue("用人单位", e.message()));
                (None, None)
            }
        },
        None => (
            None,
            given(input.unit_name.as_deref()).map(|s| s.chars().take(200).collect::<String>()),
        ),
    };
    let explicit_repeat = match given(input.repeat_of.as_deref()) {
        None => None,
        Some(s) => match s.parse::<i64>() {
            Ok(id) if get_row(db, &actor.scope, id).await.is_ok() => Some(id),
            _ => {
                issues.push(issue("重复件", "所指的原诉求不存在或不在您的管理范围内"));
                None
            }
        },
    };
    let (
        Some(channel),
        Some(kind),
        Some(category),
        Some(summary),
        Some(received_on),
        Some(requester),
        Some(org),
    ) = (
        channel,
        kind,
        category,
        summary,
        received_on,
        requester,
        org,
    )
    else {
        return Err(AppError::invalid_fields(
            "诉求信息有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "诉求信息有误，请按提示修改",
            issues,
        ));
    }
    let member_id = requester.member_id();
    let people::Sealed {
        name,
        id_hash,
        id_enc,
        id_masked,
        mobile_enc,
        mobile_masked,
    } = requester.sealed();
    let name = (!name.is_empty()).then_some(name);
    let id = new_id();
    let accept_due = deadlines::due(received_on, rules.accept_days);
    let backend = db.backend();
    let actor2 = actor.clone();
    db.write(move |tx| {
        let actor = actor2.clone();
        let (org, summary, name, id_hash, id_enc, id_masked, mobile_enc, mobile_masked, unit_name) = (
            org.clone(),
            summary.clone(),
            name.clone(),
            id_hash.clone(),
            id_enc.clone(),
            id_masked.clone(),
            mobile_enc.clone(),
            mobile_masked.clone(),
            unit_name.clone(),
        );
        Box::pin(async move {
            // The same person about the same matter, still open: a repeat, linked.
            let repeat_of = match explicit_repeat {
                Some(r) => Some(r),
                None => open_earlier(tx, member_id, id_hash.as_deref(), category).await?,
            };
            sqlx::query(
                "INSERT INTO petitions (id, org_id, org_path, received_org_id, received_path, channel, kind, category, member_id, \
                 requester_name, requester_id_hash, requester_id_enc, requester_id_masked, requester_mobile_enc, requester_mobile_masked, \
                 unit_id, unit_name, summary, received_on, accept_due, repeat_of, status, version, created_at, updated_at) \
                 VALUES ($1,$2,$3,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,'received',0,$20,$20)",
            )
            .bind(id)
            .bind(org.id)
            .bind(&org.path)
            .bind(channel.code())
            .bind(kind.code())
            .bind(category.code())
            .bind(member_id)
            .bind(&name)
            .bind(id_hash)
            .bind(id_enc)
            .bind(&id_masked)
            .bind(mobile_enc)
            .bind(&mobile_masked)
            .bind(unit_id)
            .bind(&unit_name)
            .bind(&summary)
            .bind(received_on.to_string())
            .bind(accept_due.to_string())
            .bind(repeat_of)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            let detail = serde_json::json!({
                "channel": channel.code(), "kind": kind.code(), "category": category.code(),
                "received_on": received_on.to_string(), "repeat_of": repeat_of.map(|r| r.to_string()),
            });
            super::figures::count_petition(tx, id, 1).await?;
            record(tx, id, Entry { at: now, on: received_on, actor: &actor, action: "intake", from: None, to: Status::Received.code(), detail: &detail }).await?;
            audit::append_tx(tx, backend, &actor, now, Event::new("petition.intake").target("petition", id).detail(detail)).await?;
            Ok(())
        })
    })
    .await?;
    get(db, &Scope::all(), id, today).await
}

/// An open petition (not refused, not closed, not itself a repeat) of the same person about
/// the same matter.
async fn open_earlier(
    tx: &mut Tx,
    member_id: Option<i64>,
    id_hash: Option<&[u8]>,
    category: Category,
) -> AppResult<Option<i64>> {
    const OPEN: &str = "category = $1 AND repeat_of IS NULL AND status NOT IN ('closed','not_accepted') ORDER BY received_on, id LIMIT 1";
    let found = match (member_id, id_hash) {
        (Some(m), _) => {
            sqlx::query_scalar(&format!(
                "SELECT id FROM petitions WHERE member_id = $2 AND {OPEN}"
            ))
            .bind(category.code())
            .bind(m)
            .fetch_optional(&mut **tx)
            .await?
        }
        (None, Some(h)) => {
            sqlx::query_scalar(&format!(
                "SELECT id FROM petitions WHERE requester_id_hash = $2 AND {OPEN}"
            ))
            .bind(category.code())
            .bind(h.to_vec())
            .fetch_optional(&mut **tx)
            .await?
        }
        (None, None) => None,
    };
    Ok(found)
}

const CASE: &str = "petition";

async fn record(tx: &mut Tx, id: i64, entry: Entry<'_>) -> AppResult<()> {
    history::record(
        tx,
        CaseRef {
            case_type: CASE,
            id,
        },
        entry,
    )
    .await
}

// ---------- steps ----------

/// A step as a form or the API asks for it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepInput {
    Accept {
        version: Option<i64>,
    },
    Refuse {
        version: Option<i64>,
        reason: String,
    },
    /// To a union below the one handling it now.
    Dispatch {
        version: Option<i64>,
        to_org: String,
        note: Option<String>,
    },
    Extend {
        version: Option<i64>,
        days: u32,
        reason: String,
    },
    Reply {
        version: Option<i64>,
        text: String,
        /// How the answer was given: 书面, 电话, 面谈, 短信, 会员端 …
        method: String,
    },
    /// The requester called back after the answer.
    CallBack {
        version: Option<i64>,
        satisfaction: Satisfaction,
        note: Option<String>,
    },
    /// Closed without a call-back (the requester could not be reached, or declined).
    Close {
        version: Option<i64>,
        note: String,
    },
}

impl StepInput {
    fn version(&self) -> Option<i64> {
        match self {
            StepInput::Accept { version }
            | StepInput::Refuse { version, .. }
            | StepInput::Dispatch { version, .. }
            | StepInput::Extend { version, .. }
            | StepInput::Reply { version, .. }
            | StepInput::CallBack { version, .. }
            | StepInput::Close { version, .. } => *version,
        }
    }

    fn action(&self) -> Action {
        match self {
            StepInput::Accept { .. } => Action::Accept,
            StepInput::Refuse { .. } => Action::Refuse,
            StepInput::Dispatch { .. } => Action::Dispatch,
            StepInput::Extend { .. } => Action::Extend,
            StepInput::Reply { .. } => Action::Reply,
            StepInput::CallBack { satisfaction, .. } => match satisfaction {
                Satisfaction::Unsatisfied => Action::Unsatisfied,
                _ => Action::Satisfied,
            },
            StepInput::Close { .. } => Action::Close,
        }
    }
}

/// Takes one step of the case `id`, in a union of the caller's scope. A step the table does
/// not allow, a version that is not the case's (someone acted in between) or an input
/// problem writes nothing.
pub async fn step(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &StepInput,
    rules: Deadlines,
    today: NaiveDate,
    now: i64,
) -> AppResult<Petition> {
    let current = get_row(db, &actor.scope, id).await?;
    let from = Status::parse(&current.status).unwrap_or(Status::Received);
    let action = input.action();
    let to = workflow::next(TABLE, from, action)
        .ok_or_else(|| workflow::refused("这件诉求", from, action))?;
    // What each step needs, checked before anything is written.
    let mut set: Vec<(&'static str, Option<String>)> = Vec::new();
    let mut extra: Vec<(&'static str, i64)> = Vec::new();
    let mut target: Option<Org> = None;
    let mut detail = serde_json::Map::new();
    match input {
        StepInput::Accept { .. } => {
            set.push(("accepted_on", Some(today.to_string())));
            set.push((
                "reply_due",
                Some(deadlines::due(today, rules.reply_days).to_string()),
            ));
        }
        StepInput::Refuse { reason, .. } => {
            let reason = required(reason, "不予受理的理由", 500)?;
            detail.insert("reason".into(), reason.clone().into());
            set.push(("refuse_reason", Some(reason)));
            set.push(("closed_on", Some(today.to_string())));
        }
        StepInput::Dispatch { to_org, note, .. } => {
            let to_org = to_org.trim();
            let org = orgs::get_by_code(db, &actor.scope, to_org)
                .await
                .map_err(|_| {
                    AppError::invalid(format!(
                        "工会代码“{to_org}”不存在或不在您的管理范围内，不能交办"
                    ))
                })?;
            if !(org.path.starts_with(&current.org_path) && org.path != current.org_path) {
                return Err(AppError::invalid(format!(
                    "只能交办给正在办理的工会的下级工会，“{}”不在其下",
                    org.name
                )));
            }
            if org.status != "active" {
                return Err(AppError::invalid(format!(
                    "工会“{}”已撤销，不能交办",
                    org.name
                )));
            }
            detail.insert("to_org".into(), org.code.clone().into());
            if let Some(n) = note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                detail.insert(
                    "note".into(),
                    crate::crypto::mask_personal_in_text(n).into(),
                );
            }
            target = Some(org);
        }
        StepInput::Extend { days, reason, .. } => {
            if current.extended_days > 0 {
                return Err(AppError::conflict(
                    "ALREADY_EXTENDED",
                    "答复期限已经延长过一次，不能再延长",
                ));
            }
            if *days == 0 || *days > rules.extension_max_days {
                return Err(AppError::invalid(format!(
                    "延长天数应为1至{}天",
                    rules.extension_max_days
                )));
            }
            let reason = required(reason, "延长的理由", 500)?;
            let due = current
                .reply_due
                .as_deref()
                .and_then(|d| parse_date(d).ok())
                .unwrap_or(today);
            set.push(("reply_due", Some(deadlines::due(due, *days).to_string())));
            set.push(("extension_reason", Some(reason.clone())));
            extra.push(("extended_days", i64::from(*days)));
            detail.insert("days".into(), (*days).into());
            detail.insert("reason".into(), reason.into());
        }
        StepInput::Reply { text, method, .. } => {
            let text = required(text, "答复内容", 2000)?;
            let method = required(method, "答复方式", 20)?;
            detail.insert("method".into(), method.clone().into());
            set.push(("replied_on", Some(today.to_string())));
            set.push(("reply_text", Some(text)));
            set.push(("reply_method", Some(method)));
        }
        StepInput::CallBack {
            satisfaction, note, ..
        } => {
            detail.insert("satisfaction".into(), satisfaction.code().into());
            if let Some(n) = note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                detail.insert(
                    "note".into(),
                    crate::crypto::mask_personal_in_text(n).into(),
                );
            }
            set.push(("satisfaction", Some(satisfaction.code().into())));
            if *satisfaction == Satisfaction::Unsatisfied {
                // Handled again, with a new answer due.
                set.push((
                    "reply_due",
                    Some(deadlines::due(today, rules.reply_days).to_string()),
                ));
                set.push(("replied_on", None));
                extra.push(("reopened", 1));
            } else {
                set.push(("closed_on", Some(today.to_string())));
            }
        }
        StepInput::Close { note, .. } => {
            let note = required(note, "办结说明", 500)?;
            detail.insert(
                "note".into(),
                crate::crypto::mask_personal_in_text(&note).into(),
            );
            set.push(("closed_on", Some(today.to_string())));
        }
    }
    let expected = input.version().unwrap_or(current.version);
    let detail = serde_json::Value::Object(detail);
    let backend = db.backend();
    let actor2 = actor.clone();
    db.write(move |tx| {
        let (actor, set, extra, target, detail) = (
            actor2.clone(),
            set.clone(),
            extra.clone(),
            target.clone(),
            detail.clone(),
        );
        Box::pin(async move {
            let mut sets: Vec<Set> = set.iter().map(|(c, v)| Set::Text(c, v.clone())).collect();
            // Counters kept in the row (whole numbers from this code).
            sets.extend(
                extra
                    .iter()
                    .map(|(c, v)| Set::Expr(format!("{c} = {c} + {v}"))),
            );
            match (&target, actor.account_id) {
                // Handed on: the receiving union's officer takes it.
                (Some(t), _) => {
                    sets.push(Set::Number("org_id", Some(t.id)));
                    sets.push(Set::Text("org_path", Some(t.path.clone())));
                    sets.push(Set::Expr("officer_id = NULL".into()));
                }
                (None, Some(me)) => sets.push(Set::Expr(format!(
                    "officer_id = COALESCE(officer_id, {me})"
                ))),
                (None, None) => {}
            }
            // The figures: the case's contribution out before the step, in again after it.
            super::figures::count_petition(tx, id, -1).await?;
            workflow::update_case(
                tx,
                "petitions",
                id,
                expected,
                from.code(),
                to.code(),
                now,
                &sets,
                "这件诉求",
            )
            .await?;
            super::figures::count_petition(tx, id, 1).await?;
            record(
                tx,
                id,
                Entry {
                    at: now,
                    on: today,
                    actor: &actor,
                    action: action.code(),
                    from: Some(from.code()),
                    to: to.code(),
                    detail: &detail,
                },
            )
            .await?;
            audit::append_tx(
                tx,
                backend,
                &actor,
                now,
                Event::new(audit_action(action))
                    .target("petition", id)
                    .detail(detail),
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    get(db, &Scope::all(), id, today).await
}

/// The audit trail's name of a step.
fn audit_action(a: Action) -> &'static str {
    match a {
        Action::Accept => "petition.accept",
        Action::Refuse => "petition.refuse",
        Action::Dispatch => "petition.dispatch",
        Action::Extend => "petition.extend",
        Action::Reply => "petition.reply",
        Action::Satisfied => "petition.satisfied",
        Action::Unsatisfied => "petition.unsatisfied",
        Action::Close => "petition.close",
    }
}

// ---------- reading ----------

async fn get_row(db: &Db, scope: &Scope, id: i64) -> AppResult<Row> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLS} {FROM} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.filter(|r| scope.contains(&r.org_path))
        .ok_or_else(|| AppError::not_found("诉求"))
}

/// A case handled in the caller's scope.
pub async fn get(db: &Db, scope: &Scope, id: i64, today: NaiveDate) -> AppResult<Petition> {
    let row = get_row(db, scope, id).await?;
    let names = OrgNames::of(db, std::slice::from_ref(&row)).await?;
    Ok(view(row, &names, today))
}

/// The petitions handled in a union's subtree and received in a period, in the order of
/// receipt, `limit` at a time after `after` (its date of receipt and id): the register, read in
/// batches for export.
pub async fn case_register(
    db: &Db,
    org_path: &str,
    (from, to): (NaiveDate, NaiveDate),
    after: Option<&(String, i64)>,
    limit: i64,
    today: NaiveDate,
) -> AppResult<Vec<Petition>> {
    let (lo, hi) = Scope::subtree(org_path).range();
    let mut sql = format!(
        "SELECT {COLS} {FROM} WHERE p.org_path >= $1 AND p.org_path < $2 AND p.received_on >= $3 \
         AND p.received_on <= $4"
    );
    if after.is_some() {
        // The lower bound on its own, so the index on the day of receipt starts there.
        sql.push_str(" AND p.received_on >= $5 AND (p.received_on > $5 OR p.id > $6)");
    }
    sql.push_str(&format!(" ORDER BY p.received_on, p.id LIMIT {limit}"));
    let mut q = sqlx::query_as::<_, Row>(&sql)
        .bind(lo)
        .bind(hi)
        .bind(from.to_string())
        .bind(to.to_string());
    if let Some((day, id)) = after {
        q = q.bind(day.clone()).bind(*id);
    }
    let rows = q.fetch_all(db.pool()).await?;
    let names = OrgNames::of(db, &rows).await?;
    Ok(rows.into_iter().map(|r| view(r, &names, today)).collect())
}

/// The files of a petition in the caller's scope (404 when it is not theirs to see).
pub async fn files_of(db: &Db, scope: &Scope, id: i64) -> AppResult<Owner> {
    get_row(db, scope, id).await?;
    Ok(Owner { kind: CASE, id })
}

/// The files of a member's own petition: another's is not found, like one that does not exist.
pub async fn own_files_of(db: &Db, member: i64, id: i64) -> AppResult<Owner> {
    get_row(db, &Scope::all(), id)
        .await
        .ok()
        .filter(|r| r.member_id == Some(member))
        .ok_or_else(|| AppError::not_found("诉求"))?;
    Ok(Owner { kind: CASE, id })
}

/// The history of a case in the caller's scope, oldest first.
pub async fn timeline(db: &Db, scope: &Scope, id: i64) -> AppResult<Vec<HistoryRow>> {
    get_row(db, scope, id).await?;
    history::of(
        db,
        CaseRef {
            case_type: CASE,
            id,
        },
    )
    .await
}

/// What a queue lists.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueFilter {
    /// A union (code): its cases and those of the unions below it; default the caller's scope.
    pub org: Option<String>,
    /// Only cases in this state; default every open one (not closed, not refused).
    pub status: Option<String>,
    /// `overdue` or `near`: only cases past or near their deadline.
    pub due: Option<String>,
    /// Only the cases the signed-in officer took.
    pub mine: Option<bool>,
    /// Only cases escalated (督办) for passing a deadline.
    pub escalated: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The open cases handled in a union's subtree, the nearest deadline first; `me` is the
/// signed-in account (for `mine`).
pub async fn queue(
    db: &Db,
    scope: &Scope,
    f: &QueueFilter,
    me: Option<i64>,
    today: NaiveDate,
) -> AppResult<Vec<Petition>> {
    let within = orgs::narrowed(db, scope, f.org.as_deref()).await?;
    let (lo, hi) = within.range();
    let mut args = vec![lo, hi];
    let mut cond = String::from("p.org_path >= $1 AND p.org_path < $2");
    match f.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            let status =
                Status::parse(s).ok_or_else(|| AppError::invalid(format!("状态“{s}”无法识别")))?;
            args.push(status.code().into());
            cond.push_str(&format!(" AND p.status = ${}", args.len()));
        }
        None => cond.push_str(" AND p.status IN ('received','accepted','dispatched','replied')"),
    }
    // The deadline that matters now: acceptance while received, the answer while handled.
    let due_expr = "CASE WHEN p.status = 'received' THEN p.accept_due WHEN p.status IN ('accepted','dispatched') THEN p.reply_due END";
    if let Some(c) = deadlines::filter(f.due.as_deref(), due_expr, today, WARN_DAYS, &mut args)? {
        cond.push_str(&format!(" AND {c}"));
    }
    if f.mine == Some(true) {
        // An account id from the session, never typed text.
        cond.push_str(&format!(" AND p.officer_id = {}", me.unwrap_or(-1)));
    }
    if f.escalated == Some(true) {
        cond.push_str(" AND p.escalated_org_id IS NOT NULL");
    }
    let paging = crate::db::Paging::new(f.page, f.per_page, 50);
    let sql = format!(
        "SELECT {COLS} {FROM} WHERE {cond} ORDER BY COALESCE({due_expr}, '9999-12-31'), p.received_on, p.id LIMIT {} OFFSET {}",
        paging.per_page,
        paging.offset()
    );
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for a in &args {
        q = q.bind(a);
    }
    let rows = q.fetch_all(db.pool()).await?;
    let names = OrgNames::of(db, &rows).await?;
    Ok(rows
        .into_iter()
        .map(|r| view_for(r, &names, today, me))
        .collect())
}

/// A member's own petitions, newest first.
pub async fn mine(db: &Db, member_id: i64, today: NaiveDate) -> AppResult<Vec<Petition>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLS} {FROM} WHERE p.member_id = $1 ORDER BY p.received_on DESC, p.id DESC LIMIT 200"
    ))
    .bind(member_id)
    .fetch_all(db.pool())
    .await?;
    let names = OrgNames::of(db, &rows).await?;
    Ok(rows.into_iter().map(|r| view(r, &names, today)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_action() -> impl Strategy<Value = Action> {
        (0..Action::all().len()).prop_map(|i| Action::all()[i])
    }

    proptest! {
        /// Whatever is tried, a case only ever moves along the table, and its history (the
        /// steps the table allowed) replays to the state it is in.
        #[test]
        fn random_steps_stay_in_the_table_and_replay(actions in proptest::collection::vec(any_action(), 0..40)) {
            let mut state = Status::Received;
            let mut taken = Vec::new();
            for a in actions {
                match workflow::next(TABLE, state, a) {
                    Some(next) => {
                        prop_assert!(TABLE.iter().any(|s| s.from == state && s.action == a && s.to == next));
                        state = next;
                        taken.push(a);
                    }
                    None => {
                        let e = workflow::refused("这件诉求", state, a);
                        prop_assert_eq!(e.code(), "TRANSITION_REFUSED");
                    }
                }
                prop_assert!(!(state == Status::NotAccepted && taken.last() != Some(&Action::Refuse)));
            }
            prop_assert_eq!(workflow::replay(TABLE, Status::Received, taken), Ok(state));
        }
    }

    #[test]
    fn the_rules_the_issue_names_are_in_the_table() {
        let n = |s, a| workflow::next(TABLE, s, a);
        assert_eq!(
            n(Status::Received, Action::Close),
            None,
            "closing an unaccepted case"
        );
        assert_eq!(n(Status::Replied, Action::Reply), None, "replying twice");
        assert_eq!(
            n(Status::NotAccepted, Action::Accept),
            None,
            "accepting after refusing"
        );
        assert_eq!(n(Status::Closed, Action::Reply), None);
        assert_eq!(
            n(Status::Replied, Action::Unsatisfied),
            Some(Status::Accepted),
            "reopened"
        );
        for s in Status::all() {
            assert_eq!(Status::parse(s.code()), Some(*s));
        }
    }
}
