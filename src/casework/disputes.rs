//! Labour disputes a union helps resolve: mediation (劳动争议调解, including cases a court
//! refers under 「法院+工会」 诉调对接) and legal aid (法律援助 / 维权案件).
//!
//! A mediation: 已登记 → a mediator from the roster 已指派 → sessions (调解中) → 达成协议 (the
//! amount agreed; the amount actually paid is what the figures call 挽回经济损失, recorded when
//! known; 司法确认 when the court confirms the agreement), or 未达成协议 (referred back to the court
//! or arbitration), or 已撤回; within 15 days of receipt (configurable). A legal-aid case: a
//! lawyer 已指派 → stages (咨询, 仲裁代理, 诉讼代理) → 已结案 with its result and the amount
//! recovered. Several workers against one employer is one case that counts its workers.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::attachments::Owner;
use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, Tx, new_id};
use crate::error::{AppError, AppResult, FieldIssue};
use crate::people::{self, PersonInput};
use crate::registry::members;
use crate::registry::orgs::{self, Org};
use crate::registry::scope::Scope;
use crate::types::{Fen, parse_date};
use crate::workflow::history::{self, CaseRef, Entry, HistoryRow};
use crate::workflow::{
    self, Named, Set, Step, coded_enum, deadlines, given, issue, pick, required,
};

use super::roster;

coded_enum! {
    /// Mediation or legal aid.
    Kind {
        Mediation = "mediation", "劳动争议调解";
        LegalAid = "legal_aid", "法律援助";
    }
}

coded_enum! {
    /// Who brought the case to the union.
    Source {
        Court = "court", "法院委派";
        Arbitration = "arbitration", "仲裁委托";
        Union = "union", "工会转办";
        Direct = "direct", "当事人申请";
    }
}

coded_enum! {
    /// What the workers claim.
    Claim {
        Wages = "wages", "追索劳动报酬";
        Compensation = "compensation", "经济补偿/赔偿金";
        SocialInsurance = "social_insurance", "社会保险";
        Injury = "injury", "工伤待遇";
        Contract = "contract", "劳动合同";
        Other = "other", "其他";
    }
}

coded_enum! {
    /// Where a case stands.
    Status {
        Registered = "registered", "已登记";
        Assigned = "assigned", "已指派";
        InProgress = "in_progress", "办理中";
        Agreed = "agreed", "达成调解协议";
        NotAgreed = "not_agreed", "未达成协议";
        Concluded = "concluded", "已结案";
        Withdrawn = "withdrawn", "已撤回";
    }
}

coded_enum! {
    /// A step of either workflow.
    Action {
        Assign = "assign", "指派";
        Session = "session", "记录调解";
        Stage = "stage", "进入办理阶段";
        Agree = "agree", "达成调解协议";
        Fail = "fail", "调解不成";
        Conclude = "conclude", "结案";
        Withdraw = "withdraw", "撤回";
        Confirm = "confirm", "司法确认";
        Pay = "pay", "记录履行金额";
    }
}

coded_enum! {
    /// A legal-aid case's stage.
    AidStage {
        Consultation = "consultation", "法律咨询";
        Arbitration = "arbitration", "仲裁代理";
        Litigation = "litigation", "诉讼代理";
    }
}

coded_enum! {
    /// How a legal-aid case ended.
    AidResult {
        Won = "won", "请求得到支持";
        Partly = "partly", "部分支持";
        Settled = "settled", "和解/调解结案";
        Lost = "lost", "未获支持";
    }
}

coded_enum! {
    /// Where a mediation without agreement goes back to.
    Referral {
        Court = "court", "退回法院";
        Arbitration = "arbitration", "转仲裁";
    }
}

const fn step(from: Status, action: Action, to: Status) -> Step<Status, Action> {
    Step { from, action, to }
}

use Action as A;
use Status as S;

/// The mediation workflow: every allowed step.
pub const MEDIATION: &[Step<Status, Action>] = &[
    step(S::Registered, A::Assign, S::Assigned),
    step(S::Assigned, A::Assign, S::Assigned),
    step(S::InProgress, A::Assign, S::InProgress),
    step(S::Assigned, A::Session, S::InProgress),
    step(S::InProgress, A::Session, S::InProgress),
    step(S::InProgress, A::Agree, S::Agreed),
    step(S::InProgress, A::Fail, S::NotAgreed),
    step(S::Registered, A::Withdraw, S::Withdrawn),
    step(S::Assigned, A::Withdraw, S::Withdrawn),
    step(S::InProgress, A::Withdraw, S::Withdrawn),
    step(S::Agreed, A::Confirm, S::Agreed),
    step(S::Agreed, A::Pay, S::Agreed),
];

/// The legal-aid workflow: every allowed step.
pub const LEGAL_AID: &[Step<Status, Action>] = &[
    step(S::Registered, A::Assign, S::Assigned),
    step(S::Assigned, A::Assign, S::Assigned),
    step(S::InProgress, A::Assign, S::InProgress),
    step(S::Assigned, A::Stage, S::InProgress),
    step(S::InProgress, A::Stage, S::InProgress),
    step(S::InProgress, A::Conclude, S::Concluded),
    step(S::Registered, A::Withdraw, S::Withdrawn),
    step(S::Assigned, A::Withdraw, S::Withdrawn),
    step(S::InProgress, A::Withdraw, S::Withdrawn),
    step(S::Concluded, A::Pay, S::Concluded),
];

impl Kind {
    pub fn table(self) -> &'static [Step<Status, Action>] {
        match self {
            Kind::Mediation => MEDIATION,
            Kind::LegalAid => LEGAL_AID,
        }
    }
}

/// The open states: a case in them is on a queue and counts toward its advocate's load.
pub const OPEN: &str = "('registered','assigned','in_progress')";

// ---------- the records ----------

#[derive(Debug, Clone, FromRow)]
struct Row {
    id: i64,
    ref_no: Option<String>,
    kind: String,
    org_path: String,
    org_code: String,
    org_name: String,
    source: String,
    source_ref: Option<String>,
    claim: String,
    amount_claimed: i64,
    unit_name: Option<String>,
    workers: i64,
    summary: String,
    received_on: String,
    due_on: Option<String>,
    advocate_id: Option<i64>,
    advocate_name: Option<String>,
    assigned_on: Option<String>,
    stage: Option<String>,
    sessions: i64,
    outcome: Option<String>,
    amount_agreed: Option<i64>,
    amount_recovered: Option<i64>,
    referred_to: Option<String>,
    confirmed_on: Option<String>,
    closed_on: Option<String>,
    escalated_due: Option<String>,
    escalated_to: Option<String>,
    status: String,
    version: i64,
}

const SELECT: &str = "SELECT d.id, d.ref_no, d.kind, d.org_path, o.code AS org_code, o.name AS org_name, d.source, d.source_ref, \
    d.claim, d.amount_claimed, COALESCE(u.name, d.unit_name) AS unit_name, d.workers, d.summary, d.received_on, d.due_on, \
    d.advocate_id, a.name AS advocate_name, d.assigned_on, d.stage, d.sessions, d.outcome, d.amount_agreed, d.amount_recovered, \
    d.referred_to, d.confirmed_on, d.closed_on, d.escalated_due, eo.name AS escalated_to, d.status, d.version \
    FROM disputes d JOIN orgs o ON o.id = d.org_id LEFT JOIN units u ON u.id = d.unit_id LEFT JOIN advocates a ON a.id = d.advocate_id \
    LEFT JOIN orgs eo ON eo.id = d.escalated_org_id";

/// A worker party of a case, masked.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Worker {
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub member_id: Option<i64>,
    pub name: Option<String>,
    pub id_masked: Option<String>,
    pub mobile_masked: Option<String>,
}

/// A dispute as the console and the API show it. Amounts in fen and as 元 text.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dispute {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    /// The number the handling union gave it (imported cases), if any.
    pub ref_no: Option<String>,
    pub kind: String,
    pub kind_label: String,
    pub status: String,
    pub status_label: String,
    pub org_code: String,
    pub org_name: String,
    pub source: String,
    pub source_label: String,
    /// The court's or arbitration body's case number.
    pub source_ref: Option<String>,
    pub claim: String,
    pub claim_label: String,
    pub amount_claimed_fen: i64,
    pub amount_claimed: String,
    pub unit_name: Option<String>,
    /// Workers involved (a group dispute counts each).
    pub workers: i64,
    pub summary: String,
    pub received_on: String,
    /// Mediation: the last day to finish.
    pub due_on: Option<String>,
    /// on_time / near / overdue while open and due.
    pub due_standing: Option<String>,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub advocate_id: Option<i64>,
    pub advocate_name: Option<String>,
    pub assigned_on: Option<String>,
    pub stage: Option<String>,
    pub stage_label: Option<String>,
    pub sessions: i64,
    pub outcome: Option<String>,
    pub outcome_label: Option<String>,
    pub amount_agreed_fen: Option<i64>,
    pub amount_agreed: Option<String>,
    /// 挽回经济损失: paid under the agreement, or recovered by legal aid.
    pub amount_recovered_fen: Option<i64>,
    pub amount_recovered: Option<String>,
    pub referred_to: Option<String>,
    /// 司法确认.
    pub confirmed_on: Option<String>,
    pub closed_on: Option<String>,
    /// 督办: the deadline it passed, and the union above that was alerted.
    pub escalated_due: Option<String>,
    pub escalated_to: Option<String>,
    pub version: i64,
    /// Things worth a second look that did not stop the step (an amount recovered larger
    /// than the amount claimed …).
    pub warnings: Vec<String>,
}

fn label_of<T: Named>(code: &str) -> String {
    T::parse(code).map(T::label).unwrap_or("未知").to_string()
}

fn view(r: Row, today: NaiveDate) -> Dispute {
    let status = Status::parse(&r.status).unwrap_or(Status::Registered);
    let open = matches!(status, S::Registered | S::Assigned | S::InProgress);
    let due_standing = r
        .due_on
        .as_deref()
        .filter(|_| open)
        .and_then(|d| parse_date(d).ok())
        .map(|d| {
            deadlines::standing(d, today, super::petitions::WARN_DAYS)
                .code()
                .to_string()
        });
    let outcome_label = r.outcome.as_deref().map(|o| {
        AidResult::parse(o)
            .map(AidResult::label)
            .or(Referral::parse(o).map(Referral::label))
            .unwrap_or("未知")
            .to_string()
    });
    let mut warnings = Vec::new();
    if let Some(rec) = r.amount_recovered
        && r.amount_claimed > 0
        && rec > r.amount_claimed
    {
        warnings.push(format!(
            "挽回金额{}元大于请求金额{}元，请核实",
            Fen(rec),
            Fen(r.amount_claimed)
        ));
    }
    Dispute {
        id: r.id,
        ref_no: r.ref_no,
        kind_label: label_of::<Kind>(&r.kind),
        kind: r.kind,
        status_label: status.label().into(),
        status: r.status,
        org_code: r.org_code,
        org_name: r.org_name,
        source_label: label_of::<Source>(&r.source),
        source: r.source,
        source_ref: r.source_ref,
        claim_label: label_of::<Claim>(&r.claim),
        claim: r.claim,
        amount_claimed_fen: r.amount_claimed,
        amount_claimed: Fen(r.amount_claimed).to_string(),
        unit_name: r.unit_name,
        workers: r.workers,
        summary: r.summary,
        received_on: r.received_on,
        due_on: r.due_on,
        due_standing,
        advocate_id: r.advocate_id,
        advocate_name: r.advocate_name,
        assigned_on: r.assigned_on,
        stage_label: r.stage.as_deref().map(label_of::<AidStage>),
        stage: r.stage,
        sessions: r.sessions,
        outcome_label,
        outcome: r.outcome,
        amount_agreed_fen: r.amount_agreed,
        amount_agreed: r.amount_agreed.map(|f| Fen(f).to_string()),
        amount_recovered_fen: r.amount_recovered,
        amount_recovered: r.amount_recovered.map(|f| Fen(f).to_string()),
        referred_to: r.referred_to,
        confirmed_on: r.confirmed_on,
        closed_on: r.closed_on,
        escalated_due: r.escalated_due,
        escalated_to: r.escalated_to,
        version: r.version,
        warnings,
    }
}

// ---------- intake ----------

/// A case as a form or the API gives it, every field as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeInput {
    /// mediation / legal_aid, or its Chinese label.
    pub kind: Option<String>,
    /// The union handling it (code); default the top of the caller's scope.
    pub org_code: Option<String>,
    /// court / arbitration / union / direct, or its label.
    pub source: Option<String>,
    /// The court's or arbitration body's case number (required when a court refers it).
    pub source_ref: Option<String>,
    /// wages / compensation / social_insurance / injury / contract / other, or its label.
    pub claim: Option<String>,
    /// 元, at most two decimals.
    pub amount_claimed: Option<String>,
    /// The employer: its credit code when registered, else its name.
    pub unit_uscc: Option<String>,
    pub unit_name: Option<String>,
    /// The workers named (at least one).
    #[serde(default)]
    pub workers: Vec<PersonInput>,
    /// Workers involved when more than those named (a group dispute).
    pub workers_involved: Option<u32>,
    pub summary: Option<String>,
    #[schema(format = Date)]
    pub received_on: Option<String>,
}

/// Amounts are typed in 元: never negative, never a fraction of a fen, at most 1 亿元; blank
/// is none.
pub fn amount(field: &str, typed: Option<&str>, issues: &mut Vec<FieldIssue>) -> Option<Fen> {
    given(typed)?;
    crate::workflow::money(
        field,
        typed,
        crate::types::Limits::up_to(Fen::yuan(100_000_000)),
        issues,
    )
}

/// The most workers one case names.
const MAX_NAMED: usize = 500;

/// Registers a case in a union of the caller's scope; every problem of the input at once.
pub async fn register(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    input: &DisputeInput,
    mediation_days: u32,
    today: NaiveDate,
    now: i64,
) -> AppResult<Dispute> {
    let mut issues = Vec::new();
    let kind: Option<Kind> = pick("案件类型", input.kind.as_deref(), &mut issues);
    let source: Option<Source> = pick("案件来源", input.source.as_deref(), &mut issues);
    let claim: Option<Claim> = pick("请求事项", input.claim.as_deref(), &mut issues);
    let source_ref =
        given(input.source_ref.as_deref()).map(|s| s.chars().take(60).collect::<String>());
    if source == Some(Source::Court) && source_ref.is_none() {
        issues.push(issue("案号", "法院委派的案件请填写法院案号"));
    }
    let claimed =
        amount("请求金额", input.amount_claimed.as_deref(), &mut issues).unwrap_or(Fen(0));
    let summary = match given(input.summary.as_deref()) {
        None => {
            issues.push(issue("案情摘要", "请填写案情摘要"));
            None
        }
        Some(s) if s.chars().count() > 2000 => {
            issues.push(issue("案情摘要", "案情摘要不能超过2000字"));
            None
        }
        Some(s) => Some(s.to_string()),
    };
    let received_on = match given(input.received_on.as_deref()) {
        None => Some(today),
        Some(s) => match parse_date(s) {
            Ok(d) if d > today => {
                issues.push(issue("收案日期", "收案日期不能晚于今天"));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                issues.push(issue("收案日期", e.message()));
                None
            }
        },
    };
    if input.workers.is_empty() {
        issues.push(issue("劳动者", "请至少填写一名劳动者"));
    }
    if input.workers.len() > MAX_NAMED {
        issues.push(issue(
            "劳动者",
            format!("一件案件最多列出{MAX_NAMED}名劳动者"),
        ));
    }
    let mut workers = Vec::new();
    for (i, w) in input.workers.iter().take(MAX_NAMED).enumerate() {
        let who = if input.workers.len() > 1 {
            format!("第{}名劳动者", i + 1)
        } else {
            "劳动者".to_string()
        };
        if let Some(p) = people::check(db, keys, &actor.scope, &who, w, &mut issues).await {
            workers.push(p);
        }
    }
    let involved = match input.workers_involved {
        Some(n) if (n as usize) < input.workers.len() => {
            issues.push(issue(
                "涉及人数",
                format!("涉及人数不能少于列出的{}名劳动者", input.workers.len()),
            ));
            None
        }
        Some(0) => None,
        Some(n) => Some(i64::from(n)),
        None => Some(input.workers.len() as i64),
    };
    let org: Option<Org> = workflow::union_in_scope(
        db,
        &actor.scope,
        "承办工会",
        input.org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let (unit_id, unit_name) = match given(input.unit_uscc.as_deref()) {
        Some(uscc) => match members::unit_id_by_uscc(db, &actor.scope, Some(uscc)).await {
            Ok(id) => (id, None),
            Err(e) => {
                issues.push(issue("用人单位", e.message()));
                (None, None)
            }
        },
        None => match given(input.unit_name.as_deref()) {
            Some(n) => (None, Some(n.chars().take(200).collect::<String>())),
            None => {
                issues.push(issue(
                    "用人单位",
                    "请填写用人单位（统一社会信用代码或名称）",
                ));
                (None, None)
            }
        },
    };
    let (
        Some(kind),
        Some(source),
        Some(claim),
        Some(summary),
        Some(received_on),
        Some(involved),
        Some(org),
        true,
    ) = (
        kind,
        source,
        claim,
        summary,
        received_on,
        involved,
        org,
        issues.is_empty(),
    )
    else {
        return Err(AppError::invalid_fields(
            "案件信息有误，请按提示修改",
            issues,
        ));
    };
    let due_on = (kind == Kind::Mediation).then(|| deadlines::due(received_on, mediation_days));
    let id = new_id();
    let backend = db.backend();
    let actor2 = actor.clone();
    db.write(move |tx| {
        let (actor, org, summary, source_ref, unit_name, workers) = (
            actor2.clone(),
            org.clone(),
            summary.clone(),
            source_ref.clone(),
            unit_name.clone(),
            workers.clone(),
        );
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO disputes (id, kind, org_id, org_path, source, source_ref, claim, amount_claimed, unit_id, unit_name, \
                 workers, summary, received_on, due_on, sessions, status, version, created_at, updated_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,0,'registered',0,$15,$15)",
            )
            .bind(id)
            .bind(kind.code())
            .bind(org.id)
            .bind(&org.path)
            .bind(source.code())
            .bind(&source_ref)
            .bind(claim.code())
            .bind(claimed.0)
            .bind(unit_id)
            .bind(&unit_name)
            .bind(involved)
            .bind(&summary)
            .bind(received_on.to_string())
            .bind(due_on.map(|d| d.to_string()))
            .bind(now)
            .execute(&mut **tx)
            .await?;
            for w in &workers {
                let s = w.sealed();
                sqlx::query(
                    "INSERT INTO dispute_workers (id, dispute_id, member_id, name, id_hash, id_enc, id_masked, mobile_enc, mobile_masked) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                )
                .bind(new_id())
                .bind(id)
                .bind(w.member_id())
                .bind((!s.name.is_empty()).then_some(s.name.clone()))
                .bind(s.id_hash)
                .bind(s.id_enc)
                .bind(s.id_masked)
                .bind(s.mobile_enc)
                .bind(s.mobile_masked)
                .execute(&mut **tx)
                .await?;
            }
            let detail = serde_json::json!({
                "kind": kind.code(), "source": source.code(), "claim": claim.code(),
                "amount_claimed": claimed.to_string(), "workers": involved,
                "received_on": received_on.to_string(),
            });
            super::figures::count_dispute(tx, id, 1).await?;
            record(tx, id, Entry { at: now, on: received_on, actor: &actor, action: "register", from: None, to: S::Registered.code(), detail: &detail }).await?;
            audit::append_tx(tx, backend, &actor, now, Event::new("dispute.register").target("dispute", id).detail(detail)).await?;
            Ok(())
        })
    })
    .await?;
    get(db, &Scope::all(), id, today).await
}

const CASE: &str = "dispute";

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

/// A step as a form or the API asks for it. Amounts in 元.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum DisputeStep {
    /// A mediator (mediation) or lawyer (legal aid) from the roster.
    Assign {
        version: Option<i64>,
        advocate_id: String,
    },
    /// A mediation session held.
    Session {
        version: Option<i64>,
        #[schema(format = Date)]
        held_on: Option<String>,
        note: String,
    },
    /// A legal-aid case enters a stage.
    Stage {
        version: Option<i64>,
        stage: AidStage,
        note: Option<String>,
    },
    Agree {
        version: Option<i64>,
        amount_agreed: String,
        /// Paid at once, if any.
        amount_paid: Option<String>,
        note: Option<String>,
    },
    Fail {
        version: Option<i64>,
        referred_to: Referral,
        note: Option<String>,
    },
    Conclude {
        version: Option<i64>,
        result: AidResult,
        amount_recovered: Option<String>,
        note: Option<String>,
    },
    Withdraw {
        version: Option<i64>,
        reason: String,
    },
    /// The court confirmed the agreement (司法确认).
    Confirm {
        version: Option<i64>,
        #[schema(format = Date)]
        confirmed_on: Option<String>,
        court_ref: Option<String>,
    },
    /// The total actually paid or recovered so far.
    Pay {
        version: Option<i64>,
        amount_paid: String,
    },
}

impl DisputeStep {
    fn version(&self) -> Option<i64> {
        match self {
            DisputeStep::Assign { version, .. }
            | DisputeStep::Session { version, .. }
            | DisputeStep::Stage { version, .. }
            | DisputeStep::Agree { version, .. }
            | DisputeStep::Fail { version, .. }
            | DisputeStep::Conclude { version, .. }
            | DisputeStep::Withdraw { version, .. }
            | DisputeStep::Confirm { version, .. }
            | DisputeStep::Pay { version, .. } => *version,
        }
    }

    fn action(&self) -> Action {
        match self {
            DisputeStep::Assign { .. } => A::Assign,
            DisputeStep::Session { .. } => A::Session,
            DisputeStep::Stage { .. } => A::Stage,
            DisputeStep::Agree { .. } => A::Agree,
            DisputeStep::Fail { .. } => A::Fail,
            DisputeStep::Conclude { .. } => A::Conclude,
            DisputeStep::Withdraw { .. } => A::Withdraw,
            DisputeStep::Confirm { .. } => A::Confirm,
            DisputeStep::Pay { .. } => A::Pay,
        }
    }
}

/// An amount a step needs, or the 422 naming it.
fn step_amount(field: &str, typed: Option<&str>) -> AppResult<Option<Fen>> {
    let mut issues = Vec::new();
    let f = amount(field, typed, &mut issues);
    if let Some(first) = issues.first() {
        return Err(AppError::invalid_fields(first.message.clone(), issues));
    }
    Ok(f)
}

/// A date typed for a step: default today, never in the future, never before `not_before`.
fn step_date(
    field: &str,
    typed: Option<&str>,
    not_before: &str,
    today: NaiveDate,
) -> AppResult<NaiveDate> {
    let d = match given(typed) {
        None => today,
        Some(s) => {
            parse_date(s).map_err(|e| AppError::invalid(format!("{field}：{}", e.message())))?
        }
    };
    if d > today {
        return Err(AppError::invalid(format!("{field}不能晚于今天")));
    }
    if d.to_string().as_str() < not_before {
        return Err(AppError::invalid(format!(
            "{field}不能早于收案日期{not_before}"
        )));
    }
    Ok(d)
}

fn note_into(detail: &mut serde_json::Map<String, serde_json::Value>, note: Option<&str>) {
    if let Some(n) = given(note) {
        detail.insert(
            "note".into(),
            crate::crypto::mask_personal_in_text(&n.chars().take(1000).collect::<String>()).into(),
        );
    }
}

/// Takes one step of the case `id`, in a union of the caller's scope; a step the case's
/// table does not allow, a stale version or an input problem writes nothing.
pub async fn take_step(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &DisputeStep,
    today: NaiveDate,
    now: i64,
) -> AppResult<Dispute> {
    let current = get_row(db, &actor.scope, id).await?;
    let kind = Kind::parse(&current.kind).unwrap_or(Kind::Mediation);
    let from = Status::parse(&current.status).unwrap_or(S::Registered);
    let action = input.action();
    let what = match kind {
        Kind::Mediation => "这件调解案件",
        Kind::LegalAid => "这件法律援助案件",
    };
    let to = workflow::next(kind.table(), from, action)
        .ok_or_else(|| workflow::refused(what, from, action))?;
    let mut set: Vec<(&'static str, Option<String>)> = Vec::new();
    let mut set_num: Vec<(&'static str, Option<i64>)> = Vec::new();
    let mut sessions = 0;
    let mut detail = serde_json::Map::new();
    let closes = |set: &mut Vec<(&'static str, Option<String>)>| {
        set.push(("closed_on", Some(today.to_string())))
    };
    match input {
        DisputeStep::Assign { advocate_id, .. } => {
            let adv = advocate_id
                .trim()
                .parse::<i64>()
                .ok()
                .map(|i| async move { roster::get(db, i).await.ok() });
            let adv = match adv {
                Some(f) => f.await,
                None => None,
            };
            let want = match kind {
                Kind::Mediation => roster::Role::Mediator,
                Kind::LegalAid => roster::Role::Lawyer,
            };
            let Some(adv) =
                adv.filter(|a| current.org_path.starts_with(&a.org_path) && a.active == 1)
            else {
                return Err(AppError::invalid(
                    "所选人员不在本工会或上级工会的名录中，或已停用",
                ));
            };
            if adv.role != want.code() {
                return Err(AppError::invalid(format!(
                    "{}应指派{}，“{}”是{}",
                    kind.label(),
                    want.label(),
                    adv.name,
                    adv.role_label()
                )));
            }
            detail.insert("advocate".into(), adv.name.clone().into());
            set_num.push(("advocate_id", Some(adv.id)));
            set.push(("assigned_on", Some(today.to_string())));
        }
        DisputeStep::Session { held_on, note, .. } => {
            let on = step_date("调解日期", held_on.as_deref(), &current.received_on, today)?;
            let note = required(note, "调解情况", 1000)?;
            detail.insert("held_on".into(), on.to_string().into());
            note_into(&mut detail, Some(&note));
            sessions = 1;
        }
        DisputeStep::Stage { stage, note, .. } => {
            detail.insert("stage".into(), stage.code().into());
            note_into(&mut detail, note.as_deref());
            set.push(("stage", Some(stage.code().into())));
        }
        DisputeStep::Agree {
            amount_agreed,
            amount_paid,
            note,
            ..
        } => {
            let agreed = step_amount("协议金额", Some(amount_agreed))?
                .ok_or_else(|| AppError::invalid("请填写协议金额（元）"))?;
            let paid = step_amount("已履行金额", amount_paid.as_deref())?;
            if let Some(p) = paid
                && p.0 > agreed.0
            {
                return Err(AppError::invalid("已履行金额不能大于协议金额"));
            }
            detail.insert("amount_agreed".into(), agreed.to_string().into());
            if let Some(p) = paid {
                detail.insert("amount_paid".into(), p.to_string().into());
            }
            note_into(&mut detail, note.as_deref());
            set.push(("outcome", Some("agreed".into())));
            set_num.push(("amount_agreed", Some(agreed.0)));
            set_num.push(("amount_recovered", Some(paid.map_or(0, |p| p.0))));
            closes(&mut set);
        }
        DisputeStep::Fail {
            referred_to, note, ..
        } => {
            detail.insert("referred_to".into(), referred_to.code().into());
            note_into(&mut detail, note.as_deref());
            set.push(("outcome", Some(referred_to.code().into())));
            set.push(("referred_to", Some(referred_to.label().into())));
            closes(&mut set);
        }
        DisputeStep::Conclude {
            result,
            amount_recovered,
            note,
            ..
        } => {
            let recovered = step_amount("挽回金额", amount_recovered.as_deref())?;
            detail.insert("result".into(), result.code().into());
            if let Some(r) = recovered {
                detail.insert("amount_recovered".into(), r.to_string().into());
            }
            note_into(&mut detail, note.as_deref());
            set.push(("outcome", Some(result.code().into())));
            set_num.push(("amount_recovered", Some(recovered.map_or(0, |r| r.0))));
            closes(&mut set);
        }
        DisputeStep::Withdraw { reason, .. } => {
            let reason = required(reason, "撤回原因", 500)?;
            note_into(&mut detail, Some(&reason));
            set.push(("outcome", Some("withdrawn".into())));
            closes(&mut set);
        }
        DisputeStep::Confirm {
            confirmed_on,
            court_ref,
            ..
        } => {
            if current.confirmed_on.is_some() {
                return Err(AppError::conflict(
                    "ALREADY_CONFIRMED",
                    "这份调解协议已经司法确认过",
                ));
            }
            let closed = current
                .closed_on
                .clone()
                .unwrap_or_else(|| current.received_on.clone());
            let on = step_date("司法确认日期", confirmed_on.as_deref(), &closed, today)?;
            detail.insert("confirmed_on".into(), on.to_string().into());
            if let Some(c) = given(court_ref.as_deref()) {
                detail.insert(
                    "court_ref".into(),
                    c.chars().take(60).collect::<String>().into(),
                );
            }
            set.push(("confirmed_on", Some(on.to_string())));
        }
        DisputeStep::Pay { amount_paid, .. } => {
            let paid = step_amount("履行金额", Some(amount_paid))?
                .ok_or_else(|| AppError::invalid("请填写已履行（挽回）的总金额（元）"))?;
            if kind == Kind::Mediation
                && let Some(agreed) = current.amount_agreed
                && paid.0 > agreed
            {
                return Err(AppError::invalid(format!(
                    "已履行金额不能大于协议金额{}元",
                    Fen(agreed)
                )));
            }
            detail.insert("amount_paid".into(), paid.to_string().into());
            set_num.push(("amount_recovered", Some(paid.0)));
        }
    }
    let expected = input.version().unwrap_or(current.version);
    let detail = serde_json::Value::Object(detail);
    let backend = db.backend();
    let actor2 = actor.clone();
    db.write(move |tx| {
        let (actor, set, set_num, detail) =
            (actor2.clone(), set.clone(), set_num.clone(), detail.clone());
        Box::pin(async move {
            let mut sets: Vec<Set> = set.iter().map(|(c, v)| Set::Text(c, v.clone())).collect();
            sets.extend(set_num.iter().map(|(c, v)| Set::Number(c, *v)));
            sets.push(Set::Expr(format!("sessions = sessions + {sessions}")));
            // The figures: the case's contribution out before the step, in again after it.
            super::figures::count_dispute(tx, id, -1).await?;
            workflow::update_case(
                tx,
                "disputes",
                id,
                expected,
                from.code(),
                to.code(),
                now,
                &sets,
                "这件案件",
            )
            .await?;
            super::figures::count_dispute(tx, id, 1).await?;
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
                    .target("dispute", id)
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
        A::Assign => "dispute.assign",
        A::Session => "dispute.session",
        A::Stage => "dispute.stage",
        A::Agree => "dispute.agree",
        A::Fail => "dispute.fail",
        A::Conclude => "dispute.conclude",
        A::Withdraw => "dispute.withdraw",
        A::Confirm => "dispute.confirm",
        A::Pay => "dispute.pay",
    }
}

// ---------- reading ----------

async fn get_row(db: &Db, scope: &Scope, id: i64) -> AppResult<Row> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.filter(|r| scope.contains(&r.org_path))
        .ok_or_else(|| AppError::not_found("案件"))
}

/// A case handled in the caller's scope.
pub async fn get(db: &Db, scope: &Scope, id: i64, today: NaiveDate) -> AppResult<Dispute> {
    Ok(view(get_row(db, scope, id).await?, today))
}

/// The cases handled in a union's subtree and received in a period, in the order of receipt,
/// with their workers' names, `limit` at a time after `after` (its date of receipt and id): the
/// register, read in batches for export.
pub async fn case_register(
    db: &Db,
    org_path: &str,
    (from, to): (NaiveDate, NaiveDate),
    after: Option<&(String, i64)>,
    limit: i64,
    today: NaiveDate,
) -> AppResult<Vec<(Dispute, Vec<String>)>> {
    let (lo, hi) = Scope::subtree(org_path).range();
    let mut sql = format!(
        "{SELECT} WHERE d.org_path >= $1 AND d.org_path < $2 AND d.received_on >= $3 AND d.received_on <= $4"
    );
    if after.is_some() {
        // The lower bound on its own, so the index on the day of receipt starts there.
        sql.push_str(" AND d.received_on >= $5 AND (d.received_on > $5 OR d.id > $6)");
    }
    sql.push_str(&format!(" ORDER BY d.received_on, d.id LIMIT {limit}"));
    let mut q = sqlx::query_as::<_, Row>(&sql)
        .bind(lo)
        .bind(hi)
        .bind(from.to_string())
        .bind(to.to_string());
    if let Some((day, id)) = after {
        q = q.bind(day.clone()).bind(*id);
    }
    let rows = q.fetch_all(db.pool()).await?;
    let mut names: std::collections::HashMap<i64, Vec<String>> = Default::default();
    if !rows.is_empty() {
        let sql = format!(
            "SELECT w.dispute_id, COALESCE(w.name, m.name) FROM dispute_workers w \
             LEFT JOIN members m ON m.id = w.member_id WHERE w.dispute_id IN ({}) ORDER BY w.id",
            crate::db::in_list(rows.len())
        );
        let mut w = sqlx::query_as::<_, (i64, Option<String>)>(&sql);
        for r in &rows {
            w = w.bind(r.id);
        }
        for (id, name) in w.fetch_all(db.pool()).await? {
            names.entry(id).or_default().extend(name);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let workers = names.remove(&r.id).unwrap_or_default();
            (view(r, today), workers)
        })
        .collect())
}

/// The files of a case in the caller's scope (404 when it is not theirs to see).
pub async fn files_of(db: &Db, scope: &Scope, id: i64) -> AppResult<Owner> {
    get_row(db, scope, id).await?;
    Ok(Owner { kind: CASE, id })
}

/// The workers of a case in the caller's scope, masked.
pub async fn workers(db: &Db, scope: &Scope, id: i64) -> AppResult<Vec<Worker>> {
    get_row(db, scope, id).await?;
    Ok(sqlx::query_as(
        "SELECT w.member_id, COALESCE(w.name, m.name) AS name, COALESCE(w.id_masked, m.id_masked) AS id_masked, \
         COALESCE(w.mobile_masked, m.mobile_masked) AS mobile_masked \
         FROM dispute_workers w LEFT JOIN members m ON m.id = w.member_id WHERE w.dispute_id = $1 ORDER BY w.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?)
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

/// What a list of cases shows.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DisputeFilter {
    /// mediation or legal_aid; default both.
    pub kind: Option<String>,
    /// A union (code): its cases and those below it; default the caller's scope.
    pub org: Option<String>,
    /// Only cases in this state; default the open ones.
    pub status: Option<String>,
    /// Only the cases of this mediator or lawyer.
    pub advocate: Option<String>,
    /// `overdue` or `near`: only mediations past or near their deadline.
    pub due: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Cases handled in a union's subtree: open ones the nearest deadline first, others newest first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &DisputeFilter,
    today: NaiveDate,
) -> AppResult<Vec<Dispute>> {
    let within = orgs::narrowed(db, scope, f.org.as_deref()).await?;
    let (lo, hi) = within.range();
    let mut args: Vec<String> = vec![lo, hi];
    let mut cond = String::from("d.org_path >= $1 AND d.org_path < $2");
    if let Some(k) = given(f.kind.as_deref()) {
        let k =
            Kind::parse(k).ok_or_else(|| AppError::invalid(format!("案件类型“{k}”无法识别")))?;
        args.push(k.code().into());
        cond.push_str(&format!(" AND d.kind = ${}", args.len()));
    }
    match given(f.status.as_deref()) {
        Some(s) => {
            let s =
                Status::parse(s).ok_or_else(|| AppError::invalid(format!("状态“{s}”无法识别")))?;
            args.push(s.code().into());
            cond.push_str(&format!(" AND d.status = ${}", args.len()));
        }
        None => cond.push_str(&format!(" AND d.status IN {OPEN}")),
    }
    if let Some(a) = given(f.advocate.as_deref()) {
        let a: i64 = a
            .parse()
            .map_err(|_| AppError::invalid("调解员或律师编号无法识别"))?;
        cond.push_str(&format!(" AND d.advocate_id = {a}"));
    }
    if let Some(c) = deadlines::filter(
        f.due.as_deref(),
        "d.due_on",
        today,
        super::petitions::WARN_DAYS,
        &mut args,
    )? {
        cond.push_str(&format!(" AND {c} AND d.status IN {OPEN}"));
    }
    let paging = crate::db::Paging::new(f.page, f.per_page, 50);
    let sql = format!(
        "{SELECT} WHERE {cond} ORDER BY COALESCE(d.due_on, '9999-12-31'), d.received_on DESC, d.id LIMIT {} OFFSET {}",
        paging.per_page,
        paging.offset()
    );
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for a in &args {
        q = q.bind(a);
    }
    Ok(q.fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|r| view(r, today))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_action() -> impl Strategy<Value = Action> {
        (0..Action::all().len()).prop_map(|i| Action::all()[i])
    }

    proptest! {
        /// Both workflows: whatever is tried, a case moves only along its table, a finished
        /// case is never reopened, and its history replays to its state.
        #[test]
        fn random_steps_stay_in_the_table_and_replay(
            legal_aid in any::<bool>(),
            actions in proptest::collection::vec(any_action(), 0..40),
        ) {
            let table = if legal_aid { LEGAL_AID } else { MEDIATION };
            let mut state = S::Registered;
            let mut taken = Vec::new();
            for a in actions {
                let finished = matches!(state, S::Agreed | S::NotAgreed | S::Concluded | S::Withdrawn);
                if let Some(next) = workflow::next(table, state, a) {
                    if finished {
                        prop_assert_eq!(next, state, "a finished case stays finished");
                    }
                    state = next;
                    taken.push(a);
                }
            }
            prop_assert!(!(legal_aid && matches!(state, S::Agreed | S::NotAgreed)));
            prop_assert!(legal_aid || state != S::Concluded);
            prop_assert_eq!(workflow::replay(table, S::Registered, taken), Ok(state));
        }
    }

    #[test]
    fn the_rules_are_in_the_tables() {
        let m = |s, a| workflow::next(MEDIATION, s, a);
        assert_eq!(
            m(S::Registered, A::Agree),
            None,
            "agreement without a mediator"
        );
        assert_eq!(
            m(S::Assigned, A::Agree),
            None,
            "agreement without a session"
        );
        assert_eq!(m(S::NotAgreed, A::Confirm), None, "no agreement to confirm");
        assert_eq!(m(S::Withdrawn, A::Assign), None);
        let l = |s, a| workflow::next(LEGAL_AID, s, a);
        assert_eq!(
            l(S::Assigned, A::Conclude),
            None,
            "concluded before any stage"
        );
        assert_eq!(l(S::InProgress, A::Agree), None);
    }
}
