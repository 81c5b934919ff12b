//! `etrack seed --scale small|season`: a realistic season written in bulk, for benchmarks and
//! trials. Offices and their agencies plan their pilgrims in groups and hold contracts in every
//! state with providers' buildings, kitchens and fleets; a few popular buildings near the Haram are
//! wanted by far more clients than they can take. Every counter is built from the contracts, so
//! `etrack check` finds the seeded database whole. Deterministic: the same scale gives the same data.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Days, NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::contract::{Booking, ContractStatus, Terms};
use crate::domain::country;
use crate::domain::ids::{
    ContractId, EventId, FacilityId, GroupId, OrganizationId, SeasonId, UserId,
};
use crate::domain::organization::{Language, OrgKind, OrgStatus, Role};
use crate::domain::season::{FacilityKind, Place, SeasonKind};
use crate::domain::text::search_key;
use crate::storage::models::{
    AllocationRow, ContractEventRow, ContractRow, FacilityRow, GroupRow, OrganizationRow, QuotaRow,
    SeasonRow, UserRow,
};
use crate::storage::schema::{
    allocations, client_days, contract_events, contracts, facilities, facility_days,
    organization_countries, organization_grants, organizations, pilgrim_groups, quotas, seasons,
    users,
};
use crate::storage::{DbConnection, now, write_transaction};

/// The password of every seeded user.
pub const SEED_PASSWORD: &str = "seed-pass-1447";
/// Seeded users sign in as `<kind>-<n>@seed.e-track.sa` (offices: `office-<country>`), the
/// ministry as `ministry@seed.e-track.sa`.
pub const SEED_DOMAIN: &str = "seed.e-track.sa";
/// How many buildings everybody wants.
pub const POPULAR: usize = 20;

#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub name: &'static str,
    pub offices: usize,
    pub agencies: usize,
    pub providers: usize,
    pub tawafas: usize,
    pub authorities: usize,
    pub facilities: usize,
    pub contracts: usize,
    pub pilgrims: i64,
}

impl Scale {
    pub const SMALL: Scale = Scale {
        name: "small",
        offices: 40,
        agencies: 800,
        providers: 150,
        tawafas: 6,
        authorities: 4,
        facilities: 700,
        contracts: 4_000,
        pilgrims: 200_000,
    };
    pub const SEASON: Scale = Scale {
        name: "season",
        offices: 80,
        agencies: 2_000,
        providers: 500,
        tawafas: 6,
        authorities: 4,
        facilities: 7_000,
        contracts: 40_000,
        pilgrims: 2_000_000,
    };

    pub fn parse(name: &str) -> Option<Scale> {
        [Scale::SMALL, Scale::SEASON]
            .into_iter()
            .find(|s| s.name == name)
    }

    pub fn organizations(&self) -> usize {
        1 + self.offices + self.agencies + self.providers + self.tawafas + self.authorities
    }
}

/// What was written.
#[derive(Debug)]
pub struct Summary {
    pub season_id: SeasonId,
    pub organizations: usize,
    pub facilities: usize,
    pub facility_days: usize,
    pub contracts: usize,
    pub events: usize,
    pub groups: usize,
    pub pilgrims: i64,
    pub by_status: Vec<(String, usize)>,
    /// The popular buildings, most wanted first.
    pub popular: Vec<FacilityId>,
    pub seconds: f64,
}

const SEASON_START: &str = "2027-04-01";
const SEASON_END: &str = "2027-06-30";

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

fn email(kind: &str, n: impl std::fmt::Display) -> String {
    format!("{kind}-{n}@{SEED_DOMAIN}")
}

/// Rows for tables without a model of their own.
#[derive(Insertable)]
#[diesel(table_name = facility_days)]
struct FacilityDay {
    facility_id: FacilityId,
    day: NaiveDate,
    capacity: i64,
    held: i64,
}

#[derive(Insertable)]
#[diesel(table_name = client_days)]
struct ClientDay {
    season_id: SeasonId,
    organization_id: OrganizationId,
    allocation_key: String,
    day: NaiveDate,
    held: i64,
}

#[derive(Insertable)]
#[diesel(table_name = organization_countries)]
struct OrgCountry {
    organization_id: OrganizationId,
    country: String,
}

#[derive(Insertable)]
#[diesel(table_name = organization_grants)]
struct OrgGrant {
    organization_id: OrganizationId,
    dataset: String,
}

/// Inserts rows in chunks, on whichever backend.
macro_rules! bulk {
    ($conn:expr, $table:expr, $rows:expr) => {{
        for chunk in $rows.chunks(400) {
            match $conn {
                DbConnection::Postgresql(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?;
                }
                DbConnection::Sqlite(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?;
                }
            }
        }
    }};
}

struct Client {
    org: OrganizationRow,
    office_id: OrganizationId,
    country: String,
    user_id: UserId,
    planned: i64,
    allocation: i64,
}

struct Builder {
    rng: StdRng,
    at: NaiveDateTime,
    orgs: Vec<OrganizationRow>,
    users: Vec<UserRow>,
    password_hash: String,
}

impl Builder {
    fn org(
        &mut self,
        kind: OrgKind,
        name: String,
        name_ar: String,
        country: Option<&str>,
        parent: Option<&OrganizationId>,
        login: String,
    ) -> (OrganizationRow, UserId) {
        let org = OrganizationRow {
            id: OrganizationId::generate(),
            kind,
            search_key: search_key(&format!("{name} {name_ar}")),
            name,
            name_ar,
            country: country.map(str::to_owned),
            parent_id: parent.cloned(),
            status: OrgStatus::Active,
            version: 1,
            created_at: self.at,
            updated_at: self.at,
        };
        let user = UserRow {
            id: UserId::generate(),
            organization_id: org.id.clone(),
            email: login,
            full_name: format!("{} Administrator", org.name),
            role: Role::Admin,
            language: if self.rng.random_bool(0.3) {
                Language::Arabic
            } else {
                Language::English
            },
            password_hash: self.password_hash.clone(),
            active: true,
            version: 1,
            created_at: self.at,
            updated_at: self.at,
        };
        let user_id = user.id.clone();
        self.orgs.push(org.clone());
        self.users.push(user);
        (org, user_id)
    }
}

/// The statuses contracts are left in, with their weights (out of 100).
const STATUSES: &[(&str, u32)] = &[
    ("approved", 55),
    ("pending_review", 12),
    ("pending_provider", 10),
    ("draft", 10),
    ("returned", 4),
    ("declined", 3),
    ("rejected", 2),
    ("cancelled", 4),
];

/// The steps that lead to a status: (action, from, to, who acts: client/provider/ministry).
fn path_to(status: &str) -> &'static [(&'static str, &'static str, char)] {
    match status {
        "draft" => &[("create", "draft", 'c')],
        "pending_provider" => &[
            ("create", "draft", 'c'),
            ("submit", "pending_provider", 'c'),
        ],
        "pending_review" => &[
            ("create", "draft", 'c'),
            ("submit", "pending_provider", 'c'),
            ("accept", "pending_review", 'p'),
        ],
        "approved" => &[
            ("create", "draft", 'c'),
            ("submit", "pending_provider", 'c'),
            ("accept", "pending_review", 'p'),
            ("approve", "approved", 'm'),
        ],
        "returned" => &[
            ("create", "draft", 'c'),
            ("submit", "pending_provider", 'c'),
            ("accept", "pending_review", 'p'),
            ("return", "returned", 'm'),
        ],
        "declined" => &[
            ("create", "draft", 'c'),
            ("submit", "pending_provider", 'c'),
            ("decline", "declined", 'p'),
        ],
        "rejected" => &[
            ("create", "draft", 'c'),
            ("submit", "pending_provider", 'c'),
            ("accept", "pending_review", 'p'),
            ("reject", "rejected", 'm'),
        ],
        _ => &[("create", "draft", 'c'), ("cancel", "cancelled", 'c')],
    }
}

/// Fills an empty database (no season yet) with a season of the given scale, in one transaction.
pub fn seed(
    conn: &mut DbConnection,
    scale: &Scale,
    password_hash: &str,
) -> Result<Summary, String> {
    let started = Instant::now();
    let existing: i64 = seasons::table
        .count()
        .get_result(conn)
        .map_err(|e| e.to_string())?;
    if existing > 0 {
        return Err("the database already holds a season; seed an empty database".into());
    }
    let mut summary = write_transaction(conn, |conn| -> QueryResult<Summary> {
        build(conn, scale, password_hash)
    })
    .map_err(|e| e.to_string())?;
    // Fresh statistics, or the planner takes every table for empty and scans a season's contracts
    // to find one client's (80 ms instead of 0.2 ms on PostgreSQL) until autovacuum comes by.
    conn.batch_execute("ANALYZE").map_err(|e| e.to_string())?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn build(conn: &mut DbConnection, scale: &Scale, password_hash: &str) -> QueryResult<Summary> {
    let at = now();
    let mut b = Builder {
        rng: StdRng::seed_from_u64(1448),
        at,
        orgs: Vec::new(),
        users: Vec::new(),
        password_hash: password_hash.to_owned(),
    };
    let (start, end) = (date(SEASON_START), date(SEASON_END));
    let season = SeasonRow {
        id: SeasonId::generate(),
        kind: SeasonKind::Hajj,
        hijri_year: 1448,
        name: "Hajj 1448".into(),
        starts_on: start,
        ends_on: end,
        housing_deadline: date("2027-03-15"),
        transport_deadline: date("2027-03-31"),
        catering_deadline: date("2027-03-31"),
        version: 1,
        created_at: at,
        updated_at: at,
    };
    bulk!(conn, seasons::table, [season.clone()]);

    // Organisations: the ministry, one office per country with its agencies, providers, tawafa
    // establishments for groups of countries, other government bodies with grants.
    let (ministry, ministry_user) = b.org(
        OrgKind::Ministry,
        "Ministry of Hajj and Umrah".into(),
        "وزارة الحج والعمرة".into(),
        Some("SA"),
        None,
        format!("ministry@{SEED_DOMAIN}"),
    );
    let countries: Vec<&str> = country::assigned()
        .filter(|c| *c != "SA")
        .take(scale.offices)
        .collect();
    let mut clients: Vec<Client> = Vec::new();
    let mut offices = Vec::new();
    for c in &countries {
        let (office, user) = b.org(
            OrgKind::HajjOffice,
            format!("Hajj Affairs Office of {c}"),
            format!("مكتب شؤون الحجاج {c}"),
            Some(c),
            None,
            email("office", c.to_lowercase()),
        );
        offices.push(clients.len());
        clients.push(Client {
            office_id: office.id.clone(),
            country: (*c).to_owned(),
            org: office,
            user_id: user,
            planned: 0,
            allocation: 0,
        });
    }
    for n in 0..scale.agencies {
        let parent = &clients[offices[n % offices.len()]];
        let (office_id, country) = (parent.office_id.clone(), parent.country.clone());
        let (agency, user) = b.org(
            OrgKind::Agency,
            format!("Travel Agency {n} of {country}"),
            format!("وكالة سفر {n}"),
            Some(&country),
            Some(&office_id),
            email("agency", n),
        );
        clients.push(Client {
            org: agency,
            office_id,
            country,
            user_id: user,
            planned: 0,
            allocation: 0,
        });
    }
    let mut providers = Vec::new();
    for n in 0..scale.providers {
        providers.push(b.org(
            OrgKind::ServiceProvider,
            format!("Service Provider {n}"),
            format!("مقدم خدمة {n}"),
            Some("SA"),
            None,
            email("provider", n),
        ));
    }
    let mut tawafas = Vec::new();
    for n in 0..scale.tawafas {
        tawafas.push(
            b.org(
                OrgKind::Tawafa,
                format!("Tawafa Establishment {n}"),
                format!("مؤسسة طوافة {n}"),
                None,
                None,
                email("tawafa", n),
            )
            .0,
        );
    }
    let mut authorities = Vec::new();
    for n in 0..scale.authorities {
        authorities.push(
            b.org(
                OrgKind::Authority,
                format!("Government Body {n}"),
                format!("جهة حكومية {n}"),
                None,
                None,
                email("authority", n),
            )
            .0,
        );
    }
    // Each country is served by one tawafa establishment, in turn.
    let tawafa_countries: Vec<OrgCountry> = countries
        .iter()
        .zip(tawafas.iter().cycle())
        .map(|(c, t)| OrgCountry {
            organization_id: t.id.clone(),
            country: (*c).to_owned(),
        })
        .collect();
    let grants: Vec<OrgGrant> = authorities
        .iter()
        .enumerate()
        .flat_map(|(i, a)| {
            let datasets = [
                "visa_eligibility",
                "arrivals",
                "transport_schedule",
                "housing_registry",
            ];
            datasets
                .into_iter()
                .skip(i % 2)
                .map(|d| OrgGrant {
                    organization_id: a.id.clone(),
                    dataset: d.to_owned(),
                })
                .collect::<Vec<_>>()
        })
        .collect();

    // Facilities: most in Makkah; the first few Makkah buildings are the popular ones.
    let mut facility_rows = Vec::new();
    for n in 0..scale.facilities {
        let share = n * 100 / scale.facilities.max(1);
        let (kind, city, capacity) = match share {
            0..=59 => (
                FacilityKind::Building,
                "makkah",
                b.rng.random_range(150..=1200),
            ),
            60..=71 => (
                FacilityKind::Kitchen,
                "makkah",
                b.rng.random_range(1000..=5000),
            ),
            72..=89 => (
                FacilityKind::Building,
                "madinah",
                b.rng.random_range(150..=1000),
            ),
            90..=93 => (
                FacilityKind::Kitchen,
                "madinah",
                b.rng.random_range(1000..=4000),
            ),
            94..=96 => (FacilityKind::Fleet, "jed", b.rng.random_range(300..=2000)),
            _ => (FacilityKind::Fleet, "med", b.rng.random_range(300..=1500)),
        };
        let capacity = if n < POPULAR { 300 } else { capacity };
        let (provider, _) = &providers[n % providers.len()];
        let (name, name_ar) = match kind {
            FacilityKind::Building => (format!("Tower {n} {city}"), format!("برج {n}")),
            FacilityKind::Kitchen => (format!("Kitchen {n} {city}"), format!("مطبخ {n}")),
            _ => (format!("Fleet {n} {city}"), format!("أسطول {n}")),
        };
        facility_rows.push(FacilityRow {
            id: FacilityId::generate(),
            provider_id: provider.id.clone(),
            kind,
            search_key: search_key(&format!("{name} {name_ar}")),
            name,
            name_ar,
            city: Place::parse(city).expect("a seeded place"),
            licence_no: format!("SEED-{n:05}"),
            licence_valid_from: start,
            licence_valid_to: end,
            capacity,
            version: 1,
            created_at: at,
            updated_at: at,
        });
    }
    let of_kind = |kind: FacilityKind| -> Vec<usize> {
        facility_rows
            .iter()
            .enumerate()
            .filter(|(_, f)| f.kind == kind)
            .map(|(i, _)| i)
            .collect()
    };
    let buildings = of_kind(FacilityKind::Building);
    let kitchens = of_kind(FacilityKind::Kitchen);
    let fleets = of_kind(FacilityKind::Fleet);

    // Plans: every client's pilgrims in groups; allocations a little above what is planned.
    let per_client = scale.pilgrims / clients.len().max(1) as i64;
    let mut groups = Vec::new();
    let mut planned_total = 0;
    for client in clients.iter_mut() {
        let target = per_client + b.rng.random_range(-per_client / 4..=per_client / 4);
        let mut g = 0;
        while client.planned < target {
            let pilgrims = b
                .rng
                .random_range(40..=160)
                .min(target - client.planned)
                .max(1);
            let by_jeddah = b.rng.random_bool(0.7);
            let arrive = date("2027-05-01") + Days::new(b.rng.random_range(0..12));
            let first_leg = arrive + Days::new(b.rng.random_range(4..9));
            let leave = first_leg + Days::new(b.rng.random_range(3..6));
            let (first, second, port_in, port_out) = if by_jeddah {
                ("makkah", "madinah", "jed", "med")
            } else {
                ("madinah", "makkah", "med", "jed")
            };
            groups.push(GroupRow {
                id: GroupId::generate(),
                season_id: season.id.clone(),
                organization_id: client.org.id.clone(),
                office_id: Some(client.office_id.clone()),
                country: client.country.clone(),
                name: format!("Group {g}"),
                pilgrims,
                arrival_port: Place::parse(port_in).expect("a seeded port"),
                arrival_date: arrive,
                departure_port: Place::parse(port_out).expect("a seeded port"),
                departure_date: leave,
                stays: format!(
                    r#"[{{"city":"{first}","from":"{arrive}","to":"{first_leg}"}},{{"city":"{second}","from":"{first_leg}","to":"{leave}"}}]"#
                ),
                version: 1,
                created_at: at,
                updated_at: at,
            });
            client.planned += pilgrims;
            g += 1;
        }
        client.allocation = client.planned + client.planned / 5 + 50;
        planned_total += client.planned;
    }

    // Contracts: each client's share, in every state; holding ones only while capacity and the
    // client's own allocation allow (otherwise the provider declined them).
    let mut facility_held: HashMap<(usize, NaiveDate), i64> = HashMap::new();
    let mut client_held: HashMap<(usize, String, NaiveDate), i64> = HashMap::new();
    let suballocated: HashMap<OrganizationId, i64> = clients
        .iter()
        .filter(|c| c.org.kind == OrgKind::Agency)
        .fold(HashMap::new(), |mut m, c| {
            *m.entry(c.office_id.clone()).or_insert(0) += c.allocation;
            m
        });
    let mut contract_rows = Vec::new();
    let mut events = Vec::new();
    let weights: u32 = STATUSES.iter().map(|(_, w)| w).sum();
    for n in 0..scale.contracts {
        let ci = n % clients.len();
        let client = &clients[ci];
        let roll = b.rng.random_range(0..100);
        let (fi, terms) = if roll < 50 {
            let fi = if b.rng.random_bool(0.15) {
                b.rng.random_range(0..POPULAR.min(buildings.len()))
            } else {
                buildings[b.rng.random_range(0..buildings.len())]
            };
            (
                fi,
                Terms::Housing {
                    beds: b.rng.random_range(20..=120),
                },
            )
        } else if roll < 75 {
            let fi = kitchens[b.rng.random_range(0..kitchens.len())];
            (
                fi,
                Terms::Catering {
                    pilgrims: b.rng.random_range(20..=150),
                    meals_per_day: 3,
                },
            )
        } else {
            let fi = fleets[b.rng.random_range(0..fleets.len())];
            let (from, to) = if facility_rows[fi].city == Place::Jed {
                (Place::Jed, Place::Makkah)
            } else {
                (Place::Madinah, Place::Med)
            };
            (
                fi,
                Terms::Transport {
                    from,
                    to,
                    seats: b.rng.random_range(20..=120),
                },
            )
        };
        let starts_on = date("2027-05-01") + Days::new(b.rng.random_range(0..14));
        let span = if matches!(terms, Terms::Transport { .. }) {
            0
        } else {
            b.rng.random_range(3..9)
        };
        let booking = Booking {
            terms,
            starts_on,
            ends_on: starts_on + Days::new(span),
        };
        let mut pick = b.rng.random_range(0..weights);
        let mut status = STATUSES[0].0;
        for (s, w) in STATUSES {
            if pick < *w {
                status = s;
                break;
            }
            pick -= w;
        }
        let holds = matches!(status, "pending_provider" | "pending_review" | "approved");
        let load = booking.load();
        if holds {
            // What the client holds itself: its allocation less what it passed on to agencies.
            let own = client.allocation;
            let fits = load.iter().all(|((key, day), units)| {
                facility_held.get(&(fi, *day)).copied().unwrap_or(0) + units
                    <= facility_rows[fi].capacity
                    && client_held
                        .get(&(ci, key.clone(), *day))
                        .copied()
                        .unwrap_or(0)
                        + units
                        <= own
            });
            if fits {
                for ((key, day), units) in &load {
                    *facility_held.entry((fi, *day)).or_insert(0) += units;
                    *client_held.entry((ci, key.clone(), *day)).or_insert(0) += units;
                }
            } else {
                status = "declined";
            }
        }
        let facility = &facility_rows[fi];
        // Facility n belongs to provider n mod providers (as registered above).
        let (provider, provider_user) = &providers[fi % providers.len()];
        let unit_price: i64 = match terms {
            Terms::Housing { .. } => b.rng.random_range(150..=450) * 100,
            Terms::Catering { .. } => b.rng.random_range(15..=40) * 100,
            Terms::Transport { .. } => b.rng.random_range(30..=90) * 100,
        };
        let (route_from, route_to, meals) = terms.columns();
        let row = ContractRow {
            id: ContractId::generate(),
            season_id: season.id.clone(),
            contract_type: terms.contract_type(),
            client_id: client.org.id.clone(),
            client_office_id: Some(client.office_id.clone()),
            client_country: client.country.clone(),
            provider_id: provider.id.clone(),
            facility_id: facility.id.clone(),
            status: ContractStatus::parse(status)
                .expect("every seeded status is a contract status"),
            starts_on: booking.starts_on,
            ends_on: booking.ends_on,
            units: terms.units(),
            route_from,
            route_to,
            meals_per_day: meals,
            unit_price,
            currency: "SAR".into(),
            total: booking.quantity() * unit_price,
            search_key: search_key(&format!(
                "{} {} {} {}",
                facility.name, client.org.name, client.org.name_ar, provider.name
            )),
            version: path_to(status).len() as i64,
            created_at: at,
            updated_at: at,
            status_reason: None,
        };
        let mut from: Option<&str> = None;
        for (action, to, who) in path_to(status) {
            let (org, user) = match who {
                'c' => (client.org.id.clone(), client.user_id.clone()),
                'p' => (provider.id.clone(), provider_user.clone()),
                _ => (ministry.id.clone(), ministry_user.clone()),
            };
            events.push(ContractEventRow {
                id: EventId::generate(),
                contract_id: row.id.clone(),
                amendment_id: None,
                action: (*action).to_owned(),
                from_status: from.map(str::to_owned),
                to_status: (*to).to_owned(),
                reason: matches!(*action, "return" | "decline" | "reject" | "cancel")
                    .then(|| "seeded".to_owned()),
                actor_user_id: Some(user),
                actor_api_key_id: None,
                organization_id: org,
                at,
            });
            from = Some(to);
        }
        contract_rows.push(row);
    }

    // Quotas and allocations from the plans: agencies within their office, offices within quota.
    let mut quota_rows = Vec::new();
    let mut allocation_rows = Vec::new();
    for client in &clients {
        let sub = suballocated.get(&client.org.id).copied().unwrap_or(0);
        let pilgrims = client.allocation + sub;
        allocation_rows.push(AllocationRow {
            season_id: season.id.clone(),
            organization_id: client.org.id.clone(),
            pilgrims,
            suballocated: sub,
            lock_version: 0,
            updated_at: at,
        });
        if client.org.kind == OrgKind::HajjOffice {
            quota_rows.push(QuotaRow {
                season_id: season.id.clone(),
                country: client.country.clone(),
                pilgrims: pilgrims + pilgrims / 20,
                allocated: pilgrims,
                updated_at: at,
            });
        }
    }

    let mut day_rows = Vec::new();
    for (fi, f) in facility_rows.iter().enumerate() {
        let mut day = start;
        while day <= end {
            day_rows.push(FacilityDay {
                facility_id: f.id.clone(),
                day,
                capacity: f.capacity,
                held: facility_held.get(&(fi, day)).copied().unwrap_or(0),
            });
            day = day + Days::new(1);
        }
    }
    let mut held_rows: Vec<ClientDay> = client_held
        .into_iter()
        .map(|((ci, key, day), held)| ClientDay {
            season_id: season.id.clone(),
            organization_id: clients[ci].org.id.clone(),
            allocation_key: key,
            day,
            held,
        })
        .collect();
    held_rows.sort_by(|a, b| {
        (&a.organization_id, &a.allocation_key, a.day).cmp(&(
            &b.organization_id,
            &b.allocation_key,
            b.day,
        ))
    });

    bulk!(conn, organizations::table, b.orgs);
    bulk!(conn, users::table, b.users);
    bulk!(conn, organization_countries::table, tawafa_countries);
    bulk!(conn, organization_grants::table, grants);
    bulk!(conn, quotas::table, quota_rows);
    bulk!(conn, allocations::table, allocation_rows);
    bulk!(conn, facilities::table, facility_rows);
    bulk!(conn, facility_days::table, day_rows);
    bulk!(conn, pilgrim_groups::table, groups);
    bulk!(conn, contracts::table, contract_rows);
    bulk!(conn, contract_events::table, events);
    bulk!(conn, client_days::table, held_rows);

    let mut by_status: HashMap<&str, usize> = HashMap::new();
    for r in &contract_rows {
        *by_status.entry(r.status.as_str()).or_insert(0) += 1;
    }
    let mut by_status: Vec<(String, usize)> = by_status
        .into_iter()
        .map(|(s, n)| (s.to_owned(), n))
        .collect();
    by_status.sort();
    Ok(Summary {
        season_id: season.id,
        organizations: b.orgs.len(),
        facilities: facility_rows.len(),
        facility_days: day_rows.len(),
        contracts: contract_rows.len(),
        events: events.len(),
        groups: groups.len(),
        pilgrims: planned_total,
        by_status,
        popular: facility_rows
            .iter()
            .take(POPULAR)
            .map(|f| f.id.clone())
            .collect(),
        seconds: 0.0,
    })
}
