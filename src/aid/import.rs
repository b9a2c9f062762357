//! History import of aid already paid (帮扶发放台账) from XLSX/CSV, with the registry's import
//! rules, so that last years' 人次, 人 and 户 are in and 同比 works from the first day. Each row
//! is one payment to a registered member: the campaign is found or made by its name at the
//! union that ran it (a closed campaign of the history, its repeat payments allowed), the row
//! becomes an application paid in a batch of that import, posted from 历年帮扶资金 to money paid
//! out, and counted into the running totals. A row is known again by its campaign, member, day
//! and amount: re-importing a file changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;

use super::campaigns::{CASE, Form, Kind};
use super::totals::{Paid, count_paid};
use crate::audit::{self, Actor, Event};
use crate::db::bulk::{Val, insert_rows};
use crate::db::{new_id, tx_backend};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Books, NewPosting};
use crate::registry::Registry;
use crate::registry::import::header::{Column, HeaderMap, col};
use crate::registry::import::{
    Checked, ImportOptions, KindResult, RowIssue, Sheet, Written, date_cell, rows_with_errors,
    should_commit,
};
use crate::types::{Fen, IdCardNo, normalize_code, parse_date};
use crate::workflow::{Named, history};

/// Who the history's records name as their author.
const BY: &str = "历史导入";

pub const PAYOUT_COLUMNS: &[Column] = &[
    col(
        "campaign",
        "活动名称",
        &["帮扶活动", "项目名称", "活动"],
        true,
        "如：2025年两节送温暖；同一工会内同名的行归入同一活动",
    ),
    col(
        "kind",
        "活动类别",
        &["类别", "帮扶类别"],
        false,
        "两节送温暖、夏送清凉、金秋助学、大病救助、生活救助、春送岗位、其他帮扶；不填为其他帮扶",
    ),
    col(
        "org",
        "发放工会代码",
        &["主办工会代码", "工会代码"],
        true,
        "组织这次帮扶的工会的代码",
    ),
    col(
        "name",
        "受助人姓名",
        &["姓名", "受助职工"],
        true,
        "与会员名册一致",
    ),
    col(
        "id_number",
        "受助人身份证号",
        &["身份证号", "身份证号码"],
        true,
        "须为在册会员",
    ),
    col(
        "form",
        "帮扶形式",
        &["形式"],
        false,
        "现金、实物；不填为现金",
    ),
    col(
        "amount",
        "金额",
        &["发放金额", "金额（元）", "折价金额"],
        true,
        "元，最多两位小数；实物填折价",
    ),
    col("goods", "实物名称", &["物品"], false, "实物帮扶时填写"),
    col(
        "paid_on",
        "发放日期",
        &["日期", "发放时间"],
        true,
        "日期，不晚于今天",
    ),
];

struct Row {
    campaign: String,
    kind: Kind,
    org: String,
    name: String,
    id: IdCardNo,
    form: Form,
    amount: Fen,
    goods: Option<String>,
    paid_on: NaiveDate,
}

fn coded<T: Named>(typed: &str, default: T) -> Result<T, String> {
    if typed.is_empty() {
        return Ok(default);
    }
    T::all()
        .iter()
        .copied()
        .find(|v| v.code() == typed || v.label() == typed)
        .ok_or_else(|| {
            let all: Vec<&str> = T::all().iter().map(|v| v.label()).collect();
            format!("“{typed}”无法识别，可选：{}", all.join("、"))
        })
}

fn check_row(h: &HeaderMap, n: usize, row: &[String], today: NaiveDate, out: &mut Checked<Row>) {
    let get = |k: &str| h.get(row, k).trim().to_string();
    let before = out.issues.len();
    let campaign = get("campaign");
    if campaign.is_empty() || campaign.chars().count() > 100 {
        out.error(n, "活动名称", "活动名称不能为空，且不超过100字");
    }
    let kind = coded(&get("kind"), Kind::Other)
        .map_err(|m| out.error(n, "活动类别", m))
        .ok();
    let org = normalize_code(&get("org"));
    if org.is_empty() {
        out.error(n, "发放工会代码", "发放工会代码不能为空");
    }
    let name = crate::types::normalize_name(&get("name"))
        .map_err(|e| out.error(n, "受助人姓名", e.message()))
        .ok();
    let id = IdCardNo::parse(&get("id_number"))
        .map_err(|e| out.error(n, "受助人身份证号", e.message()))
        .ok();
    let form = coded(&get("form"), Form::Cash)
        .map_err(|m| out.error(n, "帮扶形式", m))
        .ok();
    let amount = Fen::read(
        "金额",
        &get("amount"),
        crate::types::Limits::positive(Fen::yuan(1_000_000)),
    )
    .map_err(|m| out.error(n, "金额", m))
    .ok();
    let goods = Some(get("goods"))
        .filter(|g| !g.is_empty())
        .map(|g| g.chars().take(200).collect::<String>());
    if form == Some(Form::Goods) && goods.is_none() {
        out.error(n, "实物名称", "实物帮扶请填写实物名称");
    }
    let paid_on = match parse_date(&get("paid_on")) {
        Ok(d) if d > today => {
            out.error(n, "发放日期", "发放日期不能晚于今天");
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            out.error(n, "发放日期", e.message());
            None
        }
    };
    if out.issues.len() != before {
        return;
    }
    if let (Some(kind), Some(name), Some(id), Some(form), Some(amount), Some(paid_on)) =
        (kind, name, id, form, amount, paid_on)
    {
        out.ok.push((
            n,
            Row {
                campaign,
                kind,
                org,
                name,
                id,
                form,
                amount,
                goods,
                paid_on,
            },
        ));
    }
}

/// A member as the import matches a row to it.
#[derive(Clone)]
struct Member {
    id: i64,
    name: String,
    org_id: i64,
    org_path: String,
}

/// The blind index of each ID number given (in order), and the registered members in a union
/// among them by their blind index.
async fn members_named<'a>(
    reg: &Registry,
    ids: impl Iterator<Item = &'a IdCardNo>,
) -> AppResult<(Vec<Vec<u8>>, HashMap<Vec<u8>, Member>)> {
    let hashes: Vec<Vec<u8>> = ids
        .map(|id| {
            reg.keys
                .blind_index(crate::registry::members::ID_DOMAIN, id.as_str())
        })
        .collect();
    let mut members = HashMap::new();
    for chunk in hashes.chunks(500) {
        let sql = format!(
            "SELECT id_hash, id, name, org_id, org_path FROM members WHERE org_id IS NOT NULL AND id_hash IN ({})",
            crate::db::in_list(chunk.len())
        );
        let mut q = sqlx::query_as::<_, (Vec<u8>, i64, String, i64, String)>(&sql);
        for h in chunk {
            q = q.bind(h.clone());
        }
        for (h, id, name, org_id, org_path) in q.fetch_all(reg.db.pool()).await? {
            members.insert(
                h,
                Member {
                    id,
                    name,
                    org_id,
                    org_path,
                },
            );
        }
    }
    Ok((hashes, members))
}

pub async fn import_payouts(
    reg: &Registry,
    actor: &Actor,
    sheet: Sheet,
    opts: &ImportOptions,
) -> AppResult<KindResult> {
    let db = &reg.db;
    let scope = &actor.scope;
    let today = chrono::Local::now().date_naive();
    let mut out = Checked::new();
    for (n, row) in &sheet.rows {
        check_row(&sheet.header, *n, row, today, &mut out);
    }
    let unions: HashMap<String, (i64, String)> =
        sqlx::query_as::<_, (String, i64, String)>("SELECT code, id, path FROM orgs")
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .filter(|(_, _, path)| scope.contains(path))
            .map(|(code, id, path)| (code, (id, path)))
            .collect();
    let (hashes, members) = members_named(reg, out.ok.iter().map(|(_, r)| &r.id)).await?;
    // Campaigns of the unions named, by name: those made by a history import are reused.
    let campaigns: HashMap<(i64, String), (i64, String)> =
        sqlx::query_as::<_, (i64, String, i64, String)>(
            "SELECT org_id, name, id, created_by FROM aid_campaigns",
        )
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|(org, name, id, by)| ((org, name), (id, by)))
        .collect();
    let known: HashSet<(i64, i64, String, i64)> = sqlx::query_as::<_, (i64, i64, String, i64)>(
        "SELECT campaign_id, member_id, applied_on, amount_fen FROM aid_applications WHERE channel = 'history'",
    )
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();
    let mut seen: HashMap<(String, String, i64, NaiveDate, i64), usize> = HashMap::new();
    let mut keep: Vec<(usize, Row, i64, Member)> = Vec::new();
    let mut unchanged = 0u64;
    for ((n, r), hash) in std::mem::take(&mut out.ok).into_iter().zip(hashes) {
        let Some((org_id, _)) = unions.get(&r.org) else {
            out.error(
                n,
                "发放工会代码",
                format!("工会代码“{}”不存在或不在您的管理范围内", r.org),
            );
            continue;
        };
        let Some(m) = members.get(&hash).cloned() else {
            out.error(
                n,
                "受助人身份证号",
                "不是在册会员（或已离会）：请先导入或登记该会员",
            );
            continue;
        };
        if m.name != r.name {
            out.error(
                n,
                "受助人姓名",
                format!("与会员名册中该身份证号的姓名“{}”不一致", m.name),
            );
            continue;
        }
        if !scope.contains(&m.org_path) {
            out.error(n, "受助人身份证号", "该会员不在您的管理范围内");
            continue;
        }
        let key = (
            r.org.clone(),
            r.campaign.clone(),
            m.id,
            r.paid_on,
            r.amount.0,
        );
        if let Some(first) = seen.get(&key) {
            out.issues.push(RowIssue::repeat(
                n,
                *first,
                "受助人身份证号",
                format!("与第{first}行是同一活动、同一人、同一天的同一金额"),
            ));
            continue;
        }
        seen.insert(key, n);
        match campaigns.get(&(*org_id, r.campaign.clone())) {
            Some((_, by)) if by != BY => {
                out.error(
                    n,
                    "活动名称",
                    format!(
                        "“{}”是本平台办理中的活动，历史发放请用另一个名称（如注明年份）",
                        r.campaign
                    ),
                );
                continue;
            }
            Some((c, _)) if known.contains(&(*c, m.id, r.paid_on.to_string(), r.amount.0)) => {
                unchanged += 1;
                continue;
            }
            _ => {}
        }
        keep.push((n, r, *org_id, m));
    }
    if !should_commit(opts, &out.issues) {
        return Ok(KindResult::from_sheet(sheet, out.issues, None));
    }
    let bad = rows_with_errors(&out.issues);
    keep.retain(|(n, ..)| !bad.contains(n));
    let written = Written {
        inserted: keep.len() as u64,
        updated: 0,
        unchanged,
    };
    if !keep.is_empty() {
        write(reg, actor, &keep, &unions, &campaigns).await?;
    }
    Ok(KindResult::from_sheet(sheet, out.issues, Some(written)))
}

/// The rows of one campaign of the file.
type ByCampaign<'a> = BTreeMap<(i64, String), Vec<&'a (usize, Row, i64, Member)>>;

async fn write(
    reg: &Registry,
    actor: &Actor,
    keep: &[(usize, Row, i64, Member)],
    unions: &HashMap<String, (i64, String)>,
    campaigns: &HashMap<(i64, String), (i64, String)>,
) -> AppResult<()> {
    let db = &reg.db;
    let now = crate::db::now_ms();
    let mut by: ByCampaign = BTreeMap::new();
    for k in keep {
        by.entry((k.2, k.1.campaign.clone())).or_default().push(k);
    }
    let paths: HashMap<i64, String> = unions.values().cloned().collect();
    // Members on a hardship file on the day they were paid count its household.
    let files: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT p.member_id, f.id, f.entered_on, f.exited_on FROM hardship_persons p JOIN hardship_files f ON f.id = p.file_id \
         WHERE p.member_id IS NOT NULL",
    )
    .fetch_all(db.pool())
    .await?;
    let file_on = |member: i64, on: NaiveDate| {
        let on = on.to_string();
        files
            .iter()
            .find(|(m, _, entered, exited)| {
                *m == member && *entered <= on && exited.as_ref().is_none_or(|x| *x > on)
            })
            .map(|f| f.1)
    };
    let mut tx = db.begin_write().await?;
    let backend = tx_backend(&tx);
    let (mut applications, mut batches, mut payouts, mut events) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut paid = Vec::new();
    for ((org_id, name), rows) in &by {
        let org_path = paths[org_id].clone();
        let books = Books {
            org_id: *org_id,
            org_path: org_path.clone(),
        };
        let total: i64 = rows.iter().map(|r| r.1.amount.0).sum();
        let first = rows.iter().map(|r| r.1.paid_on).min().expect("rows");
        let last = rows.iter().map(|r| r.1.paid_on).max().expect("rows");
        let campaign = match campaigns.get(&(*org_id, name.clone())) {
            Some((id, _)) => {
                sqlx::query(
                    "UPDATE aid_campaigns SET budget_fen = budget_fen + $1, starts_on = CASE WHEN starts_on < $2 THEN starts_on ELSE $2 END, \
                     ends_on = CASE WHEN ends_on > $3 THEN ends_on ELSE $3 END, updated_at = $4 WHERE id = $5",
                )
                .bind(total)
                .bind(first.to_string())
                .bind(last.to_string())
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                *id
            }
            None => {
                let id = new_id();
                let account = ledger::ensure_account(
                    &mut tx,
                    &books,
                    &format!("aid:campaign:{id}"),
                    &format!("帮扶活动：{name}"),
                    false,
                    now,
                )
                .await?;
                sqlx::query(
                    "INSERT INTO aid_campaigns (id, org_id, org_path, name, kind, starts_on, ends_on, budget_fen, max_per_person_fen, eligible_tiers, \
                     eligible_groups, review_kinds, notice_days, allow_repeat, budget_account, status, created_by, created_at, updated_at) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'','','',0,1,$10,'closed',$11,$12,$12)",
                )
                .bind(id)
                .bind(org_id)
                .bind(&org_path)
                .bind(name)
                .bind(rows[0].1.kind.code())
                .bind(first.to_string())
                .bind(last.to_string())
                .bind(total)
                .bind(rows.iter().map(|r| r.1.amount.0).max().unwrap_or(0))
                .bind(account.id)
                .bind(BY)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let source =
            ledger::ensure_account(&mut tx, &books, "aid:history", "历年帮扶资金", true, now)
                .await?;
        let paid_account =
            ledger::ensure_account(&mut tx, &books, "aid:paid", "已发放帮扶款", false, now).await?;
        let batch = new_id();
        let posting = ledger::post(
            &mut tx,
            actor,
            &books,
            &NewPosting {
                on: last,
                memo: format!("历史导入：{name} {} 人次", rows.len()),
                source: Some(("aid_batch", batch)),
                idempotency_key: Some(format!("aid-history:{batch}")),
                lines: ledger::transfer(source.id, paid_account.id, Fen(total)),
            },
            None,
            now,
        )
        .await?;
        batches.push(vec![
            Val::I(batch),
            Val::I(campaign),
            Val::I(*org_id),
            Val::T(Some(org_path.clone())),
            Val::T(Some(last.to_string())),
            Val::I(rows.len() as i64),
            Val::I(total),
            Val::I(posting),
            Val::T(Some(BY.into())),
            Val::I(now),
        ]);
        for (_, r, _, m) in rows {
            let application = new_id();
            let file = file_on(m.id, r.paid_on);
            applications.push(vec![
                Val::I(application),
                Val::I(campaign),
                Val::I(m.org_id),
                Val::T(Some(m.org_path.clone())),
                Val::I(m.id),
                Val::N(file),
                Val::T(Some(r.form.code().into())),
                Val::I(r.amount.0),
                Val::T(r.goods.clone()),
                Val::T(Some(BY.into())),
                Val::T(Some("history".into())),
                Val::T(Some(r.paid_on.to_string())),
                Val::T(Some("paid".into())),
                Val::I(now),
                Val::I(now),
            ]);
            payouts.push(vec![
                Val::I(new_id()),
                Val::I(batch),
                Val::I(application),
                Val::I(campaign),
                Val::T(Some(m.org_path.clone())),
                Val::I(m.id),
                Val::N(file),
                Val::T(Some(r.form.code().into())),
                Val::I(r.amount.0),
                Val::T(Some("paid".into())),
                Val::T(Some(r.paid_on.to_string())),
                Val::I(posting),
                Val::I(now),
            ]);
            for (action, from, to) in [
                ("apply", None, "approved"),
                ("pay", Some("approved"), "paid"),
            ] {
                events.push(history::bulk_row(
                    CASE,
                    application,
                    r.paid_on,
                    BY,
                    action,
                    from,
                    to,
                    "{}".into(),
                ));
            }
            paid.push(Paid {
                org_path: m.org_path.clone(),
                campaign_id: campaign,
                member_id: m.id,
                file_id: file,
                amount_fen: r.amount.0,
                paid_on: r.paid_on.to_string(),
            });
        }
    }
    insert_rows(
        &mut tx,
        backend,
        "aid_applications",
        &[
            "id",
            "campaign_id",
            "org_id",
            "org_path",
            "member_id",
            "file_id",
            "form",
            "amount_fen",
            "goods",
            "reason",
            "channel",
            "applied_on",
            "status",
            "created_at",
            "updated_at",
        ],
        applications,
    )
    .await?;
    insert_rows(
        &mut tx,
        backend,
        "aid_batches",
        &[
            "id",
            "campaign_id",
            "org_id",
            "org_path",
            "made_on",
            "line_count",
            "total_fen",
            "posting_id",
            "made_by",
            "created_at",
        ],
        batches,
    )
    .await?;
    insert_rows(
        &mut tx,
        backend,
        "aid_payouts",
        &[
            "id",
            "batch_id",
            "application_id",
            "campaign_id",
            "org_path",
            "member_id",
            "file_id",
            "form",
            "amount_fen",
            "status",
            "paid_on",
            "posting_id",
            "updated_at",
        ],
        payouts,
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
    count_paid(&mut tx, &paid).await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("aid.history_import").detail(serde_json::json!({
            "lines": paid.len(), "campaigns": by.len(),
            "amount_fen": paid.iter().map(|p| p.amount_fen).sum::<i64>(),
        })),
    )
    .await?;
    tx.commit().await.map_err(AppError::from)
}

// ---------- hardship files kept before the platform ----------

pub const FILE_COLUMNS: &[Column] = &[
    col(
        "org",
        "建档工会代码",
        &["工会代码"],
        true,
        "保管档案的工会的代码",
    ),
    col(
        "name",
        "困难职工姓名",
        &["姓名", "户主姓名"],
        true,
        "与会员名册一致",
    ),
    col(
        "id_number",
        "身份证号",
        &["身份证号码", "困难职工身份证号"],
        true,
        "须为在册会员",
    ),
    col(
        "household_size",
        "家庭人口",
        &["家庭人数", "人口"],
        true,
        "1至20人",
    ),
    col(
        "income",
        "家庭年收入",
        &["年收入", "家庭年收入（元）"],
        true,
        "元",
    ),
    col("rigid", "年刚性支出", &["刚性支出"], false, "元，可不填"),
    col("sudden", "突发性支出", &["突发支出"], false, "元，可不填"),
    col(
        "tier",
        "困难类别",
        &["困难程度", "档案类别"],
        true,
        "深度困难、相对困难、意外致困（按当时的认定）",
    ),
    col(
        "causes",
        "致困原因",
        &["困难原因"],
        false,
        "因病、因残、因学、因灾、因失业、因意外、缺少劳动力、其他；多项用顿号分隔",
    ),
    col("plan", "帮扶计划", &[], false, "可不填"),
    col("measures", "帮扶措施", &[], false, "可不填"),
    col(
        "entered_on",
        "建档日期",
        &["建档时间"],
        true,
        "日期，不晚于今天",
    ),
    col(
        "reviewed_on",
        "最近复核日期",
        &["复核日期"],
        false,
        "日期，不早于建档日期",
    ),
    col(
        "exited_on",
        "解困日期",
        &["脱困日期", "退出日期"],
        false,
        "已解困脱困的填写；日期，不早于建档日期",
    ),
    col(
        "exit_reason",
        "解困原因",
        &["脱困原因", "退出原因"],
        false,
        "收入提高、实现就业、帮扶后解困、迁出本地、本人去世、其他；填写解困日期时必填",
    ),
];

struct FileRow {
    org: String,
    name: String,
    id: IdCardNo,
    size: i64,
    income: Fen,
    rigid: Fen,
    sudden: Fen,
    tier: super::hardship::Tier,
    causes: Vec<super::hardship::Cause>,
    plan: String,
    measures: String,
    entered_on: NaiveDate,
    reviewed_on: Option<NaiveDate>,
    exit: Option<(NaiveDate, super::hardship::ExitReason)>,
}

/// Money in 元: required or not, never negative, at most 1 亿元.
fn yuan_cell<R>(
    n: usize,
    label: &str,
    v: &str,
    required: bool,
    out: &mut Checked<R>,
) -> Option<Fen> {
    if v.is_empty() {
        if required {
            out.error(n, label, format!("{label}不能为空"));
            return None;
        }
        return Some(Fen(0));
    }
    Fen::read(
        label,
        v,
        crate::types::Limits::up_to(Fen::yuan(100_000_000)),
    )
    .map_err(|m| out.error(n, label, m))
    .ok()
}

fn check_file_row(
    h: &HeaderMap,
    n: usize,
    row: &[String],
    today: NaiveDate,
    out: &mut Checked<FileRow>,
) {
    use super::hardship::{Cause, ExitReason, Tier};
    let get = |k: &str| h.get(row, k).trim().to_string();
    let before = out.issues.len();
    let org = normalize_code(&get("org"));
    if org.is_empty() {
        out.error(n, "建档工会代码", "建档工会代码不能为空");
    }
    let name = crate::types::normalize_name(&get("name"))
        .map_err(|e| out.error(n, "困难职工姓名", e.message()))
        .ok();
    let id = IdCardNo::parse(&get("id_number"))
        .map_err(|e| out.error(n, "身份证号", e.message()))
        .ok();
    let size = match get("household_size").parse::<i64>() {
        Ok(s) if (1..=20).contains(&s) => Some(s),
        _ => {
            out.error(n, "家庭人口", "家庭人口应为1至20的整数");
            None
        }
    };
    let income = yuan_cell(n, "家庭年收入", &get("income"), true, out);
    let rigid = yuan_cell(n, "年刚性支出", &get("rigid"), false, out);
    let sudden = yuan_cell(n, "突发性支出", &get("sudden"), false, out);
    let tier = match get("tier") {
        t if t.is_empty() => {
            out.error(n, "困难类别", "困难类别不能为空");
            None
        }
        t => coded::<Tier>(&t, Tier::Deep)
            .map_err(|m| out.error(n, "困难类别", m))
            .ok(),
    };
    let mut causes = Vec::new();
    for c in get("causes")
        .split(['、', ',', '，', ';', '；', ' '])
        .filter(|c| !c.is_empty())
    {
        match coded::<Cause>(c, Cause::Other) {
            Ok(c) if !causes.contains(&c) => causes.push(c),
            Ok(_) => {}
            Err(m) => out.error(n, "致困原因", m),
        }
    }
    if causes.is_empty() {
        causes.push(Cause::Other);
    }
    let text = |k: &str| {
        Some(get(k))
            .filter(|t| !t.is_empty())
            .map(|t| t.chars().take(2000).collect::<String>())
            .unwrap_or_else(|| "（历史档案导入，未记载）".into())
    };
    let entered_on = date_cell(n, today, "建档日期", &get("entered_on"), out);
    if entered_on.is_none() && get("entered_on").is_empty() {
        out.error(n, "建档日期", "建档日期不能为空");
    }
    let reviewed_on = date_cell(n, today, "最近复核日期", &get("reviewed_on"), out);
    let exited_on = date_cell(n, today, "解困日期", &get("exited_on"), out);
    let reason = match get("exit_reason") {
        r if r.is_empty() => None,
        r => coded::<ExitReason>(&r, ExitReason::Other)
            .map_err(|m| out.error(n, "解困原因", m))
            .ok(),
    };
    if exited_on.is_some() && reason.is_none() && get("exit_reason").is_empty() {
        out.error(n, "解困原因", "填写了解困日期，请填写解困原因");
    }
    if reason.is_some() && exited_on.is_none() && get("exited_on").is_empty() {
        out.error(n, "解困日期", "填写了解困原因，请填写解困日期");
    }
    for (label, d) in [("最近复核日期", reviewed_on), ("解困日期", exited_on)] {
        if let (Some(d), Some(e)) = (d, entered_on)
            && d < e
        {
            out.error(n, label, format!("{label}{d}早于建档日期{e}"));
        }
    }
    if out.issues.len() != before {
        return;
    }
    if let (
        Some(name),
        Some(id),
        Some(size),
        Some(income),
        Some(rigid),
        Some(sudden),
        Some(tier),
        Some(entered_on),
    ) = (name, id, size, income, rigid, sudden, tier, entered_on)
    {
        out.ok.push((
            n,
            FileRow {
                org,
                name,
                id,
                size,
                income,
                rigid,
                sudden,
                tier,
                causes,
                plan: text("plan"),
                measures: text("measures"),
                entered_on,
                reviewed_on,
                exit: exited_on.zip(reason),
            },
        ));
    }
}

/// Hardship files kept before the platform: each row a household filed then, its worker a
/// registered member; active ones hold the person's one active file. A row is known again by
/// its worker and day of entry.
pub async fn import_files(
    reg: &Registry,
    actor: &Actor,
    sheet: Sheet,
    opts: &ImportOptions,
) -> AppResult<KindResult> {
    let db = &reg.db;
    let scope = &actor.scope;
    let today = chrono::Local::now().date_naive();
    let mut out = Checked::new();
    for (n, row) in &sheet.rows {
        check_file_row(&sheet.header, *n, row, today, &mut out);
    }
    let unions: HashMap<String, crate::registry::orgs::Org> = {
        let mut m = HashMap::new();
        let codes: HashSet<String> = out.ok.iter().map(|(_, r)| r.org.clone()).collect();
        for code in codes {
            if let Ok(o) = crate::registry::orgs::get_by_code(db, scope, &code).await {
                m.insert(code, o);
            }
        }
        m
    };
    let mut regions: HashMap<i64, String> = HashMap::new();
    for o in unions.values() {
        if let Some(r) = super::hardship::region_of(db, o).await? {
            regions.insert(o.id, r);
        }
    }
    let (hashes, members) = members_named(reg, out.ok.iter().map(|(_, r)| &r.id)).await?;
    // Who holds an active file now, and the files already there (worker, entry day).
    let active: HashSet<String> = sqlx::query_scalar::<_, String>(
        "SELECT active_key FROM hardship_persons WHERE active_key IS NOT NULL",
    )
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();
    let known: HashSet<(i64, String)> = sqlx::query_as::<_, (i64, String)>(
        "SELECT p.member_id, f.entered_on FROM hardship_persons p JOIN hardship_files f ON f.id = p.file_id \
         WHERE p.member_id IS NOT NULL AND p.relation = 'self'",
    )
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();
    let mut seen: HashMap<(i64, NaiveDate), usize> = HashMap::new();
    let mut active_rows: HashMap<i64, usize> = HashMap::new();
    let mut keep: Vec<(usize, FileRow, i64, String)> = Vec::new();
    let mut unchanged = 0u64;
    for ((n, r), hash) in std::mem::take(&mut out.ok).into_iter().zip(hashes) {
        let Some(org) = unions.get(&r.org) else {
            out.error(
                n,
                "建档工会代码",
                format!("工会代码“{}”不存在或不在您的管理范围内", r.org),
            );
            continue;
        };
        let Some(Member {
            id: member,
            name: roster_name,
            ..
        }) = members.get(&hash).cloned()
        else {
            out.error(n, "身份证号", "不是在册会员：请先导入或登记该会员");
            continue;
        };
        if roster_name != r.name {
            out.error(
                n,
                "困难职工姓名",
                format!("与会员名册中该身份证号的姓名“{roster_name}”不一致"),
            );
            continue;
        }
        if let Some(first) = seen.insert((member, r.entered_on), n) {
            out.issues.push(RowIssue::repeat(
                n,
                first,
                "建档日期",
                format!("与第{first}行是同一职工同一天建的档"),
            ));
            continue;
        }
        if known.contains(&(member, r.entered_on.to_string())) {
            unchanged += 1;
            continue;
        }
        let key = hex::encode(&hash);
        if r.exit.is_none() {
            if active.contains(&key) {
                out.error(
                    n,
                    "身份证号",
                    "该职工已有在档的困难职工档案，一人只能在一份在档档案中",
                );
                continue;
            }
            if let Some(first) = active_rows.insert(member, n) {
                out.issues.push(RowIssue::repeat(
                    n,
                    first,
                    "身份证号",
                    format!("与第{first}行是同一职工，一人只能有一份在档档案"),
                ));
                continue;
            }
        }
        let region = regions.get(&org.id).cloned().unwrap_or_default();
        keep.push((n, r, member, region));
    }
    if !should_commit(opts, &out.issues) {
        return Ok(KindResult::from_sheet(sheet, out.issues, None));
    }
    let bad = rows_with_errors(&out.issues);
    keep.retain(|(n, ..)| !bad.contains(n));
    let written = Written {
        inserted: keep.len() as u64,
        updated: 0,
        unchanged,
    };
    if !keep.is_empty() {
        write_files(reg, actor, &keep, &unions).await?;
    }
    Ok(KindResult::from_sheet(sheet, out.issues, Some(written)))
}

async fn write_files(
    reg: &Registry,
    actor: &Actor,
    keep: &[(usize, FileRow, i64, String)],
    unions: &HashMap<String, crate::registry::orgs::Org>,
) -> AppResult<()> {
    use super::hardship::{CASE as FILE_CASE, next_review};
    let now = crate::db::now_ms();
    let (mut files, mut persons, mut events) = (Vec::new(), Vec::new(), Vec::new());
    let member_hash: HashMap<i64, Vec<u8>> = {
        let ids: Vec<i64> = keep.iter().map(|k| k.2).collect();
        let mut m = HashMap::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT id, id_hash FROM members WHERE id IN ({})",
                crate::db::in_list(chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, Vec<u8>)>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            m.extend(q.fetch_all(reg.db.pool()).await?);
        }
        m
    };
    for (_, r, member, region) in keep {
        let org = &unions[&r.org];
        let id = new_id();
        let last_check = r.reviewed_on.unwrap_or(r.entered_on);
        let status = if r.exit.is_some() { "exited" } else { "active" };
        files.push(vec![
            Val::I(id),
            Val::I(org.id),
            Val::T(Some(org.path.clone())),
            Val::T(Some(region.clone())),
            Val::I(i64::from(chrono::Datelike::year(&r.entered_on))),
            Val::I(r.size),
            Val::I(r.income.0),
            Val::I(r.rigid.0),
            Val::I(r.sudden.0),
            Val::T(Some(r.tier.code().into())),
            Val::T(Some(format!(
                "按历史档案记载认定为{}（历史导入）",
                r.tier.label()
            ))),
            Val::T(Some(
                r.causes
                    .iter()
                    .map(|c| c.code())
                    .collect::<Vec<_>>()
                    .join(","),
            )),
            Val::T(Some(r.plan.clone())),
            Val::T(Some(r.measures.clone())),
            Val::T(Some(r.entered_on.to_string())),
            Val::T(Some(next_review(last_check).to_string())),
            Val::T(r.reviewed_on.map(|d| d.to_string())),
            Val::T(r.exit.map(|e| e.0.to_string())),
            Val::T(r.exit.map(|e| e.1.code().to_string())),
            Val::T(Some(status.into())),
            Val::I(now),
            Val::I(now),
        ]);
        persons.push(vec![
            Val::I(new_id()),
            Val::I(id),
            Val::I(*member),
            Val::T(Some("self".into())),
            Val::T(Some("healthy".into())),
            Val::T(Some("none".into())),
            Val::T(Some("other".into())),
            Val::T(r.exit.is_none().then(|| hex::encode(&member_hash[member]))),
        ]);
        let mut steps = vec![(r.entered_on, "enter", None, "active")];
        if let Some(d) = r.reviewed_on {
            steps.push((d, "review", Some("active"), "active"));
        }
        if let Some((d, _)) = r.exit {
            steps.push((d, "exit", Some("active"), "exited"));
        }
        for (on, action, from, to) in steps {
            events.push(history::bulk_row(
                FILE_CASE,
                id,
                on,
                BY,
                action,
                from,
                to,
                "{}".into(),
            ));
        }
    }
    let mut tx = reg.db.begin_write().await?;
    let backend = tx_backend(&tx);
    insert_rows(
        &mut tx,
        backend,
        "hardship_files",
        &[
            "id",
            "org_id",
            "org_path",
            "region_code",
            "assessed_year",
            "household_size",
            "income_fen",
            "rigid_fen",
            "sudden_fen",
            "tier",
            "tier_reason",
            "causes",
            "plan",
            "measures",
            "entered_on",
            "review_due",
            "reviewed_on",
            "exited_on",
            "exit_reason",
            "status",
            "created_at",
            "updated_at",
        ],
        files,
    )
    .await?;
    insert_rows(
        &mut tx,
        backend,
        "hardship_persons",
        &[
            "id",
            "file_id",
            "member_id",
            "relation",
            "health",
            "schooling",
            "work",
            "active_key",
        ],
        persons,
    )
    .await
    .map_err(|e| {
        if e.is_unique_violation() {
            AppError::conflict(
                "HARDSHIP_PERSON_ON_FILE",
                "其中有职工刚刚已由他人建档，一人只能在一份在档档案中：请重新导入",
            )
        } else {
            e
        }
    })?;
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
        Event::new("hardship.history_import").detail(serde_json::json!({"files": keep.len()})),
    )
    .await?;
    tx.commit().await.map_err(AppError::from)
}

// ---------- mutual-aid claims paid before the platform ----------

pub const CLAIM_COLUMNS: &[Column] = &[
    col(
        "plan",
        "互助计划名称",
        &["计划名称", "互助计划"],
        true,
        "须先在“医疗互助”中建立该计划（往年的计划也可建立）",
    ),
    col(
        "org",
        "主办工会代码",
        &["工会代码"],
        true,
        "举办该计划的工会的代码",
    ),
    col("name", "职工姓名", &["姓名"], true, "与会员名册一致"),
    col(
        "id_number",
        "身份证号",
        &["身份证号码"],
        true,
        "须为在册会员",
    ),
    col(
        "illness",
        "病种或治疗",
        &["病种", "疾病名称"],
        true,
        "如：住院治疗",
    ),
    col(
        "occurred_on",
        "就诊日期",
        &["住院日期", "治疗日期"],
        true,
        "日期，在计划的保障期内",
    ),
    col("expense", "医疗费用", &["医疗总费用", "费用"], true, "元"),
    col(
        "paid",
        "赔付金额",
        &["理赔金额", "补助金额"],
        true,
        "元，大于零",
    ),
    col(
        "paid_on",
        "赔付日期",
        &["理赔日期", "发放日期"],
        true,
        "日期，不早于就诊日期、不晚于今天",
    ),
];

struct ClaimRow {
    plan: String,
    org: String,
    name: String,
    id: IdCardNo,
    illness: String,
    occurred_on: NaiveDate,
    expense: Fen,
    paid: Fen,
    paid_on: NaiveDate,
}

fn check_claim_row(
    h: &HeaderMap,
    n: usize,
    row: &[String],
    today: NaiveDate,
    out: &mut Checked<ClaimRow>,
) {
    let get = |k: &str| h.get(row, k).trim().to_string();
    let before = out.issues.len();
    let plan = get("plan");
    if plan.is_empty() {
        out.error(n, "互助计划名称", "互助计划名称不能为空");
    }
    let org = normalize_code(&get("org"));
    if org.is_empty() {
        out.error(n, "主办工会代码", "主办工会代码不能为空");
    }
    let name = crate::types::normalize_name(&get("name"))
        .map_err(|e| out.error(n, "职工姓名", e.message()))
        .ok();
    let id = IdCardNo::parse(&get("id_number"))
        .map_err(|e| out.error(n, "身份证号", e.message()))
        .ok();
    let illness = get("illness");
    if illness.is_empty() || illness.chars().count() > 100 {
        out.error(n, "病种或治疗", "病种或治疗不能为空，且不超过100字");
    }
    let occurred_on = date_cell(n, today, "就诊日期", &get("occurred_on"), out);
    let paid_on = date_cell(n, today, "赔付日期", &get("paid_on"), out);
    for (label, key, d) in [
        ("就诊日期", "occurred_on", occurred_on),
        ("赔付日期", "paid_on", paid_on),
    ] {
        if d.is_none() && get(key).is_empty() {
            out.error(n, label, format!("{label}不能为空"));
        }
    }
    if let (Some(o), Some(p)) = (occurred_on, paid_on)
        && p < o
    {
        out.error(n, "赔付日期", "赔付日期早于就诊日期");
    }
    let expense = yuan_cell(n, "医疗费用", &get("expense"), true, out);
    let paid = yuan_cell(n, "赔付金额", &get("paid"), true, out);
    if paid == Some(Fen(0)) {
        out.error(n, "赔付金额", "赔付金额应大于零");
    }
    if let (Some(e), Some(p)) = (expense, paid)
        && p > e
    {
        out.error(n, "赔付金额", format!("赔付金额 {p} 元大于医疗费用 {e} 元"));
    }
    if out.issues.len() != before {
        return;
    }
    if let (Some(name), Some(id), Some(occurred_on), Some(expense), Some(paid), Some(paid_on)) =
        (name, id, occurred_on, expense, paid, paid_on)
    {
        out.ok.push((
            n,
            ClaimRow {
                plan,
                org,
                name,
                id,
                illness: illness.chars().take(100).collect(),
                occurred_on,
                expense,
                paid,
                paid_on,
            },
        ));
    }
}

/// A plan as the claims import matches rows to it.
#[derive(Clone)]
struct PlanRef {
    id: i64,
    org_id: i64,
    org_path: String,
    term_start: String,
    term_end: String,
    cap_fen: i64,
}

/// Claims paid before the platform, each for a registered member under a plan of the platform
/// (set up first, past terms too): within the plan's term and its cap per person (counting the
/// member's claims already there), paid from 历年互助金 (the pool of those years is not on the
/// books). A row is known again by its plan, member, day of treatment and amount.
pub async fn import_claims(
    reg: &Registry,
    actor: &Actor,
    sheet: Sheet,
    opts: &ImportOptions,
) -> AppResult<KindResult> {
    let db = &reg.db;
    let scope = &actor.scope;
    let today = chrono::Local::now().date_naive();
    let mut out = Checked::new();
    for (n, row) in &sheet.rows {
        check_claim_row(&sheet.header, *n, row, today, &mut out);
    }
    let plans: HashMap<(String, String), PlanRef> = sqlx::query_as::<
        _,
        (String, String, i64, i64, String, String, String, i64),
    >(
        "SELECT o.code, p.name, p.id, p.org_id, p.org_path, p.term_start, p.term_end, p.cap_fen \
         FROM mutual_plans p JOIN orgs o ON o.id = p.org_id",
    )
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .filter(|r| {
        scope.contains(&r.4) || r.4.len() < scope.path().len() && scope.path().starts_with(&r.4)
    })
    .map(
        |(code, name, id, org_id, org_path, term_start, term_end, cap_fen)| {
            (
                (code, name),
                PlanRef {
                    id,
                    org_id,
                    org_path,
                    term_start,
                    term_end,
                    cap_fen,
                },
            )
        },
    )
    .collect();
    let (hashes, members) = members_named(reg, out.ok.iter().map(|(_, r)| &r.id)).await?;
    // What each member has had paid under each plan, and the claims already there.
    let mut claimed: HashMap<(i64, i64), i64> = HashMap::new();
    let mut known: HashSet<(i64, i64, String, i64)> = HashSet::new();
    for (plan, member, occurred, fen) in sqlx::query_as::<_, (i64, i64, String, i64)>(
        "SELECT plan_id, member_id, occurred_on, payable_fen FROM mutual_claims WHERE status <> 'rejected'",
    )
    .fetch_all(db.pool())
    .await?
    {
        *claimed.entry((plan, member)).or_default() += fen;
        known.insert((plan, member, occurred, fen));
    }
    let mut seen: HashMap<(i64, i64, NaiveDate, i64), usize> = HashMap::new();
    let mut keep: Vec<(usize, ClaimRow, PlanRef, Member)> = Vec::new();
    let mut unchanged = 0u64;
    for ((n, r), hash) in std::mem::take(&mut out.ok).into_iter().zip(hashes) {
        let Some(plan) = plans.get(&(r.org.clone(), r.plan.clone())).cloned() else {
            out.error(
                n,
                "互助计划名称",
                format!(
                    "工会“{}”没有名为“{}”的互助计划（或不在您的管理范围内）：请先在“医疗互助”中建立该计划",
                    r.org, r.plan
                ),
            );
            continue;
        };
        let Some(m) = members.get(&hash).cloned() else {
            out.error(n, "身份证号", "不是在册会员：请先导入或登记该会员");
            continue;
        };
        if m.name != r.name {
            out.error(
                n,
                "职工姓名",
                format!("与会员名册中该身份证号的姓名“{}”不一致", m.name),
            );
            continue;
        }
        if !scope.contains(&m.org_path) || !m.org_path.starts_with(&plan.org_path) {
            out.error(n, "身份证号", "该会员不在该计划或您的管理范围内");
            continue;
        }
        let on = r.occurred_on.to_string();
        if on < plan.term_start || on > plan.term_end {
            out.error(
                n,
                "就诊日期",
                format!(
                    "就诊日期不在计划保障期（{} 至 {}）内",
                    plan.term_start, plan.term_end
                ),
            );
            continue;
        }
        if let Some(first) = seen.insert((plan.id, m.id, r.occurred_on, r.paid.0), n) {
            out.issues.push(RowIssue::repeat(
                n,
                first,
                "就诊日期",
                format!("与第{first}行是同一计划、同一人、同一天的同一金额"),
            ));
            continue;
        }
        if known.contains(&(plan.id, m.id, on, r.paid.0)) {
            unchanged += 1;
            continue;
        }
        let total = claimed.entry((plan.id, m.id)).or_default();
        if *total + r.paid.0 > plan.cap_fen {
            out.error(
                n,
                "赔付金额",
                format!(
                    "该职工在本计划已赔付 {} 元，再赔付 {} 元将超过每人最高 {} 元",
                    Fen(*total),
                    r.paid,
                    Fen(plan.cap_fen)
                ),
            );
            continue;
        }
        *total += r.paid.0;
        keep.push((n, r, plan, m));
    }
    if !should_commit(opts, &out.issues) {
        return Ok(KindResult::from_sheet(sheet, out.issues, None));
    }
    let bad = rows_with_errors(&out.issues);
    keep.retain(|(n, ..)| !bad.contains(n));
    let written = Written {
        inserted: keep.len() as u64,
        updated: 0,
        unchanged,
    };
    if !keep.is_empty() {
        write_claims(reg, actor, &keep).await?;
    }
    Ok(KindResult::from_sheet(sheet, out.issues, Some(written)))
}

async fn write_claims(
    reg: &Registry,
    actor: &Actor,
    keep: &[(usize, ClaimRow, PlanRef, Member)],
) -> AppResult<()> {
    use super::mutual::CASE as CLAIM_CASE;
    let now = crate::db::now_ms();
    let mut by_plan: BTreeMap<i64, Vec<&(usize, ClaimRow, PlanRef, Member)>> = BTreeMap::new();
    for k in keep {
        by_plan.entry(k.2.id).or_default().push(k);
    }
    let mut tx = reg.db.begin_write().await?;
    let backend = tx_backend(&tx);
    let (mut claims, mut events) = (Vec::new(), Vec::new());
    for rows in by_plan.values() {
        let plan = &rows[0].2;
        let books = Books {
            org_id: plan.org_id,
            org_path: plan.org_path.clone(),
        };
        let total: i64 = rows.iter().map(|r| r.1.paid.0).sum();
        let history_account =
            ledger::ensure_account(&mut tx, &books, "mutual:history", "历年互助金", true, now)
                .await?;
        let paid_account =
            ledger::ensure_account(&mut tx, &books, "mutual:paid", "已赔付互助金", false, now)
                .await?;
        let import = new_id();
        let posting = ledger::post(
            &mut tx,
            actor,
            &books,
            &NewPosting {
                on: rows.iter().map(|r| r.1.paid_on).max().expect("rows"),
                memo: format!("历史导入：医疗互助赔付 {} 人次", rows.len()),
                source: Some(("mutual_history", import)),
                idempotency_key: Some(format!("mutual-history:{import}")),
                lines: ledger::transfer(history_account.id, paid_account.id, Fen(total)),
            },
            None,
            now,
        )
        .await?;
        for (_, r, plan, m) in rows {
            // A member enrolled in the plan has the history counted against the cap held there.
            sqlx::query(
                "UPDATE mutual_enrollees SET claimed_fen = claimed_fen + $1 WHERE plan_id = $2 AND member_id = $3",
            )
            .bind(r.paid.0)
            .bind(plan.id)
            .bind(m.id)
            .execute(&mut *tx)
            .await?;
            let id = new_id();
            claims.push(vec![
                Val::I(id),
                Val::I(plan.id),
                Val::I(m.id),
                Val::I(m.org_id),
                Val::T(Some(m.org_path.clone())),
                Val::T(Some(r.illness.clone())),
                Val::T(Some(r.occurred_on.to_string())),
                Val::I(r.expense.0),
                Val::I(r.paid.0),
                Val::T(Some("paid".into())),
                Val::T(Some(r.paid_on.to_string())),
                Val::I(posting),
                Val::I(now),
                Val::I(now),
            ]);
            for (on, action, from, to) in [
                (r.occurred_on, "claim", None, "reviewing"),
                (r.paid_on, "pay", Some("reviewing"), "paid"),
            ] {
                events.push(history::bulk_row(
                    CLAIM_CASE,
                    id,
                    on,
                    BY,
                    action,
                    from,
                    to,
                    "{}".into(),
                ));
            }
        }
    }
    insert_rows(
        &mut tx,
        backend,
        "mutual_claims",
        &[
            "id",
            "plan_id",
            "member_id",
            "org_id",
            "org_path",
            "illness",
            "occurred_on",
            "expense_fen",
            "payable_fen",
            "status",
            "paid_on",
            "posting_id",
            "created_at",
            "updated_at",
        ],
        claims,
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
        Event::new("mutual.history_import").detail(serde_json::json!({"claims": keep.len()})),
    )
    .await?;
    tx.commit().await.map_err(AppError::from)
}
