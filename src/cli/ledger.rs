//! `gonghui ledger`: proving the money ledger whole.

use super::LedgerCommand;
use crate::app;
use crate::config::Config;
use crate::error::AppError;

pub async fn ledger(config: &Config, what: LedgerCommand) -> Result<u8, AppError> {
    let (reg, _) = app::bootstrap(config, false).await?;
    match what {
        LedgerCommand::Verify { json } => {
            let v = crate::ledger::verify(&reg.db).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&v).map_err(AppError::internal)?
                );
            } else if v.ok() {
                println!(
                    "账目平衡：已核对 {} 笔记账、{} 行、{} 个账户，每笔借贷相等，每个账户余额等于其记账行合计。",
                    v.postings, v.lines, v.accounts
                );
            } else {
                println!(
                    "账目校验未通过（已核对 {} 笔记账、{} 行、{} 个账户），共 {} 处问题：",
                    v.postings,
                    v.lines,
                    v.accounts,
                    v.problems.len()
                );
                for p in &v.problems {
                    println!("  {p}");
                }
            }
            Ok(if v.ok() { 0 } else { 4 })
        }
    }
}
