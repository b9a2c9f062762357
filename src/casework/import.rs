//! History import of earlier petitions from XLSX/CSV (the registry's import rules: header under
//! title rows, column-name variants, GBK/BOM CSV, every problem by row and column, error report,
//! dry run, all-or-nothing), so a federation's last years are in and 同比 works from the first
//! day. Each row is one petition as it ended: the dates of its steps give its state and its
//! history. A row is known again by its number (编号) at its receiving union: re-importing a
//! file changes nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;

use super::petitions::{Category, Channel, Kind, Satisfaction};
use crate::db::bulk::{Val, insert_rows};
use crate::db::new_id;
use crate::error::AppResult;
use crate::registry::Registry;
use crate::registry::import::header::{Column, HeaderMap, col};
use crate::registry::import::{
    Checked, ImportOptions, KindResult, Progress, RowIssue, Sheet, Written, rows_with_errors,
    should_commit,
};
use crate::registry::scope::Scope;
use crate::types::{IdCardNo, Mobile, normalize_name, parse_date};
use crate::workflow::Named;

pub const PETITION_COLUMNS: &[Column] = &[
    col(
        "ref_no",
        "编号",
        &["信访编号", "件号", "案件编号", "登记编号"],
        true,
        "本工会登记的编号，同一受理工会内唯一；重新导入时据此识别",
    ),
    col(
        "org",
        "受理工会代码",
        &["受理工会", "工会代码"],
        true,
        "收到诉求的工会的代码",
    ),
    col(
        "received_on",
        "收到日期",
        &["登记日期", "来访日期", "受理时间"],
        true,
        "日期，不晚于今天",
    ),
    col(
        "channel",
        "来源渠道",
        &["渠道", "来源"],
        true,
        "来访、来信、12351电话、网上、会员端",
    ),
    col(
        "kind",
        "诉求类型",
        &["类型", "信访类型"],
        true,
        "咨询、求决、意见建议、投诉/举报",
    ),
    col(
        "category",
        "诉求事项",
        &["事项", "问题类别", "反映问题"],
        true,
        "拖欠工资、劳动合同、社会保险、工伤、解除劳动关系、工时与休息休假、工会权益、生活困难、其他",
    ),
    col(
        "name",
        "诉求人姓名",
        &["姓名", "诉求人", "来访人"],
        true,
        "姓名",
    ),
    col(
        "id_number",
        "诉求人身份证号",
        &["身份证号", "身份证号码"],
        false,
        "18位，加密保存",
    ),
    col(
        "mobile",
        "诉求人手机号",
        &["手机号", "联系电话", "手机"],
        false,
        "11位手机号，加密保存",
    ),
    col(
        "unit",
        "用人单位",
        &["单位", "工作单位", "被反映单位"],
        false,
        "单位名称",
    ),
    col(
        "summary",
        "诉求内容",
        &["内容", "反映内容", "主要诉求"],
        true,
        "不超过2000字",
    ),
    col(
        "accepted_on",
        "受理日期",
        &["受理时间"],
        false,
        "日期，不早于收到日期",
    ),
    col(
        "refuse_reason",
        "不予受理理由",
        &["不受理理由"],
        false,
        "不予受理时填写，此时不填受理日期",
    ),
    col(
        "replied_on",
        "答复日期",
        &["答复时间"],
        false,
        "日期，不早于受理日期",
    ),
    col(
        "reply_text",
        "答复内容",
        &["答复意见", "处理结果"],
        false,
        "填写答复日期时必填",
    ),
    col(
        "reply_method",
        "答复方式",
        &[],
        false,
        "书面、电话、面谈、短信、会员端",
    ),
    col(
        "satisfaction",
        "回访结果",
        &["满意度", "回访"],
        false,
        "满意、基本满意、不满意",
    ),
    col(
        "closed_on",
        "办结日期",
        &["办结时间"],
        false,
        "日期，不早于答复日期",
    ),
];

/// A row checked, ready to write.
struct Row {
    ref_no: String,
    org: String,
    received_on: NaiveDate,
    channel: Channel,
    kind: Kind,
    category: Category,
    name: String,
    id: Option<IdCardNo>,
    mobile: Option<Mobile>,
    unit: Option<String>,
    summary: String,
    accepted_on: Option<NaiveDate>,
    refuse_reason: Option<String>,
    replied_on: Option<NaiveDate>,
    reply_text: Option<String>,
    reply_method: Option<String>,
    satisfaction: Option<Satisfaction>,
    closed_on: Option<NaiveDate>,
}

fn coded<T: Named>(label: &str, typed: &str, n: usize, out: &mut Checked<Row>) -> Option<T> {
    let found = T::all()
        .iter()
        .copied()
        .find(|v| v.code() == typed || v.label() == typed);
    if found.is_none() {
        let all: Vec<&str> = T::all().iter().map(|v| v.label()).collect();
        out.error(
            n,
            label,
            format!("“{typed}”无法识别，可选：{}", all.join("、")),
        );
    }
    found
}

fn check_row(h: &HeaderMap, n: usize, row: &[String], today: NaiveDate, out: &mut Checked<Row>) {
    let get = |k: &str| h.get(row, k).trim().to_string();
    let before = out.issues.len();
    let date = |label: &str, v: String, out: &mut Checked<Row>| -> Option<NaiveDate> {
        if v.is_empty() {
            return None;
        }
        match parse_date(&v) {
            Ok(d) if d > today => {
                out.error(n, label, format!("{label}不能晚于今天"));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                out.error(n, label, e.message());
                None
            }
        }
    };
    let required = |label: &str, v: String, max: usize, out: &mut Checked<Row>| -> Option<String> {
        if v.is_empty() {
            out.error(n, label, format!("{label}不能为空"));
            None
        } else if v.chars().count() > max {
            out.error(n, label, format!("{label}不能超过{max}字"));
            None
        } else {
            Some(v)
        }
    };
    let ref_no = required("编号", get("ref_no"), 60, out);
    let org = required(
        "受理工会代码",
        crate::types::normalize_code(&get("org")),
        32,
        out,
    );
    let received_on = date("收到日期", get("received_on"), out);
    if received_on.is_none() && get("received_on").is_empty() {
        out.error(n, "收到日期", "收到日期不能为空");
    }
    let channel = coded::<Channel>("来源渠道", &get("channel"), n, out);
    let kind = coded::<Kind>("诉求类型", &get("kind"), n, out);
    let category = coded::<Category>("诉求事项", &get("category"), n, out);
    let name = match normalize_name(&get("name")) {
        Ok(v) => Some(v),
        Err(e) => {
            out.error(n, "诉求人姓名", e.message());
            None
        }
    };
    let id = match get("id_number") {
        v if v.is_empty() => None,
        v => IdCardNo::parse(&v)
            .map_err(|e| out.error(n, "诉求人身份证号", e.message()))
            .ok(),
    };
    let mobile = match get("mobile") {
        v if v.is_empty() => None,
        v => Mobile::parse(&v)
            .map_err(|e| out.error(n, "诉求人手机号", e.message()))
            .ok(),
    };
    let unit = Some(get("unit"))
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(200).collect());
    let summary = required("诉求内容", get("summary"), 2000, out);
    let accepted_on = date("受理日期", get("accepted_on"), out);
    let refuse_reason = Some(get("refuse_reason")).filter(|s| !s.is_empty());
    let replied_on = date("答复日期", get("replied_on"), out);
    let reply_text = Some(get("reply_text")).filter(|s| !s.is_empty());
    let reply_method = Some(get("reply_method")).filter(|s| !s.is_empty());
    let satisfaction = match get("satisfaction") {
        v if v.is_empty() => None,
        v => coded::<Satisfaction>("回访结果", &v, n, out),
    };
    let closed_on = date("办结日期", get("closed_on"), out);
    // The steps in their order, each after the one before it.
    let order = [
        ("收到日期", received_on),
        ("受理日期", accepted_on),
        ("答复日期", replied_on),
        ("办结日期", closed_on),
    ];
    let mut last: Option<(&str, NaiveDate)> = None;
    for (label, d) in order {
        if let Some(d) = d {
            if let Some((prev, p)) = last
                && d < p
            {
                out.error(n, label, format!("{label}{d}早于{prev}{p}，日期顺序不对"));
            }
            last = Some((label, d));
        }
    }
    if refuse_reason.is_some() && accepted_on.is_some() {
        out.error(n, "不予受理理由", "已填受理日期的诉求不能同时不予受理");
    }
    if replied_on.is_some() && accepted_on.is_none() {
        out.error(n, "答复日期", "答复前须先受理：请填写受理日期");
    }
    if replied_on.is_some() && reply_text.is_none() {
        out.error(n, "答复内容", "填写了答复日期，请填写答复内容");
    }
    if satisfaction.is_some() && replied_on.is_none() {
        out.error(n, "回访结果", "回访在答复之后：请填写答复日期");
    }
    if closed_on.is_some() && replied_on.is_none() {
        out.error(n, "办结日期", "办结前须先答复：请填写答复日期");
    }
    if satisfaction == Some(Satisfaction::Unsatisfied) && closed_on.is_some() {
        out.error(n, "回访结果", "回访不满意的诉求应重新办理，不能同时办结");
    }
    if out.issues.len() != before {
        return;
    }
    if let (
        Some(ref_no),
        Some(org),
        Some(received_on),
        Some(channel),
        Some(kind),
        Some(category),
        Some(name),
        Some(summary),
    ) = (
        ref_no,
        org,
        received_on,
        channel,
        kind,
        category,
        name,
        summary,
    ) {
        out.ok.push((
            n,
            Row {
                ref_no,
                org,
                received_on,
                channel,
                kind,
                category,
                name,
                id,
                mobile,
                unit,
                summary,
                accepted_on,
                refuse_reason,
                replied_on,
                reply_text,
                reply_method,
                satisfaction,
                closed_on,
            },
        ));
    }
}

/// A text value for a bulk row.
fn t(s: impl Into<String>) -> Val {
    Val::T(Some(s.into()))
}

fn td(d: Option<NaiveDate>) -> Val {
    Val::T(d.map(|d| d.to_string()))
}

pub async fn import(
    reg: &Registry,
    scope: &Scope,
    sheet: Sheet,
    opts: &ImportOptions,
    _progress: &Arc<Progress>,
) -> AppResult<KindResult> {
    let today = chrono::Local::now().date_naive();
    let mut out = Checked::new();
    for (n, row) in &sheet.rows {
        check_row(&sheet.header, *n, row, today, &mut out);
    }
    // The receiving unions: in the caller's scope.
    let unions: HashMap<String, (i64, String)> =
        sqlx::query_as::<_, (String, i64, String)>("SELECT code, id, path FROM orgs")
            .fetch_all(reg.db.pool())
            .await?
            .into_iter()
            .filter(|(_, _, path)| scope.contains(path))
            .map(|(code, id, path)| (code, (id, path)))
            .collect();
    let known: HashSet<(i64, String)> = sqlx::query_as::<_, (i64, String)>(
        "SELECT received_org_id, ref_no FROM petitions WHERE ref_no IS NOT NULL",
    )
    .fetch_all(reg.db.pool())
    .await?
    .into_iter()
    .collect();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut keep = Vec::new();
    let mut unchanged = 0u64;
    for (n, r) in std::mem::take(&mut out.ok) {
        let Some((org_id, _)) = unions.get(&r.org) else {
            out.error(
                n,
                "受理工会代码",
                format!("工会代码“{}”不存在或不在您的管理范围内", r.org),
            );
            continue;
        };
        if let Some(first) = seen.get(&(r.org.clone(), r.ref_no.clone())) {
            out.issues.push(RowIssue::repeat(
                n,
                *first,
                "编号",
                format!("与第{first}行是同一受理工会的同一编号"),
            ));
            continue;
        }
        seen.insert((r.org.clone(), r.ref_no.clone()), n);
        if known.contains(&(*org_id, r.ref_no.clone())) {
            unchanged += 1;
            continue;
        }
        keep.push((n, r));
    }
    if !should_commit(opts, &out.issues) {
        return Ok(KindResult::from_sheet(sheet, out.issues, None));
    }
    let bad = rows_with_errors(&out.issues);
    let keep: Vec<(usize, Row)> = keep.into_iter().filter(|(n, _)| !bad.contains(n)).collect();
    let keys = &reg.keys;
    let now = crate::db::now_ms();
    let mut petitions = Vec::new();
    let mut events = Vec::new();
    for (_, r) in &keep {
        let (org_id, path) = unions[&r.org].clone();
        let id = new_id();
        let accept_due = crate::workflow::deadlines::due(r.received_on, 15);
        let reply_due = r
            .accepted_on
            .map(|a| crate::workflow::deadlines::due(a, 60));
        let (status, closed) = match (
            r.refuse_reason.is_some(),
            r.accepted_on,
            r.replied_on,
            r.closed_on,
        ) {
            (true, _, _, _) => (
                "not_accepted",
                Some(r.received_on.max(r.closed_on.unwrap_or(r.received_on))),
            ),
            (_, _, Some(_), Some(c)) => ("closed", Some(c)),
            (_, _, Some(_), None) => ("replied", None),
            (_, Some(_), None, _) => ("accepted", None),
            _ => ("received", None),
        };
        let mut steps: Vec<(NaiveDate, &str, Option<&str>, &str)> =
            vec![(r.received_on, "intake", None, "received")];
        if r.refuse_reason.is_some() {
            steps.push((
                closed.unwrap_or(r.received_on),
                "refuse",
                Some("received"),
                "not_accepted",
            ));
        }
        if let Some(a) = r.accepted_on {
            steps.push((a, "accept", Some("received"), "accepted"));
        }
        if let Some(rep) = r.replied_on {
            steps.push((rep, "reply", Some("accepted"), "replied"));
        }
        if let Some(c) = r.closed_on {
            let action = if r.satisfaction.is_some() {
                "satisfied"
            } else {
                "close"
            };
            steps.push((c, action, Some("replied"), "closed"));
        }
        petitions.push(vec![
            Val::I(id),
            Val::I(org_id),
            t(path.clone()),
            Val::I(org_id),
            t(path.clone()),
            t(r.channel.code()),
            t(r.kind.code()),
            t(r.category.code()),
            t(r.name.clone()),
            Val::B(
                r.id.as_ref()
                    .map(|i| keys.blind_index(crate::registry::members::ID_DOMAIN, i.as_str())),
            ),
            Val::B(r.id.as_ref().map(|i| keys.encrypt(i.as_str()))),
            Val::T(r.id.as_ref().map(IdCardNo::masked)),
            Val::B(r.mobile.as_ref().map(|m| keys.encrypt(m.as_str()))),
            Val::T(r.mobile.as_ref().map(Mobile::masked)),
            Val::T(r.unit.clone()),
            t(r.summary.clone()),
            t(r.received_on.to_string()),
            t(accept_due.to_string()),
            td(r.accepted_on),
            Val::T(r.refuse_reason.clone()),
            td(reply_due),
            td(r.replied_on),
            Val::T(r.reply_text.clone()),
            Val::T(r.reply_method.clone()),
            Val::T(r.satisfaction.map(|s| s.code().to_string())),
            td(closed),
            t(r.ref_no.clone()),
            t(status),
            Val::I(steps.len() as i64 - 1),
            Val::I(now),
            Val::I(now),
        ]);
        for (on, action, from, to) in steps {
            let at = on
                .and_hms_opt(9, 0, 0)
                .expect("a time")
                .and_utc()
                .timestamp_millis();
            events.push(vec![
                Val::I(new_id()),
                t("petition"),
                Val::I(id),
                Val::I(at),
                t(on.to_string()),
                t("历史导入"),
                t(action),
                Val::T(from.map(str::to_string)),
                t(to),
                t("{}"),
            ]);
        }
    }
    let written = Written {
        inserted: petitions.len() as u64,
        updated: 0,
        unchanged,
    };
    if !petitions.is_empty() {
        let backend = reg.db.backend();
        let mut tx = reg.db.begin_write().await?;
        insert_rows(
            &mut tx,
            backend,
            "petitions",
            &[
                "id",
                "org_id",
                "org_path",
                "received_org_id",
                "received_path",
                "channel",
                "kind",
                "category",
                "requester_name",
                "requester_id_hash",
                "requester_id_enc",
                "requester_id_masked",
                "requester_mobile_enc",
                "requester_mobile_masked",
                "unit_name",
                "summary",
                "received_on",
                "accept_due",
                "accepted_on",
                "refuse_reason",
                "reply_due",
                "replied_on",
                "reply_text",
                "reply_method",
                "satisfaction",
                "closed_on",
                "ref_no",
                "status",
                "version",
                "created_at",
                "updated_at",
            ],
            petitions,
        )
        .await?;
        insert_rows(
            &mut tx,
            backend,
            "case_events",
            &[
                "id",
                "case_type",
                "case_id",
                "at",
                "on_date",
                "actor",
                "action",
                "from_status",
                "to_status",
                "detail",
            ],
            events,
        )
        .await?;
        super::figures::rebuild_totals(&mut tx).await?;
        tx.commit().await?;
    }
    Ok(KindResult::from_sheet(sheet, out.issues, Some(written)))
}
