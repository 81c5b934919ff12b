//! Accounts without an administrator's password: a user invited by email sets a first password
//! through a single-use link, and a user who forgot one asks for a link to set another. Links are
//! random 256-bit secrets kept only as hashes; using one ends every other link and every session
//! of its user. Asking for a reset never says whether the email belongs to anyone.

use chrono::Duration;

use crate::access::Caller;
use crate::auth::secret;
use crate::domain::Invalid;
use crate::domain::ids::UserId;
use crate::domain::organization::{Language, OrgStatus};
use crate::error::Error;
use crate::notify::account::{self, AccountMail};
use crate::storage::models::UserRow;
use crate::storage::{DbConnection, now, organizations, sessions, user_tokens, users};

/// How long an invitation link works.
pub const INVITATION_HOURS: i64 = 72;
/// How long a reset link works.
pub const RESET_HOURS: i64 = 1;

/// What a password link's secret starts with.
pub const LINK_PREFIX: &str = "etp_";

/// Issues a link for `user` and queues its email. Run inside the write transaction that made the
/// user (an invitation) or took the request (a reset).
fn send_link(conn: &mut DbConnection, user: &UserRow, mail: AccountMail) -> Result<(), Error> {
    let (purpose, hours) = match mail {
        AccountMail::Invitation => ("invitation", INVITATION_HOURS),
        AccountMail::Reset => ("reset", RESET_HOURS),
    };
    let token = secret::generate(LINK_PREFIX);
    let at = now();
    user_tokens::issue(
        conn,
        &secret::hash(&token),
        &user.id,
        purpose,
        at,
        at + Duration::hours(hours),
    )?;
    // The organisation as the reader names it.
    let (name, name_ar) = organizations::both_names(conn, &user.organization_id)?;
    let organization = if user.language == Language::Arabic && !name_ar.is_empty() {
        name_ar
    } else {
        name
    };
    account::send(conn, mail, user, &organization, &token, hours)?;
    Ok(())
}

/// Invites a user just created without a password: a link to set one, valid
/// [`INVITATION_HOURS`], by email in the user's language.
pub fn invite(conn: &mut DbConnection, user: &UserRow) -> Result<(), Error> {
    send_link(conn, user, AccountMail::Invitation)
}

/// "Forgot password": a link valid [`RESET_HOURS`] to the active user of `email`, if there is
/// one; the caller is told nothing either way.
pub fn request_reset(conn: &mut DbConnection, email: &str) -> Result<(), Error> {
    if let Some((user, organization)) = users::find_by_email(conn, email)?
        && user.active
        && organization.status == OrgStatus::Active
    {
        send_link(conn, &user, AccountMail::Reset)?;
    }
    Ok(())
}

/// Whether a link can still be used (for the page that asks for the new password).
pub fn link_is_live(conn: &mut DbConnection, token: &str) -> Result<bool, Error> {
    Ok(user_tokens::live(conn, &secret::hash(token.trim()), now())?)
}

/// Sets the password of a link's user to `password_hash` (checked and hashed by the caller). The
/// link is used up, the user's other links too, and every session of the user ends. An unknown,
/// used or expired link is refused (`token`: `invalid_token`) and changes nothing.
pub fn set_password(
    conn: &mut DbConnection,
    token: &str,
    password_hash: &str,
) -> Result<UserId, Error> {
    let invalid = || Error::invalid_field("token", Invalid::new("invalid_token"));
    let at = now();
    let (user_id, _) =
        user_tokens::redeem(conn, &secret::hash(token.trim()), at)?.ok_or_else(invalid)?;
    let user = users::find(conn, &user_id)?
        .filter(|u| u.active)
        .ok_or_else(invalid)?;
    users::set_password(conn, &user.id, password_hash)?;
    user_tokens::void_all_of_user(conn, &user.id, at)?;
    sessions::revoke_all_of_user(conn, &user.id, None)?;
    Ok(user.id)
}

/// Saves the language the caller, a user, reads the portal in (the console's switch).
pub fn set_language(conn: &mut DbConnection, caller: &Caller, lang: Language) -> Result<(), Error> {
    let crate::access::Actor::User { id, .. } = &caller.actor else {
        return Err(Error::forbidden());
    };
    users::set_language(conn, id, lang)?;
    Ok(())
}
