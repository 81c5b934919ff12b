//! Typed ids, so that a `UserId` can never be passed where an `OrganizationId` is meant.
//! Ids are UUIDv7 strings: opaque to callers, and ordered by creation, which keyset pagination
//! relies on. Input is checked to be a UUID when parsed; stored ids are trusted as written.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> $name {
                $name(Uuid::now_v7().hyphenated().to_string())
            }
            /// An id read back from the database.
            pub fn from_stored(s: String) -> $name {
                $name(s)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Accepts any UUID spelling and keeps the canonical lower-case hyphenated form.
        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<$name, uuid::Error> {
                Uuid::try_parse(s).map(|u| $name(u.hyphenated().to_string()))
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

    #[test]
    fn generated_ids_sort_by_creation() {
        let a = OrganizationId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = OrganizationId::generate();
        assert!(a < b);
    }
}
