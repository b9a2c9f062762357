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
    Checked, ImportOptions, KindResult, Progress, RowIssue, Sheet, Written, date_cell,
    rows_with_errors, should_commit,
};
use crate::registry::scope::Scope;
use crate::types::{IdCardNo, Mobile, normalize_name};
use crate::workflow::{Named, history};

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

/// A coded cell (its code or its label), or the issue listing every choice.
fn coded<T: Named, R>(label: &str, typed: &str, n: usize, out: &mut Checked<R>) -> Option<T> {
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

/// A text cell that must be filled, at most `max` characters.
fn text_cell<R>(
    n: usize,
    label: &str,
    v: String,
    max: usize,
    out: &mut Checked<R>,
) -> Option<String> {
    if v.is_empty() {
        out.error(n, label, format!("{label}不能为空"));
        None
    } else if v.chars().count() > max {
        out.error(n, label, format!("{label}不能超过{max}字"));
        None
    } else {
        Some(v)
    }
}

fn check_row(h: &HeaderMap, n: usize, row: &[String], today: NaiveDate, out: &mut Checked<Row>) {
    let get = |k: &str| h.get(row, k).trim().to_string();
    let before = out.issues.len();
    let date = |label: &str, v: String, out: &mut Checked<Row>| date_cell(n, today, label, &v, out);
    let required = |label: &str, v: String, max: usize, out: &mut Checked<Row>| {
        text_cell(n, label, v, max, out)
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
    let channel = coded::<Channel, _>("来源渠道", &get("channel"), n, out);
    let kind = coded::<Kind, _>("诉求类型", &get("kind"), n, out);
    let category = coded::<Category, _>("诉求事项", &get("category"), n, out);
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
        v => coded::<Satisfaction, _>("回访结果", &v, n, out),
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
            events.push(history::bulk_row(
                "petition",
                id,
                on,
                "历史导入",
                action,
                from,
                to,
                "{}".into(),
            ));
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
            history::BULK_COLUMNS,
            events,
        )
        .await?;
        super::figures::rebuild_totals(&mut tx).await?;
        tx.commit().await?;
    }
    Ok(KindResult::from_sheet(sheet, out.issues, Some(written)))
}

// ---------- disputes: mediation and legal aid ----------

pub const DISPUTE_COLUMNS: &[Column] = &[
    col(
        "ref_no",
        "编号",
        &["案件编号", "登记编号"],
        true,
        "本工会登记的编号，同一承办工会内唯一；重新导入时据此识别",
    ),
    col(
        "org",
        "承办工会代码",
        &["承办工会", "工会代码"],
        true,
        "办理案件的工会的代码",
    ),
    col(
        "kind",
        "案件类型",
        &["类型"],
        true,
        "劳动争议调解、法律援助",
    ),
    col(
        "source",
        "案件来源",
        &["来源"],
        true,
        "法院委派、仲裁委托、工会转办、当事人申请",
    ),
    col(
        "source_ref",
        "法院或仲裁案号",
        &["案号", "法院案号"],
        false,
        "法院委派的必填",
    ),
    col(
        "claim",
        "请求事项",
        &["争议事项", "请求"],
        true,
        "追索劳动报酬、经济补偿/赔偿金、社会保险、工伤待遇、劳动合同、其他",
    ),
    col(
        "amount_claimed",
        "请求金额",
        &["请求金额（元）", "标的额"],
        false,
        "元，最多两位小数",
    ),
    col("unit", "用人单位", &["单位", "被申请人"], true, "单位名称"),
    col(
        "workers",
        "劳动者",
        &["劳动者姓名", "申请人"],
        true,
        "姓名，多人用顿号或逗号分隔",
    ),
    col(
        "involved",
        "涉及人数",
        &["人数"],
        false,
        "多于所列劳动者时填写",
    ),
    col(
        "summary",
        "案情摘要",
        &["案情", "摘要"],
        true,
        "不超过2000字",
    ),
    col(
        "received_on",
        "收案日期",
        &["受理日期", "登记日期"],
        true,
        "日期，不晚于今天",
    ),
    col(
        "advocate",
        "调解员或律师",
        &["调解员", "律师", "承办人"],
        false,
        "名录中的姓名（本级或上级工会名录）",
    ),
    col(
        "outcome",
        "结果",
        &["调解结果", "办理结果"],
        false,
        "达成调解协议、退回法院、转仲裁、撤回；法律援助：请求得到支持、部分支持、和解/调解结案、未获支持",
    ),
    col(
        "amount_agreed",
        "协议金额",
        &["协议金额（元）"],
        false,
        "达成调解协议时必填，元",
    ),
    col(
        "amount_recovered",
        "挽回金额",
        &["挽回经济损失", "履行金额", "挽回金额（元）"],
        false,
        "元，不大于协议金额",
    ),
    col(
        "confirmed_on",
        "司法确认日期",
        &["司法确认"],
        false,
        "日期，不早于结案日期",
    ),
    col(
        "closed_on",
        "结案日期",
        &["办结日期", "调解结束日期"],
        false,
        "有结果时必填，不早于收案日期",
    ),
];

/// How an imported case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Agreed,
    Referred(super::disputes::Referral),
    Withdrawn,
    Aid(super::disputes::AidResult),
}

struct DisputeRow {
    ref_no: String,
    org: String,
    kind: super::disputes::Kind,
    source: super::disputes::Source,
    source_ref: Option<String>,
    claim: super::disputes::Claim,
    claimed: i64,
    unit: String,
    workers: Vec<String>,
    involved: i64,
    summary: String,
    received_on: NaiveDate,
    advocate: Option<String>,
    ended: Option<Ended>,
    agreed: Option<i64>,
    recovered: Option<i64>,
    confirmed_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
}

fn check_dispute(
    h: &HeaderMap,
    n: usize,
    row: &[String],
    today: NaiveDate,
    out: &mut Checked<DisputeRow>,
) {
    use super::disputes::{AidResult, Claim, Kind as DKind, Referral, Source};
    let get = |k: &str| h.get(row, k).trim().to_string();
    let before = out.issues.len();
    let text = |label: &str, v: String, max: usize, out: &mut Checked<DisputeRow>| {
        text_cell(n, label, v, max, out)
    };
    let date =
        |label: &str, v: String, out: &mut Checked<DisputeRow>| date_cell(n, today, label, &v, out);
    let money = |label: &str, v: String, out: &mut Checked<DisputeRow>| -> Option<i64> {
        if v.is_empty() {
            return None;
        }
        crate::types::Fen::read(
            label,
            &v,
            crate::types::Limits::up_to(crate::types::Fen::yuan(100_000_000)),
        )
        .map(|f| f.0)
        .map_err(|m| out.error(n, label, m))
        .ok()
    };
    let ref_no = text("编号", get("ref_no"), 60, out);
    let org = text(
        "承办工会代码",
        crate::types::normalize_code(&get("org")),
        32,
        out,
    );
    let kind = coded::<DKind, _>("案件类型", &get("kind"), n, out);
    let source = coded::<Source, _>("案件来源", &get("source"), n, out);
    let source_ref = Some(get("source_ref")).filter(|s| !s.is_empty());
    if source == Some(Source::Court) && source_ref.is_none() {
        out.error(n, "法院或仲裁案号", "法院委派的案件请填写法院案号");
    }
    let claim = coded::<Claim, _>("请求事项", &get("claim"), n, out);
    let claimed = money("请求金额", get("amount_claimed"), out).unwrap_or(0);
    let unit = text("用人单位", get("unit"), 200, out);
    let mut workers = Vec::new();
    for w in get("workers")
        .split(['、', ',', '，', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match normalize_name(w) {
            Ok(name) => workers.push(name),
            Err(e) => out.error(n, "劳动者", format!("“{w}”：{}", e.message())),
        }
    }
    if workers.is_empty() && out.issues.len() == before {
        out.error(n, "劳动者", "请填写至少一名劳动者");
    }
    let involved = match get("involved") {
        v if v.is_empty() => workers.len() as i64,
        v => match v.parse::<i64>() {
            Ok(k) if k >= workers.len() as i64 && k > 0 => k,
            _ => {
                out.error(
                    n,
                    "涉及人数",
                    format!("涉及人数应为不少于所列{}人的整数", workers.len()),
                );
                0
            }
        },
    };
    let summary = text("案情摘要", get("summary"), 2000, out);
    let received_on = date("收案日期", get("received_on"), out);
    if get("received_on").is_empty() {
        out.error(n, "收案日期", "收案日期不能为空");
    }
    let advocate = Some(get("advocate")).filter(|s| !s.is_empty());
    let outcome = get("outcome");
    let ended = match (kind, outcome.as_str()) {
        (_, "") => None,
        (Some(DKind::Mediation), "达成调解协议" | "达成协议" | "调解成功") => {
            Some(Ended::Agreed)
        }
        (Some(DKind::Mediation), "退回法院") => Some(Ended::Referred(Referral::Court)),
        (Some(DKind::Mediation), "转仲裁") => Some(Ended::Referred(Referral::Arbitration)),
        (_, "撤回" | "已撤回") => Some(Ended::Withdrawn),
        (Some(DKind::LegalAid), o) => match AidResult::all()
            .iter()
            .copied()
            .find(|r| r.label() == o || r.code() == o)
        {
            Some(r) => Some(Ended::Aid(r)),
            None => {
                out.error(n, "结果", format!("“{o}”无法识别，法律援助可选：请求得到支持、部分支持、和解/调解结案、未获支持、撤回"));
                None
            }
        },
        (_, o) => {
            out.error(
                n,
                "结果",
                format!("“{o}”无法识别，调解可选：达成调解协议、退回法院、转仲裁、撤回"),
            );
            None
        }
    };
    let agreed = money("协议金额", get("amount_agreed"), out);
    let recovered = money("挽回金额", get("amount_recovered"), out);
    let confirmed_on = date("司法确认日期", get("confirmed_on"), out);
    let closed_on = date("结案日期", get("closed_on"), out);
    if ended.is_some() && closed_on.is_none() {
        out.error(n, "结案日期", "有结果的案件请填写结案日期");
    }
    if ended.is_none() && closed_on.is_some() {
        out.error(n, "结果", "填写了结案日期，请填写结果");
    }
    if let (Some(r), Some(c)) = (received_on, closed_on)
        && c < r
    {
        out.error(
            n,
            "结案日期",
            format!("结案日期{c}早于收案日期{r}，日期顺序不对"),
        );
    }
    if ended == Some(Ended::Agreed) && agreed.is_none() {
        out.error(n, "协议金额", "达成调解协议的案件请填写协议金额");
    }
    if ended != Some(Ended::Agreed) && (agreed.is_some() || confirmed_on.is_some()) {
        out.error(
            n,
            "协议金额",
            "只有达成调解协议的案件才有协议金额和司法确认",
        );
    }
    if let (Some(a), Some(r)) = (agreed, recovered)
        && r > a
    {
        out.error(n, "挽回金额", "挽回（履行）金额不能大于协议金额");
    }
    if let (Some(c), Some(d)) = (closed_on, confirmed_on)
        && d < c
    {
        out.error(n, "司法确认日期", "司法确认日期不能早于结案日期");
    }
    if ended.is_some_and(|e| e != Ended::Withdrawn) && advocate.is_none() {
        out.error(n, "调解员或律师", "有结果的案件请填写承办的调解员或律师");
    }
    if recovered.is_some_and(|r| claimed > 0 && r > claimed) {
        out.warning(n, "挽回金额", "挽回金额大于请求金额，请核实");
    }
    if out
        .issues
        .iter()
        .skip(before)
        .any(|i| i.severity == crate::registry::import::Severity::Error)
    {
        return;
    }
    if let (
        Some(ref_no),
        Some(org),
        Some(kind),
        Some(source),
        Some(claim),
        Some(unit),
        Some(summary),
        Some(received_on),
    ) = (ref_no, org, kind, source, claim, unit, summary, received_on)
    {
        out.ok.push((
            n,
            DisputeRow {
                ref_no,
                org,
                kind,
                source,
                source_ref,
                claim,
                claimed,
                unit,
                workers,
                involved,
                summary,
                received_on,
                advocate,
                ended,
                agreed,
                recovered,
                confirmed_on,
                closed_on,
            },
        ));
    }
}

pub async fn import_disputes(
    reg: &Registry,
    scope: &Scope,
    sheet: Sheet,
    opts: &ImportOptions,
    _progress: &Arc<Progress>,
) -> AppResult<KindResult> {
    use super::disputes::Kind as DKind;
    let today = chrono::Local::now().date_naive();
    let mut out = Checked::new();
    for (n, row) in &sheet.rows {
        check_dispute(&sheet.header, *n, row, today, &mut out);
    }
    let unions: HashMap<String, (i64, String)> =
        sqlx::query_as::<_, (String, i64, String)>("SELECT code, id, path FROM orgs")
            .fetch_all(reg.db.pool())
            .await?
            .into_iter()
            .filter(|(_, _, path)| scope.contains(path))
            .map(|(code, id, path)| (code, (id, path)))
            .collect();
    let roster: Vec<(i64, String, String, String)> =
        sqlx::query_as("SELECT id, name, role, org_path FROM advocates WHERE active = 1")
            .fetch_all(reg.db.pool())
            .await?;
    let known: HashSet<(i64, String)> = sqlx::query_as::<_, (i64, String)>(
        "SELECT org_id, ref_no FROM disputes WHERE ref_no IS NOT NULL",
    )
    .fetch_all(reg.db.pool())
    .await?
    .into_iter()
    .collect();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut keep = Vec::new();
    let mut unchanged = 0u64;
    for (n, r) in std::mem::take(&mut out.ok) {
        let Some((org_id, path)) = unions.get(&r.org) else {
            out.error(
                n,
                "承办工会代码",
                format!("工会代码“{}”不存在或不在您的管理范围内", r.org),
            );
            continue;
        };
        let role = if r.kind == DKind::Mediation {
            "mediator"
        } else {
            "lawyer"
        };
        let advocate = match &r.advocate {
            None => None,
            Some(name) => match roster
                .iter()
                .find(|a| &a.1 == name && a.2 == role && path.starts_with(&a.3))
            {
                Some(a) => Some(a.0),
                None => {
                    out.error(
                        n,
                        "调解员或律师",
                        format!(
                            "“{name}”不在本级或上级工会的{}名录中，请先在名录中添加",
                            if role == "mediator" {
                                "调解员"
                            } else {
                                "律师"
                            }
                        ),
                    );
                    continue;
                }
            },
        };
        if let Some(first) = seen.get(&(r.org.clone(), r.ref_no.clone())) {
            out.issues.push(RowIssue::repeat(
                n,
                *first,
                "编号",
                format!("与第{first}行是同一承办工会的同一编号"),
            ));
            continue;
        }
        seen.insert((r.org.clone(), r.ref_no.clone()), n);
        if known.contains(&(*org_id, r.ref_no.clone())) {
            unchanged += 1;
            continue;
        }
        keep.push((n, r, *org_id, path.clone(), advocate));
    }
    if !should_commit(opts, &out.issues) {
        return Ok(KindResult::from_sheet(sheet, out.issues, None));
    }
    let bad = rows_with_errors(&out.issues);
    let now = crate::db::now_ms();
    let (mut rows, mut workers, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for (n, r, org_id, path, advocate) in keep {
        if bad.contains(&n) {
            continue;
        }
        let id = new_id();
        let mediation = r.kind == DKind::Mediation;
        let assigned = advocate.map(|_| r.received_on);
        let mut steps: Vec<(NaiveDate, &str, Option<&str>, &str)> =
            vec![(r.received_on, "register", None, "registered")];
        let mut status = "registered";
        if assigned.is_some() {
            steps.push((r.received_on, "assign", Some("registered"), "assigned"));
            status = "assigned";
        }
        let (outcome, referred): (Option<&str>, Option<&str>) = match r.ended {
            None => (None, None),
            Some(Ended::Agreed) => (Some("agreed"), None),
            Some(Ended::Referred(x)) => (Some(x.code()), Some(x.label())),
            Some(Ended::Withdrawn) => (Some("withdrawn"), None),
            Some(Ended::Aid(x)) => (Some(x.code()), None),
        };
        if let (Some(end), Some(closed)) = (r.ended, r.closed_on) {
            let work = if mediation { "session" } else { "stage" };
            if end != Ended::Withdrawn || assigned.is_some() {
                steps.push((closed, work, Some(status), "in_progress"));
                status = "in_progress";
            }
            let (action, to) = match end {
                Ended::Agreed => ("agree", "agreed"),
                Ended::Referred(_) => ("fail", "not_agreed"),
                Ended::Withdrawn => ("withdraw", "withdrawn"),
                Ended::Aid(_) => ("conclude", "concluded"),
            };
            steps.push((closed, action, Some(status), to));
            status = to;
            if let Some(c) = r.confirmed_on {
                steps.push((c, "confirm", Some("agreed"), "agreed"));
            }
        }
        let recovered = match r.ended {
            Some(Ended::Agreed | Ended::Aid(_)) => Some(r.recovered.unwrap_or(0)),
            _ => None,
        };
        rows.push(vec![
            Val::I(id),
            t(r.kind.code()),
            Val::I(org_id),
            t(path),
            t(r.source.code()),
            Val::T(r.source_ref.clone()),
            t(r.claim.code()),
            Val::I(r.claimed),
            t(r.unit.clone()),
            Val::I(r.involved),
            t(r.summary.clone()),
            t(r.received_on.to_string()),
            td(mediation.then(|| crate::workflow::deadlines::due(r.received_on, 15))),
            Val::N(advocate),
            td(assigned),
            Val::T(
                steps
                    .iter()
                    .any(|s| s.1 == "stage")
                    .then(|| "arbitration".to_string()),
            ),
            Val::I(steps.iter().filter(|s| s.1 == "session").count() as i64),
            Val::T(outcome.map(str::to_string)),
            Val::N(r.agreed),
            Val::N(recovered),
            Val::T(referred.map(str::to_string)),
            td(r.confirmed_on),
            td(r.closed_on),
            t(r.ref_no.clone()),
            t(status),
            Val::I(steps.len() as i64 - 1),
            Val::I(now),
            Val::I(now),
        ]);
        for w in &r.workers {
            workers.push(vec![
                Val::I(new_id()),
                Val::I(id),
                Val::N(None),
                t(w.clone()),
            ]);
        }
        for (on, action, from, to) in steps {
            events.push(history::bulk_row(
                "dispute",
                id,
                on,
                "历史导入",
                action,
                from,
                to,
                "{}".into(),
            ));
        }
    }
    let written = Written {
        inserted: rows.len() as u64,
        updated: 0,
        unchanged,
    };
    if !rows.is_empty() {
        let backend = reg.db.backend();
        let mut tx = reg.db.begin_write().await?;
        insert_rows(
            &mut tx,
            backend,
            "disputes",
            &[
                "id",
                "kind",
                "org_id",
                "org_path",
                "source",
                "source_ref",
                "claim",
                "amount_claimed",
                "unit_name",
                "workers",
                "summary",
                "received_on",
                "due_on",
                "advocate_id",
                "assigned_on",
                "stage",
                "sessions",
                "outcome",
                "amount_agreed",
                "amount_recovered",
                "referred_to",
                "confirmed_on",
                "closed_on",
                "ref_no",
                "status",
                "version",
                "created_at",
                "updated_at",
            ],
            rows,
        )
        .await?;
        insert_rows(
            &mut tx,
            backend,
            "dispute_workers",
            &["id", "dispute_id", "member_id", "name"],
            workers,
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
        super::figures::rebuild_totals(&mut tx).await?;
        tx.commit().await?;
    }
    Ok(KindResult::from_sheet(sheet, out.issues, Some(written)))
}
