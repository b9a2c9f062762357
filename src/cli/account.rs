//! `gonghui account`: accounts, on the server itself.

use crate::app;
use crate::audit::Actor;
use crate::config::Config;
use crate::error::AppError;

pub async fn reset_password(config: &Config, username: &str) -> Result<u8, AppError> {
    let (reg, _) = app::bootstrap(config, false).await?;
    let actor = Actor::system(&reg.keys, "命令行（服务器上重置）");
    let (a, pw) =
        crate::auth::accounts::reset_on_server(&reg.db, &actor, username, crate::db::now_ms())
            .await?;
    app::write_audit_checkpoint(&reg, config, 0).await;
    println!(
        "已重置账号 {}（{}）的密码。一次性密码：{pw}\n只显示这一次，请当面交给本人；首次登录须修改。",
        a.username, a.role_label
    );
    Ok(0)
}
