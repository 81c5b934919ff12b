//! Credentials that passed the checks needing no database (a token's signature and claims, an API
//! key's shape), and the one query that turns them into a [`Caller`]. That query runs on the
//! connection that does the request's work, so a request hands off to the blocking pool once.

use crate::access::{Actor, Caller};
use crate::domain::ids::{ApiKeyId, OrganizationId, SessionId, UserId};
use crate::domain::organization::Role;
use crate::error::Error;
use crate::storage::models::OrganizationRow;
use crate::storage::users::Reader;
use crate::storage::{DbConnection, api_keys, users};

/// A request's credentials, checked as far as they can be without the database.
#[derive(Clone, Debug)]
pub enum Authenticated {
    /// A valid access token of this user's session.
    Session { user: UserId, session: SessionId },
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
            Authenticated::Session { user, session } => {
                let (row, org) = users::resolve_session(conn, session.as_str(), user.as_str())?
                    .ok_or_else(Error::unauthorized)?;
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
                let role = row.role;
                let actor = Actor::User {
                    id: UserId::from_stored(row.id),
                    session: SessionId::from_stored(session),
                };
                caller(actor, role, org)
            }
            Authenticated::ApiKey { hash } => {
                let (key, org) = api_keys::resolve(conn, hash)?.ok_or_else(Error::unauthorized)?;
                let role = key.role;
                caller(Actor::ApiKey(ApiKeyId::from_stored(key.id)), role, org)
            }
        }
    }
}

impl Authenticated {
    /// The caller and what a console page's frame shows of it: for a console session both come
    /// from one statement; other credentials take a second one for the reader.
    pub fn resolve_reader(&self, conn: &mut DbConnection) -> Result<(Caller, Reader), Error> {
        let Authenticated::Console { hash } = self else {
            let caller = self.resolve(conn)?;
            let Actor::User { id, .. } = &caller.actor else {
                return Err(Error::unauthorized());
            };
            let reader = users::reader(conn, id.as_str(), caller.organization_id.as_str())?
                .ok_or_else(Error::unauthorized)?;
            return Ok((caller, reader));
        };
        let (session, row, org, unread) =
            users::resolve_console_reader(conn, hash)?.ok_or_else(Error::unauthorized)?;
        let reader = Reader {
            full_name: row.full_name,
            language: row.language,
            organization_name: org.name.clone(),
            organization_name_ar: org.name_ar.clone(),
            unread,
        };
        let actor = Actor::User {
            id: UserId::from_stored(row.id),
            session: SessionId::from_stored(session),
        };
        Ok((caller(actor, row.role, org)?, reader))
    }
}

fn caller(actor: Actor, role: Role, org: OrganizationRow) -> Result<Caller, Error> {
    Ok(Caller {
        actor,
        role,
        kind: org.kind,
        organization_id: OrganizationId::from_stored(org.id),
        country: org.country,
        parent_id: org.parent_id.map(OrganizationId::from_stored),
    })
}
