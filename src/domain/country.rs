//! Countries: ISO 3166-1 alpha-2 codes, the officially assigned ones only.

use super::Invalid;

const ASSIGNED: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY \
HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY \
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA \
RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Country(String);

/// Every assigned code, in alphabetical order.
pub fn assigned() -> impl Iterator<Item = &'static str> {
    ASSIGNED.split(' ')
}

impl Country {
    /// Accepts any letter case; refuses codes that are not assigned.
    pub fn parse(input: &str) -> Result<Country, Invalid> {
        let code = input.trim().to_ascii_uppercase();
        if code.len() == 2 && ASSIGNED.split(' ').any(|c| c == code) {
            Ok(Country(code))
        } else {
            Err(Invalid::new("invalid_country"))
        }
    }

    pub fn from_stored(code: String) -> Country {
        Country(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_assigned_code_once() {
        let codes: Vec<&str> = ASSIGNED.split(' ').collect();
        assert_eq!(codes.len(), 249);
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, codes, "the list is sorted and has no duplicates");
    }

    #[test]
    fn parses_case_insensitively_and_refuses_unassigned() {
        assert_eq!(Country::parse("id").unwrap().as_str(), "ID");
        assert_eq!(Country::parse(" SA ").unwrap().as_str(), "SA");
        for bad in ["ZZ", "XK", "", "IDN", "1D", "إ"] {
            assert!(Country::parse(bad).is_err(), "{bad}");
        }
    }
}
