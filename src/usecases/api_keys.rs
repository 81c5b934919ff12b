//! API keys: how an organisation's own systems call the portal (docs/domain.md section 7). A key
//! is shown once, at creation, and kept only as a hash; only the organisation's own admin makes
//! one; its admin or a ministry admin lists and revokes them.

use crate::access::{self, Caller};
use crate::auth::secret;
use crate::domain::Invalid;
use crate::domain::ids::{ApiKeyId, OrganizationId};
use crate::domain::organization::Role;
use crate::domain::text::Name;
use crate::error::Error;
use crate::storage::models::ApiKeyRow;
use crate::storage::{DbConnection, api_keys as store, now};

/// A key being made: its secret, and what is stored of it.
#[derive(Clone)]
pub struct FreshKey {
    /// The key itself, shown to its maker once.
    pub key: String,
    hash: String,
    prefix: String,
}

impl FreshKey {
    pub fn generate() -> FreshKey {
        let key = secret::generate(secret::API_KEY_PREFIX);
        FreshKey {
            hash: secret::hash(&key),
            prefix: secret::display_prefix(&key),
            key,
        }
    }
}

/// Makes a key named `name` with `role` (`officer` or `viewer`: keys never administer) for the
/// caller's own organisation `org`.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    org: &OrganizationId,
    fresh: &FreshKey,
    input: Result<(String, Role), Error>,
) -> Result<ApiKeyRow, Error> {
    super::organizations::visible(conn, caller, org)?;
    access::create_api_key(caller, org)?;
    let (name, role) = input?;
    let name = Name::parse(&name).map_err(|e| Error::invalid_field("name", e))?;
    if role == Role::Admin {
        return Err(Error::invalid_field("role", Invalid::new("not_allowed")));
    }
    let created_by = access::require_user(caller)?.0.clone();
    let row = ApiKeyRow {
        id: ApiKeyId::generate(),
        organization_id: org.clone(),
        name: name.into_string(),
        role,
        key_hash: fresh.hash.clone(),
        prefix: fresh.prefix.clone(),
        created_by,
        created_at: now(),
        revoked_at: None,
    };
    store::insert(conn, &row)?;
    Ok(row)
}

/// A page of an organisation's keys, live and revoked.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    org: &OrganizationId,
    after: Option<&ApiKeyId>,
    limit: i64,
) -> Result<Vec<ApiKeyRow>, Error> {
    super::organizations::visible(conn, caller, org)?;
    access::manage_api_keys(caller, org)?;
    Ok(store::list(conn, org, after, limit)?)
}

/// Revokes a key at once; revoking a revoked key changes nothing and succeeds. A key of an
/// organisation whose members the caller cannot see is a 404.
pub fn revoke(conn: &mut DbConnection, caller: &Caller, id: &ApiKeyId) -> Result<(), Error> {
    let key = store::find(conn, id)?.ok_or_else(Error::not_found)?;
    let org = key.organization_id;
    if !access::sees_members_of(caller, &org) {
        return Err(Error::not_found());
    }
    access::manage_api_keys(caller, &org)?;
    store::revoke(conn, id)?;
    Ok(())
}
