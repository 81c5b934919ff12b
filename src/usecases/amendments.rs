//! Amendments: new terms for an approved contract, proposed by its client, accepted by its provider
//! and approved by the ministry; meanwhile what the new terms need beyond the old is held
//! (docs/domain.md section 4, rule R6).

use crate::access::Caller;
use crate::domain::contract::{
    Action, Amendment, AmendmentStatus, ContractStatus, Party, TransitionError, allowed_actions,
    allowed_amendment_actions, amendment_transition, increase,
};
use crate::domain::ids::{AmendmentId, ContractId, SeasonId};
use crate::error::Error;
use crate::storage::contracts::{self as store, ContractFilter, NamedRow, TermsChange};
use crate::storage::models::{AmendmentRow, ContractRow};
use crate::storage::{DbConnection, is_unique_violation};

use super::contracts::{
    ContractDetails, Event, FacilityHold, TermsEdit, acting_party, as_client, invalid_transition,
    priced, reason, release, visible,
};

/// An amendment as the caller may read it (prices only for those who see them).
fn readable(
    caller: &Caller,
    contract: &ContractRow,
    row: AmendmentRow,
) -> Result<Amendment, Error> {
    let mut amendment = store::amendment_of(contract, row)?;
    if !crate::access::sees_prices(caller) {
        amendment.price = None;
    }
    Ok(amendment)
}

/// Proposes new terms for an approved contract (its client) with a reason. The capacity and
/// allocation the new terms need beyond the current ones are held at once. `proposal` is the
/// request's input, or why it could not be read: it is looked at only once the caller may propose.
/// Run inside a write transaction.
pub fn propose(
    conn: &mut DbConnection,
    caller: &Caller,
    contract_id: &ContractId,
    proposal: Result<(String, TermsEdit), Error>,
) -> Result<Amendment, Error> {
    let row = visible(conn, caller, contract_id)?;
    as_client(caller, &row)?;
    let (why, edit) = proposal?;
    let status = row.status;
    if status != ContractStatus::Approved {
        return Err(invalid_transition(
            status.as_str(),
            allowed_actions(status, Party::Client),
        ));
    }
    let why = reason(true, Some(why))?.unwrap_or_default();
    let (current, booking, price) = priced(conn, &row, &edit)?;
    let amendment = store::proposed_amendment(&row.id, TermsChange::of(&booking, price), &why);
    store::insert_amendment(conn, &amendment).map_err(|e| {
        if is_unique_violation(&e) {
            Error::conflict("amendment_open")
        } else {
            e.into()
        }
    })?;
    let extra = increase(&current.load(), &booking.load());
    let facility = FacilityHold::prepare(conn, &row, extra)?;
    Event::amendment(
        &row,
        &amendment.id,
        "amend",
        row.status.as_str(),
        row.status.as_str(),
    )
    .because(Some(why))
    .record(conn, caller)?;
    let amendment = readable(caller, &row, amendment)?;
    facility.take(conn)?;
    Ok(amendment)
}

/// One amendment, if the caller may see its contract.
pub fn find(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &AmendmentId,
) -> Result<Amendment, Error> {
    let amendment = store::amendment(conn, id)?.ok_or_else(Error::not_found)?;
    let row = visible(conn, caller, &amendment.contract_id)?;
    readable(caller, &row, amendment)
}

/// The amendments of a contract the caller may see, oldest first.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    contract_id: &ContractId,
) -> Result<Vec<Amendment>, Error> {
    let row = visible(conn, caller, contract_id)?;
    of_visible(conn, caller, &row)
}

/// The amendments of a contract the caller was found to see, oldest first.
pub(super) fn of_visible(
    conn: &mut DbConnection,
    caller: &Caller,
    row: &ContractRow,
) -> Result<Vec<Amendment>, Error> {
    store::amendments(conn, &row.id)?
        .into_iter()
        .map(|a| readable(caller, row, a))
        .collect()
}

/// Decides an amendment: `accept` or `decline` (the provider), then `approve` or `reject` (the
/// ministry). Approval replaces the contract's terms and bumps its version, giving back what the
/// old terms held beyond the new; otherwise the contract stays as it was and the extra hold is
/// released. `reason_given` is checked only once the caller may take the step. Run inside a write
/// transaction.
pub fn decide(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &AmendmentId,
    action: Action,
    reason_given: Result<Option<String>, Error>,
) -> Result<Amendment, Error> {
    let amendment = store::amendment(conn, id)?.ok_or_else(Error::not_found)?;
    let row = visible(conn, caller, &amendment.contract_id)?;
    let party = acting_party(caller, &row)?;
    let from = amendment.status;
    let to = amendment_transition(from, action, party).map_err(|e| match e {
        TransitionError::NotYourAction => Error::forbidden(),
        TransitionError::InvalidTransition => {
            invalid_transition(from.as_str(), allowed_amendment_actions(from, party))
        }
    })?;
    let reason = reason(
        matches!(action, Action::Decline | Action::Reject),
        reason_given?,
    )?;
    let (old, new) = (
        store::booking(&row)?.load(),
        store::amendment_booking(&row, &amendment)?.load(),
    );
    match to {
        AmendmentStatus::Approved => {
            if !store::update_terms(
                conn,
                &row.id,
                row.version,
                ContractStatus::Approved,
                &TermsChange::of_amendment(&amendment),
            )? {
                return Err(Error::conflict("invalid_transition"));
            }
            release(conn, &row, &increase(&new, &old))?;
        }
        AmendmentStatus::Declined | AmendmentStatus::Rejected => {
            release(conn, &row, &increase(&old, &new))?
        }
        _ => {}
    }
    if !store::set_amendment_status(conn, &amendment.id, from, to)? {
        return Err(Error::conflict("invalid_transition"));
    }
    let row = match to {
        AmendmentStatus::Approved => store::find(conn, &row.id)?.ok_or_else(Error::internal)?,
        _ => row,
    };
    Event::amendment(
        &row,
        &amendment.id,
        action.as_str(),
        from.as_str(),
        to.as_str(),
    )
    .because(reason)
    .record(conn, caller)?;
    if to == AmendmentStatus::Approved {
        super::money::settle(conn, &row, super::money::Step::Changed)?;
        super::feed::readiness_inputs_changed(conn, &row.season_id, &row.client_id)?;
    }
    let amendment = store::amendment(conn, &amendment.id)?.ok_or_else(Error::internal)?;
    readable(caller, &row, amendment)
}

/// An amendment awaiting the caller's decision, with its contract.
pub struct Awaiting {
    pub details: ContractDetails,
    pub amendment: Amendment,
}

/// The season's amendments awaiting the caller's decision (a provider's acceptance of those on
/// its contracts, the ministry's approval), by contract, a page after contract `after`: four
/// queries whatever their number. Clients, tawafa establishments and authorities decide none.
pub fn awaiting(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    after: Option<&ContractId>,
    limit: i64,
) -> Result<Vec<Awaiting>, Error> {
    let Some(party) = crate::access::deciding_party(caller) else {
        return Ok(Vec::new());
    };
    let Some(status) = AmendmentStatus::OPEN
        .into_iter()
        .find(|s| !allowed_amendment_actions(*s, party).is_empty())
    else {
        return Ok(Vec::new());
    };
    let filter = ContractFilter {
        season_id: Some(season_id.to_owned()),
        amendment_status: Some(status),
        ..ContractFilter::default()
    };
    let rows = store::list(
        conn,
        (&crate::access::contract_scope(caller), None),
        &filter,
        after,
        limit,
    )?;
    let ids: Vec<&ContractId> = rows.iter().map(|r| &r.row.id).collect();
    let mut open = store::open_amendments(conn, &ids)?;
    let mut amendments = Vec::with_capacity(rows.len());
    for NamedRow { row, .. } in &rows {
        let at = open
            .iter()
            .position(|a| a.contract_id == row.id && a.status == status);
        // Decided between the two reads: no longer awaiting anyone.
        amendments.push(match at {
            Some(at) => Some(readable(caller, row, open.swap_remove(at))?),
            None => None,
        });
    }
    let details = super::contracts::shown(caller, rows)?;
    Ok(details
        .into_iter()
        .zip(amendments)
        .filter_map(|(details, amendment)| {
            amendment.map(|amendment| Awaiting { details, amendment })
        })
        .collect())
}
