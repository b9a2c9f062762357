//! Medical mutual aid in the console: the plans (and a form for a new one), a plan with its
//! pool, its employers enrolled and its claims (and forms to enrol an employer by its credit
//! code and to file a claim by the member's ID number), a claim with its review chain, its
//! documents and its history, and the decision form.

use super::Yuan;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{
    Ctx, Form, PageResult, Pager, Shell, Typed, after_form, correctable, done, field, one, problem,
    render, typed_value,
};
use crate::aid::mutual::{self, Claim, ClaimStatus, Enrolment, MODULE, Plan};
use crate::app::AppState;
use crate::attachments;
use crate::error::AppError;
use crate::web::api::parse_id;
use crate::workflow::Named;
use crate::workflow::history::{self, CaseRef, HistoryRow};
use crate::workflow::review;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mutual", get(plan_list).post(create_plan))
        .route("/mutual/plans/{id}", get(show_plan))
        .route("/mutual/plans/{id}/enrolments", post(enrol))
        .route("/mutual/plans/{id}/claims", post(file_claim))
        .route("/mutual/claims/{id}", get(show_claim))
        .route("/mutual/claims/{id}/decision", post(decide))
}

// ---------- plans ----------

#[derive(Template)]
#[template(path = "mutual/plans.html")]
struct PlansPage {
    shell: Shell,
    rows: Vec<Plan>,
    typed: Typed,
    error: Option<String>,
}

impl Yuan for PlansPage {}

impl PlansPage {
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
}

async fn plans_view(st: &AppState, ctx: &Ctx, typed: Typed, error: Option<String>) -> PageResult {
    let view = PlansPage {
        shell: ctx.shell("医疗互助", "mutual"),
        rows: mutual::plans(&st.reg.db, &ctx.caller.scope).await?,
        typed,
        error,
    };
    if view.error.is_some() {
        super::render_invalid(view)
    } else {
        render(view)
    }
}

async fn plan_list(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    plans_view(&st, &ctx, Vec::new(), None).await
}

async fn create_plan(State(st): State<AppState>, ctx: Ctx, Form(pairs): Form<Typed>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let pct = |k: &str| one(&pairs, k).map(|v| v.parse::<i64>().unwrap_or(-1));
    let input = mutual::PlanInput {
        org_code: None,
        name: one(&pairs, "name"),
        term_start: one(&pairs, "term_start"),
        term_end: one(&pairs, "term_end"),
        contribution: one(&pairs, "contribution"),
        deductible: one(&pairs, "deductible"),
        share_pct: pct("share_pct"),
        cap: one(&pairs, "cap"),
        min_share_pct: pct("min_share_pct"),
        review_kinds: Vec::new(),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = mutual::create_plan(&st.reg.db, &actor, &input, st.auth.now()).await;
    after_form(result.map(|p| format!("/mutual/plans/{}", p.id)), |m| {
        plans_view(&st, &ctx, pairs, Some(m))
    })
    .await
}

// ---------- a plan ----------

#[derive(Debug, Default, Deserialize)]
struct PlanQuery {
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "mutual/plan.html")]
struct PlanPage {
    shell: Shell,
    p: Plan,
    enrolments: Vec<Enrolment>,
    claims: Vec<Claim>,
    status: Option<String>,
    statuses: Vec<(&'static str, &'static str)>,
    pager: Pager,
    typed: Typed,
    error: Option<String>,
}

impl Yuan for PlanPage {}

impl PlanPage {
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
    fn status_label(&self, code: &str) -> &'static str {
        ClaimStatus::parse(code).map(Named::label).unwrap_or("")
    }
    fn sel(&self, code: &str) -> bool {
        self.status.as_deref() == Some(code)
    }
}

async fn plan_view(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    q: &PlanQuery,
    typed: Typed,
    error: Option<String>,
) -> PageResult {
    let db = &st.reg.db;
    let scope = &ctx.caller.scope;
    // A plan of a union above the caller is worked on within the caller's subtree.
    let p = mutual::plans(db, scope)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| AppError::not_found("互助计划"))?;
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let status = field(&q.status).and_then(|s| ClaimStatus::parse(&s));
    let paging = crate::db::Paging::new(Some(page), Some(50), 50);
    let (enrolments, (claims, total)) = tokio::try_join!(
        mutual::enrolments_of(db, scope, id),
        mutual::claims_of(db, scope, id, status, &paging)
    )?;
    let view = PlanPage {
        shell: ctx.shell(p.name.clone(), "mutual"),
        pager: Pager::new(
            &format!("/mutual/plans/{id}"),
            &[("status", field(&q.status))],
            page,
            50,
            total,
            "件",
        ),
        p,
        enrolments,
        claims,
        status: field(&q.status),
        statuses: ClaimStatus::all()
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        typed,
        error,
    };
    if view.error.is_some() {
        super::render_invalid(view)
    } else {
        render(view)
    }
}

async fn show_plan(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "互助计划")?;
    plan_view(&st, &ctx, id, &q, Vec::new(), None).await
}

/// Enrols the employer named by its credit code (all its active members).
async fn enrol(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "互助计划")?;
    let db = &st.reg.db;
    let result = async {
        let unit = crate::registry::members::unit_id_by_uscc(
            db,
            &ctx.caller.scope,
            one(&pairs, "uscc").as_deref(),
        )
        .await?
        .ok_or_else(|| AppError::invalid("请填写参保单位的统一社会信用代码"))?;
        let input = mutual::EnrolInput {
            unit_id: unit.to_string(),
            member_ids: Vec::new(),
            override_reason: one(&pairs, "override_reason"),
        };
        let actor = ctx.caller.actor(&st.reg.keys);
        mutual::enrol(db, &actor, id, &input, st.today(), st.auth.now()).await
    }
    .await;
    match result {
        Ok(_) => done(&format!("/mutual/plans/{id}"), "saved"),
        Err(e) if correctable(&e) || e.status() == axum::http::StatusCode::NOT_FOUND => {
            let q = PlanQuery::default();
            plan_view(&st, &ctx, id, &q, pairs, Some(problem(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Files a claim for the member named by the ID number.
async fn file_claim(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "互助计划")?;
    let db = &st.reg.db;
    let result = async {
        let id_number =
            one(&pairs, "id_number").ok_or_else(|| AppError::invalid("请填写职工的身份证号"))?;
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
        let input = mutual::ClaimInput {
            member_id: member.id.to_string(),
            illness: one(&pairs, "illness"),
            occurred_on: one(&pairs, "occurred_on"),
            expense: one(&pairs, "expense"),
            amount: one(&pairs, "amount"),
        };
        let actor = ctx.caller.actor(&st.reg.keys);
        mutual::claim(db, &actor, id, &input, st.today(), st.auth.now()).await
    }
    .await;
    match result {
        Ok(c) => done(&format!("/mutual/claims/{}", c.id), "saved"),
        Err(e) if correctable(&e) => {
            // The ID number is not shown again in full.
            let typed: Typed = pairs
                .into_iter()
                .filter(|(k, _)| k != "id_number")
                .collect();
            let q = PlanQuery::default();
            plan_view(&st, &ctx, id, &q, typed, Some(problem(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------- a claim ----------

#[derive(Template)]
#[template(path = "mutual/claim.html")]
pub(super) struct ClaimPage {
    shell: Shell,
    c: Claim,
    review: Vec<review::Level>,
    files: super::case_files::FilesPanel,
    history: Vec<HistoryRow>,
    error: Option<String>,
}

impl Yuan for ClaimPage {}

impl ClaimPage {
    fn status_label(&self, code: &str) -> &'static str {
        ClaimStatus::parse(code).map(Named::label).unwrap_or("")
    }
    fn decision_label(&self, code: &str) -> &'static str {
        review::Decision::parse(code)
            .map(Named::label)
            .unwrap_or("待审核")
    }
    fn action_label(&self, code: &str) -> &'static str {
        match code {
            "claim" => "提出理赔",
            "review" => "本级同意，报上级审核",
            "approve" | "pay" => "审核通过并赔付",
            "reject" => "审核不通过",
            _ => "办理",
        }
    }
}

/// A claim's page, with what was wrong when a step was refused.
pub(super) async fn claim_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
) -> Result<ClaimPage, crate::error::AppError> {
    let db = &st.reg.db;
    let c = mutual::get_claim(db, &ctx.caller.scope, id).await?;
    let owner = attachments::Owner {
        kind: mutual::CASE,
        id,
    };
    let (review, files, history) = tokio::try_join!(
        review::levels(db, mutual::CASE, id),
        super::case_files::FilesPanel::of(st, owner, format!("/mutual/claims/{id}")),
        history::of(
            db,
            CaseRef {
                case_type: mutual::CASE,
                id
            }
        )
    )?;
    Ok(ClaimPage {
        shell: ctx.shell(format!("理赔：{}", c.member_name), "mutual"),
        c,
        review,
        files,
        history,
        error,
    })
}

async fn claim_view(st: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> PageResult {
    let view = claim_page(st, ctx, id, error).await?;
    if view.error.is_some() {
        super::render_invalid(view)
    } else {
        render(view)
    }
}

async fn show_claim(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "理赔")?;
    claim_view(&st, &ctx, id, None).await
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
    let id = parse_id(&id, "理赔")?;
    let input = review::DecisionInput {
        decision: f.decision.unwrap_or_default(),
        comment: field(&f.comment),
        version: f.version.unwrap_or(-1),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = mutual::decide(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    after_form(result.map(|_| format!("/mutual/claims/{id}")), |m| {
        claim_view(&st, &ctx, id, Some(m))
    })
    .await
}
