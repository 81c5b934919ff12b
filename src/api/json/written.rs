//! Views that write their own JSON: the busiest answers (a page of contracts, a contract) as their
//! `"name":value` pairs written straight into the answer's buffer, without the serializer's calls
//! for each field and each value, and without looking for characters to escape in what cannot hold
//! one (values of closed sets, dates, amounts). What a view writes is byte for byte what serde_json
//! writes of its derived `Serialize`, which the OpenAPI document describes; each view's tests
//! compare the two.

use chrono::{DateTime, NaiveDate, Utc};

use super::compact::{field_name, plain, quoted, string};
use super::{date_text, time_text};

/// A view that writes itself as JSON, exactly as serde_json writes its `Serialize`.
pub trait Written {
    /// The view at the end of `out`.
    fn write(&self, out: &mut Vec<u8>);
}

/// A JSON object being written: each field after a comma unless it is the first.
pub struct Object<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Object<'o> {
    /// `{`, at the end of `out`.
    pub fn open(out: &'o mut Vec<u8>) -> Object<'o> {
        out.push(b'{');
        Object { out, first: true }
    }

    /// `"key":`, after a comma unless it is the first ([`field_name`]).
    #[inline(always)]
    fn key(&mut self, key: &'static str) {
        field_name(self.out, &mut self.first, key);
    }

    /// Any text, escaped where it needs to be (names, reasons, ids: an id read back is trusted as
    /// stored, see `domain::ids`).
    #[inline(always)]
    pub fn text(&mut self, key: &'static str, value: &str) {
        self.key(key);
        string(self.out, value);
    }

    /// Text that holds nothing to escape (a value of a closed set, digits written by the
    /// portal): copied between quotes, checked in debug builds only.
    #[inline(always)]
    pub fn token(&mut self, key: &'static str, value: impl AsRef<[u8]>) {
        self.quoted(key, value.as_ref());
    }

    #[inline(always)]
    pub fn integer(&mut self, key: &'static str, value: i64) {
        self.key(key);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// A date as `YYYY-MM-DD`, as [`super::date`] writes it.
    #[inline(always)]
    pub fn date(&mut self, key: &'static str, value: &NaiveDate) {
        match date_text(value) {
            Some(text) => self.quoted(key, &text),
            None => self.serialized(key, value),
        }
    }

    /// A time in UTC as RFC 3339, as [`super::time`] writes it.
    #[inline(always)]
    pub fn time(&mut self, key: &'static str, value: &DateTime<Utc>) {
        match time_text(value) {
            Some((text, end)) => self.quoted(key, &text[..end]),
            None => self.serialized(key, value),
        }
    }

    /// A nested object, written by `fields`.
    pub fn object(&mut self, key: &'static str, fields: impl FnOnce(&mut Object<'_>)) {
        self.key(key);
        let mut nested = Object::open(self.out);
        fields(&mut nested);
        nested.close();
    }

    /// `}`.
    pub fn close(self) {
        self.out.push(b'}');
    }

    #[inline(always)]
    fn quoted(&mut self, key: &'static str, text: &[u8]) {
        debug_assert!(plain(text), "a token that needs escaping: {text:?}");
        self.key(key);
        quoted(self.out, text);
    }

    /// A value outside what the portal keeps (a date past the year 9999), as its own
    /// serialization writes it.
    fn serialized<T: serde::Serialize>(&mut self, key: &'static str, value: &T) {
        self.key(key);
        // Into memory: see `compact::string`.
        let _ = serde_json::to_writer(&mut *self.out, value);
    }
}

/// A page of written views: `{"items":[...],"next_cursor":...}`, as serde_json writes a
/// [`crate::api::Page`].
impl<T: utoipa::ToSchema + Written> Written for crate::api::Page<T> {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"items\":[");
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item.write(out);
        }
        out.extend_from_slice(b"],\"next_cursor\":");
        match &self.next_cursor {
            Some(cursor) => string(out, cursor),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
}
