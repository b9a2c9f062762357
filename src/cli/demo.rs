//! `gonghui demo`: a synthetic demo city, in the database or as import files.

use std::path::PathBuf;

use crate::app;
use crate::config::Config;
use crate::error::AppError;
use crate::registry::demo;

pub async fn demo(
    config: &Config,
    members: u32,
    seed: u64,
    write_files: Option<PathBuf>,
    files_only: bool,
) -> Result<u8, AppError> {
    if files_only {
        let dir = write_files
            .ok_or_else(|| AppError::bad_request("--files-only 需要同时给出 --write-files DIR"))?;
        let files = demo::generate(members, seed);
        demo::write_files(&files, &dir)?;
        println!(
            "已写入 {}：orgs.csv、units.csv、members.csv、members.xlsx（{} 名会员）",
            dir.display(),
            files.members.len() - 1
        );
        return Ok(0);
    }
    let (reg, boot) = app::bootstrap(config, false).await?;
    super::serve::print_boot(&boot, config);
    let started = std::time::Instant::now();
    let r = demo::seed(&reg, members, seed, write_files.as_deref()).await?;
    let cases = app::seed_demo_cases(&reg, members, seed).await?;
    let aid = app::seed_demo_aid(&reg, members, seed).await?;
    let contracts = app::seed_demo_contracts(&reg, seed).await?;
    let activities = app::seed_demo_activities(&reg, seed).await?;
    println!(
        "演示城市已装入：{} 个工会、{} 家单位、{} 名会员；转会 {}、退休 {}、离会 {}（用时 {:.1} 秒）",
        r.orgs,
        r.units,
        r.members,
        r.transfers,
        r.retirements,
        r.leavers,
        started.elapsed().as_secs_f64()
    );
    println!(
        "职工维权：诉求 {} 件、调解和法律援助 {} 件、调解员与律师 {} 名、附件 {} 份（两年）",
        cases.petitions, cases.disputes, cases.advocates, cases.papers
    );
    println!(
        "困难帮扶：困难职工档案 {} 户（已解困 {} 户）、帮扶活动 {} 个、发放 {} 人次 {} 元；医疗互助参保单位 {} 家、赔付 {} 人次（一年）",
        aid.files,
        aid.exited,
        aid.campaigns,
        aid.paid_lines,
        crate::types::Fen(aid.paid_fen),
        aid.mutual_units,
        aid.mutual_claims
    );
    println!(
        "工会经费：税务代收 {} 笔 {} 元；返还小微企业 {} 家次 {} 元；补助下级工会 {} 笔",
        aid.funds.receipts,
        crate::types::Fen(aid.funds.receipts_fen),
        aid.funds.refunds_paid,
        crate::types::Fen(aid.funds.refunds_fen),
        aid.funds.grants
    );
    println!(
        "集体合同：{} 份（区域性、行业性 {} 份）；春季要约 {} 家；民主管理年度确认 {} 家",
        contracts.contracts, contracts.regional, contracts.offers, contracts.checklists
    );
    println!(
        "职工活动：{} 项、{} 场次，会员签到 {} 人次；竞赛项目 {} 个、参赛 {} 人次、获奖 {} 个；活动经费支出 {} 元",
        activities.activities,
        activities.sessions,
        activities.checkins,
        activities.trades,
        activities.entrants,
        activities.awards,
        crate::types::Fen(activities.spent_fen)
    );
    let h = &activities.honours;
    println!(
        "评先评优：推荐 {} 个、授予荣誉 {} 个；劳模关爱 {} 人次，补助津贴 {} 元",
        h.nominations,
        h.granted,
        h.care,
        crate::types::Fen(h.paid_fen)
    );
    let i = &activities.innovation;
    println!(
        "职工创新：命名创新工作室 {} 家；创新成果和合理化建议 {} 项、采纳 {} 项、经济效益 {} 元；名师带徒 {} 对；揭榜挂帅项目 {} 项",
        i.studios,
        i.achievements,
        i.adopted,
        crate::types::Fen(i.benefit_fen),
        i.pairs,
        i.projects
    );
    let r = &activities.research;
    println!(
        "调研：{} 项，走访和座谈 {} 次，回收问卷 {} 份；问题台账 {} 条、已整改 {} 条",
        r.tasks, r.visits, r.answers, r.issues, r.rectified
    );
    Ok(0)
}
