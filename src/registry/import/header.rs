//! Column definitions for each import kind and header-row detection: the header may sit
//! under a title row, and common variants of each column name are accepted.

use crate::error::{AppError, AppResult};

pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub note: &'static str,
    /// Columns that say the same thing another way (a union's code or its name): a required
    /// column is present when any column of its group is.
    pub group: Option<&'static str>,
}

pub(crate) const fn col(
    key: &'static str,
    label: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    note: &'static str,
) -> Column {
    Column {
        key,
        label,
        aliases,
        required,
        note,
        group: None,
    }
}

/// A column that may stand in for the others of its `group`.
const fn either(
    group: &'static str,
    key: &'static str,
    label: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    note: &'static str,
) -> Column {
    Column {
        key,
        label,
        aliases,
        required,
        note,
        group: Some(group),
    }
}

pub const ORG_COLUMNS: &[Column] = &[
    col(
        "code",
        "工会代码",
        &["组织代码", "工会编码", "代码"],
        true,
        "本平台内唯一的工会代码，字母数字，1—32位",
    ),
    col(
        "name",
        "工会名称",
        &["组织名称", "名称", "工会全称"],
        true,
        "工会全称",
    ),
    col(
        "kind",
        "组织类型",
        &["工会类型", "类型", "组织类别"],
        true,
        "下拉选择：基层工会、联合基层工会、乡镇(街道)工会联合会等",
    ),
    col(
        "parent",
        "上级工会代码",
        &["上级代码", "上级组织代码", "上级工会编码"],
        false,
        "上级工会的代码；可以是系统中已有的，也可以是本文件中前后任意行的",
    ),
    col(
        "region",
        "行政区划代码",
        &["区划代码", "所在地区代码", "行政区划"],
        false,
        "6位GB/T 2260代码，如340402",
    ),
    col(
        "founded",
        "成立日期",
        &["建会日期", "成立时间", "建会时间"],
        false,
        "如2021-03-05",
    ),
    col(
        "nef",
        "新就业形态工会",
        &["是否新就业形态工会", "新业态工会"],
        false,
        "是/否",
    ),
    col(
        "industry",
        "所属行业",
        &["行业", "国民经济行业"],
        false,
        "国民经济行业门类，如制造业",
    ),
    col(
        "standardised",
        "规范化建设达标",
        &["是否规范化", "规范化工会", "规范化"],
        false,
        "是/否",
    ),
];

pub const UNIT_COLUMNS: &[Column] = &[
    col(
        "uscc",
        "统一社会信用代码",
        &["信用代码", "社会信用代码", "统一代码", "组织机构代码"],
        true,
        "18位，GB 32100",
    ),
    col(
        "name",
        "单位名称",
        &["企业名称", "单位全称", "名称"],
        true,
        "营业执照上的名称",
    ),
    col(
        "ownership",
        "经济类型",
        &["单位性质", "所有制", "经济性质", "企业类型"],
        false,
        "下拉选择：国有、集体、民营、外资等",
    ),
    col(
        "small_micro",
        "小微企业",
        &["是否小微企业", "小微"],
        false,
        "是/否",
    ),
    col("industry", "所属行业", &["行业"], false, "国民经济行业门类"),
    col(
        "region",
        "行政区划代码",
        &["区划代码", "所在地区代码"],
        false,
        "6位代码",
    ),
    col(
        "employees",
        "职工人数",
        &["从业人数", "员工人数", "职工总数", "在岗职工数"],
        true,
        "整数，用于计算入会率",
    ),
    col(
        "org",
        "覆盖工会代码",
        &["所属工会代码", "工会代码", "建会工会代码"],
        false,
        "覆盖该单位的工会；联合基层工会可覆盖多家单位",
    ),
];

pub const MEMBER_COLUMNS: &[Column] = &[
    col(
        "name",
        "姓名",
        &["会员姓名", "职工姓名"],
        true,
        "与身份证一致；可含“·”和生僻字",
    ),
    col(
        "id_number",
        "身份证号",
        &[
            "身份证号码",
            "公民身份号码",
            "身份证件号码",
            "证件号码",
            "身份证",
        ],
        true,
        "18位；末位x可小写",
    ),
    col(
        "sex",
        "性别",
        &[],
        false,
        "男/女；可不填，由身份证号推算，填写则须一致",
    ),
    col(
        "birth_date",
        "出生日期",
        &["出生年月日", "生日"],
        false,
        "可不填，由身份证号推算，填写则须一致",
    ),
    col("ethnicity", "民族", &[], false, "如汉族"),
    col("political", "政治面貌", &[], false, "如中共党员、群众"),
    col(
        "education",
        "学历",
        &["文化程度", "最高学历"],
        false,
        "如大学本科",
    ),
    col(
        "hukou",
        "户籍类型",
        &["户口性质", "户籍性质", "户口类型"],
        false,
        "城镇/农村",
    ),
    col(
        "mobile",
        "手机号",
        &[
            "手机号码",
            "联系电话",
            "手机",
            "联系方式",
            "联系手机",
            "联系手机号",
            "联系手机号码",
            "本人手机号",
        ],
        false,
        "11位手机号",
    ),
    either(
        "employer",
        "unit_uscc",
        "工作单位统一社会信用代码",
        &[
            "单位统一社会信用代码",
            "单位信用代码",
            "工作单位信用代码",
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
        ],
        false,
        "须是已登记的单位；也可只填“工作单位”名称",
    ),
    either(
        "employer",
        "unit_name",
        "工作单位",
        &[
            "工作单位名称",
            "单位名称",
            "所在单位",
            "就业单位",
            "用人单位",
            "单位",
        ],
        false,
        "已登记单位的全称；与信用代码同时填写时以信用代码为准",
    ),
    either(
        "union",
        "org",
        "所属工会代码",
        &["工会代码", "所在工会代码", "会员所属工会代码"],
        true,
        "会员加入的基层工会代码；也可只填“所在工会”名称",
    ),
    either(
        "union",
        "org_name",
        "所在工会",
        &[
            "所属工会",
            "所在工会名称",
            "所属工会名称",
            "工会名称",
            "会员所属工会",
            "基层工会名称",
            "加入工会",
        ],
        true,
        "会员加入的工会全称（在您的管理范围内唯一）；与代码同时填写时以代码为准",
    ),
    col(
        "joined",
        "入会日期",
        &["入会时间", "加入工会日期"],
        true,
        "如2021-03-05",
    ),
    col("migrant", "农民工", &["是否农民工"], false, "是/否"),
    col(
        "nef_group",
        "新就业形态群体",
        &["新就业形态", "八大群体", "新业态群体"],
        false,
        "如网约送餐员、快递员；不是则留空",
    ),
    col(
        "card_no",
        "会员卡号",
        &["会员证号", "工会卡号"],
        false,
        "可空",
    ),
];

/// Where each known column sits, and which header cells were not recognised.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    pub row: usize,
    pub positions: Vec<(&'static str, usize)>,
    pub unknown: Vec<String>,
    /// Unknown header cells that look like a known column: (the cell, that column's name).
    pub lookalikes: Vec<(String, &'static str)>,
    pub width: usize,
    pub labels: Vec<String>,
}

impl HeaderMap {
    pub fn get<'r>(&self, row: &'r [String], key: &str) -> &'r str {
        self.positions
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, i)| row.get(*i))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The column index of a known field, if the file has it.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.positions
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, i)| *i)
    }

    pub fn has(&self, key: &str) -> bool {
        self.positions.iter().any(|(k, _)| *k == key)
    }

    pub fn label_of(columns: &[Column], key: &str) -> &'static str {
        columns
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.label)
            .unwrap_or("")
    }
}

fn clean(h: &str) -> String {
    h.chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '*' | '＊' | '(' | ')' | '（' | '）' | ':' | '：')
        })
        .collect()
}

/// The known column an unrecognised header cell most looks like: one whose name (or a
/// variant) it contains or is contained in, or one a couple of characters away.
fn lookalike<'a>(columns: &'a [Column], header: &str) -> Option<&'a Column> {
    let h = clean(header);
    if h.chars().count() < 2 {
        return None;
    }
    let mut best: Option<(f64, &Column)> = None;
    for c in columns {
        for name in std::iter::once(&c.label).chain(c.aliases.iter()) {
            let n = clean(name);
            let score = if n.chars().count() >= 2 && (h.contains(&n) || n.contains(&h)) {
                1.0
            } else {
                strsim::normalized_levenshtein(&h, &n)
            };
            if score >= 0.5 && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, c));
            }
        }
    }
    best.map(|(_, c)| c)
}

fn match_column<'a>(columns: &'a [Column], header: &str) -> Option<&'a Column> {
    let h = clean(header);
    if h.is_empty() {
        return None;
    }
    columns
        .iter()
        .find(|c| clean(c.label) == h || c.aliases.iter().any(|a| clean(a) == h))
        // Headers with a note attached, e.g. 「身份证号（18位）」 → cleaned 「身份证号18位」.
        .or_else(|| columns.iter().find(|c| h.starts_with(&clean(c.label))))
}

/// Picks the header among the first rows: the row matching the most known columns.
pub fn detect(columns: &[Column], first_rows: &[(usize, Vec<String>)]) -> AppResult<HeaderMap> {
    let best = first_rows
        .iter()
        .map(|(n, cells)| {
            (
                n,
                cells,
                cells
                    .iter()
                    .filter(|c| match_column(columns, c).is_some())
                    .count(),
            )
        })
        .max_by_key(|(n, _, hits)| (*hits, std::cmp::Reverse(**n)));
    let Some((row, cells, _)) = best.filter(|(_, _, hits)| *hits >= 2) else {
        let expected: Vec<&str> = columns
            .iter()
            .filter(|c| c.required)
            .map(|c| c.label)
            .collect();
        return Err(AppError::invalid(format!(
            "在文件前{}行中没有找到表头，请确认表头包含：{}（建议使用下载的模板）",
            first_rows.len().max(1),
            expected.join("、")
        ))
        .with_code("IMPORT_NO_HEADER"));
    };
    let mut positions: Vec<(&'static str, usize)> = Vec::new();
    let mut unknown = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        match match_column(columns, cell) {
            Some(c) if !positions.iter().any(|(k, _)| *k == c.key) => positions.push((c.key, i)),
            Some(c) => {
                return Err(AppError::invalid(format!(
                    "表头中“{}”列出现了两次（第{}列）",
                    c.label,
                    i + 1
                ))
                .with_code("IMPORT_DUP_COLUMN"));
            }
            None if !cell.trim().is_empty() => unknown.push(cell.trim().to_string()),
            None => {}
        }
    }
    let present = |c: &Column| {
        columns
            .iter()
            .filter(|o| o.key == c.key || (c.group.is_some() && o.group == c.group))
            .any(|o| positions.iter().any(|(k, _)| *k == o.key))
    };
    let mut missing: Vec<&Column> = Vec::new();
    for c in columns.iter().filter(|c| c.required && !present(c)) {
        // One message for a group: 「所属工会代码」或「所在工会」.
        if c.group.is_none() || !missing.iter().any(|m| m.group == c.group) {
            missing.push(c);
        }
    }
    let lookalikes: Vec<(String, &'static str)> = unknown
        .iter()
        .filter_map(|u| lookalike(columns, u).map(|c| (u.clone(), c.label)))
        .collect();
    if !missing.is_empty() {
        let described: Vec<String> = missing
            .iter()
            .map(|c| {
                let names: Vec<&str> = columns
                    .iter()
                    .filter(|o| o.key == c.key || (c.group.is_some() && o.group == c.group))
                    .map(|o| o.label)
                    .collect();
                let wanted = names.join("”或“");
                let near = lookalikes
                    .iter()
                    .find(|(_, label)| names.contains(label))
                    .map(|(cell, _)| {
                        format!(
                            "（表中的“{cell}”是不是这一列？如是请把表头改为“{}”）",
                            names[0]
                        )
                    })
                    .unwrap_or_default();
                format!("“{wanted}”{near}")
            })
            .collect();
        let found: Vec<&str> = positions
            .iter()
            .filter_map(|(_, i)| cells.get(*i).map(|s| s.trim()))
            .collect();
        let mut message = format!(
            "缺少必填列：{}。第{}行的表头中已识别：{}",
            described.join("；"),
            row,
            if found.is_empty() {
                "（无）".to_string()
            } else {
                found.join("、")
            }
        );
        if !unknown.is_empty() {
            message.push_str(&format!("；未识别：{}", unknown.join("、")));
        }
        return Err(AppError::invalid(message).with_code("IMPORT_MISSING_COLUMNS"));
    }
    Ok(HeaderMap {
        row: *row,
        positions,
        unknown,
        lookalikes,
        width: cells.len(),
        labels: cells.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: usize, cells: &[&str]) -> (usize, Vec<String>) {
        (n, cells.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn finds_header_under_a_title_row_with_variants() {
        let rows = vec![
            row(1, &["XX工会会员信息采集表"]),
            row(
                2,
                &[
                    "序号",
                    "姓名",
                    "公民身份号码",
                    "所属工会代码",
                    "入会时间",
                    "备注",
                ],
            ),
            row(3, &["1", "张三", "x", "A", "2021-01-01", ""]),
        ];
        let h = detect(MEMBER_COLUMNS, &rows).unwrap();
        assert_eq!(h.row, 2);
        assert!(h.has("id_number") && h.has("joined"));
        assert_eq!(h.unknown, vec!["序号", "备注"]);
    }

    #[test]
    fn missing_required_columns_are_named_with_what_was_found_and_the_near_misses() {
        let rows = vec![row(1, &["姓名", "身份证号", "性别", "入会年月", "序号"])];
        let e = detect(MEMBER_COLUMNS, &rows).unwrap_err();
        assert_eq!(e.code(), "IMPORT_MISSING_COLUMNS");
        let m = e.message();
        assert!(m.contains("“所属工会代码”或“所在工会”"), "{m}");
        assert!(
            m.contains("“入会日期”（表中的“入会年月”是不是这一列？"),
            "{m}"
        );
        assert!(m.contains("已识别：姓名、身份证号、性别"), "{m}");
        assert!(m.contains("未识别：入会年月、序号"), "{m}");
    }

    #[test]
    fn real_forms_name_the_union_and_the_employer_their_own_way() {
        let rows = vec![row(
            1,
            &[
                "姓名",
                "身份证号",
                "所在工会",
                "入会日期",
                "统一社会信用代码",
                "联系手机号码",
                "备注",
            ],
        )];
        let h = detect(MEMBER_COLUMNS, &rows).unwrap();
        assert!(h.has("org_name") && !h.has("org") && h.has("unit_uscc"));
        let rows = vec![row(
            1,
            &["姓名", "身份证号", "工会名称", "入会日期", "工作单位"],
        )];
        let h = detect(MEMBER_COLUMNS, &rows).unwrap();
        assert!(h.has("org_name") && h.has("unit_name"));
        assert_eq!(h.lookalikes, Vec::<(String, &str)>::new());
    }

    #[test]
    fn an_unrecognised_column_that_looks_like_a_known_one_is_named() {
        let rows = vec![row(
            1,
            &[
                "姓名",
                "身份证号",
                "所属工会代码",
                "入会日期",
                "会员手机",
                "序号",
            ],
        )];
        let h = detect(MEMBER_COLUMNS, &rows).unwrap();
        assert_eq!(h.lookalikes, vec![("会员手机".to_string(), "手机号")]);
    }
}
