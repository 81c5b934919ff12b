//! API keys: an organisation's systems call the portal with these.

use diesel::prelude::*;

use super::models::{ApiKeyRow, OrganizationRow};
use super::schema::{api_keys, organizations};
use super::{DbConnection, now};
use crate::domain::ids::{ApiKeyId, OrganizationId};

pub fn insert(conn: &mut DbConnection, row: &ApiKeyRow) -> QueryResult<()> {
    diesel::insert_into(api_keys::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &ApiKeyId) -> QueryResult<Option<ApiKeyRow>> {
    api_keys::table.find(id).first(conn).optional()
}

pub fn list(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
    after: Option<&ApiKeyId>,
    limit: i64,
) -> QueryResult<Vec<ApiKeyRow>> {
    let mut query = api_keys::table
        .filter(api_keys::organization_id.eq(organization_id.clone()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(api_keys::id.gt(after.clone()));
    }
    query.order(api_keys::id.asc()).limit(limit).load(conn)
}

/// Revokes a live key; `false` if it was revoked already.
pub fn revoke(conn: &mut DbConnection, id: &ApiKeyId) -> QueryResult<bool> {
    diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now()))
    .execute(conn)
    .map(|n| n == 1)
}

/// The live key with this hash, and its organisation if active.
pub fn resolve(
    conn: &mut DbConnection,
    key_hash: &str,
) -> QueryResult<Option<(ApiKeyRow, OrganizationRow)>> {
    api_keys::table
        .inner_join(organizations::table)
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .filter(organizations::status.eq("active"))
        .first(conn)
        .optional()
}
