//! The import wizard: download a template → upload → the file is checked without writing
//! (header mapping, every row error, an XLSX error report) → confirm → progress → result.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::routing::{get, post};

use super::Form;
use serde::Deserialize;

use super::{Ctx, PageResult, Shell, render, render_status};
use crate::app::AppState;
use crate::error::AppError;
use crate::registry::import::{ImportKind, ImportOptions};
use crate::registry::jobs::{JobState, JobStatus};
use crate::web::api::{parse_id, upload_refused};
use axum::response::IntoResponse;

pub fn router(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/imports", get(start_page))
        .route(
            "/imports",
            post(upload).layer(DefaultBodyLimit::max(max_bytes)),
        )
        .route("/imports/{id}", get(job_page))
        .route("/imports/{id}/confirm", post(confirm))
}

#[derive(Template)]
#[template(path = "imports/start.html")]
struct StartPage {
    shell: Shell,
    max_mb: u64,
    error: Option<String>,
}

async fn start_page(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    render(StartPage {
        shell: ctx.shell("批量导入", "imports"),
        max_mb: st.config.import_max_mb,
        error: None,
    })
}

async fn upload(
    State(st): State<AppState>,
    ctx: Ctx,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let result = async {
        let mut mp = mp.map_err(|e| AppError::bad_request(format!("上传内容有误：{e}")))?;
        let (mut kind, mut file, mut blank_unknown) = (None, None, false);
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| upload_refused(st.import_max_bytes(), e))?
        {
            match field.name() {
                Some("kind") => {
                    kind = Some(
                        field
                            .text()
                            .await
                            .map_err(|e| upload_refused(st.import_max_bytes(), e))?,
                    )
                }
                Some("blank_unknown_values") => blank_unknown = true,
                Some("file") => {
                    let name = field.file_name().unwrap_or("upload").to_string();
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|e| upload_refused(st.import_max_bytes(), e))?;
                    file = Some((name, bytes.to_vec()));
                }
                _ => {}
            }
        }
        let kind = ImportKind::parse(kind.as_deref().unwrap_or(""))?;
        let (name, data) = file
            .filter(|(_, d)| !d.is_empty())
            .ok_or_else(|| AppError::invalid("请选择要导入的文件"))?;
        let opts = ImportOptions {
            dry_run: true,
            blank_unknown_values: blank_unknown,
            ..ImportOptions::default()
        };
        Ok::<_, AppError>(st.jobs.start(
            st.reg.clone(),
            ctx.caller.actor(&st.reg.keys),
            kind,
            name,
            data,
            opts,
        ))
    }
    .await;
    match result {
        Ok(id) => Ok(axum::response::Redirect::to(&format!("/imports/{id}")).into_response()),
        Err(e) if e.status().is_client_error() => {
            let page = StartPage {
                shell: ctx.shell("批量导入", "imports"),
                max_mb: st.config.import_max_mb,
                error: Some(e.message().into()),
            };
            render_status(e.status(), page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "imports/job.html")]
struct JobPage {
    shell: Shell,
    job: JobStatus,
    running: bool,
    can_confirm: bool,
}

async fn job_page(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id, "导入任务")?;
    let job = st
        .jobs
        .status(id, &ctx.caller.scope)
        .ok_or_else(|| AppError::not_found("导入任务"))?;
    let running = matches!(job.state, JobState::Running);
    let can_confirm = job
        .outcome
        .as_ref()
        .is_some_and(|o| o.dry_run && o.rows_valid > 0);
    render(JobPage {
        shell: ctx.shell("批量导入", "imports"),
        job,
        running,
        can_confirm,
    })
}

#[derive(Deserialize)]
struct ConfirmForm {
    skip_invalid: Option<String>,
}

async fn confirm(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> PageResult {
    let id = parse_id(&id, "导入任务")?;
    let new = st
        .jobs
        .confirm(
            st.reg.clone(),
            ctx.caller.actor(&st.reg.keys),
            id,
            f.skip_invalid.is_some(),
        )
        .ok_or_else(|| AppError::not_found("导入任务"))?;
    Ok(axum::response::Redirect::to(&format!("/imports/{new}")).into_response())
}
