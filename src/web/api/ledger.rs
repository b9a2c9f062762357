//! The money ledger, read only (the 经审 view): the accounts of a subtree with their balances,
//! and its postings with their lines.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiScope, parse_id};
use crate::app::AppState;
use crate::error::{AppResult, ErrorBody};
use crate::ledger::{self, AccountView, PostingFilter, PostingView};
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
    responses((status = 200, body = [AccountView]), (status = 404, body = ErrorBody)))]
pub async fn list_accounts(
    State(st): State<AppState>,
    ApiScope(scope): ApiScope,
    ApiQuery(q): ApiQuery<AccountsQuery>,
) -> AppResult<Json<Vec<AccountView>>> {
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
        account: text(&q.account).map(|a| parse_id(a, "账户")).transpose()?,
        from: text(&q.from).map(parse_date).transpose()?,
        to: text(&q.to).map(parse_date).transpose()?,
    };
    let paging = crate::db::Paging::new(q.page, q.per_page, 50);
    let (rows, total) = ledger::postings_in(&st.reg.db, &within, &f, &paging).await?;
    Ok(Json(PostingPage { total, rows }))
}
