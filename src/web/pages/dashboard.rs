//! The dashboard of the caller's scope, and the list behind any of its figures.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;

use super::charts::{self, Bar};
use super::{Ctx, PageResult, Shell, query_of, render, thousands};
use crate::app::AppState;
use crate::registry::orgs::Org;
use crate::registry::stats::{self, DrillRows, Figure, Stats, StatsQuery};
use crate::registry::units::Unit;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/drill", get(drill))
}

/// A figure on a card, with the list behind it.
pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub note: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct DashboardPage {
    shell: Shell,
    stats: Stats,
    cards: Vec<Card>,
    members_chart: String,
    kinds_chart: String,
    rates_chart: String,
    nef_chart: String,
}

fn drill_link(figure: &str, s: &Stats) -> String {
    format!(
        "/drill?{}",
        query_of(&[
            ("figure", Some(figure.into())),
            ("org", Some(s.org_code.clone())),
            ("from", Some(s.from.clone())),
            ("to", Some(s.to.clone())),
        ])
    )
}

#[derive(Deserialize)]
struct PeriodQuery {
    org: Option<String>,
}

async fn dashboard(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let db = &st.reg.db;
    let (org, period) = stats::resolve(
        db,
        &ctx.caller.scope,
        &StatsQuery {
            org: q.org.clone(),
            from: None,
            to: None,
        },
    )
    .await?;
    let s = stats::compute(db, &org, &period).await?;
    let m = &s.members;
    let rate = s
        .employers
        .membership_rate_percent
        .map(|r| format!("{r:.2}%"))
        .unwrap_or_else(|| "—".into());
    let members_of = |extra: &str| format!("/members?org={}{extra}", s.org_code);
    let cards = vec![
        Card {
            label: "工会组织",
            value: thousands(s.unions.at_end),
            note: format!("今年新建 {}", thousands(s.unions.new_in_period)),
            href: drill_link("unions_at_end", &s),
        },
        Card {
            label: "会员",
            value: thousands(m.at_end),
            note: format!("另有退休会员 {}", thousands(m.retired_at_end)),
            href: members_of("&status=active"),
        },
        Card {
            label: "今年新入会",
            value: thousands(m.joined),
            note: format!("转入 {}", thousands(m.transferred_in)),
            href: drill_link("joined", &s),
        },
        Card {
            label: "今年净增",
            value: format!("{:+}", m.net_change),
            note: format!(
                "离会 {} · 转出 {}",
                thousands(m.left),
                thousands(m.transferred_out)
            ),
            href: drill_link("left", &s),
        },
        Card {
            label: "农民工会员",
            value: thousands(m.migrant_at_end),
            note: "在会会员中".into(),
            href: members_of("&status=active&migrant=true"),
        },
        Card {
            label: "新就业形态会员",
            value: thousands(m.new_employment_at_end),
            note: "快递员、网约车司机、货车司机等".into(),
            href: members_of("&status=active&nef=true"),
        },
        Card {
            label: "入会率",
            value: rate,
            note: format!(
                "覆盖单位职工 {}",
                thousands(s.employers.employees_of_covered)
            ),
            href: drill_link("employers_covered", &s),
        },
    ];
    let series = stats::members_by_month(db, &org, m.at_end, period.to, 12).await?;
    let members_chart = charts::line("近12个月会员人数（月末）", &series);
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
            href: Some(members_of(&format!(
                "&status=active&{}",
                query_of(&[("nef_group", Some(g.group.clone()))])
            ))),
        })
        .collect();
    let nef_chart = charts::bars("新就业形态会员（按群体）", &nef);
    render(DashboardPage {
        shell: ctx.shell(format!("工作台 · {}", s.org_name), "dashboard"),
        stats: s,
        cards,
        members_chart,
        kinds_chart,
        rates_chart,
        nef_chart,
    })
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
        Figure::Left => "期内离会",
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
