//! The access layer: the one place that decides what a caller may see and do.
//!
//! Two questions, always in this order:
//! 1. may the caller see the thing? If not, it does not exist for it: 404, never counted;
//! 2. may the caller's role take this action on it? If not: 403.
//!
//! Handlers and queries ask this module; they never decide on their own. Scopes are plain data
//! that the storage layer turns into SQL, so lists, single reads and counts share one rule.

use crate::domain::contract::Party;
use crate::domain::ids::{ApiKeyId, OrganizationId, SessionId, UserId};
use crate::domain::organization::{OrgKind, Role};
use crate::error::Error;

/// Who is acting: a person, or an organisation's system through an API key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User { id: UserId, session: SessionId },
    ApiKey(ApiKeyId),
}

/// An authenticated caller, as resolved from its credentials (active user, active organisation):
/// who acts, and the standing it acts in. Reads of the standing's fields go through the caller
/// (`caller.organization_id`, `caller.role`, ...).
#[derive(Clone, Debug)]
pub struct Caller {
    pub actor: Actor,
    pub standing: Standing,
}

impl std::ops::Deref for Caller {
    type Target = Standing;

    fn deref(&self) -> &Standing {
        &self.standing
    }
}

/// The organisation a caller acts for (its kind, country and parent) and the caller's role in it.
/// A session's access token states the standing its user had when the token was issued; such a
/// statement is never trusted alone: a read made as it carries a [`SessionGuard`] that holds only
/// while the session, the user and the organisation are still live and the same (see
/// `AppState::read_guarded`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub organization_id: OrganizationId,
    pub kind: OrgKind,
    pub role: Role,
    pub country: Option<String>,
    pub parent_id: Option<OrganizationId>,
}

/// What a read made as the [`Standing`] a token states must find still true in the statement that reads:
/// the session live (neither revoked nor expired), its user active, of this organisation and in
/// this role, the organisation active.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionGuard {
    pub session: SessionId,
    pub user: UserId,
    pub organization_id: OrganizationId,
    pub role: Role,
}

impl Standing {
    /// The caller of a session whose token states this standing, and the guard its reads carry.
    pub fn caller(&self, user: &UserId, session: &SessionId) -> (Caller, SessionGuard) {
        let guard = SessionGuard {
            session: session.clone(),
            user: user.clone(),
            organization_id: self.organization_id.clone(),
            role: self.role,
        };
        let caller = Caller {
            actor: Actor::User {
                id: user.clone(),
                session: session.clone(),
            },
            standing: self.clone(),
        };
        (caller, guard)
    }
}

impl Caller {
    pub fn is_ministry(&self) -> bool {
        self.kind == OrgKind::Ministry
    }

    pub fn user_id(&self) -> Option<&UserId> {
        match &self.actor {
            Actor::User { id, .. } => Some(id),
            Actor::ApiKey(_) => None,
        }
    }

    /// The acting user's or API key's id, for records of who did what.
    pub fn actor_ids(&self) -> (Option<UserId>, Option<ApiKeyId>) {
        match &self.actor {
            Actor::User { id, .. } => (Some(id.clone()), None),
            Actor::ApiKey(key) => (None, Some(key.clone())),
        }
    }

    fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    fn is_ministry_admin(&self) -> bool {
        self.is_ministry() && self.is_admin()
    }
}

/// Which organisations a caller can see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgScope {
    All,
    Limited {
        /// Always the caller's own organisation.
        own: OrganizationId,
        /// An office sees the agencies under it.
        children_of: Option<OrganizationId>,
        /// An agency sees its country's office.
        parent: Option<OrganizationId>,
        /// Kinds every caller of this kind sees (the ministry; for clients, service providers).
        public_kinds: Vec<OrgKind>,
    },
}

/// docs/domain.md section 7: the ministry sees everything. Every organisation sees itself and the
/// ministry; an office sees its agencies and an agency its office; clients see the service providers
/// they can contract with.
pub fn organization_scope(caller: &Caller) -> OrgScope {
    if caller.is_ministry() {
        return OrgScope::All;
    }
    let mut public_kinds = vec![OrgKind::Ministry];
    if caller.kind.is_client() {
        public_kinds.push(OrgKind::ServiceProvider);
    }
    OrgScope::Limited {
        own: caller.organization_id.clone(),
        children_of: (caller.kind == OrgKind::HajjOffice).then(|| caller.organization_id.clone()),
        parent: if caller.kind == OrgKind::Agency {
            caller.parent_id.clone()
        } else {
            None
        },
        public_kinds,
    }
}

/// Whether an organisation (its id, kind and parent) lies inside a scope. Mirrors the SQL filter of
/// the storage layer; used where a row is already at hand.
pub fn scope_contains(
    scope: &OrgScope,
    id: &OrganizationId,
    kind: OrgKind,
    parent: Option<&OrganizationId>,
) -> bool {
    match scope {
        OrgScope::All => true,
        OrgScope::Limited {
            own,
            children_of,
            parent: own_parent,
            public_kinds,
        } => {
            id == own
                || public_kinds.contains(&kind)
                || own_parent.as_ref() == Some(id)
                || (children_of.is_some() && children_of.as_ref() == parent)
        }
    }
}

/// Opening organisations, suspending them, assigning tawafa countries and authority grants.
pub fn manage_organizations(caller: &Caller) -> Result<(), Error> {
    allow(caller.is_ministry_admin())
}

/// Whether an organisation's private settings (tawafa countries, authority grants) show.
pub fn sees_organization_settings(caller: &Caller, org: &OrganizationId) -> bool {
    caller.is_ministry() || &caller.organization_id == org
}

/// Users of an organisation: the caller sees them if they are colleagues, or if it is the ministry.
pub fn sees_members_of(caller: &Caller, org: &OrganizationId) -> bool {
    caller.is_ministry() || &caller.organization_id == org
}

/// Listing, creating and editing an organisation's users: its own admin, or a ministry admin (who
/// opens new organisations and creates their first admin). Call after visibility was checked.
pub fn manage_members(caller: &Caller, org: &OrganizationId) -> Result<(), Error> {
    allow(caller.is_admin() && (caller.is_ministry() || &caller.organization_id == org))
}

/// Reading one user: admins who manage the organisation, and the user itself.
pub fn read_member(caller: &Caller, org: &OrganizationId, user: &UserId) -> Result<(), Error> {
    if caller.user_id() == Some(user) {
        return Ok(());
    }
    manage_members(caller, org)
}

/// API keys are the organisation's own credentials: only its own admin makes them.
pub fn create_api_key(caller: &Caller, org: &OrganizationId) -> Result<(), Error> {
    allow(caller.is_admin() && &caller.organization_id == org)
}

/// Listing and revoking keys: the organisation's admin, or a ministry admin (incident response).
pub fn manage_api_keys(caller: &Caller, org: &OrganizationId) -> Result<(), Error> {
    manage_members(caller, org)
}

/// Actions only a person can take (changing a password, logging out).
pub fn require_user(caller: &Caller) -> Result<(&UserId, &SessionId), Error> {
    match &caller.actor {
        Actor::User { id, session } => Ok((id, session)),
        Actor::ApiKey(_) => Err(Error::forbidden()),
    }
}

/// The ministry's review queue: its staff, viewers included (only officers and admins decide).
pub fn review_queue(caller: &Caller) -> Result<(), Error> {
    allow(caller.is_ministry())
}

/// Work only a ministry officer or admin does: seasons, quotas, allocations to offices, extensions,
/// reviews.
pub fn ministry_work(caller: &Caller) -> Result<(), Error> {
    allow(caller.is_ministry() && caller.role.can_act())
}

/// Work the caller's organisation does itself (filing, accepting, allocating to its agencies):
/// officers and admins, never viewers.
pub fn act(caller: &Caller) -> Result<(), Error> {
    allow(caller.role.can_act())
}

/// Filing contracts and planning pilgrims: offices and agencies, never their viewers.
pub fn file_contracts(caller: &Caller) -> Result<(), Error> {
    allow(caller.kind.is_client() && caller.role.can_act())
}

/// Registering and editing facilities: service providers, never their viewers.
pub fn register_facilities(caller: &Caller) -> Result<(), Error> {
    allow(caller.kind == OrgKind::ServiceProvider && caller.role.can_act())
}

/// Renaming a facility or changing its capacity: its own provider, never its viewers.
pub fn change_facility(caller: &Caller, provider_id: &OrganizationId) -> Result<(), Error> {
    if caller.organization_id != *provider_id {
        return Err(Error::forbidden());
    }
    act(caller)
}

/// Recording bank transfers and setting payment schedules (docs/domain.md section 11): the
/// ministry's officers and admins.
pub fn manage_money(caller: &Caller) -> Result<(), Error> {
    allow(caller.is_ministry() && caller.role.can_act())
}

/// The season's money as a whole (every organisation's totals): the ministry.
pub fn season_money(caller: &Caller) -> Result<(), Error> {
    allow(caller.is_ministry())
}

/// Whether a caller deals in money at all: tawafa establishments and authorities never see it.
pub fn sees_money(caller: &Caller) -> bool {
    sees_prices(caller)
}

/// Whether a caller sees an organisation's accounts (given its parent): the ministry every
/// organisation's; an office its own and its agencies'; an agency or a provider its own.
pub fn sees_money_of(
    caller: &Caller,
    organization: &OrganizationId,
    parent: Option<&OrganizationId>,
) -> bool {
    if caller.is_ministry() {
        return true;
    }
    sees_money(caller)
        && (&caller.organization_id == organization
            || (caller.kind == OrgKind::HajjOffice && parent == Some(&caller.organization_id)))
}

/// Whether a caller sees a document of this kind on a record it sees (docs/domain.md section 12):
/// every kind, but a signed contract (which states its prices) only to those who see prices.
pub fn sees_document(caller: &Caller, kind: crate::domain::document::DocumentKind) -> bool {
    kind != crate::domain::document::DocumentKind::SignedContract || sees_prices(caller)
}

/// Attaching documents to a record the caller sees: `owners` are the organisations whose record it
/// is (a facility's provider; a contract's client and provider; an inspection's inspector), and
/// the ministry on contracts and inspections (`ministry`); the caller must be able to act.
pub fn attach_documents(
    caller: &Caller,
    owners: &[&OrganizationId],
    ministry: bool,
) -> Result<(), Error> {
    allow(owners.contains(&&caller.organization_id) || (ministry && caller.is_ministry()))?;
    act(caller)
}

/// Withdrawing a document: the organisation that uploaded it, by someone who can act.
pub fn withdraw_document(caller: &Caller, uploader: &OrganizationId) -> Result<(), Error> {
    allow(caller.organization_id == *uploader)?;
    act(caller)
}

/// Whether prices show: never to tawafa establishments or authorities.
pub fn sees_prices(caller: &Caller) -> bool {
    !matches!(caller.kind, OrgKind::Tawafa | OrgKind::Authority)
}

/// Quotas and allocations a caller sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocationScope {
    All,
    /// An office: its own allocation and its agencies'; its country's quota.
    Office {
        office: OrganizationId,
        country: Option<String>,
    },
    /// An agency: its own allocation; its country's quota.
    Agency {
        agency: OrganizationId,
        country: Option<String>,
    },
    Nothing,
}

pub fn allocation_scope(caller: &Caller) -> AllocationScope {
    match caller.kind {
        OrgKind::Ministry => AllocationScope::All,
        OrgKind::HajjOffice => AllocationScope::Office {
            office: caller.organization_id.clone(),
            country: caller.country.clone(),
        },
        OrgKind::Agency => AllocationScope::Agency {
            agency: caller.organization_id.clone(),
            country: caller.country.clone(),
        },
        _ => AllocationScope::Nothing,
    }
}

/// Facilities a caller sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FacilityScope {
    All,
    /// A provider: its own facilities.
    Provider(OrganizationId),
    /// Clients browse the facilities of active providers, to contract with them.
    ActiveProviders,
    Nothing,
}

pub fn facility_scope(caller: &Caller) -> FacilityScope {
    match caller.kind {
        OrgKind::Ministry => FacilityScope::All,
        OrgKind::ServiceProvider => FacilityScope::Provider(caller.organization_id.clone()),
        OrgKind::HajjOffice | OrgKind::Agency => FacilityScope::ActiveProviders,
        OrgKind::Tawafa | OrgKind::Authority => FacilityScope::Nothing,
    }
}

/// Contracts a caller sees (docs/domain.md section 7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContractScope {
    All,
    /// An agency: its own contracts.
    Client(OrganizationId),
    /// An office: its own and its agencies' contracts.
    Office(OrganizationId),
    /// A provider: contracts addressed to it.
    Provider(OrganizationId),
    /// A tawafa establishment: contracts of clients from the countries assigned to it.
    TawafaCountries(OrganizationId),
    Nothing,
}

pub fn contract_scope(caller: &Caller) -> ContractScope {
    contract_scope_of(caller.kind, &caller.organization_id)
}

/// [`contract_scope`] of an organisation of `kind`, whoever acts for it.
pub fn contract_scope_of(kind: OrgKind, organization: &OrganizationId) -> ContractScope {
    let own = organization.clone();
    match kind {
        OrgKind::Ministry => ContractScope::All,
        OrgKind::HajjOffice => ContractScope::Office(own),
        OrgKind::Agency => ContractScope::Client(own),
        OrgKind::ServiceProvider => ContractScope::Provider(own),
        OrgKind::Tawafa => ContractScope::TawafaCountries(own),
        OrgKind::Authority => ContractScope::Nothing,
    }
}

/// The part the caller plays in a contract it can see, if any: its client, its provider, or the
/// ministry. An office seeing an agency's contract, or a tawafa establishment, plays none.
pub fn party(
    caller: &Caller,
    client_id: &OrganizationId,
    provider_id: &OrganizationId,
) -> Option<Party> {
    let own = &caller.organization_id;
    if own == client_id {
        Some(Party::Client)
    } else if own == provider_id {
        Some(Party::Provider)
    } else if caller.is_ministry() {
        Some(Party::Ministry)
    } else {
        None
    }
}

/// The party a caller decides as on contracts that are not its own filings: a provider on the
/// contracts it serves, the ministry on every contract; `None` for the others (clients act on
/// their own contracts as clients, and never decide amendments).
pub fn deciding_party(caller: &Caller) -> Option<Party> {
    match caller.kind {
        OrgKind::ServiceProvider => Some(Party::Provider),
        OrgKind::Ministry => Some(Party::Ministry),
        _ => None,
    }
}

/// Who allocates pilgrims to whom (R1): the ministry to a country's office, an office to its own
/// agencies. Call after the target was found visible.
pub fn allocate(
    caller: &Caller,
    target_kind: OrgKind,
    target_parent: Option<&OrganizationId>,
) -> Result<(), AllocateError> {
    match target_kind {
        OrgKind::HajjOffice => ministry_work(caller).map_err(AllocateError::Forbidden),
        OrgKind::Agency => {
            let own_agency = caller.kind == OrgKind::HajjOffice
                && target_parent == Some(&caller.organization_id);
            allow(own_agency && caller.role.can_act()).map_err(AllocateError::Forbidden)
        }
        _ => Err(AllocateError::WrongKind),
    }
}

#[derive(Debug)]
pub enum AllocateError {
    Forbidden(Error),
    /// Only offices and agencies hold allocations.
    WrongKind,
}

/// Whether a caller sees a facility's held capacity day by day: its provider and the ministry.
pub fn sees_facility_usage(caller: &Caller, provider_id: &OrganizationId) -> bool {
    caller.is_ministry() || caller.organization_id == *provider_id
}

/// Pilgrim plans and readiness a caller sees: as contracts, but providers plan nothing and see no
/// plans (docs/domain.md section 7).
pub fn plan_scope(caller: &Caller) -> ContractScope {
    match contract_scope(caller) {
        ContractScope::Provider(_) => ContractScope::Nothing,
        other => other,
    }
}

/// The change feed a caller follows: the events of the contracts, amendments and inspections it
/// sees as contracts, the readiness it sees as plans, its own extensions and reminders
/// (docs/domain.md section 10). Which rows fall in a scope is decided per event by the audience
/// stored with it (see `usecases::feed`).
pub fn feed_scope(caller: &Caller) -> ContractScope {
    feed_scope_of(caller.kind, &caller.organization_id)
}

/// [`feed_scope`] of an organisation, for what is pushed to it (its webhooks): exactly what its
/// people and systems would read through the API.
pub fn feed_scope_of(kind: OrgKind, organization: &OrganizationId) -> ContractScope {
    contract_scope_of(kind, organization)
}

/// An organisation's webhooks: its own admins subscribe, change and read their deliveries.
pub fn manage_webhooks(caller: &Caller, org: &OrganizationId) -> Result<(), Error> {
    allow(caller.organization_id == *org && caller.is_admin())
}

/// The audit log, and checking its chain: the ministry.
pub fn read_audit(caller: &Caller) -> Result<(), Error> {
    allow(caller.is_ministry())
}

/// Changing or removing a planned group: the client that planned it, never its viewers.
pub fn change_own_plan(caller: &Caller, planner: &OrganizationId) -> Result<(), Error> {
    if caller.organization_id != *planner {
        return Err(Error::forbidden());
    }
    act(caller)
}

/// Deadline extensions a caller sees: the ministry all of a season's, a client its own.
pub fn extension_scope(caller: &Caller) -> ExtensionScope {
    match caller.kind {
        OrgKind::Ministry => ExtensionScope::All,
        kind if kind.is_client() => ExtensionScope::Client(caller.organization_id.clone()),
        _ => ExtensionScope::Nothing,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtensionScope {
    All,
    Client(OrganizationId),
    Nothing,
}

/// Which datasets a caller reads (R13): the ministry every one, an authority those granted to it
/// (kept in storage), nobody else any.
pub fn dataset_scope(caller: &Caller) -> DatasetScope {
    match caller.kind {
        OrgKind::Ministry => DatasetScope::All,
        OrgKind::Authority => DatasetScope::GrantedTo(caller.organization_id.clone()),
        _ => DatasetScope::Nothing,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatasetScope {
    All,
    GrantedTo(OrganizationId),
    Nothing,
}

/// Recording inspections: tawafa establishments (of contracts they see) and the ministry.
pub fn inspect(caller: &Caller) -> Result<(), Error> {
    allow(matches!(caller.kind, OrgKind::Tawafa | OrgKind::Ministry) && caller.role.can_act())
}

fn allow(allowed: bool) -> Result<(), Error> {
    if allowed {
        Ok(())
    } else {
        Err(Error::forbidden())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(kind: OrgKind, role: Role) -> Caller {
        Caller {
            actor: Actor::User {
                id: UserId::generate(),
                session: SessionId::generate(),
            },
            standing: Standing {
                role,
                organization_id: OrganizationId::generate(),
                kind,
                country: None,
                parent_id: None,
            },
        }
    }

    #[test]
    fn the_ministry_sees_all_and_others_a_slice() {
        let ministry = caller(OrgKind::Ministry, Role::Viewer);
        assert_eq!(organization_scope(&ministry), OrgScope::All);

        let office = caller(OrgKind::HajjOffice, Role::Admin);
        let scope = organization_scope(&office);
        let agency_id = OrganizationId::generate();
        let stranger = OrganizationId::generate();
        assert!(scope_contains(
            &scope,
            &office.organization_id,
            OrgKind::HajjOffice,
            None
        ));
        assert!(scope_contains(
            &scope,
            &agency_id,
            OrgKind::Agency,
            Some(&office.organization_id)
        ));
        assert!(!scope_contains(
            &scope,
            &agency_id,
            OrgKind::Agency,
            Some(&stranger)
        ));
        assert!(scope_contains(
            &scope,
            &stranger,
            OrgKind::ServiceProvider,
            None
        ));
        assert!(scope_contains(&scope, &stranger, OrgKind::Ministry, None));
        assert!(!scope_contains(
            &scope,
            &stranger,
            OrgKind::HajjOffice,
            None
        ));
        assert!(!scope_contains(&scope, &stranger, OrgKind::Tawafa, None));

        let provider = caller(OrgKind::ServiceProvider, Role::Admin);
        let scope = organization_scope(&provider);
        assert!(!scope_contains(
            &scope,
            &stranger,
            OrgKind::ServiceProvider,
            None
        ));
        assert!(!scope_contains(
            &scope,
            &stranger,
            OrgKind::HajjOffice,
            None
        ));
    }

    #[test]
    fn an_agency_sees_its_office_only() {
        let office = OrganizationId::generate();
        let mut agency = caller(OrgKind::Agency, Role::Officer);
        agency.standing.parent_id = Some(office.clone());
        let scope = organization_scope(&agency);
        assert!(scope_contains(&scope, &office, OrgKind::HajjOffice, None));
        let sibling = OrganizationId::generate();
        assert!(!scope_contains(
            &scope,
            &sibling,
            OrgKind::Agency,
            Some(&office)
        ));
    }

    #[test]
    fn only_admins_manage_and_only_their_own_organisation() {
        let admin = caller(OrgKind::Agency, Role::Admin);
        let officer = caller(OrgKind::Agency, Role::Officer);
        let other = OrganizationId::generate();
        assert!(manage_members(&admin, &admin.organization_id).is_ok());
        assert!(manage_members(&admin, &other).is_err());
        assert!(manage_members(&officer, &officer.organization_id).is_err());
        let ministry_admin = caller(OrgKind::Ministry, Role::Admin);
        assert!(manage_members(&ministry_admin, &other).is_ok());
        assert!(create_api_key(&ministry_admin, &other).is_err());
        assert!(create_api_key(&admin, &admin.organization_id).is_ok());
        assert!(manage_organizations(&ministry_admin).is_ok());
        assert!(manage_organizations(&caller(OrgKind::Ministry, Role::Officer)).is_err());
        assert!(manage_organizations(&admin).is_err());
    }
}
