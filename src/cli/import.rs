//! `gonghui import`: an XLSX or CSV file of unions, employers or members.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::app;
use crate::audit::Actor;
use crate::config::Config;
use crate::error::AppError;
use crate::registry::import::{self, ImportKind, ImportOptions, Progress};

/// Exit codes of `gonghui import` (also in `--help` and the README).
pub const IMPORTED: u8 = 0;
/// Rows had errors: nothing was written (or a dry run found them).
pub const ROWS_REFUSED: u8 = 3;
/// The file as a whole was refused: not a spreadsheet, no header row, a required column
/// missing, too large, unreadable.
pub const FILE_REFUSED: u8 = 4;
/// With `--skip-invalid`: the valid rows were imported, the rows with errors skipped.
pub const ROWS_SKIPPED: u8 = 5;

pub async fn import(
    config: &Config,
    kind: &str,
    file: &Path,
    opts: ImportOptions,
    errors: Option<&Path>,
) -> Result<u8, AppError> {
    let kind = ImportKind::parse(kind)?;
    let meta = std::fs::metadata(file)
        .map_err(|e| AppError::bad_request(format!("无法读取文件 {}：{e}", file.display())))?;
    if meta.len() > config.import_max_mb * 1024 * 1024 {
        eprintln!(
            "错误：文件超过 {}MB 的上限（可在配置 import_max_mb 中调整）",
            config.import_max_mb
        );
        return Ok(FILE_REFUSED);
    }
    let data = std::fs::read(file)?;
    let (reg, _) = app::bootstrap(config, false).await?;
    let started = crate::db::now_ms();
    let progress = Arc::new(Progress::default());
    let bar = indicatif::ProgressBar::new(100);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}%")
            .expect("valid template"),
    );
    let task = {
        let (reg, progress, opts) = (reg.clone(), progress.clone(), opts.clone());
        tokio::spawn(async move {
            let actor = crate::audit::Actor::system(&reg.keys, "命令行导入");
            import::run(&reg, &actor, kind, Arc::new(data), &opts, progress).await
        })
    };
    while !task.is_finished() {
        bar.set_position(u64::from(progress.percent()));
        bar.set_message(format!(
            "{} 已读{}行",
            progress.phase(),
            progress
                .rows_read
                .load(std::sync::atomic::Ordering::Relaxed)
        ));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bar.finish_and_clear();
    let result = task.await.map_err(AppError::internal)?;
    // In the import history and the audit trail like an import from the console.
    let file_name = file
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    crate::registry::jobs::record_batch(
        &reg,
        &Actor::system(&reg.keys, "命令行"),
        crate::db::new_id(),
        kind,
        &file_name,
        &opts,
        &result,
        started,
    )
    .await;
    app::write_audit_checkpoint(&reg, config, 0).await;
    let (outcome, report) = match result {
        Ok(done) => done,
        // The file as a whole: said as it is, with its own exit code.
        Err(e) if e.code().starts_with("IMPORT_") || e.status().is_client_error() => {
            eprintln!("错误：{} [{}]", e.message(), e.code());
            return Ok(FILE_REFUSED);
        }
        Err(e) => return Err(e),
    };
    for i in outcome.issues.iter().take(50) {
        let level = if i.severity == import::Severity::Error {
            "错误"
        } else {
            "提示"
        };
        println!("第{}行 [{}] {}：{}", i.row, level, i.column, i.message);
    }
    if outcome.issues.len() > 50 {
        println!(
            "……共 {} 条问题，完整清单见错误报告（--errors FILE）",
            outcome.errors + outcome.warnings
        );
    }
    if !outcome.ignored_columns.is_empty() {
        println!("已忽略无法识别的列：{}", outcome.ignored_columns.join("、"));
    }
    println!(
        "{}（用时 {:.1} 秒）",
        outcome.message,
        outcome.duration_ms as f64 / 1000.0
    );
    match (errors, report) {
        (Some(path), Some(report)) => {
            std::fs::write(path, report)?;
            println!("错误报告已写入 {}", path.display());
        }
        (Some(_), None) => println!("没有任何问题，未生成错误报告。"),
        (None, _) => {}
    }
    // The rows are on disk when the command ends: the write-ahead log is copied into the
    // database file now, not left for the next program that opens it.
    reg.db.checkpoint_now().await;
    reg.db.close().await;
    Ok(
        if outcome.errors == 0 && (outcome.committed || opts.dry_run) {
            IMPORTED
        } else if outcome.committed {
            ROWS_SKIPPED
        } else {
            ROWS_REFUSED
        },
    )
}
