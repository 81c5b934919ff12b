//! Money: exact amounts in halalas (1/100 riyal), written as decimal strings. Never floating point.

use super::Invalid;

/// The one currency contracts are priced in.
pub const CURRENCY: &str = "SAR";

/// The largest amount accepted anywhere (a trillion riyals), far below `i64` overflow.
const MAX_HALALAS: i64 = 100_000_000_000_000;

/// An amount in halalas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(i64);

impl Money {
    pub fn from_halalas(h: i64) -> Money {
        Money(h)
    }

    pub fn halalas(self) -> i64 {
        self.0
    }

    /// A non-negative decimal with at most two fraction digits: `"1250"`, `"1250.5"`, `"1250.00"`.
    pub fn parse(input: &str) -> Result<Money, Invalid> {
        let bad = Invalid::new("invalid_amount");
        let (whole, fraction) = input.split_once('.').unwrap_or((input, ""));
        if whole.is_empty()
            || whole.len() > 15
            || fraction.len() > 2
            || (input.contains('.') && fraction.is_empty())
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad);
        }
        let whole: i64 = whole.parse().map_err(|_| bad)?;
        let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad)?;
        let total = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .ok_or(bad)?;
        if total > MAX_HALALAS {
            return Err(Invalid::new("out_of_range"));
        }
        Ok(Money(total))
    }

    /// The amount times a quantity; `None` past the largest accepted amount.
    pub fn times(self, quantity: i64) -> Option<Money> {
        self.0
            .checked_mul(quantity)
            .filter(|t| *t <= MAX_HALALAS)
            .map(Money)
    }
}

impl Money {
    /// The amount's decimal text, given to `f`: written on the stack without the formatting
    /// machinery for amounts of zero or more (every price), as [`signed`] writes it otherwise.
    fn with_text<R>(self, f: impl FnOnce(&str) -> R) -> R {
        // Digits, a sign and a point only: always text.
        self.with_bytes(|text| f(std::str::from_utf8(text).unwrap_or_default()))
    }

    /// [`Money::with_text`] as bytes, for a writer of bytes (which needs no check that digits
    /// are text).
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        if self.0 < 0 {
            return f(signed(self.0).as_bytes());
        }
        let mut units = itoa::Buffer::new();
        let units = units.format(self.0 / 100).as_bytes();
        let cents = (self.0 % 100) as u8;
        let mut text = [0u8; 24];
        let end = units.len() + 3;
        text[..units.len()].copy_from_slice(units);
        text[units.len()..end].copy_from_slice(&[b'.', b'0' + cents / 10, b'0' + cents % 10]);
        f(&text[..end])
    }
}

/// In one write (so that `to_string` allocates once).
impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_text(|text| f.write_str(text))
    }
}

/// As its decimal text (a JSON string), without an allocation: every priced contract shown
/// carries two amounts.
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.with_text(|text| s.serialize_str(text))
    }
}

/// A signed amount of halalas as a decimal string: `"-1250.50"`, `"0.05"` (ledger movements and
/// balances, which can be negative).
pub fn signed(halalas: i64) -> String {
    let sign = if halalas < 0 { "-" } else { "" };
    let abs = halalas.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The currency of a request: only `SAR`.
pub fn parse_currency(input: &str) -> Result<&'static str, Invalid> {
    if input.trim().eq_ignore_ascii_case(CURRENCY) {
        Ok(CURRENCY)
    } else {
        Err(Invalid::new("invalid_currency"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_amounts_with_two_decimals() {
        for halalas in [0, 1, 9, 10, 99, 100, 101, 125_050, 999_999_999, i64::MAX] {
            let plain = format!("{}.{:02}", halalas / 100, halalas % 100);
            assert_eq!(Money(halalas).to_string(), plain, "{halalas}");
        }
        // Below zero, the sign comes first and the cents stay two digits.
        assert_eq!(Money(-5).to_string(), "-0.05");
        assert_eq!(Money(-100).to_string(), "-1.00");
        assert_eq!(Money(-125_050).to_string(), "-1250.50");
        assert_eq!(
            serde_json::to_string(&Money(-125_050)).unwrap(),
            "\"-1250.50\""
        );
    }

    #[test]
    fn writes_signed_amounts() {
        assert_eq!(signed(-125_050), "-1250.50");
        assert_eq!(signed(5), "0.05");
        assert_eq!(signed(-5), "-0.05");
        assert_eq!(signed(0), "0.00");
    }

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(Money::parse("1250").unwrap().halalas(), 125_000);
        assert_eq!(Money::parse("1250.5").unwrap().to_string(), "1250.50");
        assert_eq!(Money::parse("0.01").unwrap().halalas(), 1);
        assert_eq!(Money::parse("0").unwrap().to_string(), "0.00");
        for bad in [
            "", "-1", "1.234", "1.", ".5", "1e3", "12,5", " 1", "١٢", "NaN",
        ] {
            assert!(Money::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Money::parse("999999999999999").unwrap_err().code,
            "out_of_range"
        );
    }

    #[test]
    fn totals_are_exact_and_bounded() {
        // 0.1 + 0.2 style errors cannot happen: 3 nights at 0.10 is exactly 0.30.
        assert_eq!(
            Money::parse("0.10").unwrap().times(3).unwrap().to_string(),
            "0.30"
        );
        assert_eq!(Money::parse("1000000").unwrap().times(2_000_000), None);
        assert_eq!(parse_currency("sar"), Ok("SAR"));
        assert!(parse_currency("USD").is_err());
    }
}
