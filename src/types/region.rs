//! 行政区划代码 (GB/T 2260): six digits; the first two name the province.
//!
//! We check the province level exactly. The full county list changes every year and is not
//! shipped yet, so an unknown county is not rejected; an unknown province is.

use std::fmt;

use super::normalize_code;
use crate::error::AppError;

const PROVINCES: &[(&str, &str)] = &[
    ("11", "北京市"),
    ("12", "天津市"),
    ("13", "河北省"),
    ("14", "山西省"),
    ("15", "内蒙古自治区"),
    ("21", "辽宁省"),
    ("22", "吉林省"),
    ("23", "黑龙江省"),
    ("31", "上海市"),
    ("32", "江苏省"),
    ("33", "浙江省"),
    ("34", "安徽省"),
    ("35", "福建省"),
    ("36", "江西省"),
    ("37", "山东省"),
    ("41", "河南省"),
    ("42", "湖北省"),
    ("43", "湖南省"),
    ("44", "广东省"),
    ("45", "广西壮族自治区"),
    ("46", "海南省"),
    ("50", "重庆市"),
    ("51", "四川省"),
    ("52", "贵州省"),
    ("53", "云南省"),
    ("54", "西藏自治区"),
    ("61", "陕西省"),
    ("62", "甘肃省"),
    ("63", "青海省"),
    ("64", "宁夏回族自治区"),
    ("65", "新疆维吾尔自治区"),
    ("71", "台湾省"),
    ("81", "香港特别行政区"),
    ("82", "澳门特别行政区"),
];

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(input: &str) -> Result<RegionCode, AppError> {
        let s = normalize_code(input);
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid("行政区划代码应为6位数字"));
        }
        if province_name(&s).is_none() {
            return Err(AppError::invalid(format!(
                "行政区划代码{s}的省级代码不存在"
            )));
        }
        Ok(RegionCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.0)
    }
}

pub fn province_name(code: &str) -> Option<&'static str> {
    let prefix = code.get(..2)?;
    PROVINCES
        .iter()
        .find(|(p, _)| *p == prefix)
        .map(|(_, n)| *n)
}

/// Whether the region part of an ID number names a known province.
pub fn is_known_prefix(code: &str) -> bool {
    province_name(code).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn known_provinces_parse(i in 0usize..PROVINCES.len(), rest in 0u32..10000) {
            let code = format!("{}{rest:04}", PROVINCES[i].0);
            prop_assert!(RegionCode::parse(&code).is_ok());
        }

        #[test]
        fn unknown_provinces_and_bad_shapes_rejected(p in 0u32..100, rest in 0u32..10000, extra in "[0-9]{1,3}") {
            let code = format!("{p:02}{rest:04}");
            prop_assume!(!PROVINCES.iter().any(|(x, _)| *x == &code[..2]));
            prop_assert!(RegionCode::parse(&code).is_err());
            let long = format!("11{rest:04}{extra}");
            prop_assert!(RegionCode::parse(&long).is_err());
        }
    }
}
