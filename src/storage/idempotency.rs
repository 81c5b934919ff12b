//! Creation requests by `Idempotency-Key` (R10): the first answer, kept to be given again.

use diesel::prelude::*;

use super::schema::idempotent_requests;
use super::{DbConnection, now};
use crate::access::SessionGuard;
use crate::domain::ids::OrganizationId;

/// The first answer to a creation request with this key: (request hash, response body); with
/// the `guard` of a caller read from its token, only while its session holds.
pub fn reply(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
    key: &str,
    guard: Option<&SessionGuard>,
) -> QueryResult<Option<(String, String)>> {
    let reply = idempotent_requests::table
        .find((organization_id, key))
        .select((
            idempotent_requests::request_hash,
            idempotent_requests::response_body,
        ));
    match guard {
        Some(guard) => reply
            .filter(super::users::session_holds!(guard))
            .first(conn)
            .optional(),
        None => reply.first(conn).optional(),
    }
}

/// Keeps the answer; a unique violation means a racing request with the same key won.
pub fn remember(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
    key: &str,
    request_hash: &str,
    response_body: &str,
) -> QueryResult<()> {
    diesel::insert_into(idempotent_requests::table)
        .values((
            idempotent_requests::organization_id.eq(organization_id),
            idempotent_requests::idempotency_key.eq(key),
            idempotent_requests::request_hash.eq(request_hash),
            idempotent_requests::response_body.eq(response_body),
            idempotent_requests::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}
