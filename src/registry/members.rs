//! Members (会员): one record per person for life, keyed by the blind index of the ID number,
//! with a dated membership history (join, transfer, retire, leave, death).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::codes;
use super::counters;
use super::names::pinyin_forms;
use super::orgs::{self, Org};
use super::scope::Scope;
use super::search::{self, Typed};
use crate::audit::{self, Actor, Event};
use crate::crypto::FieldKeys;
use crate::db::{Db, Tx, new_id, now_ms};
use crate::error::{AppError, AppResult};
use crate::types::{
    IdCardNo, Mobile, Sex, excel_damaged_number, normalize_name, parse_date, parse_flag,
};

pub const ID_DOMAIN: &str = "id_card";
pub const MOBILE_DOMAIN: &str = "mobile";

/// A person's fields as typed (API body or import row). Everything is text so that every
/// problem can be reported per field in Chinese.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct PersonInput {
    pub name: Option<String>,
    /// 18-digit ID number. Never echoed back; stored encrypted.
    pub id_number: Option<String>,
    /// 男/女; optional, checked against the ID number when given.
    pub sex: Option<String>,
    /// Optional, checked against the ID number when given.
    pub birth_date: Option<String>,
    pub ethnicity: Option<String>,
    pub political: Option<String>,
    pub education: Option<String>,
    pub hukou: Option<String>,
    pub mobile: Option<String>,
    /// 统一社会信用代码 of the employer.
    pub unit_uscc: Option<String>,
    /// 是/否
    pub migrant: Option<String>,
    pub nef_group: Option<String>,
    pub card_no: Option<String>,
}

/// Validated person fields.
#[derive(Debug, Clone)]
pub struct PersonFields {
    pub id: IdCardNo,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub ethnicity: Option<&'static str>,
    pub political: Option<&'static str>,
    pub education: Option<&'static str>,
    pub hukou: Option<&'static str>,
    pub mobile: Option<Mobile>,
    pub unit_id: Option<i64>,
    pub migrant: bool,
    pub nef_group: Option<&'static str>,
    pub card_no: Option<String>,
}

pub use crate::error::FieldIssue;

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// How an enrolment treats a missing join date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinDate {
    /// Required (a row of an import).
    Required,
    /// Today when not given (a form, the API).
    TodayIfBlank,
}

/// A person and the day they join, checked by the one set of rules every way of enrolling
/// uses (form, API, import): every field of [`validate_person`], and a join date that is a
/// date, not after today and not before the person's 16th birthday. Every problem at once.
pub fn validate_enrolment(
    input: &PersonInput,
    unit_id: Option<i64>,
    unknown: UnknownValues,
    joined: Option<&str>,
    blank: JoinDate,
    today: NaiveDate,
) -> Result<(PersonFields, NaiveDate, Vec<FieldIssue>), Vec<FieldIssue>> {
    let issue = |message: String| FieldIssue {
        field: "入会日期".into(),
        message,
    };
    let joined = match (joined.map(str::trim).filter(|s| !s.is_empty()), blank) {
        (None, JoinDate::Required) => Err(issue("入会日期不能为空".into())),
        (None, JoinDate::TodayIfBlank) => Ok(today),
        (Some(s), _) => match parse_date(s) {
            Ok(d) if d > today => Err(issue("入会日期不能晚于今天".into())),
            Ok(d) => Ok(d),
            Err(e) => Err(issue(e.message().to_string())),
        },
    };
    // The birth date comes from the ID number: the age rule is checked whenever the number
    // reads, even when other fields are wrong, so that every problem shows at once.
    let birth = input
        .id_number
        .as_deref()
        .and_then(|s| IdCardNo::parse(s).ok())
        .map(|id| id.birth_date());
    let too_young = match (&joined, birth) {
        (Ok(j), Some(b)) => b
            .checked_add_months(chrono::Months::new(16 * 12))
            .is_some_and(|sixteen| *j < sixteen)
            .then(|| issue(format!("入会日期{j}时未满16周岁（出生于{b}），请核对"))),
        _ => None,
    };
    match (validate_person(input, unit_id, unknown), joined, too_young) {
        (Ok((fields, warnings)), Ok(j), None) => Ok((fields, j, warnings)),
        (person, joined, too_young) => {
            let mut issues = person.err().unwrap_or_default();
            issues.extend(joined.err());
            issues.extend(too_young);
            Err(issues)
        }
    }
}

/// What an optional coded field with a value outside its list does to the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownValues {
    /// An error: the person is not saved (forms, and imports by default).
    #[default]
    Refuse,
    /// A warning, and the field is left empty (an import option the cadre chooses).
    LeaveEmpty,
}

/// Validates every field and reports all problems at once. Unit lookup is the caller's job
/// (`unit_id` is passed in, resolved from `unit_uscc`).
pub fn validate_person(
    input: &PersonInput,
    unit_id: Option<i64>,
    unknown: UnknownValues,
) -> Result<(PersonFields, Vec<FieldIssue>), Vec<FieldIssue>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    // An optional coded value outside its list: an error, or (when chosen) left empty.
    let mut coded_issue = |field: &str, e: AppError| -> Option<FieldIssue> {
        let issue = FieldIssue {
            field: field.into(),
            message: e.message().to_string(),
        };
        match (unknown, e.code()) {
            (UnknownValues::LeaveEmpty, "UNKNOWN_VALUE") => {
                warnings.push(FieldIssue {
                    message: format!("{}（已留空）", issue.message),
                    ..issue
                });
                None
            }
            _ => Some(issue),
        }
    };
    let mut coded_errors = Vec::new();
    let mut coded = |field: &str,
                     v: Option<&str>,
                     f: &dyn Fn(&str) -> AppResult<Option<&'static str>>| {
        match f(v.unwrap_or("")) {
            Ok(x) => x,
            Err(e) => {
                coded_errors.extend(coded_issue(field, e));
                None
            }
        }
    };
    let ethnicity = coded("民族", nonempty(&input.ethnicity), &codes::ethnicity);
    let political = coded("政治面貌", nonempty(&input.political), &codes::political);
    let education = coded("学历", nonempty(&input.education), &codes::education);
    let hukou = coded("户籍类型", nonempty(&input.hukou), &codes::hukou);
    let nef_group = coded(
        "新就业形态群体",
        nonempty(&input.nef_group),
        &codes::nef_group,
    );
    let sex_v = coded("性别", nonempty(&input.sex), &|s| {
        Ok((!s.is_empty())
            .then(|| Sex::parse(s))
            .transpose()?
            .map(Sex::label))
    })
    .map(|label| {
        if label == "男" {
            Sex::Male
        } else {
            Sex::Female
        }
    });
    let migrant = coded("农民工", nonempty(&input.migrant), &|s| {
        Ok(parse_flag(s)?.then_some("是"))
    })
    .is_some();
    errors.extend(coded_errors);
    let mut check = |field: &str, r: Result<(), AppError>| {
        if let Err(e) = r {
            errors.push(FieldIssue {
                field: field.into(),
                message: e.message().to_string(),
            });
        }
    };
    let name = normalize_name(nonempty(&input.name).unwrap_or(""));
    // A long number a spreadsheet stored as a number has lost digits: say so, not "check character".
    let id = match nonempty(&input.id_number) {
        Some(s) => match excel_damaged_number(s, "身份证号") {
            Some(m) => Err(AppError::invalid(m)),
            None => IdCardNo::parse(s),
        },
        None => Err(AppError::invalid("身份证号不能为空")),
    };
    let mut name_v = None;
    check("姓名", name.map(|n| name_v = Some(n)));
    let mut id_v = None;
    check("身份证号", id.map(|i| id_v = Some(i)));
    let mut birth_v = None;
    if let Some(s) = nonempty(&input.birth_date) {
        check("出生日期", parse_date(s).map(|x| birth_v = Some(x)));
    }
    let mut mobile = None;
    if let Some(s) = nonempty(&input.mobile) {
        let parsed = match excel_damaged_number(s, "手机号") {
            Some(m) => Err(AppError::invalid(m)),
            None => Mobile::parse(s),
        };
        check("手机号", parsed.map(|m| mobile = Some(m)));
    }
    let card_no = nonempty(&input.card_no).map(|s| s.chars().take(40).collect::<String>());

    if let Some(id) = &id_v {
        if let Some(sex) = sex_v
            && sex != id.sex()
        {
            errors.push(FieldIssue {
                field: "性别".into(),
                message: format!(
                    "填写的性别“{}”与身份证号显示的“{}”不一致",
                    sex.label(),
                    id.sex().label()
                ),
            });
        }
        if let Some(b) = birth_v
            && b != id.birth_date()
        {
            errors.push(FieldIssue {
                field: "出生日期".into(),
                message: format!("填写的出生日期{b}与身份证号中的{}不一致", id.birth_date()),
            });
        }
        for w in id.warnings() {
            let crate::types::id_card::IdCardWarning::UnknownRegion(code) = w;
            warnings.push(FieldIssue {
                field: "身份证号".into(),
                message: format!("地区码{code}不在已知省份中，请核对"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let id = id_v.expect("no errors");
    if hukou == Some("城镇") && migrant {
        warnings.push(FieldIssue {
            field: "农民工".into(),
            message: "户籍为城镇但标为农民工，请核对".into(),
        });
    }
    Ok((
        PersonFields {
            sex: id.sex(),
            birth_date: id.birth_date(),
            id,
            name: name_v.expect("no errors"),
            ethnicity,
            political,
            education,
            hukou,
            mobile,
            unit_id,
            migrant,
            nef_group,
            card_no,
        },
        warnings,
    ))
}

/// What a member looks like to people: sensitive values masked.
#[derive(Debug, Clone, Serialize, FromRow, ToSchema)]
pub struct MemberView {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub id_masked: String,
    pub sex: String,
    pub birth_date: String,
    pub ethnicity: Option<String>,
    pub political: Option<String>,
    pub education: Option<String>,
    pub hukou: Option<String>,
    pub mobile_masked: Option<String>,
    pub unit_name: Option<String>,
    pub unit_uscc: Option<String>,
    pub migrant: i64,
    pub nef_group: Option<String>,
    pub card_no: Option<String>,
    /// active 在会 / retired 退休(保留会籍) / left 已离会 / deceased 已故
    pub status: String,
    pub org_code: Option<String>,
    pub org_name: Option<String>,
    pub joined_on: Option<String>,
    /// Sort key for name order.
    #[serde(skip)]
    pub name_pinyin: String,
}

pub const VIEW_SELECT: &str = "SELECT m.id, m.name, m.id_masked, m.sex, m.birth_date, m.ethnicity, m.political, m.education, m.hukou, \
    m.mobile_masked, un.name AS unit_name, un.uscc AS unit_uscc, m.migrant, m.nef_group, m.card_no, m.status, \
    o.code AS org_code, o.name AS org_name, m.joined_on, m.name_pinyin \
    FROM members m LEFT JOIN units un ON un.id = m.unit_id LEFT JOIN orgs o ON o.id = m.org_id";

#[derive(Debug, Clone, Serialize, FromRow, ToSchema)]
pub struct MembershipRow {
    pub org_code: String,
    pub org_name: String,
    pub start_date: String,
    pub start_reason: String,
    pub end_date: Option<String>,
    pub end_reason: Option<String>,
    pub retained: i64,
}

/// Scope rule for people: a member is visible where their current (or last) union is.
async fn member_path(db: &Db, id: i64) -> AppResult<Option<Option<String>>> {
    Ok(
        sqlx::query_scalar("SELECT org_path FROM members WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?,
    )
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<MemberView> {
    match member_path(db, id).await? {
        Some(Some(p)) if scope.contains(&p) => {}
        Some(None) if scope.is_all() => {}
        _ => return Err(AppError::not_found("会员")),
    }
    let v: MemberView = sqlx::query_as(&format!("{VIEW_SELECT} WHERE m.id = $1"))
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    Ok(v)
}

pub async fn history(db: &Db, scope: &Scope, id: i64) -> AppResult<Vec<MembershipRow>> {
    get(db, scope, id).await?;
    Ok(sqlx::query_as(
        "SELECT o.code AS org_code, o.name AS org_name, s.start_date, s.start_reason, s.end_date, s.end_reason, s.retained \
         FROM memberships s JOIN orgs o ON o.id = s.org_id WHERE s.member_id = $1 ORDER BY s.start_date, s.created_at",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?)
}

/// Exact lookup by ID number through the blind index; the number itself is never stored in clear.
pub async fn find_by_id_number(
    db: &Db,
    keys: &FieldKeys,
    scope: &Scope,
    id_number: &str,
) -> AppResult<MemberView> {
    let id = IdCardNo::parse(id_number)?;
    let hash = keys.blind_index(ID_DOMAIN, id.as_str());
    let mid: Option<i64> = sqlx::query_scalar("SELECT id FROM members WHERE id_hash = $1")
        .bind(hash)
        .fetch_optional(db.pool())
        .await?;
    match mid {
        Some(mid) => get(db, scope, mid).await,
        None => Err(AppError::not_found("会员")),
    }
}

#[derive(
    Debug, Default, Clone, PartialEq, Deserialize, Serialize, ToSchema, utoipa::IntoParams,
)]
#[into_params(parameter_in = Query)]
pub struct MemberFilter {
    /// Union code: members of this union and every union below it.
    pub org: Option<String>,
    /// Chinese name fragment, pinyin prefix (`zhangs`), initials prefix (`zsf`) or last digits of the ID number.
    pub q: Option<String>,
    /// active / retired / left / deceased; default: active and retired.
    pub status: Option<String>,
    /// 男/女
    pub sex: Option<String>,
    pub migrant: Option<bool>,
    pub nef: Option<bool>,
    pub nef_group: Option<String>,
    /// Joined on or after (YYYY-MM-DD).
    pub joined_from: Option<String>,
    /// Joined on or before (YYYY-MM-DD).
    pub joined_to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// `union` (default: by union, then name), `name` (pinyin), `joined` or `joined_desc`.
    pub sort: Option<String>,
}

impl MemberFilter {
    fn order_by(&self) -> &'static str {
        match self.sort.as_deref() {
            Some("name") => "m.name_pinyin, m.id",
            Some("joined") => "m.joined_on, m.id",
            Some("joined_desc") => "m.joined_on DESC, m.id DESC",
            _ => "m.org_path, m.name_pinyin, m.id",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPage {
    pub page: i64,
    pub per_page: i64,
    pub rows: Vec<MemberView>,
    /// Whether there is a next page.
    pub has_more: bool,
}

/// Whether the subtree at `path` is a whole federation level (city, district …) or everything.
async fn large_subtree(db: &Db, path: &str) -> AppResult<bool> {
    if path == "/" {
        return Ok(true);
    }
    let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM orgs WHERE path = $1")
        .bind(path)
        .fetch_optional(db.pool())
        .await?;
    Ok(kind.is_some_and(|k| super::counters::is_counted(&k)))
}

/// Builds the WHERE clause and arguments for a member filter (shared by list and export).
pub async fn filter_sql(
    db: &Db,
    keys: &FieldKeys,
    scope: &Scope,
    f: &MemberFilter,
) -> AppResult<(String, Vec<String>)> {
    let scope = orgs::narrowed(db, scope, f.org.as_deref()).await?;
    let (lo, hi) = scope.range();
    let (scope_lo, scope_hi) = (lo.clone(), hi.clone());
    // Sorted by join date, a large subtree is best read along the join-date index, stopping
    // at the page. PostgreSQL sees from its statistics how much of the registry a path range
    // holds and chooses well. SQLite cannot (it guesses every range small) and would sort the
    // whole subtree: for a large one the condition is written so that it is not an index range.
    let walk_join_dates = db.backend() == crate::db::Backend::Sqlite
        && matches!(f.sort.as_deref(), Some("joined" | "joined_desc"))
        && large_subtree(db, &lo).await?;
    let mut w = if walk_join_dates {
        format!("substr(m.org_path, 1, {}) = $1 AND $2 <> ''", lo.len())
    } else {
        String::from("m.org_path >= $1 AND m.org_path < $2")
    };
    let mut args = vec![lo, hi];
    match f.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s @ ("active" | "retired" | "left" | "deceased")) => {
            args.push(s.into());
            w.push_str(&format!(" AND m.status = ${}", args.len()));
        }
        Some("all") => {}
        Some(other) => {
            return Err(AppError::invalid(format!(
                "会员状态“{other}”无效，可选 active/retired/left/deceased/all"
            )));
        }
        None => w.push_str(" AND m.status IN ('active','retired')"),
    }
    match f.q.as_deref().and_then(Typed::parse) {
        None => {}
        Some(Typed::Letters(forms)) => {
            let any = search::letters_conditions("m", &forms, &mut args);
            w.push_str(&format!(" AND ({})", any.join(" OR ")));
        }
        Some(Typed::Digits(digits)) => {
            let ids = digit_matches(db, keys, &scope_lo, &scope_hi, &digits).await?;
            if ids.is_empty() {
                w.push_str(" AND 1 = 0");
            } else {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                w.push_str(&format!(" AND m.id IN ({})", list.join(",")));
            }
        }
        Some(Typed::Name(name)) => {
            args.push(crate::db::like_contains(&name));
            w.push_str(&format!(
                " AND m.name LIKE ${} {}",
                args.len(),
                crate::db::LIKE_ESCAPE
            ));
        }
    }
    if let Some(sex) = f.sex.as_deref().filter(|s| !s.is_empty()) {
        args.push(Sex::parse(sex)?.label().into());
        w.push_str(&format!(" AND m.sex = ${}", args.len()));
    }
    if let Some(m) = f.migrant {
        w.push_str(if m {
            " AND m.migrant = 1"
        } else {
            " AND m.migrant = 0"
        });
    }
    if let Some(n) = f.nef {
        w.push_str(if n {
            " AND m.nef_group IS NOT NULL"
        } else {
            " AND m.nef_group IS NULL"
        });
    }
    if let Some(g) = f.nef_group.as_deref().filter(|s| !s.is_empty()) {
        let g = codes::nef_group(g)?.unwrap_or_default();
        args.push(g.into());
        w.push_str(&format!(" AND m.nef_group = ${}", args.len()));
    }
    if let Some(d) = f.joined_from.as_deref().filter(|s| !s.is_empty()) {
        args.push(parse_date(d)?.to_string());
        w.push_str(&format!(" AND m.joined_on >= ${}", args.len()));
    }
    if let Some(d) = f.joined_to.as_deref().filter(|s| !s.is_empty()) {
        args.push(parse_date(d)?.to_string());
        w.push_str(&format!(" AND m.joined_on <= ${}", args.len()));
    }
    Ok((w, args))
}

/// At most this many people match a typed tail of digits; more asks for more digits.
const DIGIT_MATCHES_MAX: usize = 2000;

/// The people in the path range `lo..hi` a typed string of digits finds: by the blind index
/// of a full ID number, the keyed index of ID number tails (a tail longer than the index's
/// five checked on the few numbers it finds), or a mobile's last four (a full mobile then
/// checked by its blind index). Never a scan of the table.
async fn digit_matches(
    db: &Db,
    keys: &FieldKeys,
    lo: &str,
    hi: &str,
    digits: &str,
) -> AppResult<Vec<i64>> {
    let k = search::digit_keys(keys, digits);
    let in_scope = |path: &Option<String>| path.as_deref().is_some_and(|p| p >= lo && p < hi);
    let mut found = std::collections::BTreeSet::new();
    if let Some(hash) = &k.id_hash {
        let hit: Option<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, org_path FROM members WHERE id_hash = $1")
                .bind(hash)
                .fetch_optional(db.pool())
                .await?;
        found.extend(hit.filter(|(_, p)| in_scope(p)).map(|(id, _)| id));
    }
    if !k.id_tails.is_empty() {
        let list: Vec<String> = k.id_tails.iter().map(i64::to_string).collect();
        let rows: Vec<(i64, Option<String>, Vec<u8>)> = sqlx::query_as(&format!(
            "SELECT id, org_path, id_enc FROM members WHERE id_tail IN ({}) LIMIT 50000",
            list.join(",")
        ))
        .fetch_all(db.pool())
        .await?;
        for (id, path, enc) in rows {
            if !in_scope(&path) {
                continue;
            }
            if let Some(tail) = &k.check_tail
                && !keys.decrypt(&enc)?.ends_with(tail.as_str())
            {
                continue;
            }
            found.insert(id);
        }
    }
    if let Some(tail) = &k.mobile_tail {
        let rows: Vec<(i64, Option<String>, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT id, org_path, mobile_hash FROM members WHERE substr(mobile_masked, 8, 4) = $1 LIMIT 50000",
        )
        .bind(tail)
        .fetch_all(db.pool())
        .await?;
        found.extend(
            rows.into_iter()
                .filter(|(_, p, h)| {
                    in_scope(p)
                        && k.mobile_hash
                            .as_ref()
                            .is_none_or(|want| h.as_ref() == Some(want))
                })
                .map(|(id, _, _)| id),
        );
    }
    if found.len() > DIGIT_MATCHES_MAX {
        return Err(AppError::invalid(format!(
            "尾号“{digits}”匹配的人超过 {DIGIT_MATCHES_MAX} 人，请多输入几位或缩小查询范围"
        )));
    }
    Ok(found.into_iter().collect())
}

pub async fn list(
    db: &Db,
    keys: &FieldKeys,
    scope: &Scope,
    f: &MemberFilter,
) -> AppResult<MemberPage> {
    let paging = crate::db::Paging::new(f.page, f.per_page, 50);
    let (page, per_page) = (paging.page, paging.per_page);
    let letters = match f.q.as_deref().and_then(Typed::parse) {
        Some(Typed::Letters(forms)) => Some(forms),
        _ => None,
    };
    let mut rows = match &letters {
        Some(forms) => search_by_letters(db, keys, scope, f, forms, page * per_page + 1).await?,
        None => {
            let (w, args) = filter_sql(db, keys, scope, f).await?;
            let sql = format!(
                "{VIEW_SELECT} WHERE {w} ORDER BY {} LIMIT {} OFFSET {}",
                f.order_by(),
                per_page + 1,
                paging.offset()
            );
            let mut q = sqlx::query_as::<_, MemberView>(&sql);
            for a in &args {
                q = q.bind(a);
            }
            q.fetch_all(db.pool()).await?
        }
    };
    if letters.is_some() {
        rows = rows.into_iter().skip(paging.offset() as usize).collect();
    }
    let has_more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok(MemberPage {
        page,
        per_page,
        rows,
        has_more,
    })
}

/// A list's total: exact, or a lower bound ("more than").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub n: i64,
    /// `n` is a lower bound: more match.
    pub more: bool,
}

/// A list of a whole subtree is counted exactly from the subtree index alone. A filtered or
/// searched list reads each person's row to test it, in subtree order: at a city's size that
/// is a read of much of the table, so it is counted exactly up to this many and shown as
/// "more than" beyond (the dashboard has the exact figures of the common filters).
pub const COUNT_BOUND: i64 = 2_000;

/// How many people a filter finds (the list's 共 N 人); see [`COUNT_BOUND`].
pub async fn count(db: &Db, keys: &FieldKeys, scope: &Scope, f: &MemberFilter) -> AppResult<Total> {
    // Unsorted: the subtree as an index range, whatever order the list is shown in.
    let unsorted = MemberFilter {
        sort: None,
        page: None,
        per_page: None,
        ..f.clone()
    };
    let whole_subtree = MemberFilter {
        org: f.org.clone(),
        status: f.status.clone(),
        ..Default::default()
    };
    let (w, args) = filter_sql(db, keys, scope, &unsorted).await?;
    let bound = (unsorted != whole_subtree).then_some(COUNT_BOUND);
    let sql = match bound {
        None => format!("SELECT CAST(COUNT(*) AS BIGINT) FROM members m WHERE {w}"),
        Some(max) => format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM members m WHERE {w} LIMIT {}) t",
            max + 1
        ),
    };
    let mut q = sqlx::query_scalar::<_, i64>(&sql);
    for a in &args {
        q = q.bind(a);
    }
    let n = q.fetch_one(db.pool()).await?;
    Ok(match bound {
        Some(max) if n > max => Total { n: max, more: true },
        _ => Total { n, more: false },
    })
}

/// Letters match either the start of the full pinyin (`zhangs`) or of the initials (`zsf`),
/// in each form the letters may stand for (`lu` is also `lv`). An OR over two indexes would
/// make the database sort every match (a fifth of a city for `zh`), so each side is its own
/// ordered, limited index scan and they are merged here.
async fn search_by_letters(
    db: &Db,
    keys: &FieldKeys,
    scope: &Scope,
    f: &MemberFilter,
    forms: &[String],
    want: i64,
) -> AppResult<Vec<MemberView>> {
    let base = MemberFilter {
        q: None,
        ..f.clone()
    };
    let (w, args) = filter_sql(db, keys, scope, &base).await?;
    let mut by_key: std::collections::BTreeMap<(String, i64), MemberView> =
        std::collections::BTreeMap::new();
    for q in forms {
        let (lo, hi) = (q.to_string(), format!("{q}{{"));
        // One letter: initials and full pinyin start with the same letter, one scan suffices.
        let columns: &[&str] = if q.len() == 1 {
            &["m.name_pinyin"]
        } else {
            &["m.name_pinyin", "m.name_initials"]
        };
        for column in columns {
            let n = args.len();
            // Initials and full pinyin share their first letter: bounding the pinyin range keeps
            // the name-ordered scan for initials from walking the whole index.
            let sql = format!(
                "{VIEW_SELECT} WHERE {w} AND {column} >= ${} AND {column} < ${} AND m.name_pinyin >= ${} AND m.name_pinyin < ${} \
                 ORDER BY m.name_pinyin, m.id LIMIT {want}",
                n + 1,
                n + 2,
                n + 3,
                n + 4
            );
            let mut query = sqlx::query_as::<_, MemberView>(&sql);
            for a in &args {
                query = query.bind(a);
            }
            let first = &q[..1];
            let first_next = ((first.as_bytes()[0] + 1) as char).to_string();
            for v in query
                .bind(&lo)
                .bind(&hi)
                .bind(first)
                .bind(first_next)
                .fetch_all(db.pool())
                .await?
            {
                by_key.insert((v.name_pinyin.clone(), v.id), v);
            }
        }
    }
    Ok(by_key.into_values().take(want as usize).collect())
}

/// Existing person as needed to decide what an enrolment does.
#[derive(Debug, Clone, FromRow)]
pub struct Existing {
    pub id: i64,
    pub name: String,
    pub ethnicity: Option<String>,
    pub political: Option<String>,
    pub education: Option<String>,
    pub hukou: Option<String>,
    pub mobile_hash: Option<Vec<u8>>,
    pub unit_id: Option<i64>,
    pub migrant: i64,
    pub nef_group: Option<String>,
    pub card_no: Option<String>,
    pub status: String,
    pub org_id: Option<i64>,
    pub org_path: Option<String>,
    pub joined_on: Option<String>,
}

pub const EXISTING_COLS: &str = "id, name, ethnicity, political, education, hukou, mobile_hash, unit_id, migrant, nef_group, card_no, status, org_id, org_path, joined_on";

impl Existing {
    /// Whether the stored person differs from `f` in any field an import or edit can change.
    pub fn differs(&self, f: &PersonFields, mobile_hash: Option<&[u8]>) -> bool {
        self.name != f.name
            || self.ethnicity.as_deref() != f.ethnicity
            || self.political.as_deref() != f.political
            || self.education.as_deref() != f.education
            || self.hukou.as_deref() != f.hukou
            || self.mobile_hash.as_deref() != mobile_hash
            || self.unit_id != f.unit_id
            || self.migrant != f.migrant as i64
            || self.nef_group.as_deref() != f.nef_group
            || self.card_no != f.card_no
    }
}

/// The outcome of enrolling one person in a union.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Enrolment {
    Inserted,
    Rejoined,
    Updated,
    Unchanged,
}

/// Checks that members may be enrolled in this union.
pub fn check_member_union(org: &Org) -> AppResult<()> {
    if org.status != "active" {
        return Err(AppError::invalid(format!(
            "工会“{}”已撤销，不能接收会员",
            org.name
        )));
    }
    match org.kind.as_str() {
        "grassroots" | "joint" | "industry" => Ok(()),
        _ => Err(AppError::invalid(format!(
            "会员应加入基层工会、联合基层工会或行业工会，“{}”是上级工会",
            org.name
        ))),
    }
}

/// The answer to enrolling someone whose record lies outside the caller's subtree, whatever
/// their status there: nothing about that union, or whether they are active, retired, gone or
/// dead, crosses the subtree line.
pub fn registered_elsewhere() -> AppError {
    AppError::conflict("REGISTERED_ELSEWHERE", REGISTERED_ELSEWHERE)
}

pub const REGISTERED_ELSEWHERE: &str = "此人已在其他工会登记，请联系其所在工会办理转会（已离会的，请其原工会或共同的上级工会办理重新入会）";

/// Whether a stored person lies in `scope` (their current or last union).
pub fn person_in_scope(scope: &Scope, org_path: Option<&str>) -> bool {
    scope.is_all() || org_path.is_some_and(|p| scope.contains(p))
}

/// One-person enrolment used by the API: creates the person, rejoins a former member, or
/// updates the record of a member of the same union. A person active in another union is a
/// transfer conflict: never moved silently. A person on record outside `scope` is
/// [`registered_elsewhere`], with nothing more said.
pub async fn enroll_tx(
    tx: &mut Tx,
    keys: &FieldKeys,
    f: &PersonFields,
    org: &Org,
    joined_on: NaiveDate,
    scope: &Scope,
) -> AppResult<(i64, Enrolment)> {
    check_member_union(org)?;
    let hash = keys.blind_index(ID_DOMAIN, f.id.as_str());
    let mobile_hash = f
        .mobile
        .as_ref()
        .map(|m| keys.blind_index(MOBILE_DOMAIN, m.as_str()));
    let existing: Option<Existing> = sqlx::query_as(&format!(
        "SELECT {EXISTING_COLS} FROM members WHERE id_hash = $1"
    ))
    .bind(&hash)
    .fetch_optional(&mut **tx)
    .await?;
    let now = now_ms();
    match existing {
        None => {
            let id = new_id();
            insert_person_tx(tx, keys, id, f, &hash, Some(org), joined_on, now).await?;
            open_membership_tx(tx, id, org, joined_on, "join", 0).await?;
            counters::settle(tx, id, &counters::Person::default()).await?;
            Ok((id, Enrolment::Inserted))
        }
        Some(e) if !person_in_scope(scope, e.org_path.as_deref()) => Err(registered_elsewhere()),
        Some(e)
            if matches!(e.status.as_str(), "active" | "retired") && e.org_id != Some(org.id) =>
        {
            Err(AppError::conflict(
                "TRANSFER_CONFLICT",
                "此人已是其他工会的会员，请由原工会办理转会（转出），不能直接重复入会",
            ))
        }
        Some(e) if e.status == "deceased" => Err(AppError::conflict(
            "MEMBER_DECEASED",
            "此人已登记为已故，不能入会",
        )),
        Some(e) if e.status == "left" => {
            let before = counters::load_person(tx, e.id).await?;
            update_person_tx(tx, keys, e.id, f, mobile_hash.as_deref()).await?;
            open_membership_tx(tx, e.id, org, joined_on, "join", 0).await?;
            set_current_tx(tx, e.id, "active", Some(org), Some(joined_on)).await?;
            counters::settle(tx, e.id, &before).await?;
            Ok((e.id, Enrolment::Rejoined))
        }
        Some(e) => {
            if e.differs(f, mobile_hash.as_deref()) {
                let before = counters::load_person(tx, e.id).await?;
                update_person_tx(tx, keys, e.id, f, mobile_hash.as_deref()).await?;
                counters::settle(tx, e.id, &before).await?;
                Ok((e.id, Enrolment::Updated))
            } else {
                Ok((e.id, Enrolment::Unchanged))
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_person_tx(
    tx: &mut Tx,
    keys: &FieldKeys,
    id: i64,
    f: &PersonFields,
    id_hash: &[u8],
    org: Option<&Org>,
    joined_on: NaiveDate,
    now: i64,
) -> AppResult<()> {
    let (py, ini) = pinyin_forms(&f.name);
    sqlx::query(
        "INSERT INTO members (id, id_hash, id_enc, id_masked, name, name_pinyin, name_initials, sex, birth_date, ethnicity, political, education, hukou, \
         mobile_enc, mobile_hash, mobile_masked, unit_id, migrant, nef_group, card_no, status, org_id, org_path, joined_on, created_at, updated_at, id_tail) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,'active',$21,$22,$23,$24,$24,$25)",
    )
    .bind(id)
    .bind(id_hash.to_vec())
    .bind(keys.encrypt(f.id.as_str()))
    .bind(f.id.masked())
    .bind(&f.name)
    .bind(py)
    .bind(ini)
    .bind(f.sex.label())
    .bind(f.birth_date.to_string())
    .bind(f.ethnicity)
    .bind(f.political)
    .bind(f.education)
    .bind(f.hukou)
    .bind(f.mobile.as_ref().map(|m| keys.encrypt(m.as_str())))
    .bind(f.mobile.as_ref().map(|m| keys.blind_index(MOBILE_DOMAIN, m.as_str())))
    .bind(f.mobile.as_ref().map(Mobile::masked))
    .bind(f.unit_id)
    .bind(f.migrant as i64)
    .bind(f.nef_group)
    .bind(f.card_no.clone())
    .bind(org.map(|o| o.id))
    .bind(org.map(|o| o.path.clone()))
    .bind(joined_on.to_string())
    .bind(now)
    .bind(super::search::id_tail_of(keys, &f.id))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn update_person_tx(
    tx: &mut Tx,
    keys: &FieldKeys,
    id: i64,
    f: &PersonFields,
    mobile_hash: Option<&[u8]>,
) -> AppResult<()> {
    let (py, ini) = pinyin_forms(&f.name);
    sqlx::query(
        "UPDATE members SET name=$1, name_pinyin=$2, name_initials=$3, ethnicity=$4, political=$5, education=$6, hukou=$7, \
         mobile_enc=$8, mobile_hash=$9, mobile_masked=$10, unit_id=$11, migrant=$12, nef_group=$13, card_no=$14, updated_at=$15 WHERE id=$16",
    )
    .bind(&f.name)
    .bind(py)
    .bind(ini)
    .bind(f.ethnicity)
    .bind(f.political)
    .bind(f.education)
    .bind(f.hukou)
    .bind(f.mobile.as_ref().map(|m| keys.encrypt(m.as_str())))
    .bind(mobile_hash.map(<[u8]>::to_vec))
    .bind(f.mobile.as_ref().map(Mobile::masked))
    .bind(f.unit_id)
    .bind(f.migrant as i64)
    .bind(f.nef_group)
    .bind(f.card_no.clone())
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn open_membership_tx(
    tx: &mut Tx,
    member_id: i64,
    org: &Org,
    on: NaiveDate,
    reason: &str,
    retained: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO memberships (id, member_id, org_id, org_path, retained, start_date, start_reason, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(new_id())
    .bind(member_id)
    .bind(org.id)
    .bind(&org.path)
    .bind(retained)
    .bind(on.to_string())
    .bind(reason)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn set_current_tx(
    tx: &mut Tx,
    member_id: i64,
    status: &str,
    org: Option<&Org>,
    joined_on: Option<NaiveDate>,
) -> AppResult<()> {
    let mut q = String::from("UPDATE members SET status = $1, updated_at = $2");
    if org.is_some() {
        q.push_str(", org_id = $4, org_path = $5, joined_on = $6");
    }
    q.push_str(" WHERE id = $3");
    let mut query = sqlx::query(&q).bind(status).bind(now_ms()).bind(member_id);
    if let Some(o) = org {
        query = query
            .bind(o.id)
            .bind(o.path.clone())
            .bind(joined_on.map(|d| d.to_string()));
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Membership events a cadre records in its own subtree. A transfer (转会) is not one of
/// them: it is a request the receiving union accepts (`registry::transfers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberEvent {
    /// 退会/离会
    Leave,
    /// 退休，保留会籍
    Retire,
    /// 去世
    Death,
}

/// Applies a membership event dated `on` to a member of the actor's subtree.
pub async fn apply_event(
    db: &Db,
    actor: &Actor,
    member_id: i64,
    event: MemberEvent,
    on: NaiveDate,
) -> AppResult<MemberView> {
    let actor2 = actor.clone();
    let backend = db.backend();
    db.write(move |tx| {
        let actor = actor2.clone();
        Box::pin(async move {
            let scope = actor.scope.clone();
            // Checked inside the transaction, so a concurrent move cannot slip in between.
            let path: Option<Option<String>> = sqlx::query_scalar("SELECT org_path FROM members WHERE id = $1")
                .bind(member_id)
                .fetch_optional(&mut **tx)
                .await?;
            if !path.flatten().is_some_and(|p| scope.contains(&p)) {
                return Err(AppError::not_found("会员"));
            }
            let open: Option<(i64, i64, String, i64)> = sqlx::query_as(
                "SELECT id, org_id, start_date, retained FROM memberships WHERE member_id = $1 AND end_date IS NULL",
            )
            .bind(member_id)
            .fetch_optional(&mut **tx)
            .await?;
            let Some((ms_id, org_id, start, retained)) = open else {
                return Err(AppError::conflict("NOT_A_MEMBER", "此人目前没有会籍，无法办理"));
            };
            if on.to_string() < start {
                return Err(AppError::invalid(format!("办理日期不能早于本段会籍的开始日期{start}")));
            }
            if on > chrono::Local::now().date_naive() {
                return Err(AppError::invalid("办理日期不能晚于今天"));
            }
            let reason = match event {
                MemberEvent::Leave => "leave",
                MemberEvent::Retire if retained == 1 => return Err(AppError::conflict("ALREADY_RETIRED", "此人已是退休会员")),
                MemberEvent::Retire => "retire",
                MemberEvent::Death => "death",
            };
            let before = counters::load_person(tx, member_id).await?;
            sqlx::query("UPDATE memberships SET end_date = $1, end_reason = $2 WHERE id = $3")
                .bind(on.to_string())
                .bind(reason)
                .bind(ms_id)
                .execute(&mut **tx)
                .await?;
            let current_code = org_code_of(tx, org_id).await?;
            let current = orgs::get_by_code_tx(tx, &Scope::all(), &current_code).await?;
            match event {
                MemberEvent::Retire => {
                    open_membership_tx(tx, member_id, &current, on, "retire", 1).await?;
                    set_current_tx(tx, member_id, "retired", None, None).await?;
                }
                MemberEvent::Leave => set_current_tx(tx, member_id, "left", None, None).await?,
                MemberEvent::Death => set_current_tx(tx, member_id, "deceased", None, None).await?,
            }
            counters::settle(tx, member_id, &before).await?;
            let detail = serde_json::json!({ "event": reason, "on": on.to_string(), "org": current_code });
            audit::append_tx(tx, backend, &actor, now_ms(), Event::new("member.event").target("member", member_id).detail(detail)).await?;
            Ok(())
        })
    })
    .await?;
    get(db, &Scope::all(), member_id).await
}

async fn org_code_of(tx: &mut Tx, org_id: i64) -> AppResult<String> {
    Ok(sqlx::query_scalar("SELECT code FROM orgs WHERE id = $1")
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await?)
}

/// Resolves a unit by USCC for a person's employer field: an employer of the caller's subtree
/// or one no union covers yet. Another subtree's employer answers like one never registered.
pub async fn unit_id_by_uscc(db: &Db, scope: &Scope, uscc: Option<&str>) -> AppResult<Option<i64>> {
    let Some(u) = uscc.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let code = crate::types::normalize_code(u);
    let unit: Option<(i64, Option<String>)> =
        sqlx::query_as("SELECT id, org_path FROM units WHERE uscc = $1")
            .bind(&code)
            .fetch_optional(db.pool())
            .await?;
    unit.filter(|(_, path)| path.as_deref().is_none_or(|p| scope.contains(p)))
        .map(|(id, _)| Some(id))
        .ok_or_else(|| {
            AppError::invalid(format!(
                "工作单位统一社会信用代码“{code}”未登记或不在您的管理范围内，请先登记单位"
            ))
        })
}

/// Decrypts a member's full ID number and mobile (for permitted exports).
pub async fn reveal(db: &Db, keys: &FieldKeys, id: i64) -> AppResult<(String, Option<String>)> {
    let (id_enc, mobile_enc): (Vec<u8>, Option<Vec<u8>>) =
        sqlx::query_as("SELECT id_enc, mobile_enc FROM members WHERE id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await?;
    Ok((
        keys.decrypt(&id_enc)?,
        mobile_enc.map(|m| keys.decrypt(&m)).transpose()?,
    ))
}

/// The reason a person gives for seeing full values: 2–200 characters.
pub fn stated_reason(r: Option<&str>) -> AppResult<String> {
    let r = r.map(str::trim).unwrap_or("");
    if r.chars().count() < 2 {
        return Err(
            AppError::invalid("请说明查看完整信息的事由（至少2个字）").with_code("REASON_REQUIRED")
        );
    }
    if r.chars().count() > 200 {
        return Err(AppError::invalid("事由不能超过200个字"));
    }
    Ok(r.to_string())
}

/// A member's full ID number and mobile for the actor, recorded with the stated reason before
/// the values leave: no record, no reveal. `via` names the channel (api, console).
pub async fn reveal_with_reason(
    db: &Db,
    keys: &FieldKeys,
    actor: &Actor,
    now: i64,
    id: i64,
    reason: Option<&str>,
    via: &str,
) -> AppResult<(String, Option<String>)> {
    let reason = stated_reason(reason)?;
    get(db, &actor.scope, id).await?;
    let detail = serde_json::json!({ "fields": ["id_number", "mobile"], "reason": crate::crypto::mask_personal_in_text(&reason), "via": via });
    audit::record(
        db,
        actor,
        now,
        Event::new("member.reveal")
            .target("member", id)
            .detail(detail),
    )
    .await?;
    reveal(db, keys, id).await
}

/// A member changes their own mobile number (the member portal). Recorded with masked values.
pub async fn update_own_mobile(
    db: &Db,
    keys: &std::sync::Arc<FieldKeys>,
    actor: &Actor,
    member_id: i64,
    mobile: Option<Mobile>,
) -> AppResult<MemberView> {
    let backend = db.backend();
    let (keys2, actor2) = (keys.clone(), actor.clone());
    db.write(move |tx| {
        let (keys, actor, mobile) = (keys2.clone(), actor2.clone(), mobile.clone());
        Box::pin(async move {
            let before: Option<Option<String>> =
                sqlx::query_scalar("SELECT mobile_masked FROM members WHERE id = $1")
                    .bind(member_id)
                    .fetch_optional(&mut **tx)
                    .await?;
            let Some(before) = before else {
                return Err(AppError::not_found("会员"));
            };
            sqlx::query("UPDATE members SET mobile_enc = $1, mobile_hash = $2, mobile_masked = $3, updated_at = $4 WHERE id = $5")
                .bind(mobile.as_ref().map(|m| keys.encrypt(m.as_str())))
                .bind(mobile.as_ref().map(|m| keys.blind_index(MOBILE_DOMAIN, m.as_str())))
                .bind(mobile.as_ref().map(Mobile::masked))
                .bind(now_ms())
                .bind(member_id)
                .execute(&mut **tx)
                .await?;
            let detail = serde_json::json!({ "before": { "mobile": before }, "after": { "mobile": mobile.as_ref().map(Mobile::masked) } });
            audit::append_tx(tx, backend, &actor, now_ms(), Event::new("member.self_update").target("member", member_id).detail(detail)).await?;
            Ok(())
        })
    })
    .await?;
    let v: MemberView = sqlx::query_as(&format!("{VIEW_SELECT} WHERE m.id = $1"))
        .bind(member_id)
        .fetch_one(db.pool())
        .await?;
    Ok(v)
}

/// Why an enrolment or edit was refused: field problems (shown next to each field) or one
/// error about the whole request.
pub enum PersonRefusal {
    Fields(Vec<FieldIssue>),
    Other(AppError),
}

impl From<AppError> for PersonRefusal {
    fn from(e: AppError) -> Self {
        PersonRefusal::Other(e)
    }
}

pub struct Enrolled {
    pub id: i64,
    pub outcome: Enrolment,
    pub warnings: Vec<FieldIssue>,
}

/// Enrols one person in the union `org_code` (in the actor's scope) from typed fields, and
/// records it in the audit trail: the one path for the API and the console.
pub async fn enroll(
    db: &Db,
    keys: &std::sync::Arc<FieldKeys>,
    actor: &Actor,
    person: &PersonInput,
    org_code: &str,
    joined_on: Option<&str>,
) -> Result<Enrolled, PersonRefusal> {
    // Every problem of the form at once: the employer, the union and the person's fields.
    let mut issues = Vec::new();
    let unit_id = match unit_id_by_uscc(db, &actor.scope, person.unit_uscc.as_deref()).await {
        Ok(id) => id,
        Err(e) if e.status().is_client_error() => {
            issues.push(FieldIssue {
                field: "工作单位统一社会信用代码".into(),
                message: e.message().into(),
            });
            None
        }
        Err(e) => return Err(e.into()),
    };
    let org = match orgs::get_by_code(db, &actor.scope, org_code.trim()).await {
        Ok(org) => match check_member_union(&org) {
            Ok(()) => Some(org),
            Err(e) => {
                issues.push(FieldIssue {
                    field: "所在工会".into(),
                    message: e.message().into(),
                });
                None
            }
        },
        Err(_) => {
            issues.push(FieldIssue {
                field: "所在工会".into(),
                message: if org_code.trim().is_empty() {
                    "请选择会员加入的工会".into()
                } else {
                    format!("工会代码“{}”不存在或不在您的管理范围内", org_code.trim())
                },
            });
            None
        }
    };
    let today = chrono::Local::now().date_naive();
    let checked = validate_enrolment(
        person,
        unit_id,
        UnknownValues::Refuse,
        joined_on,
        JoinDate::TodayIfBlank,
        today,
    );
    let (fields, joined, warnings) = match (checked, org.as_ref()) {
        (Ok(v), Some(_)) if issues.is_empty() => v,
        (Ok(_), _) => return Err(PersonRefusal::Fields(issues)),
        (Err(more), _) => {
            issues.extend(more);
            return Err(PersonRefusal::Fields(issues));
        }
    };
    let org = org.expect("checked above");
    let backend = db.backend();
    let (keys, actor) = (keys.clone(), actor.clone());
    let (id, outcome) = db
        .write(move |tx| {
            let (keys, fields, org, actor) = (keys.clone(), fields.clone(), org.clone(), actor.clone());
            Box::pin(async move {
                let (id, outcome) = enroll_tx(tx, &keys, &fields, &org, joined, &actor.scope).await?;
                let detail = serde_json::json!({ "outcome": outcome, "org": org.code, "joined_on": joined.to_string(), "id_number": fields.id.masked() });
                audit::append_tx(tx, backend, &actor, now_ms(), Event::new("member.enrol").target("member", id).detail(detail)).await?;
                Ok((id, outcome))
            })
        })
        .await?;
    tracing::info!(member_id = id, ?outcome, "member enrolled");
    Ok(Enrolled {
        id,
        outcome,
        warnings,
    })
}

/// Corrects a member's record (not the ID number, which identifies the person for life). A
/// blank mobile keeps the stored one. Recorded with masked before/after values.
pub async fn edit(
    db: &Db,
    keys: &std::sync::Arc<FieldKeys>,
    actor: &Actor,
    id: i64,
    person: &PersonInput,
) -> Result<Vec<FieldIssue>, PersonRefusal> {
    let before = get(db, &actor.scope, id).await?;
    let (id_number, mobile) = reveal(db, keys, id).await?;
    let mut input = person.clone();
    input.id_number = Some(id_number);
    input.sex = None;
    input.birth_date = None;
    if input.mobile.as_deref().is_none_or(|m| m.trim().is_empty()) {
        input.mobile = mobile;
    }
    // Every problem at once: the employer and the person's fields.
    let (unit_id, unit_issue) =
        match unit_id_by_uscc(db, &actor.scope, input.unit_uscc.as_deref()).await {
            Ok(id) => (id, None),
            Err(e) if e.status().is_client_error() => (
                None,
                Some(FieldIssue {
                    field: "工作单位统一社会信用代码".into(),
                    message: e.message().into(),
                }),
            ),
            Err(e) => return Err(e.into()),
        };
    let (fields, warnings) = match (
        validate_person(&input, unit_id, UnknownValues::Refuse),
        unit_issue,
    ) {
        (Ok(v), None) => v,
        (Ok(_), Some(i)) => return Err(PersonRefusal::Fields(vec![i])),
        (Err(mut issues), i) => {
            issues.extend(i);
            return Err(PersonRefusal::Fields(issues));
        }
    };
    let mobile_hash = fields
        .mobile
        .as_ref()
        .map(|m| keys.blind_index(MOBILE_DOMAIN, m.as_str()));
    let backend = db.backend();
    let (keys, actor) = (keys.clone(), actor.clone());
    db.write(move |tx| {
        let (keys, fields, actor, before, mobile_hash) =
            (keys.clone(), fields.clone(), actor.clone(), before.clone(), mobile_hash.clone());
        Box::pin(async move {
            let counted_before = counters::load_person(tx, id).await?;
            update_person_tx(tx, &keys, id, &fields, mobile_hash.as_deref()).await?;
            counters::settle(tx, id, &counted_before).await?;
            let detail = serde_json::json!({
                "before": { "name": before.name, "mobile": before.mobile_masked, "unit": before.unit_uscc, "migrant": before.migrant, "nef_group": before.nef_group },
                "after": { "name": fields.name, "mobile": fields.mobile.as_ref().map(Mobile::masked), "unit_id": fields.unit_id, "migrant": fields.migrant, "nef_group": fields.nef_group },
            });
            audit::append_tx(tx, backend, &actor, now_ms(), Event::new("member.update").target("member", id).detail(detail)).await?;
            Ok(())
        })
    })
    .await?;
    Ok(warnings)
}

/// A member a form names, found for another module's record (an honour, a studio, a pair).
#[derive(Debug, Clone)]
pub struct Named {
    pub id: i64,
    pub name: String,
    pub org: Org,
}

/// The active member a form names by registry id (`member_id`, from a member's page) or by ID
/// number, whose union is in `scope`. What is wrong goes to `issues` under `field`: a blank
/// asks for `who`'s ID number; a member not found, left, or outside the scope gets the same
/// words, so a form does not tell who is registered elsewhere.
#[allow(clippy::too_many_arguments)]
pub async fn active_in_scope(
    db: &Db,
    keys: &FieldKeys,
    scope: &Scope,
    field: &str,
    who: &str,
    id_number: Option<&str>,
    member_id: Option<&str>,
    issues: &mut Vec<crate::error::FieldIssue>,
) -> AppResult<Option<Named>> {
    use crate::workflow::{given, issue};
    type Found = Option<(i64, String, String, Option<i64>)>;
    const PERSON: &str = "SELECT id, name, status, org_id FROM members";
    let (found, shown): (Found, String) = match (given(member_id), given(id_number)) {
        (Some(id), _) => {
            let found = match id.parse::<i64>() {
                Ok(id) => {
                    sqlx::query_as(&format!("{PERSON} WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(db.pool())
                        .await?
                }
                Err(_) => None,
            };
            (found, "该会员".into())
        }
        (None, Some(typed)) => {
            let idno = match IdCardNo::parse(typed) {
                Ok(v) => v,
                Err(e) => {
                    issues.push(issue(field, e.message()));
                    return Ok(None);
                }
            };
            let found = sqlx::query_as(&format!("{PERSON} WHERE id_hash = $1"))
                .bind(keys.blind_index(ID_DOMAIN, idno.as_str()))
                .fetch_optional(db.pool())
                .await?;
            (found, format!("身份证号 {} ", idno.masked()))
        }
        (None, None) => {
            issues.push(issue(field, format!("请填写{who}的身份证号")));
            return Ok(None);
        }
    };
    let org = match found {
        Some((_, _, ref status, Some(org_id))) if status == "active" => {
            orgs::get(db, scope, org_id).await.ok()
        }
        _ => None,
    };
    match (found, org) {
        (Some((id, name, _, _)), Some(org)) => Ok(Some(Named { id, name, org })),
        _ => {
            issues.push(issue(field, format!("{shown}不是您管理范围内的在册会员")));
            Ok(None)
        }
    }
}
