//! `gonghui aid`: payouts from the command line.

use super::AidCommand;
use crate::app;
use crate::audit::Actor;
use crate::config::Config;
use crate::error::AppError;

pub async fn aid(config: &Config, what: AidCommand) -> Result<u8, AppError> {
    let (reg, _) = app::bootstrap(config, false).await?;
    match what {
        AidCommand::Pay { batch, chunk } => {
            let actor = Actor::system(&reg.keys, "命令行发放");
            let now = crate::db::now_ms();
            let today = crate::clock::local_date(now);
            let paid =
                crate::aid::payouts::pay_all(&reg.db, &actor, batch, chunk, today, now).await?;
            println!("发放批次 {batch}：本次登记已发放 {paid} 笔。");
            Ok(0)
        }
    }
}
