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
use crate::ledger::{self, Books, Line, NewPosting};
use crate::registry::Registry;
use crate::registry::import::header::{Column, HeaderMap, col};
use crate::registry::import::{
    Checked, ImportOptions, KindResult, RowIssue, Sheet, Written, rows_with_errors, should_commit,
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
    let amount = match Fen::parse(&get("amount")) {
        Ok(f) if f.0 <= 0 => {
            out.error(n, "金额", "金额应大于零");
            None
        }
        Ok(f) if f > Fen::yuan(1_000_000) => {
            out.error(n, "金额", format!("金额 {f} 元超过 100 万元，请核对"));
            None
        }
        Ok(f) => Some(f),
        Err(e) => {
            out.error(n, "金额", e.message());
            None
        }
    };
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
    // The members named, by their ID number's blind index, in chunks.
    let hashes: Vec<Vec<u8>> = out
        .ok
        .iter()
        .map(|(_, r)| {
            reg.keys
                .blind_index(crate::registry::members::ID_DOMAIN, r.id.as_str())
        })
        .collect();
    let mut members: HashMap<Vec<u8>, Member> = HashMap::new();
    for chunk in hashes.chunks(500) {
        let sql = format!(
            "SELECT id_hash, id, name, org_id, org_path FROM members WHERE org_id IS NOT NULL AND id_hash IN ({})",
            crate::db::in_list(chunk.len())
        );
        let mut q = sqlx::query_as::<_, (Vec<u8>, i64, String, i64, String)>(&sql);
        for h in chunk {
            q = q.bind(h.clone());
        }
        for (h, id, name, org_id, org_path) in q.fetch_all(db.pool()).await? {
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
                lines: vec![
                    Line {
                        account_id: source.id,
                        amount: Fen(-total),
                    },
                    Line {
                        account_id: paid_account.id,
                        amount: Fen(total),
                    },
                ],
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
