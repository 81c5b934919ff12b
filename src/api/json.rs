//! The response path's JSON: a page written into one buffer sized for it, and the dates and
//! times of the views written as text directly, without the formatting machinery a `Display`
//! goes through (most of a contract list's server time is turning its rows into JSON; see
//! docs/performance.md). What is written is exactly what the types' own serialization writes.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Serialize, Serializer};

/// Bytes set aside per item of a page before writing it: a contract is about 850.
const BYTES_PER_ITEM: usize = 1024;
/// At most this much is set aside up front, whatever the page's length.
const MAX_RESERVED: usize = 1 << 20;

/// `value` as a `200 OK` JSON body written into one buffer reserved for `items` items.
pub fn ok<T: Serialize>(value: &T, items: usize) -> HttpResponse {
    let mut body = Vec::with_capacity((items * BYTES_PER_ITEM + 64).min(MAX_RESERVED));
    match serde_json::to_writer(&mut body, value) {
        Ok(()) => HttpResponse::Ok()
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

/// Four digits, a dash, two, a dash, two: years 0 to 9999, which is every date the portal keeps.
fn push_date(out: &mut [u8], at: usize, year: u32, month: u32, day: u32) {
    push_digits(out, at, year, 4);
    out[at + 4] = b'-';
    push_digits(out, at + 5, month, 2);
    out[at + 7] = b'-';
    push_digits(out, at + 8, day, 2);
}

fn push_digits(out: &mut [u8], at: usize, mut value: u32, width: usize) {
    for i in (0..width).rev() {
        out[at + i] = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn text<S: Serializer>(bytes: &[u8]) -> Result<&str, S::Error> {
    std::str::from_utf8(bytes).map_err(serde::ser::Error::custom)
}

/// A date as `YYYY-MM-DD`, as chrono writes it (`serialize_with` for `NaiveDate` fields).
pub fn date<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    let year = d.year();
    if !(0..=9999).contains(&year) {
        return d.serialize(s);
    }
    let mut out = [0u8; 10];
    push_date(&mut out, 0, year as u32, d.month(), d.day());
    s.serialize_str(text::<S>(&out)?)
}

/// A time in UTC as RFC 3339 with `Z`, and the fraction of a second in 3, 6 or 9 digits as
/// needed, as chrono writes it (`serialize_with` for `DateTime<Utc>` fields).
pub fn time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let year = t.year();
    let nanos = t.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return t.serialize(s);
    }
    let mut out = [0u8; 30];
    push_date(&mut out, 0, year as u32, t.month(), t.day());
    out[10] = b'T';
    push_digits(&mut out, 11, t.hour(), 2);
    out[13] = b':';
    push_digits(&mut out, 14, t.minute(), 2);
    out[16] = b':';
    push_digits(&mut out, 17, t.second(), 2);
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
    s.serialize_str(text::<S>(&out[..=end])?)
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
}
