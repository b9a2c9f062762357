//! Casework in the console: the petition queue with its filters, the intake form, a case page
//! with its timeline and the steps it allows now; disputes (mediation, legal aid) the same
//! way; the roster of mediators and lawyers; the cases behind a figure.

use super::choices;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use serde::Deserialize;

use super::case_files::FilesPanel;
use super::{Ctx, Form, PageResult, Shell, done, field, query_of, render, render_invalid};
use crate::app::AppState;
use crate::casework::disputes::{
    self, AidResult, AidStage, Dispute, DisputeFilter, DisputeInput, DisputeStep, Referral, Worker,
};
use crate::casework::figures::{self as case_figures, CaseList, Side};
use crate::casework::petitions::{
    self, Deadlines, IntakeInput, Petition, QueueFilter, Satisfaction, StepInput,
};
use crate::casework::roster::{self, Advocate, AdvocateInput};
use crate::casework::{MODULE, disputes::Kind as DisputeKind};
use crate::error::{AppError, FieldIssue};
use crate::people::PersonInput;
use crate::registry::stats::{self, StatsQuery};
use crate::web::api::casework::{Register, RegisterQuery, register_file};
use crate::web::api::parse_id;
use crate::workflow::Named;
use crate::workflow::history::HistoryRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/casework", get(queue))
        .route("/casework/new", get(new_petition).post(create_petition))
        .route(
            "/casework/export",
            get(|st, ctx, q| export_register(Register::Petitions, st, ctx, q)),
        )
        .route("/casework/{id}", get(show_petition))
        .route("/casework/{id}/step", axum::routing::post(step_petition))
        .route("/casework/disputes", get(dispute_list))
        .route(
            "/casework/disputes/new",
            get(new_dispute).post(create_dispute),
        )
        .route(
            "/casework/disputes/export",
            get(|st, ctx, q| export_register(Register::Disputes, st, ctx, q)),
        )
        .route("/casework/disputes/{id}", get(show_dispute))
        .route(
            "/casework/disputes/{id}/step",
            axum::routing::post(step_dispute),
        )
        .route("/casework/roster", get(roster_page).post(add_advocate))
        .route(
            "/casework/roster/{id}/status",
            axum::routing::post(set_advocate_status),
        )
        .route("/casework/figures/{key}", get(figure_cases))
        .route("/casework/figures/{key}/export", get(export_figure_cases))
}

/// Choices of a coded field: (code, label).
/// A step's recorded detail in words for the timeline (the JSON kept in the history).
pub fn detail_words(detail: &str) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(detail)
    else {
        return String::new();
    };
    fn coded<T: Named>(v: &str) -> String {
        T::parse(v).map(Named::label).unwrap_or(v).to_string()
    }
    let mut out = Vec::new();
    for (key, value) in &map {
        let v = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => continue,
        };
        let (label, shown) = match key.as_str() {
            "channel" => ("渠道", coded::<petitions::Channel>(&v)),
            "to_org" => ("交办给", v),
            "method" => ("答复方式", v),
            "satisfaction" => ("回访结果", coded::<Satisfaction>(&v)),
            "reason" => ("理由", v),
            "note" => ("说明", v),
            "days" => ("延长天数", v),
            "due" => ("已过期限", v),
            "advocate" => ("指派", v),
            "held_on" => ("调解日期", v),
            "stage" => ("阶段", coded::<AidStage>(&v)),
            "result" => ("结果", coded::<AidResult>(&v)),
            "referred_to" => ("去向", coded::<Referral>(&v)),
            "amount_claimed" => ("请求金额（元）", v),
            "amount_agreed" => ("协议金额（元）", v),
            "amount_paid" => ("履行金额（元）", v),
            "amount_recovered" => ("挽回金额（元）", v),
            "confirmed_on" => ("司法确认日期", v),
            "court_ref" => ("裁定书号", v),
            "workers" => ("涉及人数", v),
            _ => continue,
        };
        out.push(format!("{label}：{shown}"));
    }
    out.join("；")
}

fn standing_tag(s: Option<&str>) -> (&'static str, &'static str) {
    match s {
        Some("overdue") => ("bad", "已超期"),
        Some("near") => ("warn", "即将到期"),
        Some(_) => ("ok", "期限内"),
        None => ("", ""),
    }
}

// ---------- the petition queue ----------

#[derive(Template)]
#[template(path = "casework/queue.html")]
struct QueuePage {
    shell: Shell,
    rows: Vec<Petition>,
    filter: QueueForm,
    statuses: Vec<(&'static str, &'static str)>,
    page: i64,
    next: Option<String>,
    prev: Option<String>,
}

impl QueuePage {
    fn tag(&self, p: &Petition) -> (&'static str, &'static str) {
        standing_tag(p.due_standing.as_deref())
    }
    fn sel(&self, v: &Option<String>, code: &str) -> bool {
        v.as_deref() == Some(code)
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
struct QueueForm {
    org: Option<String>,
    status: Option<String>,
    due: Option<String>,
    mine: Option<String>,
    escalated: Option<String>,
    page: Option<i64>,
}

impl QueueForm {
    fn link(&self, page: i64) -> String {
        format!(
            "/casework?{}",
            query_of(&[
                ("org", field(&self.org)),
                ("status", field(&self.status)),
                ("due", field(&self.due)),
                ("mine", field(&self.mine)),
                ("escalated", field(&self.escalated)),
                ("page", Some(page.to_string())),
            ])
        )
    }
}

async fn queue(State(st): State<AppState>, ctx: Ctx, Query(q): Query<QueueForm>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let f = QueueFilter {
        org: field(&q.org),
        status: field(&q.status),
        due: field(&q.due),
        mine: field(&q.mine).map(|v| v == "true"),
        escalated: field(&q.escalated).map(|v| v == "true"),
        page: Some(page),
        per_page: Some(50),
    };
    let rows = petitions::queue(
        &st.reg.db,
        &ctx.caller.scope,
        &f,
        ctx.caller.account_id,
        st.today(),
    )
    .await?;
    let next = (rows.len() == 50).then(|| q.link(page + 1));
    let prev = (page > 1).then(|| q.link(page - 1));
    render(QueuePage {
        shell: ctx.shell("职工诉求", "casework"),
        rows,
        statuses: choices::<petitions::Status>(),
        filter: q,
        page,
        next,
        prev,
    })
}

// ---------- intake ----------

#[derive(Debug, Default, Clone, Deserialize)]
struct IntakeForm {
    org_code: Option<String>,
    channel: Option<String>,
    kind: Option<String>,
    category: Option<String>,
    member_id: Option<String>,
    requester_name: Option<String>,
    requester_id_number: Option<String>,
    requester_mobile: Option<String>,
    unit_uscc: Option<String>,
    unit_name: Option<String>,
    summary: Option<String>,
    received_on: Option<String>,
    repeat_of: Option<String>,
}

#[derive(Template)]
#[template(path = "casework/intake.html")]
struct IntakePage {
    shell: Shell,
    form: IntakeForm,
    error: Option<String>,
    issues: Vec<FieldIssue>,
    channels: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
}

impl IntakePage {
    fn v(&self, name: &str) -> String {
        let f = &self.form;
        match name {
            "org_code" => &f.org_code,
            "channel" => &f.channel,
            "kind" => &f.kind,
            "category" => &f.category,
            "member_id" => &f.member_id,
            "requester_name" => &f.requester_name,
            "requester_mobile" => &f.requester_mobile,
            "unit_uscc" => &f.unit_uscc,
            "unit_name" => &f.unit_name,
            "summary" => &f.summary,
            "received_on" => &f.received_on,
            "repeat_of" => &f.repeat_of,
            // A whole ID number is never sent back into a page.
            _ => &None,
        }
        .clone()
        .unwrap_or_default()
    }

    fn issue(&self, label: &str) -> Option<&str> {
        self.issues
            .iter()
            .find(|i| i.field == label)
            .map(|i| i.message.as_str())
    }
}

fn intake_page(ctx: &Ctx, form: IntakeForm, e: Option<AppError>) -> IntakePage {
    IntakePage {
        shell: ctx.shell("登记诉求", "casework"),
        form,
        error: e.as_ref().map(|e| e.message().to_string()),
        issues: e.map(|e| e.fields().to_vec()).unwrap_or_default(),
        channels: choices::<petitions::Channel>()
            .into_iter()
            .filter(|(c, _)| *c != "member_app")
            .collect(),
        kinds: choices::<petitions::Kind>(),
        categories: choices::<petitions::Category>(),
    }
}

async fn new_petition(ctx: Ctx) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    render(intake_page(&ctx, IntakeForm::default(), None))
}

async fn create_petition(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<IntakeForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let input = IntakeInput {
        org_code: field(&f.org_code),
        channel: field(&f.channel),
        kind: field(&f.kind),
        category: field(&f.category),
        member_id: field(&f.member_id),
        requester_name: field(&f.requester_name),
        requester_id_number: field(&f.requester_id_number),
        requester_mobile: field(&f.requester_mobile),
        unit_uscc: field(&f.unit_uscc),
        unit_name: field(&f.unit_name),
        summary: field(&f.summary),
        received_on: field(&f.received_on),
        repeat_of: field(&f.repeat_of),
    };
    let now = st.auth.now();
    match petitions::intake(
        &st.reg.db,
        &st.reg.keys,
        &ctx.caller.actor(&st.reg.keys),
        &input,
        None,
        Deadlines::from_config(&st.config),
        st.today(),
        now,
    )
    .await
    {
        Ok(p) => done(&format!("/casework/{}", p.id), "case_created"),
        Err(e) if e.status().is_client_error() => render_invalid(intake_page(&ctx, f, Some(e))),
        Err(e) => Err(e.into()),
    }
}

// ---------- a petition ----------

#[derive(Template)]
#[template(path = "casework/petition.html")]
pub(super) struct PetitionPage {
    shell: Shell,
    p: Petition,
    history: Vec<HistoryRow>,
    /// The steps the workflow allows now.
    actions: Vec<&'static str>,
    error: Option<String>,
    satisfactions: Vec<(&'static str, &'static str)>,
    extension_max: u32,
    files: FilesPanel,
}

impl PetitionPage {
    fn can(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }
    fn tag(&self) -> (&'static str, &'static str) {
        standing_tag(self.p.due_standing.as_deref())
    }
    fn action_label(&self, code: &str) -> &'static str {
        match code {
            "intake" => "登记",
            "escalate" => "超期督办",
            c => petitions::Action::parse(c)
                .map(Named::label)
                .unwrap_or("办理"),
        }
    }
    fn status_label(&self, code: &str) -> &'static str {
        petitions::Status::parse(code)
            .map(Named::label)
            .unwrap_or("")
    }
}

pub(super) async fn petition_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
) -> Result<PetitionPage, AppError> {
    let scope = &ctx.caller.scope;
    let p = petitions::get(&st.reg.db, scope, id, st.today()).await?;
    let status = petitions::Status::parse(&p.status).unwrap_or(petitions::Status::Received);
    let mut actions: Vec<&'static str> = petitions::TABLE
        .iter()
        .filter(|s| s.from == status)
        .map(|s| match s.action {
            petitions::Action::Satisfied | petitions::Action::Unsatisfied => "call_back",
            a => a.code(),
        })
        .collect();
    actions.dedup();
    if p.extended_days > 0 {
        actions.retain(|a| *a != "extend");
    }
    Ok(PetitionPage {
        shell: ctx.shell(format!("诉求 · {}", p.category_label), "casework"),
        history: petitions::timeline(&st.reg.db, scope, id).await?,
        p,
        actions,
        error,
        satisfactions: choices::<Satisfaction>(),
        extension_max: st.config.petition_extension_max_days,
        files: FilesPanel::of(
            st,
            petitions::files_of(&st.reg.db, scope, id).await?,
            format!("/casework/{id}"),
        )
        .await?,
    })
}

async fn show_petition(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "诉求")?;
    render(petition_page(&st, &ctx, id, None).await?)
}

#[derive(Debug, Default, Deserialize)]
struct PetitionStepForm {
    action: Option<String>,
    version: Option<i64>,
    reason: Option<String>,
    to_org: Option<String>,
    note: Option<String>,
    days: Option<String>,
    text: Option<String>,
    method: Option<String>,
    satisfaction: Option<String>,
}

fn petition_step(f: &PetitionStepForm) -> Result<StepInput, AppError> {
    let text = |v: &Option<String>| field(v).unwrap_or_default();
    let version = f.version;
    Ok(match f.action.as_deref().unwrap_or("") {
        "accept" => StepInput::Accept { version },
        "refuse" => StepInput::Refuse {
            version,
            reason: text(&f.reason),
        },
        "dispatch" => StepInput::Dispatch {
            version,
            to_org: text(&f.to_org),
            note: field(&f.note),
        },
        "extend" => StepInput::Extend {
            version,
            days: text(&f.days)
                .parse()
                .map_err(|_| AppError::invalid("延长天数应为整数"))?,
            reason: text(&f.reason),
        },
        "reply" => StepInput::Reply {
            version,
            text: text(&f.text),
            method: text(&f.method),
        },
        "call_back" => StepInput::CallBack {
            version,
            satisfaction: field(&f.satisfaction)
                .as_deref()
                .and_then(Satisfaction::parse)
                .ok_or_else(|| AppError::invalid("请选择回访结果"))?,
            note: field(&f.note),
        },
        "close" => StepInput::Close {
            version,
            note: text(&f.note),
        },
        _ => return Err(AppError::invalid("未知的办理操作")),
    })
}

async fn step_petition(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PetitionStepForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "诉求")?;
    // Another subtree's case is not found, whatever the form holds.
    petitions::get(&st.reg.db, &ctx.caller.scope, id, st.today()).await?;
    let result = match petition_step(&f) {
        Ok(step) => {
            petitions::step(
                &st.reg.db,
                &ctx.caller.actor(&st.reg.keys),
                id,
                &step,
                Deadlines::from_config(&st.config),
                st.today(),
                st.auth.now(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => done(&format!("/casework/{id}"), "case_step"),
        Err(e)
            if e.status().is_client_error() && e.status() != axum::http::StatusCode::NOT_FOUND =>
        {
            render_invalid(petition_page(&st, &ctx, id, Some(e.message().to_string())).await?)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------- disputes ----------

#[derive(Debug, Default, Clone, Deserialize)]
struct DisputeQuery {
    kind: Option<String>,
    status: Option<String>,
    due: Option<String>,
    org: Option<String>,
    /// One mediator's or lawyer's cases (from the roster).
    advocate: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "casework/disputes.html")]
struct DisputesPage {
    shell: Shell,
    rows: Vec<Dispute>,
    filter: DisputeQuery,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    next: Option<String>,
    prev: Option<String>,
}

impl DisputesPage {
    fn tag(&self, d: &Dispute) -> (&'static str, &'static str) {
        standing_tag(d.due_standing.as_deref())
    }
    fn sel(&self, v: &Option<String>, code: &str) -> bool {
        v.as_deref() == Some(code)
    }
}

impl DisputeQuery {
    fn link(&self, page: i64) -> String {
        format!(
            "/casework/disputes?{}",
            query_of(&[
                ("kind", field(&self.kind)),
                ("status", field(&self.status)),
                ("due", field(&self.due)),
                ("org", field(&self.org)),
                ("advocate", field(&self.advocate)),
                ("page", Some(page.to_string())),
            ])
        )
    }
}

async fn dispute_list(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DisputeQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let f = DisputeFilter {
        kind: field(&q.kind),
        org: field(&q.org),
        status: field(&q.status),
        advocate: field(&q.advocate),
        due: field(&q.due),
        page: Some(page),
        per_page: Some(50),
    };
    let rows = disputes::list(&st.reg.db, &ctx.caller.scope, &f, st.today()).await?;
    render(DisputesPage {
        shell: ctx.shell("调解与法律援助", "casework"),
        next: (rows.len() == 50).then(|| q.link(page + 1)),
        prev: (page > 1).then(|| q.link(page - 1)),
        rows,
        filter: q,
        kinds: choices::<DisputeKind>(),
        statuses: choices::<disputes::Status>(),
    })
}

#[derive(Debug, Default, Clone, Deserialize)]
struct DisputeForm {
    kind: Option<String>,
    org_code: Option<String>,
    source: Option<String>,
    source_ref: Option<String>,
    claim: Option<String>,
    amount_claimed: Option<String>,
    unit_uscc: Option<String>,
    unit_name: Option<String>,
    /// One worker per line: 姓名，身份证号，手机号 (the last two optional).
    workers: Option<String>,
    workers_involved: Option<String>,
    summary: Option<String>,
    received_on: Option<String>,
}

#[derive(Template)]
#[template(path = "casework/dispute_form.html")]
struct DisputeFormPage {
    shell: Shell,
    form: DisputeForm,
    error: Option<String>,
    issues: Vec<FieldIssue>,
    kinds: Vec<(&'static str, &'static str)>,
    sources: Vec<(&'static str, &'static str)>,
    claims: Vec<(&'static str, &'static str)>,
}

impl DisputeFormPage {
    fn v(&self, name: &str) -> String {
        let f = &self.form;
        match name {
            "kind" => &f.kind,
            "org_code" => &f.org_code,
            "source" => &f.source,
            "source_ref" => &f.source_ref,
            "claim" => &f.claim,
            "amount_claimed" => &f.amount_claimed,
            "unit_uscc" => &f.unit_uscc,
            "unit_name" => &f.unit_name,
            "workers_involved" => &f.workers_involved,
            "summary" => &f.summary,
            "received_on" => &f.received_on,
            _ => &None,
        }
        .clone()
        .unwrap_or_default()
    }
}

fn dispute_form_page(ctx: &Ctx, form: DisputeForm, e: Option<AppError>) -> DisputeFormPage {
    DisputeFormPage {
        shell: ctx.shell("登记调解或法律援助案件", "casework"),
        form,
        error: e.as_ref().map(|e| e.message().to_string()),
        issues: e.map(|e| e.fields().to_vec()).unwrap_or_default(),
        kinds: choices::<DisputeKind>(),
        sources: choices::<disputes::Source>(),
        claims: choices::<disputes::Claim>(),
    }
}

async fn new_dispute(ctx: Ctx) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    render(dispute_form_page(&ctx, DisputeForm::default(), None))
}

/// The workers typed one per line (`姓名，身份证号，手机号`, commas of either width).
fn workers_of(text: &str) -> Vec<PersonInput> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.split([',', '，', '\t']).map(str::trim);
            PersonInput {
                name: parts.next().map(str::to_string),
                id_number: parts.next().filter(|s| !s.is_empty()).map(str::to_string),
                mobile: parts.next().filter(|s| !s.is_empty()).map(str::to_string),
                member_id: None,
            }
        })
        .collect()
}

async fn create_dispute(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<DisputeForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let involved = match field(&f.workers_involved) {
        None => None,
        Some(n) => match n.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                let e = AppError::invalid("涉及人数应为正整数");
                return render_invalid(dispute_form_page(&ctx, f, Some(e)));
            }
        },
    };
    let input = DisputeInput {
        kind: field(&f.kind),
        org_code: field(&f.org_code),
        source: field(&f.source),
        source_ref: field(&f.source_ref),
        claim: field(&f.claim),
        amount_claimed: field(&f.amount_claimed),
        unit_uscc: field(&f.unit_uscc),
        unit_name: field(&f.unit_name),
        workers: workers_of(&field(&f.workers).unwrap_or_default()),
        workers_involved: involved,
        summary: field(&f.summary),
        received_on: field(&f.received_on),
    };
    match disputes::register(
        &st.reg.db,
        &st.reg.keys,
        &ctx.caller.actor(&st.reg.keys),
        &input,
        st.config.mediation_days,
        st.today(),
        st.auth.now(),
    )
    .await
    {
        Ok(d) => done(&format!("/casework/disputes/{}", d.id), "case_created"),
        Err(e) if e.status().is_client_error() => {
            // Worker lines may hold ID numbers: they are typed again, never sent back.
            let kept = DisputeForm { workers: None, ..f };
            render_invalid(dispute_form_page(&ctx, kept, Some(e)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "casework/dispute.html")]
pub(super) struct DisputePage {
    shell: Shell,
    d: Dispute,
    workers: Vec<Worker>,
    history: Vec<HistoryRow>,
    actions: Vec<&'static str>,
    advocates: Vec<Advocate>,
    error: Option<String>,
    stages: Vec<(&'static str, &'static str)>,
    results: Vec<(&'static str, &'static str)>,
    referrals: Vec<(&'static str, &'static str)>,
    files: FilesPanel,
}

impl DisputePage {
    fn can(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }
    fn tag(&self) -> (&'static str, &'static str) {
        standing_tag(self.d.due_standing.as_deref())
    }
    fn action_label(&self, code: &str) -> &'static str {
        match code {
            "register" => "登记",
            "escalate" => "超期督办",
            c => disputes::Action::parse(c)
                .map(Named::label)
                .unwrap_or("办理"),
        }
    }
    fn status_label(&self, code: &str) -> &'static str {
        disputes::Status::parse(code)
            .map(Named::label)
            .unwrap_or("")
    }
    fn is_mediation(&self) -> bool {
        self.d.kind == "mediation"
    }
}

pub(super) async fn dispute_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
) -> Result<DisputePage, AppError> {
    let scope = &ctx.caller.scope;
    let d = disputes::get(&st.reg.db, scope, id, st.today()).await?;
    let kind = DisputeKind::parse(&d.kind).unwrap_or(DisputeKind::Mediation);
    let status = disputes::Status::parse(&d.status).unwrap_or(disputes::Status::Registered);
    let mut actions: Vec<&'static str> = kind
        .table()
        .iter()
        .filter(|s| s.from == status)
        .map(|s| s.action.code())
        .collect();
    if d.confirmed_on.is_some() {
        actions.retain(|a| *a != "confirm");
    }
    let role = match kind {
        DisputeKind::Mediation => roster::Role::Mediator,
        DisputeKind::LegalAid => roster::Role::Lawyer,
    };
    let advocates = roster::list(&st.reg.db, scope, Some(role))
        .await?
        .into_iter()
        .filter(|a| a.active == 1)
        .collect();
    Ok(DisputePage {
        shell: ctx.shell(format!("{} · {}", d.kind_label, d.claim_label), "casework"),
        workers: disputes::workers(&st.reg.db, scope, id).await?,
        history: disputes::timeline(&st.reg.db, scope, id).await?,
        d,
        actions,
        advocates,
        error,
        stages: choices::<AidStage>(),
        results: choices::<AidResult>(),
        referrals: choices::<Referral>(),
        files: FilesPanel::of(
            st,
            disputes::files_of(&st.reg.db, scope, id).await?,
            format!("/casework/disputes/{id}"),
        )
        .await?,
    })
}

async fn show_dispute(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "案件")?;
    render(dispute_page(&st, &ctx, id, None).await?)
}

#[derive(Debug, Default, Deserialize)]
struct DisputeStepForm {
    action: Option<String>,
    version: Option<i64>,
    advocate_id: Option<String>,
    held_on: Option<String>,
    note: Option<String>,
    stage: Option<String>,
    amount_agreed: Option<String>,
    amount_paid: Option<String>,
    referred_to: Option<String>,
    result: Option<String>,
    amount_recovered: Option<String>,
    reason: Option<String>,
    confirmed_on: Option<String>,
    court_ref: Option<String>,
}

fn dispute_step_of(f: &DisputeStepForm) -> Result<DisputeStep, AppError> {
    let text = |v: &Option<String>| field(v).unwrap_or_default();
    fn coded<T: Named>(v: &Option<String>, what: &str) -> Result<T, AppError> {
        field(v)
            .as_deref()
            .and_then(T::parse)
            .ok_or_else(|| AppError::invalid(format!("请选择{what}")))
    }
    let version = f.version;
    Ok(match f.action.as_deref().unwrap_or("") {
        "assign" => DisputeStep::Assign {
            version,
            advocate_id: text(&f.advocate_id),
        },
        "session" => DisputeStep::Session {
            version,
            held_on: field(&f.held_on),
            note: text(&f.note),
        },
        "stage" => DisputeStep::Stage {
            version,
            stage: coded(&f.stage, "办理阶段")?,
            note: field(&f.note),
        },
        "agree" => DisputeStep::Agree {
            version,
            amount_agreed: text(&f.amount_agreed),
            amount_paid: field(&f.amount_paid),
            note: field(&f.note),
        },
        "fail" => DisputeStep::Fail {
            version,
            referred_to: coded(&f.referred_to, "去向")?,
            note: field(&f.note),
        },
        "conclude" => DisputeStep::Conclude {
            version,
            result: coded(&f.result, "结果")?,
            amount_recovered: field(&f.amount_recovered),
            note: field(&f.note),
        },
        "withdraw" => DisputeStep::Withdraw {
            version,
            reason: text(&f.reason),
        },
        "confirm" => DisputeStep::Confirm {
            version,
            confirmed_on: field(&f.confirmed_on),
            court_ref: field(&f.court_ref),
        },
        "pay" => DisputeStep::Pay {
            version,
            amount_paid: text(&f.amount_paid),
        },
        _ => return Err(AppError::invalid("未知的办理操作")),
    })
}

async fn step_dispute(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DisputeStepForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "案件")?;
    disputes::get(&st.reg.db, &ctx.caller.scope, id, st.today()).await?;
    let result = match dispute_step_of(&f) {
        Ok(step) => {
            disputes::take_step(
                &st.reg.db,
                &ctx.caller.actor(&st.reg.keys),
                id,
                &step,
                st.today(),
                st.auth.now(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => done(&format!("/casework/disputes/{id}"), "case_step"),
        Err(e)
            if e.status().is_client_error() && e.status() != axum::http::StatusCode::NOT_FOUND =>
        {
            render_invalid(dispute_page(&st, &ctx, id, Some(e.message().to_string())).await?)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------- the roster ----------

#[derive(Debug, Default, Clone, Deserialize)]
struct AdvocateForm {
    org_code: Option<String>,
    role: Option<String>,
    name: Option<String>,
    organisation: Option<String>,
    mobile: Option<String>,
}

#[derive(Template)]
#[template(path = "casework/roster.html")]
struct RosterPage {
    shell: Shell,
    rows: Vec<Advocate>,
    form: AdvocateForm,
    error: Option<String>,
    roles: Vec<(&'static str, &'static str)>,
    /// The caller's scope: only its own people can be taken off the roster or put back.
    scope: crate::registry::scope::Scope,
}

impl RosterPage {
    fn editable(&self, a: &Advocate) -> bool {
        self.scope.contains(&a.org_path)
    }
    fn v(&self, name: &str) -> String {
        let f = &self.form;
        match name {
            "org_code" => &f.org_code,
            "role" => &f.role,
            "name" => &f.name,
            "organisation" => &f.organisation,
            "mobile" => &f.mobile,
            _ => &None,
        }
        .clone()
        .unwrap_or_default()
    }
}

async fn roster_render(
    st: &AppState,
    ctx: &Ctx,
    form: AdvocateForm,
    error: Option<AppError>,
) -> PageResult {
    let page = RosterPage {
        shell: ctx.shell("调解员与律师名录", "casework"),
        rows: roster::list(&st.reg.db, &ctx.caller.scope, None).await?,
        form,
        roles: choices::<roster::Role>(),
        scope: ctx.caller.scope.clone(),
        error: error.map(|e| {
            let mut m = e.message().to_string();
            for i in e.fields() {
                m.push_str(&format!("；{}：{}", i.field, i.message));
            }
            m
        }),
    };
    if page.error.is_some() {
        render_invalid(page)
    } else {
        render(page)
    }
}

async fn roster_page(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    roster_render(&st, &ctx, AdvocateForm::default(), None).await
}

async fn add_advocate(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<AdvocateForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let input = AdvocateInput {
        org_code: field(&f.org_code),
        role: field(&f.role),
        name: field(&f.name),
        organisation: field(&f.organisation),
        mobile: field(&f.mobile),
    };
    match roster::add(
        &st.reg.db,
        &st.reg.keys,
        &ctx.caller.actor(&st.reg.keys),
        &input,
        st.auth.now(),
    )
    .await
    {
        Ok(_) => done("/casework/roster", "saved"),
        Err(e) if e.status().is_client_error() => roster_render(&st, &ctx, f, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
struct RosterStatusForm {
    active: Option<String>,
    reason: Option<String>,
}

async fn set_advocate_status(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<RosterStatusForm>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "调解员或律师")?;
    match roster::set_active(
        &st.reg.db,
        &ctx.caller.actor(&st.reg.keys),
        &ctx.caller.scope,
        id,
        f.active.as_deref() == Some("1"),
        f.reason.as_deref().unwrap_or(""),
        st.auth.now(),
    )
    .await
    {
        Ok(_) => done("/casework/roster", "saved"),
        Err(e)
            if e.status().is_client_error() && e.status() != axum::http::StatusCode::NOT_FOUND =>
        {
            roster_render(&st, &ctx, AdvocateForm::default(), Some(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------- the cases behind a figure ----------

#[derive(Debug, Default, Deserialize)]
struct FigureQuery {
    org: Option<String>,
    from: Option<String>,
    to: Option<String>,
    side: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "casework/figure.html")]
struct FigurePage {
    shell: Shell,
    list: CaseList,
    org_name: String,
    from: String,
    to: String,
    next: Option<String>,
    prev: Option<String>,
    export: String,
}

impl FigurePage {
    fn href(&self, case_type: &str, id: &i64) -> String {
        match case_type {
            "dispute" => format!("/casework/disputes/{id}"),
            _ => format!("/casework/{id}"),
        }
    }
    fn status_label(&self, case_type: &str, code: &str) -> &'static str {
        match case_type {
            "dispute" => disputes::Status::parse(code)
                .map(Named::label)
                .unwrap_or(""),
            _ => petitions::Status::parse(code)
                .map(Named::label)
                .unwrap_or(""),
        }
    }
    fn yuan(&self, fen: &Option<i64>) -> String {
        fen.map(|f| crate::types::Fen(f).to_string())
            .unwrap_or_default()
    }
}

async fn figure_cases(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(key): Path<String>,
    Query(q): Query<FigureQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let (org, period) = stats::resolve(
        &st.reg.db,
        &ctx.caller.scope,
        &StatsQuery {
            org: field(&q.org),
            from: field(&q.from),
            to: field(&q.to),
        },
    )
    .await?;
    let side = match field(&q.side).as_deref() {
        Some("denominator") => Side::Denominator,
        _ => Side::Numerator,
    };
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let list =
        case_figures::cases(&st.reg.db, &key, &org, &period, side, Some(page), Some(50)).await?;
    let link = |p: i64| {
        format!(
            "/casework/figures/{key}?{}",
            query_of(&[
                ("org", Some(org.code.clone())),
                ("from", Some(period.from.to_string())),
                ("to", Some(period.to.to_string())),
                ("side", field(&q.side)),
                ("page", Some(p.to_string())),
            ])
        )
    };
    let export = format!(
        "/casework/figures/{key}/export?{}",
        query_of(&[
            ("org", Some(org.code.clone())),
            ("from", Some(period.from.to_string())),
            ("to", Some(period.to.to_string())),
            ("side", field(&q.side)),
        ])
    );
    render(FigurePage {
        export,
        shell: ctx.shell(list.label.clone(), "casework"),
        next: (page * 50 < list.total).then(|| link(page + 1)),
        prev: (page > 1).then(|| link(page - 1)),
        list,
        org_name: org.name,
        from: period.from.to_string(),
        to: period.to.to_string(),
    })
}

/// Every case behind the figure as a spreadsheet (the link on the drill page).
async fn export_figure_cases(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(key): Path<String>,
    Query(q): Query<FigureQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let side = match field(&q.side).as_deref() {
        Some("denominator") => Side::Denominator,
        _ => Side::Numerator,
    };
    let sq = StatsQuery {
        org: field(&q.org),
        from: field(&q.from),
        to: field(&q.to),
    };
    Ok(crate::web::api::figures::cases_file(&st, &ctx.caller, &key, &sq, side, None).await?)
}

/// A register as a spreadsheet (the link on the queue pages; this year by default).
async fn export_register(
    which: Register,
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<RegisterQuery>,
) -> PageResult {
    let q = RegisterQuery {
        org: field(&q.org),
        from: field(&q.from),
        to: field(&q.to),
        format: field(&q.format),
    };
    Ok(register_file(&st, &ctx.caller, which, &q).await?)
}
