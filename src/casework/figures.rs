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
use crate::db::{Backend, Db};
use crate::error::{AppError, AppResult};
use crate::figures::{self, Amount, FigureValue, Part, Unit};
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
    unit: Unit,
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
        unit: Unit::CaseTimes,
        definition: "统计期内收到的信访、诉求，每次来访、来信、来电各计一件次（重复诉求也计）",
        table: Table::Petitions,
        measure: Measure::Count(ALL),
        yoy: true,
        parts: &[0, 1, 2],
    },
    Def {
        key: "petitions.items",
        label: "受理职工信访（件）",
        unit: Unit::Cases,
        definition: "统计期内收到的信访、诉求件数；重复诉求与原件合计一件",
        table: Table::Petitions,
        measure: Measure::Count(ORIGINAL),
        yoy: true,
        parts: &[0, 1, 2],
    },
    Def {
        key: "petitions.accepted_in_time_rate",
        label: "及时受理率",
        unit: Unit::Percent,
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
        unit: Unit::Percent,
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
        unit: Unit::Percent,
        definition: "已办结件数 ÷ 收到件数（统计期内收到的件；不予受理的不算办结）",
        table: Table::Petitions,
        measure: Measure::Rate("p.repeat_of IS NULL AND p.status = 'closed'", ORIGINAL),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "petitions.satisfaction_rate",
        label: "满意率",
        unit: Unit::Percent,
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
        unit: Unit::Days,
        definition: "已答复件从收到到答复的天数的平均值（自然日）",
        table: Table::Petitions,
        measure: Measure::Average("p.repeat_of IS NULL AND p.replied_on IS NOT NULL", DAYS),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "mediation.cases",
        label: "劳动争议调解案件",
        unit: Unit::Cases,
        definition: "统计期内收案的劳动争议调解案件数（含法院委派的诉调对接案件）",
        table: Table::Disputes,
        measure: Measure::Count(MEDIATION),
        yoy: true,
        parts: &[1, 2],
    },
    Def {
        key: "mediation.court_referred",
        label: "诉调对接案件",
        unit: Unit::Cases,
        definition: "其中由法院委派调解的案件数",
        table: Table::Disputes,
        measure: Measure::Count("d.kind = 'mediation' AND d.source = 'court'"),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "mediation.agreed",
        label: "调解成功",
        unit: Unit::Cases,
        definition: "统计期内收案、已达成调解协议的案件数",
        table: Table::Disputes,
        measure: Measure::Count("d.kind = 'mediation' AND d.status = 'agreed'"),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "mediation.success_rate",
        label: "调解成功率",
        unit: Unit::Percent,
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
        unit: Unit::Cases,
        definition: "调解协议经法院司法确认的案件数",
        table: Table::Disputes,
        measure: Measure::Count("d.kind = 'mediation' AND d.confirmed_on IS NOT NULL"),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "mediation.amount_agreed",
        label: "调解协议金额",
        unit: Unit::Yuan,
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
        unit: Unit::Yuan,
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
        unit: Unit::Persons,
        definition: "统计期内收案的调解案件涉及的劳动者人数（集体争议按人数计）",
        table: Table::Disputes,
        measure: Measure::Sum(MEDIATION, "d.workers"),
        yoy: false,
        parts: &[],
    },
    Def {
        key: "legal_aid.cases",
        label: "法律援助案件",
        unit: Unit::Cases,
        definition: "统计期内收案的法律援助（维权）案件数",
        table: Table::Disputes,
        measure: Measure::Count(LEGAL_AID),
        yoy: true,
        parts: &[2],
    },
    Def {
        key: "legal_aid.amount_recovered",
        label: "法律援助挽回经济损失",
        unit: Unit::Yuan,
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

/// Per group of the table's dimensions, the value of every term.
type Groups = Vec<([String; 3], Vec<i64>)>;

async fn pass(
    db: &Db,
    table: Table,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Groups> {
    let days = days_expr(db.backend());
    let defs: Vec<&Def> = DEFS.iter().filter(|d| d.table == table).collect();
    let sums: Vec<String> = defs
        .iter()
        .flat_map(|d| terms(d.measure))
        .map(|(cond, expr)| {
            let expr = expr.replace(DAYS, days);
            format!("CAST(SUM(CASE WHEN {cond} THEN COALESCE({expr}, 0) ELSE 0 END) AS BIGINT)")
        })
        .collect();
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
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let key = [
            r.try_get::<String, _>(0)?,
            r.try_get::<String, _>(1)?,
            r.try_get::<String, _>(2)?,
        ];
        let mut values = Vec::with_capacity(sums.len());
        for i in 0..sums.len() {
            values.push(r.try_get::<Option<i64>, _>(3 + i)?.unwrap_or(0));
        }
        out.push((key, values));
    }
    Ok(out)
}

fn amount(d: &Def, total: &[i64]) -> Amount {
    match d.measure {
        Measure::Count(_) => Amount::Count(total[0]),
        Measure::Sum(..) if d.unit == Unit::Yuan => Amount::Fen(total[0]),
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
fn assemble(table: Table, now: &Groups, before: &Groups, q: &str) -> Vec<FigureValue> {
    let mut out = Vec::new();
    let mut offset = 0;
    for d in DEFS.iter().filter(|d| d.table == table) {
        let n = terms(d.measure).len();
        let total = |g: &Groups| -> Vec<i64> {
            (0..n)
                .map(|i| g.iter().map(|(_, v)| v[offset + i]).sum())
                .collect()
        };
        let a = amount(d, &total(now));
        let previous = d.yoy.then(|| amount(d, &total(before)));
        let mut parts = Vec::new();
        for &dim in d.parts {
            let mut by: std::collections::BTreeMap<String, i64> = Default::default();
            for (key, v) in now {
                *by.entry(key[dim].clone()).or_default() += v[offset];
            }
            parts.extend(
                by.into_iter()
                    .filter(|(_, v)| *v != 0)
                    .map(|(code, value)| Part {
                        dimension: table.dim_name(dim).into(),
                        label: table.label(dim, &code),
                        code,
                        value,
                    }),
            );
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
        let definition = if d.unit == Unit::Yuan {
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
    let (pn, pb, dn, db_) = tokio::try_join!(
        pass(db, Table::Petitions, &org.path, period.from, period.to),
        pass(db, Table::Petitions, &org.path, earlier.from, earlier.to),
        pass(db, Table::Disputes, &org.path, period.from, period.to),
        pass(db, Table::Disputes, &org.path, earlier.from, earlier.to),
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
    let (cond, expr) = match (d.measure, side) {
        (Measure::Count(c), _) => (c, None),
        (Measure::Sum(c, e), _) => (c, Some(e)),
        (Measure::Rate(n, _), Side::Numerator) => (n, None),
        (Measure::Rate(_, den), Side::Denominator) => (den, None),
        (Measure::Average(c, _), _) => (c, None),
    };
    let amount = match expr {
        Some(e) if d.unit == Unit::Yuan => format!("COALESCE({e}, 0)"),
        _ => "NULL".into(),
    };
    let (alias, case_type) = match d.table {
        Table::Petitions => ("p", "petition"),
        Table::Disputes => ("d", "dispute"),
    };
    let where_ = format!("{} AND {cond}", d.table.within());
    let (lo, hi) = Scope::subtree(&org.path).range();
    let args = [lo, hi, period.from.to_string(), period.to.to_string()];
    let count_sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM {} WHERE {where_}",
        d.table.from()
    );
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for a in &args {
        count = count.bind(a.clone());
    }
    let total = count.fetch_one(db.pool()).await?;
    let paging = crate::db::Paging::new(page, per_page, 50);
    let sql = format!(
        "SELECT '{case_type}' AS case_type, {alias}.id, {alias}.received_on, {alias}.status, o.name AS org_name, \
         {alias}.summary, CAST({amount} AS BIGINT) AS amount_fen FROM {} JOIN orgs o ON o.id = {alias}.org_id \
         WHERE {where_} ORDER BY {alias}.received_on, {alias}.id LIMIT {} OFFSET {}",
        d.table.from(),
        paging.per_page,
        paging.offset()
    );
    let mut q = sqlx::query_as::<_, CaseRow>(&sql);
    for a in &args {
        q = q.bind(a.clone());
    }
    let mut rows = q.fetch_all(db.pool()).await?;
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

/// Every casework figure key, for the documentation and the tests.
pub fn keys() -> impl Iterator<Item = &'static str> {
    DEFS.iter().map(|d| d.key)
}
