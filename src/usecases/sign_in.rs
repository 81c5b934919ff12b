//! Signing in with an email and a password, for the API (a token pair) and the console (a cookie):
//! the same waits after failures, the same answer whether or not the email exists, one session
//! table. The password is checked off the async workers and outside any transaction.

use chrono::{Duration as ChronoDuration, NaiveDateTime};

use crate::access;
use crate::access::{Caller, Standing};
use crate::auth::credentials::Authenticated;
use crate::auth::credentials::claimed_of;
use crate::auth::password;
use crate::auth::throttle::{self, Counter};
use crate::domain::Invalid;
use crate::domain::ids::{SessionId, UserId};
use crate::domain::organization::{Language, OrgStatus};
use crate::domain::text::NewPassword;
use crate::error::{Error, Kind};
use crate::state::AppState;
use crate::storage::models::SessionRow;
use crate::storage::sessions::Rotation;
use crate::storage::users::UserChanges;
use crate::storage::{DbConnection, now, sessions, users};

/// What a successful sign-in opens.
pub enum Opening {
    /// An API session, continued with this refresh token.
    Api {
        refresh_hash: String,
        refresh_expires_at: NaiveDateTime,
    },
    /// A console session, found by the hash of its cookie's secret.
    Console { secret_hash: String },
}

/// Who signed in, and the session opened for them.
pub struct SignedIn {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub language: Language,
    /// What the session's access tokens state of its caller.
    pub claimed: Standing,
}

/// Checks the email and password (charging the attempt to the login counters of the email and
/// the caller's `address`) and opens a session. An unknown email, a wrong password, a user
/// without a password yet and an inactive account all get `invalid_credentials`, in similar time.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: String,
    address: &str,
    opening: Opening,
) -> Result<SignedIn, Error> {
    let email = email.trim().to_lowercase();
    let counters = throttle::login_counters(&state.settings.login_limits, &email, address);
    throttled(state, &counters).await?;
    let max_age =
        ChronoDuration::from_std(state.settings.session_max_age).unwrap_or(ChronoDuration::days(7));
    let found = state
        .db(move |conn| Ok(users::find_by_email(conn, &email)?))
        .await?;
    let (user_id, language, claimed) = state
        .password_work(move || match found {
            Some((user, org)) => {
                let ok = if user.password_hash.is_empty() {
                    password::verify_decoy(&password);
                    false
                } else {
                    password::verify(&password, &user.password_hash)
                };
                (ok && user.active && org.status == OrgStatus::Active)
                    .then(|| (user.id.clone(), user.language, claimed_of(&user, &org)))
            }
            None => {
                password::verify_decoy(&password);
                None
            }
        })
        .await?
        .ok_or_else(|| Error::new(Kind::Unauthorized, "invalid_credentials"))?;
    succeeded(state, &counters).await?;
    let (user_id, session_id) = state
        .write_unauthenticated(move |conn| {
            let console = match &opening {
                Opening::Console { secret_hash } => Some(secret_hash.clone()),
                Opening::Api { .. } => None,
            };
            let session = SessionRow {
                id: SessionId::generate(),
                user_id: user_id.clone(),
                created_at: now(),
                expires_at: now() + max_age,
                revoked_at: None,
                console_secret_hash: console,
            };
            match &opening {
                Opening::Api {
                    refresh_hash,
                    refresh_expires_at,
                } => sessions::create(conn, &session, refresh_hash, *refresh_expires_at)?,
                Opening::Console { .. } => sessions::create_console(conn, &session)?,
            }
            Ok((user_id.clone(), session.id))
        })
        .await?;
    Ok(SignedIn {
        user_id,
        session_id,
        language,
        claimed,
    })
}

/// Charges an attempt to its counters; `429` with `Retry-After` while one says wait.
pub async fn throttled(state: &AppState, counters: &[Counter]) -> Result<(), Error> {
    let counters = counters.to_vec();
    let window = state.settings.login_limits.window;
    state
        .transaction(move |conn| throttle::attempt(conn, &counters, window))
        .await
}

/// Clears the counters of an attempt that succeeded.
pub async fn succeeded(state: &AppState, counters: &[Counter]) -> Result<(), Error> {
    let counters = counters.to_vec();
    state
        .transaction(move |conn| throttle::succeeded(conn, &counters))
        .await
}

/// Changes the caller's own password, `current` being its present one: every other session of
/// the user ends, this one goes on. A wrong current password counts as a failed sign-in of the
/// account from `address` (the waits add up); an API key has no password (403).
pub async fn change_password(
    state: &AppState,
    auth: Authenticated,
    address: &str,
    current: String,
    new_password: &str,
) -> Result<(), Error> {
    let (user_id, session_id, user) = state
        .read(auth.clone(), move |conn, caller| {
            let (user_id, session_id) = access::require_user(caller)?;
            let user = users::find(conn, user_id)?.ok_or_else(Error::unauthorized)?;
            Ok((user_id.clone(), session_id.clone(), user))
        })
        .await?;
    let new_password =
        NewPassword::parse(new_password).map_err(|e| Error::invalid_field("new_password", e))?;
    let counters = throttle::login_counters(&state.settings.login_limits, &user.email, address);
    throttled(state, &counters).await?;
    let stored = user.password_hash.clone();
    let hash = state
        .password_work(move || {
            password::verify(&current, &stored).then(|| password::hash(new_password.expose()))
        })
        .await?
        .ok_or_else(|| Error::invalid_field("current_password", Invalid::new("wrong_password")))?;
    succeeded(state, &counters).await?;
    state
        .write(auth, move |conn, _| {
            let changes = UserChanges {
                password_hash: Some(hash.clone()),
                ..UserChanges::default()
            };
            if !users::update(conn, &user_id, user.version, &changes)? {
                return Err(Error::precondition_failed());
            }
            sessions::revoke_all_of_user(conn, &user_id, Some(&session_id))?;
            Ok(())
        })
        .await
}

/// Continues an API session: the refresh token presented (by its hash) is exchanged for a new one
/// expiring at `expires_at`, or the session is ended if that token had been used before. Run in
/// a write transaction.
pub fn refresh(
    conn: &mut DbConnection,
    presented_hash: &str,
    new_hash: &str,
    expires_at: NaiveDateTime,
) -> Result<Rotation, Error> {
    Ok(sessions::rotate(
        conn,
        presented_hash,
        new_hash,
        expires_at,
    )?)
}

/// Ends the caller's session at once (a person's: an API key has none, `forbidden`). Ending a
/// session that has ended already changes nothing.
pub fn sign_out(conn: &mut DbConnection, caller: &Caller) -> Result<(), Error> {
    let (_, session) = access::require_user(caller)?;
    Ok(sessions::revoke(conn, session)?)
}
