//! Credentials that passed the checks needing no database (a token's signature and claims, an API
//! key's shape), and the one query that turns them into a [`Caller`]. That query runs on the
//! connection that does the request's work, so a request hands off to the blocking pool once.

use crate::access::{Actor, Caller, SessionGuard, Standing};
use crate::domain::ids::{SessionId, UserId};
use crate::domain::organization::Role;
use crate::error::Error;
use crate::storage::models::{OrganizationRow, UserRow};
use crate::storage::users::Reader;
use crate::storage::{DbConnection, api_keys, users};

/// A request's credentials, checked as far as they can be without the database.
#[derive(Clone, Debug)]
pub enum Authenticated {
    /// A valid access token of this user's session, and the caller it states, if it does.
    Session {
        user: UserId,
        session: SessionId,
        claimed: Option<Standing>,
    },
    /// An API key of the right shape, by its hash.
    ApiKey { hash: String },
    /// A console session's cookie secret, by its hash.
    Console { hash: String },
}

impl Authenticated {
    /// The caller these credentials stand for: an active user of an active organisation in a live
    /// session, or an unrevoked key of an active organisation. Anything else is a 401.
    pub fn resolve(&self, conn: &mut DbConnection) -> Result<Caller, Error> {
        match self {
            Authenticated::Session { user, session, .. } => {
                let (row, org) =
                    users::resolve_session(conn, session, user)?.ok_or_else(Error::unauthorized)?;
                let role = row.role;
                let actor = Actor::User {
                    id: user.clone(),
                    session: session.clone(),
                };
                caller(actor, role, org)
            }
            Authenticated::Console { hash } => {
                let (session, row, org) =
                    users::resolve_console_session(conn, hash)?.ok_or_else(Error::unauthorized)?;
                console_caller(session, row, org)
            }
            Authenticated::ApiKey { hash } => {
                let (key, org) = api_keys::resolve(conn, hash)?.ok_or_else(Error::unauthorized)?;
                let role = key.role;
                caller(Actor::ApiKey(key.id), role, org)
            }
        }
    }

    /// The caller a session's access token states, unchecked, with the guard a read made as it
    /// must carry (see `AppState::read_guarded`); `None` for other credentials and for tokens
    /// stating none.
    pub fn claimed(&self) -> Option<(Caller, SessionGuard)> {
        match self {
            Authenticated::Session {
                user,
                session,
                claimed: Some(claimed),
            } => Some(claimed.caller(user, session)),
            _ => None,
        }
    }

    /// The caller of a console page and what the page's frame shows of it, from one statement.
    /// Only a console session has a frame: other credentials are a 401 here.
    pub fn resolve_reader(&self, conn: &mut DbConnection) -> Result<(Caller, Reader), Error> {
        let Authenticated::Console { hash } = self else {
            return Err(Error::unauthorized());
        };
        let (session, row, org, unread) =
            users::resolve_console_reader(conn, hash)?.ok_or_else(Error::unauthorized)?;
        let reader = Reader {
            full_name: row.full_name.clone(),
            language: row.language,
            organization_name: org.name.clone(),
            organization_name_ar: org.name_ar.clone(),
            unread,
        };
        Ok((console_caller(session, row, org)?, reader))
    }
}

/// The caller of a console session, from its row, its user's and its organisation's.
fn console_caller(session: SessionId, row: UserRow, org: OrganizationRow) -> Result<Caller, Error> {
    let actor = Actor::User {
        id: row.id,
        session,
    };
    caller(actor, row.role, org)
}

/// What an access token states of the caller of a user of an organisation.
pub fn claimed_of(user: &UserRow, org: &OrganizationRow) -> Standing {
    standing(user.role, org)
}

/// The standing of a user or key of an organisation, in its role.
fn standing(role: Role, org: &OrganizationRow) -> Standing {
    Standing {
        organization_id: org.id.clone(),
        kind: org.kind,
        role,
        country: org.country.clone(),
        parent_id: org.parent_id.clone(),
    }
}

fn caller(actor: Actor, role: Role, org: OrganizationRow) -> Result<Caller, Error> {
    Ok(Caller {
        actor,
        standing: standing(role, &org),
    })
}
