//! `gonghui serve`: the web server, after bootstrapping on first start.

use crate::app::{self, AppState};
use crate::config::Config;
use crate::error::AppError;

pub async fn serve(config: Config) -> Result<u8, AppError> {
    refuse_remote_without_tls(&config)?;
    let (reg, boot) = app::bootstrap(&config, true).await?;
    print_boot(&boot, &config);
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .map_err(|e| {
            AppError::bad_request(format!(
                "无法监听 {}：{e}（端口是否被占用？可用 --bind 换一个）",
                config.bind
            ))
        })?;
    let addr = listener.local_addr()?;
    eprintln!(
        "智慧工会平台已启动：http://{addr}/   API 文档：http://{addr}/api/docs/   （Ctrl-C 停止）"
    );
    let state = AppState::new(reg, config, crate::clock::system());
    app::spawn_daily_archiving(state.clone());
    app::spawn_case_escalation(state.clone());
    app::spawn_audit_checkpoints(state.clone());
    app::serve(state.clone(), listener).await?;
    app::write_audit_checkpoint(&state.reg, &state.config, 0).await;
    Ok(0)
}

pub(super) fn print_boot(boot: &app::Boot, config: &Config) {
    if boot.generated_keys {
        eprintln!("★ 已生成字段加密密钥：{}", config.keys_path().display());
        eprintln!("  请立即离线备份此文件。丢失后，已加密的身份证号和手机号将无法恢复。");
    }
    if let Some(d) = &boot.demo {
        eprintln!(
            "★ 已装入演示城市：{} 个工会、{} 家单位、{} 名会员（转会 {}、退休 {}、离会 {}）",
            d.orgs, d.units, d.members, d.transfers, d.retirements, d.leavers
        );
    }
    if let Some(c) = &boot.demo_cases {
        eprintln!(
            "★ 已装入两年的职工维权案件：诉求 {} 件、调解和法律援助 {} 件、调解员与律师 {} 名、附件 {} 份",
            c.petitions, c.disputes, c.advocates, c.papers
        );
    }
    if let Some(a) = &boot.demo_aid {
        eprintln!(
            "★ 已装入一年的困难帮扶：困难职工档案 {} 户（已解困 {} 户）、帮扶活动 {} 个、发放 {} 人次 {} 元；医疗互助参保单位 {} 家、赔付 {} 人次",
            a.files,
            a.exited,
            a.campaigns,
            a.paid_lines,
            crate::types::Fen(a.paid_fen),
            a.mutual_units,
            a.mutual_claims
        );
        eprintln!(
            "★ 已装入一年的工会经费：税务代收 {} 笔、返还小微企业 {} 家次 {} 元、补助下级工会 {} 笔",
            a.funds.receipts,
            a.funds.refunds_paid,
            crate::types::Fen(a.funds.refunds_fen),
            a.funds.grants
        );
    }
    if !boot.accounts.is_empty() {
        eprintln!(
            "★ 已创建初始账号（一次性密码只显示这一次，首次登录后须修改；管理员还须绑定动态口令）："
        );
        for a in &boot.accounts {
            eprintln!(
                "  {:<12} {:<8} 一次性密码：{}",
                a.username,
                a.role.label(),
                a.password
            );
        }
    }
}

/// Until accounts and roles exist, the API has no login: serving it beyond this machine would
/// expose the registry. Only loopback addresses are accepted for now.
fn refuse_remote_without_tls(config: &Config) -> Result<(), AppError> {
    let bind = config.bind.as_str();
    let host = bind
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(bind)
        .trim_matches(['[', ']']);
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback || config.public_https {
        Ok(())
    } else {
        Err(AppError::bad_request(format!(
            "拒绝监听 {bind}：密码和会员个人信息不能以明文经网络传输。请在平台前配置 HTTPS 反向代理，并设置 public_https = true；仅本机使用时请监听 127.0.0.1"
        ))
        .with_code("CONFIG"))
    }
}
