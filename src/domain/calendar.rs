//! Gregorian dates and their Umm al-Qura Hijri companions (the calendar of Saudi Arabia), and the
//! hajj days (8-13 Dhu al-Hijjah) of a Hijri year.

use chrono::{Datelike, NaiveDate};
use icu_calendar::Date;
use icu_calendar::cal::{Hijri, Iso};

/// The Hijri years the Umm al-Qura tables cover well (the crate's tables span 1300-1600 AH).
pub const HIJRI_YEARS: std::ops::RangeInclusive<i32> = 1350..=1550;

/// The first day the portal takes anywhere (seasons, contracts, licences, stays, inspections).
pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};
/// The last day the portal takes anywhere.
pub const LATEST: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// What serde says of a date outside [`EARLIEST`]..=[`LATEST`]; the API names the field and
/// answers `out_of_range`.
pub const OUT_OF_RANGE: &str = "date out of range: from 2000-01-01 to 2100-12-31";

/// Reads a `YYYY-MM-DD` date in the portal's range: a date in year 1 or 9999 is a typo or a
/// probe, refused before any rule sees it. For `#[serde(deserialize_with = ...)]` on every date
/// a caller sends.
pub fn bounded<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let date = <NaiveDate as serde::Deserialize>::deserialize(d)?;
    if (EARLIEST..=LATEST).contains(&date) {
        Ok(date)
    } else {
        Err(serde::de::Error::custom(OUT_OF_RANGE))
    }
}

/// A date written `YYYY-MM-DD` (as a form sends it) within [`EARLIEST`]..=[`LATEST`].
pub fn parse_bounded(text: &str) -> Option<NaiveDate> {
    text.parse::<NaiveDate>()
        .ok()
        .filter(|d| (EARLIEST..=LATEST).contains(d))
}

/// [`bounded`] for an optional date (with `#[serde(default)]`).
pub fn bounded_optional<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveDate>, D::Error> {
    struct Bounded(NaiveDate);
    impl<'de> serde::Deserialize<'de> for Bounded {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bounded, D::Error> {
            bounded(d).map(Bounded)
        }
    }
    Ok(<Option<Bounded> as serde::Deserialize>::deserialize(d)?.map(|b| b.0))
}

/// Today in Makkah (UTC+3, no daylight saving): the day deadlines and inspections are counted in.
pub fn today_in_makkah() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(3)).date_naive()
}

/// The Umm al-Qura date of a Gregorian date, as `YYYY-MM-DD`.
pub fn hijri(date: NaiveDate) -> String {
    HijriDate::of(date).with_text(str::to_owned)
}

/// The Umm al-Qura date of a Gregorian date, written as `YYYY-MM-DD` where it is shown (in JSON
/// or as text) without an allocation of its own: every contract shown carries two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HijriDate {
    year: i32,
    month: u8,
    day: u8,
}

impl HijriDate {
    pub fn of(date: NaiveDate) -> HijriDate {
        let (year, month, day) = hijri_parts(date);
        HijriDate { year, month, day }
    }

    /// The date's text, given to `f`: written digit by digit on the stack for years 0 to 9999
    /// (every date the portal keeps), formatted otherwise.
    fn with_text<R>(self, f: impl FnOnce(&str) -> R) -> R {
        // Digits and dashes only: always text.
        self.with_bytes(|text| f(std::str::from_utf8(text).unwrap_or_default()))
    }

    /// [`HijriDate::with_text`] as bytes, for a writer of bytes (which needs no check that
    /// digits and dashes are text).
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        let HijriDate { year, month, day } = self;
        match u32::try_from(year) {
            Ok(y @ 0..=9999) => {
                let mut text = [0u8; 10];
                push_date(&mut text, 0, y, month.into(), day.into());
                f(&text)
            }
            _ => f(format!("{year:04}-{month:02}-{day:02}").as_bytes()),
        }
    }
}

impl std::fmt::Display for HijriDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_text(|text| f.write_str(text))
    }
}

impl serde::Serialize for HijriDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.with_text(|text| s.serialize_str(text))
    }
}

/// `YYYY-MM-DD` into `out` at `at`, digit by digit, without the formatting machinery: four digits,
/// a dash, two, a dash, two (years 0 to 9999, which is every date the portal keeps).
pub fn push_date(out: &mut [u8], at: usize, year: u32, month: u32, day: u32) {
    push_digits(out, at, year, 4);
    out[at + 4] = b'-';
    push_digits(out, at + 5, month, 2);
    out[at + 7] = b'-';
    push_digits(out, at + 8, day, 2);
}

/// The last `width` decimal digits of `value` into `out` at `at`, zero-padded.
pub fn push_digits(out: &mut [u8], at: usize, mut value: u32, width: usize) {
    for i in (0..width).rev() {
        out[at + i] = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Days converted by [`hijri_parts`] on each thread, each in the slot of its day number modulo
/// their count.
const RECENT_DAYS: usize = 64;

/// A day number (`num_days_from_ce`) and its Umm al-Qura (year, month, day).
type Converted = (i32, (i32, u8, u8));

thread_local! {
    /// The latest conversions made on this thread: a page of contracts shows a few dozen distinct
    /// days, two a contract, and converting one costs far more than looking it up.
    static RECENT: std::cell::RefCell<[Converted; RECENT_DAYS]> =
        const { std::cell::RefCell::new([(i32::MIN, (0, 0, 0)); RECENT_DAYS]) };
}

/// The Umm al-Qura (year, month, day) of a Gregorian date (converted once per thread while it is
/// among the days recently converted there).
pub fn hijri_parts(date: NaiveDate) -> (i32, u8, u8) {
    let day = date.num_days_from_ce();
    let slot = day.rem_euclid(RECENT_DAYS as i32) as usize;
    let kept = RECENT.with_borrow(|recent| recent[slot]);
    if kept.0 == day {
        return kept.1;
    }
    let parts = umm_al_qura(date);
    RECENT.with_borrow_mut(|recent| recent[slot] = (day, parts));
    parts
}

/// [`hijri_parts`], converted.
fn umm_al_qura(date: NaiveDate) -> (i32, u8, u8) {
    // Every chrono date in the portal's range converts; far-off dates fall back to the tabular
    // arithmetic inside the crate, never to an error.
    match Date::try_new_iso(date.year(), date.month() as u8, date.day() as u8) {
        Ok(iso) => {
            let h = iso.to_calendar(Hijri::new_umm_al_qura());
            (h.era_year().year, h.month().ordinal, h.day_of_month().0)
        }
        Err(_) => (0, 0, 0),
    }
}

/// The Gregorian date of an Umm al-Qura date, if it exists.
pub fn from_hijri(year: i32, month: u8, day: u8) -> Option<NaiveDate> {
    let h = Date::try_new_hijri_with_calendar(year, month, day, Hijri::new_umm_al_qura()).ok()?;
    let iso = h.to_calendar(Iso);
    NaiveDate::from_ymd_opt(
        iso.year().extended_year(),
        iso.month().ordinal as u32,
        iso.day_of_month().0 as u32,
    )
}

/// The hajj days of a Hijri year: 8 to 13 Dhu al-Hijjah, as Gregorian dates.
pub fn hajj_days(hijri_year: i32) -> Option<Vec<NaiveDate>> {
    let first = from_hijri(hijri_year, 12, 8)?;
    Some((0..6).map(|i| first + chrono::Days::new(i)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Hijri date shown as text or in JSON is its `YYYY-MM-DD`, as [`hijri`] writes it.
    #[test]
    fn a_hijri_date_shows_its_text() {
        let first = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
        for n in (0..3000).step_by(7) {
            let day = first + chrono::Duration::days(n);
            let shown = HijriDate::of(day);
            assert_eq!(shown.to_string(), hijri(day));
            assert_eq!(
                serde_json::to_string(&shown).ok(),
                Some(format!("\"{}\"", hijri(day)))
            );
        }
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Days looked up in every order (each slot of the recent days taken and retaken by days
    /// 64 apart, some asked for twice in a row) answer as a fresh conversion does.
    #[test]
    fn recent_days_answer_as_a_conversion_does() {
        let first = date("2026-01-01");
        for step in [1u64, 7, 64, 65, 127] {
            for i in 0..400u64 {
                let day = first + chrono::Days::new((i * step) % 900);
                assert_eq!(hijri_parts(day), umm_al_qura(day), "{day}");
                assert_eq!(hijri_parts(day), umm_al_qura(day), "{day} again");
            }
        }
    }

    #[test]
    fn hijri_text_is_the_parts_zero_padded() {
        let mut day = date("2020-01-01");
        while day < date("2032-01-01") {
            let (y, m, d) = hijri_parts(day);
            assert_eq!(hijri(day), format!("{y:04}-{m:02}-{d:02}"), "{day}");
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn known_umm_al_qura_dates() {
        // Published Umm al-Qura dates: 1 Ramadan 1447, 1 Shawwal 1447 (Eid al-Fitr), 1 Muharram 1448,
        // and Eid al-Adha (10 Dhu al-Hijjah) of 1445 and 1446.
        assert_eq!(hijri(date("2026-02-18")), "1447-09-01");
        assert_eq!(hijri(date("2026-03-20")), "1447-10-01");
        assert_eq!(hijri(date("2026-06-16")), "1448-01-01");
        assert_eq!(hijri(date("2024-06-16")), "1445-12-10");
        assert_eq!(hijri(date("2025-06-06")), "1446-12-10");
    }

    #[test]
    fn hajj_days_are_eighth_to_thirteenth_dhu_al_hijjah() {
        let days = hajj_days(1446).unwrap();
        assert_eq!(days.len(), 6);
        assert_eq!(days[0], date("2025-06-04"));
        assert_eq!(days[2], date("2025-06-06"), "Eid al-Adha is the tenth");
        for (i, d) in days.iter().enumerate() {
            assert_eq!(hijri(*d), format!("1446-12-{:02}", 8 + i));
        }
        assert_eq!(hijri(hajj_days(1447).unwrap()[0]), "1447-12-08");
    }

    #[test]
    fn round_trips() {
        let mut d = date("2025-01-01");
        while d < date("2028-01-01") {
            let (y, m, day) = hijri_parts(d);
            assert_eq!(from_hijri(y, m, day), Some(d));
            d = d.succ_opt().unwrap();
        }
        assert_eq!(from_hijri(1447, 13, 1), None);
    }
}
