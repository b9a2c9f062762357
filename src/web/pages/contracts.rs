//! Collective contracts in the console: the contracts of the caller's part of the hierarchy
//! with its coverage today and the form for a new one (from scratch, from an accepted offer,
//! or renewing an earlier contract); a contract with its employers, the step its state allows
//! (vote and signing, filing, the authority's decision, ending), its files and its history;
//! the offer campaigns and a campaign's board; an employer's contracts and democratic
//! management (yearly checklist, 职代会 sessions and motions, 厂务公开 items).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::Datelike;
use serde::Deserialize;

use super::dashboard::FigureCard;
use super::{
    Ctx, Form, PageResult, Pager, Shell, Typed, after_form, done, field, one, render,
    render_invalid, typed_value,
};
use crate::app::AppState;
use crate::attachments;
use crate::contracts::contract::{
    self, Action, Bound, Contract, ContractInput, Kind, ListFilter, Reach, Status, StepInput,
};
use crate::contracts::democracy::{
    self, ChecklistInput, CongressInput, DisclosureInput, EmployerDemocracy, MotionInput,
    MotionStatus,
};
use crate::contracts::offers::{
    self, AnswerInput, Campaign, CampaignInput, Offer, OfferStatus, SendInput,
};
use crate::contracts::{MODULE, figures};
use crate::error::AppError;
use crate::types::Fen;
use crate::web::api::parse_id;
use crate::workflow::Named;
use crate::workflow::history::{self, CaseRef, HistoryRow};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(list).post(create))
        .route(
            "/contracts/campaigns",
            get(campaign_list).post(create_campaign),
        )
        .route("/contracts/campaigns/{id}", get(show_campaign))
        .route("/contracts/campaigns/{id}/send", post(send))
        .route("/contracts/offers/{id}/answer", post(answer))
        .route("/contracts/covered", get(covered))
        .route("/contracts/checklists", get(checklists))
        .route("/contracts/employers/{id}", get(show_employer))
        .route("/contracts/employers/{id}/checklist", post(checklist))
        .route("/contracts/employers/{id}/congresses", post(congress))
        .route("/contracts/employers/{id}/disclosures", post(disclosure))
        .route("/contracts/motions/{id}", post(motion))
        .route("/contracts/{id}", get(show))
        .route("/contracts/{id}/step/{action}", post(step))
}

fn number(pairs: &Typed, key: &str) -> Option<i64> {
    one(pairs, key).map(|v| v.parse::<i64>().unwrap_or(-1))
}

fn yuan(fen: Option<i64>) -> String {
    fen.map(|f| Fen(f).to_string()).unwrap_or_default()
}

// ---------- the list and the form ----------

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    status: Option<String>,
    kind: Option<String>,
    reach: Option<String>,
    expiring: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    /// A figure's drill: a union's subtree, contracts in force on a day, signed in a period or
    /// ending in a window (the figure's definition, as the API's list reads it).
    org: Option<String>,
    in_force_on: Option<String>,
    signed_from: Option<String>,
    signed_to: Option<String>,
    ends_after: Option<String>,
    ends_by: Option<String>,
    /// Draft from this accepted offer.
    offer: Option<String>,
    /// Draft a renewal of this contract.
    renews: Option<String>,
}

#[derive(Template)]
#[template(path = "contracts/list.html")]
struct ListPage {
    shell: Shell,
    figures: Vec<FigureCard>,
    rows: Vec<Contract>,
    q: ListQuery,
    pager: Pager,
    statuses: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    reaches: Vec<(&'static str, &'static str)>,
    typed: Typed,
    error: Option<String>,
    /// Where the figures are counted (the union filtered on, or the top of the caller's scope).
    org_name: String,
    /// The figure's definition the list is narrowed to, in words, and the list without it.
    drill: Option<String>,
    /// The register of this year's contracts as a spreadsheet.
    export: String,
}

impl ListPage {
    /// The figure's narrowing, kept when the filters change.
    fn drill_params(&self) -> Vec<(&'static str, &str)> {
        let q = &self.q;
        [
            ("org", &q.org),
            ("in_force_on", &q.in_force_on),
            ("signed_from", &q.signed_from),
            ("signed_to", &q.signed_to),
            ("ends_after", &q.ends_after),
            ("ends_by", &q.ends_by),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect()
    }
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
    fn chosen(&self, key: &str, code: &str) -> bool {
        let t = self.typed(key);
        t == code
            || Kind::parse(code).is_some_and(|k| k.label() == t)
            || Reach::parse(code).is_some_and(|r| r.label() == t)
    }
    fn filtered(&self, which: &str, code: &str) -> bool {
        let v = match which {
            "status" => &self.q.status,
            "kind" => &self.q.kind,
            _ => &self.q.reach,
        };
        v.as_deref() == Some(code)
    }
}

/// The form prefilled from an accepted offer or from the contract renewed.
async fn prefill(st: &AppState, ctx: &Ctx, q: &ListQuery) -> Result<Typed, AppError> {
    let db = &st.reg.db;
    let mut t = Typed::new();
    if let Some(o) = field(&q.offer) {
        let offer = offers::offer(db, &ctx.caller.scope, parse_id(&o, "协商要约")?).await?;
        t.push(("offer_id".into(), offer.id.to_string()));
        t.push(("employers".into(), offer.uscc));
        t.push(("title".into(), format!("{}集体合同", offer.unit_name)));
    }
    if let Some(r) = field(&q.renews) {
        let id = parse_id(&r, "集体合同")?;
        let old = contract::get(db, &ctx.caller.scope, id, st.today()).await?;
        let employers = contract::bound(db, id, st.today()).await?;
        let start = crate::types::parse_date(&old.ends_on)
            .ok()
            .and_then(|d| d.succ_opt())
            .map(|d| d.to_string())
            .unwrap_or_default();
        t.extend([
            ("renews".into(), id.to_string()),
            ("title".into(), format!("{}（续签）", old.title)),
            ("kind".into(), old.kind.code().into()),
            ("kind_note".into(), old.kind_note.unwrap_or_default()),
            ("reach".into(), old.reach.code().into()),
            (
                "employers".into(),
                employers
                    .iter()
                    .map(|b| b.uscc.clone())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            ("union_side".into(), old.union_side),
            ("employer_side".into(), old.employer_side),
            ("starts_on".into(), start),
        ]);
    }
    Ok(t)
}

async fn list_view(
    st: &AppState,
    ctx: &Ctx,
    q: ListQuery,
    typed: Option<Typed>,
    error: Option<String>,
) -> PageResult {
    let db = &st.reg.db;
    let today = st.today();
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let f = ListFilter {
        org: field(&q.org),
        status: field(&q.status),
        kind: field(&q.kind),
        reach: field(&q.reach),
        expiring: (field(&q.expiring).as_deref() == Some("true")).then_some(true),
        in_force_on: field(&q.in_force_on),
        signed_from: field(&q.signed_from),
        signed_to: field(&q.signed_to),
        ends_after: field(&q.ends_after),
        ends_by: field(&q.ends_by),
        q: field(&q.q),
        page: Some(page),
        unit: None,
    };
    let (rows, more) = contract::list(db, &ctx.caller.scope, &f, today).await?;
    let (root, period) =
        super::dashboard::this_year_of(db, &ctx.caller, f.org.as_deref(), today).await?;
    let figures = FigureCard::all_linked(
        figures::compute(db, &root, &period).await?,
        &ctx.caller,
        &root,
        &period,
    );
    let drill = drill_words(&f);
    let export = format!(
        "/api/v1/contracts/export?{}",
        super::query_of(&[("org", Some(root.code.clone()))])
    );
    let typed = match typed {
        Some(t) => t,
        None => prefill(st, ctx, &q).await?,
    };
    let mut pager = Pager::new(
        "/contracts",
        &[
            ("status", field(&q.status)),
            ("kind", field(&q.kind)),
            ("reach", field(&q.reach)),
            ("expiring", field(&q.expiring)),
            ("q", field(&q.q)),
            ("org", field(&q.org)),
            ("in_force_on", field(&q.in_force_on)),
            ("signed_from", field(&q.signed_from)),
            ("signed_to", field(&q.signed_to)),
            ("ends_after", field(&q.ends_after)),
            ("ends_by", field(&q.ends_by)),
        ],
        page,
        50,
        (page - 1) * 50 + rows.len() as i64,
        "份",
    )
    .at_least(more);
    pager.more_pages = more;
    let view = ListPage {
        shell: ctx.shell("集体合同", "contracts"),
        figures,
        rows,
        q,
        pager,
        statuses: Status::all()
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        kinds: Kind::all().iter().map(|s| (s.code(), s.label())).collect(),
        reaches: Reach::all().iter().map(|s| (s.code(), s.label())).collect(),
        typed,
        error,
        org_name: root.name,
        drill,
        export,
    };
    if view.error.is_some() {
        render_invalid(view)
    } else {
        render(view)
    }
}

/// A figure's narrowing of the list in words (none when the list is not a figure's drill).
fn drill_words(f: &ListFilter) -> Option<String> {
    let mut words = Vec::new();
    if let Some(d) = &f.in_force_on {
        words.push(format!("{d} 有效"));
    }
    match (&f.signed_from, &f.signed_to) {
        (Some(a), Some(b)) => words.push(format!("{a} 至 {b} 签订")),
        (Some(a), None) => words.push(format!("{a} 起签订")),
        (None, Some(b)) => words.push(format!("{b} 前签订")),
        (None, None) => {}
    }
    match (&f.ends_after, &f.ends_by) {
        (Some(a), Some(b)) => words.push(format!("{a} 之后、{b} 及以前期满")),
        (Some(a), None) => words.push(format!("{a} 之后期满")),
        (None, Some(b)) => words.push(format!("{b} 及以前期满")),
        (None, None) => {}
    }
    (!words.is_empty()).then(|| words.join("，"))
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    list_view(&st, &ctx, q, None, None).await
}

async fn create(State(st): State<AppState>, ctx: Ctx, Form(pairs): Form<Typed>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let employers = one(&pairs, "employers")
        .map(|e| {
            e.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let input = ContractInput {
        org_code: one(&pairs, "org_code"),
        title: one(&pairs, "title"),
        kind: one(&pairs, "kind"),
        kind_note: one(&pairs, "kind_note"),
        reach: one(&pairs, "reach"),
        employers,
        union_side: one(&pairs, "union_side"),
        employer_side: one(&pairs, "employer_side"),
        starts_on: one(&pairs, "starts_on"),
        ends_on: one(&pairs, "ends_on"),
        prev_avg_wage: one(&pairs, "prev_avg_wage"),
        raise_pct: one(&pairs, "raise_pct"),
        lowest_wage: one(&pairs, "lowest_wage"),
        min_wage: one(&pairs, "min_wage"),
        renews: one(&pairs, "renews"),
        offer_id: one(&pairs, "offer_id"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = contract::create(&st.reg.db, &actor, &input, st.today(), st.auth.now()).await;
    after_form(result.map(|c| format!("/contracts/{}", c.id)), |m| {
        list_view(&st, &ctx, ListQuery::default(), Some(pairs), Some(m))
    })
    .await
}

// ---------- a contract ----------

#[derive(Template)]
#[template(path = "contracts/show.html")]
pub(super) struct ContractPage {
    shell: Shell,
    c: Contract,
    employers: Vec<Bound>,
    files: super::case_files::FilesPanel,
    history: Vec<HistoryRow>,
    today: String,
    error: Option<String>,
}

impl ContractPage {
    fn yuan(&self, fen: &Option<i64>) -> String {
        yuan(*fen)
    }
    fn raise(&self) -> String {
        self.c
            .raise_bp
            .map(contract::percent_text)
            .unwrap_or_default()
    }
    fn is(&self, code: &str) -> bool {
        self.c.status.code() == code
    }
    fn employees(&self) -> i64 {
        self.employers.iter().map(|e| e.employee_count).sum()
    }
    fn action_label(&self, code: &str) -> &'static str {
        match code {
            "create" => "起草合同",
            "remind" => "到期提醒",
            other => Action::parse(other).map(Named::label).unwrap_or("办理"),
        }
    }
    fn status_label(&self, code: &str) -> &'static str {
        Status::parse(code).map(Named::label).unwrap_or("")
    }
}

/// A contract's page, with what was wrong when a step was refused.
pub(super) async fn contract_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
) -> Result<ContractPage, AppError> {
    let db = &st.reg.db;
    let today = st.today();
    let c = contract::get(db, &ctx.caller.scope, id, today).await?;
    let owner = attachments::Owner {
        kind: contract::CASE,
        id,
    };
    let (employers, files, history) = tokio::try_join!(
        contract::bound(db, id, today),
        super::case_files::FilesPanel::of(st, owner, format!("/contracts/{id}")),
        history::of(
            db,
            CaseRef {
                case_type: contract::CASE,
                id
            }
        )
    )?;
    Ok(ContractPage {
        shell: ctx.shell(c.title.clone(), "contracts"),
        c,
        employers,
        files,
        history,
        today: today.to_string(),
        error,
    })
}

async fn contract_view(st: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> PageResult {
    let view = contract_page(st, ctx, id, error).await?;
    if view.error.is_some() {
        render_invalid(view)
    } else {
        render(view)
    }
}

async fn show(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "集体合同")?;
    contract_view(&st, &ctx, id, None).await
}

async fn step(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "集体合同")?;
    let action = Action::parse(&action).ok_or_else(|| AppError::not_found("操作"))?;
    let input = StepInput {
        version: number(&pairs, "version").unwrap_or(-1),
        on: one(&pairs, "on"),
        vote_body: one(&pairs, "vote_body"),
        vote_on: one(&pairs, "vote_on"),
        delegates: number(&pairs, "delegates"),
        present: number(&pairs, "present"),
        votes_for: number(&pairs, "votes_for"),
        votes_against: number(&pairs, "votes_against"),
        note: one(&pairs, "note"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = contract::step(
        &st.reg.db,
        &actor,
        id,
        action,
        &input,
        st.today(),
        st.auth.now(),
    )
    .await;
    after_form(result.map(|_| format!("/contracts/{id}")), |m| {
        contract_view(&st, &ctx, id, Some(m))
    })
    .await
}

// ---------- campaigns ----------

#[derive(Template)]
#[template(path = "contracts/campaigns.html")]
struct CampaignsPage {
    shell: Shell,
    rows: Vec<Campaign>,
    typed: Typed,
    error: Option<String>,
}

impl CampaignsPage {
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
}

async fn campaigns_view(
    st: &AppState,
    ctx: &Ctx,
    typed: Typed,
    error: Option<String>,
) -> PageResult {
    let view = CampaignsPage {
        shell: ctx.shell("要约行动", "contracts"),
        rows: offers::campaigns(&st.reg.db, &ctx.caller.scope).await?,
        typed,
        error,
    };
    if view.error.is_some() {
        render_invalid(view)
    } else {
        render(view)
    }
}

async fn campaign_list(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    campaigns_view(&st, &ctx, Vec::new(), None).await
}

async fn create_campaign(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let input = CampaignInput {
        org_code: one(&pairs, "org_code"),
        name: one(&pairs, "name"),
        starts_on: one(&pairs, "starts_on"),
        ends_on: one(&pairs, "ends_on"),
        employers: Vec::new(),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = offers::create_campaign(&st.reg.db, &actor, &input, st.auth.now()).await;
    after_form(
        result.map(|c| format!("/contracts/campaigns/{}", c.id)),
        |m| campaigns_view(&st, &ctx, pairs, Some(m)),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct OffersQuery {
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "contracts/campaign.html")]
struct CampaignPage {
    shell: Shell,
    c: Campaign,
    offers: Vec<Offer>,
    status: Option<String>,
    statuses: Vec<(&'static str, &'static str)>,
    pager: Pager,
    today: String,
    error: Option<String>,
}

impl CampaignPage {
    fn status_label(&self, code: &str) -> &'static str {
        OfferStatus::parse(code).map(Named::label).unwrap_or("")
    }
    fn sel(&self, code: &str) -> bool {
        self.status.as_deref() == Some(code)
    }
    fn overdue(&self, o: &Offer) -> bool {
        o.status == "sent" && o.due_on.as_deref().is_some_and(|d| d < self.today.as_str())
    }
    fn coverage(&self) -> String {
        crate::figures::Amount::Ratio {
            num: self.c.sent,
            den: self.c.targets,
        }
        .display(crate::figures::FigureUnit::Percent)
    }
}

async fn campaign_view(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    q: &OffersQuery,
    error: Option<String>,
) -> PageResult {
    let db = &st.reg.db;
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let (offers, more) = offers::offers(
        db,
        &ctx.caller.scope,
        id,
        q.status.as_deref(),
        page,
        st.today(),
    )
    .await?;
    let c = offers::campaign_reaching(db, &ctx.caller.scope, id).await?;
    let mut pager = Pager::new(
        &format!("/contracts/campaigns/{id}"),
        &[("status", field(&q.status))],
        page,
        100,
        (page - 1) * 100 + offers.len() as i64,
        "家",
    )
    .at_least(more);
    pager.more_pages = more;
    let mut statuses: Vec<(&'static str, &'static str)> = OfferStatus::all()
        .iter()
        .map(|s| (s.code(), s.label()))
        .collect();
    statuses.push(("overdue", "逾期未回应"));
    let view = CampaignPage {
        shell: ctx.shell(c.name.clone(), "contracts"),
        c,
        offers,
        status: field(&q.status),
        statuses,
        pager,
        today: st.today().to_string(),
        error,
    };
    if view.error.is_some() {
        render_invalid(view)
    } else {
        render(view)
    }
}

async fn show_campaign(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<OffersQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "要约行动")?;
    campaign_view(&st, &ctx, id, &q, None).await
}

async fn send(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "要约行动")?;
    let input = SendInput {
        offers: Vec::new(),
        sent_on: one(&pairs, "sent_on"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = offers::send(&st.reg.db, &actor, id, &input, st.today()).await;
    let all = OffersQuery::default();
    after_form(result.map(|_| format!("/contracts/campaigns/{id}")), |m| {
        campaign_view(&st, &ctx, id, &all, Some(m))
    })
    .await
}

async fn answer(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "协商要约")?;
    let offer = offers::offer(&st.reg.db, &ctx.caller.scope, id).await?;
    let input = AnswerInput {
        version: number(&pairs, "version").unwrap_or(-1),
        answer: one(&pairs, "answer").unwrap_or_default(),
        on: one(&pairs, "on"),
        reason: one(&pairs, "reason"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = offers::answer(&st.reg.db, &actor, id, &input, st.today()).await;
    let (campaign, all) = (offer.campaign_id, OffersQuery::default());
    after_form(
        result.map(|_| format!("/contracts/campaigns/{campaign}")),
        |m| campaign_view(&st, &ctx, campaign, &all, Some(m)),
    )
    .await
}

// ---------- an employer ----------

#[derive(Template)]
#[template(path = "contracts/employer.html")]
struct EmployerPage {
    shell: Shell,
    unit_id: i64,
    d: EmployerDemocracy,
    contracts: Vec<Contract>,
    year: i64,
    frequencies: &'static [&'static str],
    motion_statuses: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

impl EmployerPage {
    fn mark(&self, v: &i64) -> &'static str {
        if *v == 1 { "已建立" } else { "未建立" }
    }
    fn motion_label(&self, code: &str) -> &'static str {
        MotionStatus::parse(code).map(Named::label).unwrap_or("")
    }
    fn this_year(&self) -> Option<&democracy::Checklist> {
        self.d.checklists.iter().find(|c| c.year == self.year)
    }
}

async fn employer_view(st: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> PageResult {
    let db = &st.reg.db;
    let d = democracy::of_employer(db, &ctx.caller.scope, id).await?;
    let f = ListFilter {
        unit: Some(id.to_string()),
        ..Default::default()
    };
    let (contracts, _) =
        contract::list(db, &crate::registry::scope::Scope::all(), &f, st.today()).await?;
    let view = EmployerPage {
        shell: ctx.shell(format!("{} · 集体协商与民主管理", d.unit_name), "contracts"),
        unit_id: id,
        d,
        contracts,
        year: i64::from(st.today().year()),
        frequencies: democracy::FREQUENCIES,
        motion_statuses: MotionStatus::all()
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        error,
    };
    if view.error.is_some() {
        render_invalid(view)
    } else {
        render(view)
    }
}

async fn show_employer(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "单位")?;
    employer_view(&st, &ctx, id, None).await
}

async fn checklist(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "单位")?;
    let ticked = |k: &str| one(&pairs, k).is_some();
    let input = ChecklistInput {
        congress: ticked("congress"),
        disclosure: ticked("disclosure"),
        supervision: ticked("supervision"),
        grievance: ticked("grievance"),
        note: one(&pairs, "note"),
    };
    let year = i64::from(st.today().year());
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = democracy::confirm(&st.reg.db, &actor, id, year, &input, st.today()).await;
    after_form(result.map(|_| format!("/contracts/employers/{id}")), |m| {
        employer_view(&st, &ctx, id, Some(m))
    })
    .await
}

async fn congress(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "单位")?;
    let input = CongressInput {
        kind: one(&pairs, "kind"),
        session: one(&pairs, "session"),
        held_on: one(&pairs, "held_on"),
        delegates: number(&pairs, "delegates"),
        present: number(&pairs, "present"),
        note: one(&pairs, "note"),
        motions: one(&pairs, "motions")
            .map(|m| m.lines().map(str::to_string).collect())
            .unwrap_or_default(),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = democracy::add_congress(&st.reg.db, &actor, id, &input, st.today()).await;
    after_form(result.map(|_| format!("/contracts/employers/{id}")), |m| {
        employer_view(&st, &ctx, id, Some(m))
    })
    .await
}

async fn disclosure(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "单位")?;
    let input = DisclosureInput {
        year: number(&pairs, "year"),
        item: one(&pairs, "item"),
        channel: one(&pairs, "channel"),
        frequency: one(&pairs, "frequency"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = democracy::add_disclosure(&st.reg.db, &actor, id, &input, st.today()).await;
    after_form(result.map(|_| format!("/contracts/employers/{id}")), |m| {
        employer_view(&st, &ctx, id, Some(m))
    })
    .await
}

async fn motion(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "提案")?;
    let unit = one(&pairs, "unit")
        .and_then(|u| u.parse::<i64>().ok())
        .unwrap_or(0);
    let input = MotionInput {
        status: one(&pairs, "status"),
        handling: one(&pairs, "handling"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    match democracy::handle_motion(&st.reg.db, &actor, id, &input).await {
        Ok(()) => done(&format!("/contracts/employers/{unit}"), "saved"),
        Err(e) if super::correctable(&e) && unit != 0 => {
            employer_view(&st, &ctx, unit, Some(super::problem(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------- the employers behind the figures ----------

#[derive(Debug, Default, Deserialize)]
struct CoveredQuery {
    org: Option<String>,
    at: Option<String>,
    kind: Option<String>,
    unionised: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "contracts/covered.html")]
struct CoveredPage {
    shell: Shell,
    org_code: String,
    org_name: String,
    at: String,
    kind: String,
    unionised: bool,
    kinds: Vec<(&'static str, &'static str)>,
    rows: Vec<figures::Covered>,
    pager: Pager,
    export: String,
}

impl CoveredPage {
    fn kinds_of(&self, codes: &str) -> String {
        codes
            .split(',')
            .filter_map(Kind::parse)
            .map(Named::label)
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The employers a coverage figure counts (集体合同覆盖单位, 职工, 建制率), each once.
async fn covered(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<CoveredQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let unionised = field(&q.unionised).as_deref() == Some("true");
    let api_q = crate::web::api::contracts::CoveredQuery {
        org: field(&q.org),
        at: field(&q.at),
        kind: field(&q.kind),
        unionised: Some(unionised),
        page: None,
    };
    let (org, at, filter) =
        crate::web::api::contracts::covered_query(&st, &ctx.caller, &api_q).await?;
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let (rows, total) = figures::covered(&st.reg.db, &org.path, at, filter, (page, 50)).await?;
    let params = [
        ("org", Some(org.code.clone())),
        ("at", Some(at.to_string())),
        ("kind", filter.kind.map(|k| k.code().to_string())),
        ("unionised", unionised.then(|| "true".to_string())),
    ];
    let export = format!(
        "/api/v1/contracts/covered/export?{}",
        super::query_of(&params)
    );
    let title = if unionised {
        "有有效集体合同的已建会单位"
    } else {
        "集体合同覆盖单位"
    };
    render(CoveredPage {
        shell: ctx.shell(title, "contracts"),
        org_code: org.code.clone(),
        org_name: org.name,
        at: at.to_string(),
        kind: filter
            .kind
            .map(|k| k.code().to_string())
            .unwrap_or_default(),
        unionised,
        kinds: Kind::all().iter().map(|s| (s.code(), s.label())).collect(),
        rows,
        pager: Pager::new("/contracts/covered", &params, page, 50, total, "家"),
        export,
    })
}

#[derive(Debug, Default, Deserialize)]
struct ChecklistsQuery {
    org: Option<String>,
    year: Option<String>,
    has: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "contracts/checklists.html")]
struct ChecklistsPage {
    shell: Shell,
    org_code: String,
    org_name: String,
    year: i64,
    has: String,
    rows: Vec<democracy::CheckedEmployer>,
    pager: Pager,
}

impl ChecklistsPage {
    fn mark(&self, v: &i64) -> &'static str {
        if *v == 1 { "✓" } else { "—" }
    }
}

/// The employers whose yearly checklist is confirmed (职代会 / 厂务公开 建制率's numerators).
async fn checklists(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ChecklistsQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let db = &st.reg.db;
    let org = match field(&q.org) {
        Some(code) => crate::registry::orgs::get_by_code(db, &ctx.caller.scope, &code).await?,
        None => crate::registry::orgs::scope_root(db, &ctx.caller.scope)
            .await?
            .ok_or_else(|| AppError::not_found("工会"))?,
    };
    let year = match field(&q.year) {
        Some(y) => y
            .parse::<i64>()
            .ok()
            .filter(|y| (1949..=9999).contains(y))
            .ok_or_else(|| AppError::invalid("年度应为四位数字，如 2026"))?,
        None => i64::from(st.today().year()),
    };
    let has = field(&q.has);
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let (rows, total) = democracy::checked(db, &org.path, year, has.as_deref(), page).await?;
    let title = match has.as_deref() {
        Some("congress") => "建立职代会制度的已建会单位",
        Some("disclosure") => "实行厂务公开的已建会单位",
        _ => "民主管理年度确认",
    };
    let pager = Pager::new(
        "/contracts/checklists",
        &[
            ("org", Some(org.code.clone())),
            ("year", Some(year.to_string())),
            ("has", has.clone()),
        ],
        page,
        50,
        total,
        "家",
    );
    render(ChecklistsPage {
        shell: ctx.shell(title, "contracts"),
        org_code: org.code,
        org_name: org.name,
        year,
        has: has.unwrap_or_default(),
        rows,
        pager,
    })
}
