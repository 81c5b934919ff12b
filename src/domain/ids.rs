//! Typed ids, so that a `UserId` can never be passed where an `OrganizationId` is meant.
//! Ids are UUIDv7 strings: opaque to callers, and ordered by creation, which keyset pagination
//! relies on. Input is checked to be a UUID when parsed; stored ids are trusted as written.
//! An id's text is kept inline ([`IdText`]): reading a page of rows allocates nothing for its ids.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// The length of a UUID's hyphenated text: every id this program writes.
const UUID_LEN: usize = 36;

/// An id's text: inline when it is no longer than a UUID's (every id this program writes), so
/// that reading, copying and dropping an id never touches the allocator; on the heap otherwise
/// (an id stored by other means). Compared, hashed and ordered as its text.
#[derive(Clone)]
pub struct IdText(Kept);

#[derive(Clone)]
enum Kept {
    /// The first `len` bytes of `bytes`, copied whole from a `&str`.
    Inline {
        len: u8,
        bytes: [u8; UUID_LEN],
    },
    Heap(Box<str>),
}

impl IdText {
    pub fn new(text: &str) -> IdText {
        let len = text.len();
        IdText(if len <= UUID_LEN {
            let mut bytes = [0; UUID_LEN];
            bytes[..len].copy_from_slice(text.as_bytes());
            Kept::Inline {
                len: len as u8,
                bytes,
            }
        } else {
            Kept::Heap(text.into())
        })
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // SAFETY: `new` is the only place an inline text is made, from the whole of a `&str`,
            // so its first `len` bytes are that string's: valid UTF-8, cut at its end.
            Kept::Inline { len, bytes } => unsafe {
                std::str::from_utf8_unchecked(bytes.get_unchecked(..usize::from(*len)))
            },
            Kept::Heap(text) => text,
        }
    }
}

impl PartialEq for IdText {
    fn eq(&self, other: &IdText) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for IdText {}

impl std::hash::Hash for IdText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialOrd for IdText {
    fn partial_cmp(&self, other: &IdText) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IdText {
    fn cmp(&self, other: &IdText) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for IdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(IdText);

        impl $name {
            pub fn generate() -> $name {
                $name(IdText::new(
                    Uuid::now_v7().hyphenated().encode_lower(&mut Uuid::encode_buffer()),
                ))
            }
            /// An id read back from the database.
            pub fn from_stored(s: &str) -> $name {
                $name(IdText::new(s))
            }
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
            pub fn into_string(self) -> String {
                self.as_str().to_owned()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        /// Accepts any UUID spelling and keeps the canonical lower-case hyphenated form.
        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<$name, uuid::Error> {
                Uuid::try_parse(s).map(|u| {
                    $name(IdText::new(u.hyphenated().encode_lower(&mut Uuid::encode_buffer())))
                })
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(|_| serde::de::Error::custom("not a valid id"))
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Uuid,
                    )))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    )*};
}

id_type!(
    OrganizationId,
    UserId,
    SessionId,
    ApiKeyId,
    SeasonId,
    ExtensionId,
    FacilityId,
    ContractId,
    AmendmentId,
    EventId,
    GroupId,
    InspectionId,
    NotificationId,
    OutboxId,
    WebhookId,
    DocumentId,
    AccountId,
    TransactionId,
    EntryId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_canonicalises_and_rejects_garbage() {
        let id: UserId = "0190F3B2-7C4A-7D3E-9A1B-2C3D4E5F6A7B".parse().unwrap();
        assert_eq!(id.as_str(), "0190f3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7b");
        assert!("not-an-id".parse::<UserId>().is_err());
        assert!("".parse::<UserId>().is_err());
    }

    /// Inline and on the heap, an id's text compares, orders and hashes as the text itself.
    #[test]
    fn an_id_text_behaves_as_its_text() {
        use std::collections::HashSet;
        let uuid = "0190f3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7b";
        let texts = [
            "",
            "f",
            "contract-1",
            uuid,
            "0190f3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7b0",
            "0190f3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7",
            "zz",
            "ملف-١",
            "a text of an id far longer than any UUID is, kept on the heap",
        ];
        let ids: Vec<IdText> = texts.iter().map(|t| IdText::new(t)).collect();
        for (a, ta) in ids.iter().zip(texts) {
            assert_eq!(a.as_str(), ta);
            assert_eq!(format!("{a:?}"), format!("{ta:?}"));
            for (b, tb) in ids.iter().zip(texts) {
                assert_eq!(a == b, ta == tb);
                assert_eq!(a.cmp(b), ta.cmp(tb), "{ta} against {tb}");
            }
        }
        let distinct: HashSet<IdText> =
            texts.iter().chain(&texts).map(|t| IdText::new(t)).collect();
        assert_eq!(distinct.len(), texts.len());
        let id = ContractId::from_stored(uuid);
        assert_eq!(id.clone().into_string(), uuid);
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{uuid}\""));
    }

    #[test]
    fn generated_ids_sort_by_creation() {
        let a = OrganizationId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = OrganizationId::generate();
        assert!(a < b);
    }
}
