//! Seasons, contract types and facilities (docs/domain.md sections 2 and 3).

use super::organization::string_enum;

string_enum!(
    /// A Hajj or an Umrah season.
    SeasonKind {
        Hajj = "hajj",
        Umrah = "umrah",
    }
);

string_enum!(
    /// What a contract buys.
    ContractType {
        Housing = "housing",
        Transport = "transport",
        Catering = "catering",
    }
);

string_enum!(
    /// What a service provider licenses: beds, seats or meals.
    FacilityKind {
        Building = "building",
        Fleet = "fleet",
        Kitchen = "kitchen",
    }
);

string_enum!(
    /// Where pilgrims stay and eat, and where transport runs between (with the two airports).
    Place {
        Jed = "jed",
        Med = "med",
        Makkah = "makkah",
        Madinah = "madinah",
        Mashaer = "mashaer",
    }
);

impl Place {
    /// Buildings and kitchens stand in a city, never at an airport.
    pub fn is_city(self) -> bool {
        matches!(self, Place::Makkah | Place::Madinah | Place::Mashaer)
    }
    /// Arrival and departure ports.
    pub fn is_port(self) -> bool {
        matches!(self, Place::Jed | Place::Med)
    }
}

impl FacilityKind {
    /// The contract type a facility of this kind serves.
    pub fn contract_type(self) -> ContractType {
        match self {
            FacilityKind::Building => ContractType::Housing,
            FacilityKind::Fleet => ContractType::Transport,
            FacilityKind::Kitchen => ContractType::Catering,
        }
    }
}

impl ContractType {
    pub fn facility_kind(self) -> FacilityKind {
        match self {
            ContractType::Housing => FacilityKind::Building,
            ContractType::Transport => FacilityKind::Fleet,
            ContractType::Catering => FacilityKind::Kitchen,
        }
    }
}

/// A licensed facility of a service provider (docs/domain.md section 3).
#[derive(Clone, Debug)]
pub struct Facility {
    pub id: crate::domain::ids::FacilityId,
    pub provider_id: crate::domain::ids::OrganizationId,
    pub kind: FacilityKind,
    pub name: String,
    /// The Arabic name, if the provider gave one.
    pub name_ar: Option<String>,
    /// Where a building or kitchen stands, or where a fleet is based.
    pub place: Place,
    pub licence_no: String,
    pub licence_valid_from: chrono::NaiveDate,
    pub licence_valid_to: chrono::NaiveDate,
    /// Beds per night, seats per day or pilgrims served per day.
    pub capacity: i64,
    pub version: i64,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}
