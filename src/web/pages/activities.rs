//! Activities in the console: the activities of the caller's part of the hierarchy with this
//! year's 场次, 人次 and 人, and the form for a new one; an activity with its sessions (each
//! with its check-in code and a sign-in sheet to enter), the people who signed up or took part,
//! and closing, reopening or cancelling it.

use super::Yuan;
use super::choices;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};

use super::dashboard::FigureCard;
use super::{
    Ctx, Form, PageResult, Pager, Shell, Typed, after_form, field, one, render, render_invalid,
    typed_value,
};
use crate::activities::activity::{self, Action, Activity, ActivityInput, Kind, Status, StepInput};
use crate::activities::contests::{
    self, Award, AwardGiven, AwardInput, Entrant, EntrantsInput, Level, ScoreLine, ScoresInput,
    Trade, TradeHeld, TradeInput,
};
use crate::activities::figures::PersonTimes;
use crate::activities::participation::{self, Participant, Session, SessionInput, SheetInput};
use crate::activities::spending::{self, RaiseInput, Spending, SpendingHeld, SpendingInput};
use crate::activities::{MODULE, figures};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::api::activities::{ActivitiesQuery, list_filter};
use crate::web::api::parse_id;
use crate::workflow::Named;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/activities", get(list).post(create))
        .route("/activities/persons", get(persons))
        .route("/activities/{id}", get(show))
        .route("/activities/{id}/sessions", post(add_session))
        .route("/activities/{id}/step/{action}", post(step))
        .route("/activities/sessions/{id}/sheet", post(sheet))
        .route("/activities/contests", get(contests_held))
        .route("/activities/awards", get(awards_given))
        .route("/activities/spending", get(spending_in_period))
        .route("/activities/{id}/spending", post(spend))
        .route(
            "/activities/{id}/spending/{spending}/reverse",
            post(reverse_spending),
        )
        .route("/activities/{id}/budget", post(raise_budget))
        .route("/activities/{id}/trades", post(add_trade))
        .route("/activities/trades/{id}", get(trade))
        .route("/activities/trades/{id}/entrants", post(add_entrants))
        .route("/activities/trades/{id}/scores", post(set_scores))
        .route("/activities/trades/{id}/awards", post(award))
}

// ---------- the list and the form ----------

#[derive(Template)]
#[template(path = "activities/list.html")]
struct ListPage {
    shell: Shell,
    figures: Vec<FigureCard>,
    rows: Vec<Activity>,
    q: ActivitiesQuery,
    pager: Pager,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    typed: Typed,
    error: Option<String>,
    org_name: String,
    nef_groups: &'static [&'static str],
}

impl ListPage {
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
    fn filtered(&self, key: &str, code: &str) -> bool {
        let v = match key {
            "kind" => &self.q.kind,
            _ => &self.q.status,
        };
        v.as_deref() == Some(code)
    }
}

async fn list_view(
    st: &AppState,
    ctx: &Ctx,
    q: ActivitiesQuery,
    typed: Option<Typed>,
    error: Option<String>,
) -> PageResult {
    let db = &st.reg.db;
    let today = st.today();
    let f = list_filter(&q)?;
    let (rows, more) = activity::list(db, &ctx.caller.scope, &f).await?;
    let (root, period) =
        super::dashboard::this_year_of(db, &ctx.caller, given_org(&q).as_deref(), today).await?;
    let figures = FigureCard::all_linked(
        figures::compute(db, &root, &period).await?,
        &ctx.caller,
        &root,
        &period,
    );
    let page = f.page.max(1);
    let mut pager = Pager::new(
        "/activities",
        &[
            ("org", field(&q.org)),
            ("kind", field(&q.kind)),
            ("status", field(&q.status)),
            ("from", field(&q.from)),
            ("to", field(&q.to)),
            ("held", q.held.map(|h| h.to_string())),
            ("q", field(&q.q)),
        ],
        page,
        50,
        (page - 1) * 50 + rows.len() as i64,
        "项",
    )
    .at_least(more);
    pager.more_pages = more;
    let view = ListPage {
        shell: ctx.shell("职工活动", "activities"),
        figures,
        rows,
        q,
        pager,
        kinds: choices::<Kind>(),
        statuses: choices::<Status>(),
        typed: typed.unwrap_or_default(),
        error,
        org_name: root.name,
        nef_groups: crate::registry::codes::NEF_GROUPS,
    };
    if view.error.is_some() {
        render_invalid(view)
    } else {
        render(view)
    }
}

fn given_org(q: &ActivitiesQuery) -> Option<String> {
    field(&q.org)
}

async fn list(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ActivitiesQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    list_view(&st, &ctx, q, None, None).await
}

async fn create(State(st): State<AppState>, ctx: Ctx, Form(pairs): Form<Typed>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let input = ActivityInput {
        org_code: one(&pairs, "org_code"),
        kind: one(&pairs, "kind"),
        title: one(&pairs, "title"),
        partners: one(&pairs, "partners"),
        place: one(&pairs, "place"),
        starts_on: one(&pairs, "starts_on"),
        ends_on: one(&pairs, "ends_on"),
        capacity: one(&pairs, "capacity"),
        eligible_org: one(&pairs, "eligible_org"),
        eligible_group: one(&pairs, "eligible_group"),
        budget: one(&pairs, "budget"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = activity::create(&st.reg.db, &actor, &input, st.auth.now()).await;
    after_form(result.map(|a| format!("/activities/{}", a.id)), |m| {
        list_view(&st, &ctx, ActivitiesQuery::default(), Some(pairs), Some(m))
    })
    .await
}

// ---------- an activity ----------

#[derive(Template)]
#[template(path = "activities/show.html")]
struct ActivityPage {
    shell: Shell,
    a: Activity,
    sessions: Vec<Session>,
    people: Vec<Participant>,
    more_people: bool,
    actions: Vec<(&'static str, &'static str)>,
    spending: Vec<Spending>,
    /// A competition's events and awards (none for other kinds).
    contest: bool,
    trades: Vec<Trade>,
    awards: Vec<Award>,
    error: Option<String>,
    /// What a sign-in sheet counted once.
    notice: Option<String>,
    today: String,
    /// What was typed in the form refused, shown again.
    typed: Typed,
}

impl Yuan for ActivityPage {}

impl ActivityPage {
    /// What was typed in `key`, else `default`.
    fn typed_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        match typed_value(&self.typed, key) {
            "" => default,
            v => v,
        }
    }
}

async fn activity_view(st: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> PageResult {
    activity_page(st, ctx, id, error, None, Typed::default()).await
}

/// The activity's page again after a form was refused: the reason, and what was typed.
async fn activity_retry(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    error: String,
    typed: &Typed,
) -> PageResult {
    activity_page(st, ctx, id, Some(error), None, typed.clone()).await
}

async fn activity_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
    typed: Typed,
) -> PageResult {
    let db = &st.reg.db;
    let a = activity::get(db, &ctx.caller.scope, id).await?;
    let (sessions, (people, more_people), spending, trades, awards) = tokio::try_join!(
        participation::sessions(db, id),
        participation::participants(db, id, 1, 100),
        spending::of(db, id),
        contests::trades(db, id),
        contests::awards(db, id)
    )?;
    let contest = matches!(
        Kind::parse(&a.kind),
        Some(Kind::Competition | Kind::SkillContest)
    );
    let actions = a
        .status()
        .map(|from| {
            activity::STEPS
                .iter()
                .filter(|s| s.from == from)
                .map(|s| (s.action.code(), s.action.label()))
                .collect()
        })
        .unwrap_or_default();
    let view = ActivityPage {
        shell: ctx.shell(a.title.clone(), "activities"),
        a,
        sessions,
        people,
        more_people,
        actions,
        spending,
        contest,
        trades,
        awards,
        error,
        notice,
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
    let id = parse_id(&id, "活动")?;
    activity_view(&st, &ctx, id, None).await
}

async fn add_session(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let guests = one(&pairs, "guests").map(|g| g.parse::<i64>().unwrap_or(-1));
    let input = SessionInput {
        held_on: one(&pairs, "held_on"),
        title: one(&pairs, "title"),
        guests,
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = participation::add_session(&st.reg.db, &actor, id, &input, st.auth.now()).await;
    after_form(result.map(|_| format!("/activities/{id}")), |m| {
        activity_retry(&st, &ctx, id, m, &pairs)
    })
    .await
}

async fn step(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let action = Action::parse(&action).ok_or_else(|| AppError::not_found("操作"))?;
    let input = StepInput {
        version: one(&pairs, "version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = activity::step(&st.reg.db, &actor, id, action, &input, st.auth.now()).await;
    after_form(result.map(|_| format!("/activities/{id}")), |m| {
        activity_view(&st, &ctx, id, Some(m))
    })
    .await
}

async fn sheet(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let sid = parse_id(&id, "活动场次")?;
    let (_, a) = participation::session_in_scope(&st.reg.db, &ctx.caller.scope, sid).await?;
    let input = SheetInput {
        id_numbers: one(&pairs, "id_numbers")
            .unwrap_or_default()
            .split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = participation::check_in_sheet(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        sid,
        &input,
        st.today(),
        st.auth.now(),
    )
    .await;
    let to = format!("/activities/{}", a.id);
    match result {
        // Repeats are counted once and said, as a correction would be.
        Ok(r) if !r.repeated.is_empty() => {
            activity_page(
                &st,
                &ctx,
                a.id,
                None,
                Some(format!(
                    "已登记 {} 人签到；以下重复的只计一次：{}",
                    r.added,
                    r.repeated.join("；")
                )),
                Typed::default(),
            )
            .await
        }
        other => {
            after_form(other.map(|_| to), |m| {
                activity_view(&st, &ctx, a.id, Some(m))
            })
            .await
        }
    }
}

// ---------- the people behind the figures ----------

#[derive(Debug, Default, serde::Deserialize)]
struct PersonsQuery {
    org: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "activities/persons.html")]
struct PersonsPage {
    shell: Shell,
    org_name: String,
    from: String,
    to: String,
    rows: Vec<PersonTimes>,
    pager: Pager,
}

async fn persons(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PersonsQuery>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let sq = crate::registry::stats::StatsQuery {
        org: field(&q.org),
        from: field(&q.from),
        to: field(&q.to),
    };
    let (org, period) = crate::registry::stats::resolve(&st.reg.db, &ctx.caller.scope, &sq).await?;
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let (rows, total) = figures::persons(&st.reg.db, &org.path, &period, (page, 50)).await?;
    let pager = Pager::new(
        "/activities/persons",
        &[
            ("org", Some(org.code.clone())),
            ("from", Some(period.from.to_string())),
            ("to", Some(period.to.to_string())),
        ],
        page,
        50,
        total,
        "人",
    );
    render(PersonsPage {
        shell: ctx.shell("参加活动会员", "activities"),
        org_name: org.name,
        from: period.from.to_string(),
        to: period.to.to_string(),
        rows,
        pager,
    })
}

// ---------- money ----------

async fn spend(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let input = SpendingInput {
        spent_on: one(&pairs, "spent_on"),
        amount: one(&pairs, "amount"),
        purpose: one(&pairs, "purpose"),
        payee: one(&pairs, "payee"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = spending::spend(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    after_form(result.map(|_| format!("/activities/{id}")), |m| {
        activity_retry(&st, &ctx, id, m, &pairs)
    })
    .await
}

async fn reverse_spending(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, sid)): Path<(String, String)>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let sid = parse_id(&sid, "支出记录")?;
    let reason = one(&pairs, "reason").unwrap_or_default();
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = spending::reverse(
        &st.reg.db,
        &actor,
        id,
        sid,
        &reason,
        st.today(),
        st.auth.now(),
    )
    .await;
    after_form(result.map(|_| format!("/activities/{id}")), |m| {
        activity_retry(&st, &ctx, id, m, &pairs)
    })
    .await
}

async fn raise_budget(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let input = RaiseInput {
        amount: one(&pairs, "raise"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result =
        spending::raise_budget(&st.reg.db, &actor, id, &input, st.today(), st.auth.now()).await;
    after_form(result.map(|_| format!("/activities/{id}")), |m| {
        activity_retry(&st, &ctx, id, m, &pairs)
    })
    .await
}

// ---------- competitions ----------

async fn add_trade(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "活动")?;
    let input = TradeInput {
        name: one(&pairs, "name"),
        teams: Some(one(&pairs, "teams").as_deref() == Some("1")),
        held_on: one(&pairs, "held_on"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = contests::add_trade(&st.reg.db, &actor, id, &input, st.auth.now()).await;
    after_form(
        result.map(|t| format!("/activities/trades/{}", t.id)),
        |m| activity_retry(&st, &ctx, id, m, &pairs),
    )
    .await
}

#[derive(Template)]
#[template(path = "activities/trade.html")]
struct TradePage {
    shell: Shell,
    a: Activity,
    t: Trade,
    entrants: Vec<Entrant>,
    levels: Vec<(&'static str, &'static str)>,
    /// The highest level the organiser may grant, preselected.
    top_level: &'static str,
    error: Option<String>,
    notice: Option<String>,
    /// What was typed in the form refused, shown again.
    typed: Typed,
}

impl TradePage {
    fn typed(&self, key: &str) -> &str {
        typed_value(&self.typed, key)
    }
}

async fn trade_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
    typed: Typed,
) -> PageResult {
    let db = &st.reg.db;
    let (t, a) = contests::trade_in_scope(db, &ctx.caller.scope, id).await?;
    let entrants = contests::entrants(db, id).await?;
    let organiser =
        crate::registry::orgs::get(db, &crate::registry::scope::Scope::all(), a.org_id).await?;
    let top = crate::registry::orgs::OrgKind::parse(&organiser.kind)
        .ok()
        .map(Level::highest_for)
        .unwrap_or(Level::Grassroots);
    let levels = Level::all()
        .iter()
        .filter(|l| l.within(top))
        .map(|l| (l.code(), l.label()))
        .collect();
    let view = TradePage {
        shell: ctx.shell(format!("{} · {}", a.title, t.name), "activities"),
        a,
        t,
        entrants,
        levels,
        top_level: top.code(),
        error,
        notice,
        typed,
    };
    if view.error.is_some() {
        render_invalid(view)
    } else {
        render(view)
    }
}

async fn trade(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "比赛项目")?;
    trade_page(&st, &ctx, id, None, None, Typed::default()).await
}

/// The non-blank lines of a text area.
fn lines(typed: Option<String>) -> Vec<String> {
    typed
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

async fn add_entrants(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "比赛项目")?;
    let input = EntrantsInput {
        lines: lines(one(&pairs, "entrant_lines")),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result =
        contests::add_entrants(&st.reg.db, &st.reg.keys, &actor, id, &input, st.auth.now()).await;
    match result {
        Ok(r) if !r.repeated.is_empty() => {
            let note = format!(
                "已登记 {} 名参赛者；以下重复的只计一次：{}",
                r.added,
                r.repeated.join("；")
            );
            trade_page(&st, &ctx, id, None, Some(note), Typed::default()).await
        }
        other => {
            after_form(other.map(|_| format!("/activities/trades/{id}")), |m| {
                trade_page(&st, &ctx, id, Some(m), None, pairs.clone())
            })
            .await
        }
    }
}

/// A score line as typed: the entrant (ID number or team name), then the points after the
/// last space, tab or comma.
fn score_line(line: &str) -> ScoreLine {
    match line.rfind(|c: char| c.is_whitespace() || c == ',' || c == '，') {
        Some(at) => {
            let sep = line[at..].chars().next().map_or(1, char::len_utf8);
            ScoreLine {
                who: line[..at].trim().to_string(),
                score: line[at + sep..].trim().to_string(),
            }
        }
        None => ScoreLine {
            who: line.to_string(),
            score: String::new(),
        },
    }
}

async fn set_scores(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "比赛项目")?;
    let input = ScoresInput {
        lines: lines(one(&pairs, "score_lines"))
            .iter()
            .map(|l| score_line(l))
            .collect(),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result =
        contests::set_scores(&st.reg.db, &st.reg.keys, &actor, id, &input, st.auth.now()).await;
    after_form(result.map(|_| format!("/activities/trades/{id}")), |m| {
        trade_page(&st, &ctx, id, Some(m), None, pairs.clone())
    })
    .await
}

async fn award(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Typed>,
) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let id = parse_id(&id, "比赛项目")?;
    let input = AwardInput {
        who: one(&pairs, "who"),
        title: one(&pairs, "title"),
        level: one(&pairs, "level"),
        awarding_body: one(&pairs, "awarding_body"),
        awarded_on: one(&pairs, "awarded_on"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    let result = contests::award(&st.reg.db, &st.reg.keys, &actor, id, &input, st.auth.now()).await;
    after_form(result.map(|_| format!("/activities/trades/{id}")), |m| {
        trade_page(&st, &ctx, id, Some(m), None, pairs.clone())
    })
    .await
}

// ---------- the rows behind the competition and money figures ----------

#[derive(Template)]
#[template(path = "activities/rows.html")]
struct RowsPage {
    shell: Shell,
    org_name: String,
    from: String,
    to: String,
    contests: Option<Vec<TradeHeld>>,
    awards: Option<Vec<AwardGiven>>,
    spending: Option<Vec<SpendingHeld>>,
    /// The payments' total, in 元.
    spent: String,
    pager: Pager,
}

impl Yuan for RowsPage {}

/// Which rows a drill page lists.
#[derive(Clone, Copy)]
enum Rows {
    Contests,
    Awards,
    Spending,
}

async fn rows_page(st: &AppState, ctx: &Ctx, q: PersonsQuery, which: Rows) -> PageResult {
    ctx.caller.must_work_on(MODULE)?;
    let sq = crate::registry::stats::StatsQuery {
        org: field(&q.org),
        from: field(&q.from),
        to: field(&q.to),
    };
    let db = &st.reg.db;
    let (org, period) = crate::registry::stats::resolve(db, &ctx.caller.scope, &sq).await?;
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let mut view = RowsPage {
        shell: ctx.shell("", "activities"),
        org_name: org.name.clone(),
        from: period.from.to_string(),
        to: period.to.to_string(),
        contests: None,
        awards: None,
        spending: None,
        spent: String::new(),
        pager: Pager::new("", &[], 1, 50, 0, ""),
    };
    let (path, title, unit, total) = match which {
        Rows::Contests => {
            let (rows, total) = contests::held_in(db, &org.path, &period, (page, 50)).await?;
            view.contests = Some(rows);
            ("/activities/contests", "竞赛项目", "个", total)
        }
        Rows::Awards => {
            let (rows, total) = contests::awards_in(db, &org.path, &period, (page, 50)).await?;
            view.awards = Some(rows);
            ("/activities/awards", "竞赛获奖", "个", total)
        }
        Rows::Spending => {
            let (rows, total, fen) =
                spending::in_period(db, &org.path, &period, (page, 50)).await?;
            view.spending = Some(rows);
            view.spent = crate::types::Fen(fen).to_string();
            ("/activities/spending", "活动经费支出", "笔", total)
        }
    };
    view.shell = ctx.shell(title, "activities");
    view.pager = Pager::new(
        path,
        &[
            ("org", Some(org.code.clone())),
            ("from", Some(period.from.to_string())),
            ("to", Some(period.to.to_string())),
        ],
        page,
        50,
        total,
        unit,
    );
    render(view)
}

async fn contests_held(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PersonsQuery>,
) -> PageResult {
    rows_page(&st, &ctx, q, Rows::Contests).await
}

async fn awards_given(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PersonsQuery>,
) -> PageResult {
    rows_page(&st, &ctx, q, Rows::Awards).await
}

async fn spending_in_period(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PersonsQuery>,
) -> PageResult {
    rows_page(&st, &ctx, q, Rows::Spending).await
}
