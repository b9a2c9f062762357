//! Hardship files and aid in the console: the campaigns with their budgets, a campaign's
//! applications and payout batches, an application with its review chain, notice and history
//! (and the decision and objection forms), the hardship files with their filters, a file with
//! its household and timeline.

use super::Yuan;
use super::choices;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Ctx, Form, PageResult, Pager, Shell, after_form, done, field, problem, render};
use crate::aid::MODULE;
use crate::aid::campaigns::{self, Application, ApplicationDetail, ApplicationFilter, Campaign};
use crate::aid::hardship::{self, FileFilter, HardshipFile, HouseholdPerson};
use crate::aid::payouts::{self, Batch};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::api::parse_id;
use crate::workflow::Named;
use crate::workflow::history::HistoryRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/aid", get(campaign_list))
        .route("/aid/campaigns", post(create_campaign))
        .route("/aid/campaigns/{id}", get(show_campaign))
        .route("/aid/campaigns/{id}/batches", post(make_batch))
        .route("/aid/campaigns/{id}/budget", post(change_budget))
        .route("/aid/batches/{id}", get(show_batch))
        .route("/aid/batches/{id}/pay-all", post(pay_all))
        .route("/aid/batches/{id}/lines/{line}", post(act_on_line))
        .route("/aid/applications", get(application_list))
        .route("/aid/applications/{id}", get(show_application))
        .route("/aid/applications/{id}/decision", post(decide))
        .route("/aid/applications/{id}/objections", post(object))
        .route("/aid/files", get(file_list).post(open_file))
        .route("/aid/files/new", get(new_file))
        .route("/aid/files/{id}", get(show_file))
        .route("/aid/files/{id}/review", post(review_file))
        .route("/aid/files/{id}/exit", post(exit_file))
}

// ---------- campaigns ----------

#[derive(Template)]
#[template(path = "aid/campaigns.html")]
struct CampaignsPage {
    shell: Shell,
    rows: Vec<Campaign>,
    /// The new-campaign form as typed (pairs of the posted form), and why it was refused.
    typed: Vec<(String, String)>,
    error: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    tiers: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, &'static str)>,
}

impl Yuan for CampaignsPage {}

impl CampaignsPage {
    /// What was typed in a field (the first value).
    fn typed(&self, key: &str) -> &str {
        self.typed
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }
    fn ticked(&self, key: &str, value: &str) -> bool {
        self.typed.iter().any(|(k, v)| k == key && v == value)
    }
}

async fn campaigns_view(
    st: &AppState,
    ctx: &Ctx,
    typed: Vec<(String, String)>,
    error: Option<String>,
) -> PageResult {
    let view = CampaignsPage {
        shell: ctx.shell("帮扶活动", "aid"),
        rows: campaigns::campaigns(&st.reg.db, &ctx.caller.scope).await?,
        typed,
        error,
        kinds: choices::<campaigns::Kind>(),
        tiers: choices::<hardship::Tier>(),
        levels: crate::registry::orgs::OrgKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
    };
    if view.error.is_some() {
        super::render_invalid(view)
    } else {
        render(view)
    }
}

async fn campaign_list(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    campaigns_view(&st, &ctx, Vec::new(), None).await
}

/// A new campaign from the console's form (`tiers` and `review_kinds` ticked, repeated).
async fn create_campaign(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let all = |k: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let notice_days = match one("notice_days").map(|d| d.parse::<i64>()) {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            return campaigns_view(&st, &ctx, pairs, Some("公示天数应为整数".into())).await;
        }
        None => None,
    };
    let input = campaigns::CampaignInput {
        org_code: None,
        name: one("name"),
        kind: one("kind"),
        starts_on: one("starts_on"),
        ends_on: one("ends_on"),
        budget: one("budget"),
        max_per_person: one("max_per_person"),
        tiers: all("tiers"),
        groups: Vec::new(),
        review_kinds: all("review_kinds"),
        notice_days,
        allow_repeat: one("allow_repeat").as_deref() == Some("yes"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    match campaigns::create(&st.reg.db, &actor, &input, st.today(), st.auth.now()).await {
        Ok(c) => done(&format!("/aid/campaigns/{}", c.id), "saved"),
        Err(e) if e.status().is_client_error() => {
            campaigns_view(&st, &ctx, pairs, Some(problem(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
struct BudgetForm {
    action: Option<String>,
    amount: Option<String>,
    reason: Option<String>,
}

/// A top-up or the end of a campaign, from its page.
async fn change_budget(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<BudgetForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶活动")?;
    let input = campaigns::BudgetInput {
        action: f.action.unwrap_or_default(),
        amount: field(&f.amount),
        reason: field(&f.reason),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result =
        campaigns::change_budget(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    let q = CampaignQuery::default();
    after_form(result.map(|_| format!("/aid/campaigns/{id}")), |m| {
        campaign_view(&st, &ctx, id, &q, Some(m))
    })
    .await
}

async fn make_batch(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶活动")?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let b = payouts::make_batch(
        &st.reg.db,
        &actor,
        id,
        &Default::default(),
        st.today(),
        st.auth.now(),
    )
    .await?;
    done(&format!("/aid/batches/{}", b.id), "saved")
}

#[derive(Template)]
#[template(path = "aid/batch.html")]
struct BatchPage {
    shell: Shell,
    b: Batch,
    campaign: Campaign,
    lines: Vec<payouts::PayoutLine>,
    pager: Pager,
    error: Option<String>,
}

impl Yuan for BatchPage {}

impl BatchPage {
    fn status_label(&self, code: &str) -> &'static str {
        campaigns::PayStatus::parse(code)
            .map(Named::label)
            .unwrap_or("")
    }
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

async fn batch_view(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    page: Option<i64>,
    error: Option<String>,
) -> PageResult {
    let db = &st.reg.db;
    let b = payouts::batch(db, &ctx.caller.scope, id).await?;
    let campaign = campaigns::campaign(db, &ctx.caller.scope, b.campaign_id).await?;
    let page = page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let lines = payouts::lines(db, id, &crate::db::Paging::new(Some(page), Some(100), 100)).await?;
    let view = BatchPage {
        shell: ctx.shell(format!("发放批次：{}", campaign.name), "aid"),
        pager: Pager::new(
            &format!("/aid/batches/{id}"),
            &[],
            page,
            100,
            b.line_count,
            "笔",
        ),
        b,
        campaign,
        lines,
        error,
    };
    if view.error.is_some() {
        super::render_invalid(view)
    } else {
        render(view)
    }
}

async fn show_batch(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "发放批次")?;
    batch_view(&st, &ctx, id, q.page, None).await
}

/// The bank confirmed the whole file: every waiting line is paid.
async fn pay_all(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "发放批次")?;
    let db = &st.reg.db;
    payouts::batch(db, &ctx.caller.scope, id).await?;
    let actor = ctx.caller.actor(&st.reg.keys);
    payouts::pay_all(db, &actor, id, 500, st.today(), st.auth.now()).await?;
    done(&format!("/aid/batches/{id}"), "saved")
}

#[derive(Debug, Default, Deserialize)]
struct LineForm {
    /// `failed`, `retry` or `cancel`.
    action: Option<String>,
    reason: Option<String>,
}

/// One line: the bank returned it (failed, with the reason), or a failed line is retried or
/// cancelled.
async fn act_on_line(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, line)): Path<(String, String)>,
    Form(f): Form<LineForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "发放批次")?;
    let line_id = parse_id(&line, "发放明细")?;
    let db = &st.reg.db;
    payouts::batch(db, &ctx.caller.scope, id).await?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let (today, now) = (st.today(), st.auth.now());
    let result = match f.action.as_deref().unwrap_or("") {
        "failed" => payouts::record_results(
            db,
            &actor,
            id,
            &[payouts::LineResult {
                line: line_id.to_string(),
                outcome: "failed".into(),
                reason: field(&f.reason),
            }],
            today,
            now,
        )
        .await
        .map(|_| ()),
        action => payouts::act_on_line(
            db,
            &actor,
            id,
            line_id,
            &payouts::LineAction {
                action: action.to_string(),
                reason: field(&f.reason),
            },
            today,
            now,
        )
        .await
        .map(|_| ()),
    };
    after_form(result.map(|_| format!("/aid/batches/{id}")), |m| {
        batch_view(&st, &ctx, id, None, Some(m))
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
struct CampaignQuery {
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "aid/campaign.html")]
struct CampaignPage {
    shell: Shell,
    c: Campaign,
    /// The caller's union runs it (its budget is theirs to change).
    own: bool,
    error: Option<String>,
    batches: Vec<Batch>,
    rows: Vec<Application>,
    status: Option<String>,
    statuses: Vec<(&'static str, &'static str)>,
    pager: Pager,
}

impl Yuan for CampaignPage {}

impl CampaignPage {
    fn sel(&self, code: &str) -> bool {
        self.status.as_deref() == Some(code)
    }
    fn tier_label(&self, tier: &Option<String>) -> &'static str {
        tier.as_deref()
            .and_then(hardship::Tier::parse)
            .map(Named::label)
            .unwrap_or("—")
    }
}

async fn show_campaign(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<CampaignQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶活动")?;
    campaign_view(&st, &ctx, id, &q, None).await
}

async fn campaign_view(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    q: &CampaignQuery,
    error: Option<String>,
) -> PageResult {
    let db = &st.reg.db;
    // A campaign of a union above the caller is seen through its applications here; its
    // budget and batches only by its own union's cadres.
    let (c, own) = match campaigns::campaign(db, &ctx.caller.scope, id).await {
        Ok(c) => (c, true),
        Err(_) => (
            campaigns::campaigns(db, &ctx.caller.scope)
                .await?
                .into_iter()
                .find(|c| c.id == id)
                .ok_or_else(|| AppError::not_found("帮扶活动"))?,
            false,
        ),
    };
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let f = ApplicationFilter {
        campaign: Some(id.to_string()),
        status: field(&q.status),
        page: Some(page),
        per_page: Some(50),
        ..Default::default()
    };
    let (rows, total) = campaigns::applications(db, &ctx.caller.scope, &f).await?;
    let pager = Pager::new(
        &format!("/aid/campaigns/{id}"),
        &[("status", field(&q.status))],
        page,
        50,
        total,
        "份",
    );
    let view = CampaignPage {
        shell: ctx.shell(c.name.clone(), "aid"),
        batches: payouts::batches(db, &ctx.caller.scope, id).await?,
        c,
        own,
        rows,
        status: field(&q.status),
        statuses: choices::<campaigns::Status>(),
        pager,
        error,
    };
    if view.error.is_some() {
        super::render_invalid(view)
    } else {
        render(view)
    }
}

// ---------- applications ----------

#[derive(Debug, Default, Deserialize)]
struct ApplicationQuery {
    awaiting_me: Option<String>,
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "aid/applications.html")]
struct ApplicationsPage {
    shell: Shell,
    rows: Vec<Application>,
    awaiting_me: bool,
    status: Option<String>,
    statuses: Vec<(&'static str, &'static str)>,
    pager: Pager,
}

impl Yuan for ApplicationsPage {}

impl ApplicationsPage {
    fn sel(&self, code: &str) -> bool {
        self.status.as_deref() == Some(code)
    }
}

async fn application_list(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ApplicationQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let awaiting_me = q.awaiting_me.as_deref() == Some("true");
    let f = ApplicationFilter {
        status: field(&q.status),
        awaiting_me: Some(awaiting_me),
        page: Some(page),
        per_page: Some(50),
        ..Default::default()
    };
    let (rows, total) = campaigns::applications(&st.reg.db, &ctx.caller.scope, &f).await?;
    let params = [
        ("awaiting_me", awaiting_me.then(|| "true".to_string())),
        ("status", field(&q.status)),
    ];
    render(ApplicationsPage {
        shell: ctx.shell("帮扶申请", "aid"),
        pager: Pager::new("/aid/applications", &params, page, 50, total, "份"),
        rows,
        awaiting_me,
        status: field(&q.status),
        statuses: choices::<campaigns::Status>(),
    })
}

// ---------- an application ----------

#[derive(Template)]
#[template(path = "aid/application.html")]
struct ApplicationPage {
    shell: Shell,
    d: ApplicationDetail,
    error: Option<String>,
}

impl Yuan for ApplicationPage {}

impl ApplicationPage {
    fn decision_label(&self, code: &str) -> &'static str {
        crate::workflow::review::Decision::parse(code)
            .map(Named::label)
            .unwrap_or("待审核")
    }
    fn action_label(&self, code: &str) -> &'static str {
        match code {
            "apply" => "提交申请",
            "review" => "本级同意，报上级审核",
            "approve" => "审核通过",
            "reject" => "审核不通过",
            "object" => "登记异议",
            "uphold_objection" => "异议成立",
            "dismiss_objection" => "异议不成立",
            "notice_ended" => "公示期满",
            "batch" => "纳入发放批次",
            "pay" => "发放成功",
            "cancel" => "取消发放",
            _ => "办理",
        }
    }
    fn status_label(&self, code: &str) -> &'static str {
        campaigns::Status::parse(code)
            .map(Named::label)
            .unwrap_or("")
    }
}

async fn application_page(st: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> PageResult {
    let d = campaigns::detail(&st.reg.db, &ctx.caller.scope, id).await?;
    let page = ApplicationPage {
        shell: ctx.shell(format!("帮扶申请：{}", d.application.member_name), "aid"),
        d,
        error,
    };
    if page.error.is_some() {
        super::render_invalid(page)
    } else {
        render(page)
    }
}

async fn show_application(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶申请")?;
    application_page(&st, &ctx, id, None).await
}

#[derive(Debug, Default, Deserialize)]
struct DecisionForm {
    decision: Option<String>,
    comment: Option<String>,
    version: Option<i64>,
}

async fn decide(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶申请")?;
    let input = campaigns::DecisionInput {
        decision: f.decision.unwrap_or_default(),
        comment: field(&f.comment),
        version: f.version.unwrap_or(-1),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    after_form(
        campaigns::decide(&st.reg.db, &actor, id, &input, st.today(), st.auth.now())
            .await
            .map(|_| format!("/aid/applications/{id}")),
        |m| application_page(&st, &ctx, id, Some(m)),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct ObjectionForm {
    text: Option<String>,
}

async fn object(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ObjectionForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "帮扶申请")?;
    let input = campaigns::ObjectionInput {
        text: f.text.unwrap_or_default(),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    after_form(
        campaigns::object(&st.reg.db, &actor, id, &input, st.today(), st.auth.now())
            .await
            .map(|_| format!("/aid/applications/{id}")),
        |m| application_page(&st, &ctx, id, Some(m)),
    )
    .await
}

// ---------- hardship files ----------

#[derive(Debug, Default, Deserialize)]
struct FileQuery {
    org: Option<String>,
    status: Option<String>,
    tier: Option<String>,
    review: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "aid/files.html")]
struct FilesPage {
    shell: Shell,
    rows: Vec<HardshipFile>,
    filter: FileQuery,
    tiers: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    pager: Pager,
    today: String,
}

impl FilesPage {
    fn sel(&self, v: &Option<String>, code: &str) -> bool {
        v.as_deref() == Some(code)
    }
    fn overdue(&self, f: &HardshipFile) -> bool {
        f.status == "active" && f.review_due < self.today
    }
}

async fn file_list(State(st): State<AppState>, ctx: Ctx, Query(q): Query<FileQuery>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let f = FileFilter {
        org: field(&q.org),
        status: field(&q.status),
        tier: field(&q.tier),
        review: field(&q.review),
        page: Some(page),
        per_page: Some(50),
        ..Default::default()
    };
    let (rows, total) = hardship::list(&st.reg.db, &ctx.caller.scope, &f, st.today()).await?;
    let params = [
        ("org", field(&q.org)),
        ("status", field(&q.status)),
        ("tier", field(&q.tier)),
        ("review", field(&q.review)),
    ];
    render(FilesPage {
        shell: ctx.shell("困难职工档案", "aid"),
        pager: Pager::new("/aid/files", &params, page, 50, total, "户"),
        rows,
        filter: q,
        tiers: choices::<hardship::Tier>(),
        statuses: choices::<hardship::Status>(),
        today: st.today().to_string(),
    })
}

#[derive(Template)]
#[template(path = "aid/file.html")]
struct FilePage {
    shell: Shell,
    f: HardshipFile,
    persons: Vec<HouseholdPerson>,
    history: Vec<HistoryRow>,
    exit_reasons: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

impl Yuan for FilePage {}

impl FilePage {
    fn coded<T: Named>(&self, code: &str) -> &'static str {
        T::parse(code).map(Named::label).unwrap_or("")
    }
    fn relation(&self, code: &str) -> &'static str {
        self.coded::<hardship::Relation>(code)
    }
    fn health(&self, code: &str) -> &'static str {
        self.coded::<hardship::Health>(code)
    }
    fn schooling(&self, code: &str) -> &'static str {
        self.coded::<hardship::Schooling>(code)
    }
    fn work(&self, code: &str) -> &'static str {
        self.coded::<hardship::Work>(code)
    }
    fn causes(&self) -> String {
        self.f
            .causes
            .split(',')
            .filter_map(hardship::Cause::parse)
            .map(Named::label)
            .collect::<Vec<_>>()
            .join("、")
    }
    fn exit_reason(&self) -> &'static str {
        self.f
            .exit_reason
            .as_deref()
            .map(|r| self.coded::<hardship::ExitReason>(r))
            .unwrap_or("")
    }
    fn action_label(&self, code: &str) -> &'static str {
        match code {
            "enter" => "建档",
            "review" => "年度复核",
            "replan" => "调整帮扶计划",
            "exit" => "解困脱困",
            _ => "办理",
        }
    }
    fn status_label(&self, code: &str) -> &'static str {
        self.coded::<hardship::Status>(code)
    }
}

async fn file_view(st: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> PageResult {
    let db = &st.reg.db;
    let f = hardship::get(db, &ctx.caller.scope, id).await?;
    let view = FilePage {
        shell: ctx.shell(format!("困难职工档案：{}", f.worker_name), "aid"),
        persons: hardship::persons(db, id).await?,
        history: hardship::timeline(db, &ctx.caller.scope, id).await?,
        f,
        exit_reasons: choices::<hardship::ExitReason>(),
        error,
    };
    if view.error.is_some() {
        super::render_invalid(view)
    } else {
        render(view)
    }
}

async fn show_file(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "困难职工档案")?;
    file_view(&st, &ctx, id, None).await
}

#[derive(Debug, Default, Deserialize)]
struct ReviewForm {
    income: Option<String>,
    rigid_expenses: Option<String>,
    sudden_expenses: Option<String>,
    note: Option<String>,
    version: Option<i64>,
}

/// The yearly re-verification from the file's page.
async fn review_file(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "困难职工档案")?;
    let input = hardship::ReviewInput {
        income: field(&f.income),
        rigid_expenses: field(&f.rigid_expenses),
        sudden_expenses: field(&f.sudden_expenses),
        reviewed_on: None,
        note: field(&f.note),
        version: f.version.unwrap_or(-1),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    after_form(
        hardship::review(&st.reg.db, &actor, id, &input, st.today(), st.auth.now())
            .await
            .map(|_| format!("/aid/files/{id}")),
        |m| file_view(&st, &ctx, id, Some(m)),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct ExitForm {
    reason: Option<String>,
    note: Option<String>,
    version: Option<i64>,
}

/// 解困脱困 from the file's page.
async fn exit_file(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ExitForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "困难职工档案")?;
    let input = hardship::ExitInput {
        reason: field(&f.reason),
        note: field(&f.note),
        exited_on: None,
        version: f.version.unwrap_or(-1),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    after_form(
        hardship::exit(&st.reg.db, &actor, id, &input, st.today(), st.auth.now())
            .await
            .map(|_| format!("/aid/files/{id}")),
        |m| file_view(&st, &ctx, id, Some(m)),
    )
    .await
}

/// How many other household members the new-file form has rows for.
const OTHER_PERSONS: usize = 5;

#[derive(Template)]
#[template(path = "aid/file_form.html")]
struct NewFilePage {
    shell: Shell,
    typed: Vec<(String, String)>,
    error: Option<String>,
    rows: Vec<usize>,
    relations: Vec<(&'static str, &'static str)>,
    healths: Vec<(&'static str, &'static str)>,
    schoolings: Vec<(&'static str, &'static str)>,
    works: Vec<(&'static str, &'static str)>,
    causes: Vec<(&'static str, &'static str)>,
}

impl NewFilePage {
    fn typed(&self, key: &str) -> &str {
        self.typed
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }
    fn row_typed(&self, row: &usize, key: &str) -> &str {
        self.typed(&format!("p{row}_{key}"))
    }
    fn row_is(&self, row: &usize, key: &str, code: &str) -> bool {
        self.row_typed(row, key) == code
    }
    fn ticked(&self, key: &str, value: &str) -> bool {
        self.typed.iter().any(|(k, v)| k == key && v == value)
    }
}

async fn new_file_view(
    ctx: &Ctx,
    typed: Vec<(String, String)>,
    error: Option<String>,
) -> PageResult {
    let view = NewFilePage {
        shell: ctx.shell("新建困难职工档案", "aid"),
        typed,
        error,
        rows: (1..=OTHER_PERSONS).collect(),
        relations: choices::<hardship::Relation>()
            .into_iter()
            .filter(|(c, _)| *c != "self")
            .collect(),
        healths: choices::<hardship::Health>(),
        schoolings: choices::<hardship::Schooling>(),
        works: choices::<hardship::Work>(),
        causes: choices::<hardship::Cause>(),
    };
    if view.error.is_some() {
        super::render_invalid(view)
    } else {
        render(view)
    }
}

async fn new_file(ctx: Ctx) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    new_file_view(&ctx, Vec::new(), None).await
}

/// A household filed from the console: the worker by the ID number of their membership, then
/// the other members of the household typed in rows (blank rows left out).
async fn open_file(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let db = &st.reg.db;
    let result = async {
        let id_number =
            one("worker_id").ok_or_else(|| AppError::invalid("请填写困难职工本人的身份证号"))?;
        let member = crate::registry::members::find_by_id_number(
            db,
            &st.reg.keys,
            &ctx.caller.scope,
            &id_number,
        )
        .await
        .map_err(|e| {
            if e.status() == axum::http::StatusCode::NOT_FOUND {
                AppError::invalid("没有找到该身份证号的会员（或不在您的管理范围内）")
            } else {
                e
            }
        })?;
        let mut persons = vec![hardship::HouseholdPersonInput {
            member_id: Some(member.id.to_string()),
            relation: Some("self".into()),
            health: one("p0_health"),
            schooling: one("p0_schooling"),
            work: one("p0_work"),
            ..Default::default()
        }];
        for row in 1..=OTHER_PERSONS {
            let get = |k: &str| one(&format!("p{row}_{k}"));
            if get("name").is_none() && get("id_number").is_none() {
                continue;
            }
            persons.push(hardship::HouseholdPersonInput {
                member_id: None,
                name: get("name"),
                id_number: get("id_number"),
                mobile: None,
                relation: get("relation"),
                birth_year: get("birth_year").and_then(|y| y.parse().ok()),
                health: get("health"),
                schooling: get("schooling"),
                work: get("work"),
            });
        }
        let input = hardship::FileInput {
            org_code: None,
            persons,
            income: one("income"),
            rigid_expenses: one("rigid_expenses"),
            sudden_expenses: one("sudden_expenses"),
            causes: pairs
                .iter()
                .filter(|(k, _)| k == "causes")
                .map(|(_, v)| v.clone())
                .collect(),
            plan: one("plan"),
            measures: one("measures"),
            entered_on: None,
        };
        let actor = ctx.caller.actor(&st.reg.keys);
        hardship::open_file(db, &st.reg.keys, &actor, &input, st.today(), st.auth.now()).await
    }
    .await;
    match result {
        Ok(f) => done(&format!("/aid/files/{}", f.id), "saved"),
        Err(e) if e.status().is_client_error() => {
            // ID numbers are not shown back in full.
            let typed = pairs
                .into_iter()
                .filter(|(k, _)| k != "worker_id" && !k.ends_with("_id_number"))
                .collect();
            new_file_view(&ctx, typed, Some(problem(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}
