//! What the API shows of contracts, amendments and their history.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::calendar::{HijriDate, hijri};
use crate::domain::contract::{Amendment, Price};
use crate::domain::contract::{AmendmentStatus, Booking, CURRENCY, ContractStatus, TermsPatch};
use crate::domain::ids::{
    AmendmentId, ApiKeyId, ContractId, FacilityId, OrganizationId, SeasonId, UserId,
};
use crate::domain::money::Money;
use crate::domain::season::{ContractType, Place};
use crate::domain::text::Shared;
use crate::storage::models::ContractEventRow;
use crate::usecases::contracts::ContractDetails;

use super::super::json::{Object, Written};
use super::super::utc;

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub from: Place,
    pub to: Place,
}

#[derive(Serialize, ToSchema)]
pub struct ContractView {
    pub id: ContractId,
    pub season_id: SeasonId,
    #[serde(rename = "type")]
    pub contract_type: ContractType,
    pub status: ContractStatus,
    pub client_id: OrganizationId,
    #[schema(value_type = String)]
    pub client_name: Shared,
    pub client_country: String,
    pub provider_id: OrganizationId,
    #[schema(value_type = String)]
    pub provider_name: Shared,
    pub facility_id: FacilityId,
    #[schema(value_type = String)]
    pub facility_name: Shared,
    /// The client's, provider's and facility's names in Arabic, where they have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub client_name_ar: Option<Shared>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub provider_name_ar: Option<Shared>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub facility_name_ar: Option<Shared>,
    pub facility_city: Place,
    /// First night, meal day or service day covered.
    #[serde(serialize_with = "crate::api::json::date")]
    pub starts_on: NaiveDate,
    #[schema(value_type = String)]
    pub starts_on_hijri: HijriDate,
    /// Last night, meal day or service day covered (inclusive).
    #[serde(serialize_with = "crate::api::json::date")]
    pub ends_on: NaiveDate,
    #[schema(value_type = String)]
    pub ends_on_hijri: HijriDate,
    /// Housing: beds per night.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beds: Option<i64>,
    /// Transport: the route served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    /// Transport: seats per day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<i64>,
    /// Catering: pilgrims served per day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilgrims: Option<i64>,
    /// Catering: meals per day (1-3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meals_per_day: Option<i64>,
    /// Price per bed-night, seat-day or meal; absent for callers who may not see prices.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "250.00")]
    pub unit_price: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "SAR")]
    pub currency: Option<&'static str>,
    /// Unit price times units times days (times meals): computed by the server.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "30000.00")]
    pub total: Option<Money>,
    /// Why the contract is in its status: the reason given with the step that put it there (a
    /// return or rejection by the ministry, a decline by the provider, a cancellation); absent
    /// when that step needed none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    pub version: i64,
    #[serde(serialize_with = "crate::api::json::time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::api::json::time")]
    pub updated_at: DateTime<Utc>,
}

/// Field by field as its derived `Serialize` writes it (what the list, a contract and every step
/// answer with; see `json::written`). A field added to the view is added here too:
/// `tests::a_contract_is_written_as_serde_json_writes_it` sets every field and compares.
impl Written for ContractView {
    fn write(&self, out: &mut Vec<u8>) {
        let mut o = Object::open(out);
        o.text("id", self.id.as_str());
        o.text("season_id", self.season_id.as_str());
        o.token("type", self.contract_type.as_str());
        o.token("status", self.status.as_str());
        o.text("client_id", self.client_id.as_str());
        o.text("client_name", self.client_name.as_ref());
        o.text("client_country", &self.client_country);
        o.text("provider_id", self.provider_id.as_str());
        o.text("provider_name", self.provider_name.as_ref());
        o.text("facility_id", self.facility_id.as_str());
        o.text("facility_name", self.facility_name.as_ref());
        if let Some(name) = &self.client_name_ar {
            o.text("client_name_ar", name.as_ref());
        }
        if let Some(name) = &self.provider_name_ar {
            o.text("provider_name_ar", name.as_ref());
        }
        if let Some(name) = &self.facility_name_ar {
            o.text("facility_name_ar", name.as_ref());
        }
        o.token("facility_city", self.facility_city.as_str());
        o.date("starts_on", &self.starts_on);
        self.starts_on_hijri
            .with_bytes(|text| o.token("starts_on_hijri", text));
        o.date("ends_on", &self.ends_on);
        self.ends_on_hijri
            .with_bytes(|text| o.token("ends_on_hijri", text));
        if let Some(beds) = self.beds {
            o.integer("beds", beds);
        }
        if let Some(Route { from, to }) = self.route {
            o.object("route", |r| {
                r.token("from", from.as_str());
                r.token("to", to.as_str());
            });
        }
        if let Some(seats) = self.seats {
            o.integer("seats", seats);
        }
        if let Some(pilgrims) = self.pilgrims {
            o.integer("pilgrims", pilgrims);
        }
        if let Some(meals) = self.meals_per_day {
            o.integer("meals_per_day", meals);
        }
        if let Some(price) = self.unit_price {
            price.with_bytes(|text| o.token("unit_price", text));
        }
        if let Some(currency) = self.currency {
            o.text("currency", currency);
        }
        if let Some(total) = self.total {
            total.with_bytes(|text| o.token("total", text));
        }
        if let Some(reason) = &self.status_reason {
            o.text("status_reason", reason);
        }
        o.integer("version", self.version);
        o.time("created_at", &self.created_at);
        o.time("updated_at", &self.updated_at);
        o.close();
    }
}

/// A booking's terms as the views' fields: beds, route, seats, pilgrims, meals per day.
type TermsFields = (
    Option<i64>,
    Option<Route>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn terms_fields(b: &Booking) -> TermsFields {
    let t = TermsPatch::from(b.terms);
    (
        t.beds,
        t.route.map(|(from, to)| Route { from, to }),
        t.seats,
        t.pilgrims,
        t.meals_per_day,
    )
}

impl From<ContractDetails> for ContractView {
    fn from(d: ContractDetails) -> ContractView {
        let c = d.contract;
        let b = c.booking;
        let (beds, route, seats, pilgrims, meals_per_day) = terms_fields(&b);
        ContractView {
            id: c.id,
            season_id: c.season_id,
            contract_type: b.terms.contract_type(),
            status: c.status,
            client_id: c.client_id,
            client_name: d.client_name,
            client_country: c.client_country,
            provider_id: c.provider_id,
            provider_name: d.provider_name,
            facility_id: c.facility_id,
            facility_name: d.facility_name,
            client_name_ar: d.client_name_ar,
            provider_name_ar: d.provider_name_ar,
            facility_name_ar: d.facility_name_ar,
            facility_city: d.facility_city,
            starts_on: b.starts_on,
            starts_on_hijri: HijriDate::of(b.starts_on),
            ends_on: b.ends_on,
            ends_on_hijri: HijriDate::of(b.ends_on),
            beds,
            route,
            seats,
            pilgrims,
            meals_per_day,
            unit_price: c.price.map(|p| p.unit),
            currency: c.price.map(|_| CURRENCY),
            total: c.price.map(|p| p.total),
            status_reason: c.status_reason,
            version: c.version,
            created_at: utc(c.created_at),
            updated_at: utc(c.updated_at),
        }
    }
}

/// What a step of a contract's history was (the document's name for the closed set the history
/// records; the history keeps it as text, since it mixes contract and amendment steps).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum EventAction {
    Create,
    Edit,
    Amend,
    Submit,
    Accept,
    Decline,
    Approve,
    Return,
    Reject,
    Cancel,
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    #[schema(format = Uuid)]
    pub id: String,
    pub at: DateTime<Utc>,
    /// `create`, `edit`, a lifecycle action, or `amend` and the amendment's actions.
    #[schema(value_type = EventAction)]
    pub action: String,
    /// A contract's status, or for a step on an amendment the amendment's.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ContractStatus>)]
    pub from_status: Option<String>,
    #[schema(value_type = ContractStatus)]
    pub to_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[schema(format = Uuid)]
    pub organization_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub actor_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub actor_api_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub amendment_id: Option<String>,
}

impl From<ContractEventRow> for EventView {
    fn from(e: ContractEventRow) -> EventView {
        EventView {
            id: e.id.into_string(),
            at: utc(e.at),
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            reason: e.reason,
            organization_id: e.organization_id.into_string(),
            actor_user_id: e.actor_user_id.map(UserId::into_string),
            actor_api_key_id: e.actor_api_key_id.map(ApiKeyId::into_string),
            amendment_id: e.amendment_id.map(AmendmentId::into_string),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AmendmentView {
    pub id: AmendmentId,
    pub contract_id: ContractId,
    pub status: AmendmentStatus,
    pub reason: String,
    pub starts_on: NaiveDate,
    pub starts_on_hijri: String,
    pub ends_on: NaiveDate,
    pub ends_on_hijri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilgrims: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meals_per_day: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Amendment> for AmendmentView {
    fn from(a: Amendment) -> AmendmentView {
        let b = a.booking;
        let price: Option<Price> = a.price;
        let (beds, route, seats, pilgrims, meals_per_day) = terms_fields(&b);
        AmendmentView {
            id: a.id,
            contract_id: a.contract_id,
            status: a.status,
            reason: a.reason,
            starts_on: b.starts_on,
            starts_on_hijri: hijri(b.starts_on),
            ends_on: b.ends_on,
            ends_on_hijri: hijri(b.ends_on),
            beds,
            route,
            seats,
            pilgrims,
            meals_per_day,
            unit_price: price.map(|p| p.unit.to_string()),
            total: price.map(|p| p.total.to_string()),
            created_at: utc(a.created_at),
            updated_at: utc(a.updated_at),
        }
    }
}

/// The CSV columns: the same the caller sees in JSON.
pub fn csv_header(prices: bool) -> Vec<String> {
    let mut cols = vec![
        "id",
        "season_id",
        "type",
        "status",
        "client_id",
        "client_name",
        "client_country",
        "provider_id",
        "provider_name",
        "facility_id",
        "facility_name",
        "facility_city",
        "starts_on",
        "starts_on_hijri",
        "ends_on",
        "ends_on_hijri",
        "beds",
        "route_from",
        "route_to",
        "seats",
        "pilgrims",
        "meals_per_day",
    ];
    if prices {
        cols.extend(["unit_price", "currency", "total"]);
    }
    cols.extend(["version", "created_at", "updated_at"]);
    cols.into_iter().map(str::to_owned).collect()
}

pub fn csv_row(v: &ContractView) -> Vec<String> {
    let opt = |x: Option<i64>| x.map(|n| n.to_string()).unwrap_or_default();
    let t = v;
    let mut cells = vec![
        v.id.to_string(),
        v.season_id.to_string(),
        v.contract_type.to_string(),
        v.status.to_string(),
        v.client_id.to_string(),
        v.client_name.to_string(),
        v.client_country.clone(),
        v.provider_id.to_string(),
        v.provider_name.to_string(),
        v.facility_id.to_string(),
        v.facility_name.to_string(),
        v.facility_city.to_string(),
        v.starts_on.to_string(),
        v.starts_on_hijri.to_string(),
        v.ends_on.to_string(),
        v.ends_on_hijri.to_string(),
        opt(t.beds),
        t.route.map(|r| r.from.to_string()).unwrap_or_default(),
        t.route.map(|r| r.to.to_string()).unwrap_or_default(),
        opt(t.seats),
        opt(t.pilgrims),
        opt(t.meals_per_day),
    ];
    if let (Some(p), Some(c), Some(t)) = (&v.unit_price, &v.currency, &v.total) {
        cells.extend([p.to_string(), (*c).to_owned(), t.to_string()]);
    }
    cells.extend([
        v.version.to_string(),
        v.created_at.to_rfc3339(),
        v.updated_at.to_rfc3339(),
    ]);
    cells
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// Texts a name, a country or a reason can hold, from plain to everything serde_json escapes.
    const TEXTS: [&str; 7] = [
        "",
        "Al Safwa Towers 12",
        "01a23bae-8587-773e-9652-a04d80eab4dd",
        "مكة المكرمة — برج \"الصفوة\"",
        "quote \" backslash \\ slash / tab \t newline \n",
        "controls \u{0} \u{1f} del \u{7f}",
        "عربي فارسی ✓ 😀 \u{2028}",
    ];

    fn any<T: Copy>(rng: &mut StdRng, of: &[T]) -> T {
        of[rng.random_range(0..of.len())]
    }

    fn text(rng: &mut StdRng) -> String {
        any(rng, &TEXTS).to_owned()
    }

    fn id<T>(rng: &mut StdRng, from_stored: fn(&str) -> T) -> T {
        // Ids as the portal writes them, and now and then one stored by other means.
        match rng.random_range(0..8) {
            0 => from_stored(&text(rng)),
            _ => from_stored(&uuid::Uuid::now_v7().hyphenated().to_string()),
        }
    }

    fn maybe<T>(rng: &mut StdRng, value: impl FnOnce(&mut StdRng) -> T) -> Option<T> {
        rng.random_bool(0.5).then(|| value(rng))
    }

    fn time(rng: &mut StdRng) -> DateTime<Utc> {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let nanos = any(rng, &[0, 250_000_000, 842_497_000, 1, 999_999_999]);
        start + Duration::seconds(rng.random_range(0..86_400 * 400)) + Duration::nanoseconds(nanos)
    }

    fn view(rng: &mut StdRng) -> ContractView {
        let starts_on = NaiveDate::from_ymd_opt(2027, 5, 1).unwrap()
            + Duration::days(rng.random_range(-400..400));
        let ends_on = starts_on + Duration::days(rng.random_range(0..30));
        let amount = |rng: &mut StdRng| Money::from_halalas(rng.random_range(-5_000..50_000_000));
        let count = |rng: &mut StdRng| rng.random_range(-3..100_000);
        ContractView {
            id: id(rng, ContractId::from_stored),
            season_id: id(rng, SeasonId::from_stored),
            contract_type: any(rng, ContractType::ALL),
            status: any(rng, ContractStatus::ALL),
            client_id: id(rng, OrganizationId::from_stored),
            client_name: text(rng).into(),
            client_country: text(rng),
            provider_id: id(rng, OrganizationId::from_stored),
            provider_name: text(rng).into(),
            facility_id: id(rng, FacilityId::from_stored),
            facility_name: text(rng).into(),
            client_name_ar: maybe(rng, |r| text(r).into()),
            provider_name_ar: maybe(rng, |r| text(r).into()),
            facility_name_ar: maybe(rng, |r| text(r).into()),
            facility_city: any(rng, Place::ALL),
            starts_on,
            starts_on_hijri: HijriDate::of(starts_on),
            ends_on,
            ends_on_hijri: HijriDate::of(ends_on),
            beds: maybe(rng, count),
            route: maybe(rng, |r| Route {
                from: any(r, Place::ALL),
                to: any(r, Place::ALL),
            }),
            seats: maybe(rng, count),
            pilgrims: maybe(rng, count),
            meals_per_day: maybe(rng, count),
            unit_price: maybe(rng, amount),
            currency: maybe(rng, |_| CURRENCY),
            total: maybe(rng, amount),
            status_reason: maybe(rng, text),
            version: rng.random_range(1..1_000),
            created_at: time(rng),
            updated_at: time(rng),
        }
    }

    /// What a contract writes of itself is what serde_json writes of its derived `Serialize`
    /// (which the OpenAPI document describes), field for field, whatever each field holds.
    #[test]
    fn a_contract_is_written_as_serde_json_writes_it() {
        let mut rng = StdRng::seed_from_u64(1447);
        for _ in 0..2_000 {
            let view = view(&mut rng);
            let mut written = Vec::new();
            view.write(&mut written);
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&view).unwrap()
            );
        }
    }

    /// A page of them too, with and without a next page.
    #[test]
    fn a_page_of_contracts_is_written_as_serde_json_writes_it() {
        let mut rng = StdRng::seed_from_u64(2026);
        for len in [0, 1, 2, 50] {
            for next_cursor in [None, Some(text(&mut rng)), Some("AbC-_09".to_owned())] {
                let page = crate::api::Page {
                    items: (0..len).map(|_| view(&mut rng)).collect(),
                    next_cursor,
                };
                assert_eq!(
                    crate::api::json::written(&page, len),
                    serde_json::to_vec(&page).unwrap()
                );
            }
        }
    }
}
