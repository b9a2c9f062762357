//! Casework's figures in the catalogue, each written once as a condition on the case rows:
//! the same condition computes the figure (one pass over a subtree's cases of the period,
//! and one over the same dates a year earlier for 同比) and lists the cases behind it, so a
//! drill always lists exactly what the figure counts.
//!
//! Petitions count where they were received (`received_path`), disputes where they are
//! handled; both by their date of receipt. A repeat of an earlier petition is one more 件次
//! but not one more 件; the rates are over 件.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use utoipa::ToSchema;

use super::{disputes, petitions};
use std::collections::BTreeMap;

use crate::db::{Backend, Db, Tx};
use crate::error::{AppError, AppResult};
use crate::figures::{self, Amount, FigurePart, FigureUnit, FigureValue};
use crate::registry::counters;
use crate::registry::orgs::Org;
use crate::registry::overview::year_before;
use crate::registry::scope::Scope;
use crate::registry::stats::Period;
use crate::workflow::Named;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Petitions,
    Disputes,
}

/// What a figure measures, as conditions on the rows (`p.` petitions, `d.` disputes).
#[derive(Debug, Clone, Copy)]
enum Measure {
    Count(&'static str),
    /// A sum of an expression over the rows meeting the condition.
    Sum(&'static str, &'static str),
    /// Numerator over denominator.
    Rate(&'static str, &'static str),
    /// The average of an expression (days) over the rows meeting the condition.
    Average(&'static str, &'static str),
}

struct Def {
    key: &'static str,
    label: &'static str,
    unit: FigureUnit,
    definition: &'static str,
    table: Table,
    measure: Measure,
    /// Compared with the same dates a year earlier.
    yoy: bool,
    /// Split by these grouping columns (index into the table's dimensions).
    parts: &'static [usize],
}

/// Days from receipt to reply, per backend (dates are stored as ISO text).
const DAYS: &str = "{days}";

const ALL: &str = "1 = 1";
const ORIGINAL: &str = "p.repeat_of IS NULL";
const MEDIATION: &str = "d.kind = 'mediation'";
const LEGAL_AID: &str = "d.kind = 'legal_aid'";

const DEFS: &[Def] = &[
    Def {
        key: "petitions.visits",
        label: "受理职工信访（件次）",
        unit: FigureUnit::CaseTimes,
        definition: "统计期内收到的信访、诉求，每次来访、来信、来电各计一件次（重复诉求也计）",
        table: Table::Petitions,
        measure: Measure::Count(ALL),
        yoy: true,
        parts: &[0, 1, 2],
    },
    Def {
        key: "petitions.items",
        label: "受理职工信访（件）",
        unit: FigureUnit::Cases,
        definition: "统计期内收到的信访、诉求件数；重复诉求与原件合计一件",
        table: Table::Petitions,
        measure: Measure::Count(ORIGINAL),
        yoy: true,
        parts: &[0, 1, 2],
    },
    Def {
        key: "petitions.accepted_in_time_rate",
        label: "及时受理率",
        unit: FigureUnit::Percent,
        definition: "在受理期限内受理的件数 ÷ 已受理件数（统计期内收到的件）",
        table: Table::Petitions,
        measure: Measure::Rate(
            "p.repeat_of IS NULL AND p.accepted_on IS NOT NULL AND p.accepted_on <= p.accept_due",
            "p.repeat_of IS NULL AND p.accepted_on IS NOT NULL",
        ),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "petitions.replied_in_time_rate",
        label: "按期答复率",
        unit: FigureUnit::Percent,
        definition: "在答复期限（含延期）内答复的件数 ÷ 已答复件数（统计期内收到的件）",
        table: Table::Petitions,
        measure: Measure::Rate(
            "p.repeat_of IS NULL AND p.replied_on IS NOT NULL AND p.replied_on <= p.reply_due",
            "p.repeat_of IS NULL AND p.replied_on IS NOT NULL",
        ),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "petitions.closed_rate",
        label: "办结率",
        unit: FigureUnit::Percent,
        definition: "已办结件数 ÷ 收到件数（统计期内收到的件；不予受理的不算办结）",
        table: Table::Petitions,
        measure: Measure::Rate("p.repeat_of IS NULL AND p.status = 'closed'", ORIGINAL),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "petitions.satisfaction_rate",
        label: "满意率",
        unit: FigureUnit::Percent,
        definition: "回访满意和基本满意的件数 ÷ 已回访件数",
        table: Table::Petitions,
        measure: Measure::Rate(
            "p.repeat_of IS NULL AND p.satisfaction IN ('satisfied','partly')",
            "p.repeat_of IS NULL AND p.satisfaction IS NOT NULL",
        ),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "petitions.average_reply_days",
        label: "平均答复天数",
        unit: FigureUnit::Days,
        definition: "已答复件从收到到答复的天数的平均值（自然日）",
        table: Table::Petitions,
        measure: Measure::Average("p.repeat_of IS NULL AND p.replied_on IS NOT NULL", DAYS),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "mediation.cases",
        label: "劳动争议调解案件",
        unit: FigureUnit::Cases,
        definition: "统计期内收案的劳动争议调解案件数（含法院委派的诉调对接案件）",
        table: Table::Disputes,
        measure: Measure::Count(MEDIATION),
        yoy: true,
        parts: &[1, 2],
    },
    Def {
        key: "mediation.court_referred",
        label: "诉调对接案件",
        unit: FigureUnit::Cases,
        definition: "其中由法院委派调解的案件数",
        table: Table::Disputes,
        measure: Measure::Count("d.kind = 'mediation' AND d.source = 'court'"),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "mediation.agreed",
        label: "调解成功",
        unit: FigureUnit::Cases,
        definition: "统计期内收案、已达成调解协议的案件数",
        table: Table::Disputes,
        measure: Measure::Count("d.kind = 'mediation' AND d.status = 'agreed'"),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "mediation.success_rate",
        label: "调解成功率",
        unit: FigureUnit::Percent,
        definition: "达成调解协议的案件数 ÷ 调解结束的案件数（达成协议＋未达成协议；撤回和尚在调解的不计）",
        table: Table::Disputes,
        measure: Measure::Rate(
            "d.kind = 'mediation' AND d.status = 'agreed'",
            "d.kind = 'mediation' AND d.status IN ('agreed','not_agreed')",
        ),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "mediation.confirmed",
        label: "司法确认",
        unit: FigureUnit::Cases,
        definition: "调解协议经法院司法确认的案件数",
        table: Table::Disputes,
        measure: Measure::Count("d.kind = 'mediation' AND d.confirmed_on IS NOT NULL"),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "mediation.amount_agreed",
        label: "调解协议金额",
        unit: FigureUnit::Yuan,
        definition: "达成调解协议案件的协议金额合计",
        table: Table::Disputes,
        measure: Measure::Sum(
            "d.kind = 'mediation' AND d.status = 'agreed'",
            "d.amount_agreed",
        ),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "mediation.amount_recovered",
        label: "调解挽回经济损失",
        unit: FigureUnit::Yuan,
        definition: "达成调解协议案件中用人单位实际履行（支付）的金额合计",
        table: Table::Disputes,
        measure: Measure::Sum(
            "d.kind = 'mediation' AND d.status = 'agreed'",
            "d.amount_recovered",
        ),
        yoy: true,
        parts: &[],
    },
    Def {
        key: "mediation.workers",
        label: "调解涉及职工",
        unit: FigureUnit::Persons,
        definition: "统计期内收案的调解案件涉及的劳动者人数（集体争议按人数计）",
        table: Table::Disputes,
        measure: Measure::Sum(MEDIATION, "d.workers"),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "legal_aid.cases",
        label: "法律援助案件",
        unit: FigureUnit::Cases,
        definition: "统计期内收案的法律援助（维权）案件数",
        table: Table::Disputes,
        measure: Measure::Count(LEGAL_AID),
        yoy: true,
        parts: &[2],
    },
    Def {
        key: "legal_aid.amount_recovered",
        label: "法律援助挽回经济损失",
        unit: FigureUnit::Yuan,
        definition: "已结案法律援助案件为劳动者追回的金额合计",
        table: Table::Disputes,
        measure: Measure::Sum(
            "d.kind = 'legal_aid' AND d.status = 'concluded'",
            "d.amount_recovered",
        ),
        yoy: false,
        parts: &[],
    },
];

impl Table {
    /// The grouping columns the parts come from.
    fn dims(self) -> [&'static str; 3] {
        match self {
            Table::Petitions => ["p.channel", "p.kind", "p.category"],
            Table::Disputes => ["d.kind", "d.source", "d.claim"],
        }
    }

    fn dim_name(self, i: usize) -> &'static str {
        match (self, i) {
            (Table::Petitions, 0) => "来源渠道",
            (Table::Petitions, 1) => "诉求类型",
            (Table::Petitions, _) => "诉求事项",
            (Table::Disputes, 0) => "案件类型",
            (Table::Disputes, 1) => "案件来源",
            (Table::Disputes, _) => "请求事项",
        }
    }

    fn label(self, i: usize, code: &str) -> String {
        fn of<T: Named>(code: &str) -> String {
            T::parse(code).map(T::label).unwrap_or("未知").to_string()
        }
        match (self, i) {
            (Table::Petitions, 0) => of::<petitions::Channel>(code),
            (Table::Petitions, 1) => of::<petitions::Kind>(code),
            (Table::Petitions, _) => of::<petitions::Category>(code),
            (Table::Disputes, 0) => of::<disputes::Kind>(code),
            (Table::Disputes, 1) => of::<disputes::Source>(code),
            (Table::Disputes, _) => of::<disputes::Claim>(code),
        }
    }

    /// Rows of a subtree received in a period: `$1`/`$2` path range, `$3`/`$4` dates.
    fn within(self) -> &'static str {
        match self {
            Table::Petitions => {
                "p.received_path >= $1 AND p.received_path < $2 AND p.received_on >= $3 AND p.received_on <= $4"
            }
            Table::Disputes => {
                "d.org_path >= $1 AND d.org_path < $2 AND d.received_on >= $3 AND d.received_on <= $4"
            }
        }
    }

    fn case_type(self) -> &'static str {
        match self {
            Table::Petitions => "petition",
            Table::Disputes => "dispute",
        }
    }

    fn alias(self) -> &'static str {
        match self {
            Table::Petitions => "p",
            Table::Disputes => "d",
        }
    }

    /// Where a case counts, and its day.
    fn path_col(self) -> &'static str {
        match self {
            Table::Petitions => "p.received_path",
            Table::Disputes => "d.org_path",
        }
    }

    fn day_col(self) -> &'static str {
        match self {
            Table::Petitions => "p.received_on",
            Table::Disputes => "d.received_on",
        }
    }

    fn from(self) -> &'static str {
        match self {
            Table::Petitions => "petitions p",
            Table::Disputes => "disputes d",
        }
    }
}

fn days_expr(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "CAST(julianday(p.replied_on) - julianday(p.received_on) AS INTEGER)",
        Backend::Postgres => "(CAST(p.replied_on AS DATE) - CAST(p.received_on AS DATE))",
    }
}

/// The sums one pass computes: one or two per figure.
fn terms(m: Measure) -> Vec<(&'static str, &'static str)> {
    match m {
        Measure::Count(c) => vec![(c, "1")],
        Measure::Sum(c, e) => vec![(c, e)],
        Measure::Rate(n, d) => vec![(n, "1"), (d, "1")],
        Measure::Average(c, e) => vec![(c, e), (c, "1")],
    }
}

/// What a figure's terms add up to over a subtree and period: in all, and per value of each
/// grouping column (for the parts).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Sums {
    total: Vec<i64>,
    parts: [BTreeMap<String, Vec<i64>>; 3],
}

impl Sums {
    fn add(&mut self, part: Option<(usize, String)>, values: &[i64]) {
        let into = match part {
            None => &mut self.total,
            Some((dim, code)) => self.parts[dim].entry(code).or_default(),
        };
        if into.len() < values.len() {
            into.resize(values.len(), 0);
        }
        for (a, b) in into.iter_mut().zip(values) {
            *a += b;
        }
    }
}

/// The terms of every figure of `table`, as SQL sums over its rows.
fn sums_sql(table: Table, backend: Backend) -> Vec<String> {
    let days = days_expr(backend);
    DEFS.iter()
        .filter(|d| d.table == table)
        .flat_map(|d| terms(d.measure))
        .map(|(cond, expr)| {
            let expr = expr.replace(DAYS, days);
            format!("CAST(SUM(CASE WHEN {cond} THEN COALESCE({expr}, 0) ELSE 0 END) AS BIGINT)")
        })
        .collect()
}

fn values_of(r: &sqlx::any::AnyRow, from: usize, n: usize) -> AppResult<Vec<i64>> {
    (from..from + n)
        .map(|i| Ok(r.try_get::<Option<i64>, _>(i)?.unwrap_or(0)))
        .collect()
}

/// The sums from the case rows themselves (any subtree; the reference for the totals).
async fn pass(
    db: &Db,
    table: Table,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Sums> {
    let sums = sums_sql(table, db.backend());
    let dims = table.dims();
    let sql = format!(
        "SELECT {}, {} FROM {} WHERE {} GROUP BY {}",
        dims.join(", "),
        sums.join(", "),
        table.from(),
        table.within(),
        dims.join(", ")
    );
    let (lo, hi) = Scope::subtree(path).range();
    let rows = sqlx::query(&sql)
        .bind(lo)
        .bind(hi)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(db.pool())
        .await?;
    let mut out = Sums::default();
    for r in rows {
        let values = values_of(&r, 3, sums.len())?;
        out.add(None, &values);
        for dim in 0..3 {
            out.add(Some((dim, r.try_get::<String, _>(dim)?)), &values);
        }
    }
    Ok(out)
}

/// The sums from the running totals of a federation-level union.
async fn pass_from_totals(
    db: &Db,
    table: Table,
    org_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Sums> {
    let n = sums_sql(table, db.backend()).len();
    let cols: Vec<String> = (0..n)
        .map(|i| format!("CAST(SUM(t{i}) AS BIGINT)"))
        .collect();
    let sql = format!(
        "SELECT part, {} FROM case_totals WHERE org_id = $1 AND case_type = $2 AND day >= $3 AND day <= $4 GROUP BY part",
        cols.join(", ")
    );
    let rows = sqlx::query(&sql)
        .bind(org_id)
        .bind(table.case_type())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(db.pool())
        .await?;
    let mut out = Sums {
        total: vec![0; n],
        ..Default::default()
    };
    for r in rows {
        let part: String = r.try_get(0)?;
        let values = values_of(&r, 1, n)?;
        match part.split_once(':') {
            None => out.add(None, &values),
            Some((dim, code)) => {
                let dim = dim.parse::<usize>().unwrap_or(0).min(2);
                out.add(Some((dim, code.to_string())), &values);
            }
        }
    }
    Ok(out)
}

// ---------- running totals ----------

/// Takes a case's contribution out of the totals (`sign` −1, before a step changes it) or puts
/// it in (+1, after), for every federation-level union above where it counts.
async fn count(tx: &mut Tx, table: Table, id: i64, sign: i64) -> AppResult<()> {
    let backend = crate::db::tx_backend(tx);
    let sums = sums_sql(table, backend);
    let dims = table.dims();
    let (path, day) = (table.path_col(), table.day_col());
    let sql = format!(
        "SELECT {}, {path}, {day}, {} FROM {} WHERE {}.id = $1 GROUP BY {}, {path}, {day}",
        dims.join(", "),
        sums.join(", "),
        table.from(),
        table.alias(),
        dims.join(", ")
    );
    let Some(r) = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await? else {
        return Ok(());
    };
    let values: Vec<i64> = values_of(&r, 5, sums.len())?
        .into_iter()
        .map(|v| v * sign)
        .collect();
    if values.iter().all(|v| *v == 0) {
        return Ok(());
    }
    let case_path: String = r.try_get(3)?;
    let day: String = r.try_get(4)?;
    let mut parts = vec![String::new()];
    for dim in 0..3 {
        parts.push(format!("{dim}:{}", r.try_get::<String, _>(dim)?));
    }
    let nodes = counters::Nodes::above(tx, std::iter::once(case_path.as_str())).await?;
    let mut ids: Vec<i64> = nodes.iter().map(|(_, id)| id).collect();
    // One order for every writer: concurrent steps never wait on each other in a circle.
    ids.sort_unstable();
    let n = values.len();
    let cols: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
    let params: Vec<String> = (0..n).map(|i| format!("${}", i + 5)).collect();
    let updates: Vec<String> = cols
        .iter()
        .map(|c| format!("{c} = case_totals.{c} + excluded.{c}"))
        .collect();
    let upsert = format!(
        "INSERT INTO case_totals (org_id, case_type, day, part, {}) VALUES ($1, $2, $3, $4, {}) \
         ON CONFLICT (org_id, case_type, day, part) DO UPDATE SET {}",
        cols.join(", "),
        params.join(", "),
        updates.join(", ")
    );
    for org in ids {
        for part in &parts {
            let mut q = sqlx::query(&upsert)
                .bind(org)
                .bind(table.case_type())
                .bind(&day)
                .bind(part);
            for v in &values {
                q = q.bind(*v);
            }
            q.execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// [`count`] for a petition.
pub async fn count_petition(tx: &mut Tx, id: i64, sign: i64) -> AppResult<()> {
    count(tx, Table::Petitions, id, sign).await
}

/// [`count`] for a dispute.
pub async fn count_dispute(tx: &mut Tx, id: i64, sign: i64) -> AppResult<()> {
    count(tx, Table::Disputes, id, sign).await
}

/// Recomputes every running total from the case rows: after a bulk load, and when the
/// hierarchy changes (a subtree moved, a union becoming or ceasing to be a federation level).
pub async fn rebuild_totals(tx: &mut Tx) -> AppResult<()> {
    let backend = crate::db::tx_backend(tx);
    sqlx::query("DELETE FROM case_totals")
        .execute(&mut **tx)
        .await?;
    let nodes = counters::Nodes::all(tx).await?;
    let mut nodes: Vec<(String, i64)> = nodes.iter().map(|(p, id)| (p.to_string(), id)).collect();
    nodes.sort();
    for table in [Table::Petitions, Table::Disputes] {
        let sums = sums_sql(table, backend);
        let cols: Vec<String> = (0..sums.len()).map(|i| format!("t{i}")).collect();
        let (path, day) = (table.path_col(), table.day_col());
        let mut parts: Vec<(String, Option<&str>)> = vec![("''".into(), None)];
        for (dim, col) in table.dims().iter().enumerate() {
            parts.push((format!("'{dim}:' || {col}"), Some(col)));
        }
        for (node_path, node) in &nodes {
            let (lo, hi) = Scope::subtree(node_path).range();
            for (part, group) in &parts {
                let group_by = match group {
                    Some(g) => format!("{day}, {g}"),
                    None => day.to_string(),
                };
                let sql = format!(
                    "INSERT INTO case_totals (org_id, case_type, day, part, {}) \
                     SELECT {node}, '{}', {day}, {part}, {} FROM {} WHERE {path} >= $1 AND {path} < $2 GROUP BY {group_by}",
                    cols.join(", "),
                    table.case_type(),
                    sums.join(", "),
                    table.from(),
                );
                sqlx::query(&sql)
                    .bind(lo.clone())
                    .bind(hi.clone())
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    Ok(())
}

fn amount(d: &Def, total: &[i64]) -> Amount {
    match d.measure {
        Measure::Count(_) => Amount::Count(total[0]),
        Measure::Sum(..) if d.unit == FigureUnit::Yuan => Amount::Fen(total[0]),
        Measure::Sum(..) => Amount::Count(total[0]),
        Measure::Rate(..) => Amount::Ratio {
            num: total[0],
            den: total[1],
        },
        Measure::Average(..) => Amount::Average {
            total: total[0],
            n: total[1],
        },
    }
}

/// The figures of one table from its passes: the period's and, for 同比, the year before.
fn assemble(table: Table, now: &Sums, before: &Sums, q: &str) -> Vec<FigureValue> {
    let mut out = Vec::new();
    let mut offset = 0;
    for d in DEFS.iter().filter(|d| d.table == table) {
        let n = terms(d.measure).len();
        let total = |s: &Sums| -> Vec<i64> {
            (0..n)
                .map(|i| s.total.get(offset + i).copied().unwrap_or(0))
                .collect()
        };
        let a = amount(d, &total(now));
        let previous = d.yoy.then(|| amount(d, &total(before)));
        let mut parts = Vec::new();
        for &dim in d.parts {
            parts.extend(now.parts[dim].iter().filter_map(|(code, v)| {
                let value = v.get(offset).copied().unwrap_or(0);
                (value != 0).then(|| FigurePart {
                    dimension: table.dim_name(dim).into(),
                    label: table.label(dim, code),
                    code: code.clone(),
                    value,
                })
            }));
        }
        let (numerator, denominator) = match a {
            Amount::Ratio { num, den } => (Some(num), Some(den)),
            _ => (None, None),
        };
        let change_percent = match (a, previous) {
            (Amount::Count(x), Some(Amount::Count(y))) | (Amount::Fen(x), Some(Amount::Fen(y))) => {
                figures::change_percent(x, y)
            }
            _ => None,
        };
        let definition = if d.unit == FigureUnit::Yuan {
            format!("{}。{}", d.definition, figures::WAN_ROUNDING)
        } else {
            d.definition.to_string()
        };
        out.push(FigureValue {
            key: d.key.into(),
            module: super::MODULE.into(),
            label: d.label.into(),
            unit: d.unit,
            unit_label: d.unit.label().into(),
            definition,
            value: a.number(),
            display: a.display(d.unit),
            numerator,
            denominator,
            previous: previous.and_then(Amount::number),
            change_percent,
            parts,
            drill: Some(format!("/api/v1/figures/{}/cases?{q}", d.key)),
        });
        offset += n;
    }
    out
}

/// Every casework figure of a union's subtree and a period.
pub async fn compute(db: &Db, org: &Org, period: &Period) -> AppResult<Vec<FigureValue>> {
    let earlier = year_before(period);
    // Federation levels read their running totals; a smaller subtree its rows.
    let sums = |table: Table, p: &Period| {
        let (from, to) = (p.from, p.to);
        async move {
            if counters::is_counted(&org.kind) {
                pass_from_totals(db, table, org.id, from, to).await
            } else {
                pass(db, table, &org.path, from, to).await
            }
        }
    };
    let (pn, pb, dn, db_) = tokio::try_join!(
        sums(Table::Petitions, period),
        sums(Table::Petitions, &earlier),
        sums(Table::Disputes, period),
        sums(Table::Disputes, &earlier),
    )?;
    let q = format!("org={}&from={}&to={}", org.code, period.from, period.to);
    let mut out = assemble(Table::Petitions, &pn, &pb, &q);
    out.extend(assemble(Table::Disputes, &dn, &db_, &q));
    Ok(out)
}

/// The side of a rate to list: the cases counted above or below the line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    #[default]
    Numerator,
    Denominator,
}

/// A case behind a figure.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct CaseRow {
    /// `petition` or `dispute`.
    pub case_type: String,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub received_on: String,
    pub status: String,
    pub org_name: String,
    pub summary: String,
    /// The amount the figure adds up for this case (fen), for money figures.
    pub amount_fen: Option<i64>,
}

/// The cases behind a figure, and how many there are in all.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseList {
    pub key: String,
    pub label: String,
    pub total: i64,
    pub rows: Vec<CaseRow>,
}

/// Lists the cases a figure counts (for a rate, its numerator or its denominator).
pub async fn cases(
    db: &Db,
    key: &str,
    org: &Org,
    period: &Period,
    side: Side,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<CaseList> {
    let d = DEFS
        .iter()
        .find(|d| d.key == key)
        .ok_or_else(|| AppError::not_found("指标"))?;
    let (cond, _) = drill_terms(d, side);
    let where_ = format!("{} AND {cond}", d.table.within());
    let (lo, hi) = Scope::subtree(&org.path).range();
    let args = [lo, hi, period.from.to_string(), period.to.to_string()];
    // How many: from the running totals where the figure has a count among its terms, else
    // counted from the rows.
    let offset: usize = DEFS
        .iter()
        .filter(|x| x.table == d.table)
        .take_while(|x| x.key != d.key)
        .map(|x| terms(x.measure).len())
        .sum();
    let count_term = match (d.measure, side) {
        (Measure::Count(_), _) | (Measure::Rate(..), Side::Numerator) => Some(0),
        (Measure::Rate(..), Side::Denominator) | (Measure::Average(..), _) => Some(1),
        (Measure::Sum(..), _) => None,
    };
    let total = match count_term.filter(|_| counters::is_counted(&org.kind)) {
        Some(k) => {
            let sums = pass_from_totals(db, d.table, org.id, period.from, period.to).await?;
            sums.total.get(offset + k).copied().unwrap_or(0)
        }
        None => {
            let count_sql = format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM {} WHERE {where_}",
                d.table.from()
            );
            let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
            for a in &args {
                count = count.bind(a.clone());
            }
            count.fetch_one(db.pool()).await?
        }
    };
    let paging = crate::db::Paging::new(page, per_page, 50);
    let mut rows = case_rows(
        db,
        d,
        org,
        period,
        side,
        &format!("LIMIT {} OFFSET {}", paging.per_page, paging.offset()),
    )
    .await?;
    for r in &mut rows {
        r.summary = r.summary.chars().take(60).collect();
    }
    Ok(CaseList {
        key: d.key.into(),
        label: d.label.into(),
        total,
        rows,
    })
}

/// The condition and the amount a figure's drill lists (for a rate, its numerator or its
/// denominator side).
fn drill_terms(d: &Def, side: Side) -> (&'static str, String) {
    let (cond, expr) = match (d.measure, side) {
        (Measure::Count(c), _) => (c, None),
        (Measure::Sum(c, e), _) => (c, Some(e)),
        (Measure::Rate(n, _), Side::Numerator) => (n, None),
        (Measure::Rate(_, den), Side::Denominator) => (den, None),
        (Measure::Average(c, _), _) => (c, None),
    };
    let amount = match expr {
        Some(e) if d.unit == FigureUnit::Yuan => format!("COALESCE({e}, 0)"),
        _ => "NULL".into(),
    };
    (cond, amount)
}

/// The cases a figure counts, in the order of receipt; `limit` is the SQL tail (paging).
async fn case_rows(
    db: &Db,
    d: &Def,
    org: &Org,
    period: &Period,
    side: Side,
    limit: &str,
) -> AppResult<Vec<CaseRow>> {
    let (cond, amount) = drill_terms(d, side);
    let (alias, case_type) = match d.table {
        Table::Petitions => ("p", "petition"),
        Table::Disputes => ("d", "dispute"),
    };
    let (lo, hi) = Scope::subtree(&org.path).range();
    let sql = format!(
        "SELECT '{case_type}' AS case_type, {alias}.id, {alias}.received_on, {alias}.status, o.name AS org_name, \
         {alias}.summary, CAST({amount} AS BIGINT) AS amount_fen FROM {} JOIN orgs o ON o.id = {alias}.org_id \
         WHERE {} AND {cond} ORDER BY {alias}.received_on, {alias}.id {limit}",
        d.table.from(),
        d.table.within(),
    );
    let mut q = sqlx::query_as::<_, CaseRow>(&sql);
    for a in [lo, hi, period.from.to_string(), period.to.to_string()] {
        q = q.bind(a);
    }
    Ok(q.fetch_all(db.pool()).await?)
}

/// Every case behind a figure as a spreadsheet (the drill's rows, all of them), with its file
/// name and the number of cases.
pub async fn cases_sheet(
    db: &Db,
    key: &str,
    org: &Org,
    period: &Period,
    side: Side,
    format: crate::registry::export::ExportFormat,
) -> AppResult<(String, Vec<u8>, usize)> {
    let d = DEFS
        .iter()
        .find(|d| d.key == key)
        .ok_or_else(|| AppError::not_found("指标"))?;
    let rows = case_rows(db, d, org, period, side, "").await?;
    let money = d.unit == FigureUnit::Yuan;
    let mut headers = vec![
        "案件类别",
        "案件编号",
        "收到日期",
        "承办工会",
        "状态",
        "内容",
    ];
    if money {
        headers.push("计入金额（元）");
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let (kind, status) = if r.case_type == "petition" {
                (
                    "职工诉求",
                    petitions::Status::parse(&r.status).map(|s| s.label()),
                )
            } else {
                (
                    "调解与法律援助",
                    disputes::Status::parse(&r.status).map(|s| s.label()),
                )
            };
            let mut row = vec![
                kind.to_string(),
                r.id.to_string(),
                r.received_on.clone(),
                r.org_name.clone(),
                status.unwrap_or("").to_string(),
                r.summary.clone(),
            ];
            if money {
                row.push(crate::types::Fen(r.amount_fen.unwrap_or(0)).to_string());
            }
            row
        })
        .collect();
    let side_words = match (d.measure, side) {
        (Measure::Rate(..), Side::Numerator) => "（分子）",
        (Measure::Rate(..), Side::Denominator) => "（分母）",
        _ => "",
    };
    let name = format!(
        "{}{side_words}_{}_{}至{}",
        d.label, org.name, period.from, period.to
    );
    let sheet_name: String = d.label.chars().take(31).collect();
    let bytes = crate::registry::export::sheet(format, &sheet_name, &headers, &cells)?;
    Ok((name, bytes, rows.len()))
}

/// The figures of a subtree and period computed from the case rows, whatever the union: the
/// reference the running totals are checked against (`None`: they agree).
pub async fn reconcile(db: &Db, org: &Org, period: &Period) -> AppResult<Option<String>> {
    for table in [Table::Petitions, Table::Disputes] {
        let rows = pass(db, table, &org.path, period.from, period.to).await?;
        let kept = pass_from_totals(db, table, org.id, period.from, period.to).await?;
        let norm = |s: Sums| {
            let mut s = s;
            let n = sums_sql(table, db.backend()).len();
            s.total.resize(n, 0);
            for p in s.parts.iter_mut() {
                p.retain(|_, v| v.iter().any(|x| *x != 0));
                for v in p.values_mut() {
                    v.resize(n, 0);
                }
            }
            s
        };
        let (rows, kept) = (norm(rows), norm(kept));
        if rows != kept {
            return Ok(Some(format!(
                "{} 的 {} 汇总与案件记录不符：记录 {:?}，汇总 {:?}",
                org.name,
                table.case_type(),
                rows.total,
                kept.total
            )));
        }
    }
    Ok(None)
}

/// Every casework figure key, for the documentation and the tests.
pub fn keys() -> impl Iterator<Item = &'static str> {
    DEFS.iter().map(|d| d.key)
}
