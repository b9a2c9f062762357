//! A synthetic city shaped like the federation reports: city → districts → streets/towns →
//! unions (independent and joint), about one employer per 40 members, valid ID numbers, USCCs
//! and mobiles, realistic shares of 农民工, women and 八大群体, joins over ten years, then
//! transfers, retirements and leavers. Deterministic for a given seed. The data goes in through
//! the same import path cadres use, so `--write-files` yields files for benchmarking imports.

use std::path::Path;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::Registry;
use super::codes;
use super::import::{self, ImportKind, ImportOptions, Progress};
use crate::db::now_ms;
use crate::error::{AppError, AppResult};
use crate::types::{id_card, uscc};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "龙", "史", "单", "欧阳", "司马", "诸葛",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "玉兰", "浩",
    "宇", "子涵", "欣怡", "梓萱", "俊杰", "志强", "海燕", "晓东", "春梅", "国庆", "建国", "雪",
    "琳", "鹏", "辉", "婷", "飞", "晨", "阳", "凯", "佳", "颖", "鑫", "慧", "倩", "宁", "斌", "波",
    "峰", "亮", "堃", "喆",
];
const UYGHUR_GIVEN: &[&str] = &["阿依古丽", "买买提", "热依拉", "艾力", "古丽娜尔", "阿不都"];
const DISTRICTS: &[&str] = &[
    "城东区",
    "城西区",
    "北湖区",
    "南山区",
    "高新区",
    "经开区",
    "河口县",
    "凤台县",
    "寿安县",
    "潘集区",
];
const STREETS: &[&str] = &[
    "朝阳", "新华", "人民", "建设", "和平", "龙泉", "洞山", "田东", "舜耕", "安成", "泉山", "九龙",
    "孔店", "曹庵", "杨公", "三和", "上窑", "洛河", "李郢", "史院", "谢家", "望峰", "东城", "西城",
    "南湖", "北塘",
];
const FIRMS: &[&str] = &[
    "煤业",
    "电力",
    "化工",
    "机械",
    "建材",
    "物流",
    "快递",
    "外卖配送",
    "家政服务",
    "物业管理",
    "保安服务",
    "商贸",
    "食品",
    "纺织",
    "医药",
    "信息技术",
    "餐饮",
    "酒店",
    "房产经纪",
    "运输",
    "环卫",
    "汽车维修",
    "电子",
    "建筑安装",
];
const INDUSTRIES: &[&str] = &[
    "制造业",
    "采矿业",
    "交通运输业",
    "批发和零售业",
    "住宿和餐饮业",
    "建筑业",
    "居民服务业",
    "信息技术服务业",
];
const CITY_REGION: &str = "340400";
const COUNTY_REGIONS: &[&str] = &[
    "340402", "340403", "340404", "340405", "340406", "340421", "340422", "340424",
];

/// The generated import tables (header row first).
pub struct DemoFiles {
    pub orgs: Vec<Vec<String>>,
    pub units: Vec<Vec<String>>,
    pub members: Vec<Vec<String>>,
}

struct UnionPlan {
    code: String,
    nef: bool,
    units: Vec<(String, u32)>, // (uscc, employees)
}

fn pick<T: Copy>(rng: &mut StdRng, list: &[T]) -> T {
    list[rng.gen_range(0..list.len())]
}

fn date_between(rng: &mut StdRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    from + Duration::days(rng.gen_range(0..=span))
}

fn make_uscc(rng: &mut StdRng) -> String {
    const CS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut s = format!("91{CITY_REGION}");
    for _ in 0..9 {
        s.push(CS[rng.gen_range(0..CS.len())] as char);
    }
    let c = uscc::check_char(s.as_bytes()) as char;
    s.push(c);
    s
}

fn make_id(rng: &mut StdRng, birth: NaiveDate, female: bool) -> String {
    let region = pick(rng, COUNTY_REGIONS);
    let mut seq: u32 = rng.gen_range(0..500) * 2;
    if !female {
        seq += 1;
    }
    let first17 = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
    let c = id_card::check_char(first17.as_bytes()) as char;
    format!("{first17}{c}")
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

/// Builds the demo city's import tables for about `members` members.
pub fn generate(members: u32, seed: u64) -> DemoFiles {
    let mut rng = StdRng::seed_from_u64(seed);
    let today = chrono::Local::now().date_naive();
    let ten_years_ago = today - Duration::days(3652);
    let members = members.max(50);
    let n_unions = (members / 83).max(6);
    let n_districts = (n_unions / 60).clamp(2, DISTRICTS.len() as u32);
    let streets_per_district = (n_unions / n_districts / 25).clamp(2, 12);

    let mut orgs = vec![row(&[
        "工会代码",
        "工会名称",
        "组织类型",
        "上级工会代码",
        "行政区划代码",
        "成立日期",
        "新就业形态工会",
        "所属行业",
        "规范化建设达标",
    ])];
    orgs.push(row(&[
        "HS",
        "淮水市总工会",
        "市总工会",
        "",
        CITY_REGION,
        "1950-05-01",
        "否",
        "",
        "是",
    ]));
    let mut streets: Vec<(String, String)> = Vec::new(); // (code, region)
    for d in 0..n_districts {
        let dcode = format!("HS{:02}", d + 1);
        let region = COUNTY_REGIONS[d as usize % COUNTY_REGIONS.len()];
        orgs.push(row(&[
            &dcode,
            &format!("淮水市{}总工会", DISTRICTS[d as usize]),
            "县(区)总工会",
            "HS",
            region,
            "1985-01-01",
            "否",
            "",
            "是",
        ]));
        let icode = format!("{dcode}-HY");
        orgs.push(row(&[
            &icode,
            &format!("{}电商快递行业工会联合会", DISTRICTS[d as usize]),
            "行业工会(联合会)",
            &dcode,
            region,
            "2019-06-01",
            "是",
            "交通运输业",
            "否",
        ]));
        streets.push((icode, region.to_string()));
        for s in 0..streets_per_district {
            let scode = format!("{dcode}-{:02}", s + 1);
            let name = STREETS[((d * streets_per_district + s) as usize) % STREETS.len()];
            let suffix = if s % 3 == 2 { "镇" } else { "街道" };
            let founded = date_between(
                &mut rng,
                NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid"),
                NaiveDate::from_ymd_opt(2015, 12, 31).expect("valid"),
            );
            orgs.push(row(&[
                &scode,
                &format!("{}{name}{suffix}工会联合会", DISTRICTS[d as usize]),
                "乡镇(街道)工会联合会",
                &dcode,
                region,
                &founded.to_string(),
                "否",
                "",
                "是",
            ]));
            streets.push((scode, region.to_string()));
        }
    }
    let mut unions: Vec<UnionPlan> = Vec::new();
    let mut units = vec![row(&[
        "统一社会信用代码",
        "单位名称",
        "经济类型",
        "小微企业",
        "所属行业",
        "行政区划代码",
        "职工人数",
        "覆盖工会代码",
    ])];
    let mut firm_no = 0u32;
    for u in 0..n_unions {
        let (parent, region) = streets[u as usize % streets.len()].clone();
        let is_industry = parent.ends_with("-HY");
        let joint = is_industry || rng.gen_bool(0.12);
        let nef = is_industry || rng.gen_bool(0.06);
        let code = format!("{parent}-{:03}", u / streets.len() as u32 + 1);
        let founded = if rng.gen_bool(0.04) {
            date_between(
                &mut rng,
                NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).expect("valid"),
                today,
            )
        } else {
            date_between(
                &mut rng,
                NaiveDate::from_ymd_opt(2005, 1, 1).expect("valid"),
                today - Duration::days(365),
            )
        };
        let mut plan = UnionPlan {
            code: code.clone(),
            nef,
            units: Vec::new(),
        };
        let n_units = if joint { rng.gen_range(4..12) } else { 1 };
        let mut first_name = String::new();
        for _ in 0..n_units {
            firm_no += 1;
            let firm = pick(&mut rng, FIRMS);
            let name = format!(
                "淮水{}{}有限公司",
                [
                    "宏达", "恒信", "华安", "鑫源", "顺通", "金鹏", "博远", "众联", "新航", "泰和"
                ][firm_no as usize % 10],
                firm
            );
            let name = format!("{name}（{firm_no}号）");
            if first_name.is_empty() {
                first_name = name.clone();
            }
            let employees = if joint {
                rng.gen_range(5..40)
            } else {
                rng.gen_range(40..900)
            };
            let uscc = make_uscc(&mut rng);
            let ownership = if joint {
                "民营"
            } else {
                pick(
                    &mut rng,
                    &["国有", "民营", "民营", "民营", "外资", "机关事业"],
                )
            };
            units.push(row(&[
                &uscc,
                &name,
                ownership,
                if joint { "是" } else { "否" },
                pick(&mut rng, INDUSTRIES),
                &region,
                &employees.to_string(),
                &code,
            ]));
            plan.units.push((uscc, employees));
        }
        let union_name = if joint {
            format!(
                "{}联合工会委员会",
                first_name.trim_end_matches(|c| c != '司')
            )
        } else {
            format!("{}工会委员会", first_name)
        };
        let kind = if joint {
            "联合基层工会"
        } else {
            "基层工会"
        };
        orgs.push(row(&[
            &code,
            &union_name,
            kind,
            &parent,
            &region,
            &founded.to_string(),
            if nef { "是" } else { "否" },
            "",
            if rng.gen_bool(0.7) { "是" } else { "否" },
        ]));
        unions.push(plan);
    }
    // Some employers without a union: the organising targets (they do not count in 入会率).
    for _ in 0..(n_unions / 10).max(1) {
        let uscc = make_uscc(&mut rng);
        units.push(row(&[
            &uscc,
            &format!("淮水未建会{}有限公司", pick(&mut rng, FIRMS)),
            "民营",
            "是",
            pick(&mut rng, INDUSTRIES),
            CITY_REGION,
            &rng.gen_range(5..60).to_string(),
            "",
        ]));
    }
    // Members: spread over employers in proportion to their size.
    let all_units: Vec<(usize, &String, u32)> = unions
        .iter()
        .enumerate()
        .flat_map(|(ui, u)| u.units.iter().map(move |(s, e)| (ui, s, *e)))
        .collect();
    let total_emp: u64 = all_units.iter().map(|u| u.2 as u64).sum();
    let mut cumulative = Vec::with_capacity(all_units.len());
    let mut acc = 0u64;
    for u in &all_units {
        acc += u.2 as u64;
        cumulative.push(acc);
    }
    let mut people = vec![row(&[
        "姓名",
        "身份证号",
        "性别",
        "出生日期",
        "民族",
        "政治面貌",
        "学历",
        "户籍类型",
        "手机号",
        "工作单位统一社会信用代码",
        "所属工会代码",
        "入会日期",
        "农民工",
        "新就业形态群体",
        "会员卡号",
    ])];
    let mut used_ids = std::collections::HashSet::with_capacity(members as usize);
    for i in 0..members {
        let r = rng.gen_range(0..total_emp);
        let ui = cumulative.partition_point(|c| *c <= r);
        let (union_idx, uscc, _) = all_units[ui];
        let union = &unions[union_idx];
        let female = rng.gen_bool(if union.nef { 0.2 } else { 0.45 });
        let uyghur = rng.gen_bool(0.003);
        let name = if uyghur {
            format!(
                "{}·{}",
                pick(&mut rng, UYGHUR_GIVEN),
                pick(&mut rng, UYGHUR_GIVEN)
            )
        } else {
            let mut n = pick(&mut rng, SURNAMES).to_string();
            n.push_str(pick(&mut rng, GIVEN));
            if rng.gen_bool(0.4) {
                n.push_str(pick(&mut rng, &["", "子", "雨", "思", "嘉", "文", "梓"]));
            }
            n
        };
        let birth = date_between(
            &mut rng,
            NaiveDate::from_ymd_opt(1962, 1, 1).expect("valid"),
            NaiveDate::from_ymd_opt(2004, 12, 31).expect("valid"),
        );
        // One person, one ID number: draw again on the rare collision.
        let mut id = make_id(&mut rng, birth, female);
        while !used_ids.insert(id.clone()) {
            id = make_id(&mut rng, birth, female);
        }
        let adult = birth
            .checked_add_months(chrono::Months::new(18 * 12))
            .expect("valid");
        let joined = date_between(&mut rng, ten_years_ago.max(adult), today);
        let migrant = rng.gen_bool(if union.nef { 0.6 } else { 0.22 });
        let hukou = if migrant || rng.gen_bool(0.2) {
            "农村"
        } else {
            "城镇"
        };
        let nef_group = if union.nef && rng.gen_bool(0.9) {
            pick(
                &mut rng,
                &[
                    "网约送餐员",
                    "网约送餐员",
                    "快递员",
                    "快递员",
                    "货车司机",
                    "家政服务员",
                    "保安员",
                    "护工护理员",
                    "房产中介员",
                    "商场信息员",
                    "网约车司机",
                ],
            )
        } else {
            ""
        };
        let ethnicity = if uyghur {
            "维吾尔族"
        } else if rng.gen_bool(0.96) {
            "汉族"
        } else {
            pick(&mut rng, &codes::ETHNICITIES[1..12])
        };
        let political = pick(
            &mut rng,
            &[
                "群众",
                "群众",
                "群众",
                "群众",
                "群众",
                "中共党员",
                "共青团员",
                "群众",
                "中共党员",
                "民盟盟员",
            ],
        );
        let education = pick(
            &mut rng,
            &[
                "大学本科",
                "大学专科",
                "高中",
                "初中",
                "中等专科",
                "研究生",
                "技工学校",
                "大学本科",
            ],
        );
        let mobile = format!(
            "1{}{:09}",
            rng.gen_range(3..10),
            rng.gen_range(0..1_000_000_000u64)
        );
        people.push(vec![
            name,
            id,
            if female { "女" } else { "男" }.into(),
            birth.to_string(),
            ethnicity.into(),
            political.into(),
            education.into(),
            hukou.into(),
            mobile,
            uscc.clone(),
            union.code.clone(),
            joined.to_string(),
            if migrant { "是" } else { "否" }.into(),
            nef_group.into(),
            format!("HS{:08}", i + 1),
        ]);
    }
    DemoFiles {
        orgs,
        units,
        members: people,
    }
}

pub fn to_csv(table: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(table.len() * 120));
    for r in table {
        w.write_record(r).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

pub fn to_xlsx(table: &[Vec<String>], path: &Path) -> AppResult<()> {
    let xl = |e: rust_xlsxwriter::XlsxError| AppError::internal(e);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory();
    for (r, cells) in table.iter().enumerate() {
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, v).map_err(xl)?;
            }
        }
    }
    wb.save(path).map_err(xl)
}

/// Writes the demo tables as import files: CSV for all three and XLSX for members.
pub fn write_files(files: &DemoFiles, dir: &Path) -> AppResult<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("orgs.csv"), to_csv(&files.orgs))?;
    std::fs::write(dir.join("units.csv"), to_csv(&files.units))?;
    std::fs::write(dir.join("members.csv"), to_csv(&files.members))?;
    to_xlsx(&files.members, &dir.join("members.xlsx"))
}

#[derive(Debug, Default)]
pub struct DemoReport {
    pub orgs: u64,
    pub units: u64,
    pub members: u64,
    pub transfers: u64,
    pub retirements: u64,
    pub leavers: u64,
}

/// Loads the demo city into an empty registry, then records transfers, retirements and leavers.
pub async fn seed(
    reg: &Registry,
    members: u32,
    seed: u64,
    files_dir: Option<&Path>,
) -> AppResult<DemoReport> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs")
        .fetch_one(reg.db.pool())
        .await?;
    if existing > 0 {
        return Err(AppError::conflict(
            "NOT_EMPTY",
            "数据库中已有工会数据，演示数据只能装入空库",
        ));
    }
    let files = tokio::task::spawn_blocking(move || generate(members, seed))
        .await
        .map_err(AppError::internal)?;
    if let Some(dir) = files_dir {
        write_files(&files, dir)?;
    }
    let mut report = DemoReport::default();
    for (kind, table) in [
        (ImportKind::Orgs, &files.orgs),
        (ImportKind::Units, &files.units),
        (ImportKind::Members, &files.members),
    ] {
        let (outcome, _) = import::run(
            reg,
            &crate::audit::Actor::system(&reg.keys, "演示数据"),
            kind,
            Arc::new(to_csv(table)),
            &ImportOptions::default(),
            Arc::new(Progress::default()),
        )
        .await?;
        if !outcome.committed {
            let first = outcome
                .issues
                .first()
                .map(|i| format!("第{}行 {}：{}", i.row, i.column, i.message))
                .unwrap_or_default();
            return Err(AppError::internal(anyhow::anyhow!(
                "demo {} import rejected: {first}",
                kind.code()
            )));
        }
        match kind {
            ImportKind::Orgs => report.orgs = outcome.inserted,
            ImportKind::Units => report.units = outcome.inserted,
            ImportKind::Members => report.members = outcome.inserted,
            _ => {}
        }
    }
    apply_history(reg, seed, &mut report).await?;
    // The history above is written in bulk, bypassing the per-person bookkeeping.
    super::counters::rebuild(&reg.db).await?;
    Ok(report)
}

/// Transfers (~3%), retirements (~2%) and leavers (~4%, a tenth of them deaths), dated after joining.
async fn apply_history(reg: &Registry, seed: u64, report: &mut DemoReport) -> AppResult<()> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5EED);
    let today = chrono::Local::now().date_naive();
    let rows: Vec<(i64, i64, String, String)> =
        sqlx::query_as("SELECT s.id, s.member_id, s.start_date, o.kind FROM memberships s JOIN orgs o ON o.id = s.org_id ORDER BY s.member_id")
            .fetch_all(reg.db.pool())
            .await?;
    let targets: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, path FROM orgs WHERE kind IN ('grassroots','joint') ORDER BY code",
    )
    .fetch_all(reg.db.pool())
    .await?;
    let mut tx = reg.db.begin_write().await?;
    let now = now_ms();
    for (ms_id, member_id, start, _) in rows {
        let start = NaiveDate::parse_from_str(&start, "%Y-%m-%d").map_err(AppError::internal)?;
        if start >= today {
            continue;
        }
        let roll: f64 = rng.r#gen();
        let on = date_between(&mut rng, start + Duration::days(1), today).min(today);
        if roll < 0.03 {
            let (to_id, to_path) = targets[rng.gen_range(0..targets.len())].clone();
            sqlx::query("UPDATE memberships SET end_date = $1, end_reason = 'transfer_out' WHERE id = $2 AND org_id <> $3")
                .bind(on.to_string())
                .bind(ms_id)
                .bind(to_id)
                .execute(&mut *tx)
                .await?;
            let moved: Option<String> =
                sqlx::query_scalar("SELECT end_reason FROM memberships WHERE id = $1")
                    .bind(ms_id)
                    .fetch_one(&mut *tx)
                    .await?;
            if moved.is_none() {
                continue;
            }
            sqlx::query("INSERT INTO memberships (id, member_id, org_id, org_path, retained, start_date, start_reason, created_at) VALUES ($1,$2,$3,$4,0,$5,'transfer_in',$6)")
                .bind(crate::db::new_id())
                .bind(member_id)
                .bind(to_id)
                .bind(&to_path)
                .bind(on.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE members SET org_id = $1, org_path = $2, joined_on = $3 WHERE id = $4",
            )
            .bind(to_id)
            .bind(&to_path)
            .bind(on.to_string())
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
            report.transfers += 1;
        } else if roll < 0.05 {
            sqlx::query(
                "UPDATE memberships SET end_date = $1, end_reason = 'retire' WHERE id = $2",
            )
            .bind(on.to_string())
            .bind(ms_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO memberships (id, member_id, org_id, org_path, retained, start_date, start_reason, created_at) \
                 SELECT $1, member_id, org_id, org_path, 1, $2, 'retire', $3 FROM memberships WHERE id = $4",
            )
            .bind(crate::db::new_id())
            .bind(on.to_string())
            .bind(now)
            .bind(ms_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE members SET status = 'retired' WHERE id = $1")
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            report.retirements += 1;
        } else if roll < 0.09 {
            let (reason, status) = if rng.gen_bool(0.1) {
                ("death", "deceased")
            } else {
                ("leave", "left")
            };
            sqlx::query("UPDATE memberships SET end_date = $1, end_reason = $2 WHERE id = $3")
                .bind(on.to_string())
                .bind(reason)
                .bind(ms_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE members SET status = $1 WHERE id = $2")
                .bind(status)
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            report.leavers += 1;
        }
    }
    tx.commit().await?;
    Ok(())
}
