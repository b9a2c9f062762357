//! History import of collective contracts (集体合同台账) from XLSX/CSV, with the registry's
//! import rules. Each row is a contract already signed and filed: its employers by credit code
//! in one cell, the vote that approved it, the days it was signed, filed and (if recorded)
//! approved, and the day it ended early if it did. Every row passes the same checks as a
//! contract drafted in the console (term, employers in the filing union's subtree, wage terms,
//! the vote, the overlap rule against the contracts already there and the other rows); the rows
//! are written in one transaction with their history. A row is known again by its filing union,
//! name, kind, reach and start: re-importing a file changes nothing.

use std::collections::HashSet;

use chrono::{Days, NaiveDate};

use super::contract::{self, BINDING, CASE, ContractInput, REVIEW_DAYS, Status};
use crate::audit::{self, Actor, Event};
use crate::db::bulk::{Val, insert_rows};
use crate::db::{in_list_from, new_id, tx_backend};
use crate::error::AppResult;
use crate::registry::Registry;
use crate::registry::import::header::{Column, col};
use crate::registry::import::{
    Checked, ImportOptions, KindResult, Sheet, Written, date_cell, rows_with_errors, should_commit,
};
use crate::workflow::deadlines;
use crate::workflow::{Named, history};

/// Who the history's records name as their author.
const BY: &str = "历史导入";

pub const COLUMNS: &[Column] = &[
    col(
        "title",
        "合同名称",
        &["名称"],
        true,
        "如：2025年工资专项集体合同",
    ),
    col(
        "org",
        "签订工会代码",
        &["工会代码"],
        true,
        "签订、报送合同的工会",
    ),
    col(
        "kind",
        "合同类别",
        &["类别"],
        true,
        "综合、工资专项、女职工权益保护专项、安全生产专项、其他专项",
    ),
    col("kind_note", "专项内容", &[], false, "其他专项合同写明内容"),
    col(
        "reach",
        "签订形式",
        &["形式"],
        true,
        "单独签订、区域性、行业性",
    ),
    col(
        "employers",
        "覆盖单位统一社会信用代码",
        &["覆盖单位", "统一社会信用代码"],
        true,
        "多家单位用顿号或分号隔开",
    ),
    col(
        "union_side",
        "职工方协商代表",
        &["职工方代表"],
        true,
        "首席代表在前",
    ),
    col(
        "employer_side",
        "企业方协商代表",
        &["企业方代表"],
        true,
        "首席代表在前",
    ),
    col(
        "starts_on",
        "合同期限开始",
        &["期限开始", "起始日期"],
        true,
        "日期",
    ),
    col(
        "ends_on",
        "合同期限结束",
        &["期限结束", "终止日期（期满）"],
        true,
        "日期，期限1至3年",
    ),
    col(
        "delegates",
        "应到代表人数",
        &["应到人数"],
        true,
        "职代会代表或全体职工人数",
    ),
    col("present", "实到人数", &[], true, "不少于应到人数的三分之二"),
    col(
        "votes_for",
        "赞成票数",
        &["赞成票"],
        true,
        "超过应到人数的一半",
    ),
    col("signed_on", "签订日期", &[], true, "日期"),
    col(
        "filed_on",
        "报送日期",
        &["报送审查日期"],
        true,
        "日期，应在签订后10日内",
    ),
    col(
        "decided_on",
        "审查同意日期",
        &["审查日期"],
        false,
        "空：报送后15日期满无异议生效",
    ),
    col(
        "prev_avg_wage",
        "上年度职工平均工资",
        &[],
        false,
        "元/月，工资专项合同必填",
    ),
    col(
        "raise_pct",
        "工资增幅（%）",
        &["工资增幅"],
        false,
        "工资专项合同必填",
    ),
    col(
        "lowest_wage",
        "企业最低工资",
        &[],
        false,
        "元/月，工资专项合同必填",
    ),
    col(
        "min_wage",
        "当地最低工资标准",
        &[],
        false,
        "元/月，工资专项合同必填",
    ),
    col(
        "ended_on",
        "提前终止日期",
        &[],
        false,
        "合同提前终止的，填写终止日期",
    ),
    col("end_reason", "终止原因", &[], false, "提前终止的必填"),
];

/// A row checked, ready to write.
struct Row {
    c: contract::Checked,
    delegates: i64,
    present: i64,
    votes_for: i64,
    signed_on: NaiveDate,
    filed_on: NaiveDate,
    decided_on: Option<NaiveDate>,
    ended: Option<(NaiveDate, String)>,
}

impl Row {
    /// The day it took (or takes) effect and its days in force.
    fn in_force(&self) -> (NaiveDate, String, String) {
        let effective = self
            .decided_on
            .unwrap_or_else(|| deadlines::due(self.filed_on, REVIEW_DAYS) + Days::new(1));
        let from = effective.max(self.c.starts_on);
        let to = match &self.ended {
            Some((e, _)) => (*e).min(self.c.ends_on),
            None => self.c.ends_on,
        };
        (effective, from.to_string(), to.to_string())
    }

    fn term_end(&self) -> NaiveDate {
        self.ended.as_ref().map_or(self.c.ends_on, |(e, _)| *e)
    }
}

pub async fn import(
    reg: &Registry,
    actor: &Actor,
    sheet: Sheet,
    opts: &ImportOptions,
) -> AppResult<KindResult> {
    let db = &reg.db;
    let today = chrono::Local::now().date_naive();
    let mut out: Checked<Row> = Checked::new();
    for (n, cells) in &sheet.rows {
        let n = *n;
        let get = |k: &str| sheet.header.get(cells, k).trim().to_string();
        let opt = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
        let before = out.issues.len();
        let employers: Vec<String> = get("employers")
            .split(['、', '；', ';', ',', '，', '\n', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let Some(org_code) = opt("org") else {
            out.error(n, "签订工会代码", "签订工会代码不能为空");
            continue;
        };
        let input = ContractInput {
            org_code: Some(org_code),
            title: opt("title"),
            kind: opt("kind"),
            kind_note: opt("kind_note"),
            reach: opt("reach"),
            employers,
            union_side: opt("union_side"),
            employer_side: opt("employer_side"),
            starts_on: opt("starts_on"),
            ends_on: opt("ends_on"),
            prev_avg_wage: opt("prev_avg_wage"),
            raise_pct: opt("raise_pct"),
            lowest_wage: opt("lowest_wage"),
            min_wage: opt("min_wage"),
            renews: None,
            offer_id: None,
        };
        let checked = match contract::check(db, &actor.scope, &input).await {
            Ok(c) => Some(c),
            Err(e) if e.fields().is_empty() => {
                out.error(n, "", e.message());
                None
            }
            Err(e) => {
                for f in e.fields() {
                    out.error(n, &f.field, f.message.clone());
                }
                None
            }
        };
        let number = |k: &str, label: &str, out: &mut Checked<Row>| -> Option<i64> {
            match get(k).parse::<i64>() {
                Ok(v) if v >= 0 => Some(v),
                _ => {
                    out.error(n, label, format!("{label}应为整数"));
                    None
                }
            }
        };
        let delegates = number("delegates", "应到代表人数", &mut out);
        let present = number("present", "实到人数", &mut out);
        let votes_for = number("votes_for", "赞成票数", &mut out);
        if let (Some(d), Some(p), Some(f)) = (delegates, present, votes_for)
            && let Err(e) = contract::check_vote(d, p, f, 0)
        {
            out.error(n, &e.field, e.message);
        }
        let day = |k: &str, label: &str, required: bool, out: &mut Checked<Row>| {
            let v = get(k);
            if v.is_empty() {
                if required {
                    out.error(n, label, format!("{label}不能为空"));
                }
                return None;
            }
            date_cell(n, today, label, &v, out)
        };
        let signed_on = day("signed_on", "签订日期", true, &mut out);
        let filed_on = day("filed_on", "报送日期", true, &mut out);
        let decided_on = day("decided_on", "审查同意日期", false, &mut out);
        let ended_on = day("ended_on", "提前终止日期", false, &mut out);
        if let (Some(s), Some(f)) = (signed_on, filed_on) {
            if f < s {
                out.error(n, "报送日期", "报送日期早于签订日期");
            } else if f > deadlines::due(s, contract::FILING_DAYS) {
                out.warning(
                    n,
                    "报送日期",
                    format!(
                        "签订后 {} 日才报送（应在10日内），已照录",
                        (f - s).num_days()
                    ),
                );
            }
        }
        if let (Some(f), Some(d)) = (filed_on, decided_on) {
            if d < f {
                out.error(
                    n,
                    "审查同意日期",
                    "审查同意日期早于报送日期：合同不能在报送前生效",
                );
            } else if d > deadlines::due(f, REVIEW_DAYS) {
                out.error(
                    n,
                    "审查同意日期",
                    "审查同意日期在报送后15日之后：期满无异议已生效，请留空",
                );
            }
        }
        let end_reason = opt("end_reason");
        if ended_on.is_some() && end_reason.is_none() {
            out.error(n, "终止原因", "提前终止的合同请填写终止原因");
        }
        if let Some(c) = &checked
            && let Some(w) =
                contract::warnings(None, None, c.wage[1], c.wage[2].zip(c.wage[3])).first()
        {
            out.warning(n, "工资增幅（%）", w.clone());
        }
        if out.issues[before..]
            .iter()
            .any(|i| i.severity == crate::registry::import::Severity::Error)
        {
            continue;
        }
        let (
            Some(c),
            Some(delegates),
            Some(present),
            Some(votes_for),
            Some(signed_on),
            Some(filed_on),
        ) = (checked, delegates, present, votes_for, signed_on, filed_on)
        else {
            continue;
        };
        let row = Row {
            c,
            delegates,
            present,
            votes_for,
            signed_on,
            filed_on,
            decided_on,
            ended: ended_on.zip(end_reason),
        };
        if let Some((e, _)) = &row.ended
            && e.to_string() < row.in_force().1
        {
            out.error(n, "提前终止日期", "提前终止日期早于合同生效日");
            continue;
        }
        out.ok.push((n, row));
    }
    // Known again; overlapping the contracts already there or another row.
    let known: HashSet<(i64, String, String, String, String)> =
        sqlx::query_as::<_, (i64, String, String, String, String)>(
            "SELECT org_id, title, kind, scope, starts_on FROM contracts",
        )
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .collect();
    let mut unchanged = 0u64;
    let mut kept: Vec<(usize, Row)> = Vec::new();
    for (n, r) in std::mem::take(&mut out.ok) {
        let key = (
            r.c.org.id,
            r.c.title.clone(),
            r.c.kind.code().to_string(),
            r.c.reach.code().to_string(),
            r.c.starts_on.to_string(),
        );
        if known.contains(&key) {
            unchanged += 1;
            continue;
        }
        if let Some(problem) = overlap(reg, &r, &kept).await? {
            out.error(n, "覆盖单位统一社会信用代码", problem);
            continue;
        }
        kept.push((n, r));
    }
    if !should_commit(opts, &out.issues) {
        return Ok(KindResult::from_sheet(sheet, out.issues, None));
    }
    let bad = rows_with_errors(&out.issues);
    kept.retain(|(n, _)| !bad.contains(n));
    let written = Written {
        inserted: kept.len() as u64,
        updated: 0,
        unchanged,
    };
    if !kept.is_empty() {
        write(reg, actor, &kept, today).await?;
    }
    Ok(KindResult::from_sheet(sheet, out.issues, Some(written)))
}

/// Why row `r` may not bind its employers: another contract of the same kind and reach binds
/// one of them over an overlapping term, in the database or among the rows kept before it.
async fn overlap(reg: &Registry, r: &Row, kept: &[(usize, Row)]) -> AppResult<Option<String>> {
    let (start, end) = (r.c.starts_on, r.term_end());
    for (n, k) in kept {
        if k.c.kind == r.c.kind
            && k.c.reach == r.c.reach
            && k.c.starts_on <= end
            && k.term_end() >= start
            && k.c
                .units
                .iter()
                .any(|(u, _)| r.c.units.iter().any(|(x, _)| x == u))
        {
            return Ok(Some(format!("与第{n}行的同类合同覆盖同一单位且期限重叠")));
        }
    }
    let ids: Vec<i64> = r.c.units.iter().map(|(u, _)| *u).collect();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT c.title FROM contract_units cu JOIN contracts c ON c.id = cu.contract_id WHERE c.kind = $1 AND c.scope = $2 \
             AND c.status IN ({BINDING}) AND c.starts_on <= $3 AND COALESCE(c.ended_on, c.ends_on) >= $4 AND cu.unit_id IN ({}) LIMIT 1",
            in_list_from(5, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql)
            .bind(r.c.kind.code())
            .bind(r.c.reach.code())
            .bind(end.to_string())
            .bind(start.to_string());
        for id in chunk {
            q = q.bind(*id);
        }
        if let Some(title) = q.fetch_optional(reg.db.pool()).await? {
            return Ok(Some(format!(
                "与已有的同类合同“{title}”覆盖同一单位且期限重叠"
            )));
        }
    }
    Ok(None)
}

async fn write(
    reg: &Registry,
    actor: &Actor,
    kept: &[(usize, Row)],
    today: NaiveDate,
) -> AppResult<()> {
    let now = crate::db::now_ms();
    let mut tx = reg.db.begin_write().await?;
    let backend = tx_backend(&tx);
    let (mut contracts, mut bound, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for (_, r) in kept {
        let id = new_id();
        let (effective, from, to) = r.in_force();
        let status = match (&r.ended, effective <= today) {
            (Some(_), _) => Status::Ended,
            (None, true) => Status::Effective,
            (None, false) => Status::Filed,
        };
        let c = &r.c;
        contracts.push(vec![
            Val::I(id),
            Val::I(c.org.id),
            Val::T(Some(c.org.path.clone())),
            Val::T(Some(c.title.clone())),
            Val::T(Some(c.kind.code().into())),
            Val::T(c.kind_note.clone()),
            Val::T(Some(c.reach.code().into())),
            Val::T(Some(c.union_side.clone())),
            Val::T(Some(c.employer_side.clone())),
            Val::T(Some(c.starts_on.to_string())),
            Val::T(Some(c.ends_on.to_string())),
            Val::N(c.wage[0]),
            Val::N(c.wage[1]),
            Val::N(c.wage[2]),
            Val::N(c.wage[3]),
            Val::T(Some("职工代表大会".into())),
            Val::T(Some(r.signed_on.to_string())),
            Val::I(r.delegates),
            Val::I(r.present),
            Val::I(r.votes_for),
            Val::T(Some(r.signed_on.to_string())),
            Val::T(Some(r.filed_on.to_string())),
            Val::T(r.decided_on.map(|d| d.to_string())),
            Val::T(Some(effective.to_string())),
            Val::T(r.ended.as_ref().map(|e| e.0.to_string())),
            Val::T(r.ended.as_ref().map(|e| e.1.clone())),
            Val::T(Some(from.clone())),
            Val::T(Some(to.clone())),
            Val::T(Some(status.code().into())),
            Val::I(c.units.len() as i64),
            Val::T(Some(BY.into())),
            Val::I(now),
            Val::I(now),
        ]);
        for (unit, path) in &c.units {
            bound.push(vec![
                Val::I(id),
                Val::I(*unit),
                Val::T(Some(path.clone())),
                Val::T(Some(c.kind.code().into())),
                Val::T(Some(c.reach.code().into())),
                Val::T(Some(from.clone())),
                Val::T(Some(to.clone())),
            ]);
        }
        let mut steps = vec![
            (r.signed_on, "create", None, Status::Draft),
            (r.signed_on, "sign", Some(Status::Draft), Status::Signed),
            (r.filed_on, "file", Some(Status::Signed), Status::Filed),
        ];
        if effective <= today {
            let action = if r.decided_on.is_some() {
                "approve"
            } else {
                "lapse"
            };
            steps.push((effective, action, Some(Status::Filed), Status::Effective));
        }
        if let Some((e, _)) = &r.ended {
            steps.push((*e, "end", Some(Status::Effective), Status::Ended));
        }
        for (on, action, from_status, to_status) in steps {
            events.push(history::bulk_row(
                CASE,
                id,
                on,
                BY,
                action,
                from_status.map(|s| s.code()),
                to_status.code(),
                "{}".into(),
            ));
        }
    }
    insert_rows(
        &mut tx,
        backend,
        "contracts",
        &[
            "id",
            "org_id",
            "org_path",
            "title",
            "kind",
            "kind_note",
            "scope",
            "union_side",
            "employer_side",
            "starts_on",
            "ends_on",
            "prev_avg_wage_fen",
            "raise_bp",
            "lowest_wage_fen",
            "min_wage_fen",
            "vote_body",
            "vote_on",
            "delegates",
            "present",
            "votes_for",
            "signed_on",
            "filed_on",
            "decided_on",
            "effective_on",
            "ended_on",
            "end_reason",
            "valid_from",
            "valid_to",
            "status",
            "employers",
            "created_by",
            "created_at",
            "updated_at",
        ],
        contracts,
    )
    .await?;
    insert_rows(
        &mut tx,
        backend,
        "contract_units",
        &[
            "contract_id",
            "unit_id",
            "org_path",
            "kind",
            "scope",
            "valid_from",
            "valid_to",
        ],
        bound,
    )
    .await?;
    insert_rows(
        &mut tx,
        backend,
        "case_events",
        history::BULK_COLUMNS,
        events,
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contract.history_import").detail(serde_json::json!({"contracts": kept.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
