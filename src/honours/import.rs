//! History import of honours (劳模、先进、奖章、先锋号台账) from XLSX/CSV, with the registry's
//! import rules. Each row is a title already granted: its holder (a member by ID number, or a
//! collective by employer's credit code or union code), the title, level and year, and the
//! awarding body, day and document. Every row passes the same checks as a title recorded in the
//! console; the rows are written in one transaction with their history. A row is known again by
//! its holder, title, level and year: re-importing a file changes nothing.

use std::collections::{HashMap, HashSet};

use super::honour::{self, HonourInput};
use crate::audit::{self, Actor, Event};
use crate::error::AppResult;
use crate::registry::Registry;
use crate::registry::import::header::{Column, col};
use crate::registry::import::{
    Checked, ImportOptions, KindResult, Sheet, Written, date_cell, rows_with_errors, should_commit,
};

/// The deeds written when a ledger has none (older 劳模台账 keep only name, unit and title).
const NO_DEEDS: &str = "历史台账导入，未载主要事迹";

pub const COLUMNS: &[Column] = &[
    col("subject", "表彰对象", &["对象"], true, "个人或集体"),
    col(
        "id_number",
        "身份证号",
        &["身份证号码", "公民身份号码"],
        false,
        "个人填写，须为登记在册的会员",
    ),
    col(
        "uscc",
        "统一社会信用代码",
        &["信用代码"],
        false,
        "集体为单位或其班组时填写",
    ),
    col("union_code", "工会代码", &[], false, "集体为工会时填写"),
    col(
        "collective_name",
        "集体名称",
        &["班组名称"],
        false,
        "如某班组；不填为单位或工会名称",
    ),
    col(
        "title_kind",
        "荣誉类别",
        &["类别"],
        true,
        "劳动模范、先进工作者、五一劳动奖章、五一劳动奖状、工人先锋号、工匠、巾帼建功、其他荣誉",
    ),
    col(
        "title",
        "荣誉称号",
        &["称号"],
        false,
        "如：凤城工匠；不填为类别名称",
    ),
    col(
        "level",
        "级别",
        &["荣誉级别"],
        true,
        "全国级、省级、市级、县（区）级、街道（乡镇）级、基层",
    ),
    col(
        "year",
        "评选年度",
        &["年度"],
        false,
        "四位年份；不填为授予日期的年份",
    ),
    col(
        "awarding_body",
        "授予机关",
        &["授予单位"],
        true,
        "如：国务院、中华全国总工会、省总工会",
    ),
    col("awarded_on", "授予日期", &[], true, "日期"),
    col(
        "document_no",
        "文号",
        &["授予文号"],
        true,
        "如：总工发〔2025〕8号",
    ),
    col("deeds", "主要事迹", &["事迹"], false, "可不填"),
];

pub async fn import(
    reg: &Registry,
    actor: &Actor,
    sheet: Sheet,
    opts: &ImportOptions,
) -> AppResult<KindResult> {
    let db = &reg.db;
    let today = chrono::Local::now().date_naive();
    let mut out: Checked<honour::Recorded> = Checked::new();
    // Which row first named each holder, title, level and year.
    let mut first: HashMap<String, usize> = HashMap::new();
    let known: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT once_key FROM honours WHERE once_key IS NOT NULL")
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .collect();
    let mut unchanged = 0u64;
    for (n, cells) in &sheet.rows {
        let n = *n;
        let get = |k: &str| sheet.header.get(cells, k).trim().to_string();
        let opt = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
        let awarded_on = date_cell(n, today, "授予日期", &get("awarded_on"), &mut out);
        let input = HonourInput {
            subject: opt("subject"),
            id_number: opt("id_number"),
            member_id: None,
            uscc: opt("uscc"),
            union_code: opt("union_code"),
            collective_name: opt("collective_name"),
            title_kind: opt("title_kind"),
            title: opt("title"),
            level: opt("level"),
            year: opt("year").or_else(|| awarded_on.map(|d| d.format("%Y").to_string())),
            deeds: opt("deeds").or_else(|| Some(NO_DEEDS.into())),
            awarding_org: None,
            awarding_body: opt("awarding_body"),
            awarded_on: awarded_on.map(|d| d.to_string()),
            document_no: opt("document_no"),
        };
        if awarded_on.is_none() && get("awarded_on").is_empty() {
            out.error(n, "授予日期", "授予日期不能为空");
            continue;
        }
        if awarded_on.is_none() {
            continue; // said by date_cell
        }
        match honour::check_record(db, &reg.keys, actor, &input, today).await? {
            Err(issues) => {
                for i in issues {
                    out.error(n, &i.field, i.message);
                }
            }
            Ok(r) => {
                let key = r.once_key();
                if known.contains(&key) {
                    unchanged += 1;
                } else if let Some(m) = first.get(&key) {
                    out.error(
                        n,
                        "荣誉称号",
                        format!("与第{m}行是同一对象同一年度的同一荣誉"),
                    );
                } else {
                    first.insert(key, n);
                    out.ok.push((n, r));
                }
            }
        }
    }
    if !should_commit(opts, &out.issues) {
        return Ok(KindResult::from_sheet(sheet, out.issues, None));
    }
    let bad = rows_with_errors(&out.issues);
    let kept: Vec<&honour::Recorded> = out
        .ok
        .iter()
        .filter(|(n, _)| !bad.contains(n))
        .map(|(_, r)| r)
        .collect();
    let written = Written {
        inserted: kept.len() as u64,
        updated: 0,
        unchanged,
    };
    if !kept.is_empty() {
        let now = crate::db::now_ms();
        let mut tx = db.begin_write().await?;
        for r in &kept {
            honour::write_record(&mut tx, actor, r, today, now).await?;
        }
        audit::record_tx(
            &mut tx,
            actor,
            now,
            Event::new("honour.import").detail(serde_json::json!({"rows": kept.len()})),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(KindResult::from_sheet(sheet, out.issues, Some(written)))
}
