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
        .route("/imports/history", get(history))
        .route("/imports/history/{id}/errors.xlsx", get(kept_report))
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

#[derive(Template)]
#[template(path = "imports/history.html")]
struct HistoryPage {
    shell: Shell,
    batches: Vec<crate::registry::jobs::Batch>,
    pager: super::Pager,
}

impl HistoryPage {
    fn when(&self, ms: &i64) -> String {
        chrono::DateTime::from_timestamp_millis(*ms)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    }

    fn kind(&self, k: &str) -> &'static str {
        match k {
            "members" => "会员",
            "units" => "用人单位",
            "orgs" => "工会组织",
            _ => "其他",
        }
    }

    fn status(&self, b: &crate::registry::jobs::Batch) -> &'static str {
        match (b.status.as_str(), b.dry_run == 1) {
            ("committed", _) => "已导入",
            ("not_committed", true) => "仅检查",
            ("not_committed", false) => "有错误，未写入",
            _ => "失败",
        }
    }
}

#[derive(Deserialize)]
struct HistoryQuery {
    page: Option<String>,
}

/// Past imports in the caller's part of the hierarchy: who, when, which file, what came of it.
async fn history(
    State(st): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<HistoryQuery>,
) -> PageResult {
    let page = super::field(&q.page)
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let (batches, total) =
        crate::registry::jobs::history(&st.reg.db, &ctx.caller.scope, page, 50).await?;
    render(HistoryPage {
        shell: ctx.shell("导入记录", "imports"),
        batches,
        pager: super::Pager::new("/imports/history", &[], page, 50, total, "次"),
    })
}

async fn kept_report(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id, "导入记录")?;
    let actor = ctx.caller.actor(&st.reg.keys);
    let bytes = crate::registry::jobs::kept_report(&st.reg, &actor, id).await?;
    Ok(crate::web::api::attachment(
        "导入错误报告.xlsx",
        crate::web::api::XLSX_MIME,
        bytes,
    ))
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
