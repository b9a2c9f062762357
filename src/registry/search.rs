//! What a cadre types into a search box, and the keyed indexes that answer it without
//! decrypting the registry.
//!
//! - letters (`zhangs`, `zsf`, `lv`, `lü`, `lu`): full pinyin or initials, see
//!   [`names::letter_variants`];
//! - digits: the full ID number (its blind index), any tail of 4 or more of its characters
//!   (the keyed index of its last five, `members.id_tail`), the full mobile (its blind
//!   index, found through its last four) or the mobile's last four
//!   (`substr(mobile_masked, 8, 4)`, already shown on every list);
//! - anything else: part of the name.
//!
//! Spaces anywhere are ignored (`张 三`, `1101 0119…`).

use crate::crypto::FieldKeys;
use crate::db::Db;
use crate::error::AppResult;
use crate::types::{IdCardNo, Mobile};

use super::names;

/// Blind-index domain of the last five characters of an ID number.
pub const ID_TAIL_DOMAIN: &str = "id_card_tail5";
/// How many trailing characters of an ID number `members.id_tail` keeps.
pub const ID_TAIL_LEN: usize = 5;

/// The keyed index of an ID number's last five characters, as a 63-bit integer (a small
/// index; a collision only adds a candidate the search then checks).
pub fn id_tail_key(keys: &FieldKeys, tail5: &str) -> i64 {
    let h = keys.blind_index(ID_TAIL_DOMAIN, tail5);
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    (u64::from_be_bytes(b) >> 1) as i64
}

/// The `members.id_tail` of an ID number.
pub fn id_tail_of(keys: &FieldKeys, id: &IdCardNo) -> i64 {
    let s = id.as_str();
    id_tail_key(keys, &s[s.len() - ID_TAIL_LEN..])
}

/// A search text, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// Pinyin or initials: every stored form it may stand for.
    Letters(Vec<String>),
    /// The tail of an ID number (4 to 18 characters, the last may be X), perhaps also a
    /// mobile or its last four.
    Digits(String),
    /// Part of a name.
    Name(String),
}

impl Typed {
    /// `None` for a blank search.
    pub fn parse(q: &str) -> Option<Typed> {
        let q: String = q.chars().filter(|c| !c.is_whitespace()).collect();
        if q.is_empty() {
            return None;
        }
        if let Some(forms) = names::letter_variants(&q) {
            return Some(Typed::Letters(forms));
        }
        let upper = q.to_ascii_uppercase();
        let body = upper.strip_suffix('X').unwrap_or(&upper);
        if (4..=18).contains(&upper.len()) && body.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Typed::Digits(upper));
        }
        Some(Typed::Name(q))
    }
}

/// For each form letters may stand for, the condition "the name's full pinyin or its initials
/// start with it" on the table aliased `t` (`t.name_pinyin`, `t.name_initials`), its two
/// values appended to `args` and numbered after those already there. Callers join them with
/// `OR`, with any other column the letters may match.
pub fn letters_conditions(t: &str, forms: &[String], args: &mut Vec<String>) -> Vec<String> {
    forms
        .iter()
        .map(|form| {
            args.push(form.clone());
            args.push(format!("{form}{{"));
            let (lo, hi) = (args.len() - 1, args.len());
            format!(
                "({t}.name_pinyin >= ${lo} AND {t}.name_pinyin < ${hi}) OR ({t}.name_initials >= ${lo} AND {t}.name_initials < ${hi})"
            )
        })
        .collect()
}

/// Whether a search text is a whole ID number or a whole mobile: personal data that must not
/// travel in a URL (browser history, proxies, logs). Tails are what every list shows anyway.
pub fn names_a_person(q: &str) -> bool {
    match Typed::parse(q) {
        Some(Typed::Digits(d)) => IdCardNo::parse(&d).is_ok() || Mobile::parse(&d).is_ok(),
        _ => false,
    }
}

/// A search text as records and pages may show it: numbers masked, also when typed with
/// spaces (`1101 0119 9003 …` finds the person, so it is masked as the number it is).
pub fn masked(q: &str) -> String {
    match Typed::parse(q) {
        Some(Typed::Digits(d)) => crate::crypto::mask_personal_in_text(&d),
        _ => crate::crypto::mask_personal_in_text(q),
    }
}

/// The refusal of a whole ID number or mobile in a URL.
pub fn not_in_a_url() -> crate::error::AppError {
    crate::error::AppError::invalid(
        "完整的身份证号或手机号不能放在网址里：请用 POST /api/v1/members/search（查询条件放在请求体中）",
    )
    .with_code("PERSONAL_DATA_IN_URL")
}

/// What a string of digits can be, each with the keys that find it.
#[derive(Debug, Default)]
pub struct DigitKeys {
    /// The blind index of a full, valid ID number.
    pub id_hash: Option<Vec<u8>>,
    /// Keys of `members.id_tail` (ten for a four-character tail: each possible fifth).
    pub id_tails: Vec<i64>,
    /// The tail must then be checked on the decrypted number (tails longer than five).
    pub check_tail: Option<String>,
    /// Last four of a mobile, with its blind index when the full number was typed.
    pub mobile_tail: Option<String>,
    pub mobile_hash: Option<Vec<u8>>,
}

pub fn digit_keys(keys: &FieldKeys, digits: &str) -> DigitKeys {
    let mut k = DigitKeys::default();
    if digits.len() == 18
        && let Ok(id) = IdCardNo::parse(digits)
    {
        k.id_hash = Some(keys.blind_index(super::members::ID_DOMAIN, id.as_str()));
        return k;
    }
    match digits.len() {
        4 => {
            k.id_tails = (0..10)
                .map(|d| id_tail_key(keys, &format!("{d}{digits}")))
                .collect();
        }
        n => {
            k.id_tails = vec![id_tail_key(keys, &digits[n - ID_TAIL_LEN..])];
            if n > ID_TAIL_LEN {
                k.check_tail = Some(digits.to_string());
            }
        }
    }
    if digits.len() == 4 && !digits.ends_with('X') {
        k.mobile_tail = Some(digits.to_string());
    }
    if let Ok(m) = Mobile::parse(digits) {
        // (The number as parsed: a typed 86 country prefix is not part of it.)
        k.mobile_tail = Some(m.as_str()[7..].to_string());
        k.mobile_hash = Some(keys.blind_index(super::members::MOBILE_DOMAIN, m.as_str()));
    }
    k
}

/// Fills the derived search columns of rows written before they existed: the ID tail keys
/// of members (read once from the encrypted numbers, at the start that adds the column) and
/// the pinyin of union and employer names. Returns how many rows were filled.
pub async fn backfill(db: &Db, keys: &FieldKeys) -> AppResult<u64> {
    let mut filled = 0;
    // Read in large slices, written a thousand rows per statement.
    loop {
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT id, id_enc FROM members WHERE id_tail IS NULL LIMIT 50000")
                .fetch_all(db.pool())
                .await?;
        if rows.is_empty() {
            break;
        }
        let mut tails = Vec::with_capacity(rows.len());
        for (id, enc) in &rows {
            let number = keys.decrypt(enc)?;
            tails.push((
                *id,
                id_tail_key(keys, &number[number.len() - ID_TAIL_LEN..]),
            ));
        }
        let mut tx = db.begin_write().await?;
        for chunk in tails.chunks(1000) {
            let values = crate::db::values_placeholders(db.backend(), chunk.len(), 2);
            let sql = match db.backend() {
                crate::db::Backend::Sqlite => format!(
                    "UPDATE members SET id_tail = v.t FROM (SELECT column1 AS id, column2 AS t FROM (VALUES {values})) AS v \
                     WHERE members.id = v.id"
                ),
                crate::db::Backend::Postgres => format!(
                    "UPDATE members SET id_tail = v.t FROM (VALUES {values}) AS v(id, t) WHERE members.id = v.id"
                ),
            };
            let mut q = sqlx::query(&sql);
            for (id, tail) in chunk {
                q = q.bind(*id).bind(*tail);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        filled += rows.len() as u64;
    }
    for table in ["orgs", "units"] {
        let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT id, name FROM {table} WHERE name_pinyin IS NULL"
        ))
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            continue;
        }
        let mut tx = db.begin_write().await?;
        for (id, name) in &rows {
            let (py, ini) = names::pinyin_forms(name);
            sqlx::query(&format!(
                "UPDATE {table} SET name_pinyin = $1, name_initials = $2 WHERE id = $3"
            ))
            .bind(py)
            .bind(ini)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        filled += rows.len() as u64;
    }
    if filled > 0 {
        db.tidy_after_rewrite(&["members", "orgs", "units"]).await?;
        tracing::info!(rows = filled, "search columns filled");
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn search_texts_are_classified() {
        assert_eq!(
            Typed::parse(" zhang san "),
            Some(Typed::Letters(vec!["zhangsan".into()]))
        );
        assert_eq!(Typed::parse("张 三"), Some(Typed::Name("张三".into())));
        assert_eq!(Typed::parse("12x"), Some(Typed::Name("12x".into())));
        assert_eq!(Typed::parse("123x"), Some(Typed::Digits("123X".into())));
        assert_eq!(
            Typed::parse("1101 0119 9003 0712 34"),
            Some(Typed::Digits("110101199003071234".into()))
        );
        assert_eq!(Typed::parse("   "), None);
        assert_eq!(
            Typed::parse("1234567890123456789"),
            Some(Typed::Name("1234567890123456789".into()))
        );
    }

    #[test]
    fn whole_numbers_are_told_from_tails_and_a_country_prefix_is_dropped() {
        let first17 = "11010519900307002";
        let id = format!(
            "{first17}{}",
            crate::types::id_card::check_char(first17.as_bytes()) as char
        );
        assert!(names_a_person(&id));
        let spaced = format!("{} {} {}", &id[..6], &id[6..14], &id[14..]);
        assert!(names_a_person(&spaced));
        assert!(!masked(&spaced).contains("19900307"), "{}", masked(&spaced));
        assert_eq!(masked("zhangsan"), "zhangsan");
        assert!(names_a_person("138 1234 5678"));
        assert!(!names_a_person("5678"));
        assert!(!names_a_person("19900307002X"));
        assert!(!names_a_person("zhangsan"));
        let keys = FieldKeys::generate();
        let k = digit_keys(&keys, "8613812345678");
        assert_eq!(k.mobile_tail.as_deref(), Some("5678"));
        assert!(k.mobile_hash.is_some());
    }

    proptest! {
        #[test]
        fn every_tail_of_four_or_more_has_the_key_of_its_number(
            seq in 0u32..1000, tail_len in 4usize..=17
        ) {
            let keys = FieldKeys::generate();
            let first17 = format!("11010119900307{seq:03}");
            let check = crate::types::id_card::check_char(first17.as_bytes()) as char;
            let id = IdCardNo::parse(&format!("{first17}{check}")).unwrap();
            let stored = id_tail_of(&keys, &id);
            let s = id.as_str();
            let k = digit_keys(&keys, &s[s.len() - tail_len..]);
            prop_assert!(k.id_tails.contains(&stored));
            prop_assert_eq!(k.check_tail.is_some(), tail_len > ID_TAIL_LEN);
        }
    }
}
