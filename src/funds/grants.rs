//! Grants (补助下级工会): money a union gives a union below it from its 工会经费. Posted on both
//! books in one transaction: out of the giver's 工会经费 to 补助下级工会, and into the receiver's
//! 工会经费 from 上级拨付与返还.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{FROM_ABOVE, GRANTS_PAID, INCOME};
use crate::audit::{self, Actor, Event};
use crate::db::{Db, Tx, new_id};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Books, NewPosting};
use crate::registry::orgs;
use crate::registry::scope::Scope;
use crate::types::Fen;
use crate::workflow::{given, issue};

/// Posts money arriving from above on a union's books (from 上级拨付与返还 to 工会经费).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn receive(
    tx: &mut Tx,
    actor: &Actor,
    books: &Books,
    fen: Fen,
    memo: &str,
    source: (&'static str, i64),
    on: NaiveDate,
    now: i64,
) -> AppResult<i64> {
    let above = ledger::ensure_account(tx, books, FROM_ABOVE.0, FROM_ABOVE.1, true, now).await?;
    let income = ledger::ensure_account(tx, books, INCOME.0, INCOME.1, false, now).await?;
    ledger::post(
        tx,
        actor,
        books,
        &NewPosting {
            on,
            memo: memo.to_string(),
            source: Some(source),
            idempotency_key: Some(format!("{}-in:{}", source.0, source.1)),
            lines: ledger::transfer(above.id, income.id, fen),
        },
        None,
        now,
    )
    .await
}

/// A grant as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    /// The giving union (code); default the top of the caller's scope.
    pub from_org_code: Option<String>,
    /// The union below it that receives (code).
    pub to_org_code: Option<String>,
    /// 元.
    pub amount: Option<String>,
    /// What it is for (建家补助、困难职工帮扶补助 …).
    pub purpose: Option<String>,
}

/// A grant as shown.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Grant {
    #[serde(with = "crate::web::id_string")]
    #[schema(value_type = String)]
    pub id: i64,
    pub from_name: String,
    pub to_name: String,
    pub amount_fen: i64,
    pub purpose: String,
    pub granted_on: String,
    pub created_by: String,
}

const GRANT_SELECT: &str = "g.id, a.name AS from_name, b.name AS to_name, g.amount_fen, g.purpose, g.granted_on, g.created_by \
    FROM fund_grants g JOIN orgs a ON a.id = g.from_org_id JOIN orgs b ON b.id = g.to_org_id";

/// Grants money to a union below the giver, from the giver's 工会经费.
pub async fn grant(
    db: &Db,
    actor: &Actor,
    i: &GrantInput,
    today: NaiveDate,
    now: i64,
) -> AppResult<Grant> {
    let mut issues = Vec::new();
    let from = crate::workflow::union_in_scope(
        db,
        &actor.scope,
        "拨付工会",
        i.from_org_code.as_deref(),
        &mut issues,
    )
    .await?;
    let to = match given(i.to_org_code.as_deref()) {
        None => {
            issues.push(issue("受补助工会", "请填写受补助工会的代码"));
            None
        }
        Some(code) => match orgs::get_by_code(db, &actor.scope, code).await {
            Ok(o) => Some(o),
            Err(_) => {
                issues.push(issue(
                    "受补助工会",
                    format!("工会代码“{code}”不存在或不在您的管理范围内"),
                ));
                None
            }
        },
    };
    if let (Some(f), Some(t)) = (&from, &to)
        && (!t.path.starts_with(&f.path) || t.id == f.id)
    {
        issues.push(issue(
            "受补助工会",
            format!("“{}”不是“{}”的下级工会", t.name, f.name),
        ));
    }
    let amount = super::amount("补助金额", i.amount.as_deref().unwrap_or(""))
        .map_err(|m| issues.push(issue("补助金额", m)))
        .ok();
    let purpose = given(i.purpose.as_deref()).map(|p| p.chars().take(200).collect::<String>());
    if purpose.is_none() {
        issues.push(issue("用途", "请填写补助用途"));
    }
    let (Some(from), Some(to), Some(amount), Some(purpose), true) =
        (from, to, amount, purpose, issues.is_empty())
    else {
        return Err(AppError::invalid_fields("补助有误，请按提示修改", issues));
    };
    let id = new_id();
    let books = Books {
        org_id: from.id,
        org_path: from.path.clone(),
    };
    let mut tx = db.begin_write().await?;
    let income = ledger::ensure_account(&mut tx, &books, INCOME.0, INCOME.1, false, now).await?;
    let paid =
        ledger::ensure_account(&mut tx, &books, GRANTS_PAID.0, GRANTS_PAID.1, false, now).await?;
    let from_posting = ledger::post(
        &mut tx,
        actor,
        &books,
        &NewPosting {
            on: today,
            memo: format!("补助{}：{purpose}", to.name),
            source: Some(("fund_grant", id)),
            idempotency_key: Some(format!("fund-grant:{id}")),
            lines: ledger::transfer(income.id, paid.id, amount),
        },
        None,
        now,
    )
    .await?;
    let to_posting = receive(
        &mut tx,
        actor,
        &Books {
            org_id: to.id,
            org_path: to.path.clone(),
        },
        amount,
        &format!("收到{}补助：{purpose}", from.name),
        ("fund_grant", id),
        today,
        now,
    )
    .await?;
    sqlx::query(
        "INSERT INTO fund_grants (id, from_org_id, to_org_id, org_path, amount_fen, purpose, granted_on, from_posting, to_posting, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(id)
    .bind(from.id)
    .bind(to.id)
    .bind(&to.path)
    .bind(amount.0)
    .bind(&purpose)
    .bind(today.to_string())
    .bind(from_posting)
    .bind(to_posting)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record_tx(
        &mut tx,
        actor,
        now,
        Event::new("funds.grant")
            .target("fund_grant", id)
            .detail(serde_json::json!({"to": to.code, "amount_fen": amount.0})),
    )
    .await?;
    tx.commit().await?;
    crate::registry::scope::one_in_scope(db, GRANT_SELECT, "g", id, &Scope::all(), "补助").await
}

/// The grants received in the subtree at `path` in the dates given, newest first.
pub async fn grants_in(
    db: &Db,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
    paging: &crate::db::Paging,
) -> AppResult<(Vec<Grant>, i64)> {
    let (lo, hi) = Scope::subtree(path).range();
    crate::db::paged(
        db,
        GRANT_SELECT,
        "FROM fund_grants g",
        "g.org_path >= $1 AND g.org_path < $2 AND g.granted_on >= $3 AND g.granted_on <= $4",
        "g.granted_on DESC, g.id DESC",
        &[lo, hi, from.to_string(), to.to_string()],
        paging,
    )
    .await
}
