//! Coded fields (学历, 政治面貌, 民族, 户籍类型, 新就业形态群体, 经济类型): the canonical values
//! stored and offered in drop-down lists, and every other spelling people write on their own
//! collection forms, mapped to them. Taken from the national code lists where one exists
//! (GB/T 4658 学历, GB/T 4762 政治面貌, GB 3304 民族). `docs/import-formats.md` lists them all.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::error::{AppError, AppResult};

/// One coded field: what is stored, and what else people write for it.
pub struct Vocabulary {
    /// The field's name as forms and messages say it.
    pub field: &'static str,
    /// Canonical values, in the order a drop-down list offers them.
    pub values: &'static [&'static str],
    /// Other spellings and the canonical value each means.
    pub spellings: &'static [(&'static str, &'static str)],
    /// Spellings that mean "none" (the field left empty).
    pub blanks: &'static [&'static str],
    /// Words forms add that change nothing (「本科学历」 is 「本科」).
    pub noise: &'static [&'static str],
    /// The national standard behind the values, if any.
    pub standard: &'static str,
    /// Every spelling as [`normalize`] leaves it → its canonical value (built on first use).
    pub index: OnceLock<HashMap<String, &'static str>>,
}

/// A value as compared: full-width letters, digits and punctuation as half-width, spaces
/// gone, the separators of combined values (／、，) as `/`, brackets as ASCII.
fn normalize(v: &str) -> String {
    v.chars()
        .filter_map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                other => other,
            };
            match c {
                c if c.is_whitespace() => None,
                '、' | ',' | '，' | '\\' => Some('/'),
                '（' => Some('('),
                '）' => Some(')'),
                c => Some(c),
            }
        })
        .collect()
}

impl Vocabulary {
    /// The canonical value for what was written; `None` for a blank. An unknown value is an
    /// error that lists every accepted value and, when there is one, the closest.
    pub fn parse(&self, written: &str) -> AppResult<Option<&'static str>> {
        // Most cells hold a value exactly as listed: found without building anything.
        if let Some(hit) = self.lookup(written.trim()) {
            return Ok(Some(hit));
        }
        let v = normalize(written);
        if v.is_empty() || self.blanks.iter().any(|b| normalize(b) == v) {
            return Ok(None);
        }
        if let Some(hit) = self.lookup(&v) {
            return Ok(Some(hit));
        }
        // 「本科学历」, 「高中毕业」: the same without the words forms add.
        let mut bare = v.clone();
        for n in self.noise {
            bare = bare.replace(n, "");
        }
        if bare != v
            && !bare.is_empty()
            && let Some(hit) = self.lookup(&bare)
        {
            return Ok(Some(hit));
        }
        let hint = self
            .closest(&v)
            .map(|c| format!("您是否想填写“{c}”？"))
            .unwrap_or_default();
        Err(AppError::invalid(format!(
            "{}“{}”不是可选的值。{hint}可填：{}",
            self.field,
            written.trim(),
            self.accepted()
        ))
        .with_code("UNKNOWN_VALUE"))
    }

    fn lookup(&self, v: &str) -> Option<&'static str> {
        self.index
            .get_or_init(|| {
                let canonical = self.values.iter().map(|x| (normalize(x), *x));
                let others = self.spellings.iter().map(|(s, c)| (normalize(s), *c));
                canonical.chain(others).collect()
            })
            .get(v)
            .copied()
    }

    /// The canonical value nearest to an unknown one: one that contains it or is contained in
    /// it, or one character away.
    fn closest(&self, v: &str) -> Option<&'static str> {
        let all = self
            .values
            .iter()
            .map(|x| (*x, *x))
            .chain(self.spellings.iter().map(|(s, c)| (*s, *c)));
        let mut best: Option<(usize, &'static str)> = None;
        for (spelling, canonical) in all {
            let s = normalize(spelling);
            let distance = if s.contains(v) || v.contains(&s) {
                0
            } else {
                strsim::levenshtein(&s, v)
            };
            let near = distance == 0 || (distance == 1 && v.chars().count() >= 2);
            if near && best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, canonical));
            }
        }
        best.map(|(_, c)| c)
    }

    /// Every accepted value, for messages: the canonical ones, then the other spellings.
    pub fn accepted(&self) -> String {
        let mut out = self.values.join("、");
        if !self.spellings.is_empty() {
            let others: Vec<&str> = self.spellings.iter().map(|(s, _)| *s).collect();
            out.push_str(&format!("（也可写：{}）", others.join("、")));
        }
        if !self.blanks.is_empty() {
            out.push_str(&format!("；不适用的可留空或写{}", self.blanks.join("、")));
        }
        out
    }
}

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

/// GB/T 4658 levels, with the combined bands collection forms use (高中/中专, 初中及以下,
/// 小学及以下) kept as they were written rather than guessed finer.
pub const EDUCATION: &[&str] = &[
    "研究生",
    "大学本科",
    "大学专科",
    "中等专科",
    "技工学校",
    "职业高中",
    "高中",
    "高中/中专",
    "初中",
    "初中及以下",
    "小学",
    "小学及以下",
    "文盲或半文盲",
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

pub static EDUCATION_CODES: Vocabulary = Vocabulary {
    field: "学历",
    values: EDUCATION,
    spellings: &[
        ("博士", "研究生"),
        ("硕士", "研究生"),
        ("博士研究生", "研究生"),
        ("硕士研究生", "研究生"),
        ("本科", "大学本科"),
        ("大本", "大学本科"),
        ("大专", "大学专科"),
        ("专科", "大学专科"),
        ("高职", "大学专科"),
        ("高职高专", "大学专科"),
        ("中专", "中等专科"),
        ("中技", "中等专科"),
        ("中师", "中等专科"),
        ("中等专业学校", "中等专科"),
        ("中等技术学校", "中等专科"),
        ("技校", "技工学校"),
        ("职高", "职业高中"),
        ("普通高中", "高中"),
        ("高级中学", "高中"),
        ("高中及中专", "高中/中专"),
        ("中专/高中", "高中/中专"),
        ("高中或中专", "高中/中专"),
        ("高中(中专)", "高中/中专"),
        ("高中(含中专)", "高中/中专"),
        ("高中/中专/技校", "高中/中专"),
        ("高中/中技", "高中/中专"),
        ("初级中学", "初中"),
        ("初中以下", "初中及以下"),
        ("小学以下", "小学及以下"),
        ("文盲", "文盲或半文盲"),
        ("半文盲", "文盲或半文盲"),
    ],
    blanks: &[],
    noise: &["学历", "毕业", "文化", "程度"],
    standard: "GB/T 4658-2006",
    index: OnceLock::new(),
};

pub static POLITICAL_CODES: Vocabulary = Vocabulary {
    field: "政治面貌",
    values: POLITICAL,
    spellings: &[
        ("中国共产党党员", "中共党员"),
        ("共产党员", "中共党员"),
        ("党员", "中共党员"),
        ("中国共产党预备党员", "中共预备党员"),
        ("预备党员", "中共预备党员"),
        ("中国共产主义青年团团员", "共青团员"),
        ("团员", "共青团员"),
        ("中国国民党革命委员会会员", "民革党员"),
        ("民革", "民革党员"),
        ("中国民主同盟盟员", "民盟盟员"),
        ("民盟", "民盟盟员"),
        ("中国民主建国会会员", "民建会员"),
        ("民建", "民建会员"),
        ("中国民主促进会会员", "民进会员"),
        ("民进", "民进会员"),
        ("中国农工民主党党员", "农工党党员"),
        ("农工党", "农工党党员"),
        ("中国致公党党员", "致公党党员"),
        ("致公党", "致公党党员"),
        ("九三学社", "九三学社社员"),
        ("台湾民主自治同盟盟员", "台盟盟员"),
        ("台盟", "台盟盟员"),
        ("无党派", "无党派人士"),
        ("普通群众", "群众"),
    ],
    blanks: &[],
    noise: &[],
    standard: "GB/T 4762-1984",
    index: OnceLock::new(),
};

pub static HUKOU_CODES: Vocabulary = Vocabulary {
    field: "户籍类型",
    values: HUKOU,
    spellings: &[
        ("城市", "城镇"),
        ("非农", "城镇"),
        ("非农业", "城镇"),
        ("非农业户口", "城镇"),
        ("城镇户口", "城镇"),
        ("城镇户籍", "城镇"),
        ("农业", "农村"),
        ("农业户口", "农村"),
        ("农村户口", "农村"),
        ("农村户籍", "农村"),
        ("乡村", "农村"),
    ],
    blanks: &[],
    noise: &[],
    standard: "",
    index: OnceLock::new(),
};

pub static NEF_GROUP_CODES: Vocabulary = Vocabulary {
    field: "新就业形态群体",
    values: NEF_GROUPS,
    spellings: &[
        ("货运司机", "货车司机"),
        ("卡车司机", "货车司机"),
        ("快递小哥", "快递员"),
        ("快递", "快递员"),
        ("护工", "护工护理员"),
        ("护理员", "护工护理员"),
        ("家政", "家政服务员"),
        ("家政员", "家政服务员"),
        ("外卖员", "网约送餐员"),
        ("外卖骑手", "网约送餐员"),
        ("骑手", "网约送餐员"),
        ("送餐员", "网约送餐员"),
        ("外卖送餐员", "网约送餐员"),
        ("房产中介", "房产中介员"),
        ("房地产经纪人", "房产中介员"),
        ("保安", "保安员"),
        ("网约车", "网约车司机"),
        ("网约车驾驶员", "网约车司机"),
        ("其他", "其他新就业形态"),
    ],
    blanks: &["否", "无", "不是", "非新就业形态"],
    noise: &[],
    standard: "",
    index: OnceLock::new(),
};

pub static OWNERSHIP_CODES: Vocabulary = Vocabulary {
    field: "经济类型",
    values: OWNERSHIP,
    spellings: &[
        ("国企", "国有"),
        ("国有企业", "国有"),
        ("国有控股", "国有"),
        ("集体企业", "集体"),
        ("私营", "民营"),
        ("民营企业", "民营"),
        ("私营企业", "民营"),
        ("个体", "民营"),
        ("外商投资", "外资"),
        ("外资企业", "外资"),
        ("港澳台", "港澳台资"),
        ("港澳台投资", "港澳台资"),
        ("机关", "机关事业"),
        ("事业单位", "机关事业"),
        ("机关事业单位", "机关事业"),
        ("社会团体", "社会组织"),
        ("民办非企业", "社会组织"),
    ],
    blanks: &[],
    noise: &[],
    standard: "",
    index: OnceLock::new(),
};

/// GB 3304: 汉 for 汉族, and the two-digit codes (01 汉族 … 56 基诺族).
pub fn ethnicity(v: &str) -> AppResult<Option<&'static str>> {
    let t = normalize(v);
    if t.is_empty() {
        return Ok(None);
    }
    if let Some(hit) = ETHNICITIES
        .iter()
        .find(|x| **x == t || x.trim_end_matches('族') == t)
    {
        return Ok(Some(hit));
    }
    if t.len() <= 2
        && let Ok(code) = t.parse::<usize>()
        && (1..=ETHNICITIES.len()).contains(&code)
    {
        return Ok(Some(ETHNICITIES[code - 1]));
    }
    ETHNICITY_CODES.parse(v)
}

/// The 56 groups for messages and lists (the short forms and codes are handled in [`ethnicity`]).
pub static ETHNICITY_CODES: Vocabulary = Vocabulary {
    field: "民族",
    values: ETHNICITIES,
    spellings: &[],
    blanks: &[],
    noise: &[],
    standard: "GB 3304-1991",
    index: OnceLock::new(),
};

pub fn political(v: &str) -> AppResult<Option<&'static str>> {
    POLITICAL_CODES.parse(v)
}

pub fn education(v: &str) -> AppResult<Option<&'static str>> {
    EDUCATION_CODES.parse(v)
}

pub fn hukou(v: &str) -> AppResult<Option<&'static str>> {
    HUKOU_CODES.parse(v)
}

pub fn nef_group(v: &str) -> AppResult<Option<&'static str>> {
    NEF_GROUP_CODES.parse(v)
}

pub fn ownership(v: &str) -> AppResult<Option<&'static str>> {
    OWNERSHIP_CODES.parse(v)
}

/// Every vocabulary, for the documentation and its test.
pub static ALL: &[&Vocabulary] = &[
    &EDUCATION_CODES,
    &POLITICAL_CODES,
    &ETHNICITY_CODES,
    &HUKOU_CODES,
    &NEF_GROUP_CODES,
    &OWNERSHIP_CODES,
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fifty_six_ethnic_groups_and_lenient_forms() {
        assert_eq!(ETHNICITIES.len(), 56);
        assert_eq!(ethnicity("汉").unwrap(), Some("汉族"));
        assert_eq!(ethnicity("01").unwrap(), Some("汉族"));
        assert_eq!(ethnicity("56").unwrap(), Some("基诺族"));
        assert!(ethnicity("57").is_err());
        assert_eq!(education("本科").unwrap(), Some("大学本科"));
        assert_eq!(nef_group("外卖骑手").unwrap(), Some("网约送餐员"));
        assert!(political("火星人").is_err());
        assert_eq!(hukou("").unwrap(), None);
    }

    #[test]
    fn the_values_real_collection_forms_use_are_accepted() {
        for (written, stored) in [
            ("高中/中专", "高中/中专"),
            ("高中／中专", "高中/中专"),
            ("高中、中专", "高中/中专"),
            ("高中", "高中"),
            ("中专", "中等专科"),
            ("初中及以下", "初中及以下"),
            ("初中", "初中"),
            ("小学", "小学"),
            ("本科学历", "大学本科"),
            ("大专毕业", "大学专科"),
            (" 硕士 ", "研究生"),
        ] {
            assert_eq!(education(written).unwrap(), Some(stored), "{written}");
        }
        assert_eq!(nef_group("否").unwrap(), None, "not one of the groups");
        assert_eq!(political("中国共产党党员").unwrap(), Some("中共党员"));
    }

    #[test]
    fn an_unknown_value_lists_every_accepted_one_and_suggests_a_close_one() {
        let e = education("大学本").unwrap_err();
        assert_eq!(e.code(), "UNKNOWN_VALUE");
        assert!(
            e.message().contains("您是否想填写“大学本科”？"),
            "{}",
            e.message()
        );
        for v in EDUCATION {
            assert!(e.message().contains(v), "{v} listed in {}", e.message());
        }
        let e = political("火星人").unwrap_err();
        assert!(!e.message().contains("您是否想"), "{}", e.message());
    }

    #[test]
    fn every_vocabulary_is_consistent() {
        for v in ALL {
            for (spelling, canonical) in v.spellings {
                assert!(
                    v.values.contains(canonical),
                    "{}: {spelling} → {canonical}",
                    v.field
                );
                assert!(
                    !v.values.contains(spelling),
                    "{}: {spelling} is canonical",
                    v.field
                );
            }
            for b in v.blanks {
                assert!(v.lookup(&normalize(b)).is_none(), "{}: {b}", v.field);
            }
        }
    }

    #[test]
    fn docs_import_formats_lists_every_value_and_spelling() {
        let doc = include_str!("../../docs/import-formats.md");
        for v in ALL.iter().filter(|v| v.field != "民族") {
            for value in v.values.iter().chain(v.spellings.iter().map(|(s, _)| s)) {
                assert!(
                    doc.contains(&format!("{value} "))
                        || doc.contains(&format!("{value}、"))
                        || doc.contains(&format!("{value}|")),
                    "{}: {value} missing from docs/import-formats.md",
                    v.field
                );
            }
        }
    }

    fn spelling() -> impl Strategy<Value = (usize, usize)> {
        (0..ALL.len()).prop_flat_map(|i| (Just(i), 0..ALL[i].values.len() + ALL[i].spellings.len()))
    }

    proptest! {
        #[test]
        fn every_spelling_maps_to_its_canonical_value((i, j) in spelling(), pad in "[ 　]{0,2}") {
            let v = ALL[i];
            let (written, expected) = if j < v.values.len() {
                (v.values[j], v.values[j])
            } else {
                v.spellings[j - v.values.len()]
            };
            let parsed = if v.field == "民族" { ethnicity(&format!("{pad}{written}{pad}")) } else { v.parse(&format!("{pad}{written}{pad}")) };
            prop_assert_eq!(parsed.unwrap(), Some(expected));
        }

        #[test]
        fn an_unknown_value_is_refused_with_the_whole_list(i in 0..ALL.len(), junk in "[a-z]{3,8}") {
            let v = ALL[i];
            let e = v.parse(&junk).unwrap_err();
            for value in v.values {
                prop_assert!(e.message().contains(value));
            }
        }
    }
}
