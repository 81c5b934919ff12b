//! Single-use links to set a password (invitations and resets): only the token's hash is kept,
//! and using one is one conditional statement, so a link works once even when clicked twice at
//! the same moment.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::user_tokens;
use crate::domain::ids::UserId;

/// Keeps a new link's hash for `user_id`.
pub fn issue(
    conn: &mut DbConnection,
    token_hash: &str,
    user_id: &UserId,
    purpose: &str,
    at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::token_hash.eq(token_hash),
            user_tokens::user_id.eq(user_id),
            user_tokens::purpose.eq(purpose),
            user_tokens::created_at.eq(at),
            user_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Uses a live link: its user and purpose, or `None` if it is unknown, used or expired.
pub fn redeem(
    conn: &mut DbConnection,
    token_hash: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<(UserId, String)>> {
    let used = diesel::update(
        user_tokens::table
            .filter(user_tokens::token_hash.eq(token_hash))
            .filter(user_tokens::used_at.is_null())
            .filter(user_tokens::expires_at.gt(at)),
    )
    .set(user_tokens::used_at.eq(at))
    .execute(conn)?;
    if used == 0 {
        return Ok(None);
    }
    user_tokens::table
        .find(token_hash)
        .select((user_tokens::user_id, user_tokens::purpose))
        .first(conn)
        .optional()
}

/// Whether a link is live (unknown, used and expired ones are not), without using it.
pub fn live(conn: &mut DbConnection, token_hash: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let found: i64 = user_tokens::table
        .filter(user_tokens::token_hash.eq(token_hash))
        .filter(user_tokens::used_at.is_null())
        .filter(user_tokens::expires_at.gt(at))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Ends every live link of a user (its password was just set).
pub fn void_all_of_user(
    conn: &mut DbConnection,
    user_id: &UserId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(at))
    .execute(conn)
    .map(|_| ())
}
