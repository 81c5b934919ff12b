//! Seasons, as every use case that works within one finds it.

use crate::error::Error;
use crate::storage::models::SeasonRow;
use crate::storage::{DbConnection, seasons};

/// A season by id; every authenticated caller sees seasons, so a missing one is a 404.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<SeasonRow, Error> {
    seasons::find(conn, id)?.ok_or_else(Error::not_found)
}
