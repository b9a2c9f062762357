//! 居民身份证号码 (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence
//! (odd = male), ISO 7064 MOD 11-2 check character.

use chrono::NaiveDate;
use std::fmt;

use super::{Sex, normalize_code, region};
use crate::error::AppError;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// A validated 18-digit ID number. The only constructor is [`IdCardNo::parse`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdCardNo(String);

/// Anything about a parsed ID number that is suspicious but not fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdCardWarning {
    UnknownRegion(String),
}

impl IdCardNo {
    /// Parses user input: full-width digits, spaces and a lowercase `x` are normalised first.
    pub fn parse(input: &str) -> Result<IdCardNo, AppError> {
        let s = normalize_code(input);
        if s.is_empty() {
            return Err(AppError::invalid("身份证号不能为空"));
        }
        if s.len() != 18 || !s.is_ascii() {
            return Err(AppError::invalid(format!(
                "身份证号应为18位，当前为{}位",
                s.chars().count()
            )));
        }
        let bytes = s.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err(AppError::invalid("身份证号前17位必须是数字"));
        }
        if !(bytes[17].is_ascii_digit() || bytes[17] == b'X') {
            return Err(AppError::invalid("身份证号最后一位只能是数字或X"));
        }
        if birth_date_of(&s).is_none() {
            return Err(AppError::invalid(format!(
                "身份证号中的出生日期{}不是有效日期",
                &s[6..14]
            )));
        }
        if bytes[17] != check_char(&bytes[..17]) {
            return Err(AppError::invalid("身份证号校验位不正确，请核对号码"));
        }
        Ok(IdCardNo(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        birth_date_of(&self.0).expect("checked in parse")
    }

    pub fn sex(&self) -> Sex {
        let seq = self.0.as_bytes()[16] - b'0';
        if seq % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    pub fn region_code(&self) -> &str {
        &self.0[..6]
    }

    pub fn warnings(&self) -> Vec<IdCardWarning> {
        if region::is_known_prefix(self.region_code()) {
            vec![]
        } else {
            vec![IdCardWarning::UnknownRegion(self.region_code().to_string())]
        }
    }

    /// `110105********002X`: region kept, birth date and sequence hidden.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

fn birth_date_of(s: &str) -> Option<NaiveDate> {
    let y: i32 = s.get(6..10)?.parse().ok()?;
    let m: u32 = s.get(10..12)?.parse().ok()?;
    let d: u32 = s.get(12..14)?.parse().ok()?;
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    let today = chrono::Local::now().date_naive();
    (y >= 1900 && date <= today).then_some(date)
}

/// The GB 11643 check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

// Never print the full number by accident: Debug shows the masked form.
impl fmt::Debug for IdCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNo({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_check(first17: &str) -> String {
        let c = check_char(first17.as_bytes()) as char;
        format!("{first17}{c}")
    }

    #[test]
    fn known_valid_number_parses_and_derives_fields() {
        let id = IdCardNo::parse("11010519491231002X").unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn normalises_fullwidth_spaces_and_lowercase_x() {
        let id = IdCardNo::parse(" １１０１０５１９４９１２３１００２x ").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn rejects_wrong_length_bad_check_and_impossible_date() {
        assert!(
            IdCardNo::parse("1101051949123100")
                .unwrap_err()
                .message()
                .contains("18位")
        );
        assert!(
            IdCardNo::parse("110105194912310021")
                .unwrap_err()
                .message()
                .contains("校验位")
        );
        let bad_date = with_check("11010519490231002");
        assert!(
            IdCardNo::parse(&bad_date)
                .unwrap_err()
                .message()
                .contains("出生日期")
        );
    }

    #[test]
    fn unknown_region_is_a_warning_not_an_error() {
        let id = IdCardNo::parse(&with_check("99010519800101001")).unwrap();
        assert_eq!(
            id.warnings(),
            vec![IdCardWarning::UnknownRegion("990105".into())]
        );
    }

    proptest! {
        #[test]
        fn valid_numbers_parse(region in 110000u32..660000, days in 0i64..36500, seq in 0u32..1000) {
            let birth = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap() + chrono::Duration::days(days);
            prop_assume!(birth <= chrono::Local::now().date_naive());
            let first17 = format!("{region:06}{}{seq:03}", birth.format("%Y%m%d"));
            let id = IdCardNo::parse(&with_check(&first17)).unwrap();
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(id.sex() == Sex::Male, seq % 2 == 1);
        }

        #[test]
        fn changing_one_character_is_rejected(region in 110000u32..660000, days in 0i64..30000,
                                              seq in 0u32..1000, pos in 0usize..18, delta in 1u8..10) {
            let birth = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap() + chrono::Duration::days(days);
            let valid = with_check(&format!("{region:06}{}{seq:03}", birth.format("%Y%m%d")));
            let mut bytes = valid.clone().into_bytes();
            bytes[pos] = if bytes[pos] == b'X' { b'0' + delta } else { b'0' + (bytes[pos] - b'0' + delta) % 10 };
            let mutated = String::from_utf8(bytes).unwrap();
            prop_assume!(mutated != valid);
            prop_assert!(IdCardNo::parse(&mutated).is_err());
        }
    }
}
