//! The ministry's all-clients readiness view of a full season, from the database.
//!
//! Fills an embedded SQLite file (or `ETRACK_BENCH_DATABASE_URL`, e.g. a PostgreSQL database) with
//! one season of 80 offices and 1,920 agencies (2,000 clients), 6 groups and 6 approved contracts
//! each, then times what `GET /seasons/{id}/readiness` computes for the ministry.
//! Run: `cargo bench --bench readiness` (figures in docs/performance.md).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use etrack::access::ContractScope;
use etrack::config::DatabaseUrl;
use etrack::domain::contract::ContractStatus;
use etrack::domain::ids::{ContractId, FacilityId, GroupId, OrganizationId, SeasonId};
use etrack::domain::organization::{OrgKind, OrgStatus};
use etrack::domain::season::{ContractType, FacilityKind, Place, SeasonKind};
use etrack::storage::models::{ContractRow, FacilityRow, GroupRow, OrganizationRow, SeasonRow};
use etrack::storage::seasons::Parent;
use etrack::storage::{
    self, DbConnection, contracts, facilities, now, organizations, plans, seasons,
    write_transaction,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const OFFICES: usize = 80;
const AGENCIES_PER_OFFICE: usize = 24;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn org(
    kind: &str,
    name: String,
    country: Option<String>,
    parent: Option<OrganizationId>,
) -> OrganizationRow {
    OrganizationRow {
        id: OrganizationId::generate(),
        kind: OrgKind::parse(kind).expect("an organisation kind"),
        search_key: name.to_lowercase(),
        name_ar: name.clone(),
        name,
        country,
        parent_id: parent,
        status: OrgStatus::Active,
        version: 1,
        created_at: now(),
        updated_at: now(),
    }
}

fn seed(conn: &mut DbConnection) -> SeasonId {
    let mut rng = StdRng::seed_from_u64(1448);
    write_transaction(conn, |conn| -> diesel::QueryResult<SeasonId> {
        let season = SeasonRow {
            id: SeasonId::generate(),
            kind: SeasonKind::Hajj,
            hijri_year: 1448,
            name: "Hajj 1448".into(),
            starts_on: day("2027-04-01"),
            ends_on: day("2027-06-30"),
            housing_deadline: day("2027-03-15"),
            transport_deadline: day("2027-03-15"),
            catering_deadline: day("2027-03-15"),
            version: 1,
            created_at: now(),
            updated_at: now(),
        };
        seasons::insert(conn, &season)?;
        let provider = org("service_provider", "Provider".into(), Some("SA".into()), None);
        organizations::insert(conn, &provider)?;
        let mut facility_ids = Vec::new();
        for (kind, city) in [("building", "makkah"), ("building", "madinah"), ("kitchen", "makkah"), ("kitchen", "madinah"), ("fleet", "jed")] {
            let f = FacilityRow {
                id: FacilityId::generate(),
                provider_id: provider.id.clone(),
                kind: FacilityKind::parse(kind).expect("a facility kind"),
                name: format!("{kind} {city}"),
                name_ar: String::new(),
                search_key: kind.into(),
                city: Place::parse(city).expect("a place"),
                licence_no: format!("{kind}-{city}"),
                licence_valid_from: day("2027-04-01"),
                licence_valid_to: day("2027-06-30"),
                capacity: 1_000_000,
                version: 1,
                created_at: now(),
                updated_at: now(),
            };
            facilities::insert(conn, &f)?;
            facility_ids.push(f.id);
        }
        for o in 0..OFFICES {
            let country = format!("C{o:02}");
            seasons::set_quota(conn, &season.id, &country, 100_000).map_err(|_| diesel::result::Error::RollbackTransaction)?;
            let office = org("hajj_office", format!("Office {o}"), Some(country.clone()), None);
            organizations::insert(conn, &office)?;
            seasons::set_allocation(conn, &season.id, &office.id, Parent::Quota { country: &country }, 100_000)
                .map_err(|_| diesel::result::Error::RollbackTransaction)?;
            let mut clients = vec![office.clone()];
            for a in 0..AGENCIES_PER_OFFICE {
                let agency = org("agency", format!("Agency {o}-{a}"), Some(country.clone()), Some(office.id.clone()));
                organizations::insert(conn, &agency)?;
                seasons::set_allocation(conn, &season.id, &agency.id, Parent::Office { office_id: &office.id }, 2_000)
                    .map_err(|_| diesel::result::Error::RollbackTransaction)?;
                clients.push(agency);
            }
            for client in &clients {
                for g in 0..6 {
                    let arrive = day("2027-05-01") + chrono::Days::new(rng.random_range(0..10));
                    let move_on = arrive + chrono::Days::new(rng.random_range(3..8));
                    let leave = move_on + chrono::Days::new(rng.random_range(2..5));
                    let stays = format!(
                        r#"[{{"city":"makkah","from":"{arrive}","to":"{move_on}"}},{{"city":"madinah","from":"{move_on}","to":"{leave}"}}]"#
                    );
                    plans::insert_group(conn, &GroupRow {
                        id: GroupId::generate(),
                        season_id: season.id.clone(),
                        organization_id: client.id.clone(),
                        office_id: Some(office.id.clone()),
                        country: country.clone(),
                        name: format!("group {g}"),
                        pilgrims: rng.random_range(20..60),
                        arrival_port: Place::Jed,
                        arrival_date: arrive,
                        departure_port: Place::Med,
                        departure_date: leave,
                        stays,
                        version: 1,
                        created_at: now(),
                        updated_at: now(),
                    })?;
                }
                for (i, (ty, facility)) in [("housing", 0), ("housing", 1), ("catering", 2), ("catering", 3), ("transport", 4), ("transport", 4)].iter().enumerate() {
                    let (from, to) = if *ty == "transport" {
                        if i == 4 { (Some("jed"), Some("makkah")) } else { (Some("makkah"), Some("madinah")) }
                    } else {
                        (None, None)
                    };
                    let start = day("2027-05-01") + chrono::Days::new(rng.random_range(0..5));
                    contracts::insert(conn, &ContractRow {
                        id: ContractId::generate(),
                        season_id: season.id.clone(),
                        contract_type: ContractType::parse(ty).expect("a contract type"),
                        client_id: client.id.clone(),
                        client_office_id: Some(office.id.clone()),
                        client_country: country.clone(),
                        provider_id: provider.id.clone(),
                        facility_id: facility_ids[*facility].clone(),
                        status: ContractStatus::Approved,
                        starts_on: start,
                        ends_on: start + chrono::Days::new(rng.random_range(3..15)),
                        units: rng.random_range(100..300),
                        route_from: from.and_then(Place::parse),
                        route_to: to.and_then(Place::parse),
                        meals_per_day: (*ty == "catering").then_some(3),
                        unit_price: 10_000,
                        currency: "SAR".into(),
                        total: 0,
                        search_key: String::new(),
                        version: 1,
                        created_at: now(),
                        updated_at: now(),
                        status_reason: None,
                    })?;
                }
            }
        }
        Ok(season.id)
    })
    .expect("the season is seeded")
}

fn main() {
    let dir = std::env::temp_dir().join(format!("etrack-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = std::env::var("ETRACK_BENCH_DATABASE_URL")
        .map(|u| DatabaseUrl::parse(&u))
        .unwrap_or_else(|_| {
            DatabaseUrl::Sqlite(dir.join("bench.db").to_string_lossy().into_owned())
        });
    let pool = storage::connect_and_migrate(&url, 2).expect("database");
    let mut conn = pool.get().unwrap();
    let started = Instant::now();
    let season = seed(&mut conn);
    println!(
        "seeded {} clients on {} in {:.1?}",
        OFFICES * (1 + AGENCIES_PER_OFFICE),
        url.backend_name(),
        started.elapsed()
    );

    let mut times: Vec<Duration> = Vec::new();
    let mut ready = 0;
    for _ in 0..7 {
        let t = Instant::now();
        let clients = plans::season_clients(&mut conn, &season, &ContractScope::All).unwrap();
        let assessed =
            etrack::usecases::readiness::assess_clients(&mut conn, &season, &clients, true)
                .unwrap();
        ready = assessed.iter().filter(|(r, _)| r.ready()).count();
        times.push(t.elapsed());
        assert_eq!(assessed.len(), OFFICES * (1 + AGENCIES_PER_OFFICE));
    }
    times.sort();
    println!(
        "all-clients readiness, {} clients ({ready} ready): min {:.1?}, median {:.1?}, max {:.1?}",
        OFFICES * (1 + AGENCIES_PER_OFFICE),
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
    drop(conn);
    drop(pool);
    let _ = std::fs::remove_dir_all(&dir);
}
