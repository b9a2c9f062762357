//! Coded fields used in forms and templates (drop-down lists), with lenient parsing.

use crate::error::{AppError, AppResult};

pub const ETHNICITIES: &[&str] = &[
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
];

pub const POLITICAL: &[&str] = &[
    "中共党员",
    "中共预备党员",
    "共青团员",
    "民革党员",
    "民盟盟员",
    "民建会员",
    "民进会员",
    "农工党党员",
    "致公党党员",
    "九三学社社员",
    "台盟盟员",
    "无党派人士",
    "群众",
];

pub const EDUCATION: &[&str] = &[
    "研究生",
    "大学本科",
    "大学专科",
    "中等专科",
    "职业高中",
    "技工学校",
    "高中",
    "初中",
    "小学及以下",
];

pub const HUKOU: &[&str] = &["城镇", "农村"];

/// 八大群体 plus ride-hailing drivers (named in the 2021 national drive) and "other".
pub const NEF_GROUPS: &[&str] = &[
    "货车司机",
    "快递员",
    "护工护理员",
    "家政服务员",
    "商场信息员",
    "网约送餐员",
    "房产中介员",
    "保安员",
    "网约车司机",
    "其他新就业形态",
];

pub const OWNERSHIP: &[&str] = &[
    "国有",
    "集体",
    "民营",
    "外资",
    "港澳台资",
    "机关事业",
    "社会组织",
    "其他",
];

fn pick(list: &[&'static str], value: &str, field: &str) -> AppResult<Option<&'static str>> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if let Some(hit) = list.iter().find(|x| **x == v) {
        return Ok(Some(hit));
    }
    Err(AppError::invalid(format!(
        "{field}“{v}”不在可选值中（如：{}）",
        list[..list.len().min(4)].join("、")
    )))
}

pub fn ethnicity(v: &str) -> AppResult<Option<&'static str>> {
    let v = v.trim();
    // "汉" and "汉族" are both common.
    if !v.is_empty()
        && !v.ends_with('族')
        && let Some(hit) = ETHNICITIES.iter().find(|x| x.trim_end_matches('族') == v)
    {
        return Ok(Some(hit));
    }
    pick(ETHNICITIES, v, "民族")
}

pub fn political(v: &str) -> AppResult<Option<&'static str>> {
    let v = match v.trim() {
        "党员" | "共产党员" => "中共党员",
        "团员" => "共青团员",
        other => other,
    };
    pick(POLITICAL, v, "政治面貌")
}

pub fn education(v: &str) -> AppResult<Option<&'static str>> {
    let v = match v.trim() {
        "本科" => "大学本科",
        "大专" | "专科" => "大学专科",
        "中专" => "中等专科",
        "硕士" | "博士" | "硕士研究生" | "博士研究生" => "研究生",
        "小学" => "小学及以下",
        other => other,
    };
    pick(EDUCATION, v, "学历")
}

pub fn hukou(v: &str) -> AppResult<Option<&'static str>> {
    let v = match v.trim() {
        "非农业" | "城市" | "非农" => "城镇",
        "农业" => "农村",
        other => other,
    };
    pick(HUKOU, v, "户籍类型")
}

pub fn nef_group(v: &str) -> AppResult<Option<&'static str>> {
    let v = match v.trim() {
        "外卖员" | "外卖骑手" | "骑手" => "网约送餐员",
        "快递小哥" => "快递员",
        other => other,
    };
    pick(NEF_GROUPS, v, "新就业形态群体")
}

pub fn ownership(v: &str) -> AppResult<Option<&'static str>> {
    let v = match v.trim() {
        "私营" | "民营企业" => "民营",
        "国企" | "国有企业" => "国有",
        other => other,
    };
    pick(OWNERSHIP, v, "经济类型")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_six_ethnic_groups_and_lenient_forms() {
        assert_eq!(ETHNICITIES.len(), 56);
        assert_eq!(ethnicity("汉").unwrap(), Some("汉族"));
        assert_eq!(education("本科").unwrap(), Some("大学本科"));
        assert_eq!(nef_group("外卖骑手").unwrap(), Some("网约送餐员"));
        assert!(political("火星人").is_err());
        assert_eq!(hukou("").unwrap(), None);
    }
}
