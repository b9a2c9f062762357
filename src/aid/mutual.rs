//! Medical mutual aid (职工医疗互助 / 互助保障).
//!
//! A union runs a plan for a term: each enrolled worker contributes a fixed amount; a claim for
//! medical expenses in the term is reimbursed at the plan's share above its deductible, at most
//! the plan's cap per person per term. Employers enrol once per plan from the registry's roster:
//! at least the plan's share of the employer's active members (80% by default), or fewer with
//! a stated reason (overridden). Contributions are posted to the plan's pool; a claim goes up the
//! shared review chain and, approved, is paid from the pool in the same transaction.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::db::bulk::{Val, insert_rows};
use crate::db::{Db, Tx, new_id, tx_backend};
use crate::error::{AppError, AppResult, FieldIssue};
use crate::ledger::{self, Books, NewPosting};
use crate::registry::orgs;
use crate::registry::scope::{Scope, one_in_scope};
use crate::types::{Fen, parse_date};
use crate::workflow::history::{self, CaseRef, Entry};
use crate::workflow::review::{self, Decision, Outcome};
use crate::workflow::{Named, coded_enum, given, issue};

/// The business module a case officer must be named for.
pub const MODULE: &str = "mutual_aid";

/// The kind of case in the shared history and review chains.
pub const CASE: &str = "mutual_claim";

coded_enum! {
    /// Where a claim stands.
    ClaimStatus {
        Reviewing = "reviewing", "审核中";
        Rejected = "rejected", "未通过";
        Paid = "paid", "已赔付";
    }
}

const PAYERS: (&str, &str) = ("mutual:payers", "互助金缴纳单位");
const PAID: (&str, &str) = ("mutual:paid", "已赔付互助金");

/// A plan as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// The union running it (code); default the top of the caller's scope.
    pub org_code: Option<String>,
    pub name: Option<String>,
    pub term_start: Option<String>,
    pub term_end: Option<String>,
    /// 元 per person per term.
    pub contribution: Option<String>,
    /// 元 of each claim's expenses not reimbursed (起付线).
    pub deductible: Option<String>,
    /// Percent of the expenses above the deductible reimbursed.
    pub share_pct: Option<i64>,
    /// The most one person receives in the term, 元.
    pub cap: Option<String>,
    /// The least share of an employer's members that must enrol, percent (default 80).
    pub min_share_pct: Option<i64>,
    /// Kinds of union that review a claim, lowest first; empty: the plan's union.
    #[serde(default)]
    pub review_kinds: Vec<String>,
}

/// A plan as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Plan {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_name: String,
    #[serde(skip)]
    pub org_id: i64,
    #[serde(skip)]
    pub org_path: String,
    pub name: String,
    pub term_start: String,
    pub term_end: String,
    pub contribution_fen: i64,
    pub deductible_fen: i64,
    pub share_pct: i64,
    pub cap_fen: i64,
    pub min_share_pct: i64,
    pub review_kinds: String,
    /// The pool's balance now.
    pub pool_fen: i64,
}

const PLAN_SELECT: &str = "p.id, o.name AS org_name, p.org_id, p.org_path, p.name, p.term_start, p.term_end, p.contribution_fen, \
    p.deductible_fen, p.share_pct, p.cap_fen, p.min_share_pct, p.review_kinds, a.balance_fen AS pool_fen \
    FROM mutual_plans p JOIN orgs o ON o.id = p.org_id JOIN ledger_accounts a ON a.id = p.pool_account";

/// Reads an amount in 元 of a plan or a claim: at most 1000 万元.
fn amount(
    field: &str,
    typed: Option<&str>,
    zero_ok: bool,
    issues: &mut Vec<FieldIssue>,
) -> Option<Fen> {
    let limits = crate::types::Limits {
        zero_ok,
        max: Fen::yuan(10_000_000),
    };
    crate::workflow::money(field, typed, limits, issues)
}

/// Sets up a plan and its pool account.
pub async fn create_plan(db: &Db, actor: &Actor, i: &PlanInput, now: i64) -> AppResult<Plan> {
    let mut issues = Vec::new();
    let org = crate::workflow::union_in_scope(
        db,
        &actor.scope,
        "主办工会",
        i.org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let name = given(i.name.as_deref()).map(|n| n.chars().take(100).collect::<String>());
    if name.is_none() {
        issues.push(issue("计划名称", "请填写计划名称"));
    }
    let start = crate::workflow::date("保障期开始", i.term_start.as_deref(), &mut issues);
    let end = crate::workflow::date("保障期结束", i.term_end.as_deref(), &mut issues);
    if let (Some(s), Some(e)) = (start, end)
        && (e < s || (e - s).num_days() > 366 * 3)
    {
        issues.push(issue("保障期结束", "保障期应在开始之后，且不超过三年"));
    }
    let contribution = amount("每人缴费", i.contribution.as_deref(), false, &mut issues);
    let deductible = amount(
        "起付线",
        i.deductible.as_deref().or(Some("0")),
        true,
        &mut issues,
    );
    let cap = amount("每人最高赔付", i.cap.as_deref(), false, &mut issues);
    let share = i.share_pct.unwrap_or(0);
    if !(1..=100).contains(&share) {
        issues.push(issue("赔付比例", "赔付比例应在1%至100%之间"));
    }
    let min_share = i.min_share_pct.unwrap_or(80);
    if !(0..=100).contains(&min_share) {
        issues.push(issue("参保比例要求", "参保比例要求应在0%至100%之间"));
    }
    let mut kinds = Vec::new();
    for k in &i.review_kinds {
        match orgs::OrgKind::parse(k) {
            Ok(k) => kinds.push(k.code()),
            Err(_) => issues.push(issue("审核层级", format!("工会类别“{k}”无法识别"))),
        }
    }
    let (
        Some(org),
        Some(name),
        Some(start),
        Some(end),
        Some(contribution),
        Some(deductible),
        Some(cap),
    ) = (org, name, start, end, contribution, deductible, cap)
    else {
        return Err(AppError::invalid_fields(
            "互助计划有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "互助计划有误，请按提示修改",
            issues,
        ));
    }
    let id = new_id();
    let books = Books {
        org_id: org.id,
        org_path: org.path.clone(),
    };
    let mut tx = db.begin_write().await?;
    let pool = ledger::ensure_account(
        &mut tx,
        &books,
        &format!("mutual:pool:{id}"),
        &format!("互助金：{name}"),
        false,
        now,
    )
    .await?;
    ledger::ensure_account(&mut tx, &books, PAYERS.0, PAYERS.1, true, now).await?;
    ledger::ensure_account(&mut tx, &books, PAID.0, PAID.1, false, now).await?;
    sqlx::query(
        "INSERT INTO mutual_plans (id, org_id, org_path, name, term_start, term_end, contribution_fen, deductible_fen, share_pct, cap_fen, \
         min_share_pct, review_kinds, pool_account, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)",
    )
    .bind(id)
    .bind(org.id)
    .bind(&org.path)
    .bind(&name)
    .bind(start.to_string())
    .bind(end.to_string())
    .bind(contribution.0)
    .bind(deductible.0)
    .bind(share)
    .bind(cap.0)
    .bind(min_share)
    .bind(kinds.join(","))
    .bind(pool.id)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("mutual.plan").target("mutual_plan", id),
    )
    .await?;
    tx.commit().await?;
    plan(db, &Scope::all(), id).await
}

/// The plan `id` if its union is in `scope`.
pub async fn plan(db: &Db, scope: &Scope, id: i64) -> AppResult<Plan> {
    one_in_scope(db, PLAN_SELECT, "p", id, scope, "互助计划").await
}

/// The plans a caller works with: its subtree's and those above it.
pub async fn plans(db: &Db, scope: &Scope) -> AppResult<Vec<Plan>> {
    let (lo, hi) = scope.range();
    let above: Vec<String> = orgs::paths_above(scope.path())
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut sql = format!("SELECT {PLAN_SELECT} WHERE (p.org_path >= $1 AND p.org_path < $2)");
    if !above.is_empty() {
        sql.push_str(&format!(
            " OR p.org_path IN ({})",
            crate::db::in_list_from(3, above.len())
        ));
    }
    sql.push_str(" ORDER BY p.term_start DESC, p.id DESC LIMIT 200");
    let mut q = sqlx::query_as::<_, Plan>(&sql).bind(lo).bind(hi);
    for a in above {
        q = q.bind(a);
    }
    Ok(q.fetch_all(db.pool()).await?)
}

/// A plan the caller may enrol into or claim from: its own subtree's, or one above it.
async fn plan_reaching(db: &Db, scope: &Scope, id: i64) -> AppResult<Plan> {
    plans(db, scope)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| AppError::not_found("互助计划"))
}

// ---------- enrolment ----------

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolInput {
    pub unit_id: String,
    /// The members enrolled (registry ids); empty: every active member of the employer.
    #[serde(default)]
    pub member_ids: Vec<String>,
    /// Why fewer than the plan's share enrol (required then).
    pub override_reason: Option<String>,
}

/// An employer's enrolment as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Enrolment {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub plan_name: String,
    pub unit_name: String,
    pub org_name: String,
    pub unit_members: i64,
    pub enrolled: i64,
    pub override_reason: Option<String>,
    pub contribution_fen: i64,
    pub enrolled_on: String,
}

const ENROLMENT_SELECT: &str = "e.id, p.name AS plan_name, u.name AS unit_name, o.name AS org_name, e.unit_members, e.enrolled, \
    e.override_reason, e.contribution_fen, e.enrolled_on FROM mutual_enrolments e JOIN mutual_plans p ON p.id = e.plan_id \
    JOIN units u ON u.id = e.unit_id JOIN orgs o ON o.id = e.org_id";

/// Enrols an employer's members for a plan's term and posts their contributions to the pool.
pub async fn enrol(
    db: &Db,
    actor: &Actor,
    plan_id: i64,
    i: &EnrolInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Enrolment> {
    let p = plan_reaching(db, &actor.scope, plan_id).await?;
    if today.to_string() > p.term_end {
        return Err(AppError::conflict(
            "MUTUAL_TERM_OVER",
            format!("“{}”的保障期已于 {} 结束，不能再参保", p.name, p.term_end),
        ));
    }
    let unit_id: i64 = i
        .unit_id
        .trim()
        .parse()
        .map_err(|_| AppError::not_found("单位"))?;
    let (lo, hi) = actor.scope.range();
    let unit: Option<(String, Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT name, org_id, org_path FROM units WHERE id = $1 AND org_path >= $2 AND org_path < $3")
            .bind(unit_id)
            .bind(lo)
            .bind(hi)
            .fetch_optional(db.pool())
            .await?;
    let Some((unit_name, Some(org_id), Some(org_path))) = unit else {
        return Err(AppError::not_found("单位"));
    };
    if !org_path.starts_with(&p.org_path) {
        return Err(AppError::not_found("互助计划"));
    }
    let active: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM members WHERE unit_id = $1 AND status = 'active' ORDER BY id",
    )
    .bind(unit_id)
    .fetch_all(db.pool())
    .await?;
    let chosen: Vec<i64> = if i.member_ids.is_empty() {
        active.clone()
    } else {
        let mut chosen = Vec::new();
        for m in &i.member_ids {
            match m.trim().parse::<i64>() {
                Ok(id) if active.contains(&id) => chosen.push(id),
                _ => {
                    return Err(AppError::invalid(format!(
                        "会员 {m} 不是“{unit_name}”的在册会员"
                    )));
                }
            }
        }
        chosen.sort_unstable();
        chosen.dedup();
        chosen
    };
    if chosen.is_empty() {
        return Err(AppError::invalid(format!(
            "“{unit_name}”没有在册会员可以参保"
        )));
    }
    let total = active.len() as i64;
    let enrolled = chosen.len() as i64;
    let reason =
        given(i.override_reason.as_deref()).map(|r| r.chars().take(500).collect::<String>());
    if enrolled * 100 < total * p.min_share_pct && reason.is_none() {
        return Err(AppError::invalid(format!(
            "参保 {enrolled} 人，占单位在册会员 {total} 人的 {}%，低于本计划要求的 {}%：如确有特殊情况，请填写说明后提交",
            enrolled * 100 / total.max(1),
            p.min_share_pct
        ))
        .with_code("MUTUAL_BELOW_SHARE"));
    }
    let contribution = Fen(p.contribution_fen * enrolled);
    let id = new_id();
    let books = Books {
        org_id: p.org_id,
        org_path: p.org_path.clone(),
    };
    let mut tx = db.begin_write().await?;
    let payers = ledger::ensure_account(&mut tx, &books, PAYERS.0, PAYERS.1, true, now).await?;
    let pool: i64 = sqlx::query_scalar("SELECT pool_account FROM mutual_plans WHERE id = $1")
        .bind(plan_id)
        .fetch_one(&mut *tx)
        .await?;
    let posting = ledger::post(
        &mut tx,
        actor,
        &books,
        &NewPosting {
            on: today,
            memo: format!("{}：{unit_name} {enrolled} 人缴纳互助金", p.name),
            source: Some(("mutual_enrolment", id)),
            idempotency_key: Some(format!("mutual-enrol:{plan_id}:{unit_id}")),
            lines: ledger::transfer(payers.id, pool, contribution),
        },
        None,
        now,
    )
    .await
    .map_err(|e| {
        if e.code() == "LEDGER_DUPLICATE" {
            AppError::conflict("MUTUAL_ENROLLED", format!("“{unit_name}”已参加本期互助"))
        } else {
            e
        }
    })?;
    sqlx::query(
        "INSERT INTO mutual_enrolments (id, plan_id, unit_id, org_id, org_path, unit_members, enrolled, override_reason, contribution_fen, \
         posting_id, enrolled_on, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
    )
    .bind(id)
    .bind(plan_id)
    .bind(unit_id)
    .bind(org_id)
    .bind(&org_path)
    .bind(total)
    .bind(enrolled)
    .bind(&reason)
    .bind(contribution.0)
    .bind(posting)
    .bind(today.to_string())
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let rows = chosen
        .iter()
        .map(|m| {
            vec![
                Val::I(new_id()),
                Val::I(id),
                Val::I(plan_id),
                Val::I(*m),
                Val::I(0),
            ]
        })
        .collect();
    let backend = tx_backend(&tx);
    let inserted = insert_rows(
        &mut tx,
        backend,
        "mutual_enrollees",
        &["id", "enrolment_id", "plan_id", "member_id", "claimed_fen"],
        rows,
    )
    .await;
    if let Err(e) = inserted {
        if e.is_unique_violation() {
            return Err(AppError::conflict(
                "MUTUAL_ENROLLED",
                "所选会员中有人已通过其他单位参加本期互助",
            ));
        }
        return Err(e);
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("mutual.enrol").target("mutual_enrolment", id).detail(serde_json::json!({
            "plan": plan_id.to_string(), "unit": unit_id.to_string(), "members": total, "enrolled": enrolled,
            "override": reason.is_some(), "contribution_fen": contribution.0,
        })),
    )
    .await?;
    tx.commit().await?;
    one_in_scope(db, ENROLMENT_SELECT, "e", id, &Scope::all(), "参保记录").await
}

// ---------- claims ----------

#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    pub member_id: String,
    /// The illness or treatment (住院、门诊特殊病 …).
    pub illness: Option<String>,
    /// When the treatment happened (YYYY-MM-DD): within the plan's term.
    pub occurred_on: Option<String>,
    /// Medical expenses of the claim, 元.
    pub expense: Option<String>,
    /// The amount asked, 元; default what the plan's rules give.
    pub amount: Option<String>,
}

/// A claim as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Claim {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub plan_name: String,
    pub member_name: String,
    pub member_id_masked: String,
    pub org_name: String,
    pub illness: String,
    pub occurred_on: String,
    pub expense_fen: i64,
    pub payable_fen: i64,
    pub reviewing_org: Option<String>,
    pub status: String,
    pub paid_on: Option<String>,
    pub version: i64,
}

const CLAIM_SELECT: &str = "c.id, p.name AS plan_name, m.name AS member_name, m.id_masked AS member_id_masked, o.name AS org_name, \
    c.illness, c.occurred_on, c.expense_fen, c.payable_fen, r.name AS reviewing_org, c.status, c.paid_on, c.version \
    FROM mutual_claims c JOIN mutual_plans p ON p.id = c.plan_id JOIN members m ON m.id = c.member_id JOIN orgs o ON o.id = c.org_id \
    LEFT JOIN orgs r ON r.path = c.review_path";

/// What the plan's rules give for `expense`: its share of what lies above the deductible,
/// rounded down to the fen.
pub fn reimbursable(expense: Fen, deductible: Fen, share_pct: i64) -> Fen {
    Fen((expense.0 - deductible.0).max(0) * share_pct / 100)
}

/// Files a claim: the member must be enrolled, the treatment within the term, the amount within
/// the rules and what is left of the cap — reserved at once, so two claims cannot pass the cap
/// together.
pub async fn claim(
    db: &Db,
    actor: &Actor,
    plan_id: i64,
    i: &ClaimInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Claim> {
    let p = plan_reaching(db, &actor.scope, plan_id).await?;
    let member: i64 = i
        .member_id
        .trim()
        .parse()
        .map_err(|_| AppError::not_found("会员"))?;
    let m = crate::registry::members::get(db, &actor.scope, member).await?;
    let (member_org, member_path): (Option<i64>, Option<String>) =
        sqlx::query_as("SELECT org_id, org_path FROM members WHERE id = $1")
            .bind(member)
            .fetch_one(db.pool())
            .await?;
    let (Some(org_id), Some(member_path)) = (member_org, member_path) else {
        return Err(AppError::invalid("该职工目前不在任何工会，不能申请理赔"));
    };
    let mut issues = Vec::new();
    let illness = given(i.illness.as_deref()).map(|s| s.chars().take(200).collect::<String>());
    if illness.is_none() {
        issues.push(issue("疾病或治疗", "请填写疾病或治疗情况"));
    }
    let occurred = match given(i.occurred_on.as_deref()).map(parse_date) {
        Some(Ok(d)) if d > today => {
            issues.push(issue("就医日期", "就医日期不能晚于今天"));
            None
        }
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            issues.push(issue("就医日期", e.message()));
            None
        }
        None => {
            issues.push(issue("就医日期", "请填写就医日期"));
            None
        }
    };
    let expense = amount("医疗费用", i.expense.as_deref(), false, &mut issues);
    let asked = match given(i.amount.as_deref()) {
        Some(_) => amount("申请金额", i.amount.as_deref(), false, &mut issues),
        None => None,
    };
    let (Some(illness), Some(occurred), Some(expense)) = (illness, occurred, expense) else {
        return Err(AppError::invalid_fields(
            "理赔申请有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "理赔申请有误，请按提示修改",
            issues,
        ));
    }
    if occurred.to_string() < p.term_start || occurred.to_string() > p.term_end {
        return Err(AppError::invalid(format!(
            "就医日期 {occurred} 不在“{}”的保障期（{} 至 {}）内",
            p.name, p.term_start, p.term_end
        ))
        .with_code("MUTUAL_OUTSIDE_TERM"));
    }
    let by_rules = reimbursable(expense, Fen(p.deductible_fen), p.share_pct);
    if by_rules.0 <= 0 {
        return Err(AppError::invalid(format!(
            "医疗费用 {expense} 元未超过起付线 {} 元",
            Fen(p.deductible_fen)
        )));
    }
    let id = new_id();
    let mut tx = db.begin_write().await?;
    let enrolled: Option<i64> = sqlx::query_scalar(
        "SELECT claimed_fen FROM mutual_enrollees WHERE plan_id = $1 AND member_id = $2",
    )
    .bind(plan_id)
    .bind(member)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(claimed) = enrolled else {
        return Err(AppError::invalid(format!("{}未参加“{}”", m.name, p.name))
            .with_code("MUTUAL_NOT_ENROLLED"));
    };
    let left = Fen((p.cap_fen - claimed).max(0));
    let most = by_rules.min(left);
    let payable = asked.unwrap_or(most);
    if left.0 == 0 || payable > most {
        return Err(AppError::invalid(format!(
            "按本计划规则本次最多可赔付 {most} 元（{}% × 超过起付线部分 {by_rules} 元；本期每人最高 {} 元，已申请或获赔 {} 元）",
            p.share_pct,
            Fen(p.cap_fen),
            Fen(claimed)
        ))
        .with_code("MUTUAL_ABOVE_CAP"));
    }
    let reserved = sqlx::query(
        "UPDATE mutual_enrollees SET claimed_fen = claimed_fen + $1 WHERE plan_id = $2 AND member_id = $3 AND claimed_fen + $1 <= $4",
    )
    .bind(payable.0)
    .bind(plan_id)
    .bind(member)
    .bind(p.cap_fen)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if reserved != 1 {
        return Err(AppError::conflict(
            "MUTUAL_ABOVE_CAP",
            "该职工本期的赔付额度刚刚已被其他理赔占用，请刷新后重试",
        ));
    }
    let kinds: Vec<String> = p
        .review_kinds
        .split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    let chain = review::chain(&mut tx, &member_path, &p.org_path, &kinds).await?;
    sqlx::query(
        "INSERT INTO mutual_claims (id, plan_id, member_id, org_id, org_path, illness, occurred_on, expense_fen, payable_fen, review_path, status, \
         version, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'reviewing',0,$11,$11)",
    )
    .bind(id)
    .bind(plan_id)
    .bind(member)
    .bind(org_id)
    .bind(&member_path)
    .bind(&illness)
    .bind(occurred.to_string())
    .bind(expense.0)
    .bind(payable.0)
    .bind(&chain[0].org_path)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    review::open(&mut tx, CASE, id, &chain).await?;
    let detail = serde_json::json!({"expense_fen": expense.0, "payable_fen": payable.0});
    step(
        &mut tx,
        actor,
        id,
        "claim",
        None,
        ClaimStatus::Reviewing,
        today,
        now,
        detail,
    )
    .await?;
    tx.commit().await?;
    one_in_scope(db, CLAIM_SELECT, "c", id, &Scope::all(), "理赔").await
}

#[allow(clippy::too_many_arguments)]
async fn step(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    action: &'static str,
    from: Option<ClaimStatus>,
    to: ClaimStatus,
    on: NaiveDate,
    now: i64,
    detail: serde_json::Value,
) -> AppResult<()> {
    let entry = Entry {
        at: now,
        on,
        actor,
        action,
        from: from.map(|f| f.code()),
        to: to.code(),
        detail: &detail,
    };
    history::record(
        tx,
        CaseRef {
            case_type: CASE,
            id,
        },
        entry,
    )
    .await?;
    let event = match action {
        "claim" => "mutual.claim",
        "reject" => "mutual.reject",
        "pay" => "mutual.pay",
        _ => "mutual.review",
    };
    audit::record_tx(
        tx,
        actor,
        now,
        Event::new(event).target(CASE, id).detail(detail),
    )
    .await?;
    Ok(())
}

/// The claim `id` if its member's union is in `scope`.
pub async fn get_claim(db: &Db, scope: &Scope, id: i64) -> AppResult<Claim> {
    one_in_scope(db, CLAIM_SELECT, "c", id, scope, "理赔").await
}

/// The owner of a claim's documents (receipts, discharge summary, invoices), if the claim is in
/// `scope`.
pub async fn files_of(db: &Db, scope: &Scope, id: i64) -> AppResult<crate::attachments::Owner> {
    get_claim(db, scope, id).await?;
    Ok(crate::attachments::Owner { kind: CASE, id })
}

/// Decides a claim at its current level; approved at the last, it is paid from the pool at once
/// (refused whole when the pool cannot pay it). A rejection frees its share of the cap.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &review::DecisionInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Claim> {
    let (comment, version) = (i.comment.as_deref(), i.version);
    let decision = Decision::parse(i.decision.trim())
        .ok_or_else(|| AppError::invalid("审核意见应为 approve（同意）或 reject（不同意）"))?;
    let (lo, hi) = actor.scope.range();
    let mut tx = db.begin_write().await?;
    let row: Option<(i64, i64, i64, String, i64)> = sqlx::query_as(
        "SELECT plan_id, member_id, payable_fen, status, version FROM mutual_claims WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(id)
    .bind(&lo)
    .bind(&hi)
    .fetch_optional(&mut *tx)
    .await?;
    let (plan_id, member, payable, status, v) = row.ok_or_else(|| AppError::not_found("理赔"))?;
    if status != "reviewing" {
        let s = ClaimStatus::parse(&status).unwrap_or(ClaimStatus::Reviewing);
        return Err(crate::workflow::refused("这件理赔", s, decision));
    }
    if v != version {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这件理赔刚刚已被其他人处理，请刷新后查看最新情况",
        ));
    }
    let outcome = review::decide(
        &mut tx,
        CASE,
        id,
        &actor.scope,
        decision,
        comment,
        &actor.name,
        now,
    )
    .await?;
    let detail = serde_json::json!({"decision": decision.code(), "comment": comment});
    let (to, action, review_path, paid) = match &outcome {
        Outcome::Next(path) => (ClaimStatus::Reviewing, "review", Some(path.clone()), false),
        Outcome::Rejected => (ClaimStatus::Rejected, "reject", None, false),
        Outcome::Approved => (ClaimStatus::Paid, "pay", None, true),
    };
    let mut posting = None;
    if paid {
        let (org_id, org_path, pool, name): (i64, String, i64, String) = sqlx::query_as(
            "SELECT org_id, org_path, pool_account, name FROM mutual_plans WHERE id = $1",
        )
        .bind(plan_id)
        .fetch_one(&mut *tx)
        .await?;
        let books = Books { org_id, org_path };
        let out = ledger::ensure_account(&mut tx, &books, PAID.0, PAID.1, false, now).await?;
        let p = ledger::post(
            &mut tx,
            actor,
            &books,
            &NewPosting {
                on: today,
                memo: format!("{name}：理赔"),
                source: Some(("mutual_claim", id)),
                idempotency_key: Some(format!("mutual-claim:{id}")),
                lines: ledger::transfer(pool, out.id, Fen(payable)),
            },
            None,
            now,
        )
        .await
        .map_err(|e| {
            if e.code() == "LEDGER_INSUFFICIENT" {
                AppError::conflict(
                    "MUTUAL_POOL_SHORT",
                    format!("“{name}”互助金余额不足，暂不能赔付 {} 元", Fen(payable)),
                )
            } else {
                e
            }
        })?;
        posting = Some(p);
    }
    if to == ClaimStatus::Rejected {
        sqlx::query("UPDATE mutual_enrollees SET claimed_fen = claimed_fen - $1 WHERE plan_id = $2 AND member_id = $3")
            .bind(payable)
            .bind(plan_id)
            .bind(member)
            .execute(&mut *tx)
            .await?;
    }
    let changed = sqlx::query(
        "UPDATE mutual_claims SET status = $1, review_path = $2, paid_on = $3, posting_id = $4, version = version + 1, updated_at = $5 \
         WHERE id = $6 AND version = $7",
    )
    .bind(to.code())
    .bind(&review_path)
    .bind(paid.then(|| today.to_string()))
    .bind(posting)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这件理赔刚刚已被其他人处理，请刷新后查看最新情况",
        ));
    }
    step(
        &mut tx,
        actor,
        id,
        action,
        Some(ClaimStatus::Reviewing),
        to,
        today,
        now,
        detail,
    )
    .await?;
    tx.commit().await?;
    get_claim(db, &Scope::all(), id).await
}

// ---------- figures ----------

/// Mutual aid in a subtree and period: employers and persons enrolled and their contributions
/// (by date of enrolment), claims paid (人次) and their amount (by date paid).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct MutualTotals {
    pub units: i64,
    pub persons: i64,
    pub contributions_fen: i64,
    pub claims: i64,
    pub paid_fen: i64,
}

pub async fn totals(
    db: &Db,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<MutualTotals> {
    let (lo, hi) = Scope::subtree(path).range();
    let (units, persons, contributions_fen): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(enrolled), 0) AS BIGINT), CAST(COALESCE(SUM(contribution_fen), 0) AS BIGINT) \
         FROM mutual_enrolments WHERE org_path >= $1 AND org_path < $2 AND enrolled_on >= $3 AND enrolled_on <= $4",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_one(db.pool())
    .await?;
    let (claims, paid_fen): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(payable_fen), 0) AS BIGINT) FROM mutual_claims \
         WHERE status = 'paid' AND org_path >= $1 AND org_path < $2 AND paid_on >= $3 AND paid_on <= $4",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_one(db.pool())
    .await?;
    Ok(MutualTotals {
        units,
        persons,
        contributions_fen,
        claims,
        paid_fen,
    })
}

/// The enrolments of a subtree in a period (the units / persons / contributions drill).
pub async fn enrolments_in(
    db: &Db,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
    paging: &crate::db::Paging,
) -> AppResult<(Vec<Enrolment>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let args = vec![lo, hi, from.to_string(), to.to_string()];
    let cond =
        "e.org_path >= $1 AND e.org_path < $2 AND e.enrolled_on >= $3 AND e.enrolled_on <= $4";
    crate::db::paged(
        db,
        ENROLMENT_SELECT,
        "FROM mutual_enrolments e",
        cond,
        "e.enrolled_on DESC, e.id DESC",
        &args,
        paging,
    )
    .await
}

/// An enrolled member as the persons drill lists them.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Enrollee {
    pub plan_name: String,
    pub unit_name: String,
    pub member_name: String,
    pub member_id_masked: String,
    pub enrolled_on: String,
    pub claimed_fen: i64,
}

/// The members enrolled in a subtree and period (the persons drill).
pub async fn enrollees_in(
    db: &Db,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
    paging: &crate::db::Paging,
) -> AppResult<(Vec<Enrollee>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let args = vec![lo, hi, from.to_string(), to.to_string()];
    let cond =
        "e.org_path >= $1 AND e.org_path < $2 AND e.enrolled_on >= $3 AND e.enrolled_on <= $4";
    let select = "p.name AS plan_name, u.name AS unit_name, m.name AS member_name, m.id_masked AS member_id_masked, e.enrolled_on, n.claimed_fen \
        FROM mutual_enrollees n JOIN mutual_enrolments e ON e.id = n.enrolment_id JOIN mutual_plans p ON p.id = n.plan_id \
        JOIN units u ON u.id = e.unit_id JOIN members m ON m.id = n.member_id";
    let count_from = "FROM mutual_enrollees n JOIN mutual_enrolments e ON e.id = n.enrolment_id";
    crate::db::paged(
        db,
        select,
        count_from,
        cond,
        "e.enrolled_on DESC, n.id",
        &args,
        paging,
    )
    .await
}

/// The claims paid in a subtree and period (the claims drill).
pub async fn claims_in(
    db: &Db,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
    paging: &crate::db::Paging,
) -> AppResult<(Vec<Claim>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    let args = vec![lo, hi, from.to_string(), to.to_string()];
    let cond = "c.status = 'paid' AND c.org_path >= $1 AND c.org_path < $2 AND c.paid_on >= $3 AND c.paid_on <= $4";
    crate::db::paged(
        db,
        CLAIM_SELECT,
        "FROM mutual_claims c",
        cond,
        "c.paid_on DESC, c.id DESC",
        &args,
        paging,
    )
    .await
}

/// The employers enrolled in a plan within `scope`, largest first.
pub async fn enrolments_of(db: &Db, scope: &Scope, plan_id: i64) -> AppResult<Vec<Enrolment>> {
    let (lo, hi) = scope.range();
    Ok(sqlx::query_as(&format!(
        "SELECT {ENROLMENT_SELECT} WHERE e.plan_id = $1 AND e.org_path >= $2 AND e.org_path < $3 ORDER BY e.enrolled DESC, e.id LIMIT 500"
    ))
    .bind(plan_id)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?)
}

/// The claims of a plan within `scope` (any status, those under review first), and how many.
pub async fn claims_of(
    db: &Db,
    scope: &Scope,
    plan_id: i64,
    status: Option<ClaimStatus>,
    paging: &crate::db::Paging,
) -> AppResult<(Vec<Claim>, i64)> {
    let (lo, hi) = scope.range();
    let mut args = vec![plan_id.to_string(), lo, hi];
    let mut cond =
        String::from("c.plan_id = CAST($1 AS BIGINT) AND c.org_path >= $2 AND c.org_path < $3");
    if let Some(s) = status {
        args.push(s.code().into());
        cond.push_str(" AND c.status = $4");
    }
    crate::db::paged(
        db,
        CLAIM_SELECT,
        "FROM mutual_claims c",
        &cond,
        "CASE WHEN c.status = 'reviewing' THEN 0 ELSE 1 END, c.occurred_on DESC, c.id DESC",
        &args,
        paging,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_above_the_deductible_is_paid_rounded_down() {
        assert_eq!(
            reimbursable(Fen::yuan(10_000), Fen::yuan(1_000), 50),
            Fen::yuan(4_500)
        );
        assert_eq!(reimbursable(Fen::yuan(1_000), Fen::yuan(1_000), 50), Fen(0));
        assert_eq!(
            reimbursable(Fen(1_003), Fen(0), 50),
            Fen(501),
            "half a fen is not paid"
        );
        assert_eq!(reimbursable(Fen(500), Fen(1_000), 80), Fen(0));
    }
}
