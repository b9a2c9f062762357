//! A collective contract (集体合同) from its draft to the day it ends.
//!
//! A union drafts a contract of a kind (综合 or a 专项) and a reach (单独 one employer; 区域性
//! or 行业性 many), for a term of one to three years, with the negotiators of both sides and,
//! for a wage contract, its wage terms. The 职代会 (or all-staff meeting) approves it — two
//! thirds of the delegates present and more than half of all delegates for it (集体合同规定
//! 第36条) — and it is signed; it is filed with the labour authority within 10 days of signing
//! (a later filing is recorded with a warning, 第42条), and takes effect when the authority
//! agrees or when 15 days pass without an objection (第47条). It is in force from the later of
//! its start and that day to the earlier of its end and the day it is ended. Expiry reminders
//! fire 90 and 30 days before its end, once each.
//!
//! Two contracts of the same kind and reach in force for one employer over overlapping terms
//! are refused: coverage counts an employer once per kind either way, but two such contracts
//! are a mistake a cadre must see.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::db::bulk::{Val, insert_rows};
use crate::db::{Db, Tx, new_id, tx_backend};
use crate::error::{AppError, AppResult, FieldIssue};
use crate::registry::orgs::{self, Org};
use crate::registry::scope::Scope;
use crate::types::{Fen, Limits, Uscc};
use crate::workflow::deadlines;
use crate::workflow::history::{self, CaseRef, Entry};
use crate::workflow::{self, Named, Step, coded_enum, given, issue};

/// The kind of case in the shared history.
pub const CASE: &str = "contract";

/// Days after signing within which a contract is filed.
pub const FILING_DAYS: u32 = 10;
/// Days the labour authority has to object after receiving it.
pub const REVIEW_DAYS: u32 = 15;
/// Expiry reminders, days before the end.
pub const REMINDERS: [i64; 2] = [90, 30];
/// A wage raise outside this range (hundredths of a percent) is recorded with a warning.
pub const PLAUSIBLE_RAISE_BP: std::ops::RangeInclusive<i64> = 0..=2_000;
/// The most employers one contract lists.
pub const MAX_EMPLOYERS: usize = 5_000;
/// The `valid_from` of a contract not in force.
pub const NEVER: &str = "9999-12-31";

coded_enum! {
    /// What a contract is about.
    Kind {
        General = "general", "综合";
        Wage = "wage", "工资专项";
        Women = "women", "女职工权益保护专项";
        Safety = "safety", "安全生产专项";
        Other = "other", "其他专项";
    }
}

coded_enum! {
    /// Whom a contract binds: one employer, or many of an area or a sector.
    Reach {
        Single = "single", "单独签订";
        Regional = "regional", "区域性";
        Sector = "sector", "行业性";
    }
}

coded_enum! {
    /// Where a contract stands.
    Status {
        Draft = "draft", "草案";
        Signed = "signed", "已签订";
        Filed = "filed", "已报送审查";
        Effective = "effective", "已生效";
        Objected = "objected", "审查有异议";
        Ended = "ended", "已终止";
        Withdrawn = "withdrawn", "已作废";
    }
}

coded_enum! {
    /// What can be done to a contract.
    Action {
        Sign = "sign", "表决通过并签订";
        File = "file", "报送劳动行政部门审查";
        Approve = "approve", "审查同意";
        Lapse = "lapse", "审查期满无异议生效";
        Object = "object", "审查提出异议";
        Revise = "revise", "修改后重新协商";
        End = "end", "提前终止";
        Withdraw = "withdraw", "作废";
    }
}

/// Every allowed step.
pub const STEPS: &[Step<Status, Action>] = &[
    Step {
        from: Status::Draft,
        action: Action::Sign,
        to: Status::Signed,
    },
    Step {
        from: Status::Draft,
        action: Action::Withdraw,
        to: Status::Withdrawn,
    },
    Step {
        from: Status::Signed,
        action: Action::File,
        to: Status::Filed,
    },
    Step {
        from: Status::Signed,
        action: Action::Withdraw,
        to: Status::Withdrawn,
    },
    Step {
        from: Status::Filed,
        action: Action::Approve,
        to: Status::Effective,
    },
    Step {
        from: Status::Filed,
        action: Action::Lapse,
        to: Status::Effective,
    },
    Step {
        from: Status::Filed,
        action: Action::Object,
        to: Status::Objected,
    },
    Step {
        from: Status::Objected,
        action: Action::Revise,
        to: Status::Draft,
    },
    Step {
        from: Status::Objected,
        action: Action::Withdraw,
        to: Status::Withdrawn,
    },
    Step {
        from: Status::Effective,
        action: Action::End,
        to: Status::Ended,
    },
];

/// The states whose contract binds (bound, will bind) its employers: the overlap rule looks at
/// these, an ended one up to the day it ended.
pub(super) const BINDING: &str = "'signed','filed','effective','ended'";

/// A contract as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    /// The union filing it (code); default the top of the caller's scope.
    pub org_code: Option<String>,
    pub title: Option<String>,
    /// 综合 / 工资专项 / 女职工权益保护专项 / 安全生产专项 / 其他专项 (code or label).
    pub kind: Option<String>,
    /// The subject of an 其他专项 contract.
    pub kind_note: Option<String>,
    /// 单独签订 / 区域性 / 行业性 (code or label).
    pub reach: Option<String>,
    /// The employers bound, by 统一社会信用代码.
    #[serde(default)]
    pub employers: Vec<String>,
    /// The union side's negotiators, chief first.
    pub union_side: Option<String>,
    /// The employer side's negotiators, chief first.
    pub employer_side: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    /// Wage contracts: the previous year's average wage (元 a month).
    pub prev_avg_wage: Option<String>,
    /// Wage contracts: the agreed raise, percent (up to two decimals).
    pub raise_pct: Option<String>,
    /// Wage contracts: the lowest wage paid in the firm (元 a month).
    pub lowest_wage: Option<String>,
    /// Wage contracts: the local minimum wage (元 a month).
    pub min_wage: Option<String>,
    /// The contract this one renews (id).
    pub renews: Option<String>,
    /// The offer to bargain it came from (id).
    pub offer_id: Option<String>,
}

/// A step taken on a contract.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[schema(as = ContractStepInput)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// The version the caller saw (a step on a changed contract is refused).
    pub version: i64,
    /// The day of the step: signed, filed, decided, ended (default today).
    pub on: Option<String>,
    /// Signing: 职工代表大会 or 职工大会.
    pub vote_body: Option<String>,
    /// Signing: the day of the vote (default the day of signing).
    pub vote_on: Option<String>,
    /// Signing: all delegates (or all workers, for an all-staff meeting).
    pub delegates: Option<i64>,
    pub present: Option<i64>,
    pub votes_for: Option<i64>,
    pub votes_against: Option<i64>,
    /// An objection's text; why a contract ends early or is withdrawn.
    pub note: Option<String>,
}

/// An employer a contract binds.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Bound {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub unit_id: i64,
    pub uscc: String,
    pub name: String,
    /// Its union, if it has one.
    pub org_name: Option<String>,
    pub employee_count: i64,
}

/// A contract as stored.
#[derive(Debug, Clone, FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    org_path: String,
    org_name: String,
    org_code: String,
    title: String,
    kind: String,
    kind_note: Option<String>,
    scope: String,
    union_side: String,
    employer_side: String,
    starts_on: String,
    ends_on: String,
    prev_avg_wage_fen: Option<i64>,
    raise_bp: Option<i64>,
    lowest_wage_fen: Option<i64>,
    min_wage_fen: Option<i64>,
    vote_body: Option<String>,
    vote_on: Option<String>,
    delegates: Option<i64>,
    present: Option<i64>,
    votes_for: Option<i64>,
    votes_against: Option<i64>,
    signed_on: Option<String>,
    filed_on: Option<String>,
    decided_on: Option<String>,
    objection: Option<String>,
    effective_on: Option<String>,
    ended_on: Option<String>,
    end_reason: Option<String>,
    valid_from: String,
    valid_to: String,
    status: String,
    renews: Option<i64>,
    offer_id: Option<i64>,
    employers: i64,
    created_by: String,
    version: i64,
}

const SELECT: &str = "c.id, c.org_id, c.org_path, o.name AS org_name, o.code AS org_code, c.title, c.kind, c.kind_note, c.scope, c.union_side, \
    c.employer_side, c.starts_on, c.ends_on, c.prev_avg_wage_fen, c.raise_bp, c.lowest_wage_fen, c.min_wage_fen, c.vote_body, \
    c.vote_on, c.delegates, c.present, c.votes_for, c.votes_against, c.signed_on, c.filed_on, c.decided_on, c.objection, \
    c.effective_on, c.ended_on, c.end_reason, c.valid_from, c.valid_to, c.status, c.renews, c.offer_id, c.employers, \
    c.created_by, c.version FROM contracts c JOIN orgs o ON o.id = c.org_id";

/// A contract as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contract {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_name: String,
    /// The filing union's code.
    pub org_code: String,
    #[serde(skip)]
    pub org_path: String,
    #[serde(skip)]
    pub org_id: i64,
    pub title: String,
    #[schema(value_type = String)]
    pub kind: Kind,
    pub kind_label: String,
    pub kind_note: Option<String>,
    #[schema(value_type = String)]
    pub reach: Reach,
    pub reach_label: String,
    pub union_side: String,
    pub employer_side: String,
    pub starts_on: String,
    pub ends_on: String,
    pub prev_avg_wage_fen: Option<i64>,
    /// The agreed raise in hundredths of a percent (550 = 5.50%).
    pub raise_bp: Option<i64>,
    pub lowest_wage_fen: Option<i64>,
    pub min_wage_fen: Option<i64>,
    pub vote_body: Option<String>,
    pub vote_on: Option<String>,
    pub delegates: Option<i64>,
    pub present: Option<i64>,
    pub votes_for: Option<i64>,
    pub votes_against: Option<i64>,
    pub signed_on: Option<String>,
    pub filed_on: Option<String>,
    /// The last day the labour authority may object (filed contracts).
    pub review_until: Option<String>,
    pub decided_on: Option<String>,
    pub objection: Option<String>,
    pub effective_on: Option<String>,
    pub ended_on: Option<String>,
    pub end_reason: Option<String>,
    /// The days it is in force (none while not in force).
    pub in_force_from: Option<String>,
    pub in_force_to: Option<String>,
    #[schema(value_type = String)]
    pub status: Status,
    /// As shown on `today`: 已生效 turns 已到期 after its last day.
    pub status_label: String,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub renews: Option<i64>,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub offer_id: Option<i64>,
    pub employer_count: i64,
    pub created_by: String,
    pub version: i64,
    /// What was recorded against the rules without stopping it (late filing, an unusual raise).
    pub warnings: Vec<String>,
}

impl Row {
    fn shown(self, today: NaiveDate) -> Contract {
        let status = Status::parse(&self.status).unwrap_or(Status::Draft);
        let kind = Kind::parse(&self.kind).unwrap_or(Kind::General);
        let reach = Reach::parse(&self.scope).unwrap_or(Reach::Single);
        let in_force = self.valid_from != NEVER;
        let status_label = if status == Status::Effective && self.valid_to < today.to_string() {
            "已到期".to_string()
        } else {
            status.label().to_string()
        };
        let review_until = match (status, self.filed_on.as_deref()) {
            (Status::Filed, Some(f)) => crate::types::parse_date(f)
                .ok()
                .map(|d| deadlines::due(d, REVIEW_DAYS).to_string()),
            _ => None,
        };
        let warnings = warnings(
            self.signed_on.as_deref(),
            self.filed_on.as_deref(),
            self.raise_bp,
            self.lowest_wage_fen.zip(self.min_wage_fen),
        );
        Contract {
            id: self.id,
            org_name: self.org_name,
            org_code: self.org_code,
            org_path: self.org_path,
            org_id: self.org_id,
            title: self.title,
            kind,
            kind_label: kind.label().into(),
            kind_note: self.kind_note,
            reach,
            reach_label: reach.label().into(),
            union_side: self.union_side,
            employer_side: self.employer_side,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            prev_avg_wage_fen: self.prev_avg_wage_fen,
            raise_bp: self.raise_bp,
            lowest_wage_fen: self.lowest_wage_fen,
            min_wage_fen: self.min_wage_fen,
            vote_body: self.vote_body,
            vote_on: self.vote_on,
            delegates: self.delegates,
            present: self.present,
            votes_for: self.votes_for,
            votes_against: self.votes_against,
            signed_on: self.signed_on,
            filed_on: self.filed_on,
            review_until,
            decided_on: self.decided_on,
            objection: self.objection,
            effective_on: self.effective_on,
            ended_on: self.ended_on,
            end_reason: self.end_reason,
            in_force_from: in_force.then(|| self.valid_from.clone()),
            in_force_to: in_force.then(|| self.valid_to.clone()),
            status,
            status_label,
            renews: self.renews,
            offer_id: self.offer_id,
            employer_count: self.employers,
            created_by: self.created_by,
            version: self.version,
            warnings,
        }
    }
}

/// What a contract records against the rules without being refused: filed more than 10 days
/// after signing; a raise outside 0–20%; a lowest wage below the local minimum.
pub fn warnings(
    signed_on: Option<&str>,
    filed_on: Option<&str>,
    raise_bp: Option<i64>,
    lowest_and_min: Option<(i64, i64)>,
) -> Vec<String> {
    let mut out = Vec::new();
    let day = |s: Option<&str>| s.and_then(|s| crate::types::parse_date(s).ok());
    if let (Some(s), Some(f)) = (day(signed_on), day(filed_on))
        && f > deadlines::due(s, FILING_DAYS)
    {
        out.push(format!(
            "签订后 {} 日才报送审查（应在{FILING_DAYS}日内报送）",
            (f - s).num_days()
        ));
    }
    if let Some(bp) = raise_bp
        && !PLAUSIBLE_RAISE_BP.contains(&bp)
    {
        out.push(format!(
            "约定工资增幅 {}% 超出通常范围（0%～20%），请核实",
            percent_text(bp)
        ));
    }
    if let Some((lowest, min)) = lowest_and_min
        && lowest < min
    {
        out.push(format!(
            "企业最低工资 {} 元低于当地最低工资标准 {} 元",
            Fen(lowest),
            Fen(min)
        ));
    }
    out
}

/// Hundredths of a percent as typed back: 550 → "5.50", -25 → "-0.25".
pub fn percent_text(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", bp.abs() / 100, bp.abs() % 100)
}

/// A percentage typed with at most two decimals ("5", "5.5", "5.25%", "-1") in hundredths of a
/// percent; at most ±1000%.
pub fn parse_percent(typed: &str) -> Result<i64, String> {
    let t = typed.trim().trim_end_matches(['%', '％']).trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !whole.is_empty()
        && whole.len() <= 4
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return Err(format!(
            "“{}”不是有效的百分比，请写成 5 或 5.5（最多两位小数）",
            typed.trim()
        ));
    }
    let whole: i64 = whole.parse().map_err(|_| "百分比过大".to_string())?;
    let frac: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
    let bp = whole * 100 + frac;
    if bp > 100_000 {
        return Err("百分比不能超过1000%".into());
    }
    Ok(if neg { -bp } else { bp })
}

/// The last day a term of `years` starting on `start` may end on.
fn term_end_limit(start: NaiveDate, years: u32) -> NaiveDate {
    start
        .checked_add_months(Months::new(12 * years))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start)
}

/// An employer as the form's check reads it.
#[derive(Debug, Clone, FromRow)]
struct Candidate {
    id: i64,
    uscc: String,
    name: String,
    org_path: Option<String>,
    region_code: Option<String>,
}

/// The registered employers among the credit codes typed, by code; a regional contract may
/// list thousands, so they are read a few hundred at a time rather than one by one.
async fn candidates(
    db: &Db,
    usccs: &[String],
) -> AppResult<std::collections::HashMap<String, Candidate>> {
    let mut found = std::collections::HashMap::with_capacity(usccs.len());
    for chunk in usccs.chunks(500) {
        let sql = format!(
            "SELECT id, uscc, name, org_path, region_code FROM units WHERE uscc IN ({})",
            crate::db::in_list(chunk.len())
        );
        let mut q = sqlx::query_as::<_, Candidate>(&sql);
        for u in chunk {
            q = q.bind(u);
        }
        for c in q.fetch_all(db.pool()).await? {
            found.insert(c.uscc.clone(), c);
        }
    }
    Ok(found)
}

/// The validated contract, ready to write.
pub(super) struct Checked {
    pub org: Org,
    pub title: String,
    pub kind: Kind,
    pub kind_note: Option<String>,
    pub reach: Reach,
    /// Each employer bound and where it is counted.
    pub units: Vec<(i64, String)>,
    pub union_side: String,
    pub employer_side: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Previous average wage, raise (hundredths of a percent), lowest wage, local minimum.
    pub wage: [Option<i64>; 4],
    renews: Option<i64>,
    offer_id: Option<i64>,
}

/// Checks a contract as typed; every problem by field.
pub(super) async fn check(db: &Db, scope: &Scope, i: &ContractInput) -> AppResult<Checked> {
    let mut issues = Vec::new();
    let org =
        workflow::union_in_scope(db, scope, "签订工会", i.org_code.as_deref(), &mut issues).await?;
    let title = given(i.title.as_deref()).map(|t| t.chars().take(100).collect::<String>());
    if title.is_none() {
        issues.push(issue("合同名称", "请填写合同名称"));
    }
    let kind: Option<Kind> = workflow::pick("合同类别", i.kind.as_deref(), &mut issues);
    let kind_note = given(i.kind_note.as_deref()).map(|t| t.chars().take(50).collect::<String>());
    if kind == Some(Kind::Other) && kind_note.is_none() {
        issues.push(issue("专项内容", "其他专项合同请写明专项内容"));
    }
    let reach: Option<Reach> = workflow::pick("签订形式", i.reach.as_deref(), &mut issues);
    let union_side =
        given(i.union_side.as_deref()).map(|t| t.chars().take(200).collect::<String>());
    if union_side.is_none() {
        issues.push(issue(
            "职工方协商代表",
            "请填写职工方协商代表（首席代表在前）",
        ));
    }
    let employer_side =
        given(i.employer_side.as_deref()).map(|t| t.chars().take(200).collect::<String>());
    if employer_side.is_none() {
        issues.push(issue(
            "企业方协商代表",
            "请填写企业方协商代表（首席代表在前）",
        ));
    }
    let starts = workflow::date("合同期限开始", i.starts_on.as_deref(), &mut issues);
    let ends = workflow::date("合同期限结束", i.ends_on.as_deref(), &mut issues);
    if let (Some(s), Some(e)) = (starts, ends) {
        if e < s {
            issues.push(issue("合同期限结束", "合同期限结束不能早于开始"));
        } else if e > term_end_limit(s, 3) {
            issues.push(issue(
                "合同期限结束",
                format!("集体合同期限为1至3年，最晚到 {}", term_end_limit(s, 3)),
            ));
        } else if e < term_end_limit(s, 1) {
            issues.push(issue(
                "合同期限结束",
                format!("集体合同期限为1至3年，最早到 {}", term_end_limit(s, 1)),
            ));
        }
    }
    // Wage terms: required for a wage contract, kept for any other when given.
    let wage_needed = kind == Some(Kind::Wage);
    let limits = Limits {
        zero_ok: false,
        max: Fen::yuan(1_000_000),
    };
    let mut money = |field: &str, typed: Option<&str>| -> Option<i64> {
        match given(typed) {
            None if wage_needed => {
                issues.push(issue(field, format!("工资专项合同请填写{field}")));
                None
            }
            None => None,
            Some(t) => workflow::money(field, Some(t), limits, &mut issues).map(|f| f.0),
        }
    };
    let prev_avg = money("上年度职工平均工资", i.prev_avg_wage.as_deref());
    let lowest = money("企业最低工资", i.lowest_wage.as_deref());
    let min_wage = money("当地最低工资标准", i.min_wage.as_deref());
    let raise = match given(i.raise_pct.as_deref()) {
        None if wage_needed => {
            issues.push(issue("工资增幅", "工资专项合同请填写约定的工资增幅（%）"));
            None
        }
        None => None,
        Some(t) => parse_percent(t)
            .map_err(|m| issues.push(issue("工资增幅", m)))
            .ok(),
    };
    let id_of = |typed: Option<&str>, field: &str, issues: &mut Vec<FieldIssue>| {
        given(typed).and_then(|t| {
            t.parse::<i64>()
                .map_err(|_| issues.push(issue(field, format!("编号“{t}”不正确"))))
                .ok()
        })
    };
    let renews = id_of(i.renews.as_deref(), "续签的原合同", &mut issues);
    let offer_id = id_of(i.offer_id.as_deref(), "协商要约", &mut issues);
    // The employers: each in the registry, and the filing union's to bind.
    let mut units = Vec::new();
    if i.employers.is_empty() {
        issues.push(issue("覆盖单位", "请至少列出一家覆盖的单位"));
    } else if i.employers.len() > MAX_EMPLOYERS {
        issues.push(issue(
            "覆盖单位",
            format!("一份合同最多覆盖 {MAX_EMPLOYERS} 家单位"),
        ));
    } else if reach == Some(Reach::Single) && i.employers.len() != 1 {
        issues.push(issue(
            "覆盖单位",
            "单独签订的合同只覆盖一家单位；覆盖多家请选择区域性或行业性",
        ));
    }
    if let Some(org) = &org
        && i.employers.len() <= MAX_EMPLOYERS
    {
        let area = orgs::AREA_KINDS
            .contains(&org.kind.as_str())
            .then_some(org.region_code.as_deref())
            .flatten()
            .map(|r| crate::registry::overview::region_prefix(r).to_string());
        let mut seen = std::collections::HashSet::new();
        let mut usccs = Vec::with_capacity(i.employers.len());
        for typed in &i.employers {
            match Uscc::parse(typed) {
                Err(e) => issues.push(issue("覆盖单位", e.message())),
                Ok(u) if !seen.insert(u.as_str().to_string()) => {
                    issues.push(issue("覆盖单位", format!("单位“{}”重复列出", u.as_str())))
                }
                Ok(u) => usccs.push(u.as_str().to_string()),
            }
        }
        let registered = candidates(db, &usccs).await?;
        for uscc in &usccs {
            match registered.get(uscc) {
                None => issues.push(issue(
                    "覆盖单位",
                    format!("统一社会信用代码为“{uscc}”的单位不在登记库中，请先登记该单位"),
                )),
                Some(u) => {
                    let ours = match &u.org_path {
                        Some(p) => p.starts_with(&org.path),
                        None => area
                            .as_deref()
                            .zip(u.region_code.as_deref())
                            .is_some_and(|(a, r)| r.starts_with(a)),
                    };
                    if ours {
                        units.push((u.id, u.org_path.clone().unwrap_or_else(|| org.path.clone())));
                    } else {
                        issues.push(issue(
                            "覆盖单位",
                            format!(
                                "单位“{}”（{}）不在“{}”的管辖范围内",
                                u.name, u.uscc, org.name
                            ),
                        ));
                    }
                }
            }
        }
    }
    let (Some(org), Some(title), Some(kind), Some(reach), Some(us), Some(es), Some(s), Some(e)) = (
        org,
        title,
        kind,
        reach,
        union_side,
        employer_side,
        starts,
        ends,
    ) else {
        return Err(AppError::invalid_fields(
            "集体合同有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "集体合同有误，请按提示修改",
            issues,
        ));
    }
    Ok(Checked {
        org,
        title,
        kind,
        kind_note: if kind == Kind::Other { kind_note } else { None },
        reach,
        units,
        union_side: us,
        employer_side: es,
        starts_on: s,
        ends_on: e,
        wage: [prev_avg, raise, lowest, min_wage],
        renews,
        offer_id,
    })
}

/// Refuses when an employer of contract `id` is bound by another binding contract of the same
/// kind and reach whose term overlaps `[starts_on, ends_on]`.
async fn refuse_overlap(
    tx: &mut Tx,
    id: i64,
    kind: Kind,
    reach: Reach,
    starts_on: &str,
    ends_on: &str,
) -> AppResult<()> {
    let clash: Option<(String, String, String, String)> = sqlx::query_as(&format!(
        "SELECT u.name, c.title, c.starts_on, COALESCE(c.ended_on, c.ends_on) FROM contract_units mine \
         JOIN contract_units cu ON cu.unit_id = mine.unit_id AND cu.contract_id <> mine.contract_id \
         JOIN contracts c ON c.id = cu.contract_id JOIN units u ON u.id = mine.unit_id \
         WHERE mine.contract_id = $1 AND c.kind = $2 AND c.scope = $3 AND c.status IN ({BINDING}) \
         AND c.starts_on <= $4 AND COALESCE(c.ended_on, c.ends_on) >= $5 LIMIT 1"
    ))
    .bind(id)
    .bind(kind.code())
    .bind(reach.code())
    .bind(ends_on)
    .bind(starts_on)
    .fetch_optional(&mut **tx)
    .await?;
    match clash {
        None => Ok(()),
        Some((unit, title, from, to)) => Err(AppError::conflict(
            "CONTRACT_OVERLAP",
            format!(
                "单位“{unit}”已有同类（{}·{}）合同“{title}”（{from} 至 {to}），期限重叠；续签合同请从原合同期满次日开始",
                kind.label(),
                reach.label()
            ),
        )),
    }
}

/// Drafts a contract with its employers.
pub async fn create(
    db: &Db,
    actor: &Actor,
    i: &ContractInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Contract> {
    let c = check(db, &actor.scope, i).await?;
    let id = new_id();
    let mut tx = db.begin_write().await?;
    if let Some(r) = c.renews {
        let (lo, hi) = actor.scope.range();
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM contracts WHERE id = $1 AND org_path >= $2 AND org_path < $3",
        )
        .bind(r)
        .bind(lo)
        .bind(hi)
        .fetch_optional(&mut *tx)
        .await?;
        if found.is_none() {
            return Err(AppError::invalid_fields(
                "集体合同有误，请按提示修改",
                vec![issue("续签的原合同", "原合同不存在或不在您的管理范围内")],
            ));
        }
    }
    if let Some(o) = c.offer_id {
        super::offers::check_led_to(&mut tx, &actor.scope, o, &c.units).await?;
    }
    sqlx::query(
        "INSERT INTO contracts (id, org_id, org_path, title, kind, kind_note, scope, union_side, employer_side, starts_on, ends_on, \
         prev_avg_wage_fen, raise_bp, lowest_wage_fen, min_wage_fen, valid_from, valid_to, status, renews, offer_id, employers, \
         created_by, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$23)",
    )
    .bind(id)
    .bind(c.org.id)
    .bind(&c.org.path)
    .bind(&c.title)
    .bind(c.kind.code())
    .bind(&c.kind_note)
    .bind(c.reach.code())
    .bind(&c.union_side)
    .bind(&c.employer_side)
    .bind(c.starts_on.to_string())
    .bind(c.ends_on.to_string())
    .bind(c.wage[0])
    .bind(c.wage[1])
    .bind(c.wage[2])
    .bind(c.wage[3])
    .bind(NEVER)
    .bind(c.ends_on.to_string())
    .bind(Status::Draft.code())
    .bind(c.renews)
    .bind(c.offer_id)
    .bind(c.units.len() as i64)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let rows = c
        .units
        .iter()
        .map(|(unit, path)| {
            vec![
                Val::I(id),
                Val::I(*unit),
                Val::T(Some(path.clone())),
                Val::T(Some(c.kind.code().into())),
                Val::T(Some(c.reach.code().into())),
                Val::T(Some(NEVER.into())),
                Val::T(Some(c.ends_on.to_string())),
            ]
        })
        .collect();
    let backend = tx_backend(&tx);
    insert_rows(
        &mut tx,
        backend,
        "contract_units",
        &[
            "contract_id",
            "unit_id",
            "org_path",
            "kind",
            "scope",
            "valid_from",
            "valid_to",
        ],
        rows,
    )
    .await?;
    history::record(
        &mut tx,
        CaseRef {
            case_type: CASE,
            id,
        },
        Entry {
            at: now,
            on: today,
            actor,
            action: "create",
            from: None,
            to: Status::Draft.code(),
            detail: &serde_json::json!({"employers": c.units.len()}),
        },
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contract.create")
            .target("contract", id)
            .detail(serde_json::json!({"kind": c.kind.code(), "reach": c.reach.code(), "employers": c.units.len()})),
    )
    .await?;
    tx.commit().await?;
    get(db, &actor.scope, id, today).await
}

/// The contract `id` if its filing union is in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64, today: NaiveDate) -> AppResult<Contract> {
    let row: Row =
        crate::registry::scope::one_in_scope(db, SELECT, "c", id, scope, "集体合同").await?;
    Ok(row.shown(today))
}

/// The owner of contract `id`'s files (the signed text, the vote's minutes, the authority's
/// decision) if the contract is in `scope`.
pub async fn files_of(db: &Db, scope: &Scope, id: i64) -> AppResult<crate::attachments::Owner> {
    let (lo, hi) = scope.range();
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM contracts WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    found.ok_or_else(|| AppError::not_found("集体合同"))?;
    Ok(crate::attachments::Owner { kind: CASE, id })
}

/// The employers contract `id` binds (the caller has checked the contract is theirs to see),
/// with each one's headcount on `on`.
pub async fn bound(db: &Db, id: i64, on: NaiveDate) -> AppResult<Vec<Bound>> {
    Ok(sqlx::query_as(
        "SELECT u.id AS unit_id, u.uscc, u.name, o.name AS org_name, COALESCE(h.employee_count, 0) AS employee_count \
         FROM contract_units cu JOIN units u ON u.id = cu.unit_id LEFT JOIN orgs o ON o.id = u.org_id \
         LEFT JOIN unit_headcounts h ON h.unit_id = u.id AND h.from_on <= $2 AND h.to_on >= $2 \
         WHERE cu.contract_id = $1 ORDER BY u.name LIMIT 5000",
    )
    .bind(id)
    .bind(on.to_string())
    .fetch_all(db.pool())
    .await?)
}

/// A list's filter.
#[derive(Debug, Default, Clone, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListFilter {
    /// A union's code: its subtree only.
    pub org: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub reach: Option<String>,
    /// In force and ending within 90 days.
    pub expiring: Option<bool>,
    /// In force on this day.
    pub in_force_on: Option<String>,
    /// Signed on or after this day.
    pub signed_from: Option<String>,
    /// Signed on or before this day.
    pub signed_to: Option<String>,
    /// In force to a day after this one.
    pub ends_after: Option<String>,
    /// In force to this day at the latest.
    pub ends_by: Option<String>,
    /// Title contains.
    pub q: Option<String>,
    /// An employer (id): the contracts binding it.
    pub unit: Option<String>,
    pub page: Option<i64>,
}

/// One page of contracts (50) matching `f`, newest first, and whether more follow.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &ListFilter,
    today: NaiveDate,
) -> AppResult<(Vec<Contract>, bool)> {
    let scope = orgs::narrowed(db, scope, f.org.as_deref()).await?;
    let (lo, hi) = scope.range();
    let mut sql = format!("SELECT {SELECT} WHERE c.org_path >= $1 AND c.org_path < $2");
    let mut args: Vec<String> = vec![lo, hi];
    let mut push = |cond: &str, v: String, sql: &mut String| {
        args.push(v);
        sql.push_str(&cond.replace('?', &format!("${}", args.len())));
    };
    if let Some(s) = given(f.status.as_deref()) {
        let s = Status::parse(s).ok_or_else(|| AppError::invalid("合同状态无法识别"))?;
        push(" AND c.status = ?", s.code().into(), &mut sql);
    }
    if let Some(k) = given(f.kind.as_deref()) {
        let k = Kind::parse(k).ok_or_else(|| AppError::invalid("合同类别无法识别"))?;
        push(" AND c.kind = ?", k.code().into(), &mut sql);
    }
    if let Some(r) = given(f.reach.as_deref()) {
        let r = Reach::parse(r).ok_or_else(|| AppError::invalid("签订形式无法识别"))?;
        push(" AND c.scope = ?", r.code().into(), &mut sql);
    }
    if f.expiring == Some(true) {
        push(" AND c.valid_from <= ?", today.to_string(), &mut sql);
        push(" AND c.valid_to >= ?", today.to_string(), &mut sql);
        push(
            " AND c.valid_to <= ?",
            (today + chrono::Days::new(90)).to_string(),
            &mut sql,
        );
    }
    if let Some(d) = given(f.in_force_on.as_deref()) {
        let d = crate::types::parse_date(d)?.to_string();
        push(" AND c.valid_from <= ?", d.clone(), &mut sql);
        push(" AND c.valid_to >= ?", d, &mut sql);
    }
    let day = |typed: Option<&str>| -> AppResult<Option<String>> {
        Ok(match given(typed) {
            Some(d) => Some(crate::types::parse_date(d)?.to_string()),
            None => None,
        })
    };
    let (signed_from, signed_to) = (day(f.signed_from.as_deref())?, day(f.signed_to.as_deref())?);
    if signed_from.is_some() || signed_to.is_some() {
        // As the figure counts signings: neither drafts nor withdrawn ones.
        sql.push_str(" AND c.status NOT IN ('draft', 'withdrawn')");
    }
    if let Some(d) = signed_from {
        push(" AND c.signed_on >= ?", d, &mut sql);
    }
    if let Some(d) = signed_to {
        push(" AND c.signed_on <= ?", d, &mut sql);
    }
    if let Some(d) = day(f.ends_after.as_deref())? {
        push(" AND c.valid_to > ?", d, &mut sql);
    }
    if let Some(d) = day(f.ends_by.as_deref())? {
        push(" AND c.valid_to <= ?", d, &mut sql);
    }
    if let Some(q) = given(f.q.as_deref()) {
        let pattern = format!("%{}%", q.replace(['%', '_'], ""));
        push(" AND c.title LIKE ?", pattern, &mut sql);
    }
    if let Some(u) = given(f.unit.as_deref()) {
        let u: i64 = u.parse().map_err(|_| AppError::not_found("单位"))?;
        push(
            " AND c.id IN (SELECT contract_id FROM contract_units WHERE unit_id = CAST(? AS BIGINT))",
            u.to_string(),
            &mut sql,
        );
    }
    let page = f.page.unwrap_or(1).clamp(1, 10_000);
    sql.push_str(&format!(
        " ORDER BY c.starts_on DESC, c.id DESC LIMIT 51 OFFSET {}",
        (page - 1) * 50
    ));
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for a in &args {
        q = q.bind(a.clone());
    }
    let mut rows = q.fetch_all(db.pool()).await?;
    let more = rows.len() > 50;
    rows.truncate(50);
    Ok((rows.into_iter().map(|r| r.shown(today)).collect(), more))
}

/// A register's contracts of the subtree at `path`: signed by the last of `days`, their term not
/// over before the first, neither drafts nor withdrawn; the `limit` after position `after`
/// (signing day, id) in that order, each with its employers' credit codes.
pub async fn register_batch(
    db: &Db,
    path: &str,
    days: (NaiveDate, NaiveDate),
    after: Option<&(String, i64)>,
    limit: i64,
    today: NaiveDate,
) -> AppResult<Vec<(Contract, Vec<String>)>> {
    let (lo, hi) = Scope::subtree(path).range();
    let (day, id) = after.cloned().unwrap_or_else(|| (String::new(), i64::MIN));
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {SELECT} WHERE c.org_path >= $1 AND c.org_path < $2 AND c.status NOT IN ('draft', 'withdrawn') \
         AND c.signed_on <= $3 AND COALESCE(c.ended_on, c.ends_on) >= $4 AND (c.signed_on > $5 OR (c.signed_on = $5 AND c.id > $6)) \
         ORDER BY c.signed_on, c.id LIMIT {limit}"
    ))
    .bind(lo)
    .bind(hi)
    .bind(days.1.to_string())
    .bind(days.0.to_string())
    .bind(day)
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let mut codes: std::collections::HashMap<i64, Vec<String>> = Default::default();
    if !rows.is_empty() {
        let ids = rows
            .iter()
            .map(|r| r.id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let pairs: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT cu.contract_id, u.uscc FROM contract_units cu JOIN units u ON u.id = cu.unit_id \
             WHERE cu.contract_id IN ({ids}) ORDER BY cu.contract_id, u.uscc"
        ))
        .fetch_all(db.pool())
        .await?;
        for (c, uscc) in pairs {
            codes.entry(c).or_default().push(uscc);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let employers = codes.remove(&r.id).unwrap_or_default();
            (r.shown(today), employers)
        })
        .collect())
}

/// Contracts of `scope` in force on `today` and ending within 90 days.
pub async fn expiring_count(db: &Db, scope: &Scope, today: NaiveDate) -> AppResult<i64> {
    let (lo, hi) = scope.range();
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM contracts WHERE org_path >= $1 AND org_path < $2 AND status = 'effective' \
         AND valid_to >= $3 AND valid_to <= $4 AND valid_from <= $3",
    )
    .bind(lo)
    .bind(hi)
    .bind(today.to_string())
    .bind((today + chrono::Days::new(90)).to_string())
    .fetch_one(db.pool())
    .await?)
}

/// The day typed for a step, or `today`; never after today.
pub(super) fn step_day(typed: Option<&str>, field: &str, today: NaiveDate) -> AppResult<NaiveDate> {
    let day = match given(typed) {
        Some(t) => crate::types::parse_date(t)
            .map_err(|e| AppError::invalid_fields(e.message(), vec![issue(field, e.message())]))?,
        None => today,
    };
    if day > today {
        let m = format!("{field}不能晚于今天");
        return Err(AppError::invalid_fields(m.clone(), vec![issue(field, m)]));
    }
    Ok(day)
}

fn refuse_before(day: NaiveDate, field: &str, earlier: Option<&str>, what: &str) -> AppResult<()> {
    if let Some(e) = earlier.and_then(|e| crate::types::parse_date(e).ok())
        && day < e
    {
        let m = format!("{field}不能早于{what}（{e}）");
        return Err(AppError::invalid_fields(m.clone(), vec![issue(field, m)]));
    }
    Ok(())
}

/// The vote that approves a contract: two thirds of the delegates present, more than half of
/// all delegates for it.
pub fn check_vote(
    delegates: i64,
    present: i64,
    votes_for: i64,
    against: i64,
) -> Result<(), FieldIssue> {
    if delegates <= 0 {
        return Err(issue("应到代表人数", "请填写应到代表（职工）人数"));
    }
    if present < 0 || present > delegates {
        return Err(issue("实到人数", "实到人数应在0与应到人数之间"));
    }
    if votes_for < 0 || against < 0 || votes_for + against > present {
        return Err(issue("赞成票", "赞成与反对票数之和不能超过实到人数"));
    }
    if present * 3 < delegates * 2 {
        return Err(issue(
            "实到人数",
            format!("实到 {present} 人，不足应到 {delegates} 人的三分之二，表决无效"),
        ));
    }
    if votes_for * 2 <= delegates {
        return Err(issue(
            "赞成票",
            format!(
                "赞成 {votes_for} 票，未超过全体 {delegates} 名代表（职工）的半数，草案未获通过"
            ),
        ));
    }
    Ok(())
}

/// Takes `action` on contract `id`.
pub async fn step(
    db: &Db,
    actor: &Actor,
    id: i64,
    action: Action,
    i: &StepInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Contract> {
    let c = get(db, &actor.scope, id, today).await?;
    if action == Action::Lapse {
        return Err(AppError::invalid("审查期满生效由系统按日期办理"));
    }
    let to = workflow::next(STEPS, c.status, action)
        .ok_or_else(|| workflow::refused("这份合同", c.status, action))?;
    let mut tx = db.begin_write().await?;
    let mut sets: Vec<workflow::Set> = Vec::new();
    let mut in_force: Option<(String, String)> = None;
    let day;
    use workflow::Set;
    match action {
        Action::Sign => {
            day = step_day(i.on.as_deref(), "签订日期", today)?;
            let vote_on = match given(i.vote_on.as_deref()) {
                Some(_) => step_day(i.vote_on.as_deref(), "表决日期", today)?,
                None => day,
            };
            if vote_on > day {
                let m = "表决日期不能晚于签订日期".to_string();
                return Err(AppError::invalid_fields(
                    m.clone(),
                    vec![issue("表决日期", m)],
                ));
            }
            let body = given(i.vote_body.as_deref()).unwrap_or("职工代表大会");
            if !["职工代表大会", "职工大会"].contains(&body) {
                let m = "表决机构应为“职工代表大会”或“职工大会”".to_string();
                return Err(AppError::invalid_fields(
                    m.clone(),
                    vec![issue("表决机构", m)],
                ));
            }
            let (d, p, f, a) = (
                i.delegates.unwrap_or(0),
                i.present.unwrap_or(0),
                i.votes_for.unwrap_or(0),
                i.votes_against.unwrap_or(0),
            );
            check_vote(d, p, f, a)
                .map_err(|e| AppError::invalid_fields(e.message.clone(), vec![e]))?;
            refuse_overlap(&mut tx, id, c.kind, c.reach, &c.starts_on, &c.ends_on).await?;
            sets.extend([
                Set::Text("vote_body", Some(body.into())),
                Set::Text("vote_on", Some(vote_on.to_string())),
                Set::Number("delegates", Some(d)),
                Set::Number("present", Some(p)),
                Set::Number("votes_for", Some(f)),
                Set::Number("votes_against", Some(a)),
                Set::Text("signed_on", Some(day.to_string())),
            ]);
        }
        Action::File => {
            day = step_day(i.on.as_deref(), "报送日期", today)?;
            refuse_before(day, "报送日期", c.signed_on.as_deref(), "签订日期")?;
            refuse_overlap(&mut tx, id, c.kind, c.reach, &c.starts_on, &c.ends_on).await?;
            // In force once the 15 days pass, unless an objection or a decision comes first.
            let effective = deadlines::due(day, REVIEW_DAYS) + chrono::Days::new(1);
            let from = effective.to_string().max(c.starts_on.clone());
            in_force = Some((from, c.ends_on.clone()));
            sets.extend([
                Set::Text("filed_on", Some(day.to_string())),
                Set::Text("effective_on", Some(effective.to_string())),
            ]);
        }
        Action::Approve | Action::Object => {
            day = step_day(i.on.as_deref(), "审查决定日期", today)?;
            refuse_before(day, "审查决定日期", c.filed_on.as_deref(), "报送日期")?;
            if let Some(until) = &c.review_until
                && day.to_string() > *until
            {
                let m = format!("审查期已于 {until} 届满，合同已自动生效，不能再作审查决定");
                return Err(AppError::invalid_fields(
                    m.clone(),
                    vec![issue("审查决定日期", m)],
                ));
            }
            sets.push(Set::Text("decided_on", Some(day.to_string())));
            if action == Action::Approve {
                let from = day.to_string().max(c.starts_on.clone());
                in_force = Some((from, c.ends_on.clone()));
                sets.push(Set::Text("effective_on", Some(day.to_string())));
            } else {
                let note = workflow::required(i.note.as_deref().unwrap_or(""), "审查意见", 500)?;
                in_force = Some((NEVER.into(), c.ends_on.clone()));
                sets.extend([
                    Set::Text("objection", Some(note)),
                    Set::Text("effective_on", None),
                ]);
            }
        }
        Action::Revise => {
            day = today;
        }
        Action::End => {
            day = step_day(i.on.as_deref(), "终止日期", today)?;
            let reason = workflow::required(i.note.as_deref().unwrap_or(""), "终止原因", 500)?;
            let from = c.in_force_from.clone().unwrap_or_else(|| NEVER.into());
            if day.to_string() < from {
                let m = format!("终止日期不能早于合同生效日（{from}）");
                return Err(AppError::invalid_fields(
                    m.clone(),
                    vec![issue("终止日期", m)],
                ));
            }
            let to = day.to_string().min(c.ends_on.clone());
            in_force = Some((from, to));
            sets.extend([
                Set::Text("ended_on", Some(day.to_string())),
                Set::Text("end_reason", Some(reason)),
            ]);
        }
        Action::Withdraw => {
            day = today;
            let reason = workflow::required(i.note.as_deref().unwrap_or(""), "作废原因", 500)?;
            sets.push(Set::Text("end_reason", Some(reason)));
        }
        Action::Lapse => unreachable!("refused above"),
    }
    if let Some((from, to)) = &in_force {
        sets.extend([
            Set::Text("valid_from", Some(from.clone())),
            Set::Text("valid_to", Some(to.clone())),
        ]);
    }
    workflow::update_case(
        &mut tx,
        "contracts",
        id,
        i.version,
        c.status.code(),
        to.code(),
        now,
        &sets,
        "这份合同",
    )
    .await?;
    if let Some((from, to)) = &in_force {
        sqlx::query(
            "UPDATE contract_units SET valid_from = $1, valid_to = $2 WHERE contract_id = $3",
        )
        .bind(from)
        .bind(to)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    let detail = serde_json::json!({"on": day.to_string(), "note": i.note});
    history::record(
        &mut tx,
        CaseRef {
            case_type: CASE,
            id,
        },
        Entry {
            at: now,
            on: day,
            actor,
            action: action.code(),
            from: Some(c.status.code()),
            to: to.code(),
            detail: &detail,
        },
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new(event_of(action)).target("contract", id).detail(
            serde_json::json!({"from": c.status.code(), "to": to.code(), "on": day.to_string()}),
        ),
    )
    .await?;
    tx.commit().await?;
    get(db, &actor.scope, id, today).await
}

/// The audit action of a step.
fn event_of(action: Action) -> &'static str {
    match action {
        Action::Sign => "contract.sign",
        Action::File => "contract.file",
        Action::Approve => "contract.approve",
        Action::Lapse => "contract.lapse",
        Action::Object => "contract.object",
        Action::Revise => "contract.revise",
        Action::End => "contract.end",
        Action::Withdraw => "contract.withdraw",
    }
}

/// The daily pass: contracts whose 15 days of review passed without a decision take effect
/// (their days in force were set when filed), and expiry reminders fire 90 and 30 days before
/// a contract's end, once each. Returns (took effect, reminders fired).
pub async fn sweep(
    db: &Db,
    actor: &Actor,
    today: NaiveDate,
    now: i64,
) -> AppResult<(usize, usize)> {
    let mut tx = db.begin_write().await?;
    let lapsed: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, effective_on FROM contracts WHERE status = 'filed' AND effective_on <= $1 ORDER BY id LIMIT 5000",
    )
    .bind(today.to_string())
    .fetch_all(&mut *tx)
    .await?;
    for (id, effective_on) in &lapsed {
        let moved = sqlx::query(
            "UPDATE contracts SET status = 'effective', version = version + 1, updated_at = $1 WHERE id = $2 AND status = 'filed'",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 1 {
            let on = crate::types::parse_date(effective_on).unwrap_or(today);
            history::record(
                &mut tx,
                CaseRef {
                    case_type: CASE,
                    id: *id,
                },
                Entry {
                    at: now,
                    on,
                    actor,
                    action: Action::Lapse.code(),
                    from: Some(Status::Filed.code()),
                    to: Status::Effective.code(),
                    detail: &serde_json::json!({"on": effective_on}),
                },
            )
            .await?;
        }
    }
    let mut fired = 0;
    for days in REMINDERS {
        let horizon = (today + chrono::Days::new(days as u64)).to_string();
        let due: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT c.id, c.org_path, c.valid_to FROM contracts c WHERE c.status = 'effective' AND c.valid_to >= $1 AND c.valid_to <= $2 \
             AND c.valid_from <= $1 AND NOT EXISTS (SELECT 1 FROM contract_reminders r WHERE r.contract_id = c.id AND r.days_before = $3) \
             ORDER BY c.id LIMIT 5000",
        )
        .bind(today.to_string())
        .bind(&horizon)
        .bind(days)
        .fetch_all(&mut *tx)
        .await?;
        for (id, path, ends) in due {
            sqlx::query(
                "INSERT INTO contract_reminders (contract_id, days_before, org_path, fired_on, ends_on) VALUES ($1,$2,$3,$4,$5)",
            )
            .bind(id)
            .bind(days)
            .bind(&path)
            .bind(today.to_string())
            .bind(&ends)
            .execute(&mut *tx)
            .await?;
            history::record(
                &mut tx,
                CaseRef {
                    case_type: CASE,
                    id,
                },
                Entry {
                    at: now,
                    on: today,
                    actor,
                    action: "remind",
                    from: Some(Status::Effective.code()),
                    to: Status::Effective.code(),
                    detail: &serde_json::json!({"days_before": days, "ends_on": ends}),
                },
            )
            .await?;
            fired += 1;
        }
    }
    if !lapsed.is_empty() || fired > 0 {
        audit::record_tx(
            &mut tx,
            actor,
            now,
            Event::new("contract.sweep")
                .detail(serde_json::json!({"effective": lapsed.len(), "reminders": fired})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok((lapsed.len(), fired))
}

/// Reminders fired for `scope`'s contracts, newest first: (contract id, title, days before, fired
/// on, ends on).
pub async fn reminders(
    db: &Db,
    scope: &Scope,
) -> AppResult<Vec<(i64, String, i64, String, String)>> {
    let (lo, hi) = scope.range();
    Ok(sqlx::query_as(
        "SELECT r.contract_id, c.title, r.days_before, r.fired_on, r.ends_on FROM contract_reminders r JOIN contracts c ON c.id = r.contract_id \
         WHERE r.org_path >= $1 AND r.org_path < $2 ORDER BY r.fired_on DESC, r.contract_id LIMIT 200",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?)
}

/// The year a day falls in, for the yearly checklist.
pub fn year_of(day: NaiveDate) -> i64 {
    i64::from(day.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_state_reached_by_the_table_has_a_way_out_or_is_final() {
        for s in Status::all() {
            let leaves = STEPS.iter().any(|st| st.from == *s);
            let is_final = matches!(s, Status::Ended | Status::Withdrawn);
            assert!(leaves || is_final, "{s:?} has no way out");
        }
        assert_eq!(
            workflow::replay(
                STEPS,
                Status::Draft,
                [
                    Action::Sign,
                    Action::File,
                    Action::Object,
                    Action::Revise,
                    Action::Sign,
                    Action::File,
                    Action::Approve,
                    Action::End
                ]
            ),
            Ok(Status::Ended)
        );
        assert_eq!(
            workflow::replay(STEPS, Status::Draft, [Action::File]),
            Err(0)
        );
    }

    #[test]
    fn a_vote_needs_two_thirds_present_and_more_than_half_of_all_for() {
        assert!(check_vote(100, 67, 51, 0).is_ok());
        assert!(
            check_vote(100, 66, 60, 0).is_err(),
            "under two thirds present"
        );
        assert!(
            check_vote(100, 100, 50, 50).is_err(),
            "exactly half is not more than half"
        );
        assert!(
            check_vote(100, 80, 51, 30).is_err(),
            "more votes than present"
        );
        assert!(check_vote(0, 0, 0, 0).is_err());
        assert!(check_vote(3, 2, 2, 0).is_ok());
    }

    #[test]
    fn terms_run_one_to_three_years_to_the_day_before() {
        let d = |s: &str| crate::types::parse_date(s).unwrap();
        assert_eq!(term_end_limit(d("2025-01-01"), 3), d("2027-12-31"));
        assert_eq!(term_end_limit(d("2024-02-29"), 1), d("2025-02-27"));
    }

    #[test]
    fn warnings_name_a_late_filing_and_an_unusual_raise() {
        assert!(
            warnings(
                Some("2025-01-01"),
                Some("2025-01-11"),
                Some(500),
                Some((300_000, 200_000))
            )
            .is_empty()
        );
        let w = warnings(
            Some("2025-01-01"),
            Some("2025-01-12"),
            Some(2_500),
            Some((150_000, 200_000)),
        );
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].contains("11 日"));
    }

    proptest! {
        #[test]
        fn a_percent_typed_reads_back_as_written(bp in -100_000i64..=100_000) {
            prop_assert_eq!(parse_percent(&percent_text(bp)), Ok(bp));
            prop_assert_eq!(parse_percent(&format!("{}%", percent_text(bp))), Ok(bp));
        }

        #[test]
        fn a_percent_never_panics_on_any_text(s in "\\PC{0,12}") {
            let _ = parse_percent(&s);
        }
    }
}
