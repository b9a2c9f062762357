//! The dashboard of the caller's scope, and the list behind any of its figures.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;

use super::charts::{self, Bar};
use super::{Ctx, PageResult, Shell, query_of, render, thousands};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::AppError;
use crate::figures::FigureValue;
use crate::registry::orgs::Org;
use crate::registry::overview::{self, PeriodChoice};
use crate::registry::stats::{self, DrillRows, Figure, Period, Stats, StatsQuery};
use crate::registry::units::Unit;
use crate::types::parse_date;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/dashboard/statistics.xlsx", get(statistics_xlsx))
        .route("/drill", get(drill))
}

/// A figure on a card, with the list behind it.
pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub note: String,
    /// 同比 in words, when the same dates a year earlier hold records.
    pub yoy: Option<String>,
    pub href: String,
}

/// A figure of the catalogue on a card: its value, 同比 and definition, and the cases behind it.
pub struct FigureCard {
    pub label: String,
    pub value: String,
    pub definition: String,
    pub yoy: Option<String>,
    pub href: Option<String>,
}

/// The union a list's figures are for — the one its filter names by code, else the top of the
/// caller's scope — and this year so far.
pub async fn this_year_of(
    db: &crate::db::Db,
    caller: &Caller,
    code: Option<&str>,
    today: chrono::NaiveDate,
) -> crate::error::AppResult<(Org, Period)> {
    let org = match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => crate::registry::orgs::get_by_code(db, &caller.scope, code).await?,
        None => crate::registry::orgs::scope_root(db, &caller.scope)
            .await?
            .ok_or_else(|| crate::error::AppError::not_found("工会"))?,
    };
    let period = Period {
        from: chrono::Datelike::with_ordinal(&today, 1).unwrap_or(today),
        to: today,
    };
    Ok((org, period))
}

impl FigureCard {
    /// Every figure of a module as a card opening its rows.
    pub fn all_linked(
        values: Vec<FigureValue>,
        caller: &Caller,
        org: &Org,
        period: &Period,
    ) -> Vec<FigureCard> {
        values
            .into_iter()
            .map(|v| FigureCard::linked(v, caller, org, period))
            .collect()
    }

    /// A catalogue figure on a card that opens the rows behind it for a caller who works on
    /// the figure's module.
    pub fn linked(f: FigureValue, caller: &Caller, org: &Org, period: &Period) -> Self {
        FigureCard {
            href: caller
                .works_on(&f.module)
                .then(|| super::figures::href(&f, org, period))
                .flatten(),
            yoy: None,
            label: f.label,
            value: f.display,
            definition: f.definition,
        }
    }
}

/// One part of the net change, as a line of the breakdown.
pub struct PartLine {
    pub label: &'static str,
    pub value: String,
    pub href: Option<String>,
}

/// The honours figures the dashboard shows beside the activities' (the rest are in the
/// catalogue).
const HONOURS_SHOWN: &[&str] = &["honours.granted", "honours.persons"];

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct DashboardPage {
    shell: Shell,
    stats: Stats,
    cards: Vec<Card>,
    parts: Vec<PartLine>,
    net: String,
    before_period: Option<String>,
    /// (incoming, outgoing) transfers waiting for a decision.
    pending: (i64, i64),
    /// Casework waiting in the scope (for those who work on it).
    inbox: Vec<crate::workflow::inbox::Item>,
    /// Casework figures of the period.
    case_cards: Vec<FigureCard>,
    /// Hardship, aid, mutual-aid and fund figures of the period.
    money_cards: Vec<FigureCard>,
    contract_cards: Vec<FigureCard>,
    activity_cards: Vec<FigureCard>,
    /// The whole catalogue for the same union and dates.
    all_figures: String,
    period: &'static str,
    periods: Vec<(&'static str, &'static str)>,
    from: String,
    to: String,
    export: String,
    members_chart: String,
    kinds_chart: String,
    rates_chart: String,
    nef_chart: String,
}

fn drill_link(figure: Figure, s: &Stats) -> String {
    let figure = serde_json::to_value(figure)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string));
    format!(
        "/drill?{}",
        query_of(&[
            ("figure", figure),
            ("org", Some(s.org_code.clone())),
            ("from", Some(s.from.clone())),
            ("to", Some(s.to.clone())),
        ])
    )
}

#[derive(Deserialize)]
struct PeriodQuery {
    org: Option<String>,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl PeriodQuery {
    /// The union and the dates asked for: a named period, or from/to when given.
    async fn resolve(
        &self,
        st: &AppState,
        ctx: &Ctx,
    ) -> Result<(Org, Period, PeriodChoice), AppError> {
        let date = |v: &Option<String>| super::field(v).map(|d| parse_date(&d)).transpose();
        let (from, to) = (date(&self.from)?, date(&self.to)?);
        let choice = match super::field(&self.period) {
            Some(p) => PeriodChoice::parse(&p)?,
            None if from.is_some() || to.is_some() => PeriodChoice::Custom,
            None => PeriodChoice::ThisYear,
        };
        let today = chrono::Local::now().date_naive();
        let (from, to) = choice.dates(today, from, to)?;
        let (org, period) = stats::resolve(
            &st.reg.db,
            &ctx.caller.scope,
            &StatsQuery {
                org: self.org.clone(),
                from: Some(from.to_string()),
                to: Some(to.to_string()),
            },
        )
        .await?;
        Ok((org, period, choice))
    }
}

/// The figures of money and help the dashboard shows (the rest are on the catalogue page).
pub(super) const MONEY_SHOWN: &[&str] = &[
    "hardship.households",
    "aid.person_times",
    "aid.persons",
    "aid.amount",
    "mutual.persons",
    "mutual.claims",
    "mutual.paid",
    "funds.receipts",
    "funds.refund_times",
    "funds.refund_amount",
];

/// The figures of collective bargaining the dashboard shows.
pub(super) const CONTRACTS_SHOWN: &[&str] = &[
    "contracts.in_force",
    "contracts.employers",
    "contracts.employees",
    "contracts.rate",
    "contracts.congress_rate",
    "contracts.disclosure_rate",
    "contracts.offer_coverage",
    "contracts.expiring",
];

fn rate_text(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.2}%")).unwrap_or_else(|| "—".into())
}

async fn dashboard(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let db = &st.reg.db;
    let (org, period, choice) = q.resolve(&st, &ctx).await?;
    let works_on_cases = ctx.caller.works_on(crate::casework::MODULE);
    let today = crate::clock::local_date(st.auth.now());
    let works_on_aid = ctx.caller.works_on(crate::aid::MODULE);
    let inbox = async {
        let mut items = if works_on_cases {
            crate::workflow::inbox::casework(
                db,
                &ctx.caller.scope,
                ctx.caller.account_id,
                today,
                crate::casework::petitions::WARN_DAYS,
            )
            .await?
        } else {
            Vec::new()
        };
        if works_on_aid {
            items.extend(crate::aid::inbox(db, &ctx.caller.scope, today).await?);
        }
        if ctx.caller.works_on(crate::contracts::MODULE) {
            items.extend(crate::contracts::inbox(db, &ctx.caller.scope, today).await?);
        }
        if ctx.caller.works_on(crate::funds::MODULE) {
            items.extend(crate::funds::inbox(db, &ctx.caller.scope, &ctx.caller.name).await?);
        }
        crate::error::AppResult::Ok(items)
    };
    // The registry's overview, the inbox and the modules' figures, side by side.
    let (
        o,
        inbox,
        case_figures,
        aid_figures,
        fund_figures,
        contract_figures,
        activity_figures,
        honour_figures,
    ) = tokio::try_join!(
        overview::overview(db, &org, &period),
        inbox,
        crate::casework::figures::compute(db, &org, &period),
        crate::aid::figures::compute(db, &org, &period),
        crate::funds::figures::compute(db, &org, &period),
        crate::contracts::figures::compute(db, &org, &period),
        crate::activities::figures::compute(db, &org, &period),
        crate::honours::figures::compute(db, &org, &period)
    )?;
    let s = &o.stats;
    let m = &s.members;
    let yoy = |f: fn(&Stats) -> i64| o.compared(f).words();
    let at_start_link = {
        let day_before = (period.from - chrono::Duration::days(1)).to_string();
        format!(
            "/drill?{}",
            query_of(&[
                ("figure", Some("members_at_end".into())),
                ("org", Some(s.org_code.clone())),
                ("from", Some(day_before.clone())),
                ("to", Some(day_before)),
            ])
        )
    };
    let est = o.establishment;
    let cards = vec![
        Card {
            label: "会员（期末）",
            value: thousands(m.at_end),
            note: format!("另有退休会员 {}", thousands(m.retired_at_end)),
            yoy: yoy(|s| s.members.at_end),
            href: drill_link(Figure::MembersAtEnd, s),
        },
        Card {
            label: "期初会员",
            value: thousands(m.at_start),
            note: format!("{} 的在会会员", period.from),
            yoy: yoy(|s| s.members.at_start),
            href: at_start_link,
        },
        Card {
            label: "净增",
            value: format!("{:+}", m.net_change),
            note: "构成见下方“会员增减”".into(),
            yoy: yoy(|s| s.members.net_change),
            href: "#changes".into(),
        },
        Card {
            label: "期内新入会",
            value: thousands(m.joined),
            note: format!("另转入 {}", thousands(m.transferred_in)),
            yoy: yoy(|s| s.members.joined),
            href: drill_link(Figure::Joined, s),
        },
        Card {
            label: "期内退休",
            value: thousands(m.retired_in_period),
            note: "退休后保留会籍".into(),
            yoy: yoy(|s| s.members.retired_in_period),
            href: drill_link(Figure::Retired, s),
        },
        Card {
            label: "女职工会员",
            value: thousands(m.female_at_end),
            note: "期末在会会员中".into(),
            yoy: yoy(|s| s.members.female_at_end),
            href: drill_link(Figure::FemaleAtEnd, s),
        },
        Card {
            label: "农民工会员",
            value: thousands(m.migrant_at_end),
            note: "期末在会会员中".into(),
            yoy: yoy(|s| s.members.migrant_at_end),
            href: drill_link(Figure::MigrantAtEnd, s),
        },
        Card {
            label: "新就业形态会员",
            value: thousands(m.new_employment_at_end),
            note: "快递员、网约车司机、货车司机等".into(),
            yoy: yoy(|s| s.members.new_employment_at_end),
            href: drill_link(Figure::NewEmploymentAtEnd, s),
        },
        Card {
            label: "工会组织",
            value: thousands(s.unions.at_end),
            note: format!("期内新建 {}", thousands(s.unions.new_in_period)),
            yoy: yoy(|s| s.unions.at_end),
            href: drill_link(Figure::UnionsAtEnd, s),
        },
        Card {
            label: "入会率",
            value: rate_text(s.employers.membership_rate_percent),
            note: format!(
                "覆盖单位职工 {}",
                thousands(s.employers.employees_of_covered)
            ),
            yoy: None,
            href: drill_link(Figure::EmployersCovered, s),
        },
        Card {
            label: "建会率",
            value: rate_text(est.rate_percent()),
            note: format!(
                "已建会单位 {}，未建会 {}",
                thousands(est.covered),
                thousands(est.uncovered)
            ),
            yoy: None,
            href: format!("/units?{}", query_of(&[("uncovered", Some("true".into()))])),
        },
    ];
    let parts = overview::parts(s)
        .into_iter()
        .map(|p| PartLine {
            label: p.label,
            value: format!("{:+}", p.value),
            href: p.figure.map(|f| drill_link(f, s)),
        })
        .collect();
    let series = stats::members_by_month(db, &org, m.at_end, period.to, 12).await?;
    let members_chart = charts::line("会员人数（月末）", &series);
    let kinds: Vec<Bar> = s
        .unions
        .by_kind
        .iter()
        .filter(|k| k.at_end > 0)
        .map(|k| Bar {
            label: k.label.clone(),
            value: k.at_end as f64,
            text: thousands(k.at_end),
            href: Some(format!(
                "/orgs?{}",
                query_of(&[("kind", Some(k.kind.clone())), ("q", None)])
            )),
        })
        .collect();
    let kinds_chart = charts::bars("各类工会数量", &kinds);
    let rates: Vec<Bar> = stats::child_rates(db, &org)
        .await?
        .into_iter()
        .map(|c| Bar {
            text: c
                .rate_percent
                .map(|r| format!("{r:.1}%"))
                .unwrap_or_else(|| "无职工数".into()),
            value: c.rate_percent.unwrap_or(0.0),
            href: Some(format!("/orgs/{}", c.code)),
            label: c.name,
        })
        .collect();
    let rates_chart = charts::bars(&format!("{}下属各单位入会率", s.org_name), &rates);
    let nef: Vec<Bar> = m
        .new_employment_by_group
        .iter()
        .map(|g| Bar {
            label: g.group.clone(),
            value: g.count as f64,
            text: thousands(g.count),
            href: Some(format!(
                "/members?{}",
                query_of(&[
                    ("org", Some(s.org_code.clone())),
                    ("status", Some("active".into())),
                    ("nef_group", Some(g.group.clone())),
                ])
            )),
        })
        .collect();
    let nef_chart = charts::bars("新就业形态会员（按群体）", &nef);
    let case_cards = case_figures
        .into_iter()
        .map(|f| FigureCard {
            href: works_on_cases.then(|| {
                format!(
                    "/casework/figures/{}?{}",
                    f.key,
                    query_of(&[
                        ("org", Some(s.org_code.clone())),
                        ("from", Some(s.from.clone())),
                        ("to", Some(s.to.clone())),
                    ])
                )
            }),
            yoy: f.change_percent.map(|c| format!("同比 {c}")),
            label: f.label,
            value: f.display,
            definition: f.definition,
        })
        .collect();
    let money_cards = aid_figures
        .into_iter()
        .chain(fund_figures)
        .filter(|f| MONEY_SHOWN.contains(&f.key.as_str()))
        .map(|f| FigureCard::linked(f, &ctx.caller, &org, &period))
        .collect();
    let activity_cards = activity_figures
        .into_iter()
        .chain(
            honour_figures
                .into_iter()
                .filter(|f| HONOURS_SHOWN.contains(&f.key.as_str())),
        )
        .map(|f| FigureCard::linked(f, &ctx.caller, &org, &period))
        .collect();
    let contract_cards = contract_figures
        .into_iter()
        .filter(|f| CONTRACTS_SHOWN.contains(&f.key.as_str()))
        .map(|f| FigureCard::linked(f, &ctx.caller, &org, &period))
        .collect();
    let all_figures = format!(
        "/figures?{}",
        query_of(&[
            ("org", Some(s.org_code.clone())),
            ("from", Some(s.from.clone())),
            ("to", Some(s.to.clone())),
        ])
    );
    let export = format!(
        "/dashboard/statistics.xlsx?{}",
        query_of(&[
            ("org", Some(s.org_code.clone())),
            ("from", Some(s.from.clone())),
            ("to", Some(s.to.clone())),
        ])
    );
    render(DashboardPage {
        shell: ctx.shell(format!("工作台 · {}", s.org_name), "dashboard"),
        net: format!("{:+}", m.net_change),
        before_period: o.before.as_ref().map(|b| format!("{} 至 {}", b.from, b.to)),
        pending: o.pending,
        inbox,
        case_cards,
        money_cards,
        contract_cards,
        activity_cards,
        all_figures,
        period: choice.code(),
        periods: PeriodChoice::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
        from: s.from.clone(),
        to: s.to.clone(),
        export,
        cards,
        parts,
        stats: o.stats,
        members_chart,
        kinds_chart,
        rates_chart,
        nef_chart,
    })
}

/// The period's statistics table as an Excel file.
async fn statistics_xlsx(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let (org, period, _) = q.resolve(&st, &ctx).await?;
    let o = overview::overview(&st.reg.db, &org, &period).await?;
    let bytes = overview::workbook(&o)?;
    let name = format!("{}统计表（{}至{}）.xlsx", org.name, period.from, period.to);
    Ok(crate::web::api::attachment(
        &name,
        crate::web::api::XLSX_MIME,
        bytes,
    ))
}

#[derive(Deserialize)]
struct DrillParams {
    figure: Figure,
    org: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "dashboard/drill.html")]
struct DrillPage {
    shell: Shell,
    heading: String,
    period: String,
    members: Vec<crate::registry::stats::DrillPerson>,
    unions: Vec<Org>,
    employers: Vec<Unit>,
    pager: super::Pager,
}

fn figure_label(f: Figure) -> &'static str {
    match f {
        Figure::MembersAtEnd => "期末会员",
        Figure::RetiredAtEnd => "期末退休会员",
        Figure::FemaleAtEnd => "期末女会员",
        Figure::MigrantAtEnd => "期末农民工会员",
        Figure::NewEmploymentAtEnd => "期末新就业形态会员",
        Figure::Joined => "期内新入会",
        Figure::Left => "期内离会（含去世）",
        Figure::LeftAlive => "期内离会",
        Figure::Deceased => "期内去世",
        Figure::TransferredIn => "期内转入",
        Figure::TransferredOut => "期内转出",
        Figure::Retired => "期内退休",
        Figure::UnionsAtEnd => "期末工会组织",
        Figure::UnionsNew => "期内新建工会",
        Figure::EmployersCovered => "已覆盖的用人单位",
    }
}

async fn drill(State(st): State<AppState>, ctx: Ctx, Query(p): Query<DrillParams>) -> PageResult {
    let q = StatsQuery {
        org: p.org.clone(),
        from: p.from.clone(),
        to: p.to.clone(),
    };
    let (org, period) = stats::resolve(&st.reg.db, &ctx.caller.scope, &q).await?;
    let total = stats::compute(&st.reg.db, &org, &period)
        .await?
        .value(p.figure);
    let figure = serde_json::to_value(p.figure)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string));
    let unit = match p.figure {
        Figure::UnionsAtEnd | Figure::UnionsNew => "个",
        Figure::EmployersCovered => "家",
        _ => "人",
    };
    let pager = super::Pager::new(
        "/drill",
        &[
            ("figure", figure),
            ("org", Some(org.code.clone())),
            ("from", Some(period.from.to_string())),
            ("to", Some(period.to.to_string())),
        ],
        p.page.unwrap_or(1).max(1),
        50,
        total,
        unit,
    );
    let page = pager.page.min(pager.pages);
    let d = stats::drill(
        &st.reg.db,
        &ctx.caller.scope,
        &org,
        &period,
        p.figure,
        page,
        50,
    )
    .await?;
    let (mut members, mut unions, mut employers) = (Vec::new(), Vec::new(), Vec::new());
    match d.records {
        DrillRows::Members(v) => members = v,
        DrillRows::Unions(v) => unions = v,
        DrillRows::Employers(v) => employers = v,
    }
    render(DrillPage {
        shell: ctx.shell(figure_label(p.figure), "dashboard"),
        heading: format!("{} · {}", org.name, figure_label(p.figure)),
        period: format!("{} 至 {}", period.from, period.to),
        members,
        unions,
        employers,
        pager: super::Pager {
            page: d.page,
            ..pager
        },
    })
}
