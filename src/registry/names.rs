//! Pinyin forms of names for search: 张三丰 → `zhangsanfeng` and `zsf`.

use pinyin::ToPinyin;

/// Surnames whose everyday reading differs from the character's most common reading.
const SURNAME_READINGS: &[(char, &str)] = &[
    ('单', "shan"),
    ('曾', "zeng"),
    ('解', "xie"),
    ('仇', "qiu"),
    ('区', "ou"),
    ('查', "zha"),
    ('朴', "piao"),
    ('乐', "yue"),
    ('缪', "miao"),
    ('覃', "qin"),
    ('召', "shao"),
    ('盖', "ge"),
    ('尉', "yu"),
    ('翟', "zhai"),
    ('万', "wan"),
    ('繁', "po"),
    ('种', "chong"),
    ('员', "yun"),
];

/// Full pinyin (lowercase, no tones, no separators) and initials. Characters without pinyin
/// (letters, rare characters outside the table, `·`) contribute their lowercase ASCII or nothing.
pub fn pinyin_forms(name: &str) -> (String, String) {
    let mut full = String::with_capacity(name.len() * 2);
    let mut initials = String::with_capacity(name.len());
    for (i, ch) in name.chars().enumerate() {
        let reading = if i == 0 {
            SURNAME_READINGS
                .iter()
                .find(|(c, _)| *c == ch)
                .map(|(_, r)| *r)
        } else {
            None
        };
        let reading = reading.or_else(|| ch.to_pinyin().map(|p| p.plain()));
        match reading {
            Some(r) => {
                full.push_str(r);
                initials.push_str(&r[..1]);
            }
            None if ch.is_ascii_alphabetic() => {
                let l = ch.to_ascii_lowercase();
                full.push(l);
                initials.push(l);
            }
            None => {}
        }
    }
    (full, initials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_pinyin_and_initials() {
        assert_eq!(
            pinyin_forms("张三丰"),
            ("zhangsanfeng".into(), "zsf".into())
        );
        assert_eq!(pinyin_forms("单雄信").0, "shanxiongxin");
        assert_eq!(pinyin_forms("阿依古丽·买买提").1, "ayglmmt");
    }
}
