//! `gonghui audit`: verifying the chain, archiving old rows.

use super::AuditCommand;
use crate::app;
use crate::audit::Actor;
use crate::config::Config;
use crate::error::AppError;

pub async fn audit(config: &Config, what: AuditCommand) -> Result<u8, AppError> {
    let (reg, _) = app::bootstrap(config, false).await?;
    let actor = Actor::system(&reg.keys, "命令行");
    match what {
        AuditCommand::Verify { json, witness } => {
            let mut sources = config.audit_sources();
            for w in &witness {
                sources
                    .witnesses
                    .push(crate::audit::verify::Witness::parse(w, "日志")?);
            }
            let report = crate::audit::verify::verify(&reg.db, &actor.key, &sources).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).map_err(AppError::internal)?
                );
            } else {
                if report.ok() {
                    println!(
                        "审计记录完整：已核对数据库中 {} 条、归档文件中 {} 条，最后一条为第 {} 条。",
                        report.rows_checked, report.archived_rows_checked, report.last_seq
                    );
                } else {
                    println!(
                        "审计记录校验未通过：最早一处问题在第 {} 条。共 {} 处问题：",
                        report.first_problem_seq().unwrap_or(0),
                        report.problems.len()
                    );
                    for p in &report.problems {
                        println!("  第{}条：{}", p.seq, p.message);
                    }
                }
                for n in &report.notices {
                    println!("  说明：{n}");
                }
            }
            Ok(if report.ok() { 0 } else { 4 })
        }
        AuditCommand::Archive => {
            match crate::audit::verify::archive(
                &reg.db,
                &actor,
                &config.audit_sources(),
                config.audit_retention_days,
                crate::db::now_ms(),
            )
            .await?
            {
                Some(a) => println!(
                    "已将第 {} 至 {} 条审计记录（{} 条）归档到 {}",
                    a.from_seq,
                    a.upto_seq,
                    a.rows,
                    config.audit_archive_dir().join(&a.file).display()
                ),
                None => println!(
                    "没有超过保留期（{} 天）的审计记录。",
                    config.audit_retention_days.max(180)
                ),
            }
            app::write_audit_checkpoint(&reg, config, 0).await;
            Ok(0)
        }
    }
}
