//! Organisations, their tawafa countries and authority grants.

use std::collections::HashMap;

use diesel::prelude::*;

use super::models::OrganizationRow;
use super::schema::{organization_countries, organization_grants, organizations};
use super::{DbConnection, MultiBackend, like_contains, now};
use crate::access::OrgScope;
use crate::domain::ids::OrganizationId;

/// Filters of `GET /organizations`, already parsed.
#[derive(Debug, Default)]
pub struct OrganizationFilter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub country: Option<String>,
    pub parent_id: Option<OrganizationId>,
    /// Already folded with `domain::text::search_key`.
    pub q: Option<String>,
}

type Boxed = organizations::BoxedQuery<'static, MultiBackend>;

/// The organisations a scope covers; the SQL twin of `access::scope_contains`.
fn scoped(scope: &OrgScope) -> Boxed {
    let query = organizations::table.into_boxed();
    match scope {
        OrgScope::All => query,
        OrgScope::Limited {
            own,
            children_of,
            parent,
            public_kinds,
        } => {
            let kinds: Vec<&'static str> = public_kinds.iter().map(|k| k.as_str()).collect();
            let mut ids = vec![own.clone()];
            ids.extend(parent.iter().cloned());
            let visible = organizations::id
                .eq_any(ids)
                .or(organizations::kind.eq_any(kinds));
            match children_of {
                Some(office) => query.filter(
                    visible.or(organizations::parent_id
                        .eq(office.clone())
                        .assume_not_null()),
                ),
                None => query.filter(visible),
            }
        }
    }
}

pub fn find_visible(
    conn: &mut DbConnection,
    scope: &OrgScope,
    id: &OrganizationId,
) -> QueryResult<Option<OrganizationRow>> {
    scoped(scope)
        .filter(organizations::id.eq(id.clone()))
        .first(conn)
        .optional()
}

/// Any organisation by id, whoever asks: for checks the access layer has already allowed.
pub fn find(conn: &mut DbConnection, id: &OrganizationId) -> QueryResult<Option<OrganizationRow>> {
    organizations::table.find(id).first(conn).optional()
}

pub fn list(
    conn: &mut DbConnection,
    scope: &OrgScope,
    filter: &OrganizationFilter,
    after: Option<&OrganizationId>,
    limit: i64,
) -> QueryResult<Vec<OrganizationRow>> {
    let mut query = scoped(scope);
    if let Some(kind) = &filter.kind {
        query = query.filter(organizations::kind.eq(kind.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(organizations::status.eq(status.clone()));
    }
    if let Some(country) = &filter.country {
        query = query.filter(organizations::country.eq(country.clone()));
    }
    if let Some(parent) = &filter.parent_id {
        query = query.filter(organizations::parent_id.eq(parent.clone()));
    }
    if let Some(q) = &filter.q {
        query = query.filter(
            organizations::search_key
                .like(like_contains(q))
                .escape('\\'),
        );
    }
    if let Some(after) = after {
        query = query.filter(organizations::id.gt(after.clone()));
    }
    query.order(organizations::id.asc()).limit(limit).load(conn)
}

pub fn insert(conn: &mut DbConnection, row: &OrganizationRow) -> QueryResult<()> {
    diesel::insert_into(organizations::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Changes of `PATCH /organizations/{id}`; `None` leaves a column as it is.
#[derive(AsChangeset, Default, Debug)]
#[diesel(table_name = organizations)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub name_ar: Option<String>,
    pub search_key: Option<String>,
    pub status: Option<String>,
}

/// Applies the changes if the row still has `expected_version`; `false` when it moved on. A new
/// name starts a new edition of the names contracts show (see [`super::names`]).
pub fn update(
    conn: &mut DbConnection,
    id: &OrganizationId,
    expected_version: i64,
    changes: &OrganizationChanges,
) -> QueryResult<bool> {
    let updated = diesel::update(
        organizations::table
            .filter(organizations::id.eq(id))
            .filter(organizations::version.eq(expected_version)),
    )
    .set((
        changes,
        organizations::version.eq(expected_version + 1),
        organizations::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if updated == 1 && (changes.name.is_some() || changes.name_ar.is_some()) {
        super::names::renamed(conn)?;
    }
    Ok(updated == 1)
}

pub fn countries(conn: &mut DbConnection, id: &OrganizationId) -> QueryResult<Vec<String>> {
    organization_countries::table
        .filter(organization_countries::organization_id.eq(id))
        .select(organization_countries::country)
        .order(organization_countries::country.asc())
        .load(conn)
}

pub fn replace_countries(
    conn: &mut DbConnection,
    id: &OrganizationId,
    countries: &[String],
) -> QueryResult<()> {
    diesel::delete(
        organization_countries::table.filter(organization_countries::organization_id.eq(id)),
    )
    .execute(conn)?;
    for country in countries {
        diesel::insert_into(organization_countries::table)
            .values((
                organization_countries::organization_id.eq(id),
                organization_countries::country.eq(country),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn grants(conn: &mut DbConnection, id: &OrganizationId) -> QueryResult<Vec<String>> {
    organization_grants::table
        .filter(organization_grants::organization_id.eq(id))
        .select(organization_grants::dataset)
        .order(organization_grants::dataset.asc())
        .load(conn)
}

pub fn replace_grants(
    conn: &mut DbConnection,
    id: &OrganizationId,
    datasets: &[String],
) -> QueryResult<()> {
    diesel::delete(organization_grants::table.filter(organization_grants::organization_id.eq(id)))
        .execute(conn)?;
    for dataset in datasets {
        diesel::insert_into(organization_grants::table)
            .values((
                organization_grants::organization_id.eq(id),
                organization_grants::dataset.eq(dataset),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    organizations::table.count().get_result(conn)
}

/// An organisation's name.
pub fn name(conn: &mut DbConnection, id: &OrganizationId) -> QueryResult<String> {
    organizations::table
        .find(id)
        .select(organizations::name)
        .first(conn)
}

/// An organisation's names: (name, Arabic name).
pub fn both_names(conn: &mut DbConnection, id: &OrganizationId) -> QueryResult<(String, String)> {
    organizations::table
        .find(id)
        .select((organizations::name, organizations::name_ar))
        .first(conn)
}

/// The names of some organisations, by id.
pub fn names(
    conn: &mut DbConnection,
    ids: &[&OrganizationId],
) -> QueryResult<HashMap<OrganizationId, String>> {
    Ok(organizations::table
        .filter(organizations::id.eq_any(ids))
        .select((organizations::id, organizations::name))
        .load::<(OrganizationId, String)>(conn)?
        .into_iter()
        .collect())
}

/// The names of some organisations in both languages, by id: (name, Arabic name).
pub fn bilingual_names(
    conn: &mut DbConnection,
    ids: &[&OrganizationId],
) -> QueryResult<HashMap<OrganizationId, (String, String)>> {
    Ok(organizations::table
        .filter(organizations::id.eq_any(ids))
        .select((
            organizations::id,
            organizations::name,
            organizations::name_ar,
        ))
        .load::<(OrganizationId, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, name_ar)| (id, (name, name_ar)))
        .collect())
}

/// The tawafa establishments serving a country.
pub fn tawafa_serving(conn: &mut DbConnection, country: &str) -> QueryResult<Vec<OrganizationId>> {
    organization_countries::table
        .inner_join(organizations::table)
        .filter(organization_countries::country.eq(country))
        .filter(organizations::kind.eq("tawafa"))
        .select(organization_countries::organization_id)
        .load(conn)
}
