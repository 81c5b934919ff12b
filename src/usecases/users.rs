//! Users of an organisation: its admin (or a ministry admin, who opens organisations and makes
//! their first admin) creates, invites, edits and deactivates them; a user edits its own name and
//! language (docs/domain.md section 7). Passwords arrive here already hashed: the hashing is slow
//! work that runs before the transaction, never inside it.

use crate::access::{self, Actor, Caller};
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::organization::{Language, Role};
use crate::domain::text::{Email, Name, NewPassword};
use crate::error::{Error, FieldError};
use crate::storage::models::{OrganizationRow, UserRow};
use crate::storage::users::{self as store, UserChanges};
use crate::storage::{DbConnection, is_unique_violation, now, organizations, sessions};
use crate::usecases::organizations::visible;

/// A user the caller may see (a colleague, or anyone for the ministry); anything else is a 404.
pub fn visible_user(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &UserId,
) -> Result<UserRow, Error> {
    store::find(conn, id)?
        .filter(|u| access::sees_members_of(caller, &u.organization_id.clone()))
        .ok_or_else(Error::not_found)
}

/// Whether the caller may list and create the users of `org` (its admin, or a ministry admin);
/// an organisation it cannot see is a 404.
pub fn manageable(
    conn: &mut DbConnection,
    caller: &Caller,
    org: &OrganizationId,
) -> Result<(), Error> {
    visible(conn, caller, org)?;
    access::manage_members(caller, org)
}

/// A page of an organisation's users.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    org: &OrganizationId,
    after: Option<&UserId>,
    limit: i64,
) -> Result<Vec<UserRow>, Error> {
    manageable(conn, caller, org)?;
    Ok(store::list(conn, org, after, limit)?)
}

/// One user: the user itself, its organisation's admin, or a ministry admin.
/// The caller's own organisation and, for a person, its user (what `GET /me` shows); either gone
/// since the credentials were checked is a 401.
pub fn me(
    conn: &mut DbConnection,
    caller: &Caller,
) -> Result<(OrganizationRow, Option<UserRow>), Error> {
    let org =
        organizations::find(conn, &caller.organization_id)?.ok_or_else(Error::unauthorized)?;
    let user = match &caller.actor {
        Actor::User { .. } => Some(own(conn, caller)?),
        Actor::ApiKey(_) => None,
    };
    Ok((org, user))
}

/// The calling person's own user (an API key has none: `forbidden`); gone since the credentials
/// were checked is a 401.
pub fn own(conn: &mut DbConnection, caller: &Caller) -> Result<UserRow, Error> {
    let (id, _) = access::require_user(caller)?;
    store::find(conn, id)?.ok_or_else(Error::unauthorized)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: &UserId) -> Result<UserRow, Error> {
    let row = visible_user(conn, caller, id)?;
    access::read_member(caller, &row.organization_id.clone(), id)?;
    Ok(row)
}

/// A new user as an admin describes it, checked field by field.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: Email,
    pub full_name: Name,
    pub role: Role,
    pub language: Language,
}

impl NewUser {
    /// The user, and the password to hash if one was given (none: the user is invited by email).
    pub fn parse(
        email: &str,
        full_name: &str,
        role: Role,
        password: Option<&str>,
        language: Option<Language>,
    ) -> Result<(NewUser, Option<NewPassword>), Error> {
        let mut errors = Vec::new();
        let email = Email::parse(email)
            .map_err(|e| errors.push(FieldError::new("email", e)))
            .ok();
        let full_name = Name::parse(full_name)
            .map_err(|e| errors.push(FieldError::new("full_name", e)))
            .ok();
        let password = match password.map(NewPassword::parse) {
            Some(Ok(p)) => Some(Some(p)),
            Some(Err(e)) => {
                errors.push(FieldError::new("password", e));
                None
            }
            None => Some(None),
        };
        match (email, full_name, password) {
            (Some(email), Some(full_name), Some(password)) => Ok((
                NewUser {
                    email,
                    full_name,
                    role,
                    language: language.unwrap_or(Language::English),
                },
                password,
            )),
            _ => Err(Error::invalid(errors)),
        }
    }
}

/// Creates a user in `org` with the password `hash`, or without one: then an email in the user's
/// language carries a single-use link to set it (`email_taken` if the address is in use).
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    org: &OrganizationId,
    new: &NewUser,
    hash: Option<String>,
) -> Result<UserRow, Error> {
    // Checked again inside the transaction: the organisation may have changed meanwhile.
    manageable(conn, caller, org)?;
    let at = now();
    let invited = hash.is_none();
    let row = UserRow {
        id: UserId::generate(),
        organization_id: org.clone(),
        email: new.email.as_str().to_owned(),
        full_name: new.full_name.as_str().to_owned(),
        role: new.role,
        language: new.language,
        password_hash: hash.unwrap_or_default(),
        active: true,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    store::insert(conn, &row).map_err(|e| {
        if is_unique_violation(&e) {
            Error::conflict("email_taken")
        } else {
            e.into()
        }
    })?;
    if invited {
        crate::usecases::accounts::invite(conn, &row)?;
    }
    Ok(row)
}

/// What an edit of a user changes; an absent field stays as it is.
#[derive(Clone, Debug, Default)]
pub struct UserEdit {
    pub full_name: Option<Name>,
    pub language: Option<Language>,
    /// Admins only.
    pub role: Option<Role>,
    /// Admins only; `false` ends every session of the user at once.
    pub active: Option<bool>,
    /// Admins only: sets a new password (hashed before the change) and ends the user's sessions.
    pub password: Option<NewPassword>,
}

impl UserEdit {
    pub fn parse(
        full_name: Option<&str>,
        language: Option<Language>,
        role: Option<Role>,
        active: Option<bool>,
        password: Option<&str>,
    ) -> Result<UserEdit, Error> {
        let mut errors = Vec::new();
        let full_name = full_name.and_then(|n| {
            Name::parse(n)
                .map_err(|e| errors.push(FieldError::new("full_name", e)))
                .ok()
        });
        let password = password.and_then(|p| {
            NewPassword::parse(p)
                .map_err(|e| errors.push(FieldError::new("password", e)))
                .ok()
        });
        if !errors.is_empty() {
            return Err(Error::invalid(errors));
        }
        Ok(UserEdit {
            full_name,
            language,
            role,
            active,
            password,
        })
    }

    /// Whether the edit touches what only admins change.
    pub fn privileged(&self) -> bool {
        self.role.is_some() || self.active.is_some() || self.password.is_some()
    }
}

/// Whether the caller may make an edit of this reach to user `id`: a user its own name and
/// language, an admin the rest of its organisation's users (a ministry admin anyone's). Anything
/// the caller cannot see is a 404.
pub fn editable(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &UserId,
    privileged: bool,
) -> Result<UserRow, Error> {
    let row = visible_user(conn, caller, id)?;
    if privileged || caller.user_id() != Some(id) {
        access::manage_members(caller, &row.organization_id.clone())?;
    }
    Ok(row)
}

/// An admin never locks itself out: it cannot deactivate or demote itself (`self_lockout`), and
/// its own password changes only where the current one is asked for (`own_password`).
pub fn refuse_self_lockout(caller: &Caller, id: &UserId, edit: &UserEdit) -> Result<(), Error> {
    if caller.user_id() != Some(id) {
        return Ok(());
    }
    if edit.active == Some(false) || edit.role.is_some_and(|r| r != Role::Admin) {
        return Err(Error::conflict("self_lockout"));
    }
    if edit.password.is_some() {
        return Err(Error::conflict("own_password"));
    }
    Ok(())
}

/// Applies `edit` to user `id` at `version` (the current one when `None`), with `hash` the hash of
/// the edit's new password. Deactivating a user or setting its password ends its sessions.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &UserId,
    version: Option<i64>,
    edit: &UserEdit,
    hash: Option<String>,
) -> Result<UserRow, Error> {
    let row = editable(conn, caller, id, edit.privileged())?;
    refuse_self_lockout(caller, id, edit)?;
    let version = version.unwrap_or(row.version);
    let ends_sessions = edit.active == Some(false) || hash.is_some();
    let changes = UserChanges {
        full_name: edit.full_name.as_ref().map(|n| n.as_str().to_owned()),
        role: edit.role.map(|r| r.as_str().to_owned()),
        language: edit.language.map(|l| l.as_str().to_owned()),
        active: edit.active,
        password_hash: hash,
    };
    if !store::update(conn, &row.id, version, &changes)? {
        return Err(Error::precondition_failed());
    }
    if ends_sessions {
        sessions::revoke_all_of_user(conn, &row.id, None)?;
    }
    store::find(conn, &row.id)?.ok_or_else(Error::not_found)
}

/// The argon2 hash of a new password, if one was given, taking turns at password work (before
/// the transaction that stores it).
pub async fn hash_password(
    state: &crate::state::AppState,
    password: Option<NewPassword>,
) -> Result<Option<String>, Error> {
    match password {
        Some(p) => Ok(Some(
            state
                .password_work(move || crate::auth::password::hash(p.expose()))
                .await?,
        )),
        None => Ok(None),
    }
}
