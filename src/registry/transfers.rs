//! Transfers (转会) between unions as requests: the sending union starts one, the receiving
//! union accepts (the membership moves on the requested date) or declines it; the sender may
//! withdraw it while it waits. At most one request per member waits at a time.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::FromRow;

use super::counters;
use super::members::{self, check_member_union};
use super::orgs::{self, Org};
use super::scope::Scope;
use crate::audit::{self, Actor, Event};
use crate::db::{Db, Tx, new_id, now_ms};
use crate::error::{AppError, AppResult};

/// A transfer request as both sides see it (the member's ID number masked).
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct Transfer {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub id_masked: String,
    pub from_code: String,
    pub from_name: String,
    pub from_path: String,
    pub to_code: String,
    pub to_name: String,
    pub to_path: String,
    pub on_date: String,
    pub status: String,
    pub note: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
}

/// A transfer request as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferView {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub member_id: i64,
    pub member_name: String,
    pub id_masked: String,
    pub from_code: String,
    pub from_name: String,
    pub to_code: String,
    pub to_name: String,
    /// The date the membership moves, when accepted.
    pub on_date: String,
    /// `pending` (待接收), `accepted`, `declined` or `cancelled`.
    pub status: String,
    pub status_label: String,
    pub note: String,
    pub requested_by: String,
    /// Milliseconds since the Unix epoch.
    pub requested_at: i64,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
}

impl From<&Transfer> for TransferView {
    fn from(t: &Transfer) -> TransferView {
        TransferView {
            id: t.id,
            member_id: t.member_id,
            member_name: t.member_name.clone(),
            id_masked: t.id_masked.clone(),
            from_code: t.from_code.clone(),
            from_name: t.from_name.clone(),
            to_code: t.to_code.clone(),
            to_name: t.to_name.clone(),
            on_date: t.on_date.clone(),
            status: t.status.clone(),
            status_label: t.status_label().to_string(),
            note: t.note.clone(),
            requested_by: t.requested_by.clone(),
            requested_at: t.requested_at,
            decided_by: t.decided_by.clone(),
            decision_note: t.decision_note.clone(),
        }
    }
}

impl Transfer {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "pending" => "待接收",
            "accepted" => "已接收",
            "declined" => "已退回",
            "cancelled" => "已撤回",
            _ => "未知",
        }
    }
}

const SELECT: &str = "SELECT t.id, t.member_id, m.name AS member_name, m.id_masked, f.code AS from_code, f.name AS from_name, f.path AS from_path, \
    o.code AS to_code, o.name AS to_name, o.path AS to_path, t.on_date, t.status, t.note, t.requested_by, t.requested_at, t.decided_by, t.decision_note \
    FROM transfers t JOIN members m ON m.id = t.member_id JOIN orgs f ON f.id = t.from_org_id JOIN orgs o ON o.id = t.to_org_id";

/// Starts a transfer of a member of the actor's subtree to another union (anywhere).
pub async fn request(
    db: &Db,
    actor: &Actor,
    member_id: i64,
    to_code: &str,
    on: NaiveDate,
    note: &str,
) -> AppResult<i64> {
    let (actor2, to_code, note) = (
        actor.clone(),
        to_code.trim().to_string(),
        note.trim().chars().take(200).collect::<String>(),
    );
    let backend = db.backend();
    db.write(move |tx| {
        let (actor, to_code, note) = (actor2.clone(), to_code.clone(), note.clone());
        Box::pin(async move {
            let (_, from_org, start, _) = open_membership(tx, &actor.scope, member_id).await?;
            if to_code.is_empty() {
                return Err(AppError::invalid("请填写转入工会代码"));
            }
            let to = orgs::get_by_code_tx(tx, &Scope::all(), &to_code)
                .await
                .map_err(|_| AppError::invalid(format!("转入工会代码“{to_code}”不存在")))?;
            check_member_union(&to)?;
            if to.id == from_org {
                return Err(AppError::invalid("转入工会与当前所在工会相同"));
            }
            check_date(on, &start)?;
            let pending: Option<i64> = sqlx::query_scalar("SELECT id FROM transfers WHERE member_id = $1 AND status = 'pending'")
                .bind(member_id)
                .fetch_optional(&mut **tx)
                .await?;
            if pending.is_some() {
                return Err(AppError::conflict("TRANSFER_PENDING", "此会员已有一份待接收的转会申请，请先等待处理或撤回"));
            }
            let id = new_id();
            sqlx::query(
                "INSERT INTO transfers (id, member_id, from_org_id, to_org_id, on_date, status, note, requested_by, requested_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8)",
            )
            .bind(id)
            .bind(member_id)
            .bind(from_org)
            .bind(to.id)
            .bind(on.to_string())
            .bind(&note)
            .bind(&actor.name)
            .bind(now_ms())
            .execute(&mut **tx)
            .await?;
            let detail = serde_json::json!({ "member_id": member_id.to_string(), "to_org": to.code, "on": on.to_string() });
            audit::append_tx(tx, backend, &actor, now_ms(), Event::new("transfer.request").target("transfer", id).detail(detail)).await?;
            Ok(id)
        })
    })
    .await
}

/// The member's open membership, if the member is in `scope`: (membership id, org id, start, retained).
async fn open_membership(
    tx: &mut Tx,
    scope: &Scope,
    member_id: i64,
) -> AppResult<(i64, i64, String, i64)> {
    let path: Option<Option<String>> =
        sqlx::query_scalar("SELECT org_path FROM members WHERE id = $1")
            .bind(member_id)
            .fetch_optional(&mut **tx)
            .await?;
    if !path.flatten().is_some_and(|p| scope.contains(&p)) {
        return Err(AppError::not_found("会员"));
    }
    sqlx::query_as("SELECT id, org_id, start_date, retained FROM memberships WHERE member_id = $1 AND end_date IS NULL")
        .bind(member_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| AppError::conflict("NOT_A_MEMBER", "此人目前没有会籍，无法办理转会"))
}

fn check_date(on: NaiveDate, start: &str) -> AppResult<()> {
    if on.to_string().as_str() < start {
        return Err(AppError::invalid(format!(
            "转会日期不能早于本段会籍的开始日期{start}"
        )));
    }
    if on > chrono::Local::now().date_naive() {
        return Err(AppError::invalid("转会日期不能晚于今天"));
    }
    Ok(())
}

/// What the deciding side does with a waiting request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The receiving union takes the member.
    Accept,
    /// The receiving union refuses.
    Decline,
    /// The sending union withdraws its request.
    Cancel,
}

/// Decides a waiting request. Accept and decline belong to the receiving union's subtree,
/// cancel to the sending union's; anyone else gets "not found". Accepting also sets the
/// member's employer: `new_unit` (a credit code the receiving side may see), or none, the old
/// employer belonging to the union the member leaves.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: i64,
    decision: Decision,
    note: &str,
    new_unit: Option<&str>,
) -> AppResult<Transfer> {
    let new_unit = match new_unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(uscc) if decision == Decision::Accept => {
            let uscc = crate::types::Uscc::parse(uscc)?;
            let unit = super::units::get_by_uscc(db, &actor.scope, uscc.as_str())
                .await
                .map_err(|_| {
                    AppError::invalid(format!(
                        "统一社会信用代码为“{}”的单位不存在或不在您的管理范围内",
                        uscc.as_str()
                    ))
                })?;
            Some((unit.id, unit.uscc))
        }
        _ => None,
    };
    let (actor2, note) = (
        actor.clone(),
        note.trim().chars().take(200).collect::<String>(),
    );
    let backend = db.backend();
    db.write(move |tx| {
        let (actor, note, new_unit) = (actor2.clone(), note.clone(), new_unit.clone());
        Box::pin(async move {
            let t: Transfer = sqlx::query_as(&format!("{SELECT} WHERE t.id = $1"))
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| AppError::not_found("转会申请"))?;
            let side = if decision == Decision::Cancel { &t.from_path } else { &t.to_path };
            if !actor.scope.contains(side) {
                return Err(AppError::not_found("转会申请"));
            }
            let status = match decision {
                Decision::Accept => "accepted",
                Decision::Decline => "declined",
                Decision::Cancel => "cancelled",
            };
            // Only a waiting request changes, once: a second click or a concurrent decision finds nothing.
            let changed = sqlx::query(
                "UPDATE transfers SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 WHERE id = $5 AND status = 'pending'",
            )
            .bind(status)
            .bind(&actor.name)
            .bind(now_ms())
            .bind(&note)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Err(AppError::conflict("TRANSFER_DECIDED", format!("这份转会申请已{}，不能再处理", t.status_label())));
            }
            if decision == Decision::Accept {
                let (ms_id, org_id, start, retained) = open_membership(tx, &Scope::all(), t.member_id).await?;
                let from: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1").bind(&t.from_code).fetch_one(&mut **tx).await?;
                if org_id != from {
                    return Err(AppError::conflict("TRANSFER_STALE", "会员的所在工会已经变化，这份申请已失效，请退回"));
                }
                let to: Org = orgs::get_by_code_tx(tx, &Scope::all(), &t.to_code).await?;
                check_member_union(&to)?;
                let on = crate::types::parse_date(&t.on_date)?;
                if t.on_date < start {
                    return Err(AppError::conflict("TRANSFER_STALE", "会员的会籍已经变化，这份申请已失效，请退回"));
                }
                let before = counters::load_person(tx, t.member_id).await?;
                sqlx::query("UPDATE memberships SET end_date = $1, end_reason = 'transfer_out' WHERE id = $2")
                    .bind(&t.on_date)
                    .bind(ms_id)
                    .execute(&mut **tx)
                    .await?;
                members::open_membership_tx(tx, t.member_id, &to, on, "transfer_in", retained).await?;
                let status = if retained == 1 { "retired" } else { "active" };
                members::set_current_tx(tx, t.member_id, status, Some(&to), Some(on)).await?;
                sqlx::query("UPDATE members SET unit_id = $1, updated_at = $2 WHERE id = $3")
                    .bind(new_unit.as_ref().map(|(id, _)| *id))
                    .bind(now_ms())
                    .bind(t.member_id)
                    .execute(&mut **tx)
                    .await?;
                counters::settle(tx, t.member_id, &before).await?;
            }
            let mut detail = serde_json::json!({ "member_id": t.member_id.to_string(), "from_org": t.from_code, "to_org": t.to_code, "on": t.on_date, "note": crate::crypto::mask_personal_in_text(&note) });
            if decision == Decision::Accept {
                detail["unit"] = serde_json::json!(new_unit.as_ref().map(|(_, uscc)| uscc.clone()));
            }
            audit::append_tx(tx, backend, &actor, now_ms(), Event::new(match decision {
                Decision::Accept => "transfer.accept",
                Decision::Decline => "transfer.decline",
                Decision::Cancel => "transfer.cancel",
            }).target("transfer", id).detail(detail)).await?;
            Ok(())
        })
    })
    .await?;
    get(db, id).await
}

/// A request one of whose sides is in `scope`, else "not found".
pub async fn get_in_scope(db: &Db, scope: &Scope, id: i64) -> AppResult<Transfer> {
    let t: Option<Transfer> = sqlx::query_as(&format!("{SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    t.filter(|t| scope.contains(&t.from_path) || scope.contains(&t.to_path))
        .ok_or_else(|| AppError::not_found("转会申请"))
}

async fn get(db: &Db, id: i64) -> AppResult<Transfer> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_one(db.pool())
        .await?)
}

/// Requests touching the scope: coming in (to a union in it) and going out (from a union in
/// it), waiting ones first, then the most recent decided ones.
pub async fn list(db: &Db, scope: &Scope, incoming: bool, limit: i64) -> AppResult<Vec<Transfer>> {
    let (lo, hi) = scope.range();
    let side = if incoming { "o" } else { "f" };
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE {side}.path >= $1 AND {side}.path < $2 \
         ORDER BY CASE WHEN t.status = 'pending' THEN 0 ELSE 1 END, t.requested_at DESC LIMIT {}",
        limit.clamp(1, 500)
    ))
    .bind(lo)
    .bind(hi)
    .fetch_all(db.pool())
    .await?)
}

/// How many requests touch the scope on one side (all of them, as [`list`] shows the latest).
pub async fn count(db: &Db, scope: &Scope, incoming: bool) -> AppResult<i64> {
    let (lo, hi) = scope.range();
    let side = if incoming { "to_org_id" } else { "from_org_id" };
    Ok(sqlx::query_scalar(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM transfers t JOIN orgs o ON o.id = t.{side} \
         WHERE o.path >= $1 AND o.path < $2"
    ))
    .bind(lo)
    .bind(hi)
    .fetch_one(db.pool())
    .await?)
}

/// The waiting request of a member in scope, if any.
pub async fn pending_for(db: &Db, member_id: i64) -> AppResult<Option<Transfer>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE t.member_id = $1 AND t.status = 'pending'"
    ))
    .bind(member_id)
    .fetch_optional(db.pool())
    .await?)
}
