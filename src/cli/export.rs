//! `gonghui export members`: a member list written on the server.

use std::io::Write;
use std::path::Path;

use crate::app;
use crate::audit::{self, Actor, Event};
use crate::config::Config;
use crate::error::AppError;
use crate::registry::export::{self, ExportFormat};
use crate::registry::members::MemberFilter;
use crate::registry::scope::Scope;

pub async fn export(
    config: &Config,
    org: Option<String>,
    format: &str,
    all: bool,
    full: bool,
    output: &Path,
) -> Result<u8, AppError> {
    let (reg, _) = app::bootstrap(config, false).await?;
    let filter = MemberFilter {
        org,
        status: all.then(|| "all".to_string()),
        ..Default::default()
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(output)?);
    let n = export::export_members(
        &reg,
        &Scope::all(),
        &filter,
        ExportFormat::parse(format)?,
        full,
        &mut file,
    )
    .await?;
    file.flush()?;
    tracing::info!(rows = n, full, "member list exported from the command line");
    let action = if full {
        "export.members_full"
    } else {
        "export.members"
    };
    let detail = serde_json::json!({ "rows": n, "format": format, "filter": filter, "reason": full.then_some("命令行导出") });
    audit::record(
        &reg.db,
        &Actor::system(&reg.keys, "命令行"),
        crate::db::now_ms(),
        Event::new(action).detail(detail),
    )
    .await?;
    app::write_audit_checkpoint(&reg, config, 0).await;
    println!(
        "已导出 {n} 名会员到 {}{}",
        output.display(),
        if full {
            "（含完整身份证号和手机号，请按敏感数据保管）"
        } else {
            "（身份证号、手机号已脱敏）"
        }
    );
    Ok(0)
}
