//! What clients send about contracts, read into the use cases' inputs.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::contract::{Booking, TermsPatch};
use crate::domain::ids::{FacilityId, OrganizationId, SeasonId};
use crate::domain::money::{Money, parse_currency};
use crate::domain::season::ContractType;
use crate::error::{Error, FieldError};
use crate::usecases::contracts::{NewContract, TermsEdit};

use super::views::Route;

/// Terms as sent: the fields of every type, checked against the one named.
#[derive(Deserialize, Serialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct TermsInput {
    /// Housing: beds per night.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub beds: Option<i64>,
    /// Transport: the route served.
    pub route: Option<Route>,
    /// Transport: seats per day.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub seats: Option<i64>,
    /// Catering: pilgrims served per day.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub pilgrims: Option<i64>,
    /// Catering: meals per day, 1 to 3.
    #[schema(minimum = 1, maximum = 3)]
    pub meals_per_day: Option<i64>,
}

impl From<&TermsInput> for TermsPatch {
    fn from(t: &TermsInput) -> TermsPatch {
        TermsPatch {
            beds: t.beds,
            route: t.route.map(|r| (r.from, r.to)),
            seats: t.seats,
            pilgrims: t.pilgrims,
            meals_per_day: t.meals_per_day,
        }
    }
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContract {
    pub season_id: SeasonId,
    #[serde(rename = "type")]
    pub contract_type: ContractType,
    /// The provider's facility: a building (housing), a fleet (transport) or a kitchen (catering).
    pub facility_id: FacilityId,
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub starts_on: NaiveDate,
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub ends_on: NaiveDate,
    /// Per bed-night, seat-day or meal, as a decimal string.
    #[schema(example = "250.00", pattern = r"^[0-9]{1,15}(\.[0-9]{1,2})?$")]
    pub unit_price: String,
    /// Only `SAR`.
    #[schema(example = "SAR", pattern = "^ *[Ss][Aa][Rr] *$")]
    pub currency: String,
    #[serde(flatten)]
    pub terms: TermsInput,
}

impl CreateContract {
    /// The contract to draft, every refused field named.
    pub fn parse(self) -> Result<NewContract, Error> {
        let mut errors = Vec::new();
        let terms = TermsPatch::from(&self.terms)
            .terms(self.contract_type, None)
            .map_err(|e| errors.extend(e.into_iter().map(|(f, e)| FieldError::new(f, e))));
        let price = Money::parse(self.unit_price.trim())
            .map_err(|e| errors.push(FieldError::new("unit_price", e)));
        if let Err(e) = parse_currency(&self.currency) {
            errors.push(FieldError::new("currency", e));
        }
        match (terms, price) {
            (Ok(terms), Ok(unit_price)) if errors.is_empty() => Ok(NewContract {
                season_id: self.season_id,
                facility_id: self.facility_id,
                booking: Booking {
                    terms,
                    starts_on: self.starts_on,
                    ends_on: self.ends_on,
                },
                unit_price,
            }),
            _ => Err(Error::invalid(errors)),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContract {
    #[serde(
        default,
        deserialize_with = "crate::domain::calendar::bounded_optional"
    )]
    pub starts_on: Option<NaiveDate>,
    #[serde(
        default,
        deserialize_with = "crate::domain::calendar::bounded_optional"
    )]
    pub ends_on: Option<NaiveDate>,
    #[schema(pattern = r"^[0-9]{1,15}(\.[0-9]{1,2})?$")]
    pub unit_price: Option<String>,
    #[serde(flatten)]
    pub terms: TermsInput,
}

impl From<UpdateContract> for TermsEdit {
    fn from(u: UpdateContract) -> TermsEdit {
        TermsEdit {
            starts_on: u.starts_on,
            ends_on: u.ends_on,
            terms: TermsPatch::from(&u.terms),
            unit_price: u.unit_price,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    /// Required to decline, return, reject and cancel; up to 1,000 characters.
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAmendment {
    /// Why the terms change.
    #[schema(max_length = 1000)]
    pub reason: String,
    #[serde(
        default,
        deserialize_with = "crate::domain::calendar::bounded_optional"
    )]
    pub starts_on: Option<NaiveDate>,
    #[serde(
        default,
        deserialize_with = "crate::domain::calendar::bounded_optional"
    )]
    pub ends_on: Option<NaiveDate>,
    #[schema(pattern = r"^[0-9]{1,15}(\.[0-9]{1,2})?$")]
    pub unit_price: Option<String>,
    #[serde(flatten)]
    pub terms: TermsInput,
}

impl CreateAmendment {
    /// The reason and the proposed terms.
    pub fn parse(self) -> (String, TermsEdit) {
        let edit = TermsEdit {
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            terms: TermsPatch::from(&self.terms),
            unit_price: self.unit_price,
        };
        (self.reason, edit)
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContractQuery {
    pub season_id: Option<SeasonId>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub contract_type: Option<ContractType>,
    pub status: Option<crate::domain::contract::ContractStatus>,
    pub client_id: Option<OrganizationId>,
    pub provider_id: Option<OrganizationId>,
    pub facility_id: Option<FacilityId>,
    /// Searches facility, client and provider names; Arabic letter variants match each other.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}
