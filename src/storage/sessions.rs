//! Login sessions and their rotating refresh tokens.
//!
//! A refresh token is used once: using it marks it used and issues a successor in the same session.
//! Presenting a used token again means it was stolen or replayed, so the whole session is revoked.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::ids::{SessionId, UserId};

use super::models::{OrganizationRow, RefreshTokenRow, SessionRow, UserRow};
use super::schema::{organizations, refresh_tokens, sessions, users};
use super::{DbConnection, now};

pub fn create(
    conn: &mut DbConnection,
    session: &SessionRow,
    refresh_hash: &str,
    refresh_expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)?;
    add_refresh_token(conn, &session.id, refresh_hash, refresh_expires_at)
}

/// Opens a console session: no refresh token, found by its cookie's secret.
pub fn create_console(conn: &mut DbConnection, session: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)
        .map(|_| ())
}

fn add_refresh_token(
    conn: &mut DbConnection,
    session_id: &SessionId,
    hash: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    let row = RefreshTokenRow {
        token_hash: hash.to_owned(),
        session_id: session_id.clone(),
        created_at: now(),
        expires_at,
        used_at: None,
    };
    diesel::insert_into(refresh_tokens::table)
        .values(&row)
        .execute(conn)
        .map(|_| ())
}

pub enum Rotation {
    /// The token was live: it is now used and `new_hash` replaces it.
    Rotated {
        session_id: SessionId,
        /// The session's user and organisation, for the new access token.
        user: Box<UserRow>,
        organization: Box<OrganizationRow>,
    },
    /// The token had been used before: the session is now revoked.
    Reused,
    /// Unknown, expired, or its session, user or organisation is no longer active.
    Invalid,
}

/// Exchanges a refresh token for a new one. Run inside a write transaction.
pub fn rotate(
    conn: &mut DbConnection,
    presented_hash: &str,
    new_hash: &str,
    new_expires_at: NaiveDateTime,
) -> QueryResult<Rotation> {
    let at = now();
    let Some(token) = refresh_tokens::table
        .find(presented_hash)
        .first::<RefreshTokenRow>(conn)
        .optional()?
    else {
        return Ok(Rotation::Invalid);
    };
    // Claiming the token is one conditional statement, so two racing refreshes cannot both win.
    let claimed = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(presented_hash))
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(at))
    .execute(conn)?;
    if claimed == 0 {
        revoke(conn, &token.session_id)?;
        return Ok(Rotation::Reused);
    }
    if token.expires_at <= at {
        return Ok(Rotation::Invalid);
    }
    let live = sessions::table
        .inner_join(users::table.inner_join(organizations::table))
        .filter(sessions::id.eq(&token.session_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(at))
        .filter(users::active.eq(true))
        .filter(organizations::status.eq("active"))
        .select((users::all_columns, organizations::all_columns))
        .first::<(UserRow, OrganizationRow)>(conn)
        .optional()?;
    let Some((user, organization)) = live else {
        return Ok(Rotation::Invalid);
    };
    add_refresh_token(conn, &token.session_id, new_hash, new_expires_at)?;
    Ok(Rotation::Rotated {
        session_id: token.session_id,
        user: Box::new(user),
        organization: Box::new(organization),
    })
}

pub fn revoke(conn: &mut DbConnection, session_id: &SessionId) -> QueryResult<()> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(session_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now()))
    .execute(conn)
    .map(|_| ())
}

/// Revokes every live session of a user, but `keep` (the one changing its own password).
pub fn revoke_all_of_user(
    conn: &mut DbConnection,
    user_id: &UserId,
    keep: Option<&SessionId>,
) -> QueryResult<()> {
    let mut query = diesel::update(sessions::table)
        .filter(sessions::user_id.eq(user_id.clone()))
        .filter(sessions::revoked_at.is_null())
        .into_boxed();
    if let Some(keep) = keep {
        query = query.filter(sessions::id.ne(keep.clone()));
    }
    query
        .set(sessions::revoked_at.eq(now()))
        .execute(conn)
        .map(|_| ())
}
