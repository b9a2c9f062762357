//! The union tree: browse and search, a union's page with its subtree figures, and the forms to
//! create, edit, move (a whole subtree) and close a union.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;

use super::Form;
use serde::Deserialize;

use super::{Ctx, PageResult, Shell, done, field, render, render_invalid, thousands};
use crate::app::AppState;
use crate::auth::permissions::Perm;
use crate::error::AppError;
use crate::registry::officers::{self, Officer, OfficerInput};
use crate::registry::orgs::{self, Org, OrgFilter, OrgKind};
use crate::registry::scope::Scope;
use crate::registry::stats::{self, ChildRate, StatsQuery};
use crate::types::parse_date;
use crate::web::api::{OrgInput, org_fields};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs", get(tree))
        .route("/orgs/new", get(new_form).post(create))
        .route("/orgs/{code}", get(show))
        .route("/orgs/{code}/edit", get(edit_form).post(update))
        .route("/orgs/{code}/move", get(move_form).post(move_subtree))
        .route("/orgs/{code}/close", get(close_form).post(close))
        .route("/orgs/{code}/officers", axum::routing::post(add_officer))
        .route(
            "/orgs/{code}/officers/{id}/remove",
            axum::routing::post(remove_officer),
        )
}

/// A node of the rendered tree (flattened, with its depth below the root).
pub struct Node {
    pub org: Org,
    pub level: usize,
    pub children: i64,
    /// Children not rendered here (below the depth limit): the node links to its own tree.
    pub cut: bool,
    /// How many `</ul></details></li>` close after this node.
    pub closes: usize,
}

#[derive(Template)]
#[template(path = "orgs/tree.html")]
struct TreePage {
    shell: Shell,
    q: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    root: Option<Org>,
    nodes: Vec<Node>,
    found: Vec<Org>,
    searching: bool,
    can_write: bool,
}

#[derive(Deserialize)]
struct TreeQuery {
    q: Option<String>,
    kind: Option<String>,
    root: Option<String>,
}

/// Levels shown below the root; deeper unions open in their own tree.
const TREE_LEVELS: i64 = 2;

async fn tree(State(st): State<AppState>, ctx: Ctx, Query(q): Query<TreeQuery>) -> PageResult {
    let db = &st.reg.db;
    let scope = &ctx.caller.scope;
    let searching = field(&q.q).is_some() || field(&q.kind).is_some();
    let (mut root, mut nodes, mut found) = (None, Vec::new(), Vec::new());
    if searching {
        found = orgs::list(
            db,
            scope,
            &OrgFilter {
                q: field(&q.q),
                kind: field(&q.kind),
                limit: Some(300),
                ..Default::default()
            },
        )
        .await?;
    } else {
        let r = match field(&q.root) {
            Some(code) => Some(orgs::get_by_code(db, scope, &code).await?),
            None => orgs::scope_root(db, scope).await?,
        };
        if let Some(r) = &r {
            nodes = subtree_nodes(&st, r).await?;
        }
        root = r;
    }
    render(TreePage {
        shell: ctx.shell("工会组织", "orgs"),
        q: q.q.clone().unwrap_or_default(),
        kind: q.kind.clone().unwrap_or_default(),
        kinds: OrgKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
        root,
        nodes,
        found,
        searching,
        can_write: ctx.can(Perm::OrgWrite),
    })
}

async fn subtree_nodes(st: &AppState, root: &Org) -> Result<Vec<Node>, AppError> {
    let db = &st.reg.db;
    let (lo, hi) = Scope::subtree(&root.path).range();
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT parent_id, CAST(COUNT(*) AS BIGINT) FROM orgs WHERE path > $1 AND path < $2 GROUP BY parent_id",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.pool())
    .await?;
    let counts: HashMap<i64, i64> = counts.into_iter().collect();
    let all: Vec<Org> = sqlx::query_as(
        "SELECT id, code, name, kind, parent_id, path, depth, region_code, founded_on, new_employment, industry, standardised, status, closed_on \
         FROM orgs WHERE path > $1 AND path < $2 AND depth <= $3 ORDER BY path",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(root.depth + TREE_LEVELS)
    .fetch_all(db.pool())
    .await?;
    // Paths sort parents before children, so the list is already in tree order.
    let mut nodes: Vec<Node> = all
        .into_iter()
        .map(|o| {
            let level = (o.depth - root.depth) as usize;
            let children = counts.get(&o.id).copied().unwrap_or(0);
            Node {
                cut: level as i64 >= TREE_LEVELS && children > 0,
                children,
                level,
                org: o,
                closes: 0,
            }
        })
        .collect();
    for i in 0..nodes.len() {
        let next_level = nodes.get(i + 1).map(|n| n.level).unwrap_or(1);
        let opens = nodes[i].children > 0 && !nodes[i].cut;
        // A node that opens a list is followed by its first child (every child above the
        // depth limit is rendered) and closes nothing; any other node closes the lists its
        // successor climbs out of.
        nodes[i].closes = if opens {
            0
        } else {
            nodes[i].level - next_level
        };
    }
    Ok(nodes)
}

#[derive(Template)]
#[template(path = "orgs/show.html")]
struct ShowPage {
    shell: Shell,
    org: Org,
    parents: Vec<(String, String)>,
    figures: Vec<(&'static str, String, String)>,
    /// The subtree's casework this year (for those who work on cases): label, value, drill.
    case_figures: Vec<(String, String, String)>,
    /// Hardship, aid, mutual-aid and fund figures this year, for those who work on them.
    money_figures: Vec<(String, String, String)>,
    children: Vec<ChildRate>,
    officers: Vec<Officer>,
    positions: &'static [&'static str],
    officer_form: OfficerForm,
    officer_issues: Vec<(String, String)>,
    /// Employers this union covers itself (a first page), and how many in all.
    employers: Vec<crate::registry::units::Unit>,
    employers_total: i64,
    period: String,
    can_write: bool,
    can_members: bool,
}

impl ShowPage {
    /// The problems with a field of the officer form.
    fn officer_issue(&self, field: &str) -> Option<&str> {
        self.officer_issues
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// The officer form as typed.
#[derive(Debug, Default, Deserialize)]
struct OfficerForm {
    position: Option<String>,
    name: Option<String>,
    mobile: Option<String>,
    since: Option<String>,
}

impl OfficerForm {
    fn v(&self, name: &str) -> String {
        match name {
            "position" => &self.position,
            "name" => &self.name,
            "mobile" => &self.mobile,
            "since" => &self.since,
            _ => &None,
        }
        .clone()
        .unwrap_or_default()
    }
}

async fn show(State(st): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> PageResult {
    render(show_page(&st, &ctx, &code).await?)
}

async fn show_page(st: &AppState, ctx: &Ctx, code: &str) -> Result<ShowPage, AppError> {
    let db = &st.reg.db;
    let scope = &ctx.caller.scope;
    let org = orgs::get_by_code(db, scope, code).await?;
    let parents = ancestors(st, scope, &org).await?;
    let mut figures = Vec::new();
    let mut period = String::new();
    // This year so far: the registry's figures and the casework's.
    let works_on_cases = ctx.caller.works_on(crate::casework::MODULE);
    let money_modules: Vec<&str> = [
        crate::aid::MODULE,
        crate::aid::mutual::MODULE,
        crate::funds::MODULE,
    ]
    .into_iter()
    .filter(|m| ctx.caller.works_on(m))
    .collect();
    let this_year = if ctx.can(Perm::StatsRead) || works_on_cases || !money_modules.is_empty() {
        let (_, p) = stats::resolve(
            db,
            scope,
            &StatsQuery {
                org: Some(org.code.clone()),
                from: None,
                to: None,
            },
        )
        .await?;
        period = format!("{} 至 {}", p.from, p.to);
        Some(p)
    } else {
        None
    };
    if let (true, Some(p)) = (ctx.can(Perm::StatsRead), &this_year) {
        let s = stats::compute(db, &org, p).await?;
        period = format!("{} 至 {}", s.from, s.to);
        let drill = |f: &str| format!("/drill?figure={f}&org={}", org.code);
        figures = vec![
            (
                "工会组织",
                thousands(s.unions.at_end),
                drill("unions_at_end"),
            ),
            (
                "在会会员",
                thousands(s.members.at_end),
                format!("/members?org={}&status=active", org.code),
            ),
            ("今年新入会", thousands(s.members.joined), drill("joined")),
            (
                "今年净增",
                format!("{:+}", s.members.net_change),
                format!("/dashboard?org={}#changes", org.code),
            ),
            (
                "新就业形态会员",
                thousands(s.members.new_employment_at_end),
                format!("/members?org={}&status=active&nef=true", org.code),
            ),
            (
                "入会率",
                s.employers
                    .membership_rate_percent
                    .map(|r| format!("{r:.2}%"))
                    .unwrap_or_else(|| "—".into()),
                drill("employers_covered"),
            ),
        ];
    }
    let mut case_figures = Vec::new();
    if let (true, Some(p)) = (works_on_cases, &this_year) {
        const SHOWN: &[&str] = &[
            "petitions.items",
            "petitions.closed_rate",
            "mediation.cases",
            "mediation.success_rate",
            "mediation.amount_recovered",
            "legal_aid.cases",
        ];
        case_figures = crate::casework::figures::compute(db, &org, p)
            .await?
            .into_iter()
            .filter(|f| SHOWN.contains(&f.key.as_str()))
            .map(|f| {
                let href = format!(
                    "/casework/figures/{}?org={}&from={}&to={}",
                    f.key, org.code, p.from, p.to
                );
                (f.label, f.display, href)
            })
            .collect();
    }
    let mut money_figures = Vec::new();
    if let (false, Some(p)) = (money_modules.is_empty(), &this_year) {
        let (aid, funds) = tokio::try_join!(
            crate::aid::figures::compute(db, &org, p),
            crate::funds::figures::compute(db, &org, p)
        )?;
        money_figures = aid
            .into_iter()
            .chain(funds)
            .filter(|f| {
                super::dashboard::MONEY_SHOWN.contains(&f.key.as_str())
                    && money_modules.contains(&f.module.as_str())
            })
            .filter_map(|f| {
                let href = super::figures::href(&f, &org, p)?;
                Some((f.label, f.display, href))
            })
            .collect();
    }
    let mut children = stats::child_rates(db, &org).await?;
    children.sort_by(|a, b| a.code.cmp(&b.code));
    let (employers, employers_total) = crate::registry::units::covered_by(db, &org, 20).await?;
    Ok(ShowPage {
        shell: ctx.shell(org.name.clone(), "orgs"),
        parents,
        figures,
        case_figures,
        money_figures,
        children,
        officers: officers::list(db, org.id).await?,
        positions: officers::POSITIONS,
        officer_form: OfficerForm::default(),
        officer_issues: Vec::new(),
        employers,
        employers_total,
        period,
        can_write: ctx.can(Perm::OrgWrite),
        can_members: ctx.can(Perm::MemberRead),
        org,
    })
}

async fn add_officer(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<OfficerForm>,
) -> PageResult {
    let org = orgs::get_by_code(&st.reg.db, &ctx.caller.scope, &code).await?;
    let input = OfficerInput {
        position: f.v("position"),
        name: f.v("name"),
        mobile: f.v("mobile"),
        since: f.v("since"),
    };
    let actor = ctx.caller.actor(&st.reg.keys);
    match officers::add(&st.reg.db, &st.reg.keys, &actor, &org, &input).await? {
        Ok(_) => done(&format!("/orgs/{}#officers", org.code), "saved"),
        Err(issues) => {
            let mut page = show_page(&st, &ctx, &code).await?;
            page.officer_form = f;
            page.officer_issues = issues;
            render_invalid(page)
        }
    }
}

async fn remove_officer(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((code, id)): Path<(String, String)>,
) -> PageResult {
    let org = orgs::get_by_code(&st.reg.db, &ctx.caller.scope, &code).await?;
    let id = crate::web::api::parse_id(&id, "工会负责人")?;
    let actor = ctx.caller.actor(&st.reg.keys);
    officers::remove(&st.reg.db, &actor, &org, id).await?;
    done(&format!("/orgs/{}#officers", org.code), "saved")
}

/// The unions above `org` that the caller may see, top first.
async fn ancestors(
    st: &AppState,
    scope: &Scope,
    org: &Org,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(orgs::ancestors_of(&st.reg.db, org)
        .await?
        .into_iter()
        .filter(|o| scope.contains(&o.path))
        .map(|o| (o.code, o.name))
        .collect())
}

/// The union form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct OrgForm {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub parent_code: Option<String>,
    pub region_code: Option<String>,
    pub founded_on: Option<String>,
    pub new_employment: Option<String>,
    pub industry: Option<String>,
    pub standardised: Option<String>,
}

impl OrgForm {
    fn of(o: &Org, parent_code: Option<String>) -> OrgForm {
        OrgForm {
            code: Some(o.code.clone()),
            name: Some(o.name.clone()),
            kind: Some(o.kind.clone()),
            parent_code,
            region_code: o.region_code.clone(),
            founded_on: o.founded_on.clone(),
            new_employment: (o.new_employment == 1).then(|| "1".into()),
            industry: o.industry.clone(),
            standardised: (o.standardised == 1).then(|| "1".into()),
        }
    }

    fn input(&self) -> OrgInput {
        OrgInput {
            code: field(&self.code),
            name: field(&self.name).unwrap_or_default(),
            kind: field(&self.kind).unwrap_or_default(),
            parent_code: field(&self.parent_code),
            region_code: field(&self.region_code),
            founded_on: field(&self.founded_on),
            new_employment: self.new_employment.is_some(),
            industry: field(&self.industry),
            standardised: self.standardised.is_some(),
        }
    }

    pub fn v(&self, name: &str) -> String {
        let f = match name {
            "code" => &self.code,
            "name" => &self.name,
            "kind" => &self.kind,
            "parent_code" => &self.parent_code,
            "region_code" => &self.region_code,
            "founded_on" => &self.founded_on,
            "industry" => &self.industry,
            _ => &None,
        };
        f.clone().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "orgs/form.html")]
struct FormPage {
    shell: Shell,
    heading: String,
    action: String,
    editing: bool,
    form: OrgForm,
    kinds: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

fn form_page(
    ctx: &Ctx,
    heading: String,
    action: String,
    editing: bool,
    form: OrgForm,
    error: Option<String>,
) -> FormPage {
    FormPage {
        shell: ctx.shell(heading.clone(), "orgs"),
        heading,
        action,
        editing,
        form,
        kinds: OrgKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
        error,
    }
}

#[derive(Deserialize)]
struct NewQuery {
    parent: Option<String>,
}

async fn new_form(ctx: Ctx, Query(q): Query<NewQuery>) -> PageResult {
    let form = OrgForm {
        parent_code: q.parent,
        kind: Some("grassroots".into()),
        ..Default::default()
    };
    render(form_page(
        &ctx,
        "新建工会".into(),
        "/orgs/new".into(),
        false,
        form,
        None,
    ))
}

async fn create(State(st): State<AppState>, ctx: Ctx, Form(f): Form<OrgForm>) -> PageResult {
    let input = f.input();
    let result = async {
        let code = input
            .code
            .clone()
            .ok_or_else(|| AppError::invalid("工会代码不能为空"))?;
        let fields = org_fields(&code, &input)?;
        orgs::create(
            &st.reg.db,
            &ctx.caller.actor(&st.reg.keys),
            fields,
            input.parent_code.as_deref(),
        )
        .await
    }
    .await;
    match result {
        Ok(org) => done(&format!("/orgs/{}", org.code), "created"),
        Err(e) if e.status().is_client_error() => render_invalid(form_page(
            &ctx,
            "新建工会".into(),
            "/orgs/new".into(),
            false,
            f,
            Some(e.message().into()),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> PageResult {
    let org = orgs::get_by_code(&st.reg.db, &ctx.caller.scope, &code).await?;
    let heading = format!("编辑 · {}", org.name);
    render(form_page(
        &ctx,
        heading,
        format!("/orgs/{}/edit", org.code),
        true,
        OrgForm::of(&org, None),
        None,
    ))
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<OrgForm>,
) -> PageResult {
    let org = orgs::get_by_code(&st.reg.db, &ctx.caller.scope, &code).await?;
    let input = f.input();
    let result = async {
        let fields = org_fields(&org.code, &input)?;
        orgs::update(
            &st.reg.db,
            &ctx.caller.actor(&st.reg.keys),
            &org.code,
            fields,
        )
        .await
    }
    .await;
    match result {
        Ok(o) => done(&format!("/orgs/{}", o.code), "saved"),
        Err(e) if e.status().is_client_error() => render_invalid(form_page(
            &ctx,
            format!("编辑 · {}", org.name),
            format!("/orgs/{}/edit", org.code),
            true,
            f,
            Some(e.message().into()),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "orgs/action.html")]
struct ActionPage {
    shell: Shell,
    org: Org,
    action: &'static str,
    value: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct MoveForm {
    parent_code: Option<String>,
}

async fn move_form(State(st): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> PageResult {
    let org = orgs::get_by_code(&st.reg.db, &ctx.caller.scope, &code).await?;
    render(ActionPage {
        shell: ctx.shell("调整上级工会", "orgs"),
        org,
        action: "move",
        value: String::new(),
        error: None,
    })
}

async fn move_subtree(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<MoveForm>,
) -> PageResult {
    let org = orgs::get_by_code(&st.reg.db, &ctx.caller.scope, &code).await?;
    let parent = field(&f.parent_code).unwrap_or_default();
    let result = if parent.is_empty() {
        Err(AppError::invalid("请填写新的上级工会代码"))
    } else {
        orgs::move_subtree(
            &st.reg.db,
            &ctx.caller.actor(&st.reg.keys),
            &org.code,
            &parent,
        )
        .await
    };
    match result {
        Ok(o) => done(&format!("/orgs/{}", o.code), "moved"),
        Err(e) if e.status().is_client_error() => render_invalid(ActionPage {
            shell: ctx.shell("调整上级工会", "orgs"),
            org,
            action: "move",
            value: parent,
            error: Some(e.message().into()),
        }),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct CloseForm {
    on: Option<String>,
}

async fn close_form(State(st): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> PageResult {
    let org = orgs::get_by_code(&st.reg.db, &ctx.caller.scope, &code).await?;
    let today = chrono::Local::now().date_naive().to_string();
    render(ActionPage {
        shell: ctx.shell("注销工会", "orgs"),
        org,
        action: "close",
        value: today,
        error: None,
    })
}

async fn close(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(f): Form<CloseForm>,
) -> PageResult {
    let org = orgs::get_by_code(&st.reg.db, &ctx.caller.scope, &code).await?;
    let on_text = field(&f.on).unwrap_or_default();
    let result = async {
        let on = if on_text.is_empty() {
            chrono::Local::now().date_naive()
        } else {
            parse_date(&on_text)?
        };
        orgs::close(&st.reg.db, &ctx.caller.actor(&st.reg.keys), &org.code, on).await
    }
    .await;
    match result {
        Ok(o) => done(&format!("/orgs/{}", o.code), "closed"),
        Err(e) if e.status().is_client_error() => render_invalid(ActionPage {
            shell: ctx.shell("注销工会", "orgs"),
            org,
            action: "close",
            value: on_text,
            error: Some(e.message().into()),
        }),
        Err(e) => Err(e.into()),
    }
}
