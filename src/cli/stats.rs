//! `gonghui stats`: figures for a subtree and period; reconciling the running totals.

use crate::app;
use crate::config::Config;
use crate::error::AppError;
use crate::registry::scope::Scope;
use crate::registry::{counters, stats};

#[allow(clippy::too_many_arguments)]
pub async fn stats(
    config: &Config,
    org: Option<String>,
    from: Option<String>,
    to: Option<String>,
    json: bool,
    reconcile: bool,
    rebuild: bool,
) -> Result<u8, AppError> {
    let (reg, _) = app::bootstrap(config, false).await?;
    if rebuild {
        let rows = counters::rebuild(&reg.db).await?;
        println!("已按会籍历史重新计算统计累计数：{rows} 行。");
        return Ok(0);
    }
    if reconcile {
        let r = counters::reconcile(&reg.db).await?;
        if json {
            let text = serde_json::to_string_pretty(&r).map_err(AppError::internal)?;
            println!("{text}");
        } else {
            for d in &r.differences {
                println!(
                    "{} {} {}：记录为 {}，按历史应为 {}",
                    d.org_code,
                    d.day,
                    if d.nef_group.is_empty() {
                        "（非新就业形态）"
                    } else {
                        &d.nef_group
                    },
                    d.stored.describe(),
                    d.expected.describe()
                );
            }
            println!(
                "核对 {} 行累计数：{} 行不一致；重复事件人员名单缺 {} 人、多 {} 人。",
                r.rows_checked,
                r.differences.len(),
                r.repeaters_missing,
                r.repeaters_extra
            );
        }
        let clean = r.differences.is_empty() && r.repeaters_missing == 0 && r.repeaters_extra == 0;
        if !clean {
            eprintln!("统计累计数与会籍历史不一致，可运行 gonghui stats --rebuild 重新计算。");
        }
        return Ok(if clean { 0 } else { 1 });
    }
    let q = stats::StatsQuery { org, from, to };
    let (org, period) = stats::resolve(&reg.db, &Scope::all(), &q).await?;
    let s = stats::compute(&reg.db, &org, &period).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).map_err(AppError::internal)?
        );
    } else {
        print_stats(&s);
    }
    Ok(0)
}

fn print_stats(s: &stats::Stats) {
    let m = &s.members;
    println!(
        "{}（{}）  统计期间 {} 至 {}",
        s.org_name, s.org_code, s.from, s.to
    );
    println!(
        "工会组织：期末 {} 个，期内新建 {} 个，其中新就业形态工会 {} 个，规范化 {} 个",
        s.unions.at_end,
        s.unions.new_in_period,
        s.unions.new_employment_at_end,
        s.unions.standardised_at_end
    );
    for k in &s.unions.by_kind {
        println!(
            "  {:<12} 期末 {:>6}  新建 {:>5}",
            k.label, k.at_end, k.new_in_period
        );
    }
    println!(
        "会员：期末 {} 人（期初 {}，净增 {}），期内入会 {}、离会 {}（含去世 {}）、转入 {}、转出 {}、退休 {}",
        m.at_end,
        m.at_start,
        m.net_change,
        m.joined,
        m.left,
        m.deceased,
        m.transferred_in,
        m.transferred_out,
        m.retired_in_period
    );
    println!(
        "  其中女职工 {}、农民工 {}、新就业形态 {}；退休保留会籍 {}",
        m.female_at_end, m.migrant_at_end, m.new_employment_at_end, m.retired_at_end
    );
    for g in &m.new_employment_by_group {
        println!("    {:<10} {:>6}", g.group, g.count);
    }
    let rate = s
        .employers
        .membership_rate_percent
        .map(|r| format!("{r:.2}%"))
        .unwrap_or_else(|| "—".into());
    println!(
        "覆盖单位 {} 家（小微 {}），职工 {} 人，入会率 {rate}",
        s.employers.covered, s.employers.small_micro_covered, s.employers.employees_of_covered
    );
}
