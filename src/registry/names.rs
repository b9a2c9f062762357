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

/// Full pinyin (lowercase, no tones, no separators) and initials. `ü` is written `v`, as on
/// every Chinese keyboard (吕 → `lv`). Characters without pinyin (letters, rare characters
/// outside the table, `·`) contribute their lowercase ASCII or nothing.
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
                full.extend(r.chars().map(|c| if c == 'ü' { 'v' } else { c }));
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

/// The stored forms a typed pinyin may stand for: itself with `ü` as `v`, and, because many
/// people type 吕 as `lu`, every `lu`/`nu` also read as `lv`/`nv` (at most 8 forms). `None`
/// when the text is not letters only.
pub fn letter_variants(typed: &str) -> Option<Vec<String>> {
    let q: String = typed
        .chars()
        .map(|c| match c {
            'ü' | 'Ü' => 'v',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    if q.is_empty() || !q.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let mut forms = vec![q.clone()];
    let bytes = q.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b'u' && matches!(bytes[i - 1], b'l' | b'n') && forms.len() < 8 {
            let more: Vec<String> = forms
                .iter()
                .map(|f| {
                    let mut b = f.clone().into_bytes();
                    b[i] = b'v';
                    String::from_utf8(b).expect("ASCII")
                })
                .collect();
            forms.extend(more);
        }
    }
    forms.truncate(8);
    Some(forms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u_umlaut_is_stored_as_v_and_found_from_every_spelling() {
        assert_eq!(pinyin_forms("吕").0, "lv");
        assert_eq!(pinyin_forms("绿").0, "lv");
        assert_eq!(pinyin_forms("女").0, "nv");
        for typed in ["lv", "lü", "LÜ", "lu"] {
            let forms = letter_variants(typed).unwrap();
            assert!(forms.contains(&"lv".to_string()), "{typed}: {forms:?}");
        }
        assert_eq!(letter_variants("lu").unwrap(), ["lu", "lv"]);
        assert_eq!(letter_variants("zhang").unwrap(), ["zhang"]);
        assert_eq!(letter_variants("lunlu").unwrap().len(), 4);
        assert_eq!(letter_variants("张"), None);
        assert_eq!(letter_variants("lv3"), None);
    }

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
