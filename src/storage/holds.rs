//! Capacity (R4) and allocation (R7) holds: the only code that changes held units.
//!
//! Every change is one conditional statement per run of days (`held + n <= capacity`), so there is
//! no read-then-write window: two requests racing for the last units cannot both win, on SQLite or
//! on PostgreSQL, in one process or in many. Callers run these inside their write transaction and
//! roll back on any error, so a refused request changes nothing.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::DbConnection;
use super::prepared::KeepPrepared;
use super::schema::{allocations, client_days, facility_days};
use crate::domain::contract::Load;
use crate::domain::ids::{FacilityId, OrganizationId, SeasonId};

#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    /// Some day would pass the facility's capacity, or lies outside its licence.
    #[error("capacity exceeded")]
    CapacityExceeded(Shortfall),
    /// Some day would pass the client's allocation.
    #[error("allocation exceeded")]
    AllocationExceeded(Shortfall),
    /// The client holds no allocation in the season.
    #[error("no allocation")]
    NoAllocation,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// The first day of a load that did not fit: the units asked for, and those still free then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    pub day: NaiveDate,
    pub requested: i64,
    pub available: i64,
}

/// The first day of `from..=to` the update left out (not in `taken`), and what is free on it:
/// `free` answers for a day that exists, and a day without a row has nothing free.
fn shortfall(
    from: NaiveDate,
    to: NaiveDate,
    requested: i64,
    taken: &[NaiveDate],
    free: impl FnOnce(NaiveDate) -> QueryResult<Option<i64>>,
) -> Result<Shortfall, HoldError> {
    let day = from
        .iter_days()
        .take_while(|d| *d <= to)
        .find(|d| !taken.contains(d))
        .unwrap_or(from);
    Ok(Shortfall {
        day,
        requested,
        available: free(day)?.unwrap_or(0).max(0),
    })
}

/// Consecutive days with the same units, as (first day, last day, units, day count).
fn runs(load: &[(NaiveDate, i64)]) -> Vec<(NaiveDate, NaiveDate, i64, usize)> {
    let mut runs: Vec<(NaiveDate, NaiveDate, i64, usize)> = Vec::new();
    for &(day, units) in load {
        match runs.last_mut() {
            Some(last) if last.2 == units && last.1.succ_opt() == Some(day) => {
                last.1 = day;
                last.3 += 1;
            }
            _ => runs.push((day, day, units, 1)),
        }
    }
    runs
}

/// The per-day units of one allocation key, in day order.
fn by_key(load: &Load) -> Vec<(String, Vec<(NaiveDate, i64)>)> {
    let mut out: Vec<(String, Vec<(NaiveDate, i64)>)> = Vec::new();
    for ((key, day), units) in load {
        if *units == 0 {
            continue;
        }
        match out.last_mut() {
            Some((k, days)) if k == key => days.push((*day, *units)),
            _ => out.push((key.clone(), vec![(*day, *units)])),
        }
    }
    out
}

/// On PostgreSQL, locks a facility's days in day order before they change. One `UPDATE` over
/// several rows locks them in whatever order its scan meets them, which differs between two
/// transactions once earlier updates have moved row versions: two submissions for the same days
/// could each wait for the other. SQLite writes one transaction at a time and needs no lock.
fn lock_facility_days(
    conn: &mut DbConnection,
    facility_id: &FacilityId,
    days: &[(NaiveDate, i64)],
) -> QueryResult<()> {
    let (Some((from, _)), Some((to, _))) = (days.first(), days.last()) else {
        return Ok(());
    };
    if let DbConnection::Postgresql(c) = conn {
        facility_days::table
            .filter(facility_days::facility_id.eq(facility_id))
            .filter(facility_days::day.ge(*from))
            .filter(facility_days::day.le(*to))
            .order(facility_days::day.asc())
            .select(facility_days::day)
            .for_update()
            .load::<NaiveDate>(c)?;
    }
    Ok(())
}

/// Takes units of a facility on each day of the load (the load's keys are ignored: one facility).
pub fn take_facility(
    conn: &mut DbConnection,
    facility_id: &FacilityId,
    load: &Load,
) -> Result<(), HoldError> {
    for (_, days) in by_key(load) {
        lock_facility_days(conn, facility_id, &days)?;
        for (from, to, units, count) in runs(&days) {
            let taken: Vec<NaiveDate> = diesel::update(
                facility_days::table
                    .filter(facility_days::facility_id.eq(facility_id))
                    .filter(facility_days::day.ge(from))
                    .filter(facility_days::day.le(to))
                    .filter((facility_days::held + units).le(facility_days::capacity)),
            )
            .set(facility_days::held.eq(facility_days::held + units))
            .returning(facility_days::day)
            .prepared()
            .get_results(conn)?;
            if taken.len() != count {
                let free = |day| {
                    facility_days::table
                        .find((facility_id, day))
                        .select(facility_days::capacity - facility_days::held)
                        .first(conn)
                        .optional()
                };
                return Err(HoldError::CapacityExceeded(shortfall(
                    from, to, units, &taken, free,
                )?));
            }
        }
    }
    Ok(())
}

/// Refuses a load the facility has no room for now, read from what is committed, without a lock:
/// a request that cannot fit is refused before it does the rest of its work and before it waits
/// for the days' locks. Nothing is taken here; [`take_facility`] decides, under those locks.
pub fn check_facility(
    conn: &mut DbConnection,
    facility_id: &FacilityId,
    load: &Load,
) -> Result<(), HoldError> {
    let days = || load.keys().map(|(_, day)| *day);
    let (Some(from), Some(to)) = (days().min(), days().max()) else {
        return Ok(());
    };
    let free: BTreeMap<NaiveDate, i64> = facility_days::table
        .filter(facility_days::facility_id.eq(facility_id))
        .filter(facility_days::day.ge(from))
        .filter(facility_days::day.le(to))
        .select((
            facility_days::day,
            facility_days::capacity - facility_days::held,
        ))
        .load::<(NaiveDate, i64)>(conn)?
        .into_iter()
        .collect();
    // Keys are taken one after the other, as `take_facility` does: a day's units add up.
    let mut asked: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for (_, days) in by_key(load) {
        for (day, units) in days {
            let asked = asked.entry(day).or_default();
            let left = free.get(&day).copied().unwrap_or(0) - *asked;
            if units > left {
                return Err(HoldError::CapacityExceeded(Shortfall {
                    day,
                    requested: units,
                    available: left.max(0),
                }));
            }
            *asked += units;
        }
    }
    Ok(())
}

/// Gives back units taken by [`take_facility`].
pub fn release_facility(
    conn: &mut DbConnection,
    facility_id: &FacilityId,
    load: &Load,
) -> Result<(), HoldError> {
    for (_, days) in by_key(load) {
        lock_facility_days(conn, facility_id, &days)?;
        for (from, to, units, count) in runs(&days) {
            let changed = diesel::update(
                facility_days::table
                    .filter(facility_days::facility_id.eq(facility_id))
                    .filter(facility_days::day.ge(from))
                    .filter(facility_days::day.le(to))
                    .filter(facility_days::held.ge(units)),
            )
            .set(facility_days::held.eq(facility_days::held - units))
            .prepared()
            .execute(conn)?;
            if changed != count {
                // Releasing more than was held would be a bookkeeping fault: refuse, roll back.
                return Err(HoldError::Db(diesel::result::Error::RollbackTransaction));
            }
        }
    }
    Ok(())
}

/// Serialises the holds of one client in one season, and fails if it holds no allocation there.
/// Allocation changes take the same lock, so a reduction never races a submission.
pub fn lock_allocation(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
) -> Result<(), HoldError> {
    let locked = diesel::update(
        allocations::table
            .filter(allocations::season_id.eq(season_id))
            .filter(allocations::organization_id.eq(organization_id)),
    )
    .set(allocations::lock_version.eq(allocations::lock_version + 1))
    .prepared()
    .execute(conn)?;
    if locked == 1 {
        Ok(())
    } else {
        Err(HoldError::NoAllocation)
    }
}

fn ensure_client_days(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    key: &str,
    days: &[(NaiveDate, i64)],
) -> QueryResult<()> {
    let rows: Vec<_> = days
        .iter()
        .map(|(day, _)| {
            (
                client_days::season_id.eq(season_id),
                client_days::organization_id.eq(organization_id),
                client_days::allocation_key.eq(key),
                client_days::day.eq(*day),
                client_days::held.eq(0i64),
            )
        })
        .collect();
    super::insert_or_ignore!(conn, client_days::table, rows)?;
    Ok(())
}

/// Takes the client's pilgrims on each key and day of the load, within its allocation (what it
/// holds itself: its pilgrims less what it passed on to agencies). Call [`lock_allocation`] first.
pub fn take_client(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    load: &Load,
) -> Result<(), HoldError> {
    let own_pilgrims = allocations::table
        .filter(allocations::season_id.eq(season_id))
        .filter(allocations::organization_id.eq(organization_id))
        .select(allocations::pilgrims - allocations::suballocated)
        .single_value();
    for (key, days) in by_key(load) {
        ensure_client_days(conn, season_id, organization_id, &key, &days)?;
        for (from, to, units, count) in runs(&days) {
            let taken: Vec<NaiveDate> = diesel::update(
                client_days::table
                    .filter(client_days::season_id.eq(season_id))
                    .filter(client_days::organization_id.eq(organization_id))
                    .filter(client_days::allocation_key.eq(&key))
                    .filter(client_days::day.ge(from))
                    .filter(client_days::day.le(to))
                    .filter((client_days::held + units).nullable().le(own_pilgrims)),
            )
            .set(client_days::held.eq(client_days::held + units))
            .returning(client_days::day)
            .prepared()
            .get_results(conn)?;
            if taken.len() != count {
                let own: Option<i64> = allocations::table
                    .filter(allocations::season_id.eq(season_id))
                    .filter(allocations::organization_id.eq(organization_id))
                    .select(allocations::pilgrims - allocations::suballocated)
                    .first(conn)
                    .optional()?;
                let free = |day| {
                    client_days::table
                        .filter(client_days::season_id.eq(season_id))
                        .filter(client_days::organization_id.eq(organization_id))
                        .filter(client_days::allocation_key.eq(&key))
                        .filter(client_days::day.eq(day))
                        .select(client_days::held)
                        .first::<i64>(conn)
                        .optional()
                        .map(|held| Some(own.unwrap_or(0) - held.unwrap_or(0)))
                };
                return Err(HoldError::AllocationExceeded(shortfall(
                    from, to, units, &taken, free,
                )?));
            }
        }
    }
    Ok(())
}

/// Gives back what [`take_client`] took.
pub fn release_client(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    load: &Load,
) -> Result<(), HoldError> {
    for (key, days) in by_key(load) {
        for (from, to, units, count) in runs(&days) {
            let changed = diesel::update(
                client_days::table
                    .filter(client_days::season_id.eq(season_id))
                    .filter(client_days::organization_id.eq(organization_id))
                    .filter(client_days::allocation_key.eq(&key))
                    .filter(client_days::day.ge(from))
                    .filter(client_days::day.le(to))
                    .filter(client_days::held.ge(units)),
            )
            .set(client_days::held.eq(client_days::held - units))
            .prepared()
            .execute(conn)?;
            if changed != count {
                return Err(HoldError::Db(diesel::result::Error::RollbackTransaction));
            }
        }
    }
    Ok(())
}

/// The most pilgrims the client holds on any key and day of the season.
pub fn client_peak(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
) -> QueryResult<i64> {
    let peak: Option<i64> = client_days::table
        .filter(client_days::season_id.eq(season_id))
        .filter(client_days::organization_id.eq(organization_id))
        .select(diesel::dsl::max(client_days::held))
        .first(conn)?;
    Ok(peak.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_group_consecutive_equal_days() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let load = [
            (d("2026-05-20"), 5),
            (d("2026-05-21"), 5),
            (d("2026-05-22"), 7),
            (d("2026-05-24"), 7),
        ];
        assert_eq!(
            runs(&load),
            vec![
                (d("2026-05-20"), d("2026-05-21"), 5, 2),
                (d("2026-05-22"), d("2026-05-22"), 7, 1),
                (d("2026-05-24"), d("2026-05-24"), 7, 1),
            ]
        );
    }
}
