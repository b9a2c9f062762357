//! 统一社会信用代码 (GB 32100-2015): 18 characters over `0-9A-HJ-NPQRTUWXY`, check character MOD 31.

use std::fmt;

use super::normalize_code;
use crate::error::AppError;

const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code. `check_ok` is false for codes whose check character does not
/// match: some early-issued codes fail it, so an administrator may accept them knowingly.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Uscc {
    code: String,
    check_ok: bool,
}

impl Uscc {
    pub fn parse(input: &str) -> Result<Uscc, AppError> {
        let code = normalize_code(input);
        if code.is_empty() {
            return Err(AppError::invalid("统一社会信用代码不能为空"));
        }
        if code.chars().count() != 18 {
            return Err(AppError::invalid(format!(
                "统一社会信用代码应为18位，当前为{}位",
                code.chars().count()
            )));
        }
        if let Some(bad) = code.bytes().find(|b| value_of(*b).is_none()) {
            return Err(AppError::invalid(format!(
                "统一社会信用代码含有不允许的字符“{}”（不使用I、O、S、V、Z）",
                bad as char
            )));
        }
        let check_ok = code.as_bytes()[17] == check_char(&code.as_bytes()[..17]);
        Ok(Uscc { code, check_ok })
    }

    /// Parses and rejects a wrong check character unless the caller accepts it.
    pub fn parse_strict(input: &str, accept_bad_check: bool) -> Result<Uscc, AppError> {
        let u = Uscc::parse(input)?;
        if !u.check_ok && !accept_bad_check {
            return Err(AppError::invalid(
                "统一社会信用代码校验位不正确（如确为早期发放的代码，可由管理员确认后导入）",
            )
            .with_code("USCC_CHECK"));
        }
        Ok(u)
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }

    pub fn check_ok(&self) -> bool {
        self.check_ok
    }
}

fn value_of(b: u8) -> Option<u32> {
    CHARSET.iter().position(|c| *c == b).map(|p| p as u32)
}

pub fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| value_of(*b).unwrap_or(0) * w)
        .sum();
    CHARSET[((31 - sum % 31) % 31) as usize]
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn charset_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(0usize..31, 17)
            .prop_map(|v| v.into_iter().map(|i| CHARSET[i] as char).collect())
    }

    #[test]
    fn known_code_passes() {
        // A widely published sample code.
        let u = Uscc::parse("91350100M000100Y43").unwrap();
        assert!(u.check_ok());
    }

    #[test]
    fn bad_check_is_a_warning_unless_strict() {
        let u = Uscc::parse("91350100M000100Y44").unwrap();
        assert!(!u.check_ok());
        assert_eq!(
            Uscc::parse_strict("91350100M000100Y44", false)
                .unwrap_err()
                .code(),
            "USCC_CHECK"
        );
        assert!(Uscc::parse_strict("91350100M000100Y44", true).is_ok());
    }

    #[test]
    fn rejects_forbidden_letters_and_length() {
        assert!(
            Uscc::parse("91350100M000100YO3")
                .unwrap_err()
                .message()
                .contains("不允许")
        );
        assert!(Uscc::parse("9135").unwrap_err().message().contains("18位"));
        assert!(Uscc::parse("").is_err());
    }

    proptest! {
        #[test]
        fn generated_codes_pass(first17 in charset_strategy()) {
            let code = format!("{first17}{}", check_char(first17.as_bytes()) as char);
            prop_assert!(Uscc::parse(&code).unwrap().check_ok());
        }

        #[test]
        fn one_changed_character_fails_the_check(first17 in charset_strategy(), pos in 0usize..18, shift in 1usize..31) {
            let code = format!("{first17}{}", check_char(first17.as_bytes()) as char);
            let mut bytes = code.into_bytes();
            let old = CHARSET.iter().position(|c| *c == bytes[pos]).unwrap();
            bytes[pos] = CHARSET[(old + shift) % 31];
            let mutated = String::from_utf8(bytes).unwrap();
            prop_assert!(!Uscc::parse(&mutated).unwrap().check_ok());
        }
    }
}
