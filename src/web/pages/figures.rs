//! Every figure of the catalogue on one page, and the records behind any figure of money and
//! help (hardship files, aid paid, mutual aid, union funds) as a list a cadre can read and
//! export. Casework and the registry keep their own lists; `/figures/{key}` leads to them too,
//! so every figure has one console address.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use chrono::Datelike;
use serde::Deserialize;

use super::{Ctx, PageResult, Pager, Shell, field, query_of, redirect, render};
use crate::app::AppState;
use crate::error::AppError;
use crate::figures::FigureValue;
use crate::registry::orgs::Org;
use crate::registry::stats::{self, Period, StatsQuery};
use crate::types::Fen;
use crate::workflow::Named;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/figures", get(catalogue))
        .route("/figures/{key}", get(rows_behind))
}

#[derive(Debug, Default, Deserialize)]
pub struct FigureQuery {
    org: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

impl FigureQuery {
    async fn resolve(&self, st: &AppState, ctx: &Ctx) -> Result<(Org, Period), AppError> {
        stats::resolve(
            &st.reg.db,
            &ctx.caller.scope,
            &StatsQuery {
                org: field(&self.org),
                from: field(&self.from),
                to: field(&self.to),
            },
        )
        .await
    }
}

/// The console address of a figure's records for a union and period: money and help here,
/// casework on its own list, the registry's on the dashboard's drill.
pub fn href(f: &FigureValue, org: &Org, period: &Period) -> Option<String> {
    let q = query_of(&[
        ("org", Some(org.code.clone())),
        ("from", Some(period.from.to_string())),
        ("to", Some(period.to.to_string())),
    ]);
    if ROWS.iter().any(|(k, _)| *k == f.key) {
        return Some(format!("/figures/{}?{q}", f.key));
    }
    if f.module == "registry" {
        // The registry's drills name the console list in their API address.
        let api = f.drill.as_deref()?;
        return api
            .strip_prefix("/api/v1/stats/drill?")
            .map(|rest| format!("/drill?{rest}"))
            .or_else(|| {
                api.strip_prefix("/api/v1/units?")
                    .map(|rest| format!("/units?{rest}"))
            });
    }
    if ["honours.", "innovation.", "research."]
        .iter()
        .any(|m| f.key.starts_with(m))
    {
        // These modules' drills are the console's own lists at the same address.
        return f
            .drill
            .as_deref()
            .and_then(|api| api.strip_prefix("/api/v1"))
            .map(str::to_string);
    }
    if f.module == crate::activities::MODULE {
        // The activities held in the period; the people behind 人 and 人次; the events, awards
        // and payments behind the competition and money figures.
        return Some(match f.key.as_str() {
            "activities.persons" | "activities.person_times" => {
                format!("/activities/persons?{q}")
            }
            "activities.contests"
            | "activities.trades"
            | "activities.entrants"
            | "activities.teams" => format!("/activities/contests?{q}"),
            "activities.awards" => format!("/activities/awards?{q}"),
            "activities.spent" => format!("/activities/spending?{q}"),
            _ => format!("/activities?{q}&held=true"),
        });
    }
    if f.module == crate::contracts::MODULE {
        // The contracts' own lists: the contracts, the employers covered, the checklists.
        let code = Some(org.code.clone());
        let at = Some(period.to.to_string());
        let year = Some(period.to.year().to_string());
        let page = |path: &str, pairs: &[(&str, Option<String>)]| {
            Some(format!("{path}?{}", query_of(pairs)))
        };
        return match f.key.as_str() {
            "contracts.in_force" => page("/contracts", &[("org", code), ("in_force_on", at)]),
            "contracts.signed" => page(
                "/contracts",
                &[
                    ("org", code),
                    ("signed_from", Some(period.from.to_string())),
                    ("signed_to", at),
                ],
            ),
            "contracts.expiring" => page(
                "/contracts",
                &[
                    ("org", code),
                    ("in_force_on", at.clone()),
                    ("ends_after", at),
                    (
                        "ends_by",
                        Some(crate::contracts::figures::three_months_after(period.to).to_string()),
                    ),
                ],
            ),
            "contracts.employers" | "contracts.employees" => {
                page("/contracts/covered", &[("org", code), ("at", at)])
            }
            "contracts.rate" => page(
                "/contracts/covered",
                &[
                    ("org", code),
                    ("at", at),
                    ("unionised", Some("true".into())),
                ],
            ),
            "contracts.congress_rate" => page(
                "/contracts/checklists",
                &[
                    ("org", code),
                    ("year", year),
                    ("has", Some("congress".into())),
                ],
            ),
            "contracts.disclosure_rate" => page(
                "/contracts/checklists",
                &[
                    ("org", code),
                    ("year", year),
                    ("has", Some("disclosure".into())),
                ],
            ),
            "contracts.offer_coverage" => Some("/contracts/campaigns".into()),
            _ => None,
        };
    }
    crate::casework::figures::keys()
        .any(|k| k == f.key)
        .then(|| format!("/casework/figures/{}?{q}", f.key))
}

/// The module a figure's records belong to (whoever works on it may open them).
fn module_of(key: &str) -> &'static str {
    match key.split('.').next() {
        Some("mutual") => crate::aid::mutual::MODULE,
        Some("funds") => crate::funds::MODULE,
        _ => crate::aid::MODULE,
    }
}

/// Which list each figure of money and help opens.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    AidPaid,
    FilesOnFile,
    PersonsOnFile,
    FilesEntered,
    FilesExited,
    Enrolments,
    Enrollees,
    Claims,
    Receipts,
    RefundsPaid,
    Grants,
    Held,
}

const ROWS: &[(&str, Source)] = &[
    ("hardship.households", Source::FilesOnFile),
    ("hardship.persons", Source::PersonsOnFile),
    ("hardship.entered", Source::FilesEntered),
    ("hardship.exited", Source::FilesExited),
    ("aid.person_times", Source::AidPaid),
    ("aid.persons", Source::AidPaid),
    ("aid.households", Source::AidPaid),
    ("aid.amount", Source::AidPaid),
    ("mutual.units", Source::Enrolments),
    ("mutual.contributions", Source::Enrolments),
    ("mutual.persons", Source::Enrollees),
    ("mutual.claims", Source::Claims),
    ("mutual.paid", Source::Claims),
    ("funds.receipts", Source::Receipts),
    ("funds.paying_firms", Source::Receipts),
    ("funds.refund_times", Source::RefundsPaid),
    ("funds.refund_firms", Source::RefundsPaid),
    ("funds.refund_amount", Source::RefundsPaid),
    ("funds.grants", Source::Grants),
    ("funds.held", Source::Held),
];

/// A cell of the list: its text, a link to the record, right-aligned when a number.
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub num: bool,
}

fn text(t: impl Into<String>) -> Cell {
    Cell {
        text: t.into(),
        href: None,
        num: false,
    }
}

fn money(fen: i64) -> Cell {
    Cell {
        text: Fen(fen).to_string(),
        href: None,
        num: true,
    }
}

fn count(n: i64) -> Cell {
    Cell {
        text: n.to_string(),
        href: None,
        num: true,
    }
}

fn linked(t: impl Into<String>, href: String) -> Cell {
    Cell {
        text: t.into(),
        href: Some(href),
        num: false,
    }
}

/// The records behind a figure, a page of them.
struct Listed {
    headers: &'static [&'static str],
    rows: Vec<Vec<Cell>>,
    total: i64,
    unit: &'static str,
    /// The register of the same records as a spreadsheet, where there is one.
    export: Option<String>,
}

#[derive(Template)]
#[template(path = "figures/rows.html")]
struct RowsPage {
    shell: Shell,
    figure: FigureValue,
    org_name: String,
    from: String,
    to: String,
    listed: Listed,
    pager: Pager,
    note: &'static str,
}

const PER_PAGE: i64 = 50;

async fn rows_behind(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(key): Path<String>,
    Query(q): Query<FigureQuery>,
) -> PageResult {
    let Some(&(_, source)) = ROWS.iter().find(|(k, _)| *k == key) else {
        // Casework's and the registry's figures have their own lists.
        let (org, period) = q.resolve(&st, &ctx).await?;
        let all = crate::figures::catalogue(&st.reg.db, &org, &period).await?;
        let to = all
            .iter()
            .find(|f| f.key == key)
            .and_then(|f| href(f, &org, &period))
            .ok_or_else(|| AppError::not_found("指标"))?;
        return redirect(&to);
    };
    ctx.caller.must_work_on(module_of(&key))?;
    let (org, period) = q.resolve(&st, &ctx).await?;
    if source == Source::Held {
        return redirect(&format!(
            "/ledger?{}",
            query_of(&[("to", Some(period.to.to_string()))])
        ));
    }
    let db = &st.reg.db;
    // The figure's own module computes it; the other modules' figures are not needed here.
    let all = if module_of(&key) == crate::funds::MODULE {
        crate::funds::figures::compute(db, &org, &period).await?
    } else {
        crate::aid::figures::compute(db, &org, &period).await?
    };
    let figure = all
        .into_iter()
        .find(|f| f.key == key)
        .ok_or_else(|| AppError::not_found("指标"))?;
    let page = q.page.unwrap_or(1).clamp(1, crate::db::Paging::MAX_PAGE);
    let listed = list(&st, &ctx, source, &org, &period, page).await?;
    let params = [
        ("org", Some(org.code.clone())),
        ("from", Some(period.from.to_string())),
        ("to", Some(period.to.to_string())),
    ];
    render(RowsPage {
        shell: ctx.shell(figure.label.clone(), nav_of(&key)),
        pager: Pager::new(
            &format!("/figures/{key}"),
            &params,
            page,
            PER_PAGE,
            listed.total,
            listed.unit,
        ),
        note: note_of(source),
        figure,
        org_name: org.name,
        from: period.from.to_string(),
        to: period.to.to_string(),
        listed,
    })
}

fn nav_of(key: &str) -> &'static str {
    match module_of(key) {
        m if m == crate::funds::MODULE => "funds",
        m if m == crate::aid::mutual::MODULE => "mutual",
        _ => "aid",
    }
}

/// How the list relates to the figure, in words.
fn note_of(source: Source) -> &'static str {
    match source {
        Source::AidPaid => {
            "每行是一笔发放成功的帮扶：行数即人次；同一人多行只计一人；同一档案多人只计一户。"
        }
        Source::FilesOnFile => "统计期末在档的困难职工家庭，每行一户。",
        Source::PersonsOnFile => "统计期末在档家庭的成员，每行一人。",
        Source::FilesEntered => "统计期内新建档的家庭，每行一户。",
        Source::FilesExited => "统计期内解困脱困的家庭，每行一户。",
        Source::Enrolments => "统计期内各单位的参保登记：行数即家次，缴费金额逐行相加即缴费合计。",
        Source::Enrollees => "统计期内参保的职工，每行一人次。",
        Source::Claims => "统计期内赔付的理赔，每行一人次，赔付金额逐行相加即赔付合计。",
        Source::Receipts => "统计期内入库的税务代收经费明细，同一单位多行只计一家。",
        Source::RefundsPaid => "统计期内支付的返还，每行一家次，同一企业多行只计一家。",
        Source::Grants => "统计期内本级及以下工会收到的补助。",
        Source::Held => "",
    }
}

fn period_query(org: &Org, period: &Period) -> String {
    query_of(&[
        ("org", Some(org.code.clone())),
        ("from", Some(period.from.to_string())),
        ("to", Some(period.to.to_string())),
    ])
}

async fn list(
    st: &AppState,
    ctx: &Ctx,
    source: Source,
    org: &Org,
    period: &Period,
    page: i64,
) -> Result<Listed, AppError> {
    use crate::aid::hardship::{self, FileFilter};
    let db = &st.reg.db;
    let paging = crate::db::Paging::new(Some(page), Some(PER_PAGE), PER_PAGE);
    let q = period_query(org, period);
    let files = |on_file_at: Option<String>, entered: bool, exited: bool| FileFilter {
        org: Some(org.code.clone()),
        on_file_at,
        entered: entered.then_some(true),
        exited: exited.then_some(true),
        from: Some(period.from.to_string()),
        to: Some(period.to.to_string()),
        page: Some(page),
        per_page: Some(PER_PAGE),
        ..Default::default()
    };
    let file_rows = |rows: Vec<hardship::HardshipFile>| {
        rows.into_iter()
            .map(|f| {
                vec![
                    linked(f.worker_name, format!("/aid/files/{}", f.id)),
                    text(f.worker_id_masked),
                    text(f.org_name),
                    text(f.tier_label),
                    count(f.household_size),
                    text(f.entered_on),
                    text(f.exited_on.unwrap_or_default()),
                ]
            })
            .collect()
    };
    const FILE_HEADERS: &[&str] = &[
        "困难职工",
        "身份证号",
        "建档工会",
        "困难类别",
        "家庭人口",
        "建档日期",
        "解困日期",
    ];
    let files_export = Some(format!("/api/v1/aid/files/export?{q}"));
    Ok(match source {
        Source::AidPaid => {
            let (rows, total) =
                crate::aid::figures::paid_rows(db, &org.path, period, None, &paging).await?;
            Listed {
                headers: &[
                    "发放日期",
                    "帮扶活动",
                    "工会",
                    "受助职工",
                    "身份证号",
                    "形式",
                    "金额（元）",
                ],
                rows: rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            text(r.paid_on),
                            text(r.campaign_name),
                            text(r.org_name),
                            text(r.member_name),
                            text(r.member_id_masked),
                            text(
                                crate::aid::campaigns::Form::parse(&r.form)
                                    .map(Named::label)
                                    .unwrap_or(""),
                            ),
                            money(r.amount_fen),
                        ]
                    })
                    .collect(),
                total,
                unit: "人次",
                export: Some(format!("/api/v1/aid/paid/export?{q}")),
            }
        }
        Source::FilesOnFile | Source::FilesEntered | Source::FilesExited => {
            let f = match source {
                Source::FilesOnFile => files(Some(period.to.to_string()), false, false),
                Source::FilesEntered => files(None, true, false),
                _ => files(None, false, true),
            };
            let (rows, total) = hardship::list(db, &ctx.caller.scope, &f, st.today()).await?;
            Listed {
                headers: FILE_HEADERS,
                rows: file_rows(rows),
                total,
                unit: "户",
                export: files_export,
            }
        }
        Source::PersonsOnFile => {
            let f = files(Some(period.to.to_string()), false, false);
            let (rows, total) = hardship::persons_in(db, &ctx.caller.scope, &f, st.today()).await?;
            Listed {
                headers: &["姓名", "身份证号", "与困难职工关系", "建档工会", "困难类别"],
                rows: rows
                    .into_iter()
                    .map(|p| {
                        vec![
                            linked(p.name, format!("/aid/files/{}", p.file_id)),
                            text(p.id_masked.unwrap_or_default()),
                            text(
                                hardship::Relation::parse(&p.relation)
                                    .map(Named::label)
                                    .unwrap_or(""),
                            ),
                            text(p.org_name),
                            text(
                                hardship::Tier::parse(&p.tier)
                                    .map(hardship::Tier::label)
                                    .unwrap_or(""),
                            ),
                        ]
                    })
                    .collect(),
                total,
                unit: "人",
                export: files_export,
            }
        }
        Source::Enrolments => {
            let (rows, total) =
                crate::aid::mutual::enrolments_in(db, &org.path, period.from, period.to, &paging)
                    .await?;
            Listed {
                headers: &[
                    "参保日期",
                    "互助计划",
                    "单位",
                    "所属工会",
                    "会员数",
                    "参保人数",
                    "缴费（元）",
                ],
                rows: rows
                    .into_iter()
                    .map(|e| {
                        vec![
                            text(e.enrolled_on),
                            text(e.plan_name),
                            text(e.unit_name),
                            text(e.org_name),
                            count(e.unit_members),
                            count(e.enrolled),
                            money(e.contribution_fen),
                        ]
                    })
                    .collect(),
                total,
                unit: "家次",
                export: None,
            }
        }
        Source::Enrollees => {
            let (rows, total) =
                crate::aid::mutual::enrollees_in(db, &org.path, period.from, period.to, &paging)
                    .await?;
            Listed {
                headers: &[
                    "参保日期",
                    "互助计划",
                    "单位",
                    "职工",
                    "身份证号",
                    "已获赔付（元）",
                ],
                rows: rows
                    .into_iter()
                    .map(|e| {
                        vec![
                            text(e.enrolled_on),
                            text(e.plan_name),
                            text(e.unit_name),
                            text(e.member_name),
                            text(e.member_id_masked),
                            money(e.claimed_fen),
                        ]
                    })
                    .collect(),
                total,
                unit: "人次",
                export: None,
            }
        }
        Source::Claims => {
            let (rows, total) =
                crate::aid::mutual::claims_in(db, &org.path, period.from, period.to, &paging)
                    .await?;
            Listed {
                headers: &[
                    "赔付日期",
                    "互助计划",
                    "职工",
                    "身份证号",
                    "工会",
                    "病种或治疗",
                    "医疗费用（元）",
                    "赔付（元）",
                ],
                rows: rows
                    .into_iter()
                    .map(|c| {
                        vec![
                            linked(
                                c.paid_on.unwrap_or_default(),
                                format!("/mutual/claims/{}", c.id),
                            ),
                            text(c.plan_name),
                            text(c.member_name),
                            text(c.member_id_masked),
                            text(c.org_name),
                            text(c.illness),
                            money(c.expense_fen),
                            money(c.payable_fen),
                        ]
                    })
                    .collect(),
                total,
                unit: "人次",
                export: Some(format!("/api/v1/mutual/claims/export?{q}")),
            }
        }
        Source::Receipts => {
            let (rows, total) =
                crate::funds::receipts::receipts_in(db, &org.path, period.from, period.to, &paging)
                    .await?;
            Listed {
                headers: &[
                    "入库日期",
                    "缴费单位",
                    "统一社会信用代码",
                    "所属工会",
                    "所属期",
                    "金额（元）",
                    "凭证",
                ],
                rows: rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            text(r.received_on),
                            text(r.unit_name),
                            text(r.uscc),
                            text(r.org_name.unwrap_or_default()),
                            text(r.period),
                            money(r.amount_fen),
                            linked(
                                r.voucher_no.unwrap_or_else(|| "记账凭证".into()),
                                format!("/ledger/postings/{}", r.posting_id),
                            ),
                        ]
                    })
                    .collect(),
                total,
                unit: "笔",
                export: Some(format!("/api/v1/funds/receipts/export?{q}")),
            }
        }
        Source::RefundsPaid => {
            let f = crate::funds::refunds::RefundFilter {
                status: Some(crate::funds::refunds::RefundStatus::Paid),
                paid_from: Some(period.from),
                paid_to: Some(period.to),
            };
            let (rows, total) =
                crate::funds::refunds::refunds_in(db, &org.path, &f, &paging).await?;
            Listed {
                headers: &[
                    "支付日期",
                    "企业",
                    "统一社会信用代码",
                    "所属工会",
                    "所属期",
                    "入库经费（元）",
                    "返还（元）",
                ],
                rows: rows
                    .into_iter()
                    .map(|r| {
                        vec![
                            text(r.paid_on.unwrap_or_default()),
                            text(r.unit_name),
                            text(r.uscc),
                            text(r.org_name.unwrap_or_default()),
                            text(format!("{} 至 {}", r.period_from, r.period_to)),
                            money(r.receipts_fen),
                            money(r.refund_fen),
                        ]
                    })
                    .collect(),
                total,
                unit: "家次",
                export: Some(format!("/api/v1/funds/refunds/export?{q}")),
            }
        }
        Source::Grants => {
            let (rows, total) =
                crate::funds::grants::grants_in(db, &org.path, period.from, period.to, &paging)
                    .await?;
            Listed {
                headers: &["日期", "拨付工会", "受补助工会", "用途", "金额（元）"],
                rows: rows
                    .into_iter()
                    .map(|g| {
                        vec![
                            text(g.granted_on),
                            text(g.from_name),
                            text(g.to_name),
                            text(g.purpose),
                            money(g.amount_fen),
                        ]
                    })
                    .collect(),
                total,
                unit: "笔",
                export: None,
            }
        }
        Source::Held => Listed {
            headers: &[],
            rows: Vec::new(),
            total: 0,
            unit: "",
            export: None,
        },
    })
}

// ---------- the whole catalogue ----------

/// A figure on the catalogue page.
pub struct Line {
    pub label: String,
    pub display: String,
    pub definition: String,
    pub href: Option<String>,
}

/// A module's figures.
pub struct Group {
    pub title: &'static str,
    pub lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "figures/index.html")]
struct CataloguePage {
    shell: Shell,
    org_name: String,
    from: String,
    to: String,
    groups: Vec<Group>,
    rounding: &'static str,
}

fn module_title(module: &str) -> &'static str {
    match module {
        "registry" => "组织与会员",
        "hardship" => "困难帮扶",
        "mutual_aid" => "医疗互助",
        "funds" => "工会经费",
        _ => "职工维权",
    }
}

/// Whether the caller may open the records behind a figure of `module`.
fn may_open(ctx: &Ctx, module: &str) -> bool {
    match module {
        "registry" => true,
        "hardship" | "mutual_aid" | "funds" => ctx.caller.works_on(module),
        _ => ctx.caller.works_on(crate::casework::MODULE),
    }
}

async fn catalogue(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FigureQuery>,
) -> PageResult {
    let (org, period) = q.resolve(&st, &ctx).await?;
    let all = crate::figures::catalogue(&st.reg.db, &org, &period).await?;
    let mut groups: Vec<Group> = Vec::new();
    for f in all {
        let title = module_title(&f.module);
        let line = Line {
            href: may_open(&ctx, &f.module)
                .then(|| href(&f, &org, &period))
                .flatten(),
            label: f.label,
            display: f.display,
            definition: f.definition,
        };
        match groups.iter_mut().find(|g| g.title == title) {
            Some(g) => g.lines.push(line),
            None => groups.push(Group {
                title,
                lines: vec![line],
            }),
        }
    }
    render(CataloguePage {
        shell: ctx.shell(format!("全部指标 · {}", org.name), "dashboard"),
        org_name: org.name,
        from: period.from.to_string(),
        to: period.to.to_string(),
        groups,
        rounding: crate::figures::WAN_ROUNDING,
    })
}
