//! The money ledger, read only (the 经审 view): the accounts of a subtree with their balances,
//! and its postings with their lines.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiScope, parse_id};
use crate::app::AppState;
use crate::error::{AppResult, ErrorBody};
use crate::ledger::{self, LedgerAccount, PostingFilter, PostingView};
use crate::registry::orgs;
use crate::registry::scope::Scope;
use crate::types::parse_date;
use crate::web::hardening::ApiQuery;

/// A union (code): it and the unions below it; default the caller's scope.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountsQuery {
    pub org: Option<String>,
}

async fn within(st: &AppState, scope: &Scope, org: &Option<String>) -> AppResult<Scope> {
    orgs::narrowed(&st.reg.db, scope, org.as_deref()).await
}

#[utoipa::path(get, path = "/api/v1/ledger/accounts", tag = "finance", params(AccountsQuery),
    responses((status = 200, body = [LedgerAccount]), (status = 404, body = ErrorBody)))]
pub async fn list_accounts(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(q): ApiQuery<AccountsQuery>,
) -> AppResult<Json<Vec<LedgerAccount>>> {
    let within = within(&st, &scope, &q.org).await?;
    Ok(Json(ledger::accounts_in(&st.reg.db, &within).await?))
}

/// Which postings: a subtree, one account, a period of posting dates, a page.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostingsQuery {
    pub org: Option<String>,
    /// An account's id: only the postings with a line on it.
    pub account: Option<String>,
    /// First and last day, YYYY-MM-DD.
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostingPage {
    pub total: i64,
    pub rows: Vec<PostingView>,
}

#[utoipa::path(get, path = "/api/v1/ledger/postings", tag = "finance", params(PostingsQuery),
    responses((status = 200, body = PostingPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_postings(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(q): ApiQuery<PostingsQuery>,
) -> AppResult<Json<PostingPage>> {
    let within = within(&st, &scope, &q.org).await?;
    fn text(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let f = PostingFilter {
        id: None,
        account: text(&q.account).map(|a| parse_id(a, "账户")).transpose()?,
        from: text(&q.from).map(parse_date).transpose()?,
        to: text(&q.to).map(parse_date).transpose()?,
    };
    let paging = crate::db::Paging::new(q.page, q.per_page, 50);
    let (rows, total) = ledger::postings_in(&st.reg.db, &within, &f, &paging).await?;
    Ok(Json(PostingPage { total, rows }))
}

/// A posting with the record behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostingDetail {
    pub posting: PostingView,
    /// The record that caused it, as fields (none for a posting that names none).
    pub document: Option<crate::funds::documents::SourceDocument>,
}

#[utoipa::path(get, path = "/api/v1/ledger/postings/{id}", tag = "finance",
    responses((status = 200, body = PostingDetail), (status = 404, body = ErrorBody)))]
pub async fn get_posting(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> AppResult<Json<PostingDetail>> {
    let id = parse_id(&id, "记账凭证")?;
    Ok(Json(posting_detail(&st.reg.db, &scope, id).await?))
}

/// A posting of the scope with its document (also the console's 经审 page).
pub async fn posting_detail(
    db: &crate::db::Db,
    scope: &Scope,
    id: i64,
) -> AppResult<PostingDetail> {
    let f = PostingFilter {
        id: Some(id),
        ..Default::default()
    };
    let (mut rows, _) =
        ledger::postings_in(db, scope, &f, &crate::db::Paging::new(None, None, 1)).await?;
    let posting = rows
        .pop()
        .ok_or_else(|| crate::error::AppError::not_found("记账凭证"))?;
    let document = crate::funds::documents::behind(
        db,
        posting.id,
        posting.source_type.as_deref().zip(posting.source_id),
    )
    .await?;
    Ok(PostingDetail { posting, document })
}
