//! Hardship files (困难职工档案, 梯度帮扶): one file per household (一户一档案) with its persons,
//! its income and expenses, the tier they put it in, its causes, and its plan and measures
//! (一户一计划、一户一措施). A file is re-verified every year (the deadline is kept on it and
//! the inbox reminds the union a month before) and closed when the household is lifted out of
//! hardship (解困脱困), with the reason. Every step is one transaction with its history row and
//! audit event.
//!
//! The tier is computed, never typed, against the local 低保 line of the file's region and year
//! (monthly 元 per person, set per region and year with the two multiples beside it):
//! - 深度困难: the household's income after rigid expenses, per person per month, is below the
//!   line;
//! - 相对困难: below the line times the 相对困难 multiple (default 2×);
//! - 意外致困: otherwise, when sudden expenses (an accident, a grave illness) exceed the set
//!   share (default 50%) of the household's yearly income.
//!
//! Comparisons are made on whole yearly fen (income < line × 12 × persons), so nothing is
//! rounded: exactly on the line is not below it; one fen less is.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, Tx, new_id};
use crate::error::{AppError, AppResult, FieldIssue};
use crate::people::{self, Person, PersonInput};
use crate::registry::orgs::{self, Org};
use crate::registry::scope::{Scope, one_in_scope};
use crate::types::{Fen, RegionCode, parse_date};
use crate::workflow::history::{self, CaseRef, Entry, HistoryRow};
use crate::workflow::{Named, coded_enum, given, issue, pick, required};

/// The kind of case in the shared history.
pub const CASE: &str = "hardship_file";

coded_enum! {
    /// The tier of a household.
    Tier {
        Deep = "deep", "深度困难";
        Relative = "relative", "相对困难";
        Sudden = "sudden", "意外致困";
    }
}

coded_enum! {
    /// Where a file stands.
    Status {
        Active = "active", "在档";
        Exited = "exited", "已解困脱困";
    }
}

coded_enum! {
    /// Why a household is in hardship.
    Cause {
        Illness = "illness", "因病";
        Disability = "disability", "因残";
        Schooling = "schooling", "因学";
        Disaster = "disaster", "因灾";
        Unemployment = "unemployment", "因失业";
        Accident = "accident", "因意外";
        NoLabour = "no_labour", "缺少劳动力";
        Other = "other", "其他";
    }
}

coded_enum! {
    /// A person's relation to the worker on file.
    Relation {
        Worker = "self", "本人";
        Spouse = "spouse", "配偶";
        Child = "child", "子女";
        Parent = "parent", "父母";
        Other = "other", "其他";
    }
}

coded_enum! {
    Health {
        Healthy = "healthy", "健康";
        Chronic = "chronic", "慢性病";
        Grave = "grave", "大病";
        Disabled = "disabled", "残疾";
    }
}

coded_enum! {
    Schooling {
        NotInSchool = "none", "不在读";
        Preschool = "preschool", "学龄前";
        Primary = "primary", "小学";
        Middle = "middle", "初中";
        High = "high", "高中/中职";
        College = "college", "大学及以上";
    }
}

coded_enum! {
    Work {
        Employed = "employed", "在职";
        Unemployed = "unemployed", "失业";
        Retired = "retired", "退休";
        Unable = "unable", "无劳动能力";
        Student = "student", "学生";
        Other = "other", "其他";
    }
}

coded_enum! {
    /// Why a household left the files.
    ExitReason {
        IncomeRose = "income_rose", "收入提高";
        Employed = "employed", "实现就业";
        Helped = "helped", "帮扶后解困";
        Moved = "moved", "迁出本地";
        Deceased = "deceased", "本人去世";
        Other = "other", "其他";
    }
}

// ---------- the 低保 line and the tier ----------

/// The 低保 line of a region and year with the multiples that set the tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// 元 per person per month, in fen.
    pub monthly: Fen,
    /// 相对困难 below this many percent of the line (200 = 2×).
    pub relative_pct: i64,
    /// 意外致困 when sudden expenses exceed this many percent of the yearly income.
    pub sudden_pct: i64,
}

/// The default 相对困难 multiple (2×) and 意外致困 share (50%).
pub const DEFAULT_RELATIVE_PCT: i64 = 200;
pub const DEFAULT_SUDDEN_PCT: i64 = 50;

/// A household's money for a year, as assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Means {
    pub persons: i64,
    /// Yearly income of the whole household.
    pub income: Fen,
    /// Yearly rigid expenses (medical, schooling) deducted before comparing.
    pub rigid: Fen,
    /// Sudden expenses of the year (an accident, a grave illness).
    pub sudden: Fen,
}

/// The tier the means put a household in, and why in words; none when it is not in hardship.
pub fn assess(m: &Means, line: &Line) -> (Option<Tier>, String) {
    let net = (m.income.0 - m.rigid.0).max(0);
    let persons = m.persons.max(1);
    // Whole yearly fen for the household: no division, nothing rounded.
    let deep_bar = i128::from(line.monthly.0) * 12 * i128::from(persons);
    let relative_bar = deep_bar * i128::from(line.relative_pct) / 100;
    let per_month = Fen(net / persons / 12);
    let net128 = i128::from(net);
    let shown = format!(
        "家庭年收入 {} 元，扣除刚性支出 {} 元后人均月收入约 {} 元（{} 人）",
        m.income, m.rigid, per_month, persons
    );
    if net128 < deep_bar {
        return (
            Some(Tier::Deep),
            format!("{shown}，低于当地低保标准 {} 元", line.monthly),
        );
    }
    if net128 * 100 < deep_bar * i128::from(line.relative_pct) {
        return (
            Some(Tier::Relative),
            format!(
                "{shown}，不低于低保标准 {} 元但低于其 {} 倍（{} 元）",
                line.monthly,
                pct_as_multiple(line.relative_pct),
                Fen((relative_bar / 12 / i128::from(persons)) as i64)
            ),
        );
    }
    if m.sudden.0 > 0
        && i128::from(m.sudden.0) * 100 > i128::from(m.income.0) * i128::from(line.sudden_pct)
    {
        return (
            Some(Tier::Sudden),
            format!(
                "{shown}；当年突发性支出 {} 元，超过家庭年收入的 {}%",
                m.sudden, line.sudden_pct
            ),
        );
    }
    (
        None,
        format!(
            "{shown}，不低于低保标准的 {} 倍，且无超过年收入 {}% 的突发性支出",
            pct_as_multiple(line.relative_pct),
            line.sudden_pct
        ),
    )
}

fn pct_as_multiple(pct: i64) -> String {
    if pct % 100 == 0 {
        (pct / 100).to_string()
    } else {
        format!("{}.{:02}", pct / 100, pct % 100)
            .trim_end_matches('0')
            .to_string()
    }
}

/// A 低保 line as stored and listed.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct LineRow {
    pub region_code: String,
    pub year: i64,
    pub line_fen: i64,
    pub relative_pct: i64,
    pub sudden_pct: i64,
    pub set_by: String,
}

/// A 低保 line as typed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// 行政区划代码 (6 digits): a county, a city (…00) or a province (…0000).
    pub region_code: String,
    pub year: i64,
    /// 元 per person per month.
    pub monthly: String,
    /// 相对困难 multiple in percent of the line (default 200).
    pub relative_pct: Option<i64>,
    /// 意外致困 share of yearly income in percent (default 50).
    pub sudden_pct: Option<i64>,
}

/// Sets (or replaces) the line of a region and year. A cadre sets the lines of their own
/// region and the regions within it.
pub async fn set_line(
    db: &Db,
    actor: &Actor,
    root: Option<&Org>,
    i: &LineInput,
    now: i64,
) -> AppResult<LineRow> {
    let region = RegionCode::parse(&i.region_code)?;
    if let Some(own) = root.and_then(|o| o.region_code.as_deref())
        && !region_within(region.as_str(), own)
    {
        return Err(AppError::invalid(format!(
            "只能设置本地区（{own}）及下辖地区的低保标准"
        )));
    }
    if !(2000..=2100).contains(&i.year) {
        return Err(AppError::invalid("年度应为四位年份"));
    }
    let monthly = Fen::parse(&i.monthly)?;
    if monthly.0 <= 0 || monthly > Fen::yuan(10_000) {
        return Err(AppError::invalid("低保标准应为每人每月 0.01 至 10000 元"));
    }
    let relative_pct = i.relative_pct.unwrap_or(DEFAULT_RELATIVE_PCT);
    if !(100..=500).contains(&relative_pct) {
        return Err(AppError::invalid("相对困难倍数应在 100% 至 500% 之间"));
    }
    let sudden_pct = i.sudden_pct.unwrap_or(DEFAULT_SUDDEN_PCT);
    if !(1..=1000).contains(&sudden_pct) {
        return Err(AppError::invalid("意外致困的支出比例应在 1% 至 1000% 之间"));
    }
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM hardship_lines WHERE region_code = $1 AND year = $2")
        .bind(region.as_str())
        .bind(i.year)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO hardship_lines (id, region_code, year, line_fen, relative_pct, sudden_pct, set_by, set_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(new_id())
    .bind(region.as_str())
    .bind(i.year)
    .bind(monthly.0)
    .bind(relative_pct)
    .bind(sudden_pct)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("hardship.line").detail(serde_json::json!({
            "region_code": region.as_str(), "year": i.year, "line_fen": monthly.0,
            "relative_pct": relative_pct, "sudden_pct": sudden_pct,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(LineRow {
        region_code: region.as_str().into(),
        year: i.year,
        line_fen: monthly.0,
        relative_pct,
        sudden_pct,
        set_by: actor.name.clone(),
    })
}

/// Whether region `code` lies within region `own` (a province holds its cities, a city its
/// counties).
fn region_within(code: &str, own: &str) -> bool {
    let own = own.trim_end_matches("00");
    let own = own.trim_end_matches("00");
    code.starts_with(own)
}

/// Every line set, newest year first.
pub async fn lines(db: &Db) -> AppResult<Vec<LineRow>> {
    Ok(sqlx::query_as(
        "SELECT region_code, year, line_fen, relative_pct, sudden_pct, set_by FROM hardship_lines ORDER BY year DESC, region_code LIMIT 2000",
    )
    .fetch_all(db.pool())
    .await?)
}

/// The line that applies to region `code` in `year`: the county's own, else its city's, else
/// its province's.
async fn line_for(tx: &mut Tx, code: &str, year: i64) -> AppResult<Option<(String, Line)>> {
    let city = format!("{}00", &code[..4.min(code.len())]);
    let province = format!("{}0000", &code[..2.min(code.len())]);
    let mut rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT region_code, line_fen, relative_pct, sudden_pct FROM hardship_lines \
         WHERE year = $1 AND region_code IN ($2, $3, $4)",
    )
    .bind(year)
    .bind(code)
    .bind(&city)
    .bind(&province)
    .fetch_all(&mut **tx)
    .await?;
    rows.sort_by_key(|(r, ..)| {
        if r == code {
            0
        } else if *r == city {
            1
        } else {
            2
        }
    });
    Ok(rows.into_iter().next().map(|(r, fen, rel, sud)| {
        (
            r,
            Line {
                monthly: Fen(fen),
                relative_pct: rel,
                sudden_pct: sud,
            },
        )
    }))
}

/// The region of a union: its own code, else the nearest above it that has one.
pub(crate) async fn region_of(db: &Db, org: &Org) -> AppResult<Option<String>> {
    if let Some(r) = &org.region_code {
        return Ok(Some(r.clone()));
    }
    let above = orgs::ancestors_of(db, org).await?;
    Ok(above.into_iter().rev().find_map(|o| o.region_code))
}

// ---------- the files ----------

/// A person of a household as typed: a member (by registry id) or a name with an ID number.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdPersonInput {
    pub member_id: Option<String>,
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub mobile: Option<String>,
    /// 本人, 配偶, 子女, 父母, 其他 (code or label); the first person is the worker (本人).
    pub relation: Option<String>,
    pub birth_year: Option<i64>,
    pub health: Option<String>,
    pub schooling: Option<String>,
    pub work: Option<String>,
}

/// A new file.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    /// The union keeping the file (code); default the member's own union.
    pub org_code: Option<String>,
    pub persons: Vec<HouseholdPersonInput>,
    /// Yearly income of the household, 元.
    pub income: Option<String>,
    /// Yearly rigid expenses (medical, schooling), 元.
    pub rigid_expenses: Option<String>,
    /// Sudden expenses of the year, 元.
    pub sudden_expenses: Option<String>,
    /// Causes (codes or labels).
    pub causes: Vec<String>,
    /// 帮扶计划 and 帮扶措施.
    pub plan: Option<String>,
    pub measures: Option<String>,
    /// Date of entry (YYYY-MM-DD); default today.
    pub entered_on: Option<String>,
}

/// Reads an amount in 元 typed in `field`: not negative, whole fen, at most 1 亿元; blank is
/// zero where the field is optional.
fn money(
    field: &str,
    typed: Option<&str>,
    required_: bool,
    issues: &mut Vec<FieldIssue>,
) -> Option<Fen> {
    if !required_ && given(typed).is_none() {
        return Some(Fen(0));
    }
    crate::workflow::money(
        field,
        typed,
        crate::types::Limits::up_to(Fen::yuan(100_000_000)),
        issues,
    )
}

/// The household's yearly income, rigid and sudden expenses as typed in 元.
fn read_means(
    typed: [&Option<String>; 3],
    issues: &mut Vec<FieldIssue>,
) -> Option<(Fen, Fen, Fen)> {
    let income = money("家庭年收入", typed[0].as_deref(), true, issues);
    let rigid = money("刚性支出", typed[1].as_deref(), false, issues);
    let sudden = money("突发性支出", typed[2].as_deref(), false, issues);
    Some((income?, rigid?, sudden?))
}

/// A person checked, ready to store.
struct CheckedPerson {
    person: Person,
    /// The blind index of the person's ID number, hex: the key of "one active file".
    key: String,
    relation: Relation,
    birth_year: Option<i64>,
    health: Health,
    schooling: Schooling,
    work: Work,
}

async fn check_persons(
    db: &Db,
    keys: &FieldKeys,
    scope: &Scope,
    typed: &[HouseholdPersonInput],
    today: NaiveDate,
    issues: &mut Vec<FieldIssue>,
) -> AppResult<Vec<CheckedPerson>> {
    if typed.is_empty() {
        issues.push(issue("家庭成员", "请至少填写困难职工本人"));
    }
    if typed.len() > 20 {
        issues.push(issue("家庭成员", "一户最多登记20人"));
        return Ok(Vec::new());
    }
    let mut out: Vec<CheckedPerson> = Vec::new();
    for (i, p) in typed.iter().enumerate() {
        let who = format!("第{}位家庭成员", i + 1);
        let mut mine = Vec::new();
        let person = people::check(
            db,
            keys,
            scope,
            &who,
            &PersonInput {
                member_id: p.member_id.clone(),
                name: p.name.clone(),
                id_number: p.id_number.clone(),
                mobile: p.mobile.clone(),
            },
            &mut mine,
        )
        .await;
        let key = match &person {
            Some(Person::Member(id)) => {
                let h: Vec<u8> = sqlx::query_scalar("SELECT id_hash FROM members WHERE id = $1")
                    .bind(id)
                    .fetch_one(db.pool())
                    .await?;
                Some(hex::encode(h))
            }
            Some(Person::Other(s)) => match &s.id_hash {
                Some(h) => Some(hex::encode(h)),
                None => {
                    mine.push(issue(
                        &format!("{who}身份证号"),
                        "请填写身份证号（用于核对一人一档）",
                    ));
                    None
                }
            },
            None => None,
        };
        let relation: Option<Relation> = pick(
            &format!("{who}与本人关系"),
            p.relation.as_deref(),
            &mut mine,
        );
        let health: Option<Health> = pick(
            &format!("{who}健康状况"),
            p.health.as_deref().or(Some("healthy")),
            &mut mine,
        );
        let schooling: Option<Schooling> = pick(
            &format!("{who}在读情况"),
            p.schooling.as_deref().or(Some("none")),
            &mut mine,
        );
        let work: Option<Work> = pick(
            &format!("{who}就业情况"),
            p.work.as_deref().or(Some("other")),
            &mut mine,
        );
        if let Some(y) = p.birth_year
            && !(1900..=i64::from(today.year())).contains(&y)
        {
            mine.push(issue(&format!("{who}出生年份"), "出生年份不正确"));
        }
        match (i, relation) {
            (0, Some(r)) if r != Relation::Worker => {
                mine.push(issue(&format!("{who}与本人关系"), "第一位应为困难职工本人"))
            }
            (0, _) if !matches!(person, Some(Person::Member(_)) | None) => {
                mine.push(issue(&who, "困难职工本人应为在册会员，请选择会员"))
            }
            (n, Some(Relation::Worker)) if n > 0 => {
                mine.push(issue(&format!("{who}与本人关系"), "一户只能有一位“本人”"))
            }
            _ => {}
        }
        if let Some(k) = &key
            && out.iter().any(|o| o.key == *k)
        {
            mine.push(issue(&who, "同一人在本户中重复登记"));
        }
        let ok = mine.is_empty();
        issues.extend(mine);
        if ok
            && let (
                Some(person),
                Some(key),
                Some(relation),
                Some(health),
                Some(schooling),
                Some(work),
            ) = (person, key, relation, health, schooling, work)
        {
            out.push(CheckedPerson {
                person,
                key,
                relation,
                birth_year: p.birth_year,
                health,
                schooling,
                work,
            });
        }
    }
    Ok(out)
}

fn read_causes(typed: &[String], issues: &mut Vec<FieldIssue>) -> Vec<Cause> {
    let mut causes: Vec<Cause> = Vec::new();
    for t in typed {
        if let Some(c) = pick::<Cause>("致困原因", Some(t), issues)
            && !causes.contains(&c)
        {
            causes.push(c);
        }
    }
    if typed.is_empty() {
        issues.push(issue("致困原因", "请选择至少一项致困原因"));
    }
    causes
}

fn text(
    field: &str,
    typed: Option<&str>,
    max: usize,
    issues: &mut Vec<FieldIssue>,
) -> Option<String> {
    match given(typed) {
        None => {
            issues.push(issue(field, format!("请填写{field}")));
            None
        }
        Some(t) if t.chars().count() > max => {
            issues.push(issue(field, format!("{field}不能超过{max}字")));
            None
        }
        Some(t) => Some(t.to_string()),
    }
}

/// A file as the console and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct HardshipFile {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_code: String,
    pub org_name: String,
    /// The worker on file (本人), masked.
    pub worker_name: String,
    pub worker_id_masked: String,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub worker_member_id: i64,
    pub region_code: String,
    pub assessed_year: i64,
    pub household_size: i64,
    pub income_fen: i64,
    pub rigid_fen: i64,
    pub sudden_fen: i64,
    pub tier: String,
    #[sqlx(skip)]
    pub tier_label: String,
    /// Why this tier, in words (the figures compared).
    pub tier_reason: String,
    /// Cause codes, comma-separated.
    pub causes: String,
    pub plan: String,
    pub measures: String,
    pub entered_on: String,
    pub review_due: String,
    pub reviewed_on: Option<String>,
    pub exited_on: Option<String>,
    pub exit_reason: Option<String>,
    pub exit_note: Option<String>,
    pub status: String,
    #[sqlx(skip)]
    pub status_label: String,
    pub version: i64,
}

const FILE_COLS: &str = "f.id, o.code AS org_code, o.name AS org_name, m.name AS worker_name, m.id_masked AS worker_id_masked, \
    m.id AS worker_member_id, f.region_code, f.assessed_year, f.household_size, f.income_fen, f.rigid_fen, f.sudden_fen, f.tier, \
    f.tier_reason, f.causes, f.plan, f.measures, f.entered_on, f.review_due, f.reviewed_on, f.exited_on, f.exit_reason, f.exit_note, f.status, f.version";
const FILE_FROM: &str = "FROM hardship_files f JOIN orgs o ON o.id = f.org_id \
    JOIN hardship_persons w ON w.file_id = f.id AND w.relation = 'self' JOIN members m ON m.id = w.member_id";

fn labelled(mut f: HardshipFile) -> HardshipFile {
    f.tier_label = Tier::parse(&f.tier)
        .map(Tier::label)
        .unwrap_or_default()
        .into();
    f.status_label = Status::parse(&f.status)
        .map(Status::label)
        .unwrap_or_default()
        .into();
    f
}

/// A person of a file as shown (numbers masked).
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct HouseholdPerson {
    #[serde(with = "crate::web::id_string::option")]
    #[schema(value_type = Option<String>)]
    pub member_id: Option<i64>,
    pub name: String,
    pub id_masked: Option<String>,
    pub mobile_masked: Option<String>,
    pub relation: String,
    pub birth_year: Option<i64>,
    pub health: String,
    pub schooling: String,
    pub work: String,
}

/// The file `id` if it is in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<HardshipFile> {
    let select = format!("{FILE_COLS} {FILE_FROM}");
    Ok(labelled(
        one_in_scope(db, &select, "f", id, scope, "困难职工档案").await?,
    ))
}

/// The persons of a file (the caller has checked the file is theirs to see).
pub async fn persons(db: &Db, id: i64) -> AppResult<Vec<HouseholdPerson>> {
    Ok(sqlx::query_as(
        "SELECT p.member_id, COALESCE(m.name, p.name) AS name, COALESCE(m.id_masked, p.id_masked) AS id_masked, \
         COALESCE(m.mobile_masked, p.mobile_masked) AS mobile_masked, p.relation, p.birth_year, p.health, p.schooling, p.work \
         FROM hardship_persons p LEFT JOIN members m ON m.id = p.member_id WHERE p.file_id = $1 ORDER BY p.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?)
}

/// The history of a file.
pub async fn timeline(db: &Db, scope: &Scope, id: i64) -> AppResult<Vec<HistoryRow>> {
    get(db, scope, id).await?;
    history::of(
        db,
        CaseRef {
            case_type: CASE,
            id,
        },
    )
    .await
}

/// Which files to list.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileFilter {
    /// A union (code): it and the unions below it.
    pub org: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    /// `overdue`: yearly re-verification past due; `near`: due within 30 days.
    pub review: Option<String>,
    /// On file on this day (entered by then, not exited by then), YYYY-MM-DD.
    pub on_file_at: Option<String>,
    /// Entered, or exited, between `from` and `to` (YYYY-MM-DD).
    pub entered: Option<bool>,
    pub exited: Option<bool>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The condition of a file filter on `f.` (households), its dates pushed to `args`.
fn file_condition(
    f: &FileFilter,
    within: &Scope,
    today: NaiveDate,
    args: &mut Vec<String>,
) -> AppResult<String> {
    let (lo, hi) = within.range();
    args.push(lo);
    args.push(hi);
    let mut cond = format!(
        "f.org_path >= ${} AND f.org_path < ${}",
        args.len() - 1,
        args.len()
    );
    if let Some(s) = given(f.status.as_deref()) {
        let s = Status::parse(s).ok_or_else(|| AppError::invalid("状态筛选无法识别"))?;
        args.push(s.code().into());
        cond.push_str(&format!(" AND f.status = ${}", args.len()));
    }
    if let Some(t) = given(f.tier.as_deref()) {
        let t = Tier::parse(t).ok_or_else(|| AppError::invalid("困难类别筛选无法识别"))?;
        args.push(t.code().into());
        cond.push_str(&format!(" AND f.tier = ${}", args.len()));
    }
    if let Some(c) = crate::workflow::deadlines::filter(
        f.review.as_deref(),
        "f.review_due",
        today,
        REVIEW_WARN_DAYS,
        args,
    )? {
        cond.push_str(&format!(" AND f.status = 'active' AND {c}"));
    }
    if let Some(d) = given(f.on_file_at.as_deref()) {
        args.push(parse_date(d)?.to_string());
        let n = args.len();
        cond.push_str(&format!(
            " AND f.entered_on <= ${n} AND (f.exited_on IS NULL OR f.exited_on > ${n})"
        ));
    }
    for (on, col) in [(f.entered, "f.entered_on"), (f.exited, "f.exited_on")] {
        if on == Some(true) {
            let from = parse_date(
                given(f.from.as_deref()).ok_or_else(|| AppError::invalid("请给出起始日期 from"))?,
            )?;
            let to = parse_date(
                given(f.to.as_deref()).ok_or_else(|| AppError::invalid("请给出截止日期 to"))?,
            )?;
            args.push(from.to_string());
            args.push(to.to_string());
            cond.push_str(&format!(
                " AND {col} >= ${} AND {col} <= ${}",
                args.len() - 1,
                args.len()
            ));
        }
    }
    Ok(cond)
}

/// A person of a household on file, as the persons figure lists them (numbers masked).
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct FilePerson {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub file_id: i64,
    pub org_name: String,
    pub tier: String,
    pub name: String,
    pub id_masked: Option<String>,
    pub relation: String,
}

/// The persons of the files a filter picks (the persons figure's drill), and how many.
pub async fn persons_in(
    db: &Db,
    scope: &Scope,
    f: &FileFilter,
    today: NaiveDate,
) -> AppResult<(Vec<FilePerson>, i64)> {
    let within = orgs::narrowed(db, scope, f.org.as_deref()).await?;
    let mut args = Vec::new();
    let cond = file_condition(f, &within, today, &mut args)?;
    let paging = crate::db::Paging::new(f.page, f.per_page, 50);
    let select = "p.file_id, o.name AS org_name, f.tier, COALESCE(m.name, p.name) AS name, COALESCE(m.id_masked, p.id_masked) AS id_masked, \
         p.relation FROM hardship_persons p JOIN hardship_files f ON f.id = p.file_id JOIN orgs o ON o.id = f.org_id \
         LEFT JOIN members m ON m.id = p.member_id";
    let count_from = "FROM hardship_persons p JOIN hardship_files f ON f.id = p.file_id";
    let order = "f.entered_on DESC, p.file_id DESC, p.id";
    crate::db::paged(db, select, count_from, &cond, order, &args, &paging).await
}

/// Days before the yearly re-verification that the inbox starts reminding.
pub const REVIEW_WARN_DAYS: u32 = 30;

/// The files of a subtree, newest first, and how many there are.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &FileFilter,
    today: NaiveDate,
) -> AppResult<(Vec<HardshipFile>, i64)> {
    let within = orgs::narrowed(db, scope, f.org.as_deref()).await?;
    let mut args = Vec::new();
    let cond = file_condition(f, &within, today, &mut args)?;
    let paging = crate::db::Paging::new(f.page, f.per_page, 50);
    let select = format!("{FILE_COLS} {FILE_FROM}");
    let order = "f.entered_on DESC, f.id DESC";
    let (rows, total) = crate::db::paged::<HardshipFile>(
        db,
        &select,
        "FROM hardship_files f",
        &cond,
        order,
        &args,
        &paging,
    )
    .await?;
    Ok((rows.into_iter().map(labelled).collect(), total))
}

pub(crate) fn next_review(from: NaiveDate) -> NaiveDate {
    from.with_year(from.year() + 1)
        .unwrap_or_else(|| from + chrono::Duration::days(365))
}

/// The tier of a household in a union's region for a year, or the refusal explaining why it
/// cannot be filed.
async fn tier_in(tx: &mut Tx, region: &str, year: i64, means: &Means) -> AppResult<(Tier, String)> {
    let Some((_, line)) = line_for(tx, region, year).await? else {
        return Err(AppError::invalid(format!(
            "尚未设置地区 {region} {year} 年的低保标准，请先设置后再建档或复核"
        ))
        .with_code("HARDSHIP_NO_LINE"));
    };
    match assess(means, &line) {
        (Some(t), why) => Ok((t, why)),
        (None, why) => Err(AppError::invalid(format!("不符合困难职工认定条件：{why}"))
            .with_code("HARDSHIP_NOT_ELIGIBLE")),
    }
}

/// Opens a file. Every problem of the input at once; a person already in another active file
/// is refused (409 `HARDSHIP_PERSON_ON_FILE`) and nothing is written.
pub async fn open_file(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    i: &FileInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<HardshipFile> {
    let mut issues = Vec::new();
    let persons = check_persons(db, keys, &actor.scope, &i.persons, today, &mut issues).await?;
    let means = read_means(
        [&i.income, &i.rigid_expenses, &i.sudden_expenses],
        &mut issues,
    );
    let causes = read_causes(&i.causes, &mut issues);
    let plan = text("帮扶计划", i.plan.as_deref(), 2000, &mut issues);
    let measures = text("帮扶措施", i.measures.as_deref(), 2000, &mut issues);
    let entered_on = match given(i.entered_on.as_deref()) {
        None => Some(today),
        Some(s) => match parse_date(s) {
            Ok(d) if d > today => {
                issues.push(issue("建档日期", "建档日期不能晚于今天"));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                issues.push(issue("建档日期", e.message()));
                None
            }
        },
    };
    // The keeping union: named, else the worker's own.
    let org = match given(i.org_code.as_deref()) {
        Some(_) => {
            crate::workflow::union_in_scope(
                db,
                &actor.scope,
                "建档工会",
                i.org_code.as_deref(),
                &mut issues,
            )
            .await?
        }
        None => match persons.first().and_then(|p| p.person.member_id()) {
            Some(m) => {
                let org_id: Option<i64> =
                    sqlx::query_scalar("SELECT org_id FROM members WHERE id = $1")
                        .bind(m)
                        .fetch_one(db.pool())
                        .await?;
                match org_id {
                    Some(o) => orgs::get(db, &actor.scope, o).await.ok(),
                    None => {
                        issues.push(issue("建档工会", "该职工目前不在任何工会，请指定建档工会"));
                        None
                    }
                }
            }
            None => None,
        },
    };
    let (Some(org), Some((income, rigid, sudden)), Some(plan), Some(measures), Some(entered_on)) =
        (org, means, plan, measures, entered_on)
    else {
        return Err(AppError::invalid_fields(
            "档案信息有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() || persons.len() != i.persons.len() {
        return Err(AppError::invalid_fields(
            "档案信息有误，请按提示修改",
            issues,
        ));
    }
    let Some(region) = region_of(db, &org).await? else {
        return Err(AppError::invalid(
            "建档工会及其上级均未填写行政区划代码，无法确定适用的低保标准",
        ));
    };
    let year = i64::from(entered_on.year());
    let means = Means {
        persons: persons.len() as i64,
        income,
        rigid,
        sudden,
    };
    let id = new_id();
    let mut tx = db.begin_write().await?;
    let (tier, why) = tier_in(&mut tx, &region, year, &means).await?;
    let cause_codes: Vec<&str> = causes.iter().map(|c| c.code()).collect();
    let review_due = next_review(entered_on);
    sqlx::query(
        "INSERT INTO hardship_files (id, org_id, org_path, region_code, assessed_year, household_size, income_fen, rigid_fen, sudden_fen, \
         tier, tier_reason, causes, plan, measures, entered_on, review_due, status, version, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,'active',0,$17,$17)",
    )
    .bind(id)
    .bind(org.id)
    .bind(&org.path)
    .bind(&region)
    .bind(year)
    .bind(means.persons)
    .bind(income.0)
    .bind(rigid.0)
    .bind(sudden.0)
    .bind(tier.code())
    .bind(&why)
    .bind(cause_codes.join(","))
    .bind(&plan)
    .bind(&measures)
    .bind(entered_on.to_string())
    .bind(review_due.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for p in &persons {
        let s = p.person.sealed();
        let inserted = sqlx::query(
            "INSERT INTO hardship_persons (id, file_id, member_id, name, id_hash, id_enc, id_masked, mobile_enc, mobile_masked, \
             relation, birth_year, health, schooling, work, active_key) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)",
        )
        .bind(new_id())
        .bind(id)
        .bind(p.person.member_id())
        .bind((!s.name.is_empty()).then_some(s.name.clone()))
        .bind(s.id_hash.clone())
        .bind(s.id_enc.clone())
        .bind(s.id_masked.clone())
        .bind(s.mobile_enc.clone())
        .bind(s.mobile_masked.clone())
        .bind(p.relation.code())
        .bind(p.birth_year)
        .bind(p.health.code())
        .bind(p.schooling.code())
        .bind(p.work.code())
        .bind(&p.key)
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            let e = AppError::from(e);
            if e.is_unique_violation() {
                return Err(AppError::conflict(
                    "HARDSHIP_PERSON_ON_FILE",
                    "家庭成员中有人已在另一份在档的困难职工档案中，一人只能在一份在档档案中",
                ));
            }
            return Err(e);
        }
    }
    let detail = serde_json::json!({
        "tier": tier.code(), "persons": means.persons, "income_fen": income.0, "rigid_fen": rigid.0,
        "sudden_fen": sudden.0, "causes": cause_codes, "region_code": region, "year": year,
    });
    let step = Step {
        action: "enter",
        event: "hardship.enter",
        from: None,
        to: Status::Active.code(),
    };
    finish(db, tx, actor, id, step, entered_on, now, detail).await
}

/// A step taken on a file: its history action, audit event and states.
struct Step {
    action: &'static str,
    event: &'static str,
    from: Option<&'static str>,
    to: &'static str,
}

/// Ends a step on file `id`: its history row and audit event, the commit, the file as it is now.
#[allow(clippy::too_many_arguments)]
async fn finish(
    db: &Db,
    mut tx: Tx,
    actor: &Actor,
    id: i64,
    step: Step,
    on: NaiveDate,
    now: i64,
    detail: serde_json::Value,
) -> AppResult<HardshipFile> {
    let case = CaseRef {
        case_type: CASE,
        id,
    };
    let entry = Entry {
        at: now,
        on,
        actor,
        action: step.action,
        from: step.from,
        to: step.to,
        detail: &detail,
    };
    history::record(&mut tx, case, entry).await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new(step.event).target(CASE, id).detail(detail),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::all(), id).await
}

/// The yearly re-verification: the year's means, the tier again, the next due date.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// Yearly income of the household, 元.
    pub income: Option<String>,
    /// Yearly rigid expenses (medical, schooling), 元.
    pub rigid_expenses: Option<String>,
    /// Sudden expenses of the year, 元.
    pub sudden_expenses: Option<String>,
    /// Date of the re-verification; default today.
    pub reviewed_on: Option<String>,
    pub note: Option<String>,
    /// The version of the file read (refused if someone changed it since).
    pub version: i64,
}

/// A change to the plan and measures.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub plan: Option<String>,
    pub measures: Option<String>,
    pub causes: Vec<String>,
    pub version: i64,
}

/// Leaving the files (解困脱困).
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExitInput {
    pub reason: Option<String>,
    pub note: Option<String>,
    pub exited_on: Option<String>,
    pub version: i64,
}

async fn active_in_tx(
    tx: &mut Tx,
    scope: &Scope,
    id: i64,
    version: i64,
) -> AppResult<(String, i64)> {
    let (lo, hi) = scope.range();
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT status, region_code, version FROM hardship_files WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((status, region, v)) = row else {
        return Err(AppError::not_found("困难职工档案"));
    };
    if status != Status::Active.code() {
        return Err(AppError::conflict(
            "TRANSITION_REFUSED",
            "档案已解困脱困，不能再办理",
        ));
    }
    if v != version {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这份档案刚刚已被其他人修改，请刷新后查看最新情况",
        ));
    }
    Ok((region, v))
}

fn day(field: &str, typed: Option<&str>, today: NaiveDate) -> AppResult<NaiveDate> {
    match given(typed) {
        None => Ok(today),
        Some(s) => {
            let d = parse_date(s)?;
            if d > today {
                return Err(AppError::invalid(format!("{field}不能晚于今天")));
            }
            Ok(d)
        }
    }
}

async fn bump(
    tx: &mut Tx,
    id: i64,
    version: i64,
    now: i64,
    sets: &str,
    binds: Vec<Option<String>>,
) -> AppResult<()> {
    let n = binds.len();
    let sql = format!(
        "UPDATE hardship_files SET {sets}, version = version + 1, updated_at = ${} WHERE id = ${} AND version = ${}",
        n + 1,
        n + 2,
        n + 3
    );
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(b);
    }
    let changed = q
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if changed != 1 {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这份档案刚刚已被其他人修改，请刷新后查看最新情况",
        ));
    }
    Ok(())
}

/// Re-verifies a file with the year's means: the tier is computed again; a household no
/// longer in hardship is told to leave the files instead.
pub async fn review(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &ReviewInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<HardshipFile> {
    let mut issues = Vec::new();
    let means = read_means(
        [&i.income, &i.rigid_expenses, &i.sudden_expenses],
        &mut issues,
    );
    let Some((income, rigid, sudden)) = means.filter(|_| issues.is_empty()) else {
        return Err(AppError::invalid_fields(
            "复核信息有误，请按提示修改",
            issues,
        ));
    };
    let on = day("复核日期", i.reviewed_on.as_deref(), today)?;
    let note = given(i.note.as_deref()).map(|n| n.chars().take(500).collect::<String>());
    let mut tx = db.begin_write().await?;
    let (region, _) = active_in_tx(&mut tx, &actor.scope, id, i.version).await?;
    let persons: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM hardship_persons WHERE file_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let year = i64::from(on.year());
    let means = Means {
        persons,
        income,
        rigid,
        sudden,
    };
    let (tier, why) = match tier_in(&mut tx, &region, year, &means).await {
        Err(e) if e.code() == "HARDSHIP_NOT_ELIGIBLE" => {
            return Err(
                AppError::invalid(format!("{}。请办理解困脱困", e.message()))
                    .with_code("HARDSHIP_NOT_ELIGIBLE"),
            );
        }
        other => other?,
    };
    bump(
        &mut tx,
        id,
        i.version,
        now,
        "assessed_year = CAST($1 AS BIGINT), income_fen = CAST($2 AS BIGINT), rigid_fen = CAST($3 AS BIGINT), sudden_fen = CAST($4 AS BIGINT), \
         tier = $5, tier_reason = $6, reviewed_on = $7, review_due = $8",
        vec![
            Some(year.to_string()),
            Some(income.0.to_string()),
            Some(rigid.0.to_string()),
            Some(sudden.0.to_string()),
            Some(tier.code().into()),
            Some(why.clone()),
            Some(on.to_string()),
            Some(next_review(on).to_string()),
        ],
    )
    .await?;
    let detail = serde_json::json!({"tier": tier.code(), "income_fen": income.0, "rigid_fen": rigid.0, "sudden_fen": sudden.0, "year": year, "note": note});
    let step = Step {
        action: "review",
        event: "hardship.review",
        from: Some("active"),
        to: "active",
    };
    finish(db, tx, actor, id, step, on, now, detail).await
}

/// Changes the plan, measures and causes of an active file.
pub async fn replan(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &PlanInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<HardshipFile> {
    let mut issues = Vec::new();
    let causes = read_causes(&i.causes, &mut issues);
    let plan = text("帮扶计划", i.plan.as_deref(), 2000, &mut issues);
    let measures = text("帮扶措施", i.measures.as_deref(), 2000, &mut issues);
    let (Some(plan), Some(measures)) = (plan, measures) else {
        return Err(AppError::invalid_fields(
            "帮扶计划有误，请按提示修改",
            issues,
        ));
    };
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "帮扶计划有误，请按提示修改",
            issues,
        ));
    }
    let codes: Vec<&str> = causes.iter().map(|c| c.code()).collect();
    let mut tx = db.begin_write().await?;
    active_in_tx(&mut tx, &actor.scope, id, i.version).await?;
    bump(
        &mut tx,
        id,
        i.version,
        now,
        "plan = $1, measures = $2, causes = $3",
        vec![Some(plan), Some(measures), Some(codes.join(","))],
    )
    .await?;
    let detail = serde_json::json!({"causes": codes});
    let step = Step {
        action: "replan",
        event: "hardship.replan",
        from: Some("active"),
        to: "active",
    };
    finish(db, tx, actor, id, step, today, now, detail).await
}

/// Closes a file: the household is lifted out of hardship (or moved away…), with the reason.
/// Its persons may be filed again later.
pub async fn exit(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &ExitInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<HardshipFile> {
    let mut issues = Vec::new();
    let reason: Option<ExitReason> = pick("解困脱困原因", i.reason.as_deref(), &mut issues);
    let Some(reason) = reason else {
        return Err(AppError::invalid_fields("请选择解困脱困原因", issues));
    };
    let note = match given(i.note.as_deref()) {
        None if reason == ExitReason::Other => {
            return Err(AppError::invalid("原因为“其他”时请写明情况"));
        }
        n => n.map(|n| required(n, "说明", 500)).transpose()?,
    };
    let on = day("脱困日期", i.exited_on.as_deref(), today)?;
    let mut tx = db.begin_write().await?;
    active_in_tx(&mut tx, &actor.scope, id, i.version).await?;
    bump(
        &mut tx,
        id,
        i.version,
        now,
        "status = 'exited', exited_on = $1, exit_reason = $2, exit_note = $3",
        vec![
            Some(on.to_string()),
            Some(reason.code().into()),
            note.clone(),
        ],
    )
    .await?;
    sqlx::query("UPDATE hardship_persons SET active_key = NULL WHERE file_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({"reason": reason.code(), "note": note});
    let step = Step {
        action: "exit",
        event: "hardship.exit",
        from: Some("active"),
        to: "exited",
    };
    finish(db, tx, actor, id, step, on, now, detail).await
}

/// The active file a member is on (as any person of the household), with its tier.
pub async fn active_file_of(tx: &mut Tx, member_id: i64) -> AppResult<Option<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT f.id, f.tier FROM hardship_persons p JOIN hardship_files f ON f.id = p.file_id \
         WHERE p.member_id = $1 AND f.status = 'active' LIMIT 1",
    )
    .bind(member_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// What the inbox shows for hardship files in `scope`: re-verifications past due and due
/// within a month.
pub async fn reminders(
    db: &Db,
    scope: &Scope,
    today: NaiveDate,
) -> AppResult<Vec<crate::workflow::inbox::Item>> {
    let (lo, hi) = scope.range();
    let near = crate::workflow::deadlines::due(today, REVIEW_WARN_DAYS).to_string();
    let (overdue, soon): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN review_due < $3 THEN 1 ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN review_due >= $3 AND review_due <= $4 THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM hardship_files WHERE status = 'active' AND org_path >= $1 AND org_path < $2 AND review_due <= $4",
    )
    .bind(lo)
    .bind(hi)
    .bind(today.to_string())
    .bind(near)
    .fetch_one(db.pool())
    .await?;
    let mut items = Vec::new();
    if overdue > 0 {
        items.push(crate::workflow::inbox::Item {
            text: "户困难职工档案已超过年度复核期限".into(),
            count: overdue,
            href: "/aid/files?review=overdue".into(),
            urgent: true,
        });
    }
    if soon > 0 {
        items.push(crate::workflow::inbox::Item {
            text: "户困难职工档案30天内需年度复核".into(),
            count: soon,
            href: "/aid/files?review=near".into(),
            urgent: false,
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: Line = Line {
        monthly: Fen::yuan(600),
        relative_pct: 200,
        sudden_pct: 50,
    };

    fn means(persons: i64, income: i64, rigid: i64, sudden: i64) -> Means {
        Means {
            persons,
            income: Fen(income),
            rigid: Fen(rigid),
            sudden: Fen(sudden),
        }
    }

    #[test]
    fn tiers_at_their_boundaries() {
        // 3 persons × 12 months × 600 元 = 21,600 元 a year.
        let on_line = Fen::yuan(21_600).0;
        assert_eq!(
            assess(&means(3, on_line - 1, 0, 0), &LINE).0,
            Some(Tier::Deep),
            "one fen below the line"
        );
        assert_eq!(
            assess(&means(3, on_line, 0, 0), &LINE).0,
            Some(Tier::Relative),
            "exactly on the line is not below it"
        );
        assert_eq!(
            assess(&means(3, 2 * on_line - 1, 0, 0), &LINE).0,
            Some(Tier::Relative)
        );
        assert_eq!(
            assess(&means(3, 2 * on_line, 0, 0), &LINE).0,
            None,
            "exactly twice the line"
        );
        // Rigid expenses are deducted first.
        assert_eq!(
            assess(
                &means(3, on_line + Fen::yuan(5_000).0, Fen::yuan(5_000).0 + 1, 0),
                &LINE
            )
            .0,
            Some(Tier::Deep)
        );
        // Sudden expenses above half the yearly income; exactly half is not above.
        let income = Fen::yuan(100_000).0;
        assert_eq!(
            assess(&means(3, income, 0, income / 2 + 1), &LINE).0,
            Some(Tier::Sudden)
        );
        assert_eq!(assess(&means(3, income, 0, income / 2), &LINE).0, None);
        // A multiple of 1.5× moves the relative bar.
        let l = Line {
            relative_pct: 150,
            ..LINE
        };
        assert_eq!(
            assess(&means(3, on_line * 3 / 2 - 1, 0, 0), &l).0,
            Some(Tier::Relative)
        );
        assert_eq!(assess(&means(3, on_line * 3 / 2, 0, 0), &l).0, None);
    }

    #[test]
    fn the_reason_names_the_figures_compared() {
        let (t, why) = assess(&means(2, Fen::yuan(10_000).0, 0, 0), &LINE);
        assert_eq!(t, Some(Tier::Deep));
        assert!(why.contains("600.00") && why.contains("2 人"), "{why}");
        let (_, why) = assess(&means(2, Fen::yuan(20_000).0, 0, 0), &LINE);
        assert!(why.contains("2 倍"), "{why}");
    }

    #[test]
    fn regions_hold_their_counties() {
        assert!(region_within("621002", "621000"));
        assert!(region_within("621002", "620000"));
        assert!(!region_within("631002", "621000"));
        assert!(region_within("621002", "621002"));
    }
}
