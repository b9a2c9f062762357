//! Union funds in the console: this year's receipts, refunds and money held; the refund
//! policy; computing, approving, paying and cancelling refunds; grants to unions below. And the
//! 经审 view: every account and posting of the scope, each posting with the record behind it.

use super::Yuan;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::Datelike;
use serde::Deserialize;

use super::{Ctx, Form, PageResult, Pager, Shell, after_form, field, render};
use crate::app::AppState;
use crate::error::AppError;
use crate::funds::MODULE;
use crate::funds::figures::{FundTotals, held_at, totals};
use crate::funds::grants::{self, Grant};
use crate::funds::refunds::{self, Policy, Refund, RefundStatus};
use crate::ledger::{self, LedgerAccount, PostingFilter, PostingView};
use crate::registry::orgs;
use crate::web::api::funds::{RefundQuery, refund_page};
use crate::web::api::ledger::{PostingDetail, posting_detail};
use crate::web::api::parse_id;
use crate::workflow::Named;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/funds", get(funds_page))
        .route("/funds/policies", post(set_policy))
        .route("/funds/refunds/compute", post(compute))
        .route("/funds/refunds/act", post(act))
        .route("/funds/grants", post(grant))
        .route("/ledger", get(ledger_page))
        .route("/ledger/postings/{id}", get(show_posting))
}

#[derive(Debug, Default, Deserialize)]
struct FundsQuery {
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "funds/index.html")]
struct FundsPage {
    shell: Shell,
    year: i32,
    union_name: String,
    t: FundTotals,
    held: Vec<(String, i64)>,
    policies: Vec<Policy>,
    rows: Vec<Refund>,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    pager: Pager,
    grants: Vec<Grant>,
    error: Option<String>,
}

impl Yuan for FundsPage {}

impl FundsPage {
    fn held_label(&self, code: &str) -> &'static str {
        match code {
            "funds:income" => "工会经费",
            "funds:refunds:payable" => "应返还小微企业经费",
            "aid:campaign" => "帮扶活动预算",
            "aid:payable" => "待发放帮扶款",
            "mutual:pool" => "医疗互助金",
            _ => "其他",
        }
    }
    fn status_label(&self, code: &str) -> &'static str {
        RefundStatus::all()
            .iter()
            .find(|s| s.code() == code)
            .map(|s| s.label())
            .unwrap_or("")
    }
}

async fn funds_view(st: &AppState, ctx: &Ctx, q: &FundsQuery, error: Option<String>) -> PageResult {
    let db = &st.reg.db;
    let scope = &ctx.caller.scope;
    let root = orgs::scope_root(db, scope)
        .await?
        .ok_or_else(|| AppError::not_found("工会"))?;
    let today = st.today();
    let year_start = today.with_ordinal(1).unwrap_or(today);
    let status = field(&q.status).unwrap_or_else(|| RefundStatus::Computed.code().into());
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let listed = RefundQuery {
        status: Some(status.clone()),
        page: Some(page),
        per_page: Some(50),
        ..Default::default()
    };
    let recent = crate::db::Paging::new(None, Some(20), 20);
    let (t, held, policies, (rows, total), (grants, _)) = tokio::try_join!(
        totals(db, &root.path, year_start, today),
        held_at(db, &root.path, today, today),
        refunds::policies(db, scope),
        refund_page(st, scope, &listed),
        grants::grants_in(db, &root.path, year_start, today, &recent),
    )?;
    let view = FundsPage {
        shell: ctx.shell("工会经费", "funds"),
        year: today.year(),
        union_name: root.name,
        t,
        held,
        policies,
        pager: Pager::new(
            "/funds",
            &[("status", Some(status.clone()))],
            page,
            50,
            total,
            "笔",
        ),
        rows,
        status,
        statuses: RefundStatus::all()
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        grants,
        error,
    };
    if view.error.is_some() {
        super::render_invalid(view)
    } else {
        render(view)
    }
}

async fn funds_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FundsQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    funds_view(&st, &ctx, &q, None).await
}

/// After a form: back to the page with a notice, or the page again with the refusal.
async fn after(
    st: &AppState,
    ctx: &Ctx,
    result: Result<(), AppError>,
    status: Option<String>,
) -> PageResult {
    let to = format!("/funds?status={}", status.as_deref().unwrap_or("computed"));
    after_form(result.map(|_| to), |m| {
        let q = FundsQuery { status, page: None };
        async move { funds_view(st, ctx, &q, Some(m)).await }
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
struct PolicyForm {
    year: Option<String>,
    refund_pct: Option<String>,
    max_employees: Option<String>,
    requires_union: Option<String>,
    note: Option<String>,
}

/// A whole number typed in a form; blank is none, anything else unreadable is refused.
fn number(label: &str, v: &Option<String>) -> Result<Option<i64>, AppError> {
    field(v)
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| AppError::invalid(format!("{label}应为整数")))
        })
        .transpose()
}

async fn set_policy(State(st): State<AppState>, ctx: Ctx, Form(f): Form<PolicyForm>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = async {
        let i = refunds::PolicyInput {
            org_code: None,
            year: number("年度", &f.year)?,
            refund_pct: number("返还比例", &f.refund_pct)?,
            max_employees: number("职工人数上限", &f.max_employees)?,
            requires_union: Some(f.requires_union.as_deref() != Some("no")),
            note: field(&f.note),
        };
        refunds::set_policy(&st.reg.db, &actor, &i, st.auth.now())
            .await
            .map(|_| ())
    }
    .await;
    after(&st, &ctx, result, None).await
}

#[derive(Debug, Default, Deserialize)]
struct ComputeForm {
    year: Option<String>,
    period_from: Option<String>,
    period_to: Option<String>,
}

async fn compute(State(st): State<AppState>, ctx: Ctx, Form(f): Form<ComputeForm>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = async {
        let i = refunds::ComputeInput {
            org_code: None,
            year: number("年度", &f.year)?,
            period_from: field(&f.period_from),
            period_to: field(&f.period_to),
        };
        refunds::compute(&st.reg.db, &actor, &i, st.auth.now())
            .await
            .map(|_| ())
    }
    .await;
    after(&st, &ctx, result, None).await
}

/// Approve, pay or cancel the refunds ticked (`ids` repeated).
async fn act(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let i = refunds::ActInput {
        ids: pairs
            .iter()
            .filter(|(k, _)| k == "ids")
            .map(|(_, v)| v.clone())
            .collect(),
        action: get("action").unwrap_or_default(),
        reason: get("reason"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = refunds::act(&st.reg.db, &actor, &i, st.today(), st.auth.now())
        .await
        .map(|_| ());
    after(&st, &ctx, result, get("status")).await
}

#[derive(Debug, Default, Deserialize)]
struct GrantForm {
    to_org_code: Option<String>,
    amount: Option<String>,
    purpose: Option<String>,
}

async fn grant(State(st): State<AppState>, ctx: Ctx, Form(f): Form<GrantForm>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let i = grants::GrantInput {
        from_org_code: None,
        to_org_code: field(&f.to_org_code),
        amount: field(&f.amount),
        purpose: field(&f.purpose),
    };
    let result = grants::grant(&st.reg.db, &actor, &i, st.today(), st.auth.now())
        .await
        .map(|_| ());
    after(&st, &ctx, result, None).await
}

// ---------- 经审: the ledger, read only ----------

/// Accounts the 经审 page lists at most.
const SHOWN_ACCOUNTS: usize = 300;

#[derive(Debug, Default, Deserialize)]
struct LedgerQuery {
    account: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "funds/ledger.html")]
struct LedgerPage {
    shell: Shell,
    accounts: Vec<LedgerAccount>,
    /// Accounts of the scope not listed.
    more_accounts: usize,
    rows: Vec<PostingView>,
    account: Option<String>,
    from: Option<String>,
    to: Option<String>,
    pager: Pager,
}

impl LedgerPage {
    fn selected(&self, id: &i64) -> bool {
        self.account.as_deref() == Some(id.to_string().as_str())
    }
}

async fn ledger_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LedgerQuery>,
) -> PageResult {
    let db = &st.reg.db;
    let scope = &ctx.caller.scope;
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let f = PostingFilter {
        id: None,
        account: field(&q.account)
            .map(|a| parse_id(&a, "账户"))
            .transpose()?,
        from: field(&q.from)
            .map(|d| crate::types::parse_date(&d))
            .transpose()?,
        to: field(&q.to)
            .map(|d| crate::types::parse_date(&d))
            .transpose()?,
    };
    let paging = crate::db::Paging::new(Some(page), Some(50), 50);
    let (mut accounts, (rows, total)) = tokio::try_join!(
        ledger::accounts_in(db, scope),
        ledger::postings_in(db, scope, &f, &paging)
    )?;
    // A city has an account or two for each union paid a refund or a grant: the page lists the
    // first ones and says so; the scope switcher narrows to a union.
    let more_accounts = accounts.len().saturating_sub(SHOWN_ACCOUNTS);
    accounts.truncate(SHOWN_ACCOUNTS);
    let params = [
        ("account", field(&q.account)),
        ("from", field(&q.from)),
        ("to", field(&q.to)),
    ];
    render(LedgerPage {
        more_accounts,
        shell: ctx.shell("经审账目", "ledger"),
        pager: Pager::new("/ledger", &params, page, 50, total, "笔"),
        accounts,
        rows,
        account: field(&q.account),
        from: field(&q.from),
        to: field(&q.to),
    })
}

#[derive(Template)]
#[template(path = "funds/posting.html")]
struct PostingPage {
    shell: Shell,
    d: PostingDetail,
}

impl Yuan for PostingPage {}

async fn show_posting(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id, "记账凭证")?;
    let d = posting_detail(&st.reg.db, &ctx.caller.scope, id).await?;
    render(PostingPage {
        shell: ctx.shell(format!("记账凭证 {}", d.posting.id), "ledger"),
        d,
    })
}
