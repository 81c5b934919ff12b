//! Contracts between a client and a provider: drafting, edits, the two-party lifecycle with the
//! ministry's review, and history (docs/domain.md section 4, rules R2-R10). Amendments are in
//! [`super::amendments`].

use chrono::NaiveDate;

use crate::access::{self, Caller, SessionGuard};
use crate::domain::Invalid;
use crate::domain::calendar::today_in_makkah;
use crate::domain::contract::{
    Action, AmendmentStatus, Booking, CURRENCY, Contract, ContractStatus, Holding, Load, Party,
    Price, TermsPatch, TransitionError, allowed_actions, increase, transition,
};
use crate::domain::ids::{AmendmentId, ContractId, EventId, FacilityId, SeasonId};
use crate::domain::money::Money;
use crate::domain::organization::{OrgKind, OrgStatus};
use crate::domain::season::Place;
use crate::domain::text::{Shared, search_key};
use crate::error::{Details, Error, FieldError};
use crate::notify;
use crate::storage::contracts::{self as store, ContractFilter, NamedRow, TermsChange};
use crate::storage::holds::{self, HoldError, Shortfall};
use crate::storage::models::{ContractEventRow, ContractRow, FacilityRow, SeasonRow};
use crate::storage::{DbConnection, facilities, names, now, seasons};

/// The longest reason accepted.
pub const MAX_REASON_CHARS: usize = 1000;

/// A contract with the names a reader needs beside it.
#[derive(Clone, Debug)]
pub struct ContractDetails {
    pub contract: Contract,
    pub client_name: Shared,
    pub provider_name: Shared,
    pub facility_name: Shared,
    /// The same names in Arabic, where they have one.
    pub client_name_ar: Option<Shared>,
    pub provider_name_ar: Option<Shared>,
    pub facility_name_ar: Option<Shared>,
    pub facility_city: Place,
}

/// What a client files: a booking of a facility in a season, at a unit price.
#[derive(Clone, Debug)]
pub struct NewContract {
    pub season_id: SeasonId,
    pub facility_id: FacilityId,
    pub booking: Booking,
    pub unit_price: Money,
}

/// New terms over the current ones: what is not given stays as it is.
#[derive(Clone, Debug, Default)]
pub struct TermsEdit {
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// A decimal string, as the client typed it.
    pub unit_price: Option<String>,
    pub terms: TermsPatch,
}

/// The details of stored contracts for the caller: names in two queries, prices only for those
/// who may see them.
pub(super) fn details(
    conn: &mut DbConnection,
    caller: &Caller,
    rows: Vec<ContractRow>,
) -> Result<Vec<ContractDetails>, Error> {
    let names = names::names(conn, &rows)?;
    let named = rows
        .into_iter()
        .map(|row| names.named(row))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(shown(caller, named)?)
}

/// Contracts read with their names, as the caller is shown them (prices only to those who see
/// them).
pub(super) fn shown(
    caller: &Caller,
    rows: Vec<NamedRow>,
) -> Result<Vec<ContractDetails>, diesel::result::Error> {
    let prices = access::sees_prices(caller);
    // Reserved for them all: collecting results grows a vector as it goes, copying each step.
    let mut shown = Vec::with_capacity(rows.len());
    for row in rows {
        shown.push(detail(row, prices)?);
    }
    Ok(shown)
}

/// A contract read with its names, as the caller is shown it (see [`shown`]).
fn shown_one(caller: &Caller, named: NamedRow) -> Result<ContractDetails, diesel::result::Error> {
    detail(named, access::sees_prices(caller))
}

fn detail(named: NamedRow, prices: bool) -> Result<ContractDetails, diesel::result::Error> {
    let NamedRow {
        row,
        facility: ((facility_name, facility_name_ar), facility_city),
        client: (client_name, client_name_ar),
        provider: (provider_name, provider_name_ar),
    } = named;
    let mut contract = store::contract_of(row)?;
    if !prices {
        contract.price = None;
    }
    Ok(ContractDetails {
        contract,
        client_name,
        provider_name,
        facility_name,
        client_name_ar,
        provider_name_ar,
        facility_name_ar,
        facility_city,
    })
}

fn one(
    conn: &mut DbConnection,
    caller: &Caller,
    row: ContractRow,
) -> Result<ContractDetails, Error> {
    details(conn, caller, vec![row])?
        .pop()
        .ok_or_else(Error::internal)
}

/// A contract the caller may see; anything else does not exist for it (R13).
pub(crate) fn visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &ContractId,
) -> Result<ContractRow, Error> {
    visible_as(conn, (caller, None), id)
}

/// [`visible`] for a caller read from its token, in a statement that also checks its `guard`.
fn visible_as(
    conn: &mut DbConnection,
    (caller, guard): (&Caller, Option<&SessionGuard>),
    id: &ContractId,
) -> Result<ContractRow, Error> {
    let scope = access::contract_scope(caller);
    store::find_visible_guarded(conn, &scope, guard, id)?.ok_or_else(Error::not_found)
}

/// The part the caller plays, and that it may act at all.
pub(crate) fn acting_party(caller: &Caller, row: &ContractRow) -> Result<Party, Error> {
    let party =
        access::party(caller, &row.client_id, &row.provider_id).ok_or_else(Error::forbidden)?;
    access::act(caller)?;
    Ok(party)
}

/// Only the client edits and amends its contracts (R5, R6).
pub(crate) fn as_client(caller: &Caller, row: &ContractRow) -> Result<(), Error> {
    match acting_party(caller, row)? {
        Party::Client => Ok(()),
        _ => Err(Error::forbidden()),
    }
}

/// The first day that did not fit, what the request asked for on it and what is left then.
fn shortfall(s: Shortfall) -> Details {
    Details {
        day: Some(s.day),
        requested: Some(s.requested),
        available: Some(s.available),
        ..Details::default()
    }
}

fn hold_error(e: HoldError) -> Error {
    match e {
        HoldError::CapacityExceeded(short) => {
            Error::conflict("capacity_exceeded").with_details(shortfall(short))
        }
        HoldError::AllocationExceeded(short) => {
            Error::conflict("quota_exceeded").with_details(shortfall(short))
        }
        HoldError::NoAllocation => Error::conflict("no_allocation"),
        HoldError::Db(e) => e.into(),
    }
}

/// Capacity and allocation taken for a load (R4, R7), in this order: the client's allocation row,
/// then its days, then the facility's. The facility's part is left for last: its room is checked
/// first, from what is committed and without a lock (a load that does not fit is refused before
/// anything is written or waited for), then the client's part is taken before the step's other
/// work, the facility's days themselves ([`FacilityHold::take`]) only once that work is done.
/// Every client filing for the building waits on those days, so they are held only for the end
/// of the transaction.
#[must_use]
pub(crate) struct FacilityHold {
    facility_id: FacilityId,
    load: Load,
}

impl FacilityHold {
    pub(crate) fn prepare(
        conn: &mut DbConnection,
        row: &ContractRow,
        load: Load,
    ) -> Result<Self, Error> {
        holds::check_facility(conn, &row.facility_id, &load).map_err(hold_error)?;
        holds::lock_allocation(conn, &row.season_id, &row.client_id).map_err(hold_error)?;
        holds::take_client(conn, &row.season_id, &row.client_id, &load).map_err(hold_error)?;
        Ok(FacilityHold {
            facility_id: row.facility_id.clone(),
            load,
        })
    }

    pub(crate) fn take(self, conn: &mut DbConnection) -> Result<(), Error> {
        holds::take_facility(conn, &self.facility_id, &self.load).map_err(hold_error)
    }
}

pub(crate) fn release(
    conn: &mut DbConnection,
    row: &ContractRow,
    load: &Load,
) -> Result<(), Error> {
    holds::release_client(conn, &row.season_id, &row.client_id, load).map_err(hold_error)?;
    holds::release_facility(conn, &row.facility_id, load).map_err(hold_error)
}

/// One line of a contract's history (R9), and the change feed's event for it.
pub(crate) struct Event<'a> {
    /// The contract as it stands after the step.
    contract: &'a ContractRow,
    amendment: Option<&'a AmendmentId>,
    action: &'a str,
    from: Option<&'a str>,
    to: &'a str,
    reason: Option<String>,
}

impl<'a> Event<'a> {
    /// A step of the contract itself: `create`, `edit` or a lifecycle action.
    pub fn contract(
        contract: &'a ContractRow,
        action: &'a str,
        from: Option<&'a str>,
        to: &'a str,
    ) -> Self {
        Event {
            contract,
            amendment: None,
            action,
            from,
            to,
            reason: None,
        }
    }

    /// A step of one of the contract's amendments.
    pub fn amendment(
        contract: &'a ContractRow,
        amendment: &'a AmendmentId,
        action: &'a str,
        from: &'a str,
        to: &'a str,
    ) -> Self {
        Event {
            amendment: Some(amendment),
            from: Some(from),
            ..Event::contract(contract, action, None, to)
        }
    }

    /// The same step, with the reason given for it.
    pub fn because(self, reason: Option<String>) -> Self {
        Event { reason, ..self }
    }

    /// Appends the step to the history, by the caller, and publishes it in the change feed, in the
    /// change's transaction (R9).
    pub fn record(self, conn: &mut DbConnection, caller: &Caller) -> Result<(), Error> {
        super::feed::contract_step(conn, self.contract, self.amendment, self.action, self.to)?;
        let (user, key) = caller.actor_ids();
        store::insert_event(
            conn,
            &ContractEventRow {
                id: EventId::generate(),
                contract_id: self.contract.id.clone(),
                amendment_id: self.amendment.cloned(),
                action: self.action.to_owned(),
                from_status: self.from.map(str::to_owned),
                to_status: self.to.to_owned(),
                reason: self.reason,
                actor_user_id: user,
                actor_api_key_id: key,
                organization_id: caller.organization_id.clone(),
                at: now(),
            },
        )?;
        Ok(())
    }
}

/// A booking checked against its season (dates) and facility (kind and licence, R3, R8), priced.
fn check_booking(
    booking: &Booking,
    unit_price: Money,
    season: &SeasonRow,
    facility: &FacilityRow,
) -> Result<Price, Error> {
    let mut errors = Vec::new();
    if let Some((field, e)) = booking.check_dates() {
        errors.push(FieldError::new(field, e));
    } else {
        if booking.starts_on < season.starts_on {
            errors.push(FieldError::new("starts_on", Invalid::new("outside_season")));
        }
        if booking.ends_on > season.ends_on {
            errors.push(FieldError::new("ends_on", Invalid::new("outside_season")));
        }
        if booking.starts_on < facility.licence_valid_from {
            errors.push(FieldError::new(
                "starts_on",
                Invalid::new("outside_licence"),
            ));
        }
        if booking.ends_on > facility.licence_valid_to {
            errors.push(FieldError::new("ends_on", Invalid::new("outside_licence")));
        }
    }
    if facility.kind.contract_type() != booking.terms.contract_type() {
        errors.push(FieldError::new(
            "facility_id",
            Invalid::new("facility_kind_mismatch"),
        ));
    }
    let total = unit_price.times(booking.quantity());
    if total.is_none() {
        errors.push(FieldError::new("unit_price", Invalid::new("out_of_range")));
    }
    match total {
        Some(total) if errors.is_empty() => Ok(Price {
            unit: unit_price,
            total,
        }),
        _ => Err(Error::invalid(errors)),
    }
}

/// The booking and unit price an edit or amendment asks for, over the current terms.
fn merged(
    current: &Booking,
    current_price: Money,
    edit: &TermsEdit,
) -> Result<(Booking, Money), Error> {
    let mut errors = Vec::new();
    let terms = edit
        .terms
        .terms(current.terms.contract_type(), Some(current.terms))
        .map_err(|e| {
            errors.extend(e.into_iter().map(|(f, e)| FieldError::new(f, e)));
        });
    let price = match &edit.unit_price {
        Some(p) => Money::parse(p.trim())
            .map_err(|e| errors.push(FieldError::new("unit_price", e)))
            .ok(),
        None => Some(current_price),
    };
    match (terms, price) {
        (Ok(terms), Some(price)) if errors.is_empty() => Ok((
            Booking {
                terms,
                starts_on: edit.starts_on.unwrap_or(current.starts_on),
                ends_on: edit.ends_on.unwrap_or(current.ends_on),
            },
            price,
        )),
        _ => Err(Error::invalid(errors)),
    }
}

/// What an edit or amendment of `row` asks for: the current booking, the new one and its price,
/// checked against the season and the facility.
pub(crate) fn priced(
    conn: &mut DbConnection,
    row: &ContractRow,
    edit: &TermsEdit,
) -> Result<(Booking, Booking, Price), Error> {
    let current = store::booking(row)?;
    let (booking, unit_price) = merged(&current, Money::from_halalas(row.unit_price), edit)?;
    let (season, facility) = season_and_facility(conn, row)?;
    let price = check_booking(&booking, unit_price, &season, &facility)?;
    Ok((current, booking, price))
}

fn season_and_facility(
    conn: &mut DbConnection,
    row: &ContractRow,
) -> Result<(SeasonRow, FacilityRow), Error> {
    let season = seasons::find(conn, &row.season_id)?.ok_or_else(Error::internal)?;
    let facility = facilities::find(conn, &row.facility_id)?.ok_or_else(Error::internal)?;
    Ok((season, facility))
}

/// A reason as given: trimmed, at most [`MAX_REASON_CHARS`], one line breaks allowed; required
/// where the step needs one.
pub(crate) fn reason(required: bool, text: Option<String>) -> Result<Option<String>, Error> {
    let text = text.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    match text {
        None if required => Err(Error::invalid_field("reason", Invalid::new("required"))),
        Some(r) if r.chars().count() > MAX_REASON_CHARS => Err(Error::invalid_field(
            "reason",
            Invalid::with_limit("too_long", MAX_REASON_CHARS),
        )),
        Some(r) if r.chars().any(|c| c.is_control() && c != '\n') => Err(Error::invalid_field(
            "reason",
            Invalid::new("invalid_characters"),
        )),
        other => Ok(other),
    }
}

/// Refuses an action the caller's party may take, but not from `current`: the answer names the
/// status and what the caller may do from it.
pub(crate) fn invalid_transition(
    current: &'static str,
    allowed: impl IntoIterator<Item = Action>,
) -> Error {
    Error::conflict("invalid_transition").with_details(Details {
        current_status: Some(current),
        allowed_actions: Some(allowed.into_iter().map(Action::as_str).collect()),
        ..Details::default()
    })
}

/// An action refused by the lifecycle: not the party's at all (403), or not from this status.
fn transition_error(e: TransitionError, from: ContractStatus, party: Party) -> Error {
    match e {
        TransitionError::NotYourAction => Error::forbidden(),
        TransitionError::InvalidTransition => {
            invalid_transition(from.as_str(), allowed_actions(from, party))
        }
    }
}

/// What a contract is found by (`q`): its facility's name, its client's names and its provider's
/// name, folded (`domain::text::search_key`).
fn search_text(facility: &str, client: &str, client_ar: &str, provider: &str) -> String {
    search_key(&format!("{facility} {client} {client_ar} {provider}"))
}

/// After a rename, in its transaction: what the contracts showing the renamed organisation or
/// facility are found by, made again from their names as they are now.
pub fn rename_shown(conn: &mut DbConnection, by: store::ShownBy) -> Result<(), Error> {
    let rows = store::showing(conn, by)?;
    let names = names::names(conn, &rows)?;
    for row in &rows {
        let ((facility, _), _) = names.facility(&row.facility_id)?;
        let (client, client_ar) = names.organization(&row.client_id);
        let (provider, _) = names.organization(&row.provider_id);
        let key = search_text(
            &facility,
            &client,
            client_ar.as_deref().unwrap_or(""),
            &provider,
        );
        if key != row.search_key {
            store::set_search_key(conn, &row.id, &key)?;
        }
    }
    Ok(())
}

/// Drafts a contract for the caller, a client: checks R3 and R8 and that the client holds an
/// allocation in the season. A draft holds nothing. `new` is what was filed, or why it could not
/// be read: who may file is answered before what was filed is judged. Run inside a write
/// transaction; a caller read from its token drafts with the `guard` its session must pass,
/// carried by the first statement, the season's terms (see `AppState::write_guarded`). Nothing is
/// refused before it: a refusal there is left to the caller resolved (a not found).
pub fn draft(
    conn: &mut DbConnection,
    (caller, guard): (&Caller, Option<&SessionGuard>),
    new: Result<NewContract, Error>,
) -> Result<ContractDetails, Error> {
    let new = match access::file_contracts(caller).and(new) {
        Ok(new) => new,
        Err(_) if guard.is_some() => return Err(Error::not_found()),
        Err(refused) => return Err(refused),
    };
    let terms = seasons::drafting_terms(conn, &new.season_id, &caller.organization_id, guard)?;
    let drafting = match (terms, guard) {
        (Some(terms), _) => terms,
        // No season, or no session: the caller resolved tells them apart.
        (None, Some(_)) => return Err(Error::not_found()),
        (None, None) => {
            let unknown = Invalid::new("unknown_reference");
            return Err(Error::invalid_field("season_id", unknown));
        }
    };
    let season = drafting.season;
    let (facility, provider) = facilities::find_visible_with_provider(
        conn,
        &access::facility_scope(caller),
        &new.facility_id,
    )?
    .ok_or_else(|| Error::invalid_field("facility_id", Invalid::new("unknown_reference")))?;
    let price = check_booking(&new.booking, new.unit_price, &season, &facility)?;
    if !drafting.allocated {
        return Err(Error::conflict("no_allocation"));
    }
    let client = drafting.client.ok_or_else(Error::unauthorized)?;
    let office = match caller.kind {
        OrgKind::Agency => client.parent_id.clone(),
        _ => Some(client.id.clone()),
    };
    let terms = TermsChange::of(&new.booking, price);
    let at = now();
    let row = ContractRow {
        id: ContractId::generate(),
        season_id: season.id,
        contract_type: new.booking.terms.contract_type(),
        client_id: client.id.clone(),
        client_office_id: office,
        client_country: client.country.clone().unwrap_or_default(),
        provider_id: provider.id.clone(),
        facility_id: facility.id.clone(),
        status: ContractStatus::Draft,
        starts_on: terms.starts_on,
        ends_on: terms.ends_on,
        units: terms.units,
        route_from: terms.route_from,
        route_to: terms.route_to,
        meals_per_day: terms.meals_per_day,
        unit_price: terms.unit_price,
        currency: CURRENCY.to_owned(),
        total: terms.total,
        search_key: search_text(
            &facility.name,
            &client.name,
            &client.name_ar,
            &provider.name,
        ),
        version: 1,
        created_at: at,
        updated_at: at,
        status_reason: None,
    };
    store::insert(conn, &row)?;
    Event::contract(&row, "create", None, ContractStatus::Draft.as_str()).record(conn, caller)?;
    // Named from the rows it was made from, read in this transaction.
    Ok(shown_one(
        caller,
        NamedRow::of_parties(row, facility, client, provider),
    )?)
}

/// One page of the contracts the caller may see, in id order after `after`; a caller read from
/// its token reads with the `guard` its session must pass (see `AppState::read_guarded`).
pub fn list(
    conn: &mut DbConnection,
    (caller, guard): (&Caller, Option<&SessionGuard>),
    filter: &ContractFilter,
    after: Option<&ContractId>,
    limit: i64,
) -> Result<Vec<ContractDetails>, Error> {
    let scope = access::contract_scope(caller);
    let rows = store::list(conn, (&scope, guard), filter, after, limit)?;
    Ok(shown(caller, rows)?)
}

/// One contract the caller may see (with the `guard` of a caller read from its token).
pub fn find(
    conn: &mut DbConnection,
    (caller, guard): (&Caller, Option<&SessionGuard>),
    id: &ContractId,
) -> Result<ContractDetails, Error> {
    let named = visible_named(conn, (caller, guard), id)?;
    Ok(shown_one(caller, named)?)
}

/// A contract the caller may see with the names it shows, as stored (with the `guard` of a caller
/// read from its token); anything else does not exist for it (R13).
fn visible_named(
    conn: &mut DbConnection,
    (caller, guard): (&Caller, Option<&SessionGuard>),
    id: &ContractId,
) -> Result<NamedRow, Error> {
    let scope = access::contract_scope(caller);
    let found = store::find_visible_named(conn, &scope, guard, id)?;
    found.ok_or_else(Error::not_found)
}

/// A contract as its page shows it: the contract, its history, its amendments (oldest first) and
/// its documents' shelf, after one check that the caller sees it.
pub struct ContractRecords {
    pub details: ContractDetails,
    pub history: Vec<ContractEventRow>,
    pub amendments: Vec<crate::domain::contract::Amendment>,
    pub shelf: super::documents::Shelf,
}

/// One contract the caller may see with all it records ([`ContractRecords`]): what [`find`],
/// [`history`], `amendments::list` and `documents::shelf` give, with the contract read once.
pub fn find_with_records(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &ContractId,
) -> Result<ContractRecords, Error> {
    let named = visible_named(conn, (caller, None), id)?;
    let history = store::events(conn, &named.row.id)?;
    let amendments = super::amendments::of_visible(conn, caller, &named.row)?;
    let shelf = super::documents::contract_shelf(conn, caller, &named.row)?;
    Ok(ContractRecords {
        details: shown_one(caller, named)?,
        history,
        amendments,
        shelf,
    })
}

/// Edits a draft or returned contract (its client, R5). `version` is the one the edit was made
/// against (`None`: whatever is current). `edit` is the request's input, or why it could not be
/// read: it is looked at only once the caller may edit, so that nothing is learned from
/// validation. Run inside a write transaction.
pub fn edit(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &ContractId,
    version: Result<Option<i64>, Error>,
    edit: Result<TermsEdit, Error>,
) -> Result<ContractDetails, Error> {
    let row = visible(conn, caller, id)?;
    as_client(caller, &row)?;
    let version = version?.unwrap_or(row.version);
    let edit = edit?;
    if row.version != version {
        return Err(Error::precondition_failed());
    }
    let status = row.status;
    if !status.editable() {
        return Err(invalid_transition(
            status.as_str(),
            allowed_actions(status, Party::Client),
        ));
    }
    let (_, booking, price) = priced(conn, &row, &edit)?;
    if !store::update_terms(
        conn,
        &row.id,
        version,
        row.status,
        &TermsChange::of(&booking, price),
    )? {
        return Err(Error::precondition_failed());
    }
    let edited = store::find(conn, &row.id)?.ok_or_else(Error::internal)?;
    Event::contract(
        &edited,
        "edit",
        Some(row.status.as_str()),
        row.status.as_str(),
    )
    .record(conn, caller)?;
    one(conn, caller, edited)
}

/// Moves a contract along its lifecycle for the caller, with everything that goes with it: the
/// deadline (R2), the provider still active (R8), holds taken or released (R4, R7), an open
/// amendment closed, the parties notified, the history (R9). `reason` is the request's reason, or
/// why it could not be read: it is checked only once the caller may take the step. Run inside a
/// write transaction; a caller read from its token acts with the `guard` its session must pass,
/// carried by the first statement, the contract's lookup (see `AppState::write_guarded`).
pub fn act(
    conn: &mut DbConnection,
    (caller, guard): (&Caller, Option<&SessionGuard>),
    id: &ContractId,
    action: Action,
    reason_given: Result<Option<String>, Error>,
) -> Result<ContractDetails, Error> {
    let (named, facility) = apply(conn, (caller, guard), id, action, reason_given)?;
    let view = shown_one(caller, named)?;
    if let Some(facility) = facility {
        facility.take(conn)?;
    }
    Ok(view)
}

/// [`act`], answering the stored row with its names and the facility's days still to take.
fn apply(
    conn: &mut DbConnection,
    (caller, guard): (&Caller, Option<&SessionGuard>),
    contract_id: &ContractId,
    action: Action,
    reason_given: Result<Option<String>, Error>,
) -> Result<(NamedRow, Option<FacilityHold>), Error> {
    let row = visible_as(conn, (caller, guard), contract_id)?;
    let party = acting_party(caller, &row)?;
    let from = row.status;
    let step = transition(from, action, party).map_err(|e| transition_error(e, from, party))?;
    let reason = reason(action.needs_reason(), reason_given?)?;
    let load = store::booking(&row)?.load();
    if action == Action::Submit {
        let terms = seasons::filing_terms(conn, &row)?.ok_or_else(Error::internal)?;
        let deadline = terms
            .season
            .last_filing_day(row.contract_type, terms.extended);
        if today_in_makkah() > deadline {
            return Err(Error::conflict("deadline_passed").with_details(Details {
                deadline: Some(deadline),
                ..Details::default()
            }));
        }
        if terms.provider.ok_or_else(Error::internal)? != OrgStatus::Active {
            return Err(Error::conflict("provider_inactive"));
        }
        let missing = super::documents::missing_for(conn, &row)?;
        if !missing.is_empty() {
            return Err(Error::conflict("documents_missing").with_details(Details {
                missing_documents: Some(missing.iter().map(|k| k.as_str()).collect()),
                ..Details::default()
            }));
        }
    }
    let facility = match step.holding {
        Holding::Take => Some(FacilityHold::prepare(conn, &row, load)?),
        Holding::Release => {
            release(conn, &row, &load)?;
            None
        }
        Holding::Keep => None,
    };
    if from == ContractStatus::Approved {
        close_open_amendment(conn, caller, &row)?;
    }
    let moved = store::set_status(conn, &row.id, from, step.to, reason.as_deref())?
        .ok_or_else(|| Error::conflict("invalid_transition"))?;
    let money = match (step.holding, step.to) {
        (Holding::Take, _) => Some(super::money::Step::Submitted),
        (_, ContractStatus::Approved) => Some(super::money::Step::Approved),
        (Holding::Release, _) => Some(super::money::Step::Changed),
        (Holding::Keep, _) => None,
    };
    let priced = match money {
        Some(money) => super::money::settle(conn, &moved, money)?,
        None => false,
    };
    // The names the notifications and the answer show, read once.
    let names = names::names(conn, std::slice::from_ref(&moved))?;
    notify::contract_moved(
        conn,
        &moved,
        &names,
        action,
        from == ContractStatus::Draft,
        &caller.organization_id,
        reason.as_deref(),
    )?;
    Event::contract(
        &moved,
        action.as_str(),
        Some(from.as_str()),
        step.to.as_str(),
    )
    .because(reason)
    .record(conn, caller)?;
    if from == ContractStatus::Approved || step.to == ContractStatus::Approved {
        super::feed::readiness_inputs_changed(conn, &moved.season_id, &moved.client_id)?;
    } else if priced && from.awaits_approval() != step.to.awaits_approval() {
        super::feed::funding_changed(conn, &moved.season_id, &moved.client_id)?;
    }
    Ok((names.named(moved)?, facility))
}

/// An approved contract that is cancelled takes its open amendment with it.
fn close_open_amendment(
    conn: &mut DbConnection,
    caller: &Caller,
    row: &ContractRow,
) -> Result<(), Error> {
    for amendment in store::amendments(conn, &row.id)? {
        let status = amendment.status;
        if status.is_open() {
            let extra = increase(
                &store::booking(row)?.load(),
                &store::amendment_booking(row, &amendment)?.load(),
            );
            release(conn, row, &extra)?;
            store::set_amendment_status(conn, &amendment.id, status, AmendmentStatus::Rejected)?;
            Event::amendment(
                row,
                &amendment.id,
                "reject",
                status.as_str(),
                AmendmentStatus::Rejected.as_str(),
            )
            .because(Some("contract cancelled".into()))
            .record(conn, caller)?;
        }
    }
    Ok(())
}

/// Every step, edit and amendment step of a contract the caller may see, oldest first (R9).
pub fn history(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &ContractId,
) -> Result<Vec<ContractEventRow>, Error> {
    let row = visible(conn, caller, id)?;
    Ok(store::events(conn, &row.id)?)
}

/// A contract awaiting the ministry's decision, with the last day its client may file contracts of
/// its type (the season's deadline, or the client's extension if later).
pub struct AwaitingReview {
    pub details: ContractDetails,
    pub last_filing_day: NaiveDate,
}

/// The ministry's review queue: the season's contracts awaiting approval, oldest filed first, a
/// page after `after`. The deadlines come from one read of the season's extensions, not one per
/// contract.
pub fn review_queue(
    conn: &mut DbConnection,
    caller: &Caller,
    season: &SeasonRow,
    after: Option<&ContractId>,
    limit: i64,
) -> Result<Vec<AwaitingReview>, Error> {
    access::review_queue(caller)?;
    let filter = ContractFilter {
        season_id: Some(season.id.clone()),
        status: Some(ContractStatus::PendingReview.as_str().to_owned()),
        ..ContractFilter::default()
    };
    let listed = list(conn, (caller, None), &filter, after, limit)?;
    let filing_days = seasons::FilingDays::read(conn, season, None)?;
    Ok(listed
        .into_iter()
        .map(|details| {
            let contract_type = details.contract.booking.terms.contract_type();
            AwaitingReview {
                last_filing_day: filing_days.of(&details.contract.client_id, contract_type),
                details,
            }
        })
        .collect())
}
