//! A serde serializer that writes exactly what `serde_json::to_writer` writes (compact JSON),
//! for the values the portal's views are made of, with less work per value: a string that needs
//! no escaping (ids, dates, statuses, most names) is copied whole after one pass that the
//! compiler vectorises, where serde_json looks up every byte; numbers go through `itoa` as in
//! serde_json, without its formatter's indirection.
//!
//! What it does not write itself (floats, bytes, maps whose keys are not text, serde_json's raw
//! values) it declines with [`Aside`], and the caller writes the whole value with serde_json
//! instead. The tests compare the two byte for byte.

use serde::Serialize;
use serde::ser::{self, Serializer};

/// The writer declined the value (or the value's own serialization failed): write it with
/// serde_json instead.
#[derive(Debug)]
pub struct Aside;

impl std::fmt::Display for Aside {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a value the compact writer leaves to serde_json")
    }
}

impl std::error::Error for Aside {}

impl ser::Error for Aside {
    fn custom<T: std::fmt::Display>(_: T) -> Aside {
        Aside
    }
}

/// serde_json's name for its raw values, which it writes unquoted.
const RAW_VALUE: &str = "$serde_json::private::RawValue";

/// Writes `value` at the end of `out`; on [`Aside`], `out` holds a partial value.
pub fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Aside> {
    value.serialize(&mut Compact { out })
}

pub struct Compact<'o> {
    out: &'o mut Vec<u8>,
}

/// Whether a string can be written as it is between quotes: no quote, no backslash, no control
/// character (what serde_json escapes). Eight bytes at a time, as one 64-bit word each
/// ([`needs_escape`]); the bytes left over in the word that ends the string, which overlaps the
/// word before (what it checks twice was plain), or, in a string shorter than a word, padded
/// with spaces.
pub fn plain(s: &[u8]) -> bool {
    let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().unwrap_or([b'"'; 8]));
    if s.len() < 8 {
        let mut padded = [b' '; 8];
        padded[..s.len()].copy_from_slice(s);
        return !needs_escape(u64::from_le_bytes(padded));
    }
    let mut words = s.chunks_exact(8);
    for w in &mut words {
        if needs_escape(word(w)) {
            return false;
        }
    }
    words.remainder().is_empty() || !needs_escape(word(&s[s.len() - 8..]))
}

/// Each byte of a word is 1.
const ONES: u64 = u64::MAX / 255;
/// The high bit of each byte.
const HIGHS: u64 = ONES * 0x80;

/// Whether any byte of `word` is under 0x20, a quote or a backslash. Subtracting `n` from every
/// byte at once sets a byte's high bit where the byte was under `n` (or where a borrow from the
/// byte below reached it, which needs a byte under `n` below); masking with the byte's own high
/// bit clear leaves out bytes of 0x80 and above. A byte equal to `c` is a byte under 1 once `c`
/// is XORed out. Exact for "any", which is all that is asked.
fn needs_escape(word: u64) -> bool {
    let under = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS;
    let equal = |c: u8| under(word ^ (ONES * u64::from(c)), 1);
    (under(word, 0x20) | equal(b'"') | equal(b'\\')) != 0
}

/// `text`, which holds nothing to escape, between quotes at the end of `out`.
#[inline(always)]
pub fn quoted(out: &mut Vec<u8>, text: &[u8]) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    out.extend_from_slice(text);
    out.push(b'"');
}

/// `s` as a JSON string at the end of `out`: copied whole between quotes where nothing in it
/// needs escaping, escaped by serde_json otherwise.
pub fn string(out: &mut Vec<u8>, s: &str) {
    if plain(s.as_bytes()) {
        quoted(out, s.as_bytes());
    } else {
        // Into memory: serde_json's writer fails only where its output does, which a vector
        // never does.
        let _ = serde_json::to_writer(out, s);
    }
}

impl Compact<'_> {
    fn string(&mut self, s: &str) -> Result<(), Aside> {
        string(self.out, s);
        Ok(())
    }

    fn integer<I: itoa::Integer>(&mut self, value: I) -> Result<(), Aside> {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        Ok(())
    }

    fn raw(&mut self, text: &[u8]) -> Result<(), Aside> {
        self.out.extend_from_slice(text);
        Ok(())
    }

    fn open(&mut self, text: &[u8], close: &'static [u8]) -> Result<Nested<'_>, Aside> {
        self.out.extend_from_slice(text);
        Ok(Nested {
            out: &mut *self.out,
            first: true,
            close,
        })
    }

    /// `{"variant":` before a variant's content.
    fn variant(&mut self, variant: &str) -> Result<(), Aside> {
        self.out.push(b'{');
        self.string(variant)?;
        self.out.push(b':');
        Ok(())
    }
}

/// Integers, written as serde_json writes them (with `itoa`).
macro_rules! integers {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<(), Aside> {
            self.integer(v)
        }
    )*};
}

impl<'a, 'o> Serializer for &'a mut Compact<'o> {
    type Ok = ();
    type Error = Aside;
    type SerializeSeq = Nested<'a>;
    type SerializeTuple = Nested<'a>;
    type SerializeTupleStruct = Nested<'a>;
    type SerializeTupleVariant = Nested<'a>;
    type SerializeMap = Nested<'a>;
    type SerializeStruct = Nested<'a>;
    type SerializeStructVariant = Nested<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Aside> {
        self.raw(if v { b"true" } else { b"false" })
    }
    integers!(
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128
    );
    fn serialize_f32(self, _: f32) -> Result<(), Aside> {
        Err(Aside)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Aside> {
        Err(Aside)
    }
    fn serialize_char(self, v: char) -> Result<(), Aside> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Aside> {
        self.string(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Aside> {
        Err(Aside)
    }
    fn serialize_none(self) -> Result<(), Aside> {
        self.raw(b"null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Aside> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Aside> {
        self.raw(b"null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Aside> {
        self.raw(b"null")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Aside> {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Aside> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Aside> {
        self.variant(variant)?;
        value.serialize(&mut *self)?;
        self.raw(b"}")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Nested<'a>, Aside> {
        self.open(b"[", b"]")
    }
    fn serialize_tuple(self, _: usize) -> Result<Nested<'a>, Aside> {
        self.open(b"[", b"]")
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Nested<'a>, Aside> {
        self.open(b"[", b"]")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Nested<'a>, Aside> {
        self.variant(variant)?;
        self.open(b"[", b"]}")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Nested<'a>, Aside> {
        self.open(b"{", b"}")
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Nested<'a>, Aside> {
        if name == RAW_VALUE {
            return Err(Aside);
        }
        self.open(b"{", b"}")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Nested<'a>, Aside> {
        self.variant(variant)?;
        self.open(b"{", b"}}")
    }
}

/// `"key":` at the end of `out`, after a comma unless it is the `first` field, the key with its
/// comma, quotes and colon in one reservation. A field's name is a struct's, fixed when the
/// portal is built (`&'static str`): a name that would need escaping (none of the views' does) is
/// checked in debug builds, which every test of every view runs, not at each field of each
/// answer.
#[inline(always)]
pub fn field_name(out: &mut Vec<u8>, first: &mut bool, key: &'static str) {
    debug_assert!(
        plain(key.as_bytes()),
        "a field name that needs escaping: {key}"
    );
    out.reserve(key.len() + 4);
    if !std::mem::take(first) {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// An array or object being written: its items are separated by commas, and `close` ends it.
pub struct Nested<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    close: &'static [u8],
}

impl Nested<'_> {
    fn next(&mut self) -> Compact<'_> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        Compact {
            out: &mut *self.out,
        }
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Aside> {
        value.serialize(&mut self.next())
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Aside> {
        field_name(self.out, &mut self.first, key);
        value.serialize(&mut Compact {
            out: &mut *self.out,
        })
    }

    fn end(self) -> Result<(), Aside> {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// The serde traits of arrays: each item after a comma.
macro_rules! arrays {
    ($($name:ident :: $method:ident),*) => {$(
        impl ser::$name for Nested<'_> {
            type Ok = ();
            type Error = Aside;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Aside> {
                self.item(value)
            }
            fn end(self) -> Result<(), Aside> {
                Nested::end(self)
            }
        }
    )*};
}

arrays!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Nested<'_> {
    type Ok = ();
    type Error = Aside;
    /// Keys that are text only (serde_json writes numbers and booleans as keys in quotes; such a
    /// map is left to it): whatever the key wrote must be a string.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Aside> {
        let mut out = self.next();
        let at = out.out.len();
        key.serialize(&mut out)?;
        match out.out.get(at) {
            Some(b'"') => Ok(()),
            _ => Err(Aside),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Aside> {
        self.out.push(b':');
        value.serialize(&mut Compact {
            out: &mut *self.out,
        })
    }
    fn end(self) -> Result<(), Aside> {
        Nested::end(self)
    }
}

/// The serde traits of objects with named fields: each `"name":value` after a comma.
macro_rules! objects {
    ($($name:ident),*) => {$(
        impl ser::$name for Nested<'_> {
            type Ok = ();
            type Error = Aside;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Aside> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Aside> {
                Nested::end(self)
            }
        }
    )*};
}

objects!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::plain;

    /// Every byte value at every place of strings of every length to two words and a half: the
    /// word-at-a-time check answers what a byte-by-byte one does.
    #[test]
    fn plain_agrees_with_a_byte_by_byte_check() {
        let escaped = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\');
        for len in 0..=20 {
            for at in 0..len {
                for b in 0..=255u8 {
                    for filler in [b'a', 0x7f, 0x80, 0xff, b' ', b'!', b'#', b'['] {
                        let mut s = vec![filler; len];
                        s[at] = b;
                        let expected = !s.iter().any(|&c| escaped(c));
                        assert_eq!(plain(&s), expected, "{s:?}");
                    }
                }
            }
        }
    }
}
