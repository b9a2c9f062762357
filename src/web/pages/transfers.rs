//! Transfers waiting for a decision: the receiving union accepts or declines, the sending
//! union may withdraw.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};

use super::Form;
use serde::Deserialize;

use super::{Ctx, PageResult, Shell, done, field, render};
use crate::app::AppState;
use crate::auth::permissions::Perm;
use crate::registry::transfers::{self, Decision, Transfer};
use crate::web::api::parse_id;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/transfers", get(list))
        .route("/transfers/{id}/accept", post(accept))
        .route("/transfers/{id}/decline", post(decline))
        .route("/transfers/{id}/cancel", post(cancel))
}

#[derive(Template)]
#[template(path = "members/transfers.html")]
struct ListPage {
    shell: Shell,
    incoming: Vec<Transfer>,
    outgoing: Vec<Transfer>,
    /// How many in all on each side (the lists show the latest hundred).
    totals: (i64, i64),
    can_write: bool,
}

impl ListPage {
    fn sections(&self) -> [(&'static str, &[Transfer], bool, i64); 2] {
        [
            ("转入本范围的申请", &self.incoming, true, self.totals.0),
            ("从本范围转出的申请", &self.outgoing, false, self.totals.1),
        ]
    }
}

async fn list(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    let scope = &ctx.caller.scope;
    render(ListPage {
        shell: ctx.shell("转会", "transfers"),
        incoming: transfers::list(&st.reg.db, scope, true, 100).await?,
        outgoing: transfers::list(&st.reg.db, scope, false, 100).await?,
        totals: (
            transfers::count(&st.reg.db, scope, true).await?,
            transfers::count(&st.reg.db, scope, false).await?,
        ),
        can_write: ctx.can(Perm::MemberWrite),
    })
}

#[derive(Deserialize)]
struct NoteForm {
    note: Option<String>,
    /// Accepting: the member's new employer (credit code).
    unit_uscc: Option<String>,
}

async fn decide(st: AppState, ctx: Ctx, id: String, decision: Decision, f: NoteForm) -> PageResult {
    let id = parse_id(&id, "转会申请")?;
    let note = field(&f.note).unwrap_or_default();
    transfers::decide(
        &st.reg.db,
        &ctx.caller.actor(&st.reg.keys),
        id,
        decision,
        &note,
        field(&f.unit_uscc).as_deref(),
    )
    .await?;
    let notice = match decision {
        Decision::Accept => "transfer_accepted",
        Decision::Decline => "transfer_declined",
        Decision::Cancel => "transfer_cancelled",
    };
    done("/transfers", notice)
}

async fn accept(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> PageResult {
    decide(st, ctx, id, Decision::Accept, f).await
}

async fn decline(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> PageResult {
    decide(st, ctx, id, Decision::Decline, f).await
}

async fn cancel(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> PageResult {
    decide(st, ctx, id, Decision::Cancel, f).await
}
