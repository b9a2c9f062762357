//! The files on a case page (a petition, a dispute, a mutual-aid claim, a contract): upload, download,
//! remove with a reason. The case is checked to be in the caller's scope first; a refused file
//! shows its reason on the case page.

use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::casework::{dispute_page, petition_page};
use super::contracts::contract_page;
use super::mutual::claim_page;
use super::{Ctx, Form, PageResult, done, render_status};
use crate::app::AppState;
use crate::attachments::{self, Attachment, Owner};
use crate::casework::{MODULE, disputes, petitions};
use crate::error::{AppError, AppResult};
use crate::web::api::files::multipart_refused;
use crate::web::api::parse_id;

pub fn router(max_bytes: usize) -> Router<AppState> {
    let mut router = Router::new();
    for case in [Case::Petition, Case::Dispute, Case::Claim, Case::Contract] {
        let base = case.route();
        router = router
            .route(
                &format!("{base}/attachments"),
                post(
                    move |st: State<AppState>, ctx: Ctx, Path(id): Path<String>, mp| {
                        add_file(case, st, ctx, id, mp)
                    },
                )
                // Room for the form's boundaries around the largest file taken.
                .layer(DefaultBodyLimit::max(max_bytes + 64 * 1024)),
            )
            .route(
                &format!("{base}/attachments/{{file}}"),
                get(
                    move |st: State<AppState>, ctx: Ctx, Path(p): Path<(String, String)>| {
                        get_file(case, st, ctx, p)
                    },
                ),
            )
            .route(
                &format!("{base}/attachments/{{file}}/remove"),
                post(
                    move |st: State<AppState>, ctx: Ctx, Path(p): Path<(String, String)>, f| {
                        remove_file(case, st, ctx, p, f)
                    },
                ),
            );
    }
    router
}

/// The files panel of a case page (`templates/attachments/panel.html`).
pub struct FilesPanel {
    pub list: Vec<Attachment>,
    /// The case page's path; the files are under `{base}/attachments`.
    pub base: String,
    pub endings: String,
    pub accept: String,
    pub max_mb: u64,
}

impl FilesPanel {
    pub async fn of(st: &AppState, owner: Owner, base: String) -> AppResult<Self> {
        Ok(FilesPanel {
            list: attachments::list(&st.reg.db, owner).await?,
            base,
            endings: attachments::accepted_endings(),
            accept: attachments::accept_attr(),
            max_mb: st.config.attachment_max_mb,
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Case {
    Petition,
    Dispute,
    /// A mutual-aid claim: its invoices and discharge summary.
    Claim,
    /// A collective contract: its signed text, the vote's minutes, the authority's decision.
    Contract,
}

impl Case {
    /// The case page's route.
    fn route(self) -> &'static str {
        match self {
            Case::Petition => "/casework/{id}",
            Case::Dispute => "/casework/disputes/{id}",
            Case::Claim => "/mutual/claims/{id}",
            Case::Contract => "/contracts/{id}",
        }
    }

    async fn owner(self, st: &AppState, ctx: &Ctx, id: &str) -> AppResult<(i64, Owner)> {
        let (db, scope) = (&st.reg.db, &ctx.caller.scope);
        Ok(match self {
            Case::Petition => {
                ctx.caller.must_work_on(MODULE)?;
                let id = parse_id(id, "诉求")?;
                (id, petitions::files_of(db, scope, id).await?)
            }
            Case::Dispute => {
                ctx.caller.must_work_on(MODULE)?;
                let id = parse_id(id, "案件")?;
                (id, disputes::files_of(db, scope, id).await?)
            }
            Case::Claim => {
                ctx.caller.must_work_on(crate::aid::mutual::MODULE)?;
                let id = parse_id(id, "理赔")?;
                (id, crate::aid::mutual::files_of(db, scope, id).await?)
            }
            Case::Contract => {
                ctx.caller.must_work_on(crate::contracts::MODULE)?;
                let id = parse_id(id, "集体合同")?;
                (
                    id,
                    crate::contracts::contract::files_of(db, scope, id).await?,
                )
            }
        })
    }

    fn page(self, id: i64) -> String {
        match self {
            Case::Petition => format!("/casework/{id}"),
            Case::Dispute => format!("/casework/disputes/{id}"),
            Case::Claim => format!("/mutual/claims/{id}"),
            Case::Contract => format!("/contracts/{id}"),
        }
    }

    /// The case page again with what was wrong; a case gone from scope stays an error page.
    async fn refused(self, st: &AppState, ctx: &Ctx, id: i64, e: AppError) -> PageResult {
        if !e.status().is_client_error() || e.status() == StatusCode::NOT_FOUND {
            return Err(e.into());
        }
        let message = Some(e.message().to_string());
        match self {
            Case::Petition => render_status(e.status(), petition_page(st, ctx, id, message).await?),
            Case::Dispute => render_status(e.status(), dispute_page(st, ctx, id, message).await?),
            Case::Claim => render_status(e.status(), claim_page(st, ctx, id, message).await?),
            Case::Contract => render_status(e.status(), contract_page(st, ctx, id, message).await?),
        }
    }
}

async fn read_file(
    limit: usize,
    mp: Result<Multipart, MultipartRejection>,
) -> AppResult<(String, Vec<u8>)> {
    let mut mp = mp.map_err(|e| AppError::bad_request(format!("上传内容有误：{e}")))?;
    let refused = |e| multipart_refused(e, limit, attachments::too_large);
    let mut found = None;
    while let Some(field) = mp.next_field().await.map_err(refused)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            found = Some((name, field.bytes().await.map_err(refused)?.to_vec()));
        }
    }
    found
        .filter(|(name, _)| !name.is_empty())
        .ok_or_else(|| AppError::invalid("请选择要上传的文件"))
}

async fn add_file(
    case: Case,
    State(st): State<AppState>,
    ctx: Ctx,
    id: String,
    mp: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let (id, owner) = case.owner(&st, &ctx, &id).await?;
    let limit = st.attachment_max_bytes();
    let added = async {
        let (name, bytes) = read_file(limit, mp).await?;
        attachments::add(
            &st.reg.db,
            &st.reg.keys,
            &ctx.caller.actor(&st.reg.keys),
            owner,
            attachments::Sent {
                name: &name,
                bytes: &bytes,
            },
            limit,
            st.auth.now(),
        )
        .await
    }
    .await;
    match added {
        Ok(_) => done(&case.page(id), "file_added"),
        Err(e) => case.refused(&st, &ctx, id, e).await,
    }
}

async fn get_file(
    case: Case,
    State(st): State<AppState>,
    ctx: Ctx,
    (id, file): (String, String),
) -> PageResult {
    let (_, owner) = case.owner(&st, &ctx, &id).await?;
    let (meta, bytes) = attachments::content(
        &st.reg.db,
        &st.reg.keys,
        &ctx.caller.actor(&st.reg.keys),
        owner,
        parse_id(&file, "附件")?,
        st.auth.now(),
    )
    .await?;
    Ok(crate::web::api::attachment(
        &meta.file_name,
        &meta.mime,
        bytes,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct RemoveForm {
    reason: Option<String>,
}

async fn remove_file(
    case: Case,
    State(st): State<AppState>,
    ctx: Ctx,
    (id, file): (String, String),
    Form(f): Form<RemoveForm>,
) -> PageResult {
    let (id, owner) = case.owner(&st, &ctx, &id).await?;
    let file = parse_id(&file, "附件")?;
    let removed = attachments::remove(
        &st.reg.db,
        &ctx.caller.actor(&st.reg.keys),
        owner,
        file,
        f.reason.as_deref().unwrap_or(""),
        st.auth.now(),
    )
    .await;
    match removed {
        Ok(_) => done(&case.page(id), "file_removed"),
        Err(e) => case.refused(&st, &ctx, id, e).await,
    }
}
