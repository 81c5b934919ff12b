//! The datasets the ministry grants to other government bodies (docs/domain.md section 7): never a
//! price (R13). Reading one is a change of its own: the caller's transaction writes it to the
//! audit log (R14).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{self, Caller, ContractScope, DatasetScope};
use crate::domain::ids::{FacilityId, SeasonId};
use crate::domain::organization::Dataset;
use crate::domain::season::{ContractType, Place};
use crate::error::Error;
use crate::storage::contracts as contract_store;
use crate::storage::models::ContractRow;
use crate::storage::{
    DbConnection, facilities as facility_store, organizations as org_store, plans,
};
use crate::usecases::readiness::assess_clients;
use crate::usecases::seasons::find as season;

// A port and a day: where and when a group arrives or leaves.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug)]
#[serde(deny_unknown_fields)]
pub struct PortDate {
    /// `jed` or `med`.
    pub port: Place,
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub date: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct VisaEligibilityRow {
    #[schema(format = Uuid)]
    pub organization_id: String,
    pub organization_name: String,
    pub country: Option<String>,
    pub allocation: i64,
    pub planned: i64,
    pub visa_eligible: i64,
    /// The groups whose whole itinerary is covered (R12), by arrival: what the visa desk issues
    /// visas for.
    pub eligible_groups: Vec<EligibleGroup>,
}

/// A group of pilgrims eligible for visas.
#[derive(Serialize, ToSchema)]
pub struct EligibleGroup {
    #[schema(format = Uuid)]
    pub group_id: String,
    /// The client's own reference for the group.
    pub group_name: String,
    pub pilgrims: i64,
    pub arrival: PortDate,
    pub departure: PortDate,
}

#[derive(Serialize, ToSchema)]
pub struct ArrivalRow {
    #[schema(format = Uuid)]
    pub organization_id: String,
    pub organization_name: String,
    pub country: String,
    #[schema(format = Uuid)]
    pub group_id: String,
    pub group_name: String,
    pub pilgrims: i64,
    pub arrival: PortDate,
    pub departure: PortDate,
}

#[derive(Serialize, ToSchema)]
pub struct TransportRow {
    #[schema(format = Uuid)]
    pub contract_id: String,
    #[schema(format = Uuid)]
    pub client_id: String,
    pub client_name: String,
    #[schema(format = Uuid)]
    pub provider_id: String,
    pub provider_name: String,
    #[schema(format = Uuid)]
    pub fleet_id: String,
    pub fleet_name: String,
    pub from: Place,
    pub to: Place,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub seats: i64,
}

#[derive(Serialize, ToSchema)]
pub struct HousingRow {
    #[schema(format = Uuid)]
    pub contract_id: String,
    #[schema(format = Uuid)]
    pub building_id: String,
    pub building_name: String,
    pub city: Place,
    #[schema(format = Uuid)]
    pub client_id: String,
    pub client_name: String,
    pub country: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub beds: i64,
}

/// The rows of one dataset.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum DatasetRows {
    VisaEligibility(Vec<VisaEligibilityRow>),
    Arrivals(Vec<ArrivalRow>),
    TransportSchedule(Vec<TransportRow>),
    HousingRegistry(Vec<HousingRow>),
}

#[derive(Serialize, ToSchema)]
pub struct DatasetView {
    pub dataset: Dataset,
    #[schema(format = Uuid)]
    pub season_id: String,
    pub rows: DatasetRows,
}

/// Whether the caller may read a dataset, as [`access::dataset_scope`] says (R13).
fn granted(conn: &mut DbConnection, caller: &Caller, dataset: Dataset) -> Result<bool, Error> {
    Ok(readable(conn, caller)?.contains(&dataset))
}

fn facility_ids(rows: &[ContractRow]) -> Vec<&FacilityId> {
    rows.iter().map(|r| &r.facility_id).collect()
}

fn rows(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    dataset: Dataset,
) -> Result<DatasetRows, Error> {
    Ok(match dataset {
        Dataset::VisaEligibility => {
            let clients = plans::season_clients(conn, season_id, &ContractScope::All)?;
            let assessed = assess_clients(conn, season_id, &clients, true)?;
            DatasetRows::VisaEligibility(
                clients
                    .iter()
                    .zip(assessed)
                    .map(|(c, (r, mut groups))| {
                        groups.sort_by(|a, b| {
                            (a.arrival_date, &a.name).cmp(&(b.arrival_date, &b.name))
                        });
                        VisaEligibilityRow {
                            organization_id: c.id.to_string(),
                            organization_name: c.name.clone(),
                            country: c.country.clone(),
                            allocation: c.pilgrims - c.suballocated,
                            planned: r.planned,
                            visa_eligible: r.visa_eligible,
                            eligible_groups: groups
                                .into_iter()
                                .filter(|g| r.eligible_groups.contains(&g.id))
                                .map(|g| EligibleGroup {
                                    group_id: g.id.into_string(),
                                    group_name: g.name,
                                    pilgrims: g.pilgrims,
                                    arrival: PortDate {
                                        port: g.arrival_port,
                                        date: g.arrival_date,
                                    },
                                    departure: PortDate {
                                        port: g.departure_port,
                                        date: g.departure_date,
                                    },
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            )
        }
        Dataset::Arrivals => {
            let groups = plans::season_groups(conn, season_id, None)?;
            let names = org_store::names(
                conn,
                &groups
                    .iter()
                    .map(|g| &g.organization_id)
                    .collect::<Vec<_>>(),
            )?;
            DatasetRows::Arrivals(
                groups
                    .into_iter()
                    .map(|g| ArrivalRow {
                        organization_name: names
                            .get(&g.organization_id)
                            .cloned()
                            .unwrap_or_default(),
                        organization_id: g.organization_id.into_string(),
                        country: g.country,
                        group_id: g.id.into_string(),
                        group_name: g.name,
                        pilgrims: g.pilgrims,
                        arrival: PortDate {
                            port: g.arrival_port,
                            date: g.arrival_date,
                        },
                        departure: PortDate {
                            port: g.departure_port,
                            date: g.departure_date,
                        },
                    })
                    .collect(),
            )
        }
        Dataset::TransportSchedule => {
            let contracts = contract_store::approved(conn, season_id, ContractType::Transport)?;
            let names = org_store::names(
                conn,
                &contracts
                    .iter()
                    .flat_map(|c| [&c.client_id, &c.provider_id])
                    .collect::<Vec<_>>(),
            )?;
            let fleets = facility_store::bilingual_names(conn, &facility_ids(&contracts))?;
            DatasetRows::TransportSchedule(
                contracts
                    .into_iter()
                    .filter_map(|c| {
                        Some(TransportRow {
                            client_name: names.get(&c.client_id).cloned().unwrap_or_default(),
                            provider_name: names.get(&c.provider_id).cloned().unwrap_or_default(),
                            fleet_name: fleets
                                .get(&c.facility_id)
                                .map(|f| f.0.clone())
                                .unwrap_or_default(),
                            from: c.route_from?,
                            to: c.route_to?,
                            contract_id: c.id.into_string(),
                            client_id: c.client_id.into_string(),
                            provider_id: c.provider_id.into_string(),
                            fleet_id: c.facility_id.into_string(),
                            starts_on: c.starts_on,
                            ends_on: c.ends_on,
                            seats: c.units,
                        })
                    })
                    .collect(),
            )
        }
        Dataset::HousingRegistry => {
            let contracts = contract_store::approved(conn, season_id, ContractType::Housing)?;
            let names = org_store::names(
                conn,
                &contracts.iter().map(|c| &c.client_id).collect::<Vec<_>>(),
            )?;
            let buildings = facility_store::bilingual_names(conn, &facility_ids(&contracts))?;
            let mut rows: Vec<HousingRow> = contracts
                .into_iter()
                .filter_map(|c| {
                    let (name, _, city) = buildings.get(&c.facility_id).cloned()?;
                    Some(HousingRow {
                        client_name: names.get(&c.client_id).cloned().unwrap_or_default(),
                        building_name: name,
                        city: Place::parse(&city)?,
                        contract_id: c.id.into_string(),
                        building_id: c.facility_id.into_string(),
                        client_id: c.client_id.into_string(),
                        country: c.client_country,
                        starts_on: c.starts_on,
                        ends_on: c.ends_on,
                        beds: c.units,
                    })
                })
                .collect();
            rows.sort_by(|a, b| (&a.building_id, a.starts_on).cmp(&(&b.building_id, b.starts_on)));
            DatasetRows::HousingRegistry(rows)
        }
    })
}

/// The datasets the caller may read, in their usual order.
pub fn readable(conn: &mut DbConnection, caller: &Caller) -> Result<Vec<Dataset>, Error> {
    Ok(match access::dataset_scope(caller) {
        DatasetScope::All => Dataset::ALL.to_vec(),
        DatasetScope::GrantedTo(org) => {
            let grants = org_store::grants(conn, &org)?;
            Dataset::ALL
                .iter()
                .copied()
                .filter(|d| grants.iter().any(|g| g == d.as_str()))
                .collect()
        }
        DatasetScope::Nothing => Vec::new(),
    })
}

/// A dataset of a season, for an authority granted it (and the ministry): without the grant it
/// does not exist (404). Run in a write transaction, which the caller's audit event joins (R14).
pub fn read(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    dataset: Dataset,
) -> Result<DatasetView, Error> {
    if !granted(conn, caller, dataset)? {
        return Err(Error::not_found());
    }
    season(conn, season_id)?;
    Ok(DatasetView {
        dataset,
        season_id: season_id.to_string(),
        rows: rows(conn, season_id, dataset)?,
    })
}

impl crate::audit::AuditEntity for DatasetView {
    fn audit_entity(&self) -> Option<String> {
        Some(format!("{}:{}", self.season_id, self.dataset))
    }
}
