//! Names, email addresses, passwords and the search key that makes Arabic letter variants match.

use super::Invalid;

/// The longest name accepted (organisations, users, keys).
pub const MAX_NAME_CHARS: usize = 200;
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;
const MAX_EMAIL_CHARS: usize = 254;

/// A display name: trimmed, not empty, no control characters, at most 200 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn parse(input: &str) -> Result<Name, Invalid> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Invalid::with_limit("too_short", 1));
        }
        if trimmed.chars().count() > MAX_NAME_CHARS {
            return Err(Invalid::with_limit("too_long", MAX_NAME_CHARS));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Invalid::new("invalid_characters"));
        }
        Ok(Name(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A text many records show (an organisation's or a facility's name), held once and shared by
/// each: a copy counts a reference instead of copying the text. Written and shown as the text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shared(std::sync::Arc<str>);

impl std::ops::Deref for Shared {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Shared {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for Shared {
    fn from(text: String) -> Shared {
        Shared(text.into())
    }
}

impl From<&str> for Shared {
    fn from(text: &str) -> Shared {
        Shared(text.into())
    }
}

impl std::fmt::Display for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Shared {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// An email address, lower-cased so that one mailbox is one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, Invalid> {
        let email = input.trim().to_lowercase();
        if email.chars().count() > MAX_EMAIL_CHARS {
            return Err(Invalid::with_limit("too_long", MAX_EMAIL_CHARS));
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && email.chars().all(|c| {
                        !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"\\".contains(c)
                    })
            }
            None => false,
        };
        if valid {
            Ok(Email(email))
        } else {
            Err(Invalid::new("invalid_email"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A new password: 8 to 128 characters, no composition rules, not one of the most common passwords.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: &str) -> Result<NewPassword, Invalid> {
        let chars = input.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(Invalid::with_limit("too_short", MIN_PASSWORD_CHARS));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(Invalid::with_limit("too_long", MAX_PASSWORD_CHARS));
        }
        if passwords::analyzer::is_common_password(input)
            || passwords::analyzer::is_common_password(input.to_lowercase())
        {
            return Err(Invalid::new("common_password"));
        }
        Ok(NewPassword(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// The form names are searched in: lower case, Arabic diacritics and tatweel removed, and the letter
/// variants people type interchangeably folded together (أ إ آ ٱ -> ا, ة -> ه, ى -> ي).
pub fn search_key(text: &str) -> String {
    text.chars()
        .filter(|c| !is_arabic_mark(*c))
        .map(|c| match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            'ة' => 'ه',
            'ى' => 'ي',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Harakat, tanween, shadda, sukun, dagger alef, Quranic marks and tatweel.
fn is_arabic_mark(c: char) -> bool {
    matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0640}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            Name::parse("  Makkah Towers ").unwrap().as_str(),
            "Makkah Towers"
        );
        assert_eq!(Name::parse("   ").unwrap_err().code, "too_short");
        assert_eq!(Name::parse(&"x".repeat(201)).unwrap_err().code, "too_long");
        assert!(
            Name::parse(&"ب".repeat(200)).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            Name::parse("a\u{0}b").unwrap_err().code,
            "invalid_characters"
        );
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            Email::parse(" Admin@Hajj.GOV.sa ").unwrap().as_str(),
            "admin@hajj.gov.sa"
        );
        for bad in [
            "", "no-at", "a@b", "a@@b.c", "@b.c", "a@.b.c", "a b@c.d", "a@b.c.", "<a>@b.c",
            "a@b..c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_follow_length_and_common_list_only() {
        assert_eq!(NewPassword::parse("short").unwrap_err().code, "too_short");
        assert_eq!(
            NewPassword::parse(&"a".repeat(129)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            NewPassword::parse("password").unwrap_err().code,
            "common_password"
        );
        assert_eq!(
            NewPassword::parse("12345678").unwrap_err().code,
            "common_password"
        );
        assert_eq!(
            NewPassword::parse("PASSWORD1").unwrap_err().code,
            "common_password"
        );
        // No composition rules: a long lower-case passphrase is fine, and so is Arabic.
        assert!(NewPassword::parse("camels cross the quiet desert").is_ok());
        assert!(NewPassword::parse("كلمة مرور طويلة").is_ok());
    }

    #[test]
    fn search_key_folds_arabic_variants() {
        let forms = ["أحمد", "إحمد", "آحمد", "احمد", "اَحْمَد", "احـــمد"];
        for f in forms {
            assert_eq!(search_key(f), "احمد", "{f}");
        }
        assert_eq!(search_key("مكة"), search_key("مكه"));
        assert_eq!(search_key("مصطفى"), search_key("مصطفي"));
        assert_eq!(search_key("  Grand   HOTEL "), "grand hotel");
    }
}
