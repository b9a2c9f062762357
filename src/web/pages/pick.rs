//! Pickers: wherever a union or an employer is chosen, the console suggests them as the cadre
//! types a name, a code or its pinyin (`assets/app.js` shows the suggestions; without script
//! the field still takes a code). Each list holds only what the chooser may choose:
//! - unions in the caller's part of the hierarchy (filters, import scope, the member form:
//!   there only unions that take members);
//! - any union that takes members, as the receiving side of a transfer;
//! - any union, for the administrators binding an account (who also browse the tree);
//! - employers the caller sees.

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::{Ctx, PageResult, Shell, field, org_kind_label, render};
use crate::app::AppState;
use crate::registry::orgs::{self, Org};
use crate::registry::scope::Scope;
use crate::registry::units::{self, UnitFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pick/unions", get(unions))
        .route("/pick/receiving-unions", get(receiving_unions))
        .route("/pick/account-unions", get(account_unions))
        .route("/pick/employers", get(employers))
        .route("/pick/tree", get(tree))
}

/// One suggestion: what goes into the field, what the cadre reads, and a note.
#[derive(Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub note: String,
}

#[derive(Deserialize)]
struct PickQuery {
    q: Option<String>,
    /// `1`: only unions that take members.
    members: Option<String>,
}

const SUGGESTIONS: i64 = 10;

fn org_choices(found: Vec<Org>) -> PageResult {
    let list: Vec<Choice> = found
        .into_iter()
        .map(|o| Choice {
            note: format!("{} · {}", org_kind_label(&o.kind), o.code),
            value: o.code,
            label: o.name,
        })
        .collect();
    Ok(Json(list).into_response())
}

async fn unions(State(st): State<AppState>, ctx: Ctx, Query(p): Query<PickQuery>) -> PageResult {
    let typed = field(&p.q).unwrap_or_default();
    let members_only = p.members.as_deref() == Some("1");
    org_choices(
        orgs::pick(
            &st.reg.db,
            &ctx.caller.scope,
            &typed,
            members_only,
            SUGGESTIONS,
        )
        .await?,
    )
}

async fn receiving_unions(State(st): State<AppState>, Query(p): Query<PickQuery>) -> PageResult {
    let typed = field(&p.q).unwrap_or_default();
    org_choices(orgs::pick(&st.reg.db, &Scope::all(), &typed, true, SUGGESTIONS).await?)
}

async fn account_unions(State(st): State<AppState>, Query(p): Query<PickQuery>) -> PageResult {
    let typed = field(&p.q).unwrap_or_default();
    org_choices(orgs::pick(&st.reg.db, &Scope::all(), &typed, false, SUGGESTIONS).await?)
}

async fn employers(State(st): State<AppState>, ctx: Ctx, Query(p): Query<PickQuery>) -> PageResult {
    let f = UnitFilter {
        q: field(&p.q),
        per_page: Some(SUGGESTIONS),
        ..Default::default()
    };
    let (found, _) = units::page(&st.reg.db, &ctx.caller.scope, &f).await?;
    let list: Vec<Choice> = found
        .into_iter()
        .map(|u| Choice {
            note: match &u.org_name {
                Some(o) => format!("{} · {o}", u.uscc),
                None => format!("{} · 未建会", u.uscc),
            },
            value: u.uscc,
            label: u.name,
        })
        .collect();
    Ok(Json(list).into_response())
}

#[derive(Template)]
#[template(path = "pick_tree.html")]
struct TreePage {
    shell: Shell,
    /// The union looked into (none: the top of the hierarchy), with the way down to it.
    current: Option<Org>,
    trail: Vec<Org>,
    children: Vec<(Org, i64)>,
    back: String,
}

impl TreePage {
    fn kind(&self, k: &str) -> &'static str {
        org_kind_label(k)
    }

    /// The form the choice goes back to, with the chosen code.
    fn choose(&self, code: &str) -> String {
        let sep = if self.back.contains('?') { '&' } else { '?' };
        format!(
            "{}{sep}{}",
            self.back,
            serde_urlencoded::to_string([("org_code", code)]).unwrap_or_default()
        )
    }

    fn look(&self, code: &str) -> String {
        format!(
            "/pick/tree?{}",
            serde_urlencoded::to_string([("root", code), ("back", self.back.as_str())])
                .unwrap_or_default()
        )
    }
}

#[derive(Deserialize)]
struct TreeQuery {
    root: Option<String>,
    back: Option<String>,
}

/// The account forms a choice may go back to (nothing else: the link must not lead away).
fn safe_back(back: Option<String>) -> String {
    back.filter(|b| {
        (b == "/accounts/new"
            || (b.starts_with("/accounts/") && b[10..].bytes().all(|c| c.is_ascii_digit())))
            && !b.contains("//")
    })
    .unwrap_or_else(|| "/accounts/new".into())
}

/// The union tree for administrators binding an account: one level at a time, each union
/// chosen with one click.
async fn tree(State(st): State<AppState>, ctx: Ctx, Query(q): Query<TreeQuery>) -> PageResult {
    let db = &st.reg.db;
    let all = Scope::all();
    let current = match field(&q.root) {
        Some(code) => Some(orgs::get_by_code(db, &all, &code).await?),
        None => None,
    };
    let trail = match &current {
        Some(o) => orgs::ancestors_of(db, o).await?,
        None => Vec::new(),
    };
    let children = orgs::children_with_counts(db, current.as_ref()).await?;
    render(TreePage {
        shell: ctx.shell("选择工会", "accounts"),
        current,
        trail,
        children,
        back: safe_back(q.back),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_goes_back_only_to_an_account_form() {
        assert_eq!(safe_back(Some("/accounts/new".into())), "/accounts/new");
        assert_eq!(safe_back(Some("/accounts/123".into())), "/accounts/123");
        assert_eq!(
            safe_back(Some("https://evil.example/".into())),
            "/accounts/new"
        );
        assert_eq!(safe_back(Some("//evil.example".into())), "/accounts/new");
        assert_eq!(
            safe_back(Some("/accounts/1/../../x".into())),
            "/accounts/new"
        );
        assert_eq!(safe_back(None), "/accounts/new");
    }
}
