//! Members: the filtered list (search by name, pinyin, initials or the last digits of the ID
//! number), a member's page with the membership timeline and the reveal action, the enrolment
//! and correction forms with inline messages, and the membership events (leave, retire, death).
//! Transfers start here and are decided on the transfers page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};

use super::Form;
use serde::Deserialize;

use super::{Ctx, PageResult, Shell, done, field, query_of, render, render_invalid};
use crate::app::AppState;
use crate::auth::permissions::Perm;
use crate::error::AppError;
use crate::registry::codes;
use crate::registry::members::{
    self, FieldIssue, MemberEvent, MemberFilter, MemberView, MembershipRow, PersonInput,
    PersonRefusal,
};
use crate::registry::search;
use crate::registry::transfers::{self, Transfer};
use crate::types::parse_date;
use crate::web::api::parse_id;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/members", get(list))
        .route("/members/find", post(find))
        .route("/members/new", get(new_form).post(create))
        .route(
            "/members/export-full",
            get(export_full_form).post(export_full),
        )
        .route("/members/{id}", get(show))
        .route("/members/{id}/edit", get(edit_form).post(update))
        .route("/members/{id}/reveal", post(reveal))
        .route("/members/{id}/transfer", get(transfer_form).post(transfer))
        .route("/members/{id}/event", get(event_form).post(event))
}

fn reason_label(r: &str) -> &'static str {
    match r {
        "join" => "入会",
        "transfer_in" => "转入",
        "transfer_out" => "转出",
        "retire" => "退休",
        "leave" => "离会",
        "death" => "去世",
        _ => "其他",
    }
}

#[derive(Template)]
#[template(path = "members/list.html")]
struct ListPage {
    shell: Shell,
    f: MemberFilter,
    members: Vec<MemberView>,
    pager: super::Pager,
    /// The list on screen as a file (masked values), and with full values (asks a reason).
    export: Option<String>,
    export_full: Option<String>,
    nef_groups: &'static [&'static str],
    can_write: bool,
}

impl ListPage {
    fn v(&self, name: &str) -> String {
        let f = &self.f;
        match name {
            "org" => f.org.clone(),
            "q" => f.q.clone(),
            "status" => f.status.clone(),
            "sex" => f.sex.clone(),
            "nef_group" => f.nef_group.clone(),
            "joined_from" => f.joined_from.clone(),
            "joined_to" => f.joined_to.clone(),
            "sort" => f.sort.clone(),
            "migrant" => f.migrant.map(|b| b.to_string()),
            "nef" => f.nef.map(|b| b.to_string()),
            _ => None,
        }
        .unwrap_or_default()
    }
}

fn filter_query(f: &MemberFilter, page: Option<i64>) -> String {
    let mut pairs = filter_pairs(f);
    pairs.push(("page", page.map(|p| p.to_string())));
    query_of(&pairs)
}

/// The list's filters and search as query pairs (no page).
fn filter_pairs(f: &MemberFilter) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("org", f.org.clone()),
        ("q", f.q.clone()),
        ("status", f.status.clone()),
        ("sex", f.sex.clone()),
        ("migrant", f.migrant.map(|b| b.to_string())),
        ("nef", f.nef.map(|b| b.to_string())),
        ("nef_group", f.nef_group.clone()),
        ("joined_from", f.joined_from.clone()),
        ("joined_to", f.joined_to.clone()),
        ("sort", f.sort.clone()),
    ]
}

/// The list's query string: every field text, blank meaning "any".
#[derive(Deserialize)]
struct ListQuery {
    org: Option<String>,
    q: Option<String>,
    status: Option<String>,
    sex: Option<String>,
    migrant: Option<String>,
    nef: Option<String>,
    nef_group: Option<String>,
    joined_from: Option<String>,
    joined_to: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    /// A search by a whole ID number or mobile, kept on the server (see [`find`]).
    qt: Option<String>,
}

fn yes_no(v: &Option<String>) -> Option<bool> {
    match field(v).as_deref() {
        Some("true" | "1" | "是") => Some(true),
        Some("false" | "0" | "否") => Some(false),
        _ => None,
    }
}

impl ListQuery {
    fn filter(&self) -> MemberFilter {
        let q = self;
        MemberFilter {
            org: field(&q.org),
            q: field(&q.q),
            status: field(&q.status),
            sex: field(&q.sex),
            migrant: yes_no(&q.migrant),
            nef: yes_no(&q.nef),
            nef_group: field(&q.nef_group),
            joined_from: field(&q.joined_from),
            joined_to: field(&q.joined_to),
            sort: field(&q.sort),
            page: field(&q.page).and_then(|p| p.parse().ok()),
            per_page: Some(50),
        }
    }
}

/// The full-information export of the list on screen: what it holds, how many people, and
/// the reason the exporter must give (recorded with the export).
#[derive(Template)]
#[template(path = "members/export_full.html")]
struct ExportFullPage {
    shell: Shell,
    total: String,
    params: Vec<(&'static str, String)>,
    conditions: Vec<String>,
    reason: String,
    format: String,
    error: Option<String>,
}

fn describe_filter(f: &MemberFilter) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |label: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            out.push(format!("{label}：{}", search::masked(v)));
        }
    };
    add("工会", &f.org);
    add("查询", &f.q);
    add("性别", &f.sex);
    add("新就业形态群体", &f.nef_group);
    add("入会日期从", &f.joined_from);
    add("入会日期至", &f.joined_to);
    let status = f.status.as_deref().map(|s| match s {
        "all" => "全部".to_string(),
        s => crate::web::pages::member_status_label(s).to_string(),
    });
    add("会籍状态", &status);
    if let Some(m) = f.migrant {
        out.push(format!("农民工：{}", if m { "是" } else { "否" }));
    }
    if let Some(n) = f.nef {
        out.push(format!("新就业形态：{}", if n { "是" } else { "否" }));
    }
    if out.is_empty() {
        out.push("您管理范围内全部在会和退休会员".into());
    }
    out
}

async fn export_full_page(
    st: &AppState,
    ctx: &Ctx,
    f: &MemberFilter,
    reason: String,
    format: String,
    error: Option<String>,
) -> Result<ExportFullPage, AppError> {
    let total = members::count(&st.reg.db, &st.reg.keys, &ctx.caller.scope, f).await?;
    Ok(ExportFullPage {
        shell: ctx.shell("导出完整信息", "members"),
        total: if total.more {
            format!("{} 以上", super::thousands(total.n))
        } else {
            super::thousands(total.n)
        },
        params: filter_pairs(f)
            .into_iter()
            .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
            .collect(),
        conditions: describe_filter(f),
        reason,
        format,
        error,
    })
}

async fn export_full_form(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let f = q.filter();
    render(export_full_page(&st, &ctx, &f, String::new(), "xlsx".into(), None).await?)
}

#[derive(Deserialize)]
struct ExportFullForm {
    #[serde(flatten)]
    list: ListQuery,
    reason: Option<String>,
    format: Option<String>,
}

/// The file itself: the page stays as it is (a download is not a page to reload).
async fn export_full(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(form): Form<ExportFullForm>,
) -> PageResult {
    let f = MemberFilter {
        page: None,
        ..form.list.filter()
    };
    let reason = form.reason.clone().unwrap_or_default();
    let format = field(&form.format).unwrap_or_else(|| "xlsx".into());
    match crate::web::api::export_response(&st, &ctx.caller, Some(&format), Some(&reason), &f).await
    {
        Ok(resp) => Ok(resp),
        Err(e) if e.status().is_client_error() => {
            let page =
                export_full_page(&st, &ctx, &f, reason, format, Some(e.message().into())).await?;
            render_invalid(page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The list's URL for a filter: a whole ID number or mobile searched for stays on the server
/// and the URL carries its token.
fn list_url(st: &AppState, ctx: &Ctx, f: &MemberFilter) -> String {
    let mut pairs = filter_pairs(f);
    if f.q.as_deref().is_some_and(search::names_a_person) {
        let token = st
            .searches
            .put(ctx.session.id, f.q.as_deref().unwrap_or_default());
        pairs.retain(|(k, _)| *k != "q");
        pairs.push(("qt", Some(token)));
    }
    format!("/members?{}", query_of(&pairs))
}

/// The search form's post: the list it asks for, by a redirect (a whole number behind a token).
async fn find(State(st): State<AppState>, ctx: Ctx, Form(q): Form<ListQuery>) -> PageResult {
    let f = MemberFilter {
        page: None,
        ..q.filter()
    };
    super::redirect(&list_url(&st, &ctx, &f))
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    let mut f = q.filter();
    // A whole number typed into the address bar goes behind a token at once.
    if f.q.as_deref().is_some_and(search::names_a_person) {
        return super::redirect(&list_url(&st, &ctx, &f));
    }
    let token = field(&q.qt);
    if let Some(t) = &token {
        match st.searches.get(ctx.session.id, t) {
            Some(text) => f.q = Some(text),
            None => {
                return Err(
                    AppError::invalid("这次查询已过期，请重新输入身份证号或手机号查询").into(),
                );
            }
        }
    }
    // Links of this list: the token in place of the number.
    let mut pairs = filter_pairs(&f);
    if let Some(t) = &token {
        pairs.retain(|(k, _)| *k != "q");
        pairs.push(("qt", Some(t.clone())));
    }
    let (db, keys, scope) = (&st.reg.db, &st.reg.keys, &ctx.caller.scope);
    let total = members::count(db, keys, scope, &f).await?;
    let pager = super::Pager::new("/members", &pairs, f.page.unwrap_or(1), 50, total.n, "人")
        .at_least(total.more);
    // A page past the end shows the last one. A search by letters beyond its counted bound
    // reads a page's worth of every form it may stand for: it stops at the bound's last page.
    let letters = matches!(
        f.q.as_deref().and_then(search::Typed::parse),
        Some(search::Typed::Letters(_))
    );
    let last = match (total.more, letters) {
        (false, _) => pager.pages,
        (true, true) => members::COUNT_BOUND / 50 + 1,
        (true, false) => i64::MAX,
    };
    let f = MemberFilter {
        page: Some(f.page.unwrap_or(1).clamp(1, last)),
        ..f
    };
    let result = members::list(db, keys, scope, &f).await?;
    let pager = super::Pager {
        page: result.page,
        more_pages: total.more && result.has_more && result.page < last,
        ..pager
    };
    // A search by a whole number finds one person: nothing to export, and no number in a link.
    let exportable = token.is_none();
    render(ListPage {
        shell: ctx.shell("会员", "members"),
        export: (exportable && ctx.can(Perm::Export))
            .then(|| format!("/api/v1/exports/members?{}", filter_query(&f, None))),
        export_full: (exportable && ctx.can(Perm::ExportFull))
            .then(|| format!("/members/export-full?{}", filter_query(&f, None))),
        members: result.rows,
        pager,
        f,
        nef_groups: codes::NEF_GROUPS,
        can_write: ctx.can(Perm::MemberWrite),
    })
}

#[derive(Template)]
#[template(path = "members/show.html")]
struct ShowPage {
    shell: Shell,
    m: MemberView,
    history: Vec<MembershipRow>,
    pending: Option<Transfer>,
    revealed: Option<(String, Option<String>)>,
    reveal_error: Option<String>,
    can_write: bool,
    can_reveal: bool,
}

impl ShowPage {
    fn reason(&self, r: &str) -> &'static str {
        reason_label(r)
    }
}

async fn show_page(st: &AppState, ctx: &Ctx, id: i64) -> Result<ShowPage, AppError> {
    let m = members::get(&st.reg.db, &ctx.caller.scope, id).await?;
    let history = members::history(&st.reg.db, &ctx.caller.scope, id).await?;
    let pending = transfers::pending_for(&st.reg.db, id).await?;
    Ok(ShowPage {
        shell: ctx.shell(m.name.clone(), "members"),
        m,
        history,
        pending,
        revealed: None,
        reveal_error: None,
        can_write: ctx.can(Perm::MemberWrite),
        can_reveal: ctx.can(Perm::MemberReveal),
    })
}

async fn show(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id, "会员")?;
    let mut page = show_page(&st, &ctx, id).await?;
    // Full values revealed by the post that led here, shown this once.
    if let Some(mut v) = st.once.take(ctx.session.id, &format!("reveal:{id}")) {
        let mobile = v.pop().filter(|m| !m.is_empty());
        page.revealed = v.pop().map(|id_number| (id_number, mobile));
    }
    render(page)
}

#[derive(Deserialize)]
struct RevealForm {
    reason: Option<String>,
}

/// Records who asked to see the full ID number and mobile and why, then sends the browser to
/// the member's page, which shows them once (never in a URL). Reloading that page or going
/// back neither reveals again nor writes a second record.
async fn reveal(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<RevealForm>,
) -> PageResult {
    let id = parse_id(&id, "会员")?;
    let actor = ctx.caller.actor(&st.reg.keys);
    match members::reveal_with_reason(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        st.auth.now(),
        id,
        f.reason.as_deref(),
        "console",
    )
    .await
    {
        Ok((id_number, mobile)) => {
            st.once.put(
                ctx.session.id,
                &format!("reveal:{id}"),
                vec![id_number, mobile.unwrap_or_default()],
            );
            super::redirect(&format!("/members/{id}"))
        }
        Err(e) if e.status() == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            let mut page = show_page(&st, &ctx, id).await?;
            page.reveal_error = Some(e.message().into());
            render_invalid(page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The person form as typed, with the problems found in it.
#[derive(Debug, Default, Deserialize)]
pub struct PersonForm {
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub ethnicity: Option<String>,
    pub political: Option<String>,
    pub education: Option<String>,
    pub hukou: Option<String>,
    pub mobile: Option<String>,
    pub unit_uscc: Option<String>,
    pub migrant: Option<String>,
    pub nef_group: Option<String>,
    pub card_no: Option<String>,
    pub org_code: Option<String>,
    pub joined_on: Option<String>,
}

impl PersonForm {
    fn input(&self) -> PersonInput {
        PersonInput {
            name: self.name.clone(),
            id_number: self.id_number.clone(),
            sex: None,
            birth_date: None,
            ethnicity: self.ethnicity.clone(),
            political: self.political.clone(),
            education: self.education.clone(),
            hukou: self.hukou.clone(),
            mobile: self.mobile.clone(),
            unit_uscc: self.unit_uscc.clone(),
            migrant: Some(if self.migrant.is_some() { "是" } else { "否" }.into()),
            nef_group: self.nef_group.clone(),
            card_no: self.card_no.clone(),
        }
    }

    fn of(m: &MemberView) -> PersonForm {
        PersonForm {
            name: Some(m.name.clone()),
            id_number: None,
            ethnicity: m.ethnicity.clone(),
            political: m.political.clone(),
            education: m.education.clone(),
            hukou: m.hukou.clone(),
            mobile: None,
            unit_uscc: m.unit_uscc.clone(),
            migrant: (m.migrant == 1).then(|| "1".into()),
            nef_group: m.nef_group.clone(),
            card_no: m.card_no.clone(),
            org_code: m.org_code.clone(),
            joined_on: m.joined_on.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "members/form.html")]
struct FormPage {
    shell: Shell,
    heading: String,
    action: String,
    editing: bool,
    form: PersonForm,
    /// Masked values shown beside fields that are not retyped when editing.
    id_masked: String,
    mobile_masked: String,
    issues: Vec<FieldIssue>,
    error: Option<String>,
    ethnicities: &'static [&'static str],
    politicals: &'static [&'static str],
    educations: &'static [&'static str],
    hukous: &'static [&'static str],
    nef_groups: &'static [&'static str],
}

impl FormPage {
    fn v(&self, name: &str) -> String {
        let f = &self.form;
        match name {
            "name" => f.name.clone(),
            "id_number" => f.id_number.clone(),
            "ethnicity" => f.ethnicity.clone(),
            "political" => f.political.clone(),
            "education" => f.education.clone(),
            "hukou" => f.hukou.clone(),
            "mobile" => f.mobile.clone(),
            "unit_uscc" => f.unit_uscc.clone(),
            "nef_group" => f.nef_group.clone(),
            "card_no" => f.card_no.clone(),
            "org_code" => f.org_code.clone(),
            "joined_on" => f.joined_on.clone(),
            _ => None,
        }
        .unwrap_or_default()
    }

    /// The problems with a field, by its Chinese label, in one sentence.
    fn issue(&self, label: &str) -> Option<String> {
        let found: Vec<&str> = self
            .issues
            .iter()
            .filter(|i| i.field == label)
            .map(|i| i.message.as_str())
            .collect();
        (!found.is_empty()).then(|| found.join("；"))
    }

    fn invalid(&self, label: &str) -> bool {
        self.issue(label).is_some()
    }

    /// Text inputs: (name, label, kind, required).
    fn texts(&self) -> [(&'static str, &'static str, &'static str, bool); 5] {
        [
            ("name", "姓名", "text", true),
            ("id_number", "身份证号", "id", true),
            ("mobile", "手机号", "tel", false),
            ("unit_uscc", "工作单位统一社会信用代码", "text", false),
            ("card_no", "会员证号", "text", false),
        ]
    }

    /// Choice lists: (name, label, options).
    fn selects(&self) -> [(&'static str, &'static str, &'static [&'static str]); 5] {
        [
            ("ethnicity", "民族", self.ethnicities),
            ("political", "政治面貌", self.politicals),
            ("education", "学历", self.educations),
            ("hukou", "户籍类型", self.hukous),
            ("nef_group", "新就业形态群体", self.nef_groups),
        ]
    }

    /// A problem about a field that has no input of its own (shown at the bottom).
    fn stray(&self, label: &str) -> bool {
        ![
            "姓名",
            "身份证号",
            "手机号",
            "民族",
            "政治面貌",
            "学历",
            "户籍类型",
            "新就业形态群体",
            "农民工",
            "所在工会",
            "入会日期",
        ]
        .contains(&label)
    }
}

fn form_page(
    ctx: &Ctx,
    heading: String,
    action: String,
    editing: bool,
    form: PersonForm,
) -> FormPage {
    FormPage {
        shell: ctx.shell(heading.clone(), "members"),
        heading,
        action,
        editing,
        form,
        id_masked: String::new(),
        mobile_masked: String::new(),
        issues: Vec::new(),
        error: None,
        ethnicities: codes::ETHNICITIES,
        politicals: codes::POLITICAL,
        educations: codes::EDUCATION,
        hukous: codes::HUKOU,
        nef_groups: codes::NEF_GROUPS,
    }
}

#[derive(Deserialize)]
struct NewQuery {
    org: Option<String>,
}

async fn new_form(ctx: Ctx, Query(q): Query<NewQuery>) -> PageResult {
    let form = PersonForm {
        org_code: q.org,
        joined_on: Some(chrono::Local::now().date_naive().to_string()),
        ..Default::default()
    };
    render(form_page(
        &ctx,
        "登记会员".into(),
        "/members/new".into(),
        false,
        form,
    ))
}

fn refused(mut page: FormPage, r: PersonRefusal) -> PageResult {
    match r {
        PersonRefusal::Fields(issues) => {
            page.error = Some("会员信息有误，请按提示修改".into());
            page.issues = issues;
            render_invalid(page)
        }
        PersonRefusal::Other(e) if e.status().is_client_error() => {
            page.error = Some(e.message().into());
            render_invalid(page)
        }
        PersonRefusal::Other(e) => Err(e.into()),
    }
}

async fn create(State(st): State<AppState>, ctx: Ctx, Form(f): Form<PersonForm>) -> PageResult {
    let actor = ctx.caller.actor(&st.reg.keys);
    let org_code = field(&f.org_code).unwrap_or_default();
    match members::enroll(
        &st.reg.db,
        &st.reg.keys,
        &actor,
        &f.input(),
        &org_code,
        f.joined_on.as_deref(),
    )
    .await
    {
        Ok(e) => {
            let notice = match e.outcome {
                members::Enrolment::Inserted => "enrolled",
                members::Enrolment::Rejoined => "rejoined",
                members::Enrolment::Updated => "enrol_updated",
                members::Enrolment::Unchanged => "enrol_unchanged",
            };
            done(&format!("/members/{}", e.id), notice)
        }
        Err(r) => {
            // Everything typed comes back, the ID number included, so a typo can be seen and
            // corrected; the page is sent with no-store like every page.
            let page = form_page(&ctx, "登记会员".into(), "/members/new".into(), false, f);
            refused(page, r)
        }
    }
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id, "会员")?;
    let m = members::get(&st.reg.db, &ctx.caller.scope, id).await?;
    let mut page = form_page(
        &ctx,
        format!("修改会员信息 · {}", m.name),
        format!("/members/{id}/edit"),
        true,
        PersonForm::of(&m),
    );
    page.id_masked = m.id_masked.clone();
    page.mobile_masked = m.mobile_masked.clone().unwrap_or_default();
    render(page)
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PersonForm>,
) -> PageResult {
    let id = parse_id(&id, "会员")?;
    let m = members::get(&st.reg.db, &ctx.caller.scope, id).await?;
    let actor = ctx.caller.actor(&st.reg.keys);
    match members::edit(&st.reg.db, &st.reg.keys, &actor, id, &f.input()).await {
        Ok(_) => done(&format!("/members/{id}"), "saved"),
        Err(r) => {
            let mut page = form_page(
                &ctx,
                format!("修改会员信息 · {}", m.name),
                format!("/members/{id}/edit"),
                true,
                f,
            );
            page.id_masked = m.id_masked.clone();
            page.mobile_masked = m.mobile_masked.clone().unwrap_or_default();
            refused(page, r)
        }
    }
}

#[derive(Template)]
#[template(path = "members/action.html")]
struct ActionPage {
    shell: Shell,
    m: MemberView,
    action: &'static str,
    to_code: String,
    on: String,
    note: String,
    event: String,
    error: Option<String>,
}

fn today() -> String {
    chrono::Local::now().date_naive().to_string()
}

async fn transfer_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id, "会员")?;
    let m = members::get(&st.reg.db, &ctx.caller.scope, id).await?;
    render(ActionPage {
        shell: ctx.shell("转会", "members"),
        m,
        action: "transfer",
        to_code: String::new(),
        on: today(),
        note: String::new(),
        event: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
struct TransferForm {
    to_code: Option<String>,
    on: Option<String>,
    note: Option<String>,
}

async fn transfer(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<TransferForm>,
) -> PageResult {
    let id = parse_id(&id, "会员")?;
    let m = members::get(&st.reg.db, &ctx.caller.scope, id).await?;
    let (to_code, on_text, note) = (
        field(&f.to_code).unwrap_or_default(),
        field(&f.on).unwrap_or_else(today),
        field(&f.note).unwrap_or_default(),
    );
    let result = async {
        let on = parse_date(&on_text)?;
        transfers::request(
            &st.reg.db,
            &ctx.caller.actor(&st.reg.keys),
            id,
            &to_code,
            on,
            &note,
        )
        .await
    }
    .await;
    match result {
        Ok(_) => done(&format!("/members/{id}"), "transfer_started"),
        Err(e) if e.status().is_client_error() => render_invalid(ActionPage {
            shell: ctx.shell("转会", "members"),
            m,
            action: "transfer",
            to_code,
            on: on_text,
            note,
            event: String::new(),
            error: Some(e.message().into()),
        }),
        Err(e) => Err(e.into()),
    }
}

async fn event_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id, "会员")?;
    let m = members::get(&st.reg.db, &ctx.caller.scope, id).await?;
    render(ActionPage {
        shell: ctx.shell("办理会籍变动", "members"),
        m,
        action: "event",
        to_code: String::new(),
        on: today(),
        note: String::new(),
        event: "leave".into(),
        error: None,
    })
}

#[derive(Deserialize)]
struct EventForm {
    event: Option<String>,
    on: Option<String>,
}

async fn event(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<EventForm>,
) -> PageResult {
    let id = parse_id(&id, "会员")?;
    let m = members::get(&st.reg.db, &ctx.caller.scope, id).await?;
    let (event_text, on_text) = (
        field(&f.event).unwrap_or_default(),
        field(&f.on).unwrap_or_else(today),
    );
    let result = async {
        let event = match event_text.as_str() {
            "leave" => MemberEvent::Leave,
            "retire" => MemberEvent::Retire,
            "death" => MemberEvent::Death,
            _ => return Err(AppError::invalid("请选择要办理的事项")),
        };
        let on = parse_date(&on_text)?;
        members::apply_event(&st.reg.db, &ctx.caller.actor(&st.reg.keys), id, event, on).await
    }
    .await;
    match result {
        Ok(_) => done(&format!("/members/{id}"), "event"),
        Err(e) if e.status().is_client_error() => render_invalid(ActionPage {
            shell: ctx.shell("办理会籍变动", "members"),
            m,
            action: "event",
            to_code: String::new(),
            on: on_text,
            note: String::new(),
            event: event_text,
            error: Some(e.message().into()),
        }),
        Err(e) => Err(e.into()),
    }
}
