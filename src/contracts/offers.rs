//! Offers to bargain (要约) in campaigns (春季要约行动, 集中要约季).
//!
//! A campaign of a union names its target employers (by default every employer with a union in
//! its subtree); each target is an offer row, `target` until the union sends the offer. The
//! employer answers within 20 days (集体合同规定 第32条): it agrees to bargain, or declines with
//! its reason; an offer unanswered after the 20 days is shown overdue. 要约覆盖面 = employers
//! offered ÷ target employers.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Event};
use crate::db::bulk::{Val, insert_rows};
use crate::db::{Db, Tx, in_list_from, new_id, now_ms, tx_backend};
use crate::error::{AppError, AppResult};
use crate::registry::scope::{Scope, one_in_scope};
use crate::types::Uscc;
use crate::workflow::deadlines;
use crate::workflow::{self, Named, coded_enum, given, issue};

/// Days an employer has to answer an offer.
pub const ANSWER_DAYS: u32 = 20;
/// The most targets one campaign holds.
pub const MAX_TARGETS: usize = 20_000;

coded_enum! {
    /// Where an offer stands.
    OfferStatus {
        Target = "target", "未发出";
        Sent = "sent", "已发出待回应";
        Accepted = "accepted", "同意协商";
        Declined = "declined", "拒绝协商";
    }
}

/// A campaign as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[schema(as = BargainCampaignInput)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    /// The union running it (code); default the top of the caller's scope.
    pub org_code: Option<String>,
    pub name: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    /// Target employers by 统一社会信用代码; empty: every employer with a union in the subtree.
    #[serde(default)]
    pub employers: Vec<String>,
}

/// A campaign with where its offers stand.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
#[schema(as = BargainCampaign)]
pub struct Campaign {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub targets: i64,
    pub sent: i64,
    pub accepted: i64,
    pub declined: i64,
}

/// A campaign's columns with its offers counted; `offers_in` narrows the counts (a city's
/// campaign on a district's board counts the district's targets).
fn campaign_select(offers_in: &str) -> String {
    let count = |status: &str| {
        format!(
            "(SELECT COUNT(*) FROM bargain_offers f WHERE f.campaign_id = b.id{offers_in}{status})"
        )
    };
    format!(
        "b.id, o.name AS org_name, b.org_path, b.name, b.starts_on, b.ends_on, \
         {} AS targets, {} AS sent, {} AS accepted, {} AS declined \
         FROM bargain_campaigns b JOIN orgs o ON o.id = b.org_id",
        count(""),
        count(" AND f.status <> 'target'"),
        count(" AND f.status = 'accepted'"),
        count(" AND f.status = 'declined'"),
    )
}

/// Offers of the scope bound as $1 and $2.
const OFFERS_IN_SCOPE: &str = " AND f.org_path >= $1 AND f.org_path < $2";

/// An offer as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
#[schema(as = BargainOffer)]
pub struct Offer {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub campaign_id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub unit_id: i64,
    pub unit_name: String,
    pub uscc: String,
    pub status: String,
    pub sent_on: Option<String>,
    pub due_on: Option<String>,
    pub answered_on: Option<String>,
    pub reason: Option<String>,
    pub version: i64,
}

const OFFER_SELECT: &str = "f.id, f.campaign_id, f.unit_id, u.name AS unit_name, u.uscc, f.status, f.sent_on, f.due_on, \
    f.answered_on, f.reason, f.version FROM bargain_offers f JOIN units u ON u.id = f.unit_id";

/// Starts a campaign with its target employers.
pub async fn create_campaign(
    db: &Db,
    actor: &Actor,
    i: &CampaignInput,
    now: i64,
) -> AppResult<Campaign> {
    let mut issues = Vec::new();
    let org = workflow::union_in_scope(
        db,
        &actor.scope,
        "发起工会",
        i.org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let name = given(i.name.as_deref()).map(|n| n.chars().take(100).collect::<String>());
    if name.is_none() {
        issues.push(issue(
            "行动名称",
            "请填写要约行动名称，如“2026年春季要约行动”",
        ));
    }
    let starts = workflow::date("开始日期", i.starts_on.as_deref(), &mut issues);
    let ends = workflow::date("结束日期", i.ends_on.as_deref(), &mut issues);
    if let (Some(s), Some(e)) = (starts, ends)
        && e < s
    {
        issues.push(issue("结束日期", "结束日期不能早于开始日期"));
    }
    let (Some(org), Some(name), Some(starts), Some(ends)) = (org, name, starts, ends) else {
        return Err(AppError::invalid_fields(
            "要约行动有误，请按提示修改",
            issues,
        ));
    };
    let (lo, hi) = crate::registry::scope::Scope::subtree(&org.path).range();
    let targets: Vec<(i64, String)> = if i.employers.is_empty() {
        sqlx::query_as(&format!(
            "SELECT id, org_path FROM units WHERE org_path >= $1 AND org_path < $2 ORDER BY id LIMIT {}",
            MAX_TARGETS + 1
        ))
        .bind(&lo)
        .bind(&hi)
        .fetch_all(db.pool())
        .await?
    } else {
        let mut found = Vec::new();
        for typed in &i.employers {
            let Ok(uscc) = Uscc::parse(typed) else {
                issues.push(issue(
                    "目标单位",
                    format!("统一社会信用代码“{}”不正确", typed.trim()),
                ));
                continue;
            };
            let row: Option<(i64, Option<String>)> =
                sqlx::query_as("SELECT id, org_path FROM units WHERE uscc = $1")
                    .bind(uscc.as_str())
                    .fetch_optional(db.pool())
                    .await?;
            match row {
                Some((id, Some(path))) if path.starts_with(&org.path) => {
                    if !found.iter().any(|(f, _)| *f == id) {
                        found.push((id, path));
                    }
                }
                Some(_) => issues.push(issue(
                    "目标单位",
                    format!(
                        "单位“{}”未建会或不在“{}”的管辖范围内",
                        uscc.as_str(),
                        org.name
                    ),
                )),
                None => issues.push(issue(
                    "目标单位",
                    format!("统一社会信用代码为“{}”的单位不在登记库中", uscc.as_str()),
                )),
            }
        }
        found
    };
    if targets.is_empty() {
        issues.push(issue("目标单位", "没有可列为目标的已建会单位"));
    } else if targets.len() > MAX_TARGETS {
        issues.push(issue(
            "目标单位",
            format!("一次要约行动最多 {MAX_TARGETS} 家单位，请按下级工会分别发起"),
        ));
    }
    if !issues.is_empty() {
        return Err(AppError::invalid_fields(
            "要约行动有误，请按提示修改",
            issues,
        ));
    }
    let id = new_id();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO bargain_campaigns (id, org_id, org_path, name, starts_on, ends_on, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(id)
    .bind(org.id)
    .bind(&org.path)
    .bind(&name)
    .bind(starts.to_string())
    .bind(ends.to_string())
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let rows = targets
        .iter()
        .map(|(unit, path)| {
            vec![
                Val::I(new_id()),
                Val::I(id),
                Val::I(*unit),
                Val::T(Some(path.clone())),
                Val::T(Some(OfferStatus::Target.code().into())),
                Val::I(now),
            ]
        })
        .collect();
    let backend = tx_backend(&tx);
    insert_rows(
        &mut tx,
        backend,
        "bargain_offers",
        &[
            "id",
            "campaign_id",
            "unit_id",
            "org_path",
            "status",
            "updated_at",
        ],
        rows,
    )
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contract.campaign")
            .target("bargain_campaign", id)
            .detail(serde_json::json!({"targets": targets.len()})),
    )
    .await?;
    tx.commit().await?;
    campaign(db, &Scope::all(), id).await
}

/// The campaign `id` if its union is in `scope`.
pub async fn campaign(db: &Db, scope: &Scope, id: i64) -> AppResult<Campaign> {
    one_in_scope(db, &campaign_select(""), "b", id, scope, "要约行动").await
}

/// The campaigns a cadre of `scope` works in, newest first: its subtree's own, and those of
/// unions above that target employers of its subtree (a city's 集中要约季 shows on a district's
/// board, as `campaign_reaching` lets the district open it).
pub async fn campaigns(db: &Db, scope: &Scope) -> AppResult<Vec<Campaign>> {
    let (lo, hi) = scope.range();
    Ok(sqlx::query_as(&format!(
        "SELECT {} WHERE (b.org_path >= $1 AND b.org_path < $2) \
         OR b.id IN (SELECT campaign_id FROM bargain_offers WHERE org_path >= $1 AND org_path < $2) \
         ORDER BY b.starts_on DESC, b.id DESC LIMIT 100",
        campaign_select(OFFERS_IN_SCOPE)
    ))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?)
}

/// The offers of campaign `id` that are in `scope` (a campaign of the city shows a district
/// cadre their district's employers), by status (`overdue`: sent and past the 20 days on
/// `today`), 100 a page.
pub async fn offers(
    db: &Db,
    scope: &Scope,
    id: i64,
    status: Option<&str>,
    page: i64,
    today: NaiveDate,
) -> AppResult<(Vec<Offer>, bool)> {
    let (lo, hi) = scope.range();
    let mut sql = format!(
        "SELECT {OFFER_SELECT} WHERE f.campaign_id = $1 AND f.org_path >= $2 AND f.org_path < $3"
    );
    let mut q_status = None;
    match given(status) {
        None => {}
        Some("overdue") => sql.push_str(" AND f.status = 'sent' AND f.due_on < $4"),
        Some(s) => {
            let s = OfferStatus::parse(s).ok_or_else(|| AppError::invalid("要约状态无法识别"))?;
            sql.push_str(" AND f.status = $4");
            q_status = Some(s.code());
        }
    }
    let page = page.clamp(1, 10_000);
    sql.push_str(&format!(
        " ORDER BY u.name, f.id LIMIT 101 OFFSET {}",
        (page - 1) * 100
    ));
    let mut q = sqlx::query_as::<_, Offer>(&sql).bind(id).bind(lo).bind(hi);
    if let Some(s) = q_status {
        q = q.bind(s);
    } else if status == Some("overdue") {
        q = q.bind(today.to_string());
    }
    let mut rows = q.fetch_all(db.pool()).await?;
    let more = rows.len() > 100;
    rows.truncate(100);
    Ok((rows, more))
}

/// Sending offers.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[schema(as = OfferSendInput)]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    /// The offers (ids); empty: every offer of the campaign in the caller's scope not yet sent.
    #[serde(default)]
    pub offers: Vec<String>,
    /// The day sent (default today).
    pub sent_on: Option<String>,
}

/// Sends the named offers of campaign `id` (or all not yet sent in scope); the answer is due
/// 20 days later. Returns how many were sent now.
pub async fn send(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &SendInput,
    today: NaiveDate,
) -> AppResult<u64> {
    let c = campaign_reaching(db, &actor.scope, id).await?;
    let sent_on = super::contract::step_day(i.sent_on.as_deref(), "发出日期", today)?;
    if sent_on.to_string() < c.starts_on {
        return Err(AppError::invalid(format!(
            "发出日期不能早于行动开始日期（{}）",
            c.starts_on
        )));
    }
    let due = deadlines::due(sent_on, ANSWER_DAYS).to_string();
    let (lo, hi) = actor.scope.range();
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let mut n = 0;
    let base = "UPDATE bargain_offers SET status = 'sent', sent_on = $1, due_on = $2, updated_by = $3, updated_at = $4, version = version + 1 \
                WHERE campaign_id = $5 AND status = 'target' AND org_path >= $6 AND org_path < $7";
    if i.offers.is_empty() {
        n += sqlx::query(base)
            .bind(sent_on.to_string())
            .bind(&due)
            .bind(&actor.name)
            .bind(now)
            .bind(id)
            .bind(&lo)
            .bind(&hi)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    } else {
        let ids: Vec<i64> = i
            .offers
            .iter()
            .map(|s| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| AppError::invalid(format!("要约编号“{s}”不正确")))
            })
            .collect::<AppResult<_>>()?;
        for chunk in ids.chunks(500) {
            let sql = format!("{base} AND id IN ({})", in_list_from(8, chunk.len()));
            let mut q = sqlx::query(&sql)
                .bind(sent_on.to_string())
                .bind(&due)
                .bind(&actor.name)
                .bind(now)
                .bind(id)
                .bind(&lo)
                .bind(&hi);
            for x in chunk {
                q = q.bind(*x);
            }
            n += q.execute(&mut *tx).await?.rows_affected();
        }
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contract.offer_send")
            .target("bargain_campaign", id)
            .detail(serde_json::json!({"sent": n, "on": sent_on.to_string()})),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// An employer's answer to an offer.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[schema(as = OfferAnswerInput)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub version: i64,
    /// `accepted` (同意协商) or `declined` (拒绝协商).
    pub answer: String,
    /// The day answered (default today).
    pub on: Option<String>,
    /// Why it declined (required then).
    pub reason: Option<String>,
}

/// Records the employer's answer to offer `id`.
pub async fn answer(
    db: &Db,
    actor: &Actor,
    id: i64,
    i: &AnswerInput,
    today: NaiveDate,
) -> AppResult<Offer> {
    let offer = offer(db, &actor.scope, id).await?;
    let to = match OfferStatus::parse(i.answer.trim()) {
        Some(s @ (OfferStatus::Accepted | OfferStatus::Declined)) => s,
        _ => return Err(AppError::invalid("回应应为“同意协商”或“拒绝协商”")),
    };
    if offer.status != OfferStatus::Sent.code() {
        return Err(AppError::conflict(
            "OFFER_NOT_SENT",
            format!(
                "这份要约当前为“{}”，不能登记回应",
                OfferStatus::parse(&offer.status).map_or("", |s| s.label())
            ),
        ));
    }
    let on = super::contract::step_day(i.on.as_deref(), "回应日期", today)?;
    if offer
        .sent_on
        .as_deref()
        .is_some_and(|s| on.to_string().as_str() < s)
    {
        return Err(AppError::invalid("回应日期不能早于要约发出日期"));
    }
    let reason = if to == OfferStatus::Declined {
        Some(workflow::required(
            i.reason.as_deref().unwrap_or(""),
            "拒绝理由",
            500,
        )?)
    } else {
        given(i.reason.as_deref()).map(|r| r.chars().take(500).collect())
    };
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let moved = sqlx::query(
        "UPDATE bargain_offers SET status = $1, answered_on = $2, reason = $3, updated_by = $4, updated_at = $5, version = version + 1 \
         WHERE id = $6 AND version = $7 AND status = 'sent'",
    )
    .bind(to.code())
    .bind(on.to_string())
    .bind(reason)
    .bind(&actor.name)
    .bind(now)
    .bind(id)
    .bind(i.version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(AppError::conflict(
            "CASE_CHANGED",
            "这份要约刚刚已被其他人处理，请刷新后查看最新情况",
        ));
    }
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("contract.offer_answer")
            .target("bargain_offer", id)
            .detail(serde_json::json!({"answer": to.code(), "on": on.to_string()})),
    )
    .await?;
    tx.commit().await?;
    self::offer(db, &actor.scope, id).await
}

/// The offer `id` if its employer is in `scope`.
pub async fn offer(db: &Db, scope: &Scope, id: i64) -> AppResult<Offer> {
    one_in_scope(db, OFFER_SELECT, "f", id, scope, "协商要约").await
}

/// A contract drafted from offer `id` must come from an accepted offer to one of its employers.
pub(crate) async fn check_led_to(
    tx: &mut Tx,
    scope: &Scope,
    id: i64,
    units: &[(i64, String)],
) -> AppResult<()> {
    let (lo, hi) = scope.range();
    let found: Option<(i64, String)> = sqlx::query_as(
        "SELECT unit_id, status FROM bargain_offers WHERE id = $1 AND org_path >= $2 AND org_path < $3",
    )
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut **tx)
    .await?;
    let problem = match found {
        None => "协商要约不存在或不在您的管理范围内",
        Some((_, s)) if s != OfferStatus::Accepted.code() => {
            "只有对方同意协商的要约才能据以签订合同"
        }
        Some((u, _)) if !units.iter().any(|(x, _)| *x == u) => {
            "合同覆盖的单位中没有这份要约的对象单位"
        }
        Some(_) => return Ok(()),
    };
    Err(AppError::invalid_fields(
        "集体合同有误，请按提示修改",
        vec![issue("协商要约", problem)],
    ))
}

/// Offers of `scope` sent and unanswered past their 20 days on `today`.
pub async fn overdue_count(db: &Db, scope: &Scope, today: NaiveDate) -> AppResult<i64> {
    let (lo, hi) = scope.range();
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM bargain_offers WHERE org_path >= $1 AND org_path < $2 AND status = 'sent' AND due_on < $3",
    )
    .bind(lo)
    .bind(hi)
    .bind(today.to_string())
    .fetch_one(db.pool())
    .await?)
}

/// A campaign a cadre may see and send offers in: its own subtree's, or one above whose
/// targets include employers of its subtree (every campaign has targets in its own subtree).
pub async fn campaign_reaching(db: &Db, scope: &Scope, id: i64) -> AppResult<Campaign> {
    let (lo, hi) = scope.range();
    sqlx::query_as(&format!(
        "SELECT {} WHERE b.id = $3 AND EXISTS (SELECT 1 FROM bargain_offers f WHERE f.campaign_id = b.id{OFFERS_IN_SCOPE})",
        campaign_select(OFFERS_IN_SCOPE)
    ))
    .bind(lo)
    .bind(hi)
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| AppError::not_found("要约行动"))
}

/// 要约覆盖面 of the subtree at `path` for campaigns running at some time in `[from, to]`:
/// (target employers offered by `to`, target employers), each employer once however many
/// campaigns named it.
pub async fn coverage(
    db: &Db,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<(i64, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    Ok(sqlx::query_as(
        "SELECT COUNT(DISTINCT CASE WHEN f.sent_on IS NOT NULL AND f.sent_on <= $4 THEN f.unit_id END), COUNT(DISTINCT f.unit_id) \
         FROM bargain_offers f JOIN bargain_campaigns b ON b.id = f.campaign_id \
         WHERE f.org_path >= $1 AND f.org_path < $2 AND b.starts_on <= $4 AND b.ends_on >= $3",
    )
    .bind(lo)
    .bind(hi)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_one(db.pool())
    .await?)
}
