//! Mainland mobile numbers: 11 digits, `1[3-9]` prefix.

use std::fmt;

use super::normalize_code;
use crate::error::AppError;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mobile(String);

impl Mobile {
    /// Accepts `+86`/`86` prefixes, spaces, dashes and full-width digits.
    pub fn parse(input: &str) -> Result<Mobile, AppError> {
        let mut s: String = normalize_code(input)
            .chars()
            .filter(|c| *c != '-')
            .collect();
        if let Some(rest) = s.strip_prefix("+86") {
            s = rest.to_string();
        } else if s.len() == 13 && s.starts_with("86") {
            s = s[2..].to_string();
        }
        let b = s.as_bytes();
        let ok = b.len() == 11
            && b.iter().all(u8::is_ascii_digit)
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1]);
        if ok {
            Ok(Mobile(s))
        } else {
            Err(AppError::invalid("手机号应为11位数字，以13—19开头"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mobile({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks_and_normalises() {
        let m = Mobile::parse("+86 138-1234-5678").unwrap();
        assert_eq!(m.as_str(), "13812345678");
        assert_eq!(m.masked(), "138****5678");
    }

    proptest! {
        #[test]
        fn valid_numbers_parse(second in 3u8..10, rest in 0u64..1_000_000_000) {
            let s = format!("1{second}{rest:09}");
            let m = Mobile::parse(&s).unwrap();
            prop_assert_eq!(m.as_str(), s.as_str());
        }

        #[test]
        fn wrong_prefix_or_length_rejected(second in 0u8..3, rest in 0u64..1_000_000_000, cut in 1usize..11) {
            let s = format!("1{second}{rest:09}");
            prop_assert!(Mobile::parse(&s).is_err());
            let valid = format!("13{rest:09}");
            prop_assert!(Mobile::parse(&valid[..cut]).is_err());
        }
    }
}
