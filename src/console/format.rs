//! Numbers, money and dates as each language writes them: Arabic-Indic digits for Arabic,
//! Persian digits for Persian, the French spacing and decimal comma; Gregorian dates beside their
//! Umm al-Qura (Hijri) dates.

use chrono::NaiveDate;

use crate::domain::calendar::hijri;
use crate::domain::organization::Language;

/// `text` with its ASCII digits in the language's own.
pub fn digits(lang: Language, text: &str) -> String {
    let zero = match lang {
        Language::Arabic => '\u{0660}',
        Language::Persian => '\u{06F0}',
        _ => return text.to_owned(),
    };
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(zero as u32 + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

fn separators(lang: Language) -> (&'static str, &'static str) {
    match lang {
        Language::English => (",", "."),
        Language::French => ("\u{202F}", ","),
        Language::Arabic | Language::Persian => ("\u{066C}", "\u{066B}"),
    }
}

fn grouped(n: u64, group: &str) -> String {
    let plain = n.to_string();
    let mut out = String::with_capacity(plain.len() + plain.len() / 3 * group.len());
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && (plain.len() - i).is_multiple_of(3) {
            out.push_str(group);
        }
        out.push(c);
    }
    out
}

/// A whole number, grouped by thousands.
pub fn number(lang: Language, n: i64) -> String {
    let (group, _) = separators(lang);
    let sign = if n < 0 { "-" } else { "" };
    digits(lang, &format!("{sign}{}", grouped(n.unsigned_abs(), group)))
}

/// An amount in halalas as riyals with two decimals and the currency.
pub fn money(lang: Language, halalas: i64) -> String {
    let (group, decimal) = separators(lang);
    let sign = if halalas < 0 { "-" } else { "" };
    let abs = halalas.unsigned_abs();
    let amount = format!(
        "{sign}{}{decimal}{:02}",
        grouped(abs / 100, group),
        abs % 100
    );
    let currency = super::texts::word(lang, "sar");
    digits(lang, &format!("{amount} {currency}"))
}

/// A day, Gregorian then Hijri, in ASCII digits.
fn both_calendars(lang: Language, day: NaiveDate) -> String {
    let suffix = match lang {
        Language::Arabic => "هـ",
        Language::Persian => "ق",
        Language::French => "H",
        Language::English => "AH",
    };
    format!("{} ({} {suffix})", day.format("%Y-%m-%d"), hijri(day))
}

/// A day, Gregorian then Hijri: "2027-05-01 (1448-11-04 AH)".
pub fn date(lang: Language, day: NaiveDate) -> String {
    digits(lang, &both_calendars(lang, day))
}

/// A moment, to the minute, in Makkah time (UTC+3).
pub fn moment(lang: Language, at: chrono::NaiveDateTime) -> String {
    let local = at + chrono::Duration::hours(3);
    let text = format!(
        "{} {}",
        both_calendars(lang, local.date()),
        local.format("%H:%M")
    );
    digits(lang, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_money_are_written_for_each_language() {
        assert_eq!(number(Language::English, 1234567), "1,234,567");
        assert_eq!(number(Language::Arabic, 1234), "١٬٢٣٤");
        assert_eq!(number(Language::Persian, 1234), "۱٬۲۳۴");
        assert_eq!(number(Language::French, 1234), "1\u{202F}234");
        assert_eq!(money(Language::English, 123456), "1,234.56 SAR");
        assert_eq!(money(Language::French, 5), "0,05 SAR");
        assert_eq!(money(Language::Arabic, 100), "١٫٠٠ ر.س");
    }

    #[test]
    fn dates_show_both_calendars() {
        let day = NaiveDate::from_ymd_opt(2027, 5, 1).unwrap();
        let en = date(Language::English, day);
        assert!(en.starts_with("2027-05-01 (1448-"), "{en}");
        assert!(date(Language::Arabic, day).starts_with("٢٠٢٧-٠٥-٠١"));
    }
}
