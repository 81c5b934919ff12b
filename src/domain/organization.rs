//! Organisations, roles and the datasets the ministry can grant (docs/domain.md sections 1 and 7).

macro_rules! string_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),*
        }

        // Written out: the derive would not see the renamed values through this macro.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let doc: &str = concat!($($doc, " "),*);
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(doc.split_whitespace().collect::<Vec<_>>().join(" ")))
                    .enum_values(Some([$($text),*]))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            /// The value as stored; `None` for text this program never writes.
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// What kind of body an organisation is; it decides what the organisation does and sees.
    OrgKind {
        Ministry = "ministry",
        HajjOffice = "hajj_office",
        Agency = "agency",
        ServiceProvider = "service_provider",
        Tawafa = "tawafa",
        Authority = "authority",
    }
);

impl OrgKind {
    /// Offices and agencies file contracts for their pilgrims.
    pub fn is_client(self) -> bool {
        matches!(self, OrgKind::HajjOffice | OrgKind::Agency)
    }
    /// Offices and agencies belong to a country.
    pub fn needs_country(self) -> bool {
        self.is_client()
    }
}

string_enum!(
    /// Whether an organisation may act: a suspended one's users and keys are refused.
    OrgStatus {
        Active = "active",
        Suspended = "suspended",
    }
);

string_enum!(
    /// A user's or an API key's role inside its organisation.
    Role {
        Admin = "admin",
        Officer = "officer",
        Viewer = "viewer",
    }
);

impl Role {
    /// Officers and admins do the organisation's work; viewers only read.
    pub fn can_act(self) -> bool {
        matches!(self, Role::Admin | Role::Officer)
    }
}

string_enum!(
    /// The language a user reads the portal's messages and emails in.
    Language {
        Arabic = "ar",
        English = "en",
        French = "fr",
        Persian = "fa",
    }
);

string_enum!(
    /// The slices of data the ministry can grant to an authority.
    Dataset {
        VisaEligibility = "visa_eligibility",
        Arrivals = "arrivals",
        TransportSchedule = "transport_schedule",
        HousingRegistry = "housing_registry",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_round_trips() {
        for kind in OrgKind::ALL {
            assert_eq!(OrgKind::parse(kind.as_str()), Some(*kind));
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(OrgKind::parse("bank"), None);
    }

    #[test]
    fn only_offices_and_agencies_are_clients() {
        let clients: Vec<_> = OrgKind::ALL.iter().filter(|k| k.is_client()).collect();
        assert_eq!(clients, [&OrgKind::HajjOffice, &OrgKind::Agency]);
    }
}
