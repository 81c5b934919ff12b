//! Seasons, as every use case that works within one finds it.

use crate::access::{self, Caller, ExtensionScope};
use crate::domain::ids::SeasonId;
use crate::domain::organization::OrgKind;
use crate::error::Error;
use crate::storage::models::{AllocationRow, ExtensionRow, QuotaRow, SeasonRow};
use crate::storage::{DbConnection, seasons};

/// A season by id; every authenticated caller sees seasons, so a missing one is a 404.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<SeasonRow, Error> {
    seasons::find(conn, id)?.ok_or_else(Error::not_found)
}

/// The quotas of a season the caller may see: all for the ministry, its country's for a client.
pub fn quotas(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &SeasonId,
) -> Result<Vec<QuotaRow>, Error> {
    find(conn, id.as_str())?;
    Ok(seasons::quotas(
        conn,
        id.as_str(),
        &access::allocation_scope(caller),
    )?)
}

/// The allocations of a season the caller may see, each with its organisation's name and kind:
/// all for the ministry; an office's own and its agencies'; an agency's own.
pub fn allocations(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &SeasonId,
) -> Result<Vec<(AllocationRow, String, OrgKind)>, Error> {
    find(conn, id.as_str())?;
    Ok(seasons::allocations(
        conn,
        id.as_str(),
        &access::allocation_scope(caller),
    )?)
}

/// The deadline extensions of a season the caller may see: all for the ministry, its own for a
/// client, none for anyone else.
pub fn extensions(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &SeasonId,
) -> Result<Vec<ExtensionRow>, Error> {
    find(conn, id.as_str())?;
    Ok(match access::extension_scope(caller) {
        ExtensionScope::All => seasons::extensions(conn, id.as_str(), None)?,
        ExtensionScope::Client(own) => seasons::extensions(conn, id.as_str(), Some(own.as_str()))?,
        ExtensionScope::Nothing => Vec::new(),
    })
}
