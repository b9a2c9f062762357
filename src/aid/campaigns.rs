//! Aid campaigns (送温暖, 夏送清凉, 金秋助学, 大病救助 …) and their payouts.
//!
//! A campaign is a union's, with a budget (an account in the ledger funded when it is set
//! up), a cap per person, who may be aided (hardship tiers, 新就业形态 groups), which kinds of
//! union review an application, how many days the approved list is publicly shown (公示) and
//! whether a person may be aided more than once in it.
//!
//! An application (by a grassroots union for its member, or by the member through the API)
//! goes up the campaign's review chain; approved, it is shown publicly for the notice days,
//! objections recorded and resolved; then it may be paid. A payout batch takes the approved
//! applications and reserves their total from the budget in one posting — a batch above the
//! remaining budget is refused, and two batches at once cannot both take the last of it. Each
//! line is then paid (from the reserve to money paid out, posted in the same transaction as its
//! status) or fails; a failed line is retried or cancelled (its money returned to the budget).
//! A line is paid once: its status moves from 待发放 only once, whoever asks twice.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, Tx, new_id, tx_backend};
use crate::error::{AppError, AppResult, FieldIssue};
use crate::ledger::{self, Books, NewPosting};
use crate::registry::orgs;
use crate::registry::scope::{Scope, one_in_scope};
use crate::types::Fen;
use crate::workflow::history::{self, CaseRef, Entry, HistoryRow};
use crate::workflow::review::{self, Decision, Outcome};
use crate::workflow::{Named, coded_enum, deadlines, given, issue, pick};

use super::hardship::{self, Tier};

/// The kind of case in the shared history and review chains.
pub const CASE: &str = "aid_application";

coded_enum! {
    /// What a campaign is.
    Kind {
        Festival = "festival", "两节送温暖";
        Summer = "summer", "夏送清凉";
        School = "school", "金秋助学";
        Illness = "illness", "大病救助";
        Living = "living", "生活救助";
        Jobs = "jobs", "春送岗位";
        Other = "other", "其他帮扶";
    }
}

coded_enum! {
    /// Cash, or goods with their value.
    Form {
        Cash = "cash", "现金";
        Goods = "goods", "实物";
    }
}

coded_enum! {
    /// Where an application stands.
    Status {
        Reviewing = "reviewing", "审核中";
        Rejected = "rejected", "未通过";
        Notice = "notice", "公示中";
        Approved = "approved", "待发放";
        Batched = "batched", "发放中";
        Paid = "paid", "已发放";
        Cancelled = "cancelled", "已取消";
    }
}

coded_enum! {
    /// Where a payout line stands.
    PayStatus {
        Pending = "pending", "待发放";
        Paid = "paid", "已发放";
        Failed = "failed", "发放失败";
        Cancelled = "cancelled", "已取消";
    }
}

// ---------- campaigns ----------

/// A campaign as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    /// The union running it (code); default the top of the caller's scope.
    pub org_code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    /// 元.
    pub budget: Option<String>,
    /// The most one person may receive in it, 元.
    pub max_per_person: Option<String>,
    /// Hardship tiers aided (codes or labels); empty: any member.
    #[serde(default)]
    pub tiers: Vec<String>,
    /// 新就业形态 groups aided; empty: any.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Kinds of union that review, lowest first (grassroots, street, district, city …);
    /// empty: the campaign's union alone.
    #[serde(default)]
    pub review_kinds: Vec<String>,
    /// Days the approved list is publicly shown; 0: no notice.
    pub notice_days: Option<i64>,
    /// A person may be aided more than once in it.
    #[serde(default)]
    pub allow_repeat: bool,
}

/// A campaign as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Campaign {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    #[serde(skip)]
    pub org_id: i64,
    #[serde(skip)]
    pub org_path: String,
    pub name: String,
    pub kind: String,
    #[sqlx(skip)]
    pub kind_label: String,
    pub starts_on: String,
    pub ends_on: String,
    pub budget_fen: i64,
    /// What is left of the budget now (not yet reserved by a batch).
    pub remaining_fen: i64,
    pub max_per_person_fen: i64,
    pub eligible_tiers: String,
    pub eligible_groups: String,
    pub review_kinds: String,
    pub notice_days: i64,
    pub allow_repeat: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub budget_account: i64,
    pub status: String,
}

const CAMPAIGN_COLS: &str = "c.id, o.code AS org_code, o.name AS org_name, c.org_id, c.org_path, c.name, c.kind, c.starts_on, c.ends_on, \
    c.budget_fen, a.balance_fen AS remaining_fen, c.max_per_person_fen, c.eligible_tiers, c.eligible_groups, c.review_kinds, \
    c.notice_days, c.allow_repeat, c.budget_account, c.status";
const CAMPAIGN_FROM: &str = "FROM aid_campaigns c JOIN orgs o ON o.id = c.org_id JOIN ledger_accounts a ON a.id = c.budget_account";

fn campaign_labelled(mut c: Campaign) -> Campaign {
    c.kind_label = Kind::parse(&c.kind)
        .map(Kind::label)
        .unwrap_or_default()
        .into();
    c
}

/// Where a union's aid money comes from (grants, donations): the account a campaign's budget
/// is funded from. The reserve and money paid out are in `payouts`.
pub(super) const SOURCE: (&str, &str) = ("aid:source", "帮扶资金来源（拨款、捐赠）");

fn books(org_id: i64, org_path: &str) -> Books {
    Books {
        org_id,
        org_path: org_path.to_string(),
    }
}

/// Reads an amount in 元 that must be above zero and at most `max`.
fn positive(
    field: &str,
    typed: Option<&str>,
    max: Fen,
    issues: &mut Vec<FieldIssue>,
) -> Option<Fen> {
    crate::workflow::money(field, typed, crate::types::Limits::positive(max), issues)
}

/// The largest campaign budget: 10 亿元.
const MAX_BUDGET: Fen = Fen(100_000_000_000);

/// Sets up a campaign and funds its budget account from the union's aid source in one
/// posting.
pub async fn create(
    db: &Db,
    actor: &Actor,
    i: &CampaignInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Campaign> {
    let mut issues = Vec::new();
    let org = crate::workflow::union_in_scope(
        db,
        &actor.scope,
        "主办工会",
        i.org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let name = match given(i.name.as_deref()) {
        None => {
            issues.push(issue("活动名称", "请填写活动名称"));
            None
        }
        Some(n) if n.chars().count() > 100 => {
            issues.push(issue("活动名称", "活动名称不能超过100字"));
            None
        }
        Some(n) => Some(n.to_string()),
    };
    let kind: Option<Kind> = pick("帮扶类别", i.kind.as_deref(), &mut issues);
    let starts = crate::workflow::date("开始日期", i.starts_on.as_deref(), &mut issues);
    let ends = crate::workflow::date("结束日期", i.ends_on.as_deref(), &mut issues);
    if let (Some(s), Some(e)) = (starts, ends)
        && e < s
    {
        issues.push(issue("结束日期", "结束日期不能早于开始日期"));
    }
    let budget = positive("活动预算", i.budget.as_deref(), MAX_BUDGET, &mut issues);
    let cap = positive(
        "每人最高金额",
        i.max_per_person.as_deref(),
        Fen::yuan(1_000_000),
        &mut issues,
    );
    if let (Some(b), Some(c)) = (budget, cap)
        && c > b
    {
        issues.push(issue("每人最高金额", "每人最高金额不能超过活动预算"));
    }
    let mut tiers: Vec<&str> = Vec::new();
    for t in &i.tiers {
        if let Some(t) = pick::<Tier>("帮扶对象类别", Some(t), &mut issues) {
            tiers.push(t.code());
        }
    }
    let groups: Vec<String> = i
        .groups
        .iter()
        .filter_map(|g| given(Some(g)).map(str::to_string))
        .collect();
    let mut kinds: Vec<&str> = Vec::new();
    for k in &i.review_kinds {
        match crate::registry::orgs::OrgKind::parse(k) {
            Ok(k) => kinds.push(k.code()),
            Err(_) => issues.push(issue("审核层级", format!("工会类别“{k}”无法识别"))),
        }
    }
    let notice_days = i.notice_days.unwrap_or(5);
    if !(0..=30).contains(&notice_days) {
        issues.push(issue("公示天数", "公示天数应在0至30天之间"));
    }
    let (Some(org), Some(name), Some(kind), Some(starts), Some(ends), Some(budget), Some(cap)) =
        (org, name, kind, starts, ends, budget, cap)
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
    let id = new_id();
    let b = books(org.id, &org.path);
    let mut tx = db.begin_write().await?;
    let source = ledger::ensure_account(&mut tx, &b, SOURCE.0, SOURCE.1, true, now).await?;
    // The reserve and money paid out, made now so that the campaign's batches never race to.
    super::payouts::accounts(&mut tx, &b, now).await?;
    let account = ledger::ensure_account(
        &mut tx,
        &b,
        &format!("aid:campaign:{id}"),
        &format!("活动预算：{name}"),
        false,
        now,
    )
    .await?;
    sqlx::query(
        "INSERT INTO aid_campaigns (id, org_id, org_path, name, kind, starts_on, ends_on, budget_fen, max_per_person_fen, eligible_tiers, \
         eligible_groups, review_kinds, notice_days, allow_repeat, budget_account, status, created_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,'open',$16,$17,$17)",
    )
    .bind(id)
    .bind(org.id)
    .bind(&org.path)
    .bind(&name)
    .bind(kind.code())
    .bind(starts.to_string())
    .bind(ends.to_string())
    .bind(budget.0)
    .bind(cap.0)
    .bind(tiers.join(","))
    .bind(groups.join(","))
    .bind(kinds.join(","))
    .bind(notice_days)
    .bind(i64::from(i.allow_repeat))
    .bind(account.id)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    ledger::post(
        &mut tx,
        actor,
        &b,
        &NewPosting {
            on: today,
            memo: format!("设立帮扶活动预算：{name}"),
            source: Some(("aid_campaign", id)),
            idempotency_key: Some(format!("aid-campaign:{id}")),
            lines: ledger::transfer(source.id, account.id, budget),
        },
        None,
        now,
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("aid.campaign").target("aid_campaign", id).detail(serde_json::json!({
            "kind": kind.code(), "budget_fen": budget.0, "max_per_person_fen": cap.0,
            "tiers": tiers, "review_kinds": kinds, "notice_days": notice_days, "allow_repeat": i.allow_repeat,
        })),
    )
    .await?;
    tx.commit().await?;
    campaign(db, &Scope::all(), id).await
}

/// A change to a campaign's budget: topped up, or the campaign closed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetInput {
    /// `top_up` (add `amount` to the budget from the aid fund) or `close` (no more
    /// applications; what is left of the budget goes back to the fund).
    pub action: String,
    /// 元, for a top-up.
    pub amount: Option<String>,
    /// Why (a top-up's source, or why the campaign ends).
    pub reason: Option<String>,
}

/// Tops up an open campaign's budget, or closes it and returns what is left of its budget to
/// the union's aid fund; a campaign with applications still under way is not closed.
pub async fn change_budget(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &BudgetInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Campaign> {
    let c = campaign(db, &actor.scope, id).await?;
    if c.status != "open" {
        return Err(AppError::conflict(
            "AID_CAMPAIGN_CLOSED",
            format!("“{}”已经结束", c.name),
        ));
    }
    let reason = crate::workflow::required(i.reason.as_deref().unwrap_or(""), "原因", 200)?;
    let b = books(c.org_id, &c.org_path);
    let mut tx = db.begin_write().await?;
    let source = ledger::ensure_account(&mut tx, &b, SOURCE.0, SOURCE.1, true, now).await?;
    let (memo, fen, event) = match i.action.trim() {
        "top_up" => {
            let mut issues = Vec::new();
            let Some(amount) = positive("追加金额", i.amount.as_deref(), MAX_BUDGET, &mut issues)
            else {
                return Err(AppError::invalid_fields("追加金额有误", issues));
            };
            sqlx::query(
                "UPDATE aid_campaigns SET budget_fen = budget_fen + $1, updated_at = $2 WHERE id = $3 AND status = 'open'",
            )
            .bind(amount.0)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            (
                format!("追加帮扶活动预算：{}（{reason}）", c.name),
                amount.0,
                "aid.campaign.top_up",
            )
        }
        "close" => {
            let open: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM aid_applications WHERE campaign_id = $1                  AND status IN ('reviewing', 'notice', 'approved')",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if open > 0 {
                return Err(AppError::conflict(
                    "AID_CAMPAIGN_BUSY",
                    format!("尚有 {open} 份申请在审核、公示或待发放中，办结后才能结束活动"),
                ));
            }
            let closed = sqlx::query(
                "UPDATE aid_campaigns SET status = 'closed', updated_at = $1 WHERE id = $2 AND status = 'open'",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if closed != 1 {
                return Err(AppError::conflict(
                    "AID_CAMPAIGN_CLOSED",
                    format!("“{}”已经结束", c.name),
                ));
            }
            // What is left goes back (read in the transaction: a batch may have just reserved).
            let left: i64 =
                sqlx::query_scalar("SELECT balance_fen FROM ledger_accounts WHERE id = $1")
                    .bind(c.budget_account)
                    .fetch_one(&mut *tx)
                    .await?;
            (
                format!("结束帮扶活动，余额退回：{}（{reason}）", c.name),
                -left,
                "aid.campaign.close",
            )
        }
        _ => {
            return Err(AppError::invalid(
                "操作应为 top_up（追加预算）或 close（结束活动）",
            ));
        }
    };
    if fen != 0 {
        ledger::post(
            &mut tx,
            actor,
            &b,
            &NewPosting {
                on: today,
                memo,
                source: Some(("aid_campaign", id)),
                idempotency_key: None,
                lines: ledger::transfer(source.id, c.budget_account, Fen(fen)),
            },
            None,
            now,
        )
        .await?;
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new(event)
            .target("aid_campaign", id)
            .detail(serde_json::json!({"amount_fen": fen, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    campaign(db, &Scope::all(), id).await
}

/// The campaign `id` if its union is in `scope`.
pub async fn campaign(db: &Db, scope: &Scope, id: i64) -> AppResult<Campaign> {
    let select = format!("{CAMPAIGN_COLS} {CAMPAIGN_FROM}");
    Ok(campaign_labelled(
        one_in_scope(db, &select, "c", id, scope, "帮扶活动").await?,
    ))
}

/// The campaigns a caller works with: those run by a union of their subtree and those run
/// above it that reach into it (the unions of the subtree apply to them), newest first.
pub async fn campaigns(db: &Db, scope: &Scope) -> AppResult<Vec<Campaign>> {
    let (lo, hi) = scope.range();
    let root = scope.range().0;
    let above: Vec<String> = orgs::paths_above(&root)
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut sql = format!(
        "SELECT {CAMPAIGN_COLS} {CAMPAIGN_FROM} WHERE (c.org_path >= $1 AND c.org_path < $2)"
    );
    if !above.is_empty() {
        sql.push_str(&format!(
            " OR c.org_path IN ({})",
            crate::db::in_list_from(3, above.len())
        ));
    }
    sql.push_str(" ORDER BY c.starts_on DESC, c.id DESC LIMIT 500");
    let mut q = sqlx::query_as::<_, Campaign>(&sql).bind(lo).bind(hi);
    for a in above {
        q = q.bind(a);
    }
    Ok(q.fetch_all(db.pool())
        .await?
        .into_iter()
        .map(campaign_labelled)
        .collect())
}

/// The campaigns a member may apply to today: open, in their dates, run by their union or one
/// above it.
pub async fn open_for_member(
    db: &Db,
    member_id: i64,
    today: NaiveDate,
) -> AppResult<Vec<Campaign>> {
    let path: Option<Option<String>> =
        sqlx::query_scalar("SELECT org_path FROM members WHERE id = $1 AND status = 'active'")
            .bind(member_id)
            .fetch_optional(db.pool())
            .await?;
    let Some(Some(path)) = path else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<String> = orgs::paths_above(&path)
        .into_iter()
        .map(str::to_string)
        .collect();
    paths.push(path);
    let sql = format!(
        "SELECT {CAMPAIGN_COLS} {CAMPAIGN_FROM} WHERE c.status = 'open' AND c.starts_on <= $1 AND c.ends_on >= $1 \
         AND c.org_path IN ({}) ORDER BY c.ends_on, c.id",
        crate::db::in_list_from(2, paths.len())
    );
    let mut q = sqlx::query_as::<_, Campaign>(&sql).bind(today.to_string());
    for p in paths {
        q = q.bind(p);
    }
    Ok(q.fetch_all(db.pool())
        .await?
        .into_iter()
        .map(campaign_labelled)
        .collect())
}

/// How many applications wait for the union at the top of `scope` to review them.
pub async fn waiting_for(db: &Db, scope: &Scope) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM aid_applications WHERE review_path = $1 AND status = 'reviewing'",
    )
    .bind(scope.path())
    .fetch_one(db.pool())
    .await?)
}

// ---------- applications ----------

/// An application as typed: by a union for a member, or by the member (no `member_id`).
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    pub member_id: Option<String>,
    /// 现金 or 实物 (code or label); default cash.
    pub form: Option<String>,
    /// 元: the cash asked for, or the value of the goods.
    pub amount: Option<String>,
    /// The goods given (实物).
    pub goods: Option<String>,
    pub reason: Option<String>,
    /// Bank and account number for a cash payout.
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
}

/// An application as shown (the bank account masked).
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Application {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub campaign_id: i64,
    pub campaign_name: String,
    pub org_code: String,
    pub org_name: String,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub member_id: i64,
    pub member_name: String,
    pub member_id_masked: String,
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub file_id: Option<i64>,
    pub tier: Option<String>,
    pub form: String,
    pub amount_fen: i64,
    pub goods: Option<String>,
    pub reason: String,
    pub bank_name: Option<String>,
    pub bank_account_masked: Option<String>,
    pub channel: String,
    pub applied_on: String,
    /// The union reviewing it now.
    pub reviewing_org: Option<String>,
    pub notice_until: Option<String>,
    pub objections_open: i64,
    pub status: String,
    #[sqlx(skip)]
    pub status_label: String,
    pub version: i64,
}

const APP_COLS: &str = "x.id, x.campaign_id, c.name AS campaign_name, o.code AS org_code, o.name AS org_name, x.member_id, \
    m.name AS member_name, m.id_masked AS member_id_masked, x.file_id, x.tier, x.form, x.amount_fen, x.goods, x.reason, x.bank_name, \
    x.bank_account_masked, x.channel, x.applied_on, r.name AS reviewing_org, x.notice_until, x.objections_open, x.status, x.version";
const APP_FROM: &str = "FROM aid_applications x JOIN aid_campaigns c ON c.id = x.campaign_id JOIN orgs o ON o.id = x.org_id \
    JOIN members m ON m.id = x.member_id LEFT JOIN orgs r ON r.path = x.review_path";

fn app_labelled(mut a: Application) -> Application {
    a.status_label = Status::parse(&a.status)
        .map(Status::label)
        .unwrap_or_default()
        .into();
    a
}

/// A bank account number as typed: digits only once spaces are removed, 12 to 30 of them.
fn bank_account(typed: &str) -> Result<String, String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if !(12..=30).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("银行账号应为12至30位数字".into());
    }
    Ok(digits)
}

fn mask_account(a: &str) -> String {
    format!("{}****{}", &a[..4], &a[a.len() - 4..])
}

/// Files an application. `as_member`: the member applying for themself. Every problem of the
/// input at once; the campaign's eligibility, dates and once-per-person rule are checked.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    campaign_id: i64,
    i: &ApplicationInput,
    as_member: Option<i64>,
    today: NaiveDate,
    now: i64,
) -> AppResult<Application> {
    let mut issues = Vec::new();
    let member_id = match as_member {
        Some(m) => Some(m),
        None => match given(i.member_id.as_deref()).map(str::parse::<i64>) {
            Some(Ok(m))
                if crate::registry::members::get(db, &actor.scope, m)
                    .await
                    .is_ok() =>
            {
                Some(m)
            }
            Some(_) => {
                issues.push(issue("受助职工", "会员不存在或不在您的管理范围内"));
                None
            }
            None => {
                issues.push(issue("受助职工", "请选择受助职工"));
                None
            }
        },
    };
    let form: Option<Form> = pick("帮扶形式", i.form.as_deref().or(Some("cash")), &mut issues);
    let amount = positive(
        if form == Some(Form::Goods) {
            "实物价值"
        } else {
            "帮扶金额"
        },
        i.amount.as_deref(),
        ledger::MAX_LINE,
        &mut issues,
    );
    let goods = match (form, given(i.goods.as_deref())) {
        (Some(Form::Goods), None) => {
            issues.push(issue("实物名称", "实物帮扶请填写物品名称和数量"));
            None
        }
        (_, g) => g.map(|g| g.chars().take(200).collect::<String>()),
    };
    let reason = match given(i.reason.as_deref()) {
        None => {
            issues.push(issue("申请理由", "请填写申请理由"));
            None
        }
        Some(r) => Some(r.chars().take(1000).collect::<String>()),
    };
    let account = match (form, given(i.bank_account.as_deref())) {
        (Some(Form::Cash), None) => {
            issues.push(issue("银行账号", "现金帮扶请填写收款银行账号"));
            None
        }
        (Some(Form::Cash), Some(a)) => match bank_account(a) {
            Ok(a) => Some(a),
            Err(m) => {
                issues.push(issue("银行账号", m));
                None
            }
        },
        _ => None,
    };
    let bank_name = given(i.bank_name.as_deref()).map(|b| b.chars().take(100).collect::<String>());
    if form == Some(Form::Cash) && bank_name.is_none() {
        issues.push(issue("开户银行", "请填写开户银行"));
    }
    let (Some(member_id), Some(form), Some(amount), Some(reason)) =
        (member_id, form, amount, reason)
    else {
        return Err(AppError::invalid_fields(
            "申请信息有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "申请信息有误，请按提示修改",
            issues,
        ));
    }
    let c = campaign(db, &Scope::all(), campaign_id).await?;
    // The member's union (id, path), 新就业形态 group and status.
    type MemberRow = (Option<i64>, Option<String>, Option<String>, String);
    let member: Option<MemberRow> =
        sqlx::query_as("SELECT org_id, org_path, nef_group, status FROM members WHERE id = $1")
            .bind(member_id)
            .fetch_optional(db.pool())
            .await?;
    let Some((Some(org_id), Some(org_path), nef_group, status)) = member else {
        return Err(AppError::invalid("该职工目前不在任何工会，不能申请帮扶"));
    };
    // A campaign is seen by the unions of its subtree; a member or union outside it is told
    // the campaign does not exist.
    if !org_path.starts_with(&c.org_path)
        || (as_member.is_none() && !actor.scope.contains(&org_path))
    {
        return Err(AppError::not_found("帮扶活动"));
    }
    if status != "active" {
        return Err(AppError::invalid("只有在册会员可以申请帮扶"));
    }
    if c.status != "open" || today.to_string() < c.starts_on || today.to_string() > c.ends_on {
        return Err(AppError::conflict(
            "AID_CAMPAIGN_CLOSED",
            format!(
                "“{}”的申请时间为 {} 至 {}，现在不能申请",
                c.name, c.starts_on, c.ends_on
            ),
        ));
    }
    if amount.0 > c.max_per_person_fen {
        return Err(AppError::invalid(format!(
            "申请金额 {amount} 元超过本活动每人最高 {} 元",
            Fen(c.max_per_person_fen)
        )));
    }
    if !c.eligible_groups.is_empty()
        && !c
            .eligible_groups
            .split(',')
            .any(|g| Some(g) == nef_group.as_deref())
    {
        return Err(AppError::invalid(format!(
            "本活动只面向{}，该职工不在其列",
            c.eligible_groups.replace(',', "、")
        ))
        .with_code("AID_NOT_ELIGIBLE"));
    }
    let id = new_id();
    let mut tx = db.begin_write().await?;
    let file = hardship::active_file_of(&mut tx, member_id).await?;
    if !c.eligible_tiers.is_empty() {
        let labels: Vec<&str> = c
            .eligible_tiers
            .split(',')
            .filter_map(Tier::parse)
            .map(Tier::label)
            .collect();
        match &file {
            Some((_, t)) if c.eligible_tiers.split(',').any(|e| e == t) => {}
            _ => {
                return Err(AppError::invalid(format!(
                    "本活动只面向在档的{}职工，该职工没有符合条件的困难职工档案",
                    labels.join("、")
                ))
                .with_code("AID_NOT_ELIGIBLE"));
            }
        }
    }
    let kinds: Vec<String> = c
        .review_kinds
        .split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    let chain = review::chain(&mut tx, &org_path, &c.org_path, &kinds).await?;
    let once_key = (c.allow_repeat == 0).then(|| format!("{campaign_id}:{member_id}"));
    let inserted = sqlx::query(
        "INSERT INTO aid_applications (id, campaign_id, org_id, org_path, member_id, file_id, tier, form, amount_fen, goods, reason, \
         bank_name, bank_account_enc, bank_account_masked, channel, applied_on, review_path, once_key, status, version, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,'reviewing',0,$19,$19)",
    )
    .bind(id)
    .bind(campaign_id)
    .bind(org_id)
    .bind(&org_path)
    .bind(member_id)
    .bind(file.as_ref().map(|f| f.0))
    .bind(file.as_ref().map(|f| f.1.clone()))
    .bind(form.code())
    .bind(amount.0)
    .bind(&goods)
    .bind(&reason)
    .bind(&bank_name)
    .bind(account.as_deref().map(|a| keys.encrypt(a)))
    .bind(account.as_deref().map(mask_account))
    .bind(if as_member.is_some() { "member" } else { "union" })
    .bind(today.to_string())
    .bind(&chain[0].org_path)
    .bind(&once_key)
    .bind(now)
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        let e = AppError::from(e);
        if e.is_unique_violation() {
            return Err(AppError::conflict(
                "AID_ONCE_PER_CAMPAIGN",
                "该职工已在本次活动中申请或获得过帮扶，本活动每人限一次",
            ));
        }
        return Err(e);
    }
    review::open(&mut tx, CASE, id, &chain).await?;
    let detail = serde_json::json!({
        "campaign": campaign_id.to_string(), "form": form.code(), "amount_fen": amount.0,
        "levels": chain.len(), "channel": if as_member.is_some() { "member" } else { "union" },
    });
    let backend = tx_backend(&tx);
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
            action: "apply",
            from: None,
            to: Status::Reviewing.code(),
            detail: &detail,
        },
    )
    .await?;
    audit::append_tx(
        &mut tx,
        backend,
        actor,
        now,
        Event::new("aid.apply").target(CASE, id).detail(detail),
    )
    .await?;
    tx.commit().await?;
    application(db, &Scope::all(), id).await
}

/// The application `id` if its member's union is in `scope`.
pub async fn application(db: &Db, scope: &Scope, id: i64) -> AppResult<Application> {
    let select = format!("{APP_COLS} {APP_FROM}");
    Ok(app_labelled(
        one_in_scope(db, &select, "x", id, scope, "帮扶申请").await?,
    ))
}

/// A member's own applications.
pub async fn applications_of_member(db: &Db, member_id: i64) -> AppResult<Vec<Application>> {
    let rows: Vec<Application> = sqlx::query_as(&format!(
        "SELECT {APP_COLS} {APP_FROM} WHERE x.member_id = $1 ORDER BY x.applied_on DESC, x.id DESC LIMIT 200"
    ))
    .bind(member_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(app_labelled).collect())
}

/// Which applications to list.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationFilter {
    pub campaign: Option<String>,
    pub status: Option<String>,
    /// `true`: only those waiting for the caller's own union to review.
    pub awaiting_me: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The applications of a subtree, newest first, and how many there are.
pub async fn applications(
    db: &Db,
    scope: &Scope,
    f: &ApplicationFilter,
) -> AppResult<(Vec<Application>, i64)> {
    let (lo, hi) = scope.range();
    let mut args = vec![lo.clone(), hi];
    let mut cond = String::from("x.org_path >= $1 AND x.org_path < $2");
    if let Some(c) = given(f.campaign.as_deref()) {
        args.push(
            c.parse::<i64>()
                .map_err(|_| AppError::not_found("帮扶活动"))?
                .to_string(),
        );
        cond.push_str(&format!(
            " AND x.campaign_id = CAST(${} AS BIGINT)",
            args.len()
        ));
    }
    if let Some(s) = given(f.status.as_deref()) {
        let s = Status::parse(s).ok_or_else(|| AppError::invalid("状态筛选无法识别"))?;
        args.push(s.code().into());
        cond.push_str(&format!(" AND x.status = ${}", args.len()));
    }
    if f.awaiting_me == Some(true) {
        args.push(lo);
        cond.push_str(&format!(
            " AND x.status = 'reviewing' AND x.review_path = ${}",
            args.len()
        ));
    }
    let paging = crate::db::Paging::new(f.page, f.per_page, 50);
    let select = format!("{APP_COLS} {APP_FROM}");
    let order = "x.applied_on DESC, x.id DESC";
    let (rows, total) = crate::db::paged::<Application>(
        db,
        &select,
        "FROM aid_applications x",
        &cond,
        order,
        &args,
        &paging,
    )
    .await?;
    Ok((rows.into_iter().map(app_labelled).collect(), total))
}

/// An application with its review chain, objections and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationDetail {
    pub application: Application,
    pub review: Vec<review::Level>,
    pub objections: Vec<Objection>,
    pub history: Vec<HistoryRow>,
}

pub async fn detail(db: &Db, scope: &Scope, id: i64) -> AppResult<ApplicationDetail> {
    let application = application(db, scope, id).await?;
    Ok(ApplicationDetail {
        application,
        review: review::levels(db, CASE, id).await?,
        objections: objections(db, id).await?,
        history: history::of(
            db,
            CaseRef {
                case_type: CASE,
                id,
            },
        )
        .await?,
    })
}

struct AppRow {
    campaign_id: i64,
    status: Status,
    version: i64,
}

async fn app_in_tx(tx: &mut Tx, scope: &Scope, id: i64) -> AppResult<AppRow> {
    let (lo, hi) = scope.range();
    let row: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT campaign_id, status, version FROM aid_applications WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut **tx)
    .await?;
    let (campaign_id, status, version) = row.ok_or_else(|| AppError::not_found("帮扶申请"))?;
    Ok(AppRow {
        campaign_id,
        status: Status::parse(&status).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("unknown application status {status}"))
        })?,
        version,
    })
}

/// Moves an application from `from` to `to` (if nobody moved it meanwhile), with its history
/// row. `extra` sets more columns: `col = $n` with n from 5.
#[allow(clippy::too_many_arguments)]
async fn move_app(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    version: i64,
    from: Status,
    to: Status,
    action: &str,
    on: NaiveDate,
    now: i64,
    extra: &[(&str, Option<String>)],
    detail: &serde_json::Value,
) -> AppResult<()> {
    let mut sets = String::new();
    for (k, (col, _)) in extra.iter().enumerate() {
        sets.push_str(&format!(", {col} = ${}", k + 6));
    }
    let sql = format!(
        "UPDATE aid_applications SET status = $1, version = version + 1, updated_at = $2{sets} WHERE id = $3 AND version = $4 AND status = $5"
    );
    let mut q = sqlx::query(&sql)
        .bind(to.code())
        .bind(now)
        .bind(id)
        .bind(version)
        .bind(from.code());
    for (_, v) in extra {
        q = q.bind(v.clone());
    }
    if q.execute(&mut **tx).await?.rows_affected() != 1 {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这份申请刚刚已被其他人处理，请刷新后查看最新情况",
        ));
    }
    history::record(
        tx,
        CaseRef {
            case_type: CASE,
            id,
        },
        Entry {
            at: now,
            on,
            actor,
            action,
            from: Some(from.code()),
            to: to.code(),
            detail,
        },
    )
    .await
}

pub use crate::workflow::review::DecisionInput;

/// Decides an application at its current level: on to the next level, to the public notice
/// (or straight to payment when the campaign has none), or rejected.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &DecisionInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Application> {
    let decision = Decision::parse(i.decision.trim())
        .ok_or_else(|| AppError::invalid("审核意见应为 approve（同意）或 reject（不同意）"))?;
    let mut tx = db.begin_write().await?;
    let a = app_in_tx(&mut tx, &actor.scope, id).await?;
    if a.status != Status::Reviewing {
        return Err(crate::workflow::refused("这份申请", a.status, decision));
    }
    if a.version != i.version {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这份申请刚刚已被其他人处理，请刷新后查看最新情况",
        ));
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
    match outcome {
        Outcome::Next(path) => {
            move_app(
                &mut tx,
                actor,
                id,
                a.version,
                Status::Reviewing,
                Status::Reviewing,
                "review",
                today,
                now,
                &[("review_path", Some(path))],
                &detail,
            )
            .await?;
        }
        Outcome::Rejected => {
            move_app(
                &mut tx,
                actor,
                id,
                a.version,
                Status::Reviewing,
                Status::Rejected,
                "reject",
                today,
                now,
                &[("review_path", None), ("once_key", None)],
                &detail,
            )
            .await?;
        }
        Outcome::Approved => {
            let days: i64 =
                sqlx::query_scalar("SELECT notice_days FROM aid_campaigns WHERE id = $1")
                    .bind(a.campaign_id)
                    .fetch_one(&mut *tx)
                    .await?;
            if days > 0 {
                let until = deadlines::due(today, days as u32);
                move_app(
                    &mut tx,
                    actor,
                    id,
                    a.version,
                    Status::Reviewing,
                    Status::Notice,
                    "approve",
                    today,
                    now,
                    &[
                        ("review_path", None),
                        ("notice_until", Some(until.to_string())),
                    ],
                    &detail,
                )
                .await?;
            } else {
                move_app(
                    &mut tx,
                    actor,
                    id,
                    a.version,
                    Status::Reviewing,
                    Status::Approved,
                    "approve",
                    today,
                    now,
                    &[("review_path", None)],
                    &detail,
                )
                .await?;
            }
        }
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("aid.review").target(CASE, id).detail(detail),
    )
    .await?;
    tx.commit().await?;
    application(db, &Scope::all(), id).await
}

/// An objection raised during the public notice.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Objection {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub raised_on: String,
    pub raised_by: String,
    pub text: String,
    /// `upheld` (the application is rejected) or `dismissed`; null while open.
    pub resolution: Option<String>,
    pub resolution_note: Option<String>,
    pub resolved_by: Option<String>,
}

pub async fn objections(db: &Db, id: i64) -> AppResult<Vec<Objection>> {
    Ok(sqlx::query_as(
        "SELECT id, raised_on, raised_by, text, resolution, resolution_note, resolved_by FROM aid_objections WHERE application_id = $1 ORDER BY raised_on, id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionInput {
    /// What was objected, as received (a letter, a call, the notice board).
    pub text: String,
}

/// Records an objection to an application in its public notice; it cannot be paid while an
/// objection is open.
pub async fn object(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &ObjectionInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Application> {
    let text = crate::workflow::required(&i.text, "异议内容", 1000)?;
    let mut tx = db.begin_write().await?;
    let a = app_in_tx(&mut tx, &actor.scope, id).await?;
    if a.status != Status::Notice {
        return Err(AppError::conflict(
            "TRANSITION_REFUSED",
            format!(
                "这份申请当前为“{}”，只有公示中的申请可以登记异议",
                a.status.label()
            ),
        ));
    }
    sqlx::query("INSERT INTO aid_objections (id, application_id, raised_on, raised_by, text) VALUES ($1,$2,$3,$4,$5)")
        .bind(new_id())
        .bind(id)
        .bind(today.to_string())
        .bind(&actor.name)
        .bind(&text)
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({});
    move_app(
        &mut tx,
        actor,
        id,
        a.version,
        Status::Notice,
        Status::Notice,
        "object",
        today,
        now,
        &[],
        &detail,
    )
    .await?;
    recount_objections(&mut tx, id).await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("aid.object").target(CASE, id),
    )
    .await?;
    tx.commit().await?;
    application(db, &Scope::all(), id).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// `upheld`: the objection stands and the application is rejected; `dismissed`.
    pub resolution: String,
    pub note: String,
}

/// Keeps an application's count of open objections (a notice ends only with none open).
async fn recount_objections(tx: &mut Tx, id: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE aid_applications SET objections_open = (SELECT CAST(COUNT(*) AS BIGINT) FROM aid_objections \
         WHERE application_id = $1 AND resolution IS NULL) WHERE id = $1",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Resolves an open objection: upheld rejects the application (the person may be aided again
/// later in the campaign); dismissed lets it go on.
pub async fn resolve(
    db: &Db,
    actor: &Actor,
    id: i64,
    objection_id: i64,
    i: &ResolveInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Application> {
    let upheld = match i.resolution.trim() {
        "upheld" => true,
        "dismissed" => false,
        _ => {
            return Err(AppError::invalid(
                "处理结果应为 upheld（异议成立）或 dismissed（异议不成立）",
            ));
        }
    };
    let note = crate::workflow::required(&i.note, "处理说明", 1000)?;
    let mut tx = db.begin_write().await?;
    let a = app_in_tx(&mut tx, &actor.scope, id).await?;
    let changed = sqlx::query(
        "UPDATE aid_objections SET resolution = $1, resolution_note = $2, resolved_by = $3, resolved_at = $4 WHERE id = $5 AND application_id = $6 AND resolution IS NULL",
    )
    .bind(if upheld { "upheld" } else { "dismissed" })
    .bind(&note)
    .bind(&actor.name)
    .bind(now)
    .bind(objection_id)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这条异议不存在或已经处理过",
        ));
    }
    let detail = serde_json::json!({"objection": objection_id.to_string(), "upheld": upheld});
    if upheld {
        move_app(
            &mut tx,
            actor,
            id,
            a.version,
            a.status,
            Status::Rejected,
            "uphold_objection",
            today,
            now,
            &[("once_key", None)],
            &detail,
        )
        .await?;
    } else {
        move_app(
            &mut tx,
            actor,
            id,
            a.version,
            a.status,
            a.status,
            "dismiss_objection",
            today,
            now,
            &[],
            &detail,
        )
        .await?;
    }
    recount_objections(&mut tx, id).await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("aid.objection").target(CASE, id).detail(detail),
    )
    .await?;
    tx.commit().await?;
    application(db, &Scope::all(), id).await
}

/// Applications of a campaign whose notice ended (the day after its last day) with no
/// objection open become payable.
pub(crate) async fn settle_notices(
    tx: &mut Tx,
    actor: &Actor,
    campaign_id: i64,
    today: NaiveDate,
    now: i64,
) -> AppResult<()> {
    let due: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, version FROM aid_applications WHERE campaign_id = $1 AND status = 'notice' AND notice_until < $2 AND objections_open = 0",
    )
    .bind(campaign_id)
    .bind(today.to_string())
    .fetch_all(&mut **tx)
    .await?;
    let detail = serde_json::json!({});
    for (id, version) in due {
        move_app(
            tx,
            actor,
            id,
            version,
            Status::Notice,
            Status::Approved,
            "notice_ended",
            today,
            now,
            &[],
            &detail,
        )
        .await?;
    }
    Ok(())
}
