//! Organisations as the caller may see them.

use crate::access::{self, Caller};
use crate::domain::ids::OrganizationId;
use crate::error::Error;
use crate::storage::models::OrganizationRow;
use crate::storage::{DbConnection, organizations as store};

/// An organisation the caller may see; any other is not found (404 before 403).
pub fn visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &OrganizationId,
) -> Result<OrganizationRow, Error> {
    store::find_visible(conn, &access::organization_scope(caller), id.as_str())?
        .ok_or_else(Error::not_found)
}
