//! Licensed facilities and their capacity per day (R3, R4).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::models::{FacilityRow, OrganizationRow};
use super::schema::{facilities, facility_days, organizations};
use super::{DbConnection, MultiBackend, like_contains, now};
use crate::access::FacilityScope;
use crate::domain::ids::{FacilityId, OrganizationId};
use crate::domain::season::Facility;

type Boxed = facilities::BoxedQuery<'static, MultiBackend>;

/// Narrows a boxed query over `facilities` (alone or joined) to the facilities a scope covers:
/// `None` when it covers none.
macro_rules! facilities_in_scope {
    ($query:expr, $scope:expr) => {{
        let query = $query;
        match $scope {
            FacilityScope::All => Some(query),
            FacilityScope::Provider(own) => {
                Some(query.filter(facilities::provider_id.eq(own.clone())))
            }
            FacilityScope::ActiveProviders => Some(
                query.filter(
                    facilities::provider_id.eq_any(
                        organizations::table
                            .filter(organizations::kind.eq("service_provider"))
                            .filter(organizations::status.eq("active"))
                            .select(organizations::id),
                    ),
                ),
            ),
            FacilityScope::Nothing => None,
        }
    }};
}

fn scoped(scope: &FacilityScope) -> Option<Boxed> {
    facilities_in_scope!(facilities::table.into_boxed(), scope)
}

/// Creates a facility and one row of capacity for every licensed day.
pub fn insert(conn: &mut DbConnection, row: &FacilityRow) -> QueryResult<()> {
    diesel::insert_into(facilities::table)
        .values(row)
        .execute(conn)?;
    let mut day = row.licence_valid_from;
    while day <= row.licence_valid_to {
        diesel::insert_into(facility_days::table)
            .values((
                facility_days::facility_id.eq(&row.id),
                facility_days::day.eq(day),
                facility_days::capacity.eq(row.capacity),
                facility_days::held.eq(0i64),
            ))
            .execute(conn)?;
        day = day
            .succ_opt()
            .ok_or(diesel::result::Error::RollbackTransaction)?;
    }
    Ok(())
}

pub fn find_visible(
    conn: &mut DbConnection,
    scope: &FacilityScope,
    id: &FacilityId,
) -> QueryResult<Option<FacilityRow>> {
    match scoped(scope) {
        Some(q) => q
            .filter(facilities::id.eq(id.clone()))
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

/// A facility the scope covers, with its provider's organisation, in one statement.
pub fn find_visible_with_provider(
    conn: &mut DbConnection,
    scope: &FacilityScope,
    id: &FacilityId,
) -> QueryResult<Option<(FacilityRow, OrganizationRow)>> {
    // The provider under another name: the scope may read `organizations` in a subquery.
    let provider = diesel::alias!(organizations as provider);
    let query = facilities::table
        .inner_join(
            provider.on(provider
                .field(organizations::id)
                .eq(facilities::provider_id)),
        )
        .select((
            facilities::all_columns,
            provider.fields(organizations::all_columns),
        ))
        .into_boxed();
    match facilities_in_scope!(query, scope) {
        Some(q) => q
            .filter(facilities::id.eq(id.clone()))
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

pub fn find(conn: &mut DbConnection, id: &FacilityId) -> QueryResult<Option<FacilityRow>> {
    facilities::table.find(id).first(conn).optional()
}

#[derive(Debug, Default)]
pub struct FacilityFilter {
    pub kind: Option<String>,
    pub city: Option<String>,
    pub provider_id: Option<OrganizationId>,
    pub q: Option<String>,
    /// Licensed on every day of this range.
    pub range: Option<(NaiveDate, NaiveDate)>,
    /// With `range`: at least this many units free on every day of it.
    pub min_available: Option<i64>,
}

pub fn list(
    conn: &mut DbConnection,
    scope: &FacilityScope,
    filter: &FacilityFilter,
    after: Option<&FacilityId>,
    limit: i64,
) -> QueryResult<Vec<FacilityRow>> {
    let Some(mut query) = scoped(scope) else {
        return Ok(Vec::new());
    };
    if let Some(kind) = &filter.kind {
        query = query.filter(facilities::kind.eq(kind.clone()));
    }
    if let Some(city) = &filter.city {
        query = query.filter(facilities::city.eq(city.clone()));
    }
    if let Some(provider) = &filter.provider_id {
        query = query.filter(facilities::provider_id.eq(provider.clone()));
    }
    if let Some(q) = &filter.q {
        query = query.filter(facilities::search_key.like(like_contains(q)).escape('\\'));
    }
    if let Some((from, to)) = filter.range {
        query = query
            .filter(facilities::licence_valid_from.le(from))
            .filter(facilities::licence_valid_to.ge(to));
        if let Some(min) = filter.min_available {
            query = query.filter(
                facilities::id.eq_any(
                    facility_days::table
                        .filter(facility_days::day.ge(from))
                        .filter(facility_days::day.le(to))
                        .group_by(facility_days::facility_id)
                        .having(
                            diesel::dsl::min(facility_days::capacity - facility_days::held).ge(min),
                        )
                        .select(facility_days::facility_id),
                ),
            );
        }
    }
    if let Some(after) = after {
        query = query.filter(facilities::id.gt(after.clone()));
    }
    query.order(facilities::id.asc()).limit(limit).load(conn)
}

/// The least free units of each facility over a range: `(facility id, available)`.
pub fn available(
    conn: &mut DbConnection,
    ids: &[FacilityId],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(FacilityId, i64)>> {
    let rows: Vec<(FacilityId, Option<i64>)> = facility_days::table
        .filter(facility_days::facility_id.eq_any(ids))
        .filter(facility_days::day.ge(from))
        .filter(facility_days::day.le(to))
        .group_by(facility_days::facility_id)
        .select((
            facility_days::facility_id,
            diesel::dsl::min(facility_days::capacity - facility_days::held),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, a)| (id, a.unwrap_or(0)))
        .collect())
}

/// Capacity and held units per day over a range.
pub fn usage(
    conn: &mut DbConnection,
    id: &FacilityId,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, i64, i64)>> {
    facility_days::table
        .filter(facility_days::facility_id.eq(id))
        .filter(facility_days::day.ge(from))
        .filter(facility_days::day.le(to))
        .order(facility_days::day.asc())
        .select((
            facility_days::day,
            facility_days::capacity,
            facility_days::held,
        ))
        .load(conn)
}

#[derive(Debug)]
pub enum UpdateError {
    Stale,
    /// Some day holds more than the new capacity.
    CapacityInUse,
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for UpdateError {
    fn from(e: diesel::result::Error) -> UpdateError {
        UpdateError::Db(e)
    }
}

/// A facility's new names and the search key over both.
pub struct Names {
    pub name: String,
    pub name_ar: String,
    pub search_key: String,
}

/// Renames a facility (a new edition of the names contracts show, see [`super::names`]) or changes
/// its capacity; capacity never drops below what any day holds. Run inside a write transaction.
pub fn update(
    conn: &mut DbConnection,
    row: &FacilityRow,
    expected_version: i64,
    names: Option<Names>,
    capacity: Option<i64>,
) -> Result<(), UpdateError> {
    let renamed = names.is_some();
    let (name, name_ar, search_key) = match names {
        Some(n) => (Some(n.name), Some(n.name_ar), Some(n.search_key)),
        None => (None, None, None),
    };
    let changed = diesel::update(
        facilities::table
            .filter(facilities::id.eq(&row.id))
            .filter(facilities::version.eq(expected_version)),
    )
    .set((
        name.map(|n| facilities::name.eq(n)),
        name_ar.map(|n| facilities::name_ar.eq(n)),
        search_key.map(|k| facilities::search_key.eq(k)),
        capacity.map(|c| facilities::capacity.eq(c)),
        facilities::version.eq(expected_version + 1),
        facilities::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(UpdateError::Stale);
    }
    if renamed {
        super::names::renamed(conn)?;
    }
    if let Some(capacity) = capacity {
        let total: i64 = facility_days::table
            .filter(facility_days::facility_id.eq(&row.id))
            .count()
            .get_result(conn)?;
        // One statement per facility: every day must fit under the new capacity, or none changes.
        let changed = diesel::update(
            facility_days::table
                .filter(facility_days::facility_id.eq(&row.id))
                .filter(facility_days::held.le(capacity)),
        )
        .set(facility_days::capacity.eq(capacity))
        .execute(conn)?;
        if changed as i64 != total {
            return Err(UpdateError::CapacityInUse);
        }
    }
    Ok(())
}

/// A facility's name.
pub fn name(conn: &mut DbConnection, id: &FacilityId) -> QueryResult<String> {
    facilities::table
        .find(id)
        .select(facilities::name)
        .first(conn)
}

/// The names (Latin, Arabic: empty when none) and cities of some facilities, by id.
pub fn bilingual_names(
    conn: &mut DbConnection,
    ids: &[&FacilityId],
) -> QueryResult<HashMap<FacilityId, (String, String, String)>> {
    Ok(facilities::table
        .filter(facilities::id.eq_any(ids))
        .select((
            facilities::id,
            facilities::name,
            facilities::name_ar,
            facilities::city,
        ))
        .load::<(FacilityId, String, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, name_ar, city)| (id, (name, name_ar, city)))
        .collect())
}

/// A stored facility as the domain knows it.
pub fn facility_of(row: FacilityRow) -> QueryResult<Facility> {
    Ok(Facility {
        kind: row.kind,
        place: row.city,
        id: row.id,
        provider_id: row.provider_id,
        name: row.name,
        name_ar: (!row.name_ar.is_empty()).then_some(row.name_ar),
        licence_no: row.licence_no,
        licence_valid_from: row.licence_valid_from,
        licence_valid_to: row.licence_valid_to,
        capacity: row.capacity,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
