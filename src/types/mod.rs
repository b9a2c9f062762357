//! Newtypes for every identifier a user types. Each has a `parse()` constructor that
//! normalises and validates, with a Chinese message on failure.

pub mod fen;
pub mod id_card;
pub mod mobile;
pub mod month;
pub mod region;
pub mod uscc;

pub use fen::{Fen, Limits};
pub use id_card::IdCardNo;
pub use mobile::Mobile;
pub use month::YearMonth;
pub use region::RegionCode;
pub use uscc::Uscc;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    #[serde(rename = "男")]
    Male,
    #[serde(rename = "女")]
    Female,
}

impl Sex {
    pub fn parse(input: &str) -> Result<Sex, AppError> {
        match input.trim() {
            "男" | "男性" | "M" | "m" | "1" | "男士" => Ok(Sex::Male),
            "女" | "女性" | "F" | "f" | "2" | "女士" => Ok(Sex::Female),
            other => Err(AppError::invalid(format!(
                "性别“{other}”不是可选的值。可填：男、女（也可写：男性、女性、M、F、1、2）"
            ))
            .with_code("UNKNOWN_VALUE")),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// Full-width ASCII to half-width, whitespace removed, letters upper-cased.
/// Used for codes (ID numbers, USCC, mobiles), never for names.
pub fn normalize_code(input: &str) -> String {
    input
        .chars()
        .filter_map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            };
            (!c.is_whitespace() && c != '\u{200B}' && c != '\u{FEFF}')
                .then(|| c.to_ascii_uppercase())
        })
        .collect()
}

/// Normalises a person's name: trims, collapses inner whitespace, unifies the many middle-dot
/// look-alikes to `·` (U+00B7) so 阿依古丽·买买提 is stored one way.
pub fn normalize_name(input: &str) -> Result<String, AppError> {
    let name: String = input
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '•' | '●' | '・' | '‧' | '∙' | '⋅' | '.' | '．' | '﹒' | '･' => '·',
            _ => c,
        })
        .collect();
    if name.is_empty() {
        return Err(AppError::invalid("姓名不能为空"));
    }
    if name.chars().count() > 50 {
        return Err(AppError::invalid("姓名过长（最多50个字）"));
    }
    if name.chars().any(|c| c.is_control() || c.is_ascii_digit()) {
        return Err(AppError::invalid("姓名不能包含数字或控制字符"));
    }
    if name.starts_with('·') || name.ends_with('·') {
        return Err(AppError::invalid("姓名中的间隔号“·”不能在开头或结尾"));
    }
    Ok(name)
}

/// Whether a cell holds a long number as a spreadsheet stored it in a number cell (`6.2E+17`,
/// `6.20102199003074E+17`): its last digits are gone. Returns the message for the cadre.
pub fn excel_damaged_number(cell: &str, what: &str) -> Option<String> {
    let t = cell.trim();
    let (mantissa, exp) = t.split_once(['E', 'e'])?;
    let exp = exp.strip_prefix('+').unwrap_or(exp);
    // One digit before the point, as scientific notation writes it: `6.20102E+17`, `6E+17`
    // (a credit code such as 913404002942169E58 is no number).
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let plausible = whole.len() == 1
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (1..=3).contains(&exp.len())
        && exp.parse::<u32>().is_ok_and(|e| e >= 10);
    plausible.then(|| {
        format!(
            "{what}“{t}”是按数字存储的，Excel只保留15位有效数字，后几位已经丢失：请把这一列设为“文本”格式后重新输入完整的{what}"
        )
    })
}

/// Dates as cadres type them: `2021-03-05`, `2021/3/5`, `2021.3.5`, `2021年3月5日`, `20210305`,
/// or an Excel serial number (days since 1899-12-30).
pub fn parse_date(input: &str) -> Result<NaiveDate, AppError> {
    let s = normalize_code(input);
    let err = || AppError::invalid(format!("日期“{}”无法识别，请写成2021-03-05", input.trim()));
    if s.is_empty() {
        return Err(AppError::invalid("日期不能为空"));
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(&s, "%Y%m%d").map_err(|_| err());
    }
    if let Ok(serial) = s.parse::<f64>() {
        // Excel serials for 1900..2100 lie in this range.
        if (1.0..80000.0).contains(&serial) {
            let base = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid");
            return Ok(base + Duration::days(serial.trunc() as i64));
        }
        return Err(err());
    }
    let unified: String = s
        .trim_end_matches('日')
        .trim_end_matches("00:00:00")
        .trim_end_matches('T')
        .chars()
        .map(|c| {
            if matches!(c, '年' | '月' | '/' | '.') {
                '-'
            } else {
                c
            }
        })
        .collect();
    let parts: Vec<&str> = unified.split('-').collect();
    if parts.len() != 3 {
        return Err(err());
    }
    let (y, m, d) = (
        parts[0].parse().map_err(|_| err())?,
        parts[1].parse().map_err(|_| err())?,
        parts[2].parse().map_err(|_| err())?,
    );
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(err)
}

/// "是/否" flags in forms.
/// The spellings of yes and no that forms use.
const YES: &[&str] = &[
    "是", "Y", "y", "yes", "Yes", "YES", "1", "true", "True", "TRUE", "√", "✓", "✔", "对",
];
const NO: &[&str] = &[
    "否", "N", "n", "no", "No", "NO", "0", "false", "False", "FALSE", "×", "✗", "✘", "不是", "非",
];

pub fn parse_flag(input: &str) -> Result<bool, AppError> {
    let v = input.trim();
    if v.is_empty() || NO.contains(&v) {
        Ok(false)
    } else if YES.contains(&v) {
        Ok(true)
    } else {
        Err(AppError::invalid(format!(
            "“{v}”应填“是”或“否”（也可写：{}；{}；留空即为否）",
            YES[1..].join("、"),
            NO[1..].join("、")
        ))
        .with_code("UNKNOWN_VALUE"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn long_numbers_stored_as_numbers_by_a_spreadsheet_are_named() {
        let msg = excel_damaged_number("6.20102199003074E+17", "身份证号").unwrap();
        assert!(msg.contains("文本") && msg.contains("15位"), "{msg}");
        assert!(excel_damaged_number("6.2e17", "身份证号").is_some());
        assert!(excel_damaged_number("620102199003074123", "身份证号").is_none());
        assert!(excel_damaged_number("91340400MA0000011E", "统一社会信用代码").is_none());
        assert!(
            excel_damaged_number("1E+2", "x").is_none(),
            "a small number is exact"
        );
    }

    #[test]
    fn dates_in_every_common_form() {
        let d = NaiveDate::from_ymd_opt(2021, 3, 5).unwrap();
        for s in [
            "2021-03-05",
            "2021/3/5",
            "2021年3月5日",
            "2021.3.5",
            "20210305",
            "44260",
            "２０２１-３-５",
        ] {
            assert_eq!(parse_date(s).unwrap(), d, "{s}");
        }
        assert!(parse_date("2021-02-30").is_err());
        assert!(parse_date("昨天").is_err());
    }

    #[test]
    fn names_keep_middle_dot_and_rare_characters() {
        assert_eq!(
            normalize_name("阿依古丽•买买提").unwrap(),
            "阿依古丽·买买提"
        );
        assert_eq!(normalize_name(" 𠮷 𡘙 ").unwrap(), "𠮷𡘙");
        assert!(normalize_name("张3").is_err());
        assert!(normalize_name("·张").is_err());
    }

    proptest! {
        #[test]
        fn iso_dates_round_trip(days in 0i64..60000) {
            let d = NaiveDate::from_ymd_opt(1900, 3, 1).unwrap() + Duration::days(days);
            prop_assert_eq!(parse_date(&d.format("%Y-%m-%d").to_string()).unwrap(), d);
            prop_assert_eq!(parse_date(&d.format("%Y年%-m月%-d日").to_string()).unwrap(), d);
        }
    }
}
