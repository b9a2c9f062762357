//! Honours in the console: the honours of the caller's part of the hierarchy with this year's
//! figures, a form to put someone up for a title or to record one granted elsewhere; an honour
//! with its review chain, public notice and objections, its grant, and the care given to its
//! holder; the care behind the figures.

use super::Yuan;
use super::choices;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::Datelike;

use super::dashboard::FigureCard;
use super::{
    Ctx, Form, PageResult, Pager, Shell, Typed, after_form, field, one, render, render_invalid,
    typed_value,
};
use crate::activities::contests::Level;
use crate::app::AppState;
use crate::honours::care::{self, Care, CareInput, CareKind};
use crate::honours::honour::{
    self, Action, AwardInput, Honour, HonourInput, ReasonInput, Status, Subject, TitleKind,
};
use crate::honours::{MODULE, figures};
use crate::web::api::honours::{CareQuery, HonourDetail, HonoursQuery, care_page, detail, ending};
use crate::web::api::parse_id;
use crate::workflow::Named;
use crate::workflow::notice::{ObjectionInput, ResolveInput};
use crate::workflow::review::DecisionInput;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/honours", get(list).post(nominate))
        .route("/honours/record", post(record))
        .route("/honours/care", get(care_list))
        .route("/honours/care/{id}/reverse", post(reverse_care))
        .route("/honours/{id}", get(show))
        .route("/honours/{id}/review", post(review))
        .route("/honours/{id}/objections", post(object))
        .route(
            "/honours/{id}/objections/{objection}/resolve",
            post(resolve),
        )
        .route("/honours/{id}/award", post(award))
        .route("/honours/{id}/end/{action}", post(end))
        .route("/honours/{id}/care", post(give_care))
}

// ---------- the list and the form ----------

#[derive(Template)]
#[template(path = "honours/list.html")]
struct ListPage {
    shell: Shell,
    figures: Vec<FigureCard>,
    rows: Vec<Honour>,
    q: HonoursQuery,
    pager: Pager,
    kinds: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    subjects: Vec<(&'static str, &'static str)>,
    typed: Typed,
    error: Option<String>,
    org_name: String,
    waiting: i64,
    year: i32,
}

impl ListPage {
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
    fn filtered(&self, key: &str, code: &str) -> bool {
        let v = match key {
            "title_kind" => &self.q.title_kind,
            "level" => &self.q.level,
            "subject" => &self.q.subject,
            _ => &self.q.status,
        };
        v.as_deref() == Some(code)
    }
}

async fn list_view(
    st: &AppState,
    ctx: &Ctx,
    q: HonoursQuery,
    typed: Option<Typed>,
    error: Option<String>,
) -> PageResult {
    let db = &st.reg.db;
    let today = st.today();
    let f = crate::web::api::honours::list_filter(&q)?;
    let (rows, total, more) = honour::list(db, &ctx.caller.scope, &f).await?;
    let (root, period) =
        super::dashboard::this_year_of(db, &ctx.caller, field(&q.org).as_deref(), today).await?;
    let figures = FigureCard::all_linked(
        figures::compute(db, &root, &period).await?,
        &ctx.caller,
        &root,
        &period,
    );
    let waiting = honour::waiting_for(db, &ctx.caller.scope).await?;
    let page = f.page.max(1);
    let mut pager = Pager::new(
        "/honours",
        &[
            ("org", field(&q.org)),
            ("status", field(&q.status)),
            ("title_kind", field(&q.title_kind)),
            ("level", field(&q.level)),
            ("subject", field(&q.subject)),
            ("year", field(&q.year)),
            ("from", field(&q.from)),
            ("to", field(&q.to)),
            ("one_per_holder", q.one_per_holder.map(|b| b.to_string())),
            ("waiting", q.waiting.map(|b| b.to_string())),
            ("no_check_in", field(&q.no_check_in)),
            ("q", field(&q.q)),
        ],
        page,
        f.per_page.clamp(1, 200),
        total,
        "个",
    );
    pager.more_pages = more;
    let view = ListPage {
        shell: ctx.shell("评先评优", "honours"),
        figures,
        rows,
        q,
        pager,
        kinds: choices::<TitleKind>(),
        levels: choices::<Level>(),
        statuses: choices::<Status>(),
        subjects: choices::<Subject>(),
        typed: typed.unwrap_or_default(),
        error,
        org_name: root.name,
        waiting,
        year: today.year(),
    };
    if view.error.is_some() {
        render_invalid(view)
    } else {
        render(view)
    }
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(q): Query<HonoursQuery>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    list_view(&st, &ctx, q, None, None).await
}

fn honour_input(pairs: &Typed) -> HonourInput {
    HonourInput {
        subject: one(pairs, "subject"),
        id_number: one(pairs, "id_number"),
        member_id: one(pairs, "member_id"),
        uscc: one(pairs, "uscc"),
        union_code: one(pairs, "union_code"),
        collective_name: one(pairs, "collective_name"),
        title_kind: one(pairs, "title_kind"),
        title: one(pairs, "title"),
        level: one(pairs, "level"),
        year: one(pairs, "year"),
        deeds: one(pairs, "deeds"),
        awarding_org: one(pairs, "awarding_org"),
        awarding_body: one(pairs, "awarding_body"),
        awarded_on: one(pairs, "awarded_on"),
        document_no: one(pairs, "document_no"),
    }
}

async fn nominate(State(st): State<AppState>, ctx: Ctx, Form(pairs): Form<Typed>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = honour::nominate(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &honour_input(&pairs),
        st.today(),
        st.auth.now(),
    )
    .await;
    after_form(result.map(|h| format!("/honours/{}", h.id)), |m| {
        list_view(&st, &ctx, HonoursQuery::default(), Some(pairs), Some(m))
    })
    .await
}

async fn record(State(st): State<AppState>, ctx: Ctx, Form(pairs): Form<Typed>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = honour::record(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &honour_input(&pairs),
        st.today(),
        st.auth.now(),
    )
    .await;
    after_form(result.map(|h| format!("/honours/{}", h.id)), |m| {
        list_view(&st, &ctx, HonoursQuery::default(), Some(pairs), Some(m))
    })
    .await
}

// ---------- an honour ----------

#[derive(Template)]
#[template(path = "honours/show.html")]
struct HonourPage {
    shell: Shell,
    d: HonourDetail,
    /// The granting union's cadres may grant and revoke.
    grants: bool,
    care_kinds: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    today: String,
    typed: Typed,
}

impl Yuan for HonourPage {}

impl HonourPage {
    fn typed_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        match typed_value(&self.typed, key) {
            "" => default,
            v => v,
        }
    }
    fn step_label(&self, code: &str) -> &'static str {
        match code {
            "nominate" => "推荐",
            "record" => "登记已授予的荣誉",
            "object" => "登记异议",
            "dismiss_objection" => "异议不成立",
            other => Action::parse(other).map_or("办理", Action::label),
        }
    }
    fn status_label(&self, code: &str) -> &'static str {
        Status::parse(code).map_or("", Status::label)
    }
    /// Withdrawing a nomination, or revoking a granted honour.
    fn ending(&self) -> (&'static str, &'static str) {
        if self.d.honour.status == Status::Awarded.code() {
            ("revoke", "撤销荣誉")
        } else {
            ("withdraw", "撤回推荐")
        }
    }
    fn decision_label(&self, code: &str) -> &'static str {
        match code {
            "approve" => "同意",
            "reject" => "不同意",
            _ => "待审核",
        }
    }
}

async fn honour_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
    typed: Typed,
) -> PageResult {
    let d = detail(st, &ctx.caller, id).await?;
    let grants = d
        .honour
        .awarding_path
        .as_deref()
        .is_none_or(|p| ctx.caller.scope.contains(p));
    let view = HonourPage {
        shell: ctx.shell(format!("{} · {}", d.honour.name, d.honour.title), "honours"),
        d,
        grants,
        care_kinds: choices::<CareKind>(),
        error,
        today: st.today().to_string(),
        typed,
    };
    if view.error.is_some() {
        render_invalid(view)
    } else {
        render(view)
    }
}

async fn show(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    honour_page(&st, &ctx, id, None, Typed::default()).await
}

fn version(pairs: &Typed) -> i64 {
    one(pairs, "version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

/// After a form on an honour's page: back to it, or the page again with the refusal and what
/// was typed.
async fn on_honour<T>(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    result: crate::error::AppResult<T>,
    pairs: &Typed,
) -> PageResult {
    after_form(result.map(|_| format!("/honours/{id}")), |m| {
        honour_page(st, ctx, id, Some(m), pairs.clone())
    })
    .await
}

async fn review(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let input = DecisionInput {
        decision: one(&pairs, "decision").unwrap_or_default(),
        comment: one(&pairs, "comment"),
        version: version(&pairs),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = honour::decide(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    on_honour(&st, &ctx, id, result, &pairs).await
}

async fn object(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let input = ObjectionInput {
        text: one(&pairs, "text").unwrap_or_default(),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = honour::object(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    on_honour(&st, &ctx, id, result, &pairs).await
}

async fn resolve(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, objection)): Path<(String, String)>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let objection = parse_id(&objection, "异议")?;
    let input = ResolveInput {
        resolution: one(&pairs, "resolution").unwrap_or_default(),
        note: one(&pairs, "note").unwrap_or_default(),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = honour::resolve(
        &st.reg.db,
        &actor,
        id,
        objection,
        &input,
        st.today(),
        st.auth.now(),
    )
    .await;
    on_honour(&st, &ctx, id, result, &pairs).await
}

async fn award(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let input = AwardInput {
        document_no: one(&pairs, "document_no"),
        awarded_on: one(&pairs, "awarded_on"),
        version: version(&pairs),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = honour::award(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    on_honour(&st, &ctx, id, result, &pairs).await
}

async fn end(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let action = ending(&action)?;
    let input = ReasonInput {
        reason: one(&pairs, "reason").unwrap_or_default(),
        version: version(&pairs),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = honour::end(
        &st.reg.db,
        &actor,
        id,
        action,
        &input,
        st.today(),
        st.auth.now(),
    )
    .await;
    on_honour(&st, &ctx, id, result, &pairs).await
}

async fn give_care(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "荣誉")?;
    let input = CareInput {
        kind: one(&pairs, "kind"),
        cared_on: one(&pairs, "cared_on"),
        amount: one(&pairs, "amount"),
        note: one(&pairs, "note"),
        org_code: one(&pairs, "org_code"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = care::give(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    on_honour(&st, &ctx, id, result, &pairs).await
}

async fn reverse_care(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let cid = parse_id(&id, "关爱记录")?;
    let reason = one(&pairs, "reason").unwrap_or_default();
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = care::reverse(&st.reg.db, &actor, cid, &reason, st.today(), st.auth.now()).await;
    let honour_id = match &result {
        Ok(c) => c.honour_id,
        Err(_) => care::honour_of(&st.reg.db, cid).await?,
    };
    on_honour(&st, &ctx, honour_id, result, &pairs).await
}

// ---------- the care behind the figures ----------

#[derive(Template)]
#[template(path = "honours/care.html")]
struct CarePage {
    shell: Shell,
    org_name: String,
    from: String,
    to: String,
    kind_label: Option<&'static str>,
    rows: Vec<Care>,
    pager: Pager,
}

impl Yuan for CarePage {}

async fn care_list(State(st): State<AppState>, ctx: Ctx, Query(q): Query<CareQuery>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let sq = crate::registry::stats::StatsQuery {
        org: field(&q.org),
        from: field(&q.from),
        to: field(&q.to),
    };
    let (org, period) = crate::registry::stats::resolve(&st.reg.db, &ctx.caller.scope, &sq).await?;
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let found = care_page(
        &st,
        &ctx.caller,
        &CareQuery {
            page: Some(page),
            per_page: Some(50),
            ..q.clone()
        },
    )
    .await?;
    let pager = Pager::new(
        "/honours/care",
        &[
            ("org", Some(org.code.clone())),
            ("from", Some(period.from.to_string())),
            ("to", Some(period.to.to_string())),
            ("kind", field(&q.kind)),
        ],
        page,
        50,
        found.total,
        "人次",
    );
    render(CarePage {
        shell: ctx.shell("劳模关爱", "honours"),
        org_name: org.name,
        from: period.from.to_string(),
        to: period.to.to_string(),
        kind_label: field(&q.kind)
            .and_then(|k| CareKind::parse(&k))
            .map(CareKind::label),
        rows: found.rows,
        pager,
    })
}
