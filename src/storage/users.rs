//! Users of organisations.

use diesel::prelude::*;

use super::models::{OrganizationRow, UserRow};
use super::schema::{organizations, sessions, users};
use super::{DbConnection, now};
use crate::domain::ids::{OrganizationId, SessionId, UserId};
use crate::domain::organization::Language;

pub fn insert(conn: &mut DbConnection, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &UserId) -> QueryResult<Option<UserRow>> {
    users::table.find(id).first(conn).optional()
}

pub fn find_by_email(
    conn: &mut DbConnection,
    email: &str,
) -> QueryResult<Option<(UserRow, OrganizationRow)>> {
    users::table
        .inner_join(organizations::table)
        .filter(users::email.eq(email))
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
    after: Option<&UserId>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table
        .filter(users::organization_id.eq(organization_id.clone()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(users::id.gt(after.clone()));
    }
    query.order(users::id.asc()).limit(limit).load(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// Sessions that still hold, joined to their users and organisations: neither revoked nor
/// expired, the user active, the organisation active. Every way of finding a caller from a
/// session (a token's, a console cookie's, the guard a token's read carries) starts from these.
///
/// `live_sessions!(aside)` joins the organisations under an alias of their own: the form a guard
/// takes in a statement that reads `organizations` itself (see [`session_holds`]).
macro_rules! live_sessions {
    () => {{
        use $crate::storage::schema::{organizations, sessions, users};
        $crate::storage::users::live_sessions!(@live
            sessions::table.inner_join(users::table.inner_join(organizations::table)),
            organizations::status)
    }};
    (aside) => {{
        use $crate::storage::schema::{organizations, sessions, users};
        let own = diesel::alias!(organizations as session_organizations);
        $crate::storage::users::live_sessions!(@live
            sessions::table.inner_join(
                users::table.inner_join(
                    own.on(own.field(organizations::id).eq(users::organization_id)),
                ),
            ),
            own.field(organizations::status))
    }};
    (@live $joined:expr, $organization_status:expr) => {{
        use $crate::domain::organization::OrgStatus;
        $joined
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt($crate::storage::now()))
            .filter(users::active.eq(true))
            .filter($organization_status.eq(OrgStatus::Active))
    }};
}
pub(crate) use live_sessions;

/// The user and organisation behind a live session ([`live_sessions`]). `None` means the
/// credentials no longer hold. Most requests begin with it: it runs on the backend's own
/// connection, which keeps its statement prepared without writing its SQL again.
pub fn resolve_session(
    conn: &mut DbConnection,
    session_id: &SessionId,
    user_id: &UserId,
) -> QueryResult<Option<(UserRow, OrganizationRow)>> {
    super::per_backend!(conn, c => live_sessions!()
        .filter(sessions::id.eq(session_id))
        .filter(sessions::user_id.eq(user_id))
        .select((users::all_columns, organizations::all_columns))
        .first(c)
        .optional())
}

/// Whether a read made as a caller a token states may stand (see `access::SessionGuard`): an
/// `EXISTS` over the session among the [`live_sessions`], with the organisation and role the token
/// states, for the statement that reads to carry. `session_holds!(guard, aside)` for a statement
/// that reads `organizations` itself.
macro_rules! session_holds {
    ($guard:expr $(, $aside:ident)?) => {{
        use $crate::storage::schema::{sessions, users};
        let guard: &$crate::access::SessionGuard = $guard;
        diesel::dsl::exists(
            $crate::storage::users::live_sessions!($($aside)?)
                .filter(sessions::id.eq(guard.session.clone()))
                .filter(sessions::user_id.eq(guard.user.clone()))
                .filter(users::organization_id.eq(guard.organization_id.clone()))
                .filter(users::role.eq(guard.role))
                .select(sessions::id),
        )
    }};
}
pub(crate) use session_holds;

type ConsoleSessions = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::InnerJoin<
        sessions::table,
        diesel::dsl::InnerJoin<users::table, organizations::table>,
    >,
    super::MultiBackend,
>;

/// The live console session whose cookie secret hashes to `secret_hash`, joined to its user and
/// organisation, both active.
fn live_console_session(secret_hash: &str) -> ConsoleSessions {
    live_sessions!()
        .filter(sessions::console_secret_hash.eq(secret_hash.to_owned()))
        .into_boxed()
}

/// The live console session whose cookie secret hashes to `secret_hash`, with its user and
/// organisation, both active: the one query that resolves a console caller.
pub fn resolve_console_session(
    conn: &mut DbConnection,
    secret_hash: &str,
) -> QueryResult<Option<(SessionId, UserRow, OrganizationRow)>> {
    live_console_session(secret_hash)
        .select((sessions::id, users::all_columns, organizations::all_columns))
        .first(conn)
        .optional()
}

/// [`resolve_console_session`] with what a console page's frame shows besides: its
/// organisation's unread notifications, counted in the same statement.
pub fn resolve_console_reader(
    conn: &mut DbConnection,
    secret_hash: &str,
) -> QueryResult<Option<(SessionId, UserRow, OrganizationRow, i64)>> {
    use super::schema::notifications;
    let unread = notifications::table
        .filter(notifications::organization_id.eq(users::organization_id))
        .filter(notifications::read_at.is_null())
        .count()
        .single_value();
    live_console_session(secret_hash)
        .select((
            sessions::id,
            users::all_columns,
            organizations::all_columns,
            unread,
        ))
        .first::<(SessionId, UserRow, OrganizationRow, Option<i64>)>(conn)
        .optional()
        .map(|found| found.map(|(id, user, org, unread)| (id, user, org, unread.unwrap_or(0))))
}

/// Changes of `PATCH /users/{id}`; `None` leaves a column as it is.
#[derive(AsChangeset, Default, Debug)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub full_name: Option<String>,
    pub role: Option<String>,
    pub language: Option<String>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

/// Applies the changes if the row still has `expected_version`; `false` when it moved on.
pub fn update(
    conn: &mut DbConnection,
    id: &UserId,
    expected_version: i64,
    changes: &UserChanges,
) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::version.eq(expected_version)),
    )
    .set((
        changes,
        users::version.eq(expected_version + 1),
        users::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Sets a user's password hash (from a password link), whatever its version, and moves the
/// version on.
pub fn set_password(conn: &mut DbConnection, id: &UserId, password_hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Saves a user's language, as a new version of the user.
pub fn set_language(conn: &mut DbConnection, id: &UserId, lang: Language) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::language.eq(lang),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// What a console page's frame shows of its reader, in one statement: the user's name and
/// language, its organisation's names, and the organisation's unread notifications.
pub struct Reader {
    pub full_name: String,
    pub language: Language,
    pub organization_name: String,
    pub organization_name_ar: String,
    pub unread: i64,
}

pub fn reader(
    conn: &mut DbConnection,
    user_id: &UserId,
    organization_id: &OrganizationId,
) -> QueryResult<Option<Reader>> {
    use super::schema::notifications;
    let unread = notifications::table
        .filter(notifications::organization_id.eq(organization_id.clone()))
        .filter(notifications::read_at.is_null())
        .count()
        .single_value();
    users::table
        .inner_join(organizations::table)
        .filter(users::id.eq(user_id))
        .filter(users::organization_id.eq(organization_id))
        .select((
            users::full_name,
            users::language,
            organizations::name,
            organizations::name_ar,
            unread,
        ))
        .first::<(String, Language, String, String, Option<i64>)>(conn)
        .optional()
        .map(|row| {
            row.map(|(full_name, language, name, name_ar, unread)| Reader {
                full_name,
                language,
                organization_name: name,
                organization_name_ar: name_ar,
                unread: unread.unwrap_or(0),
            })
        })
}
