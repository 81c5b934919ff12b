//! The response path's JSON: a page written into one buffer sized for it by a compact writer of
//! its own ([`compact`]), or for the busiest answers by the views themselves ([`written`]), and
//! the dates and times of the views written as text directly, without the formatting machinery a
//! `Display` goes through (most of a contract list's server time is turning its rows into JSON;
//! see docs/performance.md). What is written is exactly what serde_json and the types' own
//! serialization write.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Serialize, Serializer};

use crate::domain::calendar::{push_date, push_digits};

/// Bytes set aside per item of a page before writing it: a contract is about 850.
const BYTES_PER_ITEM: usize = 1024;
/// At most this much is set aside up front, whatever the page's length.
const MAX_RESERVED: usize = 1 << 20;

mod compact;
mod written;

pub use written::{Object, Written};

/// An answer's buffer, reserved for `items` items.
fn reserved(items: usize) -> Vec<u8> {
    Vec::with_capacity((items * BYTES_PER_ITEM + 64).min(MAX_RESERVED))
}

/// `value` as JSON in a buffer reserved for `items` items: by the compact writer, or where it
/// declines the value, by serde_json.
fn to_vec<T: Serialize>(value: &T, items: usize) -> serde_json::Result<Vec<u8>> {
    let mut body = reserved(items);
    if compact::write(&mut body, value).is_err() {
        body.clear();
        serde_json::to_writer(&mut body, value)?;
    }
    Ok(body)
}

/// `value` as a `200 OK` JSON body written into one buffer reserved for `items` items.
pub fn ok<T: Serialize>(value: &T, items: usize) -> HttpResponse {
    match to_vec(value, items) {
        Ok(body) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(body),
        // Views are plain data: writing them into memory does not fail. Should it, the answer
        // is a 500 like any other fault.
        Err(e) => {
            tracing::error!(error = %e, "a response could not be written as JSON");
            HttpResponse::from_error(crate::error::Error::internal())
        }
    }
}

/// A view that writes itself ([`Written`]) in a buffer reserved for `items` items.
pub fn written<T: Written>(value: &T, items: usize) -> Vec<u8> {
    let mut body = reserved(items);
    value.write(&mut body);
    body
}

/// A view that writes itself as a `200 OK` JSON body, in a buffer reserved for `items` items.
pub fn ok_written<T: Written>(value: &T, items: usize) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(written(value, items))
}

fn text<S: Serializer>(bytes: &[u8]) -> Result<&str, S::Error> {
    std::str::from_utf8(bytes).map_err(serde::ser::Error::custom)
}

/// [`date`] for an optional date (`serialize_with` for `Option<NaiveDate>` fields).
pub fn optional_date<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => date(d, s),
        None => s.serialize_none(),
    }
}

/// A date as `YYYY-MM-DD`, as chrono writes it (`serialize_with` for `NaiveDate` fields).
pub fn date<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    match date_text(d) {
        Some(out) => s.serialize_str(text::<S>(&out)?),
        None => d.serialize(s),
    }
}

/// A date's `YYYY-MM-DD`, written digit by digit for years 0 to 9999 (every date the portal
/// keeps); `None` for the others, which chrono writes.
fn date_text(d: &NaiveDate) -> Option<[u8; 10]> {
    let year = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
    let mut out = [0u8; 10];
    push_date(&mut out, 0, year, d.month(), d.day());
    Some(out)
}

/// A time in UTC as RFC 3339 with `Z`, and the fraction of a second in 3, 6 or 9 digits as
/// needed, as chrono writes it (`serialize_with` for `DateTime<Utc>` fields).
pub fn time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    match time_text(t) {
        Some((out, end)) => s.serialize_str(text::<S>(&out[..end])?),
        None => t.serialize(s),
    }
}

/// [`time`]'s text and its length, for years 0 to 9999; `None` for the others (and for a leap
/// second), which chrono writes.
fn time_text(t: &DateTime<Utc>) -> Option<([u8; 30], usize)> {
    // Read off the time as stored: each of the zoned time's own accessors adds its offset first.
    let n = t.naive_utc();
    let year = u32::try_from(n.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = n.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let mut out = [0u8; 30];
    push_date(&mut out, 0, year, n.month(), n.day());
    out[10] = b'T';
    push_digits(&mut out, 11, n.hour(), 2);
    out[13] = b':';
    push_digits(&mut out, 14, n.minute(), 2);
    out[16] = b':';
    push_digits(&mut out, 17, n.second(), 2);
    let mut end = 19;
    let (fraction, digits) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    if digits > 0 {
        out[end] = b'.';
        push_digits(&mut out, end + 1, fraction, digits);
        end += 1 + digits;
    }
    out[end] = b'Z';
    Some((out, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDateTime, TimeZone};

    #[derive(Serialize)]
    struct Fast {
        #[serde(serialize_with = "time")]
        at: DateTime<Utc>,
        #[serde(serialize_with = "date")]
        on: NaiveDate,
    }

    #[derive(Serialize)]
    struct Chrono {
        at: DateTime<Utc>,
        on: NaiveDate,
    }

    #[test]
    fn dates_and_times_are_written_as_chrono_writes_them() {
        let times = [
            "2026-12-03T01:35:24.842497",
            "2026-12-03T01:35:24",
            "2026-12-03T01:35:24.100",
            "2026-12-03T01:35:24.000000001",
            "2026-01-09T23:59:59.999999999",
            "0001-01-01T00:00:00.000010",
            "9999-12-31T23:59:59.5",
        ];
        for t in times {
            let naive: NaiveDateTime = t.parse().unwrap();
            let at = Utc.from_utc_datetime(&naive);
            let on = naive.date();
            let fast = serde_json::to_string(&Fast { at, on }).unwrap();
            let chrono = serde_json::to_string(&Chrono { at, on }).unwrap();
            assert_eq!(fast, chrono, "{t}");
        }
        let far = NaiveDate::from_ymd_opt(12_345, 6, 7).unwrap();
        let at = Utc.from_utc_datetime(&far.and_hms_opt(1, 2, 3).unwrap());
        assert_eq!(
            serde_json::to_string(&Fast { at, on: far }).unwrap(),
            serde_json::to_string(&Chrono { at, on: far }).unwrap()
        );
    }

    /// Every kind of value serde has, written as serde_json writes it.
    #[derive(Serialize)]
    enum Kind {
        Unit,
        Newtype(i64),
        Tuple(u8, String),
        Struct { a: Option<u32>, b: char },
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Pair(i32, bool);

    #[derive(Serialize)]
    struct Wrapped(String);

    #[derive(Serialize)]
    struct Everything {
        kinds: Vec<Kind>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<String>,
        none: Option<String>,
        unit: (),
        unit_struct: Unit,
        pair: Pair,
        wrapped: Wrapped,
        text_keys: std::collections::BTreeMap<String, Wrapped>,
        wide: (i128, u128, i64, u64, i8, u16),
        empty: (Vec<u8>, std::collections::BTreeMap<String, u8>),
        #[serde(rename = "type")]
        renamed: &'static str,
        #[serde(serialize_with = "time")]
        at: DateTime<Utc>,
        #[serde(flatten)]
        flat: std::collections::BTreeMap<String, Kind>,
    }

    fn texts() -> Vec<String> {
        [
            "",
            "plain ascii 0123",
            "01a23bae-8587-773e-9652-a04d80eab4dd",
            "مكة المكرمة — برج \"الصفوة\"",
            "quote \" backslash \\ slash / tab \t newline \n",
            "controls \u{0} \u{1} \u{8} \u{b} \u{c} \u{d} \u{1f} del \u{7f}",
            "عربي فارسی ✓ 😀 \u{2028} \u{2029}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn the_compact_writer_writes_what_serde_json_writes() {
        for text in texts() {
            let at = Utc.from_utc_datetime(&"2027-05-10T08:30:00.25".parse().unwrap());
            let value = Everything {
                kinds: vec![
                    Kind::Unit,
                    Kind::Newtype(i64::MIN),
                    Kind::Tuple(255, text.clone()),
                    Kind::Struct {
                        a: Some(u32::MAX),
                        b: '"',
                    },
                    Kind::Struct { a: None, b: 'ع' },
                ],
                skipped: None,
                none: None,
                unit: (),
                unit_struct: Unit,
                pair: Pair(-7, true),
                wrapped: Wrapped(text.clone()),
                text_keys: [
                    (text.clone(), Wrapped(text.clone())),
                    ("k".into(), Wrapped("".into())),
                ]
                .into_iter()
                .collect(),
                wide: (i128::MIN, u128::MAX, 0, u64::MAX, -1, 0),
                empty: (Vec::new(), Default::default()),
                renamed: "housing",
                at,
                flat: [(format!("{text}!"), Kind::Newtype(3))]
                    .into_iter()
                    .collect(),
            };
            let mut fast = Vec::new();
            compact::write(&mut fast, &value).expect("written by the compact writer itself");
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                serde_json::to_string(&value).unwrap(),
                "{text:?}"
            );
        }
    }

    /// The compact writer writes a struct's field names as they are (see `compact`): a name
    /// that would need escaping stops a debug build, which every test runs.
    #[cfg(debug_assertions)]
    #[test]
    #[should_panic(expected = "a field name that needs escaping")]
    fn a_field_name_that_needs_escaping_stops_a_debug_build() {
        #[derive(Serialize)]
        struct Escaped {
            #[serde(rename = "a \"quoted\"\\ key\n")]
            key: u8,
        }
        let _ = compact::write(&mut Vec::new(), &Escaped { key: 1 });
    }

    /// Every field name of every object the API shows (the properties of every schema of the
    /// OpenAPI document) is one the compact writer may write as it is.
    #[test]
    fn every_field_name_the_api_shows_needs_no_escaping() {
        fn names(value: &serde_json::Value, found: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                        found.extend(properties.keys().cloned());
                    }
                    map.values().for_each(|v| names(v, found));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| names(v, found)),
                _ => {}
            }
        }
        let document: serde_json::Value =
            serde_json::from_str(&crate::api::openapi::document_json()).unwrap();
        let mut found = Vec::new();
        names(&document, &mut found);
        assert!(found.len() > 100, "{} field names", found.len());
        for name in found {
            assert!(
                !name.chars().any(|c| c < ' ' || c == '"' || c == '\\'),
                "{name:?}"
            );
        }
    }

    #[test]
    fn values_the_compact_writer_declines_are_written_by_serde_json() {
        let numbers_as_keys: std::collections::BTreeMap<i32, &str> = [(1, "a"), (-2, "b")].into();
        let floats = (1.5f64, f32::NAN, "x");
        let raw = Raw("[1, 2]");
        let bytes = serde_bytes_like(b"ab");
        let mut fast = Vec::new();
        assert!(compact::write(&mut fast, &numbers_as_keys).is_err());
        assert!(compact::write(&mut fast, &floats).is_err());
        assert!(compact::write(&mut fast, &raw).is_err());
        assert!(compact::write(&mut fast, &bytes).is_err());
        assert_eq!(
            to_vec(&numbers_as_keys, 1).unwrap(),
            serde_json::to_vec(&numbers_as_keys).unwrap()
        );
        assert_eq!(
            to_vec(&floats, 1).unwrap(),
            serde_json::to_vec(&floats).unwrap()
        );
        assert_eq!(to_vec(&raw, 1).unwrap(), serde_json::to_vec(&raw).unwrap());
        assert_eq!(
            to_vec(&bytes, 1).unwrap(),
            serde_json::to_vec(&bytes).unwrap()
        );
    }

    /// A value shaped as serde_json's raw values are (written unquoted where serde_json has them).
    struct Raw(&'static str);
    impl Serialize for Raw {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct;
            let name = "$serde_json::private::RawValue";
            let mut raw = s.serialize_struct(name, 1)?;
            raw.serialize_field(name, self.0)?;
            raw.end()
        }
    }

    /// A value serialized as bytes (serde_json writes an array of numbers).
    struct Bytes(&'static [u8]);
    impl Serialize for Bytes {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
    fn serde_bytes_like(b: &'static [u8]) -> Bytes {
        Bytes(b)
    }

    /// Random documents (nested arrays and objects of text, integers, booleans and nulls) are
    /// written as serde_json writes them.
    #[test]
    fn random_documents_are_written_as_serde_json_writes_them() {
        let texts = texts();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        fn document(
            depth: u32,
            next: &mut dyn FnMut() -> u64,
            texts: &[String],
        ) -> serde_json::Value {
            use serde_json::Value;
            let pick = next() % if depth == 0 { 5 } else { 7 };
            match pick {
                0 => Value::Null,
                1 => Value::Bool(next().is_multiple_of(2)),
                2 => Value::from(next() as i64),
                3 => Value::from(next()),
                4 => Value::from(texts[(next() % texts.len() as u64) as usize].clone()),
                5 => Value::Array(
                    (0..next() % 4)
                        .map(|_| document(depth - 1, next, texts))
                        .collect(),
                ),
                _ => Value::Object(
                    (0..next() % 4)
                        .map(|i| {
                            let key =
                                format!("{}{i}", texts[(next() % texts.len() as u64) as usize]);
                            (key, document(depth - 1, next, texts))
                        })
                        .collect(),
                ),
            }
        }
        for _ in 0..500 {
            let value = document(4, &mut next, &texts);
            let mut fast = Vec::new();
            compact::write(&mut fast, &value).expect("written by the compact writer itself");
            assert_eq!(fast, serde_json::to_vec(&value).unwrap(), "{value}");
        }
    }
}
