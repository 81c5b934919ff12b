//! What must always add up, checked against the database as it is: the units each facility and
//! each client hold on each day equal what their contracts (and open amendments) hold; every
//! contract's status is where its history last took it; the audit chain is unbroken. `etrack check`
//! runs it, after a restore or a crash; the crash and multi-process tests run it too.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::domain::contract::{AmendmentStatus, increase};
use crate::domain::ids::{ContractId, EventId, FacilityId, OrganizationId, SeasonId};
use crate::storage::DbConnection;
use crate::storage::contracts::{amendment_booking, booking as contract_booking};
use crate::storage::models::{AmendmentRow, ContractRow};
use crate::storage::schema::{amendments, client_days, contract_events, contracts, facility_days};

/// What was checked, and every discrepancy found (empty: all holds).
#[derive(Debug, Default)]
pub struct Report {
    pub contracts: usize,
    pub facility_days: usize,
    pub client_days: usize,
    pub audit_events: i64,
    pub problems: Vec<String>,
}

type FacilityDay = (FacilityId, NaiveDate);
type ClientDay = (SeasonId, OrganizationId, String, NaiveDate);

pub fn check(conn: &mut DbConnection) -> QueryResult<Report> {
    let mut report = Report::default();
    let rows: Vec<ContractRow> = contracts::table.load(conn)?;
    let open_amendments: Vec<AmendmentRow> = amendments::table
        .filter(amendments::status.eq_any(AmendmentStatus::OPEN))
        .load(conn)?;
    let mut amendment_of: BTreeMap<&ContractId, &AmendmentRow> = BTreeMap::new();
    for a in &open_amendments {
        amendment_of.insert(&a.contract_id, a);
    }

    // What the contracts say is held.
    let mut facility_expected: BTreeMap<FacilityDay, i64> = BTreeMap::new();
    let mut client_expected: BTreeMap<ClientDay, i64> = BTreeMap::new();
    for row in &rows {
        let holds = row.status.holds();
        if !holds {
            if amendment_of.contains_key(&row.id) {
                report.problems.push(format!(
                    "contract {} has an open amendment but holds nothing",
                    row.id
                ));
            }
            continue;
        }
        let Ok(booking) = contract_booking(row) else {
            report
                .problems
                .push(format!("contract {} has unreadable terms", row.id));
            continue;
        };
        let mut load = booking.load();
        if let Some(amendment) = amendment_of.get(&row.id) {
            match amendment_booking(row, amendment) {
                Ok(new) => {
                    for (key, units) in increase(&load, &new.load()) {
                        *load.entry(key).or_insert(0) += units;
                    }
                }
                Err(_) => report
                    .problems
                    .push(format!("amendment {} has unreadable terms", amendment.id)),
            }
        }
        for ((key, day), units) in load {
            *facility_expected
                .entry((row.facility_id.clone(), day))
                .or_insert(0) += units;
            *client_expected
                .entry((row.season_id.clone(), row.client_id.clone(), key, day))
                .or_insert(0) += units;
        }
    }

    // What the counters say.
    let facility_held: Vec<(FacilityId, NaiveDate, i64, i64)> = facility_days::table
        .select((
            facility_days::facility_id,
            facility_days::day,
            facility_days::held,
            facility_days::capacity,
        ))
        .load(conn)?;
    report.facility_days = facility_held.len();
    for (facility, day, held, capacity) in facility_held {
        let expected = facility_expected
            .remove(&(facility.clone(), day))
            .unwrap_or(0);
        if held != expected {
            report.problems.push(format!(
                "facility {facility} on {day}: {held} held, contracts hold {expected}"
            ));
        }
        if held > capacity {
            report.problems.push(format!(
                "facility {facility} on {day}: {held} held over a capacity of {capacity}"
            ));
        }
    }
    for ((facility, day), units) in facility_expected.into_iter().filter(|(_, u)| *u != 0) {
        report.problems.push(format!(
            "facility {facility} on {day}: no counter, contracts hold {units}"
        ));
    }
    let client_held: Vec<(SeasonId, OrganizationId, String, NaiveDate, i64)> = client_days::table
        .select((
            client_days::season_id,
            client_days::organization_id,
            client_days::allocation_key,
            client_days::day,
            client_days::held,
        ))
        .load(conn)?;
    report.client_days = client_held.len();
    for (season, client, key, day, held) in client_held {
        let expected = client_expected
            .remove(&(season, client.clone(), key.clone(), day))
            .unwrap_or(0);
        if held != expected {
            report.problems.push(format!(
                "client {client} {key} on {day}: {held} held, contracts hold {expected}"
            ));
        }
    }
    for ((_, client, key, day), units) in client_expected.into_iter().filter(|(_, u)| *u != 0) {
        report.problems.push(format!(
            "client {client} {key} on {day}: no counter, contracts hold {units}"
        ));
    }

    // Every contract's status is where its history last took it.
    let events: Vec<(ContractId, EventId, String)> = contract_events::table
        .select((
            contract_events::contract_id,
            contract_events::id,
            contract_events::to_status,
        ))
        .load(conn)?;
    let mut last: BTreeMap<ContractId, (EventId, String)> = BTreeMap::new();
    for (contract, id, to) in events {
        match last.get(&contract) {
            Some((seen, _)) if *seen >= id => {}
            _ => {
                last.insert(contract, (id, to));
            }
        }
    }
    for row in &rows {
        match last.get(&row.id) {
            None => report
                .problems
                .push(format!("contract {} has no history", row.id)),
            Some((_, to)) if to != row.status.as_str() => report.problems.push(format!(
                "contract {} is {} but its history ends at {to}",
                row.id, row.status
            )),
            Some(_) => {}
        }
    }
    report.contracts = rows.len();

    crate::storage::audit::seal_all(conn)?;
    let audit = crate::storage::audit::verify(conn)?;
    report.audit_events = audit.events;
    if let Some((seq, id)) = audit.first_broken {
        report
            .problems
            .push(format!("the audit chain breaks at event {seq} ({id})"));
    }
    Ok(report)
}
