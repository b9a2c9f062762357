//! Employers (用人单位): list with filters, an employer's page with the union covering it, and
//! the form to register or correct one.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;

use super::Form;
use serde::Deserialize;

use super::{Ctx, PageResult, Shell, done, field, render, render_invalid};
use crate::app::AppState;
use crate::auth::permissions::Perm;
use crate::error::AppError;
use crate::registry::codes;
use crate::registry::units::{self, Unit, UnitFilter};
use crate::web::api::{UnitInput, parse_id, unit_fields};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/units", get(list))
        .route("/units/new", get(new_form).post(create))
        .route("/units/{id}", get(show))
        .route("/units/{id}/edit", get(edit_form).post(update))
}

#[derive(Template)]
#[template(path = "units/list.html")]
struct ListPage {
    shell: Shell,
    q: String,
    org: String,
    small: String,
    uncovered: String,
    units: Vec<Unit>,
    pager: super::Pager,
    can_write: bool,
}

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    org: Option<String>,
    small: Option<String>,
    uncovered: Option<String>,
    page: Option<String>,
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    let page = field(&q.page)
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let f = UnitFilter {
        org: field(&q.org),
        q: field(&q.q),
        small_micro: field(&q.small).map(|s| s == "true"),
        uncovered: field(&q.uncovered).map(|s| s == "true"),
        page: Some(page),
        per_page: Some(50),
    };
    let total = units::count(&st.reg.db, &ctx.caller.scope, &f).await?;
    let pager = super::Pager::new(
        "/units",
        &[
            ("q", q.q.clone()),
            ("org", q.org.clone()),
            ("small", q.small.clone()),
            ("uncovered", q.uncovered.clone()),
        ],
        page,
        50,
        total,
        "家",
    );
    let page = page.min(pager.pages);
    let f = UnitFilter {
        page: Some(page),
        ..f
    };
    let (rows, _) = units::page(&st.reg.db, &ctx.caller.scope, &f).await?;
    render(ListPage {
        shell: ctx.shell("用人单位", "units"),
        q: q.q.clone().unwrap_or_default(),
        org: q.org.clone().unwrap_or_default(),
        small: q.small.clone().unwrap_or_default(),
        uncovered: q.uncovered.clone().unwrap_or_default(),
        units: rows,
        pager: super::Pager { page, ..pager },
        can_write: ctx.can(Perm::UnitWrite),
    })
}

#[derive(Template)]
#[template(path = "units/show.html")]
struct ShowPage {
    shell: Shell,
    u: Unit,
    members: i64,
    can_write: bool,
    /// The caller works on collective contracts: a link to the employer's contracts and
    /// democratic management.
    contracts: bool,
}

async fn show(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let u = units::get(&st.reg.db, &ctx.caller.scope, parse_id(&id, "单位")?).await?;
    let members: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM members WHERE unit_id = $1 AND status = 'active'",
    )
    .bind(u.id)
    .fetch_one(st.reg.db.pool())
    .await
    .map_err(AppError::from)?;
    render(ShowPage {
        shell: ctx.shell(u.name.clone(), "units"),
        contracts: u.org_code.is_some() && ctx.caller.works_on(crate::contracts::MODULE),
        u,
        members,
        can_write: ctx.can(Perm::UnitWrite),
    })
}

#[derive(Debug, Default, Deserialize)]
struct UnitForm {
    uscc: Option<String>,
    accept_bad_check: Option<String>,
    name: Option<String>,
    ownership: Option<String>,
    small_micro: Option<String>,
    industry: Option<String>,
    region_code: Option<String>,
    employee_count: Option<String>,
    org_code: Option<String>,
}

#[derive(Template)]
#[template(path = "units/form.html")]
struct FormPage {
    shell: Shell,
    heading: String,
    action: String,
    editing: bool,
    form: UnitForm,
    ownerships: &'static [&'static str],
    error: Option<String>,
}

impl FormPage {
    fn v(&self, name: &str) -> String {
        let f = &self.form;
        match name {
            "uscc" => &f.uscc,
            "name" => &f.name,
            "ownership" => &f.ownership,
            "industry" => &f.industry,
            "region_code" => &f.region_code,
            "employee_count" => &f.employee_count,
            "org_code" => &f.org_code,
            _ => &None,
        }
        .clone()
        .unwrap_or_default()
    }
}

fn form_page(
    ctx: &Ctx,
    heading: String,
    action: String,
    editing: bool,
    form: UnitForm,
    error: Option<String>,
) -> FormPage {
    FormPage {
        shell: ctx.shell(heading.clone(), "units"),
        heading,
        action,
        editing,
        form,
        ownerships: codes::OWNERSHIP,
        error,
    }
}

async fn save(st: &AppState, ctx: &Ctx, f: &UnitForm) -> Result<Unit, AppError> {
    let count = field(&f.employee_count).unwrap_or_else(|| "0".into());
    let employee_count = count
        .parse::<i64>()
        .map_err(|_| AppError::invalid("职工人数应为0或正整数"))?;
    let input = UnitInput {
        uscc: field(&f.uscc).unwrap_or_default(),
        accept_bad_check: f.accept_bad_check.is_some(),
        name: field(&f.name).unwrap_or_default(),
        ownership: field(&f.ownership),
        small_micro: f.small_micro.is_some(),
        industry: field(&f.industry),
        region_code: field(&f.region_code),
        employee_count,
        org_code: field(&f.org_code),
    };
    let fields = unit_fields(&input)?;
    units::save(
        &st.reg.db,
        &ctx.caller.actor(&st.reg.keys),
        fields,
        input.org_code.clone(),
    )
    .await
}

async fn new_form(ctx: Ctx) -> PageResult {
    render(form_page(
        &ctx,
        "登记用人单位".into(),
        "/units/new".into(),
        false,
        UnitForm::default(),
        None,
    ))
}

async fn create(State(st): State<AppState>, ctx: Ctx, Form(f): Form<UnitForm>) -> PageResult {
    match save(&st, &ctx, &f).await {
        Ok(u) => done(&format!("/units/{}", u.id), "saved"),
        Err(e) if e.status().is_client_error() => render_invalid(form_page(
            &ctx,
            "登记用人单位".into(),
            "/units/new".into(),
            false,
            f,
            Some(e.message().into()),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let u = units::get(&st.reg.db, &ctx.caller.scope, parse_id(&id, "单位")?).await?;
    let form = UnitForm {
        uscc: Some(u.uscc.clone()),
        accept_bad_check: (u.uscc_check_ok == 0).then(|| "1".into()),
        name: Some(u.name.clone()),
        ownership: u.ownership.clone(),
        small_micro: (u.small_micro == 1).then(|| "1".into()),
        industry: u.industry.clone(),
        region_code: u.region_code.clone(),
        employee_count: Some(u.employee_count.to_string()),
        org_code: u.org_code.clone(),
    };
    render(form_page(
        &ctx,
        format!("修改 · {}", u.name),
        format!("/units/{}/edit", u.id),
        true,
        form,
        None,
    ))
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(mut f): Form<UnitForm>,
) -> PageResult {
    let u = units::get(&st.reg.db, &ctx.caller.scope, parse_id(&id, "单位")?).await?;
    // The credit code identifies the employer: an edit never changes it.
    f.uscc = Some(u.uscc.clone());
    match save(&st, &ctx, &f).await {
        Ok(u) => done(&format!("/units/{}", u.id), "saved"),
        Err(e) if e.status().is_client_error() => render_invalid(form_page(
            &ctx,
            format!("修改 · {}", u.name),
            format!("/units/{}/edit", u.id),
            true,
            f,
            Some(e.message().into()),
        )),
        Err(e) => Err(e.into()),
    }
}
